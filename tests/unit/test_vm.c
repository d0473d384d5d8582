/* SPDX-License-Identifier: MIT
 * tests/unit/test_vm.c: the VM instance JSON mapping against the examples of
 * azure-local-api.md section 2, round trips, list pages and hostile documents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/json.h"
#include "model/vm.h"

#define SUB "00000000-0000-0000-0000-000000000000"
#define MACHINE "/subscriptions/" SUB "/resourceGroups/ml-rg/providers/Microsoft.HybridCompute/machines/train-04"
#define VMI MACHINE "/providers/Microsoft.AzureStackHCI/virtualMachineInstances/default"
#define CL "/subscriptions/" SUB "/resourceGroups/ml-rg/providers/Microsoft.ExtendedLocation/customLocations/cl-seattle"

/* The example of azure-local-api.md section 2, verbatim apart from the ids. */
static const char doc_example[] =
    "{\"id\": \"" VMI "\", \"name\": \"default\","
    " \"type\": \"Microsoft.AzureStackHCI/virtualMachineInstances\","
    " \"extendedLocation\": {\"type\": \"CustomLocation\", \"name\": \"" CL "\"},"
    " \"properties\": {"
    "  \"hardwareProfile\": {\"vmSize\": \"Custom\", \"processors\": 8, \"memoryMB\": 32768,"
    "   \"virtualMachineGPUs\": [{\"assignmentType\": \"GpuP\", \"partitionSizeMB\": 3648, \"gpuName\": null}]},"
    "  \"osProfile\": {\"computerName\": \"train-04\", \"adminUsername\": \"azureuser\"},"
    "  \"storageProfile\": {\"imageReference\": {\"id\": \"/subscriptions/x/galleryImages/ubuntu-2204\"}},"
    "  \"hostNodeName\": \"node-02\", \"provisioningState\": \"Succeeded\","
    "  \"status\": {\"powerState\": \"Running\", \"errorCode\": \"\", \"errorMessage\": \"\","
    "   \"provisioningStatus\": {\"operationId\": \"op-1\", \"status\": \"Succeeded\"}}}}";

static void parse_ok(struct vm *vm, const char *json)
{
    struct gp_error err;
    gp_error_clear(&err);
    vm_init(vm);
    enum gp_status st = vm_from_json(vm, json, strlen(json), &err);
    if (st != GP_OK)
        fail_msg("vm_from_json: %s", err.message);
}

static enum gp_status parse_err(const char *json, struct gp_error *err)
{
    struct vm vm;
    vm_init(&vm);
    gp_error_clear(err);
    enum gp_status st = vm_from_json(&vm, json, strlen(json), err);
    /* A failed parse leaves the VM empty. */
    assert_null(vm.id);
    assert_int_equal(vm.n_gpus, 0);
    vm_cleanup(&vm);
    return st;
}

static void test_doc_example(void **state)
{
    (void)state;
    struct vm vm;
    parse_ok(&vm, doc_example);
    assert_string_equal(vm.id, VMI);
    assert_string_equal(vm.name, "train-04");
    assert_string_equal(vm.subscription, SUB);
    assert_string_equal(vm.resource_group, "ml-rg");
    assert_string_equal(vm.custom_location, CL);
    assert_string_equal(vm.vm_size, "Custom");
    assert_int_equal(vm.processors, 8);
    assert_int_equal(vm.memory_mb, 32768);
    assert_int_equal(vm.n_gpus, 1);
    assert_true(vm.gpus_present);
    assert_int_equal(vm.gpus[0].type, GPU_ASSIGN_P);
    assert_int_equal(vm.gpus[0].partition_size_mb, 3648);
    assert_null(vm.gpus[0].gpu_name);
    assert_string_equal(vm.computer_name, "train-04");
    assert_string_equal(vm.admin_username, "azureuser");
    assert_string_equal(vm.host_node, "node-02");
    assert_int_equal(vm.provisioning, PROV_SUCCEEDED);
    assert_int_equal(vm.power, POWER_RUNNING);
    assert_null(vm.error_code); /* "" means no error */
    assert_string_equal(vm.operation_id, "op-1");
    char buf[64];
    assert_string_equal(vm_gpu_summary(&vm, true, buf, sizeof buf), "GPU-P 3648 MB");
    vm_cleanup(&vm);
}

