/* SPDX-License-Identifier: MIT
 * main.c: gpup's entry point. Sets the locale, parses the command line (cli/args), and
 * dispatches: no command on a terminal opens the console, a command runs the CLI
 * (cli/commands). Wiring only: behaviour lives in cli/ and tui/. */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/demo.h"
#include "cli/exitcode.h"
#include "model/status.h"

#if defined(__has_include)
#if __has_include("tui/console.h")
#include "tui/console.h"
#define GPUP_HAVE_CONSOLE 1
#endif
#endif

#define GPUP_DEMO_SUBSCRIPTION "00000000-0000-0000-0000-000000000000"

static int run_console(int argc, char **argv)
{
#ifdef GPUP_HAVE_CONSOLE
    return tui_main(argc, argv);
#else
    (void)argc;
    (void)argv;
    fputs("gpup: console not built yet; use a command (gpup --help)\n", stderr);
    return CLI_EXIT_USAGE;
#endif
}

/* `gpup --demo COMMAND`: the command against a demo emulator started for it. */
static int run_demo_command(const struct cli_args *args)
{
    struct demo d;
    struct gp_error err;
    gp_error_clear(&err);
    if (demo_start(&d, NULL, &err) != GP_OK) {
        fprintf(stderr, "gpup %s: --demo: %s\n", cli_cmd_path(args->cmd), err.message);
        return CLI_EXIT_FAILED;
    }
    /* The emulator accepts any token and serves its default subscription. */
    if (setenv("GPUP_ENDPOINT", d.endpoint, 1) != 0 || setenv("GPUP_TOKEN", "demo", 1) != 0 ||
        setenv("GPUP_SUBSCRIPTION", GPUP_DEMO_SUBSCRIPTION, 1) != 0) {
        demo_stop(&d);
        fputs("gpup: --demo: cannot set the environment\n", stderr);
        return CLI_EXIT_FAILED;
    }
    int code = cli_commands_run(args);
    demo_stop(&d);
    return code;
}

int main(int argc, char **argv)
{
    (void)setlocale(LC_ALL, "");
    struct cli_args args;
    struct gp_error err;
    gp_error_clear(&err);
    if (cli_args_parse(argc, argv, &args, &err) != GP_OK) {
        fprintf(stderr, "%s\n", err.message);
        cli_args_print_hint(stderr, args.cmd);
        return CLI_EXIT_USAGE;
    }
    if (args.set[CLI_OPT_HELP]) {
        cli_args_help(stdout, args.cmd);
        return CLI_EXIT_OK;
    }
    if (args.set[CLI_OPT_DEMO] && args.cmd != CLI_CMD_ROOT)
        return run_demo_command(&args);
    if (args.cmd == CLI_CMD_ROOT) {
        if (args.set[CLI_OPT_DEMO] || (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)))
            return run_console(argc, argv);
        fputs("gpup: no command given, and not on a terminal for the console\n", stderr);
        cli_args_print_hint(stderr, CLI_CMD_ROOT);
        return CLI_EXIT_USAGE;
    }
    return cli_commands_run(&args);
}
