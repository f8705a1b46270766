/* Removing a directory tree an untrusted process wrote (POSIX). */
#ifndef SBX_UTIL_RMTREE_H
#define SBX_UTIL_RMTREE_H

#include "util/error.h"

/* Remove path and everything beneath it without following symlinks, also
 * when the tree holds directories without write or search permission.
 * A missing path is not an error. */
int sbx_remove_tree(const char *path, struct sbx_error *err);

#endif
