/* SPDX-License-Identifier: MIT
 * tui/ops.c: the console's operation manager: executors started with a wrapped client and a
 * journal tee, operations kept for screens, notifications, status line counts. */
#include "tui/ops.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "model/journal.h"
#include "model/recovery.h"
#include "model/text.h"
#include "tui/app.h"

#define OPS_TEE_MAX (256u * 1024u)
#define OPS_MAX_OPS (OPS_KEEP_FINISHED + 64)

struct ops_watcher {
    ops_watch_fn fn;
    void *ctx;
};

struct ops {
    struct app *app;
    struct gp_loop *loop;

    const struct exec_client_ops *client_ops;
    void *client;
    exec_journal_fn journal;
    void *journal_ctx;
    struct exec_options exec_opt;

    const struct cluster *cluster;
    struct cluster empty_cluster;
    struct plan_options plan_opt;

    int64_t (*wall)(void *ctx);
    void *wall_ctx;

    struct op *ops[OPS_MAX_OPS]; /* oldest first */
    size_t n_ops;
    unsigned serial;

    struct op_note *notes; /* ring of OPS_MAX_NOTES */
    size_t n_notes, note_head; /* note_head: where the next one goes */
    unsigned unseen;

    struct ops_watcher watchers[OPS_MAX_WATCHERS];
    size_t n_watchers;
};

/* --- small helpers ------------------------------------------------------------------------- */

static int64_t ops_wall(const struct ops *o)
{
    return o->wall ? o->wall(o->wall_ctx) : loop_wall_time(o->loop);
}

const char *ops_format_duration(uint64_t ms, char *buf, size_t n)
{
    uint64_t s = ms / 1000u;
    if (s < 60)
        (void)snprintf(buf, n, "%us", (unsigned)s);
    else if (s < 3600)
        (void)snprintf(buf, n, "%um%02us", (unsigned)(s / 60), (unsigned)(s % 60));
    else
        (void)snprintf(buf, n, "%uh%02um", (unsigned)(s / 3600), (unsigned)(s % 3600 / 60));
    return buf;
}

static void update_counts(struct ops *o)
{
    if (o->app)
        app_set_counts(o->app, ops_running(o), o->unseen);
}

static void notify_watchers(struct ops *o, const struct op *op)
{
    /* Copy: a watcher may unwatch itself. */
    struct ops_watcher w[OPS_MAX_WATCHERS];
    size_t n = o->n_watchers;
    memcpy(w, o->watchers, n * sizeof(w[0]));
    for (size_t i = 0; i < n; i++)
        w[i].fn(w[i].ctx, op);
}

static void op_free(struct op *op)
{
    if (!op)
        return;
    exec_free(op->ex);
    plan_cleanup(&op->plan);
    vm_cleanup(&op->live);
    gp_buf_cleanup(&op->tee);
    free(op);
}

/* --- construction -------------------------------------------------------------------------- */

struct ops *ops_new(struct app *app, struct gp_loop *loop)
{
    struct ops *o = calloc(1, sizeof(*o));
    if (!o)
        return NULL;
    o->notes = calloc(OPS_MAX_NOTES, sizeof(*o->notes));
    if (!o->notes) {
        free(o);
        return NULL;
    }
    o->app = app;
    o->loop = loop;
    cluster_init(&o->empty_cluster);
    o->cluster = &o->empty_cluster;
    return o;
}

void ops_free(struct ops *o)
{
    if (!o)
        return;
    for (size_t i = 0; i < o->n_ops; i++)
        op_free(o->ops[i]);
    cluster_cleanup(&o->empty_cluster);
    free(o->notes);
    free(o);
}

void ops_set_client(struct ops *o, const struct exec_client_ops *client_ops, void *client,
                    exec_journal_fn journal, void *journal_ctx, const struct exec_options *opt)
{
    o->client_ops = client_ops;
    o->client = client;
    o->journal = journal;
    o->journal_ctx = journal_ctx;
    if (opt)
        o->exec_opt = *opt;
    else
        memset(&o->exec_opt, 0, sizeof(o->exec_opt));
    o->exec_opt.op_id = NULL;
}

