/* SPDX-License-Identifier: MIT
 * model/plan.c: change plans: the ordered ARM requests (method, exact path, exact JSON body)
 * of a GPU change (stop -> PATCH the whole list -> start), a power action or a create, with
 * what to confirm after each step, the before/after VM and the impact line. The Review
 * screen, --dry-run and the executor all use the same plan. Pure: no I/O. */
#include "model/plan.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/buf.h"
#include "model/json.h"
#include "model/text.h"

#define GP_ENUM_NAME_(id, name) name,
static const char *const step_kind_names[] = {PLAN_STEP_KINDS(GP_ENUM_NAME_)};
#undef GP_ENUM_NAME_

const char *plan_step_kind_name(enum plan_step_kind k)
{
    return (unsigned)k < PLAN_STEP_KIND_COUNT ? step_kind_names[k] : "unknown";
}

#define PLAN_TEXT_MAX (1024u * 1024u) /* a plan's text or JSON: a few KB in practice */

/* --- lifetime --------------------------------------------------------------------------- */

void plan_init(struct plan *p)
{
    memset(p, 0, sizeof(*p));
    vm_init(&p->before);
    vm_init(&p->after);
}

static void gpus_free(struct vm_gpu *gpus, size_t n)
{
    for (size_t i = 0; gpus && i < n; i++) {
        free(gpus[i].type_text);
        free(gpus[i].gpu_name);
    }
    free(gpus);
}

/* Deep copy of a GPU list (n == 0 gives NULL). GP_E_NOMEM. */
static enum gp_status gpus_dup(const struct vm_gpu *src, size_t n, struct vm_gpu **out)
{
    *out = NULL;
    if (n == 0)
        return GP_OK;
    struct vm_gpu *v = calloc(n, sizeof(*v));
    if (!v)
        return GP_E_NOMEM;
    for (size_t i = 0; i < n; i++) {
        v[i] = src[i];
        v[i].type_text = text_dup(src[i].type_text);
        v[i].gpu_name = text_dup(src[i].gpu_name);
        if ((src[i].type_text && !v[i].type_text) || (src[i].gpu_name && !v[i].gpu_name)) {
            gpus_free(v, i + 1);
            return GP_E_NOMEM;
        }
    }
    *out = v;
    return GP_OK;
}

void plan_cleanup(struct plan *p)
{
    if (!p)
        return;
    free(p->vm_name);
    free(p->vm_id);
    for (size_t i = 0; i < p->n_steps; i++) {
        free(p->steps[i].path);
        free(p->steps[i].body);
        free(p->steps[i].summary);
    }
    free(p->steps);
    vm_cleanup(&p->before);
    vm_cleanup(&p->after);
    gpus_free(p->desired, p->n_desired);
    plan_init(p);
}

/* --- GPU list comparison ----------------------------------------------------------------- */

/* One item of a may stand for one item of b: same type, sizes equal or either unknown (the
 * service fills it in), names equal (case-insensitive) or either absent (the service picks). */
static bool gpu_item_matches(const struct vm_gpu *a, const struct vm_gpu *b)
{
    if (a->type != b->type)
        return false;
    if (a->type == GPU_ASSIGN_OTHER && !str_eq(a->type_text, b->type_text))
        return false;
    if (a->partition_size_mb >= 0 && b->partition_size_mb >= 0 &&
        a->partition_size_mb != b->partition_size_mb)
        return false;
    if (a->gpu_name && b->gpu_name && !str_ieq(a->gpu_name, b->gpu_name))
        return false;
    return true;
}

/* Kuhn's augmenting path: can item i of a take a partner in b? */
static bool match_try(const struct vm_gpu *a, size_t i, const struct vm_gpu *b, size_t n,
                      size_t *owner, bool *seen)
{
    for (size_t j = 0; j < n; j++) {
        if (seen[j] || !gpu_item_matches(&a[i], &b[j]))
            continue;
        seen[j] = true;
        if (owner[j] == SIZE_MAX || match_try(a, owner[j], b, n, owner, seen)) {
            owner[j] = i;
            return true;
        }
    }
    return false;
}

#define GPU_LIST_CMP_MAX 64

