/* SPDX-License-Identifier: MIT
 * tui/wizard.c: the Create virtual machine wizard. */
#include "tui/wizard.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/keymap.h"
#include "model/rules.h"
#include "model/text.h"
#include "model/vm.h"
#include "tui/app.h"
#include "tui/colors.h"
#include "tui/draw.h"
#include "tui/input.h"
#include "tui/ops.h"
#include "tui/review.h"
#include "tui/term.h"
#include "tui/widget.h"

/* --- field checks -------------------------------------------------------------------------- */

static bool set_msg(char *msg, size_t n, const char *text)
{
    if (n > 0 && !text_copy(msg, n, text)) {
        /* cut: still shown */
    }
    return false;
}

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool wizard_check_name(const char *name, char *msg, size_t n)
{
    size_t len = strlen(name);
    if (len == 0)
        return set_msg(msg, n, "Name is required");
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!is_alnum(c) && c != '-' && c != '_' && c != '.')
            return set_msg(msg, n, "Use letters, digits, '-', '_' and '.' only");
    }
    if (len > WIZARD_NAME_MAX)
        return set_msg(msg, n, "At most 64 characters");
    if (name[0] == '-')
        return set_msg(msg, n, "Must not start with '-'");
    if (name[len - 1] == '.')
        return set_msg(msg, n, "Must not end with '.'");
    return true;
}

bool wizard_check_resource_group(const char *rg, char *msg, size_t n)
{
    size_t len = strlen(rg);
    if (len == 0)
        return set_msg(msg, n, "Resource group is required");
    for (size_t i = 0; i < len; i++) {
        char c = rg[i];
        if (!is_alnum(c) && c != '-' && c != '_' && c != '.' && c != '(' && c != ')')
            return set_msg(msg, n, "Use letters, digits, '-', '_', '.', '(' and ')' only");
    }
    if (len > 90)
        return set_msg(msg, n, "At most 90 characters");
    if (rg[len - 1] == '.')
        return set_msg(msg, n, "Must not end with '.'");
    return true;
}

bool wizard_check_admin(const char *user, char *msg, size_t n)
{
    static const char *const reserved[] = {"admin", "administrator", "root", "guest",
                                           "user",  "test",          "sys",  "support"};
    size_t len = strlen(user);
    if (len == 0)
        return set_msg(msg, n, "Admin user is required");
    if (len > WIZARD_ADMIN_MAX)
        return set_msg(msg, n, "At most 32 characters");
    for (size_t i = 0; i < len; i++) {
        char c = user[i];
        if (!is_alnum(c) && c != '-' && c != '_' && c != '.')
            return set_msg(msg, n, "Use letters, digits, '-', '_' and '.' only");
    }
    if (!((user[0] >= 'a' && user[0] <= 'z') || (user[0] >= 'A' && user[0] <= 'Z') ||
          user[0] == '_'))
        return set_msg(msg, n, "Must start with a letter or '_'");
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
        if (str_ieq(user, reserved[i])) {
            char m[96];
            snprintf(m, sizeof(m), "\"%s\" is reserved: choose another name", reserved[i]);
            return set_msg(msg, n, m);
        }
    }
    return true;
}

bool wizard_check_number(const char *text, long min, long max, const char *unit, long *out,
                         char *msg, size_t n)
{
    char m[96];
    if (!text[0]) {
        snprintf(m, sizeof(m), "Required: %ld to %ld %s", min, max, unit);
        return set_msg(msg, n, m);
    }
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '9') {
            snprintf(m, sizeof(m), "A whole number of %s, %ld to %ld", unit, min, max);
            return set_msg(msg, n, m);
        }
    }
    errno = 0;
    char *end = NULL;
    long v = strtol(text, &end, 10);
    if (errno != 0 || !end || *end || v < min || v > max) {
        snprintf(m, sizeof(m), "%ld to %ld %s", min, max, unit);
        return set_msg(msg, n, m);
    }
    *out = v;
    return true;
}

