/* SPDX-License-Identifier: MIT
 * tests/unit/test_secret.c: secrets are copied, compared, trimmed, masked and wiped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "model/secret.h"

static void test_secret_set_and_clear(void **state)
{
    (void)state;
    struct gp_secret s;
    gp_secret_init(&s);
    assert_false(gp_secret_is_set(&s));
    assert_string_equal((const char *)gp_secret_bytes(&s), "");
    assert_int_equal(gp_secret_set(&s, "tok-123", 7), GP_OK);
    assert_true(gp_secret_is_set(&s));
    assert_int_equal(gp_secret_len(&s), 7);
    assert_memory_equal(gp_secret_bytes(&s), "tok-123", 8); /* NUL follows the bytes */
    assert_int_equal(gp_secret_set(&s, "other", 5), GP_OK); /* replacing wipes the old one */
    assert_int_equal(gp_secret_len(&s), 5);
    gp_secret_clear(&s);
    assert_false(gp_secret_is_set(&s));
    assert_null(s.bytes);
    gp_secret_clear(&s); /* twice is fine */
    gp_secret_clear(NULL);
}

static void test_secret_take_wipes_source(void **state)
{
    (void)state;
    struct gp_secret s;
    gp_secret_init(&s);
    char buf[] = "bearer-sentinel\n";
    assert_int_equal(gp_secret_take(&s, buf, strlen(buf)), GP_OK);
    for (size_t i = 0; i < sizeof(buf) - 1; i++)
        assert_int_equal(buf[i], 0);
    gp_secret_trim(&s);
    assert_int_equal(gp_secret_len(&s), 15);
    assert_true(gp_secret_equal(&s, "bearer-sentinel", 15));
    gp_secret_clear(&s);
}

static void test_secret_equal(void **state)
{
    (void)state;
    struct gp_secret s;
    gp_secret_init(&s);
    assert_true(gp_secret_equal(&s, "", 0));
    assert_false(gp_secret_equal(&s, "x", 1));
    assert_int_equal(gp_secret_set(&s, "abcdef", 6), GP_OK);
    assert_true(gp_secret_equal(&s, "abcdef", 6));
    assert_false(gp_secret_equal(&s, "abcdeg", 6));
    assert_false(gp_secret_equal(&s, "abcde", 5));
    assert_false(gp_secret_equal(&s, "abcdefabcdef", 12)); /* cyclic walk must not match */
    gp_secret_clear(&s);
}

static void test_secret_mask_and_cap(void **state)
{
    (void)state;
    struct gp_secret s;
    char out[64];
    gp_secret_init(&s);
    assert_string_equal(gp_secret_mask(out, sizeof(out), &s), "(not set)");
    assert_int_equal(gp_secret_set(&s, "SENTINEL-TOKEN", 14), GP_OK);
    assert_string_equal(gp_secret_mask(out, sizeof(out), &s), "******** (14 bytes)");
    assert_null(strstr(out, "SENTINEL"));
    static char big[GP_SECRET_MAX + 1];
    assert_int_equal(gp_secret_set(&s, big, sizeof(big)), GP_E_TOO_LARGE);
    assert_false(gp_secret_is_set(&s));
    gp_secret_clear(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_secret_set_and_clear),
        cmocka_unit_test(test_secret_take_wipes_source),
        cmocka_unit_test(test_secret_equal),
        cmocka_unit_test(test_secret_mask_and_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
