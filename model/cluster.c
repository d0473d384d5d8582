/* SPDX-License-Identifier: MIT
 * model/cluster.c: the GPUs known of a cluster's nodes: enum tables, partition pools, the
 * homogeneous rule's check, and the host GPU inventory JSON (azure-local-api.md section 7),
 * whose numbers often arrive as strings ("4", "12 GB"). Pure: no I/O. */
#include "model/cluster.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/json.h"
#include "model/text.h"

/* --- enum table ------------------------------------------------------------------------- */

#define GP_ENUM_NAME_(id, name) name,
static const char *const gpu_mode_names[] = {GPU_MODES(GP_ENUM_NAME_)};
#undef GP_ENUM_NAME_

const char *gpu_mode_name(enum gpu_mode m)
{
    if ((unsigned)m >= GPU_MODE_COUNT)
        return gpu_mode_names[GPU_MODE_UNKNOWN];
    return gpu_mode_names[m];
}

enum gpu_mode gpu_mode_parse(const char *text)
{
    if (!text)
        return GPU_MODE_UNKNOWN;
    if (str_ieq(text, "DDA") || str_ieq(text, "GpuDDA"))
        return GPU_MODE_DDA;
    if (str_ieq(text, "GPU-P") || str_ieq(text, "GpuP") || str_ieq(text, "GPUP") ||
        str_ieq(text, "Partitioned"))
        return GPU_MODE_GPUP;
    return GPU_MODE_UNKNOWN;
}

/* --- lifetime --------------------------------------------------------------------------- */

static void host_gpu_init(struct host_gpu *g)
{
    memset(g, 0, sizeof(*g));
    g->mode = GPU_MODE_UNKNOWN;
    g->partition_size_mb = -1;
}

void host_gpu_cleanup(struct host_gpu *g)
{
    if (!g)
        return;
    free(g->id);
    free(g->model);
    free(g->dda_vm);
    for (size_t i = 0; i < g->n_partition_vms; i++)
        free(g->partition_vms[i]);
    free(g->partition_vms);
    host_gpu_init(g);
}

static void host_gpus_free(struct host_gpu *gpus, size_t n)
{
    for (size_t i = 0; i < n; i++)
        host_gpu_cleanup(&gpus[i]);
    free(gpus);
}

void host_cleanup(struct host *h)
{
    if (!h)
        return;
    free(h->name);
    free(h->custom_location);
    free(h->resource_group);
    host_gpus_free(h->gpus, h->n_gpus);
    memset(h, 0, sizeof(*h));
}

void cluster_init(struct cluster *c)
{
    memset(c, 0, sizeof(*c));
    c->inventory_known = false;
    c->partition_size_mb_config = -1;
}

void cluster_cleanup(struct cluster *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_hosts; i++)
        host_cleanup(&c->hosts[i]);
    free(c->hosts);
    cluster_init(c);
}

const struct host *cluster_find_host(const struct cluster *c, const char *name)
{
    if (!c || !name)
        return NULL;
    for (size_t i = 0; i < c->n_hosts; i++)
        if (c->hosts[i].name && strcmp(c->hosts[i].name, name) == 0)
            return &c->hosts[i];
    return NULL;
}

/* --- pools and the homogeneous rule ----------------------------------------------------- */

static bool host_in_location(const struct host *h, const char *custom_location)
{
    return !custom_location || str_ieq(h->custom_location, custom_location);
}

static void pool_add_host(struct partition_pool *p, const struct host *h, bool *size_seen,
                          bool *size_mixed)
{
    for (size_t g = 0; g < h->n_gpus; g++) {
        const struct host_gpu *gpu = &h->gpus[g];
        if (gpu->mode != GPU_MODE_GPUP)
            continue;
        p->total += gpu->partitions_total;
        p->used += gpu->partitions_used;
        if (gpu->partition_size_mb < 0)
            continue;
        if (!*size_seen) {
            p->partition_size_mb = gpu->partition_size_mb;
            *size_seen = true;
        } else if (p->partition_size_mb != gpu->partition_size_mb) {
            *size_mixed = true;
        }
    }
}

