/* SPDX-License-Identifier: MIT
 * cli/args.c: the option and command tables of gpup's command line, the parser over them, and
 * the --help and bash completion writers generated from the same tables. */
#include "cli/args.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "model/text.h"

struct opt_info {
    const char *lng;
    char shrt;
    const char *metavar;
    const char *help;
};

#define CLI_OPT_INFO_(id, lng, shrt, meta, help) {lng, shrt, meta, help},
static const struct opt_info opt_infos[CLI_OPT_COUNT] = {CLI_OPTIONS(CLI_OPT_INFO_)};
#undef CLI_OPT_INFO_

struct cmd_info {
    const char *path;
    const char *summary;
};

#define CLI_CMD_INFO_(id, path, summary) {path, summary},
static const struct cmd_info cmd_infos[CLI_CMD_COUNT] = {CLI_COMMANDS(CLI_CMD_INFO_)};
#undef CLI_CMD_INFO_

/* How a command uses an option. */
struct opt_use {
    enum cli_opt opt;
    bool required;
};

/* The grammar: parent, the word naming the command under its parent, the options it takes
 * (besides the global ones) and its positional argument. */
struct cmd_spec {
    enum cli_cmd id;
    enum cli_cmd parent;
    bool group;
    const struct opt_use *opts;
    size_t n_opts;
    const char *positional;     /* metavar, or NULL */
    bool positional_required;
};

#define REQ(o) {o, true}
#define OPT(o) {o, false}
#define USES(a) a, sizeof(a) / sizeof(a[0])
#define NO_OPTS NULL, 0

static const struct opt_use uses_vm_list[] = {
    OPT(CLI_OPT_RESOURCE_GROUP), OPT(CLI_OPT_CUSTOM_LOCATION), OPT(CLI_OPT_QUERY)};
static const struct opt_use uses_vm_show[] = {REQ(CLI_OPT_NAME), REQ(CLI_OPT_RESOURCE_GROUP)};
static const struct opt_use uses_vm_power[] = {
    REQ(CLI_OPT_NAME), REQ(CLI_OPT_RESOURCE_GROUP), OPT(CLI_OPT_NO_WAIT)};
static const struct opt_use uses_vm_create[] = {
    REQ(CLI_OPT_NAME),           REQ(CLI_OPT_RESOURCE_GROUP), REQ(CLI_OPT_CUSTOM_LOCATION),
    REQ(CLI_OPT_IMAGE),          OPT(CLI_OPT_LOCATION),       OPT(CLI_OPT_VCPUS),
    OPT(CLI_OPT_MEMORY_MB),      OPT(CLI_OPT_ADMIN_USERNAME), OPT(CLI_OPT_SSH_KEY_FILE),
    OPT(CLI_OPT_GPUS),           OPT(CLI_OPT_NO_WAIT)};
static const struct opt_use uses_gpu_attach[] = {
    REQ(CLI_OPT_VM_NAME), REQ(CLI_OPT_RESOURCE_GROUP), OPT(CLI_OPT_CUSTOM_LOCATION),
    REQ(CLI_OPT_GPUS), OPT(CLI_OPT_NO_RESTART)};
static const struct opt_use uses_gpu_detach[] = {
    REQ(CLI_OPT_VM_NAME), REQ(CLI_OPT_RESOURCE_GROUP), OPT(CLI_OPT_CUSTOM_LOCATION),
    OPT(CLI_OPT_NO_RESTART)};
static const struct opt_use uses_gpu_list[] = {REQ(CLI_OPT_RESOURCE_GROUP)};
static const struct opt_use uses_login[] = {
    OPT(CLI_OPT_DEVICE_CODE), OPT(CLI_OPT_SERVICE_PRINCIPAL), OPT(CLI_OPT_USE_AZ_CLI),
    OPT(CLI_OPT_TENANT),      OPT(CLI_OPT_CLIENT_ID),         OPT(CLI_OPT_CLIENT_SECRET_FILE),
    OPT(CLI_OPT_CERTIFICATE_FILE)};

