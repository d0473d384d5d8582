/* SPDX-License-Identifier: MIT
 * tests/unit/test_settings.c: value checks, precedence (flags > environment > profile >
 * defaults) and the masked `config show` text, all without files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/settings.h"

#define SUB_A "11111111-2222-3333-4444-555555555555"
#define SUB_B "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
#define SUB_C "00000000-0000-0000-0000-00000000000c"

static void assert_url(const char *url, enum gp_status want, const char *msg)
{
    struct gp_error err;
    gp_error_clear(&err);
    enum gp_status st = settings_check_url(url, &err);
    if (st != want)
        fail_msg("%s: got %s (%s)", url, gp_status_name(st), err.message);
    if (msg)
        assert_string_equal(err.message, msg);
}

static void test_check_url(void **state)
{
    (void)state;
    static const char http_only[] = "plain http is allowed only for loopback addresses "
                                    "(localhost, 127.0.0.1, [::1]); use https";
    assert_url("https://management.azure.com", GP_OK, NULL);
    assert_url("https://arm.local.contoso.com:8443/prefix/", GP_OK, NULL);
    assert_url("HTTPS://Management.Azure.Com", GP_OK, NULL);
    assert_url("http://127.0.0.1:38123", GP_OK, NULL);
    assert_url("http://127.9.8.7", GP_OK, NULL);
    assert_url("http://localhost:8080/", GP_OK, NULL);
    assert_url("http://[::1]:9000", GP_OK, NULL);
    assert_url("http://example.com", GP_E_CONFIG, http_only);
    assert_url("http://10.0.0.1:80", GP_E_CONFIG, http_only);
    assert_url("http://localhost.evil.com", GP_E_CONFIG, http_only);
    assert_url("http://127.0.0.1.nip.io", GP_E_CONFIG, http_only);
    assert_url("http://127.0.0.256", GP_E_CONFIG, http_only);
    assert_url("http://[::2]", GP_E_CONFIG, http_only);
    assert_url("ftp://x", GP_E_CONFIG, "must be an https:// URL");
    assert_url("management.azure.com", GP_E_CONFIG, "must be an https:// URL");
    assert_url("", GP_E_CONFIG, "empty URL");
    assert_url("https://user:pw@host", GP_E_CONFIG,
               "URL must not carry a user name or password");
    assert_url("https://host/?sig=abc", GP_E_CONFIG, "URL must not carry a query or fragment");
    assert_url("https://host:0", GP_E_CONFIG, "URL has a bad port (1-65535)");
    assert_url("https://host:70000", GP_E_CONFIG, "URL has a bad port (1-65535)");
    assert_url("https://host:", GP_E_CONFIG, "URL has a bad port (1-65535)");
    assert_url("https://", GP_E_CONFIG, "URL has no host");
    assert_url("https://ho st", GP_E_CONFIG, "URL contains a space or control character");
    assert_url("https://h_st", GP_E_CONFIG, "URL has a malformed host name");
    assert_url("https://[::1", GP_E_CONFIG, "URL has an unterminated [IPv6] host");
}

static void test_check_uuid_and_api_version(void **state)
{
    (void)state;
    struct gp_error err;
    gp_error_clear(&err);
    assert_int_equal(settings_check_uuid(SUB_A, &err), GP_OK);
    assert_int_equal(settings_check_uuid("AAAAAAAA-bbbb-CCCC-dddd-0123456789ef", &err), GP_OK);
    assert_int_equal(settings_check_uuid("11111111-2222-3333-4444-55555555555", &err),
                     GP_E_CONFIG);
    assert_string_equal(err.message, "not a UUID (expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
    assert_int_equal(settings_check_uuid("11111111-2222-3333-4444-55555555555g", &err),
                     GP_E_CONFIG);
    assert_int_equal(settings_check_uuid("111111112-222-3333-4444-555555555555", &err),
                     GP_E_CONFIG);
    assert_int_equal(settings_check_uuid("", &err), GP_E_CONFIG);

    assert_int_equal(settings_check_api_version("2025-09-01-preview", &err), GP_OK);
    assert_int_equal(settings_check_api_version("2024-01-01", &err), GP_OK);
    assert_int_equal(settings_check_api_version("2024-13-01", &err), GP_E_CONFIG);
    assert_string_equal(err.message,
                        "not an api-version (expected YYYY-MM-DD or YYYY-MM-DD-preview)");
    assert_int_equal(settings_check_api_version("2024-01-00", &err), GP_E_CONFIG);
    assert_int_equal(settings_check_api_version("2024-1-01", &err), GP_E_CONFIG);
    assert_int_equal(settings_check_api_version("2024-01-01-", &err), GP_E_CONFIG);
    assert_int_equal(settings_check_api_version("2024-01-01-Preview", &err), GP_E_CONFIG);
    assert_int_equal(settings_check_api_version("2024-01-01preview", &err), GP_E_CONFIG);

    assert_int_equal(settings_check_refresh(0, &err), GP_OK);
    assert_int_equal(settings_check_refresh(3600, &err), GP_OK);
    assert_int_equal(settings_check_refresh(3601, &err), GP_E_CONFIG);
    assert_string_equal(err.message, "must be between 0 (off) and 3600 seconds");
    assert_int_equal(settings_check_refresh(-1, &err), GP_E_CONFIG);
}

static void test_profile_set_values(void **state)
{
    (void)state;
    struct settings_profile p;
    struct gp_error err;
    char buf[128];
    gp_error_clear(&err);
    settings_profile_init(&p, "lab");
    assert_int_equal(settings_profile_set(&p, SETTINGS_F_RESOURCE_GROUP, "gpu-rg(1).x", &err),
                     GP_OK);
    assert_int_equal(settings_profile_set(&p, SETTINGS_F_RESOURCE_GROUP, "bad.", &err),
                     GP_E_CONFIG);
    assert_string_equal(p.resource_group, "gpu-rg(1).x"); /* a refused value changes nothing */
    assert_int_equal(settings_profile_set(&p, SETTINGS_F_CUSTOM_LOCATION, "cl-seattle", &err),
                     GP_OK);
    assert_int_equal(
        settings_profile_set(&p, SETTINGS_F_CUSTOM_LOCATION,
                             "/subscriptions/" SUB_A "/resourceGroups/ml-rg/providers/"
                             "Microsoft.ExtendedLocation/customLocations/cl-seattle",
                             &err),
        GP_OK);
    assert_int_equal(settings_profile_set(&p, SETTINGS_F_CUSTOM_LOCATION,
                                          "/subscriptions/x/customLocations/", &err),
                     GP_E_CONFIG);
    assert_int_equal(settings_profile_set(&p, SETTINGS_F_AUTH, "service-principal", &err),
                     GP_OK);
    assert_int_equal(p.auth, SETTINGS_AUTH_SERVICE_PRINCIPAL);
    assert_int_equal(settings_profile_set(&p, SETTINGS_F_AUTH, "password", &err), GP_E_CONFIG);
    assert_string_equal(err.message, "unknown auth method (use auto, token, token-file, "
                                     "azure-cli, service-principal, device-code or "
                                     "managed-identity)");
    assert_int_equal(settings_profile_set(&p, SETTINGS_F_PARTITION_SIZE_MB, "3648", &err),
                     GP_OK);
    assert_string_equal(settings_profile_get(&p, SETTINGS_F_PARTITION_SIZE_MB, buf, sizeof(buf)),
                        "3648");
    assert_int_equal(settings_profile_set(&p, SETTINGS_F_PARTITION_SIZE_MB, "0", &err),
                     GP_E_CONFIG);
    assert_string_equal(err.message, "must be between 1 and 1048576 MB");
    assert_int_equal(settings_profile_set(&p, SETTINGS_F_PARTITION_SIZE_MB, "12x", &err),
                     GP_E_CONFIG);
    assert_int_equal(settings_profile_set(&p, SETTINGS_F_CLIENT_ID, "app", &err), GP_E_CONFIG);
    assert_int_equal(settings_profile_set(&p, SETTINGS_F_TOKEN_FILE, "", &err), GP_E_CONFIG);
    assert_string_equal(err.message, "empty file name");
    char long_rg[200];
    memset(long_rg, 'r', sizeof(long_rg) - 1);
    long_rg[sizeof(long_rg) - 1] = '\0';
    assert_int_equal(settings_profile_set(&p, SETTINGS_F_RESOURCE_GROUP, long_rg, &err),
                     GP_E_CONFIG);
    assert_int_equal(p.set, (1u << SETTINGS_F_RESOURCE_GROUP) |
                                (1u << SETTINGS_F_CUSTOM_LOCATION) | (1u << SETTINGS_F_AUTH) |
                                (1u << SETTINGS_F_PARTITION_SIZE_MB));
}

