/* SPDX-License-Identifier: MIT
 * tests/unit/test_auth.c: the token provider against a fake transport on the loop's virtual
 * clock: each source (ready token, token file, az CLI as a real child, service principal,
 * certificate (a client assertion signed at every fetch), device code, refresh token, Arc
 * managed identity), each error, refresh before expiry, the
 * refresh-once on 401, the 0600 cache file, and a planted sentinel secret that must never
 * appear in an error or a notice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <cjson/cJSON.h>

#include "model/jwt.h"
#include "model/settings.h"
#include "net/auth.h"
#include "net/loop.h"
#include "tests/support/certfix.h"

#define SENTINEL "SENTINEL-7f3a9c-do-not-leak"
#define T0 1795600000

/* --- the fake transport ------------------------------------------------------------------ */

struct fake_req {
    char method[8];
    char url[1024];
    char headers[1024]; /* "Name: value\n" lines */
    char body[2048];
    uint64_t at_ms;
};

struct fake_resp {
    int status;
    const char *body;
    const char *www;
    enum gp_status transport; /* GP_OK: an HTTP answer */
};

struct fake {
    struct gp_loop *loop;
    struct fake_req reqs[32];
    size_t n_reqs;
    struct fake_resp resp[32];
    size_t n_resp;
    size_t next;
    auth_http_done_fn done;
    void *done_ctx;
    uint64_t timer;
    size_t cancels;
};

static void fake_deliver(void *ctx)
{
    struct fake *f = ctx;
    f->timer = 0;
    struct fake_resp r = {.status = 500, .body = "{}"};
    if (f->next < f->n_resp)
        r = f->resp[f->next];
    f->next++;
    struct gp_error e;
    gp_error_clear(&e);
    struct auth_http_response resp = {.status = r.transport};
    if (r.transport != GP_OK) {
        gp_error_set(&e, r.transport, "connection refused");
        resp.error = &e;
    } else {
        resp.http_status = r.status;
        resp.body = r.body;
        resp.body_len = r.body ? strlen(r.body) : 0;
        resp.www_authenticate = r.www;
    }
    f->done(f->done_ctx, &resp);
}

static enum gp_status fake_send(void *tctx, const struct auth_http_request *rq,
                                auth_http_done_fn done, void *ctx, void **out_handle,
                                struct gp_error *err)
{
    (void)err;
    struct fake *f = tctx;
    assert_true(f->n_reqs < 32);
    assert_int_equal(f->timer, 0); /* one request at a time */
    struct fake_req *q = &f->reqs[f->n_reqs++];
    memset(q, 0, sizeof(*q));
    snprintf(q->method, sizeof(q->method), "%s", rq->method);
    snprintf(q->url, sizeof(q->url), "%s", rq->url);
    for (size_t i = 0; i < rq->n_headers; i++) {
        size_t u = strlen(q->headers);
        snprintf(q->headers + u, sizeof(q->headers) - u, "%s: %s\n", rq->headers[i].name,
                 rq->headers[i].value);
    }
    if (rq->body)
        snprintf(q->body, sizeof(q->body), "%.*s", (int)rq->body_len, rq->body);
    q->at_ms = loop_now_ms(f->loop);
    f->done = done;
    f->done_ctx = ctx;
    f->timer = loop_timer_add(f->loop, 0, fake_deliver, f);
    *out_handle = f;
    return GP_OK;
}

static void fake_cancel(void *tctx, void *handle)
{
    struct fake *f = tctx;
    assert_ptr_equal(handle, f);
    loop_timer_cancel(f->loop, f->timer);
    f->timer = 0;
    f->cancels++;
}

static const struct auth_transport_ops fake_ops = {fake_send, fake_cancel};

static void fake_add(struct fake *f, int status, const char *body, const char *www)
{
    f->resp[f->n_resp++] = (struct fake_resp){status, body, www, GP_OK};
}

/* --- fixture ----------------------------------------------------------------------------- */

struct fx {
    struct gp_loop *loop;
    struct fake fake;
    struct auth *auth;
    struct auth_config cfg;
    char dir[64];
    char notices[4096];
    /* last token callback */
    int calls;
    enum gp_status st;
    char token[256];
    struct gp_error err;
};

static int64_t fx_clock(void *ctx)
{
    struct fx *x = ctx;
    return T0 + (int64_t)(loop_now_ms(x->loop) / 1000u);
}

static void fx_notice(void *ctx, const char *line)
{
    struct fx *x = ctx;
    size_t u = strlen(x->notices);
    snprintf(x->notices + u, sizeof(x->notices) - u, "%s\n", line);
}

static void fx_token(void *ctx, enum gp_status st, const struct gp_secret *tok,
                     const struct gp_error *err)
{
    struct fx *x = ctx;
    x->calls++;
    x->st = st;
    x->token[0] = '\0';
    gp_error_clear(&x->err);
    if (st == GP_OK) {
        assert_non_null(tok);
        snprintf(x->token, sizeof(x->token), "%.*s", (int)tok->len, token_secret_str(tok));
    } else {
        assert_null(tok);
        assert_non_null(err);
        x->err = *err;
        /* the sentinel never reaches an error */
        assert_null(strstr(err->message, SENTINEL));
        assert_null(strstr(err->message, "c2VudGluZWw")); /* its key-file twin */
    }
}

static int fx_setup(void **state)
{
    struct fx *x = calloc(1, sizeof(*x));
    assert_non_null(x);
    assert_int_equal(loop_new(&x->loop), GP_OK);
    loop_use_virtual_clock(x->loop);
    x->fake.loop = x->loop;
    snprintf(x->dir, sizeof(x->dir), "/tmp/gpup-auth-XXXXXX");
    assert_non_null(mkdtemp(x->dir));
    unsetenv("GPUP_TOKEN");
    unsetenv("AZURE_CLIENT_SECRET");
    unsetenv("AZURE_CLIENT_ID");
    unsetenv("AZURE_TENANT_ID");
    unsetenv("IDENTITY_ENDPOINT");
    unsetenv("AZURE_FEDERATED_TOKEN_FILE");
    unsetenv("GPUP_CLIENT_SECRET");
    x->cfg = (struct auth_config){
        .method = AUTH_AUTO,
        .authority = "https://login.example.test/",
        .az_path = "", /* never the real az */
        .notice = fx_notice,
        .notice_ctx = x,
        .clock = fx_clock,
        .clock_ctx = x,
        .keep_dumpable = true,
    };
    *state = x;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *x = *state;
    auth_free(x->auth);
    loop_free(x->loop);
    /* the sentinel never reaches a notice */
    assert_null(strstr(x->notices, SENTINEL));
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", x->dir);
    assert_int_equal(system(cmd), 0);
    free(x);
    return 0;
}