static const struct cmd_spec cmd_specs[CLI_CMD_COUNT] = {
    {CLI_CMD_ROOT, CLI_CMD_ROOT, true, NO_OPTS, NULL, false},
    {CLI_CMD_VM, CLI_CMD_ROOT, true, NO_OPTS, NULL, false},
    {CLI_CMD_VM_LIST, CLI_CMD_VM, false, USES(uses_vm_list), NULL, false},
    {CLI_CMD_VM_SHOW, CLI_CMD_VM, false, USES(uses_vm_show), NULL, false},
    {CLI_CMD_VM_START, CLI_CMD_VM, false, USES(uses_vm_power), NULL, false},
    {CLI_CMD_VM_STOP, CLI_CMD_VM, false, USES(uses_vm_power), NULL, false},
    {CLI_CMD_VM_RESTART, CLI_CMD_VM, false, USES(uses_vm_power), NULL, false},
    {CLI_CMD_VM_CREATE, CLI_CMD_VM, false, USES(uses_vm_create), NULL, false},
    {CLI_CMD_VM_GPU, CLI_CMD_VM, true, NO_OPTS, NULL, false},
    {CLI_CMD_VM_GPU_ATTACH, CLI_CMD_VM_GPU, false, USES(uses_gpu_attach), NULL, false},
    {CLI_CMD_VM_GPU_DETACH, CLI_CMD_VM_GPU, false, USES(uses_gpu_detach), NULL, false},
    {CLI_CMD_VM_GPU_LIST, CLI_CMD_VM_GPU, false, USES(uses_gpu_list), NULL, false},
    {CLI_CMD_HOST, CLI_CMD_ROOT, true, NO_OPTS, NULL, false},
    {CLI_CMD_HOST_GPU, CLI_CMD_HOST, true, NO_OPTS, NULL, false},
    {CLI_CMD_HOST_GPU_LIST, CLI_CMD_HOST_GPU, false, NO_OPTS, NULL, false},
    {CLI_CMD_OPS, CLI_CMD_ROOT, true, NO_OPTS, NULL, false},
    {CLI_CMD_OPS_LIST, CLI_CMD_OPS, false, NO_OPTS, NULL, false},
    {CLI_CMD_OPS_RESUME, CLI_CMD_OPS, false, NO_OPTS, "ID", true},
    {CLI_CMD_OPS_ABANDON, CLI_CMD_OPS, false, NO_OPTS, "ID", true},
    {CLI_CMD_CONFIG, CLI_CMD_ROOT, true, NO_OPTS, NULL, false},
    {CLI_CMD_CONFIG_SHOW, CLI_CMD_CONFIG, false, NO_OPTS, NULL, false},
    {CLI_CMD_CONFIG_CHECK, CLI_CMD_CONFIG, false, NO_OPTS, "FILE", false},
    {CLI_CMD_LOGIN, CLI_CMD_ROOT, false, USES(uses_login), NULL, false},
};

/* Options that would carry a secret: refused by name, whatever the command, and never echoed
 * (style.md 7: secrets never come from argv). */
static const struct {
    const char *lng;
    const char *instead;
} refused_opts[] = {
    {"client-secret", "read it from a file (--client-secret-file) or AZURE_CLIENT_SECRET"},
    {"secret", "read it from a file (--client-secret-file) or AZURE_CLIENT_SECRET"},
    {"password", "use an SSH key (--ssh-key-file); passwords are never taken"},
    {"admin-password", "use an SSH key (--ssh-key-file); passwords are never taken"},
    {"token", "put a ready bearer token in GPUP_TOKEN"},
    {"access-token", "put a ready bearer token in GPUP_TOKEN"},
};

/* --- table lookups ------------------------------------------------------------------------ */

const char *cli_cmd_path(enum cli_cmd c)
{
    return (unsigned)c < CLI_CMD_COUNT ? cmd_infos[c].path : "";
}

const char *cli_cmd_summary(enum cli_cmd c)
{
    return (unsigned)c < CLI_CMD_COUNT ? cmd_infos[c].summary : "";
}

bool cli_cmd_is_group(enum cli_cmd c)
{
    return (unsigned)c < CLI_CMD_COUNT && cmd_specs[c].group;
}

const char *cli_opt_long(enum cli_opt o)
{
    return (unsigned)o < CLI_OPT_COUNT ? opt_infos[o].lng : "";
}

char cli_opt_short(enum cli_opt o)
{
    return (unsigned)o < CLI_OPT_COUNT ? opt_infos[o].shrt : 0;
}

const char *cli_opt_metavar(enum cli_opt o)
{
    return (unsigned)o < CLI_OPT_COUNT ? opt_infos[o].metavar : NULL;
}

