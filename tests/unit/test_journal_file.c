/* SPDX-License-Identifier: MIT
 * tests/unit/test_journal_file.c: the journal file (net/journal): where it lives, its modes,
 * whole-line appends that survive reopening, a torn line closed on reopen, refusal of a file
 * or directory other users could read or write, and the rewrite that bounds its size. */
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
#include "model/text.h"
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

/* A power operation's records as gpup writes them: its begin, and its end unless unfinished. */
static void append_op(struct journal_file *jf, const char *id, int64_t t, const char *outcome)
{
    char line[1024];
    int n =
        snprintf(line, sizeof(line),
                 "{\"rec\":\"op-begin\",\"op\":\"%s\",\"t\":%lld,\"kind\":\"power\","
                 "\"vm_id\":\"/subscriptions/s/resourceGroups/r/providers/"
                 "Microsoft.HybridCompute/machines/vm-1\",\"vm_name\":\"vm-1\","
                 "\"before\":{\"power\":\"Running\"},\"steps\":[{\"kind\":\"stop\","
                 "\"method\":\"POST\",\"path\":\"/subscriptions/s/resourceGroups/r/providers/"
                 "Microsoft.HybridCompute/machines/vm-1/stop\",\"expect_power\":\"Stopped\"}]}\n",
                 id, (long long)t);
    assert_true(n > 0 && (size_t)n < sizeof(line));
    assert_int_equal(journal_file_append(jf, line, NULL), GP_OK);
    if (!outcome)
        return;
    char *end;
    assert_int_equal(
        journal_encode_op_end(id, str_eq(outcome, "done") ? JOUT_DONE : JOUT_FAILED, t + 1, &end),
        GP_OK);
    assert_int_equal(journal_file_append(jf, end, NULL), GP_OK);
    free(end);
}

static bool has_op(const struct journal_ops *ops, const char *id)
{
    return journal_ops_find(ops, id, NULL) != NULL;
}

/* A rewrite keeps every operation that needs attention and the newest finished ones, drops
 * the rest, leaves a 0600 file; another gpup that had the journal open before appends to the
 * new file, not to the replaced one. */
static void test_compact_keeps_what_matters(void **state)
{
    struct fixture *f = *state;
    struct journal_file jf, other;
    struct gp_error err;
    assert_int_equal(journal_file_open(&jf, &err), GP_OK);
    assert_int_equal(journal_file_open(&other, &err), GP_OK);
    char id[32];
    for (int i = 0; i < 40; i++) {
        (void)snprintf(id, sizeof(id), "op-%02d", i);
        append_op(&jf, id, 100 + 2 * i, i == 3 ? NULL : i == 7 ? "failed" : "done");
    }
    assert_int_equal(journal_file_append(&jf, "not a record\n", NULL), GP_OK);
    struct stat before, after;
    assert_int_equal(stat(jf.path, &before), 0);
    assert_int_equal(journal_file_compact(&jf, 10, &err), GP_OK);
    assert_int_equal(stat(jf.path, &after), 0);
    assert_true(after.st_size < before.st_size / 2);
    assert_int_equal(after.st_mode & 0777, 0600);

    append_op(&other, "op-late", 500, NULL); /* through the handle opened before */
    append_op(&jf, "op-later", 502, "done");
    struct journal_ops ops;
    assert_int_equal(journal_file_load(f->state, 600, &ops, NULL), GP_OK);
    assert_int_equal(ops.skipped, 0);
    assert_int_equal(ops.n, 2 + 10 + 2); /* op-03, op-07, op-30..op-39, op-late, op-later */
    assert_true(has_op(&ops, "op-03") && has_op(&ops, "op-07"));
    assert_false(has_op(&ops, "op-29"));
    assert_true(has_op(&ops, "op-30") && has_op(&ops, "op-39"));
    assert_true(has_op(&ops, "op-late") && has_op(&ops, "op-later"));
    assert_int_equal(journal_ops_find(&ops, "op-03", NULL)->state, JOP_UNFINISHED);
    assert_int_equal(journal_ops_find(&ops, "op-07", NULL)->state, JOP_FAILED);
    journal_ops_cleanup(&ops);
    char leftover[4200];
    (void)snprintf(leftover, sizeof(leftover), "%s.compact", jf.path);
    assert_int_equal(access(leftover, F_OK), -1);
    journal_file_close(&other);
    journal_file_close(&jf);
}

