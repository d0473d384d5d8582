/* SPDX-License-Identifier: MIT
 * tui/colors.h: display roles (what a piece of text is) mapped to curses attributes. A theme
 * (model/theme, later) maps roles to colours; until it is loaded a built-in table is used.
 * NO_COLOR or a terminal without colours gives the monochrome table: bold, reverse and
 * underline only, so every role stays readable. */
#ifndef GPUP_TUI_COLORS_H
#define GPUP_TUI_COLORS_H

#include <stdbool.h>

#include "tui/curses.h"

/* id, theme name */
#define TUI_ROLES(X)                                                                           \
    X(ROLE_NORMAL, "normal")                                                                   \
    X(ROLE_TITLE, "title")                                                                     \
    X(ROLE_STATUS, "status")                                                                   \
    X(ROLE_HEADER, "header")                                                                   \
    X(ROLE_SELECTED, "selected")                                                               \
    X(ROLE_DIM, "dim")                                                                         \
    X(ROLE_OK, "ok")                                                                           \
    X(ROLE_WARN, "warn")                                                                       \
    X(ROLE_ERROR, "error")                                                                     \
    X(ROLE_BADGE, "badge")                                                                     \
    X(ROLE_FILTER, "filter")                                                                   \
    X(ROLE_GPU, "gpu")

#define TUI_ROLE_ENUM_(id, name) id,
enum tui_role { TUI_ROLES(TUI_ROLE_ENUM_) TUI_ROLE_COUNT };
#undef TUI_ROLE_ENUM_

/* Colour numbers are curses ones (COLOR_RED...), -1 for the terminal's default. */
struct tui_role_style {
    short fg, bg;
    attr_t attrs;
};

/* Sets up colour pairs after the screen exists. use_color false (NO_COLOR, --no-color) or a
 * terminal without colours selects the monochrome table. */
void colors_init(bool use_color);
/* Replaces one role's style (a loaded theme); ignored when in monochrome. */
void colors_set(enum tui_role role, struct tui_role_style style);
/* The attribute (pair included) to draw role with. */
attr_t colors_attr(enum tui_role role);
/* Role name as themes write it; NULL past the end. Role by name: TUI_ROLE_COUNT if unknown. */
const char *colors_role_name(enum tui_role role);
enum tui_role colors_role_parse(const char *name);
bool colors_enabled(void);

#endif
