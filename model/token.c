/* SPDX-License-Identifier: MIT
 * model/token.c: parsing of token, device-code and OAuth error answers, the refresh decision,
 * form encoding and the cache file's JSON. cJSON trees are wiped (every string zeroed) before
 * they are freed, since they hold copies of tokens. */
#include "model/token.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "model/text.h"

/* --- secrets ----------------------------------------------------------------------------- */

void token_wipe_free(char *p, size_t len)
{
    if (!p)
        return;
    explicit_bzero(p, len);
    free(p);
}

const char *token_secret_str(const struct gp_secret *s)
{
    return (const char *)gp_secret_bytes(s);
}

bool token_secret_equal(const struct gp_secret *a, const struct gp_secret *b)
{
    return gp_secret_equal(a, gp_secret_bytes(b), gp_secret_len(b));
}

/* --- names ------------------------------------------------------------------------------- */

#define NAME_(id, name) name,
static const char *const source_names[] = {TOKEN_SOURCES(NAME_)};
static const char *const oauth_names[] = {TOKEN_OAUTH_ERRORS(NAME_)};
#undef NAME_

const char *token_source_name(enum token_source s)
{
    if ((unsigned)s >= TOKEN_SOURCE_COUNT)
        return "unknown";
    return source_names[s];
}

bool token_source_parse(const char *name, enum token_source *out)
{
    for (unsigned i = 0; i < TOKEN_SOURCE_COUNT; i++) {
        if (str_eq(name, source_names[i])) {
            *out = (enum token_source)i;
            return true;
        }
    }
    return false;
}

const char *token_oauth_error_name(enum token_oauth_error e)
{
    if ((unsigned)e >= TOKEN_OAUTH_COUNT)
        return "";
    return oauth_names[e];
}

/* --- token records ----------------------------------------------------------------------- */

void token_clear(struct token *t)
{
    if (!t)
        return;
    gp_secret_clear(&t->access);
    gp_secret_clear(&t->refresh);
    memset(t, 0, sizeof(*t));
}

void token_move(struct token *dst, struct token *src)
{
    if (dst == src)
        return;
    token_clear(dst);
    *dst = *src;
    memset(src, 0, sizeof(*src));
}

void token_device_code_clear(struct token_device_code *dc)
{
    if (!dc)
        return;
    gp_secret_clear(&dc->device_code);
    memset(dc, 0, sizeof(*dc));
}

/* --- JSON helpers ------------------------------------------------------------------------ */

/* Zeroes every string of the tree (they may be tokens), then frees it. */
static void json_wipe(cJSON *node)
{
    for (; node; node = node->next) {
        if (node->valuestring)
            explicit_bzero(node->valuestring, strlen(node->valuestring));
        if (node->child)
            json_wipe(node->child);
    }
}

static void json_free(cJSON *root)
{
    json_wipe(root);
    cJSON_Delete(root);
}

static enum gp_status json_parse(const char *body, size_t len, const char *what, cJSON **out,
                                 struct gp_error *err)
{
    *out = NULL;
    if (!body || len == 0)
        return gp_error_set(err, GP_E_PARSE, "%s: empty answer", what);
    if (len > TOKEN_BODY_MAX)
        return gp_error_set(err, GP_E_TOO_LARGE, "%s: answer larger than %u bytes", what,
                            TOKEN_BODY_MAX);
    cJSON *root = cJSON_ParseWithLength(body, len);
    if (!root)
        return gp_error_set(err, GP_E_PARSE, "%s: answer is not JSON", what);
    if (!cJSON_IsObject(root)) {
        json_free(root);
        return gp_error_set(err, GP_E_PARSE, "%s: answer is not a JSON object", what);
    }
    *out = root;
    return GP_OK;
}

static const char *json_str(const cJSON *obj, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(it) ? it->valuestring : NULL;
}

