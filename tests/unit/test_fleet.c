/* SPDX-License-Identifier: MIT
 * tests/unit/test_fleet.c: the fleet listing on canned replies: Resource Graph rows (with the
 * resource-group filter the service receives), the fallback to Arc machines when Graph is
 * refused (kind HCI only, nodes left out, VM GETs with bounded parallelism, 404 = no instance,
 * failures counted), no fallback on server errors, name checks, and cancel from a callback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/fleet.h"
#include "tests/unit/fake_http.h"

#define EP "https://arm.example"
#define RGP "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.HybridCompute/machines/"
#define VMI_OF(name) RGP name "/providers/Microsoft.AzureStackHCI/virtualMachineInstances/default"
#define ROW(name)                                                                             \
    "{\"id\":\"" VMI_OF(name) "\",\"type\":\"microsoft.azurestackhci/virtualmachineinstances\"," \
    "\"resourceGroup\":\"rg\",\"properties\":{\"provisioningState\":\"Succeeded\","          \
    "\"status\":{\"powerState\":\"Running\"}}}"

struct result {
    int row_calls, done_calls;
    char names[1024];
    struct fleet_stats stats;
    bool failed;
    struct gp_error err;
    struct fleet *self;
    int cancel_after;
};

static void on_rows(void *ctx, struct vm *vms, size_t n)
{
    struct result *r = ctx;
    r->row_calls++;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(r->names);
        snprintf(r->names + len, sizeof(r->names) - len, "%s%s", len ? " " : "",
                 vms[i].name ? vms[i].name : "?");
    }
    vm_array_free(vms, n);
    if (r->cancel_after && r->row_calls == r->cancel_after)
        fleet_cancel(r->self);
}

static void on_done(void *ctx, const struct fleet_stats *stats, const struct gp_error *err)
{
    struct result *r = ctx;
    r->done_calls++;
    r->stats = *stats;
    r->failed = err != NULL;
    if (err)
        r->err = *err;
}

struct env {
    struct gp_loop *loop;
    struct arm_client *arm;
    struct fake_http fake;
    struct result res;
};

static double half(void *ctx)
{
    (void)ctx;
    return 0.5;
}

static void env_open(struct env *e, const struct fake_reply *replies, size_t n)
{
    memset(e, 0, sizeof(*e));
    struct arm_options o = {.endpoint = EP, .jitter = half};
    assert_int_equal(fake_http_arm_open(&o, replies, n, &e->fake, &e->loop, &e->arm), GP_OK);
}

static void env_close(struct env *e)
{
    arm_client_free(e->arm);
    loop_free(e->loop);
}

static void test_graph(void **state)
{
    (void)state;
    static const struct fake_reply replies[] = {
        {.method = "POST", .url_has = "Microsoft.ResourceGraph", .status = 200,
         .body = "{\"totalRecords\":3,\"data\":[" ROW("vm-a") "," ROW("vm-b")
                 ",{\"id\":\"/not/a/vm\"}]}"},
    };
    struct env e;
    env_open(&e, replies, 1);
    struct gp_error err;
    assert_int_equal(
        fleet_list(e.arm, "s1", "rg", NULL, on_rows, on_done, &e.res, NULL, &err), GP_OK);
    assert_int_equal(loop_run(e.loop), GP_OK);
    assert_int_equal(e.res.done_calls, 1);
    assert_false(e.res.failed);
    assert_int_equal(e.res.stats.source, FLEET_VIA_GRAPH);
    assert_string_equal(e.res.names, "vm-a vm-b");
    assert_int_equal(e.res.stats.vms, 2);
    assert_int_equal(e.res.stats.skipped, 1);
    assert_non_null(strstr(e.res.stats.first_failure.message, "Resource Graph row 3"));
    assert_non_null(strstr(e.fake.seen[0].body,
                           "\"query\":\"resources | where type =~ "
                           "'microsoft.azurestackhci/virtualmachineinstances' | where "
                           "resourceGroup =~ 'rg'\""));
    assert_non_null(strstr(e.fake.seen[0].body, "\"subscriptions\":[\"s1\"]"));
    assert_int_equal(e.fake.n_seen, 1);
    env_close(&e);
}

/* Machines vm-0 .. vm-11 (HCI) and two cluster nodes over two pages. */
static char page1[4096], page2[4096];
static char vm_bodies[12][1024];
static char vm_urls[12][256];

