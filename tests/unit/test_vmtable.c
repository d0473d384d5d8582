/* SPDX-License-Identifier: MIT
 * tests/unit/test_vmtable.c: the VM list rows: display cells, filter (full, narrowing,
 * widening), stable sorts, page appends keeping both, replacement by id, and a large table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/text.h"
#include "model/vm.h"
#include "model/vmtable.h"

#define SUB "00000000-0000-0000-0000-000000000000"

/* A VM from ARM JSON; gpus is the virtualMachineGPUs array text or NULL. */
static void make_vm(struct vm *vm, const char *name, const char *rg, const char *host,
                    const char *power, int cpus, int mem, const char *gpus)
{
    char json[2048];
    char gpu_field[512] = "";
    if (gpus)
        snprintf(gpu_field, sizeof(gpu_field), ", \"virtualMachineGPUs\": %s", gpus);
    int w = snprintf(json, sizeof(json),
                     "{\"id\": \"/subscriptions/" SUB "/resourceGroups/%s/providers/"
                     "Microsoft.HybridCompute/machines/%s/providers/"
                     "Microsoft.AzureStackHCI/virtualMachineInstances/default\","
                     " \"extendedLocation\": {\"type\": \"CustomLocation\", \"name\": "
                     "\"/subscriptions/" SUB "/resourceGroups/%s/providers/"
                     "Microsoft.ExtendedLocation/customLocations/cl-seattle\"},"
                     " \"properties\": {\"hardwareProfile\": {\"vmSize\": \"Custom\","
                     " \"processors\": %d, \"memoryMB\": %d%s}, %s%s%s"
                     " \"provisioningState\": \"Succeeded\","
                     " \"status\": {\"powerState\": \"%s\"}}}",
                     rg, name, rg, cpus, mem, gpu_field, host ? "\"hostNodeName\": \"" : "",
                     host ? host : "", host ? "\"," : "", power);
    assert_true(w > 0 && (size_t)w < sizeof(json));
    struct gp_error err;
    gp_error_clear(&err);
    vm_init(vm);
    if (vm_from_json(vm, json, strlen(json), &err) != GP_OK)
        fail_msg("vm_from_json: %s\n%s", err.message, json);
}

#define GPUP "[{\"assignmentType\": \"GpuP\", \"partitionSizeMB\": 3648}]"
#define DDA "[{\"assignmentType\": \"GpuDDA\", \"gpuName\": \"NVIDIA A2\"}]"

static struct vmtable *five(bool utf8)
{
    struct vmtable *t = vmtable_new(utf8);
    assert_non_null(t);
    struct vm vms[5];
    make_vm(&vms[0], "vm-10", "ml-rg", "node-02", "Running", 8, 32768, GPUP);
    make_vm(&vms[1], "vm-2", "web-rg", NULL, "Stopped", 2, 4096, NULL);
    make_vm(&vms[2], "train-04", "ML-RG", "node-01", "Running", 16, 65536, DDA);
    make_vm(&vms[3], "db-1", "data-rg", "node-03", "Deallocated", 4, 3000, "[]");
    make_vm(&vms[4], "vm-1", "web-rg", "node-01", "Running", 2, 4096, NULL);
    struct gp_error err;
    gp_error_clear(&err);
    assert_int_equal(vmtable_add(t, vms, 5, &err), GP_OK);
    for (int i = 0; i < 5; i++) {
        assert_null(vms[i].id); /* taken */
        vm_cleanup(&vms[i]);
    }
    return t;
}

/* The names in view order, joined by spaces. */
static const char *names(const struct vmtable *t)
{
    static char buf[1024];
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < vmtable_visible(t); i++) {
        int w = snprintf(buf + used, sizeof(buf) - used, "%s%s", i ? " " : "",
                         vmtable_cell(t, i, VMCOL_NAME));
        assert_true(w > 0 && (size_t)w < sizeof(buf) - used);
        used += (size_t)w;
    }
    return buf;
}

