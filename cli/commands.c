/* SPDX-License-Identifier: MIT
 * cli/commands.c: one function per sub-command, over struct cli_backend. Errors are printed as
 * one line ("gpup vm show: ...") on stderr, details after, and mapped to the exit status by
 * cli/exitcode. */
#include "cli/commands.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/output.h"
#include "model/text.h"

struct cmd_ctx {
    const struct cli_args *args;
    const struct cli_io *io;
    const struct cli_backend *be;
    char title[64]; /* "gpup vm show" */
    struct gp_error err;
};

/* Prints the failure as one line, then what the service said, and returns the exit status. */
static int fail(struct cmd_ctx *c, enum gp_status st, enum cli_outcome outcome)
{
    const struct gp_error *e = &c->err;
    char msg[sizeof(e->message)];
    (void)text_sanitize(msg, sizeof(msg), e->message[0] ? e->message : gp_status_name(st));
    fprintf(c->io->err, "%s: %s\n", c->title, msg);
    if (e->http_status || e->code[0] || e->request_id[0]) {
        char code[sizeof(e->code)], rid[sizeof(e->request_id)], cid[sizeof(e->correlation_id)];
        fprintf(c->io->err, "  HTTP %d%s%s", e->http_status, e->code[0] ? " " : "",
                text_sanitize(code, sizeof(code), e->code));
        if (e->request_id[0])
            fprintf(c->io->err, ", request id %s",
                    text_sanitize(rid, sizeof(rid), e->request_id));
        if (e->correlation_id[0])
            fprintf(c->io->err, ", correlation id %s",
                    text_sanitize(cid, sizeof(cid), e->correlation_id));
        fputc('\n', c->io->err);
    }
    return cli_exit_code(st, outcome);
}

static int not_available(struct cmd_ctx *c, const char *what)
{
    (void)gp_error_set(&c->err, GP_E_FAILED, "not available in this build yet: %s", what);
    return fail(c, GP_E_FAILED, CLI_OUTCOME_DONE);
}

static enum cli_format out_format(const struct cmd_ctx *c)
{
    return cli_output_resolve(c->args->format, c->io->out_tty);
}

/* The custom location filter matches the full id or its last segment, case-insensitively. */
static bool location_matches(const struct vm *vm, const char *cl)
{
    if (!cl)
        return true;
    if (!vm->custom_location)
        return false;
    if (str_ieq(vm->custom_location, cl))
        return true;
    const char *slash = strrchr(vm->custom_location, '/');
    return slash && str_ieq(slash + 1, cl);
}

static bool name_contains(const char *name, const char *needle)
{
    if (!needle || !*needle)
        return true;
    if (!name)
        return false;
    size_t n = strlen(needle);
    for (const char *p = name; *p; p++) {
        size_t i = 0;
        while (i < n && p[i]) {
            char a = p[i], b = needle[i];
            if (a >= 'A' && a <= 'Z')
                a = (char)(a - 'A' + 'a');
            if (b >= 'A' && b <= 'Z')
                b = (char)(b - 'A' + 'a');
            if (a != b)
                break;
            i++;
        }
        if (i == n)
            return true;
    }
    return false;
}

/* vm list and vm gpu list: read, filter in place, print. */
static int cmd_vm_list(struct cmd_ctx *c, bool gpus_only)
{
    if (!c->be->list_vms)
        return not_available(c, "listing VMs needs the ARM client (net/)");
    const struct cli_args *a = c->args;
    struct vm *vms = NULL;
    size_t n = 0;
    enum gp_status st = c->be->list_vms(c->be->ctx, a->value[CLI_OPT_RESOURCE_GROUP], &vms, &n,
                                        &c->err);
    if (st != GP_OK) {
        vm_array_free(vms, n);
        return fail(c, st, CLI_OUTCOME_DONE);
    }
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        bool keep = location_matches(&vms[i], a->value[CLI_OPT_CUSTOM_LOCATION]) &&
                    name_contains(vms[i].name, a->value[CLI_OPT_QUERY]) &&
                    (!gpus_only || vms[i].n_gpus > 0);
        if (!keep) {
            vm_cleanup(&vms[i]);
            continue;
        }
        if (kept != i) {
            vms[kept] = vms[i];
            vm_init(&vms[i]);
        }
        kept++;
    }
    st = cli_output_vms(c->io->out, out_format(c), c->io->utf8, vms, kept);
    vm_array_free(vms, n);
    if (st != GP_OK) {
        (void)gp_error_set(&c->err, st, "cannot write the output");
        return fail(c, st, CLI_OUTCOME_DONE);
    }
    return CLI_EXIT_OK;
}

