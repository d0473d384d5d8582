/* SPDX-License-Identifier: MIT
 * tui/app.c: the screen stack, key dispatch, breadcrumb and status lines, dirty-driven
 * drawing in the loop's before-sleep hook, signals and hang-up, and the screen-test script. */
#include "tui/app.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#include "model/text.h"
#include "model/vmtable.h"
#include "net/loop.h"
#include "tui/colors.h"
#include "tui/draw.h"
#include "tui/help.h"
#include "tui/palette.h"
#include "tui/term.h"
#include "tui/vmlist.h"

#define APP_MIN_ROWS 24
#define APP_MIN_COLS 80
#define APP_MAX_DEPTH 16
#define APP_SCRIPT_MAX (1024 * 1024)
#define APP_EMPTY_READS_HANGUP 3 /* readable, yet nothing to read, this many times: EOF */
#define APP_ROWS_REPAINT_MS 100  /* arriving rows repaint at most this often (ncdu) */

enum {
    DIRTY_TOP = 1u << 0,
    DIRTY_BODY = 1u << 1,      /* the top screen draws what it marked */
    DIRTY_BODY_FULL = 1u << 2, /* the top screen draws everything */
    DIRTY_STATUS = 1u << 3,
    DIRTY_CLEAR = 1u << 4,     /* repaint the terminal itself (Ctrl-L, resume) */
    DIRTY_ALL = DIRTY_TOP | DIRTY_BODY | DIRTY_BODY_FULL | DIRTY_STATUS,
};

struct app {
    struct gp_loop *loop;
    struct keymap km;
    bool readonly, no_display, exit_when_idle;
    char profile[64];
    char endpoint[160];

    struct screen *stack[APP_MAX_DEPTH];
    size_t depth;
    struct vmlist *home;

    WINDOW *top, *body, *bottom;
    int rows, cols;
    bool too_small;
    unsigned dirty;

    int64_t refreshed_at; /* wall seconds; 0: never */
    unsigned ops, notes;
    char flash[256];
    bool flash_error;
    bool loading;
    bool refreshing;        /* the load runs over the rows held (app_vms_begin) */
    bool rows_painted;      /* rows_paint_ms is set */
    uint64_t rows_paint_ms; /* when arriving rows were last shown */
    uint64_t rows_timer;    /* pending throttled repaint, 0 when none */

    bool quit, quit_armed, hangup;
    bool mouse;             /* app_set_mouse: mouse events are acted on */
    const struct screen *drawn; /* the screen the body shows (last drawn), NULL: none yet */
    int empty_reads;

    const struct tui_source_ops *src;
    void *src_ctx;
    void (*open_vm)(void *ctx, struct app *a, const struct vm *vm);
    void *open_ctx;
    bool (*command)(void *ctx, struct app *a, const char *cmd, const char *arg);
    void *command_ctx;
    char keep_sel[512];         /* the VM selected before a reload, until it is back */
    char pending_vm[PALETTE_MAX]; /* ":vm NAME" given while the list loads, until it arrives */
    void (*notifications)(void *ctx, struct app *a);
    void *notifications_ctx;
    struct palette pal;

    char *script; /* owned */
    size_t script_pos;
    bool script_mode;
    enum gp_status script_st;
    struct gp_error script_err;
};

/* --- layout -------------------------------------------------------------------------------- */

static void free_windows(struct app *a)
{
    if (a->top)
        delwin(a->top);
    if (a->body)
        delwin(a->body);
    if (a->bottom)
        delwin(a->bottom);
    a->top = a->body = a->bottom = NULL;
}

static void layout(struct app *a)
{
    a->rows = LINES;
    a->cols = COLS;
    a->too_small = a->rows < APP_MIN_ROWS || a->cols < APP_MIN_COLS;
    free_windows(a);
    if (!a->too_small) {
        a->top = newwin(1, a->cols, 0, 0);
        a->body = newwin(a->rows - 2, a->cols, 1, 0);
        a->bottom = newwin(1, a->cols, a->rows - 1, 0);
        if (!a->top || !a->body || !a->bottom) {
            free_windows(a);
            a->too_small = true;
        } else {
            for (size_t i = 0; i < a->depth; i++) {
                struct screen *s = a->stack[i];
                if (s->ops->resize)
                    s->ops->resize(s, a, a->rows - 2, a->cols);
            }
        }
    }
    werase(stdscr);
    wnoutrefresh(stdscr);
    a->dirty |= DIRTY_ALL;
}

/* --- drawing ------------------------------------------------------------------------------- */

static void draw_too_small(struct app *a)
{
    char msg[96];
    snprintf(msg, sizeof(msg), "terminal too small (need 80%s24, have %d%s%d)",
             tui_glyph(GLYPH_TIMES), a->cols, tui_glyph(GLYPH_TIMES), a->rows);
    werase(stdscr);
    int w = draw_width(msg);
    int y = a->rows / 2 - 1;
    int x = w < a->cols ? (a->cols - w) / 2 : 0;
    draw_text(stdscr, y > 0 ? y : 0, x, a->cols - x, msg, colors_attr(THEME_WARNING));
    const char *hint = "q quits";
    int hw = draw_width(hint);
    if (a->rows > 2)
        draw_text(stdscr, (y > 0 ? y : 0) + 1, hw < a->cols ? (a->cols - hw) / 2 : 0,
                  hw < a->cols ? hw : a->cols, hint, colors_attr(THEME_DIM));
    wnoutrefresh(stdscr);
}

