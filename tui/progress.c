/* SPDX-License-Identifier: MIT
 * tui/progress.c: the Progress screen of one operation: steps with their state, the live
 * power state, the failure and its recovery buttons; a spinner timer only while it runs. */
#include "tui/progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/text.h"
#include "net/loop.h"
#include "tui/app.h"
#include "tui/colors.h"
#include "tui/draw.h"
#include "tui/notify.h"
#include "tui/ops.h"
#include "tui/term.h"
#include "tui/widget.h"

#define SPIN_MS 125u
#define STATE_W 16

struct progress {
    struct screen screen;
    struct app *app;
    struct ops *ops;
    struct op *op;
    uint64_t timer;
    size_t depth; /* the stack depth while this screen is on top */
    int focus;    /* recovery button */
    struct widget_hits hits; /* the recovery buttons as drawn, by offer index */
};

static const char *const spin_utf8[] = {"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"};
static const char *const spin_ascii[] = {"|", "/", "-", "\\"};

static bool on_top(const struct progress *p)
{
    return app_depth(p->app) == p->depth;
}

static void spin_fired(void *ctx);

static void arm(struct progress *p)
{
    if (p->timer || p->op->state != OP_RUNNING || !on_top(p))
        return;
    p->timer = loop_timer_add(ops_loop(p->ops), SPIN_MS, spin_fired, p);
}

static void disarm(struct progress *p)
{
    if (p->timer) {
        loop_timer_cancel(ops_loop(p->ops), p->timer);
        p->timer = 0;
    }
}

static void spin_fired(void *ctx)
{
    struct progress *p = ctx;
    p->timer = 0;
    if (!on_top(p))
        return; /* re-armed when the screen is shown again */
    app_body_dirty(p->app);
    arm(p);
}

static const char *step_glyph(const struct progress *p, const struct op_step *s)
{
    bool u = tui_utf8();
    switch (s->state) {
    case EXEC_DONE:
        return u ? "✓" : "+";
    case EXEC_FAILED:
        return u ? "✗" : "x";
    case EXEC_SKIPPED:
        return u ? "–" : "-";
    case EXEC_RUNNING: {
        uint64_t t = loop_now_ms(ops_loop(p->ops)) / SPIN_MS;
        return u ? spin_utf8[t % 10u] : spin_ascii[t % 4u];
    }
    case EXEC_PENDING:
    case EXEC_STEP_STATE_COUNT:
    default:
        return u ? "·" : ".";
    }
}

static enum theme_role step_role(enum exec_step_state s)
{
    switch (s) {
    case EXEC_DONE:
        return THEME_OK;
    case EXEC_FAILED:
        return THEME_ERROR;
    case EXEC_RUNNING:
        return THEME_WARNING;
    case EXEC_SKIPPED:
    case EXEC_PENDING:
    case EXEC_STEP_STATE_COUNT:
    default:
        return THEME_DIM;
    }
}

static bool offers_shown(const struct op *op)
{
    return (op->state == OP_FAILED || op->state == OP_CANCELED) && op->has_result &&
           !op->resolved && op->result.n_offers > 0;
}

