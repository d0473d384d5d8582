/* SPDX-License-Identifier: MIT
 * model/jwt.c: base64url and the client assertion JWT put together and taken apart. JSON goes
 * through cJSON both ways (in parsing, through model/json's guarded parser). */
#include "model/jwt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "model/json.h"
#include "model/text.h"

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

enum gp_status jwt_base64url_append(struct gp_buf *b, const void *data, size_t len)
{
    const unsigned char *p = data;
    char quad[4];
    size_t i = 0;
    for (; i + 3 <= len; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
        quad[0] = b64url[(v >> 18) & 63];
        quad[1] = b64url[(v >> 12) & 63];
        quad[2] = b64url[(v >> 6) & 63];
        quad[3] = b64url[v & 63];
        GP_TRY(gp_buf_append(b, quad, 4));
    }
    size_t rest = len - i;
    if (rest == 0)
        return GP_OK;
    unsigned v = (unsigned)p[i] << 16 | (rest == 2 ? (unsigned)p[i + 1] << 8 : 0u);
    quad[0] = b64url[(v >> 18) & 63];
    quad[1] = b64url[(v >> 12) & 63];
    quad[2] = b64url[(v >> 6) & 63];
    /* no padding: JWS (RFC 7515 section 2) drops it */
    return gp_buf_append(b, quad, rest + 1);
}

static int b64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

enum gp_status jwt_base64url_decode(const char *s, size_t len, unsigned char *out, size_t cap,
                                    size_t *out_len)
{
    while (len > 0 && s[len - 1] == '=')
        len--;
    if (len % 4 == 1)
        return GP_E_INVALID; /* 6 bits cannot end a byte */
    size_t need = len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0);
    if (need > cap)
        return GP_E_TOO_LARGE;
    size_t o = 0;
    unsigned acc = 0;
    unsigned bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64url_value((unsigned char)s[i]);
        if (v < 0)
            return GP_E_INVALID;
        acc = (acc << 6 | (unsigned)v) & 0xffffffu;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)((acc >> bits) & 0xffu);
        }
    }
    *out_len = o;
    return GP_OK;
}

/* Appends the compact JSON of root, base64url-encoded, and deletes root. */
static enum gp_status append_json(struct gp_buf *b, cJSON *root)
{
    char *text = root ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (!text)
        return GP_E_NOMEM;
    enum gp_status st = jwt_base64url_append(b, text, strlen(text));
    free(text);
    return st;
}

enum gp_status jwt_signing_input(struct gp_buf *out, const unsigned char *thumbprint,
                                 size_t thumbprint_len, const struct jwt_claims *c)
{
    if (!thumbprint || !c || !c->aud || !c->iss || !c->sub || !c->jti)
        return GP_E_INVALID;
    struct gp_buf x5t;
    gp_buf_init(&x5t, 256);
    enum gp_status st = jwt_base64url_append(&x5t, thumbprint, thumbprint_len);
    cJSON *h = cJSON_CreateObject();
    if (st == GP_OK && (!h || !cJSON_AddStringToObject(h, "alg", "RS256") ||
                        !cJSON_AddStringToObject(h, "typ", "JWT") ||
                        !cJSON_AddStringToObject(h, "x5t", gp_buf_str(&x5t))))
        st = GP_E_NOMEM;
    gp_buf_cleanup(&x5t);
    if (st != GP_OK) {
        cJSON_Delete(h);
        return st;
    }
    GP_TRY(append_json(out, h));
    GP_TRY(gp_buf_append(out, ".", 1));
    /* The order MSAL writes them in; times are whole POSIX seconds (cJSON prints an integral
     * double without a fraction or exponent up to 15 digits). */
    cJSON *p = cJSON_CreateObject();
    if (!p || !cJSON_AddStringToObject(p, "aud", c->aud) ||
        !cJSON_AddStringToObject(p, "iss", c->iss) || !cJSON_AddStringToObject(p, "sub", c->sub) ||
        !cJSON_AddStringToObject(p, "jti", c->jti) ||
        !cJSON_AddNumberToObject(p, "nbf", (double)c->nbf) ||
        !cJSON_AddNumberToObject(p, "iat", (double)c->iat) ||
        !cJSON_AddNumberToObject(p, "exp", (double)c->exp)) {
        cJSON_Delete(p);
        return GP_E_NOMEM;
    }
    return append_json(out, p);
}

enum gp_status jwt_append_signature(struct gp_buf *ref_token, const unsigned char *sig,
                                    size_t sig_len)
{
    GP_TRY(gp_buf_append(ref_token, ".", 1));
    return jwt_base64url_append(ref_token, sig, sig_len);
}

