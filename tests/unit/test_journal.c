/* SPDX-License-Identifier: MIT
 * tests/unit/test_journal.c: journal records (model/journal): encoding, parsing, replay into
 * operations and their state, torn and hostile lines, and that no secret is ever written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/journal.h"

#define VMID "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.HybridCompute/machines/" \
             "vm-017/providers/Microsoft.AzureStackHCI/virtualMachineInstances/default"
#define SECRET "SENTINEL-7f3a-SECRET"

static char path_stop[] = VMID "/stop?api-version=2025-09-01-preview";
static char path_patch[] = VMID "?api-version=2025-09-01-preview";
static char path_start[] = VMID "/start?api-version=2025-09-01-preview";
static char body_patch[] = "{\"properties\":{\"hardwareProfile\":{\"virtualMachineGPUs\":"
                           "[{\"assignmentType\":\"GpuP\",\"partitionSizeMB\":3648}]}}}";
static char sum_stop[] = "Stop vm-017 and wait until Stopped";
static char sum_patch[] = "Attach GPU-P to vm-017";
static char sum_start[] = "Start vm-017 and wait until Running";
static char vm_id[] = VMID;
static char vm_name[] = "vm-017";
static char gpup_text[] = "GpuP";

/* A running VM's attach plan, built by hand (the plan builder is model/plan's). */
static void make_attach_plan(struct plan *p, struct plan_step steps[3], struct vm_gpu *desired)
{
    memset(p, 0, sizeof(*p));
    memset(desired, 0, sizeof(*desired));
    desired->type = GPU_ASSIGN_P;
    desired->type_text = gpup_text;
    desired->partition_size_mb = 3648;
    steps[0] = (struct plan_step){STEP_STOP, "POST", path_stop, NULL, sum_stop, POWER_STOPPED,
                                  false};
    steps[1] = (struct plan_step){STEP_PATCH_GPUS, "PATCH", path_patch, body_patch, sum_patch,
                                  POWER_UNKNOWN, true};
    steps[2] = (struct plan_step){STEP_START, "POST", path_start, NULL, sum_start, POWER_RUNNING,
                                  false};
    p->kind = PLAN_GPU_CHANGE;
    p->vm_id = vm_id;
    p->vm_name = vm_name;
    p->steps = steps;
    p->n_steps = 3;
    p->desired = desired;
    p->n_desired = 1;
    p->downtime = true;
    p->before.power = POWER_RUNNING;
}

struct text {
    char data[16384];
    size_t len;
    size_t ends[16]; /* offset after each record */
    size_t n;
};

static void put(struct text *t, char *line)
{
    assert_non_null(line);
    size_t n = strlen(line);
    assert_true(n > 1 && line[n - 1] == '\n');
    assert_null(memchr(line, '\n', n - 1)); /* one line per record */
    assert_true(t->len + n < sizeof(t->data));
    memcpy(t->data + t->len, line, n);
    t->len += n;
    t->data[t->len] = '\0';
    t->ends[t->n++] = t->len;
    free(line);
}

/* The journal of a whole attach on a running VM: 1 + 3*2 + 1 = 8 records. */
static void whole_run(struct text *t, bool fail_patch)
{
    struct plan p;
    struct plan_step steps[3];
    struct vm_gpu desired;
    make_attach_plan(&p, steps, &desired);
    struct journal_op op;
    struct gp_error err;
    assert_int_equal(journal_op_from_plan(&op, "op-1", &p, 1000, &err), GP_OK);
    char *line;
    memset(t, 0, sizeof(*t));
    assert_int_equal(journal_encode_op_begin(&op, &line), GP_OK);
    put(t, line);
    static const enum power_state after[3] = {POWER_STOPPED, POWER_STOPPED, POWER_RUNNING};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(journal_encode_step_begin("op-1", i, 1001 + (int64_t)i, &line), GP_OK);
        put(t, line);
        if (fail_patch && i == 1) {
            gp_error_clear(&err);
            gp_error_set(&err, GP_E_HTTP, "409 VmMustBeStopped: the VM must be stopped");
            err.http_status = 409;
            assert_int_equal(journal_encode_step_end("op-1", i, JOUT_FAILED, &err, POWER_STOPPED,
                                                     1002, &line),
                             GP_OK);
            put(t, line);
            assert_int_equal(journal_encode_op_end("op-1", JOUT_FAILED, 1003, &line), GP_OK);
            put(t, line);
            journal_op_cleanup(&op);
            return;
        }
        assert_int_equal(journal_encode_step_end("op-1", i, JOUT_DONE, NULL, after[i],
                                                 1001 + (int64_t)i, &line),
                         GP_OK);
        put(t, line);
    }
    assert_int_equal(journal_encode_op_end("op-1", JOUT_DONE, 1010, &line), GP_OK);
    put(t, line);
    journal_op_cleanup(&op);
}

