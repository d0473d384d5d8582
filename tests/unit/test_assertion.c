/* SPDX-License-Identifier: MIT
 * tests/unit/test_assertion.c: net/assertion with keys made at run time (tests/support/certfix):
 * the assertion's header and claims decoded and checked one by one (x5t computed here
 * independently), its RS256 signature verified with the certificate's public key, both PEM
 * orders, and every refusal (key of another certificate, encrypted key, EC key, no certificate,
 * no key), none of which quotes key material. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "model/jwt.h"
#include "model/text.h"
#include "model/token.h"
#include "net/assertion.h"
#include "tests/support/certfix.h"

#define AUD "http://127.0.0.1:8080/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee/oauth2/v2.0/token"
#define CID "11111111-2222-3333-4444-555555555555"
#define NOW 1795600000

struct fx {
    struct certfix a, b, ec;
};

static int setup(void **state)
{
    struct fx *x = calloc(1, sizeof(*x));
    assert_non_null(x);
    certfix_new(&x->a);
    certfix_new(&x->b);
    certfix_new_ec(&x->ec);
    *state = x;
    return 0;
}

static int teardown(void **state)
{
    struct fx *x = *state;
    certfix_free(&x->a);
    certfix_free(&x->b);
    certfix_free(&x->ec);
    free(x);
    return 0;
}

static enum gp_status make(const struct certfix *cert_of, const struct certfix *key_of,
                           enum certfix_parts parts, struct gp_secret *out, struct gp_error *err)
{
    char *pem = certfix_pem(cert_of, key_of, parts);
    struct gp_secret s;
    gp_secret_init(&s);
    assert_int_equal(gp_secret_set(&s, pem, strlen(pem)), GP_OK);
    free(pem);
    struct assertion_params p = {.client_id = CID, .audience = AUD, .now = NOW};
    gp_error_clear(err);
    enum gp_status st = assertion_from_pem(&s, &p, out, err);
    gp_secret_clear(&s);
    return st;
}

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

static long long jint(const cJSON *o, const char *k)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);
    assert_true(cJSON_IsNumber(it));
    return (long long)it->valuedouble;
}

/* Checks every part of tok as made for x->a. */
static void check_token(const struct certfix *c, const char *tok)
{
    const char *d1 = strchr(tok, '.');
    assert_non_null(d1);
    const char *d2 = strchr(d1 + 1, '.');
    assert_non_null(d2);
    assert_null(strchr(d2 + 1, '.'));
    assert_null(strpbrk(tok, "+/= \n"));

    cJSON *h = part(tok, (size_t)(d1 - tok));
    assert_string_equal(jstr(h, "alg"), "RS256");
    assert_string_equal(jstr(h, "typ"), "JWT");
    char x5t[32];
    certfix_x5t(c, x5t, sizeof(x5t));
    assert_string_equal(jstr(h, "x5t"), x5t);
    assert_null(cJSON_GetObjectItemCaseSensitive(h, "x5c")); /* not asked for */
    cJSON_Delete(h);

    cJSON *p = part(d1 + 1, (size_t)(d2 - d1 - 1));
    assert_string_equal(jstr(p, "aud"), AUD);
    assert_string_equal(jstr(p, "iss"), CID);
    assert_string_equal(jstr(p, "sub"), CID);
    const char *jti = jstr(p, "jti");
    assert_int_equal(strlen(jti), 36);
    assert_int_equal(jti[14], '4');
    assert_non_null(strchr("89ab", jti[19]));
    assert_int_equal(jint(p, "nbf"), NOW);
    assert_int_equal(jint(p, "iat"), NOW);
    assert_int_equal(jint(p, "exp"), NOW + 600);
    cJSON_Delete(p);

    /* the signature verifies with the certificate's public key over "header.claims" */
    unsigned char sig[1024];
    size_t sig_len = 0;
    assert_int_equal(jwt_base64url_decode(d2 + 1, strlen(d2 + 1), sig, sizeof(sig), &sig_len),
                     GP_OK);
    assert_int_equal(sig_len, 256);
    EVP_PKEY *pub = X509_get_pubkey(c->cert);
    assert_non_null(pub);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pub), 1);
    assert_int_equal(
        EVP_DigestVerify(md, sig, sig_len, (const unsigned char *)tok, (size_t)(d2 - tok)), 1);
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pub);
}

static void test_assertion_claims_and_signature(void **state)
{
    struct fx *x = *state;
    struct gp_secret tok;
    gp_secret_init(&tok);
    struct gp_error err;
    assert_int_equal(make(&x->a, &x->a, CERTFIX_CERT_THEN_KEY, &tok, &err), GP_OK);
    check_token(&x->a, token_secret_str(&tok));
    /* key first works too, and every assertion is fresh (a new jti) */
    struct gp_secret tok2;
    gp_secret_init(&tok2);
    assert_int_equal(make(&x->a, &x->a, CERTFIX_KEY_THEN_CERT, &tok2, &err), GP_OK);
    check_token(&x->a, token_secret_str(&tok2));
    assert_false(str_eq(token_secret_str(&tok), token_secret_str(&tok2)));
    gp_secret_clear(&tok);
    gp_secret_clear(&tok2);
}

/* The refusal: GP_E_AUTH, the expected words, and no key material in the message. */
static void expect_refused(const struct certfix *cert_of, const struct certfix *key_of,
                           enum certfix_parts parts, const char *words)
{
    struct gp_secret tok;
    gp_secret_init(&tok);
    struct gp_error err;
    assert_int_equal(make(cert_of, key_of, parts, &tok, &err), GP_E_AUTH);
    if (!strstr(err.message, words))
        fail_msg("message \"%s\" lacks \"%s\"", err.message, words);
    assert_false(gp_secret_is_set(&tok));
    char line[80];
    certfix_key_line(key_of, line, sizeof(line));
    assert_null(strstr(err.message, line));
    assert_null(strstr(err.message, "PRIVATE KEY-----"));
}

static void test_assertion_refusals(void **state)
{
    struct fx *x = *state;
    expect_refused(&x->a, &x->b, CERTFIX_CERT_THEN_KEY,
                   "the private key in the file does not belong to its certificate");
    expect_refused(&x->a, &x->a, CERTFIX_CERT_THEN_ENCRYPTED_KEY, "the private key is encrypted");
    expect_refused(&x->ec, &x->ec, CERTFIX_CERT_THEN_KEY, "not an RSA key");
    expect_refused(&x->a, &x->a, CERTFIX_KEY_ONLY, "no PEM certificate");
    expect_refused(&x->a, &x->a, CERTFIX_CERT_ONLY, "no PEM private key");

    struct gp_secret pem, tok;
    gp_secret_init(&pem);
    gp_secret_init(&tok);
    struct gp_error err;
    struct assertion_params p = {.client_id = CID, .audience = AUD, .now = NOW};
    assert_int_equal(gp_secret_set(&pem, "not a pem file\n", 15), GP_OK);
    assert_int_equal(assertion_from_pem(&pem, &p, &tok, &err), GP_E_AUTH);
    assert_int_equal(assertion_from_pem(NULL, &p, &tok, &err), GP_E_AUTH);
    p.audience = NULL;
    assert_int_equal(assertion_from_pem(&pem, &p, &tok, &err), GP_E_INVALID);
    gp_secret_clear(&pem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_assertion_claims_and_signature),
        cmocka_unit_test(test_assertion_refusals),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