bool wizard_check_resource_id(const char *id, const char *type, const char *what, char *msg,
                              size_t n)
{
    char m[160];
    if (!id[0]) {
        snprintf(m, sizeof(m), "%s is required (/subscriptions/.../%s/NAME)", what, type);
        return set_msg(msg, n, m);
    }
    if (strchr(id, ' ') || strchr(id, '?') || strchr(id, '#') || strchr(id, '%'))
        return set_msg(msg, n, "A resource id has no spaces, '?', '#' or '%'");
    /* "/subscriptions/S/resourceGroups/G/providers/NS/TYPE/NAME"; the type ends the second
     * to last segment ("marketplaceGalleryImages" ends in "galleryImages" too). */
    const char *last = strrchr(id, '/');
    const char *prev = last;
    while (prev && prev > id && prev[-1] != '/')
        prev--;
    size_t tl = strlen(type);
    bool shaped = strncmp(id, "/subscriptions/", 15) == 0 && last && last[1] && prev &&
                  (size_t)(last - prev) >= tl &&
                  strncmp(last - tl, type, tl) == 0 && strstr(id, "/providers/");
    if (!shaped) {
        /* Case differs in ids typed by hand: compare the type without case too. */
        bool ci = strncmp(id, "/subscriptions/", 15) == 0 && last && last[1] && prev &&
                  (size_t)(last - prev) >= tl;
        if (ci) {
            char seg[128];
            size_t sl = (size_t)(last - prev);
            if (sl < sizeof(seg)) {
                memcpy(seg, prev, sl);
                seg[sl] = '\0';
                ci = str_ieq(seg + sl - tl, type);
            } else {
                ci = false;
            }
        }
        if (!ci) {
            snprintf(m, sizeof(m), "Use the resource id: /subscriptions/.../%s/NAME", type);
            return set_msg(msg, n, m);
        }
    }
    return true;
}

/* --- the screen ---------------------------------------------------------------------------- */

enum wiz_step { WS_BASICS, WS_GPU, WS_COUNT };

enum wiz_field { F_NAME, F_RG, F_CL, F_IMAGE, F_CPU, F_MEM, F_ADMIN, F_COUNT };

static const char *const field_label[F_COUNT] = {
    "Name", "Resource group", "Custom location", "Image", "vCPU", "Memory (MB)", "Admin user"};

enum wiz_gpu { G_NONE, G_GPUP, G_DDA, G_COUNT };
static const char *const gpu_label[G_COUNT] = {"None", "GPU Partition",
                                               "GPU passthrough (DDA)"};

/* Buttons per step. */
enum wiz_button { B_NEXT, B_BACK, B_REVIEW, B_COUNT };

struct choices {
    char **v; /* owned */
    size_t n;
    size_t cur;
};

struct wizard {
    struct screen screen;
    struct ops *ops;
    char *subscription, *location;

    struct input in[F_COUNT];
    struct choices ch[F_COUNT]; /* RG, CL, image: a list when n > 0 */
    bool touched[F_COUNT];

    enum wiz_step step;
    int focus;               /* field index, then buttons (F_COUNT + i) on Basics; on GPU:
                                0 the choice, then buttons (1 + i) */
    enum wiz_gpu gpu;
    bool offered[G_COUNT];
    long partition_mb;
    char partition_src[32];
    int gpup_free, gpup_total; /* -1: unknown */
    int dda_free, dda_total;
    char dda_model[64];
    struct rule_report rules;
    bool rules_valid;

    bool dirty;
    bool leave_armed;
    struct widget_hits hits; /* buttons by focus index, tabs as HIT_TAB + step */
};

#define HIT_TAB 64 /* above every focus index */

static const enum wiz_button basics_buttons[] = {B_NEXT, B_REVIEW};
static const enum wiz_button gpu_buttons[] = {B_BACK, B_REVIEW};
#define N_BUTTONS 2

static const char *button_label(const struct wizard *z, enum wiz_button b)
{
    switch (b) {
    case B_NEXT:
        return "Next: Attach GPU >";
    case B_BACK:
        return "< Back: Basics";
    case B_REVIEW:
        return z->step == WS_BASICS ? "Review + create" : "Next: Review + create >";
    default:
        return "";
    }
}

static bool is_list(const struct wizard *z, enum wiz_field f)
{
    return z->ch[f].n > 0;
}

/* The field's value: the chosen item of a list, else the text typed. */
static const char *field_value(const struct wizard *z, enum wiz_field f)
{
    if (is_list(z, f))
        return z->ch[f].v[z->ch[f].cur];
    return input_text(&z->in[f]);
}

static const char *last_segment(const char *id)
{
    const char *s = strrchr(id, '/');
    return s && s[1] ? s + 1 : id;
}

static int n_focus(const struct wizard *z)
{
    return z->step == WS_BASICS ? F_COUNT + N_BUTTONS : 1 + N_BUTTONS;
}

