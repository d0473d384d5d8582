/* SPDX-License-Identifier: MIT
 * tests/unit/test_cluster.c: cluster inventory: mode names, pools, the homogeneous check and
 * the host GPU inventory JSON (numbers as strings, hostile input, round trip). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "model/cluster.h"
#include "model/text.h"
#include "tests/support/clusterfix.h"

#define CL_PREFIX "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ExtendedLocation"
#define CL_A CL_PREFIX "/customLocations/a"
#define CL_B CL_PREFIX "/customLocations/b"

static void test_mode_names(void **state)
{
    (void)state;
    assert_string_equal(gpu_mode_name(GPU_MODE_DDA), "DDA");
    assert_string_equal(gpu_mode_name(GPU_MODE_GPUP), "GPU-P");
    assert_string_equal(gpu_mode_name((enum gpu_mode)99), "Unknown");
    assert_int_equal(gpu_mode_parse("gpu-p"), GPU_MODE_GPUP);
    assert_int_equal(gpu_mode_parse("GpuP"), GPU_MODE_GPUP);
    assert_int_equal(gpu_mode_parse("GPUP"), GPU_MODE_GPUP);
    assert_int_equal(gpu_mode_parse("Partitioned"), GPU_MODE_GPUP);
    assert_int_equal(gpu_mode_parse("dda"), GPU_MODE_DDA);
    assert_int_equal(gpu_mode_parse("vGPU"), GPU_MODE_UNKNOWN);
    assert_int_equal(gpu_mode_parse(NULL), GPU_MODE_UNKNOWN);
}

static void test_find_and_pool(void **state)
{
    (void)state;
    struct cluster c;
    cluster_init(&c);
    assert_false(c.inventory_known);
    assert_int_equal(c.partition_size_mb_config, -1);
    struct host *h1 = clusterfix_host(&c, "node-01", CL_A);
    clusterfix_gpu(h1, "gpu-0", "NVIDIA A2", GPU_MODE_GPUP, 3648, 4, 1);
    clusterfix_gpu(h1, "gpu-1", "NVIDIA A2", GPU_MODE_DDA, -1, 0, 0);
    struct host *h2 = clusterfix_host(&c, "node-02", CL_A);
    clusterfix_gpu(h2, "gpu-0", "NVIDIA A2", GPU_MODE_GPUP, 3648, 4, 4);
    struct host *h3 = clusterfix_host(&c, "node-09", CL_B);
    clusterfix_gpu(h3, "gpu-0", "NVIDIA A16", GPU_MODE_GPUP, 4096, 8, 0);

    assert_ptr_equal(cluster_find_host(&c, "node-02"), &c.hosts[1]);
    assert_null(cluster_find_host(&c, "node-2"));
    assert_null(cluster_find_host(&c, NULL));

    struct partition_pool p = cluster_pool(&c, &c.hosts[1], NULL);
    assert_int_equal(p.total, 4);
    assert_int_equal(p.used, 4);
    assert_int_equal(p.partition_size_mb, 3648);

    p = cluster_pool(&c, NULL, CL_A);
    assert_int_equal(p.total, 8);
    assert_int_equal(p.used, 5);
    assert_int_equal(p.partition_size_mb, 3648);

    p = cluster_pool(&c, NULL, NULL); /* every host: sizes differ */
    assert_int_equal(p.total, 16);
    assert_int_equal(p.used, 5);
    assert_int_equal(p.partition_size_mb, -1);

    p = cluster_pool(&c, NULL, "/nowhere");
    assert_int_equal(p.total, 0);
    assert_int_equal(p.partition_size_mb, -1);

    cluster_cleanup(&c);
    assert_int_equal(c.n_hosts, 0);
    assert_null(c.hosts);
}

