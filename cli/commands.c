/* SPDX-License-Identifier: MIT
 * cli/commands.c: one function per sub-command, over struct cli_backend. A change is always:
 * read the VM now -> build the plan (model/plan) -> check the service rules (model/rules) ->
 * show the plan -> --dry-run stops here -> ask (cli/confirm) -> run it (backend) -> print the
 * VM as it ended. Errors are printed as one line ("gpup vm show: ...") on stderr, details after,
 * and mapped to the exit status by cli/exitcode. */
#include "cli/commands.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/backend.h"
#include "cli/confirm.h"
#include "cli/output.h"
#include "config/settings.h"
#include "model/buf.h"
#include "model/journal.h"
#include "model/rules.h"
#include "model/text.h"
#include "net/journal.h"

/* Arc machines api-version for create (azure-local-api.md 1). */
#define CLI_MACHINE_API_VERSION "2024-07-10"

struct cmd_ctx {
    const struct cli_args *args;
    const struct cli_io *io;
    const struct cli_backend *be;
    const struct settings_effective *eff;
    char title[64]; /* "gpup vm show" */
    struct gp_error err;
};

/* --- reporting ---------------------------------------------------------------------------- */

static void print_details(struct cmd_ctx *c, const struct gp_error *e)
{
    if (!e->http_status && !e->code[0] && !e->request_id[0])
        return;
    char code[sizeof(e->code)], rid[sizeof(e->request_id)], cid[sizeof(e->correlation_id)];
    fputs(" ", c->io->err);
    if (e->http_status)
        fprintf(c->io->err, " HTTP %d", e->http_status);
    if (e->code[0])
        fprintf(c->io->err, " code %s", text_sanitize(code, sizeof(code), e->code));
    if (e->request_id[0])
        fprintf(c->io->err, " request-id %s", text_sanitize(rid, sizeof(rid), e->request_id));
    if (e->correlation_id[0])
        fprintf(c->io->err, " correlation-id %s",
                text_sanitize(cid, sizeof(cid), e->correlation_id));
    fputc('\n', c->io->err);
}

/* Prints the failure as one line, then what the service said, and returns the exit status. */
static int fail_with(struct cmd_ctx *c, enum gp_status st, const struct gp_error *e,
                     enum cli_outcome outcome)
{
    char msg[sizeof(e->message)];
    (void)text_sanitize(msg, sizeof(msg), e->message[0] ? e->message : gp_status_name(st));
    fprintf(c->io->err, "%s: %s\n", c->title, msg);
    print_details(c, e);
    return cli_exit_code(st, outcome);
}

static int fail(struct cmd_ctx *c, enum gp_status st)
{
    return fail_with(c, st, &c->err, CLI_OUTCOME_DONE);
}

static int fail_msg(struct cmd_ctx *c, enum gp_status st, const char *fmt, ...) GP_PRINTF(3, 4);

static int fail_msg(struct cmd_ctx *c, enum gp_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gp_error_clear(&c->err);
    (void)vsnprintf(c->err.message, sizeof(c->err.message), fmt, ap);
    va_end(ap);
    c->err.status = st;
    return fail(c, st);
}

static int not_available(struct cmd_ctx *c, const char *what)
{
    return fail_msg(c, GP_E_FAILED, "not available in this build yet: %s", what);
}

static enum cli_format out_format(const struct cmd_ctx *c)
{
    return cli_output_resolve(c->args->format, c->io->out_tty);
}

static const char *opt_value(const struct cmd_ctx *c, enum cli_opt o)
{
    return c->args->set[o] ? c->args->value[o] : NULL;
}

/* --- settings ---------------------------------------------------------------------------- */

static const char *api_version(const struct cmd_ctx *c)
{
    if (c->eff && c->eff->profile.api_version[0])
        return c->eff->profile.api_version;
    return SETTINGS_DEFAULT_API_VERSION;
}

static struct plan_options plan_opts(const struct cmd_ctx *c)
{
    struct plan_options o = {
        .api_version = api_version(c),
        .machine_api_version = CLI_MACHINE_API_VERSION,
        .no_restart = c->args->set[CLI_OPT_NO_RESTART],
    };
    return o;
}

/* --- listing ------------------------------------------------------------------------------ */

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

static char lower(char ch)
{
    return ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
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
        while (i < n && p[i] && lower(p[i]) == lower(needle[i]))
            i++;
        if (i == n)
            return true;
    }
    return false;
}

/* vm list and vm gpu list: read, filter in place, print. */
static int cmd_vm_list(struct cmd_ctx *c, bool gpus_only)
{
    if (!c->be->list_vms)
        return not_available(c, "listing VMs needs the ARM fleet reader (net/)");
    const char *rg = opt_value(c, CLI_OPT_RESOURCE_GROUP);
    /* The profile's default resource group applies when -g is not given (az's defaults). */
    if (!rg && c->eff && c->eff->profile.resource_group[0])
        rg = c->eff->profile.resource_group;
    struct vm *vms = NULL;
    size_t n = 0;
    enum gp_status st = c->be->list_vms(c->be->ctx, rg, &vms, &n, &c->err);
    if (st != GP_OK) {
        vm_array_free(vms, n);
        return fail(c, st);
    }
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        bool keep = location_matches(&vms[i], opt_value(c, CLI_OPT_CUSTOM_LOCATION)) &&
                    name_contains(vms[i].name, opt_value(c, CLI_OPT_QUERY)) &&
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
    return st == GP_OK ? CLI_EXIT_OK : fail_msg(c, st, "cannot write the output");
}

