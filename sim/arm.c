/* SPDX-License-Identifier: MIT
 * sim/arm.c: gpup-sim's ARM routing and answers (azure-local-api.md sections 1-4 and 7). */
#include "sim/arm.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "model/json.h"
#include "model/rules.h"
#include "model/text.h"
#include "sim/jsonw.h"

/* --- api-versions ------------------------------------------------------------------------ */

static const char *const VMI_VERSIONS[] = {"2024-01-01",
                                           "2024-05-01-preview",
                                           "2024-08-01-preview",
                                           "2024-10-01-preview",
                                           "2025-02-01-preview",
                                           "2025-04-01-preview",
                                           "2025-06-01-preview",
                                           "2025-09-01-preview",
                                           "2026-02-01-preview",
                                           "2026-04-01-preview",
                                           NULL};
static const char *const MACHINE_VERSIONS[] = {
    "2020-08-02",         "2020-08-15-preview", "2021-01-28-preview",
    "2021-03-25-preview", "2021-04-22-preview", "2021-05-17-preview",
    "2021-05-20",         "2021-06-10-preview", "2021-12-10-preview",
    "2022-03-10",         "2022-05-10-preview", "2022-08-11-preview",
    "2022-11-10",         "2022-12-27",         "2022-12-27-preview",
    "2023-03-15-preview", "2023-06-20-preview", "2023-10-03-preview",
    "2024-03-31-preview", "2024-05-20-preview", "2024-07-10",
    "2024-07-31-preview", "2024-09-10-preview", "2024-11-10-preview",
    "2025-01-13",         "2025-02-19-preview", NULL};
static const char *const GRAPH_VERSIONS[] = {
    "2019-04-01", "2020-04-01-preview", "2021-03-01", "2021-06-01-preview",
    "2022-10-01", "2024-04-01",         NULL};
static const char *const EDGE_VERSIONS[] = {"2026-03-15-preview", NULL};
static const char *const SUB_VERSIONS[] = {"2016-06-01", "2019-06-01", "2020-01-01",
                                           "2021-01-01", "2022-12-01", NULL};
/* The tenant the emulator's subscription belongs to. */
#define SIM_TENANT_ID "72f988bf-0000-4000-8000-00000000cafe"
#define VMI_GA "2024-01-01"
#define VMI_NEWEST "2026-04-01-preview"

/* Newer Arc machine previews are accepted as they appear: any YYYY-MM-DD[-preview] after
 * 2025-01-13, since SDK builds pin versions we cannot list ahead of time. */
static bool machine_version_newer(const char *v)
{
    size_t n = strlen(v);
    if (n != 10 && !(n == 18 && !strcmp(v + 10, "-preview")))
        return false;
    for (size_t i = 0; i < 10; i++) {
        bool dash = i == 4 || i == 7;
        if (dash ? v[i] != '-' : !isdigit((unsigned char)v[i]))
            return false;
    }
    return strncmp(v, "2025-01-13", 10) > 0 && strncmp(v, "2100", 4) < 0;
}

/* --- response helpers --------------------------------------------------------------------- */

static void add_header(struct arm_response *r, const char *name, const char *fmt, ...)
    GP_PRINTF(3, 4);
static void add_header(struct arm_response *r, const char *name, const char *fmt, ...)
{
    if (r->n_headers >= ARM_MAX_HEADERS)
        return;
    struct arm_header *h = &r->headers[r->n_headers++];
    (void)text_copy(h->name, sizeof(h->name), name);
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(h->value, sizeof(h->value), fmt, ap);
    va_end(ap);
    for (char *p = h->value; *p; p++) /* no header splitting from echoed values */
        if ((unsigned char)*p < 0x20)
            *p = ' ';
}

static void set_body(struct arm_response *r, int status, struct gp_buf *b)
{
    free(r->body);
    r->status = status;
    r->body = gp_buf_take(b, &r->body_len);
    if (!r->body)
        r->body_len = 0;
}

static void arm_error(struct arm_response *r, int status, const char *code, const char *target,
                      const char *fmt, ...) GP_PRINTF(5, 6);
static void arm_error(struct arm_response *r, int status, const char *code, const char *target,
                      const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    struct gp_buf b;
    gp_buf_init(&b, 64 * 1024);
    enum gp_status st = gp_buf_append_str(&b, "{\"error\":{");
    if (st == GP_OK)
        st = jsonw_member(&b, "code", code);
    if (st == GP_OK)
        st = gp_buf_append_str(&b, ",");
    if (st == GP_OK)
        st = jsonw_member(&b, "message", msg);
    if (st == GP_OK && target && *target) {
        st = gp_buf_append_str(&b, ",");
        if (st == GP_OK)
            st = jsonw_member(&b, "target", target);
    }
    if (st == GP_OK)
        st = gp_buf_append_str(&b, ",\"details\":[]}}");
    if (st != GP_OK)
        gp_buf_reset(&b); /* out of memory: the status alone, not half an object */
    set_body(r, status, &b);
    gp_buf_cleanup(&b);
}

static void oom(struct arm_response *r)
{
    arm_error(r, 500, "InternalServerError", NULL, "The emulator ran out of memory.");
}

static void not_found(struct arm_response *r, const char *type, const char *name, const char *rg)
{
    arm_error(r, 404, "ResourceNotFound", NULL,
              "The Resource '%s/%s' under resource group '%s' was not found. For more details "
              "please go to https://aka.ms/ARMResourceNotFoundFix",
              type, name, rg);
}

static void bad_path(struct arm_response *r, const struct arm_request *q)
{
    char shown[200];
    arm_error(r, 404, "InvalidResourceType", NULL,
              "No resource type or operation is served at '%s %s'.", q->method,
              text_sanitize(shown, sizeof(shown), q->path));
}

static void bad_method(struct arm_response *r, const struct arm_request *q)
{
    arm_error(r, 405, "MethodNotAllowed", NULL, "The HTTP method '%s' is not supported here.",
              q->method);
}

static bool check_version(struct arm_response *r, const struct arm_request *q,
                          const char *const *list, bool machines)
{
    if (!q->api_version || !*q->api_version) {
        arm_error(r, 400, "MissingApiVersionParameter", NULL,
                  "The api-version query parameter (?api-version=) is required for all "
                  "requests.");
        return false;
    }
    for (size_t i = 0; list[i]; i++)
        if (str_ieq(list[i], q->api_version))
            return true;
    if (machines && machine_version_newer(q->api_version))
        return true;
    char supported[1024] = "";
    size_t used = 0;
    for (size_t i = 0; list[i]; i++) {
        int w =
            snprintf(supported + used, sizeof(supported) - used, "%s%s", i ? ", " : "", list[i]);
        if (w < 0 || (size_t)w >= sizeof(supported) - used)
            break;
        used += (size_t)w;
    }
    char shown[64];
    arm_error(r, 400, "InvalidApiVersionParameter", NULL,
              "The api-version '%s' is invalid. The supported versions are '%s%s'.",
              text_sanitize(shown, sizeof(shown), q->api_version), supported,
              machines ? " and newer" : "");
    return false;
}

