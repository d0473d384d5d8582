/* SPDX-License-Identifier: MIT
 * net/lock.c: per-VM lock files held with flock() for the length of an operation. */
#include "net/lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/journal.h"

void vm_lock_file_name(const char *vm_id, char *out, size_t n)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (const char *p = vm_id ? vm_id : ""; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        h ^= c;
        h *= 0x100000001b3u;
    }
    (void)snprintf(out, n, "%016llx.lock", (unsigned long long)h);
}

static long read_pid(int fd)
{
    char buf[32];
    ssize_t r = pread(fd, buf, sizeof(buf) - 1, 0);
    if (r <= 0)
        return 0;
    buf[r] = '\0';
    char *end;
    errno = 0;
    long pid = strtol(buf, &end, 10);
    if (errno != 0 || end == buf || pid <= 0)
        return 0;
    return pid;
}

enum gp_status vm_lock_acquire(struct vm_lock *lk, const char *state_dir, const char *vm_id,
                               const char *vm_name, long *out_holder_pid, struct gp_error *err)
{
    lk->fd = -1;
    lk->path[0] = '\0';
    if (out_holder_pid)
        *out_holder_pid = 0;
    char dir[4096], locks[4096], name[64];
    if (state_dir) {
        int w = snprintf(dir, sizeof(dir), "%s", state_dir);
        if (w < 0 || (size_t)w >= sizeof(dir))
            return gp_error_set(err, GP_E_IO, "state directory path is too long");
    } else {
        GP_TRY(journal_state_dir(dir, sizeof(dir), err));
    }
    int w = snprintf(locks, sizeof(locks), "%s/locks", dir);
    if (w < 0 || (size_t)w >= sizeof(locks))
        return gp_error_set(err, GP_E_IO, "lock directory path is too long");
    GP_TRY(journal_make_dir(locks, err));
    vm_lock_file_name(vm_id, name, sizeof(name));
    w = snprintf(lk->path, sizeof(lk->path), "%s/%s", locks, name);
    if (w < 0 || (size_t)w >= sizeof(lk->path))
        return gp_error_set(err, GP_E_IO, "lock file path is too long");
    int fd = open(lk->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return gp_error_set(err, GP_E_IO, "cannot open lock %s: %s", lk->path, strerror(errno));
    while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EINTR)
            continue;
        int e = errno;
        if (e == EWOULDBLOCK) {
            long pid = read_pid(fd);
            close(fd);
            if (out_holder_pid)
                *out_holder_pid = pid;
            const char *who = vm_name ? vm_name : vm_id;
            if (pid > 0)
                return gp_error_set(err, GP_E_BUSY,
                                    "%s is being changed by another gpup (pid %ld); wait for it "
                                    "or stop it",
                                    who, pid);
            return gp_error_set(err, GP_E_BUSY, "%s is being changed by another gpup", who);
        }
        close(fd);
        return gp_error_set(err, GP_E_IO, "cannot lock %s: %s", lk->path, strerror(e));
    }
    char pid[32];
    int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || n < 0 || pwrite(fd, pid, (size_t)n, 0) != (ssize_t)n) {
        int e = errno;
        close(fd);
        return gp_error_set(err, GP_E_IO, "cannot write lock %s: %s", lk->path, strerror(e));
    }
    lk->fd = fd;
    return GP_OK;
}

void vm_lock_release(struct vm_lock *lk)
{
    if (lk->fd >= 0) {
        /* Empty the pid first so a reader never names a finished process. */
        (void)ftruncate(lk->fd, 0); /* best effort: the lock itself goes with close */
        close(lk->fd);
    }
    lk->fd = -1;
}

bool vm_lock_is_held(const char *state_dir, const char *vm_id, long *out_pid)
{
    struct vm_lock lk;
    long pid = 0;
    enum gp_status st = vm_lock_acquire(&lk, state_dir, vm_id, NULL, &pid, NULL);
    if (out_pid)
        *out_pid = st == GP_E_BUSY ? pid : 0;
    if (st == GP_OK)
        vm_lock_release(&lk);
    return st == GP_E_BUSY;
}
