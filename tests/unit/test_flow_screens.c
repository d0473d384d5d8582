/* SPDX-License-Identifier: MIT
 * tests/unit/test_flow_screens.c: the change flow screens (VM overview, Settings > Size,
 * Review, Progress, Notifications) in the console in-process on a terminal that draws into
 * /dev/null, with a fake ARM client on the loop's virtual clock (style.md 8). Keys are fed with
 * app_key, the loop is pumped pass by pass, and dumps are diffed with tests/screens/flow-*.txt
 * (UPDATE_GOLDEN=1 rewrites them). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/buf.h"
#include "model/cluster.h"
#include "model/journal.h"
#include "model/plan.h"
#include "model/keymap.h"
#include "model/vm.h"
#include "net/executor.h"
#include "net/loop.h"
#include "tui/app.h"
#include "tui/overview.h"
#include "tui/ops.h"
#include "tui/term.h"
#include "tests/support/screens.h"

#define SUB SCREENS_SUB
#define WALL_START 1764062000 /* 2025-11-25 09:13:20 UTC */
#define GET_MS 400u
#define STEP_MS 6000u

#define GPU_P "[{\"assignmentType\": \"GpuP\", \"partitionSizeMB\": 3648}]"

#define UBUNTU "ubuntu-22.04"

/* Sorted by name, as the home list shows them. */
static const struct screens_vm fleet[] = {
    /* node-02: no partition left */
    {"vm-001", "ml-rg", "node-02", "Running", "Succeeded", 4, 16384, NULL, UBUNTU},
    /* the operator's VM */
    {"vm-017", "ml-rg", "node-01", "Running", "Succeeded", 8, 32768, NULL, UBUNTU},
    /* has a partition */
    {"vm-018", "ml-rg", "node-01", "Stopped", "Succeeded", 8, 32768, GPU_P, UBUNTU},
};
#define FLEET_N (sizeof(fleet) / sizeof(fleet[0]))

/* --- the cluster: node-01 has partitions free, node-02 has none ------------------------- */

#define CL "/subscriptions/" SUB "/resourceGroups/ml-rg/providers/" \
           "Microsoft.ExtendedLocation/customLocations/cl-seattle"

static struct host_gpu gpus01[] = {
    {(char *)"gpu-0", (char *)"NVIDIA A2", GPU_MODE_GPUP, 3648, 4, 1, NULL, NULL, 0},
};
static struct host_gpu gpus02[] = {
    {(char *)"gpu-0", (char *)"NVIDIA A2", GPU_MODE_GPUP, 3648, 4, 4, NULL, NULL, 0},
};
static struct host hosts[] = {
    {(char *)"node-01", (char *)CL, (char *)"ml-rg", gpus01, 1},
    {(char *)"node-02", (char *)CL, (char *)"ml-rg", gpus02, 1},
};
static struct cluster cluster = {hosts, 2, true, 3648};

/* --- the fake service --------------------------------------------------------------------- */

struct fake {
    struct gp_loop *loop;
    struct vm *vms; /* the service's truth */
    size_t n;
    int fail_kind; /* a step kind that fails once, -1: none */
    unsigned calls[PLAN_STEP_KIND_COUNT];
    uint64_t timer;
    exec_vm_done_fn vdone;
    exec_step_done_fn sdone;
    void *dctx;
    const struct plan_step *step;
    char vm_id[512];
};

static struct vm *fake_find(struct fake *f, const char *id)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcasecmp(f->vms[i].id, id) == 0)
            return &f->vms[i];
    return NULL;
}

static void fake_get_fire(void *arg)
{
    struct fake *f = arg;
    f->timer = 0;
    exec_vm_done_fn done = f->vdone;
    f->vdone = NULL;
    const struct vm *vm = fake_find(f, f->vm_id);
    assert_non_null(vm);
    done(f->dctx, GP_OK, vm, NULL);
}

static enum gp_status fake_get_vm(void *client, const char *vm_id, exec_vm_done_fn done,
                                  void *ctx, struct gp_error *err)
{
    (void)err;
    struct fake *f = client;
    assert_int_equal(f->timer, 0);
    snprintf(f->vm_id, sizeof(f->vm_id), "%s", vm_id);
    f->vdone = done;
    f->dctx = ctx;
    f->timer = loop_timer_add(f->loop, GET_MS, fake_get_fire, f);
    return GP_OK;
}

