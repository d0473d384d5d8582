/* SPDX-License-Identifier: MIT
 * tests/fuzz/fuzz_token.c: any bytes as every login answer model/token reads: the v2 token
 * endpoint, managed identity, `az account get-access-token`, a ready token, the device-code
 * answer, an OAuth error, a WWW-Authenticate Basic realm and the token cache (which must read
 * back what it writes). Built by `make fuzz` with libFuzzer and replayed by `make check` over
 * tests/fuzz/corpus/token. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/buf.h"
#include "model/token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW 1795600000

static void check_text(const char *s, size_t cap)
{
    size_t n = strnlen(s, cap);
    if (n == cap)
        abort();
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            abort();
}

/* A token read must survive the cache file round trip unchanged. */
static void check_cache(const struct token *t)
{
    char *json = NULL;
    size_t len = 0;
    struct gp_error err;
    if (token_cache_to_json(t, "04b07795-8ddb-461a-bbee-02f9e1bf7b46", &json, &len, &err) != GP_OK)
        return;
    struct token back;
    memset(&back, 0, sizeof(back));
    char client_id[64];
    if (token_cache_from_json(json, len, &back, client_id, sizeof(client_id), &err) == GP_OK) {
        if (!token_secret_equal(&t->access, &back.access) ||
            !token_secret_equal(&t->refresh, &back.refresh) || t->expires_on != back.expires_on)
            abort();
    }
    token_clear(&back);
    token_wipe_free(json, len);
}

static void after(struct token *t, enum gp_status st)
{
    if (st == GP_OK) {
        (void)token_needs_refresh(t, NOW, TOKEN_REFRESH_MARGIN_S);
        (void)token_expired(t, NOW);
        check_cache(t);
    }
    token_clear(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    struct gp_error err;
    struct token t;
    memset(&t, 0, sizeof(t));
    after(&t, token_parse_v2(body, size, NOW, &t, &err));
    after(&t, token_parse_managed_identity(body, size, NOW, &t, &err));
    after(&t, token_parse_az_cli(body, size, &t, &err));
    after(&t, token_from_text(body, size, TOKEN_SOURCE_STATIC, &t, &err));
    char client_id[64];
    after(&t, token_cache_from_json(body, size, &t, client_id, sizeof(client_id), &err));

    struct token_device_code dc;
    memset(&dc, 0, sizeof(dc));
    if (token_parse_device_code(body, size, &dc, &err) == GP_OK) {
        check_text(dc.message, sizeof(dc.message));
        if (dc.interval < 1)
            abort();
    }
    token_device_code_clear(&dc);

    static const int statuses[] = {400, 401, 500, 200};
    for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
        gp_error_clear(&err);
        enum token_oauth_error e =
            token_parse_oauth_error(body, size, statuses[i], "service principal", &err);
        if ((unsigned)e >= TOKEN_OAUTH_COUNT)
            abort();
        check_text(err.message, sizeof(err.message));
        check_text(err.code, sizeof(err.code));
        check_text(err.request_id, sizeof(err.request_id));
    }

    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char path[256];
    if (token_parse_basic_realm(text, path, sizeof(path), &err) == GP_OK)
        if (strnlen(path, sizeof(path)) == sizeof(path))
            abort();
    struct gp_buf b;
    gp_buf_init(&b, 1u << 20);
    if (token_form_add(&b, "client_secret", text, strlen(text)) == GP_OK) {
        /* Percent-encoded: nothing but unreserved characters, '%', '+', '=' and '&'. */
        for (const char *c = gp_buf_str(&b); *c; c++)
            if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f || *c == '"')
                abort();
    }
    gp_buf_cleanup(&b);
    free(text);
    return 0;
}
