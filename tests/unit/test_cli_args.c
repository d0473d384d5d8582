/* SPDX-License-Identifier: MIT
 * tests/unit/test_cli_args.c: gpup's command line: every command of product.md 3 parses, every
 * usage error gives its exact one line, --help is generated from the tables, secrets are refused
 * on argv, and completion/gpup.bash is the one the tables generate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/exitcode.h"
#include "model/status.h"
#include "tests/support/testio.h"

#define MAX_ARGS 32

/* Splits line on spaces into argv (argv[0] = "gpup") and parses it. */
static enum gp_status parse_line(const char *line, struct cli_args *a, struct gp_error *err)
{
    char *argv[MAX_ARGS];
    int argc = testio_split_argv(line, argv, MAX_ARGS);
    gp_error_clear(err);
    return cli_args_parse(argc, argv, a, err);
}

static void parse_ok(const char *line, enum cli_cmd want, struct cli_args *a)
{
    struct gp_error err;
    enum gp_status st = parse_line(line, a, &err);
    if (st != GP_OK)
        fail_msg("'%s': %s", line, err.message);
    if (a->cmd != want)
        fail_msg("'%s': parsed as '%s'", line, cli_cmd_path(a->cmd));
}

static void test_every_command_parses(void **state)
{
    (void)state;
    static const struct {
        const char *line;
        enum cli_cmd cmd;
    } cases[] = {
        {"", CLI_CMD_ROOT},
        {"--demo", CLI_CMD_ROOT},
        {"vm list", CLI_CMD_VM_LIST},
        {"vm list -g ml-rg --custom-location cl1 --query train -o table", CLI_CMD_VM_LIST},
        {"vm show -n train-04 -g ml-rg -o json", CLI_CMD_VM_SHOW},
        {"vm show --name=train-04 --resource-group=ml-rg", CLI_CMD_VM_SHOW},
        {"vm show -ntrain-04 -gml-rg", CLI_CMD_VM_SHOW},
        {"vm start -n a -g b --no-wait", CLI_CMD_VM_START},
        {"vm stop -n a -g b", CLI_CMD_VM_STOP},
        {"vm restart -n a -g b", CLI_CMD_VM_RESTART},
        {"vm create -n a -g b --custom-location cl --image img --vcpus 4 --memory-mb 8192 "
         "--gpus GpuP --yes",
         CLI_CMD_VM_CREATE},
        {"vm create -n a -g b --custom-location cl --image img --dry-run", CLI_CMD_VM_CREATE},
        {"vm gpu attach --vm-name a -g b --custom-location cl --gpus GpuP --yes --dry-run "
         "--no-restart",
         CLI_CMD_VM_GPU_ATTACH},
        {"vm gpu detach --vm-name a -g b --yes --no-restart", CLI_CMD_VM_GPU_DETACH},
        {"vm gpu list -g b -o tsv", CLI_CMD_VM_GPU_LIST},
        {"host gpu list -o json", CLI_CMD_HOST_GPU_LIST},
        {"ops list", CLI_CMD_OPS_LIST},
        {"ops resume 20261125T0907-vm-017", CLI_CMD_OPS_RESUME},
        {"config show", CLI_CMD_CONFIG_SHOW},
        {"config check", CLI_CMD_CONFIG_CHECK},
        {"config check /tmp/gpup.conf", CLI_CMD_CONFIG_CHECK},
        {"login", CLI_CMD_LOGIN},
        {"login --device-code --tenant t", CLI_CMD_LOGIN},
        {"login --use-az-cli", CLI_CMD_LOGIN},
        {"login --service-principal --tenant t --client-id c --client-secret-file /run/s",
         CLI_CMD_LOGIN},
        /* Global options anywhere on the line. */
        {"--profile lab --endpoint http://127.0.0.1:1 --subscription s --config f vm list",
         CLI_CMD_VM_LIST},
        {"vm --verbose list --readonly --theme dark -v", CLI_CMD_VM_LIST},
        /* "--" ends the options: a positional may start with a dash. */
        {"ops resume -- -odd-id", CLI_CMD_OPS_RESUME},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cli_args a;
        parse_ok(cases[i].line, cases[i].cmd, &a);
    }
}

