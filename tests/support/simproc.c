/* SPDX-License-Identifier: MIT
 * tests/support/simproc.c: gpup-sim as a child process, and a libcurl helper for tests. */
#include "tests/support/simproc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

const char *simproc_binary(void)
{
    const char *p = getenv("GPUP_SIM");
    return p && *p ? p : "build/gpup-sim";
}

#define MAX_ARGS 64

static int spawn(const char *const *args, bool listen, int *out_fd, int *err_fd, pid_t *pid)
{
    const char *argv[MAX_ARGS + 6];
    size_t n = 0;
    argv[n++] = simproc_binary();
    if (listen) {
        argv[n++] = "--listen";
        argv[n++] = "127.0.0.1:0";
        argv[n++] = "--quiet";
    }
    for (size_t i = 0; args && args[i] && i < MAX_ARGS; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    int out[2], err[2] = {-1, -1};
    if (pipe(out) != 0)
        return -1;
    if (err_fd && pipe(err) != 0) {
        close(out[0]);
        close(out[1]);
        return -1;
    }
    fflush(NULL);
    pid_t child = fork();
    if (child < 0)
        return -1;
    if (child == 0) {
        dup2(out[1], 1);
        if (err_fd)
            dup2(err[1], 2);
        close(out[0]);
        close(out[1]);
        if (err_fd) {
            close(err[0]);
            close(err[1]);
        }
        execv(argv[0], (char *const *)argv);
        fprintf(stderr, "simproc: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(out[1]);
    *out_fd = out[0];
    if (err_fd) {
        close(err[1]);
        *err_fd = err[0];
    }
    *pid = child;
    return 0;
}

int simproc_start(struct simproc *p, const char *const *args)
{
    memset(p, 0, sizeof(*p));
    p->out_fd = -1;
    if (spawn(args, true, &p->out_fd, NULL, &p->pid) != 0) {
        fprintf(stderr, "simproc: cannot start %s\n", simproc_binary());
        return -1;
    }
    /* Read the first line byte by byte so nothing after it is consumed. */
    char line[256];
    size_t n = 0;
    while (n + 1 < sizeof(line)) {
        struct pollfd pfd = {p->out_fd, POLLIN, 0};
        if (poll(&pfd, 1, 10000) <= 0)
            break;
        char c;
        if (read(p->out_fd, &c, 1) != 1)
            break;
        if (c == '\n')
            break;
        line[n++] = c;
    }
    line[n] = '\0';
    const char *prefix = "listening on ";
    if (strncmp(line, prefix, strlen(prefix)) != 0 ||
        strlen(line) - strlen(prefix) >= sizeof(p->url)) {
        fprintf(stderr, "simproc: %s did not start (first line \"%s\")\n", simproc_binary(), line);
        (void)simproc_stop(p);
        return -1;
    }
    memcpy(p->url, line + strlen(prefix), strlen(line) - strlen(prefix) + 1);
    return 0;
}

int simproc_run(const char *const *args, char *err, size_t err_len)
{
    int out_fd = -1, err_fd = -1;
    pid_t pid;
    if (spawn(args, false, &out_fd, &err_fd, &pid) != 0)
        return -1;
    size_t n = 0;
    char buf[4096];
    for (;;) {
        struct pollfd pfd = {err_fd, POLLIN, 0};
        if (poll(&pfd, 1, 10000) <= 0)
            break;
        ssize_t r = read(err_fd, buf, sizeof(buf));
        if (r <= 0)
            break;
        for (ssize_t i = 0; err && i < r && n + 1 < err_len; i++)
            err[n++] = buf[i];
    }
    if (err && err_len)
        err[n] = '\0';
    close(err_fd);
    close(out_fd);
    struct simproc p = {pid, "", -1};
    /* The child exits by itself for bad options; stop it if it did not. */
    for (int i = 0; i < 1000; i++) {
        int status;
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    (void)simproc_stop(&p);
    return -1;
}

int simproc_stop(struct simproc *p)
{
    if (p->pid <= 0)
        return -1;
    kill(p->pid, SIGTERM);
    int status = 0;
    pid_t w = 0;
    for (int i = 0; i < 1000 && w == 0; i++) {
        w = waitpid(p->pid, &status, WNOHANG);
        if (w == 0) {
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    if (w == 0) {
        kill(p->pid, SIGKILL);
        waitpid(p->pid, &status, 0);
    }
    p->pid = 0;
    if (p->out_fd >= 0)
        close(p->out_fd);
    p->out_fd = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

struct grow {
    char *data;
    size_t len;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct grow *g = userdata;
    size_t n = size * nmemb;
    char *d = realloc(g->data, g->len + n + 1);
    if (!d)
        return 0;
    memcpy(d + g->len, ptr, n);
    g->len += n;
    d[g->len] = '\0';
    g->data = d;
    return n;
}

int simproc_http(const char *method, const char *url, const char *body, const char *content_type,
                 const char *const *headers, struct simproc_reply *out)
{
    memset(out, 0, sizeof(*out));
    CURL *c = curl_easy_init();
    if (!c)
        return -1;
    struct grow b = {NULL, 0}, h = {NULL, 0};
    struct curl_slist *list = NULL;
    char ct[256];
    if (body) {
        snprintf(ct, sizeof(ct), "Content-Type: %s",
                 content_type ? content_type : "application/json");
        list = curl_slist_append(list, ct);
    }
    for (size_t i = 0; headers && headers[i]; i++)
        list = curl_slist_append(list, headers[i]);
    list = curl_slist_append(list, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    } else if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
               strcmp(method, "PATCH") == 0) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
    }
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(list);
    curl_easy_cleanup(c);
    out->status = rc == CURLE_OK ? status : 0;
    out->body = b.data ? b.data : calloc(1, 1);
    out->body_len = b.len;
    out->headers = h.data ? h.data : calloc(1, 1);
    return rc == CURLE_OK ? 0 : -1;
}

bool simproc_header(const struct simproc_reply *r, const char *name, char *buf, size_t n)
{
    size_t nl = strlen(name);
    for (const char *line = r->headers; line && *line;) {
        const char *eol = strstr(line, "\r\n");
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        if (len > nl && line[nl] == ':' && strncasecmp(line, name, nl) == 0) {
            const char *v = line + nl + 1;
            while (*v == ' ')
                v++;
            size_t vl = len - (size_t)(v - line);
            if (vl >= n)
                vl = n - 1;
            memcpy(buf, v, vl);
            buf[vl] = '\0';
            return true;
        }
        if (!eol)
            break;
        line = eol + 2;
    }
    return false;
}

void simproc_reply_free(struct simproc_reply *r)
{
    free(r->body);
    free(r->headers);
    memset(r, 0, sizeof(*r));
}
