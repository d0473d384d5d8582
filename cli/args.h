/* SPDX-License-Identifier: MIT
 * cli/args.h: the command line of gpup, table-driven: every command of the CLI (product.md 3)
 * with its options, the global options (product.md 4), the parser, and the --help texts and
 * bash completion generated from the same tables so they cannot drift.
 * Parsing only: no I/O besides the writers that take a FILE, no settings resolution. */
#ifndef GPUP_CLI_ARGS_H
#define GPUP_CLI_ARGS_H

#include <stdbool.h>
#include <stdio.h>

#include "model/status.h"

/* Every option of every command: id, long name, short letter (0: none), metavar (NULL: a
 * flag without value), help. Global options come first (up to CLI_OPT_GLOBAL_LAST). */
#define CLI_OPTIONS(X)                                                                         \
    X(CLI_OPT_HELP, "help", 'h', NULL, "show this help and exit")                             \
    X(CLI_OPT_PROFILE, "profile", 0, "NAME", "use profile NAME of the config file (GPUP_PROFILE)") \
    X(CLI_OPT_ENDPOINT, "endpoint", 0, "URL", "ARM endpoint URL (GPUP_ENDPOINT)")            \
    X(CLI_OPT_SUBSCRIPTION, "subscription", 0, "ID", "subscription id (GPUP_SUBSCRIPTION)")   \
    X(CLI_OPT_CONFIG, "config", 0, "FILE", "configuration file (GPUP_CONFIG)")               \
    X(CLI_OPT_OUTPUT, "output", 'o', "FORMAT",                                                 \
      "table, json or tsv (default: table on a terminal, else json)")          \
    X(CLI_OPT_YES, "yes", 'y', NULL, "do not ask for confirmation before a change")          \
    X(CLI_OPT_DRY_RUN, "dry-run", 0, NULL, "print the plan and change nothing")              \
    X(CLI_OPT_READONLY, "readonly", 0, NULL, "refuse every change")                          \
    X(CLI_OPT_THEME, "theme", 0, "NAME", "console colour theme")                             \
    X(CLI_OPT_MOUSE, "mouse", 0, NULL, "use the mouse in the console (ui.mouse)")            \
    X(CLI_OPT_DEMO, "demo", 0, NULL, "run against a local emulator with a demo fleet")       \
    X(CLI_OPT_VERBOSE, "verbose", 'v', NULL, "print requests and error details to stderr")   \
    X(CLI_OPT_NAME, "name", 'n', "NAME", "name of the VM")                                   \
    X(CLI_OPT_VM_NAME, "vm-name", 0, "NAME", "name of the VM")                               \
    X(CLI_OPT_RESOURCE_GROUP, "resource-group", 'g', "RG", "resource group")                 \
    X(CLI_OPT_CUSTOM_LOCATION, "custom-location", 0, "CL", "custom location (resource id)")  \
    X(CLI_OPT_QUERY, "query", 0, "FILTER", "only VMs whose name contains FILTER")            \
    X(CLI_OPT_NO_WAIT, "no-wait", 0, NULL, "do not wait for the operation to finish")        \
    X(CLI_OPT_LOCATION, "location", 'l', "REGION", "Azure region of the new VM")             \
    X(CLI_OPT_IMAGE, "image", 0, "IMG", "gallery image (resource id)")                       \
    X(CLI_OPT_VCPUS, "vcpus", 0, "N", "number of virtual processors")                        \
    X(CLI_OPT_MEMORY_MB, "memory-mb", 0, "N", "memory in MB")                                \
    X(CLI_OPT_ADMIN_USERNAME, "admin-username", 0, "USER", "administrator user name")        \
    X(CLI_OPT_SSH_KEY_FILE, "ssh-key-file", 0, "FILE", "SSH public key file for the admin")  \
    X(CLI_OPT_GPUS, "gpus", 0, "TYPE", "GPU assignment: GpuP or GpuDDA")                      \
    X(CLI_OPT_NO_RESTART, "no-restart", 0, NULL,                                               \
      "leave a VM that was running stopped after the change")                                 \
    X(CLI_OPT_DEVICE_CODE, "device-code", 0, NULL, "sign in with a device code")             \
    X(CLI_OPT_SERVICE_PRINCIPAL, "service-principal", 0, NULL, "sign in as a service principal") \
    X(CLI_OPT_USE_AZ_CLI, "use-az-cli", 0, NULL, "use the Azure CLI's cached login")         \
    X(CLI_OPT_TENANT, "tenant", 0, "ID", "Microsoft Entra tenant id")                        \
    X(CLI_OPT_CLIENT_ID, "client-id", 0, "ID", "application (client) id")                    \
    X(CLI_OPT_CLIENT_SECRET_FILE, "client-secret-file", 0, "FILE",                             \
      "file holding the client secret (or AZURE_CLIENT_SECRET)")                               \
    X(CLI_OPT_CERTIFICATE_FILE, "certificate-file", 0, "FILE", "PEM certificate and key file")

#define CLI_OPT_ID_(id, lng, shrt, meta, help) id,
enum cli_opt { CLI_OPTIONS(CLI_OPT_ID_) CLI_OPT_COUNT };
#undef CLI_OPT_ID_
#define CLI_OPT_GLOBAL_LAST CLI_OPT_VERBOSE

