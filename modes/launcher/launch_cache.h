/* SPDX-License-Identifier: MIT */
/* The sandbox account's cache in the launcher (modes/common/cache_env.h):
 * <the account's home>/cache on disk, which a run's private home (a tmpfs
 * over that home) would hide, so it is opened first and bound back at
 * <home>/.cache. */
#ifndef SBX_LAUNCHER_LAUNCH_CACHE_H
#define SBX_LAUNCHER_LAUNCH_CACHE_H

#include <stdbool.h>

#include "modes/common/linux/launch_conf.h"
#include "util/error.h"

/* Open the account's cache on disk, as root, before the private home
 * covers it: made (0700, the account's) when an account from before the
 * caches has none; refused unless a directory of the account's, reached
 * without a symlink.  *fd: O_RDONLY | O_DIRECTORY. */
int sbx_launch_cache_open(const struct sbx_launch_account *a, int *fd, struct sbx_error *err);

/* Bind the cache (cache_fd) at <home>/.cache in the private home (home_fd,
 * the tmpfs just mounted), nosuid and nodev.  *mnt: O_PATH on the bound
 * directory, for the Landlock rule. */
int sbx_launch_cache_mount(const struct sbx_launch_account *a, int home_fd, int cache_fd,
                           int *mnt, struct sbx_error *err);

/* Already the account: add up (size) or empty (clear) the cache open on
 * fd, and print "OK <bytes> <files> <partial>" on stdout. */
int sbx_launch_cache_op(int fd, bool clear, struct sbx_error *err);

#endif
