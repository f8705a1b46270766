/* SPDX-License-Identifier: MIT */
/* Who a token belongs to: the SIDs of its user and logon session, and
 * whether the caller is an administrator.  Read by the plan driver (the
 * trustees it grants, the privilege a machine change needs) and by the
 * run-time (the restricted token names the logon SID), so it lives here
 * rather than beside either. */
#ifndef SBX_MODES_COMMON_WIN32_IDENTITY_H
#define SBX_MODES_COMMON_WIN32_IDENTITY_H

#include <windows.h>

#include <stdbool.h>

#include "modes/common/win32/sid.h"
#include "util/error.h"

/* The SID strings of token `tok` (opened with TOKEN_QUERY): user and logon
 * session (logon is "" when the token has none). */
int sbx_token_sids_of(HANDLE tok, char user[SBX_SID_STR_MAX], char logon[SBX_SID_STR_MAX],
                      struct sbx_error *err);

/* The same for the calling process. */
int sbx_token_sids(char user[SBX_SID_STR_MAX], char logon[SBX_SID_STR_MAX],
                   struct sbx_error *err);

/* Is the caller's token a member of Administrators (CheckTokenMembership:
 * an elevated token)? */
int sbx_token_is_admin(bool *out, struct sbx_error *err);

#endif
