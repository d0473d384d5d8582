/* SPDX-License-Identifier: MIT
 * model/vm.c: the VM instance struct and its ARM JSON mapping (azure-local-api.md section 2).
 * Reads leniently where Azure is inconsistent (partitionSizeMB in any case, numbers as text,
 * unknown enum values kept as text), refuses wrong types with the JSON path, and writes only
 * what it holds. */
#include "model/vm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model/json.h"
#include "model/text.h"

/* --- enumerations --------------------------------------------------------------------------- */

#define GP_ENUM_NAME_(id, name) name,
static const char *const power_names[] = {POWER_STATES(GP_ENUM_NAME_)};
static const char *const provisioning_names[] = {PROVISIONING_STATES(GP_ENUM_NAME_)};
static const char *const assignment_names[] = {GPU_ASSIGNMENTS(GP_ENUM_NAME_)};
#undef GP_ENUM_NAME_

static int table_find(const char *const *names, int n, const char *text)
{
    if (!text)
        return -1;
    for (int i = 0; i < n; i++)
        if (*names[i] && strcmp(names[i], text) == 0)
            return i;
    return -1;
}

const char *power_state_name(enum power_state s)
{
    return (unsigned)s < POWER_STATE_COUNT ? power_names[s] : power_names[POWER_UNKNOWN];
}

enum power_state power_state_parse(const char *text)
{
    int i = table_find(power_names, POWER_STATE_COUNT, text);
    return i < 0 ? POWER_UNKNOWN : (enum power_state)i;
}

const char *provisioning_state_name(enum provisioning_state s)
{
    return (unsigned)s < PROVISIONING_STATE_COUNT ? provisioning_names[s]
                                                  : provisioning_names[PROV_UNKNOWN];
}

enum provisioning_state provisioning_state_parse(const char *text)
{
    int i = table_find(provisioning_names, PROVISIONING_STATE_COUNT, text);
    return i < 0 ? PROV_UNKNOWN : (enum provisioning_state)i;
}

const char *gpu_assignment_name(enum gpu_assignment a)
{
    return (unsigned)a < GPU_ASSIGNMENT_COUNT ? assignment_names[a] : "";
}

enum gpu_assignment gpu_assignment_parse(const char *text)
{
    int i = table_find(assignment_names, GPU_ASSIGNMENT_COUNT, text);
    return i < 0 ? GPU_ASSIGN_OTHER : (enum gpu_assignment)i;
}

bool provisioning_state_is_terminal(enum provisioning_state s)
{
    switch (s) {
    case PROV_SUCCEEDED:
    case PROV_FAILED:
    case PROV_CANCELED:
        return true;
    case PROV_UNKNOWN:
    case PROV_IN_PROGRESS:
    case PROV_ACCEPTED:
    case PROV_DELETING:
    case PROVISIONING_STATE_COUNT:
    default:
        return false;
    }
}

/* --- lifetime --------------------------------------------------------------------------------- */

void vm_init(struct vm *vm)
{
    memset(vm, 0, sizeof(*vm));
    vm->processors = -1;
    vm->memory_mb = -1;
    vm->provisioning = PROV_UNKNOWN;
    vm->power = POWER_UNKNOWN;
}

static void gpus_free(struct vm_gpu *gpus, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(gpus[i].type_text);
        free(gpus[i].gpu_name);
    }
    free(gpus);
}

/* Every owned string of struct vm, for cleanup and copy (one list, so neither can miss one). */
#define VM_STRINGS(X)                                                                          \
    X(id) X(name) X(subscription) X(resource_group) X(custom_location) X(vm_size)             \
    X(computer_name) X(admin_username) X(image_id) X(host_node) X(provisioning_text)          \
    X(power_text) X(error_code) X(error_message) X(operation_id)

void vm_cleanup(struct vm *vm)
{
    if (!vm)
        return;
#define FREE_(f) free(vm->f);
    VM_STRINGS(FREE_)
#undef FREE_
    gpus_free(vm->gpus, vm->n_gpus);
    vm_init(vm);
}

static bool dup_field(char **dst, const char *src)
{
    *dst = text_dup(src);
    return !src || *dst;
}