static bool is_json_type(const char *ct)
{
    if (!ct)
        return false;
    while (*ct == ' ')
        ct++;
    size_t n = strlen("application/json");
    return strncasecmp(ct, "application/json", n) == 0 &&
           (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* PUT/PATCH/POST bodies must be JSON objects: 415 for another media type, 400 when empty
 * or malformed. */
static bool check_body(struct arm_response *r, const struct arm_request *q, bool required)
{
    if (q->body_len == 0) {
        if (!required)
            return true;
        arm_error(r, 400, "InvalidRequestContent", NULL,
                  "The request content was invalid and could not be deserialized: the body "
                  "is empty.");
        return false;
    }
    if (!is_json_type(q->content_type)) {
        char shown[96];
        arm_error(r, 415, "UnsupportedMediaType", NULL,
                  "The content media type '%s' is not supported. Only 'application/json' is "
                  "supported.",
                  q->content_type ? text_sanitize(shown, sizeof(shown), q->content_type) : "");
        return false;
    }
    return true;
}

static cJSON *parse_body(struct arm_response *r, const struct arm_request *q)
{
    cJSON *root = NULL;
    struct gp_error err;
    gp_error_clear(&err);
    if (json_parse(q->body, q->body_len, ARM_MAX_BODY, 64, &root, &err) != GP_OK) {
        arm_error(r, 400, "InvalidRequestContent", NULL,
                  "The request content was invalid and could not be deserialized: %s", err.message);
        return NULL;
    }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        arm_error(r, 400, "InvalidRequestContent", NULL,
                  "The request content was invalid and could not be deserialized: expected a "
                  "JSON object.");
        return NULL;
    }
    return root;
}

/* Percent-encodes a path for an absolute URL ('/' kept). */
static enum gp_status url_path(struct gp_buf *b, const char *path)
{
    for (const char *p = path; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~' || c == '(' ||
            c == ')')
            GP_TRY(gp_buf_append(b, p, 1));
        else
            GP_TRY(gp_buf_printf(b, "%%%02X", c));
    }
    return GP_OK;
}

static const char *req_host(const struct arm_request *q)
{
    return q->host && *q->host ? q->host : "localhost";
}

static void retry_headers(struct arm_service *s, struct arm_response *r)
{
    if (s->set.retry_after_ms >= 0)
        add_header(r, "retry-after-ms", "%ld", s->set.retry_after_ms);
    else
        add_header(r, "Retry-After", "%ld", s->set.retry_after_s);
}

/* --- routing -------------------------------------------------------------------------------- */

#define MAX_SEGS 24

struct route {
    char buf[2048];
    const char *seg[MAX_SEGS];
    size_t n;
};

static bool split_path(struct route *rt, const char *path)
{
    if (!text_copy(rt->buf, sizeof(rt->buf), path))
        return false;
    rt->n = 0;
    char *p = rt->buf;
    while (*p) {
        while (*p == '/')
            *p++ = '\0';
        if (!*p)
            break;
        if (rt->n >= MAX_SEGS)
            return false;
        rt->seg[rt->n++] = p;
        while (*p && *p != '/')
            p++;
    }
    return true;
}

static bool seg_is(const struct route *rt, size_t i, const char *lit)
{
    return i < rt->n && strcasecmp(rt->seg[i], lit) == 0;
}

static bool method_is(const struct arm_request *q, const char *m)
{
    return strcmp(q->method, m) == 0;
}

/* --- machines --------------------------------------------------------------------------------- */

static bool parse_skip(struct arm_response *r, const char *token, size_t *out)
{
    *out = 0;
    if (!token || !*token)
        return true;
    char *end = NULL;
    unsigned long long v = strtoull(token, &end, 10);
    if (!end || *end || !isdigit((unsigned char)token[0])) {
        arm_error(r, 400, "InvalidSkipToken", "$skipToken", "The $skipToken is not valid.");
        return false;
    }
    *out = (size_t)v;
    return true;
}

static void list_machines(struct arm_service *s, const struct arm_request *q,
                          struct arm_response *r, const char *rg)
{
    if (!method_is(q, "GET"))
        return bad_method(r, q);
    if (!check_version(r, q, MACHINE_VERSIONS, true))
        return;
    size_t skip;
    if (!parse_skip(r, q->skip_token, &skip))
        return;
    const struct fleet *f = &s->fleet;
    const struct fleet_rg *g = rg ? fleet_rg_find(f, rg) : NULL;
    size_t total = rg ? (g ? g->n : 0) : f->n_machines;
    struct gp_buf b;
    gp_buf_init(&b, 256u * 1024u * 1024u);
    enum gp_status st = gp_buf_append_str(&b, "{\"value\":[");
    size_t pos = skip, shown = 0;
    for (; st == GP_OK && pos < total && shown < s->set.page_size; pos++) {
        size_t idx = rg ? g->idx[pos] : pos;
        if (f->machines[idx].deleted)
            continue;
        if (shown++)
            st = gp_buf_append_str(&b, ",");
        if (st == GP_OK)
            st = fleet_machine_json(f, idx, &b);
    }
    if (st == GP_OK)
        st = gp_buf_append_str(&b, "]");
    if (st == GP_OK && pos < total) {
        st = gp_buf_printf(&b, ",\"nextLink\":\"http://%s", req_host(q));
        if (st == GP_OK)
            st = url_path(&b, q->path);
        if (st == GP_OK)
            st = gp_buf_printf(&b, "?api-version=%s&$skipToken=%zu\"", q->api_version, pos);
    }
    if (st == GP_OK)
        st = gp_buf_append_str(&b, "}");
    if (st != GP_OK)
        oom(r);
    else
        set_body(r, 200, &b);
    gp_buf_cleanup(&b);
}

static void machine(struct arm_service *s, const struct arm_request *q, struct arm_response *r,
                    const char *rg, const char *name)
{
    if (!check_version(r, q, MACHINE_VERSIONS, true))
        return;
    struct fleet *f = &s->fleet;
    long idx = fleet_find(f, rg, name);
    bool put = method_is(q, "PUT"), patch = method_is(q, "PATCH");
    if (method_is(q, "DELETE")) {
        if (idx < 0) {
            r->status = 204;
            return;
        }
        ops_cancel_machine(&s->ops, f, (size_t)idx);
        fleet_delete_machine(f, (size_t)idx);
        s->dirty = true;
        r->status = 200;
        return;
    }
    if (!put && !patch && !method_is(q, "GET"))
        return bad_method(r, q);
    if (idx < 0 && !put)
        return not_found(r, "Microsoft.HybridCompute/machines", name, rg);
    if (put || patch) {
        if (!check_body(r, q, true))
            return;
        cJSON *root = parse_body(r, q);
        if (!root)
            return;
        const cJSON *loc = cJSON_GetObjectItemCaseSensitive(root, "location");
        const cJSON *kind = cJSON_GetObjectItemCaseSensitive(root, "kind");
        if ((loc && !cJSON_IsString(loc)) ||
            (kind && !cJSON_IsString(kind) && !cJSON_IsNull(kind))) {
            cJSON_Delete(root);
            return arm_error(r, 400, "InvalidRequestContent",
                             loc && !cJSON_IsString(loc) ? "location" : "kind",
                             "location and kind must be strings.");
        }
        if (put && !loc) {
            cJSON_Delete(root);
            return arm_error(r, 400, "LocationRequired", "location",
                             "The location property is required for this definition.");
        }
        bool hci = idx >= 0 ? f->machines[idx].hci : false;
        if (put || kind)
            hci = str_ieq(cJSON_GetStringValue(kind), "HCI"); /* NULL for null or absent */
        size_t at;
        bool created = false;
        struct gp_error err;
        gp_error_clear(&err);
        enum gp_status st =
            fleet_put_machine(f, rg, name, loc ? loc->valuestring : NULL, hci, &at, &created, &err);
        cJSON_Delete(root);
        if (st == GP_E_INVALID)
            return arm_error(r, 400, "InvalidResourceName", NULL, "%s", err.message);
        if (st != GP_OK)
            return arm_error(r, st == GP_E_NOMEM ? 500 : 400,
                             st == GP_E_NOMEM ? "InternalServerError" : "QuotaExceeded", NULL, "%s",
                             err.message);
        idx = (long)at;
        s->dirty = true;
        r->status = created ? 201 : 200;
    } else {
        r->status = 200;
    }
    struct gp_buf b;
    gp_buf_init(&b, 1024 * 1024);
    if (fleet_machine_json(f, (size_t)idx, &b) != GP_OK)
        oom(r);
    else
        set_body(r, r->status, &b);
    gp_buf_cleanup(&b);
}

/* --- VM instances ------------------------------------------------------------------------------
 */

static void vmi_body(struct arm_service *s, const struct arm_request *q, struct arm_response *r,
                     size_t idx, int status)
{
    struct gp_buf b;
    gp_buf_init(&b, 1024 * 1024);
    bool gpus = !str_ieq(q->api_version, VMI_GA);
    if (fleet_vmi_json(&s->fleet, idx, gpus, false, &b) != GP_OK)
        oom(r);
    else
        set_body(r, status, &b);
    gp_buf_cleanup(&b);
}

static void op_headers(struct arm_service *s, const struct arm_request *q, struct arm_response *r,
                       const struct op *op, bool location)
{
    const char *host = req_host(q);
    if (location)
        add_header(r, "Location",
                   "http://%s/subscriptions/%s/providers/Microsoft.AzureStackHCI/locations/%s/"
                   "operationResults/%s?api-version=%s",
                   host, s->fleet.subscription, op->location, op->id, q->api_version);
    add_header(r, "Azure-AsyncOperation",
               "http://%s/subscriptions/%s/providers/Microsoft.AzureStackHCI/locations/%s/"
               "operationStatuses/%s?api-version=%s",
               host, s->fleet.subscription, op->location, op->id, q->api_version);
    retry_headers(s, r);
}

static bool busy(struct arm_service *s, struct arm_response *r, size_t idx)
{
    const struct fleet_machine *m = &s->fleet.machines[idx];
    if (!m->op_seq)
        return false;
    const struct op *op = &s->ops.ring[m->op_seq % s->ops.cap];
    arm_error(r, 409, "AnotherOperationInProgress", NULL,
              "Virtual machine '%s' has an operation in progress (%s, %s); retry when it has "
              "finished.",
              m->name, op_kind_name(op->kind), op->id);
    return true;
}

/* Same GPUs: what the request asks for is what the VM has (sizes and names the request
 * leaves out are the service's to fill in). */
static bool gpus_same(const struct vm *vm, const struct vm_gpu *want, size_t n)
{
    if (vm->n_gpus != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        const struct vm_gpu *c = &vm->gpus[i], *w = &want[i];
        if (c->type != w->type || w->type == GPU_ASSIGN_OTHER)
            return false;
        if (w->gpu_name && !str_ieq(w->gpu_name, c->gpu_name))
            return false;
        if (w->partition_size_mb >= 0 && w->partition_size_mb != c->partition_size_mb)
            return false;
    }
    return true;
}

static void rule_error(struct arm_response *r, enum rule_id id, const char *target,
                       const char *message)
{
    arm_error(r, rule_http_status(id), rule_error_code(id), target, "%s", message);
}

/* Evaluates the service rules (model/rules.c, the table gpup shows before Save). */
static bool rules_pass(struct arm_service *s, struct arm_response *r, const struct vm *vm,
                       const struct vm_gpu *want, size_t n, bool creating)
{
    struct rule_input in = {vm, want, n, &s->fleet.cluster, false, creating};
    struct rule_report rep;
    rules_check(&in, &rep);
    if (rep.n_failed == 0)
        return true;
    const struct rule_result *res = &rep.results[rep.first_failed];
    char msg[512];
    (void)snprintf(msg, sizeof(msg), "%s.%s%s", res->reason, res->fix[0] ? " " : "", res->fix);
    rule_error(r, rep.first_failed,
               res->target[0] ? res->target : "properties.hardwareProfile.virtualMachineGPUs", msg);
    return false;
}

static bool parse_vm_body(struct arm_response *r, const struct arm_request *q, struct vm *out)
{
    struct gp_error err;
    gp_error_clear(&err);
    vm_init(out);
    enum gp_status st = vm_from_json(out, q->body, q->body_len, &err);
    if (st == GP_E_NOMEM) {
        oom(r);
        return false;
    }
    if (st != GP_OK) {
        arm_error(r, 400, "InvalidRequestContent", NULL,
                  "The request content was invalid and could not be deserialized: %s", err.message);
        return false;
    }
    if (str_ieq(q->api_version, VMI_GA)) { /* the GA version has no GPU fields */
        fleet_gpus_free(out->gpus, out->n_gpus);
        out->gpus = NULL;
        out->n_gpus = 0;
        out->gpus_present = false;
    }
    return true;
}

static void vmi_update(struct arm_service *s, const struct arm_request *q, struct arm_response *r,
                       size_t idx, bool put)
{
    struct fleet *f = &s->fleet;
    struct fleet_machine *m = &f->machines[idx];
    struct vm want;
    if (busy(s, r, idx) || !parse_vm_body(r, q, &want))
        return;
    /* The service validates virtualMachineGPUs whenever a request carries it: on a VM that is
     * not stopped even an unchanged list is refused (there is no live change). */
    enum power_state pw = m->vm.power;
    if (want.gpus_present && pw != POWER_STOPPED && pw != POWER_DEALLOCATED) {
        vm_cleanup(&want);
        char msg[300];
        (void)snprintf(msg, sizeof(msg),
                       "%s is %s; GPUs change only on a stopped VM. Stop %s first, then change "
                       "its GPUs.",
                       m->name, power_state_name(pw), m->name);
        return rule_error(r, RULE_VM_STOPPED, "properties.hardwareProfile.virtualMachineGPUs", msg);
    }
    bool change = want.gpus_present && !gpus_same(&m->vm, want.gpus, want.n_gpus);
    struct vm_gpu *got = NULL;
    signed char slots[VM_MAX_GPUS], old_slots[VM_MAX_GPUS];
    memcpy(old_slots, m->slot, sizeof(old_slots));
    if (change) {
        if (!rules_pass(s, r, &m->vm, want.gpus, want.n_gpus, false)) {
            vm_cleanup(&want);
            return;
        }
        fleet_gpus_release(f, m->host, m->vm.gpus, m->vm.n_gpus, m->slot, m->vm.name);
        enum rule_id rule = RULE_CAPACITY;
        struct gp_error err;
        gp_error_clear(&err);
        enum gp_status st = fleet_gpus_claim(f, m->host, m->vm.name, want.gpus, want.n_gpus, &got,
                                             slots, &rule, &err);
        if (st != GP_OK) {
            memcpy(m->slot, old_slots, sizeof(old_slots));
            fleet_gpus_retake(f, m->host, m->vm.gpus, m->vm.n_gpus, m->slot, m->vm.name);
            vm_cleanup(&want);
            if (st == GP_E_RULE)
                return rule_error(r, rule, "properties.hardwareProfile.virtualMachineGPUs",
                                  err.message);
            return oom(r);
        }
    }
    struct op *op = ops_begin(&s->ops, f, OP_UPDATE, idx, q->now_ms, q->now_wall_ms, s->set.op_ms);
    if (!op) {
        if (change) {
            fleet_gpus_release(f, m->host, got, want.n_gpus, slots, m->vm.name);
            fleet_gpus_free(got, want.n_gpus);
            memcpy(m->slot, old_slots, sizeof(old_slots));
            fleet_gpus_retake(f, m->host, m->vm.gpus, m->vm.n_gpus, m->slot, m->vm.name);
        }
        vm_cleanup(&want);
        return oom(r);
    }
    if (change) {
        op->gpus_change = true;
        op->gpus = got;
        op->n_gpus = want.n_gpus;
        memcpy(op->slots, slots, sizeof(slots));
        memcpy(op->old_slots, old_slots, sizeof(old_slots));
    }
    if (want.vm_size) {
        op->vm_size = want.vm_size;
        want.vm_size = NULL;
    }
    op->processors = want.processors;
    op->memory_mb = want.memory_mb;
    vm_cleanup(&want);
    faults_on_operation(&s->faults, false, &op->fail, &op->stuck);
    s->dirty = true;
    if (put) {
        vmi_body(s, q, r, idx, 200);
        op_headers(s, q, r, op, false);
    } else {
        r->status = 202;
        op_headers(s, q, r, op, true);
    }
}

static bool fill_new_vm(struct arm_service *s, const struct arm_request *q, size_t idx,
                        struct vm *want, int host)
{
    struct fleet *f = &s->fleet;
    struct fleet_machine *m = &f->machines[idx];
    struct vm *vm = &m->vm;
    char id[700], mid[512];
    if (!fleet_machine_id(f, idx, mid, sizeof(mid)))
        return false;
    (void)snprintf(id, sizeof(id),
                   "%s/providers/Microsoft.AzureStackHCI/virtualMachineInstances/default", mid);
    vm_cleanup(vm);
    vm->id = text_dup(id);
    vm->name = text_dup(m->name);
    vm->subscription = text_dup(f->subscription);
    vm->resource_group = text_dup(m->rg);
    vm->custom_location = want->custom_location;
    want->custom_location = NULL;
    vm->vm_size = want->vm_size ? want->vm_size : text_dup("Default");
    want->vm_size = NULL;
    vm->processors = want->processors > 0 ? want->processors : 4;
    vm->memory_mb = want->memory_mb > 0 ? want->memory_mb : 8192;
    vm->computer_name = want->computer_name ? want->computer_name : text_dup(m->name);
    want->computer_name = NULL;
    vm->admin_username = want->admin_username;
    want->admin_username = NULL;
    vm->image_id = want->image_id;
    want->image_id = NULL;
    vm->host_node = host >= 0 ? text_dup(f->cluster.hosts[host].name) : NULL;
    vm->gpus_present = true;
    vm->provisioning = PROV_ACCEPTED;
    vm->power = POWER_STOPPED;
    (void)q;
    return vm->id && vm->name && vm->subscription && vm->resource_group && vm->vm_size &&
           vm->computer_name && (host < 0 || vm->host_node);
}

static void vmi_create(struct arm_service *s, const struct arm_request *q, struct arm_response *r,
                       size_t idx)
{
    struct fleet *f = &s->fleet;
    struct fleet_machine *m = &f->machines[idx];
    struct vm want;
    if (!parse_vm_body(r, q, &want))
        return;
    int site = fleet_site_find(f, want.custom_location);
    if (!want.custom_location) {
        vm_cleanup(&want);
        return arm_error(r, 400, "InvalidParameter", "extendedLocation",
                         "The extendedLocation of type CustomLocation is required.");
    }
    if (site < 0 && f->n_sites > 0) {
        char shown[200];
        arm_error(r, 400, "InvalidParameter", "extendedLocation.name",
                  "Custom location '%s' was not found.",
                  text_sanitize(shown, sizeof(shown), want.custom_location));
        vm_cleanup(&want);
        return;
    }
    /* Rules that do not depend on the host first (model/rules.c, creating). */
    struct vm probe;
    vm_init(&probe);
    probe.name = m->name;
    probe.custom_location = want.custom_location;
    bool ok = rules_pass(s, r, &probe, want.gpus, want.n_gpus, true);
    probe.name = NULL;
    probe.custom_location = NULL;
    if (!ok) {
        vm_cleanup(&want);
        return;
    }
    /* Place it: the least loaded node of the cluster that can give it its GPUs. */
    int host = -1;
    struct vm_gpu *got = NULL;
    signed char slots[VM_MAX_GPUS];
    memset(slots, -1, sizeof(slots));
    enum rule_id first_rule = RULE_MODE_AVAILABLE;
    char first_msg[512] = "";
    bool tried[4096] = {false};
    size_t n_hosts = f->cluster.n_hosts < 4096 ? f->cluster.n_hosts : 4096;
    for (;;) {
        int best = -1;
        for (size_t h = 0; h < n_hosts; h++)
            if (!tried[h] && f->host_site[h] == site &&
                (best < 0 || f->host_vms[h] < f->host_vms[best]))
                best = (int)h;
        if (best < 0)
            break;
        tried[best] = true;
        if (want.n_gpus == 0) {
            host = best;
            break;
        }
        enum rule_id rule = RULE_CAPACITY;
        struct gp_error err;
        gp_error_clear(&err);
        enum gp_status st =
            fleet_gpus_claim(f, best, m->name, want.gpus, want.n_gpus, &got, slots, &rule, &err);
        if (st == GP_OK) {
            host = best;
            break;
        }
        if (st != GP_E_RULE) {
            vm_cleanup(&want);
            return oom(r);
        }
        if (!first_msg[0]) {
            first_rule = rule;
            (void)text_copy(first_msg, sizeof(first_msg), err.message);
        }
    }
    if (want.n_gpus > 0 && host < 0) {
        vm_cleanup(&want);
        if (!first_msg[0])
            (void)text_copy(first_msg, sizeof(first_msg), "The cluster has no GPUs.");
        return rule_error(r, first_rule, "properties.hardwareProfile.virtualMachineGPUs",
                          first_msg);
    }
    size_t n_got = want.n_gpus;
    if (!fill_new_vm(s, q, idx, &want, host)) {
        vm_cleanup(&want);
        fleet_gpus_release(f, host, got, n_got, slots, m->name);
        fleet_gpus_free(got, n_got);
        vm_cleanup(&m->vm);
        return oom(r);
    }
    vm_cleanup(&want);
    m->has_vmi = true;
    m->host = host;
    memset(m->slot, -1, sizeof(m->slot));
    f->n_vmi++;
    if (host >= 0)
        f->host_vms[host]++;
    struct op *op = ops_begin(&s->ops, f, OP_CREATE, idx, q->now_ms, q->now_wall_ms, s->set.op_ms);
    if (!op) {
        fleet_gpus_release(f, host, got, n_got, slots, m->name);
        fleet_gpus_free(got, n_got);
        fleet_remove_vmi(f, idx);
        return oom(r);
    }
    op->gpus_change = true;
    op->gpus = got;
    op->n_gpus = n_got;
    memcpy(op->slots, slots, sizeof(slots));
    faults_on_operation(&s->faults, false, &op->fail, &op->stuck);
    s->dirty = true;
    vmi_body(s, q, r, idx, 201);
    op_headers(s, q, r, op, false);
}

static void vmi_action(struct arm_service *s, const struct arm_request *q, struct arm_response *r,
                       size_t idx, enum op_kind kind)
{
    if (busy(s, r, idx))
        return;
    struct op *op =
        ops_begin(&s->ops, &s->fleet, kind, idx, q->now_ms, q->now_wall_ms, s->set.op_ms);
    if (!op)
        return oom(r);
    faults_on_operation(&s->faults, kind == OP_STOP || kind == OP_POWEROFF, &op->fail, &op->stuck);
    s->dirty = true;
    r->status = 202;
    op_headers(s, q, r, op, true);
}

static void vmi(struct arm_service *s, const struct arm_request *q, struct arm_response *r,
                const struct route *rt, const char *rg, const char *name)
{
    if (!check_version(r, q, VMI_VERSIONS, false))
        return;
    struct fleet *f = &s->fleet;
    long idx = fleet_find(f, rg, name);
    size_t n = rt->n;
    if (n == 11) { /* list under one machine */
        if (!method_is(q, "GET"))
            return bad_method(r, q);
        if (idx < 0)
            return not_found(r, "Microsoft.HybridCompute/machines", name, rg);
        struct gp_buf b;
        gp_buf_init(&b, 1024 * 1024);
        enum gp_status st = gp_buf_append_str(&b, "{\"value\":[");
        if (st == GP_OK && f->machines[idx].has_vmi)
            st = fleet_vmi_json(f, (size_t)idx, !str_ieq(q->api_version, VMI_GA), false, &b);
        if (st == GP_OK)
            st = gp_buf_append_str(&b, "]}");
        if (st != GP_OK)
            oom(r);
        else
            set_body(r, 200, &b);
        gp_buf_cleanup(&b);
        return;
    }
    bool exists = idx >= 0 && f->machines[idx].has_vmi;
    if (!seg_is(rt, 11, "default")) {
        if (n == 12 && (method_is(q, "GET") || method_is(q, "PATCH") || method_is(q, "DELETE")))
            return not_found(r, "Microsoft.AzureStackHCI/virtualMachineInstances", rt->seg[11], rg);
        return bad_path(r, q);
    }
    if (n == 13) {
        static const struct {
            const char *name;
            enum op_kind kind;
            bool ga;
        } actions[] = {{"start", OP_START, true},     {"stop", OP_STOP, true},
                       {"restart", OP_RESTART, true}, {"pause", OP_PAUSE, false},
                       {"save", OP_SAVE, false},      {"powerOff", OP_POWEROFF, false}};
        for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
            if (!seg_is(rt, 12, actions[i].name))
                continue;
            if ((!actions[i].ga && str_ieq(q->api_version, VMI_GA)) ||
                (actions[i].kind == OP_POWEROFF && !str_ieq(q->api_version, VMI_NEWEST)))
                return bad_path(r, q);
            if (!method_is(q, "POST"))
                return bad_method(r, q);
            if (!check_body(r, q, false))
                return;
            if (!exists)
                return not_found(r, "Microsoft.AzureStackHCI/virtualMachineInstances", "default",
                                 rg);
            return vmi_action(s, q, r, (size_t)idx, actions[i].kind);
        }
        return bad_path(r, q);
    }
    if (method_is(q, "GET")) {
        if (!exists)
            return not_found(r, "Microsoft.AzureStackHCI/virtualMachineInstances", "default", rg);
        return vmi_body(s, q, r, (size_t)idx, 200);
    }
    if (method_is(q, "DELETE")) {
        if (!exists) {
            r->status = 204;
            return;
        }
        return vmi_action(s, q, r, (size_t)idx, OP_DELETE);
    }
    bool put = method_is(q, "PUT");
    if (!put && !method_is(q, "PATCH"))
        return bad_method(r, q);
    if (!check_body(r, q, true))
        return;
    if (idx < 0) {
        char shown[100];
        return arm_error(r, 404, "ParentResourceNotFound", NULL,
                         "Can not perform requested operation on nested resource. Parent "
                         "resource '%s' not found.",
                         text_sanitize(shown, sizeof(shown), name));
    }
    if (!exists) {
        if (!put)
            return not_found(r, "Microsoft.AzureStackHCI/virtualMachineInstances", "default", rg);
        return vmi_create(s, q, r, (size_t)idx);
    }
    vmi_update(s, q, r, (size_t)idx, put);
}

