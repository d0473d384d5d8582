/* SPDX-License-Identifier: MIT
 * tests/unit/test_token.c: token, device-code and OAuth error answers as the login endpoints,
 * the Arc identity endpoint and the Azure CLI give them; the refresh decision; form encoding;
 * the Basic realm challenge; the cache JSON round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/token.h"

#define S(lit) (lit), (sizeof(lit) - 1)

static void test_v2_answer(void **state)
{
    (void)state;
    struct token t = {0};
    struct gp_error err;
    gp_error_clear(&err);
    assert_int_equal(token_parse_v2(S("{\"token_type\":\"Bearer\",\"expires_in\":3599,"
                                      "\"ext_expires_in\":3599,\"access_token\":\"eyJ0.a-b_c\","
                                      "\"refresh_token\":\"0.AR\"}"),
                                    1000, &t, &err),
                     GP_OK);
    assert_string_equal(token_secret_str(&t.access), "eyJ0.a-b_c");
    assert_int_equal(t.access.len, 10);
    assert_string_equal(token_secret_str(&t.refresh), "0.AR");
    assert_int_equal(t.expires_on, 4599);
    assert_string_equal(t.token_type, "Bearer");
    token_clear(&t);
    assert_false(gp_secret_is_set(&t.access));

    /* v1-style strings for numbers are fine. */
    assert_int_equal(token_parse_v2(S("{\"token_type\":\"Bearer\",\"expires_in\":\"60\","
                                      "\"access_token\":\"x\"}"),
                                    10, &t, &err),
                     GP_OK);
    assert_int_equal(t.expires_on, 70);
    assert_false(gp_secret_is_set(&t.refresh));
    token_clear(&t);
}

static void test_v2_missing_fields_are_named(void **state)
{
    (void)state;
    struct token t = {0};
    struct gp_error err;
    assert_int_equal(token_parse_v2(S("{\"token_type\":\"Bearer\",\"expires_in\":5}"), 0, &t, &err),
                     GP_E_PARSE);
    assert_string_equal(err.message, "token answer: missing access_token");
    assert_int_equal(token_parse_v2(S("{\"access_token\":\"a\"}"), 0, &t, &err), GP_E_PARSE);
    assert_string_equal(err.message, "token answer: missing expires_in");
    assert_int_equal(token_parse_v2(S("[1]"), 0, &t, &err), GP_E_PARSE);
    assert_int_equal(token_parse_v2(S("{nope"), 0, &t, &err), GP_E_PARSE);
    assert_int_equal(token_parse_v2(S("{\"access_token\":\"a\",\"expires_in\":5,"
                                      "\"token_type\":\"pop\"}"),
                                    0, &t, &err),
                     GP_E_AUTH);
    assert_false(gp_secret_is_set(&t.access));
}

static void test_managed_identity_answer(void **state)
{
    (void)state;
    struct token t = {0};
    struct gp_error err;
    assert_int_equal(
        token_parse_managed_identity(S("{\"access_token\":\"mi-tok\",\"expires_on\":\"1795600000\","
                                       "\"resource\":\"https://management.azure.com\","
                                       "\"token_type\":\"Bearer\"}"),
                                     0, &t, &err),
        GP_OK);
    assert_string_equal(token_secret_str(&t.access), "mi-tok");
    assert_int_equal(t.expires_on, 1795600000);
    assert_int_equal(t.source, TOKEN_SOURCE_MANAGED_IDENTITY);
    assert_int_equal(token_parse_managed_identity(
                         S("{\"access_token\":\"m2\",\"expires_on\":1795600001}"), 0, &t, &err),
                     GP_OK);
    assert_int_equal(t.expires_on, 1795600001);
    assert_string_equal(token_secret_str(&t.access), "m2");
    assert_int_equal(token_parse_managed_identity(S("{\"access_token\":\"m3\"}"), 0, &t, &err),
                     GP_E_PARSE);
    assert_string_equal(err.message, "managed identity answer: missing expires_on");
    assert_string_equal(token_secret_str(&t.access), "m2"); /* a failed parse leaves out alone */
    token_clear(&t);
}

