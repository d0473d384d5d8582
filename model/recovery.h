/* SPDX-License-Identifier: MIT
 * model/recovery.h: what to offer the operator after a multi-step operation failed
 * (product.md 2.3): "Start vm-017 again without the change", "Retry the attach", "Leave it
 * stopped" ... chosen from the plan, the step that failed and the VM's real state. Also whether
 * the VM was left in a state other than the one the operator had (exit status 5). Pure. */
#ifndef GPUP_MODEL_RECOVERY_H
#define GPUP_MODEL_RECOVERY_H

#include <stdbool.h>
#include <stddef.h>

#include "model/plan.h"
#include "model/vm.h"

#define RECOVERY_ACTIONS(X)                                                                    \
    X(RECOVER_START_UNCHANGED, "start-unchanged") /* start the VM without the change */        \
    X(RECOVER_RETRY, "retry")                     /* resume the operation at the failed step */ \
    X(RECOVER_LEAVE, "leave")                     /* leave the VM as it is now */

#define GP_ENUM_ID_(id, name) id,
enum recovery_action { RECOVERY_ACTIONS(GP_ENUM_ID_) RECOVERY_ACTION_COUNT };
#undef GP_ENUM_ID_
const char *recovery_action_name(enum recovery_action a);

#define RECOVERY_MAX_OFFERS 3

struct recovery_offer {
    enum recovery_action action;
    char label[160]; /* "Start vm-017 again without the change" */
};

/* What recovery needs to know. */
struct recovery_input {
    enum plan_kind kind;
    enum plan_step_kind failed_kind; /* the step that failed */
    const char *vm_name;
    size_t n_desired;                /* GPU change: 0 means a detach */
    enum power_state before;         /* power state when planned */
    enum power_state now;            /* as read after the failure (POWER_UNKNOWN: unread) */
    bool change_applied;             /* the VM's GPUs already equal the desired list */
};

/* Fills out[] (up to max) with the offers, the recommended one first; returns how many. */
size_t recovery_offers(const struct recovery_input *in, struct recovery_offer *out, size_t max);

/* True when the VM's power is not what the operator had: running before and stopped now, or
 * stopped before and running now (GPU change, power). An unread state counts as partial. */
bool recovery_is_partial(const struct recovery_input *in);

/* Running, starting, paused or saved: states from which a stop is needed before a change. */
bool recovery_power_is_up(enum power_state s);
/* Stopped or deallocated. */
bool recovery_power_is_down(enum power_state s);

#endif
