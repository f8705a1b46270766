/* SPDX-License-Identifier: MIT */
/* The account's cache in the launcher: see launch_cache.h. */
#include "modes/launcher/launch_cache.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "modes/common/cache_env.h"
#include "util/cleanup.h"
#include "util/du.h"
#include "util/rmtree.h"

/* The cache is where the account's home is: the name inside it. */
#define CACHE_SEEN ".cache"

int sbx_launch_cache_open(const struct sbx_launch_account *a, int *fd, struct sbx_error *err)
{
    *fd = -1;
    sbx_autofd int home = open(a->home, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (home < 0 || fstat(home, &st) != 0)
        return sbx_err_sys(err, SBX_EIO, errno, "the home of %s, %s", a->name, a->home);
    if (st.st_uid != a->uid)
        return sbx_err_set(err, SBX_ECORRUPT, "the home of %s, %s, is not the account's; run "
                                              "`sbx doctor --repair` as root",
                           a->name, a->home);
    bool made = mkdirat(home, SBX_CACHE_DIR_NAME, 0700) == 0;
    if (!made && errno != EEXIST)
        return sbx_err_sys(err, SBX_EIO, errno, "make the cache of %s in %s", a->name, a->home);
    sbx_autofd int c = openat(home, SBX_CACHE_DIR_NAME,
                              O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (c < 0 || fstat(c, &st) != 0)
        return sbx_err_sys(err, SBX_EIO, errno, "the cache of %s, %s/%s (a directory, not a "
                                                "link)", a->name, a->home, SBX_CACHE_DIR_NAME);
    if (made && fchown(c, a->uid, a->gid) != 0)
        return sbx_err_sys(err, SBX_EIO, errno, "give the cache %s/%s to %s", a->home,
                           SBX_CACHE_DIR_NAME, a->name);
    if (!made && st.st_uid != a->uid)
        return sbx_err_set(err, SBX_ECORRUPT, "the cache %s/%s is not %s's; remove it (sbx "
                                              "makes it again) or run with --no-cache",
                           a->home, SBX_CACHE_DIR_NAME, a->name);
    *fd = c;
    c = -1;
    return 0;
}

int sbx_launch_cache_mount(const struct sbx_launch_account *a, int home_fd, int cache_fd,
                           int *mnt, struct sbx_error *err)
{
    *mnt = -1;
    if (mkdirat(home_fd, CACHE_SEEN, 0700) != 0)
        return sbx_err_sys(err, SBX_EIO, errno, "%s/%s in the private home", a->home, CACHE_SEEN);
    sbx_autofd int target = openat(home_fd, CACHE_SEEN, O_PATH | O_DIRECTORY | O_NOFOLLOW |
                                                            O_CLOEXEC);
    if (target < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "%s/%s", a->home, CACHE_SEEN);
    sbx_autofd int tree = open_tree(cache_fd, "", OPEN_TREE_CLONE | AT_EMPTY_PATH |
                                                      OPEN_TREE_CLOEXEC);
    if (tree < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "open_tree (clone) the cache of %s", a->name);
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV};
    if (mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof attr) != 0)
        return sbx_err_sys(err, SBX_EIO, errno, "mount_setattr the cache of %s", a->name);
    if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0)
        return sbx_err_sys(err, SBX_EIO, errno, "bind the cache of %s at %s/%s", a->name,
                           a->home, CACHE_SEEN);
    /* The directory now seen there: the bound cache's root. */
    *mnt = openat(home_fd, CACHE_SEEN, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (*mnt < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "%s/%s after the bind", a->home, CACHE_SEEN);
    return 0;
}

int sbx_launch_cache_op(int fd, bool clear, struct sbx_error *err)
{
    struct sbx_usage use = {0};
    int rc = clear ? sbx_empty_tree(fd, "the cache", err)
                   : sbx_tree_usage(fd, "the cache", &use, err);
    if (rc)
        return rc;
    printf("OK %llu %llu %d\n", (unsigned long long)use.bytes, (unsigned long long)use.files,
           use.partial ? 1 : 0);
    return fflush(stdout) == 0 ? 0 : sbx_err_sys(err, SBX_EIO, errno, "write the result");
}
