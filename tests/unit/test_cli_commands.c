/* SPDX-License-Identifier: MIT
 * tests/unit/test_cli_commands.c: the sub-commands over a fake backend: what the operator sees
 * (stdout, stderr, exit status) and what would be sent (the plan handed to the executor):
 * --dry-run never runs a plan, a change without --yes off a terminal is refused (exit 2), a rule
 * violation exits 3 before anything runs, a partial failure exits 5 with the resume hint, a
 * declined question changes nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "model/cluster.h"
#include "model/journal.h"
#include "model/plan.h"
#include "model/vm.h"
#include "tests/support/testio.h"

#define SUB "00000000-0000-0000-0000-000000000000"
#define MACHINE(rg, name)                                                                      \
    "/subscriptions/" SUB "/resourceGroups/" rg "/providers/Microsoft.HybridCompute/machines/" name
#define VMI(rg, name) MACHINE(rg, name) "/providers/Microsoft.AzureStackHCI/virtualMachineInstances/default"
#define CL "/subscriptions/" SUB "/resourceGroups/ml-rg/providers/Microsoft.ExtendedLocation/customLocations/cl-seattle"

#define VM_JSON(id, gpus, power)                                                               \
    "{\"id\": \"" id "\", \"name\": \"default\","                                              \
    " \"extendedLocation\": {\"type\": \"CustomLocation\", \"name\": \"" CL "\"},"             \
    " \"properties\": {\"hardwareProfile\": {\"vmSize\": \"Custom\", \"processors\": 8,"       \
    " \"memoryMB\": 32768, \"virtualMachineGPUs\": " gpus "}, \"hostNodeName\": \"node-02\","  \
    " \"provisioningState\": \"Succeeded\", \"status\": {\"powerState\": \"" power "\"}}}"

static const char *const fleet_docs[] = {
    VM_JSON(VMI("ml-rg", "train-04"), "[{\"assignmentType\": \"GpuP\", \"partitionSizeMB\": 3648}]",
            "Running"),
    VM_JSON(VMI("ml-rg", "web-01"), "[]", "Running"),
    VM_JSON(VMI("ml-rg", "batch-02"), "[]", "Stopped"),
};
#define N_FLEET (sizeof(fleet_docs) / sizeof(fleet_docs[0]))

/* The fake service: a fleet, and a record of what the executor was asked to run. */
struct fake {
    int run_calls;
    int send_calls;
    char ran_text[4096];        /* plan_format of it */
    enum gp_status run_status;  /* what run_plan answers */
    bool run_partial;
    bool pool_full;             /* every partition of node-02 is taken */
};

static enum gp_status parse_vm(const char *doc, struct vm *out)
{
    struct gp_error err;
    gp_error_clear(&err);
    return vm_from_json(out, doc, strlen(doc), &err);
}

static enum gp_status fake_list(void *ctx, const char *rg, struct vm **out_vms, size_t *out_n,
                                struct gp_error *err)
{
    (void)ctx;
    (void)err;
    struct vm *vms = calloc(N_FLEET, sizeof(*vms));
    assert_non_null(vms);
    size_t n = 0;
    for (size_t i = 0; i < N_FLEET; i++) {
        vm_init(&vms[n]);
        assert_int_equal(parse_vm(fleet_docs[i], &vms[n]), GP_OK);
        if (rg && strcmp(rg, vms[n].resource_group) != 0) {
            vm_cleanup(&vms[n]);
            continue;
        }
        n++;
    }
    *out_vms = vms;
    *out_n = n;
    return GP_OK;
}

static enum gp_status fake_get(void *ctx, const char *rg, const char *name, struct vm *out,
                               struct gp_error *err)
{
    (void)ctx;
    for (size_t i = 0; i < N_FLEET; i++) {
        struct vm vm;
        vm_init(&vm);
        assert_int_equal(parse_vm(fleet_docs[i], &vm), GP_OK);
        bool hit = strcmp(vm.name, name) == 0 && strcmp(vm.resource_group, rg) == 0;
        vm_cleanup(&vm);
        if (hit)
            return parse_vm(fleet_docs[i], out);
    }
    err->http_status = 404;
    (void)snprintf(err->code, sizeof(err->code), "ResourceNotFound");
    return gp_error_set(err, GP_E_NOT_FOUND, "VM %s in %s: 404 ResourceNotFound", name, rg);
}