static bool opt_is_global(enum cli_opt o)
{
    return o <= CLI_OPT_GLOBAL_LAST;
}

bool cli_cmd_accepts(enum cli_cmd c, enum cli_opt o)
{
    if ((unsigned)c >= CLI_CMD_COUNT || (unsigned)o >= CLI_OPT_COUNT)
        return false;
    if (opt_is_global(o))
        return true;
    for (size_t i = 0; i < cmd_specs[c].n_opts; i++)
        if (cmd_specs[c].opts[i].opt == o)
            return true;
    return false;
}

bool cli_cmd_requires(enum cli_cmd c, enum cli_opt o)
{
    if ((unsigned)c >= CLI_CMD_COUNT)
        return false;
    for (size_t i = 0; i < cmd_specs[c].n_opts; i++)
        if (cmd_specs[c].opts[i].opt == o)
            return cmd_specs[c].opts[i].required;
    return false;
}

const char *cli_cmd_positional(enum cli_cmd c)
{
    return (unsigned)c < CLI_CMD_COUNT ? cmd_specs[c].positional : NULL;
}

const char *cli_format_name(enum cli_format f)
{
    switch (f) {
    case CLI_FORMAT_TABLE:
        return "table";
    case CLI_FORMAT_JSON:
        return "json";
    case CLI_FORMAT_TSV:
        return "tsv";
    case CLI_FORMAT_DEFAULT:
    default:
        return "default";
    }
}

/* The last word of a command's path ("attach" for "vm gpu attach"). */
static const char *cmd_word(enum cli_cmd c)
{
    const char *p = cmd_infos[c].path;
    const char *sp = strrchr(p, ' ');
    return sp ? sp + 1 : p;
}

/* --- parsing ------------------------------------------------------------------------------ */

/* "gpup vm show" or "gpup" into buf. */
static const char *cmd_title(enum cli_cmd c, char *buf, size_t n)
{
    const char *p = cli_cmd_path(c);
    (void)snprintf(buf, n, "gpup%s%s", *p ? " " : "", p);
    return buf;
}

/* "--name (-n)" or "--custom-location". */
static const char *opt_title(enum cli_opt o, char *buf, size_t n)
{
    if (opt_infos[o].shrt)
        (void)snprintf(buf, n, "--%s (-%c)", opt_infos[o].lng, opt_infos[o].shrt);
    else
        (void)snprintf(buf, n, "--%s", opt_infos[o].lng);
    return buf;
}

static enum gp_status usage_error(struct gp_error *err, enum cli_cmd c, const char *fmt, ...)
    GP_PRINTF(3, 4);

static enum gp_status usage_error(struct gp_error *err, enum cli_cmd c, const char *fmt, ...)
{
    char title[64], line[400];
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    return gp_error_set(err, GP_E_INVALID, "%s: %s", cmd_title(c, title, sizeof(title)), line);
}

static enum cli_opt find_long(const char *name, size_t len)
{
    for (int o = 0; o < CLI_OPT_COUNT; o++)
        if (strlen(opt_infos[o].lng) == len && memcmp(opt_infos[o].lng, name, len) == 0)
            return (enum cli_opt)o;
    return CLI_OPT_COUNT;
}

static enum cli_opt find_short(char letter)
{
    for (int o = 0; o < CLI_OPT_COUNT; o++)
        if (opt_infos[o].shrt && opt_infos[o].shrt == letter)
            return (enum cli_opt)o;
    return CLI_OPT_COUNT;
}

static enum cli_cmd find_child(enum cli_cmd parent, const char *word)
{
    for (int c = 1; c < CLI_CMD_COUNT; c++)
        if (cmd_specs[c].parent == parent && strcmp(cmd_word((enum cli_cmd)c), word) == 0)
            return (enum cli_cmd)c;
    return CLI_CMD_COUNT;
}

/* A user-typed word, made safe to print and short. */
static const char *shown(const char *arg, char *buf, size_t n)
{
    return text_sanitize(buf, n, arg);
}

static enum gp_status parse_long_number(const char *text, long lo, long hi, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < lo || v > hi)
        return GP_E_INVALID;
    *out = v;
    return GP_OK;
}