bool gpu_lists_equal(const struct vm_gpu *a, size_t na, const struct vm_gpu *b, size_t nb)
{
    if (na != nb)
        return false;
    if (na == 0)
        return true;
    if (!a || !b || na > GPU_LIST_CMP_MAX)
        return false;
    size_t owner[GPU_LIST_CMP_MAX];
    bool seen[GPU_LIST_CMP_MAX];
    for (size_t j = 0; j < nb; j++)
        owner[j] = SIZE_MAX;
    for (size_t i = 0; i < na; i++) {
        memset(seen, 0, sizeof(seen));
        if (!match_try(a, i, b, nb, owner, seen))
            return false;
    }
    return true;
}

/* --- small text helpers ------------------------------------------------------------------ */

static char *text_printf(const char *fmt, ...) GP_PRINTF(1, 2);
static char *text_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (!s)
        return NULL;
    va_start(ap, fmt);
    (void)vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

/* "none", "GPU-P partition", "GPU-P 3648 MB", "DDA NVIDIA A2", "2 DDA GPUs" for summaries. */
static void gpu_list_text(const struct vm_gpu *g, size_t n, char *buf, size_t len)
{
    if (n == 0) {
        (void)snprintf(buf, len, "none");
    } else if (n == 1 && g[0].type == GPU_ASSIGN_P) {
        if (g[0].partition_size_mb >= 0)
            (void)snprintf(buf, len, "GPU-P %ld MB", g[0].partition_size_mb);
        else
            (void)snprintf(buf, len, "GPU-P partition");
    } else if (n == 1 && g[0].type == GPU_ASSIGN_DDA) {
        (void)snprintf(buf, len, "DDA %s", g[0].gpu_name ? g[0].gpu_name : "GPU");
    } else if (n == 1) {
        (void)snprintf(buf, len, "%s", g[0].type_text ? g[0].type_text : "GPU of no type");
    } else {
        (void)snprintf(buf, len, "%zu GPUs", n);
    }
}

static bool vm_is_running(enum power_state p)
{
    return p == POWER_RUNNING || p == POWER_STARTING;
}

static bool vm_is_stopped(enum power_state p)
{
    return p == POWER_STOPPED || p == POWER_DEALLOCATED;
}

/* "stopped", "deallocated", "paused" for impact lines. */
static void power_lower(enum power_state p, char *buf, size_t len)
{
    const char *s = power_state_name(p);
    size_t i = 0;
    for (; s[i] && i + 1 < len; i++)
        buf[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] - 'A' + 'a') : s[i];
    buf[i] = '\0';
}

/* --- building ----------------------------------------------------------------------------- */

/* The path as sent: bytes >= 0x80 (UTF-8 of names such as a resource group "ml-ü")
 * percent-encoded; everything else was checked to need no encoding. Takes ownership of path;
 * NULL when out of memory. */
static char *path_encode(char *path)
{
    if (!path)
        return NULL;
    size_t extra = 0;
    for (const unsigned char *c = (const unsigned char *)path; *c; c++)
        if (*c >= 0x80)
            extra += 2;
    if (!extra)
        return path;
    size_t len = strlen(path);
    char *out = malloc(len + extra + 1);
    if (!out) {
        free(path);
        return NULL;
    }
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (const unsigned char *c = (const unsigned char *)path; *c; c++) {
        if (*c >= 0x80) {
            out[o++] = '%';
            out[o++] = hex[*c >> 4];
            out[o++] = hex[*c & 0x0f];
        } else {
            out[o++] = (char)*c;
        }
    }
    out[o] = '\0';
    free(path);
    return out;
}

static enum gp_status plan_add_step(struct plan *p, enum plan_step_kind kind, const char *method,
                                    char *path, char *body, char *summary,
                                    enum power_state expect_power, bool expect_gpus)
{
    path = path_encode(path);
    struct plan_step *v = realloc(p->steps, (p->n_steps + 1) * sizeof(*v));
    if (!v || !path || !summary) {
        if (v)
            p->steps = v;
        free(path);
        free(body);
        free(summary);
        return GP_E_NOMEM;
    }
    p->steps = v;
    struct plan_step *s = &p->steps[p->n_steps++];
    s->kind = kind;
    s->method = method;
    s->path = path;
    s->body = body;
    s->summary = summary;
    s->expect_power = expect_power;
    s->expect_gpus = expect_gpus;
    return GP_OK;
}

