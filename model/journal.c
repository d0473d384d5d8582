/* SPDX-License-Identifier: MIT
 * model/journal.c: journal records as JSON lines, their tolerant parsing and the replay into
 * operations with their state. Pure: no I/O; the clock is passed in. Nothing here ever writes
 * a token, a password or a request body other than the GPU list. */
#include "model/journal.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model/text.h"

#define GP_NAME_(id, name) name,
static const char *const record_kind_names[] = {JOURNAL_RECORD_KINDS(GP_NAME_)};
static const char *const outcome_names[] = {JOURNAL_OUTCOMES(GP_NAME_)};
static const char *const op_state_names[] = {JOURNAL_OP_STATES(GP_NAME_)};
/* Local copies of the model's name tables, so the journal stands on its own. */
static const char *const power_names[] = {POWER_STATES(GP_NAME_)};
static const char *const step_kind_names[] = {PLAN_STEP_KINDS(GP_NAME_)};
static const char *const assignment_names[] = {GPU_ASSIGNMENTS(GP_NAME_)};
#undef GP_NAME_

static const char *const plan_kind_names[] = {"gpu-change", "power", "create"};
#define PLAN_KIND_COUNT 3

#define TEXT_MAX 512u      /* summaries, names, paths are cut here when read back */
#define PATH_MAX_LEN 2048u

const char *journal_record_kind_name(enum journal_record_kind k)
{
    return (unsigned)k < JOURNAL_RECORD_KIND_COUNT ? record_kind_names[k] : "?";
}

const char *journal_outcome_name(enum journal_outcome o)
{
    return (unsigned)o < JOURNAL_OUTCOME_COUNT ? outcome_names[o] : "?";
}

const char *journal_op_state_name(enum journal_op_state s)
{
    return (unsigned)s < JOURNAL_OP_STATE_COUNT ? op_state_names[s] : "?";
}

static const char *power_text(enum power_state s)
{
    return (unsigned)s < POWER_STATE_COUNT ? power_names[s] : "Unknown";
}

static enum power_state power_from_text(const char *s)
{
    for (unsigned i = 0; s && i < POWER_STATE_COUNT; i++)
        if (strcmp(power_names[i], s) == 0)
            return (enum power_state)i;
    return POWER_UNKNOWN;
}

static int table_find(const char *const *names, unsigned n, const char *s)
{
    for (unsigned i = 0; s && i < n; i++)
        if (strcmp(names[i], s) == 0)
            return (int)i;
    return -1;
}

/* ---- ops ------------------------------------------------------------------------------- */

static void gpus_free(struct vm_gpu *g, size_t n)
{
    for (size_t i = 0; g && i < n; i++) {
        free(g[i].type_text);
        free(g[i].gpu_name);
    }
    free(g);
}

static enum gp_status gpus_dup(const struct vm_gpu *src, size_t n, struct vm_gpu **out)
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
        g[i].type_text = text_dup(src[i].type_text);
        g[i].gpu_name = text_dup(src[i].gpu_name);
        if ((src[i].type_text && !g[i].type_text) || (src[i].gpu_name && !g[i].gpu_name)) {
            gpus_free(g, n);
            return GP_E_NOMEM;
        }
    }
    *out = g;
    return GP_OK;
}

static void step_cleanup(struct journal_step *s)
{
    free(s->path);
    free(s->body);
    free(s->summary);
    memset(s, 0, sizeof(*s));
}

bool journal_op_needs_attention(const struct journal_op *op)
{
    return op->state == JOP_UNFINISHED || op->state == JOP_FAILED;
}

void journal_op_init(struct journal_op *op)
{
    memset(op, 0, sizeof(*op));
    op->kind = PLAN_GPU_CHANGE;
    op->before_power = POWER_UNKNOWN;
    op->last_power = POWER_UNKNOWN;
    op->failed_step = SIZE_MAX;
    op->state = JOP_UNFINISHED;
}

void journal_op_cleanup(struct journal_op *op)
{
    for (size_t i = 0; op->steps && i < op->n_steps; i++)
        step_cleanup(&op->steps[i]);
    free(op->steps);
    free(op->vm_id);
    free(op->vm_name);
    gpus_free(op->desired, op->n_desired);
    gpus_free(op->before_gpus, op->n_before_gpus);
    journal_op_init(op);
}

static void step_init(struct journal_step *s)
{
    memset(s, 0, sizeof(*s));
    s->expect_power = POWER_UNKNOWN;
    s->power_after = POWER_UNKNOWN;
    s->outcome = JOUT_DONE;
}

static const char *method_static(const char *m)
{
    static const char *const methods[] = {"POST", "PATCH", "PUT", "GET", "DELETE"};
    for (size_t i = 0; m && i < sizeof(methods) / sizeof(methods[0]); i++)
        if (strcmp(methods[i], m) == 0)
            return methods[i];
    return NULL;
}

