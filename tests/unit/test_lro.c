/* SPDX-License-Identifier: MIT
 * tests/unit/test_lro.c: long-running operations on canned replies in virtual time: which URL
 * is polled and when, Retry-After versus our own backoff, terminal states, failed operations as
 * one error line, the final GET, bounds on polls and time, and cancel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/lro.h"
#include "tests/unit/fake_http.h"

#define EP "https://arm.example"
#define VMI "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.HybridCompute/machines/" \
            "vm-1/providers/Microsoft.AzureStackHCI/virtualMachineInstances/default"
#define Q "?api-version=2025-09-01-preview"
#define OPS EP "/subscriptions/s1/providers/Microsoft.AzureStackHCI/locations/x"
#define OP OPS "/operationStatuses/op1" Q
#define LOC OPS "/operationResults/op1" Q
#define VM_OK "{\"id\":\"vm\",\"properties\":{\"provisioningState\":\"Succeeded\"}}"

static double half(void *ctx)
{
    (void)ctx;
    return 0.5;
}

struct result {
    int calls;
    bool failed;
    struct gp_error err;
    char body[512];
    char op_status[32];
    unsigned polls;
    int initial;
    uint64_t at_ms;
    struct gp_loop *loop;
};

static void on_done(void *ctx, const struct lro_result *res, const struct gp_error *err)
{
    struct result *r = ctx;
    r->calls++;
    r->failed = err != NULL;
    if (err)
        r->err = *err;
    (void)text_copy(r->body, sizeof(r->body), res->body);
    (void)text_copy(r->op_status, sizeof(r->op_status), res->operation_status);
    r->polls = res->polls;
    r->initial = res->initial_status;
    r->at_ms = loop_now_ms(r->loop);
}

struct env {
    struct gp_loop *loop;
    struct arm_client *arm;
    struct fake_http fake;
    struct result res;
};

static void env_open(struct env *e, const struct fake_reply *replies, size_t n)
{
    memset(e, 0, sizeof(*e));
    struct arm_options o = {.endpoint = EP, .jitter = half};
    assert_int_equal(fake_http_arm_open(&o, replies, n, &e->fake, &e->loop, &e->arm), GP_OK);
    e->res.loop = e->loop;
}

static void env_run(struct env *e, const char *method, const char *path, const char *body,
                    const struct lro_options *opts)
{
    struct gp_error err;
    gp_error_clear(&err);
    assert_int_equal(lro_begin(e->arm, method, path, body, body ? strlen(body) : 0, opts, on_done,
                               &e->res, NULL, &err),
                     GP_OK);
    assert_int_equal(loop_run(e->loop), GP_OK);
    assert_int_equal(e->res.calls, 1);
    assert_int_equal(e->fake.unmatched, 0);
}

static void env_close(struct env *e)
{
    arm_client_free(e->arm);
    loop_free(e->loop);
}

static void test_put_async_operation(void **state)
{
    (void)state;
    static const struct fake_reply replies[] = {
        {.method = "PUT", .status = 201, .async_op = OP, .retry_after = "1",
         .body = "{\"properties\":{\"provisioningState\":\"Accepted\"}}"},
        {.method = "GET", .url_has = "operationStatuses", .status = 200, .retry_after = "2",
         .body = "{\"status\":\"InProgress\"}"},
        {.method = "GET", .url_has = "operationStatuses", .status = 200,
         .body = "{\"status\":\"Succeeded\"}"},
        {.method = "GET", .url_has = "/default" Q, .status = 200, .body = VM_OK},
    };
    struct env e;
    env_open(&e, replies, 4);
    env_run(&e, "PUT", VMI Q, "{\"properties\":{}}", NULL);
    assert_false(e.res.failed);
    assert_int_equal(e.res.initial, 201);
    assert_string_equal(e.res.body, VM_OK);
    assert_string_equal(e.res.op_status, "Succeeded");
    assert_int_equal(e.res.polls, 2);
    assert_int_equal(e.fake.n_seen, 4);
    assert_string_equal(e.fake.seen[1].url, OP);
    assert_int_equal(e.fake.seen[1].at_ms, 1000); /* Retry-After: 1 */
    assert_int_equal(e.fake.seen[2].at_ms, 3000); /* Retry-After: 2 */
    assert_string_equal(e.fake.seen[3].url, EP VMI Q);
    assert_int_equal(e.fake.seen[3].at_ms, 3000); /* the final GET at once */
    env_close(&e);
}

