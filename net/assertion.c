/* SPDX-License-Identifier: MIT
 * net/assertion.c: the certificate client assertion, signed with libcrypto. The PEM is read
 * from memory (two read-only BIOs over the caller's bytes); OpenSSL skips PEM blocks of other
 * kinds, so certificate and key may come in either order, as azure-identity accepts them. */
#include "net/assertion.h"

#include <limits.h>
#include <stdbool.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "model/buf.h"
#include "model/jwt.h"

/* Called by OpenSSL only for an encrypted key: we never prompt (gpup may run unattended, and a
 * passphrase would have to come from somewhere safer than a terminal prompt in a library). */
static int refuse_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    *(bool *)u = true;
    return -1;
}

static void buf_wipe(struct gp_buf *b)
{
    if (b->data)
        explicit_bzero(b->data, b->cap);
    gp_buf_cleanup(b);
}

enum gp_status assertion_from_pem(const struct gp_secret *pem, const struct assertion_params *p,
                                  struct gp_secret *out, struct gp_error *err)
{
    if (!p || !p->client_id || !p->client_id[0] || !p->audience || !p->audience[0])
        return gp_error_set(err, GP_E_INVALID, "no client id or token URL");
    if (!gp_secret_is_set(pem) || pem->len > INT_MAX)
        return gp_error_set(err, GP_E_AUTH, "the file is empty");
    enum gp_status st = GP_OK;
    X509 *cert = NULL;
    EVP_PKEY *key = NULL;
    EVP_MD_CTX *md = NULL;
    unsigned char *sig = NULL;
    size_t sig_len = 0;
    bool encrypted = false;
    unsigned char thumb[EVP_MAX_MD_SIZE];
    unsigned thumb_len = 0;
    unsigned char rnd[16];
    char jti[37];
    struct gp_buf jwt;
    gp_buf_init(&jwt, JWT_MAX);

    BIO *bio = BIO_new_mem_buf(gp_secret_bytes(pem), (int)pem->len);
    if (!bio) {
        st = gp_error_set(err, GP_E_NOMEM, "out of memory");
        goto fail;
    }
    cert = PEM_read_bio_X509(bio, NULL, refuse_passphrase, &(bool){false});
    BIO_free(bio);
    if (!cert) {
        st = gp_error_set(err, GP_E_AUTH, "no PEM certificate (BEGIN CERTIFICATE) in the file");
        goto fail;
    }
    bio = BIO_new_mem_buf(gp_secret_bytes(pem), (int)pem->len);
    if (!bio) {
        st = gp_error_set(err, GP_E_NOMEM, "out of memory");
        goto fail;
    }
    key = PEM_read_bio_PrivateKey(bio, NULL, refuse_passphrase, &encrypted);
    BIO_free(bio);
    if (!key) {
        st = gp_error_set(err, GP_E_AUTH, "%s",
                          encrypted ? "the private key is encrypted; gpup needs an "
                                      "unencrypted key in a file only you can read (mode 0600)"
                                    : "no PEM private key (BEGIN PRIVATE KEY or "
                                      "BEGIN RSA PRIVATE KEY) in the file");
        goto fail;
    }
    if (!EVP_PKEY_is_a(key, "RSA")) {
        st = gp_error_set(err, GP_E_AUTH, "the private key is not an RSA key (RS256 needs RSA)");
        goto fail;
    }
    if (X509_check_private_key(cert, key) != 1) {
        st = gp_error_set(err, GP_E_AUTH,
                          "the private key in the file does not belong to its "
                          "certificate");
        goto fail;
    }

    if (X509_digest(cert, EVP_sha1(), thumb, &thumb_len) != 1 ||
        RAND_bytes(rnd, (int)sizeof(rnd)) != 1) {
        st = gp_error_set(err, GP_E_NOMEM,
                          "cannot hash the certificate or draw "
                          "random bytes");
        goto fail;
    }
    jwt_uuid_v4(rnd, jti);
    struct jwt_claims claims = {
        .aud = p->audience,
        .iss = p->client_id,
        .sub = p->client_id,
        .jti = jti,
        .nbf = p->now,
        .iat = p->now,
        .exp = p->now + ASSERTION_LIFETIME_S,
    };
    st = jwt_signing_input(&jwt, thumb, thumb_len, &claims);
    if (st != GP_OK) {
        st = gp_error_set(err, st, "cannot build the assertion: %s", gp_status_name(st));
        goto fail;
    }
    md = EVP_MD_CTX_new();
    if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
        EVP_DigestSign(md, NULL, &sig_len, (const unsigned char *)jwt.data, jwt.len) != 1 ||
        !(sig = OPENSSL_malloc(sig_len)) ||
        EVP_DigestSign(md, sig, &sig_len, (const unsigned char *)jwt.data, jwt.len) != 1) {
        st = gp_error_set(err, GP_E_AUTH, "signing the assertion failed");
        goto fail;
    }
    st = jwt_append_signature(&jwt, sig, sig_len);
    if (st == GP_OK)
        st = gp_secret_set(out, jwt.data, jwt.len);
    if (st != GP_OK)
        gp_error_set(err, st, "cannot build the assertion: %s", gp_status_name(st));

fail:
    /* OpenSSL's messages may quote the input; none of them goes anywhere, and none is left
     * queued for whoever uses libcrypto next (curl). */
    ERR_clear_error();
    OPENSSL_free(sig);
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(key); /* RSA private parts are BN_clear_free'd */
    X509_free(cert);
    buf_wipe(&jwt);
    return st;
}
