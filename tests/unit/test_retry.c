/* SPDX-License-Identifier: MIT
 * tests/unit/test_retry.c: the retry policy as a table (method, status, attempt, hints ->
 * retry and delay), Retry-After parsing (seconds, HTTP date, retry-after-ms) and the backoff. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "net/retry.h"

/* 2026-11-25 10:00:00 UTC */
#define NOW 1795600800

struct row {
    const char *method;
    int status;
    bool sent;
    unsigned attempt;
    const char *retry_after;
    const char *retry_after_ms;
    double jitter;
    bool want_retry;
    uint64_t want_delay_ms;
};

static const struct row rows[] = {
    /* idempotent methods: the full retryable set, backoff 0.8 s x 2^(n-1), jitter 0.8..1.2 */
    {"GET", 503, true, 1, NULL, NULL, 0.5, true, 800},
    {"GET", 503, true, 2, NULL, NULL, 0.5, true, 1600},
    {"GET", 503, true, 3, NULL, NULL, 0.5, true, 3200},
    {"GET", 503, true, 4, NULL, NULL, 0.5, false, 0},      /* 3 retries used up */
    {"GET", 500, true, 1, NULL, NULL, 0.0, true, 640},     /* jitter low end: 0.8 x */
    {"GET", 502, true, 1, NULL, NULL, 0.999, true, 959},   /* jitter high end: < 1.2 x */
    {"GET", 504, true, 1, NULL, NULL, 0.5, true, 800},
    {"get", 408, true, 1, NULL, NULL, 0.5, true, 800},
    {"PUT", 429, true, 1, "7", NULL, 0.5, true, 7000},     /* Retry-After wins */
    {"DELETE", 429, true, 1, NULL, NULL, 0.5, true, 800},
    {"GET", 200, true, 1, NULL, NULL, 0.5, false, 0},
    {"GET", 404, true, 1, NULL, NULL, 0.5, false, 0},
    {"GET", 409, true, 1, "5", NULL, 0.5, false, 0},       /* Retry-After alone is no reason */
    {"GET", 401, true, 1, NULL, NULL, 0.5, false, 0},
    {"GET", 501, true, 1, NULL, NULL, 0.5, false, 0},
    /* non-idempotent: only 500/503/504, 429 (throttled, never processed) and failures before
     * sending */
    {"POST", 500, true, 1, NULL, NULL, 0.5, true, 800},
    {"POST", 503, true, 2, "2", NULL, 0.5, true, 2000},
    {"PATCH", 504, true, 1, NULL, NULL, 0.5, true, 800},
    {"POST", 429, true, 1, "1", NULL, 0.5, true, 1000},
    {"PATCH", 429, true, 1, NULL, NULL, 0.5, true, 800},
    {"POST", 429, true, 4, "1", NULL, 0.5, false, 0},      /* 3 retries used up */
    {"PATCH", 502, true, 1, NULL, NULL, 0.5, false, 0},
    {"POST", 408, true, 1, NULL, NULL, 0.5, false, 0},
    /* transport failures (status 0) */
    {"POST", 0, false, 1, NULL, NULL, 0.5, true, 800},     /* refused: never reached */
    {"POST", 0, true, 1, NULL, NULL, 0.5, false, 0},       /* may have been processed */
    {"PATCH", 0, true, 1, NULL, NULL, 0.5, false, 0},
    {"GET", 0, true, 1, NULL, NULL, 0.5, true, 800},
    {"DELETE", 0, true, 3, NULL, NULL, 0.5, true, 3200},
    {"GET", 0, false, 4, NULL, NULL, 0.5, false, 0},
    /* server hints */
    {"GET", 503, true, 1, "1", "250", 0.5, true, 250},     /* retry-after-ms first */
    {"GET", 503, true, 1, "0", NULL, 0.5, true, 0},        /* 0 means now, not absent */
    {"GET", 503, true, 1, "Wed, 25 Nov 2026 10:00:30 GMT", NULL, 0.5, true, 30000},
    {"GET", 503, true, 1, "Wed, 25 Nov 2026 09:59:00 GMT", NULL, 0.5, true, 0}, /* past */
    {"GET", 503, true, 1, "soon", NULL, 0.5, true, 800},   /* malformed: backoff */
    {"GET", 503, true, 1, "-5", NULL, 0.5, true, 800},
    {"GET", 503, true, 1, "99999999999999999999", NULL, 0.5, true, 300000}, /* capped */
    {"GET", 503, true, 1, "3600", NULL, 0.5, true, 300000},
};

