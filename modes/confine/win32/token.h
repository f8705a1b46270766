/* SPDX-License-Identifier: MIT */
/* The unelevated mode's token: the caller's own, restricted with
 * CreateRestrictedToken(DISABLE_MAX_PRIVILEGE | LUA_TOKEN | WRITE_RESTRICTED)
 * whose restricting SIDs are the capability SID, the logon SID and
 * Everyone: a write succeeds only where one of them is granted write too,
 * which sbx grants on the workspaces alone.  (Who the caller is, and
 * whether it is an administrator: modes/common/win32/identity.h.) */
#ifndef SBX_MODES_CONFINE_WIN32_TOKEN_H
#define SBX_MODES_CONFINE_WIN32_TOKEN_H

#include <windows.h>

#include "util/error.h"

/* A primary token for CreateProcessAsUserW, restricted as above, with a
 * default DACL that lets the child use what it creates (pipes, events).
 * CloseHandle it. */
int sbx_token_restricted(const char *cap_sid, HANDLE *out, struct sbx_error *err);

#endif