static const char *crumb_of(struct screen *s)
{
    const char *c = s->ops->crumb ? s->ops->crumb(s) : NULL;
    return c ? c : s->ops->name;
}

static void draw_top(struct app *a)
{
    char line[512];
    size_t used = 0;
    int wr = snprintf(line, sizeof(line), "Home");
    used = wr > 0 ? (size_t)wr : 0;
    for (size_t i = 0; i < a->depth && used < sizeof(line); i++) {
        char clean[128];
        text_sanitize(clean, sizeof(clean), crumb_of(a->stack[i]));
        wr = snprintf(line + used, sizeof(line) - used, " > %s", clean);
        if (wr < 0 || (size_t)wr >= sizeof(line) - used)
            break;
        used += (size_t)wr;
    }
    draw_fill(a->top, 0, 0, a->cols, colors_attr(THEME_TEXT));
    draw_text(a->top, 0, 1, a->cols - 1, line, colors_attr(THEME_TITLE));
    wnoutrefresh(a->top);
}

/* Draws one piece of the status line at *x, followed by a separator when sep. Returns false
 * when there was no room. */
static void status_piece(struct app *a, int *x, int end, const char *text, enum theme_role role,
                         bool sep)
{
    int room = end - *x;
    if (room <= 0)
        return;
    *x += draw_text(a->bottom, 0, *x, room, text, colors_attr(role));
    if (sep && end - *x > 3) {
        char s[16];
        snprintf(s, sizeof(s), " %s ", tui_glyph(GLYPH_VLINE));
        *x += draw_text(a->bottom, 0, *x, 3, s, colors_attr(THEME_STATUS));
    }
}

/* Left: READ-ONLY, profile, endpoint. Right (kept whole): refresh time, ops, notifications. */
static void draw_status(struct app *a)
{
    WINDOW *w = a->bottom;
    draw_fill(w, 0, 0, a->cols, colors_attr(THEME_STATUS));
    if (a->pal.active) {
        char line[PALETTE_MAX + 128], clean[sizeof(line)];
        snprintf(line, sizeof(line), ":%s_%s%s", a->pal.text, a->pal.hint[0] ? "   " : "",
                 a->pal.hint);
        text_sanitize(clean, sizeof(clean), line);
        draw_text(w, 0, 0, a->cols, clean, colors_attr(THEME_INPUT));
        wnoutrefresh(w);
        return;
    }
    if (a->flash[0]) {
        draw_text(w, 0, 1, a->cols - 2, a->flash,
                  colors_attr(a->flash_error ? THEME_ERROR : THEME_STATUS));
        wnoutrefresh(w);
        return;
    }
    char when[64], right[192], buf[256];
    if (a->loading) {
        snprintf(when, sizeof(when), "loading%s", tui_glyph(GLYPH_ELLIPSIS));
    } else if (a->refreshed_at > 0) {
        time_t t = (time_t)a->refreshed_at;
        struct tm tm;
        if (!localtime_r(&t, &tm) || !strftime(when, sizeof(when), "updated %H:%M:%S", &tm))
            snprintf(when, sizeof(when), "updated");
    } else {
        snprintf(when, sizeof(when), "not loaded");
    }
    const char *bar = tui_glyph(GLYPH_VLINE);
    snprintf(right, sizeof(right), "%s %s %u op%s %s %u notification%s", when, bar, a->ops,
             a->ops == 1 ? "" : "s", bar, a->notes, a->notes == 1 ? "" : "s");
    int rw = draw_width(right);
    int rx = a->cols - rw - 1;
    if (rx < 1)
        rx = 1;
    draw_text(w, 0, rx, a->cols - rx, right, colors_attr(THEME_STATUS));
    /* The badge first: it must never be cut; the endpoint last: it may be. */
    int x = 1, end = rx - 3;
    if (a->readonly)
        status_piece(a, &x, end, "READ-ONLY", THEME_BADGE, true);
    snprintf(buf, sizeof(buf), "profile %s", a->profile[0] ? a->profile : "default");
    status_piece(a, &x, end, buf, THEME_STATUS, a->endpoint[0] != '\0');
    if (a->endpoint[0])
        status_piece(a, &x, end, a->endpoint, THEME_STATUS, false);
    wnoutrefresh(w);
}

