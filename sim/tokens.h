/* SPDX-License-Identifier: MIT
 * sim/tokens.h: gpup-sim's emulation of the login endpoints (azure-local-api.md 5), so that
 * every token flow of gpup can run against the emulator: the Entra ID v2 token endpoint
 * (client credentials with a secret or a certificate's client assertion, device code, refresh
 * token), the device-code endpoint, and the Arc
 * managed identity endpoint with its Basic realm key-file challenge. It issues tokens that
 * sim_tokens_accepts() then recognises. Pure request-in / response-out: no HTTP server here,
 * the sim's router calls sim_tokens_handle() first and serves ARM when it returns false.
 * Not thread-safe: the server calls it from its one thread. */
#ifndef GPUP_SIM_TOKENS_H
#define GPUP_SIM_TOKENS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/status.h"

struct sim_tokens_config {
    const char *client_id;          /* the service principal accepted; NULL: none is */
    const char *client_secret;      /* its secret; NULL: secrets are refused */
    const char *client_cert_file;   /* its certificate (PEM; gpup-sim --client-cert): client
                                       assertions signed by its key are accepted; NULL: every
                                       assertion is refused (no key registered) */
    const char *fixed_token;        /* issue exactly this access token (gpup-sim --token); NULL:
                                       random ones */
    const char *key_dir;            /* managed identity key files go here; NULL: no MI endpoint */
    unsigned pending_polls;         /* device code: authorization_pending answers before one
                                       slow_down and then success (0 = none) */
    bool no_slow_down;              /* device code: skip the slow_down answer */
    unsigned device_interval_s;     /* device code: the polling interval announced (0 = 5) */
    int64_t token_lifetime_s;       /* default 3599 */
    int64_t device_code_lifetime_s; /* default 900 */
    int64_t (*clock)(void *ctx);    /* wall seconds; default time() */
    void *clock_ctx;
};

struct sim_tokens;

/* Copies cfg and reads the certificate. GP_E_NOMEM, GP_E_INVALID (key_dir not a directory, no
 * RSA certificate in client_cert_file), GP_E_IO (client_cert_file unreadable). */
GP_NODISCARD enum gp_status sim_tokens_new(const struct sim_tokens_config *cfg,
                                           struct sim_tokens **out, struct gp_error *err);
/* Removes the key files it wrote and frees. NULL is a no-op. */
void sim_tokens_free(struct sim_tokens *st);

/* One request as the server saw it. The getters return a query argument or a request header
 * (case-insensitive name) or NULL; both may be NULL when the server has none. With
 * libmicrohttpd: MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND / MHD_HEADER_KIND,
 * name). */
struct sim_tokens_request {
    const char *method; /* "GET", "POST" */
    const char *path;   /* without the query string: "/contoso/oauth2/v2.0/token" */
    const char *body;   /* form body of a POST, may be NULL */
    size_t body_len;
    const char *(*arg)(void *ctx, const char *name);
    const char *(*header)(void *ctx, const char *name);
    void *ctx;
};

/* The answer: always Content-Type application/json. body and www_authenticate are owned by
 * the response (free with sim_tokens_response_clear); www_authenticate is NULL unless the
 * answer is a managed identity challenge. */
struct sim_tokens_response {
    int status;
    char *body;
    char *www_authenticate;
};

/* True when rq is for a login endpoint (POST /{tenant}/oauth2/v2.0/token, POST
 * /{tenant}/oauth2/v2.0/devicecode, GET /metadata/identity/oauth2/token): *out is filled.
 * False for any other path (out untouched): the router serves it as ARM. */
bool sim_tokens_handle(struct sim_tokens *st, const struct sim_tokens_request *rq,
                       struct sim_tokens_response *out);
void sim_tokens_response_clear(struct sim_tokens_response *r);

/* True when authorization ("Bearer <token>") carries a token this emulator issued and that has
 * not expired (or the fixed token). */
bool sim_tokens_accepts(const struct sim_tokens *st, const char *authorization);

/* Test controls: the operator declines every device code waiting for sign-in. */
void sim_tokens_decline_pending(struct sim_tokens *st);
/* The user code of the newest device code, or NULL (what the operator would type). */
const char *sim_tokens_last_user_code(const struct sim_tokens *st);

#endif
