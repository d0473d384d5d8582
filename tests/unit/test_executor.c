/* SPDX-License-Identifier: MIT
 * tests/unit/test_executor.c: the plan executor (net/executor) against a fake ARM client on
 * the loop's virtual clock: the attach sequence on a running and on a stopped VM with its
 * journal records in order, a failure at each step (message, real VM state, recovery offers),
 * stale views refused, the lock, interruption, and resume after a kill at every journal record
 * without any change applied twice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/journal.h"
#include "model/plan.h"
#include "net/executor.h"
#include "net/journal.h"
#include "net/lock.h"
#include "net/loop.h"

#define VMID "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.HybridCompute/machines/" \
             "vm-017/providers/Microsoft.AzureStackHCI/virtualMachineInstances/default"
#define GET_MS 50u
#define STEP_MS 1000u

static char state_root[64];

/* ---- the fake service ------------------------------------------------------------------ */

struct fake {
    struct gp_loop *loop;
    struct vm vm;                 /* the service's truth */
    const struct vm_gpu *desired; /* what a PATCH sets (the body is model/plan's business) */
    size_t n_desired;
    unsigned calls[PLAN_STEP_KIND_COUNT];
    unsigned gets;
    int fail_kind;                /* a step kind that fails, -1: none */
    int fail_get;                 /* the n-th GET fails (1-based), 0: none */
    unsigned transition_reads;    /* reads after a stop/start that still show the transition */
    enum power_state transition;
    /* the call in flight */
    uint64_t timer;
    exec_vm_done_fn vdone;
    exec_step_done_fn sdone;
    void *dctx;
    const struct plan_step *step;
};

static void fake_init(struct fake *f, struct gp_loop *loop, enum power_state power)
{
    memset(f, 0, sizeof(*f));
    f->loop = loop;
    f->fail_kind = -1;
    vm_init(&f->vm);
    f->vm.id = strdup(VMID);
    f->vm.name = strdup("vm-017");
    f->vm.subscription = strdup("s1");
    f->vm.resource_group = strdup("rg1");
    f->vm.power = power;
    f->vm.provisioning = PROV_SUCCEEDED;
    f->vm.gpus_present = true;
}

static void set_gpus(struct vm *vm, const struct vm_gpu *g, size_t n)
{
    for (size_t i = 0; i < vm->n_gpus; i++) {
        free(vm->gpus[i].type_text);
        free(vm->gpus[i].gpu_name);
    }
    free(vm->gpus);
    vm->gpus = n ? calloc(n, sizeof(*vm->gpus)) : NULL;
    vm->n_gpus = n;
    for (size_t i = 0; i < n; i++) {
        vm->gpus[i].type = g[i].type;
        vm->gpus[i].partition_size_mb = g[i].partition_size_mb;
        vm->gpus[i].type_text = g[i].type_text ? strdup(g[i].type_text) : NULL;
        vm->gpus[i].gpu_name = g[i].gpu_name ? strdup(g[i].gpu_name) : NULL;
    }
}

static void fake_get_fire(void *arg)
{
    struct fake *f = arg;
    f->timer = 0;
    f->gets++;
    exec_vm_done_fn done = f->vdone;
    f->vdone = NULL;
    if (f->fail_get && f->gets == (unsigned)f->fail_get) {
        struct gp_error e;
        gp_error_clear(&e);
        gp_error_set(&e, GP_E_NETWORK, "connection reset by peer");
        done(f->dctx, GP_E_NETWORK, NULL, &e);
        return;
    }
    struct vm shown;
    vm_init(&shown);
    assert_int_equal(vm_copy(&shown, &f->vm), GP_OK);
    if (f->transition_reads) {
        f->transition_reads--;
        shown.power = f->transition;
        shown.provisioning = PROV_IN_PROGRESS;
    }
    done(f->dctx, GP_OK, &shown, NULL);
    vm_cleanup(&shown);
}

static enum gp_status fake_get_vm(void *client, const char *vm_id, exec_vm_done_fn done,
                                  void *ctx, struct gp_error *err)
{
    (void)err;
    struct fake *f = client;
    assert_string_equal(vm_id, VMID);
    assert_int_equal(f->timer, 0); /* one call at a time */
    f->vdone = done;
    f->dctx = ctx;
    f->timer = loop_timer_add(f->loop, GET_MS, fake_get_fire, f);
    return GP_OK;
}

static void fake_step_fire(void *arg)
{
    struct fake *f = arg;
    f->timer = 0;
    const struct plan_step *s = f->step;
    exec_step_done_fn done = f->sdone;
    f->sdone = NULL;
    f->calls[s->kind]++;
    struct gp_error e;
    gp_error_clear(&e);
    if ((int)s->kind == f->fail_kind) {
        e.http_status = 409;
        (void)snprintf(e.code, sizeof(e.code), "OperationNotAllowed");
        (void)snprintf(e.request_id, sizeof(e.request_id), "req-42");
        gp_error_set(&e, GP_E_HTTP, "409 OperationNotAllowed: the host is busy (req-42)");
        done(f->dctx, GP_E_HTTP, &e);
        return;
    }
    switch (s->kind) {
    case STEP_STOP:
        f->vm.power = POWER_STOPPED;
        f->transition = POWER_STOPPING;
        break;
    case STEP_START:
        f->vm.power = POWER_RUNNING;
        f->transition = POWER_STARTING;
        break;
    case STEP_PATCH_GPUS:
        if (f->vm.power != POWER_STOPPED && f->vm.power != POWER_DEALLOCATED) {
            e.http_status = 409;
            gp_error_set(&e, GP_E_HTTP, "409 VmMustBeStopped: stop the VM first");
            done(f->dctx, GP_E_HTTP, &e);
            return;
        }
        set_gpus(&f->vm, f->desired, f->n_desired);
        break;
    case STEP_RESTART:
        f->vm.power = POWER_RUNNING;
        f->transition = POWER_STARTING;
        break;
    case STEP_CREATE_MACHINE:
    case STEP_CREATE_VMI:
    case PLAN_STEP_KIND_COUNT:
    default:
        fail();
    }
    done(f->dctx, GP_OK, NULL);
}