static void test_homogeneous(void **state)
{
    (void)state;
    char why[200];
    struct cluster c;
    cluster_init(&c);
    assert_true(cluster_is_homogeneous(&c, CL_A, why, sizeof(why))); /* no hosts */

    struct host *h1 = clusterfix_host(&c, "node-01", CL_A);
    clusterfix_gpu(h1, "gpu-0", "NVIDIA A2", GPU_MODE_GPUP, 3648, 4, 0);
    clusterfix_gpu(h1, "gpu-1", "NVIDIA L4", GPU_MODE_DDA, -1, 0, 0);
    clusterfix_host(&c, "node-00", CL_A); /* no GPUs: does not count */
    struct host *h2 = clusterfix_host(&c, "node-02", CL_A);
    clusterfix_gpu(h2, "gpu-0", "NVIDIA L4", GPU_MODE_DDA, -1, 0, 0); /* other order, same set */
    clusterfix_gpu(h2, "gpu-1", "NVIDIA A2", GPU_MODE_GPUP, 3648, 4, 2);
    struct host *h9 = clusterfix_host(&c, "node-09", CL_B);          /* another cluster */
    clusterfix_gpu(h9, "gpu-0", "NVIDIA A16", GPU_MODE_GPUP, 4096, 8, 0);

    assert_true(cluster_is_homogeneous(&c, CL_A, why, sizeof(why)));
    assert_string_equal(why, "");
    assert_true(cluster_is_homogeneous(&c, CL_B, why, sizeof(why)));

    /* Across both clusters the models differ. */
    assert_false(cluster_is_homogeneous(&c, NULL, why, sizeof(why)));
    assert_non_null(strstr(why, "node-09"));

    /* Another partition count on node-02's A2. */
    c.hosts[2].gpus[1].partitions_total = 8;
    assert_false(cluster_is_homogeneous(&c, CL_A, why, sizeof(why)));
    assert_string_equal(why, "node-02 GPU gpu-1 offers 8 partitions, node-01 GPU gpu-0 offers 4");
    c.hosts[2].gpus[1].partitions_total = 4;

    /* Another model on node-02. */
    free(c.hosts[2].gpus[0].model);
    c.hosts[2].gpus[0].model = text_dup("NVIDIA T4");
    assert_false(cluster_is_homogeneous(&c, CL_A, why, sizeof(why)));
    assert_string_equal(why,
                        "node-02 has GPUs NVIDIA A2, NVIDIA T4; node-01 has NVIDIA A2, NVIDIA L4");
    assert_false(cluster_is_homogeneous(&c, CL_A, NULL, 0));
    cluster_cleanup(&c);
}

/* What the inventory API sends, numbers as strings. */
static const char inventory[] =
    "{\"value\":["
    "{\"id\":\"/subscriptions/s/resourceGroups/rg/providers/Microsoft.AzureStackHCI/edgeMachines/"
    "node-02/gpus/gpu-0\",\"name\":\"gpu-0\",\"properties\":{"
    "\"gpuId\":\"gpu-0\",\"manufacturer\":\"NVIDIA\",\"model\":\"A2\",\"status\":\"OK\","
    "\"gpuMode\":\"GPU-P\",\"assignable\":false,\"partitionable\":true,"
    "\"partitionDetails\":{\"partitionSizeGb\":\"3.5625 GB\",\"totalPartitions\":\"4\","
    "\"availablePartitions\":\"2\",\"assignedPartitions\":\"2\",\"totalVram\":\"14.25 GB\","
    "\"partitions\":[{\"partitionId\":\"p0\",\"currentVram\":\"3.5625 GB\","
    "\"workloadDetail\":{\"workloadName\":\"vm-017\",\"workloadType\":\"VirtualMachine\"}},"
    "{\"partitionId\":\"p1\",\"workloadDetail\":{\"workloadName\":\"train-04\"}}]}}},"
    "{\"name\":\"gpu-1\",\"properties\":{\"gpuId\":\"gpu-1\",\"manufacturer\":\"NVIDIA\","
    "\"model\":\"NVIDIA L40\",\"gpuMode\":\"DDA\",\"assignmentStatus\":\"Assigned\","
    "\"workloadDetail\":{\"workloadName\":\"render-1\"}}},"
    "{\"name\":\"gpu-2\",\"properties\":{\"gpuId\":\"gpu-2\",\"model\":\"NVIDIA A16\","
    "\"gpuMode\":\"GPU-P\",\"partitionDetails\":{\"partitionSizeGb\":12,"
    "\"totalPartitions\":8,\"availablePartitions\":\"8\"}}},"
    "{\"name\":\"gpu-3\",\"properties\":{\"gpuId\":\"gpu-3\",\"model\":null,"
    "\"gpuMode\":\"DDA\",\"assignmentStatus\":\"Unassigned\",\"partitionDetails\":null}}"
    "],\"nextLink\":null}";