/* Reads the VM named by -n/--vm-name in -g. */
static enum gp_status read_vm(struct cmd_ctx *c, struct vm *out)
{
    const char *name = opt_value(c, CLI_OPT_NAME);
    if (!name)
        name = opt_value(c, CLI_OPT_VM_NAME);
    return c->be->get_vm(c->be->ctx, opt_value(c, CLI_OPT_RESOURCE_GROUP), name, out, &c->err);
}

static int cmd_vm_show(struct cmd_ctx *c)
{
    if (!c->be->get_vm)
        return not_available(c, "reading a VM needs the ARM client (net/)");
    struct vm vm;
    vm_init(&vm);
    enum gp_status st = read_vm(c, &vm);
    if (st != GP_OK) {
        vm_cleanup(&vm);
        return fail(c, st);
    }
    st = cli_output_vm(c->io->out, out_format(c), c->io->utf8, &vm);
    vm_cleanup(&vm);
    return st == GP_OK ? CLI_EXIT_OK : fail_msg(c, st, "cannot write the output");
}

/* --- changes ------------------------------------------------------------------------------ */

static bool refuse_readonly(struct cmd_ctx *c, int *out_code)
{
    if (!c->args->set[CLI_OPT_READONLY])
        return false;
    *out_code = fail_msg(c, GP_E_INVALID, "refusing a change in read-only mode (--readonly)");
    return true;
}

/* Reads the cluster's GPU inventory when the backend has one. */
static enum gp_status load_cluster(struct cmd_ctx *c, struct cluster *out)
{
    cluster_init(out);
    if (c->eff && c->eff->profile.partition_size_mb > 0)
        out->partition_size_mb_config = c->eff->profile.partition_size_mb;
    if (!c->be->get_cluster)
        return GP_OK;
    return c->be->get_cluster(c->be->ctx, out, &c->err);
}

/* For the rules: an inventory that cannot be read leaves them "unknown" (they do not block);
 * only an interrupt or an authentication failure stops the command. */
static enum gp_status load_cluster_for_rules(struct cmd_ctx *c, struct cluster *out)
{
    enum gp_status st = load_cluster(c, out);
    if (st == GP_OK || st == GP_E_CANCELED || st == GP_E_AUTH)
        return st;
    if (c->args->set[CLI_OPT_VERBOSE]) {
        char msg[sizeof(c->err.message)];
        fprintf(c->io->err, "%s: no host GPU inventory (%s); capacity rules are unknown\n",
                c->title, text_sanitize(msg, sizeof(msg), c->err.message));
    }
    long size = out->partition_size_mb_config;
    cluster_cleanup(out);
    cluster_init(out);
    out->partition_size_mb_config = size;
    gp_error_clear(&c->err);
    return GP_OK;
}

/* The inventory does not say which cluster a node belongs to. Azure Local puts a cluster's
 * nodes in the resource group of its custom location: hosts found there without a location
 * get this one, so the pool and homogeneity rules look at the right hosts. */
static void assign_host_locations(struct cluster *cl, const char *custom_location)
{
    char *rg = NULL;
    if (!custom_location)
        return;
    const char *p = strstr(custom_location, "/resourceGroups/");
    if (!p)
        p = strstr(custom_location, "/resourcegroups/");
    if (!p)
        return;
    p += strlen("/resourceGroups/");
    size_t n = strcspn(p, "/");
    rg = malloc(n + 1);
    if (!rg)
        return;
    memcpy(rg, p, n);
    rg[n] = '\0';
    for (size_t i = 0; i < cl->n_hosts; i++) {
        struct host *h = &cl->hosts[i];
        if (!h->custom_location && h->resource_group && str_ieq(h->resource_group, rg))
            h->custom_location = text_dup(custom_location);
    }
    free(rg);
}

/* Evaluates the rules; prints every failed rule (and, with --verbose, all of them). GP_E_RULE
 * when one failed. */
static enum gp_status check_rules(struct cmd_ctx *c, const struct vm *vm,
                                  const struct vm_gpu *desired, size_t n, bool creating)
{
    struct cluster cl;
    enum gp_status st = load_cluster_for_rules(c, &cl);
    if (st != GP_OK) {
        cluster_cleanup(&cl);
        return st;
    }
    assign_host_locations(&cl, vm->custom_location);
    struct rule_input in = {
        .vm = vm,
        .desired = desired,
        .n_desired = n,
        .cluster = &cl,
        .plan_stops_vm = true,
        .creating = creating,
    };
    struct rule_report rep;
    rules_check(&in, &rep);
    cluster_cleanup(&cl);
    char reason[256], fix[256];
    if (rep.n_failed > 0) {
        const struct rule_result *r = &rep.results[rep.first_failed];
        fprintf(c->io->err, "%s: refused by the rule %s: %s\n", c->title, rule_name(r->id),
                text_sanitize(reason, sizeof(reason), r->reason));
    }
    for (int i = 0; i < RULE_COUNT; i++) {
        const struct rule_result *r = &rep.results[i];
        if (r->outcome != RULE_FAILED && !c->args->set[CLI_OPT_VERBOSE])
            continue;
        fprintf(c->io->err, "  %-7s %-15s %s\n", rule_outcome_name(r->outcome), rule_name(r->id),
                text_sanitize(reason, sizeof(reason), r->reason));
        if (r->outcome == RULE_FAILED && r->fix[0])
            fprintf(c->io->err, "          fix: %s\n", text_sanitize(fix, sizeof(fix), r->fix));
    }
    return rep.n_failed > 0 ? GP_E_RULE : GP_OK;
}

