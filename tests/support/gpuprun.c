/* SPDX-License-Identifier: MIT
 * tests/support/gpuprun.c: runs gpup for the integration tests (see the header). */
#include "tests/support/gpuprun.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/testio.h"

enum { ARGS_MAX = 32, ENV_MAX = 32, PATH_MAX_LEN = 300 };

/* Variables kept from the test's environment: they change how gpup is checked, never what it
 * does. */
static const char *const kept[] = {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"};

char *gpuprun_slurp(const char *path)
{
    char *text = testio_read_file(path);
    if (!text)
        text = calloc(1, 1);
    assert_non_null(text);
    return text;
}

size_t gpuprun_count_lines(const char *path, const char *a, const char *b)
{
    char *text = gpuprun_slurp(path);
    size_t n = 0;
    for (char *line = text; *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        if (strstr(line, a) && strstr(line, b))
            n++;
        if (!nl)
            break;
        line = nl + 1;
    }
    free(text);
    return n;
}

struct gpuprun gpuprun(const char *dir, const char *const *env, const char *const *args)
{
    const char *bin = getenv("GPUP_BIN");
    if (!bin || !*bin) {
        print_error("GPUP_BIN is not set (make check sets it)\n");
        abort();
    }
    char out_path[PATH_MAX_LEN], err_path[PATH_MAX_LEN];
    assert_true((size_t)snprintf(out_path, sizeof(out_path), "%s/out", dir) < sizeof(out_path));
    assert_true((size_t)snprintf(err_path, sizeof(err_path), "%s/err", dir) < sizeof(err_path));

    const char *argv[ARGS_MAX + 1];
    size_t n = 0;
    argv[n++] = bin;
    for (size_t i = 0; args[i]; i++) {
        assert_true(n < ARGS_MAX);
        argv[n++] = args[i];
    }
    argv[n] = NULL;

    char home[PATH_MAX_LEN + 32], cfg[PATH_MAX_LEN + 32], state[PATH_MAX_LEN + 32];
    (void)snprintf(home, sizeof(home), "HOME=%s", dir);
    (void)snprintf(cfg, sizeof(cfg), "XDG_CONFIG_HOME=%s", dir);
    (void)snprintf(state, sizeof(state), "XDG_STATE_HOME=%s", dir);
    const char *envp[ENV_MAX + 1];
    size_t k = 0;
    envp[k++] = home;
    envp[k++] = cfg;
    envp[k++] = state;
    envp[k++] = "LANG=C.UTF-8";
    char kept_vars[sizeof(kept) / sizeof(kept[0])][4096];
    for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
        const char *v = getenv(kept[i]);
        if (v && (size_t)snprintf(kept_vars[i], sizeof(kept_vars[i]), "%s=%s", kept[i], v) <
                     sizeof(kept_vars[i]))
            envp[k++] = kept_vars[i];
    }
    for (size_t i = 0; env && env[i]; i++) {
        assert_true(k < ENV_MAX);
        envp[k++] = env[i];
    }
    envp[k] = NULL;

    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int in = open("/dev/null", O_RDONLY);
        int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (in < 0 || out < 0 || err < 0)
            _exit(99);
        dup2(in, 0);
        dup2(out, 1);
        dup2(err, 2);
        alarm(60); /* watchdog: a hung gpup fails the test instead of the run */
        execve(bin, (char *const *)argv, (char *const *)envp);
        _exit(98);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    struct gpuprun r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = gpuprun_slurp(out_path);
    r.err = gpuprun_slurp(err_path);
    return r;
}

void gpuprun_free(struct gpuprun *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}
