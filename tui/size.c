/* SPDX-License-Identifier: MIT
 * tui/size.c: Settings > Size: the GPU Setup choice among the modes the cluster supports, the
 * current GPU assignment with Delete assignment, Save (plan, then Review) and Discard, and the
 * question before unsaved changes are dropped. */
#include "tui/size.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/cluster.h"
#include "model/plan.h"
#include "model/text.h"
#include "tui/app.h"
#include "tui/colors.h"
#include "tui/draw.h"
#include "tui/notify.h"
#include "tui/ops.h"
#include "tui/review.h"
#include "tui/term.h"
#include "tui/widget.h"

#define LABEL_W 22

enum size_choice { CHOICE_NONE, CHOICE_GPUP, CHOICE_DDA, CHOICE_COUNT };
enum size_field { F_NONE, F_GPUP, F_DDA, F_DELETE, F_SAVE, F_DISCARD, F_COUNT };

static const char *const choice_labels[CHOICE_COUNT] = {"None", "GPU Partition",
                                                        "GPU passthrough (DDA)"};

struct size_screen {
    struct screen screen;
    struct app *app;
    struct ops *ops;
    struct vm vm;
    bool offered[CHOICE_COUNT];
    enum size_choice initial, choice;
    enum size_field fields[F_COUNT];
    int n_fields, focus; /* index into fields */
    bool confirming;     /* "Discard changes to vm-017? (y/n)" */
    long partition_mb;
    char partition_src[48];
    char dda_name[128];  /* a free DDA device's name for a new DDA assignment, "" if none */
    char why_no_gpup[256]; /* why GPU Partition is not offered ("" when it is) */
    char name[128];      /* sanitized VM name */
    struct widget_hits hits; /* choices and buttons as drawn, by enum size_field */
};

static bool dirty(const struct size_screen *z)
{
    return z->choice != z->initial;
}

static enum size_choice choice_of(const struct vm *vm)
{
    for (size_t i = 0; i < vm->n_gpus; i++)
        if (vm->gpus[i].type == GPU_ASSIGN_P)
            return CHOICE_GPUP;
    for (size_t i = 0; i < vm->n_gpus; i++)
        if (vm->gpus[i].type == GPU_ASSIGN_DDA)
            return CHOICE_DDA;
    return CHOICE_NONE;
}

/* The hosts the VM may run on: its host when known, else every host of its custom location. */
static bool host_applies(const struct size_screen *z, const struct host *h)
{
    if (z->vm.host_node)
        return str_eq(h->name, z->vm.host_node);
    return !z->vm.custom_location || !h->custom_location ||
           str_ieq(h->custom_location, z->vm.custom_location);
}

static void learn_cluster(struct size_screen *z)
{
    const struct cluster *c = ops_cluster(z->ops);
    z->offered[CHOICE_NONE] = true;
    z->partition_mb = -1;
    if (c->inventory_known) {
        const struct host *only = NULL;
        for (size_t i = 0; i < c->n_hosts; i++) {
            const struct host *h = &c->hosts[i];
            if (!host_applies(z, h))
                continue;
            if (z->vm.host_node)
                only = h;
            for (size_t g = 0; g < h->n_gpus; g++) {
                const struct host_gpu *gpu = &h->gpus[g];
                if (gpu->mode == GPU_MODE_GPUP)
                    z->offered[CHOICE_GPUP] = true;
                if (gpu->mode == GPU_MODE_DDA) {
                    z->offered[CHOICE_DDA] = true;
                    if (!z->dda_name[0] && !gpu->dda_vm && gpu->model)
                        text_sanitize(z->dda_name, sizeof(z->dda_name), gpu->model);
                }
            }
        }
        struct partition_pool pool =
            cluster_pool(c, only, only ? NULL : z->vm.custom_location);
        if (pool.partition_size_mb > 0) {
            z->partition_mb = pool.partition_size_mb;
            (void)text_copy(z->partition_src, sizeof(z->partition_src), "host inventory");
        }
    } else {
        z->offered[CHOICE_GPUP] = true; /* nothing known: GPU-P, the product's mode */
    }
    if (z->partition_mb <= 0 && c->partition_size_mb_config > 0) {
        z->partition_mb = c->partition_size_mb_config;
        (void)text_copy(z->partition_src, sizeof(z->partition_src), "from config");
    }
    z->offered[z->initial] = true; /* what the VM has is always shown */
    /* The service's rule "a GPU is DDA or GPU-P, never both" made visible: say why the
     * partition choice is missing rather than leave the operator looking for it. */
    z->why_no_gpup[0] = '\0';
    if (!z->offered[CHOICE_GPUP]) {
        char where[128];
        if (z->vm.host_node)
            text_sanitize(where, sizeof(where), z->vm.host_node);
        (void)snprintf(z->why_no_gpup, sizeof(z->why_no_gpup),
                       "No GPU Partition: %s %s no GPU in GPU-P mode",
                       z->vm.host_node ? where : "the hosts of its custom location",
                       z->vm.host_node ? "has" : "have");
    }
}

