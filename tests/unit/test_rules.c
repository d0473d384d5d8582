/* SPDX-License-Identifier: MIT
 * tests/unit/test_rules.c: every service rule of azure-local-api.md section 3 passing, failing
 * (with the reason and fix the operator reads) and unknown without a host inventory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "model/cluster.h"
#include "model/rules.h"
#include "model/text.h"
#include "model/vm.h"
#include "tests/support/clusterfix.h"

#define CL                                                                                     \
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ExtendedLocation/customLocations/"     \
    "cl-seattle"

/* --- fixtures ---------------------------------------------------------------------------- */

struct fixture {
    struct vm vm;
    struct cluster c;
    struct vm_gpu want[4];
    size_t n_want;
    struct rule_input in;
    struct rule_report rep;
};

static struct host *add_host(struct cluster *c, const char *name)
{
    return clusterfix_host(c, name, CL);
}

static struct host_gpu *add_gpu(struct host *h, const char *model, enum gpu_mode mode, int total,
                                int used)
{
    return clusterfix_gpu(h, h->n_gpus == 0 ? "gpu-0" : "gpu-1", model, mode,
                          mode == GPU_MODE_GPUP ? 3648 : -1, total, used);
}

/* vm-017 on node-02, Running, no GPU; a homogeneous two-node cluster with A2s in GPU-P mode
 * (node-02: 3 of 8 free) and one free L4 in DDA mode on each node. */
static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    vm_init(&f->vm);
    f->vm.name = text_dup("vm-017");
    f->vm.custom_location = text_dup(CL);
    f->vm.host_node = text_dup("node-02");
    f->vm.power = POWER_RUNNING;
    f->vm.power_text = text_dup("Running");
    cluster_init(&f->c);
    f->c.inventory_known = true;
    struct host *h1 = add_host(&f->c, "node-01");
    add_gpu(h1, "NVIDIA A2", GPU_MODE_GPUP, 8, 0);
    add_gpu(h1, "NVIDIA L4", GPU_MODE_DDA, 0, 0);
    struct host *h2 = add_host(&f->c, "node-02");
    add_gpu(h2, "NVIDIA A2", GPU_MODE_GPUP, 8, 5);
    add_gpu(h2, "NVIDIA L4", GPU_MODE_DDA, 0, 0);
    for (size_t i = 0; i < 4; i++) {
        f->want[i].type = GPU_ASSIGN_P;
        f->want[i].partition_size_mb = -1;
    }
    f->n_want = 1;
    f->in.vm = &f->vm;
    f->in.desired = f->want;
    f->in.n_desired = 1;
    f->in.cluster = &f->c;
    f->in.plan_stops_vm = true;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    vm_cleanup(&f->vm);
    cluster_cleanup(&f->c);
    for (size_t i = 0; i < 4; i++) {
        free(f->want[i].gpu_name);
        free(f->want[i].type_text);
    }
    free(f);
    return 0;
}

static const struct rule_result *run(struct fixture *f, enum rule_id id)
{
    rules_check(&f->in, &f->rep);
    /* Every rule is always evaluated, with a reason. */
    int failed = 0;
    for (int i = 0; i < RULE_COUNT; i++) {
        assert_int_equal(f->rep.results[i].id, i);
        assert_true(f->rep.results[i].reason[0] != '\0');
        if (f->rep.results[i].outcome == RULE_FAILED) {
            assert_true(f->rep.results[i].fix[0] != '\0');
            if (!failed)
                assert_int_equal(f->rep.first_failed, i);
            failed++;
        } else {
            assert_string_equal(f->rep.results[i].fix, "");
        }
    }
    assert_int_equal(f->rep.n_failed, failed);
    return &f->rep.results[id];
}

static void vm_give_partition(struct vm *vm)
{
    vm->gpus = calloc(1, sizeof(*vm->gpus));
    assert_non_null(vm->gpus);
    vm->n_gpus = 1;
    vm->gpus_present = true;
    vm->gpus[0].type = GPU_ASSIGN_P;
    vm->gpus[0].type_text = text_dup("GpuP");
    vm->gpus[0].partition_size_mb = 3648;
}

/* --- tests ------------------------------------------------------------------------------- */