static void test_op_begin_round_trip(void **state)
{
    (void)state;
    struct text t;
    whole_run(&t, false);
    struct journal_ops ops;
    struct gp_error err;
    assert_int_equal(journal_replay(t.data, t.ends[0], 1100, &ops, &err), GP_OK);
    assert_int_equal(ops.n, 1);
    assert_int_equal(ops.skipped, 0);
    assert_false(ops.torn);
    const struct journal_op *op = &ops.ops[0];
    assert_string_equal(op->id, "op-1");
    assert_int_equal(op->kind, PLAN_GPU_CHANGE);
    assert_string_equal(op->vm_id, VMID);
    assert_string_equal(op->vm_name, "vm-017");
    assert_int_equal(op->before_power, POWER_RUNNING);
    assert_true(op->downtime);
    assert_int_equal(op->started, 1000);
    assert_int_equal(op->age_s, 100);
    assert_int_equal(op->n_desired, 1);
    assert_int_equal(op->desired[0].type, GPU_ASSIGN_P);
    assert_int_equal(op->desired[0].partition_size_mb, 3648);
    assert_int_equal(op->n_steps, 3);
    assert_int_equal(op->steps[0].kind, STEP_STOP);
    assert_string_equal(op->steps[0].method, "POST");
    assert_string_equal(op->steps[0].path, path_stop);
    assert_string_equal(op->steps[0].summary, sum_stop);
    assert_int_equal(op->steps[0].expect_power, POWER_STOPPED);
    assert_null(op->steps[0].body);
    assert_string_equal(op->steps[1].method, "PATCH");
    assert_string_equal(op->steps[1].body, body_patch);
    assert_true(op->steps[1].expect_gpus);
    assert_int_equal(op->steps[2].expect_power, POWER_RUNNING);
    assert_int_equal(op->state, JOP_UNFINISHED);
    assert_int_equal(op->next_step, 0);
    char line[512];
    assert_string_equal(journal_op_describe(op, line, sizeof(line)),
                        "op-1 gpu-change vm-017: unfinished at step 1/3 "
                        "(Stop vm-017 and wait until Stopped)");
    journal_ops_cleanup(&ops);
}

/* Cutting the journal after each record gives the state a kill at that point leaves. */
static void test_replay_at_each_record(void **state)
{
    (void)state;
    struct text t;
    whole_run(&t, false);
    assert_int_equal(t.n, 8);
    /* after record k: state, next step */
    static const struct {
        enum journal_op_state st;
        size_t next;
        bool begun_next;
    } want[8] = {
        {JOP_UNFINISHED, 0, false}, /* op-begin */
        {JOP_UNFINISHED, 0, true},  /* step-begin 0 */
        {JOP_UNFINISHED, 1, false}, /* step-end 0 */
        {JOP_UNFINISHED, 1, true},  /* step-begin 1 */
        {JOP_UNFINISHED, 2, false}, /* step-end 1 */
        {JOP_UNFINISHED, 2, true},  /* step-begin 2 */
        {JOP_UNFINISHED, 3, false}, /* step-end 2 */
        {JOP_DONE, 3, false},       /* op-end */
    };
    for (size_t k = 0; k < t.n; k++) {
        struct journal_ops ops;
        assert_int_equal(journal_replay(t.data, t.ends[k], 2000, &ops, NULL), GP_OK);
        assert_int_equal(ops.n, 1);
        assert_int_equal(ops.skipped, 0);
        assert_int_equal(ops.ops[0].state, want[k].st);
        assert_int_equal(ops.ops[0].next_step, want[k].next);
        if (want[k].next < 3)
            assert_int_equal(ops.ops[0].steps[want[k].next].begun, want[k].begun_next);
        assert_int_equal(ops.ops[0].failed_step, SIZE_MAX);
        journal_ops_cleanup(&ops);
    }
    struct journal_ops ops;
    assert_int_equal(journal_replay(t.data, t.len, 2000, &ops, NULL), GP_OK);
    assert_int_equal(ops.ops[0].last_power, POWER_RUNNING);
    assert_int_equal(ops.ops[0].updated, 1010);
    char line[256];
    assert_string_equal(journal_op_describe(&ops.ops[0], line, sizeof(line)),
                        "op-1 gpu-change vm-017: done");
    journal_ops_cleanup(&ops);
}