void ops_set_context(struct ops *o, const struct cluster *cluster, const struct plan_options *opt)
{
    o->cluster = cluster ? cluster : &o->empty_cluster;
    if (opt)
        o->plan_opt = *opt;
}

const struct cluster *ops_cluster(const struct ops *o)
{
    return o->cluster;
}

bool ops_cluster_view(const struct cluster *c, const char *custom_location,
                      struct cluster *out_view)
{
    if (!c || !custom_location || !custom_location[0] || c->n_hosts == 0)
        return false;
    for (size_t i = 0; i < c->n_hosts; i++)
        if (c->hosts[i].custom_location && str_ieq(c->hosts[i].custom_location, custom_location))
            return false;
    const char *p = strstr(custom_location, "/resourceGroups/");
    if (!p)
        p = strstr(custom_location, "/resourcegroups/");
    if (!p)
        return false;
    p += strlen("/resourceGroups/");
    char rg[128];
    size_t n = strcspn(p, "/");
    if (n == 0 || n >= sizeof(rg))
        return false;
    memcpy(rg, p, n);
    rg[n] = '\0';
    struct host *hosts = calloc(c->n_hosts, sizeof(*hosts));
    if (!hosts)
        return false;
    size_t tagged = 0;
    for (size_t i = 0; i < c->n_hosts; i++) {
        hosts[i] = c->hosts[i];
        if (!hosts[i].custom_location && hosts[i].resource_group &&
            str_ieq(hosts[i].resource_group, rg)) {
            hosts[i].custom_location = (char *)(uintptr_t)custom_location;
            tagged++;
        }
    }
    if (tagged == 0) {
        free(hosts);
        return false;
    }
    *out_view = *c;
    out_view->hosts = hosts;
    return true;
}

void ops_cluster_view_free(struct cluster *view)
{
    free(view->hosts); /* the hosts' strings are borrowed */
    view->hosts = NULL;
    view->n_hosts = 0;
}

const struct plan_options *ops_plan_options(const struct ops *o)
{
    return &o->plan_opt;
}

struct app *ops_app(const struct ops *o)
{
    return o->app;
}

struct gp_loop *ops_loop(const struct ops *o)
{
    return o->loop;
}

void ops_set_wall_clock(struct ops *o, int64_t (*now)(void *ctx), void *ctx)
{
    o->wall = now;
    o->wall_ctx = ctx;
}

void ops_watch(struct ops *o, ops_watch_fn fn, void *ctx)
{
    if (o->n_watchers < OPS_MAX_WATCHERS)
        o->watchers[o->n_watchers++] = (struct ops_watcher){fn, ctx};
}

void ops_unwatch(struct ops *o, ops_watch_fn fn, void *ctx)
{
    for (size_t i = 0; i < o->n_watchers; i++) {
        if (o->watchers[i].fn == fn && o->watchers[i].ctx == ctx) {
            memmove(&o->watchers[i], &o->watchers[i + 1],
                    (o->n_watchers - i - 1) * sizeof(o->watchers[0]));
            o->n_watchers--;
            return;
        }
    }
}

void ops_hold(struct op *op)
{
    op->holds++;
}

void ops_release(struct op *op)
{
    if (op->holds)
        op->holds--;
}

/* --- queries ------------------------------------------------------------------------------- */

unsigned ops_running(const struct ops *o)
{
    unsigned n = 0;
    for (size_t i = 0; i < o->n_ops; i++)
        n += o->ops[i]->state == OP_RUNNING;
    return n;
}

const struct op *ops_find_running(const struct ops *o, const char *vm_id)
{
    if (!vm_id)
        return NULL;
    for (size_t i = 0; i < o->n_ops; i++) {
        const struct op *op = o->ops[i];
        if (op->state == OP_RUNNING && str_ieq(op->vm_id, vm_id))
            return op;
    }
    return NULL;
}

