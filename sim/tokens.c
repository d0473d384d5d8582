/* SPDX-License-Identifier: MIT
 * sim/tokens.c: the emulated login endpoints. State is a few bounded tables: issued access
 * tokens, refresh tokens, device codes, managed identity keys. Answers use Entra ID's shapes,
 * including AADSTS error descriptions with trace and correlation ids. */
#include "sim/tokens.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "model/jwt.h"
#include "model/text.h"
#include "sim/cert.h"

#define MAX_ISSUED 1024
#define MAX_REFRESH 256
#define MAX_CODES 64
#define MAX_KEYS 16
#define FORM_MAX (64 * 1024)
#define ARM_RESOURCE "https://management.azure.com"
#define JWT_BEARER "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
/* Entra ID tolerates this much clock difference in an assertion's nbf and exp. */
#define ASSERTION_SKEW_S 300

struct issued {
    char token[80];
    int64_t expires;
};

struct refresh {
    char token[80];
    char client_id[128];
};

struct device_code {
    char code[80];
    char user_code[16];
    char client_id[128];
    int64_t expires;
    unsigned polls;
    bool slowed;
    bool declined;
    bool used;
};

struct mi_key {
    char path[512];
    char secret[80];
};

struct sim_tokens {
    char *client_id;
    char *client_secret;
    struct sim_cert *cert; /* the registered certificate, or NULL */
    char *fixed_token;
    char *key_dir;
    unsigned pending_polls;
    bool no_slow_down;
    unsigned dc_interval;
    int64_t lifetime;
    int64_t dc_lifetime;
    int64_t (*clock)(void *);
    void *clock_ctx;
    uint64_t rng;
    struct issued issued[MAX_ISSUED];
    size_t n_issued; /* ring: next slot = n_issued % MAX_ISSUED */
    struct refresh refresh[MAX_REFRESH];
    size_t n_refresh;
    struct device_code codes[MAX_CODES];
    size_t n_codes;
    struct mi_key keys[MAX_KEYS];
    size_t n_keys;
};

/* --- small helpers --------------------------------------------------------------------- */

static int64_t now_s(const struct sim_tokens *st)
{
    return st->clock ? st->clock(st->clock_ctx) : (int64_t)time(NULL);
}

