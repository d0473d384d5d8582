/* SPDX-License-Identifier: MIT
 * sim/fleet.c: the emulator's store: machines, VM instances, clusters and their GPU pools,
 * the hash index, deterministic fleet generation and the state file. No HTTP here. */
#include "sim/fleet.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "model/json.h"
#include "model/text.h"
#include "sim/jsonw.h"
#include "sim/simrng.h"

/* --- basics -------------------------------------------------------------------------------- */

void fleet_init(struct fleet *f)
{
    memset(f, 0, sizeof(*f));
    cluster_init(&f->cluster);
    f->cluster.inventory_known = true;
}

static void machine_cleanup(struct fleet_machine *m)
{
    free(m->name);
    free(m->rg);
    free(m->location);
    vm_cleanup(&m->vm);
}

void fleet_cleanup(struct fleet *f)
{
    for (size_t i = 0; i < f->n_machines; i++)
        machine_cleanup(&f->machines[i]);
    free(f->machines);
    free(f->hash);
    for (size_t i = 0; i < f->n_rgs; i++) {
        free(f->rgs[i].name);
        free(f->rgs[i].idx);
    }
    free(f->rgs);
    for (size_t i = 0; i < f->n_sites; i++) {
        free(f->sites[i].name);
        free(f->sites[i].custom_location);
        free(f->sites[i].location);
        free(f->sites[i].rg);
    }
    free(f->sites);
    free(f->host_site);
    free(f->host_vms);
    cluster_cleanup(&f->cluster);
    free(f->subscription);
    fleet_init(f);
}

/* FNV-1a over lower-cased "rg/name": machine names are case-insensitive in ARM. */
static uint64_t key_hash(const char *rg, const char *name)
{
    uint64_t h = 1469598103934665603ULL;
    for (const char *p = rg; *p; p++)
        h = (h ^ (unsigned char)tolower((unsigned char)*p)) * 1099511628211ULL;
    h = (h ^ '/') * 1099511628211ULL;
    for (const char *p = name; *p; p++)
        h = (h ^ (unsigned char)tolower((unsigned char)*p)) * 1099511628211ULL;
    return h;
}

/* Slot of rg/name in the table: its entry, or the empty slot where it would go. */
static size_t hash_slot(const struct fleet *f, const char *rg, const char *name)
{
    size_t mask = f->hash_cap - 1;
    size_t i = (size_t)key_hash(rg, name) & mask;
    for (;;) {
        uint32_t v = f->hash[i];
        if (v == 0)
            return i;
        const struct fleet_machine *m = &f->machines[v - 1];
        if (str_ieq(m->name, name) && str_ieq(m->rg, rg))
            return i;
        i = (i + 1) & mask;
    }
}

static enum gp_status hash_grow(struct fleet *f)
{
    size_t cap = f->hash_cap ? f->hash_cap * 2 : 1024;
    uint32_t *old = f->hash;
    size_t old_cap = f->hash_cap;
    f->hash = calloc(cap, sizeof(*f->hash));
    if (!f->hash) {
        f->hash = old;
        return GP_E_NOMEM;
    }
    f->hash_cap = cap;
    for (size_t i = 0; i < old_cap; i++) {
        if (!old[i])
            continue;
        const struct fleet_machine *m = &f->machines[old[i] - 1];
        f->hash[hash_slot(f, m->rg, m->name)] = old[i];
    }
    free(old);
    return GP_OK;
}

/* Any machine (also deleted) named rg/name, or -1. */
static long find_any(const struct fleet *f, const char *rg, const char *name)
{
    if (!f->hash_cap || !rg || !name)
        return -1;
    uint32_t v = f->hash[hash_slot(f, rg, name)];
    return v ? (long)v - 1 : -1;
}

long fleet_find(const struct fleet *f, const char *rg, const char *name)
{
    long i = find_any(f, rg, name);
    return i >= 0 && !f->machines[i].deleted ? i : -1;
}

const struct fleet_rg *fleet_rg_find(const struct fleet *f, const char *rg)
{
    for (size_t i = 0; i < f->n_rgs; i++)
        if (str_ieq(f->rgs[i].name, rg))
            return &f->rgs[i];
    return NULL;
}

int fleet_site_find(const struct fleet *f, const char *cl)
{
    for (size_t i = 0; cl && i < f->n_sites; i++)
        if (str_ieq(f->sites[i].custom_location, cl))
            return (int)i;
    return -1;
}

int fleet_host_find(const struct fleet *f, const char *name)
{
    for (size_t i = 0; name && i < f->cluster.n_hosts; i++)
        if (str_ieq(f->cluster.hosts[i].name, name))
            return (int)i;
    return -1;
}

static enum gp_status rg_add(struct fleet *f, const char *rg, size_t idx)
{
    struct fleet_rg *g = (struct fleet_rg *)fleet_rg_find(f, rg);
    if (!g) {
        if (f->n_rgs >= FLEET_MAX_RGS)
            return GP_E_TOO_LARGE;
        if (f->n_rgs == f->cap_rgs) {
            size_t cap = f->cap_rgs ? f->cap_rgs * 2 : 16;
            struct fleet_rg *n = realloc(f->rgs, cap * sizeof(*n));
            if (!n)
                return GP_E_NOMEM;
            f->rgs = n;
            f->cap_rgs = cap;
        }
        g = &f->rgs[f->n_rgs];
        memset(g, 0, sizeof(*g));
        g->name = text_dup(rg);
        if (!g->name)
            return GP_E_NOMEM;
        f->n_rgs++;
    }
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 64;
        size_t *n = realloc(g->idx, cap * sizeof(*n));
        if (!n)
            return GP_E_NOMEM;
        g->idx = n;
        g->cap = cap;
    }
    g->idx[g->n++] = idx;
    return GP_OK;
}

static bool valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > FLEET_MAX_NAME)
        return false;
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.' && *p != '(' &&
            *p != ')')
            return false;
    return true;
}

