/* SPDX-License-Identifier: MIT
 * net/loop.c: the one event loop: curl_multi_poll() over curl's sockets plus our fds and a
 * self-pipe, a min-heap of timers, and signal flags. See net/loop.h. */
#include "net/loop.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct transfer {
    loop_transfer_fn done;
    void *ctx;
};

struct fd_watch {
    int fd;
    short events;
    loop_fd_fn fn;
    void *ctx;
};

struct timer {
    uint64_t due_ms;
    uint64_t id;
    loop_timer_fn fn;
    void *ctx;
};

struct sig_watch {
    int signo;
    loop_signal_fn fn;
    void *ctx;
    struct sigaction old;
};

struct gp_loop {
    CURLM *multi;
    unsigned n_transfers;
    int pipe_rd, pipe_wr;

    struct fd_watch *fds;
    size_t n_fds, cap_fds;

    struct timer *heap; /* min-heap on (due_ms, id) */
    size_t n_timers, cap_timers;
    uint64_t next_timer_id;

    struct sig_watch sigs[8];
    size_t n_sigs;

    loop_hook_fn before_sleep;
    void *before_sleep_ctx;

    bool virtual_clock;
    uint64_t virtual_now;
    bool stop;
    uint64_t wakeups;
};

/* Signal handlers see only these: the write end of the one loop's self-pipe and the flags.
 * One loop per process watches signals (the console's or the CLI's). */
static volatile sig_atomic_t sig_pending[NSIG];
static volatile sig_atomic_t sig_any;
static int sig_pipe_wr = -1;

static int curl_users;

static void on_signal(int signo)
{
    int saved = errno;
    if (signo > 0 && signo < NSIG)
        sig_pending[signo] = 1;
    sig_any = 1;
    if (sig_pipe_wr >= 0) {
        char c = 's';
        /* A full pipe already guarantees a wake-up; nothing else to do on failure. */
        (void)!write(sig_pipe_wr, &c, 1);
    }
    errno = saved;
}

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t loop_now_ms(const struct gp_loop *l)
{
    return l->virtual_clock ? l->virtual_now : mono_ms();
}

int64_t loop_wall_time(const struct gp_loop *l)
{
    (void)l;
    return (int64_t)time(NULL);
}

static int set_nonblock_cloexec(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return -1;
    return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

enum gp_status loop_new(struct gp_loop **out)
{
    *out = NULL;
    struct gp_loop *l = calloc(1, sizeof(*l));
    if (!l)
        return GP_E_NOMEM;
    l->pipe_rd = l->pipe_wr = -1;
    if (curl_users++ == 0 && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        curl_users--;
        free(l);
        return GP_E_NETWORK;
    }
    l->multi = curl_multi_init();
    int p[2];
    if (!l->multi || pipe(p) != 0) {
        loop_free(l);
        return GP_E_IO;
    }
    l->pipe_rd = p[0];
    l->pipe_wr = p[1];
    if (set_nonblock_cloexec(p[0]) != 0 || set_nonblock_cloexec(p[1]) != 0) {
        loop_free(l);
        return GP_E_IO;
    }
    l->next_timer_id = 1;
    *out = l;
    return GP_OK;
}

void loop_free(struct gp_loop *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n_sigs; i++)
        sigaction(l->sigs[i].signo, &l->sigs[i].old, NULL);
    if (l->n_sigs && sig_pipe_wr == l->pipe_wr)
        sig_pipe_wr = -1;
    if (l->multi) {
        /* Remove what is still running; the owners free their easy handles. */
        CURL **easies = NULL;
#if CURL_AT_LEAST_VERSION(8, 4, 0)
        easies = curl_multi_get_handles(l->multi);
#endif
        for (size_t i = 0; easies && easies[i]; i++) {
            struct transfer *t = NULL;
            curl_easy_getinfo(easies[i], CURLINFO_PRIVATE, (char **)&t);
            curl_multi_remove_handle(l->multi, easies[i]);
            free(t);
        }
        curl_free(easies);
        curl_multi_cleanup(l->multi);
    }
    if (l->pipe_rd >= 0)
        close(l->pipe_rd);
    if (l->pipe_wr >= 0)
        close(l->pipe_wr);
    free(l->fds);
    free(l->heap);
    free(l);
    if (--curl_users == 0)
        curl_global_cleanup();
}

