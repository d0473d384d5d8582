/* SPDX-License-Identifier: MIT
 * sim/ops.c: long-running operations of gpup-sim: transient VM states, lazy completion from
 * the monotonic clock, rollback of reserved GPUs on failure, the async-operation body. */
#include "sim/ops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/text.h"
#include "sim/jsonw.h"

#define GP_ENUM_NAME_(id, name) name,
static const char *const kind_names[] = {OP_KINDS(GP_ENUM_NAME_)};
#undef GP_ENUM_NAME_

const char *op_kind_name(enum op_kind k)
{
    return (unsigned)k < OP_KIND_COUNT ? kind_names[k] : "operation";
}

const char *op_status_name(enum op_status s)
{
    switch (s) {
    case OP_RUNNING:
        return "InProgress";
    case OP_SUCCEEDED:
        return "Succeeded";
    case OP_FAILED:
        return "Failed";
    case OP_CANCELED:
        return "Canceled";
    default:
        return "Unknown";
    }
}

enum gp_status ops_init(struct ops *o, uint64_t seed)
{
    memset(o, 0, sizeof(*o));
    o->cap = OPS_RING;
    o->ring = calloc(o->cap, sizeof(*o->ring));
    if (!o->ring)
        return GP_E_NOMEM;
    o->next_seq = 1;
    simrng_seed(&o->rng, seed ^ 0x6f70735f6f707321ULL);
    return GP_OK;
}

static void op_free_payload(struct op *op)
{
    fleet_gpus_free(op->gpus, op->n_gpus);
    op->gpus = NULL;
    op->n_gpus = 0;
    free(op->vm_size);
    op->vm_size = NULL;
}

void ops_cleanup(struct ops *o)
{
    for (size_t i = 0; o->ring && i < o->cap; i++)
        op_free_payload(&o->ring[i]);
    free(o->ring);
    free(o->pending);
    memset(o, 0, sizeof(*o));
}

static void pending_remove(struct ops *o, uint64_t seq)
{
    for (size_t i = 0; i < o->n_pending; i++) {
        if (o->pending[i] != seq)
            continue;
        o->pending[i] = o->pending[--o->n_pending];
        return;
    }
}

/* Gives back the GPUs an operation reserved. */
static void op_release(struct fleet *f, struct op *op)
{
    if (!op->gpus_change)
        return;
    struct fleet_machine *m = &f->machines[op->machine];
    fleet_gpus_release(f, m->host, op->gpus, op->n_gpus, op->slots, m->vm.name);
}

static void set_text(char **dst, const char *s)
{
    char *n = s ? text_dup(s) : NULL;
    if (s && !n)
        return; /* out of memory: keep the old text */
    free(*dst);
    *dst = n;
}

static void op_finish(struct ops *o, struct fleet *f, struct op *op, enum op_status status,
                      int64_t now_ms)
{
    struct fleet_machine *m = &f->machines[op->machine];
    struct vm *vm = &m->vm;
    pending_remove(o, op->seq);
    op->status = status;
    op->end_wall_ms = op->start_wall_ms + (now_ms > op->start_ms ? now_ms - op->start_ms : 0);
    if (m->op_seq == op->seq)
        m->op_seq = 0;
    if (status == OP_SUCCEEDED) {
        set_text(&vm->error_code, NULL);
        set_text(&vm->error_message, NULL);
        switch (op->kind) {
        case OP_CREATE:
        case OP_UPDATE:
            if (op->gpus_change) {
                fleet_gpus_free(vm->gpus, vm->n_gpus);
                vm->gpus = op->gpus;
                vm->n_gpus = op->n_gpus;
                vm->gpus_present = true;
                memcpy(m->slot, op->slots, sizeof(m->slot));
                op->gpus = NULL;
                op->n_gpus = 0;
            }
            if (op->vm_size) {
                free(vm->vm_size);
                vm->vm_size = op->vm_size;
                op->vm_size = NULL;
            }
            if (op->processors > 0)
                vm->processors = op->processors;
            if (op->memory_mb > 0)
                vm->memory_mb = op->memory_mb;
            vm->provisioning = PROV_SUCCEEDED;
            if (op->kind == OP_CREATE)
                vm->power = POWER_RUNNING;
            break;
        case OP_DELETE:
            fleet_remove_vmi(f, op->machine);
            break;
        case OP_START:
        case OP_RESTART:
            vm->power = POWER_RUNNING;
            break;
        case OP_STOP:
        case OP_POWEROFF:
            vm->power = POWER_STOPPED;
            break;
        case OP_PAUSE:
            vm->power = POWER_PAUSED;
            break;
        case OP_SAVE:
            vm->power = POWER_SAVED;
            break;
        case OP_KIND_COUNT:
        default:
            break;
        }
    } else {
        /* Failed or canceled: the VM keeps what it had; reserved GPUs go back. */
        op_release(f, op);
        if (op->gpus_change && op->kind == OP_UPDATE) {
            memcpy(m->slot, op->old_slots, sizeof(m->slot));
            fleet_gpus_retake(f, m->host, vm->gpus, vm->n_gpus, m->slot, vm->name);
        }
        vm->power = op->power_before;
        if (status == OP_FAILED) {
            set_text(&vm->error_code, op->err_code);
            set_text(&vm->error_message, op->err_msg);
            if (op->kind == OP_CREATE || op->kind == OP_UPDATE || op->kind == OP_DELETE)
                vm->provisioning = PROV_FAILED;
            else
                vm->provisioning = PROV_SUCCEEDED;
        } else {
            vm->provisioning = op->kind == OP_CREATE ? PROV_CANCELED : PROV_SUCCEEDED;
        }
        op_free_payload(op);
    }
}

