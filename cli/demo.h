/* SPDX-License-Identifier: MIT
 * cli/demo.h: `gpup --demo` — starts gpup-sim as a child on a free loopback port with a demo
 * fleet, so the console (or any command) runs with nothing to configure (product.md 1). */
#ifndef GPUP_CLI_DEMO_H
#define GPUP_CLI_DEMO_H

#include <stddef.h>
#include <sys/types.h>

#include "model/status.h"

struct demo {
    pid_t pid;          /* the emulator, 0 when not running */
    int out_fd;         /* read end of its stdout, kept open so a late line cannot SIGPIPE it */
    char endpoint[128]; /* "http://127.0.0.1:PORT" */
};

/* Finds gpup-sim (GPUP_SIM, else beside this executable, else on PATH), starts it with the demo
 * fleet and extra_args (NULL-terminated, may be NULL), and waits for its "listening on" line
 * (at most a few seconds). The child gets its own process group and dies with us (SIGTERM on
 * demo_stop, and PR_SET_PDEATHSIG when we are killed). GP_E_IO / GP_E_NOT_FOUND with a message. */
GP_NODISCARD enum gp_status demo_start(struct demo *d, const char *const *extra_args,
                                       struct gp_error *err);

/* Stops the emulator (SIGTERM, then waits). Safe to call twice. */
void demo_stop(struct demo *d);

#endif