static void test_table(void **state)
{
    (void)state;
    struct retry_policy p = retry_policy_default();
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const struct row *r = &rows[i];
        struct retry_input in = {
            .method = r->method, .http_status = r->status, .request_sent = r->sent,
            .attempt = r->attempt, .retry_after = r->retry_after,
            .retry_after_ms = r->retry_after_ms, .now_wall = NOW, .jitter = r->jitter,
        };
        uint64_t d = 12345;
        bool got = retry_should_retry(&p, &in, &d);
        if (got != r->want_retry || d != r->want_delay_ms) {
            fprintf(stderr, "row %zu: %s %d attempt %u: got %d %llu, want %d %llu\n", i,
                    r->method, r->status, r->attempt, got, (unsigned long long)d,
                    r->want_retry, (unsigned long long)r->want_delay_ms);
            fail();
        }
    }
}

static void test_backoff_is_capped(void **state)
{
    (void)state;
    struct retry_policy p = retry_policy_default();
    assert_int_equal(retry_backoff_ms(&p, 1, 0.5), 800);
    assert_int_equal(retry_backoff_ms(&p, 7, 0.5), 51200);
    assert_int_equal(retry_backoff_ms(&p, 8, 0.5), 60000);
    assert_int_equal(retry_backoff_ms(&p, 1000, 0.999), 60000);
    p.max_retries = 10;
    struct retry_input in = {.method = "GET", .http_status = 503, .attempt = 10, .jitter = 0.5};
    uint64_t d;
    assert_true(retry_should_retry(&p, &in, &d));
    assert_int_equal(d, 60000);
    /* A broken jitter source cannot produce a wild delay. */
    assert_int_equal(retry_backoff_ms(&p, 1, 7.0), 800);
}

static void test_retry_after_parse(void **state)
{
    (void)state;
    assert_int_equal(retry_after_parse_ms(NULL, NULL, NOW, 300000), -1);
    assert_int_equal(retry_after_parse_ms("", NULL, NOW, 300000), -1);
    assert_int_equal(retry_after_parse_ms(" 12 ", NULL, NOW, 300000), 12000);
    assert_int_equal(retry_after_parse_ms("1.5", NULL, NOW, 300000), -1);
    assert_int_equal(retry_after_parse_ms(NULL, "1500", NOW, 300000), 1500);
    assert_int_equal(retry_after_parse_ms("2", "x", NOW, 300000), 2000);
    assert_int_equal(retry_after_parse_ms("Wed, 25 Nov 2026 10:01:00 GMT", NULL, NOW, 300000),
                     60000);
    assert_int_equal(retry_after_parse_ms("Thu, 01 Jan 1970 00:00:00 GMT", NULL, 0, 300000), 0);
    assert_int_equal(retry_after_parse_ms("Wed, 25 Nov 2026 10:01:00 UTC", NULL, NOW, 300000),
                     -1);
    assert_int_equal(retry_after_parse_ms("Wed, 25 Foo 2026 10:01:00 GMT", NULL, NOW, 300000),
                     -1);
    assert_int_equal(retry_after_parse_ms("Wed, 25 Nov 2026 10:01", NULL, NOW, 300000), -1);
    assert_int_equal(retry_after_parse_ms("Wed, 25 Nov 2027 10:00:00 GMT", NULL, NOW, 300000),
                     300000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_backoff_is_capped),
        cmocka_unit_test(test_retry_after_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