/* Checks of values and combinations, after the whole line is read. */
static enum gp_status check_values(struct cli_args *a, struct gp_error *err)
{
    char tmp[80], ot[48];
    if (a->set[CLI_OPT_OUTPUT]) {
        const char *v = a->value[CLI_OPT_OUTPUT];
        if (strcmp(v, "table") == 0)
            a->format = CLI_FORMAT_TABLE;
        else if (strcmp(v, "json") == 0)
            a->format = CLI_FORMAT_JSON;
        else if (strcmp(v, "tsv") == 0)
            a->format = CLI_FORMAT_TSV;
        else
            return usage_error(err, a->cmd, "%s must be table, json or tsv (got '%s')",
                               opt_title(CLI_OPT_OUTPUT, ot, sizeof(ot)),
                               shown(v, tmp, sizeof(tmp)));
    }
    if (a->set[CLI_OPT_VCPUS] &&
        parse_long_number(a->value[CLI_OPT_VCPUS], 1, 1024, &a->vcpus) != GP_OK)
        return usage_error(err, a->cmd, "--vcpus must be a whole number from 1 to 1024 (got '%s')",
                           shown(a->value[CLI_OPT_VCPUS], tmp, sizeof(tmp)));
    if (a->set[CLI_OPT_MEMORY_MB] &&
        parse_long_number(a->value[CLI_OPT_MEMORY_MB], 512, 16L * 1024 * 1024, &a->memory_mb) !=
            GP_OK)
        return usage_error(err, a->cmd,
                           "--memory-mb must be a whole number from 512 to 16777216 (got '%s')",
                           shown(a->value[CLI_OPT_MEMORY_MB], tmp, sizeof(tmp)));
    if (a->set[CLI_OPT_GPUS] && !str_eq(a->value[CLI_OPT_GPUS], "GpuP") &&
        !str_eq(a->value[CLI_OPT_GPUS], "GpuDDA"))
        return usage_error(err, a->cmd, "--gpus must be GpuP or GpuDDA (got '%s')",
                           shown(a->value[CLI_OPT_GPUS], tmp, sizeof(tmp)));
    if (a->cmd == CLI_CMD_LOGIN) {
        static const enum cli_opt modes[] = {CLI_OPT_DEVICE_CODE, CLI_OPT_SERVICE_PRINCIPAL,
                                             CLI_OPT_USE_AZ_CLI};
        const char *first = NULL;
        for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
            if (!a->set[modes[i]])
                continue;
            if (first)
                return usage_error(err, a->cmd, "--%s and --%s cannot be used together", first,
                                   opt_infos[modes[i]].lng);
            first = opt_infos[modes[i]].lng;
        }
        if (a->set[CLI_OPT_CLIENT_SECRET_FILE] && a->set[CLI_OPT_CERTIFICATE_FILE])
            return usage_error(err, a->cmd,
                               "--client-secret-file and --certificate-file cannot be used "
                               "together");
    }
    return GP_OK;
}

static enum gp_status check_required(const struct cli_args *a, struct gp_error *err)
{
    char ot[48];
    const struct cmd_spec *s = &cmd_specs[a->cmd];
    if (s->group && a->cmd != CLI_CMD_ROOT) {
        char list[160] = "";
        size_t used = 0;
        for (int k = 1; k < CLI_CMD_COUNT; k++) {
            if (cmd_specs[k].parent != a->cmd)
                continue;
            int w = snprintf(list + used, sizeof(list) - used, "%s%s", used ? ", " : "",
                             cmd_word((enum cli_cmd)k));
            if (w < 0 || (size_t)w >= sizeof(list) - used)
                break;
            used += (size_t)w;
        }
        return usage_error(err, a->cmd, "missing command (one of: %s)", list);
    }
    for (size_t i = 0; i < s->n_opts; i++)
        if (s->opts[i].required && !a->set[s->opts[i].opt])
            return usage_error(err, a->cmd, "missing %s",
                               opt_title(s->opts[i].opt, ot, sizeof(ot)));
    if (s->positional && s->positional_required && !a->positional)
        return usage_error(err, a->cmd, "missing %s", s->positional);
    return GP_OK;
}

/* Records option o with its value (NULL for a flag). */
static void set_opt(struct cli_args *a, enum cli_opt o, const char *value)
{
    a->set[o] = true;
    a->value[o] = value;
}

/* A value-taking option: the value comes from "=..." (inline), or from the next argument, which
 * must not look like an option. *ref_i is advanced past a consumed argument. */
