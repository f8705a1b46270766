/* SPDX-License-Identifier: MIT */
/* POSIX ACL grants of the elevated mode: what to grant, to whom, where
 * (the edits and the walk are acl_walk.c's, the ACL format acl_xattr.c's).
 *
 * Two kinds of resource:
 *   tree      one per workspace root: u:A:rwX and u:B:rwX (the two sandbox
 *             accounts) on every directory and regular file beneath it,
 *             d:u:A:rwx and d:u:B:rwx on every directory so what gets
 *             created later inherits them, and d:u:OWNER:rwx so what the
 *             sandbox creates stays editable by the developer (the umask is
 *             not applied beneath a default ACL; the mask is the creating
 *             call's mode: 0666 files get rw for everyone named, 0644 ones
 *             only r).  One walk for all of them: a walk per account was
 *             1.6-1.9x slower than `setfacl -R` on 100,000 files; the
 *             walk is shared by every core (acl_walk.c);
 *   traverse  one per (ancestor, account): u:ACCOUNT:--x.
 *
 * The tree walk works through fds (openat + O_NOFOLLOW, the ACLs read and
 * written on the fd): a symlink planted in the tree is never followed,
 * which matters when root runs the walk on a user's tree.
 * Removal takes out exactly the entries of the recorded uid and recomputes
 * the mask; once no named entry is left the mask goes too, so the mode
 * bits are what they were before. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "modes/common/linux/launch_conf.h"
#include "modes/os/linux/acl_walk.h"
#include "modes/os/linux/driver_api.h"
#include "modes/os/linux/driver_int.h"
#include "util/cleanup.h"

enum entry_kind { E_TREE, E_TRAVERSE };

/* --- resources ------------------------------------------------------------ */

struct acl_desc {
    enum entry_kind kind;
    char grantee[64], also[64], owner[64];
    const char *path;
};

static int acl_desc(const struct sbx_resource *r, struct acl_desc *d, struct sbx_error *err)
{
    char kind[32];
    memset(d, 0, sizeof *d);
    d->path = r->path;
    if (!d->path || d->path[0] != '/' ||
        sbx_detail_get(r->detail, "grantee", d->grantee, sizeof d->grantee) != 0 ||
        sbx_detail_get(r->detail, "entry", kind, sizeof kind) != 0)
        return sbx_err_set(err, SBX_EINVAL, "ACL entry %s: path, grantee or entry missing",
                           r->key);
    if (strcmp(kind, "tree") == 0) {
        d->kind = E_TREE;
        if (sbx_detail_get(r->detail, "also", d->also, sizeof d->also) != 0 ||
            sbx_detail_get(r->detail, "owner", d->owner, sizeof d->owner) != 0)
            return sbx_err_set(err, SBX_EINVAL, "ACL entry %s: second account or owner missing",
                               r->key);
    } else if (strcmp(kind, "traverse") == 0) {
        d->kind = E_TRAVERSE;
    } else {
        return sbx_err_set(err, SBX_EINVAL, "ACL entry %s: unknown entry kind %s", r->key, kind);
    }
    return 0;
}

/* May sbx add / remove entries naming uid?  Its own accounts, or (removal
 * only) a uid no account has any more, whose entry names nobody. */
static int check_account(const struct acl_desc *d, uid_t uid, bool grant, struct sbx_error *err)
{
    char gecos[256];
    bool exists = sbx_drv_user_by_uid(uid, NULL, 0, gecos, sizeof gecos) == 0;
    if (uid != 0 && ((exists && sbx_drv_gecos_marked(gecos)) || (!exists && !grant)))
        return 0;
    return sbx_err_set(err, SBX_EPERM,
                       "ACL entry for uid %u on %s: not one of sbx's accounts; refusing to %s it",
                       (unsigned)uid, d->path, grant ? "grant" : "remove");
}

/* The uids: resolved by name to grant; the recorded ones to remove
 * (os_id "A,B,OWNER" for a tree, "A[+kept]" for a traverse entry). */