static enum gp_status fake_run_step(void *client, const struct plan_step *step,
                                    exec_step_done_fn done, void *ctx, struct gp_error *err)
{
    (void)err;
    struct fake *f = client;
    assert_int_equal(f->timer, 0);
    f->sdone = done;
    f->dctx = ctx;
    f->step = step;
    f->timer = loop_timer_add(f->loop, STEP_MS, fake_step_fire, f);
    return GP_OK;
}

static void fake_cancel(void *client, void *ctx)
{
    (void)ctx; /* one operation at a time */
    struct fake *f = client;
    loop_timer_cancel(f->loop, f->timer);
    f->timer = 0;
}

static const struct exec_client_ops fake_ops = {fake_get_vm, fake_run_step, fake_cancel};

static unsigned fake_requests(const struct fake *f)
{
    unsigned n = 0;
    for (size_t i = 0; i < PLAN_STEP_KIND_COUNT; i++)
        n += f->calls[i];
    return n;
}

/* ---- the journal, in memory, with the service's state at each record ------------------- */

struct snap {
    enum power_state power;
    bool gpus_desired;
};

struct mem_journal {
    char text[32768];
    size_t len;
    size_t ends[32];
    struct snap snaps[32]; /* the service's state when record i was written */
    size_t n;
    struct fake *fake;
    int fail_at;           /* the n-th append fails (1-based), 0: none */
};

static enum gp_status mem_sink(void *ctx, const char *line, struct gp_error *err)
{
    struct mem_journal *j = ctx;
    if (j->fail_at && (int)j->n + 1 == j->fail_at)
        return gp_error_set(err, GP_E_IO, "cannot write journal.jsonl: No space left on device");
    size_t n = strlen(line);
    assert_true(j->len + n < sizeof(j->text) && j->n < 32);
    memcpy(j->text + j->len, line, n);
    j->len += n;
    j->text[j->len] = '\0';
    j->ends[j->n] = j->len;
    if (j->fake)
        j->snaps[j->n] = (struct snap){
            j->fake->vm.power, gpu_lists_equal(j->fake->vm.gpus, j->fake->vm.n_gpus,
                                               j->fake->desired, j->fake->n_desired)};
    j->n++;
    return GP_OK;
}

/* "step-end 1 done Stopped" for a record. */
static void record_sig(const char *text, size_t from, size_t to, char *out, size_t n)
{
    cJSON *o = cJSON_ParseWithLength(text + from, to - from);
    assert_non_null(o);
    const char *rec = cJSON_GetObjectItem(o, "rec")->valuestring;
    const cJSON *step = cJSON_GetObjectItem(o, "step");
    const cJSON *outcome = cJSON_GetObjectItem(o, "outcome");
    const cJSON *power = cJSON_GetObjectItem(o, "power");
    int w = snprintf(out, n, "%s", rec);
    if (step)
        w += snprintf(out + w, n - (size_t)w, " %d", step->valueint);
    if (outcome)
        w += snprintf(out + w, n - (size_t)w, " %s", outcome->valuestring);
    if (power)
        (void)snprintf(out + w, n - (size_t)w, " %s", power->valuestring);
    cJSON_Delete(o);
}

static void assert_records(const struct mem_journal *j, const char *const *want, size_t n)
{
    assert_int_equal(j->n, n);
    for (size_t i = 0; i < n; i++) {
        char sig[128];
        record_sig(j->text, i ? j->ends[i - 1] : 0, j->ends[i], sig, sizeof(sig));
        assert_string_equal(sig, want[i]);
    }
}

/* ---- running ------------------------------------------------------------------------- */

struct run {
    bool done;
    struct exec_result result;
    char events[64][96];   /* "0 running waiting for Stopped" */
    size_t n_events;
    uint64_t step_ms[8];   /* elapsed when each step finished */
    struct executor *ex;
    bool free_in_done;
};

static void on_progress(void *ctx, const struct exec_progress *p)
{
    struct run *r = ctx;
    assert_true(r->n_events < 64);
    (void)snprintf(r->events[r->n_events++], sizeof(r->events[0]), "%zu %s %s", p->index,
                   exec_step_state_name(p->state), p->detail);
    if (p->state == EXEC_DONE || p->state == EXEC_SKIPPED || p->state == EXEC_FAILED)
        r->step_ms[p->index] = p->step_ms;
}

static void on_done(void *ctx, const struct exec_result *res)
{
    struct run *r = ctx;
    assert_false(r->done);
    r->done = true;
    r->result = *res;
    if (r->free_in_done) {
        exec_free(r->ex);
        r->ex = NULL;
    }
}

static const struct plan_options popt = {"2025-09-01-preview", "2024-07-10", false};

static const struct vm_gpu gpu_p = {GPU_ASSIGN_P, (char *)"GpuP", 3648, NULL};

static void build_attach(const struct fake *f, struct plan *p)
{
    struct gp_error err;
    assert_int_equal(plan_build_gpu_change(&f->vm, &gpu_p, 1, &popt, p, &err), GP_OK);
}

static struct exec_options opts(void)
{
    struct exec_options o = {.state_dir = NULL, .settle_reads = 3, .settle_interval_ms = 2000};
    return o;
}

static void run_loop(struct gp_loop *l, struct run *r)
{
    while (!r->done)
        assert_int_equal(loop_run_once(l, -1), GP_OK);
}

/* A new loop on the virtual clock. */
static struct gp_loop *virtual_loop(void)
{
    struct gp_loop *l = NULL;
    assert_int_equal(loop_new(&l), GP_OK);
    loop_use_virtual_clock(l);
    return l;
}

/* Starts plan p on the fake f, journaling into j, and runs the loop until it is done. */
static void run_plan(struct gp_loop *l, struct fake *f, struct mem_journal *j,
                     const struct plan *p, const struct exec_options *o, struct run *r)
{
    assert_int_equal(exec_start(l, &fake_ops, f, mem_sink, j, p, o, on_progress, on_done, r,
                                &r->ex, NULL),
                     GP_OK);
    run_loop(l, r);
}

