/* SPDX-License-Identifier: MIT
 * model/vm.h: the Azure Local VM instance (Microsoft.AzureStackHCI/virtualMachineInstances,
 * the `default` extension of an Arc machine) as a plain struct, and its ARM JSON mapping.
 * Pure: no I/O, no clock. cJSON trees never leave model/.
 * See ../shared/docs/azure-local-api.md section 2 for the JSON this maps. */
#ifndef GPUP_MODEL_VM_H
#define GPUP_MODEL_VM_H

#include <stdbool.h>
#include <stddef.h>

#include "model/status.h"

/* Enumerations keep a value for text they do not know (enum values may grow): the text itself
 * is kept beside the enum, so nothing the service said is lost or invented. */
#define POWER_STATES(X)                                                                        \
    X(POWER_UNKNOWN, "Unknown")                                                                \
    X(POWER_RUNNING, "Running")                                                                \
    X(POWER_STOPPED, "Stopped")                                                                \
    X(POWER_DEALLOCATED, "Deallocated")                                                        \
    X(POWER_DEALLOCATING, "Deallocating")                                                      \
    X(POWER_STARTING, "Starting")                                                              \
    X(POWER_STOPPING, "Stopping")                                                              \
    X(POWER_PAUSED, "Paused")                                                                  \
    X(POWER_SAVED, "Saved")

#define PROVISIONING_STATES(X)                                                                 \
    X(PROV_UNKNOWN, "Unknown")                                                                 \
    X(PROV_SUCCEEDED, "Succeeded")                                                             \
    X(PROV_FAILED, "Failed")                                                                   \
    X(PROV_IN_PROGRESS, "InProgress")                                                          \
    X(PROV_ACCEPTED, "Accepted")                                                               \
    X(PROV_DELETING, "Deleting")                                                               \
    X(PROV_CANCELED, "Canceled")

#define GPU_ASSIGNMENTS(X)                                                                     \
    X(GPU_ASSIGN_OTHER, "")                                                                    \
    X(GPU_ASSIGN_DDA, "GpuDDA")                                                                \
    X(GPU_ASSIGN_P, "GpuP")

#define GP_ENUM_ID_(id, name) id,
enum power_state { POWER_STATES(GP_ENUM_ID_) POWER_STATE_COUNT };
enum provisioning_state { PROVISIONING_STATES(GP_ENUM_ID_) PROVISIONING_STATE_COUNT };
enum gpu_assignment { GPU_ASSIGNMENTS(GP_ENUM_ID_) GPU_ASSIGNMENT_COUNT };
#undef GP_ENUM_ID_

/* Table lookups. *_name never returns NULL; *_parse returns the *_UNKNOWN/OTHER value for text
 * it does not know (exact, case-sensitive match as ARM sends them; NULL -> unknown). */
const char *power_state_name(enum power_state s);
enum power_state power_state_parse(const char *text);
const char *provisioning_state_name(enum provisioning_state s);
enum provisioning_state provisioning_state_parse(const char *text);
const char *gpu_assignment_name(enum gpu_assignment a);
enum gpu_assignment gpu_assignment_parse(const char *text);

/* Provisioning states after which nothing more will happen on its own. */
bool provisioning_state_is_terminal(enum provisioning_state s);

/* One item of hardwareProfile.virtualMachineGPUs. All strings owned by the struct. */
struct vm_gpu {
    enum gpu_assignment type;
    char *type_text;         /* assignmentType exactly as received (kept for unknown values);
                                NULL when the field was absent */
    long partition_size_mb;  /* partitionSizeMB (read case-insensitively, also "3648");
                                -1 when absent or null */
    char *gpu_name;          /* NULL when absent or null */
};

/* A VM instance. Every string is owned (free with vm_cleanup) and NULL when absent.
 * Numbers are -1 when absent. */
struct vm {
    /* Identity, derived from `id` when parsing (the Arc machine's name is the VM's name). */
    char *id;                /* full resource id of the VM instance */
    char *name;              /* machine (VM) name, e.g. "train-04" */
    char *subscription;
    char *resource_group;
    char *custom_location;   /* extendedLocation.name */

