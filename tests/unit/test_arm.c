/* SPDX-License-Identifier: MIT
 * tests/unit/test_arm.c: the ARM client on canned replies in virtual time: what the service
 * receives (URL, token, request id), retries and their waits, Retry-After, POST safety, the 401
 * refresh, error lines with ids, refused links, cancel; and the libcurl engine's URL rules and a
 * refused connection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>

#include "net/arm.h"
#include "tests/unit/fake_http.h"

#define EP "https://arm.example"
#define VMI "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.HybridCompute/machines/" \
            "vm-1/providers/Microsoft.AzureStackHCI/virtualMachineInstances/default"

static double half(void *ctx)
{
    (void)ctx;
    return 0.5;
}

/* A provider that counts its calls and hands out "tok-N". */
struct tokens {
    int calls, refreshes;
    char token[32];
    bool fail;
};

static void tokens_get(void *tctx, bool force, arm_token_cb cb, void *cb_ctx)
{
    struct tokens *t = tctx;
    t->calls++;
    if (force)
        t->refreshes++;
    if (t->fail) {
        struct gp_error e;
        gp_error_clear(&e);
        gp_error_set(&e, GP_E_AUTH, "az login needed");
        cb(cb_ctx, NULL, &e);
        return;
    }
    snprintf(t->token, sizeof(t->token), "tok-%d", t->refreshes);
    cb(cb_ctx, t->token, NULL);
}

static const struct arm_token_ops tokens_ops = {tokens_get, NULL};

struct result {
    int calls;
    int status;
    struct gp_error err;
    bool failed;
    char body[256];
    uint64_t at_ms;
    struct gp_loop *loop;
};

static void on_done(void *ctx, const struct http_response *resp, const struct gp_error *err)
{
    struct result *r = ctx;
    r->calls++;
    r->status = resp ? resp->status : 0;
    r->failed = err != NULL;
    if (err)
        r->err = *err;
    if (resp)
        (void)text_copy(r->body, sizeof(r->body), resp->body);
    r->at_ms = loop_now_ms(r->loop);
}

struct env {
    struct gp_loop *loop;
    struct arm_client *arm;
    struct fake_http fake;
    struct tokens tok;
    struct result res;
};

static void env_open(struct env *e, const struct fake_reply *replies, size_t n)
{
    memset(e, 0, sizeof(*e));
    assert_int_equal(loop_new(&e->loop), GP_OK);
    loop_use_virtual_clock(e->loop);
    struct arm_options o = {.endpoint = EP "/", .jitter = half};
    struct gp_error err;
    assert_int_equal(arm_client_new(e->loop, &o, &tokens_ops, &e->tok, &e->arm, &err), GP_OK);
    fake_http_init(&e->fake, e->loop, replies, n);
    arm_client_set_transport(e->arm, &fake_http_ops, &e->fake);
    e->res.loop = e->loop;
}

static void env_run(struct env *e, const char *method, const char *path, const char *body)
{
    struct gp_error err;
    assert_int_equal(arm_request(e->arm, method, path, body, body ? strlen(body) : 0, on_done,
                                 &e->res, NULL, &err),
                     GP_OK);
    assert_int_equal(e->res.calls, 0); /* never inline */
    assert_int_equal(loop_run(e->loop), GP_OK);
    assert_int_equal(e->res.calls, 1);
}

static void env_close(struct env *e)
{
    arm_client_free(e->arm);
    loop_free(e->loop);
}

static void test_get_sends_token_and_request_id(void **state)
{
    (void)state;
    static const struct fake_reply replies[] = {
        {.method = "GET", .url_has = "/default?api-version=", .status = 200, .body = "{\"a\":1}"},
    };
    struct env e;
    env_open(&e, replies, 1);
    env_run(&e, "GET", VMI "?api-version=2025-09-01-preview", NULL);
    assert_false(e.res.failed);
    assert_int_equal(e.res.status, 200);
    assert_string_equal(e.res.body, "{\"a\":1}");
    assert_int_equal(e.fake.n_seen, 1);
    assert_string_equal(e.fake.seen[0].url, EP VMI "?api-version=2025-09-01-preview");
    assert_string_equal(e.fake.seen[0].bearer, "tok-0");
    const char *id = e.fake.seen[0].client_request_id;
    assert_int_equal(strlen(id), 36);
    assert_int_equal(id[8], '-');
    assert_int_equal(id[14], '4'); /* version 4 GUID */
    assert_int_equal(e.fake.unmatched, 0);
    env_close(&e);
}

