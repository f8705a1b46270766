/* SPDX-License-Identifier: MIT */
/* Removing a directory tree that an untrusted process wrote (a run's
 * TMPDIR, a sandbox account's home, the sandbox's cache) without ever
 * following its symlinks, however deep it is nested. */
#include "util/rmtree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"

/* Directory levels entered at once (one descriptor each).  A directory
 * found deeper is moved up to the top (renameat within the tree: it never
 * leaves it) and emptied in a later pass, so no depth defeats removal and
 * neither the stack nor the descriptors grow with it. */
#define RMTREE_LEVELS 64

struct rm {
    int top;                /* the directory being emptied */
    const char *path;       /* its name, for messages */
    unsigned long moved;    /* directories moved up, for unique names */
    bool again;             /* one was moved in this pass: another pass */
};

/* Move name (in dfd, RMTREE_LEVELS deep) to the top, under a new name. */
static int move_up(struct rm *rm, int dfd, const char *name, struct sbx_error *err)
{
    for (int tries = 0; tries < 1000; tries++) {
        char to[64];
        snprintf(to, sizeof to, ".sbx-rm-%lu", rm->moved++);
        if (renameat2(dfd, name, rm->top, to, RENAME_NOREPLACE) == 0) {
            rm->again = true;
            return 0;
        }
        if (errno == ENOENT)
            return 0;
        if (errno != EEXIST)
            return sbx_err_sys(err, SBX_EIO, errno, "move a deep directory up in %s", rm->path);
    }
    return sbx_err_set(err, SBX_EIO, "%s: no free name to move a deep directory to", rm->path);
}

/* Empty the directory open as dfd.  Works through fds only (openat with
 * O_NOFOLLOW), so a symlink the command planted never leads outside. */
static int empty_dir(struct rm *rm, int dfd, unsigned depth, struct sbx_error *err)
{
    /* The command may have left a directory 0500: make it ours again. */
    fchmod(dfd, 0700);
    int dup_fd = dup(dfd);
    if (dup_fd < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "dup for %s", rm->path);
    DIR *d = fdopendir(dup_fd);
    if (!d) {
        close(dup_fd);
        return sbx_err_sys(err, SBX_EIO, errno, "opendir %s", rm->path);
    }
    /* The dup shares dfd's offset: a later pass over the same directory
     * starts from the beginning again. */
    rewinddir(d);
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (errno = 0, e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (unlinkat(dfd, e->d_name, 0) == 0 || errno == ENOENT)
            continue;
        if (errno != EISDIR && errno != EPERM) {
            rc = sbx_err_sys(err, SBX_EIO, errno, "unlink %s in %s", e->d_name, rm->path);
            break;
        }
        if (depth + 1 >= RMTREE_LEVELS) {
            rc = move_up(rm, dfd, e->d_name, err);
            continue;
        }
        sbx_autofd int sub = openat(dfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0) {
            rc = sbx_err_sys(err, SBX_EIO, errno, "open %s in %s", e->d_name, rm->path);
            break;
        }
        /* Messages name the top directory: building every nested path
         * would cost a PATH_MAX buffer per level. */
        rc = empty_dir(rm, sub, depth + 1, err);
        if (rc == 0 && unlinkat(dfd, e->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT &&
            !(errno == ENOTEMPTY && rm->again))
            rc = sbx_err_sys(err, SBX_EIO, errno, "rmdir %s in %s", e->d_name, rm->path);
    }
    if (rc == 0 && errno != 0 && e == NULL)
        rc = sbx_err_sys(err, SBX_EIO, errno, "readdir %s", rm->path);
    closedir(d);
    return rc;
}

int sbx_empty_tree(int fd, const char *path, struct sbx_error *err)
{
    struct rm rm = {.top = fd, .path = path};
    int rc;
    /* Each pass removes RMTREE_LEVELS levels of what was moved up: a tree
     * N deep takes N / RMTREE_LEVELS passes, and ends. */
    do {
        rm.again = false;
        rc = empty_dir(&rm, fd, 0, err);
    } while (rc == 0 && rm.again);
    return rc;
}

int sbx_remove_tree(const char *path, struct sbx_error *err)
{
    sbx_autofd int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        return sbx_err_sys(err, SBX_EIO, errno, "open directory %s", path);
    }
    int rc = sbx_empty_tree(fd, path, err);
    if (rc == 0 && rmdir(path) < 0 && errno != ENOENT)
        rc = sbx_err_sys(err, SBX_EIO, errno, "rmdir %s", path);
    return rc;
}
