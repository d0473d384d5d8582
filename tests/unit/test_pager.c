/* SPDX-License-Identifier: MIT
 * tests/unit/test_pager.c: nextLink paging (empty pages, null links, bounds, foreign links),
 * Resource Graph paging by $skipToken (the POST bodies the service receives), page errors,
 * cancel from inside the items callback, and the page parsers of model/armjson. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/armjson.h"
#include "net/pager.h"
#include "tests/unit/fake_http.h"

#define EP "https://arm.example"
#define LIST "/subscriptions/s1/providers/Microsoft.HybridCompute/machines?api-version=2024-07-10"

struct result {
    int item_calls, done_calls;
    char items[1024];
    unsigned pages;
    size_t n_items;
    bool failed;
    struct gp_error err;
    struct pager *self;
    bool cancel_in_callback;
};

static void on_items(void *ctx, const char *const *items, size_t n)
{
    struct result *r = ctx;
    r->item_calls++;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(r->items);
        snprintf(r->items + len, sizeof(r->items) - len, "%s%s", len ? "|" : "", items[i]);
    }
    if (r->cancel_in_callback)
        pager_cancel(r->self);
}

static void on_done(void *ctx, unsigned pages, size_t items, const struct gp_error *err)
{
    struct result *r = ctx;
    r->done_calls++;
    r->pages = pages;
    r->n_items = items;
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

static void env_open(struct env *e, const struct fake_reply *replies, size_t n)
{
    memset(e, 0, sizeof(*e));
    struct arm_options o = {.endpoint = EP};
    assert_int_equal(fake_http_arm_open(&o, replies, n, &e->fake, &e->loop, &e->arm), GP_OK);
}

static void env_close(struct env *e)
{
    arm_client_free(e->arm);
    loop_free(e->loop);
}

static void test_follows_next_links(void **state)
{
    (void)state;
    static const struct fake_reply replies[] = {
        {.method = "GET", .url_has = "machines?api", .status = 200,
         .body = "{\"value\":[{\"id\":\"a\"},{\"id\":\"b\"}],\"nextLink\":\"" EP "/next?p=2\"}"},
        {.method = "GET", .url_has = "/next?p=2", .status = 200,
         .body = "{\"value\":[],\"nextLink\":\"" EP "/next?p=3\"}"},
        {.method = "GET", .url_has = "/next?p=3", .status = 200,
         .body = "{\"value\":[{\"id\":\"c\"}, 7, \"x\"],\"nextLink\":null}"},
    };
    struct env e;
    env_open(&e, replies, 3);
    struct gp_error err;
    assert_int_equal(pager_list(e.arm, LIST, NULL, on_items, on_done, &e.res, NULL, &err), GP_OK);
    assert_int_equal(e.res.done_calls, 0);
    assert_int_equal(loop_run(e.loop), GP_OK);
    assert_int_equal(e.res.done_calls, 1);
    assert_false(e.res.failed);
    assert_int_equal(e.res.item_calls, 2); /* the empty page delivers nothing */
    assert_string_equal(e.res.items, "{\"id\":\"a\"}|{\"id\":\"b\"}|{\"id\":\"c\"}");
    assert_int_equal(e.res.pages, 3);
    assert_int_equal(e.res.n_items, 3);
    assert_int_equal(e.fake.n_seen, 3);
    assert_string_equal(e.fake.seen[0].url, EP LIST);
    assert_string_equal(e.fake.seen[2].url, EP "/next?p=3");
    env_close(&e);
}

static void test_bounds(void **state)
{
    (void)state;
    static const struct fake_reply loop_for_ever[] = {
        {.method = "GET", .status = 200, .times = -1,
         .body = "{\"value\":[{\"id\":\"a\"}],\"nextLink\":\"" EP "/again\"}"},
    };
    struct env e;
    env_open(&e, loop_for_ever, 1);
    struct gp_error err;
    struct pager_options o = {.max_pages = 3};
    assert_int_equal(pager_list(e.arm, LIST, &o, on_items, on_done, &e.res, NULL, &err), GP_OK);
    assert_int_equal(loop_run(e.loop), GP_OK);
    assert_true(e.res.failed);
    assert_int_equal(e.res.err.status, GP_E_TOO_LARGE);
    assert_string_equal(e.res.err.message, "more than 3 pages");
    assert_int_equal(e.fake.n_seen, 3);
    env_close(&e);

    env_open(&e, loop_for_ever, 1);
    struct pager_options oi = {.max_items = 2};
    assert_int_equal(pager_list(e.arm, LIST, &oi, on_items, on_done, &e.res, NULL, &err), GP_OK);
    assert_int_equal(loop_run(e.loop), GP_OK);
    assert_true(e.res.failed);
    assert_string_equal(e.res.err.message, "list page 3: more than 2 items");
    assert_int_equal(e.res.n_items, 2);
    env_close(&e);
}

