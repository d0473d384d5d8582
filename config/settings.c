/* SPDX-License-Identifier: MIT
 * config/settings.c: the libconfig walk from a config file to struct settings. */
#include "config/settings.h"

#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/text.h"

/* What the walk needs at hand. */
struct walk {
    struct settings *s;
    struct settings_warnings *warn;
    struct gp_error *err;
    const char *path; /* the top file, for settings libconfig gives no file for */
    const char *dir;  /* its directory, where relative @include names are found */
    char buf[SETTINGS_PATH_MAX];
};

/* The file st came from: libconfig records an @include by the name written, so a relative
 * one is shown under the include directory. */
static const char *shown_file(const char *path, const char *dir, const char *f, char *buf,
                              size_t size)
{
    if (!f || str_eq(f, path))
        return path;
    if (f[0] == '/')
        return f;
    int n = snprintf(buf, size, "%s/%s", dir, f);
    return n > 0 && (size_t)n < size ? buf : f;
}

static const char *where_file(struct walk *w, const config_setting_t *st)
{
    return shown_file(w->path, w->dir, config_setting_source_file(st), w->buf, sizeof(w->buf));
}

static int where_line(const config_setting_t *st)
{
    return (int)config_setting_source_line(st);
}

static const char *type_name(int type)
{
    switch (type) {
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        return "an integer";
    case CONFIG_TYPE_FLOAT:
        return "a number with a fraction";
    case CONFIG_TYPE_STRING:
        return "a string";
    case CONFIG_TYPE_BOOL:
        return "true or false";
    case CONFIG_TYPE_GROUP:
        return "a group { ... }";
    case CONFIG_TYPE_ARRAY:
        return "an array [ ... ]";
    case CONFIG_TYPE_LIST:
        return "a list ( ... )";
    default:
        return "an unknown type";
    }
}

/* "FILE:LINE: KEYPATH: message" for the setting st; returns GP_E_CONFIG. */
static enum gp_status fail_at(struct walk *w, const config_setting_t *st, const char *keypath,
                              const char *msg)
{
    return gp_error_set(w->err, GP_E_CONFIG, "%s:%d: %s: %s", where_file(w, st), where_line(st),
                        keypath, msg);
}

/* Prefixes a model check's message with the place and key. */
static enum gp_status fail_check(struct walk *w, const config_setting_t *st, const char *keypath,
                                 enum gp_status st_code)
{
    if (st_code == GP_OK)
        return GP_OK;
    gp_error_prefix(w->err, "%s:%d: %s", where_file(w, st), where_line(st), keypath);
    return st_code;
}

static enum gp_status want_type(struct walk *w, const config_setting_t *st, const char *keypath,
                                int type)
{
    int have = config_setting_type(st);
    if (have == type || (type == CONFIG_TYPE_INT && have == CONFIG_TYPE_INT64))
        return GP_OK;
    char msg[128];
    snprintf(msg, sizeof(msg), "expected %s, found %s", type_name(type), type_name(have));
    return fail_at(w, st, keypath, msg);
}

static void warn_unknown(struct walk *w, const config_setting_t *st, const char *where)
{
    settings_warn(w->warn, "%s:%d: warning: unknown key \"%s\" in %s (ignored)",
                  where_file(w, st), where_line(st), config_setting_name(st), where);
}

static long long setting_int(const config_setting_t *st)
{
    if (config_setting_type(st) == CONFIG_TYPE_INT64)
        return config_setting_get_int64(st);
    return config_setting_get_int(st);
}

/* An int64 as a long, clamped where long is narrower (the range checks then refuse it). */
static long clamp_long(long long v)
{
    if (v > LONG_MAX)
        return LONG_MAX;
    if (v < LONG_MIN)
        return LONG_MIN;
    return (long)v;
}

static enum gp_status walk_profile(struct walk *w, const config_setting_t *group)
{
    const char *pname = config_setting_name(group);
    char keypath[256];
    snprintf(keypath, sizeof(keypath), "profiles.%s", pname);
    GP_TRY(want_type(w, group, keypath, CONFIG_TYPE_GROUP));
    struct settings_profile *p;
    GP_TRY(fail_check(w, group, keypath, settings_add_profile(w->s, pname, &p, w->err)));
    (void)text_copy(p->file, sizeof(p->file), where_file(w, group)); /* a long name is cut */
    p->line = where_line(group);

