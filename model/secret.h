/* SPDX-License-Identifier: MIT
 * model/secret.h: a secret (bearer token, client secret) held as bytes plus a length, so it
 * cannot slip into a printf "%s" by accident (style.md 7). The bytes are wiped with
 * explicit_bzero before they are freed. No I/O here: readers live in config/ and net/. */
#ifndef GPUP_MODEL_SECRET_H
#define GPUP_MODEL_SECRET_H

#include <stdbool.h>
#include <stddef.h>

#include "model/status.h"

/* Largest secret we hold (tokens are a few KiB; a bigger one is a mistake or an attack). */
#define GP_SECRET_MAX (64u * 1024u)

/* Embed it and gp_secret_init() it; pass it by pointer. The bytes are owned by the struct;
 * they are followed by one NUL byte (not counted in len) so that they may be handed to a C
 * API that wants a string, such as curl's CURLOPT_XOAUTH2_BEARER, through gp_secret_bytes(). */
struct gp_secret {
    unsigned char *bytes; /* owned; NULL when empty */
    size_t len;
};

/* An empty secret. */
void gp_secret_init(struct gp_secret *s);
/* Replaces the contents with a copy of len bytes (the old bytes are wiped first).
 * GP_E_TOO_LARGE past GP_SECRET_MAX, GP_E_NOMEM. On failure the secret is empty. */
GP_NODISCARD enum gp_status gp_secret_set(struct gp_secret *s, const void *bytes, size_t len);
/* Same, moving bytes in from a buffer the caller then wipes (e.g. a read buffer): copies,
 * then explicit_bzero()s the first len bytes of buf. */
GP_NODISCARD enum gp_status gp_secret_take(struct gp_secret *s, void *buf, size_t len);
/* Wipes and frees the bytes; the secret is empty and reusable. NULL is a no-op. */
void gp_secret_clear(struct gp_secret *s);

bool gp_secret_is_set(const struct gp_secret *s);
size_t gp_secret_len(const struct gp_secret *s);
/* The bytes (borrowed until the next set/clear), NUL-terminated; "" for an empty secret. */
const unsigned char *gp_secret_bytes(const struct gp_secret *s);

/* Compares with len bytes in time that depends only on the lengths (the emulator's token
 * check). */
bool gp_secret_equal(const struct gp_secret *s, const void *bytes, size_t len);

/* Strips trailing CR, LF, spaces and tabs (a token file ends with a newline), wiping them. */
void gp_secret_trim(struct gp_secret *s);

/* What may be shown for a secret: "(not set)" or "******** (N bytes)". Writes into dst of size
 * n and returns dst. */
char *gp_secret_mask(char *dst, size_t n, const struct gp_secret *s);

#endif