/* The plan on stdout for --dry-run (text, or JSON with -o json), else on stderr as text. */
static enum gp_status show_plan(struct cmd_ctx *c, const struct plan *p, bool dry_run)
{
    if (dry_run && out_format(c) == CLI_FORMAT_JSON) {
        char *json = NULL;
        GP_TRY(plan_to_json(p, &json));
        enum gp_status st = cli_output_json_pretty(c->io->out, json, 0);
        fputc('\n', c->io->out);
        free(json);
        return st;
    }
    char *text = NULL;
    GP_TRY(plan_format(p, &text));
    FILE *f = dry_run ? c->io->out : c->io->err;
    fputs(text, f);
    if (text[0] && text[strlen(text) - 1] != '\n')
        fputc('\n', f);
    free(text);
    return ferror(f) ? GP_E_IO : GP_OK;
}

/* Prints how a run ended and returns the exit status. */
static int report_run(struct cmd_ctx *c, enum gp_status st, struct cli_plan_result *r)
{
    char line[256];
    if (st == GP_OK) {
        if (!r->have_vm)
            return CLI_EXIT_OK;
        st = cli_output_vm(c->io->out, out_format(c), c->io->utf8, &r->vm);
        return st == GP_OK ? CLI_EXIT_OK : fail_msg(c, st, "cannot write the output");
    }
    int code = fail_with(c, st, &r->err, r->partial ? CLI_OUTCOME_PARTIAL : CLI_OUTCOME_DONE);
    if (r->state_line[0])
        fprintf(c->io->err, "  %s\n", text_sanitize(line, sizeof(line), r->state_line));
    for (size_t i = 0; i < r->n_offers && i < CLI_MAX_OFFERS; i++)
        fprintf(c->io->err, "  recovery: %s\n", text_sanitize(line, sizeof(line), r->offers[i]));
    if (r->op_id[0])
        fprintf(c->io->err, "  to resume: gpup ops resume %s\n",
                text_sanitize(line, sizeof(line), r->op_id));
    return code;
}

/* Shows the plan, stops for --dry-run, asks, and runs it. */
static int confirm_and_run(struct cmd_ctx *c, const struct plan *p, bool wait)
{
    bool dry = c->args->set[CLI_OPT_DRY_RUN];
    char name[128], impact[300];
    (void)text_sanitize(name, sizeof(name), p->vm_name ? p->vm_name : "the VM");
    (void)text_sanitize(impact, sizeof(impact), p->impact);
    if (p->n_steps == 0) {
        /* Nothing to do: say so, print the VM as it is. */
        fprintf(c->io->err, "%s\n", impact);
        if (dry)
            return CLI_EXIT_OK;
        enum gp_status st = cli_output_vm(c->io->out, out_format(c), c->io->utf8, &p->before);
        return st == GP_OK ? CLI_EXIT_OK : fail_msg(c, st, "cannot write the output");
    }
    enum gp_status st = show_plan(c, p, dry);
    if (st != GP_OK)
        return fail_msg(c, st, "cannot print the plan");
    if (dry)
        return CLI_EXIT_OK;
    if (!c->be->run_plan || (!wait && !c->be->send_step))
        return not_available(c, "running a change needs the plan executor (net/executor)");
    char question[400];
    (void)snprintf(question, sizeof(question), "%s. Proceed? [y/N] ", impact);
    switch (cli_confirm(c->title, name, question, c->args->set[CLI_OPT_YES], c->io->in,
                        c->io->in_tty, c->io->err, &c->err)) {
    case CLI_CONFIRM_YES:
        break;
    case CLI_CONFIRM_NO_TTY: {
        /* The line already names the command. */
        char msg[sizeof(c->err.message)];
        fprintf(c->io->err, "%s\n", text_sanitize(msg, sizeof(msg), c->err.message));
        return CLI_EXIT_USAGE;
    }
    case CLI_CONFIRM_EOF:
        fprintf(c->io->err, "%s: interrupted; nothing was changed\n", c->title);
        return cli_exit_code(GP_E_CANCELED, CLI_OUTCOME_DONE);
    case CLI_CONFIRM_NO:
    default:
        fprintf(c->io->err, "%s: canceled; nothing was changed\n", c->title);
        return cli_exit_code(GP_OK, CLI_OUTCOME_DECLINED);
    }
    if (!wait) {
        st = c->be->send_step(c->be->ctx, &p->steps[0], &c->err);
        return st == GP_OK ? CLI_EXIT_OK : fail(c, st);
    }
    struct cli_plan_result r;
    memset(&r, 0, sizeof(r));
    vm_init(&r.vm);
    st = c->be->run_plan(c->be->ctx, p, c->io->err, &r);
    int code = report_run(c, st, &r);
    vm_cleanup(&r.vm);
    return code;
}

static int cmd_vm_power(struct cmd_ctx *c, enum plan_step_kind action)
{
    int code;
    if (refuse_readonly(c, &code))
        return code;
    if (!c->be->get_vm)
        return not_available(c, "reading a VM needs the ARM client (net/)");
    struct vm vm;
    vm_init(&vm);
    enum gp_status st = read_vm(c, &vm);
    if (st != GP_OK) {
        vm_cleanup(&vm);
        return fail(c, st);
    }
    struct plan p;
    struct plan_options o = plan_opts(c);
    st = plan_build_power(&vm, action, &o, &p, &c->err);
    vm_cleanup(&vm);
    if (st != GP_OK) {
        plan_cleanup(&p);
        return fail(c, st);
    }
    code = confirm_and_run(c, &p, !c->args->set[CLI_OPT_NO_WAIT]);
    plan_cleanup(&p);
    return code;
}

