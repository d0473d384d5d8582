/* SPDX-License-Identifier: MIT
 * tests/integration/test_sim_ops.c: gpup-sim's writes over HTTP: create (PUT machine, PUT
 * VM instance, poll), stop -> PATCH GPUs -> start with both polling styles, every service rule
 * with its documented status and code (VM unchanged after), each injected fault, and the
 * state file across restarts. Expected answers written by hand from azure-local-api.md. */
/* cmocka needs these first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "tests/support/simproc.h"
#include "tests/support/simtest.h"

#define SUBID "00000000-0000-0000-0000-000000000000"
#define SUB "/subscriptions/" SUBID
#define API "api-version=2025-09-01-preview"
#define CL(city)                                                                                   \
    SUB "/resourceGroups/azlocal-" city "-rg/providers/Microsoft.ExtendedLocation/"                \
        "customLocations/cl-" city
#define GPUS_BODY(list) "{\"properties\":{\"hardwareProfile\":{\"virtualMachineGPUs\":" list "}}}"

static char *machine_url(const struct simproc *p, const char *vm, const char *tail)
{
    static char buf[4][1024];
    static int next;
    char *b = buf[next++ % 4];
    int w = snprintf(b, sizeof(buf[0]),
                     "%s" SUB "/resourceGroups/test-rg/providers/Microsoft.HybridCompute/"
                     "machines/%s%s",
                     p->url, vm, tail);
    assert_true(w > 0 && (size_t)w < sizeof(buf[0]));
    return b;
}

#define VMI "/providers/Microsoft.AzureStackHCI/virtualMachineInstances/default"

static const cJSON *gpus_of(const cJSON *vm)
{
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(vm, "properties");
    const cJSON *hw = cJSON_GetObjectItemCaseSensitive(props, "hardwareProfile");
    return cJSON_GetObjectItemCaseSensitive(hw, "virtualMachineGPUs");
}

static struct simproc_reply http_send(const char *method, const char *u, const char *body)
{
    struct simproc_reply r;
    int rc = simproc_http(method, u, body, NULL, NULL, &r);
    if (rc != 0)
        fprintf(stderr, "%s %s: no answer\n", method, u);
    assert_int_equal(rc, 0);
    return r;
}

static void expect(const char *method, const char *u, const char *body, long status)
{
    struct simproc_reply r = http_send(method, u, body);
    if (r.status != status)
        fprintf(stderr, "%s %s -> %ld %s (wanted %ld)\n", method, u, r.status, r.body, status);
    assert_int_equal(r.status, status);
    simproc_reply_free(&r);
}

static void expect_error(const char *method, const char *u, const char *body, long status,
                         const char *code, const char *target)
{
    struct simproc_reply r = http_send(method, u, body);
    if (r.status != status)
        fprintf(stderr, "%s %s -> %ld %s (wanted %ld %s)\n", method, u, r.status, r.body, status,
                code);
    assert_int_equal(r.status, status);
    cJSON *j = cJSON_Parse(r.body);
    assert_non_null(j);
    assert_string_equal(simtest_jstr(j, "error.code"), code);
    assert_non_null(simtest_jstr(j, "error.message"));
    if (target)
        assert_string_equal(simtest_jstr(j, "error.target"), target);
    cJSON_Delete(j);
    simproc_reply_free(&r);
}

static cJSON *get_vm(const struct simproc *p, const char *vm)
{
    char u[1024];
    snprintf(u, sizeof(u), "%s?" API, machine_url(p, vm, VMI));
    struct simproc_reply r = http_send("GET", u, NULL);
    assert_int_equal(r.status, 200);
    cJSON *j = cJSON_Parse(r.body);
    assert_non_null(j);
    simproc_reply_free(&r);
    return j;
}

static char *vm_text(const struct simproc *p, const char *vm)
{
    char u[1024];
    snprintf(u, sizeof(u), "%s?" API, machine_url(p, vm, VMI));
    struct simproc_reply r = http_send("GET", u, NULL);
    assert_int_equal(r.status, 200);
    char *t = r.body;
    r.body = NULL;
    simproc_reply_free(&r);
    return t;
}

/* Polls an Azure-AsyncOperation URL until a terminal status; returns it (static). */
static const char *poll_async(const char *u, int max_polls)
{
    static char status[32];
    for (int i = 0; i < max_polls; i++) {
        struct simproc_reply r = http_send("GET", u, NULL);
        assert_int_equal(r.status, 200);
        cJSON *j = cJSON_Parse(r.body);
        assert_non_null(j);
        snprintf(status, sizeof(status), "%s", simtest_jstr(j, "status"));
        assert_non_null(simtest_jstr(j, "startTime"));
        assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(j, "percentComplete")));
        cJSON_Delete(j);
        simproc_reply_free(&r);
        if (strcmp(status, "InProgress") != 0 && strcmp(status, "Accepted") != 0)
            return status;
    }
    return status;
}