static void test_retries_with_backoff_then_succeeds(void **state)
{
    (void)state;
    static const struct fake_reply replies[] = {
        {.method = "GET", .status = 503, .body = "{\"error\":{\"code\":\"ServerBusy\"}}"},
        {.method = "GET", .status = 0, .sent = true},
        {.method = "GET", .status = 200, .body = "{}"},
    };
    struct env e;
    env_open(&e, replies, 3);
    env_run(&e, "GET", VMI, NULL);
    assert_false(e.res.failed);
    assert_int_equal(e.fake.n_seen, 3);
    assert_int_equal(e.fake.seen[1].at_ms, 800);        /* 0.8 s */
    assert_int_equal(e.fake.seen[2].at_ms, 800 + 1600); /* then 1.6 s */
    /* One logical request: the same client request id on every attempt. */
    assert_string_equal(e.fake.seen[0].client_request_id, e.fake.seen[2].client_request_id);
    env_close(&e);
}

static void test_retry_after_wins(void **state)
{
    (void)state;
    static const struct fake_reply replies[] = {
        {.method = "PUT", .status = 429, .retry_after = "7"},
        {.method = "PUT", .status = 200, .body = "{}"},
    };
    struct env e;
    env_open(&e, replies, 2);
    env_run(&e, "PUT", VMI, "{\"properties\":{}}");
    assert_false(e.res.failed);
    assert_int_equal(e.fake.seen[1].at_ms, 7000);
    assert_string_equal(e.fake.seen[1].body, "{\"properties\":{}}");
    env_close(&e);
}

static void test_retries_exhausted_error_line(void **state)
{
    (void)state;
    static const struct fake_reply replies[] = {
        {.method = "GET", .status = 503, .times = -1, .request_id = "req-9",
         .body = "{\"error\":{\"code\":\"ServerBusy\",\"message\":\"Try later.\"}}"},
    };
    struct env e;
    env_open(&e, replies, 1);
    env_run(&e, "GET", VMI, NULL);
    assert_true(e.res.failed);
    assert_int_equal(e.fake.n_seen, 4); /* first try + 3 retries */
    assert_int_equal(e.res.err.status, GP_E_HTTP);
    assert_int_equal(e.res.err.http_status, 503);
    assert_string_equal(e.res.err.code, "ServerBusy");
    assert_string_equal(e.res.err.message, "503 ServerBusy: Try later. (after 3 retries)");
    assert_string_equal(e.res.err.request_id, "req-9");
    assert_string_equal(e.res.err.client_request_id, e.fake.seen[0].client_request_id);
    assert_int_equal(e.res.at_ms, 800 + 1600 + 3200);
    env_close(&e);
}

static void test_post_is_not_repeated_after_sending(void **state)
{
    (void)state;
    static const struct fake_reply replies[] = {
        {.method = "POST", .status = 502},
        {.method = "POST", .status = 200},
    };
    struct env e;
    env_open(&e, replies, 2);
    env_run(&e, "POST", VMI "/stop", NULL);
    assert_true(e.res.failed);
    assert_int_equal(e.fake.n_seen, 1);
    assert_string_equal(e.res.err.message, "502 Bad Gateway");
    env_close(&e);

    static const struct fake_reply lost[] = {
        {.method = "POST", .status = 0, .sent = true},
        {.method = "POST", .status = 202},
    };
    env_open(&e, lost, 2);
    env_run(&e, "POST", VMI "/stop", NULL);
    assert_true(e.res.failed);
    assert_int_equal(e.res.err.status, GP_E_NETWORK);
    assert_int_equal(e.fake.n_seen, 1);
    env_close(&e);

    static const struct fake_reply refused[] = {
        {.method = "POST", .status = 0, .sent = false},
        {.method = "POST", .status = 503},
        {.method = "POST", .status = 202},
    };
    env_open(&e, refused, 3);
    env_run(&e, "POST", VMI "/stop", NULL);
    assert_false(e.res.failed);
    assert_int_equal(e.res.status, 202);
    assert_int_equal(e.fake.n_seen, 3);
    env_close(&e);
}

