/* SPDX-License-Identifier: MIT
 * net/journal.c: the journal file: a private state directory, O_APPEND writes of whole lines,
 * fsync before returning, and a refusal to use a file other users could read or forge. */
#include "net/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "model/text.h"

enum gp_status journal_state_dir(char *out, size_t n, struct gp_error *err)
{
    const char *xdg = getenv("XDG_STATE_HOME");
    int w;
    if (xdg && xdg[0] == '/') {
        w = snprintf(out, n, "%s/gpup", xdg);
    } else {
        const char *home = getenv("HOME");
        if (!home || home[0] != '/')
            return gp_error_set(err, GP_E_CONFIG, "no state directory: set XDG_STATE_HOME or "
                                                  "HOME to an absolute path");
        w = snprintf(out, n, "%s/.local/state/gpup", home);
    }
    if (w < 0 || (size_t)w >= n)
        return gp_error_set(err, GP_E_CONFIG, "state directory path is too long");
    return GP_OK;
}

enum gp_status journal_make_dir(const char *dir, struct gp_error *err)
{
    char path[4096];
    if (!text_copy(path, sizeof(path), dir) || path[0] != '/')
        return gp_error_set(err, GP_E_IO, "state directory %s: not an absolute path", dir);
    for (char *p = path + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char saved = *p;
            *p = '\0';
            if (mkdir(path, 0700) != 0 && errno != EEXIST)
                return gp_error_set(err, GP_E_IO, "cannot create %s: %s", path, strerror(errno));
            *p = saved;
            if (saved == '\0')
                break;
        }
    }
    struct stat sb;
    if (stat(dir, &sb) != 0)
        return gp_error_set(err, GP_E_IO, "%s: %s", dir, strerror(errno));
    if (!S_ISDIR(sb.st_mode))
        return gp_error_set(err, GP_E_IO, "%s: not a directory", dir);
    if (sb.st_uid != geteuid() || (sb.st_mode & 022) != 0)
        return gp_error_set(err, GP_E_IO,
                            "refusing state directory %s: mode %03o owned by uid %ld; "
                            "it must be yours and not writable by others (chmod 700 %s)",
                            dir, (unsigned)(sb.st_mode & 0777), (long)sb.st_uid, dir);
    return GP_OK;
}

static enum gp_status check_private(int fd, const char *path, struct gp_error *err)
{
    struct stat sb;
    if (fstat(fd, &sb) != 0)
        return gp_error_set(err, GP_E_IO, "%s: %s", path, strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return gp_error_set(err, GP_E_IO, "refusing journal %s: not a regular file", path);
    if (sb.st_uid != geteuid() || (sb.st_mode & 077) != 0)
        return gp_error_set(err, GP_E_IO,
                            "refusing journal %s: mode %03o owned by uid %ld; it must be yours "
                            "with mode 600 (chmod 600 %s)",
                            path, (unsigned)(sb.st_mode & 0777), (long)sb.st_uid, path);
    return GP_OK;
}

static enum gp_status write_all(int fd, const char *data, size_t n, const char *path,
                                struct gp_error *err)
{
    while (n > 0) {
        ssize_t w = write(fd, data, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return gp_error_set(err, GP_E_IO, "cannot write %s: %s", path, strerror(errno));
        }
        data += w;
        n -= (size_t)w;
    }
    while (fsync(fd) != 0) {
        if (errno != EINTR)
            return gp_error_set(err, GP_E_IO, "cannot fsync %s: %s", path, strerror(errno));
    }
    return GP_OK;
}

/* Several gpup processes (different VMs) may share the journal: each append, and the repair of
 * a torn last line, runs under an exclusive flock so one never splits another's line. It is
 * held only for one write and its fsync, so the wait is bounded by a disk flush. */
static void journal_lock(int fd, int op)
{
    while (flock(fd, op) != 0 && errno == EINTR)
        continue; /* another failure (ENOLCK) leaves the write unlocked, as before */
}

static enum gp_status journal_path(char *out, size_t n, const char *dir, struct gp_error *err)
{
    int w = snprintf(out, n, "%s/%s", dir, JOURNAL_FILE_NAME);
    if (w < 0 || (size_t)w >= n)
        return gp_error_set(err, GP_E_IO, "journal path under %s is too long", dir);
    return GP_OK;
}

/* Opens the journal at path for appending (creating it when asked) and checks it is private.
 * Returns the descriptor, or -1 with err set. */
static int open_private(const char *path, bool create, struct gp_error *err)
{
    int fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0), 0600);
    if (fd < 0) {
        gp_error_set(err, GP_E_IO, "cannot open journal %s: %s", path, strerror(errno));
        return -1;
    }
    if (check_private(fd, path, err) != GP_OK) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Opens the file now at jf->path in place of jf->fd (after a rewrite replaced it). */