static void test_az_cli_output(void **state)
{
    (void)state;
    struct token t = {0};
    struct gp_error err;
    assert_int_equal(
        token_parse_az_cli(S("{\n  \"accessToken\": \"az-tok\",\n  \"expiresOn\": \"2026-11-25 "
                             "10:00:00.000000\",\n  \"expires_on\": 1795600000,\n  "
                             "\"subscription\": \"sub-1\",\n  \"tenant\": \"ten-1\",\n  "
                             "\"tokenType\": \"Bearer\"\n}"),
                           &t, &err),
        GP_OK);
    assert_string_equal(token_secret_str(&t.access), "az-tok");
    assert_int_equal(t.expires_on, 1795600000);
    assert_string_equal(t.subscription, "sub-1");
    assert_string_equal(t.tenant, "ten-1");
    assert_int_equal(t.source, TOKEN_SOURCE_AZ_CLI);

    /* Older az: only expiresOn, local time. */
    setenv("TZ", "UTC", 1);
    tzset();
    assert_int_equal(token_parse_az_cli(S("{\"accessToken\":\"old\",\"expiresOn\":\"2026-11-25 "
                                          "10:00:00.000000\",\"tokenType\":\"Bearer\"}"),
                                        &t, &err),
                     GP_OK);
    assert_int_equal(t.expires_on, 1795600800);
    assert_int_equal(
        token_parse_az_cli(S("{\"accessToken\":\"old\",\"expiresOn\":\"soon\"}"), &t, &err),
        GP_E_PARSE);
    assert_string_equal(err.message, "az account get-access-token output: missing expires_on");
    assert_int_equal(token_parse_az_cli(S("{\"expires_on\":5}"), &t, &err), GP_E_PARSE);
    assert_string_equal(err.message, "az account get-access-token output: missing accessToken");
    token_clear(&t);
}

static void test_ready_token_text(void **state)
{
    (void)state;
    struct token t = {0};
    struct gp_error err;
    assert_int_equal(token_from_text(S("  abc.def\n"), TOKEN_SOURCE_STATIC, &t, &err), GP_OK);
    assert_string_equal(token_secret_str(&t.access), "abc.def");
    assert_int_equal(t.expires_on, 0);
    assert_false(token_needs_refresh(&t, 1 << 30, TOKEN_REFRESH_MARGIN_S));
    assert_int_equal(token_from_text(S(" \n"), TOKEN_SOURCE_STATIC, &t, &err), GP_E_INVALID);
    assert_int_equal(token_from_text(S("a b"), TOKEN_SOURCE_STATIC, &t, &err), GP_E_INVALID);
    assert_int_equal(token_from_text(S("a\x1b[2Jb"), TOKEN_SOURCE_STATIC, &t, &err), GP_E_INVALID);
    token_clear(&t);
}

static void test_device_code_answer(void **state)
{
    (void)state;
    struct token_device_code dc = {0};
    struct gp_error err;
    assert_int_equal(token_parse_device_code(
                         S("{\"user_code\":\"F7QK2LMNP\",\"device_code\":\"DAQABAAEAAAD\","
                           "\"verification_uri\":\"https://microsoft.com/devicelogin\","
                           "\"expires_in\":900,\"interval\":5,\"message\":\"To sign in, use a "
                           "web browser to open the page https://microsoft.com/devicelogin and "
                           "enter the code F7QK2LMNP to authenticate.\\u001b[2J\"}"),
                         &dc, &err),
                     GP_OK);
    assert_string_equal(token_secret_str(&dc.device_code), "DAQABAAEAAAD");
    assert_string_equal(dc.user_code, "F7QK2LMNP");
    assert_int_equal(dc.expires_in, 900);
    assert_int_equal(dc.interval, 5);
    assert_non_null(strstr(dc.message, "enter the code F7QK2LMNP"));
    assert_null(strchr(dc.message, '\x1b')); /* sanitized for the screen */
    token_device_code_clear(&dc);

    /* No message, no interval: we compose one and poll every 5 s. */
    assert_int_equal(token_parse_device_code(S("{\"user_code\":\"U\",\"device_code\":\"D\","
                                               "\"verification_uri\":\"https://x/dl\","
                                               "\"expires_in\":\"900\"}"),
                                             &dc, &err),
                     GP_OK);
    assert_int_equal(dc.interval, 5);
    assert_string_equal(dc.message, "To sign in, use a web browser to open the page https://x/dl "
                                    "and enter the code U to authenticate.");
    token_device_code_clear(&dc);
    assert_int_equal(
        token_parse_device_code(S("{\"user_code\":\"U\",\"expires_in\":9}"), &dc, &err),
        GP_E_PARSE);
    assert_string_equal(err.message, "device code answer: missing device_code");
}

