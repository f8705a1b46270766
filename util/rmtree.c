/* Removing a directory tree that an untrusted process wrote (a run's
 * TMPDIR, a sandbox account's home) without ever following its symlinks. */
#include "util/rmtree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"

/* Empty the directory open as dfd.  Works through fds only (openat with
 * O_NOFOLLOW), so a symlink the command planted never leads outside. */
static int empty_dir(int dfd, const char *path, unsigned depth, struct sbx_error *err)
{
    /* Bounded recursion: a command can nest directories deeper than any
     * stack; such a tree is reported and left in place. */
    if (depth > 4096)
        return sbx_err_set(err, SBX_EIO, "%s: directories nested more than 4096 deep", path);
    /* The command may have left a directory 0500: make it ours again. */
    fchmod(dfd, 0700);
    int dup_fd = dup(dfd);
    if (dup_fd < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "dup for %s", path);
    DIR *d = fdopendir(dup_fd);
    if (!d) {
        close(dup_fd);
        return sbx_err_sys(err, SBX_EIO, errno, "opendir %s", path);
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (errno = 0, e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (unlinkat(dfd, e->d_name, 0) == 0 || errno == ENOENT)
            continue;
        if (errno != EISDIR && errno != EPERM)
            rc = sbx_err_sys(err, SBX_EIO, errno, "unlink %s in %s", e->d_name, path);
        else {
            sbx_autofd int sub = openat(dfd, e->d_name,
                                        O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub < 0) {
                rc = sbx_err_sys(err, SBX_EIO, errno, "open %s in %s", e->d_name, path);
                break;
            }
            /* Messages name the top directory: building every nested
             * path would cost a PATH_MAX buffer per level. */
            rc = empty_dir(sub, path, depth + 1, err);
            if (rc == 0 && unlinkat(dfd, e->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                rc = sbx_err_sys(err, SBX_EIO, errno, "rmdir %s in %s", e->d_name, path);
        }
    }
    if (rc == 0 && errno != 0 && e == NULL)
        rc = sbx_err_sys(err, SBX_EIO, errno, "readdir %s", path);
    closedir(d);
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
    int rc = empty_dir(fd, path, 0, err);
    if (rc == 0 && rmdir(path) < 0 && errno != ENOENT)
        rc = sbx_err_sys(err, SBX_EIO, errno, "rmdir %s", path);
    return rc;
}
