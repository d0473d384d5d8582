/* SPDX-License-Identifier: MIT
 * model/vmtable.c: rows, display cells, filter, sort and id lookup for the VM list.
 *
 * Layout: rows[] holds each struct vm plus offsets of its cells in `cells` (display text,
 * sanitized) and of its haystack in `hay` (the cells lower-cased, joined by \x1f, ended by
 * \0). perm[] is every row in sort order; view[] the rows of perm that match the filter.
 * A full filter runs one memchr()-driven pass over the whole haystack arena and maps each hit
 * to its row through hent[] (haystack offsets in arena order); a narrowing filter re-tests
 * only the rows in view. Appending sorts the new rows and merges them into perm. */
#include "model/vmtable.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/text.h"

struct vt_row {
    struct vm vm;
    uint32_t cell[VMTABLE_COLUMN_COUNT]; /* offsets in t->cells */
    uint32_t hay;                        /* offset in t->hay */
    uint32_t hay_len;                    /* without the final \0 */
    bool touched;                        /* in the batch being added */
    uint32_t gen;                        /* the refresh that last brought it */
    uint64_t id_hash;                    /* id_hash(vm.id), kept for rehashing */
};

struct vt_hay_entry {
    uint32_t off;
    uint32_t row;
};

struct vt_id_slot {
    uint32_t row1; /* row + 1; 0: empty */
    uint32_t hash; /* low bits of the id's hash: most probes end without a string compare */
};

struct vt_arena {
    char *p;
    size_t len, cap;
};

struct vmtable {
    bool utf8;
    struct vt_row *rows;
    size_t n, cap;
    uint32_t *perm, *view, *tmp, *batch;
    uint8_t *match; /* per row: shown by the filter (apart from rows: small, cache friendly) */
    uint64_t *skey; /* per row: sort key prefix for sort_col (see sort_key) */
    uint64_t *gkey; /* per row: the same for the resource group (grouping) */
    size_t n_view;
    struct vt_arena cells, hay;
    struct vt_hay_entry *hent;
    size_t n_hent, cap_hent;
    struct vt_id_slot *ids; /* open addressing on the lower-cased id */
    size_t ids_cap;
    size_t col_width[VMTABLE_COLUMN_COUNT];
    char filter[VMTABLE_FILTER_MAX];
    char filter_lc[VMTABLE_FILTER_MAX];
    size_t filter_len;
    size_t rare;          /* index of the filter byte least frequent in the haystack */
    size_t freq[256];     /* byte counts of the haystack arena */
    enum vmtable_column sort_col;
    bool desc;
    bool grouped;    /* resource groups first (ascending), then sort_col */
    size_t n_groups; /* groups in view when grouped (count_groups) */
    uint32_t gen;  /* the refresh under way (0: none yet) */
    size_t n_seen; /* rows it has brought */
};

#define COL_TITLE_(id, title, short_title) title,
static const char *const col_titles[VMTABLE_COLUMN_COUNT] = {VMTABLE_COLUMNS(COL_TITLE_)};
#undef COL_TITLE_
#define COL_SHORT_(id, title, short_title) short_title,
static const char *const col_short[VMTABLE_COLUMN_COUNT] = {VMTABLE_COLUMNS(COL_SHORT_)};
#undef COL_SHORT_

static size_t utf8_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80)
            w++;
    return w;
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool arena_put(struct vt_arena *a, const char *s, size_t len, uint32_t *out_off);

struct vmtable *vmtable_new(bool utf8)
{
    struct vmtable *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->utf8 = utf8;
    t->sort_col = VMCOL_NAME;
    /* Offset 0 of both arenas is "": rows whose cells could not be stored point there. */
    uint32_t off;
    if (!arena_put(&t->cells, "", 0, &off) || !arena_put(&t->hay, "", 0, &off)) {
        vmtable_free(t);
        return NULL;
    }
    return t;
}

void vmtable_clear(struct vmtable *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        vm_cleanup(&t->rows[i].vm);
    t->n = 0;
    t->n_view = 0;
    t->n_groups = 0;
    t->cells.len = t->cells.len ? 1 : 0;
    t->hay.len = t->hay.len ? 1 : 0;
    t->n_hent = 0;
    memset(t->freq, 0, sizeof(t->freq));
    if (t->ids)
        memset(t->ids, 0, t->ids_cap * sizeof(*t->ids));
    memset(t->col_width, 0, sizeof(t->col_width));
}