enum gp_status fleet_put_machine(struct fleet *f, const char *rg, const char *name,
                                 const char *location, bool hci, size_t *out_idx, bool *out_created,
                                 struct gp_error *err)
{
    *out_idx = 0;
    *out_created = false;
    if (!valid_name(rg) || !valid_name(name))
        return gp_error_set(err, GP_E_INVALID, "The resource name '%s' is invalid.", name);
    long at = find_any(f, rg, name);
    if (at >= 0) {
        struct fleet_machine *m = &f->machines[at];
        *out_created = m->deleted;
        if (location && !str_eq(location, m->location)) {
            char *loc = text_dup(location);
            if (!loc)
                return gp_error_set(err, GP_E_NOMEM, "out of memory");
            free(m->location);
            m->location = loc;
        }
        m->hci = hci;
        m->deleted = false;
        *out_idx = (size_t)at;
        return GP_OK;
    }
    if (f->n_machines >= FLEET_MAX_MACHINES)
        return gp_error_set(err, GP_E_TOO_LARGE, "The subscription holds too many machines.");
    if ((f->n_machines + 1) * 2 > f->hash_cap && hash_grow(f) != GP_OK)
        return gp_error_set(err, GP_E_NOMEM, "out of memory");
    if (f->n_machines == f->cap_machines) {
        size_t cap = f->cap_machines ? f->cap_machines * 2 : 256;
        struct fleet_machine *n = realloc(f->machines, cap * sizeof(*n));
        if (!n)
            return gp_error_set(err, GP_E_NOMEM, "out of memory");
        f->machines = n;
        f->cap_machines = cap;
    }
    struct fleet_machine *m = &f->machines[f->n_machines];
    memset(m, 0, sizeof(*m));
    vm_init(&m->vm);
    m->host = -1;
    memset(m->slot, -1, sizeof(m->slot));
    m->name = text_dup(name);
    m->rg = text_dup(rg);
    m->location = text_dup(location ? location : "eastus");
    m->hci = hci;
    if (!m->name || !m->rg || !m->location) {
        machine_cleanup(m);
        return gp_error_set(err, GP_E_NOMEM, "out of memory");
    }
    /* The existing group's spelling wins, as ARM keeps the group's own name. */
    const struct fleet_rg *g = fleet_rg_find(f, rg);
    if (g && !str_eq(g->name, rg)) {
        char *same = text_dup(g->name);
        if (!same) {
            machine_cleanup(m);
            return gp_error_set(err, GP_E_NOMEM, "out of memory");
        }
        free(m->rg);
        m->rg = same;
    }
    enum gp_status st = rg_add(f, m->rg, f->n_machines);
    if (st != GP_OK) {
        machine_cleanup(m);
        return gp_error_set(err, st, "Too many resource groups.");
    }
    f->hash[hash_slot(f, m->rg, m->name)] = (uint32_t)(f->n_machines + 1);
    *out_idx = f->n_machines++;
    *out_created = true;
    return GP_OK;
}

void fleet_remove_vmi(struct fleet *f, size_t idx)
{
    struct fleet_machine *m = &f->machines[idx];
    if (!m->has_vmi)
        return;
    fleet_gpus_release(f, m->host, m->vm.gpus, m->vm.n_gpus, m->slot, m->vm.name);
    if (m->host >= 0 && f->host_vms[m->host] > 0)
        f->host_vms[m->host]--;
    vm_cleanup(&m->vm);
    m->has_vmi = false;
    m->host = -1;
    m->op_seq = 0;
    f->n_vmi--;
}

void fleet_delete_machine(struct fleet *f, size_t idx)
{
    fleet_remove_vmi(f, idx);
    f->machines[idx].deleted = true;
}

/* --- GPU pools ------------------------------------------------------------------------------ */

void fleet_gpus_free(struct vm_gpu *gpus, size_t n)
{
    for (size_t i = 0; gpus && i < n; i++) {
        free(gpus[i].type_text);
        free(gpus[i].gpu_name);
    }
    free(gpus);
}

enum gp_status fleet_gpus_copy(const struct vm_gpu *src, size_t n, struct vm_gpu **out)
{
    *out = NULL;
    if (n == 0)
        return GP_OK;
    struct vm_gpu *g = calloc(n, sizeof(*g));
    if (!g)
        return GP_E_NOMEM;
    for (size_t i = 0; i < n; i++) {
        g[i].type = src[i].type;
        g[i].partition_size_mb = src[i].partition_size_mb;
        if ((src[i].type_text && !(g[i].type_text = text_dup(src[i].type_text))) ||
            (src[i].gpu_name && !(g[i].gpu_name = text_dup(src[i].gpu_name)))) {
            fleet_gpus_free(g, n);
            return GP_E_NOMEM;
        }
    }
    *out = g;
    return GP_OK;
}

static bool partition_vm_add(struct host_gpu *g, const char *vm_name)
{
    char **n = realloc(g->partition_vms, (g->n_partition_vms + 1) * sizeof(*n));
    if (!n)
        return false;
    g->partition_vms = n;
    n[g->n_partition_vms] = text_dup(vm_name ? vm_name : "");
    if (!n[g->n_partition_vms])
        return false;
    g->n_partition_vms++;
    return true;
}

static void partition_vm_remove(struct host_gpu *g, const char *vm_name)
{
    for (size_t i = 0; i < g->n_partition_vms; i++) {
        if (!str_eq(g->partition_vms[i], vm_name ? vm_name : ""))
            continue;
        free(g->partition_vms[i]);
        memmove(&g->partition_vms[i], &g->partition_vms[i + 1],
                (g->n_partition_vms - i - 1) * sizeof(*g->partition_vms));
        g->n_partition_vms--;
        return;
    }
}

void fleet_gpus_release(struct fleet *f, int host, const struct vm_gpu *gpus, size_t n,
                        signed char slots[VM_MAX_GPUS], const char *vm_name)
{
    for (size_t i = 0; i < VM_MAX_GPUS; i++) {
        int s = slots[i];
        slots[i] = -1;
        if (s < 0 || host < 0 || (size_t)host >= f->cluster.n_hosts || i >= n)
            continue;
        struct host *h = &f->cluster.hosts[host];
        if ((size_t)s >= h->n_gpus)
            continue;
        struct host_gpu *g = &h->gpus[s];
        if (gpus[i].type == GPU_ASSIGN_P) {
            if (g->partitions_used > 0)
                g->partitions_used--;
            partition_vm_remove(g, vm_name);
        } else {
            free(g->dda_vm);
            g->dda_vm = NULL;
        }
    }
}

