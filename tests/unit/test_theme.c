/* SPDX-License-Identifier: MIT
 * tests/unit/test_theme.c: the role table, colour and style syntax, colour downgrade, the
 * shipped themes and theme files with their FILE:LINE messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/theme.h"
#include "model/text.h"
#include "model/theme.h"

static void test_roles(void **state)
{
    (void)state;
    enum theme_role r;
    assert_int_equal(THEME_ROLE_COUNT, 18);
    for (unsigned i = 0; i < THEME_ROLE_COUNT; i++) {
        assert_true(theme_role_parse(theme_role_name((enum theme_role)i), &r));
        assert_int_equal(r, i);
        assert_string_not_equal(theme_role_about((enum theme_role)i), "?");
    }
    assert_string_equal(theme_role_name(THEME_SELECTION), "selection");
    assert_false(theme_role_parse("colour", &r));
    assert_string_equal(theme_role_name(THEME_ROLE_COUNT), "?");
}

static void test_color_parse(void **state)
{
    (void)state;
    int32_t c;
    struct gp_error err;
    gp_error_clear(&err);
    assert_int_equal(theme_color_parse("black", &c, &err), GP_OK);
    assert_int_equal(c, 0);
    assert_int_equal(theme_color_parse("white", &c, &err), GP_OK);
    assert_int_equal(c, 7);
    assert_int_equal(theme_color_parse("bright-red", &c, &err), GP_OK);
    assert_int_equal(c, 9);
    assert_int_equal(theme_color_parse("brightcyan", &c, &err), GP_OK);
    assert_int_equal(c, 14);
    assert_int_equal(theme_color_parse("bright_white", &c, &err), GP_OK);
    assert_int_equal(c, 15);
    assert_int_equal(theme_color_parse("grey", &c, &err), GP_OK);
    assert_int_equal(c, 8);
    assert_int_equal(theme_color_parse("default", &c, &err), GP_OK);
    assert_int_equal(c, THEME_COLOR_DEFAULT);
    assert_int_equal(theme_color_parse("208", &c, &err), GP_OK);
    assert_int_equal(c, 208);
    assert_int_equal(theme_color_parse("0", &c, &err), GP_OK);
    assert_int_equal(c, 0);
    assert_int_equal(theme_color_parse("#FF8800", &c, &err), GP_OK);
    assert_int_equal(c, THEME_COLOR_RGB | 0xff8800);
    assert_true(THEME_COLOR_IS_RGB(c));
    assert_int_equal(theme_color_parse("#000000", &c, &err), GP_OK);
    assert_true(THEME_COLOR_IS_RGB(c));

    static const char *const bad[] = {"256", "-1", "#ff880", "#gg0000", "blu", "bright-",
                                      "brightest-red", "", "1234"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(theme_color_parse(bad[i], &c, &err), GP_E_CONFIG);
    assert_int_equal(theme_color_parse("blu", &c, &err), GP_E_CONFIG);
    assert_string_equal(err.message, "unknown colour \"blu\" (use black..white, "
                                     "bright-black..bright-white, default, 0-255 or #rrggbb)");
}

static void assert_style(const char *spec, const char *canonical)
{
    struct theme_style s;
    struct gp_error err;
    char out[64];
    gp_error_clear(&err);
    if (theme_style_parse(spec, &s, &err) != GP_OK)
        fail_msg("%s: %s", spec, err.message);
    assert_string_equal(theme_style_format(&s, out, sizeof(out)), canonical);
}

static void assert_bad_style(const char *spec, const char *msg)
{
    struct theme_style s = {1, 2, 3};
    struct gp_error err;
    gp_error_clear(&err);
    assert_int_equal(theme_style_parse(spec, &s, &err), GP_E_CONFIG);
    assert_string_equal(err.message, msg);
    assert_int_equal(s.fg, 1); /* untouched on error */
}

static void test_style_parse(void **state)
{
    (void)state;
    assert_style("bold bright-white on blue", "bold bright-white on blue");
    assert_style("  on blue  bright-white\tbold ", "bold bright-white on blue");
    assert_style("reverse", "reverse");
    assert_style("none", "none");
    assert_style("default on default", "none");
    assert_style("on 236", "default on 236");
    assert_style("underline dim #1C1c1c on 7", "underline dim #1c1c1c on white");
    assert_style("bold underline reverse dim", "bold underline reverse dim");
    struct theme_style s;
    struct gp_error err;
    assert_int_equal(theme_style_parse("bold 208 on #102030", &s, &err), GP_OK);
    assert_int_equal(s.fg, 208);
    assert_int_equal(s.bg, THEME_COLOR_RGB | 0x102030);
    assert_int_equal(s.attrs, THEME_ATTR_BOLD);

    assert_bad_style("", "empty style (write \"none\" for no colour)");
    assert_bad_style("white blue", "two foreground colours in style (write \"FG on BG\")");
    assert_bad_style("white bolt",
                     "unknown word \"bolt\" in style (attributes: bold, underline, reverse, dim)");
    assert_bad_style("white on", "\"on\" without a background colour");
    assert_bad_style("on red on blue", "\"on\" given twice in style");
    assert_bad_style("none bold", "\"none\" must stand alone");
    assert_bad_style("on purple", "unknown colour \"purple\" (use black..white, "
                                  "bright-black..bright-white, default, 0-255 or #rrggbb)");
}