struct partition_pool cluster_pool(const struct cluster *c, const struct host *host,
                                   const char *custom_location)
{
    struct partition_pool p = {0, 0, -1};
    bool seen = false, mixed = false;
    if (host) {
        pool_add_host(&p, host, &seen, &mixed);
    } else if (c) {
        for (size_t i = 0; i < c->n_hosts; i++)
            if (host_in_location(&c->hosts[i], custom_location))
                pool_add_host(&p, &c->hosts[i], &seen, &mixed);
    }
    if (mixed)
        p.partition_size_mb = -1;
    return p;
}

static const char *model_or_unknown(const char *m)
{
    return m && *m ? m : "unknown model";
}

static int gpu_model_cmp(const void *a, const void *b)
{
    const struct host_gpu *const *ga = a, *const *gb = b;
    const char *ma = (*ga)->model ? (*ga)->model : "";
    const char *mb = (*gb)->model ? (*gb)->model : "";
    return strcmp(ma, mb);
}

/* "NVIDIA A2, NVIDIA A2" into buf (sorted; truncated with "..." when long). */
static void host_models_text(const struct host_gpu *const *sorted, size_t n, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < len; i++) {
        int w = snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
                         model_or_unknown(sorted[i]->model));
        if (w < 0 || (size_t)w >= len - used) {
            if (len > 4)
                memcpy(buf + len - 4, "...", 4);
            return;
        }
        used += (size_t)w;
    }
}