static void test_values(void **state)
{
    (void)state;
    struct cli_args a;
    parse_ok("vm show -n train-04 --resource-group=ml-rg -o tsv", CLI_CMD_VM_SHOW, &a);
    assert_string_equal(a.value[CLI_OPT_NAME], "train-04");
    assert_string_equal(a.value[CLI_OPT_RESOURCE_GROUP], "ml-rg");
    assert_int_equal(a.format, CLI_FORMAT_TSV);
    assert_false(a.set[CLI_OPT_YES]);

    parse_ok("vm list", CLI_CMD_VM_LIST, &a);
    assert_int_equal(a.format, CLI_FORMAT_DEFAULT);
    assert_null(a.value[CLI_OPT_RESOURCE_GROUP]);

    parse_ok("vm create -n a -g b --custom-location cl --image img --vcpus 4 --memory-mb 8192 -y",
             CLI_CMD_VM_CREATE, &a);
    assert_int_equal(a.vcpus, 4);
    assert_int_equal(a.memory_mb, 8192);
    assert_true(a.set[CLI_OPT_YES]);

    /* The last value given wins. */
    parse_ok("vm list -g one -g two", CLI_CMD_VM_LIST, &a);
    assert_string_equal(a.value[CLI_OPT_RESOURCE_GROUP], "two");

    parse_ok("ops resume op-7", CLI_CMD_OPS_RESUME, &a);
    assert_string_equal(a.positional, "op-7");
    parse_ok("config check", CLI_CMD_CONFIG_CHECK, &a);
    assert_null(a.positional);

    parse_ok("vm gpu attach --vm-name a -g b --gpus GpuP --dry-run", CLI_CMD_VM_GPU_ATTACH, &a);
    assert_true(a.set[CLI_OPT_DRY_RUN]);
    assert_string_equal(a.value[CLI_OPT_GPUS], "GpuP");
}