/* Adds one virtualMachineGPUs item as the service expects it in a request: assignmentType,
 * gpuName only when given, partitionSizeMB only when asked for. */
static bool gpu_request_item(cJSON *list, const struct vm_gpu *g)
{
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddItemToArray(list, o)) {
        cJSON_Delete(o);
        return false;
    }
    const char *type = g->type != GPU_ASSIGN_OTHER ? gpu_assignment_name(g->type) : g->type_text;
    bool ok = json_add_string_opt(o, "assignmentType", type);
    ok = ok && json_add_string_opt(o, "gpuName", g->gpu_name);
    ok = ok && json_add_long_opt(o, "partitionSizeMB", g->partition_size_mb);
    return ok;
}

static bool gpu_request_list(cJSON *parent, const struct vm_gpu *g, size_t n)
{
    cJSON *list = cJSON_AddArrayToObject(parent, "virtualMachineGPUs");
    bool ok = list != NULL;
    for (size_t i = 0; ok && i < n; i++)
        ok = gpu_request_item(list, &g[i]);
    return ok;
}

/* {"properties":{"hardwareProfile":{"virtualMachineGPUs":[...]}}} */
static enum gp_status gpu_patch_body(const struct vm_gpu *g, size_t n, char **out)
{
    *out = NULL;
    cJSON *root = cJSON_CreateObject();
    cJSON *props = root ? cJSON_AddObjectToObject(root, "properties") : NULL;
    cJSON *hw = props ? cJSON_AddObjectToObject(props, "hardwareProfile") : NULL;
    enum gp_status st = GP_E_NOMEM;
    if (hw && gpu_request_list(hw, g, n))
        st = json_print(root, out);
    cJSON_Delete(root);
    return st;
}

/* The VM instance id of current: its id, or one built from subscription, group and name. */
static char *vmi_id_of(const struct vm *vm)
{
    if (vm->id)
        return text_dup(vm->id);
    if (vm->subscription && vm->resource_group && vm->name)
        return text_printf("/subscriptions/%s/resourceGroups/%s/providers/"
                           "Microsoft.HybridCompute/machines/%s/providers/"
                           "Microsoft.AzureStackHCI/virtualMachineInstances/default",
                           vm->subscription, vm->resource_group, vm->name);
    return NULL;
}

/* Text that goes into a URL path as one segment or an id: no query, fragment, escapes,
 * spaces or controls (bytes >= 0x80 are percent-encoded later). Ids may contain '/'. */
static bool path_text_ok(const char *s, bool allow_slash)
{
    if (!s || !*s)
        return false;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c <= ' ' || *c == 0x7f || *c == '?' || *c == '#' || *c == '%' || *c == '\\' ||
            *c == '"')
            return false;
        if (*c == '/' && !allow_slash)
            return false;
    }
    return true;
}

static bool api_version_ok(const char *v)
{
    if (!v || !*v)
        return false;
    for (const char *c = v; *c; c++)
        if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') || *c == '-'))
            return false;
    return true;
}

/* Common start of the plans on an existing VM. */
static enum gp_status plan_begin_existing(const struct vm *current, const struct plan_options *opt,
                                          enum plan_kind kind, struct plan *out,
                                          struct gp_error *err)
{
    plan_init(out);
    out->kind = kind;
    if (!current || !opt)
        return gp_error_set(err, GP_E_INVALID, "plan: no VM or no options");
    if (!api_version_ok(opt->api_version))
        return gp_error_set(err, GP_E_INVALID, "plan: api-version \"%.40s\" is not valid",
                            opt->api_version ? opt->api_version : "");
    out->vm_id = vmi_id_of(current);
    if (!out->vm_id)
        return gp_error_set(err, current->id || (current->subscription && current->name)
                                     ? GP_E_NOMEM
                                     : GP_E_INVALID,
                            "plan: the VM has no resource id");
    if (!path_text_ok(out->vm_id, true) || out->vm_id[0] != '/')
        return gp_error_set(err, GP_E_INVALID, "plan: the VM's resource id is not a path");
    out->vm_name = text_dup(current->name ? current->name : "the VM");
    if (!out->vm_name || vm_copy(&out->before, current) != GP_OK ||
        vm_copy(&out->after, current) != GP_OK)
        return gp_error_set(err, GP_E_NOMEM, "plan: out of memory");
    return GP_OK;
}

