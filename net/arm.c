/* SPDX-License-Identifier: MIT
 * net/arm.c: ARM requests with token, retries on loop timers, 401 refresh and error lines.
 * See net/arm.h. */
#include "net/arm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "model/armerror.h"
#include "model/text.h"

struct arm_call {
    struct arm_client *c;
    char *method, *url, *body;
    size_t body_len;
    arm_done_fn done;
    void *ctx;
    char client_request_id[37];
    unsigned attempt;         /* attempts sent so far */
    bool refreshed;           /* the one 401 refresh was used */
    bool waiting_token;       /* a token request is out; the provider will call back */
    bool canceled;            /* canceled while waiting for the token: free on its answer */
    struct http_call *http;
    uint64_t timer;
    struct arm_call *prev, *next;
};

struct arm_client {
    struct gp_loop *loop;
    struct http_client *http;
    char *endpoint;   /* without trailing '/' */
    size_t origin_len; /* "https://host:port" prefix of endpoint */
    struct retry_policy retry;
    double (*jitter)(void *ctx);
    void *jitter_ctx;
    uint64_t rng;
    const struct arm_token_ops *tok;
    void *tctx;
    struct arm_call *calls;
};

/* --- the static token provider ------------------------------------------------------------- */

static void static_get_token(void *tctx, bool force_refresh, arm_token_cb cb, void *cb_ctx)
{
    (void)force_refresh; /* a fixed token cannot be refreshed; ARM will say 401 again */
    const char *token = tctx;
    if (!token || !token[0]) {
        struct gp_error err;
        gp_error_clear(&err);
        gp_error_set(&err, GP_E_AUTH, "no access token (set GPUP_TOKEN)");
        cb(cb_ctx, NULL, &err);
        return;
    }
    cb(cb_ctx, token, NULL);
}

const struct arm_token_ops arm_static_token_ops = {static_get_token, NULL}; /* answers at once */

/* --- client -------------------------------------------------------------------------------- */

static double default_jitter(void *ctx)
{
    uint64_t *s = ctx;
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (double)(*s >> 11) / 9007199254740992.0; /* 2^53 */
}

static size_t origin_length(const char *url)
{
    const char *p = strstr(url, "://");
    if (!p)
        return 0;
    p += 3;
    const char *slash = strchr(p, '/');
    return slash ? (size_t)(slash - url) : strlen(url);
}

enum gp_status arm_client_new(struct gp_loop *loop, const struct arm_options *opts,
                              const struct arm_token_ops *tok, void *tctx,
                              struct arm_client **out, struct gp_error *err)
{
    *out = NULL;
    if (!opts || !opts->endpoint || !opts->endpoint[0])
        return gp_error_set(err, GP_E_INVALID, "no ARM endpoint");
    char why[128];
    if (!http_url_allowed(opts->endpoint, why, sizeof(why)))
        return gp_error_set(err, GP_E_INVALID, "ARM endpoint: %s", why);
    struct arm_client *c = calloc(1, sizeof(*c));
    if (!c)
        return gp_error_set(err, GP_E_NOMEM, "out of memory");
    c->loop = loop;
    c->tok = tok;
    c->tctx = tctx;
    c->endpoint = text_dup(opts->endpoint);
    if (!c->endpoint || http_client_new(loop, &opts->http, &c->http) != GP_OK) {
        arm_client_free(c);
        return gp_error_set(err, GP_E_NOMEM, "out of memory");
    }
    size_t n = strlen(c->endpoint);
    while (n > 0 && c->endpoint[n - 1] == '/')
        c->endpoint[--n] = '\0';
    c->origin_len = origin_length(c->endpoint);
    c->retry = opts->retry;
    if (!c->retry.max_retries && !c->retry.base_delay_ms && !c->retry.max_delay_ms)
        c->retry = retry_policy_default();
    if (!c->retry.max_retry_after_ms)
        c->retry.max_retry_after_ms = retry_policy_default().max_retry_after_ms;
    c->jitter = opts->jitter;
    c->jitter_ctx = opts->jitter_ctx;
    if (!c->jitter) {
        if (getrandom(&c->rng, sizeof(c->rng), GRND_NONBLOCK) != (ssize_t)sizeof(c->rng))
            c->rng = (uint64_t)time(NULL) * 0x9E3779B97F4A7C15u;
        c->rng |= 1;
        c->jitter = default_jitter;
        c->jitter_ctx = &c->rng;
    }
    *out = c;
    return GP_OK;
}

static void call_unlink(struct arm_call *call)
{
    struct arm_client *c = call->c;
    if (call->prev)
        call->prev->next = call->next;
    else if (c->calls == call)
        c->calls = call->next;
    if (call->next)
        call->next->prev = call->prev;
    call->prev = call->next = NULL;
}

