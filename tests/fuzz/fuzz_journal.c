/* SPDX-License-Identifier: MIT
 * tests/fuzz/fuzz_journal.c: any text as the operations journal (model/journal replay): what
 * replay keeps must be consistent, turn back into a plan, and re-encode into records that
 * replay to the same operation; and a rewrite (journal_compact) keeps every operation that needs
 * attention as it was. Built by `make fuzz` with libFuzzer and replayed by
 * `make check` over tests/fuzz/corpus/journal. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/journal.h"
#include "model/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW 1795600000

static void check_op(const struct journal_op *op)
{
    if (op->n_steps > JOURNAL_MAX_STEPS || op->next_step > op->n_steps ||
        (op->failed_step != SIZE_MAX && op->failed_step >= op->n_steps) || op->age_s < 0 ||
        (unsigned)op->state >= JOURNAL_OP_STATE_COUNT ||
        strnlen(op->id, sizeof(op->id)) == sizeof(op->id))
        abort();
    (void)journal_op_needs_attention(op);
    (void)journal_op_state_name(op->state);

    struct gp_error err;
    struct plan p;
    plan_init(&p);
    if (journal_op_to_plan(op, &p, &err) == GP_OK) {
        char *text = NULL;
        if (plan_format(&p, &text) == GP_OK)
            free(text);
    }
    plan_cleanup(&p);

    /* Its op-begin record, replayed alone, is the same unfinished operation. */
    char *line = NULL;
    if (journal_encode_op_begin(op, &line) != GP_OK)
        return;
    struct journal_ops again;
    journal_ops_init(&again);
    if (journal_replay(line, strlen(line), NOW, &again, &err) != GP_OK || again.n != 1 ||
        again.skipped != 0 || !str_eq(again.ops[0].id, op->id) ||
        again.ops[0].n_steps != op->n_steps || again.ops[0].kind != op->kind)
        abort();
    journal_ops_cleanup(&again);
    free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct gp_error err;
    struct journal_ops ops;
    journal_ops_init(&ops);
    if (journal_replay((const char *)data, size, NOW, &ops, &err) == GP_OK) {
        if (ops.n > JOURNAL_MAX_OPS)
            abort();
        for (size_t i = 0; i < ops.n; i++)
            check_op(&ops.ops[i]);
    }
    /* A rewrite of the journal (net/journal) replays to the same operations needing
     * attention, in the same state, and to no more operations than the journal held. */
    char *kept = NULL;
    size_t kept_len = 0;
    if (journal_compact((const char *)data, size, 1, &kept, &kept_len, &err) == GP_OK) {
        struct journal_ops after;
        if (kept_len > size + 1 || journal_replay(kept, kept_len, NOW, &after, &err) != GP_OK)
            abort();
        if (after.n > ops.n || after.torn)
            abort();
        for (size_t i = 0; i < ops.n; i++) {
            const struct journal_op *a = &ops.ops[i];
            if (!journal_op_needs_attention(a))
                continue;
            const struct journal_op *b = journal_ops_find(&after, a->id, NULL);
            if (!b || b->state != a->state || b->next_step != a->next_step ||
                b->n_steps != a->n_steps || b->failed_step != a->failed_step)
                abort();
        }
        journal_ops_cleanup(&after);
        free(kept);
    }
    journal_ops_cleanup(&ops);
    return 0;
}