static void test_401_refreshes_once(void **state)
{
    (void)state;
    static const struct fake_reply replies[] = {
        {.method = "GET", .status = 401,
         .body = "{\"error\":{\"code\":\"ExpiredAuthenticationToken\",\"message\":\"expired\"}}"},
        {.method = "GET", .status = 200, .body = "{}"},
    };
    struct env e;
    env_open(&e, replies, 2);
    env_run(&e, "GET", VMI, NULL);
    assert_false(e.res.failed);
    assert_int_equal(e.tok.refreshes, 1);
    assert_string_equal(e.fake.seen[0].bearer, "tok-0");
    assert_string_equal(e.fake.seen[1].bearer, "tok-1");
    env_close(&e);

    static const struct fake_reply twice[] = {
        {.method = "GET", .status = 401, .times = -1,
         .body = "{\"error\":{\"code\":\"InvalidAuthenticationToken\",\"message\":\"bad\"}}"},
    };
    env_open(&e, twice, 1);
    env_run(&e, "GET", VMI, NULL);
    assert_true(e.res.failed);
    assert_int_equal(e.fake.n_seen, 2);
    assert_int_equal(e.res.err.status, GP_E_AUTH);
    assert_string_equal(e.res.err.message, "401 InvalidAuthenticationToken: bad (after 1 retry)");
    /* The token is nowhere in the error. */
    assert_null(strstr(e.res.err.message, "tok-"));
    env_close(&e);
}

static void test_token_failure(void **state)
{
    (void)state;
    struct env e;
    env_open(&e, NULL, 0);
    e.tok.fail = true;
    env_run(&e, "GET", VMI, NULL);
    assert_true(e.res.failed);
    assert_int_equal(e.res.err.status, GP_E_AUTH);
    assert_string_equal(e.res.err.message, "no access token: az login needed");
    assert_int_equal(e.fake.n_seen, 0);
    env_close(&e);
}

static void test_foreign_links_refused(void **state)
{
    (void)state;
    struct env e;
    env_open(&e, NULL, 0);
    struct gp_error err;
    gp_error_clear(&err);
    char *u = NULL;
    assert_int_equal(arm_url(e.arm, "https://evil.example/x", &u, &err), GP_E_INVALID);
    assert_null(u);
    assert_int_equal(arm_url(e.arm, "https://arm.example.evil.com/x", &u, &err), GP_E_INVALID);
    assert_int_equal(arm_url(e.arm, "http://arm.example/x", &u, &err), GP_E_INVALID);
    assert_int_equal(arm_url(e.arm, "relative", &u, &err), GP_E_INVALID);
    assert_int_equal(arm_url(e.arm, "https://ARM.example/op?x=1", &u, &err), GP_OK);
    assert_string_equal(u, "https://ARM.example/op?x=1");
    free(u);
    assert_int_equal(arm_request(e.arm, "GET", "https://evil.example/", NULL, 0, on_done, &e.res,
                                 NULL, &err),
                     GP_E_INVALID);
    assert_int_equal(e.fake.n_seen, 0);
    env_close(&e);

    struct gp_loop *l;
    assert_int_equal(loop_new(&l), GP_OK);
    struct arm_client *c = NULL;
    struct arm_options o = {.endpoint = "http://arm.example"};
    assert_int_equal(arm_client_new(l, &o, &arm_static_token_ops, NULL, &c, &err), GP_E_INVALID);
    assert_null(c);
    assert_string_equal(err.message,
                        "ARM endpoint: plain http:// is only allowed to loopback hosts; use "
                        "https://");
    loop_free(l);
}