/* --- operations ---------------------------------------------------------------------------------
 */

static void operation(struct arm_service *s, const struct arm_request *q, struct arm_response *r,
                      const char *id, bool results)
{
    if (!method_is(q, "GET"))
        return bad_method(r, q);
    if (!check_version(r, q, VMI_VERSIONS, false))
        return;
    struct op *op = ops_find(&s->ops, id);
    if (!op) {
        char shown[64];
        return arm_error(r, 404, "ResourceNotFound", NULL, "Operation '%s' was not found.",
                         text_sanitize(shown, sizeof(shown), id));
    }
    if (!results) {
        struct gp_buf b;
        gp_buf_init(&b, 64 * 1024);
        if (ops_status_json(op, &s->fleet, q->now_ms, &b) != GP_OK)
            oom(r);
        else
            set_body(r, 200, &b);
        gp_buf_cleanup(&b);
        if (op->status == OP_RUNNING)
            retry_headers(s, r);
        return;
    }
    switch (op->status) {
    case OP_RUNNING:
        r->status = 202;
        add_header(r, "Location",
                   "http://%s/subscriptions/%s/providers/Microsoft.AzureStackHCI/locations/%s/"
                   "operationResults/%s?api-version=%s",
                   req_host(q), s->fleet.subscription, op->location, op->id, q->api_version);
        retry_headers(s, r);
        return;
    case OP_FAILED:
        return arm_error(r, op->err_http ? op->err_http : 409, op->err_code, NULL, "%s",
                         op->err_msg);
    case OP_CANCELED:
        return arm_error(r, 409, "OperationCanceled", NULL, "The operation was canceled.");
    case OP_SUCCEEDED:
    default:
        if (op->kind == OP_DELETE || op->machine >= s->fleet.n_machines ||
            !s->fleet.machines[op->machine].has_vmi) {
            r->status = 204;
            return;
        }
        return vmi_body(s, q, r, op->machine, 200);
    }
}

