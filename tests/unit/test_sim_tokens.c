/* SPDX-License-Identifier: MIT
 * tests/unit/test_sim_tokens.c: gpup-sim's emulated login endpoints called directly (client
 * credentials, device code with pending / slow_down / expiry / decline, refresh rotation, the
 * Arc managed identity key-file challenge, certificate client assertions checked against a
 * registered certificate: signature, thumbprint, audience, client and time range), then gpup's
 * own token provider (net/auth) run against them through a transport that routes to
 * sim_tokens_handle. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/jwt.h"
#include "model/token.h"
#include "net/assertion.h"
#include "net/auth.h"
#include "net/loop.h"
#include "sim/tokens.h"
#include "tests/support/certfix.h"

#define T0 1795600000

struct fx {
    struct sim_tokens *st;
    int64_t now;
    char dir[64];
    /* the request being built */
    const char *names[8];
    const char *values[8];
    size_t n;
    struct sim_tokens_response resp;
};

static int64_t fx_clock(void *ctx)
{
    return ((struct fx *)ctx)->now;
}

static const char *fx_lookup(void *ctx, const char *name)
{
    struct fx *x = ctx;
    for (size_t i = 0; i < x->n; i++) {
        if (strcasecmp(x->names[i], name) == 0)
            return x->values[i];
    }
    return NULL;
}

static void fx_set(struct fx *x, const char *name, const char *value)
{
    x->names[x->n] = name;
    x->values[x->n] = value;
    x->n++;
}

static struct fx *fx_make(struct sim_tokens_config *cfg)
{
    struct fx *x = calloc(1, sizeof(*x));
    assert_non_null(x);
    x->now = T0;
    snprintf(x->dir, sizeof(x->dir), "/tmp/gpup-simtok-XXXXXX");
    assert_non_null(mkdtemp(x->dir));
    cfg->clock = fx_clock;
    cfg->clock_ctx = x;
    if (!cfg->key_dir)
        cfg->key_dir = x->dir;
    struct gp_error err;
    assert_int_equal(sim_tokens_new(cfg, &x->st, &err), GP_OK);
    return x;
}

static void fx_done(struct fx *x)
{
    sim_tokens_response_clear(&x->resp);
    sim_tokens_free(x->st);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rmdir '%s'", x->dir); /* fails if a key file was left */
    assert_int_equal(system(cmd), 0);
    free(x);
}

/* Sends one request; true when the emulator handled it. */
static bool fx_call(struct fx *x, const char *method, const char *path, const char *body)
{
    sim_tokens_response_clear(&x->resp);
    struct sim_tokens_request rq = {
        .method = method,
        .path = path,
        .body = body,
        .body_len = body ? strlen(body) : 0,
        .arg = fx_lookup,
        .header = fx_lookup,
        .ctx = x,
    };
    bool handled = sim_tokens_handle(x->st, &rq, &x->resp);
    x->n = 0;
    return handled;
}

/* The access token of a 200 answer, as gpup parses it. */
static void fx_token(struct fx *x, struct token *t)
{
    assert_int_equal(x->resp.status, 200);
    struct gp_error err;
    assert_int_equal(token_parse_v2(x->resp.body, strlen(x->resp.body), x->now, t, &err), GP_OK);
}

static enum token_oauth_error fx_error(struct fx *x, int status, struct gp_error *err)
{
    assert_int_equal(x->resp.status, status);
    return token_parse_oauth_error(x->resp.body, strlen(x->resp.body), status, "login", err);
}

static bool fx_accepts(struct fx *x, const struct token *t)
{
    char h[128];
    snprintf(h, sizeof(h), "Bearer %s", token_secret_str(&t->access));
    return sim_tokens_accepts(x->st, h);
}

#define SP_BODY(secret)                                                                            \
    "grant_type=client_credentials&client_id=app-1&client_secret=" secret                          \
    "&scope=https%3A%2F%2Fmanagement.azure.com%2F.default"