enum gp_status journal_op_from_plan(struct journal_op *out, const char *op_id,
                                    const struct plan *p, int64_t started, struct gp_error *err)
{
    journal_op_init(out);
    if (p->n_steps > JOURNAL_MAX_STEPS)
        return gp_error_set(err, GP_E_INVALID, "plan has %zu steps; the journal keeps at most %u",
                            p->n_steps, JOURNAL_MAX_STEPS);
    (void)text_copy(out->id, sizeof(out->id), op_id ? op_id : ""); /* cut: ids are short */
    out->kind = p->kind;
    out->downtime = p->downtime;
    out->started = started;
    out->updated = started;
    out->before_power = p->before.power;
    out->last_power = p->before.power;
    out->vm_id = text_dup(p->vm_id);
    out->vm_name = text_dup(p->vm_name);
    if ((p->vm_id && !out->vm_id) || (p->vm_name && !out->vm_name))
        goto nomem;
    if (gpus_dup(p->desired, p->n_desired, &out->desired) != GP_OK)
        goto nomem;
    out->n_desired = p->desired ? p->n_desired : 0;
    if (gpus_dup(p->before.gpus, p->before.n_gpus, &out->before_gpus) != GP_OK)
        goto nomem;
    out->n_before_gpus = p->before.gpus ? p->before.n_gpus : 0;
    if (p->n_steps) {
        out->steps = calloc(p->n_steps, sizeof(*out->steps));
        if (!out->steps)
            goto nomem;
        out->n_steps = p->n_steps;
        for (size_t i = 0; i < p->n_steps; i++) {
            const struct plan_step *ps = &p->steps[i];
            struct journal_step *s = &out->steps[i];
            step_init(s);
            s->kind = ps->kind;
            s->method = method_static(ps->method);
            s->expect_power = ps->expect_power;
            s->expect_gpus = ps->expect_gpus;
            s->path = text_dup(ps->path);
            s->summary = text_dup(ps->summary);
            /* Only the GPU list is kept: other bodies may carry what the journal must not. */
            if (ps->kind == STEP_PATCH_GPUS)
                s->body = text_dup(ps->body);
            if ((ps->path && !s->path) || (ps->summary && !s->summary) ||
                (ps->kind == STEP_PATCH_GPUS && ps->body && !s->body))
                goto nomem;
        }
    }
    return GP_OK;
nomem:
    journal_op_cleanup(out);
    return gp_error_set(err, GP_E_NOMEM, "out of memory copying the plan for the journal");
}

enum gp_status journal_op_to_plan(const struct journal_op *op, struct plan *out,
                                  struct gp_error *err)
{
    out->kind = op->kind;
    out->downtime = op->downtime;
    out->vm_id = text_dup(op->vm_id);
    out->vm_name = text_dup(op->vm_name);
    out->before.id = text_dup(op->vm_id);
    out->before.name = text_dup(op->vm_name);
    out->before.power = op->before_power;
    if ((op->vm_id && (!out->vm_id || !out->before.id)) ||
        (op->vm_name && (!out->vm_name || !out->before.name)))
        goto nomem;
    if (gpus_dup(op->before_gpus, op->n_before_gpus, &out->before.gpus) != GP_OK)
        goto nomem;
    out->before.n_gpus = op->before_gpus ? op->n_before_gpus : 0;
    out->before.gpus_present = true;
    if (gpus_dup(op->desired, op->n_desired, &out->desired) != GP_OK)
        goto nomem;
    out->n_desired = op->desired ? op->n_desired : 0;
    if (op->n_steps) {
        out->steps = calloc(op->n_steps, sizeof(*out->steps));
        if (!out->steps)
            goto nomem;
        out->n_steps = op->n_steps;
        for (size_t i = 0; i < op->n_steps; i++) {
            const struct journal_step *s = &op->steps[i];
            struct plan_step *ps = &out->steps[i];
            ps->kind = s->kind;
            ps->method = s->method ? s->method : "POST";
            ps->expect_power = s->expect_power;
            ps->expect_gpus = s->expect_gpus;
            ps->path = text_dup(s->path);
            ps->body = text_dup(s->body);
            /* A record without a summary (hand-edited, hostile) still gives a plan that
             * plan_format can print: a plan step's summary is never NULL. */
            ps->summary = text_dup(s->summary ? s->summary : "");
            if ((s->path && !ps->path) || (s->body && !ps->body) || !ps->summary)
                goto nomem;
        }
    }
    (void)snprintf(out->impact, sizeof(out->impact), "Resume of operation %s", op->id);
    return GP_OK;
nomem:
    return gp_error_set(err, GP_E_NOMEM, "out of memory rebuilding the plan from the journal");
}

/* ---- encoding -------------------------------------------------------------------------- */