void vmtable_free(struct vmtable *t)
{
    if (!t)
        return;
    vmtable_clear(t);
    free(t->rows);
    free(t->perm);
    free(t->view);
    free(t->tmp);
    free(t->batch);
    free(t->match);
    free(t->skey);
    free(t->gkey);
    free(t->cells.p);
    free(t->hay.p);
    free(t->hent);
    free(t->ids);
    free(t);
}

/* --- growth -------------------------------------------------------------------------------- */

static bool grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    size_t nc = *cap ? *cap : 64;
    while (nc < need)
        nc *= 2;
    void *np = realloc(*p, nc * elem);
    if (!np)
        return false;
    *p = np;
    *cap = nc;
    return true;
}

static bool reserve_rows(struct vmtable *t, size_t need)
{
    if (need <= t->cap)
        return true;
    size_t nc = t->cap ? t->cap : 64;
    while (nc < need)
        nc *= 2;
    struct vt_row *r = realloc(t->rows, nc * sizeof(*r));
    if (!r)
        return false;
    t->rows = r;
    uint32_t **arrays[] = {&t->perm, &t->view, &t->tmp, &t->batch};
    for (size_t i = 0; i < sizeof(arrays) / sizeof(arrays[0]); i++) {
        uint32_t *a = realloc(*arrays[i], nc * sizeof(uint32_t));
        if (!a)
            return false; /* cap unchanged: the next call retries the ones not grown */
        *arrays[i] = a;
    }
    uint8_t *m = realloc(t->match, nc);
    if (!m)
        return false;
    t->match = m;
    uint64_t **keys[] = {&t->skey, &t->gkey};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        uint64_t *k = realloc(*keys[i], nc * sizeof(uint64_t));
        if (!k)
            return false;
        *keys[i] = k;
    }
    t->cap = nc;
    return true;
}

/* Appends len bytes plus a NUL; *out_off gets the offset. */
static bool arena_put(struct vt_arena *a, const char *s, size_t len, uint32_t *out_off)
{
    if (a->len + len + 1 > UINT32_MAX)
        return false;
    size_t cap = a->cap;
    void *p = a->p;
    if (!grow(&p, &cap, a->len + len + 1, 1))
        return false;
    a->p = p;
    a->cap = cap;
    memcpy(a->p + a->len, s, len);
    a->p[a->len + len] = '\0';
    *out_off = (uint32_t)a->len;
    a->len += len + 1;
    return true;
}

/* --- id index ------------------------------------------------------------------------------ */

static uint64_t id_hash(const char *s)
{
    uint64_t h = 1469598103934665603u;
    for (; *s; s++) {
        h ^= (unsigned char)lower(*s);
        h *= 1099511628211u;
    }
    return h;
}

static size_t id_slot(const struct vmtable *t, const char *id)
{
    size_t mask = t->ids_cap - 1;
    uint64_t h = id_hash(id);
    size_t i = (size_t)h & mask;
    uint32_t h32 = (uint32_t)(h >> 32);
    while (t->ids[i].row1 &&
           (t->ids[i].hash != h32 || !str_ieq(t->rows[t->ids[i].row1 - 1].vm.id, id)))
        i = (i + 1) & mask;
    return i;
}

/* Puts row, whose id is in no slot, into the first free slot its stored hash leads to. */
static void id_place(struct vmtable *t, uint32_t row)
{
    size_t mask = t->ids_cap - 1;
    uint64_t h = t->rows[row].id_hash;
    size_t i = (size_t)h & mask;
    while (t->ids[i].row1)
        i = (i + 1) & mask;
    t->ids[i].row1 = row + 1;
    t->ids[i].hash = (uint32_t)(h >> 32);
}

/* Indexes row's id (not yet in the table). */
static void id_insert(struct vmtable *t, uint32_t row)
{
    t->rows[row].id_hash = id_hash(t->rows[row].vm.id);
    id_place(t, row);
}

/* Indexes every row again, from the hashes they keep (no id is read). No slots means no row
 * was ever added (vmtable_add reserves them first). */
static void ids_rebuild(struct vmtable *t)
{
    if (!t->ids)
        return;
    memset(t->ids, 0, t->ids_cap * sizeof(*t->ids));
    for (size_t r = 0; r < t->n; r++)
        if (t->rows[r].vm.id)
            id_place(t, (uint32_t)r);
}