/* Draws what is dirty, then one doupdate. */
static void app_draw(struct app *a)
{
    if (!a->dirty || a->hangup)
        return;
    if (a->dirty & DIRTY_CLEAR)
        clearok(curscr, TRUE);
    if (a->too_small) {
        draw_too_small(a);
    } else {
        struct screen *s = a->depth ? a->stack[a->depth - 1] : NULL;
        if (a->dirty & DIRTY_TOP)
            draw_top(a);
        if (s && (a->dirty & (DIRTY_BODY | DIRTY_BODY_FULL))) {
            bool full = (a->dirty & DIRTY_BODY_FULL) != 0;
            if (full)
                werase(a->body);
            s->ops->draw(s, a, a->body, full);
            a->drawn = s;
            wnoutrefresh(a->body);
        }
        if (a->dirty & DIRTY_STATUS)
            draw_status(a);
    }
    a->dirty = 0;
    doupdate();
}

void app_draw_now(struct app *a)
{
    app_draw(a);
}

void app_body_dirty(struct app *a)
{
    a->dirty |= DIRTY_BODY;
}

void app_repaint(struct app *a, bool clear_terminal)
{
    a->dirty |= DIRTY_ALL | (clear_terminal ? DIRTY_CLEAR : 0u);
}

/* --- stack --------------------------------------------------------------------------------- */

void app_push(struct app *a, struct screen *s)
{
    if (a->depth == APP_MAX_DEPTH) {
        if (s->ops->destroy)
            s->ops->destroy(s);
        app_flash(a, true, "too many screens open");
        return;
    }
    a->stack[a->depth++] = s;
    if (s->ops->resize && !a->too_small)
        s->ops->resize(s, a, a->rows - 2, a->cols);
    if (s->ops->enter)
        s->ops->enter(s, a);
    a->dirty |= DIRTY_ALL;
}

void app_pop(struct app *a)
{
    if (a->depth <= 1)
        return;
    struct screen *s = a->stack[--a->depth];
    if (s->ops->leave)
        s->ops->leave(s, a);
    if (a->drawn == s)
        a->drawn = NULL;
    if (s->ops->destroy)
        s->ops->destroy(s);
    struct screen *t = a->stack[a->depth - 1];
    if (t->ops->enter)
        t->ops->enter(t, a);
    a->dirty |= DIRTY_ALL;
}

size_t app_depth(const struct app *a)
{
    return a->depth;
}

/* --- status -------------------------------------------------------------------------------- */

void app_set_refreshed(struct app *a, int64_t wall_time)
{
    a->refreshed_at = wall_time;
    a->dirty |= DIRTY_STATUS;
}

void app_set_counts(struct app *a, unsigned ops_running, unsigned notifications)
{
    a->ops = ops_running;
    a->notes = notifications;
    a->dirty |= DIRTY_STATUS;
}

void app_flash(struct app *a, bool error, const char *fmt, ...)
{
    char raw[sizeof(a->flash)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof(raw), fmt, ap);
    va_end(ap);
    text_sanitize(a->flash, sizeof(a->flash), raw);
    a->flash_error = error;
    a->dirty |= DIRTY_STATUS;
}

const struct keymap *app_keymap(const struct app *a)
{
    return &a->km;
}

bool app_readonly(const struct app *a)
{
    return a->readonly;
}

struct gp_loop *app_loop(const struct app *a)
{
    return a->loop;
}

struct vmlist *app_home(const struct app *a)
{
    return a->home;
}

/* --- data ---------------------------------------------------------------------------------- */

void app_set_source(struct app *a, const struct tui_source_ops *ops, void *ctx)
{
    a->src = ops;
    a->src_ctx = ctx;
}

void app_set_open_vm(struct app *a, void (*fn)(void *ctx, struct app *a, const struct vm *vm),
                     void *ctx)
{
    a->open_vm = fn;
    a->open_ctx = ctx;
}

static void open_vm_cb(void *ctx, const struct vm *vm)
{
    struct app *a = ctx;
    if (a->open_vm)
        a->open_vm(a->open_ctx, a, vm);
    else
        app_flash(a, false, "The VM overview is not available yet");
}

static void rows_timer_fired(void *ctx)
{
    struct app *a = ctx;
    a->rows_timer = 0;
    a->rows_painted = true;
    a->rows_paint_ms = loop_now_ms(a->loop);
    a->dirty |= DIRTY_BODY;
}

/* Rows arrived: show them now, or within APP_ROWS_REPAINT_MS of the last time. The timer
 * exists only while pages arrive, so an idle console still never wakes up. */
static void rows_arrived(struct app *a)
{
    if (a->rows_timer)
        return;
    uint64_t now = loop_now_ms(a->loop);
    if (a->rows_painted && now - a->rows_paint_ms < APP_ROWS_REPAINT_MS) {
        a->rows_timer = loop_timer_add(a->loop, APP_ROWS_REPAINT_MS - (now - a->rows_paint_ms),
                                       rows_timer_fired, a);
        if (a->rows_timer)
            return;
    }
    a->rows_painted = true;
    a->rows_paint_ms = now;
    a->dirty |= DIRTY_BODY;
}

static void rows_flush(struct app *a)
{
    if (a->rows_timer) {
        loop_timer_cancel(a->loop, a->rows_timer);
        a->rows_timer = 0;
    }
    a->rows_painted = false;
    a->dirty |= DIRTY_BODY;
}

