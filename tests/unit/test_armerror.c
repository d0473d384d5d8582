/* SPDX-License-Identifier: MIT
 * tests/unit/test_armerror.c: the one line an operator sees for ARM errors, OAuth errors and
 * non-JSON answers, and that hostile bodies cannot inject escapes or crash the parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "model/armerror.h"

static bool from(struct gp_error *e, int status, const char *body)
{
    gp_error_clear(e);
    return armerror_from_response(e, status, body, body ? strlen(body) : 0);
}

static void test_arm_error(void **state)
{
    (void)state;
    struct gp_error e;
    assert_true(from(&e, 409,
                     "{\"error\":{\"code\":\"VmMustBeStopped\",\"message\":\"The VM must be "
                     "stopped before GPUs can be changed.\",\"target\":\"virtualMachineGPUs\"}}"));
    assert_int_equal(e.status, GP_E_RULE);
    assert_int_equal(e.http_status, 409);
    assert_string_equal(e.code, "VmMustBeStopped");
    assert_string_equal(e.target, "virtualMachineGPUs");
    assert_string_equal(e.message,
                        "409 VmMustBeStopped: The VM must be stopped before GPUs can be changed.");
}

static void test_arm_error_details(void **state)
{
    (void)state;
    struct gp_error e;
    assert_true(from(&e, 400,
                     "{\"error\":{\"code\":\"InvalidParameter\",\"message\":\"Bad\\nrequest.\","
                     "\"details\":[{\"code\":\"GpuPNotSupported\",\"message\":\"no GPU-P\"},"
                     "{\"message\":\"second\"}, 5, {\"code\":\"Only\"}]}}"));
    assert_int_equal(e.status, GP_E_INVALID);
    assert_string_equal(e.message, "400 InvalidParameter: Bad request. (details: "
                                   "GpuPNotSupported: no GPU-P; second; Only)");
}

static void test_oauth_error(void **state)
{
    (void)state;
    struct gp_error e;
    assert_true(from(&e, 401,
                     "{\"error\":\"invalid_client\",\"error_description\":\"AADSTS7000215: "
                     "Invalid client secret provided.\\r\\nTrace ID: abc\\r\\n\","
                     "\"trace_id\":\"t-1\",\"correlation_id\":\"c-1\"}"));
    assert_int_equal(e.status, GP_E_AUTH);
    assert_string_equal(e.code, "invalid_client");
    assert_string_equal(e.message,
                        "401 invalid_client: AADSTS7000215: Invalid client secret provided.");
    assert_string_equal(e.request_id, "t-1");
    assert_string_equal(e.correlation_id, "c-1");
}

static void test_not_json(void **state)
{
    (void)state;
    struct gp_error e;
    assert_false(from(&e, 502, "<html><body>Bad gateway\r\n</body></html>"));
    assert_int_equal(e.status, GP_E_HTTP);
    assert_string_equal(e.message, "502 Bad Gateway: <html><body>Bad gateway </body></html>");
    assert_false(from(&e, 503, NULL));
    assert_string_equal(e.message, "503 Service Unavailable");
    assert_false(from(&e, 599, "{\"value\":[]}"));
    assert_string_equal(e.message, "599");
    assert_false(from(&e, 404, "[1,2]"));
    assert_int_equal(e.status, GP_E_NOT_FOUND);
    assert_string_equal(e.message, "404 Not Found: [1,2]");
    assert_true(from(&e, 500, "{\"error\":{}}"));
    assert_string_equal(e.message, "500 error without code or message");
}

static void test_hostile(void **state)
{
    (void)state;
    struct gp_error e;
    /* Escape sequences in code, message and target are neutralised. */
    assert_true(from(&e, 409,
                     "{\"error\":{\"code\":\"X\\u001b]0;pwned\\u0007\",\"message\":"
                     "\"a\\u001b[2Jb\\u009b\",\"target\":\"t\\u001b\"}}"));
    assert_null(strchr(e.message, 0x1b));
    assert_null(strchr(e.code, 0x1b));
    assert_null(strchr(e.target, 0x1b));
    assert_null(strchr(e.message, 0x07));
    assert_string_equal(e.code, "X?]0;pwned?");
    /* A huge message is cut, the line stays terminated and within its buffer. */
    size_t n = 100000;
    char *big = malloc(n + 64);
    assert_non_null(big);
    memcpy(big, "{\"error\":{\"code\":\"C\",\"message\":\"", 32);
    memset(big + 32, 'm', n);
    memcpy(big + 32 + n, "\"}}", 4);
    assert_true(from(&e, 500, big));
    assert_true(strlen(e.message) < sizeof(e.message));
    assert_memory_equal(e.message, "500 C: mmm", 10);
    /* Deep nesting and truncated JSON are not errors of the right shape, never crashes. */
    memset(big, '[', n);
    big[n] = '\0';
    assert_false(from(&e, 500, big));
    assert_false(from(&e, 500, "{\"error\":{\"code\":\"Cut"));
    /* Bodies are bounded by length, not by NUL. */
    gp_error_clear(&e);
    assert_false(armerror_from_response(&e, 500, "{\"error\":{\"code\":\"A\"}}", 5));
    free(big);
}

static void test_operation_error(void **state)
{
    (void)state;
    struct gp_error e;
    gp_error_clear(&e);
    const char *ok = "{\"status\":\"Succeeded\"}";
    assert_false(armerror_from_operation(&e, ok, strlen(ok)));
    assert_int_equal(e.status, GP_OK);
    const char *bad = "{\"status\":\"Failed\",\"error\":{\"code\":\"GpuCapacityExceeded\","
                      "\"message\":\"No partition of that size is free.\"}}";
    assert_true(armerror_from_operation(&e, bad, strlen(bad)));
    assert_int_equal(e.status, GP_E_FAILED);
    assert_string_equal(e.message, "GpuCapacityExceeded: No partition of that size is free.");
}

static void test_status_map(void **state)
{
    (void)state;
    assert_int_equal(armerror_status_for_http(200), GP_OK);
    assert_int_equal(armerror_status_for_http(204), GP_OK);
    assert_int_equal(armerror_status_for_http(403), GP_E_AUTH);
    assert_int_equal(armerror_status_for_http(429), GP_E_BUSY);
    assert_int_equal(armerror_status_for_http(504), GP_E_TIMEOUT);
    assert_int_equal(armerror_status_for_http(500), GP_E_HTTP);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arm_error),
        cmocka_unit_test(test_arm_error_details),
        cmocka_unit_test(test_oauth_error),
        cmocka_unit_test(test_not_json),
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_operation_error),
        cmocka_unit_test(test_status_map),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