static void build_machine_pages(void)
{
    size_t o = 0;
    o += (size_t)snprintf(page1 + o, sizeof(page1) - o,
                          "{\"value\":[{\"id\":\"" RGP "node-1\",\"name\":\"node-1\"}");
    for (int i = 0; i < 6; i++)
        o += (size_t)snprintf(page1 + o, sizeof(page1) - o,
                              ",{\"id\":\"" RGP "vm-%d\",\"kind\":\"HCI\"}", i);
    snprintf(page1 + o, sizeof(page1) - o, "],\"nextLink\":\"" EP "/machines-p2\"}");
    o = 0;
    o += (size_t)snprintf(page2 + o, sizeof(page2) - o,
                          "{\"value\":[{\"id\":\"" RGP "node-2\",\"kind\":\"AVS\"}");
    for (int i = 6; i < 12; i++)
        o += (size_t)snprintf(page2 + o, sizeof(page2) - o,
                              ",{\"id\":\"" RGP "vm-%d\",\"kind\":\"hci\"}", i);
    snprintf(page2 + o, sizeof(page2) - o, "]}");
    for (int i = 0; i < 12; i++) {
        snprintf(vm_urls[i], sizeof(vm_urls[i]), "/machines/vm-%d/providers", i);
        snprintf(vm_bodies[i], sizeof(vm_bodies[i]),
                 "{\"id\":\"" RGP "vm-%d/providers/Microsoft.AzureStackHCI/"
                 "virtualMachineInstances/default\",\"properties\":{}}",
                 i);
    }
}

static size_t fallback_replies(struct fake_reply *r, int graph_status)
{
    build_machine_pages();
    size_t n = 0;
    r[n++] = (struct fake_reply){
        .method = "POST", .status = graph_status,
        .body = "{\"error\":{\"code\":\"ResourceNotFound\",\"message\":\"no Graph here\"}}"};
    r[n++] = (struct fake_reply){.method = "GET",
                                 .url_has = "/resourceGroups/rg/providers/Microsoft.HybridCompute/"
                                            "machines?api-version=2024-07-10",
                                 .status = 200, .body = page1, .delay_ms = 10};
    r[n++] = (struct fake_reply){.method = "GET", .url_has = "/machines-p2", .status = 200,
                                 .body = page2, .delay_ms = 500};
    for (int i = 0; i < 12; i++) {
        struct fake_reply x = {.method = "GET", .url_has = vm_urls[i], .status = 200,
                               .body = vm_bodies[i], .delay_ms = 100};
        if (i == 3)
            x.status = 404, x.body = "{\"error\":{\"code\":\"ResourceNotFound\"}}";
        if (i == 7)
            x.status = 500, x.times = -1,
            x.body = "{\"error\":{\"code\":\"InternalError\",\"message\":\"boom\"}}";
        r[n++] = x;
    }
    return n;
}

static void test_fallback_to_machines(void **state)
{
    (void)state;
    static struct fake_reply replies[32];
    size_t n = fallback_replies(replies, 404);
    struct env e;
    env_open(&e, replies, n);
    struct gp_error err;
    struct fleet_options o = {.parallel = 3};
    assert_int_equal(fleet_list(e.arm, "s1", "rg", &o, on_rows, on_done, &e.res, NULL, &err),
                     GP_OK);
    assert_int_equal(loop_run(e.loop), GP_OK);
    assert_int_equal(e.res.done_calls, 1);
    assert_false(e.res.failed);
    assert_int_equal(e.fake.unmatched, 0);
    assert_int_equal(e.res.stats.source, FLEET_VIA_MACHINES);
    assert_int_equal(e.res.stats.graph_error.http_status, 404);
    assert_int_equal(e.res.stats.machines, 14);
    assert_int_equal(e.res.stats.not_vms, 2);
    assert_int_equal(e.res.stats.without_instance, 1);
    assert_int_equal(e.res.stats.failed, 1);
    assert_int_equal(e.res.stats.vms, 10);
    assert_string_equal(e.res.stats.first_failure.message,
                        "500 InternalError: boom (after 3 retries)");
    assert_int_equal(e.res.row_calls, 10); /* one by one, as they arrive */
    assert_null(strstr(e.res.names, "node"));
    assert_non_null(strstr(e.res.names, "vm-0 vm-1 vm-2"));
    /* Bounded parallelism: 3 VM GETs, plus at most the next page request. */
    assert_true(e.fake.max_in_flight >= 3);
    assert_true(e.fake.max_in_flight <= 4);
    /* VM GETs ask for the instance with the VM api-version. */
    bool seen = false;
    for (size_t i = 0; i < e.fake.n_seen; i++)
        if (str_eq(e.fake.seen[i].url,
                   EP VMI_OF("vm-0") "?api-version=2025-09-01-preview"))
            seen = true;
    assert_true(seen);
    env_close(&e);
}

