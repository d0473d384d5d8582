/* SPDX-License-Identifier: MIT
 * model/armjson.c: ARM envelopes (pages, Graph, operation status). See model/armjson.h. */
#include "model/armjson.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "model/text.h"

static enum gp_status parse_object(const char *json, size_t len, cJSON **out,
                                   struct gp_error *err)
{
    *out = NULL;
    if (len > ARMJSON_MAX_BYTES)
        return gp_error_set(err, GP_E_TOO_LARGE, "answer of %zu bytes is over the 8 MiB limit",
                            len);
    if (!json || !len)
        return gp_error_set(err, GP_E_PARSE, "empty answer where JSON was expected");
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(json, len, &end, false);
    if (!root) {
        size_t at = end && end >= json ? (size_t)(end - json) : 0;
        return gp_error_set(err, GP_E_PARSE, "malformed JSON near byte %zu", at);
    }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return gp_error_set(err, GP_E_INVALID, "$: expected an object");
    }
    *out = root;
    return GP_OK;
}

/* A string member: NULL when absent or null; GP_E_INVALID when of another type. */
static enum gp_status get_str(const cJSON *obj, const char *key, const char *path,
                              const char **out, struct gp_error *err)
{
    *out = NULL;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v || cJSON_IsNull(v))
        return GP_OK;
    if (!cJSON_IsString(v) || !v->valuestring)
        return gp_error_set(err, GP_E_INVALID, "%s%s: expected a string", path, key);
    *out = v->valuestring;
    return GP_OK;
}

static enum gp_status dup_out(const char *s, char **out, struct gp_error *err)
{
    *out = NULL;
    if (!s)
        return GP_OK;
    *out = text_dup(s);
    return *out ? GP_OK : gp_error_set(err, GP_E_NOMEM, "out of memory");
}

void armjson_page_cleanup(struct armjson_page *p)
{
    for (size_t i = 0; i < p->n_items; i++)
        free(p->items[i]);
    free(p->items);
    free(p->next);
    memset(p, 0, sizeof(*p));
    p->total = -1;
}

static enum gp_status page_fill(const cJSON *root, const char *items_key, const char *next_key,
                                struct armjson_page *out, struct gp_error *err)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, items_key);
    if (!arr)
        return gp_error_set(err, GP_E_INVALID, "%s: missing", items_key);
    if (!cJSON_IsArray(arr))
        return gp_error_set(err, GP_E_INVALID, "%s: expected an array", items_key);
    int n = cJSON_GetArraySize(arr);
    if (n < 0 || (size_t)n > ARMJSON_MAX_ITEMS)
        return gp_error_set(err, GP_E_TOO_LARGE, "%s: more than %u items in one page", items_key,
                            ARMJSON_MAX_ITEMS);
    if (n > 0) {
        out->items = calloc((size_t)n, sizeof(*out->items));
        if (!out->items)
            return gp_error_set(err, GP_E_NOMEM, "out of memory");
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        if (!cJSON_IsObject(it))
            continue; /* not a resource: nothing to map */
        char *text = cJSON_PrintUnformatted(it);
        if (!text)
            return gp_error_set(err, GP_E_NOMEM, "out of memory");
        out->items[out->n_items++] = text;
    }
    const char *next;
    GP_TRY(get_str(root, next_key, "", &next, err));
    if (next && next[0])
        GP_TRY(dup_out(next, &out->next, err));
    return GP_OK;
}

static enum gp_status page_parse(const char *json, size_t len, const char *items_key,
                                 const char *next_key, struct armjson_page *out,
                                 struct gp_error *err)
{
    memset(out, 0, sizeof(*out));
    out->total = -1;
    cJSON *root;
    GP_TRY(parse_object(json, len, &root, err));
    enum gp_status st = page_fill(root, items_key, next_key, out, err);
    if (st == GP_OK) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "totalRecords");
        if (cJSON_IsNumber(t) && t->valuedouble >= 0 && t->valuedouble < 1e15)
            out->total = (long)t->valuedouble;
    }
    cJSON_Delete(root);
    if (st != GP_OK)
        armjson_page_cleanup(out);
    return st;
}