static void test_error_mapping(void **state)
{
    (void)state;
    static const struct fake_reply replies[] = {
        {.method = "PATCH", .status = 409, .request_id = "r-1",
         .body = "{\"error\":{\"code\":\"VmMustBeStopped\",\"message\":\"Stop the VM first.\"}}"},
    };
    struct env e;
    env_open(&e, replies, 1);
    env_run(&e, "PATCH", VMI, "{}");
    assert_true(e.res.failed);
    assert_int_equal(e.res.err.status, GP_E_RULE);
    assert_string_equal(e.res.err.message, "409 VmMustBeStopped: Stop the VM first.");
    assert_string_equal(e.res.err.code, "VmMustBeStopped");
    assert_string_equal(e.res.err.request_id, "r-1");
    assert_int_equal(e.res.status, 409);
    env_close(&e);
}

static void test_cancel_during_backoff(void **state)
{
    (void)state;
    static const struct fake_reply replies[] = {
        {.method = "GET", .status = 503, .times = -1},
    };
    struct env e;
    env_open(&e, replies, 1);
    struct gp_error err;
    struct arm_call *call;
    assert_int_equal(arm_request(e.arm, "GET", VMI, NULL, 0, on_done, &e.res, &call, &err),
                     GP_OK);
    /* pass 1 starts the call, pass 2 delivers the 503 and arms the 800 ms retry timer */
    for (int i = 0; i < 2; i++)
        assert_int_equal(loop_run_once(e.loop, 0), GP_OK);
    assert_int_equal(e.fake.n_seen, 1);
    assert_int_equal(loop_next_timer_ms(e.loop), 800);
    arm_cancel(call);
    assert_int_equal(loop_run(e.loop), GP_OK);
    assert_int_equal(e.res.calls, 0);
    assert_int_equal(e.fake.n_seen, 1);
    /* Cancel while the transfer is in flight, and free the client with calls running. */
    assert_int_equal(arm_request(e.arm, "GET", VMI, NULL, 0, on_done, &e.res, &call, &err),
                     GP_OK);
    assert_int_equal(loop_run_once(e.loop, 0), GP_OK);
    arm_cancel(call);
    assert_int_equal(arm_request(e.arm, "GET", VMI, NULL, 0, on_done, &e.res, NULL, &err),
                     GP_OK);
    assert_int_equal(loop_run_once(e.loop, 0), GP_OK);
    env_close(&e);
    assert_int_equal(e.res.calls, 0);
}

static void test_url_rules(void **state)
{
    (void)state;
    assert_true(http_url_allowed("https://management.azure.com/x", NULL, 0));
    assert_true(http_url_allowed("http://127.0.0.1:8080/x", NULL, 0));
    assert_true(http_url_allowed("http://localhost:1/", NULL, 0));
    assert_true(http_url_allowed("http://[::1]:9/", NULL, 0));
    assert_false(http_url_allowed("http://127.0.0.1.evil.com/", NULL, 0));
    assert_false(http_url_allowed("http://example.com/", NULL, 0));
    assert_false(http_url_allowed("ftp://127.0.0.1/", NULL, 0));
    assert_false(http_url_allowed("not a url", NULL, 0));
    assert_false(http_url_allowed(NULL, NULL, 0));
}

struct raw {
    int calls;
    struct http_response r;
    char crid[64];
    char wwwauth[64];
};

static void on_raw(void *ctx, const struct http_response *resp)
{
    struct raw *x = ctx;
    x->calls++;
    x->r.status = resp->status;
    x->r.transport = resp->transport;
    x->r.request_sent = resp->request_sent;
    memcpy(x->r.error, resp->error, sizeof(x->r.error));
    (void)text_copy(x->crid, sizeof(x->crid), resp->client_request_id);
    (void)text_copy(x->wwwauth, sizeof(x->wwwauth),
                    resp->www_authenticate ? resp->www_authenticate : "");
}