static void test_inventory_from_json(void **state)
{
    (void)state;
    struct host h = {0};
    h.name = text_dup("node-02");
    struct gp_error err;
    gp_error_clear(&err);
    assert_int_equal(host_gpus_from_json(&h, inventory, strlen(inventory), &err), GP_OK);
    assert_int_equal(h.n_gpus, 4);

    struct host_gpu *g = &h.gpus[0];
    assert_string_equal(g->id, "gpu-0");
    assert_string_equal(g->model, "NVIDIA A2");
    assert_int_equal(g->mode, GPU_MODE_GPUP);
    assert_int_equal(g->partition_size_mb, 3648);
    assert_int_equal(g->partitions_total, 4);
    assert_int_equal(g->partitions_used, 2);
    assert_int_equal(g->n_partition_vms, 2);
    assert_string_equal(g->partition_vms[0], "vm-017");
    assert_string_equal(g->partition_vms[1], "train-04");
    assert_null(g->dda_vm);

    g = &h.gpus[1];
    assert_string_equal(g->model, "NVIDIA L40"); /* not "NVIDIA NVIDIA L40" */
    assert_int_equal(g->mode, GPU_MODE_DDA);
    assert_string_equal(g->dda_vm, "render-1");
    assert_int_equal(g->partition_size_mb, -1);
    assert_int_equal(g->partitions_total, 0);

    g = &h.gpus[2];
    assert_int_equal(g->partition_size_mb, 12288); /* 12 GB as a number */
    assert_int_equal(g->partitions_total, 8);
    assert_int_equal(g->partitions_used, 0);

    g = &h.gpus[3];
    assert_null(g->model);
    assert_null(g->dda_vm); /* free */

    /* A single GPU (GET .../gpus/{gpu}) and fields at the top level. */
    const char *one = "{\"gpuId\":\"gpu-7\",\"gpuMode\":\"GpuP\",\"partitionDetails\":"
                      "{\"partitionSizeGb\":\" 3648 MB \",\"totalPartitions\":\" 16 \","
                      "\"availablePartitions\":\"15\"}}";
    assert_int_equal(host_gpus_from_json(&h, one, strlen(one), &err), GP_OK);
    assert_int_equal(h.n_gpus, 1);
    assert_string_equal(h.gpus[0].id, "gpu-7");
    assert_int_equal(h.gpus[0].partition_size_mb, 3648);
    assert_int_equal(h.gpus[0].partitions_total, 16);
    assert_int_equal(h.gpus[0].partitions_used, 1);

    /* An empty list empties the host. */
    assert_int_equal(host_gpus_from_json(&h, "{\"value\":[]}", 12, &err), GP_OK);
    assert_int_equal(h.n_gpus, 0);
    host_cleanup(&h);
}

/* One hostile document: the status and a fragment the message must contain. */
static void expect_fail(const char *json, enum gp_status want, const char *fragment)
{
    struct host h = {0};
    h.name = text_dup("node-02");
    const char *good = "[{\"gpuId\":\"gpu-0\",\"gpuMode\":\"DDA\"}]";
    assert_int_equal(host_gpus_from_json(&h, good, strlen(good), NULL), GP_OK);
    struct gp_error err;
    gp_error_clear(&err);
    enum gp_status st = host_gpus_from_json(&h, json, strlen(json), &err);
    if (st != want || !strstr(err.message, fragment))
        fail_msg("for %s: got %d \"%s\", want %d with \"%s\"", json, st, err.message, want,
                 fragment);
    assert_int_equal(err.status, want);
    /* Untouched on failure. */
    assert_int_equal(h.n_gpus, 1);
    assert_string_equal(h.gpus[0].id, "gpu-0");
    host_cleanup(&h);
}

