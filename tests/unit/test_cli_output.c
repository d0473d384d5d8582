/* SPDX-License-Identifier: MIT
 * tests/unit/test_cli_output.c: what `gpup vm list/show` print: tables aligned within 80
 * columns with the GPU column, server text sanitized; JSON as az prints it (valid, stable,
 * with resourceGroup); tsv one VM per line. VMs come from the JSON example of
 * azure-local-api.md section 2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/output.h"
#include "model/vm.h"

#define SUB "00000000-0000-0000-0000-000000000000"
#define RG_PATH(rg) "/subscriptions/" SUB "/resourceGroups/" rg
#define VMI(rg, name)                                                                          \
    RG_PATH(rg) "/providers/Microsoft.HybridCompute/machines/" name                            \
                "/providers/Microsoft.AzureStackHCI/virtualMachineInstances/default"
#define CL RG_PATH("ml-rg") "/providers/Microsoft.ExtendedLocation/customLocations/cl-seattle"

/* The document's example, with the VM id, GPUs, power state and host as parameters. */
#define VM_JSON(id, gpus, power, host)                                                         \
    "{\"id\": \"" id "\", \"name\": \"default\","                                              \
    " \"type\": \"Microsoft.AzureStackHCI/virtualMachineInstances\","                          \
    " \"extendedLocation\": {\"type\": \"CustomLocation\", \"name\": \"" CL "\"},"             \
    " \"properties\": {"                                                                       \
    "  \"hardwareProfile\": {\"vmSize\": \"Custom\", \"processors\": 8, \"memoryMB\": 32768,"  \
    "   \"virtualMachineGPUs\": " gpus "},"                                                    \
    "  \"osProfile\": {\"computerName\": \"train-04\", \"adminUsername\": \"azureuser\"},"     \
    "  \"storageProfile\": {\"imageReference\": {\"id\": \"/subscriptions/x/galleryImages/u\"}}," \
    "  \"hostNodeName\": \"" host "\", \"provisioningState\": \"Succeeded\","                  \
    "  \"status\": {\"powerState\": \"" power "\", \"errorCode\": \"\", \"errorMessage\": \"\"," \
    "   \"provisioningStatus\": {\"operationId\": \"op-1\", \"status\": \"Succeeded\"}}}}"

static const char *const vm_docs[] = {
    VM_JSON(VMI("ml-rg", "train-04"),
            "[{\"assignmentType\": \"GpuP\", \"partitionSizeMB\": 3648, \"gpuName\": null}]",
            "Running", "node-02"),
    VM_JSON(VMI("ml-rg", "web-01"), "[]", "Stopped", "node-01"),
    VM_JSON(VMI("render-rg", "render-7"),
            "[{\"assignmentType\": \"GpuDDA\", \"gpuName\": \"NVIDIA A2\"}]", "Running",
            "node-03"),
    /* A hostile, very long name and host: must be cut and sanitized, never break the table. */
    VM_JSON(VMI("ml-rg", "a-very-long-virtual-machine-name-that-goes-on-and-on-0123456789"),
            "[]", "Deallocated", "node-\\u001b]0;owned\\u0007-with-a-long-name"),
};
#define N_VMS (sizeof(vm_docs) / sizeof(vm_docs[0]))

