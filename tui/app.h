/* SPDX-License-Identifier: MIT
 * tui/app.h: the console: a stack of screens (tig view_ops, ncdu draw/key pairs) run on the
 * one event loop. Keys become actions through model/keymap; the breadcrumb line on top and
 * the status line at the bottom are the app's, the rows between belong to the top screen.
 * Drawing happens at most once per loop pass, in the loop's before-sleep hook, and only for
 * what was marked dirty; nothing runs on a timer while idle.
 *
 * Screen tests (style.md 8): a script (app_opts.script, or the file named by GPUP_SCRIPT)
 * feeds keys and commands, one step whenever the loop is idle:
 *     <Down>            keys; <Name> for named keys (see keymap_parse_key), others literal
 *     /gpu<Enter>       several keys on one line
 *     :dump-screen F    writes the screen to F (right-trimmed lines)
 *     :resize 60x20     pretends the terminal changed size
 *     :mouse click 5 10 a mouse event (click, double-click, wheel-up, wheel-down) at terminal
 *                       row 5, column 10 (0-based, as curses reports them); it goes
 *                       through app_mouse like a real one, so it does nothing with the mouse off
 *     # comment
 * The app quits when the script ends. Without a display and without a script it quits once
 * the first load is painted (the first-paint benchmark). */
#ifndef GPUP_TUI_APP_H
#define GPUP_TUI_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/keymap.h"
#include "model/status.h"
#include "model/vm.h"
#include "tui/curses.h"
#include "tui/term.h"

struct app;
struct gp_loop;
struct screen;
struct theme;

/* A screen embeds struct screen as its first member. All callbacks but draw are optional. */
struct screen_ops {
    const char *name;          /* breadcrumb label, unless crumb() gives one */
    enum keymap_context ctx;   /* where its keys are looked up */
    const char *(*crumb)(struct screen *s);
    void (*enter)(struct screen *s, struct app *a);
    /* Draws into w (the body window). full: everything must be drawn (after a resize, a
     * screen change or Ctrl-L); else only what the screen itself knows changed. */
    void (*draw)(struct screen *s, struct app *a, WINDOW *w, bool full);
    /* A key: act is its action in ctx (ACT_NONE when unbound). Returns true when handled;
     * unhandled keys get the app's global meaning (back, quit, help, redraw...). */
    bool (*key)(struct screen *s, struct app *a, enum keymap_action act, int key);
    void (*leave)(struct screen *s, struct app *a);
    /* A click or double-click in the body (the wheel arrives as Up / Down keys): m->y and m->x
     * are relative to the body window w that draw gets. NULL: clicks do nothing. Screens with
     * buttons find them in the widget_hits their draw recorded and press them through their
     * own Enter key, so a click does what focus + Enter does, refusals included. */
    void (*mouse)(struct screen *s, struct app *a, const struct tui_mouse *m);
    void (*resize)(struct screen *s, struct app *a, int rows, int cols);
    /* Frees a screen popped off the stack; NULL when the screen is not owned by the stack. */
    void (*destroy)(struct screen *s);
};

struct screen {
    const struct screen_ops *ops;
};

/* Where the VMs come from; the lead wires this to net/fleet. load starts a (re)load that must
 * not block: rows come back from loop callbacks through app_vms_begin / app_add_vms /
 * app_vms_done. */
struct tui_source_ops {
    void (*load)(void *ctx, struct app *app); /* (not "refresh": a curses macro) */
    void (*cancel)(void *ctx);
};

struct app_opts {
    bool no_display;           /* newterm on /dev/null (also when GPUP_NO_DISPLAY is set) */
    bool exit_when_idle;       /* with no_display and no script: end once the first load is
                                  painted (also GPUP_EXIT_WHEN_IDLE; the first-paint benchmark) */
    bool use_color;            /* false: monochrome (NO_COLOR is checked as well) */
    bool readonly;             /* --readonly: the badge, and mutating actions refuse */
    const char *profile;       /* shown in the status line; may be NULL */
    const char *endpoint;
    const struct keymap *keymap; /* NULL: defaults */
    const struct theme *theme;   /* NULL: the built-in theme; copied by tui_init */
    const char *script;        /* screen-test script text; NULL: GPUP_SCRIPT file if set */
};

/* Starts curses and builds the home screen (Virtual machines). The loop is borrowed; the app
 * registers its stdin watch, signals and before-sleep hook on it. GP_E_IO without a terminal,
 * GP_E_NOMEM. */