struct op *ops_begin(struct ops *o, struct fleet *f, enum op_kind kind, size_t idx, int64_t now_ms,
                     int64_t now_wall_ms, int64_t duration_ms)
{
    if (o->n_pending == o->cap_pending) {
        size_t cap = o->cap_pending ? o->cap_pending * 2 : 64;
        uint64_t *n = realloc(o->pending, cap * sizeof(*n));
        if (!n)
            return NULL;
        o->pending = n;
        o->cap_pending = cap;
    }
    uint64_t seq = o->next_seq++;
    struct op *op = &o->ring[seq % o->cap];
    if (op->seq && op->status == OP_RUNNING) /* the ring wrapped onto a stuck operation */
        op_finish(o, f, op, OP_CANCELED, now_ms);
    op_free_payload(op);
    memset(op, 0, sizeof(*op));
    op->seq = seq;
    char guid[37];
    simrng_guid(&o->rng, guid);
    /* The last group carries the sequence number: lookup is O(1). */
    (void)snprintf(op->id, sizeof(op->id), "%.24s%012llx", guid,
                   (unsigned long long)(seq & 0xffffffffffffULL));
    op->kind = kind;
    op->status = OP_RUNNING;
    op->machine = idx;
    op->start_ms = now_ms;
    op->due_ms = now_ms + (duration_ms > 0 ? duration_ms : 0);
    op->start_wall_ms = now_wall_ms;
    op->processors = -1;
    op->memory_mb = -1;
    memset(op->slots, -1, sizeof(op->slots));
    memset(op->old_slots, -1, sizeof(op->old_slots));
    struct fleet_machine *m = &f->machines[idx];
    (void)text_copy(op->location, sizeof(op->location), m->location);
    struct vm *vm = &m->vm;
    op->power_before = vm->power;
    set_text(&vm->operation_id, op->id);
    m->op_seq = seq;
    o->pending[o->n_pending++] = seq;
    switch (kind) {
    case OP_CREATE:
        vm->provisioning = PROV_IN_PROGRESS;
        vm->power = POWER_STARTING;
        op->power_before = POWER_STOPPED;
        break;
    case OP_UPDATE:
        vm->provisioning = PROV_IN_PROGRESS;
        break;
    case OP_DELETE:
        vm->provisioning = PROV_DELETING;
        break;
    case OP_START:
    case OP_RESTART:
        vm->power = POWER_STARTING;
        break;
    case OP_STOP:
    case OP_POWEROFF:
    case OP_PAUSE:
    case OP_SAVE:
        vm->power = POWER_STOPPING;
        break;
    case OP_KIND_COUNT:
    default:
        break;
    }
    return op;
}

