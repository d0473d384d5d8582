/* SPDX-License-Identifier: MIT
 * model/settings.c: settings defaults, value checks, precedence and `config show` text. */
#include "model/settings.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/text.h"

/* ---- names ---------------------------------------------------------------------------- */

#define SETTINGS_NAME_(id, name) name,
static const char *const auth_names[] = {SETTINGS_AUTH_METHODS(SETTINGS_NAME_)};
static const char *const confirm_names[] = {SETTINGS_CONFIRM_POLICIES(SETTINGS_NAME_)};
static const char *const source_names[] = {SETTINGS_SOURCES(SETTINGS_NAME_)};
static const char *const field_names[] = {SETTINGS_FIELDS(SETTINGS_NAME_)};
#undef SETTINGS_NAME_

const char *settings_auth_name(enum settings_auth a)
{
    return (unsigned)a < SETTINGS_AUTH_COUNT ? auth_names[a] : "?";
}

const char *settings_confirm_name(enum settings_confirm c)
{
    return (unsigned)c < SETTINGS_CONFIRM_COUNT ? confirm_names[c] : "?";
}

const char *settings_source_name(enum settings_source s)
{
    return (unsigned)s < SETTINGS_SRC_COUNT ? source_names[s] : "?";
}

const char *settings_field_name(enum settings_field f)
{
    return (unsigned)f < SETTINGS_F_COUNT ? field_names[f] : "?";
}

static bool name_lookup(const char *const *names, unsigned count, const char *name,
                        unsigned *out)
{
    for (unsigned i = 0; i < count; i++) {
        if (str_eq(names[i], name)) {
            *out = i;
            return true;
        }
    }
    return false;
}

bool settings_auth_parse(const char *name, enum settings_auth *out)
{
    unsigned i;
    if (!name_lookup(auth_names, SETTINGS_AUTH_COUNT, name, &i))
        return false;
    *out = (enum settings_auth)i;
    return true;
}

bool settings_confirm_parse(const char *name, enum settings_confirm *out)
{
    unsigned i;
    if (!name_lookup(confirm_names, SETTINGS_CONFIRM_COUNT, name, &i))
        return false;
    *out = (enum settings_confirm)i;
    return true;
}

bool settings_field_parse(const char *name, enum settings_field *out)
{
    unsigned i;
    if (!name_lookup(field_names, SETTINGS_F_COUNT, name, &i))
        return false;
    *out = (enum settings_field)i;
    return true;
}

/* ---- value checks ---------------------------------------------------------------------- */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool has_prefix_ci(const char *s, const char *prefix)
{
    for (; *prefix; s++, prefix++) {
        char a = *s, b = *prefix;
        if (a >= 'A' && a <= 'Z')
            a = (char)(a - 'A' + 'a');
        if (a != b) /* prefix is lower case */
            return false;
    }
    return true;
}

/* Case-insensitive search for a lower-case needle. */
static const char *find_ci(const char *hay, const char *needle)
{
    for (; *hay; hay++)
        if (has_prefix_ci(hay, needle))
            return hay;
    return NULL;
}

static bool has_control(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f)
            return true;
    }
    return false;
}

/* Parses a decimal in [0, max] from exactly n characters. */
static bool parse_decimal(const char *s, size_t n, long max, long *out)
{
    long v = 0;
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
        if (v > max)
            return false;
    }
    *out = v;
    return true;
}

static bool is_loopback_v4(const char *h, size_t n)
{
    long octet[4];
    size_t part = 0, start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || h[i] == '.') {
            if (part >= 4 || !parse_decimal(h + start, i - start, 255, &octet[part]))
                return false;
            part++;
            start = i + 1;
        }
    }
    return part == 4 && octet[0] == 127;
}

static bool is_loopback_host(const char *h, size_t n, bool bracketed)
{
    if (bracketed)
        return (n == 3 && memcmp(h, "::1", 3) == 0) ||
               (n == 15 && memcmp(h, "0:0:0:0:0:0:0:1", 15) == 0);
    if (n == 9 && has_prefix_ci(h, "localhost"))
        return true;
    return is_loopback_v4(h, n);
}

