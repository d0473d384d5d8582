/* SPDX-License-Identifier: MIT
 * sim/arm.h: gpup-sim's ARM front: routes a request (method, path, query, headers, body) to
 * the store and operations and produces the answer ARM would give (status, headers, JSON
 * body): paths of azure-local-api.md section 1, api-version checks, paging with nextLink,
 * Resource Graph, the host GPU inventory, long-running operations, the service rules, ARM
 * error bodies, request ids, auth and injected faults. No HTTP library here: sim/server.c
 * carries requests in and answers out, so this is testable on its own. */
#ifndef GPUP_SIM_ARM_H
#define GPUP_SIM_ARM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/faults.h"
#include "sim/fleet.h"
#include "sim/ops.h"
#include "sim/simrng.h"
#include "sim/tokens.h"

/* One request as received. Borrowed strings; NULL when absent. */
struct arm_request {
    const char *method;
    const char *path;        /* decoded path, without the query */
    const char *api_version; /* query api-version */
    const char *skip_token;  /* query $skipToken */
    const char *host;        /* Host header, for absolute URLs */
    const char *content_type;
    const char *authorization;
    const char *client_request_id;
    const char *correlation_id;
    const char *body; /* may be NULL when empty */
    size_t body_len;
    bool body_too_large;
    int64_t now_ms;      /* monotonic clock */
    int64_t now_wall_ms; /* wall clock, for operation times */
};

#define ARM_MAX_HEADERS 12

struct arm_header {
    char name[48];
    char value[640];
};

/* The answer. body is malloc'ed (NULL for none); the caller frees it. */
struct arm_response {
    int status;
    char *body;
    size_t body_len;
    struct arm_header headers[ARM_MAX_HEADERS];
    size_t n_headers;
    bool reset;    /* close the connection without answering */
    long delay_ms; /* answer after this delay (fault slow) */
};

struct arm_settings {
    size_t page_size;       /* machines per list page */
    long op_ms;             /* long-running operation duration */
    long retry_after_s;     /* Retry-After on 202 and polls */
    long retry_after_ms;    /* >= 0: send retry-after-ms instead */
    const char *token;      /* required bearer token, or NULL for any (unless
                               issued_only) */
    struct sim_tokens *tokens; /* the login endpoints (borrowed; served by sim/server.c) */
    bool issued_only;          /* ARM wants a token of `tokens` (or `token`), not any */
    const char *state_path; /* --state FILE, or NULL */
};

struct arm_service {
    struct fleet fleet;
    struct ops ops;
    struct faults faults;
    struct arm_settings set;
    struct simrng ids; /* request ids */
    bool dirty;        /* the store changed since the last save */
};

/* Body cap (ARM's is 8 MB; ours is lower: gpu bodies are small). */
#define ARM_MAX_BODY (4u * 1024u * 1024u)

/* Handles one request. Never fails: out of memory becomes a 500 ARM error. */
void arm_handle(struct arm_service *svc, const struct arm_request *req, struct arm_response *resp);
/* Frees the body of a response. */
void arm_response_cleanup(struct arm_response *resp);

#endif
