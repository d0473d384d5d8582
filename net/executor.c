/* SPDX-License-Identifier: MIT
 * net/executor.c: the plan executor, a small state machine on the event loop. Every transition
 * runs from a zero-delay loop timer, so a client that answers before its call returns never
 * re-enters the machine. One call to the client is outstanding at a time. */
#include "net/executor.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "model/text.h"
#include "net/journal.h"
#include "net/lock.h"

#define SETTLE_READS_DEFAULT 40u
#define SETTLE_INTERVAL_DEFAULT_MS 3000u

#define GP_NAME_(id, name) name,
static const char *const step_state_names[] = {EXEC_STEP_STATES(GP_NAME_)};
#undef GP_NAME_

const char *exec_step_state_name(enum exec_step_state s)
{
    return (unsigned)s < EXEC_STEP_STATE_COUNT ? step_state_names[s] : "?";
}

enum phase {
    PH_IDLE,
    PH_PRECHECK, /* reading the VM before a step */
    PH_RUN,      /* the step's request */
    PH_CONFIRM,  /* reading the VM back after it */
    PH_FINAL,    /* reading the VM to report its real state at the end */
};

struct executor {
    struct gp_loop *loop;
    const struct exec_client_ops *ops;
    void *client;
    exec_journal_fn journal;
    void *journal_ctx;
    exec_progress_fn progress;
    exec_done_fn done;
    void *ctx;

    const struct plan *plan;
    struct plan owned_plan;       /* resume: rebuilt from the journal */
    bool owns_plan;
    bool begun_before[JOURNAL_MAX_STEPS]; /* resume: a step-begin was journaled earlier */
    struct vm_lock lock;

    unsigned settle_reads;
    uint64_t settle_interval_ms;

    size_t step;
    enum phase phase;
    unsigned reads_left;
    uint64_t t0, step_t0;
    uint64_t timer;
    bool in_flight;
    bool settle_pending;          /* the timer is a wait before reading again */
    bool finished;

    /* The last answer from the client. */
    enum gp_status ans_st;
    struct gp_error ans_err;
    struct vm vm;                 /* the VM as last read */
    bool vm_valid;
    bool vm_fresh;                /* read since the last request was sent */

    struct gp_error step_err;     /* unprefixed, for the journal */
    struct exec_result result;
};

/* ---- small helpers --------------------------------------------------------------------- */

static const struct plan_step *cur(const struct executor *ex)
{
    return &ex->plan->steps[ex->step];
}

static const char *vm_label(const struct executor *ex)
{
    return ex->plan->vm_name ? ex->plan->vm_name : "the VM";
}

static bool power_down(enum power_state s)
{
    return s == POWER_STOPPED || s == POWER_DEALLOCATED;
}

static bool vm_in_transition(const struct vm *vm)
{
    switch (vm->power) {
    case POWER_STARTING:
    case POWER_STOPPING:
    case POWER_DEALLOCATING:
        return true;
    case POWER_UNKNOWN:
    case POWER_RUNNING:
    case POWER_STOPPED:
    case POWER_DEALLOCATED:
    case POWER_PAUSED:
    case POWER_SAVED:
    case POWER_STATE_COUNT:
    default:
        break;
    }
    return vm->provisioning == PROV_IN_PROGRESS || vm->provisioning == PROV_ACCEPTED;
}

static bool gpus_as_desired(const struct executor *ex, const struct vm *vm)
{
    return gpu_lists_equal(vm->gpus, vm->n_gpus, ex->plan->desired, ex->plan->n_desired);
}

static void report(struct executor *ex, size_t index, enum exec_step_state st, const char *detail)
{
    if (!ex->progress || index >= ex->plan->n_steps)
        return;
    uint64_t now = loop_now_ms(ex->loop);
    const struct plan_step *s = &ex->plan->steps[index];
    struct exec_progress p = {
        .index = index,
        .n_steps = ex->plan->n_steps,
        .state = st,
        .summary = s->summary ? s->summary : plan_step_kind_name(s->kind),
        .detail = detail ? detail : "",
        .step_ms = index == ex->step ? now - ex->step_t0 : 0,
        .total_ms = now - ex->t0,
    };
    ex->progress(ex->ctx, &p);
}