    int n = config_setting_length(group);
    for (int i = 0; i < n; i++) {
        const config_setting_t *st = config_setting_get_elem(group, (unsigned)i);
        const char *key = config_setting_name(st);
        snprintf(keypath, sizeof(keypath), "profiles.%s.%s", pname, key);
        if (str_eq(key, "client_secret"))
            return fail_at(w, st, keypath,
                           "secrets are not read from the config file; name a file with "
                           "client_secret_file or set GPUP_CLIENT_SECRET");
        if (str_eq(key, "token"))
            return fail_at(w, st, keypath,
                           "tokens are not read from the config file; name a file with "
                           "token_file or set GPUP_TOKEN");
        enum settings_field f;
        if (!settings_field_parse(key, &f)) {
            char in[128];
            snprintf(in, sizeof(in), "profile \"%s\"", pname);
            warn_unknown(w, st, in);
            continue;
        }
        if (f == SETTINGS_F_PARTITION_SIZE_MB) {
            GP_TRY(want_type(w, st, keypath, CONFIG_TYPE_INT));
            GP_TRY(fail_check(w, st, keypath,
                              settings_profile_set_long(p, f, clamp_long(setting_int(st)),
                                                        w->err)));
            continue;
        }
        GP_TRY(want_type(w, st, keypath, CONFIG_TYPE_STRING));
        GP_TRY(fail_check(w, st, keypath,
                          settings_profile_set(p, f, config_setting_get_string(st), w->err)));
    }
    /* reported at the certificate_file line: the key that makes the pair */
    const config_setting_t *cert = config_setting_get_member(group, "certificate_file");
    snprintf(keypath, sizeof(keypath), "profiles.%s%s", pname, cert ? ".certificate_file" : "");
    return fail_check(w, cert ? cert : group, keypath, settings_profile_check(p, w->err));
}

static enum gp_status walk_keys(struct walk *w, const config_setting_t *group)
{
    GP_TRY(want_type(w, group, "ui.keys", CONFIG_TYPE_GROUP));
    int n = config_setting_length(group);
    for (int i = 0; i < n; i++) {
        const config_setting_t *st = config_setting_get_elem(group, (unsigned)i);
        const char *action = config_setting_name(st);
        char keypath[256];
        snprintf(keypath, sizeof(keypath), "ui.keys.%s", action);
        int type = config_setting_type(st);
        if (type == CONFIG_TYPE_STRING) {
            GP_TRY(fail_check(w, st, keypath,
                              settings_add_key(&w->s->ui, action, config_setting_get_string(st),
                                               where_file(w, st), where_line(st), w->err)));
            continue;
        }
        if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST)
            return fail_at(w, st, keypath, "expected a key or an array of keys, such as \"q\" "
                                           "or [\"q\", \"<F10>\"]");
        int m = config_setting_length(st);
        for (int j = 0; j < m; j++) {
            const config_setting_t *k = config_setting_get_elem(st, (unsigned)j);
            GP_TRY(want_type(w, k, keypath, CONFIG_TYPE_STRING));
            GP_TRY(fail_check(w, k, keypath,
                              settings_add_key(&w->s->ui, action, config_setting_get_string(k),
                                               where_file(w, k), where_line(k), w->err)));
        }
    }
    return GP_OK;
}