void fleet_gpus_retake(struct fleet *f, int host, const struct vm_gpu *gpus, size_t n,
                       const signed char slots[VM_MAX_GPUS], const char *vm_name)
{
    for (size_t i = 0; i < n && i < VM_MAX_GPUS; i++) {
        int s = slots[i];
        if (s < 0 || host < 0 || (size_t)host >= f->cluster.n_hosts)
            continue;
        struct host *h = &f->cluster.hosts[host];
        if ((size_t)s >= h->n_gpus)
            continue;
        struct host_gpu *g = &h->gpus[s];
        if (gpus[i].type == GPU_ASSIGN_P) {
            g->partitions_used++;
            (void)partition_vm_add(g, vm_name);
        } else {
            free(g->dda_vm);
            g->dda_vm = text_dup(vm_name ? vm_name : "");
        }
    }
}

enum gp_status fleet_gpus_claim(struct fleet *f, int host, const char *vm_name,
                                const struct vm_gpu *want, size_t n_want, struct vm_gpu **out_gpus,
                                signed char slots[VM_MAX_GPUS], enum rule_id *out_rule,
                                struct gp_error *err)
{
    *out_gpus = NULL;
    memset(slots, -1, VM_MAX_GPUS);
    if (n_want == 0)
        return GP_OK;
    if (n_want > VM_MAX_GPUS) {
        *out_rule = RULE_VALID_TYPE;
        return gp_error_set(err, GP_E_RULE, "At most %d GPUs per VM.", VM_MAX_GPUS);
    }
    if (host < 0 || (size_t)host >= f->cluster.n_hosts) {
        *out_rule = RULE_MODE_AVAILABLE;
        return gp_error_set(err, GP_E_RULE, "The VM has no host with GPUs.");
    }
    struct host *h = &f->cluster.hosts[host];
    bool taken[HOST_MAX_GPUS] = {false};
    int pick[VM_MAX_GPUS];
    for (size_t i = 0; i < n_want; i++) {
        const struct vm_gpu *w = &want[i];
        int best = -1;
        bool any_mode = false;
        for (size_t g = 0; g < h->n_gpus && g < HOST_MAX_GPUS; g++) {
            const struct host_gpu *hg = &h->gpus[g];
            if (w->type == GPU_ASSIGN_P) {
                if (hg->mode != GPU_MODE_GPUP)
                    continue;
                any_mode = true;
                if (hg->partitions_used >= hg->partitions_total)
                    continue;
                /* Spread partitions: the GPU with the fewest in use. */
                if (best < 0 || hg->partitions_used < h->gpus[best].partitions_used)
                    best = (int)g;
            } else {
                if (hg->mode != GPU_MODE_DDA)
                    continue;
                if (w->gpu_name && !str_ieq(w->gpu_name, hg->model))
                    continue;
                any_mode = true;
                if (hg->dda_vm || taken[g])
                    continue;
                best = (int)g;
                break;
            }
        }
        if (w->type == GPU_ASSIGN_P && any_mode && best >= 0 && w->partition_size_mb >= 0 &&
            w->partition_size_mb != h->gpus[best].partition_size_mb) {
            *out_rule = RULE_AUTO_ASSIGNED;
            return gp_error_set(err, GP_E_RULE,
                                "Partition size %ld MB is not selectable; %s uses %ld MB.",
                                w->partition_size_mb, h->name, h->gpus[best].partition_size_mb);
        }
        if (best < 0) {
            if (w->type == GPU_ASSIGN_P && any_mode) {
                *out_rule = RULE_CAPACITY;
                return gp_error_set(err, GP_E_RULE, "No GPU partition is free on %s.", h->name);
            }
            *out_rule = RULE_MODE_AVAILABLE;
            if (w->type == GPU_ASSIGN_P)
                return gp_error_set(err, GP_E_RULE, "%s has no GPU in GPU-P mode.", h->name);
            return gp_error_set(err, GP_E_RULE, "%s has no free GPU in DDA mode%s%s.", h->name,
                                w->gpu_name ? " named " : "", w->gpu_name ? w->gpu_name : "");
        }
        if (w->type == GPU_ASSIGN_P &&
            h->gpus[best].partitions_used + 1 > h->gpus[best].partitions_total) {
            *out_rule = RULE_CAPACITY;
            return gp_error_set(err, GP_E_RULE, "No GPU partition is free on %s.", h->name);
        }
        taken[best] = true;
        pick[i] = best;
    }
    struct vm_gpu *out = calloc(n_want, sizeof(*out));
    if (!out)
        return gp_error_set(err, GP_E_NOMEM, "out of memory");
    for (size_t i = 0; i < n_want; i++) {
        struct host_gpu *hg = &h->gpus[pick[i]];
        out[i].type = want[i].type;
        if (want[i].type == GPU_ASSIGN_P) {
            out[i].partition_size_mb = hg->partition_size_mb;
        } else {
            out[i].partition_size_mb = -1;
            out[i].gpu_name = text_dup(hg->model);
            if (!out[i].gpu_name) {
                fleet_gpus_free(out, n_want);
                return gp_error_set(err, GP_E_NOMEM, "out of memory");
            }
        }
        slots[i] = (signed char)pick[i];
    }
    fleet_gpus_retake(f, host, out, n_want, slots, vm_name);
    *out_gpus = out;
    return GP_OK;
}

/* --- JSON ------------------------------------------------------------------------------------ */

bool fleet_machine_id(const struct fleet *f, size_t idx, char *buf, size_t n)
{
    const struct fleet_machine *m = &f->machines[idx];
    int w = snprintf(buf, n,
                     "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.HybridCompute/"
                     "machines/%s",
                     f->subscription, m->rg, m->name);
    return w > 0 && (size_t)w < n;
}