/* The real libcurl transport: a refused connection on loopback is a transport failure that
 * never reached the server, and a plain-http remote URL is refused without any I/O. */
static void test_curl_refused_connection(void **state)
{
    (void)state;
    struct gp_loop *l;
    assert_int_equal(loop_new(&l), GP_OK);
    struct http_client *c;
    assert_int_equal(http_client_new(l, NULL, &c), GP_OK);
    struct raw x = {0};
    struct http_request req = {.method = "POST", .url = "http://127.0.0.1:1/stop",
                               .bearer = "secret-token", .client_request_id = "crid-1"};
    assert_int_equal(http_send(c, &req, on_raw, &x, NULL), GP_OK);
    while (x.calls == 0)
        assert_int_equal(loop_run_once(l, 1000), GP_OK);
    assert_int_equal(x.r.status, 0);
    assert_int_equal(x.r.transport, GP_E_NETWORK);
    assert_false(x.r.request_sent);
    assert_string_equal(x.crid, "crid-1");
    assert_null(strstr(x.r.error, "secret"));

    struct raw y = {0};
    struct http_request bad = {.method = "GET", .url = "http://example.com/"};
    assert_int_equal(http_send(c, &bad, on_raw, &y, NULL), GP_OK);
    assert_int_equal(y.calls, 0);
    while (y.calls == 0)
        assert_int_equal(loop_run_once(l, 1000), GP_OK);
    assert_int_equal(y.r.transport, GP_E_INVALID);
    assert_string_equal(y.r.error, "plain http:// is only allowed to loopback hosts; use https://");
    http_client_free(c);
    loop_free(l);
}

/* --- the libcurl transport against a local HTTP server ----------------------------------- */

struct server {
    struct MHD_Daemon *d;
    unsigned short port;
    int hits;
    int busy_left;
    char auth[128], crid[64], agent[64], method[16], body[256], metadata[16];
    char *big;
};

static enum MHD_Result serve(void *cls, struct MHD_Connection *con, const char *url,
                             const char *method, const char *version, const char *upload,
                             size_t *upload_size, void **con_cls)
{
    struct server *s = cls;
    (void)version;
    if (!*con_cls) {
        *con_cls = s;
        s->body[0] = '\0';
        return MHD_YES;
    }
    if (*upload_size) {
        size_t have = strlen(s->body), n = *upload_size;
        if (n > sizeof(s->body) - 1 - have)
            n = sizeof(s->body) - 1 - have;
        memcpy(s->body + have, upload, n);
        s->body[have + n] = '\0';
        *upload_size = 0;
        return MHD_YES;
    }
    s->hits++;
    const char *v;
    v = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Authorization");
    (void)text_copy(s->auth, sizeof(s->auth), v ? v : "");
    v = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "x-ms-client-request-id");
    (void)text_copy(s->crid, sizeof(s->crid), v ? v : "");
    v = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "User-Agent");
    (void)text_copy(s->agent, sizeof(s->agent), v ? v : "");
    (void)text_copy(s->method, sizeof(s->method), method);
    v = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Metadata");
    (void)text_copy(s->metadata, sizeof(s->metadata), v ? v : "");
    struct MHD_Response *r;
    unsigned code = 200;
    if (str_eq(url, "/identity")) {
        r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        MHD_add_response_header(r, "WWW-Authenticate", "Basic realm=/var/opt/azcmagent/t.key");
        code = 401;
    } else if (str_eq(url, "/big")) {
        r = MHD_create_response_from_buffer(9u * 1024u * 1024u, s->big, MHD_RESPMEM_PERSISTENT);
    } else if (str_eq(url, "/busy") && s->busy_left > 0) {
        s->busy_left--;
        static char busy[] = "{\"error\":{\"code\":\"ServerBusy\",\"message\":\"wait\"}}";
        r = MHD_create_response_from_buffer(strlen(busy), busy, MHD_RESPMEM_PERSISTENT);
        MHD_add_response_header(r, "Retry-After", "0");
        code = 503;
    } else {
        static char ok[] = "{\"ok\":true}";
        r = MHD_create_response_from_buffer(strlen(ok), ok, MHD_RESPMEM_PERSISTENT);
        MHD_add_response_header(r, "Location", "http://127.0.0.1/op?x=1");
        MHD_add_response_header(r, "Azure-AsyncOperation", "http://127.0.0.1/async");
        MHD_add_response_header(r, "Retry-After", "3");
        MHD_add_response_header(r, "x-ms-request-id", "srv-req");
        MHD_add_response_header(r, "x-ms-correlation-request-id", "srv-corr");
        MHD_add_response_header(r, "Content-Type", "application/json; charset=utf-8");
        code = str_eq(method, "PUT") ? 201 : 200;
    }
    enum MHD_Result ret = MHD_queue_response(con, code, r);
    MHD_destroy_response(r);
    return ret;
}