static enum gp_status fake_run(void *ctx, const struct plan *plan, FILE *progress,
                               struct cli_plan_result *out)
{
    (void)progress;
    struct fake *f = ctx;
    f->run_calls++;
    char *text = NULL;
    assert_int_equal(plan_format(plan, &text), GP_OK);
    (void)snprintf(f->ran_text, sizeof(f->ran_text), "%s", text);
    free(text);
    if (f->run_status != GP_OK) {
        out->partial = f->run_partial;
        (void)gp_error_set(&out->err, f->run_status,
                           "step 2/3 PATCH train-04: 409 NoGpuPartitionAvailable: pool empty");
        (void)snprintf(out->op_id, sizeof(out->op_id), "20261125T091500Z-0001");
        (void)snprintf(out->state_line, sizeof(out->state_line),
                       "train-04 is Stopped; its GPUs are unchanged");
        (void)snprintf(out->offers[0], sizeof(out->offers[0]),
                       "Start train-04 again without the change");
        out->n_offers = 1;
        return f->run_status;
    }
    /* Succeeded: the VM as the plan says it ends. */
    assert_int_equal(vm_copy(&out->vm, &plan->after), GP_OK);
    out->have_vm = true;
    return GP_OK;
}

/* node-02: two NVIDIA A2 in GPU-P mode, four 3648 MB partitions each. */
static enum gp_status fake_cluster(void *ctx, struct cluster *out, struct gp_error *err)
{
    (void)err;
    struct fake *f = ctx;
    out->hosts = calloc(1, sizeof(*out->hosts));
    assert_non_null(out->hosts);
    out->n_hosts = 1;
    struct host *h = &out->hosts[0];
    h->name = strdup("node-02");
    h->custom_location = strdup(CL);
    h->resource_group = strdup("ml-rg");
    h->gpus = calloc(2, sizeof(*h->gpus));
    assert_non_null(h->gpus);
    h->n_gpus = 2;
    for (size_t i = 0; i < 2; i++) {
        struct host_gpu *g = &h->gpus[i];
        g->id = strdup(i ? "gpu-1" : "gpu-0");
        g->model = strdup("NVIDIA A2");
        g->mode = GPU_MODE_GPUP;
        g->partition_size_mb = 3648;
        g->partitions_total = 4;
        g->partitions_used = f->pool_full ? 4 : (i == 0);
    }
    h->gpus[0].partition_vms = calloc(1, sizeof(char *));
    assert_non_null(h->gpus[0].partition_vms);
    h->gpus[0].partition_vms[0] = strdup("train-04");
    h->gpus[0].n_partition_vms = 1;
    out->inventory_known = true;
    return GP_OK;
}

static enum gp_status fake_send(void *ctx, const struct plan_step *step, struct gp_error *err)
{
    (void)step;
    (void)err;
    struct fake *f = ctx;
    f->send_calls++;
    return GP_OK;
}

struct result {
    int code;
    char *out;
    char *err;
};

/* Runs "gpup LINE" against the fake with stdin text (NULL: empty) and the tty flags. */
static struct result run(struct fake *f, const char *line, const char *input, bool in_tty)
{
    char *argv[40];
    int argc = testio_split_argv(line, argv, 40);
    struct cli_args a;
    struct gp_error err;
    gp_error_clear(&err);
    if (cli_args_parse(argc, argv, &a, &err) != GP_OK)
        fail_msg("'%s': %s", line, err.message);

    struct result r = {0};
    size_t lo = 0, le = 0;
    FILE *out = open_memstream(&r.out, &lo);
    FILE *errf = open_memstream(&r.err, &le);
    /* fmemopen of 0 bytes may fail: empty input is /dev/null. */
    FILE *in = input ? fmemopen((void *)(uintptr_t)input, strlen(input), "r")
                     : fopen("/dev/null", "r");
    assert_non_null(out);
    assert_non_null(errf);
    assert_non_null(in);
    struct cli_io io = {.out = out, .err = errf, .in = in, .out_tty = false, .in_tty = in_tty,
                        .utf8 = true};
    struct cli_backend be = {
        .ctx = f,
        .list_vms = fake_list,
        .get_vm = fake_get,
        .run_plan = fake_run,
        .send_step = fake_send,
        .get_cluster = fake_cluster,
    };
    r.code = cli_commands_exec(&a, &io, &be, NULL);
    fclose(out);
    fclose(errf);
    fclose(in);
    return r;
}