static enum gp_status journal_line(struct executor *ex, enum gp_status enc, char *line,
                                   struct gp_error *err)
{
    if (enc != GP_OK) {
        free(line);
        return gp_error_set(err, enc, "cannot encode a journal record: %s", gp_status_name(enc));
    }
    enum gp_status st = ex->journal(ex->journal_ctx, line, err);
    free(line);
    if (st != GP_OK)
        gp_error_prefix(err, "journal");
    return st;
}

static void timer_fire(void *arg);

static void schedule(struct executor *ex, uint64_t delay_ms)
{
    ex->timer = loop_timer_add(ex->loop, delay_ms, timer_fire, ex);
    /* Out of memory for a timer: nothing else can move the machine, so finish here. The lock
     * and journal stay consistent (the operation stays unfinished, hence resumable). */
    if (ex->timer == 0 && !ex->finished) {
        ex->finished = true;
        vm_lock_release(&ex->lock);
        ex->result.status = gp_error_set(&ex->result.err, GP_E_NOMEM,
                                         "out of memory scheduling step %zu/%zu; resume with "
                                         "gpup ops resume %s",
                                         ex->step + 1, ex->plan->n_steps, ex->result.op_id);
        ex->done(ex->ctx, &ex->result);
    }
}

/* ---- finishing ------------------------------------------------------------------------- */

static void fill_state(struct executor *ex)
{
    struct exec_result *r = &ex->result;
    r->power = ex->vm_valid ? ex->vm.power : POWER_UNKNOWN;
    r->gpus_applied = ex->vm_valid && gpus_as_desired(ex, &ex->vm);
    const char *name = vm_label(ex);
    if (!ex->vm_valid) {
        (void)snprintf(r->state_line, sizeof(r->state_line), "%s: its state could not be read",
                       name);
    } else if (ex->plan->kind == PLAN_GPU_CHANGE) {
        (void)snprintf(r->state_line, sizeof(r->state_line), "%s is %s; the GPU change is %s",
                       name, power_state_name(r->power),
                       r->gpus_applied ? "applied" : "not applied");
    } else {
        (void)snprintf(r->state_line, sizeof(r->state_line), "%s is %s", name,
                       power_state_name(r->power));
    }
}

static void finish(struct executor *ex)
{
    ex->finished = true;
    ex->phase = PH_IDLE;
    vm_lock_release(&ex->lock);
    ex->done(ex->ctx, &ex->result); /* may free ex: nothing after this */
}

static void finish_ok(struct executor *ex)
{
    struct gp_error jerr;
    gp_error_clear(&jerr);
    char *line = NULL;
    enum gp_status enc = journal_encode_op_end(ex->result.op_id, JOUT_DONE,
                                               loop_wall_time(ex->loop), &line);
    fill_state(ex);
    if (journal_line(ex, enc, line, &jerr) != GP_OK) {
        /* Every step is confirmed; only the closing record is missing. A later resume finds
         * every step done and just closes the operation. */
        ex->result.status = jerr.status;
        ex->result.err = jerr;
        gp_error_prefix(&ex->result.err, "the change is done but");
    } else {
        ex->result.status = GP_OK;
    }
    finish(ex);
}

static void finish_failure(struct executor *ex)
{
    struct exec_result *r = &ex->result;
    int64_t now = loop_wall_time(ex->loop);
    fill_state(ex);
    char *line = NULL;
    struct gp_error jerr;
    gp_error_clear(&jerr);
    enum gp_status enc = journal_encode_step_end(r->op_id, ex->step, JOUT_FAILED, &ex->step_err,
                                                 r->power, now, &line);
    if (journal_line(ex, enc, line, &jerr) == GP_OK) {
        enc = journal_encode_op_end(r->op_id, JOUT_FAILED, now, &line);
        /* A missing op-end leaves the operation unfinished, which resumes the same way. */
        (void)journal_line(ex, enc, line, &jerr);
    }
    const struct plan_step *s = cur(ex);
    struct recovery_input in = {
        .kind = ex->plan->kind,
        .failed_kind = s->kind,
        .vm_name = vm_label(ex),
        .n_desired = ex->plan->n_desired,
        .before = ex->plan->before.power,
        .now = r->power,
        .change_applied = r->gpus_applied,
    };
    r->n_offers = recovery_offers(&in, r->offers, RECOVERY_MAX_OFFERS);
    /* Partial only when this operation changed something: a VM someone else started since
     * the plan is not left so by us. */
    r->partial = r->steps_run > 0 && recovery_is_partial(&in);
    finish(ex);
}