static void build_fields(struct size_screen *z)
{
    z->n_fields = 0;
    for (int c = 0; c < CHOICE_COUNT; c++)
        if (z->offered[c])
            z->fields[z->n_fields++] = (enum size_field)c;
    if (z->vm.n_gpus > 0)
        z->fields[z->n_fields++] = F_DELETE;
    z->fields[z->n_fields++] = F_SAVE;
    z->fields[z->n_fields++] = F_DISCARD;
}

static enum size_field focused(const struct size_screen *z)
{
    return z->fields[z->focus];
}

static void gpu_line(const struct vm_gpu *g, char *buf, size_t n)
{
    char name[128];
    text_sanitize(name, sizeof(name), g->gpu_name ? g->gpu_name : "");
    switch (g->type) {
    case GPU_ASSIGN_P:
        if (g->partition_size_mb > 0)
            (void)snprintf(buf, n, "GPU-P partition, %ld MB", g->partition_size_mb);
        else
            (void)snprintf(buf, n, "GPU-P partition");
        break;
    case GPU_ASSIGN_DDA:
        (void)snprintf(buf, n, "DDA %s", name[0] ? name : "device");
        break;
    case GPU_ASSIGN_OTHER:
    case GPU_ASSIGNMENT_COUNT:
    default: {
        char t[64];
        text_sanitize(t, sizeof(t), g->type_text ? g->type_text : "unknown");
        (void)snprintf(buf, n, "%s %s", t, name);
        break;
    }
    }
}

static void size_draw(struct screen *s, struct app *a, WINDOW *w, bool full)
{
    (void)full;
    struct size_screen *z = (struct size_screen *)s;
    int cols = getmaxx(w), rows = getmaxy(w);
    werase(w);
    widget_hits_reset(&z->hits);
    char buf[256], t[64];
    (void)snprintf(buf, sizeof(buf), "Size: %s", z->name);
    draw_text(w, 0, 1, cols - 2, buf, colors_attr(THEME_TITLE) | A_BOLD);
    int y = 2;
    draw_text(w, y, 1, LABEL_W, "vCPU", colors_attr(THEME_HEADER));
    if (z->vm.processors >= 0)
        (void)snprintf(buf, sizeof(buf), "%ld", z->vm.processors);
    else
        (void)snprintf(buf, sizeof(buf), "?");
    draw_text(w, y++, 1 + LABEL_W, cols - 2 - LABEL_W, buf, colors_attr(THEME_TEXT));
    draw_text(w, y, 1, LABEL_W, "Memory", colors_attr(THEME_HEADER));
    if (z->vm.memory_mb >= 1024 && z->vm.memory_mb % 1024 == 0)
        (void)snprintf(buf, sizeof(buf), "%ld GB (%ld MB)", z->vm.memory_mb / 1024,
                       z->vm.memory_mb);
    else if (z->vm.memory_mb >= 0)
        (void)snprintf(buf, sizeof(buf), "%ld MB", z->vm.memory_mb);
    else
        (void)snprintf(buf, sizeof(buf), "?");
    draw_text(w, y++, 1 + LABEL_W, cols - 2 - LABEL_W, buf, colors_attr(THEME_TEXT));
    y++;
    draw_text(w, y++, 1, cols - 2, "GPU Setup", colors_attr(THEME_HEADER));
    const char *on = tui_utf8() ? "(•)" : "(*)";
    for (int i = 0; i < z->n_fields; i++) {
        enum size_field f = z->fields[i];
        if (f > F_DDA)
            continue;
        (void)snprintf(buf, sizeof(buf), "%s %s", (int)f == (int)z->choice ? on : "( )",
                       choice_labels[f]);
        attr_t attr = colors_attr(i == z->focus ? THEME_SELECTION : THEME_TEXT);
        draw_text(w, y, 3, draw_width(buf), buf, attr);
        widget_hits_add(&z->hits, y, 3, draw_width(buf), (int)f);
        if (f == F_GPUP) {
            if (z->partition_mb > 0)
                (void)snprintf(buf, sizeof(buf), "partition size %ld MB (%s)", z->partition_mb,
                               z->partition_src);
            else
                (void)snprintf(buf, sizeof(buf), "partition size unknown");
            draw_text(w, y, 30, cols - 31, buf, colors_attr(THEME_DIM));
        }
        if (f == F_DDA && z->dda_name[0]) {
            (void)snprintf(buf, sizeof(buf), "free device: %s", z->dda_name);
            draw_text(w, y, 30, cols - 31, buf, colors_attr(THEME_DIM));
        }
        y++;
    }
    if (z->why_no_gpup[0]) {
        draw_text(w, y++, 3, cols - 4, z->why_no_gpup, colors_attr(THEME_DIM));
        draw_text(w, y++, 3, cols - 4, "(a GPU is used either by DDA or by GPU-P, never both)",
                  colors_attr(THEME_DIM));
    }
    y++;
    if (z->vm.n_gpus > 0) {
        draw_text(w, y++, 1, cols - 2, "GPU Assignment", colors_attr(THEME_HEADER));
        for (size_t i = 0; i < z->vm.n_gpus && y < rows - 5; i++) {
            gpu_line(&z->vm.gpus[i], buf, sizeof(buf));
            draw_text(w, y++, 3, cols - 4, buf, colors_attr(THEME_GPU));
        }
        widget_button(w, &z->hits, F_DELETE, y++, 3, "Delete assignment",
                      focused(z) == F_DELETE, app_readonly(a));
        y++;
    }
    int x = 1;
    x += widget_button(w, &z->hits, F_SAVE, y, x, "Save", focused(z) == F_SAVE,
                       !dirty(z) || app_readonly(a)) +
         2;
    widget_button(w, &z->hits, F_DISCARD, y, x, "Discard", focused(z) == F_DISCARD, !dirty(z));
    y++;
    if (app_readonly(a) && y < rows - 1)
        draw_text(w, y, 1, cols - 2, "Save and Delete assignment are disabled: read-only mode",
                  colors_attr(THEME_WARNING));
    else if (dirty(z) && y < rows - 1)
        draw_text(w, y, 1, cols - 2, "Unsaved changes: Save reviews them first",
                  colors_attr(THEME_WARNING));
    const struct keymap *km = app_keymap(a);
    if (z->confirming) {
        (void)snprintf(buf, sizeof(buf), "Discard changes to %s? (y/n)", z->name);
        draw_fill(w, rows - 1, 0, cols, colors_attr(THEME_TEXT));
        draw_text(w, rows - 1, 1, cols - 2, buf, colors_attr(THEME_WARNING) | A_BOLD);
    } else {
        char k1[24];
        (void)snprintf(buf, sizeof(buf),
                       "Tab: next field  Space: choose  %s: save  %s: discard  Esc: back",
                       widget_first_key(km, ACT_SAVE, t, sizeof(t)),
                       widget_first_key(km, ACT_DISCARD, k1, sizeof(k1)));
        draw_text(w, rows - 1, 1, cols - 2, buf, colors_attr(THEME_DIM));
    }
}