static uint64_t rng_next(struct sim_tokens *st)
{
    uint64_t z = (st->rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* prefix + 32 random hex digits */
static void random_id(struct sim_tokens *st, char *out, size_t n, const char *prefix)
{
    uint64_t a = rng_next(st), b = rng_next(st);
    snprintf(out, n, "%s%016llx%016llx", prefix, (unsigned long long)a, (unsigned long long)b);
}

static void uuid(struct sim_tokens *st, char out[37])
{
    uint64_t a = rng_next(st), b = rng_next(st);
    snprintf(out, 37, "%08x-%04x-4%03x-a%03x-%012llx", (unsigned)(a >> 32),
             (unsigned)((a >> 16) & 0xffff), (unsigned)(a & 0xfff), (unsigned)(b >> 52) & 0xfff,
             (unsigned long long)(b & 0xffffffffffffull));
}

static char *dup_or_null(const char *s)
{
    return s ? text_dup(s) : NULL;
}

static char *json_take(cJSON *root)
{
    char *s = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return s;
}

/* --- construction ---------------------------------------------------------------------- */

enum gp_status sim_tokens_new(const struct sim_tokens_config *cfg, struct sim_tokens **out,
                              struct gp_error *err)
{
    *out = NULL;
    struct sim_tokens *st = calloc(1, sizeof(*st));
    if (!st)
        return gp_error_set(err, GP_E_NOMEM, "sim tokens: out of memory");
    st->client_id = dup_or_null(cfg->client_id);
    st->client_secret = dup_or_null(cfg->client_secret);
    st->fixed_token = dup_or_null(cfg->fixed_token);
    st->key_dir = dup_or_null(cfg->key_dir);
    if ((cfg->client_id && !st->client_id) || (cfg->client_secret && !st->client_secret) ||
        (cfg->fixed_token && !st->fixed_token) || (cfg->key_dir && !st->key_dir)) {
        sim_tokens_free(st);
        return gp_error_set(err, GP_E_NOMEM, "sim tokens: out of memory");
    }
    if (cfg->client_cert_file) {
        enum gp_status cst = sim_cert_load(cfg->client_cert_file, &st->cert, err);
        if (cst != GP_OK) {
            sim_tokens_free(st);
            return cst;
        }
    }
    if (st->key_dir) {
        struct stat sb;
        if (stat(st->key_dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
            sim_tokens_free(st);
            return gp_error_set(err, GP_E_INVALID, "sim tokens: %s is not a directory",
                                cfg->key_dir);
        }
    }
    st->pending_polls = cfg->pending_polls;
    st->no_slow_down = cfg->no_slow_down;
    st->dc_interval = cfg->device_interval_s ? cfg->device_interval_s : 5;
    st->lifetime = cfg->token_lifetime_s > 0 ? cfg->token_lifetime_s : 3599;
    st->dc_lifetime = cfg->device_code_lifetime_s > 0 ? cfg->device_code_lifetime_s : 900;
    st->clock = cfg->clock;
    st->clock_ctx = cfg->clock_ctx;
    uint64_t seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)st;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        uint64_t r = 0;
        if (read(fd, &r, sizeof(r)) == (ssize_t)sizeof(r))
            seed ^= r;
        close(fd);
    }
    st->rng = seed;
    *out = st;
    return GP_OK;
}

void sim_tokens_free(struct sim_tokens *st)
{
    if (!st)
        return;
    for (size_t i = 0; i < st->n_keys; i++)
        unlink(st->keys[i].path);
    free(st->client_id);
    free(st->client_secret);
    sim_cert_free(st->cert);
    free(st->fixed_token);
    free(st->key_dir);
    free(st);
}

void sim_tokens_response_clear(struct sim_tokens_response *r)
{
    if (!r)
        return;
    free(r->body);
    free(r->www_authenticate);
    r->body = NULL;
    r->www_authenticate = NULL;
    r->status = 0;
}

/* --- answers --------------------------------------------------------------------------- */

static void answer_error(struct sim_tokens *st, struct sim_tokens_response *out, int status,
                         const char *error, int aadsts, const char *text)
{
    char trace[37], corr[37], desc[1536], stamp[32];
    uuid(st, trace);
    uuid(st, corr);
    time_t t = (time_t)now_s(st);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%SZ", &tm);
    snprintf(desc, sizeof(desc),
             "AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\n"
             "Timestamp: %s",
             aadsts, text, trace, corr, stamp);
    cJSON *root = cJSON_CreateObject();
    cJSON *codes = cJSON_CreateArray();
    if (root && codes) {
        cJSON_AddStringToObject(root, "error", error);
        cJSON_AddStringToObject(root, "error_description", desc);
        cJSON_AddItemToArray(codes, cJSON_CreateNumber(aadsts));
        cJSON_AddItemToObject(root, "error_codes", codes);
        codes = NULL;
        cJSON_AddStringToObject(root, "timestamp", stamp);
        cJSON_AddStringToObject(root, "trace_id", trace);
        cJSON_AddStringToObject(root, "correlation_id", corr);
        cJSON_AddStringToObject(root, "error_uri",
                                "https://login.microsoftonline.com/error?code=0");
    }
    cJSON_Delete(codes);
    out->status = status;
    out->body = root ? json_take(root) : NULL;
}

static void remember_token(struct sim_tokens *st, const char *tok, int64_t expires)
{
    struct issued *it = &st->issued[st->n_issued % MAX_ISSUED];
    text_copy(it->token, sizeof(it->token), tok);
    it->expires = expires;
    st->n_issued++;
}

/* Issues an access token (and a refresh token when client_id_for_refresh is set). */
static void answer_token(struct sim_tokens *st, struct sim_tokens_response *out, const char *scope,
                         const char *client_id_for_refresh)
{
    char tok[80];
    if (st->fixed_token)
        text_copy(tok, sizeof(tok), st->fixed_token);
    else
        random_id(st, tok, sizeof(tok), "sim.");
    int64_t exp = now_s(st) + st->lifetime;
    if (!st->fixed_token)
        remember_token(st, tok, exp);
    cJSON *root = cJSON_CreateObject();
    if (root) {
        cJSON_AddStringToObject(root, "token_type", "Bearer");
        cJSON_AddStringToObject(root, "scope", scope ? scope : ARM_RESOURCE "/.default");
        cJSON_AddNumberToObject(root, "expires_in", (double)st->lifetime);
        cJSON_AddNumberToObject(root, "ext_expires_in", (double)st->lifetime);
        cJSON_AddStringToObject(root, "access_token", st->fixed_token ? st->fixed_token : tok);
        if (client_id_for_refresh) {
            struct refresh *r = &st->refresh[st->n_refresh % MAX_REFRESH];
            random_id(st, r->token, sizeof(r->token), "simr.");
            text_copy(r->client_id, sizeof(r->client_id), client_id_for_refresh);
            st->n_refresh++;
            cJSON_AddStringToObject(root, "refresh_token", r->token);
        }
    }
    out->status = 200;
    out->body = root ? json_take(root) : NULL;
}

/* --- form bodies ----------------------------------------------------------------------- */

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes in place ('+' is a space, %XX a byte); returns the new length. */
static size_t form_decode(char *s, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+') {
            s[o++] = ' ';
        } else if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            s[o++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else {
            s[o++] = s[i];
        }
    }
    s[o] = '\0';
    return o;
}