/* The button under focus, or B_COUNT. */
static enum wiz_button focus_button(const struct wizard *z)
{
    if (z->step == WS_BASICS)
        return z->focus >= F_COUNT ? basics_buttons[z->focus - F_COUNT] : B_COUNT;
    return z->focus >= 1 ? gpu_buttons[z->focus - 1] : B_COUNT;
}

/* Checks one field, setting its message. Messages show once the field was touched. */
static bool check_field(struct wizard *z, enum wiz_field f)
{
    char msg[INPUT_MESSAGE_MAX] = "";
    const char *v = field_value(z, f);
    long num = 0;
    bool ok;
    switch (f) {
    case F_NAME:
        ok = wizard_check_name(v, msg, sizeof(msg));
        break;
    case F_RG:
        ok = wizard_check_resource_group(v, msg, sizeof(msg));
        break;
    case F_CL:
        ok = wizard_check_resource_id(v, "customLocations", "Custom location", msg,
                                      sizeof(msg));
        break;
    case F_IMAGE:
        ok = wizard_check_resource_id(v, "galleryImages", "Image", msg, sizeof(msg));
        break;
    case F_CPU:
        ok = wizard_check_number(v, 1, WIZARD_MAX_CPUS, "vCPU", &num, msg, sizeof(msg));
        break;
    case F_MEM:
        ok = wizard_check_number(v, WIZARD_MIN_MEMORY_MB, WIZARD_MAX_MEMORY_MB, "MB", &num, msg,
                                 sizeof(msg));
        break;
    case F_ADMIN:
        ok = wizard_check_admin(v, msg, sizeof(msg));
        break;
    default:
        ok = true;
        break;
    }
    input_set_message(&z->in[f], ok ? "" : msg);
    return ok;
}

/* Checks every field, marking them touched; returns the first invalid one or F_COUNT. */
static enum wiz_field check_all(struct wizard *z)
{
    enum wiz_field first = F_COUNT;
    for (int f = 0; f < F_COUNT; f++) {
        z->touched[f] = true;
        if (!check_field(z, (enum wiz_field)f) && first == F_COUNT)
            first = (enum wiz_field)f;
    }
    return first;
}

static bool host_in(const struct host *h, const char *cl)
{
    return !cl || !cl[0] || !h->custom_location || str_ieq(h->custom_location, cl);
}

/* What the cluster offers at the chosen custom location: modes, partition size, capacity. */
static void learn_cluster(struct wizard *z)
{
    const struct cluster *c = ops_cluster(z->ops);
    const char *cl = field_value(z, F_CL);
    struct cluster view;
    bool viewed = ops_cluster_view(c, cl, &view);
    if (viewed)
        c = &view;
    memset(z->offered, 0, sizeof(z->offered));
    z->offered[G_NONE] = true;
    z->partition_mb = -1;
    z->partition_src[0] = '\0';
    z->gpup_free = z->gpup_total = z->dda_free = z->dda_total = -1;
    z->dda_model[0] = '\0';
    if (c && c->inventory_known) {
        /* Hosts of the custom location; all of them when none is tagged with it. */
        bool any = false;
        for (size_t i = 0; i < c->n_hosts && !any; i++)
            any = c->hosts[i].custom_location && str_ieq(c->hosts[i].custom_location, cl);
        const char *where = any ? cl : NULL;
        z->gpup_free = z->gpup_total = z->dda_free = z->dda_total = 0;
        for (size_t i = 0; i < c->n_hosts; i++) {
            const struct host *h = &c->hosts[i];
            if (!host_in(h, where))
                continue;
            for (size_t g = 0; g < h->n_gpus; g++) {
                const struct host_gpu *gpu = &h->gpus[g];
                if (gpu->mode == GPU_MODE_GPUP) {
                    z->offered[G_GPUP] = true;
                } else if (gpu->mode == GPU_MODE_DDA) {
                    z->offered[G_DDA] = true;
                    z->dda_total++;
                    if (!gpu->dda_vm) {
                        z->dda_free++;
                        if (!z->dda_model[0] && gpu->model)
                            text_sanitize(z->dda_model, sizeof(z->dda_model), gpu->model);
                    }
                }
            }
        }
        struct partition_pool pool = cluster_pool(c, NULL, where);
        z->gpup_total = pool.total;
        z->gpup_free = pool.total - pool.used;
        if (pool.partition_size_mb > 0) {
            z->partition_mb = pool.partition_size_mb;
            (void)text_copy(z->partition_src, sizeof(z->partition_src), "host inventory");
        }
    } else {
        z->offered[G_GPUP] = true; /* nothing known: GPU-P, the product's mode */
    }
    if (z->partition_mb <= 0 && c && c->partition_size_mb_config > 0) {
        z->partition_mb = c->partition_size_mb_config;
        (void)text_copy(z->partition_src, sizeof(z->partition_src), "from config");
    }
    if (!z->offered[z->gpu])
        z->gpu = G_NONE;
    if (viewed)
        ops_cluster_view_free(&view);
}

