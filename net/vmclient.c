/* SPDX-License-Identifier: MIT
 * net/vmclient.c: exec_client_ops over ARM. A GET of the VM instance, mapped with
 * vm_from_json; a step is its request followed by the long-running operation to its end (no
 * final GET: the executor reads the VM back itself to confirm). */
#include "net/vmclient.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/text.h"
#include "model/vm.h"
#include "net/arm.h"
#include "net/lro.h"

#define VMCLIENT_PATH_MAX 2048

/* One call in flight; linked so that cancel can reach all of them. */
struct vmcall {
    struct vmclient *c;
    struct vmcall *next, *prev;
    struct arm_call *get;
    struct lro *lro;
    exec_vm_done_fn vm_done;
    exec_step_done_fn step_done;
    void *ctx;
};

struct vmclient {
    struct arm_client *arm;
    char api_version[40];
    struct vmcall *calls;
};

enum gp_status vmclient_new(struct arm_client *arm, const char *api_version, struct vmclient **out,
                            struct gp_error *err)
{
    *out = NULL;
    struct vmclient *c = calloc(1, sizeof(*c));
    if (!c)
        return gp_error_set(err, GP_E_NOMEM, "out of memory");
    if (!text_copy(c->api_version, sizeof(c->api_version), api_version)) {
        free(c);
        return gp_error_set(err, GP_E_INVALID, "api-version too long");
    }
    c->arm = arm;
    *out = c;
    return GP_OK;
}

static struct vmcall *call_new(struct vmclient *c, void *ctx)
{
    struct vmcall *k = calloc(1, sizeof(*k));
    if (!k)
        return NULL;
    k->c = c;
    k->ctx = ctx;
    k->next = c->calls;
    if (c->calls)
        c->calls->prev = k;
    c->calls = k;
    return k;
}

static void call_free(struct vmcall *k)
{
    if (k->prev)
        k->prev->next = k->next;
    else
        k->c->calls = k->next;
    if (k->next)
        k->next->prev = k->prev;
    free(k);
}

static void get_done(void *ctx, const struct http_response *resp, const struct gp_error *err)
{
    struct vmcall *k = ctx;
    exec_vm_done_fn done = k->vm_done;
    void *dctx = k->ctx;
    call_free(k);
    if (err) {
        done(dctx, err->status != GP_OK ? err->status : GP_E_HTTP, NULL, err);
        return;
    }
    struct vm vm;
    struct gp_error e;
    gp_error_clear(&e);
    vm_init(&vm);
    enum gp_status st = vm_from_json(&vm, resp->body, resp->body_len, &e);
    done(dctx, st, st == GP_OK ? &vm : NULL, &e);
    vm_cleanup(&vm);
}

static enum gp_status get_vm(void *client, const char *vm_id, exec_vm_done_fn done, void *ctx,
                             struct gp_error *err)
{
    struct vmclient *c = client;
    char path[VMCLIENT_PATH_MAX];
    int n = snprintf(path, sizeof(path), "%s?api-version=%s", vm_id, c->api_version);
    if (n < 0 || (size_t)n >= sizeof(path))
        return gp_error_set(err, GP_E_INVALID, "VM id too long");
    struct vmcall *k = call_new(c, ctx);
    if (!k)
        return gp_error_set(err, GP_E_NOMEM, "out of memory");
    k->vm_done = done;
    enum gp_status st = arm_request(c->arm, "GET", path, NULL, 0, get_done, k, &k->get, err);
    if (st != GP_OK)
        call_free(k);
    return st;
}

static void step_done(void *ctx, const struct lro_result *res, const struct gp_error *err)
{
    (void)res;
    struct vmcall *k = ctx;
    exec_step_done_fn done = k->step_done;
    void *dctx = k->ctx;
    call_free(k);
    done(dctx, err ? (err->status != GP_OK ? err->status : GP_E_FAILED) : GP_OK, err);
}

static enum gp_status run_step(void *client, const struct plan_step *step, exec_step_done_fn done,
                               void *ctx, struct gp_error *err)
{
    struct vmclient *c = client;
    struct vmcall *k = call_new(c, ctx);
    if (!k)
        return gp_error_set(err, GP_E_NOMEM, "out of memory");
    k->step_done = done;
    struct lro_options o;
    memset(&o, 0, sizeof(o));
    o.final_path = ""; /* the executor confirms by reading the VM back */
    enum gp_status st = lro_begin(c->arm, step->method, step->path, step->body,
                                  step->body ? strlen(step->body) : 0, &o, step_done, k, &k->lro,
                                  err);
    if (st != GP_OK)
        call_free(k);
    return st;
}

/* Cancels the calls made with ctx, or every call when ctx is NULL. */
static void cancel_calls(struct vmclient *c, const void *ctx)
{
    /* Cancelling runs no callback, so only the cancelled call leaves the list. */
    for (struct vmcall *k = c->calls, *next; k; k = next) {
        next = k->next;
        if (ctx && k->ctx != ctx)
            continue;
        if (k->get)
            arm_cancel(k->get);
        if (k->lro)
            lro_cancel(k->lro);
        call_free(k);
    }
}

static void cancel_for(void *client, void *ctx)
{
    cancel_calls(client, ctx);
}

void vmclient_free(struct vmclient *c)
{
    if (!c)
        return;
    cancel_calls(c, NULL);
    free(c);
}

const struct exec_client_ops vmclient_exec_ops = {
    .get_vm = get_vm,
    .run_step = run_step,
    .cancel = cancel_for,
};
