/* SPDX-License-Identifier: MIT
 * cli/backend.h: the CLI's session with the service: the effective settings (flags >
 * environment > profile > defaults), the event loop and the ARM client (net/arm), and the
 * struct cli_backend that cli/commands runs on. Calls are made synchronous here by running the
 * one loop until the answer arrives (the CLI does one thing at a time); an interrupt (SIGINT)
 * ends the wait with GP_E_CANCELED. */
#ifndef GPUP_CLI_BACKEND_H
#define GPUP_CLI_BACKEND_H

#include "cli/args.h"
#include "cli/commands.h"
#include "model/settings.h"
#include "model/status.h"

struct cli_session;

/* Resolves the settings for args (GP_E_CONFIG with a one-line message when they are wrong).
 * Nothing is sent yet: the ARM client is made on first use. *out is set even on failure
 * (close it). */
GP_NODISCARD enum gp_status cli_session_open(const struct cli_args *args,
                                             struct cli_session **out, struct gp_error *err);
/* Borrowed for the session's lifetime. */
const struct cli_backend *cli_session_backend(const struct cli_session *s);
const struct settings_effective *cli_session_settings(const struct cli_session *s);
/* What the console runs on, made ready from the session: the loop, the ARM client, the
 * executor's client, the subscription, the state directory, and what could be learnt of the
 * hosts' GPUs (an unreachable inventory leaves cluster->inventory_known false, with the
 * profile's partition size). All borrowed from the session except *out_cluster, which the
 * caller initialises and cleans up. */
struct gp_loop;
struct arm_client;
struct vmclient;
struct cluster;
struct cli_console_parts {
    struct gp_loop *loop;
    struct arm_client *arm;
    struct vmclient *vmc;
    const char *subscription;
    char state_dir[4096];
};
GP_NODISCARD enum gp_status cli_session_console_parts(struct cli_session *s,
                                                      struct cli_console_parts *out,
                                                      struct cluster *out_cluster,
                                                      struct gp_error *err);

/* Frees everything. NULL is a no-op. */
void cli_session_close(struct cli_session *s);

#endif