static int cmd_gpu_change(struct cmd_ctx *c, bool attach)
{
    int code;
    if (refuse_readonly(c, &code))
        return code;
    if (!c->be->get_vm)
        return not_available(c, "reading a VM needs the ARM client (net/)");
    struct vm vm;
    vm_init(&vm);
    enum gp_status st = read_vm(c, &vm);
    if (st != GP_OK) {
        vm_cleanup(&vm);
        return fail(c, st);
    }
    const char *cl = opt_value(c, CLI_OPT_CUSTOM_LOCATION);
    if (cl && !location_matches(&vm, cl)) {
        char name[128];
        code = fail_msg(c, GP_E_INVALID, "%s is not in the custom location %s",
                        text_sanitize(name, sizeof(name), vm.name ? vm.name : "the VM"), cl);
        vm_cleanup(&vm);
        return code;
    }
    /* The desired list is complete: attach adds one item to what the VM has; detach empties
     * it (azure-local-api.md 2: the list is replaced whole). */
    struct vm_gpu desired[VM_MAX_GPUS + 1];
    size_t n = 0;
    if (attach) {
        for (size_t i = 0; i < vm.n_gpus && n < VM_MAX_GPUS; i++)
            desired[n++] = vm.gpus[i]; /* shallow: borrowed from vm for the plan build */
        memset(&desired[n], 0, sizeof(desired[n]));
        desired[n].type = gpu_assignment_parse(opt_value(c, CLI_OPT_GPUS));
        desired[n].type_text = (char *)(uintptr_t)opt_value(c, CLI_OPT_GPUS);
        desired[n].partition_size_mb = -1;
        desired[n].gpu_name = NULL;
        n++;
    }
    st = check_rules(c, &vm, desired, n, false);
    if (st != GP_OK) {
        vm_cleanup(&vm);
        return st == GP_E_RULE ? (int)cli_exit_code(st, CLI_OUTCOME_DONE) : fail(c, st);
    }
    struct plan p;
    struct plan_options o = plan_opts(c);
    st = plan_build_gpu_change(&vm, desired, n, &o, &p, &c->err);
    vm_cleanup(&vm);
    if (st != GP_OK) {
        plan_cleanup(&p);
        return fail(c, st);
    }
    code = confirm_and_run(c, &p, true);
    plan_cleanup(&p);
    return code;
}

/* Reads a small public key file (ssh-rsa ... / ssh-ed25519 ...) into buf. */
static enum gp_status read_public_key(const char *path, char *buf, size_t n, struct gp_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return gp_error_set(err, GP_E_IO, "cannot read %s", path);
    size_t got = fread(buf, 1, n - 1, f);
    bool more = fgetc(f) != EOF;
    fclose(f);
    if (more)
        return gp_error_set(err, GP_E_INVALID, "%s is too large for an SSH public key", path);
    buf[got] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    if (strncmp(buf, "ssh-", 4) != 0 && strncmp(buf, "ecdsa-", 6) != 0)
        return gp_error_set(err, GP_E_INVALID, "%s is not an SSH public key", path);
    return GP_OK;
}

static int cmd_vm_create(struct cmd_ctx *c)
{
    int code;
    if (refuse_readonly(c, &code))
        return code;
    const char *sub = c->eff ? c->eff->profile.subscription : "";
    if (!sub[0])
        return fail_msg(c, GP_E_CONFIG,
                        "no subscription: give --subscription or set GPUP_SUBSCRIPTION");
    char key[4096] = "";
    if (opt_value(c, CLI_OPT_SSH_KEY_FILE)) {
        enum gp_status st = read_public_key(opt_value(c, CLI_OPT_SSH_KEY_FILE), key, sizeof(key),
                                            &c->err);
        if (st != GP_OK)
            return fail(c, st);
    }
    struct vm_gpu gpu = {.partition_size_mb = -1};
    size_t n_gpus = 0;
    if (opt_value(c, CLI_OPT_GPUS)) {
        gpu.type = gpu_assignment_parse(opt_value(c, CLI_OPT_GPUS));
        gpu.type_text = (char *)(uintptr_t)opt_value(c, CLI_OPT_GPUS);
        n_gpus = 1;
    }
    struct vm_create_spec spec = {
        .subscription = sub,
        .resource_group = opt_value(c, CLI_OPT_RESOURCE_GROUP),
        .name = opt_value(c, CLI_OPT_NAME),
        .location = opt_value(c, CLI_OPT_LOCATION) ? opt_value(c, CLI_OPT_LOCATION) : "eastus",
        .custom_location = opt_value(c, CLI_OPT_CUSTOM_LOCATION),
        .image_id = opt_value(c, CLI_OPT_IMAGE),
        .admin_username = opt_value(c, CLI_OPT_ADMIN_USERNAME)
                              ? opt_value(c, CLI_OPT_ADMIN_USERNAME)
                              : "azureuser",
        .ssh_public_key = key[0] ? key : NULL,
        .processors = c->args->vcpus > 0 ? c->args->vcpus : 4,
        .memory_mb = c->args->memory_mb > 0 ? c->args->memory_mb : 8192,
        .gpus = n_gpus ? &gpu : NULL,
        .n_gpus = n_gpus,
    };
    /* What is known of the new VM, for the rules. */
    struct vm vm;
    vm_init(&vm);
    vm.name = (char *)(uintptr_t)spec.name;
    vm.custom_location = (char *)(uintptr_t)spec.custom_location;
    vm.resource_group = (char *)(uintptr_t)spec.resource_group;
    enum gp_status st = check_rules(c, &vm, spec.gpus, n_gpus, true);
    vm_init(&vm); /* borrowed strings: nothing to free */
    if (st != GP_OK)
        return st == GP_E_RULE ? (int)cli_exit_code(st, CLI_OUTCOME_DONE) : fail(c, st);
    struct plan p;
    struct plan_options o = plan_opts(c);
    st = plan_build_create(&spec, &o, &p, &c->err);
    if (st != GP_OK) {
        plan_cleanup(&p);
        return fail(c, st);
    }
    code = confirm_and_run(c, &p, !c->args->set[CLI_OPT_NO_WAIT]);
    plan_cleanup(&p);
    return code;
}

/* --- hosts -------------------------------------------------------------------------------- */