static void why_set(char *why, size_t why_len, const char *fmt, ...) GP_PRINTF(3, 4);
static void why_set(char *why, size_t why_len, const char *fmt, ...)
{
    if (!why || why_len == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
}

/* Sorted pointers to a host's GPUs by model; NULL when out of memory. */
static const struct host_gpu **host_gpus_sorted(const struct host *h)
{
    const struct host_gpu **v = calloc(h->n_gpus, sizeof(*v));
    if (!v)
        return NULL;
    for (size_t i = 0; i < h->n_gpus; i++)
        v[i] = &h->gpus[i];
    qsort(v, h->n_gpus, sizeof(*v), gpu_model_cmp);
    return v;
}

bool cluster_is_homogeneous(const struct cluster *c, const char *custom_location, char *out_why,
                            size_t why_len)
{
    why_set(out_why, why_len, "%s", "");
    if (!c)
        return true;
    const struct host *ref = NULL;
    const struct host_gpu **ref_sorted = NULL;
    const struct host_gpu *ref_gpup = NULL; /* first GPU-P GPU seen: partition reference */
    const struct host *ref_gpup_host = NULL;
    bool ok = true;
    for (size_t i = 0; i < c->n_hosts && ok; i++) {
        const struct host *h = &c->hosts[i];
        if (!host_in_location(h, custom_location) || h->n_gpus == 0)
            continue;
        for (size_t g = 0; g < h->n_gpus && ok; g++) {
            const struct host_gpu *gpu = &h->gpus[g];
            if (gpu->mode != GPU_MODE_GPUP)
                continue;
            if (!ref_gpup) {
                ref_gpup = gpu;
                ref_gpup_host = h;
            } else if (gpu->partitions_total != ref_gpup->partitions_total) {
                why_set(out_why, why_len, "%s GPU %s offers %d partitions, %s GPU %s offers %d",
                        h->name ? h->name : "?", gpu->id ? gpu->id : "?", gpu->partitions_total,
                        ref_gpup_host->name ? ref_gpup_host->name : "?",
                        ref_gpup->id ? ref_gpup->id : "?", ref_gpup->partitions_total);
                ok = false;
            } else if (gpu->partition_size_mb >= 0 && ref_gpup->partition_size_mb >= 0 &&
                       gpu->partition_size_mb != ref_gpup->partition_size_mb) {
                why_set(out_why, why_len,
                        "%s GPU %s has %ld MB partitions, %s GPU %s has %ld MB",
                        h->name ? h->name : "?", gpu->id ? gpu->id : "?", gpu->partition_size_mb,
                        ref_gpup_host->name ? ref_gpup_host->name : "?",
                        ref_gpup->id ? ref_gpup->id : "?", ref_gpup->partition_size_mb);
                ok = false;
            }
        }
        if (!ok)
            break;
        const struct host_gpu **sorted = host_gpus_sorted(h);
        if (!sorted) {
            why_set(out_why, why_len, "%s", "out of memory while comparing hosts");
            ok = false;
            break;
        }
        if (!ref) {
            ref = h;
            ref_sorted = sorted;
            continue;
        }
        bool same = h->n_gpus == ref->n_gpus;
        for (size_t g = 0; same && g < h->n_gpus; g++)
            same = str_eq(sorted[g]->model ? sorted[g]->model : "",
                          ref_sorted[g]->model ? ref_sorted[g]->model : "");
        if (!same) {
            char a[120], b[120];
            host_models_text(sorted, h->n_gpus, a, sizeof(a));
            host_models_text(ref_sorted, ref->n_gpus, b, sizeof(b));
            why_set(out_why, why_len, "%s has GPUs %s; %s has %s", h->name ? h->name : "?", a,
                    ref->name ? ref->name : "?", b);
            ok = false;
        }
        free(sorted);
    }
    free(ref_sorted);
    return ok;
}

/* --- inventory JSON: reading ------------------------------------------------------------ */

static const char *json_type_name(const cJSON *v)
{
    if (cJSON_IsNull(v))
        return "null";
    if (cJSON_IsBool(v))
        return "a boolean";
    if (cJSON_IsNumber(v))
        return "a number";
    if (cJSON_IsString(v))
        return "a string";
    if (cJSON_IsArray(v))
        return "an array";
    if (cJSON_IsObject(v))
        return "an object";
    return "invalid";
}

/* Case-insensitive member lookup (cJSON_GetObjectItem is already case-insensitive, but say so). */
static const cJSON *json_get(const cJSON *obj, const char *name)
{
    return cJSON_GetObjectItem(obj, name);
}

/* Optional string: *out is a copy, or NULL when absent/null. */
static enum gp_status json_opt_string(const cJSON *obj, const char *name, const char *path,
                                      char **out, struct gp_error *err)
{
    *out = NULL;
    const cJSON *v = json_get(obj, name);
    if (!v || cJSON_IsNull(v))
        return GP_OK;
    if (!cJSON_IsString(v) || !v->valuestring)
        return gp_error_set(err, GP_E_INVALID, "%s.%s: expected a string, got %s", path, name,
                            json_type_name(v));
    *out = text_dup(v->valuestring);
    if (!*out)
        return gp_error_set(err, GP_E_NOMEM, "%s.%s: out of memory", path, name);
    return GP_OK;
}

static bool text_is_space(char ch)
{
    return ch == ' ' || ch == '\t';
}

/* An integer 0..max given as a JSON number or a string ("4", " 4 "). *out stays when absent or
 * null (returns GP_OK with *present false). */
static enum gp_status json_opt_count(const cJSON *obj, const char *name, const char *path,
                                     int max, int *out, bool *present, struct gp_error *err)
{
    *present = false;
    const cJSON *v = json_get(obj, name);
    if (!v || cJSON_IsNull(v))
        return GP_OK;
    double d;
    if (cJSON_IsNumber(v)) {
        d = v->valuedouble;
    } else if (cJSON_IsString(v) && v->valuestring) {
        const char *s = v->valuestring;
        while (text_is_space(*s))
            s++;
        char *end = NULL;
        errno = 0;
        long l = strtol(s, &end, 10);
        if (end == s || errno != 0)
            return gp_error_set(err, GP_E_INVALID, "%s.%s: expected a count, got \"%.40s\"",
                                path, name, v->valuestring);
        while (text_is_space(*end))
            end++;
        if (*end)
            return gp_error_set(err, GP_E_INVALID, "%s.%s: expected a count, got \"%.40s\"",
                                path, name, v->valuestring);
        d = (double)l;
    } else {
        return gp_error_set(err, GP_E_INVALID, "%s.%s: expected a count, got %s", path, name,
                            json_type_name(v));
    }
    if (!isfinite(d) || d < 0 || d > (double)max || d != floor(d))
        return gp_error_set(err, GP_E_INVALID, "%s.%s: %g is not a count from 0 to %d", path,
                            name, d, max);
    *out = (int)d;
    *present = true;
    return GP_OK;
}

#define SIZE_MAX_MB 1048576.0 /* 1 TiB of VRAM per partition: anything above is nonsense */

/* A VRAM size as the inventory sends it: a number of GB, or a string "12 GB", "3.5625GB",
 * "12", "3648 MB", "12 GiB". *out_mb stays -1 when absent or null. */
static enum gp_status json_opt_size_mb(const cJSON *obj, const char *name, const char *path,
                                       long *out_mb, struct gp_error *err)
{
    *out_mb = -1;
    const cJSON *v = json_get(obj, name);
    if (!v || cJSON_IsNull(v))
        return GP_OK;
    double mb;
    if (cJSON_IsNumber(v)) {
        mb = v->valuedouble * 1024.0;
    } else if (cJSON_IsString(v) && v->valuestring) {
        const char *s = v->valuestring;
        while (text_is_space(*s))
            s++;
        char *end = NULL;
        if (!(*s >= '0' && *s <= '9') && *s != '.') /* no sign, no "nan", no "inf" */
            return gp_error_set(err, GP_E_INVALID, "%s.%s: expected a size, got \"%.40s\"",
                                path, name, v->valuestring);
        errno = 0;
        double d = strtod(s, &end);
        if (end == s || errno != 0)
            return gp_error_set(err, GP_E_INVALID, "%s.%s: expected a size, got \"%.40s\"",
                                path, name, v->valuestring);
        while (text_is_space(*end))
            end++;
        char u[8] = "";
        size_t ul = 0;
        while (end[ul] && !text_is_space(end[ul]) && ul < sizeof(u) - 1) {
            u[ul] = end[ul];
            ul++;
        }
        u[ul] = '\0';
        const char *rest = end + ul;
        while (text_is_space(*rest))
            rest++;
        double unit;
        if (*rest)
            unit = -1.0;
        else if (!u[0] || str_ieq(u, "GB") || str_ieq(u, "GiB"))
            unit = 1024.0;
        else if (str_ieq(u, "MB") || str_ieq(u, "MiB"))
            unit = 1.0;
        else if (str_ieq(u, "TB") || str_ieq(u, "TiB"))
            unit = 1024.0 * 1024.0;
        else
            unit = -1.0;
        if (unit < 0)
            return gp_error_set(err, GP_E_INVALID, "%s.%s: unknown unit in \"%.40s\"", path,
                                name, v->valuestring);
        mb = d * unit;
    } else {
        return gp_error_set(err, GP_E_INVALID, "%s.%s: expected a size, got %s", path, name,
                            json_type_name(v));
    }
    if (!isfinite(mb) || mb < 0 || mb > SIZE_MAX_MB)
        return gp_error_set(err, GP_E_INVALID, "%s.%s: size out of range", path, name);
    *out_mb = (long)floor(mb + 0.5);
    return GP_OK;
}

/* Optional object: *out NULL when absent/null; error for another type. */
static enum gp_status json_opt_object(const cJSON *obj, const char *name, const char *path,
                                      const cJSON **out, struct gp_error *err)
{
    *out = NULL;
    const cJSON *v = json_get(obj, name);
    if (!v || cJSON_IsNull(v))
        return GP_OK;
    if (!cJSON_IsObject(v))
        return gp_error_set(err, GP_E_INVALID, "%s.%s: expected an object, got %s", path, name,
                            json_type_name(v));
    *out = v;
    return GP_OK;
}

static enum gp_status gpu_partitions_from_json(struct host_gpu *g, const cJSON *pd,
                                               const char *path, struct gp_error *err)
{
    bool present;
    int total = 0, used = 0, avail = 0;
    GP_TRY(json_opt_size_mb(pd, "partitionSizeGb", path, &g->partition_size_mb, err));
    if (g->partition_size_mb < 0) /* the spelling gpup-sim's older builds used */
        GP_TRY(json_opt_size_mb(pd, "partitionSize", path, &g->partition_size_mb, err));
    GP_TRY(json_opt_count(pd, "totalPartitions", path, HOST_GPU_MAX_PARTITIONS, &total, &present,
                          err));
    bool have_total = present;
    GP_TRY(json_opt_count(pd, "assignedPartitions", path, HOST_GPU_MAX_PARTITIONS, &used,
                          &present, err));
    bool have_used = present;
    GP_TRY(json_opt_count(pd, "availablePartitions", path, HOST_GPU_MAX_PARTITIONS, &avail,
                          &present, err));
    bool have_avail = present;

    const cJSON *parts = json_get(pd, "partitions");
    size_t n_parts = 0;
    if (parts && !cJSON_IsNull(parts)) {
        if (!cJSON_IsArray(parts))
            return gp_error_set(err, GP_E_INVALID, "%s.partitions: expected an array, got %s",
                                path, json_type_name(parts));
        int n = cJSON_GetArraySize(parts);
        if (n > HOST_GPU_MAX_PARTITIONS)
            return gp_error_set(err, GP_E_TOO_LARGE, "%s.partitions: %d items, at most %d",
                                path, n, HOST_GPU_MAX_PARTITIONS);
        n_parts = (size_t)n;
    }
    if (!have_total)
        total = have_used && have_avail ? used + avail : (int)n_parts;
    if (!have_used) {
        if (have_avail && have_total)
            used = total - avail;
        else
            used = 0;
    }
    if (used < 0 || used > total)
        return gp_error_set(err, GP_E_INVALID,
                            "%s: %d partitions assigned but %d in total", path, used, total);
    g->partitions_total = total;
    g->partitions_used = used;
    if (n_parts == 0)
        return GP_OK;
    g->partition_vms = calloc(n_parts, sizeof(*g->partition_vms));
    if (!g->partition_vms)
        return gp_error_set(err, GP_E_NOMEM, "%s.partitions: out of memory", path);
    size_t k = 0;
    const cJSON *item = NULL;
    cJSON_ArrayForEach(item, parts)
    {
        char ipath[192];
        (void)snprintf(ipath, sizeof(ipath), "%s.partitions[%zu]", path, k++);
        if (!cJSON_IsObject(item))
            return gp_error_set(err, GP_E_INVALID, "%s: expected an object, got %s", ipath,
                                json_type_name(item));
        const cJSON *wd = NULL;
        GP_TRY(json_opt_object(item, "workloadDetail", ipath, &wd, err));
        if (!wd)
            continue;
        char wpath[224];
        (void)snprintf(wpath, sizeof(wpath), "%s.workloadDetail", ipath);
        char *vm = NULL;
        GP_TRY(json_opt_string(wd, "workloadName", wpath, &vm, err));
        if (vm && *vm)
            g->partition_vms[g->n_partition_vms++] = vm;
        else
            free(vm);
    }
    /* An inventory that lists more holders than it counts as assigned: trust the list. */
    if ((int)g->n_partition_vms > used)
        used = (int)g->n_partition_vms;
    if (used > total)
        return gp_error_set(err, GP_E_INVALID, "%s: %d partitions held but %d in total", path,
                            used, total);
    g->partitions_total = total;
    g->partitions_used = used;
    return GP_OK;
}

static bool text_ieq_prefix(const char *s, const char *prefix, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char a = (unsigned char)s[i], b = (unsigned char)prefix[i];
        if (!a)
            return false;
        if (a >= 'A' && a <= 'Z')
            a = (unsigned char)(a - 'A' + 'a');
        if (b >= 'A' && b <= 'Z')
            b = (unsigned char)(b - 'A' + 'a');
        if (a != b)
            return false;
    }
    return true;
}