bool ops_advance(struct ops *o, struct fleet *f, int64_t now_ms)
{
    bool changed = false;
    size_t i = 0;
    while (i < o->n_pending) {
        struct op *op = &o->ring[o->pending[i] % o->cap];
        if (op->stuck || now_ms < op->due_ms) {
            i++;
            continue;
        }
        if (op->fail) {
            if (!op->err_code[0])
                (void)text_copy(op->err_code, sizeof(op->err_code), "OperationFailed");
            if (!op->err_msg[0])
                (void)snprintf(op->err_msg, sizeof(op->err_msg),
                               "The %s operation on virtual machine '%s' failed.",
                               op_kind_name(op->kind), f->machines[op->machine].name);
            if (!op->err_http)
                op->err_http = 409;
        }
        op_finish(o, f, op, op->fail ? OP_FAILED : OP_SUCCEEDED, now_ms); /* removes [i] */
        changed = true;
    }
    return changed;
}

void ops_cancel_machine(struct ops *o, struct fleet *f, size_t idx)
{
    uint64_t seq = f->machines[idx].op_seq;
    if (!seq)
        return;
    struct op *op = &o->ring[seq % o->cap];
    if (op->seq == seq && op->status == OP_RUNNING)
        op_finish(o, f, op, OP_CANCELED, op->start_ms);
    f->machines[idx].op_seq = 0;
}

struct op *ops_find(struct ops *o, const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n != 36)
        return NULL;
    char *end = NULL;
    unsigned long long seq = strtoull(id + 24, &end, 16);
    if (!end || *end || seq == 0)
        return NULL;
    struct op *op = &o->ring[seq % o->cap];
    if (op->seq != seq || !str_ieq(op->id, id))
        return NULL;
    return op;
}

static void iso_time(int64_t wall_ms, char out[96])
{
    time_t t = (time_t)(wall_ms / 1000);
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        (void)text_copy(out, 96, "1970-01-01T00:00:00.000Z");
        return;
    }
    (void)snprintf(out, 96, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                   tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(wall_ms % 1000));
}

enum gp_status ops_status_json(const struct op *op, const struct fleet *f, int64_t now_ms,
                               struct gp_buf *out)
{
    char start[96], end[96], vmi_id[600], mid[512];
    iso_time(op->start_wall_ms, start);
    if (!fleet_machine_id(f, op->machine, mid, sizeof(mid)))
        mid[0] = '\0';
    (void)snprintf(vmi_id, sizeof(vmi_id),
                   "%s/providers/Microsoft.AzureStackHCI/virtualMachineInstances/default", mid);
    GP_TRY(gp_buf_printf(out,
                         "{\"id\":\"/subscriptions/%s/providers/Microsoft.AzureStackHCI/"
                         "locations/%s/operationStatuses/%s\",\"name\":\"%s\",",
                         f->subscription, op->location, op->id, op->id));
    GP_TRY(jsonw_member(out, "resourceId", vmi_id));
    GP_TRY(gp_buf_printf(out, ",\"status\":\"%s\",\"startTime\":\"%s\"", op_status_name(op->status),
                         start));
    int pct = 100;
    if (op->status == OP_RUNNING) {
        int64_t span = op->due_ms - op->start_ms;
        int64_t done = now_ms - op->start_ms;
        pct = op->stuck || span <= 0 ? 50 : (int)(done * 100 / span);
        if (pct > 99)
            pct = 99;
        if (pct < 0)
            pct = 0;
        GP_TRY(gp_buf_append_str(out, ",\"endTime\":null"));
    } else {
        iso_time(op->end_wall_ms, end);
        GP_TRY(gp_buf_printf(out, ",\"endTime\":\"%s\"", end));
    }
    GP_TRY(gp_buf_printf(out, ",\"percentComplete\":%d", pct));
    if (op->status == OP_FAILED) {
        GP_TRY(gp_buf_append_str(out, ",\"error\":{"));
        GP_TRY(jsonw_member(out, "code", op->err_code));
        GP_TRY(gp_buf_append_str(out, ","));
        GP_TRY(jsonw_member(out, "message", op->err_msg));
        GP_TRY(gp_buf_append_str(out, ",\"details\":[]}"));
    } else if (op->status == OP_CANCELED) {
        GP_TRY(gp_buf_append_str(out, ",\"error\":{\"code\":\"OperationCanceled\",\"message\":"
                                      "\"The operation was canceled.\",\"details\":[]}"));
    }
    return gp_buf_append_str(out, "}");
}
