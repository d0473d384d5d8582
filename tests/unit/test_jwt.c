/* SPDX-License-Identifier: MIT
 * tests/unit/test_jwt.c: model/jwt: base64url against RFC 4648's vectors and the two characters
 * that differ from base64, decoding (padding optional, bad input refused), the assertion's
 * signing input decoded part by part with cJSON and checked claim by claim, the signature
 * appended, the v4 UUID, and jwt_parse taking a token apart (and refusing broken ones). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "model/jwt.h"

static char *b64(const void *data, size_t len)
{
    struct gp_buf b;
    gp_buf_init(&b, 4096);
    assert_int_equal(jwt_base64url_append(&b, data, len), GP_OK);
    char *s = gp_buf_take(&b, NULL);
    assert_non_null(s);
    return s;
}

static void expect_b64(const char *in, const char *want)
{
    char *got = b64(in, strlen(in));
    assert_string_equal(got, want);
    unsigned char back[64];
    size_t n = 99;
    assert_int_equal(jwt_base64url_decode(got, strlen(got), back, sizeof(back), &n), GP_OK);
    assert_int_equal(n, strlen(in));
    assert_memory_equal(back, in, n);
    free(got);
}

static void test_base64url_vectors(void **state)
{
    (void)state;
    /* RFC 4648 section 10, without the padding */
    expect_b64("", "");
    expect_b64("f", "Zg");
    expect_b64("fo", "Zm8");
    expect_b64("foo", "Zm9v");
    expect_b64("foob", "Zm9vYg");
    expect_b64("fooba", "Zm9vYmE");
    expect_b64("foobar", "Zm9vYmFy");
    /* the URL-safe alphabet: 62 and 63 are '-' and '_' (base64 has '+' and '/') */
    static const unsigned char hi[] = {0xfb, 0xff, 0xbf};
    char *s = b64(hi, sizeof(hi));
    assert_string_equal(s, "-_-_");
    free(s);
    /* every byte value survives the round trip */
    unsigned char all[256], back[256];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    s = b64(all, sizeof(all));
    assert_null(strpbrk(s, "+/="));
    size_t n = 0;
    assert_int_equal(jwt_base64url_decode(s, strlen(s), back, sizeof(back), &n), GP_OK);
    assert_int_equal(n, 256);
    assert_memory_equal(back, all, 256);
    free(s);
}

static void test_base64url_decode_refuses(void **state)
{
    (void)state;
    unsigned char out[16];
    size_t n = 0;
    assert_int_equal(jwt_base64url_decode("Zm9vYg==", 8, out, sizeof(out), &n), GP_OK);
    assert_int_equal(n, 4); /* padding tolerated */
    assert_int_equal(jwt_base64url_decode("Zm+v", 4, out, sizeof(out), &n), GP_E_INVALID);
    assert_int_equal(jwt_base64url_decode("Zm/v", 4, out, sizeof(out), &n), GP_E_INVALID);
    assert_int_equal(jwt_base64url_decode("Zm9 ", 4, out, sizeof(out), &n), GP_E_INVALID);
    assert_int_equal(jwt_base64url_decode("Zm9vY", 5, out, sizeof(out), &n), GP_E_INVALID);
    assert_int_equal(jwt_base64url_decode("Zm9vYmFy", 8, out, 5, &n), GP_E_TOO_LARGE);
}

/* Decodes one base64url part into JSON (independently of jwt_parse). */
static cJSON *part(const char *s, size_t len)
{
    unsigned char raw[2048];
    size_t n = 0;
    assert_int_equal(jwt_base64url_decode(s, len, raw, sizeof(raw) - 1, &n), GP_OK);
    raw[n] = '\0';
    cJSON *j = cJSON_Parse((const char *)raw);
    assert_non_null(j);
    return j;
}

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);
    assert_true(cJSON_IsString(it));
    return it->valuestring;
}

static double jnum(const cJSON *o, const char *k)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);
    assert_true(cJSON_IsNumber(it));
    return it->valuedouble;
}

static const unsigned char thumb[20] = {0x5b, 0x3e, 0xfb, 0xff, 1,  2,  3,  4,  5,  6,
                                        7,    8,    9,    10,   11, 12, 13, 14, 15, 16};
#define AUD "https://login.example.test/contoso/oauth2/v2.0/token"
#define CID "11111111-2222-3333-4444-555555555555"
#define JTI "0f8fad5b-d9cb-469f-a165-70867728950e"

static void build(struct gp_buf *b, int64_t now)
{
    struct jwt_claims c = {
        .aud = AUD, .iss = CID, .sub = CID, .jti = JTI, .nbf = now, .iat = now, .exp = now + 600};
    gp_buf_init(b, JWT_MAX);
    assert_int_equal(jwt_signing_input(b, thumb, sizeof(thumb), &c), GP_OK);
}

