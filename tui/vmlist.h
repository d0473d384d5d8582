/* SPDX-License-Identifier: MIT
 * tui/vmlist.h: the Virtual machines home screen (product.md 2.1.1) over a model/vmtable:
 * columns, selection, scrolling, the live `/` filter (typing filters at once, Enter keeps it,
 * Esc clears it), sort keys, the row count and a loading indicator; rows are appended as pages
 * arrive, keeping the selection on the same VM. */
#ifndef GPUP_TUI_VMLIST_H
#define GPUP_TUI_VMLIST_H

#include <stdbool.h>
#include <stddef.h>

#include "model/status.h"
#include "model/vm.h"

struct screen;
struct vmlist;
struct vmtable;

/* NULL when out of memory. utf8 picks the glyphs. */
struct vmlist *vmlist_new(bool utf8);
void vmlist_free(struct vmlist *vl);
/* The screen to push (owned by the vmlist: popping it does not free it). */
struct screen *vmlist_screen(struct vmlist *vl);
struct vmtable *vmlist_table(struct vmlist *vl);

/* Appends a page (takes the VMs' contents, see vmtable_add). */
GP_NODISCARD enum gp_status vmlist_add_rows(struct vmlist *vl, struct vm *vms, size_t n,
                                            struct gp_error *err);
void vmlist_clear(struct vmlist *vl);
/* A refresh that keeps the rows on show (vmtable_refresh_begin/_end): end drops the VMs it
 * did not bring; *out_dropped counts them. The selection stays on its VM while it exists. */
void vmlist_refresh_begin(struct vmlist *vl);
GP_NODISCARD enum gp_status vmlist_refresh_end(struct vmlist *vl, size_t *out_dropped,
                                               struct gp_error *err);
/* The refresh failed or was canceled: every row stays as it is. */
void vmlist_refresh_abandon(struct vmlist *vl);
/* expected: total when known, 0 when not ("loading… 300 of ?"). */
void vmlist_set_loading(struct vmlist *vl, bool loading, size_t expected);
/* Enter on a row calls fn with the VM (borrowed for the call). */
void vmlist_set_open(struct vmlist *vl, void (*fn)(void *ctx, const struct vm *vm), void *ctx);

/* The selected VM, or NULL when the list shows nothing. */
const struct vm *vmlist_selected(const struct vmlist *vl);
/* Selects the VM with this id (clearing the filter when it hides it). false: unknown id. */
bool vmlist_select(struct vmlist *vl, const char *id);
/* Sets the filter as if typed and kept. */
void vmlist_set_filter(struct vmlist *vl, const char *text);
/* Rows grouped by resource group (ui.group_by_resource_group, the group key) or not. */
void vmlist_set_grouped(struct vmlist *vl, bool grouped);

/* A VM with an operation running shows its step ("step 2/3: PATCH") in place of its power
 * state; NULL text clears it. At most VMLIST_MAX_STEPS at once (more are not shown). */
#define VMLIST_MAX_STEPS 32
void vmlist_set_step(struct vmlist *vl, const char *id, const char *text);

/* Row lines drawn so far (tests check that a cursor move repaints two). */
unsigned long vmlist_rows_drawn(const struct vmlist *vl);

#endif
