/* SPDX-License-Identifier: MIT
 * sim/server.h: gpup-sim's HTTP/1.1 server (libmicrohttpd). One internal polling thread
 * (epoll), so the store needs no locks (a timer thread only resumes answers held back by the
 * fault "slow"); keep-alive; capped bodies and header memory; a timeout
 * for slow clients; TCP_NODELAY and each answer written in one piece; the request log. It
 * carries requests to sim/arm.c (and the login endpoints to sim/tokens.c when the service has
 * them) and writes the answers back. With --state it saves the state after a change: at once
 * when the last save is 200 ms old, else 200 ms after it (a timer on the resumer thread), and
 * always on server_stop; each save is a write to FILE.tmp, fsync and rename, so the file is
 * always whole, and a kill -9 loses at most the changes of the last ~200 ms. */
#ifndef GPUP_SIM_SERVER_H
#define GPUP_SIM_SERVER_H

#include <stddef.h>

#include "model/status.h"
#include "sim/arm.h"

struct server;

/* Listens on host:port (port "0": a free one) and serves svc (borrowed; used only from the
 * server's thread until server_stop). log_path (may be NULL): one JSON line per request,
 * flushed each time. *out_url gets "http://HOST:PORT". GP_E_NETWORK / GP_E_IO with a message. */
GP_NODISCARD enum gp_status server_start(struct arm_service *svc, const char *host,
                                         const char *port, const char *log_path, bool quiet,
                                         struct server **out, char *out_url, size_t url_len,
                                         struct gp_error *err);
/* Stops serving (waits for the server thread) and frees the server. */
void server_stop(struct server *srv);

#endif