static void set_gpus_from_body(struct vm *vm, const char *body)
{
    for (size_t i = 0; i < vm->n_gpus; i++) {
        free(vm->gpus[i].type_text);
        free(vm->gpus[i].gpu_name);
    }
    free(vm->gpus);
    vm->gpus = NULL;
    vm->n_gpus = 0;
    if (body && strstr(body, "GpuP")) {
        vm->gpus = calloc(1, sizeof(*vm->gpus));
        assert_non_null(vm->gpus);
        vm->gpus[0].type = GPU_ASSIGN_P;
        vm->gpus[0].type_text = strdup("GpuP");
        vm->gpus[0].partition_size_mb = 3648;
        vm->n_gpus = 1;
    }
}

static void fake_step_fire(void *arg)
{
    struct fake *f = arg;
    f->timer = 0;
    const struct plan_step *s = f->step;
    exec_step_done_fn done = f->sdone;
    f->sdone = NULL;
    f->calls[s->kind]++;
    struct vm *vm = NULL;
    for (size_t i = 0; i < f->n; i++)
        if (strstr(s->path, f->vms[i].name) &&
            strncmp(s->path, f->vms[i].id, strlen(f->vms[i].id)) == 0)
            vm = &f->vms[i];
    if (!vm) {
        fail_msg("no fake VM for %s", s->path);
        return; /* not reached: cmocka 1.1.5 does not mark fail_msg() noreturn */
    }
    if ((int)s->kind == f->fail_kind) {
        f->fail_kind = -1;
        struct gp_error e;
        gp_error_clear(&e);
        e.http_status = 409;
        snprintf(e.code, sizeof(e.code), "OperationNotAllowed");
        snprintf(e.request_id, sizeof(e.request_id), "9f1c2d3e-req-42");
        gp_error_set(&e, GP_E_HTTP, "409 OperationNotAllowed: the host is busy");
        done(f->dctx, GP_E_HTTP, &e);
        return;
    }
    switch (s->kind) {
    case STEP_STOP:
        vm->power = POWER_STOPPED;
        break;
    case STEP_START:
    case STEP_RESTART:
        vm->power = POWER_RUNNING;
        break;
    case STEP_PATCH_GPUS:
        set_gpus_from_body(vm, s->body);
        break;
    case STEP_CREATE_MACHINE:
    case STEP_CREATE_VMI:
    case PLAN_STEP_KIND_COUNT:
    default:
        fail();
    }
    free(vm->power_text);
    vm->power_text = strdup(power_state_name(vm->power));
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

/* --- the console -------------------------------------------------------------------------- */

static char tmpdir[64];

struct console {
    struct gp_buf journal; /* what the operations journaled */
    struct gp_loop *loop;
    struct app *app;
    struct ops *ops;
    struct fake fake;
    struct plan_options popt;
};

static enum gp_status mem_journal(void *ctx, const char *line, struct gp_error *err)
{
    (void)err;
    return gp_buf_append_str(ctx, line);
}

static int64_t fixed_wall(void *ctx)
{
    struct console *c = ctx;
    return WALL_START + (int64_t)(loop_now_ms(c->loop) / 1000u);
}

static void pump(struct console *c, int passes)
{
    for (int i = 0; i < passes; i++)
        assert_int_equal(loop_run_once(c->loop, 0), GP_OK);
}

static void console_start(struct console *c, bool readonly)
{
    memset(c, 0, sizeof(*c));
    gp_buf_init(&c->journal, 1u << 20);
    alarm(30);
    c->app = screens_app_new(&c->loop, NULL, readonly);
    struct gp_error err;
    gp_error_clear(&err);
    c->ops = ops_new(c->app, c->loop);
    assert_non_null(c->ops);
    c->fake.loop = c->loop;
    c->fake.fail_kind = -1;
    char *page = screens_fleet_page(fleet, FLEET_N);
    char *next = NULL;
    assert_int_equal(vm_list_from_json(page, strlen(page), &c->fake.vms, &c->fake.n, &next,
                                       NULL, &err),
                     GP_OK);
    struct vm *vms = NULL;
    size_t n = 0;
    assert_int_equal(vm_list_from_json(page, strlen(page), &vms, &n, &next, NULL, &err), GP_OK);
    free(page);
    struct exec_options eo = {.no_lock = true, .settle_reads = 3, .settle_interval_ms = 1000};
    ops_set_client(c->ops, &fake_ops, &c->fake, mem_journal, &c->journal, &eo);
    c->popt = (struct plan_options){"2025-09-01-preview", "2024-07-10", false};
    ops_set_context(c->ops, &cluster, &c->popt);
    ops_set_wall_clock(c->ops, fixed_wall, c);
    app_set_open_vm(c->app, overview_open_cb, c->ops);
    app_vms_begin(c->app, true);
    assert_int_equal(app_add_vms(c->app, vms, n, n, &err), GP_OK);
    app_vms_done(c->app, NULL);
    app_set_refreshed(c->app, WALL_START);
    vm_array_free(vms, n);
    pump(c, 1);
}

static void console_stop(struct console *c)
{
    app_free(c->app);
    ops_free(c->ops);
    vm_array_free(c->fake.vms, c->fake.n);
    loop_free(c->loop);
    gp_buf_cleanup(&c->journal);
    alarm(0);
}

/* Types keys written like the screen-test scripts: "<Down>", "<F2>", or characters. */
static void keys(struct console *c, const char *spec)
{
    const char *p = spec;
    while (*p) {
        app_key(c->app, screens_next_key(&p));
        loop_wakeup(c->loop);
        pump(c, 1);
    }
}

/* Pumps until the fake has answered n more calls of kind, or the operation ended. */
static void run_until_idle(struct console *c)
{
    for (int i = 0; i < 10000 && loop_next_timer_ms(c->loop) >= 0; i++)
        pump(c, 1);
    assert_int_equal(loop_next_timer_ms(c->loop), -1);
}

static char *dump(struct console *c, const char *name)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/%s.txt", tmpdir, name);
    struct gp_error err;
    gp_error_clear(&err);
    loop_wakeup(c->loop);
    pump(c, 1);
    assert_int_equal(app_dump_screen(c->app, path, &err), GP_OK);
    char *got = screens_slurp(path);
    assert_non_null(got);
    return got;
}

