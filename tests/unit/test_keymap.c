/* SPDX-License-Identifier: MIT
 * tests/unit/test_keymap.c: key specs, default bindings, remapping and the generated help. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "model/keymap.h"
#include "model/settings.h"

static int parse(const char *spec)
{
    struct gp_error err;
    gp_error_clear(&err);
    int k = -1;
    assert_int_equal(keymap_parse_key(spec, &k, &err), GP_OK);
    return k;
}

static void test_parse_specs(void **state)
{
    (void)state;
    assert_int_equal(parse("j"), 'j');
    assert_int_equal(parse("G"), 'G');
    assert_int_equal(parse("?"), '?');
    assert_int_equal(parse("<Down>"), KEY_CODE_DOWN);
    assert_int_equal(parse("<pgdn>"), KEY_CODE_PGDN);
    assert_int_equal(parse("<PageDown>"), KEY_CODE_PGDN);
    assert_int_equal(parse("<Esc>"), 27);
    assert_int_equal(parse("<Enter>"), 13);
    assert_int_equal(parse("C-l"), 12);
    assert_int_equal(parse("<C-L>"), 12);
    assert_int_equal(parse("<F5>"), KEY_CODE_F5);
    assert_int_equal(parse("<Space>"), ' ');
    assert_int_equal(parse("\xc3\xa9"), 0xe9); /* é */
}

static void test_parse_errors_name_the_spec(void **state)
{
    (void)state;
    struct gp_error err;
    int k;
    gp_error_clear(&err);
    assert_int_equal(keymap_parse_key("<Dwn>", &k, &err), GP_E_INVALID);
    assert_non_null(strstr(err.message, "<Dwn>"));
    gp_error_clear(&err);
    assert_int_equal(keymap_parse_key("jj", &k, &err), GP_E_INVALID);
    assert_non_null(strstr(err.message, "\"jj\""));
    gp_error_clear(&err);
    assert_int_equal(keymap_parse_key("", &k, &err), GP_E_INVALID);
    gp_error_clear(&err);
    assert_int_equal(keymap_parse_key("\xff", &k, &err), GP_E_INVALID);
}

static void test_key_names_round_trip(void **state)
{
    (void)state;
    const char *specs[] = {"j", "<Down>", "C-l", "<PgDn>", "<Esc>", "<Enter>", "<Tab>",
                           "<F12>", "<Space>", "\xc3\xa9", "<S-Tab>"};
    for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
        char buf[KEYMAP_SPEC_MAX];
        assert_string_equal(keymap_key_name(parse(specs[i]), buf, sizeof(buf)), specs[i]);
    }
}

static void test_defaults(void **state)
{
    (void)state;
    struct keymap km;
    keymap_init(&km);
    /* Every default spec in the table parses: every action has a key. */
    for (int a = 0; a < KEYMAP_ACTION_COUNT; a++)
        assert_int_not_equal(km.keys[a][0], 0);
    assert_int_equal(keymap_lookup(&km, KM_LIST, 'j'), ACT_DOWN);
    assert_int_equal(keymap_lookup(&km, KM_LIST, KEY_CODE_DOWN), ACT_DOWN);
    assert_int_equal(keymap_lookup(&km, KM_LIST, KEY_CODE_CTRL('f')), ACT_PGDN);
    assert_int_equal(keymap_lookup(&km, KM_LIST, '/'), ACT_FILTER);
    assert_int_equal(keymap_lookup(&km, KM_LIST, '4'), ACT_SORT_4);
    assert_int_equal(keymap_lookup(&km, KM_GLOBAL, 'q'), ACT_QUIT);
    assert_int_equal(keymap_lookup(&km, KM_GLOBAL, 12), ACT_REDRAW);
    /* A list key is not live on the VM screen. */
    assert_int_equal(keymap_lookup(&km, KM_VM, '/'), ACT_NONE);
    assert_int_equal(keymap_lookup(&km, KM_VM, 'J'), ACT_JSON);
    assert_int_equal(keymap_lookup(&km, KM_LIST, 'x'), ACT_NONE);
    /* No key is bound twice where contexts overlap. */
    for (int a = 0; a < KEYMAP_ACTION_COUNT; a++)
        for (int b = a + 1; b < KEYMAP_ACTION_COUNT; b++) {
            enum keymap_context ca = keymap_action_context((enum keymap_action)a);
            enum keymap_context cb = keymap_action_context((enum keymap_action)b);
            if (ca != cb && ca != KM_GLOBAL && cb != KM_GLOBAL)
                continue;
            for (int i = 0; i < KEYMAP_MAX_KEYS; i++)
                for (int j = 0; j < KEYMAP_MAX_KEYS; j++)
                    if (km.keys[a][i])
                        assert_int_not_equal(km.keys[a][i], km.keys[b][j]);
        }
}

