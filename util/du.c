/* SPDX-License-Identifier: MIT */
#include "util/du.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Directory levels followed: what lies deeper is left out (and said). */
#define DU_LEVELS 256

static int walk(int dfd, unsigned depth, struct sbx_usage *u)
{
    int dup_fd = dup(dfd);
    DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    if (!d) {
        if (dup_fd >= 0)
            close(dup_fd);
        u->partial = true;
        return 0;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        struct stat st;
        if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue; /* gone meanwhile */
        u->files++;
        if (st.st_nlink <= 1 || S_ISDIR(st.st_mode))
            u->bytes += (uint64_t)st.st_blocks * 512u;
        else
            u->bytes += (uint64_t)st.st_blocks * 512u / st.st_nlink; /* shared: its part */
        if (!S_ISDIR(st.st_mode))
            continue;
        if (depth + 1 >= DU_LEVELS) {
            u->partial = true;
            continue;
        }
        int sub = openat(dfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0) {
            u->partial = true;
            continue;
        }
        walk(sub, depth + 1, u);
        close(sub);
    }
    closedir(d);
    return 0;
}

int sbx_tree_usage(int fd, const char *path, struct sbx_usage *out, struct sbx_error *err)
{
    memset(out, 0, sizeof *out);
    struct stat st;
    if (fstat(fd, &st) != 0)
        return sbx_err_sys(err, SBX_EIO, errno, "stat %s", path);
    if (!S_ISDIR(st.st_mode))
        return sbx_err_set(err, SBX_EINVAL, "%s is not a directory", path);
    return walk(fd, 0, out);
}

void sbx_usage_human(uint64_t bytes, char *buf, size_t len)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = (double)bytes;
    size_t u = 0;
    while (v >= 1024 && u + 1 < sizeof units / sizeof units[0]) {
        v /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(buf, len, "%llu B", (unsigned long long)bytes);
    else
        snprintf(buf, len, "%.1f %s", v, units[u]);
}