static void test_color_index(void **state)
{
    (void)state;
    assert_int_equal(theme_color_index(THEME_COLOR_DEFAULT, 256), -1);
    assert_int_equal(theme_color_index(5, 0), -1); /* no colours */
    assert_int_equal(theme_color_index(5, 8), 5);
    assert_int_equal(theme_color_index(208, 256), 208);
    assert_int_equal(theme_color_index(THEME_COLOR_RGB | 0xff0000, 256), 196);
    assert_int_equal(theme_color_index(THEME_COLOR_RGB | 0xff8700, 256), 208);
    assert_int_equal(theme_color_index(THEME_COLOR_RGB | 0x1c1c1c, 256), 234);
    assert_int_equal(theme_color_index(THEME_COLOR_RGB | 0xff0000, 16), 9);
    assert_int_equal(theme_color_index(THEME_COLOR_RGB | 0xff0000, 8), 1);
    assert_int_equal(theme_color_index(208, 16), 3);     /* ff8700 -> yellow (cdcd00) */
    assert_int_equal(theme_color_index(12, 8), 4);       /* bright-blue -> blue */
    assert_int_equal(theme_color_index(8, 8), 7);        /* grey stays grey, not yellow */
    assert_int_equal(theme_color_index(244, 8), 7);
    assert_int_equal(theme_color_index(244, 16), 8);
    assert_int_equal(theme_color_index(234, 16), 0);
    assert_int_equal(theme_color_index(THEME_COLOR_RGB | 0x303030, 8), 0);
    assert_int_equal(theme_color_index(THEME_COLOR_RGB | 0x000000, 8), 0);
    assert_int_equal(theme_color_index(231, 16), 15);    /* ffffff */
}

static void test_search_dirs(void **state)
{
    (void)state;
    char dirs[3][SETTINGS_PATH_MAX];
    const char *env[] = {"HOME=/home/op", NULL};
    assert_int_equal(theme_search_dirs(env, "/usr/share/gpup/themes", "/src/themes", dirs), 3);
    assert_string_equal(dirs[0], "/home/op/.config/gpup/themes");
    assert_string_equal(dirs[1], "/usr/share/gpup/themes");
    assert_string_equal(dirs[2], "/src/themes");
    const char *xdg[] = {"HOME=/home/op", "XDG_CONFIG_HOME=/xdg", NULL};
    assert_int_equal(theme_search_dirs(xdg, NULL, "", dirs), 1);
    assert_string_equal(dirs[0], "/xdg/gpup/themes");
    assert_int_equal(theme_search_dirs(NULL, NULL, "/s", dirs), 1);
    assert_string_equal(dirs[0], "/s");
}

static const char *srcdir(void)
{
    const char *d = getenv("GPUP_SRCDIR");
    return d && *d ? d : ".";
}

static void test_shipped_themes(void **state)
{
    (void)state;
    static const char *const names[] = {"dark", "light", "high-contrast", "monochrome"};
    char themes[1024];
    snprintf(themes, sizeof(themes), "%s/themes", srcdir());
    const char *env[] = {"HOME=/nonexistent-home", NULL};
    struct theme_search search = {.env = env, .install_dir = NULL, .source_dir = themes};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        struct theme t;
        struct settings_warnings warn = {.count = 0};
        struct gp_error err;
        gp_error_clear(&err);
        if (theme_load(&t, names[i], &search, &warn, &err) != GP_OK)
            fail_msg("%s: %s", names[i], err.message);
        assert_int_equal(warn.count, 0);
        assert_string_equal(t.name, names[i]);
        assert_int_equal(t.set, (1u << THEME_ROLE_COUNT) - 1); /* every role is named */
        if (str_eq(names[i], "monochrome"))
            for (unsigned r = 0; r < THEME_ROLE_COUNT; r++) {
                assert_int_equal(t.roles[r].fg, THEME_COLOR_DEFAULT);
                assert_int_equal(t.roles[r].bg, THEME_COLOR_DEFAULT);
            }
        if (str_eq(names[i], "dark")) {
            struct theme builtin;
            theme_init_default(&builtin);
            for (unsigned r = 0; r < THEME_ROLE_COUNT; r++) {
                char a[64], b[64];
                assert_string_equal(theme_style_format(&t.roles[r], a, sizeof(a)),
                                    theme_style_format(&builtin.roles[r], b, sizeof(b)));
            }
        }
    }
}