static bool has_event(const struct run *r, const char *ev)
{
    for (size_t i = 0; i < r->n_events; i++)
        if (strcmp(r->events[i], ev) == 0)
            return true;
    return false;
}

/* ---- tests ----------------------------------------------------------------------------- */

static void test_running_vm_attach(void **state)
{
    (void)state;
    struct gp_loop *l = virtual_loop();
    struct fake f;
    fake_init(&f, l, POWER_RUNNING);
    f.desired = &gpu_p;
    f.n_desired = 1;
    struct plan p;
    build_attach(&f, &p);
    assert_int_equal(p.n_steps, 3);
    struct mem_journal j = {.len = 0, .fake = &f};
    struct run r = {.done = false};
    struct exec_options o = opts();
    o.op_id = "op-run";
    struct gp_error err;
    assert_int_equal(exec_start(l, &fake_ops, &f, mem_sink, &j, &p, &o, on_progress, on_done, &r,
                                &r.ex, &err),
                     GP_OK);
    /* the op-begin is durable before anything is sent */
    assert_int_equal(j.n, 1);
    assert_int_equal(fake_requests(&f), 0);
    /* a second gpup on the same VM is refused while this one runs */
    struct vm_lock other;
    long pid = 0;
    assert_int_equal(vm_lock_acquire(&other, NULL, VMID, "vm-017", &pid, &err), GP_E_BUSY);
    assert_int_equal(pid, (long)getpid());
    run_loop(l, &r);

    assert_int_equal(r.result.status, GP_OK);
    assert_string_equal(r.result.op_id, "op-run");
    assert_int_equal(f.calls[STEP_STOP], 1);
    assert_int_equal(f.calls[STEP_PATCH_GPUS], 1);
    assert_int_equal(f.calls[STEP_START], 1);
    assert_int_equal(r.result.steps_run, 3);
    assert_int_equal(r.result.steps_skipped, 0);
    assert_int_equal(r.result.power, POWER_RUNNING);
    assert_true(r.result.gpus_applied);
    assert_false(r.result.partial);
    assert_int_equal(r.result.failed_step, SIZE_MAX);
    assert_string_equal(r.result.state_line, "vm-017 is Running; the GPU change is applied");
    static const char *const want[] = {
        "op-begin",
        "step-begin 0",
        "step-end 0 done Stopped",
        "step-begin 1",
        "step-end 1 done Stopped",
        "step-begin 2",
        "step-end 2 done Running",
        "op-end done",
    };
    assert_records(&j, want, 8);
    /* per step: a read before, the request, a read back, on the virtual clock */
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(r.step_ms[i], GET_MS + STEP_MS + GET_MS);
    assert_true(has_event(&r, "0 pending "));
    assert_true(has_event(&r, "2 pending "));
    assert_true(has_event(&r, "0 running waiting for Stopped"));
    assert_true(has_event(&r, "1 running waiting for the service"));
    assert_true(has_event(&r, "2 running waiting for Running"));
    assert_true(has_event(&r, "2 done "));
    /* the journal replays as done */
    struct journal_ops ops;
    assert_int_equal(journal_replay(j.text, j.len, 0, &ops, NULL), GP_OK);
    assert_int_equal(ops.ops[0].state, JOP_DONE);
    journal_ops_cleanup(&ops);
    /* the lock went with the operation */
    assert_int_equal(vm_lock_acquire(&other, NULL, VMID, "vm-017", &pid, &err), GP_OK);
    vm_lock_release(&other);
    exec_free(r.ex);
    plan_cleanup(&p);
    vm_cleanup(&f.vm);
    loop_free(l);
}

static void test_stopped_vm_patch_only(void **state)
{
    (void)state;
    struct gp_loop *l = virtual_loop();
    struct fake f;
    fake_init(&f, l, POWER_STOPPED);
    f.desired = &gpu_p;
    f.n_desired = 1;
    struct plan p;
    build_attach(&f, &p);
    assert_int_equal(p.n_steps, 1);
    struct mem_journal j = {.len = 0, .fake = &f};
    struct run r = {.done = false, .free_in_done = true};
    struct exec_options o = opts();
    run_plan(l, &f, &j, &p, &o, &r);
    assert_int_equal(r.result.status, GP_OK);
    assert_int_equal(f.calls[STEP_STOP] + f.calls[STEP_START], 0);
    assert_int_equal(f.calls[STEP_PATCH_GPUS], 1);
    assert_int_equal(r.result.power, POWER_STOPPED);
    /* generated: "20261125T090722Z-<pid>-<n>" */
    assert_true(strlen(r.result.op_id) > 18);
    assert_int_equal(r.result.op_id[8], 'T');
    assert_int_equal(r.result.op_id[15], 'Z');
    assert_int_equal(r.result.op_id[16], '-');
    static const char *const want[] = {"op-begin", "step-begin 0", "step-end 0 done Stopped",
                                       "op-end done"};
    assert_records(&j, want, 4);
    plan_cleanup(&p);
    vm_cleanup(&f.vm);
    loop_free(l);
}

