/* SPDX-License-Identifier: MIT
 * tests/integration/test_sim_core.c: gpup-sim's modules without HTTP: the --faults grammar,
 * fleet generation and its pools, the state file round trip, operations completing from the
 * clock, and arm_handle answering a request struct directly. */
/* cmocka needs these first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "model/text.h"
#include "sim/arm.h"
#include "sim/faults.h"
#include "sim/fleet.h"
#include "sim/ops.h"
#include "sim/simrng.h"

#define SUBID "00000000-0000-0000-0000-000000000000"

static void test_faults_grammar(void **state)
{
    (void)state;
    struct faults f;
    struct gp_error err;
    assert_int_equal(faults_parse(&f, NULL, 1, &err), GP_OK);
    assert_int_equal(f.n, 0);
    assert_int_equal(faults_parse(&f,
                                  "429:p=0.1:retry=2,503:p=0.05,500:n=3,reset:n=5,"
                                  "slow:ms=2000:p=0.1,opfail:p=0.2,stuckstop:n=1",
                                  1, &err),
                     GP_OK);
    assert_int_equal(f.n, 7);
    assert_int_equal(f.rules[0].status, 429);
    assert_int_equal(f.rules[0].retry_s, 2);
    assert_int_equal(f.rules[2].n, 3);
    assert_int_equal(f.rules[4].kind, FAULT_SLOW);
    assert_int_equal(f.rules[4].ms, 2000);

    static const struct {
        const char *spec, *says;
    } bad[] = {
        {"418:p=0.5", "418"},     {"429", "exactly one"},   {"429:p=0.5:n=2", "exactly one"},
        {"429:p=1.5", "p=1.5"},   {"429:q=1", "q"},         {"500:n=0", "n=0"},
        {"slow:p", "NAME=VALUE"}, {"429:p=0.1,,", "empty"}, {"reset:n=-1", "n=-1"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        gp_error_clear(&err);
        assert_int_equal(faults_parse(&f, bad[i].spec, 1, &err), GP_E_INVALID);
        if (!strstr(err.message, bad[i].says))
            fail_msg("'%s': message \"%s\" lacks \"%s\"", bad[i].spec, err.message, bad[i].says);
    }
}

static void test_faults_fire(void **state)
{
    (void)state;
    struct faults f;
    struct gp_error err;
    assert_int_equal(
        faults_parse(&f, "500:n=2,reset:n=3,429:p=1,opfail:n=2,stuckstop:n=1", 9, &err), GP_OK);
    struct fault_action a = faults_on_request(&f);
    assert_int_equal(a.kind, FAULT_HTTP); /* 429:p=1 fires on every request not taken above */
    assert_int_equal(a.status, 429);
    a = faults_on_request(&f);
    assert_int_equal(a.status, 500); /* the first rule that fires wins */
    a = faults_on_request(&f);
    assert_int_equal(a.kind, FAULT_RESET);
    bool fail, stuck;
    faults_on_operation(&f, false, &fail, &stuck);
    assert_false(fail);
    assert_false(stuck);
    faults_on_operation(&f, true, &fail, &stuck); /* operation 2, stop 1 */
    assert_true(fail);
    assert_true(stuck);
    faults_on_operation(&f, true, &fail, &stuck);
    assert_false(fail);
    assert_false(stuck);

    /* p is drawn from the seed: two runs with one seed agree. */
    struct faults g, h;
    assert_int_equal(faults_parse(&g, "503:p=0.3", 42, &err), GP_OK);
    assert_int_equal(faults_parse(&h, "503:p=0.3", 42, &err), GP_OK);
    int fired = 0;
    for (int i = 0; i < 1000; i++) {
        struct fault_action x = faults_on_request(&g), y = faults_on_request(&h);
        assert_int_equal(x.kind, y.kind);
        fired += x.kind == FAULT_HTTP;
    }
    assert_true(fired > 200 && fired < 400);
}