enum gp_status fleet_machine_json(const struct fleet *f, size_t idx, struct gp_buf *out)
{
    const struct fleet_machine *m = &f->machines[idx];
    char id[512];
    if (!fleet_machine_id(f, idx, id, sizeof(id)))
        return GP_E_TOO_LARGE;
    /* A stable principal id per machine, as the identity would keep one. */
    uint64_t h = key_hash(m->rg, m->name);
    GP_TRY(gp_buf_append_str(out, "{"));
    GP_TRY(jsonw_member(out, "id", id));
    GP_TRY(gp_buf_append_str(out, ","));
    GP_TRY(jsonw_member(out, "name", m->name));
    GP_TRY(gp_buf_append_str(out, ",\"type\":\"Microsoft.HybridCompute/machines\","));
    GP_TRY(jsonw_member(out, "location", m->location));
    if (m->hci)
        GP_TRY(gp_buf_append_str(out, ",\"kind\":\"HCI\""));
    GP_TRY(gp_buf_printf(out,
                         ",\"identity\":{\"type\":\"SystemAssigned\",\"principalId\":"
                         "\"%08x-%04x-4%03x-8%03x-%012llx\",\"tenantId\":"
                         "\"00000000-0000-0000-0000-000000000000\"}",
                         (unsigned)(h >> 32), (unsigned)((h >> 16) & 0xffff), (unsigned)(h & 0xfff),
                         (unsigned)((h >> 20) & 0xfff),
                         (unsigned long long)((h * 31) & 0xffffffffffffULL)));
    const char *os = m->windows ? "windows" : "linux";
    const char *os_name = !m->hci ? "Azure Stack HCI" : m->windows ? "Windows" : "Linux";
    GP_TRY(gp_buf_printf(out,
                         ",\"properties\":{\"provisioningState\":\"Succeeded\","
                         "\"status\":\"Connected\",\"osType\":\"%s\",\"osName\":\"%s\","
                         "\"agentVersion\":\"1.46.02830.1849\"",
                         os, os_name));
    if (m->has_vmi && m->vm.computer_name) {
        GP_TRY(gp_buf_append_str(out, ","));
        GP_TRY(jsonw_member(out, "machineFqdn", m->vm.computer_name));
    }
    return gp_buf_append_str(out, "}}");
}

enum gp_status fleet_vmi_json(const struct fleet *f, size_t idx, bool gpu_fields, bool graph_row,
                              struct gp_buf *out)
{
    const struct fleet_machine *m = &f->machines[idx];
    struct vm shown = m->vm; /* shallow: nothing is freed through it */
    if (!gpu_fields) {
        shown.gpus = NULL;
        shown.n_gpus = 0;
        shown.gpus_present = false;
    }
    char *json = NULL;
    GP_TRY(vm_to_json(&shown, &json));
    enum gp_status st = GP_OK;
    if (graph_row && json[0] == '{') {
        st = gp_buf_append_str(out, "{");
        if (st == GP_OK)
            st = jsonw_member(out, "resourceGroup", m->rg);
        if (st == GP_OK)
            st = gp_buf_append_str(out, ",");
        if (st == GP_OK)
            st = jsonw_member(out, "subscriptionId", f->subscription);
        if (st == GP_OK)
            st = gp_buf_append_str(out, json[1] == '}' ? "" : ",");
        if (st == GP_OK)
            st = gp_buf_append_str(out, json + 1);
    } else {
        st = gp_buf_append_str(out, json);
    }
    free(json);
    return st;
}

/* --- generation --------------------------------------------------------------------------------
 */

struct gpu_family {
    const char *model;
    long partition_mb;
    int partitions;
};

static const struct gpu_family FAM_A2 = {"NVIDIA A2", 3648, 4};
static const struct gpu_family FAM_A16 = {"NVIDIA A16", 3648, 4};
static const struct gpu_family FAM_L4 = {"NVIDIA L4", 5472, 4};
static const struct gpu_family FAM_L40S = {"NVIDIA L40S", 11520, 4};
static const struct gpu_family FAM_A40 = {"NVIDIA A40", 11520, 4};
static const struct gpu_family FAM_H100 = {"NVIDIA H100", 20480, 4};
static const struct gpu_family FAM_A10 = {"NVIDIA A10", 5472, 4};
static const struct gpu_family FAM_T4 = {"NVIDIA T4", -1, 0};

/* One GPU of a generated host. */
struct gpu_spec {
    const struct gpu_family *fam;
    enum gpu_mode mode;
};

/* The GPUs of host number `node` (0-based within its cluster) for cluster pattern `pattern`.
 * Pattern 4 is deliberately not homogeneous (its two nodes carry different models) and
 * pattern 2 is DDA only (T4), so every rule can be met on a generated fleet. */
static size_t site_gpus(int pattern, size_t node, struct gpu_spec out[4])
{
    switch (pattern) {
    case 0: /* A2, GPU-P */
        out[0] = (struct gpu_spec){&FAM_A2, GPU_MODE_GPUP};
        out[1] = (struct gpu_spec){&FAM_A2, GPU_MODE_GPUP};
        return 2;
    case 1: /* L4: one partitioned, one passed through */
        out[0] = (struct gpu_spec){&FAM_L4, GPU_MODE_GPUP};
        out[1] = (struct gpu_spec){&FAM_L4, GPU_MODE_DDA};
        return 2;
    case 2: /* T4: DDA only */
        out[0] = (struct gpu_spec){&FAM_T4, GPU_MODE_DDA};
        out[1] = (struct gpu_spec){&FAM_T4, GPU_MODE_DDA};
        return 2;
    case 3: /* A16 board: four GPUs, GPU-P */
        for (size_t i = 0; i < 4; i++)
            out[i] = (struct gpu_spec){&FAM_A16, GPU_MODE_GPUP};
        return 4;
    case 4: /* mixed models: not homogeneous */
        out[0] = (struct gpu_spec){node % 2 ? &FAM_A40 : &FAM_L40S, GPU_MODE_GPUP};
        out[1] = (struct gpu_spec){node % 2 ? &FAM_A40 : &FAM_L40S, GPU_MODE_GPUP};
        return 2;
    case 5: /* H100: one partitioned, one passed through */
        out[0] = (struct gpu_spec){&FAM_H100, GPU_MODE_GPUP};
        out[1] = (struct gpu_spec){&FAM_H100, GPU_MODE_DDA};
        return 2;
    case 6: /* A10: GPU-P only family */
        out[0] = (struct gpu_spec){&FAM_A10, GPU_MODE_GPUP};
        out[1] = (struct gpu_spec){&FAM_A10, GPU_MODE_GPUP};
        return 2;
    default: /* no GPUs */
        return 0;
    }
}

struct city {
    const char *name, *region;
};
static const struct city CITIES[] = {
    {"seattle", "westus2"},    {"denver", "westus3"},         {"austin", "southcentralus"},
    {"boston", "eastus"},      {"chicago", "northcentralus"}, {"atlanta", "eastus2"},
    {"dublin", "northeurope"}, {"amsterdam", "westeurope"},
};
#define N_CITIES (sizeof(CITIES) / sizeof(CITIES[0]))
#define NODES_PER_SITE 2u

