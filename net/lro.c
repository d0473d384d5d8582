/* SPDX-License-Identifier: MIT
 * net/lro.c: the long-running-operation poller. See net/lro.h. */
#include "net/lro.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/armerror.h"
#include "model/armjson.h"
#include "model/text.h"

enum lro_mode { LRO_SEND, LRO_ASYNC, LRO_LOCATION, LRO_RESOURCE, LRO_FINAL };

struct lro {
    struct arm_client *arm;
    struct gp_loop *loop;
    struct lro_options opts;
    char *method;
    char *path;
    char *final_path;         /* NULL: no final GET */
    char *poll_url;
    enum lro_mode mode;
    lro_done_fn done;
    void *ctx;
    struct arm_call *call;
    uint64_t timer;
    uint64_t deadline_ms;
    uint64_t backoff_ms;      /* next wait without Retry-After */
    struct lro_result res;
    char *body;               /* last body kept for the result */
    size_t body_len;
    char op_status[32];
};

static void lro_free(struct lro *op)
{
    free(op->method);
    free(op->path);
    free(op->final_path);
    free(op->poll_url);
    free(op->body);
    free(op);
}

void lro_cancel(struct lro *op)
{
    if (!op)
        return;
    if (op->call)
        arm_cancel(op->call);
    if (op->timer)
        loop_timer_cancel(op->loop, op->timer);
    lro_free(op);
}

static void finish(struct lro *op, const struct gp_error *err)
{
    lro_done_fn done = op->done;
    void *ctx = op->ctx;
    struct lro_result res = op->res;
    char op_status[sizeof(op->op_status)];
    memcpy(op_status, op->op_status, sizeof(op_status));
    char *body = op->body; /* kept alive through the callback */
    size_t body_len = op->body_len;
    op->body = NULL;
    lro_free(op);
    res.body = body ? body : "";
    res.body_len = body ? body_len : 0;
    res.operation_status = op_status;
    done(ctx, &res, err);
    free(body);
}

static void fail(struct lro *op, enum gp_status st, const char *fmt, ...) GP_PRINTF(3, 4);
static void fail(struct lro *op, enum gp_status st, const char *fmt, ...)
{
    struct gp_error err;
    gp_error_clear(&err);
    err.status = st;
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(err.message, sizeof(err.message), fmt, ap);
    va_end(ap);
    finish(op, &err);
}

static bool keep_body(struct lro *op, const struct http_response *resp)
{
    char *b = malloc(resp->body_len + 1);
    if (!b)
        return false;
    memcpy(b, resp->body, resp->body_len);
    b[resp->body_len] = '\0';
    free(op->body);
    op->body = b;
    op->body_len = resp->body_len;
    return true;
}

static void on_answer(void *ctx, const struct http_response *resp, const struct gp_error *err);

static void send_get(struct lro *op, const char *url)
{
    struct gp_error err;
    gp_error_clear(&err);
    if (arm_request(op->arm, "GET", url, NULL, 0, on_answer, op, &op->call, &err) != GP_OK) {
        gp_error_prefix(&err, "polling");
        finish(op, &err);
    }
}

static void poll_fire(void *ctx)
{
    struct lro *op = ctx;
    op->timer = 0;
    op->res.polls++;
    send_get(op, op->mode == LRO_RESOURCE ? op->final_path : op->poll_url);
}

/* Waits before the next poll: the server's Retry-After, or our backoff; bounded. */
static void schedule_poll(struct lro *op, const struct http_response *resp)
{
    if (op->res.polls >= op->opts.max_polls) {
        fail(op, GP_E_TIMEOUT, "operation still running after %u polls", op->res.polls);
        return;
    }
    int64_t hint = arm_retry_after_ms(op->arm, resp);
    uint64_t delay;
    if (hint >= 0) {
        delay = (uint64_t)hint;
    } else {
        delay = op->backoff_ms;
        op->backoff_ms = op->backoff_ms * 2 > op->opts.poll_max_ms ? op->opts.poll_max_ms
                                                                   : op->backoff_ms * 2;
    }
    uint64_t now = loop_now_ms(op->loop);
    if (now + delay > op->deadline_ms) {
        fail(op, GP_E_TIMEOUT, "operation still running after %llu s (%u polls)",
             (unsigned long long)(op->opts.timeout_ms / 1000), op->res.polls);
        return;
    }
    op->timer = loop_timer_add(op->loop, delay, poll_fire, op);
    if (!op->timer)
        fail(op, GP_E_NOMEM, "out of memory");
}

