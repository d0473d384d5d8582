/* SPDX-License-Identifier: MIT
 * tests/integration/test_cli_sim.c: build/gpup (GPUP_BIN) against gpup-sim (GPUP_SIM), as an
 * operator or a script runs it, with GPUP_ENDPOINT / GPUP_TOKEN and no config file: vm list and
 * show outputs, attach on a running VM ends Running with a GPU-P partition, detach ends with
 * none, --dry-run and refused changes send no mutating request (checked in the sim's --log),
 * a rule violation exits 3, usage errors exit 2, a wrong token exits 4. Skipped when either
 * program is missing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "model/vm.h"
#include "tests/support/gpuprun.h"
#include "tests/support/simproc.h"
#include "tests/support/testio.h"

#define TOKEN "cli-integration-token"
#define SUB "00000000-0000-0000-0000-000000000000"

struct env {
    struct simproc sim;
    char dir[256];  /* temporary HOME / XDG dirs / outputs */
    char log[300];  /* the sim's request log */
};

/* Runs gpup with args (NULL-terminated) and the sim's endpoint; token NULL uses TOKEN. PATH
 * is kept: under `make valgrind` GPUP_BIN is a script that runs valgrind. */
static struct gpuprun gpup(const struct env *e, const char *token, const char *const *args)
{
    char endpoint[300], tok[200], path[4096];
    (void)snprintf(endpoint, sizeof(endpoint), "GPUP_ENDPOINT=%s", e->sim.url);
    (void)snprintf(tok, sizeof(tok), "GPUP_TOKEN=%s", token ? token : TOKEN);
    const char *search = getenv("PATH");
    (void)snprintf(path, sizeof(path), "PATH=%s", search ? search : "/usr/bin:/bin");
    const char *env[] = {endpoint, tok, path, NULL};
    struct gpuprun r = gpuprun(e->dir, env, args);
    /* The token never shows, whatever happened (style.md 7). */
    const char *t = token ? token : TOKEN;
    assert_null(strstr(r.out, t));
    assert_null(strstr(r.err, t));
    return r;
}

/* Requests in the sim's log that would change something. */
static size_t mutating_requests(const struct env *e)
{
    char *log = gpuprun_slurp(e->log);
    size_t n = 0;
    static const char *const methods[] = {"\"method\":\"POST\"", "\"method\":\"PATCH\"",
                                          "\"method\":\"PUT\"", "\"method\":\"DELETE\""};
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
        for (const char *p = strstr(log, methods[i]); p; p = strstr(p + 1, methods[i]))
            n++;
    free(log);
    return n;
}

static int start_env(void **state, const char *faults)
{
    const char *bin = getenv("GPUP_BIN");
    if (!bin || access(bin, X_OK) != 0 || access(simproc_binary(), X_OK) != 0) {
        *state = NULL;
        return 0;
    }
    struct env *e = calloc(1, sizeof(*e));
    assert_non_null(e);
    (void)snprintf(e->dir, sizeof(e->dir), "/tmp/gpup-cli-test-XXXXXX");
    assert_non_null(mkdtemp(e->dir));
    (void)snprintf(e->log, sizeof(e->log), "%s/sim.log", e->dir);
    const char *args[] = {"--fleet", "24", "--hosts", "2", "--seed", "7", "--op-ms", "0",
                          "--token", TOKEN, "--log", e->log,
                          faults ? "--faults" : NULL, faults, NULL};
    if (simproc_start(&e->sim, args) != 0) {
        free(e);
        fail_msg("cannot start gpup-sim");
    }
    *state = e;
    return 0;
}

static int setup(void **state)
{
    return start_env(state, NULL);
}

/* The second long-running operation ends Failed: in a stop -> PATCH -> start plan, the PATCH. */
static int setup_patch_fails(void **state)
{
    return start_env(state, "opfail:n=2");
}

