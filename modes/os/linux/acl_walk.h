/* SPDX-License-Identifier: MIT */
/* The edits of the elevated mode's POSIX ACL grants on open objects, and
 * the walk that makes them on a whole tree with every core (acl_walk.c).
 * driver_acl.c decides what to grant; this file only does it. */
#ifndef SBX_MODES_OS_LINUX_ACL_WALK_H
#define SBX_MODES_OS_LINUX_ACL_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "modes/os/os.h"
#include "util/error.h"

/* What to do.  tree: u:ACC:rwX on every directory and regular file,
 * d:u:ACC:rwx and d:u:OWNER:rwx on every directory (removal also takes the
 * owner's access entry the sandbox's files inherited).  Otherwise one
 * access entry for UID on one object (traverse). */
struct sbx_acl_edit {
    bool tree;
    bool grant;            /* or remove */
    uid_t acc[2];          /* tree: the accounts */
    size_t n_acc;
    uid_t owner;           /* tree: the workspace's owner */
    gid_t owner_gid;       /* tree: its root's group, for what is given back */
    uid_t uid;             /* traverse: the account */
    bool kept;             /* traverse: an entry of the user's own, widened */
    struct sbx_os *os;     /* progress (may be NULL) */
    const char *what;      /* progress label */
};

/* The edit on the tree whose root directory is open as fd (closed here)
 * and named path (for messages).  *done: the objects visited. */
int sbx_acl_walk_tree(const struct sbx_acl_edit *ed, int fd, const char *path,
                      unsigned long long *done, struct sbx_error *err);

/* The edit, with perms, on the access ACL of the one object open as fd
 * (a traverse entry). */
int sbx_acl_edit_one(const struct sbx_acl_edit *ed, int fd, const char *path, unsigned perms,
                     struct sbx_error *err);

/* Whether the (default when dflt) ACL of the object open as fd has an
 * entry giving each of uids[0..n-1] at least perms (perms 0: any entry):
 * 0 and *out, or a negative error naming path. */
int sbx_acl_has_perms(int fd, const char *path, bool dflt, const uid_t *uids, size_t n,
                      unsigned perms, bool *out, struct sbx_error *err);

#endif
