/* SPDX-License-Identifier: MIT
 * tests/support/testio.c: input helpers tests share (see the header). */
#include "tests/support/testio.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

char *testio_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    assert_non_null(m);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        assert_int_equal(fwrite(chunk, 1, n, m), n);
    fclose(f);
    assert_int_equal(fclose(m), 0);
    return text;
}

int testio_split_argv(const char *line, char **argv, int max)
{
    static char buf[1024];
    int argc = 0;
    assert_true(strlen(line) < sizeof(buf));
    assert_true(max >= 2);
    memcpy(buf, line, strlen(line) + 1);
    argv[argc++] = (char *)"gpup";
    char *p = buf;
    while (*p) {
        while (*p == ' ')
            *p++ = '\0';
        if (!*p)
            break;
        assert_true(argc < max - 1);
        argv[argc++] = p;
        while (*p && *p != ' ')
            p++;
    }
    argv[argc] = NULL;
    return argc;
}
