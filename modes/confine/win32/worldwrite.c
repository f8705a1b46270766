/* SPDX-License-Identifier: MIT */
#include "modes/confine/win32/worldwrite.h"

#include <aclapi.h>
#include <shlobj.h>

#include <stdio.h>
#include <wchar.h>

#include "modes/common/win32/winutil.h"

/* What lets a principal change a folder: add a file or folder (the
 * FILE_WRITE_DATA / FILE_APPEND_DATA bits), delete children, write its
 * attributes or DACL, take it, or the generic rights that map to them. */
#define WORLD_WRITE_RIGHTS                                                                  \
    (0x0002u | 0x0004u | 0x0040u | 0x0100u | 0x0010u | WRITE_DAC | WRITE_OWNER | DELETE |   \
     GENERIC_WRITE | GENERIC_ALL)

bool sbx_dacl_world_writable(const ACL *dacl)
{
    if (!dacl)
        return true;
    BYTE everyone[SECURITY_MAX_SID_SIZE];
    DWORD n = sizeof everyone;
    if (!CreateWellKnownSid(WinWorldSid, NULL, everyone, &n))
        return true;
    for (DWORD i = 0; i < dacl->AceCount; i++) {
        ACE_HEADER *h = NULL;
        if (!GetAce((PACL)dacl, i, (void **)&h) || h->AceType != ACCESS_ALLOWED_ACE_TYPE ||
            (h->AceFlags & INHERIT_ONLY_ACE))
            continue;
        ACCESS_ALLOWED_ACE *a = (ACCESS_ALLOWED_ACE *)h;
        if ((a->Mask & WORLD_WRITE_RIGHTS) && EqualSid((PSID)&a->SidStart, everyone))
            return true;
    }
    return false;
}

struct scan {
    sbx_world_visit visit;
    void *ctx;
    size_t max, found;
};

static void check_one(struct scan *s, const wchar_t *path)
{
    PACL dacl = NULL;
    PSECURITY_DESCRIPTOR sd = NULL;
    DWORD e = GetNamedSecurityInfoW(path, SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, NULL, NULL,
                                    &dacl, NULL, &sd);
    /* what can't be read is not reported: the command could not learn it
     * either, and a folder the caller can't read the DACL of is rare */
    if (e == ERROR_SUCCESS && sbx_dacl_world_writable(dacl)) {
        if (s->found < s->max)
            s->visit(s->ctx, path);
        s->found++;
    }
    LocalFree(sd);
}

/* dir itself, and with children its direct subfolders (no reparse points). */
static void scan_dir(struct scan *s, const wchar_t *dir, bool children)
{
    check_one(s, dir);
    if (!children)
        return;
    wchar_t pat[MAX_PATH + 4];
    swprintf(pat, MAX_PATH + 4, L"%ls\\*", dir);
    WIN32_FIND_DATAW fd;
    HANDLE f = FindFirstFileW(pat, &fd);
    if (f == INVALID_HANDLE_VALUE)
        return;
    do {
        if (!(fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) ||
            (fd.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) || !wcscmp(fd.cFileName, L".") ||
            !wcscmp(fd.cFileName, L".."))
            continue;
        wchar_t child[MAX_PATH * 2];
        swprintf(child, MAX_PATH * 2, L"%ls%ls%ls", dir,
                 dir[wcslen(dir) - 1] == L'\\' ? L"" : L"\\", fd.cFileName);
        check_one(s, child);
    } while (FindNextFileW(f, &fd));
    FindClose(f);
}

int sbx_world_writable_scan(sbx_world_visit visit, void *ctx, size_t max, size_t *found,
                            struct sbx_error *err)
{
    struct scan s = {visit, ctx, max, 0};
    wchar_t win[MAX_PATH], data[MAX_PATH], root[4], path[MAX_PATH * 2];
    if (!GetWindowsDirectoryW(win, MAX_PATH) ||
        FAILED(SHGetFolderPathW(NULL, CSIDL_COMMON_APPDATA, NULL, SHGFP_TYPE_CURRENT, data)))
        return sbx_win_err(err, SBX_EIO, GetLastError(), "locating Windows and ProgramData");
    swprintf(root, 4, L"%lc:\\", win[0]);
    scan_dir(&s, root, true);
    scan_dir(&s, data, true);
    static const wchar_t *const under_windows[] = {L"Temp", L"Tasks", L"Tracing",
                                                   L"System32\\spool\\drivers\\color"};
    for (size_t i = 0; i < sizeof under_windows / sizeof under_windows[0]; i++) {
        swprintf(path, MAX_PATH * 2, L"%ls\\%ls", win, under_windows[i]);
        scan_dir(&s, path, false);
    }
    *found = s.found;
    return 0;
}