static void test_usage_errors(void **state)
{
    (void)state;
    static const struct {
        const char *line;
        const char *message;
        enum cli_cmd cmd; /* the command the hint is for */
    } cases[] = {
        {"vm show -g ml-rg", "gpup vm show: missing --name (-n)", CLI_CMD_VM_SHOW},
        {"vm show -n a", "gpup vm show: missing --resource-group (-g)", CLI_CMD_VM_SHOW},
        {"vm show -n", "gpup vm show: --name (-n) needs a value (NAME)", CLI_CMD_VM_SHOW},
        {"vm show -n -g b", "gpup vm show: --name (-n) needs a value (NAME)", CLI_CMD_VM_SHOW},
        {"vm show --name= -g b", "gpup vm show: --name (-n) needs a value (NAME)",
         CLI_CMD_VM_SHOW},
        {"vm list --frobnicate", "gpup vm list: unknown option --frobnicate", CLI_CMD_VM_LIST},
        {"vm list -x", "gpup vm list: unknown option -x", CLI_CMD_VM_LIST},
        {"vm list --name a", "gpup vm list: unknown option --name", CLI_CMD_VM_LIST},
        {"vm list --yes=1", "gpup vm list: --yes (-y) takes no value", CLI_CMD_VM_LIST},
        {"vm list extra", "gpup vm list: unexpected argument 'extra'", CLI_CMD_VM_LIST},
        {"vm list -o xml", "gpup vm list: --output (-o) must be table, json or tsv (got 'xml')",
         CLI_CMD_VM_LIST},
        {"vm list -o", "gpup vm list: --output (-o) needs a value (FORMAT)", CLI_CMD_VM_LIST},
        {"vm", "gpup vm: missing command (one of: list, show, start, stop, restart, create, gpu)",
         CLI_CMD_VM},
        {"vm gpu", "gpup vm gpu: missing command (one of: attach, detach, list)",
         CLI_CMD_VM_GPU},
        {"vm lsit", "gpup vm: unknown command 'lsit'", CLI_CMD_VM},
        {"frob", "gpup: unknown command 'frob'", CLI_CMD_ROOT},
        {"vm gpu attach --vm-name a -g b", "gpup vm gpu attach: missing --gpus",
         CLI_CMD_VM_GPU_ATTACH},
        {"vm gpu attach --vm-name a -g b --gpus gpu",
         "gpup vm gpu attach: --gpus must be GpuP or GpuDDA (got 'gpu')", CLI_CMD_VM_GPU_ATTACH},
        {"vm gpu detach -g b", "gpup vm gpu detach: missing --vm-name", CLI_CMD_VM_GPU_DETACH},
        {"vm gpu list", "gpup vm gpu list: missing --resource-group (-g)", CLI_CMD_VM_GPU_LIST},
        {"vm create -n a -g b --image i", "gpup vm create: missing --custom-location",
         CLI_CMD_VM_CREATE},
        {"vm create -n a -g b --custom-location c --image i --vcpus 0",
         "gpup vm create: --vcpus must be a whole number from 1 to 1024 (got '0')",
         CLI_CMD_VM_CREATE},
        {"vm create -n a -g b --custom-location c --image i --memory-mb 8G",
         "gpup vm create: --memory-mb must be a whole number from 512 to 16777216 (got '8G')",
         CLI_CMD_VM_CREATE},
        {"ops resume", "gpup ops resume: missing ID", CLI_CMD_OPS_RESUME},
        {"ops resume a b", "gpup ops resume: unexpected argument 'b'", CLI_CMD_OPS_RESUME},
        {"config check a b", "gpup config check: unexpected argument 'b'", CLI_CMD_CONFIG_CHECK},
        {"login --device-code --use-az-cli",
         "gpup login: --device-code and --use-az-cli cannot be used together", CLI_CMD_LOGIN},
        /* Secrets are refused on argv, and the value is never echoed. */
        {"login --service-principal --client-secret s3cr3t",
         "gpup login: --client-secret is refused: secrets are never taken from the command "
         "line; read it from a file (--client-secret-file) or AZURE_CLIENT_SECRET",
         CLI_CMD_LOGIN},
        {"login --client-secret=s3cr3t",
         "gpup login: --client-secret is refused: secrets are never taken from the command "
         "line; read it from a file (--client-secret-file) or AZURE_CLIENT_SECRET",
         CLI_CMD_LOGIN},
        {"vm list --token=s3cr3t",
         "gpup vm list: --token is refused: secrets are never taken from the command line; put "
         "a ready bearer token in GPUP_TOKEN",
         CLI_CMD_VM_LIST},
        {"vm create -n a --admin-password s3cr3t",
         "gpup vm create: --admin-password is refused: secrets are never taken from the command "
         "line; use an SSH key (--ssh-key-file); passwords are never taken",
         CLI_CMD_VM_CREATE},
        /* Control characters typed or pasted are not echoed raw. */
        {"vm \x1b[2J", "gpup vm: unknown command '?[2J'", CLI_CMD_VM},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cli_args a;
        struct gp_error err;
        enum gp_status st = parse_line(cases[i].line, &a, &err);
        if (st != GP_E_INVALID)
            fail_msg("'%s': parsed (%d) but should fail", cases[i].line, (int)st);
        assert_string_equal(err.message, cases[i].message);
        assert_null(strstr(err.message, "s3cr3t"));
        assert_int_equal(a.cmd, cases[i].cmd);
        /* Usage errors exit 2 through the one table. */
        assert_int_equal(cli_exit_code(st, CLI_OUTCOME_DONE), 2);
    }
}