static void size_committed(void *ctx, struct app *a)
{
    struct size_screen *z = ctx;
    z->initial = z->choice; /* nothing unsaved: leave without asking */
    app_pop(a);
}

/* Plans the change to desired and opens Review. */
static void review_change(struct size_screen *z, struct app *a, const struct vm_gpu *desired,
                          size_t n, const char *title)
{
    struct plan plan;
    plan_init(&plan);
    struct gp_error err;
    gp_error_clear(&err);
    if (plan_build_gpu_change(&z->vm, desired, n, ops_plan_options(z->ops), &plan, &err) !=
        GP_OK) {
        plan_cleanup(&plan);
        app_flash(a, true, "Cannot plan the change: %s", err.message);
        return;
    }
    review_open(a, z->ops, &plan, title, size_committed, z);
    plan_cleanup(&plan);
}

static void save(struct size_screen *z, struct app *a)
{
    if (app_readonly(a)) {
        app_flash(a, false, "Save is disabled: read-only mode");
        return;
    }
    if (!dirty(z)) {
        app_flash(a, false, "No changes to save");
        return;
    }
    struct vm_gpu one = {.type = GPU_ASSIGN_OTHER, .partition_size_mb = -1};
    size_t n = 0;
    switch (z->choice) {
    case CHOICE_GPUP:
        one.type = GPU_ASSIGN_P;
        one.type_text = (char *)"GpuP";
        n = 1;
        break;
    case CHOICE_DDA:
        one.type = GPU_ASSIGN_DDA;
        one.type_text = (char *)"GpuDDA";
        one.gpu_name = z->dda_name[0] ? z->dda_name : NULL;
        n = 1;
        break;
    case CHOICE_NONE:
    case CHOICE_COUNT:
    default:
        break;
    }
    review_change(z, a, n ? &one : NULL, n, "GPU change");
}

