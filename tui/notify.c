/* SPDX-License-Identifier: MIT
 * tui/notify.c: the Notifications screen: ended operations, newest first, scrollable. */
#include "tui/notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/text.h"
#include "tui/app.h"
#include "tui/colors.h"
#include "tui/draw.h"
#include "tui/ops.h"
#include "tui/term.h"
#include "tui/widget.h"

struct notify {
    struct screen screen;
    struct app *app;
    struct ops *ops;
    struct widget_lines lines;
    size_t top;
    int rows, width;
    size_t depth; /* stack depth while on top */
};

static enum gp_status build(struct notify *n)
{
    struct widget_lines *l = &n->lines;
    widget_lines_cleanup(l);
    size_t count = ops_note_count(n->ops);
    GP_TRY(widget_lines_addf(l, THEME_HEADER, "%-9s %-18s %-16s %-14s %-9s", "Time", "Operation",
                             "VM", "Outcome", "Duration"));
    if (count == 0)
        return widget_lines_add(l, THEME_DIM, "No notifications yet.");
    for (size_t i = 0; i < count; i++) {
        const struct op_note *e = ops_note(n->ops, i);
        char when[16] = "--:--:--", dur[32];
        time_t t = (time_t)e->when;
        struct tm tm;
        if (e->when > 0 && localtime_r(&t, &tm))
            (void)strftime(when, sizeof(when), "%H:%M:%S", &tm);
        if (e->duration_ms)
            (void)ops_format_duration(e->duration_ms, dur, sizeof(dur));
        else
            (void)text_copy(dur, sizeof(dur), tui_glyph(GLYPH_DASH));
        GP_TRY(widget_lines_addf(l, e->failed ? THEME_ERROR : THEME_TEXT,
                                 "%-9s %-18.18s %-16.16s %-14.14s %s", when, e->operation, e->vm,
                                 e->outcome, dur));
        if (e->failed && e->error[0]) {
            char line[700];
            (void)snprintf(line, sizeof(line), "          %s", e->error);
            GP_TRY(widget_lines_add_wrapped(l, THEME_TEXT, line, n->width, 2));
        }
        if (e->failed && (e->request_id[0] || e->correlation_id[0])) {
            GP_TRY(widget_lines_addf(l, THEME_DIM, "          request id %s%s%s",
                                     e->request_id[0] ? e->request_id : tui_glyph(GLYPH_DASH),
                                     e->correlation_id[0] ? "  correlation id " : "",
                                     e->correlation_id));
        }
        if (e->failed && e->state_line[0])
            GP_TRY(widget_lines_addf(l, THEME_WARNING, "          %s", e->state_line));
    }
    return GP_OK;
}

static void notify_draw(struct screen *s, struct app *a, WINDOW *w, bool full)
{
    (void)full;
    struct notify *n = (struct notify *)s;
    int cols = getmaxx(w), rows = getmaxy(w);
    if (n->width != cols - 2) {
        n->width = cols - 2;
        if (build(n) != GP_OK)
            app_flash(a, true, "out of memory");
    }
    widget_lines_draw(&n->lines, w, 0, rows - 1, 1, n->top);
    char foot[96];
    size_t count = ops_note_count(n->ops);
    (void)snprintf(foot, sizeof(foot), "%zu notification%s, newest first  Esc: back", count,
                   count == 1 ? "" : "s");
    draw_text(w, rows - 1, 1, cols - 2, foot, colors_attr(THEME_DIM));
}

static bool notify_key(struct screen *s, struct app *a, enum keymap_action act, int key)
{
    (void)key;
    struct notify *n = (struct notify *)s;
    if (act == ACT_NOTIFICATIONS)
        return true;
    if (widget_scroll(act, &n->top, n->lines.n, n->rows - 1)) {
        app_body_dirty(a);
        return true;
    }
    return false;
}

/* A new notification while the screen is up: rebuild. */
static void notify_watch(void *ctx, const struct op *op)
{
    struct notify *n = ctx;
    if (op->state == OP_RUNNING)
        return;
    n->width = 0;
    if (app_depth(n->app) == n->depth) {
        ops_notes_seen(n->ops);
        app_body_dirty(n->app);
    }
}

static void notify_resize(struct screen *s, struct app *a, int rows, int cols)
{
    (void)a;
    (void)cols;
    struct notify *n = (struct notify *)s;
    n->rows = rows;
    n->width = 0;
}

static void notify_enter(struct screen *s, struct app *a)
{
    struct notify *n = (struct notify *)s;
    n->depth = app_depth(a);
    ops_notes_seen(n->ops);
    n->width = 0;
}

static void notify_destroy(struct screen *s)
{
    struct notify *n = (struct notify *)s;
    ops_unwatch(n->ops, notify_watch, n);
    widget_lines_cleanup(&n->lines);
    free(n);
}

static const struct screen_ops notify_ops = {
    .name = "Notifications",
    .ctx = KM_LIST,
    .enter = notify_enter,
    .draw = notify_draw,
    .key = notify_key,
    .resize = notify_resize,
    .destroy = notify_destroy,
};

void notify_open(struct app *a, struct ops *ops)
{
    struct notify *n = calloc(1, sizeof(*n));
    if (!n) {
        app_flash(a, true, "out of memory");
        return;
    }
    n->screen.ops = &notify_ops;
    n->app = a;
    n->ops = ops;
    widget_lines_init(&n->lines);
    ops_watch(ops, notify_watch, n);
    app_push(a, &n->screen);
}

void notify_open_cb(void *ctx, struct app *a)
{
    notify_open(a, ctx);
}
