/* SPDX-License-Identifier: MIT
 * tests/integration/test_sim_api.c: gpup-sim over HTTP: reads, paging by machines list and by
 * Resource Graph, request ids, bad inputs, auth, the request log, options. Expected JSON and
 * status codes come from azure-local-api.md, written here by hand. */
/* cmocka needs these first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "tests/support/simproc.h"
#include "tests/support/simtest.h"

#define SUB "/subscriptions/00000000-0000-0000-0000-000000000000"
#define VMI_API "api-version=2025-09-01-preview"
#define ARC_API "api-version=2024-07-10"
#define VMI_PATH(rg, vm)                                                                           \
    SUB "/resourceGroups/" rg "/providers/Microsoft.HybridCompute/machines/" vm                    \
        "/providers/Microsoft.AzureStackHCI/virtualMachineInstances/default"

static char *url(const struct simproc *p, const char *path)
{
    static char buf[4][1024];
    static int next;
    char *b = buf[next++ % 4];
    int w = snprintf(b, sizeof(buf[0]), "%s%s", p->url, path);
    assert_true(w > 0 && (size_t)w < sizeof(buf[0]));
    return b;
}

static cJSON *get_json(const char *u, long want_status)
{
    struct simproc_reply r;
    assert_int_equal(simproc_http("GET", u, NULL, NULL, NULL, &r), 0);
    if (r.status != want_status)
        fprintf(stderr, "GET %s -> %ld %s\n", u, r.status, r.body);
    assert_int_equal(r.status, want_status);
    cJSON *j = cJSON_Parse(r.body);
    assert_non_null(j);
    simproc_reply_free(&r);
    return j;
}

static void assert_arm_error(const struct simproc_reply *r, long status, const char *code)
{
    if (r->status != status)
        fprintf(stderr, "want %ld %s, got %ld %s\n", status, code, r->status, r->body);
    assert_int_equal(r->status, status);
    cJSON *j = cJSON_Parse(r->body);
    assert_non_null(j);
    assert_string_equal(simtest_jstr(j, "error.code"), code);
    assert_non_null(simtest_jstr(j, "error.message"));
    assert_true(cJSON_IsArray(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "error"), "details")));
    cJSON_Delete(j);
}

static int setup_small(void **state)
{
    static const char *const args[] = {"--fleet", "50",      "--hosts", "8", "--seed",
                                       "7",       "--op-ms", "0",       NULL};
    return simtest_start(state, args);
}

static int setup_1000(void **state)
{
    static const char *const args[] = {"--fleet", "1000",        "--hosts", "8", "--seed",
                                       "11",      "--page-size", "100",     NULL};
    return simtest_start(state, args);
}

static int setup_token(void **state)
{
    static const char *const args[] = {"--fleet", "5", "--token", "s3cret", NULL};
    return simtest_start(state, args);
}

/* Walks the machines list (following nextLink) and returns the HCI machines' names. */
static size_t list_hci(const struct simproc *p, const char *first, char ***out_names,
                       size_t *out_nodes, size_t *out_pages)
{
    char next[2048];
    snprintf(next, sizeof(next), "%s", first);
    size_t n = 0, nodes = 0, pages = 0;
    char **names = NULL;
    while (next[0]) {
        cJSON *page = get_json(next, 200);
        pages++;
        const cJSON *value = cJSON_GetObjectItemCaseSensitive(page, "value");
        assert_true(cJSON_IsArray(value));
        assert_true(cJSON_GetArraySize(value) <= 100);
        const cJSON *m;
        cJSON_ArrayForEach(m, value)
        {
            assert_string_equal(simtest_jstr(m, "type"), "Microsoft.HybridCompute/machines");
            const char *kind = simtest_jstr(m, "kind");
            if (kind && strcmp(kind, "HCI") == 0) {
                names = realloc(names, (n + 1) * sizeof(*names));
                names[n++] = strdup(simtest_jstr(m, "id"));
            } else {
                nodes++;
            }
        }
        const char *link = simtest_jstr(page, "nextLink");
        next[0] = '\0';
        if (link) {
            /* Absolute, on this server, carrying api-version and $skipToken. */
            assert_int_equal(strncmp(link, p->url, strlen(p->url)), 0);
            assert_non_null(strstr(link, ARC_API));
            assert_non_null(strstr(link, "$skipToken="));
            snprintf(next, sizeof(next), "%s", link);
        }
        cJSON_Delete(page);
    }
    *out_names = names;
    if (out_nodes)
        *out_nodes = nodes;
    if (out_pages)
        *out_pages = pages;
    return n;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

static void test_get_vm(void **state)
{
    struct simproc *p = *state;
    char **names;
    size_t nodes;
    size_t n = list_hci(p, url(p, SUB "/providers/Microsoft.HybridCompute/machines?" ARC_API),
                        &names, &nodes, NULL);
    assert_int_equal(n, 50);
    assert_int_equal(nodes, 8); /* cluster nodes are Arc machines without kind HCI */
    char path[1024];
    snprintf(path, sizeof(path),
             "%s/providers/Microsoft.AzureStackHCI/virtualMachineInstances/"
             "default?" VMI_API,
             names[0]);
    const char *hdrs[] = {"x-ms-client-request-id: 11111111-2222-3333-4444-555555555555",
                          "Authorization: Bearer anything", NULL};
    struct simproc_reply r;
    assert_int_equal(simproc_http("GET", url(p, path), NULL, NULL, hdrs, &r), 0);
    assert_int_equal(r.status, 200);
    char h[256];
    assert_true(simproc_header(&r, "x-ms-request-id", h, sizeof(h)));
    assert_int_equal(strlen(h), 36);
    assert_true(simproc_header(&r, "x-ms-correlation-request-id", h, sizeof(h)));
    assert_true(simproc_header(&r, "x-ms-client-request-id", h, sizeof(h)));
    assert_string_equal(h, "11111111-2222-3333-4444-555555555555");
    assert_true(simproc_header(&r, "Content-Type", h, sizeof(h)));
    assert_non_null(strstr(h, "application/json"));
    cJSON *vm = cJSON_Parse(r.body);
    assert_non_null(vm);
    assert_string_equal(simtest_jstr(vm, "name"), "default");
    assert_string_equal(simtest_jstr(vm, "type"),
                        "Microsoft.AzureStackHCI/virtualMachineInstances");
    assert_string_equal(simtest_jstr(vm, "extendedLocation.type"), "CustomLocation");
    assert_non_null(strstr(simtest_jstr(vm, "extendedLocation.name"), "/customLocations/cl-"));
    assert_string_equal(simtest_jstr(vm, "properties.provisioningState"), "Succeeded");
    assert_non_null(simtest_jstr(vm, "properties.status.powerState"));
    assert_non_null(simtest_jstr(vm, "properties.hostNodeName"));
    assert_true(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(vm, "properties"),
                                         "hardwareProfile"),
        "virtualMachineGPUs")));
    cJSON_Delete(vm);
    simproc_reply_free(&r);

    /* The GA api-version has no GPU fields. */
    snprintf(path, sizeof(path),
             "%s/providers/Microsoft.AzureStackHCI/virtualMachineInstances/"
             "default?api-version=2024-01-01",
             names[0]);
    assert_int_equal(simproc_http("GET", url(p, path), NULL, NULL, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_null(strstr(r.body, "virtualMachineGPUs"));
    simproc_reply_free(&r);

    /* List under one machine: one item. */
    snprintf(path, sizeof(path),
             "%s/providers/Microsoft.AzureStackHCI/virtualMachineInstances?" VMI_API, names[0]);
    cJSON *list = get_json(url(p, path), 200);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(list, "value")), 1);
    cJSON_Delete(list);
    free_names(names, n);
}

