/* SPDX-License-Identifier: MIT
 * cli/commands.h: gpup's sub-commands (product.md 3) over a small backend interface: the ARM
 * reads and the plan executor are reached through struct cli_backend, so that every command
 * runs in unit tests against a fake and in gpup against net/. Output goes through cli/output,
 * questions through cli/confirm, exit statuses through cli/exitcode. */
#ifndef GPUP_CLI_COMMANDS_H
#define GPUP_CLI_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cli/args.h"
#include "cli/exitcode.h"
#include "model/status.h"
#include "model/vm.h"

/* Where a command reads and writes. */
struct cli_io {
    FILE *out, *err, *in;
    bool out_tty; /* stdout is a terminal: default format table */
    bool in_tty;  /* stdin is a terminal: questions may be asked */
    bool utf8;    /* the locale can print "—" */
};

/* What commands need from the service. A NULL member means "not available in this build": the
 * command then fails with a line saying so (never a fake success). */
struct cli_backend {
    void *ctx;
    /* Every VM of resource_group (NULL: the whole subscription). The array is the caller's
     * (vm_array_free). */
    enum gp_status (*list_vms)(void *ctx, const char *resource_group, struct vm **out_vms,
                               size_t *out_n, struct gp_error *err);
    /* One VM, read now. *out is initialised by the caller. GP_E_NOT_FOUND when absent. */
    enum gp_status (*get_vm)(void *ctx, const char *resource_group, const char *name,
                             struct vm *out, struct gp_error *err);
};

/* Runs the parsed command; returns the exit status. */
int cli_commands_exec(const struct cli_args *args, const struct cli_io *io,
                      const struct cli_backend *backend);

/* The same on stdin/stdout/stderr with the backend of this build (net/ when present). */
int cli_commands_run(const struct cli_args *args);

#endif