/* A failure at each step of the running VM's attach. */
static void test_failure_at_each_step(void **state)
{
    (void)state;
    static const struct {
        enum plan_step_kind kind;
        const char *message;
        enum power_state power;
        bool applied, partial;
        const char *offers[3];
        const char *state_line;
    } cases[] = {
        {STEP_STOP, "step 1/3 POST vm-017: 409 OperationNotAllowed: the host is busy (req-42)",
         POWER_RUNNING, false, false,
         {"Retry the attach", "Leave it running", NULL},
         "vm-017 is Running; the GPU change is not applied"},
        {STEP_PATCH_GPUS,
         "step 2/3 PATCH vm-017: 409 OperationNotAllowed: the host is busy (req-42)",
         POWER_STOPPED, false, true,
         {"Start vm-017 again without the change", "Retry the attach", "Leave it stopped"},
         "vm-017 is Stopped; the GPU change is not applied"},
        {STEP_START, "step 3/3 POST vm-017: 409 OperationNotAllowed: the host is busy (req-42)",
         POWER_STOPPED, true, true,
         {"Start vm-017 again (the change is applied)", "Leave it stopped", NULL},
         "vm-017 is Stopped; the GPU change is applied"},
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        struct gp_loop *l = virtual_loop();
        struct fake f;
        fake_init(&f, l, POWER_RUNNING);
        f.desired = &gpu_p;
        f.n_desired = 1;
        f.fail_kind = (int)cases[c].kind;
        struct plan p;
        build_attach(&f, &p);
        struct mem_journal j = {.len = 0, .fake = &f};
        struct run r = {.done = false};
        struct exec_options o = opts();
        o.op_id = "op-f";
        run_plan(l, &f, &j, &p, &o, &r);
        const struct exec_result *res = &r.result;
        assert_int_equal(res->status, GP_E_HTTP);
        assert_string_equal(res->err.message, cases[c].message);
        assert_int_equal(res->err.http_status, 409);
        assert_string_equal(res->err.request_id, "req-42");
        assert_int_equal(res->failed_step, (size_t)c);
        assert_int_equal(res->power, cases[c].power);
        assert_int_equal(res->gpus_applied, cases[c].applied);
        assert_int_equal(res->partial, cases[c].partial);
        assert_string_equal(res->state_line, cases[c].state_line);
        size_t n_offers = cases[c].offers[2] ? 3 : 2;
        assert_int_equal(res->n_offers, n_offers);
        for (size_t i = 0; i < n_offers; i++)
            assert_string_equal(res->offers[i].label, cases[c].offers[i]);
        /* nothing after the failed step was sent */
        for (size_t k = c + 1; k < 3; k++)
            assert_int_equal(f.calls[p.steps[k].kind], 0);
        char last[128], failed[128];
        record_sig(j.text, j.ends[j.n - 3], j.ends[j.n - 2], failed, sizeof(failed));
        record_sig(j.text, j.ends[j.n - 2], j.ends[j.n - 1], last, sizeof(last));
        char want[128];
        (void)snprintf(want, sizeof(want), "step-end %zu failed %s", c,
                       power_state_name(cases[c].power));
        assert_string_equal(failed, want);
        assert_string_equal(last, "op-end failed");
        assert_non_null(strstr(j.text, "409 OperationNotAllowed: the host is busy"));
        char ev[96];
        (void)snprintf(ev, sizeof(ev), "%zu failed %s", c, cases[c].message);
        assert_true(has_event(&r, ev));
        struct journal_ops ops;
        assert_int_equal(journal_replay(j.text, j.len, 0, &ops, NULL), GP_OK);
        assert_int_equal(ops.ops[0].state, JOP_FAILED);
        assert_int_equal(ops.ops[0].failed_step, c);
        journal_ops_cleanup(&ops);
        exec_free(r.ex);
        plan_cleanup(&p);
        vm_cleanup(&f.vm);
        loop_free(l);
    }
}

/* The plan saw a stopped VM; someone started it since: the PATCH is refused, nothing sent. */
static void test_stale_view_refused(void **state)
{
    (void)state;
    struct gp_loop *l = virtual_loop();
    struct fake f;
    fake_init(&f, l, POWER_STOPPED);
    f.desired = &gpu_p;
    f.n_desired = 1;
    struct plan p;
    build_attach(&f, &p);
    f.vm.power = POWER_RUNNING;
    struct mem_journal j = {.len = 0, .fake = &f};
    struct run r = {.done = false};
    struct exec_options o = opts();
    run_plan(l, &f, &j, &p, &o, &r);
    assert_int_equal(r.result.status, GP_E_FAILED);
    assert_string_equal(r.result.err.message,
                        "step 1/1 PATCH vm-017: vm-017 is Running, but the service changes GPUs "
                        "only on a stopped VM; it changed since the plan, so nothing was sent: "
                        "plan again");
    assert_int_equal(fake_requests(&f), 0);
    assert_int_equal(r.result.power, POWER_RUNNING);
    assert_false(r.result.partial);

    /* Someone else changed the GPUs since the plan: refused too. */
    exec_free(r.ex);
    f.vm.power = POWER_STOPPED;
    static const struct vm_gpu dda = {GPU_ASSIGN_DDA, (char *)"GpuDDA", -1, (char *)"NVIDIA A2"};
    set_gpus(&f.vm, &dda, 1);
    struct run r2 = {.done = false};
    run_plan(l, &f, &j, &p, &o, &r2);
    assert_int_equal(r2.result.status, GP_E_FAILED);
    assert_non_null(strstr(r2.result.err.message, "the GPUs of vm-017 changed since the plan "
                                                  "(now DDA NVIDIA A2), so nothing was sent"));
    assert_int_equal(fake_requests(&f), 0);
    exec_free(r2.ex);
    plan_cleanup(&p);
    vm_cleanup(&f.vm);
    loop_free(l);
}

/* The plan saw a running VM; it was stopped since: the stop is skipped, the rest runs. A VM
 * that is still Stopping is waited for. */