static void progress_draw(struct screen *s, struct app *a, WINDOW *w, bool full)
{
    (void)a;
    (void)full;
    struct progress *p = (struct progress *)s;
    const struct op *op = p->op;
    int rows = getmaxy(w), cols = getmaxx(w);
    uint64_t now = loop_now_ms(ops_loop(p->ops));
    werase(w);
    widget_hits_reset(&p->hits);
    char line[600], dur[32];
    (void)snprintf(line, sizeof(line), "%s on %s", op->title, op->vm_name);
    draw_text(w, 0, 1, cols / 2, line, colors_attr(THEME_TITLE) | A_BOLD);
    enum power_state pw = op->live.power;
    (void)snprintf(line, sizeof(line), "Power state: %s", power_state_name(pw));
    draw_text_right(w, 0, cols / 2, cols / 2 - 1, line,
                    colors_attr(pw == POWER_RUNNING ? THEME_OK : THEME_WARNING));
    switch (op->state) {
    case OP_RUNNING:
        (void)snprintf(line, sizeof(line), "Running, %s elapsed",
                       ops_format_duration(now - op->started_ms, dur, sizeof(dur)));
        break;
    case OP_DONE:
        (void)snprintf(line, sizeof(line), "Done in %s",
                       ops_format_duration(op->ended_ms - op->started_ms, dur, sizeof(dur)));
        break;
    case OP_CANCELED:
        (void)snprintf(line, sizeof(line), "Interrupted after %s (unfinished: gpup resumes it)",
                       ops_format_duration(op->ended_ms - op->started_ms, dur, sizeof(dur)));
        break;
    case OP_FAILED:
    default:
        (void)snprintf(line, sizeof(line), "Failed after %s",
                       ops_format_duration(op->ended_ms - op->started_ms, dur, sizeof(dur)));
        break;
    }
    draw_text(w, 1, 1, cols - 2, line,
              colors_attr(op->state == OP_DONE      ? THEME_OK
                          : op->state == OP_RUNNING ? THEME_TEXT
                                                    : THEME_ERROR));
    int y = 3;
    for (size_t i = 0; i < op->n_steps && y < rows - 2; i++) {
        const struct op_step *st = &op->steps[i];
        char state[48];
        switch (st->state) {
        case EXEC_RUNNING:
            (void)snprintf(state, sizeof(state), "running %s",
                           ops_format_duration(now - st->started_ms, dur, sizeof(dur)));
            break;
        case EXEC_DONE:
            (void)snprintf(state, sizeof(state), "done %s",
                           ops_format_duration(st->ms, dur, sizeof(dur)));
            break;
        case EXEC_FAILED:
            (void)snprintf(state, sizeof(state), "failed %s",
                           ops_format_duration(st->ms, dur, sizeof(dur)));
            break;
        case EXEC_SKIPPED:
            (void)snprintf(state, sizeof(state), "skipped");
            break;
        case EXEC_PENDING:
        case EXEC_STEP_STATE_COUNT:
        default:
            (void)snprintf(state, sizeof(state), "pending");
            break;
        }
        enum theme_role role = step_role(st->state);
        draw_text(w, y, 2, 2, step_glyph(p, st), colors_attr(role));
        (void)snprintf(line, sizeof(line), "%zu. %s", i + 1, st->summary);
        struct widget_lines sl;
        widget_lines_init(&sl);
        int sw = cols - 6 - STATE_W;
        attr_t sattr = colors_attr(st->state == EXEC_PENDING ? THEME_DIM : THEME_TEXT);
        draw_text_right(w, y, cols - 1 - STATE_W, STATE_W, state, colors_attr(role));
        if (widget_lines_add_wrapped(&sl, THEME_TEXT, line, sw, 3) == GP_OK && sl.n > 0) {
            for (size_t k = 0; k < sl.n && k < 2 && y < rows - 2; k++)
                draw_text(w, y++, 4, sw, sl.v[k].text, sattr);
        } else {
            draw_text(w, y++, 4, sw, line, sattr);
        }
        widget_lines_cleanup(&sl);
        if (st->detail[0] && (st->state == EXEC_RUNNING || st->state == EXEC_SKIPPED) &&
            y < rows - 2) {
            draw_text(w, y, 7, cols - 8, st->detail, colors_attr(THEME_DIM));
            y++;
        }
    }
    y++;
    if (op->state != OP_RUNNING && op->state != OP_DONE && op->has_result) {
        const struct gp_error *e = &op->result.err;
        struct widget_lines l;
        widget_lines_init(&l);
        if (widget_lines_add_wrapped(&l, THEME_ERROR, e->message, cols - 2, 2) == GP_OK) {
            char ids[400];
            int n = snprintf(ids, sizeof(ids), "  ");
            if (e->code[0])
                n += snprintf(ids + n, sizeof(ids) - (size_t)n, "code %s  ", e->code);
            if (e->http_status)
                n += snprintf(ids + n, sizeof(ids) - (size_t)n, "HTTP %d  ", e->http_status);
            if (e->request_id[0])
                n += snprintf(ids + n, sizeof(ids) - (size_t)n, "request id %s  ",
                              e->request_id);
            if (e->correlation_id[0] && n > 0 && (size_t)n < sizeof(ids))
                (void)snprintf(ids + n, sizeof(ids) - (size_t)n, "correlation id %s",
                               e->correlation_id);
            if (n > 2 && widget_lines_add(&l, THEME_DIM, ids) != GP_OK)
                l.full = true;
            if (op->result.state_line[0] &&
                widget_lines_add(&l, THEME_WARNING, op->result.state_line) != GP_OK)
                l.full = true;
        }
        int room = rows - 2 - y;
        if (room > 0) {
            int k = (int)l.n < room ? (int)l.n : room;
            widget_lines_draw(&l, w, y, k, 1, 0);
            y += k + 1;
        }
        widget_lines_cleanup(&l);
    }
    if (offers_shown(op)) {
        for (size_t i = 0; i < op->result.n_offers && y < rows - 1; i++, y++) {
            char label[200];
            text_sanitize(label, sizeof(label), op->result.offers[i].label);
            widget_button(w, &p->hits, (int)i, y, 1, label, (int)i == p->focus, false);
        }
    } else if (op->resolved) {
        draw_text(w, y, 1, cols - 2, "A recovery was chosen: see Notifications (n).",
                  colors_attr(THEME_DIM));
    }
    const char *hint = op->state == OP_RUNNING
                           ? "Esc: back (the operation continues; its state stays in the status "
                             "line)"
                       : offers_shown(op) ? "Up/Down: choose  Enter: run it  Esc: back"
                                          : "Esc: back  n: notifications";
    draw_text(w, rows - 1, 1, cols - 2, hint, colors_attr(THEME_DIM));
}