static enum gp_status finish_line(cJSON *root, char **out_line)
{
    *out_line = NULL;
    if (!root)
        return GP_E_NOMEM;
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!text)
        return GP_E_NOMEM;
    size_t n = strlen(text);
    if (n + 1 > JOURNAL_LINE_MAX) {
        cJSON_free(text);
        return GP_E_TOO_LARGE;
    }
    char *line = malloc(n + 2);
    if (!line) {
        cJSON_free(text);
        return GP_E_NOMEM;
    }
    memcpy(line, text, n);
    line[n] = '\n';
    line[n + 1] = '\0';
    cJSON_free(text);
    *out_line = line;
    return GP_OK;
}

static cJSON *record_new(enum journal_record_kind k, const char *op_id, int64_t t)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    if (!cJSON_AddStringToObject(o, "rec", journal_record_kind_name(k)) ||
        !cJSON_AddStringToObject(o, "op", op_id ? op_id : "") ||
        !cJSON_AddNumberToObject(o, "t", (double)t)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* Adds s (NULL: nothing) sanitised and cut to cap bytes. */
static bool add_text(cJSON *o, const char *key, const char *s, size_t cap)
{
    if (!s)
        return true;
    char buf[PATH_MAX_LEN];
    if (cap > sizeof(buf))
        cap = sizeof(buf);
    text_sanitize(buf, cap, s);
    return cJSON_AddStringToObject(o, key, buf) != NULL;
}

static bool add_gpus(cJSON *o, const char *key, const struct vm_gpu *g, size_t n)
{
    cJSON *arr = cJSON_AddArrayToObject(o, key);
    if (!arr)
        return false;
    for (size_t i = 0; g && i < n; i++) {
        cJSON *it = cJSON_CreateObject();
        if (!it || !cJSON_AddItemToArray(arr, it)) {
            cJSON_Delete(it);
            return false;
        }
        const char *type = g[i].type_text ? g[i].type_text
                           : (unsigned)g[i].type < GPU_ASSIGNMENT_COUNT
                               ? assignment_names[g[i].type]
                               : "";
        if (!add_text(it, "type", type, 64))
            return false;
        if (g[i].partition_size_mb >= 0 &&
            !cJSON_AddNumberToObject(it, "size_mb", (double)g[i].partition_size_mb))
            return false;
        if (!add_text(it, "name", g[i].gpu_name, 128))
            return false;
    }
    return true;
}

enum gp_status journal_encode_op_begin(const struct journal_op *op, char **out_line)
{
    *out_line = NULL;
    cJSON *o = record_new(JREC_OP_BEGIN, op->id, op->started);
    if (!o)
        return GP_E_NOMEM;
    const char *kind = (unsigned)op->kind < PLAN_KIND_COUNT ? plan_kind_names[op->kind] : "?";
    cJSON *before = NULL, *steps = NULL;
    if (!cJSON_AddStringToObject(o, "kind", kind) ||
        !add_text(o, "vm_id", op->vm_id ? op->vm_id : "", PATH_MAX_LEN) ||
        !add_text(o, "vm_name", op->vm_name ? op->vm_name : "", 256) ||
        !cJSON_AddBoolToObject(o, "downtime", op->downtime) ||
        !(before = cJSON_AddObjectToObject(o, "before")) ||
        !cJSON_AddStringToObject(before, "power", power_text(op->before_power)) ||
        !add_gpus(before, "gpus", op->before_gpus, op->n_before_gpus) ||
        !add_gpus(o, "desired", op->desired, op->n_desired) ||
        !(steps = cJSON_AddArrayToObject(o, "steps")))
        goto nomem;
    for (size_t i = 0; i < op->n_steps; i++) {
        const struct journal_step *s = &op->steps[i];
        cJSON *it = cJSON_CreateObject();
        if (!it || !cJSON_AddItemToArray(steps, it)) {
            cJSON_Delete(it);
            goto nomem;
        }
        const char *sk = (unsigned)s->kind < PLAN_STEP_KIND_COUNT ? step_kind_names[s->kind] : "?";
        if (!cJSON_AddStringToObject(it, "kind", sk) ||
            !cJSON_AddStringToObject(it, "method", s->method ? s->method : "?") ||
            !add_text(it, "path", s->path ? s->path : "", PATH_MAX_LEN) ||
            !add_text(it, "summary", s->summary, TEXT_MAX) ||
            !cJSON_AddStringToObject(it, "expect_power", power_text(s->expect_power)) ||
            !cJSON_AddBoolToObject(it, "expect_gpus", s->expect_gpus))
            goto nomem;
        if (s->kind == STEP_PATCH_GPUS && s->body && !cJSON_AddStringToObject(it, "body", s->body))
            goto nomem;
    }
    return finish_line(o, out_line);
nomem:
    cJSON_Delete(o);
    return GP_E_NOMEM;
}

enum gp_status journal_encode_step_begin(const char *op_id, size_t index, int64_t t,
                                         char **out_line)
{
    cJSON *o = record_new(JREC_STEP_BEGIN, op_id, t);
    if (o && !cJSON_AddNumberToObject(o, "step", (double)index)) {
        cJSON_Delete(o);
        o = NULL;
    }
    return finish_line(o, out_line);
}

/* Cuts anything that looks like a credential out of service text before it is kept. */
static void redact(char *s)
{
    static const char *const marks[] = {"Bearer ", "bearer ", "access_token", "client_secret",
                                        "Authorization"};
    for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
        char *p = strstr(s, marks[i]);
        if (p) {
            static const char cut[] = "[redacted]";
            size_t room = strlen(p);
            if (room >= sizeof(cut)) {
                memcpy(p, cut, sizeof(cut));
            } else {
                *p = '\0';
            }
        }
    }
}

