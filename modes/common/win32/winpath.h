/* SPDX-License-Identifier: MIT */
/* Windows paths for workspace roots: normalisation, case-insensitive
 * comparison, refusal of dangerous places, and resolution of junctions and
 * symlinks (GetFinalPathNameByHandleW) before anything is granted.
 *
 * The normal form is "C:\dir\sub": drive letter upper case, backslashes, no
 * trailing separator except on a drive root, no \\?\ prefix (sbx_winpath_long
 * adds it back for Win32 calls, so paths past MAX_PATH work). */
#ifndef SBX_MODES_COMMON_WIN32_WINPATH_H
#define SBX_MODES_COMMON_WIN32_WINPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <wchar.h>

#include "util/error.h"

#define SBX_WINPATH_MAX 32768

/* Pure.  Accepts C:\a, C:/a, \\?\C:\a; refuses (-SBX_EINVAL, message
 * naming the path) UNC paths (\\server\share, \\?\UNC\...), device and
 * volume paths (\\.\..., \\?\GLOBALROOT, \\?\Volume{...}), relative and
 * drive-relative paths, "." and ".." components. */
int sbx_winpath_normalize(const wchar_t *in, wchar_t *out, size_t len, struct sbx_error *err);
/* Case-insensitive (ordinal, as NTFS compares) equality of normal forms. */
bool sbx_winpath_equal(const wchar_t *a, const wchar_t *b);
/* path equals dir or lies beneath it (normal forms). */
bool sbx_winpath_within(const wchar_t *path, const wchar_t *dir);
/* "\\?\C:\..." for Win32 calls. */
int sbx_winpath_long(const wchar_t *norm, wchar_t *out, size_t len);

/* The places a workspace must not be, in normal form (NULL: unknown). */
struct sbx_danger_dirs {
    const wchar_t *windows;           /* %SystemRoot% */
    const wchar_t *program_files;
    const wchar_t *program_files_x86;
    const wchar_t *program_data;
    const wchar_t *profile;           /* the caller's profile */
    const wchar_t *profiles_root;     /* C:\Users */
};

/* Pure.  Refuses a drive root; anything inside %SystemRoot%, Program Files
 * or ProgramData; the profile itself, any folder directly in the profiles
 * root; and any ancestor of those places (an inheritable grant there would
 * reach them).  Inside the profile is fine. */
int sbx_winpath_check(const wchar_t *norm, const struct sbx_danger_dirs *d,
                      struct sbx_error *err);

/* OS: the danger dirs of this machine and caller, resolved. */
struct sbx_danger_buf {
    wchar_t path[6][520];
    struct sbx_danger_dirs dirs;
};
int sbx_winpath_danger_load(struct sbx_danger_buf *b, struct sbx_error *err);

/* OS: resolve an existing directory to its final normal form (junctions,
 * symlinks, 8.3 names and case resolved). */
int sbx_winpath_resolve(const wchar_t *in, wchar_t *out, size_t len, struct sbx_error *err);

/* The Windows counterpart of sbx_linux_workspace_resolve: resolve, check
 * (incl. "holds NTUSER.DAT") and return the normal form as UTF-8. */
int sbx_win32_workspace_resolve(const char *arg, char *out, size_t out_len,
                                struct sbx_error *err);

#endif