static void test_profile_one_sp_credential(void **state)
{
    (void)state;
    struct settings_profile p;
    struct gp_error err;
    gp_error_clear(&err);
    settings_profile_init(&p, "sp");
    assert_int_equal(settings_profile_check(&p, &err), GP_OK);
    assert_int_equal(settings_profile_set(&p, SETTINGS_F_CERTIFICATE_FILE, "/k/sp.pem", &err),
                     GP_OK);
    assert_string_equal(p.certificate_file, "/k/sp.pem");
    assert_int_equal(settings_profile_check(&p, &err), GP_OK);
    assert_int_equal(settings_profile_set(&p, SETTINGS_F_CERTIFICATE_FILE, "a\nb", &err),
                     GP_E_CONFIG);
    assert_int_equal(settings_profile_set(&p, SETTINGS_F_CLIENT_SECRET_FILE, "/k/sp.secret", &err),
                     GP_OK);
    assert_int_equal(settings_profile_check(&p, &err), GP_E_CONFIG);
    assert_string_equal(err.message, "client_secret_file and certificate_file name two "
                                     "credentials for one service principal; keep one");
}

static void test_enum_names(void **state)
{
    (void)state;
    enum settings_field f;
    enum settings_confirm c;
    assert_true(settings_field_parse("custom_location", &f));
    assert_int_equal(f, SETTINGS_F_CUSTOM_LOCATION);
    assert_false(settings_field_parse("client_secret", &f));
    assert_string_equal(settings_field_name(SETTINGS_F_API_VERSION), "api_version");
    assert_true(settings_confirm_parse("never", &c));
    assert_int_equal(c, SETTINGS_CONFIRM_NEVER);
    assert_string_equal(settings_auth_name(SETTINGS_AUTH_MANAGED_IDENTITY), "managed-identity");
    assert_string_equal(settings_source_name(SETTINGS_SRC_COUNT), "?");
}

