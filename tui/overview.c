/* SPDX-License-Identifier: MIT
 * tui/overview.c: the VM overview, its actions and Settings menu, the raw JSON page with
 * search, and the OSC 52 copy of the resource id. */
#include "tui/overview.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/buf.h"
#include "model/keymap.h"
#include "model/plan.h"
#include "model/recovery.h"
#include "model/text.h"
#include "tui/app.h"
#include "tui/colors.h"
#include "tui/draw.h"
#include "tui/notify.h"
#include "tui/ops.h"
#include "tui/review.h"
#include "tui/size.h"
#include "tui/term.h"
#include "tui/widget.h"

#define LABEL_W 20

enum overview_item { ITEM_START, ITEM_STOP, ITEM_RESTART, ITEM_SIZE, ITEM_COUNT };

static const char *const item_labels[ITEM_COUNT] = {"Start", "Stop", "Restart", "Size"};

struct overview {
    struct screen screen;
    struct ops *ops;
    struct vm vm;
    char crumb[64];
    int focus;
    struct widget_hits hits; /* the buttons as drawn, by enum overview_item */
};

/* --- JSON helpers -------------------------------------------------------------------------- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t overview_osc52(const char *text, char *buf, size_t n)
{
    size_t len = strlen(text);
    size_t need = 7 + (len + 2) / 3 * 4 + 1 + 1;
    if (n < need)
        return 0;
    size_t o = 0;
    memcpy(buf, "\033]52;c;", 7);
    o = 7;
    const unsigned char *s = (const unsigned char *)text;
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)s[i] << 16;
        if (i + 1 < len)
            v |= (unsigned)s[i + 1] << 8;
        if (i + 2 < len)
            v |= s[i + 2];
        buf[o++] = b64[(v >> 18) & 63];
        buf[o++] = b64[(v >> 12) & 63];
        buf[o++] = i + 1 < len ? b64[(v >> 6) & 63] : '=';
        buf[o++] = i + 2 < len ? b64[v & 63] : '=';
    }
    buf[o++] = '\a';
    buf[o] = '\0';
    return o;
}

static enum gp_status pretty_newline(struct gp_buf *b, int depth)
{
    GP_TRY(gp_buf_append(b, "\n", 1));
    for (int i = 0; i < depth; i++)
        GP_TRY(gp_buf_append(b, "  ", 2));
    return GP_OK;
}

char *overview_pretty_json(const char *json)
{
    struct gp_buf b;
    gp_buf_init(&b, VM_JSON_MAX_BYTES * 4u);
    int depth = 0;
    bool in_str = false, esc = false;
    enum gp_status st = GP_OK;
    for (const char *p = json; *p && st == GP_OK; p++) {
        char c = *p;
        if (in_str) {
            st = gp_buf_append(&b, p, 1);
            if (esc)
                esc = false;
            else if (c == '\\')
                esc = true;
            else if (c == '"')
                in_str = false;
            continue;
        }
        switch (c) {
        case '"':
            in_str = true;
            st = gp_buf_append(&b, p, 1);
            break;
        case '{':
        case '[': {
            const char *q = p + 1;
            while (*q == ' ' || *q == '\n' || *q == '\t' || *q == '\r')
                q++;
            if (*q == (c == '{' ? '}' : ']')) { /* empty: {} or [] */
                st = gp_buf_append(&b, c == '{' ? "{}" : "[]", 2);
                p = q;
                break;
            }
            st = gp_buf_append(&b, p, 1);
            depth++;
            if (st == GP_OK)
                st = pretty_newline(&b, depth);
            break;
        }
        case '}':
        case ']':
            depth = depth > 0 ? depth - 1 : 0;
            st = pretty_newline(&b, depth);
            if (st == GP_OK)
                st = gp_buf_append(&b, p, 1);
            break;
        case ',':
            st = gp_buf_append(&b, ",", 1);
            if (st == GP_OK)
                st = pretty_newline(&b, depth);
            break;
        case ':':
            st = gp_buf_append(&b, ": ", 2);
            break;
        case ' ':
        case '\n':
        case '\t':
        case '\r':
            break;
        default:
            st = gp_buf_append(&b, p, 1);
            break;
        }
    }
    if (st != GP_OK) {
        gp_buf_cleanup(&b);
        return NULL;
    }
    if (gp_buf_append(&b, "", 0) != GP_OK) {
        gp_buf_cleanup(&b);
        return NULL;
    }
    return gp_buf_take(&b, NULL);
}