/* Runs a writer into a string (caller frees). */
static char *capture_help(enum cli_cmd c)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    cli_args_help(f, c);
    assert_int_equal(fclose(f), 0);
    return text;
}

static void test_help_for_every_command(void **state)
{
    (void)state;
    for (int c = 0; c < CLI_CMD_COUNT; c++) {
        char *text = capture_help((enum cli_cmd)c);
        char want[128];
        (void)snprintf(want, sizeof(want), "usage: gpup%s%s", *cli_cmd_path((enum cli_cmd)c)
                       ? " " : "", cli_cmd_path((enum cli_cmd)c));
        assert_true(strncmp(text, want, strlen(want)) == 0);
        /* Every option the command takes, globals included, is described. */
        for (int o = 0; o < CLI_OPT_COUNT; o++) {
            char opt[64];
            (void)snprintf(opt, sizeof(opt), "--%s", cli_opt_long((enum cli_opt)o));
            bool accepted = cli_cmd_accepts((enum cli_cmd)c, (enum cli_opt)o);
            if (accepted && !strstr(text, opt))
                fail_msg("help of '%s' lacks %s", cli_cmd_path((enum cli_cmd)c), opt);
        }
        /* Lines fit 80 columns. */
        for (char *line = text; *line;) {
            size_t n = strcspn(line, "\n");
            if (n > 80)
                fail_msg("help of '%s' has a line of %zu columns", cli_cmd_path((enum cli_cmd)c),
                         n);
            line += n + (line[n] == '\n');
        }
        free(text);
    }
    /* --help skips the required checks. */
    struct cli_args a;
    parse_ok("vm gpu attach --help", CLI_CMD_VM_GPU_ATTACH, &a);
    assert_true(a.set[CLI_OPT_HELP]);
    parse_ok("vm -h", CLI_CMD_VM, &a);
    assert_true(a.set[CLI_OPT_HELP]);

    char *text = capture_help(CLI_CMD_VM_SHOW);
    assert_non_null(strstr(text, "usage: gpup vm show -n NAME -g RG [options]\n"));
    assert_non_null(strstr(text, "  -n, --name NAME                name of the VM (required)\n"));
    free(text);
    text = capture_help(CLI_CMD_VM_GPU);
    assert_non_null(strstr(text, "  attach     attach a GPU (stop, attach, start)\n"));
    free(text);
    text = capture_help(CLI_CMD_OPS_RESUME);
    assert_non_null(strstr(text, "usage: gpup ops resume ID [options]\n"));
    free(text);
}

static void test_hint(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    cli_args_print_hint(f, CLI_CMD_VM_SHOW);
    assert_int_equal(fclose(f), 0);
    assert_string_equal(text, "usage: gpup vm show -n NAME -g RG [options]\n"
                              "Try 'gpup vm show --help'.\n");
    free(text);
}

/* completion/gpup.bash is exactly what the tables generate, and names every command and
 * option; UPDATE_GOLDEN=1 rewrites it. */
static void test_bash_completion_current(void **state)
{
    (void)state;
    const char *src = getenv("GPUP_SRCDIR");
    char path[4096];
    (void)snprintf(path, sizeof(path), "%s/completion/gpup.bash", src ? src : ".");
    char *want = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&want, &len);
    assert_non_null(m);
    cli_args_write_bash_completion(m);
    assert_int_equal(fclose(m), 0);
    if (getenv("UPDATE_GOLDEN")) {
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(want, 1, len, f), len);
        assert_int_equal(fclose(f), 0);
    }
    char *have = testio_read_file(path);
    if (!have) {
        fail_msg("cannot read %s", path);
        return; /* not reached: cmocka 1.1.5 does not mark fail_msg() noreturn */
    }
    if (strcmp(have, want) != 0)
        fail_msg("%s is out of date: run UPDATE_GOLDEN=1 make check and review the diff", path);
    for (int c = 1; c < CLI_CMD_COUNT; c++) {
        char quoted[80];
        (void)snprintf(quoted, sizeof(quoted), "\"%s\")", cli_cmd_path((enum cli_cmd)c));
        if (!strstr(have, quoted))
            fail_msg("completion lacks the command '%s'", cli_cmd_path((enum cli_cmd)c));
    }
    for (int o = 0; o < CLI_OPT_COUNT; o++) {
        char opt[64];
        (void)snprintf(opt, sizeof(opt), "--%s", cli_opt_long((enum cli_opt)o));
        if (!strstr(have, opt))
            fail_msg("completion lacks %s", opt);
    }
    free(have);
    free(want);
}