static void test_env_get_and_config_path(void **state)
{
    (void)state;
    const char *env[] = {"HOME=/home/op", "GPUP_X=", "GPUP_XY=1", NULL};
    char path[SETTINGS_PATH_MAX];
    enum settings_source src;
    struct gp_error err;
    gp_error_clear(&err);
    assert_null(settings_env_get(env, "GPUP_X")); /* empty counts as unset */
    assert_string_equal(settings_env_get(env, "GPUP_XY"), "1");
    assert_null(settings_env_get(env, "GPUP"));
    assert_null(settings_env_get(NULL, "HOME"));

    assert_int_equal(settings_config_path(NULL, env, path, sizeof(path), &src, &err), GP_OK);
    assert_string_equal(path, "/home/op/.config/gpup/config");
    assert_int_equal(src, SETTINGS_SRC_DEFAULT);

    const char *xdg[] = {"HOME=/home/op", "XDG_CONFIG_HOME=/xdg", "GPUP_CONFIG=/etc/g.cfg", NULL};
    assert_int_equal(settings_config_path(NULL, xdg + 0, path, sizeof(path), &src, &err), GP_OK);
    assert_string_equal(path, "/etc/g.cfg");
    assert_int_equal(src, SETTINGS_SRC_ENV);
    assert_int_equal(settings_config_path("my.cfg", xdg, path, sizeof(path), &src, &err), GP_OK);
    assert_string_equal(path, "my.cfg");
    assert_int_equal(src, SETTINGS_SRC_FLAG);
    const char *xdg_only[] = {"HOME=/home/op", "XDG_CONFIG_HOME=/xdg", NULL};
    assert_int_equal(settings_config_path(NULL, xdg_only, path, sizeof(path), &src, &err), GP_OK);
    assert_string_equal(path, "/xdg/gpup/config");

    const char *none[] = {NULL};
    assert_int_equal(settings_config_path(NULL, none, path, sizeof(path), &src, &err),
                     GP_E_CONFIG);
    assert_string_equal(err.message,
                        "cannot find the config file: neither XDG_CONFIG_HOME nor HOME is set");
}