static void golden(struct console *c, const char *name)
{
    free(dump(c, name));
    char path[128];
    snprintf(path, sizeof(path), "%s/%s.txt", tmpdir, name);
    screens_compare_golden(name, path);
}

static bool screen_has(struct console *c, const char *text)
{
    char *got = dump(c, "probe");
    bool yes = strstr(got, text) != NULL;
    if (!yes)
        print_message("screen:\n%s", got);
    free(got);
    return yes;
}

static const struct vm *truth(struct console *c, const char *name)
{
    for (size_t i = 0; i < c->fake.n; i++)
        if (strcmp(c->fake.vms[i].name, name) == 0)
            return &c->fake.vms[i];
    fail();
    return NULL;
}

/* A click at terminal cell (y, x), as a real one (or the scripts' ":mouse click Y X") arrives,
 * then one pass, which draws. */
static void click(struct console *c, int y, int x)
{
    app_mouse(c->app, &(struct tui_mouse){TUI_MOUSE_CLICK, y, x});
    loop_wakeup(c->loop);
    pump(c, 1);
}

/* --- tests -------------------------------------------------------------------------------- */

static void test_overview(void **state)
{
    (void)state;
    struct console c;
    console_start(&c, false);
    keys(&c, "<Down><Enter>");
    golden(&c, "flow-overview");
    console_stop(&c);
}

static void test_size_gpu_partition(void **state)
{
    (void)state;
    struct console c;
    console_start(&c, false);
    /* Focus starts on None (vm-017 has no GPU); Down + Space picks GPU Partition. */
    keys(&c, "<Down><Enter>z<Down> ");
    golden(&c, "flow-size-gpup");
    /* Enter on a choice chooses it too, and shows it at once. */
    keys(&c, "<Up><Enter>");
    assert_true(screen_has(&c, "(•) None"));
    keys(&c, "<Down><Enter>");
    assert_true(screen_has(&c, "(•) GPU Partition"));
    /* Esc with the unsaved change asks; n stays; Esc, y leaves. */
    keys(&c, "<Esc>");
    assert_true(screen_has(&c, "Discard changes to vm-017? (y/n)"));
    keys(&c, "n");
    assert_true(screen_has(&c, "Size: vm-017"));
    keys(&c, "<Esc>y");
    assert_false(screen_has(&c, "Size: vm-017"));
    assert_true(screen_has(&c, "Home > Virtual machines > vm-017\n"));
    console_stop(&c);
}

static void test_review_passed(void **state)
{
    (void)state;
    struct console c;
    console_start(&c, false);
    keys(&c, "<Down><Enter>z<Down> <F2>");
    golden(&c, "flow-review-passed");
    /* The rest of the page: the exact plan, as --dry-run prints it. */
    keys(&c, "<End>");
    golden(&c, "flow-review-plan");
    console_stop(&c);
}

static void test_review_failed_rule(void **state)
{
    (void)state;
    struct console c;
    console_start(&c, false);
    /* vm-001 runs on node-02, whose partitions are all used: capacity fails. */
    keys(&c, "<Enter>z<Down> <F2>");
    golden(&c, "flow-review-failed");
    /* Save cannot be pressed: nothing starts. */
    keys(&c, "<F2>");
    assert_int_equal(ops_running(c.ops), 0);
    console_stop(&c);
}

