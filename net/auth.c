/* SPDX-License-Identifier: MIT
 * net/auth.c: the token provider. One fetch at a time runs a plan of attempts (refresh token,
 * ready token, az CLI, service principal, device code, managed identity); every waiter shares
 * its outcome. Everything is asynchronous on the loop: HTTP through the transport ops, the az
 * child through fd watches and timers. */
#include "net/auth.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "model/buf.h"
#include "model/settings.h"
#include "model/text.h"
#include "net/assertion.h"

extern char **environ;

#define AUTH_MAX_WAITERS 256
#define AUTH_URL_MAX 2048
#define AUTH_FILE_MAX (64u * 1024u)
#define AUTH_KEY_MAX 4096u
#define AZ_OUT_MAX (64u * 1024u)
#define AZ_REAP_MS 10
#define SLOW_DOWN_S 5
#define AUTH_MIN_REFETCH_S 30

enum attempt { ATT_REFRESH, ATT_STATIC, ATT_AZ, ATT_SP, ATT_DEVICE, ATT_MI, ATT_COUNT };

static const char *const attempt_names[ATT_COUNT] = {
    "refresh token",    "token", "azure-cli", "service principal", "device code login",
    "managed identity",
};

struct waiter {
    auth_token_fn fn;
    void *ctx;
};

struct az_child {
    pid_t pid;
    int out_fd;
    int err_fd;
    char *out; /* AZ_OUT_MAX bytes, wiped on free: holds the token */
    size_t out_len;
    bool out_overflow;
    char err_text[512];
    size_t err_len;
    uint64_t timeout_timer;
    uint64_t reap_timer;
    bool timed_out;
};

struct arm_bridge {
    struct auth *a;
    arm_token_cb cb;
    void *cb_ctx;
    struct arm_bridge *next;
};

struct auth {
    struct gp_loop *loop;
    struct auth_transport_ops ops;
    void *tctx;
    enum auth_method method;
    char *authority;
    char *tenant;
    char *client_id;
    char *client_secret_file;
    char *certificate_file;
    char *client_assertion_file;
    char *token_file;
    char *az_path;
    char *resource;
    char *scope;
    char *identity_endpoint;
    char *identity_key_dir;
    char *cache_file;
    uint64_t az_timeout_ms;
    auth_notice_fn notice;
    void *notice_ctx;
    auth_clock_fn clock;
    void *clock_ctx;

    struct token tok;          /* the token held */
    int64_t fetched_at;        /* wall time it was obtained (0: from the cache) */
    char tok_client_id[128];   /* client id its refresh token belongs to */
    struct gp_secret rejected; /* the last token ARM refused */
    bool cache_loaded;

    struct waiter *waiters;
    size_t n_waiters;
    uint64_t kick_timer;
    bool force; /* auth_login pending: fetch whatever is held, allow device code */

    /* the fetch running */
    bool fetching;
    bool interactive;
    enum attempt plan[ATT_COUNT];
    size_t n_plan;
    size_t i_plan;
    enum attempt att;
    unsigned tried;
    struct gp_error first_err;
    char summary[512];
    void *req;               /* transport handle of the request in flight */
    uint64_t timer;          /* device-code poll timer */
    struct gp_secret secret; /* SP secret or MI key while an attempt needs it */
    struct token_device_code dc;
    uint64_t dc_deadline_ms;
    int64_t dc_interval_s;
    struct az_child az;
    struct arm_bridge *bridges; /* net/arm requests waiting for a token */
};

/* --- small helpers --------------------------------------------------------------------- */

#define NAME_(id, name) name,
static const char *const method_names[] = {AUTH_METHODS(NAME_)};
#undef NAME_

const char *auth_method_name(enum auth_method m)
{
    if ((unsigned)m >= AUTH_METHOD_COUNT)
        return "unknown";
    return method_names[m];
}

bool auth_method_parse(const char *name, enum auth_method *out)
{
    for (unsigned i = 0; i < AUTH_METHOD_COUNT; i++) {
        if (str_eq(name, method_names[i])) {
            *out = (enum auth_method)i;
            return true;
        }
    }
    return false;
}

static int64_t auth_now(const struct auth *a)
{
    return a->clock ? a->clock(a->clock_ctx) : loop_wall_time(a->loop);
}

static const char *env_nonempty(const char *name)
{
    const char *v = getenv(name);
    return v && v[0] ? v : NULL;
}

static char *find_bytes(char *hay, size_t hn, const char *needle, size_t nn)
{
    if (nn == 0 || hn < nn)
        return NULL;
    for (size_t i = 0; i + nn <= hn; i++) {
        if (hay[i] == needle[0] && memcmp(hay + i, needle, nn) == 0)
            return hay + i;
    }
    return NULL;
}

/* Overwrites every occurrence of each secret this provider holds in err's message. */
static void scrub_one(struct gp_error *err, const struct gp_secret *s)
{
    if (!gp_secret_is_set(s) || s->len < 4)
        return;
    size_t ml = strlen(err->message);
    char *p = err->message;
    while ((size_t)(p - err->message) + s->len <= ml) {
        char *hit = find_bytes(p, ml - (size_t)(p - err->message), token_secret_str(s), s->len);
        if (!hit)
            break;
        memset(hit, '*', s->len);
        p = hit + s->len;
    }
}

static void scrub(const struct auth *a, struct gp_error *err)
{
    scrub_one(err, &a->tok.access);
    scrub_one(err, &a->tok.refresh);
    scrub_one(err, &a->rejected);
    scrub_one(err, &a->secret);
    scrub_one(err, &a->dc.device_code);
}

static void notify(struct auth *a, const char *line)
{
    if (a->notice)
        a->notice(a->notice_ctx, line);
}

/* http:// only towards loopback; everything else https (style.md 7). */
static bool url_allowed(const char *url)
{
    if (strncmp(url, "https://", 8) == 0)
        return url[8] != '\0';
    static const char *const loop[] = {"http://localhost:", "http://localhost/", "http://127.",
                                       "http://[::1]:", "http://[::1]/"};
    for (size_t i = 0; i < sizeof(loop) / sizeof(loop[0]); i++) {
        if (strncmp(url, loop[i], strlen(loop[i])) == 0)
            return true;
    }
    return str_eq(url, "http://localhost");
}

static bool tenant_ok(const char *t)
{
    if (!t[0] || strlen(t) > 128)
        return false;
    for (const char *p = t; *p; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '.' || c == '_';
        if (!ok)
            return false;
    }
    return true;
}

static void strip_slash(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == '/')
        s[--n] = '\0';
}

/* Reads a whole small file into a secret. private_only: refuse a file that group or others
 * may read. */
static enum gp_status read_secret_file(const char *path, size_t max, bool private_only,
                                       const char *what, struct gp_secret *out,
                                       struct gp_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return gp_error_set(err, GP_E_IO, "%s: cannot open %s: %s", what, path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return gp_error_set(err, GP_E_IO, "%s: %s is not a regular file", what, path);
    }
    if (private_only && (sb.st_mode & 077)) {
        close(fd);
        return gp_error_set(err, GP_E_AUTH,
                            "%s: %s is readable by group or others (mode %04o); "
                            "refusing it: chmod 600 %s",
                            what, path, (unsigned)(sb.st_mode & 07777), path);
    }
    if ((uint64_t)sb.st_size > max) {
        close(fd);
        return gp_error_set(err, GP_E_TOO_LARGE, "%s: %s is larger than %zu bytes", what, path,
                            max);
    }
    char *buf = malloc(max + 1);
    if (!buf) {
        close(fd);
        return gp_error_set(err, GP_E_NOMEM, "%s: out of memory", what);
    }
    size_t len = 0;
    enum gp_status st = GP_OK;
    for (;;) {
        ssize_t r = read(fd, buf + len, max + 1 - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            st = gp_error_set(err, GP_E_IO, "%s: cannot read %s: %s", what, path, strerror(errno));
            break;
        }
        if (r == 0)
            break;
        len += (size_t)r;
        if (len > max) {
            st = gp_error_set(err, GP_E_TOO_LARGE, "%s: %s is larger than %zu bytes", what, path,
                              max);
            break;
        }
    }
    close(fd);
    if (st == GP_OK && gp_secret_set(out, buf, len) != GP_OK)
        st = gp_error_set(err, GP_E_NOMEM, "%s: out of memory", what);
    token_wipe_free(buf, max + 1);
    return st;
}

