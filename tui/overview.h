/* SPDX-License-Identifier: MIT
 * tui/overview.h: the VM overview (product.md 2.1.2): its properties (id, resource group,
 * custom location, host, OS / computer name, size, vCPU / memory, GPU assignment, power and
 * provisioning state, last status error, the operation running on it), the actions Start /
 * Stop / Restart (each through Review), the Settings menu (Size), `J` the raw JSON (scrollable,
 * `/` search, `n` next match) and `y` which copies the resource id to the clipboard with
 * OSC 52. Everything the service sent is sanitized before it is drawn. */
#ifndef GPUP_TUI_OVERVIEW_H
#define GPUP_TUI_OVERVIEW_H

#include <stddef.h>

#include "model/status.h"
#include "model/vm.h"

struct app;
struct ops;

/* Pushes the overview of vm (copied). */
void overview_open(struct app *a, struct ops *ops, const struct vm *vm);
/* The same with app_set_open_vm's signature: ctx is the struct ops. */
void overview_open_cb(void *ctx, struct app *a, const struct vm *vm);

/* The OSC 52 sequence that puts text on the clipboard: ESC ] 52 ; c ; base64 BEL, into buf
 * (NUL-terminated). Returns its length, 0 when buf is too small. */
size_t overview_osc52(const char *text, char *buf, size_t n);

/* JSON pretty-printed with two-space indents, one member or item per line (strings kept
 * as they are, escapes included). Caller frees; NULL when out of memory. */
char *overview_pretty_json(const char *json);

#endif
