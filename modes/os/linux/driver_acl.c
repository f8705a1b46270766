/* SPDX-License-Identifier: MIT */
/* POSIX ACL grants of the elevated mode (libacl).
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
 *             1.6-1.9x slower than `setfacl -R` on 100,000 files;
 *   traverse  one per (ancestor, account): u:ACCOUNT:--x.
 *
 * The tree walk works through fds (openat + O_NOFOLLOW, default ACLs via
 * the fd's /proc/self/fd link): a symlink planted in the tree is never
 * followed, which matters when root runs the walk on a user's tree.
 * Removal takes out exactly the entries of the recorded uid and recomputes
 * the mask; once no named entry is left the mask goes too, so the mode
 * bits are what they were before. */
#include <acl/libacl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/acl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "modes/common/linux/launch_conf.h"
#include "util/cleanup.h"
#include "modes/os/linux/driver_api.h"
#include "modes/os/linux/driver_int.h"

enum entry_kind { E_TREE, E_TRAVERSE };

struct walk {
    struct sbx_os *os;
    enum entry_kind kind;
    bool grant;           /* grant or remove */
    uid_t uid;            /* traverse: the account */
    uid_t acc[2];         /* tree: the accounts (access + default entries) */
    size_t n_acc;
    uid_t owner;          /* tree: default entry for the owner */
    gid_t owner_gid;      /* tree: the root's group, for files given back */
    dev_t root_dev;       /* tree: the root's identity, recorded */
    ino_t root_ino;
    bool kept;            /* traverse: merged into an entry that was there */
    char path[PATH_MAX];  /* of the object at hand, for messages */
    size_t path_len;
    unsigned long long done;
    const char *what;     /* progress label */
    struct sbx_error *err;
};

static int perms_set(acl_entry_t e, unsigned p)
{
    acl_permset_t ps;
    if (acl_get_permset(e, &ps) != 0 || acl_clear_perms(ps) != 0)
        return -1;
    if ((p & 4 && acl_add_perm(ps, ACL_READ)) || (p & 2 && acl_add_perm(ps, ACL_WRITE)) ||
        (p & 1 && acl_add_perm(ps, ACL_EXECUTE)))
        return -1;
    return acl_set_permset(e, ps);
}

/* The entry of tag (ACL_USER with qualifier uid, or a base tag). */
static bool find_entry(acl_t acl, acl_tag_t want, uid_t uid, acl_entry_t *out)
{
    acl_entry_t e;
    for (int w = ACL_FIRST_ENTRY; acl_get_entry(acl, w, &e) == 1; w = ACL_NEXT_ENTRY) {
        acl_tag_t tag;
        if (acl_get_tag_type(e, &tag) != 0 || tag != want)
            continue;
        if (tag != ACL_USER) {
            *out = e;
            return true;
        }
        uid_t *q = acl_get_qualifier(e);
        bool match = q && *q == uid;
        if (q)
            acl_free(q);
        if (match) {
            *out = e;
            return true;
        }
    }
    return false;
}

static size_t count_named(acl_t acl)
{
    size_t n = 0;
    acl_entry_t e;
    for (int w = ACL_FIRST_ENTRY; acl_get_entry(acl, w, &e) == 1; w = ACL_NEXT_ENTRY) {
        acl_tag_t tag;
        if (acl_get_tag_type(e, &tag) == 0 && (tag == ACL_USER || tag == ACL_GROUP))
            n++;
    }
    return n;
}

/* Add (or widen to) perms for uid in *acl, or remove uid's entry (only
 * the bits in perms when only_bits).  *changed is set when it did. */