/* Trims white space at both ends of a secret in place (a file ends with a newline). */
static void secret_trim(struct gp_secret *s)
{
    gp_secret_trim(s);
    size_t b = 0;
    while (b < s->len && (s->bytes[b] == ' ' || s->bytes[b] == '\t' || s->bytes[b] == '\r' ||
                          s->bytes[b] == '\n'))
        b++;
    if (b == 0)
        return;
    memmove(s->bytes, s->bytes + b, s->len - b);
    explicit_bzero(s->bytes + (s->len - b), b);
    s->len -= b;
}

/* A form buffer allocated once up front, so that appending a secret never reallocates and
 * leaves a copy behind in freed memory. Larger forms still work (then with a realloc). */
#define FORM_PREALLOC 8192u
static void form_init(struct gp_buf *b)
{
    static const char zeros[FORM_PREALLOC];
    gp_buf_init(b, 64u * 1024u);
    if (gp_buf_append(b, zeros, sizeof(zeros)) == GP_OK)
        gp_buf_reset(b);
}

static void buf_wipe(struct gp_buf *b)
{
    if (b->data)
        explicit_bzero(b->data, b->cap);
    gp_buf_cleanup(b);
}

/* --- process hardening ----------------------------------------------------------------- */

/* LeakSanitizer inspects the process with ptrace at exit, which an undumpable process refuses
 * to unprivileged users: sanitizer builds keep only the core-size limit. */
#if defined(__SANITIZE_ADDRESS__)
#define AUTH_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define AUTH_UNDER_ASAN 1
#endif
#endif
#ifndef AUTH_UNDER_ASAN
#define AUTH_UNDER_ASAN 0
#endif

enum gp_status auth_protect_process(struct gp_error *err)
{
    struct rlimit rl = {0, 0};
    if (setrlimit(RLIMIT_CORE, &rl) != 0)
        return gp_error_set(err, GP_E_IO, "cannot disable core dumps: %s", strerror(errno));
#if defined(__linux__) && !AUTH_UNDER_ASAN
    if (prctl(PR_SET_DUMPABLE, 0L, 0L, 0L, 0L) != 0)
        return gp_error_set(err, GP_E_IO, "cannot mark the process undumpable: %s",
                            strerror(errno));
#endif
    return GP_OK;
}

/* --- construction ---------------------------------------------------------------------- */

static enum gp_status dup_opt(char **dst, const char *v, const char *dflt)
{
    const char *s = v ? v : dflt;
    if (!s) {
        *dst = NULL;
        return GP_OK;
    }
    *dst = text_dup(s);
    return *dst ? GP_OK : GP_E_NOMEM;
}

enum gp_status auth_new(struct gp_loop *l, const struct auth_transport_ops *ops, void *tctx,
                        const struct auth_config *cfg, struct auth **out, struct gp_error *err)
{
    *out = NULL;
    if (!l || !ops || !ops->send || !ops->cancel || !cfg)
        return gp_error_set(err, GP_E_INVALID, "auth: missing loop, transport or settings");
    if ((unsigned)cfg->method >= AUTH_METHOD_COUNT)
        return gp_error_set(err, GP_E_CONFIG, "auth: unknown method");
    struct auth *a = calloc(1, sizeof(*a));
    if (!a)
        return gp_error_set(err, GP_E_NOMEM, "auth: out of memory");
    a->loop = l;
    a->ops = *ops;
    a->tctx = tctx;
    a->method = cfg->method;
    a->az_timeout_ms = cfg->az_timeout_ms ? cfg->az_timeout_ms : 60000;
    a->notice = cfg->notice;
    a->notice_ctx = cfg->notice_ctx;
    a->clock = cfg->clock;
    a->clock_ctx = cfg->clock_ctx;
    a->az.pid = -1;
    a->az.out_fd = -1;
    a->az.err_fd = -1;
    const char *ident =
        cfg->identity_endpoint ? cfg->identity_endpoint : env_nonempty("IDENTITY_ENDPOINT");
    if (!ident && cfg->method == AUTH_MANAGED_IDENTITY)
        ident = AUTH_DEFAULT_IDENTITY_ENDPOINT;
    bool ok = dup_opt(&a->authority, cfg->authority, AUTH_DEFAULT_AUTHORITY) == GP_OK &&
              dup_opt(&a->tenant, cfg->tenant, env_nonempty("AZURE_TENANT_ID")) == GP_OK &&
              dup_opt(&a->client_id, cfg->client_id, env_nonempty("AZURE_CLIENT_ID")) == GP_OK &&
              dup_opt(&a->client_secret_file, cfg->client_secret_file, NULL) == GP_OK &&
              dup_opt(&a->certificate_file, cfg->certificate_file, NULL) == GP_OK &&
              dup_opt(&a->client_assertion_file, cfg->client_assertion_file,
                      env_nonempty("AZURE_FEDERATED_TOKEN_FILE")) == GP_OK &&
              dup_opt(&a->token_file, cfg->token_file, NULL) == GP_OK &&
              dup_opt(&a->az_path, cfg->az_path, "az") == GP_OK &&
              dup_opt(&a->resource, cfg->resource, AUTH_DEFAULT_RESOURCE) == GP_OK &&
              dup_opt(&a->identity_endpoint, ident, NULL) == GP_OK &&
              dup_opt(&a->identity_key_dir, cfg->identity_key_dir, AUTH_DEFAULT_IDENTITY_KEY_DIR) ==
                  GP_OK &&
              dup_opt(&a->cache_file, cfg->cache_file, NULL) == GP_OK;
    if (ok) {
        strip_slash(a->authority);
        size_t n = strlen(a->resource);
        a->scope = malloc(n + sizeof("/.default"));
        ok = a->scope != NULL;
        if (ok) {
            memcpy(a->scope, a->resource, n + 1);
            strip_slash(a->scope);
            memcpy(a->scope + strlen(a->scope), "/.default", sizeof("/.default"));
        }
    }
    if (!ok) {
        auth_free(a);
        return gp_error_set(err, GP_E_NOMEM, "auth: out of memory");
    }
    enum gp_status st = GP_OK;
    if (!url_allowed(a->authority))
        st = gp_error_set(err, GP_E_CONFIG,
                          "auth: authority %s must be https (plain http only on loopback)",
                          a->authority);
    else if (a->identity_endpoint && !url_allowed(a->identity_endpoint))
        st = gp_error_set(err, GP_E_CONFIG, "auth: identity endpoint %s must be https or loopback",
                          a->identity_endpoint);
    else if (a->tenant && !tenant_ok(a->tenant))
        st = gp_error_set(err, GP_E_CONFIG, "auth: tenant is not a tenant id or domain name");
    else if (!cfg->keep_dumpable)
        st = auth_protect_process(err);
    if (st != GP_OK) {
        auth_free(a);
        return st;
    }
    *out = a;
    return GP_OK;
}

/* --- the az child ---------------------------------------------------------------------- */

static void az_close_fd(struct auth *a, int *fd)
{
    if (*fd >= 0) {
        loop_unwatch_fd(a->loop, *fd);
        close(*fd);
        *fd = -1;
    }
}

/* Stops the child (if any) without reporting. */
static void az_abort(struct auth *a)
{
    struct az_child *c = &a->az;
    az_close_fd(a, &c->out_fd);
    az_close_fd(a, &c->err_fd);
    loop_timer_cancel(a->loop, c->timeout_timer);
    loop_timer_cancel(a->loop, c->reap_timer);
    c->timeout_timer = c->reap_timer = 0;
    if (c->pid > 0) {
        kill(c->pid, SIGKILL);
        while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
            ;
        c->pid = -1;
    }
    if (c->out)
        token_wipe_free(c->out, AZ_OUT_MAX);
    c->out = NULL;
    c->out_len = 0;
    c->out_overflow = false;
    c->err_len = 0;
    c->err_text[0] = '\0';
    c->timed_out = false;
}

static void attempt_failed(struct auth *a, struct gp_error *e, bool tried);
static void attempt_succeeded(struct auth *a, struct token *t);