static void test_patch_location_with_own_backoff(void **state)
{
    (void)state;
    static const struct fake_reply replies[] = {
        {.method = "PATCH", .status = 202, .location = LOC},
        {.method = "GET", .url_has = "operationResults", .status = 202, .times = 2},
        {.method = "GET", .url_has = "operationResults", .status = 200, .body = "{}"},
        {.method = "GET", .url_has = "/default", .status = 200, .body = VM_OK},
    };
    struct env e;
    env_open(&e, replies, 4);
    struct lro_options o = {.poll_initial_ms = 500, .poll_max_ms = 1500};
    env_run(&e, "PATCH", VMI Q, "{}", &o);
    assert_false(e.res.failed);
    assert_int_equal(e.res.polls, 3);
    assert_int_equal(e.fake.seen[1].at_ms, 500);
    assert_int_equal(e.fake.seen[2].at_ms, 500 + 1000);
    assert_int_equal(e.fake.seen[3].at_ms, 500 + 1000 + 1500); /* capped */
    assert_string_equal(e.res.body, VM_OK);
    env_close(&e);
}

static void test_post_action_then_get_vm(void **state)
{
    (void)state;
    static const struct fake_reply replies[] = {
        {.method = "POST", .url_has = "/default/stop", .status = 202, .location = LOC,
         .retry_after = "1"},
        {.method = "GET", .url_has = "operationResults", .status = 202, .retry_after = "1"},
        {.method = "GET", .url_has = "operationResults", .status = 204},
        {.method = "GET", .url_has = "/default" Q, .status = 200, .body = VM_OK},
    };
    struct env e;
    env_open(&e, replies, 4);
    struct lro_options o = {.final_path = VMI Q};
    env_run(&e, "POST", VMI "/stop" Q, NULL, &o);
    assert_false(e.res.failed);
    assert_int_equal(e.fake.n_seen, 4);
    assert_string_equal(e.fake.seen[0].url, EP VMI "/stop" Q);
    assert_string_equal(e.fake.seen[3].url, EP VMI Q);
    assert_string_equal(e.res.body, VM_OK);
    env_close(&e);
}

static void test_delete(void **state)
{
    (void)state;
    static const struct fake_reply replies[] = {
        {.method = "DELETE", .status = 202, .location = LOC, .retry_after = "1"},
        {.method = "GET", .url_has = "operationResults", .status = 204},
    };
    struct env e;
    env_open(&e, replies, 2);
    env_run(&e, "DELETE", VMI Q, NULL, NULL);
    assert_false(e.res.failed);
    assert_int_equal(e.fake.n_seen, 2); /* no final GET of a deleted resource */
    env_close(&e);

    static const struct fake_reply gone[] = {{.method = "DELETE", .status = 204}};
    env_open(&e, gone, 1);
    env_run(&e, "DELETE", VMI Q, NULL, NULL);
    assert_false(e.res.failed);
    assert_int_equal(e.res.initial, 204);
    assert_int_equal(e.fake.n_seen, 1);
    env_close(&e);
}

