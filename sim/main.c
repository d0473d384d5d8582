/* SPDX-License-Identifier: MIT
 * sim/main.c: gpup-sim, the ARM emulator (product.md section 6): options, the fleet (generated
 * or loaded from --state), the server, and a clean stop on SIGINT/SIGTERM (state saved). */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/text.h"
#include "sim/arm.h"
#include "sim/server.h"
#include "sim/tokens.h"

static const char USAGE[] =
    "usage: gpup-sim [--listen ADDR:PORT] [--fleet N] [--hosts N] [--seed S] [--state FILE]\n"
    "                [--page-size N] [--op-ms MS] [--retry-after S|--retry-after-ms MS]\n"
    "                [--faults SPEC] [--token TOKEN] [--subscription ID] [--log FILE] "
    "[--quiet]\n"
    "                [--sp-client ID [--sp-secret-file FILE] [--client-cert FILE]]\n"
    "                [--identity-dir DIR]"
    " [--device-interval S] [--device-pending N] [--no-slow-down]\n"
    "An Azure Resource Manager emulator for Azure Local VMs and their GPUs. See gpup-sim(1).\n";

struct options {
    char host[256];
    char port[16];
    unsigned long long fleet, hosts, seed, page_size, op_ms;
    long retry_after_s, retry_after_ms;
    const char *state, *faults, *token, *subscription, *log;
    const char *sp_client, *sp_secret_file, *client_cert, *identity_dir;
    unsigned long long device_interval, device_pending;
    bool quiet, no_slow_down;
};

static int usage_error(const char *fmt, ...) GP_PRINTF(1, 2);
static int usage_error(const char *fmt, ...)
{
    fputs("gpup-sim: ", stderr);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs(" (see gpup-sim --help)\n", stderr);
    return 2;
}

static bool parse_num(const char *s, unsigned long long max, unsigned long long *out)
{
    if (!s || !*s || *s == '-' || *s == '+')
        return false;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || !end || *end || v > max)
        return false;
    *out = v;
    return true;
}

static bool parse_listen(struct options *o, const char *arg)
{
    const char *colon = strrchr(arg, ':');
    if (!colon || colon == arg || !colon[1])
        return false;
    const char *h = arg;
    size_t hlen = (size_t)(colon - arg);
    if (h[0] == '[' && hlen >= 2 && h[hlen - 1] == ']') {
        h++;
        hlen -= 2;
    }
    unsigned long long port;
    if (hlen == 0 || hlen >= sizeof(o->host) || !parse_num(colon + 1, 65535, &port))
        return false;
    memcpy(o->host, h, hlen);
    o->host[hlen] = '\0';
    (void)snprintf(o->port, sizeof(o->port), "%llu", port);
    return true;
}

