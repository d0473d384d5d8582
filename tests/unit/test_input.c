/* SPDX-License-Identifier: MIT
 * tests/unit/test_input.c: the one-line text field: editing by whole UTF-8 characters, the
 * cap, refused control characters, and what is drawn when the text is wider than the field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "model/keymap.h"
#include "tui/input.h"

static void type(struct input *in, const char *utf8)
{
    mbstate_t st;
    memset(&st, 0, sizeof(st));
    size_t len = strlen(utf8);
    while (len > 0) {
        wchar_t wc;
        size_t r = mbrtowc(&wc, utf8, len, &st);
        assert_true(r > 0 && r <= len);
        assert_int_equal(input_key(in, (int)wc), INPUT_CHANGED);
        utf8 += r;
        len -= r;
    }
}

static void test_insert_and_move(void **state)
{
    (void)state;
    struct input in;
    input_init(&in, 64);
    type(&in, "vm-17");
    assert_string_equal(input_text(&in), "vm-17");
    assert_int_equal(input_cursor_char(&in), 5);
    assert_int_equal(input_key(&in, KEY_CODE_LEFT), INPUT_MOVED);
    assert_int_equal(input_key(&in, KEY_CODE_LEFT), INPUT_MOVED);
    type(&in, "0");
    assert_string_equal(input_text(&in), "vm-017");
    assert_int_equal(input_key(&in, KEY_CODE_HOME), INPUT_MOVED);
    assert_int_equal(input_key(&in, KEY_CODE_LEFT), INPUT_REJECTED);
    assert_int_equal(input_key(&in, KEY_CODE_BACKSPACE), INPUT_REJECTED);
    assert_int_equal(input_key(&in, KEY_CODE_DELETE), INPUT_CHANGED);
    assert_string_equal(input_text(&in), "m-017");
    assert_int_equal(input_key(&in, KEY_CODE_END), INPUT_MOVED);
    assert_int_equal(input_key(&in, KEY_CODE_RIGHT), INPUT_REJECTED);
    assert_int_equal(input_key(&in, KEY_CODE_DELETE), INPUT_REJECTED);
    assert_int_equal(input_key(&in, KEY_CODE_BACKSPACE), INPUT_CHANGED);
    assert_string_equal(input_text(&in), "m-01");
    assert_int_equal(input_chars(&in), 4);
}

static void test_utf8_whole_characters(void **state)
{
    (void)state;
    struct input in;
    input_init(&in, 64);
    type(&in, "d\xc3\xa9j\xc3\xa0-\xe4\xb8\x96\xf0\x9f\x98\x80"); /* déjà-世😀 */
    assert_int_equal(input_chars(&in), 7);
    assert_int_equal(in.len, strlen("d\xc3\xa9j\xc3\xa0-\xe4\xb8\x96\xf0\x9f\x98\x80"));
    /* Backspace removes the 4-byte emoji whole, then the 3-byte character. */
    assert_int_equal(input_key(&in, KEY_CODE_BACKSPACE), INPUT_CHANGED);
    assert_string_equal(input_text(&in), "d\xc3\xa9j\xc3\xa0-\xe4\xb8\x96");
    assert_int_equal(input_key(&in, KEY_CODE_BACKSPACE), INPUT_CHANGED);
    assert_string_equal(input_text(&in), "d\xc3\xa9j\xc3\xa0-");
    /* Left steps over é in one key; Delete removes it whole. */
    assert_int_equal(input_key(&in, KEY_CODE_HOME), INPUT_MOVED);
    assert_int_equal(input_key(&in, KEY_CODE_RIGHT), INPUT_MOVED);
    assert_int_equal(input_cursor_char(&in), 1);
    assert_int_equal(in.cursor, 1);
    assert_int_equal(input_key(&in, KEY_CODE_RIGHT), INPUT_MOVED);
    assert_int_equal(in.cursor, 3);
    assert_int_equal(input_key(&in, KEY_CODE_LEFT), INPUT_MOVED);
    assert_int_equal(input_key(&in, KEY_CODE_DELETE), INPUT_CHANGED);
    assert_string_equal(input_text(&in), "dj\xc3\xa0-");
    assert_int_equal(input_chars(&in), 4);
}