static void test_failed_step_then_resumed(void **state)
{
    (void)state;
    struct text t;
    whole_run(&t, true);
    struct journal_ops ops;
    assert_int_equal(journal_replay(t.data, t.len, 2000, &ops, NULL), GP_OK);
    const struct journal_op *op = &ops.ops[0];
    assert_int_equal(op->state, JOP_FAILED);
    assert_true(journal_op_needs_attention(op));
    assert_int_equal(op->failed_step, 1);
    assert_int_equal(op->next_step, 1);
    assert_int_equal(op->last_power, POWER_STOPPED);
    assert_string_equal(op->steps[1].error, "409 VmMustBeStopped: the VM must be stopped");
    char line[256];
    assert_string_equal(journal_op_describe(op, line, sizeof(line)),
                        "op-1 gpu-change vm-017: failed at step 2/3: "
                        "409 VmMustBeStopped: the VM must be stopped");
    journal_ops_cleanup(&ops);

    /* `gpup ops resume` retries step 2: the operation is unfinished again, then done. */
    char *rec;
    assert_int_equal(journal_encode_step_begin("op-1", 1, 3000, &rec), GP_OK);
    put(&t, rec);
    assert_int_equal(journal_replay(t.data, t.len, 3000, &ops, NULL), GP_OK);
    assert_int_equal(ops.ops[0].state, JOP_UNFINISHED);
    assert_int_equal(ops.ops[0].next_step, 1);
    assert_string_equal(ops.ops[0].steps[1].error, "");
    journal_ops_cleanup(&ops);
    assert_int_equal(journal_encode_step_end("op-1", 1, JOUT_DONE, NULL, POWER_STOPPED, 3001,
                                             &rec),
                     GP_OK);
    put(&t, rec);
    assert_int_equal(journal_encode_step_end("op-1", 2, JOUT_SKIPPED, NULL, POWER_RUNNING, 3002,
                                             &rec),
                     GP_OK);
    put(&t, rec);
    assert_int_equal(journal_encode_op_end("op-1", JOUT_DONE, 3003, &rec), GP_OK);
    put(&t, rec);
    assert_int_equal(journal_replay(t.data, t.len, 3000, &ops, NULL), GP_OK);
    assert_int_equal(ops.ops[0].state, JOP_DONE);
    assert_int_equal(ops.ops[0].next_step, 3);
    assert_int_equal(ops.ops[0].failed_step, SIZE_MAX);
    assert_int_equal(ops.ops[0].age_s, 0);
    journal_ops_cleanup(&ops);
}

/* A write cut short leaves half a line at the end: it is ignored, the rest stands. */
static void test_ops_json(void **state)
{
    (void)state;
    struct text t;
    whole_run(&t, true);
    struct journal_ops ops;
    assert_int_equal(journal_replay(t.data, t.len, 1013, &ops, NULL), GP_OK);
    char *json;
    assert_int_equal(journal_ops_to_json(&ops, true, &json), GP_OK);
    assert_string_equal(
        json, "[{\"id\":\"op-1\",\"kind\":\"gpu-change\",\"vmName\":\"vm-017\",\"vmId\":\"" VMID
              "\",\"state\":\"failed\",\"needsAttention\":true,\"started\":1000,"
              "\"updated\":1003,\"ageSeconds\":10,\"power\":\"Stopped\",\"nextStep\":2,"
              "\"failedStep\":2,\"error\":\"409 VmMustBeStopped: the VM must be stopped\","
              "\"steps\":[{\"index\":1,\"kind\":\"stop\",\"method\":\"POST\",\"summary\":"
              "\"Stop vm-017 and wait until Stopped\",\"state\":\"done\"},{\"index\":2,"
              "\"kind\":\"patch-gpus\",\"method\":\"PATCH\",\"summary\":\"Attach GPU-P to "
              "vm-017\",\"state\":\"failed\"},{\"index\":3,\"kind\":\"start\",\"method\":"
              "\"POST\",\"summary\":\"Start vm-017 and wait until Running\",\"state\":"
              "\"pending\"}]}]");
    free(json);
    journal_ops_cleanup(&ops);
    whole_run(&t, false);
    assert_int_equal(journal_replay(t.data, t.len, 1013, &ops, NULL), GP_OK);
    assert_int_equal(journal_ops_to_json(&ops, true, &json), GP_OK);
    assert_string_equal(json, "[]");
    free(json);
    assert_int_equal(journal_ops_to_json(&ops, false, &json), GP_OK);
    assert_non_null(strstr(json, "\"state\":\"done\",\"needsAttention\":false"));
    assert_non_null(strstr(json, "\"nextStep\":null,\"failedStep\":null,\"error\":null"));
    free(json);
    journal_ops_cleanup(&ops);
}