static void call_free(struct arm_call *call)
{
    free(call->method);
    free(call->url);
    free(call->body);
    free(call);
}

void arm_cancel(struct arm_call *call)
{
    if (!call)
        return;
    if (call->http)
        http_cancel(call->http);
    if (call->timer)
        loop_timer_cancel(call->c->loop, call->timer);
    call_unlink(call);
    if (call->waiting_token && call->c->tok->cancel) {
        call->c->tok->cancel(call->c->tctx, call); /* it will not answer */
    } else if (call->waiting_token) {
        call->canceled = true; /* the provider still holds it: freed on its answer */
        call->c = NULL;
        return;
    }
    call_free(call);
}

void arm_client_free(struct arm_client *c)
{
    if (!c)
        return;
    /* Cancelling runs no callback, so only the cancelled call leaves the list. */
    for (struct arm_call *call = c->calls, *next; call; call = next) {
        next = call->next;
        arm_cancel(call);
    }
    http_client_free(c->http);
    free(c->endpoint);
    free(c);
}

void arm_client_set_transport(struct arm_client *c, const struct http_transport_ops *ops,
                              void *tctx)
{
    http_client_set_transport(c->http, ops, tctx);
}

struct gp_loop *arm_client_loop(const struct arm_client *c)
{
    return c->loop;
}

const char *arm_client_endpoint(const struct arm_client *c)
{
    return c->endpoint;
}

const struct retry_policy *arm_client_retry_policy(const struct arm_client *c)
{
    return &c->retry;
}

int64_t arm_retry_after_ms(const struct arm_client *c, const struct http_response *resp)
{
    if (!resp)
        return -1;
    return retry_after_parse_ms(resp->retry_after, resp->retry_after_ms,
                                loop_wall_time(c->loop), c->retry.max_retry_after_ms);
}

enum gp_status arm_url(const struct arm_client *c, const char *path_or_url, char **out,
                       struct gp_error *err)
{
    *out = NULL;
    if (!path_or_url || !path_or_url[0])
        return gp_error_set(err, GP_E_INVALID, "empty ARM path");
    char *u;
    if (path_or_url[0] == '/') {
        size_t a = strlen(c->endpoint), b = strlen(path_or_url);
        u = malloc(a + b + 1);
        if (!u)
            return gp_error_set(err, GP_E_NOMEM, "out of memory");
        memcpy(u, c->endpoint, a);
        memcpy(u + a, path_or_url, b + 1);
    } else {
        /* ARM's own links (Location, nextLink): the token goes to the endpoint's origin only. */
        size_t o = c->origin_len;
        if (strncasecmp(path_or_url, c->endpoint, o) != 0 ||
            (path_or_url[o] != '/' && path_or_url[o] != '\0' && path_or_url[o] != '?')) {
            char shown[96];
            text_sanitize(shown, sizeof(shown), path_or_url);
            return gp_error_set(err, GP_E_INVALID,
                                "refusing a link to another host than the ARM endpoint: %s",
                                shown);
        }
        u = text_dup(path_or_url);
        if (!u)
            return gp_error_set(err, GP_E_NOMEM, "out of memory");
    }
    *out = u;
    return GP_OK;
}

/* --- one call ------------------------------------------------------------------------------ */

static void call_request_token(struct arm_call *call, bool force);

/* Ends the call: unlinks and frees it, then runs done. */
static void call_end(struct arm_call *call, const struct http_response *resp,
                     const struct gp_error *err)
{
    arm_done_fn done = call->done;
    void *ctx = call->ctx;
    call_unlink(call);
    call_free(call);
    done(ctx, resp, err);
}

static void call_fail(struct arm_call *call, enum gp_status st, const char *msg)
{
    struct gp_error err;
    gp_error_clear(&err);
    (void)text_copy(err.client_request_id, sizeof(err.client_request_id),
                    call->client_request_id);
    gp_error_set(&err, st, "%s", msg);
    call_end(call, NULL, &err);
}

static void retry_fire(void *ctx)
{
    struct arm_call *call = ctx;
    call->timer = 0;
    call_request_token(call, false);
}

