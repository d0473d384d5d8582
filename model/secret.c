/* SPDX-License-Identifier: MIT
 * model/secret.c: secrets as bytes plus length, wiped before free. */
#include "model/secret.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void gp_secret_init(struct gp_secret *s)
{
    s->bytes = NULL;
    s->len = 0;
}

void gp_secret_clear(struct gp_secret *s)
{
    if (!s)
        return;
    if (s->bytes) {
        explicit_bzero(s->bytes, s->len + 1);
        free(s->bytes);
    }
    s->bytes = NULL;
    s->len = 0;
}

enum gp_status gp_secret_set(struct gp_secret *s, const void *bytes, size_t len)
{
    gp_secret_clear(s);
    if (len > GP_SECRET_MAX)
        return GP_E_TOO_LARGE;
    unsigned char *p = malloc(len + 1);
    if (!p)
        return GP_E_NOMEM;
    if (len)
        memcpy(p, bytes, len);
    p[len] = '\0';
    s->bytes = p;
    s->len = len;
    return GP_OK;
}

enum gp_status gp_secret_take(struct gp_secret *s, void *buf, size_t len)
{
    enum gp_status st = gp_secret_set(s, buf, len);
    if (buf && len)
        explicit_bzero(buf, len);
    return st;
}

bool gp_secret_is_set(const struct gp_secret *s)
{
    return s && s->bytes && s->len > 0;
}

size_t gp_secret_len(const struct gp_secret *s)
{
    return s && s->bytes ? s->len : 0;
}

const unsigned char *gp_secret_bytes(const struct gp_secret *s)
{
    static const unsigned char empty[1] = {0};
    return s && s->bytes ? s->bytes : empty;
}

bool gp_secret_equal(const struct gp_secret *s, const void *bytes, size_t len)
{
    size_t have = gp_secret_len(s);
    const unsigned char *a = gp_secret_bytes(s);
    const unsigned char *b = bytes;
    unsigned diff = have != len;
    /* Walk the candidate's length whatever happens, comparing against our bytes cyclically,
     * so the time does not reveal how long a matching prefix is. */
    for (size_t i = 0; i < len; i++)
        diff |= (unsigned)(b[i] ^ (have ? a[i % have] : 0u));
    return diff == 0;
}

void gp_secret_trim(struct gp_secret *s)
{
    if (!s || !s->bytes)
        return;
    while (s->len > 0) {
        unsigned char c = s->bytes[s->len - 1];
        if (c != '\n' && c != '\r' && c != ' ' && c != '\t')
            break;
        s->bytes[--s->len] = '\0';
    }
}

char *gp_secret_mask(char *dst, size_t n, const struct gp_secret *s)
{
    if (n == 0)
        return dst;
    if (!gp_secret_is_set(s))
        snprintf(dst, n, "(not set)");
    else
        snprintf(dst, n, "******** (%zu bytes)", s->len);
    return dst;
}