/* Runs an LRO request and polls it the given way; returns the final HTTP status of the
 * Location poll (or 200 for async Succeeded). */
static void run_lro(const char *method, const char *u, const char *body, bool use_location)
{
    struct simproc_reply r = http_send(method, u, body);
    if (r.status != 202 && r.status != 200 && r.status != 201)
        fprintf(stderr, "%s %s -> %ld %s\n", method, u, r.status, r.body);
    assert_true(r.status == 202 || r.status == 200 || r.status == 201);
    char loc[1024], aso[1024], ra[32];
    bool has_loc = simproc_header(&r, "Location", loc, sizeof(loc));
    bool has_aso = simproc_header(&r, "Azure-AsyncOperation", aso, sizeof(aso));
    assert_true(has_aso);
    assert_true(simproc_header(&r, "Retry-After", ra, sizeof(ra)));
    assert_string_equal(ra, "1");
    assert_non_null(strstr(aso, API));
    if (r.status == 202) {
        assert_true(has_loc);
        assert_int_equal(r.body_len, 0); /* 202 without body */
    }
    simproc_reply_free(&r);
    if (use_location && has_loc) {
        for (int i = 0; i < 5; i++) {
            struct simproc_reply q = http_send("GET", loc, NULL);
            long st = q.status;
            simproc_reply_free(&q);
            if (st != 202) {
                assert_true(st == 200 || st == 204);
                return;
            }
        }
        fail_msg("Location poll never finished");
    }
    assert_string_equal(poll_async(aso, 5), "Succeeded");
}

static void create_vm(const struct simproc *p, const char *vm, const char *cl,
                      const char *gpus_json)
{
    char u[1024];
    snprintf(u, sizeof(u), "%s?api-version=2024-07-10", machine_url(p, vm, ""));
    expect("PUT", u,
           "{\"location\":\"westus2\",\"kind\":\"HCI\",\"identity\":{\"type\":"
           "\"SystemAssigned\"}}",
           201);
    char body[2048];
    snprintf(body, sizeof(body),
             "{\"extendedLocation\":{\"type\":\"CustomLocation\",\"name\":\"%s\"},"
             "\"properties\":{\"hardwareProfile\":{\"vmSize\":\"Custom\",\"processors\":4,"
             "\"memoryMB\":8192%s%s},\"osProfile\":{\"computerName\":\"%s\",\"adminUsername\":"
             "\"azureuser\",\"adminPassword\":\"Pa55w0rd!x\"},\"storageProfile\":"
             "{\"imageReference\":{\"id\":\"" SUB "/resourceGroups/azlocal-seattle-rg/providers/"
             "Microsoft.AzureStackHCI/galleryImages/ubuntu-2204\"}}}}",
             cl, gpus_json ? ",\"virtualMachineGPUs\":" : "", gpus_json ? gpus_json : "", vm);
    snprintf(u, sizeof(u), "%s?" API, machine_url(p, vm, VMI));
    run_lro("PUT", u, body, false);
}

static void power(const struct simproc *p, const char *vm, const char *action, bool location)
{
    char u[1024];
    snprintf(u, sizeof(u), "%s/%s?" API, machine_url(p, vm, VMI), action);
    run_lro("POST", u, NULL, location);
}

static void patch_gpus(const struct simproc *p, const char *vm, const char *list, bool location)
{
    char u[1024], body[512];
    snprintf(u, sizeof(u), "%s?" API, machine_url(p, vm, VMI));
    snprintf(body, sizeof(body), GPUS_BODY("%s"), list);
    run_lro("PATCH", u, body, location);
}

/* No generated VMs, 10 nodes: cl-seattle (node-01/02: 2x A2 GPU-P, 4 partitions each),
 * cl-denver (L4: one GPU-P, one DDA), cl-austin (T4, DDA only), cl-boston (A16 GPU-P),
 * cl-chicago (L40S and A40 GPU-P: not homogeneous). Operations end at the first poll. */