/* Stops at the current step: err (may be NULL) is the client's line, the message is prefixed
 * with the step. need_read: learn the VM's real state first. */
static void fail_step(struct executor *ex, enum gp_status st, const struct gp_error *err,
                      bool need_read, const char *fmt, ...) GP_PRINTF(5, 6);

static void start_read(struct executor *ex, enum phase ph);

static void fail_step(struct executor *ex, enum gp_status st, const struct gp_error *err,
                      bool need_read, const char *fmt, ...)
{
    struct exec_result *r = &ex->result;
    if (err && err->status != GP_OK) {
        ex->step_err = *err;
    } else {
        gp_error_clear(&ex->step_err);
        ex->step_err.status = st;
    }
    if (fmt) {
        char extra[sizeof(ex->step_err.message)];
        va_list ap;
        va_start(ap, fmt);
        (void)vsnprintf(extra, sizeof(extra), fmt, ap); /* one line; cut is acceptable */
        va_end(ap);
        if (err && err->status != GP_OK)
            gp_error_prefix(&ex->step_err, "%s", extra);
        else
            (void)text_copy(ex->step_err.message, sizeof(ex->step_err.message), extra);
    }
    ex->step_err.status = st;
    r->status = st;
    r->err = ex->step_err;
    const struct plan_step *s = cur(ex);
    gp_error_prefix(&r->err, "step %zu/%zu %s %s", ex->step + 1, ex->plan->n_steps,
                    s->method ? s->method : "?", vm_label(ex));
    r->failed_step = ex->step;
    report(ex, ex->step, EXEC_FAILED, r->err.message);
    if (need_read)
        start_read(ex, PH_FINAL);
    else
        finish_failure(ex);
}

/* ---- the client's answers -------------------------------------------------------------- */

static void on_vm(void *arg, enum gp_status st, const struct vm *vm, const struct gp_error *err)
{
    struct executor *ex = arg;
    ex->in_flight = false;
    ex->ans_st = st;
    gp_error_clear(&ex->ans_err);
    if (err)
        ex->ans_err = *err;
    if (st == GP_OK && vm) {
        if (vm_copy(&ex->vm, vm) == GP_OK) {
            ex->vm_valid = true;
            ex->vm_fresh = true;
        } else {
            ex->ans_st = gp_error_set(&ex->ans_err, GP_E_NOMEM, "out of memory copying the VM");
        }
    } else if (st == GP_OK) {
        ex->ans_st = gp_error_set(&ex->ans_err, GP_E_FAILED, "the client returned no VM");
    } else if (ex->ans_err.status == GP_OK) {
        ex->ans_err.status = st;
    }
    if (ex->ans_st != GP_OK)
        ex->vm_valid = false; /* an older read is not the VM's real state: report unknown */
    schedule(ex, 0);
}

static void on_step(void *arg, enum gp_status st, const struct gp_error *err)
{
    struct executor *ex = arg;
    ex->in_flight = false;
    ex->ans_st = st;
    gp_error_clear(&ex->ans_err);
    if (err)
        ex->ans_err = *err;
    if (st != GP_OK && ex->ans_err.status == GP_OK)
        ex->ans_err.status = st;
    schedule(ex, 0);
}

static void start_read(struct executor *ex, enum phase ph)
{
    ex->phase = ph;
    ex->in_flight = true;
    gp_error_clear(&ex->ans_err);
    enum gp_status st = ex->ops->get_vm(ex->client, ex->plan->vm_id, on_vm, ex, &ex->ans_err);
    if (st != GP_OK) {
        ex->in_flight = false;
        ex->ans_st = st;
        ex->vm_valid = false;
        if (ex->ans_err.status == GP_OK)
            ex->ans_err.status = st;
        schedule(ex, 0);
    }
}

