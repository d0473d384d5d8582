/* SPDX-License-Identifier: MIT
 * net/auth.h: the bearer-token provider for net/arm (product.md 5, azure-local-api.md 5).
 * Sources, in this order unless one is configured: a ready token (GPUP_TOKEN or a token file),
 * the Azure CLI's login (`az account get-access-token`, run as a child watched on the loop),
 * a service principal (client secret from a file or AZURE_CLIENT_SECRET, never argv; or a
 * certificate and its key in a PEM file, signed into a client assertion by net/assertion), a
 * refresh token from an earlier device-code login, device-code login itself (only when asked
 * for with auth_login), and the managed identity of an Arc-connected machine. Tokens are
 * refreshed a few minutes before expiry, kept in memory, or in a 0600 cache file when
 * configured. Every endpoint is configurable (custom clouds, disconnected deployments).
 *
 * HTTP goes through struct auth_transport_ops, which the program wires to net/http and tests
 * fake, so this module never blocks and never touches curl. Secrets never reach argv, logs,
 * notices or error text: error messages are scrubbed of every secret this module holds.
 * Not thread-safe: runs on the one loop. */
#ifndef GPUP_NET_AUTH_H
#define GPUP_NET_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/status.h"
#include "model/token.h"
#include "net/arm.h"
#include "net/http.h"
#include "net/loop.h"

/* --- transport ----------------------------------------------------------------------------- */

struct auth_header {
    const char *name;
    const char *value; /* may be a secret (Authorization): never log it */
};

/* One request. body (POST only) may hold secrets: the transport must not log it and should
 * wipe its copies once sent. Everything is borrowed for the duration of send() only. */
struct auth_http_request {
    const char *method; /* "GET" or "POST" */
    const char *url;
    const struct auth_header *headers;
    size_t n_headers;
    const char *body; /* NULL for GET */
    size_t body_len;
};

/* What came back. Borrowed for the duration of the callback. */
struct auth_http_response {
    enum gp_status status; /* GP_OK when an HTTP answer arrived (any status code) */
    int http_status;       /* 200, 400, 401 ... ; 0 when status != GP_OK */
    const char *body;      /* may be NULL when empty */
    size_t body_len;
    const char *www_authenticate; /* WWW-Authenticate header, or NULL */
    const struct gp_error *error; /* details of a transport failure, or NULL */
};

typedef void (*auth_http_done_fn)(void *ctx, const struct auth_http_response *resp);

struct auth_transport_ops {
    /* Starts rq; on GP_OK done runs exactly once from a later loop pass (never inside send),
     * unless cancel is called first, and *out_handle identifies the request for cancel. */
    GP_NODISCARD enum gp_status (*send)(void *tctx, const struct auth_http_request *rq,
                                        auth_http_done_fn done, void *ctx, void **out_handle,
                                        struct gp_error *err);
    /* Cancels a request started by send; done is then never called. */
    void (*cancel)(void *tctx, void *handle);
};

/* --- configuration ------------------------------------------------------------------------- */

#define AUTH_METHODS(X)                                                                            \
    X(AUTH_AUTO, "auto")                                                                           \
    X(AUTH_TOKEN, "token")                                                                         \
    X(AUTH_AZURE_CLI, "azure-cli")                                                                 \
    X(AUTH_SERVICE_PRINCIPAL, "service-principal")                                                 \
    X(AUTH_DEVICE_CODE, "device-code")                                                             \
    X(AUTH_MANAGED_IDENTITY, "managed-identity")

#define AUTH_METHOD_ENUM_(id, name) id,
enum auth_method { AUTH_METHODS(AUTH_METHOD_ENUM_) AUTH_METHOD_COUNT };
#undef AUTH_METHOD_ENUM_

const char *auth_method_name(enum auth_method m);
bool auth_method_parse(const char *name, enum auth_method *out);

#define AUTH_DEFAULT_AUTHORITY "https://login.microsoftonline.com"
#define AUTH_DEFAULT_RESOURCE "https://management.azure.com/"
#define AUTH_DEFAULT_IDENTITY_ENDPOINT "http://localhost:40342/metadata/identity/oauth2/token"
#define AUTH_DEFAULT_IDENTITY_KEY_DIR "/var/opt/azcmagent/tokens"
#define AUTH_AZ_CLI_CLIENT_ID "04b07795-8ddb-461a-bbee-02f9e1bf7b46"

/* Lines for the operator: the device-code instructions, and warnings (cache not written). */
typedef void (*auth_notice_fn)(void *ctx, const char *line);
/* Wall clock in POSIX seconds (tests pass a fake one). */
typedef int64_t (*auth_clock_fn)(void *ctx);

/* All strings are copied by auth_new; NULL means the default. Environment fallbacks:
 * GPUP_TOKEN (ready token; wins over token_file), GPUP_CLIENT_SECRET or AZURE_CLIENT_SECRET,
 * AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE, IDENTITY_ENDPOINT. */