static int setup_empty(void **state)
{
    static const char *const args[] = {"--fleet", "0", "--hosts", "10", "--op-ms", "0", NULL};
    return simtest_start(state, args);
}

static void test_create_vm(void **state)
{
    struct simproc *p = *state;
    char u[1024];
    snprintf(u, sizeof(u), "%s?api-version=2024-07-10", machine_url(p, "train-01", ""));
    struct simproc_reply r = http_send("PUT", u,
                                       "{\"location\":\"westus2\",\"kind\":\"HCI\","
                                       "\"identity\":{\"type\":\"SystemAssigned\"}}");
    assert_int_equal(r.status, 201);
    cJSON *m = cJSON_Parse(r.body);
    assert_string_equal(simtest_jstr(m, "kind"), "HCI");
    assert_string_equal(simtest_jstr(m, "identity.type"), "SystemAssigned");
    cJSON_Delete(m);
    simproc_reply_free(&r);

    char body[2048];
    snprintf(body, sizeof(body),
             "{\"extendedLocation\":{\"type\":\"CustomLocation\",\"name\":\"%s\"},"
             "\"properties\":{\"hardwareProfile\":{\"vmSize\":\"Custom\",\"processors\":8,"
             "\"memoryMB\":32768,\"virtualMachineGPUs\":[{\"assignmentType\":\"GpuP\"}]},"
             "\"osProfile\":{\"computerName\":\"train-01\",\"adminUsername\":\"azureuser\","
             "\"adminPassword\":\"Secret-123\"}}}",
             CL("seattle"));
    snprintf(u, sizeof(u), "%s?" API, machine_url(p, "train-01", VMI));
    r = http_send("PUT", u, body);
    assert_int_equal(r.status, 201);
    assert_null(strstr(r.body, "Secret-123")); /* adminPassword is never returned */
    cJSON *vm = cJSON_Parse(r.body);
    const char *prov = simtest_jstr(vm, "properties.provisioningState");
    assert_true(strcmp(prov, "Succeeded") != 0 && strcmp(prov, "Failed") != 0);
    cJSON_Delete(vm);
    char aso[1024];
    assert_true(simproc_header(&r, "Azure-AsyncOperation", aso, sizeof(aso)));
    assert_int_equal(strncmp(aso, p->url, strlen(p->url)), 0); /* absolute */
    simproc_reply_free(&r);
    assert_string_equal(poll_async(aso, 3), "Succeeded");

    vm = get_vm(p, "train-01");
    assert_string_equal(simtest_jstr(vm, "properties.provisioningState"), "Succeeded");
    assert_string_equal(simtest_jstr(vm, "properties.status.powerState"), "Running");
    const cJSON *g = gpus_of(vm);
    assert_int_equal(cJSON_GetArraySize(g), 1);
    assert_string_equal(simtest_jstr(cJSON_GetArrayItem(g, 0), "assignmentType"), "GpuP");
    assert_int_equal(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(g, 0), "partitionSizeMB")->valueint,
        3648);
    assert_true(
        cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(g, 0), "gpuName")));
    char node[32];
    snprintf(node, sizeof(node), "%s", simtest_jstr(vm, "properties.hostNodeName"));
    assert_true(strcmp(node, "node-01") == 0 || strcmp(node, "node-02") == 0);
    cJSON_Delete(vm);

    /* The partition shows in the host inventory. */
    snprintf(u, sizeof(u),
             "%s" SUB "/resourceGroups/azlocal-seattle-rg/providers/"
             "Microsoft.AzureStackHCI/edgeMachines/%s/gpus?api-version=2026-03-15-preview",
             p->url, node);
    r = http_send("GET", u, NULL);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "train-01"));
    simproc_reply_free(&r);

    /* Delete: 202 then gone (GET 404, machine stays). */
    snprintf(u, sizeof(u), "%s?" API, machine_url(p, "train-01", VMI));
    run_lro("DELETE", u, NULL, true);
    expect("GET", u, NULL, 404);
    expect("DELETE", u, NULL, 204);
    snprintf(u, sizeof(u), "%s?api-version=2024-07-10", machine_url(p, "train-01", ""));
    expect("GET", u, NULL, 200);
    expect("DELETE", u, NULL, 200);
    expect("GET", u, NULL, 404);
}

