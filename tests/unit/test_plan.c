/* SPDX-License-Identifier: MIT
 * tests/unit/test_plan.c: change plans: the exact ARM requests (method, path, body) of GPU
 * changes on running and stopped VMs, power actions and creates, compared with strings written
 * by hand from azure-local-api.md sections 1-2 and product.md 2.3; the Review / --dry-run text
 * and the JSON form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "model/plan.h"
#include "model/text.h"

#define SUB "00000000-0000-0000-0000-000000000000"
#define RG_PATH "/subscriptions/" SUB "/resourceGroups/ml-rg/providers"
#define MACHINE RG_PATH "/Microsoft.HybridCompute/machines/vm-017"
#define VMI MACHINE "/providers/Microsoft.AzureStackHCI/virtualMachineInstances/default"
#define API "?api-version=2025-09-01-preview"
#define CL RG_PATH "/Microsoft.ExtendedLocation/customLocations/cl-seattle"
#define IMAGE RG_PATH "/Microsoft.AzureStackHCI/galleryImages/ubuntu-2204"

#define BODY_ATTACH                                                                            \
    "{\"properties\":{\"hardwareProfile\":{\"virtualMachineGPUs\":"                           \
    "[{\"assignmentType\":\"GpuP\"}]}}}"
#define BODY_DETACH "{\"properties\":{\"hardwareProfile\":{\"virtualMachineGPUs\":[]}}}"

static const struct plan_options opts = {"2025-09-01-preview", "2024-07-10", false};
static const struct plan_options opts_no_restart = {"2025-09-01-preview", "2024-07-10", true};

static const struct vm_gpu want_gpup[] = {{GPU_ASSIGN_P, NULL, -1, NULL}};

/* vm-017 as the service shows it, with power p and (when partition) a GpuP of 3648 MB. */
static void make_vm(struct vm *vm, enum power_state p, bool partition)
{
    vm_init(vm);
    vm->id = text_dup(VMI);
    vm->name = text_dup("vm-017");
    vm->subscription = text_dup(SUB);
    vm->resource_group = text_dup("ml-rg");
    vm->custom_location = text_dup(CL);
    vm->vm_size = text_dup("Custom");
    vm->processors = 8;
    vm->memory_mb = 32768;
    vm->power = p;
    vm->power_text = text_dup(power_state_name(p));
    vm->host_node = text_dup("node-02");
    vm->gpus_present = true;
    if (partition) {
        vm->gpus = calloc(1, sizeof(*vm->gpus));
        assert_non_null(vm->gpus);
        vm->n_gpus = 1;
        vm->gpus[0].type = GPU_ASSIGN_P;
        vm->gpus[0].type_text = text_dup("GpuP");
        vm->gpus[0].partition_size_mb = 3648;
    }
}

static void expect_step(const struct plan_step *s, enum plan_step_kind kind, const char *method,
                        const char *path, const char *body, enum power_state power, bool gpus)
{
    assert_int_equal(s->kind, kind);
    assert_string_equal(s->method, method);
    assert_string_equal(s->path, path);
    if (body)
        assert_string_equal(s->body, body);
    else
        assert_null(s->body);
    assert_int_equal(s->expect_power, power);
    assert_int_equal(s->expect_gpus, gpus);
    assert_non_null(s->summary);
}

static void build(const struct vm *vm, const struct vm_gpu *want, size_t n,
                  const struct plan_options *o, struct plan *p)
{
    struct gp_error err;
    gp_error_clear(&err);
    enum gp_status st = plan_build_gpu_change(vm, want, n, o, p, &err);
    if (st != GP_OK)
        fail_msg("plan_build_gpu_change: %s", err.message);
}

/* --- GPU changes ------------------------------------------------------------------------- */

