/* SPDX-License-Identifier: MIT
 * tests/support/screens.h: what the in-process console tests share (style.md 8, tig's harness):
 * a pinned terminal environment and a scratch folder, a fleet of VMs written as one ARM list
 * page, the console on a terminal that draws into /dev/null on a virtual clock, key specs
 * typed into it, and screen dumps diffed with the goldens tests/screens/NAME.txt
 * (UPDATE_GOLDEN=1 rewrites them). Failures are cmocka failures of the running test. */
#ifndef GPUP_TESTS_SCREENS_H
#define GPUP_TESTS_SCREENS_H

#include <stdbool.h>
#include <stddef.h>

struct app;
struct gp_loop;

#define SCREENS_SUB "00000000-0000-0000-0000-000000000000"

/* Pins LINES=24, COLUMNS=80, TERM, TZ=UTC, the C.UTF-8 locale and HOME, unsets GPUP_SCRIPT and
 * NO_COLOR, and makes a fresh folder /tmp/gpup-TAG-XXXXXX, its path into dir (n bytes).
 * Returns 0, or -1 (a cmocka group setup's answer). */
int screens_setup(char *dir, size_t n, const char *tag);
/* Removes dir and all it holds. Returns 0 or -1. */
int screens_teardown(const char *dir);

/* The file at path (at most 64 KiB - 1 bytes), NUL-terminated; the caller frees it. NULL when
 * it cannot be opened. */
char *screens_slurp(const char *path);

/* One VM of a fixture fleet, in the resource group rg of subscription SCREENS_SUB. */
struct screens_vm {
    const char *name, *rg;
    const char *host;  /* hostNodeName, or NULL: none */
    const char *power; /* status.powerState */
    const char *prov;  /* provisioningState */
    int cpus, mem;
    const char *gpus;  /* virtualMachineGPUs JSON, or NULL: none */
    const char *image; /* gallery image name in rg (and osProfile.computerName = name), or NULL */
};

/* One ARM list page ({"value": [...]}) holding the n VMs of v; ESC in a name is written as
 * \u001b. The caller frees it. */
char *screens_fleet_page(const struct screens_vm *v, size_t n);

/* A console with no display on a new loop with a virtual clock: colours on, profile "lab",
 * endpoint http://127.0.0.1:8443, running script (may be NULL). The caller frees both. */
struct app *screens_app_new(struct gp_loop **out_loop, const char *script, bool readonly);

/* The next key of a spec written like the screen-test scripts ("<Down>", "<F2>", or one
 * character) at *p; moves *p past it. Fails the test on a "<" with no ">" or an unknown
 * "<name>". */
int screens_next_key(const char **p);

/* Diffs the dump at dump_path with tests/screens/NAME.txt (under $GPUP_SRCDIR); with
 * UPDATE_GOLDEN=1 rewrites the golden first. Fails the test, after printing diff -u, when they
 * differ. */
void screens_compare_golden(const char *name, const char *dump_path);

#endif
