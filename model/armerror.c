/* SPDX-License-Identifier: MIT
 * model/armerror.c: ARM and OAuth error bodies to one sanitized line. See model/armerror.h. */
#include "model/armerror.h"

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "model/text.h"

enum gp_status armerror_status_for_http(int s)
{
    if (s >= 200 && s < 300)
        return GP_OK;
    switch (s) {
    case 400:
        return GP_E_INVALID;
    case 401:
    case 403:
        return GP_E_AUTH;
    case 404:
    case 410:
        return GP_E_NOT_FOUND;
    case 409:
    case 412:
        return GP_E_RULE;
    case 408:
    case 504:
        return GP_E_TIMEOUT;
    case 429:
        return GP_E_BUSY;
    default:
        return GP_E_HTTP;
    }
}

const char *armerror_reason(int s)
{
    switch (s) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 412: return "Precondition Failed";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "";
    }
}

/* A line under construction in a fixed buffer; text past the end is cut (between UTF-8
 * characters, as text_sanitize cuts). */
struct line {
    char *buf;
    size_t cap, len;
};

static void line_raw(struct line *l, const char *s)
{
    size_t n = strlen(s);
    if (l->len + 1 >= l->cap)
        return;
    if (n > l->cap - 1 - l->len)
        n = l->cap - 1 - l->len;
    memcpy(l->buf + l->len, s, n);
    l->len += n;
    l->buf[l->len] = '\0';
}

/* Appends server text: line breaks and tabs become spaces (only the first line when
 * first_line), runs of spaces collapse, then everything is sanitized. At most max bytes. */
static void line_text(struct line *l, const char *s, size_t max, bool first_line)
{
    char tmp[512];
    size_t o = 0;
    bool space = false;
    if (max >= sizeof(tmp))
        max = sizeof(tmp) - 1;
    for (; *s && o < max; s++) {
        char c = *s;
        if (c == '\r' || c == '\n') {
            if (first_line)
                break;
            c = ' ';
        }
        if (c == '\t')
            c = ' ';
        if (c == ' ') {
            if (space || o == 0)
                continue;
            space = true;
        } else {
            space = false;
        }
        tmp[o++] = c;
    }
    while (o && tmp[o - 1] == ' ')
        o--;
    tmp[o] = '\0';
    char clean[512];
    text_sanitize(clean, sizeof(clean), tmp);
    line_raw(l, clean);
}

static const char *jstr(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL;
}

/* Copies a sanitized one-line value into a fixed field. */
static void field_set(char *dst, size_t n, const char *s)
{
    struct line l = {dst, n, 0};
    dst[0] = '\0';
    if (s)
        line_text(&l, s, n - 1, true);
}

static void line_status(struct line *l, int http_status)
{
    char num[16];
    snprintf(num, sizeof(num), "%d", http_status);
    line_raw(l, num);
}

/* "code: message (details: c1: m1; c2: m2)" from an ARM error object. */
static void line_arm(struct line *l, const cJSON *e)
{
    const char *code = jstr(e, "code"), *msg = jstr(e, "message");
    if (code)
        line_text(l, code, 64, true);
    if (code && msg)
        line_raw(l, ": ");
    if (msg)
        line_text(l, msg, 300, false);
    if (!code && !msg)
        line_raw(l, "error without code or message");
    const cJSON *details = cJSON_GetObjectItemCaseSensitive(e, "details");
    if (!cJSON_IsArray(details))
        return;
    int shown = 0;
    const cJSON *d;
    cJSON_ArrayForEach(d, details)
    {
        if (!cJSON_IsObject(d))
            continue;
        const char *dc = jstr(d, "code"), *dm = jstr(d, "message");
        if (!dc && !dm)
            continue;
        if (shown == ARMERROR_MAX_DETAILS) {
            line_raw(l, "; ...");
            break;
        }
        line_raw(l, shown ? "; " : " (details: ");
        if (dc)
            line_text(l, dc, 64, true);
        if (dc && dm)
            line_raw(l, ": ");
        if (dm)
            line_text(l, dm, 160, false);
        shown++;
    }
    if (shown)
        line_raw(l, ")");
}

