/* SPDX-License-Identifier: MIT
 * config/theme.c: theme files (libconfig) to struct theme, and the theme search path. */
#include "config/theme.h"

#include <errno.h>
#include <libconfig.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/text.h"

static enum gp_status load_named(struct theme *out, const char *name,
                                 const struct theme_search *search, int depth,
                                 struct settings_warnings *warn, struct gp_error *err);

static const char *src_file(const config_setting_t *st, const char *path)
{
    const char *f = config_setting_source_file(st);
    return f ? f : path;
}

static enum gp_status fail_at(const config_setting_t *st, const char *path, const char *key,
                              struct gp_error *err)
{
    gp_error_prefix(err, "%s:%d: %s", src_file(st, path), (int)config_setting_source_line(st),
                    key);
    return GP_E_CONFIG;
}

static enum gp_status type_error(const config_setting_t *st, const char *path, const char *key,
                                 const char *want, struct gp_error *err)
{
    return gp_error_set(err, GP_E_CONFIG, "%s:%d: %s: expected %s", src_file(st, path),
                        (int)config_setting_source_line(st), key, want);
}

static enum gp_status color_value(const config_setting_t *st, const char *path, const char *key,
                                  int32_t *out, struct gp_error *err)
{
    int type = config_setting_type(st);
    if (type == CONFIG_TYPE_INT) {
        int v = config_setting_get_int(st);
        if (v < 0 || v > 255)
            return gp_error_set(err, GP_E_CONFIG, "%s:%d: %s: colour index %d out of 0-255",
                                src_file(st, path), (int)config_setting_source_line(st), key, v);
        *out = v;
        return GP_OK;
    }
    if (type != CONFIG_TYPE_STRING)
        return type_error(st, path, key, "a colour (a name, 0-255 or \"#rrggbb\")", err);
    if (theme_color_parse(config_setting_get_string(st), out, err) != GP_OK)
        return fail_at(st, path, key, err);
    return GP_OK;
}

/* { fg = ...; bg = ...; attrs = "bold" or ["bold", "underline"]; } */
static enum gp_status style_group(const config_setting_t *group, const char *path,
                                  const char *role, struct theme_style *out,
                                  struct settings_warnings *warn, struct gp_error *err)
{
    struct theme_style s = {THEME_COLOR_DEFAULT, THEME_COLOR_DEFAULT, 0};
    int n = config_setting_length(group);
    for (int i = 0; i < n; i++) {
        const config_setting_t *st = config_setting_get_elem(group, (unsigned)i);
        const char *key = config_setting_name(st);
        char keypath[128];
        snprintf(keypath, sizeof(keypath), "%s.%s", role, key);
        if (str_eq(key, "fg")) {
            GP_TRY(color_value(st, path, keypath, &s.fg, err));
        } else if (str_eq(key, "bg")) {
            GP_TRY(color_value(st, path, keypath, &s.bg, err));
        } else if (str_eq(key, "attrs")) {
            int type = config_setting_type(st);
            int m = type == CONFIG_TYPE_STRING ? 1 : config_setting_length(st);
            if (type != CONFIG_TYPE_STRING && type != CONFIG_TYPE_ARRAY &&
                type != CONFIG_TYPE_LIST)
                return type_error(st, path, keypath, "attribute names", err);
            for (int j = 0; j < m; j++) {
                const config_setting_t *a =
                    type == CONFIG_TYPE_STRING ? st : config_setting_get_elem(st, (unsigned)j);
                struct theme_style only;
                if (config_setting_type(a) != CONFIG_TYPE_STRING)
                    return type_error(a, path, keypath, "attribute names", err);
                if (theme_style_parse(config_setting_get_string(a), &only, err) != GP_OK)
                    return fail_at(a, path, keypath, err);
                if (only.fg != THEME_COLOR_DEFAULT || only.bg != THEME_COLOR_DEFAULT)
                    return gp_error_set(err, GP_E_CONFIG,
                                        "%s:%d: %s: colours go in fg and bg, not attrs",
                                        src_file(a, path), (int)config_setting_source_line(a),
                                        keypath);
                s.attrs |= only.attrs;
            }
        } else {
            settings_warn(warn, "%s:%d: warning: unknown key \"%s\" in role \"%s\" (ignored)",
                          src_file(st, path), (int)config_setting_source_line(st), key, role);
        }
    }
    *out = s;
    return GP_OK;
}

