/* SPDX-License-Identifier: MIT
 * tui/progress.h: the Progress screen (product.md 2.1.5) of one operation: each step pending,
 * running (spinner and elapsed time), done (duration), skipped, or failed (ARM code, message
 * and request id); the VM's live power state; after a failure the state the VM is in and the
 * recovery offers as buttons, which run the matching plan. The spinner's timer runs only
 * while the operation runs and the screen is on top: nothing wakes up when idle. Esc leaves;
 * the operation goes on. */
#ifndef GPUP_TUI_PROGRESS_H
#define GPUP_TUI_PROGRESS_H

struct app;
struct op;
struct ops;

/* Pushes the progress screen of op (held while the screen exists). */
void progress_open(struct app *a, struct ops *ops, struct op *op);

#endif