static cJSON *parse_body(const char *body, size_t len)
{
    if (!body || !len || len > ARMERROR_MAX_BYTES)
        return NULL;
    cJSON *root = cJSON_ParseWithLength(body, len);
    if (root && !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

/* Fills code/target/message from an ARM error object, after the given prefix. */
static void fill_from_arm(struct gp_error *err, const cJSON *e, int http_status)
{
    struct line l = {err->message, sizeof(err->message), 0};
    err->message[0] = '\0';
    if (http_status) {
        line_status(&l, http_status);
        line_raw(&l, " ");
    }
    line_arm(&l, e);
    field_set(err->code, sizeof(err->code), jstr(e, "code"));
    field_set(err->target, sizeof(err->target), jstr(e, "target"));
}

bool armerror_from_response(struct gp_error *err, int http_status, const char *body, size_t len)
{
    if (!err)
        return false;
    err->status = armerror_status_for_http(http_status);
    if (err->status == GP_OK)
        err->status = GP_E_HTTP; /* called for an answer the caller treats as an error */
    err->http_status = http_status;
    err->code[0] = err->target[0] = '\0';

    cJSON *root = parse_body(body, len);
    const cJSON *e = root ? cJSON_GetObjectItemCaseSensitive(root, "error") : NULL;
    if (cJSON_IsObject(e)) {
        fill_from_arm(err, e, http_status);
        cJSON_Delete(root);
        return true;
    }
    struct line l = {err->message, sizeof(err->message), 0};
    err->message[0] = '\0';
    line_status(&l, http_status);
    const char *ecode = cJSON_GetStringValue(e); /* NULL unless e is a string */
    if (ecode) {
        /* OAuth: {"error":"invalid_client","error_description":"AADSTS...\r\nTrace ID: ..."} */
        const char *desc = jstr(root, "error_description");
        line_raw(&l, " ");
        line_text(&l, ecode, 64, true);
        if (desc) {
            line_raw(&l, ": ");
            line_text(&l, desc, 300, true);
        }
        field_set(err->code, sizeof(err->code), ecode);
        const char *trace = jstr(root, "trace_id"), *corr = jstr(root, "correlation_id");
        if (trace && !err->request_id[0])
            field_set(err->request_id, sizeof(err->request_id), trace);
        if (corr && !err->correlation_id[0])
            field_set(err->correlation_id, sizeof(err->correlation_id), corr);
        cJSON_Delete(root);
        return true;
    }
    /* Not an error shape: the status, its reason, and the start of a text body. */
    const char *reason = armerror_reason(http_status);
    if (reason[0]) {
        line_raw(&l, " ");
        line_raw(&l, reason);
    }
    if (!root && body && len) {
        char snippet[121];
        size_t n = len < sizeof(snippet) - 1 ? len : sizeof(snippet) - 1;
        memcpy(snippet, body, n);
        snippet[n] = '\0'; /* a NUL inside the body just ends the snippet early */
        if (snippet[0]) {
            line_raw(&l, ": ");
            line_text(&l, snippet, 120, false);
        }
    }
    cJSON_Delete(root);
    return false;
}

bool armerror_from_operation(struct gp_error *err, const char *body, size_t len)
{
    if (!err)
        return false;
    cJSON *root = parse_body(body, len);
    const cJSON *e = root ? cJSON_GetObjectItemCaseSensitive(root, "error") : NULL;
    if (!cJSON_IsObject(e)) {
        cJSON_Delete(root);
        return false;
    }
    err->status = GP_E_FAILED;
    err->http_status = 0;
    fill_from_arm(err, e, 0);
    cJSON_Delete(root);
    return true;
}