enum gp_status journal_encode_step_end(const char *op_id, size_t index,
                                       enum journal_outcome outcome, const struct gp_error *err,
                                       enum power_state power_after, int64_t t, char **out_line)
{
    *out_line = NULL;
    cJSON *o = record_new(JREC_STEP_END, op_id, t);
    if (!o)
        return GP_E_NOMEM;
    if (!cJSON_AddNumberToObject(o, "step", (double)index) ||
        !cJSON_AddStringToObject(o, "outcome", journal_outcome_name(outcome)) ||
        !cJSON_AddStringToObject(o, "power", power_text(power_after)))
        goto nomem;
    if (err && err->status != GP_OK) {
        cJSON *e = cJSON_AddObjectToObject(o, "error");
        char msg[sizeof(err->message)];
        text_sanitize(msg, sizeof(msg), err->message);
        redact(msg);
        if (!e || !cJSON_AddStringToObject(e, "status", gp_status_name(err->status)) ||
            !cJSON_AddNumberToObject(e, "http", err->http_status) ||
            !add_text(e, "code", err->code, sizeof(err->code)) ||
            !cJSON_AddStringToObject(e, "message", msg) ||
            !add_text(e, "request_id", err->request_id, sizeof(err->request_id)))
            goto nomem;
    }
    return finish_line(o, out_line);
nomem:
    cJSON_Delete(o);
    return GP_E_NOMEM;
}

enum gp_status journal_encode_op_end(const char *op_id, enum journal_outcome outcome, int64_t t,
                                     char **out_line)
{
    cJSON *o = record_new(JREC_OP_END, op_id, t);
    if (o && !cJSON_AddStringToObject(o, "outcome", journal_outcome_name(outcome))) {
        cJSON_Delete(o);
        o = NULL;
    }
    return finish_line(o, out_line);
}

/* ---- parsing --------------------------------------------------------------------------- */

static const char *get_str(const cJSON *o, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(it) ? it->valuestring : NULL;
}

static bool get_int(const cJSON *o, const char *key, int64_t lo, int64_t hi, int64_t *out)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble))
        return false;
    double d = it->valuedouble;
    if (d < (double)lo || d > (double)hi || d != floor(d))
        return false;
    *out = (int64_t)d;
    return true;
}

static bool id_ok(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n >= JOURNAL_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

/* A path or resource id: printable ASCII starting with '/', bounded. */
static bool path_ok(const char *p)
{
    size_t n = p ? strlen(p) : 0;
    if (n == 0 || n >= PATH_MAX_LEN || p[0] != '/')
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)p[i] <= 0x20 || (unsigned char)p[i] >= 0x7f)
            return false;
    return true;
}

/* A step's path must address the operation's own VM: it starts with the VM id up to its
 * "/providers/Microsoft.AzureStackHCI" part (the Arc machine), so an edited journal cannot
 * send a resume to another resource. */
static bool path_in_vm(const char *path, const char *vm_id)
{
    static const char ext[] = "/providers/microsoft.azurestackhci";
    size_t n = strlen(vm_id), e = sizeof(ext) - 1;
    for (size_t i = 0; i + e <= n; i++) {
        if (strncasecmp(vm_id + i, ext, e) == 0) {
            n = i;
            break;
        }
    }
    if (strncasecmp(path, vm_id, n) != 0)
        return false;
    return path[n] == '\0' || path[n] == '/' || path[n] == '?';
}

static char *dup_sanitized(const char *s, size_t cap)
{
    if (!s)
        return NULL;
    char buf[TEXT_MAX];
    if (cap > sizeof(buf))
        cap = sizeof(buf);
    text_sanitize(buf, cap, s);
    return text_dup(buf);
}

