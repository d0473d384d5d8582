/* SPDX-License-Identifier: MIT
 * model/json.c: guarded cJSON parsing (size and depth caps checked before a tree is built)
 * and typed field readers that name the path of what is wrong. */
#include "model/json.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "model/text.h"

/* The largest integer a JSON double carries exactly. */
#define JSON_MAX_EXACT 9007199254740992.0

/* Scans for nesting depth without building anything, so a document of a million '[' cannot
 * drive cJSON's recursive descent. Strings are skipped with their escapes. */
static bool depth_ok(const char *s, size_t len, int max_depth, size_t *out_at)
{
    int depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > max_depth) {
                *out_at = i;
                return false;
            }
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return true;
}

enum gp_status json_parse(const char *json, size_t len, size_t max_bytes, int max_depth,
                          cJSON **out, struct gp_error *err)
{
    *out = NULL;
    if (!json || len == 0)
        return gp_error_set(err, GP_E_PARSE, "empty JSON document");
    if (len > max_bytes)
        return gp_error_set(err, GP_E_TOO_LARGE, "JSON document of %zu bytes exceeds the %zu-byte cap",
                            len, max_bytes);
    size_t at = 0;
    if (!depth_ok(json, len, max_depth, &at))
        return gp_error_set(err, GP_E_PARSE, "JSON nested deeper than %d levels at byte %zu",
                            max_depth, at);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(json, len, &end, false);
    if (!root) {
        size_t off = end && end >= json ? (size_t)(end - json) : 0;
        /* cJSON also fails when it cannot allocate; it does not say which, and a 8 MiB cap
         * makes malformed text by far the likelier cause. */
        return gp_error_set(err, GP_E_PARSE, "malformed JSON at byte %zu of %zu", off, len);
    }
    for (const char *p = end; p && p < json + len; p++) {
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r' && *p != '\0') {
            cJSON_Delete(root);
            return gp_error_set(err, GP_E_PARSE, "unexpected data after the JSON value at byte %zu",
                                (size_t)(p - json));
        }
    }
    *out = root;
    return GP_OK;
}

const cJSON *json_member(const cJSON *obj, const char *key, bool case_insensitive)
{
    if (!cJSON_IsObject(obj))
        return NULL;
    return case_insensitive ? cJSON_GetObjectItem(obj, key)
                            : cJSON_GetObjectItemCaseSensitive(obj, key);
}

static const char *sep(const char *path)
{
    return path && *path ? "." : "";
}

enum gp_status json_get_string(const cJSON *obj, const char *key, const char *path, char **out,
                               struct gp_error *err)
{
    const cJSON *item = json_member(obj, key, false);
    if (!item || cJSON_IsNull(item))
        return GP_OK;
    if (!cJSON_IsString(item) || !item->valuestring)
        return gp_error_set(err, GP_E_INVALID, "%s%s%s: expected a string", path ? path : "",
                            sep(path), key);
    char *copy = text_dup(item->valuestring);
    if (!copy)
        return gp_error_set(err, GP_E_NOMEM, "out of memory");
    free(*out);
    *out = copy;
    return GP_OK;
}

bool json_text_to_long(const char *text, long *out)
{
    if (!text)
        return false;
    while (*text == ' ' || *text == '\t')
        text++;
    if (*text < '0' || *text > '9')
        return false;
    errno = 0;
    char *end = NULL;
    long v = strtol(text, &end, 10);
    /* The same range as a JSON number, so what we read as text we can write back. */
    if (errno == ERANGE || end == text || (double)v > JSON_MAX_EXACT)
        return false;
    *out = v;
    return true;
}

enum gp_status json_item_to_long(const cJSON *item, const char *path, const char *key,
                                 bool allow_string, long *out, struct gp_error *err)
{
    if (!item || cJSON_IsNull(item))
        return GP_OK;
    if (cJSON_IsNumber(item)) {
        double d = item->valuedouble;
        if (d < 0 || d > JSON_MAX_EXACT || d > (double)LONG_MAX || d != (double)(long)d)
            return gp_error_set(err, GP_E_INVALID,
                                "%s%s%s: expected a whole number from 0 to 2^53",
                                path ? path : "", sep(path), key);
        *out = (long)d;
        return GP_OK;
    }
    if (allow_string && cJSON_IsString(item) && json_text_to_long(item->valuestring, out))
        return GP_OK;
    return gp_error_set(err, GP_E_INVALID, "%s%s%s: expected a number", path ? path : "",
                        sep(path), key);
}

enum gp_status json_get_long(const cJSON *obj, const char *key, const char *path,
                             bool allow_string, long *out, struct gp_error *err)
{
    return json_item_to_long(json_member(obj, key, false), path, key, allow_string, out, err);
}

bool json_add_string_opt(cJSON *obj, const char *key, const char *s)
{
    return !s || cJSON_AddStringToObject(obj, key, s) != NULL;
}

bool json_add_long_opt(cJSON *obj, const char *key, long v)
{
    return v < 0 || cJSON_AddNumberToObject(obj, key, (double)v) != NULL;
}

enum gp_status json_print(const cJSON *root, char **out)
{
    *out = cJSON_PrintUnformatted(root);
    return *out ? GP_OK : GP_E_NOMEM;
}