static void test_client_credentials(void **state)
{
    (void)state;
    struct sim_tokens_config cfg = {.client_id = "app-1", .client_secret = "s3cret+/="};
    struct fx *x = fx_make(&cfg);
    struct token t = {0};
    struct gp_error err;

    assert_true(fx_call(x, "POST", "/contoso/oauth2/v2.0/token", SP_BODY("s3cret%2B%2F%3D")));
    fx_token(x, &t);
    assert_int_equal(t.expires_on, T0 + 3599);
    assert_true(fx_accepts(x, &t));
    assert_false(sim_tokens_accepts(x->st, "Bearer forged"));
    assert_false(sim_tokens_accepts(x->st, NULL));
    x->now += 3599; /* expired */
    assert_false(fx_accepts(x, &t));

    assert_true(fx_call(x, "POST", "/contoso/oauth2/v2.0/token", SP_BODY("wrong")));
    assert_int_equal(fx_error(x, 401, &err), TOKEN_OAUTH_INVALID_CLIENT);
    assert_non_null(strstr(err.message, "login: AADSTS7000215: Invalid client secret provided."));
    assert_int_equal(strlen(err.request_id), 36); /* a trace id */
    assert_int_equal(strlen(err.correlation_id), 36);

    assert_true(fx_call(x, "POST", "/contoso/oauth2/v2.0/token",
                        "grant_type=client_credentials&client_id=other&client_secret=x&scope="
                        "https%3A%2F%2Fmanagement.azure.com%2F.default"));
    assert_int_equal(fx_error(x, 400, &err), TOKEN_OAUTH_UNAUTHORIZED_CLIENT);
    assert_true(fx_call(x, "POST", "/contoso/oauth2/v2.0/token",
                        "grant_type=client_credentials&client_id=app-1&client_secret=s3cret%2B%2F"
                        "%3D&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default"));
    assert_int_equal(fx_error(x, 400, &err), TOKEN_OAUTH_INVALID_SCOPE);
    assert_true(fx_call(x, "POST", "/contoso/oauth2/v2.0/token", "client_id=app-1"));
    assert_int_equal(fx_error(x, 400, &err), TOKEN_OAUTH_INVALID_REQUEST);
    assert_true(fx_call(x, "POST", "/contoso/oauth2/v2.0/token", "grant_type=password"));
    fx_error(x, 400, &err);
    assert_string_equal(err.code, "unsupported_grant_type");
    assert_true(fx_call(x, "GET", "/contoso/oauth2/v2.0/token", NULL));
    assert_int_equal(x->resp.status, 405);
    token_clear(&t);
    fx_done(x);
}

/* --- certificate client assertions ----------------------------------------------------- */

#define CERT_HOST "login.test:8080"
#define CERT_PATH "/contoso/oauth2/v2.0/token"
#define CERT_AUD "http://" CERT_HOST CERT_PATH

/* An assertion made by gpup's own builder from cert_of's certificate and key_of's key... which
 * it refuses to mix, so a forged one (x5t of cert_of, signed by key_of) is put together here. */
static char *make_assertion(const struct certfix *cert_of, const struct certfix *key_of,
                            const char *iss, const char *aud, int64_t now)
{
    if (cert_of == key_of) {
        char *pem = certfix_pem(cert_of, key_of, CERTFIX_CERT_THEN_KEY);
        struct gp_secret s, tok;
        gp_secret_init(&s);
        gp_secret_init(&tok);
        assert_int_equal(gp_secret_set(&s, pem, strlen(pem)), GP_OK);
        free(pem);
        struct assertion_params p = {.client_id = iss, .audience = aud, .now = now};
        struct gp_error err;
        assert_int_equal(assertion_from_pem(&s, &p, &tok, &err), GP_OK);
        char *out = strdup(token_secret_str(&tok));
        assert_non_null(out);
        gp_secret_clear(&s);
        gp_secret_clear(&tok);
        return out;
    }
    char x5t[32];
    certfix_x5t(cert_of, x5t, sizeof(x5t));
    unsigned char thumb[20];
    size_t n = 0;
    assert_int_equal(jwt_base64url_decode(x5t, strlen(x5t), thumb, sizeof(thumb), &n), GP_OK);
    struct jwt_claims c = {
        .aud = aud, .iss = iss, .sub = iss, .jti = "j-1", .nbf = now, .iat = now, .exp = now + 600};
    struct gp_buf b;
    gp_buf_init(&b, JWT_MAX);
    assert_int_equal(jwt_signing_input(&b, thumb, n, &c), GP_OK);
    size_t sig_len = 0;
    unsigned char *sig = certfix_sign(key_of, b.data, b.len, &sig_len);
    assert_int_equal(jwt_append_signature(&b, sig, sig_len), GP_OK);
    free(sig);
    char *out = gp_buf_take(&b, NULL);
    assert_non_null(out);
    return out;
}

