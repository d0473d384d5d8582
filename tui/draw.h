/* SPDX-License-Identifier: MIT
 * tui/draw.h: drawing text into a fixed number of terminal columns (UTF-8 aware: wide
 * characters count two, text that does not fit ends in "…"). Callers pass sanitized text. */
#ifndef GPUP_TUI_DRAW_H
#define GPUP_TUI_DRAW_H

#include <stddef.h>

#include "tui/curses.h"

/* Terminal columns text takes (invalid bytes count one). */
int draw_width(const char *text);
/* Draws text at (y, x) in exactly width columns: cut with an ellipsis when longer, padded
 * with spaces when shorter. Returns the columns the text itself used. */
int draw_text(WINDOW *w, int y, int x, int width, const char *text, attr_t attr);
/* Same, right-aligned in width. */
int draw_text_right(WINDOW *w, int y, int x, int width, const char *text, attr_t attr);
/* Fills width columns with spaces in attr. */
void draw_fill(WINDOW *w, int y, int x, int width, attr_t attr);

#endif
