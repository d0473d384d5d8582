/* SPDX-License-Identifier: MIT
 * tests/support/simproc.h: runs build/gpup-sim (path from $GPUP_SIM) as a child process for
 * integration tests and benchmarks: starts it on 127.0.0.1:0, learns its URL from the first
 * stdout line, stops it with SIGTERM. Plus a small libcurl helper to talk to it. */
#ifndef GPUP_TESTS_SIMPROC_H
#define GPUP_TESTS_SIMPROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct simproc {
    pid_t pid;
    char url[128]; /* "http://127.0.0.1:PORT" */
    int out_fd;    /* the rest of the child's stdout */
};

/* Starts gpup-sim with the given extra arguments (NULL-terminated; may be NULL); adds
 * "--listen 127.0.0.1:0" and "--quiet". Returns 0, or -1 with a message on stderr (sim not
 * found, exited early, no URL within 10 s). */
int simproc_start(struct simproc *p, const char *const *args);
/* Runs gpup-sim to completion with args (no --listen added) and returns its exit status
 * (or -1); its stderr is captured into err (NUL-terminated, may be NULL). For bad options. */
int simproc_run(const char *const *args, char *err, size_t err_len);
/* SIGTERM, then waits (10 s, then SIGKILL). Returns the exit status, or -1 when killed by a
 * signal or not running. */
int simproc_stop(struct simproc *p);
/* The path of gpup-sim: $GPUP_SIM, else "build/gpup-sim". */
const char *simproc_binary(void);

/* One HTTP exchange. */
struct simproc_reply {
    long status; /* 0: no answer (connection reset, timeout) */
    char *body;  /* NUL-terminated, owned */
    size_t body_len;
    char *headers; /* raw header block, owned */
};

/* Sends method url with body (NULL: none) and content type (NULL: application/json when a
 * body is given), plus extra header lines (NULL-terminated, may be NULL). Returns 0 when an
 * answer arrived (any status), -1 otherwise. */
int simproc_http(const char *method, const char *url, const char *body, const char *content_type,
                 const char *const *headers, struct simproc_reply *out);
/* Value of a response header (case-insensitive name) into buf; false when absent. */
bool simproc_header(const struct simproc_reply *r, const char *name, char *buf, size_t n);
void simproc_reply_free(struct simproc_reply *r);

#endif