enum gp_status settings_check_url(const char *url, struct gp_error *err)
{
    if (!url || !*url)
        return gp_error_set(err, GP_E_CONFIG, "empty URL");
    for (const char *c = url; *c; c++)
        if ((unsigned char)*c <= 0x20 || *c == 0x7f)
            return gp_error_set(err, GP_E_CONFIG, "URL contains a space or control character");
    bool http = false;
    const char *p;
    if (has_prefix_ci(url, "https://")) {
        p = url + 8;
    } else if (has_prefix_ci(url, "http://")) {
        p = url + 7;
        http = true;
    } else {
        return gp_error_set(err, GP_E_CONFIG, "must be an https:// URL");
    }
    size_t alen = strcspn(p, "/?#");
    if (memchr(p, '@', alen))
        return gp_error_set(err, GP_E_CONFIG, "URL must not carry a user name or password");
    if (strpbrk(url, "?#"))
        return gp_error_set(err, GP_E_CONFIG, "URL must not carry a query or fragment");
    const char *host = p, *end = p + alen, *port = NULL;
    size_t hlen;
    bool bracketed = false;
    if (*p == '[') {
        const char *close = memchr(p, ']', alen);
        if (!close)
            return gp_error_set(err, GP_E_CONFIG, "URL has an unterminated [IPv6] host");
        host = p + 1;
        hlen = (size_t)(close - host);
        bracketed = true;
        for (size_t i = 0; i < hlen; i++)
            if (!is_hex(host[i]) && host[i] != ':' && host[i] != '.')
                return gp_error_set(err, GP_E_CONFIG, "URL has a malformed [IPv6] host");
        if (close + 1 < end) {
            if (close[1] != ':')
                return gp_error_set(err, GP_E_CONFIG, "URL has a malformed host");
            port = close + 2;
        }
    } else {
        const char *colon = memchr(p, ':', alen);
        hlen = colon ? (size_t)(colon - p) : alen;
        port = colon ? colon + 1 : NULL;
        for (size_t i = 0; i < hlen; i++)
            if (!is_alnum(host[i]) && host[i] != '-' && host[i] != '.')
                return gp_error_set(err, GP_E_CONFIG, "URL has a malformed host name");
    }
    if (hlen == 0)
        return gp_error_set(err, GP_E_CONFIG, "URL has no host");
    if (port) {
        long v;
        if (!parse_decimal(port, (size_t)(end - port), 65535, &v) || v == 0)
            return gp_error_set(err, GP_E_CONFIG, "URL has a bad port (1-65535)");
    }
    if (http && !is_loopback_host(host, hlen, bracketed))
        return gp_error_set(err, GP_E_CONFIG,
                            "plain http is allowed only for loopback addresses "
                            "(localhost, 127.0.0.1, [::1]); use https");
    return GP_OK;
}