enum gp_status vm_copy(struct vm *out, const struct vm *src)
{
    struct vm tmp = *src;
    bool ok = true;
#define DUP_(f) ok = dup_field(&tmp.f, src->f) && ok;
    VM_STRINGS(DUP_)
#undef DUP_
    tmp.gpus = NULL;
    tmp.n_gpus = 0;
    if (src->n_gpus) {
        tmp.gpus = calloc(src->n_gpus, sizeof(*tmp.gpus));
        ok = ok && tmp.gpus;
        for (size_t i = 0; ok && i < src->n_gpus; i++) {
            tmp.gpus[i] = src->gpus[i];
            tmp.n_gpus = i + 1;
            ok = dup_field(&tmp.gpus[i].type_text, src->gpus[i].type_text) &&
                 dup_field(&tmp.gpus[i].gpu_name, src->gpus[i].gpu_name);
        }
    }
    if (!ok) {
        vm_cleanup(&tmp);
        return GP_E_NOMEM;
    }
    vm_cleanup(out);
    *out = tmp;
    return GP_OK;
}

/* --- resource ids ------------------------------------------------------------------------------ */

/* Copies the path segment starting at s (up to '/' or end) into a new string. */
static char *segment_dup(const char *s, size_t *out_len)
{
    size_t n = strcspn(s, "/");
    *out_len = n;
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* Matches "/name/" case-insensitively at s; returns the position after it or NULL. */
static const char *expect_segment(const char *s, const char *name)
{
    size_t n = strlen(name);
    if (s[0] != '/' || strncasecmp(s + 1, name, n) != 0 || s[n + 1] != '/')
        return NULL;
    return s + n + 2;
}

enum gp_status vm_id_parse(const char *id, char **out_sub, char **out_rg, char **out_name,
                           struct gp_error *err)
{
    const char *p = id ? expect_segment(id, "subscriptions") : NULL;
    char *parts[3] = {NULL, NULL, NULL};
    static const char *const before[3] = {"resourceGroups", NULL, NULL};
    size_t n = 0;
    for (int i = 0; p && i < 3; i++) {
        parts[i] = segment_dup(p, &n);
        if (!parts[i])
            goto nomem;
        if (n == 0) {
            p = NULL;
            break;
        }
        p += n;
        if (i == 0)
            p = expect_segment(p, before[0]);
        else if (i == 1) {
            p = expect_segment(p, "providers");
            p = p ? expect_segment(p - 1, "Microsoft.HybridCompute") : NULL;
            p = p ? expect_segment(p - 1, "machines") : NULL;
        } else if (*p != '\0' && *p != '/') {
            p = NULL;
        }
    }
    if (!p) {
        for (int i = 0; i < 3; i++)
            free(parts[i]);
        return gp_error_set(err, GP_E_INVALID,
                            "not an Arc machine resource id (/subscriptions/…/resourceGroups/…/"
                            "providers/Microsoft.HybridCompute/machines/NAME): %.200s",
                            id ? id : "(none)");
    }
    char **outs[3] = {out_sub, out_rg, out_name};
    for (int i = 0; i < 3; i++) {
        if (outs[i])
            *outs[i] = parts[i];
        else
            free(parts[i]);
    }
    return GP_OK;
nomem:
    for (int i = 0; i < 3; i++)
        free(parts[i]);
    return gp_error_set(err, GP_E_NOMEM, "out of memory");
}

/* --- JSON -> struct ----------------------------------------------------------------------------- */

static enum gp_status gpu_from_json(const cJSON *item, size_t index, struct vm_gpu *out,
                                    struct gp_error *err)
{
    char path[96];
    (void)snprintf(path, sizeof(path), "properties.hardwareProfile.virtualMachineGPUs[%zu]", index);
    out->partition_size_mb = -1;
    if (!cJSON_IsObject(item))
        return gp_error_set(err, GP_E_INVALID, "%s: expected an object", path);
    GP_TRY(json_get_string(item, "assignmentType", path, &out->type_text, err));
    out->type = gpu_assignment_parse(out->type_text);
    GP_TRY(json_get_string(item, "gpuName", path, &out->gpu_name, err));
    /* Microsoft's CLI prints partitionSizeMb; ARM sends partitionSizeMB; some tools send text. */
    const cJSON *size = json_member(item, "partitionSizeMB", true);
    GP_TRY(json_item_to_long(size, path, size && size->string ? size->string : "partitionSizeMB",
                             true, &out->partition_size_mb, err));
    return GP_OK;
}

static enum gp_status gpus_from_json(const cJSON *list, struct vm *out, struct gp_error *err)
{
    if (!list || cJSON_IsNull(list))
        return GP_OK;
    out->gpus_present = true;
    if (!cJSON_IsArray(list))
        return gp_error_set(err, GP_E_INVALID,
                            "properties.hardwareProfile.virtualMachineGPUs: expected an array");
    int n = cJSON_GetArraySize(list);
    if (n <= 0)
        return GP_OK;
    if (n > VM_MAX_GPUS)
        return gp_error_set(err, GP_E_INVALID,
                            "properties.hardwareProfile.virtualMachineGPUs: %d items (at most %d)",
                            n, VM_MAX_GPUS);
    out->gpus = calloc((size_t)n, sizeof(*out->gpus));
    if (!out->gpus)
        return gp_error_set(err, GP_E_NOMEM, "out of memory");
    size_t i = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, list)
    {
        out->n_gpus = i + 1;
        GP_TRY(gpu_from_json(item, i, &out->gpus[i], err));
        i++;
    }
    return GP_OK;
}