static void test_signing_input(void **state)
{
    (void)state;
    struct gp_buf b;
    build(&b, 1795600000);
    const char *s = gp_buf_str(&b);
    assert_null(strpbrk(s, "+/= \n"));
    const char *dot = strchr(s, '.');
    assert_non_null(dot);
    assert_null(strchr(dot + 1, '.')); /* two parts until signed */

    cJSON *h = part(s, (size_t)(dot - s));
    assert_int_equal(cJSON_GetArraySize(h), 3);
    assert_string_equal(jstr(h, "alg"), "RS256");
    assert_string_equal(jstr(h, "typ"), "JWT");
    /* x5t is the base64url of the thumbprint bytes: decode it back */
    const char *x5t = jstr(h, "x5t");
    assert_int_equal(strlen(x5t), 27);
    unsigned char back[32];
    size_t n = 0;
    assert_int_equal(jwt_base64url_decode(x5t, strlen(x5t), back, sizeof(back), &n), GP_OK);
    assert_int_equal(n, 20);
    assert_memory_equal(back, thumb, 20);
    assert_int_equal(strncmp(x5t, "Wz77_", 5), 0);
    cJSON_Delete(h);

    cJSON *p = part(dot + 1, strlen(dot + 1));
    assert_int_equal(cJSON_GetArraySize(p), 7);
    assert_string_equal(jstr(p, "aud"), AUD);
    assert_string_equal(jstr(p, "iss"), CID);
    assert_string_equal(jstr(p, "sub"), CID);
    assert_string_equal(jstr(p, "jti"), JTI);
    assert_true(jnum(p, "nbf") == 1795600000.0);
    assert_true(jnum(p, "iat") == 1795600000.0);
    assert_true(jnum(p, "exp") == 1795600600.0);
    cJSON_Delete(p);
    /* NumericDate as plain integers, also past 2038 */
    gp_buf_cleanup(&b);
    build(&b, 4102444800); /* 2100-01-01 */
    dot = strchr(gp_buf_str(&b), '.');
    unsigned char raw[1024];
    assert_int_equal(jwt_base64url_decode(dot + 1, strlen(dot + 1), raw, sizeof(raw) - 1, &n),
                     GP_OK);
    raw[n] = '\0';
    assert_non_null(strstr((const char *)raw, "\"nbf\":4102444800,\"iat\":4102444800,"
                                              "\"exp\":4102445400}"));
    gp_buf_cleanup(&b);

    struct jwt_claims missing = {.aud = AUD, .iss = CID, .sub = NULL, .jti = JTI};
    gp_buf_init(&b, JWT_MAX);
    assert_int_equal(jwt_signing_input(&b, thumb, 20, &missing), GP_E_INVALID);
    gp_buf_cleanup(&b);
}

static void test_signature_and_parse(void **state)
{
    (void)state;
    struct gp_buf b;
    build(&b, 1795600000);
    size_t signing_len = b.len;
    unsigned char sig[256];
    for (size_t i = 0; i < sizeof(sig); i++)
        sig[i] = (unsigned char)(255 - i);
    assert_int_equal(jwt_append_signature(&b, sig, sizeof(sig)), GP_OK);
    const char *tok = gp_buf_str(&b);
    const char *last = strrchr(tok, '.');
    assert_int_equal((size_t)(last - tok), signing_len);
    assert_int_equal(strlen(last + 1), 342); /* 256 bytes, no padding */

    struct jwt_parsed *p = malloc(sizeof(*p));
    assert_non_null(p);
    struct gp_error err;
    gp_error_clear(&err);
    assert_int_equal(jwt_parse(tok, b.len, p, &err), GP_OK);
    assert_string_equal(p->alg, "RS256");
    assert_string_equal(p->typ, "JWT");
    assert_string_equal(p->aud, AUD);
    assert_string_equal(p->iss, CID);
    assert_string_equal(p->sub, CID);
    assert_string_equal(p->jti, JTI);
    assert_true(p->has_nbf && p->has_iat);
    assert_int_equal(p->nbf, 1795600000);
    assert_int_equal(p->exp, 1795600600);
    assert_int_equal(p->signing_len, signing_len);
    assert_int_equal(p->sig_len, sizeof(sig));
    assert_memory_equal(p->sig, sig, sizeof(sig));

    /* broken tokens */
    assert_int_equal(jwt_parse("abc", 3, p, &err), GP_E_INVALID);
    assert_string_equal(err.message, "the JWT does not have three parts");
    assert_int_equal(jwt_parse("a.b.c.d", 7, p, &err), GP_E_INVALID);
    assert_int_equal(jwt_parse("e30.e30.", 8, p, &err), GP_E_INVALID); /* no signature */
    assert_int_equal(jwt_parse("e30.e!.AAAA", 11, p, &err), GP_E_INVALID);
    assert_string_equal(err.message, "the JWT claims part is not base64url");
    assert_int_equal(jwt_parse("e30.e3.AAAA", 11, p, &err), GP_E_PARSE);  /* "{" */
    assert_int_equal(jwt_parse("W10.e30.AAAA", 12, p, &err), GP_E_PARSE); /* [] */
    assert_string_equal(err.message, "the JWT header part is not a JSON object");
    /* {"alg":"RS256"} . {"aud":"a","iss":"i","sub":"s"}: no exp */
    static const char noexp[] =
        "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJhIiwiaXNzIjoiaSIsInN1YiI6InMifQ.AAAA";
    assert_int_equal(jwt_parse(noexp, strlen(noexp), p, &err), GP_E_INVALID);
    assert_string_equal(err.message, "the JWT has no claims.exp");
    free(p);
    gp_buf_cleanup(&b);
}

static void test_uuid_v4(void **state)
{
    (void)state;
    unsigned char r[16];
    memset(r, 0xff, sizeof(r));
    char u[37];
    jwt_uuid_v4(r, u);
    assert_string_equal(u, "ffffffff-ffff-4fff-bfff-ffffffffffff");
    memset(r, 0, sizeof(r));
    jwt_uuid_v4(r, u);
    assert_string_equal(u, "00000000-0000-4000-8000-000000000000");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base64url_vectors), cmocka_unit_test(test_base64url_decode_refuses),
        cmocka_unit_test(test_signing_input),     cmocka_unit_test(test_signature_and_parse),
        cmocka_unit_test(test_uuid_v4),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