/* The model as people name it: "NVIDIA A2" from manufacturer "NVIDIA" and model "A2" (or
 * "NVIDIA A2" already). */
static enum gp_status model_join(char **ref_model, const char *manufacturer)
{
    if (!manufacturer || !*manufacturer)
        return GP_OK;
    size_t ml = strlen(manufacturer);
    char *model = *ref_model;
    if (model && text_ieq_prefix(model, manufacturer, ml))
        return GP_OK;
    size_t len = ml + 1 + (model ? strlen(model) : 0) + 1;
    char *joined = malloc(len);
    if (!joined)
        return GP_E_NOMEM;
    if (model)
        (void)snprintf(joined, len, "%s %s", manufacturer, model);
    else
        (void)snprintf(joined, len, "%s", manufacturer);
    free(model);
    *ref_model = joined;
    return GP_OK;
}

static enum gp_status gpu_from_json(struct host_gpu *g, const cJSON *item, const char *ipath,
                                    struct gp_error *err)
{
    if (!cJSON_IsObject(item))
        return gp_error_set(err, GP_E_INVALID, "%s: expected an object, got %s", ipath,
                            json_type_name(item));
    char path[96];
    const cJSON *props = NULL;
    GP_TRY(json_opt_object(item, "properties", ipath, &props, err));
    if (props) {
        (void)snprintf(path, sizeof(path), "%s.properties", ipath);
    } else {
        props = item;
        (void)snprintf(path, sizeof(path), "%s", ipath);
    }

