/* SPDX-License-Identifier: MIT */
/* Workspace paths: resolving what the user typed into a directory sbx may
 * make writable, and refusing the ones that would hand the command the
 * system or the user's home.
 *
 * A path is resolved once, into a file descriptor, and everything after
 * that goes through the descriptor (or, in the sandbox's init, which
 * inherits no descriptor of sbx's, through a reopen checked against the
 * descriptor's identity: sbx_pin_reopen).  A name is never looked up a
 * second time and trusted: a concurrent process (another run with write
 * access to a parent) could have swapped it for a symlink meanwhile. */
#ifndef SBX_MODES_CONFINE_LINUX_WSPATH_H
#define SBX_MODES_CONFINE_LINUX_WSPATH_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

/* True when path equals root or lies beneath it (both canonical). */
bool sbx_path_within(const char *path, const char *root);

/* Why a canonical directory must not be a workspace for user uid, or NULL
 * when it may.  home: that user's home from the password database (may be
 * NULL), env_home: $HOME (may be NULL). */
const char *sbx_ws_danger(const char *dir, const char *home, const char *env_home);

/* A path resolved once. */
struct sbx_pin {
    int fd;              /* O_PATH, close-on-exec; -1 when none */
    dev_t dev;           /* identity of what fd is open on */
    ino_t ino;
    char path[PATH_MAX]; /* canonical: what the kernel says fd is (/proc/self/fd) */
};

/* sbx_path_pin flags. */
enum {
    /* A workspace: must be a directory; refused when sbx_ws_danger says so,
     * or when a symlink on the way lies where a sandboxed command could
     * have planted it (see wspath.c). */
    SBX_PIN_WORKSPACE = 1u << 0,
    /* Must be a directory. */
    SBX_PIN_DIR = 1u << 1,
};

/* Resolve arg (absolute, or relative to the current directory) for user
 * uid by an O_PATH walk, one component at a time, following symlinks
 * itself (at most 40) so that each one is seen and judged; the result is
 * open in pin->fd and named by the kernel in pin->path.  0, or -SBX_EINVAL
 * (-SBX_ENOENT when a component does not exist) with err saying which
 * component and why. */
int sbx_path_pin(const char *arg, unsigned flags, uid_t uid, struct sbx_pin *pin,
                 struct sbx_error *err);

/* Close pin->fd (if open); fine on a pin never filled. */
void sbx_pin_close(struct sbx_pin *pin);

/* Open the canonical path again, refusing any symlink on the way
 * (openat2 RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS), and check that it
 * is the object (dev, ino) pinned before: an O_PATH fd, or a negative code
 * when the path no longer leads there (-SBX_EIO, err names it).  As long
 * as the pin's own fd stays open, (dev, ino) can't be reused by another
 * object. */
int sbx_pin_reopen(const char *path, dev_t dev, ino_t ino, struct sbx_error *err);

/* sbx's state directory `state` (need not exist yet) must neither lie in
 * nor contain one of the canonical workspaces ws[0..n): a command could
 * otherwise plant a ledger there (or a journal sbx would replay) before
 * sbx makes it.  Judged by the real path of its deepest existing ancestor
 * plus the rest as written: what does not exist yet can only be made
 * beneath that ancestor.  0, or -SBX_EINVAL saying which. */
int sbx_state_outside_workspaces(const char *state, const char *const *ws, size_t n,
                                 struct sbx_error *err);

/* Resolve arg for the user `uid` (see confine.h): sbx_path_pin with
 * SBX_PIN_WORKSPACE, the fd closed, the canonical path in out.  Every
 * refusal is -SBX_EINVAL. */
int sbx_ws_resolve(const char *arg, uid_t uid, char *out, size_t out_len, struct sbx_error *err);

#endif
