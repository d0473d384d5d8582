/* SPDX-License-Identifier: MIT
 * model/jwt.h: the JSON Web Token pieces of a certificate client assertion (RFC 7523, as MSAL
 * and azure-identity's CertificateCredential make it): base64url without padding, the header
 * {"alg":"RS256","typ":"JWT","x5t":...} and claims {aud, iss, sub, jti, nbf, iat, exp} put
 * together into the signing input, the signature appended, a v4 UUID from random bytes, and
 * the reverse (an assertion split and decoded) for gpup-sim's verifier. Pure: no I/O, no clock,
 * no randomness and no cryptography here; the signing and hashing live in net/assertion, the
 * verifying in sim/assertion. */
#ifndef GPUP_MODEL_JWT_H
#define GPUP_MODEL_JWT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/buf.h"
#include "model/status.h"

/* Largest assertion either side handles (an RS256 one with a 4096-bit key is under 1 KiB). */
#define JWT_MAX (16u * 1024u)
/* Largest signature kept by jwt_parse (RSA 8192). */
#define JWT_SIG_MAX 1024u

/* Appends len bytes of data as base64url (RFC 4648 section 5) without '=' padding.
 * GP_E_TOO_LARGE past b's cap, GP_E_NOMEM. */
GP_NODISCARD enum gp_status jwt_base64url_append(struct gp_buf *b, const void *data, size_t len);

/* Decodes len characters of base64url (padding optional) into out (cap bytes).
 * GP_E_INVALID for a character outside the alphabet or an impossible length, GP_E_TOO_LARGE
 * when out is too small. */
GP_NODISCARD enum gp_status jwt_base64url_decode(const char *s, size_t len, unsigned char *out,
                                                 size_t cap, size_t *out_len);

/* The claims of a client assertion; strings borrowed for the call. */
struct jwt_claims {
    const char *aud; /* the token endpoint URL */
    const char *iss; /* the client id */
    const char *sub; /* the client id */
    const char *jti; /* a fresh UUID */
    int64_t nbf;
    int64_t iat;
    int64_t exp;
};

/* Appends the signing input "base64url(header).base64url(claims)" to out. The header is
 * {"alg":"RS256","typ":"JWT","x5t":base64url(thumbprint)}; thumbprint is the SHA-1 of the
 * certificate's DER (20 bytes). GP_E_INVALID (a NULL claim), GP_E_NOMEM, GP_E_TOO_LARGE. */
GP_NODISCARD enum gp_status jwt_signing_input(struct gp_buf *out, const unsigned char *thumbprint,
                                              size_t thumbprint_len, const struct jwt_claims *c);

/* Appends ".base64url(signature)" to a signing input, completing the token. */
GP_NODISCARD enum gp_status jwt_append_signature(struct gp_buf *ref_token, const unsigned char *sig,
                                                 size_t sig_len);

/* Formats 16 random bytes as a version 4, variant 1 UUID ("xxxxxxxx-xxxx-4xxx-[89ab]xxx-
 * xxxxxxxxxxxx", lower case) into out. */
void jwt_uuid_v4(const unsigned char rnd[16], char out[37]);

/* An assertion taken apart (gpup-sim's token endpoint). Strings are NUL-terminated copies,
 * cut to their size (a longer value then fails the comparison it is used in). */
struct jwt_parsed {
    char alg[16];
    char typ[16];
    char x5t[64];
    char aud[512];
    char iss[128];
    char sub[128];
    char jti[64];
    int64_t nbf, iat, exp;
    bool has_nbf, has_iat;
    size_t signing_len; /* the signing input is the token's first signing_len bytes */
    unsigned char sig[JWT_SIG_MAX];
    size_t sig_len;
};

/* Splits token (len bytes, three base64url parts), decodes header and claims. alg, aud, iss,
 * sub and exp are required; a missing one is GP_E_INVALID naming it; a malformed token
 * GP_E_INVALID / GP_E_PARSE with a line saying which part; GP_E_TOO_LARGE past JWT_MAX. */
GP_NODISCARD enum gp_status jwt_parse(const char *token, size_t len, struct jwt_parsed *out,
                                      struct gp_error *err);

#endif