/* Two profiles as the file loader would build them. */
static struct settings *two_profiles(void)
{
    struct settings *s = settings_new();
    struct settings_profile *p;
    struct gp_error err;
    assert_non_null(s);
    gp_error_clear(&err);
    assert_int_equal(settings_add_profile(s, "lab", &p, &err), GP_OK);
    assert_int_equal(settings_profile_set(p, SETTINGS_F_SUBSCRIPTION, SUB_A, &err), GP_OK);
    assert_int_equal(settings_profile_set(p, SETTINGS_F_RESOURCE_GROUP, "gpu-rg", &err), GP_OK);
    assert_int_equal(settings_profile_set(p, SETTINGS_F_AUTH, "azure-cli", &err), GP_OK);
    assert_int_equal(settings_profile_set(p, SETTINGS_F_TOKEN_FILE, "~/tok", &err), GP_OK);
    assert_int_equal(settings_add_profile(s, "prod", &p, &err), GP_OK);
    assert_int_equal(settings_profile_set(p, SETTINGS_F_ENDPOINT, "https://arm.prod.example",
                                          &err),
                     GP_OK);
    assert_int_equal(settings_profile_set(p, SETTINGS_F_SUBSCRIPTION, SUB_B, &err), GP_OK);
    assert_int_equal(settings_add_profile(s, "prod", &p, &err), GP_E_CONFIG);
    assert_string_equal(err.message, "profile \"prod\" is defined twice");
    (void)snprintf(s->file, sizeof(s->file), "/cfg/gpup");
    return s;
}

static void test_resolve_defaults_only(void **state)
{
    (void)state;
    struct settings_effective *e = malloc(sizeof(*e));
    struct gp_error err;
    const char *env[] = {"GPUP_ENDPOINT=http://127.0.0.1:4000", "GPUP_TOKEN=t0k", "HOME=/h", NULL};
    gp_error_clear(&err);
    assert_int_equal(settings_resolve(NULL, NULL, env, e, &err), GP_OK);
    assert_string_equal(e->profile.name, "");
    assert_string_equal(e->profile.endpoint, "http://127.0.0.1:4000");
    assert_int_equal(e->src[SETTINGS_F_ENDPOINT], SETTINGS_SRC_ENV);
    assert_string_equal(e->profile.api_version, SETTINGS_DEFAULT_API_VERSION);
    assert_int_equal(e->src[SETTINGS_F_API_VERSION], SETTINGS_SRC_DEFAULT);
    assert_string_equal(e->profile.authority, "https://login.microsoftonline.com");
    assert_int_equal(e->profile.auth, SETTINGS_AUTH_TOKEN);
    assert_true(e->token_env);
    assert_string_equal(e->ui.theme, "dark");
    assert_int_equal(e->ui.refresh_seconds, 30);
    assert_int_equal(e->ui.confirm, SETTINGS_CONFIRM_DISRUPTIVE);
    assert_string_equal(e->paths.state_dir, "/h/.local/state/gpup");
    assert_string_equal(e->config_file, "/h/.config/gpup/config");
    assert_false(e->config_loaded);
    assert_false(e->no_color);

    /* NO_COLOR picks the monochrome theme, unless the file names a theme. */
    const char *nc[] = {"NO_COLOR=1", NULL};
    assert_int_equal(settings_resolve(NULL, NULL, nc, e, &err), GP_OK);
    assert_string_equal(e->ui.theme, "monochrome");
    assert_true(e->no_color);
    struct settings *s = settings_new();
    assert_int_equal(settings_set_theme(&s->ui, "light", &err), GP_OK);
    assert_int_equal(settings_resolve(s, NULL, nc, e, &err), GP_OK);
    assert_string_equal(e->ui.theme, "light");
    settings_free(s);
    free(e);
}

