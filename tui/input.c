/* SPDX-License-Identifier: MIT
 * tui/input.c: the one-line text field. */
#include "tui/input.h"

#include <string.h>
#include <wchar.h>

#include "model/keymap.h"
#include "tui/draw.h"

/* Length of the UTF-8 sequence starting at p (1 for a stray byte), and its code point. */
static size_t utf8_decode(const char *p, size_t avail, unsigned *out_cp)
{
    const unsigned char *s = (const unsigned char *)p;
    unsigned c = s[0];
    size_t n;
    unsigned cp;
    if (c < 0x80) {
        *out_cp = c;
        return 1;
    } else if ((c & 0xe0) == 0xc0) {
        n = 2;
        cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
        n = 3;
        cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
        n = 4;
        cp = c & 0x07;
    } else {
        *out_cp = 0xfffd;
        return 1;
    }
    if (n > avail) {
        *out_cp = 0xfffd;
        return 1;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            *out_cp = 0xfffd;
            return 1;
        }
        cp = (cp << 6) | (s[i] & 0x3fu);
    }
    /* Overlong forms, surrogates and values past Unicode are invalid. */
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) {
        *out_cp = 0xfffd;
        return 1;
    }
    *out_cp = cp;
    return n;
}

static size_t utf8_encode(unsigned cp, char out[4])
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* A character that may be stored: printable, not a surrogate, within Unicode. */
static bool storable(unsigned cp)
{
    if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
        return false;
    if (cp >= 0xd800 && cp <= 0xdfff)
        return false;
    if (cp == 0xfffd || cp > 0x10ffff)
        return false;
    /* Bidi controls could reorder what the operator sees. */
    if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
        return false;
    return true;
}

static size_t prev_boundary(const struct input *in, size_t pos)
{
    if (pos == 0)
        return 0;
    pos--;
    while (pos > 0 && ((unsigned char)in->text[pos] & 0xc0) == 0x80)
        pos--;
    return pos;
}

static size_t next_boundary(const struct input *in, size_t pos)
{
    if (pos >= in->len)
        return in->len;
    unsigned cp;
    return pos + utf8_decode(in->text + pos, in->len - pos, &cp);
}

static size_t chars_between(const struct input *in, size_t from, size_t to)
{
    size_t n = 0;
    while (from < to) {
        from = next_boundary(in, from);
        n++;
    }
    return n;
}

void input_init(struct input *in, size_t max_chars)
{
    memset(in, 0, sizeof(*in));
    if (max_chars == 0 || max_chars > INPUT_MAX_BYTES)
        max_chars = INPUT_MAX_BYTES; /* the byte cap still applies */
    in->max_chars = max_chars;
}

void input_clear(struct input *in)
{
    in->text[0] = '\0';
    in->len = in->cursor = in->first = 0;
}

bool input_set(struct input *in, const char *text)
{
    input_clear(in);
    if (!text)
        return true;
    bool all = true;
    size_t avail = strlen(text), chars = 0;
    const char *p = text;
    while (avail > 0) {
        unsigned cp;
        size_t n = utf8_decode(p, avail, &cp);
        if (!storable(cp)) {
            all = false;
        } else if (chars == in->max_chars || in->len + n > INPUT_MAX_BYTES) {
            all = false;
            break;
        } else {
            memcpy(in->text + in->len, p, n);
            in->len += n;
            chars++;
        }
        p += n;
        avail -= n;
    }
    in->text[in->len] = '\0';
    in->cursor = in->len;
    return all;
}

const char *input_text(const struct input *in)
{
    return in->text;
}

size_t input_chars(const struct input *in)
{
    return chars_between(in, 0, in->len);
}

size_t input_cursor_char(const struct input *in)
{
    return chars_between(in, 0, in->cursor);
}

static void delete_range(struct input *in, size_t from, size_t to)
{
    memmove(in->text + from, in->text + to, in->len - to + 1);
    in->len -= to - from;
    if (in->cursor > to)
        in->cursor -= to - from;
    else if (in->cursor > from)
        in->cursor = from;
    if (in->first > in->cursor)
        in->first = in->cursor;
}

static enum input_result insert(struct input *in, unsigned cp)
{
    if (!storable(cp))
        return INPUT_REJECTED;
    char enc[4];
    size_t n = utf8_encode(cp, enc);
    if (input_chars(in) >= in->max_chars || in->len + n > INPUT_MAX_BYTES)
        return INPUT_REJECTED;
    memmove(in->text + in->cursor + n, in->text + in->cursor, in->len - in->cursor + 1);
    memcpy(in->text + in->cursor, enc, n);
    in->len += n;
    in->cursor += n;
    return INPUT_CHANGED;
}