static void fx_new(struct fx *x)
{
    struct gp_error err;
    gp_error_clear(&err);
    assert_int_equal(auth_new(x->loop, &fake_ops, &x->fake, &x->cfg, &x->auth, &err), GP_OK);
}

/* Runs the loop until the token callback ran once more. */
static void fx_wait(struct fx *x)
{
    int before = x->calls;
    for (int i = 0; i < 100000 && x->calls == before; i++)
        assert_int_equal(loop_run_once(x->loop, 50), GP_OK);
    assert_int_equal(x->calls, before + 1);
}

static void fx_get(struct fx *x)
{
    int before = x->calls;
    assert_int_equal(auth_get_token(x->auth, fx_token, x), GP_OK);
    assert_int_equal(x->calls, before); /* never called inside */
    fx_wait(x);
}

static void fx_path(struct fx *x, char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", x->dir, name);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
}

/* Advances virtual time by ms (a timer that does nothing). */
static void noop(void *ctx)
{
    (void)ctx;
}
static void fx_advance(struct fx *x, uint64_t ms)
{
    uint64_t target = loop_now_ms(x->loop) + ms;
    assert_true(loop_timer_add(x->loop, ms, noop, NULL) != 0);
    while (loop_now_ms(x->loop) < target)
        assert_int_equal(loop_run_once(x->loop, -1), GP_OK);
}

#define TOKEN_JSON(tok, secs)                                                                      \
    "{\"token_type\":\"Bearer\",\"expires_in\":" #secs ",\"access_token\":\"" tok "\"}"

/* --- ready token ------------------------------------------------------------------------- */

static void test_env_token(void **state)
{
    struct fx *x = *state;
    setenv("GPUP_TOKEN", " env-token-1\n", 1);
    fx_new(x);
    fx_get(x);
    assert_int_equal(x->st, GP_OK);
    assert_string_equal(x->token, "env-token-1");
    assert_int_equal(x->fake.n_reqs, 0);
    assert_int_equal(auth_token_source(x->auth), TOKEN_SOURCE_STATIC);
    assert_non_null(auth_token_current(x->auth));
    char line[64];
    assert_string_equal(auth_describe(x->auth, line, sizeof(line)), "token, expiry unknown");
    /* a second ask is served from memory, still from a later pass */
    fx_get(x);
    assert_string_equal(x->token, "env-token-1");
    unsetenv("GPUP_TOKEN");
}

static void test_token_file_must_be_private(void **state)
{
    struct fx *x = *state;
    char path[128];
    fx_path(x, path, sizeof(path), "token");
    write_file(path, SENTINEL "\n", 0644);
    x->cfg.method = AUTH_TOKEN;
    x->cfg.token_file = path;
    fx_new(x);
    fx_get(x);
    assert_int_equal(x->st, GP_E_AUTH);
    assert_non_null(strstr(x->err.message, "is readable by group or others (mode 0644)"));
    assert_non_null(strstr(x->err.message, "chmod 600"));
    assert_int_equal(chmod(path, 0600), 0);
    fx_get(x);
    assert_int_equal(x->st, GP_OK);
    assert_string_equal(x->token, SENTINEL);
}

static void test_token_file_read_again_after_401(void **state)
{
    struct fx *x = *state;
    char path[128];
    fx_path(x, path, sizeof(path), "token");
    write_file(path, "old-token\n", 0600);
    x->cfg.token_file = path;
    fx_new(x);
    fx_get(x);
    assert_string_equal(x->token, "old-token");
    write_file(path, "new-token\n", 0600); /* renewed by whoever writes it */
    struct gp_secret used = {0};
    assert_int_equal(gp_secret_set(&used, "old-token", 9), GP_OK);
    struct auth_retry r = {0};
    assert_true(auth_on_unauthorized(x->auth, &r, &used));
    fx_get(x);
    assert_int_equal(x->st, GP_OK);
    assert_string_equal(x->token, "new-token");
    gp_secret_clear(&used);
}

static void test_no_credentials_at_all(void **state)
{
    struct fx *x = *state;
    fx_new(x);
    char line[64];
    assert_string_equal(auth_describe(x->auth, line, sizeof(line)), "no token yet");
    fx_get(x);
    assert_int_equal(x->st, GP_E_AUTH);
    assert_string_equal(x->err.message,
                        "no credentials: set GPUP_TOKEN, run 'az login', configure a service "
                        "principal, or run 'gpup login --device-code'");
    assert_int_equal(x->fake.n_reqs, 0);
}

/* --- service principal ------------------------------------------------------------------- */

static void sp_config(struct fx *x, char *secret_path, size_t n)
{
    fx_path(x, secret_path, n, "sp-secret");
    write_file(secret_path, SENTINEL "\n", 0600);
    x->cfg.tenant = "contoso.onmicrosoft.com";
    x->cfg.client_id = "11111111-2222-3333-4444-555555555555";
    x->cfg.client_secret_file = secret_path;
}

static void test_service_principal(void **state)
{
    struct fx *x = *state;
    char sec[128];
    sp_config(x, sec, sizeof(sec));
    fake_add(&x->fake, 200, TOKEN_JSON("sp-token-1", 3599), NULL);
    fx_new(x);
    fx_get(x);
    assert_int_equal(x->st, GP_OK);
    assert_string_equal(x->token, "sp-token-1");
    assert_int_equal(auth_token_source(x->auth), TOKEN_SOURCE_SERVICE_PRINCIPAL);
    assert_int_equal(x->fake.n_reqs, 1);
    struct fake_req *q = &x->fake.reqs[0];
    assert_string_equal(q->method, "POST");
    assert_string_equal(q->url,
                        "https://login.example.test/contoso.onmicrosoft.com/oauth2/v2.0/token");
    assert_string_equal(q->body, "grant_type=client_credentials&client_id=11111111-2222-3333-"
                                 "4444-555555555555&client_secret=" SENTINEL "&scope=https%3A%2F"
                                 "%2Fmanagement.azure.com%2F.default");
    assert_non_null(strstr(q->headers, "Content-Type: application/x-www-form-urlencoded\n"));
}

static void test_service_principal_secret_from_env(void **state)
{
    struct fx *x = *state;
    setenv("AZURE_CLIENT_SECRET", "env+secret", 1);
    setenv("AZURE_CLIENT_ID", "cid", 1);
    setenv("AZURE_TENANT_ID", "tid", 1);
    x->cfg.method = AUTH_SERVICE_PRINCIPAL;
    fake_add(&x->fake, 200, TOKEN_JSON("sp-token-2", 3599), NULL);
    fx_new(x);
    fx_get(x);
    assert_string_equal(x->token, "sp-token-2");
    assert_non_null(strstr(x->fake.reqs[0].body, "&client_secret=env%2Bsecret&"));
    assert_string_equal(x->fake.reqs[0].url, "https://login.example.test/tid/oauth2/v2.0/token");
    unsetenv("AZURE_CLIENT_SECRET");
    unsetenv("AZURE_CLIENT_ID");
    unsetenv("AZURE_TENANT_ID");
}

