/* SPDX-License-Identifier: MIT */
/* Closing every descriptor a new process must not hold (POSIX). */
#ifndef SBX_UTIL_FDS_H
#define SBX_UTIL_FDS_H

#include <stddef.h>

/* Close every fd >= lowest except those in keep[] (any order, -1 entries
 * ignored; keep[] is sorted in place).  Only close_range(2): nothing is
 * allocated, so it is safe between fork and exec.  0, or -1 with errno
 * when a close_range failed (a kernel before 5.9): the caller must not go
 * on holding descriptors it meant to close. */
int sbx_close_fds_except(unsigned lowest, int *keep, size_t n);

#endif