/* ---- steps ----------------------------------------------------------------------------- */

static void begin_step(struct executor *ex);

static void step_end(struct executor *ex, enum journal_outcome outcome, const char *detail)
{
    char *line = NULL;
    struct gp_error jerr;
    gp_error_clear(&jerr);
    enum gp_status enc = journal_encode_step_end(ex->result.op_id, ex->step, outcome, NULL,
                                                 ex->vm_valid ? ex->vm.power : POWER_UNKNOWN,
                                                 loop_wall_time(ex->loop), &line);
    if (journal_line(ex, enc, line, &jerr) != GP_OK) {
        fail_step(ex, jerr.status, &jerr, false, "%s, but",
                  outcome == JOUT_SKIPPED ? "skipped" : "done");
        return;
    }
    if (outcome == JOUT_SKIPPED)
        ex->result.steps_skipped++;
    report(ex, ex->step, outcome == JOUT_SKIPPED ? EXEC_SKIPPED : EXEC_DONE, detail);
    ex->step++;
    begin_step(ex);
}

static void act(struct executor *ex)
{
    const struct plan_step *s = cur(ex);
    char *line = NULL;
    struct gp_error jerr;
    gp_error_clear(&jerr);
    enum gp_status enc = journal_encode_step_begin(ex->result.op_id, ex->step,
                                                   loop_wall_time(ex->loop), &line);
    if (journal_line(ex, enc, line, &jerr) != GP_OK) {
        fail_step(ex, jerr.status, &jerr, false, "nothing was sent");
        return;
    }
    char detail[96];
    if (s->expect_power != POWER_UNKNOWN)
        (void)snprintf(detail, sizeof(detail), "waiting for %s",
                       power_state_name(s->expect_power));
    else
        (void)snprintf(detail, sizeof(detail), "waiting for the service");
    report(ex, ex->step, EXEC_RUNNING, detail);
    ex->phase = PH_RUN;
    ex->in_flight = true;
    ex->vm_fresh = false;
    ex->result.steps_run++;
    gp_error_clear(&ex->ans_err);
    enum gp_status st = ex->ops->run_step(ex->client, s, on_step, ex, &ex->ans_err);
    if (st != GP_OK) {
        ex->in_flight = false;
        ex->ans_st = st;
        if (ex->ans_err.status == GP_OK)
            ex->ans_err.status = st;
        schedule(ex, 0);
    }
}

static void begin_step(struct executor *ex)
{
    ex->step_t0 = loop_now_ms(ex->loop);
    if (ex->step >= ex->plan->n_steps) {
        if (!ex->vm_valid) { /* resume with every step confirmed: learn the state to report */
            start_read(ex, PH_FINAL);
            return;
        }
        finish_ok(ex);
        return;
    }
    ex->reads_left = ex->settle_reads;
    switch (cur(ex)->kind) {
    case STEP_CREATE_MACHINE:
    case STEP_CREATE_VMI:
        act(ex); /* PUT creates or updates: running it again changes nothing */
        return;
    case STEP_STOP:
    case STEP_PATCH_GPUS:
    case STEP_START:
    case STEP_RESTART:
    case PLAN_STEP_KIND_COUNT:
    default:
        report(ex, ex->step, EXEC_RUNNING, "checking the VM");
        start_read(ex, PH_PRECHECK);
        return;
    }
}

/* Waits and reads again while the VM is in transition. False when no read is left. */
static bool settle(struct executor *ex)
{
    if (ex->reads_left == 0)
        return false;
    ex->reads_left--;
    char detail[96];
    (void)snprintf(detail, sizeof(detail), "waiting for %s to settle (%s)", vm_label(ex),
                   ex->vm.provisioning == PROV_IN_PROGRESS ||
                           ex->vm.provisioning == PROV_ACCEPTED
                       ? provisioning_state_name(ex->vm.provisioning)
                       : power_state_name(ex->vm.power));
    report(ex, ex->step, EXEC_RUNNING, detail);
    ex->settle_pending = true;
    schedule(ex, ex->settle_interval_ms);
    return true;
}

