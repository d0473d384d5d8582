/* SPDX-License-Identifier: MIT
 * cli/commands.h: gpup's sub-commands (product.md 3) over a small backend interface: the ARM
 * reads and the plan executor are reached through struct cli_backend, so that every command
 * runs in unit tests against a fake and in gpup against net/ (cli/backend). Plans come from
 * model/plan, rules from model/rules; output goes through cli/output, questions through
 * cli/confirm, exit statuses through cli/exitcode. */
#ifndef GPUP_CLI_COMMANDS_H
#define GPUP_CLI_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cli/args.h"
#include "cli/exitcode.h"
#include "model/cluster.h"
#include "model/journal.h"
#include "model/plan.h"
#include "model/settings.h"
#include "model/status.h"
#include "model/vm.h"

/* Where a command reads and writes. */
struct cli_io {
    FILE *out, *err, *in;
    bool out_tty; /* stdout is a terminal: default format table */
    bool in_tty;  /* stdin is a terminal: questions may be asked */
    bool utf8;    /* the locale can print "—" */
};

#define CLI_MAX_OFFERS 4

/* How a plan run ended. */
struct cli_plan_result {
    struct gp_error err;       /* "step 2/3 PATCH vm-017: 409 ..." when it failed */
    bool partial;              /* the VM is not in the state the operator had (exit 5) */
    char op_id[64];            /* journal id, for `gpup ops resume` */
    char state_line[160];      /* "vm-017 is Stopped; its GPUs are unchanged", or "" */
    char offers[CLI_MAX_OFFERS][160]; /* recovery offers, one line each */
    size_t n_offers;
    struct vm vm;              /* the VM as read at the end (vm_init'ed by the caller) */
    bool have_vm;
};

/* What `gpup login` asks for; NULL members: from the settings. */
struct cli_login {
    const char *method;             /* "device-code", "service-principal", "azure-cli" */
    const char *tenant;
    const char *client_id;
    const char *client_secret_file; /* at most one of these two (cli/args.c refuses both) */
    const char *certificate_file;
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
    /* What is known of the hosts' GPUs (*out initialised by the caller); a backend without the
     * inventory leaves inventory_known false and returns GP_OK. */
    enum gp_status (*get_cluster)(void *ctx, struct cluster *out, struct gp_error *err);
    /* Runs the plan to its end (journaled, step by step), progress lines on progress (may be
     * NULL). Returns the final status; details in *out (its vm initialised by the caller). */
    enum gp_status (*run_plan)(void *ctx, const struct plan *plan, FILE *progress,
                               struct cli_plan_result *out);
    /* Sends one step's request and returns once it is accepted, without waiting for the
     * operation (--no-wait). */
    enum gp_status (*send_step)(void *ctx, const struct plan_step *step, struct gp_error *err);
    /* Resumes the journaled operation id (as `gpup ops list` names it). */
    enum gp_status (*resume_op)(void *ctx, const char *op_id, FILE *progress,
                                struct cli_plan_result *out);
    /* Closes the journaled operation op as abandoned, under its VM's lock, once the journal
     * confirms it still needs the operator. */
    enum gp_status (*abandon_op)(void *ctx, const struct journal_op *op, struct gp_error *err);
    /* Signs in (device-code instructions go to stderr) and describes the token held in
     * out_line ("device-code, expires in 59 min"; never the token). */
    enum gp_status (*login)(void *ctx, const struct cli_login *login, char *out_line, size_t n,
                            struct gp_error *err);
};

/* Runs the parsed command; returns the exit status. eff: the effective settings (NULL: the
 * defaults: api-version, no default resource group). */
int cli_commands_exec(const struct cli_args *args, const struct cli_io *io,
                      const struct cli_backend *backend, const struct settings_effective *eff);

/* The same on stdin/stdout/stderr with the settings and backend of this build. */
int cli_commands_run(const struct cli_args *args);

#endif
