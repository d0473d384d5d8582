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

#include "cli/backend.h"
#include "model/cluster.h"
#include "net/journal.h"
#include "net/vmclient.h"
#include "tui/console.h"

extern char **environ;

#define GPUP_DEMO_SUBSCRIPTION "00000000-0000-0000-0000-000000000000"

/* The console on a session made from the same options as any command. */
static int run_console(const struct cli_args *args)
{
    struct gp_error err;
    gp_error_clear(&err);
    struct demo d = {0};
    if (args->set[CLI_OPT_DEMO]) {
        if (demo_start(&d, NULL, &err) != GP_OK) {
            fprintf(stderr, "gpup --demo: %s\n", err.message);
            return CLI_EXIT_FAILED;
        }
        if (setenv("GPUP_ENDPOINT", d.endpoint, 1) != 0 || setenv("GPUP_TOKEN", "demo", 1) != 0 ||
            setenv("GPUP_SUBSCRIPTION", GPUP_DEMO_SUBSCRIPTION, 1) != 0) {
            demo_stop(&d);
            fputs("gpup: --demo: cannot set the environment\n", stderr);
            return CLI_EXIT_FAILED;
        }
    }
    struct cli_session *s = NULL;
    struct cli_console_parts parts;
    struct cluster cluster;
    cluster_init(&cluster);
    int rc = CLI_EXIT_FAILED;
    enum gp_status st = cli_session_open(args, &s, &err);
    if (st == GP_OK)
        st = cli_session_console_parts(s, &parts, &cluster, &err);
    struct journal_file jf = {.fd = -1};
    if (st == GP_OK)
        st = journal_file_open_in(&jf, parts.state_dir, &err);
    if (st == GP_OK) {
        const struct settings_effective *eff = cli_session_settings(s);
        struct console_env env = {
            .loop = parts.loop,
            .arm = parts.arm,
            .exec_ops = &vmclient_exec_ops,
            .exec_client = parts.vmc,
            .journal = journal_file_sink,
            .journal_ctx = &jf,
            .state_dir = parts.state_dir,
            .eff = eff,
            .subscription = parts.subscription,
            .cluster = &cluster,
            .readonly = args->set[CLI_OPT_READONLY],
            .theme = args->value[CLI_OPT_THEME],
            .environ = (const char *const *)environ,
        };
        rc = console_run(&env, &err);
    }
    if (rc != 0 || st != GP_OK) {
        fprintf(stderr, "gpup: %s\n", err.message);
        rc = st == GP_E_CONFIG ? CLI_EXIT_USAGE : st == GP_E_AUTH ? CLI_EXIT_AUTH : CLI_EXIT_FAILED;
    }
    journal_file_close(&jf);
    cluster_cleanup(&cluster);
    cli_session_close(s);
    demo_stop(&d);
    return rc;
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
            return run_console(&args);
        fputs("gpup: no command given, and not on a terminal for the console\n", stderr);
        cli_args_print_hint(stderr, CLI_CMD_ROOT);
        return CLI_EXIT_USAGE;
    }
    return cli_commands_run(&args);
}