struct fixture {
    struct vm vms[N_VMS];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    for (size_t i = 0; i < N_VMS; i++) {
        struct gp_error err;
        gp_error_clear(&err);
        vm_init(&f->vms[i]);
        if (vm_from_json(&f->vms[i], vm_docs[i], strlen(vm_docs[i]), &err) != GP_OK)
            fail_msg("vm %zu: %s", i, err.message);
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    for (size_t i = 0; i < N_VMS; i++)
        vm_cleanup(&f->vms[i]);
    free(f);
    return 0;
}

/* Renders vms in a format into a string (caller frees). */
static char *render(const struct vm *vms, size_t n, enum cli_format fmt, bool utf8, bool one)
{
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    assert_non_null(m);
    enum gp_status st = one ? cli_output_vm(m, fmt, utf8, vms)
                            : cli_output_vms(m, fmt, utf8, vms, n);
    assert_int_equal(st, GP_OK);
    assert_int_equal(fclose(m), 0);
    return text;
}

/* Display column where `needle` starts in line (first occurrence), or -1. */
static long column_of(const char *line, size_t line_len, const char *needle)
{
    const char *hit = NULL;
    for (const char *p = line; p + strlen(needle) <= line + line_len; p++)
        if (memcmp(p, needle, strlen(needle)) == 0) {
            hit = p;
            break;
        }
    if (!hit)
        return -1;
    char prefix[512];
    size_t n = (size_t)(hit - line);
    assert_true(n < sizeof(prefix));
    memcpy(prefix, line, n);
    prefix[n] = '\0';
    return (long)cli_output_text_width(prefix);
}

/* True when needle starts exactly at display column col of line. */
static bool starts_at_column(const char *line, long col, const char *needle)
{
    const char *p = line;
    for (long c = 0; *p && c < col; c++) {
        p++;
        while (((unsigned char)*p & 0xC0) == 0x80)
            p++;
    }
    return strncmp(p, needle, strlen(needle)) == 0;
}

static void test_table(void **state)
{
    struct fixture *f = *state;
    for (int utf8 = 0; utf8 < 2; utf8++) {
        char *text = render(f->vms, N_VMS, CLI_FORMAT_TABLE, utf8, false);
        const char *want_gpu[N_VMS] = {"GPU-P 3648 MB", utf8 ? "\u2014" : "-", "DDA NVIDIA A2",
                                       utf8 ? "\u2014" : "-"};
        /* Header, then one line per VM, each within 80 columns. */
        char *line = text;
        long gpu_col = -1, power_col = -1;
        for (size_t i = 0; i <= N_VMS; i++) {
            size_t n = strcspn(line, "\n");
            assert_int_equal(line[n], '\n');
            char copy[512];
            assert_true(n < sizeof(copy));
            memcpy(copy, line, n);
            copy[n] = '\0';
            if (cli_output_text_width(copy) > CLI_TABLE_WIDTH)
                fail_msg("line %zu is %zu columns: '%s'", i, cli_output_text_width(copy), copy);
            /* No escape or control byte reaches the terminal. */
            for (size_t k = 0; k < n; k++)
                assert_true((unsigned char)copy[k] >= 0x20 && copy[k] != 0x7f);
            if (i == 0) {
                assert_true(strncmp(copy, "NAME", 4) == 0);
                gpu_col = column_of(copy, n, "GPU");
                power_col = column_of(copy, n, "POWER");
                assert_true(gpu_col > 0 && power_col > 0);
            } else {
                /* Aligned: the GPU summary and the power state start under their headers. */
                assert_true(starts_at_column(copy, gpu_col, want_gpu[i - 1]));
                assert_true(starts_at_column(copy, power_col, f->vms[i - 1].power_text));
                assert_true(starts_at_column(copy, gpu_col - 2, "  "));
            }
            line += n + 1;
        }
        assert_string_equal(line, "");
        /* Short names are whole; the long one is cut with an ellipsis. */
        assert_non_null(strstr(text, "\ntrain-04 "));
        assert_non_null(strstr(text, utf8 ? "\na-very-long\u2026" : "\na-very-long~"));
        assert_null(strstr(text, "0123456789"));
        assert_null(strstr(text, "\x1b"));
        free(text);
    }
}

static void test_table_exact(void **state)
{
    struct fixture *f = *state;
    char *text = render(f->vms, 3, CLI_FORMAT_TABLE, true, false);
    assert_string_equal(text,
                        "NAME      RESOURCE GROUP  POWER    CPU  MEMORY  GPU            HOST\n"
                        "train-04  ml-rg           Running    8   32 GB  GPU-P 3648 MB  node-02\n"
                        "web-01    ml-rg           Stopped    8   32 GB  \u2014              node-01\n"
                        "render-7  render-rg       Running    8   32 GB  DDA NVIDIA A2  node-03\n");
    free(text);
    /* An empty list is a header only. */
    text = render(f->vms, 0, CLI_FORMAT_TABLE, true, false);
    assert_string_equal(text, "NAME  RESOURCE GROUP  POWER  CPU  MEMORY  GPU  HOST\n");
    free(text);
}

static void test_json_list(void **state)
{
    struct fixture *f = *state;
    char *text = render(f->vms, N_VMS, CLI_FORMAT_JSON, true, false);
    cJSON *root = cJSON_Parse(text);
    assert_non_null(root);
    assert_true(cJSON_IsArray(root));
    assert_int_equal(cJSON_GetArraySize(root), N_VMS);
    cJSON *first = cJSON_GetArrayItem(root, 0);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(first, "name")->valuestring, "default");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(first, "id")->valuestring,
                        VMI("ml-rg", "train-04"));
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(first, "resourceGroup")->valuestring,
                        "ml-rg");
    cJSON *ext = cJSON_GetObjectItemCaseSensitive(first, "extendedLocation");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(ext, "name")->valuestring, CL);
    cJSON *props = cJSON_GetObjectItemCaseSensitive(first, "properties");
    cJSON *hw = cJSON_GetObjectItemCaseSensitive(props, "hardwareProfile");
    cJSON *gpus = cJSON_GetObjectItemCaseSensitive(hw, "virtualMachineGPUs");
    assert_int_equal(cJSON_GetArraySize(gpus), 1);
    cJSON *g0 = cJSON_GetArrayItem(gpus, 0);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(g0, "assignmentType")->valuestring,
                        "GpuP");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(g0, "partitionSizeMB")->valueint, 3648);
    cJSON *status = cJSON_GetObjectItemCaseSensitive(props, "status");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(status, "powerState")->valuestring,
                        "Running");
    /* The hostile host name is kept as data in JSON (escaped), as the service sent it. */
    cJSON *last = cJSON_GetArrayItem(root, N_VMS - 1);
    cJSON *host = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(last, "properties"), "hostNodeName");
    assert_string_equal(host->valuestring, "node-\x1b]0;owned\a-with-a-long-name");
    assert_null(strchr(text, '\x1b'));
    cJSON_Delete(root);

    /* Stable: the same VMs print the same bytes. */
    char *again = render(f->vms, N_VMS, CLI_FORMAT_JSON, true, false);
    assert_string_equal(text, again);
    free(again);
    free(text);

    text = render(f->vms, 0, CLI_FORMAT_JSON, true, false);
    assert_string_equal(text, "[]\n");
    free(text);
}