/* The VM as read before a step: skip, act, or refuse a stale view. */
static void precheck(struct executor *ex)
{
    const struct plan_step *s = cur(ex);
    const struct vm *vm = &ex->vm;
    const char *name = vm_label(ex);
    if (ex->ans_st != GP_OK) {
        fail_step(ex, ex->ans_st, &ex->ans_err, false, "cannot read %s before the step; nothing "
                  "was sent", name);
        return;
    }
    if (vm_in_transition(vm)) {
        if (settle(ex))
            return;
        fail_step(ex, GP_E_TIMEOUT, NULL, false,
                  "%s is still %s / %s; nothing was sent", name, power_state_name(vm->power),
                  provisioning_state_name(vm->provisioning));
        return;
    }
    char detail[96];
    switch (s->kind) {
    case STEP_STOP:
        if (power_down(vm->power)) {
            (void)snprintf(detail, sizeof(detail), "already %s", power_state_name(vm->power));
            step_end(ex, JOUT_SKIPPED, detail);
            return;
        }
        break;
    case STEP_START:
        if (vm->power == POWER_RUNNING) {
            step_end(ex, JOUT_SKIPPED, "already Running");
            return;
        }
        break;
    case STEP_RESTART:
        /* Begun before a crash and running now: the restart happened (or is moot). */
        if (ex->begun_before[ex->step] && vm->power == POWER_RUNNING) {
            step_end(ex, JOUT_SKIPPED, "already Running");
            return;
        }
        break;
    case STEP_PATCH_GPUS:
        if (gpus_as_desired(ex, vm)) {
            step_end(ex, JOUT_SKIPPED, "the GPUs are already as desired");
            return;
        }
        if (!power_down(vm->power)) {
            fail_step(ex, GP_E_FAILED, NULL, false,
                      "%s is %s, but the service changes GPUs only on a stopped VM; it changed "
                      "since the plan, so nothing was sent: plan again",
                      name, power_state_name(vm->power));
            return;
        }
        if (ex->plan->before.gpus_present &&
            !gpu_lists_equal(vm->gpus, vm->n_gpus, ex->plan->before.gpus,
                             ex->plan->before.n_gpus)) {
            char now[96];
            fail_step(ex, GP_E_FAILED, NULL, false,
                      "the GPUs of %s changed since the plan (now %s), so nothing was sent: "
                      "plan again",
                      name, vm_gpu_summary(vm, false, now, sizeof(now)));
            return;
        }
        break;
    case STEP_CREATE_MACHINE:
    case STEP_CREATE_VMI:
    case PLAN_STEP_KIND_COUNT:
    default:
        break;
    }
    act(ex);
}

static void confirm(struct executor *ex)
{
    const struct plan_step *s = cur(ex);
    const struct vm *vm = &ex->vm;
    if (ex->ans_st != GP_OK) {
        fail_step(ex, ex->ans_st, &ex->ans_err, false,
                  "the request finished but %s could not be read back", vm_label(ex));
        return;
    }
    bool power_ok = s->expect_power == POWER_UNKNOWN || vm->power == s->expect_power ||
                    (s->expect_power == POWER_STOPPED && vm->power == POWER_DEALLOCATED);
    bool gpus_ok = !s->expect_gpus || gpus_as_desired(ex, vm);
    if (power_ok && gpus_ok) {
        step_end(ex, JOUT_DONE, NULL);
        return;
    }
    if (vm_in_transition(vm) && settle(ex))
        return;
    if (!power_ok) {
        fail_step(ex, GP_E_FAILED, NULL, false, "%s is %s after the step, expected %s",
                  vm_label(ex), power_state_name(vm->power), power_state_name(s->expect_power));
        return;
    }
    char now[96];
    fail_step(ex, GP_E_FAILED, NULL, false,
              "the GPUs of %s read back as %s, not the desired list", vm_label(ex),
              vm_gpu_summary(vm, false, now, sizeof(now)));
}