static void test_running_attach(void **state)
{
    (void)state;
    struct vm vm;
    make_vm(&vm, POWER_RUNNING, false);
    struct plan p;
    build(&vm, want_gpup, 1, &opts, &p);
    assert_int_equal(p.kind, PLAN_GPU_CHANGE);
    assert_string_equal(p.vm_name, "vm-017");
    assert_string_equal(p.vm_id, VMI);
    assert_int_equal(p.n_steps, 3);
    expect_step(&p.steps[0], STEP_STOP, "POST", VMI "/stop" API, NULL, POWER_STOPPED, false);
    expect_step(&p.steps[1], STEP_PATCH_GPUS, "PATCH", VMI API, BODY_ATTACH, POWER_UNKNOWN, true);
    expect_step(&p.steps[2], STEP_START, "POST", VMI "/start" API, NULL, POWER_RUNNING, false);
    assert_string_equal(p.steps[0].summary, "Stop vm-017 and wait until Stopped");
    assert_string_equal(p.steps[1].summary,
                        "Set the GPUs of vm-017 to GPU-P partition (the whole list)");
    assert_string_equal(p.steps[2].summary, "Start vm-017 and wait until Running");
    assert_string_equal(p.impact, "vm-017 will be shut down and restarted; expect downtime");
    assert_true(p.downtime);
    /* before / after */
    assert_int_equal(p.before.n_gpus, 0);
    assert_int_equal(p.before.power, POWER_RUNNING);
    assert_int_equal(p.after.n_gpus, 1);
    assert_int_equal(p.after.gpus[0].type, GPU_ASSIGN_P);
    assert_int_equal(p.after.power, POWER_RUNNING);
    assert_int_equal(p.after.processors, 8);
    assert_int_equal(p.n_desired, 1);
    assert_int_equal(p.desired[0].type, GPU_ASSIGN_P);
    plan_cleanup(&p);
    vm_cleanup(&vm);
}

static void test_running_detach(void **state)
{
    (void)state;
    struct vm vm;
    make_vm(&vm, POWER_RUNNING, true);
    struct plan p;
    build(&vm, NULL, 0, &opts, &p);
    assert_int_equal(p.n_steps, 3);
    expect_step(&p.steps[0], STEP_STOP, "POST", VMI "/stop" API, NULL, POWER_STOPPED, false);
    expect_step(&p.steps[1], STEP_PATCH_GPUS, "PATCH", VMI API, BODY_DETACH, POWER_UNKNOWN, true);
    expect_step(&p.steps[2], STEP_START, "POST", VMI "/start" API, NULL, POWER_RUNNING, false);
    assert_string_equal(p.steps[1].summary, "Remove every GPU from vm-017");
    assert_string_equal(p.impact, "vm-017 will be shut down and restarted; expect downtime");
    assert_int_equal(p.before.n_gpus, 1);
    assert_int_equal(p.after.n_gpus, 0);
    assert_true(p.after.gpus_present);
    plan_cleanup(&p);
    vm_cleanup(&vm);
}

static void test_running_no_change(void **state)
{
    (void)state;
    struct vm vm;
    make_vm(&vm, POWER_RUNNING, true);
    struct plan p;
    /* Desired GpuP without a size equals the assigned 3648 MB partition. */
    build(&vm, want_gpup, 1, &opts, &p);
    assert_int_equal(p.n_steps, 0);
    assert_string_equal(p.impact, "No change: vm-017 already has this GPU setup");
    assert_false(p.downtime);
    assert_int_equal(p.after.power, POWER_RUNNING);
    char *text = NULL;
    assert_int_equal(plan_format(&p, &text), GP_OK);
    assert_string_equal(text, "No change: vm-017 already has this GPU setup\n");
    free(text);
    plan_cleanup(&p);
    vm_cleanup(&vm);
}

static void test_running_no_restart(void **state)
{
    (void)state;
    struct vm vm;
    make_vm(&vm, POWER_RUNNING, false);
    struct plan p;
    build(&vm, want_gpup, 1, &opts_no_restart, &p);
    assert_int_equal(p.n_steps, 2);
    expect_step(&p.steps[0], STEP_STOP, "POST", VMI "/stop" API, NULL, POWER_STOPPED, false);
    expect_step(&p.steps[1], STEP_PATCH_GPUS, "PATCH", VMI API, BODY_ATTACH, POWER_UNKNOWN, true);
    assert_string_equal(p.impact, "vm-017 will be shut down and left stopped");
    assert_true(p.downtime);
    assert_int_equal(p.after.power, POWER_STOPPED);
    plan_cleanup(&p);
    vm_cleanup(&vm);
}