/* GP_E_INVALID for a hostile list (no message: the line is only counted). */
static enum gp_status parse_gpus(const cJSON *arr, struct vm_gpu **out, size_t *out_n)
{
    *out = NULL;
    *out_n = 0;
    if (!arr)
        return GP_OK;
    if (!cJSON_IsArray(arr))
        return GP_E_INVALID;
    int n = cJSON_GetArraySize(arr);
    if (n < 0 || n > VM_MAX_GPUS)
        return GP_E_INVALID;
    if (n == 0)
        return GP_OK;
    struct vm_gpu *g = calloc((size_t)n, sizeof(*g));
    if (!g)
        return GP_E_NOMEM;
    size_t i = 0;
    enum gp_status st = GP_E_INVALID;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        if (!cJSON_IsObject(it))
            goto fail;
        const char *type = get_str(it, "type");
        if (!type)
            goto fail;
        int a = table_find(assignment_names, GPU_ASSIGNMENT_COUNT, type);
        g[i].type = a > 0 ? (enum gpu_assignment)a : GPU_ASSIGN_OTHER;
        g[i].partition_size_mb = -1;
        int64_t size;
        if (cJSON_GetObjectItemCaseSensitive(it, "size_mb")) {
            if (!get_int(it, "size_mb", 0, 1L << 30, &size))
                goto fail;
            g[i].partition_size_mb = (long)size;
        }
        g[i].type_text = dup_sanitized(type, 64);
        const char *name = get_str(it, "name");
        g[i].gpu_name = dup_sanitized(name, 128);
        i++;
        if (!g[i - 1].type_text || (name && !g[i - 1].gpu_name)) {
            st = GP_E_NOMEM;
            goto fail;
        }
    }
    *out = g;
    *out_n = (size_t)n;
    return GP_OK;
fail:
    gpus_free(g, (size_t)n);
    return st;
}

static enum gp_status parse_op_begin(const cJSON *o, const char *id, int64_t t,
                                     struct journal_op *op)
{
    journal_op_init(op);
    (void)text_copy(op->id, sizeof(op->id), id); /* id_ok checked the length */
    op->started = t;
    op->updated = t;
    int k = table_find(plan_kind_names, PLAN_KIND_COUNT, get_str(o, "kind"));
    const char *vm_id = get_str(o, "vm_id"), *vm_name = get_str(o, "vm_name");
    const cJSON *steps = cJSON_GetObjectItemCaseSensitive(o, "steps");
    const cJSON *before = cJSON_GetObjectItemCaseSensitive(o, "before");
    const cJSON *down = cJSON_GetObjectItemCaseSensitive(o, "downtime");
    if (k < 0 || !path_ok(vm_id) || !vm_name || !cJSON_IsArray(steps) || !cJSON_IsObject(before))
        return GP_E_INVALID;
    int n = cJSON_GetArraySize(steps);
    if (n < 0 || (unsigned)n > JOURNAL_MAX_STEPS)
        return GP_E_INVALID;
    op->kind = (enum plan_kind)k;
    op->downtime = cJSON_IsTrue(down);
    op->before_power = power_from_text(get_str(before, "power"));
    op->last_power = op->before_power;
    enum gp_status st = GP_E_NOMEM;
    op->vm_id = text_dup(vm_id);
    op->vm_name = dup_sanitized(vm_name, 256);
    if (!op->vm_id || !op->vm_name)
        goto fail;
    st = parse_gpus(cJSON_GetObjectItemCaseSensitive(before, "gpus"), &op->before_gpus,
                    &op->n_before_gpus);
    if (st != GP_OK)
        goto fail;
    st = parse_gpus(cJSON_GetObjectItemCaseSensitive(o, "desired"), &op->desired, &op->n_desired);
    if (st != GP_OK)
        goto fail;
    if (n > 0) {
        st = GP_E_NOMEM;
        op->steps = calloc((size_t)n, sizeof(*op->steps));
        if (!op->steps)
            goto fail;
        op->n_steps = (size_t)n;
        for (size_t i = 0; i < op->n_steps; i++)
            step_init(&op->steps[i]);
        size_t i = 0;
        const cJSON *it;
        cJSON_ArrayForEach(it, steps)
        {
            struct journal_step *s = &op->steps[i++];
            st = GP_E_INVALID;
            int sk = table_find(step_kind_names, PLAN_STEP_KIND_COUNT, get_str(it, "kind"));
            const char *method = method_static(get_str(it, "method"));
            const char *path = get_str(it, "path");
            const char *body = get_str(it, "body");
            if (sk < 0 || !method || strcmp(method, "GET") == 0 || strcmp(method, "DELETE") == 0 ||
                !path_ok(path) || !path_in_vm(path, vm_id) ||
                (body && strlen(body) > JOURNAL_LINE_MAX))
                goto fail;
            s->kind = (enum plan_step_kind)sk;
            s->method = method;
            s->expect_power = power_from_text(get_str(it, "expect_power"));
            s->expect_gpus = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "expect_gpus"));
            st = GP_E_NOMEM;
            s->path = text_dup(path);
            s->summary = dup_sanitized(get_str(it, "summary"), TEXT_MAX);
            if (s->kind == STEP_PATCH_GPUS && body)
                s->body = text_dup(body);
            if (!s->path || (get_str(it, "summary") && !s->summary) ||
                (s->kind == STEP_PATCH_GPUS && body && !s->body))
                goto fail;
        }
    }
    return GP_OK;