/* A lifetime past TOKEN_MAX_LIFETIME_S is no real token's: it is cut there, so that a hostile
 * or broken answer cannot make gpup keep a token for years (nor overflow, nor lose precision
 * on the way through the cache file). */
#define TOKEN_MAX_LIFETIME_S (7 * 24 * 3600)
static int64_t expiry_from_now(int64_t now, int64_t seconds)
{
    return now + (seconds > TOKEN_MAX_LIFETIME_S ? TOKEN_MAX_LIFETIME_S : seconds);
}

/* A whole number given as a JSON number or a string of digits ("3599"). */
static bool json_int(const cJSON *obj, const char *key, int64_t *out)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (cJSON_IsNumber(it)) {
        double d = it->valuedouble;
        if (d < -9.0e15 || d > 9.0e15)
            return false;
        *out = (int64_t)d;
        return true;
    }
    if (cJSON_IsString(it) && it->valuestring[0]) {
        errno = 0;
        char *end = NULL;
        long long v = strtoll(it->valuestring, &end, 10);
        if (errno || !end || *end != '\0')
            return false;
        *out = (int64_t)v;
        return true;
    }
    return false;
}

/* The last second of year 9999: an expiry past it is no real token's. Bounding it also keeps the
 * cache file exact: cJSON writes numbers with 15 significant digits. */
#define TOKEN_EPOCH_MAX INT64_C(253402300799)

/* An expiry in seconds since the epoch, as json_int reads it, from 0 (none known) to
 * TOKEN_EPOCH_MAX. */
static bool json_epoch(const cJSON *obj, const char *key, int64_t *out)
{
    int64_t v = 0;
    if (!json_int(obj, key, &v) || v < 0 || v > TOKEN_EPOCH_MAX)
        return false;
    *out = v;
    return true;
}

/* The error for an answer without a usable expiry: absent, or not a time gpup can keep. */
static enum gp_status expiry_error(const cJSON *root, const char *what, struct gp_error *err)
{
    if (cJSON_GetObjectItemCaseSensitive(root, "expires_on"))
        return gp_error_set(err, GP_E_PARSE, "%s: expires_on is not a time up to year 9999",
                            what);
    return gp_error_set(err, GP_E_PARSE, "%s: missing expires_on", what);
}

static enum gp_status take_access_token(const cJSON *root, const char *key, const char *what,
                                        struct token *t, struct gp_error *err)
{
    const char *at = json_str(root, key);
    if (!at || !at[0])
        return gp_error_set(err, GP_E_PARSE, "%s: missing %s", what, key);
    if (gp_secret_set(&t->access, at, strlen(at)) != GP_OK)
        return gp_error_set(err, GP_E_NOMEM, "%s: out of memory", what);
    return GP_OK;
}

static enum gp_status take_token_type(const cJSON *root, const char *key, const char *what,
                                      struct token *t, struct gp_error *err)
{
    const char *tt = json_str(root, key);
    if (!tt)
        tt = "Bearer";
    if (!str_ieq(tt, "Bearer"))
        return gp_error_set(err, GP_E_AUTH, "%s: token type is not Bearer", what);
    text_copy(t->token_type, sizeof(t->token_type), "Bearer");
    return GP_OK;
}

/* The access token under tok_key and its type under type_key (absent = Bearer). */
static enum gp_status take_bearer(const cJSON *root, const char *tok_key, const char *type_key,
                                  const char *what, struct token *t, struct gp_error *err)
{
    GP_TRY(take_access_token(root, tok_key, what, t, err));
    return take_token_type(root, type_key, what, t, err);
}

/* Frees root; when st is GP_OK moves t into out, else wipes t. Returns st. */
static enum gp_status token_finish(cJSON *root, enum gp_status st, struct token *t,
                                   struct token *out)
{
    json_free(root);
    if (st != GP_OK) {
        token_clear(t);
        return st;
    }
    token_move(out, t);
    return GP_OK;
}

/* --- token answers ----------------------------------------------------------------------- */

