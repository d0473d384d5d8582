/* SPDX-License-Identifier: MIT
 * net/fleet.c: the VM fleet listing: Resource Graph first, Arc machines as the fallback.
 * See net/fleet.h. */
#include "net/fleet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model/armjson.h"
#include "model/text.h"

#define FLEET_MAX_PARALLEL 64u
#define FLEET_VMI_SUFFIX "/providers/Microsoft.AzureStackHCI/virtualMachineInstances/default"

struct vm_get {
    struct fleet *f;
    struct arm_call *call; /* NULL when the slot is free */
};

struct fleet {
    struct arm_client *arm;
    struct fleet_options opts;
    char *vm_api, *machine_api;
    char *sub, *rg;
    fleet_rows_fn on_rows;
    fleet_done_fn on_done;
    void *ctx;
    struct pager *pager;
    bool via_machines, paging_done;
    char **queue;         /* machine ids waiting for their VM GET */
    size_t q_head, q_len, q_cap;
    struct vm_get *slots;
    unsigned in_flight;
    struct fleet_stats stats;
    size_t rows;          /* Graph rows seen */
    int busy;             /* depth of caller callbacks running */
    bool canceled;
};

static void fleet_free(struct fleet *f)
{
    for (size_t i = f->q_head; i < f->q_len; i++)
        free(f->queue[i]);
    free(f->queue);
    free(f->slots);
    free(f->vm_api);
    free(f->machine_api);
    free(f->sub);
    free(f->rg);
    free(f);
}

/* Stops everything; safe from our own callbacks (the pager frees itself after its callback). */
static void fleet_destroy(struct fleet *f)
{
    if (f->pager)
        pager_cancel(f->pager);
    f->pager = NULL;
    for (unsigned i = 0; f->slots && i < f->opts.parallel; i++) {
        if (f->slots[i].call)
            arm_cancel(f->slots[i].call);
        f->slots[i].call = NULL;
    }
    fleet_free(f);
}

void fleet_cancel(struct fleet *f)
{
    if (!f)
        return;
    if (f->busy) {
        f->canceled = true; /* destroyed when the caller's callback returns */
        return;
    }
    fleet_destroy(f);
}

static void finish(struct fleet *f, const struct gp_error *err)
{
    fleet_done_fn done = f->on_done;
    void *ctx = f->ctx;
    struct fleet_stats stats = f->stats;
    fleet_destroy(f);
    done(ctx, &stats, err);
}

/* Hands rows to the caller. false when the caller canceled (f is gone then). */
static bool deliver(struct fleet *f, struct vm *vms, size_t n)
{
    f->stats.vms += n;
    f->busy++;
    f->on_rows(f->ctx, vms, n);
    f->busy--;
    if (f->canceled) {
        fleet_destroy(f);
        return false;
    }
    return true;
}

static void note_failure(struct fleet *f, const struct gp_error *err)
{
    if (f->stats.first_failure.status == GP_OK)
        f->stats.first_failure = *err;
}

/* --- Resource Graph ------------------------------------------------------------------------ */

static enum gp_status start_machines(struct fleet *f, struct gp_error *err);

static void on_graph_rows(void *ctx, const char *const *items, size_t n)
{
    struct fleet *f = ctx;
    struct vm *vms = calloc(n, sizeof(*vms));
    if (!vms) {
        f->stats.skipped += n;
        struct gp_error e;
        gp_error_clear(&e);
        gp_error_set(&e, GP_E_NOMEM, "out of memory");
        note_failure(f, &e);
        return;
    }
    size_t got = 0;
    for (size_t i = 0; i < n; i++) {
        struct gp_error e;
        gp_error_clear(&e);
        f->rows++;
        vm_init(&vms[got]);
        enum gp_status st = vm_from_json(&vms[got], items[i], strlen(items[i]), &e);
        if (st == GP_OK && !vms[got].name) {
            vm_cleanup(&vms[got]);
            st = gp_error_set(&e, GP_E_INVALID, "id: not a VM instance of an Arc machine");
        }
        if (st != GP_OK) {
            f->stats.skipped++;
            gp_error_prefix(&e, "Resource Graph row %zu", f->rows);
            note_failure(f, &e);
            continue;
        }
        got++;
    }
    if (!got) {
        free(vms);
        return;
    }
    (void)deliver(f, vms, got); /* when canceled, the pager stops after this callback */
}

static bool graph_refused(int http_status)
{
    return http_status == 400 || http_status == 403 || http_status == 404;
}

static void on_graph_done(void *ctx, unsigned pages, size_t items, const struct gp_error *err)
{
    struct fleet *f = ctx;
    (void)pages;
    f->pager = NULL;
    if (err && graph_refused(err->http_status) && items == 0) {
        f->stats.graph_error = *err;
        struct gp_error e;
        gp_error_clear(&e);
        if (start_machines(f, &e) != GP_OK)
            finish(f, &e);
        return;
    }
    finish(f, err);
}

