/* SPDX-License-Identifier: MIT
 * tui/vmlist.c: the Virtual machines screen. Body layout: a header line with the column
 * titles (the sort column marked), the rows, and an info line (filter, count, loading). A
 * cursor move within the page repaints two lines; scrolling, filtering, sorting and new rows
 * repaint the body. */
#include "tui/vmlist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/keymap.h"
#include "model/text.h"
#include "model/vmtable.h"
#include "tui/app.h"
#include "tui/colors.h"
#include "tui/draw.h"
#include "tui/term.h"

#define DIRTY_ROWS_MAX 8 /* rows remembered for repaint; more makes a full repaint */

/* Widths: the most a column asks for, the least it is shrunk to, and the order in which
 * columns give up space on a narrow terminal (GPU and name last: they are why one looks). */
static const int col_max[VMTABLE_COLUMN_COUNT] = {32, 20, 20, 12, 12, 12, 30};
static const int col_min[VMTABLE_COLUMN_COUNT] = {10, 7, 7, 8, 9, 9, 9};
static const enum vmtable_column shrink_order[VMTABLE_COLUMN_COUNT] = {
    VMCOL_LOCATION, VMCOL_GROUP, VMCOL_PROVISIONING, VMCOL_POWER,
    VMCOL_NAME,     VMCOL_SIZE,  VMCOL_GPU};

struct vmlist {
    struct screen screen; /* first: the app sees a struct screen */
    struct vmtable *t;
    bool utf8;
    size_t sel, top;
    char *sel_id;         /* the selected VM's id: kept across filter, sort and new rows */
    bool moved;           /* the user moved the selection (until then it stays on top) */
    bool editing;         /* typing a filter */
    char filter[VMTABLE_FILTER_MAX];
    bool loading;
    bool refreshing;      /* loading over the rows held (vmlist_refresh_begin) */
    size_t expected;
    int rows, cols;       /* body size */
    int x[VMTABLE_COLUMN_COUNT], w[VMTABLE_COLUMN_COUNT];
    size_t laid_for[VMTABLE_COLUMN_COUNT]; /* table widths the layout was made for */
    bool full;            /* the whole body must be drawn */
    size_t dirty[DIRTY_ROWS_MAX]; /* view indexes of rows to repaint (several keys may come
                                     in one pass) */
    size_t n_dirty;
    bool info_dirty;
    unsigned long rows_drawn;
    struct {
        char *id;
        char text[48];
    } steps[VMLIST_MAX_STEPS];
    void (*open)(void *ctx, const struct vm *vm);
    void *open_ctx;
};

static size_t page_rows(const struct vmlist *vl)
{
    return vl->rows > 2 ? (size_t)vl->rows - 2 : 1;
}

/* --- layout -------------------------------------------------------------------------------- */

static void compute_columns(struct vmlist *vl)
{
    int want[VMTABLE_COLUMN_COUNT];
    int total = 0;
    enum vmtable_column sc = vmtable_sort_column(vl->t);
    for (int c = 0; c < VMTABLE_COLUMN_COUNT; c++) {
        size_t tw = vmtable_col_width(vl->t, (enum vmtable_column)c);
        vl->laid_for[c] = tw;
        /* Room for the short title and, on the sort column, its arrow. */
        int title = draw_width(vmtable_col_short_title((enum vmtable_column)c)) +
                    (c == (int)sc ? 2 : 0);
        int cw = tw > 200 ? 200 : (int)tw;
        if (cw < title)
            cw = title;
        want[c] = cw < col_max[c] ? cw : col_max[c];
        total += want[c];
    }
    int avail = vl->cols - 1 - (VMTABLE_COLUMN_COUNT - 1); /* leading space, one per gap */
    for (int i = 0; i < VMTABLE_COLUMN_COUNT && total > avail; i++) {
        enum vmtable_column c = shrink_order[i];
        int give = want[c] - col_min[c];
        if (give > total - avail)
            give = total - avail;
        if (give > 0) {
            want[c] -= give;
            total -= give;
        }
    }
    int x = 1;
    for (int c = 0; c < VMTABLE_COLUMN_COUNT; c++) {
        vl->x[c] = x;
        vl->w[c] = want[c];
        x += want[c] + 1;
    }
    /* The last column takes what is left. */
    int last = VMTABLE_COLUMN_COUNT - 1;
    if (vl->x[last] < vl->cols)
        vl->w[last] = vl->cols - vl->x[last];
}