/* Success of the operation: GET the resource when asked, else hand back the last body. */
static void succeeded(struct lro *op)
{
    if (!op->final_path) {
        finish(op, NULL);
        return;
    }
    op->mode = LRO_FINAL;
    send_get(op, op->final_path);
}

static void on_operation_status(struct lro *op, const struct http_response *resp)
{
    struct gp_error err;
    gp_error_clear(&err);
    char *status = NULL;
    if (armjson_operation_status(resp->body, resp->body_len, &status, &err) != GP_OK) {
        gp_error_prefix(&err, "operation status");
        finish(op, &err);
        return;
    }
    text_sanitize(op->op_status, sizeof(op->op_status), status);
    bool ok = str_ieq(status, "Succeeded"), failed = str_ieq(status, "Failed"),
         canceled = str_ieq(status, "Canceled") || str_ieq(status, "Cancelled");
    free(status);
    if (ok) {
        succeeded(op);
    } else if (failed || canceled) {
        if (!armerror_from_operation(&err, resp->body, resp->body_len))
            gp_error_set(&err, GP_E_FAILED, "no error details");
        if (canceled)
            err.status = GP_E_CANCELED;
        if (resp->request_id)
            text_sanitize(err.request_id, sizeof(err.request_id), resp->request_id);
        gp_error_prefix(&err, "operation %s", op->op_status);
        finish(op, &err);
    } else {
        schedule_poll(op, resp);
    }
}

/* provisioningState of the resource itself (PUT answered without a polling header). */
static void on_resource_state(struct lro *op, const struct http_response *resp)
{
    struct gp_error err;
    gp_error_clear(&err);
    char *state = NULL;
    if (armjson_provisioning_state(resp->body, resp->body_len, &state, &err) != GP_OK) {
        gp_error_prefix(&err, "resource");
        finish(op, &err);
        return;
    }
    text_sanitize(op->op_status, sizeof(op->op_status), state ? state : "Succeeded");
    bool ok = !state || str_ieq(state, "Succeeded"), failed = str_ieq(state, "Failed"),
         canceled = str_ieq(state, "Canceled");
    free(state);
    if (ok) {
        finish(op, NULL); /* this answer already is the resource */
    } else if (failed || canceled) {
        if (!armerror_from_operation(&err, resp->body, resp->body_len))
            gp_error_set(&err, canceled ? GP_E_CANCELED : GP_E_FAILED, "provisioningState %s",
                         op->op_status);
        finish(op, &err);
    } else {
        schedule_poll(op, resp);
    }
}

static void on_first_answer(struct lro *op, const struct http_response *resp)
{
    op->res.initial_status = resp->status;
    if (resp->status != 200 && resp->status != 201 && resp->status != 202 &&
        resp->status != 204) {
        fail(op, GP_E_HTTP, "unexpected answer %d to a long-running request", resp->status);
        return;
    }
    const char *url = resp->async_operation ? resp->async_operation : resp->location;
    if (url) {
        struct gp_error err;
        gp_error_clear(&err);
        char *full = NULL;
        if (arm_url(op->arm, url, &full, &err) != GP_OK) {
            gp_error_prefix(&err, "polling link");
            finish(op, &err);
            return;
        }
        op->poll_url = full;
        op->mode = resp->async_operation ? LRO_ASYNC : LRO_LOCATION;
        schedule_poll(op, resp);
        return;
    }
    if (resp->status == 202) {
        fail(op, GP_E_HTTP, "202 Accepted without Location or Azure-AsyncOperation");
        return;
    }
    /* 200/201/204 without a header: done, unless the body says it is still provisioning. */
    if (resp->status != 204 && resp->body_len && op->final_path) {
        char *state = NULL;
        struct gp_error err;
        gp_error_clear(&err);
        if (armjson_provisioning_state(resp->body, resp->body_len, &state, &err) == GP_OK &&
            state && !str_ieq(state, "Succeeded")) {
            free(state);
            op->mode = LRO_RESOURCE;
            on_resource_state(op, resp);
            return;
        }
        free(state);
    }
    (void)text_copy(op->op_status, sizeof(op->op_status), "Succeeded");
    succeeded(op);
}