fail:
    journal_op_cleanup(op);
    return st;
}

/* ---- replay ---------------------------------------------------------------------------- */

void journal_ops_init(struct journal_ops *list)
{
    memset(list, 0, sizeof(*list));
}

void journal_ops_cleanup(struct journal_ops *list)
{
    for (size_t i = 0; list->ops && i < list->n; i++)
        journal_op_cleanup(&list->ops[i]);
    free(list->ops);
    journal_ops_init(list);
}

static struct journal_op *find_exact(struct journal_ops *list, const char *id)
{
    for (size_t i = list->n; i-- > 0;)
        if (strcmp(list->ops[i].id, id) == 0)
            return &list->ops[i];
    return NULL;
}

/* The op's ended flag lives in its state: anything but unfinished means an op-end was seen. */
static void apply_step_record(struct journal_op *op, enum journal_record_kind k, size_t index,
                              const cJSON *o, int64_t t)
{
    struct journal_step *s = &op->steps[index];
    op->state = JOP_UNFINISHED; /* a step after an op-end: the operation was resumed */
    if (t > op->updated)
        op->updated = t;
    if (k == JREC_STEP_BEGIN) {
        s->begun = true;
        s->ended = false;
        s->error[0] = '\0';
        return;
    }
    int oc = table_find(outcome_names, JOURNAL_OUTCOME_COUNT, get_str(o, "outcome"));
    s->ended = true;
    s->outcome = oc >= 0 ? (enum journal_outcome)oc : JOUT_FAILED;
    s->power_after = power_from_text(get_str(o, "power"));
    if (s->power_after != POWER_UNKNOWN)
        op->last_power = s->power_after;
    s->error[0] = '\0';
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "error");
    if (cJSON_IsObject(e)) {
        const char *msg = get_str(e, "message");
        text_sanitize(s->error, sizeof(s->error), msg ? msg : "");
    }
}

static enum gp_status replay_line(struct journal_ops *list, const char *line, size_t len)
{
    cJSON *o = cJSON_ParseWithLength(line, len);
    if (!o)
        return GP_E_PARSE;
    enum gp_status st = GP_E_INVALID;
    const char *id = get_str(o, "op");
    int k = table_find(record_kind_names, JOURNAL_RECORD_KIND_COUNT, get_str(o, "rec"));
    int64_t t = 0;
    if (!cJSON_IsObject(o) || k < 0 || !id_ok(id) ||
        !get_int(o, "t", 0, (int64_t)1 << 52, &t))
        goto done;
    struct journal_op *op = find_exact(list, id);
    if (k == JREC_OP_BEGIN) {
        if (op)
            goto done; /* an id is begun once */
        struct journal_op fresh;
        st = parse_op_begin(o, id, t, &fresh);
        if (st != GP_OK)
            goto done;
        if (list->n == JOURNAL_MAX_OPS) {
            /* Room for the newest: the oldest operation that needs no one goes first (an
             * unfinished or failed one is what the journal is kept for), else the oldest. */
            size_t victim = 0;
            for (size_t i = 0; i < list->n; i++) {
                if (!journal_op_needs_attention(&list->ops[i])) {
                    victim = i;
                    break;
                }
            }
            journal_op_cleanup(&list->ops[victim]);
            memmove(&list->ops[victim], &list->ops[victim + 1],
                    (list->n - victim - 1) * sizeof(list->ops[0]));
            list->n--;
        }
        if (!list->ops) {
            list->ops = calloc(JOURNAL_MAX_OPS, sizeof(*list->ops));
            if (!list->ops) {
                journal_op_cleanup(&fresh);
                st = GP_E_NOMEM;
                goto done;
            }
        }
        list->ops[list->n++] = fresh;
        st = GP_OK;
        goto done;
    }
    if (!op)
        goto done;
    if (k == JREC_OP_END) {
        int oc = table_find(outcome_names, JOURNAL_OUTCOME_COUNT, get_str(o, "outcome"));
        if (oc < 0 || oc == JOUT_SKIPPED)
            goto done;
        op->state = oc == JOUT_DONE ? JOP_DONE : oc == JOUT_FAILED ? JOP_FAILED : JOP_ABANDONED;
        if (t > op->updated)
            op->updated = t;
        st = GP_OK;
        goto done;
    }
    int64_t index;
    if (!get_int(o, "step", 0, (int64_t)op->n_steps - 1, &index))
        goto done;
    apply_step_record(op, (enum journal_record_kind)k, (size_t)index, o, t);
    st = GP_OK;
done:
    cJSON_Delete(o);
    return st;
}