enum gp_status token_parse_v2(const char *body, size_t len, int64_t now, struct token *out,
                              struct gp_error *err)
{
    static const char what[] = "token answer";
    cJSON *root;
    GP_TRY(json_parse(body, len, what, &root, err));
    struct token t = {.source = TOKEN_SOURCE_NONE};
    enum gp_status st = take_bearer(root, "access_token", "token_type", what, &t, err);
    int64_t expires_in = 0;
    if (st == GP_OK && !json_int(root, "expires_in", &expires_in))
        st = gp_error_set(err, GP_E_PARSE, "%s: missing expires_in", what);
    if (st == GP_OK && expires_in <= 0)
        st = gp_error_set(err, GP_E_PARSE, "%s: expires_in is not positive", what);
    if (st == GP_OK) {
        t.expires_on = expiry_from_now(now, expires_in);
        const char *rt = json_str(root, "refresh_token");
        if (rt && rt[0] && gp_secret_set(&t.refresh, rt, strlen(rt)) != GP_OK)
            st = gp_error_set(err, GP_E_NOMEM, "%s: out of memory", what);
    }
    return token_finish(root, st, &t, out);
}

enum gp_status token_parse_managed_identity(const char *body, size_t len, int64_t now,
                                            struct token *out, struct gp_error *err)
{
    static const char what[] = "managed identity answer";
    cJSON *root;
    GP_TRY(json_parse(body, len, what, &root, err));
    struct token t = {.source = TOKEN_SOURCE_MANAGED_IDENTITY};
    enum gp_status st = take_bearer(root, "access_token", "token_type", what, &t, err);
    if (st == GP_OK) {
        int64_t v = 0;
        if (json_epoch(root, "expires_on", &v) && v > 0)
            t.expires_on = v;
        else if (json_int(root, "expires_in", &v) && v > 0)
            t.expires_on = expiry_from_now(now, v);
        else
            st = expiry_error(root, what, err);
    }
    return token_finish(root, st, &t, out);
}

/* "2026-11-25 10:00:00.000000" in local time, as older az versions print expiresOn. */
static bool parse_local_time(const char *s, int64_t *out)
{
    int y, mo, d, h, mi, sec;
    char tail;
    int n = sscanf(s, "%4d-%2d-%2d %2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &sec, &tail);
    if (n < 6 || (n == 7 && tail != '.'))
        return false;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 ||
        h < 0 || mi < 0 || sec < 0)
        return false;
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    tm.tm_isdst = -1;
    time_t t = mktime(&tm);
    if (t == (time_t)-1)
        return false;
    *out = (int64_t)t;
    return true;
}

enum gp_status token_parse_az_cli(const char *body, size_t len, struct token *out,
                                  struct gp_error *err)
{
    static const char what[] = "az account get-access-token output";
    cJSON *root;
    GP_TRY(json_parse(body, len, what, &root, err));
    struct token t = {.source = TOKEN_SOURCE_AZ_CLI};
    enum gp_status st = take_bearer(root, "accessToken", "tokenType", what, &t, err);
    if (st == GP_OK) {
        int64_t v = 0;
        const char *local = json_str(root, "expiresOn");
        if (json_epoch(root, "expires_on", &v) && v > 0)
            t.expires_on = v;
        else if (local && parse_local_time(local, &v))
            t.expires_on = v;
        else
            st = expiry_error(root, what, err);
    }
    if (st == GP_OK) {
        const char *sub = json_str(root, "subscription");
        const char *ten = json_str(root, "tenant");
        if (sub)
            text_sanitize(t.subscription, sizeof(t.subscription), sub);
        if (ten)
            text_sanitize(t.tenant, sizeof(t.tenant), ten);
    }
    return token_finish(root, st, &t, out);
}