static void server_start(struct server *s)
{
    memset(s, 0, sizeof(*s));
    s->big = malloc(9u * 1024u * 1024u);
    assert_non_null(s->big);
    memset(s->big, 'x', 9u * 1024u * 1024u);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* loopback only, any free port */
    s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, serve, s,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_END);
    assert_non_null(s->d);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    assert_non_null(info);
    s->port = info->port;
}

static void server_stop(struct server *s)
{
    MHD_stop_daemon(s->d);
    free(s->big);
}

struct full {
    int calls;
    int status;
    bool failed;
    struct gp_error err;
    char body[64], location[64], async_op[64], request_id[32], ctype[64];
    int64_t retry_after_ms;
    struct arm_client *arm;
};

static void on_full(void *ctx, const struct http_response *resp, const struct gp_error *err)
{
    struct full *f = ctx;
    f->calls++;
    f->failed = err != NULL;
    if (err)
        f->err = *err;
    if (!resp)
        return;
    f->status = resp->status;
    (void)text_copy(f->body, sizeof(f->body), resp->body);
    (void)text_copy(f->location, sizeof(f->location), resp->location ? resp->location : "");
    (void)text_copy(f->async_op, sizeof(f->async_op),
                    resp->async_operation ? resp->async_operation : "");
    (void)text_copy(f->request_id, sizeof(f->request_id), resp->request_id ? resp->request_id : "");
    (void)text_copy(f->ctype, sizeof(f->ctype), resp->content_type ? resp->content_type : "");
    f->retry_after_ms = arm_retry_after_ms(f->arm, resp);
}

static void run_until(struct gp_loop *l, const int *calls)
{
    for (int i = 0; i < 10000 && *calls == 0; i++)
        assert_int_equal(loop_run_once(l, 1000), GP_OK);
    assert_int_equal(*calls, 1);
}