static void op_settle(struct journal_op *op, int64_t now)
{
    op->next_step = op->n_steps;
    op->failed_step = SIZE_MAX;
    for (size_t i = 0; i < op->n_steps; i++) {
        const struct journal_step *s = &op->steps[i];
        bool confirmed = s->ended && (s->outcome == JOUT_DONE || s->outcome == JOUT_SKIPPED);
        if (s->ended && s->outcome == JOUT_FAILED && op->failed_step == SIZE_MAX)
            op->failed_step = i;
        if (!confirmed) {
            op->next_step = i;
            break;
        }
    }
    op->age_s = now > op->updated ? now - op->updated : 0;
}

enum gp_status journal_replay(const char *text, size_t len, int64_t now, struct journal_ops *out,
                              struct gp_error *err)
{
    journal_ops_init(out);
    size_t pos = 0;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        size_t n = end - pos;
        if (n > 0 && n <= JOURNAL_LINE_MAX) {
            enum gp_status st = replay_line(out, text + pos, n);
            if (st == GP_E_NOMEM) {
                journal_ops_cleanup(out);
                return gp_error_set(err, GP_E_NOMEM, "out of memory replaying the journal");
            }
            if (st != GP_OK) {
                if (nl)
                    out->skipped++;
                else
                    out->torn = true;
            }
        } else if (n > 0) {
            if (nl)
                out->skipped++;
            else
                out->torn = true;
        }
        pos = nl ? end + 1 : len;
    }
    for (size_t i = 0; i < out->n; i++)
        op_settle(&out->ops[i], now);
    return GP_OK;
}

static int cmp_id(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

enum gp_status journal_compact(const char *text, size_t len, size_t keep_finished, char **out,
                               size_t *out_len, struct gp_error *err)
{
    *out = NULL;
    *out_len = 0;
    struct journal_ops ops;
    GP_TRY(journal_replay(text, len, 0, &ops, err));
    /* The ids to keep, sorted for lookup: every op needing attention, the newest finished. */
    const char **keep = malloc((ops.n ? ops.n : 1) * sizeof(*keep));
    char *buf = malloc(len + 2); /* + the newline a torn last record gets */
    if (!keep || !buf) {
        free(keep);
        free(buf);
        journal_ops_cleanup(&ops);
        return gp_error_set(err, GP_E_NOMEM, "out of memory compacting the journal");
    }
    size_t n_keep = 0, finished = 0;
    for (size_t i = ops.n; i-- > 0;) {
        bool attention = journal_op_needs_attention(&ops.ops[i]);
        if (attention || finished < keep_finished) {
            keep[n_keep++] = ops.ops[i].id;
            finished += !attention;
        }
    }
    qsort(keep, n_keep, sizeof(*keep), cmp_id);
    size_t w = 0, pos = 0;
    while (pos < len) {
        /* A last line without its newline counts as replay counts it (a whole record whose
         * newline was cut applies): kept, it gets its newline. */
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = (nl ? (size_t)(nl - text) : len) - pos;
        cJSON *o = n > 0 && n <= JOURNAL_LINE_MAX ? cJSON_ParseWithLength(text + pos, n) : NULL;
        const char *id = o ? get_str(o, "op") : NULL;
        if (id && bsearch(&id, keep, n_keep, sizeof(*keep), cmp_id)) {
            memcpy(buf + w, text + pos, n);
            w += n;
            buf[w++] = '\n';
        }
        cJSON_Delete(o);
        pos += n + 1;
    }
    buf[w] = '\0';
    free(keep);
    journal_ops_cleanup(&ops);
    *out = buf;
    *out_len = w;
    return GP_OK;
}

const struct journal_op *journal_ops_find(const struct journal_ops *list, const char *id,
                                          bool *out_ambiguous)
{
    if (out_ambiguous)
        *out_ambiguous = false;
    if (!id || !*id)
        return NULL;
    const struct journal_op *hit = NULL;
    size_t n = strlen(id), hits = 0;
    for (size_t i = 0; i < list->n; i++) {
        if (strcmp(list->ops[i].id, id) == 0)
            return &list->ops[i];
        if (strncmp(list->ops[i].id, id, n) == 0) {
            hit = &list->ops[i];
            hits++;
        }
    }
    if (hits > 1) {
        if (out_ambiguous)
            *out_ambiguous = true;
        return NULL;
    }
    return hit;
}

static const char *step_state_text(const struct journal_step *s)
{
    if (s->ended)
        return journal_outcome_name(s->outcome);
    return s->begun ? "interrupted" : "pending";
}

static bool add_index_or_null(cJSON *o, const char *key, size_t index, size_t n)
{
    if (index < n)
        return cJSON_AddNumberToObject(o, key, (double)(index + 1)) != NULL;
    return cJSON_AddNullToObject(o, key) != NULL;
}

static bool op_to_json(cJSON *arr, const struct journal_op *op)
{
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddItemToArray(arr, o)) {
        cJSON_Delete(o);
        return false;
    }
    const char *kind = (unsigned)op->kind < PLAN_KIND_COUNT ? plan_kind_names[op->kind] : "?";
    cJSON *steps;
    if (!cJSON_AddStringToObject(o, "id", op->id) || !cJSON_AddStringToObject(o, "kind", kind) ||
        !cJSON_AddStringToObject(o, "vmName", op->vm_name ? op->vm_name : "") ||
        !cJSON_AddStringToObject(o, "vmId", op->vm_id ? op->vm_id : "") ||
        !cJSON_AddStringToObject(o, "state", journal_op_state_name(op->state)) ||
        !cJSON_AddBoolToObject(o, "needsAttention", journal_op_needs_attention(op)) ||
        !cJSON_AddNumberToObject(o, "started", (double)op->started) ||
        !cJSON_AddNumberToObject(o, "updated", (double)op->updated) ||
        !cJSON_AddNumberToObject(o, "ageSeconds", (double)op->age_s) ||
        !cJSON_AddStringToObject(o, "power", power_text(op->last_power)) ||
        !add_index_or_null(o, "nextStep", op->next_step, op->n_steps) ||
        !add_index_or_null(o, "failedStep", op->failed_step, op->n_steps))
        return false;
    if (op->failed_step < op->n_steps) {
        if (!cJSON_AddStringToObject(o, "error", op->steps[op->failed_step].error))
            return false;
    } else if (!cJSON_AddNullToObject(o, "error")) {
        return false;
    }
    if (!(steps = cJSON_AddArrayToObject(o, "steps")))
        return false;
    for (size_t i = 0; i < op->n_steps; i++) {
        const struct journal_step *s = &op->steps[i];
        cJSON *it = cJSON_CreateObject();
        if (!it || !cJSON_AddItemToArray(steps, it)) {
            cJSON_Delete(it);
            return false;
        }
        if (!cJSON_AddNumberToObject(it, "index", (double)(i + 1)) ||
            !cJSON_AddStringToObject(it, "kind", step_kind_names[s->kind]) ||
            !cJSON_AddStringToObject(it, "method", s->method ? s->method : "") ||
            !cJSON_AddStringToObject(it, "summary", s->summary ? s->summary : "") ||
            !cJSON_AddStringToObject(it, "state", step_state_text(s)))
            return false;
    }
    return true;
}