/* The GPU list the choice asks for (n 0 or 1). */
static size_t desired_gpu(const struct wizard *z, struct vm_gpu *one)
{
    memset(one, 0, sizeof(*one));
    one->partition_size_mb = -1;
    switch (z->gpu) {
    case G_GPUP:
        one->type = GPU_ASSIGN_P;
        one->type_text = (char *)"GpuP";
        return 1;
    case G_DDA:
        one->type = GPU_ASSIGN_DDA;
        one->type_text = (char *)"GpuDDA";
        one->gpu_name = z->dda_model[0] ? (char *)z->dda_model : NULL;
        return 1;
    case G_NONE:
    case G_COUNT:
    default:
        return 0;
    }
}

/* The service rules for the new VM with the GPU chosen. */
static void check_rules(struct wizard *z)
{
    z->rules_valid = false;
    const struct cluster *c = ops_cluster(z->ops);
    if (!c)
        return;
    struct cluster view;
    bool viewed = ops_cluster_view(c, field_value(z, F_CL), &view);
    if (viewed)
        c = &view;
    struct vm probe;
    vm_init(&probe);
    probe.name = text_dup(input_text(&z->in[F_NAME]));
    probe.custom_location = text_dup(field_value(z, F_CL));
    probe.power = POWER_UNKNOWN;
    struct vm_gpu one;
    size_t n = desired_gpu(z, &one);
    struct rule_input in = {.vm = &probe, .desired = n ? &one : NULL, .n_desired = n,
                            .cluster = c, .plan_stops_vm = true, .creating = true};
    rules_check(&in, &z->rules);
    z->rules_valid = true;
    vm_cleanup(&probe);
    if (viewed)
        ops_cluster_view_free(&view);
}

static void set_step(struct wizard *z, enum wiz_step s)
{
    z->step = s;
    z->focus = 0;
    if (s == WS_GPU) {
        learn_cluster(z);
        check_rules(z);
    }
}

/* A committed create: the Review screen is gone, the wizard goes too, Progress follows. */
static void committed(void *ctx, struct app *a)
{
    (void)ctx;
    app_pop(a);
}

/* Review + create: every field must pass, then the plan goes to the Review screen. */
static void review(struct wizard *z, struct app *a)
{
    enum wiz_field bad = check_all(z);
    if (bad != F_COUNT) {
        int n_bad = 0;
        for (int f = 0; f < F_COUNT; f++)
            n_bad += input_message(&z->in[f])[0] != '\0';
        z->step = WS_BASICS;
        z->focus = (int)bad;
        app_flash(a, true, "Fix %d field%s before Review + create (first: %s)", n_bad,
                  n_bad == 1 ? "" : "s", field_label[bad]);
        app_body_dirty(a);
        return;
    }
    learn_cluster(z);
    long cpus = 0, mem = 0;
    char msg[8];
    (void)wizard_check_number(field_value(z, F_CPU), 1, WIZARD_MAX_CPUS, "", &cpus, msg,
                              sizeof(msg));
    (void)wizard_check_number(field_value(z, F_MEM), WIZARD_MIN_MEMORY_MB, WIZARD_MAX_MEMORY_MB,
                              "", &mem, msg, sizeof(msg));
    struct vm_gpu one;
    size_t n = desired_gpu(z, &one);
    struct vm_create_spec spec = {
        .subscription = z->subscription,
        .resource_group = field_value(z, F_RG),
        .name = field_value(z, F_NAME),
        .location = z->location,
        .custom_location = field_value(z, F_CL),
        .image_id = field_value(z, F_IMAGE),
        .admin_username = field_value(z, F_ADMIN),
        .processors = cpus,
        .memory_mb = mem,
        .gpus = n ? &one : NULL,
        .n_gpus = n,
    };
    const struct plan_options *popt = ops_plan_options(z->ops);
    struct plan plan;
    struct gp_error err;
    gp_error_clear(&err);
    if (!popt || plan_build_create(&spec, popt, &plan, &err) != GP_OK) {
        app_flash(a, true, "%s", popt ? err.message : "create: no plan options");
        plan_cleanup(&plan);
        return;
    }
    review_open(a, z->ops, &plan, "Create", committed, z);
    plan_cleanup(&plan);
}


