/* SPDX-License-Identifier: MIT
 * net/http.h: the one HTTP request engine. Each request is an easy handle on the loop's shared
 * multi handle (so connections are reused), completes through a callback from the loop, and
 * brings back the status, a capped body and the few headers ARM clients need.
 * Transport rules: TLS verification always on (optional CA bundle), HTTP/2 over TLS, proxies
 * from the environment (libcurl's default), plain http:// only to loopback hosts, no redirects
 * followed. Each request carries a fresh x-ms-client-request-id, the User-Agent and, when
 * given, the bearer token. Secrets are never kept in a response or an error message, and the
 * engine's copies of request bodies (login forms carry secrets), of headers and of the answers
 * of sensitive requests are wiped (explicit_bzero) before they are freed.
 * The transport is an ops struct, so tests replace libcurl with canned replies delivered from
 * the loop in zero (virtual) time: Azure's fake transport. */
#ifndef GPUP_NET_HTTP_H
#define GPUP_NET_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/status.h"
#include "net/loop.h"

#define HTTP_MAX_BODY (8u * 1024u * 1024u) /* ARM's body limit; larger answers are refused */
#define HTTP_MAX_HEADER_VALUE 8192u        /* longer kept header values are refused */
#define HTTP_USER_AGENT "gpup/0.1"

struct http_client;
struct http_call;

/* An extra request header. The value may be a secret (Authorization: Basic ...): the engine
 * never logs it and wipes its copies. */
struct http_header {
    const char *name;
    const char *value;
};

/* A request. Every pointer is borrowed until http_send returns (the engine copies). */
struct http_request {
    const char *method;            /* "GET", "PUT", "PATCH", "POST", "DELETE" */
    const char *url;               /* absolute https:// (http:// only to loopback) */
    const char *body;              /* NULL: no body */
    size_t body_len;
    const char *content_type;      /* NULL: application/json when there is a body */
    const char *bearer;            /* access token or NULL; sent as Authorization, kept nowhere */
    const char *client_request_id; /* NULL: a random GUID is generated */
    long timeout_ms;               /* whole request; 0: the client's default */
    const struct http_header *headers; /* extra headers (login endpoints: Metadata, Basic) */
    size_t n_headers;
    bool sensitive; /* the answer holds secrets (login: tokens): the engine wipes its copies of
                       the body, as it grows and when the callback returns. The request body's
                       copy is wiped for every request. */
};

/* An answer, or a transport failure (status 0). Owned by the engine and borrowed by the
 * completion callback until it returns. All strings NUL-terminated; absent headers are NULL. */
struct http_response {
    int status;                 /* HTTP status; 0 when no answer arrived */
    enum gp_status transport;   /* GP_OK; GP_E_NETWORK, GP_E_TIMEOUT, GP_E_TOO_LARGE (body past
                                   HTTP_MAX_BODY), GP_E_INVALID (refused URL), GP_E_NOMEM */
    bool request_sent;          /* transport failure: the request may have reached the server */
    char error[256];            /* transport failure text (libcurl's), sanitized; "" otherwise */
    char *body;                 /* never NULL ("" when empty) */
    size_t body_len;
    char *location;             /* Location */
    char *async_operation;      /* Azure-AsyncOperation */
    char *retry_after;          /* Retry-After */
    char *retry_after_ms;       /* retry-after-ms or x-ms-retry-after-ms */
    char *request_id;           /* x-ms-request-id */
    char *correlation_id;       /* x-ms-correlation-request-id */
    char *content_type;         /* Content-Type */
    char *www_authenticate;     /* WWW-Authenticate (managed identity's key file realm) */
    char client_request_id[64]; /* the x-ms-client-request-id that was sent */
};

/* Frees the strings of a response and empties it (transports and tests use it). */
void http_response_cleanup(struct http_response *r);
/* An empty response (status 0, body ""): GP_E_NOMEM when the empty body cannot be allocated. */
GP_NODISCARD enum gp_status http_response_init(struct http_response *r);

/* Runs from the loop when a call completes; resp is borrowed until it returns. The call is
 * gone by then (do not cancel it). */
typedef void (*http_done_fn)(void *ctx, const struct http_response *resp);

struct http_options {
    const char *ca_bundle;      /* PEM file or NULL for the system store; copied */
    long connect_timeout_ms;    /* 0: 10 s */
    long timeout_ms;            /* 0: 100 s per request */
};

/* Creates a client on the loop (borrowed; must outlive the client). opts may be NULL. */
GP_NODISCARD enum gp_status http_client_new(struct gp_loop *loop, const struct http_options *opts,
                                            struct http_client **out);
/* Cancels every call still running (no callbacks) and frees the client. NULL is a no-op. */
void http_client_free(struct http_client *c);
struct gp_loop *http_client_loop(const struct http_client *c);

/* Starts a request; done runs from a later loop pass (never from inside http_send).
 * *out_call (may be NULL) identifies it for http_cancel until done runs.
 * A refused request (bad URL, plain http to a remote host) still completes through done with
 * transport GP_E_INVALID. GP_E_NOMEM when nothing could be started (done is not called). */
GP_NODISCARD enum gp_status http_send(struct http_client *c, const struct http_request *req,
                                      http_done_fn done, void *ctx, struct http_call **out_call);
/* Stops a call; its callback is never run. */
void http_cancel(struct http_call *call);
/* Calls still running. */
size_t http_calls_running(const struct http_client *c);

/* Whether url may be requested: https://, or http:// to localhost / 127.0.0.0/8 / [::1].
 * Writes the reason into why (may be NULL) when not. */
bool http_url_allowed(const char *url, char *why, size_t why_len);

/* Writes a random (version 4) GUID, 36 characters plus NUL, into out. */
void http_guid(char out[37]);

/* --- transports ------------------------------------------------------------------------- */

/* What carries a call. start hands the request over (pointers borrowed until start returns)
 * and must later finish the call with http_call_finish from a loop callback, unless cancel
 * is called first. The default transport is libcurl on the loop's multi handle. */
struct http_transport_ops {
    GP_NODISCARD enum gp_status (*start)(void *tctx, struct http_call *call,
                                         const struct http_request *req);
    void (*cancel)(void *tctx, struct http_call *call);
};

/* Replaces the transport of c (ops and tctx borrowed for the client's lifetime). */
void http_client_set_transport(struct http_client *c, const struct http_transport_ops *ops,
                               void *tctx);
/* Delivers the answer of a call (resp's contents are taken; *resp is emptied) and frees the
 * call. The response's client_request_id is filled in by the engine. */
void http_call_finish(struct http_call *call, struct http_response *resp);
/* Per-call slot for the transport's own state. */
void http_call_set_data(struct http_call *call, void *data);
void *http_call_data(const struct http_call *call);

#endif