const char *ops_vm_step(const struct ops *o, const char *vm_id, char *buf, size_t n)
{
    const struct op *op = ops_find_running(o, vm_id);
    if (!op || n == 0)
        return NULL;
    const char *method = op->current < op->plan.n_steps ? op->plan.steps[op->current].method
                                                        : "";
    (void)snprintf(buf, n, "step %zu/%zu %s", op->current + 1, op->n_steps, method);
    return buf;
}

const char *ops_vm_step_cb(void *ctx, const char *vm_id, char *buf, size_t n)
{
    return ops_vm_step(ctx, vm_id, buf, n);
}

size_t ops_note_count(const struct ops *o)
{
    return o->n_notes;
}

const struct op_note *ops_note(const struct ops *o, size_t index)
{
    if (index >= o->n_notes)
        return NULL;
    size_t slot = (o->note_head + OPS_MAX_NOTES - 1 - index) % OPS_MAX_NOTES;
    return &o->notes[slot];
}

void ops_notes_seen(struct ops *o)
{
    if (o->unseen) {
        o->unseen = 0;
        update_counts(o);
    }
}

unsigned ops_notes_unseen(const struct ops *o)
{
    return o->unseen;
}

static struct op_note *note_add(struct ops *o)
{
    struct op_note *n = &o->notes[o->note_head];
    memset(n, 0, sizeof(*n));
    o->note_head = (o->note_head + 1) % OPS_MAX_NOTES;
    if (o->n_notes < OPS_MAX_NOTES)
        o->n_notes++;
    o->unseen++;
    return n;
}

/* --- the client wrapper: every VM read becomes the operation's live view ------------------- */

static void wrap_get_done(void *ctx, enum gp_status st, const struct vm *vm,
                          const struct gp_error *err)
{
    struct op *op = ctx;
    exec_vm_done_fn done = op->get_done;
    void *dctx = op->call_ctx;
    op->get_done = NULL;
    if (st == GP_OK && vm) {
        struct vm copy;
        vm_init(&copy);
        if (vm_copy(&copy, vm) == GP_OK) {
            vm_cleanup(&op->live);
            op->live = copy;
            op->live_known = true;
        } else {
            vm_cleanup(&copy);
        }
    }
    if (done)
        done(dctx, st, vm, err);
    if (st == GP_OK && vm)
        notify_watchers(op->owner, op);
}

static enum gp_status wrap_get_vm(void *client, const char *vm_id, exec_vm_done_fn done,
                                  void *ctx, struct gp_error *err)
{
    struct op *op = client;
    struct ops *o = op->owner;
    op->get_done = done;
    op->call_ctx = ctx;
    enum gp_status st = o->client_ops->get_vm(o->client, vm_id, wrap_get_done, op, err);
    if (st != GP_OK)
        op->get_done = NULL;
    return st;
}

static void wrap_step_done(void *ctx, enum gp_status st, const struct gp_error *err)
{
    struct op *op = ctx;
    exec_step_done_fn done = op->step_done;
    void *dctx = op->call_ctx;
    op->step_done = NULL;
    if (done)
        done(dctx, st, err);
}

static enum gp_status wrap_run_step(void *client, const struct plan_step *step,
                                    exec_step_done_fn done, void *ctx, struct gp_error *err)
{
    struct op *op = client;
    struct ops *o = op->owner;
    op->step_done = done;
    op->call_ctx = ctx;
    enum gp_status st = o->client_ops->run_step(o->client, step, wrap_step_done, op, err);
    if (st != GP_OK)
        op->step_done = NULL;
    return st;
}

static void wrap_cancel(void *client, void *ctx)
{
    struct op *op = client;
    struct ops *o = op->owner;
    (void)ctx; /* this op's executor: its calls reach the client with op as their ctx */
    op->get_done = NULL;
    op->step_done = NULL;
    if (o->client_ops->cancel)
        o->client_ops->cancel(o->client, op);
}

static const struct exec_client_ops wrap_ops = {wrap_get_vm, wrap_run_step, wrap_cancel};

