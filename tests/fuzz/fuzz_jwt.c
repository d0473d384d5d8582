/* SPDX-License-Identifier: MIT
 * tests/fuzz/fuzz_jwt.c: any bytes as a client assertion for model/jwt's parser (what gpup-sim's
 * token endpoint reads from the network) and as base64url text; a token that parses must keep
 * its strings terminated, and the decoder must agree with the encoder on what it decoded.
 * Built by `make fuzz` with libFuzzer and replayed by `make check` over tests/fuzz/corpus/jwt. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/jwt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_str(const char *s, size_t cap)
{
    if (strnlen(s, cap) == cap)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct jwt_parsed p;
    struct gp_error err;
    gp_error_clear(&err);
    if (jwt_parse((const char *)data, size, &p, &err) == GP_OK) {
        check_str(p.alg, sizeof(p.alg));
        check_str(p.x5t, sizeof(p.x5t));
        check_str(p.aud, sizeof(p.aud));
        check_str(p.iss, sizeof(p.iss));
        check_str(p.sub, sizeof(p.sub));
        if (p.signing_len >= size || p.sig_len == 0 || p.sig_len > sizeof(p.sig))
            abort();
    }
    /* decode, re-encode: the same text (when it had no padding) */
    unsigned char *raw = malloc(size + 1);
    if (!raw)
        return 0;
    size_t n = 0;
    if (jwt_base64url_decode((const char *)data, size, raw, size, &n) == GP_OK &&
        memchr(data, '=', size) == NULL) {
        struct gp_buf b;
        gp_buf_init(&b, 4 * size + 16);
        if (jwt_base64url_append(&b, raw, n) != GP_OK)
            abort();
        /* trailing bits past the last byte are dropped: compare the decoded bytes instead */
        unsigned char *again = malloc(b.len + 1);
        size_t m = 0;
        if (again &&
            (jwt_base64url_decode(b.data ? b.data : "", b.len, again, b.len, &m) != GP_OK ||
             m != n || memcmp(again, raw, n) != 0))
            abort();
        free(again);
        gp_buf_cleanup(&b);
    }
    free(raw);
    return 0;
}
