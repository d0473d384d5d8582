/* SPDX-License-Identifier: MIT
 * tests/fuzz/fuzz_cli_args.c: any bytes as gpup's command line (cli/args): split on NUL and
 * newline into argv[1..], parsed, then the help, usage and hint of the command reached are
 * written (to /dev/null). Built by `make fuzz` with libFuzzer and replayed by `make check`
 * over tests/fuzz/corpus/cli_args. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *null;
    if (!null && !(null = fopen("/dev/null", "w")))
        abort();
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char *argv[MAX_ARGS + 2];
    int argc = 0;
    argv[argc++] = (char *)"gpup";
    char *p = text;
    while (argc <= MAX_ARGS && p < text + size) {
        argv[argc++] = p;
        char *end = p;
        while (end < text + size && *end != '\0' && *end != '\n')
            end++;
        *end = '\0';
        p = end + 1;
    }
    argv[argc] = NULL;

    struct cli_args args;
    struct gp_error err;
    gp_error_clear(&err);
    enum gp_status st = cli_args_parse(argc, argv, &args, &err);
    if ((unsigned)args.cmd >= CLI_CMD_COUNT)
        abort();
    if (st == GP_OK) {
        for (int o = 0; o < CLI_OPT_COUNT; o++)
            if (args.set[o] && !cli_cmd_accepts(args.cmd, (enum cli_opt)o))
                abort();
        (void)cli_format_name(args.format);
    } else if (strnlen(err.message, sizeof(err.message)) == sizeof(err.message)) {
        abort();
    }
    cli_args_usage(null, args.cmd);
    cli_args_help(null, args.cmd);
    cli_args_print_hint(null, args.cmd);
    free(text);
    return 0;
}
