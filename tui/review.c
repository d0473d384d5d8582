/* SPDX-License-Identifier: MIT
 * tui/review.c: the Review screen: hardware profile before and after, the service rules, the
 * plan text, the impact, and the commit button that starts the operation. */
#include "tui/review.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/rules.h"
#include "model/text.h"
#include "tui/app.h"
#include "tui/colors.h"
#include "tui/draw.h"
#include "tui/ops.h"
#include "tui/progress.h"
#include "tui/term.h"
#include "tui/widget.h"

#define FOOT_ROWS 3 /* impact, buttons, why */

enum review_button { BTN_COMMIT, BTN_BACK };

struct review {
    struct screen screen;
    struct ops *ops;
    struct plan plan;
    char title[48];
    char commit_label[24];
    char crumb[16];
    bool has_rules;
    struct rule_report rules;
    struct widget_lines lines;
    int built_width; /* the width lines were wrapped for */
    size_t top;
    int rows, cols;
    int focus;
    char disabled_why[256]; /* "" when the commit button is enabled */
    review_committed_fn committed;
    void *committed_ctx;
    struct widget_hits hits; /* the buttons as drawn, by enum review_button */
};

static void format_mem(long mb, char *buf, size_t n)
{
    if (mb < 0)
        (void)snprintf(buf, n, "?");
    else if (mb >= 1024 && mb % 1024 == 0)
        (void)snprintf(buf, n, "%ld GB", mb / 1024);
    else
        (void)snprintf(buf, n, "%ld MB", mb);
}

static void profile_cells(const struct vm *vm, char *size, size_t sn, char *gpu, size_t gn)
{
    char mem[32];
    format_mem(vm->memory_mb, mem, sizeof(mem));
    if (vm->processors >= 0)
        (void)snprintf(size, sn, "%ld vCPU / %s", vm->processors, mem);
    else
        (void)snprintf(size, sn, "? vCPU / %s", mem);
    (void)vm_gpu_summary(vm, tui_utf8(), gpu, gn);
}

static enum gp_status add_row(struct widget_lines *l, const char *label, const char *before,
                              const char *after)
{
    char b[64], af[64], bp[96];
    text_sanitize(b, sizeof(b), before);
    text_sanitize(af, sizeof(af), after);
    bool changed = strcmp(b, af) != 0;
    (void)widget_pad(bp, sizeof(bp), b, 24);
    return widget_lines_addf(l, changed ? THEME_GPU : THEME_TEXT, "  %-20s %s %s %s", label, bp,
                             tui_utf8() ? "→" : "->", af);
}

static enum theme_role outcome_role(enum rule_outcome o)
{
    switch (o) {
    case RULE_PASSED:
        return THEME_OK;
    case RULE_FAILED:
        return THEME_ERROR;
    case RULE_UNKNOWN:
        return THEME_WARNING;
    case RULE_SKIPPED:
    default:
        return THEME_DIM;
    }
}

