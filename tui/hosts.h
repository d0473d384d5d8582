/* SPDX-License-Identifier: MIT
 * tui/hosts.h: the Hosts / GPUs screen (product.md 2.1.8): each node, its GPUs, their mode
 * (DDA or GPU-P), partition size, partitions total and used, and which VM holds which. When
 * the host GPU inventory is unknown it says so and shows what can be inferred from the VMs:
 * per host, the VMs holding GPU partitions or DDA GPUs, and the partition size from config.
 * The screen shows a snapshot taken when it opens (open it again after a refresh). */
#ifndef GPUP_TUI_HOSTS_H
#define GPUP_TUI_HOSTS_H

#include <stddef.h>

struct app;
struct cluster;
struct screen_ops;
struct vm;

/* Pushes the screen. c and vms are read during the call only (vms may be NULL when n is 0). */
void hosts_open(struct app *a, const struct cluster *c, const struct vm *const *vms, size_t n);
const struct screen_ops *hosts_screen_ops(void);

#endif