/* stop -> PATCH -> start, polling Azure-AsyncOperation (location=false) or Location. */
static void attach_detach(const struct simproc *p, bool location)
{
    const char *vm = location ? "vdi-002" : "vdi-001";
    create_vm(p, vm, CL("seattle"), NULL);
    power(p, vm, "stop", location);
    cJSON *j = get_vm(p, vm);
    assert_string_equal(simtest_jstr(j, "properties.status.powerState"), "Stopped");
    cJSON_Delete(j);

    patch_gpus(p, vm, "[{\"assignmentType\":\"GpuP\"}]", location);
    j = get_vm(p, vm);
    const cJSON *g = gpus_of(j);
    assert_int_equal(cJSON_GetArraySize(g), 1);
    assert_int_equal(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(g, 0), "partitionSizeMB")->valueint,
        3648);
    assert_string_equal(simtest_jstr(j, "properties.provisioningState"), "Succeeded");
    cJSON_Delete(j);

    power(p, vm, "start", location);
    j = get_vm(p, vm);
    assert_string_equal(simtest_jstr(j, "properties.status.powerState"), "Running");
    cJSON_Delete(j);

    /* Detach: stop, empty list, start. */
    power(p, vm, "stop", location);
    patch_gpus(p, vm, "[]", location);
    power(p, vm, "restart", location);
    j = get_vm(p, vm);
    assert_int_equal(cJSON_GetArraySize(gpus_of(j)), 0);
    assert_string_equal(simtest_jstr(j, "properties.status.powerState"), "Running");
    cJSON_Delete(j);
}

static void test_attach_async(void **state)
{
    attach_detach(*state, false);
}

static void test_attach_location(void **state)
{
    attach_detach(*state, true);
}

static void test_dda(void **state)
{
    struct simproc *p = *state;
    create_vm(p, "render-01", CL("austin"), "[{\"assignmentType\":\"GpuDDA\"}]");
    cJSON *j = get_vm(p, "render-01");
    const cJSON *g = gpus_of(j);
    assert_int_equal(cJSON_GetArraySize(g), 1);
    assert_string_equal(simtest_jstr(cJSON_GetArrayItem(g, 0), "assignmentType"), "GpuDDA");
    assert_string_equal(simtest_jstr(cJSON_GetArrayItem(g, 0), "gpuName"), "NVIDIA T4");
    cJSON_Delete(j);
}

