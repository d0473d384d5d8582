/* SPDX-License-Identifier: MIT
 * tui/fleetsrc.h: the console's VM source over net/fleet: `r` (and the first paint) list the
 * VMs of a subscription or resource group; rows go to the home screen as they arrive, the
 * refresh time and any failure go to the status line. */
#ifndef GPUP_TUI_FLEETSRC_H
#define GPUP_TUI_FLEETSRC_H

#include "model/status.h"
#include "net/fleet.h"
#include "tui/app.h"

struct fleetsrc;

/* The source, for app_set_source(app, &fleetsrc_ops, src). */
extern const struct tui_source_ops fleetsrc_ops;

/* arm is borrowed for the source's lifetime; subscription, resource_group (NULL: the whole
 * subscription) and opts (NULL: defaults; its pointers must outlive the source) are copied. */
GP_NODISCARD enum gp_status fleetsrc_new(struct arm_client *arm, const char *subscription,
                                         const char *resource_group,
                                         const struct fleet_options *opts,
                                         struct fleetsrc **out, struct gp_error *err);
/* Cancels a listing in flight. Call after app_free (the app may call cancel until then).
 * NULL is a no-op. */
void fleetsrc_free(struct fleetsrc *s);

#endif
