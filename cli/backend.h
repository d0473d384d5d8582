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
/* Frees everything. NULL is a no-op. */
void cli_session_close(struct cli_session *s);

#endif
