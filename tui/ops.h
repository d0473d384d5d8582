/* SPDX-License-Identifier: MIT
 * tui/ops.h: the console's operation manager. It runs change plans through net/executor with
 * the ARM client the program gives it (ops_set_client), keeps the operations so screens can
 * show them (Progress, the VM list's step column, the overview's live power state), keeps the
 * status line's counts (app_set_counts), records a notification when an operation ends and
 * flashes failures in the status line. It also holds what the change screens need to plan:
 * the cluster inventory (borrowed) and the plan options.
 *
 * Between the executor and the program's client it puts a thin wrapper, so every VM the
 * executor reads back becomes the operation's live view, and a tee on the journal, so a failed
 * operation can be resumed ("Retry") from its own records.
 *
 * Lifetime: create after the app, free after app_free (screens hold operations until they are
 * destroyed). Not thread-safe; everything runs on the app's loop. */
#ifndef GPUP_TUI_OPS_H
#define GPUP_TUI_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/buf.h"
#include "model/cluster.h"
#include "model/journal.h"
#include "model/plan.h"
#include "model/status.h"
#include "model/vm.h"
#include "net/executor.h"

struct app;
struct ops;

#define OPS_MAX_STEPS 8      /* steps shown per operation (JOURNAL_MAX_STEPS) */
#define OPS_KEEP_FINISHED 64 /* finished operations kept for their screens */
#define OPS_MAX_NOTES 200    /* notifications kept (the oldest are dropped) */
#define OPS_MAX_WATCHERS 16

enum op_state { OP_RUNNING, OP_DONE, OP_FAILED, OP_CANCELED };

/* One step as the console shows it. */
struct op_step {
    enum exec_step_state state;
    char summary[192];
    char detail[256];     /* "waiting for Stopped", the error line, "already Stopped" */
    uint64_t started_ms;  /* loop clock when it began running */
    uint64_t ms;          /* duration once done / failed / skipped */
};

/* One operation. Read its fields; only ops.c writes them. */
struct op {
    unsigned serial;      /* console-local number, 1, 2, ... */
    char title[48];       /* "GPU change", "Start", "Stop", "Restart", "Create", "Retry ..." */
    char vm_name[128];    /* sanitized */
    char vm_id[512];
    struct plan plan;     /* owned: what runs */
    enum op_state state;
    struct op_step steps[OPS_MAX_STEPS];
    size_t n_steps;
    size_t current;       /* the step running (or the last one reported) */
    uint64_t started_ms, ended_ms;      /* loop clock */
    int64_t started_wall, ended_wall;   /* wall clock seconds */
    struct vm live;       /* the VM as last read by the operation (live.power) */
    bool live_known;
    bool has_result;
    struct exec_result result; /* valid when has_result */
    bool resolved;        /* a recovery was chosen after the failure */

    /* ops.c's own. */
    struct ops *owner;
    struct executor *ex;
    bool done_early;      /* done ran before exec_start returned */
    unsigned holds;
    struct gp_buf tee;    /* this operation's journal lines */
    exec_vm_done_fn get_done;
    exec_step_done_fn step_done;
    void *call_ctx;
};

/* One notification: an operation that ended (or a recovery chosen). Strings sanitized. */
struct op_note {
    char operation[48];
    char vm[128];
    char outcome[32];     /* "done", "failed", "interrupted", "left stopped" ... */
    bool failed;
    uint64_t duration_ms;
    int64_t when;         /* wall clock seconds when it ended */
    char error[512];      /* failures: the error line, else "" */
    char request_id[64];
    char correlation_id[64];
    char state_line[160]; /* "vm-017 is Stopped; its GPUs are unchanged" */
};

/* app is borrowed (status counts, flashes). NULL when out of memory. */
struct ops *ops_new(struct app *app, struct gp_loop *loop);
/* Cancels what still runs (it stays unfinished in the journal, resumable) and frees
 * everything. Call after app_free. NULL is a no-op. */
void ops_free(struct ops *o);

/* How operations reach ARM and the journal: client_ops and client borrowed for the lifetime
 * of ops; journal may be NULL (nothing journaled: tests); opt is copied (its strings are
 * borrowed; op_id is ignored: each operation gets a new id). */
