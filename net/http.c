/* SPDX-License-Identifier: MIT
 * net/http.c: HTTP calls as easy handles on the loop's multi handle, or on a replacement
 * transport. See net/http.h. */
#include "net/http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "model/buf.h"
#include "model/text.h"

struct http_call {
    struct http_client *client;
    http_done_fn done;
    void *ctx;
    void *tdata;                  /* the transport's state */
    uint64_t refused_timer;       /* a refused request completes from this timer */
    struct http_response refused;
    char client_request_id[64];
    bool sensitive; /* wipe the answer's body after the callback */
    struct http_call *prev, *next;
};

struct http_client {
    struct gp_loop *loop;
    const struct http_transport_ops *ops;
    void *tctx;
    char *ca_bundle;
    long connect_timeout_ms, timeout_ms;
    struct http_call *calls; /* running, doubly linked */
    size_t n_calls;
};

/* --- responses ----------------------------------------------------------------------------- */

enum gp_status http_response_init(struct http_response *r)
{
    memset(r, 0, sizeof(*r));
    r->body = calloc(1, 1);
    return r->body ? GP_OK : GP_E_NOMEM;
}

void http_response_cleanup(struct http_response *r)
{
    free(r->body);
    free(r->location);
    free(r->async_operation);
    free(r->retry_after);
    free(r->retry_after_ms);
    free(r->request_id);
    free(r->correlation_id);
    free(r->content_type);
    free(r->www_authenticate);
    memset(r, 0, sizeof(*r));
}

/* --- GUIDs and URLs ------------------------------------------------------------------------ */

void http_guid(char out[37])
{
    unsigned char b[16];
    if (getrandom(b, sizeof(b), GRND_NONBLOCK) != (ssize_t)sizeof(b)) {
        /* No entropy yet (early boot): request ids need uniqueness, not secrecy. */
        static uint64_t counter;
        uint64_t x = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ ++counter;
        for (size_t i = 0; i < sizeof(b); i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            b[i] = (unsigned char)x;
        }
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < sizeof(b); i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[b[i] >> 4];
        out[o++] = hex[b[i] & 15];
    }
    out[o] = '\0';
}

static bool host_is_loopback(const char *host)
{
    if (str_ieq(host, "localhost") || str_eq(host, "[::1]") || str_eq(host, "::1"))
        return true;
    if (strncmp(host, "127.", 4) != 0)
        return false;
    for (const char *p = host + 4; *p; p++)
        if (!((*p >= '0' && *p <= '9') || *p == '.'))
            return false;
    return true;
}

bool http_url_allowed(const char *url, char *why, size_t why_len)
{
    const char *reason = NULL;
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    if (!u) {
        reason = "out of memory";
    } else if (!url || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
               curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
               curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        reason = "malformed URL";
    } else if (str_ieq(scheme, "https")) {
        reason = NULL;
    } else if (str_ieq(scheme, "http")) {
        if (!host_is_loopback(host))
            reason = "plain http:// is only allowed to loopback hosts; use https://";
    } else {
        reason = "only https:// URLs are allowed";
    }
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    if (reason && why && why_len)
        (void)text_copy(why, why_len, reason);
    return reason == NULL;
}

/* --- calls --------------------------------------------------------------------------------- */

static void call_unlink(struct http_call *call)
{
    struct http_client *c = call->client;
    if (call->prev)
        call->prev->next = call->next;
    else
        c->calls = call->next;
    if (call->next)
        call->next->prev = call->prev;
    c->n_calls--;
}

static void call_free(struct http_call *call)
{
    http_response_cleanup(&call->refused);
    free(call);
}

void http_call_finish(struct http_call *call, struct http_response *resp)
{
    call_unlink(call);
    struct http_response r = *resp;
    memset(resp, 0, sizeof(*resp));
    if (!r.body)
        r.body = calloc(1, 1); /* never NULL for the callback; on failure below */
    (void)text_copy(r.client_request_id, sizeof(r.client_request_id), call->client_request_id);
    http_done_fn done = call->done;
    void *ctx = call->ctx;
    bool sensitive = call->sensitive;
    call_free(call);
    if (!r.body) {
        static char empty[1];
        r.body = empty;
        r.body_len = 0;
        r.transport = GP_E_NOMEM;
        r.status = 0;
        done(ctx, &r);
        r.body = NULL;
    } else {
        done(ctx, &r);
        if (sensitive)
            explicit_bzero(r.body, r.body_len);
    }
    http_response_cleanup(&r);
}