static void test_no_fallback_on_server_error(void **state)
{
    (void)state;
    static const struct fake_reply replies[] = {
        {.method = "POST", .status = 500, .times = -1,
         .body = "{\"error\":{\"code\":\"InternalServerError\",\"message\":\"Graph down\"}}"},
    };
    struct env e;
    env_open(&e, replies, 1);
    struct gp_error err;
    assert_int_equal(
        fleet_list(e.arm, "s1", NULL, NULL, on_rows, on_done, &e.res, NULL, &err), GP_OK);
    assert_int_equal(loop_run(e.loop), GP_OK);
    assert_true(e.res.failed);
    assert_int_equal(e.res.err.http_status, 500);
    assert_string_equal(e.res.err.message, "Resource Graph page 1: 500 InternalServerError: "
                                           "Graph down (after 3 retries)");
    assert_int_equal(e.fake.n_seen, 4); /* 500 is retried for the Graph POST, then given up */
    env_close(&e);
}

static void test_subscription_scope_and_machine_errors(void **state)
{
    (void)state;
    static const struct fake_reply replies[] = {
        {.method = "GET",
         .url_has = "/subscriptions/s1/providers/Microsoft.HybridCompute/machines?api-version=",
         .status = 403,
         .body = "{\"error\":{\"code\":\"AuthorizationFailed\",\"message\":\"no read\"}}"},
    };
    struct env e;
    env_open(&e, replies, 1);
    struct gp_error err;
    struct fleet_options o = {.skip_graph = true};
    assert_int_equal(fleet_list(e.arm, "s1", NULL, &o, on_rows, on_done, &e.res, NULL, &err),
                     GP_OK);
    assert_int_equal(loop_run(e.loop), GP_OK);
    assert_true(e.res.failed);
    assert_int_equal(e.res.err.status, GP_E_AUTH);
    assert_string_equal(e.res.err.message, "list page 1: 403 AuthorizationFailed: no read");
    env_close(&e);
}

static void test_names_checked(void **state)
{
    (void)state;
    struct env e;
    env_open(&e, NULL, 0);
    struct gp_error err;
    gp_error_clear(&err);
    assert_int_equal(fleet_list(e.arm, "s1", "rg' | project secret", NULL, on_rows, on_done,
                                &e.res, NULL, &err),
                     GP_E_INVALID);
    assert_int_equal(fleet_list(e.arm, "s1/../x", NULL, NULL, on_rows, on_done, &e.res, NULL,
                                &err),
                     GP_E_INVALID);
    assert_int_equal(fleet_list(e.arm, "", NULL, NULL, on_rows, on_done, &e.res, NULL, &err),
                     GP_E_INVALID);
    struct fleet_options o = {.vm_api_version = "x&evil=1"};
    assert_int_equal(fleet_list(e.arm, "s1", NULL, &o, on_rows, on_done, &e.res, NULL, &err),
                     GP_E_INVALID);
    assert_int_equal(loop_run(e.loop), GP_OK);
    assert_int_equal(e.res.done_calls, 0);
    assert_int_equal(e.fake.n_seen, 0);
    env_close(&e);
}

static void test_cancel_from_rows(void **state)
{
    (void)state;
    static struct fake_reply replies[32];
    size_t n = fallback_replies(replies, 400);
    struct env e;
    env_open(&e, replies, n);
    struct gp_error err;
    e.res.cancel_after = 2;
    assert_int_equal(
        fleet_list(e.arm, "s1", "rg", NULL, on_rows, on_done, &e.res, &e.res.self, &err), GP_OK);
    assert_int_equal(loop_run(e.loop), GP_OK);
    assert_int_equal(e.res.row_calls, 2);
    assert_int_equal(e.res.done_calls, 0);
    assert_int_equal(e.fake.in_flight, 0); /* every outstanding GET was canceled */
    env_close(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_graph),
        cmocka_unit_test(test_fallback_to_machines),
        cmocka_unit_test(test_no_fallback_on_server_error),
        cmocka_unit_test(test_subscription_scope_and_machine_errors),
        cmocka_unit_test(test_names_checked),
        cmocka_unit_test(test_cancel_from_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