static void result_free(struct result *r)
{
    free(r->out);
    free(r->err);
}

static void test_vm_list_and_filters(void **state)
{
    (void)state;
    struct fake f = {0};
    struct result r = run(&f, "vm list -o table", NULL, false);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "train-04"));
    assert_non_null(strstr(r.out, "GPU-P 3648 MB"));
    assert_non_null(strstr(r.out, "batch-02"));
    result_free(&r);

    r = run(&f, "vm list --query TRAIN -o tsv", NULL, false);
    assert_int_equal(r.code, 0);
    assert_true(strncmp(r.out, "train-04\t", 9) == 0);
    assert_null(strstr(r.out, "web-01"));
    result_free(&r);

    r = run(&f, "vm gpu list -g ml-rg -o tsv", NULL, false);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "train-04"));
    assert_null(strstr(r.out, "web-01"));
    result_free(&r);

    /* Not a terminal and no -o: JSON. */
    r = run(&f, "vm list --custom-location cl-seattle", NULL, false);
    assert_int_equal(r.code, 0);
    assert_int_equal(r.out[0], '[');
    result_free(&r);
    r = run(&f, "vm list --custom-location elsewhere", NULL, false);
    assert_string_equal(r.out, "[]\n");
    result_free(&r);
}

static void test_vm_show(void **state)
{
    (void)state;
    struct fake f = {0};
    struct result r = run(&f, "vm show -n web-01 -g ml-rg", NULL, false);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "\"resourceGroup\": \"ml-rg\""));
    assert_string_equal(r.err, "");
    result_free(&r);

    r = run(&f, "vm show -n nope -g ml-rg", NULL, false);
    assert_int_equal(r.code, 1);
    assert_string_equal(r.out, "");
    /* One clear line first, details after. */
    assert_string_equal(r.err, "gpup vm show: VM nope in ml-rg: 404 ResourceNotFound\n"
                               "  HTTP 404 code ResourceNotFound\n");
    result_free(&r);
}

static void test_attach_dry_run_sends_nothing(void **state)
{
    (void)state;
    struct fake f = {0};
    struct result r = run(&f, "vm gpu attach --vm-name web-01 -g ml-rg --gpus GpuP --dry-run "
                              "-o table",
                          NULL, false);
    assert_int_equal(r.code, 0);
    assert_int_equal(f.run_calls, 0);
    assert_int_equal(f.send_calls, 0);
    /* stop -> PATCH the whole list -> start, as text on stdout. */
    const char *stop = strstr(r.out, "1. POST " VMI("ml-rg", "web-01") "/stop?api-version=");
    const char *patch = strstr(r.out, "2. PATCH " VMI("ml-rg", "web-01") "?api-version=");
    const char *start = strstr(r.out, "3. POST " VMI("ml-rg", "web-01") "/start?api-version=");
    assert_non_null(stop);
    assert_non_null(patch);
    assert_non_null(start);
    assert_true(stop < patch && patch < start);
    assert_non_null(strstr(r.out, "{\"properties\":{\"hardwareProfile\":{\"virtualMachineGPUs\":"
                                  "[{\"assignmentType\":\"GpuP\"}]}}}"));
    result_free(&r);

    /* -o json: the plan as JSON. */
    r = run(&f, "vm gpu attach --vm-name web-01 -g ml-rg --gpus GpuP --dry-run -o json", NULL,
            false);
    assert_int_equal(r.code, 0);
    assert_int_equal(r.out[0], '{');
    assert_non_null(strstr(r.out, "\"PATCH\""));
    assert_int_equal(f.run_calls, 0);
    result_free(&r);

    /* --no-restart: stop and PATCH only. */
    r = run(&f, "vm gpu detach --vm-name train-04 -g ml-rg --dry-run --no-restart -o table",
            NULL, false);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "2. PATCH"));
    assert_null(strstr(r.out, "3. POST"));
    assert_non_null(strstr(r.out, "\"virtualMachineGPUs\":[]"));
    result_free(&r);
}

static void test_change_needs_yes_off_a_terminal(void **state)
{
    (void)state;
    struct fake f = {0};
    struct result r = run(&f, "vm gpu attach --vm-name web-01 -g ml-rg --gpus GpuP", NULL, false);
    assert_int_equal(r.code, 2);
    assert_int_equal(f.run_calls, 0);
    assert_non_null(strstr(r.err, "gpup vm gpu attach: refusing to change web-01 without --yes: "
                                  "standard input is not a terminal\n"));
    result_free(&r);
}

