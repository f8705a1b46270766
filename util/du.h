/* SPDX-License-Identifier: MIT */
/* The disk usage of a directory tree that an untrusted process wrote
 * (the sandbox's cache), without following its symlinks (POSIX). */
#ifndef SBX_UTIL_DU_H
#define SBX_UTIL_DU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

struct sbx_usage {
    uint64_t bytes; /* allocated on disk (st_blocks), every entry counted once a link */
    uint64_t files; /* entries beneath, directories included */
    bool partial;   /* some directory could not be read or was too deep: at least this */
};

/* Add up the tree beneath the directory open on fd; path names it in
 * messages.  0 or -SBX_E*. */
int sbx_tree_usage(int fd, const char *path, struct sbx_usage *out, struct sbx_error *err);

/* "1.5 GiB", "312 KiB", "0 B" into buf. */
void sbx_usage_human(uint64_t bytes, char *buf, size_t len);

#endif
