/* SPDX-License-Identifier: MIT
 * model/recovery.c: recovery offers after a failed operation, and the partial-failure test. */
#include "model/recovery.h"

#include <stdio.h>

#include "model/text.h"

#define GP_NAME_(id, name) name,
static const char *const action_names[] = {RECOVERY_ACTIONS(GP_NAME_)};
#undef GP_NAME_

const char *recovery_action_name(enum recovery_action a)
{
    return (unsigned)a < RECOVERY_ACTION_COUNT ? action_names[a] : "?";
}

bool recovery_power_is_up(enum power_state s)
{
    switch (s) {
    case POWER_RUNNING:
    case POWER_STARTING:
    case POWER_PAUSED:
    case POWER_SAVED:
        return true;
    case POWER_UNKNOWN:
    case POWER_STOPPED:
    case POWER_DEALLOCATED:
    case POWER_DEALLOCATING:
    case POWER_STOPPING:
    case POWER_STATE_COUNT:
    default:
        return false;
    }
}

bool recovery_power_is_down(enum power_state s)
{
    return s == POWER_STOPPED || s == POWER_DEALLOCATED;
}

static const char *retry_what(const struct recovery_input *in)
{
    switch (in->kind) {
    case PLAN_GPU_CHANGE:
        return in->n_desired > 0 ? "the attach" : "the detach";
    case PLAN_CREATE:
        return "the create";
    case PLAN_POWER:
        switch (in->failed_kind) {
        case STEP_STOP:
            return "the stop";
        case STEP_START:
            return "the start";
        case STEP_RESTART:
            return "the restart";
        case STEP_PATCH_GPUS:
        case STEP_CREATE_MACHINE:
        case STEP_CREATE_VMI:
        case PLAN_STEP_KIND_COUNT:
        default:
            return "the operation";
        }
    default:
        return "the operation";
    }
}

static size_t add(struct recovery_offer *out, size_t n, size_t max, enum recovery_action a,
                  const char *label)
{
    if (n >= max)
        return n;
    out[n].action = a;
    (void)text_copy(out[n].label, sizeof(out[n].label), label); /* labels are short */
    return n + 1;
}

size_t recovery_offers(const struct recovery_input *in, struct recovery_offer *out, size_t max)
{
    const char *name = in->vm_name ? in->vm_name : "the VM";
    char label[160];
    size_t n = 0;
    bool down = recovery_power_is_down(in->now), up = recovery_power_is_up(in->now);
    if (in->kind == PLAN_GPU_CHANGE && recovery_power_is_up(in->before) && down) {
        if (in->change_applied) {
            /* Only the start is left: retrying it finishes the change. */
            (void)snprintf(label, sizeof(label), "Start %s again (the change is applied)", name);
            n = add(out, n, max, RECOVER_RETRY, label);
        } else {
            (void)snprintf(label, sizeof(label), "Start %s again without the change", name);
            n = add(out, n, max, RECOVER_START_UNCHANGED, label);
            (void)snprintf(label, sizeof(label), "Retry %s", retry_what(in));
            n = add(out, n, max, RECOVER_RETRY, label);
        }
    } else {
        (void)snprintf(label, sizeof(label), "Retry %s", retry_what(in));
        n = add(out, n, max, RECOVER_RETRY, label);
    }
    if (down)
        n = add(out, n, max, RECOVER_LEAVE, "Leave it stopped");
    else if (up)
        n = add(out, n, max, RECOVER_LEAVE, "Leave it running");
    else
        n = add(out, n, max, RECOVER_LEAVE, "Leave it as it is");
    return n;
}

bool recovery_is_partial(const struct recovery_input *in)
{
    if (in->now == POWER_UNKNOWN)
        return in->kind != PLAN_CREATE;
    bool was_up = recovery_power_is_up(in->before), is_up = recovery_power_is_up(in->now);
    if (in->kind == PLAN_POWER || in->kind == PLAN_CREATE)
        return in->kind == PLAN_POWER && was_up != is_up;
    return was_up != is_up;
}