static bool widths_changed(const struct vmlist *vl)
{
    for (int c = 0; c < VMTABLE_COLUMN_COUNT; c++)
        if (vmtable_col_width(vl->t, (enum vmtable_column)c) != vl->laid_for[c])
            return true;
    return false;
}

/* --- selection ----------------------------------------------------------------------------- */

static void remember_selection(struct vmlist *vl)
{
    const struct vm *vm = vmtable_vm(vl->t, vl->sel);
    const char *id = vm ? vm->id : NULL;
    if (str_eq(id, vl->sel_id))
        return;
    free(vl->sel_id);
    vl->sel_id = id ? text_dup(id) : NULL;
}

static void clamp_top(struct vmlist *vl)
{
    size_t n = vmtable_visible(vl->t), page = page_rows(vl);
    if (vl->sel < vl->top)
        vl->top = vl->sel;
    if (vl->sel >= vl->top + page)
        vl->top = vl->sel - page + 1;
    if (n <= page)
        vl->top = 0;
    else if (vl->top > n - page)
        vl->top = n - page;
}

/* After the table changed: find the selected VM again, else stay at the same position. */
static void resync(struct vmlist *vl)
{
    size_t n = vmtable_visible(vl->t), i;
    if (!vl->moved)
        vl->sel = 0;
    else if (vl->sel_id && vmtable_find(vl->t, vl->sel_id, &i))
        vl->sel = i;
    else if (n == 0)
        vl->sel = 0;
    else if (vl->sel >= n)
        vl->sel = n - 1;
    clamp_top(vl);
    remember_selection(vl);
    vl->full = true;
}

static void move_to(struct vmlist *vl, struct app *a, size_t target)
{
    size_t n = vmtable_visible(vl->t);
    if (n == 0)
        return;
    if (target >= n)
        target = n - 1;
    vl->moved = true;
    if (target == vl->sel)
        return;
    size_t old = vl->sel, old_top = vl->top;
    vl->sel = target;
    clamp_top(vl);
    remember_selection(vl);
    if (vl->top != old_top || vl->n_dirty + 2 > DIRTY_ROWS_MAX) {
        vl->full = true;
    } else {
        vl->dirty[vl->n_dirty++] = old;
        vl->dirty[vl->n_dirty++] = target;
    }
    app_body_dirty(a);
}

/* --- drawing ------------------------------------------------------------------------------- */

static enum theme_role cell_role(const struct vm *vm, enum vmtable_column c)
{
    switch (c) {
    case VMCOL_POWER:
        switch (vm->power) {
        case POWER_RUNNING:
            return THEME_RUNNING;
        case POWER_STOPPED:
        case POWER_DEALLOCATED:
        case POWER_SAVED:
        case POWER_PAUSED:
            return THEME_STOPPED;
        case POWER_STARTING:
        case POWER_STOPPING:
        case POWER_DEALLOCATING:
            return THEME_TRANSITION;
        case POWER_UNKNOWN:
        case POWER_STATE_COUNT:
        default:
            return THEME_TEXT;
        }
    case VMCOL_PROVISIONING:
        if (vm->provisioning == PROV_FAILED)
            return THEME_ERROR;
        return provisioning_state_is_terminal(vm->provisioning) ? THEME_TEXT : THEME_TRANSITION;
    case VMCOL_GPU:
        return vm->n_gpus ? THEME_GPU : THEME_DIM;
    case VMCOL_GROUP:
    case VMCOL_LOCATION:
        return THEME_DIM;
    default:
        return THEME_TEXT;
    }
}

static const char *step_of(const struct vmlist *vl, const struct vm *vm)
{
    for (size_t i = 0; i < VMLIST_MAX_STEPS; i++)
        if (vl->steps[i].id && str_ieq(vl->steps[i].id, vm->id))
            return vl->steps[i].text;
    return NULL;
}