static void test_stopped_attach_detach_nochange(void **state)
{
    (void)state;
    struct vm vm;
    struct plan p;

    make_vm(&vm, POWER_STOPPED, false);
    build(&vm, want_gpup, 1, &opts, &p);
    assert_int_equal(p.n_steps, 1);
    expect_step(&p.steps[0], STEP_PATCH_GPUS, "PATCH", VMI API, BODY_ATTACH, POWER_UNKNOWN, true);
    assert_string_equal(p.impact, "vm-017 is stopped; it stays stopped");
    assert_false(p.downtime);
    assert_int_equal(p.after.power, POWER_STOPPED);
    plan_cleanup(&p);
    /* no_restart changes nothing for a stopped VM */
    build(&vm, want_gpup, 1, &opts_no_restart, &p);
    assert_int_equal(p.n_steps, 1);
    assert_string_equal(p.impact, "vm-017 is stopped; it stays stopped");
    plan_cleanup(&p);
    vm_cleanup(&vm);

    make_vm(&vm, POWER_STOPPED, true);
    build(&vm, NULL, 0, &opts, &p);
    assert_int_equal(p.n_steps, 1);
    expect_step(&p.steps[0], STEP_PATCH_GPUS, "PATCH", VMI API, BODY_DETACH, POWER_UNKNOWN, true);
    plan_cleanup(&p);
    build(&vm, want_gpup, 1, &opts, &p);
    assert_int_equal(p.n_steps, 0);
    assert_string_equal(p.impact, "No change: vm-017 already has this GPU setup");
    plan_cleanup(&p);
    vm_cleanup(&vm);

    make_vm(&vm, POWER_DEALLOCATED, false);
    build(&vm, want_gpup, 1, &opts, &p);
    assert_int_equal(p.n_steps, 1);
    assert_string_equal(p.impact, "vm-017 is deallocated; it stays deallocated");
    assert_int_equal(p.after.power, POWER_DEALLOCATED);
    plan_cleanup(&p);
    vm_cleanup(&vm);

    /* Paused: stopped first, not started again (it was not running). */
    make_vm(&vm, POWER_PAUSED, false);
    build(&vm, want_gpup, 1, &opts, &p);
    assert_int_equal(p.n_steps, 2);
    assert_int_equal(p.steps[0].kind, STEP_STOP);
    assert_string_equal(p.impact, "vm-017 is paused; it will be shut down and left stopped");
    plan_cleanup(&p);
    vm_cleanup(&vm);

    make_vm(&vm, POWER_UNKNOWN, false);
    build(&vm, want_gpup, 1, &opts, &p);
    assert_int_equal(p.n_steps, 2);
    assert_string_equal(p.impact,
                        "vm-017's power state is unknown; it will be shut down and left stopped");
    plan_cleanup(&p);
    vm_cleanup(&vm);
}

static void test_dda_bodies(void **state)
{
    (void)state;
    struct vm vm;
    make_vm(&vm, POWER_STOPPED, false);
    struct vm_gpu dda[] = {{GPU_ASSIGN_DDA, NULL, -1, (char *)"NVIDIA A2"},
                           {GPU_ASSIGN_DDA, NULL, -1, NULL}};
    struct plan p;
    build(&vm, dda, 2, &opts, &p);
    assert_int_equal(p.n_steps, 1);
    assert_string_equal(p.steps[0].body,
                        "{\"properties\":{\"hardwareProfile\":{\"virtualMachineGPUs\":["
                        "{\"assignmentType\":\"GpuDDA\",\"gpuName\":\"NVIDIA A2\"},"
                        "{\"assignmentType\":\"GpuDDA\"}]}}}");
    assert_string_equal(p.steps[0].summary, "Set the GPUs of vm-017 to 2 GPUs (the whole list)");
    plan_cleanup(&p);
    build(&vm, dda, 1, &opts, &p);
    assert_string_equal(p.steps[0].summary,
                        "Set the GPUs of vm-017 to DDA NVIDIA A2 (the whole list)");
    plan_cleanup(&p);
    /* A partition size asked for is sent as asked (the rules decide if it is allowed). */
    struct vm_gpu sized[] = {{GPU_ASSIGN_P, NULL, 3648, NULL}};
    build(&vm, sized, 1, &opts, &p);
    assert_string_equal(p.steps[0].body,
                        "{\"properties\":{\"hardwareProfile\":{\"virtualMachineGPUs\":["
                        "{\"assignmentType\":\"GpuP\",\"partitionSizeMB\":3648}]}}}");
    plan_cleanup(&p);
    vm_cleanup(&vm);
}