/* Every rule of azure-local-api.md section 3: status, code, and the VM left unchanged. */
static void test_rules(void **state)
{
    struct simproc *p = *state;
    char u[1024];
    create_vm(p, "sea-01", CL("seattle"), NULL);
    snprintf(u, sizeof(u), "%s?" API, machine_url(p, "sea-01", VMI));
    char *before = vm_text(p, "sea-01");

    /* vm-stopped: the VM is Running. */
    expect_error("PATCH", u, GPUS_BODY("[{\"assignmentType\":\"GpuP\"}]"), 409, "VmMustBeStopped",
                 NULL);
    /* Even an unchanged list: the field is validated whenever it is sent. */
    expect_error("PATCH", u, GPUS_BODY("[]"), 409, "VmMustBeStopped", NULL);
    char *after = vm_text(p, "sea-01");
    assert_string_equal(before, after);
    free(after);
    free(before);

    power(p, "sea-01", "stop", false);
    before = vm_text(p, "sea-01");
    expect_error("PATCH", u,
                 GPUS_BODY("[{\"assignmentType\":\"GpuP\"},{\"assignmentType\":"
                           "\"GpuP\"}]"),
                 400, "TooManyGpuPartitions", NULL);
    expect_error("PATCH", u,
                 GPUS_BODY("[{\"assignmentType\":\"GpuP\"},{\"assignmentType\":"
                           "\"GpuDDA\"}]"),
                 400, "InvalidGpuAssignment", NULL);
    expect_error("PATCH", u, GPUS_BODY("[{\"assignmentType\":\"GpuX\"}]"), 400, "InvalidParameter",
                 "properties.hardwareProfile.virtualMachineGPUs[0].assignmentType");
    expect_error("PATCH", u, GPUS_BODY("[{\"partitionSizeMB\":3648}]"), 400, "InvalidParameter",
                 "properties.hardwareProfile.virtualMachineGPUs[0].assignmentType");
    expect_error("PATCH", u, GPUS_BODY("[{\"assignmentType\":\"GpuP\",\"gpuName\":\"NVIDIA A2\"}]"),
                 400, "PartitionNotSelectable", NULL);
    expect_error("PATCH", u, GPUS_BODY("[{\"assignmentType\":\"GpuP\",\"partitionSizeMB\":8192}]"),
                 400, "PartitionNotSelectable", NULL);
    /* mode-available: cl-seattle has no DDA GPU. */
    expect_error("PATCH", u, GPUS_BODY("[{\"assignmentType\":\"GpuDDA\"}]"), 409,
                 "GpuModeNotAvailable", NULL);
    after = vm_text(p, "sea-01");
    assert_string_equal(before, after);
    free(after);
    free(before);

    /* mode-available: cl-austin is T4, DDA only. */
    create_vm(p, "aus-01", CL("austin"), NULL);
    power(p, "aus-01", "stop", false);
    snprintf(u, sizeof(u), "%s?" API, machine_url(p, "aus-01", VMI));
    expect_error("PATCH", u, GPUS_BODY("[{\"assignmentType\":\"GpuP\"}]"), 409,
                 "GpuModeNotAvailable", NULL);

    /* homogeneous: cl-chicago mixes L40S and A40. */
    create_vm(p, "chi-01", CL("chicago"), NULL);
    power(p, "chi-01", "stop", false);
    snprintf(u, sizeof(u), "%s?" API, machine_url(p, "chi-01", VMI));
    before = vm_text(p, "chi-01");
    expect_error("PATCH", u, GPUS_BODY("[{\"assignmentType\":\"GpuP\"}]"), 409,
                 "ClusterGpuConfigNotHomogeneous", NULL);
    after = vm_text(p, "chi-01");
    assert_string_equal(before, after);
    free(after);
    free(before);

    /* capacity: cl-seattle has 2 nodes x 2 GPUs x 4 partitions = 16. */
    for (int i = 0; i < 16; i++) {
        char name[32];
        snprintf(name, sizeof(name), "ml-%02d", i);
        create_vm(p, name, CL("seattle"), "[{\"assignmentType\":\"GpuP\"}]");
    }
    snprintf(u, sizeof(u), "%s?" API, machine_url(p, "sea-01", VMI));
    before = vm_text(p, "sea-01");
    expect_error("PATCH", u, GPUS_BODY("[{\"assignmentType\":\"GpuP\"}]"), 409,
                 "NoGpuPartitionAvailable", NULL);
    after = vm_text(p, "sea-01");
    assert_string_equal(before, after);
    free(after);
    free(before);
    /* A create asking for a partition is refused the same way. */
    snprintf(u, sizeof(u), "%s?api-version=2024-07-10", machine_url(p, "ml-99", ""));
    expect("PUT", u, "{\"location\":\"westus2\",\"kind\":\"HCI\"}", 201);
    char body[1024];
    snprintf(body, sizeof(body),
             "{\"extendedLocation\":{\"type\":\"CustomLocation\",\"name\":\"%s\"},\"properties\":"
             "{\"hardwareProfile\":{\"virtualMachineGPUs\":[{\"assignmentType\":\"GpuP\"}]}}}",
             CL("seattle"));
    snprintf(u, sizeof(u), "%s?" API, machine_url(p, "ml-99", VMI));
    expect_error("PUT", u, body, 409, "NoGpuPartitionAvailable", NULL);
    expect("GET", u, NULL, 404);
    /* Detaching one on the same node frees a partition for sea-01 (pools are per host). */
    cJSON *sea = get_vm(p, "sea-01");
    char node[32];
    snprintf(node, sizeof(node), "%s", simtest_jstr(sea, "properties.hostNodeName"));
    cJSON_Delete(sea);
    char peer[32] = "";
    for (int i = 0; i < 16 && !peer[0]; i++) {
        char name[32];
        snprintf(name, sizeof(name), "ml-%02d", i);
        cJSON *o = get_vm(p, name);
        if (strcmp(simtest_jstr(o, "properties.hostNodeName"), node) == 0)
            snprintf(peer, sizeof(peer), "%s", name);
        cJSON_Delete(o);
    }
    assert_true(peer[0] != '\0');
    power(p, peer, "stop", false);
    patch_gpus(p, peer, "[]", false);
    patch_gpus(p, "sea-01", "[{\"assignmentType\":\"GpuP\"}]", true);
}

