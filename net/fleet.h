/* SPDX-License-Identifier: MIT
 * net/fleet.h: lists every Azure Local VM of a subscription or a resource group
 * (azure-local-api.md 1). ARM has no such list, so: one Resource Graph query (one call per
 * 1,000 VMs); when Graph is refused (400, 403, 404) before any row arrived, list the Arc
 * machines instead, keep kind HCI (cluster nodes are Arc machines without it and are not VMs)
 * and GET each machine's VM instance with bounded parallelism. Rows are handed over as they
 * arrive, so a console can draw the first VMs while the rest load. */
#ifndef GPUP_NET_FLEET_H
#define GPUP_NET_FLEET_H

#include <stdbool.h>
#include <stddef.h>

#include "model/status.h"
#include "model/vm.h"
#include "net/arm.h"
#include "net/pager.h"

#define FLEET_GRAPH_QUERY                                                                      \
    "resources | where type =~ 'microsoft.azurestackhci/virtualmachineinstances'"

struct fleet;

struct fleet_options {
    const char *vm_api_version;      /* NULL: "2025-09-01-preview" */
    const char *machine_api_version; /* NULL: "2024-07-10" */
    unsigned parallel;               /* VM GETs in flight in the fallback, 0: 8 (max 64) */
    bool skip_graph;                 /* go straight to the machine listing */
    struct pager_options pages;      /* bounds on pages and items */
};

enum fleet_source { FLEET_VIA_GRAPH, FLEET_VIA_MACHINES };

struct fleet_stats {
    enum fleet_source source;
    size_t vms;               /* rows delivered */
    size_t skipped;           /* rows that did not parse as a VM instance */
    size_t machines;          /* Arc machines listed (fallback) */
    size_t not_vms;           /* machines without kind HCI: cluster nodes */
    size_t without_instance;  /* HCI machines whose VM instance answered 404 */
    size_t failed;            /* VM instances that could not be read */
    struct gp_error first_failure; /* the first of those (or the first skipped row) */
    struct gp_error graph_error;   /* why Graph was not used, when it was refused */
};

/* rows: n VMs, taken: the callback owns them and frees them with vm_array_free(vms, n).
 * May call fleet_cancel (nothing is called afterwards). */
typedef void (*fleet_rows_fn)(void *ctx, struct vm *vms, size_t n);
/* The end. err NULL when the listing completed (some VMs may still be in stats->failed);
 * stats borrowed until the callback returns. */
typedef void (*fleet_done_fn)(void *ctx, const struct fleet_stats *stats,
                              const struct gp_error *err);

/* Starts listing the VMs of subscription (and of resource_group when not NULL). Strings and
 * opts are copied; opts may be NULL. *out (may be NULL) is valid until done runs. done always
 * runs from the loop. GP_E_INVALID (with err) for a name that cannot be part of a path. */
GP_NODISCARD enum gp_status fleet_list(struct arm_client *arm, const char *subscription,
                                       const char *resource_group,
                                       const struct fleet_options *opts, fleet_rows_fn on_rows,
                                       fleet_done_fn on_done, void *ctx, struct fleet **out,
                                       struct gp_error *err);

/* Stops the listing and every request of it; no callback runs afterwards. */
void fleet_cancel(struct fleet *f);

#endif