/* Microsoft's CLI prints partitionSizeMb; some services send the number as text. */
static void test_partition_size_spellings(void **state)
{
    (void)state;
    static const char *const docs[] = {
        "{\"properties\":{\"hardwareProfile\":{\"virtualMachineGPUs\":[{\"assignmentType\":\"GpuP\",\"partitionSizeMb\":3648}]}}}",
        "{\"properties\":{\"hardwareProfile\":{\"virtualMachineGPUs\":[{\"assignmentType\":\"GpuP\",\"PARTITIONSIZEMB\":\"3648\"}]}}}",
    };
    for (size_t i = 0; i < 2; i++) {
        struct vm vm;
        parse_ok(&vm, docs[i]);
        assert_int_equal(vm.gpus[0].partition_size_mb, 3648);
        char *out = NULL;
        assert_int_equal(vm_to_json(&vm, &out), GP_OK);
        assert_non_null(strstr(out, "\"partitionSizeMB\":3648"));
        free(out);
        vm_cleanup(&vm);
    }
}

/* Text beyond what a JSON number carries exactly would not survive being written back. */
static void test_partition_size_text_range(void **state)
{
    (void)state;
    struct gp_error err;
    assert_int_equal(parse_err("{\"properties\":{\"hardwareProfile\":{\"virtualMachineGPUs\":"
                               "[{\"assignmentType\":\"GpuP\",\"partitionSizeMb\":\"66666666666666666\"}]}}}",
                               &err),
                     GP_E_INVALID);
    assert_string_equal(err.message,
                        "properties.hardwareProfile.virtualMachineGPUs[0].partitionSizeMb: expected a number");
}

static void test_unknown_values_kept(void **state)
{
    (void)state;
    struct vm vm;
    parse_ok(&vm, "{\"id\":\"" VMI "\",\"futureField\":{\"x\":[1,2]},\"properties\":{"
                  "\"hardwareProfile\":{\"virtualMachineGPUs\":[{\"assignmentType\":\"GpuVF\"}]},"
                  "\"status\":{\"powerState\":\"Hibernated\"}}}");
    assert_int_equal(vm.power, POWER_UNKNOWN);
    assert_string_equal(vm.power_text, "Hibernated");
    assert_int_equal(vm.gpus[0].type, GPU_ASSIGN_OTHER);
    char buf[32];
    assert_string_equal(vm_gpu_summary(&vm, false, buf, sizeof buf), "GpuVF");
    char *out = NULL;
    assert_int_equal(vm_to_json(&vm, &out), GP_OK);
    assert_non_null(strstr(out, "\"powerState\":\"Hibernated\""));
    assert_non_null(strstr(out, "\"assignmentType\":\"GpuVF\""));
    assert_null(strstr(out, "futureField")); /* ignored on read, not invented on write */
    assert_null(strstr(out, "processors"));  /* absent stays absent */
    free(out);
    vm_cleanup(&vm);
}

static void test_round_trip(void **state)
{
    (void)state;
    struct vm a, b;
    parse_ok(&a, doc_example);
    char *json = NULL;
    assert_int_equal(vm_to_json(&a, &json), GP_OK);
    parse_ok(&b, json);
    char *again = NULL;
    assert_int_equal(vm_to_json(&b, &again), GP_OK);
    assert_string_equal(json, again);
    assert_string_equal(b.name, "train-04");
    assert_int_equal(b.gpus[0].partition_size_mb, 3648);
    struct vm c;
    vm_init(&c);
    assert_int_equal(vm_copy(&c, &b), GP_OK);
    char *copied = NULL;
    assert_int_equal(vm_to_json(&c, &copied), GP_OK);
    assert_string_equal(copied, json);
    free(json);
    free(again);
    free(copied);
    vm_cleanup(&a);
    vm_cleanup(&b);
    vm_cleanup(&c);
}