/* The journal tee: the operation's own lines are kept for a retry. */
static enum gp_status tee_journal(void *ctx, const char *line, struct gp_error *err)
{
    struct op *op = ctx;
    struct ops *o = op->owner;
    if (o->journal) {
        enum gp_status st = o->journal(o->journal_ctx, line, err);
        if (st != GP_OK)
            return st;
    }
    if (gp_buf_append_str(&op->tee, line) != GP_OK)
        gp_buf_reset(&op->tee); /* past the cap: a retry is then refused, nothing else */
    return GP_OK;
}

/* --- executor callbacks -------------------------------------------------------------------- */

static void on_progress(void *ctx, const struct exec_progress *p)
{
    struct op *op = ctx;
    struct ops *o = op->owner;
    if (p->index >= OPS_MAX_STEPS)
        return;
    if (p->n_steps <= OPS_MAX_STEPS && p->n_steps > op->n_steps)
        op->n_steps = p->n_steps;
    struct op_step *s = &op->steps[p->index];
    uint64_t now = loop_now_ms(o->loop);
    if (p->state == EXEC_RUNNING && s->state != EXEC_RUNNING)
        s->started_ms = now >= p->step_ms ? now - p->step_ms : now;
    s->state = p->state;
    if (p->state != EXEC_RUNNING && p->state != EXEC_PENDING)
        s->ms = p->step_ms;
    if (p->summary && p->summary[0])
        text_sanitize(s->summary, sizeof(s->summary), p->summary);
    text_sanitize(s->detail, sizeof(s->detail), p->detail ? p->detail : "");
    op->current = p->index;
    notify_watchers(o, op);
}

static void record_note(struct ops *o, const struct op *op)
{
    struct op_note *n = note_add(o);
    (void)text_copy(n->operation, sizeof(n->operation), op->title);
    (void)text_copy(n->vm, sizeof(n->vm), op->vm_name);
    n->duration_ms = op->ended_ms - op->started_ms;
    n->when = op->ended_wall;
    const struct exec_result *r = &op->result;
    switch (op->state) {
    case OP_DONE:
        (void)text_copy(n->outcome, sizeof(n->outcome), "done");
        break;
    case OP_CANCELED:
        (void)text_copy(n->outcome, sizeof(n->outcome), "interrupted");
        n->failed = true;
        break;
    case OP_FAILED:
    case OP_RUNNING:
    default:
        (void)text_copy(n->outcome, sizeof(n->outcome), "failed");
        n->failed = true;
        break;
    }
    if (n->failed) {
        text_sanitize(n->error, sizeof(n->error), r->err.message);
        text_sanitize(n->request_id, sizeof(n->request_id), r->err.request_id);
        text_sanitize(n->correlation_id, sizeof(n->correlation_id), r->err.correlation_id);
    }
    text_sanitize(n->state_line, sizeof(n->state_line), r->state_line);
}

static void on_done(void *ctx, const struct exec_result *r)
{
    struct op *op = ctx;
    struct ops *o = op->owner;
    op->result = *r;
    op->has_result = true;
    op->ended_ms = loop_now_ms(o->loop);
    op->ended_wall = ops_wall(o);
    op->state = r->status == GP_OK ? OP_DONE
                : r->status == GP_E_CANCELED ? OP_CANCELED
                                             : OP_FAILED;
    if (r->failed_step < OPS_MAX_STEPS)
        op->current = r->failed_step;
    if (r->power != POWER_UNKNOWN && op->live_known)
        op->live.power = r->power;
    if (op->ex) {
        exec_free(op->ex);
        op->ex = NULL;
    } else {
        op->done_early = true;
    }
    record_note(o, op);
    if (op->state != OP_DONE && o->app)
        app_flash(o->app, true, "%s %s failed: %s", op->title, op->vm_name,
                  op->result.err.message);
    update_counts(o);
    notify_watchers(o, op);
}

/* --- starting ------------------------------------------------------------------------------ */

