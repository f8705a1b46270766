/* SPDX-License-Identifier: MIT */
/* What the setuid launcher and sbx share: the launcher's root-owned
 * configuration (written by setup, read by the launcher and by `sbx run`),
 * the O(1) check that a workspace root carries the grant of an account, and
 * path walks that never follow a symlink.
 *
 * Compiled into both sbx and the launcher; no SQLite, no allocation beyond
 * libacl's own, nothing read from the environment. */
#ifndef SBX_MODES_COMMON_LINUX_LAUNCH_CONF_H
#define SBX_MODES_COMMON_LINUX_LAUNCH_CONF_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/acl.h>
#include <sys/types.h>

#include "util/cleanup.h"
#include "util/error.h"

/* Marker sbx puts in the comment (GECOS) of its accounts and in the
 * comment of its nft table: objects without it are never removed. */
#define SBX_MARKER "sbx-managed"

/* File names next to the installed launcher (the directory is root's). */
#define SBX_LAUNCH_NAME "sbx-launch"
#define SBX_LAUNCH_CONF_NAME "sbx-launch.conf"

#define SBX_LAUNCH_MAX_PORTS 16
#define SBX_LAUNCH_NAME_MAX 64
/* Members with a pair of their own; a configuration is at most this big. */
#define SBX_LAUNCH_MAX_MEMBERS 256
#define SBX_LAUNCH_CONF_MAX 65536

enum sbx_launch_role { SBX_ROLE_OFFLINE = 0, SBX_ROLE_ONLINE = 1, SBX_ROLE_COUNT = 2 };

struct sbx_launch_account {
    char name[SBX_LAUNCH_NAME_MAX];
    uid_t uid;
    gid_t gid;
    char home[PATH_MAX]; /* filled by sbx_launch_conf_account: HOMES/NAME */
};

/* One member's own sandbox accounts: nothing of one member's pair is
 * another member's (the parser refuses a uid or name used twice). */
struct sbx_launch_member {
    uid_t member; /* the caller's real uid */
    struct {
        char name[SBX_LAUNCH_NAME_MAX];
        uid_t uid;
        gid_t gid;
    } acct[SBX_ROLE_COUNT];
};

/* Format 2 (per-member pairs):
 *   sbx-launch-conf 2
 *   group NAME GID
 *   homes DIR                      (each account's home is DIR/NAME)
 *   member UID OFFNAME OFFUID OFFGID ONNAME ONUID ONGID   (one per member)
 *   loopback_port N                (0..16 of them)
 * Lines starting with '#' are comments.  Format 1 (one shared pair) is
 * refused: its machine must be migrated (`sbx migrate` as root). */
struct sbx_launch_conf {
    char group[SBX_LAUNCH_NAME_MAX]; /* the callers' group (sbx-users) */
    gid_t gid;
    char homes[PATH_MAX];
    struct sbx_launch_member members[SBX_LAUNCH_MAX_MEMBERS];
    size_t n_members;
    unsigned ports[SBX_LAUNCH_MAX_PORTS]; /* loopback ports open to offline */
    size_t n_ports;
};

const char *sbx_launch_role_name(enum sbx_launch_role role);

/* Text form (what setup installs).  Returns the length or a negative code. */
int sbx_launch_conf_format(const struct sbx_launch_conf *c, char *buf, size_t len,
                           struct sbx_error *err);
int sbx_launch_conf_parse(const char *text, struct sbx_launch_conf *c, struct sbx_error *err);

/* The pair of the member whose real uid is member, or NULL. */
const struct sbx_launch_member *sbx_launch_conf_member(const struct sbx_launch_conf *c,
                                                      uid_t member);
/* One account of m, its home included; -SBX_EINVAL when the path is too
 * long. */
int sbx_launch_conf_account(const struct sbx_launch_conf *c, const struct sbx_launch_member *m,
                            enum sbx_launch_role role, struct sbx_launch_account *out,
                            struct sbx_error *err);

/* Read and parse path.  When trusted_only, the file and every directory
 * above it must belong to root and be writable by nobody else (a sticky
 * root-owned directory like /tmp is accepted: others can't replace root's
 * entries in it); this is what the launcher requires. */
int sbx_launch_conf_read(const char *path, bool trusted_only, struct sbx_launch_conf *c,
                         struct sbx_error *err);

/* Is path (absolute) and each directory above it owned by root and not
 * writable by group or others (sticky root-owned directories accepted)? */
int sbx_path_root_owned(const char *path, struct sbx_error *err);

/* Open an absolute path component by component with O_NOFOLLOW: any
 * symlink on the way is refused (-SBX_EPERM).  flags are those of the last
 * component (O_DIRECTORY, O_RDONLY, ...). */
int sbx_open_nofollow(const char *abs, int flags, struct sbx_error *err);

/* The O(1) grant check on a workspace root opened as dirfd: the access ACL
 * holds an entry for uid with rwx that the mask lets through, and the
 * default ACL holds one too (so what the sandbox creates inherits it).
 * *ok tells; errors only for failed system calls. */
int sbx_grant_check_fd(int dirfd, uid_t uid, bool *ok, struct sbx_error *err);

/* rwx (4|2|1) of an ACL entry's permission set; 0 when unreadable. */
unsigned sbx_acl_entry_perms(acl_entry_t e);

/* sbx_autoptr(acl) acl_t a = acl_get_fd(fd): freed when a leaves its
 * scope (for the launcher and the ACL driver alike). */
SBX_DEFINE_AUTOPTR(acl, acl_t, acl_free)

#endif
