/* SPDX-License-Identifier: MIT
 * tui/review.h: the Review screen (product.md 2.1.4), shown before anything is committed:
 * before -> after of the hardware profile, every service rule (model/rules) with its outcome
 * and reason and, under a failed one, its fix; the exact plan text (plan_format, the same as
 * the CLI's --dry-run); the impact line; the commit button (Save, Start, Stop, Restart,
 * Create) and Back. The commit button is disabled, saying why, while a rule fails, when the
 * plan has nothing to do, and in --readonly ("read-only mode"). Commit starts the operation
 * (tui/ops) and replaces the screens of the change with its Progress screen. */
#ifndef GPUP_TUI_REVIEW_H
#define GPUP_TUI_REVIEW_H

#include "model/plan.h"

struct app;
struct ops;

/* Called after the operation started, once the review screen is gone: the screen below (e.g.
 * Settings > Size) pops itself. */
typedef void (*review_committed_fn)(void *ctx, struct app *a);

/* Pushes a review of plan (its contents move in; *plan is left empty). title: the operation's
 * name ("GPU change", "Delete assignment", "Start"...); NULL: from the plan. committed and ctx
 * may be NULL. */
void review_open(struct app *a, struct ops *ops, struct plan *plan, const char *title,
                 review_committed_fn committed, void *ctx);

#endif