/* Returns -1 to go on, else the exit status. */
static int parse_args(struct options *o, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        char name[64];
        const char *val = NULL;
        const char *eq = strchr(a, '=');
        if (strncmp(a, "--", 2) == 0 && eq && (size_t)(eq - a) < sizeof(name)) {
            memcpy(name, a, (size_t)(eq - a));
            name[eq - a] = '\0';
            val = eq + 1;
        } else if (!text_copy(name, sizeof(name), a)) {
            return usage_error("unknown option '%s'", a);
        }
        if (!strcmp(name, "--help") || !strcmp(name, "-h")) {
            fputs(USAGE, stdout);
            return 0;
        }
        if (!strcmp(name, "--quiet")) {
            o->quiet = true;
            continue;
        }
        if (!strcmp(name, "--no-slow-down")) {
            o->no_slow_down = true;
            continue;
        }
        static const char *const with_value[] = {"--listen",
                                                 "--fleet",
                                                 "--hosts",
                                                 "--seed",
                                                 "--state",
                                                 "--page-size",
                                                 "--op-ms",
                                                 "--retry-after",
                                                 "--retry-after-ms",
                                                 "--faults",
                                                 "--token",
                                                 "--subscription",
                                                 "--log",
                                                 "--sp-client",
                                                 "--sp-secret-file",
                                                 "--client-cert",
                                                 "--identity-dir",
                                                 "--device-interval",
                                                 "--device-pending",
                                                 NULL};
        bool known = false;
        for (size_t k = 0; with_value[k]; k++)
            known = known || !strcmp(name, with_value[k]);
        if (!known)
            return usage_error("unknown option '%s'", a);
        if (!val) {
            if (i + 1 >= argc)
                return usage_error("option '%s' needs a value", name);
            val = argv[++i];
        }
        unsigned long long n;
        if (!strcmp(name, "--listen")) {
            if (!parse_listen(o, val))
                return usage_error("--listen wants ADDR:PORT, not '%s'", val);
        } else if (!strcmp(name, "--fleet")) {
            if (!parse_num(val, 1000000, &o->fleet))
                return usage_error("--fleet wants a number of VMs up to 1000000, not '%s'", val);
        } else if (!strcmp(name, "--hosts")) {
            if (!parse_num(val, 10000, &o->hosts))
                return usage_error("--hosts wants a number up to 10000, not '%s'", val);
        } else if (!strcmp(name, "--seed")) {
            if (!parse_num(val, UINT64_MAX, &o->seed))
                return usage_error("--seed wants a non-negative integer, not '%s'", val);
        } else if (!strcmp(name, "--page-size")) {
            if (!parse_num(val, 10000, &o->page_size) || o->page_size == 0)
                return usage_error("--page-size wants 1 to 10000, not '%s'", val);
        } else if (!strcmp(name, "--op-ms")) {
            if (!parse_num(val, 3600000, &o->op_ms))
                return usage_error("--op-ms wants milliseconds (0 to 3600000), not '%s'", val);
        } else if (!strcmp(name, "--retry-after")) {
            if (!parse_num(val, 3600, &n))
                return usage_error("--retry-after wants seconds (0 to 3600), not '%s'", val);
            o->retry_after_s = (long)n;
            o->retry_after_ms = -1;
        } else if (!strcmp(name, "--retry-after-ms")) {
            if (!parse_num(val, 3600000, &n))
                return usage_error("--retry-after-ms wants milliseconds, not '%s'", val);
            o->retry_after_ms = (long)n;
        } else if (!strcmp(name, "--state")) {
            if (!*val)
                return usage_error("--state wants a file name%s", "");
            o->state = val;
        } else if (!strcmp(name, "--faults")) {
            o->faults = val;
        } else if (!strcmp(name, "--token")) {
            if (!*val)
                return usage_error("--token wants a token%s", "");
            o->token = val;
        } else if (!strcmp(name, "--subscription")) {
            if (!*val || strlen(val) > 64 || strchr(val, '/'))
                return usage_error("--subscription wants an id, not '%s'", val);
            o->subscription = val;
        } else if (!strcmp(name, "--log")) {
            o->log = val;
        } else if (!strcmp(name, "--sp-client")) {
            if (!*val || strlen(val) > 127)
                return usage_error("--sp-client wants a client id, not '%s'", val);
            o->sp_client = val;
        } else if (!strcmp(name, "--sp-secret-file")) {
            if (!*val)
                return usage_error("--sp-secret-file wants a file name%s", "");
            o->sp_secret_file = val;
        } else if (!strcmp(name, "--client-cert")) {
            if (!*val)
                return usage_error("--client-cert wants a PEM certificate file%s", "");
            o->client_cert = val;
        } else if (!strcmp(name, "--identity-dir")) {
            if (!*val)
                return usage_error("--identity-dir wants a directory%s", "");
            o->identity_dir = val;
        } else if (!strcmp(name, "--device-interval")) {
            if (!parse_num(val, 60, &o->device_interval) || o->device_interval == 0)
                return usage_error("--device-interval wants seconds (1 to 60), not '%s'", val);
        } else if (!strcmp(name, "--device-pending")) {
            if (!parse_num(val, 1000, &o->device_pending))
                return usage_error("--device-pending wants a number up to 1000, not '%s'", val);
        }
    }
    /* a service principal needs a credential, and a credential needs its principal */
    if (o->sp_client && !o->sp_secret_file && !o->client_cert)
        return usage_error("--sp-client needs --sp-secret-file or --client-cert%s", "");
    if (!o->sp_client && (o->sp_secret_file || o->client_cert))
        return usage_error("--sp-secret-file and --client-cert need --sp-client%s", "");
    return -1;
}

/* The service principal's secret: the file's first line (at most 1 KB). */
static bool read_secret(const char *path, char *out, size_t n)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "gpup-sim: --sp-secret-file %s: %s\n", path, strerror(errno));
        return false;
    }
    bool ok = fgets(out, (int)n, f) != NULL;
    fclose(f);
    if (ok)
        out[strcspn(out, "\r\n")] = '\0';
    if (!ok || !out[0]) {
        fprintf(stderr, "gpup-sim: --sp-secret-file %s: no secret in it\n", path);
        explicit_bzero(out, n);
        return false;
    }
    return true;
}

/* The login endpoints: always served (device code works for any client); ARM then wants their
 * tokens only when a service principal or managed identity was configured. NULL on error. */
