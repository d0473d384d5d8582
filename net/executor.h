/* SPDX-License-Identifier: MIT
 * net/executor.h: runs a change plan (model/plan) step by step on the event loop
 * (product.md 2.3). Before each step it reads the VM and checks it is as the step expects (a
 * step whose target state is already there is skipped, a stale view is refused); it journals
 * before and after each step; it confirms each step by reading the VM back; on failure it stops
 * and reports which step failed, the VM's real power state and the recovery offers. An
 * unfinished journaled operation resumes from its first unconfirmed step without applying any
 * change twice. ARM is reached through struct exec_client_ops, so tests use a fake and the
 * program wires net/arm + net/lro. The per-VM lock (net/lock) is held for the operation. */
#ifndef GPUP_NET_EXECUTOR_H
#define GPUP_NET_EXECUTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/journal.h"
#include "model/plan.h"
#include "model/recovery.h"
#include "model/status.h"
#include "model/vm.h"
#include "net/loop.h"

/* A read of the VM finished: GP_OK with the VM (borrowed for the call), or a failure with err
 * (GP_E_NOT_FOUND when it does not exist). */
typedef void (*exec_vm_done_fn)(void *ctx, enum gp_status st, const struct vm *vm,
                                const struct gp_error *err);
/* A step's request and its long-running operation finished. err->message is one line, e.g.
 * "409 VmMustBeStopped: ..."; the executor prefixes the step. */
typedef void (*exec_step_done_fn)(void *ctx, enum gp_status st, const struct gp_error *err);

/* How the executor reaches ARM. At most one call is outstanding at a time. Each call returns
 * GP_OK when it started (done then runs exactly once, later from the loop or before the call
 * returns), or a failure (done is not called). */
struct exec_client_ops {
    /* GET the VM instance by its resource id. */
    enum gp_status (*get_vm)(void *client, const char *vm_id, exec_vm_done_fn done, void *ctx,
                             struct gp_error *err);
    /* Send step->method step->path with step->body and wait for its operation to finish. */
    enum gp_status (*run_step)(void *client, const struct plan_step *step, exec_step_done_fn done,
                               void *ctx, struct gp_error *err);
    /* Abandon the call in flight that was made with ctx (one client may serve several
     * executors: the others' calls go on): its done is never called. May be NULL. */
    void (*cancel)(void *client, void *ctx);
};

/* Appends one journal line (whole, ending in '\n'); durable when it returns GP_OK.
 * net/journal's journal_file_sink fits. */
typedef enum gp_status (*exec_journal_fn)(void *ctx, const char *line, struct gp_error *err);

#define EXEC_STEP_STATES(X)                                                                    \
    X(EXEC_PENDING, "pending")                                                                 \
    X(EXEC_RUNNING, "running")                                                                 \
    X(EXEC_DONE, "done")                                                                       \
    X(EXEC_SKIPPED, "skipped")                                                                 \
    X(EXEC_FAILED, "failed")

#define GP_ENUM_ID_(id, name) id,
enum exec_step_state { EXEC_STEP_STATES(GP_ENUM_ID_) EXEC_STEP_STATE_COUNT };
#undef GP_ENUM_ID_
const char *exec_step_state_name(enum exec_step_state s);

/* One progress report (borrowed for the call). */
struct exec_progress {
    size_t index;            /* 0-based step */
    size_t n_steps;
    enum exec_step_state state;
    const char *summary;     /* the step's one line */
    const char *detail;      /* "checking vm-017", "waiting for Stopped", "already Stopped", the
                                error line, or "" */
    uint64_t step_ms;        /* elapsed in this step (loop clock) */
    uint64_t total_ms;       /* elapsed since the start */
};
typedef void (*exec_progress_fn)(void *ctx, const struct exec_progress *p);

