/* SPDX-License-Identifier: MIT
 * tests/support/certfix.h: throwaway service principal certificates for the certificate
 * sign-in tests, made at run time with libcrypto (no openssl program needed): an RSA key and a
 * self-signed certificate for it, written as PEM in the combinations the tests need (the
 * certificate of one key with another key, an encrypted key, an EC key). Failures are cmocka
 * failures of the running test. */
#ifndef GPUP_TESTS_CERTFIX_H
#define GPUP_TESTS_CERTFIX_H

#include <stddef.h>
#include <sys/types.h>

/* An RSA key and its self-signed certificate. */
struct certfix {
    void *key;  /* EVP_PKEY * */
    void *cert; /* X509 * */
};

/* A fresh 2048-bit RSA key and a certificate for it valid from an hour ago for a day. */
void certfix_new(struct certfix *c);
/* An EC (P-256) key with a certificate: not usable for RS256. */
void certfix_new_ec(struct certfix *c);
void certfix_free(struct certfix *c);

/* What certfix_pem writes. */
enum certfix_parts {
    CERTFIX_CERT_THEN_KEY,
    CERTFIX_KEY_THEN_CERT,
    CERTFIX_CERT_ONLY,
    CERTFIX_KEY_ONLY,
    CERTFIX_CERT_THEN_ENCRYPTED_KEY, /* PKCS#8 with AES-256-CBC, passphrase "pw" */
};

/* PEM text of cert_of's certificate and key_of's private key, as parts says (malloc'd,
 * NUL-terminated; the caller frees). */
char *certfix_pem(const struct certfix *cert_of, const struct certfix *key_of,
                  enum certfix_parts parts);
/* The same, written to path with mode (created or truncated). */
void certfix_write(const char *path, mode_t mode, const struct certfix *cert_of,
                   const struct certfix *key_of, enum certfix_parts parts);

/* base64url (no padding) SHA-1 of the certificate's DER, computed here independently of gpup;
 * out needs 28 bytes. */
void certfix_x5t(const struct certfix *c, char *out, size_t n);

/* The second line of the private key's PEM (64 base64 characters of key material), for
 * asserting that the key never shows up in an output. out needs 65 bytes. */
void certfix_key_line(const struct certfix *c, char *out, size_t n);

/* RS256 signature of data with c's key (malloc'd; *out_len its length). */
unsigned char *certfix_sign(const struct certfix *c, const void *data, size_t len, size_t *out_len);

#endif