static enum gp_status walk_ui(struct walk *w, const config_setting_t *group)
{
    GP_TRY(want_type(w, group, "ui", CONFIG_TYPE_GROUP));
    struct settings_ui *ui = &w->s->ui;
    int n = config_setting_length(group);
    for (int i = 0; i < n; i++) {
        const config_setting_t *st = config_setting_get_elem(group, (unsigned)i);
        const char *key = config_setting_name(st);
        char keypath[128];
        snprintf(keypath, sizeof(keypath), "ui.%s", key);
        if (str_eq(key, "theme")) {
            GP_TRY(want_type(w, st, keypath, CONFIG_TYPE_STRING));
            GP_TRY(fail_check(w, st, keypath,
                              settings_set_theme(ui, config_setting_get_string(st), w->err)));
        } else if (str_eq(key, "refresh_seconds")) {
            GP_TRY(want_type(w, st, keypath, CONFIG_TYPE_INT));
            GP_TRY(fail_check(w, st, keypath,
                              settings_set_refresh(ui, clamp_long(setting_int(st)), w->err)));
        } else if (str_eq(key, "mouse")) {
            GP_TRY(want_type(w, st, keypath, CONFIG_TYPE_BOOL));
            ui->mouse = config_setting_get_bool(st) != 0;
            ui->set |= SETTINGS_UI_MOUSE;
        } else if (str_eq(key, "group_by_resource_group")) {
            GP_TRY(want_type(w, st, keypath, CONFIG_TYPE_BOOL));
            ui->group_by_rg = config_setting_get_bool(st) != 0;
            ui->set |= SETTINGS_UI_GROUP;
        } else if (str_eq(key, "confirm")) {
            GP_TRY(want_type(w, st, keypath, CONFIG_TYPE_STRING));
            GP_TRY(fail_check(w, st, keypath,
                              settings_set_confirm(ui, config_setting_get_string(st), w->err)));
        } else if (str_eq(key, "keys")) {
            GP_TRY(walk_keys(w, st));
        } else {
            warn_unknown(w, st, "ui");
        }
    }
    return GP_OK;
}

static enum gp_status walk_paths(struct walk *w, const config_setting_t *group)
{
    static const struct {
        const char *key;
        unsigned bit;
    } keys[] = {
        {"state_dir", SETTINGS_PATHS_STATE_DIR},
        {"token_cache", SETTINGS_PATHS_TOKEN_CACHE},
        {"log_file", SETTINGS_PATHS_LOG_FILE},
    };
    GP_TRY(want_type(w, group, "paths", CONFIG_TYPE_GROUP));
    int n = config_setting_length(group);
    for (int i = 0; i < n; i++) {
        const config_setting_t *st = config_setting_get_elem(group, (unsigned)i);
        const char *key = config_setting_name(st);
        char keypath[128];
        snprintf(keypath, sizeof(keypath), "paths.%s", key);
        size_t k = 0;
        while (k < sizeof(keys) / sizeof(keys[0]) && !str_eq(keys[k].key, key))
            k++;
        if (k == sizeof(keys) / sizeof(keys[0])) {
            warn_unknown(w, st, "paths");
            continue;
        }
        GP_TRY(want_type(w, st, keypath, CONFIG_TYPE_STRING));
        GP_TRY(fail_check(w, st, keypath,
                          settings_set_path(&w->s->paths, keys[k].bit,
                                            config_setting_get_string(st), w->err)));
    }
    return GP_OK;
}

static enum gp_status walk_root(struct walk *w, const config_setting_t *root)
{
    const config_setting_t *active = NULL;
    int n = config_setting_length(root);
    for (int i = 0; i < n; i++) {
        const config_setting_t *st = config_setting_get_elem(root, (unsigned)i);
        const char *key = config_setting_name(st);
        if (str_eq(key, "profile")) {
            GP_TRY(want_type(w, st, key, CONFIG_TYPE_STRING));
            if (!text_copy(w->s->active, sizeof(w->s->active), config_setting_get_string(st)))
                return fail_at(w, st, key, "profile name too long");
            active = st;
        } else if (str_eq(key, "profiles")) {
            GP_TRY(want_type(w, st, key, CONFIG_TYPE_GROUP));
            int m = config_setting_length(st);
            for (int j = 0; j < m; j++)
                GP_TRY(walk_profile(w, config_setting_get_elem(st, (unsigned)j)));
        } else if (str_eq(key, "ui")) {
            GP_TRY(walk_ui(w, st));
        } else if (str_eq(key, "paths")) {
            GP_TRY(walk_paths(w, st));
        } else if (str_eq(key, "client_secret") || str_eq(key, "token")) {
            return fail_at(w, st, key, "secrets are not read from the config file; use a file "
                                       "(client_secret_file, token_file) or the environment");
        } else {
            warn_unknown(w, st, "the top level");
        }
    }
    if (active && !settings_profile_find(w->s, w->s->active)) {
        char msg[160];
        snprintf(msg, sizeof(msg), "\"%s\" is not defined in profiles", w->s->active);
        return fail_at(w, active, "profile", msg);
    }
    return GP_OK;
}