enum gp_status token_from_text(const char *text, size_t len, enum token_source src,
                               struct token *out, struct gp_error *err)
{
    size_t b = 0, e = len;
    while (b < e && isspace((unsigned char)text[b]))
        b++;
    while (e > b && isspace((unsigned char)text[e - 1]))
        e--;
    if (b == e)
        return gp_error_set(err, GP_E_INVALID, "the token is empty");
    for (size_t i = b; i < e; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c <= 0x20 || c >= 0x7f)
            return gp_error_set(err, GP_E_INVALID,
                                "the token holds a space or a control character");
    }
    struct token t = {.source = src};
    if (gp_secret_set(&t.access, text + b, e - b) != GP_OK)
        return gp_error_set(err, GP_E_NOMEM, "out of memory");
    text_copy(t.token_type, sizeof(t.token_type), "Bearer");
    token_move(out, &t);
    return GP_OK;
}

enum gp_status token_parse_device_code(const char *body, size_t len, struct token_device_code *out,
                                       struct gp_error *err)
{
    static const char what[] = "device code answer";
    cJSON *root;
    GP_TRY(json_parse(body, len, what, &root, err));
    struct token_device_code dc = {.interval = 5};
    enum gp_status st = GP_OK;
    const char *code = json_str(root, "device_code");
    const char *user = json_str(root, "user_code");
    const char *uri = json_str(root, "verification_uri");
    const char *msg = json_str(root, "message");
    if (!code || !code[0])
        st = gp_error_set(err, GP_E_PARSE, "%s: missing device_code", what);
    else if (!user || !user[0])
        st = gp_error_set(err, GP_E_PARSE, "%s: missing user_code", what);
    else if (!uri || !uri[0])
        st = gp_error_set(err, GP_E_PARSE, "%s: missing verification_uri", what);
    else if (!json_int(root, "expires_in", &dc.expires_in) || dc.expires_in <= 0)
        st = gp_error_set(err, GP_E_PARSE, "%s: missing expires_in", what);
    if (st == GP_OK) {
        assert(code && user && uri); /* st is GP_OK only when the checks above passed */
        int64_t iv;
        if (json_int(root, "interval", &iv) && iv > 0)
            dc.interval = iv > 60 ? 60 : iv;
        text_sanitize(dc.user_code, sizeof(dc.user_code), user);
        text_sanitize(dc.verification_uri, sizeof(dc.verification_uri), uri);
        if (msg && msg[0]) {
            text_sanitize(dc.message, sizeof(dc.message), msg);
        } else {
            char line[sizeof(dc.message)];
            snprintf(line, sizeof(line),
                     "To sign in, use a web browser to open the page %s and enter the code %s "
                     "to authenticate.",
                     dc.verification_uri, dc.user_code);
            text_copy(dc.message, sizeof(dc.message), line);
        }
        if (gp_secret_set(&dc.device_code, code, strlen(code)) != GP_OK)
            st = gp_error_set(err, GP_E_NOMEM, "%s: out of memory", what);
    }
    json_free(root);
    if (st != GP_OK) {
        token_device_code_clear(&dc);
        return st;
    }
    token_device_code_clear(out);
    *out = dc;
    return GP_OK;
}

/* --- errors ------------------------------------------------------------------------------ */

/* Copies the first line of s (up to CR or LF) into dst, sanitized. */
static void first_line(char *dst, size_t n, const char *s)
{
    char tmp[512];
    size_t i = 0;
    while (s[i] && s[i] != '\r' && s[i] != '\n' && i + 1 < sizeof(tmp)) {
        tmp[i] = s[i];
        i++;
    }
    tmp[i] = '\0';
    text_sanitize(dst, n, tmp);
}