static void test_service_principal_with_assertion(void **state)
{
    struct fx *x = *state;
    char jwt[128];
    fx_path(x, jwt, sizeof(jwt), "assertion.jwt");
    write_file(jwt, "eyJhbGciOiJSUzI1NiJ9.e30." SENTINEL "\n", 0600);
    setenv("AZURE_FEDERATED_TOKEN_FILE", jwt, 1);
    x->cfg.tenant = "contoso";
    x->cfg.client_id = "app-9";
    x->cfg.method = AUTH_SERVICE_PRINCIPAL;
    fake_add(&x->fake, 200, TOKEN_JSON("sp-jwt", 3599), NULL);
    fx_new(x);
    fx_get(x);
    assert_string_equal(x->token, "sp-jwt");
    assert_string_equal(x->fake.reqs[0].body,
                        "grant_type=client_credentials&client_id=app-9&client_assertion_type=urn%3A"
                        "ietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_"
                        "assertion=eyJhbGciOiJSUzI1NiJ9.e30." SENTINEL "&scope=https%3A%2F%2F"
                        "management.azure.com%2F.default");
    unsetenv("AZURE_FEDERATED_TOKEN_FILE");
}

/* The claims of the assertion in a certificate request's form, decoded. */
static cJSON *form_claims(const char *body, char *x5t_out, size_t n)
{
    static const char pre[] = "grant_type=client_credentials&client_id=app-9&client_assertion_"
                              "type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-"
                              "bearer&client_assertion=";
    static const char post[] = "&scope=https%3A%2F%2Fmanagement.azure.com%2F.default";
    assert_int_equal(strncmp(body, pre, sizeof(pre) - 1), 0);
    const char *jwt = body + sizeof(pre) - 1;
    const char *end = strstr(jwt, post);
    assert_non_null(end);
    assert_string_equal(end, post);
    const char *d1 = strchr(jwt, '.');
    const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    assert_true(d2 && d2 < end);
    unsigned char raw[1024];
    size_t len = 0;
    assert_int_equal(jwt_base64url_decode(jwt, (size_t)(d1 - jwt), raw, sizeof(raw) - 1, &len),
                     GP_OK);
    raw[len] = '\0';
    cJSON *h = cJSON_Parse((const char *)raw);
    assert_non_null(h);
    snprintf(x5t_out, n, "%s", cJSON_GetObjectItemCaseSensitive(h, "x5t")->valuestring);
    cJSON_Delete(h);
    assert_int_equal(
        jwt_base64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), raw, sizeof(raw) - 1, &len), GP_OK);
    raw[len] = '\0';
    cJSON *c = cJSON_Parse((const char *)raw);
    assert_non_null(c);
    return c;
}

static double claim_num(const cJSON *c, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(c, k)->valuedouble;
}

static void test_service_principal_with_certificate(void **state)
{
    struct fx *x = *state;
    struct certfix a;
    certfix_new(&a);
    char pem[128], x5t_want[32], x5t[32], key_line[80];
    certfix_x5t(&a, x5t_want, sizeof(x5t_want));
    certfix_key_line(&a, key_line, sizeof(key_line));
    fx_path(x, pem, sizeof(pem), "sp.pem");
    certfix_write(pem, 0600, &a, &a, CERTFIX_KEY_THEN_CERT);
    x->cfg.tenant = "contoso";
    x->cfg.client_id = "app-9";
    x->cfg.certificate_file = pem;
    x->cfg.method = AUTH_SERVICE_PRINCIPAL;
    fake_add(&x->fake, 200, TOKEN_JSON("sp-cert-1", 3599), NULL);
    fake_add(&x->fake, 200, TOKEN_JSON("sp-cert-2", 3599), NULL);
    fx_new(x);
    fx_get(x);
    assert_int_equal(x->st, GP_OK);
    assert_string_equal(x->token, "sp-cert-1");
    assert_int_equal(auth_token_source(x->auth), TOKEN_SOURCE_SERVICE_PRINCIPAL);
    assert_int_equal(x->fake.n_reqs, 1);
    assert_string_equal(x->fake.reqs[0].url,
                        "https://login.example.test/contoso/oauth2/v2.0/token");
    cJSON *c = form_claims(x->fake.reqs[0].body, x5t, sizeof(x5t));
    assert_string_equal(x5t, x5t_want);
    /* aud is the very URL the form went to; the times come from the auth clock */
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(c, "aud")->valuestring,
                        x->fake.reqs[0].url);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(c, "iss")->valuestring, "app-9");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(c, "sub")->valuestring, "app-9");
    assert_true(claim_num(c, "nbf") == (double)T0);
    assert_true(claim_num(c, "iat") == (double)T0);
    assert_true(claim_num(c, "exp") == (double)T0 + 600);
    char jti[64];
    snprintf(jti, sizeof(jti), "%s", cJSON_GetObjectItemCaseSensitive(c, "jti")->valuestring);
    cJSON_Delete(c);
    assert_null(strstr(x->fake.reqs[0].body, key_line));

    /* an hour on, the refresh signs a fresh assertion (new times, new jti) */
    fx_advance(x, 3600u * 1000u);
    fx_get(x);
    assert_string_equal(x->token, "sp-cert-2");
    assert_int_equal(x->fake.n_reqs, 2);
    c = form_claims(x->fake.reqs[1].body, x5t, sizeof(x5t));
    assert_true(claim_num(c, "nbf") == (double)T0 + 3600);
    assert_true(claim_num(c, "exp") == (double)T0 + 4200);
    assert_string_not_equal(cJSON_GetObjectItemCaseSensitive(c, "jti")->valuestring, jti);
    cJSON_Delete(c);
    certfix_free(&a);
}

