/* SPDX-License-Identifier: MIT */
/* Hiding paths in the sandbox's mount view: each covered by an empty,
 * read-only stand-in (an empty tmpfs for a directory, an empty file for a
 * file), so the command reads nothing there.  What the credentials list
 * (modes/common/secret_paths.h) and --allow-read decide. */
#ifndef SBX_MODES_CONFINE_LINUX_HIDE_H
#define SBX_MODES_CONFINE_LINUX_HIDE_H

#include <stddef.h>
#include <sys/types.h>

#include "modes/confine/linux/wspath.h"
#include "util/error.h"

/* The credential paths (modes/common/secret_paths.h) beneath each of
 * homes[0..n_homes) that exist, each pinned into out[] (a symlink is
 * followed: what it leads to is hidden; the same object once), except
 * those allow[] names: a path equal to one of them or inside one.  An
 * allow[] path inside a hidden one is refused (-SBX_EINVAL): the folder
 * around it would stay hidden.  A path that can't be looked at (no
 * permission) is skipped: the command can't read it either.  *n_out: how
 * many; out[] has room for n_homes * sbx_n_secret_paths + n_extra.  extra[]:
 * more absolute paths to hide the same way (the configuration's). */
int sbx_hide_resolve(const char *const *homes, size_t n_homes, const char *const *extra,
                     size_t n_extra, const char *const *allow, size_t n_allow, uid_t uid,
                     struct sbx_pin *out, size_t *n_out, struct sbx_error *err);

/* In the sandbox's mount namespace: cover each path[i], found again
 * without symlinks and checked to be the object pinned (sbx_pin_reopen),
 * with an empty read-only stand-in of the same kind. */
int sbx_hide_paths(const char *const *path, const struct sbx_pin *pin, size_t n,
                   struct sbx_error *err);

#endif
