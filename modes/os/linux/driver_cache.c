/* SPDX-License-Identifier: MIT */
/* The sandbox's cache directory of the unelevated mode (a directory
 * resource with "contents=cache"): made by the user for their own sandbox,
 * beside their ledger, and filled by sandboxed commands.  Unlike sbx's
 * other directories it is the user's (not root's) and its removal takes
 * the tree with it: what the command left there is the sandbox's, never
 * the user's own work.
 *
 * The rule that keeps removal to the cache: the directory must be named
 * SBX_CACHE_DIR_NAME, sit in a state directory of sbx's (one that holds the
 * plan lock, plan.lock, which every plan takes there and which belongs to
 * the directory's owner), and belong to that directory's owner.  Root's
 * cleanup of a member's ledger (which the member can edit) removes it with
 * the owner's file-system identity, and root's rollback of such a removal
 * makes it again as the owner: a ledger that names somebody else's state
 * directory reaches no more than that user's sandbox cache, disposable by
 * nature. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <unistd.h>

#include "modes/common/cache_env.h"
#include "modes/os/linux/driver_int.h"
#include "state/resource.h"
#include "util/cleanup.h"
#include "util/rmtree.h"

bool sbx_drv_is_cache_dir(const struct sbx_resource *r)
{
    char v[16];
    return r->kind == SBX_R_DIRECTORY && sbx_detail_get(r->detail, "contents", v, sizeof v) == 0 &&
           strcmp(v, "cache") == 0;
}

/* Open the parent of the cache, check the rule above; *parent and its
 * owner on success, -SBX_ENOENT when the parent is gone. */
static int open_parent(const struct sbx_resource *r, int *parent, uid_t *owner, gid_t *group,
                       struct sbx_error *err)
{
    const char *path = r->path ? r->path : r->key;
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (path[0] != '/' || !slash || strcmp(slash + 1, SBX_CACHE_DIR_NAME) != 0 ||
        (size_t)(slash - path) >= sizeof dir)
        return sbx_err_set(err, SBX_EINVAL, "cache directory %s: not <state directory>/%s", path,
                           SBX_CACHE_DIR_NAME);
    memcpy(dir, path, (size_t)(slash - path));
    dir[slash - path] = '\0';
    if (!dir[0])
        return sbx_err_set(err, SBX_EINVAL, "cache directory %s: not in a state directory", path);
    sbx_autofd int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? -SBX_ENOENT
                               : sbx_err_sys(err, SBX_EIO, errno, "open state directory %s", dir);
    struct stat st, lock;
    if (fstat(fd, &st) != 0)
        return sbx_err_sys(err, SBX_EIO, errno, "stat %s", dir);
    if (fstatat(fd, "plan.lock", &lock, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(lock.st_mode) ||
        lock.st_uid != st.st_uid)
        return sbx_err_set(err, SBX_EPERM, "cache directory %s: %s holds no plan lock of its "
                                           "owner's, so it is not an sbx state directory; "
                                           "leaving it",
                           path, dir);
    *owner = st.st_uid;
    *group = st.st_gid;
    *parent = fd;
    fd = -1;
    return 0;
}

static int check_cache(int parent, uid_t owner, const char *path, struct stat *st,
                       struct sbx_error *err)
{
    if (fstatat(parent, SBX_CACHE_DIR_NAME, st, AT_SYMLINK_NOFOLLOW) != 0)
        return errno == ENOENT ? -SBX_ENOENT : sbx_err_sys(err, SBX_EIO, errno, "stat %s", path);
    if (!S_ISDIR(st->st_mode) || st->st_uid != owner)
        return sbx_err_set(err, SBX_EPERM, "%s is not a directory of the state directory's owner "
                                           "(uid %u); leaving it", path, (unsigned)owner);
    return 0;
}

static int make(int parent, uid_t owner, const char *path, struct sbx_resource *r,
                struct sbx_error *err)
{
    /* By name beside the parent's descriptor (O_PATH: mkdirat works with
     * it); an existing one is taken when it passes the checks. */
    if (mkdirat(parent, SBX_CACHE_DIR_NAME, 0700) != 0 && errno != EEXIST)
        return sbx_err_sys(err, SBX_EIO, errno, "create cache directory %s", path);
    struct stat st;
    int rc = check_cache(parent, owner, path, &st, err);
    if (rc)
        return rc == -SBX_ENOENT ? sbx_err_set(err, SBX_EIO, "%s vanished", path) : rc;
    return sbx_resource_set_field(&r->os_id, "made") ? sbx_err_set(err, SBX_ENOMEM, "oom") : 0;
}

static int remove_cache(int parent, uid_t owner, const char *path, struct sbx_error *err)
{
    struct stat st;
    int rc = check_cache(parent, owner, path, &st, err);
    if (rc)
        return rc == -SBX_ENOENT ? 0 : rc;
    sbx_autofd int fd = openat(parent, SBX_CACHE_DIR_NAME,
                               O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "open cache directory %s", path);
    if ((rc = sbx_empty_tree(fd, path, err)) == 0 &&
        unlinkat(parent, SBX_CACHE_DIR_NAME, AT_REMOVEDIR) != 0 && errno != ENOENT)
        rc = sbx_err_sys(err, SBX_EIO, errno, "remove cache directory %s", path);
    return rc;
}

int sbx_drv_cache_apply(enum sbx_action act, struct sbx_resource *r, struct sbx_error *err)
{
    const char *path = r->path ? r->path : r->key;
    sbx_autofd int parent = -1;
    uid_t owner;
    gid_t group;
    int rc = open_parent(r, &parent, &owner, &group, err);
    if (rc == -SBX_ENOENT)
        return act == SBX_ACT_DELETE ? 0
                                     : sbx_err_set(err, SBX_ENOENT, "state directory of %s: gone",
                                                   path);
    if (rc)
        return rc;
    /* As the owner: root's cleanup removes a member's cache with the
     * member's rights, no more, and root's rollback of that makes it again
     * as the member. */
    bool as_owner = geteuid() == 0 && owner != 0;
    if (!as_owner && owner != geteuid())
        return sbx_err_set(err, SBX_EPERM, "%s: the state directory is uid %u's: its cache is "
                                           "theirs to change", path, (unsigned)owner);
    uid_t was_uid = (uid_t)setfsuid((uid_t)-1);
    gid_t was_gid = (gid_t)setfsgid((gid_t)-1);
    if (as_owner) {
        setfsgid(group);
        setfsuid(owner);
    }
    rc = act == SBX_ACT_CREATE ? make(parent, owner, path, r, err)
                               : remove_cache(parent, owner, path, err);
    if (as_owner) {
        setfsuid(was_uid);
        setfsgid(was_gid);
    }
    return rc;
}

int sbx_drv_cache_probe(const struct sbx_resource *r, enum sbx_presence *out,
                        struct sbx_error *err)
{
    sbx_autofd int parent = -1;
    uid_t owner;
    gid_t group;
    struct stat st;
    int rc = open_parent(r, &parent, &owner, &group, err);
    if (rc == 0)
        rc = check_cache(parent, owner, r->path ? r->path : r->key, &st, err);
    *out = rc == 0 ? SBX_PRESENT : rc == -SBX_ENOENT ? SBX_ABSENT : SBX_DIFFERENT;
    return 0;
}
