/* SPDX-License-Identifier: MIT
 * model/rules.h: the Azure Local GPU service rules (azure-local-api.md section 3), evaluated
 * before Save so the operator sees every rule with passed/failed, a reason and a fix, and
 * enforced by gpup-sim with the same table, so client and emulator cannot disagree.
 * Pure: no I/O. */
#ifndef GPUP_MODEL_RULES_H
#define GPUP_MODEL_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "model/cluster.h"
#include "model/vm.h"

/* id, name, the HTTP status and ARM error code the service answers when the rule is broken.
 * The order is the order of evaluation and of display. */
#define RULES(X)                                                                               \
    X(RULE_VALID_TYPE, "valid-type", 400, "InvalidParameter")                                  \
    X(RULE_ONE_PARTITION, "one-partition", 400, "TooManyGpuPartitions")                        \
    X(RULE_NO_MIXING, "no-mixing", 400, "InvalidGpuAssignment")                                \
    X(RULE_AUTO_ASSIGNED, "auto-assigned", 400, "PartitionNotSelectable")                      \
    X(RULE_VM_STOPPED, "vm-stopped", 409, "VmMustBeStopped")                                   \
    X(RULE_HOMOGENEOUS, "homogeneous", 409, "ClusterGpuConfigNotHomogeneous")                  \
    X(RULE_MODE_AVAILABLE, "mode-available", 409, "GpuModeNotAvailable")                      \
    X(RULE_CAPACITY, "capacity", 409, "NoGpuPartitionAvailable")

#define GP_RULE_ID_(id, name, http, code) id,
enum rule_id { RULES(GP_RULE_ID_) RULE_COUNT };
#undef GP_RULE_ID_

const char *rule_name(enum rule_id r);      /* "vm-stopped" */
int rule_http_status(enum rule_id r);       /* 409 */
const char *rule_error_code(enum rule_id r); /* "VmMustBeStopped" */

enum rule_outcome {
    RULE_PASSED,
    RULE_FAILED,
    RULE_UNKNOWN, /* not enough is known (no inventory): shown, does not block */
    RULE_SKIPPED, /* does not apply to this change (e.g. capacity when detaching) */
};
const char *rule_outcome_name(enum rule_outcome o); /* "passed", "FAILED", "unknown", "n/a" */

struct rule_result {
    enum rule_id id;
    enum rule_outcome outcome;
    char reason[200]; /* one line, always set: why it passed or failed */
    char fix[200];    /* how to fix it when failed, else "" */
    char target[96];  /* ARM error.target for the emulator's answer when failed
                         ("properties.hardwareProfile.virtualMachineGPUs[1].assignmentType"),
                         else "" */
};

struct rule_input {
    const struct vm *vm;          /* the VM as it is now (re-read right before) */
    const struct vm_gpu *desired; /* the complete desired virtualMachineGPUs list */
    size_t n_desired;
    const struct cluster *cluster;/* what is known of the cluster; never NULL */
    bool plan_stops_vm;           /* true for gpup's plans (stop first), false for the emulator
                                     enforcing a PATCH as received */
    bool creating;                /* the VM does not exist yet (create wizard, PUT of a new VM):
                                     vm holds what is known (name, custom_location; no host, no
                                     GPUs) and vm-stopped does not apply */
};

struct rule_report {
    struct rule_result results[RULE_COUNT]; /* indexed by enum rule_id */
    int n_failed;
    enum rule_id first_failed;              /* valid when n_failed > 0 */
};

/* Evaluates every rule. Never fails: what cannot be decided is RULE_UNKNOWN.
 * Host-dependent rules (homogeneous, mode-available, capacity, and auto-assigned's size check)
 * look at the VM's host (vm->host_node) in the inventory, or at every host of the VM's custom
 * location when the host is not known; with cluster->inventory_known false they are
 * RULE_UNKNOWN (auto-assigned compares with partition_size_mb_config then: equal passes). */
void rules_check(const struct rule_input *in, struct rule_report *out);

#endif
