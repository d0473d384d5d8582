/* SPDX-License-Identifier: MIT
 * model/journal.h: the operations journal as data (product.md 2.3). Every multi-step operation
 * is written as JSON lines: op-begin (the plan, never a token), step-begin and step-end around
 * each step, op-end. Encoding, tolerant parsing (a torn last line, hostile lines) and replay of
 * the records into the list of operations with their state. Pure: no I/O; time is passed in.
 * net/journal writes and reads the file; net/executor writes the records. */
#ifndef GPUP_MODEL_JOURNAL_H
#define GPUP_MODEL_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/plan.h"
#include "model/status.h"
#include "model/vm.h"

#define JOURNAL_RECORD_KINDS(X)                                                                \
    X(JREC_OP_BEGIN, "op-begin")                                                               \
    X(JREC_STEP_BEGIN, "step-begin")                                                           \
    X(JREC_STEP_END, "step-end")                                                               \
    X(JREC_OP_END, "op-end")

/* How a step or an operation ended. */
#define JOURNAL_OUTCOMES(X)                                                                    \
    X(JOUT_DONE, "done")                                                                       \
    X(JOUT_SKIPPED, "skipped")     /* the VM was already in the step's target state */          \
    X(JOUT_FAILED, "failed")                                                                   \
    X(JOUT_ABANDONED, "abandoned") /* the operator chose a recovery instead of resuming */

/* An operation's state after replay. */
#define JOURNAL_OP_STATES(X)                                                                   \
    X(JOP_UNFINISHED, "unfinished")                                                            \
    X(JOP_DONE, "done")                                                                        \
    X(JOP_FAILED, "failed")                                                                    \
    X(JOP_ABANDONED, "abandoned")

#define GP_ENUM_ID_(id, name) id,
enum journal_record_kind { JOURNAL_RECORD_KINDS(GP_ENUM_ID_) JOURNAL_RECORD_KIND_COUNT };
enum journal_outcome { JOURNAL_OUTCOMES(GP_ENUM_ID_) JOURNAL_OUTCOME_COUNT };
enum journal_op_state { JOURNAL_OP_STATES(GP_ENUM_ID_) JOURNAL_OP_STATE_COUNT };
#undef GP_ENUM_ID_

const char *journal_record_kind_name(enum journal_record_kind k);
const char *journal_outcome_name(enum journal_outcome o);
const char *journal_op_state_name(enum journal_op_state s);

/* Bounds on what is written and on what is believed when read back. */
#define JOURNAL_LINE_MAX (64u * 1024u)   /* one record */
#define JOURNAL_MAX_STEPS 8u             /* steps per operation */
#define JOURNAL_MAX_OPS 4096u            /* operations kept by replay: the newest, and every one
                                            needing attention before a finished one */
#define JOURNAL_ID_MAX 48u               /* "20261125T090722Z-00001a2b-0001" */

/* One step as journaled: what was sent, never a secret. The body is kept only for the GPU PATCH
 * (a GPU list, needed to resume); other bodies are left out. Strings owned. */
struct journal_step {
    enum plan_step_kind kind;
    const char *method;        /* static: "POST", "PATCH", "PUT" */
    char *path;
    char *body;                /* STEP_PATCH_GPUS only, else NULL */
    char *summary;
    enum power_state expect_power;
    bool expect_gpus;

    /* Filled by replay. */
    bool begun;                /* a step-begin was seen */
    bool ended;                /* a step-end was seen */
    enum journal_outcome outcome;
    enum power_state power_after; /* the VM's power state read after the step */
    char error[256];           /* "409 VmMustBeStopped: ..." of a failed step, or "" */
};

/* One operation: its op-begin and, after replay, what became of it. Strings owned. */
struct journal_op {
    char id[JOURNAL_ID_MAX];
    enum plan_kind kind;
    char *vm_id;
    char *vm_name;
    struct journal_step *steps; /* owned */
    size_t n_steps;
    struct vm_gpu *desired;     /* the desired GPU list (GPU change, create) */
    size_t n_desired;
    bool downtime;
    enum power_state before_power;
    struct vm_gpu *before_gpus; /* the GPU list when planned */
    size_t n_before_gpus;
    int64_t started;            /* wall clock seconds */

    /* Filled by replay. */
    enum journal_op_state state;
    size_t next_step;           /* first step not confirmed (done or skipped) */
    size_t failed_step;         /* index of the failed step, SIZE_MAX when none */
    enum power_state last_power; /* power state of the newest step-end, else before_power */
    int64_t updated;            /* time of its newest record */
    int64_t age_s;              /* now - updated (>= 0) */
};