static void test_table(void **state)
{
    (void)state;
    assert_string_equal(rule_name(RULE_VM_STOPPED), "vm-stopped");
    assert_int_equal(rule_http_status(RULE_VM_STOPPED), 409);
    assert_string_equal(rule_error_code(RULE_VM_STOPPED), "VmMustBeStopped");
    assert_string_equal(rule_error_code(RULE_CAPACITY), "NoGpuPartitionAvailable");
    assert_int_equal(rule_http_status(RULE_VALID_TYPE), 400);
    assert_string_equal(rule_name(RULE_COUNT), "unknown-rule");
    assert_string_equal(rule_outcome_name(RULE_PASSED), "passed");
    assert_string_equal(rule_outcome_name(RULE_FAILED), "FAILED");
    assert_string_equal(rule_outcome_name(RULE_UNKNOWN), "unknown");
    assert_string_equal(rule_outcome_name(RULE_SKIPPED), "n/a");
}

static void test_attach_all_pass(void **state)
{
    struct fixture *f = *state;
    run(f, RULE_CAPACITY);
    assert_int_equal(f->rep.n_failed, 0);
    for (int i = 0; i < RULE_COUNT; i++)
        assert_int_equal(f->rep.results[i].outcome, RULE_PASSED);
    assert_string_equal(f->rep.results[RULE_VM_STOPPED].reason,
                        "vm-017 is Running; gpup stops it first");
    assert_string_equal(f->rep.results[RULE_CAPACITY].reason,
                        "host node-02 has 3 of 8 partitions free");
    assert_string_equal(f->rep.results[RULE_MODE_AVAILABLE].reason,
                        "node-02 has GPUs in GPU-P mode (8 partitions)");
}

static void test_valid_type(void **state)
{
    struct fixture *f = *state;
    f->in.n_desired = 2;
    f->want[0].type = GPU_ASSIGN_DDA;
    f->want[1].type = GPU_ASSIGN_OTHER;
    f->want[1].type_text = text_dup("vGPU");
    const struct rule_result *r = run(f, RULE_VALID_TYPE);
    assert_int_equal(r->outcome, RULE_FAILED);
    assert_string_equal(r->reason, "GPU 2 has assignmentType \"vGPU\"; only GpuDDA and GpuP exist");
    assert_string_equal(r->target,
                        "properties.hardwareProfile.virtualMachineGPUs[1].assignmentType");
    assert_int_equal(f->rep.first_failed, RULE_VALID_TYPE);

    free(f->want[1].type_text);
    f->want[1].type_text = NULL;
    r = run(f, RULE_VALID_TYPE);
    assert_string_equal(r->reason, "GPU 2 has no assignmentType");

    f->want[1].type = GPU_ASSIGN_DDA;
    r = run(f, RULE_VALID_TYPE);
    assert_int_equal(r->outcome, RULE_PASSED);
    assert_string_equal(r->target, "");
}

static void test_one_partition(void **state)
{
    struct fixture *f = *state;
    f->in.n_desired = 2;
    const struct rule_result *r = run(f, RULE_ONE_PARTITION);
    assert_int_equal(r->outcome, RULE_FAILED);
    assert_string_equal(r->reason, "2 GPU partitions requested; a VM can have at most one");
    assert_string_equal(r->fix, "Keep a single GPU Partition entry");
    f->in.n_desired = 1;
    assert_int_equal(run(f, RULE_ONE_PARTITION)->outcome, RULE_PASSED);
}

static void test_no_mixing(void **state)
{
    struct fixture *f = *state;
    f->in.n_desired = 2;
    f->want[1].type = GPU_ASSIGN_DDA;
    const struct rule_result *r = run(f, RULE_NO_MIXING);
    assert_int_equal(r->outcome, RULE_FAILED);
    assert_string_equal(r->reason, "GPU-P and DDA requested together");
    assert_int_equal(run(f, RULE_ONE_PARTITION)->outcome, RULE_PASSED);
    f->want[0].type = GPU_ASSIGN_DDA;
    r = run(f, RULE_NO_MIXING);
    assert_int_equal(r->outcome, RULE_PASSED);
    assert_string_equal(r->reason, "Only DDA requested");
}

