/* SPDX-License-Identifier: MIT
 * tui/colors.h: the theme's roles (model/theme.h: what a piece of text is) turned into curses
 * attributes. Colours are downgraded to what the terminal offers (8, 16, 256); without
 * colours (NO_COLOR, a monochrome terminal) only the attributes are used, from a built-in
 * table that keeps every role readable with bold, reverse and underline. */
#ifndef GPUP_TUI_COLORS_H
#define GPUP_TUI_COLORS_H

#include <stdbool.h>

#include "model/theme.h"
#include "tui/curses.h"

/* Sets up colour pairs after the screen exists. t: the theme to use (NULL: the built-in
 * one). use_color false, or a terminal without colours, selects the monochrome table. */
void colors_init(bool use_color, const struct theme *t);
/* The attribute (colour pair included) to draw role with. */
attr_t colors_attr(enum theme_role role);
bool colors_enabled(void);

#endif