static int edit_one(acl_t *acl, uid_t uid, bool grant, unsigned perms, bool only_bits,
                    bool *changed)
{
    acl_entry_t e, m;
    bool have = find_entry(*acl, ACL_USER, uid, &e);
    if (grant) {
        unsigned cur = have ? sbx_acl_entry_perms(e) : 0;
        bool mask_ok =
            find_entry(*acl, ACL_MASK, 0, &m) && (sbx_acl_entry_perms(m) & perms) == perms;
        if (have && (cur & perms) == perms && mask_ok)
            return 0;
        if (!have && (acl_create_entry(acl, &e) != 0 || acl_set_tag_type(e, ACL_USER) != 0 ||
                      acl_set_qualifier(e, &uid) != 0))
            return -1;
        if (perms_set(e, cur | perms) != 0)
            return -1;
    } else {
        if (!have)
            return 0;
        unsigned left = only_bits ? sbx_acl_entry_perms(e) & ~perms : 0;
        if (only_bits && left) {
            if (perms_set(e, left) != 0)
                return -1;
        } else if (acl_delete_entry(*acl, e) != 0) {
            return -1;
        }
    }
    *changed = true;
    return 0;
}

/* After edits: the mask covers the group class again, or goes when no
 * named entry is left (the mode's group bits are then the group's).  The
 * group keeps only what the mask let through: a file the sandbox made
 * 0644 under sbx's default entries has group::r-x masked to r--, and
 * without the mask would come back rw-r-xr--, group-executable. */
static int fix_mask(acl_t *acl)
{
    acl_entry_t m, g;
    if (count_named(*acl) > 0)
        return acl_calc_mask(acl);
    if (!find_entry(*acl, ACL_MASK, 0, &m))
        return 0;
    if (find_entry(*acl, ACL_GROUP_OBJ, 0, &g) &&
        perms_set(g, sbx_acl_entry_perms(g) & sbx_acl_entry_perms(m)) != 0)
        return -1;
    return acl_delete_entry(*acl, m);
}

static int fail(struct walk *w, int errnum, const char *what)
{
    if (errnum == EPERM)
        return sbx_err_set(w->err, SBX_EPERM,
                           "cannot %s the ACL of %s: only its owner or root may; chown it to "
                           "yourself, move it out of the workspace, or run as root",
                           what, w->path);
    return sbx_err_sys(w->err, SBX_EIO, errnum, "%s the ACL of %s", what, w->path);
}

/* Access ACL of an open object.  fd may be O_PATH (then via /proc). */
static int do_access(struct walk *w, int fd, bool o_path, unsigned perms)
{
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    sbx_autoptr(acl) acl_t acl = o_path ? acl_get_file(proc, ACL_TYPE_ACCESS) : acl_get_fd(fd);
    if (!acl)
        return fail(w, errno, "read");
    bool changed = false;
    if (w->kind == E_TRAVERSE) {
        if (edit_one(&acl, w->uid, w->grant, perms, w->kept, &changed) != 0)
            return fail(w, errno, "edit");
    } else {
        for (size_t i = 0; i < w->n_acc; i++)
            if (edit_one(&acl, w->acc[i], w->grant, perms, false, &changed) != 0)
                return fail(w, errno, "edit");
        /* What the sandbox created inherited a named entry for the owner
         * from sbx's default entry: it goes with the grant. */
        if (!w->grant && edit_one(&acl, w->owner, false, perms, false, &changed) != 0)
            return fail(w, errno, "edit");
    }
    if (!changed)
        return 0;
    /* Nothing named left: back to a plain mode, without a mask. */
    if (fix_mask(&acl) != 0)
        return fail(w, errno, "edit");
    int rc = o_path ? acl_set_file(proc, ACL_TYPE_ACCESS, acl) : acl_set_fd(fd, acl);
    return rc ? fail(w, errno, "write") : 0;
}