static bool ids_reserve(struct vmtable *t, size_t n_rows)
{
    if (t->ids_cap >= 2 * (n_rows + 1))
        return true;
    size_t nc = t->ids_cap ? t->ids_cap : 128;
    while (nc < 2 * (n_rows + 1))
        nc *= 2;
    struct vt_id_slot *n = calloc(nc, sizeof(*n));
    if (!n)
        return false;
    free(t->ids);
    t->ids = n;
    t->ids_cap = nc;
    ids_rebuild(t);
    return true;
}

static long id_lookup(const struct vmtable *t, const char *id)
{
    if (!id || !t->ids_cap)
        return -1;
    size_t i = id_slot(t, id);
    return t->ids[i].row1 ? (long)t->ids[i].row1 - 1 : -1;
}

/* --- cells --------------------------------------------------------------------------------- */

static const char *last_segment(const char *s)
{
    const char *slash = strrchr(s, '/');
    return slash && slash[1] ? slash + 1 : s;
}

static void render_cell(const struct vmtable *t, const struct vm *vm, enum vmtable_column c,
                        char *out, size_t n)
{
    const char *dash = t->utf8 ? "\xe2\x80\x94" : "-";
    char raw[VMTABLE_CELL_MAX];
    const char *src = NULL;
    raw[0] = '\0';
    switch (c) {
    case VMCOL_NAME:
        src = vm->name;
        break;
    case VMCOL_GROUP:
        src = vm->resource_group;
        break;
    case VMCOL_LOCATION:
        if (vm->host_node)
            src = vm->host_node;
        else if (vm->custom_location)
            src = last_segment(vm->custom_location);
        break;
    case VMCOL_POWER:
        src = vm->power_text;
        break;
    case VMCOL_PROVISIONING:
        src = vm->provisioning_text;
        break;
    case VMCOL_SIZE: {
        char cpu[24], mem[32];
        if (vm->processors >= 0)
            snprintf(cpu, sizeof(cpu), "%ld", vm->processors);
        else
            snprintf(cpu, sizeof(cpu), "?");
        if (vm->memory_mb < 0)
            snprintf(mem, sizeof(mem), "?");
        else if (vm->memory_mb >= 1024 && vm->memory_mb % 1024 == 0)
            snprintf(mem, sizeof(mem), "%ld GB", vm->memory_mb / 1024);
        else
            snprintf(mem, sizeof(mem), "%ld MB", vm->memory_mb);
        if (vm->processors < 0 && vm->memory_mb < 0)
            snprintf(raw, sizeof(raw), "%s", dash);
        else
            snprintf(raw, sizeof(raw), "%s / %s", cpu, mem);
        src = raw;
        break;
    }
    case VMCOL_GPU:
        src = vm_gpu_summary(vm, t->utf8, raw, sizeof(raw));
        break;
    default:
        break;
    }
    if (!src || !*src)
        src = dash;
    text_sanitize(out, n, src);
}

/* Renders row r's cells and haystack into the arenas. */
static bool render_row(struct vmtable *t, uint32_t r)
{
    struct vt_row *row = &t->rows[r];
    char hay[VMTABLE_COLUMN_COUNT * VMTABLE_CELL_MAX];
    size_t hl = 0;
    for (int c = 0; c < VMTABLE_COLUMN_COUNT; c++) {
        char cell[VMTABLE_CELL_MAX];
        render_cell(t, &row->vm, (enum vmtable_column)c, cell, sizeof(cell));
        size_t len = strlen(cell);
        if (!arena_put(&t->cells, cell, len, &row->cell[c]))
            return false;
        size_t w = utf8_width(cell);
        if (w > t->col_width[c])
            t->col_width[c] = w;
        if (c > 0)
            hay[hl++] = '\x1f';
        for (size_t i = 0; i < len; i++) {
            hay[hl] = lower(cell[i]);
            t->freq[(unsigned char)hay[hl]]++;
            hl++;
        }
    }
    if (!grow((void **)&t->hent, &t->cap_hent, t->n_hent + 1, sizeof(*t->hent)))
        return false;
    if (!arena_put(&t->hay, hay, hl, &row->hay))
        return false;
    row->hay_len = (uint32_t)hl;
    t->hent[t->n_hent++] = (struct vt_hay_entry){.off = row->hay, .row = r};
    return true;
}

