/* SPDX-License-Identifier: MIT
 * tests/support/simtest.h: what the gpup-sim HTTP tests share: cmocka setup and teardown that
 * start and stop one gpup-sim (tests/support/simproc.h) as the group's or test's state, and a
 * dotted-path string lookup in the JSON it answers. */
#ifndef GPUP_TESTS_SIMTEST_H
#define GPUP_TESTS_SIMTEST_H

#include <cjson/cJSON.h>

/* Starts gpup-sim with args (see simproc_start) into a new struct simproc at *state. Returns 0,
 * or -1 (nothing left allocated). */
int simtest_start(void **state, const char *const *args);
/* Stops and frees the struct simproc at *state. Returns 0, or -1 when it did not end well. */
int simtest_stop(void **state);

/* The string at path ("error.code": object members joined by dots, at most 255 bytes) in o,
 * or NULL when a member is missing or not a string. Points into o. */
const char *simtest_jstr(const cJSON *o, const char *path);

#endif