static void draw_row(struct vmlist *vl, WINDOW *w, size_t view_i)
{
    if (view_i < vl->top || view_i >= vl->top + page_rows(vl))
        return;
    int y = 1 + (int)(view_i - vl->top);
    const struct vm *vm = vmtable_vm(vl->t, view_i);
    vl->rows_drawn++;
    if (!vm) {
        draw_fill(w, y, 0, vl->cols, colors_attr(THEME_TEXT));
        return;
    }
    bool sel = view_i == vl->sel;
    attr_t base = colors_attr(sel ? THEME_SELECTION : THEME_TEXT);
    draw_fill(w, y, 0, vl->cols, base);
    if (sel)
        draw_text(w, y, 0, 1, ">", base); /* visible without colour too */
    const char *step = step_of(vl, vm);
    /* Grouped, a group's name shows on its first row and atop the page, in the title colour:
     * the rows under it belong to it. */
    bool grouped = vmtable_grouped(vl->t);
    bool group_head = grouped && (vmtable_group_starts(vl->t, view_i) || view_i == vl->top);
    for (int c = 0; c < VMTABLE_COLUMN_COUNT; c++) {
        const char *text = vmtable_cell(vl->t, view_i, (enum vmtable_column)c);
        attr_t at = sel ? base : colors_attr(cell_role(vm, (enum vmtable_column)c));
        if (c == VMCOL_GROUP && grouped) {
            if (!group_head)
                continue;
            if (!sel)
                at = colors_attr(THEME_TITLE);
        }
        /* An operation's step takes the power and provisioning columns. */
        if (c == VMCOL_POWER && step) {
            draw_text(w, y, vl->x[c], vl->w[c] + 1 + vl->w[VMCOL_PROVISIONING], step,
                      sel ? base : colors_attr(THEME_TRANSITION));
            c = VMCOL_PROVISIONING;
            continue;
        }
        draw_text(w, y, vl->x[c], vl->w[c], text, at);
    }
}

static void draw_header(struct vmlist *vl, WINDOW *w)
{
    attr_t at = colors_attr(THEME_HEADER);
    draw_fill(w, 0, 0, vl->cols, at);
    enum vmtable_column sc = vmtable_sort_column(vl->t);
    for (int c = 0; c < VMTABLE_COLUMN_COUNT; c++) {
        char title[64];
        const char *arrow = c == (int)sc
                                ? tui_glyph(vmtable_sort_desc(vl->t) ? GLYPH_DOWN : GLYPH_UP)
                                : NULL;
        /* The full title when it fits, else the short one. */
        snprintf(title, sizeof(title), "%s%s%s", vmtable_col_title((enum vmtable_column)c),
                 arrow ? " " : "", arrow ? arrow : "");
        if (draw_width(title) > vl->w[c])
            snprintf(title, sizeof(title), "%s%s%s",
                     vmtable_col_short_title((enum vmtable_column)c), arrow ? " " : "",
                     arrow ? arrow : "");
        draw_text(w, 0, vl->x[c], vl->w[c], title, at);
    }
}