/* Builds the page for the given width. */
static enum gp_status build_lines(struct review *r, int width)
{
    struct widget_lines *l = &r->lines;
    widget_lines_cleanup(l);
    r->built_width = width;
    const struct plan *p = &r->plan;
    char name[128];
    text_sanitize(name, sizeof(name), p->vm_name ? p->vm_name : "?");
    GP_TRY(widget_lines_addf(l, THEME_TITLE, "%s on %s", r->title, name));
    GP_TRY(widget_lines_add(l, THEME_TEXT, ""));
    GP_TRY(widget_lines_addf(l, THEME_HEADER, "Hardware profile       %-24s   %s", "Before",
                             "After"));
    char bs[64], bg[128], as[64], ag[128];
    profile_cells(&p->before, bs, sizeof(bs), bg, sizeof(bg));
    profile_cells(&p->after, as, sizeof(as), ag, sizeof(ag));
    GP_TRY(add_row(l, "vCPU / memory", bs, as));
    GP_TRY(add_row(l, "GPU", bg, ag));
    GP_TRY(add_row(l, "Power state", power_state_name(p->before.power),
                   power_state_name(p->after.power)));
    GP_TRY(widget_lines_add(l, THEME_TEXT, ""));
    GP_TRY(widget_lines_add(l, THEME_HEADER, "Service rules"));
    if (r->has_rules) {
        for (int i = 0; i < RULE_COUNT; i++) {
            const struct rule_result *res = &r->rules.results[i];
            char line[512];
            (void)snprintf(line, sizeof(line), "  %-8s %-15s %s",
                           rule_outcome_name(res->outcome), rule_name(res->id), res->reason);
            GP_TRY(widget_lines_add_wrapped(l, outcome_role(res->outcome), line, width, 25));
            if (res->outcome == RULE_FAILED && res->fix[0]) {
                (void)snprintf(line, sizeof(line), "                           fix: %s",
                               res->fix);
                GP_TRY(widget_lines_add_wrapped(l, THEME_WARNING, line, width, 5));
            }
        }
    } else {
        GP_TRY(widget_lines_add(l, THEME_DIM, "  No GPU rule applies to a power action."));
    }
    GP_TRY(widget_lines_add(l, THEME_TEXT, ""));
    GP_TRY(widget_lines_add(l, THEME_HEADER, "Plan (the same as gpup --dry-run)"));
    char *text = NULL;
    enum gp_status st = plan_format(p, &text);
    if (st != GP_OK)
        return st;
    /* Indent the plan text by two columns. */
    const char *q = text;
    while (*q && st == GP_OK) {
        const char *eol = strchr(q, '\n');
        size_t len = eol ? (size_t)(eol - q) : strlen(q);
        char *line = malloc(len + 3);
        if (!line) {
            st = GP_E_NOMEM;
            break;
        }
        line[0] = line[1] = ' ';
        memcpy(line + 2, q, len);
        line[len + 2] = '\0';
        st = widget_lines_add_wrapped(l, THEME_TEXT, line, width, 2);
        free(line);
        q += len;
        if (*q == '\n')
            q++;
    }
    free(text);
    return st;
}

static void compute_disabled(struct review *r, struct app *a)
{
    r->disabled_why[0] = '\0';
    if (app_readonly(a)) {
        (void)snprintf(r->disabled_why, sizeof(r->disabled_why),
                       "%s is disabled: read-only mode", r->commit_label);
    } else if (r->has_rules && r->rules.n_failed > 0) {
        const struct rule_result *f = &r->rules.results[r->rules.first_failed];
        int n = snprintf(r->disabled_why, sizeof(r->disabled_why),
                         "%s is disabled: rule %s failed%s%s", r->commit_label,
                         rule_name(f->id), f->fix[0] ? ". Fix: " : "", f->fix);
        if (n < 0 || (size_t)n >= sizeof(r->disabled_why))
            r->disabled_why[sizeof(r->disabled_why) - 1] = '\0'; /* cut: still says why */
    } else if (r->plan.n_steps == 0) {
        int n = snprintf(r->disabled_why, sizeof(r->disabled_why), "%s is disabled: %s",
                         r->commit_label, r->plan.impact[0] ? r->plan.impact : "nothing to do");
        if (n < 0 || (size_t)n >= sizeof(r->disabled_why))
            r->disabled_why[sizeof(r->disabled_why) - 1] = '\0'; /* cut: still says why */
    }
}

