/* SPDX-License-Identifier: MIT
 * tui/size.h: Settings > Size (product.md 2.1.3): vCPU and memory; GPU Setup: None, GPU
 * Partition, GPU passthrough (DDA), only the modes the cluster supports; the partition size
 * shown (host inventory, else config), not chosen; a GPU Assignment section with Delete
 * assignment when the VM has a GPU; Save (plans the change and opens Review) and Discard.
 * Tab moves between fields; leaving with unsaved changes asks first. */
#ifndef GPUP_TUI_SIZE_H
#define GPUP_TUI_SIZE_H

#include "model/vm.h"

struct app;
struct ops;

/* Pushes Settings > Size for vm (copied). */
void size_open(struct app *a, struct ops *ops, const struct vm *vm);

#endif