struct workload {
    const char *rg, *prefix;
    int width, weight;
    double gpu_p;
    bool windows;
};
static const struct workload WORKLOADS[] = {
    {"ml-rg", "train-", 2, 15, 0.7, false}, {"ml-rg", "infer-", 2, 10, 0.6, false},
    {"vdi-rg", "vdi-", 3, 30, 0.4, true},   {"render-rg", "render-", 2, 10, 0.6, true},
    {"dev-rg", "dev-", 2, 15, 0.05, false}, {"web-rg", "web-", 2, 10, 0.0, false},
    {"db-rg", "sql-", 2, 10, 0.0, true},
};
#define N_WORKLOADS (sizeof(WORKLOADS) / sizeof(WORKLOADS[0]))

static char *fmt_dup(const char *fmt, ...) GP_PRINTF(1, 2);
static char *fmt_dup(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(buf))
        return NULL;
    return text_dup(buf);
}

static enum gp_status gen_sites(struct fleet *f, size_t n_hosts)
{
    size_t n_sites = n_hosts ? (n_hosts + NODES_PER_SITE - 1) / NODES_PER_SITE : 0;
    f->sites = calloc(n_sites ? n_sites : 1, sizeof(*f->sites));
    f->cluster.hosts = calloc(n_hosts ? n_hosts : 1, sizeof(*f->cluster.hosts));
    f->host_site = calloc(n_hosts ? n_hosts : 1, sizeof(*f->host_site));
    f->host_vms = calloc(n_hosts ? n_hosts : 1, sizeof(*f->host_vms));
    if (!f->sites || !f->cluster.hosts || !f->host_site || !f->host_vms)
        return GP_E_NOMEM;
    for (size_t s = 0; s < n_sites; s++) {
        struct fleet_site *site = &f->sites[s];
        const struct city *c = &CITIES[s % N_CITIES];
        f->n_sites = s + 1;
        if (s < N_CITIES) {
            site->name = fmt_dup("cl-%s", c->name);
            site->rg = fmt_dup("azlocal-%s-rg", c->name);
        } else {
            site->name = fmt_dup("cl-%s-%zu", c->name, s / N_CITIES + 1);
            site->rg = fmt_dup("azlocal-%s-%zu-rg", c->name, s / N_CITIES + 1);
        }
        site->location = text_dup(c->region);
        if (!site->name || !site->rg || !site->location)
            return GP_E_NOMEM;
        site->custom_location =
            fmt_dup("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.ExtendedLocation/"
                    "customLocations/%s",
                    f->subscription, site->rg, site->name);
        if (!site->custom_location)
            return GP_E_NOMEM;
    }
    for (size_t i = 0; i < n_hosts; i++) {
        size_t s = i / NODES_PER_SITE;
        struct host *h = &f->cluster.hosts[i];
        f->cluster.n_hosts = i + 1;
        f->host_site[i] = (int)s;
        h->name = fmt_dup("node-%02zu", i + 1);
        h->custom_location = text_dup(f->sites[s].custom_location);
        h->resource_group = text_dup(f->sites[s].rg);
        if (!h->name || !h->custom_location || !h->resource_group)
            return GP_E_NOMEM;
        struct gpu_spec spec[4];
        size_t n = site_gpus((int)(s % 8), i % NODES_PER_SITE, spec);
        if (n) {
            h->gpus = calloc(n, sizeof(*h->gpus));
            if (!h->gpus)
                return GP_E_NOMEM;
        }
        for (size_t g = 0; g < n; g++) {
            struct host_gpu *hg = &h->gpus[g];
            h->n_gpus = g + 1;
            hg->id = fmt_dup("gpu-%zu", g);
            hg->model = text_dup(spec[g].fam->model);
            if (!hg->id || !hg->model)
                return GP_E_NOMEM;
            hg->mode = spec[g].mode;
            hg->partition_size_mb = hg->mode == GPU_MODE_GPUP ? spec[g].fam->partition_mb : -1;
            hg->partitions_total = hg->mode == GPU_MODE_GPUP ? spec[g].fam->partitions : 0;
        }
        /* The node is an Arc machine too, without kind HCI. */
        size_t idx;
        bool created;
        struct gp_error e;
        GP_TRY(fleet_put_machine(f, h->resource_group, h->name, f->sites[s].location, false, &idx,
                                 &created, &e));
        f->machines[idx].windows = true;
    }
    return GP_OK;
}

static const char *pick_power(struct simrng *r)
{
    uint32_t x = simrng_below(r, 100);
    if (x < 70)
        return "Running";
    if (x < 92)
        return "Stopped";
    if (x < 96)
        return "Deallocated";
    if (x < 98)
        return "Saved";
    return "Paused";
}