static void review_draw(struct screen *s, struct app *a, WINDOW *w, bool full)
{
    (void)a;
    (void)full;
    struct review *r = (struct review *)s;
    int rows = getmaxy(w), cols = getmaxx(w);
    widget_hits_reset(&r->hits);
    if (r->built_width != cols - 2 && build_lines(r, cols - 2) != GP_OK)
        app_flash(a, true, "out of memory");
    int page = rows - FOOT_ROWS;
    widget_lines_draw(&r->lines, w, 0, page, 1, r->top);
    int y = rows - FOOT_ROWS;
    char impact[300];
    text_sanitize(impact, sizeof(impact), r->plan.impact);
    draw_fill(w, y, 0, cols, colors_attr(THEME_TEXT));
    if (r->plan.downtime)
        (void)snprintf(impact, sizeof(impact), "%s %s", tui_utf8() ? "⚠" : "!",
                       r->plan.impact);
    draw_text(w, y, 1, cols - 2, impact, colors_attr(r->plan.downtime ? THEME_WARNING : THEME_TEXT));
    y++;
    draw_fill(w, y, 0, cols, colors_attr(THEME_TEXT));
    int x = 1;
    x += widget_button(w, &r->hits, BTN_COMMIT, y, x, r->commit_label, r->focus == BTN_COMMIT,
                       r->disabled_why[0] != '\0') +
         2;
    x += widget_button(w, &r->hits, BTN_BACK, y, x, "Back", r->focus == BTN_BACK, false) + 2;
    if (r->lines.n > (size_t)page) {
        char more[48];
        (void)snprintf(more, sizeof(more), "lines %zu-%zu of %zu", r->top + 1,
                       r->top + (size_t)page < r->lines.n ? r->top + (size_t)page : r->lines.n,
                       r->lines.n);
        draw_text_right(w, y, x, cols - x - 1, more, colors_attr(THEME_DIM));
    }
    y++;
    draw_fill(w, y, 0, cols, colors_attr(THEME_TEXT));
    if (r->disabled_why[0]) {
        char why[300];
        text_sanitize(why, sizeof(why), r->disabled_why);
        draw_text(w, y, 1, cols - 2, why, colors_attr(THEME_ERROR));
    } else {
        draw_text(w, y, 1, cols - 2, "Tab: next button  Enter: press  Up/Down: scroll  Esc: back",
                  colors_attr(THEME_DIM));
    }
}

static void commit(struct review *r, struct app *a)
{
    if (r->disabled_why[0]) {
        app_flash(a, false, "%s", r->disabled_why);
        return;
    }
    struct ops *ops = r->ops;
    review_committed_fn committed = r->committed;
    void *cctx = r->committed_ctx;
    struct op *op = NULL;
    struct gp_error err;
    gp_error_clear(&err);
    char title[sizeof(r->title)];
    memcpy(title, r->title, sizeof(title));
    if (ops_start(ops, &r->plan, title, &op, &err) != GP_OK) {
        app_flash(a, true, "%s could not start: %s", title, err.message);
        return;
    }
    app_pop(a); /* r is gone */
    if (committed)
        committed(cctx, a);
    progress_open(a, ops, op);
}

static bool review_key(struct screen *s, struct app *a, enum keymap_action act, int key)
{
    struct review *r = (struct review *)s;
    int page = r->rows - FOOT_ROWS;
    if (act == ACT_NEXT_FIELD || act == ACT_PREV_FIELD || key == KEY_CODE_TAB ||
        key == KEY_CODE_BACKTAB || key == KEY_CODE_LEFT || key == KEY_CODE_RIGHT) {
        r->focus = r->focus == BTN_COMMIT ? BTN_BACK : BTN_COMMIT;
        app_body_dirty(a);
        return true;
    }
    switch (act) {
    case ACT_ENTER:
        if (r->focus == BTN_COMMIT)
            commit(r, a);
        else
            app_pop(a);
        return true;
    case ACT_SAVE:
        commit(r, a);
        return true;
    default:
        if (widget_scroll(act, &r->top, r->lines.n, page)) {
            app_body_dirty(a);
            return true;
        }
        return false;
    }
}

/* A click on a button: focus it and press Enter (a disabled commit button refuses as Enter
 * does). A double-click is ignored: its first press already arrived as a click. */
