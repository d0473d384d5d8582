/* SPDX-License-Identifier: MIT
 * model/token.h: bearer tokens for the ARM audience as data: parsing what the login endpoints,
 * the Arc managed identity endpoint and the Azure CLI answer (azure-local-api.md 5), OAuth
 * error bodies turned into one clear line, the device-code answer, the refresh decision, the
 * form encoding of token requests and the 0600 cache file's JSON. Pure: no I/O, time passed
 * in. Every token lives in a struct gp_secret (model/secret.h), wiped before it is freed
 * (style.md 7). */
#ifndef GPUP_MODEL_TOKEN_H
#define GPUP_MODEL_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/buf.h"
#include "model/secret.h"
#include "model/status.h"

/* The bytes as a C string for APIs that need one ("" when empty); borrowed, never to be
 * printed. */
const char *token_secret_str(const struct gp_secret *s);
/* Constant-time-ish equality of two secrets (both empty: true). */
bool token_secret_equal(const struct gp_secret *a, const struct gp_secret *b);
/* Wipes a plain buffer (explicit_bzero), then frees it. NULL-safe. */
void token_wipe_free(char *p, size_t len);

/* Where a token came from. */
#define TOKEN_SOURCES(X)                                                                           \
    X(TOKEN_SOURCE_NONE, "none")                                                                   \
    X(TOKEN_SOURCE_STATIC, "token")                                                                \
    X(TOKEN_SOURCE_AZ_CLI, "azure-cli")                                                            \
    X(TOKEN_SOURCE_SERVICE_PRINCIPAL, "service-principal")                                         \
    X(TOKEN_SOURCE_DEVICE_CODE, "device-code")                                                     \
    X(TOKEN_SOURCE_MANAGED_IDENTITY, "managed-identity")                                           \
    X(TOKEN_SOURCE_CACHE, "cache")

#define TOKEN_SOURCE_ENUM_(id, name) id,
enum token_source { TOKEN_SOURCES(TOKEN_SOURCE_ENUM_) TOKEN_SOURCE_COUNT };
#undef TOKEN_SOURCE_ENUM_

/* Name of a source ("azure-cli"); never NULL. */
const char *token_source_name(enum token_source s);
/* Parses a source name; false when unknown. */
bool token_source_parse(const char *name, enum token_source *out);

/* A bearer token and what is known about it. Owns its secrets: token_clear() wipes them. */
struct token {
    struct gp_secret access;  /* the bearer token */
    struct gp_secret refresh; /* refresh token (device code with offline_access), or empty */
    int64_t expires_on;       /* POSIX seconds; 0 when unknown (a ready token) */
    char token_type[16];      /* "Bearer" */
    char subscription[64];    /* az CLI only, or "" */
    char tenant[64];          /* az CLI only, or "" */
    enum token_source source;
};

/* Wipes and resets t to an empty token. */
void token_clear(struct token *t);
/* Moves src into dst (dst cleared first); src is empty afterwards. */
void token_move(struct token *dst, struct token *src);

/* Caps on what we accept from a login endpoint. */
#define TOKEN_BODY_MAX (64u * 1024u)
#define TOKEN_REFRESH_MARGIN_S 300 /* refresh this long before expiry */

/* v2 token endpoint answer {token_type, expires_in, access_token[, refresh_token]}. now is the
 * wall clock (POSIX seconds) used to turn expires_in into expires_on. GP_E_PARSE naming the
 * missing field's path. */
GP_NODISCARD enum gp_status token_parse_v2(const char *body, size_t len, int64_t now,
                                           struct token *out, struct gp_error *err);

/* Managed identity answer {access_token, expires_on (string or number), token_type}; falls
 * back to expires_in when expires_on is missing. */
GP_NODISCARD enum gp_status token_parse_managed_identity(const char *body, size_t len, int64_t now,
                                                         struct token *out, struct gp_error *err);

/* `az account get-access-token -o json` output {accessToken, expires_on | expiresOn,
 * subscription, tenant, tokenType}. expiresOn ("2026-11-25 10:00:00.000000") is local time. */
GP_NODISCARD enum gp_status token_parse_az_cli(const char *body, size_t len, struct token *out,
                                               struct gp_error *err);

/* A ready token (GPUP_TOKEN or a token file): surrounding white space is trimmed; empty, or
 * containing control characters or spaces, is GP_E_INVALID. Expiry unknown. */
