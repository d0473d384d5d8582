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

/* The mouse events the console acts on (product.md 2.2: mouse optional, off by default):
 * id, name in screen-test scripts (":mouse click 5 10"). */
#define TUI_MOUSE_KINDS(X)                                                                     \
    X(TUI_MOUSE_CLICK, "click")                                                                \
    X(TUI_MOUSE_DOUBLE, "double-click")                                                        \
    X(TUI_MOUSE_WHEEL_UP, "wheel-up")                                                          \
    X(TUI_MOUSE_WHEEL_DOWN, "wheel-down")

#define TUI_MOUSE_ENUM_(id, name) id,
enum tui_mouse_kind { TUI_MOUSE_KINDS(TUI_MOUSE_ENUM_) TUI_MOUSE_KIND_COUNT };
#undef TUI_MOUSE_ENUM_

/* A mouse event at terminal cell (y, x), 0-based from the top left as curses reports it
 * (the app makes them relative to the window a screen draws in). */
struct tui_mouse {
    enum tui_mouse_kind kind;
    int y, x;
};

const char *tui_mouse_kind_name(enum tui_mouse_kind k);
/* "click", "double-click", "wheel-up", "wheel-down"; false for anything else. */
bool tui_mouse_kind_parse(const char *name, enum tui_mouse_kind *out);

/* Mouse reporting on (button 1 press / click / double-click and the wheel, no motion, no
 * click delay) or off. Until it is called the terminal's own mouse (text selection) is left
 * alone. Every exit path turns reporting off again: tui_done, the crash handler, and endwin
 * on suspend (curses turns it back on with the first refresh after the resume). Returns
 * whether reporting is on (false too on a terminal without a mouse). */
bool tui_set_mouse(bool on);

enum tui_read { TUI_READ_KEY, TUI_READ_MOUSE, TUI_READ_NONE, TUI_READ_HANGUP };
/* One key without waiting: TUI_READ_KEY with *out_key a keymap code, TUI_READ_MOUSE with
 * *out_mouse filled (only while tui_set_mouse is on), TUI_READ_NONE when nothing is queued,
 * TUI_READ_HANGUP when the terminal is gone (EIO, or end of input). */
enum tui_read tui_read_key(int *out_key, struct tui_mouse *out_mouse);
/* Translates a curses key (from wget_wch: is_key tells KEY_CODE_YES) to a keymap code;
 * 0 for keys gpup has no name for (KEY_MOUSE among them: see tui_mouse_from_curses). */
int tui_key_from_curses(int is_key, unsigned ch);
/* Translates a curses mouse event (getmouse's bstate at y, x) into *out; false for events the
 * console does not act on (releases, other buttons, motion). */
bool tui_mouse_from_curses(unsigned long bstate, int y, int x, struct tui_mouse *out);

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