static enum gp_status take_value(struct cli_args *a, enum cli_opt o, const char *inline_value,
                                 int argc, char *const argv[], int *ref_i, struct gp_error *err)
{
    char ot[48];
    const char *v = inline_value;
    if (!v) {
        if (*ref_i + 1 >= argc || (argv[*ref_i + 1][0] == '-' && argv[*ref_i + 1][1] != '\0'))
            return usage_error(err, a->cmd, "%s needs a value (%s)",
                               opt_title(o, ot, sizeof(ot)), opt_infos[o].metavar);
        v = argv[++*ref_i];
    }
    if (!*v)
        return usage_error(err, a->cmd, "%s needs a value (%s)", opt_title(o, ot, sizeof(ot)),
                           opt_infos[o].metavar);
    set_opt(a, o, v);
    return GP_OK;
}

static enum gp_status parse_long_opt(struct cli_args *a, int argc, char *const argv[], int *ref_i,
                                     struct gp_error *err)
{
    const char *name = argv[*ref_i] + 2;
    const char *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    char tmp[64];
    /* Only the name is ever echoed: a value after '=' may be a secret. */
    char shown_name[64];
    char raw[64];
    size_t cut = len < sizeof(raw) - 1 ? len : sizeof(raw) - 1;
    memcpy(raw, name, cut);
    raw[cut] = '\0';
    (void)shown(raw, shown_name, sizeof(shown_name));

    for (size_t r = 0; r < sizeof(refused_opts) / sizeof(refused_opts[0]); r++)
        if (strlen(refused_opts[r].lng) == len && memcmp(refused_opts[r].lng, name, len) == 0)
            return usage_error(err, a->cmd,
                               "--%s is refused: secrets are never taken from the command "
                               "line; %s",
                               refused_opts[r].lng, refused_opts[r].instead);
    enum cli_opt o = find_long(name, len);
    if (o == CLI_OPT_COUNT || !cli_cmd_accepts(a->cmd, o))
        return usage_error(err, a->cmd, "unknown option --%s", shown_name);
    if (!opt_infos[o].metavar) {
        if (eq)
            return usage_error(err, a->cmd, "%s takes no value", opt_title(o, tmp, sizeof(tmp)));
        set_opt(a, o, NULL);
        return GP_OK;
    }
    return take_value(a, o, eq ? eq + 1 : NULL, argc, argv, ref_i, err);
}

static enum gp_status parse_short_opt(struct cli_args *a, int argc, char *const argv[], int *ref_i,
                                      struct gp_error *err)
{
    const char *arg = argv[*ref_i];
    char tmp[64];
    enum cli_opt o = find_short(arg[1]);
    if (o == CLI_OPT_COUNT || !cli_cmd_accepts(a->cmd, o)) {
        char two[3] = {arg[1], '\0', '\0'};
        return usage_error(err, a->cmd, "unknown option -%s", shown(two, tmp, sizeof(tmp)));
    }
    if (!opt_infos[o].metavar) {
        if (arg[2])
            return usage_error(err, a->cmd, "%s takes no value", opt_title(o, tmp, sizeof(tmp)));
        set_opt(a, o, NULL);
        return GP_OK;
    }
    return take_value(a, o, arg[2] ? arg + 2 : NULL, argc, argv, ref_i, err);
}

static enum gp_status parse_word(struct cli_args *a, const char *word, struct gp_error *err)
{
    char tmp[80];
    if (cmd_specs[a->cmd].group) {
        enum cli_cmd c = find_child(a->cmd, word);
        if (c == CLI_CMD_COUNT)
            return usage_error(err, a->cmd, "unknown command '%s'", shown(word, tmp, sizeof(tmp)));
        a->cmd = c;
        return GP_OK;
    }
    if (cmd_specs[a->cmd].positional && !a->positional) {
        a->positional = word;
        return GP_OK;
    }
    return usage_error(err, a->cmd, "unexpected argument '%s'", shown(word, tmp, sizeof(tmp)));
}