static void test_torn_last_line(void **state)
{
    (void)state;
    struct text t;
    whole_run(&t, false);
    for (size_t cut = t.ends[3] + 1; cut < t.ends[4] - 1; cut += 7) {
        struct journal_ops ops;
        assert_int_equal(journal_replay(t.data, cut, 2000, &ops, NULL), GP_OK);
        assert_true(ops.torn);
        assert_int_equal(ops.skipped, 0);
        assert_int_equal(ops.n, 1);
        assert_int_equal(ops.ops[0].next_step, 1);
        assert_true(ops.ops[0].steps[1].begun);
        journal_ops_cleanup(&ops);
    }
    /* A torn line that the next writer closed with '\n' counts as skipped, not torn. */
    char buf[16384];
    size_t cut = t.ends[3] + 20;
    memcpy(buf, t.data, cut);
    buf[cut] = '\n';
    memcpy(buf + cut + 1, t.data + t.ends[3], t.len - t.ends[3]);
    struct journal_ops ops;
    assert_int_equal(journal_replay(buf, cut + 1 + t.len - t.ends[3], 2000, &ops, NULL), GP_OK);
    assert_false(ops.torn);
    assert_int_equal(ops.skipped, 1);
    assert_int_equal(ops.ops[0].state, JOP_DONE);
    journal_ops_cleanup(&ops);
}