static void az_finish(struct auth *a, int wstatus)
{
    struct az_child *c = &a->az;
    struct gp_error e;
    gp_error_clear(&e);
    c->pid = -1;
    loop_timer_cancel(a->loop, c->timeout_timer);
    c->timeout_timer = 0;
    char line[256];
    size_t i = 0;
    while (i < c->err_len && i + 1 < sizeof(line) && c->err_text[i] != '\n' &&
           c->err_text[i] != '\r') {
        line[i] = c->err_text[i];
        i++;
    }
    line[i] = '\0';
    char safe[256];
    text_sanitize(safe, sizeof(safe), line);
    if (c->timed_out) {
        gp_error_set(&e, GP_E_TIMEOUT,
                     "azure-cli: az account get-access-token took longer "
                     "than %llu ms",
                     (unsigned long long)a->az_timeout_ms);
    } else if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 127) {
        gp_error_set(&e, GP_E_AUTH, "azure-cli: %s is not installed", a->az_path);
    } else if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
        int code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
        if (safe[0])
            gp_error_set(&e, GP_E_AUTH,
                         "azure-cli: az account get-access-token failed (exit "
                         "%d): %s",
                         code, safe);
        else
            gp_error_set(&e, GP_E_AUTH,
                         "azure-cli: az account get-access-token failed (exit %d); run 'az "
                         "login'",
                         code);
    } else if (c->out_overflow) {
        gp_error_set(&e, GP_E_TOO_LARGE, "azure-cli: output larger than %u bytes", AZ_OUT_MAX);
    } else {
        struct token t = {0};
        if (token_parse_az_cli(c->out, c->out_len, &t, &e) == GP_OK) {
            az_abort(a);
            attempt_succeeded(a, &t);
            return;
        }
    }
    az_abort(a);
    attempt_failed(a, &e, true);
}

static void az_reap(void *ctx)
{
    struct auth *a = ctx;
    struct az_child *c = &a->az;
    c->reap_timer = 0;
    if (c->out_fd >= 0 || c->err_fd >= 0 || c->pid <= 0)
        return;
    int ws = 0;
    pid_t r = waitpid(c->pid, &ws, WNOHANG);
    if (r == c->pid) {
        az_finish(a, ws);
        return;
    }
    if (r < 0 && errno != EINTR) {
        c->pid = -1;
        az_finish(a, 255 << 8);
        return;
    }
    c->reap_timer = loop_timer_add(a->loop, AZ_REAP_MS, az_reap, a);
}

static void az_timeout(void *ctx)
{
    struct auth *a = ctx;
    struct az_child *c = &a->az;
    c->timeout_timer = 0;
    c->timed_out = true;
    if (c->pid > 0)
        kill(c->pid, SIGKILL);
    az_close_fd(a, &c->out_fd);
    az_close_fd(a, &c->err_fd);
    az_reap(a);
}

static void az_readable(void *ctx, int fd, short revents)
{
    (void)revents;
    struct auth *a = ctx;
    struct az_child *c = &a->az;
    for (;;) {
        char tmp[4096];
        ssize_t r = read(fd, tmp, sizeof(tmp));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            explicit_bzero(tmp, sizeof(tmp));
            return;
        }
        if (r <= 0) {
            explicit_bzero(tmp, sizeof(tmp));
            break;
        }
        size_t n = (size_t)r;
        if (fd == c->out_fd) {
            if (c->out_len + n > AZ_OUT_MAX - 1) {
                c->out_overflow = true;
            } else {
                memcpy(c->out + c->out_len, tmp, n);
                c->out_len += n;
                c->out[c->out_len] = '\0';
            }
        } else {
            size_t room = sizeof(c->err_text) - 1 - c->err_len;
            size_t k = n < room ? n : room;
            memcpy(c->err_text + c->err_len, tmp, k);
            c->err_len += k;
            c->err_text[c->err_len] = '\0';
        }
        explicit_bzero(tmp, n);
    }
    if (fd == c->out_fd)
        az_close_fd(a, &c->out_fd);
    else
        az_close_fd(a, &c->err_fd);
    if (c->out_fd < 0 && c->err_fd < 0)
        az_reap(a);
}

static int set_nonblock_cloexec(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return -1;
    int fdf = fcntl(fd, F_GETFD);
    if (fdf < 0 || fcntl(fd, F_SETFD, fdf | FD_CLOEXEC) < 0)
        return -1;
    return 0;
}

static void attempt_az(struct auth *a)
{
    struct gp_error e;
    gp_error_clear(&e);
    struct az_child *c = &a->az;
    if (!a->az_path || !a->az_path[0]) {
        gp_error_set(&e, GP_E_AUTH, "azure-cli: disabled by configuration");
        attempt_failed(a, &e, a->method == AUTH_AZURE_CLI);
        return;
    }
    int po[2] = {-1, -1}, pe[2] = {-1, -1};
    if (pipe(po) != 0 || pipe(pe) != 0 || set_nonblock_cloexec(po[0]) != 0 ||
        set_nonblock_cloexec(pe[0]) != 0) {
        gp_error_set(&e, GP_E_IO, "azure-cli: cannot create a pipe: %s", strerror(errno));
        for (int i = 0; i < 2; i++) {
            if (po[i] >= 0)
                close(po[i]);
            if (pe[i] >= 0)
                close(pe[i]);
        }
        attempt_failed(a, &e, true);
        return;
    }
    char *argv[10];
    size_t n = 0;
    argv[n++] = a->az_path;
    argv[n++] = (char *)"account";
    argv[n++] = (char *)"get-access-token";
    argv[n++] = (char *)"--resource";
    argv[n++] = a->resource;
    argv[n++] = (char *)"-o";
    argv[n++] = (char *)"json";
    if (a->tenant && a->method == AUTH_AZURE_CLI) {
        argv[n++] = (char *)"--tenant";
        argv[n++] = a->tenant;
    }
    argv[n] = NULL;
    posix_spawn_file_actions_t fa;
    int rc = posix_spawn_file_actions_init(&fa);
    if (rc == 0)
        rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (rc == 0)
        rc = posix_spawn_file_actions_adddup2(&fa, po[1], 1);
    if (rc == 0)
        rc = posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
    if (rc == 0)
        rc = posix_spawn_file_actions_addclose(&fa, po[0]);
    if (rc == 0)
        rc = posix_spawn_file_actions_addclose(&fa, pe[0]);
    /* The child gets our environment without our own secrets in it. */
    size_t n_env = 0;
    while (environ[n_env])
        n_env++;
    char **envp = calloc(n_env + 1, sizeof(*envp));
    if (!envp && rc == 0)
        rc = ENOMEM;
    size_t k = 0;
    for (size_t i = 0; envp && i < n_env; i++) {
        if (strncmp(environ[i], "GPUP_TOKEN=", 11) != 0 &&
            strncmp(environ[i], "GPUP_CLIENT_SECRET=", 19) != 0 &&
            strncmp(environ[i], "AZURE_CLIENT_SECRET=", 20) != 0)
            envp[k++] = environ[i];
    }
    pid_t pid = -1;
    if (rc == 0)
        rc = posix_spawnp(&pid, a->az_path, &fa, NULL, argv, envp);
    free(envp);
    posix_spawn_file_actions_destroy(&fa);
    close(po[1]);
    close(pe[1]);
    if (rc != 0) {
        close(po[0]);
        close(pe[0]);
        if (rc == ENOENT) {
            gp_error_set(&e, GP_E_AUTH, "azure-cli: %s is not installed", a->az_path);
            attempt_failed(a, &e, a->method == AUTH_AZURE_CLI);
        } else {
            gp_error_set(&e, GP_E_IO, "azure-cli: cannot run %s: %s", a->az_path, strerror(rc));
            attempt_failed(a, &e, true);
        }
        return;
    }
    c->pid = pid;
    c->out_fd = po[0];
    c->err_fd = pe[0];
    c->out = malloc(AZ_OUT_MAX);
    if (!c->out || loop_watch_fd(a->loop, c->out_fd, POLLIN, az_readable, a) != GP_OK ||
        loop_watch_fd(a->loop, c->err_fd, POLLIN, az_readable, a) != GP_OK) {
        az_abort(a);
        gp_error_set(&e, GP_E_NOMEM, "azure-cli: out of memory");
        attempt_failed(a, &e, true);
        return;
    }
    c->out[0] = '\0';
    c->timeout_timer = loop_timer_add(a->loop, a->az_timeout_ms, az_timeout, a);
}

/* --- HTTP attempts --------------------------------------------------------------------- */

static void auth_answer(void *ctx, const struct auth_http_response *resp);

static enum gp_status auth_send(struct auth *a, const char *method, const char *url,
                                const struct auth_header *hdrs, size_t n_hdrs, const char *body,
                                size_t body_len, struct gp_error *e)
{
    struct auth_http_request rq = {
        .method = method,
        .url = url,
        .headers = hdrs,
        .n_headers = n_hdrs,
        .body = body,
        .body_len = body_len,
    };
    a->req = NULL;
    enum gp_status st = a->ops.send(a->tctx, &rq, auth_answer, a, &a->req, e);
    if (st != GP_OK)
        a->req = NULL;
    return st;
}

