/* SPDX-License-Identifier: MIT
 * net/loop.h: the one event loop (style.md 5, redis `ae`). It owns libcurl's multi handle, the
 * watched file descriptors (stdin, child pipes), timers and signal flags. Each pass sleeps in
 * curl_multi_poll() until the nearest timer, an fd, a transfer or a signal, so an idle program
 * wakes up zero times per second. The console and the CLI drive the same loop.
 * Not thread-safe: one thread; loop_wakeup() is the only call another thread or a signal
 * handler may make. */
#ifndef GPUP_NET_LOOP_H
#define GPUP_NET_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include <curl/curl.h>

#include "model/status.h"

struct gp_loop;

typedef void (*loop_transfer_fn)(void *ctx, CURL *easy, CURLcode result);
typedef void (*loop_fd_fn)(void *ctx, int fd, short revents);
typedef void (*loop_timer_fn)(void *ctx);
typedef void (*loop_signal_fn)(void *ctx, int signo);
typedef void (*loop_hook_fn)(void *ctx);

/* Creates a loop. Initialises libcurl globally on first use. GP_E_NOMEM, GP_E_IO. */
GP_NODISCARD enum gp_status loop_new(struct gp_loop **out);
/* Frees the loop; transfers still running are removed (their callbacks are not called);
 * signal handlers it installed are restored. NULL is a no-op. */
void loop_free(struct gp_loop *l);

/* Virtual time for tests: the clock starts at 0 and, when a pass finds nothing ready, jumps to
 * the nearest timer instead of sleeping, so backoff and polling run in zero wall time. Call
 * right after loop_new. */
void loop_use_virtual_clock(struct gp_loop *l);

/* Monotonic milliseconds (virtual when loop_use_virtual_clock was called). */
uint64_t loop_now_ms(const struct gp_loop *l);
/* Wall clock in seconds since the epoch (for journal records and displays). */
int64_t loop_wall_time(const struct gp_loop *l);

/* The multi handle, for net/http to set options on. Borrowed for the loop's lifetime. */
CURLM *loop_multi(struct gp_loop *l);

/* Starts easy on the multi handle; done runs from a later pass when it completes (with its
 * CURLcode), after the handle was removed from the multi; the caller owns easy throughout.
 * Uses CURLOPT_PRIVATE of easy (do not set it elsewhere). GP_E_NOMEM / GP_E_NETWORK. */
GP_NODISCARD enum gp_status loop_add_transfer(struct gp_loop *l, CURL *easy,
                                              loop_transfer_fn done, void *ctx);
/* Cancels a running transfer: removed from the multi, its callback is never called. */
void loop_cancel_transfer(struct gp_loop *l, CURL *easy);
/* Number of transfers running. */
unsigned loop_transfers(const struct gp_loop *l);

/* Watches fd for events (POLLIN, POLLOUT); fn runs with the returned revents (POLLHUP and
 * POLLERR included). One watch per fd; watching again replaces it. */
GP_NODISCARD enum gp_status loop_watch_fd(struct gp_loop *l, int fd, short events,
                                          loop_fd_fn fn, void *ctx);
void loop_unwatch_fd(struct gp_loop *l, int fd);

/* Runs fn once after delay_ms. Returns an id (never 0), or 0 when out of memory. */
uint64_t loop_timer_add(struct gp_loop *l, uint64_t delay_ms, loop_timer_fn fn, void *ctx);
/* Cancels a pending timer; unknown or fired ids are ignored. */
void loop_timer_cancel(struct gp_loop *l, uint64_t id);
/* Milliseconds to the nearest timer, or -1 when none is pending. */
int64_t loop_next_timer_ms(const struct gp_loop *l);

/* Installs a handler for signo that only records it and wakes the loop; fn runs from the loop
 * (so it may do anything). Used for SIGINT, SIGTERM, SIGHUP, SIGWINCH, SIGTSTP, SIGCONT. */
GP_NODISCARD enum gp_status loop_watch_signal(struct gp_loop *l, int signo, loop_signal_fn fn,
                                              void *ctx);

/* fn runs at the end of every pass that did something, before the loop sleeps again
 * (the console redraws there, at most once per pass). One hook; NULL removes it. */
void loop_set_before_sleep(struct gp_loop *l, loop_hook_fn fn, void *ctx);

/* Makes a sleeping loop run a pass. Async-signal-safe and thread-safe. */
void loop_wakeup(struct gp_loop *l);

/* Makes loop_run return after the current pass. */
void loop_stop(struct gp_loop *l);
bool loop_stopped(const struct gp_loop *l);

/* One pass: waits at most max_wait_ms (-1: until something happens), then runs every callback
 * that is due. GP_E_NETWORK when curl's multi interface fails. */
GP_NODISCARD enum gp_status loop_run_once(struct gp_loop *l, int64_t max_wait_ms);
/* Passes until loop_stop. With nothing left to wait for (no transfer, timer or fd) it returns
 * GP_OK rather than sleeping for ever. */
GP_NODISCARD enum gp_status loop_run(struct gp_loop *l);

/* Passes that returned from a wait (for the idle wake-up benchmark). */
uint64_t loop_wakeups(const struct gp_loop *l);

#endif