static void test_gpu_summaries(void **state)
{
    (void)state;
    struct vm vm;
    char buf[64];
    parse_ok(&vm, "{\"properties\":{\"hardwareProfile\":{\"virtualMachineGPUs\":[]}}}");
    assert_true(vm.gpus_present);
    assert_string_equal(vm_gpu_summary(&vm, true, buf, sizeof buf), "\u2014");
    assert_string_equal(vm_gpu_summary(&vm, false, buf, sizeof buf), "-");
    vm_cleanup(&vm);
    parse_ok(&vm, "{\"properties\":{\"hardwareProfile\":{\"virtualMachineGPUs\":["
                  "{\"assignmentType\":\"GpuDDA\",\"gpuName\":\"NVIDIA A2\"},"
                  "{\"assignmentType\":\"GpuDDA\",\"gpuName\":\"NVIDIA A2\"}]}}}");
    assert_string_equal(vm_gpu_summary(&vm, true, buf, sizeof buf), "2\u00d7 DDA NVIDIA A2");
    assert_string_equal(vm_gpu_summary(&vm, false, buf, sizeof buf), "2x DDA NVIDIA A2");
    vm_cleanup(&vm);
    parse_ok(&vm, "{\"properties\":{\"hardwareProfile\":{\"virtualMachineGPUs\":["
                  "{\"assignmentType\":\"GpuP\"}]}}}");
    assert_string_equal(vm_gpu_summary(&vm, true, buf, sizeof buf), "GPU-P");
    vm_cleanup(&vm);
}

static void test_wrong_types_name_the_path(void **state)
{
    (void)state;
    struct gp_error err;
    assert_int_equal(parse_err("{\"properties\":{\"hardwareProfile\":{\"processors\":\"eight\"}}}", &err),
                     GP_E_INVALID);
    assert_string_equal(err.message, "properties.hardwareProfile.processors: expected a number");
    assert_int_equal(parse_err("{\"properties\":{\"hardwareProfile\":{\"virtualMachineGPUs\":{}}}}", &err),
                     GP_E_INVALID);
    assert_string_equal(err.message,
                        "properties.hardwareProfile.virtualMachineGPUs: expected an array");
    assert_int_equal(parse_err("{\"properties\":{\"hardwareProfile\":{\"virtualMachineGPUs\":[{\"assignmentType\":7}]}}}",
                               &err),
                     GP_E_INVALID);
    assert_string_equal(err.message,
                        "properties.hardwareProfile.virtualMachineGPUs[0].assignmentType: expected a string");
    assert_int_equal(parse_err("{\"id\":\"" VMI "\",\"properties\":[]}", &err), GP_E_INVALID);
    assert_string_equal(err.message, "properties: expected an object");
    assert_int_equal(parse_err("{\"properties\":{\"hardwareProfile\":{\"memoryMB\":-5}}}", &err),
                     GP_E_INVALID);
    assert_int_equal(parse_err("{\"properties\":{\"hardwareProfile\":{\"memoryMB\":1e300}}}", &err),
                     GP_E_INVALID);
    assert_int_equal(parse_err("[1,2]", &err), GP_E_INVALID);
}

