/* SPDX-License-Identifier: MIT
 * sim/cert.c: a registered certificate and RS256 verification with libcrypto. */
#include "sim/cert.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "model/buf.h"
#include "model/jwt.h"
#include "model/text.h"

struct sim_cert {
    X509 *x509;
    EVP_PKEY *pub; /* owned reference */
    char x5t[64];
    char hex[2 * EVP_MAX_MD_SIZE + 1];
};

void sim_cert_free(struct sim_cert *c)
{
    if (!c)
        return;
    EVP_PKEY_free(c->pub);
    X509_free(c->x509);
    free(c);
}

enum gp_status sim_cert_load(const char *path, struct sim_cert **out, struct gp_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "r");
    if (!f)
        return gp_error_set(err, GP_E_IO, "--client-cert %s: %s", path, strerror(errno));
    struct sim_cert *c = calloc(1, sizeof(*c));
    if (!c) {
        fclose(f);
        return gp_error_set(err, GP_E_NOMEM, "out of memory");
    }
    c->x509 = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    ERR_clear_error();
    enum gp_status st = GP_OK;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned md_len = 0;
    if (!c->x509) {
        st = gp_error_set(err, GP_E_INVALID, "--client-cert %s: no PEM certificate in it", path);
    } else if (!(c->pub = X509_get_pubkey(c->x509)) || !EVP_PKEY_is_a(c->pub, "RSA")) {
        st = gp_error_set(err, GP_E_INVALID, "--client-cert %s: the certificate's key is not RSA",
                          path);
    } else if (X509_digest(c->x509, EVP_sha1(), md, &md_len) != 1) {
        st = gp_error_set(err, GP_E_NOMEM, "--client-cert %s: cannot hash it", path);
    } else {
        struct gp_buf b;
        gp_buf_init(&b, sizeof(c->x5t) - 1);
        st = jwt_base64url_append(&b, md, md_len);
        if (st == GP_OK)
            (void)text_copy(c->x5t, sizeof(c->x5t), gp_buf_str(&b)); /* 27 characters */
        gp_buf_cleanup(&b);
        if (st != GP_OK)
            gp_error_set(err, st, "out of memory");
        for (unsigned i = 0; i < md_len; i++)
            snprintf(c->hex + 2 * i, 3, "%02X", md[i]);
    }
    ERR_clear_error();
    if (st != GP_OK) {
        sim_cert_free(c);
        return st;
    }
    *out = c;
    return GP_OK;
}

const char *sim_cert_x5t(const struct sim_cert *c)
{
    return c->x5t;
}

const char *sim_cert_thumbprint_hex(const struct sim_cert *c)
{
    return c->hex;
}

bool sim_cert_verify(const struct sim_cert *c, const void *data, size_t len,
                     const unsigned char *sig, size_t sig_len)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    bool ok = md && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, c->pub) == 1 &&
              EVP_DigestVerify(md, sig, sig_len, data, len) == 1;
    EVP_MD_CTX_free(md);
    ERR_clear_error();
    return ok;
}