GP_NODISCARD enum gp_status token_from_text(const char *text, size_t len, enum token_source src,
                                            struct token *out, struct gp_error *err);

/* The device-code answer. device_code can be redeemed for a token: it is a secret. */
struct token_device_code {
    struct gp_secret device_code;
    char user_code[32];
    char verification_uri[256];
    char message[512];  /* sanitized, shown to the operator */
    int64_t expires_in; /* seconds */
    int64_t interval;   /* seconds between polls, at least 1 (default 5) */
};
GP_NODISCARD enum gp_status token_parse_device_code(const char *body, size_t len,
                                                    struct token_device_code *out,
                                                    struct gp_error *err);
void token_device_code_clear(struct token_device_code *dc);

/* The OAuth errors a login flow reacts to. */
#define TOKEN_OAUTH_ERRORS(X)                                                                      \
    X(TOKEN_OAUTH_OTHER, "")                                                                       \
    X(TOKEN_OAUTH_AUTHORIZATION_PENDING, "authorization_pending")                                  \
    X(TOKEN_OAUTH_SLOW_DOWN, "slow_down")                                                          \
    X(TOKEN_OAUTH_AUTHORIZATION_DECLINED, "authorization_declined")                                \
    X(TOKEN_OAUTH_EXPIRED_TOKEN, "expired_token")                                                  \
    X(TOKEN_OAUTH_BAD_VERIFICATION_CODE, "bad_verification_code")                                  \
    X(TOKEN_OAUTH_INVALID_CLIENT, "invalid_client")                                                \
    X(TOKEN_OAUTH_INVALID_GRANT, "invalid_grant")                                                  \
    X(TOKEN_OAUTH_INVALID_REQUEST, "invalid_request")                                              \
    X(TOKEN_OAUTH_UNAUTHORIZED_CLIENT, "unauthorized_client")                                      \
    X(TOKEN_OAUTH_INVALID_SCOPE, "invalid_scope")

#define TOKEN_OAUTH_ENUM_(id, name) id,
enum token_oauth_error { TOKEN_OAUTH_ERRORS(TOKEN_OAUTH_ENUM_) TOKEN_OAUTH_COUNT };
#undef TOKEN_OAUTH_ENUM_

/* The wire name of an OAuth error ("slow_down"; "" for OTHER). */
const char *token_oauth_error_name(enum token_oauth_error e);

/* Reads a failed login answer {error, error_description, error_codes[], trace_id,
 * correlation_id} into err: status GP_E_AUTH, http_status, code = error, request_id = trace_id,
 * correlation_id, message "login failed: <first line of error_description> (<error>, trace id
 * <id>)", sanitized. A body that is not such JSON still gives a clear line with the HTTP
 * status. what names the flow ("service principal"). Returns the error kind for the caller's
 * decision (pending / slow_down / stop). */
enum token_oauth_error token_parse_oauth_error(const char *body, size_t len, int http_status,
                                               const char *what, struct gp_error *err);

/* True when t should be replaced: no token, or expiry known and within margin_s of now. */
bool token_needs_refresh(const struct token *t, int64_t now, int64_t margin_s);
/* True when t's expiry is known and has passed. */
bool token_expired(const struct token *t, int64_t now);

/* Appends "name=value" (with '&' when b is not empty), percent-encoded for
 * application/x-www-form-urlencoded. The buffer may then hold a secret: wipe it. */
GP_NODISCARD enum gp_status token_form_add(struct gp_buf *b, const char *name, const char *value,
                                           size_t value_len);

/* Parses "Basic realm=<path>" (quoted or not) of a WWW-Authenticate header into path.
 * GP_E_AUTH when the header is missing or not a Basic challenge with a realm. */
GP_NODISCARD enum gp_status token_parse_basic_realm(const char *header, char *path, size_t n,
                                                    struct gp_error *err);

/* The cache file's JSON: {source, access_token, refresh_token, expires_on, tenant, client_id}.
 * token_cache_to_json writes into *out (allocated, caller wipes with token_wipe_free). */
GP_NODISCARD enum gp_status token_cache_to_json(const struct token *t, const char *client_id,
                                                char **out, size_t *out_len, struct gp_error *err);
GP_NODISCARD enum gp_status token_cache_from_json(const char *body, size_t len, struct token *out,
                                                  char *client_id, size_t client_id_n,
                                                  struct gp_error *err);

#endif
