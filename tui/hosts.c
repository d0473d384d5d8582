/* SPDX-License-Identifier: MIT
 * tui/hosts.c: the Hosts / GPUs screen: rows built once from a snapshot, drawn from the
 * scroll position down (only the visible ones). */
#include "tui/hosts.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/buf.h"
#include "model/cluster.h"
#include "model/keymap.h"
#include "model/text.h"
#include "model/vm.h"
#include "tui/app.h"
#include "tui/colors.h"
#include "tui/draw.h"
#include "tui/term.h"
#include "tui/widget.h"

#define HOSTS_MAX_ROWS 20000
#define HOSTS_CELL_MAX 1024

enum { COL_NAME, COL_MODEL, COL_MODE, COL_SIZE, COL_USED, COL_HELD, HCOLS };

/* Column x and width (the last one takes the rest of the line). */
static const int col_x[HCOLS] = {1, 13, 28, 34, 43, 53};

struct hrow {
    enum theme_role role;
    bool span;              /* cells[0] covers the whole line */
    char *cells[HCOLS];
};

struct hosts {
    struct screen screen;
    struct hrow *rows;
    size_t n, cap;
    bool oom;
    size_t top;
    int height;
};

static void row_free(struct hrow *r)
{
    for (int i = 0; i < HCOLS; i++)
        free(r->cells[i]);
}

/* Adds a row; cells are sanitized copies ("" for NULL). */
static void add_row(struct hosts *h, enum theme_role role, bool span, const char *const cells[HCOLS])
{
    if (h->oom || h->n == HOSTS_MAX_ROWS)
        return;
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 32;
        struct hrow *r = realloc(h->rows, cap * sizeof(*r));
        if (!r) {
            h->oom = true;
            return;
        }
        h->rows = r;
        h->cap = cap;
    }
    struct hrow *r = &h->rows[h->n];
    memset(r, 0, sizeof(*r));
    r->role = role;
    r->span = span;
    for (int i = 0; i < HCOLS; i++) {
        char safe[HOSTS_CELL_MAX];
        text_sanitize(safe, sizeof(safe), cells[i] ? cells[i] : "");
        r->cells[i] = text_dup(safe);
        if (!r->cells[i]) {
            row_free(r);
            h->oom = true;
            return;
        }
    }
    h->n++;
}