/* Unfinished and failed operations still need the operator (resume, or a recovery and then
 * abandon); done and abandoned ones do not. */
bool journal_op_needs_attention(const struct journal_op *op);

void journal_op_init(struct journal_op *op);
void journal_op_cleanup(struct journal_op *op);

/* Fills *out (initialised) from a plan that is about to run. op_id is copied (truncated to
 * JOURNAL_ID_MAX - 1). GP_E_NOMEM, GP_E_INVALID when the plan has too many steps. */
GP_NODISCARD enum gp_status journal_op_from_plan(struct journal_op *out, const char *op_id,
                                                 const struct plan *p, int64_t started,
                                                 struct gp_error *err);

/* Builds the plan to resume an operation (steps, desired list, vm id and name; `before` gets the
 * power state and GPUs recorded when planned). *out must be plan_init'ed; free with
 * plan_cleanup. GP_E_NOMEM. */
GP_NODISCARD enum gp_status journal_op_to_plan(const struct journal_op *op, struct plan *out,
                                               struct gp_error *err);

/* Record encoders: one JSON object and a trailing '\n' (caller frees). Text that came from the
 * service (error messages) is sanitised and cut to bounds. GP_E_NOMEM, GP_E_TOO_LARGE. */
GP_NODISCARD enum gp_status journal_encode_op_begin(const struct journal_op *op, char **out_line);
GP_NODISCARD enum gp_status journal_encode_step_begin(const char *op_id, size_t index, int64_t t,
                                                      char **out_line);
/* err may be NULL (success). */
GP_NODISCARD enum gp_status journal_encode_step_end(const char *op_id, size_t index,
                                                    enum journal_outcome outcome,
                                                    const struct gp_error *err,
                                                    enum power_state power_after, int64_t t,
                                                    char **out_line);
GP_NODISCARD enum gp_status journal_encode_op_end(const char *op_id, enum journal_outcome outcome,
                                                  int64_t t, char **out_line);

/* The operations found in a journal, oldest first. */
struct journal_ops {
    struct journal_op *ops;     /* owned */
    size_t n;
    size_t skipped;             /* lines that were not valid records (hostile, unknown op...) */
    bool torn;                  /* the last line was incomplete (a write cut short) */
};

void journal_ops_init(struct journal_ops *list);
void journal_ops_cleanup(struct journal_ops *list);

/* Replays a whole journal (len bytes, need not be NUL-terminated) into *out (initialised).
 * Lines that do not parse, or refer to an unknown operation or step, are counted and skipped;
 * an incomplete last line sets torn. now is the wall clock for age_s. GP_E_NOMEM only. */
GP_NODISCARD enum gp_status journal_replay(const char *text, size_t len, int64_t now,
                                           struct journal_ops *out, struct gp_error *err);

/* What a journal rewrite keeps of text (len bytes): every record of the operations that need
 * attention (unfinished, failed) and of the newest keep_finished other operations, in their
 * order (a last record that lost its newline gets it back); records of other operations and
 * lines that are no record go. *out
 * is NUL-terminated, the caller frees it. Replaying it gives the same operations that need
 * attention. GP_E_NOMEM. */
GP_NODISCARD enum gp_status journal_compact(const char *text, size_t len, size_t keep_finished,
                                            char **out, size_t *out_len, struct gp_error *err);

/* The operation with this id (exact match), or with this unique id prefix; NULL when none.
 * *out_ambiguous (may be NULL) is set when a prefix matched several. */
const struct journal_op *journal_ops_find(const struct journal_ops *list, const char *id,
                                          bool *out_ambiguous);

/* The operations as a JSON array for `gpup ops list -o json` (attention_only: unfinished and
 * failed ones). Each: id, kind, vmName, vmId, state, needsAttention, started, updated, ageSeconds,
 * power (as last read), nextStep and failedStep (1-based or null), error, steps [{index, kind,
 * method, summary, state: done|skipped|failed|abandoned|interrupted|pending}]. Caller frees.
 * GP_E_NOMEM. */
GP_NODISCARD enum gp_status journal_ops_to_json(const struct journal_ops *list,
                                               bool attention_only, char **out_json);

/* One line for `gpup ops list` and the console: "gpu-change vm-017: unfinished at step 2/3
 * (PATCH ...)". Writes into buf, returns buf. */
const char *journal_op_describe(const struct journal_op *op, char *buf, size_t n);

#endif