static void test_gpu_change_errors(void **state)
{
    (void)state;
    struct vm vm;
    struct plan p;
    struct gp_error err;
    vm_init(&vm); /* no id, no parts */
    assert_int_equal(plan_build_gpu_change(&vm, want_gpup, 1, &opts, &p, &err), GP_E_INVALID);
    assert_string_equal(err.message, "plan: the VM has no resource id");
    assert_int_equal(p.n_steps, 0);
    assert_null(p.vm_id);
    plan_cleanup(&p);

    /* Id built from its parts. */
    vm.subscription = text_dup(SUB);
    vm.resource_group = text_dup("ml-rg");
    vm.name = text_dup("vm-017");
    vm.power = POWER_STOPPED;
    assert_int_equal(plan_build_gpu_change(&vm, want_gpup, 1, &opts, &p, &err), GP_OK);
    assert_string_equal(p.vm_id, VMI);
    plan_cleanup(&p);

    /* A resource group with non-ASCII letters is percent-encoded in the path only. */
    free(vm.resource_group);
    vm.resource_group = text_dup("ml-\xc3\xbc");
    assert_int_equal(plan_build_gpu_change(&vm, want_gpup, 1, &opts, &p, &err), GP_OK);
    assert_string_equal(p.vm_id, "/subscriptions/" SUB "/resourceGroups/ml-\xc3\xbc/providers/"
                                 "Microsoft.HybridCompute/machines/vm-017/providers/"
                                 "Microsoft.AzureStackHCI/virtualMachineInstances/default");
    assert_string_equal(p.steps[0].path, "/subscriptions/" SUB "/resourceGroups/ml-%C3%BC/"
                                         "providers/Microsoft.HybridCompute/machines/vm-017/"
                                         "providers/Microsoft.AzureStackHCI/"
                                         "virtualMachineInstances/default" API);
    plan_cleanup(&p);
    /* Ids that would change the request's meaning are refused. */
    free(vm.resource_group);
    vm.resource_group = text_dup("ml-rg?x=1#");
    assert_int_equal(plan_build_gpu_change(&vm, want_gpup, 1, &opts, &p, &err), GP_E_INVALID);
    assert_string_equal(err.message, "plan: the VM's resource id is not a path");
    plan_cleanup(&p);

    struct plan_options bad = {"2025-09-01-preview&x=1", "2024-07-10", false};
    assert_int_equal(plan_build_gpu_change(&vm, want_gpup, 1, &bad, &p, &err), GP_E_INVALID);
    plan_cleanup(&p);
    assert_int_equal(plan_build_gpu_change(&vm, NULL, 1, &opts, &p, &err), GP_E_INVALID);
    plan_cleanup(&p);
    vm_cleanup(&vm);
}

/* --- power ------------------------------------------------------------------------------- */

static void test_power(void **state)
{
    (void)state;
    struct vm vm;
    make_vm(&vm, POWER_RUNNING, true);
    struct plan p;
    struct gp_error err;

    assert_int_equal(plan_build_power(&vm, STEP_STOP, &opts, &p, &err), GP_OK);
    assert_int_equal(p.kind, PLAN_POWER);
    assert_int_equal(p.n_steps, 1);
    expect_step(&p.steps[0], STEP_STOP, "POST", VMI "/stop" API, NULL, POWER_STOPPED, false);
    assert_string_equal(p.impact, "vm-017 will be shut down and left stopped; expect downtime");
    assert_true(p.downtime);
    assert_int_equal(p.after.power, POWER_STOPPED);
    assert_int_equal(p.after.n_gpus, 1);
    plan_cleanup(&p);

    assert_int_equal(plan_build_power(&vm, STEP_RESTART, &opts, &p, &err), GP_OK);
    expect_step(&p.steps[0], STEP_RESTART, "POST", VMI "/restart" API, NULL, POWER_RUNNING,
                false);
    assert_string_equal(p.steps[0].summary, "Restart vm-017 and wait until Running");
    assert_string_equal(p.impact, "vm-017 will be restarted; expect downtime");
    assert_true(p.downtime);
    plan_cleanup(&p);
    vm_cleanup(&vm);

    make_vm(&vm, POWER_STOPPED, false);
    assert_int_equal(plan_build_power(&vm, STEP_START, &opts, &p, &err), GP_OK);
    expect_step(&p.steps[0], STEP_START, "POST", VMI "/start" API, NULL, POWER_RUNNING, false);
    assert_string_equal(p.impact, "vm-017 will be started");
    assert_false(p.downtime);
    assert_int_equal(p.after.power, POWER_RUNNING);
    plan_cleanup(&p);

    assert_int_equal(plan_build_power(&vm, STEP_PATCH_GPUS, &opts, &p, &err), GP_E_INVALID);
    assert_string_equal(err.message, "plan: patch-gpus is not a power action");
    assert_int_equal(p.n_steps, 0);
    plan_cleanup(&p);
    vm_cleanup(&vm);
}

