/* SPDX-License-Identifier: MIT
 * model/vmtable.h: the rows of the Virtual machines list (product.md 2.1.1), built for 100,000
 * VMs: each row keeps its struct vm and its display cells (sanitized once, in one arena), a
 * case-insensitive substring filter over all columns (a filter that extends the previous one
 * scans only the rows still shown), a stable sort by any column, rows appended page by page
 * keeping filter and sort, and lookup by resource id. Pure: no I/O, no clock, no curses.
 *
 * Positions ("view index") count the rows shown, in display order, 0..vmtable_visible()-1.
 * Pointers returned stay valid until the next vmtable_add / vmtable_clear / vmtable_free. */
#ifndef GPUP_MODEL_VMTABLE_H
#define GPUP_MODEL_VMTABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "model/status.h"
#include "model/vm.h"

/* id, column title, short title (for a narrow column). The order is the display order and
 * the sort keys 1..7. */
#define VMTABLE_COLUMNS(X)                                                                     \
    X(VMCOL_NAME, "Name", "Name")                                                              \
    X(VMCOL_GROUP, "Resource group", "Group")                                                  \
    X(VMCOL_LOCATION, "Location / host", "Host")                                               \
    X(VMCOL_POWER, "Power", "Power")                                                           \
    X(VMCOL_PROVISIONING, "Provisioning", "Prov.")                                             \
    X(VMCOL_SIZE, "vCPU / memory", "vCPU/mem")                                                 \
    X(VMCOL_GPU, "GPU", "GPU")

#define VMTABLE_COL_ENUM_(id, title, short_title) id,
enum vmtable_column { VMTABLE_COLUMNS(VMTABLE_COL_ENUM_) VMTABLE_COLUMN_COUNT };
#undef VMTABLE_COL_ENUM_

#define VMTABLE_FILTER_MAX 128 /* bytes of filter text kept */
#define VMTABLE_CELL_MAX 256   /* bytes of one display cell (longer text is cut) */
#define VMTABLE_MAX_ROWS 1000000u

struct vmtable;

/* A new, empty table. utf8 selects "—" or "-" for missing values and the GPU summary style.
 * Returns NULL when out of memory. */
struct vmtable *vmtable_new(bool utf8);
/* NULL is a no-op. */
void vmtable_free(struct vmtable *t);
/* Drops every row (filter and sort stay). */
void vmtable_clear(struct vmtable *t);

/* Adds n VMs, taking what they own: each vms[i] is left empty (vm_init). A VM whose id is
 * already in the table replaces that row (a refresh). Filter and sort apply to the new rows.
 * GP_E_NOMEM (the table keeps the rows added before), GP_E_TOO_LARGE past VMTABLE_MAX_ROWS. */
GP_NODISCARD enum gp_status vmtable_add(struct vmtable *t, struct vm *vms, size_t n,
                                        struct gp_error *err);

/* A refresh keeps the rows on show while the new list arrives: after refresh_begin, rows added
 * replace theirs in place (or are new), and refresh_end drops the rows the refresh did not
 * bring (VMs deleted meanwhile) and compacts the display arenas the replaced rows left behind
 * (copying text, re-rendering nothing: about 20 ms for 100,000 rows, see make bench).
 * A refresh that fails or is canceled simply never calls refresh_end: every row stays.
 * refresh_end returns GP_E_NOMEM with the table unchanged; *out_dropped counts dropped rows. */
void vmtable_refresh_begin(struct vmtable *t);
/* Rows the refresh under way has brought so far (its rows, not every row held). */
size_t vmtable_refresh_seen(const struct vmtable *t);
GP_NODISCARD enum gp_status vmtable_refresh_end(struct vmtable *t, size_t *out_dropped,
                                                struct gp_error *err);

/* Rows held / rows shown by the filter. */
size_t vmtable_count(const struct vmtable *t);
size_t vmtable_visible(const struct vmtable *t);

/* The VM and its display cell at a view index (NULL / "" when out of range). */
const struct vm *vmtable_vm(const struct vmtable *t, size_t view_i);
const char *vmtable_cell(const struct vmtable *t, size_t view_i, enum vmtable_column col);
/* Widest cell of a column over all rows held, in characters (UTF-8 aware; the title is not
 * counted). 0 when empty. */
size_t vmtable_col_width(const struct vmtable *t, enum vmtable_column col);
const char *vmtable_col_title(enum vmtable_column col);
const char *vmtable_col_short_title(enum vmtable_column col);

/* Every row held, filter or not, in arrival order (i < vmtable_count). NULL past the end. */
const struct vm *vmtable_row(const struct vmtable *t, size_t i);

/* The VM with this resource id (ASCII case-insensitive, as ARM ids are), or NULL. */
const struct vm *vmtable_get(const struct vmtable *t, const char *id);
/* Its view index, when the filter shows it. */
bool vmtable_find(const struct vmtable *t, const char *id, size_t *out_view_i);

/* Sets the filter (NULL or "" shows every row). Case-insensitive for ASCII letters; control
 * characters in text are ignored. GP_E_NOMEM leaves the previous view. */
GP_NODISCARD enum gp_status vmtable_set_filter(struct vmtable *t, const char *text);
const char *vmtable_filter(const struct vmtable *t);

/* Sorts by col (stable: ties keep arrival order), descending when desc. Names sort
 * naturally ("vm-2" before "vm-10"), vCPU / memory by numbers. GP_E_NOMEM keeps the order. */
GP_NODISCARD enum gp_status vmtable_set_sort(struct vmtable *t, enum vmtable_column col,
                                             bool desc);
enum vmtable_column vmtable_sort_column(const struct vmtable *t);
bool vmtable_sort_desc(const struct vmtable *t);

/* Grouping by resource group: rows of a group together, groups in ascending natural order
 * (case-insensitive), the sort column ordering the rows inside each group. Off by default. */
void vmtable_set_grouped(struct vmtable *t, bool grouped);
bool vmtable_grouped(const struct vmtable *t);
/* Whether the row at view_i is the first of its group in view (false when not grouped). */
bool vmtable_group_starts(const struct vmtable *t, size_t view_i);
/* Groups in view (0 when not grouped); walks the view. */
size_t vmtable_group_count(const struct vmtable *t);

#endif