static void test_inventory_hostile(void **state)
{
    (void)state;
    expect_fail("", GP_E_PARSE, "host node-02 GPU inventory: empty JSON document");
    expect_fail("{\"value\":[", GP_E_PARSE, "malformed JSON at byte");
    expect_fail("42", GP_E_INVALID, "expected an object or array, got a number");
    expect_fail("{\"value\":{}}", GP_E_INVALID, "value: expected an array, got an object");
    expect_fail("{\"value\":[7]}", GP_E_INVALID, "value[0]: expected an object, got a number");
    expect_fail("{\"value\":[{\"properties\":{\"gpuId\":\"a\"}},{\"properties\":{}}]}",
                GP_E_INVALID, "value[1].properties.gpuId: missing");
    expect_fail("{\"value\":[{\"properties\":[]}]}", GP_E_INVALID,
                "value[0].properties: expected an object, got an array");
    expect_fail("[{\"gpuId\":5}]", GP_E_INVALID, "$[0].gpuId: expected a string, got a number");
    /* The path once, not formatted into itself. */
    expect_fail("[{\"gpuId\":\"g\",\"model\":5}]", GP_E_INVALID,
                "host node-02 GPU inventory: $[0].model: expected a string, got a number");
    expect_fail("[{\"gpuId\":\"g\",\"gpuMode\":[]}]", GP_E_INVALID, "$[0].gpuMode");
    expect_fail("[{\"gpuId\":\"g\",\"gpuMode\":\"GPU-P\",\"partitionDetails\":"
                "{\"totalPartitions\":\"four\"}}]",
                GP_E_INVALID,
                "$[0].partitionDetails.totalPartitions: expected a count, got \"four\"");
    expect_fail("[{\"gpuId\":\"g\",\"gpuMode\":\"GPU-P\",\"partitionDetails\":"
                "{\"totalPartitions\":-1}}]",
                GP_E_INVALID, "totalPartitions: -1 is not a count");
    expect_fail("[{\"gpuId\":\"g\",\"gpuMode\":\"GPU-P\",\"partitionDetails\":"
                "{\"totalPartitions\":1e300}}]",
                GP_E_INVALID, "is not a count");
    expect_fail("[{\"gpuId\":\"g\",\"gpuMode\":\"GPU-P\",\"partitionDetails\":"
                "{\"totalPartitions\":\"99999999999999999999999\"}}]",
                GP_E_INVALID, "expected a count");
    expect_fail("[{\"gpuId\":\"g\",\"gpuMode\":\"GPU-P\",\"partitionDetails\":"
                "{\"totalPartitions\":\"2\",\"assignedPartitions\":\"3\"}}]",
                GP_E_INVALID, "3 partitions assigned but 2 in total");
    expect_fail("[{\"gpuId\":\"g\",\"gpuMode\":\"GPU-P\",\"partitionDetails\":"
                "{\"partitionSizeGb\":\"nan GB\"}}]",
                GP_E_INVALID, "partitionSizeGb: expected a size, got \"nan GB\"");
    expect_fail("[{\"gpuId\":\"g\",\"gpuMode\":\"GPU-P\",\"partitionDetails\":"
                "{\"partitionSizeGb\":\"12 parsecs\"}}]",
                GP_E_INVALID, "partitionSizeGb: unknown unit");
    expect_fail("[{\"gpuId\":\"g\",\"gpuMode\":\"GPU-P\",\"partitionDetails\":"
                "{\"partitionSizeGb\":1e308}}]",
                GP_E_INVALID, "partitionSizeGb: size out of range");
    expect_fail("[{\"gpuId\":\"g\",\"gpuMode\":\"GPU-P\",\"partitionDetails\":"
                "{\"partitionSizeGb\":true}}]",
                GP_E_INVALID, "partitionSizeGb: expected a size, got a boolean");
    expect_fail("[{\"gpuId\":\"g\",\"gpuMode\":\"GPU-P\",\"partitionDetails\":"
                "{\"partitions\":{}}}]",
                GP_E_INVALID, "$[0].partitionDetails.partitions: expected an array");
    expect_fail("[{\"gpuId\":\"g\",\"gpuMode\":\"GPU-P\",\"partitionDetails\":"
                "{\"partitions\":[{\"workloadDetail\":{\"workloadName\":1}}]}}]",
                GP_E_INVALID,
                "$[0].partitionDetails.partitions[0].workloadDetail.workloadName: expected a "
                "string");
    expect_fail("[{\"gpuId\":\"g\",\"gpuMode\":\"DDA\",\"workloadDetail\":\"vm\"}]",
                GP_E_INVALID, "$[0].workloadDetail: expected an object, got a string");

    /* Deep nesting and too many GPUs. */
    char deep[200];
    memset(deep, '[', sizeof(deep) - 1);
    deep[sizeof(deep) - 1] = '\0';
    expect_fail(deep, GP_E_PARSE, "nested deeper than 32 levels");
    char many[4096] = "[";
    for (int i = 0; i <= HOST_MAX_GPUS; i++)
        strncat(many, i ? ",{}" : "{}", sizeof(many) - strlen(many) - 1);
    strncat(many, "]", sizeof(many) - strlen(many) - 1);
    expect_fail(many, GP_E_TOO_LARGE, "65 GPUs, at most 64");
    char *huge = malloc(HOST_GPUS_JSON_MAX_BYTES + 2);
    assert_non_null(huge);
    memset(huge, ' ', HOST_GPUS_JSON_MAX_BYTES + 1);
    huge[HOST_GPUS_JSON_MAX_BYTES + 1] = '\0';
    expect_fail(huge, GP_E_TOO_LARGE, "cap");
    free(huge);

    /* Strings with a quote or brace inside do not confuse the depth count. */
    struct host h = {0};
    const char *tricky = "[{\"gpuId\":\"g[[[{{\\\"\",\"gpuMode\":\"DDA\"}]";
    assert_int_equal(host_gpus_from_json(&h, tricky, strlen(tricky), NULL), GP_OK);
    assert_string_equal(h.gpus[0].id, "g[[[{{\"");
    host_cleanup(&h);
}