GP_NODISCARD enum gp_status app_new(const struct app_opts *opts, struct gp_loop *loop,
                                    struct app **out, struct gp_error *err);
/* Restores the terminal and frees everything (screens on the stack included). NULL: no-op. */
void app_free(struct app *a);
/* Runs the loop until the user quits (or a signal, hang-up, or the script's end).
 * Asks the source for the first load. GP_E_IO when a script dump failed. */
GP_NODISCARD enum gp_status app_run(struct app *a, struct gp_error *err);
/* Makes app_run return after this pass (the normal exit path). */
void app_quit(struct app *a);

void app_set_source(struct app *a, const struct tui_source_ops *ops, void *ctx);
/* Enter on a VM calls fn (the overview screen is pushed by it). */
void app_set_open_vm(struct app *a, void (*fn)(void *ctx, struct app *a, const struct vm *vm),
                     void *ctx);

/* VM rows arriving: begin (replace: drop the rows held; else a refresh: the rows stay on show,
 * arriving rows replace theirs, and a load that succeeds drops the VMs it did not bring),
 * pages (ownership of the VMs' contents moves, the array stays the caller's), done (err NULL
 * on success; else its message is flashed, except for GP_E_CANCELED, and every row stays).
 * expected is the total when known, 0 when not. */
void app_vms_begin(struct app *a, bool replace);
GP_NODISCARD enum gp_status app_add_vms(struct app *a, struct vm *vms, size_t n,
                                        size_t expected, struct gp_error *err);
void app_vms_done(struct app *a, const struct gp_error *err);

/* Shows an operation's step on a VM's row ("stopping 1/3"); NULL clears it. */
void app_set_vm_step(struct app *a, const char *id, const char *text);

/* Screen stack. push takes the screen (destroyed when popped if ops->destroy is set). */
void app_push(struct app *a, struct screen *s);
void app_pop(struct app *a);
size_t app_depth(const struct app *a);

/* The top screen's body changed: its draw runs this pass (full = false). */
void app_body_dirty(struct app *a);
/* Everything is drawn again (Ctrl-L: the terminal is repainted too). */
void app_repaint(struct app *a, bool clear_terminal);

/* Status line facts. */
void app_set_refreshed(struct app *a, int64_t wall_time);
void app_set_counts(struct app *a, unsigned ops_running, unsigned notifications);
/* A one-line message in the status line until the next key. */
void app_flash(struct app *a, bool error, const char *fmt, ...) GP_PRINTF(3, 4);

const struct keymap *app_keymap(const struct app *a);
bool app_readonly(const struct app *a);
struct gp_loop *app_loop(const struct app *a);
struct vmlist *app_home(const struct app *a);

/* Runs a palette command line ("vm train-04", "rg ml-rg", "refresh", "q"...), as typed
 * after `:`. Commands the app does not know go to the handler (NULL: none); a handler that
 * returns false leaves "unknown command" in the status line. */
void app_command(struct app *a, const char *line);
void app_set_command_handler(struct app *a,
                             bool (*fn)(void *ctx, struct app *a, const char *cmd,
                                        const char *arg),
                             void *ctx);

/* `n` opens the notifications through fn (tui/notify's notify_open_cb); NULL: none. */
void app_set_notifications(struct app *a, void (*fn)(void *ctx, struct app *a), void *ctx);

/* Feeds one key as if typed (keymap code). */
void app_key(struct app *a, int key);
/* Mouse reporting on or off (ui.mouse, --mouse); off until called, and then no mouse call at
 * all reaches curses, so the terminal's own text selection keeps working. */
void app_set_mouse(struct app *a, bool on);
/* Feeds one mouse event as if it happened (terminal coordinates). Ignored while the mouse is
 * off, outside the body (breadcrumb and status lines), on the too-small screen and while the
 * palette is open. The wheel moves APP_WHEEL_ROWS lines per notch as the Up / Down keys do
 * (the up / down actions, whatever keys they are bound to); clicks go to the top screen once it
 * is drawn (a click before that would aim at what the terminal showed before). */
#define APP_WHEEL_ROWS 3
void app_mouse(struct app *a, const struct tui_mouse *m);
/* Draws what is dirty now (the before-sleep hook does this each pass; tests call it). */
void app_draw_now(struct app *a);
/* Writes the terminal's content as right-trimmed lines. GP_E_IO. */
GP_NODISCARD enum gp_status app_dump_screen(const struct app *a, const char *path,
                                            struct gp_error *err);

#endif