/* doc/gpup.1 names every option (as roff writes it, "\\-\\-name"), command and exit status. */
static void test_man_page_current(void **state)
{
    (void)state;
    const char *src = getenv("GPUP_SRCDIR");
    char path[4096];
    (void)snprintf(path, sizeof(path), "%s/doc/gpup.1", src ? src : ".");
    char *man = testio_read_file(path);
    if (!man) {
        fail_msg("cannot read %s", path);
        return; /* not reached: cmocka 1.1.5 does not mark fail_msg() noreturn */
    }
    for (int o = 0; o < CLI_OPT_COUNT; o++) {
        char roff[96] = "\\-\\-";
        size_t n = strlen(roff);
        for (const char *p = cli_opt_long((enum cli_opt)o); *p && n + 3 < sizeof(roff); p++) {
            if (*p == '-')
                roff[n++] = '\\';
            roff[n++] = *p;
        }
        roff[n] = '\0';
        if (!strstr(man, roff))
            fail_msg("%s lacks %s", path, roff);
    }
    for (int c = 1; c < CLI_CMD_COUNT; c++) {
        if (cli_cmd_is_group((enum cli_cmd)c))
            continue;
        if (!strstr(man, cli_cmd_path((enum cli_cmd)c)))
            fail_msg("%s lacks the command '%s'", path, cli_cmd_path((enum cli_cmd)c));
    }
    static const char *const codes[] = {".B 0\n", ".B 1\n", ".B 2\n", ".B 3\n",
                                        ".B 4\n", ".B 5\n", ".B 130\n"};
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        assert_non_null(strstr(man, codes[i]));
    free(man);
}

static void test_exit_codes(void **state)
{
    (void)state;
    assert_int_equal(cli_exit_code(GP_OK, CLI_OUTCOME_DONE), 0);
    assert_int_equal(cli_exit_code(GP_E_HTTP, CLI_OUTCOME_DONE), 1);
    assert_int_equal(cli_exit_code(GP_E_NOT_FOUND, CLI_OUTCOME_DONE), 1);
    assert_int_equal(cli_exit_code(GP_E_INVALID, CLI_OUTCOME_DONE), 2);
    assert_int_equal(cli_exit_code(GP_E_CONFIG, CLI_OUTCOME_DONE), 2);
    assert_int_equal(cli_exit_code(GP_E_RULE, CLI_OUTCOME_DONE), 3);
    assert_int_equal(cli_exit_code(GP_E_AUTH, CLI_OUTCOME_DONE), 4);
    assert_int_equal(cli_exit_code(GP_E_FAILED, CLI_OUTCOME_PARTIAL), 5);
    assert_int_equal(cli_exit_code(GP_E_CANCELED, CLI_OUTCOME_DONE), 130);
    assert_int_equal(cli_exit_code(GP_E_CANCELED, CLI_OUTCOME_PARTIAL), 130);
    assert_int_equal(cli_exit_code(GP_OK, CLI_OUTCOME_DECLINED), 1);
    assert_string_equal(cli_exit_meaning(3), "validation refused the change");
    assert_string_equal(cli_exit_meaning(42), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_command_parses),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_help_for_every_command),
        cmocka_unit_test(test_hint),
        cmocka_unit_test(test_bash_completion_current),
        cmocka_unit_test(test_man_page_current),
        cmocka_unit_test(test_exit_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