#define FORM_FIELDS 16
struct form {
    char *copy;
    const char *name[FORM_FIELDS];
    const char *value[FORM_FIELDS];
    size_t n;
};

static bool form_parse(struct form *f, const char *body, size_t len)
{
    memset(f, 0, sizeof(*f));
    if (len > FORM_MAX)
        return false;
    f->copy = malloc(len + 1);
    if (!f->copy)
        return false;
    if (len)
        memcpy(f->copy, body, len);
    f->copy[len] = '\0';
    char *p = f->copy;
    while (*p && f->n < FORM_FIELDS) {
        char *amp = strchr(p, '&');
        size_t plen = amp ? (size_t)(amp - p) : strlen(p);
        if (amp)
            *amp = '\0';
        char *eq = memchr(p, '=', plen);
        if (eq) {
            *eq = '\0';
            form_decode(p, (size_t)(eq - p));
            form_decode(eq + 1, strlen(eq + 1));
            f->name[f->n] = p;
            f->value[f->n] = eq + 1;
            f->n++;
        }
        if (!amp)
            break;
        p = amp + 1;
    }
    return true;
}

static const char *form_get(const struct form *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++) {
        if (strcmp(f->name[i], name) == 0)
            return f->value[i];
    }
    return NULL;
}

static void form_free(struct form *f)
{
    free(f->copy);
    f->copy = NULL;
}

/* --- endpoints ------------------------------------------------------------------------- */

static bool scope_is_arm(const char *scope)
{
    return scope && strstr(scope, ARM_RESOURCE "/.default") != NULL;
}

static const char *rq_header(const struct sim_tokens_request *rq, const char *name)
{
    return rq->header ? rq->header(rq->ctx, name) : NULL;
}

static const char *rq_arg(const struct sim_tokens_request *rq, const char *name)
{
    return rq->arg ? rq->arg(rq->ctx, name) : NULL;
}

/* Checks a certificate client assertion as Entra ID does (signature by the registered key,
 * then the claims); on failure *out holds the invalid_client answer and false is returned. */
