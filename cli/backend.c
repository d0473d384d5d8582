/* SPDX-License-Identifier: MIT
 * cli/backend.c: the CLI's session: effective settings, the loop, the ARM client, and the
 * struct cli_backend over them: VM reads (GET the VM instance), the fleet list (Arc machines of
 * kind HCI through the pager, then their VM instances, a few at a time), plan runs and resumes
 * through net/executor with the journal (net/journal). Every wait runs the one loop until the
 * answer; SIGINT ends it with GP_E_CANCELED (exit 130). */
#include "cli/backend.h"

#include <assert.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/settings.h"
#include "model/armjson.h"
#include "model/journal.h"
#include "model/recovery.h"
#include "model/text.h"
#include "net/arm.h"
#include "net/auth.h"
#include "net/executor.h"
#include "net/journal.h"
#include "net/lock.h"
#include "net/loop.h"
#include "net/fleet.h"
#include "net/lro.h"
#include "net/vmclient.h"
#include "net/pager.h"

extern char **environ;

#define MACHINES_API_VERSION "2024-07-10"
#define SUBSCRIPTIONS_API_VERSION "2022-12-01"
#define PATH_MAX_LEN 2048

struct cli_session {
    struct settings_effective *eff;
    struct cli_backend be;
    struct gp_loop *loop;
    struct arm_client *arm;
    struct http_client *http;   /* for the login endpoints */
    struct auth *auth;          /* the token provider */
    char subscription[SETTINGS_ID_MAX];
    volatile bool interrupted;
    struct vmclient *vmc;       /* the executor's client */
};

/* --- waiting ------------------------------------------------------------------------------ */

static void on_sigint(void *ctx, int signo)
{
    (void)signo;
    struct cli_session *s = ctx;
    s->interrupted = true;
}

/* Runs the loop until *done or an interrupt. */
static enum gp_status wait_for(struct cli_session *s, const bool *done, struct gp_error *err)
{
    while (!*done) {
        if (s->interrupted)
            return gp_error_set(err, GP_E_CANCELED, "interrupted");
        enum gp_status st = loop_run_once(s->loop, -1);
        if (st != GP_OK)
            return gp_error_set(err, st, "event loop failed");
    }
    return GP_OK;
}

static void auth_notice(void *ctx, const char *line)
{
    (void)ctx;
    char safe[512];
    fprintf(stderr, "%s\n", text_sanitize(safe, sizeof(safe), line));
}

static enum gp_status ensure_loop(struct cli_session *s, struct gp_error *err)
{
    if (s->loop)
        return GP_OK;
    if (loop_new(&s->loop) != GP_OK)
        return gp_error_set(err, GP_E_NOMEM, "out of memory");
    if (loop_watch_signal(s->loop, SIGINT, on_sigint, s) != GP_OK)
        return gp_error_set(err, GP_E_FAILED, "cannot watch SIGINT");
    return GP_OK;
}

static struct http_options http_opts(const struct cli_session *s)
{
    struct http_options o;
    memset(&o, 0, sizeof(o));
    o.ca_bundle = s->eff->profile.ca_bundle[0] ? s->eff->profile.ca_bundle : NULL;
    return o;
}

/* The token provider (net/auth) from the settings; login overrides the method and its ids. */
static enum gp_status ensure_auth(struct cli_session *s, const struct cli_login *login,
                                  struct gp_error *err)
{
    if (s->auth)
        return GP_OK;
    GP_TRY(ensure_loop(s, err));
    if (!s->http) {
        struct http_options ho = http_opts(s);
        if (http_client_new(s->loop, &ho, &s->http) != GP_OK)
            return gp_error_set(err, GP_E_NOMEM, "out of memory");
    }
    struct auth_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    auth_config_from_settings(&cfg, s->eff);
    if (login) {
        if (login->method)
            cfg.method = *login->method == 'd'   ? AUTH_DEVICE_CODE
                         : *login->method == 's' ? AUTH_SERVICE_PRINCIPAL
                                                 : AUTH_AZURE_CLI;
        if (login->tenant)
            cfg.tenant = login->tenant;
        if (login->client_id)
            cfg.client_id = login->client_id;
        /* the credential named on the command line replaces the profile's, whichever kind */
        if (login->client_secret_file || login->certificate_file) {
            cfg.client_secret_file = login->client_secret_file;
            cfg.certificate_file = login->certificate_file;
        }
    }
    cfg.notice = auth_notice;
    cfg.notice_ctx = s;
    return auth_new(s->loop, &auth_http_transport_ops, s->http, &cfg, &s->auth, err);
}