void http_call_set_data(struct http_call *call, void *data)
{
    call->tdata = data;
}

void *http_call_data(const struct http_call *call)
{
    return call->tdata;
}

static void refused_fire(void *ctx)
{
    struct http_call *call = ctx;
    call->refused_timer = 0;
    struct http_response r = call->refused;
    memset(&call->refused, 0, sizeof(call->refused));
    http_call_finish(call, &r);
}

void http_cancel(struct http_call *call)
{
    if (!call)
        return;
    struct http_client *c = call->client;
    if (call->refused_timer)
        loop_timer_cancel(c->loop, call->refused_timer);
    else
        c->ops->cancel(c->tctx, call);
    call_unlink(call);
    call_free(call);
}

size_t http_calls_running(const struct http_client *c)
{
    return c->n_calls;
}

enum gp_status http_send(struct http_client *c, const struct http_request *req, http_done_fn done,
                         void *ctx, struct http_call **out_call)
{
    if (out_call)
        *out_call = NULL;
    struct http_call *call = calloc(1, sizeof(*call));
    if (!call)
        return GP_E_NOMEM;
    call->client = c;
    call->done = done;
    call->ctx = ctx;
    call->sensitive = req->sensitive;
    if (req->client_request_id) {
        char clean[64];
        text_sanitize(clean, sizeof(clean), req->client_request_id);
        (void)text_copy(call->client_request_id, sizeof(call->client_request_id), clean);
    } else {
        http_guid(call->client_request_id);
    }
    call->next = c->calls;
    if (c->calls)
        c->calls->prev = call;
    c->calls = call;
    c->n_calls++;

    struct http_request r = *req;
    r.client_request_id = call->client_request_id;
    if (!r.timeout_ms)
        r.timeout_ms = c->timeout_ms;

    char why[128];
    bool ok_method = r.method && r.method[0] && strlen(r.method) < 16;
    for (const char *p = r.method; ok_method && *p; p++)
        ok_method = *p >= 'A' && *p <= 'Z';
    /* A line break in a header would let a value add headers of its own. */
    bool ok_headers = !r.bearer || !strpbrk(r.bearer, "\r\n");
    for (size_t i = 0; ok_headers && i < r.n_headers; i++) {
        const struct http_header *h = &r.headers[i];
        ok_headers = h->name && h->value && h->name[0] && !strpbrk(h->name, ": \r\n") &&
                     !strpbrk(h->value, "\r\n");
    }
    if (!ok_method || !ok_headers || !http_url_allowed(r.url, why, sizeof(why))) {
        if (!ok_method)
            (void)text_copy(why, sizeof(why), "invalid method");
        else if (!ok_headers)
            (void)text_copy(why, sizeof(why), "invalid header");
        if (http_response_init(&call->refused) != GP_OK)
            goto nomem;
        call->refused.transport = GP_E_INVALID;
        (void)text_copy(call->refused.error, sizeof(call->refused.error), why);
        call->refused_timer = loop_timer_add(c->loop, 0, refused_fire, call);
        if (!call->refused_timer)
            goto nomem;
    } else {
        enum gp_status st = c->ops->start(c->tctx, call, &r);
        if (st != GP_OK) {
            call_unlink(call);
            call_free(call);
            return st;
        }
    }
    if (out_call)
        *out_call = call;
    return GP_OK;
nomem:
    call_unlink(call);
    call_free(call);
    return GP_E_NOMEM;
}

/* --- the libcurl transport ----------------------------------------------------------------- */

struct xfer {
    struct http_client *client;
    struct http_call *call;
    CURL *easy;
    struct curl_slist *headers;
    struct gp_buf body;
    bool sensitive;            /* body holds secrets: grown and freed with wiping */
    char *post;                /* the request body, owned (CURLOPT_POSTFIELDS), wiped */
    size_t post_len;
    struct http_response resp; /* header fields collected so far */
    enum gp_status write_failure;
    char errbuf[CURL_ERROR_SIZE];
};