static void delete_assignment(struct size_screen *z, struct app *a)
{
    if (app_readonly(a)) {
        app_flash(a, false, "Delete assignment is disabled: read-only mode");
        return;
    }
    if (z->vm.n_gpus == 0) {
        app_flash(a, false, "%s has no GPU assigned", z->name);
        return;
    }
    review_change(z, a, NULL, 0, "Delete assignment");
}

static void discard(struct size_screen *z, struct app *a)
{
    if (!dirty(z)) {
        app_flash(a, false, "No changes to discard");
        return;
    }
    z->choice = z->initial;
    app_flash(a, false, "Changes discarded");
}

static void activate(struct size_screen *z, struct app *a)
{
    enum size_field f = focused(z);
    switch (f) {
    case F_NONE:
    case F_GPUP:
    case F_DDA:
        z->choice = (enum size_choice)f;
        break;
    case F_DELETE:
        delete_assignment(z, a);
        break;
    case F_SAVE:
        save(z, a);
        break;
    case F_DISCARD:
        discard(z, a);
        break;
    case F_COUNT:
    default:
        break;
    }
}

static bool size_key(struct screen *s, struct app *a, enum keymap_action act, int key)
{
    struct size_screen *z = (struct size_screen *)s;
    if (z->confirming) {
        if (key == 'y' || key == 'Y') {
            z->confirming = false;
            z->choice = z->initial;
            app_pop(a);
            return true;
        }
        if (key == 'n' || key == 'N' || key == KEY_CODE_ESC)
            z->confirming = false;
        app_body_dirty(a);
        return true; /* every other key waits for the answer */
    }
    switch (act) {
    case ACT_BACK:
    case ACT_QUIT:
        if (!dirty(z))
            return false;
        z->confirming = true;
        break;
    case ACT_NEXT_FIELD:
    case ACT_DOWN:
        z->focus = (z->focus + 1) % z->n_fields;
        break;
    case ACT_PREV_FIELD:
    case ACT_UP:
        z->focus = (z->focus + z->n_fields - 1) % z->n_fields;
        break;
    case ACT_ENTER:
        activate(z, a); /* may push Review or pop this screen: z is not used after */
        break;
    case ACT_SAVE:
        save(z, a);
        return true;
    case ACT_DISCARD:
        discard(z, a);
        break;
    case ACT_DELETE_ASSIGNMENT:
        delete_assignment(z, a);
        return true;
    case ACT_NOTIFICATIONS:
        notify_open(a, z->ops);
        return true;
    default:
        if (key == ' ' && focused(z) <= F_DDA) {
            activate(z, a);
            break;
        }
        return false;
    }
    app_body_dirty(a);
    return true;
}

/* A click on a choice or a button: focus it and press Enter (a choice is chosen, as Space
 * does). A double-click is ignored: its first press already arrived as a click. */
static void size_mouse(struct screen *s, struct app *a, const struct tui_mouse *m)
{
    struct size_screen *z = (struct size_screen *)s;
    if (m->kind != TUI_MOUSE_CLICK || z->confirming)
        return; /* the question waits for y or n, as it does with keys */
    int id = widget_hits_take(&z->hits, m->y, m->x);
    for (int i = 0; id >= 0 && i < z->n_fields; i++) {
        if ((int)z->fields[i] == id) {
            z->focus = i;
            app_body_dirty(a);
            (void)size_key(s, a, ACT_ENTER, KEY_CODE_ENTER); /* always handled */
            return;
        }
    }
}

static void size_destroy(struct screen *s)
{
    struct size_screen *z = (struct size_screen *)s;
    vm_cleanup(&z->vm);
    free(z);
}

static const struct screen_ops size_ops = {
    .name = "Size",
    .ctx = KM_FORM,
    .draw = size_draw,
    .key = size_key,
    .mouse = size_mouse,
    .destroy = size_destroy,
};

void size_open(struct app *a, struct ops *ops, const struct vm *vm)
{
    struct size_screen *z = calloc(1, sizeof(*z));
    if (!z) {
        app_flash(a, true, "out of memory");
        return;
    }
    z->screen.ops = &size_ops;
    z->app = a;
    z->ops = ops;
    vm_init(&z->vm);
    if (vm_copy(&z->vm, vm) != GP_OK) {
        vm_cleanup(&z->vm);
        free(z);
        app_flash(a, true, "out of memory");
        return;
    }
    text_sanitize(z->name, sizeof(z->name), vm->name ? vm->name : "the VM");
    z->initial = z->choice = choice_of(vm);
    learn_cluster(z);
    build_fields(z);
    z->focus = 0;
    for (int i = 0; i < z->n_fields; i++)
        if ((int)z->fields[i] == (int)z->choice)
            z->focus = i;
    app_push(a, &z->screen);
}