static int teardown(void **state)
{
    struct env *e = *state;
    if (!e)
        return 0;
    (void)simproc_stop(&e->sim);
    char cmd[400];
    (void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", e->dir);
    free(e);
    return 0;
}

#define NEED_ENV(e)                                                                            \
    do {                                                                                       \
        if (!(e))                                                                              \
            skip();                                                                            \
    } while (0)

/* Parses gpup's -o json list into VMs. */
static size_t parse_list(const char *json, struct vm **out)
{
    cJSON *root = cJSON_Parse(json);
    if (!root)
        fail_msg("not JSON: %.200s", json);
    assert_true(cJSON_IsArray(root));
    size_t n = (size_t)cJSON_GetArraySize(root);
    struct vm *vms = calloc(n ? n : 1, sizeof(*vms));
    assert_non_null(vms);
    for (size_t i = 0; i < n; i++) {
        cJSON *item = cJSON_GetArrayItem(root, (int)i);
        /* az's extra field. */
        cJSON *rg = cJSON_GetObjectItemCaseSensitive(item, "resourceGroup");
        assert_true(cJSON_IsString(rg));
        char *text = cJSON_PrintUnformatted(item);
        struct gp_error err;
        vm_init(&vms[i]);
        assert_int_equal(vm_from_json(&vms[i], text, strlen(text), &err), GP_OK);
        assert_string_equal(vms[i].resource_group, rg->valuestring);
        free(text);
    }
    cJSON_Delete(root);
    *out = vms;
    return n;
}

static size_t list_fleet(const struct env *e, struct vm **out)
{
    const char *args[] = {"vm", "list", "-o", "json", NULL};
    struct gpuprun r = gpup(e, NULL, args);
    if (r.code != 0)
        fail_msg("vm list: exit %d: %s", r.code, r.err);
    size_t n = parse_list(r.out, out);
    gpuprun_free(&r);
    return n;
}

static void test_list_and_show(void **state)
{
    struct env *e = *state;
    NEED_ENV(e);
    struct vm *vms = NULL;
    size_t n = list_fleet(e, &vms);
    assert_int_equal(n, 24);

    const char *table[] = {"vm", "list", "-o", "table", NULL};
    struct gpuprun r = gpup(e, NULL, table);
    assert_int_equal(r.code, 0);
    assert_true(strncmp(r.out, "NAME ", 5) == 0);
    size_t lines = 0;
    for (char *line = r.out; *line;) {
        size_t len = strcspn(line, "\n");
        char copy[512];
        assert_true(len < sizeof(copy));
        memcpy(copy, line, len);
        copy[len] = '\0';
        size_t cols = 0;
        for (const char *p = copy; *p; p++)
            cols += ((unsigned char)*p & 0xC0) != 0x80;
        if (cols > 80)
            fail_msg("table line over 80 columns: %s", copy);
        lines++;
        line += len + (line[len] == '\n');
    }
    assert_int_equal(lines, 25);
    gpuprun_free(&r);

    /* One resource group. */
    const char *by_rg[] = {"vm", "list", "-g", vms[0].resource_group, "-o", "json", NULL};
    r = gpup(e, NULL, by_rg);
    assert_int_equal(r.code, 0);
    struct vm *some = NULL;
    size_t k = parse_list(r.out, &some);
    assert_true(k >= 1 && k <= n);
    for (size_t i = 0; i < k; i++)
        assert_string_equal(some[i].resource_group, vms[0].resource_group);
    vm_array_free(some, k);
    gpuprun_free(&r);

    /* show: one object, the same VM. */
    const char *show[] = {"vm", "show", "-n", vms[0].name, "-g", vms[0].resource_group, NULL};
    r = gpup(e, NULL, show);
    assert_int_equal(r.code, 0);
    cJSON *obj = cJSON_Parse(r.out);
    assert_non_null(obj);
    assert_true(cJSON_IsObject(obj));
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(obj, "id")->valuestring, vms[0].id);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(obj, "name")->valuestring, "default");
    cJSON_Delete(obj);
    gpuprun_free(&r);

    /* A VM that does not exist: exit 1, one line first. */
    const char *missing[] = {"vm", "show", "-n", "no-such-vm", "-g", vms[0].resource_group,
                             NULL};
    r = gpup(e, NULL, missing);
    assert_int_equal(r.code, 1);
    assert_string_equal(r.out, "");
    assert_true(strncmp(r.err, "gpup vm show: VM no-such-vm in ", 31) == 0);
    gpuprun_free(&r);
    vm_array_free(vms, n);
}

/* The first VM in the given power state with (or without) GPUs. */
static const struct vm *pick(const struct vm *vms, size_t n, enum power_state power, bool gpus)
{
    for (size_t i = 0; i < n; i++)
        if (vms[i].power == power && (vms[i].n_gpus > 0) == gpus)
            return &vms[i];
    return NULL;
}