static void test_remap(void **state)
{
    (void)state;
    struct keymap km;
    struct gp_error err;
    keymap_init(&km);
    gp_error_clear(&err);
    /* Bind down to "n" (taken by notifications): the new binding wins. */
    assert_int_equal(keymap_bind(&km, "down", "n <Down>", &err), GP_OK);
    assert_int_equal(keymap_lookup(&km, KM_LIST, 'n'), ACT_DOWN);
    assert_int_equal(keymap_lookup(&km, KM_LIST, 'j'), ACT_NONE);
    char buf[64];
    assert_string_equal(keymap_action_keys(&km, ACT_NOTIFICATIONS, buf, sizeof(buf)), "");
    assert_string_equal(keymap_action_keys(&km, ACT_DOWN, buf, sizeof(buf)), "n <Down>");

    gp_error_clear(&err);
    assert_int_equal(keymap_bind(&km, "dwn", "j", &err), GP_E_INVALID);
    assert_string_equal(err.message, "unknown action \"dwn\"");
    gp_error_clear(&err);
    assert_int_equal(keymap_bind(&km, "up", "k <Upp>", &err), GP_E_INVALID);
    assert_non_null(strstr(err.message, "key \"<Upp>\" for \"up\""));
    /* Failure changed nothing. */
    assert_int_equal(keymap_lookup(&km, KM_LIST, 'k'), ACT_UP);
    gp_error_clear(&err);
    assert_int_equal(keymap_bind(&km, "up", "a b c d e", &err), GP_E_INVALID);
    gp_error_clear(&err);
    assert_int_equal(keymap_bind(&km, "up", "  ", &err), GP_E_INVALID);
}

struct help_acc {
    char text[8192];
    size_t len;
    int lines;
};

static void help_line(void *ctx, const char *text)
{
    struct help_acc *h = ctx;
    int w = snprintf(h->text + h->len, sizeof(h->text) - h->len, "%s\n", text);
    assert_true(w > 0 && (size_t)w < sizeof(h->text) - h->len);
    h->len += (size_t)w;
    h->lines++;
}

static void test_help_follows_bindings(void **state)
{
    (void)state;
    struct keymap km;
    struct gp_error err;
    keymap_init(&km);
    struct help_acc h = {.len = 0, .lines = 0};
    keymap_help(&km, help_line, &h);
    assert_non_null(strstr(h.text, "Everywhere:\n"));
    assert_non_null(strstr(h.text, "  <Down> j" "         " "Move down one line\n"));
    assert_non_null(strstr(h.text, "  /" "                " "Filter rows"));
    gp_error_clear(&err);
    assert_int_equal(keymap_bind(&km, "quit", "C-q", &err), GP_OK);
    h.len = 0;
    h.lines = 0;
    keymap_help(&km, help_line, &h);
    assert_non_null(strstr(h.text, "  C-q" "              " "Quit"));
}

static void set_key(struct settings_key *k, const char *action, const char *key, int line)
{
    memset(k, 0, sizeof(*k));
    snprintf(k->action, sizeof(k->action), "%s", action);
    snprintf(k->key, sizeof(k->key), "%s", key);
    snprintf(k->file, sizeof(k->file), "%s", "gpup.conf");
    k->line = line;
}

static void test_apply_settings(void **state)
{
    (void)state;
    struct keymap km;
    struct gp_error err;
    keymap_init(&km);
    struct settings_key keys[4];
    set_key(&keys[0], "down", "n", 10);
    set_key(&keys[1], "down", "<Down>", 11);
    set_key(&keys[2], "quit", "<Dwn>", 12);
    set_key(&keys[3], "jump", "x", 13);
    gp_error_clear(&err);
    assert_int_equal(keymap_apply(&km, keys, 4, &err), GP_E_CONFIG);
    /* The first problem in file order, with its place. */
    assert_string_equal(err.message,
                        "gpup.conf:12: key \"<Dwn>\" for \"quit\": unknown key name \"<Dwn>\"");
    /* The good entries were applied: both lines for down, quit kept its default. */
    char buf[64];
    assert_string_equal(keymap_action_keys(&km, ACT_DOWN, buf, sizeof(buf)), "n <Down>");
    assert_string_equal(keymap_action_keys(&km, ACT_QUIT, buf, sizeof(buf)), "q");

    keymap_init(&km);
    gp_error_clear(&err);
    assert_int_equal(keymap_apply(&km, keys + 3, 1, &err), GP_E_CONFIG);
    assert_string_equal(err.message, "gpup.conf:13: unknown action \"jump\"");
    gp_error_clear(&err);
    assert_int_equal(keymap_apply(&km, keys, 2, &err), GP_OK);
    assert_int_equal(keymap_lookup(&km, KM_LIST, 'n'), ACT_DOWN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_specs),
        cmocka_unit_test(test_parse_errors_name_the_spec),
        cmocka_unit_test(test_key_names_round_trip),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_remap),
        cmocka_unit_test(test_help_follows_bindings),
        cmocka_unit_test(test_apply_settings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