static void set_op(struct progress *p, struct op *op)
{
    if (p->op)
        ops_release(p->op);
    p->op = op;
    ops_hold(op);
    p->focus = 0;
}

static void recover(struct progress *p, struct app *a)
{
    struct op *op = p->op;
    if ((size_t)p->focus >= op->result.n_offers)
        return;
    char label[200];
    text_sanitize(label, sizeof(label), op->result.offers[p->focus].label);
    struct op *next = NULL;
    struct gp_error err;
    gp_error_clear(&err);
    if (ops_recover(p->ops, op, (size_t)p->focus, &next, &err) != GP_OK) {
        app_flash(a, true, "%s: %s", label, err.message);
        return;
    }
    if (next) {
        set_op(p, next);
        arm(p);
    } else {
        app_flash(a, false, "%s: done", label);
    }
    app_body_dirty(a);
}

static bool progress_key(struct screen *s, struct app *a, enum keymap_action act, int key)
{
    struct progress *p = (struct progress *)s;
    int n = offers_shown(p->op) ? (int)p->op->result.n_offers : 0;
    if (act == ACT_NOTIFICATIONS) {
        notify_open(a, p->ops);
        return true;
    }
    if (n == 0)
        return false;
    if (act == ACT_UP || act == ACT_PREV_FIELD || key == KEY_CODE_BACKTAB) {
        p->focus = (p->focus + n - 1) % n;
    } else if (act == ACT_DOWN || act == ACT_NEXT_FIELD || key == KEY_CODE_TAB) {
        p->focus = (p->focus + 1) % n;
    } else if (act == ACT_ENTER) {
        if (app_readonly(a)) {
            app_flash(a, false, "Recovery is disabled: read-only mode");
            return true;
        }
        recover(p, a);
        return true;
    } else {
        return false;
    }
    app_body_dirty(a);
    return true;
}

/* A click on a recovery button: focus it and press Enter (read-only refuses as Enter does). A
 * double-click is ignored: its first press already arrived as a click. */
static void progress_mouse(struct screen *s, struct app *a, const struct tui_mouse *m)
{
    struct progress *p = (struct progress *)s;
    int id = m->kind == TUI_MOUSE_CLICK ? widget_hits_take(&p->hits, m->y, m->x) : -1;
    if (id < 0 || !offers_shown(p->op) || (size_t)id >= p->op->result.n_offers)
        return;
    p->focus = id;
    app_body_dirty(a);
    (void)progress_key(s, a, ACT_ENTER, KEY_CODE_ENTER); /* handled while offers show */
}

static void progress_watch(void *ctx, const struct op *op)
{
    struct progress *p = ctx;
    if (op != p->op)
        return;
    if (op->state != OP_RUNNING)
        disarm(p);
    if (on_top(p))
        app_body_dirty(p->app);
}

static void progress_enter(struct screen *s, struct app *a)
{
    struct progress *p = (struct progress *)s;
    p->depth = app_depth(a);
    arm(p);
}

static void progress_leave(struct screen *s, struct app *a)
{
    (void)a;
    disarm((struct progress *)s);
}

static void progress_destroy(struct screen *s)
{
    struct progress *p = (struct progress *)s;
    disarm(p);
    ops_unwatch(p->ops, progress_watch, p);
    if (p->op)
        ops_release(p->op);
    free(p);
}

static const struct screen_ops progress_ops = {
    .name = "Progress",
    .ctx = KM_FORM,
    .enter = progress_enter,
    .draw = progress_draw,
    .key = progress_key,
    .mouse = progress_mouse,
    .leave = progress_leave,
    .destroy = progress_destroy,
};

void progress_open(struct app *a, struct ops *ops, struct op *op)
{
    struct progress *p = calloc(1, sizeof(*p));
    if (!p) {
        app_flash(a, true, "out of memory");
        return;
    }
    p->screen.ops = &progress_ops;
    p->app = a;
    p->ops = ops;
    set_op(p, op);
    ops_watch(ops, progress_watch, p);
    app_push(a, &p->screen);
}
