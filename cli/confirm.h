/* SPDX-License-Identifier: MIT
 * cli/confirm.h: the question asked before every change ("Proceed? [y/N]"), unless --yes.
 * Without --yes and with stdin not a terminal there is nobody to ask: the change is refused
 * with a usage error, so that a script never hangs and never changes things by accident. */
#ifndef GPUP_CLI_CONFIRM_H
#define GPUP_CLI_CONFIRM_H

#include <stdbool.h>
#include <stdio.h>

#include "model/status.h"

enum cli_confirm_result {
    CLI_CONFIRM_YES,      /* go ahead */
    CLI_CONFIRM_NO,       /* the operator declined (or gave no clear yes) */
    CLI_CONFIRM_NO_TTY,   /* stdin is not a terminal and --yes was not given: err has the line */
    CLI_CONFIRM_EOF,      /* end of input or an interrupt at the prompt */
};

/* Asks `question` on out ("Stop, attach and start vm-017? [y/N] ") and reads one line from in.
 * yes: --yes was given (no question). in_is_tty: whether `in` is a terminal. `command` names
 * the command for the refusal line: "gpup vm gpu attach: refusing to change vm-017 without
 * --yes: standard input is not a terminal". Only "y" and "yes" (any case) agree. */
enum cli_confirm_result cli_confirm(const char *command, const char *target, const char *question,
                                    bool yes, FILE *in, bool in_is_tty, FILE *out,
                                    struct gp_error *err);

#endif