static void test_resolve_precedence(void **state)
{
    (void)state;
    struct settings *s = two_profiles();
    struct settings_effective *e = malloc(sizeof(*e));
    struct gp_error err;
    gp_error_clear(&err);

    /* Two profiles and no `profile` key: none is chosen. */
    assert_int_equal(settings_resolve(s, NULL, NULL, e, &err), GP_OK);
    assert_string_equal(e->profile.name, "");
    assert_string_equal(e->profile.subscription, "");

    /* The file's profile key. */
    (void)snprintf(s->active, sizeof(s->active), "lab");
    const char *env0[] = {"HOME=/home/op", NULL};
    assert_int_equal(settings_resolve(s, NULL, env0, e, &err), GP_OK);
    assert_string_equal(e->profile.name, "lab");
    assert_int_equal(e->profile_src, SETTINGS_SRC_FILE);
    assert_string_equal(e->profile.subscription, SUB_A);
    assert_int_equal(e->src[SETTINGS_F_SUBSCRIPTION], SETTINGS_SRC_FILE);
    assert_string_equal(e->profile.endpoint, SETTINGS_DEFAULT_ENDPOINT);
    assert_int_equal(e->src[SETTINGS_F_ENDPOINT], SETTINGS_SRC_DEFAULT);
    assert_int_equal(e->profile.auth, SETTINGS_AUTH_AZURE_CLI);
    assert_string_equal(e->profile.token_file, "/home/op/tok"); /* ~ expanded */
    assert_true(e->config_loaded);
    assert_string_equal(e->config_file, "/cfg/gpup");

    /* The environment beats the file; the flag beats the environment. */
    const char *env[] = {"GPUP_PROFILE=prod", "GPUP_SUBSCRIPTION=" SUB_C, NULL};
    assert_int_equal(settings_resolve(s, NULL, env, e, &err), GP_OK);
    assert_string_equal(e->profile.name, "prod");
    assert_int_equal(e->profile_src, SETTINGS_SRC_ENV);
    assert_string_equal(e->profile.endpoint, "https://arm.prod.example");
    assert_int_equal(e->src[SETTINGS_F_ENDPOINT], SETTINGS_SRC_FILE);
    assert_string_equal(e->profile.subscription, SUB_C);
    assert_int_equal(e->src[SETTINGS_F_SUBSCRIPTION], SETTINGS_SRC_ENV);
    assert_string_equal(e->profile.resource_group, ""); /* prod has none: lab's do not leak */

    struct settings_flags flags = {.profile = "lab", .subscription = SUB_B,
                                   .endpoint = "https://arm.flag.example"};
    assert_int_equal(settings_resolve(s, &flags, env, e, &err), GP_OK);
    assert_string_equal(e->profile.name, "lab");
    assert_int_equal(e->profile_src, SETTINGS_SRC_FLAG);
    assert_string_equal(e->profile.subscription, SUB_B);
    assert_int_equal(e->src[SETTINGS_F_SUBSCRIPTION], SETTINGS_SRC_FLAG);
    assert_string_equal(e->profile.endpoint, "https://arm.flag.example");
    assert_int_equal(e->src[SETTINGS_F_ENDPOINT], SETTINGS_SRC_FLAG);
    assert_string_equal(e->profile.resource_group, "gpu-rg");

    settings_free(s);
    free(e);
}