static bool assertion_ok(struct sim_tokens *st, const struct sim_tokens_request *rq,
                         const char *cid, const char *jwt, struct sim_tokens_response *out)
{
    char text[1024];
    if (!st->cert) {
        answer_error(st, out, 401, "invalid_client", 700027,
                     "Client assertion failed signature validation. [Reason - The key was not "
                     "found.] No certificate is registered for the application.");
        return false;
    }
    struct jwt_parsed *p = malloc(sizeof(*p));
    if (!p) {
        out->status = 500;
        return false;
    }
    struct gp_error e;
    gp_error_clear(&e);
    bool ok = false;
    if (jwt_parse(jwt, strlen(jwt), p, &e) != GP_OK) {
        snprintf(text, sizeof(text), "JWT token is invalid or malformed: %.300s.", e.message);
        answer_error(st, out, 401, "invalid_client", 50027, text);
    } else if (strcmp(p->alg, "RS256") != 0) {
        answer_error(st, out, 401, "invalid_client", 50027,
                     "JWT token is invalid or malformed: the signing algorithm must be RS256.");
    } else if (strcmp(p->x5t, sim_cert_x5t(st->cert)) != 0) {
        /* Entra names keys by the upper-case hex SHA-1 thumbprint */
        unsigned char raw[48];
        size_t raw_len = 0;
        char shown[2 * sizeof(raw) + 1] = "";
        if (jwt_base64url_decode(p->x5t, strlen(p->x5t), raw, sizeof(raw), &raw_len) == GP_OK)
            for (size_t i = 0; i < raw_len; i++)
                snprintf(shown + 2 * i, 3, "%02X", raw[i]);
        snprintf(text, sizeof(text),
                 "Client assertion failed signature validation. [Reason - The key was not "
                 "found., Thumbprint of key used by client: '%s'] The application '%s' has "
                 "only the certificate %s registered.",
                 shown, cid, sim_cert_thumbprint_hex(st->cert));
        answer_error(st, out, 401, "invalid_client", 700027, text);
    } else if (!sim_cert_verify(st->cert, jwt, p->signing_len, p->sig, p->sig_len)) {
        answer_error(st, out, 401, "invalid_client", 700027,
                     "Client assertion contains an invalid signature. [Reason - The key used "
                     "to sign the assertion does not match the certificate registered for the "
                     "application.]");
    } else if (strcmp(p->iss, cid) != 0 || strcmp(p->sub, cid) != 0) {
        answer_error(st, out, 401, "invalid_client", 700021,
                     "Client assertion application identifier doesn't match 'client_id' "
                     "parameter. Review the documentation at "
                     "https://learn.microsoft.com/entra/identity-platform/"
                     "certificate-credentials.");
    } else {
        /* aud must be this token endpoint's URL, as the client reached it */
        const char *host = rq_header(rq, "Host");
        char aud[600];
        int n = snprintf(aud, sizeof(aud), "http://%s%s", host ? host : "", rq->path);
        int64_t now = now_s(st);
        if (!host || n < 0 || (size_t)n >= sizeof(aud) || strcmp(p->aud, aud) != 0) {
            char shown[160];
            snprintf(text, sizeof(text),
                     "The audience claim of the client assertion ('%s') does not match the "
                     "token endpoint ('%.400s').",
                     text_sanitize(shown, sizeof(shown), p->aud), host ? aud : "?");
            answer_error(st, out, 401, "invalid_client", 700023, text);
        } else if ((p->has_nbf && now + ASSERTION_SKEW_S < p->nbf) ||
                   now - ASSERTION_SKEW_S >= p->exp) {
            snprintf(text, sizeof(text),
                     "Client assertion is not within its valid time range. Current time: %lld, "
                     "assertion valid from %lld, expiry time of assertion %lld. Review the "
                     "documentation at https://learn.microsoft.com/entra/identity-platform/"
                     "certificate-credentials.",
                     (long long)now, (long long)(p->has_nbf ? p->nbf : 0), (long long)p->exp);
            answer_error(st, out, 401, "invalid_client", 700024, text);
        } else {
            ok = true;
        }
    }
    free(p);
    return ok;
}