enum gp_status settings_check_uuid(const char *s, struct gp_error *err)
{
    size_t n = s ? strlen(s) : 0;
    bool ok = n == 36;
    for (size_t i = 0; ok && i < n; i++)
        ok = (i == 8 || i == 13 || i == 18 || i == 23) ? s[i] == '-' : is_hex(s[i]);
    if (!ok)
        return gp_error_set(err, GP_E_CONFIG,
                            "not a UUID (expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
    return GP_OK;
}

enum gp_status settings_check_api_version(const char *s, struct gp_error *err)
{
    long y, m, d;
    size_t n = s ? strlen(s) : 0;
    bool ok = n >= 10 && parse_decimal(s, 4, 9999, &y) && s[4] == '-' &&
              parse_decimal(s + 5, 2, 99, &m) && s[7] == '-' && parse_decimal(s + 8, 2, 99, &d) &&
              y >= 2000 && m >= 1 && m <= 12 && d >= 1 && d <= 31;
    if (ok && n > 10) {
        ok = s[10] == '-' && n > 11 && n <= 32;
        for (size_t i = 11; ok && i < n; i++)
            ok = (s[i] >= 'a' && s[i] <= 'z') || is_digit(s[i]);
    }
    if (!ok)
        return gp_error_set(err, GP_E_CONFIG,
                            "not an api-version (expected YYYY-MM-DD or YYYY-MM-DD-preview)");
    return GP_OK;
}

enum gp_status settings_check_refresh(long seconds, struct gp_error *err)
{
    if (seconds < SETTINGS_REFRESH_MIN || seconds > SETTINGS_REFRESH_MAX)
        return gp_error_set(err, GP_E_CONFIG, "must be between %d (off) and %d seconds",
                            SETTINGS_REFRESH_MIN, SETTINGS_REFRESH_MAX);
    return GP_OK;
}

static enum gp_status check_resource_group(const char *s, struct gp_error *err)
{
    size_t n = strlen(s);
    bool ok = n >= 1 && n <= 90 && s[n - 1] != '.';
    for (size_t i = 0; ok && i < n; i++) {
        char c = s[i];
        ok = is_alnum(c) || c == '_' || c == '-' || c == '.' || c == '(' || c == ')' ||
             (unsigned char)c >= 0x80;
    }
    if (!ok)
        return gp_error_set(err, GP_E_CONFIG,
                            "not a resource group name (1-90 letters, digits, _ - . ( ), "
                            "not ending in .)");
    return GP_OK;
}

static bool is_plain_name(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
            return false;
    return true;
}

static enum gp_status check_custom_location(const char *s, struct gp_error *err)
{
    size_t n = strlen(s);
    if (s[0] != '/' && is_plain_name(s, n))
        return GP_OK;
    static const char mid[] = "/providers/microsoft.extendedlocation/customlocations/";
    const char *m = has_prefix_ci(s, "/subscriptions/") ? find_ci(s, mid) : NULL;
    if (m) {
        const char *name = m + sizeof(mid) - 1;
        if (is_plain_name(name, strlen(name)))
            return GP_OK;
    }
    return gp_error_set(err, GP_E_CONFIG,
                        "not a custom location (a name, or /subscriptions/.../providers/"
                        "Microsoft.ExtendedLocation/customLocations/NAME)");
}

static enum gp_status check_path(const char *s, struct gp_error *err)
{
    if (!s || !*s)
        return gp_error_set(err, GP_E_CONFIG, "empty file name");
    if (has_control(s))
        return gp_error_set(err, GP_E_CONFIG, "file name contains a control character");
    return GP_OK;
}

static enum gp_status check_auth(const char *s, struct gp_error *err)
{
    enum settings_auth a;
    if (settings_auth_parse(s, &a))
        return GP_OK;
    return gp_error_set(err, GP_E_CONFIG,
                        "unknown auth method (use auto, token, token-file, azure-cli, "
                        "service-principal, device-code or managed-identity)");
}

static enum gp_status check_partition(long v, struct gp_error *err)
{
    if (v < 1 || v > SETTINGS_PARTITION_MB_MAX)
        return gp_error_set(err, GP_E_CONFIG, "must be between 1 and %ld MB",
                            SETTINGS_PARTITION_MB_MAX);
    return GP_OK;
}

/* ---- profiles -------------------------------------------------------------------------- */

#define MEMBER(m) offsetof(struct settings_profile, m), sizeof(((struct settings_profile *)0)->m)

/* String fields: where they live and how they are checked. AUTH and PARTITION_SIZE_MB are
 * not strings (size 0). */
static const struct {
    size_t off, size;
    enum gp_status (*check)(const char *, struct gp_error *);
} fields[SETTINGS_F_COUNT] = {
    [SETTINGS_F_ENDPOINT] = {MEMBER(endpoint), settings_check_url},
    [SETTINGS_F_AUTHORITY] = {MEMBER(authority), settings_check_url},
    [SETTINGS_F_TENANT] = {MEMBER(tenant), settings_check_uuid},
    [SETTINGS_F_SUBSCRIPTION] = {MEMBER(subscription), settings_check_uuid},
    [SETTINGS_F_RESOURCE_GROUP] = {MEMBER(resource_group), check_resource_group},
    [SETTINGS_F_CUSTOM_LOCATION] = {MEMBER(custom_location), check_custom_location},
    [SETTINGS_F_API_VERSION] = {MEMBER(api_version), settings_check_api_version},
    [SETTINGS_F_AUTH] = {0, 0, check_auth},
    [SETTINGS_F_CLIENT_ID] = {MEMBER(client_id), settings_check_uuid},
    [SETTINGS_F_CLIENT_SECRET_FILE] = {MEMBER(client_secret_file), check_path},
    [SETTINGS_F_CERTIFICATE_FILE] = {MEMBER(certificate_file), check_path},
    [SETTINGS_F_TOKEN_FILE] = {MEMBER(token_file), check_path},
    [SETTINGS_F_CA_BUNDLE] = {MEMBER(ca_bundle), check_path},
    [SETTINGS_F_PARTITION_SIZE_MB] = {0, 0, NULL},
};
#undef MEMBER

void settings_profile_init(struct settings_profile *p, const char *name)
{
    memset(p, 0, sizeof(*p));
    p->auth = SETTINGS_AUTH_AUTO;
    if (name)
        (void)text_copy(p->name, sizeof(p->name), name); /* callers check the length */
}

enum gp_status settings_profile_set_long(struct settings_profile *p, enum settings_field f,
                                         long value, struct gp_error *err)
{
    if (f != SETTINGS_F_PARTITION_SIZE_MB)
        return gp_error_set(err, GP_E_CONFIG, "expected a string");
    GP_TRY(check_partition(value, err));
    p->partition_size_mb = value;
    p->set |= 1u << f;
    return GP_OK;
}

enum gp_status settings_profile_set(struct settings_profile *p, enum settings_field f,
                                    const char *value, struct gp_error *err)
{
    if ((unsigned)f >= SETTINGS_F_COUNT || !value)
        return gp_error_set(err, GP_E_INVALID, "no such setting");
    if (f == SETTINGS_F_PARTITION_SIZE_MB) {
        char *end;
        errno = 0;
        long v = strtol(value, &end, 10);
        if (errno || end == value || *end)
            return gp_error_set(err, GP_E_CONFIG, "expected a number of MB");
        return settings_profile_set_long(p, f, v, err);
    }
    GP_TRY(fields[f].check(value, err));
    if (f == SETTINGS_F_AUTH) {
        (void)settings_auth_parse(value, &p->auth); /* checked just above */
    } else {
        char *dst = (char *)p + fields[f].off;
        if (!text_copy(dst, fields[f].size, value)) {
            dst[0] = '\0';
            return gp_error_set(err, GP_E_CONFIG, "too long (at most %zu bytes)",
                                fields[f].size - 1);
        }
    }
    p->set |= 1u << f;
    return GP_OK;
}

enum gp_status settings_profile_check(const struct settings_profile *p, struct gp_error *err)
{
    /* `gpup login` refuses both flags together likewise (cli/args.c) */
    if (p->client_secret_file[0] && p->certificate_file[0])
        return gp_error_set(err, GP_E_CONFIG,
                            "client_secret_file and certificate_file name two credentials for "
                            "one service principal; keep one");
    return GP_OK;
}

const char *settings_profile_get(const struct settings_profile *p, enum settings_field f,
                                 char *dst, size_t n)
{
    if (n == 0)
        return dst;
    dst[0] = '\0';
    if ((unsigned)f >= SETTINGS_F_COUNT)
        return dst;
    if (f == SETTINGS_F_AUTH)
        (void)text_copy(dst, n, settings_auth_name(p->auth));
    else if (f == SETTINGS_F_PARTITION_SIZE_MB)
        snprintf(dst, n, "%ld", p->partition_size_mb);
    else
        (void)text_copy(dst, n, (const char *)p + fields[f].off);
    return dst;
}

/* ---- the settings ---------------------------------------------------------------------- */

static void ui_init(struct settings_ui *ui)
{
    memset(ui, 0, sizeof(*ui));
    (void)text_copy(ui->theme, sizeof(ui->theme), SETTINGS_DEFAULT_THEME);
    ui->refresh_seconds = SETTINGS_DEFAULT_REFRESH;
    ui->mouse = false;
    ui->confirm = SETTINGS_CONFIRM_DISRUPTIVE;
}

void settings_init(struct settings *s)
{
    memset(s, 0, sizeof(*s));
    ui_init(&s->ui);
}

struct settings *settings_new(void)
{
    struct settings *s = malloc(sizeof(*s));
    if (s)
        settings_init(s);
    return s;
}

void settings_free(struct settings *s)
{
    free(s);
}

const struct settings_profile *settings_profile_find(const struct settings *s, const char *name)
{
    if (!s || !name)
        return NULL;
    for (size_t i = 0; i < s->n_profiles; i++)
        if (str_eq(s->profiles[i].name, name))
            return &s->profiles[i];
    return NULL;
}

enum gp_status settings_add_profile(struct settings *s, const char *name,
                                    struct settings_profile **out_p, struct gp_error *err)
{
    if (!name || !*name || strlen(name) >= SETTINGS_NAME_MAX)
        return gp_error_set(err, GP_E_CONFIG, "profile names are 1-%d bytes",
                            SETTINGS_NAME_MAX - 1);
    if (settings_profile_find(s, name))
        return gp_error_set(err, GP_E_CONFIG, "profile \"%s\" is defined twice", name);
    if (s->n_profiles >= SETTINGS_MAX_PROFILES)
        return gp_error_set(err, GP_E_CONFIG, "too many profiles (at most %d)",
                            SETTINGS_MAX_PROFILES);
    struct settings_profile *p = &s->profiles[s->n_profiles++];
    settings_profile_init(p, name);
    *out_p = p;
    return GP_OK;
}

enum gp_status settings_add_key(struct settings_ui *ui, const char *action, const char *key,
                                const char *file, int line, struct gp_error *err)
{
    if (ui->n_keys >= SETTINGS_MAX_KEYS)
        return gp_error_set(err, GP_E_CONFIG, "too many key bindings (at most %d)",
                            SETTINGS_MAX_KEYS);
    struct settings_key *k = &ui->keys[ui->n_keys];
    if (!text_copy(k->action, sizeof(k->action), action) ||
        !text_copy(k->key, sizeof(k->key), key))
        return gp_error_set(err, GP_E_CONFIG, "key binding too long (at most %d bytes)",
                            SETTINGS_KEY_MAX - 1);
    (void)text_copy(k->file, sizeof(k->file), file ? file : ""); /* a long name is cut */
    k->line = line;
    ui->n_keys++;
    return GP_OK;
}

enum gp_status settings_set_theme(struct settings_ui *ui, const char *name, struct gp_error *err)
{
    size_t n = name ? strlen(name) : 0;
    bool ok = n > 0 && !has_control(name);
    if (ok && !strchr(name, '/'))
        ok = name[0] != '.' && n < SETTINGS_NAME_MAX && is_plain_name(name, n);
    if (!ok)
        return gp_error_set(err, GP_E_CONFIG,
                            "not a theme name (letters, digits, - _ .) or a file name "
                            "containing a /");
    if (!text_copy(ui->theme, sizeof(ui->theme), name))
        return gp_error_set(err, GP_E_CONFIG, "theme file name too long");
    ui->set |= SETTINGS_UI_THEME;
    return GP_OK;
}

enum gp_status settings_set_refresh(struct settings_ui *ui, long seconds, struct gp_error *err)
{
    GP_TRY(settings_check_refresh(seconds, err));
    ui->refresh_seconds = (int)seconds;
    ui->set |= SETTINGS_UI_REFRESH;
    return GP_OK;
}

enum gp_status settings_set_confirm(struct settings_ui *ui, const char *policy,
                                    struct gp_error *err)
{
    if (!settings_confirm_parse(policy, &ui->confirm))
        return gp_error_set(err, GP_E_CONFIG,
                            "unknown confirm policy (use always, disruptive or never)");
    ui->set |= SETTINGS_UI_CONFIRM;
    return GP_OK;
}

enum gp_status settings_set_path(struct settings_paths *paths, unsigned which, const char *path,
                                 struct gp_error *err)
{
    char *dst;
    switch (which) {
    case SETTINGS_PATHS_STATE_DIR:
        dst = paths->state_dir;
        break;
    case SETTINGS_PATHS_TOKEN_CACHE:
        dst = paths->token_cache;
        break;
    case SETTINGS_PATHS_LOG_FILE:
        dst = paths->log_file;
        break;
    default:
        return gp_error_set(err, GP_E_INVALID, "no such path setting");
    }
    if (!(path && !*path && which != SETTINGS_PATHS_STATE_DIR)) /* "" turns a file off */
        GP_TRY(check_path(path, err));
    if (!text_copy(dst, SETTINGS_PATH_MAX, path)) {
        dst[0] = '\0';
        return gp_error_set(err, GP_E_CONFIG, "file name too long");
    }
    paths->set |= which;
    return GP_OK;
}

void settings_warn(struct settings_warnings *w, const char *fmt, ...)
{
    if (!w)
        return;
    if (w->count >= SETTINGS_MAX_WARNINGS) {
        w->dropped++;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->lines[w->count++], SETTINGS_WARNING_MAX, fmt, ap);
    va_end(ap);
}

/* ---- environment and precedence --------------------------------------------------------- */

const char *settings_env_get(const char *const *env, const char *name)
{
    if (!env || !name)
        return NULL;
    size_t n = strlen(name);
    for (; *env; env++) {
        if (strncmp(*env, name, n) == 0 && (*env)[n] == '=')
            return (*env)[n + 1] ? *env + n + 1 : NULL;
    }
    return NULL;
}

static enum gp_status join_path(char *out, size_t n, const char *a, const char *b,
                                struct gp_error *err)
{
    int w = snprintf(out, n, "%s%s", a, b);
    if (w < 0 || (size_t)w >= n) {
        out[0] = '\0';
        return gp_error_set(err, GP_E_CONFIG, "file name too long: %s%s", a, b);
    }
    return GP_OK;
}

enum gp_status settings_config_path(const char *flag_config, const char *const *env, char *out,
                                    size_t n, enum settings_source *out_src, struct gp_error *err)
{
    const char *v;
    if (flag_config && *flag_config) {
        *out_src = SETTINGS_SRC_FLAG;
        return join_path(out, n, flag_config, "", err);
    }
    if ((v = settings_env_get(env, "GPUP_CONFIG"))) {
        *out_src = SETTINGS_SRC_ENV;
        return join_path(out, n, v, "", err);
    }
    *out_src = SETTINGS_SRC_DEFAULT;
    if ((v = settings_env_get(env, "XDG_CONFIG_HOME")) && v[0] == '/')
        return join_path(out, n, v, "/gpup/config", err);
    if ((v = settings_env_get(env, "HOME")))
        return join_path(out, n, v, "/.config/gpup/config", err);
    if (n)
        out[0] = '\0';
    return gp_error_set(err, GP_E_CONFIG,
                        "cannot find the config file: neither XDG_CONFIG_HOME nor HOME is set");
}

/* "~/x" -> "$HOME/x" in place (left alone without HOME or when it would not fit). */
static void expand_home(char *path, size_t n, const char *const *env)
{
    const char *home = settings_env_get(env, "HOME");
    if (!home || path[0] != '~' || path[1] != '/')
        return;
    char tmp[SETTINGS_PATH_MAX];
    int w = snprintf(tmp, sizeof(tmp), "%s%s", home, path + 1);
    if (w > 0 && (size_t)w < sizeof(tmp) && (size_t)w < n)
        memcpy(path, tmp, (size_t)w + 1);
}

static enum gp_status override(struct settings_effective *eff, enum settings_field f,
                               const char *value, enum settings_source src, const char *what,
                               struct gp_error *err)
{
    if (!value || !*value)
        return GP_OK;
    enum gp_status st = settings_profile_set(&eff->profile, f, value, err);
    if (st != GP_OK) {
        gp_error_prefix(err, "%s", what);
        return st;
    }
    eff->src[f] = src;
    return GP_OK;
}

static void list_profiles(const struct settings *s, char *dst, size_t n)
{
    size_t used = 0;
    dst[0] = '\0';
    for (size_t i = 0; s && i < s->n_profiles; i++) {
        int w = snprintf(dst + used, n - used, "%s%s", i ? ", " : "", s->profiles[i].name);
        if (w < 0 || (size_t)w >= n - used)
            break;
        used += (size_t)w;
    }
}

enum gp_status settings_resolve(const struct settings *s, const struct settings_flags *flags,
                                const char *const *env, struct settings_effective *out,
                                struct gp_error *err)
{
    static const struct settings_flags no_flags = {0};
    if (!flags)
        flags = &no_flags;
    memset(out, 0, sizeof(*out));