/* Sets after's power to p (the text follows the enum). */
static void after_power(struct plan *out, enum power_state p)
{
    out->after.power = p;
    free(out->after.power_text);
    out->after.power_text = NULL;
}

static enum gp_status add_power_step(struct plan *out, enum plan_step_kind kind,
                                     const struct plan_options *opt)
{
    const char *action = kind == STEP_STOP ? "stop" : kind == STEP_START ? "start" : "restart";
    const char *verb = kind == STEP_STOP ? "Stop" : kind == STEP_START ? "Start" : "Restart";
    enum power_state expect = kind == STEP_STOP ? POWER_STOPPED : POWER_RUNNING;
    char *path = text_printf("%s/%s?api-version=%s", out->vm_id, action, opt->api_version);
    char *summary = text_printf("%s %s and wait until %s", verb, out->vm_name,
                                power_state_name(expect));
    return plan_add_step(out, kind, "POST", path, NULL, summary, expect, false);
}

static enum gp_status plan_fail(struct plan *out, enum gp_status st, struct gp_error *err)
{
    plan_cleanup(out);
    if (err && err->status != st)
        (void)gp_error_set(err, st, "plan: %s", gp_status_name(st));
    return st;
}

enum gp_status plan_build_gpu_change(const struct vm *current, const struct vm_gpu *desired,
                                     size_t n, const struct plan_options *opt, struct plan *out,
                                     struct gp_error *err)
{
    enum gp_status st = plan_begin_existing(current, opt, PLAN_GPU_CHANGE, out, err);
    if (st != GP_OK)
        return plan_fail(out, st, err);
    if (n && !desired)
        return plan_fail(out, gp_error_set(err, GP_E_INVALID, "plan: no GPU list"), err);
    if (n > VM_MAX_GPUS)
        return plan_fail(out, gp_error_set(err, GP_E_INVALID, "plan: %zu GPUs, at most %d", n,
                                           VM_MAX_GPUS), err);
    if (gpus_dup(desired, n, &out->desired) != GP_OK)
        return plan_fail(out, gp_error_set(err, GP_E_NOMEM, "plan: out of memory"), err);
    out->n_desired = n;

    const char *name = out->vm_name;
    if (gpu_lists_equal(current->gpus, current->n_gpus, desired, n)) {
        (void)snprintf(out->impact, sizeof(out->impact),
                       "No change: %s already has this GPU setup", name);
        return GP_OK;
    }

    /* after: the desired list; the power it will end in. */
    gpus_free(out->after.gpus, out->after.n_gpus);
    out->after.gpus = NULL;
    out->after.n_gpus = 0;
    if (gpus_dup(desired, n, &out->after.gpus) != GP_OK)
        return plan_fail(out, gp_error_set(err, GP_E_NOMEM, "plan: out of memory"), err);
    out->after.n_gpus = n;
    out->after.gpus_present = true;

    enum power_state power = current->power;
    bool stop = !vm_is_stopped(power);
    bool restart = vm_is_running(power) && !opt->no_restart;
    out->downtime = stop;
    char pl[32];
    power_lower(power, pl, sizeof(pl));
    if (!stop)
        (void)snprintf(out->impact, sizeof(out->impact), "%s is %s; it stays %s", name, pl, pl);
    else if (restart)
        (void)snprintf(out->impact, sizeof(out->impact),
                       "%s will be shut down and restarted; expect downtime", name);
    else if (vm_is_running(power))
        (void)snprintf(out->impact, sizeof(out->impact), "%s will be shut down and left stopped",
                       name);
    else if (power == POWER_UNKNOWN)
        (void)snprintf(out->impact, sizeof(out->impact),
                       "%s's power state is unknown; it will be shut down and left stopped",
                       name);
    else
        (void)snprintf(out->impact, sizeof(out->impact),
                       "%s is %s; it will be shut down and left stopped", name, pl);

