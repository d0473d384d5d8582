/* SPDX-License-Identifier: MIT
 * net/retry.c: the retry policy of the Azure SDKs as a pure function. See net/retry.h. */
#include "net/retry.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/text.h"

struct retry_policy retry_policy_default(void)
{
    return (struct retry_policy){
        .max_retries = 3,
        .base_delay_ms = 800,
        .max_delay_ms = 60000,
        .max_retry_after_ms = 300000,
    };
}

static bool method_is_idempotent(const char *method)
{
    return !(str_ieq(method, "POST") || str_ieq(method, "PATCH"));
}

bool retry_status_is_retryable(const char *method, int s)
{
    if (method_is_idempotent(method))
        return s == 408 || s == 429 || s == 500 || s == 502 || s == 503 || s == 504;
    /* 429 is ARM's throttle: the request was turned away before any resource provider saw
     * it, so repeating it is safe for every method (the Azure SDKs retry it too). */
    return s == 429 || s == 500 || s == 503 || s == 504;
}

uint64_t retry_backoff_ms(const struct retry_policy *p, unsigned n, double jitter)
{
    if (n == 0)
        n = 1;
    if (!(jitter >= 0.0 && jitter < 1.0)) /* also catches NaN */
        jitter = 0.5;
    double d = (double)p->base_delay_ms;
    for (unsigned i = 1; i < n && d < (double)p->max_delay_ms; i++)
        d *= 2.0;
    d *= 0.8 + 0.4 * jitter;
    if (d > (double)p->max_delay_ms)
        d = (double)p->max_delay_ms;
    return (uint64_t)d;
}

/* A non-negative decimal integer made only of digits (surrounding blanks allowed). */
static bool parse_uint(const char *s, uint64_t *out)
{
    while (*s == ' ' || *s == '\t')
        s++;
    if (*s < '0' || *s > '9')
        return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno == ERANGE)
        v = UINT64_MAX;
    while (*end == ' ' || *end == '\t')
        end++;
    if (*end)
        return false;
    *out = (uint64_t)v;
    return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static bool take_num(const char **s, unsigned digits, unsigned *out)
{
    unsigned v = 0;
    for (unsigned i = 0; i < digits; i++) {
        char c = (*s)[i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (unsigned)(c - '0');
    }
    *s += digits;
    *out = v;
    return true;
}

/* IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 5.6.7) to POSIX seconds. */
static bool parse_http_date(const char *s, int64_t *out)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    while (*s == ' ')
        s++;
    if (strlen(s) < 29 || s[3] != ',' || s[4] != ' ')
        return false;
    s += 5;
    unsigned day, year, hh, mm, ss, mon = 0;
    if (!take_num(&s, 2, &day) || *s++ != ' ')
        return false;
    for (unsigned i = 0; i < 12; i++) {
        if (memcmp(s, months + 3 * i, 3) == 0) {
            mon = i + 1;
            break;
        }
    }
    if (!mon || s[3] != ' ')
        return false;
    s += 4;
    if (!take_num(&s, 4, &year) || *s++ != ' ' || !take_num(&s, 2, &hh) || *s++ != ':' ||
        !take_num(&s, 2, &mm) || *s++ != ':' || !take_num(&s, 2, &ss))
        return false;
    if (strncmp(s, " GMT", 4) != 0 || day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60)
        return false;
    *out = days_from_civil((int64_t)year, mon, day) * 86400 + (int64_t)hh * 3600 +
           (int64_t)mm * 60 + (int64_t)ss;
    return true;
}

int64_t retry_after_parse_ms(const char *retry_after, const char *retry_after_ms,
                             int64_t now_wall, uint64_t cap_ms)
{
    uint64_t v;
    int64_t ms = -1;
    if (retry_after_ms && parse_uint(retry_after_ms, &v)) {
        ms = v > cap_ms ? (int64_t)cap_ms : (int64_t)v;
    } else if (retry_after && parse_uint(retry_after, &v)) {
        ms = v > cap_ms / 1000 ? (int64_t)cap_ms : (int64_t)(v * 1000);
    } else if (retry_after) {
        int64_t when;
        if (parse_http_date(retry_after, &when)) {
            int64_t d = when - now_wall;
            if (d <= 0)
                ms = 0;
            else
                ms = (uint64_t)d > cap_ms / 1000 ? (int64_t)cap_ms : d * 1000;
        }
    }
    return ms;
}

bool retry_should_retry(const struct retry_policy *p, const struct retry_input *in,
                        uint64_t *out_delay_ms)
{
    *out_delay_ms = 0;
    if (in->attempt > p->max_retries)
        return false;
    if (in->http_status == 0) {
        /* Transport failure: safe to repeat when nothing was sent, or when repeating cannot
         * do harm (idempotent methods). */
        if (in->request_sent && !method_is_idempotent(in->method))
            return false;
    } else if (!retry_status_is_retryable(in->method, in->http_status)) {
        return false;
    }
    int64_t hint = retry_after_parse_ms(in->retry_after, in->retry_after_ms, in->now_wall,
                                        p->max_retry_after_ms);
    *out_delay_ms = hint >= 0 ? (uint64_t)hint : retry_backoff_ms(p, in->attempt, in->jitter);
    return true;
}