/* The directory part of path, for @include (config_set_include_dir). */
static void dir_of(char *dst, size_t n, const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        (void)text_copy(dst, n, ".");
        return;
    }
    size_t len = (size_t)(slash - path);
    if (len == 0)
        len = 1; /* "/config" -> "/" */
    if (len >= n)
        len = n - 1;
    memcpy(dst, path, len);
    dst[len] = '\0';
}

enum gp_status settings_load_file(struct settings *s, const char *path, bool must_exist,
                                  struct settings_warnings *warn, struct gp_error *err)
{
    settings_init(s);
    struct stat sb;
    if (stat(path, &sb) != 0) {
        if (errno == ENOENT && !must_exist)
            return GP_OK;
        return gp_error_set(err, GP_E_CONFIG, "%s: cannot read: %s", path, strerror(errno));
    }
    if (!S_ISREG(sb.st_mode))
        return gp_error_set(err, GP_E_CONFIG, "%s: not a regular file", path);
    if (sb.st_size > SETTINGS_FILE_MAX)
        return gp_error_set(err, GP_E_CONFIG, "%s: larger than %ld bytes", path,
                            SETTINGS_FILE_MAX);
    if (access(path, R_OK) != 0)
        return gp_error_set(err, GP_E_CONFIG, "%s: cannot read: %s", path, strerror(errno));
    if (!text_copy(s->file, sizeof(s->file), path))
        return gp_error_set(err, GP_E_CONFIG, "%s: file name too long", path);

    config_t cfg;
    char dir[SETTINGS_PATH_MAX];
    config_init(&cfg);
    dir_of(dir, sizeof(dir), path);
    config_set_include_dir(&cfg, dir);
    enum gp_status st = GP_OK;
    if (config_read_file(&cfg, path) != CONFIG_TRUE) {
        const char *file = config_error_file(&cfg);
        char buf[SETTINGS_PATH_MAX];
        if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO && !file)
            st = gp_error_set(err, GP_E_CONFIG, "%s: cannot read: %s", path,
                              config_error_text(&cfg));
        else
            st = gp_error_set(err, GP_E_CONFIG, "%s:%d: %s",
                              shown_file(path, dir, file, buf, sizeof(buf)),
                              config_error_line(&cfg), config_error_text(&cfg));
    } else {
        struct walk w = {.s = s, .warn = warn, .err = err, .path = path, .dir = dir};
        st = walk_root(&w, config_root_setting(&cfg));
    }
    config_destroy(&cfg);
    if (st != GP_OK)
        s->file[0] = '\0';
    return st;
}

enum gp_status settings_load_string(struct settings *s, const char *text, size_t len,
                                    struct settings_warnings *warn, struct gp_error *err)
{
    settings_init(s);
    if (len > (size_t)SETTINGS_FILE_MAX)
        return gp_error_set(err, GP_E_CONFIG, "%s: larger than %ld bytes", SETTINGS_STRING_NAME,
                            SETTINGS_FILE_MAX);
    char *copy = malloc(len + 1);
    if (!copy)
        return gp_error_set(err, GP_E_NOMEM, "%s: out of memory", SETTINGS_STRING_NAME);
    if (len)
        memcpy(copy, text, len);
    copy[len] = '\0';
    enum gp_status st = GP_OK;
    /* libconfig would read an @include relative to the working directory: refuse it. Text
     * after a NUL byte is not read by libconfig, so that is refused as well. */
    const char *include = strstr(copy, "@include");
    if (strlen(copy) != len) {
        st = gp_error_set(err, GP_E_CONFIG, "%s: contains a NUL byte", SETTINGS_STRING_NAME);
    } else if (include) {
        int line = 1;
        for (const char *c = copy; (c = memchr(c, '\n', (size_t)(include - c))) != NULL; c++)
            line++;
        st = gp_error_set(err, GP_E_CONFIG, "%s:%d: @include is not allowed here",
                          SETTINGS_STRING_NAME, line);
    }
    if (st != GP_OK) {
        free(copy);
        return st;
    }
    config_t cfg;
    config_init(&cfg);
    if (config_read_string(&cfg, copy) != CONFIG_TRUE) {
        st = gp_error_set(err, GP_E_CONFIG, "%s:%d: %s", SETTINGS_STRING_NAME,
                          config_error_line(&cfg), config_error_text(&cfg));
    } else {
        struct walk w = {
            .s = s, .warn = warn, .err = err, .path = SETTINGS_STRING_NAME, .dir = "."};
        st = walk_root(&w, config_root_setting(&cfg));
    }
    config_destroy(&cfg);
    free(copy);
    return st;
}

