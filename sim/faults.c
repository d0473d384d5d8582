/* SPDX-License-Identifier: MIT
 * sim/faults.c: parses --faults and rolls the dice for each request and operation. */
#include "sim/faults.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static bool parse_ulong(const char *s, size_t len, unsigned long max, unsigned long *out)
{
    if (len == 0 || len > 18)
        return false;
    unsigned long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v > max)
        return false;
    *out = v;
    return true;
}

static bool parse_prob(const char *s, size_t len, double *out)
{
    char buf[32];
    if (len == 0 || len >= sizeof(buf))
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end = NULL;
    errno = 0;
    double v = strtod(buf, &end);
    if (errno || !end || *end || !(v >= 0.0 && v <= 1.0))
        return false;
    *out = v;
    return true;
}

static enum gp_status parse_rule(struct fault_rule *r, const char *s, size_t len,
                                 struct gp_error *err)
{
    memset(r, 0, sizeof(*r));
    r->p = -1.0;
    r->retry_s = 1;
    r->ms = 1000;
    size_t k = 0;
    while (k < len && s[k] != ':')
        k++;
    unsigned long code;
    if ((k == 5 && !memcmp(s, "reset", 5)))
        r->kind = FAULT_RESET;
    else if (k == 4 && !memcmp(s, "slow", 4))
        r->kind = FAULT_SLOW;
    else if (k == 6 && !memcmp(s, "opfail", 6))
        r->kind = FAULT_OPFAIL;
    else if (k == 9 && !memcmp(s, "stuckstop", 9))
        r->kind = FAULT_STUCKSTOP;
    else if (parse_ulong(s, k, 599, &code) &&
             (code == 429 || code == 500 || code == 502 || code == 503 || code == 504)) {
        r->kind = FAULT_HTTP;
        r->status = (int)code;
    } else
        return gp_error_set(err, GP_E_INVALID,
                            "--faults: unknown fault '%.*s' (429, 500, 502, 503, 504, reset, "
                            "slow, opfail, stuckstop)",
                            (int)k, s);
    size_t pos = k;
    while (pos < len) {
        pos++; /* ':' */
        size_t start = pos;
        while (pos < len && s[pos] != ':')
            pos++;
        const char *p = s + start;
        size_t plen = pos - start;
        const char *eq = memchr(p, '=', plen);
        if (!eq)
            return gp_error_set(err, GP_E_INVALID, "--faults: '%.*s' is not NAME=VALUE", (int)plen,
                                p);
        size_t nlen = (size_t)(eq - p);
        const char *v = eq + 1;
        size_t vlen = plen - nlen - 1;
        unsigned long u = 0;
        bool ok;
        if (nlen == 1 && p[0] == 'p') {
            ok = parse_prob(v, vlen, &r->p);
        } else if (nlen == 1 && p[0] == 'n') {
            ok = parse_ulong(v, vlen, 1000000000UL, &r->n) && r->n > 0;
        } else if (nlen == 5 && !memcmp(p, "retry", 5)) {
            ok = parse_ulong(v, vlen, 3600, &u);
            r->retry_s = (long)u;
        } else if (nlen == 2 && !memcmp(p, "ms", 2)) {
            ok = parse_ulong(v, vlen, 600000, &u);
            r->ms = (long)u;
        } else {
            return gp_error_set(err, GP_E_INVALID,
                                "--faults: unknown parameter '%.*s' (p, n, retry, ms)", (int)nlen,
                                p);
        }
        if (!ok)
            return gp_error_set(err, GP_E_INVALID, "--faults: bad value in '%.*s'", (int)plen, p);
    }
    if ((r->p >= 0.0) == (r->n > 0))
        return gp_error_set(err, GP_E_INVALID,
                            "--faults: '%.*s' needs exactly one of p=PROBABILITY or n=COUNT",
                            (int)len, s);
    return GP_OK;
}

enum gp_status faults_parse(struct faults *f, const char *spec, uint64_t seed, struct gp_error *err)
{
    memset(f, 0, sizeof(*f));
    simrng_seed(&f->rng, seed ^ 0x6661756c74730a0aULL);
    if (!spec || !*spec)
        return GP_OK;
    const char *s = spec;
    for (;;) {
        const char *comma = strchr(s, ',');
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        if (f->n >= FAULTS_MAX)
            return gp_error_set(err, GP_E_INVALID, "--faults: at most %d rules", FAULTS_MAX);
        if (len == 0)
            return gp_error_set(err, GP_E_INVALID, "--faults: empty rule in '%s'", spec);
        GP_TRY(parse_rule(&f->rules[f->n], s, len, err));
        f->n++;
        if (!comma)
            break;
        s = comma + 1;
    }
    return GP_OK;
}

static bool fires(struct faults *f, const struct fault_rule *r, unsigned long count)
{
    if (r->n)
        return count == r->n;
    return r->p > 0.0 && simrng_unit(&f->rng) < r->p;
}

struct fault_action faults_on_request(struct faults *f)
{
    struct fault_action a = {FAULT_NONE, 0, 0, 0};
    f->requests++;
    for (size_t i = 0; i < f->n; i++) {
        const struct fault_rule *r = &f->rules[i];
        if (r->kind != FAULT_HTTP && r->kind != FAULT_RESET && r->kind != FAULT_SLOW)
            continue;
        if (!fires(f, r, f->requests))
            continue;
        a.kind = r->kind;
        a.status = r->status;
        a.retry_s = r->retry_s;
        a.ms = r->ms;
        return a;
    }
    return a;
}

void faults_on_operation(struct faults *f, bool is_stop, bool *out_fail, bool *out_stuck)
{
    *out_fail = false;
    *out_stuck = false;
    f->operations++;
    if (is_stop)
        f->stops++;
    for (size_t i = 0; i < f->n; i++) {
        const struct fault_rule *r = &f->rules[i];
        if (r->kind == FAULT_OPFAIL && !*out_fail && fires(f, r, f->operations))
            *out_fail = true;
        else if (r->kind == FAULT_STUCKSTOP && is_stop && !*out_stuck && fires(f, r, f->stops))
            *out_stuck = true;
    }
}
