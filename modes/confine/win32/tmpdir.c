/* SPDX-License-Identifier: MIT */
#include "modes/confine/win32/tmpdir.h"

#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>

#include "modes/common/win32/acl.h"
#include "modes/common/win32/acl_spec.h"
#include "modes/common/win32/winutil.h"

/* Depth first; a reparse point is a leaf, so nothing outside the tree is
 * reached. */
void sbx_win_temp_remove(const wchar_t *dir)
{
    size_t n = wcslen(dir);
    wchar_t *pat = malloc((n + 3) * sizeof *pat);
    if (!pat)
        return;
    swprintf(pat, n + 3, L"%ls\\*", dir);
    WIN32_FIND_DATAW fd;
    HANDLE f = FindFirstFileW(pat, &fd);
    if (f != INVALID_HANDLE_VALUE) {
        do {
            if (!wcscmp(fd.cFileName, L".") || !wcscmp(fd.cFileName, L".."))
                continue;
            size_t m = n + wcslen(fd.cFileName) + 2;
            wchar_t *child = malloc(m * sizeof *child);
            if (!child)
                continue;
            swprintf(child, m, L"%ls\\%ls", dir, fd.cFileName);
            if ((fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) &&
                !(fd.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT))
                sbx_win_temp_remove(child);
            else if (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
                RemoveDirectoryW(child); /* a junction: the link, not its target */
            else {
                SetFileAttributesW(child, FILE_ATTRIBUTE_NORMAL);
                DeleteFileW(child);
            }
            free(child);
        } while (FindNextFileW(f, &fd));
        FindClose(f);
    }
    free(pat);
    RemoveDirectoryW(dir);
}

/* The grant is the workspace grant, so the restricted token writes here as
 * it writes in a workspace; a folder we could not grant is removed. */
int sbx_win_temp_create(const char *cap, wchar_t *out, size_t len, struct sbx_error *err)
{
    wchar_t base[MAX_PATH + 1];
    DWORD n = GetTempPathW(MAX_PATH + 1, base);
    if (n == 0 || n > MAX_PATH)
        return sbx_win_err(err, SBX_EIO, GetLastError(), "locating the temporary folder");
    swprintf(out, len, L"%lssbx-%lu-%llu", base, (unsigned long)GetCurrentProcessId(),
             (unsigned long long)GetTickCount64());
    if (!CreateDirectoryW(out, NULL))
        return sbx_win_err(err, 0, GetLastError(), "creating a private temporary folder");
    struct sbx_ace_spec g;
    int rc = sbx_ace_workspace_grant(cap, &g, err);
    if (!rc)
        rc = sbx_path_ace_set(out, &g, true, err);
    if (rc)
        RemoveDirectoryW(out);
    return rc;
}
