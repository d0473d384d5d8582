/* SPDX-License-Identifier: MIT
 * tests/bench/bench_sim.c: gpup-sim's numbers (product.md section 7, "emulator: list
 * throughput and operations per second"): single-VM GETs per second over one keep-alive
 * connection, time to page through 100,000 VMs (machines list at 1,000 a page, and Resource
 * Graph), long-running operations per second, start-up time and memory per VM.
 * Prints "name value" lines. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "tests/support/simproc.h"

#define SUB "/subscriptions/00000000-0000-0000-0000-000000000000"
#define N_VMS 100000

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct sink {
    char *data;
    size_t len, cap;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct sink *s = userdata;
    size_t n = size * nmemb;
    if (s->len + n + 1 > s->cap) {
        size_t cap = (s->len + n + 1) * 2;
        char *d = realloc(s->data, cap);
        if (!d)
            return 0;
        s->data = d;
        s->cap = cap;
    }
    memcpy(s->data + s->len, ptr, n);
    s->len += n;
    s->data[s->len] = '\0';
    return n;
}

static long rss_kb(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long kb = -1;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    fclose(f);
    return kb;
}

static CURL *handle(struct sink *s)
{
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
    return c;
}

/* GET url; returns the HTTP status (0 on transport failure). */
static long get(CURL *c, struct sink *s, const char *url)
{
    s->len = 0;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    if (curl_easy_perform(c) != CURLE_OK)
        return 0;
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    return status;
}

/* Copies the value of "key":"..." from the body into out; false when absent. */
static bool json_link(const char *body, const char *key, char *out, size_t n)
{
    char pat[64];
    snprintf(pat, sizeof(pat), "\"%s\":\"", key);
    const char *p = strstr(body, pat);
    if (!p)
        return false;
    p += strlen(pat);
    const char *e = strchr(p, '"');
    if (!e || (size_t)(e - p) >= n)
        return false;
    memcpy(out, p, (size_t)(e - p));
    out[e - p] = '\0';
    return true;
}