static void draw_info(struct vmlist *vl, WINDOW *w)
{
    int y = vl->rows - 1;
    draw_fill(w, y, 0, vl->cols, colors_attr(THEME_TEXT));
    char right[128], left[VMTABLE_FILTER_MAX + 64];
    size_t n = vmtable_count(vl->t), shown = vmtable_visible(vl->t);
    const char *dot = tui_glyph(GLYPH_DOT);
    char count[64], groups[48] = "";
    size_t ng = vmtable_group_count(vl->t);
    if (vmtable_grouped(vl->t))
        snprintf(groups, sizeof(groups), " in %zu group%s", ng, ng == 1 ? "" : "s");
    if (vl->filter[0])
        snprintf(count, sizeof(count), "%zu of %zu VM%s%s", shown, n, n == 1 ? "" : "s", groups);
    else
        snprintf(count, sizeof(count), "%zu VM%s%s", n, n == 1 ? "" : "s", groups);
    if (vl->loading) {
        char total[32];
        if (vl->expected)
            snprintf(total, sizeof(total), "%zu", vl->expected);
        else
            snprintf(total, sizeof(total), "?");
        /* A refresh counts the rows it has brought, over the rows still on show. */
        const char *what = vl->refreshing ? "refreshing" : "loading";
        size_t got = vl->refreshing ? vmtable_refresh_seen(vl->t) : n;
        if (vl->filter[0])
            snprintf(right, sizeof(right), "%zu shown %s %s%s %zu of %s", shown, dot, what,
                     tui_glyph(GLYPH_ELLIPSIS), got, total);
        else
            snprintf(right, sizeof(right), "%s%s %zu of %s", what, tui_glyph(GLYPH_ELLIPSIS),
                     got, total);
    } else {
        snprintf(right, sizeof(right), "%s", count);
    }
    int rw = draw_width(right);
    int rx = vl->cols - rw - 1;
    if (rx < 1)
        rx = 1;
    draw_text(w, y, rx, vl->cols - rx, right, colors_attr(vl->loading ? THEME_WARNING : THEME_DIM));
    left[0] = '\0';
    if (vl->editing)
        snprintf(left, sizeof(left), "/%s_", vl->filter);
    else if (vl->filter[0])
        snprintf(left, sizeof(left), "filter: %s (/ edits, Esc clears)", vl->filter);
    if (left[0]) {
        char clean[sizeof(left)];
        text_sanitize(clean, sizeof(clean), left);
        draw_text(w, y, 1, rx - 2 > 0 ? rx - 2 : 0, clean, colors_attr(THEME_INPUT));
    }
}

static void draw_empty(struct vmlist *vl, WINDOW *w)
{
    char msg[VMTABLE_FILTER_MAX + 64];
    if (vmtable_count(vl->t) == 0)
        snprintf(msg, sizeof(msg), vl->loading ? "Loading virtual machines%s"
                                                : "No virtual machines.%s",
                 vl->loading ? tui_glyph(GLYPH_ELLIPSIS) : "");
    else
        snprintf(msg, sizeof(msg), "No virtual machine matches \"%s\".", vl->filter);
    char clean[sizeof(msg)];
    text_sanitize(clean, sizeof(clean), msg);
    draw_text(w, 2, 2, vl->cols - 2, clean, colors_attr(THEME_DIM));
}

static void vmlist_draw(struct screen *s, struct app *a, WINDOW *w, bool full)
{
    (void)a;
    struct vmlist *vl = (struct vmlist *)s;
    if (widths_changed(vl)) {
        compute_columns(vl);
        full = true;
    }
    if (full || vl->full) {
        werase(w);
        draw_header(vl, w);
        size_t page = page_rows(vl), n = vmtable_visible(vl->t);
        if (n == 0)
            draw_empty(vl, w);
        for (size_t i = vl->top; i < vl->top + page && i < n; i++)
            draw_row(vl, w, i);
        draw_info(vl, w);
    } else {
        for (size_t i = 0; i < vl->n_dirty; i++) {
            bool seen = false;
            for (size_t j = 0; j < i; j++)
                seen = seen || vl->dirty[j] == vl->dirty[i];
            if (!seen)
                draw_row(vl, w, vl->dirty[i]);
        }
        if (vl->info_dirty)
            draw_info(vl, w);
    }
    vl->full = false;
    vl->info_dirty = false;
    vl->n_dirty = 0;
}

/* --- keys ---------------------------------------------------------------------------------- */

static void apply_filter(struct vmlist *vl, struct app *a)
{
    if (vmtable_set_filter(vl->t, vl->filter) != GP_OK)
        app_flash(a, true, "out of memory while filtering");
    /* The selected VM filtered out: the first match is selected (not whatever row now stands
     * at its old position, which Enter would then open unseen). */
    size_t i;
    if (!vl->sel_id || !vmtable_find(vl->t, vl->sel_id, &i))
        vl->sel = 0;
    resync(vl);
    app_body_dirty(a);
}