/* --- the JSON page ------------------------------------------------------------------------- */

struct json_page {
    struct screen screen;
    struct widget_lines lines;
    size_t top;
    int rows;
    bool searching;
    char query[64];
    size_t qlen;
    size_t match;      /* line of the last match, SIZE_MAX: none */
    char note[96];     /* "no match for ..." */
};

static void json_draw(struct screen *s, struct app *a, WINDOW *w, bool full)
{
    (void)a;
    (void)full;
    struct json_page *j = (struct json_page *)s;
    int rows = j->rows - 1;
    int cols = getmaxx(w);
    for (int y = 0; y < rows; y++) {
        size_t i = j->top + (size_t)y;
        if (i < j->lines.n) {
            attr_t attr = colors_attr(i == j->match ? THEME_SELECTION : THEME_TEXT);
            draw_text(w, y, 1, cols - 1, j->lines.v[i].text, attr);
        } else {
            draw_fill(w, y, 0, cols, colors_attr(THEME_TEXT));
        }
    }
    char foot[160];
    if (j->searching)
        (void)snprintf(foot, sizeof(foot), "/%s", j->query);
    else if (j->note[0])
        (void)snprintf(foot, sizeof(foot), "%s", j->note);
    else
        (void)snprintf(foot, sizeof(foot), "line %zu of %zu  / search  n next match  Esc back",
                       j->lines.n ? j->top + 1 : 0, j->lines.n);
    draw_text(w, j->rows - 1, 1, cols - 1, foot,
              colors_attr(j->searching ? THEME_INPUT : THEME_DIM));
}

static void json_resize(struct screen *s, struct app *a, int rows, int cols)
{
    (void)a;
    (void)cols;
    ((struct json_page *)s)->rows = rows;
}

static bool contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (const char *h = hay; *h; h++) {
        size_t i = 0;
        while (i < n && h[i]) {
            char x = h[i], y = needle[i];
            if (x >= 'A' && x <= 'Z')
                x = (char)(x - 'A' + 'a');
            if (y >= 'A' && y <= 'Z')
                y = (char)(y - 'A' + 'a');
            if (x != y)
                break;
            i++;
        }
        if (i == n)
            return true;
    }
    return false;
}

/* Finds the next line holding the query after the last match (wrapping). */
static void json_find(struct json_page *j)
{
    j->note[0] = '\0';
    if (!j->query[0] || j->lines.n == 0)
        return;
    size_t start = j->match == SIZE_MAX ? j->top : j->match + 1;
    for (size_t k = 0; k < j->lines.n; k++) {
        size_t i = (start + k) % j->lines.n;
        if (contains_ci(j->lines.v[i].text, j->query)) {
            j->match = i;
            size_t page = j->rows > 2 ? (size_t)j->rows - 1 : 1;
            if (i < j->top || i >= j->top + page)
                j->top = i > page / 2 ? i - page / 2 : 0;
            return;
        }
    }
    char q[48];
    text_sanitize(q, sizeof(q), j->query);
    (void)snprintf(j->note, sizeof(j->note), "no match for \"%s\"", q);
}

static bool json_key(struct screen *s, struct app *a, enum keymap_action act, int key)
{
    struct json_page *j = (struct json_page *)s;
    if (j->searching) {
        if (key == KEY_CODE_ESC) {
            j->searching = false;
        } else if (key == KEY_CODE_ENTER) {
            j->searching = false;
            j->match = SIZE_MAX;
            json_find(j);
        } else if (key == KEY_CODE_BACKSPACE || key == 127 || key == 8) {
            if (j->qlen)
                j->query[--j->qlen] = '\0';
        } else if (key >= 32 && key < 127 && j->qlen + 1 < sizeof(j->query)) {
            j->query[j->qlen++] = (char)key;
            j->query[j->qlen] = '\0';
        }
        app_body_dirty(a);
        return true;
    }
    if (key == '/') {
        j->searching = true;
        j->qlen = 0;
        j->query[0] = '\0';
        j->note[0] = '\0';
        app_body_dirty(a);
        return true;
    }
    if (key == 'n') {
        json_find(j);
        app_body_dirty(a);
        return true;
    }
    if (widget_scroll(act, &j->top, j->lines.n, j->rows - 1)) {
        app_body_dirty(a);
        return true;
    }
    return false;
}