static void test_cells(void **state)
{
    (void)state;
    struct vmtable *t = five(true);
    assert_int_equal(vmtable_count(t), 5);
    assert_int_equal(vmtable_visible(t), 5);
    /* Default sort: name, natural. */
    assert_string_equal(names(t), "db-1 train-04 vm-1 vm-2 vm-10");
    size_t i;
    assert_true(vmtable_find(t, "/SUBSCRIPTIONS/" SUB "/resourceGroups/ml-rg/providers/"
                                "Microsoft.HybridCompute/machines/vm-10/providers/"
                                "Microsoft.AzureStackHCI/virtualMachineInstances/default",
                             &i));
    assert_int_equal(i, 4);
    assert_string_equal(vmtable_cell(t, i, VMCOL_GROUP), "ml-rg");
    assert_string_equal(vmtable_cell(t, i, VMCOL_LOCATION), "node-02");
    assert_string_equal(vmtable_cell(t, i, VMCOL_POWER), "Running");
    assert_string_equal(vmtable_cell(t, i, VMCOL_PROVISIONING), "Succeeded");
    assert_string_equal(vmtable_cell(t, i, VMCOL_SIZE), "8 / 32 GB");
    assert_string_equal(vmtable_cell(t, i, VMCOL_GPU), "GPU-P 3648 MB");
    assert_string_equal(vmtable_vm(t, i)->name, "vm-10");
    /* No host: the custom location's name. */
    assert_string_equal(vmtable_cell(t, 3, VMCOL_LOCATION), "cl-seattle");
    assert_string_equal(vmtable_cell(t, 3, VMCOL_GPU), "\xe2\x80\x94");
    assert_string_equal(vmtable_cell(t, 0, VMCOL_SIZE), "4 / 3000 MB");
    assert_string_equal(vmtable_cell(t, 1, VMCOL_GPU), "DDA NVIDIA A2");
    assert_string_equal(vmtable_cell(t, 9, VMCOL_NAME), "");
    assert_null(vmtable_vm(t, 9));
    assert_int_equal(vmtable_col_width(t, VMCOL_NAME), 8);  /* "train-04" */
    assert_int_equal(vmtable_col_width(t, VMCOL_GPU), 13);  /* "GPU-P 3648 MB" */
    assert_int_equal(vmtable_col_width(t, VMCOL_GROUP), 7); /* "data-rg" */
    assert_string_equal(vmtable_col_title(VMCOL_GROUP), "Resource group");
    assert_string_equal(vmtable_col_short_title(VMCOL_GROUP), "Group");
    assert_null(vmtable_get(t, "/subscriptions/x"));
    vmtable_free(t);

    t = five(false);
    assert_string_equal(vmtable_cell(t, 3, VMCOL_GPU), "-");
    vmtable_free(t);
}

static void test_filter(void **state)
{
    (void)state;
    struct vmtable *t = five(true);
    assert_int_equal(vmtable_set_filter(t, "ML"), GP_OK);
    assert_string_equal(names(t), "train-04 vm-10");
    /* Narrowing: "ml-r" then "ml-rg" */
    assert_int_equal(vmtable_set_filter(t, "ml-rg"), GP_OK);
    assert_string_equal(names(t), "train-04 vm-10");
    assert_int_equal(vmtable_set_filter(t, "ml-rgx"), GP_OK);
    assert_string_equal(names(t), "");
    /* Widening (backspace) scans everything again. */
    assert_int_equal(vmtable_set_filter(t, "run"), GP_OK);
    assert_string_equal(names(t), "train-04 vm-1 vm-10");
    assert_int_equal(vmtable_set_filter(t, "gpu"), GP_OK);
    assert_string_equal(names(t), "vm-10");
    assert_int_equal(vmtable_set_filter(t, "a2"), GP_OK);
    assert_string_equal(names(t), "train-04");
    /* No match across two columns: "ml-rg" + "node": the separator is not typeable. */
    assert_int_equal(vmtable_set_filter(t, "rg\x1fnode"), GP_OK);
    assert_string_equal(vmtable_filter(t), "rgnode");
    assert_string_equal(names(t), "");
    assert_int_equal(vmtable_set_filter(t, "0 m"), GP_OK); /* "3000 MB" */
    assert_string_equal(names(t), "db-1");
    assert_int_equal(vmtable_set_filter(t, ""), GP_OK);
    assert_int_equal(vmtable_visible(t), 5);
    assert_int_equal(vmtable_set_filter(t, NULL), GP_OK);
    assert_int_equal(vmtable_visible(t), 5);
    /* A narrowing filter that starts elsewhere ("1" -> "-1"). */
    assert_int_equal(vmtable_set_filter(t, "1"), GP_OK);
    assert_int_equal(vmtable_set_filter(t, "-1"), GP_OK);
    assert_string_equal(names(t), "db-1 vm-1 vm-10");
    vmtable_free(t);
}

