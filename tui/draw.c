/* SPDX-License-Identifier: MIT
 * tui/draw.c: column-exact text drawing. */
#include "tui/draw.h"

#include <stdbool.h>
#include <string.h>
#include <wchar.h>

#include "tui/term.h"

#define DRAW_MAX 512 /* characters drawn per call (a line is never wider) */

/* Decodes text into wide characters; widths[i] the columns of out[i]. Returns the count. */
static size_t decode(const char *text, wchar_t *out, int *widths, size_t max)
{
    mbstate_t st;
    memset(&st, 0, sizeof(st));
    size_t n = 0, len = strlen(text);
    const char *p = text;
    while (len > 0 && n < max) {
        wchar_t wc;
        size_t r = mbrtowc(&wc, p, len, &st);
        if (r == (size_t)-1 || r == (size_t)-2) {
            memset(&st, 0, sizeof(st));
            wc = L'?';
            r = 1;
        } else if (r == 0) {
            break;
        }
        int cw = wcwidth(wc);
        if (cw < 0) {
            wc = L'?';
            cw = 1;
        }
        out[n] = wc;
        widths[n] = cw;
        n++;
        p += r;
        len -= r;
    }
    return n;
}

int draw_width(const char *text)
{
    wchar_t wc[DRAW_MAX];
    int w[DRAW_MAX];
    size_t n = decode(text, wc, w, DRAW_MAX);
    int total = 0;
    for (size_t i = 0; i < n; i++)
        total += w[i];
    return total;
}

/* Fits text into width columns; returns the number of wide characters to draw from buf
 * (the ellipsis replacing the tail when cut) and the columns they take. */
static size_t fit(const char *text, int width, wchar_t *buf, int *out_cols)
{
    int w[DRAW_MAX];
    size_t n = decode(text, buf, w, DRAW_MAX - 1);
    int total = 0;
    for (size_t i = 0; i < n; i++)
        total += w[i];
    if (total <= width) {
        *out_cols = total;
        return n;
    }
    /* Cut: keep what fits in width - 1, then the ellipsis. */
    wchar_t ell = tui_utf8() ? 0x2026 : L'~';
    int used = 0;
    size_t k = 0;
    while (k < n && used + w[k] <= width - 1)
        used += w[k++];
    if (width >= 1) {
        buf[k++] = ell;
        used++;
    }
    *out_cols = used;
    return k;
}

/* text fitted into width columns at (y, x), padded with spaces after it or, with right, before
 * it. Returns the columns the text took. */
static int draw_fitted(WINDOW *w, int y, int x, int width, const char *text, attr_t attr,
                       bool right)
{
    if (width <= 0)
        return 0;
    wchar_t buf[DRAW_MAX];
    int cols = 0;
    size_t n = fit(text ? text : "", width, buf, &cols);
    wattrset(w, (int)attr);
    wmove(w, y, x);
    for (int i = cols; right && i < width; i++)
        waddch(w, ' ');
    if (n)
        waddnwstr(w, buf, (int)n);
    for (int i = cols; !right && i < width; i++)
        waddch(w, ' ');
    wattrset(w, A_NORMAL);
    return cols;
}

int draw_text(WINDOW *w, int y, int x, int width, const char *text, attr_t attr)
{
    return draw_fitted(w, y, x, width, text, attr, false);
}

int draw_text_right(WINDOW *w, int y, int x, int width, const char *text, attr_t attr)
{
    return draw_fitted(w, y, x, width, text, attr, true);
}

void draw_fill(WINDOW *w, int y, int x, int width, attr_t attr)
{
    wattrset(w, (int)attr);
    wmove(w, y, x);
    for (int i = 0; i < width; i++)
        waddch(w, ' ');
    wattrset(w, A_NORMAL);
}
