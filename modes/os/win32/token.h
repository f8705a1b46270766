/* The unelevated mode's token: the caller's own, restricted with
 * CreateRestrictedToken(DISABLE_MAX_PRIVILEGE | LUA_TOKEN | WRITE_RESTRICTED)
 * whose restricting SIDs are the capability SID, the logon SID and
 * Everyone: a write succeeds only where one of them is granted write too,
 * which sbx grants on the workspaces alone.  And the caller's privilege. */
#ifndef SBX_MODES_OS_WIN32_TOKEN_H
#define SBX_MODES_OS_WIN32_TOKEN_H

#include <windows.h>

#include <stdbool.h>

#include "modes/os/win32/sid.h"
#include "util/error.h"

/* The SID strings of the calling process: user and logon session (logon is
 * "" when the token has none). */
int sbx_token_sids(char user[SBX_SID_STR_MAX], char logon[SBX_SID_STR_MAX],
                   struct sbx_error *err);

/* A primary token for CreateProcessAsUserW, restricted as above, with a
 * default DACL that lets the child use what it creates (pipes, events).
 * CloseHandle it. */
int sbx_token_restricted(const char *cap_sid, HANDLE *out, struct sbx_error *err);

/* Is the caller's token a member of Administrators (CheckTokenMembership:
 * an elevated token)? */
int sbx_token_is_admin(bool *out, struct sbx_error *err);

#endif
