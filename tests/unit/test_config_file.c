/* SPDX-License-Identifier: MIT
 * tests/unit/test_config_file.c: the config file reader. Each case writes a file under a
 * mkdtemp directory and checks the exact "FILE:LINE: message" an operator would read. */
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

#include "config/settings.h"
#include "model/buf.h"
#include "model/secret.h"
#include "model/settings.h"

struct fixture {
    char dir[256];
    char path[512];
    struct settings *s;
    struct settings_warnings warn;
    struct gp_error err;
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    if (!fx)
        return -1;
    snprintf(fx->dir, sizeof(fx->dir), "/tmp/gpup-cfg-XXXXXX");
    if (!mkdtemp(fx->dir))
        return -1;
    snprintf(fx->path, sizeof(fx->path), "%s/config", fx->dir);
    fx->s = settings_new();
    gp_error_clear(&fx->err);
    *state = fx;
    return fx->s ? 0 : -1;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
    if (system(cmd) != 0)
        return -1;
    settings_free(fx->s);
    free(fx);
    return 0;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, mode), 0);
}

/* Writes text as the config and loads it (explicit file). */
static enum gp_status load(struct fixture *fx, const char *text)
{
    write_file(fx->path, text, 0600);
    memset(&fx->warn, 0, sizeof(fx->warn));
    return settings_load_file(fx->s, fx->path, true, &fx->warn, &fx->err);
}

/* Asserts err is "<path>:<line>: <msg>". */
static void assert_at(struct fixture *fx, int line, const char *msg)
{
    char want[1024];
    snprintf(want, sizeof(want), "%s:%d: %s", fx->path, line, msg);
    assert_string_equal(fx->err.message, want);
    assert_int_equal(fx->err.status, GP_E_CONFIG);
}

#define SUB "11111111-2222-3333-4444-555555555555"

static const char good_config[] =
    "# gpup test config\n"
    "profile = \"lab\";\n"
    "profiles = {\n"
    "  lab = { endpoint = \"https://management.azure.com\";\n"
    "          tenant = \"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee\";\n"
    "          subscription = \"" SUB "\";\n"
    "          resource_group = \"gpu-rg\"; custom_location = \"cl1\";\n"
    "          auth = \"azure-cli\"; partition_size_mb = 3648; };\n"
    "  sim = { endpoint = \"http://127.0.0.1:8080\"; auth = \"token-file\";\n"
    "          token_file = \"~/.gpup-token\"; api_version = \"2026-04-01-preview\"; };\n"
    "};\n"
    "ui = { theme = \"light\"; refresh_seconds = 15; mouse = true; confirm = \"always\";\n"
    "       group_by_resource_group = true;\n"
    "       keys = { filter = \"/\";\n"
    "                quit = [\"q\", \"<F10>\"]; }; };\n"
    "paths = { state_dir = \"/var/tmp/gpup\"; token_cache = \"~/.cache/gpup/token\"; };\n";

