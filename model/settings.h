/* SPDX-License-Identifier: MIT
 * model/settings.h: gpup's settings as data: profiles, UI, paths; their defaults; the checks
 * on every value; the effective values (flags > environment > profile > defaults) from one
 * function; and the text `gpup config show` prints, secrets masked (product.md 4, style.md 7).
 * Pure: the environment comes in as an environ-like array, files are read by config/settings. */
#ifndef GPUP_MODEL_SETTINGS_H
#define GPUP_MODEL_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

#include "model/buf.h"
#include "model/status.h"

#define SETTINGS_NAME_MAX 64      /* profile and theme names */
#define SETTINGS_ID_MAX 64        /* UUIDs, client ids */
#define SETTINGS_URL_MAX 512      /* endpoints, resource ids */
#define SETTINGS_PATH_MAX 1024    /* file names */
#define SETTINGS_MAX_PROFILES 16
#define SETTINGS_MAX_KEYS 64      /* key bindings in ui.keys */
#define SETTINGS_KEY_MAX 32       /* an action name or a key spec */
#define SETTINGS_MAX_WARNINGS 32
#define SETTINGS_WARNING_MAX 512

#define SETTINGS_DEFAULT_ENDPOINT "https://management.azure.com"
#define SETTINGS_DEFAULT_AUTHORITY "https://login.microsoftonline.com"
#define SETTINGS_DEFAULT_API_VERSION "2025-09-01-preview"
#define SETTINGS_DEFAULT_THEME "dark"
#define SETTINGS_DEFAULT_REFRESH 30
#define SETTINGS_REFRESH_MIN 0    /* 0 turns the periodic refresh off */
#define SETTINGS_REFRESH_MAX 3600
#define SETTINGS_PARTITION_MB_MAX (1024L * 1024L) /* 1 TiB of VRAM is far beyond any GPU */

/* How gpup gets its bearer token. AUTO tries, in order: GPUP_TOKEN / token file, the Azure
 * CLI, a service principal, managed identity (product.md 5). */
#define SETTINGS_AUTH_METHODS(X)                                                               \
    X(SETTINGS_AUTH_AUTO, "auto")                                                              \
    X(SETTINGS_AUTH_TOKEN, "token")                                                            \
    X(SETTINGS_AUTH_TOKEN_FILE, "token-file")                                                  \
    X(SETTINGS_AUTH_AZURE_CLI, "azure-cli")                                                    \
    X(SETTINGS_AUTH_SERVICE_PRINCIPAL, "service-principal")                                    \
    X(SETTINGS_AUTH_DEVICE_CODE, "device-code")                                                \
    X(SETTINGS_AUTH_MANAGED_IDENTITY, "managed-identity")

/* When a change asks before it runs (--yes skips the question either way). */
#define SETTINGS_CONFIRM_POLICIES(X)                                                           \
    X(SETTINGS_CONFIRM_ALWAYS, "always")         /* every change */                            \
    X(SETTINGS_CONFIRM_DISRUPTIVE, "disruptive") /* changes that stop or restart a VM */       \
    X(SETTINGS_CONFIRM_NEVER, "never")

/* Where an effective value came from, lowest precedence first. */
#define SETTINGS_SOURCES(X)                                                                    \
    X(SETTINGS_SRC_DEFAULT, "default")                                                         \
    X(SETTINGS_SRC_FILE, "config file")                                                        \
    X(SETTINGS_SRC_ENV, "environment")                                                         \
    X(SETTINGS_SRC_FLAG, "command line")

/* The keys of a profile, in the order `config show` prints them. */
#define SETTINGS_FIELDS(X)                                                                     \
    X(SETTINGS_F_ENDPOINT, "endpoint")                                                         \
    X(SETTINGS_F_AUTHORITY, "authority")                                                       \
    X(SETTINGS_F_TENANT, "tenant")                                                             \
    X(SETTINGS_F_SUBSCRIPTION, "subscription")                                                 \
    X(SETTINGS_F_RESOURCE_GROUP, "resource_group")                                             \
    X(SETTINGS_F_CUSTOM_LOCATION, "custom_location")                                           \
    X(SETTINGS_F_API_VERSION, "api_version")                                                   \
    X(SETTINGS_F_AUTH, "auth")                                                                 \
    X(SETTINGS_F_CLIENT_ID, "client_id")                                                       \
    X(SETTINGS_F_CLIENT_SECRET_FILE, "client_secret_file")                                     \
    X(SETTINGS_F_CERTIFICATE_FILE, "certificate_file")                                         \
    X(SETTINGS_F_TOKEN_FILE, "token_file")                                                     \
    X(SETTINGS_F_CA_BUNDLE, "ca_bundle")                                                       \
    X(SETTINGS_F_PARTITION_SIZE_MB, "partition_size_mb")

