/* SPDX-License-Identifier: MIT
 * tests/fuzz/replay.c: runs a fuzz harness over its committed corpus inside `make check`, so
 * every seed and every crash ever found stays a regression test. Linked with one
 * tests/fuzz/fuzz_<name>.c; the corpus is $GPUP_SRCDIR/tests/fuzz/corpus/<name>, the name
 * taken from this program's own name (replay_<name>). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char corpus_dir[4096];

static unsigned char *read_file(const char *path, size_t *out_len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    unsigned char *data = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 4096;
            unsigned char *grown = realloc(data, cap);
            if (!grown)
                break;
            data = grown;
        }
        size_t got = fread(data + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    fclose(f);
    *out_len = len;
    return data;
}

static void test_replay_corpus(void **state)
{
    (void)state;
    DIR *d = opendir(corpus_dir);
    if (!d)
        fail_msg("cannot open corpus %s", corpus_dir);
    size_t runs = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[8192];
        int n = snprintf(path, sizeof path, "%s/%s", corpus_dir, e->d_name);
        assert_true(n > 0 && (size_t)n < sizeof path);
        size_t len = 0;
        unsigned char *data = read_file(path, &len);
        assert_non_null(data);
        /* A crash or sanitizer report ends the program: cmocka then reports it as failed. */
        (void)LLVMFuzzerTestOneInput(data, len);
        free(data);
        runs++;
    }
    closedir(d);
    print_message("replayed %zu inputs from %s\n", runs, corpus_dir);
    assert_true(runs > 0);
}

int main(int argc, char **argv)
{
    (void)argc;
    const char *self = strrchr(argv[0], '/');
    self = self ? self + 1 : argv[0];
    const char *name = strncmp(self, "replay_", 7) == 0 ? self + 7 : self;
    const char *src = getenv("GPUP_SRCDIR");
    int n = snprintf(corpus_dir, sizeof corpus_dir, "%s/tests/fuzz/corpus/%s", src ? src : ".",
                     name);
    if (n < 0 || (size_t)n >= sizeof corpus_dir)
        return 2;
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_replay_corpus)};
    return cmocka_run_group_tests_name(name, tests, NULL, NULL);
}
