/* SPDX-License-Identifier: MIT
 * net/retry.h: when to repeat an ARM request and how long to wait first, as the Azure SDKs do
 * (azure-local-api.md 4): up to 3 retries for 408, 429, 500, 502, 503, 504 and connection
 * failures; delay 0.8 s x 2^(n-1) with jitter, capped; a Retry-After (or retry-after-ms) from
 * the server wins. POST and PATCH are not idempotent: they are repeated only on 500/503/504, on
 * 429 (throttled before it was processed, as azure-core does) and on connection failures that
 * happened before the request was sent.
 * Pure policy: no I/O, no clock (the caller passes the wall time and the jitter). */
#ifndef GPUP_NET_RETRY_H
#define GPUP_NET_RETRY_H

#include <stdbool.h>
#include <stdint.h>

struct retry_policy {
    unsigned max_retries;      /* retries after the first attempt (3) */
    uint64_t base_delay_ms;    /* delay before the first retry (800) */
    uint64_t max_delay_ms;     /* cap of the computed backoff (60000) */
    uint64_t max_retry_after_ms; /* cap of a server's Retry-After (300000); bounded waits */
};

/* The defaults above. */
struct retry_policy retry_policy_default(void);

/* What happened to one attempt. */
struct retry_input {
    const char *method;        /* "GET", "POST", ... (case-insensitive) */
    int http_status;           /* the answer's status; 0 when the transport failed */
    bool request_sent;         /* transport failure: the request had (perhaps) reached the
                                  server; false for refused connections and DNS failures */
    unsigned attempt;          /* attempts made so far, counting this one (1 = first) */
    const char *retry_after;   /* Retry-After header value or NULL: seconds or an HTTP date */
    const char *retry_after_ms;/* retry-after-ms (or x-ms-retry-after-ms) value or NULL */
    int64_t now_wall;          /* wall time in seconds, for an HTTP-date Retry-After */
    double jitter;             /* uniform in [0, 1): scales the backoff by 0.8 .. 1.2 */
};

/* Decides whether to retry. Returns true and sets *out_delay_ms when the request should be
 * repeated after that delay; false when the answer is final (success, a non-retryable status,
 * a non-idempotent request that may have been processed, or the retries are used up). */
bool retry_should_retry(const struct retry_policy *p, const struct retry_input *in,
                        uint64_t *out_delay_ms);

/* Whether the status is one of the retryable ones for the method (ignores the attempt count). */
bool retry_status_is_retryable(const char *method, int http_status);

/* Parses a server's wait hint into milliseconds: retry_after_ms ("1500") first, then
 * retry_after as delta-seconds ("30") or an IMF-fixdate ("Wed, 25 Nov 2026 10:00:00 GMT",
 * relative to now_wall; a date in the past gives 0). Returns -1 when both are absent or
 * malformed. Values are capped at cap_ms. */
int64_t retry_after_parse_ms(const char *retry_after, const char *retry_after_ms,
                             int64_t now_wall, uint64_t cap_ms);

/* The backoff before retry number n (1-based) without a server hint:
 * base * 2^(n-1) * (0.8 + 0.4 * jitter), capped at max_delay_ms. */
uint64_t retry_backoff_ms(const struct retry_policy *p, unsigned n, double jitter);

#endif