static const char *cell_of(const struct vmtable *t, uint32_t r, enum vmtable_column c)
{
    return t->cells.p + t->rows[r].cell[c];
}

/* --- filter -------------------------------------------------------------------------------- */

/* First occurrence of the filter in hay[0..len): memchr() on its rarest byte, then memcmp
 * (memmem is a GNU extension; this is as fast on short needles). */
static const char *find_filter(const struct vmtable *t, const char *hay, size_t len)
{
    size_t nl = t->filter_len, rare = t->rare;
    if (len < nl)
        return NULL;
    const char *p = hay + rare, *end = hay + len - (nl - 1 - rare);
    while (p < end) {
        const char *q = memchr(p, t->filter_lc[rare], (size_t)(end - p));
        if (!q)
            return NULL;
        if (memcmp(q - rare, t->filter_lc, nl) == 0)
            return q - rare;
        p = q + 1;
    }
    return NULL;
}

static bool row_matches(const struct vmtable *t, uint32_t r)
{
    if (!t->filter_len)
        return true;
    const struct vt_row *row = &t->rows[r];
    return find_filter(t, t->hay.p + row->hay, row->hay_len) != NULL;
}

/* After the view changed: the groups it shows (none when not grouped). */
static void count_groups(struct vmtable *t)
{
    t->n_groups = 0;
    for (size_t i = 0; t->grouped && i < t->n_view; i++)
        t->n_groups += vmtable_group_starts(t, i);
}

/* view = the rows of perm that match. */
static void rebuild_view(struct vmtable *t)
{
    if (!t->filter_len) {
        memcpy(t->view, t->perm, t->n * sizeof(*t->view));
        t->n_view = t->n;
    } else {
        size_t k = 0;
        for (size_t i = 0; i < t->n; i++)
            if (t->match[t->perm[i]])
                t->view[k++] = t->perm[i];
        t->n_view = k;
    }
    count_groups(t);
}

/* Marks every row against the filter with one pass over the haystack arena. */
static void match_all(struct vmtable *t)
{
    if (!t->filter_len) {
        memset(t->match, 1, t->n);
        return;
    }
    memset(t->match, 0, t->n);
    /* Hits come in arena order, so the entry holding each one is found by walking on. */
    size_t pos = 0, e = 0;
    while (pos < t->hay.len && e < t->n_hent) {
        const char *hit = find_filter(t, t->hay.p + pos, t->hay.len - pos);
        if (!hit)
            break;
        size_t m = (size_t)(hit - t->hay.p);
        while (e + 1 < t->n_hent && t->hent[e + 1].off <= m)
            e++;
        const struct vt_hay_entry *he = &t->hent[e];
        if (he->off <= m && t->rows[he->row].hay == he->off) /* else a replaced haystack */
            t->match[he->row] = 1;
        e++;
        pos = e < t->n_hent ? t->hent[e].off : t->hay.len;
    }
}

enum gp_status vmtable_set_filter(struct vmtable *t, const char *text)
{
    char f[VMTABLE_FILTER_MAX], lc[VMTABLE_FILTER_MAX];
    size_t n = 0;
    for (const char *p = text ? text : ""; *p && n + 1 < sizeof(f); p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c == 0x7f)
            continue;
        f[n] = (char)c;
        lc[n] = lower((char)c);
        n++;
    }
    f[n] = lc[n] = '\0';
    bool narrows = t->filter_len && n >= t->filter_len && strstr(lc, t->filter_lc) != NULL;
    bool same = n == t->filter_len && strcmp(lc, t->filter_lc) == 0;
    memcpy(t->filter, f, n + 1);
    memcpy(t->filter_lc, lc, n + 1);
    t->filter_len = n;
    t->rare = 0;
    for (size_t i = 1; i < n; i++)
        if (t->freq[(unsigned char)lc[i]] < t->freq[(unsigned char)lc[t->rare]])
            t->rare = i;
    if (same)
        return GP_OK;
    /* Re-testing the rows shown pays when they are few; one pass over the arena is cheaper
     * than a call per row otherwise. */
    if (narrows && t->n_view < t->n / 8) {
        size_t k = 0;
        for (size_t i = 0; i < t->n_view; i++) {
            uint32_t r = t->view[i];
            t->match[r] = row_matches(t, r) ? 1 : 0;
            if (t->match[r])
                t->view[k++] = r;
        }
        t->n_view = k;
        count_groups(t);
        return GP_OK;
    }
    match_all(t);
    rebuild_view(t);
    return GP_OK;
}

