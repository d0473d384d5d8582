/* SPDX-License-Identifier: MIT
 * model/rules.c: the Azure Local GPU service rules (azure-local-api.md section 3). Every rule
 * is evaluated every time, so the Review screen can show each with passed / FAILED / unknown /
 * n/a, a one-line reason and, when failed, a fix; gpup-sim answers with the same table.
 * Host-dependent rules never guess: without an inventory they are "unknown". Pure: no I/O. */
#include "model/rules.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "model/plan.h"
#include "model/text.h"

/* --- table ------------------------------------------------------------------------------ */

struct rule_def {
    const char *name;
    int http;
    const char *code;
};

#define GP_RULE_DEF_(id, name, http, code) {name, http, code},
static const struct rule_def rule_defs[] = {RULES(GP_RULE_DEF_)};
#undef GP_RULE_DEF_

const char *rule_name(enum rule_id r)
{
    return (unsigned)r < RULE_COUNT ? rule_defs[r].name : "unknown-rule";
}

int rule_http_status(enum rule_id r)
{
    return (unsigned)r < RULE_COUNT ? rule_defs[r].http : 400;
}

const char *rule_error_code(enum rule_id r)
{
    return (unsigned)r < RULE_COUNT ? rule_defs[r].code : "InvalidParameter";
}

const char *rule_outcome_name(enum rule_outcome o)
{
    switch (o) {
    case RULE_PASSED:
        return "passed";
    case RULE_FAILED:
        return "FAILED";
    case RULE_UNKNOWN:
        return "unknown";
    case RULE_SKIPPED:
        return "n/a";
    default:
        return "?";
    }
}

/* --- helpers ---------------------------------------------------------------------------- */

#define GPUS_PATH "properties.hardwareProfile.virtualMachineGPUs"

static void result_set(struct rule_result *r, enum rule_outcome o, const char *fmt, ...)
    GP_PRINTF(3, 4);
/* Reasons and fixes name VMs and hosts as the service sent them: sanitized here, so that no
 * caller can print a terminal escape sequence from them. */
static void result_set(struct rule_result *r, enum rule_outcome o, const char *fmt, ...)
{
    r->outcome = o;
    char raw[sizeof(r->reason)];
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(raw, sizeof(raw), fmt, ap);
    va_end(ap);
    text_sanitize(r->reason, sizeof(r->reason), raw);
}

static void result_fix(struct rule_result *r, const char *fmt, ...) GP_PRINTF(2, 3);
static void result_fix(struct rule_result *r, const char *fmt, ...)
{
    char raw[sizeof(r->fix)];
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(raw, sizeof(raw), fmt, ap);
    va_end(ap);
    text_sanitize(r->fix, sizeof(r->fix), raw);
}

static void result_target(struct rule_result *r, const char *fmt, ...) GP_PRINTF(2, 3);
static void result_target(struct rule_result *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(r->target, sizeof(r->target), fmt, ap);
    va_end(ap);
}

/* What every rule needs to know, worked out once. */
struct rule_ctx {
    const struct rule_input *in;
    const char *vm;             /* name for messages */
    const struct host *host;    /* the VM's host in the inventory, or NULL */
    const char *location;       /* the VM's custom location, or NULL */
    const char *where;          /* "node-02" or "the cluster", for messages */
    size_t n_p, n_dda, n_bad;   /* desired items by type */
    bool keeps_partition;       /* the VM has a partition now and keeps one */
    bool changes;               /* the desired list differs from the current one */
    bool inventory;             /* cluster->inventory_known */
};

static bool host_ok_for_vm(const struct host *h, const char *location)
{
    return !location || !h->custom_location || str_ieq(h->custom_location, location);
}

/* --- the rules ---------------------------------------------------------------------------- */

static void check_valid_type(const struct rule_ctx *x, struct rule_result *r)
{
    const struct rule_input *in = x->in;
    for (size_t i = 0; i < in->n_desired; i++) {
        const struct vm_gpu *g = &in->desired[i];
        if (g->type == GPU_ASSIGN_DDA || g->type == GPU_ASSIGN_P)
            continue;
        char shown[48];
        if (g->type_text)
            result_set(r, RULE_FAILED, "GPU %zu has assignmentType \"%s\"; only GpuDDA and GpuP "
                       "exist", i + 1, text_sanitize(shown, sizeof(shown), g->type_text));
        else
            result_set(r, RULE_FAILED, "GPU %zu has no assignmentType", i + 1);
        result_fix(r, "Choose GPU Partition (GpuP) or GPU passthrough (GpuDDA)");
        result_target(r, GPUS_PATH "[%zu].assignmentType", i);
        return;
    }
    if (in->n_desired == 0)
        result_set(r, RULE_PASSED, "No GPUs requested");
    else
        result_set(r, RULE_PASSED, "Every GPU entry is GpuP or GpuDDA");
}