static void test_sort(void **state)
{
    (void)state;
    struct vmtable *t = five(true);
    assert_int_equal(vmtable_set_sort(t, VMCOL_NAME, true), GP_OK);
    assert_string_equal(names(t), "vm-10 vm-2 vm-1 train-04 db-1");
    /* Power: ties keep arrival order (vm-10, train-04, vm-1 arrived in that order). */
    assert_int_equal(vmtable_set_sort(t, VMCOL_POWER, false), GP_OK);
    assert_string_equal(names(t), "db-1 vm-10 train-04 vm-1 vm-2");
    assert_int_equal(vmtable_set_sort(t, VMCOL_POWER, true), GP_OK);
    assert_string_equal(names(t), "vm-2 vm-10 train-04 vm-1 db-1");
    assert_int_equal(vmtable_sort_column(t), VMCOL_POWER);
    assert_true(vmtable_sort_desc(t));
    /* Size is numeric: 2 CPUs before 16. */
    assert_int_equal(vmtable_set_sort(t, VMCOL_SIZE, false), GP_OK);
    assert_string_equal(names(t), "vm-2 vm-1 db-1 vm-10 train-04");
    /* Sorting keeps the filter. */
    assert_int_equal(vmtable_set_filter(t, "web"), GP_OK);
    assert_int_equal(vmtable_set_sort(t, VMCOL_NAME, false), GP_OK);
    assert_string_equal(names(t), "vm-1 vm-2");
    assert_int_equal(vmtable_set_sort(t, VMTABLE_COLUMN_COUNT, false), GP_E_INVALID);
    vmtable_free(t);
}

static void test_append_and_replace(void **state)
{
    (void)state;
    struct vmtable *t = five(true);
    struct gp_error err;
    assert_int_equal(vmtable_set_filter(t, "running"), GP_OK);
    assert_int_equal(vmtable_set_sort(t, VMCOL_NAME, false), GP_OK);
    /* A second page: one new VM, one update of vm-2 (now running), one stopped. */
    struct vm page[3];
    make_vm(&page[0], "vm-3", "web-rg", "node-01", "Running", 2, 4096, NULL);
    make_vm(&page[1], "vm-2", "web-rg", "node-04", "Running", 4, 8192, GPUP);
    make_vm(&page[2], "a-0", "web-rg", "node-04", "Stopped", 4, 8192, NULL);
    gp_error_clear(&err);
    assert_int_equal(vmtable_add(t, page, 3, &err), GP_OK);
    for (int i = 0; i < 3; i++)
        vm_cleanup(&page[i]);
    assert_int_equal(vmtable_count(t), 7);
    assert_string_equal(names(t), "train-04 vm-1 vm-2 vm-3 vm-10");
    size_t i;
    assert_true(vmtable_find(t, vmtable_vm(t, 2)->id, &i));
    assert_int_equal(i, 2);
    assert_string_equal(vmtable_cell(t, 2, VMCOL_LOCATION), "node-04");
    assert_string_equal(vmtable_cell(t, 2, VMCOL_GPU), "GPU-P 3648 MB");
    /* The replaced row's old text no longer matches anything. */
    assert_int_equal(vmtable_set_filter(t, "stopped"), GP_OK);
    assert_string_equal(names(t), "a-0");
    assert_int_equal(vmtable_set_filter(t, "node-04"), GP_OK);
    assert_string_equal(names(t), "a-0 vm-2");
    vmtable_clear(t);
    assert_int_equal(vmtable_count(t), 0);
    assert_int_equal(vmtable_visible(t), 0);
    assert_null(vmtable_get(t, page[0].id));
    vmtable_free(t);
    vmtable_free(NULL);
}