static int cmd_host_gpu_list(struct cmd_ctx *c)
{
    if (!c->be->get_cluster)
        return not_available(c, "the host GPU inventory needs the ARM client (net/)");
    struct cluster cl;
    enum gp_status st = load_cluster(c, &cl);
    if (st != GP_OK) {
        cluster_cleanup(&cl);
        return fail(c, st);
    }
    if (!cl.inventory_known) {
        cluster_cleanup(&cl);
        return fail_msg(c, GP_E_NOT_FOUND,
                        "the service offers no host GPU inventory (api-version "
                        "2026-03-15-preview)");
    }
    enum cli_format f = out_format(c);
    char a[128], b[128], d[128];
    if (f == CLI_FORMAT_JSON)
        fputs("[", c->io->out);
    else if (f == CLI_FORMAT_TABLE)
        fprintf(c->io->out, "%-12s %-8s %-18s %-6s %-10s %-10s %s\n", "HOST", "GPU", "MODEL",
                "MODE", "PARTITION", "USED", "HELD BY");
    bool first = true;
    for (size_t h = 0; h < cl.n_hosts && st == GP_OK; h++) {
        const struct host *host = &cl.hosts[h];
        for (size_t g = 0; g < host->n_gpus && st == GP_OK; g++) {
            const struct host_gpu *gpu = &host->gpus[g];
            (void)text_sanitize(a, sizeof(a), host->name ? host->name : "");
            (void)text_sanitize(b, sizeof(b), gpu->id ? gpu->id : "");
            (void)text_sanitize(d, sizeof(d), gpu->model ? gpu->model : "");
            char size[32] = "", used[32] = "", held[128] = "";
            if (gpu->mode == GPU_MODE_GPUP) {
                if (gpu->partition_size_mb >= 0)
                    (void)snprintf(size, sizeof(size), "%ld MB", gpu->partition_size_mb);
                (void)snprintf(used, sizeof(used), "%d/%d", gpu->partitions_used,
                               gpu->partitions_total);
                size_t at = 0;
                for (size_t k = 0; k < gpu->n_partition_vms && at + 2 < sizeof(held); k++) {
                    int w = snprintf(held + at, sizeof(held) - at, "%s%s", k ? "," : "",
                                     gpu->partition_vms[k] ? gpu->partition_vms[k] : "?");
                    if (w < 0)
                        break;
                    at += (size_t)w < sizeof(held) - at ? (size_t)w : sizeof(held) - at - 1;
                }
                char safe_held[128];
                (void)text_copy(held, sizeof(held), text_sanitize(safe_held, sizeof(safe_held),
                                                                  held));
            } else if (gpu->mode == GPU_MODE_DDA) {
                (void)text_copy(used, sizeof(used), gpu->dda_vm ? "1/1" : "0/1");
                (void)text_sanitize(held, sizeof(held), gpu->dda_vm ? gpu->dda_vm : "");
            }
            switch (f) {
            case CLI_FORMAT_JSON: {
                char *json = NULL, id[1024];
                const char *sub = c->eff ? c->eff->profile.subscription : "";
                bool have_id =
                    sub[0] && host->resource_group && host->name && gpu->id &&
                    snprintf(id, sizeof(id),
                             "/subscriptions/%s/resourceGroups/%s/providers/"
                             "Microsoft.AzureStackHCI/edgeMachines/%s/gpus/%s",
                             sub, host->resource_group, host->name, gpu->id) < (int)sizeof(id);
                st = host_gpu_to_json(host, gpu, have_id ? id : NULL, &json);
                if (st == GP_OK) {
                    fputs(first ? "\n  " : ",\n  ", c->io->out);
                    st = cli_output_json_pretty(c->io->out, json, 1);
                }
                free(json);
                break;
            }
            case CLI_FORMAT_TSV:
                fprintf(c->io->out, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a, b, d,
                        gpu_mode_name(gpu->mode), size, used, held);
                break;
            case CLI_FORMAT_TABLE:
            case CLI_FORMAT_DEFAULT:
            default:
                fprintf(c->io->out, "%-12.12s %-8.8s %-18.18s %-6s %-10s %-10s %.20s\n", a, b, d,
                        gpu_mode_name(gpu->mode), size, used, held);
                break;
            }
            first = false;
        }
    }
    if (f == CLI_FORMAT_JSON)
        fputs(first ? "]\n" : "\n]\n", c->io->out);
    cluster_cleanup(&cl);
    return st == GP_OK ? CLI_EXIT_OK : fail_msg(c, st, "cannot write the output");
}

/* --- operations journal ------------------------------------------------------------------- */

static enum gp_status read_journal(struct cmd_ctx *c, struct journal_ops *out)
{
    char dir[4096];
    journal_ops_init(out);
    if (c->eff && c->eff->paths.state_dir[0])
        (void)text_copy(dir, sizeof(dir), c->eff->paths.state_dir);
    else
        GP_TRY(journal_state_dir(dir, sizeof(dir), &c->err));
    char *text = NULL;
    size_t len = 0;
    GP_TRY(journal_file_read(dir, &text, &len, &c->err));
    enum gp_status st = journal_replay(text, len, (int64_t)time(NULL), out, &c->err);
    free(text);
    return st;
}

static bool op_is_open(const struct journal_op *op)
{
    return journal_op_needs_attention(op);
}

