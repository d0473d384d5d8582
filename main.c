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
#include "model/settings.h"
#include "net/journal.h"
#include "net/vmclient.h"
#include "tui/console.h"

extern char **environ;

#define GPUP_DEMO_SUBSCRIPTION "00000000-0000-0000-0000-000000000000"

/* Starts the demo emulator and points this process at it (the emulator accepts any token and
 * serves its default subscription); false after saying why on stderr, prefixed with what. */
static bool demo_env_start(struct demo *d, const char *what)
{
    struct gp_error err;
    gp_error_clear(&err);
    if (demo_start(d, NULL, &err) != GP_OK) {
        fprintf(stderr, "%s: %s\n", what, err.message);
        return false;
    }
    if (setenv("GPUP_ENDPOINT", d->endpoint, 1) != 0 || setenv("GPUP_TOKEN", "demo", 1) != 0 ||
        setenv("GPUP_SUBSCRIPTION", GPUP_DEMO_SUBSCRIPTION, 1) != 0) {
        demo_stop(d);
        fprintf(stderr, "%s: cannot set the environment\n", what);
        return false;
    }
    return true;
}

/* One console on a session made from the same options as any command. *out_st is what
 * opening the session gave (not GP_OK: it did not open, err says why); next receives the
 * profile ":profile NAME" asked for. */
static int console_once(const struct cli_args *args, const char *notice, char *next,
                        size_t next_size, enum gp_status *out_st, struct gp_error *err)
{
    struct cli_session *s = NULL;
    struct cli_console_parts parts;
    struct cluster cluster;
    cluster_init(&cluster);
    int rc = CLI_EXIT_FAILED;
    enum gp_status st = cli_session_open(args, &s, err);
    if (st == GP_OK)
        st = cli_session_console_parts(s, &parts, &cluster, err);
    struct journal_file jf = {.fd = -1};
    if (st == GP_OK)
        st = journal_file_open_in(&jf, parts.state_dir, err);
    *out_st = st;
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
            .notice = notice,
            .next_profile = next,
            .next_profile_size = next_size,
        };
        rc = console_run(&env, err);
    }
    journal_file_close(&jf);
    cluster_cleanup(&cluster);
    cli_session_close(s);
    return rc;
}

/* The console; ":profile NAME" ends one and starts the next on NAME, and a profile that cannot
 * be opened brings back the one before with the reason shown. */
static int run_console(const struct cli_args *args)
{
    struct gp_error err;
    gp_error_clear(&err);
    struct demo d = {0};
    if (args->set[CLI_OPT_DEMO] && !demo_env_start(&d, "gpup --demo"))
        return CLI_EXIT_FAILED;
    struct cli_args cur = *args;
    /* The profile running (cur.value[CLI_OPT_PROFILE] points at it once switched) and the one
     * to come back to when a switch fails (unset: the one the command line chose). */
    char running[SETTINGS_NAME_MAX], back[SETTINGS_NAME_MAX], next[SETTINGS_NAME_MAX];
    char notice[sizeof(err.message) + 96] = "";
    bool have_back = false, switching = false;
    int rc;
    enum gp_status st;
    for (;;) {
        rc = console_once(&cur, notice, next, sizeof(next), &st, &err);
        notice[0] = '\0';
        if (st != GP_OK && switching) {
            (void)snprintf(notice, sizeof(notice), "cannot switch to profile %s: %s", running,
                           err.message);
            gp_error_clear(&err);
            switching = false;
            if (have_back) {
                (void)snprintf(running, sizeof(running), "%s", back);
                cur.value[CLI_OPT_PROFILE] = running;
            } else {
                cur.value[CLI_OPT_PROFILE] = args->value[CLI_OPT_PROFILE];
            }
            continue;
        }
        if (rc != 0 || st != GP_OK || !next[0])
            break;
        have_back = cur.value[CLI_OPT_PROFILE] != args->value[CLI_OPT_PROFILE];
        if (have_back)
            (void)snprintf(back, sizeof(back), "%s", running);
        (void)snprintf(running, sizeof(running), "%s", next);
        cur.value[CLI_OPT_PROFILE] = running;
        switching = true;
    }
    if (rc != 0 || st != GP_OK) {
        fprintf(stderr, "gpup: %s\n", err.message);
        rc = st == GP_E_CONFIG ? CLI_EXIT_USAGE : st == GP_E_AUTH ? CLI_EXIT_AUTH : CLI_EXIT_FAILED;
    }
    demo_stop(&d);
    return rc;
}

/* `gpup --demo COMMAND`: the command against a demo emulator started for it. */
static int run_demo_command(const struct cli_args *args)
{
    struct demo d;
    char what[96];
    (void)snprintf(what, sizeof(what), "gpup %s: --demo", cli_cmd_path(args->cmd));
    if (!demo_env_start(&d, what))
        return CLI_EXIT_FAILED;
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
