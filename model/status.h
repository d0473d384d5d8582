/* SPDX-License-Identifier: MIT
 * model/status.h: the project-wide result codes and the caller-owned error record.
 * Every fallible function returns enum gp_status and fills a struct gp_error; context is
 * added on the way up with gp_error_prefix(), never replaced. No I/O here. */
#ifndef GPUP_MODEL_STATUS_H
#define GPUP_MODEL_STATUS_H

#include <stdarg.h>
#include <stddef.h>

#if defined(__GNUC__) || defined(__clang__)
#define GP_NODISCARD __attribute__((warn_unused_result))
#define GP_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define GP_NODISCARD
#define GP_PRINTF(f, a)
#endif

/* One list yields the enum and its names (style.md 2). */
#define GP_STATUSES(X)                                                                         \
    X(GP_OK, "ok")                                                                             \
    X(GP_E_NOMEM, "out of memory")                                                             \
    X(GP_E_INVALID, "invalid input")                                                           \
    X(GP_E_PARSE, "malformed JSON")                                                            \
    X(GP_E_TOO_LARGE, "too large")                                                             \
    X(GP_E_NOT_FOUND, "not found")                                                             \
    X(GP_E_HTTP, "HTTP error")                                                                 \
    X(GP_E_NETWORK, "network error")                                                           \
    X(GP_E_TIMEOUT, "timed out")                                                               \
    X(GP_E_AUTH, "authentication failed")                                                      \
    X(GP_E_RULE, "refused by a service rule")                                                  \
    X(GP_E_IO, "I/O error")                                                                    \
    X(GP_E_CONFIG, "configuration error")                                                      \
    X(GP_E_BUSY, "in use by another process")                                                  \
    X(GP_E_CANCELED, "canceled")                                                               \
    X(GP_E_FAILED, "operation failed")

#define GP_STATUS_ENUM_(id, name) id,
enum gp_status { GP_STATUSES(GP_STATUS_ENUM_) GP_STATUS_COUNT };
#undef GP_STATUS_ENUM_

/* Details of the last failure. Plain fixed buffers: it must be usable when memory is out. */
struct gp_error {
    enum gp_status status;
    char message[512];      /* one line, context prefixes first: "step 2/3 PATCH vm-017: ..." */
    int http_status;        /* 0 when no HTTP answer was involved */
    char code[64];          /* ARM error.code, or "" */
    char target[128];       /* ARM error.target, or "" */
    char request_id[64];    /* x-ms-request-id of the failing answer, or "" */
    char correlation_id[64];/* x-ms-correlation-request-id, or "" */
    char client_request_id[64]; /* x-ms-client-request-id we sent, or "" */
    long retry_after_ms;    /* Retry-After of the answer, -1 when absent */
};

/* Name of a status ("out of memory"); never NULL. */
const char *gp_status_name(enum gp_status st);

/* Resets *err to "no error". */
void gp_error_clear(struct gp_error *err);

/* Records st and a printf-style message in err (err may be NULL). Returns st, so that
 * `return gp_error_set(err, GP_E_INVALID, "...")` reads naturally. Keeps the HTTP fields. */
enum gp_status gp_error_set(struct gp_error *err, enum gp_status st, const char *fmt, ...)
    GP_PRINTF(3, 4);

/* Prepends "prefix: " to err->message (context on the way up). err may be NULL. */
void gp_error_prefix(struct gp_error *err, const char *fmt, ...) GP_PRINTF(2, 3);

/* Early return on failure (Azure's _az_RETURN_IF_FAILED). */
#define GP_TRY(expr)                                                                           \
    do {                                                                                       \
        enum gp_status gp_try_st_ = (expr);                                                    \
        if (gp_try_st_ != GP_OK)                                                               \
            return gp_try_st_;                                                                 \
    } while (0)

#endif