static enum gp_status op_to_json(const struct journal_op *op, struct gp_buf *b)
{
    char line[512];
    GP_TRY(gp_buf_append_str(b, "{\"id\":"));
    GP_TRY(cli_output_append_json_string(b, op->id));
    GP_TRY(gp_buf_append_str(b, ",\"state\":"));
    GP_TRY(cli_output_append_json_string(b, journal_op_state_name(op->state)));
    GP_TRY(gp_buf_append_str(b, ",\"vmName\":"));
    GP_TRY(cli_output_append_json_string(b, op->vm_name));
    GP_TRY(gp_buf_append_str(b, ",\"vmId\":"));
    GP_TRY(cli_output_append_json_string(b, op->vm_id));
    GP_TRY(gp_buf_printf(b, ",\"steps\":%zu,\"nextStep\":%zu,\"ageSeconds\":%lld", op->n_steps,
                         op->next_step + 1, (long long)op->age_s));
    GP_TRY(gp_buf_append_str(b, ",\"description\":"));
    GP_TRY(cli_output_append_json_string(b, journal_op_describe(op, line, sizeof(line))));
    return gp_buf_append_str(b, "}");
}

static int cmd_ops_list(struct cmd_ctx *c)
{
    struct journal_ops ops;
    enum gp_status st = read_journal(c, &ops);
    if (st != GP_OK) {
        journal_ops_cleanup(&ops);
        return fail(c, st);
    }
    enum cli_format f = out_format(c);
    char line[512], safe[512];
    struct gp_buf b;
    gp_buf_init(&b, 64u * 1024u * 1024u);
    if (f == CLI_FORMAT_JSON)
        st = gp_buf_append_str(&b, "[");
    bool first = true;
    size_t shown = 0;
    for (size_t i = 0; i < ops.n && st == GP_OK; i++) {
        const struct journal_op *op = &ops.ops[i];
        if (!op_is_open(op))
            continue;
        shown++;
        switch (f) {
        case CLI_FORMAT_JSON:
            if (!first)
                st = gp_buf_append_str(&b, ",");
            if (st == GP_OK)
                st = op_to_json(op, &b);
            break;
        case CLI_FORMAT_TSV:
            fprintf(c->io->out, "%s\t%s\t%s\t%lld\n", text_sanitize(safe, 64, op->id),
                    journal_op_state_name(op->state),
                    text_sanitize(line, 128, op->vm_name ? op->vm_name : ""),
                    (long long)op->age_s);
            break;
        case CLI_FORMAT_TABLE:
        case CLI_FORMAT_DEFAULT:
        default:
            fprintf(c->io->out, "%s (%lld s ago)\n",
                    text_sanitize(safe, sizeof(safe), journal_op_describe(op, line, sizeof(line))),
                    (long long)op->age_s);
            break;
        }
        first = false;
    }
    if (f == CLI_FORMAT_JSON && st == GP_OK) {
        st = gp_buf_append_str(&b, "]");
        if (st == GP_OK)
            st = cli_output_json_pretty(c->io->out, gp_buf_str(&b), 0);
        fputc('\n', c->io->out);
    } else if (f == CLI_FORMAT_TABLE && shown == 0) {
        fputs("No unfinished operations.\n", c->io->err);
    }
    gp_buf_cleanup(&b);
    journal_ops_cleanup(&ops);
    return st == GP_OK ? CLI_EXIT_OK : fail_msg(c, st, "cannot write the output");
}

/* The operation that still needs the operator named by the command's ID (exact or a unique
 * prefix), described on stderr and copied into *out (journal_op_init'ed by the caller, cleaned
 * up by the caller). Returns -1 when found, else the exit status after the message. */
static int find_open_op(struct cmd_ctx *c, struct journal_op *out)
{
    struct journal_ops ops;
    enum gp_status st = read_journal(c, &ops);
    if (st != GP_OK) {
        journal_ops_cleanup(&ops);
        return fail(c, st);
    }
    bool ambiguous = false;
    const struct journal_op *op = journal_ops_find(&ops, c->args->positional, &ambiguous);
    char id[64], line[512], safe[512];
    (void)text_sanitize(id, sizeof(id), c->args->positional);
    int code = -1;
    if (op && !ambiguous && op->state == JOP_DONE) {
        /* Done meanwhile (another gpup resumed it): what was asked for holds, so a script
         * that resumes after a crash succeeds rather than fails on the race. */
        fprintf(c->io->err, "%s: operation %s is already done; nothing to do\n", c->title, id);
        code = CLI_EXIT_OK;
    } else if (!op || ambiguous || !op_is_open(op)) {
        if (op && !ambiguous)
            code = fail_msg(c, GP_E_INVALID, "operation %s is already %s", id,
                            journal_op_state_name(op->state));
        else
            code = fail_msg(c, GP_E_INVALID,
                            !op ? "no operation %s in the journal (see gpup ops list)"
                                : "%s names several operations; give more of the id",
                            id);
    } else {
        fprintf(c->io->err, "%s\n",
                text_sanitize(safe, sizeof(safe), journal_op_describe(op, line, sizeof(line))));
        *out = *op; /* moved: its strings now belong to *out */
        journal_op_init(&ops.ops[op - ops.ops]);
    }
    journal_ops_cleanup(&ops);
    return code;
}

/* Asks before acting on an operation; -1 to go on, else the exit status. */
static int confirm_op(struct cmd_ctx *c, const char *name, const char *question)
{
    char safe[512];
    switch (cli_confirm(c->title, name, question, c->args->set[CLI_OPT_YES], c->io->in,
                        c->io->in_tty, c->io->err, &c->err)) {
    case CLI_CONFIRM_YES:
        return -1;
    case CLI_CONFIRM_NO_TTY:
        fprintf(c->io->err, "%s\n", text_sanitize(safe, sizeof(safe), c->err.message));
        return CLI_EXIT_USAGE;
    case CLI_CONFIRM_EOF:
        return cli_exit_code(GP_E_CANCELED, CLI_OUTCOME_DONE);
    case CLI_CONFIRM_NO:
    default:
        fprintf(c->io->err, "%s: canceled; nothing was changed\n", c->title);
        return cli_exit_code(GP_OK, CLI_OUTCOME_DECLINED);
    }
}