static enum gp_status post_form(struct auth *a, const char *url, struct gp_buf *form,
                                struct gp_error *e)
{
    static const struct auth_header hdrs[] = {
        {"Content-Type", "application/x-www-form-urlencoded"},
        {"Accept", "application/json"},
    };
    return auth_send(a, "POST", url, hdrs, 2, gp_buf_str(form), form->len, e);
}

/* The end of every form-posting attempt: post the form when building it went well, wipe it
 * (it may hold a secret) and report a failure to send as a failed attempt. */
static void post_form_or_fail(struct auth *a, enum gp_status st, const char *url,
                              struct gp_buf *form, struct gp_error *e)
{
    if (st == GP_OK)
        st = post_form(a, url, form, e);
    buf_wipe(form);
    if (st != GP_OK)
        attempt_failed(a, e, true);
}

static enum gp_status login_url(const struct auth *a, char *url, size_t n, const char *tenant,
                                const char *leaf, struct gp_error *e)
{
    int k = snprintf(url, n, "%s/%s/oauth2/v2.0/%s", a->authority, tenant, leaf);
    if (k < 0 || (size_t)k >= n)
        return gp_error_set(e, GP_E_CONFIG, "auth: login URL too long");
    return GP_OK;
}

static const char *device_client_id(const struct auth *a)
{
    if (a->tok_client_id[0])
        return a->tok_client_id;
    return a->client_id ? a->client_id : AUTH_AZ_CLI_CLIENT_ID;
}

static const char *device_tenant(const struct auth *a)
{
    return a->tenant ? a->tenant : "organizations";
}

/* Replaces the PEM held in a->secret (certificate and key) with a client assertion signed by
 * that key for the token endpoint url, at the auth clock's now. The key material is wiped
 * whatever happens. */
static enum gp_status sp_sign_certificate(struct auth *a, const char *url, struct gp_error *e)
{
    struct gp_secret jwt;
    gp_secret_init(&jwt);
    struct assertion_params p = {.client_id = a->client_id, .audience = url, .now = auth_now(a)};
    enum gp_status st = assertion_from_pem(&a->secret, &p, &jwt, e);
    gp_secret_clear(&a->secret);
    if (st != GP_OK) {
        gp_error_prefix(e, "service principal: certificate %s", a->certificate_file);
        return st;
    }
    a->secret = jwt; /* moved: wiped with the other secrets, scrubbed from messages */
    return GP_OK;
}

static void attempt_sp(struct auth *a)
{
    struct gp_error e;
    gp_error_clear(&e);
    bool explicit_ = a->method == AUTH_SERVICE_PRINCIPAL;
    const char *env_secret = env_nonempty("GPUP_CLIENT_SECRET");
    if (!env_secret)
        env_secret = env_nonempty("AZURE_CLIENT_SECRET");
    /* One credential, in this order: a secret file, a certificate, a ready assertion file, the
     * environment's secret. */
    bool cert = a->certificate_file && !a->client_secret_file;
    bool assertion = !cert && a->client_assertion_file && !a->client_secret_file;
    if (!a->client_id || !a->tenant ||
        (!a->client_secret_file && !cert && !assertion && !env_secret)) {
        gp_error_set(&e, GP_E_CONFIG, "service principal: needs %s (profile or AZURE_%s)",
                     !a->client_id ? "a client id"
                     : !a->tenant  ? "a tenant"
                                   : "a client secret or certificate",
                     !a->client_id ? "CLIENT_ID"
                     : !a->tenant  ? "TENANT_ID"
                                   : "CLIENT_SECRET");
        attempt_failed(a, &e, explicit_);
        return;
    }
    /* the certificate's assertion names this URL as its audience */
    char url[AUTH_URL_MAX];
    enum gp_status st = login_url(a, url, sizeof(url), a->tenant, "token", &e);
    const char *file = a->client_secret_file ? a->client_secret_file
                       : cert                ? a->certificate_file
                                             : a->client_assertion_file;
    if (st != GP_OK) {
        /* reported below */
    } else if (a->client_secret_file || cert || assertion) {
        /* read at every fetch: federated assertions are rotated by whoever writes them, and a
         * certificate is renewed in place */
        st = read_secret_file(file, cert ? AUTH_FILE_MAX : AUTH_KEY_MAX * 4, true,
                              cert ? "service principal certificate" : "service principal",
                              &a->secret, &e);
        if (!cert)
            secret_trim(&a->secret);
        if (st == GP_OK && !gp_secret_is_set(&a->secret))
            st = gp_error_set(&e, GP_E_AUTH, "service principal: %s is empty", file);
        if (st == GP_OK && cert)
            st = sp_sign_certificate(a, url, &e);
    } else {
        st = gp_secret_set(&a->secret, env_secret, strlen(env_secret));
        if (st != GP_OK)
            gp_error_set(&e, st, "service principal: out of memory");
    }
    bool jwt = cert || assertion;
    struct gp_buf form;
    form_init(&form);
    static const char jwt_bearer[] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    if (st == GP_OK &&
        (token_form_add(&form, "grant_type", "client_credentials", 18) != GP_OK ||
         token_form_add(&form, "client_id", a->client_id, strlen(a->client_id)) != GP_OK ||
         (jwt ? token_form_add(&form, "client_assertion_type", jwt_bearer,
                               sizeof(jwt_bearer) - 1) != GP_OK ||
                    token_form_add(&form, "client_assertion", token_secret_str(&a->secret),
                                   a->secret.len) != GP_OK
              : token_form_add(&form, "client_secret", token_secret_str(&a->secret),
                               a->secret.len) != GP_OK) ||
         token_form_add(&form, "scope", a->scope, strlen(a->scope)) != GP_OK))
        st = gp_error_set(&e, GP_E_NOMEM, "service principal: out of memory");
    post_form_or_fail(a, st, url, &form, &e);
}

static void attempt_refresh(struct auth *a)
{
    struct gp_error e;
    gp_error_clear(&e);
    char url[AUTH_URL_MAX];
    enum gp_status st = login_url(a, url, sizeof(url), device_tenant(a), "token", &e);
    struct gp_buf form;
    form_init(&form);
    const char *cid = device_client_id(a);
    char scope[1024];
    if (st == GP_OK &&
        (size_t)snprintf(scope, sizeof(scope), "%s offline_access", a->scope) >= sizeof(scope))
        st = gp_error_set(&e, GP_E_CONFIG, "refresh token: scope too long");
    if (st == GP_OK && (token_form_add(&form, "grant_type", "refresh_token", 13) != GP_OK ||
                        token_form_add(&form, "client_id", cid, strlen(cid)) != GP_OK ||
                        token_form_add(&form, "refresh_token", token_secret_str(&a->tok.refresh),
                                       a->tok.refresh.len) != GP_OK ||
                        token_form_add(&form, "scope", scope, strlen(scope)) != GP_OK))
        st = gp_error_set(&e, GP_E_NOMEM, "refresh token: out of memory");
    post_form_or_fail(a, st, url, &form, &e);
}

static void dc_poll(void *ctx);

static void attempt_device(struct auth *a)
{
    struct gp_error e;
    gp_error_clear(&e);
    if (!a->notice) {
        gp_error_set(&e, GP_E_AUTH, "device code login: needs a terminal to show the code");
        attempt_failed(a, &e, true);
        return;
    }
    char url[AUTH_URL_MAX];
    enum gp_status st = login_url(a, url, sizeof(url), device_tenant(a), "devicecode", &e);
    char scope[1024];
    if (st == GP_OK &&
        (size_t)snprintf(scope, sizeof(scope), "%s offline_access", a->scope) >= sizeof(scope))
        st = gp_error_set(&e, GP_E_CONFIG, "device code login: scope too long");
    struct gp_buf form;
    form_init(&form);
    const char *cid = device_client_id(a);
    if (st == GP_OK && (token_form_add(&form, "client_id", cid, strlen(cid)) != GP_OK ||
                        token_form_add(&form, "scope", scope, strlen(scope)) != GP_OK))
        st = gp_error_set(&e, GP_E_NOMEM, "device code login: out of memory");
    post_form_or_fail(a, st, url, &form, &e);
}