static void test_attach_with_yes_runs_the_plan(void **state)
{
    (void)state;
    struct fake f = {0};
    struct result r = run(&f, "vm gpu attach --vm-name web-01 -g ml-rg --gpus GpuP --yes", NULL,
                          false);
    assert_int_equal(r.code, 0);
    assert_int_equal(f.run_calls, 1);
    assert_non_null(strstr(f.ran_text, "/stop?api-version="));
    assert_non_null(strstr(f.ran_text, "/start?api-version="));
    /* The result is the VM object, with its GPU. */
    assert_int_equal(r.out[0], '{');
    assert_non_null(strstr(r.out, "\"assignmentType\": \"GpuP\""));
    /* The plan was shown on stderr, not mixed into the JSON. */
    assert_non_null(strstr(r.err, "1. POST"));
    result_free(&r);
}

static void test_rule_violation_exits_3(void **state)
{
    (void)state;
    struct fake f = {0};
    /* train-04 already holds a partition: a second one breaks one-partition. */
    struct result r = run(&f, "vm gpu attach --vm-name train-04 -g ml-rg --gpus GpuP --yes", NULL,
                          false);
    assert_int_equal(r.code, 3);
    assert_int_equal(f.run_calls, 0);
    assert_true(strncmp(r.err, "gpup vm gpu attach: refused by the rule one-partition: ", 55) == 0);
    assert_string_equal(r.out, "");
    result_free(&r);
    /* GpuP beside GpuDDA: no-mixing. */
    r = run(&f, "vm gpu attach --vm-name train-04 -g ml-rg --gpus GpuDDA --yes", NULL, false);
    assert_int_equal(r.code, 3);
    assert_int_equal(f.run_calls, 0);
    result_free(&r);
}

static void test_host_gpu_list_and_capacity(void **state)
{
    (void)state;
    struct fake f = {0};
    struct result r = run(&f, "host gpu list -o table", NULL, false);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "node-02      gpu-0    NVIDIA A2          GPU-P  3648 MB    1/4 "
                                  "       train-04\n"));
    assert_non_null(strstr(r.out, "node-02      gpu-1 "));
    result_free(&r);
    r = run(&f, "host gpu list -o json", NULL, false);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "\"gpuMode\": \"GPU-P\""));
    result_free(&r);

    /* With the pool taken, attaching is refused by the capacity rule, nothing runs. */
    f.pool_full = true;
    r = run(&f, "vm gpu attach --vm-name web-01 -g ml-rg --gpus GpuP --yes", NULL, false);
    assert_int_equal(r.code, 3);
    assert_int_equal(f.run_calls, 0);
    assert_true(strncmp(r.err, "gpup vm gpu attach: refused by the rule capacity: ", 50) == 0);
    result_free(&r);
}

static void test_failed_run_exit_codes(void **state)
{
    (void)state;
    struct fake f = {.run_status = GP_E_HTTP, .run_partial = true};
    struct result r = run(&f, "vm gpu attach --vm-name web-01 -g ml-rg --gpus GpuP --yes", NULL,
                          false);
    assert_int_equal(r.code, 5);
    assert_non_null(strstr(r.err, "gpup vm gpu attach: step 2/3 PATCH train-04: 409 "
                                  "NoGpuPartitionAvailable: pool empty\n"));
    assert_non_null(strstr(r.err, "  train-04 is Stopped; its GPUs are unchanged\n"));
    assert_non_null(strstr(r.err, "  recovery: Start train-04 again without the change\n"));
    assert_non_null(strstr(r.err, "  to resume: gpup ops resume 20261125T091500Z-0001\n"));
    result_free(&r);

    f.run_partial = false;
    r = run(&f, "vm stop -n web-01 -g ml-rg --yes", NULL, false);
    assert_int_equal(r.code, 1);
    result_free(&r);

    f.run_status = GP_E_CANCELED;
    f.run_partial = true;
    r = run(&f, "vm stop -n web-01 -g ml-rg --yes", NULL, false);
    assert_int_equal(r.code, 130);
    result_free(&r);
}