    if (stop) {
        st = add_power_step(out, STEP_STOP, opt);
        if (st != GP_OK)
            return plan_fail(out, gp_error_set(err, st, "plan: out of memory"), err);
        after_power(out, POWER_STOPPED);
    }
    char *body = NULL;
    st = gpu_patch_body(desired, n, &body);
    char list[96];
    gpu_list_text(desired, n, list, sizeof(list));
    char *summary = n ? text_printf("Set the GPUs of %s to %s (the whole list)", name, list)
                      : text_printf("Remove every GPU from %s", name);
    if (st == GP_OK)
        st = plan_add_step(out, STEP_PATCH_GPUS, "PATCH",
                           text_printf("%s?api-version=%s", out->vm_id, opt->api_version), body,
                           summary, POWER_UNKNOWN, true);
    else {
        free(body);
        free(summary);
    }
    if (st == GP_OK && restart) {
        st = add_power_step(out, STEP_START, opt);
        after_power(out, POWER_RUNNING);
    }
    if (st != GP_OK)
        return plan_fail(out, gp_error_set(err, st, "plan: out of memory"), err);
    return GP_OK;
}

enum gp_status plan_build_power(const struct vm *current, enum plan_step_kind action,
                                const struct plan_options *opt, struct plan *out,
                                struct gp_error *err)
{
    enum gp_status st = plan_begin_existing(current, opt, PLAN_POWER, out, err);
    if (st != GP_OK)
        return plan_fail(out, st, err);
    const char *name = out->vm_name;
    switch (action) {
    case STEP_START:
        (void)snprintf(out->impact, sizeof(out->impact), "%s will be started", name);
        after_power(out, POWER_RUNNING);
        break;
    case STEP_STOP:
        (void)snprintf(out->impact, sizeof(out->impact),
                       "%s will be shut down and left stopped; expect downtime", name);
        out->downtime = true;
        after_power(out, POWER_STOPPED);
        break;
    case STEP_RESTART:
        (void)snprintf(out->impact, sizeof(out->impact),
                       "%s will be restarted; expect downtime", name);
        out->downtime = true;
        after_power(out, POWER_RUNNING);
        break;
    case STEP_PATCH_GPUS:
    case STEP_CREATE_MACHINE:
    case STEP_CREATE_VMI:
    case PLAN_STEP_KIND_COUNT:
    default:
        return plan_fail(out, gp_error_set(err, GP_E_INVALID,
                                           "plan: %s is not a power action",
                                           plan_step_kind_name(action)), err);
    }
    st = add_power_step(out, action, opt);
    if (st != GP_OK)
        return plan_fail(out, gp_error_set(err, st, "plan: out of memory"), err);
    return GP_OK;
}

/* --- create ------------------------------------------------------------------------------- */

static enum gp_status create_check(const struct vm_create_spec *s, const struct plan_options *opt,
                                   struct gp_error *err)
{
    if (!s || !opt)
        return gp_error_set(err, GP_E_INVALID, "create: no spec or no options");
    if (!api_version_ok(opt->api_version))
        return gp_error_set(err, GP_E_INVALID, "create: VM api-version is not valid");
    if (!api_version_ok(opt->machine_api_version))
        return gp_error_set(err, GP_E_INVALID, "create: machine api-version is not valid");
    const struct {
        const char *what, *value;
        bool slash;
    } need[] = {
        {"subscription", s->subscription, false},
        {"resource group", s->resource_group, false},
        {"name", s->name, false},
        {"location", s->location, false},
        {"custom location", s->custom_location, true},
        {"image", s->image_id, true},
        {"admin user", s->admin_username, false},
    };
    for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
        if (!need[i].value || !*need[i].value)
            return gp_error_set(err, GP_E_INVALID, "create: %s is required", need[i].what);
        if (!path_text_ok(need[i].value, need[i].slash))
            return gp_error_set(err, GP_E_INVALID,
                                "create: %s may not contain spaces, '/', '?', '#' or '%%'",
                                need[i].what);
    }
    if (s->processors <= 0 || s->processors > 1024)
        return gp_error_set(err, GP_E_INVALID, "create: processors must be 1 to 1024");
    if (s->memory_mb <= 0 || s->memory_mb > 64L * 1024 * 1024)
        return gp_error_set(err, GP_E_INVALID, "create: memoryMB must be positive");
    if (s->n_gpus && !s->gpus)
        return gp_error_set(err, GP_E_INVALID, "create: no GPU list");
    if (s->n_gpus > VM_MAX_GPUS)
        return gp_error_set(err, GP_E_INVALID, "create: %zu GPUs, at most %d", s->n_gpus,
                            VM_MAX_GPUS);
    return GP_OK;
}