static void test_attach_then_detach_on_a_running_vm(void **state)
{
    struct env *e = *state;
    NEED_ENV(e);
    struct vm *vms = NULL;
    size_t n = list_fleet(e, &vms);
    const struct vm *vm = pick(vms, n, POWER_RUNNING, false);
    assert_non_null(vm);

    const char *attach[] = {"vm", "gpu", "attach", "--vm-name", vm->name, "-g",
                            vm->resource_group, "--gpus", "GpuP", "--yes", "-o", "json", NULL};
    struct gpuprun r = gpup(e, NULL, attach);
    if (r.code != 0)
        fail_msg("attach: exit %d: %s", r.code, r.err);
    struct vm after;
    struct gp_error err;
    vm_init(&after);
    assert_int_equal(vm_from_json(&after, r.out, strlen(r.out), &err), GP_OK);
    assert_int_equal(after.power, POWER_RUNNING);
    assert_int_equal(after.n_gpus, 1);
    assert_int_equal(after.gpus[0].type, GPU_ASSIGN_P);
    assert_true(after.gpus[0].partition_size_mb > 0); /* the service filled it in */
    vm_cleanup(&after);
    gpuprun_free(&r);

    const char *detach[] = {"vm", "gpu", "detach", "--vm-name", vm->name, "-g",
                            vm->resource_group, "--yes", "-o", "json", NULL};
    r = gpup(e, NULL, detach);
    if (r.code != 0)
        fail_msg("detach: exit %d: %s", r.code, r.err);
    vm_init(&after);
    assert_int_equal(vm_from_json(&after, r.out, strlen(r.out), &err), GP_OK);
    assert_int_equal(after.power, POWER_RUNNING);
    assert_int_equal(after.n_gpus, 0);
    vm_cleanup(&after);
    gpuprun_free(&r);

    /* stop, PATCH, start twice: the log sees them (so the --dry-run check can fail). */
    assert_true(mutating_requests(e) >= 6);

    /* Read back independently. */
    const char *show[] = {"vm", "show", "-n", vm->name, "-g", vm->resource_group, NULL};
    r = gpup(e, NULL, show);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "\"virtualMachineGPUs\": []"));
    assert_non_null(strstr(r.out, "\"powerState\": \"Running\""));
    gpuprun_free(&r);
    vm_array_free(vms, n);
}

static void test_dry_run_and_refusals_send_nothing(void **state)
{
    struct env *e = *state;
    NEED_ENV(e);
    struct vm *vms = NULL;
    size_t n = list_fleet(e, &vms);
    const struct vm *plain = pick(vms, n, POWER_RUNNING, false);
    const struct vm *with_gpu = NULL;
    for (size_t i = 0; i < n && !with_gpu; i++)
        if (vms[i].n_gpus == 1 && vms[i].gpus[0].type == GPU_ASSIGN_P)
            with_gpu = &vms[i];
    if (!plain || !with_gpu) {
        fail_msg("the fleet lacks a running VM without GPUs or one with GPU-P");
        return; /* not reached: cmocka 1.1.5 does not mark fail_msg() noreturn */
    }
    size_t before = mutating_requests(e);

    /* --dry-run: the plan on stdout, nothing sent. */
    const char *dry[] = {"vm", "gpu", "attach", "--vm-name", plain->name, "-g",
                         plain->resource_group, "--gpus", "GpuP", "--dry-run", "-o", "table",
                         NULL};
    struct gpuprun r = gpup(e, NULL, dry);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "/stop?api-version="));
    assert_non_null(strstr(r.out, "2. PATCH "));
    gpuprun_free(&r);

    /* No --yes and no terminal: refused, exit 2. */
    const char *noyes[] = {"vm", "stop", "-n", plain->name, "-g", plain->resource_group, NULL};
    r = gpup(e, NULL, noyes);
    assert_int_equal(r.code, 2);
    assert_non_null(strstr(r.err, "without --yes: standard input is not a terminal"));
    gpuprun_free(&r);

    /* A second partition: the one-partition rule, exit 3, before anything is sent. */
    const char *twice[] = {"vm", "gpu", "attach", "--vm-name", with_gpu->name, "-g",
                           with_gpu->resource_group, "--gpus", "GpuP", "--yes", NULL};
    r = gpup(e, NULL, twice);
    assert_int_equal(r.code, 3);
    assert_true(strncmp(r.err, "gpup vm gpu attach: refused by the rule one-partition: ", 55) ==
                0);
    gpuprun_free(&r);

    /* --readonly. */
    const char *ro[] = {"vm", "stop", "-n", plain->name, "-g", plain->resource_group, "--yes",
                        "--readonly", NULL};
    r = gpup(e, NULL, ro);
    assert_int_equal(r.code, 2);
    gpuprun_free(&r);

    assert_int_equal(mutating_requests(e), before);
    vm_array_free(vms, n);
}

