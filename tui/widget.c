/* SPDX-License-Identifier: MIT
 * tui/widget.c: buttons and where they were drawn, page lines with wrapping, page scrolling. */
#include "tui/widget.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/text.h"
#include "tui/draw.h"

#define WIDGET_LINE_MAX 4096 /* bytes of one line kept */

int widget_button_width(const char *label)
{
    return draw_width(label) + 4;
}

void widget_hits_reset(struct widget_hits *h)
{
    h->n = 0;
}

void widget_hits_add(struct widget_hits *h, int y, int x, int width, int id)
{
    if (h->n >= WIDGET_MAX_HITS || width <= 0 || id < 0)
        return;
    h->v[h->n].y = y;
    h->v[h->n].x = x;
    h->v[h->n].width = width;
    h->v[h->n].id = id;
    h->n++;
}

int widget_hits_take(struct widget_hits *h, int y, int x)
{
    for (int i = 0; i < h->n; i++) {
        if (h->v[i].y == y && x >= h->v[i].x && x < h->v[i].x + h->v[i].width) {
            int id = h->v[i].id;
            widget_hits_reset(h);
            return id;
        }
    }
    return -1;
}

int widget_button(WINDOW *w, struct widget_hits *hits, int id, int y, int x, const char *label,
                  bool focused, bool disabled)
{
    char text[160];
    (void)snprintf(text, sizeof(text), "[ %s ]", label);
    attr_t attr = disabled ? colors_attr(THEME_DIM) : colors_attr(THEME_TEXT);
    if (focused)
        attr = colors_attr(THEME_SELECTION) | (disabled ? A_DIM : 0);
    int width = draw_width(text);
    int room = getmaxx(w) - x;
    if (room <= 0)
        return 0;
    draw_text(w, y, x, width < room ? width : room, text, attr);
    if (hits)
        widget_hits_add(hits, y, x, width < room ? width : room, id);
    return width;
}

void widget_lines_init(struct widget_lines *l)
{
    memset(l, 0, sizeof(*l));
}

void widget_lines_cleanup(struct widget_lines *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].text);
    free(l->v);
    widget_lines_init(l);
}

enum gp_status widget_lines_add(struct widget_lines *l, enum theme_role role, const char *text)
{
    if (l->n >= WIDGET_MAX_LINES) {
        l->full = true;
        return GP_OK;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 32;
        struct widget_line *v = realloc(l->v, cap * sizeof(*v));
        if (!v)
            return GP_E_NOMEM;
        l->v = v;
        l->cap = cap;
    }
    size_t len = strlen(text) + 1;
    if (len > WIDGET_LINE_MAX)
        len = WIDGET_LINE_MAX;
    char *clean = malloc(len);
    if (!clean)
        return GP_E_NOMEM;
    text_sanitize(clean, len, text);
    l->v[l->n++] = (struct widget_line){clean, role};
    return GP_OK;
}

enum gp_status widget_lines_addf(struct widget_lines *l, enum theme_role role, const char *fmt,
                                 ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return widget_lines_add(l, role, buf);
}

/* Bytes of the first cols code points of s (up to len). */
static size_t prefix_bytes(const char *s, size_t len, int cols)
{
    size_t i = 0;
    int c = 0;
    while (i < len && c < cols) {
        i++;
        while (i < len && ((unsigned char)s[i] & 0xc0) == 0x80)
            i++;
        c++;
    }
    return i;
}

static size_t count_points(const char *s, size_t len)
{
    size_t c = 0;
    for (size_t i = 0; i < len; i++)
        c += ((unsigned char)s[i] & 0xc0) != 0x80;
    return c;
}

enum gp_status widget_lines_add_wrapped(struct widget_lines *l, enum theme_role role,
                                        const char *text, int width, int cont_indent)
{
    if (width < 16)
        width = 16;
    const char *p = text;
    while (*p) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        size_t indent = 0;
        while (indent < len && p[indent] == ' ')
            indent++;
        size_t pad = indent + (size_t)(cont_indent > 0 ? cont_indent : 0);
        if (pad > (size_t)width / 2)
            pad = (size_t)width / 2;
        size_t off = 0;
        bool first = true;
        while (first || off < len) {
            char piece[WIDGET_LINE_MAX];
            size_t used = 0;
            int room = width;
            if (!first) {
                memset(piece, ' ', pad);
                used = pad;
                room -= (int)pad;
            }
            size_t take = count_points(p + off, len - off) > (size_t)room
                              ? prefix_bytes(p + off, len - off, room)
                              : len - off;
            size_t skip = 0;
            if (off + take < len) {
                /* Break after a word when one ends in the second half of the piece. */
                for (size_t k = take; k > take / 2; k--) {
                    if (p[off + k] == ' ') {
                        take = k;
                        skip = 1;
                        break;
                    }
                }
            }
            if (used + take >= sizeof(piece))
                take = sizeof(piece) - used - 1;
            memcpy(piece + used, p + off, take);
            piece[used + take] = '\0';
            GP_TRY(widget_lines_add(l, role, piece));
            off += take + skip;
            first = false;
            if (take == 0)
                break;
        }
        p += len;
        if (*p == '\n')
            p++;
    }
    return GP_OK;
}

void widget_lines_draw(const struct widget_lines *l, WINDOW *w, int y0, int rows, int x,
                       size_t top)
{
    int cols = getmaxx(w) - x;
    for (int y = 0; y < rows; y++) {
        size_t i = top + (size_t)y;
        if (i < l->n)
            draw_text(w, y0 + y, x, cols, l->v[i].text, colors_attr(l->v[i].role));
        else
            draw_fill(w, y0 + y, x, cols, colors_attr(THEME_TEXT));
    }
}

bool widget_scroll(enum keymap_action act, size_t *top, size_t n, int rows)
{
    size_t page = rows > 1 ? (size_t)rows - 1 : 1;
    size_t shown = rows > 0 ? (size_t)rows : 1;
    size_t max = n > shown ? n - shown : 0;
    size_t t = *top;
    switch (act) {
    case ACT_UP:
        t = t ? t - 1 : 0;
        break;
    case ACT_DOWN:
        t++;
        break;
    case ACT_PGUP:
        t = t > page ? t - page : 0;
        break;
    case ACT_PGDN:
        t += page;
        break;
    case ACT_HOME:
        t = 0;
        break;
    case ACT_END:
        t = max;
        break;
    default:
        return false;
    }
    *top = t > max ? max : t;
    return true;
}

const char *widget_first_key(const struct keymap *km, enum keymap_action act, char *buf,
                             size_t n)
{
    (void)keymap_action_keys(km, act, buf, n);
    char *sp = strchr(buf, ' ');
    if (sp)
        *sp = '\0';
    return buf;
}

int widget_pad(char *dst, size_t n, const char *text, int width)
{
    int w = draw_width(text);
    int wr = snprintf(dst, n, "%s%*s", text, w < width ? width - w : 0, "");
    return wr < 0 || (size_t)wr >= n ? -1 : wr;
}