static const cJSON *object_at(const cJSON *obj, const char *key, const char *path,
                              enum gp_status *st, struct gp_error *err)
{
    const cJSON *item = json_member(obj, key, false);
    if (!item || cJSON_IsNull(item))
        return NULL;
    if (!cJSON_IsObject(item)) {
        *st = gp_error_set(err, GP_E_INVALID, "%s%s%s: expected an object", path,
                           *path ? "." : "", key);
        return NULL;
    }
    return item;
}

/* Fills the identity fields from the resource id. Ids that do not name an Arc machine are kept
 * as they are and leave the parts NULL: a VM we cannot place is still shown. */
static enum gp_status identity_from_id(struct vm *out, struct gp_error *err)
{
    if (!out->id)
        return GP_OK;
    struct gp_error ignored;
    enum gp_status st =
        vm_id_parse(out->id, &out->subscription, &out->resource_group, &out->name, &ignored);
    if (st == GP_E_NOMEM)
        return gp_error_set(err, GP_E_NOMEM, "out of memory");
    return GP_OK;
}

static enum gp_status vm_from_tree(struct vm *out, const cJSON *root, struct gp_error *err)
{
    enum gp_status st = GP_OK;
    if (!cJSON_IsObject(root))
        return gp_error_set(err, GP_E_INVALID, "VM instance: expected a JSON object");
    GP_TRY(json_get_string(root, "id", "", &out->id, err));
    GP_TRY(identity_from_id(out, err));

    const cJSON *ext = object_at(root, "extendedLocation", "", &st, err);
    GP_TRY(st);
    GP_TRY(json_get_string(ext, "name", "extendedLocation", &out->custom_location, err));

    const cJSON *props = object_at(root, "properties", "", &st, err);
    GP_TRY(st);
    const cJSON *hw = object_at(props, "hardwareProfile", "properties", &st, err);
    GP_TRY(st);
    static const char hw_path[] = "properties.hardwareProfile";
    GP_TRY(json_get_string(hw, "vmSize", hw_path, &out->vm_size, err));
    GP_TRY(json_get_long(hw, "processors", hw_path, false, &out->processors, err));
    GP_TRY(json_get_long(hw, "memoryMB", hw_path, false, &out->memory_mb, err));
    GP_TRY(gpus_from_json(json_member(hw, "virtualMachineGPUs", false), out, err));

    const cJSON *os = object_at(props, "osProfile", "properties", &st, err);
    GP_TRY(st);
    GP_TRY(json_get_string(os, "computerName", "properties.osProfile", &out->computer_name, err));
    GP_TRY(json_get_string(os, "adminUsername", "properties.osProfile", &out->admin_username, err));

    const cJSON *storage = object_at(props, "storageProfile", "properties", &st, err);
    GP_TRY(st);
    const cJSON *image =
        object_at(storage, "imageReference", "properties.storageProfile", &st, err);
    GP_TRY(st);
    GP_TRY(json_get_string(image, "id", "properties.storageProfile.imageReference",
                           &out->image_id, err));

    GP_TRY(json_get_string(props, "hostNodeName", "properties", &out->host_node, err));
    GP_TRY(json_get_string(props, "provisioningState", "properties", &out->provisioning_text, err));
    out->provisioning = provisioning_state_parse(out->provisioning_text);

    const cJSON *status = object_at(props, "status", "properties", &st, err);
    GP_TRY(st);
    GP_TRY(json_get_string(status, "powerState", "properties.status", &out->power_text, err));
    out->power = power_state_parse(out->power_text);
    GP_TRY(json_get_string(status, "errorCode", "properties.status", &out->error_code, err));
    GP_TRY(json_get_string(status, "errorMessage", "properties.status", &out->error_message, err));
    /* "" means "no error" in ARM's answers; keep it as absent. */
    if (out->error_code && !*out->error_code) {
        free(out->error_code);
        out->error_code = NULL;
    }
    if (out->error_message && !*out->error_message) {
        free(out->error_message);
        out->error_message = NULL;
    }
    const cJSON *prov = object_at(status, "provisioningStatus", "properties.status", &st, err);
    GP_TRY(st);
    GP_TRY(json_get_string(prov, "operationId", "properties.status.provisioningStatus",
                           &out->operation_id, err));
    return GP_OK;
}