static enum gp_status start_graph(struct fleet *f, struct gp_error *err)
{
    char query[512];
    int n;
    if (f->rg)
        n = snprintf(query, sizeof(query), "%s | where resourceGroup =~ '%s'",
                     FLEET_GRAPH_QUERY, f->rg);
    else
        n = snprintf(query, sizeof(query), "%s", FLEET_GRAPH_QUERY);
    if (n < 0 || (size_t)n >= sizeof(query))
        return gp_error_set(err, GP_E_INVALID, "resource group name too long");
    const char *subs[1] = {f->sub};
    f->stats.source = FLEET_VIA_GRAPH;
    return pager_graph(f->arm, subs, 1, query, &f->opts.pages, on_graph_rows, on_graph_done, f,
                       &f->pager, err);
}

/* --- the fallback: Arc machines, then each VM instance ------------------------------------ */

static void maybe_finish(struct fleet *f)
{
    if (f->paging_done && f->q_head == f->q_len && f->in_flight == 0)
        finish(f, NULL);
}

static void pump(struct fleet *f);

static void on_vm(void *ctx, const struct http_response *resp, const struct gp_error *err)
{
    struct vm_get *slot = ctx;
    struct fleet *f = slot->f;
    slot->call = NULL;
    f->in_flight--;
    if (err) {
        if (err->http_status == 404) {
            f->stats.without_instance++;
        } else {
            f->stats.failed++;
            note_failure(f, err);
        }
    } else {
        struct vm *vm = calloc(1, sizeof(*vm));
        struct gp_error e;
        gp_error_clear(&e);
        if (!vm) {
            f->stats.failed++;
            gp_error_set(&e, GP_E_NOMEM, "out of memory");
            note_failure(f, &e);
        } else {
            vm_init(vm);
            enum gp_status st = vm_from_json(vm, resp->body, resp->body_len, &e);
            if (st == GP_OK && !vm->name) {
                vm_cleanup(vm);
                st = gp_error_set(&e, GP_E_INVALID, "id: not a VM instance of an Arc machine");
            }
            if (st != GP_OK) {
                free(vm);
                f->stats.skipped++;
                note_failure(f, &e);
            } else if (!deliver(f, vm, 1)) {
                return;
            }
        }
    }
    pump(f);
    maybe_finish(f);
}

static void pump(struct fleet *f)
{
    for (unsigned i = 0; i < f->opts.parallel && f->q_head < f->q_len; i++) {
        struct vm_get *slot = &f->slots[i];
        if (slot->call)
            continue;
        char *id = f->queue[f->q_head];
        f->queue[f->q_head++] = NULL;
        size_t n = strlen(id) + sizeof(FLEET_VMI_SUFFIX) + strlen(f->vm_api) + 16;
        char *path = malloc(n);
        struct gp_error err;
        gp_error_clear(&err);
        enum gp_status st = GP_E_NOMEM;
        if (path) {
            (void)snprintf(path, n, "%s%s?api-version=%s", id, FLEET_VMI_SUFFIX, f->vm_api);
            st = arm_request(f->arm, "GET", path, NULL, 0, on_vm, slot, &slot->call, &err);
        } else {
            gp_error_set(&err, GP_E_NOMEM, "out of memory");
        }
        free(path);
        free(id);
        if (st != GP_OK) {
            f->stats.failed++;
            note_failure(f, &err);
            continue;
        }
        f->in_flight++;
    }
}

/* A machine id we may put in a path: /subscriptions/..., no query, fragment or controls. */
static bool machine_id_ok(const char *id)
{
    if (strncasecmp(id, "/subscriptions/", 15) != 0 || strlen(id) > 1024)
        return false;
    for (const unsigned char *p = (const unsigned char *)id; *p; p++)
        if (*p <= ' ' || *p == '?' || *p == '#' || *p == '%' || *p == 0x7f)
            return false;
    return true;
}

static bool enqueue(struct fleet *f, char *id)
{
    if (f->q_len == f->q_cap) {
        size_t cap = f->q_cap ? f->q_cap * 2 : 64;
        char **q = realloc(f->queue, cap * sizeof(*q));
        if (!q)
            return false;
        f->queue = q;
        f->q_cap = cap;
    }
    f->queue[f->q_len++] = id;
    return true;
}

