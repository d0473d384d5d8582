/* SPDX-License-Identifier: MIT
 * tests/unit/test_auth_wiring.c: the provider wired as the program wires it: its login requests
 * through net/http (auth_http_transport_ops) and net/arm's token provider (auth_arm_token_ops),
 * both on canned replies in virtual time. Proves the 401 → one refresh → retry sequence end to
 * end, and that a source giving the same refused token again ends with a clear line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/arm.h"
#include "net/auth.h"
#include "net/http.h"
#include "tests/unit/fake_http.h"

#define EP "https://arm.example"
#define VMS "/subscriptions/s1/providers/Microsoft.AzureStackHCI/virtualMachineInstances"
#define SENTINEL "SENTINEL-wiring-5e1f"

static double half(void *ctx)
{
    (void)ctx;
    return 0.5;
}

struct result {
    int calls;
    int status;
    bool failed;
    struct gp_error err;
};

static void on_done(void *ctx, const struct http_response *resp, const struct gp_error *err)
{
    struct result *r = ctx;
    r->calls++;
    r->status = resp ? resp->status : 0;
    r->failed = err != NULL;
    if (err)
        r->err = *err;
}

struct env {
    struct gp_loop *loop;
    struct http_client *login_http;
    struct fake_http login;
    struct auth *auth;
    struct arm_client *arm;
    struct fake_http armf;
    struct result res;
};

static void env_open(struct env *e, const struct fake_reply *login, size_t n_login,
                     const struct fake_reply *arm, size_t n_arm, enum auth_method method)
{
    memset(e, 0, sizeof(*e));
    assert_int_equal(loop_new(&e->loop), GP_OK);
    loop_use_virtual_clock(e->loop);
    assert_int_equal(http_client_new(e->loop, NULL, &e->login_http), GP_OK);
    fake_http_init(&e->login, e->loop, login, n_login);
    http_client_set_transport(e->login_http, &fake_http_ops, &e->login);
    unsetenv("GPUP_TOKEN");
    unsetenv("IDENTITY_ENDPOINT");
    setenv("AZURE_CLIENT_SECRET", SENTINEL, 1);
    struct auth_config cfg = {
        .method = method,
        .authority = "https://login.example",
        .tenant = "contoso",
        .client_id = "app-1",
        .az_path = "",
        .keep_dumpable = true,
    };
    struct gp_error err;
    assert_int_equal(
        auth_new(e->loop, &auth_http_transport_ops, e->login_http, &cfg, &e->auth, &err), GP_OK);
    struct arm_options o = {.endpoint = EP, .jitter = half};
    assert_int_equal(arm_client_new(e->loop, &o, &auth_arm_token_ops, e->auth, &e->arm, &err),
                     GP_OK);
    fake_http_init(&e->armf, e->loop, arm, n_arm);
    arm_client_set_transport(e->arm, &fake_http_ops, &e->armf);
}

static void env_run(struct env *e)
{
    struct gp_error err;
    assert_int_equal(arm_request(e->arm, "GET", VMS, NULL, 0, on_done, &e->res, NULL, &err), GP_OK);
    assert_int_equal(loop_run(e->loop), GP_OK);
    assert_int_equal(e->res.calls, 1);
}

static void env_close(struct env *e)
{
    arm_client_free(e->arm);
    auth_free(e->auth);
    http_client_free(e->login_http);
    loop_free(e->loop);
    unsetenv("AZURE_CLIENT_SECRET");
}

#define TOK(t) "{\"token_type\":\"Bearer\",\"expires_in\":3600,\"access_token\":\"" t "\"}"

static void test_token_then_401_refresh_then_ok(void **state)
{
    (void)state;
    static const struct fake_reply login[] = {
        {.method = "POST",
         .url_has = "/contoso/oauth2/v2.0/token",
         .status = 200,
         .body = TOK("tok-a")},
        {.method = "POST",
         .url_has = "/contoso/oauth2/v2.0/token",
         .status = 200,
         .body = TOK("tok-b")},
    };
    static const struct fake_reply arm[] = {
        {.method = "GET",
         .status = 401,
         .body = "{\"error\":{\"code\":\"ExpiredAuthenticationToken\",\"message\":\"x\"}}"},
        {.method = "GET", .status = 200, .body = "{\"value\":[]}"},
    };
    struct env e;
    env_open(&e, login, 2, arm, 2, AUTH_SERVICE_PRINCIPAL);
    env_run(&e);
    assert_false(e.res.failed);
    assert_int_equal(e.res.status, 200);
    assert_int_equal(e.login.n_seen, 2);
    assert_string_equal(e.login.seen[0].url, "https://login.example/contoso/oauth2/v2.0/token");
    assert_string_equal(e.login.seen[0].bearer, ""); /* no bearer towards the login host */
    assert_non_null(strstr(e.login.seen[0].body, "grant_type=client_credentials"));
    assert_int_equal(e.armf.n_seen, 2);
    assert_string_equal(e.armf.seen[0].bearer, "tok-a");
    assert_string_equal(e.armf.seen[1].bearer, "tok-b");
    env_close(&e);
}