static enum gp_status reopen(struct journal_file *jf, struct gp_error *err)
{
    int fd = open_private(jf->path, false, err);
    if (fd < 0)
        return GP_E_IO;
    close(jf->fd);
    jf->fd = fd;
    return GP_OK;
}

enum gp_status journal_file_open_in(struct journal_file *jf, const char *dir,
                                    struct gp_error *err)
{
    jf->fd = -1;
    jf->path[0] = '\0';
    GP_TRY(journal_make_dir(dir, err));
    GP_TRY(journal_path(jf->path, sizeof(jf->path), dir, err));
    int fd = open_private(jf->path, true, err);
    if (fd < 0)
        return GP_E_IO;
    enum gp_status st = GP_OK;
    struct stat sb;
    if (fstat(fd, &sb) == 0 && sb.st_size == 0) {
        /* A new file: make its directory entry durable too. */
        int dfd = open(dir, O_RDONLY | O_CLOEXEC);
        if (dfd >= 0) {
            (void)fsync(dfd); /* best effort: the records themselves are fsync'ed */
            close(dfd);
        }
    } else if (sb.st_size > 0) {
        journal_lock(fd, LOCK_EX);
        char last = '\n';
        if (fstat(fd, &sb) == 0 && sb.st_size > 0 &&
            pread(fd, &last, 1, sb.st_size - 1) == 1 && last != '\n')
            st = write_all(fd, "\n", 1, jf->path, err);
        journal_lock(fd, LOCK_UN);
        if (st != GP_OK) {
            close(fd);
            return st;
        }
    }
    jf->fd = fd;
    if (fstat(fd, &sb) == 0 && sb.st_size > (off_t)JOURNAL_COMPACT_AT &&
        journal_file_compact(jf, JOURNAL_KEEP_FINISHED, NULL) != GP_OK) {
        /* The rewrite failed: the journal stays as it was, whole and open. */
    }
    return GP_OK;
}

enum gp_status journal_file_open(struct journal_file *jf, struct gp_error *err)
{
    char dir[4096];
    jf->fd = -1;
    jf->path[0] = '\0';
    GP_TRY(journal_state_dir(dir, sizeof(dir), err));
    return journal_file_open_in(jf, dir, err);
}

void journal_file_close(struct journal_file *jf)
{
    if (jf->fd >= 0)
        close(jf->fd);
    jf->fd = -1;
}

enum gp_status journal_file_append(struct journal_file *jf, const char *line,
                                   struct gp_error *err)
{
    size_t n = line ? strlen(line) : 0;
    if (jf->fd < 0)
        return gp_error_set(err, GP_E_IO, "journal is not open");
    if (n == 0 || line[n - 1] != '\n' || memchr(line, '\n', n - 1))
        return gp_error_set(err, GP_E_INVALID, "journal record must be one whole line");
    for (int reopened = 0;; reopened++) {
        journal_lock(jf->fd, LOCK_EX);
        struct stat sb;
        if (fstat(jf->fd, &sb) == 0 && sb.st_nlink == 0) {
            /* Rewritten by another gpup meanwhile (journal_file_compact): the record goes to
             * the file now at the path, never to the replaced one. A rewrite happens once
             * the file is large, so this ends; a file replaced without end is an error. */
            journal_lock(jf->fd, LOCK_UN);
            if (reopened == 1000)
                return gp_error_set(err, GP_E_IO, "journal %s keeps being replaced", jf->path);
            GP_TRY(reopen(jf, err));
            continue;
        }
        enum gp_status st = write_all(jf->fd, line, n, jf->path, err);
        journal_lock(jf->fd, LOCK_UN);
        return st;
    }
}

/* The len bytes from start of the file behind fd into a new NUL-terminated buffer (fewer when
 * it shrank meanwhile). */
