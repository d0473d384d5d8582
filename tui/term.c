/* SPDX-License-Identifier: MIT
 * tui/term.c: curses start and stop, signal-safe tty restore, key translation. */
#include "tui/term.h"

#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "model/keymap.h"
#include "tui/colors.h"
#include "tui/curses.h"

static struct {
    bool active;
    bool no_display;
    bool utf8;
    bool have_termios;
    bool atexit_done;
    bool mouse;              /* mouse reporting is on (tui_set_mouse) */
    int tty_fd;              /* the terminal's fd (stdout), -1 without a display */
    int in_fd;               /* stdin, -1 without a display */
    struct termios saved;    /* modes before curses, for the crash handler */
    SCREEN *screen;
    FILE *out, *in;          /* opened by us (only with no_display) */
} term = {.tty_fd = -1, .in_fd = -1};

static const int crash_signals[] = {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL};
static struct sigaction crash_old[sizeof(crash_signals) / sizeof(crash_signals[0])];

/* Async-signal-safe: termios back, mouse reporting off, leave the alternate screen, show the
 * cursor, re-raise. */
static void on_crash(int signo)
{
    if (term.active && term.tty_fd >= 0) {
        static const char reset[] = "\033[0m\033[?1049l\033[?25h\r\n";
        /* Every mode ncurses may have set from the terminfo XM string or its xterm default
         * (1000 plain, 1006 SGR coordinates, 1002/1003 motion): a shell left with reporting
         * on prints escape sequences for every click. */
        static const char mouse_off[] = "\033[?1003l\033[?1002l\033[?1006l\033[?1000l";
        if (term.have_termios)
            (void)tcsetattr(term.tty_fd, TCSANOW, &term.saved);
        if (term.mouse)
            (void)!write(term.tty_fd, mouse_off, sizeof(mouse_off) - 1);
        (void)!write(term.tty_fd, reset, sizeof(reset) - 1);
    }
    signal(signo, SIG_DFL);
    raise(signo);
}

static void install_crash_handlers(void)
{
    for (size_t i = 0; i < sizeof(crash_signals) / sizeof(crash_signals[0]); i++) {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_crash;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESETHAND;
        (void)sigaction(crash_signals[i], &sa, &crash_old[i]);
    }
}

static void remove_crash_handlers(void)
{
    for (size_t i = 0; i < sizeof(crash_signals) / sizeof(crash_signals[0]); i++)
        (void)sigaction(crash_signals[i], &crash_old[i], NULL);
}

static bool locale_is_utf8(void)
{
    const char *cs = nl_langinfo(CODESET);
    return cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
}

enum gp_status tui_init(const struct tui_term_opts *opts, struct gp_error *err)
{
    if (term.active)
        return gp_error_set(err, GP_E_BUSY, "the console is already running");
    term.no_display = opts->no_display;
    term.utf8 = locale_is_utf8();
    FILE *out = stdout, *in = stdin;
    if (opts->no_display) {
        term.out = fopen("/dev/null", "w");
        term.in = fopen("/dev/null", "r");
        if (!term.out || !term.in) {
            if (term.out)
                fclose(term.out);
            if (term.in)
                fclose(term.in);
            term.out = term.in = NULL;
            return gp_error_set(err, GP_E_IO, "cannot open /dev/null: %s", strerror(errno));
        }
        out = term.out;
        in = term.in;
        term.tty_fd = term.in_fd = -1;
    } else {
        if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
            return gp_error_set(err, GP_E_IO,
                                "the console needs a terminal (use the CLI commands for "
                                "scripts)");
        term.tty_fd = STDOUT_FILENO;
        term.in_fd = STDIN_FILENO;
        term.have_termios = tcgetattr(term.tty_fd, &term.saved) == 0;
    }
    term.screen = newterm(NULL, out, in);
    if (!term.screen) {
        if (term.out)
            fclose(term.out);
        if (term.in)
            fclose(term.in);
        term.out = term.in = NULL;
        const char *t = getenv("TERM");
        return gp_error_set(err, GP_E_IO, "cannot start the terminal (TERM=%s)", t ? t : "");
    }
    set_term(term.screen);
    term.active = true;
    if (!term.atexit_done) {
        term.atexit_done = true;
        atexit(tui_done);
    }
    if (!opts->no_display)
        install_crash_handlers();
    set_escdelay(25);
    keypad(stdscr, TRUE);
    noecho();
    cbreak();
    nonl();
    nodelay(stdscr, TRUE);
    curs_set(0);
    colors_init(opts->use_color, opts->theme);
    return GP_OK;
}