enum input_result input_key(struct input *in, int key)
{
    switch (key) {
    case KEY_CODE_LEFT:
        if (in->cursor == 0)
            return INPUT_REJECTED;
        in->cursor = prev_boundary(in, in->cursor);
        return INPUT_MOVED;
    case KEY_CODE_RIGHT:
        if (in->cursor == in->len)
            return INPUT_REJECTED;
        in->cursor = next_boundary(in, in->cursor);
        return INPUT_MOVED;
    case KEY_CODE_HOME:
    case KEY_CODE_CTRL('a'):
        in->cursor = 0;
        return INPUT_MOVED;
    case KEY_CODE_END:
    case KEY_CODE_CTRL('e'):
        in->cursor = in->len;
        return INPUT_MOVED;
    case KEY_CODE_BACKSPACE:
    case 0x7f:
    case KEY_CODE_CTRL('h'):
        if (in->cursor == 0)
            return INPUT_REJECTED;
        delete_range(in, prev_boundary(in, in->cursor), in->cursor);
        return INPUT_CHANGED;
    case KEY_CODE_DELETE:
        if (in->cursor == in->len)
            return INPUT_REJECTED;
        delete_range(in, in->cursor, next_boundary(in, in->cursor));
        return INPUT_CHANGED;
    case KEY_CODE_CTRL('u'):
        if (in->cursor == 0)
            return INPUT_REJECTED;
        delete_range(in, 0, in->cursor);
        return INPUT_CHANGED;
    case KEY_CODE_CTRL('k'):
        if (in->cursor == in->len)
            return INPUT_REJECTED;
        delete_range(in, in->cursor, in->len);
        return INPUT_CHANGED;
    default:
        break;
    }
    if (key < 0x20 || key == 0x7f || key >= KEY_CODE_BASE)
        return INPUT_IGNORED;
    return insert(in, (unsigned)key);
}

void input_set_message(struct input *in, const char *msg)
{
    if (!msg) {
        in->message[0] = '\0';
        return;
    }
    size_t n = strlen(msg);
    if (n >= sizeof(in->message))
        n = sizeof(in->message) - 1;
    /* Never cut inside a character. */
    while (n > 0 && n < strlen(msg) && ((unsigned char)msg[n] & 0xc0) == 0x80)
        n--;
    memcpy(in->message, msg, n);
    in->message[n] = '\0';
}

const char *input_message(const struct input *in)
{
    return in->message;
}

/* Columns of the character at pos (1 when the locale does not know it). */
static int char_cols(const struct input *in, size_t pos)
{
    unsigned cp;
    utf8_decode(in->text + pos, in->len - pos, &cp);
    int w = wcwidth((wchar_t)cp);
    return w < 0 ? 1 : w;
}

static int cols_between(const struct input *in, size_t from, size_t to)
{
    int cols = 0;
    while (from < to) {
        cols += char_cols(in, from);
        from = next_boundary(in, from);
    }
    return cols;
}

int input_draw(struct input *in, WINDOW *w, int y, int x, int width, bool focused, attr_t attr)
{
    if (width <= 0)
        return 0;
    /* Focused: scrolled so the cursor (and one cell for it at the end) fits. Not focused: from
     * the start, as the value reads. */
    if (in->first > in->cursor)
        in->first = in->cursor;
    while (in->first < in->cursor && cols_between(in, in->first, in->cursor) + 1 > width)
        in->first = next_boundary(in, in->first);
    if (!focused) {
        draw_text(w, y, x, width, in->text, attr); /* cut with an ellipsis when too long */
        int c = cols_between(in, 0, in->cursor);
        return c < width ? c : width - 1;
    }
    size_t start = in->first;
    wattrset(w, (int)(attr));
    mvwhline(w, y, x, ' ', width);
    int col = 0, cursor_col = 0;
    size_t pos = start;
    bool cursor_drawn = false;
    while (pos < in->len) {
        int cw = char_cols(in, pos);
        if (col + cw > width)
            break;
        size_t next = next_boundary(in, pos);
        bool at_cursor = focused && pos == in->cursor;
        if (pos == in->cursor) {
            cursor_col = col;
            cursor_drawn = true;
        }
        wattrset(w, (int)(at_cursor ? (attr | A_REVERSE) : attr));
        if (cw > 0)
            mvwaddnstr(w, y, x + col, in->text + pos, (int)(next - pos));
        else
            waddnstr(w, in->text + pos, (int)(next - pos));
        col += cw;
        pos = next;
    }
    if (!cursor_drawn) {
        cursor_col = col < width ? col : width - 1;
        if (focused && in->cursor == in->len) {
            wattrset(w, (int)(attr | A_REVERSE));
            mvwaddch(w, y, x + cursor_col, ' ');
        }
    }
    wattrset(w, (int)(A_NORMAL));
    return cursor_col;
}