static void json_destroy(struct screen *s)
{
    struct json_page *j = (struct json_page *)s;
    widget_lines_cleanup(&j->lines);
    free(j);
}

static const struct screen_ops json_ops = {
    .name = "JSON",
    .ctx = KM_VM,
    .draw = json_draw,
    .key = json_key,
    .resize = json_resize,
    .destroy = json_destroy,
};

static void json_open(struct app *a, const struct vm *vm)
{
    char *raw = NULL;
    if (vm_to_json(vm, &raw) != GP_OK) {
        app_flash(a, true, "out of memory");
        return;
    }
    char *pretty = overview_pretty_json(raw);
    free(raw);
    struct json_page *j = calloc(1, sizeof(*j));
    if (!pretty || !j) {
        free(pretty);
        free(j);
        app_flash(a, true, "out of memory");
        return;
    }
    j->screen.ops = &json_ops;
    j->match = SIZE_MAX;
    widget_lines_init(&j->lines);
    if (widget_lines_add_wrapped(&j->lines, THEME_TEXT, pretty, 1000, 2) != GP_OK) {
        free(pretty);
        json_destroy(&j->screen);
        app_flash(a, true, "out of memory");
        return;
    }
    free(pretty);
    app_push(a, &j->screen);
}

/* --- the overview -------------------------------------------------------------------------- */

static const char *dash(void)
{
    return tui_glyph(GLYPH_DASH);
}

/* The last segment of a resource id ("cl-seattle"), or the text. */
static const char *last_segment(const char *id)
{
    if (!id)
        return NULL;
    const char *s = strrchr(id, '/');
    return s && s[1] ? s + 1 : id;
}

static void prop(WINDOW *w, int y, const char *label, const char *value, enum theme_role role)
{
    int cols = getmaxx(w);
    char clean[512];
    text_sanitize(clean, sizeof(clean), value && value[0] ? value : dash());
    draw_text(w, y, 1, LABEL_W, label, colors_attr(THEME_HEADER));
    draw_text(w, y, 1 + LABEL_W, cols - 2 - LABEL_W, clean, colors_attr(role));
}

static void format_mem(long mb, char *buf, size_t n)
{
    if (mb < 0)
        (void)snprintf(buf, n, "?");
    else if (mb >= 1024 && mb % 1024 == 0)
        (void)snprintf(buf, n, "%ld GB", mb / 1024);
    else
        (void)snprintf(buf, n, "%ld MB", mb);
}

static enum theme_role power_role(enum power_state p)
{
    switch (p) {
    case POWER_RUNNING:
        return THEME_OK;
    case POWER_STOPPED:
    case POWER_DEALLOCATED:
        return THEME_WARNING;
    case POWER_UNKNOWN:
    case POWER_DEALLOCATING:
    case POWER_STARTING:
    case POWER_STOPPING:
    case POWER_PAUSED:
    case POWER_SAVED:
    case POWER_STATE_COUNT:
    default:
        return THEME_TEXT;
    }
}

/* Why a power action cannot start, or NULL when it can. */
static const char *item_refusal(const struct overview *o, int item, char *buf, size_t n)
{
    char name[64];
    text_sanitize(name, sizeof(name), o->vm.name ? o->vm.name : "the VM");
    enum power_state p = o->vm.power;
    const char *ps = o->vm.power_text ? o->vm.power_text : power_state_name(p);
    char pclean[32];
    text_sanitize(pclean, sizeof(pclean), ps);
    switch (item) {
    case ITEM_START:
        if (p == POWER_RUNNING || p == POWER_STARTING) {
            (void)snprintf(buf, n, "%s is already %s", name, pclean);
            return buf;
        }
        return NULL;
    case ITEM_STOP:
        if (recovery_power_is_down(p)) {
            (void)snprintf(buf, n, "%s is already %s", name, pclean);
            return buf;
        }
        return NULL;
    case ITEM_RESTART:
        if (p != POWER_RUNNING) {
            (void)snprintf(buf, n, "%s is %s: only a running VM restarts", name, pclean);
            return buf;
        }
        return NULL;
    default:
        return NULL;
    }
}