static void field_changed(struct wizard *z, enum wiz_field f)
{
    z->dirty = true;
    z->touched[f] = true;
    check_field(z, f);
    if (f == F_CL) {
        learn_cluster(z);
        check_rules(z);
    } else if (f == F_NAME) {
        check_rules(z);
    }
}

static void activate(struct wizard *z, struct app *a, enum wiz_button b)
{
    switch (b) {
    case B_NEXT:
        set_step(z, WS_GPU);
        break;
    case B_BACK:
        set_step(z, WS_BASICS);
        break;
    case B_REVIEW:
        review(z, a);
        break;
    default:
        break;
    }
}

static void move_focus(struct wizard *z, int delta)
{
    int n = n_focus(z);
    z->focus = ((z->focus + delta) % n + n) % n;
}

static void choose_gpu(struct wizard *z, int delta)
{
    int g = (int)z->gpu;
    for (int i = 0; i < G_COUNT; i++) {
        g += delta;
        if (g < 0 || g >= G_COUNT)
            return;
        if (z->offered[g]) {
            z->gpu = (enum wiz_gpu)g;
            z->dirty = true;
            check_rules(z);
            return;
        }
    }
}

static bool leave(struct wizard *z, struct app *a)
{
    if (z->step == WS_GPU) {
        set_step(z, WS_BASICS);
        z->focus = F_COUNT; /* on Next, where the operator left Basics */
        return true;
    }
    if (z->dirty && !z->leave_armed) {
        z->leave_armed = true;
        app_flash(a, false, "The new VM is not created yet: press Esc again to discard it");
        return true;
    }
    app_pop(a);
    return true;
}

static bool wizard_key(struct screen *s, struct app *a, enum keymap_action act, int key)
{
    struct wizard *z = (struct wizard *)s;
    bool armed = z->leave_armed;
    z->leave_armed = false;
    app_body_dirty(a);
    enum wiz_button btn = focus_button(z);
    bool on_text = z->step == WS_BASICS && z->focus < F_COUNT && !is_list(z, z->focus);
    bool on_list = z->step == WS_BASICS && z->focus < F_COUNT && is_list(z, z->focus);
    bool on_gpu = z->step == WS_GPU && z->focus == 0;

    if (key == KEY_CODE_ESC || (act == ACT_QUIT && !on_text) || act == ACT_DISCARD) {
        z->leave_armed = armed;
        return leave(z, a);
    }
    if (act == ACT_SAVE) {
        review(z, a);
        return true;
    }
    if (key == KEY_CODE_TAB || act == ACT_NEXT_FIELD) {
        move_focus(z, 1);
        return true;
    }
    if (key == KEY_CODE_BACKTAB || act == ACT_PREV_FIELD) {
        move_focus(z, -1);
        return true;
    }
    if (act == ACT_PGDN || act == ACT_PGUP) {
        set_step(z, act == ACT_PGDN ? WS_GPU : WS_BASICS);
        return true;
    }
    if (on_text) {
        enum wiz_field f = (enum wiz_field)z->focus;
        enum input_result r = input_key(&z->in[f], key);
        if (r == INPUT_CHANGED)
            field_changed(z, f);
        if (r == INPUT_REJECTED && input_chars(&z->in[f]) >= z->in[f].max_chars)
            app_flash(a, true, "%s: at most %zu characters", field_label[f], z->in[f].max_chars);
        if (r != INPUT_IGNORED)
            return true;
    }
    if (on_list && (key == KEY_CODE_LEFT || key == KEY_CODE_RIGHT || key == ' ')) {
        struct choices *c = &z->ch[z->focus];
        c->cur = key == KEY_CODE_LEFT ? (c->cur + c->n - 1) % c->n : (c->cur + 1) % c->n;
        field_changed(z, (enum wiz_field)z->focus);
        return true;
    }
    if (on_gpu && (act == ACT_UP || act == ACT_DOWN)) {
        choose_gpu(z, act == ACT_UP ? -1 : 1);
        return true;
    }
    if (btn != B_COUNT && (key == KEY_CODE_LEFT || key == KEY_CODE_RIGHT)) {
        move_focus(z, key == KEY_CODE_LEFT ? -1 : 1);
        if (focus_button(z) == B_COUNT)
            move_focus(z, key == KEY_CODE_LEFT ? 1 : -1);
        return true;
    }
    if (act == ACT_UP || act == ACT_DOWN) {
        move_focus(z, act == ACT_UP ? -1 : 1);
        return true;
    }
    if (key == KEY_CODE_ENTER || (key == ' ' && btn != B_COUNT)) {
        if (btn != B_COUNT)
            activate(z, a, btn);
        else if (on_gpu)
            z->focus = 1 + N_BUTTONS - 1; /* to Next: Review + create */
        else
            move_focus(z, 1);
        return true;
    }
    /* Everything else stays here, but help, redraw and the palette keep their meaning. */
    return !(act == ACT_HELP || act == ACT_REDRAW || act == ACT_PALETTE);
}