static struct sim_tokens *start_tokens(const struct options *o, struct arm_settings *set)
{
    char secret[1024] = "";
    if (o->sp_secret_file && !read_secret(o->sp_secret_file, secret, sizeof(secret)))
        return NULL;
    struct sim_tokens_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.client_id = o->sp_client;
    cfg.client_secret = o->sp_secret_file ? secret : NULL;
    cfg.client_cert_file = o->client_cert;
    cfg.fixed_token = o->token;
    cfg.key_dir = o->identity_dir;
    cfg.pending_polls = (unsigned)o->device_pending;
    cfg.no_slow_down = o->no_slow_down;
    cfg.device_interval_s = (unsigned)o->device_interval;
    struct sim_tokens *tk = NULL;
    struct gp_error err;
    gp_error_clear(&err);
    enum gp_status st = sim_tokens_new(&cfg, &tk, &err);
    explicit_bzero(secret, sizeof(secret));
    if (st != GP_OK) {
        fprintf(stderr, "gpup-sim: %s\n", err.message);
        return NULL;
    }
    set->tokens = tk;
    set->issued_only = o->sp_client || o->identity_dir;
    return tk;
}

int main(int argc, char **argv)
{
    struct options o;
    memset(&o, 0, sizeof(o));
    (void)text_copy(o.host, sizeof(o.host), "127.0.0.1");
    (void)text_copy(o.port, sizeof(o.port), "0");
    o.fleet = 100;
    o.hosts = 8;
    o.seed = 1;
    o.page_size = 100;
    o.op_ms = 2000;
    o.retry_after_s = 1;
    o.retry_after_ms = -1;
    o.subscription = "00000000-0000-0000-0000-000000000000";
    o.device_pending = 2;
    int rc = parse_args(&o, argc, argv);
    if (rc >= 0)
        return rc;

    static struct arm_service svc;
    struct gp_error err;
    gp_error_clear(&err);
    if (faults_parse(&svc.faults, o.faults, o.seed, &err) != GP_OK) {
        fprintf(stderr, "gpup-sim: %s\n", err.message);
        return 2;
    }
    fleet_init(&svc.fleet);
    if (ops_init(&svc.ops, o.seed) != GP_OK) {
        fputs("gpup-sim: out of memory\n", stderr);
        return 1;
    }
    simrng_seed(&svc.ids, o.seed ^ 0x7265717565737421ULL);
    svc.set.page_size = (size_t)o.page_size;
    svc.set.op_ms = (long)o.op_ms;
    svc.set.retry_after_s = o.retry_after_s;
    svc.set.retry_after_ms = o.retry_after_ms;
    svc.set.token = o.token;
    svc.set.state_path = o.state;

    enum gp_status st = GP_E_NOT_FOUND;
    if (o.state) {
        st = fleet_load(&svc.fleet, o.state, &err);
        if (st != GP_OK && st != GP_E_NOT_FOUND) {
            fprintf(stderr, "gpup-sim: cannot load the state: %s\n", err.message);
            ops_cleanup(&svc.ops);
            return 1;
        }
    }
    bool loaded = st == GP_OK;
    if (!loaded) {
        gp_error_clear(&err);
        if (fleet_generate(&svc.fleet, o.subscription, (size_t)o.fleet, (size_t)o.hosts, o.seed,
                           &err) != GP_OK) {
            fprintf(stderr, "gpup-sim: %s\n", err.message);
            fleet_cleanup(&svc.fleet);
            ops_cleanup(&svc.ops);
            return 1;
        }
        svc.dirty = o.state != NULL;
        if (o.state && fleet_save(&svc.fleet, o.state, &err) != GP_OK) {
            fprintf(stderr, "gpup-sim: %s\n", err.message);
            fleet_cleanup(&svc.fleet);
            ops_cleanup(&svc.ops);
            return 1;
        }
        svc.dirty = false;
    }

    /* Signals are taken synchronously by this thread; the server thread inherits the mask. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct sim_tokens *tokens = start_tokens(&o, &svc.set);
    if (!tokens) {
        fleet_cleanup(&svc.fleet);
        ops_cleanup(&svc.ops);
        return 1;
    }
    struct server *srv = NULL;
    char url[320];
    if (server_start(&svc, o.host, o.port, o.log, o.quiet, &srv, url, sizeof(url), &err) != GP_OK) {
        fprintf(stderr, "gpup-sim: %s\n", err.message);
        sim_tokens_free(tokens);
        fleet_cleanup(&svc.fleet);
        ops_cleanup(&svc.ops);
        return 1;
    }
    printf("listening on %s\n", url);
    fflush(stdout);
    if (!o.quiet)
        fprintf(stderr, "gpup-sim: %s %zu VMs on %zu hosts, subscription %s\n",
                loaded ? "loaded" : "generated", svc.fleet.n_vmi, svc.fleet.cluster.n_hosts,
                svc.fleet.subscription);
    int sig = 0;
    while (sigwait(&set, &sig) != 0)
        ;
    server_stop(srv); /* saves the state when it changed */
    sim_tokens_free(tokens);
    fleet_cleanup(&svc.fleet);
    ops_cleanup(&svc.ops);
    return 0;
}