static void test_skip_and_settle(void **state)
{
    (void)state;
    struct gp_loop *l = virtual_loop();
    struct fake f;
    fake_init(&f, l, POWER_RUNNING);
    f.desired = &gpu_p;
    f.n_desired = 1;
    struct plan p;
    build_attach(&f, &p);
    f.vm.power = POWER_STOPPED;
    f.transition = POWER_STOPPING;
    f.transition_reads = 2; /* the first two reads still say Stopping */
    struct mem_journal j = {.len = 0, .fake = &f};
    struct run r = {.done = false};
    struct exec_options o = opts();
    run_plan(l, &f, &j, &p, &o, &r);
    assert_int_equal(r.result.status, GP_OK);
    assert_int_equal(f.calls[STEP_STOP], 0);
    assert_int_equal(f.calls[STEP_PATCH_GPUS], 1);
    assert_int_equal(f.calls[STEP_START], 1);
    assert_int_equal(r.result.steps_skipped, 1);
    assert_true(has_event(&r, "0 running waiting for vm-017 to settle (InProgress)"));
    assert_true(has_event(&r, "0 skipped already Stopped"));
    assert_int_equal(r.step_ms[0], 3 * GET_MS + 2 * 2000);
    static const char *const want[] = {
        "op-begin",     "step-end 0 skipped Stopped", "step-begin 1", "step-end 1 done Stopped",
        "step-begin 2", "step-end 2 done Running",    "op-end done",
    };
    assert_records(&j, want, 7);
    exec_free(r.ex);

    /* A VM that never settles: bounded, nothing sent. */
    f.transition_reads = 100;
    struct plan p2;
    plan_init(&p2);
    f.vm.power = POWER_RUNNING;
    assert_int_equal(plan_build_power(&f.vm, STEP_STOP, &popt, &p2, NULL), GP_OK);
    unsigned before = fake_requests(&f);
    struct run r2 = {.done = false};
    run_plan(l, &f, &j, &p2, &o, &r2);
    assert_int_equal(r2.result.status, GP_E_TIMEOUT);
    assert_string_equal(r2.result.err.message, "step 1/1 POST vm-017: vm-017 is still Starting / "
                                               "InProgress; nothing was sent");
    assert_int_equal(fake_requests(&f), before);
    assert_string_equal(r2.result.offers[0].label, "Retry the stop");
    exec_free(r2.ex);
    plan_cleanup(&p2);
    plan_cleanup(&p);
    vm_cleanup(&f.vm);
    loop_free(l);
}

/* The VM cannot be read after a failed step: its state is reported unknown, a partial failure. */
static void test_unreadable_after_failure(void **state)
{
    (void)state;
    struct gp_loop *l = virtual_loop();
    struct fake f;
    fake_init(&f, l, POWER_RUNNING);
    f.desired = &gpu_p;
    f.n_desired = 1;
    f.fail_kind = STEP_PATCH_GPUS;
    f.fail_get = 4; /* before stop, after stop, before patch, after the failed patch */
    struct plan p;
    build_attach(&f, &p);
    struct mem_journal j = {.len = 0, .fake = &f};
    struct run r = {.done = false};
    struct exec_options o = opts();
    run_plan(l, &f, &j, &p, &o, &r);
    assert_int_equal(r.result.status, GP_E_HTTP);
    assert_int_equal(r.result.power, POWER_UNKNOWN);
    assert_true(r.result.partial);
    assert_string_equal(r.result.state_line, "vm-017: its state could not be read");
    assert_string_equal(r.result.offers[0].label, "Retry the attach");
    assert_string_equal(r.result.offers[1].label, "Leave it as it is");
    exec_free(r.ex);
    plan_cleanup(&p);
    vm_cleanup(&f.vm);
    loop_free(l);
}

static void test_journal_failure_sends_nothing(void **state)
{
    (void)state;
    struct gp_loop *l = virtual_loop();
    struct fake f;
    fake_init(&f, l, POWER_RUNNING);
    f.desired = &gpu_p;
    f.n_desired = 1;
    struct plan p;
    build_attach(&f, &p);
    struct mem_journal j = {.len = 0, .fake = &f, .fail_at = 1};
    struct run r = {.done = false};
    struct exec_options o = opts();
    struct gp_error err;
    struct executor *ex = NULL;
    assert_int_equal(exec_start(l, &fake_ops, &f, mem_sink, &j, &p, &o, on_progress, on_done, &r,
                                &ex, &err),
                     GP_E_IO);
    assert_null(ex);
    assert_string_equal(err.message, "nothing was sent: journal: cannot write journal.jsonl: "
                                     "No space left on device");
    /* the step-begin cannot be written: the step is not sent */
    j.fail_at = 2;
    assert_int_equal(exec_start(l, &fake_ops, &f, mem_sink, &j, &p, &o, on_progress, on_done, &r,
                                &r.ex, &err),
                     GP_OK);
    run_loop(l, &r);
    assert_int_equal(r.result.status, GP_E_IO);
    assert_string_equal(r.result.err.message,
                        "step 1/3 POST vm-017: nothing was sent: journal: cannot write "
                        "journal.jsonl: No space left on device");
    assert_int_equal(fake_requests(&f), 0);
    exec_free(r.ex);
    plan_cleanup(&p);
    vm_cleanup(&f.vm);
    loop_free(l);
}

static void test_lock_busy(void **state)
{
    (void)state;
    struct gp_loop *l = virtual_loop();
    struct fake f;
    fake_init(&f, l, POWER_RUNNING);
    struct plan p;
    build_attach(&f, &p);
    struct vm_lock held;
    assert_int_equal(vm_lock_acquire(&held, NULL, VMID, "vm-017", NULL, NULL), GP_OK);
    struct mem_journal j = {.len = 0};
    struct run r = {.done = false};
    struct exec_options o = opts();
    struct gp_error err;
    struct executor *ex = NULL;
    assert_int_equal(exec_start(l, &fake_ops, &f, mem_sink, &j, &p, &o, on_progress, on_done, &r,
                                &ex, &err),
                     GP_E_BUSY);
    assert_null(ex);
    assert_int_equal(j.n, 0); /* not even journaled */
    assert_non_null(strstr(err.message, "vm-017 is being changed by another gpup (pid"));
    o.op_id = "bad id;rm";
    assert_int_equal(exec_start(l, &fake_ops, &f, mem_sink, &j, &p, &o, on_progress, on_done, &r,
                                &ex, &err),
                     GP_E_INVALID);
    assert_string_equal(err.message, "executor: operation id \"bad id;rm\" is not valid");
    vm_lock_release(&held);
    plan_cleanup(&p);
    vm_cleanup(&f.vm);
    loop_free(l);
}

struct cancel_at {
    struct executor **ex;
};

static void do_cancel(void *arg)
{
    struct cancel_at *c = arg;
    exec_cancel(*c->ex);
}

