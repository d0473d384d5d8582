/* SPDX-License-Identifier: MIT
 * model/cluster.h: what is known of an Azure Local cluster's GPUs: its nodes (hosts), each
 * host's physical GPUs, their mode (DDA or GPU-P, never both) and partition pool. Feeds the
 * service rules (model/rules.h), the Hosts / GPUs screen and gpup-sim's inventory.
 * Pure data and JSON mapping (azure-local-api.md section 7); no I/O. */
#ifndef GPUP_MODEL_CLUSTER_H
#define GPUP_MODEL_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>

#include "model/status.h"

#define GPU_MODES(X)                                                                           \
    X(GPU_MODE_UNKNOWN, "Unknown")                                                             \
    X(GPU_MODE_DDA, "DDA")                                                                     \
    X(GPU_MODE_GPUP, "GPU-P")

#define GP_ENUM_ID_(id, name) id,
enum gpu_mode { GPU_MODES(GP_ENUM_ID_) GPU_MODE_COUNT };
#undef GP_ENUM_ID_

const char *gpu_mode_name(enum gpu_mode m);
/* Accepts "DDA", "GPU-P", "GpuP", "GPUP", "Partitioned" (case-insensitive); else UNKNOWN. */
enum gpu_mode gpu_mode_parse(const char *text);

/* One physical GPU of a host. Strings owned. */
struct host_gpu {
    char *id;               /* gpuId, e.g. "gpu-0" */
    char *model;            /* e.g. "NVIDIA A2" (make and model) */
    enum gpu_mode mode;
    long partition_size_mb; /* GPU-P: the host's minimum partition VRAM (e.g. 3648); else -1 */
    int partitions_total;   /* GPU-P: partitions this GPU offers; else 0 */
    int partitions_used;    /* GPU-P: partitions assigned to VMs */
    char *dda_vm;           /* DDA: name of the VM holding the device, NULL when free, ""
                               when held by a VM the inventory does not name */
    char **partition_vms;   /* GPU-P: the VM (workloadName) of each assigned partition the
                               inventory lists; owned array of owned strings; may hold fewer
                               than partitions_used when the inventory does not say */
    size_t n_partition_vms;
};

/* One node of a cluster. */
struct host {
    char *name;             /* node name, as in a VM's hostNodeName */
    char *custom_location;  /* the cluster (custom location id) it belongs to */
    char *resource_group;   /* where its edgeMachines resource lives, NULL when unknown */
    struct host_gpu *gpus;  /* owned array */
    size_t n_gpus;
};

/* Everything known about the GPUs of the clusters in view. */
struct cluster {
    struct host *hosts;     /* owned array */
    size_t n_hosts;
    bool inventory_known;   /* false: no host GPU inventory API; rules that need it report
                               "unknown" instead of guessing, and the partition size comes
                               from config */
    long partition_size_mb_config; /* from config, used when the inventory is unknown; -1 */
};

void cluster_init(struct cluster *c);
void cluster_cleanup(struct cluster *c);
/* Returns the host named name (exact match), or NULL. Borrowed. */
const struct host *cluster_find_host(const struct cluster *c, const char *name);

/* Totals over the GPU-P GPUs of one host (or, with host == NULL, of all hosts of custom_location;
 * custom_location NULL means every host). */
struct partition_pool {
    int total, used;
    long partition_size_mb; /* -1 when none or when sizes differ */
};
struct partition_pool cluster_pool(const struct cluster *c, const struct host *host,
                                   const char *custom_location);

/* True when every host of custom_location that has GPUs has the same GPU models and the same
 * partition count per GPU (the homogeneous rule). *out_why (may be NULL) gets a one-line reason
 * when false. */
bool cluster_is_homogeneous(const struct cluster *c, const char *custom_location, char *out_why,
                            size_t why_len);

/* Upper bounds of the inventory mapping (hostile input). */
#define HOST_MAX_GPUS 64
#define HOST_GPU_MAX_PARTITIONS 64
#define HOST_GPUS_JSON_MAX_BYTES (4u * 1024u * 1024u)
#define HOST_GPUS_JSON_MAX_DEPTH 32

/* Frees what one GPU owns and zeroes it (mode UNKNOWN, size -1). */
void host_gpu_cleanup(struct host_gpu *g);
/* Frees what one host owns (name, location, GPUs) and zeroes it. */
void host_cleanup(struct host *h);

/* Parses the host GPU inventory list of one node (GET .../edgeMachines/{node}/gpus, api-version
 * 2026-03-15-preview) into host->gpus, accepting numbers sent as strings ("4", "12 GB").
 * Accepted shapes: an ARM list {"value":[gpu...]}, a bare array, or one gpu (GET .../gpus/{gpu});
 * each gpu is an ARM resource whose fields sit in "properties" (or at its top level).
 * partitionSizeGb ("3.5625 GB", "12", 12, "3648 MB") becomes MB. A DDA GPU's holder is read
 * from workloadDetail.workloadName (our choice: the API names no field for it), a GPU-P
 * partition's from partitionDetails.partitions[].workloadDetail.workloadName.
 * Wrong types or missing gpuId: GP_E_INVALID naming the JSON path; bad JSON: GP_E_PARSE;
 * past the caps: GP_E_TOO_LARGE. Never crashes.
 * *host must be initialised with its name; its gpus are replaced (untouched on failure). */
GP_NODISCARD enum gp_status host_gpus_from_json(struct host *host, const char *json, size_t len,
                                                struct gp_error *err);
/* Writes one GPU as the inventory API does (numbers as strings, as the service sends them):
 * {"id":resource_id,"name":gpuId,"type":"Microsoft.AzureStackHCI/edgeMachines/gpus",
 *  "properties":{...}} (no "id" when resource_id is NULL). host_gpus_from_json reads it back
 * unchanged. Caller frees. GP_E_NOMEM. */
GP_NODISCARD enum gp_status host_gpu_to_json(const struct host *host, const struct host_gpu *gpu,
                                             const char *resource_id, char **out_json);

#endif