/* --- create ------------------------------------------------------------------------------ */

static struct vm_create_spec spec_base(void)
{
    struct vm_create_spec s = {0};
    s.subscription = SUB;
    s.resource_group = "ml-rg";
    s.name = "vm-017";
    s.location = "eastus";
    s.custom_location = CL;
    s.image_id = IMAGE;
    s.admin_username = "azureuser";
    s.processors = 8;
    s.memory_mb = 32768;
    return s;
}

static void test_create_with_gpu(void **state)
{
    (void)state;
    struct vm_create_spec s = spec_base();
    s.ssh_public_key = "ssh-ed25519 AAAAC3Nza op@example";
    s.gpus = want_gpup;
    s.n_gpus = 1;
    struct plan p;
    struct gp_error err;
    assert_int_equal(plan_build_create(&s, &opts, &p, &err), GP_OK);
    assert_int_equal(p.kind, PLAN_CREATE);
    assert_string_equal(p.vm_id, VMI);
    assert_int_equal(p.n_steps, 2);
    expect_step(&p.steps[0], STEP_CREATE_MACHINE, "PUT", MACHINE "?api-version=2024-07-10",
                "{\"kind\":\"HCI\",\"location\":\"eastus\","
                "\"identity\":{\"type\":\"SystemAssigned\"}}",
                POWER_UNKNOWN, false);
    expect_step(&p.steps[1], STEP_CREATE_VMI, "PUT", VMI API,
                "{\"extendedLocation\":{\"type\":\"CustomLocation\",\"name\":\"" CL "\"},"
                "\"properties\":{\"hardwareProfile\":{\"vmSize\":\"Custom\",\"processors\":8,"
                "\"memoryMB\":32768,\"virtualMachineGPUs\":[{\"assignmentType\":\"GpuP\"}]},"
                "\"osProfile\":{\"adminUsername\":\"azureuser\",\"computerName\":\"vm-017\","
                "\"linuxConfiguration\":{\"ssh\":{\"publicKeys\":[{\"path\":"
                "\"/home/azureuser/.ssh/authorized_keys\","
                "\"keyData\":\"ssh-ed25519 AAAAC3Nza op@example\"}]},"
                "\"disablePasswordAuthentication\":true}},"
                "\"storageProfile\":{\"imageReference\":{\"id\":\"" IMAGE "\"}}}}",
                POWER_UNKNOWN, true);
    assert_null(strstr(p.steps[1].body, "adminPassword"));
    assert_string_equal(p.steps[0].summary, "Create the Arc machine vm-017 (kind HCI) in ml-rg");
    assert_string_equal(p.steps[1].summary,
                        "Create the VM instance of vm-017: 8 vCPU, 32768 MB, GPU GPU-P partition");
    assert_string_equal(p.impact, "vm-017 will be created with GPU GPU-P partition");
    assert_false(p.downtime);
    assert_null(p.before.id);
    assert_string_equal(p.after.id, VMI);
    assert_string_equal(p.after.custom_location, CL);
    assert_int_equal(p.after.n_gpus, 1);
    assert_int_equal(p.n_desired, 1);
    plan_cleanup(&p);
}