    /* Which profile. */
    const char *name = NULL, *env_profile = settings_env_get(env, "GPUP_PROFILE");
    const char *what = NULL;
    out->profile_src = SETTINGS_SRC_DEFAULT;
    if (flags->profile && *flags->profile) {
        name = flags->profile;
        out->profile_src = SETTINGS_SRC_FLAG;
        what = "--profile";
    } else if (env_profile) {
        name = env_profile;
        out->profile_src = SETTINGS_SRC_ENV;
        what = "GPUP_PROFILE";
    } else if (s && s->active[0]) {
        name = s->active;
        out->profile_src = SETTINGS_SRC_FILE;
        what = "profile";
    } else if (s && s->n_profiles == 1) {
        name = s->profiles[0].name;
        out->profile_src = SETTINGS_SRC_FILE;
    }
    const struct settings_profile *p = NULL;
    if (name) {
        p = settings_profile_find(s, name);
        if (!p) {
            char known[256];
            list_profiles(s, known, sizeof(known));
            if (!s || !s->file[0])
                return gp_error_set(err, GP_E_CONFIG,
                                    "%s: profile \"%s\" is not defined (no config file)", what,
                                    name);
            return gp_error_set(err, GP_E_CONFIG, "%s: profile \"%s\" is not defined in %s%s%s%s",
                                what, name, s->file, known[0] ? " (known: " : "", known,
                                known[0] ? ")" : "");
        }
    }