/* Default ACL of a directory open as fd. */
static int do_default(struct walk *w, int fd)
{
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    sbx_autoptr(acl) acl_t acl = acl_get_file(proc, ACL_TYPE_DEFAULT);
    if (!acl)
        return fail(w, errno, "read the default");
    if (acl_entries(acl) == 0) {
        if (!w->grant)
            return 0;
        /* A first default ACL starts from the directory's base entries,
         * as setfacl does. */
        sbx_autoptr(acl) acl_t acc = acl_get_fd(fd);
        if (!acc)
            return fail(w, errno, "read");
        static const acl_tag_t base[] = {ACL_USER_OBJ, ACL_GROUP_OBJ, ACL_OTHER};
        for (size_t i = 0; i < 3; i++) {
            acl_entry_t src, dst;
            if (!find_entry(acc, base[i], 0, &src) || acl_create_entry(&acl, &dst) != 0 ||
                acl_copy_entry(dst, src) != 0)
                return fail(w, errno ? errno : EINVAL, "build the default");
        }
    }
    bool changed = false;
    for (size_t i = 0; i < w->n_acc + 1; i++)
        if (edit_one(&acl, i < w->n_acc ? w->acc[i] : w->owner, w->grant, 7, false, &changed))
            return fail(w, errno, "edit the default");
    if (!changed)
        return 0;
    if (fix_mask(&acl) != 0)
        return fail(w, errno, "edit the default");
    /* Nothing named left: no default ACL at all, as before the grant. */
    if (!w->grant && count_named(acl) == 0)
        return acl_delete_def_file(proc) ? fail(w, errno, "remove the default") : 0;
    return acl_set_file(proc, ACL_TYPE_DEFAULT, acl) ? fail(w, errno, "write the default") : 0;
}

/* Done by the workspace's owner (not root): what the sandbox created
 * belongs to its account, and only root may change its ACL or give it
 * back.  A grant leaves it alone (it inherited sbx's entries when it was
 * made).  A removal stops there rather than leave such files behind with
 * sbx's entries, owned by an account cleanup may delete: the plan is
 * rolled back and the message says what to do.  Returns 1 to skip. */
static int sandbox_owned(struct walk *w, int fd)
{
    if (geteuid() == 0)
        return 0;
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_uid == geteuid())
        return 0;
    char name[64], gecos[256];
    if (sbx_drv_user_by_uid(st.st_uid, name, sizeof name, gecos, sizeof gecos) != 0 ||
        !sbx_drv_gecos_marked(gecos))
        return 0;
    if (w->grant)
        return 1;
    return sbx_err_set(w->err, SBX_EPERM,
                       "%s was made by the sandbox (it belongs to %s): only root can take "
                       "sbx's entries off it and give it back to you; ask root to run `sbx "
                       "migrate --to unelevated --user YOU` (or sbx cleanup), or delete it "
                       "first",
                       w->path, name);
}

/* Removing a tree grant as root gives what the sandbox accounts own back
 * to the workspace's owner (and the root's group): the accounts may be
 * deleted next, and their
 * files must not be left to a dangling uid (or to the next account that
 * gets it). */