static enum gp_status gen_vm(struct fleet *f, struct simrng *r, const struct workload *w,
                             unsigned number)
{
    char name[64];
    (void)snprintf(name, sizeof(name), "%s%0*u", w->prefix, w->width, number);
    size_t host = f->cluster.n_hosts ? simrng_below(r, (uint32_t)f->cluster.n_hosts) : 0;
    const struct fleet_site *site = f->cluster.n_hosts ? &f->sites[f->host_site[host]] : NULL;
    size_t idx;
    bool created;
    struct gp_error e;
    GP_TRY(fleet_put_machine(f, w->rg, name, site ? site->location : "eastus", true, &idx, &created,
                             &e));
    struct fleet_machine *m = &f->machines[idx];
    m->windows = w->windows;
    struct vm *vm = &m->vm;
    static const long cpus[] = {2, 4, 8, 16, 32};
    static const long mems[] = {4096, 8192, 16384, 32768, 65536};
    static const char *const sizes[] = {"Custom",      "Custom",          "Custom",
                                        "Default",     "Standard_D4s_v3", "Standard_D8s_v3",
                                        "Standard_NV6"};
    vm->id = fmt_dup("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.HybridCompute/"
                     "machines/%s/providers/Microsoft.AzureStackHCI/virtualMachineInstances/"
                     "default",
                     f->subscription, w->rg, name);
    vm->name = text_dup(name);
    vm->subscription = text_dup(f->subscription);
    vm->resource_group = text_dup(w->rg);
    vm->custom_location = site ? text_dup(site->custom_location) : NULL;
    vm->vm_size = text_dup(sizes[simrng_below(r, 7)]);
    uint32_t c = simrng_below(r, 5);
    vm->processors = cpus[c];
    vm->memory_mb = mems[c < 4 ? c + simrng_below(r, 2) : c];
    vm->computer_name = text_dup(name);
    vm->admin_username = text_dup(w->windows ? "azadmin" : "azureuser");
    static const char *const linux_images[] = {"ubuntu-2204", "ubuntu-2404", "rhel-9"};
    static const char *const win_images[] = {"win11-multisession", "win2022-datacenter"};
    const char *image =
        w->windows ? win_images[simrng_below(r, 2)] : linux_images[simrng_below(r, 3)];
    vm->image_id = fmt_dup("/subscriptions/%s/resourceGroups/%s/providers/"
                           "Microsoft.AzureStackHCI/galleryImages/%s",
                           f->subscription, site ? site->rg : w->rg, image);
    vm->host_node = site ? text_dup(f->cluster.hosts[host].name) : NULL;
    vm->provisioning = PROV_SUCCEEDED;
    vm->power = power_state_parse(pick_power(r));
    vm->gpus_present = true;
    if (!vm->id || !vm->name || !vm->subscription || !vm->resource_group || !vm->vm_size ||
        !vm->computer_name || !vm->admin_username || !vm->image_id ||
        (site && (!vm->custom_location || !vm->host_node)))
        return GP_E_NOMEM;
    m->has_vmi = true;
    f->n_vmi++;
    if (site) {
        m->host = (int)host;
        f->host_vms[host]++;
    }
    if (site && simrng_unit(r) < w->gpu_p) {
        /* GPU-P where the cluster allows it, else a DDA device, else none (pool is full). */
        struct vm_gpu want = {GPU_ASSIGN_P, NULL, -1, NULL};
        struct vm_gpu *got = NULL;
        enum rule_id rule;
        char why[8];
        bool homogeneous = cluster_is_homogeneous(&f->cluster, site->custom_location, why, 0);
        enum gp_status st = GP_E_RULE;
        if (homogeneous)
            st = fleet_gpus_claim(f, m->host, name, &want, 1, &got, m->slot, &rule, &e);
        if (st == GP_E_RULE) {
            want.type = GPU_ASSIGN_DDA;
            st = fleet_gpus_claim(f, m->host, name, &want, 1, &got, m->slot, &rule, &e);
        }
        if (st == GP_OK) {
            vm->gpus = got;
            vm->n_gpus = 1;
        } else if (st != GP_E_RULE) {
            return st;
        }
    }
    return GP_OK;
}

enum gp_status fleet_generate(struct fleet *f, const char *subscription, size_t n_vms,
                              size_t n_hosts, uint64_t seed, struct gp_error *err)
{
    f->subscription = text_dup(subscription);
    if (!f->subscription)
        return gp_error_set(err, GP_E_NOMEM, "out of memory");
    if (n_vms > FLEET_MAX_MACHINES / 2 || n_hosts > 100000)
        return gp_error_set(err, GP_E_TOO_LARGE, "fleet too large");
    if (gen_sites(f, n_hosts) != GP_OK)
        return gp_error_set(err, GP_E_NOMEM, "out of memory generating the clusters");
    struct simrng r;
    simrng_seed(&r, seed);
    unsigned counters[N_WORKLOADS] = {0};
    int total = 0;
    for (size_t i = 0; i < N_WORKLOADS; i++)
        total += WORKLOADS[i].weight;
    for (size_t i = 0; i < n_vms; i++) {
        int x = (int)simrng_below(&r, (uint32_t)total);
        size_t k = 0;
        while (k + 1 < N_WORKLOADS && x >= WORKLOADS[k].weight)
            x -= WORKLOADS[k++].weight;
        enum gp_status st = gen_vm(f, &r, &WORKLOADS[k], ++counters[k]);
        if (st != GP_OK)
            return gp_error_set(err, st, "generating VM %zu: %s", i + 1, gp_status_name(st));
    }
    return GP_OK;
}

/* --- state file ---------------------------------------------------------------------------- */

#define STATE_MAX_BYTES (1024u * 1024u * 1024u)

static enum gp_status save_body(const struct fleet *f, FILE *out, struct gp_buf *b)
{
    gp_buf_reset(b);
    GP_TRY(gp_buf_append_str(b, "{\"gpupSimState\":1,"));
    GP_TRY(jsonw_member(b, "subscription", f->subscription));
    GP_TRY(gp_buf_append_str(b, ",\"sites\":["));
    for (size_t i = 0; i < f->n_sites; i++) {
        const struct fleet_site *s = &f->sites[i];
        GP_TRY(gp_buf_append_str(b, i ? ",{" : "{"));
        GP_TRY(jsonw_member(b, "name", s->name));
        GP_TRY(gp_buf_append_str(b, ","));
        GP_TRY(jsonw_member(b, "customLocation", s->custom_location));
        GP_TRY(gp_buf_append_str(b, ","));
        GP_TRY(jsonw_member(b, "location", s->location));
        GP_TRY(gp_buf_append_str(b, ","));
        GP_TRY(jsonw_member(b, "resourceGroup", s->rg));
        GP_TRY(gp_buf_append_str(b, "}"));
    }
    GP_TRY(gp_buf_append_str(b, "],\"hosts\":["));
    for (size_t i = 0; i < f->cluster.n_hosts; i++) {
        const struct host *h = &f->cluster.hosts[i];
        GP_TRY(gp_buf_append_str(b, i ? ",{" : "{"));
        GP_TRY(jsonw_member(b, "name", h->name));
        GP_TRY(gp_buf_printf(b, ",\"site\":%d,\"gpus\":[", f->host_site[i]));
        for (size_t g = 0; g < h->n_gpus; g++) {
            const struct host_gpu *hg = &h->gpus[g];
            GP_TRY(gp_buf_append_str(b, g ? ",{" : "{"));
            GP_TRY(jsonw_member(b, "id", hg->id));
            GP_TRY(gp_buf_append_str(b, ","));
            GP_TRY(jsonw_member(b, "model", hg->model));
            GP_TRY(gp_buf_append_str(b, ","));
            GP_TRY(jsonw_member(b, "mode", gpu_mode_name(hg->mode)));
            GP_TRY(gp_buf_printf(b, ",\"partitionSizeMB\":%ld,\"partitions\":%d}",
                                 hg->partition_size_mb, hg->partitions_total));
        }
        GP_TRY(gp_buf_append_str(b, "]}"));
    }
    GP_TRY(gp_buf_append_str(b, "],\"machines\":["));
    if (fwrite(b->data, 1, b->len, out) != b->len)
        return GP_E_IO;
    bool first = true;
    for (size_t i = 0; i < f->n_machines; i++) {
        const struct fleet_machine *m = &f->machines[i];
        if (m->deleted)
            continue;
        gp_buf_reset(b);
        GP_TRY(gp_buf_append_str(b, first ? "\n{" : ",\n{"));
        first = false;
        GP_TRY(jsonw_member(b, "name", m->name));
        GP_TRY(gp_buf_append_str(b, ","));
        GP_TRY(jsonw_member(b, "resourceGroup", m->rg));
        GP_TRY(gp_buf_append_str(b, ","));
        GP_TRY(jsonw_member(b, "location", m->location));
        GP_TRY(gp_buf_printf(b, ",\"hci\":%s,\"windows\":%s,\"host\":%d", m->hci ? "true" : "false",
                             m->windows ? "true" : "false", m->host));
        if (m->has_vmi) {
            GP_TRY(gp_buf_append_str(b, ",\"slots\":["));
            for (size_t g = 0; g < m->vm.n_gpus && g < VM_MAX_GPUS; g++)
                GP_TRY(gp_buf_printf(b, "%s%d", g ? "," : "", m->slot[g]));
            GP_TRY(gp_buf_append_str(b, "],\"vmi\":"));
            GP_TRY(fleet_vmi_json(f, i, true, false, b));
        }
        GP_TRY(gp_buf_append_str(b, "}"));
        if (fwrite(b->data, 1, b->len, out) != b->len)
            return GP_E_IO;
    }
    if (fputs("\n]}\n", out) == EOF)
        return GP_E_IO;
    return GP_OK;
}

