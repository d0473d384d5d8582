/* SPDX-License-Identifier: MIT
 * model/plan.h: change plans. One plan object, built here, feeds the Review screen, the CLI's
 * --dry-run and the executor (style.md 1): the ordered ARM requests (method, path, body) for
 * a GPU change (stop if running -> PATCH the whole virtualMachineGPUs list -> start if it was
 * running), a power action, or a create. Pure: no I/O. */
#ifndef GPUP_MODEL_PLAN_H
#define GPUP_MODEL_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "model/status.h"
#include "model/vm.h"

#define PLAN_STEP_KINDS(X)                                                                     \
    X(STEP_STOP, "stop")                                                                       \
    X(STEP_PATCH_GPUS, "patch-gpus")                                                           \
    X(STEP_START, "start")                                                                     \
    X(STEP_RESTART, "restart")                                                                 \
    X(STEP_CREATE_MACHINE, "create-machine")                                                   \
    X(STEP_CREATE_VMI, "create-vm-instance")

#define GP_ENUM_ID_(id, name) id,
enum plan_step_kind { PLAN_STEP_KINDS(GP_ENUM_ID_) PLAN_STEP_KIND_COUNT };
#undef GP_ENUM_ID_
const char *plan_step_kind_name(enum plan_step_kind k);

/* One ARM request and how to confirm it. Strings owned by the plan. */
struct plan_step {
    enum plan_step_kind kind;
    const char *method;      /* static: "POST", "PATCH", "PUT" */
    char *path;              /* relative to the ARM endpoint, with ?api-version= */
    char *body;              /* exact JSON body, or NULL for none */
    char *summary;           /* one line for people: "Stop vm-017 and wait until Stopped" */
    enum power_state expect_power; /* confirmed by reading the VM back; POWER_UNKNOWN: none */
    bool expect_gpus;        /* confirm the GPU list equals the desired one after the step */
};

enum plan_kind { PLAN_GPU_CHANGE, PLAN_POWER, PLAN_CREATE };

struct plan {
    enum plan_kind kind;
    char *vm_name;
    char *vm_id;             /* VM instance resource id */
    struct plan_step *steps; /* owned */
    size_t n_steps;
    struct vm before;        /* the VM as it was when planned */
    struct vm after;         /* the VM as it will be (hardware profile and power) */
    struct vm_gpu *desired;  /* PLAN_GPU_CHANGE / PLAN_CREATE: the desired list, owned */
    size_t n_desired;
    bool downtime;           /* the VM will be shut down */
    char impact[256];        /* "vm-017 will be shut down and restarted; expect downtime" or
                                "No change: the VM already has this GPU setup" */
};

struct plan_options {
    const char *api_version;     /* VM instance api-version, e.g. "2025-09-01-preview" */
    const char *machine_api_version; /* Arc machines api-version (create), e.g. "2024-07-10" */
    bool no_restart;             /* leave a VM that was running stopped after the change */
};

void plan_init(struct plan *p);
void plan_cleanup(struct plan *p);

/* GPU change of an existing VM to the complete desired list (n == 0: detach everything).
 * A running (or starting) VM is stopped first and started after unless no_restart; a stopped or
 * deallocated VM gets the PATCH only; any other state (paused, saved, unknown...) is stopped
 * first and left stopped. An unchanged list (gpu_lists_equal) gives a plan with no steps and
 * the impact "No change: vm-017 already has this GPU setup".
 * The PATCH body is {"properties":{"hardwareProfile":{"virtualMachineGPUs":[...]}}}, each item
 * {"assignmentType":"GpuP"|"GpuDDA"} plus gpuName / partitionSizeMB only when the desired item
 * has them. Paths are current->id (or one built from subscription, group and name) with
 * "?api-version=" opt->api_version. *out is initialised here (and empty on failure). */
GP_NODISCARD enum gp_status plan_build_gpu_change(const struct vm *current,
                                                  const struct vm_gpu *desired, size_t n,
                                                  const struct plan_options *opt,
                                                  struct plan *out, struct gp_error *err);

/* Start / stop / restart (kind STEP_START, STEP_STOP or STEP_RESTART) of an existing VM. */
GP_NODISCARD enum gp_status plan_build_power(const struct vm *current, enum plan_step_kind action,
                                             const struct plan_options *opt, struct plan *out,
                                             struct gp_error *err);

/* What the create wizard and `gpup vm create` ask for. Strings borrowed. */
struct vm_create_spec {
    const char *subscription, *resource_group, *name;
    const char *location;        /* Azure region of the Arc machine resource, e.g. "eastus" */
    const char *custom_location; /* custom location resource id */
    const char *image_id;        /* gallery image resource id */
    const char *admin_username;
    const char *ssh_public_key;  /* optional; no password is ever planned or logged */
    long processors, memory_mb;
    const struct vm_gpu *gpus;   /* desired GPUs (may be empty) */
    size_t n_gpus;
};

/* Create: PUT the Arc machine {"kind":"HCI","location":..,"identity":{"type":"SystemAssigned"}}
 * at opt->machine_api_version, then PUT the VM instance {"extendedLocation":{..},"properties":
 * {"hardwareProfile":{"vmSize":"Custom","processors","memoryMB"[,"virtualMachineGPUs"]},
 * "osProfile":{"adminUsername","computerName"[,"linuxConfiguration":{"ssh":{"publicKeys":
 * [{"path":"/home/<user>/.ssh/authorized_keys","keyData"}]},"disablePasswordAuthentication":
 * true}]},"storageProfile":{"imageReference":{"id"}}}}. Names that would break the path (spaces,
 * '/', '?', '#', '%') and missing fields are GP_E_INVALID. */
GP_NODISCARD enum gp_status plan_build_create(const struct vm_create_spec *spec,
                                              const struct plan_options *opt, struct plan *out,
                                              struct gp_error *err);

/* True when the two GPU lists mean the same assignment (order-insensitive; a desired GpuP with
 * no size matches any size the service filled in). */
bool gpu_lists_equal(const struct vm_gpu *a, size_t na, const struct vm_gpu *b, size_t nb);

/* The plan as text, exactly as the Review screen and --dry-run print it: impact line, then
 * per step "1. POST /subscriptions/.../stop?api-version=...", "   <summary>" and, when there
 * is one, "   <body>"; every line ends in '\n'; control characters are replaced (text_sanitize).
 * Caller frees. */
GP_NODISCARD enum gp_status plan_format(const struct plan *p, char **out_text);

/* The plan as a JSON object (for -o json of --dry-run): {"kind":"gpu-change"|"power"|"create",
 * "vm","vmId","impact","downtime","steps":[{"kind","method","path","summary","body":{..}|null,
 * "expectPower":"Stopped"|null,"expectGpus"}],"before":{VM},"after":{VM}}. Caller frees. */
GP_NODISCARD enum gp_status plan_to_json(const struct plan *p, char **out_json);

#endif