enum gp_status journal_ops_to_json(const struct journal_ops *list, bool attention_only,
                                   char **out_json)
{
    *out_json = NULL;
    cJSON *arr = cJSON_CreateArray();
    if (!arr)
        return GP_E_NOMEM;
    for (size_t i = 0; i < list->n; i++) {
        if (attention_only && !journal_op_needs_attention(&list->ops[i]))
            continue;
        if (!op_to_json(arr, &list->ops[i])) {
            cJSON_Delete(arr);
            return GP_E_NOMEM;
        }
    }
    char *text = cJSON_PrintUnformatted(arr);
    cJSON_Delete(arr);
    if (!text)
        return GP_E_NOMEM;
    /* Hand over a malloc'ed copy: callers free() it, whatever cJSON's allocator. */
    *out_json = text_dup(text);
    cJSON_free(text);
    return *out_json ? GP_OK : GP_E_NOMEM;
}

const char *journal_op_describe(const struct journal_op *op, char *buf, size_t n)
{
    const char *kind = (unsigned)op->kind < PLAN_KIND_COUNT ? plan_kind_names[op->kind] : "?";
    const char *name = op->vm_name ? op->vm_name : "?";
    switch (op->state) {
    case JOP_UNFINISHED:
        if (op->next_step < op->n_steps) {
            const struct journal_step *s = &op->steps[op->next_step];
            (void)snprintf(buf, n, "%s %s %s: unfinished at step %zu/%zu (%s)", op->id, kind,
                           name, op->next_step + 1, op->n_steps,
                           s->summary ? s->summary : step_kind_names[s->kind]);
        } else {
            (void)snprintf(buf, n, "%s %s %s: unfinished after its last step", op->id, kind,
                           name);
        }
        break;
    case JOP_FAILED:
        if (op->failed_step < op->n_steps)
            (void)snprintf(buf, n, "%s %s %s: failed at step %zu/%zu: %s", op->id, kind, name,
                           op->failed_step + 1, op->n_steps, op->steps[op->failed_step].error);
        else
            (void)snprintf(buf, n, "%s %s %s: failed", op->id, kind, name);
        break;
    case JOP_DONE:
    case JOP_ABANDONED:
    default:
        (void)snprintf(buf, n, "%s %s %s: %s", op->id, kind, name,
                       journal_op_state_name(op->state));
        break;
    }
    return buf;
}