static enum gp_status load_file(struct theme *out, const char *path,
                                const struct theme_search *search, int depth,
                                struct settings_warnings *warn, struct gp_error *err)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return gp_error_set(err, GP_E_CONFIG, "%s: cannot read: %s", path, strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return gp_error_set(err, GP_E_CONFIG, "%s: not a regular file", path);
    if (sb.st_size > THEME_FILE_MAX)
        return gp_error_set(err, GP_E_CONFIG, "%s: larger than %ld bytes", path, THEME_FILE_MAX);

    config_t cfg;
    config_init(&cfg);
    enum gp_status st = GP_OK;
    if (config_read_file(&cfg, path) != CONFIG_TRUE) {
        const char *file = config_error_file(&cfg);
        if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO && !file)
            st = gp_error_set(err, GP_E_CONFIG, "%s: cannot read: %s", path,
                              config_error_text(&cfg));
        else
            st = gp_error_set(err, GP_E_CONFIG, "%s:%d: %s", file ? file : path,
                              config_error_line(&cfg), config_error_text(&cfg));
        goto done;
    }

    /* The base first, wherever `inherits` stands in the file. */
    const config_setting_t *root = config_root_setting(&cfg);
    const config_setting_t *inh = config_setting_get_member(root, "inherits");
    if (inh) {
        if (config_setting_type(inh) != CONFIG_TYPE_STRING) {
            st = type_error(inh, path, "inherits", "a theme name", err);
            goto done;
        }
        if (depth >= THEME_INHERIT_DEPTH) {
            st = gp_error_set(err, GP_E_CONFIG, "%s:%d: inherits: more than %d levels (a loop?)",
                              src_file(inh, path), (int)config_setting_source_line(inh),
                              THEME_INHERIT_DEPTH);
            goto done;
        }
        st = load_named(out, config_setting_get_string(inh), search, depth + 1, warn, err);
        if (st != GP_OK) {
            gp_error_prefix(err, "%s:%d: inherits", src_file(inh, path),
                            (int)config_setting_source_line(inh));
            goto done;
        }
        out->set = 0;
    } else {
        theme_init_default(out);
    }
    /* The name: the file's `name`, else the file name without .theme. */
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t blen = strlen(base);
    if (blen > 6 && str_eq(base + blen - 6, ".theme"))
        blen -= 6;
    if (blen >= sizeof(out->name))
        blen = sizeof(out->name) - 1;
    memcpy(out->name, base, blen);
    out->name[blen] = '\0';

    int n = config_setting_length(root);
    for (int i = 0; i < n; i++) {
        const config_setting_t *s = config_setting_get_elem(root, (unsigned)i);
        const char *key = config_setting_name(s);
        enum theme_role role;
        if (str_eq(key, "inherits"))
            continue;
        if (str_eq(key, "name") || str_eq(key, "description")) {
            if (config_setting_type(s) != CONFIG_TYPE_STRING) {
                st = type_error(s, path, key, "a string", err);
                goto done;
            }
            if (str_eq(key, "name"))
                (void)text_copy(out->name, sizeof(out->name), config_setting_get_string(s));
            continue;
        }
        if (!theme_role_parse(key, &role)) {
            settings_warn(warn, "%s:%d: warning: unknown role \"%s\" (ignored)",
                          src_file(s, path), (int)config_setting_source_line(s), key);
            continue;
        }
        int type = config_setting_type(s);
        if (type == CONFIG_TYPE_STRING) {
            if (theme_style_parse(config_setting_get_string(s), &out->roles[role], err) !=
                GP_OK) {
                st = fail_at(s, path, key, err);
                goto done;
            }
        } else if (type == CONFIG_TYPE_GROUP) {
            st = style_group(s, path, key, &out->roles[role], warn, err);
            if (st != GP_OK)
                goto done;
        } else {
            st = type_error(s, path, key, "a style such as \"bold white on blue\"", err);
            goto done;
        }
        out->set |= 1u << role;
    }
done:
    config_destroy(&cfg);
    return st;
}

enum gp_status theme_load_file(struct theme *out, const char *path,
                               const struct theme_search *search,
                               struct settings_warnings *warn, struct gp_error *err)
{
    struct theme t;
    GP_TRY(load_file(&t, path, search, 0, warn, err));
    *out = t;
    return GP_OK;
}

static bool valid_name(const char *name)
{
    if (!name || !*name || name[0] == '.' || strlen(name) >= SETTINGS_NAME_MAX)
        return false;
    for (const char *c = name; *c; c++) {
        bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                  (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' || *c == '.';
        if (!ok)
            return false;
    }
    return true;
}

static enum gp_status load_named(struct theme *out, const char *name,
                                 const struct theme_search *search, int depth,
                                 struct settings_warnings *warn, struct gp_error *err)
{
    if (name && strchr(name, '/'))
        return load_file(out, name, search, depth, warn, err);
    if (!valid_name(name))
        return gp_error_set(err, GP_E_CONFIG, "bad theme name \"%s\"", name ? name : "");
    char dirs[3][SETTINGS_PATH_MAX];
    static const struct theme_search none = {0};
    if (!search)
        search = &none;
    size_t n = theme_search_dirs(search->env, search->install_dir, search->source_dir, dirs);
    char looked[1024] = "";
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        char path[SETTINGS_PATH_MAX + SETTINGS_NAME_MAX + 8];
        snprintf(path, sizeof(path), "%s/%s.theme", dirs[i], name);
        if (access(path, F_OK) == 0)
            return load_file(out, path, search, depth, warn, err);
        int w = snprintf(looked + used, sizeof(looked) - used, "%s%s", i ? ", " : "", dirs[i]);
        if (w > 0 && (size_t)w < sizeof(looked) - used)
            used += (size_t)w;
    }
    return gp_error_set(err, GP_E_NOT_FOUND, "theme \"%s\" not found in %s", name,
                        n ? looked : "(no theme directories)");
}

enum gp_status theme_load(struct theme *out, const char *name, const struct theme_search *search,
                          struct settings_warnings *warn, struct gp_error *err)
{
    struct theme t;
    GP_TRY(load_named(&t, name, search, 0, warn, err));
    *out = t;
    return GP_OK;
}