static void test_hostile_lines(void **state)
{
    (void)state;
    struct text t;
    whole_run(&t, false);
    char *big = malloc(JOURNAL_LINE_MAX + 100);
    assert_non_null(big);
    memset(big, '[', JOURNAL_LINE_MAX + 10);
    big[JOURNAL_LINE_MAX + 10] = '\n';
    big[JOURNAL_LINE_MAX + 11] = '\0';
    char deep[4096];
    memset(deep, '[', 3000);
    memcpy(deep + 3000, "\n", 2);
    const char *const bad[] = {
        "garbage\n",
        "[]\n",
        "42\n",
        "{}\n",
        "{\"rec\":\"op-end\",\"op\":\"nobody\",\"t\":5,\"outcome\":\"done\"}\n",
        "{\"rec\":\"step-end\",\"op\":\"op-1\",\"t\":5,\"step\":3,\"outcome\":\"done\"}\n",
        "{\"rec\":\"step-end\",\"op\":\"op-1\",\"t\":5,\"step\":-1,\"outcome\":\"done\"}\n",
        "{\"rec\":\"step-end\",\"op\":\"op-1\",\"t\":5,\"step\":1.5,\"outcome\":\"done\"}\n",
        "{\"rec\":\"step-end\",\"op\":\"op-1\",\"t\":1e300,\"step\":0,\"outcome\":\"done\"}\n",
        "{\"rec\":\"step-end\",\"op\":\"op-1\",\"t\":\"5\",\"step\":0,\"outcome\":\"done\"}\n",
        "{\"rec\":\"explode\",\"op\":\"op-1\",\"t\":5}\n",
        "{\"rec\":\"op-end\",\"op\":\"op-1\",\"t\":5,\"outcome\":\"skipped\"}\n",
        "{\"rec\":\"op-end\",\"op\":\"op 1;rm -rf\",\"t\":5,\"outcome\":\"done\"}\n",
        /* a second op-begin for an existing id */
        "{\"rec\":\"op-begin\",\"op\":\"op-1\",\"t\":5,\"kind\":\"power\",\"vm_id\":\"/x\","
        "\"vm_name\":\"x\",\"before\":{},\"steps\":[]}\n",
        /* a path that is not a path, a method that is not ours, too many steps */
        "{\"rec\":\"op-begin\",\"op\":\"op-2\",\"t\":5,\"kind\":\"power\",\"vm_id\":\"/x\","
        "\"vm_name\":\"x\",\"before\":{},\"steps\":[{\"kind\":\"stop\",\"method\":\"POST\","
        "\"path\":\"https://evil.example/x\"}]}\n",
        "{\"rec\":\"op-begin\",\"op\":\"op-3\",\"t\":5,\"kind\":\"power\",\"vm_id\":\"/x\","
        "\"vm_name\":\"x\",\"before\":{},\"steps\":[{\"kind\":\"stop\",\"method\":\"DELETE\","
        "\"path\":\"/x\"}]}\n",
        /* a step that addresses another VM than the operation's */
        "{\"rec\":\"op-begin\",\"op\":\"op-7\",\"t\":5,\"kind\":\"power\",\"vm_id\":"
        "\"/subscriptions/s/resourceGroups/r/providers/Microsoft.HybridCompute/machines/vm-1\","
        "\"vm_name\":\"vm-1\",\"before\":{},\"steps\":[{\"kind\":\"stop\",\"method\":"
        "\"POST\",\"path\":\"/subscriptions/s/resourceGroups/r/providers/"
        "Microsoft.HybridCompute/machines/vm-10/stop\"}]}\n",
        "{\"rec\":\"op-begin\",\"op\":\"op-4\",\"t\":5,\"kind\":\"power\",\"vm_id\":\"/x\","
        "\"vm_name\":\"x\",\"before\":{},\"steps\":[1,2,3,4,5,6,7,8,9]}\n",
        "{\"rec\":\"op-begin\",\"op\":\"op-5\",\"t\":5,\"kind\":\"power\",\"vm_id\":\"/x\","
        "\"vm_name\":\"x\",\"before\":{},\"desired\":[{\"type\":7}],\"steps\":[]}\n",
        big,
        deep,
    };
    char *all = malloc(t.len + JOURNAL_LINE_MAX + 16384);
    assert_non_null(all);
    size_t n = 0;
    memcpy(all, t.data, t.ends[0]); /* the op-begin */
    n = t.ends[0];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        size_t l = strlen(bad[i]);
        memcpy(all + n, bad[i], l);
        n += l;
    }
    /* An escape sequence in a name is made harmless; a step of the VM itself is accepted. */
    static const char esc[] =
        "{\"rec\":\"op-begin\",\"op\":\"op-6\",\"t\":5,\"kind\":\"power\",\"vm_id\":\"/x\","
        "\"vm_name\":\"vm\\u001b]0;pwned\\u0007x\",\"before\":{\"power\":\"Running\"},"
        "\"steps\":[{\"kind\":\"start\",\"method\":\"POST\",\"path\":\"/x/start\"}]}\n";
    memcpy(all + n, esc, sizeof(esc) - 1);
    n += sizeof(esc) - 1;
    memcpy(all + n, t.data + t.ends[0], t.len - t.ends[0]);
    n += t.len - t.ends[0];
    struct journal_ops ops;
    assert_int_equal(journal_replay(all, n, 2000, &ops, NULL), GP_OK);
    assert_int_equal(ops.skipped, sizeof(bad) / sizeof(bad[0]));
    assert_false(ops.torn);
    assert_int_equal(ops.n, 2);
    assert_string_equal(ops.ops[0].id, "op-1");
    assert_int_equal(ops.ops[0].state, JOP_DONE);
    assert_int_equal(ops.ops[0].kind, PLAN_GPU_CHANGE);
    assert_string_equal(ops.ops[1].id, "op-6");
    assert_int_equal(ops.ops[1].n_steps, 1);
    assert_true(journal_op_needs_attention(&ops.ops[1]));
    assert_false(journal_op_needs_attention(&ops.ops[0]));
    assert_null(strchr(ops.ops[1].vm_name, '\033'));
    assert_null(strchr(ops.ops[1].vm_name, '\007'));
    journal_ops_cleanup(&ops);
    free(all);
    free(big);
}