enum gp_status fleet_save(const struct fleet *f, const char *path, struct gp_error *err)
{
    char tmp[4096];
    int w = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    if (w < 0 || (size_t)w >= sizeof(tmp))
        return gp_error_set(err, GP_E_IO, "%s: path too long", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return gp_error_set(err, GP_E_IO, "%s: %s", tmp, strerror(errno));
    FILE *out = fdopen(fd, "w");
    if (!out) {
        close(fd);
        unlink(tmp);
        return gp_error_set(err, GP_E_IO, "%s: %s", tmp, strerror(errno));
    }
    struct gp_buf b;
    gp_buf_init(&b, 64u * 1024u * 1024u);
    enum gp_status st = save_body(f, out, &b);
    gp_buf_cleanup(&b);
    if (st == GP_OK && fflush(out) != 0)
        st = GP_E_IO;
    if (st == GP_OK && fsync(fileno(out)) != 0)
        st = GP_E_IO;
    int saved_errno = errno;
    if (fclose(out) != 0 && st == GP_OK)
        st = GP_E_IO;
    if (st == GP_OK && rename(tmp, path) != 0) {
        saved_errno = errno;
        st = GP_E_IO;
    }
    if (st != GP_OK) {
        unlink(tmp);
        return gp_error_set(err, st, "%s: cannot save the state: %s", path,
                            st == GP_E_IO ? strerror(saved_errno) : gp_status_name(st));
    }
    return GP_OK;
}

static enum gp_status read_file(const char *path, char **out, size_t *out_len, struct gp_error *err)
{
    FILE *in = fopen(path, "rb");
    if (!in) {
        if (errno == ENOENT)
            return gp_error_set(err, GP_E_NOT_FOUND, "%s: no such file", path);
        return gp_error_set(err, GP_E_IO, "%s: %s", path, strerror(errno));
    }
    struct gp_buf b;
    gp_buf_init(&b, STATE_MAX_BYTES);
    char chunk[65536];
    size_t n;
    enum gp_status st = GP_OK;
    while (st == GP_OK && (n = fread(chunk, 1, sizeof(chunk), in)) > 0)
        st = gp_buf_append(&b, chunk, n);
    if (st == GP_OK && ferror(in))
        st = GP_E_IO;
    fclose(in);
    if (st != GP_OK) {
        gp_buf_cleanup(&b);
        return gp_error_set(err, st, "%s: cannot read: %s", path, gp_status_name(st));
    }
    *out = gp_buf_take(&b, out_len);
    if (!*out)
        return gp_error_set(err, GP_E_NOMEM, "out of memory");
    return GP_OK;
}

static const char *obj_str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool obj_num(const cJSON *o, const char *key, long lo, long hi, long *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v) || v->valuedouble < (double)lo || v->valuedouble > (double)hi)
        return false;
    *out = (long)v->valuedouble;
    return true;
}

