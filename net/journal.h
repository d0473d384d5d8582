/* SPDX-License-Identifier: MIT
 * net/journal.h: the journal file (product.md 2.3): $XDG_STATE_HOME/gpup/journal.jsonl, by
 * default ~/.local/state/gpup/journal.jsonl; directory 0700, file 0600 (a file other users may
 * read or write is refused). Whole lines are appended with O_APPEND and fsync'ed before the call
 * returns, so a record that was reported written survives a crash or kill -9. The records
 * themselves are model/journal's. */
#ifndef GPUP_NET_JOURNAL_H
#define GPUP_NET_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "model/journal.h"

#include "model/status.h"

#define JOURNAL_FILE_NAME "journal.jsonl"
#define JOURNAL_FILE_MAX (32u * 1024u * 1024u) /* read back at most this much (the newest) */
#define JOURNAL_COMPACT_AT (8u * 1024u * 1024u) /* a journal past this is rewritten at open */
#define JOURNAL_KEEP_FINISHED 1000u             /* finished operations a rewrite keeps */

struct journal_file {
    int fd;          /* -1 when closed */
    char path[4096];
};

/* The state directory: "$XDG_STATE_HOME/gpup" (an absolute XDG_STATE_HOME only, as the XDG
 * spec says), else "$HOME/.local/state/gpup". GP_E_CONFIG when neither is usable. */
GP_NODISCARD enum gp_status journal_state_dir(char *out, size_t n, struct gp_error *err);

/* Creates dir (and missing parents) with mode 0700. An existing gpup directory that others may
 * write is refused (GP_E_IO). */
GP_NODISCARD enum gp_status journal_make_dir(const char *dir, struct gp_error *err);

/* Opens (creating) the journal in the state directory for appending. A file that is not a
 * regular file, not ours, or readable/writable by group or others is refused (GP_E_IO, message
 * says which mode and how to fix it). An incomplete last line (a write cut short) is closed with
 * a newline so the next record starts clean. *jf is filled; close with journal_file_close. */
GP_NODISCARD enum gp_status journal_file_open(struct journal_file *jf, struct gp_error *err);
/* The same with an explicit directory (tests, --state-dir). */
GP_NODISCARD enum gp_status journal_file_open_in(struct journal_file *jf, const char *dir,
                                                 struct gp_error *err);
void journal_file_close(struct journal_file *jf);

/* Rewrites the open journal with what journal_compact keeps (keep_finished finished operations
 * and every one that needs attention): the new file is written beside it, fsync'ed and renamed
 * over it under the journal's lock, so a crash leaves the old file or the new one, whole.
 * Another gpup appending through the replaced file finds it unlinked under the lock and
 * reopens the path before writing (journal_file_append), so no record is lost. Opening a
 * journal larger than JOURNAL_COMPACT_AT does this with JOURNAL_KEEP_FINISHED (a failure there
 * leaves the file as it was and is not an error of the open). GP_E_IO, GP_E_NOMEM. */
GP_NODISCARD enum gp_status journal_file_compact(struct journal_file *jf, size_t keep_finished,
                                                 struct gp_error *err);

/* Appends one whole line (it must end with '\n') and fsyncs. GP_E_IO. */
GP_NODISCARD enum gp_status journal_file_append(struct journal_file *jf, const char *line,
                                                struct gp_error *err);
/* The same with the signature of an executor journal sink (ctx is a struct journal_file *). */
GP_NODISCARD enum gp_status journal_file_sink(void *ctx, const char *line, struct gp_error *err);

/* Reads the whole journal (its last JOURNAL_FILE_MAX bytes when larger) into a new buffer,
 * NUL-terminated (caller frees); a missing file reads as empty. Same permission checks as open.
 * GP_E_IO, GP_E_NOMEM. */
GP_NODISCARD enum gp_status journal_file_read(const char *dir, char **out_text, size_t *out_len,
                                              struct gp_error *err);

/* Reads the journal in dir (NULL: journal_state_dir()) and replays it (model/journal) into
 * *out (initialised here; free with journal_ops_cleanup). now is the wall clock. */
GP_NODISCARD enum gp_status journal_file_load(const char *dir, int64_t now,
                                              struct journal_ops *out, struct gp_error *err);

#endif