static int count_items(const char *body, const char *marker)
{
    int n = 0;
    for (const char *p = strstr(body, marker); p; p = strstr(p + 1, marker))
        n++;
    return n;
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = 0;
    struct sink s = {NULL, 0, 0};
    CURL *c = handle(&s);

    /* Memory baseline: the same hosts, no VMs. */
    static const char *const empty_args[] = {"--fleet", "0", "--hosts", "64", NULL};
    struct simproc p0;
    if (simproc_start(&p0, empty_args) != 0)
        return 1;
    char url[2048];
    snprintf(url, sizeof(url),
             "%s" SUB "/providers/Microsoft.HybridCompute/machines"
             "?api-version=2024-07-10",
             p0.url);
    (void)get(c, &s, url);
    long rss0 = rss_kb(p0.pid);
    simproc_stop(&p0);

    static const char *const args[] = {"--fleet",     "100000", "--hosts", "64", "--seed", "1",
                                       "--page-size", "1000",   "--op-ms", "0",  NULL};
    double t0 = now_s();
    struct simproc p;
    if (simproc_start(&p, args) != 0)
        return 1;
    printf("sim.start_100k_ms %.0f\n", (now_s() - t0) * 1000);

    /* Page through the machines list, 1,000 a page. */
    snprintf(url, sizeof(url),
             "%s" SUB "/providers/Microsoft.HybridCompute/machines"
             "?api-version=2024-07-10",
             p.url);
    char first_vm[1024] = "";
    int machines = 0, pages = 0;
    t0 = now_s();
    for (;;) {
        if (get(c, &s, url) != 200) {
            fprintf(stderr, "bench_sim: machines page %d failed\n", pages);
            rc = 1;
            break;
        }
        pages++;
        machines += count_items(s.data, "\"type\":\"Microsoft.HybridCompute/machines\"");
        if (!first_vm[0]) {
            const char *k = strstr(s.data, "\"kind\":\"HCI\"");
            const char *id = k ? s.data : NULL;
            /* the id of the first HCI machine: the last "id" before its kind */
            for (const char *q = id ? strstr(id, "{\"id\":\"") : NULL; q && q < k;
                 q = strstr(q + 1, "{\"id\":\""))
                id = q;
            if (id)
                (void)json_link(id, "id", first_vm, sizeof(first_vm));
        }
        if (!json_link(s.data, "nextLink", url, sizeof(url)))
            break;
    }
    double list_s = now_s() - t0;
    printf("sim.page_machines_100k_ms %.0f\n", list_s * 1000);
    printf("sim.page_machines_per_s %.0f\n", machines / list_s);
    if (machines != N_VMS + 64) {
        fprintf(stderr, "bench_sim: listed %d machines, wanted %d\n", machines, N_VMS + 64);
        rc = 1;
    }

    /* Resource Graph, 1,000 rows a call. */
    struct curl_slist *json_ct = curl_slist_append(NULL, "Content-Type: application/json");
    char graph_url[512], body[512], token[64] = "";
    snprintf(graph_url, sizeof(graph_url),
             "%s/providers/Microsoft.ResourceGraph/resources?api-version=2021-03-01", p.url);
    int rows = 0;
    t0 = now_s();
    for (;;) {
        snprintf(body, sizeof(body),
                 "{\"query\":\"resources | where type =~ "
                 "'microsoft.azurestackhci/"
                 "virtualmachineinstances'\",\"options\":{\"$top\":1000%s%s%s}}",
                 token[0] ? ",\"$skipToken\":\"" : "", token, token[0] ? "\"" : "");
        s.len = 0;
        curl_easy_setopt(c, CURLOPT_URL, graph_url);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, json_ct);
        long status = 0;
        if (curl_easy_perform(c) == CURLE_OK)
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        if (status != 200) {
            fprintf(stderr, "bench_sim: graph call failed (%ld)\n", status);
            rc = 1;
            break;
        }
        rows += count_items(s.data, "\"name\":\"default\"");
        if (!json_link(s.data, "$skipToken", token, sizeof(token)))
            break;
    }
    double graph_s = now_s() - t0;
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(json_ct);
    printf("sim.page_graph_100k_ms %.0f\n", graph_s * 1000);
    printf("sim.graph_rows_per_s %.0f\n", rows / graph_s);
    if (rows != N_VMS) {
        fprintf(stderr, "bench_sim: graph gave %d rows, wanted %d\n", rows, N_VMS);
        rc = 1;
    }

    /* Single-VM GETs over one keep-alive connection for ~2 s. */
    snprintf(url, sizeof(url),
             "%s%s/providers/Microsoft.AzureStackHCI/virtualMachineInstances/"
             "default?api-version=2025-09-01-preview",
             p.url, first_vm);
    long n_get = 0;
    t0 = now_s();
    double t;
    while ((t = now_s()) - t0 < 2.0) {
        if (get(c, &s, url) != 200) {
            fprintf(stderr, "bench_sim: GET failed: %s\n", s.data ? s.data : "");
            rc = 1;
            break;
        }
        n_get++;
    }
    printf("sim.get_per_s %.0f\n", n_get / (t - t0));

    /* The same from 16 keep-alive connections at once (curl multi), ~2 s. */
    enum { CONNS = 16 };
    CURLM *multi = curl_multi_init();
    CURL *hs_[CONNS];
    struct sink sinks[CONNS];
    memset(sinks, 0, sizeof(sinks));
    for (int k = 0; k < CONNS; k++) {
        hs_[k] = handle(&sinks[k]);
        curl_easy_setopt(hs_[k], CURLOPT_URL, url);
        curl_multi_add_handle(multi, hs_[k]);
    }
    long n_multi = 0;
    t0 = now_s();
    while ((t = now_s()) - t0 < 2.0) {
        int running = 0;
        curl_multi_perform(multi, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(multi, &left))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            CURL *e = msg->easy_handle;
            long status = 0;
            curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
            if (msg->data.result != CURLE_OK || status != 200) {
                rc = 1;
                break;
            }
            n_multi++;
            for (int k = 0; k < CONNS; k++)
                if (hs_[k] == e)
                    sinks[k].len = 0;
            curl_multi_remove_handle(multi, e);
            curl_multi_add_handle(multi, e); /* again, on the same connection */
        }
        curl_multi_poll(multi, NULL, 0, 100, NULL);
    }
    printf("sim.get_per_s_16_connections %.0f\n", n_multi / (t - t0));
    for (int k = 0; k < CONNS; k++) {
        curl_multi_remove_handle(multi, hs_[k]);
        curl_easy_cleanup(hs_[k]);
        free(sinks[k].data);
    }
    curl_multi_cleanup(multi);

    /* Long-running operations: POST stop/start and one async poll each, ~1 s. */
    long n_ops = 0;
    char action[2048], aso[2048];
    struct sink hs = {NULL, 0, 0};
    t0 = now_s();
    while ((t = now_s()) - t0 < 1.0 && rc == 0) {
        snprintf(action, sizeof(action),
                 "%s%s/providers/Microsoft.AzureStackHCI/"
                 "virtualMachineInstances/default/%s?api-version=2025-09-01-preview",
                 p.url, first_vm, n_ops % 2 ? "start" : "stop");
        s.len = 0;
        hs.len = 0;
        curl_easy_setopt(c, CURLOPT_URL, action);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, &hs);
        long status = 0;
        if (curl_easy_perform(c) == CURLE_OK)
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, NULL);
        const char *h = status == 202 && hs.data ? strstr(hs.data, "Azure-AsyncOperation: ") : NULL;
        if (!h) {
            fprintf(stderr, "bench_sim: operation not accepted (%ld)\n", status);
            rc = 1;
            break;
        }
        h += strlen("Azure-AsyncOperation: ");
        size_t len = strcspn(h, "\r\n");
        if (len >= sizeof(aso))
            break;
        memcpy(aso, h, len);
        aso[len] = '\0';
        if (get(c, &s, aso) != 200 || !strstr(s.data, "\"Succeeded\"")) {
            fprintf(stderr, "bench_sim: operation did not succeed\n");
            rc = 1;
            break;
        }
        n_ops++;
    }
    printf("sim.ops_per_s %.0f\n", n_ops / (now_s() - t0));
    free(hs.data);

    long rss = rss_kb(p.pid);
    if (rss > 0 && rss0 > 0) {
        printf("sim.rss_100k_mb %.1f\n", rss / 1024.0);
        printf("sim.bytes_per_vm %.0f\n", (double)(rss - rss0) * 1024.0 / N_VMS);
    }
    if (simproc_stop(&p) != 0)
        rc = 1;
    curl_easy_cleanup(c);
    free(s.data);
    curl_global_cleanup();
    return rc;
}
