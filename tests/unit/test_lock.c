/* SPDX-License-Identifier: MIT
 * tests/unit/test_lock.c: the per-VM lock (net/lock): a second holder in this process or in
 * another one gets GP_E_BUSY naming the holder's pid; a holder killed with SIGKILL leaves no
 * stale lock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/lock.h"

#define VM_A "/subscriptions/s/resourceGroups/rg/providers/Microsoft.HybridCompute/machines/vm-017"
#define VM_B "/subscriptions/s/resourceGroups/rg/providers/Microsoft.HybridCompute/machines/vm-018"

static char root[64];
static char dir[128];

static int setup(void **state)
{
    (void)state;
    memcpy(root, "/tmp/gpup-lk-XXXXXX", 20);
    if (!mkdtemp(root))
        return -1;
    (void)snprintf(dir, sizeof(dir), "%s/gpup", root);
    setenv("XDG_STATE_HOME", root, 1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[256];
    (void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_file_name_is_case_insensitive_hash(void **state)
{
    (void)state;
    char a[64], b[64], c[64];
    vm_lock_file_name(VM_A, a, sizeof(a));
    vm_lock_file_name("/SUBSCRIPTIONS/S/resourcegroups/RG/providers/microsoft.hybridcompute/"
                      "machines/VM-017",
                      b, sizeof(b));
    vm_lock_file_name(VM_B, c, sizeof(c));
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    assert_int_equal(strlen(a), 16 + 5);
    assert_string_equal(a + 16, ".lock");
}

static void test_second_open_in_process_is_busy(void **state)
{
    (void)state;
    struct vm_lock one, two, other;
    struct gp_error err;
    long pid = -1;
    assert_int_equal(vm_lock_acquire(&one, NULL, VM_A, "vm-017", NULL, &err), GP_OK);
    struct stat sb;
    assert_int_equal(stat(one.path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(strncmp(one.path, dir, strlen(dir)), 0);
    assert_int_equal(vm_lock_acquire(&two, dir, VM_A, "vm-017", &pid, &err), GP_E_BUSY);
    assert_int_equal(pid, (long)getpid());
    char want[128];
    (void)snprintf(want, sizeof(want), "vm-017 is being changed by another gpup (pid %ld)",
                   (long)getpid());
    assert_non_null(strstr(err.message, want));
    assert_int_equal(two.fd, -1);
    /* another VM is independent */
    assert_int_equal(vm_lock_acquire(&other, dir, VM_B, "vm-018", NULL, &err), GP_OK);
    vm_lock_release(&one);
    vm_lock_release(&one); /* idempotent */
    assert_int_equal(vm_lock_acquire(&two, dir, VM_A, "vm-017", &pid, &err), GP_OK);
    vm_lock_release(&two);
    vm_lock_release(&other);
}

static void test_other_process_then_sigkill(void **state)
{
    (void)state;
    int ready[2];
    assert_int_equal(pipe(ready), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        struct vm_lock lk;
        close(ready[0]);
        if (vm_lock_acquire(&lk, dir, VM_A, "vm-017", NULL, NULL) != GP_OK)
            _exit(1);
        if (write(ready[1], "k", 1) != 1)
            _exit(1);
        for (;;)
            pause(); /* held until killed */
    }
    close(ready[1]);
    char c;
    assert_int_equal(read(ready[0], &c, 1), 1); /* the child holds the lock now */
    close(ready[0]);
    struct vm_lock lk;
    struct gp_error err;
    long pid = 0;
    assert_int_equal(vm_lock_acquire(&lk, dir, VM_A, "vm-017", &pid, &err), GP_E_BUSY);
    assert_int_equal(pid, (long)child);
    assert_true(vm_lock_is_held(dir, VM_A, &pid));
    assert_int_equal(pid, (long)child);
    assert_false(vm_lock_is_held(dir, VM_B, &pid));
    assert_int_equal(pid, 0);
    assert_int_equal(kill(child, SIGKILL), 0);
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFSIGNALED(status));
    /* no stale lock after kill -9 */
    assert_false(vm_lock_is_held(dir, VM_A, &pid));
    assert_int_equal(vm_lock_acquire(&lk, dir, VM_A, "vm-017", &pid, &err), GP_OK);
    vm_lock_release(&lk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_name_is_case_insensitive_hash),
        cmocka_unit_test_setup_teardown(test_second_open_in_process_is_busy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_process_then_sigkill, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
