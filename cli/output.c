/* SPDX-License-Identifier: MIT
 * cli/output.c: table, json and tsv writers for VMs. Tables are measured first (display
 * columns, not bytes), then the widest flexible columns are cut with an ellipsis until the
 * table fits CLI_TABLE_WIDTH. Every string from the server goes through text_sanitize. */
#include "cli/output.h"

#include <langinfo.h>
#include <stdlib.h>
#include <string.h>

#include "model/buf.h"
#include "model/text.h"

enum cli_format cli_output_resolve(enum cli_format requested, bool out_is_tty)
{
    switch (requested) {
    case CLI_FORMAT_TABLE:
    case CLI_FORMAT_JSON:
    case CLI_FORMAT_TSV:
        return requested;
    case CLI_FORMAT_DEFAULT:
    default:
        return out_is_tty ? CLI_FORMAT_TABLE : CLI_FORMAT_JSON;
    }
}

bool cli_output_locale_utf8(void)
{
    const char *cs = nl_langinfo(CODESET);
    return cs && (str_ieq(cs, "UTF-8") || str_ieq(cs, "utf8"));
}

size_t cli_output_text_width(const char *s)
{
    size_t w = 0;
    for (; s && *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            w++;
    return w;
}

/* --- table ------------------------------------------------------------------------------- */

enum col { COL_NAME, COL_RG, COL_POWER, COL_CPU, COL_MEMORY, COL_GPU, COL_HOST, COL_COUNT };

static const struct {
    const char *header;
    bool right;        /* numbers are right-aligned */
    size_t min;        /* a flexible column is never cut below this; 0: never cut */
    int cut_order;     /* flexible columns with a lower order are cut first */
} cols[COL_COUNT] = {
    [COL_NAME] = {"NAME", false, 12, 1},
    [COL_RG] = {"RESOURCE GROUP", false, 8, 2},
    [COL_POWER] = {"POWER", false, 0, 0},
    [COL_CPU] = {"CPU", true, 0, 0},
    [COL_MEMORY] = {"MEMORY", true, 0, 0},
    [COL_GPU] = {"GPU", false, 9, 3},
    [COL_HOST] = {"HOST", false, 8, 1},
};

#define CELL_MAX 256

struct row {
    char cell[COL_COUNT][CELL_MAX];
};

static void memory_text(long mb, char *buf, size_t n)
{
    if (mb < 0)
        (void)text_copy(buf, n, "");
    else if (mb >= 1024 && mb % 1024 == 0)
        (void)snprintf(buf, n, "%ld GB", mb / 1024);
    else
        (void)snprintf(buf, n, "%ld MB", mb);
}

static void row_fill(struct row *r, const struct vm *vm, bool utf8)
{
    char gpu[CELL_MAX];
    const char *power = vm->power_text ? vm->power_text : power_state_name(vm->power);
    (void)text_sanitize(r->cell[COL_NAME], CELL_MAX, vm->name ? vm->name : "");
    (void)text_sanitize(r->cell[COL_RG], CELL_MAX, vm->resource_group ? vm->resource_group : "");
    (void)text_sanitize(r->cell[COL_POWER], CELL_MAX, power);
    if (vm->processors >= 0)
        (void)snprintf(r->cell[COL_CPU], CELL_MAX, "%ld", vm->processors);
    else
        r->cell[COL_CPU][0] = '\0';
    memory_text(vm->memory_mb, r->cell[COL_MEMORY], CELL_MAX);
    (void)text_sanitize(r->cell[COL_GPU], CELL_MAX, vm_gpu_summary(vm, utf8, gpu, sizeof(gpu)));
    (void)text_sanitize(r->cell[COL_HOST], CELL_MAX, vm->host_node ? vm->host_node : "");
}

/* Writes s in exactly width columns: cut with an ellipsis when longer, padded when shorter
 * (no padding after the last column). */
static void put_cell(FILE *out, const char *s, size_t width, bool right, bool last, bool utf8)
{
    size_t w = cli_output_text_width(s);
    if (w > width) {
        /* Keep width-1 characters, then the ellipsis. */
        size_t keep = width ? width - 1 : 0, chars = 0;
        const char *p = s;
        while (*p) {
            if (((unsigned char)*p & 0xC0) != 0x80) {
                if (chars == keep)
                    break;
                chars++;
            }
            p++;
        }
        fwrite(s, 1, (size_t)(p - s), out);
        fputs(utf8 ? "\u2026" : "~", out);
        return;
    }
    if (right)
        fprintf(out, "%*s%s", (int)(width - w), "", s);
    else if (last)
        fputs(s, out);
    else
        fprintf(out, "%s%*s", s, (int)(width - w), "");
}

static void table_widths(const struct row *rows, size_t n, size_t width[COL_COUNT])
{
    for (int c = 0; c < COL_COUNT; c++) {
        width[c] = strlen(cols[c].header);
        for (size_t i = 0; i < n; i++) {
            size_t w = cli_output_text_width(rows[i].cell[c]);
            if (w > width[c])
                width[c] = w;
        }
    }
    for (;;) {
        size_t total = 2 * (COL_COUNT - 1);
        for (int c = 0; c < COL_COUNT; c++)
            total += width[c];
        if (total <= CLI_TABLE_WIDTH)
            return;
        /* Cut by one the widest column of the first cut order that may still shrink. */
        int widest = -1;
        for (int order = 1; order <= 3 && widest < 0; order++)
            for (int c = 0; c < COL_COUNT; c++)
                if (cols[c].cut_order == order && width[c] > cols[c].min &&
                    (widest < 0 || width[c] > width[widest]))
                    widest = c;
        if (widest < 0)
            return; /* cannot fit: every flexible column is at its minimum */
        width[widest]--;
    }
}

static enum gp_status write_table(FILE *out, bool utf8, const struct vm *vms, size_t n)
{
    struct row *rows = calloc(n ? n : 1, sizeof(*rows));
    if (!rows)
        return GP_E_NOMEM;
    for (size_t i = 0; i < n; i++)
        row_fill(&rows[i], &vms[i], utf8);
    size_t width[COL_COUNT];
    table_widths(rows, n, width);
    for (int c = 0; c < COL_COUNT; c++) {
        if (c)
            fputs("  ", out);
        put_cell(out, cols[c].header, width[c], cols[c].right, c == COL_COUNT - 1, utf8);
    }
    fputc('\n', out);
    for (size_t i = 0; i < n; i++) {
        for (int c = 0; c < COL_COUNT; c++) {
            if (c)
                fputs("  ", out);
            put_cell(out, rows[i].cell[c], width[c], cols[c].right, c == COL_COUNT - 1, utf8);
        }
        fputc('\n', out);
    }
    free(rows);
    return ferror(out) ? GP_E_IO : GP_OK;
}

/* --- tsv --------------------------------------------------------------------------------- */

static void write_tsv_row(FILE *out, const struct vm *vm)
{
    char a[CELL_MAX], gpu[CELL_MAX];
    const char *power = vm->power_text ? vm->power_text : power_state_name(vm->power);
    const char *prov = vm->provisioning_text ? vm->provisioning_text
                                             : provisioning_state_name(vm->provisioning);
    fprintf(out, "%s\t", text_sanitize(a, sizeof(a), vm->name ? vm->name : ""));
    fprintf(out, "%s\t", text_sanitize(a, sizeof(a), vm->resource_group ? vm->resource_group : ""));
    fprintf(out, "%s\t", text_sanitize(a, sizeof(a), power));
    fprintf(out, "%s\t", text_sanitize(a, sizeof(a), prov));
    if (vm->processors >= 0)
        fprintf(out, "%ld", vm->processors);
    fputc('\t', out);
    if (vm->memory_mb >= 0)
        fprintf(out, "%ld", vm->memory_mb);
    fputc('\t', out);
    if (vm->n_gpus)
        fputs(text_sanitize(a, sizeof(a), vm_gpu_summary(vm, false, gpu, sizeof(gpu))), out);
    fputc('\t', out);
    fprintf(out, "%s\n", text_sanitize(a, sizeof(a), vm->host_node ? vm->host_node : ""));
}

/* --- json -------------------------------------------------------------------------------- */

enum gp_status cli_output_append_json_string(struct gp_buf *b, const char *s)
{
    GP_TRY(gp_buf_append_str(b, "\""));
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            GP_TRY(gp_buf_printf(b, "\\%c", *p));
        else if (*p < 0x20 || *p == 0x7f)
            GP_TRY(gp_buf_printf(b, "\\u%04x", *p));
        else
            GP_TRY(gp_buf_append(b, p, 1));
    }
    return gp_buf_append_str(b, "\"");
}

