/* SPDX-License-Identifier: MIT
 * model/theme.h: the console's semantic colour roles (one X-macro table), a style per role
 * (foreground, background, attributes), the style syntax used by theme files
 * ("bold bright-white on blue", "208 on #1c1c1c", "reverse"), the built-in dark theme, and
 * the downgrade of a colour to what the terminal offers. Pure: files are read by
 * config/theme, curses is driven by tui/. */
#ifndef GPUP_MODEL_THEME_H
#define GPUP_MODEL_THEME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/settings.h"
#include "model/status.h"

/* id, name in theme files, what it colours (for gpup(5) and help). */
#define THEME_ROLES(X)                                                                         \
    X(THEME_TITLE, "title", "screen and dialog titles")                                        \
    X(THEME_TEXT, "text", "ordinary text")                                                     \
    X(THEME_DIM, "dim", "less important text: ids, hints, timestamps")                         \
    X(THEME_SELECTION, "selection", "the selected row")                                        \
    X(THEME_BORDER, "border", "frames and separators")                                         \
    X(THEME_HEADER, "header", "column headings")                                               \
    X(THEME_RUNNING, "running", "VMs that are running")                                        \
    X(THEME_STOPPED, "stopped", "VMs that are stopped or deallocated")                         \
    X(THEME_TRANSITION, "transition", "VMs starting, stopping, updating")                      \
    X(THEME_WARNING, "warning", "warnings")                                                    \
    X(THEME_ERROR, "error", "errors and failed VMs")                                           \
    X(THEME_OK, "ok", "success messages")                                                      \
    X(THEME_GPU, "gpu", "GPU assignments and capacity")                                        \
    X(THEME_BADGE, "badge", "small labels: GpuP, GpuDDA, counts")                              \
    X(THEME_STATUS, "status", "the status line")                                               \
    X(THEME_KEY, "key", "key names in hints and help")                                         \
    X(THEME_DIALOG, "dialog", "dialog and plan boxes")                                         \
    X(THEME_INPUT, "input", "the filter and other input fields")

#define THEME_ROLE_ENUM_(id, name, what) id,
enum theme_role { THEME_ROLES(THEME_ROLE_ENUM_) THEME_ROLE_COUNT };
#undef THEME_ROLE_ENUM_

/* Attributes: id, name, bit. */
#define THEME_ATTRS(X)                                                                         \
    X(THEME_ATTR_BOLD, "bold", 1u << 0)                                                        \
    X(THEME_ATTR_UNDERLINE, "underline", 1u << 1)                                              \
    X(THEME_ATTR_REVERSE, "reverse", 1u << 2)                                                  \
    X(THEME_ATTR_DIM, "dim", 1u << 3)

#define THEME_ATTR_ENUM_(id, name, bit) id = bit,
enum theme_attr { THEME_ATTRS(THEME_ATTR_ENUM_) };
#undef THEME_ATTR_ENUM_

/* A colour: THEME_COLOR_DEFAULT (the terminal's own), 0-255 (the xterm palette: 0-7 black..
 * white, 8-15 their bright variants), or THEME_COLOR_RGB | 0xrrggbb. */
#define THEME_COLOR_DEFAULT (-1)
#define THEME_COLOR_RGB 0x1000000
#define THEME_COLOR_IS_RGB(c) ((c) >= 0 && ((c) & THEME_COLOR_RGB))

struct theme_style {
    int32_t fg, bg;
    unsigned attrs; /* enum theme_attr bits */
};

struct theme {
    char name[SETTINGS_NAME_MAX];
    struct theme_style roles[THEME_ROLE_COUNT];
    unsigned set; /* bit (1u << role) for each role the file gave */
};

/* Role names and descriptions; "?" out of range. */
const char *theme_role_name(enum theme_role r);
const char *theme_role_about(enum theme_role r);
bool theme_role_parse(const char *name, enum theme_role *out);

/* The built-in theme ("dark"), used before and under any theme file. */
void theme_init_default(struct theme *t);

/* One colour word: black..white, bright-black..bright-white (also brightred, bright_red),
 * grey/gray (= bright-black), default, 0-255, #rrggbb. GP_E_CONFIG otherwise. */
GP_NODISCARD enum gp_status theme_color_parse(const char *word, int32_t *out,
                                              struct gp_error *err);
/* A style: words separated by spaces, in any order: attribute names, a foreground colour,
 * "on" and a background colour; "none" alone is default on default without attributes.
 * GP_E_CONFIG with a message naming the bad word. */
GP_NODISCARD enum gp_status theme_style_parse(const char *spec, struct theme_style *out,
                                              struct gp_error *err);
/* The canonical spec of a style ("bold bright-white on blue"); writes into dst, returns dst. */
char *theme_style_format(const struct theme_style *s, char *dst, size_t n);

/* The colour to ask the terminal for when it has ncolors colours (8, 16, 256): an index below
 * ncolors, or -1 for the default colour. RGB goes to the nearest palette entry; 256-colour
 * indexes go to the nearest of the 16 (or 8) basic ones, greys to greys (black, white, and
 * bright-black, bright-white with 16); bright-red..bright-white become red..white on 8
 * colours. ncolors < 8: -1. */
int theme_color_index(int32_t color, int ncolors);

/* Directories searched for NAME.theme, in order: $XDG_CONFIG_HOME/gpup/themes (or
 * ~/.config/gpup/themes), install_dir (e.g. PREFIX/share/gpup/themes), source_dir (the
 * source tree's themes/). NULL or empty entries are skipped. Fills up to 3 dirs; returns the
 * count. */
size_t theme_search_dirs(const char *const *env, const char *install_dir, const char *source_dir,
                         char dirs[3][SETTINGS_PATH_MAX]);

#endif