static void add_line(struct hosts *h, enum theme_role role, const char *fmt, ...) GP_PRINTF(3, 4);
static void add_line(struct hosts *h, enum theme_role role, const char *fmt, ...)
{
    char line[HOSTS_CELL_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    const char *cells[HCOLS] = {line};
    add_row(h, role, true, cells);
}

/* The last path segment of an ARM id ("cl-seattle" of .../customLocations/cl-seattle). */
static const char *last_segment(const char *id)
{
    if (!id)
        return "";
    const char *s = strrchr(id, '/');
    return s && s[1] ? s + 1 : id;
}

static void size_text(long mb, char *out, size_t n)
{
    if (mb > 0)
        snprintf(out, n, "%ld MB", mb);
    else
        snprintf(out, n, "%s", tui_glyph(GLYPH_DASH));
}

static void add_cells(struct hosts *h, enum theme_role role, const char *c0, const char *c1,
                      const char *c2, const char *c3, const char *c4, const char *c5)
{
    const char *cells[HCOLS] = {c0, c1, c2, c3, c4, c5};
    add_row(h, role, false, cells);
}

static void build_inventory(struct hosts *h, const struct cluster *c)
{
    struct partition_pool all = cluster_pool(c, NULL, NULL);
    size_t n_gpus = 0, dda = 0, dda_used = 0;
    for (size_t i = 0; i < c->n_hosts; i++) {
        for (size_t g = 0; g < c->hosts[i].n_gpus; g++) {
            const struct host_gpu *gpu = &c->hosts[i].gpus[g];
            n_gpus++;
            if (gpu->mode == GPU_MODE_DDA) {
                dda++;
                dda_used += gpu->dda_vm != NULL;
            }
        }
    }
    /* One size when every partition has it; the pool reports none when models differ. */
    char psize[48] = "";
    if (all.partition_size_mb > 0)
        snprintf(psize, sizeof(psize), " (%ld MB each)", all.partition_size_mb);
    else if (all.total > 0)
        snprintf(psize, sizeof(psize), " (sizes vary by model)");
    add_line(h, THEME_TITLE, "%zu host%s, %zu GPU%s", c->n_hosts, c->n_hosts == 1 ? "" : "s",
             n_gpus, n_gpus == 1 ? "" : "s");
    add_line(h, THEME_TEXT, "GPU-P: %d of %d partitions used%s  DDA: %zu of %zu GPUs in use",
             all.used, all.total, psize, dda_used, dda);
    add_line(h, THEME_TEXT, "%s", "");
    add_cells(h, THEME_HEADER, "Host / GPU", "Model", "Mode", "Size", "Used", "Held by");
    const char *dot = tui_glyph(GLYPH_DOT);
    for (size_t i = 0; i < c->n_hosts; i++) {
        const struct host *ho = &c->hosts[i];
        struct partition_pool pool = cluster_pool(c, ho, NULL);
        char used[64] = "";
        if (pool.total > 0)
            snprintf(used, sizeof(used), " %s %d of %d partitions used", dot, pool.used,
                     pool.total);
        else if (ho->n_gpus == 0)
            snprintf(used, sizeof(used), " %s no GPUs", dot);
        /* The custom location when the inventory names it (Arc machines may not). */
        const char *where = last_segment(ho->custom_location);
        char loc[128] = "";
        if (where[0])
            snprintf(loc, sizeof(loc), " %s %s", dot, where);
        add_line(h, THEME_GPU, "%s%s%s", ho->name ? ho->name : "?", loc, used);
        for (size_t g = 0; g < ho->n_gpus; g++) {
            const struct host_gpu *gpu = &ho->gpus[g];
            char name[96], sz[32] = "", use[48] = "";
            snprintf(name, sizeof(name), "  %s", gpu->id ? gpu->id : "?");
            const char *mode = gpu_mode_name(gpu->mode);
            switch (gpu->mode) {
            case GPU_MODE_GPUP: {
                size_text(gpu->partition_size_mb, sz, sizeof(sz));
                snprintf(use, sizeof(use), "%d of %d", gpu->partitions_used,
                         gpu->partitions_total);
                /* One line per partition holder. */
                size_t named = gpu->n_partition_vms;
                size_t used_n = gpu->partitions_used > 0 ? (size_t)gpu->partitions_used : 0;
                char unnamed[64] = "";
                if (used_n > named)
                    snprintf(unnamed, sizeof(unnamed), "%zu more, not named", used_n - named);
                const char *first = named ? gpu->partition_vms[0]
                                    : unnamed[0] ? unnamed
                                                 : "";
                add_cells(h, THEME_TEXT, name, gpu->model, mode, sz, use, first);
                for (size_t k = 1; k < named; k++)
                    add_cells(h, THEME_TEXT, "", "", "", "", "", gpu->partition_vms[k]);
                if (named && unnamed[0])
                    add_cells(h, THEME_DIM, "", "", "", "", "", unnamed);
                break;
            }
            case GPU_MODE_DDA:
                add_cells(h, THEME_TEXT, name, gpu->model, mode, "", gpu->dda_vm ? "in use" : "free",
                          !gpu->dda_vm ? "" : gpu->dda_vm[0] ? gpu->dda_vm : "a VM, not named");
                break;
            default:
                add_cells(h, THEME_TEXT, name, gpu->model, mode, "", "", "mode not reported");
                break;
            }
        }
    }
}

/* Inferred view: per host, the VMs holding partitions and DDA GPUs. */
struct inferred {
    const char *host; /* borrowed from a VM; NULL: host not reported */
};

static int cmp_inferred(const void *a, const void *b)
{
    const struct inferred *x = a, *y = b;
    if (!x->host || !y->host)
        return x->host ? -1 : y->host ? 1 : 0;
    return strcmp(x->host, y->host);
}

static void build_inferred(struct hosts *h, const struct cluster *c, const struct vm *const *vms,
                           size_t n)
{
    add_line(h, THEME_WARNING, "The host GPU inventory is not available: what follows is inferred");
    add_line(h, THEME_WARNING, "from the VMs' GPU assignments (free partitions are not known).");
    char psize[32];
    size_text(c->partition_size_mb_config, psize, sizeof(psize));
    add_line(h, THEME_TEXT, "Partition size (from config): %s",
             c->partition_size_mb_config > 0 ? psize : "not configured");
    add_line(h, THEME_TEXT, "%s", "");

    struct inferred *hs = NULL;
    size_t nh = 0, total_p = 0, total_d = 0;
    for (size_t i = 0; i < n; i++) {
        const struct vm *vm = vms[i];
        size_t p = 0, d = 0;
        for (size_t g = 0; g < vm->n_gpus; g++) {
            p += vm->gpus[g].type == GPU_ASSIGN_P;
            d += vm->gpus[g].type == GPU_ASSIGN_DDA;
        }
        if (!p && !d)
            continue;
        struct inferred *e = NULL;
        for (size_t k = 0; k < nh && !e; k++) {
            if (str_eq(hs[k].host, vm->host_node))
                e = &hs[k];
        }
        if (!e) {
            struct inferred *m = realloc(hs, (nh + 1) * sizeof(*hs));
            if (!m) {
                h->oom = true;
                break;
            }
            hs = m;
            e = &hs[nh++];
            e->host = vm->host_node;
        }
        total_p += p;
        total_d += d;
    }
    if (nh)
        qsort(hs, nh, sizeof(*hs), cmp_inferred);
    add_line(h, THEME_TITLE, "%zu GPU partition%s and %zu DDA GPU%s held by VMs on %zu host%s",
             total_p, total_p == 1 ? "" : "s", total_d, total_d == 1 ? "" : "s", nh,
             nh == 1 ? "" : "s");
    add_line(h, THEME_TEXT, "%s", "");
    if (nh)
        add_cells(h, THEME_HEADER, "Host", "VM", "", "GPU", "", "");
    for (size_t k = 0; k < nh; k++) {
        const char *host = hs[k].host ? hs[k].host : "(unknown)";
        bool first = true;
        for (size_t i = 0; i < n; i++) {
            const struct vm *vm = vms[i];
            if (!str_eq(vm->host_node, hs[k].host))
                continue;
            for (size_t g = 0; g < vm->n_gpus; g++) {
                const struct vm_gpu *gp = &vm->gpus[g];
                char what[160];
                if (gp->type == GPU_ASSIGN_P && gp->partition_size_mb > 0)
                    snprintf(what, sizeof(what), "GPU-P %ld MB", gp->partition_size_mb);
                else if (gp->type == GPU_ASSIGN_P)
                    snprintf(what, sizeof(what), "GPU-P");
                else if (gp->type == GPU_ASSIGN_DDA)
                    snprintf(what, sizeof(what), "DDA %s", gp->gpu_name ? gp->gpu_name : "");
                else
                    continue;
                add_cells(h, THEME_TEXT, first ? host : "", vm->name ? vm->name : "?", "",
                          what, "", "");
                first = false;
            }
        }
    }
    free(hs);
}

static void hosts_draw(struct screen *s, struct app *a, WINDOW *w, bool full)
{
    (void)a;
    (void)full;
    struct hosts *h = (struct hosts *)s;
    int rows = getmaxy(w), cols = getmaxx(w);
    h->height = rows;
    werase(w);
    if (h->oom)
        draw_text(w, rows - 1, 1, cols - 2, "(out of memory: some rows are missing)",
                  colors_attr(THEME_ERROR));
    for (int y = 0; y < rows && h->top + (size_t)y < h->n; y++) {
        const struct hrow *r = &h->rows[h->top + (size_t)y];
        attr_t at = colors_attr(r->role);
        if (r->span) {
            draw_text(w, y, 1, cols - 2, r->cells[0], at);
            continue;
        }
        for (int c = 0; c < HCOLS; c++) {
            if (!r->cells[c][0])
                continue;
            /* A cell runs on until the next non-empty one. */
            int next = cols;
            for (int k = c + 1; k < HCOLS && next == cols; k++) {
                if (r->cells[k][0])
                    next = col_x[k];
            }
            int width = next - col_x[c] - 1;
            if (width > 0)
                draw_text(w, y, col_x[c], width, r->cells[c], at);
        }
    }
}

static bool hosts_key(struct screen *s, struct app *a, enum keymap_action act, int key)
{
    (void)key;
    struct hosts *h = (struct hosts *)s;
    size_t top = h->top;
    if (!widget_scroll(act, &top, h->n, h->height))
        return false;
    if (top != h->top) {
        h->top = top;
        app_body_dirty(a);
    }
    return true;
}

static void hosts_destroy(struct screen *s)
{
    struct hosts *h = (struct hosts *)s;
    for (size_t i = 0; i < h->n; i++)
        row_free(&h->rows[i]);
    free(h->rows);
    free(h);
}

static const struct screen_ops ops_hosts = {
    .name = "Hosts / GPUs",
    .ctx = KM_GLOBAL,
    .draw = hosts_draw,
    .key = hosts_key,
    .destroy = hosts_destroy,
};

const struct screen_ops *hosts_screen_ops(void)
{
    return &ops_hosts;
}

void hosts_open(struct app *a, const struct cluster *c, const struct vm *const *vms, size_t n)
{
    struct hosts *h = calloc(1, sizeof(*h));
    if (!h) {
        app_flash(a, true, "out of memory");
        return;
    }
    h->screen.ops = &ops_hosts;
    h->height = 1;
    if (c->inventory_known)
        build_inventory(h, c);
    else
        build_inferred(h, c, vms, n);
    app_push(a, &h->screen);
}