static bool open_vm_named(struct app *a, const char *name, bool exact, size_t *out_n);

/* A ":vm NAME" given before its VM arrived opens it when it does, provided the operator is
 * still on the Home list; the end of the load without it says so. */
static void pending_vm_arrived(struct app *a, bool done)
{
    if (!a->pending_vm[0])
        return;
    if (a->depth != 1) {
        a->pending_vm[0] = '\0';
        return;
    }
    size_t n = 0;
    char name[PALETTE_MAX];
    (void)text_copy(name, sizeof(name), a->pending_vm);
    if (open_vm_named(a, name, !done, &n)) {
        a->pending_vm[0] = '\0';
    } else if (done) {
        a->pending_vm[0] = '\0';
        char clean[PALETTE_MAX];
        text_sanitize(clean, sizeof(clean), name);
        app_flash(a, true, "No VM named \"%s\"", clean);
    }
}

void app_vms_begin(struct app *a, bool replace)
{
    /* A reload keeps the operator's place: the selected VM is selected again when it comes
     * back. */
    const struct vm *sel = vmlist_selected(a->home);
    a->keep_sel[0] = '\0';
    if (sel && sel->id)
        (void)text_copy(a->keep_sel, sizeof(a->keep_sel), sel->id);
    if (replace || vmtable_count(vmlist_table(a->home)) == 0) {
        vmlist_clear(a->home);
        a->refreshing = false;
    } else {
        vmlist_refresh_begin(a->home);
        a->refreshing = true;
    }
    a->loading = true;
    vmlist_set_loading(a->home, true, 0);
    a->dirty |= DIRTY_STATUS | DIRTY_BODY;
}

enum gp_status app_add_vms(struct app *a, struct vm *vms, size_t n, size_t expected,
                           struct gp_error *err)
{
    vmlist_set_loading(a->home, a->loading, expected);
    enum gp_status st = vmlist_add_rows(a->home, vms, n, err);
    if (a->keep_sel[0] && vmlist_select(a->home, a->keep_sel))
        a->keep_sel[0] = '\0';
    rows_arrived(a);
    pending_vm_arrived(a, false);
    return st;
}

void app_vms_done(struct app *a, const struct gp_error *err)
{
    a->loading = false;
    vmlist_set_loading(a->home, false, 0);
    bool ok = !err || err->status == GP_OK;
    if (a->refreshing) {
        a->refreshing = false;
        if (ok) {
            size_t dropped = 0;
            struct gp_error e2;
            gp_error_clear(&e2);
            if (vmlist_refresh_end(a->home, &dropped, &e2) != GP_OK)
                app_flash(a, true, "Refresh: %s", e2.message);
            else if (dropped)
                app_flash(a, false, "%zu VM%s no longer listed", dropped,
                          dropped == 1 ? " is" : "s are");
            a->dirty |= DIRTY_BODY;
        } else {
            /* The rows stay as they were: the end of the list never came. */
            vmlist_refresh_abandon(a->home);
        }
    }
    rows_flush(a);
    if (!ok) {
        a->pending_vm[0] = '\0';
        if (err->status != GP_E_CANCELED)
            app_flash(a, true, "Loading VMs failed: %s", err->message);
    }
    pending_vm_arrived(a, true);
    a->dirty |= DIRTY_STATUS;
}

void app_set_vm_step(struct app *a, const char *id, const char *text)
{
    vmlist_set_step(a->home, id, text);
    a->dirty |= DIRTY_BODY;
}

static void start_refresh(struct app *a)
{
    if (!a->src || !a->src->load) {
        app_flash(a, false, "No data source");
        return;
    }
    if (a->loading && a->src->cancel)
        a->src->cancel(a->src_ctx);
    a->src->load(a->src_ctx, a);
}

/* --- keys ---------------------------------------------------------------------------------- */

void app_quit(struct app *a)
{
    a->quit = true;
    loop_wakeup(a->loop);
}

static void try_quit(struct app *a)
{
    if (a->ops > 0 && !a->quit_armed) {
        a->quit_armed = true;
        app_flash(a, false,
                  "Operations running: %u (they go on in the service). q again quits.",
                  a->ops);
        return;
    }
    app_quit(a);
}

/* A key, with its action looked up in the top screen's context, or forced (not ACT_NONE): the
 * wheel means the up / down actions whatever keys they are bound to. */