static void test_usage_and_auth_exit_codes(void **state)
{
    struct env *e = *state;
    NEED_ENV(e);
    const char *usage[] = {"vm", "show", "-g", "ml-rg", NULL};
    struct gpuprun r = gpup(e, NULL, usage);
    assert_int_equal(r.code, 2);
    assert_string_equal(r.err, "gpup vm show: missing --name (-n)\n"
                               "usage: gpup vm show -n NAME -g RG [options]\n"
                               "Try 'gpup vm show --help'.\n");
    gpuprun_free(&r);

    const char *secret[] = {"login", "--client-secret", "hunter2", NULL};
    r = gpup(e, NULL, secret);
    assert_int_equal(r.code, 2);
    assert_null(strstr(r.err, "hunter2"));
    gpuprun_free(&r);

    /* --demo with a command: that command against a demo emulator of its own. */
    const char *demo[] = {"--demo", "vm", "list", "-o", "json", NULL};
    r = gpup(e, NULL, demo);
    if (r.code != 0)
        fail_msg("--demo vm list: exit %d: %s", r.code, r.err);
    struct vm *vms = NULL;
    size_t n = parse_list(r.out, &vms);
    assert_true(n >= 100);
    vm_array_free(vms, n);
    gpuprun_free(&r);

    const char *list[] = {"vm", "list", NULL};
    r = gpup(e, "wrong-token", list);
    assert_int_equal(r.code, 4);
    assert_null(strstr(r.err, "wrong-token"));
    gpuprun_free(&r);

    const char *help[] = {"vm", "gpu", "attach", "--help", NULL};
    r = gpup(e, NULL, help);
    assert_int_equal(r.code, 0);
    assert_true(strncmp(r.out, "usage: gpup vm gpu attach --vm-name NAME -g RG --gpus TYPE", 58) ==
                0);
    gpuprun_free(&r);
}

/* A failed PATCH leaves the VM stopped: exit 5 with the state and the resume hint; the journal
 * lists the operation; ops resume finishes it without repeating the stop. */
static void test_partial_failure_then_resume(void **state)
{
    struct env *e = *state;
    NEED_ENV(e);
    struct vm *vms = NULL;
    size_t n = list_fleet(e, &vms);
    const struct vm *vm = pick(vms, n, POWER_RUNNING, false);
    assert_non_null(vm);
    const char *attach[] = {"vm", "gpu", "attach", "--vm-name", vm->name, "-g",
                            vm->resource_group, "--gpus", "GpuP", "--yes", "-o", "json", NULL};
    struct gpuprun r = gpup(e, NULL, attach);
    if (r.code != 5)
        fail_msg("attach: exit %d, want 5: %s", r.code, r.err);
    /* After the plan and the progress lines: the error line, then the VM's state. */
    assert_non_null(strstr(r.err, "\ngpup vm gpu attach: step 2/3 "));
    const char *hint = strstr(r.err, "to resume: gpup ops resume ");
    assert_non_null(hint);
    char id[64];
    hint += strlen("to resume: gpup ops resume ");
    size_t len = strcspn(hint, "\n");
    assert_true(len > 0 && len < sizeof(id));
    memcpy(id, hint, len);
    id[len] = '\0';
    gpuprun_free(&r);

    const char *list[] = {"ops", "list", "-o", "json", NULL};
    r = gpup(e, NULL, list);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, id));
    gpuprun_free(&r);

    /* Any other command names it. */
    const char *show[] = {"vm", "show", "-n", vm->name, "-g", vm->resource_group, NULL};
    r = gpup(e, NULL, show);
    assert_int_equal(r.code, 0);
    char want[200];
    (void)snprintf(want, sizeof(want), "is unfinished: gpup ops resume %s\n", id);
    assert_non_null(strstr(r.err, want));
    gpuprun_free(&r);

    size_t before = mutating_requests(e);
    const char *resume[] = {"ops", "resume", id, "--yes", "-o", "json", NULL};
    r = gpup(e, NULL, resume);
    if (r.code != 0)
        fail_msg("resume: exit %d: %s", r.code, r.err);
    struct vm after;
    struct gp_error err;
    vm_init(&after);
    assert_int_equal(vm_from_json(&after, r.out, strlen(r.out), &err), GP_OK);
    assert_int_equal(after.power, POWER_RUNNING);
    assert_int_equal(after.n_gpus, 1);
    vm_cleanup(&after);
    gpuprun_free(&r);
    /* PATCH and start only: the VM was already stopped. */
    assert_int_equal(mutating_requests(e) - before, 2);

    r = gpup(e, NULL, list);
    assert_int_equal(r.code, 0);
    assert_null(strstr(r.out, id));
    gpuprun_free(&r);

    /* Resumed again (a second script racing the first): done already, so success, and
     * nothing is sent. */
    before = mutating_requests(e);
    r = gpup(e, NULL, resume);
    if (r.code != 0)
        fail_msg("resume of a done operation: exit %d: %s", r.code, r.err);
    (void)snprintf(want, sizeof(want), "operation %s is already done; nothing to do", id);
    assert_non_null(strstr(r.err, want));
    gpuprun_free(&r);
    assert_int_equal(mutating_requests(e), before);
    vm_array_free(vms, n);
}