static void test_review_readonly(void **state)
{
    (void)state;
    struct console c;
    console_start(&c, true);
    keys(&c, "<Down><Enter>-");
    assert_true(screen_has(&c, "Stop is disabled: read-only mode"));
    keys(&c, "<Enter><F2>");
    assert_int_equal(ops_running(c.ops), 0);
    console_stop(&c);
}

static void test_progress_mid_way(void **state)
{
    (void)state;
    struct console c;
    console_start(&c, false);
    keys(&c, "<Down><Enter>z<Down> <F2><Enter>");
    assert_int_equal(ops_running(c.ops), 1);
    /* Until the PATCH is running: the stop is done. */
    for (int i = 0; i < 10000 && c.fake.calls[STEP_STOP] == 0; i++)
        pump(&c, 1);
    for (int i = 0; i < 60; i++)
        pump(&c, 1);
    golden(&c, "flow-progress-mid");
    /* Esc leaves; the operation goes on and its count is in the status line. */
    keys(&c, "<Esc>");
    assert_true(screen_has(&c, "1 op │"));
    assert_true(screen_has(&c, "GPU change: step 2/3 PATCH"));
    run_until_idle(&c);
    assert_int_equal(ops_running(c.ops), 0);
    assert_int_equal(truth(&c, "vm-017")->n_gpus, 1);
    assert_int_equal(truth(&c, "vm-017")->power, POWER_RUNNING);
    assert_int_equal(c.fake.calls[STEP_START], 1);
    /* The overview shows what the operation read back. */
    assert_true(screen_has(&c, "GPU-P 3648 MB"));
    /* Idle: no timer left (the spinner stopped with the operation). */
    assert_int_equal(loop_next_timer_ms(c.loop), -1);
    console_stop(&c);
}

static void fail_patch_and_run(struct console *c)
{
    c->fake.fail_kind = STEP_PATCH_GPUS;
    keys(c, "<Down><Enter>z<Down> <F2><Enter>");
    run_until_idle(c);
}

static void test_progress_failed_offers(void **state)
{
    (void)state;
    struct console c;
    console_start(&c, false);
    fail_patch_and_run(&c);
    golden(&c, "flow-progress-failed");
    /* The first offer: start the VM again without the change. */
    keys(&c, "<Enter>");
    run_until_idle(&c);
    assert_int_equal(truth(&c, "vm-017")->power, POWER_RUNNING);
    assert_int_equal(truth(&c, "vm-017")->n_gpus, 0);
    assert_int_equal(c.fake.calls[STEP_START], 1);
    assert_true(screen_has(&c, "Start on vm-017"));
    assert_true(screen_has(&c, "Done in"));
    /* The failed change is abandoned in the journal, so it is no longer offered for resume. */
    assert_non_null(strstr(gp_buf_str(&c.journal), "abandoned"));
    console_stop(&c);
}

static void test_recovery_retry(void **state)
{
    (void)state;
    struct console c;
    console_start(&c, false);
    fail_patch_and_run(&c);
    assert_true(screen_has(&c, "Retry the"));
    /* The second offer: retry the attach at the failed step. */
    keys(&c, "<Down><Enter>");
    run_until_idle(&c);
    assert_int_equal(truth(&c, "vm-017")->n_gpus, 1);
    assert_int_equal(truth(&c, "vm-017")->power, POWER_RUNNING);
    assert_int_equal(c.fake.calls[STEP_STOP], 1); /* not sent twice */
    assert_int_equal(c.fake.calls[STEP_PATCH_GPUS], 2);
    console_stop(&c);
}

static void test_recovery_leave(void **state)
{
    (void)state;
    struct console c;
    console_start(&c, false);
    fail_patch_and_run(&c);
    keys(&c, "<Down><Down><Enter>");
    assert_int_equal(ops_running(c.ops), 0);
    assert_int_equal(truth(&c, "vm-017")->power, POWER_STOPPED);
    assert_true(screen_has(&c, "A recovery was chosen"));
    assert_false(screen_has(&c, "[ Retry the"));
    assert_int_equal(ops_note_count(c.ops), 2);
    assert_string_equal(ops_note(c.ops, 0)->outcome, "left stopped");
    assert_int_equal(loop_next_timer_ms(c.loop), -1);
    console_stop(&c);
}

/* Terminal cells (80x24, the breadcrumb on row 0) of the controls the click tests press; the
 * goldens flow-overview, flow-size-gpup, flow-review-* and flow-progress-failed show them. */