static void test_generation_is_deterministic(void **state)
{
    struct simproc *p = *state;
    static const char *const args[] = {"--fleet", "50", "--hosts", "8", "--seed", "7", NULL};
    struct simproc q;
    assert_int_equal(simproc_start(&q, args), 0);
    const char *path =
        SUB "/resourceGroups/ml-rg/providers/Microsoft.HybridCompute/machines?" ARC_API;
    struct simproc_reply a, b;
    assert_int_equal(simproc_http("GET", url(p, path), NULL, NULL, NULL, &a), 0);
    assert_int_equal(simproc_http("GET", url(&q, path), NULL, NULL, NULL, &b), 0);
    assert_int_equal(a.status, 200);
    assert_string_equal(a.body, b.body);
    simproc_reply_free(&a);
    simproc_reply_free(&b);
    assert_int_equal(simproc_stop(&q), 0);
}

static void test_paging_machines(void **state)
{
    struct simproc *p = *state;
    char **names;
    size_t nodes, pages;
    size_t n = list_hci(p, url(p, SUB "/providers/Microsoft.HybridCompute/machines?" ARC_API),
                        &names, &nodes, &pages);
    assert_int_equal(n, 1000);
    assert_int_equal(nodes, 8);
    assert_int_equal(pages, 11); /* 1,008 machines, 100 a page */
    qsort(names, n, sizeof(*names), cmp_str);
    for (size_t i = 1; i < n; i++)
        assert_string_not_equal(names[i - 1], names[i]);
    free_names(names, n);

    /* By resource group: the workload groups hold every VM between them. */
    static const char *const rgs[] = {"ml-rg", "vdi-rg", "render-rg", "dev-rg", "web-rg", "db-rg"};
    size_t sum = 0;
    for (size_t i = 0; i < 6; i++) {
        char path[512];
        snprintf(path, sizeof(path),
                 SUB "/resourceGroups/%s/providers/Microsoft.HybridCompute/machines?" ARC_API,
                 rgs[i]);
        size_t k = list_hci(p, url(p, path), &names, NULL, NULL);
        assert_true(k > 0);
        sum += k;
        free_names(names, k);
    }
    assert_int_equal(sum, 1000);
}