static void test_good_file(void **state)
{
    struct fixture *fx = *state;
    assert_int_equal(load(fx, good_config), GP_OK);
    assert_int_equal(fx->warn.count, 0);
    struct settings *s = fx->s;
    assert_string_equal(s->file, fx->path);
    assert_string_equal(s->active, "lab");
    assert_int_equal(s->n_profiles, 2);
    const struct settings_profile *lab = settings_profile_find(s, "lab");
    assert_non_null(lab);
    assert_string_equal(lab->subscription, SUB);
    assert_string_equal(lab->custom_location, "cl1");
    assert_int_equal(lab->auth, SETTINGS_AUTH_AZURE_CLI);
    assert_int_equal(lab->partition_size_mb, 3648);
    assert_int_equal(lab->line, 4);
    const struct settings_profile *sim = settings_profile_find(s, "sim");
    assert_non_null(sim);
    assert_string_equal(sim->endpoint, "http://127.0.0.1:8080");
    assert_string_equal(sim->api_version, "2026-04-01-preview");
    assert_string_equal(s->ui.theme, "light");
    assert_int_equal(s->ui.refresh_seconds, 15);
    assert_true(s->ui.mouse);
    assert_true(s->ui.group_by_rg);
    assert_int_equal(s->ui.confirm, SETTINGS_CONFIRM_ALWAYS);
    assert_int_equal(s->ui.n_keys, 3);
    assert_string_equal(s->ui.keys[0].action, "filter");
    assert_string_equal(s->ui.keys[0].key, "/");
    assert_string_equal(s->ui.keys[0].file, fx->path);
    assert_int_equal(s->ui.keys[0].line, 14);
    assert_string_equal(s->ui.keys[2].action, "quit");
    assert_string_equal(s->ui.keys[2].key, "<F10>");
    assert_int_equal(s->ui.keys[2].line, 15);
    assert_string_equal(s->paths.state_dir, "/var/tmp/gpup");

    /* The effective view of the file, with an override from the environment. */
    struct settings_effective *e = malloc(sizeof(*e));
    char cfg_env[600];
    snprintf(cfg_env, sizeof(cfg_env), "GPUP_CONFIG=%s", fx->path);
    const char *env[] = {"GPUP_PROFILE=sim", "HOME=/home/op", cfg_env, NULL};
    assert_int_equal(settings_resolve(s, NULL, env, e, &fx->err), GP_OK);
    assert_string_equal(e->profile.endpoint, "http://127.0.0.1:8080");
    assert_string_equal(e->profile.token_file, "/home/op/.gpup-token");
    assert_string_equal(e->paths.token_cache, "/home/op/.cache/gpup/token");
    assert_int_equal(e->config_src, SETTINGS_SRC_ENV);
    free(e);
}

static void test_syntax_error(void **state)
{
    struct fixture *fx = *state;
    assert_int_equal(load(fx, "ui = { theme = \"dark\";\n  refresh_seconds = ;\n};\n"),
                     GP_E_CONFIG);
    assert_at(fx, 2, "syntax error");
    assert_int_equal(load(fx, "ui = {};\nui = {};\n"), GP_E_CONFIG);
    assert_at(fx, 2, "duplicate setting name");
    assert_string_equal(fx->s->file, ""); /* nothing half-loaded is presented as loaded */
}

static void test_wrong_type(void **state)
{
    struct fixture *fx = *state;
    assert_int_equal(load(fx, "ui = {\n  refresh_seconds = \"30\";\n};\n"), GP_E_CONFIG);
    assert_at(fx, 2, "ui.refresh_seconds: expected an integer, found a string");
    assert_int_equal(load(fx, "profiles = {\n lab = {\n  partition_size_mb = 1.5;\n };\n};\n"),
                     GP_E_CONFIG);
    assert_at(fx, 3,
              "profiles.lab.partition_size_mb: expected an integer, found a number with a "
              "fraction");
    assert_int_equal(load(fx, "ui = { mouse = \"yes\"; };\n"), GP_E_CONFIG);
    assert_at(fx, 1, "ui.mouse: expected true or false, found a string");
    assert_int_equal(load(fx, "profiles = {\n  lab = \"x\";\n};\n"), GP_E_CONFIG);
    assert_at(fx, 2, "profiles.lab: expected a group { ... }, found a string");
    assert_int_equal(load(fx, "ui = { keys = { quit = 7; }; };\n"), GP_E_CONFIG);
    assert_at(fx, 1, "ui.keys.quit: expected a key or an array of keys, such as \"q\" or "
                     "[\"q\", \"<F10>\"]");
}