static void test_curl_against_local_server(void **state)
{
    (void)state;
    struct server s;
    server_start(&s);
    struct gp_loop *l;
    assert_int_equal(loop_new(&l), GP_OK);
    char ep[64];
    snprintf(ep, sizeof(ep), "http://127.0.0.1:%u", s.port);
    struct arm_options o = {.endpoint = ep};
    struct arm_client *arm;
    struct gp_error err;
    assert_int_equal(
        arm_client_new(l, &o, &arm_static_token_ops, (void *)"sekrit", &arm, &err), GP_OK);

    /* What the server receives, and what comes back. */
    struct full f = {.arm = arm};
    const char *body = "{\"properties\":{\"hardwareProfile\":{}}}";
    assert_int_equal(arm_request(arm, "PUT", "/vm?api-version=1", body, strlen(body), on_full, &f,
                                 NULL, &err),
                     GP_OK);
    run_until(l, &f.calls);
    assert_false(f.failed);
    assert_int_equal(f.status, 201);
    assert_string_equal(s.method, "PUT");
    assert_string_equal(s.body, body);
    assert_string_equal(s.auth, "Bearer sekrit");
    assert_string_equal(s.agent, "gpup/0.1");
    assert_int_equal(strlen(s.crid), 36);
    assert_string_equal(f.body, "{\"ok\":true}");
    assert_string_equal(f.location, "http://127.0.0.1/op?x=1");
    assert_string_equal(f.async_op, "http://127.0.0.1/async");
    assert_string_equal(f.request_id, "srv-req");
    assert_string_equal(f.ctype, "application/json; charset=utf-8");
    assert_int_equal(f.retry_after_ms, 3000);

    /* POST without a body still works (actions). */
    struct full p = {.arm = arm};
    assert_int_equal(arm_request(arm, "POST", "/vm/stop", NULL, 0, on_full, &p, NULL, &err),
                     GP_OK);
    run_until(l, &p.calls);
    assert_false(p.failed);
    assert_string_equal(s.method, "POST");

    /* A 503 with Retry-After: 0 is retried at once, with the same request id. */
    s.busy_left = 1;
    struct full b = {.arm = arm};
    int hits = s.hits;
    assert_int_equal(arm_request(arm, "GET", "/busy", NULL, 0, on_full, &b, NULL, &err), GP_OK);
    run_until(l, &b.calls);
    assert_false(b.failed);
    assert_int_equal(s.hits, hits + 2);

    /* An answer past 8 MiB is cut off and refused, not retried. */
    struct full g = {.arm = arm};
    hits = s.hits;
    assert_int_equal(arm_request(arm, "GET", "/big", NULL, 0, on_full, &g, NULL, &err), GP_OK);
    run_until(l, &g.calls);
    assert_true(g.failed);
    assert_int_equal(g.err.status, GP_E_TOO_LARGE);
    assert_string_equal(g.err.message, "answer larger than 8 MiB");
    assert_int_equal(s.hits, hits + 1);

    /* Extra headers (login endpoints) are sent; WWW-Authenticate comes back. */
    struct http_client *hc;
    assert_int_equal(http_client_new(l, NULL, &hc), GP_OK);
    char url[96];
    snprintf(url, sizeof(url), "http://localhost:%u/identity", s.port);
    const struct http_header hdrs[] = {{"Metadata", "true"}, {"Authorization", "Basic abc"}};
    struct http_request req = {.method = "GET", .url = url, .headers = hdrs, .n_headers = 2};
    struct raw x = {0};
    assert_int_equal(http_send(hc, &req, on_raw, &x, NULL), GP_OK);
    run_until(l, &x.calls);
    assert_int_equal(x.r.status, 401);
    assert_string_equal(x.wwwauth, "Basic realm=/var/opt/azcmagent/t.key");
    assert_string_equal(s.metadata, "true");
    assert_string_equal(s.auth, "Basic abc");
    /* A line break in a header value is refused before anything is sent. */
    const struct http_header evil[] = {{"Metadata", "true\r\nX-Evil: 1"}};
    struct http_request bad = {.method = "GET", .url = url, .headers = evil, .n_headers = 1};
    struct raw y = {0};
    hits = s.hits;
    assert_int_equal(http_send(hc, &bad, on_raw, &y, NULL), GP_OK);
    run_until(l, &y.calls);
    assert_int_equal(y.r.transport, GP_E_INVALID);
    assert_string_equal(y.r.error, "invalid header");
    assert_int_equal(s.hits, hits);
    http_client_free(hc);

    arm_client_free(arm);
    loop_free(l);
    server_stop(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_sends_token_and_request_id),
        cmocka_unit_test(test_retries_with_backoff_then_succeeds),
        cmocka_unit_test(test_retry_after_wins),
        cmocka_unit_test(test_retries_exhausted_error_line),
        cmocka_unit_test(test_post_is_not_repeated_after_sending),
        cmocka_unit_test(test_401_refreshes_once),
        cmocka_unit_test(test_token_failure),
        cmocka_unit_test(test_foreign_links_refused),
        cmocka_unit_test(test_error_mapping),
        cmocka_unit_test(test_cancel_during_backoff),
        cmocka_unit_test(test_url_rules),
        cmocka_unit_test(test_curl_refused_connection),
        cmocka_unit_test(test_curl_against_local_server),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