const char *vmtable_filter(const struct vmtable *t)
{
    return t->filter;
}

/* --- sort ---------------------------------------------------------------------------------- */

/* Case-insensitive, runs of digits compared as numbers. */
static int natural_cmp(const char *a, const char *b)
{
    for (;;) {
        unsigned char ca = (unsigned char)*a, cb = (unsigned char)*b;
        if (ca >= '0' && ca <= '9' && cb >= '0' && cb <= '9') {
            while (*a == '0')
                a++;
            while (*b == '0')
                b++;
            size_t la = 0, lb = 0;
            while (a[la] >= '0' && a[la] <= '9')
                la++;
            while (b[lb] >= '0' && b[lb] <= '9')
                lb++;
            if (la != lb)
                return la < lb ? -1 : 1;
            int c = memcmp(a, b, la);
            if (c)
                return c < 0 ? -1 : 1;
            a += la;
            b += lb;
            continue;
        }
        ca = (unsigned char)lower((char)ca);
        cb = (unsigned char)lower((char)cb);
        if (ca != cb)
            return ca < cb ? -1 : 1;
        if (!ca)
            return 0;
        a++;
        b++;
    }
}

static int cmp_long(long a, long b)
{
    return a < b ? -1 : a > b ? 1 : 0;
}

/* The first 8 bytes, big-endian, of a string whose byte order is natural_cmp's order:
 * letters lower-cased, each run of digits as 0x30 (it sorts against other characters as any
 * digit does), 1 + its length without leading zeros, then the digits. Two rows whose keys
 * differ compare as their keys; equal keys whose last byte is 0 hold the whole (equal) text;
 * other equal keys fall back to natural_cmp. The sort then touches the cell
 * arena only for long common prefixes. vCPU / memory use the numbers themselves. */
static uint64_t sort_key(const struct vmtable *t, uint32_t r, enum vmtable_column col)
{
    const struct vm *vm = &t->rows[r].vm;
    if (col == VMCOL_SIZE) {
        uint64_t cpu = vm->processors < 0 ? 0 : (uint64_t)vm->processors + 1;
        uint64_t mem = vm->memory_mb < 0 ? 0 : (uint64_t)vm->memory_mb + 1;
        return (cpu > 0xffffffu ? 0xffffffu : cpu) << 40 |
               (mem > 0xffffffffffu ? 0xffffffffffu : mem);
    }
    const char *p = cell_of(t, r, col);
    unsigned char out[8];
    size_t k = 0;
    while (*p && k < sizeof(out)) {
        if (*p >= '0' && *p <= '9') {
            while (*p == '0')
                p++;
            size_t len = 0;
            while (p[len] >= '0' && p[len] <= '9')
                len++;
            out[k++] = 0x30;
            if (k < sizeof(out))
                out[k++] = (unsigned char)(len > 254 ? 255 : len + 1); /* never 0 */
            for (size_t i = 0; i < len && k < sizeof(out); i++)
                out[k++] = (unsigned char)p[i];
            p += len;
        } else {
            out[k++] = (unsigned char)lower(*p++);
        }
    }
    uint64_t key = 0;
    for (size_t i = 0; i < sizeof(out); i++)
        key = key << 8 | (i < k ? out[i] : 0u);
    return key;
}

/* Resource groups in ascending natural order, whatever the sort direction. */
static int cmp_groups(const struct vmtable *t, uint32_t a, uint32_t b)
{
    uint64_t ka = t->gkey[a], kb = t->gkey[b];
    if (ka != kb)
        return ka < kb ? -1 : 1;
    return (ka & 0xffu) != 0 ? natural_cmp(cell_of(t, a, VMCOL_GROUP), cell_of(t, b, VMCOL_GROUP))
                             : 0;
}