static void test_bad_value(void **state)
{
    struct fixture *fx = *state;
    assert_int_equal(load(fx, "profiles = {\n  lab = {\n    endpoint = \"http://arm.example.com\";"
                              "\n  };\n};\n"),
                     GP_E_CONFIG);
    assert_at(fx, 3, "profiles.lab.endpoint: plain http is allowed only for loopback addresses "
                     "(localhost, 127.0.0.1, [::1]); use https");
    assert_int_equal(load(fx, "profiles = { lab = {\n subscription = \"my-sub\"; }; };\n"),
                     GP_E_CONFIG);
    assert_at(fx, 2, "profiles.lab.subscription: not a UUID "
                     "(expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
    assert_int_equal(load(fx, "profiles = { lab = {\n api_version = \"2025-9-1\"; }; };\n"),
                     GP_E_CONFIG);
    assert_at(fx, 2, "profiles.lab.api_version: not an api-version "
                     "(expected YYYY-MM-DD or YYYY-MM-DD-preview)");
    assert_int_equal(load(fx, "\n\nui = { refresh_seconds = 99999; };\n"), GP_E_CONFIG);
    assert_at(fx, 3, "ui.refresh_seconds: must be between 0 (off) and 3600 seconds");
    assert_int_equal(load(fx, "ui = { refresh_seconds = 99999999999L; };\n"), GP_E_CONFIG);
    assert_at(fx, 1, "ui.refresh_seconds: must be between 0 (off) and 3600 seconds");
    assert_int_equal(load(fx, "profiles = { x = {\n partition_size_mb = -5; }; };\n"),
                     GP_E_CONFIG);
    assert_at(fx, 2, "profiles.x.partition_size_mb: must be between 1 and 1048576 MB");
    assert_int_equal(load(fx, "ui = { confirm = \"maybe\"; };\n"), GP_E_CONFIG);
    assert_at(fx, 1, "ui.confirm: unknown confirm policy (use always, disruptive or never)");
    assert_int_equal(load(fx, "profile = \"prod\";\nprofiles = { lab = { }; };\n"), GP_E_CONFIG);
    assert_at(fx, 1, "profile: \"prod\" is not defined in profiles");
}

static void test_client_secret_refused(void **state)
{
    struct fixture *fx = *state;
    assert_int_equal(load(fx, "profiles = {\n  sp = {\n    auth = \"service-principal\";\n"
                              "    client_secret = \"SENTINEL-SECRET\";\n  };\n};\n"),
                     GP_E_CONFIG);
    assert_at(fx, 4, "profiles.sp.client_secret: secrets are not read from the config file; "
                     "name a file with client_secret_file or set GPUP_CLIENT_SECRET");
    assert_null(strstr(fx->err.message, "SENTINEL"));
}

static void test_certificate_file(void **state)
{
    struct fixture *fx = *state;
    assert_int_equal(load(fx, "profiles = {\n  sp = {\n    auth = \"service-principal\";\n"
                              "    certificate_file = \"~/sp.pem\";\n  };\n};\n"),
                     GP_OK);
    assert_string_equal(settings_profile_find(fx->s, "sp")->certificate_file, "~/sp.pem");
    assert_int_equal(fx->warn.count, 0);
    /* a secret and a certificate: `config check` says which line to fix */
    assert_int_equal(load(fx, "profiles = {\n  sp = {\n    client_secret_file = \"/k/s\";\n"
                              "    certificate_file = \"/k/sp.pem\";\n  };\n};\n"),
                     GP_E_CONFIG);
    assert_at(fx, 4, "profiles.sp.certificate_file: client_secret_file and certificate_file "
                     "name two credentials for one service principal; keep one");
    assert_int_equal(load(fx, "profiles = { sp = { certificate_file = 42; }; };\n"), GP_E_CONFIG);
}

static void test_unknown_keys_warn(void **state)
{
    struct fixture *fx = *state;
    assert_int_equal(load(fx, "colour = \"red\";\n"
                              "profiles = { lab = {\n  endpiont = \"https://x\"; }; };\n"
                              "ui = {\n  themes = \"dark\"; };\n"
                              "paths = { journal = \"/x\"; };\n"),
                     GP_OK);
    assert_int_equal(fx->warn.count, 4);
    char want[1024];
    snprintf(want, sizeof(want), "%s:1: warning: unknown key \"colour\" in the top level (ignored)",
             fx->path);
    assert_string_equal(fx->warn.lines[0], want);
    snprintf(want, sizeof(want),
             "%s:3: warning: unknown key \"endpiont\" in profile \"lab\" (ignored)", fx->path);
    assert_string_equal(fx->warn.lines[1], want);
    snprintf(want, sizeof(want), "%s:5: warning: unknown key \"themes\" in ui (ignored)",
             fx->path);
    assert_string_equal(fx->warn.lines[2], want);
    snprintf(want, sizeof(want), "%s:6: warning: unknown key \"journal\" in paths (ignored)",
             fx->path);
    assert_string_equal(fx->warn.lines[3], want);
}

static void test_missing_files(void **state)
{
    struct fixture *fx = *state;
    char path[600];
    snprintf(path, sizeof(path), "%s/nope", fx->dir);
    assert_int_equal(settings_load_file(fx->s, path, false, NULL, &fx->err), GP_OK);
    assert_int_equal(fx->s->n_profiles, 0);
    assert_string_equal(fx->s->file, "");
    assert_int_equal(settings_load_file(fx->s, path, true, NULL, &fx->err), GP_E_CONFIG);
    char want[700];
    snprintf(want, sizeof(want), "%s: cannot read: No such file or directory", path);
    assert_string_equal(fx->err.message, want);

    /* settings_load: the default location may be missing, a named file may not. */
    char home[600], xdg[600], cfg[700];
    snprintf(home, sizeof(home), "HOME=%s", fx->dir);
    const char *env[] = {home, NULL};
    assert_int_equal(settings_load(fx->s, NULL, env, NULL, &fx->err), GP_OK);
    snprintf(cfg, sizeof(cfg), "GPUP_CONFIG=%s", path);
    const char *env2[] = {home, cfg, NULL};
    assert_int_equal(settings_load(fx->s, NULL, env2, NULL, &fx->err), GP_E_CONFIG);
    assert_string_equal(fx->err.message, want);
    /* XDG_CONFIG_HOME is where the default file is looked for. */
    snprintf(xdg, sizeof(xdg), "XDG_CONFIG_HOME=%s", fx->dir);
    const char *env3[] = {home, xdg, NULL};
    char sub[600];
    snprintf(sub, sizeof(sub), "%s/gpup", fx->dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    snprintf(path, sizeof(path), "%s/gpup/config", fx->dir);
    write_file(path, "profile = \"x\";\nprofiles = { x = { resource_group = \"rg\"; }; };\n",
               0600);
    assert_int_equal(settings_load(fx->s, NULL, env3, NULL, &fx->err), GP_OK);
    assert_string_equal(fx->s->file, path);
    assert_string_equal(fx->s->profiles[0].resource_group, "rg");
    /* A directory is not a config file. */
    assert_int_equal(settings_load_file(fx->s, fx->dir, true, NULL, &fx->err), GP_E_CONFIG);
    snprintf(want, sizeof(want), "%s: not a regular file", fx->dir);
    assert_string_equal(fx->err.message, want);
}

static void test_include_reports_its_file(void **state)
{
    struct fixture *fx = *state;
    char inc[600];
    snprintf(inc, sizeof(inc), "%s/profiles.cfg", fx->dir);
    write_file(inc, "profiles = {\n  lab = {\n    tenant = \"contoso\";\n  };\n};\n", 0600);
    assert_int_equal(load(fx, "ui = { theme = \"dark\"; };\n@include \"profiles.cfg\"\n"),
                     GP_E_CONFIG);
    char want[900];
    snprintf(want, sizeof(want),
             "%s:3: profiles.lab.tenant: not a UUID (expected xxxxxxxx-xxxx-xxxx-xxxx-"
             "xxxxxxxxxxxx)",
             inc);
    assert_string_equal(fx->err.message, want);
    /* A syntax error inside the included file names that file too. */
    write_file(inc, "profiles = {\n  lab = {\n    tenant = ;\n", 0600);
    assert_int_equal(load(fx, "@include \"profiles.cfg\"\n"), GP_E_CONFIG);
    snprintf(want, sizeof(want), "%s:3: syntax error", inc);
    assert_string_equal(fx->err.message, want);
}

static void test_show_after_load_masks(void **state)
{
    struct fixture *fx = *state;
    assert_int_equal(load(fx, good_config), GP_OK);
    struct settings_effective *e = malloc(sizeof(*e));
    const char *env[] = {"GPUP_TOKEN=SENTINEL-TOKEN-42", "HOME=/h", NULL};
    assert_int_equal(settings_resolve(fx->s, NULL, env, e, &fx->err), GP_OK);
    struct gp_buf b;
    gp_buf_init(&b, 1 << 20);
    assert_int_equal(settings_format(e, &b), GP_OK);
    assert_null(strstr(gp_buf_str(&b), "SENTINEL"));
    assert_non_null(strstr(gp_buf_str(&b), "    # token: ******** (set in GPUP_TOKEN, masked)\n"));
    assert_non_null(strstr(gp_buf_str(&b), "    partition_size_mb = 3648;  # config file\n"));

    /* What config show prints reads back as the same settings. */
    write_file(fx->path, gp_buf_str(&b), 0600);
    gp_buf_cleanup(&b);
    memset(&fx->warn, 0, sizeof(fx->warn));
    if (settings_load_file(fx->s, fx->path, true, &fx->warn, &fx->err) != GP_OK)
        fail_msg("%s", fx->err.message);
    for (size_t i = 0; i < fx->warn.count; i++)
        print_message("%s\n", fx->warn.lines[i]);
    assert_int_equal(fx->warn.count, 0);
    assert_int_equal(fx->s->n_profiles, 1);
    assert_string_equal(fx->s->profiles[0].subscription, SUB);
    assert_int_equal(fx->s->profiles[0].auth, SETTINGS_AUTH_TOKEN);
    assert_int_equal(fx->s->ui.n_keys, 3);
    free(e);
}

static void test_secret_file(void **state)
{
    struct fixture *fx = *state;
    char path[600], want[700];
    struct gp_secret sec;
    gp_secret_init(&sec);
    snprintf(path, sizeof(path), "%s/token", fx->dir);
    write_file(path, "SENTINEL-TOKEN\n", 0600);
    assert_int_equal(settings_read_secret_file(path, &sec, &fx->err), GP_OK);
    assert_true(gp_secret_equal(&sec, "SENTINEL-TOKEN", 14));
    write_file(path, "SENTINEL-TOKEN\n", 0644);
    assert_int_equal(settings_read_secret_file(path, &sec, &fx->err), GP_E_AUTH);
    snprintf(want, sizeof(want), "%s: readable by anyone; chmod 600 it", path);
    assert_string_equal(fx->err.message, want);
    assert_false(gp_secret_is_set(&sec));
    write_file(path, "\n", 0600);
    assert_int_equal(settings_read_secret_file(path, &sec, &fx->err), GP_E_AUTH);
    snprintf(want, sizeof(want), "%s: empty", path);
    assert_string_equal(fx->err.message, want);
    gp_secret_clear(&sec);
}

static const char *srcdir(void)
{
    const char *d = getenv("GPUP_SRCDIR");
    return d && *d ? d : ".";
}

/* The sample config is valid, and gpup(5) documents every profile key. */
static void test_shipped_docs(void **state)
{
    struct fixture *fx = *state;
    char path[1024];
    snprintf(path, sizeof(path), "%s/doc/config.example", srcdir());
    memset(&fx->warn, 0, sizeof(fx->warn));
    if (settings_load_file(fx->s, path, true, &fx->warn, &fx->err) != GP_OK)
        fail_msg("%s", fx->err.message);
    assert_int_equal(fx->warn.count, 0);
    assert_int_equal(fx->s->n_profiles, 3);
    assert_string_equal(fx->s->active, "lab");
    const struct settings_profile *edge = settings_profile_find(fx->s, "edge");
    assert_non_null(edge);
    assert_int_equal(edge->auth, SETTINGS_AUTH_SERVICE_PRINCIPAL);
    assert_int_equal(edge->partition_size_mb, 4096);
    assert_int_equal(fx->s->ui.n_keys, 3);

    snprintf(path, sizeof(path), "%s/doc/gpup.5", srcdir());
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char man[65536];
    size_t n = fread(man, 1, sizeof(man) - 1, f);
    assert_int_equal(fclose(f), 0);
    man[n] = '\0';
    for (unsigned i = 0; i < SETTINGS_F_COUNT; i++) {
        char entry[128];
        snprintf(entry, sizeof(entry), ".TP\n.B %s\n", settings_field_name((enum settings_field)i));
        if (!strstr(man, entry))
            fail_msg("doc/gpup.5 does not document %s", entry);
    }
    for (unsigned i = 0; i < SETTINGS_AUTH_COUNT; i++) {
        char entry[128];
        snprintf(entry, sizeof(entry), ".TP\n.B %s\n", settings_auth_name((enum settings_auth)i));
        if (!strstr(man, entry))
            fail_msg("doc/gpup.5 does not document auth %s", entry);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_good_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_syntax_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_value, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_secret_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_certificate_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_keys_warn, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_include_reports_its_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_show_after_load_masks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_secret_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shipped_docs, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
