/* SPDX-License-Identifier: MIT
 * tests/unit/test_vmclient.c: net/vmclient on canned ARM replies in virtual time. One client
 * serves every operation the console runs: cancelling one operation's call leaves the others'
 * calls running. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/vm.h"
#include "net/arm.h"
#include "net/executor.h"
#include "net/vmclient.h"
#include "tests/unit/fake_http.h"

#define EP "https://arm.example"
#define VMI(name)                                                                              \
    "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.HybridCompute/machines/" name     \
    "/providers/Microsoft.AzureStackHCI/virtualMachineInstances/default"
#define BODY(name)                                                                             \
    "{\"id\": \"" VMI(name) "\", \"properties\": {\"provisioningState\": \"Succeeded\","       \
    " \"status\": {\"powerState\": \"Running\"}}}"

struct got {
    int calls;
    enum gp_status st;
    char name[32];
};

static void on_vm(void *ctx, enum gp_status st, const struct vm *vm, const struct gp_error *err)
{
    (void)err;
    struct got *g = ctx;
    g->calls++;
    g->st = st;
    if (vm && vm->name)
        (void)snprintf(g->name, sizeof(g->name), "%s", vm->name);
}

static double half(void *ctx)
{
    (void)ctx;
    return 0.5;
}

static void test_cancel_is_per_caller(void **state)
{
    (void)state;
    static const struct fake_reply replies[] = {
        {.method = "GET", .url_has = "machines/vm-1/", .status = 200, .body = BODY("vm-1"),
         .delay_ms = 1000},
        {.method = "GET", .url_has = "machines/vm-2/", .status = 200, .body = BODY("vm-2"),
         .delay_ms = 1000},
    };
    struct gp_loop *loop = NULL;
    assert_int_equal(loop_new(&loop), GP_OK);
    loop_use_virtual_clock(loop);
    struct arm_options o = {.endpoint = EP, .jitter = half};
    struct gp_error err;
    gp_error_clear(&err);
    struct arm_client *arm = NULL;
    assert_int_equal(arm_client_new(loop, &o, &arm_static_token_ops, (void *)"tok", &arm, &err),
                     GP_OK);
    struct fake_http fake;
    fake_http_init(&fake, loop, replies, 2);
    arm_client_set_transport(arm, &fake_http_ops, &fake);
    struct vmclient *vc = NULL;
    assert_int_equal(vmclient_new(arm, "2025-09-01-preview", &vc, &err), GP_OK);

    struct got a = {0}, b = {0};
    assert_int_equal(vmclient_exec_ops.get_vm(vc, VMI("vm-1"), on_vm, &a, &err), GP_OK);
    assert_int_equal(vmclient_exec_ops.get_vm(vc, VMI("vm-2"), on_vm, &b, &err), GP_OK);
    assert_int_equal(loop_run_once(loop, 0), GP_OK); /* both requests go out */
    vmclient_exec_ops.cancel(vc, &a);
    assert_int_equal(loop_run(loop), GP_OK);
    assert_int_equal(a.calls, 0);
    assert_int_equal(b.calls, 1);
    assert_int_equal(b.st, GP_OK);
    assert_string_equal(b.name, "vm-2");

    /* Freeing the client cancels whatever is left, answering nobody. */
    assert_int_equal(vmclient_exec_ops.get_vm(vc, VMI("vm-1"), on_vm, &a, &err), GP_OK);
    vmclient_free(vc);
    arm_client_free(arm);
    assert_int_equal(loop_run(loop), GP_OK);
    assert_int_equal(a.calls, 0);
    loop_free(loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cancel_is_per_caller),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
