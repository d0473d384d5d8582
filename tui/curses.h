/* SPDX-License-Identifier: MIT
 * tui/curses.h: the one place that includes <curses.h> (ncursesw, wide-character API). The
 * feature macros come from the Makefile (_XOPEN_SOURCE=600 turns the wide API on); nothing
 * else in the tree may include curses (make lint). */
#ifndef GPUP_TUI_CURSES_H
#define GPUP_TUI_CURSES_H

#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#include <curses.h>

#endif