enum gp_status cli_args_parse(int argc, char *const argv[], struct cli_args *out,
                              struct gp_error *err)
{
    memset(out, 0, sizeof(*out));
    out->cmd = CLI_CMD_ROOT;
    out->format = CLI_FORMAT_DEFAULT;
    out->vcpus = -1;
    out->memory_mb = -1;
    bool options_ended = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!options_ended && strcmp(arg, "--") == 0) {
            options_ended = true;
            continue;
        }
        if (!options_ended && arg[0] == '-' && arg[1] == '-')
            GP_TRY(parse_long_opt(out, argc, argv, &i, err));
        else if (!options_ended && arg[0] == '-' && arg[1] != '\0')
            GP_TRY(parse_short_opt(out, argc, argv, &i, err));
        else
            GP_TRY(parse_word(out, arg, err));
    }
    if (out->set[CLI_OPT_HELP])
        return GP_OK;
    GP_TRY(check_required(out, err));
    return check_values(out, err);
}

/* --- help --------------------------------------------------------------------------------- */

void cli_args_usage(FILE *out, enum cli_cmd c)
{
    char title[64];
    const struct cmd_spec *s = &cmd_specs[c];
    fputs(cmd_title(c, title, sizeof(title)), out);
    if (c == CLI_CMD_ROOT) {
        fputs(" [options] [COMMAND ...]\n", out);
        return;
    }
    if (s->group) {
        fputs(" COMMAND [options]\n", out);
        return;
    }
    for (size_t i = 0; i < s->n_opts; i++) {
        if (!s->opts[i].required)
            continue;
        const struct opt_info *oi = &opt_infos[s->opts[i].opt];
        if (oi->shrt)
            fprintf(out, " -%c %s", oi->shrt, oi->metavar ? oi->metavar : "");
        else
            fprintf(out, " --%s%s%s", oi->lng, oi->metavar ? " " : "",
                    oi->metavar ? oi->metavar : "");
    }
    if (s->positional)
        fprintf(out, s->positional_required ? " %s" : " [%s]", s->positional);
    fputs(" [options]\n", out);
}

static void help_option(FILE *out, enum cli_opt o, bool required)
{
    const struct opt_info *oi = &opt_infos[o];
    char left[64];
    if (oi->shrt)
        (void)snprintf(left, sizeof(left), "-%c, --%s%s%s", oi->shrt, oi->lng,
                       oi->metavar ? " " : "", oi->metavar ? oi->metavar : "");
    else
        (void)snprintf(left, sizeof(left), "    --%s%s%s", oi->lng, oi->metavar ? " " : "",
                       oi->metavar ? oi->metavar : "");
    char text[256];
    (void)snprintf(text, sizeof(text), "%s%s", oi->help, required ? " (required)" : "");
    /* Word-wrapped to 80 columns, continuation lines under the text. */
    enum { TEXT_COL = 33, WIDTH = 80 };
    fprintf(out, "  %-30s ", left);
    const char *p = text;
    size_t col = TEXT_COL;
    while (*p) {
        size_t word = strcspn(p, " ");
        if (col > TEXT_COL && col + 1 + word > WIDTH) {
            fprintf(out, "\n%*s", TEXT_COL, "");
            col = TEXT_COL;
        } else if (col > TEXT_COL) {
            fputc(' ', out);
            col++;
        }
        fwrite(p, 1, word, out);
        col += word;
        p += word;
        while (*p == ' ')
            p++;
    }
    fputc('\n', out);
}

void cli_args_help(FILE *out, enum cli_cmd c)
{
    if ((unsigned)c >= CLI_CMD_COUNT)
        c = CLI_CMD_ROOT;
    const struct cmd_spec *s = &cmd_specs[c];
    fputs("usage: ", out);
    cli_args_usage(out, c);
    const char *summary = cmd_infos[c].summary;
    int first = (unsigned char)summary[0];
    fprintf(out, "\n%c%s.\n", first >= 'a' && first <= 'z' ? first - 'a' + 'A' : first,
            summary + 1);
    if (c == CLI_CMD_ROOT)
        fputs("With no command, on a terminal, gpup opens the console.\n", out);
    if (s->group) {
        fputs("\nCommands:\n", out);
        for (int k = 1; k < CLI_CMD_COUNT; k++)
            if (cmd_specs[k].parent == c)
                fprintf(out, "  %-10s %s\n", cmd_word((enum cli_cmd)k), cmd_infos[k].summary);
    }
    if (s->positional)
        fprintf(out, "\nArguments:\n  %-30s %s\n", s->positional,
                c == CLI_CMD_CONFIG_CHECK ? "file to check (default: the one in use)"
                                          : "operation id, as `gpup ops list` prints it");
    if (s->n_opts) {
        fputs("\nOptions:\n", out);
        for (size_t i = 0; i < s->n_opts; i++)
            help_option(out, s->opts[i].opt, s->opts[i].required);
    }
    fputs("\nGlobal options:\n", out);
    for (int o = 0; o <= CLI_OPT_GLOBAL_LAST; o++)
        help_option(out, (enum cli_opt)o, false);
    if (s->group) {
        char title[64];
        fprintf(out, "\nRun '%s COMMAND --help' for the options of a command.\n",
                cmd_title(c, title, sizeof(title)));
    }
}