static void dispatch_key(struct app *a, int key, enum keymap_action forced)
{
    bool armed = a->quit_armed;
    a->quit_armed = false;
    if (a->flash[0]) {
        a->flash[0] = '\0';
        a->dirty |= DIRTY_STATUS;
    }
    if (key == KEY_CODE_RESIZE) {
        layout(a);
        return;
    }
    if (a->pal.active && !a->too_small) {
        a->dirty |= DIRTY_STATUS;
        if (palette_key(&a->pal, key, vmlist_table(a->home)) == PALETTE_RUN) {
            char line[PALETTE_MAX];
            (void)text_copy(line, sizeof(line), a->pal.text);
            app_command(a, line);
        }
        return;
    }
    if (a->too_small) {
        enum keymap_action g = keymap_lookup(&a->km, KM_GLOBAL, key);
        if (g == ACT_QUIT)
            app_quit(a);
        else if (g == ACT_REDRAW)
            app_repaint(a, true);
        return;
    }
    struct screen *s = a->stack[a->depth - 1];
    enum keymap_action act =
        forced != ACT_NONE ? forced : keymap_lookup(&a->km, s->ops->ctx, key);
    if (s->ops->key && s->ops->key(s, a, act, key))
        return;
    switch (act) {
    case ACT_BACK:
        app_pop(a);
        break;
    case ACT_QUIT:
        if (a->depth > 1) {
            app_pop(a);
        } else {
            a->quit_armed = armed;
            try_quit(a);
        }
        break;
    case ACT_HELP:
        if (s->ops != help_screen_ops())
            help_open(a);
        break;
    case ACT_REDRAW:
        app_repaint(a, true);
        break;
    case ACT_REFRESH:
        start_refresh(a);
        break;
    case ACT_PALETTE:
        palette_open(&a->pal);
        a->dirty |= DIRTY_STATUS;
        break;
    case ACT_NOTIFICATIONS:
        if (a->notifications)
            a->notifications(a->notifications_ctx, a);
        else
            app_flash(a, false, "No notifications");
        break;
    default:
        break;
    }
}

void app_key(struct app *a, int key)
{
    dispatch_key(a, key, ACT_NONE);
}

/* --- mouse --------------------------------------------------------------------------------- */

void app_set_mouse(struct app *a, bool on)
{
    if (on == a->mouse)
        return; /* off stays without a single mousemask call (product.md 2.2) */
    a->mouse = on;
    (void)tui_set_mouse(on); /* a terminal without a mouse just sends no events */
}

void app_mouse(struct app *a, const struct tui_mouse *m)
{
    if (!a->mouse || a->too_small || a->pal.active || !a->body || !a->depth)
        return;
    int y = m->y, x = m->x;
    /* Terminal cells to body cells; the breadcrumb and status lines take no clicks. */
    if (!wmouse_trafo(a->body, &y, &x, FALSE))
        return;
    if (m->kind == TUI_MOUSE_WHEEL_UP || m->kind == TUI_MOUSE_WHEEL_DOWN) {
        bool up = m->kind == TUI_MOUSE_WHEEL_UP;
        for (int i = 0; i < APP_WHEEL_ROWS && !a->quit; i++)
            dispatch_key(a, up ? KEY_CODE_UP : KEY_CODE_DOWN, up ? ACT_UP : ACT_DOWN);
        return;
    }
    /* A click is input like a key: it ends the flash and an armed quit. */
    a->quit_armed = false;
    if (a->flash[0]) {
        a->flash[0] = '\0';
        a->dirty |= DIRTY_STATUS;
    }
    struct screen *s = a->stack[a->depth - 1];
    /* A click aims at what the terminal shows: when the top screen changed and was not drawn
     * since, as with the second press of a double-click that opened or closed a screen, the
     * click would land on controls the operator never saw. (A new layout keeps the screen:
     * its clicks stay, as a resume's redraw must not eat the first one.) */
    if (s != a->drawn)
        return;
    if (s->ops->mouse) {
        struct tui_mouse in_body = {.kind = m->kind, .y = y, .x = x};
        s->ops->mouse(s, a, &in_body);
    }
}

/* --- commands ---------------------------------------------------------------------------- */

void app_set_notifications(struct app *a, void (*fn)(void *ctx, struct app *a), void *ctx)
{
    a->notifications = fn;
    a->notifications_ctx = ctx;
}

void app_set_command_handler(struct app *a,
                             bool (*fn)(void *ctx, struct app *a, const char *cmd,
                                        const char *arg),
                             void *ctx)
{
    a->command = fn;
    a->command_ctx = ctx;
}

/* The VM named name: exact (case-insensitive) first, else the only one it starts. */
static const struct vm *vm_by_name(const struct vmtable *t, const char *name, size_t *out_n)
{
    const struct vm *prefix = NULL;
    size_t n_prefix = 0, len = strlen(name);
    for (size_t i = 0; i < vmtable_count(t); i++) {
        const struct vm *v = vmtable_row(t, i);
        if (!v->name)
            continue;
        if (str_ieq(v->name, name)) {
            *out_n = 1;
            return v;
        }
        if (strlen(v->name) > len) {
            char head[PALETTE_MAX];
            memcpy(head, v->name, len);
            head[len] = '\0';
            if (str_ieq(head, name)) {
                prefix = v;
                n_prefix++;
            }
        }
    }
    *out_n = n_prefix;
    return n_prefix == 1 ? prefix : NULL;
}

static void home_only(struct app *a)
{
    while (a->depth > 1)
        app_pop(a);
}

/* Opens the VM NAME names (exactly, or unless exact as the only one it starts) from the Home
 * list; false, with *out_n the VMs it matched, when there is none or more than one. */