static int cmp_rows(const struct vmtable *t, uint32_t a, uint32_t b)
{
    if (t->grouped) {
        int g = cmp_groups(t, a, b);
        if (g)
            return g;
    }
    int c = 0;
    uint64_t ka = t->skey[a], kb = t->skey[b];
    if (ka != kb) {
        c = ka < kb ? -1 : 1;
    } else if (t->sort_col == VMCOL_SIZE) {
        /* Equal keys are equal numbers unless one was clamped (absurd sizes). */
        if ((ka >> 40) == 0xffffffu || (ka & 0xffffffffffu) == 0xffffffffffu) {
            const struct vm *va = &t->rows[a].vm, *vb = &t->rows[b].vm;
            c = cmp_long(va->processors, vb->processors);
            if (!c)
                c = cmp_long(va->memory_mb, vb->memory_mb);
        }
    } else if ((ka & 0xffu) != 0) {
        c = natural_cmp(cell_of(t, a, t->sort_col), cell_of(t, b, t->sort_col));
    }
    if (t->desc)
        c = -c;
    if (!c)
        c = a < b ? -1 : a > b ? 1 : 0;
    return c;
}

/* Stable bottom-up merge sort of a[0..n) using tmp[0..n). */
static void sort_rows(const struct vmtable *t, uint32_t *a, uint32_t *tmp, size_t n)
{
    uint32_t *src = a, *dst = tmp;
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                dst[k++] = cmp_rows(t, src[j], src[i]) < 0 ? src[j++] : src[i++];
            while (i < mid)
                dst[k++] = src[i++];
            while (j < hi)
                dst[k++] = src[j++];
        }
        uint32_t *s = src;
        src = dst;
        dst = s;
    }
    if (src != a)
        memcpy(a, src, n * sizeof(*a));
}

enum gp_status vmtable_set_sort(struct vmtable *t, enum vmtable_column col, bool desc)
{
    if (col < 0 || col >= VMTABLE_COLUMN_COUNT)
        return GP_E_INVALID;
    t->sort_col = col;
    t->desc = desc;
    for (size_t r = 0; r < t->n; r++)
        t->skey[r] = sort_key(t, (uint32_t)r, col);
    if (t->n) {
        sort_rows(t, t->perm, t->tmp, t->n);
        rebuild_view(t);
    }
    return GP_OK;
}

enum vmtable_column vmtable_sort_column(const struct vmtable *t)
{
    return t->sort_col;
}

bool vmtable_sort_desc(const struct vmtable *t)
{
    return t->desc;
}

void vmtable_set_grouped(struct vmtable *t, bool grouped)
{
    if (grouped == t->grouped)
        return;
    t->grouped = grouped;
    if (t->n) {
        sort_rows(t, t->perm, t->tmp, t->n);
        rebuild_view(t);
    }
}

bool vmtable_grouped(const struct vmtable *t)
{
    return t->grouped;
}

bool vmtable_group_starts(const struct vmtable *t, size_t view_i)
{
    if (!t->grouped || view_i >= t->n_view)
        return false;
    return view_i == 0 || cmp_groups(t, t->view[view_i - 1], t->view[view_i]) != 0;
}

size_t vmtable_group_count(const struct vmtable *t)
{
    return t->grouped ? t->n_groups : 0;
}

/* --- adding -------------------------------------------------------------------------------- */

