/* SPDX-License-Identifier: MIT
 * tests/support/gpuprun.h: runs the gpup binary under test (GPUP_BIN) as an operator's shell
 * would, in a clean environment, and gives back its exit status and what it printed. Shared by
 * the integration tests that drive the CLI against gpup-sim. Failures are cmocka failures of
 * the running test. */
#ifndef GPUP_TESTS_GPUPRUN_H
#define GPUP_TESTS_GPUPRUN_H

#include <stddef.h>

struct gpuprun {
    int code;  /* exit status, or 128 + the signal that ended it */
    char *out; /* all of stdout, never NULL */
    char *err; /* all of stderr, never NULL */
};

/* Runs GPUP_BIN with args (NULL-terminated, without argv[0]) and exactly this environment:
 * HOME, XDG_CONFIG_HOME and XDG_STATE_HOME set to dir, LANG=C.UTF-8, the sanitizers' options
 * when set, then env ("NAME=value" strings, NULL-terminated; may be
 * NULL). stdin is /dev/null; stdout and stderr go through dir/out and dir/err. A gpup that
 * hangs is killed after 60 s and fails the test through its status. */
struct gpuprun gpuprun(const char *dir, const char *const *env, const char *const *args);

void gpuprun_free(struct gpuprun *r);

/* The file's text, "" when it was never written; the caller frees it. */
char *gpuprun_slurp(const char *path);

/* Lines of the file (a gpup-sim request log) that contain both needles. */
size_t gpuprun_count_lines(const char *path, const char *a, const char *b);

#endif