static enum gp_status ensure_arm(struct cli_session *s, struct gp_error *err)
{
    if (s->arm)
        return GP_OK;
    GP_TRY(ensure_auth(s, NULL, err));
    struct arm_options opts;
    memset(&opts, 0, sizeof(opts));
    opts.endpoint = s->eff->profile.endpoint[0] ? s->eff->profile.endpoint
                                                : SETTINGS_DEFAULT_ENDPOINT;
    opts.http = http_opts(s);
    return arm_client_new(s->loop, &opts, &auth_arm_token_ops, s->auth, &s->arm, err);
}

/* --- sign-in ------------------------------------------------------------------------------ */

struct login_wait {
    bool done;
    enum gp_status st;
    struct gp_error err;
};

static void login_done(void *ctx, enum gp_status st, const struct gp_secret *token,
                       const struct gp_error *err)
{
    (void)token; /* never printed */
    struct login_wait *w = ctx;
    w->done = true;
    w->st = st;
    if (err)
        w->err = *err;
}

static enum gp_status be_login(void *ctx, const struct cli_login *login, char *out_line,
                               size_t n, struct gp_error *err)
{
    struct cli_session *s = ctx;
    GP_TRY(ensure_auth(s, login, err));
    struct login_wait w;
    memset(&w, 0, sizeof(w));
    GP_TRY(auth_login(s->auth, login_done, &w));
    enum gp_status st = wait_for(s, &w.done, err);
    if (st != GP_OK) {
        auth_cancel(s->auth, &w);
        return st;
    }
    if (w.st != GP_OK) {
        *err = w.err;
        err->status = w.st;
        return w.st;
    }
    (void)auth_describe(s->auth, out_line, n);
    return GP_OK;
}

/* One request, waited for. On success *out_body (caller frees) holds the answer. */
struct sync_call {
    bool done;
    enum gp_status st;
    struct gp_error err;
    char *body;
    size_t len;
};

static void sync_done(void *ctx, const struct http_response *resp, const struct gp_error *err)
{
    struct sync_call *sc = ctx;
    sc->done = true;
    if (err) {
        sc->st = err->status != GP_OK ? err->status : GP_E_HTTP;
        sc->err = *err;
        return;
    }
    sc->st = GP_OK;
    sc->body = malloc(resp->body_len + 1);
    if (!sc->body) {
        sc->st = gp_error_set(&sc->err, GP_E_NOMEM, "out of memory");
        return;
    }
    memcpy(sc->body, resp->body, resp->body_len);
    sc->body[resp->body_len] = '\0';
    sc->len = resp->body_len;
}

static enum gp_status request_sync(struct cli_session *s, const char *method, const char *path,
                                   char **out_body, size_t *out_len, struct gp_error *err)
{
    GP_TRY(ensure_arm(s, err));
    struct sync_call sc;
    memset(&sc, 0, sizeof(sc));
    struct arm_call *call = NULL;
    GP_TRY(arm_request(s->arm, method, path, NULL, 0, sync_done, &sc, &call, err));
    enum gp_status st = wait_for(s, &sc.done, err);
    if (st != GP_OK) {
        if (!sc.done)
            arm_cancel(call);
        free(sc.body);
        return st;
    }
    if (sc.st != GP_OK) {
        *err = sc.err;
        err->status = sc.st;
        return sc.st;
    }
    *out_body = sc.body;
    if (out_len)
        *out_len = sc.len;
    return GP_OK;
}

/* --- names and paths ---------------------------------------------------------------------- */