void loop_use_virtual_clock(struct gp_loop *l)
{
    l->virtual_clock = true;
    l->virtual_now = 0;
}

CURLM *loop_multi(struct gp_loop *l)
{
    return l->multi;
}

/* --- transfers ----------------------------------------------------------------------------- */

enum gp_status loop_add_transfer(struct gp_loop *l, CURL *easy, loop_transfer_fn done, void *ctx)
{
    struct transfer *t = malloc(sizeof(*t));
    if (!t)
        return GP_E_NOMEM;
    t->done = done;
    t->ctx = ctx;
    curl_easy_setopt(easy, CURLOPT_PRIVATE, (void *)t);
    if (curl_multi_add_handle(l->multi, easy) != CURLM_OK) {
        curl_easy_setopt(easy, CURLOPT_PRIVATE, (void *)NULL);
        free(t);
        return GP_E_NETWORK;
    }
    l->n_transfers++;
    return GP_OK;
}

void loop_cancel_transfer(struct gp_loop *l, CURL *easy)
{
    struct transfer *t = NULL;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&t);
    if (!t)
        return;
    curl_multi_remove_handle(l->multi, easy);
    curl_easy_setopt(easy, CURLOPT_PRIVATE, (void *)NULL);
    free(t);
    l->n_transfers--;
}

unsigned loop_transfers(const struct gp_loop *l)
{
    return l->n_transfers;
}

/* Hands finished transfers to their owners. A callback may start or cancel transfers. */
static void dispatch_transfers(struct gp_loop *l)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(l->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        CURL *easy = msg->easy_handle;
        CURLcode rc = msg->data.result;
        struct transfer *t = NULL;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&t);
        curl_multi_remove_handle(l->multi, easy);
        curl_easy_setopt(easy, CURLOPT_PRIVATE, (void *)NULL);
        l->n_transfers--;
        if (t) {
            struct transfer copy = *t;
            free(t);
            copy.done(copy.ctx, easy, rc);
        }
    }
}

/* --- fds ----------------------------------------------------------------------------------- */

enum gp_status loop_watch_fd(struct gp_loop *l, int fd, short events, loop_fd_fn fn, void *ctx)
{
    for (size_t i = 0; i < l->n_fds; i++) {
        if (l->fds[i].fd == fd) {
            l->fds[i] = (struct fd_watch){fd, events, fn, ctx};
            return GP_OK;
        }
    }
    if (l->n_fds == l->cap_fds) {
        size_t cap = l->cap_fds ? l->cap_fds * 2 : 4;
        struct fd_watch *p = realloc(l->fds, cap * sizeof(*p));
        if (!p)
            return GP_E_NOMEM;
        l->fds = p;
        l->cap_fds = cap;
    }
    l->fds[l->n_fds++] = (struct fd_watch){fd, events, fn, ctx};
    return GP_OK;
}

void loop_unwatch_fd(struct gp_loop *l, int fd)
{
    for (size_t i = 0; i < l->n_fds; i++) {
        if (l->fds[i].fd == fd) {
            l->fds[i] = l->fds[--l->n_fds];
            return;
        }
    }
}

/* --- timers: a binary min-heap ordered by (due, id), so equal deadlines fire in order ---- */

static bool timer_before(const struct timer *a, const struct timer *b)
{
    return a->due_ms < b->due_ms || (a->due_ms == b->due_ms && a->id < b->id);
}

static void heap_swap(struct timer *h, size_t i, size_t j)
{
    struct timer t = h[i];
    h[i] = h[j];
    h[j] = t;
}