static enum gp_status read_from(int fd, const char *path, off_t start, size_t want, char **out,
                                size_t *out_len, struct gp_error *err)
{
    char *text = malloc(want + 1);
    if (!text) {
        gp_error_set(err, GP_E_NOMEM, "out of memory reading the journal");
        return GP_E_NOMEM;
    }
    size_t got = 0;
    while (got < want) {
        ssize_t r = pread(fd, text + got, want - got, start + (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            free(text);
            gp_error_set(err, GP_E_IO, "cannot read %s: %s", path, strerror(errno));
            return GP_E_IO;
        }
        if (r == 0)
            break; /* shrank meanwhile */
        got += (size_t)r;
    }
    text[got] = '\0';
    *out = text;
    *out_len = got;
    return GP_OK;
}

/* Writes text to a new file beside the journal, fsync'ed, and renames it over the journal; the
 * directory is fsync'ed so the rename survives a crash. Under the journal's lock. */
static enum gp_status replace_with(const struct journal_file *jf, const char *text, size_t len,
                                   struct gp_error *err)
{
    char tmp[sizeof(jf->path) + 16], dir[sizeof(jf->path)];
    int k = snprintf(tmp, sizeof(tmp), "%s.compact", jf->path);
    if (k < 0 || (size_t)k >= sizeof(tmp))
        return gp_error_set(err, GP_E_IO, "journal path %s is too long", jf->path);
    (void)unlink(tmp); /* a rewrite cut short by a crash */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return gp_error_set(err, GP_E_IO, "cannot create %s: %s", tmp, strerror(errno));
    enum gp_status st = write_all(fd, text, len, tmp, err);
    close(fd);
    if (st == GP_OK && rename(tmp, jf->path) != 0)
        st = gp_error_set(err, GP_E_IO, "cannot replace %s: %s", jf->path, strerror(errno));
    if (st != GP_OK) {
        (void)unlink(tmp);
        return st;
    }
    (void)text_copy(dir, sizeof(dir), jf->path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    int dfd = open(slash ? dir : ".", O_RDONLY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    return GP_OK;
}

enum gp_status journal_file_compact(struct journal_file *jf, size_t keep_finished,
                                    struct gp_error *err)
{
    if (jf->fd < 0)
        return gp_error_set(err, GP_E_IO, "journal is not open");
    journal_lock(jf->fd, LOCK_EX);
    struct stat sb;
    enum gp_status st = GP_OK;
    char *text = NULL, *kept = NULL;
    size_t len = 0, kept_len = 0;
    if (fstat(jf->fd, &sb) != 0)
        st = gp_error_set(err, GP_E_IO, "%s: %s", jf->path, strerror(errno));
    else if (sb.st_nlink == 0)
        goto unlock; /* another gpup rewrote it just now */
    if (st == GP_OK)
        st = read_from(jf->fd, jf->path, 0, (size_t)sb.st_size, &text, &len, err);
    if (st == GP_OK)
        st = journal_compact(text, len, keep_finished, &kept, &kept_len, err);
    if (st == GP_OK)
        st = replace_with(jf, kept, kept_len, err);
unlock:
    journal_lock(jf->fd, LOCK_UN);
    free(text);
    free(kept);
    if (st == GP_OK)
        st = reopen(jf, err);
    return st;
}

enum gp_status journal_file_sink(void *ctx, const char *line, struct gp_error *err)
{
    return journal_file_append(ctx, line, err);
}

enum gp_status journal_file_read(const char *dir, char **out_text, size_t *out_len,
                                 struct gp_error *err)
{
    *out_text = NULL;
    *out_len = 0;
    char path[4096];
    GP_TRY(journal_path(path, sizeof(path), dir, err));
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno == ENOENT) {
        *out_text = calloc(1, 1);
        return *out_text ? GP_OK : gp_error_set(err, GP_E_NOMEM, "out of memory");
    }
    if (fd < 0)
        return gp_error_set(err, GP_E_IO, "cannot open journal %s: %s", path, strerror(errno));
    enum gp_status st = check_private(fd, path, err);
    struct stat sb;
    char *text = NULL;
    if (st != GP_OK)
        goto done;
    if (fstat(fd, &sb) != 0) {
        st = gp_error_set(err, GP_E_IO, "%s: %s", path, strerror(errno));
        goto done;
    }
    off_t start = sb.st_size > (off_t)JOURNAL_FILE_MAX ? sb.st_size - (off_t)JOURNAL_FILE_MAX : 0;
    size_t got = 0;
    st = read_from(fd, path, start, (size_t)(sb.st_size - start), &text, &got, err);
    if (st != GP_OK)
        goto done;
    if (start > 0) { /* cut the partial first line of the tail */
        char *nl = memchr(text, '\n', got);
        size_t skip = nl ? (size_t)(nl - text) + 1 : got;
        memmove(text, text + skip, got - skip + 1);
        got -= skip;
    }
    *out_text = text;
    *out_len = got;
    text = NULL;
done:
    free(text);
    close(fd);
    return st;
}

enum gp_status journal_file_load(const char *dir, int64_t now, struct journal_ops *out,
                                 struct gp_error *err)
{
    journal_ops_init(out);
    char def[4096];
    if (!dir) {
        GP_TRY(journal_state_dir(def, sizeof(def), err));
        dir = def;
    }
    char *text;
    size_t len;
    GP_TRY(journal_file_read(dir, &text, &len, err));
    enum gp_status st = journal_replay(text, len, now, out, err);
    free(text);
    return st;
}
