/* SPDX-License-Identifier: MIT */
/* The home skeleton of the launcher's mount namespace: see skeleton.h. */
#include "modes/launcher/skeleton.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "modes/common/linux/launch_conf.h"

/* Does path lie in (or is it) dir?  Both canonical, dir not "/". */
static bool under(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static int add_root(struct sbx_skel *s, const char *root, struct sbx_error *err)
{
    for (size_t i = 0; i < s->n; i++)
        if (under(root, s->root[i]))
            return 0;
    /* Roots inside the new one go: the new one covers them. */
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++)
        if (!under(s->root[i], root))
            memmove(s->root[k++], s->root[i], sizeof s->root[i]);
    s->n = k;
    if (s->n == SBX_SKEL_MAX)
        return sbx_err_set(err, SBX_EINVAL, "more than %d places to cover with a skeleton",
                           SBX_SKEL_MAX);
    if (snprintf(s->root[s->n], sizeof s->root[s->n], "%s", root) >= (int)sizeof s->root[0])
        return sbx_err_set(err, SBX_EINVAL, "%.200s...: path too long", root);
    s->fd[s->n++] = -1;
    return 0;
}

int sbx_skel_plan(struct sbx_skel *s, const char *const *ws, size_t n_ws,
                  struct sbx_error *err)
{
    s->n = 0;
    struct stat st;
    int rc = 0;
    if (lstat("/home", &st) == 0 && S_ISDIR(st.st_mode) && (rc = add_root(s, "/home", err)))
        return rc;
    for (size_t i = 0; i < n_ws; i++) {
        char p[PATH_MAX];
        if (ws[i][0] != '/' || snprintf(p, sizeof p, "%s", ws[i]) >= (int)sizeof p)
            return sbx_err_set(err, SBX_EINVAL, "workspace %.200s: not an absolute path",
                               ws[i]);
        /* From the top down: the first one others can't search. */
        for (char *slash = strchr(p + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
            *slash = '\0';
            if (lstat(p, &st) != 0) {
                int e = errno;
                return sbx_err_sys(err, SBX_EIO, e, "workspace %s: lstat %s", ws[i], p);
            }
            bool closed = !S_ISDIR(st.st_mode) || !(st.st_mode & S_IXOTH);
            if (closed && (rc = add_root(s, p, err)))
                return rc;
            *slash = '/';
            if (closed)
                break;
        }
    }
    return 0;
}

int sbx_skel_open(struct sbx_skel *s, struct sbx_error *err)
{
    for (size_t i = 0; i < s->n; i++) {
        int fd = sbx_open_nofollow(s->root[i], O_PATH | O_DIRECTORY, err);
        if (fd < 0)
            return sbx_err_wrap(err, "the home skeleton over %s", s->root[i]);
        s->fd[i] = fd;
    }
    return 0;
}

int sbx_skel_mount(struct sbx_skel *s, struct sbx_error *err)
{
    for (size_t i = 0; i < s->n; i++) {
        int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
        if (fs < 0)
            return sbx_err_sys(err, SBX_EIO, errno, "fsopen(tmpfs) for the skeleton over %s",
                               s->root[i]);
        /* Directories and empty files only: small. */
        int mnt = -1;
        if (fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0755", 0) != 0 ||
            fsconfig(fs, FSCONFIG_SET_STRING, "size", "1m", 0) != 0 ||
            fsconfig(fs, FSCONFIG_SET_STRING, "nr_inodes", "4096", 0) != 0 ||
            fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) != 0 ||
            (mnt = fsmount(fs, FSMOUNT_CLOEXEC,
                           MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)) < 0) {
            int e = errno;
            close(fs);
            return sbx_err_sys(err, SBX_EIO, e, "a tmpfs for the skeleton over %s", s->root[i]);
        }
        close(fs);
        if (move_mount(mnt, "", s->fd[i], "",
                       MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0) {
            int e = errno;
            close(mnt);
            return sbx_err_sys(err, SBX_EIO, e, "mount the skeleton over %s", s->root[i]);
        }
        close(s->fd[i]);
        s->fd[i] = mnt;
    }
    return 0;
}

int sbx_skel_of(const struct sbx_skel *s, const char *path)
{
    for (size_t i = 0; i < s->n; i++)
        if (under(path, s->root[i]))
            return (int)i;
    return -1;
}

int sbx_skel_reach(const struct sbx_skel *s, const char *path, bool as_file,
                   struct sbx_error *err)
{
    int at = sbx_skel_of(s, path);
    if (at < 0)
        return -SBX_ENOENT;
    char rel[PATH_MAX];
    if (snprintf(rel, sizeof rel, "%s", path + strlen(s->root[at])) >= (int)sizeof rel)
        return sbx_err_set(err, SBX_EINVAL, "%.200s...: path too long", path);
    int fd = fcntl(s->fd[at], F_DUPFD_CLOEXEC, 3);
    if (fd < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "the skeleton over %s", s->root[at]);
    char *save = NULL;
    for (char *c = strtok_r(rel, "/", &save); c;) {
        char *next = strtok_r(NULL, "/", &save);
        bool file = as_file && !next;
        if (strcmp(c, ".") == 0 || strcmp(c, "..") == 0) {
            close(fd);
            return sbx_err_set(err, SBX_EINVAL, "%s: not a canonical path", path);
        }
        int flags = O_PATH | O_NOFOLLOW | O_CLOEXEC | (file ? 0 : O_DIRECTORY);
        int sub = openat(fd, c, flags);
        if (sub < 0 && errno == ENOENT) {
            /* Made on the skeleton (root's tmpfs), or refused where the
             * path goes through a bind (read-only): never in the caller's
             * own tree. */
            int made = file ? openat(fd, c, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444)
                            : mkdirat(fd, c, 0755);
            if (made >= 0 && file)
                close(made);
            sub = made >= 0 || errno == EEXIST ? openat(fd, c, flags) : -1;
        }
        int e = errno;
        close(fd);
        if (sub < 0)
            return sbx_err_sys(err, SBX_EIO, e, "%s on the skeleton over %s: at %s", path,
                               s->root[at], c);
        fd = sub;
        c = next;
    }
    return fd;
}

int sbx_skel_seal(struct sbx_skel *s, struct sbx_error *err)
{
    struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY};
    for (size_t i = 0; i < s->n; i++)
        if (mount_setattr(s->fd[i], "", AT_EMPTY_PATH, &a, sizeof a) != 0)
            return sbx_err_sys(err, SBX_EIO, errno, "make the skeleton over %s read-only",
                               s->root[i]);
    return 0;
}

void sbx_skel_close(struct sbx_skel *s)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->fd[i] >= 0) {
            close(s->fd[i]);
            s->fd[i] = -1;
        }
}