static void test_busy_and_slow_ops(void **state)
{
    (void)state;
    /* Operations that take long: 202 on Location polls, InProgress, transient power state. */
    static const char *const args[] = {"--fleet",          "0", "--hosts", "2", "--op-ms", "600000",
                                       "--retry-after-ms", "5", NULL};
    struct simproc p;
    assert_int_equal(simproc_start(&p, args), 0);
    char u[1024];
    snprintf(u, sizeof(u), "%s?api-version=2024-07-10", machine_url(&p, "w-01", ""));
    expect("PUT", u, "{\"location\":\"westus2\",\"kind\":\"HCI\"}", 201);
    char body[512];
    snprintf(body, sizeof(body),
             "{\"extendedLocation\":{\"type\":\"CustomLocation\",\"name\":\"%s\"}}", CL("seattle"));
    snprintf(u, sizeof(u), "%s?" API, machine_url(&p, "w-01", VMI));
    struct simproc_reply r = http_send("PUT", u, body);
    assert_int_equal(r.status, 201);
    char h[1024];
    assert_true(simproc_header(&r, "retry-after-ms", h, sizeof(h)));
    assert_string_equal(h, "5");
    assert_false(simproc_header(&r, "Retry-After", h, sizeof(h)));
    assert_true(simproc_header(&r, "Azure-AsyncOperation", h, sizeof(h)));
    simproc_reply_free(&r);
    r = http_send("GET", h, NULL);
    assert_int_equal(r.status, 200);
    cJSON *j = cJSON_Parse(r.body);
    assert_string_equal(simtest_jstr(j, "status"), "InProgress");
    cJSON_Delete(j);
    simproc_reply_free(&r);
    /* A second change while one runs is refused. */
    expect_error("POST", machine_url(&p, "w-01", VMI "/stop?" API), NULL, 409,
                 "AnotherOperationInProgress", NULL);
    /* The Location URL answers 202 while running. */
    char loc[1024];
    memcpy(loc, h, sizeof(loc));
    char *at = strstr(loc, "operationStatuses");
    assert_non_null(at);
    memcpy(at, "operationResults ", 17);
    memmove(at + 16, at + 17, strlen(at + 17) + 1);
    r = http_send("GET", loc, NULL);
    assert_int_equal(r.status, 202);
    assert_true(simproc_header(&r, "retry-after-ms", h, sizeof(h)));
    simproc_reply_free(&r);
    j = get_vm(&p, "w-01");
    assert_string_equal(simtest_jstr(j, "properties.provisioningState"), "InProgress");
    cJSON_Delete(j);
    assert_int_equal(simproc_stop(&p), 0);
}

static void test_faults_http(void **state)
{
    (void)state;
    static const char *const args[] = {"--fleet", "2", "--faults",
                                       "429:n=1:retry=2,500:n=2,503:n=3,reset:n=4,slow:n=5:ms=20,"
                                       "502:n=6,504:n=7",
                                       NULL};
    struct simproc p;
    assert_int_equal(simproc_start(&p, args), 0);
    char u[512];
    snprintf(u, sizeof(u),
             "%s" SUB "/providers/Microsoft.HybridCompute/machines?"
             "api-version=2024-07-10",
             p.url);
    struct simproc_reply r = http_send("GET", u, NULL);
    assert_int_equal(r.status, 429);
    char h[64];
    assert_true(simproc_header(&r, "Retry-After", h, sizeof(h)));
    assert_string_equal(h, "2");
    assert_non_null(strstr(r.body, "\"TooManyRequests\""));
    simproc_reply_free(&r);
    expect_error("GET", u, NULL, 500, "InternalServerError", NULL);
    expect_error("GET", u, NULL, 503, "ServiceUnavailable", NULL);
    /* reset: the connection closes without an answer. */
    assert_int_equal(simproc_http("GET", u, NULL, NULL, NULL, &r), -1);
    assert_int_equal(r.status, 0);
    simproc_reply_free(&r);
    expect("GET", u, NULL, 200); /* slow: still answers */
    expect_error("GET", u, NULL, 502, "BadGateway", NULL);
    expect_error("GET", u, NULL, 504, "GatewayTimeout", NULL);
    expect("GET", u, NULL, 200);
    assert_int_equal(simproc_stop(&p), 0);
}