/* A refresh keeps every row on show while the new list arrives, updates rows in place, and at
 * its end drops the VMs it did not bring; filter and sort stay. A refresh that never ends
 * (failed, canceled) drops nothing. */
static void test_refresh(void **state)
{
    (void)state;
    struct vmtable *t = five(true);
    struct gp_error err;
    gp_error_clear(&err);
    assert_int_equal(vmtable_set_filter(t, "web-rg"), GP_OK);
    assert_int_equal(vmtable_set_sort(t, VMCOL_NAME, true), GP_OK);
    assert_string_equal(names(t), "vm-2 vm-1");

    vmtable_refresh_begin(t);
    assert_int_equal(vmtable_refresh_seen(t), 0);
    /* Page 1: vm-1 moved host; vm-2 and db-1 are gone; a new web VM. */
    struct vm page[3];
    make_vm(&page[0], "vm-1", "web-rg", "node-09", "Stopped", 2, 4096, NULL);
    make_vm(&page[1], "vm-5", "web-rg", "node-02", "Running", 2, 4096, NULL);
    make_vm(&page[2], "vm-10", "ml-rg", "node-02", "Running", 8, 32768, GPUP);
    assert_int_equal(vmtable_add(t, page, 2, &err), GP_OK);
    assert_int_equal(vmtable_refresh_seen(t), 2);
    assert_int_equal(vmtable_count(t), 6); /* nothing dropped while it runs */
    assert_string_equal(names(t), "vm-5 vm-2 vm-1");
    size_t i;
    assert_true(vmtable_find(t, vmtable_vm(t, 2)->id, &i));
    assert_string_equal(vmtable_cell(t, 2, VMCOL_LOCATION), "node-09");
    /* Page 2: train-04 and vm-10 (vm-10 twice counts once). */
    struct vm page2[2];
    make_vm(&page2[0], "train-04", "ML-RG", "node-01", "Running", 16, 65536, DDA);
    page2[1] = page[2];
    vm_init(&page[2]);
    assert_int_equal(vmtable_add(t, page2, 2, &err), GP_OK);
    assert_int_equal(vmtable_refresh_seen(t), 4);
    struct vm again;
    make_vm(&again, "vm-10", "ml-rg", "node-02", "Running", 8, 32768, GPUP);
    assert_int_equal(vmtable_add(t, &again, 1, &err), GP_OK);
    assert_int_equal(vmtable_refresh_seen(t), 4);

    size_t dropped = 99;
    assert_int_equal(vmtable_refresh_end(t, &dropped, &err), GP_OK);
    assert_int_equal(dropped, 2); /* vm-2, db-1 */
    assert_int_equal(vmtable_count(t), 4);
    assert_string_equal(names(t), "vm-5 vm-1");
    assert_int_equal(vmtable_sort_column(t), VMCOL_NAME);
    assert_true(vmtable_sort_desc(t));
    assert_string_equal(vmtable_filter(t), "web-rg");
    /* Lookups by id follow the rows that moved; the dropped are gone. Columns are as wide as
     * what stays: db-1's "Deallocated" left with it. */
    const struct vm *kept = vmtable_vm(t, 1);
    assert_string_equal(kept->name, "vm-1");
    assert_ptr_equal(vmtable_get(t, kept->id), kept);
    assert_true(vmtable_find(t, kept->id, &i));
    assert_int_equal(i, 1);
    assert_null(vmtable_get(t, "/subscriptions/" SUB "/resourceGroups/data-rg/providers/"
                               "Microsoft.HybridCompute/machines/db-1/providers/"
                               "Microsoft.AzureStackHCI/virtualMachineInstances/default"));
    assert_int_equal(vmtable_col_width(t, VMCOL_POWER), strlen("Running"));
    /* The old text of the replaced and dropped rows is gone from the search. */
    assert_int_equal(vmtable_set_filter(t, "node-03"), GP_OK);
    assert_string_equal(names(t), "");
    assert_int_equal(vmtable_set_filter(t, "stopped"), GP_OK);
    assert_string_equal(names(t), "vm-1");
    assert_int_equal(vmtable_set_filter(t, ""), GP_OK);
    assert_string_equal(names(t), "vm-10 vm-5 vm-1 train-04");
    /* The compacted table takes new rows and finds them, sorted in among the others. */
    struct vm late;
    make_vm(&late, "vm-7", "web-rg", "node-04", "Running", 2, 4096, NULL);
    char *late_id = text_dup(late.id);
    assert_int_equal(vmtable_add(t, &late, 1, &err), GP_OK);
    assert_string_equal(names(t), "vm-10 vm-7 vm-5 vm-1 train-04");
    assert_string_equal(vmtable_get(t, late_id)->name, "vm-7");
    assert_int_equal(vmtable_set_filter(t, "node-04"), GP_OK);
    assert_string_equal(names(t), "vm-7");
    assert_int_equal(vmtable_set_filter(t, ""), GP_OK);
    free(late_id);
    vm_cleanup(&late);

    /* A refresh that brings nothing and never ends keeps every row. */
    vmtable_refresh_begin(t);
    assert_int_equal(vmtable_count(t), 5);
    /* The next one that ends having brought nothing empties the table. */
    vmtable_refresh_begin(t);
    assert_int_equal(vmtable_refresh_end(t, &dropped, &err), GP_OK);
    assert_int_equal(dropped, 5);
    assert_int_equal(vmtable_count(t), 0);
    for (int k = 0; k < 3; k++)
        vm_cleanup(&page[k]);
    for (int k = 0; k < 2; k++)
        vm_cleanup(&page2[k]);
    vm_cleanup(&again);
    vmtable_free(t);
}