static void after_step(struct executor *ex)
{
    const struct plan_step *s = cur(ex);
    if (ex->ans_st != GP_OK) {
        fail_step(ex, ex->ans_st, &ex->ans_err, true, NULL);
        return;
    }
    if (s->expect_power == POWER_UNKNOWN && !s->expect_gpus) {
        step_end(ex, JOUT_DONE, NULL);
        return;
    }
    report(ex, ex->step, EXEC_RUNNING, "confirming");
    start_read(ex, PH_CONFIRM);
}

static void timer_fire(void *arg)
{
    struct executor *ex = arg;
    ex->timer = 0;
    if (ex->finished || ex->in_flight)
        return; /* in flight: cannot happen, a timer is set only once the answer is in */
    switch (ex->phase) {
    case PH_PRECHECK:
    case PH_CONFIRM:
        if (ex->settle_pending) {
            ex->settle_pending = false;
            start_read(ex, ex->phase);
        } else if (ex->phase == PH_PRECHECK) {
            precheck(ex);
        } else {
            confirm(ex);
        }
        return;
    case PH_RUN:
        after_step(ex);
        return;
    case PH_FINAL:
        if (ex->result.failed_step == SIZE_MAX && ex->result.status == GP_OK)
            finish_ok(ex);
        else
            finish_failure(ex);
        return;
    case PH_IDLE:
    default:
        begin_step(ex);
        return;
    }
}

/* ---- API ------------------------------------------------------------------------------- */

static void make_op_id(struct executor *ex, char *out, size_t n)
{
    static unsigned counter;
    time_t t = (time_t)loop_wall_time(ex->loop);
    struct tm tm;
    char stamp[32] = "00000000T000000Z";
    if (gmtime_r(&t, &tm))
        (void)strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
    (void)snprintf(out, n, "%s-%lx-%u", stamp, (unsigned long)getpid(), ++counter);
}

/* A new executor, or NULL when out of memory. */
static struct executor *exec_new(struct gp_loop *loop, const struct exec_client_ops *ops,
                                 void *client, exec_journal_fn journal, void *journal_ctx,
                                 const struct exec_options *opt, exec_progress_fn progress,
                                 exec_done_fn done, void *ctx)
{
    /* Programmer errors: every caller has a loop, a client, a journal and a callback. */
    assert(loop && ops && ops->get_vm && ops->run_step && journal && done);
    struct executor *ex = calloc(1, sizeof(*ex));
    if (!ex)
        return NULL;
    ex->loop = loop;
    ex->ops = ops;
    ex->client = client;
    ex->journal = journal;
    ex->journal_ctx = journal_ctx;
    ex->progress = progress;
    ex->done = done;
    ex->ctx = ctx;
    ex->lock.fd = -1;
    plan_init(&ex->owned_plan);
    vm_init(&ex->vm);
    ex->settle_reads = opt && opt->settle_reads ? opt->settle_reads : SETTLE_READS_DEFAULT;
    ex->settle_interval_ms =
        opt && opt->settle_interval_ms ? opt->settle_interval_ms : SETTLE_INTERVAL_DEFAULT_MS;
    ex->result.failed_step = SIZE_MAX;
    ex->result.power = POWER_UNKNOWN;
    ex->t0 = loop_now_ms(loop);
    ex->step_t0 = ex->t0;
    return ex;
}

static enum gp_status check_plan(const struct plan *p, struct gp_error *err)
{
    if (!p || !p->vm_id || p->n_steps == 0)
        return gp_error_set(err, GP_E_INVALID, "executor: the plan has no VM or no steps");
    if (p->n_steps > JOURNAL_MAX_STEPS)
        return gp_error_set(err, GP_E_INVALID, "executor: the plan has %zu steps, at most %u",
                            p->n_steps, JOURNAL_MAX_STEPS);
    return GP_OK;
}

static enum gp_status take_lock(struct executor *ex, const struct exec_options *opt,
                                struct gp_error *err)
{
    if (opt && opt->no_lock)
        return GP_OK;
    return vm_lock_acquire(&ex->lock, opt ? opt->state_dir : NULL, ex->plan->vm_id,
                           ex->plan->vm_name, NULL, err);
}

/* Once the lock is held, the journal is read again: it must not hold another unfinished
 * operation on this VM (a killed gpup's: a change on top of it would be undone or redone by its
 * resume), and an operation being resumed must still be resumable and not superseded by a newer
 * one on the same VM (resuming it would undo the newer change). Skipped with no_lock (tests). */
