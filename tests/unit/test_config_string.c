/* SPDX-License-Identifier: MIT
 * tests/unit/test_config_string.c: the config front end over text (settings_load_string):
 * the same walk as a file, messages "<string>:LINE: ...", and no @include or NUL bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "config/settings.h"
#include "model/settings.h"

struct fixture {
    struct settings *s;
    struct settings_warnings warn;
    struct gp_error err;
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    if (!fx)
        return -1;
    fx->s = settings_new();
    *state = fx;
    return fx->s ? 0 : -1;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    settings_free(fx->s);
    free(fx);
    return 0;
}

static enum gp_status load(struct fixture *fx, const char *text)
{
    memset(&fx->warn, 0, sizeof(fx->warn));
    gp_error_clear(&fx->err);
    return settings_load_string(fx->s, text, strlen(text), &fx->warn, &fx->err);
}

static void test_good_text(void **state)
{
    struct fixture *fx = *state;
    assert_int_equal(load(fx, "profile = \"lab\";\nprofiles = { lab = {\n"
                              "  subscription = \"00000000-0000-0000-0000-000000000000\"; }; };\n"
                              "ui = { refresh_seconds = 30; };\n"),
                     GP_OK);
    assert_int_equal(fx->s->n_profiles, 1);
    assert_string_equal(fx->s->active, "lab");
    assert_string_equal(fx->s->file, "");
    /* An unknown key is a warning that names the line. */
    assert_int_equal(load(fx, "\nbogus = 1;\n"), GP_OK);
    assert_int_equal(fx->warn.count, 1);
    assert_non_null(strstr(fx->warn.lines[0], "<string>:2: warning"));
}

static void test_errors_name_the_line(void **state)
{
    struct fixture *fx = *state;
    assert_int_equal(load(fx, "ui = { theme = \"dark\";\n  refresh_seconds = ;\n};\n"),
                     GP_E_CONFIG);
    assert_string_equal(fx->err.message, "<string>:2: syntax error");
    assert_int_equal(load(fx, "\n\nui = { refresh_seconds = 99999; };\n"), GP_E_CONFIG);
    assert_string_equal(fx->err.message,
                        "<string>:3: ui.refresh_seconds: must be between 0 (off) and 3600 seconds");
    assert_int_equal(load(fx, "ui = {};\n@include \"/etc/passwd\"\n"), GP_E_CONFIG);
    assert_string_equal(fx->err.message, "<string>:2: @include is not allowed here");
    assert_int_equal(load(fx, "@include \"/etc/passwd\"\n"), GP_E_CONFIG);
    assert_string_equal(fx->err.message, "<string>:1: @include is not allowed here");
    static const char nul[] = "ui = {};\0ui = {};\n";
    memset(&fx->warn, 0, sizeof(fx->warn));
    assert_int_equal(settings_load_string(fx->s, nul, sizeof(nul) - 1, &fx->warn, &fx->err),
                     GP_E_CONFIG);
    assert_string_equal(fx->err.message, "<string>: contains a NUL byte");
    /* Text need not be NUL-terminated: only len bytes are read. */
    assert_int_equal(settings_load_string(fx->s, "ui = {};garbage", 8, &fx->warn, &fx->err),
                     GP_OK);
    assert_int_equal(load(fx, ""), GP_OK);
    assert_int_equal(fx->s->n_profiles, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_good_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors_name_the_line, setup, teardown),
    };
    return cmocka_run_group_tests_name("config_string", tests, NULL, NULL);
}