static void test_second_401_is_reported(void **state)
{
    (void)state;
    static const struct fake_reply login[] = {
        {.method = "POST", .status = 200, .body = TOK("tok-a")},
        {.method = "POST", .status = 200, .body = TOK("tok-b")},
        {.method = "POST", .status = 200, .body = TOK("tok-c")},
    };
    static const struct fake_reply arm[] = {
        {.method = "GET",
         .status = 401,
         .times = -1,
         .body = "{\"error\":{\"code\":\"InvalidAuthenticationToken\",\"message\":\"no\"}}"},
    };
    struct env e;
    env_open(&e, login, 3, arm, 1, AUTH_SERVICE_PRINCIPAL);
    env_run(&e);
    assert_true(e.res.failed);
    assert_int_equal(e.res.err.http_status, 401);
    assert_int_equal(e.armf.n_seen, 2); /* retried once, not more */
    assert_int_equal(e.login.n_seen, 2);
    assert_null(strstr(e.res.err.message, SENTINEL));
    env_close(&e);
}

static void test_static_token_refused_twice_is_clear(void **state)
{
    (void)state;
    static const struct fake_reply arm[] = {
        {.method = "GET",
         .status = 401,
         .times = -1,
         .body = "{\"error\":{\"code\":\"InvalidAuthenticationToken\",\"message\":\"no\"}}"},
    };
    struct env e;
    env_open(&e, NULL, 0, arm, 1, AUTH_TOKEN);
    setenv("GPUP_TOKEN", SENTINEL, 1);
    env_run(&e);
    assert_true(e.res.failed);
    assert_int_equal(e.res.err.status, GP_E_AUTH);
    assert_non_null(strstr(e.res.err.message, "token: the service refused this token (HTTP "
                                              "401) and no other is available"));
    assert_null(strstr(e.res.err.message, SENTINEL));
    assert_int_equal(e.armf.n_seen, 1);
    unsetenv("GPUP_TOKEN");
    env_close(&e);
}

static void test_login_transport_failure(void **state)
{
    (void)state;
    static const struct fake_reply login[] = {
        {.method = "POST", .status = 0, .transport = GP_E_NETWORK},
    };
    struct env e;
    env_open(&e, login, 1, NULL, 0, AUTH_SERVICE_PRINCIPAL);
    env_run(&e);
    assert_true(e.res.failed);
    assert_int_equal(e.res.err.status, GP_E_NETWORK);
    assert_non_null(strstr(e.res.err.message, "service principal: Failed to connect (fake)"));
    assert_int_equal(e.armf.n_seen, 0);
    env_close(&e);
}

/* Runs the loop until the token request has gone out (the login answers after 5 s). */
static void run_until_login_sent(struct env *e)
{
    for (int i = 0; i < 100 && e->login.n_seen == 0; i++)
        assert_int_equal(loop_run_once(e->loop, 0), GP_OK);
    assert_int_equal(e->login.n_seen, 1);
}

/* An ARM call canceled while its token is being fetched (the console quits during a sign-in)
 * is forgotten by the provider: it is never answered, and nothing of it outlives the teardown
 * (ASan and valgrind report a leak otherwise). Another call waiting on the same fetch still
 * gets its token. */
static void test_cancel_while_waiting_for_token(void **state)
{
    (void)state;
    static const struct fake_reply login[] = {
        {.method = "POST", .status = 200, .body = TOK("tok-1"), .delay_ms = 5000},
    };
    static const struct fake_reply arm[] = {
        {.method = "GET", .status = 200, .body = "{\"value\": []}"},
    };
    struct env e;
    env_open(&e, login, 1, arm, 1, AUTH_SERVICE_PRINCIPAL);
    struct gp_error err;
    struct arm_call *first = NULL;
    struct result other = {0};
    assert_int_equal(arm_request(e.arm, "GET", VMS, NULL, 0, on_done, &e.res, &first, &err),
                     GP_OK);
    assert_int_equal(arm_request(e.arm, "GET", VMS, NULL, 0, on_done, &other, NULL, &err),
                     GP_OK);
    run_until_login_sent(&e);
    arm_cancel(first);
    assert_int_equal(loop_run(e.loop), GP_OK);
    assert_int_equal(e.res.calls, 0);
    assert_int_equal(other.calls, 1);
    assert_false(other.failed);
    assert_int_equal(other.status, 200);
    assert_int_equal(e.armf.n_seen, 1);
    env_close(&e);

    /* Canceled, then the client and the provider freed before the sign-in answers. */
    env_open(&e, login, 1, arm, 1, AUTH_SERVICE_PRINCIPAL);
    assert_int_equal(arm_request(e.arm, "GET", VMS, NULL, 0, on_done, &e.res, &first, &err),
                     GP_OK);
    run_until_login_sent(&e);
    arm_cancel(first);
    env_close(&e);
    assert_int_equal(e.res.calls, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token_then_401_refresh_then_ok),
        cmocka_unit_test(test_second_401_is_reported),
        cmocka_unit_test(test_static_token_refused_twice_is_clear),
        cmocka_unit_test(test_login_transport_failure),
        cmocka_unit_test(test_cancel_while_waiting_for_token),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
