/* SPDX-License-Identifier: MIT
 * tests/unit/test_loop.c: the event loop's timers (order, cancel, virtual time), fd watches,
 * signals and stop, without any network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "net/loop.h"

struct log {
    char text[64];
    size_t n;
    struct gp_loop *loop;
};

static void log_a(void *ctx) { struct log *g = ctx; g->text[g->n++] = 'a'; }
static void log_b(void *ctx) { struct log *g = ctx; g->text[g->n++] = 'b'; }
static void log_c(void *ctx) { struct log *g = ctx; g->text[g->n++] = 'c'; }

static void test_timers_fire_in_deadline_order(void **state)
{
    (void)state;
    struct gp_loop *l;
    assert_int_equal(loop_new(&l), GP_OK);
    loop_use_virtual_clock(l);
    struct log g = {.n = 0};
    assert_true(loop_timer_add(l, 300, log_c, &g) != 0);
    assert_true(loop_timer_add(l, 100, log_a, &g) != 0);
    uint64_t b = loop_timer_add(l, 200, log_b, &g);
    assert_true(loop_timer_add(l, 100, log_b, &g) != 0); /* same deadline: after the first */
    loop_timer_cancel(l, b);
    assert_int_equal(loop_next_timer_ms(l), 100);
    assert_int_equal(loop_run(l), GP_OK); /* returns: nothing left to wait for */
    assert_string_equal(g.text, "abc");
    assert_int_equal(loop_now_ms(l), 300); /* virtual time jumped, no sleeping */
    assert_int_equal(loop_next_timer_ms(l), -1);
    loop_free(l);
}

static void rearm(void *ctx)
{
    struct log *g = ctx;
    g->text[g->n++] = 'r';
    if (g->n < 5)
        assert_true(loop_timer_add(g->loop, 0, rearm, g) != 0);
}

static void test_zero_delay_rearm_does_not_starve(void **state)
{
    (void)state;
    struct gp_loop *l;
    assert_int_equal(loop_new(&l), GP_OK);
    loop_use_virtual_clock(l);
    struct log g = {.n = 0, .loop = l};
    assert_true(loop_timer_add(l, 0, rearm, &g) != 0);
    assert_int_equal(loop_run_once(l, 0), GP_OK);
    assert_string_equal(g.text, "r"); /* one per pass */
    assert_int_equal(loop_run(l), GP_OK);
    assert_string_equal(g.text, "rrrrr");
    loop_free(l);
}

struct fdctx {
    int calls;
    char got;
    struct gp_loop *loop;
};

static void on_readable(void *ctx, int fd, short revents)
{
    struct fdctx *f = ctx;
    assert_true(revents & POLLIN);
    assert_int_equal(read(fd, &f->got, 1), 1);
    f->calls++;
    loop_unwatch_fd(f->loop, fd);
}

static void test_fd_watch(void **state)
{
    (void)state;
    struct gp_loop *l;
    assert_int_equal(loop_new(&l), GP_OK);
    int p[2];
    assert_int_equal(pipe(p), 0);
    struct fdctx f = {.loop = l};
    assert_int_equal(loop_watch_fd(l, p[0], POLLIN, on_readable, &f), GP_OK);
    assert_int_equal(loop_run_once(l, 0), GP_OK);
    assert_int_equal(f.calls, 0);
    assert_int_equal(write(p[1], "x", 1), 1);
    assert_int_equal(loop_run_once(l, 1000), GP_OK);
    assert_int_equal(f.calls, 1);
    assert_int_equal(f.got, 'x');
    assert_int_equal(loop_run(l), GP_OK); /* unwatched: nothing left */
    close(p[0]);
    close(p[1]);
    loop_free(l);
}

static void on_sig(void *ctx, int signo)
{
    struct fdctx *f = ctx;
    assert_int_equal(signo, SIGUSR1);
    f->calls++;
    loop_stop(f->loop);
}

static void test_signal_runs_in_loop_and_stops(void **state)
{
    (void)state;
    struct gp_loop *l;
    assert_int_equal(loop_new(&l), GP_OK);
    struct fdctx f = {.loop = l};
    assert_int_equal(loop_watch_signal(l, SIGUSR1, on_sig, &f), GP_OK);
    /* A long timer keeps loop_run waiting; only the signal can end it. */
    struct log g = {.n = 0};
    assert_true(loop_timer_add(l, 60000, log_a, &g) != 0);
    raise(SIGUSR1);
    assert_int_equal(loop_run(l), GP_OK);
    assert_int_equal(f.calls, 1);
    assert_true(loop_stopped(l));
    assert_int_equal(g.n, 0);
    loop_free(l);
    /* The previous disposition is back after loop_free. */
    struct sigaction sa;
    sigaction(SIGUSR1, NULL, &sa);
    assert_ptr_equal(sa.sa_handler, SIG_DFL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timers_fire_in_deadline_order),
        cmocka_unit_test(test_zero_delay_rearm_does_not_starve),
        cmocka_unit_test(test_fd_watch),
        cmocka_unit_test(test_signal_runs_in_loop_and_stops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