static int count_gpup(const struct fleet *f)
{
    int n = 0;
    for (size_t i = 0; i < f->n_machines; i++) {
        const struct fleet_machine *m = &f->machines[i];
        for (size_t g = 0; m->has_vmi && g < m->vm.n_gpus; g++)
            n += m->vm.gpus[g].type == GPU_ASSIGN_P;
    }
    return n;
}

static void test_fleet_generate(void **state)
{
    (void)state;
    struct fleet f;
    struct gp_error err;
    fleet_init(&f);
    assert_int_equal(fleet_generate(&f, SUBID, 300, 10, 5, &err), GP_OK);
    assert_int_equal(f.n_vmi, 300);
    assert_int_equal(f.cluster.n_hosts, 10);
    assert_int_equal(f.n_sites, 5);
    assert_int_equal(f.n_machines, 310);
    /* Lookups are case-insensitive. */
    long i = fleet_find(&f, "ML-RG", "TRAIN-01");
    assert_true(i >= 0);
    assert_string_equal(f.machines[i].name, "train-01");
    assert_int_equal(fleet_find(&f, "ml-rg", "train-9999"), -1);
    /* The pools account for every partition and device the VMs hold. */
    int used = 0;
    for (size_t h = 0; h < f.cluster.n_hosts; h++)
        for (size_t g = 0; g < f.cluster.hosts[h].n_gpus; g++) {
            const struct host_gpu *hg = &f.cluster.hosts[h].gpus[g];
            used += hg->partitions_used;
            assert_true(hg->partitions_used <= hg->partitions_total);
            assert_int_equal((int)hg->n_partition_vms, hg->partitions_used);
        }
    assert_true(used > 0);
    assert_int_equal(used, count_gpup(&f));
    /* The non-homogeneous cluster (cl-chicago) holds no partition. */
    for (size_t h = 8; h < 10; h++)
        for (size_t g = 0; g < f.cluster.hosts[h].n_gpus; g++)
            assert_int_equal(f.cluster.hosts[h].gpus[g].partitions_used, 0);
    fleet_cleanup(&f);
}

static char *vm_json(const struct fleet *f, size_t idx)
{
    struct gp_buf b;
    gp_buf_init(&b, 1 << 20);
    assert_int_equal(fleet_vmi_json(f, idx, true, false, &b), GP_OK);
    return gp_buf_take(&b, NULL);
}

static void test_state_round_trip(void **state)
{
    (void)state;
    char dir[] = "/tmp/gpup-sim-core-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/state.json", dir);
    struct fleet a, b;
    struct gp_error err;
    fleet_init(&a);
    fleet_init(&b);
    assert_int_equal(fleet_load(&b, path, &err), GP_E_NOT_FOUND);
    assert_int_equal(fleet_generate(&a, SUBID, 120, 6, 3, &err), GP_OK);
    assert_int_equal(fleet_save(&a, path, &err), GP_OK);
    assert_int_equal(fleet_load(&b, path, &err), GP_OK);
    assert_int_equal(b.n_vmi, a.n_vmi);
    assert_int_equal(b.n_machines, a.n_machines);
    for (size_t i = 0; i < a.n_machines; i++) {
        if (!a.machines[i].has_vmi)
            continue;
        long j = fleet_find(&b, a.machines[i].rg, a.machines[i].name);
        assert_true(j >= 0);
        char *x = vm_json(&a, i), *y = vm_json(&b, (size_t)j);
        assert_string_equal(x, y);
        free(x);
        free(y);
    }
    for (size_t h = 0; h < a.cluster.n_hosts; h++)
        for (size_t g = 0; g < a.cluster.hosts[h].n_gpus; g++) {
            const struct host_gpu *x = &a.cluster.hosts[h].gpus[g];
            const struct host_gpu *y = &b.cluster.hosts[h].gpus[g];
            assert_int_equal(x->partitions_used, y->partitions_used);
            assert_true(str_eq(x->dda_vm, y->dda_vm));
        }
    fleet_cleanup(&b);

    /* Corrupt: an error naming the file; the fleet stays empty. */
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"gpupSimState\":1,\"subscription\":", f);
    fclose(f);
    fleet_init(&b);
    assert_int_equal(fleet_load(&b, path, &err), GP_E_PARSE);
    assert_non_null(strstr(err.message, path));
    assert_int_equal(b.n_machines, 0);
    f = fopen(path, "w");
    fputs("{\"something\":\"else\"}", f);
    fclose(f);
    assert_int_equal(fleet_load(&b, path, &err), GP_E_INVALID);
    fleet_cleanup(&b);
    fleet_cleanup(&a);
    unlink(path);
    rmdir(dir);
}