/* --- drawing ------------------------------------------------------------------------------- */

static void draw_tabs(struct wizard *z, WINDOW *w, int cols)
{
    static const char *const tabs[] = {"1 Basics", "2 Attach GPU", "3 Review + create"};
    int x = 1;
    for (int i = 0; i < 3; i++) {
        char t[32];
        snprintf(t, sizeof(t), " %s ", tabs[i]);
        int width = draw_width(t);
        bool cur = (int)z->step == i;
        draw_text(w, 0, x, width, t, cur ? colors_attr(THEME_SELECTION) : colors_attr(THEME_DIM));
        widget_hits_add(&z->hits, 0, x, width, HIT_TAB + i);
        x += width + 1;
    }
    (void)cols;
}

#define LABEL_X 2
#define FIELD_X 20

static void draw_buttons(struct wizard *z, WINDOW *w, int y, const enum wiz_button *b,
                         int first_focus)
{
    int x = LABEL_X;
    for (int i = 0; i < N_BUTTONS; i++)
        x += widget_button(w, &z->hits, first_focus + i, y, x, button_label(z, b[i]),
                           z->focus == first_focus + i, false) +
             2;
}

static void draw_basics(struct wizard *z, WINDOW *w, int rows, int cols)
{
    int fw = cols - FIELD_X - 2;
    if (fw > 56)
        fw = 56;
    for (int f = 0; f < F_COUNT; f++) {
        int y = 2 + 2 * f;
        bool focused = z->focus == f;
        draw_text(w, y, LABEL_X, FIELD_X - LABEL_X - 1, field_label[f],
                  focused ? colors_attr(THEME_TITLE) : colors_attr(THEME_TEXT));
        if (is_list(z, f)) {
            const struct choices *c = &z->ch[f];
            char t[256];
            snprintf(t, sizeof(t), "< %s >  (%zu of %zu)", last_segment(c->v[c->cur]),
                     c->cur + 1, c->n);
            draw_text(w, y, FIELD_X, fw, t,
                      focused ? colors_attr(THEME_SELECTION) : colors_attr(THEME_TEXT));
        } else {
            draw_fill(w, y, FIELD_X - 1, 1, colors_attr(THEME_DIM));
            input_draw(&z->in[f], w, y, FIELD_X, fw, focused, colors_attr(THEME_INPUT));
        }
        const char *m = input_message(&z->in[f]);
        if (z->touched[f] && m[0])
            draw_text(w, y + 1, FIELD_X, cols - FIELD_X - 1, m, colors_attr(THEME_ERROR));
    }
    int by = 2 + 2 * F_COUNT;
    if (by < rows)
        draw_buttons(z, w, by, basics_buttons, F_COUNT);
    const char *hint = "Tab next field  Left/Right choose from a list  F2 Review + create  "
                       "Esc leave";
    if (by + 2 < rows)
        draw_text(w, by + 2, LABEL_X, cols - LABEL_X - 1, hint, colors_attr(THEME_DIM));
}