static void test_confirm_on_a_terminal(void **state)
{
    (void)state;
    struct fake f = {0};
    struct result r = run(&f, "vm stop -n web-01 -g ml-rg", "n\n", true);
    assert_int_equal(r.code, 1);
    assert_int_equal(f.run_calls, 0);
    assert_non_null(strstr(r.err, "Proceed? [y/N] "));
    assert_non_null(strstr(r.err, "gpup vm stop: canceled; nothing was changed\n"));
    result_free(&r);

    r = run(&f, "vm stop -n web-01 -g ml-rg", "yes\n", true);
    assert_int_equal(r.code, 0);
    assert_int_equal(f.run_calls, 1);
    result_free(&r);

    /* End of input at the question: interrupted, nothing changed. */
    r = run(&f, "vm restart -n web-01 -g ml-rg", NULL, true);
    assert_int_equal(r.code, 130);
    assert_int_equal(f.run_calls, 1);
    result_free(&r);
}

static void test_no_wait_sends_one_request(void **state)
{
    (void)state;
    struct fake f = {0};
    struct result r = run(&f, "vm start -n batch-02 -g ml-rg --no-wait --yes", NULL, false);
    assert_int_equal(r.code, 0);
    assert_int_equal(f.send_calls, 1);
    assert_int_equal(f.run_calls, 0);
    result_free(&r);
}

static void test_readonly_refuses_changes(void **state)
{
    (void)state;
    struct fake f = {0};
    struct result r = run(&f, "vm stop -n web-01 -g ml-rg --yes --readonly", NULL, false);
    assert_int_equal(r.code, 2);
    assert_int_equal(f.run_calls, 0);
    assert_string_equal(r.err,
                        "gpup vm stop: refusing a change in read-only mode (--readonly)\n");
    result_free(&r);
    /* Reads still work. */
    r = run(&f, "vm show -n web-01 -g ml-rg --readonly", NULL, false);
    assert_int_equal(r.code, 0);
    result_free(&r);
}

static void test_no_change_plan(void **state)
{
    (void)state;
    struct fake f = {0};
    /* Detaching from a VM without GPUs: nothing to do, nothing sent, the VM printed. */
    struct result r = run(&f, "vm gpu detach --vm-name web-01 -g ml-rg --yes", NULL, false);
    assert_int_equal(r.code, 0);
    assert_int_equal(f.run_calls, 0);
    assert_int_equal(r.out[0], '{');
    result_free(&r);
}

/* A temporary directory as XDG_STATE_HOME, holding a journal with one unfinished stop. */
static void make_journal(char *dir, size_t n, char *out_id, size_t id_len)
{
    (void)snprintf(dir, n, "/tmp/gpup-cli-unit-XXXXXX");
    assert_non_null(mkdtemp(dir));
    char sub[512], file[600];
    (void)snprintf(sub, sizeof(sub), "%s/gpup", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    (void)snprintf(file, sizeof(file), "%s/journal.jsonl", sub);
    struct vm vm;
    vm_init(&vm);
    assert_int_equal(parse_vm(fleet_docs[1], &vm), GP_OK);
    struct plan p;
    struct plan_options o = {.api_version = "2025-09-01-preview"};
    struct gp_error err;
    assert_int_equal(plan_build_power(&vm, STEP_STOP, &o, &p, &err), GP_OK);
    struct journal_op op;
    journal_op_init(&op);
    assert_int_equal(journal_op_from_plan(&op, "20261125T100000Z-0000beef-0001", &p,
                                          (int64_t)time(NULL), &err),
                     GP_OK);
    char *line = NULL;
    assert_int_equal(journal_encode_op_begin(&op, &line), GP_OK);
    int fd = open(file, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, line, strlen(line)), (ssize_t)strlen(line));
    close(fd);
    (void)snprintf(out_id, id_len, "%s", op.id);
    free(line);
    journal_op_cleanup(&op);
    plan_cleanup(&p);
    vm_cleanup(&vm);
    assert_int_equal(setenv("XDG_STATE_HOME", dir, 1), 0);
}