static int give_back(struct walk *w, int fd)
{
    if (w->grant || w->kind != E_TREE || geteuid() != 0)
        return 0;
    struct stat st;
    if (fstat(fd, &st) != 0)
        return fail(w, errno, "stat for");
    for (size_t i = 0; i < w->n_acc; i++) {
        if (st.st_uid != w->acc[i])
            continue;
        if (fchownat(fd, "", w->owner, w->owner_gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0)
            return sbx_err_sys(w->err, SBX_EIO, errno, "cannot give %s back to uid %u",
                               w->path, (unsigned)w->owner);
        break;
    }
    return 0;
}

static void progress(struct walk *w)
{
    if (++w->done % 4096 == 0 && w->os && w->os->progress)
        w->os->progress(w->os->progress_ctx, w->what, w->done, 0);
}

static int walk_dir(struct walk *w, int dfd, unsigned depth);

/* One directory entry of the tree. */
static int visit(struct walk *w, int dfd, const char *name, unsigned char type, unsigned depth)
{
    size_t saved = w->path_len;
    int n = snprintf(w->path + saved, sizeof w->path - saved, "/%s", name);
    if (n < 0 || (size_t)n >= sizeof w->path - saved)
        return sbx_err_set(w->err, SBX_EINVAL, "%s/%s: path too long", w->path, name);
    w->path_len += (size_t)n;
    if (type == DT_UNKNOWN) {
        struct stat st;
        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            w->path_len = saved;
            w->path[saved] = '\0';
            return errno == ENOENT ? 0 : sbx_err_sys(w->err, SBX_EIO, errno, "%s", w->path);
        }
        type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_LNK;
    }
    int rc = 0;
    /* Only directories and regular files carry grants: symlinks have no
     * ACL of their own and devices / fifos are left alone. */
    if (type == DT_DIR) {
        int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            rc = errno == ENOENT ? 0 : fail(w, errno, "open for");
        else
            rc = walk_dir(w, fd, depth + 1); /* closes fd */
    } else if (type == DT_REG && w->kind == E_TREE) {
        bool o_path = false;
        int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0 && errno == EACCES) {
            /* The owner may have made its own file unreadable. */
            fd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
            o_path = true;
        }
        struct stat st;
        if (fd < 0) {
            rc = errno == ENOENT || errno == ELOOP ? 0 : fail(w, errno, "open for");
        } else if (fstat(fd, &st) != 0) {
            rc = fail(w, errno, "stat for");
        } else if (S_ISREG(st.st_mode) && (rc = sandbox_owned(w, fd)) == 0) {
            rc = do_access(w, fd, o_path, (st.st_mode & 0111) ? 7 : 6);
            if (rc == 0)
                rc = give_back(w, fd);
            progress(w);
        } else if (rc > 0) {
            rc = 0; /* the sandbox's own file, left as it is */
        }
        if (fd >= 0)
            close(fd);
    }
    w->path_len = saved;
    w->path[saved] = '\0';
    return rc;
}

/* Grant / remove on the directory open as dfd and everything beneath it.
 * Takes ownership of dfd. */
