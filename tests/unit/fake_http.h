/* SPDX-License-Identifier: MIT
 * tests/unit/fake_http.h: Azure's fake transport for net/ tests: canned replies matched by
 * method and URL, delivered from loop timers (virtual clock: zero wall time), and a record of
 * every request as the service would have received it. Header-only (static inline) so each
 * test program includes it without a Makefile change. */
#ifndef GPUP_TESTS_FAKE_HTTP_H
#define GPUP_TESTS_FAKE_HTTP_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/text.h"
#include "net/arm.h"
#include "net/http.h"
#include "net/loop.h"

struct fake_reply {
    const char *method;         /* NULL: any method */
    const char *url_has;        /* the URL must contain this (NULL: any) */
    int status;                 /* 0: transport failure */
    enum gp_status transport;   /* for status 0 (default GP_E_NETWORK) */
    bool sent;                  /* for status 0: request_sent */
    const char *body;
    const char *location, *async_op, *retry_after, *retry_after_ms, *request_id;
    uint64_t delay_ms;          /* virtual latency */
    int times;                  /* uses allowed (0: one; -1: unlimited) */
};

#define FAKE_MAX_REPLIES 512
#define FAKE_MAX_SEEN 1024

struct fake_seen {
    char method[16];
    char url[1024];
    char body[2048];
    char bearer[128];
    char client_request_id[64];
    uint64_t at_ms;
};

struct fake_http {
    struct gp_loop *loop;
    const struct fake_reply *replies;
    size_t n_replies;
    int used[FAKE_MAX_REPLIES];
    struct fake_seen seen[FAKE_MAX_SEEN];
    size_t n_seen;
    size_t unmatched;
    size_t in_flight, max_in_flight;
    size_t canceled;
};

struct fake_pending {
    struct fake_http *f;
    struct http_call *call;
    const struct fake_reply *r;
    uint64_t timer;
};

static inline void fake_http_init(struct fake_http *f, struct gp_loop *loop,
                                  const struct fake_reply *replies, size_t n)
{
    memset(f, 0, sizeof(*f));
    f->loop = loop;
    f->replies = replies;
    f->n_replies = n;
}

static inline char *fake_dup(const char *s)
{
    return s ? text_dup(s) : NULL;
}

static inline void fake_fire(void *ctx)
{
    struct fake_pending *p = ctx;
    struct fake_http *f = p->f;
    struct http_response resp;
    if (http_response_init(&resp) != GP_OK)
        abort();
    const struct fake_reply *r = p->r;
    if (!r) {
        resp.status = 599;
        free(resp.body);
        resp.body = text_dup("{\"error\":{\"code\":\"NoCannedReply\",\"message\":\"fake\"}}");
        resp.body_len = strlen(resp.body);
    } else if (r->status == 0) {
        resp.transport = r->transport ? r->transport : GP_E_NETWORK;
        resp.request_sent = r->sent;
        (void)text_copy(resp.error, sizeof(resp.error), "Failed to connect (fake)");
    } else {
        resp.status = r->status;
        if (r->body) {
            free(resp.body);
            resp.body = text_dup(r->body);
            resp.body_len = strlen(r->body);
        }
        resp.location = fake_dup(r->location);
        resp.async_operation = fake_dup(r->async_op);
        resp.retry_after = fake_dup(r->retry_after);
        resp.retry_after_ms = fake_dup(r->retry_after_ms);
        resp.request_id = fake_dup(r->request_id);
    }
    f->in_flight--;
    struct http_call *call = p->call;
    free(p);
    http_call_finish(call, &resp);
}

static inline enum gp_status fake_start(void *tctx, struct http_call *call,
                                        const struct http_request *req)
{
    struct fake_http *f = tctx;
    if (f->n_seen < FAKE_MAX_SEEN) {
        struct fake_seen *s = &f->seen[f->n_seen++];
        (void)text_copy(s->method, sizeof(s->method), req->method);
        (void)text_copy(s->url, sizeof(s->url), req->url);
        (void)text_copy(s->body, sizeof(s->body), req->body ? req->body : "");
        (void)text_copy(s->bearer, sizeof(s->bearer), req->bearer ? req->bearer : "");
        (void)text_copy(s->client_request_id, sizeof(s->client_request_id),
                        req->client_request_id);
        s->at_ms = loop_now_ms(f->loop);
    }
    struct fake_pending *p = calloc(1, sizeof(*p));
    if (!p)
        return GP_E_NOMEM;
    p->f = f;
    p->call = call;
    for (size_t i = 0; i < f->n_replies && i < FAKE_MAX_REPLIES; i++) {
        const struct fake_reply *r = &f->replies[i];
        int allowed = r->times ? r->times : 1;
        if (allowed >= 0 && f->used[i] >= allowed)
            continue;
        if (r->method && !str_eq(r->method, req->method))
            continue;
        if (r->url_has && !strstr(req->url, r->url_has))
            continue;
        f->used[i]++;
        p->r = r;
        break;
    }
    if (!p->r)
        f->unmatched++;
    p->timer = loop_timer_add(f->loop, p->r ? p->r->delay_ms : 0, fake_fire, p);
    if (!p->timer) {
        free(p);
        return GP_E_NOMEM;
    }
    http_call_set_data(call, p);
    if (++f->in_flight > f->max_in_flight)
        f->max_in_flight = f->in_flight;
    return GP_OK;
}

static inline void fake_cancel(void *tctx, struct http_call *call)
{
    struct fake_http *f = tctx;
    struct fake_pending *p = http_call_data(call);
    if (!p)
        return;
    loop_timer_cancel(f->loop, p->timer);
    f->in_flight--;
    f->canceled++;
    free(p);
}

static const struct http_transport_ops fake_http_ops = {fake_start, fake_cancel};

/* A new loop on the virtual clock (*out_loop) and an ARM client with options o and the static
 * token "t" (*out_arm) whose transport is f, answering with the n canned replies. GP_OK, or the
 * first failure with nothing left allocated. The caller frees the client, then the loop. */
static inline enum gp_status fake_http_arm_open(const struct arm_options *o,
                                                const struct fake_reply *replies, size_t n,
                                                struct fake_http *f, struct gp_loop **out_loop,
                                                struct arm_client **out_arm)
{
    struct gp_error err;
    gp_error_clear(&err);
    GP_TRY(loop_new(out_loop));
    loop_use_virtual_clock(*out_loop);
    enum gp_status st =
        arm_client_new(*out_loop, o, &arm_static_token_ops, (void *)"t", out_arm, &err);
    if (st != GP_OK) {
        loop_free(*out_loop);
        *out_loop = NULL;
        return st;
    }
    fake_http_init(f, *out_loop, replies, n);
    arm_client_set_transport(*out_arm, &fake_http_ops, f);
    return GP_OK;
}

/* Runs the loop until it has nothing left (virtual clock: no waiting). */
static inline enum gp_status fake_run(struct gp_loop *l)
{
    return loop_run(l);
}

#endif
