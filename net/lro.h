/* SPDX-License-Identifier: MIT
 * net/lro.h: long-running ARM operations (azure-local-api.md 4). Sends the request, accepts
 * 200/201/202/204, then polls whichever header is present, preferring Azure-AsyncOperation
 * (status Succeeded / Failed / Canceled) over Location (202 while running, then the answer);
 * a PUT/PATCH answered 200/201 with a non-terminal provisioningState and no header is polled by
 * GETting the resource. Between polls it waits the answer's Retry-After, or its own shorter
 * default with backoff. Polls are bounded in number and time. After success it GETs the
 * resource and hands that body back. A failed operation becomes a gp_error with ARM's code and
 * message. Every wait is a loop timer. */
#ifndef GPUP_NET_LRO_H
#define GPUP_NET_LRO_H

#include <stddef.h>
#include <stdint.h>

#include "model/status.h"
#include "net/arm.h"

struct lro;

struct lro_options {
    uint64_t poll_initial_ms; /* wait before a poll when the server gives no Retry-After (1000) */
    uint64_t poll_max_ms;     /* that wait doubles per poll up to this (10000) */
    unsigned max_polls;       /* polls before giving up (720) */
    uint64_t timeout_ms;      /* whole operation, from the first request (1 800 000 = 30 min) */
    /* Resource to GET after success: NULL means the request path for PUT and PATCH, nothing
     * for DELETE and POST (give the VM instance path for start/stop). "" means no final GET. */
    const char *final_path;
};

/* The outcome. Borrowed by the callback until it returns. */
struct lro_result {
    int initial_status;       /* status of the first answer (200/201/202/204) */
    const char *body;         /* final GET body, or the last answer's body; never NULL */
    size_t body_len;
    const char *operation_status; /* "Succeeded" ... as the operation said, or "" */
    unsigned polls;           /* poll requests made */
};

/* err NULL on success; otherwise res is still given (polls made so far) and err has the ARM
 * code and the line ("operation Failed: GpuCapacityExceeded: ...", "409 ...", timeouts). */
typedef void (*lro_done_fn)(void *ctx, const struct lro_result *res, const struct gp_error *err);

/* Starts method on path (arm_request rules) with an optional body (copied). opts may be NULL
 * (defaults) and is copied. *out (may be NULL) is valid until done runs. done always runs from
 * the loop. GP_E_NOMEM / GP_E_INVALID with err when nothing was started. */
GP_NODISCARD enum gp_status lro_begin(struct arm_client *arm, const char *method,
                                      const char *path, const char *body, size_t body_len,
                                      const struct lro_options *opts, lro_done_fn done,
                                      void *ctx, struct lro **out, struct gp_error *err);

/* Stops polling; done is never run. The operation itself goes on in Azure. */
void lro_cancel(struct lro *op);

#endif
