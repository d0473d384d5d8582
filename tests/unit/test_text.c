/* SPDX-License-Identifier: MIT
 * tests/unit/test_text.c: string helpers, the sanitizer, the capped buffer and gp_error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "model/buf.h"
#include "model/status.h"
#include "model/text.h"

static void test_str_eq(void **state)
{
    (void)state;
    assert_true(str_eq(NULL, NULL));
    assert_false(str_eq("a", NULL));
    assert_true(str_eq("abc", "abc"));
    assert_true(str_ieq("partitionSizeMb", "PARTITIONSIZEMB"));
    assert_false(str_ieq("abc", "abd"));
}

static void test_sanitize_controls(void **state)
{
    (void)state;
    char out[64];
    /* An escape sequence that would paint the screen red and a bell. */
    assert_string_equal(text_sanitize(out, sizeof(out), "vm\x1b[31mred\a"), "vm?[31mred?");
    assert_string_equal(text_sanitize(out, sizeof(out), "tab\there\r\n"), "tab?here??");
    /* C1 CSI (U+009B encoded) is a control too. */
    assert_string_equal(text_sanitize(out, sizeof(out), "a\xc2\x9b" "2J"), "a?2J");
    /* Valid UTF-8 passes untouched. */
    assert_string_equal(text_sanitize(out, sizeof(out), "gpu \xe2\x80\x94 ok"), "gpu \xe2\x80\x94 ok");
}

static void test_sanitize_invalid_utf8(void **state)
{
    (void)state;
    char out[64];
    assert_string_equal(text_sanitize(out, sizeof(out), "\xff\xfe" "x"), "??x");
    assert_string_equal(text_sanitize(out, sizeof(out), "\xc0\xaf"), "??"); /* overlong '/' */
    assert_string_equal(text_sanitize(out, sizeof(out), "\xed\xa0\x80"), "???"); /* surrogate */
    /* Truncation never splits a character: "é" (2 bytes) does not fit in the last byte. */
    char small[4];
    assert_string_equal(text_sanitize(small, sizeof(small), "ab\xc3\xa9"), "ab");
}

static void test_buf_cap(void **state)
{
    (void)state;
    struct gp_buf b;
    gp_buf_init(&b, 10);
    assert_int_equal(gp_buf_append_str(&b, "hello"), GP_OK);
    assert_int_equal(gp_buf_printf(&b, "%d", 1234), GP_OK);
    assert_string_equal(gp_buf_str(&b), "hello1234");
    assert_int_equal(gp_buf_append_str(&b, "xx"), GP_E_TOO_LARGE);
    assert_int_equal(b.len, 0);
    assert_int_equal(gp_buf_append_str(&b, "x"), GP_E_TOO_LARGE); /* stays failed */
    gp_buf_reset(&b);
    assert_int_equal(gp_buf_append_str(&b, "ok"), GP_OK);
    size_t len;
    char *s = gp_buf_take(&b, &len);
    assert_string_equal(s, "ok");
    assert_int_equal(len, 2);
    free(s);
    gp_buf_cleanup(&b);
}

static void test_error_prefix(void **state)
{
    (void)state;
    struct gp_error err;
    gp_error_clear(&err);
    assert_int_equal(err.retry_after_ms, -1);
    assert_int_equal(gp_error_set(&err, GP_E_HTTP, "409 VmMustBeStopped: stop it first"),
                     GP_E_HTTP);
    gp_error_prefix(&err, "step %d/%d PATCH %s", 2, 3, "vm-017");
    assert_string_equal(err.message, "step 2/3 PATCH vm-017: 409 VmMustBeStopped: stop it first");
    assert_string_equal(gp_status_name(GP_E_NOMEM), "out of memory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_str_eq),          cmocka_unit_test(test_sanitize_controls),
        cmocka_unit_test(test_sanitize_invalid_utf8), cmocka_unit_test(test_buf_cap),
        cmocka_unit_test(test_error_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