/* --- host GPU inventory (section 7) ----------------------------------------------------------- */

static void edge_gpus(struct arm_service *s, const struct arm_request *q, struct arm_response *r,
                      const char *rg, const char *node, const char *gpu)
{
    if (!method_is(q, "GET"))
        return bad_method(r, q);
    if (!check_version(r, q, EDGE_VERSIONS, false))
        return;
    struct fleet *f = &s->fleet;
    int hi = fleet_host_find(f, node);
    const struct host *h = hi >= 0 ? &f->cluster.hosts[hi] : NULL;
    if (!h || !str_ieq(h->resource_group, rg))
        return not_found(r, "Microsoft.AzureStackHCI/edgeMachines", node, rg);
    struct gp_buf b;
    gp_buf_init(&b, 4 * 1024 * 1024);
    enum gp_status st = gpu ? GP_OK : gp_buf_append_str(&b, "{\"value\":[");
    bool found = false;
    for (size_t g = 0; st == GP_OK && g < h->n_gpus; g++) {
        const struct host_gpu *hg = &h->gpus[g];
        if (gpu && !str_ieq(gpu, hg->id))
            continue;
        char id[600];
        (void)snprintf(id, sizeof(id),
                       "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.AzureStackHCI/"
                       "edgeMachines/%s/gpus/%s",
                       f->subscription, h->resource_group, h->name, hg->id);
        char *json = NULL;
        st = host_gpu_to_json(h, hg, id, &json);
        if (st == GP_OK && found && !gpu)
            st = gp_buf_append_str(&b, ",");
        if (st == GP_OK)
            st = gp_buf_append_str(&b, json);
        free(json);
        found = true;
    }
    if (st == GP_OK && !gpu)
        st = gp_buf_append_str(&b, "]}");
    if (st != GP_OK)
        oom(r);
    else if (gpu && !found)
        not_found(r, "Microsoft.AzureStackHCI/edgeMachines/gpus", gpu, rg);
    else
        set_body(r, 200, &b);
    gp_buf_cleanup(&b);
}