static enum gp_status machine_body(const struct vm_create_spec *s, char **out)
{
    cJSON *root = cJSON_CreateObject();
    bool ok = root && cJSON_AddStringToObject(root, "kind", "HCI") &&
              cJSON_AddStringToObject(root, "location", s->location);
    cJSON *id = ok ? cJSON_AddObjectToObject(root, "identity") : NULL;
    ok = id && cJSON_AddStringToObject(id, "type", "SystemAssigned");
    enum gp_status st = ok ? json_print(root, out) : GP_E_NOMEM;
    cJSON_Delete(root);
    return st;
}

static enum gp_status vmi_body(const struct vm_create_spec *s, char **out)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *ext = root ? cJSON_AddObjectToObject(root, "extendedLocation") : NULL;
    bool ok = ext && cJSON_AddStringToObject(ext, "type", "CustomLocation") &&
              cJSON_AddStringToObject(ext, "name", s->custom_location);
    cJSON *props = ok ? cJSON_AddObjectToObject(root, "properties") : NULL;
    cJSON *hw = props ? cJSON_AddObjectToObject(props, "hardwareProfile") : NULL;
    ok = hw && cJSON_AddStringToObject(hw, "vmSize", "Custom") &&
         cJSON_AddNumberToObject(hw, "processors", (double)s->processors) &&
         cJSON_AddNumberToObject(hw, "memoryMB", (double)s->memory_mb);
    if (ok && s->n_gpus)
        ok = gpu_request_list(hw, s->gpus, s->n_gpus);
    cJSON *os = ok ? cJSON_AddObjectToObject(props, "osProfile") : NULL;
    ok = os && cJSON_AddStringToObject(os, "adminUsername", s->admin_username) &&
         cJSON_AddStringToObject(os, "computerName", s->name);
    if (ok && s->ssh_public_key && *s->ssh_public_key) {
        cJSON *linux_cfg = cJSON_AddObjectToObject(os, "linuxConfiguration");
        cJSON *ssh = linux_cfg ? cJSON_AddObjectToObject(linux_cfg, "ssh") : NULL;
        cJSON *keys = ssh ? cJSON_AddArrayToObject(ssh, "publicKeys") : NULL;
        cJSON *key = keys ? cJSON_CreateObject() : NULL;
        ok = key && cJSON_AddItemToArray(keys, key);
        if (!ok)
            cJSON_Delete(key);
        char *kpath = ok ? text_printf("/home/%s/.ssh/authorized_keys", s->admin_username) : NULL;
        ok = ok && kpath && cJSON_AddStringToObject(key, "path", kpath) &&
             cJSON_AddStringToObject(key, "keyData", s->ssh_public_key) &&
             cJSON_AddTrueToObject(linux_cfg, "disablePasswordAuthentication");
        free(kpath);
    }
    cJSON *storage = ok ? cJSON_AddObjectToObject(props, "storageProfile") : NULL;
    cJSON *image = storage ? cJSON_AddObjectToObject(storage, "imageReference") : NULL;
    ok = image && cJSON_AddStringToObject(image, "id", s->image_id);
    enum gp_status st = ok ? json_print(root, out) : GP_E_NOMEM;
    cJSON_Delete(root);
    return st;
}