static void overview_draw(struct screen *s, struct app *a, WINDOW *w, bool full)
{
    (void)full;
    struct overview *o = (struct overview *)s;
    const struct vm *vm = &o->vm;
    int cols = getmaxx(w), rows = getmaxy(w);
    werase(w);
    widget_hits_reset(&o->hits);
    char name[128], buf[256], mem[32];
    text_sanitize(name, sizeof(name), vm->name ? vm->name : "?");
    draw_text(w, 0, 1, cols - 2, name, colors_attr(THEME_TITLE) | A_BOLD);
    int y = 1;
    {
        /* The id is what `y` copies: shown whole, over up to five lines. */
        struct widget_lines idl;
        widget_lines_init(&idl);
        int iw = cols - 2 - LABEL_W;
        if (vm->id && widget_lines_add_wrapped(&idl, THEME_TEXT, vm->id, iw, 0) == GP_OK &&
            idl.n > 1) {
            draw_text(w, y, 1, LABEL_W, "Resource id", colors_attr(THEME_HEADER));
            for (size_t i = 0; i < idl.n && i < 5; i++)
                draw_text(w, y++, 1 + LABEL_W, iw, idl.v[i].text, colors_attr(THEME_TEXT));
        } else {
            prop(w, y++, "Resource id", vm->id, THEME_TEXT);
        }
        widget_lines_cleanup(&idl);
    }
    prop(w, y++, "Resource group", vm->resource_group, THEME_TEXT);
    prop(w, y++, "Custom location", last_segment(vm->custom_location), THEME_TEXT);
    prop(w, y++, "Host", vm->host_node, THEME_TEXT);
    (void)snprintf(buf, sizeof(buf), "%s / %s",
                   vm->image_id ? last_segment(vm->image_id) : dash(),
                   vm->computer_name ? vm->computer_name : dash());
    prop(w, y++, "OS / computer name", buf, THEME_TEXT);
    prop(w, y++, "Size", vm->vm_size, THEME_TEXT);
    format_mem(vm->memory_mb, mem, sizeof(mem));
    if (vm->processors >= 0)
        (void)snprintf(buf, sizeof(buf), "%ld vCPU / %s", vm->processors, mem);
    else
        (void)snprintf(buf, sizeof(buf), "? vCPU / %s", mem);
    prop(w, y++, "vCPU / memory", buf, THEME_TEXT);
    prop(w, y++, "GPU", vm_gpu_summary(vm, tui_utf8(), buf, sizeof(buf)), THEME_GPU);
    prop(w, y++, "Power state", vm->power_text ? vm->power_text : power_state_name(vm->power),
         power_role(vm->power));
    prop(w, y++, "Provisioning state",
         vm->provisioning_text ? vm->provisioning_text : provisioning_state_name(vm->provisioning),
         vm->provisioning == PROV_FAILED ? THEME_ERROR : THEME_TEXT);
    if (vm->error_code || vm->error_message)
        (void)snprintf(buf, sizeof(buf), "%s%s%s", vm->error_code ? vm->error_code : "",
                       vm->error_code && vm->error_message ? ": " : "",
                       vm->error_message ? vm->error_message : "");
    else
        buf[0] = '\0';
    prop(w, y++, "Last status error", buf, buf[0] ? THEME_ERROR : THEME_TEXT);
    char step[64];
    const struct op *op = ops_find_running(o->ops, vm->id);
    if (op) {
        char line[256];
        (void)snprintf(line, sizeof(line), "%s: %s", op->title,
                       ops_vm_step(o->ops, vm->id, step, sizeof(step)));
        prop(w, y++, "Operation", line, THEME_WARNING);
    } else {
        prop(w, y++, "Operation", "none running", THEME_DIM);
    }
    y++;
    draw_text(w, y, 1, LABEL_W, "Actions", colors_attr(THEME_HEADER));
    int x = 1 + LABEL_W;
    char why[128];
    for (int i = ITEM_START; i <= ITEM_RESTART; i++) {
        bool off = item_refusal(o, i, why, sizeof(why)) != NULL;
        x += widget_button(w, &o->hits, i, y, x, item_labels[i], o->focus == i, off) + 1;
    }
    y++;
    draw_text(w, y, 1, LABEL_W, "Settings", colors_attr(THEME_HEADER));
    widget_button(w, &o->hits, ITEM_SIZE, y, 1 + LABEL_W, item_labels[ITEM_SIZE],
                  o->focus == ITEM_SIZE, false);
    y += 2;
    if (y < rows) {
        const struct keymap *km = app_keymap(a);
        char k1[24], k2[24], k3[24], k4[24], k5[24], k6[24], k7[24];
        (void)snprintf(buf, sizeof(buf),
                       "%s start  %s stop  %s restart  %s size  %s JSON  %s copy id  "
                       "%s notifications",
                       widget_first_key(km, ACT_START, k1, sizeof(k1)),
                       widget_first_key(km, ACT_STOP, k2, sizeof(k2)),
                       widget_first_key(km, ACT_RESTART, k3, sizeof(k3)),
                       widget_first_key(km, ACT_SIZE, k4, sizeof(k4)),
                       widget_first_key(km, ACT_JSON, k5, sizeof(k5)),
                       widget_first_key(km, ACT_COPY_ID, k6, sizeof(k6)),
                       widget_first_key(km, ACT_NOTIFICATIONS, k7, sizeof(k7)));
        draw_text(w, rows - 1, 1, cols - 2, buf, colors_attr(THEME_DIM));
    }
}