static void test_certificate_refused_before_any_request(void **state)
{
    struct fx *x = *state;
    struct certfix a, b;
    certfix_new(&a);
    certfix_new(&b);
    char pem[128], key_line[80];
    certfix_key_line(&a, key_line, sizeof(key_line));
    fx_path(x, pem, sizeof(pem), "sp.pem");
    certfix_write(pem, 0640, &a, &a, CERTFIX_CERT_THEN_KEY);
    x->cfg.tenant = "contoso";
    x->cfg.client_id = "app-9";
    x->cfg.certificate_file = pem;
    x->cfg.method = AUTH_SERVICE_PRINCIPAL;
    fx_new(x);
    fx_get(x);
    assert_int_equal(x->st, GP_E_AUTH);
    assert_non_null(strstr(x->err.message, "service principal certificate: "));
    assert_non_null(strstr(x->err.message, "is readable by group or others (mode 0640)"));
    assert_null(strstr(x->err.message, key_line));
    assert_int_equal(x->fake.n_reqs, 0);
    /* the key of another certificate */
    certfix_write(pem, 0600, &a, &b, CERTFIX_CERT_THEN_KEY);
    fx_get(x);
    assert_int_equal(x->st, GP_E_AUTH);
    char want[256];
    snprintf(want, sizeof(want),
             "service principal: certificate %s: the private key in the file does not belong to "
             "its certificate",
             pem);
    assert_string_equal(x->err.message, want);
    assert_int_equal(x->fake.n_reqs, 0);
    /* a secret file named as well wins (one credential; config check refuses both) */
    char sec[128];
    fx_path(x, sec, sizeof(sec), "sp-secret");
    write_file(sec, SENTINEL "\n", 0600);
    auth_free(x->auth);
    x->cfg.client_secret_file = sec;
    fake_add(&x->fake, 200, TOKEN_JSON("sp-secret-won", 3599), NULL);
    fx_new(x);
    fx_get(x);
    assert_string_equal(x->token, "sp-secret-won");
    assert_non_null(strstr(x->fake.reqs[0].body, "&client_secret=" SENTINEL "&"));
    certfix_free(&a);
    certfix_free(&b);
}

static void test_service_principal_invalid_client(void **state)
{
    struct fx *x = *state;
    char sec[128];
    sp_config(x, sec, sizeof(sec));
    x->cfg.method = AUTH_SERVICE_PRINCIPAL;
    /* A hostile or buggy endpoint echoing our secret back must not get it shown. */
    fake_add(&x->fake, 401,
             "{\"error\":\"invalid_client\",\"error_description\":\"AADSTS7000215: Invalid "
             "client secret provided: " SENTINEL "\\r\\nTrace ID: t-1\",\"error_codes\":"
             "[7000215],\"trace_id\":\"t-1\",\"correlation_id\":\"c-1\"}",
             NULL);
    fx_new(x);
    fx_get(x);
    assert_int_equal(x->st, GP_E_AUTH);
    assert_int_equal(x->err.http_status, 401);
    assert_string_equal(x->err.code, "invalid_client");
    assert_string_equal(x->err.request_id, "t-1");
    assert_non_null(strstr(x->err.message,
                           "service principal: AADSTS7000215: Invalid client secret provided: "));
    assert_non_null(strstr(x->err.message, "(invalid_client, trace id t-1)"));
}

static void test_service_principal_network_error(void **state)
{
    struct fx *x = *state;
    char sec[128];
    sp_config(x, sec, sizeof(sec));
    x->cfg.method = AUTH_SERVICE_PRINCIPAL;
    x->fake.resp[x->fake.n_resp++] = (struct fake_resp){0, NULL, NULL, GP_E_NETWORK};
    fx_new(x);
    fx_get(x);
    assert_int_equal(x->st, GP_E_NETWORK);
    assert_string_equal(x->err.message, "service principal: connection refused");
}

static void test_secret_file_must_be_private(void **state)
{
    struct fx *x = *state;
    char sec[128];
    sp_config(x, sec, sizeof(sec));
    assert_int_equal(chmod(sec, 0640), 0);
    x->cfg.method = AUTH_SERVICE_PRINCIPAL;
    fx_new(x);
    fx_get(x);
    assert_int_equal(x->st, GP_E_AUTH);
    assert_non_null(strstr(x->err.message, "readable by group or others (mode 0640)"));
    assert_int_equal(x->fake.n_reqs, 0);
}

/* --- refresh ----------------------------------------------------------------------------- */

static void test_refresh_before_expiry(void **state)
{
    struct fx *x = *state;
    char sec[128];
    sp_config(x, sec, sizeof(sec));
    fake_add(&x->fake, 200, TOKEN_JSON("tok-a", 3600), NULL);
    fake_add(&x->fake, 200, TOKEN_JSON("tok-b", 3600), NULL);
    fx_new(x);
    fx_get(x);
    assert_string_equal(x->token, "tok-a");
    char line[64];
    assert_string_equal(auth_describe(x->auth, line, sizeof(line)),
                        "service-principal, expires in 60 min");
    fx_advance(x, 3000 * 1000); /* 10 min left: still fresh */
    fx_get(x);
    assert_string_equal(x->token, "tok-a");
    assert_int_equal(x->fake.n_reqs, 1);
    fx_advance(x, 400 * 1000); /* 200 s left: inside the margin */
    assert_null(auth_token_current(x->auth));
    fx_get(x);
    assert_string_equal(x->token, "tok-b");
    assert_int_equal(x->fake.n_reqs, 2);
}

static void test_short_lived_tokens_are_not_fetched_per_request(void **state)
{
    struct fx *x = *state;
    char sec[128];
    sp_config(x, sec, sizeof(sec));
    fake_add(&x->fake, 200, TOKEN_JSON("short-1", 200), NULL);
    fake_add(&x->fake, 200, TOKEN_JSON("short-2", 200), NULL);
    fx_new(x);
    fx_get(x);
    fx_advance(x, 10 * 1000);
    fx_get(x);
    assert_string_equal(x->token, "short-1");
    assert_int_equal(x->fake.n_reqs, 1);
    fx_advance(x, 25 * 1000);
    fx_get(x);
    assert_string_equal(x->token, "short-2");
    assert_int_equal(x->fake.n_reqs, 2);
}

static void test_failed_refresh_keeps_the_current_token(void **state)
{
    struct fx *x = *state;
    char sec[128];
    sp_config(x, sec, sizeof(sec));
    fake_add(&x->fake, 200, TOKEN_JSON("tok-a", 3600), NULL);
    fake_add(&x->fake, 503, "busy", NULL);
    fx_new(x);
    fx_get(x);
    fx_advance(x, 3400 * 1000);
    fx_get(x);
    assert_int_equal(x->st, GP_OK);
    assert_string_equal(x->token, "tok-a");
    assert_non_null(strstr(x->notices, "token refresh failed, using the current token: service "
                                       "principal: the login endpoint answered HTTP 503"));
}

