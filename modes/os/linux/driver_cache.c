/* SPDX-License-Identifier: MIT */
/* The sandbox's cache directory of the unelevated mode (a directory
 * resource with "contents=cache"): made by the user for their own sandbox,
 * beside their ledger, and filled by sandboxed commands.  Unlike sbx's
 * other directories it is the user's (not root's) and its removal takes
 * the tree with it: what the command left there is the sandbox's, never
 * the user's own work.
 *
 * The rule that keeps removal to the cache: the directory must be named
 * SBX_CACHE_DIR_NAME, sit beside a ledger.db, and belong to that ledger's
 * owner, who owns the parent too.  Root's cleanup of a member's ledger
 * (which the member can edit) removes it with the member's file-system
 * identity, so a ledger that names somebody else's directory removes
 * nothing the member couldn't remove. */
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

/* Open the parent of the cache, check the rule above; *parent and the
 * owner on success, -SBX_ENOENT when the parent is gone. */
static int open_parent(const struct sbx_resource *r, int *parent, uid_t *owner,
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
    struct stat st, ledger;
    if (fstat(fd, &st) != 0)
        return sbx_err_sys(err, SBX_EIO, errno, "stat %s", dir);
    if (fstatat(fd, "ledger.db", &ledger, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(ledger.st_mode) ||
        ledger.st_uid != st.st_uid)
        return sbx_err_set(err, SBX_EPERM, "cache directory %s: %s holds no ledger of its owner's, "
                                           "so it is not an sbx state directory; leaving it",
                           path, dir);
    *owner = st.st_uid;
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

int sbx_drv_cache_apply(enum sbx_action act, struct sbx_resource *r, struct sbx_error *err)
{
    const char *path = r->path ? r->path : r->key;
    sbx_autofd int parent = -1;
    uid_t owner;
    int rc = open_parent(r, &parent, &owner, err);
    if (rc == -SBX_ENOENT)
        return act == SBX_ACT_DELETE ? 0
                                     : sbx_err_set(err, SBX_ENOENT, "state directory of %s: gone",
                                                   path);
    if (rc)
        return rc;
    struct stat st;
    if (act == SBX_ACT_CREATE) {
        if (owner != geteuid())
            return sbx_err_set(err, SBX_EPERM, "%s: a user makes their own cache (its state "
                                               "directory is uid %u's)", path, (unsigned)owner);
        /* A directory of the path by name, since the parent's descriptor
         * is O_PATH: mkdirat works with it. */
        if (mkdirat(parent, SBX_CACHE_DIR_NAME, 0700) != 0 && errno != EEXIST)
            return sbx_err_sys(err, SBX_EIO, errno, "create cache directory %s", path);
        if ((rc = check_cache(parent, owner, path, &st, err)))
            return rc == -SBX_ENOENT ? sbx_err_set(err, SBX_EIO, "%s vanished", path) : rc;
        return sbx_resource_set_field(&r->os_id, "made") ? sbx_err_set(err, SBX_ENOMEM, "oom")
                                                          : 0;
    }
    if ((rc = check_cache(parent, owner, path, &st, err)))
        return rc == -SBX_ENOENT ? 0 : rc;
    /* As the owner (root cleaning a member's ledger): the tree is removed
     * with the rights its owner has, no more. */
    uid_t was = (uid_t)setfsuid((uid_t)-1);
    if (geteuid() == 0)
        setfsuid(owner);
    sbx_autofd int fd = openat(parent, SBX_CACHE_DIR_NAME,
                               O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        rc = sbx_err_sys(err, SBX_EIO, errno, "open cache directory %s", path);
    else if ((rc = sbx_empty_tree(fd, path, err)) == 0 &&
             unlinkat(parent, SBX_CACHE_DIR_NAME, AT_REMOVEDIR) != 0 && errno != ENOENT)
        rc = sbx_err_sys(err, SBX_EIO, errno, "remove cache directory %s", path);
    if (geteuid() == 0)
        setfsuid(was);
    return rc;
}

int sbx_drv_cache_probe(const struct sbx_resource *r, enum sbx_presence *out,
                        struct sbx_error *err)
{
    sbx_autofd int parent = -1;
    uid_t owner;
    struct stat st;
    int rc = open_parent(r, &parent, &owner, err);
    if (rc == 0)
        rc = check_cache(parent, owner, r->path ? r->path : r->key, &st, err);
    *out = rc == 0 ? SBX_PRESENT : rc == -SBX_ENOENT ? SBX_ABSENT : SBX_DIFFERENT;
    return 0;
}