enum gp_status settings_load(struct settings *s, const char *flag_config, const char *const *env,
                             struct settings_warnings *warn, struct gp_error *err)
{
    char path[SETTINGS_PATH_MAX];
    enum settings_source src;
    enum gp_status st = settings_config_path(flag_config, env, path, sizeof(path), &src, err);
    if (st != GP_OK) {
        settings_init(s);
        /* Without HOME and without a named file there is simply no config file. */
        return src == SETTINGS_SRC_DEFAULT && !path[0] ? GP_OK : st;
    }
    return settings_load_file(s, path, src != SETTINGS_SRC_DEFAULT, warn, err);
}

enum gp_status settings_read_secret_file(const char *path, struct gp_secret *out,
                                         struct gp_error *err)
{
    gp_secret_clear(out);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return gp_error_set(err, GP_E_AUTH, "%s: cannot read: %s", path, strerror(errno));
    struct stat sb;
    enum gp_status st = GP_OK;
    char *buf = NULL;
    if (fstat(fd, &sb) != 0) {
        st = gp_error_set(err, GP_E_AUTH, "%s: cannot read: %s", path, strerror(errno));
        goto fail;
    }
    if (!S_ISREG(sb.st_mode)) {
        st = gp_error_set(err, GP_E_AUTH, "%s: not a regular file", path);
        goto fail;
    }
    if (sb.st_mode & S_IROTH) {
        st = gp_error_set(err, GP_E_AUTH, "%s: readable by anyone; chmod 600 it", path);
        goto fail;
    }
    if (sb.st_size > SETTINGS_SECRET_FILE_MAX) {
        st = gp_error_set(err, GP_E_AUTH, "%s: larger than %ld bytes", path,
                          SETTINGS_SECRET_FILE_MAX);
        goto fail;
    }
    size_t cap = (size_t)SETTINGS_SECRET_FILE_MAX + 1, len = 0;
    buf = malloc(cap);
    if (!buf) {
        st = gp_error_set(err, GP_E_NOMEM, "%s: out of memory", path);
        goto fail;
    }
    for (;;) {
        ssize_t r = read(fd, buf + len, cap - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            st = gp_error_set(err, GP_E_AUTH, "%s: cannot read: %s", path, strerror(errno));
            goto fail;
        }
        if (r == 0)
            break;
        len += (size_t)r;
        if (len == cap) {
            st = gp_error_set(err, GP_E_AUTH, "%s: larger than %ld bytes", path,
                              SETTINGS_SECRET_FILE_MAX);
            goto fail;
        }
    }
    st = gp_secret_take(out, buf, len);
    if (st != GP_OK) {
        (void)gp_error_set(err, st, "%s: %s", path, gp_status_name(st));
        goto fail;
    }
    gp_secret_trim(out);
    if (!gp_secret_is_set(out)) {
        st = gp_error_set(err, GP_E_AUTH, "%s: empty", path);
        goto fail;
    }
    free(buf);
    close(fd);
    return GP_OK;
fail:
    if (buf) {
        explicit_bzero(buf, (size_t)SETTINGS_SECRET_FILE_MAX + 1);
        free(buf);
    }
    gp_secret_clear(out);
    close(fd);
    return st;
}