static void check_one_partition(const struct rule_ctx *x, struct rule_result *r)
{
    if (x->n_p > 1) {
        result_set(r, RULE_FAILED, "%zu GPU partitions requested; a VM can have at most one",
                   x->n_p);
        result_fix(r, "Keep a single GPU Partition entry");
        result_target(r, GPUS_PATH);
    } else if (x->n_p == 1) {
        result_set(r, RULE_PASSED, "One GPU partition requested");
    } else {
        result_set(r, RULE_PASSED, "No GPU partition requested");
    }
}

static void check_no_mixing(const struct rule_ctx *x, struct rule_result *r)
{
    if (x->n_p > 0 && x->n_dda > 0) {
        result_set(r, RULE_FAILED, "GPU-P and DDA requested together");
        result_fix(r, "Use either one GPU Partition or DDA GPUs, not both");
        result_target(r, GPUS_PATH);
    } else if (x->n_p > 0) {
        result_set(r, RULE_PASSED, "Only GPU-P requested");
    } else if (x->n_dda > 0) {
        result_set(r, RULE_PASSED, "Only DDA requested");
    } else {
        result_set(r, RULE_PASSED, "No GPUs requested");
    }
}

/* The partition size of the VM's host (or cluster), -1 when unknown. */
static long ctx_partition_size(const struct rule_ctx *x)
{
    if (!x->inventory)
        return x->in->cluster->partition_size_mb_config;
    struct partition_pool p = cluster_pool(x->in->cluster, x->host, x->location);
    return p.partition_size_mb;
}

static void check_auto_assigned(const struct rule_ctx *x, struct rule_result *r)
{
    const struct rule_input *in = x->in;
    if (x->n_p == 0) {
        result_set(r, RULE_SKIPPED, "No GPU partition requested");
        return;
    }
    long size = ctx_partition_size(x);
    for (size_t i = 0; i < in->n_desired; i++) {
        const struct vm_gpu *g = &in->desired[i];
        if (g->type != GPU_ASSIGN_P)
            continue;
        if (g->gpu_name) {
            char shown[64];
            result_set(r, RULE_FAILED, "The request names GPU \"%s\" for a partition; the "
                       "service picks partitions",
                       text_sanitize(shown, sizeof(shown), g->gpu_name));
            result_fix(r, "Remove gpuName from the GPU Partition entry");
            result_target(r, GPUS_PATH "[%zu].gpuName", i);
            return;
        }
        if (g->partition_size_mb < 0 || g->partition_size_mb == size)
            continue;
        if (size < 0 || !x->inventory) {
            result_set(r, RULE_UNKNOWN, "The request asks for %ld MB partitions; %s's partition "
                       "size is not known", g->partition_size_mb, x->where);
            return;
        }
        result_set(r, RULE_FAILED, "The request asks for %ld MB partitions; %s's partition size "
                   "is %ld MB", g->partition_size_mb, x->where, size);
        result_fix(r, "Leave the partition size out; the service uses the host's size");
        result_target(r, GPUS_PATH "[%zu].partitionSizeMB", i);
        return;
    }
    result_set(r, RULE_PASSED, "The service picks the partition");
}

static void check_vm_stopped(const struct rule_ctx *x, struct rule_result *r)
{
    const struct vm *vm = x->in->vm;
    if (x->in->creating) {
        result_set(r, RULE_SKIPPED, "A new VM gets its GPUs when it is created");
        return;
    }
    if (!x->changes) {
        result_set(r, RULE_SKIPPED, "The GPU list does not change");
        return;
    }
    enum power_state p = vm ? vm->power : POWER_UNKNOWN;
    const char *pname = vm && vm->power_text ? vm->power_text : power_state_name(p);
    char shown[32];
    text_sanitize(shown, sizeof(shown), pname);
    if (p == POWER_STOPPED || p == POWER_DEALLOCATED) {
        result_set(r, RULE_PASSED, "%s is %s", x->vm, shown);
    } else if (x->in->plan_stops_vm) {
        result_set(r, RULE_PASSED, "%s is %s; gpup stops it first", x->vm, shown);
    } else {
        result_set(r, RULE_FAILED, "%s is %s; GPUs change only on a stopped VM", x->vm, shown);
        result_fix(r, "Stop %s first, then change its GPUs", x->vm);
        result_target(r, GPUS_PATH);
    }
}