static int cmd_ops_resume(struct cmd_ctx *c)
{
    int code;
    if (refuse_readonly(c, &code))
        return code;
    struct journal_op op;
    journal_op_init(&op);
    code = find_open_op(c, &op);
    char full_id[JOURNAL_ID_MAX], name[128];
    (void)text_copy(full_id, sizeof(full_id), op.id);
    (void)text_sanitize(name, sizeof(name), op.vm_name ? op.vm_name : "the VM");
    journal_op_cleanup(&op);
    if (code >= 0)
        return code;
    if (c->args->set[CLI_OPT_DRY_RUN])
        return CLI_EXIT_OK;
    if (!c->be->resume_op)
        return not_available(c, "resuming needs the plan executor (net/executor)");
    char question[256];
    (void)snprintf(question, sizeof(question), "Resume operation %s on %s? [y/N] ", full_id,
                   name);
    code = confirm_op(c, name, question);
    if (code >= 0)
        return code;
    struct cli_plan_result r;
    memset(&r, 0, sizeof(r));
    vm_init(&r.vm);
    enum gp_status st = c->be->resume_op(c->be->ctx, full_id, c->io->err, &r);
    code = report_run(c, st, &r);
    vm_cleanup(&r.vm);
    return code;
}

/* The operator leaves the VM as it is: the operation is closed in the journal (no longer
 * offered for resume, no longer blocking new changes on its VM). Nothing is sent to Azure. */
static int cmd_ops_abandon(struct cmd_ctx *c)
{
    struct journal_op op;
    journal_op_init(&op);
    int code = find_open_op(c, &op);
    if (code >= 0) {
        journal_op_cleanup(&op);
        return code;
    }
    char name[128], question[320], safe[512];
    (void)text_sanitize(name, sizeof(name), op.vm_name ? op.vm_name : "the VM");
    const char *power = power_state_name(op.last_power);
    (void)snprintf(question, sizeof(question),
                   "Abandon operation %s? %s stays as it is (last seen %s) [y/N] ", op.id, name,
                   power);
    if (c->args->set[CLI_OPT_DRY_RUN])
        code = CLI_EXIT_OK;
    else if (!c->be->abandon_op)
        code = not_available(c, "abandoning needs the journal (net/journal)");
    else
        code = confirm_op(c, name, question);
    if (code < 0) {
        enum gp_status st = c->be->abandon_op(c->be->ctx, &op, &c->err);
        if (st != GP_OK)
            code = fail_msg(c, st, "%s", text_sanitize(safe, sizeof(safe), c->err.message));
        else {
            fprintf(c->io->err, "%s: operation %s abandoned; %s is left as it is (last seen %s)\n",
                    c->title, op.id, name, power);
            code = CLI_EXIT_OK;
        }
    }
    journal_op_cleanup(&op);
    return code;
}

/* --- configuration ------------------------------------------------------------------------ */

static int cmd_config_show(struct cmd_ctx *c)
{
    if (!c->eff)
        return not_available(c, "no effective settings were resolved");
    struct gp_buf b;
    gp_buf_init(&b, 1024u * 1024u);
    enum gp_status st = settings_format(c->eff, &b);
    if (st == GP_OK) {
        fputs(gp_buf_str(&b), c->io->out);
        st = ferror(c->io->out) ? GP_E_IO : GP_OK;
    }
    gp_buf_cleanup(&b);
    return st == GP_OK ? CLI_EXIT_OK : fail_msg(c, st, "cannot print the configuration");
}

/* --- sign-in ---------------------------------------------------------------------------- */

static int cmd_login(struct cmd_ctx *c)
{
    if (!c->be->login)
        return not_available(c, "sign-in needs the auth module (net/auth)");
    struct cli_login lo = {
        .method = c->args->set[CLI_OPT_DEVICE_CODE]         ? "device-code"
                  : c->args->set[CLI_OPT_SERVICE_PRINCIPAL] ? "service-principal"
                  : c->args->set[CLI_OPT_USE_AZ_CLI]        ? "azure-cli"
                                                            : NULL,
        .tenant = opt_value(c, CLI_OPT_TENANT),
        .client_id = opt_value(c, CLI_OPT_CLIENT_ID),
        .client_secret_file = opt_value(c, CLI_OPT_CLIENT_SECRET_FILE),
        .certificate_file = opt_value(c, CLI_OPT_CERTIFICATE_FILE),
    };
    char line[256], safe[256];
    enum gp_status st = c->be->login(c->be->ctx, &lo, line, sizeof(line), &c->err);
    if (st != GP_OK)
        return fail(c, st);
    fprintf(c->io->err, "Signed in: %s\n", text_sanitize(safe, sizeof(safe), line));
    return CLI_EXIT_OK;
}

/* `gpup config check [FILE]`: reads the file (default: the one gpup would use) and reports
 * FILE:LINE problems; warnings do not fail it. */
