/* SPDX-License-Identifier: MIT
 * sim/ops.h: gpup-sim's long-running operations (azure-local-api.md section 4). An operation
 * is accepted at once, shows the VM in a transient state (Stopping, InProgress...), and
 * completes when the monotonic clock passes its due time: state is derived lazily at each
 * request, with no timer thread. Its async-operation status and Location answers are built
 * here. Operations live in a bounded ring; the oldest finished ones are forgotten. */
#ifndef GPUP_SIM_OPS_H
#define GPUP_SIM_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/buf.h"
#include "model/vm.h"
#include "sim/fleet.h"
#include "sim/simrng.h"

#define OP_KINDS(X)                                                                                \
    X(OP_CREATE, "create")                                                                         \
    X(OP_UPDATE, "update")                                                                         \
    X(OP_DELETE, "delete")                                                                         \
    X(OP_START, "start")                                                                           \
    X(OP_STOP, "stop")                                                                             \
    X(OP_RESTART, "restart")                                                                       \
    X(OP_PAUSE, "pause")                                                                           \
    X(OP_SAVE, "save")                                                                             \
    X(OP_POWEROFF, "powerOff")

#define GP_ENUM_ID_(id, name) id,
enum op_kind { OP_KINDS(GP_ENUM_ID_) OP_KIND_COUNT };
#undef GP_ENUM_ID_

enum op_status { OP_RUNNING, OP_SUCCEEDED, OP_FAILED, OP_CANCELED };

const char *op_kind_name(enum op_kind k);
const char *op_status_name(enum op_status s); /* "InProgress", "Succeeded"... */

struct op {
    uint64_t seq; /* 0: free slot */
    char id[37];
    enum op_kind kind;
    enum op_status status;
    size_t machine;
    int64_t start_ms, due_ms; /* monotonic; due INT64_MAX when stuck */
    int64_t start_wall_ms, end_wall_ms;
    bool fail;         /* ends Failed (fault opfail) */
    bool stuck;        /* never ends (fault stuckstop) */
    char location[48]; /* Azure region in the operation URLs */
    enum power_state power_before;
    /* create/update: the GPU list reserved in the pool, applied on success */
    bool gpus_change;
    struct vm_gpu *gpus;
    size_t n_gpus;
    signed char slots[VM_MAX_GPUS];
    signed char old_slots[VM_MAX_GPUS];
    /* update: hardware fields applied on success (NULL / -1: unchanged) */
    char *vm_size;
    long processors, memory_mb;
    char err_code[64];
    char err_msg[256];
    int err_http;
};

struct ops {
    struct op *ring;
    size_t cap;
    uint64_t next_seq;
    uint64_t *pending; /* seqs of running operations */
    size_t n_pending, cap_pending;
    struct simrng rng;
};

#define OPS_RING 8192u

GP_NODISCARD enum gp_status ops_init(struct ops *o, uint64_t seed);
void ops_cleanup(struct ops *o);

/* Starts an operation of kind on machine idx (which must have a VM instance): puts the VM in
 * its transient state and marks it busy. Returns the operation (owned by o) for the caller to
 * fill in (payload, fail, stuck), or NULL when out of memory. duration_ms 0 completes at the
 * next request. */
struct op *ops_begin(struct ops *o, struct fleet *f, enum op_kind kind, size_t idx, int64_t now_ms,
                     int64_t now_wall_ms, int64_t duration_ms);

/* Completes every running operation whose time has come. Returns true when the store
 * changed (so the caller saves it). */
bool ops_advance(struct ops *o, struct fleet *f, int64_t now_ms);

/* Ends a machine's running operation as Canceled (the machine is being deleted), giving
 * back what it reserved. */
void ops_cancel_machine(struct ops *o, struct fleet *f, size_t idx);

/* The operation named id (case-insensitive GUID), or NULL. */
struct op *ops_find(struct ops *o, const char *id);

/* Appends the Azure-AsyncOperation status body. */
GP_NODISCARD enum gp_status ops_status_json(const struct op *op, const struct fleet *f,
                                            int64_t now_ms, struct gp_buf *out);

#endif
