/* SPDX-License-Identifier: MIT */
/* Removing a directory tree an untrusted process wrote (POSIX). */
#ifndef SBX_UTIL_RMTREE_H
#define SBX_UTIL_RMTREE_H

#include "util/error.h"

/* Remove path and everything beneath it without following symlinks, also
 * when the tree holds directories without write or search permission.
 * A missing path is not an error. */
int sbx_remove_tree(const char *path, struct sbx_error *err);

/* Empty the directory open on fd (kept itself), the same way; path names
 * it in messages.  No depth stops it (a directory nested too deep is moved
 * up within the tree and removed in a later pass). */
int sbx_empty_tree(int fd, const char *path, struct sbx_error *err);

#endif