static void test_page_errors(void **state)
{
    (void)state;
    static const struct fake_reply replies[] = {
        {.method = "GET", .url_has = "machines?api", .status = 200,
         .body = "{\"value\":[{\"id\":\"a\"}],\"nextLink\":\"" EP "/n2\"}"},
        {.method = "GET", .url_has = "/n2", .status = 200, .body = "{\"value\":[{\"id\""},
    };
    struct env e;
    env_open(&e, replies, 2);
    struct gp_error err;
    assert_int_equal(pager_list(e.arm, LIST, NULL, on_items, on_done, &e.res, NULL, &err), GP_OK);
    assert_int_equal(loop_run(e.loop), GP_OK);
    assert_true(e.res.failed);
    assert_int_equal(e.res.err.status, GP_E_PARSE);
    assert_non_null(strstr(e.res.err.message, "list page 2: malformed JSON"));
    assert_int_equal(e.res.n_items, 1); /* the first page was delivered */
    env_close(&e);

    static const struct fake_reply foreign[] = {
        {.method = "GET", .status = 200,
         .body = "{\"value\":[],\"nextLink\":\"https://evil.example/steal\"}"},
    };
    env_open(&e, foreign, 1);
    assert_int_equal(pager_list(e.arm, LIST, NULL, on_items, on_done, &e.res, NULL, &err), GP_OK);
    assert_int_equal(loop_run(e.loop), GP_OK);
    assert_true(e.res.failed);
    assert_int_equal(e.res.err.status, GP_E_INVALID);
    assert_int_equal(e.fake.n_seen, 1);
    env_close(&e);

    static const struct fake_reply notfound[] = {
        {.method = "GET", .status = 404,
         .body = "{\"error\":{\"code\":\"SubscriptionNotFound\",\"message\":\"nope\"}}"},
    };
    env_open(&e, notfound, 1);
    assert_int_equal(pager_list(e.arm, LIST, NULL, on_items, on_done, &e.res, NULL, &err), GP_OK);
    assert_int_equal(loop_run(e.loop), GP_OK);
    assert_int_equal(e.res.err.status, GP_E_NOT_FOUND);
    assert_string_equal(e.res.err.message, "list page 1: 404 SubscriptionNotFound: nope");
    env_close(&e);
}

static void test_graph_skip_token(void **state)
{
    (void)state;
    static const struct fake_reply replies[] = {
        {.method = "POST", .url_has = "Microsoft.ResourceGraph/resources?api-version=2021-03-01",
         .status = 200,
         .body = "{\"totalRecords\":3,\"count\":2,\"data\":[{\"id\":\"v1\"},{\"id\":\"v2\"}],"
                 "\"$skipToken\":\"tok2\"}"},
        {.method = "POST", .status = 200,
         .body = "{\"totalRecords\":3,\"count\":1,\"data\":[{\"id\":\"v3\"}]}"},
    };
    struct env e;
    env_open(&e, replies, 2);
    struct gp_error err;
    const char *subs[] = {"s1", "s\"2"};
    assert_int_equal(pager_graph(e.arm, subs, 2, "resources | where type =~ 'x'", NULL, on_items,
                                 on_done, &e.res, NULL, &err),
                     GP_OK);
    assert_int_equal(loop_run(e.loop), GP_OK);
    assert_false(e.res.failed);
    assert_string_equal(e.res.items, "{\"id\":\"v1\"}|{\"id\":\"v2\"}|{\"id\":\"v3\"}");
    assert_string_equal(e.fake.seen[0].body,
                        "{\"subscriptions\":[\"s1\",\"s\\\"2\"],\"query\":\"resources | where "
                        "type =~ 'x'\",\"options\":{\"resultFormat\":\"objectArray\",\"$top\":"
                        "1000}}");
    assert_non_null(strstr(e.fake.seen[1].body, "\"$skipToken\":\"tok2\""));
    env_close(&e);

    static const struct fake_reply refused[] = {
        {.method = "POST", .status = 403,
         .body = "{\"error\":{\"code\":\"AuthorizationFailed\",\"message\":\"no Graph\"}}"},
    };
    env_open(&e, refused, 1);
    assert_int_equal(pager_graph(e.arm, subs, 1, "q", NULL, on_items, on_done, &e.res, NULL, &err),
                     GP_OK);
    assert_int_equal(loop_run(e.loop), GP_OK);
    assert_true(e.res.failed);
    assert_int_equal(e.res.err.http_status, 403);
    assert_string_equal(e.res.err.code, "AuthorizationFailed");
    env_close(&e);
}

