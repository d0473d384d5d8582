/* SPDX-License-Identifier: MIT
 * sim/fleet.h: gpup-sim's store. Arc machines (VMs with kind HCI, and the cluster nodes), each
 * VM's instance (struct vm from model/vm.h), the clusters' nodes and GPUs (struct cluster from
 * model/cluster.h) with their partition pools, a hash index so a GET is O(1), per resource
 * group lists so a page costs the same at any position, deterministic generation from a seed,
 * and the state file (atomic write). Single-threaded: the server calls it from one thread. */
#ifndef GPUP_SIM_FLEET_H
#define GPUP_SIM_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/buf.h"
#include "model/cluster.h"
#include "model/rules.h"
#include "model/status.h"
#include "model/vm.h"

/* One Arc machine. Strings owned. */
struct fleet_machine {
    char *name;
    char *rg;
    char *location; /* Azure region of the Arc resource, e.g. "westus2" */
    bool hci;       /* kind HCI: an Azure Local VM (false: a cluster node) */
    bool windows;
    bool deleted;                  /* tombstone: keeps indexes (and skip tokens) stable */
    bool has_vmi;                  /* the VM instance `default` exists */
    int host;                      /* index into cluster.hosts of the VM's node, -1 */
    uint64_t op_seq;               /* the operation running on the VM instance, 0 when none */
    signed char slot[VM_MAX_GPUS]; /* host GPU index held by vm.gpus[i], -1 */
    struct vm vm;                  /* valid when has_vmi */
};

/* One Azure Local cluster (custom location). Strings owned. */
struct fleet_site {
    char *name;            /* "cl-seattle" */
    char *custom_location; /* full custom location resource id */
    char *location;        /* Azure region */
    char *rg;              /* resource group of the cluster's own resources */
};

/* The machines of one resource group, in creation order. */
struct fleet_rg {
    char *name;
    size_t *idx;
    size_t n, cap;
};

struct fleet {
    char *subscription;
    struct fleet_machine *machines;
    size_t n_machines, cap_machines;
    uint32_t *hash;  /* open addressing: machine index + 1, 0 = empty */
    size_t hash_cap; /* power of two */
    struct fleet_rg *rgs;
    size_t n_rgs, cap_rgs;
    struct fleet_site *sites;
    size_t n_sites;
    int *host_site;         /* site index of each host */
    size_t *host_vms;       /* VM instances placed on each host */
    struct cluster cluster; /* hosts, GPUs and partition pools */
    size_t n_vmi;           /* live VM instances */
};

/* Caps on what a client can make the store hold. */
#define FLEET_MAX_MACHINES 2000000u
#define FLEET_MAX_RGS 10000u
#define FLEET_MAX_NAME 90u

void fleet_init(struct fleet *f);
void fleet_cleanup(struct fleet *f);

/* Fills an empty fleet: n_hosts nodes in 2-node clusters with a realistic GPU mix, n_vms VMs
 * spread over them (names, resource groups, power states, GPU-P partitions and DDA devices
 * accounted in the pools). The same seed gives the same fleet. GP_E_NOMEM. */
GP_NODISCARD enum gp_status fleet_generate(struct fleet *f, const char *subscription, size_t n_vms,
                                           size_t n_hosts, uint64_t seed, struct gp_error *err);

/* Index of the live machine rg/name (case-insensitive), or -1. */
long fleet_find(const struct fleet *f, const char *rg, const char *name);
/* The resource group's list, or NULL (case-insensitive). */
const struct fleet_rg *fleet_rg_find(const struct fleet *f, const char *rg);
/* The site whose custom location id is cl (case-insensitive), or -1. */
int fleet_site_find(const struct fleet *f, const char *cl);
/* Index of the host named name, or -1. */
int fleet_host_find(const struct fleet *f, const char *name);

/* Creates (or revives) the machine rg/name, or updates location/kind of an existing one.
 * *out_idx gets its index, *out_created whether it is new. GP_E_NOMEM, GP_E_TOO_LARGE. */
GP_NODISCARD enum gp_status fleet_put_machine(struct fleet *f, const char *rg, const char *name,
                                              const char *location, bool hci, size_t *out_idx,
                                              bool *out_created, struct gp_error *err);
/* Deletes a machine and its VM instance (releasing its GPUs). */
void fleet_delete_machine(struct fleet *f, size_t idx);
/* Removes the VM instance of a machine (releasing its GPUs). */
void fleet_remove_vmi(struct fleet *f, size_t idx);

/* Resource id of a machine into buf (returns false when it does not fit). */
bool fleet_machine_id(const struct fleet *f, size_t idx, char *buf, size_t n);
/* Appends the Arc machine resource as ARM returns it. */
GP_NODISCARD enum gp_status fleet_machine_json(const struct fleet *f, size_t idx,
                                               struct gp_buf *out);
/* Appends the VM instance resource. gpu_fields false drops virtualMachineGPUs (the GA
 * api-version 2024-01-01 has none); graph_row adds resourceGroup and subscriptionId as
 * Resource Graph rows carry them. */
GP_NODISCARD enum gp_status fleet_vmi_json(const struct fleet *f, size_t idx, bool gpu_fields,
                                           bool graph_row, struct gp_buf *out);

/* GPU pools. fleet_gpus_claim checks the host-dependent service rules for giving the VM the
 * desired GPU list on host `host` (mode-available, capacity, homogeneous, auto-assigned size)
 * and, when they pass, takes the devices/partitions from the pool: *out_gpus gets the list
 * as the service fills it in (partitionSizeMB, gpuName; caller frees with fleet_gpus_free)
 * and slots the host GPU indexes. On a broken rule nothing changes: *out_rule names it and
 * err->message says why; returns GP_E_RULE. The VM's current GPUs must be released first
 * when they are to be replaced. */
GP_NODISCARD enum gp_status fleet_gpus_claim(struct fleet *f, int host, const char *vm_name,
                                             const struct vm_gpu *want, size_t n_want,
                                             struct vm_gpu **out_gpus,
                                             signed char slots[VM_MAX_GPUS], enum rule_id *out_rule,
                                             struct gp_error *err);
/* Gives back what slots hold for a GPU list of n items (slots reset to -1). */
void fleet_gpus_release(struct fleet *f, int host, const struct vm_gpu *gpus, size_t n,
                        signed char slots[VM_MAX_GPUS], const char *vm_name);
/* Takes the slots again without checks (undo of a release). */
void fleet_gpus_retake(struct fleet *f, int host, const struct vm_gpu *gpus, size_t n,
                       const signed char slots[VM_MAX_GPUS], const char *vm_name);
/* Deep copy / free of a GPU list. */
GP_NODISCARD enum gp_status fleet_gpus_copy(const struct vm_gpu *src, size_t n,
                                            struct vm_gpu **out);
void fleet_gpus_free(struct vm_gpu *gpus, size_t n);

/* Writes the whole store to path atomically (path.tmp, fsync, rename). GP_E_IO. */
GP_NODISCARD enum gp_status fleet_save(const struct fleet *f, const char *path,
                                       struct gp_error *err);
/* Replaces an empty fleet with the one stored at path. GP_E_NOT_FOUND when the file does not
 * exist; GP_E_PARSE / GP_E_INVALID (message names the problem) when it is corrupt. */
GP_NODISCARD enum gp_status fleet_load(struct fleet *f, const char *path, struct gp_error *err);

#endif