struct auth_config {
    enum auth_method method;
    const char *authority;             /* login host, default AUTH_DEFAULT_AUTHORITY */
    const char *tenant;                /* SP: required; device code: default "organizations" */
    const char *client_id;             /* SP: required; device code: default the az CLI's id */
    const char *client_secret_file;    /* SP secret file (mode 0600); else AZURE_CLIENT_SECRET */
    const char *certificate_file;      /* SP with a certificate: PEM holding the certificate and
                                          its unencrypted RSA key (mode 0600); each fetch signs a
                                          fresh client assertion. A secret file wins over it. */
    const char *client_assertion_file; /* SP with a signed JWT assertion instead of a secret
                                          (certificate or federated credential, made by another
                                          tool; mode 0600); else AZURE_FEDERATED_TOKEN_FILE */
    const char *token_file;            /* a ready token in a file (mode 0600) */
    const char *az_path;               /* the Azure CLI program, default "az"; "" disables it */
    const char *resource;              /* ARM audience, default AUTH_DEFAULT_RESOURCE */
    const char *identity_endpoint;     /* default $IDENTITY_ENDPOINT, else tried only when the
                                          method is managed-identity (then the default above) */
    const char *identity_key_dir;      /* where the Basic realm key file must be */
    const char *cache_file;            /* NULL: tokens stay in memory only */
    uint64_t az_timeout_ms;            /* default 60000 */
    auth_notice_fn notice;             /* may be NULL (then device-code login is not possible) */
    void *notice_ctx;
    auth_clock_fn clock; /* default loop_wall_time */
    void *clock_ctx;
    bool keep_dumpable; /* tests only: skip disabling core dumps */
};

/* --- the provider -------------------------------------------------------------------------- */

struct auth;

/* Creates a provider on loop l talking through ops/tctx (borrowed for its lifetime). Validates
 * the configuration (GP_E_CONFIG naming the setting). Disables core dumps for the process
 * (PR_SET_DUMPABLE 0, RLIMIT_CORE 0) unless cfg->keep_dumpable. */
GP_NODISCARD enum gp_status auth_new(struct gp_loop *l, const struct auth_transport_ops *ops,
                                     void *tctx, const struct auth_config *cfg, struct auth **out,
                                     struct gp_error *err);
/* Cancels what is running (requests, timers, the az child), wipes every secret, frees. Pending
 * callbacks are not called. NULL is a no-op. Not from inside an auth callback. */
void auth_free(struct auth *a);

/* Called with a token (st GP_OK, token borrowed for the call only: copy it into the request)
 * or a failure (token NULL, err says why in one line with no secret in it). */
typedef void (*auth_token_fn)(void *ctx, enum gp_status st, const struct gp_secret *token,
                              const struct gp_error *err);

/* Asks for a token. fn runs from a later loop pass (never inside this call): at once when the
 * token held is fresh, else after a fetch that all waiters share. GP_E_NOMEM / GP_E_BUSY (too
 * many waiters). */
GP_NODISCARD enum gp_status auth_get_token(struct auth *a, auth_token_fn fn, void *ctx);
/* Forgets the waiters registered with ctx (their callbacks will not run). */
void auth_cancel(struct auth *a, void *ctx);
/* The token held when it is fresh (no refresh due), else NULL. Borrowed until the next loop
 * pass. Lets net/arm skip a round trip. */
const struct gp_secret *auth_token_current(const struct auth *a);
/* Where the token held came from (TOKEN_SOURCE_NONE when none). */
enum token_source auth_token_source(const struct auth *a);

/* One line for status displays, never the token: "service-principal, expires in 52 min",
 * "token, expiry unknown", "no token yet". Writes into dst (size n) and returns dst. */
char *auth_describe(const struct auth *a, char *dst, size_t n);

/* Interactive login (`gpup login`): fetches a new token whatever is held, allowing device-code
 * login (its instructions go to the notice callback), and writes the cache file when one is
 * configured. fn as for auth_get_token. */
GP_NODISCARD enum gp_status auth_login(struct auth *a, auth_token_fn fn, void *ctx);

/* "Refresh once on 401": net/arm keeps one of these per request (zeroed). */
struct auth_retry {
    bool refreshed;
};
/* ARM answered 401 to a request sent with token used. The first time for r: forgets that token
 * (when it is still the one held) so the next auth_get_token fetches another, and returns
 * true: get a token and retry once. The second time: false, report the 401. */
bool auth_on_unauthorized(struct auth *a, struct auth_retry *r, const struct gp_secret *used);

/* --- wiring ------------------------------------------------------------------------------- */

/* The transport over net/http: tctx is a struct http_client * (borrowed). Content-Type of the
 * request goes to http_request.content_type, other headers as extra headers. */
extern const struct auth_transport_ops auth_http_transport_ops;

/* net/arm's token provider backed by a provider: tctx is a struct auth *. force_refresh (ARM
 * said 401) drops the token held, unless a fetch is already running, so that another is
 * fetched; a source that gives the same token again is then an error. Every request is
 * answered from a later loop pass, or at once when it cannot even be queued. Requests still
 * pending when the auth is freed are dropped unanswered: free ARM clients first. */
extern const struct arm_token_ops auth_arm_token_ops;

/* Fills the method, authority, tenant, client id, secret, certificate and token files and the
 * cache file of cfg from the effective settings (strings borrowed from eff; "" becomes NULL).
 * Other members are left as they are. */
struct settings_effective;
void auth_config_from_settings(struct auth_config *cfg, const struct settings_effective *eff);

/* Disables core dumps and ptrace-style dumping for this process (also called by auth_new).
 * GP_E_IO when the kernel refuses. */
GP_NODISCARD enum gp_status auth_protect_process(struct gp_error *err);

#endif