void cli_args_print_hint(FILE *out, enum cli_cmd c)
{
    char title[64];
    if ((unsigned)c >= CLI_CMD_COUNT)
        c = CLI_CMD_ROOT;
    fputs("usage: ", out);
    cli_args_usage(out, c);
    fprintf(out, "Try '%s --help'.\n", cmd_title(c, title, sizeof(title)));
}

/* --- bash completion ---------------------------------------------------------------------- */

static void bash_words_for(FILE *out, enum cli_cmd c)
{
    const struct cmd_spec *s = &cmd_specs[c];
    const char *sep = "";
    for (int k = 1; k < CLI_CMD_COUNT; k++)
        if (cmd_specs[k].parent == c && k != (int)c) {
            fprintf(out, "%s%s", sep, cmd_word((enum cli_cmd)k));
            sep = " ";
        }
    for (size_t i = 0; i < s->n_opts; i++) {
        enum cli_opt o = s->opts[i].opt;
        fprintf(out, "%s--%s", sep, opt_infos[o].lng);
        sep = " ";
        if (opt_infos[o].shrt)
            fprintf(out, " -%c", opt_infos[o].shrt);
    }
}

void cli_args_write_bash_completion(FILE *out)
{
    fputs("# SPDX-License-Identifier: MIT\n"
          "# completion/gpup.bash: bash completion for gpup. Generated from the option tables\n"
          "# of cli/args.c; tests/unit/test_cli_args.c checks it is current, and\n"
          "# UPDATE_GOLDEN=1 make check rewrites it.\n"
          "\n"
          "_gpup()\n"
          "{\n"
          "    local cur prev path w i skip=0 words\n"
          "    cur=${COMP_WORDS[COMP_CWORD]}\n"
          "    prev=${COMP_WORDS[COMP_CWORD-1]}\n"
          "    case $prev in\n"
          "    -o|--output) COMPREPLY=($(compgen -W 'table json tsv' -- \"$cur\")); return ;;\n"
          "    --gpus) COMPREPLY=($(compgen -W 'GpuP GpuDDA' -- \"$cur\")); return ;;\n"
          "    --config|--client-secret-file|--certificate-file|--ssh-key-file)\n"
          "        COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n"
          "    esac\n"
          "    path=\n"
          "    for ((i = 1; i < COMP_CWORD; i++)); do\n"
          "        w=${COMP_WORDS[i]}\n"
          "        if ((skip)); then skip=0; continue; fi\n"
          "        case $w in\n",
          out);
    /* Options that take a value: the next word is skipped when finding the command. */
    fputs("        ", out);
    const char *sep = "";
    for (int o = 0; o < CLI_OPT_COUNT; o++) {
        if (!opt_infos[o].metavar)
            continue;
        fprintf(out, "%s--%s", sep, opt_infos[o].lng);
        sep = "|";
        if (opt_infos[o].shrt)
            fprintf(out, "|-%c", opt_infos[o].shrt);
    }
    fputs(") skip=1 ;;\n"
          "        -*) ;;\n"
          "        *) path=\"${path:+$path }$w\" ;;\n"
          "        esac\n"
          "    done\n"
          "    case $path in\n",
          out);
    for (int c = 0; c < CLI_CMD_COUNT; c++) {
        fprintf(out, "    \"%s\") words='", cmd_infos[c].path);
        bash_words_for(out, (enum cli_cmd)c);
        fputs("' ;;\n", out);
    }
    fputs("    *) words= ;;\n"
          "    esac\n"
          "    words=\"$words",
          out);
    for (int o = 0; o <= CLI_OPT_GLOBAL_LAST; o++) {
        fprintf(out, " --%s", opt_infos[o].lng);
        if (opt_infos[o].shrt)
            fprintf(out, " -%c", opt_infos[o].shrt);
    }
    fputs("\"\n"
          "    COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
          "}\n"
          "complete -F _gpup gpup\n",
          out);
}