static void review_mouse(struct screen *s, struct app *a, const struct tui_mouse *m)
{
    struct review *r = (struct review *)s;
    int id = m->kind == TUI_MOUSE_CLICK ? widget_hits_take(&r->hits, m->y, m->x) : -1;
    if (id < 0)
        return;
    r->focus = id;
    app_body_dirty(a);
    (void)review_key(s, a, ACT_ENTER, KEY_CODE_ENTER); /* always handled */
}

static void review_resize(struct screen *s, struct app *a, int rows, int cols)
{
    (void)a;
    struct review *r = (struct review *)s;
    r->rows = rows;
    r->cols = cols;
    r->built_width = 0;
}

static void review_enter(struct screen *s, struct app *a)
{
    compute_disabled((struct review *)s, a);
}

static const char *review_crumb(struct screen *s)
{
    return ((struct review *)s)->crumb;
}

static void review_destroy(struct screen *s)
{
    struct review *r = (struct review *)s;
    plan_cleanup(&r->plan);
    widget_lines_cleanup(&r->lines);
    free(r);
}

static const struct screen_ops review_ops = {
    .name = "Review",
    .ctx = KM_FORM,
    .crumb = review_crumb,
    .enter = review_enter,
    .draw = review_draw,
    .key = review_key,
    .mouse = review_mouse,
    .resize = review_resize,
    .destroy = review_destroy,
};

static const char *default_title(const struct plan *p)
{
    switch (p->kind) {
    case PLAN_GPU_CHANGE:
        return "GPU change";
    case PLAN_CREATE:
        return "Create";
    case PLAN_POWER:
        if (p->n_steps > 0) {
            switch (p->steps[0].kind) {
            case STEP_START:
                return "Start";
            case STEP_STOP:
                return "Stop";
            case STEP_RESTART:
                return "Restart";
            case STEP_PATCH_GPUS:
            case STEP_CREATE_MACHINE:
            case STEP_CREATE_VMI:
            case PLAN_STEP_KIND_COUNT:
            default:
                break;
            }
        }
        return "Power";
    default:
        return "Change";
    }
}

void review_open(struct app *a, struct ops *ops, struct plan *plan, const char *title,
                 review_committed_fn committed, void *ctx)
{
    struct review *r = calloc(1, sizeof(*r));
    if (!r) {
        app_flash(a, true, "out of memory");
        return;
    }
    r->screen.ops = &review_ops;
    r->ops = ops;
    r->plan = *plan;
    plan_init(plan);
    r->committed = committed;
    r->committed_ctx = ctx;
    widget_lines_init(&r->lines);
    (void)text_copy(r->title, sizeof(r->title), title ? title : default_title(&r->plan));
    const char *label = r->plan.kind == PLAN_GPU_CHANGE ? "Save"
                        : r->plan.kind == PLAN_CREATE   ? "Create"
                                                        : default_title(&r->plan);
    (void)text_copy(r->commit_label, sizeof(r->commit_label), label);
    (void)text_copy(r->crumb, sizeof(r->crumb), "Review");
    if (r->plan.kind != PLAN_POWER) {
        /* A create has no VM before it: the rules look at the new VM's custom location. */
        bool creating = r->plan.kind == PLAN_CREATE;
        const struct vm *vm = creating ? &r->plan.after : &r->plan.before;
        const struct cluster *c = ops_cluster(ops);
        struct cluster view;
        bool viewed = ops_cluster_view(c, vm->custom_location, &view);
        struct rule_input in = {
            .vm = vm,
            .desired = r->plan.desired,
            .n_desired = r->plan.n_desired,
            .cluster = viewed ? &view : c,
            .plan_stops_vm = true,
            .creating = creating,
        };
        rules_check(&in, &r->rules);
        r->has_rules = true;
        if (viewed)
            ops_cluster_view_free(&view);
    }
    compute_disabled(r, a);
    r->focus = r->disabled_why[0] ? BTN_BACK : BTN_COMMIT;
    app_push(a, &r->screen);
}
