/* SPDX-License-Identifier: MIT */
#include "modes/confine/win32/desktop.h"

#include <sddl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "modes/common/win32/winutil.h"

int sbx_desktop_sddl(const char *const *sids, size_t n, char *out, size_t len)
{
    size_t used = 0;
    int w = snprintf(out, len, "D:P");
    if (w < 0 || (size_t)w >= len)
        return -SBX_EINVAL;
    used = (size_t)w;
    for (size_t i = 0; i <= n; i++) {
        const char *sid = i < n ? sids[i] : "SY";
        if (!sid || !sid[0])
            continue;
        w = snprintf(out + used, len - used, "(A;;GA;;;%s)", sid);
        if (w < 0 || (size_t)w >= len - used)
            return -SBX_EINVAL;
        used += (size_t)w;
    }
    return 0;
}

int sbx_desktop_create(const char *const *sids, size_t n, struct sbx_desktop *out,
                       struct sbx_error *err)
{
    static LONG counter;
    memset(out, 0, sizeof *out);
    char sddl[1024];
    if (sbx_desktop_sddl(sids, n, sddl, sizeof sddl))
        return sbx_err_set(err, SBX_EINVAL, "the desktop's DACL is too long");
    wchar_t station[64], wsddl[1024];
    DWORD got = 0;
    if (!GetUserObjectInformationW(GetProcessWindowStation(), UOI_NAME, station, sizeof station,
                                   &got))
        return sbx_win_err(err, SBX_EIO, GetLastError(), "reading the window station's name");
    if (sbx_wide_buf(sddl, wsddl, 1024))
        return sbx_err_set(err, SBX_EINVAL, "bad desktop DACL");
    PSECURITY_DESCRIPTOR sd = NULL;
    if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(wsddl, SDDL_REVISION_1, &sd, NULL))
        return sbx_win_err(err, SBX_EINVAL, GetLastError(), "the desktop's DACL %s", sddl);
    wchar_t leaf[64];
    swprintf(leaf, 64, L"sbx-%lu-%ld", (unsigned long)GetCurrentProcessId(),
             (long)InterlockedIncrement(&counter));
    SECURITY_ATTRIBUTES sa = {sizeof sa, sd, FALSE};
    out->handle = CreateDesktopW(leaf, NULL, NULL, 0, GENERIC_ALL, &sa);
    DWORD e = GetLastError();
    LocalFree(sd);
    if (!out->handle)
        return sbx_win_err(err, SBX_EIO, e,
                           "creating a desktop of the command's own (the command would share "
                           "yours, so sbx does not start it)");
    swprintf(out->name, sizeof out->name / sizeof out->name[0], L"%ls\\%ls", station, leaf);
    return 0;
}

void sbx_desktop_close(struct sbx_desktop *d)
{
    if (d && d->handle)
        CloseDesktop(d->handle);
    if (d)
        d->handle = NULL;
}
