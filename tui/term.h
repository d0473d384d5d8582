/* SPDX-License-Identifier: MIT
 * tui/term.h: the terminal: curses set-up and the promise that it is restored on every exit
 * path (style.md 6): atexit, fatal signals (async-signal-safe restore from the saved termios,
 * then re-raise), suspend/resume, hang-up. Key codes from curses are translated here into
 * model/keymap codes. One terminal per process; not thread-safe. */
#ifndef GPUP_TUI_TERM_H
#define GPUP_TUI_TERM_H

#include <stdbool.h>

#include "model/status.h"

struct theme;

struct tui_term_opts {
    bool no_display;          /* newterm on /dev/null (screen tests, GPUP_NO_DISPLAY) */
    bool use_color;           /* false for NO_COLOR / monochrome */
    const struct theme *theme; /* NULL: the built-in theme */
};

/* Starts curses on the terminal (stdin/stdout, which must be a tty) or on /dev/null: ESCDELAY
 * 25 ms, keypad, noecho, cbreak, nonl, no cursor, non-blocking reads. setlocale() must have
 * run (main does it). Registers atexit(tui_done) and, with a display, the crash handlers.
 * GP_E_IO when there is no terminal, GP_E_BUSY when already started. */
GP_NODISCARD enum gp_status tui_init(const struct tui_term_opts *opts, struct gp_error *err);
/* Restores the terminal; idempotent, safe from atexit and error paths. */
void tui_done(void);
bool tui_active(void);
/* The locale is UTF-8: box drawing and "—" may be used. */
bool tui_utf8(void);
/* fd carrying key presses (to watch in the loop), or -1 without a display. */
int tui_input_fd(void);

enum tui_read { TUI_READ_KEY, TUI_READ_NONE, TUI_READ_HANGUP };
/* One key without waiting: TUI_READ_KEY with *out_key a keymap code, TUI_READ_NONE when no
 * key is queued, TUI_READ_HANGUP when the terminal is gone (EIO, or end of input). */
enum tui_read tui_read_key(int *out_key);
/* Translates a curses key (from wget_wch: is_key tells KEY_CODE_YES) to a keymap code;
 * 0 for keys gpup has no name for. */
int tui_key_from_curses(int is_key, unsigned ch);

/* SIGTSTP from the loop: restores the terminal, stops the process, and on resume takes the
 * screen back (the caller repaints everything). */
void tui_suspend(void);
/* SIGWINCH from the loop: reads the tty size and resizes curses (KEY_RESIZE semantics). */
void tui_resize_from_tty(void);
/* Screen tests: pretend the terminal is rows x cols. */
void tui_resize(int rows, int cols);

/* Glyphs that depend on the locale. */
enum tui_glyph { GLYPH_VLINE, GLYPH_ELLIPSIS, GLYPH_UP, GLYPH_DOWN, GLYPH_DOT, GLYPH_TIMES,
                 GLYPH_DASH, GLYPH_COUNT };
const char *tui_glyph(enum tui_glyph g);

#endif