/* Posts a client_credentials request for client app-1 with assertion (and type). */
static void post_assertion(struct fx *x, const char *type, const char *assertion,
                           const char *secret)
{
    struct gp_buf b;
    gp_buf_init(&b, 64 * 1024);
    assert_int_equal(token_form_add(&b, "grant_type", "client_credentials", 18), GP_OK);
    assert_int_equal(token_form_add(&b, "client_id", "app-1", 5), GP_OK);
    if (type)
        assert_int_equal(token_form_add(&b, "client_assertion_type", type, strlen(type)), GP_OK);
    if (assertion)
        assert_int_equal(token_form_add(&b, "client_assertion", assertion, strlen(assertion)),
                         GP_OK);
    if (secret)
        assert_int_equal(token_form_add(&b, "client_secret", secret, strlen(secret)), GP_OK);
    static const char scope[] = "https://management.azure.com/.default";
    assert_int_equal(token_form_add(&b, "scope", scope, sizeof(scope) - 1), GP_OK);
    fx_set(x, "Host", CERT_HOST);
    assert_true(fx_call(x, "POST", CERT_PATH, gp_buf_str(&b)));
    gp_buf_cleanup(&b);
}

#define JWT_BEARER "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

static void expect_refused(struct fx *x, const char *assertion, int status, const char *words)
{
    post_assertion(x, JWT_BEARER, assertion, NULL);
    struct gp_error err;
    gp_error_clear(&err);
    (void)fx_error(x, status, &err);
    if (!strstr(err.message, words))
        fail_msg("\"%s\" not in: %s", words, err.message);
}