static enum gp_status check_journal(struct executor *ex, const struct exec_options *opt,
                                    const char *resuming, struct gp_error *err)
{
    if (opt && opt->no_lock)
        return GP_OK;
    struct journal_ops ops;
    GP_TRY(journal_file_load(opt ? opt->state_dir : NULL, loop_wall_time(ex->loop), &ops, err));
    const char *name = vm_label(ex);
    size_t self = SIZE_MAX;
    for (size_t i = 0; resuming && i < ops.n; i++)
        if (strcmp(ops.ops[i].id, resuming) == 0)
            self = i;
    enum gp_status st = GP_OK;
    char what[256];
    if (self != SIZE_MAX && !journal_op_needs_attention(&ops.ops[self]))
        st = gp_error_set(err, GP_E_INVALID, "operation %s is %s (finished meanwhile); there "
                          "is nothing to resume", resuming,
                          journal_op_state_name(ops.ops[self].state));
    for (size_t i = 0; i < ops.n && st == GP_OK; i++) {
        const struct journal_op *o = &ops.ops[i];
        if (i == self || !o->vm_id || !str_ieq(o->vm_id, ex->plan->vm_id))
            continue;
        if (o->state == JOP_UNFINISHED)
            st = gp_error_set(err, GP_E_BUSY, "%s has an unfinished operation in the journal "
                              "(%s); finish it first: gpup ops resume %s", name,
                              journal_op_describe(o, what, sizeof(what)), o->id);
        else if (self != SIZE_MAX && i > self && o->state != JOP_ABANDONED)
            st = gp_error_set(err, GP_E_INVALID, "operation %s on %s was superseded by the "
                              "newer operation %s (%s); resuming it would undo that change: "
                              "gpup ops abandon %s", resuming, name, o->id,
                              journal_op_state_name(o->state), resuming);
    }
    journal_ops_cleanup(&ops);
    return st;
}

/* Progress for every step, then the first transition from the loop. */
static enum gp_status exec_go(struct executor *ex, size_t start, struct gp_error *err)
{
    const struct plan *p = ex->plan;
    ex->result.n_steps = p->n_steps;
    ex->step = start;
    for (size_t i = 0; i < p->n_steps; i++)
        report(ex, i, i < start ? EXEC_DONE : EXEC_PENDING, i < start ? "done before" : "");
    ex->phase = PH_IDLE;
    ex->timer = loop_timer_add(ex->loop, 0, timer_fire, ex);
    if (ex->timer == 0)
        return gp_error_set(err, GP_E_NOMEM, "out of memory starting the operation");
    return GP_OK;
}

enum gp_status exec_start(struct gp_loop *loop, const struct exec_client_ops *ops, void *client,
                          exec_journal_fn journal, void *journal_ctx, const struct plan *plan,
                          const struct exec_options *opt, exec_progress_fn progress,
                          exec_done_fn done, void *ctx, struct executor **out,
                          struct gp_error *err)
{
    *out = NULL;
    GP_TRY(check_plan(plan, err));
    struct executor *ex =
        exec_new(loop, ops, client, journal, journal_ctx, opt, progress, done, ctx);
    if (!ex)
        return gp_error_set(err, GP_E_NOMEM, "out of memory starting the operation");
    ex->plan = plan;
    enum gp_status st = GP_OK;
    if (opt && opt->op_id) {
        size_t n = strspn(opt->op_id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                      "0123456789-_.");
        if (n == 0 || opt->op_id[n] != '\0' || n >= sizeof(ex->result.op_id)) {
            st = gp_error_set(err, GP_E_INVALID, "executor: operation id \"%.60s\" is not valid",
                              opt->op_id);
            goto fail;
        }
        memcpy(ex->result.op_id, opt->op_id, n + 1);
    } else {
        make_op_id(ex, ex->result.op_id, sizeof(ex->result.op_id));
    }
    st = take_lock(ex, opt, err);
    if (st == GP_OK)
        st = check_journal(ex, opt, NULL, err);
    if (st != GP_OK)
        goto fail;
    struct journal_op op;
    st = journal_op_from_plan(&op, ex->result.op_id, plan, loop_wall_time(loop), err);
    if (st != GP_OK)
        goto fail;
    char *line = NULL;
    enum gp_status enc = journal_encode_op_begin(&op, &line);
    journal_op_cleanup(&op);
    st = journal_line(ex, enc, line, err);
    if (st != GP_OK) {
        gp_error_prefix(err, "nothing was sent");
        goto fail;
    }
    st = exec_go(ex, 0, err);
    if (st != GP_OK)
        goto fail;
    *out = ex;
    return GP_OK;
fail:
    exec_free(ex);
    return st;
}

