/* SPDX-License-Identifier: MIT
 * model/status.c: names of result codes and the formatting of struct gp_error. */
#include "model/status.h"

#include <stdio.h>
#include <string.h>

#define GP_STATUS_NAME_(id, name) [id] = name,
static const char *const status_names[GP_STATUS_COUNT] = {GP_STATUSES(GP_STATUS_NAME_)};
#undef GP_STATUS_NAME_

const char *gp_status_name(enum gp_status st)
{
    if ((unsigned)st >= GP_STATUS_COUNT)
        return "unknown status";
    return status_names[st];
}

void gp_error_clear(struct gp_error *err)
{
    if (!err)
        return;
    memset(err, 0, sizeof(*err));
    err->retry_after_ms = -1;
}

enum gp_status gp_error_set(struct gp_error *err, enum gp_status st, const char *fmt, ...)
{
    if (!err)
        return st;
    err->status = st;
    va_list ap;
    va_start(ap, fmt);
    /* Truncation is acceptable for a one-line message; the buffer is always terminated. */
    (void)vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return st;
}

void gp_error_prefix(struct gp_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    char prefix[256];
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    /* Build "prefix: message" by hand: the result is cut to the buffer, prefix first. */
    char joined[sizeof(err->message)];
    size_t cap = sizeof(joined) - 1, n = strlen(prefix);
    if (n > cap)
        n = cap;
    memcpy(joined, prefix, n);
    if (err->message[0]) {
        static const char sep[] = ": ";
        for (size_t i = 0; i < 2 && n < cap; i++)
            joined[n++] = sep[i];
        size_t m = strlen(err->message);
        if (m > cap - n)
            m = cap - n;
        memcpy(joined + n, err->message, m);
        n += m;
    }
    joined[n] = '\0';
    memcpy(err->message, joined, n + 1);
}
