/* SPDX-License-Identifier: MIT
 * net/lock.h: the per-VM lock (product.md 2.3: two gpup instances must not run the same VM's
 * operation at once). $XDG_STATE_HOME/gpup/locks/<hash of the VM id>.lock, taken with a
 * non-blocking flock() and held for the operation; the holder writes its pid into the file.
 * The kernel drops the lock when the holder closes it or dies, so kill -9 never leaves a stale
 * lock. flock() locks belong to the open file, so two opens in one process also exclude. */
#ifndef GPUP_NET_LOCK_H
#define GPUP_NET_LOCK_H

#include <stdbool.h>
#include <stddef.h>

#include "model/status.h"

struct vm_lock {
    int fd;          /* -1 when not held */
    char path[4096];
};

/* Name of the lock file for a VM id: 16 hex digits of FNV-1a 64 over the id, ASCII-lowercased
 * (ARM ids are case-insensitive), plus ".lock". */
void vm_lock_file_name(const char *vm_id, char *out, size_t n);

/* Takes the lock for vm_id under state_dir (NULL: journal_state_dir()). GP_E_BUSY when another
 * open holds it: *out_holder_pid (may be NULL) gets the pid written by the holder, 0 when
 * unknown, and the message names it ("vm-017 is being changed by another gpup (pid 4242)").
 * GP_E_IO otherwise. */
GP_NODISCARD enum gp_status vm_lock_acquire(struct vm_lock *lk, const char *state_dir,
                                            const char *vm_id, const char *vm_name,
                                            long *out_holder_pid, struct gp_error *err);
/* Whether another open holds the VM's lock right now (for `gpup ops list`: an unfinished
 * operation that a live gpup is still running is not offered for resume). *out_pid (may be
 * NULL) gets the holder's pid, 0 when unknown or free. Errors count as not held. */
bool vm_lock_is_held(const char *state_dir, const char *vm_id, long *out_pid);

/* Releases (closes) the lock; the file stays. Idempotent. */
void vm_lock_release(struct vm_lock *lk);

#endif