#define AT_OVERVIEW_START 18, 23
#define AT_OVERVIEW_SIZE 19, 23
#define AT_SIZE_NONE 7, 6
#define AT_SIZE_GPUP 8, 10
#define AT_SIZE_SAVE 10, 3
#define AT_SIZE_DISCARD 10, 15
#define AT_REVIEW_SAVE 21, 3
#define AT_PROGRESS_RETRY 14, 5

static void test_click_size_review_progress(void **state)
{
    (void)state;
    struct console c;
    console_start(&c, false);
    app_set_mouse(c.app, true);
    keys(&c, "<Down><Enter>");
    click(&c, AT_OVERVIEW_SIZE);
    assert_true(screen_has(&c, "Home > Virtual machines > vm-017 > Size\n"));
    /* The radio choice is chosen as Space chooses it: the very screen of the keys. */
    click(&c, AT_SIZE_GPUP);
    golden(&c, "flow-size-gpup");
    /* Save: the plan goes to Review, as F2 or Enter on Save. */
    click(&c, AT_SIZE_SAVE);
    assert_true(screen_has(&c, "Home > Virtual machines > vm-017 > Size > Review\n"));
    assert_true(screen_has(&c, " GPU change on vm-017\n"));
    assert_int_equal(ops_running(c.ops), 0);
    /* Save on Review starts the operation: Progress, and the service is asked to stop. */
    click(&c, AT_REVIEW_SAVE);
    assert_int_equal(ops_running(c.ops), 1);
    assert_true(screen_has(&c, "Home > Virtual machines > vm-017 > Progress\n"));
    for (int i = 0; i < 10000 && c.fake.calls[STEP_STOP] == 0; i++)
        pump(&c, 1);
    assert_int_equal(c.fake.calls[STEP_STOP], 1);
    assert_true(screen_has(&c, "1. Stop vm-017 and wait until Stopped"));
    run_until_idle(&c);
    assert_int_equal(truth(&c, "vm-017")->n_gpus, 1);
    console_stop(&c);
}

/* The screen after keys, then the clicks at cells yx (n pairs), in a fresh console. */
static char *after_clicks(bool readonly, bool mouse, const char *spec, const int *yx, size_t n)
{
    struct console c;
    console_start(&c, readonly);
    app_set_mouse(c.app, mouse);
    keys(&c, spec);
    for (size_t i = 0; i < n; i++)
        click(&c, yx[2 * i], yx[2 * i + 1]);
    assert_int_equal(ops_running(c.ops), 0);
    char *got = dump(&c, "clicked");
    console_stop(&c);
    return got;
}

/* The screen after keys typed in a fresh console. */
static char *after_keys(bool readonly, const char *spec)
{
    return after_clicks(readonly, false, spec, NULL, 0);
}

static void test_click_disabled_refuses(void **state)
{
    (void)state;
    /* Read-only: Save on Size refuses as Enter on it does (Tab: from GPU Partition to Save),
     * and nothing else happens. */
    static const int save[] = {AT_SIZE_SAVE};
    char *clicked = after_clicks(true, true, "<Down><Enter>z<Down> ", save, 1);
    char *typed = after_keys(true, "<Down><Enter>z<Down> <Tab><Enter>");
    assert_non_null(strstr(clicked, "Save is disabled: read-only mode"));
    assert_non_null(strstr(clicked, "Size: vm-017"));
    assert_string_equal(clicked, typed);
    free(clicked);
    free(typed);
    /* Nothing changed yet: Save and Discard say so, as Enter on them does (from None). */
    static const int discard[] = {AT_SIZE_DISCARD};
    clicked = after_clicks(false, true, "<Down><Enter>z", save, 1);
    typed = after_keys(false, "<Down><Enter>z<Tab><Tab><Enter>");
    assert_non_null(strstr(clicked, "No changes to save"));
    assert_string_equal(clicked, typed);
    free(clicked);
    free(typed);
    clicked = after_clicks(false, true, "<Down><Enter>z", discard, 1);
    typed = after_keys(false, "<Down><Enter>z<Tab><Tab><Tab><Enter>");
    assert_non_null(strstr(clicked, "No changes to discard"));
    assert_string_equal(clicked, typed);
    free(clicked);
    free(typed);
    /* A failing rule (vm-001's host has no partition free): Save on Review refuses with the
     * rule, as Tab (from Back to Save) and Enter do; nothing starts (after_clicks checks). */
    static const int review_save[] = {AT_REVIEW_SAVE};
    clicked = after_clicks(false, true, "<Enter>z<Down> <F2>", review_save, 1);
    typed = after_keys(false, "<Enter>z<Down> <F2><Tab><Enter>");
    assert_non_null(strstr(clicked, "Save is disabled: rule capacity failed"));
    assert_non_null(strstr(clicked, "> Review\n"));
    assert_string_equal(clicked, typed);
    free(clicked);
    free(typed);
    /* Start on a running VM's overview refuses as Enter on it does (Up x3: Size to Start). */
    static const int start[] = {AT_OVERVIEW_START};
    clicked = after_clicks(false, true, "<Down><Enter>", start, 1);
    typed = after_keys(false, "<Down><Enter><Up><Up><Up><Enter>");
    assert_non_null(strstr(clicked, "\n vm-017 is already Running\n"));
    assert_string_equal(clicked, typed);
    assert_null(strstr(clicked, "> Review"));
    free(clicked);
    free(typed);
}

