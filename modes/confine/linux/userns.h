/* SPDX-License-Identifier: MIT */
/* The user + mount namespace side of the sandbox: the id maps written by
 * the parent, and the read-only view of the file system built inside. */
#ifndef SBX_MODES_CONFINE_LINUX_USERNS_H
#define SBX_MODES_CONFINE_LINUX_USERNS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "modes/confine/linux/wspath.h"
#include "util/error.h"

/* Write the uid/gid maps of `pid`, a child that has just entered a new
 * user namespace.  An ordinary caller maps only itself (setgroups denied);
 * root maps every id it has, identically, so files keep their owners and
 * root keeps reading what it can read. */
int sbx_userns_write_maps(pid_t pid, struct sbx_error *err);

/* The view to build (all paths canonical). */
struct sbx_view {
    const char *const *rw;   /* workspaces and the private TMPDIR: writable */
    size_t n_rw;
    const char *const *ro;   /* protected paths inside them: read-only again */
    size_t n_ro;
    /* What sbx resolved and checked each of them to, in the same order
     * (wspath.h): init inherits none of sbx's descriptors, so it opens each
     * path again without following any symlink and builds the view only
     * on the very objects sbx checked (same device and inode, which sbx's
     * still open descriptors keep from being reused); anything else ends
     * the run before the command starts. */
    const struct sbx_pin *rw_pin;
    const struct sbx_pin *ro_pin;
    /* Out (init's memory, n_rw slots): init's descriptor on each rw
     * directory, the object checked, left open for the command's Landlock
     * rules (sbx_policy.rw_fd), so no rule is built from a name either. */
    int *rw_fd;
    unsigned long long shm_bytes; /* size of the private /dev/shm (> 0) */
    /* > 0: the last rw path is the private TMPDIR, and gets a tmpfs of
     * this size (nosuid, nodev, 0700) instead of a bind: it vanishes with
     * the mount namespace, whatever the command left in it. */
    unsigned long long tmp_bytes;
    /* Hidden (hide.h): each covered last by an empty read-only stand-in,
     * found again through its pin like the others. */
    const char *const *hide;
    const struct sbx_pin *hide_pin;
    size_t n_hide;
};

typedef void (*sbx_note_fn)(const char *note, void *ctx);

/* Inside the new user + mount (+ PID) namespace, as its pid 1: make every
 * mount read-only, mount a fresh /proc and a minimal /dev (null, zero,
 * full, random, urandom, tty, a private devpts and a private /dev/shm of
 * shm_bytes),
 * then bind the rw paths writable (nosuid, nodev: a device node or a
 * setuid file in a workspace is no more than a file there), the TMPDIR's
 * tmpfs, and the ro paths read-only over them.
 * Problems that weaken the sandbox without breaking it go to note(). */
int sbx_view_build(const struct sbx_view *v, sbx_note_fn note, void *ctx,
                   struct sbx_error *err);

#endif