static void test_auto_assigned(void **state)
{
    struct fixture *f = *state;
    f->want[0].gpu_name = text_dup("NVIDIA A2");
    const struct rule_result *r = run(f, RULE_AUTO_ASSIGNED);
    assert_int_equal(r->outcome, RULE_FAILED);
    assert_string_equal(r->reason, "The request names GPU \"NVIDIA A2\" for a partition; the "
                                   "service picks partitions");
    assert_string_equal(r->target, "properties.hardwareProfile.virtualMachineGPUs[0].gpuName");
    free(f->want[0].gpu_name);
    f->want[0].gpu_name = NULL;

    f->want[0].partition_size_mb = 4096;
    r = run(f, RULE_AUTO_ASSIGNED);
    assert_int_equal(r->outcome, RULE_FAILED);
    assert_string_equal(r->reason,
                        "The request asks for 4096 MB partitions; node-02's partition size is "
                        "3648 MB");
    assert_string_equal(r->fix, "Leave the partition size out; the service uses the host's size");

    f->want[0].partition_size_mb = 3648; /* the host's size: fine */
    assert_int_equal(run(f, RULE_AUTO_ASSIGNED)->outcome, RULE_PASSED);
    f->want[0].partition_size_mb = -1;
    assert_int_equal(run(f, RULE_AUTO_ASSIGNED)->outcome, RULE_PASSED);

    /* Without inventory: the configured size decides equality, anything else is unknown. */
    f->c.inventory_known = false;
    f->c.partition_size_mb_config = 3648;
    f->want[0].partition_size_mb = 3648;
    assert_int_equal(run(f, RULE_AUTO_ASSIGNED)->outcome, RULE_PASSED);
    f->want[0].partition_size_mb = 4096;
    assert_int_equal(run(f, RULE_AUTO_ASSIGNED)->outcome, RULE_UNKNOWN);

    f->want[0].type = GPU_ASSIGN_DDA;
    assert_int_equal(run(f, RULE_AUTO_ASSIGNED)->outcome, RULE_SKIPPED);
}

static void test_vm_stopped(void **state)
{
    struct fixture *f = *state;
    f->in.plan_stops_vm = false; /* the emulator enforcing a PATCH as received */
    const struct rule_result *r = run(f, RULE_VM_STOPPED);
    assert_int_equal(r->outcome, RULE_FAILED);
    assert_string_equal(r->reason, "vm-017 is Running; GPUs change only on a stopped VM");
    assert_string_equal(r->fix, "Stop vm-017 first, then change its GPUs");
    assert_int_equal(rule_http_status(f->rep.first_failed), 409);

    f->vm.power = POWER_DEALLOCATED;
    free(f->vm.power_text);
    f->vm.power_text = text_dup("Deallocated");
    r = run(f, RULE_VM_STOPPED);
    assert_int_equal(r->outcome, RULE_PASSED);
    assert_string_equal(r->reason, "vm-017 is Deallocated");

    /* No change to the list: nothing to stop for. */
    f->vm.power = POWER_RUNNING;
    vm_give_partition(&f->vm);
    r = run(f, RULE_VM_STOPPED);
    assert_int_equal(r->outcome, RULE_SKIPPED);

    /* A new VM. */
    f->in.creating = true;
    assert_int_equal(run(f, RULE_VM_STOPPED)->outcome, RULE_SKIPPED);
}

static void test_homogeneous(void **state)
{
    struct fixture *f = *state;
    f->c.hosts[0].gpus[0].partitions_total = 4;
    const struct rule_result *r = run(f, RULE_HOMOGENEOUS);
    assert_int_equal(r->outcome, RULE_FAILED);
    assert_string_equal(r->reason, "Cluster not homogeneous: node-02 GPU gpu-0 offers 8 "
                                   "partitions, node-01 GPU gpu-0 offers 4");
    assert_int_equal(rule_http_status(RULE_HOMOGENEOUS), 409);

    f->want[0].type = GPU_ASSIGN_DDA; /* DDA does not need it */
    assert_int_equal(run(f, RULE_HOMOGENEOUS)->outcome, RULE_SKIPPED);

    f->want[0].type = GPU_ASSIGN_P;
    f->c.inventory_known = false;
    r = run(f, RULE_HOMOGENEOUS);
    assert_int_equal(r->outcome, RULE_UNKNOWN);
    assert_string_equal(r->reason, "Host GPU inventory unavailable; cannot compare the nodes");
}

