/* SPDX-License-Identifier: MIT
 * tests/fuzz/fuzz_sim.c: gpup-sim's request handling (sim/arm arm_handle, no sockets) over a
 * small generated fleet. Input: requests separated by NUL bytes, each "METHOD PATH[?QUERY]"
 * on its first line (api-version and $skipToken are read from QUERY) and the body after it.
 * The clock moves 1 s per request so operations complete in between. Every answer must be a
 * status 200..599 with a JSON body or none, and the GPU pools must still add up. Built by
 * `make fuzz` with libFuzzer and replayed by `make check` over tests/fuzz/corpus/sim. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sim/arm.h"
#include "sim/faults.h"
#include "sim/fleet.h"
#include "sim/ops.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SUBID "00000000-0000-0000-0000-000000000000"
#define MAX_REQUESTS 16

/* The value of name=... in query (NUL-terminated in place), or NULL. */
static const char *query_value(char *query, const char *name)
{
    size_t n = strlen(name);
    for (char *p = query; p && *p;) {
        char *amp = strchr(p, '&');
        if (strncmp(p, name, n) == 0 && p[n] == '=') {
            if (amp)
                *amp = '\0';
            return p + n + 1;
        }
        p = amp ? amp + 1 : NULL;
    }
    return NULL;
}

static void one_request(struct arm_service *s, char *req, size_t len, int64_t now_ms)
{
    char *nl = memchr(req, '\n', len);
    const char *body = NULL;
    size_t body_len = 0;
    if (nl) {
        *nl = '\0';
        body = nl + 1;
        body_len = len - (size_t)(nl + 1 - req);
    }
    char *sp = strchr(req, ' ');
    if (!sp)
        return;
    *sp = '\0';
    char *path = sp + 1;
    char *q = strchr(path, '?');
    char *api = NULL, *skip = NULL;
    if (q) {
        *q++ = '\0';
        /* Two passes over copies, since query_value cuts at '&'. */
        char *q2 = strdup(q);
        if (!q2)
            return;
        const char *a = query_value(q, "api-version");
        const char *k = query_value(q2, "$skipToken");
        api = a ? strdup(a) : NULL;
        skip = k ? strdup(k) : NULL;
        free(q2);
    }
    struct arm_request r;
    memset(&r, 0, sizeof(r));
    r.method = req;
    r.path = path;
    r.api_version = api;
    r.skip_token = skip;
    r.host = "127.0.0.1:8443";
    r.content_type = "application/json";
    r.authorization = "Bearer fuzz";
    r.client_request_id = "6f0c3a4e-0000-4000-8000-000000000001";
    r.body = body_len ? body : NULL;
    r.body_len = body_len;
    r.now_ms = now_ms;
    r.now_wall_ms = 1795600000000 + now_ms;
    struct arm_response resp;
    arm_handle(s, &r, &resp);
    if (resp.status < 200 || resp.status > 599 || resp.n_headers > ARM_MAX_HEADERS)
        abort();
    if (resp.body && resp.body_len) {
        cJSON *j = cJSON_ParseWithLength(resp.body, resp.body_len);
        if (!j)
            abort();
        cJSON_Delete(j);
    }
    arm_response_cleanup(&resp);
    free(api);
    free(skip);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct arm_service s;
    struct gp_error err;
    memset(&s, 0, sizeof(s));
    fleet_init(&s.fleet);
    if (fleet_generate(&s.fleet, SUBID, 8, 2, 1, &err) != GP_OK || ops_init(&s.ops, 1) != GP_OK ||
        faults_parse(&s.faults, NULL, 1, &err) != GP_OK)
        abort();
    s.set.page_size = 2;
    s.set.op_ms = 500;
    s.set.retry_after_s = 1;
    s.set.retry_after_ms = -1;

    char *text = malloc(size + 1);
    if (!text)
        abort();
    memcpy(text, data, size);
    text[size] = '\0';
    char *p = text, *end = text + size;
    int64_t now = 0;
    for (int n = 0; n < MAX_REQUESTS && p < end; n++) {
        char *z = memchr(p, '\0', (size_t)(end - p));
        size_t len = z ? (size_t)(z - p) : (size_t)(end - p);
        one_request(&s, p, len, now);
        now += 1000;
        p += len + 1;
    }
    free(text);

    (void)ops_advance(&s.ops, &s.fleet, now + (1 << 30));
    for (size_t h = 0; h < s.fleet.cluster.n_hosts; h++)
        for (size_t g = 0; g < s.fleet.cluster.hosts[h].n_gpus; g++) {
            const struct host_gpu *hg = &s.fleet.cluster.hosts[h].gpus[g];
            if (hg->partitions_used < 0 || hg->partitions_used > hg->partitions_total)
                abort();
        }
    ops_cleanup(&s.ops);
    fleet_cleanup(&s.fleet);
    return 0;
}