/* SIGINT in the middle of the PATCH: the operation stays unfinished and resumable. */
static void test_interrupt_leaves_unfinished(void **state)
{
    (void)state;
    struct gp_loop *l = virtual_loop();
    struct fake f;
    fake_init(&f, l, POWER_RUNNING);
    f.desired = &gpu_p;
    f.n_desired = 1;
    struct plan p;
    build_attach(&f, &p);
    struct mem_journal j = {.len = 0, .fake = &f};
    struct run r = {.done = false};
    struct exec_options o = opts();
    o.op_id = "op-int";
    assert_int_equal(exec_start(l, &fake_ops, &f, mem_sink, &j, &p, &o, on_progress, on_done, &r,
                                &r.ex, NULL),
                     GP_OK);
    struct cancel_at c = {&r.ex};
    /* step 1 takes 1100 ms; step 2's request runs from 1150 to 2150 */
    assert_true(loop_timer_add(l, 1500, do_cancel, &c) != 0);
    run_loop(l, &r);
    assert_int_equal(r.result.status, GP_E_CANCELED);
    assert_string_equal(r.result.err.message, "interrupted at step 2/3; the operation is "
                                              "unfinished: gpup ops resume op-int");
    assert_int_equal(f.calls[STEP_PATCH_GPUS], 0);
    assert_int_equal(loop_next_timer_ms(l), -1); /* nothing left behind */
    struct journal_ops ops;
    assert_int_equal(journal_replay(j.text, j.len, 0, &ops, NULL), GP_OK);
    assert_int_equal(ops.ops[0].state, JOP_UNFINISHED);
    assert_int_equal(ops.ops[0].next_step, 1);
    assert_true(ops.ops[0].steps[1].begun);
    journal_ops_cleanup(&ops);
    exec_cancel(r.ex); /* no-op after done */
    exec_free(r.ex);
    plan_cleanup(&p);
    vm_cleanup(&f.vm);
    loop_free(l);
}

/* Runs plan p as op id on f with the file journal jf; returns the result's status. */
static enum gp_status run_filed(struct gp_loop *l, struct fake *f, struct journal_file *jf,
                                const struct plan *p, const char *id)
{
    struct run r = {.done = false};
    struct exec_options o = opts();
    o.op_id = id;
    assert_int_equal(exec_start(l, &fake_ops, f, journal_file_sink, jf, p, &o, on_progress,
                                on_done, &r, &r.ex, NULL),
                     GP_OK);
    run_loop(l, &r);
    exec_free(r.ex);
    return r.result.status;
}

/* The journal in the state directory guards the VM: while a killed gpup's operation on it is
 * unfinished, no other operation starts on it (resuming that one does); an operation superseded
 * by a newer one on the same VM, or finished meanwhile by another gpup, is not resumed. */
static void test_journal_guards_the_vm(void **state)
{
    (void)state;
    struct gp_loop *l = virtual_loop();
    struct fake f;
    fake_init(&f, l, POWER_RUNNING);
    f.desired = &gpu_p;
    f.n_desired = 1;
    struct journal_file jf;
    assert_int_equal(journal_file_open(&jf, NULL), GP_OK);
    struct plan p;
    build_attach(&f, &p);
    struct run r = {.done = false};
    struct exec_options o = opts();
    o.op_id = "op-a";
    assert_int_equal(exec_start(l, &fake_ops, &f, journal_file_sink, &jf, &p, &o, on_progress,
                                on_done, &r, &r.ex, NULL),
                     GP_OK);
    struct cancel_at c = {&r.ex};
    assert_true(loop_timer_add(l, 1500, do_cancel, &c) != 0);
    run_loop(l, &r);
    assert_int_equal(r.result.status, GP_E_CANCELED);
    exec_free(r.ex);

    /* another operation on vm-017 is refused, naming the way out, before anything is sent */
    unsigned sent = fake_requests(&f);
    struct run r2 = {.done = false};
    o.op_id = "op-b";
    struct gp_error err;
    assert_int_equal(exec_start(l, &fake_ops, &f, journal_file_sink, &jf, &p, &o, on_progress,
                                on_done, &r2, &r2.ex, &err),
                     GP_E_BUSY);
    assert_non_null(strstr(err.message, "vm-017 has an unfinished operation in the journal"));
    assert_non_null(strstr(err.message, "gpup ops resume op-a"));
    assert_null(r2.ex);
    assert_int_equal(fake_requests(&f), sent);

    /* resuming op-a is allowed and finishes it */
    struct journal_ops stale;
    assert_int_equal(journal_file_load(NULL, 0, &stale, NULL), GP_OK);
    assert_int_equal(stale.n, 1);
    assert_int_equal(stale.ops[0].state, JOP_UNFINISHED);
    struct run r3 = {.done = false};
    o.op_id = NULL;
    assert_int_equal(exec_resume(l, &fake_ops, &f, journal_file_sink, &jf, &stale.ops[0], &o,
                                 on_progress, on_done, &r3, &r3.ex, NULL),
                     GP_OK);
    run_loop(l, &r3);
    assert_int_equal(r3.result.status, GP_OK);
    exec_free(r3.ex);
    assert_int_equal(f.calls[STEP_PATCH_GPUS], 1);
    /* ... and a stale copy of it (another gpup finished it meanwhile) is not resumed twice */
    assert_int_equal(exec_resume(l, &fake_ops, &f, journal_file_sink, &jf, &stale.ops[0], &o,
                                 on_progress, on_done, &r3, &r3.ex, &err),
                     GP_E_INVALID);
    assert_non_null(strstr(err.message, "operation op-a is done (finished meanwhile)"));
    journal_ops_cleanup(&stale);

    /* op-c fails at its PATCH (needs attention), then the newer op-d changes the VM */
    plan_cleanup(&p);
    f.desired = NULL;
    f.n_desired = 0;
    struct gp_error perr;
    assert_int_equal(plan_build_gpu_change(&f.vm, NULL, 0, &popt, &p, &perr), GP_OK);
    f.fail_kind = STEP_PATCH_GPUS;
    assert_int_equal(run_filed(l, &f, &jf, &p, "op-c"), GP_E_HTTP);
    f.fail_kind = -1;
    plan_cleanup(&p);
    assert_int_equal(plan_build_gpu_change(&f.vm, NULL, 0, &popt, &p, &perr), GP_OK);
    assert_int_equal(run_filed(l, &f, &jf, &p, "op-d"), GP_OK);
    /* resuming op-c would undo op-d's change: refused */
    struct journal_ops ops;
    assert_int_equal(journal_file_load(NULL, 0, &ops, NULL), GP_OK);
    const struct journal_op *opc = journal_ops_find(&ops, "op-c", NULL);
    assert_non_null(opc);
    assert_int_equal(opc->state, JOP_FAILED);
    sent = fake_requests(&f);
    assert_int_equal(exec_resume(l, &fake_ops, &f, journal_file_sink, &jf, opc, &o, on_progress,
                                 on_done, &r3, &r3.ex, &err),
                     GP_E_INVALID);
    assert_non_null(strstr(err.message, "operation op-c on vm-017 was superseded by the newer "
                                        "operation op-d (done)"));
    assert_int_equal(fake_requests(&f), sent);
    journal_ops_cleanup(&ops);

    char path[sizeof(jf.path)];
    memcpy(path, jf.path, sizeof(path));
    journal_file_close(&jf);
    assert_int_equal(unlink(path), 0);
    plan_cleanup(&p);
    vm_cleanup(&f.vm);
    loop_free(l);
}