static void test_cancel_inside_callback(void **state)
{
    (void)state;
    static const struct fake_reply replies[] = {
        {.method = "GET", .status = 200, .times = -1,
         .body = "{\"value\":[{\"id\":\"a\"}],\"nextLink\":\"" EP "/again\"}"},
    };
    struct env e;
    env_open(&e, replies, 1);
    struct gp_error err;
    e.res.cancel_in_callback = true;
    assert_int_equal(
        pager_list(e.arm, LIST, NULL, on_items, on_done, &e.res, &e.res.self, &err), GP_OK);
    assert_int_equal(loop_run(e.loop), GP_OK);
    assert_int_equal(e.res.item_calls, 1);
    assert_int_equal(e.res.done_calls, 0);
    assert_int_equal(e.fake.n_seen, 1);
    /* Cancel before the first request went out. */
    e.res.cancel_in_callback = false;
    assert_int_equal(
        pager_list(e.arm, LIST, NULL, on_items, on_done, &e.res, &e.res.self, &err), GP_OK);
    pager_cancel(e.res.self);
    assert_int_equal(loop_run(e.loop), GP_OK);
    assert_int_equal(e.fake.n_seen, 1);
    env_close(&e);
}

static void test_armjson_pages(void **state)
{
    (void)state;
    struct armjson_page p;
    struct gp_error err;
    gp_error_clear(&err);
    const char *nolist = "{\"values\":[]}";
    assert_int_equal(armjson_list_parse(nolist, strlen(nolist), &p, &err), GP_E_INVALID);
    assert_string_equal(err.message, "value: missing");
    const char *wrong = "{\"value\":{}}";
    assert_int_equal(armjson_list_parse(wrong, strlen(wrong), &p, &err), GP_E_INVALID);
    const char *badlink = "{\"value\":[],\"nextLink\":5}";
    assert_int_equal(armjson_list_parse(badlink, strlen(badlink), &p, &err), GP_E_INVALID);
    assert_string_equal(err.message, "nextLink: expected a string");
    assert_int_equal(armjson_list_parse("[]", 2, &p, &err), GP_E_INVALID);
    assert_int_equal(armjson_list_parse("", 0, &p, &err), GP_E_PARSE);
    const char *empty_link = "{\"value\":[],\"nextLink\":\"\"}";
    assert_int_equal(armjson_list_parse(empty_link, strlen(empty_link), &p, &err), GP_OK);
    assert_null(p.next);
    armjson_page_cleanup(&p);
    const char *g = "{\"totalRecords\":12,\"data\":[{\"a\":1}]}";
    assert_int_equal(armjson_graph_parse(g, strlen(g), &p, &err), GP_OK);
    assert_int_equal(p.total, 12);
    assert_int_equal(p.n_items, 1);
    armjson_page_cleanup(&p);

    char *id = NULL, *kind = NULL;
    const char *m = "{\"id\":\"/x/machines/n1\",\"kind\":\"HCI\"}";
    assert_int_equal(armjson_resource_kind(m, strlen(m), &id, &kind, &err), GP_OK);
    assert_string_equal(kind, "HCI");
    free(id);
    free(kind);
    const char *noid = "{\"kind\":\"HCI\"}";
    assert_int_equal(armjson_resource_kind(noid, strlen(noid), &id, &kind, &err), GP_E_INVALID);
    assert_null(id);
    char *s = NULL;
    const char *ps = "{\"properties\":{\"provisioningState\":\"Accepted\"}}";
    assert_int_equal(armjson_provisioning_state(ps, strlen(ps), &s, &err), GP_OK);
    assert_string_equal(s, "Accepted");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_follows_next_links),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_page_errors),
        cmocka_unit_test(test_graph_skip_token),
        cmocka_unit_test(test_cancel_inside_callback),
        cmocka_unit_test(test_armjson_pages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