static void dc_poll(void *ctx)
{
    struct auth *a = ctx;
    a->timer = 0;
    struct gp_error e;
    gp_error_clear(&e);
    if (loop_now_ms(a->loop) >= a->dc_deadline_ms) {
        gp_error_set(&e, GP_E_AUTH,
                     "device code login: the code expired before sign-in "
                     "finished; run the login again");
        attempt_failed(a, &e, true);
        return;
    }
    char url[AUTH_URL_MAX];
    enum gp_status st = login_url(a, url, sizeof(url), device_tenant(a), "token", &e);
    struct gp_buf form;
    form_init(&form);
    const char *cid = device_client_id(a);
    if (st == GP_OK &&
        (token_form_add(&form, "grant_type", "urn:ietf:params:oauth:grant-type:device_code", 44) !=
             GP_OK ||
         token_form_add(&form, "client_id", cid, strlen(cid)) != GP_OK ||
         token_form_add(&form, "device_code", token_secret_str(&a->dc.device_code),
                        a->dc.device_code.len) != GP_OK))
        st = gp_error_set(&e, GP_E_NOMEM, "device code login: out of memory");
    post_form_or_fail(a, st, url, &form, &e);
}

static enum gp_status mi_url(const struct auth *a, char *url, size_t n, struct gp_error *e)
{
    struct gp_buf q;
    gp_buf_init(&q, 1024);
    char res[512];
    if (!text_copy(res, sizeof(res), a->resource)) {
        gp_buf_cleanup(&q);
        return gp_error_set(e, GP_E_CONFIG, "managed identity: resource too long");
    }
    strip_slash(res);
    enum gp_status st = token_form_add(&q, "api-version", "2019-11-01", 10);
    if (st == GP_OK)
        st = token_form_add(&q, "resource", res, strlen(res));
    int k = snprintf(url, n, "%s%c%s", a->identity_endpoint,
                     strchr(a->identity_endpoint, '?') ? '&' : '?', gp_buf_str(&q));
    gp_buf_cleanup(&q);
    if (st != GP_OK || k < 0 || (size_t)k >= n)
        return gp_error_set(e, GP_E_CONFIG, "managed identity: endpoint URL too long");
    return GP_OK;
}

static void attempt_mi(struct auth *a)
{
    struct gp_error e;
    gp_error_clear(&e);
    if (!a->identity_endpoint) {
        gp_error_set(&e, GP_E_AUTH, "managed identity: IDENTITY_ENDPOINT is not set");
        attempt_failed(a, &e, false);
        return;
    }
    char url[AUTH_URL_MAX];
    static const struct auth_header hdrs[] = {{"Metadata", "true"}};
    enum gp_status st = mi_url(a, url, sizeof(url), &e);
    if (st == GP_OK)
        st = auth_send(a, "GET", url, hdrs, 1, NULL, 0, &e);
    if (st != GP_OK)
        attempt_failed(a, &e, true);
}

/* The realm must name a *.key file directly inside the configured key directory: a hostile
 * endpoint must not make us send the contents of any other file. */
static enum gp_status mi_read_key(struct auth *a, const char *realm, struct gp_error *e)
{
    static const char what[] = "managed identity";
    char *rp = realpath(realm, NULL);
    char *rd = realpath(a->identity_key_dir, NULL);
    enum gp_status st = GP_OK;
    if (!rp || !rd) {
        st = gp_error_set(e, GP_E_AUTH, "%s: cannot resolve the key file %s: %s", what, realm,
                          strerror(errno));
    } else {
        size_t dl = strlen(rd), pl = strlen(rp);
        bool inside = pl > dl + 1 && strncmp(rp, rd, dl) == 0 && rp[dl] == '/' &&
                      strchr(rp + dl + 1, '/') == NULL;
        bool key = pl > 4 && strcmp(rp + pl - 4, ".key") == 0;
        if (!inside || !key)
            st = gp_error_set(e, GP_E_AUTH, "%s: the key file %s is not a .key file in %s", what,
                              realm, a->identity_key_dir);
    }
    if (st == GP_OK)
        st = read_secret_file(rp, AUTH_KEY_MAX, false, what, &a->secret, e);
    if (st == GP_OK) {
        secret_trim(&a->secret);
        if (!gp_secret_is_set(&a->secret))
            st = gp_error_set(e, GP_E_AUTH, "%s: the key file %s is empty", what, realm);
    }
    free(rp);
    free(rd);
    return st;
}

static void mi_challenge(struct auth *a, const struct auth_http_response *r)
{
    struct gp_error e;
    gp_error_clear(&e);
    char realm[1024];
    enum gp_status st = token_parse_basic_realm(r->www_authenticate, realm, sizeof(realm), &e);
    if (st == GP_OK)
        st = mi_read_key(a, realm, &e);
    char url[AUTH_URL_MAX];
    if (st == GP_OK)
        st = mi_url(a, url, sizeof(url), &e);
    char *basic = NULL;
    size_t blen = 0;
    if (st == GP_OK) {
        blen = a->secret.len + sizeof("Basic ");
        basic = malloc(blen);
        if (!basic) {
            st = gp_error_set(&e, GP_E_NOMEM, "managed identity: out of memory");
        } else {
            memcpy(basic, "Basic ", 6);
            memcpy(basic + 6, token_secret_str(&a->secret), a->secret.len + 1);
        }
    }
    if (st == GP_OK) {
        struct auth_header hdrs[] = {{"Metadata", "true"}, {"Authorization", basic}};
        a->att = ATT_MI;
        st = auth_send(a, "GET", url, hdrs, 2, NULL, 0, &e);
    }
    token_wipe_free(basic, blen);
    if (st != GP_OK)
        attempt_failed(a, &e, true);
}

/* Device-code answers: start polling, keep polling, or stop. */
static void dc_answer(struct auth *a, const struct auth_http_response *r)
{
    struct gp_error e;
    gp_error_clear(&e);
    if (!gp_secret_is_set(&a->dc.device_code)) {
        /* the devicecode endpoint's answer */
        if (r->http_status != 200) {
            token_parse_oauth_error(r->body, r->body_len, r->http_status, "device code login", &e);
            attempt_failed(a, &e, true);
            return;
        }
        if (token_parse_device_code(r->body, r->body_len, &a->dc, &e) != GP_OK) {
            gp_error_prefix(&e, "device code login");
            attempt_failed(a, &e, true);
            return;
        }
        notify(a, a->dc.message);
        a->dc_interval_s = a->dc.interval;
        a->dc_deadline_ms = loop_now_ms(a->loop) + (uint64_t)a->dc.expires_in * 1000u;
        a->timer = loop_timer_add(a->loop, (uint64_t)a->dc_interval_s * 1000u, dc_poll, a);
        return;
    }
    if (r->http_status == 200) {
        struct token t = {0};
        if (token_parse_v2(r->body, r->body_len, auth_now(a), &t, &e) != GP_OK) {
            gp_error_prefix(&e, "device code login");
            attempt_failed(a, &e, true);
            return;
        }
        t.source = TOKEN_SOURCE_DEVICE_CODE;
        attempt_succeeded(a, &t);
        return;
    }
    enum token_oauth_error k =
        token_parse_oauth_error(r->body, r->body_len, r->http_status, "device code login", &e);
    const char *why = NULL;
    switch (k) {
    case TOKEN_OAUTH_AUTHORIZATION_PENDING:
        a->timer = loop_timer_add(a->loop, (uint64_t)a->dc_interval_s * 1000u, dc_poll, a);
        return;
    case TOKEN_OAUTH_SLOW_DOWN:
        a->dc_interval_s += SLOW_DOWN_S;
        a->timer = loop_timer_add(a->loop, (uint64_t)a->dc_interval_s * 1000u, dc_poll, a);
        return;
    case TOKEN_OAUTH_AUTHORIZATION_DECLINED:
        why = "the sign-in was declined";
        break;
    case TOKEN_OAUTH_EXPIRED_TOKEN:
        why = "the code expired before sign-in finished; run the login again";
        break;
    case TOKEN_OAUTH_BAD_VERIFICATION_CODE:
        why = "the login service did not recognise the device code";
        break;
    default:
        break;
    }
    if (why) {
        char tr[64];
        text_copy(tr, sizeof(tr), e.request_id);
        if (tr[0])
            gp_error_set(&e, GP_E_AUTH, "device code login: %s (%s, trace id %s)", why, e.code, tr);
        else
            gp_error_set(&e, GP_E_AUTH, "device code login: %s (%s)", why, e.code);
    }
    attempt_failed(a, &e, true);
}

