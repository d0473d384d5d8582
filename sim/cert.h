/* SPDX-License-Identifier: MIT
 * sim/cert.h: the certificate a service principal registered with gpup-sim (--client-cert), and
 * the RS256 check of a client assertion against it, as Entra ID does for certificate
 * credentials: the assertion's x5t must be this certificate's thumbprint and its signature must
 * verify with its public key. libcrypto lives here; sim/tokens.c checks the claims. */
#ifndef GPUP_SIM_CERT_H
#define GPUP_SIM_CERT_H

#include <stdbool.h>
#include <stddef.h>

#include "model/status.h"

struct sim_cert;

/* Reads the first PEM certificate in path. GP_E_IO (cannot read), GP_E_INVALID (no certificate,
 * or its key is not RSA), GP_E_NOMEM; the message names the file. */
GP_NODISCARD enum gp_status sim_cert_load(const char *path, struct sim_cert **out,
                                          struct gp_error *err);
/* NULL is a no-op. */
void sim_cert_free(struct sim_cert *c);

/* base64url (no padding) of the SHA-1 of the certificate's DER: the JWT header's x5t. Borrowed
 * for the life of c. */
const char *sim_cert_x5t(const struct sim_cert *c);
/* The thumbprint as Entra prints it in errors: upper-case hex. Borrowed likewise. */
const char *sim_cert_thumbprint_hex(const struct sim_cert *c);

/* True when sig is a valid RSASSA-PKCS1-v1_5 SHA-256 signature of data by the certificate's
 * key. */
bool sim_cert_verify(const struct sim_cert *c, const void *data, size_t len,
                     const unsigned char *sig, size_t sig_len);

#endif