void tui_done(void)
{
    if (!term.active)
        return;
    term.active = false;
    curs_set(1);
    /* endwin turns reporting off as well; saying it here does not depend on that. */
    if (term.mouse)
        mousemask(0, NULL);
    term.mouse = false;
    endwin();
    if (term.have_termios && term.tty_fd >= 0)
        (void)tcsetattr(term.tty_fd, TCSANOW, &term.saved);
    if (!term.no_display)
        remove_crash_handlers();
    delscreen(term.screen);
    term.screen = NULL;
    if (term.out)
        fclose(term.out);
    if (term.in)
        fclose(term.in);
    term.out = term.in = NULL;
    term.tty_fd = term.in_fd = -1;
    term.have_termios = false;
}

bool tui_active(void)
{
    return term.active;
}

bool tui_utf8(void)
{
    return term.utf8;
}

int tui_input_fd(void)
{
    return term.active ? term.in_fd : -1;
}

#define TUI_MOUSE_NAME_(id, name) name,
static const char *const mouse_kind_names[TUI_MOUSE_KIND_COUNT] = {
    TUI_MOUSE_KINDS(TUI_MOUSE_NAME_)};
#undef TUI_MOUSE_NAME_

const char *tui_mouse_kind_name(enum tui_mouse_kind k)
{
    return k >= 0 && k < TUI_MOUSE_KIND_COUNT ? mouse_kind_names[k] : "";
}

bool tui_mouse_kind_parse(const char *name, enum tui_mouse_kind *out)
{
    for (int k = 0; k < TUI_MOUSE_KIND_COUNT; k++) {
        if (name && strcmp(name, mouse_kind_names[k]) == 0) {
            *out = (enum tui_mouse_kind)k;
            return true;
        }
    }
    return false;
}

bool tui_set_mouse(bool on)
{
    if (!term.active || on == term.mouse)
        return term.mouse;
    if (on) {
        /* Presses, not clicks: with mouseinterval(0) curses reports a press at once instead of
         * waiting up to the interval for the release to make a click of it (a double-click is
         * then two presses, which the screens treat as select, then open). CLICKED and
         * DOUBLE_CLICKED are asked for too, for curses builds that resolve clicks anyway. No
         * REPORT_MOUSE_POSITION: motion would wake an idle console. */
        mmask_t want = BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON1_DOUBLE_CLICKED |
                       BUTTON4_PRESSED | BUTTON5_PRESSED;
        (void)mouseinterval(0); /* returns the previous interval */
        term.mouse = mousemask(want, NULL) != 0;
    } else {
        (void)mousemask(0, NULL); /* returns the mask it could not set: none */
        term.mouse = false;
    }
    return term.mouse;
}

bool tui_mouse_from_curses(unsigned long bstate, int y, int x, struct tui_mouse *out)
{
    enum tui_mouse_kind k;
    if (bstate & BUTTON1_DOUBLE_CLICKED)
        k = TUI_MOUSE_DOUBLE;
    else if (bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED))
        k = TUI_MOUSE_CLICK;
    else if (bstate & BUTTON4_PRESSED)
        k = TUI_MOUSE_WHEEL_UP;
    else if (bstate & BUTTON5_PRESSED)
        k = TUI_MOUSE_WHEEL_DOWN;
    else
        return false;
    out->kind = k;
    out->y = y;
    out->x = x;
    return true;
}