/* Appends the UTF-8 form of code point cp to the filter (when it fits). */
static void filter_append(struct vmlist *vl, int cp)
{
    char enc[5];
    size_t n;
    unsigned u = (unsigned)cp;
    if (u < 0x80) {
        enc[0] = (char)u;
        n = 1;
    } else if (u < 0x800) {
        enc[0] = (char)(0xc0 | (u >> 6));
        enc[1] = (char)(0x80 | (u & 0x3f));
        n = 2;
    } else if (u < 0x10000) {
        enc[0] = (char)(0xe0 | (u >> 12));
        enc[1] = (char)(0x80 | ((u >> 6) & 0x3f));
        enc[2] = (char)(0x80 | (u & 0x3f));
        n = 3;
    } else {
        enc[0] = (char)(0xf0 | (u >> 18));
        enc[1] = (char)(0x80 | ((u >> 12) & 0x3f));
        enc[2] = (char)(0x80 | ((u >> 6) & 0x3f));
        enc[3] = (char)(0x80 | (u & 0x3f));
        n = 4;
    }
    size_t len = strlen(vl->filter);
    if (len + n >= sizeof(vl->filter))
        return;
    memcpy(vl->filter + len, enc, n);
    vl->filter[len + n] = '\0';
}

static void filter_backspace(struct vmlist *vl)
{
    size_t len = strlen(vl->filter);
    while (len > 0) {
        len--;
        if (((unsigned char)vl->filter[len] & 0xc0) != 0x80)
            break;
    }
    vl->filter[len] = '\0';
}

static bool key_editing(struct vmlist *vl, struct app *a, int key)
{
    switch (key) {
    case KEY_CODE_ENTER:
        vl->editing = false;
        vl->info_dirty = true;
        app_body_dirty(a);
        return true;
    case KEY_CODE_ESC:
        vl->editing = false;
        vl->filter[0] = '\0';
        apply_filter(vl, a);
        return true;
    case KEY_CODE_BACKSPACE:
        filter_backspace(vl);
        apply_filter(vl, a);
        return true;
    case KEY_CODE_UP:
        move_to(vl, a, vl->sel ? vl->sel - 1 : 0);
        return true;
    case KEY_CODE_DOWN:
        move_to(vl, a, vl->sel + 1);
        return true;
    default:
        break;
    }
    if (key >= 0x20 && key != 0x7f && key < KEY_CODE_BASE) {
        filter_append(vl, key);
        apply_filter(vl, a);
        return true;
    }
    return key != KEY_CODE_RESIZE && key != KEY_CODE_CTRL('l') ? true : false;
}

static void sort_by(struct vmlist *vl, struct app *a, enum vmtable_column col, bool desc)
{
    if (vmtable_set_sort(vl->t, col, desc) != GP_OK) {
        app_flash(a, true, "cannot sort");
        return;
    }
    compute_columns(vl);
    resync(vl);
    app_body_dirty(a);
}

static bool vmlist_key(struct screen *s, struct app *a, enum keymap_action act, int key)
{
    struct vmlist *vl = (struct vmlist *)s;
    if (vl->editing)
        return key_editing(vl, a, key);
    size_t page = page_rows(vl), n = vmtable_visible(vl->t);
    enum vmtable_column sc = vmtable_sort_column(vl->t);
    bool desc = vmtable_sort_desc(vl->t);
    switch (act) {
    case ACT_UP:
        move_to(vl, a, vl->sel ? vl->sel - 1 : 0);
        return true;
    case ACT_DOWN:
        move_to(vl, a, vl->sel + 1);
        return true;
    case ACT_PGUP:
        move_to(vl, a, vl->sel > page ? vl->sel - page : 0);
        return true;
    case ACT_PGDN:
        move_to(vl, a, vl->sel + page);
        return true;
    case ACT_HOME:
        move_to(vl, a, 0);
        return true;
    case ACT_END:
        move_to(vl, a, n ? n - 1 : 0);
        return true;
    case ACT_ENTER: {
        const struct vm *vm = vmtable_vm(vl->t, vl->sel);
        if (vm && vl->open)
            vl->open(vl->open_ctx, vm);
        return true;
    }
    case ACT_FILTER:
        vl->editing = true;
        vl->info_dirty = true;
        app_body_dirty(a);
        return true;
    case ACT_BACK:
        if (!vl->filter[0])
            return false;
        vl->filter[0] = '\0';
        apply_filter(vl, a);
        return true;
    case ACT_SORT_NEXT:
        sort_by(vl, a, (enum vmtable_column)((sc + 1) % VMTABLE_COLUMN_COUNT), false);
        return true;
    case ACT_SORT_REVERSE:
        sort_by(vl, a, sc, !desc);
        return true;
    case ACT_GROUP:
        vmlist_set_grouped(vl, !vmtable_grouped(vl->t));
        app_flash(a, false, vmtable_grouped(vl->t) ? "Grouped by resource group"
                                                   : "No longer grouped");
        app_body_dirty(a);
        return true;
    case ACT_SORT_1:
    case ACT_SORT_2:
    case ACT_SORT_3:
    case ACT_SORT_4:
    case ACT_SORT_5:
    case ACT_SORT_6:
    case ACT_SORT_7: {
        enum vmtable_column c = (enum vmtable_column)(act - ACT_SORT_1);
        sort_by(vl, a, c, c == sc ? !desc : false);
        return true;
    }
    default:
        return false;
    }
}