    /* properties */
    char *vm_size;           /* hardwareProfile.vmSize: open-ended text */
    long processors;         /* hardwareProfile.processors */
    long memory_mb;          /* hardwareProfile.memoryMB */
    struct vm_gpu *gpus;     /* hardwareProfile.virtualMachineGPUs; owned array */
    size_t n_gpus;
    bool gpus_present;       /* the virtualMachineGPUs field was present (even if empty) */
    char *computer_name;     /* osProfile.computerName */
    char *admin_username;    /* osProfile.adminUsername */
    char *image_id;          /* storageProfile.imageReference.id */
    char *host_node;         /* hostNodeName */

    enum provisioning_state provisioning;
    char *provisioning_text; /* provisioningState as received */
    enum power_state power;
    char *power_text;        /* status.powerState as received */
    char *error_code;        /* status.errorCode ("" is kept as NULL) */
    char *error_message;     /* status.errorMessage ("" is kept as NULL) */
    char *operation_id;      /* status.provisioningStatus.operationId */
};

/* An embedded, empty VM (all NULL / -1 / unknown). */
void vm_init(struct vm *vm);
/* Frees everything the VM owns and re-initialises it. */
void vm_cleanup(struct vm *vm);
/* Deep copy; *out must be initialised (its old content is freed). GP_E_NOMEM. */
GP_NODISCARD enum gp_status vm_copy(struct vm *out, const struct vm *src);

/* Splits a resource id of the form
 *   /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.HybridCompute/machines/{vm}[/...]
 * (case-insensitive segment names) into its parts; each out pointer may be NULL; the strings are
 * allocated (caller frees). GP_E_INVALID with a message when the id has another form. */
GP_NODISCARD enum gp_status vm_id_parse(const char *id, char **out_sub, char **out_rg,
                                        char **out_name, struct gp_error *err);

/* Parses one VM instance from ARM JSON (len bytes, need not be NUL-terminated).
 * Unknown fields are ignored. Hostile input (not an object, wrong types on known fields, deep
 * nesting, a huge document) gives GP_E_PARSE or GP_E_INVALID with a message naming the JSON
 * path, never a crash. *out must be initialised; on failure it is left empty. */
GP_NODISCARD enum gp_status vm_from_json(struct vm *out, const char *json, size_t len,
                                         struct gp_error *err);

/* Serialises the VM as ARM would return it (only fields that are set: nothing is invented;
 * partitionSizeMB is written with that spelling). Caller frees the string. GP_E_NOMEM. */
GP_NODISCARD enum gp_status vm_to_json(const struct vm *vm, char **out_json);

/* Parses an ARM list page {"value":[...], "nextLink": "..."}. The VMs are appended to
 * *ref_vms (realloc'ed; *ref_count updated); *out_next_link gets the link (caller frees) or
 * NULL when absent/null. Items that fail to parse are counted in *out_skipped (may be NULL)
 * rather than failing the page. */
GP_NODISCARD enum gp_status vm_list_from_json(const char *json, size_t len, struct vm **ref_vms,
                                              size_t *ref_count, char **out_next_link,
                                              size_t *out_skipped, struct gp_error *err);

/* Frees an array of n VMs returned by vm_list_from_json. */
void vm_array_free(struct vm *vms, size_t n);

/* The GPU assignment in one line for lists: "—" (or "-" when !utf8), "GPU-P 3648 MB",
 * "GPU-P" (size unknown), "DDA NVIDIA A2", "2× DDA NVIDIA A2", or the raw type. Writes into buf. */
const char *vm_gpu_summary(const struct vm *vm, bool utf8, char *buf, size_t n);

/* Upper bounds applied by every mapper (hostile input). */
#define VM_JSON_MAX_BYTES (8u * 1024u * 1024u) /* ARM's body limit */
#define VM_JSON_MAX_DEPTH 64
#define VM_MAX_GPUS 16

#endif