#define SETTINGS_ENUM_(id, name) id,
enum settings_auth { SETTINGS_AUTH_METHODS(SETTINGS_ENUM_) SETTINGS_AUTH_COUNT };
enum settings_confirm { SETTINGS_CONFIRM_POLICIES(SETTINGS_ENUM_) SETTINGS_CONFIRM_COUNT };
enum settings_source { SETTINGS_SOURCES(SETTINGS_ENUM_) SETTINGS_SRC_COUNT };
enum settings_field { SETTINGS_FIELDS(SETTINGS_ENUM_) SETTINGS_F_COUNT };
#undef SETTINGS_ENUM_

/* Names for the enums above; never NULL ("?" out of range). */
const char *settings_auth_name(enum settings_auth a);
const char *settings_confirm_name(enum settings_confirm c);
const char *settings_source_name(enum settings_source s);
const char *settings_field_name(enum settings_field f);
/* Name -> enum; false when unknown. */
bool settings_auth_parse(const char *name, enum settings_auth *out);
bool settings_confirm_parse(const char *name, enum settings_confirm *out);
bool settings_field_parse(const char *name, enum settings_field *out);

/* One cluster/subscription. Strings are "" when unset; `set` has bit (1u << field) for each
 * key the config file gave. */
struct settings_profile {
    char name[SETTINGS_NAME_MAX];
    char endpoint[SETTINGS_URL_MAX];          /* ARM base URL */
    char authority[SETTINGS_URL_MAX];         /* login host: https://login.microsoftonline.com */
    char tenant[SETTINGS_ID_MAX];             /* UUID */
    char subscription[SETTINGS_ID_MAX];       /* UUID */
    char resource_group[SETTINGS_URL_MAX];    /* default -g */
    char custom_location[SETTINGS_URL_MAX];   /* ARM id or name */
    char api_version[SETTINGS_ID_MAX];        /* YYYY-MM-DD[-preview] */
    enum settings_auth auth;
    char client_id[SETTINGS_ID_MAX];          /* UUID of the service principal / app */
    char client_secret_file[SETTINGS_PATH_MAX];
    char certificate_file[SETTINGS_PATH_MAX]; /* PEM: the SP's certificate and its RSA key */
    char token_file[SETTINGS_PATH_MAX];
    char ca_bundle[SETTINGS_PATH_MAX];        /* extra CAs (disconnected deployments) */
    long partition_size_mb;                   /* 0: let the service choose */
    unsigned set;
    /* Where the profile was defined, for messages ("" / 0 when not from a file). */
    char file[SETTINGS_PATH_MAX];
    int line;
};

/* One entry of ui.keys, kept raw: the console checks action and key spec and reports
 * problems as file:line. */
struct settings_key {
    char action[SETTINGS_KEY_MAX];
    char key[SETTINGS_KEY_MAX];
    char file[SETTINGS_PATH_MAX];
    int line;
};

#define SETTINGS_UI_THEME (1u << 0)
#define SETTINGS_UI_REFRESH (1u << 1)
#define SETTINGS_UI_MOUSE (1u << 2)
#define SETTINGS_UI_CONFIRM (1u << 3)
#define SETTINGS_UI_GROUP (1u << 4)

struct settings_ui {
    char theme[SETTINGS_PATH_MAX]; /* a theme name, or a file name when it holds a '/' */
    int refresh_seconds;           /* 0: no periodic refresh */
    bool mouse;
    bool group_by_rg;              /* the VM list grouped by resource group at start */
    enum settings_confirm confirm;
    struct settings_key keys[SETTINGS_MAX_KEYS];
    size_t n_keys;
    unsigned set;                  /* SETTINGS_UI_* bits the file gave */
};

