/* SPDX-License-Identifier: MIT
 * cli/exitcode.h: the one table from results to gpup's exit statuses (product.md 3):
 * 0 success, 1 operation failed, 2 usage error, 3 validation refused the change,
 * 4 authentication failed, 5 partial failure (the VM is left in a state other than the one the
 * operator had), 130 interrupted. */
#ifndef GPUP_CLI_EXITCODE_H
#define GPUP_CLI_EXITCODE_H

#include "model/status.h"

#define CLI_EXITS(X)                                                                           \
    X(CLI_EXIT_OK, 0, "success")                                                               \
    X(CLI_EXIT_FAILED, 1, "the operation failed")                                              \
    X(CLI_EXIT_USAGE, 2, "usage or configuration error")                                       \
    X(CLI_EXIT_REFUSED, 3, "validation refused the change")                                    \
    X(CLI_EXIT_AUTH, 4, "authentication failed")                                               \
    X(CLI_EXIT_PARTIAL, 5, "partial failure: the VM is left in another state than it had")     \
    X(CLI_EXIT_INTERRUPTED, 130, "interrupted")

#define CLI_EXIT_ID_(id, code, text) id = code,
enum cli_exit { CLI_EXITS(CLI_EXIT_ID_) };
#undef CLI_EXIT_ID_

/* How a command ended, beyond its status. */
enum cli_outcome {
    CLI_OUTCOME_DONE,     /* finished; the status says how */
    CLI_OUTCOME_PARTIAL,  /* a multi-step change failed part way: the VM is not as it was */
    CLI_OUTCOME_DECLINED, /* the operator answered no: nothing was changed */
};

/* The exit status for a result: GP_OK -> 0; GP_E_INVALID, GP_E_CONFIG -> 2; GP_E_RULE -> 3;
 * GP_E_AUTH -> 4; GP_E_CANCELED -> 130; any other failure -> 1. CLI_OUTCOME_PARTIAL gives 5
 * whatever the status (unless interrupted, which stays 130); DECLINED gives 1. */
enum cli_exit cli_exit_code(enum gp_status st, enum cli_outcome outcome);

/* "usage or configuration error" for 2; "" for an unknown value. */
const char *cli_exit_meaning(int code);

#endif