static void test_hostile_documents(void **state)
{
    (void)state;
    struct gp_error err;
    assert_int_equal(parse_err("{\"id\": ", &err), GP_E_PARSE);
    assert_non_null(strstr(err.message, "malformed JSON at byte"));
    assert_int_equal(parse_err("{} trailing", &err), GP_E_PARSE);
    assert_int_equal(parse_err("", &err), GP_E_PARSE);

    /* 100,000 levels of nesting: refused before cJSON recurses. */
    size_t depth = 100000;
    char *deep = malloc(depth * 2 + 1);
    assert_non_null(deep);
    memset(deep, '[', depth);
    memset(deep + depth, ']', depth);
    deep[depth * 2] = '\0';
    assert_int_equal(parse_err(deep, &err), GP_E_PARSE);
    assert_non_null(strstr(err.message, "nested deeper than 64"));
    free(deep);

    /* Brackets inside strings do not count as nesting. */
    struct vm vm;
    parse_ok(&vm, "{\"properties\":{\"hostNodeName\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"[[\"}}");
    vm_cleanup(&vm);

    /* Over the 8 MiB cap. */
    struct vm big;
    vm_init(&big);
    assert_int_equal(vm_from_json(&big, doc_example, VM_JSON_MAX_BYTES + 1, &err), GP_E_TOO_LARGE);

    /* More GPUs than any VM can hold. */
    char many[4096];
    size_t at = (size_t)snprintf(many, sizeof many,
                                 "{\"properties\":{\"hardwareProfile\":{\"virtualMachineGPUs\":[");
    for (int i = 0; i < 20; i++)
        at += (size_t)snprintf(many + at, sizeof many - at, "%s{\"assignmentType\":\"GpuDDA\"}",
                               i ? "," : "");
    (void)snprintf(many + at, sizeof many - at, "]}}}");
    assert_int_equal(parse_err(many, &err), GP_E_INVALID);
    assert_non_null(strstr(err.message, "at most 16"));

    /* Not NUL-terminated: the length is honoured. */
    const char buf[] = {'{', '}', 'x'};
    vm_init(&vm);
    assert_int_equal(vm_from_json(&vm, buf, 2, &err), GP_OK);
    vm_cleanup(&vm);
}

static void test_id_parse(void **state)
{
    (void)state;
    struct gp_error err;
    char *sub = NULL, *rg = NULL, *name = NULL;
    assert_int_equal(vm_id_parse(VMI, &sub, &rg, &name, &err), GP_OK);
    assert_string_equal(sub, SUB);
    assert_string_equal(rg, "ml-rg");
    assert_string_equal(name, "train-04");
    free(sub);
    free(rg);
    free(name);
    /* Segment names are case-insensitive, as ARM treats them. */
    assert_int_equal(vm_id_parse("/SUBSCRIPTIONS/s/resourcegroups/r/PROVIDERS/microsoft.hybridcompute/Machines/m",
                                 NULL, NULL, &name, &err),
                     GP_OK);
    assert_string_equal(name, "m");
    free(name);
    static const char *const bad[] = {
        "", "/subscriptions/s", "/subscriptions//resourceGroups/r/providers/Microsoft.HybridCompute/machines/m",
        "/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/virtualMachines/m",
        "/subscriptions/s/resourceGroups/r/providers/Microsoft.HybridCompute/machines/",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        name = NULL;
        assert_int_equal(vm_id_parse(bad[i], NULL, NULL, &name, &err), GP_E_INVALID);
        assert_null(name);
        assert_non_null(strstr(err.message, "not an Arc machine resource id"));
    }
}

static void test_list_page(void **state)
{
    (void)state;
    char page[8192];
    int n = snprintf(page, sizeof page,
                     "{\"value\":[%s,{\"properties\":\"broken\"},%s],\"nextLink\":\"https://h/next?$skipToken=2\"}",
                     doc_example, doc_example);
    assert_true(n > 0 && (size_t)n < sizeof page);
    struct vm *vms = NULL;
    size_t count = 0, skipped = 0;
    char *next = NULL;
    struct gp_error err;
    assert_int_equal(vm_list_from_json(page, strlen(page), &vms, &count, &next, &skipped, &err),
                     GP_OK);
    assert_int_equal(count, 2);
    assert_int_equal(skipped, 1);
    assert_string_equal(next, "https://h/next?$skipToken=2");
    free(next);
    /* The last page: nextLink null; rows are appended. */
    const char last[] = "{\"value\":[],\"nextLink\":null}";
    assert_int_equal(vm_list_from_json(last, strlen(last), &vms, &count, &next, NULL, &err), GP_OK);
    assert_null(next);
    assert_int_equal(count, 2);
    assert_int_equal(vm_list_from_json("{\"value\":{}}", 12, &vms, &count, &next, NULL, &err),
                     GP_E_INVALID);
    vm_array_free(vms, count);
}

static void test_enum_tables(void **state)
{
    (void)state;
    for (int i = 0; i < POWER_STATE_COUNT; i++)
        assert_int_equal(power_state_parse(power_state_name((enum power_state)i)), i);
    for (int i = 0; i < PROVISIONING_STATE_COUNT; i++)
        assert_int_equal(provisioning_state_parse(provisioning_state_name((enum provisioning_state)i)), i);
    assert_int_equal(gpu_assignment_parse("GpuDDA"), GPU_ASSIGN_DDA);
    assert_int_equal(gpu_assignment_parse("gpup"), GPU_ASSIGN_OTHER); /* exact, as ARM sends */
    assert_int_equal(gpu_assignment_parse(""), GPU_ASSIGN_OTHER);
    assert_true(provisioning_state_is_terminal(PROV_FAILED));
    assert_false(provisioning_state_is_terminal(PROV_ACCEPTED));
    assert_string_equal(power_state_name((enum power_state)99), "Unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doc_example),       cmocka_unit_test(test_partition_size_spellings),
        cmocka_unit_test(test_partition_size_text_range),
        cmocka_unit_test(test_unknown_values_kept), cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_gpu_summaries),     cmocka_unit_test(test_wrong_types_name_the_path),
        cmocka_unit_test(test_hostile_documents), cmocka_unit_test(test_id_parse),
        cmocka_unit_test(test_list_page),         cmocka_unit_test(test_enum_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