static void test_fault_opfail(void **state)
{
    (void)state;
    static const char *const args[] = {"--fleet", "0",        "--hosts",    "2", "--op-ms",
                                       "0",       "--faults", "opfail:n=2", NULL};
    struct simproc p;
    assert_int_equal(simproc_start(&p, args), 0);
    create_vm(&p, "f-01", CL("seattle"), NULL); /* operation 1 */
    char u[1024];
    snprintf(u, sizeof(u), "%s/stop?" API, machine_url(&p, "f-01", VMI));
    struct simproc_reply r = http_send("POST", u, NULL); /* operation 2: fails */
    assert_int_equal(r.status, 202);
    char aso[1024], loc[1024];
    assert_true(simproc_header(&r, "Azure-AsyncOperation", aso, sizeof(aso)));
    assert_true(simproc_header(&r, "Location", loc, sizeof(loc)));
    simproc_reply_free(&r);
    r = http_send("GET", aso, NULL);
    assert_int_equal(r.status, 200);
    cJSON *j = cJSON_Parse(r.body);
    assert_string_equal(simtest_jstr(j, "status"), "Failed");
    assert_non_null(simtest_jstr(j, "error.code"));
    assert_non_null(simtest_jstr(j, "error.message"));
    cJSON_Delete(j);
    simproc_reply_free(&r);
    /* The Location URL answers the ARM error body. */
    r = http_send("GET", loc, NULL);
    assert_true(r.status >= 400);
    j = cJSON_Parse(r.body);
    assert_non_null(simtest_jstr(j, "error.code"));
    cJSON_Delete(j);
    simproc_reply_free(&r);
    j = get_vm(&p, "f-01");
    assert_string_equal(simtest_jstr(j, "properties.status.powerState"), "Running");
    assert_true(strlen(simtest_jstr(j, "properties.status.errorCode")) > 0);
    cJSON_Delete(j);
    /* The next operation works. */
    power(&p, "f-01", "stop", false);
    assert_int_equal(simproc_stop(&p), 0);
}

static void test_fault_stuckstop(void **state)
{
    (void)state;
    static const char *const args[] = {"--fleet", "0",        "--hosts",       "2", "--op-ms",
                                       "0",       "--faults", "stuckstop:n=1", NULL};
    struct simproc p;
    assert_int_equal(simproc_start(&p, args), 0);
    create_vm(&p, "s-01", CL("seattle"), NULL);
    char u[1024];
    snprintf(u, sizeof(u), "%s/stop?" API, machine_url(&p, "s-01", VMI));
    struct simproc_reply r = http_send("POST", u, NULL);
    assert_int_equal(r.status, 202);
    char aso[1024];
    assert_true(simproc_header(&r, "Azure-AsyncOperation", aso, sizeof(aso)));
    simproc_reply_free(&r);
    assert_string_equal(poll_async(aso, 4), "InProgress");
    cJSON *j = get_vm(&p, "s-01");
    assert_string_equal(simtest_jstr(j, "properties.status.powerState"), "Stopping");
    cJSON_Delete(j);
    expect_error("POST", u, NULL, 409, "AnotherOperationInProgress", NULL);
    assert_int_equal(simproc_stop(&p), 0);
}

/* slow holds back only its own answer: other clients are served meanwhile, and stopping the
 * emulator answers the held request and exits cleanly. */