static void check_homogeneous(const struct rule_ctx *x, struct rule_result *r)
{
    if (x->n_p == 0) {
        result_set(r, RULE_SKIPPED, "Applies to GPU-P only");
        return;
    }
    if (!x->inventory) {
        result_set(r, RULE_UNKNOWN, "Host GPU inventory unavailable; cannot compare the nodes");
        return;
    }
    char why[160];
    if (cluster_is_homogeneous(x->in->cluster, x->location, why, sizeof(why))) {
        result_set(r, RULE_PASSED, "The cluster's nodes have the same GPUs and partition counts");
    } else {
        result_set(r, RULE_FAILED, "Cluster not homogeneous: %s", why);
        result_fix(r, "Give every node the same GPUs and partition count (cluster admin), or "
                   "use DDA");
        result_target(r, GPUS_PATH);
    }
}

/* Hosts to look at: the VM's host, else every host of its custom location. */
static bool ctx_host_counts(const struct rule_ctx *x, const struct host *h)
{
    if (x->host)
        return h == x->host;
    return host_ok_for_vm(h, x->location);
}

/* True when h can give this VM n_dda DDA GPUs (free, or already held by this VM; matching the
 * gpuName of each entry that names one). */
static bool host_fits_dda(const struct rule_ctx *x, const struct host *h)
{
    const struct rule_input *in = x->in;
    bool taken[HOST_MAX_GPUS] = {false};
    const char *me = in->vm ? in->vm->name : NULL;
    for (size_t i = 0; i < in->n_desired; i++) {
        const struct vm_gpu *d = &in->desired[i];
        if (d->type != GPU_ASSIGN_DDA)
            continue;
        bool found = false;
        /* Named entries first would be optimal; entries are few and names rarely mixed. */
        for (size_t g = 0; g < h->n_gpus && g < HOST_MAX_GPUS && !found; g++) {
            const struct host_gpu *gpu = &h->gpus[g];
            if (taken[g] || gpu->mode != GPU_MODE_DDA)
                continue;
            if (gpu->dda_vm && !(me && str_eq(gpu->dda_vm, me)))
                continue;
            if (d->gpu_name && !str_ieq(d->gpu_name, gpu->model))
                continue;
            taken[g] = true;
            found = true;
        }
        if (!found)
            return false;
    }
    return true;
}

static int host_free_dda(const struct host *h, const char *me)
{
    int n = 0;
    for (size_t g = 0; g < h->n_gpus; g++)
        if (h->gpus[g].mode == GPU_MODE_DDA &&
            (!h->gpus[g].dda_vm || (me && str_eq(h->gpus[g].dda_vm, me))))
            n++;
    return n;
}

static void check_mode_available(const struct rule_ctx *x, struct rule_result *r)
{
    const struct cluster *c = x->in->cluster;
    if (x->n_p == 0 && x->n_dda == 0) {
        result_set(r, RULE_SKIPPED, "No GPU requested");
        return;
    }
    if (!x->inventory) {
        result_set(r, RULE_UNKNOWN, "Host GPU inventory unavailable; cannot see GPU modes");
        return;
    }
    if (x->n_p > 0) {
        struct partition_pool p = cluster_pool(c, x->host, x->location);
        bool any = false;
        for (size_t i = 0; i < c->n_hosts && !any; i++)
            for (size_t g = 0; ctx_host_counts(x, &c->hosts[i]) && g < c->hosts[i].n_gpus; g++)
                any = any || c->hosts[i].gpus[g].mode == GPU_MODE_GPUP;
        if (!any) {
            result_set(r, RULE_FAILED, "%s has no GPU in GPU-P mode", x->where);
            result_fix(r, "Switch a GPU of %s to GPU-P mode, or pick a VM on a host with GPU-P "
                       "GPUs", x->where);
            result_target(r, GPUS_PATH);
            return;
        }
        if (x->n_dda == 0) {
            result_set(r, RULE_PASSED, "%s has GPUs in GPU-P mode (%d partitions)", x->where,
                       p.total);
            return;
        }
    }
    /* DDA: one host must be able to give every DDA entry a free device. */
    const char *me = x->in->vm ? x->in->vm->name : NULL;
    int best_free = 0;
    bool fits = false;
    for (size_t i = 0; i < c->n_hosts && !fits; i++) {
        const struct host *h = &c->hosts[i];
        if (!ctx_host_counts(x, h))
            continue;
        int f = host_free_dda(h, me);
        if (f > best_free)
            best_free = f;
        fits = host_fits_dda(x, h);
    }
    if (fits) {
        result_set(r, RULE_PASSED, "%s has %s free DDA GPU%s", x->where,
                   x->n_dda > 1 ? "enough" : "a", x->n_dda > 1 ? "s" : "");
        return;
    }
    if (x->host)
        result_set(r, RULE_FAILED, "%s has %d free DDA GPU%s for %zu requested", x->where,
                   best_free, best_free == 1 ? "" : "s", x->n_dda);
    else
        result_set(r, RULE_FAILED, "No host of %s has %zu free DDA GPU%s of that model",
                   x->where, x->n_dda, x->n_dda == 1 ? "" : "s");
    result_fix(r, "Detach the DDA GPU from another VM on %s, or pick a VM on a host with a free "
               "DDA GPU", x->where);
    result_target(r, GPUS_PATH);
}