static void test_create_without_gpu(void **state)
{
    (void)state;
    struct vm_create_spec s = spec_base();
    struct plan p;
    struct gp_error err;
    assert_int_equal(plan_build_create(&s, &opts, &p, &err), GP_OK);
    assert_int_equal(p.n_steps, 2);
    assert_string_equal(p.steps[1].body,
                        "{\"extendedLocation\":{\"type\":\"CustomLocation\",\"name\":\"" CL "\"},"
                        "\"properties\":{\"hardwareProfile\":{\"vmSize\":\"Custom\","
                        "\"processors\":8,\"memoryMB\":32768},"
                        "\"osProfile\":{\"adminUsername\":\"azureuser\","
                        "\"computerName\":\"vm-017\"},"
                        "\"storageProfile\":{\"imageReference\":{\"id\":\"" IMAGE "\"}}}}");
    assert_false(p.steps[1].expect_gpus);
    assert_string_equal(p.impact, "vm-017 will be created without a GPU");
    plan_cleanup(&p);

    /* Validation. */
    s.name = "vm/../017";
    assert_int_equal(plan_build_create(&s, &opts, &p, &err), GP_E_INVALID);
    assert_string_equal(err.message, "create: name may not contain spaces, '/', '?', '#' or '%'");
    assert_int_equal(p.n_steps, 0);
    plan_cleanup(&p);
    s = spec_base();
    s.image_id = NULL;
    assert_int_equal(plan_build_create(&s, &opts, &p, &err), GP_E_INVALID);
    assert_string_equal(err.message, "create: image is required");
    plan_cleanup(&p);
    s = spec_base();
    s.processors = 0;
    assert_int_equal(plan_build_create(&s, &opts, &p, &err), GP_E_INVALID);
    plan_cleanup(&p);
    s = spec_base();
    struct plan_options no_machine_api = {"2025-09-01-preview", NULL, false};
    assert_int_equal(plan_build_create(&s, &no_machine_api, &p, &err), GP_E_INVALID);
    plan_cleanup(&p);
}

/* --- comparison -------------------------------------------------------------------------- */

static void test_gpu_lists_equal(void **state)
{
    (void)state;
    struct vm_gpu p_any = {GPU_ASSIGN_P, NULL, -1, NULL};
    struct vm_gpu p_3648 = {GPU_ASSIGN_P, (char *)"GpuP", 3648, NULL};
    struct vm_gpu p_4096 = {GPU_ASSIGN_P, NULL, 4096, NULL};
    struct vm_gpu d_a2 = {GPU_ASSIGN_DDA, NULL, -1, (char *)"NVIDIA A2"};
    struct vm_gpu d_a2_lower = {GPU_ASSIGN_DDA, NULL, -1, (char *)"nvidia a2"};
    struct vm_gpu d_l4 = {GPU_ASSIGN_DDA, NULL, -1, (char *)"NVIDIA L4"};
    struct vm_gpu d_any = {GPU_ASSIGN_DDA, NULL, -1, NULL};
    struct vm_gpu other = {GPU_ASSIGN_OTHER, (char *)"vGPU", -1, NULL};

    assert_true(gpu_lists_equal(NULL, 0, NULL, 0));
    assert_true(gpu_lists_equal(&p_any, 1, &p_3648, 1));
    assert_true(gpu_lists_equal(&p_3648, 1, &p_any, 1));
    assert_false(gpu_lists_equal(&p_3648, 1, &p_4096, 1));
    assert_false(gpu_lists_equal(&p_any, 1, NULL, 0));
    assert_false(gpu_lists_equal(&p_any, 1, &d_any, 1));
    assert_true(gpu_lists_equal(&d_a2, 1, &d_a2_lower, 1));
    assert_true(gpu_lists_equal(&d_any, 1, &d_l4, 1));
    assert_false(gpu_lists_equal(&d_a2, 1, &d_l4, 1));
    assert_true(gpu_lists_equal(&other, 1, &other, 1));
    assert_false(gpu_lists_equal(&other, 1, &p_any, 1));

    struct vm_gpu x[] = {d_a2, d_l4}, y[] = {d_l4, d_a2}; /* order does not matter */
    assert_true(gpu_lists_equal(x, 2, y, 2));
    /* Wildcards need a real matching: any+4096 vs 4096+3648 pairs any<->3648. */
    struct vm_gpu a[] = {p_any, p_4096}, b[] = {p_4096, p_3648};
    assert_true(gpu_lists_equal(a, 2, b, 2));
    struct vm_gpu c[] = {p_3648, p_3648};
    assert_false(gpu_lists_equal(c, 2, b, 2));
}

/* --- output ------------------------------------------------------------------------------ */