/* Puts the k rows of batch (already rendered and marked touched) into perm and view. */
static void place_batch(struct vmtable *t, size_t n_old, size_t k, bool replaced)
{
    size_t m = n_old;
    if (replaced) {
        size_t w = 0;
        for (size_t i = 0; i < n_old; i++)
            if (!t->rows[t->perm[i]].touched)
                t->perm[w++] = t->perm[i];
        m = w;
    }
    for (size_t i = 0; i < k; i++) {
        uint32_t r = t->batch[i];
        t->rows[r].touched = false;
        t->skey[r] = sort_key(t, r, t->sort_col);
        t->gkey[r] = sort_key(t, r, VMCOL_GROUP);
        t->match[r] = row_matches(t, r) ? 1 : 0;
    }
    /* tmp is scratch for the sort, then receives the merge. Each new row finds its place by
     * binary search, so a page costs k log n comparisons plus copying, not n comparisons. */
    sort_rows(t, t->batch, t->tmp, k);
    size_t i = 0, o = 0;
    for (size_t j = 0; j < k; j++) {
        uint32_t b = t->batch[j];
        size_t lo = i, hi = m; /* first perm[x] in [i, m) that sorts after b */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (cmp_rows(t, t->perm[mid], b) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        memcpy(t->tmp + o, t->perm + i, (lo - i) * sizeof(*t->tmp));
        o += lo - i;
        i = lo;
        t->tmp[o++] = b;
    }
    memcpy(t->tmp + o, t->perm + i, (m - i) * sizeof(*t->tmp));
    uint32_t *p = t->perm;
    t->perm = t->tmp;
    t->tmp = p;
    rebuild_view(t);
}

enum gp_status vmtable_add(struct vmtable *t, struct vm *vms, size_t n, struct gp_error *err)
{
    if (n == 0)
        return GP_OK;
    if (t->n + n > VMTABLE_MAX_ROWS)
        return gp_error_set(err, GP_E_TOO_LARGE, "more than %u VMs", VMTABLE_MAX_ROWS);
    if (!reserve_rows(t, t->n + n) || !ids_reserve(t, t->n + n))
        return gp_error_set(err, GP_E_NOMEM, "out of memory for %zu VMs", t->n + n);
    size_t n_old = t->n, k = 0;
    bool replaced = false;
    enum gp_status st = GP_OK;
    for (size_t i = 0; i < n; i++) {
        long existing = id_lookup(t, vms[i].id);
        uint32_t r;
        if (existing >= 0) {
            r = (uint32_t)existing;
            vm_cleanup(&t->rows[r].vm);
            if ((size_t)r < n_old)
                replaced = true;
        } else {
            r = (uint32_t)t->n++;
            memset(&t->rows[r], 0, sizeof(t->rows[r]));
        }
        t->rows[r].vm = vms[i];
        vm_init(&vms[i]);
        if (t->rows[r].gen != t->gen || existing < 0) {
            t->rows[r].gen = t->gen;
            t->n_seen++;
        }
        if (existing < 0 && t->rows[r].vm.id)
            id_insert(t, r);
        if (!t->rows[r].touched) {
            t->rows[r].touched = true;
            t->batch[k++] = r;
        }
        if (!render_row(t, r)) {
            /* Keep the row with empty cells so every row stays drawable. */
            for (int c = 0; c < VMTABLE_COLUMN_COUNT; c++)
                t->rows[r].cell[c] = 0;
            t->rows[r].hay = 0;
            t->rows[r].hay_len = 0;
            st = gp_error_set(err, GP_E_NOMEM, "out of memory for VM display cells");
            break;
        }
    }
    place_batch(t, n_old, k, replaced);
    return st;
}

/* --- refresh ------------------------------------------------------------------------------- */

void vmtable_refresh_begin(struct vmtable *t)
{
    t->gen++;
    t->n_seen = 0;
}

size_t vmtable_refresh_seen(const struct vmtable *t)
{
    return t->n_seen;
}

/* Moves the text at off in `from` (NUL-terminated, len bytes before the NUL) to the end of
 * `to`, which has room for it. Returns its new offset. */
static uint32_t arena_move(struct vt_arena *to, const struct vt_arena *from, uint32_t off,
                           size_t len)
{
    uint32_t at = (uint32_t)to->len;
    memcpy(to->p + to->len, from->p + off, len + 1);
    to->len += len + 1;
    return at;
}

/* The arena given back the room it does not use (kept as it is if realloc says no). */
static struct vt_arena arena_fit(struct vt_arena a)
{
    char *p = realloc(a.p, a.len);
    if (p) {
        a.p = p;
        a.cap = a.len;
    }
    return a;
}

/* Kept rows move down in arrival order, their text copied as it is into new arenas (nothing is
 * rendered again); the sort order survives the renumbering, since rows that sort equal sort by
 * index and the kept rows keep their relative order. */
enum gp_status vmtable_refresh_end(struct vmtable *t, size_t *out_dropped, struct gp_error *err)
{
    *out_dropped = 0;
    size_t keep = 0;
    for (size_t i = 0; i < t->n; i++)
        if (t->rows[i].gen == t->gen)
            keep++;
    /* The old arenas' lengths bound the new ones: allocate first, so that running out of
     * memory leaves the table as it was. */
    struct vt_arena cells = {.p = malloc(t->cells.len ? t->cells.len : 1), .cap = t->cells.len};
    struct vt_arena hay = {.p = malloc(t->hay.len ? t->hay.len : 1), .cap = t->hay.len};
    struct vt_hay_entry *hent = malloc((keep ? keep : 1) * sizeof(*hent));
    if (!cells.p || !hay.p || !hent) {
        free(cells.p);
        free(hay.p);
        free(hent);
        return gp_error_set(err, GP_E_NOMEM, "out of memory for %zu VMs", keep);
    }
    cells.p[0] = hay.p[0] = '\0'; /* offset 0: "" (see vmtable_new) */
    cells.len = hay.len = 1;
    memset(t->freq, 0, sizeof(t->freq));
    memset(t->col_width, 0, sizeof(t->col_width));
    uint32_t *remap = t->batch; /* old row -> new row; UINT32_MAX: dropped */
    size_t w = 0;
    for (size_t i = 0; i < t->n; i++) {
        struct vt_row *row = &t->rows[i];
        if (row->gen != t->gen) {
            vm_cleanup(&row->vm);
            remap[i] = UINT32_MAX;
            continue;
        }
        for (int c = 0; c < VMTABLE_COLUMN_COUNT; c++) {
            const char *cell = t->cells.p + row->cell[c];
            row->cell[c] = arena_move(&cells, &t->cells, row->cell[c], strlen(cell));
            size_t width = utf8_width(cells.p + row->cell[c]);
            if (width > t->col_width[c])
                t->col_width[c] = width;
        }
        const unsigned char *h = (const unsigned char *)t->hay.p + row->hay;
        for (size_t k = 0; k < row->hay_len; k++)
            t->freq[h[k]]++;
        row->hay = arena_move(&hay, &t->hay, row->hay, row->hay_len);
        hent[w] = (struct vt_hay_entry){.off = row->hay, .row = (uint32_t)w};
        t->rows[w] = *row;
        t->skey[w] = t->skey[i];
        t->gkey[w] = t->gkey[i];
        t->match[w] = t->match[i];
        remap[i] = (uint32_t)w++;
    }
    size_t k = 0;
    for (size_t i = 0; i < t->n; i++)
        if (remap[t->perm[i]] != UINT32_MAX)
            t->perm[k++] = remap[t->perm[i]];
    *out_dropped = t->n - keep;
    t->n = keep;
    free(t->cells.p);
    free(t->hay.p);
    free(t->hent);
    t->cells = arena_fit(cells);
    t->hay = arena_fit(hay);
    t->hent = hent;
    t->cap_hent = keep ? keep : 1;
    t->n_hent = keep;
    ids_rebuild(t);
    rebuild_view(t);
    return GP_OK;
}

/* --- access -------------------------------------------------------------------------------- */

size_t vmtable_count(const struct vmtable *t)
{
    return t->n;
}

size_t vmtable_visible(const struct vmtable *t)
{
    return t->n_view;
}

const struct vm *vmtable_vm(const struct vmtable *t, size_t view_i)
{
    return view_i < t->n_view ? &t->rows[t->view[view_i]].vm : NULL;
}

const char *vmtable_cell(const struct vmtable *t, size_t view_i, enum vmtable_column col)
{
    if (view_i >= t->n_view || col < 0 || col >= VMTABLE_COLUMN_COUNT)
        return "";
    return cell_of(t, t->view[view_i], col);
}

size_t vmtable_col_width(const struct vmtable *t, enum vmtable_column col)
{
    return col >= 0 && col < VMTABLE_COLUMN_COUNT ? t->col_width[col] : 0;
}

const char *vmtable_col_title(enum vmtable_column col)
{
    return col >= 0 && col < VMTABLE_COLUMN_COUNT ? col_titles[col] : "";
}

const char *vmtable_col_short_title(enum vmtable_column col)
{
    return col >= 0 && col < VMTABLE_COLUMN_COUNT ? col_short[col] : "";
}

const struct vm *vmtable_row(const struct vmtable *t, size_t i)
{
    return i < t->n ? &t->rows[i].vm : NULL;
}

const struct vm *vmtable_get(const struct vmtable *t, const char *id)
{
    long r = id_lookup(t, id);
    return r >= 0 ? &t->rows[r].vm : NULL;
}

bool vmtable_find(const struct vmtable *t, const char *id, size_t *out_view_i)
{
    long r = id_lookup(t, id);
    if (r < 0 || !t->match[r])
        return false;
    for (size_t i = 0; i < t->n_view; i++) {
        if (t->view[i] == (uint32_t)r) {
            if (out_view_i)
                *out_view_i = i;
            return true;
        }
    }
    return false;
}