static cJSON *graph(const struct simproc *p, const char *query, int top, const char *skip)
{
    char body[1024];
    if (skip)
        snprintf(body, sizeof(body),
                 "{\"subscriptions\":[\"00000000-0000-0000-0000-000000000000\"],\"query\":\"%s\","
                 "\"options\":{\"$top\":%d,\"$skipToken\":\"%s\"}}",
                 query, top, skip);
    else
        snprintf(body, sizeof(body),
                 "{\"subscriptions\":[\"00000000-0000-0000-0000-000000000000\"],\"query\":\"%s\","
                 "\"options\":{\"$top\":%d}}",
                 query, top);
    struct simproc_reply r;
    assert_int_equal(simproc_http("POST",
                                  url(p, "/providers/Microsoft.ResourceGraph/resources"
                                         "?api-version=2021-03-01"),
                                  body, NULL, NULL, &r),
                     0);
    if (r.status != 200)
        fprintf(stderr, "graph -> %ld %s\n", r.status, r.body);
    assert_int_equal(r.status, 200);
    cJSON *j = cJSON_Parse(r.body);
    assert_non_null(j);
    simproc_reply_free(&r);
    return j;
}

static size_t graph_all(const struct simproc *p, const char *query, int top, size_t *out_pages)
{
    char skip[64] = "";
    size_t rows = 0, pages = 0;
    do {
        cJSON *j = graph(p, query, top, skip[0] ? skip : NULL);
        pages++;
        const cJSON *data = cJSON_GetObjectItemCaseSensitive(j, "data");
        const cJSON *count = cJSON_GetObjectItemCaseSensitive(j, "count");
        assert_true(cJSON_IsArray(data));
        assert_int_equal(count->valueint, cJSON_GetArraySize(data));
        const cJSON *row;
        cJSON_ArrayForEach(row, data)
        {
            assert_string_equal(simtest_jstr(row, "type"),
                                "Microsoft.AzureStackHCI/virtualMachineInstances");
            assert_string_equal(simtest_jstr(row, "name"), "default");
            assert_non_null(simtest_jstr(row, "properties.provisioningState"));
        }
        rows += (size_t)cJSON_GetArraySize(data);
        const char *tok = simtest_jstr(j, "$skipToken");
        snprintf(skip, sizeof(skip), "%s", tok ? tok : "");
        cJSON_Delete(j);
    } while (skip[0]);
    *out_pages = pages;
    return rows;
}