static void on_answer(void *ctx, const struct http_response *resp, const struct gp_error *err)
{
    struct lro *op = ctx;
    op->call = NULL;
    if (err) {
        /* A DELETE whose resource is gone while we poll it has succeeded. */
        if (err->http_status == 404 && op->mode == LRO_RESOURCE && str_eq(op->method, "DELETE")) {
            finish(op, NULL);
            return;
        }
        struct gp_error e = *err;
        if (op->mode == LRO_FINAL)
            gp_error_prefix(&e, "reading the result");
        else if (op->mode != LRO_SEND)
            gp_error_prefix(&e, "polling");
        finish(op, &e);
        return;
    }
    if (!keep_body(op, resp)) {
        fail(op, GP_E_NOMEM, "out of memory");
        return;
    }
    switch (op->mode) {
    case LRO_SEND:
        on_first_answer(op, resp);
        break;
    case LRO_ASYNC:
        on_operation_status(op, resp);
        break;
    case LRO_LOCATION:
        if (resp->status == 202) {
            schedule_poll(op, resp);
        } else {
            (void)text_copy(op->op_status, sizeof(op->op_status), "Succeeded");
            succeeded(op);
        }
        break;
    case LRO_RESOURCE:
        on_resource_state(op, resp);
        break;
    case LRO_FINAL:
        finish(op, NULL);
        break;
    default:
        fail(op, GP_E_INVALID, "internal: unknown polling mode");
        break;
    }
}

enum gp_status lro_begin(struct arm_client *arm, const char *method, const char *path,
                         const char *body, size_t body_len, const struct lro_options *opts,
                         lro_done_fn done, void *ctx, struct lro **out, struct gp_error *err)
{
    if (out)
        *out = NULL;
    struct lro *op = calloc(1, sizeof(*op));
    if (!op)
        return gp_error_set(err, GP_E_NOMEM, "out of memory");
    op->arm = arm;
    op->loop = arm_client_loop(arm);
    op->done = done;
    op->ctx = ctx;
    if (opts)
        op->opts = *opts;
    if (!op->opts.poll_initial_ms)
        op->opts.poll_initial_ms = 1000;
    if (!op->opts.poll_max_ms)
        op->opts.poll_max_ms = 10000;
    if (op->opts.poll_max_ms < op->opts.poll_initial_ms)
        op->opts.poll_max_ms = op->opts.poll_initial_ms;
    if (!op->opts.max_polls)
        op->opts.max_polls = 720;
    if (!op->opts.timeout_ms)
        op->opts.timeout_ms = 30u * 60u * 1000u;
    op->backoff_ms = op->opts.poll_initial_ms;
    op->deadline_ms = loop_now_ms(op->loop) + op->opts.timeout_ms;
    op->method = text_dup(method);
    op->path = text_dup(path);
    const char *fp = opts ? opts->final_path : NULL;
    if (!fp && (str_ieq(method, "PUT") || str_ieq(method, "PATCH")))
        fp = path;
    if (fp && fp[0])
        op->final_path = text_dup(fp);
    op->opts.final_path = NULL;
    if (!op->method || !op->path || (fp && fp[0] && !op->final_path)) {
        lro_free(op);
        return gp_error_set(err, GP_E_NOMEM, "out of memory");
    }
    op->mode = LRO_SEND;
    enum gp_status st =
        arm_request(arm, method, path, body, body_len, on_answer, op, &op->call, err);
    if (st != GP_OK) {
        lro_free(op);
        return st;
    }
    if (out)
        *out = op;
    return GP_OK;
}