static void test_unauthorized_refreshes_once(void **state)
{
    struct fx *x = *state;
    char sec[128];
    sp_config(x, sec, sizeof(sec));
    fake_add(&x->fake, 200, TOKEN_JSON("tok-a", 3600), NULL);
    fake_add(&x->fake, 200, TOKEN_JSON("tok-b", 3600), NULL);
    fx_new(x);
    fx_get(x);
    assert_string_equal(x->token, "tok-a");
    struct gp_secret used = {0};
    assert_int_equal(gp_secret_set(&used, "tok-a", 5), GP_OK);
    struct auth_retry r = {0};
    /* ARM: 401 → refresh and retry once */
    assert_true(auth_on_unauthorized(x->auth, &r, &used));
    assert_null(auth_token_current(x->auth));
    fx_get(x);
    assert_string_equal(x->token, "tok-b");
    assert_int_equal(x->fake.n_reqs, 2);
    /* ARM: 401 again on the retry → give up */
    assert_int_equal(gp_secret_set(&used, "tok-b", 5), GP_OK);
    assert_false(auth_on_unauthorized(x->auth, &r, &used));
    assert_non_null(auth_token_current(x->auth));
    gp_secret_clear(&used);
}

static void test_unauthorized_static_token_gives_up(void **state)
{
    struct fx *x = *state;
    setenv("GPUP_TOKEN", SENTINEL, 1);
    fx_new(x);
    fx_get(x);
    struct gp_secret used = {0};
    assert_int_equal(gp_secret_set(&used, SENTINEL, strlen(SENTINEL)), GP_OK);
    struct auth_retry r = {0};
    assert_true(auth_on_unauthorized(x->auth, &r, &used));
    fx_get(x);
    assert_int_equal(x->st, GP_E_AUTH);
    assert_string_equal(x->err.message,
                        "token: the service refused this token (HTTP 401) and no other is "
                        "available");
    gp_secret_clear(&used);
    unsetenv("GPUP_TOKEN");
}

/* --- device code ------------------------------------------------------------------------- */

#define DC_JSON                                                                                    \
    "{\"user_code\":\"ABCD-EFGH\",\"device_code\":\"" SENTINEL "\",\"verification_uri\":"          \
    "\"https://microsoft.com/devicelogin\",\"expires_in\":900,\"interval\":5,\"message\":"         \
    "\"To sign in, use a web browser to open the page https://microsoft.com/devicelogin and "      \
    "enter the code ABCD-EFGH to authenticate.\"}"

static void test_device_code_login(void **state)
{
    struct fx *x = *state;
    x->cfg.method = AUTH_DEVICE_CODE;
    fake_add(&x->fake, 200, DC_JSON, NULL);
    fake_add(&x->fake, 400, "{\"error\":\"authorization_pending\"}", NULL);
    fake_add(&x->fake, 400, "{\"error\":\"authorization_pending\"}", NULL);
    fake_add(&x->fake, 400, "{\"error\":\"slow_down\"}", NULL);
    fake_add(&x->fake, 200,
             "{\"token_type\":\"Bearer\",\"expires_in\":3600,\"access_token\":\"dc-tok\","
             "\"refresh_token\":\"dc-refresh\"}",
             NULL);
    fake_add(&x->fake, 200,
             "{\"token_type\":\"Bearer\",\"expires_in\":3600,\"access_token\":\"dc-tok-2\"}", NULL);
    fx_new(x);
    assert_int_equal(auth_login(x->auth, fx_token, x), GP_OK);
    fx_wait(x);
    assert_int_equal(x->st, GP_OK);
    assert_string_equal(x->token, "dc-tok");
    assert_int_equal(auth_token_source(x->auth), TOKEN_SOURCE_DEVICE_CODE);
    assert_string_equal(x->notices, "To sign in, use a web browser to open the page "
                                    "https://microsoft.com/devicelogin and enter the code "
                                    "ABCD-EFGH to authenticate.\n");
    assert_int_equal(x->fake.n_reqs, 5);
    struct fake_req *q = x->fake.reqs;
    assert_string_equal(q[0].url, "https://login.example.test/organizations/oauth2/v2.0/"
                                  "devicecode");
    assert_string_equal(q[0].body, "client_id=04b07795-8ddb-461a-bbee-02f9e1bf7b46&scope=https"
                                   "%3A%2F%2Fmanagement.azure.com%2F.default%20offline_access");
    assert_string_equal(q[1].url, "https://login.example.test/organizations/oauth2/v2.0/token");
    assert_string_equal(q[1].body, "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice"
                                   "_code&client_id=04b07795-8ddb-461a-bbee-02f9e1bf7b46&device_"
                                   "code=" SENTINEL);
    /* polled every interval; slow_down added 5 s */
    assert_int_equal(q[1].at_ms - q[0].at_ms, 5000);
    assert_int_equal(q[2].at_ms - q[1].at_ms, 5000);
    assert_int_equal(q[3].at_ms - q[2].at_ms, 5000);
    assert_int_equal(q[4].at_ms - q[3].at_ms, 10000);

    /* later: refreshed with the refresh token, no new login */
    fx_advance(x, 3500 * 1000);
    fx_get(x);
    assert_string_equal(x->token, "dc-tok-2");
    assert_string_equal(x->fake.reqs[5].body,
                        "grant_type=refresh_token&client_id=04b07795-8ddb-461a-bbee-02f9e1bf7b46"
                        "&refresh_token=dc-refresh&scope=https%3A%2F%2Fmanagement.azure.com%2F."
                        "default%20offline_access");
}

static void device_code_stops(struct fx *x, const char *error, const char *expect)
{
    x->cfg.method = AUTH_DEVICE_CODE;
    x->cfg.tenant = "contoso";
    fake_add(&x->fake, 200, DC_JSON, NULL);
    fake_add(&x->fake, 400, "{\"error\":\"authorization_pending\"}", NULL);
    char body[256];
    snprintf(body, sizeof(body),
             "{\"error\":\"%s\",\"error_description\":\"AADSTS70000: x\","
             "\"trace_id\":\"tr-9\"}",
             error);
    fake_add(&x->fake, 400, body, NULL);
    fx_new(x);
    assert_int_equal(auth_login(x->auth, fx_token, x), GP_OK);
    fx_wait(x);
    assert_int_equal(x->st, GP_E_AUTH);
    assert_string_equal(x->err.message, expect);
    assert_string_equal(x->err.code, error);
    assert_int_equal(x->fake.n_reqs, 3);
    assert_string_equal(x->fake.reqs[0].url,
                        "https://login.example.test/contoso/oauth2/v2.0/devicecode");
}

static void test_device_code_declined(void **state)
{
    device_code_stops(*state, "authorization_declined",
                      "device code login: the sign-in was declined (authorization_declined, "
                      "trace id tr-9)");
}