static void test_oauth_error_is_one_clear_line(void **state)
{
    (void)state;
    struct gp_error err;
    gp_error_clear(&err);
    enum token_oauth_error k = token_parse_oauth_error(
        S("{\"error\":\"invalid_client\",\"error_description\":\"AADSTS7000215: Invalid client "
          "secret provided. Ensure the secret being sent in the request is the client secret "
          "value.\\r\\nTrace ID: 0a1b\\r\\nCorrelation ID: c0de\\r\\nTimestamp: 2026-11-25 "
          "09:00:00Z\",\"error_codes\":[7000215],\"timestamp\":\"2026-11-25 09:00:00Z\","
          "\"trace_id\":\"0a1b\",\"correlation_id\":\"c0de\"}"),
        401, "service principal", &err);
    assert_int_equal(k, TOKEN_OAUTH_INVALID_CLIENT);
    assert_int_equal(err.status, GP_E_AUTH);
    assert_int_equal(err.http_status, 401);
    assert_string_equal(err.code, "invalid_client");
    assert_string_equal(err.request_id, "0a1b");
    assert_string_equal(err.correlation_id, "c0de");
    assert_string_equal(err.message,
                        "service principal: AADSTS7000215: Invalid client secret provided. "
                        "Ensure the secret being sent in the request is the client secret "
                        "value. (invalid_client, trace id 0a1b)");

    assert_int_equal(token_parse_oauth_error(S("{\"error\":\"authorization_pending\"}"), 400,
                                             "device code", &err),
                     TOKEN_OAUTH_AUTHORIZATION_PENDING);
    assert_string_equal(err.message, "device code: authorization_pending (authorization_pending)");
    assert_int_equal(token_parse_oauth_error(S("{\"error\":\"slow_down\"}"), 400, NULL, &err),
                     TOKEN_OAUTH_SLOW_DOWN);
    assert_int_equal(token_parse_oauth_error(S("{\"error\":\"expired_token\"}"), 400, NULL, &err),
                     TOKEN_OAUTH_EXPIRED_TOKEN);
    assert_int_equal(token_parse_oauth_error(S("{\"error\":\"weird\"}"), 400, NULL, &err),
                     TOKEN_OAUTH_OTHER);
    /* Not an OAuth body: the body itself is not shown. */
    assert_int_equal(token_parse_oauth_error(S("<html>client_secret=hunter2</html>"), 502,
                                             "service principal", &err),
                     TOKEN_OAUTH_OTHER);
    assert_string_equal(err.message, "service principal: the login endpoint answered HTTP 502");
}

static void test_refresh_decision(void **state)
{
    (void)state;
    struct token t = {0};
    assert_true(token_needs_refresh(&t, 0, 300)); /* nothing yet */
    assert_int_equal(gp_secret_set(&t.access, S("x")), GP_OK);
    t.expires_on = 10000;
    assert_false(token_needs_refresh(&t, 9699, 300));
    assert_true(token_needs_refresh(&t, 9700, 300));
    assert_false(token_expired(&t, 9999));
    assert_true(token_expired(&t, 10000));
    token_clear(&t);
}

static void test_form_encoding(void **state)
{
    (void)state;
    struct gp_buf b;
    gp_buf_init(&b, 1024);
    assert_int_equal(token_form_add(&b, "grant_type", S("client_credentials")), GP_OK);
    assert_int_equal(token_form_add(&b, "scope", S("https://management.azure.com/.default")),
                     GP_OK);
    assert_int_equal(token_form_add(&b, "client_secret", S("a+b&c=d e~")), GP_OK);
    assert_string_equal(gp_buf_str(&b),
                        "grant_type=client_credentials&scope=https%3A%2F%2Fmanagement.azure.com%2F"
                        ".default&client_secret=a%2Bb%26c%3Dd%20e~");
    gp_buf_cleanup(&b);
}