    /* Defaults, then the profile. */
    settings_profile_init(&out->profile, p ? p->name : "");
    (void)text_copy(out->profile.endpoint, sizeof(out->profile.endpoint),
                    SETTINGS_DEFAULT_ENDPOINT);
    (void)text_copy(out->profile.authority, sizeof(out->profile.authority),
                    SETTINGS_DEFAULT_AUTHORITY);
    (void)text_copy(out->profile.api_version, sizeof(out->profile.api_version),
                    SETTINGS_DEFAULT_API_VERSION);
    for (unsigned f = 0; f < SETTINGS_F_COUNT; f++)
        out->src[f] = SETTINGS_SRC_DEFAULT;
    if (p) {
        (void)text_copy(out->profile.file, sizeof(out->profile.file), p->file);
        out->profile.line = p->line;
        for (unsigned f = 0; f < SETTINGS_F_COUNT; f++) {
            if (!(p->set & (1u << f)))
                continue;
            if (f == SETTINGS_F_AUTH)
                out->profile.auth = p->auth;
            else if (f == SETTINGS_F_PARTITION_SIZE_MB)
                out->profile.partition_size_mb = p->partition_size_mb;
            else
                memcpy((char *)&out->profile + fields[f].off, (const char *)p + fields[f].off,
                       fields[f].size);
            out->src[f] = SETTINGS_SRC_FILE;
        }
    }