static void test_mode_available_gpup(void **state)
{
    struct fixture *f = *state;
    /* node-02's A2 switched to DDA: no GPU-P GPU left there. */
    f->c.hosts[1].gpus[0].mode = GPU_MODE_DDA;
    f->c.hosts[0].gpus[0].mode = GPU_MODE_DDA;
    const struct rule_result *r = run(f, RULE_MODE_AVAILABLE);
    assert_int_equal(r->outcome, RULE_FAILED);
    assert_string_equal(r->reason, "node-02 has no GPU in GPU-P mode");
    assert_string_equal(r->fix, "Switch a GPU of node-02 to GPU-P mode, or pick a VM on a host "
                                "with GPU-P GPUs");

    /* Host unknown (a deallocated VM): any host of the cluster will do. */
    f->c.hosts[0].gpus[0].mode = GPU_MODE_GPUP;
    free(f->vm.host_node);
    f->vm.host_node = NULL;
    r = run(f, RULE_MODE_AVAILABLE);
    assert_int_equal(r->outcome, RULE_PASSED);
    assert_string_equal(r->reason, "the cluster has GPUs in GPU-P mode (8 partitions)");

    f->c.inventory_known = false;
    assert_int_equal(run(f, RULE_MODE_AVAILABLE)->outcome, RULE_UNKNOWN);

    f->in.n_desired = 0;
    assert_int_equal(run(f, RULE_MODE_AVAILABLE)->outcome, RULE_SKIPPED);
}

static void test_mode_available_dda(void **state)
{
    struct fixture *f = *state;
    f->want[0].type = GPU_ASSIGN_DDA;
    const struct rule_result *r = run(f, RULE_MODE_AVAILABLE);
    assert_int_equal(r->outcome, RULE_PASSED);
    assert_string_equal(r->reason, "node-02 has a free DDA GPU");

    /* Held by another VM. */
    f->c.hosts[1].gpus[1].dda_vm = text_dup("render-1");
    r = run(f, RULE_MODE_AVAILABLE);
    assert_int_equal(r->outcome, RULE_FAILED);
    assert_string_equal(r->reason, "node-02 has 0 free DDA GPUs for 1 requested");
    assert_string_equal(r->fix, "Detach the DDA GPU from another VM on node-02, or pick a VM on "
                                "a host with a free DDA GPU");
    assert_int_equal(f->rep.first_failed, RULE_MODE_AVAILABLE);
    assert_string_equal(rule_error_code(f->rep.first_failed), "GpuModeNotAvailable");

    /* Held by this very VM: it keeps it. */
    free(f->c.hosts[1].gpus[1].dda_vm);
    f->c.hosts[1].gpus[1].dda_vm = text_dup("vm-017");
    assert_int_equal(run(f, RULE_MODE_AVAILABLE)->outcome, RULE_PASSED);

    /* A named model the host does not have. */
    f->want[0].gpu_name = text_dup("NVIDIA H100");
    assert_int_equal(run(f, RULE_MODE_AVAILABLE)->outcome, RULE_FAILED);
    free(f->want[0].gpu_name);
    f->want[0].gpu_name = text_dup("nvidia l4");
    assert_int_equal(run(f, RULE_MODE_AVAILABLE)->outcome, RULE_PASSED);

    /* Two DDA GPUs on a host with one. */
    f->in.n_desired = 2;
    f->want[1].type = GPU_ASSIGN_DDA;
    assert_int_equal(run(f, RULE_MODE_AVAILABLE)->outcome, RULE_FAILED);
    /* Capacity (partitions) does not apply to DDA. */
    assert_int_equal(f->rep.results[RULE_CAPACITY].outcome, RULE_SKIPPED);
}

