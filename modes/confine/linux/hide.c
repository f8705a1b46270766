#include "modes/confine/linux/hide.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "modes/common/secret_paths.h"
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

int sbx_hide_resolve(const char *const *homes, size_t n_homes, const char *const *allow,
                     size_t n_allow, uid_t uid, struct sbx_pin *out, size_t *n_out,
                     struct sbx_error *err)
{
    *n_out = 0;
    for (size_t h = 0; h < n_homes; h++) {
        for (size_t i = 0; i < sbx_n_secret_paths; i++) {
            char path[PATH_MAX];
            if (snprintf(path, sizeof path, "%s/%s", homes[h], sbx_secret_paths[i]) >=
                (int)sizeof path)
                continue; /* no such path can exist */
            struct sbx_pin *pin = &out[*n_out];
            struct sbx_error ignored = {0};
            if (sbx_path_pin(path, 0, uid, pin, &ignored) < 0)
                continue; /* absent, or not even ours to look at */
            bool skip = false;
            for (size_t k = 0; k < *n_out && !skip; k++)
                skip = out[k].dev == pin->dev && out[k].ino == pin->ino;
            for (size_t a = 0; a < n_allow && !skip; a++) {
                skip = sbx_path_within(pin->path, allow[a]);
                if (!skip && sbx_path_within(allow[a], pin->path)) {
                    int rc = sbx_err_set(err, SBX_EINVAL,
                                         "--allow-read %s lies inside %s, which sbx hides: "
                                         "pass --allow-read %s to show it whole",
                                         allow[a], pin->path, pin->path);
                    sbx_pin_close(pin);
                    return rc;
                }
            }
            if (skip)
                sbx_pin_close(pin);
            else
                (*n_out)++;
        }
    }
    return 0;
}

int sbx_hide_paths(const char *const *path, const struct sbx_pin *pin, size_t n,
                   struct sbx_error *err)
{
    sbx_autofd int files = -1;
    for (size_t i = 0; i < n; i++) {
        sbx_autofd int target = sbx_pin_reopen(path[i], pin[i].dev, pin[i].ino, err);
        if (target < 0)
            return target;
        struct stat st;
        if (fstat(target, &st) < 0)
            return sbx_err_sys(err, SBX_EIO, errno, "stat %s", path[i]);
        sbx_autofd int tree = S_ISDIR(st.st_mode) ? empty_tmpfs(STANDIN_ATTRS, path[i], err)
                                                  : empty_file(&files, path[i], err);
        if (tree < 0)
            return tree;
        if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
            return sbx_err_sys(err, SBX_EIO, errno, "cover %s with an empty stand-in", path[i]);
    }
    return 0;
}