/* after of a create: the VM as the service will show it (nothing invented beyond the spec). */
static enum gp_status create_after(const struct vm_create_spec *s, const char *vm_id,
                                   struct vm *vm)
{
    vm->id = text_dup(vm_id);
    vm->name = text_dup(s->name);
    vm->subscription = text_dup(s->subscription);
    vm->resource_group = text_dup(s->resource_group);
    vm->custom_location = text_dup(s->custom_location);
    vm->vm_size = text_dup("Custom");
    vm->computer_name = text_dup(s->name);
    vm->admin_username = text_dup(s->admin_username);
    vm->image_id = text_dup(s->image_id);
    vm->processors = s->processors;
    vm->memory_mb = s->memory_mb;
    vm->gpus_present = s->n_gpus > 0;
    if (!vm->id || !vm->name || !vm->subscription || !vm->resource_group ||
        !vm->custom_location || !vm->vm_size || !vm->computer_name || !vm->admin_username ||
        !vm->image_id)
        return GP_E_NOMEM;
    GP_TRY(gpus_dup(s->gpus, s->n_gpus, &vm->gpus));
    vm->n_gpus = s->n_gpus;
    return GP_OK;
}

enum gp_status plan_build_create(const struct vm_create_spec *spec,
                                 const struct plan_options *opt, struct plan *out,
                                 struct gp_error *err)
{
    plan_init(out);
    out->kind = PLAN_CREATE;
    enum gp_status st = create_check(spec, opt, err);
    if (st != GP_OK)
        return plan_fail(out, st, err);
    char *machine = text_printf("/subscriptions/%s/resourceGroups/%s/providers/"
                                "Microsoft.HybridCompute/machines/%s",
                                spec->subscription, spec->resource_group, spec->name);
    if (!machine)
        return plan_fail(out, gp_error_set(err, GP_E_NOMEM, "create: out of memory"), err);
    out->vm_name = text_dup(spec->name);
    out->vm_id = text_printf("%s/providers/Microsoft.AzureStackHCI/virtualMachineInstances/"
                             "default", machine);
    st = out->vm_name && out->vm_id ? GP_OK : GP_E_NOMEM;
    if (st == GP_OK)
        st = gpus_dup(spec->gpus, spec->n_gpus, &out->desired);
    if (st == GP_OK) {
        out->n_desired = spec->n_gpus;
        st = create_after(spec, out->vm_id, &out->after);
    }
    char *body = NULL;
    if (st == GP_OK)
        st = machine_body(spec, &body);
    if (st == GP_OK)
        st = plan_add_step(out, STEP_CREATE_MACHINE, "PUT",
                           text_printf("%s?api-version=%s", machine, opt->machine_api_version),
                           body,
                           text_printf("Create the Arc machine %s (kind HCI) in %s",
                                       spec->name, spec->resource_group),
                           POWER_UNKNOWN, false);
    body = NULL;
    if (st == GP_OK)
        st = vmi_body(spec, &body);
    char list[96];
    gpu_list_text(spec->gpus, spec->n_gpus, list, sizeof(list));
    if (st == GP_OK)
        st = plan_add_step(out, STEP_CREATE_VMI, "PUT",
                           text_printf("%s?api-version=%s", out->vm_id, opt->api_version), body,
                           text_printf("Create the VM instance of %s: %ld vCPU, %ld MB, GPU %s",
                                       spec->name, spec->processors, spec->memory_mb, list),
                           POWER_UNKNOWN, spec->n_gpus > 0);
    free(machine);
    if (st != GP_OK)
        return plan_fail(out, gp_error_set(err, st, "create: out of memory"), err);
    if (spec->n_gpus)
        (void)snprintf(out->impact, sizeof(out->impact), "%s will be created with GPU %s",
                       spec->name, list);
    else
        (void)snprintf(out->impact, sizeof(out->impact), "%s will be created without a GPU",
                       spec->name);
    return GP_OK;
}

/* --- output ------------------------------------------------------------------------------- */

/* Appends s sanitized (server-provided names must not reach a terminal raw). */
static enum gp_status buf_append_clean(struct gp_buf *b, const char *s)
{
    size_t n = strlen(s) + 1;
    char *clean = malloc(n);
    if (!clean)
        return GP_E_NOMEM;
    text_sanitize(clean, n, s);
    enum gp_status st = gp_buf_append_str(b, clean);
    free(clean);
    return st;
}