static void test_paging_graph(void **state)
{
    struct simproc *p = *state;
    const char *q = "resources | where type =~ 'microsoft.azurestackhci/virtualmachineinstances'";
    cJSON *first = graph(p, q, 300, NULL);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(first, "totalRecords")->valueint, 1000);
    cJSON_Delete(first);
    size_t pages;
    assert_int_equal(graph_all(p, q, 300, &pages), 1000);
    assert_int_equal(pages, 4);
    assert_int_equal(graph_all(p, q, 1000, &pages), 1000);
    assert_int_equal(pages, 1);

    /* Filtered by resource group: as many as the machines list shows for that group. */
    char **names;
    size_t ml = list_hci(p,
                         url(p, SUB "/resourceGroups/ml-rg/providers/"
                                    "Microsoft.HybridCompute/machines?" ARC_API),
                         &names, NULL, NULL);
    free_names(names, ml);
    const char *qrg = "Resources | where type =~ 'Microsoft.AzureStackHCI/virtualMachineInstances'"
                      " | where resourceGroup =~ 'ML-RG'";
    assert_int_equal(graph_all(p, qrg, 50, &pages), ml);

    /* A query we do not serve is a 400 with InvalidQuery in the details. */
    struct simproc_reply r;
    assert_int_equal(simproc_http("POST",
                                  url(p, "/providers/Microsoft.ResourceGraph/resources"
                                         "?api-version=2021-03-01"),
                                  "{\"query\":\"resources | take 5\"}", NULL, NULL, &r),
                     0);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "InvalidQuery"));
    simproc_reply_free(&r);
}

static void test_bad_inputs(void **state)
{
    struct simproc *p = *state;
    struct simproc_reply r;
    const char *vm = VMI_PATH("ml-rg", "train-01") "?" VMI_API;

    assert_int_equal(simproc_http("PATCH", url(p, vm), "{\"properties\":", NULL, NULL, &r), 0);
    assert_arm_error(&r, 400, "InvalidRequestContent");
    simproc_reply_free(&r);

    assert_int_equal(simproc_http("PATCH", url(p, vm), "{}", "text/plain", NULL, &r), 0);
    assert_arm_error(&r, 415, "UnsupportedMediaType");
    simproc_reply_free(&r);

    assert_int_equal(simproc_http("GET",
                                  url(p, SUB "/resourceGroups/ml-rg/providers/"
                                             "Microsoft.Nope/things?" VMI_API),
                                  NULL, NULL, NULL, &r),
                     0);
    assert_arm_error(&r, 404, "InvalidResourceType");
    simproc_reply_free(&r);

    assert_int_equal(simproc_http("GET", url(p, "/nothing/here"), NULL, NULL, NULL, &r), 0);
    assert_arm_error(&r, 404, "InvalidResourceType");
    simproc_reply_free(&r);

    assert_int_equal(simproc_http("GET",
                                  url(p, VMI_PATH("ml-rg", "train-01") "?api-version=2023-01-01"),
                                  NULL, NULL, NULL, &r),
                     0);
    assert_arm_error(&r, 400, "InvalidApiVersionParameter");
    assert_non_null(strstr(r.body, "2025-09-01-preview")); /* lists the supported versions */
    simproc_reply_free(&r);

    assert_int_equal(
        simproc_http("GET", url(p, VMI_PATH("ml-rg", "train-01")), NULL, NULL, NULL, &r), 0);
    assert_arm_error(&r, 400, "MissingApiVersionParameter");
    simproc_reply_free(&r);

    assert_int_equal(simproc_http("GET",
                                  url(p, "/subscriptions/11111111-1111-1111-1111-"
                                         "111111111111/providers/Microsoft.HybridCompute/"
                                         "machines?" ARC_API),
                                  NULL, NULL, NULL, &r),
                     0);
    assert_arm_error(&r, 404, "SubscriptionNotFound");
    simproc_reply_free(&r);

    assert_int_equal(simproc_http("GET", url(p, VMI_PATH("ml-rg", "no-such-vm") "?" VMI_API), NULL,
                                  NULL, NULL, &r),
                     0);
    assert_arm_error(&r, 404, "ResourceNotFound");
    simproc_reply_free(&r);

    /* 5 MiB body: refused with 413, the connection still answers afterwards. */
    size_t big = 5u * 1024u * 1024u;
    char *body = malloc(big + 1);
    assert_non_null(body);
    memset(body, ' ', big);
    body[0] = '{';
    body[big - 1] = '}';
    body[big] = '\0';
    assert_int_equal(simproc_http("PATCH", url(p, vm), body, NULL, NULL, &r), 0);
    free(body);
    assert_arm_error(&r, 413, "RequestEntityTooLarge");
    simproc_reply_free(&r);

    /* Nothing above changed the VM. */
    cJSON *j = get_json(url(p, vm), 200);
    assert_string_equal(simtest_jstr(j, "properties.provisioningState"), "Succeeded");
    cJSON_Delete(j);
}