static void draw_gpu(struct wizard *z, WINDOW *w, int rows, int cols)
{
    int y = 2;
    draw_text(w, y++, LABEL_X, cols - 4, "GPU Setup", colors_attr(THEME_HEADER));
    for (int g = 0; g < G_COUNT; g++) {
        if (!z->offered[g])
            continue;
        char t[64];
        snprintf(t, sizeof(t), "(%s) %s", (int)z->gpu == g ? "*" : " ", gpu_label[g]);
        bool hi = z->focus == 0 && (int)z->gpu == g;
        draw_text(w, y++, LABEL_X + 2, 40, t,
                  hi ? colors_attr(THEME_SELECTION) : colors_attr(THEME_TEXT));
    }
    y++;
    char line[256];
    char size[96];
    if (z->partition_mb > 0)
        snprintf(size, sizeof(size), "%ld MB (%s)", z->partition_mb, z->partition_src);
    else
        snprintf(size, sizeof(size), "not known (set partition_size_mb in the profile)");
    const char *where = last_segment(field_value(z, F_CL));
    switch (z->gpu) {
    case G_GPUP:
        snprintf(line, sizeof(line), "Partition size: %s; the host's, not chosen", size);
        draw_text(w, y++, LABEL_X, cols - 4, line, colors_attr(THEME_GPU));
        if (z->gpup_total >= 0)
            snprintf(line, sizeof(line), "Free partitions on %s: %d of %d", where, z->gpup_free,
                     z->gpup_total);
        else
            snprintf(line, sizeof(line), "Free partitions on %s: not known (no host GPU "
                     "inventory)", where);
        draw_text(w, y++, LABEL_X, cols - 4, line, colors_attr(THEME_TEXT));
        break;
    case G_DDA:
        snprintf(line, sizeof(line), "A whole GPU%s%s%s, assigned by the service", 
                 z->dda_model[0] ? " (" : "", z->dda_model, z->dda_model[0] ? ")" : "");
        draw_text(w, y++, LABEL_X, cols - 4, line, colors_attr(THEME_GPU));
        snprintf(line, sizeof(line), "Free DDA GPUs on %s: %d of %d", where, z->dda_free,
                 z->dda_total);
        draw_text(w, y++, LABEL_X, cols - 4, line, colors_attr(THEME_TEXT));
        break;
    case G_NONE:
    case G_COUNT:
    default:
        draw_text(w, y++, LABEL_X, cols - 4, "The VM is created without a GPU",
                  colors_attr(THEME_TEXT));
        y++;
        break;
    }
    y++;
    if (z->rules_valid && y < rows) {
        int passed = 0;
        for (int r = 0; r < RULE_COUNT; r++)
            passed += z->rules.results[r].outcome == RULE_PASSED;
        snprintf(line, sizeof(line), "Checks: %d passed, %d failed", passed,
                 z->rules.n_failed);
        draw_text(w, y++, LABEL_X, cols - 4, line, colors_attr(THEME_HEADER));
        /* The ones that did not pass, failures first. */
        for (int pass = 0; pass < 2; pass++) {
            for (int r = 0; r < RULE_COUNT && y < rows - 3; r++) {
                const struct rule_result *rr = &z->rules.results[r];
                bool show = pass == 0 ? rr->outcome == RULE_FAILED
                                      : rr->outcome == RULE_UNKNOWN;
                if (!show)
                    continue;
                snprintf(line, sizeof(line), "%-7s %-14s %s", rule_outcome_name(rr->outcome),
                         rule_name(rr->id), rr->reason);
                draw_text(w, y++, LABEL_X + 2, cols - LABEL_X - 3, line,
                          colors_attr(rr->outcome == RULE_FAILED ? THEME_ERROR : THEME_WARNING));
            }
        }
    }
    int by = rows - 3;
    if (by > y)
        draw_buttons(z, w, by, gpu_buttons, 1);
    if (by + 2 < rows)
        draw_text(w, by + 2, LABEL_X, cols - LABEL_X - 1,
                  "Up/Down choose  Tab buttons  F2 Review + create  Esc back to Basics",
                  colors_attr(THEME_DIM));
}

static void wizard_draw(struct screen *s, struct app *a, WINDOW *w, bool full)
{
    (void)a;
    (void)full;
    struct wizard *z = (struct wizard *)s;
    int rows = getmaxy(w), cols = getmaxx(w);
    werase(w);
    widget_hits_reset(&z->hits);
    draw_tabs(z, w, cols);
    if (z->step == WS_BASICS)
        draw_basics(z, w, rows, cols);
    else
        draw_gpu(z, w, rows, cols);
}

/* A click on a button: focus it and press Enter. On a tab: the key that switches to it
 * (PgUp, PgDn, F2 for Review + create), checks included. A double-click is ignored: its first
 * press already arrived as a click. */