static enum gp_status plan_format_into(const struct plan *p, struct gp_buf *b)
{
    GP_TRY(buf_append_clean(b, p->impact));
    GP_TRY(gp_buf_append_str(b, "\n"));
    for (size_t i = 0; i < p->n_steps; i++) {
        const struct plan_step *s = &p->steps[i];
        GP_TRY(gp_buf_printf(b, "%zu. %s ", i + 1, s->method));
        GP_TRY(buf_append_clean(b, s->path));
        GP_TRY(gp_buf_append_str(b, "\n   "));
        GP_TRY(buf_append_clean(b, s->summary));
        GP_TRY(gp_buf_append_str(b, "\n"));
        if (s->body) {
            GP_TRY(gp_buf_append_str(b, "   "));
            GP_TRY(buf_append_clean(b, s->body));
            GP_TRY(gp_buf_append_str(b, "\n"));
        }
    }
    return GP_OK;
}

enum gp_status plan_format(const struct plan *p, char **out_text)
{
    *out_text = NULL;
    struct gp_buf b;
    gp_buf_init(&b, PLAN_TEXT_MAX);
    enum gp_status st = plan_format_into(p, &b);
    if (st == GP_OK) {
        *out_text = gp_buf_take(&b, NULL);
        if (!*out_text)
            st = GP_E_NOMEM;
    }
    gp_buf_cleanup(&b);
    return st;
}

static const char *plan_kind_name(enum plan_kind k)
{
    switch (k) {
    case PLAN_GPU_CHANGE:
        return "gpu-change";
    case PLAN_POWER:
        return "power";
    case PLAN_CREATE:
        return "create";
    default:
        return "unknown";
    }
}

/* Adds the VM as its ARM JSON under key (an object), or null when it cannot be rendered. */
static bool add_vm_json(cJSON *root, const char *key, const struct vm *vm)
{
    char *text = NULL;
    if (vm_to_json(vm, &text) != GP_OK)
        return false;
    cJSON *tree = cJSON_Parse(text);
    free(text);
    if (!tree)
        return false;
    if (!cJSON_AddItemToObject(root, key, tree)) {
        cJSON_Delete(tree);
        return false;
    }
    return true;
}

static bool add_step_json(cJSON *steps, const struct plan_step *s)
{
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddItemToArray(steps, o)) {
        cJSON_Delete(o);
        return false;
    }
    bool ok = cJSON_AddStringToObject(o, "kind", plan_step_kind_name(s->kind)) &&
              cJSON_AddStringToObject(o, "method", s->method) &&
              cJSON_AddStringToObject(o, "path", s->path) &&
              cJSON_AddStringToObject(o, "summary", s->summary);
    if (ok && s->body) {
        cJSON *body = cJSON_Parse(s->body);
        ok = body && cJSON_AddItemToObject(o, "body", body);
        if (!ok)
            cJSON_Delete(body);
    } else if (ok) {
        ok = cJSON_AddNullToObject(o, "body") != NULL;
    }
    if (ok && s->expect_power != POWER_UNKNOWN)
        ok = cJSON_AddStringToObject(o, "expectPower", power_state_name(s->expect_power));
    else if (ok)
        ok = cJSON_AddNullToObject(o, "expectPower") != NULL;
    ok = ok && cJSON_AddBoolToObject(o, "expectGpus", s->expect_gpus);
    return ok;
}

enum gp_status plan_to_json(const struct plan *p, char **out_json)
{
    *out_json = NULL;
    cJSON *root = cJSON_CreateObject();
    bool ok = root && cJSON_AddStringToObject(root, "kind", plan_kind_name(p->kind)) &&
              json_add_string_opt(root, "vm", p->vm_name) &&
              json_add_string_opt(root, "vmId", p->vm_id) &&
              cJSON_AddStringToObject(root, "impact", p->impact) &&
              cJSON_AddBoolToObject(root, "downtime", p->downtime);
    cJSON *steps = ok ? cJSON_AddArrayToObject(root, "steps") : NULL;
    ok = steps != NULL;
    for (size_t i = 0; ok && i < p->n_steps; i++)
        ok = add_step_json(steps, &p->steps[i]);
    ok = ok && add_vm_json(root, "before", &p->before) && add_vm_json(root, "after", &p->after);
    enum gp_status st = ok ? json_print(root, out_json) : GP_E_NOMEM;
    cJSON_Delete(root);
    return st;
}