static bool open_vm_named(struct app *a, const char *name, bool exact, size_t *out_n)
{
    const struct vm *vm = vm_by_name(vmlist_table(a->home), name, out_n);
    if (!vm || (exact && !str_ieq(vm->name, name)))
        return false;
    home_only(a);
    char *id = text_dup(vm->id);
    if (id && vmlist_select(a->home, id)) {
        const struct vm *sel = vmlist_selected(a->home);
        a->dirty |= DIRTY_ALL;
        if (sel)
            open_vm_cb(a, sel);
    }
    free(id);
    return true;
}

void app_command(struct app *a, const char *text)
{
    char line[PALETTE_MAX];
    (void)text_copy(line, sizeof(line), text ? text : "");
    char *arg = NULL;
    char *cmd = palette_split(line, &arg);
    char clean[PALETTE_MAX];
    text_sanitize(clean, sizeof(clean), arg);
    if (!cmd[0])
        return;
    if (strcmp(cmd, "q") == 0 || strcmp(cmd, "quit") == 0) {
        try_quit(a);
    } else if (strcmp(cmd, "refresh") == 0) {
        start_refresh(a);
    } else if (strcmp(cmd, "help") == 0) {
        if (a->stack[a->depth - 1]->ops != help_screen_ops())
            help_open(a);
    } else if (strcmp(cmd, "vm") == 0) {
        size_t n = 0;
        a->pending_vm[0] = '\0';
        if (!arg[0]) {
            app_flash(a, true, ":vm needs a VM name (Tab completes)");
        } else if (open_vm_named(a, arg, a->loading, &n)) {
            /* opened */
        } else if (n > 1) {
            app_flash(a, true, "%zu VMs start with \"%s\" (Tab completes)", n, clean);
        } else if (a->loading) {
            home_only(a);
            (void)text_copy(a->pending_vm, sizeof(a->pending_vm), arg);
            app_flash(a, false, "Looking for \"%s\" while the list loads%s", clean,
                      tui_glyph(GLYPH_ELLIPSIS));
        } else {
            app_flash(a, true, "No VM named \"%s\"", clean);
        }
    } else if (strcmp(cmd, "rg") == 0) {
        home_only(a);
        vmlist_set_filter(a->home, arg);
        a->dirty |= DIRTY_ALL;
    } else if (!a->command || !a->command(a->command_ctx, a, cmd, arg)) {
        char c2[32];
        text_sanitize(c2, sizeof(c2), cmd);
        app_flash(a, true, "Unknown command :%s (Tab completes, :help lists the keys)", c2);
    }
}

/* --- input and signals --------------------------------------------------------------------- */

static void hang_up(struct app *a)
{
    a->hangup = true;
    app_quit(a);
}

static void on_input(void *ctx, int fd, short revents)
{
    (void)fd;
    struct app *a = ctx;
    int key = 0, got = 0;
    struct tui_mouse m;
    for (;;) {
        enum tui_read r = tui_read_key(&key, &m);
        if (r == TUI_READ_HANGUP) {
            hang_up(a);
            return;
        }
        if (r == TUI_READ_NONE)
            break;
        got++;
        if (r == TUI_READ_MOUSE)
            app_mouse(a, &m);
        else
            app_key(a, key);
        if (a->quit)
            return;
    }
    if (got) {
        a->empty_reads = 0;
    } else if (revents & POLLHUP) {
        hang_up(a);
    } else if (++a->empty_reads >= APP_EMPTY_READS_HANGUP) {
        hang_up(a); /* readable but empty: end of input */
    }
}

static void on_signal(void *ctx, int signo)
{
    struct app *a = ctx;
    switch (signo) {
    case SIGHUP:
        hang_up(a);
        break;
    case SIGINT:
    case SIGTERM:
        app_quit(a);
        break;
    case SIGTSTP:
        tui_suspend();
        layout(a);
        app_repaint(a, true);
        break;
    case SIGCONT:
        tui_resize_from_tty();
        layout(a);
        app_repaint(a, true);
        break;
    case SIGWINCH:
        tui_resize_from_tty();
        layout(a);
        break;
    default:
        break;
    }
}

/* --- script -------------------------------------------------------------------------------- */

/* Idle: no transfer in flight, no load of the source going on (it may be between requests,
 * waiting for a token or a retry), no repaint pending. */
static bool is_idle(const struct app *a)
{
    return loop_transfers(a->loop) == 0 && a->rows_timer == 0 && !(a->loading && a->src);
}

/* ":mouse KIND Y X": the event goes through app_mouse as a real one does. A line that does not
 * parse ends the script with an error rather than testing nothing. */
static void script_mouse(struct app *a, const char *args)
{
    char kind[32];
    int y = -1, x = -1, used = 0;
    struct tui_mouse m;
    if (sscanf(args, "%31s %d %d %n", kind, &y, &x, &used) != 3 || args[used] != '\0' ||
        y < 0 || x < 0 || !tui_mouse_kind_parse(kind, &m.kind)) {
        a->script_st = gp_error_set(&a->script_err, GP_E_INVALID,
                                    "script: bad \":mouse %s\" (want KIND ROW COL, KIND one of "
                                    "click, double-click, wheel-up, wheel-down)",
                                    args);
        app_quit(a);
        return;
    }
    m.y = y;
    m.x = x;
    app_mouse(a, &m);
}