static int resolve(const struct sbx_resource *r, const struct acl_desc *d, bool grant,
                   struct sbx_acl_edit *w, struct sbx_error *err)
{
    if (grant) {
        const char *names[3] = {d->grantee, d->also, d->owner};
        /* A traverse entry names one account: the others stay 0, never
         * read from the stack. */
        uid_t ids[3] = {0, 0, 0};
        for (int i = 0; i < (d->kind == E_TREE ? 3 : 1); i++)
            if (sbx_drv_user_by_name(names[i], &ids[i], NULL, NULL, 0, NULL, 0) != 0)
                return sbx_err_set(err, SBX_ENOENT,
                                   "ACL entry %s: no account %s (is the elevated mode set up? "
                                   "run `sbx setup` as root)",
                                   r->key, names[i]);
        w->uid = w->acc[0] = ids[0];
        w->acc[1] = ids[1];
        w->owner = ids[2];
        w->n_acc = d->kind == E_TREE ? 2 : 0;
        return 0;
    }
    unsigned a = 0, b = 0, c = 0;
    int n = r->os_id ? sscanf(r->os_id, "%u,%u,%u", &a, &b, &c) : 0;
    if (n < (d->kind == E_TREE ? 3 : 1))
        return sbx_err_set(err, SBX_EPERM,
                           "ACL entry %s: no uids recorded; sbx removes entries by uid only",
                           r->key);
    w->uid = w->acc[0] = a;
    w->acc[1] = b;
    w->owner = c;
    w->n_acc = d->kind == E_TREE ? 2 : 0;
    return 0;
}

/* Search dir (fd, path) for the directory dev:ino, depth-first. */
static bool search_ino(int fd, const char *path, dev_t dev, ino_t ino, unsigned depth, char *out,
                       size_t len)
{
    DIR *d = depth <= 64 ? fdopendir(fd) : NULL;
    if (!d) {
        close(fd);
        return false;
    }
    bool found = false;
    struct dirent *e;
    while (!found && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
            (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN))
            continue;
        int sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        char subpath[PATH_MAX];
        if (sub < 0)
            continue;
        if (fstat(sub, &st) != 0 || st.st_dev != dev ||
            snprintf(subpath, sizeof subpath, "%s/%s", path, e->d_name) >= (int)sizeof subpath) {
            close(sub);
            continue;
        }
        if (st.st_ino == ino) {
            snprintf(out, len, "%s", subpath);
            close(sub);
            found = true;
        } else {
            found = search_ino(sub, subpath, dev, ino, depth + 1, out, len);
        }
    }
    closedir(d);
    return found;
}

/* Where a granted tree went when its path is gone: the directory with the
 * recorded device and inode, under its owner's home (where workspaces
 * live).  False when it is not there (deleted, or moved elsewhere). */