static void test_max_chars(void **state)
{
    (void)state;
    struct input in;
    input_init(&in, 3);
    type(&in, "ab\xc3\xa9");
    assert_int_equal(input_key(&in, 'x'), INPUT_REJECTED);
    assert_string_equal(input_text(&in), "ab\xc3\xa9");
    assert_int_equal(input_key(&in, KEY_CODE_HOME), INPUT_MOVED);
    assert_int_equal(input_key(&in, 'x'), INPUT_REJECTED);
    /* input_set cuts and says so. */
    assert_false(input_set(&in, "abcdef"));
    assert_string_equal(input_text(&in), "abc");
    assert_true(input_set(&in, "xy"));
    assert_int_equal(input_cursor_char(&in), 2);
    /* 0 means the largest cap; the bytes cap holds whatever the characters. */
    input_init(&in, 0);
    assert_int_equal(in.max_chars, INPUT_MAX_BYTES);
    for (int i = 0; i < INPUT_MAX_BYTES / 4; i++)
        assert_int_equal(input_key(&in, 0x1F600), INPUT_CHANGED);
    assert_int_equal(input_key(&in, 'a'), INPUT_REJECTED);
    assert_int_equal(in.len, INPUT_MAX_BYTES);
    assert_true(input_set(&in, "\xf0\x9f\x98\x80")); /* replaces the text: fits */
    input_init(&in, 200);
    for (int i = 0; i < 200; i++)
        assert_int_equal(input_key(&in, 'x'), INPUT_CHANGED); /* 200 ASCII characters fit */
    assert_int_equal(input_key(&in, 'x'), INPUT_REJECTED);
}

static void test_control_characters_refused(void **state)
{
    (void)state;
    struct input in;
    input_init(&in, 64);
    assert_int_equal(input_key(&in, KEY_CODE_ESC), INPUT_IGNORED);
    assert_int_equal(input_key(&in, KEY_CODE_ENTER), INPUT_IGNORED);
    assert_int_equal(input_key(&in, KEY_CODE_TAB), INPUT_IGNORED);
    assert_int_equal(input_key(&in, KEY_CODE_UP), INPUT_IGNORED);
    assert_int_equal(input_key(&in, KEY_CODE_F5), INPUT_IGNORED);
    assert_int_equal(input_key(&in, 0x9b), INPUT_REJECTED);   /* C1 CSI */
    assert_int_equal(input_key(&in, 0xd800), INPUT_REJECTED); /* surrogate */
    assert_int_equal(input_key(&in, 0x202e), INPUT_REJECTED); /* bidi override */
    assert_int_equal(input_chars(&in), 0);
    /* Pasted text loses escapes and invalid bytes. */
    assert_false(input_set(&in, "a\x1b[31mb\xff\xc3(c"));
    assert_string_equal(input_text(&in), "a[31mb(c");
}

static void test_kill_keys(void **state)
{
    (void)state;
    struct input in;
    input_init(&in, 64);
    assert_true(input_set(&in, "resource-group"));
    for (int i = 0; i < 6; i++)
        assert_int_equal(input_key(&in, KEY_CODE_LEFT), INPUT_MOVED);
    assert_int_equal(input_key(&in, KEY_CODE_CTRL('k')), INPUT_CHANGED);
    assert_string_equal(input_text(&in), "resource");
    assert_int_equal(input_key(&in, KEY_CODE_CTRL('k')), INPUT_REJECTED);
    assert_int_equal(input_key(&in, KEY_CODE_LEFT), INPUT_MOVED);
    assert_int_equal(input_key(&in, KEY_CODE_CTRL('u')), INPUT_CHANGED);
    assert_string_equal(input_text(&in), "e");
    assert_int_equal(input_cursor_char(&in), 0);
    assert_int_equal(input_key(&in, KEY_CODE_CTRL('e')), INPUT_MOVED);
    assert_int_equal(input_cursor_char(&in), 1);
}