static void copy_id(struct overview *o, struct app *a)
{
    if (!o->vm.id) {
        app_flash(a, true, "This VM has no resource id");
        return;
    }
    char clean[512];
    text_sanitize(clean, sizeof(clean), o->vm.id);
    char seq[1024];
    size_t n = overview_osc52(clean, seq, sizeof(seq));
    if (n == 0) {
        app_flash(a, true, "The resource id is too long to copy");
        return;
    }
    /* Curses flushed its output at the end of the last update; the sequence goes straight to
     * the terminal between updates and moves nothing on the screen. */
    if (tui_active() && tui_input_fd() >= 0 && isatty(STDOUT_FILENO)) {
        size_t off = 0;
        while (off < n) {
            ssize_t wr = write(STDOUT_FILENO, seq + off, n - off);
            if (wr <= 0)
                break;
            off += (size_t)wr;
        }
    }
    app_flash(a, false, "Copied the resource id (OSC 52)");
}

static void power_action(struct overview *o, struct app *a, int item)
{
    char why[160];
    if (item_refusal(o, item, why, sizeof(why))) {
        app_flash(a, false, "%s", why);
        return;
    }
    enum plan_step_kind k = item == ITEM_START ? STEP_START
                            : item == ITEM_STOP ? STEP_STOP
                                                : STEP_RESTART;
    struct plan plan;
    plan_init(&plan);
    struct gp_error err;
    gp_error_clear(&err);
    if (plan_build_power(&o->vm, k, ops_plan_options(o->ops), &plan, &err) != GP_OK) {
        plan_cleanup(&plan);
        app_flash(a, true, "Cannot plan %s: %s", item_labels[item], err.message);
        return;
    }
    review_open(a, o->ops, &plan, item_labels[item], NULL, NULL);
    plan_cleanup(&plan);
}

static void activate(struct overview *o, struct app *a, int item)
{
    o->focus = item;
    if (item == ITEM_SIZE)
        size_open(a, o->ops, &o->vm);
    else
        power_action(o, a, item);
}