enum gp_status cli_output_vm_json(const struct vm *vm, char **out_json)
{
    *out_json = NULL;
    char *base = NULL;
    GP_TRY(vm_to_json(vm, &base));
    size_t len = strlen(base);
    if (!vm->resource_group || len < 2 || base[len - 1] != '}') {
        *out_json = base;
        return GP_OK;
    }
    struct gp_buf b;
    gp_buf_init(&b, VM_JSON_MAX_BYTES + 1024);
    enum gp_status st = gp_buf_append(&b, base, len - 1);
    if (st == GP_OK)
        st = gp_buf_append_str(&b, len > 2 ? ",\"resourceGroup\":" : "\"resourceGroup\":");
    if (st == GP_OK)
        st = cli_output_append_json_string(&b, vm->resource_group);
    if (st == GP_OK)
        st = gp_buf_append_str(&b, "}");
    free(base);
    if (st != GP_OK) {
        gp_buf_cleanup(&b);
        return st;
    }
    *out_json = gp_buf_take(&b, NULL);
    return *out_json ? GP_OK : GP_E_NOMEM;
}

static void newline_indent(FILE *out, int depth)
{
    fputc('\n', out);
    for (int i = 0; i < depth; i++)
        fputs("  ", out);
}

enum gp_status cli_output_json_pretty(FILE *out, const char *json, int depth)
{
    bool in_string = false;
    for (const char *p = json; *p; p++) {
        char ch = *p;
        if (in_string) {
            fputc(ch, out);
            if (ch == '\\' && p[1]) {
                fputc(*++p, out);
            } else if (ch == '"') {
                in_string = false;
            }
            continue;
        }
        switch (ch) {
        case '"':
            in_string = true;
            fputc(ch, out);
            break;
        case '{':
        case '[':
            fputc(ch, out);
            if (p[1] == (ch == '{' ? '}' : ']')) {
                fputc(*++p, out);
                break;
            }
            newline_indent(out, ++depth);
            break;
        case '}':
        case ']':
            newline_indent(out, --depth);
            fputc(ch, out);
            break;
        case ',':
            fputc(ch, out);
            newline_indent(out, depth);
            break;
        case ':':
            fputs(": ", out);
            break;
        case ' ':
        case '\t':
        case '\n':
        case '\r':
            break;
        default:
            fputc(ch, out);
            break;
        }
    }
    return ferror(out) ? GP_E_IO : GP_OK;
}

