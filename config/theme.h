/* SPDX-License-Identifier: MIT
 * config/theme.h: reads theme files (libconfig) into struct theme (model/theme.h).
 * A theme file sets roles to styles:
 *     name = "dark"; inherits = "dark";        (both optional)
 *     title = "bold bright-white on blue";
 *     selection = { fg = "black"; bg = 45; attrs = ["bold"]; };
 * Problems are "FILE:LINE: message"; an unknown role is a "FILE:LINE: warning: ..." line. */
#ifndef GPUP_CONFIG_THEME_H
#define GPUP_CONFIG_THEME_H

#include "model/settings.h"
#include "model/status.h"
#include "model/theme.h"

#define THEME_FILE_MAX (256L * 1024L)
#define THEME_INHERIT_DEPTH 4

/* Where themes are looked for (see theme_search_dirs). All borrowed for the call. */
struct theme_search {
    const char *const *env; /* environ-like: XDG_CONFIG_HOME, HOME */
    const char *install_dir; /* PREFIX/share/gpup/themes, or NULL */
    const char *source_dir;  /* the source tree's themes/, or NULL */
};

/* Loads the theme called name: a name holding a '/' is a file; otherwise NAME.theme is
 * looked for in the search dirs, first found wins. Roles the file does not set keep the
 * built-in (or inherited) style. GP_E_NOT_FOUND "theme \"x\" not found in A, B, C";
 * GP_E_CONFIG "FILE:LINE: ..." for a broken file. warn may be NULL. *out is changed only on
 * success, so a caller can keep the built-in theme after printing the error. */
GP_NODISCARD enum gp_status theme_load(struct theme *out, const char *name,
                                       const struct theme_search *search,
                                       struct settings_warnings *warn, struct gp_error *err);

/* Loads one theme file (search is used for `inherits`; it may be NULL then). */
GP_NODISCARD enum gp_status theme_load_file(struct theme *out, const char *path,
                                            const struct theme_search *search,
                                            struct settings_warnings *warn,
                                            struct gp_error *err);

#endif