/* Grouping by resource group: groups ascending (names compared as ARM does, without case),
 * the sort column inside each, in either direction; the group starts and count follow the
 * filter and new rows. */
static void test_grouped(void **state)
{
    (void)state;
    struct vmtable *t = five(true);
    vmtable_set_grouped(t, true);
    assert_true(vmtable_grouped(t));
    assert_string_equal(names(t), "db-1 train-04 vm-10 vm-1 vm-2");
    assert_int_equal(vmtable_group_count(t), 3);
    bool starts[5];
    for (size_t i = 0; i < 5; i++)
        starts[i] = vmtable_group_starts(t, i);
    assert_true(starts[0] && starts[1] && !starts[2] && starts[3] && !starts[4]);
    assert_false(vmtable_group_starts(t, 5));
    assert_int_equal(vmtable_set_sort(t, VMCOL_NAME, true), GP_OK);
    assert_string_equal(names(t), "db-1 vm-10 train-04 vm-2 vm-1");
    assert_int_equal(vmtable_set_filter(t, "vm-"), GP_OK);
    assert_string_equal(names(t), "vm-10 vm-2 vm-1");
    assert_int_equal(vmtable_group_count(t), 2);
    assert_int_equal(vmtable_set_filter(t, ""), GP_OK);
    struct vm vm;
    make_vm(&vm, "zz-9", "a-rg", "node-05", "Running", 2, 4096, NULL);
    struct gp_error err;
    gp_error_clear(&err);
    assert_int_equal(vmtable_add(t, &vm, 1, &err), GP_OK);
    vm_cleanup(&vm);
    assert_string_equal(names(t), "zz-9 db-1 vm-10 train-04 vm-2 vm-1");
    assert_int_equal(vmtable_group_count(t), 4);
    vmtable_set_grouped(t, false);
    assert_string_equal(names(t), "zz-9 vm-10 vm-2 vm-1 train-04 db-1");
    assert_int_equal(vmtable_group_count(t), 0);
    assert_false(vmtable_group_starts(t, 0));
    vmtable_free(t);
}

