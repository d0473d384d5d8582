/* SPDX-License-Identifier: MIT
 * tests/integration/test_net_sim.c: the ARM client against the real emulator (gpup-sim on a
 * random loopback port): the fleet listing finds every VM and no cluster node, a stop runs as a
 * long-running operation to a Stopped VM, a GPU change on a running VM is refused with the
 * service's 409 line and accepted once it is stopped, a wrong token is a 401 after one refresh,
 * and injected faults are retried through or reported with ARM's code. Skipped when GPUP_SIM is
 * not built yet. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "model/text.h"
#include "model/vm.h"
#include "net/arm.h"
#include "net/fleet.h"
#include "net/lro.h"

#define SUB "00000000-0000-0000-0000-000000000000"
#define API "?api-version=2025-09-01-preview"
#define FLEET_N 24
#define TOKEN "integration-token"

struct sim {
    pid_t pid;
    char endpoint[128];
};

/* Starts gpup-sim and reads "listening on http://HOST:PORT" from its first stdout line. */
static bool sim_start(struct sim *s, const char *const *extra)
{
    const char *bin = getenv("GPUP_SIM");
    if (!bin || access(bin, X_OK) != 0)
        return false;
    int p[2];
    assert_int_equal(pipe(p), 0);
    char fleet[16];
    snprintf(fleet, sizeof(fleet), "%d", FLEET_N);
    const char *argv[32] = {bin, "--listen", "127.0.0.1:0", "--fleet", fleet, "--hosts", "2",
                            "--seed", "7", "--op-ms", "0", "--token", TOKEN, "--quiet"};
    size_t n = 14;
    for (size_t i = 0; extra && extra[i] && n < 31; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    s->pid = fork();
    assert_true(s->pid >= 0);
    if (s->pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    close(p[1]);
    char line[256];
    size_t len = 0;
    for (;;) {
        struct pollfd pfd = {.fd = p[0], .events = POLLIN};
        int r = poll(&pfd, 1, 10000); /* a watchdog, not a timing assertion */
        assert_true(r > 0);
        ssize_t got = read(p[0], line + len, 1);
        assert_true(got == 1);
        if (line[len] == '\n' || len + 2 >= sizeof(line))
            break;
        len++;
    }
    line[len] = '\0';
    close(p[0]); /* the sim writes nothing more with --quiet */
    const char *url = strstr(line, "http://");
    assert_non_null(url);
    assert_true(text_copy(s->endpoint, sizeof(s->endpoint), url));
    return true;
}

static void sim_stop(struct sim *s)
{
    kill(s->pid, SIGTERM);
    int status;
    while (waitpid(s->pid, &status, 0) < 0 && errno == EINTR)
        ;
}

struct env {
    struct sim sim;
    struct gp_loop *loop;
    struct arm_client *arm;
    const char *token;
};

static bool env_open_with(struct env *e, const char *token, const char *const *extra)
{
    memset(e, 0, sizeof(*e));
    if (!sim_start(&e->sim, extra))
        return false;
    assert_int_equal(loop_new(&e->loop), GP_OK);
    e->token = token;
    /* Azure's retry rules with short waits, so fault cases stay quick. */
    struct arm_options o = {.endpoint = e->sim.endpoint,
                            .retry = {.max_retries = 3, .base_delay_ms = 10,
                                      .max_delay_ms = 100}};
    struct gp_error err;
    assert_int_equal(arm_client_new(e->loop, &o, &arm_static_token_ops, (void *)e->token,
                                    &e->arm, &err),
                     GP_OK);
    return true;
}

static bool env_open(struct env *e, const char *token)
{
    return env_open_with(e, token, NULL);
}

static void env_close(struct env *e)
{
    arm_client_free(e->arm);
    loop_free(e->loop);
    if (e->sim.pid > 0)
        sim_stop(&e->sim);
    memset(e, 0, sizeof(*e));
}

/* The environment of the running test: the teardown closes it even when an assertion failed
 * half-way, so no emulator is left behind. */
static struct env cur;

static int teardown(void **state)
{
    (void)state;
    env_close(&cur);
    return 0;
}

/* Runs the loop until *flag is set (bounded number of passes). */
static void run_until(struct gp_loop *l, const int *flag)
{
    for (int i = 0; i < 100000 && !*flag; i++)
        assert_int_equal(loop_run_once(l, 1000), GP_OK);
    assert_true(*flag);
}

struct listing {
    int done;
    bool failed;
    struct gp_error err;
    struct fleet_stats stats;
    struct vm *vms;
    size_t n;
};

static void on_rows(void *ctx, struct vm *vms, size_t n)
{
    struct listing *x = ctx;
    struct vm *all = realloc(x->vms, (x->n + n) * sizeof(*all));
    assert_non_null(all);
    memcpy(all + x->n, vms, n * sizeof(*vms));
    x->vms = all;
    x->n += n;
    free(vms); /* the structs moved into x->vms; their strings stay owned there */
}

static void on_listed(void *ctx, const struct fleet_stats *stats, const struct gp_error *err)
{
    struct listing *x = ctx;
    x->done = 1;
    x->stats = *stats;
    x->failed = err != NULL;
    if (err)
        x->err = *err;
}

static void list_fleet(struct env *e, struct listing *x, bool skip_graph)
{
    memset(x, 0, sizeof(*x));
    struct gp_error err;
    struct fleet_options o = {.skip_graph = skip_graph};
    assert_int_equal(fleet_list(e->arm, SUB, NULL, &o, on_rows, on_listed, x, NULL, &err), GP_OK);
    run_until(e->loop, &x->done);
    if (x->failed)
        fail_msg("fleet: %s", x->err.message);
}

static void test_fleet_lists_every_vm(void **state)
{
    (void)state;
    struct env *e = &cur;
    if (!env_open(e, TOKEN))
        skip();
    for (int pass = 0; pass < 2; pass++) {
        struct listing x;
        list_fleet(e, &x, pass == 1);
        assert_int_equal(x.n, FLEET_N);
        assert_int_equal(x.stats.failed, 0);
        for (size_t i = 0; i < x.n; i++) {
            assert_non_null(x.vms[i].name);
            assert_string_equal(x.vms[i].subscription, SUB);
        }
        if (x.stats.source == FLEET_VIA_MACHINES)
            assert_int_equal(x.stats.machines - x.stats.not_vms, FLEET_N);
        vm_array_free(x.vms, x.n);
    }
}

struct op {
    int done;
    bool failed;
    struct gp_error err;
    char body[8192];
};

static void on_op(void *ctx, const struct lro_result *res, const struct gp_error *err)
{
    struct op *o = ctx;
    o->done = 1;
    o->failed = err != NULL;
    if (err)
        o->err = *err;
    (void)text_copy(o->body, sizeof(o->body), res->body);
}

static void run_op(struct env *e, struct op *o, const char *method, const char *path,
                   const char *body, const char *final_path)
{
    memset(o, 0, sizeof(*o));
    struct gp_error err;
    struct lro_options opts = {.poll_initial_ms = 10, .poll_max_ms = 50,
                               .final_path = final_path};
    assert_int_equal(lro_begin(e->arm, method, path, body, body ? strlen(body) : 0, &opts, on_op,
                               o, NULL, &err),
                     GP_OK);
    run_until(e->loop, &o->done);
}

static void test_gpu_rule_and_stop(void **state)
{
    (void)state;
    struct env *e = &cur;
    if (!env_open(e, TOKEN))
        skip();
    struct listing x;
    list_fleet(e, &x, false);
    /* A running VM whose GPU list we change: attach GPU-P where it has none, else detach. */
    const struct vm *running = NULL;
    for (size_t i = 0; i < x.n && !running; i++)
        if (x.vms[i].power == POWER_RUNNING && x.vms[i].n_gpus == 0)
            running = &x.vms[i];
    const char *patch = "{\"properties\":{\"hardwareProfile\":{\"virtualMachineGPUs\":"
                        "[{\"assignmentType\":\"GpuP\"}]}}}";
    for (size_t i = 0; i < x.n && !running; i++) {
        if (x.vms[i].power == POWER_RUNNING) {
            running = &x.vms[i];
            patch = "{\"properties\":{\"hardwareProfile\":{\"virtualMachineGPUs\":[]}}}";
        }
    }
    if (!running) {
        fail_msg("the fleet has no running VM");
        return; /* not reached: cmocka 1.1.5 does not mark fail_msg() noreturn */
    }
    char vmi[1024], action[1100];
    snprintf(vmi, sizeof(vmi), "%s" API, running->id);
    snprintf(action, sizeof(action), "%s/stop" API, running->id);
    vm_array_free(x.vms, x.n);

    /* GPU changes on a running VM: the service's rule, as one 409 line. */
    struct op o;
    run_op(e, &o, "PATCH", vmi, patch, NULL);
    assert_true(o.failed);
    assert_int_equal(o.err.http_status, 409);
    assert_string_equal(o.err.code, "VmMustBeStopped");
    assert_true(strncmp(o.err.message, "409 VmMustBeStopped: ", 21) == 0);

    /* Stop: 202 + Location, polled to the end, then the VM read back. */
    run_op(e, &o, "POST", action, NULL, vmi);
    if (o.failed)
        fail_msg("stop: %s", o.err.message);
    struct vm vm;
    vm_init(&vm);
    struct gp_error err;
    assert_int_equal(vm_from_json(&vm, o.body, strlen(o.body), &err), GP_OK);
    assert_int_equal(vm.power, POWER_STOPPED);
    vm_cleanup(&vm);

    /* Now the same change is accepted and runs to the end. */
    run_op(e, &o, "PATCH", vmi, patch, NULL);
    if (o.failed)
        fail_msg("patch on the stopped VM: %s", o.err.message);
}

struct plain {
    int done;
    bool failed;
    struct gp_error err;
};

static void on_plain(void *ctx, const struct http_response *resp, const struct gp_error *err)
{
    struct plain *p = ctx;
    (void)resp;
    p->done = 1;
    p->failed = err != NULL;
    if (err)
        p->err = *err;
}

static void test_wrong_token_and_unknown_subscription(void **state)
{
    (void)state;
    struct env *e = &cur;
    if (!env_open(e, "not-the-token"))
        skip();
    struct plain p = {0};
    struct gp_error err;
    assert_int_equal(arm_request(e->arm, "GET",
                                 "/subscriptions/" SUB "/providers/Microsoft.HybridCompute/"
                                 "machines?api-version=2024-07-10",
                                 NULL, 0, on_plain, &p, NULL, &err),
                     GP_OK);
    run_until(e->loop, &p.done);
    assert_true(p.failed);
    assert_int_equal(p.err.status, GP_E_AUTH);
    assert_int_equal(p.err.http_status, 401);
    assert_null(strstr(p.err.message, "not-the-token"));
    env_close(e);

    if (!env_open(e, TOKEN))
        skip();
    struct plain q = {0};
    assert_int_equal(arm_request(e->arm, "GET",
                                 "/subscriptions/11111111-1111-1111-1111-111111111111/providers/"
                                 "Microsoft.HybridCompute/machines?api-version=2024-07-10",
                                 NULL, 0, on_plain, &q, NULL, &err),
                     GP_OK);
    run_until(e->loop, &q.done);
    assert_true(q.failed);
    assert_int_equal(q.err.http_status, 404);
}

/* Injected faults: a 429, a reset connection and a 500 on one GET are retried through; a stop
 * whose operation ends Failed is one line with ARM's code. */
static void test_faults(void **state)
{
    (void)state;
    struct env *e = &cur;
    const char *const extra[] = {"--faults", "429:n=1:retry=0,reset:n=2,500:n=3,opfail:n=1",
                                 NULL};
    if (!env_open_with(e, TOKEN, extra))
        skip();
    struct plain p = {0};
    struct gp_error err;
    assert_int_equal(arm_request(e->arm, "GET",
                                 "/subscriptions/" SUB "/providers/Microsoft.HybridCompute/"
                                 "machines?api-version=2024-07-10",
                                 NULL, 0, on_plain, &p, NULL, &err),
                     GP_OK);
    run_until(e->loop, &p.done);
    if (p.failed)
        fail_msg("GET through faults: %s", p.err.message);

    struct listing x;
    list_fleet(e, &x, false);
    const struct vm *running = NULL;
    for (size_t i = 0; i < x.n && !running; i++)
        if (x.vms[i].power == POWER_RUNNING)
            running = &x.vms[i];
    if (!running) {
        fail_msg("the fleet has no running VM");
        return; /* not reached: cmocka 1.1.5 does not mark fail_msg() noreturn */
    }
    char vmi[1024], action[1100];
    snprintf(vmi, sizeof(vmi), "%s" API, running->id);
    snprintf(action, sizeof(action), "%s/stop" API, running->id);
    vm_array_free(x.vms, x.n);
    struct op o;
    run_op(e, &o, "POST", action, NULL, vmi);
    assert_true(o.failed);
    assert_int_equal(o.err.status, GP_E_FAILED);
    assert_string_equal(o.err.code, "OperationFailed");
    assert_true(strncmp(o.err.message, "operation Failed: OperationFailed", 33) == 0);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_fleet_lists_every_vm, teardown),
        cmocka_unit_test_teardown(test_gpu_rule_and_stop, teardown),
        cmocka_unit_test_teardown(test_wrong_token_and_unknown_subscription, teardown),
        cmocka_unit_test_teardown(test_faults, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
