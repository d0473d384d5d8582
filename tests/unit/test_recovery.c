/* SPDX-License-Identifier: MIT
 * tests/unit/test_recovery.c: the recovery offered after a failed operation (model/recovery)
 * and when the failure counts as partial (exit status 5). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "model/recovery.h"

static void check(const struct recovery_input *in, const char *const *want, size_t n)
{
    struct recovery_offer out[RECOVERY_MAX_OFFERS];
    size_t got = recovery_offers(in, out, RECOVERY_MAX_OFFERS);
    assert_int_equal(got, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(out[i].label, want[i]);
}

static void test_gpu_change_offers(void **state)
{
    (void)state;
    /* PATCH failed on a VM that was running: it is stopped now, unchanged. */
    struct recovery_input in = {PLAN_GPU_CHANGE, STEP_PATCH_GPUS, "vm-017", 1, POWER_RUNNING,
                                POWER_STOPPED, false};
    static const char *const patch[] = {"Start vm-017 again without the change",
                                        "Retry the attach", "Leave it stopped"};
    check(&in, patch, 3);
    assert_true(recovery_is_partial(&in));
    struct recovery_offer one[1];
    assert_int_equal(recovery_offers(&in, one, 1), 1); /* bounded by max */
    assert_int_equal(one[0].action, RECOVER_START_UNCHANGED);
    assert_string_equal(recovery_action_name(one[0].action), "start-unchanged");

    /* a detach */
    in.n_desired = 0;
    static const char *const detach[] = {"Start vm-017 again without the change",
                                         "Retry the detach", "Leave it stopped"};
    check(&in, detach, 3);

    /* the start failed after the change */
    in.failed_kind = STEP_START;
    in.change_applied = true;
    static const char *const start[] = {"Start vm-017 again (the change is applied)",
                                        "Leave it stopped"};
    check(&in, start, 2);

    /* the stop failed: still running, unchanged, not partial */
    in = (struct recovery_input){PLAN_GPU_CHANGE, STEP_STOP, "vm-017", 1, POWER_RUNNING,
                                 POWER_RUNNING, false};
    static const char *const stop[] = {"Retry the attach", "Leave it running"};
    check(&in, stop, 2);
    assert_false(recovery_is_partial(&in));

    /* a stopped VM's PATCH failed: nothing changed */
    in = (struct recovery_input){PLAN_GPU_CHANGE, STEP_PATCH_GPUS, "vm-017", 1, POWER_STOPPED,
                                 POWER_STOPPED, false};
    static const char *const stopped[] = {"Retry the attach", "Leave it stopped"};
    check(&in, stopped, 2);
    assert_false(recovery_is_partial(&in));

    /* unknown state */
    in.now = POWER_UNKNOWN;
    static const char *const unknown[] = {"Retry the attach", "Leave it as it is"};
    check(&in, unknown, 2);
    assert_true(recovery_is_partial(&in));
}

static void test_power_and_create_offers(void **state)
{
    (void)state;
    struct recovery_input in = {PLAN_POWER, STEP_RESTART, NULL, 0, POWER_RUNNING, POWER_STOPPED,
                                false};
    static const char *const restart[] = {"Retry the restart", "Leave it stopped"};
    check(&in, restart, 2);
    assert_true(recovery_is_partial(&in));
    in = (struct recovery_input){PLAN_POWER, STEP_START, NULL, 0, POWER_STOPPED, POWER_STOPPED,
                                 false};
    static const char *const start[] = {"Retry the start", "Leave it stopped"};
    check(&in, start, 2);
    assert_false(recovery_is_partial(&in));
    in = (struct recovery_input){PLAN_CREATE, STEP_CREATE_VMI, "vm-9", 1, POWER_UNKNOWN,
                                 POWER_UNKNOWN, false};
    static const char *const create[] = {"Retry the create", "Leave it as it is"};
    check(&in, create, 2);
    assert_false(recovery_is_partial(&in));
}

static void test_power_classes(void **state)
{
    (void)state;
    assert_true(recovery_power_is_up(POWER_RUNNING));
    assert_true(recovery_power_is_up(POWER_PAUSED));
    assert_false(recovery_power_is_up(POWER_STOPPED));
    assert_false(recovery_power_is_up(POWER_UNKNOWN));
    assert_true(recovery_power_is_down(POWER_DEALLOCATED));
    assert_false(recovery_power_is_down(POWER_STOPPING));
    assert_string_equal(recovery_action_name(RECOVERY_ACTION_COUNT), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gpu_change_offers),
        cmocka_unit_test(test_power_and_create_offers),
        cmocka_unit_test(test_power_classes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
