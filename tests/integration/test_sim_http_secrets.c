/* SPDX-License-Identifier: MIT
 * tests/integration/test_sim_http_secrets.c: net/http's handling of secret-bearing requests,
 * over libcurl against gpup-sim (GPUP_SIM) and its login endpoint: the engine owns its copy of
 * a login form (the caller may wipe and free its own the moment http_send returns, and the
 * service still receives the form), and a sensitive answer, grown by the wiping path, arrives
 * byte for byte as the ordinary path receives it (a multi-page-sized list). Skipped when the
 * sim is missing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/http.h"
#include "net/loop.h"
#include "tests/support/simproc.h"

#define TOKEN "http-secrets-token"
#define CLIENT "99999999-2222-3333-4444-555555555555"
#define SECRET "http-secrets-sp-secret"
#define SUB "00000000-0000-0000-0000-000000000000"

struct env {
    struct simproc sim;
    char dir[128];
    char secret_file[192];
    struct gp_loop *loop;
    struct http_client *http;
};

struct answer {
    bool done;
    int status;
    enum gp_status transport;
    char *body;
    size_t body_len;
};

static void on_done(void *ctx, const struct http_response *resp)
{
    struct answer *a = ctx;
    a->done = true;
    a->status = resp->status;
    a->transport = resp->transport;
    a->body = malloc(resp->body_len + 1);
    assert_non_null(a->body);
    memcpy(a->body, resp->body, resp->body_len);
    a->body[resp->body_len] = '\0';
    a->body_len = resp->body_len;
}

static int setup(void **state)
{
    if (access(simproc_binary(), X_OK) != 0) {
        *state = NULL;
        return 0;
    }
    struct env *e = calloc(1, sizeof(*e));
    assert_non_null(e);
    (void)snprintf(e->dir, sizeof(e->dir), "/tmp/gpup-http-secrets-XXXXXX");
    assert_non_null(mkdtemp(e->dir));
    (void)snprintf(e->secret_file, sizeof(e->secret_file), "%s/secret", e->dir);
    int fd = open(e->secret_file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, SECRET "\n", strlen(SECRET) + 1), (ssize_t)strlen(SECRET) + 1);
    assert_int_equal(close(fd), 0);
    const char *args[] = {"--fleet",   "300",  "--hosts",        "4",    "--page-size",
                          "1000",      "--token", TOKEN,         "--sp-client", CLIENT,
                          "--sp-secret-file", e->secret_file, NULL};
    if (simproc_start(&e->sim, args) != 0) {
        print_error("cannot start gpup-sim\n");
        free(e);
        return -1; /* a failed setup fails the test */
    }
    assert_int_equal(loop_new(&e->loop), GP_OK);
    assert_int_equal(http_client_new(e->loop, NULL, &e->http), GP_OK);
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    struct env *e = *state;
    if (!e)
        return 0;
    http_client_free(e->http);
    loop_free(e->loop);
    (void)simproc_stop(&e->sim);
    unlink(e->secret_file);
    rmdir(e->dir);
    free(e);
    return 0;
}

static void run(struct env *e, const struct answer *a)
{
    for (int i = 0; i < 10000 && !a->done; i++)
        assert_int_equal(loop_run_once(e->loop, 1000), GP_OK);
    assert_true(a->done);
}

static void test_login_form_is_the_engines_copy(void **state)
{
    struct env *e = *state;
    if (!e) {
        skip();
        return; /* not reached: cmocka 1.1.5 does not mark skip() noreturn */
    }
    static const char form[] = "grant_type=client_credentials&client_id=" CLIENT
                               "&client_secret=" SECRET
                               "&scope=https%3A%2F%2Fmanagement.azure.com%2F.default";
    size_t len = strlen(form);
    char *mine = malloc(len + 1);
    assert_non_null(mine);
    memcpy(mine, form, len + 1);
    char url[256];
    (void)snprintf(url, sizeof(url), "%s/contoso/oauth2/v2.0/token", e->sim.url);
    struct http_request rq = {
        .method = "POST",
        .url = url,
        .body = mine,
        .body_len = len,
        .content_type = "application/x-www-form-urlencoded",
        .sensitive = true,
    };
    struct answer a = {0};
    assert_int_equal(http_send(e->http, &rq, on_done, &a, NULL), GP_OK);
    /* The caller's copy is gone before anything was sent. */
    memset(mine, 'x', len);
    free(mine);
    run(e, &a);
    assert_int_equal(a.transport, GP_OK);
    if (a.status != 200)
        fail_msg("status %d: %s", a.status, a.body);
    assert_non_null(strstr(a.body, "\"access_token\":\"" TOKEN "\""));
    free(a.body);
}

static void test_sensitive_answer_arrives_whole(void **state)
{
    struct env *e = *state;
    if (!e) {
        skip();
        return; /* not reached: cmocka 1.1.5 does not mark skip() noreturn */
    }
    char url[512];
    (void)snprintf(url, sizeof(url),
                   "%s/subscriptions/" SUB
                   "/providers/Microsoft.HybridCompute/machines?api-version=2024-07-10",
                   e->sim.url);
    struct answer plain = {0}, secret = {0};
    struct http_request rq = {.method = "GET", .url = url, .bearer = TOKEN};
    assert_int_equal(http_send(e->http, &rq, on_done, &plain, NULL), GP_OK);
    run(e, &plain);
    rq.sensitive = true;
    assert_int_equal(http_send(e->http, &rq, on_done, &secret, NULL), GP_OK);
    run(e, &secret);
    assert_int_equal(plain.status, 200);
    assert_int_equal(secret.status, 200);
    assert_true(plain.body_len > 64 * 1024); /* several growth steps */
    assert_int_equal(secret.body_len, plain.body_len);
    assert_memory_equal(secret.body, plain.body, plain.body_len);
    free(plain.body);
    free(secret.body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_login_form_is_the_engines_copy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sensitive_answer_arrives_whole, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