static void test_click_elsewhere(void **state)
{
    (void)state;
    /* On Size, with a change: the title, labels, blank rows, the partition size note, the gap
     * between the buttons, the hint and status lines: nothing. */
    static const int nowhere[] = {1, 3,  3, 2,  6, 2,  8, 40, 10, 9, 10, 10, 11, 3,
                                  15, 3, 22, 3, 23, 3, 0,  3,  8, 2, 8,  21, 10, 0};
    char *clicked = after_clicks(false, true, "<Down><Enter>z<Down> ", nowhere,
                                 sizeof(nowhere) / sizeof(nowhere[0]) / 2);
    char *typed = after_keys(false, "<Down><Enter>z<Down> ");
    assert_string_equal(clicked, typed);
    free(clicked);
    free(typed);
    /* With the mouse off (the default), clicks on the buttons do nothing at all. */
    static const int buttons[] = {AT_SIZE_NONE, AT_SIZE_SAVE, AT_SIZE_DISCARD};
    clicked = after_clicks(false, false, "<Down><Enter>z<Down> ", buttons, 3);
    typed = after_keys(false, "<Down><Enter>z<Down> ");
    assert_string_equal(clicked, typed);
    free(clicked);
    free(typed);
    /* A double-click on Save is not a second press: Review once, nothing more. */
    struct console c;
    console_start(&c, false);
    app_set_mouse(c.app, true);
    keys(&c, "<Down><Enter>z<Down> ");
    app_mouse(c.app, &(struct tui_mouse){TUI_MOUSE_DOUBLE, AT_SIZE_SAVE});
    pump(&c, 1);
    assert_true(screen_has(&c, "Size: vm-017"));
    /* Two presses before a draw (a double-click as presses): the second aims at nothing, not at
     * the button the first one changed; once drawn, a click presses again. */
    app_mouse(c.app, &(struct tui_mouse){TUI_MOUSE_CLICK, AT_SIZE_DISCARD});
    app_mouse(c.app, &(struct tui_mouse){TUI_MOUSE_CLICK, AT_SIZE_DISCARD});
    assert_true(screen_has(&c, "(•) None"));
    assert_false(screen_has(&c, "No changes to discard")); /* (the second ended the flash) */
    click(&c, AT_SIZE_DISCARD);
    assert_true(screen_has(&c, "\n No changes to discard\n"));
    console_stop(&c);
}

static void test_click_recovery(void **state)
{
    (void)state;
    struct console c;
    console_start(&c, false);
    app_set_mouse(c.app, true);
    fail_patch_and_run(&c);
    /* The second offer, clicked: retry the attach at the failed step, as Down Enter. */
    click(&c, AT_PROGRESS_RETRY);
    run_until_idle(&c);
    assert_int_equal(truth(&c, "vm-017")->n_gpus, 1);
    assert_int_equal(c.fake.calls[STEP_STOP], 1);
    assert_int_equal(c.fake.calls[STEP_PATCH_GPUS], 2);
    assert_true(screen_has(&c, "Done in"));
    console_stop(&c);
}

static void test_review_resized(void **state)
{
    (void)state;
    struct console c;
    console_start(&c, false);
    keys(&c, "<Down><Enter>z<Down> <F2>");
    tui_resize(30, 100);
    app_key(c.app, KEY_CODE_RESIZE);
    keys(&c, "<End>");
    /* The plan is wrapped again for the new width (98 columns). */
    assert_true(screen_has(&c, "/resourceGroups/ml-rg/providers/Micro\n"));
    tui_resize(24, 80);
    app_key(c.app, KEY_CODE_RESIZE);
    keys(&c, "<Home>");
    assert_true(screen_has(&c, "GPU change on vm-017"));
    console_stop(&c);
}

