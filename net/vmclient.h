/* SPDX-License-Identifier: MIT
 * net/vmclient.h: the executor's client over ARM (net/arm + net/lro): reads a VM instance back
 * and runs one plan step to the end of its long-running operation. One client serves every
 * executor of a program (the CLI runs one at a time, the console one per VM); cancel abandons
 * every call in flight, which is what quitting needs. */
#ifndef GPUP_NET_VMCLIENT_H
#define GPUP_NET_VMCLIENT_H

#include "model/status.h"
#include "net/executor.h"

struct arm_client;
struct vmclient;

/* arm borrowed for the client's lifetime; api_version copied (the VM instances' version). */
GP_NODISCARD enum gp_status vmclient_new(struct arm_client *arm, const char *api_version,
                                         struct vmclient **out, struct gp_error *err);
/* Cancels what is in flight (no callback runs) and frees. NULL is a no-op. */
void vmclient_free(struct vmclient *c);

/* The ops for exec_start / exec_resume, with the struct vmclient * as client. */
extern const struct exec_client_ops vmclient_exec_ops;

#endif
