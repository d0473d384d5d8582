/* SPDX-License-Identifier: MIT
 * tests/fuzz/fuzz_lro_headers.c: the header and URL handling under net/lro and net/pager:
 * Retry-After / retry-after-ms (net/retry), the retry decision over them, a Location /
 * Azure-AsyncOperation / nextLink joined to the endpoint (arm_url) and the URL policy
 * (http_url_allowed). Input: lines "Retry-After\nretry-after-ms\nURL-or-path" (missing lines
 * are absent headers); the whole input is also tried as each one. Built by `make fuzz` with
 * libFuzzer and replayed by `make check` over tests/fuzz/corpus/lro_headers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "net/arm.h"
#include "net/http.h"
#include "net/loop.h"
#include "net/retry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ENDPOINT "https://management.azure.com"
#define NOW_WALL 1795600000 /* 2026-11-25 */

static struct arm_client *client(void)
{
    static struct gp_loop *loop;
    static struct arm_client *arm;
    if (arm)
        return arm;
    struct gp_error err;
    struct arm_options opts;
    memset(&opts, 0, sizeof(opts));
    opts.endpoint = ENDPOINT;
    if (loop_new(&loop) != GP_OK ||
        arm_client_new(loop, &opts, &arm_static_token_ops, (void *)"t", &arm, &err) != GP_OK)
        abort();
    return arm;
}

static void check_wait(const char *ra, const char *ra_ms)
{
    const struct retry_policy p = retry_policy_default();
    int64_t ms = retry_after_parse_ms(ra, ra_ms, NOW_WALL, p.max_retry_after_ms);
    if (ms < -1 || ms > (int64_t)p.max_retry_after_ms)
        abort();
    static const char *const methods[] = {"GET", "post", "PATCH", "DELETE", "PUT"};
    static const int statuses[] = {0, 200, 202, 408, 429, 500, 503};
    for (size_t m = 0; m < sizeof(methods) / sizeof(methods[0]); m++)
        for (size_t s = 0; s < sizeof(statuses) / sizeof(statuses[0]); s++) {
            struct retry_input in = {methods[m], statuses[s], s & 1, (unsigned)(s % 4) + 1,
                                     ra, ra_ms, NOW_WALL, 0.5};
            uint64_t delay = 0;
            if (retry_should_retry(&p, &in, &delay) &&
                delay > p.max_retry_after_ms + p.max_delay_ms)
                abort();
        }
    struct http_response resp;
    memset(&resp, 0, sizeof(resp));
    resp.status = 429;
    resp.retry_after = (char *)ra;
    resp.retry_after_ms = (char *)ra_ms;
    int64_t arm_ms = arm_retry_after_ms(client(), &resp);
    if (arm_ms < -1 || arm_ms > (int64_t)p.max_retry_after_ms)
        abort();
}

/* Whatever a server names (Location, Azure-AsyncOperation, nextLink), the token only ever goes
 * to our endpoint: a joined URL that curl would send goes to ENDPOINT's host and port. (One
 * curl cannot parse, e.g. with a space, is refused by the transport, so it is not checked.) */
static void check_url(const char *u)
{
    char why[128];
    (void)http_url_allowed(u, why, sizeof(why));
    struct gp_error err;
    char *url = NULL;
    if (arm_url(client(), u, &url, &err) == GP_OK) {
        size_t e = strlen(ENDPOINT);
        if (strncasecmp(url, ENDPOINT, e) != 0 ||
            (url[e] != '/' && url[e] != '\0' && url[e] != '?'))
            abort();
        CURLU *cu = curl_url();
        char *host = NULL, *port = NULL;
        if (cu && curl_url_set(cu, CURLUPART_URL, url, 0) == CURLUE_OK) {
            if (curl_url_get(cu, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
                strcasecmp(host, "management.azure.com") != 0)
                abort();
            if (curl_url_get(cu, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK ||
                strcmp(port, "443") != 0)
                abort();
        }
        curl_free(host);
        curl_free(port);
        curl_url_cleanup(cu);
    }
    free(url);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    check_wait(text, NULL);
    check_wait(NULL, text);
    check_url(text);

    char *line[3] = {NULL, NULL, NULL};
    char *p = text;
    for (size_t i = 0; i < 3 && p; i++) {
        line[i] = p;
        p = strchr(p, '\n');
        if (p)
            *p++ = '\0';
    }
    check_wait(line[0], line[1] && line[1][0] ? line[1] : NULL);
    if (line[2])
        check_url(line[2]);
    free(text);
    return 0;
}
