/* SPDX-License-Identifier: MIT
 * tui/notify.h: the Notifications screen (`n`, product.md 2.1.6): the operations that ended,
 * newest first: operation, VM, outcome, duration, time, and for failures the error and the
 * request ids. Opening it marks them seen (the status line counts unseen ones). */
#ifndef GPUP_TUI_NOTIFY_H
#define GPUP_TUI_NOTIFY_H

struct app;
struct ops;

void notify_open(struct app *a, struct ops *ops);
/* The same with a void context (ctx: the struct ops), for the app's `n` key. */
void notify_open_cb(void *ctx, struct app *a);

#endif