#define SETTINGS_PATHS_STATE_DIR (1u << 0)
#define SETTINGS_PATHS_TOKEN_CACHE (1u << 1)
#define SETTINGS_PATHS_LOG_FILE (1u << 2)

struct settings_paths {
    char state_dir[SETTINGS_PATH_MAX];   /* operations journal; default $XDG_STATE_HOME/gpup */
    char token_cache[SETTINGS_PATH_MAX]; /* 0600 token cache; "" keeps tokens in memory only */
    char log_file[SETTINGS_PATH_MAX];    /* request trace (Authorization redacted); "" none */
    unsigned set;                        /* SETTINGS_PATHS_* bits the file gave */
};

/* FILE:LINE: warning lines, collected for the caller to print. */
struct settings_warnings {
    char lines[SETTINGS_MAX_WARNINGS][SETTINGS_WARNING_MAX];
    size_t count;
    size_t dropped; /* warnings past SETTINGS_MAX_WARNINGS */
};

/* Everything the config file said. About 200 KiB: allocate it with settings_new(). */
struct settings {
    struct settings_profile profiles[SETTINGS_MAX_PROFILES];
    size_t n_profiles;
    char active[SETTINGS_NAME_MAX]; /* the file's `profile`, "" when absent */
    struct settings_ui ui;
    struct settings_paths paths;
    char file[SETTINGS_PATH_MAX];   /* the file read, "" when none */
};

/* The command-line overrides; NULL members were not given. */
struct settings_flags {
    const char *profile;      /* --profile */
    const char *endpoint;     /* --endpoint */
    const char *subscription; /* --subscription */
    const char *config;       /* --config */
    bool mouse;               /* --mouse: ui.mouse on whatever the file says */
};

/* The values gpup runs with. */
struct settings_effective {
    struct settings_profile profile;       /* merged; name is "" when no profile applies */
    enum settings_source profile_src;      /* where the profile's name came from */
    enum settings_source src[SETTINGS_F_COUNT];
    bool token_env;                        /* GPUP_TOKEN is set (its value is never copied) */
    bool client_secret_env;                /* GPUP_CLIENT_SECRET is set (likewise) */
    bool no_color;                         /* NO_COLOR chose the monochrome theme */
    struct settings_ui ui;
    unsigned ui_flags;                     /* SETTINGS_UI_* bits the command line gave */
    struct settings_paths paths;
    char config_file[SETTINGS_PATH_MAX];   /* the file read or looked for; "" when unknown */
    enum settings_source config_src;       /* --config, GPUP_CONFIG or the default location */
    bool config_loaded;                    /* a file was read */
};

/* Heap settings holding the defaults; NULL when out of memory. settings_free(NULL) is a no-op. */
struct settings *settings_new(void);
void settings_free(struct settings *s);
/* Resets *s to the defaults: no profiles, default UI and paths. */
void settings_init(struct settings *s);
/* A profile with every key unset. */
void settings_profile_init(struct settings_profile *p, const char *name);
/* The profile named name, or NULL (borrowed from s). */
const struct settings_profile *settings_profile_find(const struct settings *s, const char *name);

/* Looks name up in an environ-like NULL-terminated "NAME=value" array (env may be NULL).
 * An empty value counts as unset (NULL). Borrowed from env. */
const char *settings_env_get(const char *const *env, const char *name);

/* Value checks. Each returns GP_OK, or GP_E_CONFIG with a message that does not name the
 * key or the place (callers prefix "FILE:LINE: key"). */
/* https://host[:port][/path]; http only for localhost, 127.0.0.0/8 and [::1]; no user
 * name or password, query or fragment. */
GP_NODISCARD enum gp_status settings_check_url(const char *url, struct gp_error *err);
/* 8-4-4-4-12 hex digits. */
GP_NODISCARD enum gp_status settings_check_uuid(const char *s, struct gp_error *err);
/* YYYY-MM-DD or YYYY-MM-DD-label (lower-case letters and digits): 2025-09-01-preview. */
GP_NODISCARD enum gp_status settings_check_api_version(const char *s, struct gp_error *err);
GP_NODISCARD enum gp_status settings_check_refresh(long seconds, struct gp_error *err);
/* Checks value for the field and stores it in p, marking the field set. Strings only for
 * SETTINGS_F_PARTITION_SIZE_MB too (decimal). */
