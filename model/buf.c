/* SPDX-License-Identifier: MIT
 * model/buf.c: capped growth buffer. */
#include "model/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void gp_buf_init(struct gp_buf *b, size_t max)
{
    memset(b, 0, sizeof(*b));
    b->max = max;
}

void gp_buf_cleanup(struct gp_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->overflow = 0;
}

void gp_buf_reset(struct gp_buf *b)
{
    b->len = 0;
    b->overflow = 0;
    if (b->data)
        b->data[0] = '\0';
}

enum gp_status gp_buf_append(struct gp_buf *b, const void *data, size_t n)
{
    if (b->overflow)
        return GP_E_TOO_LARGE;
    if (n > b->max - b->len) {
        gp_buf_cleanup(b);
        b->overflow = 1;
        return GP_E_TOO_LARGE;
    }
    size_t need = b->len + n + 1;
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < need)
            cap *= 2;
        if (cap > b->max + 1)
            cap = b->max + 1;
        char *p = realloc(b->data, cap);
        if (!p)
            return GP_E_NOMEM;
        b->data = p;
        b->cap = cap;
    }
    if (n)
        memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
    return GP_OK;
}

enum gp_status gp_buf_append_str(struct gp_buf *b, const char *s)
{
    return gp_buf_append(b, s, strlen(s));
}

enum gp_status gp_buf_printf(struct gp_buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return GP_E_INVALID;
    if ((size_t)n < sizeof(small))
        return gp_buf_append(b, small, (size_t)n);
    char *big = malloc((size_t)n + 1);
    if (!big)
        return GP_E_NOMEM;
    va_start(ap, fmt);
    (void)vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    enum gp_status st = gp_buf_append(b, big, (size_t)n);
    free(big);
    return st;
}

const char *gp_buf_str(const struct gp_buf *b)
{
    return b->data ? b->data : "";
}

char *gp_buf_take(struct gp_buf *b, size_t *out_len)
{
    char *p = b->data;
    size_t len = b->len;
    if (!p) {
        p = calloc(1, 1);
        len = 0;
    }
    b->data = NULL;
    b->len = b->cap = 0;
    b->overflow = 0;
    if (out_len)
        *out_len = len;
    return p;
}