enum token_oauth_error token_parse_oauth_error(const char *body, size_t len, int http_status,
                                               const char *what, struct gp_error *err)
{
    if (!what)
        what = "login";
    cJSON *root = NULL;
    if (body && len > 0 && len <= TOKEN_BODY_MAX)
        root = cJSON_ParseWithLength(body, len);
    const char *code = root ? json_str(root, "error") : NULL;
    if (!code || !code[0]) {
        if (root)
            json_free(root);
        /* The body is not shown: a misbehaving server might echo our request. */
        if (http_status)
            gp_error_set(err, GP_E_AUTH, "%s: the login endpoint answered HTTP %d", what,
                         http_status);
        else
            gp_error_set(err, GP_E_AUTH, "%s: the login endpoint gave no answer", what);
        if (err)
            err->http_status = http_status;
        return TOKEN_OAUTH_OTHER;
    }
    enum token_oauth_error kind = TOKEN_OAUTH_OTHER;
    for (unsigned i = 1; i < TOKEN_OAUTH_COUNT; i++) {
        if (str_eq(code, oauth_names[i])) {
            kind = (enum token_oauth_error)i;
            break;
        }
    }
    char scode[64], desc[320], trace[64], corr[64];
    text_sanitize(scode, sizeof(scode), code);
    const char *d = json_str(root, "error_description");
    first_line(desc, sizeof(desc), d && d[0] ? d : code);
    const char *tr = json_str(root, "trace_id");
    const char *co = json_str(root, "correlation_id");
    text_sanitize(trace, sizeof(trace), tr ? tr : "");
    text_sanitize(corr, sizeof(corr), co ? co : "");
    if (trace[0])
        gp_error_set(err, GP_E_AUTH, "%s: %s (%s, trace id %s)", what, desc, scode, trace);
    else
        gp_error_set(err, GP_E_AUTH, "%s: %s (%s)", what, desc, scode);
    if (err) {
        err->http_status = http_status;
        text_copy(err->code, sizeof(err->code), scode);
        text_copy(err->request_id, sizeof(err->request_id), trace);
        text_copy(err->correlation_id, sizeof(err->correlation_id), corr);
    }
    json_free(root);
    return kind;
}

/* --- refresh decision -------------------------------------------------------------------- */

bool token_needs_refresh(const struct token *t, int64_t now, int64_t margin_s)
{
    if (!t || !gp_secret_is_set(&t->access))
        return true;
    if (t->expires_on == 0)
        return false; /* unknown: used until a 401 says otherwise */
    return now + margin_s >= t->expires_on;
}

bool token_expired(const struct token *t, int64_t now)
{
    return t && t->expires_on != 0 && now >= t->expires_on;
}

/* --- form encoding ----------------------------------------------------------------------- */

static enum gp_status form_escape(struct gp_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            GP_TRY(gp_buf_append(b, &s[i], 1));
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            GP_TRY(gp_buf_append(b, e, 3));
        }
    }
    return GP_OK;
}

enum gp_status token_form_add(struct gp_buf *b, const char *name, const char *value,
                              size_t value_len)
{
    if (b->len)
        GP_TRY(gp_buf_append(b, "&", 1));
    GP_TRY(form_escape(b, name, strlen(name)));
    GP_TRY(gp_buf_append(b, "=", 1));
    return form_escape(b, value, value_len);
}

/* --- WWW-Authenticate -------------------------------------------------------------------- */

enum gp_status token_parse_basic_realm(const char *header, char *path, size_t n,
                                       struct gp_error *err)
{
    static const char what[] = "managed identity";
    if (!header)
        return gp_error_set(err, GP_E_AUTH, "%s: no WWW-Authenticate challenge in the answer",
                            what);
    const char *p = header;
    while (*p == ' ')
        p++;
    if (strncasecmp(p, "Basic", 5) != 0 || (p[5] != ' ' && p[5] != '\t'))
        return gp_error_set(err, GP_E_AUTH, "%s: the challenge is not Basic", what);
    p += 5;
    while (*p == ' ' || *p == '\t')
        p++;
    if (strncasecmp(p, "realm=", 6) != 0)
        return gp_error_set(err, GP_E_AUTH, "%s: the Basic challenge names no realm", what);
    p += 6;
    size_t len;
    if (*p == '"') {
        p++;
        const char *q = strchr(p, '"');
        if (!q)
            return gp_error_set(err, GP_E_AUTH, "%s: unterminated realm", what);
        len = (size_t)(q - p);
    } else {
        len = strcspn(p, " ,\t\r\n");
    }
    if (len == 0 || len >= n)
        return gp_error_set(err, GP_E_AUTH, "%s: the realm is empty or too long", what);
    memcpy(path, p, len);
    path[len] = '\0';
    return GP_OK;
}