    /* The environment, then the flags. */
    GP_TRY(override(out, SETTINGS_F_ENDPOINT, settings_env_get(env, "GPUP_ENDPOINT"),
                    SETTINGS_SRC_ENV, "GPUP_ENDPOINT", err));
    GP_TRY(override(out, SETTINGS_F_SUBSCRIPTION, settings_env_get(env, "GPUP_SUBSCRIPTION"),
                    SETTINGS_SRC_ENV, "GPUP_SUBSCRIPTION", err));
    if (settings_env_get(env, "GPUP_TOKEN")) {
        out->token_env = true;
        out->profile.auth = SETTINGS_AUTH_TOKEN;
        out->src[SETTINGS_F_AUTH] = SETTINGS_SRC_ENV;
    }
    out->client_secret_env = settings_env_get(env, "GPUP_CLIENT_SECRET") != NULL;
    GP_TRY(override(out, SETTINGS_F_ENDPOINT, flags->endpoint, SETTINGS_SRC_FLAG, "--endpoint",
                    err));
    GP_TRY(override(out, SETTINGS_F_SUBSCRIPTION, flags->subscription, SETTINGS_SRC_FLAG,
                    "--subscription", err));
    out->profile.set = 0;
    expand_home(out->profile.client_secret_file, sizeof(out->profile.client_secret_file), env);
    expand_home(out->profile.certificate_file, sizeof(out->profile.certificate_file), env);
    expand_home(out->profile.token_file, sizeof(out->profile.token_file), env);
    expand_home(out->profile.ca_bundle, sizeof(out->profile.ca_bundle), env);