static void test_failed_operation(void **state)
{
    (void)state;
    static const struct fake_reply replies[] = {
        {.method = "PATCH", .status = 202, .async_op = OP, .location = LOC, .retry_after = "1"},
        {.method = "GET", .url_has = "operationStatuses", .status = 200, .request_id = "rq",
         .body = "{\"status\":\"Failed\",\"error\":{\"code\":\"GpuCapacityExceeded\","
                 "\"message\":\"No free partition on node-2.\"}}"},
    };
    struct env e;
    env_open(&e, replies, 2);
    env_run(&e, "PATCH", VMI Q, "{}", NULL);
    assert_true(e.res.failed);
    assert_int_equal(e.res.err.status, GP_E_FAILED);
    assert_string_equal(e.res.err.code, "GpuCapacityExceeded");
    assert_string_equal(e.res.err.message,
                        "operation Failed: GpuCapacityExceeded: No free partition on node-2.");
    assert_string_equal(e.res.err.request_id, "rq");
    assert_string_equal(e.fake.seen[1].url, OP); /* Azure-AsyncOperation preferred */
    env_close(&e);

    static const struct fake_reply canceled[] = {
        {.method = "PUT", .status = 201, .async_op = OP},
        {.method = "GET", .status = 200, .body = "{\"status\":\"Canceled\"}"},
    };
    env_open(&e, canceled, 2);
    env_run(&e, "PUT", VMI Q, "{}", NULL);
    assert_true(e.res.failed);
    assert_int_equal(e.res.err.status, GP_E_CANCELED);
    assert_string_equal(e.res.err.message, "operation Canceled: no error details");
    env_close(&e);
}

static void test_location_poll_error(void **state)
{
    (void)state;
    static const struct fake_reply replies[] = {
        {.method = "PATCH", .status = 202, .location = LOC, .retry_after = "1"},
        {.method = "GET", .status = 409,
         .body = "{\"error\":{\"code\":\"VmMustBeStopped\",\"message\":\"Stop it first.\"}}"},
    };
    struct env e;
    env_open(&e, replies, 2);
    env_run(&e, "PATCH", VMI Q, "{}", NULL);
    assert_true(e.res.failed);
    assert_int_equal(e.res.err.status, GP_E_RULE);
    assert_string_equal(e.res.err.message, "polling: 409 VmMustBeStopped: Stop it first.");
    env_close(&e);

    static const struct fake_reply first[] = {
        {.method = "PATCH", .status = 409,
         .body = "{\"error\":{\"code\":\"VmMustBeStopped\",\"message\":\"Stop it first.\"}}"},
    };
    env_open(&e, first, 1);
    env_run(&e, "PATCH", VMI Q, "{}", NULL);
    assert_true(e.res.failed);
    assert_string_equal(e.res.err.message, "409 VmMustBeStopped: Stop it first.");
    assert_int_equal(e.res.polls, 0);
    env_close(&e);
}

static void test_bounded(void **state)
{
    (void)state;
    static const struct fake_reply replies[] = {
        {.method = "PUT", .status = 201, .async_op = OP},
        {.method = "GET", .status = 200, .times = -1, .body = "{\"status\":\"InProgress\"}"},
    };
    struct env e;
    env_open(&e, replies, 2);
    struct lro_options o = {.max_polls = 3};
    env_run(&e, "PUT", VMI Q, "{}", &o);
    assert_true(e.res.failed);
    assert_int_equal(e.res.err.status, GP_E_TIMEOUT);
    assert_string_equal(e.res.err.message, "operation still running after 3 polls");
    assert_int_equal(e.fake.n_seen, 4);
    env_close(&e);

    static const struct fake_reply slow[] = {
        {.method = "PUT", .status = 201, .async_op = OP, .retry_after = "30"},
        {.method = "GET", .status = 200, .times = -1, .retry_after = "30",
         .body = "{\"status\":\"InProgress\"}"},
    };
    env_open(&e, slow, 2);
    struct lro_options t = {.timeout_ms = 100000};
    env_run(&e, "PUT", VMI Q, "{}", &t);
    assert_true(e.res.failed);
    assert_int_equal(e.res.err.status, GP_E_TIMEOUT);
    assert_string_equal(e.res.err.message, "operation still running after 100 s (3 polls)");
    assert_int_equal(e.res.at_ms, 90000); /* gave up without waiting past the deadline */
    env_close(&e);
}