static void test_device_code_expired(void **state)
{
    device_code_stops(*state, "expired_token",
                      "device code login: the code expired before sign-in finished; run the "
                      "login again (expired_token, trace id tr-9)");
}

static void test_device_code_bad_code(void **state)
{
    device_code_stops(*state, "bad_verification_code",
                      "device code login: the login service did not recognise the device code "
                      "(bad_verification_code, trace id tr-9)");
}

static void test_device_code_runs_out_of_time(void **state)
{
    struct fx *x = *state;
    x->cfg.method = AUTH_DEVICE_CODE;
    fake_add(&x->fake, 200,
             "{\"user_code\":\"U\",\"device_code\":\"D\",\"verification_uri\":\"https://x\","
             "\"expires_in\":12,\"interval\":5}",
             NULL);
    for (int i = 0; i < 5; i++)
        fake_add(&x->fake, 400, "{\"error\":\"authorization_pending\"}", NULL);
    fx_new(x);
    assert_int_equal(auth_login(x->auth, fx_token, x), GP_OK);
    fx_wait(x);
    assert_int_equal(x->st, GP_E_AUTH);
    assert_string_equal(x->err.message, "device code login: the code expired before sign-in "
                                        "finished; run the login again");
    assert_int_equal(x->fake.n_reqs, 3); /* devicecode + polls at 5 s and 10 s */
}

static void test_device_code_not_without_login(void **state)
{
    struct fx *x = *state;
    /* auto mode never starts an interactive login by itself */
    fx_new(x);
    fx_get(x);
    assert_int_equal(x->st, GP_E_AUTH);
    assert_int_equal(x->fake.n_reqs, 0);
    assert_string_equal(x->notices, "");
}

/* --- managed identity -------------------------------------------------------------------- */

static void test_managed_identity(void **state)
{
    struct fx *x = *state;
    char keydir[128], key[192], www[256];
    fx_path(x, keydir, sizeof(keydir), "tokens");
    assert_int_equal(mkdir(keydir, 0700), 0);
    snprintf(key, sizeof(key), "%s/abc.key", keydir);
    write_file(key, "c2VudGluZWw", 0640);
    snprintf(www, sizeof(www), "Basic realm=%s", key);
    setenv("IDENTITY_ENDPOINT", "http://localhost:40342/metadata/identity/oauth2/token", 1);
    x->cfg.identity_key_dir = keydir;
    fake_add(&x->fake, 401, "{\"error\":\"unauthorized\"}", www);
    fake_add(&x->fake, 200,
             "{\"access_token\":\"mi-tok\",\"expires_on\":\"1795603600\",\"token_type\":"
             "\"Bearer\",\"resource\":\"https://management.azure.com\"}",
             NULL);
    fx_new(x);
    fx_get(x);
    assert_int_equal(x->st, GP_OK);
    assert_string_equal(x->token, "mi-tok");
    assert_int_equal(auth_token_source(x->auth), TOKEN_SOURCE_MANAGED_IDENTITY);
    assert_int_equal(x->fake.n_reqs, 2);
    const char *url = "http://localhost:40342/metadata/identity/oauth2/token?api-version=2019-"
                      "11-01&resource=https%3A%2F%2Fmanagement.azure.com";
    assert_string_equal(x->fake.reqs[0].url, url);
    assert_string_equal(x->fake.reqs[0].method, "GET");
    assert_string_equal(x->fake.reqs[0].headers, "Metadata: true\n");
    assert_string_equal(x->fake.reqs[1].url, url);
    assert_string_equal(x->fake.reqs[1].headers,
                        "Metadata: true\nAuthorization: Basic c2VudGluZWw\n");
    unsetenv("IDENTITY_ENDPOINT");
}

static void test_managed_identity_refuses_foreign_key_path(void **state)
{
    struct fx *x = *state;
    char keydir[128], other[192], www[256];
    fx_path(x, keydir, sizeof(keydir), "tokens");
    assert_int_equal(mkdir(keydir, 0700), 0);
    fx_path(x, other, sizeof(other), "id_rsa.key");
    write_file(other, "c2VudGluZWw", 0600);
    snprintf(www, sizeof(www), "Basic realm=\"%s\"", other);
    x->cfg.method = AUTH_MANAGED_IDENTITY;
    x->cfg.identity_key_dir = keydir;
    fake_add(&x->fake, 401, "{}", www);
    fx_new(x);
    fx_get(x);
    assert_int_equal(x->st, GP_E_AUTH);
    assert_non_null(strstr(x->err.message, "is not a .key file in"));
    assert_int_equal(x->fake.n_reqs, 1); /* the key was never sent */
    /* and the default endpoint is used when the method is chosen explicitly */
    assert_string_equal(x->fake.reqs[0].url,
                        "http://localhost:40342/metadata/identity/oauth2/token?api-version=2019-"
                        "11-01&resource=https%3A%2F%2Fmanagement.azure.com");
}

static void test_managed_identity_bad_key(void **state)
{
    struct fx *x = *state;
    char keydir[128], key[192], www[256];
    fx_path(x, keydir, sizeof(keydir), "tokens");
    assert_int_equal(mkdir(keydir, 0700), 0);
    snprintf(key, sizeof(key), "%s/k.key", keydir);
    write_file(key, "c2VudGluZWw", 0600);
    snprintf(www, sizeof(www), "Basic realm=%s", key);
    x->cfg.method = AUTH_MANAGED_IDENTITY;
    x->cfg.identity_key_dir = keydir;
    fake_add(&x->fake, 401, "{}", www);
    fake_add(&x->fake, 401,
             "{\"error\":\"invalid_request\",\"error_description\":\"bad key c2VudGluZWw\"}", www);
    fx_new(x);
    fx_get(x);
    assert_int_equal(x->st, GP_E_AUTH);
    assert_string_equal(x->err.message, "managed identity: bad key *********** (invalid_request)");
}

/* --- az CLI: a real child process -------------------------------------------------------- */

static void az_script(struct fx *x, char *path, size_t n, const char *body)
{
    fx_path(x, path, n, "az");
    write_file(path, body, 0700);
}

static void az_run(struct fx *x)
{
    /* real time here: the child really runs */
    loop_free(x->loop);
    assert_int_equal(loop_new(&x->loop), GP_OK);
    x->fake.loop = x->loop;
    x->cfg.clock = NULL;
    fx_new(x);
    fx_get(x);
}

