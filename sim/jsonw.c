/* SPDX-License-Identifier: MIT
 * sim/jsonw.c: JSON string escaping (RFC 8259 section 7) into a capped buffer. */
#include "sim/jsonw.h"

#include <stdio.h>
#include <string.h>

enum gp_status jsonw_string(struct gp_buf *b, const char *s)
{
    if (!s)
        return gp_buf_append(b, "null", 4);
    GP_TRY(gp_buf_append(b, "\"", 1));
    const char *run = s;
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        GP_TRY(gp_buf_append(b, run, (size_t)(p - run)));
        run = p + 1;
        switch (c) {
        case '"':
            GP_TRY(gp_buf_append(b, "\\\"", 2));
            break;
        case '\\':
            GP_TRY(gp_buf_append(b, "\\\\", 2));
            break;
        case '\n':
            GP_TRY(gp_buf_append(b, "\\n", 2));
            break;
        case '\r':
            GP_TRY(gp_buf_append(b, "\\r", 2));
            break;
        case '\t':
            GP_TRY(gp_buf_append(b, "\\t", 2));
            break;
        default:
            GP_TRY(gp_buf_printf(b, "\\u%04x", c));
            break;
        }
    }
    GP_TRY(gp_buf_append(b, run, strlen(run)));
    return gp_buf_append(b, "\"", 1);
}

enum gp_status jsonw_member(struct gp_buf *b, const char *key, const char *s)
{
    GP_TRY(jsonw_string(b, key));
    GP_TRY(gp_buf_append(b, ":", 1));
    return jsonw_string(b, s);
}