static void heap_up(struct timer *h, size_t i)
{
    while (i > 0 && timer_before(&h[i], &h[(i - 1) / 2])) {
        heap_swap(h, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static void heap_down(struct timer *h, size_t n, size_t i)
{
    for (;;) {
        size_t m = i, a = 2 * i + 1, b = a + 1;
        if (a < n && timer_before(&h[a], &h[m]))
            m = a;
        if (b < n && timer_before(&h[b], &h[m]))
            m = b;
        if (m == i)
            return;
        heap_swap(h, i, m);
        i = m;
    }
}

static void heap_remove_at(struct gp_loop *l, size_t i)
{
    l->heap[i] = l->heap[--l->n_timers];
    if (i < l->n_timers) {
        heap_up(l->heap, i);
        heap_down(l->heap, l->n_timers, i);
    }
}

uint64_t loop_timer_add(struct gp_loop *l, uint64_t delay_ms, loop_timer_fn fn, void *ctx)
{
    if (l->n_timers == l->cap_timers) {
        size_t cap = l->cap_timers ? l->cap_timers * 2 : 16;
        struct timer *p = realloc(l->heap, cap * sizeof(*p));
        if (!p)
            return 0;
        l->heap = p;
        l->cap_timers = cap;
    }
    uint64_t id = l->next_timer_id++;
    l->heap[l->n_timers] = (struct timer){loop_now_ms(l) + delay_ms, id, fn, ctx};
    heap_up(l->heap, l->n_timers++);
    return id;
}

void loop_timer_cancel(struct gp_loop *l, uint64_t id)
{
    for (size_t i = 0; i < l->n_timers; i++) {
        if (l->heap[i].id == id) {
            heap_remove_at(l, i);
            return;
        }
    }
}

int64_t loop_next_timer_ms(const struct gp_loop *l)
{
    if (!l->n_timers)
        return -1;
    uint64_t now = loop_now_ms(l);
    return l->heap[0].due_ms <= now ? 0 : (int64_t)(l->heap[0].due_ms - now);
}

/* Fires the timers due now. Timers added by a callback for "now" wait for the next pass, so a
 * callback that re-arms itself with delay 0 cannot starve the loop. */
static bool fire_timers(struct gp_loop *l)
{
    uint64_t now = loop_now_ms(l);
    uint64_t last_id = l->next_timer_id;
    bool fired = false;
    while (l->n_timers && l->heap[0].due_ms <= now && l->heap[0].id < last_id) {
        struct timer t = l->heap[0];
        heap_remove_at(l, 0);
        t.fn(t.ctx);
        fired = true;
    }
    return fired;
}

/* --- signals ------------------------------------------------------------------------------- */

enum gp_status loop_watch_signal(struct gp_loop *l, int signo, loop_signal_fn fn, void *ctx)
{
    if (signo <= 0 || signo >= NSIG)
        return GP_E_INVALID;
    size_t i;
    for (i = 0; i < l->n_sigs; i++)
        if (l->sigs[i].signo == signo)
            break;
    if (i == l->n_sigs) {
        if (l->n_sigs == sizeof(l->sigs) / sizeof(l->sigs[0]))
            return GP_E_NOMEM;
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESTART;
        sig_pipe_wr = l->pipe_wr;
        if (sigaction(signo, &sa, &l->sigs[i].old) != 0)
            return GP_E_IO;
        l->n_sigs++;
    }
    l->sigs[i].signo = signo;
    l->sigs[i].fn = fn;
    l->sigs[i].ctx = ctx;
    return GP_OK;
}

static bool dispatch_signals(struct gp_loop *l)
{
    if (!sig_any)
        return false;
    sig_any = 0;
    bool any = false;
    for (size_t i = 0; i < l->n_sigs; i++) {
        int s = l->sigs[i].signo;
        if (sig_pending[s]) {
            sig_pending[s] = 0;
            l->sigs[i].fn(l->sigs[i].ctx, s);
            any = true;
        }
    }
    return any;
}

/* --- the pass ------------------------------------------------------------------------------ */

void loop_set_before_sleep(struct gp_loop *l, loop_hook_fn fn, void *ctx)
{
    l->before_sleep = fn;
    l->before_sleep_ctx = ctx;
}

void loop_wakeup(struct gp_loop *l)
{
    char c = 'w';
    (void)!write(l->pipe_wr, &c, 1);
}

void loop_stop(struct gp_loop *l)
{
    l->stop = true;
    loop_wakeup(l);
}

bool loop_stopped(const struct gp_loop *l)
{
    return l->stop;
}

static void drain_pipe(int fd)
{
    char buf[64];
    while (read(fd, buf, sizeof(buf)) > 0)
        ;
}

enum gp_status loop_run_once(struct gp_loop *l, int64_t max_wait_ms)
{
    /* How long may we sleep: until the nearest timer, capped by the caller. curl's own
     * timeout is applied inside curl_multi_poll(). */
    int64_t wait = loop_next_timer_ms(l);
    if (max_wait_ms >= 0 && (wait < 0 || max_wait_ms < wait))
        wait = max_wait_ms;
    if (l->virtual_clock)
        wait = 0;
    if (sig_any || l->stop)
        wait = 0;

    struct curl_waitfd stack_fds[8];
    struct curl_waitfd *wfds = stack_fds;
    size_t n_w = l->n_fds + 1;
    if (n_w > sizeof(stack_fds) / sizeof(stack_fds[0])) {
        wfds = calloc(n_w, sizeof(*wfds));
        if (!wfds)
            return GP_E_NOMEM;
    }
    wfds[0] = (struct curl_waitfd){.fd = l->pipe_rd, .events = CURL_WAIT_POLLIN, .revents = 0};
    for (size_t i = 0; i < l->n_fds; i++) {
        short ev = 0;
        if (l->fds[i].events & POLLIN)
            ev |= CURL_WAIT_POLLIN;
        if (l->fds[i].events & POLLOUT)
            ev |= CURL_WAIT_POLLOUT;
        wfds[i + 1] = (struct curl_waitfd){.fd = l->fds[i].fd, .events = ev, .revents = 0};
    }

    int timeout = wait < 0 ? INT_MAX : (wait > INT_MAX ? INT_MAX : (int)wait);
    int numfds = 0;
    CURLMcode mc = curl_multi_poll(l->multi, wfds, (unsigned)n_w, timeout, &numfds);
    enum gp_status st = GP_OK;
    /* CURLM_UNRECOVERABLE_POLL: poll() itself failed; treat it as a wake-up and go on, the
     * next pass polls again. Anything else is a broken multi handle. */
    if (mc != CURLM_OK && mc != CURLM_UNRECOVERABLE_POLL) {
        st = GP_E_NETWORK;
        goto out;
    }
    l->wakeups++;

    if (wfds[0].revents)
        drain_pipe(l->pipe_rd);

    int running = 0;
    if (curl_multi_perform(l->multi, &running) != CURLM_OK) {
        st = GP_E_NETWORK;
        goto out;
    }
    dispatch_transfers(l);

    /* fd callbacks may unwatch fds: look each one up again by fd before calling. */
    for (size_t i = 0; i < n_w - 1; i++) {
        if (!wfds[i + 1].revents)
            continue;
        short rev = 0;
        if (wfds[i + 1].revents & CURL_WAIT_POLLIN)
            rev |= POLLIN;
        if (wfds[i + 1].revents & CURL_WAIT_POLLOUT)
            rev |= POLLOUT;
        if (wfds[i + 1].revents & ~(CURL_WAIT_POLLIN | CURL_WAIT_POLLOUT | CURL_WAIT_POLLPRI))
            rev |= POLLHUP;
        for (size_t j = 0; j < l->n_fds; j++) {
            if (l->fds[j].fd == wfds[i + 1].fd) {
                l->fds[j].fn(l->fds[j].ctx, l->fds[j].fd, rev);
                break;
            }
        }
    }

    dispatch_signals(l);

    bool fired = fire_timers(l);
    if (l->virtual_clock && !fired && numfds == 0 && l->n_timers && !l->n_transfers) {
        /* Nothing happened: in virtual time, jump to the next deadline. */
        l->virtual_now = l->heap[0].due_ms;
        fire_timers(l);
    }

    if (l->before_sleep)
        l->before_sleep(l->before_sleep_ctx);
out:
    if (wfds != stack_fds)
        free(wfds);
    return st;
}

enum gp_status loop_run(struct gp_loop *l)
{
    while (!l->stop) {
        if (!l->n_transfers && !l->n_timers && !l->n_fds && !sig_any)
            return GP_OK;
        enum gp_status st = loop_run_once(l, -1);
        if (st != GP_OK)
            return st;
    }
    return GP_OK;
}

uint64_t loop_wakeups(const struct gp_loop *l)
{
    return l->wakeups;
}
