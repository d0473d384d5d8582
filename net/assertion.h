/* SPDX-License-Identifier: MIT
 * net/assertion.h: a service principal's certificate turned into a signed client assertion
 * (RFC 7523 jwt-bearer), the way MSAL and azure-identity's CertificateCredential do it: the PEM
 * holds the certificate and its unencrypted RSA private key; the JWT's header names the
 * certificate by x5t (base64url SHA-1 of its DER), its claims are aud = the token endpoint URL,
 * iss = sub = the client id, a random jti, nbf = iat = now and exp = now + 10 minutes, and it
 * is signed RS256 with OpenSSL's EVP_DigestSign. The JWT assembly itself is model/jwt.
 * No file or network I/O here (net/auth reads the file with its secret-file reader); key
 * material never reaches an error message. */
#ifndef GPUP_NET_ASSERTION_H
#define GPUP_NET_ASSERTION_H

#include <stdint.h>

#include "model/secret.h"
#include "model/status.h"

/* How long an assertion is valid (azure-identity and MSAL use 10 minutes). */
#define ASSERTION_LIFETIME_S 600

struct assertion_params {
    const char *client_id; /* iss and sub */
    const char *audience;  /* aud: the token endpoint URL the assertion is posted to */
    int64_t now;           /* POSIX seconds from the caller's clock */
};

/* Builds the signed assertion from pem (certificate and key, borrowed) into out (replaced).
 * GP_E_AUTH with one line saying what is wrong with the file (no certificate, no key, an
 * encrypted key, not RSA, a key that does not belong to the certificate); GP_E_INVALID for
 * missing parameters; GP_E_NOMEM. The PEM text is parsed from memory without copies beyond
 * OpenSSL's own key structures, which it clears when they are freed. */
GP_NODISCARD enum gp_status assertion_from_pem(const struct gp_secret *pem,
                                               const struct assertion_params *p,
                                               struct gp_secret *out, struct gp_error *err);

#endif