static void test_message(void **state)
{
    (void)state;
    struct input in;
    input_init(&in, 64);
    assert_string_equal(input_message(&in), "");
    input_set_message(&in, "Name must not start with '-'");
    assert_string_equal(input_message(&in), "Name must not start with '-'");
    char longmsg[400];
    memset(longmsg, 'x', sizeof(longmsg));
    memcpy(longmsg + INPUT_MESSAGE_MAX - 2, "\xc3\xa9", 2); /* é across the cut */
    longmsg[sizeof(longmsg) - 1] = '\0';
    input_set_message(&in, longmsg);
    assert_int_equal(strlen(input_message(&in)), INPUT_MESSAGE_MAX - 2);
    input_set_message(&in, NULL);
    assert_string_equal(input_message(&in), "");
}

/* Draws on a curses screen writing to /dev/null and reads the cells back. */
static void read_line(WINDOW *w, int y, int width, char *out, size_t n)
{
    wchar_t wbuf[128];
    int got = mvwinnwstr(w, y, 0, wbuf, width);
    assert_true(got >= 0);
    wbuf[got] = L'\0';
    size_t r = wcstombs(out, wbuf, n);
    assert_true(r != (size_t)-1);
    while (r > 0 && out[r - 1] == ' ')
        out[--r] = '\0';
}

static void test_draw_scrolls_to_cursor(void **state)
{
    (void)state;
    FILE *out = fopen("/dev/null", "w"), *inp = fopen("/dev/null", "r");
    assert_non_null(out);
    assert_non_null(inp);
    setenv("TERM", "xterm-256color", 1);
    SCREEN *scr = newterm(NULL, out, inp);
    assert_non_null(scr);
    WINDOW *w = newwin(3, 40, 0, 0);
    assert_non_null(w);

    struct input in;
    input_init(&in, 64);
    assert_true(input_set(&in, "0123456789abcdefghij"));
    char line[256];
    /* Ten columns: the end shows, with one cell left for the cursor. */
    int col = input_draw(&in, w, 0, 0, 10, true, A_NORMAL);
    read_line(w, 0, 10, line, sizeof(line));
    assert_string_equal(line, "bcdefghij");
    assert_int_equal(col, 9);
    assert_true((mvwinch(w, 0, 9) & A_REVERSE) != 0);
    /* Not focused, the value reads from its start (and no cell is reversed). */
    input_draw(&in, w, 2, 0, 10, false, A_NORMAL);
    read_line(w, 2, 10, line, sizeof(line));
    assert_int_equal(strncmp(line, "012345678", 9), 0); /* then the cut mark of the locale */
    assert_string_not_equal(line, "0123456789");
    assert_true(strlen(line) > 9);
    /* Home scrolls back to the start. */
    assert_int_equal(input_key(&in, KEY_CODE_HOME), INPUT_MOVED);
    col = input_draw(&in, w, 0, 0, 10, true, A_NORMAL);
    read_line(w, 0, 10, line, sizeof(line));
    assert_string_equal(line, "0123456789");
    assert_int_equal(col, 0);
    /* Wide characters take two columns. */
    assert_true(input_set(&in, "\xe4\xb8\x96\xe7\x95\x8c-ab"));
    assert_int_equal(input_key(&in, KEY_CODE_HOME), INPUT_MOVED);
    assert_int_equal(input_key(&in, KEY_CODE_RIGHT), INPUT_MOVED);
    assert_int_equal(input_key(&in, KEY_CODE_RIGHT), INPUT_MOVED);
    col = input_draw(&in, w, 1, 0, 20, false, A_NORMAL);
    assert_int_equal(col, 4);
    read_line(w, 1, 20, line, sizeof(line));
    assert_string_equal(line, "\xe4\xb8\x96\xe7\x95\x8c-ab");

    delwin(w);
    endwin();
    delscreen(scr);
    fclose(out);
    fclose(inp);
}

int main(void)
{
    if (!setlocale(LC_ALL, "C.UTF-8"))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_insert_and_move),
        cmocka_unit_test(test_utf8_whole_characters),
        cmocka_unit_test(test_max_chars),
        cmocka_unit_test(test_control_characters_refused),
        cmocka_unit_test(test_kill_keys),
        cmocka_unit_test(test_message),
        cmocka_unit_test(test_draw_scrolls_to_cursor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