    /* UI and paths. */
    if (s)
        out->ui = s->ui;
    else
        ui_init(&out->ui);
    if (flags->mouse) {
        out->ui.mouse = true;
        out->ui_flags |= SETTINGS_UI_MOUSE;
    }
    if (!(out->ui.set & SETTINGS_UI_THEME) && settings_env_get(env, "NO_COLOR")) {
        (void)text_copy(out->ui.theme, sizeof(out->ui.theme), "monochrome");
        out->no_color = true;
    }
    if (s)
        out->paths = s->paths;
    if (!(out->paths.set & SETTINGS_PATHS_STATE_DIR)) {
        const char *v = settings_env_get(env, "XDG_STATE_HOME");
        const char *home = settings_env_get(env, "HOME");
        if (v && v[0] == '/')
            (void)join_path(out->paths.state_dir, sizeof(out->paths.state_dir), v, "/gpup",
                            NULL); /* too long: left empty, the journal is then off */
        else if (home)
            (void)join_path(out->paths.state_dir, sizeof(out->paths.state_dir), home,
                            "/.local/state/gpup", NULL);
    }
    expand_home(out->paths.state_dir, sizeof(out->paths.state_dir), env);
    expand_home(out->paths.token_cache, sizeof(out->paths.token_cache), env);
    expand_home(out->paths.log_file, sizeof(out->paths.log_file), env);

    /* Which config file was considered. */
    if (settings_config_path(flags->config, env, out->config_file, sizeof(out->config_file),
                             &out->config_src, NULL) != GP_OK)
        out->config_file[0] = '\0'; /* no HOME: nothing was looked for */
    if (s && s->file[0]) {
        (void)text_copy(out->config_file, sizeof(out->config_file), s->file);
        out->config_loaded = true;
    }
    return GP_OK;
}

/* ---- config show ----------------------------------------------------------------------- */

/* Appends s as a libconfig string literal. */
static enum gp_status put_quoted(struct gp_buf *b, const char *s)
{
    GP_TRY(gp_buf_append_str(b, "\""));
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            GP_TRY(gp_buf_printf(b, "\\%c", c));
        else if (c < 0x20 || c == 0x7f)
            GP_TRY(gp_buf_printf(b, "\\x%02x", c));
        else
            GP_TRY(gp_buf_append(b, s, 1));
    }
    return gp_buf_append_str(b, "\"");
}

static enum gp_status put_string(struct gp_buf *b, const char *indent, const char *key,
                                 const char *value, const char *comment)
{
    GP_TRY(gp_buf_printf(b, "%s%s = ", indent, key));
    GP_TRY(put_quoted(b, value));
    return gp_buf_printf(b, ";%s%s\n", comment ? "  # " : "", comment ? comment : "");
}

static const char *ui_src(const struct settings_effective *eff, unsigned bit)
{
    return settings_source_name(eff->ui_flags & bit ? SETTINGS_SRC_FLAG
                                : eff->ui.set & bit ? SETTINGS_SRC_FILE
                                                    : SETTINGS_SRC_DEFAULT);
}

static const char *paths_src(const struct settings_paths *p, unsigned bit)
{
    return settings_source_name(p->set & bit ? SETTINGS_SRC_FILE : SETTINGS_SRC_DEFAULT);
}

static enum gp_status format_keys(const struct settings_ui *ui, struct gp_buf *b)
{
    GP_TRY(gp_buf_append_str(b, "  keys = {\n"));
    for (size_t i = 0; i < ui->n_keys; i++) {
        const struct settings_key *k = &ui->keys[i];
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = str_eq(ui->keys[j].action, k->action);
        if (seen)
            continue;
        size_t count = 0;
        for (size_t j = i; j < ui->n_keys; j++)
            count += str_eq(ui->keys[j].action, k->action);
        GP_TRY(gp_buf_printf(b, "    %s = ", k->action));
        if (count > 1)
            GP_TRY(gp_buf_append_str(b, "["));
        size_t done = 0;
        for (size_t j = i; j < ui->n_keys; j++) {
            if (!str_eq(ui->keys[j].action, k->action))
                continue;
            GP_TRY(put_quoted(b, ui->keys[j].key));
            if (++done < count)
                GP_TRY(gp_buf_append_str(b, ", "));
        }
        GP_TRY(gp_buf_printf(b, "%s;  # %s:%d\n", count > 1 ? "]" : "", k->file, k->line));
    }
    return gp_buf_append_str(b, "  };\n");
}

enum gp_status settings_format(const struct settings_effective *eff, struct gp_buf *b)
{
    const struct settings_profile *p = &eff->profile;
    char val[SETTINGS_PATH_MAX];