/* A journal past JOURNAL_COMPACT_AT is rewritten when opened; the unfinished operation at its
 * very start survives it. */
static void test_compact_on_open(void **state)
{
    struct fixture *f = *state;
    struct journal_file jf;
    assert_int_equal(journal_file_open(&jf, NULL), GP_OK);
    append_op(&jf, "op-first", 10, NULL);
    /* The filler is copied from one finished operation's lines (written as gpup does), with
     * plain writes: fsync'ing 8 MB line by line only slows the test. */
    append_op(&jf, "op-000000", 20, "done");
    journal_file_close(&jf);
    char *text;
    size_t len;
    assert_int_equal(journal_file_read(f->state, &text, &len, NULL), GP_OK);
    const char *one = strstr(text, "{\"rec\":\"op-begin\",\"op\":\"op-000000\"");
    assert_non_null(one);
    size_t one_len = len - (size_t)(one - text);
    FILE *out = fopen(jf.path, "a");
    assert_non_null(out);
    char id[32];
    struct stat sb;
    int i = 1;
    for (size_t size = len; size <= JOURNAL_COMPACT_AT; size += one_len, i++) {
        (void)snprintf(id, sizeof(id), "op-%06d", i);
        /* the same records under the next id (ids have the same length) */
        for (const char *p = one; p < one + one_len;) {
            const char *hit = strstr(p, "op-000000");
            size_t upto =
                hit && hit < one + one_len ? (size_t)(hit - p) : (size_t)(one + one_len - p);
            assert_int_equal(fwrite(p, 1, upto, out), upto);
            p += upto;
            if (hit && hit < one + one_len) {
                assert_int_equal(fwrite(id, 1, 9, out), 9);
                p += 9;
            }
        }
    }
    assert_int_equal(fclose(out), 0);
    free(text);
    assert_int_equal(journal_file_open(&jf, NULL), GP_OK);
    assert_int_equal(stat(jf.path, &sb), 0);
    assert_true(sb.st_size < (off_t)JOURNAL_COMPACT_AT / 4);
    journal_file_close(&jf);
    struct journal_ops ops;
    assert_int_equal(journal_file_load(f->state, 10 + 2 * i, &ops, NULL), GP_OK);
    assert_int_equal(ops.n, 1 + JOURNAL_KEEP_FINISHED);
    assert_true(has_op(&ops, "op-first"));
    (void)snprintf(id, sizeof(id), "op-%06d", i - 1);
    assert_true(has_op(&ops, id));
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

/* Rewrites while four processes append unfinished operations (which every rewrite keeps):
 * whichever file each append meets, every operation is there at the end. */
static void test_compact_while_others_append(void **state)
{
    struct fixture *f = *state;
    enum { PROCS = 4, OPS = 60 };
    struct journal_file jf;
    assert_int_equal(journal_file_open(&jf, NULL), GP_OK);
    pid_t kids[PROCS];
    for (int k = 0; k < PROCS; k++) {
        kids[k] = fork();
        assert_true(kids[k] >= 0);
        if (kids[k] == 0) {
            struct journal_file mine;
            if (journal_file_open(&mine, NULL) != GP_OK)
                _exit(1);
            for (int i = 0; i < OPS; i++) {
                char id[32];
                (void)snprintf(id, sizeof(id), "op-%d-%02d", k, i);
                append_op(&mine, id, 100 + i, NULL);
            }
            journal_file_close(&mine);
            _exit(0);
        }
    }
    for (int r = 0; r < 40; r++) {
        assert_int_equal(journal_file_compact(&jf, 0, NULL), GP_OK);
        usleep(2000);
    }
    for (int k = 0; k < PROCS; k++) {
        int status;
        assert_int_equal(waitpid(kids[k], &status, 0), kids[k]);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    assert_int_equal(journal_file_compact(&jf, 0, NULL), GP_OK);
    journal_file_close(&jf);
    struct journal_ops ops;
    assert_int_equal(journal_file_load(f->state, 1000, &ops, NULL), GP_OK);
    assert_int_equal(ops.n, PROCS * OPS);
    assert_int_equal(ops.skipped, 0);
    journal_ops_cleanup(&ops);
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
        cmocka_unit_test_setup_teardown(test_compact_keeps_what_matters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compact_on_open, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compact_while_others_append, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_broad_permissions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_symlink, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
