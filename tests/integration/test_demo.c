/* SPDX-License-Identifier: MIT
 * tests/integration/test_demo.c: `gpup --demo`'s emulator child: it starts on a free loopback
 * port, serves the demo fleet, and is gone after demo_stop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli/demo.h"

static size_t count_bytes(char *data, size_t size, size_t n, void *ctx)
{
    (void)data;
    *(size_t *)ctx += size * n;
    return size * n;
}

static void test_demo_serves_fleet(void **state)
{
    (void)state;
    struct demo d;
    struct gp_error err;
    gp_error_clear(&err);
    if (demo_start(&d, NULL, &err) != GP_OK)
        fail_msg("demo_start: %s", err.message);
    assert_int_equal(strncmp(d.endpoint, "http://127.0.0.1:", 17), 0);

    char url[256];
    (void)snprintf(url, sizeof url,
                   "%s/subscriptions/00000000-0000-0000-0000-000000000000/providers/"
                   "Microsoft.HybridCompute/machines?api-version=2024-07-10",
                   d.endpoint);
    CURL *c = curl_easy_init();
    assert_non_null(c);
    size_t bytes = 0;
    long code = 0;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, count_bytes);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &bytes);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    assert_int_equal(code, 200);
    assert_true(bytes > 1000);

    pid_t pid = d.pid;
    demo_stop(&d);
    assert_int_equal(d.pid, 0);
    assert_int_equal(kill(pid, 0), -1); /* reaped, not a zombie */
    assert_int_equal(errno, ESRCH);
    demo_stop(&d); /* twice is fine */
}

static void test_demo_missing_emulator(void **state)
{
    (void)state;
    const char *was = getenv("GPUP_SIM");
    char *saved = was ? strdup(was) : NULL;
    setenv("GPUP_SIM", "/nonexistent/gpup-sim", 1);
    struct demo d;
    struct gp_error err;
    gp_error_clear(&err);
    assert_int_equal(demo_start(&d, NULL, &err), GP_E_NOT_FOUND);
    assert_non_null(strstr(err.message, "cannot start the demo emulator /nonexistent/gpup-sim"));
    assert_int_equal(d.pid, 0);
    if (saved) {
        setenv("GPUP_SIM", saved, 1);
        free(saved);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_demo_serves_fleet),
        cmocka_unit_test(test_demo_missing_emulator),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
