/* SPDX-License-Identifier: MIT
 * tests/support/certfix.c: RSA keys and self-signed certificates with libcrypto, as PEM. */
#include "tests/support/certfix.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

static void make_cert(struct certfix *c)
{
    X509 *x = X509_new();
    assert_non_null(x);
    assert_int_equal(X509_set_version(x, 2), 1);
    static long serial = 1;
    assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), serial++), 1);
    assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), -3600));
    assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
    assert_int_equal(X509_set_pubkey(x, c->key), 1);
    X509_NAME *name = X509_get_subject_name(x);
    assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                                (const unsigned char *)"gpup test principal", -1,
                                                -1, 0),
                     1);
    assert_int_equal(X509_set_issuer_name(x, name), 1);
    assert_true(X509_sign(x, c->key, EVP_sha256()) > 0);
    c->cert = x;
}

void certfix_new(struct certfix *c)
{
    c->key = EVP_RSA_gen(2048);
    assert_non_null(c->key);
    make_cert(c);
}

void certfix_new_ec(struct certfix *c)
{
    c->key = EVP_EC_gen("P-256");
    assert_non_null(c->key);
    make_cert(c);
}

void certfix_free(struct certfix *c)
{
    EVP_PKEY_free(c->key);
    X509_free(c->cert);
    c->key = NULL;
    c->cert = NULL;
}

char *certfix_pem(const struct certfix *cert_of, const struct certfix *key_of,
                  enum certfix_parts parts)
{
    BIO *b = BIO_new(BIO_s_mem());
    assert_non_null(b);
    bool cert_first = parts != CERTFIX_KEY_THEN_CERT;
    if (cert_first && parts != CERTFIX_KEY_ONLY)
        assert_int_equal(PEM_write_bio_X509(b, cert_of->cert), 1);
    if (parts == CERTFIX_CERT_THEN_ENCRYPTED_KEY)
        assert_int_equal(
            PEM_write_bio_PKCS8PrivateKey(b, key_of->key, EVP_aes_256_cbc(), "pw", 2, NULL, NULL),
            1);
    else if (parts != CERTFIX_CERT_ONLY)
        assert_int_equal(PEM_write_bio_PrivateKey(b, key_of->key, NULL, NULL, 0, NULL, NULL), 1);
    if (!cert_first)
        assert_int_equal(PEM_write_bio_X509(b, cert_of->cert), 1);
    char *data = NULL;
    long n = BIO_get_mem_data(b, &data);
    assert_true(n > 0);
    char *out = malloc((size_t)n + 1);
    assert_non_null(out);
    memcpy(out, data, (size_t)n);
    out[n] = '\0';
    BIO_free(b);
    return out;
}

void certfix_write(const char *path, mode_t mode, const struct certfix *cert_of,
                   const struct certfix *key_of, enum certfix_parts parts)
{
    char *pem = certfix_pem(cert_of, key_of, parts);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    size_t len = strlen(pem);
    assert_int_equal(write(fd, pem, len), (ssize_t)len);
    assert_int_equal(fchmod(fd, mode), 0);
    assert_int_equal(close(fd), 0);
    free(pem);
}

void certfix_x5t(const struct certfix *c, char *out, size_t n)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    assert_int_equal(X509_digest(c->cert, EVP_sha1(), md, &len), 1);
    assert_int_equal(len, 20);
    unsigned char b64[64];
    int k = EVP_EncodeBlock(b64, md, (int)len); /* standard base64, with padding */
    assert_true(k > 0 && (size_t)k < n);
    size_t o = 0;
    for (int i = 0; i < k && b64[i] != '='; i++)
        out[o++] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : (char)b64[i];
    out[o] = '\0';
}

void certfix_key_line(const struct certfix *c, char *out, size_t n)
{
    char *pem = certfix_pem(c, c, CERTFIX_KEY_ONLY);
    char *l2 = strchr(pem, '\n');
    assert_non_null(l2);
    l2++;
    size_t len = strcspn(l2, "\n");
    assert_true(len >= 60 && len < n);
    memcpy(out, l2, len);
    out[len] = '\0';
    free(pem);
}

unsigned char *certfix_sign(const struct certfix *c, const void *data, size_t len, size_t *out_len)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    assert_non_null(md);
    assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, c->key), 1);
    size_t n = 0;
    assert_int_equal(EVP_DigestSign(md, NULL, &n, data, len), 1);
    unsigned char *sig = malloc(n);
    assert_non_null(sig);
    assert_int_equal(EVP_DigestSign(md, sig, &n, data, len), 1);
    EVP_MD_CTX_free(md);
    *out_len = n;
    return sig;
}