static void test_notifications(void **state)
{
    (void)state;
    struct console c;
    console_start(&c, false);
    /* vm-018 (stopped) starts fine, then vm-017's attach fails. */
    keys(&c, "<Down><Down><Enter>+<Enter>");
    run_until_idle(&c);
    keys(&c, "<Esc><Esc><Home>");
    fail_patch_and_run(&c);
    /* The failure flashes in the status line. */
    assert_true(screen_has(&c, "GPU change vm-017 failed: step 2/3 PATCH vm-017: 409"));
    assert_int_equal(ops_notes_unseen(c.ops), 2);
    keys(&c, "n");
    golden(&c, "flow-notifications");
    assert_true(screen_has(&c, "0 notifications"));
    keys(&c, "<Esc>");
    assert_true(screen_has(&c, "Up/Down: choose  Enter: run it"));
    console_stop(&c);
}

static void test_delete_assignment(void **state)
{
    (void)state;
    struct console c;
    console_start(&c, false);
    keys(&c, "<Down><Down><Enter>z");
    assert_true(screen_has(&c, "GPU Assignment"));
    assert_true(screen_has(&c, "GPU-P partition, 3648 MB"));
    assert_true(screen_has(&c, "[ Delete assignment ]"));
    /* Nothing changed yet: Save and Discard say so. */
    keys(&c, "<F2>");
    assert_true(screen_has(&c, "No changes to save"));
    /* None, then Discard puts GPU Partition back. */
    keys(&c, "<Home><Up> <F8>");
    assert_true(screen_has(&c, "Changes discarded"));
    assert_true(screen_has(&c, "(•) GPU Partition"));
    /* Delete assignment reviews a PATCH only: vm-018 is stopped. */
    keys(&c, "<Del>");
    assert_true(screen_has(&c, "Delete assignment on vm-018"));
    assert_true(screen_has(&c, "→ —"));
    keys(&c, "<End>");
    assert_true(screen_has(&c, "1. PATCH /subscriptions/"));
    assert_false(screen_has(&c, "2. POST"));
    keys(&c, "<Enter>");
    run_until_idle(&c);
    assert_int_equal(truth(&c, "vm-018")->n_gpus, 0);
    assert_int_equal(truth(&c, "vm-018")->power, POWER_STOPPED);
    assert_int_equal(c.fake.calls[STEP_STOP] + c.fake.calls[STEP_START], 0);
    assert_true(screen_has(&c, "Home > Virtual machines > vm-018 > Progress\n"));
    assert_true(screen_has(&c, "Done in"));
    console_stop(&c);
}

static void test_size_without_inventory(void **state)
{
    (void)state;
    cluster.inventory_known = false;
    cluster.partition_size_mb_config = 4096;
    struct console c;
    console_start(&c, false);
    keys(&c, "<Down><Enter>z");
    assert_true(screen_has(&c, "partition size 4096 MB (from config)"));
    assert_false(screen_has(&c, "DDA"));
    keys(&c, "<Down> <F2>");
    assert_true(screen_has(&c, "unknown"));
    cluster.inventory_known = true;
    cluster.partition_size_mb_config = 3648;
    console_stop(&c);
}

static void test_size_dda_host(void **state)
{
    (void)state;
    /* node-02's GPU in DDA mode: no GPU Partition choice, and the screen says why. */
    gpus02[0].mode = GPU_MODE_DDA;
    struct console c;
    console_start(&c, false);
    keys(&c, "<Enter>z"); /* vm-001, on node-02 */
    assert_true(screen_has(&c, "Size: vm-001"));
    assert_false(screen_has(&c, "( ) GPU Partition"));
    assert_true(screen_has(&c, "( ) GPU passthrough (DDA)"));
    assert_true(screen_has(&c, "No GPU Partition: node-02 has no GPU in GPU-P mode\n"));
    assert_true(screen_has(&c, "(a GPU is used either by DDA or by GPU-P, never both)"));
    console_stop(&c);
    gpus02[0].mode = GPU_MODE_GPUP;
    /* With a GPU-P GPU there, the choice is offered and no such line shows. */
    console_start(&c, false);
    keys(&c, "<Enter>z");
    assert_true(screen_has(&c, "( ) GPU Partition"));
    assert_false(screen_has(&c, "No GPU Partition"));
    console_stop(&c);
}