/* Kill -9 after each journal record (and, after a step-begin, also once the service applied
 * the request): resuming from the journal finishes the change without repeating any step. */
static void test_resume_after_kill_at_each_record(void **state)
{
    (void)state;
    /* The reference run and the service's state at each record. */
    struct gp_loop *l = virtual_loop();
    struct fake f;
    fake_init(&f, l, POWER_RUNNING);
    f.desired = &gpu_p;
    f.n_desired = 1;
    struct plan p;
    build_attach(&f, &p);
    struct mem_journal ref = {.len = 0, .fake = &f};
    struct run r = {.done = false};
    struct exec_options o = opts();
    o.op_id = "op-kill";
    run_plan(l, &f, &ref, &p, &o, &r);
    assert_int_equal(r.result.status, GP_OK);
    exec_free(r.ex);
    assert_int_equal(ref.n, 8);
    /* steps applied by the service when record k was written */
    static const unsigned applied_at[8] = {0, 0, 1, 1, 2, 2, 3, 3};

    for (size_t k = 1; k <= ref.n; k++) {
        for (int after_apply = 0; after_apply < 2; after_apply++) {
            /* Variant 2 only for a kill right after a step-begin: the request went through. */
            bool begin_rec = k >= 2 && k <= 7 && k % 2 == 0;
            if (after_apply && !begin_rec)
                continue;
            struct snap s = ref.snaps[after_apply ? k : k - 1];
            unsigned applied = applied_at[after_apply ? k : k - 1];
            struct fake g;
            fake_init(&g, l, s.power);
            g.desired = &gpu_p;
            g.n_desired = 1;
            if (s.gpus_desired)
                set_gpus(&g.vm, &gpu_p, 1);
            struct mem_journal j = {.len = 0, .fake = &g};
            memcpy(j.text, ref.text, ref.ends[k - 1]);
            j.len = ref.ends[k - 1];
            j.text[j.len] = '\0';
            j.n = 0;
            struct journal_ops ops;
            assert_int_equal(journal_replay(j.text, j.len, 0, &ops, NULL), GP_OK);
            assert_int_equal(ops.n, 1);
            struct run r2 = {.done = false};
            struct gp_error err;
            enum gp_status st = exec_resume(l, &fake_ops, &g, mem_sink, &j, &ops.ops[0], &o,
                                            on_progress, on_done, &r2, &r2.ex, &err);
            if (k == ref.n) { /* the operation was done: nothing to resume */
                assert_int_equal(st, GP_E_INVALID);
                assert_string_equal(err.message,
                                    "operation op-kill is done; there is nothing to resume");
                journal_ops_cleanup(&ops);
                vm_cleanup(&g.vm);
                continue;
            }
            assert_int_equal(st, GP_OK);
            run_loop(l, &r2);
            assert_int_equal(r2.result.status, GP_OK);
            assert_string_equal(r2.result.op_id, "op-kill");
            /* the change is complete, and each step reached the service exactly once */
            assert_int_equal(g.vm.power, POWER_RUNNING);
            assert_true(gpu_lists_equal(g.vm.gpus, g.vm.n_gpus, &gpu_p, 1));
            assert_int_equal(fake_requests(&g), 3 - applied);
            for (size_t i = 0; i < 3; i++)
                assert_int_equal(g.calls[p.steps[i].kind], i < applied ? 0 : 1);
            /* the resumed journal closes the same operation */
            journal_ops_cleanup(&ops);
            assert_int_equal(journal_replay(j.text, j.len, 0, &ops, NULL), GP_OK);
            assert_int_equal(ops.n, 1);
            assert_int_equal(ops.ops[0].state, JOP_DONE);
            assert_int_equal(ops.skipped, 0);
            journal_ops_cleanup(&ops);
            exec_free(r2.ex);
            vm_cleanup(&g.vm);
        }
    }
    plan_cleanup(&p);
    vm_cleanup(&f.vm);
    loop_free(l);
}