/* Runs one script step: a command line, or one key. */
static void script_step(struct app *a)
{
    const char *s = a->script;
    size_t *pos = &a->script_pos;
    /* At a line start: skip blank lines and comments, run commands. */
    for (;;) {
        bool at_start = *pos == 0 || s[*pos - 1] == '\n';
        if (!s[*pos]) {
            a->script_mode = false;
            app_quit(a);
            return;
        }
        if (s[*pos] == '\n') {
            (*pos)++;
            continue;
        }
        if (!at_start)
            break;
        const char *line = s + *pos;
        const char *eol = strchr(line, '\n');
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        char cmd[512];
        if (len >= sizeof(cmd))
            len = sizeof(cmd) - 1;
        memcpy(cmd, line, len);
        cmd[len] = '\0';
        if (cmd[0] == '#') {
            *pos += eol ? (size_t)(eol - line) + 1 : strlen(line);
            continue;
        }
        if (strncmp(cmd, ":dump-screen ", 13) == 0) {
            *pos += eol ? (size_t)(eol - line) + 1 : strlen(line);
            enum gp_status st = app_dump_screen(a, cmd + 13, &a->script_err);
            if (st != GP_OK) {
                a->script_st = st;
                app_quit(a);
            }
            loop_wakeup(a->loop);
            return;
        }
        if (strncmp(cmd, ":resize ", 8) == 0) {
            *pos += eol ? (size_t)(eol - line) + 1 : strlen(line);
            char *end = NULL;
            long c = strtol(cmd + 8, &end, 10);
            long r = end && *end == 'x' ? strtol(end + 1, NULL, 10) : 0;
            if (c > 0 && r > 0 && c < 1000 && r < 1000) {
                tui_resize((int)r, (int)c);
                app_key(a, KEY_CODE_RESIZE);
            }
            loop_wakeup(a->loop);
            return;
        }
        if (strncmp(cmd, ":mouse ", 7) == 0) {
            *pos += eol ? (size_t)(eol - line) + 1 : strlen(line);
            script_mouse(a, cmd + 7);
            loop_wakeup(a->loop);
            return;
        }
        break;
    }
    /* One key: <Name> or one UTF-8 character. */
    const char *p = s + *pos;
    size_t len = 1;
    if (*p == '<') {
        const char *gt = strchr(p, '>');
        const char *nl = strchr(p, '\n');
        if (gt && (!nl || gt < nl) && gt - p < KEYMAP_SPEC_MAX - 1)
            len = (size_t)(gt - p) + 1;
    } else {
        while ((p[len] & 0xc0) == 0x80)
            len++;
    }
    char spec[KEYMAP_SPEC_MAX];
    if (len >= sizeof(spec))
        len = sizeof(spec) - 1;
    memcpy(spec, p, len);
    spec[len] = '\0';
    *pos += len;
    int key = 0;
    struct gp_error err;
    gp_error_clear(&err);
    if (keymap_parse_key(spec, &key, &err) == GP_OK)
        app_key(a, key);
    else if (len == 1)
        app_key(a, (unsigned char)spec[0]); /* '<' alone and the like */
    loop_wakeup(a->loop);
}

static void before_sleep(void *ctx)
{
    struct app *a = ctx;
    if (a->quit)
        return;
    app_draw(a);
    if (a->script_mode && is_idle(a))
        script_step(a);
    else if (a->no_display && a->exit_when_idle && !a->script && is_idle(a))
        app_quit(a); /* nothing can ever type: paint what loaded, then end (benchmarks) */
}

enum gp_status app_dump_screen(const struct app *a, const char *path, struct gp_error *err)
{
    (void)a;
    FILE *f = fopen(path, "w");
    if (!f)
        return gp_error_set(err, GP_E_IO, "%s: %s", path, strerror(errno));
    wchar_t wbuf[1024];
    for (int y = 0; y < LINES; y++) {
        int n = mvwinnwstr(curscr, y, 0, wbuf, COLS < 1023 ? COLS : 1023);
        char line[4096];
        size_t used = 0;
        if (n != ERR) {
            mbstate_t st;
            memset(&st, 0, sizeof(st));
            for (int i = 0; wbuf[i] && i < n && used + MB_LEN_MAX < sizeof(line); i++) {
                size_t w = wcrtomb(line + used, wbuf[i], &st);
                if (w == (size_t)-1) {
                    line[used] = '?';
                    w = 1;
                    memset(&st, 0, sizeof(st));
                }
                used += w;
            }
        }
        while (used > 0 && line[used - 1] == ' ')
            used--;
        line[used] = '\0';
        fprintf(f, "%s\n", line);
    }
    if (fclose(f) != 0)
        return gp_error_set(err, GP_E_IO, "%s: %s", path, strerror(errno));
    return GP_OK;
}

/* --- life cycle ---------------------------------------------------------------------------- */