static void client_credentials(struct sim_tokens *st, const struct sim_tokens_request *rq,
                               const struct form *f, struct sim_tokens_response *out)
{
    const char *cid = form_get(f, "client_id");
    const char *secret = form_get(f, "client_secret");
    const char *atype = form_get(f, "client_assertion_type");
    const char *assertion = form_get(f, "client_assertion");
    const char *scope = form_get(f, "scope");
    if (!cid || !cid[0]) {
        answer_error(st, out, 400, "invalid_request", 900144,
                     "The request body must contain the following parameter: 'client_id'.");
        return;
    }
    if (!st->client_id || strcmp(cid, st->client_id) != 0) {
        answer_error(st, out, 400, "unauthorized_client", 700016,
                     "Application was not found in the directory.");
        return;
    }
    if (atype || assertion) {
        if (secret) {
            answer_error(st, out, 400, "invalid_request", 90015,
                         "Only one of 'client_secret' and 'client_assertion' may be given.");
            return;
        }
        if (!atype || strcmp(atype, JWT_BEARER) != 0) {
            answer_error(st, out, 400, "invalid_request", 90014,
                         "The request body must contain 'client_assertion_type' with the "
                         "value '" JWT_BEARER "'.");
            return;
        }
        if (!assertion || !assertion[0]) {
            answer_error(st, out, 400, "invalid_request", 90014,
                         "The request body must contain the following parameter: "
                         "'client_assertion'.");
            return;
        }
        if (!assertion_ok(st, rq, cid, assertion, out))
            return;
    } else if (!secret || !st->client_secret || strcmp(secret, st->client_secret) != 0) {
        answer_error(st, out, 401, "invalid_client", 7000215,
                     "Invalid client secret provided. Ensure the secret being sent in the "
                     "request is the client secret value, not the client secret ID.");
        return;
    }
    if (!scope_is_arm(scope)) {
        answer_error(st, out, 400, "invalid_scope", 1002012,
                     "The provided value for scope is not valid.");
        return;
    }
    answer_token(st, out, scope, NULL);
}

static struct device_code *find_code(struct sim_tokens *st, const char *code)
{
    for (size_t i = 0; i < st->n_codes && i < MAX_CODES; i++) {
        if (code && strcmp(st->codes[i].code, code) == 0)
            return &st->codes[i];
    }
    return NULL;
}

static void device_code_grant(struct sim_tokens *st, const struct form *f,
                              struct sim_tokens_response *out)
{
    struct device_code *dc = find_code(st, form_get(f, "device_code"));
    const char *cid = form_get(f, "client_id");
    if (!dc || dc->used || !cid || strcmp(cid, dc->client_id) != 0) {
        answer_error(st, out, 400, "bad_verification_code", 70019,
                     "Verification code is not recognised.");
        return;
    }
    if (now_s(st) >= dc->expires) {
        answer_error(st, out, 400, "expired_token", 70020,
                     "The provided value for the input parameter 'device_code' is not valid. "
                     "This device code has expired.");
        return;
    }
    if (dc->declined) {
        answer_error(st, out, 400, "authorization_declined", 70000,
                     "The user declined the sign-in.");
        return;
    }
    if (dc->polls < st->pending_polls) {
        dc->polls++;
        answer_error(st, out, 400, "authorization_pending", 70016,
                     "OAuth 2.0 device flow error. Authorization is pending. Continue polling.");
        return;
    }
    if (!dc->slowed && !st->no_slow_down) {
        dc->slowed = true;
        answer_error(st, out, 400, "slow_down", 70016, "Polling too fast: slow down.");
        return;
    }
    dc->used = true;
    answer_token(st, out, ARM_RESOURCE "/.default offline_access", dc->client_id);
}