static void test_capacity(void **state)
{
    struct fixture *f = *state;
    f->c.hosts[1].gpus[0].partitions_used = 8;
    const struct rule_result *r = run(f, RULE_CAPACITY);
    assert_int_equal(r->outcome, RULE_FAILED);
    assert_string_equal(r->reason, "host node-02 has 0 of 8 partitions free");
    assert_string_equal(r->fix, "Delete a partition from another VM on node-02, or pick a VM on "
                                "a host with free partitions");
    assert_int_equal(f->rep.n_failed, 1);
    assert_int_equal(f->rep.first_failed, RULE_CAPACITY);

    /* A VM that already holds a partition and keeps it needs no new one. */
    vm_give_partition(&f->vm);
    r = run(f, RULE_CAPACITY);
    assert_int_equal(r->outcome, RULE_PASSED);
    assert_string_equal(r->reason, "vm-017 keeps its partition; no new one needed");

    /* Detaching skips capacity. */
    f->in.n_desired = 0;
    r = run(f, RULE_CAPACITY);
    assert_int_equal(r->outcome, RULE_SKIPPED);
    assert_string_equal(rule_outcome_name(r->outcome), "n/a");
    assert_int_equal(f->rep.n_failed, 0);
    assert_string_equal(f->rep.results[RULE_VM_STOPPED].reason,
                        "vm-017 is Running; gpup stops it first");
}

static void test_capacity_cluster_and_unknown(void **state)
{
    struct fixture *f = *state;
    free(f->vm.host_node);
    f->vm.host_node = text_dup("node-77"); /* not in the inventory: the cluster counts */
    const struct rule_result *r = run(f, RULE_CAPACITY);
    assert_int_equal(r->outcome, RULE_PASSED);
    assert_string_equal(r->reason, "the cluster has 11 of 16 partitions free");

    f->c.inventory_known = false;
    r = run(f, RULE_CAPACITY);
    assert_int_equal(r->outcome, RULE_UNKNOWN);
    assert_string_equal(r->reason, "Host GPU inventory unavailable; free partitions unknown");
    /* Unknown never blocks. */
    assert_int_equal(f->rep.n_failed, 0);
    assert_int_equal(f->rep.results[RULE_HOMOGENEOUS].outcome, RULE_UNKNOWN);
    assert_int_equal(f->rep.results[RULE_MODE_AVAILABLE].outcome, RULE_UNKNOWN);
    assert_int_equal(f->rep.results[RULE_VALID_TYPE].outcome, RULE_PASSED);

    /* A NULL cluster pointer does not crash (treated as unknown). */
    f->in.cluster = NULL;
    assert_int_equal(run(f, RULE_CAPACITY)->outcome, RULE_UNKNOWN);
}

static void test_hostile_text_sanitized(void **state)
{
    struct fixture *f = *state;
    f->want[0].type = GPU_ASSIGN_OTHER;
    f->want[0].type_text = text_dup("\x1b]0;pwned\a");
    const struct rule_result *r = run(f, RULE_VALID_TYPE);
    assert_int_equal(r->outcome, RULE_FAILED);
    assert_null(strchr(r->reason, '\x1b'));

    /* Names of VMs and hosts too, in reasons and fixes. */
    f->want[0].type = GPU_ASSIGN_P;
    free(f->vm.name);
    f->vm.name = text_dup("vm\x1b[2J");
    free(f->vm.host_node);
    f->vm.host_node = text_dup("node\x9b" "31m");
    free(f->c.hosts[1].name);
    f->c.hosts[1].name = text_dup("node\x9b" "31m");
    f->c.hosts[1].gpus[0].partitions_used = 8;
    f->in.plan_stops_vm = false;
    run(f, RULE_CAPACITY);
    assert_string_equal(f->rep.results[RULE_VM_STOPPED].reason,
                        "vm?[2J is Running; GPUs change only on a stopped VM");
    assert_string_equal(f->rep.results[RULE_VM_STOPPED].fix,
                        "Stop vm?[2J first, then change its GPUs");
    assert_string_equal(f->rep.results[RULE_CAPACITY].reason,
                        "host node?31m has 0 of 8 partitions free");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        T(test_attach_all_pass),
        T(test_valid_type),
        T(test_one_partition),
        T(test_no_mixing),
        T(test_auto_assigned),
        T(test_vm_stopped),
        T(test_homogeneous),
        T(test_mode_available_gpup),
        T(test_mode_available_dda),
        T(test_capacity),
        T(test_capacity_cluster_and_unknown),
        T(test_hostile_text_sanitized),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