static void remove_dir(const char *dir)
{
    char cmd[600];
    (void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_ops_list_and_resume(void **state)
{
    (void)state;
    char dir[256], id[64];
    make_journal(dir, sizeof(dir), id, sizeof(id));
    struct fake f = {0};
    struct result r = run(&f, "ops list -o table", NULL, false);
    assert_int_equal(r.code, 0);
    assert_true(strncmp(r.out, id, strlen(id)) == 0);
    assert_non_null(strstr(r.out, "web-01"));
    assert_non_null(strstr(r.out, "unfinished at step 1/1"));
    result_free(&r);

    r = run(&f, "ops list -o json", NULL, false);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "\"state\": \"unfinished\""));
    result_free(&r);

    /* Resume by a unique prefix; --dry-run only describes it. */
    r = run(&f, "ops resume 20261125T100000Z --dry-run", NULL, false);
    assert_int_equal(r.code, 0);
    assert_true(strncmp(r.err, id, strlen(id)) == 0);
    result_free(&r);

    r = run(&f, "ops resume nope", NULL, false);
    assert_int_equal(r.code, 2);
    assert_string_equal(r.err, "gpup ops resume: no operation nope in the journal (see gpup ops "
                               "list)\n");
    result_free(&r);

    /* The fake has no executor: resuming is refused as not available, never faked. */
    r = run(&f, "ops resume 20261125T100000Z --yes", NULL, false);
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(r.err, "not available in this build yet"));
    result_free(&r);
    assert_int_equal(unsetenv("XDG_STATE_HOME"), 0);
    remove_dir(dir);
}

static void test_config_check(void **state)
{
    (void)state;
    char dir[] = "/tmp/gpup-cli-cfg-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char good[300], bad[300];
    (void)snprintf(good, sizeof(good), "%s/good", dir);
    (void)snprintf(bad, sizeof(bad), "%s/bad", dir);
    FILE *g = fopen(good, "w");
    assert_non_null(g);
    fputs("profile = \"lab\";\nprofiles = { lab = { subscription = "
          "\"00000000-0000-0000-0000-000000000000\"; colour = 1; }; };\n", g);
    fclose(g);
    FILE *b = fopen(bad, "w");
    assert_non_null(b);
    fputs("profiles = {\n  lab = { endpoint = 3; };\n};\n", b);
    fclose(b);

    struct fake f = {0};
    char line[400];
    (void)snprintf(line, sizeof(line), "config check %s", good);
    struct result r = run(&f, line, NULL, false);
    assert_int_equal(r.code, 0);
    char want[400];
    (void)snprintf(want, sizeof(want), "%s: OK (1 profile)\n", good);
    assert_string_equal(r.out, want);
    /* The unknown key is a FILE:LINE warning, not a failure. */
    (void)snprintf(want, sizeof(want), "%s:2: warning: ", good);
    assert_true(strncmp(r.err, want, strlen(want)) == 0);
    result_free(&r);

    (void)snprintf(line, sizeof(line), "config check %s", bad);
    r = run(&f, line, NULL, false);
    assert_int_equal(r.code, 2);
    (void)snprintf(want, sizeof(want), "%s:2: ", bad);
    assert_true(strncmp(r.err, want, strlen(want)) == 0);
    result_free(&r);
    remove_dir(dir);
}

static void test_missing_backend_is_not_a_success(void **state)
{
    (void)state;
    char *out = NULL, *err = NULL;
    size_t lo = 0, le = 0;
    FILE *o = open_memstream(&out, &lo);
    FILE *e = open_memstream(&err, &le);
    struct cli_io io = {.out = o, .err = e, .in = stdin};
    char *argv[] = {(char *)"gpup", (char *)"vm", (char *)"list", NULL};
    struct cli_args a;
    struct gp_error ge;
    assert_int_equal(cli_args_parse(3, argv, &a, &ge), GP_OK);
    assert_int_equal(cli_commands_exec(&a, &io, NULL, NULL), 1);
    fclose(o);
    fclose(e);
    assert_string_equal(out, "");
    assert_true(strncmp(err, "gpup vm list: not available in this build yet: ", 47) == 0);
    free(out);
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vm_list_and_filters),
        cmocka_unit_test(test_vm_show),
        cmocka_unit_test(test_attach_dry_run_sends_nothing),
        cmocka_unit_test(test_change_needs_yes_off_a_terminal),
        cmocka_unit_test(test_attach_with_yes_runs_the_plan),
        cmocka_unit_test(test_rule_violation_exits_3),
        cmocka_unit_test(test_host_gpu_list_and_capacity),
        cmocka_unit_test(test_failed_run_exit_codes),
        cmocka_unit_test(test_confirm_on_a_terminal),
        cmocka_unit_test(test_no_wait_sends_one_request),
        cmocka_unit_test(test_readonly_refuses_changes),
        cmocka_unit_test(test_no_change_plan),
        cmocka_unit_test(test_ops_list_and_resume),
        cmocka_unit_test(test_config_check),
        cmocka_unit_test(test_missing_backend_is_not_a_success),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