/* The column whose header cell holds x (a column owns the gap after it); -1 for the leading
 * space. */
static int column_at(const struct vmlist *vl, int x)
{
    for (int c = VMTABLE_COLUMN_COUNT - 1; c >= 0; c--)
        if (x >= vl->x[c])
            return x <= vl->x[c] + vl->w[c] ? c : -1;
    return -1;
}

/* Clicks (the wheel comes as Up / Down): on a header cell sorts by its column as the sort keys
 * do (the same column again reverses); on a row selects it, and on the selected row, or as a
 * double-click, opens it as Enter does. Elsewhere (the info line, below the rows) nothing. */
static void vmlist_mouse(struct screen *s, struct app *a, const struct tui_mouse *m)
{
    struct vmlist *vl = (struct vmlist *)s;
    if (m->kind != TUI_MOUSE_CLICK && m->kind != TUI_MOUSE_DOUBLE)
        return;
    if (vl->editing) {
        /* Clicking away from the filter keeps it, as Enter does. */
        vl->editing = false;
        vl->info_dirty = true;
        app_body_dirty(a);
    }
    if (m->y == 0) {
        int c = column_at(vl, m->x);
        if (c < 0)
            return;
        enum vmtable_column sc = vmtable_sort_column(vl->t);
        sort_by(vl, a, (enum vmtable_column)c, c == (int)sc ? !vmtable_sort_desc(vl->t) : false);
        return;
    }
    if (m->y < 1 || (size_t)(m->y - 1) >= page_rows(vl))
        return;
    size_t i = vl->top + (size_t)(m->y - 1);
    if (i >= vmtable_visible(vl->t))
        return;
    bool open = m->kind == TUI_MOUSE_DOUBLE || i == vl->sel;
    move_to(vl, a, i);
    if (open) {
        const struct vm *vm = vmtable_vm(vl->t, vl->sel);
        if (vm && vl->open)
            vl->open(vl->open_ctx, vm);
    }
}

static void vmlist_resize(struct screen *s, struct app *a, int rows, int cols)
{
    (void)a;
    struct vmlist *vl = (struct vmlist *)s;
    vl->rows = rows;
    vl->cols = cols;
    compute_columns(vl);
    clamp_top(vl);
    vl->full = true;
}

static const struct screen_ops vmlist_ops = {
    .name = "Virtual machines",
    .ctx = KM_LIST,
    .draw = vmlist_draw,
    .key = vmlist_key,
    .mouse = vmlist_mouse,
    .resize = vmlist_resize,
};

/* --- API ----------------------------------------------------------------------------------- */

struct vmlist *vmlist_new(bool utf8)
{
    struct vmlist *vl = calloc(1, sizeof(*vl));
    if (!vl)
        return NULL;
    vl->t = vmtable_new(utf8);
    if (!vl->t) {
        free(vl);
        return NULL;
    }
    vl->screen.ops = &vmlist_ops;
    vl->utf8 = utf8;
    vl->rows = 22;
    vl->cols = 80;
    vl->full = true;
    compute_columns(vl);
    return vl;
}

void vmlist_free(struct vmlist *vl)
{
    if (!vl)
        return;
    vmtable_free(vl->t);
    free(vl->sel_id);
    for (size_t i = 0; i < VMLIST_MAX_STEPS; i++)
        free(vl->steps[i].id);
    free(vl);
}

struct screen *vmlist_screen(struct vmlist *vl)
{
    return &vl->screen;
}

