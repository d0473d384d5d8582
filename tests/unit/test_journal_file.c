/* SPDX-License-Identifier: MIT
 * tests/unit/test_journal_file.c: the journal file (net/journal): where it lives, its modes,
 * whole-line appends that survive reopening, a torn line closed on reopen, and refusal of a
 * file or directory other users could read or write. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "model/journal.h"
#include "net/journal.h"

struct fixture {
    char root[64];
    char state[128]; /* $XDG_STATE_HOME/gpup */
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    memcpy(f->root, "/tmp/gpup-jf-XXXXXX", 20);
    if (!mkdtemp(f->root))
        return -1;
    (void)snprintf(f->state, sizeof(f->state), "%s/gpup", f->root);
    setenv("XDG_STATE_HOME", f->root, 1);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[256];
    (void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
    if (system(cmd) != 0)
        return -1;
    free(f);
    return 0;
}

static void test_state_dir_from_environment(void **state)
{
    struct fixture *f = *state;
    char dir[4096];
    assert_int_equal(journal_state_dir(dir, sizeof(dir), NULL), GP_OK);
    assert_string_equal(dir, f->state);
    setenv("XDG_STATE_HOME", "relative/path", 1); /* ignored, as the XDG spec says */
    setenv("HOME", "/home/op", 1);
    assert_int_equal(journal_state_dir(dir, sizeof(dir), NULL), GP_OK);
    assert_string_equal(dir, "/home/op/.local/state/gpup");
    unsetenv("XDG_STATE_HOME");
    unsetenv("HOME");
    struct gp_error err;
    assert_int_equal(journal_state_dir(dir, sizeof(dir), &err), GP_E_CONFIG);
    assert_non_null(strstr(err.message, "XDG_STATE_HOME"));
}