static void test_az_cli(void **state)
{
    struct fx *x = *state;
    char az[128];
    az_script(x, az, sizeof(az),
              "#!/bin/sh\n"
              "[ -z \"$GPUP_CLIENT_SECRET$AZURE_CLIENT_SECRET\" ] || exit 3\n"
              "[ \"$*\" = 'account get-access-token --resource https://management.azure.com/ -o "
              "json' ] || { echo \"ERROR: bad args: $*\" >&2; exit 2; }\n"
              "cat <<EOF\n"
              "{\n  \"accessToken\": \"" SENTINEL "\",\n  \"expiresOn\": \"2099-01-01 "
              "00:00:00.000000\",\n  \"expires_on\": 4070908800,\n  \"subscription\": \"sub\",\n"
              "  \"tenant\": \"ten\",\n  \"tokenType\": \"Bearer\"\n}\nEOF\n");
    x->cfg.az_path = az;
    setenv("GPUP_CLIENT_SECRET", SENTINEL, 1); /* not passed on to the child */
    az_run(x);
    unsetenv("GPUP_CLIENT_SECRET");
    assert_int_equal(x->st, GP_OK);
    assert_string_equal(x->token, SENTINEL);
    assert_int_equal(auth_token_source(x->auth), TOKEN_SOURCE_AZ_CLI);
}

static void test_az_cli_not_logged_in(void **state)
{
    struct fx *x = *state;
    char az[128];
    az_script(x, az, sizeof(az),
              "#!/bin/sh\necho \"ERROR: Please run 'az login' to setup account.\" >&2\n"
              "echo '" SENTINEL "'\nexit 1\n");
    x->cfg.az_path = az;
    az_run(x);
    assert_int_equal(x->st, GP_E_AUTH);
    assert_string_equal(x->err.message, "azure-cli: az account get-access-token failed (exit 1): "
                                        "ERROR: Please run 'az login' to setup account.");
}

static void test_az_cli_missing_falls_through(void **state)
{
    struct fx *x = *state;
    char sec[128];
    sp_config(x, sec, sizeof(sec));
    x->cfg.az_path = "/nonexistent/az";
    fake_add(&x->fake, 200, TOKEN_JSON("sp-after-az", 3600), NULL);
    fx_new(x);
    fx_get(x);
    assert_int_equal(x->st, GP_OK);
    assert_string_equal(x->token, "sp-after-az");
}

static void test_auto_reports_every_source_tried(void **state)
{
    struct fx *x = *state;
    char az[128], sec[128];
    az_script(x, az, sizeof(az), "#!/bin/sh\necho 'ERROR: not logged in' >&2\nexit 1\n");
    sp_config(x, sec, sizeof(sec));
    x->cfg.az_path = az;
    fake_add(&x->fake, 400, "{\"error\":\"invalid_scope\",\"error_description\":\"no\"}", NULL);
    az_run(x);
    assert_int_equal(x->st, GP_E_AUTH);
    assert_string_equal(x->err.message, "no credential worked: azure-cli: az account "
                                        "get-access-token failed (exit 1): ERROR: not logged in; "
                                        "service principal: no (invalid_scope)");
}

/* --- cache file -------------------------------------------------------------------------- */

static void test_cache_file(void **state)
{
    struct fx *x = *state;
    char cache[128];
    fx_path(x, cache, sizeof(cache), "cache.json");
    x->cfg.method = AUTH_DEVICE_CODE;
    x->cfg.cache_file = cache;
    fake_add(&x->fake, 200, DC_JSON, NULL);
    fake_add(&x->fake, 200,
             "{\"token_type\":\"Bearer\",\"expires_in\":3600,\"access_token\":\"cached-tok\","
             "\"refresh_token\":\"" SENTINEL "\"}",
             NULL);
    fx_new(x);
    assert_int_equal(auth_login(x->auth, fx_token, x), GP_OK);
    fx_wait(x);
    assert_string_equal(x->token, "cached-tok");
    struct stat sb;
    assert_int_equal(stat(cache, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);

    /* a second program run: the token comes from the file, no request */
    auth_free(x->auth);
    x->auth = NULL;
    size_t before = x->fake.n_reqs;
    fx_new(x);
    fx_get(x);
    assert_int_equal(x->st, GP_OK);
    assert_string_equal(x->token, "cached-tok");
    assert_int_equal(x->fake.n_reqs, before);

    /* a cache others can read is refused */
    auth_free(x->auth);
    x->auth = NULL;
    assert_int_equal(chmod(cache, 0644), 0);
    fx_new(x);
    fx_get(x);
    assert_int_equal(x->st, GP_E_AUTH);
    assert_non_null(strstr(x->err.message, "token cache: "));
    assert_non_null(strstr(x->err.message, "readable by group or others"));
}

static void test_cache_not_written_over_a_broader_file(void **state)
{
    struct fx *x = *state;
    char cache[128], sec[128];
    fx_path(x, cache, sizeof(cache), "cache.json");
    write_file(cache, "{}", 0644);
    sp_config(x, sec, sizeof(sec));
    x->cfg.cache_file = cache;
    fake_add(&x->fake, 200, TOKEN_JSON("sp-tok", 3600), NULL);
    fx_new(x);
    fx_get(x);
    /* reading it is refused first */
    assert_int_equal(x->st, GP_E_AUTH);
    assert_non_null(strstr(x->err.message, "token cache: "));
    /* made private but broken: ignored with a notice, then the token is fetched and saved */
    assert_int_equal(chmod(cache, 0600), 0);
    fx_get(x);
    assert_int_equal(x->st, GP_OK);
    assert_non_null(strstr(x->notices, "ignoring the token cache"));
    FILE *f = fopen(cache, "r");
    assert_non_null(f);
    char text[512] = "";
    assert_non_null(fgets(text, sizeof(text), f));
    fclose(f);
    assert_non_null(strstr(text, "\"access_token\":\"sp-tok\""));
    assert_non_null(strstr(text, "\"source\":\"service-principal\""));
    /* no temporary file left behind */
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "ls '%s' | grep -q tmp", x->dir);
    assert_int_not_equal(system(cmd), 0);
    /* a file made broader meanwhile is not written over */
    assert_int_equal(chmod(cache, 0644), 0);
    fake_add(&x->fake, 200, TOKEN_JSON("sp-tok-2", 3600), NULL);
    assert_int_equal(auth_login(x->auth, fx_token, x), GP_OK);
    fx_wait(x);
    assert_int_equal(x->st, GP_OK);
    assert_string_equal(x->token, "sp-tok-2");
    assert_non_null(strstr(x->notices, "not writing the token cache: "));
}

/* --- misc -------------------------------------------------------------------------------- */