static void test_no_secrets_written(void **state)
{
    (void)state;
    /* A create plan: its bodies carry the admin user and key; none of it is journaled. */
    char body1[] = "{\"kind\":\"HCI\",\"properties\":{\"adminPassword\":\"" SECRET "\"}}";
    char body2[] = "{\"properties\":{\"osProfile\":{\"ssh\":\"" SECRET "\"}}}";
    char p1[] = "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.HybridCompute/"
                "machines/vm-9?api-version=2024-07-10";
    char p2[] = "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.HybridCompute/"
                "machines/vm-9/providers/Microsoft.AzureStackHCI/virtualMachineInstances/"
                "default?api-version=2025-09-01-preview";
    char s1[] = "Create the Arc machine vm-9", s2[] = "Create the VM instance of vm-9";
    struct plan_step steps[2] = {
        {STEP_CREATE_MACHINE, "PUT", p1, body1, s1, POWER_UNKNOWN, false},
        {STEP_CREATE_VMI, "PUT", p2, body2, s2, POWER_RUNNING, true},
    };
    struct plan p;
    memset(&p, 0, sizeof(p));
    p.kind = PLAN_CREATE;
    p.vm_id = p2;
    p.vm_name = s1 + 22;
    p.steps = steps;
    p.n_steps = 2;
    struct journal_op op;
    assert_int_equal(journal_op_from_plan(&op, "op-c", &p, 1, NULL), GP_OK);
    struct text t = {.len = 0, .n = 0};
    char *line;
    assert_int_equal(journal_encode_op_begin(&op, &line), GP_OK);
    put(&t, line);
    struct gp_error err;
    gp_error_clear(&err);
    gp_error_set(&err, GP_E_AUTH, "401 InvalidAuthenticationToken: Bearer " SECRET " expired");
    assert_int_equal(journal_encode_step_end("op-c", 0, JOUT_FAILED, &err, POWER_UNKNOWN, 2,
                                             &line),
                     GP_OK);
    put(&t, line);
    assert_null(strstr(t.data, SECRET));
    assert_null(strstr(t.data, "adminPassword"));
    assert_non_null(strstr(t.data, "Create the VM instance of vm-9"));
    assert_non_null(strstr(t.data, "401 InvalidAuthenticationToken"));
    journal_op_cleanup(&op);
}

static void test_find_by_prefix(void **state)
{
    (void)state;
    struct text t = {.len = 0, .n = 0};
    struct plan p;
    struct plan_step steps[3];
    struct vm_gpu desired;
    make_attach_plan(&p, steps, &desired);
    static const char *const ids[] = {"20261125T0901Z-a1", "20261125T0902Z-b2",
                                      "20261125T0902Z-b3"};
    for (size_t i = 0; i < 3; i++) {
        struct journal_op op;
        assert_int_equal(journal_op_from_plan(&op, ids[i], &p, 10, NULL), GP_OK);
        char *line;
        assert_int_equal(journal_encode_op_begin(&op, &line), GP_OK);
        put(&t, line);
        journal_op_cleanup(&op);
    }
    struct journal_ops ops;
    assert_int_equal(journal_replay(t.data, t.len, 10, &ops, NULL), GP_OK);
    assert_int_equal(ops.n, 3);
    bool amb;
    assert_ptr_equal(journal_ops_find(&ops, "20261125T0901", &amb), &ops.ops[0]);
    assert_false(amb);
    assert_null(journal_ops_find(&ops, "20261125T0902Z-b", &amb));
    assert_true(amb);
    assert_ptr_equal(journal_ops_find(&ops, "20261125T0902Z-b3", &amb), &ops.ops[2]);
    assert_null(journal_ops_find(&ops, "nope", &amb));
    assert_false(amb);
    journal_ops_cleanup(&ops);
}

/* The plan rebuilt from the journal carries what the executor needs to resume. */
/* A journal holding more operations than replay keeps: finished ones make room, never the
 * unfinished one from long ago that still needs its operator. */