static void on_http_done(void *ctx, const struct http_response *resp)
{
    struct arm_call *call = ctx;
    struct arm_client *c = call->c;
    call->http = NULL;

    if (resp->status == 401 && !call->refreshed) {
        call->refreshed = true;
        call_request_token(call, true);
        return;
    }
    bool ok = resp->status >= 200 && resp->status < 300 && resp->transport == GP_OK;
    if (!ok && resp->transport != GP_E_INVALID && resp->transport != GP_E_TOO_LARGE &&
        resp->transport != GP_E_NOMEM) {
        struct retry_input in = {
            .method = call->method,
            .http_status = resp->status,
            .request_sent = resp->request_sent,
            .attempt = call->attempt,
            .retry_after = resp->retry_after,
            .retry_after_ms = resp->retry_after_ms,
            .now_wall = loop_wall_time(c->loop),
            .jitter = c->jitter(c->jitter_ctx),
        };
        uint64_t delay;
        if (retry_should_retry(&c->retry, &in, &delay)) {
            call->timer = loop_timer_add(c->loop, delay, retry_fire, call);
            if (call->timer)
                return;
            /* No memory for a timer: report this answer rather than lose the call. */
        }
    }
    if (ok) {
        call_end(call, resp, NULL);
        return;
    }

    struct gp_error err;
    gp_error_clear(&err);
    (void)text_copy(err.client_request_id, sizeof(err.client_request_id),
                    resp->client_request_id[0] ? resp->client_request_id
                                               : call->client_request_id);
    if (resp->request_id)
        text_sanitize(err.request_id, sizeof(err.request_id), resp->request_id);
    if (resp->correlation_id)
        text_sanitize(err.correlation_id, sizeof(err.correlation_id), resp->correlation_id);
    err.retry_after_ms = (long)arm_retry_after_ms(c, resp);
    if (resp->status) {
        armerror_from_response(&err, resp->status, resp->body, resp->body_len);
    } else {
        gp_error_set(&err, resp->transport, "%s",
                     resp->error[0] ? resp->error : gp_status_name(resp->transport));
    }
    if (call->attempt > 1) {
        size_t n = strlen(err.message);
        (void)snprintf(err.message + n, sizeof(err.message) - n, " (after %u %s)",
                       call->attempt - 1, call->attempt == 2 ? "retry" : "retries");
    }
    call_end(call, resp->status ? resp : NULL, &err);
}

static void on_token(void *ctx, const char *token, const struct gp_error *terr)
{
    struct arm_call *call = ctx;
    call->waiting_token = false;
    if (call->canceled) {
        call_free(call);
        return;
    }
    if (!token) {
        char msg[sizeof(terr->message) + 32];
        (void)snprintf(msg, sizeof(msg), "no access token: %s",
                       terr && terr->message[0] ? terr->message : "provider gave none");
        call_fail(call, terr && terr->status != GP_OK ? terr->status : GP_E_AUTH, msg);
        return;
    }
    struct http_request req = {
        .method = call->method,
        .url = call->url,
        .body = call->body,
        .body_len = call->body_len,
        .bearer = token,
        .client_request_id = call->client_request_id,
    };
    call->attempt++;
    if (http_send(call->c->http, &req, on_http_done, call, &call->http) != GP_OK)
        call_fail(call, GP_E_NOMEM, "out of memory");
}

static void call_request_token(struct arm_call *call, bool force)
{
    call->waiting_token = true;
    call->c->tok->get_token(call->c->tctx, force, on_token, call);
}

enum gp_status arm_request(struct arm_client *c, const char *method, const char *path_or_url,
                           const char *body, size_t body_len, arm_done_fn done, void *ctx,
                           struct arm_call **out_call, struct gp_error *err)
{
    if (out_call)
        *out_call = NULL;
    struct arm_call *call = calloc(1, sizeof(*call));
    if (!call)
        return gp_error_set(err, GP_E_NOMEM, "out of memory");
    call->c = c;
    call->done = done;
    call->ctx = ctx;
    enum gp_status st = arm_url(c, path_or_url, &call->url, err);
    if (st != GP_OK) {
        call_free(call);
        return st;
    }
    call->method = text_dup(method);
    if (body) {
        call->body = malloc(body_len + 1);
        if (call->body) {
            memcpy(call->body, body, body_len);
            call->body[body_len] = '\0';
            call->body_len = body_len;
        }
    }
    if (!call->method || (body && !call->body)) {
        call_free(call);
        return gp_error_set(err, GP_E_NOMEM, "out of memory");
    }
    http_guid(call->client_request_id);
    call->next = c->calls;
    if (c->calls)
        c->calls->prev = call;
    c->calls = call;
    /* Start from the loop, so that done never runs inside arm_request even when the token
     * provider answers at once with an error. */
    call->timer = loop_timer_add(c->loop, 0, retry_fire, call);
    if (!call->timer) {
        call_unlink(call);
        call_free(call);
        return gp_error_set(err, GP_E_NOMEM, "out of memory");
    }
    if (out_call)
        *out_call = call;
    return GP_OK;
}