/* Drops the oldest finished operations nobody holds, keeping OPS_KEEP_FINISHED. */
static void evict(struct ops *o)
{
    size_t finished = 0;
    for (size_t i = 0; i < o->n_ops; i++)
        finished += o->ops[i]->state != OP_RUNNING;
    for (size_t i = 0; i < o->n_ops && (finished >= OPS_KEEP_FINISHED || o->n_ops == OPS_MAX_OPS);) {
        struct op *op = o->ops[i];
        if (op->state != OP_RUNNING && op->holds == 0) {
            op_free(op);
            memmove(&o->ops[i], &o->ops[i + 1], (o->n_ops - i - 1) * sizeof(o->ops[0]));
            o->n_ops--;
            finished--;
        } else {
            i++;
        }
    }
}

static struct op *op_new(struct ops *o, struct plan *plan, const char *title)
{
    struct op *op = calloc(1, sizeof(*op));
    if (!op)
        return NULL;
    op->owner = o;
    op->serial = ++o->serial;
    (void)text_copy(op->title, sizeof(op->title), title ? title : "Operation");
    text_sanitize(op->vm_name, sizeof(op->vm_name), plan->vm_name ? plan->vm_name : "");
    (void)text_copy(op->vm_id, sizeof(op->vm_id), plan->vm_id ? plan->vm_id : "");
    op->plan = *plan;
    plan_init(plan);
    vm_init(&op->live);
    gp_buf_init(&op->tee, OPS_TEE_MAX);
    op->n_steps = op->plan.n_steps < OPS_MAX_STEPS ? op->plan.n_steps : OPS_MAX_STEPS;
    for (size_t i = 0; i < op->n_steps; i++) {
        op->steps[i].state = EXEC_PENDING;
        text_sanitize(op->steps[i].summary, sizeof(op->steps[i].summary),
                      op->plan.steps[i].summary ? op->plan.steps[i].summary : "");
    }
    op->state = OP_RUNNING;
    op->started_ms = loop_now_ms(o->loop);
    op->started_wall = ops_wall(o);
    op->live.power = op->plan.before.power;
    return op;
}

/* Common tail of start and resume: the executor was started (or failed to). */
static enum gp_status op_launched(struct ops *o, struct op *op, enum gp_status st,
                                  struct executor *ex, struct op **out)
{
    if (st != GP_OK) {
        op_free(op);
        return st;
    }
    op->ex = ex;
    if (op->done_early) {
        exec_free(op->ex);
        op->ex = NULL;
    }
    o->ops[o->n_ops++] = op;
    update_counts(o);
    notify_watchers(o, op);
    if (out)
        *out = op;
    return GP_OK;
}

static enum gp_status check_can_start(struct ops *o, const struct plan *plan,
                                      struct gp_error *err)
{
    if (!o->client_ops)
        return gp_error_set(err, GP_E_CONFIG, "no connection to the service");
    if (plan->vm_id && ops_find_running(o, plan->vm_id))
        return gp_error_set(err, GP_E_BUSY, "an operation on %s is already running",
                            plan->vm_name ? plan->vm_name : "this VM");
    evict(o);
    if (o->n_ops == OPS_MAX_OPS)
        return gp_error_set(err, GP_E_BUSY, "too many operations running");
    return GP_OK;
}

/* A fresh operation id: "20261125T090722Z-1a2b-3". */
static void make_op_id(struct ops *o, unsigned serial, char *buf, size_t n)
{
    time_t t = (time_t)ops_wall(o);
    struct tm tm;
    char when[32] = "00000000T000000Z";
    if (gmtime_r(&t, &tm))
        (void)strftime(when, sizeof(when), "%Y%m%dT%H%M%SZ", &tm);
    (void)snprintf(buf, n, "%s-%04x-%u", when, (unsigned)getpid() & 0xffffu, serial);
}

enum gp_status ops_start(struct ops *o, struct plan *plan, const char *title, struct op **out,
                         struct gp_error *err)
{
    if (out)
        *out = NULL;
    GP_TRY(check_can_start(o, plan, err));
    if (plan->n_steps == 0)
        return gp_error_set(err, GP_E_INVALID, "%s", plan->impact[0] ? plan->impact
                                                                     : "nothing to do");
    struct op *op = op_new(o, plan, title);
    if (!op)
        return gp_error_set(err, GP_E_NOMEM, "out of memory");
    char id[JOURNAL_ID_MAX];
    make_op_id(o, op->serial, id, sizeof(id));
    struct exec_options opt = o->exec_opt;
    opt.op_id = id;
    struct executor *ex = NULL;
    enum gp_status st = exec_start(o->loop, &wrap_ops, op, tee_journal, op, &op->plan, &opt,
                                   on_progress, on_done, op, &ex, err);
    return op_launched(o, op, st, ex, out);
}

