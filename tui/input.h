/* SPDX-License-Identifier: MIT
 * tui/input.h: a one-line text field: typed characters are inserted at the cursor, Backspace
 * and Del delete, Left / Right / Home / End (and C-a, C-e) move, C-u clears to the start and
 * C-k to the end. Text is UTF-8, edited by whole code points, capped at max_chars characters;
 * control characters are never stored. The owner validates and sets a message the form shows
 * under the field. Plain data (embed it, no allocation); keys are model/keymap codes. */
#ifndef GPUP_TUI_INPUT_H
#define GPUP_TUI_INPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "tui/curses.h"

#define INPUT_MAX_BYTES 512   /* text bytes, NUL excluded */
#define INPUT_MESSAGE_MAX 160

struct input {
    char text[INPUT_MAX_BYTES + 1];
    size_t len;        /* bytes */
    size_t cursor;     /* byte offset, always at a code point boundary */
    size_t max_chars;  /* characters (code points) allowed */
    size_t first;      /* byte offset of the first character shown (horizontal scroll) */
    char message[INPUT_MESSAGE_MAX]; /* validation message, "" when valid */
};

enum input_result {
    INPUT_IGNORED,  /* not an editing key: the caller may use it */
    INPUT_CHANGED,  /* the text changed */
    INPUT_MOVED,    /* only the cursor moved */
    INPUT_REJECTED, /* an editing key that could not apply (full, nothing to delete, bad
                       character): the text is unchanged */
};

/* An empty field taking at most max_chars characters and INPUT_MAX_BYTES bytes (max_chars 0
 * or larger than INPUT_MAX_BYTES: INPUT_MAX_BYTES). */
void input_init(struct input *in, size_t max_chars);
/* Replaces the text (cursor at its end). Invalid UTF-8 and control characters are dropped,
 * text past max_chars is cut: returns false when anything was dropped or cut. */
bool input_set(struct input *in, const char *text);
void input_clear(struct input *in);
const char *input_text(const struct input *in);
/* Characters (code points) held. */
size_t input_chars(const struct input *in);
/* The cursor as a character index. */
size_t input_cursor_char(const struct input *in);

/* Applies one key. Printable code points (not control, not surrogates) insert. */
enum input_result input_key(struct input *in, int key);

/* Validation message (printf-like, "" or NULL clears). */
void input_set_message(struct input *in, const char *msg);
const char *input_message(const struct input *in);

/* Draws the field at (y, x) in width columns. Focused: scrolled so the cursor shows, its cell
 * in reverse video (the app hides the terminal cursor); not focused: from the start. Returns
 * the column (relative to x) of the cursor. */
int input_draw(struct input *in, WINDOW *w, int y, int x, int width, bool focused, attr_t attr);

#endif