static void test_append_modes_and_reopen(void **state)
{
    struct fixture *f = *state;
    struct journal_file jf;
    struct gp_error err;
    assert_int_equal(journal_file_open(&jf, &err), GP_OK);
    struct stat sb;
    assert_int_equal(stat(f->state, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);
    assert_int_equal(stat(jf.path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(journal_file_append(&jf, "{\"a\":1}\n", &err), GP_OK);
    assert_int_equal(journal_file_sink(&jf, "{\"b\":2}\n", &err), GP_OK);
    /* not a whole line: refused, nothing written */
    assert_int_equal(journal_file_append(&jf, "{\"c\":3}", &err), GP_E_INVALID);
    assert_int_equal(journal_file_append(&jf, "{}\n{}\n", &err), GP_E_INVALID);
    journal_file_close(&jf);

    assert_int_equal(journal_file_open(&jf, &err), GP_OK);
    assert_int_equal(journal_file_append(&jf, "{\"c\":3}\n", &err), GP_OK);
    journal_file_close(&jf);
    char *text;
    size_t len;
    assert_int_equal(journal_file_read(f->state, &text, &len, &err), GP_OK);
    assert_string_equal(text, "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n");
    assert_int_equal(len, strlen(text));
    free(text);
}

static void test_missing_file_reads_empty(void **state)
{
    struct fixture *f = *state;
    char *text;
    size_t len;
    assert_int_equal(journal_file_read(f->state, &text, &len, NULL), GP_OK);
    assert_int_equal(len, 0);
    assert_string_equal(text, "");
    free(text);
}

/* A record cut short by a crash is closed with '\n' on reopen; the next record parses. */
static void test_torn_line_closed_on_reopen(void **state)
{
    struct fixture *f = *state;
    struct journal_file jf;
    assert_int_equal(journal_file_open(&jf, NULL), GP_OK);
    char *line;
    assert_int_equal(journal_encode_op_end("op-9", JOUT_DONE, 5, &line), GP_OK);
    assert_int_equal(write(jf.fd, "{\"rec\":\"op-be", 13), 13);
    journal_file_close(&jf);
    assert_int_equal(journal_file_open(&jf, NULL), GP_OK);
    assert_int_equal(journal_file_append(&jf, line, NULL), GP_OK);
    journal_file_close(&jf);
    free(line);
    char *text;
    size_t len;
    assert_int_equal(journal_file_read(f->state, &text, &len, NULL), GP_OK);
    assert_string_equal(text,
                        "{\"rec\":\"op-be\n"
                        "{\"rec\":\"op-end\",\"op\":\"op-9\",\"t\":5,\"outcome\":\"done\"}\n");
    struct journal_ops ops;
    assert_int_equal(journal_file_load(NULL, 5, &ops, NULL), GP_OK);
    assert_int_equal(ops.skipped, 2); /* the torn line, and an op-end for an unknown op */
    assert_false(ops.torn);
    assert_int_equal(ops.n, 0);
    journal_ops_cleanup(&ops);
    free(text);
}

/* Records written through the file come back as operations. */
static void test_load_replays(void **state)
{
    struct fixture *f = *state;
    struct journal_file jf;
    assert_int_equal(journal_file_open(&jf, NULL), GP_OK);
    static const char begin[] =
        "{\"rec\":\"op-begin\",\"op\":\"op-1\",\"t\":100,\"kind\":\"power\","
        "\"vm_id\":\"/subscriptions/s/resourceGroups/r/providers/Microsoft.HybridCompute/"
        "machines/vm-1\",\"vm_name\":\"vm-1\",\"before\":{\"power\":\"Running\"},"
        "\"steps\":[{\"kind\":\"stop\",\"method\":\"POST\",\"path\":\"/subscriptions/s/"
        "resourceGroups/r/providers/Microsoft.HybridCompute/machines/vm-1/stop\","
        "\"expect_power\":\"Stopped\"}]}\n";
    assert_int_equal(journal_file_sink(&jf, begin, NULL), GP_OK);
    char *line;
    assert_int_equal(journal_encode_step_begin("op-1", 0, 101, &line), GP_OK);
    assert_int_equal(journal_file_append(&jf, line, NULL), GP_OK);
    free(line);
    journal_file_close(&jf);
    struct journal_ops ops;
    assert_int_equal(journal_file_load(f->state, 160, &ops, NULL), GP_OK);
    assert_int_equal(ops.n, 1);
    assert_int_equal(ops.skipped, 0);
    assert_int_equal(ops.ops[0].state, JOP_UNFINISHED);
    assert_int_equal(ops.ops[0].kind, PLAN_POWER);
    assert_int_equal(ops.ops[0].age_s, 59);
    assert_true(ops.ops[0].steps[0].begun);
    journal_ops_cleanup(&ops);
}

/* Four processes appending at once: every line arrives whole. */
static void test_concurrent_appends_stay_whole(void **state)
{
    struct fixture *f = *state;
    enum { PROCS = 4, LINES = 100 };
    pid_t kids[PROCS];
    for (int k = 0; k < PROCS; k++) {
        kids[k] = fork();
        assert_true(kids[k] >= 0);
        if (kids[k] == 0) {
            struct journal_file jf;
            if (journal_file_open(&jf, NULL) != GP_OK)
                _exit(1);
            for (int i = 0; i < LINES; i++) {
                char *line;
                char id[32];
                (void)snprintf(id, sizeof(id), "op-%d-%d", k, i);
                if (journal_encode_op_end(id, JOUT_DONE, i, &line) != GP_OK ||
                    journal_file_append(&jf, line, NULL) != GP_OK)
                    _exit(1);
                free(line);
            }
            journal_file_close(&jf);
            _exit(0);
        }
    }
    for (int k = 0; k < PROCS; k++) {
        int status;
        assert_int_equal(waitpid(kids[k], &status, 0), kids[k]);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    char *text;
    size_t len;
    assert_int_equal(journal_file_read(f->state, &text, &len, NULL), GP_OK);
    size_t lines = 0;
    for (char *p = text, *nl; (nl = strchr(p, '\n')); p = nl + 1) {
        assert_int_equal(strncmp(p, "{\"rec\":\"op-end\",\"op\":\"op-", 25), 0);
        assert_int_equal(strncmp(nl - 17, "\"outcome\":\"done\"}", 17), 0);
        lines++;
    }
    assert_int_equal(lines, PROCS * LINES);
    free(text);
}

static void test_refuses_broad_permissions(void **state)
{
    struct fixture *f = *state;
    struct journal_file jf;
    struct gp_error err;
    assert_int_equal(journal_file_open(&jf, &err), GP_OK);
    journal_file_close(&jf);
    assert_int_equal(chmod(jf.path, 0644), 0);
    assert_int_equal(journal_file_open(&jf, &err), GP_E_IO);
    assert_int_equal(jf.fd, -1);
    assert_non_null(strstr(err.message, "refusing journal"));
    assert_non_null(strstr(err.message, "mode 644"));
    assert_non_null(strstr(err.message, "chmod 600"));
    char *text;
    size_t len;
    assert_int_equal(journal_file_read(f->state, &text, &len, &err), GP_E_IO);
    assert_null(text);
    assert_int_equal(chmod(jf.path, 0600), 0);
    assert_int_equal(chmod(f->state, 0777), 0);
    assert_int_equal(journal_file_open(&jf, &err), GP_E_IO);
    assert_non_null(strstr(err.message, "refusing state directory"));
    assert_int_equal(chmod(f->state, 0700), 0);
    assert_int_equal(journal_file_open(&jf, &err), GP_OK);
    journal_file_close(&jf);
}

/* A symlink planted in place of the journal is not followed. */
static void test_refuses_symlink(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(journal_make_dir(f->state, NULL), GP_OK);
    char target[256], link[256];
    (void)snprintf(target, sizeof(target), "%s/elsewhere", f->root);
    (void)snprintf(link, sizeof(link), "%s/%s", f->state, JOURNAL_FILE_NAME);
    int fd = open(target, O_CREAT | O_WRONLY, 0600);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(symlink(target, link), 0);
    struct journal_file jf;
    struct gp_error err;
    assert_int_equal(journal_file_open(&jf, &err), GP_E_IO);
    assert_non_null(strstr(err.message, "cannot open journal"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_state_dir_from_environment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append_modes_and_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_file_reads_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_line_closed_on_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_replays, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_appends_stay_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_broad_permissions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_symlink, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