static int walk_dir(struct walk *w, int dfd, unsigned depth)
{
    if (depth > 2048) {
        close(dfd);
        return sbx_err_set(w->err, SBX_EINVAL, "%s: directories nested deeper than 2048",
                           w->path);
    }
    int rc = sandbox_owned(w, dfd);
    bool skip = rc > 0;
    if (skip)
        rc = 0;
    if (rc == 0 && !skip && w->kind == E_TREE)
        rc = do_access(w, dfd, false, 7);
    if (rc == 0 && !skip)
        rc = do_default(w, dfd);
    if (rc == 0 && !skip)
        rc = give_back(w, dfd);
    progress(w);
    DIR *d = rc == 0 ? fdopendir(dfd) : NULL;
    if (!d) {
        if (rc == 0)
            rc = fail(w, errno, "list for");
        close(dfd);
        return rc;
    }
    struct dirent *de;
    while (rc == 0 && (errno = 0, de = readdir(d))) {
        if (de->d_name[0] == '.' &&
            (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
            continue;
        rc = visit(w, dirfd(d), de->d_name, de->d_type, depth);
    }
    if (rc == 0 && errno)
        rc = fail(w, errno, "list for");
    closedir(d);
    return rc;
}

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
                   struct walk *w, struct sbx_error *err)
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
    struct walk w = {.os = os, .kind = d.kind, .grant = grant, .err = err};
    if ((rc = resolve(r, &d, grant, &w, err)))
        return rc;
    int fd = sbx_open_nofollow(d.path, O_RDONLY | O_DIRECTORY, err);
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
    if (fstat(fd, &st) != 0) {
        close(fd);
        return sbx_err_sys(err, SBX_EIO, errno, "stat %s", d.path);
    }
    rc = check_account(&d, w.acc[0], grant, err);
    if (rc == 0 && d.kind == E_TREE)
        rc = check_account(&d, w.acc[1], grant, err);
    /* The owner's default entry: only for the owner of the tree. */
    if (rc == 0 && d.kind == E_TREE && w.owner != st.st_uid)
        rc = sbx_err_set(err, SBX_EPERM,
                         "ACL entry %s: uid %u does not own %s (uid %u does); refusing", r->key,
                         (unsigned)w.owner, d.path, (unsigned)st.st_uid);
    if (rc) {
        close(fd);
        return rc;
    }
    w.owner_gid = st.st_gid;
    w.root_dev = st.st_dev;
    w.root_ino = st.st_ino;
    snprintf(w.path, sizeof w.path, "%s", strcmp(d.path, "/") ? d.path : "");
    w.path_len = strlen(w.path);
    char what[PATH_MAX + 64];
    snprintf(what, sizeof what, "%s %s on %s", grant ? "granting" : "removing", d.grantee, d.path);
    w.what = what;
    if (d.kind == E_TRAVERSE) {
        /* An entry of the user's own for this uid is widened, not replaced,
         * and only the execute bit sbx added is taken back later. */
        w.kept = r->os_id && strstr(r->os_id, "+kept") != NULL;
        if (grant && !w.kept) {
            sbx_autoptr(acl) acl_t acl = acl_get_fd(fd);
            acl_entry_t e;
            w.kept = acl && find_entry(acl, ACL_USER, w.uid, &e);
        }
        rc = do_access(&w, fd, false, 1);
        close(fd);
    } else {
        rc = walk_dir(&w, fd, 0);
    }
    if (rc)
        return rc;
    if (os && os->progress) {
        os->progress(os->progress_ctx, what, w.done, w.done);
    }
    char buf[64];
    if (d.kind == E_TREE)
        /* The root's device and inode: a tree moved later is found again
         * by them (find_moved). */
        snprintf(buf, sizeof buf, "%u,%u,%u,%llu:%llu", (unsigned)w.acc[0], (unsigned)w.acc[1],
                 (unsigned)w.owner, (unsigned long long)w.root_dev,
                 (unsigned long long)w.root_ino);
    else
        snprintf(buf, sizeof buf, "%u%s", (unsigned)w.uid, w.kept ? "+kept" : "");
    if (sbx_resource_set_field(&r->os_id, buf))
        return sbx_err_set(err, SBX_ENOMEM, "out of memory");
    snprintf(buf, sizeof buf, "%u", (unsigned)w.acc[0]);
    return sbx_resource_set_field(&r->principal, buf) ? sbx_err_set(err, SBX_ENOMEM, "oom") : 0;
}

static bool has_perms(acl_t acl, uid_t uid, unsigned want)
{
    acl_entry_t e;
    return acl && find_entry(acl, ACL_USER, uid, &e) &&
           (sbx_acl_entry_perms(e) & want) == want;
}

/* O(1): the root's own entries tell whether the grant is there. */
int sbx_drv_acl_probe(const struct sbx_resource *r, enum sbx_presence *out,
                      struct sbx_error *err)
{
    struct acl_desc d;
    int rc = acl_desc(r, &d, err);
    if (rc)
        return rc;
    struct walk w = {0};
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
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    sbx_autoptr(acl) acl_t acc = acl_get_fd(fd);
    sbx_autoptr(acl) acl_t def = d.kind == E_TRAVERSE ? NULL : acl_get_file(proc, ACL_TYPE_DEFAULT);
    if (!acc || (d.kind != E_TRAVERSE && !def))
        return sbx_err_sys(err, SBX_EIO, errno, "read the ACL of %s", d.path);
    bool present;
    if (d.kind == E_TRAVERSE)
        present = has_perms(acc, w.uid, 1);
    else
        present = has_perms(acc, w.acc[0], 7) && has_perms(acc, w.acc[1], 7) &&
                  has_perms(def, w.acc[0], 7) && has_perms(def, w.acc[1], 7) &&
                  has_perms(def, w.owner, 7);
    *out = present ? SBX_PRESENT : SBX_ABSENT;
    return 0;
}
