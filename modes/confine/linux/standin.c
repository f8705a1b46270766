/* SPDX-License-Identifier: MIT */
/* Empty, read-only stand-ins mounted over what the command must not read
 * (standin.h). */
#include "modes/confine/linux/standin.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"

#define STANDIN_ATTRS (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | \
                       MOUNT_ATTR_NOEXEC)

/* A detached, empty tmpfs (writable, so a stand-in file can be made in
 * it, when attrs has no MOUNT_ATTR_RDONLY). */
static int empty_tmpfs(unsigned attrs, const char *path, struct sbx_error *err)
{
    sbx_autofd int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
    if (fs < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "fsopen tmpfs to hide %s", path);
    if (fsconfig(fs, FSCONFIG_SET_STRING, "size", "4k", 0) < 0 ||
        fsconfig(fs, FSCONFIG_SET_STRING, "nr_inodes", "4", 0) < 0 ||
        fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0555", 0) < 0 ||
        fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "tmpfs to hide %s", path);
    int mnt = fsmount(fs, FSMOUNT_CLOEXEC, attrs);
    if (mnt < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "fsmount tmpfs to hide %s", path);
    return mnt;
}

/* A read-only clone of an empty file, for one hidden file.  *files holds
 * the tmpfs the file lies in (made on first need, shared by all). */
static int empty_file(int *files, const char *path, struct sbx_error *err)
{
    if (*files < 0) {
        sbx_autofd int mnt = empty_tmpfs(MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                                             MOUNT_ATTR_NOEXEC, path, err);
        if (mnt < 0)
            return mnt;
        sbx_autofd int f = openat(mnt, "empty", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
        if (f < 0)
            return sbx_err_sys(err, SBX_EIO, errno, "an empty file to hide %s", path);
        *files = mnt;
        mnt = -1;
    }
    int tree = open_tree(*files, "empty", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
    if (tree < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "open_tree (clone) of an empty file for %s",
                           path);
    struct mount_attr a = {.attr_set = STANDIN_ATTRS};
    if (mount_setattr(tree, "", AT_EMPTY_PATH, &a, sizeof a) < 0) {
        int e = errno;
        close(tree);
        return sbx_err_sys(err, SBX_EIO, e, "mount_setattr on the stand-in for %s", path);
    }
    return tree;
}

int sbx_standin_cover(int target, const char *name, int *files, struct sbx_error *err)
{
    struct stat st;
    if (fstat(target, &st) < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "stat %s", name);
    sbx_autofd int tree = S_ISDIR(st.st_mode) ? empty_tmpfs(STANDIN_ATTRS, name, err)
                                              : empty_file(files, name, err);
    if (tree < 0)
        return tree;
    if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "cover %s with an empty stand-in", name);
    return 0;
}
