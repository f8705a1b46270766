/* SPDX-License-Identifier: MIT */
/* A desktop of the command's own (issue 17 item 4): in the caller's window
 * station, named sbx-<pid>-<n>, whose DACL names only the SIDs the
 * command's token needs (its user, logon SID and restricting SID) and
 * SYSTEM.  A command on it sends no input to the user's desktop
 * (SendInput reaches only the input desktop), hooks none of its windows
 * and opens none of them.  The clipboard and atoms belong to the window
 * station and stay shared (docs/windows.md). */
#ifndef SBX_MODES_CONFINE_WIN32_DESKTOP_H
#define SBX_MODES_CONFINE_WIN32_DESKTOP_H

#include <windows.h>

#include <stddef.h>

#include "util/error.h"

struct sbx_desktop {
    HDESK handle;
    wchar_t name[160]; /* "WinSta0\sbx-123-1": what STARTUPINFO.lpDesktop takes */
};

/* Pure: the desktop's security descriptor, full access for each SID and
 * SYSTEM, protected: "D:P(A;;GA;;;S-...)...(A;;GA;;;SY)". */
int sbx_desktop_sddl(const char *const *sids, size_t n, char *out, size_t len);

/* Create it; close it with sbx_desktop_close once the command has ended. */
int sbx_desktop_create(const char *const *sids, size_t n, struct sbx_desktop *out,
                       struct sbx_error *err);
void sbx_desktop_close(struct sbx_desktop *d);

#endif