static void test_resolve_errors(void **state)
{
    (void)state;
    struct settings *s = two_profiles();
    struct settings_effective *e = malloc(sizeof(*e));
    struct gp_error err;
    gp_error_clear(&err);

    struct settings_flags flags = {.profile = "staging"};
    assert_int_equal(settings_resolve(s, &flags, NULL, e, &err), GP_E_CONFIG);
    assert_string_equal(err.message, "--profile: profile \"staging\" is not defined in "
                                     "/cfg/gpup (known: lab, prod)");
    const char *env[] = {"GPUP_PROFILE=x", NULL};
    assert_int_equal(settings_resolve(NULL, NULL, env, e, &err), GP_E_CONFIG);
    assert_string_equal(err.message,
                        "GPUP_PROFILE: profile \"x\" is not defined (no config file)");

    const char *env2[] = {"GPUP_ENDPOINT=http://arm.example.com", NULL};
    assert_int_equal(settings_resolve(s, NULL, env2, e, &err), GP_E_CONFIG);
    assert_string_equal(err.message, "GPUP_ENDPOINT: plain http is allowed only for loopback "
                                     "addresses (localhost, 127.0.0.1, [::1]); use https");
    struct settings_flags bad_sub = {.subscription = "my-sub"};
    assert_int_equal(settings_resolve(s, &bad_sub, NULL, e, &err), GP_E_CONFIG);
    assert_string_equal(err.message, "--subscription: not a UUID "
                                     "(expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
    settings_free(s);
    free(e);
}

static void test_format_masks_secrets(void **state)
{
    (void)state;
    struct settings *s = two_profiles();
    struct settings_effective *e = malloc(sizeof(*e));
    struct gp_error err;
    struct gp_buf b;
    gp_error_clear(&err);
    gp_buf_init(&b, 1 << 20);
    assert_int_equal(settings_add_key(&s->ui, "filter", "/", "/cfg/gpup", 9, &err), GP_OK);
    assert_int_equal(settings_add_key(&s->ui, "quit", "q", "/cfg/gpup", 10, &err), GP_OK);
    assert_int_equal(settings_add_key(&s->ui, "filter", "f", "/cfg/gpup", 9, &err), GP_OK);
    assert_int_equal(settings_set_refresh(&s->ui, 10, &err), GP_OK);
    const char *env[] = {"GPUP_TOKEN=SENTINEL-8f3a-TOKEN", "GPUP_CLIENT_SECRET=SENTINEL-SECRET",
                         "GPUP_PROFILE=lab", "GPUP_CONFIG=/cfg/gpup", "HOME=/home/op", NULL};
    assert_int_equal(settings_resolve(s, NULL, env, e, &err), GP_OK);
    assert_int_equal(settings_format(e, &b), GP_OK);
    const char *text = gp_buf_str(&b);
    assert_null(strstr(text, "SENTINEL"));
    assert_string_equal(
        text,
        "# gpup effective configuration (command line > environment > config file > defaults)\n"
        "# config file: /cfg/gpup (GPUP_CONFIG)\n"
        "profile = \"lab\";  # environment\n"
        "profiles = {\n"
        "  lab = {\n"
        "    endpoint = \"https://management.azure.com\";  # default\n"
        "    authority = \"https://login.microsoftonline.com\";  # default\n"
        "    # tenant: unset\n"
        "    subscription = \"" SUB_A "\";  # config file\n"
        "    resource_group = \"gpu-rg\";  # config file\n"
        "    # custom_location: unset\n"
        "    api_version = \"2025-09-01-preview\";  # default\n"
        "    auth = \"token\";  # GPUP_TOKEN is set\n"
        "    # client_id: unset\n"
        "    # client_secret_file: unset\n"
        "    # certificate_file: unset\n"
        "    token_file = \"/home/op/tok\";  # config file\n"
        "    # ca_bundle: unset\n"
        "    # partition_size_mb: unset (service default)\n"
        "    # token: ******** (set in GPUP_TOKEN, masked)\n"
        "    # client_secret: ******** (set in GPUP_CLIENT_SECRET, masked)\n"
        "  };\n"
        "};\n"
        "ui = {\n"
        "  theme = \"dark\";  # default\n"
        "  refresh_seconds = 10;  # config file\n"
        "  mouse = false;  # default\n"
        "  group_by_resource_group = false;  # default\n"
        "  confirm = \"disruptive\";  # default\n"
        "  keys = {\n"
        "    filter = [\"/\", \"f\"];  # /cfg/gpup:9\n"
        "    quit = \"q\";  # /cfg/gpup:10\n"
        "  };\n"
        "};\n"
        "paths = {\n"
        "  state_dir = \"/home/op/.local/state/gpup\";  # default\n"
        "  # token_cache: unset (tokens stay in memory)\n"
        "  # log_file: unset (no request trace)\n"
        "};\n");
    gp_buf_cleanup(&b);
    settings_free(s);
    free(e);
}

/* ui.mouse: off by default, on from the file, and --mouse turns it on whatever the file says;
 * `config show` names where it came from. */
static void test_resolve_mouse(void **state)
{
    (void)state;
    struct settings *s = settings_new();
    struct settings_effective *e = malloc(sizeof(*e));
    struct gp_error err;
    struct gp_buf b;
    gp_error_clear(&err);
    const char *env[] = {"HOME=/h", NULL};
    static const struct settings_flags mouse_flag = {.mouse = true};

    assert_int_equal(settings_resolve(NULL, NULL, env, e, &err), GP_OK);
    assert_false(e->ui.mouse);
    assert_int_equal(settings_resolve(NULL, &mouse_flag, env, e, &err), GP_OK);
    assert_true(e->ui.mouse);
    gp_buf_init(&b, 1 << 20);
    assert_int_equal(settings_format(e, &b), GP_OK);
    assert_non_null(strstr(gp_buf_str(&b), "  mouse = true;  # command line\n"));
    gp_buf_cleanup(&b);

    s->ui.mouse = false; /* the file says false: the flag still wins */
    s->ui.set |= SETTINGS_UI_MOUSE;
    assert_int_equal(settings_resolve(s, &mouse_flag, env, e, &err), GP_OK);
    assert_true(e->ui.mouse);
    s->ui.mouse = true;
    assert_int_equal(settings_resolve(s, NULL, env, e, &err), GP_OK);
    assert_true(e->ui.mouse);
    gp_buf_init(&b, 1 << 20);
    assert_int_equal(settings_format(e, &b), GP_OK);
    assert_non_null(strstr(gp_buf_str(&b), "  mouse = true;  # config file\n"));
    gp_buf_cleanup(&b);
    settings_free(s);
    free(e);
}

static void test_ui_setters(void **state)
{
    (void)state;
    struct settings *s = settings_new();
    struct gp_error err;
    gp_error_clear(&err);
    assert_int_equal(settings_set_theme(&s->ui, "high-contrast", &err), GP_OK);
    assert_int_equal(settings_set_theme(&s->ui, "./my.theme", &err), GP_OK);
    assert_int_equal(settings_set_theme(&s->ui, "..", &err), GP_E_CONFIG);
    assert_int_equal(settings_set_theme(&s->ui, "a b", &err), GP_E_CONFIG);
    assert_int_equal(settings_set_confirm(&s->ui, "sometimes", &err), GP_E_CONFIG);
    assert_string_equal(err.message, "unknown confirm policy (use always, disruptive or never)");
    assert_int_equal(settings_set_confirm(&s->ui, "always", &err), GP_OK);
    assert_int_equal(s->ui.confirm, SETTINGS_CONFIRM_ALWAYS);
    assert_int_equal(settings_set_path(&s->paths, SETTINGS_PATHS_TOKEN_CACHE, "~/.cache/t", &err),
                     GP_OK);
    /* No path is an error like an empty one, not a crash; the setting keeps its value. */
    assert_int_equal(settings_set_path(&s->paths, SETTINGS_PATHS_TOKEN_CACHE, NULL, &err),
                     GP_E_CONFIG);
    assert_string_equal(err.message, "empty file name");
    assert_string_equal(s->paths.token_cache, "~/.cache/t");
    for (int i = 0; i < SETTINGS_MAX_KEYS; i++)
        assert_int_equal(settings_add_key(&s->ui, "a", "b", "f", i, &err), GP_OK);
    assert_int_equal(settings_add_key(&s->ui, "a", "b", "f", 0, &err), GP_E_CONFIG);
    struct settings_warnings w = {.count = 0};
    for (int i = 0; i < SETTINGS_MAX_WARNINGS + 2; i++)
        settings_warn(&w, "f:%d: warning: x", i);
    assert_int_equal(w.count, SETTINGS_MAX_WARNINGS);
    assert_int_equal(w.dropped, 2);
    assert_string_equal(w.lines[1], "f:1: warning: x");
    settings_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_url),
        cmocka_unit_test(test_check_uuid_and_api_version),
        cmocka_unit_test(test_profile_set_values),
        cmocka_unit_test(test_profile_one_sp_credential),
        cmocka_unit_test(test_enum_names),
        cmocka_unit_test(test_env_get_and_config_path),
        cmocka_unit_test(test_resolve_defaults_only),
        cmocka_unit_test(test_resolve_precedence),
        cmocka_unit_test(test_resolve_errors),
        cmocka_unit_test(test_format_masks_secrets),
        cmocka_unit_test(test_resolve_mouse),
        cmocka_unit_test(test_ui_setters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