static void auth_answer(void *ctx, const struct auth_http_response *r)
{
    struct auth *a = ctx;
    a->req = NULL;
    struct gp_error e;
    gp_error_clear(&e);
    const char *what = attempt_names[a->att];
    if (r->status != GP_OK) {
        if (r->error)
            e = *r->error;
        else
            gp_error_set(&e, r->status, "%s", gp_status_name(r->status));
        e.status = r->status;
        gp_error_prefix(&e, "%s", what);
        attempt_failed(a, &e, true);
        return;
    }
    switch (a->att) {
    case ATT_DEVICE:
        dc_answer(a, r);
        return;
    case ATT_MI:
        if (r->http_status == 401 && !gp_secret_is_set(&a->secret)) {
            mi_challenge(a, r);
            return;
        }
        if (r->http_status == 200) {
            struct token t = {0};
            if (token_parse_managed_identity(r->body, r->body_len, auth_now(a), &t, &e) == GP_OK) {
                attempt_succeeded(a, &t);
                return;
            }
        } else {
            token_parse_oauth_error(r->body, r->body_len, r->http_status, what, &e);
        }
        attempt_failed(a, &e, true);
        return;
    case ATT_SP:
    case ATT_REFRESH:
        if (r->http_status == 200) {
            struct token t = {0};
            if (token_parse_v2(r->body, r->body_len, auth_now(a), &t, &e) == GP_OK) {
                if (a->att == ATT_REFRESH) {
                    t.source = TOKEN_SOURCE_DEVICE_CODE;
                    if (!gp_secret_is_set(&t.refresh)) {
                        t.refresh = a->tok.refresh; /* not rotated: keep ours */
                        a->tok.refresh = (struct gp_secret){0};
                    }
                } else {
                    t.source = TOKEN_SOURCE_SERVICE_PRINCIPAL;
                }
                attempt_succeeded(a, &t);
                return;
            }
            gp_error_prefix(&e, "%s", what);
        } else {
            token_parse_oauth_error(r->body, r->body_len, r->http_status, what, &e);
        }
        attempt_failed(a, &e, true);
        return;
    case ATT_STATIC:
    case ATT_AZ:
    case ATT_COUNT:
    default:
        gp_error_set(&e, GP_E_FAILED, "auth: unexpected answer");
        attempt_failed(a, &e, true);
        return;
    }
}

/* --- ready token ----------------------------------------------------------------------- */

/* GPUP_TOKEN (the environment overrides the profile), else the token file. */
static void attempt_static(struct auth *a)
{
    struct gp_error e;
    gp_error_clear(&e);
    struct token t = {0};
    enum gp_status st;
    const char *env = env_nonempty("GPUP_TOKEN");
    if (env) {
        st = token_from_text(env, strlen(env), TOKEN_SOURCE_STATIC, &t, &e);
        if (st != GP_OK)
            gp_error_prefix(&e, "GPUP_TOKEN");
    } else if (a->token_file) {
        struct gp_secret s = {0};
        st = read_secret_file(a->token_file, AUTH_FILE_MAX, true, "token file", &s, &e);
        if (st == GP_OK) {
            st = token_from_text(token_secret_str(&s), s.len, TOKEN_SOURCE_STATIC, &t, &e);
            if (st != GP_OK)
                gp_error_prefix(&e, "token file %s", a->token_file);
        }
        gp_secret_clear(&s);
    } else {
        gp_error_set(&e, GP_E_AUTH,
                     "token: GPUP_TOKEN is not set and no token file is "
                     "configured");
        attempt_failed(a, &e, a->method == AUTH_TOKEN);
        return;
    }
    if (st != GP_OK) {
        attempt_failed(a, &e, true);
        return;
    }
    attempt_succeeded(a, &t);
}

/* --- cache file ------------------------------------------------------------------------ */

static enum gp_status cache_load(struct auth *a, struct gp_error *e)
{
    a->cache_loaded = true;
    if (!a->cache_file)
        return GP_OK;
    struct stat sb;
    if (lstat(a->cache_file, &sb) != 0)
        return GP_OK; /* no cache yet */
    struct gp_secret s = {0};
    GP_TRY(read_secret_file(a->cache_file, AUTH_FILE_MAX, true, "token cache", &s, e));
    struct token t = {0};
    char cid[128];
    enum gp_status st = token_cache_from_json(token_secret_str(&s), s.len, &t, cid, sizeof(cid), e);
    gp_secret_clear(&s);
    if (st != GP_OK) {
        char line[sizeof(e->message) + 64];
        snprintf(line, sizeof(line), "ignoring the token cache %s: %s", a->cache_file, e->message);
        notify(a, line);
        gp_error_clear(e);
        return GP_OK;
    }
    bool usable =
        a->method == AUTH_AUTO ||
        (a->method == AUTH_DEVICE_CODE && t.source == TOKEN_SOURCE_DEVICE_CODE) ||
        (a->method == AUTH_SERVICE_PRINCIPAL && t.source == TOKEN_SOURCE_SERVICE_PRINCIPAL) ||
        (a->method == AUTH_AZURE_CLI && t.source == TOKEN_SOURCE_AZ_CLI) ||
        (a->method == AUTH_MANAGED_IDENTITY && t.source == TOKEN_SOURCE_MANAGED_IDENTITY);
    if (usable && !gp_secret_is_set(&a->tok.access)) {
        token_move(&a->tok, &t);
        text_copy(a->tok_client_id, sizeof(a->tok_client_id), cid);
    }
    token_clear(&t);
    return GP_OK;
}

static void cache_save(struct auth *a)
{
    if (!a->cache_file || a->tok.source == TOKEN_SOURCE_STATIC)
        return;
    char line[1024];
    struct stat sb;
    if (lstat(a->cache_file, &sb) == 0 && (!S_ISREG(sb.st_mode) || (sb.st_mode & 077))) {
        snprintf(line, sizeof(line),
                 "not writing the token cache: %s is not a private file (mode %04o)", a->cache_file,
                 (unsigned)(sb.st_mode & 07777));
        notify(a, line);
        return;
    }
    char tmp[PATH_MAX];
    int k = snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", a->cache_file, (long)getpid());
    if (k < 0 || (size_t)k >= sizeof(tmp))
        return;
    char *json = NULL;
    size_t len = 0;
    struct gp_error e;
    gp_error_clear(&e);
    if (token_cache_to_json(&a->tok, a->tok_client_id, &json, &len, &e) != GP_OK)
        return;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST && unlink(tmp) == 0)
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    bool ok = fd >= 0;
    size_t off = 0;
    while (ok && off < len) {
        ssize_t w = write(fd, json + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            ok = false;
        else
            off += (size_t)w;
    }
    int saved = errno;
    if (fd >= 0) {
        if (ok && fsync(fd) != 0)
            ok = false;
        if (close(fd) != 0)
            ok = false;
    }
    if (ok && rename(tmp, a->cache_file) != 0)
        ok = false;
    if (!ok) {
        if (fd >= 0)
            unlink(tmp);
        snprintf(line, sizeof(line), "not writing the token cache %s: %s", a->cache_file,
                 strerror(saved ? saved : errno));
        notify(a, line);
    }
    token_wipe_free(json, len);
}

/* --- the fetch ------------------------------------------------------------------------- */

static void deliver(struct auth *a, enum gp_status st, const struct gp_error *err)
{
    struct waiter *w = a->waiters;
    size_t n = a->n_waiters;
    a->waiters = NULL;
    a->n_waiters = 0;
    for (size_t i = 0; i < n; i++) {
        if (st == GP_OK)
            w[i].fn(w[i].ctx, GP_OK, &a->tok.access, NULL);
        else
            w[i].fn(w[i].ctx, st, NULL, err);
    }
    free(w);
}

static void fetch_end(struct auth *a)
{
    a->fetching = false;
    a->interactive = false;
    gp_secret_clear(&a->secret);
    token_device_code_clear(&a->dc);
    if (a->timer)
        loop_timer_cancel(a->loop, a->timer);
    a->timer = 0;
}