/* Every command and command group: id, words after "gpup", summary. */
#define CLI_COMMANDS(X)                                                                        \
    X(CLI_CMD_ROOT, "", "GPU partitioning for Azure Local VMs")                               \
    X(CLI_CMD_VM, "vm", "manage virtual machines")                                            \
    X(CLI_CMD_VM_LIST, "vm list", "list VMs")                                                 \
    X(CLI_CMD_VM_SHOW, "vm show", "show one VM")                                              \
    X(CLI_CMD_VM_START, "vm start", "start a VM")                                             \
    X(CLI_CMD_VM_STOP, "vm stop", "stop a VM")                                                \
    X(CLI_CMD_VM_RESTART, "vm restart", "restart a VM")                                       \
    X(CLI_CMD_VM_CREATE, "vm create", "create a VM")                                          \
    X(CLI_CMD_VM_GPU, "vm gpu", "manage the GPUs of a VM")                                    \
    X(CLI_CMD_VM_GPU_ATTACH, "vm gpu attach", "attach a GPU (stop, attach, start)")           \
    X(CLI_CMD_VM_GPU_DETACH, "vm gpu detach", "detach the GPUs (stop, detach, start)")        \
    X(CLI_CMD_VM_GPU_LIST, "vm gpu list", "list the VMs of a resource group with their GPUs") \
    X(CLI_CMD_HOST, "host", "inspect the cluster's hosts")                                    \
    X(CLI_CMD_HOST_GPU, "host gpu", "inspect the hosts' GPUs")                                \
    X(CLI_CMD_HOST_GPU_LIST, "host gpu list", "list the hosts' GPUs and partitions")          \
    X(CLI_CMD_OPS, "ops", "unfinished multi-step operations (journal)")                       \
    X(CLI_CMD_OPS_LIST, "ops list", "list unfinished operations")                             \
    X(CLI_CMD_OPS_RESUME, "ops resume", "resume or recover an unfinished operation")          \
    X(CLI_CMD_OPS_ABANDON, "ops abandon", "leave an operation as it is; no longer offered")   \
    X(CLI_CMD_CONFIG, "config", "configuration")                                              \
    X(CLI_CMD_CONFIG_SHOW, "config show", "print the effective configuration, secrets masked") \
    X(CLI_CMD_CONFIG_CHECK, "config check", "check a configuration file")                     \
    X(CLI_CMD_LOGIN, "login", "sign in to Azure")

#define CLI_CMD_ID_(id, path, summary) id,
enum cli_cmd { CLI_COMMANDS(CLI_CMD_ID_) CLI_CMD_COUNT };
#undef CLI_CMD_ID_

enum cli_format { CLI_FORMAT_DEFAULT, CLI_FORMAT_TABLE, CLI_FORMAT_JSON, CLI_FORMAT_TSV };

/* The parsed command line. Strings are borrowed from argv. */
struct cli_args {
    enum cli_cmd cmd;                  /* deepest command or group named (CLI_CMD_ROOT: none) */
    bool set[CLI_OPT_COUNT];           /* the option was given */
    const char *value[CLI_OPT_COUNT];  /* its value (the last one given), NULL for flags */
    const char *positional;            /* ops resume ID, config check FILE; else NULL */
    enum cli_format format;            /* from -o; CLI_FORMAT_DEFAULT when not given */
    long vcpus, memory_mb;             /* parsed --vcpus / --memory-mb, -1 when absent */
};

/* Parses argv[1..argc-1]. Global options are accepted anywhere; "--" ends the options.
 * On a usage error returns GP_E_INVALID with one line in err->message, e.g.
 * "gpup vm show: missing --name (-n)"; out->cmd is still the deepest command recognised, for
 * cli_args_print_hint. With --help, required options and positionals are not checked. */
GP_NODISCARD enum gp_status cli_args_parse(int argc, char *const argv[], struct cli_args *out,
                                           struct gp_error *err);

/* Table lookups. */
const char *cli_cmd_path(enum cli_cmd c);          /* "vm gpu attach"; "" for the root */
const char *cli_cmd_summary(enum cli_cmd c);
bool cli_cmd_is_group(enum cli_cmd c);
const char *cli_opt_long(enum cli_opt o);           /* "resource-group" */
char cli_opt_short(enum cli_opt o);                 /* 'g' or 0 */
const char *cli_opt_metavar(enum cli_opt o);        /* "RG" or NULL */
/* True when command c accepts option o (globals are accepted by every command). */
bool cli_cmd_accepts(enum cli_cmd c, enum cli_opt o);
/* True when option o is required by command c. */
bool cli_cmd_requires(enum cli_cmd c, enum cli_opt o);
/* The positional argument of c ("ID", "FILE") or NULL. */
const char *cli_cmd_positional(enum cli_cmd c);
const char *cli_format_name(enum cli_format f);     /* "table", "json", "tsv", "default" */

/* One-line usage of c: "gpup vm show -n NAME -g RG [options]". */
void cli_args_usage(FILE *out, enum cli_cmd c);
/* The --help text of c (usage, summary, sub-commands or options, global options). */
void cli_args_help(FILE *out, enum cli_cmd c);
/* The two lines after a usage error: "usage: ..." and "Try 'gpup vm show --help'." */
void cli_args_print_hint(FILE *out, enum cli_cmd c);
/* The bash completion script (completion/gpup.bash is this output). */
void cli_args_write_bash_completion(FILE *out);

#endif