static int cmd_vm_show(struct cmd_ctx *c)
{
    if (!c->be->get_vm)
        return not_available(c, "reading a VM needs the ARM client (net/)");
    struct vm vm;
    vm_init(&vm);
    enum gp_status st = c->be->get_vm(c->be->ctx, c->args->value[CLI_OPT_RESOURCE_GROUP],
                                      c->args->value[CLI_OPT_NAME], &vm, &c->err);
    if (st == GP_OK)
        st = cli_output_vm(c->io->out, out_format(c), c->io->utf8, &vm);
    vm_cleanup(&vm);
    return st == GP_OK ? CLI_EXIT_OK : fail(c, st, CLI_OUTCOME_DONE);
}

int cli_commands_exec(const struct cli_args *args, const struct cli_io *io,
                      const struct cli_backend *backend)
{
    static const struct cli_backend none = {0};
    struct cmd_ctx c = {.args = args, .io = io, .be = backend ? backend : &none};
    gp_error_clear(&c.err);
    const char *path = cli_cmd_path(args->cmd);
    (void)snprintf(c.title, sizeof(c.title), "gpup%s%s", *path ? " " : "", path);

    switch (args->cmd) {
    case CLI_CMD_VM_LIST:
        return cmd_vm_list(&c, false);
    case CLI_CMD_VM_GPU_LIST:
        return cmd_vm_list(&c, true);
    case CLI_CMD_VM_SHOW:
        return cmd_vm_show(&c);
    case CLI_CMD_VM_START:
    case CLI_CMD_VM_STOP:
    case CLI_CMD_VM_RESTART:
    case CLI_CMD_VM_CREATE:
    case CLI_CMD_VM_GPU_ATTACH:
    case CLI_CMD_VM_GPU_DETACH:
        return not_available(&c, "changes need the change plans (model/plan) and the executor");
    case CLI_CMD_HOST_GPU_LIST:
        return not_available(&c, "the host GPU inventory needs the ARM client (net/)");
    case CLI_CMD_OPS_LIST:
    case CLI_CMD_OPS_RESUME:
        return not_available(&c, "the operations journal (net/journal)");
    case CLI_CMD_CONFIG_SHOW:
    case CLI_CMD_CONFIG_CHECK:
        return not_available(&c, "the configuration reader (config/settings)");
    case CLI_CMD_LOGIN:
        return not_available(&c, "sign-in (net/auth)");
    case CLI_CMD_ROOT:
    case CLI_CMD_VM:
    case CLI_CMD_VM_GPU:
    case CLI_CMD_HOST:
    case CLI_CMD_HOST_GPU:
    case CLI_CMD_OPS:
    case CLI_CMD_CONFIG:
    case CLI_CMD_COUNT:
    default:
        cli_args_help(io->err, args->cmd);
        return CLI_EXIT_USAGE;
    }
}

int cli_commands_run(const struct cli_args *args)
{
    struct cli_io io = {
        .out = stdout,
        .err = stderr,
        .in = stdin,
        .out_tty = isatty(STDOUT_FILENO) == 1,
        .in_tty = isatty(STDIN_FILENO) == 1,
        .utf8 = cli_output_locale_utf8(),
    };
    /* TODO(net): an ARM-backed struct cli_backend once net/arm lands. */
    int code = cli_commands_exec(args, &io, NULL);
    if (fflush(stdout) != 0 && code == CLI_EXIT_OK) {
        fputs("gpup: cannot write the output\n", stderr);
        code = CLI_EXIT_FAILED;
    }
    return code;
}
