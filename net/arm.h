/* SPDX-License-Identifier: MIT
 * net/arm.h: the ARM client: a request to a path (joined to the endpoint) or an absolute URL
 * from ARM itself (Location, Azure-AsyncOperation, nextLink), with the bearer token from a
 * token provider, the Azure SDK retry policy (waits are loop timers, never sleeps), one token
 * refresh and retry on 401, and every failure mapped to one struct gp_error line carrying the
 * ARM code and the request ids. Credentials are only ever sent to the endpoint's origin. */
#ifndef GPUP_NET_ARM_H
#define GPUP_NET_ARM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/status.h"
#include "net/http.h"
#include "net/loop.h"
#include "net/retry.h"

struct arm_client;
struct arm_call;

/* A token provider (auth/ implements the real ones). get_token answers through cb, now or from
 * a later loop pass; token is borrowed during cb; on failure token is NULL and err says why.
 * force_refresh asks for a new token (after a 401). cancel (optional) forgets the request made
 * with cb_ctx: its cb is never called. Without cancel, the provider must answer every request,
 * canceled calls included, before the client is freed. */
typedef void (*arm_token_cb)(void *cb_ctx, const char *token, const struct gp_error *err);
struct arm_token_ops {
    void (*get_token)(void *tctx, bool force_refresh, arm_token_cb cb, void *cb_ctx);
    void (*cancel)(void *tctx, void *cb_ctx);
};

/* A provider that always answers the same token (GPUP_TOKEN); tctx is the token string,
 * borrowed for the client's lifetime. NULL or "" answers GP_E_AUTH. */
extern const struct arm_token_ops arm_static_token_ops;

struct arm_options {
    const char *endpoint;        /* "https://management.azure.com" (trailing '/' ignored) */
    struct http_options http;    /* CA bundle, timeouts */
    struct retry_policy retry;   /* all zero: retry_policy_default() */
    /* Jitter source, uniform in [0, 1); NULL: a seeded generator. Tests pin it. */
    double (*jitter)(void *ctx);
    void *jitter_ctx;
};

/* Creates a client. opts and its strings are copied; the loop and the token provider are
 * borrowed for the client's lifetime. GP_E_INVALID (with err) for a bad endpoint. */
GP_NODISCARD enum gp_status arm_client_new(struct gp_loop *loop, const struct arm_options *opts,
                                           const struct arm_token_ops *tok, void *tctx,
                                           struct arm_client **out, struct gp_error *err);
/* Cancels every call (no callbacks) and frees the client. NULL is a no-op. */
void arm_client_free(struct arm_client *c);

/* Replaces the HTTP transport (tests: canned replies). Borrowed for the client's lifetime. */
void arm_client_set_transport(struct arm_client *c, const struct http_transport_ops *ops,
                              void *tctx);
struct gp_loop *arm_client_loop(const struct arm_client *c);
const char *arm_client_endpoint(const struct arm_client *c);
/* The retry policy in use (LRO polls reuse it). */
const struct retry_policy *arm_client_retry_policy(const struct arm_client *c);

/* Runs once per call from the loop. On success (2xx) err is NULL. On failure err describes it
 * (status, "409 Code: message", ids) and resp is the failing answer, or NULL when no answer
 * arrived. Both are borrowed until the callback returns; the call is gone by then. */
typedef void (*arm_done_fn)(void *ctx, const struct http_response *resp,
                            const struct gp_error *err);

/* Sends method to path_or_url: a path starting with '/' is joined to the endpoint; an absolute
 * URL must have the endpoint's scheme, host and port. body (body_len bytes) may be NULL and is
 * copied. Retries and the 401 refresh happen inside; done runs once at the end.
 * *out_call (may be NULL) is valid until done runs. GP_E_NOMEM / GP_E_INVALID (with err, done
 * not called) when the request cannot be started. */
GP_NODISCARD enum gp_status arm_request(struct arm_client *c, const char *method,
                                        const char *path_or_url, const char *body,
                                        size_t body_len, arm_done_fn done, void *ctx,
                                        struct arm_call **out_call, struct gp_error *err);
/* Cancels a call: done is never run. */
void arm_cancel(struct arm_call *call);

/* Milliseconds the answer asks the client to wait (retry-after-ms, Retry-After seconds or
 * date, capped by the retry policy), or -1 when it does not say. */
int64_t arm_retry_after_ms(const struct arm_client *c, const struct http_response *resp);

/* Joins path_or_url as arm_request does. Caller frees *out. GP_E_INVALID (with err) for a
 * foreign origin or a relative path without '/'. */
GP_NODISCARD enum gp_status arm_url(const struct arm_client *c, const char *path_or_url,
                                    char **out, struct gp_error *err);

#endif