int tui_key_from_curses(int is_key, unsigned ch)
{
    if (!is_key) {
        switch (ch) {
        case '\r':
        case '\n':
            return KEY_CODE_ENTER;
        case 127:
        case 8:
            return KEY_CODE_BACKSPACE;
        default:
            return ch <= 0x10ffff ? (int)ch : 0;
        }
    }
    switch (ch) {
    case KEY_UP:
        return KEY_CODE_UP;
    case KEY_DOWN:
        return KEY_CODE_DOWN;
    case KEY_LEFT:
        return KEY_CODE_LEFT;
    case KEY_RIGHT:
        return KEY_CODE_RIGHT;
    case KEY_PPAGE:
        return KEY_CODE_PGUP;
    case KEY_NPAGE:
        return KEY_CODE_PGDN;
    case KEY_HOME:
        return KEY_CODE_HOME;
    case KEY_END:
        return KEY_CODE_END;
    case KEY_IC:
        return KEY_CODE_INSERT;
    case KEY_DC:
        return KEY_CODE_DELETE;
    case KEY_BACKSPACE:
        return KEY_CODE_BACKSPACE;
    case KEY_BTAB:
        return KEY_CODE_BACKTAB;
    case KEY_ENTER:
        return KEY_CODE_ENTER;
    case KEY_RESIZE:
        return KEY_CODE_RESIZE;
    default:
        if (ch >= (unsigned)KEY_F(1) && ch <= (unsigned)KEY_F(12))
            return KEY_CODE_F1 + (int)(ch - (unsigned)KEY_F(1));
        return 0;
    }
}

enum tui_read tui_read_key(int *out_key, struct tui_mouse *out_mouse)
{
    if (!term.active || term.no_display)
        return TUI_READ_NONE;
    for (;;) {
        wint_t wc = 0;
        errno = 0;
        int rc = wget_wch(stdscr, &wc);
        if (rc == ERR) {
            if (errno == EIO || errno == EPIPE || errno == EBADF)
                return TUI_READ_HANGUP;
            return TUI_READ_NONE;
        }
        if (rc == KEY_CODE_YES && wc == KEY_MOUSE) {
            MEVENT ev;
            if (term.mouse && getmouse(&ev) == OK &&
                tui_mouse_from_curses((unsigned long)ev.bstate, ev.y, ev.x, out_mouse))
                return TUI_READ_MOUSE;
            continue;
        }
        int k = tui_key_from_curses(rc == KEY_CODE_YES, (unsigned)wc);
        if (k) {
            *out_key = k;
            return TUI_READ_KEY;
        }
    }
}

void tui_suspend(void)
{
    if (!term.active || term.no_display)
        return;
    endwin();
    struct sigaction dfl, old;
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    if (sigaction(SIGTSTP, &dfl, &old) == 0) {
        raise(SIGTSTP); /* stops here until SIGCONT */
        (void)sigaction(SIGTSTP, &old, NULL);
    }
    /* Back: the terminal may have changed size and content. */
    tui_resize_from_tty();
    clearok(curscr, TRUE);
    refresh();
}

void tui_resize_from_tty(void)
{
    if (!term.active || term.no_display)
        return;
    struct winsize ws;
    if (ioctl(term.tty_fd, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
        resizeterm(ws.ws_row, ws.ws_col);
}

void tui_resize(int rows, int cols)
{
    if (term.active)
        resizeterm(rows, cols);
}

const char *tui_glyph(enum tui_glyph g)
{
    static const char *const utf8[GLYPH_COUNT] = {
        "\xe2\x94\x82", "\xe2\x80\xa6", "\xe2\x96\xb2", "\xe2\x96\xbc", "\xc2\xb7", "\xc3\x97",
        "\xe2\x80\x94"};
    static const char *const ascii[GLYPH_COUNT] = {"|", "~", "^", "v", "-", "x", "-"};
    if (g < 0 || g >= GLYPH_COUNT)
        return "";
    return term.utf8 ? utf8[g] : ascii[g];
}