/* Cuts the journal back to what a gpup killed during the failed step would have left: the
 * step-end and op-end of the failure are dropped, the operation is unfinished. */
static void journal_as_if_killed(const struct env *e)
{
    char path[300];
    (void)snprintf(path, sizeof(path), "%s/gpup/journal.jsonl", e->dir);
    char *text = gpuprun_slurp(path);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        if (!strstr(line, "\"outcome\":\"failed\""))
            fprintf(f, "%s\n", line);
    assert_int_equal(fclose(f), 0);
    free(text);
}

/* While a killed gpup's operation on a VM is unfinished, no other change starts on that VM:
 * the refusal names the operation and sends nothing. ops abandon closes it (asking first),
 * after which it is no longer offered and the VM can be changed again. */
static void test_unfinished_operation_guards_its_vm(void **state)
{
    struct env *e = *state;
    NEED_ENV(e);
    struct vm *vms = NULL;
    size_t n = list_fleet(e, &vms);
    const struct vm *vm = pick(vms, n, POWER_RUNNING, false);
    assert_non_null(vm);
    const char *attach[] = {"vm", "gpu", "attach", "--vm-name", vm->name, "-g",
                            vm->resource_group, "--gpus", "GpuP", "--yes", "-o", "json", NULL};
    struct gpuprun r = gpup(e, NULL, attach);
    if (r.code != 5)
        fail_msg("attach: exit %d, want 5: %s", r.code, r.err);
    const char *hint = strstr(r.err, "to resume: gpup ops resume ");
    assert_non_null(hint);
    char id[64];
    hint += strlen("to resume: gpup ops resume ");
    size_t len = strcspn(hint, "\n");
    assert_true(len > 0 && len < sizeof(id));
    memcpy(id, hint, len);
    id[len] = '\0';
    gpuprun_free(&r);
    journal_as_if_killed(e);

    size_t before = mutating_requests(e);
    r = gpup(e, NULL, attach);
    if (r.code != 1)
        fail_msg("attach over an unfinished operation: exit %d, want 1: %s", r.code, r.err);
    char want[200];
    (void)snprintf(want, sizeof(want), "%s has an unfinished operation in the journal", vm->name);
    assert_non_null(strstr(r.err, want));
    (void)snprintf(want, sizeof(want), "finish it first: gpup ops resume %s", id);
    assert_non_null(strstr(r.err, want));
    gpuprun_free(&r);
    assert_int_equal(mutating_requests(e), before);

    /* abandon asks first: without --yes and without a terminal it refuses */
    const char *abandon_ask[] = {"ops", "abandon", id, NULL};
    r = gpup(e, NULL, abandon_ask);
    assert_int_equal(r.code, 2);
    gpuprun_free(&r);
    const char *abandon[] = {"ops", "abandon", id, "--yes", NULL};
    r = gpup(e, NULL, abandon);
    if (r.code != 0)
        fail_msg("abandon: exit %d: %s", r.code, r.err);
    (void)snprintf(want, sizeof(want), "operation %s abandoned; %s is left as it is (last seen "
                   "Stopped)", id, vm->name);
    assert_non_null(strstr(r.err, want));
    gpuprun_free(&r);
    assert_int_equal(mutating_requests(e), before);
    r = gpup(e, NULL, abandon);
    assert_int_equal(r.code, 2);
    (void)snprintf(want, sizeof(want), "operation %s is already abandoned", id);
    assert_non_null(strstr(r.err, want));
    gpuprun_free(&r);
    const char *list[] = {"ops", "list", "-o", "json", NULL};
    r = gpup(e, NULL, list);
    assert_int_equal(r.code, 0);
    assert_null(strstr(r.out, id));
    gpuprun_free(&r);

    /* the VM (left stopped) takes a change again: the PATCH only */
    r = gpup(e, NULL, attach);
    if (r.code != 0)
        fail_msg("attach after abandon: exit %d: %s", r.code, r.err);
    gpuprun_free(&r);
    assert_int_equal(mutating_requests(e) - before, 1);
    vm_array_free(vms, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_list_and_show, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attach_then_detach_on_a_running_vm, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_dry_run_and_refusals_send_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_usage_and_auth_exit_codes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_partial_failure_then_resume, setup_patch_fails,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unfinished_operation_guards_its_vm,
                                        setup_patch_fails, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