static void run_attempt(struct auth *a)
{
    if (a->i_plan >= a->n_plan) {
        /* every source failed */
        struct gp_error e;
        if (a->tried == 1) {
            e = a->first_err;
        } else if (a->tried == 0) {
            gp_error_clear(&e);
            gp_error_set(&e, GP_E_AUTH,
                         "no credentials: set GPUP_TOKEN, run 'az login', configure a service "
                         "principal, or run 'gpup login --device-code'");
        } else {
            gp_error_clear(&e);
            gp_error_set(&e, GP_E_AUTH, "no credential worked: %s", a->summary);
        }
        scrub(a, &e);
        fetch_end(a);
        if (gp_secret_is_set(&a->tok.access) && !token_expired(&a->tok, auth_now(a)) && !a->force) {
            /* refresh ahead of expiry failed: the token held is still good */
            char line[sizeof(e.message) + 64];
            snprintf(line, sizeof(line), "token refresh failed, using the current token: %s",
                     e.message);
            notify(a, line);
            deliver(a, GP_OK, NULL);
            return;
        }
        a->force = false;
        deliver(a, e.status != GP_OK ? e.status : GP_E_AUTH, &e);
        return;
    }
    a->att = a->plan[a->i_plan++];
    gp_secret_clear(&a->secret);
    switch (a->att) {
    case ATT_REFRESH:
        attempt_refresh(a);
        break;
    case ATT_STATIC:
        attempt_static(a);
        break;
    case ATT_AZ:
        attempt_az(a);
        break;
    case ATT_SP:
        attempt_sp(a);
        break;
    case ATT_DEVICE:
        attempt_device(a);
        break;
    case ATT_MI:
        attempt_mi(a);
        break;
    case ATT_COUNT:
    default:
        run_attempt(a);
        break;
    }
}

static void attempt_failed(struct auth *a, struct gp_error *e, bool tried)
{
    scrub(a, e);
    gp_secret_clear(&a->secret);
    if (tried) {
        if (a->tried == 0)
            a->first_err = *e;
        a->tried++;
        size_t used = strlen(a->summary);
        if (used && used + 2 < sizeof(a->summary)) {
            memcpy(a->summary + used, "; ", 3);
            used += 2;
        }
        if (used + 1 < sizeof(a->summary))
            text_copy(a->summary + used, sizeof(a->summary) - used, e->message);
    }
    if (a->att == ATT_REFRESH && e->status == GP_E_AUTH) {
        /* the login service refused the refresh token: forget it */
        gp_secret_clear(&a->tok.refresh);
    }
    run_attempt(a);
}

static void attempt_succeeded(struct auth *a, struct token *t)
{
    if (gp_secret_is_set(&a->rejected) && token_secret_equal(&t->access, &a->rejected)) {
        struct gp_error e;
        gp_error_clear(&e);
        gp_error_set(&e, GP_E_AUTH,
                     "%s: the service refused this token (HTTP 401) and no other is available",
                     attempt_names[a->att]);
        e.http_status = 401;
        token_clear(t);
        attempt_failed(a, &e, true);
        return;
    }
    gp_secret_clear(&a->rejected);
    if (a->att == ATT_DEVICE || a->att == ATT_REFRESH) {
        if (a->att == ATT_DEVICE || !a->tok_client_id[0])
            text_copy(a->tok_client_id, sizeof(a->tok_client_id), device_client_id(a));
    } else {
        a->tok_client_id[0] = '\0';
    }
    token_move(&a->tok, t);
    a->fetched_at = auth_now(a);
    fetch_end(a);
    cache_save(a);
    a->force = false;
    deliver(a, GP_OK, NULL);
}

static void plan_add(struct auth *a, enum attempt at)
{
    if (a->n_plan < ATT_COUNT)
        a->plan[a->n_plan++] = at;
}

static void fetch_start(struct auth *a)
{
    a->fetching = true;
    a->interactive = a->force;
    a->n_plan = a->i_plan = 0;
    a->tried = 0;
    a->summary[0] = '\0';
    gp_error_clear(&a->first_err);
    token_device_code_clear(&a->dc);
    bool refresh = gp_secret_is_set(&a->tok.refresh) &&
                   (a->method == AUTH_AUTO || a->method == AUTH_DEVICE_CODE);
    switch (a->method) {
    case AUTH_AUTO:
        if (refresh && !a->force)
            plan_add(a, ATT_REFRESH);
        plan_add(a, ATT_STATIC);
        plan_add(a, ATT_AZ);
        plan_add(a, ATT_SP);
        if (a->interactive)
            plan_add(a, ATT_DEVICE);
        plan_add(a, ATT_MI);
        break;
    case AUTH_TOKEN:
        plan_add(a, ATT_STATIC);
        break;
    case AUTH_AZURE_CLI:
        plan_add(a, ATT_AZ);
        break;
    case AUTH_SERVICE_PRINCIPAL:
        plan_add(a, ATT_SP);
        break;
    case AUTH_DEVICE_CODE:
        if (refresh && !a->force)
            plan_add(a, ATT_REFRESH);
        if (a->interactive || !refresh)
            plan_add(a, ATT_DEVICE);
        break;
    case AUTH_MANAGED_IDENTITY:
        plan_add(a, ATT_MI);
        break;
    case AUTH_METHOD_COUNT:
    default:
        break;
    }
    run_attempt(a);
}

/* A fetch is due: no token, or it is inside the refresh margin, unless it was fetched moments
 * ago and has not expired (a source that hands out short-lived tokens must not be asked again
 * for every request). */
static bool auth_due(const struct auth *a)
{
    int64_t now = auth_now(a);
    if (!token_needs_refresh(&a->tok, now, TOKEN_REFRESH_MARGIN_S))
        return false;
    if (!gp_secret_is_set(&a->tok.access) || token_expired(&a->tok, now))
        return true;
    return now - a->fetched_at >= AUTH_MIN_REFETCH_S;
}

static void kick(void *ctx)
{
    struct auth *a = ctx;
    a->kick_timer = 0;
    if (a->fetching || a->n_waiters == 0)
        return;
    if (!a->cache_loaded) {
        struct gp_error e;
        gp_error_clear(&e);
        if (cache_load(a, &e) != GP_OK) {
            scrub(a, &e);
            deliver(a, e.status, &e);
            a->cache_loaded = false;
            return;
        }
    }
    if (!a->force && !auth_due(a)) {
        deliver(a, GP_OK, NULL);
        return;
    }
    fetch_start(a);
}

static enum gp_status add_waiter(struct auth *a, auth_token_fn fn, void *ctx)
{
    if (!fn)
        return GP_E_INVALID;
    if (a->n_waiters >= AUTH_MAX_WAITERS)
        return GP_E_BUSY;
    struct waiter *w = realloc(a->waiters, (a->n_waiters + 1) * sizeof(*w));
    if (!w)
        return GP_E_NOMEM;
    a->waiters = w;
    w[a->n_waiters++] = (struct waiter){fn, ctx};
    if (!a->fetching && !a->kick_timer) {
        a->kick_timer = loop_timer_add(a->loop, 0, kick, a);
        if (!a->kick_timer) {
            a->n_waiters--;
            return GP_E_NOMEM;
        }
    }
    return GP_OK;
}

enum gp_status auth_get_token(struct auth *a, auth_token_fn fn, void *ctx)
{
    return add_waiter(a, fn, ctx);
}

enum gp_status auth_login(struct auth *a, auth_token_fn fn, void *ctx)
{
    GP_TRY(add_waiter(a, fn, ctx));
    a->force = true;
    return GP_OK;
}

void auth_cancel(struct auth *a, void *ctx)
{
    if (!a)
        return;
    size_t j = 0;
    for (size_t i = 0; i < a->n_waiters; i++) {
        if (a->waiters[i].ctx != ctx)
            a->waiters[j++] = a->waiters[i];
    }
    a->n_waiters = j;
}

const struct gp_secret *auth_token_current(const struct auth *a)
{
    if (!a || auth_due(a))
        return NULL;
    return &a->tok.access;
}

enum token_source auth_token_source(const struct auth *a)
{
    return a && gp_secret_is_set(&a->tok.access) ? a->tok.source : TOKEN_SOURCE_NONE;
}

char *auth_describe(const struct auth *a, char *dst, size_t n)
{
    if (n == 0)
        return dst;
    if (!a || !gp_secret_is_set(&a->tok.access)) {
        snprintf(dst, n, "no token yet");
        return dst;
    }
    const char *src = token_source_name(a->tok.source);
    if (a->tok.expires_on == 0) {
        snprintf(dst, n, "%s, expiry unknown", src);
        return dst;
    }
    int64_t left = a->tok.expires_on - auth_now(a);
    if (left <= 0)
        snprintf(dst, n, "%s, expired", src);
    else if (left < 120)
        snprintf(dst, n, "%s, expires in %lld s", src, (long long)left);
    else
        snprintf(dst, n, "%s, expires in %lld min", src, (long long)(left / 60));
    return dst;
}