/* ARM names of resource groups and machines: letters, digits, '-', '_', '.', '(' and ')'. */
static enum gp_status check_name(const char *what, const char *v, struct gp_error *err)
{
    if (!v || !*v)
        return gp_error_set(err, GP_E_INVALID, "missing %s", what);
    if (strlen(v) > 90)
        return gp_error_set(err, GP_E_INVALID, "%s is longer than 90 characters", what);
    for (const char *p = v; *p; p++) {
        char ch = *p;
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' || ch == '(' ||
                  ch == ')';
        if (!ok) {
            char shown[128];
            return gp_error_set(err, GP_E_INVALID, "%s '%s' has a character ARM does not allow",
                                what, text_sanitize(shown, sizeof(shown), v));
        }
    }
    return GP_OK;
}

static const char *api_version(const struct cli_session *s)
{
    return s->eff->profile.api_version[0] ? s->eff->profile.api_version
                                          : SETTINGS_DEFAULT_API_VERSION;
}

/* The subscription: configured, else the only one the endpoint lists. */
static enum gp_status subscription(struct cli_session *s, const char **out, struct gp_error *err)
{
    if (s->subscription[0]) {
        *out = s->subscription;
        return GP_OK;
    }
    char *body = NULL;
    size_t len = 0;
    enum gp_status st = request_sync(s, "GET", "/subscriptions?api-version=" SUBSCRIPTIONS_API_VERSION,
                                     &body, &len, err);
    if (st == GP_E_AUTH || st == GP_E_CANCELED || st == GP_E_NETWORK || st == GP_E_TIMEOUT) {
        free(body);
        return st;
    }
    struct armjson_page page;
    memset(&page, 0, sizeof(page));
    if (st == GP_OK)
        st = armjson_list_parse(body, len, &page, err);
    free(body);
    if (st == GP_OK && page.n_items == 1) {
        char *id = NULL, *kind = NULL;
        st = armjson_resource_kind(page.items[0], strlen(page.items[0]), &id, &kind, err);
        const char *last = id ? strrchr(id, '/') : NULL;
        if (st == GP_OK && last && !text_copy(s->subscription, sizeof(s->subscription), last + 1))
            s->subscription[0] = '\0';
        free(id);
        free(kind);
    }
    size_t n = page.n_items;
    armjson_page_cleanup(&page);
    if (s->subscription[0]) {
        *out = s->subscription;
        return GP_OK;
    }
    gp_error_clear(err);
    return gp_error_set(err, GP_E_CONFIG,
                        "no subscription: give --subscription or set GPUP_SUBSCRIPTION%s",
                        n > 1 ? " (the endpoint lists several)" : "");
}

/* --- reads -------------------------------------------------------------------------------- */

static enum gp_status be_get_vm(void *ctx, const char *rg, const char *name, struct vm *out,
                                struct gp_error *err)
{
    struct cli_session *s = ctx;
    GP_TRY(check_name("resource group", rg, err));
    GP_TRY(check_name("VM name", name, err));
    const char *sub = NULL;
    GP_TRY(subscription(s, &sub, err));
    char path[PATH_MAX_LEN];
    (void)snprintf(path, sizeof(path),
                   "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.HybridCompute/"
                   "machines/%s/providers/Microsoft.AzureStackHCI/virtualMachineInstances/"
                   "default?api-version=%s",
                   sub, rg, name, api_version(s));
    char *body = NULL;
    size_t len = 0;
    enum gp_status st = request_sync(s, "GET", path, &body, &len, err);
    if (st == GP_E_NOT_FOUND)
        gp_error_prefix(err, "VM %s in %s", name, rg);
    if (st != GP_OK)
        return st;
    st = vm_from_json(out, body, len, err);
    free(body);
    return st;
}

/* The fleet (net/fleet): rows are collected as they arrive. */
struct fleet_collect {
    struct vm *vms;
    size_t n, cap;
    bool done;
    enum gp_status st;
    struct gp_error err;
    struct fleet_stats stats;
};

static void collect_rows(void *ctx, struct vm *vms, size_t n)
{
    struct fleet_collect *fc = ctx;
    if (fc->st == GP_OK && fc->n + n > fc->cap) {
        size_t cap = fc->cap ? fc->cap : 256;
        while (cap < fc->n + n)
            cap *= 2;
        struct vm *grown = realloc(fc->vms, cap * sizeof(*grown));
        if (!grown)
            fc->st = gp_error_set(&fc->err, GP_E_NOMEM, "out of memory");
        else {
            fc->vms = grown;
            fc->cap = cap;
        }
    }
    if (fc->st != GP_OK) {
        vm_array_free(vms, n);
        return;
    }
    /* Take the structs over (shallow move), then free only the array. */
    memcpy(fc->vms + fc->n, vms, n * sizeof(*vms));
    fc->n += n;
    free(vms);
}

static void collect_done(void *ctx, const struct fleet_stats *stats, const struct gp_error *err)
{
    struct fleet_collect *fc = ctx;
    fc->done = true;
    fc->stats = *stats;
    if (err && fc->st == GP_OK) {
        fc->err = *err;
        fc->st = err->status != GP_OK ? err->status : GP_E_HTTP;
    }
}

static enum gp_status be_list_vms(void *ctx, const char *rg, struct vm **out_vms, size_t *out_n,
                                  struct gp_error *err)
{
    struct cli_session *s = ctx;
    *out_vms = NULL;
    *out_n = 0;
    if (rg)
        GP_TRY(check_name("resource group", rg, err));
    const char *sub = NULL;
    GP_TRY(subscription(s, &sub, err));
    GP_TRY(ensure_arm(s, err));
    struct fleet_options o;
    memset(&o, 0, sizeof(o));
    o.vm_api_version = api_version(s);
    o.machine_api_version = MACHINES_API_VERSION;
    struct fleet_collect fc;
    memset(&fc, 0, sizeof(fc));
    struct fleet *f = NULL;
    GP_TRY(fleet_list(s->arm, sub, rg, &o, collect_rows, collect_done, &fc, &f, err));
    enum gp_status st = wait_for(s, &fc.done, err);
    if (st != GP_OK && !fc.done)
        fleet_cancel(f);
    if (st == GP_OK && fc.st != GP_OK) {
        *err = fc.err;
        st = fc.st;
    }
    if (st == GP_OK && fc.stats.failed > 0) {
        /* Some VMs could not be read: the list would be silently short. */
        *err = fc.stats.first_failure;
        gp_error_prefix(err, "%zu VM(s) could not be read", fc.stats.failed);
        st = err->status != GP_OK ? err->status : GP_E_FAILED;
    }
    if (st != GP_OK) {
        vm_array_free(fc.vms, fc.n);
        return st;
    }
    *out_vms = fc.vms;
    *out_n = fc.n;
    return GP_OK;
}

/* --- host GPU inventory (azure-local-api.md 7) -------------------------------------------- */

#define EDGE_API_VERSION "2026-03-15-preview"
#define CLUSTER_MAX_HOSTS 256u

/* Cluster nodes are the Arc machines without kind HCI. */
struct node_list {
    char *rg[CLUSTER_MAX_HOSTS];
    char *name[CLUSTER_MAX_HOSTS];
    size_t n;
    bool done;
    struct gp_error err;
    enum gp_status st;
};

static void node_items(void *ctx, const char *const *items, size_t n)
{
    struct node_list *nl = ctx;
    for (size_t i = 0; i < n; i++) {
        char *id = NULL, *kind = NULL, *rg = NULL, *name = NULL;
        struct gp_error e;
        if (armjson_resource_kind(items[i], strlen(items[i]), &id, &kind, &e) == GP_OK &&
            !str_ieq(kind, "HCI") && nl->n < CLUSTER_MAX_HOSTS &&
            vm_id_parse(id, NULL, &rg, &name, &e) == GP_OK) {
            nl->rg[nl->n] = rg;
            nl->name[nl->n++] = name;
            rg = name = NULL;
        }
        free(rg);
        free(name);
        free(id);
        free(kind);
    }
}

static void node_done(void *ctx, unsigned pages, size_t items, const struct gp_error *err)
{
    (void)pages;
    (void)items;
    struct node_list *nl = ctx;
    nl->done = true;
    if (err) {
        nl->err = *err;
        nl->st = err->status != GP_OK ? err->status : GP_E_HTTP;
    }
}

static enum gp_status read_hosts(struct cli_session *s, const char *sub, struct node_list *nl,
                                 struct cluster *out, struct gp_error *err)
{
    out->hosts = calloc(nl->n ? nl->n : 1, sizeof(*out->hosts));
    if (!out->hosts)
        return gp_error_set(err, GP_E_NOMEM, "out of memory");
    for (size_t i = 0; i < nl->n; i++) {
        char path[PATH_MAX_LEN];
        (void)snprintf(path, sizeof(path),
                       "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.AzureStackHCI/"
                       "edgeMachines/%s/gpus?api-version=" EDGE_API_VERSION,
                       sub, nl->rg[i], nl->name[i]);
        char *body = NULL;
        size_t len = 0;
        GP_TRY(request_sync(s, "GET", path, &body, &len, err));
        struct host *h = &out->hosts[out->n_hosts++];
        h->name = text_dup(nl->name[i]);
        h->resource_group = text_dup(nl->rg[i]);
        enum gp_status st = h->name && h->resource_group
                                ? host_gpus_from_json(h, body, len, err)
                                : gp_error_set(err, GP_E_NOMEM, "out of memory");
        free(body);
        if (st != GP_OK) {
            gp_error_prefix(err, "GPUs of host %s", nl->name[i]);
            return st;
        }
    }
    return GP_OK;
}

static enum gp_status be_get_cluster(void *ctx, struct cluster *out, struct gp_error *err)
{
    struct cli_session *s = ctx;
    const char *sub = NULL;
    GP_TRY(subscription(s, &sub, err));
    GP_TRY(ensure_arm(s, err));
    char path[PATH_MAX_LEN];
    (void)snprintf(path, sizeof(path),
                   "/subscriptions/%s/providers/Microsoft.HybridCompute/machines?api-version="
                   MACHINES_API_VERSION,
                   sub);
    struct node_list *nl = calloc(1, sizeof(*nl));
    if (!nl)
        return gp_error_set(err, GP_E_NOMEM, "out of memory");
    struct pager *pg = NULL;
    enum gp_status st = pager_list(s->arm, path, NULL, node_items, node_done, nl, &pg, err);
    if (st == GP_OK) {
        st = wait_for(s, &nl->done, err);
        if (st != GP_OK && !nl->done)
            pager_cancel(pg);
    }
    if (st == GP_OK && nl->st != GP_OK) {
        *err = nl->err;
        st = nl->st;
    }
    if (st == GP_OK)
        st = read_hosts(s, sub, nl, out, err);
    out->inventory_known = st == GP_OK && out->n_hosts > 0;
    for (size_t i = 0; i < nl->n; i++) {
        free(nl->rg[i]);
        free(nl->name[i]);
    }
    free(nl);
    return st;
}

/* --- executor client ---------------------------------------------------------------------- */

/* The executor's client (net/vmclient), made with the ARM client. */
static enum gp_status ensure_vmclient(struct cli_session *s, struct gp_error *err)
{
    if (s->vmc)
        return GP_OK;
    GP_TRY(ensure_arm(s, err));
    return vmclient_new(s->arm, api_version(s), &s->vmc, err);
}

/* --- plan runs ---------------------------------------------------------------------------- */

struct run_state {
    bool done;
    enum exec_step_state shown[JOURNAL_MAX_STEPS]; /* last state printed per step */
    FILE *progress;
    struct cli_plan_result *out;
    enum gp_status st;
    char vm_id[PATH_MAX_LEN];
};

static void run_progress(void *ctx, const struct exec_progress *p)
{
    struct run_state *r = ctx;
    if (!r->progress)
        return;
    /* One line per step and state: "running" once, then how it ended. */
    if (p->state == EXEC_PENDING)
        return;
    if (p->index < JOURNAL_MAX_STEPS) {
        if (r->shown[p->index] == p->state)
            return;
        r->shown[p->index] = p->state;
    }
    char summary[256], detail[256];
    fprintf(r->progress, "[%zu/%zu] %s: %s%s%s\n", p->index + 1, p->n_steps,
            text_sanitize(summary, sizeof(summary), p->summary ? p->summary : ""),
            exec_step_state_name(p->state), p->detail && p->detail[0] ? " - " : "",
            text_sanitize(detail, sizeof(detail), p->detail ? p->detail : ""));
    fflush(r->progress);
}

static void run_done(void *ctx, const struct exec_result *res)
{
    struct run_state *r = ctx;
    r->done = true;
    r->st = res->status;
    r->out->err = res->err;
    r->out->partial = res->partial;
    (void)text_copy(r->out->op_id, sizeof(r->out->op_id), res->op_id);
    (void)text_copy(r->out->state_line, sizeof(r->out->state_line), res->state_line);
    r->out->n_offers = 0;
    for (size_t i = 0; i < res->n_offers && i < CLI_MAX_OFFERS; i++)
        (void)text_copy(r->out->offers[r->out->n_offers++], sizeof(r->out->offers[0]),
                        res->offers[i].label);
}

/* After a run: the executor's work ends; read the VM once for the output. */
static enum gp_status finish_run(struct cli_session *s, struct executor *ex,
                                 struct run_state *rs, struct journal_file *jf)
{
    enum gp_status st = wait_for(s, &rs->done, &rs->out->err);
    if (st != GP_OK) {
        /* Interrupted: the operation stays unfinished in the journal (resumable). */
        exec_cancel(ex);
        (void)text_copy(rs->out->op_id, sizeof(rs->out->op_id), exec_op_id(ex));
        rs->st = GP_E_CANCELED;
        (void)gp_error_set(&rs->out->err, GP_E_CANCELED,
                           "interrupted; the operation is unfinished");
    }
    exec_free(ex);
    journal_file_close(jf);
    if (rs->st == GP_OK && rs->vm_id[0]) {
        char *body = NULL;
        size_t len = 0;
        char path[PATH_MAX_LEN + 128];
        (void)snprintf(path, sizeof(path), "%s?api-version=%s", rs->vm_id, api_version(s));
        struct gp_error e;
        gp_error_clear(&e);
        if (request_sync(s, "GET", path, &body, &len, &e) == GP_OK &&
            vm_from_json(&rs->out->vm, body, len, &e) == GP_OK)
            rs->out->have_vm = true;
        free(body);
    }
    return rs->st;
}

static enum gp_status open_journal(struct cli_session *s, struct journal_file *jf,
                                   struct gp_error *err)
{
    jf->fd = -1;
    if (s->eff->paths.state_dir[0])
        return journal_file_open_in(jf, s->eff->paths.state_dir, err);
    return journal_file_open(jf, err);
}

static struct exec_options exec_opts(const struct cli_session *s)
{
    struct exec_options o;
    memset(&o, 0, sizeof(o));
    o.state_dir = s->eff->paths.state_dir[0] ? s->eff->paths.state_dir : NULL;
    return o;
}

static enum gp_status be_run_plan(void *ctx, const struct plan *plan, FILE *progress,
                                  struct cli_plan_result *out)
{
    struct cli_session *s = ctx;
    GP_TRY(ensure_vmclient(s, &out->err));
    struct journal_file jf;
    GP_TRY(open_journal(s, &jf, &out->err));
    struct run_state rs = {.progress = progress, .out = out};
    if (plan->vm_id)
        (void)text_copy(rs.vm_id, sizeof(rs.vm_id), plan->vm_id);
    struct exec_options o = exec_opts(s);
    struct executor *ex = NULL;
    enum gp_status st = exec_start(s->loop, &vmclient_exec_ops, s->vmc, journal_file_sink, &jf,
                                   plan, &o, run_progress, run_done, &rs, &ex, &out->err);
    if (st != GP_OK) {
        journal_file_close(&jf);
        return st;
    }
    return finish_run(s, ex, &rs, &jf);
}

static enum gp_status be_resume_op(void *ctx, const char *op_id, FILE *progress,
                                   struct cli_plan_result *out)
{
    struct cli_session *s = ctx;
    GP_TRY(ensure_vmclient(s, &out->err));
    char dir[4096];
    if (s->eff->paths.state_dir[0])
        (void)text_copy(dir, sizeof(dir), s->eff->paths.state_dir);
    else
        GP_TRY(journal_state_dir(dir, sizeof(dir), &out->err));
    char *text = NULL;
    size_t len = 0;
    GP_TRY(journal_file_read(dir, &text, &len, &out->err));
    struct journal_ops ops;
    journal_ops_init(&ops);
    enum gp_status st = journal_replay(text, len, (int64_t)time(NULL), &ops, &out->err);
    free(text);
    const struct journal_op *op = st == GP_OK ? journal_ops_find(&ops, op_id, NULL) : NULL;
    if (st == GP_OK && !op)
        st = gp_error_set(&out->err, GP_E_NOT_FOUND, "no operation %s in the journal", op_id);
    struct journal_file jf;
    jf.fd = -1;
    if (st == GP_OK)
        st = open_journal(s, &jf, &out->err);
    struct run_state rs = {.progress = progress, .out = out};
    struct executor *ex = NULL;
    if (st == GP_OK) {
        assert(op); /* st is GP_OK only when the operation was found */
        if (op->vm_id)
            (void)text_copy(rs.vm_id, sizeof(rs.vm_id), op->vm_id);
        struct exec_options o = exec_opts(s);
        st = exec_resume(s->loop, &vmclient_exec_ops, s->vmc, journal_file_sink, &jf, op, &o,
                         run_progress, run_done, &rs, &ex, &out->err);
        if (st != GP_OK)
            journal_file_close(&jf);
    }
    journal_ops_cleanup(&ops);
    if (st != GP_OK)
        return st;
    return finish_run(s, ex, &rs, &jf);
}

static enum gp_status be_abandon_op(void *ctx, const struct journal_op *op,
                                    struct gp_error *err)
{
    struct cli_session *s = ctx;
    const char *dir = s->eff->paths.state_dir[0] ? s->eff->paths.state_dir : NULL;
    struct vm_lock lk;
    GP_TRY(vm_lock_acquire(&lk, dir, op->vm_id, op->vm_name, NULL, err));
    struct journal_ops ops;
    enum gp_status st = journal_file_load(dir, (int64_t)time(NULL), &ops, err);
    const struct journal_op *now = st == GP_OK ? journal_ops_find(&ops, op->id, NULL) : NULL;
    if (st == GP_OK && (!now || !journal_op_needs_attention(now)))
        st = gp_error_set(err, GP_E_INVALID, "operation %s is %s (finished meanwhile); there is "
                          "nothing to abandon", op->id,
                          now ? journal_op_state_name(now->state) : "gone from the journal");
    struct journal_file jf;
    jf.fd = -1;
    if (st == GP_OK)
        st = open_journal(s, &jf, err);
    if (st == GP_OK)
        st = exec_journal_abandon(journal_file_sink, &jf, op->id, (int64_t)time(NULL), err);
    journal_file_close(&jf);
    journal_ops_cleanup(&ops);
    vm_lock_release(&lk);
    return st;
}

/* --no-wait: the request only, accepted. */
struct send_state {
    bool done;
    enum gp_status st;
    struct gp_error err;
};

static void send_done(void *ctx, const struct http_response *resp, const struct gp_error *err)
{
    (void)resp;
    struct send_state *x = ctx;
    x->done = true;
    if (err) {
        x->st = err->status != GP_OK ? err->status : GP_E_HTTP;
        x->err = *err;
    }
}

static enum gp_status be_send_step(void *ctx, const struct plan_step *step, struct gp_error *err)
{
    struct cli_session *s = ctx;
    GP_TRY(ensure_arm(s, err));
    struct send_state x;
    memset(&x, 0, sizeof(x));
    struct arm_call *call = NULL;
    GP_TRY(arm_request(s->arm, step->method, step->path, step->body,
                       step->body ? strlen(step->body) : 0, send_done, &x, &call, err));
    enum gp_status st = wait_for(s, &x.done, err);
    if (st != GP_OK) {
        if (!x.done)
            arm_cancel(call);
        return st;
    }
    if (x.st != GP_OK)
        *err = x.err;
    return x.st;
}

/* --- session ------------------------------------------------------------------------------ */

enum gp_status cli_session_open(const struct cli_args *args, struct cli_session **out,
                                struct gp_error *err)
{
    struct cli_session *s = calloc(1, sizeof(*s));
    *out = s;
    if (!s)
        return gp_error_set(err, GP_E_NOMEM, "out of memory");
    s->eff = calloc(1, sizeof(*s->eff));
    if (!s->eff)
        return gp_error_set(err, GP_E_NOMEM, "out of memory");
    const char *const *env = (const char *const *)environ;
    struct settings *file = settings_new();
    if (!file)
        return gp_error_set(err, GP_E_NOMEM, "out of memory");
    struct settings_warnings warn;
    memset(&warn, 0, sizeof(warn));
    enum gp_status st = settings_load(file, args->value[CLI_OPT_CONFIG], env, &warn, err);
    for (size_t i = 0; i < warn.count; i++) {
        char line[SETTINGS_WARNING_MAX];
        fprintf(stderr, "%s\n", text_sanitize(line, sizeof(line), warn.lines[i]));
    }
    if (st == GP_OK) {
        struct settings_flags flags = {
            .profile = args->value[CLI_OPT_PROFILE],
            .endpoint = args->value[CLI_OPT_ENDPOINT],
            .subscription = args->value[CLI_OPT_SUBSCRIPTION],
            .config = args->value[CLI_OPT_CONFIG],
            .mouse = args->set[CLI_OPT_MOUSE],
        };
        st = settings_resolve(file, &flags, env, s->eff, err);
    }
    settings_free(file);
    if (st != GP_OK)
        return st;
    (void)text_copy(s->subscription, sizeof(s->subscription), s->eff->profile.subscription);
    s->be = (struct cli_backend){
        .ctx = s,
        .list_vms = be_list_vms,
        .get_vm = be_get_vm,
        .get_cluster = be_get_cluster,
        .run_plan = be_run_plan,
        .send_step = be_send_step,
        .resume_op = be_resume_op,
        .abandon_op = be_abandon_op,
        .login = be_login,
    };
    return GP_OK;
}

enum gp_status cli_session_console_parts(struct cli_session *s, struct cli_console_parts *out,
                                        struct cluster *out_cluster, struct gp_error *err)
{
    memset(out, 0, sizeof(*out));
    GP_TRY(subscription(s, &out->subscription, err));
    GP_TRY(ensure_vmclient(s, err));
    out->loop = s->loop;
    out->arm = s->arm;
    out->vmc = s->vmc;
    if (s->eff->paths.state_dir[0])
        (void)text_copy(out->state_dir, sizeof(out->state_dir), s->eff->paths.state_dir);
    else
        GP_TRY(journal_state_dir(out->state_dir, sizeof(out->state_dir), err));
    struct gp_error ignored;
    gp_error_clear(&ignored);
    if (be_get_cluster(s, out_cluster, &ignored) != GP_OK) {
        /* No inventory: the rules that need it say "unknown" rather than guess. */
        cluster_cleanup(out_cluster);
        cluster_init(out_cluster);
    }
    if (s->eff->profile.partition_size_mb > 0)
        out_cluster->partition_size_mb_config = s->eff->profile.partition_size_mb;
    return GP_OK;
}

const struct cli_backend *cli_session_backend(const struct cli_session *s)
{
    return &s->be;
}

const struct settings_effective *cli_session_settings(const struct cli_session *s)
{
    return s->eff;
}

void cli_session_close(struct cli_session *s)
{
    if (!s)
        return;
    vmclient_free(s->vmc);
    arm_client_free(s->arm);
    auth_free(s->auth);
    http_client_free(s->http);
    loop_free(s->loop);
    free(s->eff);
    free(s);
}