static void test_inventory_to_json(void **state)
{
    (void)state;
    struct host h = {0};
    h.name = text_dup("node-02");
    struct host_gpu *g = clusterfix_gpu(&h, "gpu-0", "NVIDIA A2", GPU_MODE_GPUP, 3648, 4, 2);
    g->partition_vms = calloc(1, sizeof(char *));
    g->partition_vms[0] = text_dup("vm-017");
    g->n_partition_vms = 1;
    struct host_gpu *l40 = clusterfix_gpu(&h, "gpu-1", "NVIDIA L40", GPU_MODE_DDA, -1, 0, 0);
    l40->dda_vm = text_dup("render-1");

    char *json = NULL;
    assert_int_equal(host_gpu_to_json(&h, &h.gpus[0], "/x/gpus/gpu-0", &json), GP_OK);
    assert_string_equal(
        json,
        "{\"id\":\"/x/gpus/gpu-0\",\"name\":\"gpu-0\","
        "\"type\":\"Microsoft.AzureStackHCI/edgeMachines/gpus\",\"properties\":{"
        "\"gpuId\":\"gpu-0\",\"manufacturer\":\"NVIDIA\",\"model\":\"NVIDIA A2\","
        "\"status\":\"OK\",\"gpuMode\":\"GPU-P\",\"assignable\":false,\"partitionable\":true,"
        "\"assignmentStatus\":\"Partitioned\",\"partitionDetails\":{"
        "\"partitionSizeGb\":\"3.5625 GB\",\"totalPartitions\":\"4\","
        "\"availablePartitions\":\"2\",\"assignedPartitions\":\"2\","
        "\"validPartitionCount\":\"4\",\"totalVram\":\"14.25 GB\",\"availableVram\":\"7.125 GB\","
        "\"partitions\":[{\"partitionId\":\"gpu-0-p0\",\"currentVram\":\"3.5625 GB\","
        "\"workloadDetail\":{\"workloadName\":\"vm-017\",\"workloadType\":\"VirtualMachine\"}}"
        "]}}}");

    /* Round trip of both GPUs. */
    struct host back = {0};
    for (size_t i = 0; i < h.n_gpus; i++) {
        char *one = NULL;
        assert_int_equal(host_gpu_to_json(&h, &h.gpus[i], NULL, &one), GP_OK);
        assert_int_equal(host_gpus_from_json(&back, one, strlen(one), NULL), GP_OK);
        free(one);
        const struct host_gpu *a = &h.gpus[i], *b = &back.gpus[0];
        assert_string_equal(a->id, b->id);
        assert_string_equal(a->model, b->model);
        assert_int_equal(a->mode, b->mode);
        assert_int_equal(a->partition_size_mb, b->partition_size_mb);
        assert_int_equal(a->partitions_total, b->partitions_total);
        assert_int_equal(a->partitions_used, b->partitions_used);
        assert_int_equal(a->n_partition_vms, b->n_partition_vms);
        assert_true(str_eq(a->dda_vm, b->dda_vm));
    }
    /* An odd size survives too. */
    h.gpus[0].partition_size_mb = 3647;
    free(json);
    assert_int_equal(host_gpu_to_json(&h, &h.gpus[0], NULL, &json), GP_OK);
    assert_int_equal(host_gpus_from_json(&back, json, strlen(json), NULL), GP_OK);
    assert_int_equal(back.gpus[0].partition_size_mb, 3647);
    free(json);
    host_cleanup(&back);
    host_cleanup(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mode_names),
        cmocka_unit_test(test_find_and_pool),
        cmocka_unit_test(test_homogeneous),
        cmocka_unit_test(test_inventory_from_json),
        cmocka_unit_test(test_inventory_hostile),
        cmocka_unit_test(test_inventory_to_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