bool auth_on_unauthorized(struct auth *a, struct auth_retry *r, const struct gp_secret *used)
{
    if (r->refreshed)
        return false;
    r->refreshed = true;
    if (used && gp_secret_is_set(&a->tok.access) && token_secret_equal(&a->tok.access, used)) {
        if (gp_secret_set(&a->rejected, token_secret_str(used), used->len) != GP_OK)
            gp_secret_clear(&a->rejected);
        /* keep a refresh token: it is how a device-code login gets a new access token */
        gp_secret_clear(&a->tok.access);
        a->tok.expires_on = 0;
    }
    return true;
}

void auth_free(struct auth *a)
{
    if (!a)
        return;
    while (a->bridges) {
        struct arm_bridge *b = a->bridges;
        a->bridges = b->next;
        free(b);
    }
    if (a->req)
        a->ops.cancel(a->tctx, a->req);
    a->req = NULL;
    az_abort(a);
    if (a->kick_timer)
        loop_timer_cancel(a->loop, a->kick_timer);
    if (a->timer)
        loop_timer_cancel(a->loop, a->timer);
    token_clear(&a->tok);
    gp_secret_clear(&a->rejected);
    gp_secret_clear(&a->secret);
    token_device_code_clear(&a->dc);
    free(a->waiters);
    free(a->authority);
    free(a->tenant);
    free(a->client_id);
    free(a->client_secret_file);
    free(a->certificate_file);
    free(a->client_assertion_file);
    free(a->token_file);
    free(a->az_path);
    free(a->resource);
    free(a->scope);
    free(a->identity_endpoint);
    free(a->identity_key_dir);
    free(a->cache_file);
    free(a);
}

/* --- wiring: net/arm's token provider ------------------------------------------------------ */

static void arm_bridge_done(void *ctx, enum gp_status st, const struct gp_secret *token,
                            const struct gp_error *err)
{
    struct arm_bridge *b = ctx;
    (void)st;
    for (struct arm_bridge **pp = &b->a->bridges; *pp; pp = &(*pp)->next) {
        if (*pp == b) {
            *pp = b->next;
            break;
        }
    }
    arm_token_cb cb = b->cb;
    void *cb_ctx = b->cb_ctx;
    free(b);
    cb(cb_ctx, token ? token_secret_str(token) : NULL, token ? NULL : err);
}

static void arm_get_token(void *tctx, bool force_refresh, arm_token_cb cb, void *cb_ctx)
{
    struct auth *a = tctx;
    struct gp_error e;
    gp_error_clear(&e);
    if (force_refresh && !a->fetching && gp_secret_is_set(&a->tok.access)) {
        struct auth_retry r = {false};
        struct gp_secret used;
        gp_secret_init(&used);
        if (gp_secret_set(&used, gp_secret_bytes(&a->tok.access), a->tok.access.len) == GP_OK)
            (void)auth_on_unauthorized(a, &r, &used);
        gp_secret_clear(&used);
    }
    struct arm_bridge *b = calloc(1, sizeof(*b));
    if (!b) {
        gp_error_set(&e, GP_E_NOMEM, "auth: out of memory");
        cb(cb_ctx, NULL, &e);
        return;
    }
    b->a = a;
    b->cb = cb;
    b->cb_ctx = cb_ctx;
    enum gp_status st = auth_get_token(a, arm_bridge_done, b);
    if (st != GP_OK) {
        free(b);
        gp_error_set(&e, st, "auth: cannot queue a token request: %s", gp_status_name(st));
        cb(cb_ctx, NULL, &e);
        return;
    }
    b->next = a->bridges;
    a->bridges = b;
}

/* The ARM call behind cb_ctx was canceled while it waited for a token (the console quit during
 * a sign-in, say): its bridge and waiter go, so nothing answers a freed call and nothing of it
 * outlives auth_free. */
static void arm_cancel_token(void *tctx, void *cb_ctx)
{
    struct auth *a = tctx;
    for (struct arm_bridge **pp = &a->bridges; *pp; pp = &(*pp)->next) {
        struct arm_bridge *b = *pp;
        if (b->cb_ctx == cb_ctx) {
            *pp = b->next;
            auth_cancel(a, b);
            free(b);
            return;
        }
    }
}

const struct arm_token_ops auth_arm_token_ops = {arm_get_token, arm_cancel_token};

/* --- wiring: the transport over net/http --------------------------------------------------- */

struct http_bridge {
    auth_http_done_fn done;
    void *ctx;
    struct http_call *call;
};

static void http_bridge_done(void *ctx, const struct http_response *r)
{
    struct http_bridge *b = ctx;
    struct gp_error e;
    gp_error_clear(&e);
    struct auth_http_response ar = {
        .status = r->transport,
        .http_status = r->status,
        .body = r->body,
        .body_len = r->body_len,
        .www_authenticate = r->www_authenticate,
    };
    if (r->transport != GP_OK) {
        gp_error_set(&e, r->transport, "%s", r->error[0] ? r->error : gp_status_name(r->transport));
        ar.error = &e;
        ar.http_status = 0;
    }
    auth_http_done_fn done = b->done;
    void *dctx = b->ctx;
    free(b);
    done(dctx, &ar);
}

static enum gp_status http_ops_send(void *tctx, const struct auth_http_request *rq,
                                    auth_http_done_fn done, void *ctx, void **out_handle,
                                    struct gp_error *err)
{
    struct http_client *c = tctx;
    struct http_header hdrs[8];
    size_t n = 0;
    const char *ctype = NULL;
    for (size_t i = 0; i < rq->n_headers; i++) {
        if (str_ieq(rq->headers[i].name, "Content-Type"))
            ctype = rq->headers[i].value;
        else if (n < sizeof(hdrs) / sizeof(hdrs[0]))
            hdrs[n++] = (struct http_header){rq->headers[i].name, rq->headers[i].value};
    }
    struct http_bridge *b = calloc(1, sizeof(*b));
    if (!b)
        return gp_error_set(err, GP_E_NOMEM, "out of memory");
    b->done = done;
    b->ctx = ctx;
    struct http_request hr = {
        .method = rq->method,
        .url = rq->url,
        .body = rq->body,
        .body_len = rq->body_len,
        .content_type = ctype,
        .headers = hdrs,
        .n_headers = n,
        .sensitive = true, /* login answers hold tokens */
    };
    enum gp_status st = http_send(c, &hr, http_bridge_done, b, &b->call);
    if (st != GP_OK) {
        free(b);
        return gp_error_set(err, st, "cannot start the request: %s", gp_status_name(st));
    }
    *out_handle = b;
    return GP_OK;
}

static void http_ops_cancel(void *tctx, void *handle)
{
    (void)tctx;
    struct http_bridge *b = handle;
    http_cancel(b->call);
    free(b);
}

const struct auth_transport_ops auth_http_transport_ops = {http_ops_send, http_ops_cancel};

/* --- wiring: settings ------------------------------------------------------------------------ */

static const char *opt(const char *s)
{
    return s && s[0] ? s : NULL;
}

void auth_config_from_settings(struct auth_config *cfg, const struct settings_effective *eff)
{
    const struct settings_profile *p = &eff->profile;
    switch (p->auth) {
    case SETTINGS_AUTH_TOKEN:
    case SETTINGS_AUTH_TOKEN_FILE:
        cfg->method = AUTH_TOKEN;
        break;
    case SETTINGS_AUTH_AZURE_CLI:
        cfg->method = AUTH_AZURE_CLI;
        break;
    case SETTINGS_AUTH_SERVICE_PRINCIPAL:
        cfg->method = AUTH_SERVICE_PRINCIPAL;
        break;
    case SETTINGS_AUTH_DEVICE_CODE:
        cfg->method = AUTH_DEVICE_CODE;
        break;
    case SETTINGS_AUTH_MANAGED_IDENTITY:
        cfg->method = AUTH_MANAGED_IDENTITY;
        break;
    case SETTINGS_AUTH_AUTO:
    case SETTINGS_AUTH_COUNT:
    default:
        cfg->method = AUTH_AUTO;
        break;
    }
    cfg->authority = opt(p->authority);
    cfg->tenant = opt(p->tenant);
    cfg->client_id = opt(p->client_id);
    cfg->client_secret_file = opt(p->client_secret_file);
    cfg->certificate_file = opt(p->certificate_file);
    cfg->token_file = opt(p->token_file);
    cfg->cache_file = opt(eff->paths.token_cache);
}