static void test_basic_realm(void **state)
{
    (void)state;
    char path[256];
    struct gp_error err;
    assert_int_equal(token_parse_basic_realm("Basic realm=/var/opt/azcmagent/tokens/a.key", path,
                                             sizeof(path), &err),
                     GP_OK);
    assert_string_equal(path, "/var/opt/azcmagent/tokens/a.key");
    assert_int_equal(token_parse_basic_realm("basic realm=\"/t/b.key\"", path, sizeof(path), &err),
                     GP_OK);
    assert_string_equal(path, "/t/b.key");
    assert_int_equal(token_parse_basic_realm("Bearer realm=x", path, sizeof(path), &err),
                     GP_E_AUTH);
    assert_int_equal(token_parse_basic_realm(NULL, path, sizeof(path), &err), GP_E_AUTH);
    assert_int_equal(token_parse_basic_realm("Basic realm=", path, sizeof(path), &err), GP_E_AUTH);
}

static void test_cache_round_trip(void **state)
{
    (void)state;
    struct token t = {.source = TOKEN_SOURCE_DEVICE_CODE, .expires_on = 1795600000};
    assert_int_equal(gp_secret_set(&t.access, S("acc\"ess")), GP_OK);
    assert_int_equal(gp_secret_set(&t.refresh, S("ref")), GP_OK);
    memcpy(t.tenant, "contoso", 8);
    char *json = NULL;
    size_t len = 0;
    struct gp_error err;
    assert_int_equal(token_cache_to_json(&t, "cid", &json, &len, &err), GP_OK);
    struct token back = {0};
    char cid[64];
    assert_int_equal(token_cache_from_json(json, len, &back, cid, sizeof(cid), &err), GP_OK);
    assert_string_equal(token_secret_str(&back.access), "acc\"ess");
    assert_string_equal(token_secret_str(&back.refresh), "ref");
    assert_int_equal(back.expires_on, 1795600000);
    assert_int_equal(back.source, TOKEN_SOURCE_DEVICE_CODE);
    assert_string_equal(back.tenant, "contoso");
    assert_string_equal(cid, "cid");
    token_wipe_free(json, len);
    token_clear(&back);
    token_clear(&t);
    assert_int_equal(token_cache_from_json(S("{\"source\":\"x\"}"), &back, NULL, 0, &err),
                     GP_E_PARSE);
}

/* Expiries no real token has (fuzz: a 4.6e15 s expires_on came back from the cache file as
 * another number): past year 9999 one is refused, and what is kept survives the cache round
 * trip exactly. */
static void test_absurd_expiries(void **state)
{
    (void)state;
    struct token t = {0};
    struct gp_error err;
    assert_int_equal(token_parse_managed_identity(
                         S("{\"access_token\":\"m\",\"expires_on\":\"004638230413166099\"}"),
                         1000, &t, &err),
                     GP_E_PARSE);
    assert_string_equal(err.message,
                        "managed identity answer: expires_on is not a time up to year 9999");
    assert_int_equal(token_parse_az_cli(S("{\"accessToken\":\"a\",\"tokenType\":\"Bearer\","
                                          "\"expires_on\":4638230413166099}"),
                                        &t, &err),
                     GP_E_PARSE);
    assert_string_equal(err.message, "az account get-access-token output: expires_on is not a "
                                     "time up to year 9999");
    assert_int_equal(token_parse_az_cli(S("{\"accessToken\":\"a\",\"tokenType\":\"Bearer\","
                                          "\"expires_on\":253402300799}"),
                                        &t, &err),
                     GP_OK);
    char *json = NULL;
    size_t len = 0;
    assert_int_equal(token_cache_to_json(&t, "cid", &json, &len, &err), GP_OK);
    struct token back = {0};
    assert_int_equal(token_cache_from_json(json, len, &back, NULL, 0, &err), GP_OK);
    assert_int_equal(back.expires_on, 253402300799);
    token_wipe_free(json, len);
    token_clear(&back);
    token_clear(&t);
    assert_int_equal(token_cache_from_json(S("{\"source\":\"device-code\",\"access_token\":\"a\","
                                             "\"refresh_token\":\"r\",\"expires_on\":1e16}"),
                                           &back, NULL, 0, &err),
                     GP_E_PARSE);
}