static void test_ops_clock(void **state)
{
    (void)state;
    struct fleet f;
    struct ops o;
    struct gp_error err;
    fleet_init(&f);
    assert_int_equal(fleet_generate(&f, SUBID, 40, 2, 1, &err), GP_OK);
    assert_int_equal(ops_init(&o, 1), GP_OK);
    size_t idx = 0;
    while (!f.machines[idx].has_vmi || f.machines[idx].vm.power != POWER_RUNNING)
        idx++;
    struct op *op = ops_begin(&o, &f, OP_STOP, idx, 1000, 1700000000000, 500);
    assert_non_null(op);
    assert_int_equal(f.machines[idx].vm.power, POWER_STOPPING);
    assert_true(f.machines[idx].op_seq != 0);
    char id[37];
    memcpy(id, op->id, sizeof(id));
    for (char *p = id; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    assert_ptr_equal(ops_find(&o, id), op); /* GUIDs compare case-insensitively */
    assert_null(ops_find(&o, "00000000-0000-0000-0000-000000000999"));
    assert_false(ops_advance(&o, &f, 1499));
    assert_int_equal(op->status, OP_RUNNING);
    struct gp_buf b;
    gp_buf_init(&b, 1 << 16);
    assert_int_equal(ops_status_json(op, &f, 1250, &b), GP_OK);
    assert_non_null(strstr(b.data, "\"status\":\"InProgress\""));
    assert_non_null(strstr(b.data, "\"percentComplete\":50"));
    assert_true(ops_advance(&o, &f, 1500));
    assert_int_equal(op->status, OP_SUCCEEDED);
    assert_int_equal(f.machines[idx].vm.power, POWER_STOPPED);
    assert_int_equal(f.machines[idx].op_seq, 0);
    gp_buf_reset(&b);
    assert_int_equal(ops_status_json(op, &f, 1600, &b), GP_OK);
    assert_non_null(strstr(b.data, "\"status\":\"Succeeded\""));
    assert_non_null(strstr(b.data, "\"endTime\":\"2023-11-14T22:13:20.500Z\""));

    /* A failing start: the VM keeps its power state and reports the error. */
    op = ops_begin(&o, &f, OP_START, idx, 2000, 1700000000000, 0);
    op->fail = true;
    assert_true(ops_advance(&o, &f, 2000));
    assert_int_equal(op->status, OP_FAILED);
    assert_int_equal(f.machines[idx].vm.power, POWER_STOPPED);
    assert_string_equal(f.machines[idx].vm.error_code, "OperationFailed");
    gp_buf_reset(&b);
    assert_int_equal(ops_status_json(op, &f, 2000, &b), GP_OK);
    assert_non_null(strstr(b.data, "\"error\":{\"code\":\"OperationFailed\""));
    gp_buf_cleanup(&b);
    ops_cleanup(&o);
    fleet_cleanup(&f);
}

static void test_arm_direct(void **state)
{
    (void)state;
    static struct arm_service s;
    struct gp_error err;
    memset(&s, 0, sizeof(s));
    fleet_init(&s.fleet);
    assert_int_equal(fleet_generate(&s.fleet, SUBID, 10, 2, 1, &err), GP_OK);
    assert_int_equal(ops_init(&s.ops, 1), GP_OK);
    assert_int_equal(faults_parse(&s.faults, NULL, 1, &err), GP_OK);
    s.set.page_size = 4;
    s.set.retry_after_s = 1;
    s.set.retry_after_ms = -1;
    struct arm_request q;
    memset(&q, 0, sizeof(q));
    q.method = "GET";
    q.path = "/subscriptions/" SUBID "/resourceGroups/ml-rg/providers/Microsoft.HybridCompute/"
             "machines";
    q.api_version = "2024-07-10";
    q.host = "example.test:1234";
    struct arm_response r;
    arm_handle(&s, &q, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"value\":["));
    arm_response_cleanup(&r);
    /* The same through a hostile path: too many segments is an unknown path. */
    q.path = "/subscriptions/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t/u/v/w/x/y/z/1/2/3";
    arm_handle(&s, &q, &r);
    assert_int_equal(r.status, 404);
    arm_response_cleanup(&r);
    /* Every answer carries the request ids. */
    bool rid = false;
    for (size_t i = 0; i < r.n_headers; i++)
        rid = rid || strcmp(r.headers[i].name, "x-ms-request-id") == 0;
    assert_true(rid);
    ops_cleanup(&s.ops);
    fleet_cleanup(&s.fleet);
}