static bool overview_key(struct screen *s, struct app *a, enum keymap_action act, int key)
{
    (void)key;
    struct overview *o = (struct overview *)s;
    switch (act) {
    case ACT_UP:
    case ACT_PREV_FIELD:
        o->focus = (o->focus + ITEM_COUNT - 1) % ITEM_COUNT;
        break;
    case ACT_DOWN:
    case ACT_NEXT_FIELD:
        o->focus = (o->focus + 1) % ITEM_COUNT;
        break;
    case ACT_ENTER:
        activate(o, a, o->focus);
        return true;
    case ACT_START:
        activate(o, a, ITEM_START);
        return true;
    case ACT_STOP:
        activate(o, a, ITEM_STOP);
        return true;
    case ACT_RESTART:
        activate(o, a, ITEM_RESTART);
        return true;
    case ACT_SIZE:
        activate(o, a, ITEM_SIZE);
        return true;
    case ACT_JSON:
        json_open(a, &o->vm);
        return true;
    case ACT_COPY_ID:
        copy_id(o, a);
        return true;
    case ACT_NOTIFICATIONS:
        notify_open(a, o->ops);
        return true;
    default:
        /* Tab is not bound in the VM context: take it here as next item. */
        if (key == KEY_CODE_TAB) {
            o->focus = (o->focus + 1) % ITEM_COUNT;
            break;
        }
        if (key == KEY_CODE_BACKTAB) {
            o->focus = (o->focus + ITEM_COUNT - 1) % ITEM_COUNT;
            break;
        }
        return false;
    }
    app_body_dirty(a);
    return true;
}

/* A click on a button: focus it and press Enter (a refused action refuses as Enter does). A
 * double-click is ignored: its first press already arrived as a click. */
static void overview_mouse(struct screen *s, struct app *a, const struct tui_mouse *m)
{
    struct overview *o = (struct overview *)s;
    int id = m->kind == TUI_MOUSE_CLICK ? widget_hits_take(&o->hits, m->y, m->x) : -1;
    if (id < 0)
        return;
    o->focus = id;
    app_body_dirty(a);
    (void)overview_key(s, a, ACT_ENTER, KEY_CODE_ENTER); /* always handled */
}

/* An operation on this VM read it back: show what it read. */
static void overview_watch(void *ctx, const struct op *op)
{
    struct overview *o = ctx;
    if (!o->vm.id || !str_ieq(op->vm_id, o->vm.id))
        return;
    if (op->live_known) {
        struct vm copy;
        vm_init(&copy);
        if (vm_copy(&copy, &op->live) == GP_OK) {
            vm_cleanup(&o->vm);
            o->vm = copy;
        } else {
            vm_cleanup(&copy);
        }
    }
    struct app *a = ops_app(o->ops);
    if (a)
        app_body_dirty(a);
}

static const char *overview_crumb(struct screen *s)
{
    return ((struct overview *)s)->crumb;
}

static void overview_destroy(struct screen *s)
{
    struct overview *o = (struct overview *)s;
    ops_unwatch(o->ops, overview_watch, o);
    vm_cleanup(&o->vm);
    free(o);
}

static const struct screen_ops overview_ops = {
    .name = "VM",
    .ctx = KM_VM,
    .crumb = overview_crumb,
    .draw = overview_draw,
    .key = overview_key,
    .mouse = overview_mouse,
    .destroy = overview_destroy,
};

void overview_open(struct app *a, struct ops *ops, const struct vm *vm)
{
    struct overview *o = calloc(1, sizeof(*o));
    if (!o) {
        app_flash(a, true, "out of memory");
        return;
    }
    o->screen.ops = &overview_ops;
    o->ops = ops;
    vm_init(&o->vm);
    if (vm_copy(&o->vm, vm) != GP_OK) {
        vm_cleanup(&o->vm);
        free(o);
        app_flash(a, true, "out of memory");
        return;
    }
    text_sanitize(o->crumb, sizeof(o->crumb), vm->name ? vm->name : "VM");
    o->focus = recovery_power_is_down(vm->power) ? ITEM_START : ITEM_SIZE;
    ops_watch(ops, overview_watch, o);
    app_push(a, &o->screen);
}

void overview_open_cb(void *ctx, struct app *a, const struct vm *vm)
{
    overview_open(a, ctx, vm);
}