static void test_secret_equality(void **state)
{
    (void)state;
    struct gp_secret a = {0}, b = {0};
    assert_true(token_secret_equal(&a, &b));
    assert_int_equal(gp_secret_set(&a, S("abc")), GP_OK);
    assert_false(token_secret_equal(&a, &b));
    assert_int_equal(gp_secret_set(&b, S("abd")), GP_OK);
    assert_false(token_secret_equal(&a, &b));
    assert_int_equal(gp_secret_set(&b, S("abc")), GP_OK);
    assert_true(token_secret_equal(&a, &b));
    gp_secret_clear(&a);
    gp_secret_clear(&b);
    assert_int_equal(a.len, 0);
}

/* Every prefix of valid answers: no crash, no leak (ASan), never a half-filled token. */
static void test_truncated_answers(void **state)
{
    (void)state;
    static const char *const bodies[] = {
        "{\"token_type\":\"Bearer\",\"expires_in\":3599,\"access_token\":\"eyJ0\","
        "\"refresh_token\":\"0.AR\"}",
        "{\"user_code\":\"U\",\"device_code\":\"D\",\"verification_uri\":\"https://x\","
        "\"expires_in\":900,\"interval\":5,\"message\":\"m\"}",
        "{\"error\":\"invalid_client\",\"error_description\":\"AADSTS1: x\\r\\ny\","
        "\"trace_id\":\"t\",\"correlation_id\":\"c\"}",
        "{\"source\":\"device-code\",\"access_token\":\"a\",\"refresh_token\":\"r\","
        "\"expires_on\":5,\"tenant\":\"t\",\"client_id\":\"c\"}",
    };
    for (size_t b = 0; b < sizeof(bodies) / sizeof(bodies[0]); b++) {
        size_t n = strlen(bodies[b]);
        for (size_t len = 0; len <= n; len++) {
            struct token t = {0};
            struct token_device_code dc = {0};
            struct gp_error err;
            enum gp_status st = token_parse_v2(bodies[b], len, 0, &t, &err);
            assert_true(st == GP_OK || !gp_secret_is_set(&t.access));
            token_clear(&t);
            st = token_parse_managed_identity(bodies[b], len, 0, &t, &err);
            (void)st;
            token_clear(&t);
            st = token_parse_az_cli(bodies[b], len, &t, &err);
            (void)st;
            token_clear(&t);
            st = token_parse_device_code(bodies[b], len, &dc, &err);
            (void)st;
            token_device_code_clear(&dc);
            (void)token_parse_oauth_error(bodies[b], len, 400, "x", &err);
            char cid[16];
            st = token_cache_from_json(bodies[b], len, &t, cid, sizeof(cid), &err);
            (void)st;
            token_clear(&t);
            char realm[64];
            char hdr[128];
            snprintf(hdr, sizeof(hdr), "Basic realm=\"%.*s", (int)(len < 60 ? len : 60), bodies[b]);
            st = token_parse_basic_realm(hdr, realm, sizeof(realm), &err);
            (void)st;
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v2_answer),
        cmocka_unit_test(test_v2_missing_fields_are_named),
        cmocka_unit_test(test_managed_identity_answer),
        cmocka_unit_test(test_az_cli_output),
        cmocka_unit_test(test_ready_token_text),
        cmocka_unit_test(test_device_code_answer),
        cmocka_unit_test(test_oauth_error_is_one_clear_line),
        cmocka_unit_test(test_refresh_decision),
        cmocka_unit_test(test_form_encoding),
        cmocka_unit_test(test_basic_realm),
        cmocka_unit_test(test_cache_round_trip),
        cmocka_unit_test(test_absurd_expiries),
        cmocka_unit_test(test_secret_equality),
        cmocka_unit_test(test_truncated_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