struct vmtable *vmlist_table(struct vmlist *vl)
{
    return vl->t;
}

enum gp_status vmlist_add_rows(struct vmlist *vl, struct vm *vms, size_t n,
                               struct gp_error *err)
{
    enum gp_status st = vmtable_add(vl->t, vms, n, err);
    resync(vl);
    return st;
}

void vmlist_clear(struct vmlist *vl)
{
    vmtable_clear(vl->t);
    vl->refreshing = false;
    vl->sel = vl->top = 0;
    vl->moved = false;
    free(vl->sel_id);
    vl->sel_id = NULL;
    vl->full = true;
}

void vmlist_refresh_begin(struct vmlist *vl)
{
    vmtable_refresh_begin(vl->t);
    vl->refreshing = true;
    vl->info_dirty = true;
}

enum gp_status vmlist_refresh_end(struct vmlist *vl, size_t *out_dropped, struct gp_error *err)
{
    vl->refreshing = false;
    vl->info_dirty = true;
    enum gp_status st = vmtable_refresh_end(vl->t, out_dropped, err);
    resync(vl);
    return st;
}

void vmlist_refresh_abandon(struct vmlist *vl)
{
    vl->refreshing = false;
    vl->info_dirty = true;
}

void vmlist_set_loading(struct vmlist *vl, bool loading, size_t expected)
{
    if (vl->loading != loading || vl->expected != expected)
        vl->info_dirty = true;
    vl->loading = loading;
    vl->expected = expected;
    if (vmtable_count(vl->t) == 0)
        vl->full = true;
}

void vmlist_set_open(struct vmlist *vl, void (*fn)(void *ctx, const struct vm *vm), void *ctx)
{
    vl->open = fn;
    vl->open_ctx = ctx;
}

const struct vm *vmlist_selected(const struct vmlist *vl)
{
    return vmtable_vm(vl->t, vl->sel);
}

unsigned long vmlist_rows_drawn(const struct vmlist *vl)
{
    return vl->rows_drawn;
}

bool vmlist_select(struct vmlist *vl, const char *id)
{
    size_t i;
    if (!vmtable_get(vl->t, id))
        return false;
    if (!vmtable_find(vl->t, id, &i)) {
        vl->filter[0] = '\0';
        vl->editing = false;
        if (vmtable_set_filter(vl->t, "") != GP_OK || !vmtable_find(vl->t, id, &i))
            return false;
    }
    vl->sel = i;
    vl->moved = true;
    clamp_top(vl);
    remember_selection(vl);
    vl->full = true;
    return true;
}

void vmlist_set_grouped(struct vmlist *vl, bool grouped)
{
    if (grouped == vmtable_grouped(vl->t))
        return;
    vmtable_set_grouped(vl->t, grouped);
    resync(vl);
}

void vmlist_set_filter(struct vmlist *vl, const char *text)
{
    (void)text_copy(vl->filter, sizeof(vl->filter), text ? text : "");
    vl->editing = false;
    if (vmtable_set_filter(vl->t, vl->filter) != GP_OK)
        vl->filter[0] = '\0';
    resync(vl);
}

void vmlist_set_step(struct vmlist *vl, const char *id, const char *text)
{
    if (!id)
        return;
    size_t slot = VMLIST_MAX_STEPS, empty = VMLIST_MAX_STEPS;
    for (size_t i = 0; i < VMLIST_MAX_STEPS; i++) {
        if (vl->steps[i].id && str_ieq(vl->steps[i].id, id))
            slot = i;
        else if (!vl->steps[i].id && empty == VMLIST_MAX_STEPS)
            empty = i;
    }
    if (!text) {
        if (slot < VMLIST_MAX_STEPS) {
            free(vl->steps[slot].id);
            vl->steps[slot].id = NULL;
        }
    } else {
        if (slot == VMLIST_MAX_STEPS) {
            if (empty == VMLIST_MAX_STEPS)
                return;
            slot = empty;
            vl->steps[slot].id = text_dup(id);
            if (!vl->steps[slot].id)
                return;
        }
        text_sanitize(vl->steps[slot].text, sizeof(vl->steps[slot].text), text);
    }
    vl->full = true;
}