/* Runs exec_resume for jop as a new operation. tee: journal lines the new operation starts
 * with (its own earlier records), or NULL. before / after: views for the screens, or NULL. */
static enum gp_status resume_op(struct ops *o, const struct journal_op *jop, const char *title,
                                const char *tee, const struct plan *views, struct op **out,
                                struct gp_error *err)
{
    assert(jop);
    struct plan plan;
    plan_init(&plan);
    enum gp_status st = journal_op_to_plan(jop, &plan, err);
    if (st == GP_OK && views) {
        /* Keep the before and after views of the original plan for the screens. */
        vm_cleanup(&plan.before);
        vm_cleanup(&plan.after);
        st = vm_copy(&plan.before, &views->before);
        if (st == GP_OK)
            st = vm_copy(&plan.after, &views->after);
        if (st != GP_OK)
            gp_error_set(err, st, "out of memory");
        plan.downtime = views->downtime;
        memcpy(plan.impact, views->impact, sizeof(plan.impact));
    }
    struct op *op = NULL;
    if (st == GP_OK) {
        op = op_new(o, &plan, title);
        if (!op)
            st = gp_error_set(err, GP_E_NOMEM, "out of memory");
    }
    if (op && tee && gp_buf_append(&op->tee, tee, strlen(tee)) != GP_OK)
        gp_buf_reset(&op->tee);
    if (st == GP_OK) {
        assert(op); /* st is GP_OK only when op_new gave one */
        /* Steps already confirmed show as done. */
        for (size_t i = 0; i < jop->n_steps && i < op->n_steps && i < jop->next_step; i++)
            op->steps[i].state = jop->steps[i].outcome == JOUT_SKIPPED ? EXEC_SKIPPED
                                                                       : EXEC_DONE;
        struct exec_options opt = o->exec_opt;
        opt.op_id = NULL;
        struct executor *ex = NULL;
        st = exec_resume(o->loop, &wrap_ops, op, tee_journal, op, jop, &opt, on_progress,
                         on_done, op, &ex, err);
        st = op_launched(o, op, st, ex, out);
        op = NULL;
    }
    op_free(op);
    plan_cleanup(&plan);
    return st;
}

static const char *kind_title(enum plan_kind k)
{
    switch (k) {
    case PLAN_GPU_CHANGE:
        return "GPU change";
    case PLAN_CREATE:
        return "Create";
    case PLAN_POWER:
        return "Power";
    default:
        return "Operation";
    }
}

enum gp_status ops_resume(struct ops *o, const struct journal_op *jop, const char *title,
                          struct op **out, struct gp_error *err)
{
    if (out)
        *out = NULL;
    struct plan probe;
    plan_init(&probe);
    probe.vm_id = jop->vm_id;
    probe.vm_name = jop->vm_name;
    enum gp_status st = check_can_start(o, &probe, err);
    if (st != GP_OK)
        return st;
    char t[48];
    if (!title) {
        (void)snprintf(t, sizeof(t), "Resume %s", kind_title(jop->kind));
        title = t;
    }
    return resume_op(o, jop, title, NULL, NULL, out, err);
}