enum gp_status vm_from_json(struct vm *out, const char *json, size_t len, struct gp_error *err)
{
    cJSON *root = NULL;
    vm_cleanup(out);
    GP_TRY(json_parse(json, len, VM_JSON_MAX_BYTES, VM_JSON_MAX_DEPTH, &root, err));
    enum gp_status st = vm_from_tree(out, root, err);
    cJSON_Delete(root);
    if (st != GP_OK)
        vm_cleanup(out);
    return st;
}

enum gp_status vm_list_from_json(const char *json, size_t len, struct vm **ref_vms,
                                 size_t *ref_count, char **out_next_link, size_t *out_skipped,
                                 struct gp_error *err)
{
    cJSON *root = NULL;
    *out_next_link = NULL;
    if (out_skipped)
        *out_skipped = 0;
    GP_TRY(json_parse(json, len, VM_JSON_MAX_BYTES, VM_JSON_MAX_DEPTH, &root, err));
    enum gp_status st = GP_OK;
    char *next = NULL;
    const cJSON *value = json_member(root, "value", false);
    if (!cJSON_IsObject(root)) {
        st = gp_error_set(err, GP_E_INVALID, "list page: expected a JSON object");
        goto done;
    }
    if (!cJSON_IsArray(value)) {
        st = gp_error_set(err, GP_E_INVALID, "list page: value: expected an array");
        goto done;
    }
    st = json_get_string(root, "nextLink", "", &next, err);
    if (st != GP_OK)
        goto done;
    size_t n = (size_t)cJSON_GetArraySize(value);
    if (n) {
        struct vm *grown = realloc(*ref_vms, (*ref_count + n) * sizeof(**ref_vms));
        if (!grown) {
            st = gp_error_set(err, GP_E_NOMEM, "out of memory");
            goto done;
        }
        *ref_vms = grown;
    }
    const cJSON *item;
    cJSON_ArrayForEach(item, value)
    {
        struct vm *vm = &(*ref_vms)[*ref_count];
        vm_init(vm);
        struct gp_error item_err;
        enum gp_status ist = vm_from_tree(vm, item, &item_err);
        if (ist == GP_E_NOMEM) {
            vm_cleanup(vm);
            st = gp_error_set(err, GP_E_NOMEM, "out of memory");
            goto done;
        }
        if (ist != GP_OK) {
            vm_cleanup(vm);
            if (out_skipped)
                (*out_skipped)++;
            continue;
        }
        (*ref_count)++;
    }
done:
    cJSON_Delete(root);
    if (st == GP_OK)
        *out_next_link = next;
    else
        free(next);
    return st;
}

void vm_array_free(struct vm *vms, size_t n)
{
    for (size_t i = 0; vms && i < n; i++)
        vm_cleanup(&vms[i]);
    free(vms);
}

/* --- struct -> JSON ----------------------------------------------------------------------------- */