/* The request headers may hold the token: wipe them before freeing. */
static void headers_free(struct curl_slist *h)
{
    for (struct curl_slist *p = h; p; p = p->next) {
        volatile char *s = p->data;
        for (size_t i = 0; s && s[i]; i++)
            s[i] = 0;
    }
    curl_slist_free_all(h);
}

static void xfer_free(struct xfer *x)
{
    if (!x)
        return;
    if (x->easy)
        curl_easy_cleanup(x->easy);
    headers_free(x->headers);
    if (x->post) {
        explicit_bzero(x->post, x->post_len);
        free(x->post);
    }
    if (x->sensitive && x->body.data) /* a transfer that failed midway */
        explicit_bzero(x->body.data, x->body.cap);
    gp_buf_cleanup(&x->body);
    http_response_cleanup(&x->resp);
    free(x);
}

/* gp_buf_append for an answer holding secrets: growth copies and wipes instead of realloc,
 * which would leave the old bytes in freed memory. */
static enum gp_status sensitive_append(struct gp_buf *b, const char *data, size_t n)
{
    if (n > b->max - b->len) {
        if (b->data)
            explicit_bzero(b->data, b->cap);
        gp_buf_cleanup(b);
        return GP_E_TOO_LARGE;
    }
    size_t need = b->len + n + 1;
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < need)
            cap = cap > SIZE_MAX / 2 ? need : cap * 2;
        if (cap > b->max + 1)
            cap = b->max + 1;
        char *p = malloc(cap);
        if (!p)
            return GP_E_NOMEM;
        if (b->data) {
            memcpy(p, b->data, b->len);
            explicit_bzero(b->data, b->cap);
            free(b->data);
        }
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
    return GP_OK;
}

static size_t on_write(char *data, size_t size, size_t n, void *ctx)
{
    struct xfer *x = ctx;
    size_t len = size * n;
    enum gp_status st =
        x->sensitive ? sensitive_append(&x->body, data, len) : gp_buf_append(&x->body, data, len);
    if (st != GP_OK) {
        x->write_failure = st;
        return 0; /* a short count aborts the transfer */
    }
    return len;
}

static bool header_is(const char *line, size_t name_len, const char *name)
{
    return strlen(name) == name_len && strncasecmp(line, name, name_len) == 0;
}

/* Keeps the value of the headers we use; a new status line (after 100 Continue or a proxy's
 * CONNECT answer) starts over. */
static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
    struct xfer *x = ctx;
    size_t len = size * n;
    if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        char *body = x->resp.body;
        x->resp.body = NULL;
        http_response_cleanup(&x->resp);
        x->resp.body = body;
        return len;
    }
    const char *colon = memchr(data, ':', len);
    if (!colon)
        return len;
    size_t name_len = (size_t)(colon - data);
    const char *v = colon + 1, *end = data + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
        end--;
    char **slot = NULL;
    if (header_is(data, name_len, "Location"))
        slot = &x->resp.location;
    else if (header_is(data, name_len, "Azure-AsyncOperation"))
        slot = &x->resp.async_operation;
    else if (header_is(data, name_len, "Retry-After"))
        slot = &x->resp.retry_after;
    else if (header_is(data, name_len, "retry-after-ms") ||
             header_is(data, name_len, "x-ms-retry-after-ms"))
        slot = &x->resp.retry_after_ms;
    else if (header_is(data, name_len, "x-ms-request-id"))
        slot = &x->resp.request_id;
    else if (header_is(data, name_len, "x-ms-correlation-request-id"))
        slot = &x->resp.correlation_id;
    else if (header_is(data, name_len, "Content-Type"))
        slot = &x->resp.content_type;
    else if (header_is(data, name_len, "WWW-Authenticate"))
        slot = &x->resp.www_authenticate;
    if (!slot)
        return len;
    size_t vlen = (size_t)(end - v);
    if (vlen > HTTP_MAX_HEADER_VALUE) {
        x->write_failure = GP_E_TOO_LARGE;
        return 0;
    }
    char *copy = malloc(vlen + 1);
    if (!copy) {
        x->write_failure = GP_E_NOMEM;
        return 0;
    }
    memcpy(copy, v, vlen);
    copy[vlen] = '\0';
    free(*slot);
    *slot = copy;
    return len;
}