static void test_fault_slow_holds_one(void **state)
{
    (void)state;
    static const char *const args[] = {"--fleet", "2", "--faults", "slow:n=1:ms=600000", NULL};
    struct simproc p;
    assert_int_equal(simproc_start(&p, args), 0);
    int port = (int)strtol(strrchr(p.url, ':') + 1, NULL, 10);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    const char req[] = "GET " SUB "/providers/Microsoft.HybridCompute/machines"
                       "?api-version=2024-07-10 HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_int_equal(write(fd, req, sizeof(req) - 1), (ssize_t)(sizeof(req) - 1));
    /* Request 1 is held for ten minutes; request 2 is answered now (curl's 30 s timeout would
     * fail it otherwise). */
    char u[512];
    snprintf(u, sizeof(u),
             "%s" SUB "/providers/Microsoft.HybridCompute/machines"
             "?api-version=2024-07-10",
             p.url);
    expect("GET", u, NULL, 200);
    assert_int_equal(simproc_stop(&p), 0);
    char buf[64] = "";
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    assert_true(n > 12);
    buf[n] = '\0';
    assert_int_equal(strncmp(buf, "HTTP/1.1 200", 12), 0);
    close(fd);
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t n = 0;
    char chunk[4096];
    size_t k;
    while ((k = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        buf = realloc(buf, n + k + 1);
        memcpy(buf + n, chunk, k);
        n += k;
        buf[n] = '\0';
    }
    fclose(f);
    return buf;
}

/* Waits (up to 10 s) for the state file to hold a machine line for name containing needle: the
 * deferred save has to come without any further request. */
static bool state_shows(const char *path, const char *name, const char *needle)
{
    char head[128];
    snprintf(head, sizeof(head), "{\"name\":\"%s\",", name);
    for (int i = 0; i < 1000; i++) {
        char *text = read_all(path);
        bool found = false;
        for (char *line = text; line && *line && !found;) {
            char *nl = strchr(line, '\n');
            if (nl)
                *nl = '\0';
            found = strncmp(line, head, strlen(head)) == 0 && strstr(line, needle) != NULL;
            line = nl ? nl + 1 : NULL;
        }
        free(text);
        if (found)
            return true;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return false;
}

static void test_state_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/gpup-sim-state-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/fleet.json", dir);
    const char *const args[] = {"--fleet", "20",      "--hosts", "4", "--op-ms",
                                "0",       "--state", path,      NULL};
    struct simproc p;
    assert_int_equal(simproc_start(&p, args), 0);
    create_vm(&p, "keep-01", CL("seattle"), NULL);
    power(&p, "keep-01", "stop", false);
    patch_gpus(&p, "keep-01", "[{\"assignmentType\":\"GpuP\"}]", false);
    char *before = vm_text(&p, "keep-01");
    /* Saved within ~200 ms of the last change, without another request: a kill -9 after that
     * keeps it. */
    assert_true(state_shows(path, "keep-01", "\"assignmentType\":\"GpuP\""));
    kill(p.pid, SIGKILL);
    waitpid(p.pid, NULL, 0);
    p.pid = 0;
    close(p.out_fd);
    p.out_fd = -1;
    assert_int_equal(simproc_start(&p, args), 0);
    char *after = vm_text(&p, "keep-01");
    assert_string_equal(before, after);
    free(after);
    /* Changes after the restart persist across a clean stop too. */
    power(&p, "keep-01", "start", false);
    assert_int_equal(simproc_stop(&p), 0);
    assert_int_equal(simproc_start(&p, args), 0);
    cJSON *j = get_vm(&p, "keep-01");
    assert_string_equal(simtest_jstr(j, "properties.status.powerState"), "Running");
    assert_int_equal(cJSON_GetArraySize(gpus_of(j)), 1);
    cJSON_Delete(j);
    /* The pool came back too: the partition is still taken (15 left of 16). */
    char u[512];
    snprintf(u, sizeof(u),
             "%s" SUB "/resourceGroups/azlocal-seattle-rg/providers/"
             "Microsoft.AzureStackHCI/edgeMachines/node-01/gpus?api-version=2026-03-15-preview",
             p.url);
    struct simproc_reply r1 = http_send("GET", u, NULL);
    snprintf(u, sizeof(u),
             "%s" SUB "/resourceGroups/azlocal-seattle-rg/providers/"
             "Microsoft.AzureStackHCI/edgeMachines/node-02/gpus?api-version=2026-03-15-preview",
             p.url);
    struct simproc_reply r2 = http_send("GET", u, NULL);
    assert_true(strstr(r1.body, "keep-01") || strstr(r2.body, "keep-01"));
    simproc_reply_free(&r1);
    simproc_reply_free(&r2);
    assert_int_equal(simproc_stop(&p), 0);
    free(before);

    /* A corrupt state file: a clear error, exit 1, the file untouched. */
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"gpupSimState\":1, broken", f);
    fclose(f);
    char err[1024];
    assert_int_equal(simproc_run(args, err, sizeof(err)), 1);
    assert_non_null(strstr(err, path));
    char *text = read_all(path);
    assert_string_equal(text, "{\"gpupSimState\":1, broken");
    free(text);
    unlink(path);
    char tmp[300];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    unlink(tmp);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_vm, setup_empty, simtest_stop),
        cmocka_unit_test_setup_teardown(test_attach_async, setup_empty, simtest_stop),
        cmocka_unit_test_setup_teardown(test_attach_location, setup_empty, simtest_stop),
        cmocka_unit_test_setup_teardown(test_dda, setup_empty, simtest_stop),
        cmocka_unit_test_setup_teardown(test_rules, setup_empty, simtest_stop),
        cmocka_unit_test(test_busy_and_slow_ops),
        cmocka_unit_test(test_faults_http),
        cmocka_unit_test(test_fault_opfail),
        cmocka_unit_test(test_fault_stuckstop),
        cmocka_unit_test(test_fault_slow_holds_one),
        cmocka_unit_test(test_state_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