/* --- Resource Graph -------------------------------------------------------------------------- */

/* Reads the one query shape we serve:
 *   resources | where type =~ 'microsoft.azurestackhci/virtualmachineinstances'
 *             [| where resourceGroup =~ 'x']
 * Case and blanks are free; == works as =~; quotes may be ' or ". *out_rg gets x or "". */
static bool graph_query(const char *query, char *out_rg, size_t rg_len)
{
    char norm[1024];
    size_t n = 0;
    bool quoted = false;
    for (const char *p = query; *p; p++) {
        char c = *p;
        if (c == '"')
            c = '\'';
        if (c == '\'')
            quoted = !quoted;
        if (!quoted && isspace((unsigned char)c))
            continue;
        if (n + 1 >= sizeof(norm))
            return false;
        norm[n++] = (char)tolower((unsigned char)c);
    }
    norm[n] = '\0';
    for (char *p = strstr(norm, "=="); p; p = strstr(p, "=="))
        p[1] = '~';
    static const char base[] =
        "resources|wheretype=~'microsoft.azurestackhci/virtualmachineinstances'";
    if (n < sizeof(base) - 1 || strncmp(norm, base, sizeof(base) - 1) != 0)
        return false;
    const char *rest = norm + sizeof(base) - 1; /* within norm[0..n] */
    out_rg[0] = '\0';
    if (!*rest)
        return true;
    static const char rgw[] = "|whereresourcegroup=~'";
    if (strncmp(rest, rgw, sizeof(rgw) - 1) != 0)
        return false;
    rest += sizeof(rgw) - 1;
    const char *end = strchr(rest, '\'');
    if (!end || end[1] != '\0' || (size_t)(end - rest) >= rg_len)
        return false;
    memcpy(out_rg, rest, (size_t)(end - rest));
    out_rg[end - rest] = '\0';
    return true;
}