    GP_TRY(json_opt_string(props, "gpuId", path, &g->id, err));
    if (!g->id && props != item)
        GP_TRY(json_opt_string(item, "name", ipath, &g->id, err));
    if (!g->id)
        return gp_error_set(err, GP_E_INVALID, "%s.gpuId: missing", path);

    char *manufacturer = NULL;
    GP_TRY(json_opt_string(props, "manufacturer", path, &manufacturer, err));
    /* json_opt_string's message names the path already; model_join sets none. */
    enum gp_status st = json_opt_string(props, "model", path, &g->model, err);
    if (st == GP_OK && model_join(&g->model, manufacturer) != GP_OK)
        st = gp_error_set(err, GP_E_NOMEM, "%s.model: out of memory", path);
    free(manufacturer);
    if (st != GP_OK)
        return st;

    char *mode = NULL;
    GP_TRY(json_opt_string(props, "gpuMode", path, &mode, err));
    g->mode = gpu_mode_parse(mode);
    free(mode);

    const cJSON *pd = NULL;
    GP_TRY(json_opt_object(props, "partitionDetails", path, &pd, err));
    if (g->mode == GPU_MODE_GPUP && pd) {
        char ppath[128];
        (void)snprintf(ppath, sizeof(ppath), "%s.partitionDetails", path);
        GP_TRY(gpu_partitions_from_json(g, pd, ppath, err));
    }
    if (g->mode == GPU_MODE_DDA) {
        const cJSON *wd = NULL;
        GP_TRY(json_opt_object(props, "workloadDetail", path, &wd, err));
        if (wd) {
            char wpath[128];
            (void)snprintf(wpath, sizeof(wpath), "%s.workloadDetail", path);
            GP_TRY(json_opt_string(wd, "workloadName", wpath, &g->dda_vm, err));
        }
        char *status = NULL;
        GP_TRY(json_opt_string(props, "assignmentStatus", path, &status, err));
        bool assigned = str_ieq(status, "Assigned");
        free(status);
        if (assigned && !g->dda_vm) {
            g->dda_vm = text_dup("");
            if (!g->dda_vm)
                return gp_error_set(err, GP_E_NOMEM, "%s: out of memory", path);
        }
    }
    return GP_OK;
}