/* --- cache file -------------------------------------------------------------------------- */

enum gp_status token_cache_to_json(const struct token *t, const char *client_id, char **out,
                                   size_t *out_len, struct gp_error *err)
{
    *out = NULL;
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return gp_error_set(err, GP_E_NOMEM, "out of memory");
    bool ok = cJSON_AddStringToObject(root, "source", token_source_name(t->source)) &&
              cJSON_AddStringToObject(root, "access_token", token_secret_str(&t->access)) &&
              cJSON_AddStringToObject(root, "refresh_token", token_secret_str(&t->refresh)) &&
              cJSON_AddNumberToObject(root, "expires_on", (double)t->expires_on) &&
              cJSON_AddStringToObject(root, "tenant", t->tenant) &&
              cJSON_AddStringToObject(root, "client_id", client_id ? client_id : "");
    /* Print into our own buffer (no reallocs leaving copies behind). Tokens are base64url
     * and JWT punctuation: at most 6 bytes each after escaping. */
    size_t cap = 256 + 6 * (t->access.len + t->refresh.len + sizeof(t->tenant) +
                            (client_id ? strlen(client_id) : 0));
    char *buf = ok ? malloc(cap) : NULL;
    if (buf && cap <= INT_MAX && cJSON_PrintPreallocated(root, buf, (int)cap, 0)) {
        *out = buf;
        if (out_len)
            *out_len = strlen(buf);
    } else if (buf) {
        token_wipe_free(buf, cap);
    }
    json_free(root);
    if (!*out)
        return gp_error_set(err, GP_E_NOMEM, "token cache: out of memory");
    return GP_OK;
}

enum gp_status token_cache_from_json(const char *body, size_t len, struct token *out,
                                     char *client_id, size_t client_id_n, struct gp_error *err)
{
    static const char what[] = "token cache";
    cJSON *root;
    GP_TRY(json_parse(body, len, what, &root, err));
    struct token t = {.source = TOKEN_SOURCE_CACHE};
    enum gp_status st = GP_OK;
    const char *src = json_str(root, "source");
    const char *at = json_str(root, "access_token");
    const char *rt = json_str(root, "refresh_token");
    /* One chain: each check runs only when those before it passed. */
    if (!src || !token_source_parse(src, &t.source))
        st = gp_error_set(err, GP_E_PARSE, "%s: missing source", what);
    else if (!at || !rt)
        st = gp_error_set(err, GP_E_PARSE, "%s: missing access_token", what);
    else if (!json_epoch(root, "expires_on", &t.expires_on))
        st = expiry_error(root, what, err);
    else if ((at[0] && gp_secret_set(&t.access, at, strlen(at)) != GP_OK) ||
             (rt[0] && gp_secret_set(&t.refresh, rt, strlen(rt)) != GP_OK))
        st = gp_error_set(err, GP_E_NOMEM, "%s: out of memory", what);
    if (st == GP_OK) {
        const char *ten = json_str(root, "tenant");
        const char *cid = json_str(root, "client_id");
        text_sanitize(t.tenant, sizeof(t.tenant), ten ? ten : "");
        if (client_id && client_id_n)
            text_sanitize(client_id, client_id_n, cid ? cid : "");
        text_copy(t.token_type, sizeof(t.token_type), "Bearer");
    }
    return token_finish(root, st, &t, out);
}