static void graph_error(struct arm_response *r, const char *detail)
{
    struct gp_buf b;
    gp_buf_init(&b, 64 * 1024);
    enum gp_status st = gp_buf_append_str(
        &b, "{\"error\":{\"code\":\"BadRequest\",\"message\":\"Please provide below info when "
            "asking for support: timestamp, correlation id.\",\"details\":[{\"code\":"
            "\"InvalidQuery\",");
    if (st == GP_OK)
        st = jsonw_member(&b, "message", detail);
    if (st == GP_OK)
        st = gp_buf_append_str(&b, "}]}}");
    if (st != GP_OK)
        oom(r);
    else
        set_body(r, 400, &b);
    gp_buf_cleanup(&b);
}

static void graph(struct arm_service *s, const struct arm_request *q, struct arm_response *r)
{
    if (!method_is(q, "POST"))
        return bad_method(r, q);
    if (!check_version(r, q, GRAPH_VERSIONS, false) || !check_body(r, q, true))
        return;
    cJSON *root = parse_body(r, q);
    if (!root)
        return;
    struct fleet *f = &s->fleet;
    const cJSON *query = cJSON_GetObjectItemCaseSensitive(root, "query");
    const cJSON *subs = cJSON_GetObjectItemCaseSensitive(root, "subscriptions");
    const cJSON *opts = cJSON_GetObjectItemCaseSensitive(root, "options");
    char rg[128];
    if (!cJSON_IsString(query) || !graph_query(query->valuestring, rg, sizeof(rg))) {
        cJSON_Delete(root);
        return graph_error(r, "gpup-sim serves only \"resources | where type =~ "
                              "'microsoft.azurestackhci/virtualmachineinstances'\" with an "
                              "optional \"| where resourceGroup =~ 'name'\".");
    }
    bool ours = !subs;
    const cJSON *it;
    if (subs && !cJSON_IsArray(subs)) {
        cJSON_Delete(root);
        return arm_error(r, 400, "InvalidRequestContent", "subscriptions",
                         "subscriptions must be an array of strings.");
    }
    cJSON_ArrayForEach(it, subs)
    {
        if (cJSON_IsString(it) && str_ieq(it->valuestring, f->subscription))
            ours = true;
    }
    long top = 100;
    size_t skip = 0;
    const cJSON *t = opts ? cJSON_GetObjectItemCaseSensitive(opts, "$top") : NULL;
    const cJSON *k = opts ? cJSON_GetObjectItemCaseSensitive(opts, "$skipToken") : NULL;
    struct gp_error err;
    if (t && json_item_to_long(t, "options", "$top", true, &top, &err) != GP_OK) {
        cJSON_Delete(root);
        return arm_error(r, 400, "InvalidRequestContent", "options.$top", "%s", err.message);
    }
    if (top < 1)
        top = 1;
    if (top > 1000)
        top = 1000;
    bool skip_ok = parse_skip(r, cJSON_GetStringValue(k), &skip);
    cJSON_Delete(root);
    if (!skip_ok)
        return;
    const struct fleet_rg *g = rg[0] ? fleet_rg_find(f, rg) : NULL;
    size_t total_pos = !ours ? 0 : rg[0] ? (g ? g->n : 0) : f->n_machines;
    size_t total = 0;
    if (ours && !rg[0]) {
        total = f->n_vmi;
    } else if (g) {
        for (size_t i = 0; i < g->n; i++)
            total += f->machines[g->idx[i]].has_vmi && !f->machines[g->idx[i]].deleted;
    }
    struct gp_buf b;
    gp_buf_init(&b, 256u * 1024u * 1024u);
    enum gp_status st = gp_buf_append_str(&b, "{\"data\":[");
    size_t pos = skip, count = 0;
    for (; st == GP_OK && pos < total_pos && count < (size_t)top; pos++) {
        size_t idx = g ? g->idx[pos] : pos;
        const struct fleet_machine *m = &f->machines[idx];
        if (m->deleted || !m->has_vmi)
            continue;
        if (count++)
            st = gp_buf_append_str(&b, ",");
        if (st == GP_OK)
            st = fleet_vmi_json(f, idx, true, true, &b);
    }
    /* More only when a row remains past this page. */
    size_t more = pos;
    while (more < total_pos) {
        const struct fleet_machine *m = &f->machines[g ? g->idx[more] : more];
        if (!m->deleted && m->has_vmi)
            break;
        more++;
    }
    if (st == GP_OK)
        st = gp_buf_printf(&b,
                           "],\"count\":%zu,\"totalRecords\":%zu,\"facets\":[],"
                           "\"resultTruncated\":\"false\"",
                           count, total);
    if (st == GP_OK && more < total_pos)
        st = gp_buf_printf(&b, ",\"$skipToken\":\"%zu\"", pos);
    if (st == GP_OK)
        st = gp_buf_append_str(&b, "}");
    if (st != GP_OK)
        oom(r);
    else
        set_body(r, 200, &b);
    gp_buf_cleanup(&b);
}