void jwt_uuid_v4(const unsigned char rnd[16], char out[37])
{
    unsigned char u[16];
    memcpy(u, rnd, sizeof(u));
    u[6] = (unsigned char)((u[6] & 0x0fu) | 0x40u); /* version 4 */
    u[8] = (unsigned char)((u[8] & 0x3fu) | 0x80u); /* RFC 4122 variant */
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[u[i] >> 4];
        out[o++] = hex[u[i] & 15];
    }
    out[o] = '\0';
}

/* --- parsing (the verifier's side) ------------------------------------------------------ */

/* Decodes one base64url part into a JSON object. */
static enum gp_status part_json(const char *s, size_t len, const char *what, cJSON **out,
                                struct gp_error *err)
{
    unsigned char *raw = malloc(len + 1);
    if (!raw)
        return gp_error_set(err, GP_E_NOMEM, "out of memory");
    size_t n = 0;
    enum gp_status st = jwt_base64url_decode(s, len, raw, len, &n);
    if (st != GP_OK) {
        free(raw);
        return gp_error_set(err, GP_E_INVALID, "the JWT %s part is not base64url", what);
    }
    st = json_parse((const char *)raw, n, JWT_MAX, 8, out, err);
    free(raw);
    if (st != GP_OK)
        return gp_error_set(err, st == GP_E_NOMEM ? st : GP_E_PARSE, "the JWT %s part is not JSON",
                            what);
    if (!cJSON_IsObject(*out)) {
        cJSON_Delete(*out);
        *out = NULL;
        return gp_error_set(err, GP_E_PARSE, "the JWT %s part is not a JSON object", what);
    }
    return GP_OK;
}

/* Copies a string member; false when absent or not a string. */
static bool get_str(const cJSON *o, const char *key, char *dst, size_t n)
{
    const cJSON *it = json_member(o, key, false);
    if (!cJSON_IsString(it) || !it->valuestring)
        return false;
    if (!text_copy(dst, n, it->valuestring))
        dst[n - 1] = '\0'; /* cut: it then matches nothing it is compared with */
    return true;
}

/* An integral NumericDate; false when absent, not a number or not integral. */
static bool get_time(const cJSON *o, const char *key, int64_t *out)
{
    const cJSON *it = json_member(o, key, false);
    if (!cJSON_IsNumber(it))
        return false;
    double d = it->valuedouble;
    if (!(d >= 0 && d < 9007199254740992.0) || floor(d) != d)
        return false;
    *out = (int64_t)d;
    return true;
}

enum gp_status jwt_parse(const char *token, size_t len, struct jwt_parsed *out,
                         struct gp_error *err)
{
    memset(out, 0, sizeof(*out));
    if (len > JWT_MAX)
        return gp_error_set(err, GP_E_TOO_LARGE, "the JWT is larger than %u bytes", JWT_MAX);
    const char *d1 = memchr(token, '.', len);
    const char *d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token)) : NULL;
    if (!d1 || !d2 || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token)))
        return gp_error_set(err, GP_E_INVALID, "the JWT does not have three parts");
    size_t sig_chars = len - (size_t)(d2 + 1 - token);
    if (jwt_base64url_decode(d2 + 1, sig_chars, out->sig, sizeof(out->sig), &out->sig_len) !=
            GP_OK ||
        out->sig_len == 0)
        return gp_error_set(err, GP_E_INVALID, "the JWT signature is missing or not base64url");
    out->signing_len = (size_t)(d2 - token);
    cJSON *h = NULL, *p = NULL;
    GP_TRY(part_json(token, (size_t)(d1 - token), "header", &h, err));
    enum gp_status st = part_json(d1 + 1, (size_t)(d2 - d1 - 1), "claims", &p, err);
    if (st != GP_OK) {
        cJSON_Delete(h);
        return st;
    }
    const char *missing = NULL;
    if (!get_str(h, "alg", out->alg, sizeof(out->alg)))
        missing = "header.alg";
    (void)get_str(h, "typ", out->typ, sizeof(out->typ)); /* optional in RFC 7519 */
    (void)get_str(h, "x5t", out->x5t, sizeof(out->x5t)); /* the verifier decides */
    if (!missing && !get_str(p, "aud", out->aud, sizeof(out->aud)))
        missing = "claims.aud";
    if (!missing && !get_str(p, "iss", out->iss, sizeof(out->iss)))
        missing = "claims.iss";
    if (!missing && !get_str(p, "sub", out->sub, sizeof(out->sub)))
        missing = "claims.sub";
    if (!missing && !get_time(p, "exp", &out->exp))
        missing = "claims.exp";
    (void)get_str(p, "jti", out->jti, sizeof(out->jti));
    out->has_nbf = get_time(p, "nbf", &out->nbf);
    out->has_iat = get_time(p, "iat", &out->iat);
    cJSON_Delete(h);
    cJSON_Delete(p);
    if (missing)
        return gp_error_set(err, GP_E_INVALID, "the JWT has no %s", missing);
    return GP_OK;
}
