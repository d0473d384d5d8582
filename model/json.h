/* SPDX-License-Identifier: MIT
 * model/json.h: the guarded front door to cJSON for every mapper in model/ and sim/.
 * Hostile input is refused here, before any tree is built: documents over a byte cap, nesting
 * deeper than a depth cap, and malformed text, each with a message saying where. Also typed
 * field readers that name the JSON path of a wrong type. Pure: no I/O. */
#ifndef GPUP_MODEL_JSON_H
#define GPUP_MODEL_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "model/status.h"

/* Parses len bytes (need not be NUL-terminated) into a tree the caller deletes with
 * cJSON_Delete. GP_E_TOO_LARGE past max_bytes, GP_E_PARSE for malformed text or nesting deeper
 * than max_depth (message gives the byte offset), GP_E_NOMEM. */
GP_NODISCARD enum gp_status json_parse(const char *json, size_t len, size_t max_bytes,
                                       int max_depth, cJSON **out, struct gp_error *err);

/* Field readers. A missing or JSON-null field leaves *out unchanged and returns GP_OK; a field
 * of the wrong type is GP_E_INVALID with "path: expected a string" etc. `path` is the JSON path
 * of the object holding the field, for the message ("properties.hardwareProfile"). */
GP_NODISCARD enum gp_status json_get_string(const cJSON *obj, const char *key, const char *path,
                                            char **out, struct gp_error *err);
/* Integral numbers in [0, 2^53]; with allow_string also decimal text such as "3648" or
 * "12 GB" (leading number only), as some Azure APIs send numbers. */
GP_NODISCARD enum gp_status json_get_long(const cJSON *obj, const char *key, const char *path,
                                          bool allow_string, long *out, struct gp_error *err);
/* The same for an item already found (key is used for the message only). */
GP_NODISCARD enum gp_status json_item_to_long(const cJSON *item, const char *path, const char *key,
                                              bool allow_string, long *out, struct gp_error *err);
/* Object member lookup, case-sensitive (ARM field names) or not. NULL when absent. */
const cJSON *json_member(const cJSON *obj, const char *key, bool case_insensitive);

/* Parses a leading decimal number of text ("4", " 12 GB"); false when there is none or it does
 * not fit. */
bool json_text_to_long(const char *text, long *out);

/* Adds a string member only when s is not NULL (nothing is invented on write). cJSON's own
 * adders report failure by returning NULL; these return false. */
bool json_add_string_opt(cJSON *obj, const char *key, const char *s);
bool json_add_long_opt(cJSON *obj, const char *key, long v); /* only when v >= 0 */

/* Prints the tree unformatted into a malloc'ed string (caller frees). GP_E_NOMEM. */
GP_NODISCARD enum gp_status json_print(const cJSON *root, char **out);

#endif