static int cmd_config_check(struct cmd_ctx *c)
{
    extern char **environ;
    const char *const *env = (const char *const *)environ;
    char path[SETTINGS_PATH_MAX];
    bool must_exist = true;
    if (c->args->positional) {
        if (!text_copy(path, sizeof(path), c->args->positional))
            return fail_msg(c, GP_E_CONFIG, "file name too long");
    } else {
        enum settings_source src;
        enum gp_status st = settings_config_path(opt_value(c, CLI_OPT_CONFIG), env, path,
                                                 sizeof(path), &src, &c->err);
        if (st != GP_OK)
            return fail(c, st);
        must_exist = src != SETTINGS_SRC_DEFAULT;
    }
    struct settings *s = settings_new();
    if (!s)
        return fail_msg(c, GP_E_NOMEM, "out of memory");
    struct settings_warnings *warn = calloc(1, sizeof(*warn));
    if (!warn) {
        settings_free(s);
        return fail_msg(c, GP_E_NOMEM, "out of memory");
    }
    enum gp_status st = settings_load_file(s, path, must_exist, warn, &c->err);
    char line[SETTINGS_WARNING_MAX];
    for (size_t i = 0; i < warn->count; i++)
        fprintf(c->io->err, "%s\n", text_sanitize(line, sizeof(line), warn->lines[i]));
    if (warn->dropped)
        fprintf(c->io->err, "(%zu more warnings)\n", warn->dropped);
    bool loaded = s->file[0] != '\0';
    size_t n_profiles = s->n_profiles;
    settings_free(s);
    free(warn);
    if (st != GP_OK) {
        /* The message is already "FILE:LINE: ...": print it as the first line. */
        fprintf(c->io->err, "%s\n", text_sanitize(line, sizeof(line), c->err.message));
        return cli_exit_code(st, CLI_OUTCOME_DONE);
    }
    (void)text_sanitize(line, sizeof(line), path);
    if (loaded)
        fprintf(c->io->out, "%s: OK (%zu profile%s)\n", line, n_profiles,
                n_profiles == 1 ? "" : "s");
    else
        fprintf(c->io->out, "%s: not present; the defaults apply\n", line);
    return CLI_EXIT_OK;
}

/* --- dispatch ----------------------------------------------------------------------------- */

int cli_commands_exec(const struct cli_args *args, const struct cli_io *io,
                      const struct cli_backend *backend, const struct settings_effective *eff)
{
    static const struct cli_backend none = {0};
    struct cmd_ctx c = {.args = args, .io = io, .be = backend ? backend : &none, .eff = eff};
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
        return cmd_vm_power(&c, STEP_START);
    case CLI_CMD_VM_STOP:
        return cmd_vm_power(&c, STEP_STOP);
    case CLI_CMD_VM_RESTART:
        return cmd_vm_power(&c, STEP_RESTART);
    case CLI_CMD_VM_CREATE:
        return cmd_vm_create(&c);
    case CLI_CMD_VM_GPU_ATTACH:
        return cmd_gpu_change(&c, true);
    case CLI_CMD_VM_GPU_DETACH:
        return cmd_gpu_change(&c, false);
    case CLI_CMD_HOST_GPU_LIST:
        return cmd_host_gpu_list(&c);
    case CLI_CMD_OPS_LIST:
        return cmd_ops_list(&c);
    case CLI_CMD_OPS_RESUME:
        return cmd_ops_resume(&c);
    case CLI_CMD_OPS_ABANDON:
        return cmd_ops_abandon(&c);
    case CLI_CMD_CONFIG_SHOW:
        return cmd_config_show(&c);
    case CLI_CMD_CONFIG_CHECK:
        return cmd_config_check(&c);
    case CLI_CMD_LOGIN:
        return cmd_login(&c);
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

/* product.md 2.3: every start of gpup finds unfinished operations. The CLI names them in one
 * line (ops list and ops resume show them anyway). */
static void notice_unfinished(const struct cli_args *args, const struct settings_effective *eff)
{
    if (args->cmd == CLI_CMD_OPS_LIST || args->cmd == CLI_CMD_OPS_RESUME ||
        args->cmd == CLI_CMD_OPS_ABANDON ||
        args->cmd == CLI_CMD_CONFIG_CHECK || args->cmd == CLI_CMD_CONFIG_SHOW)
        return;
    struct cli_io quiet = {.out = stdout, .err = stderr, .in = stdin};
    struct cmd_ctx c = {.args = args, .io = &quiet, .eff = eff};
    struct journal_ops ops;
    /* A journal that cannot be read is reported by `gpup ops list`; here it is only a hint. */
    if (read_journal(&c, &ops) == GP_OK) {
        size_t n = 0;
        const struct journal_op *last = NULL;
        for (size_t i = 0; i < ops.n; i++)
            if (op_is_open(&ops.ops[i])) {
                n++;
                last = &ops.ops[i];
            }
        if (n == 1) {
            char id[JOURNAL_ID_MAX], name[128];
            fprintf(stderr, "gpup: operation %s on %s is unfinished: gpup ops resume %s\n",
                    text_sanitize(id, sizeof(id), last->id),
                    text_sanitize(name, sizeof(name), last->vm_name ? last->vm_name : "?"), id);
        } else if (n > 1) {
            fprintf(stderr, "gpup: %zu operations are unfinished: gpup ops list\n", n);
        }
    }
    journal_ops_cleanup(&ops);
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
    struct cli_session *s = NULL;
    struct gp_error err;
    gp_error_clear(&err);
    /* config check reads a file that may be broken: it needs no session. */
    enum gp_status st = args->cmd == CLI_CMD_CONFIG_CHECK ? GP_OK
                                                          : cli_session_open(args, &s, &err);
    if (st != GP_OK) {
        const char *path = cli_cmd_path(args->cmd);
        char msg[sizeof(err.message)];
        fprintf(stderr, "gpup%s%s: %s\n", *path ? " " : "", path,
                text_sanitize(msg, sizeof(msg), err.message));
        cli_session_close(s);
        return cli_exit_code(st, CLI_OUTCOME_DONE);
    }
    if (s)
        notice_unfinished(args, cli_session_settings(s));
    int code = cli_commands_exec(args, &io, s ? cli_session_backend(s) : NULL,
                                 s ? cli_session_settings(s) : NULL);
    cli_session_close(s);
    if (fflush(stdout) != 0 && code == CLI_EXIT_OK) {
        fputs("gpup: cannot write the output\n", stderr);
        code = CLI_EXIT_FAILED;
    }
    return code;
}
