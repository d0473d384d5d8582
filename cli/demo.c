/* SPDX-License-Identifier: MIT
 * cli/demo.c: runs gpup-sim as a child for `gpup --demo`. Start-up reads one line, with a
 * deadline, before any event loop exists; after that the child is left alone until exit. */
#include "cli/demo.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "model/text.h"

/* A demo fleet as product.md 1 describes it: several resource groups, a few hundred VMs, hosts
 * with GPU-P and DDA GPUs. Twelve hosts give every kind the generator makes (a DDA-only host, a
 * cluster of mixed models, full hosts) and partitions still free to try an attach on.
 * Operations take long enough to watch their progress. */
static const char *const demo_args[] = {"--listen", "127.0.0.1:0", "--fleet", "300",
                                        "--hosts", "12", "--seed", "1", "--op-ms", "1500",
                                        "--quiet"};
#define DEMO_NARGS (sizeof demo_args / sizeof demo_args[0])
#define DEMO_MAX_EXTRA 16
#define DEMO_START_MS 5000

static bool executable(const char *path)
{
    return access(path, X_OK) == 0;
}

/* GPUP_SIM, then gpup-sim beside /proc/self/exe, then "gpup-sim" for execvp's PATH search. */
static void find_sim(char *out, size_t n)
{
    const char *env = getenv("GPUP_SIM");
    if (env && *env && text_copy(out, n, env))
        return;
    char self[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len > 0) {
        self[len] = '\0';
        char *slash = strrchr(self, '/');
        if (slash) {
            slash[1] = '\0';
            int w = snprintf(out, n, "%sgpup-sim", self);
            if (w > 0 && (size_t)w < n && executable(out))
                return;
        }
    }
    (void)text_copy(out, n, "gpup-sim");
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads the child's first line within the deadline. */
static bool read_line(int fd, char *line, size_t n)
{
    size_t len = 0;
    int64_t deadline = now_ms() + DEMO_START_MS;
    while (len + 1 < n) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return false;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        ssize_t got = read(fd, line + len, 1);
        if (got <= 0)
            return false;
        if (line[len] == '\n')
            break;
        len++;
    }
    line[len] = '\0';
    return true;
}

enum gp_status demo_start(struct demo *d, const char *const *extra_args, struct gp_error *err)
{
    memset(d, 0, sizeof *d);
    char sim[PATH_MAX];
    find_sim(sim, sizeof sim);
    const char *argv[1 + DEMO_NARGS + DEMO_MAX_EXTRA + 1];
    size_t argc = 0;
    argv[argc++] = sim;
    for (size_t i = 0; i < DEMO_NARGS; i++)
        argv[argc++] = demo_args[i];
    for (size_t i = 0; extra_args && extra_args[i]; i++) {
        if (i == DEMO_MAX_EXTRA)
            return gp_error_set(err, GP_E_INVALID, "too many emulator arguments");
        argv[argc++] = extra_args[i];
    }
    argv[argc] = NULL;

    int out[2];
    if (pipe(out) != 0 || fcntl(out[0], F_SETFD, FD_CLOEXEC) != 0)
        return gp_error_set(err, GP_E_IO, "cannot start the demo emulator: %s", strerror(errno));
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        close(out[0]);
        close(out[1]);
        return gp_error_set(err, GP_E_IO, "cannot start the demo emulator: %s", strerror(errno));
    }
    if (pid == 0) {
        /* The emulator must not outlive gpup, even after kill -9 of gpup. */
        (void)prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(127);
        (void)setpgid(0, 0);
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
            (void)dup2(null, STDIN_FILENO);
            (void)dup2(null, STDERR_FILENO);
        }
        (void)dup2(out[1], STDOUT_FILENO);
        /* execvp takes char *const[]; the strings are not modified. */
        execvp(sim, (char *const *)(void *)argv);
        _exit(127);
    }
    close(out[1]);
    d->pid = pid;
    char line[256];
    d->out_fd = out[0];
    bool ok = read_line(out[0], line, sizeof line);
    static const char prefix[] = "listening on ";
    if (!ok || strncmp(line, prefix, sizeof prefix - 1) != 0 ||
        !text_copy(d->endpoint, sizeof d->endpoint, line + sizeof prefix - 1)) {
        demo_stop(d);
        return gp_error_set(err, GP_E_NOT_FOUND,
                            "cannot start the demo emulator %s (build it with `make`, or set "
                            "GPUP_SIM to its path)",
                            sim);
    }
    return GP_OK;
}

void demo_stop(struct demo *d)
{
    if (d->out_fd > 0)
        close(d->out_fd);
    d->out_fd = 0;
    if (d->pid <= 0)
        return;
    (void)kill(d->pid, SIGTERM);
    int status;
    while (waitpid(d->pid, &status, 0) < 0 && errno == EINTR)
        ;
    d->pid = 0;
}