static void wizard_mouse(struct screen *s, struct app *a, const struct tui_mouse *m)
{
    struct wizard *z = (struct wizard *)s;
    int id = m->kind == TUI_MOUSE_CLICK ? widget_hits_take(&z->hits, m->y, m->x) : -1;
    if (id < 0)
        return;
    if (id >= HIT_TAB) {
        static const enum keymap_action tab_act[WS_COUNT + 1] = {ACT_PGUP, ACT_PGDN, ACT_SAVE};
        static const int tab_key[WS_COUNT + 1] = {KEY_CODE_PGUP, KEY_CODE_PGDN, 0};
        int t = id - HIT_TAB;
        if (t <= WS_COUNT)
            (void)wizard_key(s, a, tab_act[t], tab_key[t]); /* always handled */
        return;
    }
    if (id >= n_focus(z))
        return;
    z->focus = id;
    (void)wizard_key(s, a, ACT_ENTER, KEY_CODE_ENTER); /* always handled */
}

static const char *wizard_crumb(struct screen *s)
{
    (void)s;
    return "Create virtual machine";
}

static void choices_free(struct choices *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->v[i]);
    free(c->v);
    memset(c, 0, sizeof(*c));
}

static void wizard_destroy(struct screen *s)
{
    struct wizard *z = (struct wizard *)s;
    for (int f = 0; f < F_COUNT; f++)
        choices_free(&z->ch[f]);
    free(z->subscription);
    free(z->location);
    free(z);
}

static const struct screen_ops ops_wizard = {
    .name = "Create virtual machine",
    .ctx = KM_FORM,
    .crumb = wizard_crumb,
    .draw = wizard_draw,
    .key = wizard_key,
    .mouse = wizard_mouse,
    .destroy = wizard_destroy,
};

const struct screen_ops *wizard_screen_ops(void)
{
    return &ops_wizard;
}

/* Copies a list of values (sanitized, empty ones dropped); cur at the one equal to want. */
static bool choices_copy(struct choices *c, const char *const *v, size_t n, const char *want)
{
    if (n > WIZARD_MAX_CHOICES)
        n = WIZARD_MAX_CHOICES;
    if (n == 0)
        return true;
    c->v = calloc(n, sizeof(*c->v));
    if (!c->v)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!v[i] || !v[i][0])
            continue;
        char safe[INPUT_MAX_BYTES];
        text_sanitize(safe, sizeof(safe), v[i]);
        c->v[c->n] = text_dup(safe);
        if (!c->v[c->n])
            return false;
        if (want && (str_ieq(c->v[c->n], want) || str_ieq(last_segment(c->v[c->n]), want)))
            c->cur = c->n;
        c->n++;
    }
    return true;
}

void wizard_opts_from_profile(struct wizard_opts *o, const struct settings_profile *p)
{
    if (p->subscription[0])
        o->subscription = p->subscription;
    if (p->resource_group[0])
        o->resource_group = p->resource_group;
    if (p->custom_location[0])
        o->custom_location = p->custom_location;
}

void wizard_open(struct app *a, struct ops *ops, const struct wizard_opts *o)
{
    struct wizard *z = calloc(1, sizeof(*z));
    if (!z) {
        app_flash(a, true, "out of memory");
        return;
    }
    z->screen.ops = &ops_wizard;
    z->ops = ops;
    z->subscription = text_dup(o->subscription ? o->subscription : "");
    z->location = text_dup(o->location ? o->location : "");
    static const size_t caps[F_COUNT] = {80, 100, 400, 400, 6, 9, 40};
    for (int f = 0; f < F_COUNT; f++)
        input_init(&z->in[f], caps[f]);
    bool ok = z->subscription && z->location &&
              choices_copy(&z->ch[F_RG], o->resource_groups, o->n_resource_groups,
                           o->resource_group) &&
              choices_copy(&z->ch[F_CL], o->custom_locations, o->n_custom_locations,
                           o->custom_location) &&
              choices_copy(&z->ch[F_IMAGE], o->images, o->n_images, o->image);
    if (!ok) {
        wizard_destroy(&z->screen);
        app_flash(a, true, "out of memory");
        return;
    }
    (void)input_set(&z->in[F_RG], o->resource_group);
    (void)input_set(&z->in[F_CL], o->custom_location);
    (void)input_set(&z->in[F_IMAGE], o->image);
    (void)input_set(&z->in[F_ADMIN], o->admin_username);
    char num[32];
    snprintf(num, sizeof(num), "%ld", o->processors > 0 ? o->processors : 4);
    (void)input_set(&z->in[F_CPU], num);
    snprintf(num, sizeof(num), "%ld", o->memory_mb > 0 ? o->memory_mb : 8192);
    (void)input_set(&z->in[F_MEM], num);
    z->gpu = G_NONE;
    learn_cluster(z);
    app_push(a, &z->screen);
}