/* "Retry the attach" after a failed PATCH: resume at step 2; the stop is not repeated. */
static void test_resume_failed_retries_failed_step(void **state)
{
    (void)state;
    struct gp_loop *l = virtual_loop();
    struct fake f;
    fake_init(&f, l, POWER_RUNNING);
    f.desired = &gpu_p;
    f.n_desired = 1;
    f.fail_kind = STEP_PATCH_GPUS;
    struct plan p;
    build_attach(&f, &p);
    struct mem_journal j = {.len = 0, .fake = &f};
    struct run r = {.done = false};
    struct exec_options o = opts();
    run_plan(l, &f, &j, &p, &o, &r);
    assert_int_equal(r.result.status, GP_E_HTTP);
    exec_free(r.ex);
    f.fail_kind = -1;
    memset(f.calls, 0, sizeof(f.calls));
    struct journal_ops ops;
    assert_int_equal(journal_replay(j.text, j.len, 0, &ops, NULL), GP_OK);
    assert_int_equal(ops.ops[0].state, JOP_FAILED);
    struct run r2 = {.done = false};
    assert_int_equal(exec_resume(l, &fake_ops, &f, mem_sink, &j, &ops.ops[0], &o, on_progress,
                                 on_done, &r2, &r2.ex, NULL),
                     GP_OK);
    journal_ops_cleanup(&ops); /* the executor keeps its own copy */
    run_loop(l, &r2);
    assert_int_equal(r2.result.status, GP_OK);
    assert_int_equal(f.calls[STEP_STOP], 0);
    assert_int_equal(f.calls[STEP_PATCH_GPUS], 1);
    assert_int_equal(f.calls[STEP_START], 1);
    assert_true(has_event(&r2, "0 done done before"));
    assert_int_equal(journal_replay(j.text, j.len, 0, &ops, NULL), GP_OK);
    assert_int_equal(ops.ops[0].state, JOP_DONE);
    journal_ops_cleanup(&ops);
    exec_free(r2.ex);
    plan_cleanup(&p);
    vm_cleanup(&f.vm);
    loop_free(l);
}

/* "Leave it stopped" closes a failed operation for good: it is no longer resumable. */
static void test_abandon(void **state)
{
    (void)state;
    struct gp_loop *l = virtual_loop();
    struct fake f;
    fake_init(&f, l, POWER_RUNNING);
    f.desired = &gpu_p;
    f.n_desired = 1;
    f.fail_kind = STEP_PATCH_GPUS;
    struct plan p;
    build_attach(&f, &p);
    struct mem_journal j = {.len = 0, .fake = &f};
    struct run r = {.done = false};
    struct exec_options o = opts();
    o.op_id = "op-ab";
    run_plan(l, &f, &j, &p, &o, &r);
    exec_free(r.ex);
    assert_int_equal(exec_journal_abandon(mem_sink, &j, "op-ab", 5000, NULL), GP_OK);
    struct journal_ops ops;
    assert_int_equal(journal_replay(j.text, j.len, 5000, &ops, NULL), GP_OK);
    assert_int_equal(ops.ops[0].state, JOP_ABANDONED);
    struct run r2 = {.done = false};
    struct gp_error err;
    struct executor *ex = NULL;
    assert_int_equal(exec_resume(l, &fake_ops, &f, mem_sink, &j, &ops.ops[0], &o, on_progress,
                                 on_done, &r2, &ex, &err),
                     GP_E_INVALID);
    assert_null(ex);
    assert_string_equal(err.message, "operation op-ab is abandoned; there is nothing to resume");
    journal_ops_cleanup(&ops);
    plan_cleanup(&p);
    vm_cleanup(&f.vm);
    loop_free(l);
}

/* A restart cut by a kill after its step-begin: the VM is running, so it is not restarted
 * again; a restart that was never begun runs once. */
static void test_restart_resume(void **state)
{
    (void)state;
    struct gp_loop *l = virtual_loop();
    struct fake f;
    fake_init(&f, l, POWER_RUNNING);
    struct plan p;
    plan_init(&p);
    assert_int_equal(plan_build_power(&f.vm, STEP_RESTART, &popt, &p, NULL), GP_OK);
    struct mem_journal j = {.len = 0, .fake = &f};
    struct run r = {.done = false};
    struct exec_options o = opts();
    o.op_id = "op-rs";
    run_plan(l, &f, &j, &p, &o, &r);
    assert_int_equal(r.result.status, GP_OK);
    assert_int_equal(f.calls[STEP_RESTART], 1); /* a running VM is restarted when asked */
    exec_free(r.ex);
    for (size_t k = 1; k <= 2; k++) { /* after op-begin, after step-begin */
        memset(f.calls, 0, sizeof(f.calls));
        struct mem_journal j2 = {.len = j.ends[k - 1], .fake = &f};
        memcpy(j2.text, j.text, j2.len);
        struct journal_ops ops;
        assert_int_equal(journal_replay(j2.text, j2.len, 0, &ops, NULL), GP_OK);
        struct run r2 = {.done = false};
        assert_int_equal(exec_resume(l, &fake_ops, &f, mem_sink, &j2, &ops.ops[0], &o,
                                     on_progress, on_done, &r2, &r2.ex, NULL),
                         GP_OK);
        journal_ops_cleanup(&ops);
        run_loop(l, &r2);
        assert_int_equal(r2.result.status, GP_OK);
        assert_int_equal(f.calls[STEP_RESTART], k == 1 ? 1 : 0);
        exec_free(r2.ex);
    }
    plan_cleanup(&p);
    vm_cleanup(&f.vm);
    loop_free(l);
}

static int group_setup(void **state)
{
    (void)state;
    memcpy(state_root, "/tmp/gpup-ex-XXXXXX", 20);
    if (!mkdtemp(state_root))
        return -1;
    setenv("XDG_STATE_HOME", state_root, 1);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    char cmd[128];
    (void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", state_root);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_running_vm_attach),
        cmocka_unit_test(test_stopped_vm_patch_only),
        cmocka_unit_test(test_failure_at_each_step),
        cmocka_unit_test(test_stale_view_refused),
        cmocka_unit_test(test_skip_and_settle),
        cmocka_unit_test(test_unreadable_after_failure),
        cmocka_unit_test(test_journal_failure_sends_nothing),
        cmocka_unit_test(test_lock_busy),
        cmocka_unit_test(test_interrupt_leaves_unfinished),
        cmocka_unit_test(test_journal_guards_the_vm),
        cmocka_unit_test(test_resume_after_kill_at_each_record),
        cmocka_unit_test(test_resume_failed_retries_failed_step),
        cmocka_unit_test(test_abandon),
        cmocka_unit_test(test_restart_resume),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
