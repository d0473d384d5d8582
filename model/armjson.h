/* SPDX-License-Identifier: MIT
 * model/armjson.h: the small ARM envelopes net/ has to read or write, so that cJSON stays in
 * model/: list pages {"value":[...],"nextLink"}, Resource Graph queries and answers
 * {"data":[...],"$skipToken"}, long-running operation status {"status"}, a resource's
 * provisioningState, and an Arc machine's id and kind. Items are handed out as compact JSON
 * text for the entity mappers (vm_from_json). Pure: no I/O. Hostile input gives GP_E_PARSE /
 * GP_E_INVALID / GP_E_TOO_LARGE with a message naming the JSON path, never a crash. */
#ifndef GPUP_MODEL_ARMJSON_H
#define GPUP_MODEL_ARMJSON_H

#include <stdbool.h>
#include <stddef.h>

#include "model/status.h"

#define ARMJSON_MAX_BYTES (8u * 1024u * 1024u) /* ARM's body limit */
#define ARMJSON_MAX_ITEMS 5000u                /* items per page */

/* A page of items: each item is one JSON object as compact text (NUL-terminated, owned). */
struct armjson_page {
    char **items;
    size_t n_items;
    char *next;          /* nextLink or $skipToken (owned), NULL when absent, null or "" */
    long total;          /* Graph totalRecords, -1 when absent */
};

/* Frees a page's contents and empties it. */
void armjson_page_cleanup(struct armjson_page *p);

/* Parses an ARM list page {"value":[...], "nextLink":"..."} into *out (initialised by the
 * call). Items that are not objects are skipped. */
GP_NODISCARD enum gp_status armjson_list_parse(const char *json, size_t len,
                                               struct armjson_page *out, struct gp_error *err);

/* Parses a Resource Graph answer {"totalRecords","count","data":[...],"$skipToken"} (object
 * array result format). */
GP_NODISCARD enum gp_status armjson_graph_parse(const char *json, size_t len,
                                                struct armjson_page *out, struct gp_error *err);

/* Builds the Resource Graph request body:
 * {"subscriptions":[...],"query":"...","options":{"resultFormat":"objectArray","$top":N,
 *  "$skipToken":"..."}} (skip_token NULL: first page). Caller frees *out. GP_E_NOMEM. */
GP_NODISCARD enum gp_status armjson_graph_body(const char *const *subscriptions, size_t n_subs,
                                               const char *query, unsigned top,
                                               const char *skip_token, char **out);

/* Reads "status" of a long-running operation's answer. Caller frees *out_status.
 * GP_E_INVALID "status: missing" when absent. */
GP_NODISCARD enum gp_status armjson_operation_status(const char *json, size_t len,
                                                     char **out_status, struct gp_error *err);

/* Reads properties.provisioningState; *out_state is NULL when absent. Caller frees. */
GP_NODISCARD enum gp_status armjson_provisioning_state(const char *json, size_t len,
                                                       char **out_state, struct gp_error *err);

/* Reads "id" (required) and "kind" (NULL when absent) of a resource. Caller frees both. */
GP_NODISCARD enum gp_status armjson_resource_kind(const char *json, size_t len, char **out_id,
                                                  char **out_kind, struct gp_error *err);

#endif