static void on_machines(void *ctx, const char *const *items, size_t n)
{
    struct fleet *f = ctx;
    for (size_t i = 0; i < n; i++) {
        char *id = NULL, *kind = NULL;
        struct gp_error e;
        gp_error_clear(&e);
        f->stats.machines++;
        if (armjson_resource_kind(items[i], strlen(items[i]), &id, &kind, &e) != GP_OK) {
            f->stats.skipped++;
            gp_error_prefix(&e, "machine %zu", f->stats.machines);
            note_failure(f, &e);
            continue;
        }
        bool hci = str_ieq(kind, "HCI");
        free(kind);
        if (!hci) {
            f->stats.not_vms++; /* a cluster node (or another Arc server), not a VM */
            free(id);
            continue;
        }
        if (!machine_id_ok(id)) {
            f->stats.skipped++;
            gp_error_set(&e, GP_E_INVALID, "machine %zu: unusable id", f->stats.machines);
            note_failure(f, &e);
            free(id);
            continue;
        }
        if (!enqueue(f, id)) {
            free(id);
            f->stats.failed++;
            gp_error_set(&e, GP_E_NOMEM, "out of memory");
            note_failure(f, &e);
        }
    }
    pump(f);
}

static void on_machines_done(void *ctx, unsigned pages, size_t items, const struct gp_error *err)
{
    struct fleet *f = ctx;
    (void)pages;
    (void)items;
    f->pager = NULL;
    if (err) {
        finish(f, err);
        return;
    }
    f->paging_done = true;
    maybe_finish(f);
}

static enum gp_status start_machines(struct fleet *f, struct gp_error *err)
{
    f->via_machines = true;
    f->stats.source = FLEET_VIA_MACHINES;
    char path[512];
    int n;
    if (f->rg)
        n = snprintf(path, sizeof(path),
                     "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.HybridCompute/"
                     "machines?api-version=%s",
                     f->sub, f->rg, f->machine_api);
    else
        n = snprintf(path, sizeof(path),
                     "/subscriptions/%s/providers/Microsoft.HybridCompute/machines?api-version=%s",
                     f->sub, f->machine_api);
    if (n < 0 || (size_t)n >= sizeof(path))
        return gp_error_set(err, GP_E_INVALID, "machine list path too long");
    return pager_list(f->arm, path, &f->opts.pages, on_machines, on_machines_done, f, &f->pager,
                      err);
}

/* --- start --------------------------------------------------------------------------------- */

/* Names that become path segments and Graph string literals: ARM's own character set. */
static bool name_ok(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > max)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                  (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.' ||
                  *p == '(' || *p == ')' || *p >= 0x80;
        if (!ok)
            return false;
    }
    return true;
}

static bool version_ok(const char *s)
{
    return name_ok(s, 40);
}

enum gp_status fleet_list(struct arm_client *arm, const char *subscription,
                          const char *resource_group, const struct fleet_options *opts,
                          fleet_rows_fn on_rows, fleet_done_fn on_done, void *ctx,
                          struct fleet **out, struct gp_error *err)
{
    if (out)
        *out = NULL;
    if (!name_ok(subscription, 64))
        return gp_error_set(err, GP_E_INVALID, "invalid subscription id");
    if (resource_group && !name_ok(resource_group, 90))
        return gp_error_set(err, GP_E_INVALID, "invalid resource group name");
    struct fleet *f = calloc(1, sizeof(*f));
    if (!f)
        return gp_error_set(err, GP_E_NOMEM, "out of memory");
    f->arm = arm;
    f->on_rows = on_rows;
    f->on_done = on_done;
    f->ctx = ctx;
    if (opts)
        f->opts = *opts;
    if (!f->opts.parallel)
        f->opts.parallel = 8;
    if (f->opts.parallel > FLEET_MAX_PARALLEL)
        f->opts.parallel = FLEET_MAX_PARALLEL;
    const char *va = f->opts.vm_api_version ? f->opts.vm_api_version : "2025-09-01-preview";
    const char *ma =
        f->opts.machine_api_version ? f->opts.machine_api_version : "2024-07-10";
    f->opts.vm_api_version = f->opts.machine_api_version = NULL;
    if (!version_ok(va) || !version_ok(ma)) {
        free(f);
        return gp_error_set(err, GP_E_INVALID, "invalid api-version");
    }
    f->vm_api = text_dup(va);
    f->machine_api = text_dup(ma);
    f->sub = text_dup(subscription);
    f->rg = resource_group ? text_dup(resource_group) : NULL;
    f->slots = calloc(f->opts.parallel, sizeof(*f->slots));
    if (!f->vm_api || !f->machine_api || !f->sub || (resource_group && !f->rg) || !f->slots) {
        fleet_free(f);
        return gp_error_set(err, GP_E_NOMEM, "out of memory");
    }
    for (unsigned i = 0; i < f->opts.parallel; i++)
        f->slots[i].f = f;
    gp_error_clear(&f->stats.first_failure);
    gp_error_clear(&f->stats.graph_error);
    /* The pagers start from the loop, so done never runs inside fleet_list. */
    enum gp_status st = f->opts.skip_graph ? start_machines(f, err) : start_graph(f, err);
    if (st != GP_OK) {
        fleet_free(f);
        return st;
    }
    if (out)
        *out = f;
    return GP_OK;
}