static char *read_script(const char *path, struct gp_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        gp_error_set(err, GP_E_IO, "GPUP_SCRIPT %s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(APP_SCRIPT_MAX + 1);
    if (!buf) {
        fclose(f);
        gp_error_set(err, GP_E_NOMEM, "out of memory");
        return NULL;
    }
    size_t n = fread(buf, 1, APP_SCRIPT_MAX, f);
    bool too_big = n == APP_SCRIPT_MAX && fgetc(f) != EOF;
    fclose(f);
    if (too_big) {
        free(buf);
        gp_error_set(err, GP_E_TOO_LARGE, "GPUP_SCRIPT %s: larger than %d bytes", path,
                     APP_SCRIPT_MAX);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

enum gp_status app_new(const struct app_opts *opts, struct gp_loop *loop, struct app **out,
                       struct gp_error *err)
{
    *out = NULL;
    struct app *a = calloc(1, sizeof(*a));
    if (!a)
        return gp_error_set(err, GP_E_NOMEM, "out of memory");
    a->loop = loop;
    if (opts->keymap)
        a->km = *opts->keymap;
    else
        keymap_init(&a->km);
    a->readonly = opts->readonly;
    a->no_display = opts->no_display || getenv("GPUP_NO_DISPLAY") != NULL;
    a->exit_when_idle = opts->exit_when_idle || getenv("GPUP_EXIT_WHEN_IDLE") != NULL;
    (void)text_copy(a->profile, sizeof(a->profile), opts->profile ? opts->profile : "");
    /* The endpoint without its scheme: the status line is short. */
    const char *ep = opts->endpoint ? opts->endpoint : "";
    const char *scheme = strstr(ep, "://");
    char clean[sizeof(a->endpoint)];
    text_sanitize(clean, sizeof(clean), scheme ? scheme + 3 : ep);
    (void)text_copy(a->endpoint, sizeof(a->endpoint), clean);
    const char *script_env = getenv("GPUP_SCRIPT");
    if (opts->script) {
        a->script = text_dup(opts->script);
        if (!a->script) {
            free(a);
            return gp_error_set(err, GP_E_NOMEM, "out of memory");
        }
    } else if (script_env && *script_env) {
        a->script = read_script(script_env, err);
        if (!a->script) {
            free(a);
            return err ? err->status : GP_E_IO;
        }
    }
    a->script_mode = a->script != NULL;

    const char *nc = getenv("NO_COLOR");
    struct tui_term_opts to = {.no_display = a->no_display,
                               .use_color = opts->use_color && !(nc && *nc),
                               .theme = opts->theme};
    enum gp_status st = tui_init(&to, err);
    if (st != GP_OK) {
        free(a->script);
        free(a);
        return st;
    }
    a->home = vmlist_new(tui_utf8());
    if (!a->home) { /* nothing pushed or watched yet: undo tui_init only */
        tui_done();
        free(a->script);
        free(a);
        return gp_error_set(err, GP_E_NOMEM, "out of memory");
    }
    vmlist_set_open(a->home, open_vm_cb, a);
    layout(a);
    app_push(a, vmlist_screen(a->home));

    if (!a->no_display) {
        static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGTSTP, SIGCONT, SIGWINCH};
        signal(SIGPIPE, SIG_IGN);
        for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
            st = loop_watch_signal(loop, sigs[i], on_signal, a);
            if (st != GP_OK) {
                app_free(a);
                return gp_error_set(err, st, "cannot watch signal %d", sigs[i]);
            }
        }
        st = loop_watch_fd(loop, tui_input_fd(), POLLIN, on_input, a);
        if (st != GP_OK) {
            app_free(a);
            return gp_error_set(err, st, "cannot watch the terminal");
        }
    }
    loop_set_before_sleep(loop, before_sleep, a);
    *out = a;
    return GP_OK;
}

void app_free(struct app *a)
{
    if (!a)
        return;
    if (a->src && a->src->cancel && a->loading)
        a->src->cancel(a->src_ctx);
    loop_set_before_sleep(a->loop, NULL, NULL);
    if (a->rows_timer)
        loop_timer_cancel(a->loop, a->rows_timer);
    if (!a->no_display && tui_input_fd() >= 0)
        loop_unwatch_fd(a->loop, tui_input_fd());
    while (a->depth > 1)
        app_pop(a);
    a->depth = 0;
    free_windows(a);
    tui_done();
    vmlist_free(a->home);
    free(a->script);
    free(a);
}

enum gp_status app_run(struct app *a, struct gp_error *err)
{
    if (a->src && a->src->load && !a->loading)
        start_refresh(a);
    app_draw(a);
    if (a->script_mode || a->no_display)
        loop_wakeup(a->loop); /* a first pass, so the hook runs the script or ends */
    while (!a->quit) {
        enum gp_status st = loop_run_once(a->loop, -1);
        if (st != GP_OK)
            return gp_error_set(err, st, "event loop: %s", gp_status_name(st));
    }
    if (a->script_st != GP_OK) {
        if (err)
            *err = a->script_err;
        return a->script_st;
    }
    return GP_OK;
}
