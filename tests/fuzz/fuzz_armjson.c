/* SPDX-License-Identifier: MIT
 * tests/fuzz/fuzz_armjson.c: any bytes as the ARM envelopes of model/armjson: a list page, a
 * Resource Graph answer, an operation status, a provisioningState and a resource's id/kind.
 * Every item handed out must be one JSON object; a Graph request body built from what was read
 * must parse. Built by `make fuzz` with libFuzzer and replayed by `make check` over
 * tests/fuzz/corpus/armjson. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "model/armjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_page(const struct armjson_page *p)
{
    if (p->n_items > ARMJSON_MAX_ITEMS)
        abort();
    for (size_t i = 0; i < p->n_items; i++) {
        cJSON *j = cJSON_Parse(p->items[i]);
        if (!j || !cJSON_IsObject(j))
            abort();
        cJSON_Delete(j);
    }
}

static void check_body(const char *query, const char *skip)
{
    static const char *const subs[] = {"00000000-0000-0000-0000-000000000000", "x\"y\\z"};
    char *body = NULL;
    if (armjson_graph_body(subs, 2, query, 1000, skip, &body) != GP_OK)
        return;
    cJSON *j = cJSON_Parse(body);
    if (!j)
        abort();
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(j, "query");
    if (!cJSON_IsString(q) || strcmp(q->valuestring, query) != 0)
        abort();
    cJSON_Delete(j);
    free(body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *json = (const char *)data;
    struct gp_error err;
    struct armjson_page page;
    if (armjson_list_parse(json, size, &page, &err) == GP_OK)
        check_page(&page);
    armjson_page_cleanup(&page);
    if (armjson_graph_parse(json, size, &page, &err) == GP_OK) {
        check_page(&page);
        if (page.next)
            check_body("Resources | where type =~ 'microsoft.hybridcompute/machines'", page.next);
        for (size_t i = 0; i < page.n_items && i < 4; i++)
            check_body(page.items[i], NULL);
    }
    armjson_page_cleanup(&page);

    char *s = NULL;
    if (armjson_operation_status(json, size, &s, &err) == GP_OK && !s)
        abort();
    free(s);
    s = NULL;
    if (armjson_provisioning_state(json, size, &s, &err) == GP_OK)
        free(s);
    char *id = NULL, *kind = NULL;
    if (armjson_resource_kind(json, size, &id, &kind, &err) == GP_OK && !id)
        abort();
    free(id);
    free(kind);
    return 0;
}