static void test_json_show(void **state)
{
    struct fixture *f = *state;
    char *text = render(&f->vms[1], 1, CLI_FORMAT_JSON, true, true);
    /* One object, indented by two as az prints it. */
    assert_string_equal(
        text,
        "{\n"
        "  \"id\": \"" VMI("ml-rg", "web-01") "\",\n"
        "  \"name\": \"default\",\n"
        "  \"type\": \"Microsoft.AzureStackHCI/virtualMachineInstances\",\n"
        "  \"extendedLocation\": {\n"
        "    \"type\": \"CustomLocation\",\n"
        "    \"name\": \"" CL "\"\n"
        "  },\n"
        "  \"properties\": {\n"
        "    \"hardwareProfile\": {\n"
        "      \"vmSize\": \"Custom\",\n"
        "      \"processors\": 8,\n"
        "      \"memoryMB\": 32768,\n"
        "      \"virtualMachineGPUs\": []\n"
        "    },\n"
        "    \"osProfile\": {\n"
        "      \"computerName\": \"train-04\",\n"
        "      \"adminUsername\": \"azureuser\"\n"
        "    },\n"
        "    \"storageProfile\": {\n"
        "      \"imageReference\": {\n"
        "        \"id\": \"/subscriptions/x/galleryImages/u\"\n"
        "      }\n"
        "    },\n"
        "    \"hostNodeName\": \"node-01\",\n"
        "    \"provisioningState\": \"Succeeded\",\n"
        "    \"status\": {\n"
        "      \"powerState\": \"Stopped\",\n"
        "      \"errorCode\": \"\",\n"
        "      \"errorMessage\": \"\",\n"
        "      \"provisioningStatus\": {\n"
        "        \"operationId\": \"op-1\",\n"
        "        \"status\": \"Succeeded\"\n"
        "      }\n"
        "    }\n"
        "  },\n"
        "  \"resourceGroup\": \"ml-rg\"\n"
        "}\n");
    cJSON *root = cJSON_Parse(text);
    assert_non_null(root);
    assert_true(cJSON_IsObject(root));
    cJSON_Delete(root);
    free(text);
}

static void test_json_pretty_strings(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    assert_non_null(m);
    /* Structural characters inside strings, escapes and empty containers are left alone. */
    assert_int_equal(cli_output_json_pretty(m, "{\"a\":\"x,{}[]:\\\"y\",\"b\":[],\"c\":{}}", 0),
                     GP_OK);
    assert_int_equal(fclose(m), 0);
    assert_string_equal(text, "{\n  \"a\": \"x,{}[]:\\\"y\",\n  \"b\": [],\n  \"c\": {}\n}");
    free(text);
}

static void test_tsv(void **state)
{
    struct fixture *f = *state;
    char *text = render(f->vms, 3, CLI_FORMAT_TSV, true, false);
    assert_string_equal(text, "train-04\tml-rg\tRunning\tSucceeded\t8\t32768\tGPU-P 3648 MB\tnode-02\n"
                              "web-01\tml-rg\tStopped\tSucceeded\t8\t32768\t\tnode-01\n"
                              "render-7\trender-rg\tRunning\tSucceeded\t8\t32768\tDDA NVIDIA A2\t"
                              "node-03\n");
    free(text);
    /* Server text cannot add fields or lines. */
    text = render(&f->vms[3], 1, CLI_FORMAT_TSV, true, true);
    size_t tabs = 0, lines = 0;
    for (const char *p = text; *p; p++) {
        tabs += *p == '\t';
        lines += *p == '\n';
    }
    assert_int_equal(tabs, 7);
    assert_int_equal(lines, 1);
    free(text);
}

static void test_resolve_format(void **state)
{
    (void)state;
    assert_int_equal(cli_output_resolve(CLI_FORMAT_DEFAULT, true), CLI_FORMAT_TABLE);
    assert_int_equal(cli_output_resolve(CLI_FORMAT_DEFAULT, false), CLI_FORMAT_JSON);
    assert_int_equal(cli_output_resolve(CLI_FORMAT_TSV, true), CLI_FORMAT_TSV);
    assert_int_equal(cli_output_resolve(CLI_FORMAT_TABLE, false), CLI_FORMAT_TABLE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_table_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_show, setup, teardown),
        cmocka_unit_test(test_json_pretty_strings),
        cmocka_unit_test_setup_teardown(test_tsv, setup, teardown),
        cmocka_unit_test(test_resolve_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