static bool curl_not_sent(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
        return true;
    default:
        return false; /* anything later may have reached the server */
    }
}

static void xfer_done(void *ctx, CURL *easy, CURLcode rc)
{
    struct xfer *x = ctx;
    (void)easy;
    struct http_response r = x->resp;
    memset(&x->resp, 0, sizeof(x->resp));
    if (rc == CURLE_OK && !x->write_failure) {
        long code = 0;
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
        r.status = (int)code;
        r.transport = GP_OK;
        free(r.body);
        r.body = gp_buf_take(&x->body, &r.body_len);
        if (!r.body) {
            r.status = 0;
            r.transport = GP_E_NOMEM;
        }
    } else {
        r.status = 0;
        if (x->write_failure)
            r.transport = x->write_failure;
        else if (rc == CURLE_OPERATION_TIMEDOUT)
            r.transport = GP_E_TIMEOUT;
        else
            r.transport = GP_E_NETWORK;
        r.request_sent = !curl_not_sent(rc);
        const char *msg = x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc);
        if (x->write_failure == GP_E_TOO_LARGE)
            msg = "answer larger than 8 MiB";
        text_sanitize(r.error, sizeof(r.error), msg);
        free(r.body);
        r.body = NULL;
        r.body_len = 0;
    }
    struct http_call *call = x->call;
    xfer_free(x);
    http_call_finish(call, &r);
}

#define SETOPT(easy, opt, val)                                                                 \
    do {                                                                                       \
        if (curl_easy_setopt((easy), (opt), (val)) != CURLE_OK)                                \
            goto fail;                                                                         \
    } while (0)

static bool add_header(struct curl_slist **list, const char *name, const char *value)
{
    size_t n = strlen(name) + strlen(value) + 3;
    char *line = malloc(n);
    if (!line)
        return false;
    (void)snprintf(line, n, "%s: %s", name, value);
    struct curl_slist *l = curl_slist_append(*list, line);
    for (size_t i = 0; i < n; i++) /* may hold the token */
        ((volatile char *)line)[i] = 0;
    free(line);
    if (!l)
        return false;
    *list = l;
    return true;
}