static void check_capacity(const struct rule_ctx *x, struct rule_result *r)
{
    if (x->n_p == 0) {
        result_set(r, RULE_SKIPPED, "No GPU partition requested");
        return;
    }
    if (x->keeps_partition) {
        result_set(r, RULE_PASSED, "%s keeps its partition; no new one needed", x->vm);
        return;
    }
    if (!x->inventory) {
        result_set(r, RULE_UNKNOWN, "Host GPU inventory unavailable; free partitions unknown");
        return;
    }
    struct partition_pool p = cluster_pool(x->in->cluster, x->host, x->location);
    int free_parts = p.total - p.used;
    if (free_parts < 0)
        free_parts = 0;
    const char *what = x->host ? "host " : "";
    if (free_parts > 0) {
        result_set(r, RULE_PASSED, "%s%s has %d of %d partitions free", what, x->where,
                   free_parts, p.total);
        return;
    }
    result_set(r, RULE_FAILED, "%s%s has 0 of %d partitions free", what, x->where, p.total);
    result_fix(r, "Delete a partition from another VM on %s, or pick a VM on a host with free "
               "partitions", x->where);
    result_target(r, GPUS_PATH);
}

/* --- entry ------------------------------------------------------------------------------- */

void rules_check(const struct rule_input *in, struct rule_report *out)
{
    memset(out, 0, sizeof(*out));
    for (int i = 0; i < RULE_COUNT; i++) {
        out->results[i].id = (enum rule_id)i;
        out->results[i].outcome = RULE_UNKNOWN;
    }
    static const struct cluster empty_cluster = {NULL, 0, false, -1};
    struct rule_input safe = *in;
    if (!safe.cluster)
        safe.cluster = &empty_cluster;
    if (!safe.desired)
        safe.n_desired = 0;

    struct rule_ctx x;
    memset(&x, 0, sizeof(x));
    x.in = &safe;
    const struct vm *vm = safe.vm;
    x.vm = vm && vm->name ? vm->name : "the VM";
    x.location = vm ? vm->custom_location : NULL;
    x.inventory = safe.cluster->inventory_known;
    if (vm && vm->host_node && !safe.creating) {
        x.host = cluster_find_host(safe.cluster, vm->host_node);
        if (x.host && !host_ok_for_vm(x.host, x.location))
            x.host = NULL;
    }
    x.where = x.host ? x.host->name : "the cluster";
    for (size_t i = 0; i < safe.n_desired; i++) {
        if (safe.desired[i].type == GPU_ASSIGN_P)
            x.n_p++;
        else if (safe.desired[i].type == GPU_ASSIGN_DDA)
            x.n_dda++;
        else
            x.n_bad++;
    }
    bool has_p = false;
    for (size_t i = 0; vm && !safe.creating && i < vm->n_gpus; i++)
        has_p = has_p || vm->gpus[i].type == GPU_ASSIGN_P;
    x.keeps_partition = has_p && x.n_p > 0;
    x.changes = safe.creating || !vm ||
                !gpu_lists_equal(vm->gpus, vm->n_gpus, safe.desired, safe.n_desired);

    for (int i = 0; i < RULE_COUNT; i++) {
        struct rule_result *r = &out->results[i];
        switch ((enum rule_id)i) {
        case RULE_VALID_TYPE:
            check_valid_type(&x, r);
            break;
        case RULE_ONE_PARTITION:
            check_one_partition(&x, r);
            break;
        case RULE_NO_MIXING:
            check_no_mixing(&x, r);
            break;
        case RULE_AUTO_ASSIGNED:
            check_auto_assigned(&x, r);
            break;
        case RULE_VM_STOPPED:
            check_vm_stopped(&x, r);
            break;
        case RULE_HOMOGENEOUS:
            check_homogeneous(&x, r);
            break;
        case RULE_MODE_AVAILABLE:
            check_mode_available(&x, r);
            break;
        case RULE_CAPACITY:
            check_capacity(&x, r);
            break;
        case RULE_COUNT:
        default:
            result_set(r, RULE_UNKNOWN, "Rule not evaluated");
            break;
        }
        if (r->outcome == RULE_FAILED) {
            if (out->n_failed == 0)
                out->first_failed = (enum rule_id)i;
            out->n_failed++;
        }
    }
}
