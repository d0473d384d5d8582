/* SPDX-License-Identifier: MIT
 * model/text.c: string helpers and the sanitizer for server-provided text. */
#include "model/text.h"

#include <stdlib.h>
#include <string.h>

bool str_eq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

bool str_ieq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    for (;; a++, b++) {
        unsigned char ca = (unsigned char)*a, cb = (unsigned char)*b;
        if (ca >= 'A' && ca <= 'Z')
            ca = (unsigned char)(ca - 'A' + 'a');
        if (cb >= 'A' && cb <= 'Z')
            cb = (unsigned char)(cb - 'A' + 'a');
        if (ca != cb)
            return false;
        if (!ca)
            return true;
    }
}

char *text_dup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

bool text_copy(char *dst, size_t n, const char *src)
{
    if (!n)
        return false;
    size_t len = src ? strlen(src) : 0;
    bool fits = len < n;
    if (!fits)
        len = n - 1;
    if (len)
        memcpy(dst, src, len);
    dst[len] = '\0';
    return fits;
}

/* Length of the valid UTF-8 sequence at s (1..4) with its code point in *out_cp, or 0 when it
 * is not valid UTF-8 (bad lead, short, overlong, surrogate, out of range). */
static size_t utf8_decode(const unsigned char *s, unsigned *out_cp)
{
    unsigned char c = s[0];
    *out_cp = c;
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned cp;
    if ((c & 0xE0) == 0xC0) {
        len = 2;
        cp = c & 0x1Fu;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3;
        cp = c & 0x0Fu;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4;
        cp = c & 0x07u;
    } else {
        return 0;
    }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    static const unsigned min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0; /* overlong, out of range or a surrogate */
    *out_cp = cp;
    return len;
}

char *text_sanitize(char *dst, size_t n, const char *src)
{
    if (!n)
        return dst;
    size_t o = 0;
    const unsigned char *s = (const unsigned char *)(src ? src : "");
    while (*s) {
        unsigned cp;
        size_t len = utf8_decode(s, &cp);
        /* C0, DEL and C1 controls (terminals act on C1 CSI too) become one '?' each; so does
         * each byte of an invalid sequence. */
        if (len == 0 || cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) {
            if (o + 1 >= n)
                break;
            dst[o++] = '?';
            s += len ? len : 1;
            continue;
        }
        if (o + len >= n)
            break;
        memcpy(dst + o, s, len);
        o += len;
        s += len;
    }
    dst[o] = '\0';
    return dst;
}