/* Retry: resume the operation from its own journal records. */
static enum gp_status recover_retry(struct ops *o, struct op *failed, struct op **out,
                                    struct gp_error *err)
{
    if (failed->tee.len == 0)
        return gp_error_set(err, GP_E_INVALID,
                            "the journal of this operation is not available: use gpup ops "
                            "resume %s",
                            failed->result.op_id);
    struct journal_ops list;
    journal_ops_init(&list);
    const char *text = gp_buf_str(&failed->tee);
    enum gp_status st = journal_replay(text, strlen(text), ops_wall(o), &list, err);
    const struct journal_op *jop = st == GP_OK ? journal_ops_find(&list, failed->result.op_id,
                                                                  NULL)
                                               : NULL;
    if (st == GP_OK && !jop)
        st = gp_error_set(err, GP_E_NOT_FOUND, "operation %s is not in the journal",
                          failed->result.op_id);
    if (st == GP_OK) {
        char title[sizeof(failed->title)];
        if (strncmp(failed->title, "Retry ", 6) == 0) {
            (void)text_copy(title, sizeof(title), failed->title);
        } else {
            int n = snprintf(title, sizeof(title), "Retry %s", failed->title);
            if (n < 0 || (size_t)n >= sizeof(title))
                title[sizeof(title) - 1] = '\0'; /* a long title is cut */
        }
        st = resume_op(o, jop, title, text, &failed->plan, out, err);
    }
    journal_ops_cleanup(&list);
    return st;
}

static enum gp_status abandon(struct ops *o, struct op *failed, struct gp_error *err)
{
    if (!o->journal)
        return GP_OK;
    return exec_journal_abandon(o->journal, o->journal_ctx, failed->result.op_id, ops_wall(o),
                                err);
}

enum gp_status ops_recover(struct ops *o, struct op *op, size_t offer, struct op **out,
                           struct gp_error *err)
{
    if (out)
        *out = NULL;
    if (!op->has_result || op->state == OP_DONE || op->resolved || offer >= op->result.n_offers)
        return gp_error_set(err, GP_E_INVALID, "no such recovery");
    enum gp_status st = GP_OK;
    switch (op->result.offers[offer].action) {
    case RECOVER_RETRY:
        GP_TRY(check_can_start(o, &op->plan, err));
        st = recover_retry(o, op, out, err);
        break;
    case RECOVER_START_UNCHANGED: {
        GP_TRY(check_can_start(o, &op->plan, err));
        struct vm cur;
        vm_init(&cur);
        st = vm_copy(&cur, op->live_known ? &op->live : &op->plan.before);
        if (st != GP_OK) {
            vm_cleanup(&cur);
            return gp_error_set(err, st, "out of memory");
        }
        if (op->result.power != POWER_UNKNOWN)
            cur.power = op->result.power;
        struct plan plan;
        plan_init(&plan);
        st = plan_build_power(&cur, STEP_START, &o->plan_opt, &plan, err);
        vm_cleanup(&cur);
        if (st == GP_OK)
            st = ops_start(o, &plan, "Start", out, err);
        plan_cleanup(&plan);
        if (st == GP_OK) {
            /* The start runs: a journal that cannot be written is said, not fatal (the
             * operation then stays offered for resume). */
            struct gp_error aerr;
            gp_error_clear(&aerr);
            if (abandon(o, op, &aerr) != GP_OK && o->app)
                app_flash(o->app, true, "Journal: %s", aerr.message);
        }
        break;
    }
    case RECOVER_LEAVE: {
        st = abandon(o, op, err);
        if (st == GP_OK) {
            struct op_note *n = note_add(o);
            (void)text_copy(n->operation, sizeof(n->operation), op->title);
            (void)text_copy(n->vm, sizeof(n->vm), op->vm_name);
            (void)snprintf(n->outcome, sizeof(n->outcome), "left %s",
                           op->result.power != POWER_UNKNOWN
                               ? power_state_name(op->result.power)
                               : "as it is");
            for (char *c = n->outcome; *c; c++)
                if (*c >= 'A' && *c <= 'Z')
                    *c = (char)(*c - 'A' + 'a');
            n->duration_ms = 0;
            n->when = ops_wall(o);
            text_sanitize(n->state_line, sizeof(n->state_line), op->result.state_line);
            update_counts(o);
        }
        break;
    }
    case RECOVERY_ACTION_COUNT:
    default:
        return gp_error_set(err, GP_E_INVALID, "no such recovery");
    }
    if (st == GP_OK) {
        op->resolved = true;
        notify_watchers(o, op);
    }
    return st;
}