void ops_set_client(struct ops *o, const struct exec_client_ops *client_ops, void *client,
                    exec_journal_fn journal, void *journal_ctx, const struct exec_options *opt);
/* What plans are built with: cluster borrowed (NULL: nothing known), opt copied (its strings
 * borrowed). */
void ops_set_context(struct ops *o, const struct cluster *cluster,
                     const struct plan_options *opt);
const struct cluster *ops_cluster(const struct ops *o);
/* The inventory does not say which cluster a node belongs to; Azure Local puts a cluster's nodes
 * in the resource group of its custom location. When no host of c carries custom_location, fills
 * out_view with a copy of c whose untagged hosts in that resource group carry it (strings
 * borrowed from c and custom_location) and returns true: free it with ops_cluster_view_free.
 * Returns false (out_view untouched) when c is usable as it is. */
bool ops_cluster_view(const struct cluster *c, const char *custom_location,
                      struct cluster *out_view);
void ops_cluster_view_free(struct cluster *view);
const struct plan_options *ops_plan_options(const struct ops *o);
struct app *ops_app(const struct ops *o);
struct gp_loop *ops_loop(const struct ops *o);
/* Tests: the wall clock used for notification times and operation ids (NULL: the loop's). */
void ops_set_wall_clock(struct ops *o, int64_t (*now)(void *ctx), void *ctx);

/* Runs plan (its contents move into the operation; *plan is left empty). title is the
 * operation's name ("GPU change"). *out (may be NULL) gets the operation, valid until
 * ops_free or until it is evicted (never while held). GP_E_BUSY when this console already runs
 * an operation on the VM or another gpup holds its lock; executor errors otherwise. */
GP_NODISCARD enum gp_status ops_start(struct ops *o, struct plan *plan, const char *title,
                                      struct op **out, struct gp_error *err);

/* The recovery offer index of a failed operation (op->result.offers): RECOVER_RETRY resumes it
 * at the failed step, RECOVER_START_UNCHANGED starts the VM (and abandons the operation in the
 * journal), RECOVER_LEAVE abandons it. *out gets the new operation, or NULL (leave). */
GP_NODISCARD enum gp_status ops_recover(struct ops *o, struct op *op, size_t offer,
                                        struct op **out, struct gp_error *err);

/* Screens that show an operation hold it so it is not evicted. */
void ops_hold(struct op *op);
void ops_release(struct op *op);

/* Called after every change of any operation (progress, live VM, end). */
typedef void (*ops_watch_fn)(void *ctx, const struct op *op);
void ops_watch(struct ops *o, ops_watch_fn fn, void *ctx);
void ops_unwatch(struct ops *o, ops_watch_fn fn, void *ctx);

unsigned ops_running(const struct ops *o);
/* The running operation on the VM with this resource id (case-insensitive), or NULL. */
const struct op *ops_find_running(const struct ops *o, const char *vm_id);
/* "step 2/3 PATCH" for the VM's running operation into buf; NULL when none. */
const char *ops_vm_step(const struct ops *o, const char *vm_id, char *buf, size_t n);

/* The same with a void context (ctx: the struct ops), for a VM list's step column. */
const char *ops_vm_step_cb(void *ctx, const char *vm_id, char *buf, size_t n);

/* Resumes an operation found unfinished (or failed) in the journal at start-up: the executor
 * re-reads the VM and continues from its first unconfirmed step (exec_resume). jop is copied.
 * title: "Resume GPU change" or NULL (from the operation's kind). */
GP_NODISCARD enum gp_status ops_resume(struct ops *o, const struct journal_op *jop,
                                       const char *title, struct op **out,
                                       struct gp_error *err);

/* Notifications, newest first (index 0); NULL past the end. */
size_t ops_note_count(const struct ops *o);
const struct op_note *ops_note(const struct ops *o, size_t index);
/* Marks all notifications seen: the status line's count is of unseen ones. */
void ops_notes_seen(struct ops *o);
unsigned ops_notes_unseen(const struct ops *o);

/* "12s", "1m05s", "1h02m" into buf; returns buf. */
const char *ops_format_duration(uint64_t ms, char *buf, size_t n);

#endif
