/* SPDX-License-Identifier: MIT */
/* The search's record in a directory of the user's state (plants_cache.h):
 * the directory made and found by its path, and cleared by `sbx cleanup`.
 * The record itself is plants_record.c's. */
#include "modes/confine/linux/plants_cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/platform.h"

int sbx_plants_search(int wsfd, const char *cache_dir, const struct sbx_plants_opts *o,
                      struct sbx_plants *out, bool *cached, struct sbx_error *err)
{
    sbx_autofd int dirfd = -1;
    struct sbx_error ignored = {0};
    if (cache_dir && sbx_fs_mkdir_private(cache_dir, &ignored) == 0)
        dirfd = open(cache_dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    return sbx_plants_search_at(wsfd, dirfd, geteuid(), o, out, cached, err);
}

/* "<hex>-<hex>", or that with ".<pid>.tmp" after it. */
static bool record_name(const char *n)
{
    size_t a = strspn(n, "0123456789abcdef");
    if (a == 0 || n[a] != '-')
        return false;
    n += a + 1;
    size_t b = strspn(n, "0123456789abcdef");
    if (b == 0)
        return false;
    n += b;
    if (!*n)
        return true;
    if (*n++ != '.')
        return false;
    size_t c = strspn(n, "0123456789");
    return c > 0 && strcmp(n + c, ".tmp") == 0;
}

int sbx_plants_cache_clear(const char *cache_dir, struct sbx_error *err)
{
    int fd = open(cache_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : sbx_err_sys(err, SBX_EIO, errno, "open %s", cache_dir);
    DIR *d = fdopendir(fd);
    if (!d) {
        int e = errno;
        close(fd);
        return sbx_err_sys(err, SBX_EIO, e, "read %s", cache_dir);
    }
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d)) != NULL)
        if (record_name(de->d_name) && unlinkat(dirfd(d), de->d_name, 0) != 0 && errno != ENOENT)
            rc = sbx_err_sys(err, SBX_EIO, errno, "remove %s/%s", cache_dir, de->d_name);
    closedir(d);
    if (rc == 0 && rmdir(cache_dir) != 0 && errno != ENOENT && errno != ENOTEMPTY &&
        errno != EEXIST)
        rc = sbx_err_sys(err, SBX_EIO, errno, "remove %s", cache_dir);
    return rc;
}
