/* SPDX-License-Identifier: MIT
 * tests/support/testio.h: small input helpers tests share: a whole file read into memory, and
 * a command line split on spaces into the argv gpup's parser takes. Failures are cmocka
 * failures of the running test. */
#ifndef GPUP_TESTS_TESTIO_H
#define GPUP_TESTS_TESTIO_H

/* The whole file at path, NUL-terminated; the caller frees it. NULL when it cannot be opened. */
char *testio_read_file(const char *path);

/* Splits line (under 1024 bytes) on spaces into argv: argv[0] = "gpup", then the words, then
 * NULL; max is the size of argv. Returns argc. The words live in a static buffer, valid until
 * the next call. */
int testio_split_argv(const char *line, char **argv, int max);

#endif
