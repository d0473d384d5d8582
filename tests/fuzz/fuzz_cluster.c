/* SPDX-License-Identifier: MIT
 * tests/fuzz/fuzz_cluster.c: host GPU inventory JSON -> struct host, each GPU back to JSON
 * (which must read back the same), then pools, the homogeneous check, every service rule and
 * a GPU change plan over what was read, with the same bytes also read as a VM. Built by
 * `make fuzz` with libFuzzer and replayed by `make check` over tests/fuzz/corpus/cluster. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/cluster.h"
#include "model/plan.h"
#include "model/rules.h"
#include "model/text.h"
#include "model/vm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_or_abort(const struct host_gpu *a, const struct host_gpu *b)
{
    if (!str_eq(a->id, b->id) || !str_eq(a->model, b->model) || a->mode != b->mode ||
        a->partition_size_mb != b->partition_size_mb ||
        a->partitions_total != b->partitions_total || a->partitions_used != b->partitions_used ||
        a->n_partition_vms != b->n_partition_vms || !str_eq(a->dda_vm, b->dda_vm))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct gp_error err;
    struct cluster c;
    cluster_init(&c);
    c.hosts = calloc(1, sizeof(*c.hosts));
    if (!c.hosts)
        return 0;
    c.n_hosts = 1;
    c.inventory_known = true;
    struct host *h = &c.hosts[0];
    h->name = text_dup("node-01");
    h->custom_location = text_dup("cl");
    if (host_gpus_from_json(h, (const char *)data, size, &err) == GP_OK) {
        for (size_t i = 0; i < h->n_gpus; i++) {
            char *json = NULL;
            if (host_gpu_to_json(h, &h->gpus[i], "/x", &json) != GP_OK)
                continue;
            struct host back = {0};
            /* What we write we must read back unchanged. */
            if (host_gpus_from_json(&back, json, strlen(json), &err) != GP_OK ||
                back.n_gpus != 1)
                abort();
            same_or_abort(&h->gpus[i], &back.gpus[0]);
            host_cleanup(&back);
            free(json);
        }
    }
    (void)cluster_pool(&c, h, NULL);
    (void)cluster_pool(&c, NULL, "cl");
    char why[128];
    (void)cluster_is_homogeneous(&c, NULL, why, sizeof(why));

    /* The same bytes as a VM: its GPU list as the desired list, on node-01. */
    struct vm vm;
    vm_init(&vm);
    if (vm_from_json(&vm, (const char *)data, size, &err) == GP_OK) {
        struct rule_input in = {&vm, vm.gpus, vm.n_gpus, &c, true, false};
        struct rule_report rep;
        rules_check(&in, &rep);
        in.desired = NULL;
        in.n_desired = 0;
        in.plan_stops_vm = false;
        rules_check(&in, &rep);
        struct plan_options opt = {"2025-09-01-preview", "2024-07-10", false};
        struct plan p;
        if (plan_build_gpu_change(&vm, vm.gpus, vm.n_gpus, &opt, &p, &err) == GP_OK) {
            char *text = NULL;
            if (plan_format(&p, &text) == GP_OK)
                free(text);
            if (plan_to_json(&p, &text) == GP_OK)
                free(text);
        }
        plan_cleanup(&p);
        if (plan_build_gpu_change(&vm, NULL, 0, &opt, &p, &err) == GP_OK) {
            char *text = NULL;
            if (plan_to_json(&p, &text) == GP_OK)
                free(text);
        }
        plan_cleanup(&p);
    }
    vm_cleanup(&vm);
    cluster_cleanup(&c);
    return 0;
}