enum gp_status armjson_list_parse(const char *json, size_t len, struct armjson_page *out,
                                  struct gp_error *err)
{
    return page_parse(json, len, "value", "nextLink", out, err);
}

enum gp_status armjson_graph_parse(const char *json, size_t len, struct armjson_page *out,
                                   struct gp_error *err)
{
    return page_parse(json, len, "data", "$skipToken", out, err);
}

enum gp_status armjson_graph_body(const char *const *subscriptions, size_t n_subs,
                                  const char *query, unsigned top, const char *skip_token,
                                  char **out)
{
    *out = NULL;
    cJSON *root = cJSON_CreateObject();
    cJSON *subs = cJSON_AddArrayToObject(root, "subscriptions");
    bool ok = root && subs;
    for (size_t i = 0; ok && i < n_subs; i++) {
        cJSON *s = cJSON_CreateString(subscriptions[i]);
        ok = s && cJSON_AddItemToArray(subs, s);
        if (s && !ok)
            cJSON_Delete(s);
    }
    ok = ok && cJSON_AddStringToObject(root, "query", query);
    cJSON *opts = ok ? cJSON_AddObjectToObject(root, "options") : NULL;
    ok = ok && opts && cJSON_AddStringToObject(opts, "resultFormat", "objectArray") &&
         cJSON_AddNumberToObject(opts, "$top", (double)top);
    if (ok && skip_token)
        ok = cJSON_AddStringToObject(opts, "$skipToken", skip_token) != NULL;
    if (ok)
        *out = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return *out ? GP_OK : GP_E_NOMEM;
}

enum gp_status armjson_operation_status(const char *json, size_t len, char **out_status,
                                        struct gp_error *err)
{
    *out_status = NULL;
    cJSON *root;
    GP_TRY(parse_object(json, len, &root, err));
    const char *s;
    enum gp_status st = get_str(root, "status", "", &s, err);
    if (st == GP_OK && !s)
        st = gp_error_set(err, GP_E_INVALID, "status: missing");
    if (st == GP_OK)
        st = dup_out(s, out_status, err);
    cJSON_Delete(root);
    return st;
}

enum gp_status armjson_provisioning_state(const char *json, size_t len, char **out_state,
                                          struct gp_error *err)
{
    *out_state = NULL;
    cJSON *root;
    GP_TRY(parse_object(json, len, &root, err));
    enum gp_status st = GP_OK;
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(root, "properties");
    if (props && !cJSON_IsNull(props) && !cJSON_IsObject(props)) {
        st = gp_error_set(err, GP_E_INVALID, "properties: expected an object");
    } else if (cJSON_IsObject(props)) {
        const char *s;
        st = get_str(props, "provisioningState", "properties.", &s, err);
        if (st == GP_OK)
            st = dup_out(s, out_state, err);
    }
    cJSON_Delete(root);
    return st;
}

enum gp_status armjson_resource_kind(const char *json, size_t len, char **out_id,
                                     char **out_kind, struct gp_error *err)
{
    *out_id = *out_kind = NULL;
    cJSON *root;
    GP_TRY(parse_object(json, len, &root, err));
    const char *id = NULL, *kind = NULL;
    enum gp_status st = get_str(root, "id", "", &id, err);
    if (st == GP_OK && (!id || !id[0]))
        st = gp_error_set(err, GP_E_INVALID, "id: missing");
    if (st == GP_OK)
        st = get_str(root, "kind", "", &kind, err);
    if (st == GP_OK)
        st = dup_out(id, out_id, err);
    if (st == GP_OK)
        st = dup_out(kind, out_kind, err);
    if (st != GP_OK) {
        free(*out_id);
        *out_id = NULL;
    }
    cJSON_Delete(root);
    return st;
}
