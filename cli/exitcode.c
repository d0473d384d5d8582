/* SPDX-License-Identifier: MIT
 * cli/exitcode.c: maps enum gp_status and command outcomes to exit statuses, in one table. */
#include "cli/exitcode.h"

#include <stddef.h>

static const enum cli_exit exit_of_status[GP_STATUS_COUNT] = {
    [GP_OK] = CLI_EXIT_OK,
    [GP_E_NOMEM] = CLI_EXIT_FAILED,
    [GP_E_INVALID] = CLI_EXIT_USAGE,
    [GP_E_PARSE] = CLI_EXIT_FAILED,
    [GP_E_TOO_LARGE] = CLI_EXIT_FAILED,
    [GP_E_NOT_FOUND] = CLI_EXIT_FAILED,
    [GP_E_HTTP] = CLI_EXIT_FAILED,
    [GP_E_NETWORK] = CLI_EXIT_FAILED,
    [GP_E_TIMEOUT] = CLI_EXIT_FAILED,
    [GP_E_AUTH] = CLI_EXIT_AUTH,
    [GP_E_RULE] = CLI_EXIT_REFUSED,
    [GP_E_IO] = CLI_EXIT_FAILED,
    [GP_E_CONFIG] = CLI_EXIT_USAGE,
    [GP_E_BUSY] = CLI_EXIT_FAILED,
    [GP_E_CANCELED] = CLI_EXIT_INTERRUPTED,
    [GP_E_FAILED] = CLI_EXIT_FAILED,
};

enum cli_exit cli_exit_code(enum gp_status st, enum cli_outcome outcome)
{
    enum cli_exit code =
        (unsigned)st < GP_STATUS_COUNT ? exit_of_status[st] : CLI_EXIT_FAILED;
    switch (outcome) {
    case CLI_OUTCOME_PARTIAL:
        return code == CLI_EXIT_INTERRUPTED ? code : CLI_EXIT_PARTIAL;
    case CLI_OUTCOME_DECLINED:
        return CLI_EXIT_FAILED;
    case CLI_OUTCOME_DONE:
    default:
        return code;
    }
}

const char *cli_exit_meaning(int code)
{
#define CLI_EXIT_CASE_(id, value, text)                                                        \
    case value:                                                                                \
        return text;
    switch (code) {
        CLI_EXITS(CLI_EXIT_CASE_)
    default:
        return "";
    }
#undef CLI_EXIT_CASE_
}