static enum gp_status write_vm_json(FILE *out, const struct vm *vm, int depth)
{
    char *json = NULL;
    GP_TRY(cli_output_vm_json(vm, &json));
    enum gp_status st = cli_output_json_pretty(out, json, depth);
    free(json);
    return st;
}

/* --- entry points ------------------------------------------------------------------------- */

enum gp_status cli_output_vms(FILE *out, enum cli_format format, bool utf8, const struct vm *vms,
                              size_t n)
{
    switch (format) {
    case CLI_FORMAT_TABLE:
        return write_table(out, utf8, vms, n);
    case CLI_FORMAT_TSV:
        for (size_t i = 0; i < n; i++)
            write_tsv_row(out, &vms[i]);
        return ferror(out) ? GP_E_IO : GP_OK;
    case CLI_FORMAT_JSON:
    case CLI_FORMAT_DEFAULT:
    default:
        /* Streamed one VM at a time: memory stays bounded for large fleets. */
        if (!n) {
            fputs("[]\n", out);
            return ferror(out) ? GP_E_IO : GP_OK;
        }
        fputs("[", out);
        for (size_t i = 0; i < n; i++) {
            newline_indent(out, 1);
            GP_TRY(write_vm_json(out, &vms[i], 1));
            if (i + 1 < n)
                fputc(',', out);
        }
        fputs("\n]\n", out);
        return ferror(out) ? GP_E_IO : GP_OK;
    }
}

enum gp_status cli_output_vm(FILE *out, enum cli_format format, bool utf8, const struct vm *vm)
{
    switch (format) {
    case CLI_FORMAT_TABLE:
    case CLI_FORMAT_TSV:
        return cli_output_vms(out, format, utf8, vm, 1);
    case CLI_FORMAT_JSON:
    case CLI_FORMAT_DEFAULT:
    default:
        GP_TRY(write_vm_json(out, vm, 0));
        fputc('\n', out);
        return ferror(out) ? GP_E_IO : GP_OK;
    }
}