static void test_put_polls_provisioning_state(void **state)
{
    (void)state;
    static const struct fake_reply replies[] = {
        {.method = "PUT", .status = 200,
         .body = "{\"properties\":{\"provisioningState\":\"Accepted\"}}"},
        {.method = "GET", .status = 200,
         .body = "{\"properties\":{\"provisioningState\":\"InProgress\"}}"},
        {.method = "GET", .status = 200, .body = VM_OK},
    };
    struct env e;
    env_open(&e, replies, 3);
    env_run(&e, "PUT", VMI Q, "{}", NULL);
    assert_false(e.res.failed);
    assert_string_equal(e.res.body, VM_OK);
    assert_int_equal(e.fake.n_seen, 3);
    assert_string_equal(e.fake.seen[2].url, EP VMI Q);
    env_close(&e);

    static const struct fake_reply done[] = {
        {.method = "PUT", .status = 200, .body = VM_OK},
        {.method = "GET", .status = 200, .body = VM_OK},
    };
    env_open(&e, done, 2);
    env_run(&e, "PUT", VMI Q, "{}", NULL);
    assert_false(e.res.failed);
    assert_int_equal(e.fake.n_seen, 2); /* the confirming GET */
    env_close(&e);
}

static void test_bad_answers(void **state)
{
    (void)state;
    static const struct fake_reply bare[] = {{.method = "POST", .status = 202}};
    struct env e;
    env_open(&e, bare, 1);
    env_run(&e, "POST", VMI "/start" Q, NULL, NULL);
    assert_true(e.res.failed);
    assert_string_equal(e.res.err.message,
                        "202 Accepted without Location or Azure-AsyncOperation");
    env_close(&e);

    static const struct fake_reply foreign[] = {
        {.method = "POST", .status = 202, .location = "https://evil.example/op"},
    };
    env_open(&e, foreign, 1);
    env_run(&e, "POST", VMI "/start" Q, NULL, NULL);
    assert_true(e.res.failed);
    assert_int_equal(e.res.err.status, GP_E_INVALID);
    assert_int_equal(e.fake.n_seen, 1); /* the token never went to the other host */
    env_close(&e);

    static const struct fake_reply garbage[] = {
        {.method = "PUT", .status = 201, .async_op = OP},
        {.method = "GET", .status = 200, .body = "{\"status\":"},
    };
    env_open(&e, garbage, 2);
    env_run(&e, "PUT", VMI Q, "{}", NULL);
    assert_true(e.res.failed);
    assert_int_equal(e.res.err.status, GP_E_PARSE);
    env_close(&e);
}

static void test_cancel(void **state)
{
    (void)state;
    static const struct fake_reply replies[] = {
        {.method = "PUT", .status = 201, .async_op = OP, .retry_after = "5"},
        {.method = "GET", .status = 200, .times = -1, .body = "{\"status\":\"InProgress\"}"},
    };
    struct env e;
    env_open(&e, replies, 2);
    struct gp_error err;
    struct lro *op;
    assert_int_equal(lro_begin(e.arm, "PUT", VMI Q, "{}", 2, NULL, on_done, &e.res, &op, &err),
                     GP_OK);
    while (e.fake.n_seen < 3)
        assert_int_equal(loop_run_once(e.loop, 0), GP_OK);
    lro_cancel(op);
    assert_int_equal(loop_run(e.loop), GP_OK);
    assert_int_equal(e.res.calls, 0);
    env_close(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_async_operation),
        cmocka_unit_test(test_patch_location_with_own_backoff),
        cmocka_unit_test(test_post_action_then_get_vm),
        cmocka_unit_test(test_delete),
        cmocka_unit_test(test_failed_operation),
        cmocka_unit_test(test_location_poll_error),
        cmocka_unit_test(test_bounded),
        cmocka_unit_test(test_put_polls_provisioning_state),
        cmocka_unit_test(test_bad_answers),
        cmocka_unit_test(test_cancel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