GP_NODISCARD enum gp_status settings_profile_set(struct settings_profile *p, enum settings_field f,
                                                 const char *value, struct gp_error *err);
GP_NODISCARD enum gp_status settings_profile_set_long(struct settings_profile *p,
                                                      enum settings_field f, long value,
                                                      struct gp_error *err);
/* Checks between keys of one profile: a secret file and a certificate file are two credentials
 * for one service principal, so only one may be named. GP_E_CONFIG (message without the place,
 * as above). */
GP_NODISCARD enum gp_status settings_profile_check(const struct settings_profile *p,
                                                   struct gp_error *err);
/* A profile value as text ("" when unset); writes into dst of size n, returns dst. */
const char *settings_profile_get(const struct settings_profile *p, enum settings_field f,
                                 char *dst, size_t n);
/* Adds a profile (name must be new); *out_p is borrowed from s. GP_E_CONFIG when there are
 * SETTINGS_MAX_PROFILES already or the name repeats. */
GP_NODISCARD enum gp_status settings_add_profile(struct settings *s, const char *name,
                                                 struct settings_profile **out_p,
                                                 struct gp_error *err);
/* Appends a key binding triple. GP_E_CONFIG past SETTINGS_MAX_KEYS or when a part is too long. */
GP_NODISCARD enum gp_status settings_add_key(struct settings_ui *ui, const char *action,
                                             const char *key, const char *file, int line,
                                             struct gp_error *err);
/* UI and paths setters with their checks (they mark the SETTINGS_UI_* / _PATHS_* bit). */
GP_NODISCARD enum gp_status settings_set_theme(struct settings_ui *ui, const char *name,
                                               struct gp_error *err);
GP_NODISCARD enum gp_status settings_set_refresh(struct settings_ui *ui, long seconds,
                                                 struct gp_error *err);
GP_NODISCARD enum gp_status settings_set_confirm(struct settings_ui *ui, const char *policy,
                                                 struct gp_error *err);
GP_NODISCARD enum gp_status settings_set_path(struct settings_paths *paths, unsigned which,
                                              const char *path, struct gp_error *err);

/* Appends a warning line (printf-style); counts it in dropped when full. */
void settings_warn(struct settings_warnings *w, const char *fmt, ...) GP_PRINTF(2, 3);

/* The config file to read: --config, then GPUP_CONFIG, then $XDG_CONFIG_HOME/gpup/config, then
 * $HOME/.config/gpup/config. *out_src says which (SETTINGS_SRC_DEFAULT: a missing file is
 * fine; otherwise it is an error). GP_E_CONFIG when neither XDG_CONFIG_HOME nor HOME is set
 * and nothing was named, or the name is too long. */
GP_NODISCARD enum gp_status settings_config_path(const char *flag_config, const char *const *env,
                                                 char *out, size_t n,
                                                 enum settings_source *out_src,
                                                 struct gp_error *err);

/* The effective settings: flags > environment (GPUP_PROFILE, GPUP_ENDPOINT, GPUP_SUBSCRIPTION,
 * GPUP_TOKEN, GPUP_CLIENT_SECRET) > the selected profile and the file's ui > defaults (--mouse
 * turns ui.mouse on). s may be NULL (no config file), flags may be NULL. The profile is
 * --profile, else GPUP_PROFILE, else the file's `profile`, else the only profile when there is
 * exactly one, else none. GP_E_CONFIG with
 * "GPUP_ENDPOINT: ..." / "--endpoint: ..." style messages for bad overrides or an unknown
 * profile name. A set GPUP_TOKEN makes auth "token". A set NO_COLOR makes the theme
 * "monochrome" unless the file names one. */
GP_NODISCARD enum gp_status settings_resolve(const struct settings *s,
                                             const struct settings_flags *flags,
                                             const char *const *env,
                                             struct settings_effective *out,
                                             struct gp_error *err);

/* `gpup config show`: the effective settings as a libconfig file, each value commented with
 * its source. Secrets appear only as "(set in GPUP_TOKEN, masked)". */
GP_NODISCARD enum gp_status settings_format(const struct settings_effective *eff,
                                            struct gp_buf *out);

#endif