static void test_sanitized(void **state)
{
    (void)state;
    struct vmtable *t = vmtable_new(true);
    struct vm vm;
    vm_init(&vm);
    vm.id = text_dup("/x/evil");
    vm.name = text_dup("evil\x1b]2;pwned\a");
    vm.processors = -1;
    vm.memory_mb = -1;
    struct gp_error err;
    gp_error_clear(&err);
    assert_int_equal(vmtable_add(t, &vm, 1, &err), GP_OK);
    assert_string_equal(vmtable_cell(t, 0, VMCOL_NAME), "evil?]2;pwned?");
    assert_string_equal(vmtable_cell(t, 0, VMCOL_SIZE), "\xe2\x80\x94");
    assert_string_equal(vmtable_cell(t, 0, VMCOL_POWER), "\xe2\x80\x94");
    assert_non_null(vmtable_get(t, "/X/EVIL"));
    vmtable_free(t);
}

/* Many rows built directly (parsing 50,000 documents would only slow the test). */
static void test_large(void **state)
{
    (void)state;
    enum { N = 50000, PAGE = 1000 };
    struct vmtable *t = vmtable_new(true);
    struct vm *page = calloc(PAGE, sizeof(*page));
    assert_non_null(page);
    for (int p = 0; p < N / PAGE; p++) {
        for (int i = 0; i < PAGE; i++) {
            int k = p * PAGE + i;
            char buf[64];
            vm_init(&page[i]);
            snprintf(buf, sizeof(buf), "/vm/%d", k);
            page[i].id = text_dup(buf);
            snprintf(buf, sizeof(buf), "vm-%05d", (k * 7919) % N);
            page[i].name = text_dup(buf);
            page[i].resource_group = text_dup(k % 10 == 0 ? "gpu-rg" : "rg");
            page[i].power_text = text_dup(k % 3 ? "Running" : "Stopped");
            page[i].processors = k % 16;
            page[i].memory_mb = 1024;
        }
        struct gp_error err;
        gp_error_clear(&err);
        assert_int_equal(vmtable_add(t, page, PAGE, &err), GP_OK);
        if (p == 10)
            assert_int_equal(vmtable_set_filter(t, "gpu"), GP_OK);
    }
    assert_int_equal(vmtable_count(t), N);
    assert_int_equal(vmtable_visible(t), N / 10);
    /* Sorted by name throughout. */
    for (size_t i = 1; i < vmtable_visible(t); i++)
        assert_true(strcmp(vmtable_cell(t, i - 1, VMCOL_NAME), vmtable_cell(t, i, VMCOL_NAME)) <
                    0);
    assert_int_equal(vmtable_set_filter(t, "gpu-rg"), GP_OK);
    assert_int_equal(vmtable_visible(t), N / 10);
    assert_int_equal(vmtable_set_filter(t, "stopped"), GP_OK);
    assert_int_equal(vmtable_visible(t), (N + 2) / 3);
    assert_int_equal(vmtable_set_filter(t, "vm-0000"), GP_OK);
    assert_int_equal(vmtable_visible(t), 10);
    assert_string_equal(vmtable_cell(t, 9, VMCOL_NAME), "vm-00009");
    assert_int_equal(vmtable_set_filter(t, "vm-00009"), GP_OK);
    assert_int_equal(vmtable_visible(t), 1);
    free(page);
    vmtable_free(t);
}

