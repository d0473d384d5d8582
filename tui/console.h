/* SPDX-License-Identifier: MIT
 * tui/console.h: the console as one call: builds the app, its home list fed by net/fleet, the
 * operation manager on the executor client, the change-flow screens, the palette's extra
 * commands (:hosts, :create, :resume, :theme), and runs until the operator quits. main.c
 * hands it a ready session; nothing here knows how settings or tokens were found. */
#ifndef GPUP_TUI_CONSOLE_H
#define GPUP_TUI_CONSOLE_H

#include <stdbool.h>

#include "model/cluster.h"
#include "model/settings.h"
#include "model/status.h"
#include "net/executor.h"

struct arm_client;
struct gp_loop;

struct console_env {
    struct gp_loop *loop;                   /* borrowed: the one event loop */
    struct arm_client *arm;                 /* borrowed: the ARM client on that loop */
    const struct exec_client_ops *exec_ops; /* how operations reach ARM (net/vmclient) */
    void *exec_client;
    exec_journal_fn journal;                /* the journal sink; NULL: nothing journaled */
    void *journal_ctx;
    const char *state_dir;                  /* where the journal and locks live (resume) */
    const struct settings_effective *eff;   /* profile, ui, paths */
    const char *subscription;
    const struct cluster *cluster;          /* what is known of the hosts' GPUs */
    bool readonly;
    const char *theme;                      /* --theme, overrides the settings; may be NULL */
    const char *const *environ;             /* for theme search paths */
    const char *notice;                     /* flashed as an error at start; may be NULL */
    char *next_profile;                     /* out: ":profile NAME" asked to switch to NAME
                                               ("" otherwise); NULL: switching unavailable */
    size_t next_profile_size;
};

/* Runs the console. Returns the process exit status: 0 on a normal quit (or a quit to switch
 * profiles: then env->next_profile names it, and the caller opens a new session on it and
 * runs the console again), 1 when the console could not start (err says why; the terminal is
 * restored first). */
int console_run(const struct console_env *env, struct gp_error *err);

#endif