static cJSON *object_child(cJSON *parent, const char *key)
{
    cJSON *o = cJSON_CreateObject();
    if (o && !cJSON_AddItemToObject(parent, key, o)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static bool gpu_to_json(cJSON *list, const struct vm_gpu *g)
{
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddItemToArray(list, o)) {
        cJSON_Delete(o);
        return false;
    }
    const char *type = g->type_text ? g->type_text
                       : g->type != GPU_ASSIGN_OTHER ? gpu_assignment_name(g->type)
                                                     : NULL;
    bool ok = json_add_string_opt(o, "assignmentType", type);
    /* ARM returns gpuName: null for a partition; keep that shape. */
    ok = ok && (g->gpu_name ? cJSON_AddStringToObject(o, "gpuName", g->gpu_name) != NULL
                            : cJSON_AddNullToObject(o, "gpuName") != NULL);
    ok = ok && json_add_long_opt(o, "partitionSizeMB", g->partition_size_mb);
    return ok;
}

/* Builds the ARM representation of vm into a new tree (caller deletes). NULL when out of
 * memory. Shared by vm_to_json and callers that need the tree (none leave model/). */
static cJSON *vm_to_tree(const struct vm *vm)
{
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NULL;
    bool ok = json_add_string_opt(root, "id", vm->id);
    if (vm->id) {
        ok = ok && cJSON_AddStringToObject(root, "name", "default") &&
             cJSON_AddStringToObject(root, "type", "Microsoft.AzureStackHCI/virtualMachineInstances");
    }
    if (ok && vm->custom_location) {
        cJSON *ext = object_child(root, "extendedLocation");
        ok = ext && cJSON_AddStringToObject(ext, "type", "CustomLocation") &&
             cJSON_AddStringToObject(ext, "name", vm->custom_location);
    }
    cJSON *props = ok ? object_child(root, "properties") : NULL;
    cJSON *hw = props ? object_child(props, "hardwareProfile") : NULL;
    ok = hw && json_add_string_opt(hw, "vmSize", vm->vm_size) &&
         json_add_long_opt(hw, "processors", vm->processors) &&
         json_add_long_opt(hw, "memoryMB", vm->memory_mb);
    if (ok && (vm->gpus_present || vm->n_gpus)) {
        cJSON *list = cJSON_AddArrayToObject(hw, "virtualMachineGPUs");
        ok = list != NULL;
        for (size_t i = 0; ok && i < vm->n_gpus; i++)
            ok = gpu_to_json(list, &vm->gpus[i]);
    }
    if (ok && (vm->computer_name || vm->admin_username)) {
        cJSON *os = object_child(props, "osProfile");
        ok = os && json_add_string_opt(os, "computerName", vm->computer_name) &&
             json_add_string_opt(os, "adminUsername", vm->admin_username);
    }
    if (ok && vm->image_id) {
        cJSON *storage = object_child(props, "storageProfile");
        cJSON *image = storage ? object_child(storage, "imageReference") : NULL;
        ok = image && cJSON_AddStringToObject(image, "id", vm->image_id);
    }
    ok = ok && json_add_string_opt(props, "hostNodeName", vm->host_node);
    const char *prov = vm->provisioning_text ? vm->provisioning_text
                       : vm->provisioning != PROV_UNKNOWN ? provisioning_state_name(vm->provisioning)
                                                          : NULL;
    ok = ok && json_add_string_opt(props, "provisioningState", prov);
    const char *power = vm->power_text ? vm->power_text
                        : vm->power != POWER_UNKNOWN ? power_state_name(vm->power)
                                                     : NULL;
    if (ok && (power || vm->error_code || vm->error_message || vm->operation_id)) {
        cJSON *status = object_child(props, "status");
        ok = status && json_add_string_opt(status, "powerState", power) &&
             cJSON_AddStringToObject(status, "errorCode", vm->error_code ? vm->error_code : "") &&
             cJSON_AddStringToObject(status, "errorMessage",
                                     vm->error_message ? vm->error_message : "");
        if (ok && vm->operation_id) {
            cJSON *ps = object_child(status, "provisioningStatus");
            ok = ps && cJSON_AddStringToObject(ps, "operationId", vm->operation_id) &&
                 json_add_string_opt(ps, "status", prov);
        }
    }
    if (!ok) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

enum gp_status vm_to_json(const struct vm *vm, char **out_json)
{
    *out_json = NULL;
    cJSON *root = vm_to_tree(vm);
    if (!root)
        return GP_E_NOMEM;
    enum gp_status st = json_print(root, out_json);
    cJSON_Delete(root);
    return st;
}

/* --- display ----------------------------------------------------------------------------------- */

const char *vm_gpu_summary(const struct vm *vm, bool utf8, char *buf, size_t n)
{
    if (!n)
        return buf;
    if (!vm->n_gpus) {
        (void)text_copy(buf, n, utf8 ? "\u2014" : "-");
        return buf;
    }
    const struct vm_gpu *g = &vm->gpus[0];
    const char *times = utf8 ? "\u00d7" : "x";
    int w;
    switch (g->type) {
    case GPU_ASSIGN_P:
        if (g->partition_size_mb >= 0)
            w = snprintf(buf, n, "GPU-P %ld MB", g->partition_size_mb);
        else
            w = snprintf(buf, n, "GPU-P");
        break;
    case GPU_ASSIGN_DDA:
        if (vm->n_gpus > 1)
            w = snprintf(buf, n, "%zu%s DDA %s", vm->n_gpus, times, g->gpu_name ? g->gpu_name : "");
        else
            w = snprintf(buf, n, "DDA %s", g->gpu_name ? g->gpu_name : "");
        break;
    case GPU_ASSIGN_OTHER:
    case GPU_ASSIGNMENT_COUNT:
    default:
        w = snprintf(buf, n, "%s", g->type_text ? g->type_text : "?");
        break;
    }
    /* Trailing space of "DDA " with no name is dropped. */
    if (w > 0 && (size_t)w < n && buf[w - 1] == ' ')
        buf[w - 1] = '\0';
    return buf;
}