/* --- entry -------------------------------------------------------------------------------------
 */

/* GET /subscriptions/{id}, or GET /subscriptions (as_list): the emulator's one subscription,
 * alone or in a list as ARM gives them (no nextLink). */
static void subscription(struct arm_service *s, const struct arm_request *q, struct arm_response *r,
                         bool as_list)
{
    if (!method_is(q, "GET"))
        return bad_method(r, q);
    if (!check_version(r, q, SUB_VERSIONS, false))
        return;
    struct gp_buf b;
    gp_buf_init(&b, 4096);
    if (gp_buf_printf(&b,
                      "%s{\"id\":\"/subscriptions/%s\",\"subscriptionId\":\"%s\","
                      "\"displayName\":\"gpup-sim\",\"state\":\"Enabled\","
                      "\"tenantId\":\"" SIM_TENANT_ID "\"}%s",
                      as_list ? "{\"value\":[" : "", s->fleet.subscription, s->fleet.subscription,
                      as_list ? "]}" : "") != GP_OK)
        oom(r);
    else
        set_body(r, 200, &b);
    gp_buf_cleanup(&b);
}

static void route(struct arm_service *s, const struct arm_request *q, struct arm_response *r)
{
    struct route rt;
    if (!split_path(&rt, q->path))
        return bad_path(r, q);
    size_t n = rt.n;
    if (n == 3 && seg_is(&rt, 0, "providers") && seg_is(&rt, 1, "Microsoft.ResourceGraph") &&
        seg_is(&rt, 2, "resources"))
        return graph(s, q, r);
    if (n == 1 && seg_is(&rt, 0, "subscriptions"))
        return subscription(s, q, r, true);
    if (n < 2 || !seg_is(&rt, 0, "subscriptions"))
        return bad_path(r, q);
    if (!str_ieq(rt.seg[1], s->fleet.subscription)) {
        char shown[64];
        return arm_error(r, 404, "SubscriptionNotFound", NULL,
                         "The subscription '%s' could not be found.",
                         text_sanitize(shown, sizeof(shown), rt.seg[1]));
    }
    if (n == 2)
        return subscription(s, q, r, false);
    if (seg_is(&rt, 2, "providers")) {
        if (n == 5 && seg_is(&rt, 3, "Microsoft.HybridCompute") && seg_is(&rt, 4, "machines"))
            return list_machines(s, q, r, NULL);
        if (n == 8 && seg_is(&rt, 3, "Microsoft.AzureStackHCI") && seg_is(&rt, 4, "locations")) {
            if (seg_is(&rt, 6, "operationStatuses"))
                return operation(s, q, r, rt.seg[7], false);
            if (seg_is(&rt, 6, "operationResults"))
                return operation(s, q, r, rt.seg[7], true);
        }
        return bad_path(r, q);
    }
    if (n < 6 || !seg_is(&rt, 2, "resourceGroups") || !seg_is(&rt, 4, "providers"))
        return bad_path(r, q);
    const char *rg = rt.seg[3];
    if (seg_is(&rt, 5, "Microsoft.HybridCompute") && seg_is(&rt, 6, "machines")) {
        if (n == 7)
            return list_machines(s, q, r, rg);
        if (n == 8)
            return machine(s, q, r, rg, rt.seg[7]);
        if ((n >= 11 && n <= 13) && seg_is(&rt, 8, "providers") &&
            seg_is(&rt, 9, "Microsoft.AzureStackHCI") && seg_is(&rt, 10, "virtualMachineInstances"))
            return vmi(s, q, r, &rt, rg, rt.seg[7]);
        return bad_path(r, q);
    }
    if (seg_is(&rt, 5, "Microsoft.AzureStackHCI") && seg_is(&rt, 6, "edgeMachines") &&
        seg_is(&rt, 8, "gpus") && (n == 9 || n == 10))
        return edge_gpus(s, q, r, rg, rt.seg[7], n == 10 ? rt.seg[9] : NULL);
    bad_path(r, q);
}