static void refresh_grant(struct sim_tokens *st, const struct form *f,
                          struct sim_tokens_response *out)
{
    const char *rt = form_get(f, "refresh_token");
    const char *cid = form_get(f, "client_id");
    size_t n = st->n_refresh < MAX_REFRESH ? st->n_refresh : MAX_REFRESH;
    for (size_t i = 0; rt && cid && i < n; i++) {
        struct refresh *r = &st->refresh[i];
        if (r->token[0] && strcmp(r->token, rt) == 0 && strcmp(r->client_id, cid) == 0) {
            char client[128];
            text_copy(client, sizeof(client), r->client_id);
            r->token[0] = '\0'; /* rotated: single use */
            answer_token(st, out, form_get(f, "scope"), client);
            return;
        }
    }
    answer_error(st, out, 400, "invalid_grant", 70000,
                 "The provided value for the 'refresh_token' is not valid.");
}

static void token_endpoint(struct sim_tokens *st, const struct sim_tokens_request *rq,
                           struct sim_tokens_response *out)
{
    struct form f;
    if (!form_parse(&f, rq->body ? rq->body : "", rq->body ? rq->body_len : 0)) {
        answer_error(st, out, 400, "invalid_request", 900144, "The request body is too large.");
        return;
    }
    const char *gt = form_get(&f, "grant_type");
    if (!gt)
        answer_error(st, out, 400, "invalid_request", 900144,
                     "The request body must contain the following parameter: 'grant_type'.");
    else if (strcmp(gt, "client_credentials") == 0)
        client_credentials(st, rq, &f, out);
    else if (strcmp(gt, "urn:ietf:params:oauth:grant-type:device_code") == 0)
        device_code_grant(st, &f, out);
    else if (strcmp(gt, "refresh_token") == 0)
        refresh_grant(st, &f, out);
    else
        answer_error(st, out, 400, "unsupported_grant_type", 70003,
                     "The app requested an unsupported grant type.");
    form_free(&f);
}