static void test_old_unfinished_op_is_kept(void **state)
{
    (void)state;
    struct plan p;
    struct plan_step steps[3];
    struct vm_gpu desired;
    make_attach_plan(&p, steps, &desired);
    size_t total = JOURNAL_MAX_OPS + 10;
    size_t cap = total * 4096, len = 0;
    char *all = malloc(cap);
    assert_non_null(all);
    for (size_t i = 0; i < total; i++) {
        char id[JOURNAL_ID_MAX];
        (void)snprintf(id, sizeof(id), "20261125T0900Z-%05zu", i);
        struct journal_op op;
        assert_int_equal(journal_op_from_plan(&op, id, &p, 10 + (int64_t)i, NULL), GP_OK);
        char *lines[2] = {NULL, NULL};
        assert_int_equal(journal_encode_op_begin(&op, &lines[0]), GP_OK);
        if (i != 1) /* op 1 never ends: gpup was killed during it */
            assert_int_equal(journal_encode_op_end(id, JOUT_DONE, 20 + (int64_t)i, &lines[1]),
                             GP_OK);
        for (size_t k = 0; k < 2 && lines[k]; k++) {
            size_t n = strlen(lines[k]);
            assert_true(len + n < cap);
            memcpy(all + len, lines[k], n);
            len += n;
            free(lines[k]);
        }
        journal_op_cleanup(&op);
    }
    struct journal_ops ops;
    assert_int_equal(journal_replay(all, len, 5000, &ops, NULL), GP_OK);
    assert_int_equal(ops.n, JOURNAL_MAX_OPS);
    bool amb;
    const struct journal_op *old = journal_ops_find(&ops, "20261125T0900Z-00001", &amb);
    assert_non_null(old);
    assert_true(journal_op_needs_attention(old));
    assert_null(journal_ops_find(&ops, "20261125T0900Z-00000", &amb)); /* done: made room */
    assert_non_null(journal_ops_find(&ops, "20261125T0900Z-04105", &amb)); /* the newest */
    assert_null(journal_ops_find(&ops, "20261125T0900Z-00010", &amb)); /* the 10th to go */
    assert_non_null(journal_ops_find(&ops, "20261125T0900Z-00011", &amb));
    journal_ops_cleanup(&ops);
    free(all);
}

static void test_op_to_plan(void **state)
{
    (void)state;
    struct text t;
    whole_run(&t, false);
    struct journal_ops ops;
    assert_int_equal(journal_replay(t.data, t.ends[0], 10, &ops, NULL), GP_OK);
    struct plan p;
    memset(&p, 0, sizeof(p));
    assert_int_equal(journal_op_to_plan(&ops.ops[0], &p, NULL), GP_OK);
    assert_int_equal(p.kind, PLAN_GPU_CHANGE);
    assert_string_equal(p.vm_id, VMID);
    assert_string_equal(p.vm_name, "vm-017");
    assert_int_equal(p.before.power, POWER_RUNNING);
    assert_int_equal(p.n_steps, 3);
    assert_string_equal(p.steps[1].method, "PATCH");
    assert_string_equal(p.steps[1].path, path_patch);
    assert_string_equal(p.steps[1].body, body_patch);
    assert_true(p.steps[1].expect_gpus);
    assert_int_equal(p.steps[2].expect_power, POWER_RUNNING);
    assert_int_equal(p.n_desired, 1);
    assert_int_equal(p.desired[0].partition_size_mb, 3648);
    /* freed by hand: plan_cleanup is model/plan's */
    for (size_t i = 0; i < p.n_steps; i++) {
        free(p.steps[i].path);
        free(p.steps[i].body);
        free(p.steps[i].summary);
    }
    free(p.steps);
    for (size_t i = 0; i < p.n_desired; i++) {
        free(p.desired[i].type_text);
        free(p.desired[i].gpu_name);
    }
    free(p.desired);
    free(p.vm_id);
    free(p.vm_name);
    free(p.before.id);
    free(p.before.name);
    free(p.before.gpus);
    journal_ops_cleanup(&ops);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_op_begin_round_trip),
        cmocka_unit_test(test_replay_at_each_record),
        cmocka_unit_test(test_failed_step_then_resumed),
        cmocka_unit_test(test_ops_json),
        cmocka_unit_test(test_torn_last_line),
        cmocka_unit_test(test_hostile_lines),
        cmocka_unit_test(test_no_secrets_written),
        cmocka_unit_test(test_find_by_prefix),
        cmocka_unit_test(test_old_unfinished_op_is_kept),
        cmocka_unit_test(test_op_to_plan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
