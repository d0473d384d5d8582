/* SPDX-License-Identifier: MIT
 * model/buf.h: a growth buffer with a hard cap (curl's dynbuf). Always NUL-terminated.
 * Past its cap the buffer frees its bytes and every later append fails with GP_E_TOO_LARGE,
 * so a hostile peer cannot make us allocate without bound. */
#ifndef GPUP_MODEL_BUF_H
#define GPUP_MODEL_BUF_H

#include <stddef.h>

#include "model/status.h"

struct gp_buf {
    char *data;   /* owned; NULL until the first append; NUL-terminated when not NULL */
    size_t len;   /* bytes stored, excluding the terminator */
    size_t cap;   /* bytes allocated */
    size_t max;   /* the most len may reach */
    int overflow; /* set once the cap was passed; the buffer then stays empty */
};

/* Embeds an empty buffer that may grow to max bytes. */
void gp_buf_init(struct gp_buf *b, size_t max);
/* Frees the bytes; the buffer is empty and usable again with the same cap. */
void gp_buf_cleanup(struct gp_buf *b);
/* Empties the buffer, keeping its allocation. */
void gp_buf_reset(struct gp_buf *b);

/* Appends n bytes. GP_E_TOO_LARGE past the cap (the buffer frees itself), GP_E_NOMEM. */
GP_NODISCARD enum gp_status gp_buf_append(struct gp_buf *b, const void *data, size_t n);
GP_NODISCARD enum gp_status gp_buf_append_str(struct gp_buf *b, const char *s);
GP_NODISCARD enum gp_status gp_buf_printf(struct gp_buf *b, const char *fmt, ...) GP_PRINTF(2, 3);

/* Contents as a string: "" when empty, never NULL; borrowed until the next change. */
const char *gp_buf_str(const struct gp_buf *b);

/* Hands over the bytes (caller frees with free()); *out_len gets the length when not NULL.
 * Returns an allocated "" for an empty buffer, or NULL when out of memory. The buffer is empty
 * afterwards. */
char *gp_buf_take(struct gp_buf *b, size_t *out_len);

#endif