static void test_resume_journaled(void **state)
{
    (void)state;
    struct console c;
    console_start(&c, false);
    /* An operation the journal holds unfinished (gpup was killed before its first step). */
    struct vm_gpu want = {GPU_ASSIGN_P, (char *)"GpuP", -1, NULL};
    struct plan plan;
    plan_init(&plan);
    struct gp_error err;
    gp_error_clear(&err);
    assert_int_equal(plan_build_gpu_change(truth(&c, "vm-017"), &want, 1, &c.popt, &plan, &err),
                     GP_OK);
    struct journal_op jop;
    journal_op_init(&jop);
    assert_int_equal(journal_op_from_plan(&jop, "20251125T091320Z-0001-1", &plan, WALL_START,
                                          &err),
                     GP_OK);
    plan_cleanup(&plan);
    struct op *op = NULL;
    assert_int_equal(ops_resume(c.ops, &jop, NULL, &op, &err), GP_OK);
    journal_op_cleanup(&jop);
    assert_non_null(op);
    assert_string_equal(op->title, "Resume GPU change");
    /* One operation per VM at a time. */
    assert_int_equal(ops_running(c.ops), 1);
    plan_init(&plan);
    assert_int_equal(plan_build_power(truth(&c, "vm-017"), STEP_RESTART, &c.popt, &plan, &err),
                     GP_OK);
    assert_int_equal(ops_start(c.ops, &plan, "Restart", NULL, &err), GP_E_BUSY);
    assert_non_null(strstr(err.message, "already running"));
    plan_cleanup(&plan);
    run_until_idle(&c);
    assert_int_equal(op->state, OP_DONE);
    assert_int_equal(truth(&c, "vm-017")->n_gpus, 1);
    assert_int_equal(truth(&c, "vm-017")->power, POWER_RUNNING);
    assert_int_equal(ops_note_count(c.ops), 1);
    assert_string_equal(ops_note(c.ops, 0)->outcome, "done");
    console_stop(&c);
}

static void test_json_view(void **state)
{
    (void)state;
    struct console c;
    console_start(&c, false);
    keys(&c, "<Down><Enter>J");
    assert_true(screen_has(&c, "\"processors\": 8,"));
    keys(&c, "/hostnode<Enter>");
    assert_true(screen_has(&c, "\"hostNodeName\": \"node-01\""));
    keys(&c, "/zzz<Enter>");
    assert_true(screen_has(&c, "no match for \"zzz\""));
    keys(&c, "<Esc>y");
    assert_true(screen_has(&c, "Copied the resource id (OSC 52)"));
    console_stop(&c);
}

static void test_osc52_and_pretty(void **state)
{
    (void)state;
    char buf[64];
    assert_int_equal(overview_osc52("/sub/x", buf, sizeof(buf)), 16);
    assert_string_equal(buf, "\033]52;c;L3N1Yi94\a");
    assert_int_equal(overview_osc52("ab", buf, sizeof(buf)), 12);
    assert_string_equal(buf, "\033]52;c;YWI=\a");
    assert_int_equal(overview_osc52("abcdef", buf, 8), 0);
    char *p = overview_pretty_json("{\"a\":[1,{\"b\":\"x,{\\\"y\"}],\"c\":{},\"d\":[]}");
    assert_non_null(p);
    assert_string_equal(p, "{\n  \"a\": [\n    1,\n    {\n      \"b\": \"x,{\\\"y\"\n    }\n  ],"
                           "\n  \"c\": {},\n  \"d\": []\n}");
    free(p);
}

static int setup_all(void **state)
{
    (void)state;
    return screens_setup(tmpdir, sizeof(tmpdir), "flow");
}

static int teardown_all(void **state)
{
    (void)state;
    return screens_teardown(tmpdir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_overview),
        cmocka_unit_test(test_size_gpu_partition),
        cmocka_unit_test(test_review_passed),
        cmocka_unit_test(test_review_failed_rule),
        cmocka_unit_test(test_review_readonly),
        cmocka_unit_test(test_progress_mid_way),
        cmocka_unit_test(test_progress_failed_offers),
        cmocka_unit_test(test_recovery_retry),
        cmocka_unit_test(test_recovery_leave),
        cmocka_unit_test(test_click_size_review_progress),
        cmocka_unit_test(test_click_disabled_refuses),
        cmocka_unit_test(test_click_elsewhere),
        cmocka_unit_test(test_click_recovery),
        cmocka_unit_test(test_review_resized),
        cmocka_unit_test(test_notifications),
        cmocka_unit_test(test_delete_assignment),
        cmocka_unit_test(test_size_without_inventory),
        cmocka_unit_test(test_size_dda_host),
        cmocka_unit_test(test_resume_journaled),
        cmocka_unit_test(test_json_view),
        cmocka_unit_test(test_osc52_and_pretty),
    };
    return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