static bool authorized(struct arm_service *s, const struct arm_request *q, struct arm_response *r)
{
    bool issued = s->set.issued_only && s->set.tokens;
    if (!s->set.token && !issued)
        return true;
    const char *a = q->authorization;
    if (s->set.token && a && strncasecmp(a, "Bearer ", 7) == 0 && strcmp(a + 7, s->set.token) == 0)
        return true;
    if (issued && a && sim_tokens_accepts(s->set.tokens, a))
        return true;
    const char *why = a ? "The access token is invalid." : "The access token is missing.";
    arm_error(r, 401, "InvalidAuthenticationToken", NULL, "%s", why);
    add_header(r, "WWW-Authenticate",
               "Bearer authorization_uri=\"https://login.microsoftonline.com/common\", "
               "error=\"invalid_token\", error_description=\"%s\"",
               why);
    return false;
}

static void fault_answer(struct arm_response *r, const struct fault_action *a)
{
    switch (a->status) {
    case 429:
        arm_error(r, 429, "TooManyRequests", NULL,
                  "The request was throttled (injected fault). Retry after %ld seconds.",
                  a->retry_s);
        add_header(r, "Retry-After", "%ld", a->retry_s);
        break;
    case 502:
        arm_error(r, 502, "BadGateway", NULL, "Bad gateway (injected fault).");
        break;
    case 503:
        arm_error(r, 503, "ServiceUnavailable", NULL,
                  "The service is unavailable (injected fault).");
        add_header(r, "Retry-After", "%ld", a->retry_s);
        break;
    case 504:
        arm_error(r, 504, "GatewayTimeout", NULL, "The gateway timed out (injected fault).");
        break;
    default:
        arm_error(r, a->status, "InternalServerError", NULL,
                  "Encountered internal server error (injected fault).");
        break;
    }
}

void arm_handle(struct arm_service *s, const struct arm_request *q, struct arm_response *r)
{
    memset(r, 0, sizeof(*r));
    if (ops_advance(&s->ops, &s->fleet, q->now_ms))
        s->dirty = true;
    if (q->body_too_large) {
        arm_error(r, 413, "RequestEntityTooLarge", NULL,
                  "The request body is larger than %u bytes.", ARM_MAX_BODY);
    } else if (authorized(s, q, r)) {
        struct fault_action a = faults_on_request(&s->faults);
        if (a.kind == FAULT_RESET) {
            r->reset = true;
            return;
        }
        if (a.kind == FAULT_HTTP) {
            fault_answer(r, &a);
        } else {
            if (a.kind == FAULT_SLOW)
                r->delay_ms = a.ms;
            route(s, q, r);
        }
    }
    if (!r->status)
        r->status = 500;
    char rid[37], cid[37];
    simrng_guid(&s->ids, rid);
    add_header(r, "x-ms-request-id", "%s", rid);
    if (q->correlation_id && *q->correlation_id) {
        add_header(r, "x-ms-correlation-request-id", "%.60s", q->correlation_id);
    } else {
        simrng_guid(&s->ids, cid);
        add_header(r, "x-ms-correlation-request-id", "%s", cid);
    }
    if (q->client_request_id && *q->client_request_id)
        add_header(r, "x-ms-client-request-id", "%.60s", q->client_request_id);
    add_header(r, "Content-Type", "application/json; charset=utf-8");
}

void arm_response_cleanup(struct arm_response *r)
{
    free(r->body);
    r->body = NULL;
    r->body_len = 0;
}