static void test_token(void **state)
{
    struct simproc *p = *state;
    const char *path = SUB "/providers/Microsoft.HybridCompute/machines?" ARC_API;
    struct simproc_reply r;
    char h[512];
    assert_int_equal(simproc_http("GET", url(p, path), NULL, NULL, NULL, &r), 0);
    assert_arm_error(&r, 401, "InvalidAuthenticationToken");
    assert_true(simproc_header(&r, "WWW-Authenticate", h, sizeof(h)));
    assert_int_equal(strncmp(h, "Bearer ", 7), 0);
    simproc_reply_free(&r);
    const char *wrong[] = {"Authorization: Bearer nope", NULL};
    assert_int_equal(simproc_http("GET", url(p, path), NULL, NULL, wrong, &r), 0);
    assert_arm_error(&r, 401, "InvalidAuthenticationToken");
    simproc_reply_free(&r);
    const char *right[] = {"Authorization: Bearer s3cret", NULL};
    assert_int_equal(simproc_http("GET", url(p, path), NULL, NULL, right, &r), 0);
    assert_int_equal(r.status, 200);
    simproc_reply_free(&r);
}

static void test_edge_gpus(void **state)
{
    struct simproc *p = *state;
    /* --hosts 8: node-01 and node-02 form cl-seattle (two NVIDIA A2 in GPU-P mode each). */
    cJSON *j = get_json(url(p, SUB "/resourceGroups/azlocal-seattle-rg/providers/"
                                   "Microsoft.AzureStackHCI/edgeMachines/node-01/gpus"
                                   "?api-version=2026-03-15-preview"),
                        200);
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(j, "value");
    assert_int_equal(cJSON_GetArraySize(value), 2);
    const cJSON *g = cJSON_GetArrayItem(value, 0);
    assert_string_equal(simtest_jstr(g, "properties.gpuId"), "gpu-0");
    assert_string_equal(simtest_jstr(g, "properties.model"), "NVIDIA A2");
    assert_string_equal(simtest_jstr(g, "properties.gpuMode"), "GPU-P");
    cJSON_Delete(j);
    j = get_json(url(p, SUB "/resourceGroups/azlocal-seattle-rg/providers/"
                            "Microsoft.AzureStackHCI/edgeMachines/node-01/gpus/gpu-1"
                            "?api-version=2026-03-15-preview"),
                 200);
    assert_string_equal(simtest_jstr(j, "name"), "gpu-1");
    cJSON_Delete(j);
    struct simproc_reply r;
    assert_int_equal(simproc_http("GET",
                                  url(p, SUB "/resourceGroups/azlocal-seattle-rg/"
                                             "providers/Microsoft.AzureStackHCI/"
                                             "edgeMachines/node-77/gpus"
                                             "?api-version=2026-03-15-preview"),
                                  NULL, NULL, NULL, &r),
                     0);
    assert_arm_error(&r, 404, "ResourceNotFound");
    simproc_reply_free(&r);
}