static bool find_moved(const struct sbx_resource *r, uid_t owner, char *out, size_t len)
{
    unsigned a, b, c;
    unsigned long long dev, ino;
    if (!r->os_id || sscanf(r->os_id, "%u,%u,%u,%llu:%llu", &a, &b, &c, &dev, &ino) != 5)
        return false;
    struct passwd *pw = getpwuid(owner);
    if (!pw || !pw->pw_dir || pw->pw_dir[0] != '/' || strcmp(pw->pw_dir, "/") == 0)
        return false;
    int fd = open(pw->pw_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return false;
    if (fstat(fd, &st) != 0 || st.st_dev != (dev_t)dev) {
        close(fd);
        return false;
    }
    return search_ino(fd, pw->pw_dir, (dev_t)dev, (ino_t)ino, 0, out, len);
}

int sbx_drv_acl_apply(struct sbx_os *os, enum sbx_action act, struct sbx_resource *r,
                      struct sbx_error *err)
{
    struct acl_desc d;
    int rc = acl_desc(r, &d, err);
    if (rc)
        return rc;
    bool grant = act == SBX_ACT_CREATE;
    struct sbx_acl_edit w = {.os = os, .tree = d.kind == E_TREE, .grant = grant};
    if ((rc = resolve(r, &d, grant, &w, err)))
        return rc;
    sbx_autofd int fd = sbx_open_nofollow(d.path, O_RDONLY | O_DIRECTORY, err);
    char moved[PATH_MAX];
    if (fd < 0 && !grant && fd == -SBX_ENOENT && d.kind == E_TREE &&
        find_moved(r, w.owner, moved, sizeof moved)) {
        /* Moved since it was granted: the grant goes where the tree is. */
        sbx_err_clear(err);
        d.path = moved;
        fd = sbx_open_nofollow(d.path, O_RDONLY | O_DIRECTORY, err);
    }
    if (fd < 0) {
        if (!grant && fd == -SBX_ENOENT)
            return 0; /* the directory is gone, and its entries with it */
        return sbx_err_wrap(err, "ACL entry %s", r->key);
    }
    struct stat st;
    if (fstat(fd, &st) != 0)
        return sbx_err_sys(err, SBX_EIO, errno, "stat %s", d.path);
    rc = check_account(&d, w.acc[0], grant, err);
    if (rc == 0 && d.kind == E_TREE)
        rc = check_account(&d, w.acc[1], grant, err);
    /* The owner's default entry: only for the owner of the tree. */
    if (rc == 0 && d.kind == E_TREE && w.owner != st.st_uid)
        rc = sbx_err_set(err, SBX_EPERM,
                         "ACL entry %s: uid %u does not own %s (uid %u does); refusing", r->key,
                         (unsigned)w.owner, d.path, (unsigned)st.st_uid);
    if (rc)
        return rc;
    w.owner_gid = st.st_gid;
    char what[PATH_MAX + 64];
    snprintf(what, sizeof what, "%s %s on %s", grant ? "granting" : "removing", d.grantee, d.path);
    w.what = what;
    unsigned long long done = 1;
    if (d.kind == E_TRAVERSE) {
        /* An entry of the user's own for this uid is widened, not replaced,
         * and only the execute bit sbx added is taken back later. */
        w.kept = r->os_id && strstr(r->os_id, "+kept") != NULL;
        if (grant && !w.kept &&
            (rc = sbx_acl_has_perms(fd, d.path, false, &w.uid, 1, 0, &w.kept, err)))
            return rc;
        rc = sbx_acl_edit_one(&w, fd, d.path, 1, err);
    } else {
        rc = sbx_acl_walk_tree(&w, sbx_steal_fd(&fd), d.path, &done, err);
    }
    if (rc)
        return rc;
    if (os && os->progress) {
        os->progress(os->progress_ctx, what, done, done);
    }
    char buf[64];
    if (d.kind == E_TREE)
        /* The root's device and inode: a tree moved later is found again
         * by them (find_moved). */
        snprintf(buf, sizeof buf, "%u,%u,%u,%llu:%llu", (unsigned)w.acc[0], (unsigned)w.acc[1],
                 (unsigned)w.owner, (unsigned long long)st.st_dev,
                 (unsigned long long)st.st_ino);
    else
        snprintf(buf, sizeof buf, "%u%s", (unsigned)w.uid, w.kept ? "+kept" : "");
    if (sbx_resource_set_field(&r->os_id, buf))
        return sbx_err_set(err, SBX_ENOMEM, "out of memory");
    snprintf(buf, sizeof buf, "%u", (unsigned)w.acc[0]);
    return sbx_resource_set_field(&r->principal, buf) ? sbx_err_set(err, SBX_ENOMEM, "oom") : 0;
}

/* O(1): the root's own entries tell whether the grant is there. */
int sbx_drv_acl_probe(const struct sbx_resource *r, enum sbx_presence *out,
                      struct sbx_error *err)
{
    struct acl_desc d;
    int rc = acl_desc(r, &d, err);
    if (rc)
        return rc;
    struct sbx_acl_edit w = {0};
    struct sbx_error ignored = {0};
    /* Recorded uids when there are, else the names' (after a crash). */
    if (resolve(r, &d, !r->os_id, &w, &ignored) != 0) {
        *out = SBX_ABSENT;
        return 0;
    }
    sbx_autofd int fd = sbx_open_nofollow(d.path, O_RDONLY | O_DIRECTORY, &ignored);
    if (fd < 0) {
        *out = SBX_ABSENT;
        return 0;
    }
    bool present = false;
    if (d.kind == E_TRAVERSE) {
        rc = sbx_acl_has_perms(fd, d.path, false, &w.uid, 1, 1, &present, err);
    } else {
        const uid_t all[3] = {w.acc[0], w.acc[1], w.owner};
        rc = sbx_acl_has_perms(fd, d.path, false, all, 2, 7, &present, err);
        if (rc == 0 && present)
            rc = sbx_acl_has_perms(fd, d.path, true, all, 3, 7, &present, err);
    }
    if (rc)
        return rc;
    *out = present ? SBX_PRESENT : SBX_ABSENT;
    return 0;
}