enum gp_status host_gpus_from_json(struct host *host, const char *json, size_t len,
                                   struct gp_error *err)
{
    const char *who = host && host->name ? host->name : "?";
    if (!host || (!json && len))
        return gp_error_set(err, GP_E_INVALID, "host GPU inventory: no host or no text");
    cJSON *root = NULL;
    enum gp_status pst = json_parse(json ? json : "", len, HOST_GPUS_JSON_MAX_BYTES,
                                    HOST_GPUS_JSON_MAX_DEPTH, &root, err);
    if (pst != GP_OK) {
        gp_error_prefix(err, "host %s GPU inventory", who);
        return pst;
    }

    const cJSON *list = NULL;
    const char *lpath = "$";
    if (cJSON_IsArray(root)) {
        list = root;
    } else if (cJSON_IsObject(root)) {
        const cJSON *value = json_get(root, "value");
        if (value && !cJSON_IsNull(value)) {
            if (!cJSON_IsArray(value)) {
                enum gp_status st = gp_error_set(
                    err, GP_E_INVALID, "host %s GPU inventory: value: expected an array, got %s",
                    who, json_type_name(value));
                cJSON_Delete(root);
                return st;
            }
            list = value;
            lpath = "value";
        }
    } else {
        enum gp_status st = gp_error_set(
            err, GP_E_INVALID, "host %s GPU inventory: expected an object or array, got %s", who,
            json_type_name(root));
        cJSON_Delete(root);
        return st;
    }