static void test_format(void **state)
{
    (void)state;
    struct vm vm;
    make_vm(&vm, POWER_RUNNING, false);
    struct plan p;
    build(&vm, want_gpup, 1, &opts, &p);
    char *text = NULL;
    assert_int_equal(plan_format(&p, &text), GP_OK);
    assert_string_equal(text,
                        "vm-017 will be shut down and restarted; expect downtime\n"
                        "1. POST " VMI "/stop" API "\n"
                        "   Stop vm-017 and wait until Stopped\n"
                        "2. PATCH " VMI API "\n"
                        "   Set the GPUs of vm-017 to GPU-P partition (the whole list)\n"
                        "   " BODY_ATTACH "\n"
                        "3. POST " VMI "/start" API "\n"
                        "   Start vm-017 and wait until Running\n");
    free(text);
    plan_cleanup(&p);

    /* A hostile name cannot drive the terminal through --dry-run output. */
    free(vm.name);
    vm.name = text_dup("vm\x1b[2J");
    build(&vm, want_gpup, 1, &opts, &p);
    assert_int_equal(plan_format(&p, &text), GP_OK);
    assert_null(strchr(text, '\x1b'));
    assert_non_null(strstr(text, "vm?[2J will be shut down"));
    free(text);
    plan_cleanup(&p);
    vm_cleanup(&vm);
}

static void test_to_json(void **state)
{
    (void)state;
    struct vm vm;
    make_vm(&vm, POWER_RUNNING, true);
    struct plan p;
    build(&vm, NULL, 0, &opts, &p);
    char *json = NULL;
    assert_int_equal(plan_to_json(&p, &json), GP_OK);
    cJSON *root = cJSON_Parse(json);
    assert_non_null(root);
    assert_string_equal(cJSON_GetObjectItem(root, "kind")->valuestring, "gpu-change");
    assert_string_equal(cJSON_GetObjectItem(root, "vm")->valuestring, "vm-017");
    assert_string_equal(cJSON_GetObjectItem(root, "vmId")->valuestring, VMI);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(root, "downtime")));
    assert_string_equal(cJSON_GetObjectItem(root, "impact")->valuestring,
                        "vm-017 will be shut down and restarted; expect downtime");
    cJSON *steps = cJSON_GetObjectItem(root, "steps");
    assert_int_equal(cJSON_GetArraySize(steps), 3);
    cJSON *s0 = cJSON_GetArrayItem(steps, 0), *s1 = cJSON_GetArrayItem(steps, 1);
    assert_string_equal(cJSON_GetObjectItem(s0, "kind")->valuestring, "stop");
    assert_string_equal(cJSON_GetObjectItem(s0, "method")->valuestring, "POST");
    assert_string_equal(cJSON_GetObjectItem(s0, "path")->valuestring, VMI "/stop" API);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(s0, "body")));
    assert_string_equal(cJSON_GetObjectItem(s0, "expectPower")->valuestring, "Stopped");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(s1, "expectGpus")));
    char *body = cJSON_PrintUnformatted(cJSON_GetObjectItem(s1, "body"));
    assert_string_equal(body, BODY_DETACH);
    free(body);
    cJSON *before = cJSON_GetObjectItem(root, "before");
    cJSON *after = cJSON_GetObjectItem(root, "after");
    cJSON *bhw = cJSON_GetObjectItem(cJSON_GetObjectItem(before, "properties"), "hardwareProfile");
    cJSON *ahw = cJSON_GetObjectItem(cJSON_GetObjectItem(after, "properties"), "hardwareProfile");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(bhw, "virtualMachineGPUs")), 1);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(ahw, "virtualMachineGPUs")), 0);
    cJSON_Delete(root);
    free(json);
    plan_cleanup(&p);
    vm_cleanup(&vm);
}

static void test_step_kind_names(void **state)
{
    (void)state;
    assert_string_equal(plan_step_kind_name(STEP_PATCH_GPUS), "patch-gpus");
    assert_string_equal(plan_step_kind_name(STEP_CREATE_VMI), "create-vm-instance");
    assert_string_equal(plan_step_kind_name(PLAN_STEP_KIND_COUNT), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_running_attach),
        cmocka_unit_test(test_running_detach),
        cmocka_unit_test(test_running_no_change),
        cmocka_unit_test(test_running_no_restart),
        cmocka_unit_test(test_stopped_attach_detach_nochange),
        cmocka_unit_test(test_dda_bodies),
        cmocka_unit_test(test_gpu_change_errors),
        cmocka_unit_test(test_power),
        cmocka_unit_test(test_create_with_gpu),
        cmocka_unit_test(test_create_without_gpu),
        cmocka_unit_test(test_gpu_lists_equal),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_to_json),
        cmocka_unit_test(test_step_kind_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
