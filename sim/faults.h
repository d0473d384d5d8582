/* SPDX-License-Identifier: MIT
 * sim/faults.h: gpup-sim's fault injection (--faults SPEC). Grammar (doc/gpup-sim.1):
 *   SPEC  = RULE *("," RULE)
 *   RULE  = KIND *(":" PARAM)
 *   KIND  = "429" | "500" | "502" | "503" | "504" | "reset" | "slow" | "opfail" | "stuckstop"
 *   PARAM = "p=" PROBABILITY | "n=" COUNT | "retry=" SECONDS | "ms=" MILLISECONDS
 * p: each request (or operation) draws from the seeded generator; n: only the Nth request
 * (for opfail the Nth long-running operation, for stuckstop the Nth stop). Exactly one of p
 * and n. Request faults are tried in the order given; the first that fires wins. */
#ifndef GPUP_SIM_FAULTS_H
#define GPUP_SIM_FAULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/status.h"
#include "sim/simrng.h"

enum fault_kind {
    FAULT_NONE,
    FAULT_HTTP,      /* answer with an HTTP error status (429 with Retry-After, 5xx) */
    FAULT_RESET,     /* close the connection without an answer */
    FAULT_SLOW,      /* delay the answer */
    FAULT_OPFAIL,    /* the long-running operation ends Failed */
    FAULT_STUCKSTOP, /* a stop whose operation never completes */
};

struct fault_rule {
    enum fault_kind kind;
    int status;      /* FAULT_HTTP */
    double p;        /* < 0: unused */
    unsigned long n; /* 0: unused */
    long retry_s;    /* 429: Retry-After */
    long ms;         /* slow: delay */
};

#define FAULTS_MAX 16

struct faults {
    struct fault_rule rules[FAULTS_MAX];
    size_t n;
    struct simrng rng;
    unsigned long requests, operations, stops;
};

/* What to do with one request. */
struct fault_action {
    enum fault_kind kind; /* NONE, HTTP, RESET or SLOW */
    int status;
    long retry_s;
    long ms;
};

/* Parses spec (NULL or "" = no faults). GP_E_INVALID with a message naming the bad part. */
GP_NODISCARD enum gp_status faults_parse(struct faults *f, const char *spec, uint64_t seed,
                                         struct gp_error *err);
/* Counts one request and says which fault, if any, hits it. */
struct fault_action faults_on_request(struct faults *f);
/* Counts one long-running operation (is_stop: a stop) and says whether it fails / sticks. */
void faults_on_operation(struct faults *f, bool is_stop, bool *out_fail, bool *out_stuck);

#endif