    size_t n = list ? (size_t)cJSON_GetArraySize(list) : 1;
    if (n > HOST_MAX_GPUS) {
        cJSON_Delete(root);
        return gp_error_set(err, GP_E_TOO_LARGE, "host %s GPU inventory: %zu GPUs, at most %d",
                            who, n, HOST_MAX_GPUS);
    }
    struct host_gpu *gpus = n ? calloc(n, sizeof(*gpus)) : NULL;
    if (n && !gpus) {
        cJSON_Delete(root);
        return gp_error_set(err, GP_E_NOMEM, "host %s GPU inventory: out of memory", who);
    }
    for (size_t i = 0; i < n; i++)
        host_gpu_init(&gpus[i]);

    enum gp_status st = GP_OK;
    if (!list) {
        st = gpu_from_json(&gpus[0], root, "$", err);
    } else {
        size_t i = 0;
        const cJSON *item = NULL;
        cJSON_ArrayForEach(item, list)
        {
            assert(i < n); /* n came from cJSON_GetArraySize(list): one slot per item */
            char ipath[64];
            (void)snprintf(ipath, sizeof(ipath), "%s[%zu]", lpath, i);
            st = gpu_from_json(&gpus[i], item, ipath, err);
            if (st != GP_OK)
                break;
            i++;
        }
    }
    cJSON_Delete(root);
    if (st != GP_OK) {
        host_gpus_free(gpus, n);
        gp_error_prefix(err, "host %s GPU inventory", who);
        return st;
    }
    host_gpus_free(host->gpus, host->n_gpus);
    host->gpus = gpus;
    host->n_gpus = n;
    return GP_OK;
}

/* --- inventory JSON: writing ------------------------------------------------------------ */

/* "3.5625 GB": exact for any whole number of MB (MB/1024 is a short binary fraction). */
static void size_gb_text(long mb, char *buf, size_t len)
{
    (void)snprintf(buf, len, "%.17g GB", (double)mb / 1024.0);
}

static bool json_add_count(cJSON *obj, const char *name, long v)
{
    char t[32];
    (void)snprintf(t, sizeof(t), "%ld", v);
    return cJSON_AddStringToObject(obj, name, t) != NULL;
}

static bool gpu_partitions_to_json(cJSON *props, const struct host_gpu *g)
{
    cJSON *pd = cJSON_AddObjectToObject(props, "partitionDetails");
    if (!pd)
        return false;
    char t[48];
    long size = g->partition_size_mb;
    if (size >= 0) {
        size_gb_text(size, t, sizeof(t));
        if (!cJSON_AddStringToObject(pd, "partitionSizeGb", t))
            return false;
    }
    int free_parts = g->partitions_total - g->partitions_used;
    if (!json_add_count(pd, "totalPartitions", g->partitions_total) ||
        !json_add_count(pd, "availablePartitions", free_parts < 0 ? 0 : free_parts) ||
        !json_add_count(pd, "assignedPartitions", g->partitions_used) ||
        !json_add_count(pd, "validPartitionCount", g->partitions_total))
        return false;
    if (size >= 0) {
        size_gb_text(size * g->partitions_total, t, sizeof(t));
        if (!cJSON_AddStringToObject(pd, "totalVram", t))
            return false;
        size_gb_text(size * (free_parts < 0 ? 0 : free_parts), t, sizeof(t));
        if (!cJSON_AddStringToObject(pd, "availableVram", t))
            return false;
    }
    cJSON *parts = cJSON_AddArrayToObject(pd, "partitions");
    if (!parts)
        return false;
    for (size_t i = 0; i < g->n_partition_vms; i++) {
        cJSON *p = cJSON_CreateObject();
        if (!p || !cJSON_AddItemToArray(parts, p)) {
            cJSON_Delete(p);
            return false;
        }
        char pid[96];
        (void)snprintf(pid, sizeof(pid), "%s-p%zu", g->id ? g->id : "gpu", i);
        if (!cJSON_AddStringToObject(p, "partitionId", pid))
            return false;
        if (size >= 0) {
            size_gb_text(size, t, sizeof(t));
            if (!cJSON_AddStringToObject(p, "currentVram", t))
                return false;
        }
        cJSON *wd = cJSON_AddObjectToObject(p, "workloadDetail");
        if (!wd || !cJSON_AddStringToObject(wd, "workloadName", g->partition_vms[i]) ||
            !cJSON_AddStringToObject(wd, "workloadType", "VirtualMachine"))
            return false;
    }
    return true;
}