static void test_client_assertion(void **state)
{
    (void)state;
    struct certfix a, b;
    certfix_new(&a);
    certfix_new(&b);
    char dir[64], cert_file[96];
    snprintf(dir, sizeof(dir), "/tmp/gpup-simcert-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(cert_file, sizeof(cert_file), "%s/registered.pem", dir);
    certfix_write(cert_file, 0644, &a, &a, CERTFIX_CERT_ONLY); /* a certificate is public */
    struct sim_tokens_config cfg = {.client_id = "app-1", .client_cert_file = cert_file};
    struct fx *x = fx_make(&cfg);

    /* gpup's assertion: a token that ARM then accepts */
    char *ok = make_assertion(&a, &a, "app-1", CERT_AUD, T0);
    post_assertion(x, JWT_BEARER, ok, NULL);
    struct token t = {0};
    fx_token(x, &t);
    assert_true(fx_accepts(x, &t));
    token_clear(&t);
    /* still good a few minutes on, and with a client clock a little ahead (Entra's skew) */
    x->now = T0 + 500;
    post_assertion(x, JWT_BEARER, ok, NULL);
    assert_int_equal(x->resp.status, 200);
    x->now = T0 - 200;
    post_assertion(x, JWT_BEARER, ok, NULL);
    assert_int_equal(x->resp.status, 200);

    /* expired, and not yet valid (client clock skewed by an hour) */
    x->now = T0 + 3600;
    expect_refused(x, ok, 401, "AADSTS700024: Client assertion is not within its valid time range");
    x->now = T0 - 3600;
    expect_refused(x, ok, 401, "AADSTS700024");
    x->now = T0;
    free(ok);

    /* the registered certificate's thumbprint, signed by another key */
    char *forged = make_assertion(&a, &b, "app-1", CERT_AUD, T0);
    expect_refused(x, forged, 401, "AADSTS700027: Client assertion contains an invalid signature");
    free(forged);
    /* another certificate altogether */
    char *other = make_assertion(&b, &b, "app-1", CERT_AUD, T0);
    expect_refused(x, other, 401,
                   "AADSTS700027: Client assertion failed signature validation. "
                   "[Reason - The key was not found.");
    free(other);
    /* another audience, another client */
    char *aud = make_assertion(&a, &a, "app-1",
                               "https://login.microsoftonline.com/contoso/oauth2/v2.0/token", T0);
    expect_refused(x, aud, 401, "AADSTS700023");
    free(aud);
    char *iss = make_assertion(&a, &a, "app-2", CERT_AUD, T0);
    expect_refused(x, iss, 401, "AADSTS700021");
    free(iss);
    /* malformed; wrong type; both credentials; a secret when only a certificate is registered */
    expect_refused(x, "not.a.jwt", 401, "AADSTS50027");
    ok = make_assertion(&a, &a, "app-1", CERT_AUD, T0);
    struct gp_error err;
    post_assertion(x, "urn:other", ok, NULL);
    assert_int_equal(fx_error(x, 400, &err), TOKEN_OAUTH_INVALID_REQUEST);
    post_assertion(x, JWT_BEARER, ok, "s3cret");
    assert_int_equal(fx_error(x, 400, &err), TOKEN_OAUTH_INVALID_REQUEST);
    post_assertion(x, NULL, NULL, "s3cret");
    assert_int_equal(fx_error(x, 401, &err), TOKEN_OAUTH_INVALID_CLIENT);
    assert_non_null(strstr(err.message, "AADSTS7000215"));
    fx_done(x);

    /* without a registered certificate every assertion is refused */
    struct sim_tokens_config plain = {.client_id = "app-1", .client_secret = "s3cret"};
    x = fx_make(&plain);
    expect_refused(x, ok, 401, "No certificate is registered");
    post_assertion(x, NULL, NULL, "s3cret");
    assert_int_equal(x->resp.status, 200);
    fx_done(x);
    free(ok);

    /* a file without a certificate is refused when the sim starts */
    struct sim_tokens *st = NULL;
    certfix_write(cert_file, 0600, &a, &a, CERTFIX_KEY_ONLY);
    struct sim_tokens_config bad = {.client_id = "app-1", .client_cert_file = cert_file};
    assert_int_equal(sim_tokens_new(&bad, &st, &err), GP_E_INVALID);
    assert_non_null(strstr(err.message, "no PEM certificate"));
    assert_null(st);
    unlink(cert_file);
    assert_int_equal(sim_tokens_new(&bad, &st, &err), GP_E_IO);
    rmdir(dir);
    certfix_free(&a);
    certfix_free(&b);
}

static void test_not_a_login_path(void **state)
{
    (void)state;
    struct sim_tokens_config cfg = {0};
    struct fx *x = fx_make(&cfg);
    assert_false(fx_call(x, "GET", "/subscriptions/0000/resourceGroups", NULL));
    assert_false(fx_call(x, "POST", "/a/b/oauth2/v2.0/token", "x"));
    assert_false(fx_call(x, "POST", "/contoso/oauth2/v2.0/authorize", "x"));
    assert_false(fx_call(x, "POST", "/contoso/oauth2/token", "x"));
    assert_null(x->resp.body);
    fx_done(x);
}

/* Starts a device-code login; returns the device code (static storage). */
static const char *start_device(struct fx *x, struct token_device_code *dc)
{
    assert_true(fx_call(x, "POST", "/organizations/oauth2/v2.0/devicecode",
                        "client_id=cli&scope=https%3A%2F%2Fmanagement.azure.com%2F.default%20"
                        "offline_access"));
    assert_int_equal(x->resp.status, 200);
    struct gp_error err;
    assert_int_equal(token_parse_device_code(x->resp.body, strlen(x->resp.body), dc, &err), GP_OK);
    assert_int_equal(dc->interval, 5);
    assert_int_equal(dc->expires_in, 900);
    assert_string_equal(dc->user_code, sim_tokens_last_user_code(x->st));
    assert_non_null(strstr(dc->message, dc->user_code));
    return token_secret_str(&dc->device_code);
}

static bool poll_device(struct fx *x, const char *code)
{
    char body[256];
    snprintf(body, sizeof(body),
             "grant_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Agrant-type%%3Adevice_code&client_id="
             "cli&device_code=%s",
             code);
    return fx_call(x, "POST", "/organizations/oauth2/v2.0/token", body);
}

static void test_device_code_flow(void **state)
{
    (void)state;
    struct sim_tokens_config cfg = {.pending_polls = 2};
    struct fx *x = fx_make(&cfg);
    struct token_device_code dc = {0};
    struct gp_error err;
    const char *code = start_device(x, &dc);
    assert_true(poll_device(x, code));
    assert_int_equal(fx_error(x, 400, &err), TOKEN_OAUTH_AUTHORIZATION_PENDING);
    assert_true(poll_device(x, code));
    assert_int_equal(fx_error(x, 400, &err), TOKEN_OAUTH_AUTHORIZATION_PENDING);
    assert_true(poll_device(x, code));
    assert_int_equal(fx_error(x, 400, &err), TOKEN_OAUTH_SLOW_DOWN);
    assert_true(poll_device(x, code));
    struct token t = {0};
    fx_token(x, &t);
    assert_true(fx_accepts(x, &t));
    assert_true(gp_secret_is_set(&t.refresh));
    /* a used code is gone */
    assert_true(poll_device(x, code));
    assert_int_equal(fx_error(x, 400, &err), TOKEN_OAUTH_BAD_VERIFICATION_CODE);

    /* refresh: a new pair; the old refresh token is single use */
    char body[256], old[96];
    snprintf(old, sizeof(old), "%s", token_secret_str(&t.refresh));
    snprintf(body, sizeof(body), "grant_type=refresh_token&client_id=cli&refresh_token=%s", old);
    assert_true(fx_call(x, "POST", "/organizations/oauth2/v2.0/token", body));
    struct token t2 = {0};
    fx_token(x, &t2);
    assert_true(fx_accepts(x, &t2));
    assert_string_not_equal(token_secret_str(&t2.refresh), old);
    assert_true(fx_call(x, "POST", "/organizations/oauth2/v2.0/token", body));
    assert_int_equal(fx_error(x, 400, &err), TOKEN_OAUTH_INVALID_GRANT);
    snprintf(body, sizeof(body), "grant_type=refresh_token&client_id=other&refresh_token=%s",
             token_secret_str(&t2.refresh));
    assert_true(fx_call(x, "POST", "/organizations/oauth2/v2.0/token", body));
    assert_int_equal(fx_error(x, 400, &err), TOKEN_OAUTH_INVALID_GRANT);
    token_clear(&t);
    token_clear(&t2);
    token_device_code_clear(&dc);
    fx_done(x);
}

static void test_device_code_expires_and_declines(void **state)
{
    (void)state;
    struct sim_tokens_config cfg = {.pending_polls = 5};
    struct fx *x = fx_make(&cfg);
    struct token_device_code dc = {0}, dc2 = {0};
    struct gp_error err;
    const char *code = start_device(x, &dc);
    x->now += 900;
    assert_true(poll_device(x, code));
    assert_int_equal(fx_error(x, 400, &err), TOKEN_OAUTH_EXPIRED_TOKEN);
    code = start_device(x, &dc2);
    sim_tokens_decline_pending(x->st);
    assert_true(poll_device(x, code));
    assert_int_equal(fx_error(x, 400, &err), TOKEN_OAUTH_AUTHORIZATION_DECLINED);
    assert_true(poll_device(x, "no-such-code"));
    assert_int_equal(fx_error(x, 400, &err), TOKEN_OAUTH_BAD_VERIFICATION_CODE);
    assert_true(
        fx_call(x, "POST", "/organizations/oauth2/v2.0/devicecode", "client_id=cli&scope=openid"));
    assert_int_equal(fx_error(x, 400, &err), TOKEN_OAUTH_INVALID_SCOPE);
    token_device_code_clear(&dc);
    token_device_code_clear(&dc2);
    fx_done(x);
}

static void test_managed_identity_challenge(void **state)
{
    (void)state;
    struct sim_tokens_config cfg = {0};
    struct fx *x = fx_make(&cfg);
    const char *path = "/metadata/identity/oauth2/token";
    struct gp_error err;
    /* no Metadata header */
    fx_set(x, "api-version", "2019-11-01");
    fx_set(x, "resource", "https://management.azure.com");
    assert_true(fx_call(x, "GET", path, NULL));
    assert_int_equal(x->resp.status, 400);
    /* the challenge */
    fx_set(x, "api-version", "2019-11-01");
    fx_set(x, "resource", "https://management.azure.com");
    fx_set(x, "Metadata", "true");
    assert_true(fx_call(x, "GET", path, NULL));
    assert_int_equal(x->resp.status, 401);
    char key[512];
    assert_int_equal(token_parse_basic_realm(x->resp.www_authenticate, key, sizeof(key), &err),
                     GP_OK);
    assert_int_equal(strncmp(key, x->dir, strlen(x->dir)), 0);
    struct stat sb;
    assert_int_equal(stat(key, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    FILE *f = fopen(key, "r");
    assert_non_null(f);
    char secret[128] = "", auth[160];
    assert_non_null(fgets(secret, sizeof(secret), f));
    fclose(f);
    /* a wrong key: challenged again */
    fx_set(x, "api-version", "2019-11-01");
    fx_set(x, "resource", "https://management.azure.com/");
    fx_set(x, "Metadata", "true");
    fx_set(x, "Authorization", "Basic nope");
    assert_true(fx_call(x, "GET", path, NULL));
    assert_int_equal(x->resp.status, 401);
    /* the right one */
    snprintf(auth, sizeof(auth), "Basic %s", secret);
    fx_set(x, "api-version", "2019-11-01");
    fx_set(x, "resource", "https://management.azure.com");
    fx_set(x, "Metadata", "true");
    fx_set(x, "Authorization", auth);
    assert_true(fx_call(x, "GET", path, NULL));
    assert_int_equal(x->resp.status, 200);
    struct token t = {0};
    assert_int_equal(
        token_parse_managed_identity(x->resp.body, strlen(x->resp.body), x->now, &t, &err), GP_OK);
    assert_int_equal(t.expires_on, T0 + 3599);
    assert_true(fx_accepts(x, &t));
    assert_int_equal(stat(key, &sb), -1); /* single use */
    token_clear(&t);
    /* another resource */
    fx_set(x, "api-version", "2019-11-01");
    fx_set(x, "resource", "https://vault.azure.net");
    fx_set(x, "Metadata", "true");
    assert_true(fx_call(x, "GET", path, NULL));
    assert_int_equal(x->resp.status, 400);
    fx_done(x); /* also checks the remaining key file was removed */
}

static void test_fixed_token(void **state)
{
    (void)state;
    struct sim_tokens_config cfg = {
        .client_id = "app-1", .client_secret = "s", .fixed_token = "exact-token"};
    struct fx *x = fx_make(&cfg);
    assert_true(fx_call(x, "POST", "/t/oauth2/v2.0/token", SP_BODY("s")));
    struct token t = {0};
    fx_token(x, &t);
    assert_string_equal(token_secret_str(&t.access), "exact-token");
    assert_true(sim_tokens_accepts(x->st, "Bearer exact-token"));
    assert_false(sim_tokens_accepts(x->st, "Bearer exact-token2"));
    token_clear(&t);
    fx_done(x);
}

/* --- gpup's provider against the emulated endpoints -------------------------------------- */

struct route {
    struct gp_loop *loop;
    struct sim_tokens *st;
    auth_http_done_fn done;
    void *ctx;
    uint64_t timer;
    struct sim_tokens_response resp;
    char query[1024];
    char path[512];
    const struct auth_header *hdrs; /* valid during send only */
    char hname[4][32];
    char hval[4][256];
    size_t nh;
    char notices[1024];
};

static const char *route_arg(void *ctx, const char *name)
{
    struct route *r = ctx;
    static char vals[4][512];
    static unsigned turn;
    char *val = vals[turn++ % 4];
    size_t nl = strlen(name);
    for (const char *p = r->query; *p;) {
        if (strncmp(p, name, nl) == 0 && p[nl] == '=') {
            size_t o = 0;
            for (const char *q = p + nl + 1; *q && *q != '&' && o + 1 < sizeof(vals[0]); q++) {
                if (*q == '%' && q[1] && q[2]) {
                    char hex[3] = {q[1], q[2], 0};
                    val[o++] = (char)strtol(hex, NULL, 16);
                    q += 2;
                } else {
                    val[o++] = *q;
                }
            }
            val[o] = '\0';
            return val;
        }
        const char *amp = strchr(p, '&');
        if (!amp)
            break;
        p = amp + 1;
    }
    return NULL;
}

static const char *route_header(void *ctx, const char *name)
{
    struct route *r = ctx;
    for (size_t i = 0; i < r->nh; i++) {
        if (strcasecmp(r->hname[i], name) == 0)
            return r->hval[i];
    }
    return NULL;
}

static void route_deliver(void *ctx)
{
    struct route *r = ctx;
    r->timer = 0;
    struct sim_tokens_response cur = r->resp; /* done may send the next request */
    memset(&r->resp, 0, sizeof(r->resp));
    struct auth_http_response resp = {
        .status = GP_OK,
        .http_status = cur.status,
        .body = cur.body,
        .body_len = strlen(cur.body),
        .www_authenticate = cur.www_authenticate,
    };
    r->done(r->ctx, &resp);
    sim_tokens_response_clear(&cur);
}

static enum gp_status route_send(void *tctx, const struct auth_http_request *rq,
                                 auth_http_done_fn done, void *ctx, void **out_handle,
                                 struct gp_error *err)
{
    struct route *r = tctx;
    (void)err;
    /* "http://127.0.0.1:1/path?query" */
    const char *p = strchr(rq->url + strlen("http://"), '/');
    assert_non_null(p);
    const char *q = strchr(p, '?');
    snprintf(r->path, sizeof(r->path), "%.*s", (int)(q ? (size_t)(q - p) : strlen(p)), p);
    snprintf(r->query, sizeof(r->query), "%s", q ? q + 1 : "");
    r->nh = 0;
    for (size_t i = 0; i < rq->n_headers && i < 4; i++) {
        snprintf(r->hname[i], sizeof(r->hname[i]), "%s", rq->headers[i].name);
        snprintf(r->hval[i], sizeof(r->hval[i]), "%s", rq->headers[i].value);
        r->nh++;
    }
    struct sim_tokens_request srq = {
        .method = rq->method,
        .path = r->path,
        .body = rq->body,
        .body_len = rq->body_len,
        .arg = route_arg,
        .header = route_header,
        .ctx = r,
    };
    assert_true(sim_tokens_handle(r->st, &srq, &r->resp));
    r->done = done;
    r->ctx = ctx;
    r->timer = loop_timer_add(r->loop, 0, route_deliver, r);
    *out_handle = r;
    return GP_OK;
}

static void route_cancel(void *tctx, void *handle)
{
    struct route *r = tctx;
    (void)handle;
    loop_timer_cancel(r->loop, r->timer);
    sim_tokens_response_clear(&r->resp);
}

static const struct auth_transport_ops route_ops = {route_send, route_cancel};

static void route_notice(void *ctx, const char *line)
{
    struct route *r = ctx;
    size_t u = strlen(r->notices);
    snprintf(r->notices + u, sizeof(r->notices) - u, "%s\n", line);
}

struct got {
    int calls;
    enum gp_status st;
    char token[128];
    char msg[512];
};

static void got_token(void *ctx, enum gp_status st, const struct gp_secret *tok,
                      const struct gp_error *err)
{
    struct got *g = ctx;
    g->calls++;
    g->st = st;
    if (tok)
        snprintf(g->token, sizeof(g->token), "%.*s", (int)tok->len, token_secret_str(tok));
    if (err)
        snprintf(g->msg, sizeof(g->msg), "%s", err->message);
}

static void run_until(struct gp_loop *l, const struct got *g)
{
    for (int i = 0; i < 10000 && g->calls == 0; i++)
        assert_int_equal(loop_run_once(l, -1), GP_OK);
    assert_int_equal(g->calls, 1);
}

static void test_provider_against_emulator(void **state)
{
    (void)state;
    char dir[64];
    snprintf(dir, sizeof(dir), "/tmp/gpup-e2e-XXXXXX");
    assert_non_null(mkdtemp(dir));
    char secret_file[128];
    snprintf(secret_file, sizeof(secret_file), "%s/secret", dir);
    FILE *f = fopen(secret_file, "w");
    assert_non_null(f);
    fputs("pa ss&word\n", f);
    fclose(f);
    assert_int_equal(chmod(secret_file, 0600), 0);

    struct route r = {0};
    assert_int_equal(loop_new(&r.loop), GP_OK);
    loop_use_virtual_clock(r.loop);
    struct sim_tokens_config scfg = {
        .client_id = "app-1", .client_secret = "pa ss&word", .key_dir = dir, .pending_polls = 1};
    struct gp_error err;
    assert_int_equal(sim_tokens_new(&scfg, &r.st, &err), GP_OK);

    static const enum auth_method methods[] = {AUTH_SERVICE_PRINCIPAL, AUTH_DEVICE_CODE,
                                               AUTH_MANAGED_IDENTITY};
    for (size_t i = 0; i < 3; i++) {
        struct auth_config cfg = {
            .method = methods[i],
            .authority = "http://127.0.0.1:1",
            .tenant = "contoso",
            .client_id = methods[i] == AUTH_SERVICE_PRINCIPAL ? "app-1" : NULL,
            .client_secret_file = secret_file,
            .az_path = "",
            .identity_endpoint = "http://127.0.0.1:1/metadata/identity/oauth2/token",
            .identity_key_dir = dir,
            .notice = route_notice,
            .notice_ctx = &r,
            .keep_dumpable = true,
        };
        struct auth *a = NULL;
        assert_int_equal(auth_new(r.loop, &route_ops, &r, &cfg, &a, &err), GP_OK);
        struct got g = {0};
        if (methods[i] == AUTH_DEVICE_CODE)
            assert_int_equal(auth_login(a, got_token, &g), GP_OK);
        else
            assert_int_equal(auth_get_token(a, got_token, &g), GP_OK);
        run_until(r.loop, &g);
        assert_int_equal(g.st, GP_OK);
        char h[160];
        snprintf(h, sizeof(h), "Bearer %s", g.token);
        assert_true(sim_tokens_accepts(r.st, h));
        auth_free(a);
    }
    assert_non_null(strstr(r.notices, sim_tokens_last_user_code(r.st)));

    /* a wrong secret: gpup shows AAD's first line and the trace id */
    f = fopen(secret_file, "w");
    assert_non_null(f);
    fputs("wrong", f);
    fclose(f);
    struct auth_config cfg = {.method = AUTH_SERVICE_PRINCIPAL,
                              .authority = "http://127.0.0.1:1",
                              .tenant = "contoso",
                              .client_id = "app-1",
                              .client_secret_file = secret_file,
                              .az_path = "",
                              .keep_dumpable = true};
    struct auth *a = NULL;
    assert_int_equal(auth_new(r.loop, &route_ops, &r, &cfg, &a, &err), GP_OK);
    struct got g = {0};
    assert_int_equal(auth_get_token(a, got_token, &g), GP_OK);
    run_until(r.loop, &g);
    assert_int_equal(g.st, GP_E_AUTH);
    assert_non_null(strstr(g.msg, "service principal: AADSTS7000215: Invalid client secret "
                                  "provided."));
    assert_non_null(strstr(g.msg, "(invalid_client, trace id "));
    auth_free(a);

    sim_tokens_free(r.st);
    loop_free(r.loop);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_credentials),
        cmocka_unit_test(test_client_assertion),
        cmocka_unit_test(test_not_a_login_path),
        cmocka_unit_test(test_device_code_flow),
        cmocka_unit_test(test_device_code_expires_and_declines),
        cmocka_unit_test(test_managed_identity_challenge),
        cmocka_unit_test(test_fixed_token),
        cmocka_unit_test(test_provider_against_emulator),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