static enum gp_status load_tree(struct fleet *f, const cJSON *root, struct gp_error *err)
{
    const char *sub = obj_str(root, "subscription");
    const cJSON *sites = cJSON_GetObjectItemCaseSensitive(root, "sites");
    const cJSON *hosts = cJSON_GetObjectItemCaseSensitive(root, "hosts");
    const cJSON *machines = cJSON_GetObjectItemCaseSensitive(root, "machines");
    long version;
    if (!obj_num(root, "gpupSimState", 1, 1, &version) || !sub || !cJSON_IsArray(sites) ||
        !cJSON_IsArray(hosts) || !cJSON_IsArray(machines))
        return gp_error_set(err, GP_E_INVALID,
                            "not a gpup-sim state file (gpupSimState, subscription, sites, "
                            "hosts, machines)");
    f->subscription = text_dup(sub);
    size_t n_sites = (size_t)cJSON_GetArraySize(sites);
    size_t n_hosts = (size_t)cJSON_GetArraySize(hosts);
    f->sites = calloc(n_sites + 1, sizeof(*f->sites));
    f->cluster.hosts = calloc(n_hosts + 1, sizeof(*f->cluster.hosts));
    f->host_site = calloc(n_hosts + 1, sizeof(*f->host_site));
    f->host_vms = calloc(n_hosts + 1, sizeof(*f->host_vms));
    if (!f->subscription || !f->sites || !f->cluster.hosts || !f->host_site || !f->host_vms)
        return gp_error_set(err, GP_E_NOMEM, "out of memory");
    const cJSON *it;
    size_t i = 0;
    cJSON_ArrayForEach(it, sites)
    {
        struct fleet_site *s = &f->sites[i++];
        f->n_sites = i;
        const char *name = obj_str(it, "name"), *cl = obj_str(it, "customLocation");
        const char *loc = obj_str(it, "location"), *rg = obj_str(it, "resourceGroup");
        if (!name || !cl || !loc || !rg)
            return gp_error_set(err, GP_E_INVALID,
                                "sites[%zu]: name, customLocation, "
                                "location and resourceGroup are required",
                                i - 1);
        s->name = text_dup(name);
        s->custom_location = text_dup(cl);
        s->location = text_dup(loc);
        s->rg = text_dup(rg);
        if (!s->name || !s->custom_location || !s->location || !s->rg)
            return gp_error_set(err, GP_E_NOMEM, "out of memory");
    }
    i = 0;
    cJSON_ArrayForEach(it, hosts)
    {
        struct host *h = &f->cluster.hosts[i];
        f->cluster.n_hosts = i + 1;
        long site;
        const char *name = obj_str(it, "name");
        const cJSON *gpus = cJSON_GetObjectItemCaseSensitive(it, "gpus");
        if (!name || !obj_num(it, "site", 0, (long)n_sites - 1, &site) || !cJSON_IsArray(gpus) ||
            cJSON_GetArraySize(gpus) > HOST_MAX_GPUS)
            return gp_error_set(err, GP_E_INVALID, "hosts[%zu]: name, site and gpus required", i);
        f->host_site[i] = (int)site;
        h->name = text_dup(name);
        h->custom_location = text_dup(f->sites[site].custom_location);
        h->resource_group = text_dup(f->sites[site].rg);
        size_t ng = (size_t)cJSON_GetArraySize(gpus);
        h->gpus = calloc(ng + 1, sizeof(*h->gpus));
        if (!h->name || !h->custom_location || !h->resource_group || !h->gpus)
            return gp_error_set(err, GP_E_NOMEM, "out of memory");
        const cJSON *g;
        size_t k = 0;
        cJSON_ArrayForEach(g, gpus)
        {
            struct host_gpu *hg = &h->gpus[k++];
            h->n_gpus = k;
            long size, parts;
            const char *id = obj_str(g, "id"), *model = obj_str(g, "model");
            const char *mode = obj_str(g, "mode");
            if (!id || !model || !mode || !obj_num(g, "partitionSizeMB", -1, 1L << 30, &size) ||
                !obj_num(g, "partitions", 0, HOST_GPU_MAX_PARTITIONS, &parts))
                return gp_error_set(err, GP_E_INVALID, "hosts[%zu].gpus[%zu]: bad GPU", i, k - 1);
            hg->id = text_dup(id);
            hg->model = text_dup(model);
            if (!hg->id || !hg->model)
                return gp_error_set(err, GP_E_NOMEM, "out of memory");
            hg->mode = gpu_mode_parse(mode);
            hg->partition_size_mb = size;
            hg->partitions_total = (int)parts;
        }
        i++;
    }
    i = 0;
    cJSON_ArrayForEach(it, machines)
    {
        const char *name = obj_str(it, "name"), *rg = obj_str(it, "resourceGroup");
        const char *loc = obj_str(it, "location");
        const cJSON *hci = cJSON_GetObjectItemCaseSensitive(it, "hci");
        long host;
        if (!name || !rg || !loc || !cJSON_IsBool(hci) ||
            !obj_num(it, "host", -1, (long)n_hosts - 1, &host))
            return gp_error_set(err, GP_E_INVALID,
                                "machines[%zu]: name, resourceGroup, location, hci, host", i);
        size_t idx;
        bool created;
        GP_TRY(fleet_put_machine(f, rg, name, loc, cJSON_IsTrue(hci), &idx, &created, err));
        struct fleet_machine *m = &f->machines[idx];
        m->windows = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "windows"));
        const cJSON *vmi = cJSON_GetObjectItemCaseSensitive(it, "vmi");
        if (vmi) {
            char *text = cJSON_PrintUnformatted(vmi);
            if (!text)
                return gp_error_set(err, GP_E_NOMEM, "out of memory");
            enum gp_status st = vm_from_json(&m->vm, text, strlen(text), err);
            free(text);
            if (st != GP_OK) {
                gp_error_prefix(err, "machines[%zu].vmi", i);
                return st;
            }
            /* The sim keeps states as enums; transient ones end as if their operation had
             * finished while the emulator was down. */
            free(m->vm.power_text);
            m->vm.power_text = NULL;
            free(m->vm.provisioning_text);
            m->vm.provisioning_text = NULL;
            if (m->vm.power == POWER_STOPPING)
                m->vm.power = POWER_STOPPED;
            else if (m->vm.power == POWER_STARTING)
                m->vm.power = POWER_RUNNING;
            else if (m->vm.power == POWER_DEALLOCATING)
                m->vm.power = POWER_DEALLOCATED;
            if (m->vm.provisioning == PROV_IN_PROGRESS || m->vm.provisioning == PROV_ACCEPTED)
                m->vm.provisioning = PROV_SUCCEEDED;
            for (size_t g = 0; g < m->vm.n_gpus; g++) {
                free(m->vm.gpus[g].type_text);
                m->vm.gpus[g].type_text = NULL;
            }
            m->has_vmi = true;
            f->n_vmi++;
            m->host = (int)host;
            if (host >= 0)
                f->host_vms[host]++;
            const cJSON *slots = cJSON_GetObjectItemCaseSensitive(it, "slots");
            const cJSON *s;
            size_t k = 0;
            cJSON_ArrayForEach(s, slots)
            {
                if (k >= VM_MAX_GPUS || k >= m->vm.n_gpus || !cJSON_IsNumber(s))
                    break;
                long v = (long)s->valuedouble;
                if (host >= 0 && v >= 0 && (size_t)v < f->cluster.hosts[host].n_gpus)
                    m->slot[k] = (signed char)v;
                k++;
            }
            fleet_gpus_retake(f, m->host, m->vm.gpus, m->vm.n_gpus, m->slot, m->vm.name);
        }
        i++;
    }
    return GP_OK;
}

enum gp_status fleet_load(struct fleet *f, const char *path, struct gp_error *err)
{
    char *text = NULL;
    size_t len = 0;
    GP_TRY(read_file(path, &text, &len, err));
    cJSON *root = NULL;
    enum gp_status st = json_parse(text, len, STATE_MAX_BYTES, 64, &root, err);
    free(text);
    if (st != GP_OK) {
        gp_error_prefix(err, "%s", path);
        return st;
    }
    st = load_tree(f, root, err);
    cJSON_Delete(root);
    if (st != GP_OK) {
        gp_error_prefix(err, "%s", path);
        fleet_cleanup(f);
    }
    return st;
}