static void test_log_lines(void **state)
{
    (void)state;
    char log[] = "/tmp/gpup-sim-log-XXXXXX";
    int fd = mkstemp(log);
    assert_true(fd >= 0);
    close(fd);
    const char *const args[] = {"--fleet", "3", "--log", log, NULL};
    struct simproc p;
    assert_int_equal(simproc_start(&p, args), 0);
    struct simproc_reply r;
    assert_int_equal(
        simproc_http("GET", url(&p, VMI_PATH("ml-rg", "nope") "?" VMI_API), NULL, NULL, NULL, &r),
        0);
    assert_int_equal(r.status, 404);
    simproc_reply_free(&r);
    /* Lines are flushed per request: readable while the sim runs. */
    FILE *f = fopen(log, "r");
    assert_non_null(f);
    char line[2048];
    assert_non_null(fgets(line, sizeof(line), f));
    fclose(f);
    cJSON *j = cJSON_Parse(line);
    assert_non_null(j);
    assert_string_equal(simtest_jstr(j, "method"), "GET");
    assert_string_equal(simtest_jstr(j, "path"), VMI_PATH("ml-rg", "nope") "?" VMI_API);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(j, "status")->valueint, 404);
    assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(j, "ms")));
    cJSON_Delete(j);
    assert_int_equal(simproc_stop(&p), 0);
    unlink(log);
}

static void test_bad_options(void **state)
{
    (void)state;
    char err[2048];
    static const char *const a1[] = {"--fleet", "many", NULL};
    assert_int_equal(simproc_run(a1, err, sizeof(err)), 2);
    assert_non_null(strstr(err, "--fleet"));
    assert_non_null(strchr(err, '\n'));
    assert_null(strchr(strchr(err, '\n') + 1, '\n')); /* one line */
    static const char *const a2[] = {"--bogus", NULL};
    assert_int_equal(simproc_run(a2, err, sizeof(err)), 2);
    assert_non_null(strstr(err, "--bogus"));
    static const char *const a3[] = {"--faults", "418:p=0.5", NULL};
    assert_int_equal(simproc_run(a3, err, sizeof(err)), 2);
    assert_non_null(strstr(err, "418"));
    static const char *const a4[] = {"--faults", "429:p=2", NULL};
    assert_int_equal(simproc_run(a4, err, sizeof(err)), 2);
    static const char *const a5[] = {"--listen", "nowhere", NULL};
    assert_int_equal(simproc_run(a5, err, sizeof(err)), 2);
    static const char *const a6[] = {"--help", NULL};
    assert_int_equal(simproc_run(a6, err, sizeof(err)), 0);
    /* The login options. */
    static const char *const a7[] = {"--sp-client", "app", NULL};
    assert_int_equal(simproc_run(a7, err, sizeof(err)), 2);
    assert_non_null(strstr(err, "--sp-secret-file"));
    static const char *const a8[] = {"--device-interval", "0", NULL};
    assert_int_equal(simproc_run(a8, err, sizeof(err)), 2);
    static const char *const a9[] = {"--sp-client", "app", "--sp-secret-file",
                                     "/nonexistent/gpup-sim-secret", NULL};
    assert_int_equal(simproc_run(a9, err, sizeof(err)), 1);
    assert_non_null(strstr(err, "/nonexistent/gpup-sim-secret"));
    static const char *const a11[] = {"--client-cert", "/nonexistent/cert.pem", NULL};
    assert_int_equal(simproc_run(a11, err, sizeof(err)), 2);
    assert_non_null(strstr(err, "need --sp-client"));
    static const char *const a12[] = {"--sp-client", "app", "--client-cert",
                                      "/nonexistent/gpup-sim-cert.pem", NULL};
    assert_int_equal(simproc_run(a12, err, sizeof(err)), 1);
    assert_non_null(strstr(err, "/nonexistent/gpup-sim-cert.pem"));
    static const char *const a10[] = {"--identity-dir", "/nonexistent/gpup-sim-keys", NULL};
    assert_int_equal(simproc_run(a10, err, sizeof(err)), 1);
    assert_non_null(strstr(err, "not a directory"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_get_vm, setup_small, simtest_stop),
        cmocka_unit_test_setup_teardown(test_generation_is_deterministic, setup_small,
                                        simtest_stop),
        cmocka_unit_test_setup_teardown(test_bad_inputs, setup_small, simtest_stop),
        cmocka_unit_test_setup_teardown(test_edge_gpus, setup_small, simtest_stop),
        cmocka_unit_test_setup_teardown(test_paging_machines, setup_1000, simtest_stop),
        cmocka_unit_test_setup_teardown(test_paging_graph, setup_1000, simtest_stop),
        cmocka_unit_test_setup_teardown(test_token, setup_token, simtest_stop),
        cmocka_unit_test(test_log_lines),
        cmocka_unit_test(test_bad_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