static void devicecode_endpoint(struct sim_tokens *st, const struct sim_tokens_request *rq,
                                struct sim_tokens_response *out)
{
    struct form f;
    if (!form_parse(&f, rq->body ? rq->body : "", rq->body ? rq->body_len : 0)) {
        answer_error(st, out, 400, "invalid_request", 900144, "The request body is too large.");
        return;
    }
    const char *cid = form_get(&f, "client_id");
    const char *scope = form_get(&f, "scope");
    if (!cid || !cid[0]) {
        answer_error(st, out, 400, "invalid_request", 900144,
                     "The request body must contain the following parameter: 'client_id'.");
    } else if (!scope_is_arm(scope)) {
        answer_error(st, out, 400, "invalid_scope", 70011,
                     "The provided value for the input parameter 'scope' is not valid.");
    } else {
        struct device_code *dc = &st->codes[st->n_codes % MAX_CODES];
        memset(dc, 0, sizeof(*dc));
        st->n_codes++;
        random_id(st, dc->code, sizeof(dc->code), "simdc.");
        static const char letters[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        for (size_t i = 0; i < 9; i++)
            dc->user_code[i] = letters[rng_next(st) % (sizeof(letters) - 1)];
        dc->user_code[9] = '\0';
        text_copy(dc->client_id, sizeof(dc->client_id), cid);
        dc->expires = now_s(st) + st->dc_lifetime;
        char msg[256];
        snprintf(msg, sizeof(msg),
                 "To sign in, use a web browser to open the page "
                 "https://microsoft.com/devicelogin and enter the code %s to authenticate.",
                 dc->user_code);
        cJSON *root = cJSON_CreateObject();
        if (root) {
            cJSON_AddStringToObject(root, "user_code", dc->user_code);
            cJSON_AddStringToObject(root, "device_code", dc->code);
            cJSON_AddStringToObject(root, "verification_uri", "https://microsoft.com/devicelogin");
            cJSON_AddNumberToObject(root, "expires_in", (double)st->dc_lifetime);
            cJSON_AddNumberToObject(root, "interval", (double)st->dc_interval);
            cJSON_AddStringToObject(root, "message", msg);
        }
        out->status = 200;
        out->body = root ? json_take(root) : NULL;
    }
    form_free(&f);
}

/* A fresh key file and the challenge naming it. */
static void mi_challenge(struct sim_tokens *st, struct sim_tokens_response *out)
{
    if (st->n_keys == MAX_KEYS) {
        unlink(st->keys[0].path);
        memmove(&st->keys[0], &st->keys[1], (MAX_KEYS - 1) * sizeof(st->keys[0]));
        st->n_keys--;
    }
    struct mi_key *k = &st->keys[st->n_keys];
    char name[64];
    random_id(st, name, sizeof(name), "");
    random_id(st, k->secret, sizeof(k->secret), "");
    int n = snprintf(k->path, sizeof(k->path), "%s/%s.key", st->key_dir, name);
    int fd = -1;
    if (n > 0 && (size_t)n < sizeof(k->path))
        fd = open(k->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    bool ok = fd >= 0 && write(fd, k->secret, strlen(k->secret)) == (ssize_t)strlen(k->secret);
    if (fd >= 0 && close(fd) != 0)
        ok = false;
    if (!ok) {
        if (fd >= 0)
            unlink(k->path);
        out->status = 500;
        out->body = text_dup("{\"error\":\"server_error\",\"error_description\":\"cannot write "
                             "the key file\"}");
        return;
    }
    st->n_keys++;
    size_t wl = strlen(k->path) + sizeof("Basic realm=");
    char *www = malloc(wl);
    if (www)
        snprintf(www, wl, "Basic realm=%s", k->path);
    out->status = 401;
    out->www_authenticate = www;
    out->body = text_dup("{\"error\":\"unauthorized\",\"error_description\":\"Authorization "
                         "header is missing; read the key file named by WWW-Authenticate\"}");
}

static void mi_endpoint(struct sim_tokens *st, const struct sim_tokens_request *rq,
                        struct sim_tokens_response *out)
{
    const char *md = rq_header(rq, "Metadata");
    const char *api = rq_arg(rq, "api-version");
    const char *res = rq_arg(rq, "resource");
    if (!md || strcasecmp(md, "true") != 0) {
        out->status = 400;
        out->body = text_dup("{\"error\":\"invalid_request\",\"error_description\":\"Required "
                             "metadata header not specified\"}");
        return;
    }
    if (!api || !api[0]) {
        out->status = 400;
        out->body = text_dup("{\"error\":\"invalid_request\",\"error_description\":\"Required "
                             "query variable 'api-version' is missing\"}");
        return;
    }
    if (!res || strncmp(res, ARM_RESOURCE, strlen(ARM_RESOURCE)) != 0 ||
        (res[strlen(ARM_RESOURCE)] != '\0' && strcmp(res + strlen(ARM_RESOURCE), "/") != 0)) {
        out->status = 400;
        out->body = text_dup("{\"error\":\"invalid_resource\",\"error_description\":\"The "
                             "resource is not valid\"}");
        return;
    }
    const char *auth = rq_header(rq, "Authorization");
    if (!auth || strncasecmp(auth, "Basic ", 6) != 0) {
        mi_challenge(st, out);
        return;
    }
    const char *given = auth + 6;
    for (size_t i = 0; i < st->n_keys; i++) {
        if (strcmp(st->keys[i].secret, given) == 0) {
            unlink(st->keys[i].path); /* single use */
            memmove(&st->keys[i], &st->keys[i + 1], (st->n_keys - i - 1) * sizeof(st->keys[0]));
            st->n_keys--;
            char tok[80], exp[32], life[32];
            if (st->fixed_token)
                text_copy(tok, sizeof(tok), st->fixed_token);
            else
                random_id(st, tok, sizeof(tok), "sim.");
            int64_t e = now_s(st) + st->lifetime;
            if (!st->fixed_token)
                remember_token(st, tok, e);
            snprintf(exp, sizeof(exp), "%lld", (long long)e);
            snprintf(life, sizeof(life), "%lld", (long long)st->lifetime);
            cJSON *root = cJSON_CreateObject();
            if (root) {
                cJSON_AddStringToObject(root, "access_token", tok);
                cJSON_AddStringToObject(root, "expires_in", life);
                cJSON_AddStringToObject(root, "expires_on", exp);
                cJSON_AddStringToObject(root, "ext_expires_in", life);
                cJSON_AddStringToObject(root, "not_before", exp);
                cJSON_AddStringToObject(root, "resource", res);
                cJSON_AddStringToObject(root, "token_type", "Bearer");
            }
            out->status = 200;
            out->body = root ? json_take(root) : NULL;
            return;
        }
    }
    mi_challenge(st, out);
}

/* "/{tenant}/oauth2/v2.0/{leaf}" → leaf, or NULL. */
static const char *login_leaf(const char *path)
{
    if (path[0] != '/')
        return NULL;
    const char *t = path + 1;
    size_t tl = strcspn(t, "/");
    if (tl == 0)
        return NULL;
    for (size_t i = 0; i < tl; i++) {
        char c = t[i];
        if (!(isalnum((unsigned char)c) || c == '-' || c == '.' || c == '_'))
            return NULL;
    }
    static const char mid[] = "/oauth2/v2.0/";
    if (strncmp(t + tl, mid, sizeof(mid) - 1) != 0)
        return NULL;
    return t + tl + sizeof(mid) - 1;
}

bool sim_tokens_handle(struct sim_tokens *st, const struct sim_tokens_request *rq,
                       struct sim_tokens_response *out)
{
    if (!st || !rq || !rq->path || !rq->method)
        return false;
    bool is_mi = strcmp(rq->path, "/metadata/identity/oauth2/token") == 0;
    const char *leaf = is_mi ? NULL : login_leaf(rq->path);
    bool is_token = leaf && strcmp(leaf, "token") == 0;
    bool is_dc = leaf && strcmp(leaf, "devicecode") == 0;
    if (!is_mi && !is_token && !is_dc)
        return false;
    if (is_mi && !st->key_dir)
        return false;
    out->status = 0;
    out->body = NULL;
    out->www_authenticate = NULL;
    const char *want = is_mi ? "GET" : "POST";
    if (strcmp(rq->method, want) != 0) {
        out->status = 405;
        out->body = text_dup("{\"error\":\"invalid_request\",\"error_description\":\"method "
                             "not allowed\"}");
    } else if (is_mi) {
        mi_endpoint(st, rq, out);
    } else if (is_token) {
        token_endpoint(st, rq, out);
    } else {
        devicecode_endpoint(st, rq, out);
    }
    if (!out->body) {
        out->status = 500;
        out->body = text_dup("{\"error\":\"server_error\"}");
    }
    return true;
}

bool sim_tokens_accepts(const struct sim_tokens *st, const char *authorization)
{
    if (!st || !authorization || strncasecmp(authorization, "Bearer ", 7) != 0)
        return false;
    const char *tok = authorization + 7;
    if (st->fixed_token && strcmp(tok, st->fixed_token) == 0)
        return true;
    int64_t now = now_s(st);
    size_t n = st->n_issued < MAX_ISSUED ? st->n_issued : MAX_ISSUED;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(st->issued[i].token, tok) == 0)
            return now < st->issued[i].expires;
    }
    return false;
}

void sim_tokens_decline_pending(struct sim_tokens *st)
{
    size_t n = st->n_codes < MAX_CODES ? st->n_codes : MAX_CODES;
    for (size_t i = 0; i < n; i++) {
        if (!st->codes[i].used)
            st->codes[i].declined = true;
    }
}

const char *sim_tokens_last_user_code(const struct sim_tokens *st)
{
    if (!st || st->n_codes == 0)
        return NULL;
    return st->codes[(st->n_codes - 1) % MAX_CODES].user_code;
}