/* Natural order written again, plainly, to check the table's keyed sort against. */
static int ref_natural(const char *a, const char *b)
{
    for (;;) {
        if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
            while (*a == '0')
                a++;
            while (*b == '0')
                b++;
            size_t la = strspn(a, "0123456789"), lb = strspn(b, "0123456789");
            if (la != lb)
                return la < lb ? -1 : 1;
            int c = strncmp(a, b, la);
            if (c)
                return c < 0 ? -1 : 1;
            a += la;
            b += lb;
            continue;
        }
        int ca = (unsigned char)*a, cb = (unsigned char)*b;
        if (ca >= 'A' && ca <= 'Z')
            ca += 'a' - 'A';
        if (cb >= 'A' && cb <= 'Z')
            cb += 'a' - 'A';
        if (ca != cb)
            return ca < cb ? -1 : 1;
        if (!ca)
            return 0;
        a++;
        b++;
    }
}

static void test_sort_random_names(void **state)
{
    (void)state;
    enum { N = 3000 };
    static const char alphabet[] = "aB-0019z.";
    struct vmtable *t = vmtable_new(false);
    struct vm *vms = calloc(N, sizeof(*vms));
    assert_non_null(vms);
    unsigned seed = 12345;
    for (int i = 0; i < N; i++) {
        char name[24], id[32];
        size_t len = 1 + (seed = seed * 1103515245u + 12345u) % 14;
        for (size_t j = 0; j < len; j++) {
            seed = seed * 1103515245u + 12345u;
            name[j] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
        }
        name[len] = '\0';
        snprintf(id, sizeof(id), "/vm/%d", i);
        vm_init(&vms[i]);
        vms[i].id = text_dup(id);
        vms[i].name = text_dup(name);
        vms[i].processors = (long)(seed % 5);
        vms[i].memory_mb = (long)((seed >> 8) % 3) * 1000;
    }
    struct gp_error err;
    gp_error_clear(&err);
    /* Half, then the rest as a second page (merged into the sorted rows). */
    assert_int_equal(vmtable_add(t, vms, N / 2, &err), GP_OK);
    assert_int_equal(vmtable_add(t, vms + N / 2, N - N / 2, &err), GP_OK);
    for (int desc = 0; desc < 2; desc++) {
        assert_int_equal(vmtable_set_sort(t, VMCOL_NAME, desc), GP_OK);
        for (size_t i = 1; i < N; i++) {
            int c = ref_natural(vmtable_cell(t, i - 1, VMCOL_NAME),
                                vmtable_cell(t, i, VMCOL_NAME));
            if (desc ? c < 0 : c > 0)
                fail_msg("%s before %s", vmtable_cell(t, i - 1, VMCOL_NAME),
                         vmtable_cell(t, i, VMCOL_NAME));
        }
        assert_int_equal(vmtable_set_sort(t, VMCOL_SIZE, desc), GP_OK);
        for (size_t i = 1; i < N; i++) {
            const struct vm *a = vmtable_vm(t, i - 1), *b = vmtable_vm(t, i);
            long ka = a->processors * 100000 + a->memory_mb;
            long kb = b->processors * 100000 + b->memory_mb;
            assert_true(desc ? ka >= kb : ka <= kb);
        }
    }
    for (int i = 0; i < N; i++)
        vm_cleanup(&vms[i]);
    free(vms);
    vmtable_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cells),   cmocka_unit_test(test_filter),
        cmocka_unit_test(test_sort),    cmocka_unit_test(test_append_and_replace),
        cmocka_unit_test(test_sanitized), cmocka_unit_test(test_large),
        cmocka_unit_test(test_sort_random_names), cmocka_unit_test(test_refresh),
        cmocka_unit_test(test_grouped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