/* Splits "NVIDIA A2" into manufacturer "NVIDIA" (first word) for the manufacturer field. */
static void model_manufacturer(const char *model, char *buf, size_t len)
{
    buf[0] = '\0';
    if (!model)
        return;
    const char *sp = strchr(model, ' ');
    if (!sp)
        return;
    size_t n = (size_t)(sp - model);
    if (n >= len)
        return;
    memcpy(buf, model, n);
    buf[n] = '\0';
}

enum gp_status host_gpu_to_json(const struct host *host, const struct host_gpu *gpu,
                                const char *resource_id, char **out_json)
{
    (void)host;
    *out_json = NULL;
    if (!gpu)
        return GP_E_INVALID;
    cJSON *root = cJSON_CreateObject();
    bool ok = root != NULL;
    if (ok && resource_id)
        ok = cJSON_AddStringToObject(root, "id", resource_id) != NULL;
    ok = ok && cJSON_AddStringToObject(root, "name", gpu->id ? gpu->id : "") != NULL;
    ok = ok && cJSON_AddStringToObject(root, "type", "Microsoft.AzureStackHCI/edgeMachines/gpus");
    cJSON *props = ok ? cJSON_AddObjectToObject(root, "properties") : NULL;
    ok = props != NULL;
    if (ok && gpu->id)
        ok = cJSON_AddStringToObject(props, "gpuId", gpu->id) != NULL;
    if (ok && gpu->model) {
        char manu[64];
        model_manufacturer(gpu->model, manu, sizeof(manu));
        if (manu[0])
            ok = cJSON_AddStringToObject(props, "manufacturer", manu) != NULL;
        ok = ok && cJSON_AddStringToObject(props, "model", gpu->model) != NULL;
    }
    ok = ok && cJSON_AddStringToObject(props, "status", "OK") != NULL;
    ok = ok && cJSON_AddStringToObject(props, "gpuMode", gpu_mode_name(gpu->mode)) != NULL;
    bool dda = gpu->mode == GPU_MODE_DDA, gpup = gpu->mode == GPU_MODE_GPUP;
    ok = ok && cJSON_AddBoolToObject(props, "assignable", dda && !gpu->dda_vm) != NULL;
    ok = ok && cJSON_AddBoolToObject(props, "partitionable", gpup) != NULL;
    const char *status = dda ? (gpu->dda_vm ? "Assigned" : "Unassigned")
                             : gpup ? "Partitioned" : "Unknown";
    ok = ok && cJSON_AddStringToObject(props, "assignmentStatus", status) != NULL;
    if (ok && dda && gpu->dda_vm && *gpu->dda_vm) {
        cJSON *wd = cJSON_AddObjectToObject(props, "workloadDetail");
        ok = wd && cJSON_AddStringToObject(wd, "workloadName", gpu->dda_vm) &&
             cJSON_AddStringToObject(wd, "workloadType", "VirtualMachine");
    }
    if (ok && gpup)
        ok = gpu_partitions_to_json(props, gpu);
    char *text = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (!text)
        return GP_E_NOMEM;
    *out_json = text;
    return GP_OK;
}
