/* SPDX-License-Identifier: MIT */
/* Sizes of the fixed buffers sbx keeps paths and system records in, named
 * once so that a buffer says what it holds instead of carrying a number.
 *
 * A path is composed into these with snprintf and the result checked: a
 * path that does not fit is an error naming it, never a truncated path
 * that would then name another file. */
#ifndef SBX_UTIL_LIMITS_H
#define SBX_UTIL_LIMITS_H

#include <limits.h>

/* A path, its NUL included.  Linux: PATH_MAX, the longest path the kernel
 * takes.  Windows: mingw's PATH_MAX is MAX_PATH (260), shorter than the
 * paths sbx accepts there (UTF-8, long-path aware), so the same bound as
 * Linux. */
#ifdef _WIN32
#define SBX_PATH_MAX 4096
#else
#define SBX_PATH_MAX PATH_MAX
#endif

/* A path of at most SBX_PATH_MAX bytes plus what sbx appends to it: a
 * separator and a file name of its own ("/ledger.db", "/plan.lock"), then
 * suffixes (".new-PID", ".damaged-TIMESTAMP", "-wal").  Every such
 * addition sbx makes is below 128 bytes in all. */
#define SBX_PATH_EXTRA_MAX (SBX_PATH_MAX + 128)

/* The scratch buffers of the reentrant database lookups: one passwd
 * entry's strings (getpw*_r); a group looked up by name or gid
 * (getgr*_r); a group read for its member list, which can be long (the
 * membership check, the walk over all groups). */
#define SBX_PWENT_BUF_MAX 4096
#define SBX_GRENT_BUF_MAX 16384
#define SBX_GRENT_MEMBERS_BUF_MAX 65536

#endif