/* The outcome (borrowed for the call). */
struct exec_result {
    enum gp_status status;   /* GP_OK, or why it stopped (GP_E_CANCELED when interrupted) */
    struct gp_error err;     /* "step 2/3 PATCH vm-017: 409 VmMustBeStopped: ..." */
    char op_id[JOURNAL_ID_MAX];
    size_t n_steps;
    size_t failed_step;      /* 0-based, SIZE_MAX when none */
    size_t steps_run;        /* requests sent */
    size_t steps_skipped;    /* steps found already done */
    enum power_state power;  /* the VM's power state as last read (POWER_UNKNOWN: unread) */
    bool gpus_applied;       /* the VM's GPUs equal the desired list as last read */
    bool partial;            /* a request was sent and the VM is not in the state the operator
                                had (exit status 5) */
    struct recovery_offer offers[RECOVERY_MAX_OFFERS];
    size_t n_offers;
    char state_line[160];    /* "vm-017 is Stopped; its GPUs are unchanged" */
};
typedef void (*exec_done_fn)(void *ctx, const struct exec_result *r);

struct exec_options {
    const char *op_id;           /* [A-Za-z0-9._-], < JOURNAL_ID_MAX; NULL: a new id from the
                                    wall clock and pid, "20261125T090722Z-1a2b-1" */
    const char *state_dir;       /* for the lock; NULL: journal_state_dir() */
    bool no_lock;                /* tests only */
    unsigned settle_reads;       /* re-reads of a VM in transition; 0: 40 */
    uint64_t settle_interval_ms; /* between them; 0: 3000 */
};

struct executor;

/* Starts running plan (borrowed until done has run) and returns at once; progress and done run
 * from the loop. The op-begin record is written before anything is sent. GP_E_BUSY (another
 * gpup holds the VM's lock), GP_E_IO (journal), GP_E_INVALID (empty plan), GP_E_NOMEM. */
GP_NODISCARD enum gp_status exec_start(struct gp_loop *loop, const struct exec_client_ops *ops,
                                       void *client, exec_journal_fn journal, void *journal_ctx,
                                       const struct plan *plan, const struct exec_options *opt,
                                       exec_progress_fn progress, exec_done_fn done, void *ctx,
                                       struct executor **out, struct gp_error *err);

/* Resumes a journaled operation (unfinished or failed: a failed one is retried at the step that
 * failed) from its first unconfirmed step, under its own id. The op is copied. Every step is
 * checked against the VM's real state first, so nothing is applied twice. GP_E_INVALID for an
 * operation that is done or abandoned. */
GP_NODISCARD enum gp_status exec_resume(struct gp_loop *loop, const struct exec_client_ops *ops,
                                        void *client, exec_journal_fn journal, void *journal_ctx,
                                        const struct journal_op *op,
                                        const struct exec_options *opt, exec_progress_fn progress,
                                        exec_done_fn done, void *ctx, struct executor **out,
                                        struct gp_error *err);

/* Interrupt (SIGINT): the call in flight is abandoned, done runs at once with GP_E_CANCELED and
 * the operation stays unfinished in the journal (resumable). No-op once done has run. Call it
 * from the loop (a signal watcher, a key handler), not from inside the progress callback. */
void exec_cancel(struct executor *ex);

/* Frees the executor (cancelling it first when still running, without calling done); releases
 * the lock. May be called from the done callback, not from the progress callback. NULL is a
 * no-op. */
void exec_free(struct executor *ex);

/* The operation id (for "gpup ops resume ID"). */
const char *exec_op_id(const struct executor *ex);

/* Appends "op-end abandoned" for an operation the operator chose to leave (recovery "Leave it
 * ..." or "Start again without the change"), so it is no longer offered for resume.
 * The recoveries map to: RECOVER_RETRY -> exec_resume of the journaled operation (it retries
 * the failed step, after re-reading the VM); RECOVER_START_UNCHANGED -> a new power plan
 * (plan_build_power STEP_START) run with exec_start, then this; RECOVER_LEAVE -> this. */
GP_NODISCARD enum gp_status exec_journal_abandon(exec_journal_fn journal, void *journal_ctx,
                                                 const char *op_id, int64_t now,
                                                 struct gp_error *err);

#endif