struct tmp {
    char dir[64];
};

static int tmp_setup(void **state)
{
    struct tmp *t = calloc(1, sizeof(*t));
    if (!t)
        return -1;
    snprintf(t->dir, sizeof(t->dir), "/tmp/gpup-theme-XXXXXX");
    if (!mkdtemp(t->dir))
        return -1;
    *state = t;
    return 0;
}

static int tmp_teardown(void **state)
{
    struct tmp *t = *state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
    int rc = system(cmd);
    free(t);
    return rc == 0 ? 0 : -1;
}

static void put(const char *dir, const char *name, const char *text, char *path, size_t n)
{
    snprintf(path, n, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_true(fputs(text, f) >= 0);
    assert_int_equal(fclose(f), 0);
}

static void test_theme_file_messages(void **state)
{
    struct tmp *tp = *state;
    char path[256], want[512];
    struct theme t;
    struct settings_warnings warn = {.count = 0};
    struct gp_error err;
    gp_error_clear(&err);

    put(tp->dir, "mine.theme",
        "# mine\n"
        "title = \"bold white on blue\";\n"
        "colour = \"red\";\n"
        "selection = { fg = \"black\"; bg = 45; attrs = [\"bold\", \"underline\"]; };\n"
        "gpu = { fg = \"#ff8800\"; blink = true; };\n",
        path, sizeof(path));
    assert_int_equal(theme_load_file(&t, path, NULL, &warn, &err), GP_OK);
    assert_string_equal(t.name, "mine");
    assert_int_equal(warn.count, 2);
    snprintf(want, sizeof(want), "%s:3: warning: unknown role \"colour\" (ignored)", path);
    assert_string_equal(warn.lines[0], want);
    snprintf(want, sizeof(want),
             "%s:5: warning: unknown key \"blink\" in role \"gpu\" (ignored)", path);
    assert_string_equal(warn.lines[1], want);
    char s[64];
    assert_string_equal(theme_style_format(&t.roles[THEME_TITLE], s, sizeof(s)),
                        "bold white on blue");
    assert_string_equal(theme_style_format(&t.roles[THEME_SELECTION], s, sizeof(s)),
                        "bold underline black on 45");
    assert_string_equal(theme_style_format(&t.roles[THEME_GPU], s, sizeof(s)), "#ff8800");
    /* Roles the file does not name keep the built-in style. */
    assert_string_equal(theme_style_format(&t.roles[THEME_RUNNING], s, sizeof(s)),
                        "bright-green");
    assert_int_equal(t.set, (1u << THEME_TITLE) | (1u << THEME_SELECTION) | (1u << THEME_GPU));

    /* A bad colour: FILE:LINE: role: message, and *out stays as it was. */
    put(tp->dir, "bad.theme", "title = \"bold\";\n\nerror = \"bold on crimson\";\n", path,
        sizeof(path));
    struct theme before = t;
    assert_int_equal(theme_load_file(&t, path, NULL, NULL, &err), GP_E_CONFIG);
    snprintf(want, sizeof(want),
             "%s:3: error: unknown colour \"crimson\" (use black..white, "
             "bright-black..bright-white, default, 0-255 or #rrggbb)",
             path);
    assert_string_equal(err.message, want);
    assert_memory_equal(&t, &before, sizeof(t));

    put(tp->dir, "type.theme", "ok = 3;\n", path, sizeof(path));
    assert_int_equal(theme_load_file(&t, path, NULL, NULL, &err), GP_E_CONFIG);
    snprintf(want, sizeof(want), "%s:1: ok: expected a style such as \"bold white on blue\"",
             path);
    assert_string_equal(err.message, want);

    put(tp->dir, "idx.theme", "ok = { bg = 300; };\n", path, sizeof(path));
    assert_int_equal(theme_load_file(&t, path, NULL, NULL, &err), GP_E_CONFIG);
    snprintf(want, sizeof(want), "%s:1: ok.bg: colour index 300 out of 0-255", path);
    assert_string_equal(err.message, want);

    put(tp->dir, "syntax.theme", "title = \"bold\";\nerror = ;\n", path, sizeof(path));
    assert_int_equal(theme_load_file(&t, path, NULL, NULL, &err), GP_E_CONFIG);
    snprintf(want, sizeof(want), "%s:2: syntax error", path);
    assert_string_equal(err.message, want);
}

static void test_theme_search_and_inherit(void **state)
{
    struct tmp *tp = *state;
    char path[256], want[2048], xdg[128], themes[128], s[64];
    struct theme t;
    struct gp_error err;
    gp_error_clear(&err);
    snprintf(themes, sizeof(themes), "%s/gpup", tp->dir);
    assert_int_equal(mkdir(themes, 0700), 0);
    snprintf(themes, sizeof(themes), "%s/gpup/themes", tp->dir);
    assert_int_equal(mkdir(themes, 0700), 0);
    snprintf(xdg, sizeof(xdg), "XDG_CONFIG_HOME=%s", tp->dir);
    const char *env[] = {xdg, NULL};
    char src[1024];
    snprintf(src, sizeof(src), "%s/themes", srcdir());
    struct theme_search search = {.env = env, .install_dir = "/nonexistent", .source_dir = src};

    /* A user theme inherits a shipped one and overrides one role. */
    put(themes, "my.theme", "selection = \"black on bright-yellow\";\ninherits = \"light\";\n",
        path, sizeof(path));
    assert_int_equal(theme_load(&t, "my", &search, NULL, &err), GP_OK);
    assert_string_equal(t.name, "my");
    assert_string_equal(theme_style_format(&t.roles[THEME_SELECTION], s, sizeof(s)),
                        "black on bright-yellow");
    assert_string_equal(theme_style_format(&t.roles[THEME_TRANSITION], s, sizeof(s)), "130");
    assert_int_equal(t.set, 1u << THEME_SELECTION);

    /* The user directory comes first: a user dark.theme shadows the shipped one. */
    put(themes, "dark.theme", "name = \"my dark\";\n", path, sizeof(path));
    assert_int_equal(theme_load(&t, "dark", &search, NULL, &err), GP_OK);
    assert_string_equal(t.name, "my dark");

    /* A theme given as a file name. */
    assert_int_equal(theme_load(&t, path, NULL, NULL, &err), GP_OK);

    /* Not found lists where it looked. */
    assert_int_equal(theme_load(&t, "solarized", &search, NULL, &err), GP_E_NOT_FOUND);
    snprintf(want, sizeof(want), "theme \"solarized\" not found in %s, /nonexistent, %s", themes,
             src);
    assert_string_equal(err.message, want);
    assert_int_equal(theme_load(&t, "../x", &search, NULL, &err), GP_E_CONFIG); /* a path */
    assert_int_equal(theme_load(&t, ".hidden", &search, NULL, &err), GP_E_CONFIG);
    assert_string_equal(err.message, "bad theme name \".hidden\"");

    /* An inheritance loop stops. */
    put(themes, "a.theme", "inherits = \"b\";\n", path, sizeof(path));
    put(themes, "b.theme", "inherits = \"a\";\n", path, sizeof(path));
    assert_int_equal(theme_load(&t, "a", &search, NULL, &err), GP_E_CONFIG);
    assert_non_null(strstr(err.message, "inherits: more than 4 levels (a loop?)"));
    /* A broken base names the inheriting file and the base's problem. */
    put(themes, "c.theme", "\ninherits = \"nope\";\n", path, sizeof(path));
    assert_int_equal(theme_load(&t, "c", &search, NULL, &err), GP_E_NOT_FOUND);
    snprintf(want, sizeof(want), "%s:2: inherits: theme \"nope\" not found in %s, /nonexistent, %s",
             path, themes, src);
    assert_string_equal(err.message, want);
}

/* Reads a whole small file into a static buffer. */
static const char *slurp(const char *path)
{
    static char text[65536];
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    assert_int_equal(fclose(f), 0);
    text[n] = '\0';
    return text;
}

/* gpup(5)'s role table is the X-macro table, word for word. */
static void test_man_page_roles(void **state)
{
    (void)state;
    char path[1024];
    snprintf(path, sizeof(path), "%s/doc/gpup.5", srcdir());
    const char *man = slurp(path);
    for (unsigned r = 0; r < THEME_ROLE_COUNT; r++) {
        char entry[256];
        snprintf(entry, sizeof(entry), ".TP\n.B %s\n%s\n", theme_role_name((enum theme_role)r),
                 theme_role_about((enum theme_role)r));
        if (!strstr(man, entry))
            fail_msg("doc/gpup.5 lacks the role entry:\n%s", entry);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roles),
        cmocka_unit_test(test_color_parse),
        cmocka_unit_test(test_style_parse),
        cmocka_unit_test(test_color_index),
        cmocka_unit_test(test_search_dirs),
        cmocka_unit_test(test_shipped_themes),
        cmocka_unit_test_setup_teardown(test_theme_file_messages, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_theme_search_and_inherit, tmp_setup, tmp_teardown),
        cmocka_unit_test(test_man_page_roles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