    GP_TRY(gp_buf_append_str(b, "# gpup effective configuration "
                                "(command line > environment > config file > defaults)\n"));
    if (eff->config_file[0]) {
        GP_TRY(gp_buf_append_str(b, "# config file: "));
        GP_TRY(gp_buf_append_str(b, text_sanitize(val, sizeof(val), eff->config_file)));
        GP_TRY(gp_buf_printf(b, " (%s%s)\n",
                             eff->config_src == SETTINGS_SRC_FLAG  ? "--config"
                             : eff->config_src == SETTINGS_SRC_ENV ? "GPUP_CONFIG"
                                                                   : "default location",
                             eff->config_loaded ? "" : ", not present"));
    } else {
        GP_TRY(gp_buf_append_str(b, "# config file: none\n"));
    }
    if (p->name[0])
        GP_TRY(put_string(b, "", "profile", p->name, settings_source_name(eff->profile_src)));
    else
        GP_TRY(gp_buf_append_str(b, "# no profile selected: defaults and environment only\n"));
    GP_TRY(gp_buf_printf(b, "profiles = {\n  %s = {\n", p->name[0] ? p->name : "default"));
    for (unsigned f = 0; f < SETTINGS_F_COUNT; f++) {
        const char *src = settings_source_name(eff->src[f]);
        if (f == SETTINGS_F_PARTITION_SIZE_MB) {
            if (p->partition_size_mb > 0)
                GP_TRY(gp_buf_printf(b, "    partition_size_mb = %ld;  # %s\n",
                                     p->partition_size_mb, src));
            else
                GP_TRY(gp_buf_printf(b, "    # partition_size_mb: unset (service default)\n"));
            continue;
        }
        settings_profile_get(p, (enum settings_field)f, val, sizeof(val));
        if (!val[0]) {
            GP_TRY(gp_buf_printf(b, "    # %s: unset\n",
                                 settings_field_name((enum settings_field)f)));
            continue;
        }
        if (f == SETTINGS_F_AUTH && eff->token_env)
            src = "GPUP_TOKEN is set";
        GP_TRY(put_string(b, "    ", settings_field_name((enum settings_field)f), val, src));
    }
    GP_TRY(gp_buf_printf(b, "    # token: %s\n",
                         eff->token_env ? "******** (set in GPUP_TOKEN, masked)" : "not set"));
    GP_TRY(gp_buf_printf(b, "    # client_secret: %s\n",
                         eff->client_secret_env
                             ? "******** (set in GPUP_CLIENT_SECRET, masked)"
                             : p->client_secret_file[0] ? "read from client_secret_file"
                                                        : "not set"));
    GP_TRY(gp_buf_append_str(b, "  };\n};\n"));

    const struct settings_ui *ui = &eff->ui;
    GP_TRY(gp_buf_append_str(b, "ui = {\n"));
    GP_TRY(put_string(b, "  ", "theme", ui->theme,
                      eff->no_color ? "NO_COLOR is set" : ui_src(eff, SETTINGS_UI_THEME)));
    GP_TRY(gp_buf_printf(b, "  refresh_seconds = %d;  # %s\n", ui->refresh_seconds,
                         ui_src(eff, SETTINGS_UI_REFRESH)));
    GP_TRY(gp_buf_printf(b, "  mouse = %s;  # %s\n", ui->mouse ? "true" : "false",
                         ui_src(eff, SETTINGS_UI_MOUSE)));
    GP_TRY(gp_buf_printf(b, "  group_by_resource_group = %s;  # %s\n",
                         ui->group_by_rg ? "true" : "false", ui_src(eff, SETTINGS_UI_GROUP)));
    GP_TRY(put_string(b, "  ", "confirm", settings_confirm_name(ui->confirm),
                      ui_src(eff, SETTINGS_UI_CONFIRM)));
    GP_TRY(format_keys(ui, b));
    GP_TRY(gp_buf_append_str(b, "};\n"));

    const struct settings_paths *pa = &eff->paths;
    GP_TRY(gp_buf_append_str(b, "paths = {\n"));
    GP_TRY(put_string(b, "  ", "state_dir", pa->state_dir,
                      paths_src(pa, SETTINGS_PATHS_STATE_DIR)));
    if (pa->token_cache[0])
        GP_TRY(put_string(b, "  ", "token_cache", pa->token_cache,
                          paths_src(pa, SETTINGS_PATHS_TOKEN_CACHE)));
    else
        GP_TRY(gp_buf_append_str(b, "  # token_cache: unset (tokens stay in memory)\n"));
    if (pa->log_file[0])
        GP_TRY(put_string(b, "  ", "log_file", pa->log_file,
                          paths_src(pa, SETTINGS_PATHS_LOG_FILE)));
    else
        GP_TRY(gp_buf_append_str(b, "  # log_file: unset (no request trace)\n"));
    return gp_buf_append_str(b, "};\n");
}