enum gp_status exec_resume(struct gp_loop *loop, const struct exec_client_ops *ops, void *client,
                           exec_journal_fn journal, void *journal_ctx, const struct journal_op *op,
                           const struct exec_options *opt, exec_progress_fn progress,
                           exec_done_fn done, void *ctx, struct executor **out,
                           struct gp_error *err)
{
    *out = NULL;
    if (op->state == JOP_DONE || op->state == JOP_ABANDONED)
        return gp_error_set(err, GP_E_INVALID, "operation %s is %s; there is nothing to resume",
                            op->id, journal_op_state_name(op->state));
    struct executor *ex =
        exec_new(loop, ops, client, journal, journal_ctx, opt, progress, done, ctx);
    if (!ex)
        return gp_error_set(err, GP_E_NOMEM, "out of memory starting the operation");
    (void)text_copy(ex->result.op_id, sizeof(ex->result.op_id), op->id); /* same bound */
    enum gp_status st = journal_op_to_plan(op, &ex->owned_plan, err);
    ex->owns_plan = true;
    ex->plan = &ex->owned_plan;
    if (st == GP_OK)
        st = check_plan(ex->plan, err);
    if (st != GP_OK)
        goto fail;
    for (size_t i = 0; i < op->n_steps; i++)
        ex->begun_before[i] = op->steps[i].begun;
    st = take_lock(ex, opt, err);
    if (st == GP_OK)
        st = check_journal(ex, opt, op->id, err);
    if (st == GP_OK)
        st = exec_go(ex, op->next_step < op->n_steps ? op->next_step : op->n_steps, err);
    if (st != GP_OK)
        goto fail;
    *out = ex;
    return GP_OK;
fail:
    exec_free(ex);
    return st;
}

static void stop_activity(struct executor *ex)
{
    if (ex->in_flight && ex->ops->cancel)
        ex->ops->cancel(ex->client, ex);
    ex->in_flight = false;
    if (ex->timer)
        loop_timer_cancel(ex->loop, ex->timer);
    ex->timer = 0;
}

void exec_cancel(struct executor *ex)
{
    if (!ex || ex->finished)
        return;
    stop_activity(ex);
    struct exec_result *r = &ex->result;
    size_t shown = ex->step < ex->plan->n_steps ? ex->step + 1 : ex->plan->n_steps;
    r->status = gp_error_set(&r->err, GP_E_CANCELED,
                             "interrupted at step %zu/%zu; the operation is unfinished: "
                             "gpup ops resume %s",
                             shown, ex->plan->n_steps, r->op_id);
    fill_state(ex);
    finish(ex);
}

void exec_free(struct executor *ex)
{
    if (!ex)
        return;
    if (!ex->finished)
        stop_activity(ex);
    vm_lock_release(&ex->lock);
    vm_cleanup(&ex->vm);
    if (ex->owns_plan)
        plan_cleanup(&ex->owned_plan);
    free(ex);
}

const char *exec_op_id(const struct executor *ex)
{
    return ex->result.op_id;
}

enum gp_status exec_journal_abandon(exec_journal_fn journal, void *journal_ctx, const char *op_id,
                                    int64_t now, struct gp_error *err)
{
    char *line = NULL;
    enum gp_status st = journal_encode_op_end(op_id, JOUT_ABANDONED, now, &line);
    if (st != GP_OK)
        return gp_error_set(err, st, "cannot encode a journal record");
    st = journal(journal_ctx, line, err);
    free(line);
    return st;
}
