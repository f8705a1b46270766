/* SPDX-License-Identifier: MIT */
/* The restricted tokens the confined command runs with, as data (a plan)
 * and on the OS.  Both modes restrict with
 * CreateRestrictedToken(DISABLE_MAX_PRIVILEGE | LUA_TOKEN | WRITE_RESTRICTED):
 * a write succeeds only where one of the restricting SIDs is granted write
 * too.
 *
 *  - unelevated: the caller's token; restricting SIDs the capability SIDs
 *    of the run's workspaces (one per workspace), the logon SID and
 *    Everyone;
 *  - elevated: the sandbox account's own token, restricted inside the
 *    account by sbx-runner.exe (issue 17 item 1); restricting SIDs the
 *    SbxUsers group (granted on the workspaces alone) and the logon SID,
 *    and not Everyone, so neither what Users / Authenticated Users may
 *    write nor what is world-writable is writable.
 *
 * Every token built is read back (GetTokenInformation) and checked against
 * its plan before anything runs with it: a system that ignores a part of
 * the request (Wine ignores restricting SIDs) is refused, not trusted.
 * (Who the caller is: modes/common/win32/identity.h.) */
#ifndef SBX_MODES_CONFINE_WIN32_TOKEN_H
#define SBX_MODES_CONFINE_WIN32_TOKEN_H

#include <windows.h>

#include <stddef.h>

#include "modes/common/win32/sid.h"
#include "util/error.h"

/* A run's workspaces each have a capability SID: at most this many. */
#define SBX_TOKEN_MAX_CAPS 16
#define SBX_TOKEN_MAX_RESTRICTING (SBX_TOKEN_MAX_CAPS + 2)
/* TOKEN_WRITE_RESTRICTED of TOKEN_ACCESS_INFORMATION.Flags (ntifs.h). */
#define SBX_TOKEN_FLAG_WRITE_RESTRICTED 0x0008u

struct sbx_token_plan {
    DWORD flags; /* CreateRestrictedToken flags */
    size_t n;
    char restricting[SBX_TOKEN_MAX_RESTRICTING][SBX_SID_STR_MAX];
    char default_dacl[512]; /* SDDL "D:(A;;GA;;;...)..." */
};

/* Pure: the plans.  logon may be "" (a token without a logon SID). */
int sbx_token_plan_unelevated(const char *user, const char *logon, const char *const *caps,
                              size_t n_caps, struct sbx_token_plan *out, struct sbx_error *err);
int sbx_token_plan_elevated(const char *user, const char *logon, const char *group,
                            struct sbx_token_plan *out, struct sbx_error *err);

/* Pure: do the restricted SIDs a token holds (TokenRestrictedSids) equal
 * the plan's (any order)?  And are its privileges at most
 * SeChangeNotifyPrivilege (what DISABLE_MAX_PRIVILEGE leaves)? */
int sbx_token_restricted_sids_match(const TOKEN_GROUPS *held, const struct sbx_token_plan *p,
                                    struct sbx_error *err);
int sbx_token_privileges_minimal(const TOKEN_PRIVILEGES *held, struct sbx_error *err);

/* A primary token restricting `base` (opened with TOKEN_DUPLICATE |
 * TOKEN_QUERY | TOKEN_ASSIGN_PRIMARY | TOKEN_ADJUST_DEFAULT) as planned,
 * with the plan's default DACL, checked with sbx_token_check.  CloseHandle
 * it. */
int sbx_token_restrict(HANDLE base, const struct sbx_token_plan *p, HANDLE *out,
                       struct sbx_error *err);
/* Read tok back: restricted SIDs, privileges, the write-restricted flag
 * and the default DACL must be what the plan asked for. */
int sbx_token_check(HANDLE tok, const struct sbx_token_plan *p, struct sbx_error *err);

/* The unelevated mode's token for the calling process (for
 * CreateProcessAsUserW), restricted to the run's capability SIDs. */
int sbx_token_restricted(const char *const *caps, size_t n_caps, HANDLE *out,
                         struct sbx_error *err);
/* The elevated mode's token, built by sbx-runner.exe inside the account:
 * the calling process's own token, restricted to `group_sid`, which the
 * token must hold as an enabled group. */
int sbx_token_restricted_to_group(const char *group_sid, HANDLE *out, struct sbx_error *err);

#endif