/* Random requests built from ARM's vocabulary: every answer is a status with a JSON body (or
 * none), never a crash (run under ASan/UBSan by make check-san). */
static void test_arm_hostile(void **state)
{
    (void)state;
    static struct arm_service s;
    struct gp_error err;
    memset(&s, 0, sizeof(s));
    fleet_init(&s.fleet);
    assert_int_equal(fleet_generate(&s.fleet, SUBID, 30, 6, 2, &err), GP_OK);
    assert_int_equal(ops_init(&s.ops, 2), GP_OK);
    assert_int_equal(faults_parse(&s.faults, "500:p=0.01,opfail:p=0.2", 2, &err), GP_OK);
    s.set.page_size = 3;
    s.set.retry_after_ms = -1;
    static const char *const segs[] = {"subscriptions",
                                       SUBID,
                                       "resourceGroups",
                                       "ml-rg",
                                       "vdi-rg",
                                       "azlocal-seattle-rg",
                                       "providers",
                                       "Microsoft.HybridCompute",
                                       "machines",
                                       "train-01",
                                       "vdi-001",
                                       "Microsoft.AzureStackHCI",
                                       "virtualMachineInstances",
                                       "default",
                                       "stop",
                                       "start",
                                       "restart",
                                       "powerOff",
                                       "edgeMachines",
                                       "node-01",
                                       "gpus",
                                       "gpu-0",
                                       "locations",
                                       "westus2",
                                       "operationStatuses",
                                       "operationResults",
                                       "Microsoft.ResourceGraph",
                                       "resources",
                                       "",
                                       "%00",
                                       "..",
                                       "x"};
    /* DELETE is rare so that VMs live long enough to meet the rules. */
    static const char *const methods[] = {"GET", "PUT", "PATCH", "PATCH", "POST", "HEAD"};
    static const char *const versions[] = {
        "2025-09-01-preview", "2024-01-01",         "2024-07-10", "2021-03-01",
        "2026-03-15-preview", "2026-04-01-preview", "bogus",      NULL};
    static const char *const bodies[] = {
        NULL,
        "",
        "{",
        "[]",
        "null",
        "{\"location\":\"westus2\",\"kind\":\"HCI\"}",
        "{\"properties\":{\"hardwareProfile\":{\"virtualMachineGPUs\":[{\"assignmentType\":"
        "\"GpuP\"}]}}}",
        "{\"properties\":{\"hardwareProfile\":{\"virtualMachineGPUs\":[{\"assignmentType\":"
        "\"GpuDDA\",\"gpuName\":7}]}}}",
        "{\"properties\":{\"hardwareProfile\":{\"virtualMachineGPUs\":[]}}}",
        "{\"extendedLocation\":{\"name\":\"/subscriptions/" SUBID "/resourceGroups/azlocal-"
        "seattle-rg/providers/Microsoft.ExtendedLocation/customLocations/cl-seattle\"}}",
        "{\"query\":\"resources | where type =~ "
        "'microsoft.azurestackhci/virtualmachineinstances'\",\"options\":{\"$top\":\"7\","
        "\"$skipToken\":\"5\"}}",
        "{\"query\":17,\"subscriptions\":{}}",
        "\"\\ud800\"",
        "{\"a\":[[[[[[[[[[[[]]]]]]]]]]]]}"};
    struct simrng rng;
    simrng_seed(&rng, 12345);
    int seen[600] = {0};
    for (int i = 0; i < 20000; i++) {
        char path[512] = "";
        size_t len = 0;
        int n = 1 + (int)simrng_below(&rng, 14);
        for (int k = 0; k < n; k++) {
            const char *seg = segs[simrng_below(&rng, sizeof(segs) / sizeof(segs[0]))];
            int w = snprintf(path + len, sizeof(path) - len, "/%s", seg);
            if (w < 0 || (size_t)w >= sizeof(path) - len)
                break;
            len += (size_t)w;
        }
        if (i % 3 == 0) /* a well-formed VM path with a random tail */
            (void)snprintf(path, sizeof(path),
                           "/subscriptions/" SUBID "/resourceGroups/ml-rg/providers/"
                           "Microsoft.HybridCompute/machines/train-0%d/providers/"
                           "Microsoft.AzureStackHCI/virtualMachineInstances/default%s",
                           (int)simrng_below(&rng, 4), simrng_below(&rng, 3) ? "" : "/stop");
        struct arm_request q;
        memset(&q, 0, sizeof(q));
        q.method = simrng_below(&rng, 40) ? methods[simrng_below(&rng, 6)] : "DELETE";
        q.path = path;
        q.api_version = versions[simrng_below(&rng, 8)];
        q.skip_token = simrng_below(&rng, 5) ? NULL : "3";
        q.host = "h";
        q.content_type = simrng_below(&rng, 7) ? "application/json" : "text/plain";
        const char *body = bodies[simrng_below(&rng, sizeof(bodies) / sizeof(bodies[0]))];
        q.body = body;
        q.body_len = body ? strlen(body) : 0;
        q.now_ms = i;
        q.now_wall_ms = 1700000000000 + i;
        struct arm_response r;
        arm_handle(&s, &q, &r);
        if (r.status < 200 || r.status > 599)
            fail_msg("%s %s -> %d", q.method, path, r.status);
        seen[r.status]++;
        if (r.body && r.body_len) {
            cJSON *j = cJSON_ParseWithLength(r.body, r.body_len);
            if (!j)
                fail_msg("%s %s -> %d with a body that is not JSON", q.method, path, r.status);
            cJSON_Delete(j);
        }
        arm_response_cleanup(&r);
    }
    /* The mix reached the interesting answers, not only the routing errors. */
    static const int want[] = {200, 202, 204, 400, 404, 405, 409, 415, 500};
    for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++)
        if (seen[want[k]] == 0)
            fail_msg("no answer with status %d", want[k]);
    /* The pools still add up. */
    int used = 0;
    for (size_t h = 0; h < s.fleet.cluster.n_hosts; h++)
        for (size_t g = 0; g < s.fleet.cluster.hosts[h].n_gpus; g++) {
            const struct host_gpu *hg = &s.fleet.cluster.hosts[h].gpus[g];
            assert_true(hg->partitions_used >= 0 && hg->partitions_used <= hg->partitions_total);
            used += hg->partitions_used;
        }
    (void)ops_advance(&s.ops, &s.fleet, 1 << 30);
    int held = count_gpup(&s.fleet);
    used = 0;
    for (size_t h = 0; h < s.fleet.cluster.n_hosts; h++)
        for (size_t g = 0; g < s.fleet.cluster.hosts[h].n_gpus; g++)
            used += s.fleet.cluster.hosts[h].gpus[g].partitions_used;
    assert_int_equal(used, held);
    ops_cleanup(&s.ops);
    fleet_cleanup(&s.fleet);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_faults_grammar), cmocka_unit_test(test_faults_fire),
        cmocka_unit_test(test_fleet_generate), cmocka_unit_test(test_state_round_trip),
        cmocka_unit_test(test_ops_clock),      cmocka_unit_test(test_arm_direct),
        cmocka_unit_test(test_arm_hostile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