static void test_config_is_checked(void **state)
{
    struct fx *x = *state;
    struct gp_error err;
    x->cfg.authority = "http://login.example.test";
    assert_int_equal(auth_new(x->loop, &fake_ops, &x->fake, &x->cfg, &x->auth, &err), GP_E_CONFIG);
    assert_string_equal(err.message, "auth: authority http://login.example.test must be https "
                                     "(plain http only on loopback)");
    x->cfg.authority = "http://127.0.0.1:8443";
    x->cfg.tenant = "../evil";
    assert_int_equal(auth_new(x->loop, &fake_ops, &x->fake, &x->cfg, &x->auth, &err), GP_E_CONFIG);
    assert_null(x->auth);
    enum auth_method m;
    assert_true(auth_method_parse("device-code", &m));
    assert_int_equal(m, AUTH_DEVICE_CODE);
    assert_false(auth_method_parse("kerberos", &m));
}

static void test_config_from_settings(void **state)
{
    (void)state;
    struct settings_effective *eff = calloc(1, sizeof(*eff));
    assert_non_null(eff);
    eff->profile.auth = SETTINGS_AUTH_SERVICE_PRINCIPAL;
    snprintf(eff->profile.tenant, sizeof(eff->profile.tenant), "contoso");
    snprintf(eff->profile.client_id, sizeof(eff->profile.client_id), "app-1");
    snprintf(eff->paths.token_cache, sizeof(eff->paths.token_cache), "/run/gpup/cache");
    struct auth_config cfg = {.az_path = "az2"};
    auth_config_from_settings(&cfg, eff);
    assert_int_equal(cfg.method, AUTH_SERVICE_PRINCIPAL);
    assert_string_equal(cfg.tenant, "contoso");
    assert_string_equal(cfg.client_id, "app-1");
    assert_string_equal(cfg.cache_file, "/run/gpup/cache");
    assert_null(cfg.authority);
    assert_null(cfg.client_secret_file);
    assert_null(cfg.certificate_file);
    assert_string_equal(cfg.az_path, "az2"); /* left alone */
    snprintf(eff->profile.certificate_file, sizeof(eff->profile.certificate_file), "/k/sp.pem");
    auth_config_from_settings(&cfg, eff);
    assert_string_equal(cfg.certificate_file, "/k/sp.pem");
    eff->profile.auth = SETTINGS_AUTH_TOKEN_FILE;
    auth_config_from_settings(&cfg, eff);
    assert_int_equal(cfg.method, AUTH_TOKEN);
    free(eff);
}

static void test_gpup_client_secret_wins(void **state)
{
    struct fx *x = *state;
    setenv("GPUP_CLIENT_SECRET", "gpup-secret", 1);
    setenv("AZURE_CLIENT_SECRET", "azure-secret", 1);
    x->cfg.method = AUTH_SERVICE_PRINCIPAL;
    x->cfg.tenant = "t";
    x->cfg.client_id = "c";
    fake_add(&x->fake, 200, TOKEN_JSON("sp", 3599), NULL);
    fx_new(x);
    fx_get(x);
    assert_non_null(strstr(x->fake.reqs[0].body, "&client_secret=gpup-secret&"));
    unsetenv("GPUP_CLIENT_SECRET");
    unsetenv("AZURE_CLIENT_SECRET");
}

static void test_free_while_fetching(void **state)
{
    struct fx *x = *state;
    char sec[128];
    sp_config(x, sec, sizeof(sec));
    fake_add(&x->fake, 200, TOKEN_JSON("never", 3600), NULL);
    fx_new(x);
    assert_int_equal(auth_get_token(x->auth, fx_token, x), GP_OK);
    assert_int_equal(loop_run_once(x->loop, 0), GP_OK); /* the request is out */
    assert_int_equal(x->fake.n_reqs, 1);
    auth_free(x->auth);
    x->auth = NULL;
    assert_int_equal(x->fake.cancels, 1);
    assert_int_equal(loop_run(x->loop), GP_OK);
    assert_int_equal(x->calls, 0);
}

static void test_cancel_waiter(void **state)
{
    struct fx *x = *state;
    setenv("GPUP_TOKEN", "t", 1);
    fx_new(x);
    assert_int_equal(auth_get_token(x->auth, fx_token, x), GP_OK);
    auth_cancel(x->auth, x);
    assert_int_equal(loop_run(x->loop), GP_OK);
    assert_int_equal(x->calls, 0);
    unsetenv("GPUP_TOKEN");
}

static void test_protect_process(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct gp_error err;
        if (auth_protect_process(&err) != GP_OK)
            _exit(1);
        struct rlimit rl;
        if (getrlimit(RLIMIT_CORE, &rl) != 0 || rl.rlim_cur != 0)
            _exit(2);
#if defined(__linux__) && !defined(__SANITIZE_ADDRESS__) && !defined(__has_feature)
        if (prctl(PR_GET_DUMPABLE, 0L, 0L, 0L, 0L) != 0)
            _exit(3);
#elif defined(__linux__) && defined(__has_feature)
#if !__has_feature(address_sanitizer)
        if (prctl(PR_GET_DUMPABLE, 0L, 0L, 0L, 0L) != 0)
            _exit(3);
#endif
#endif
        _exit(0);
    }
    int ws = 0;
    assert_int_equal(waitpid(pid, &ws, 0), pid);
    assert_true(WIFEXITED(ws));
    assert_int_equal(WEXITSTATUS(ws), 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_env_token),
        T(test_token_file_must_be_private),
        T(test_token_file_read_again_after_401),
        T(test_no_credentials_at_all),
        T(test_service_principal),
        T(test_service_principal_secret_from_env),
        T(test_service_principal_with_assertion),
        T(test_service_principal_with_certificate),
        T(test_certificate_refused_before_any_request),
        T(test_service_principal_invalid_client),
        T(test_service_principal_network_error),
        T(test_secret_file_must_be_private),
        T(test_refresh_before_expiry),
        T(test_short_lived_tokens_are_not_fetched_per_request),
        T(test_failed_refresh_keeps_the_current_token),
        T(test_unauthorized_refreshes_once),
        T(test_unauthorized_static_token_gives_up),
        T(test_device_code_login),
        T(test_device_code_declined),
        T(test_device_code_expired),
        T(test_device_code_bad_code),
        T(test_device_code_runs_out_of_time),
        T(test_device_code_not_without_login),
        T(test_managed_identity),
        T(test_managed_identity_refuses_foreign_key_path),
        T(test_managed_identity_bad_key),
        T(test_az_cli),
        T(test_az_cli_not_logged_in),
        T(test_az_cli_missing_falls_through),
        T(test_auto_reports_every_source_tried),
        T(test_cache_file),
        T(test_cache_not_written_over_a_broader_file),
        T(test_config_is_checked),
        T(test_config_from_settings),
        T(test_gpup_client_secret_wins),
        T(test_free_while_fetching),
        T(test_cancel_waiter),
        T(test_protect_process),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