static enum gp_status curl_start(void *tctx, struct http_call *call,
                                 const struct http_request *req)
{
    struct http_client *c = tctx;
    struct xfer *x = calloc(1, sizeof(*x));
    if (!x)
        return GP_E_NOMEM;
    x->client = c;
    x->call = call;
    x->sensitive = req->sensitive;
    gp_buf_init(&x->body, HTTP_MAX_BODY);
    x->easy = curl_easy_init();
    if (!x->easy)
        goto fail;
    CURL *e = x->easy;
    SETOPT(e, CURLOPT_URL, req->url);
    SETOPT(e, CURLOPT_PROTOCOLS_STR, "http,https");
    SETOPT(e, CURLOPT_NOSIGNAL, 1L);
    SETOPT(e, CURLOPT_ERRORBUFFER, x->errbuf);
    SETOPT(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    SETOPT(e, CURLOPT_PIPEWAIT, 1L);
    SETOPT(e, CURLOPT_SSL_VERIFYPEER, 1L);
    SETOPT(e, CURLOPT_SSL_VERIFYHOST, 2L);
    SETOPT(e, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    if (c->ca_bundle)
        SETOPT(e, CURLOPT_CAINFO, c->ca_bundle);
    SETOPT(e, CURLOPT_USERAGENT, HTTP_USER_AGENT);
    SETOPT(e, CURLOPT_ACCEPT_ENCODING, "");
    SETOPT(e, CURLOPT_TCP_KEEPALIVE, 1L);
    SETOPT(e, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
    SETOPT(e, CURLOPT_TIMEOUT_MS, req->timeout_ms);
    SETOPT(e, CURLOPT_FOLLOWLOCATION, 0L);
    SETOPT(e, CURLOPT_WRITEFUNCTION, on_write);
    SETOPT(e, CURLOPT_WRITEDATA, (void *)x);
    SETOPT(e, CURLOPT_HEADERFUNCTION, on_header);
    SETOPT(e, CURLOPT_HEADERDATA, (void *)x);

    if (str_eq(req->method, "GET")) {
        SETOPT(e, CURLOPT_HTTPGET, 1L);
    } else if (str_eq(req->method, "HEAD")) {
        SETOPT(e, CURLOPT_NOBODY, 1L);
    } else if (req->body || str_eq(req->method, "POST") || str_eq(req->method, "PUT") ||
               str_eq(req->method, "PATCH")) {
        /* Our own copy, not CURLOPT_COPYPOSTFIELDS: libcurl would free its copy unwiped. */
        x->post_len = req->body ? req->body_len : 0;
        x->post = malloc(x->post_len + 1);
        if (!x->post)
            goto fail;
        if (x->post_len)
            memcpy(x->post, req->body, x->post_len);
        x->post[x->post_len] = '\0';
        SETOPT(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->post_len);
        SETOPT(e, CURLOPT_POSTFIELDS, x->post);
        SETOPT(e, CURLOPT_CUSTOMREQUEST, req->method);
    } else {
        SETOPT(e, CURLOPT_CUSTOMREQUEST, req->method);
    }

    if (!add_header(&x->headers, "Accept", "application/json") ||
        !add_header(&x->headers, "Expect", "") ||
        !add_header(&x->headers, "x-ms-client-request-id", req->client_request_id) ||
        (req->body && !add_header(&x->headers, "Content-Type",
                                  req->content_type ? req->content_type : "application/json")))
        goto fail;
    for (size_t i = 0; i < req->n_headers; i++) {
        const struct http_header *h = &req->headers[i];
        if (!add_header(&x->headers, h->name, h->value))
            goto fail;
    }
    if (req->bearer) {
        size_t n = strlen(req->bearer) + 8;
        char *v = malloc(n);
        if (!v)
            goto fail;
        (void)snprintf(v, n, "Bearer %s", req->bearer);
        bool ok = add_header(&x->headers, "Authorization", v);
        for (size_t i = 0; i < n; i++)
            ((volatile char *)v)[i] = 0;
        free(v);
        if (!ok)
            goto fail;
    }
    SETOPT(e, CURLOPT_HTTPHEADER, x->headers);
    if (http_response_init(&x->resp) != GP_OK)
        goto fail;
    enum gp_status st = loop_add_transfer(c->loop, e, xfer_done, x);
    if (st != GP_OK) {
        xfer_free(x);
        return st;
    }
    http_call_set_data(call, x);
    return GP_OK;
fail:
    xfer_free(x);
    return GP_E_NOMEM;
}

static void curl_cancel(void *tctx, struct http_call *call)
{
    struct http_client *c = tctx;
    struct xfer *x = http_call_data(call);
    if (!x)
        return;
    loop_cancel_transfer(c->loop, x->easy);
    xfer_free(x);
}

static const struct http_transport_ops curl_ops = {curl_start, curl_cancel};

/* --- clients ------------------------------------------------------------------------------- */

enum gp_status http_client_new(struct gp_loop *loop, const struct http_options *opts,
                               struct http_client **out)
{
    *out = NULL;
    struct http_client *c = calloc(1, sizeof(*c));
    if (!c)
        return GP_E_NOMEM;
    c->loop = loop;
    c->ops = &curl_ops;
    c->tctx = c;
    c->connect_timeout_ms = opts && opts->connect_timeout_ms ? opts->connect_timeout_ms : 10000;
    c->timeout_ms = opts && opts->timeout_ms ? opts->timeout_ms : 100000;
    if (opts && opts->ca_bundle) {
        c->ca_bundle = text_dup(opts->ca_bundle);
        if (!c->ca_bundle) {
            free(c);
            return GP_E_NOMEM;
        }
    }
    *out = c;
    return GP_OK;
}

void http_client_free(struct http_client *c)
{
    if (!c)
        return;
    /* Cancelling runs no callback, so only the cancelled call leaves the list. */
    for (struct http_call *call = c->calls, *next; call; call = next) {
        next = call->next;
        http_cancel(call);
    }
    free(c->ca_bundle);
    free(c);
}

struct gp_loop *http_client_loop(const struct http_client *c)
{
    return c->loop;
}

void http_client_set_transport(struct http_client *c, const struct http_transport_ops *ops,
                               void *tctx)
{
    c->ops = ops;
    c->tctx = tctx;
}
