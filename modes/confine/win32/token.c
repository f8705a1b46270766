/* SPDX-License-Identifier: MIT */
#include "modes/confine/win32/token.h"

#include <sddl.h>

#include <stdlib.h>
#include <string.h>

#include "modes/common/win32/acl.h"
#include "modes/common/win32/acl_spec.h"
#include "modes/common/win32/identity.h"
#include "modes/common/win32/winutil.h"

static PSID to_psid(const char *s, struct sbx_error *err)
{
    wchar_t w[SBX_SID_STR_MAX];
    PSID p = NULL;
    if (sbx_wide_buf(s, w, SBX_SID_STR_MAX) || !ConvertStringSidToSidW(w, &p)) {
        sbx_win_err(err, SBX_EINVAL, GetLastError(), "SID %s", s);
        return NULL;
    }
    return p;
}

int sbx_token_restricted(const char *cap_sid, HANDLE *out, struct sbx_error *err)
{
    *out = NULL;
    HANDLE tok = NULL, rt = NULL;
    PSID sids[3] = {NULL, NULL, NULL};
    PSECURITY_DESCRIPTOR sd = NULL;
    int rc = 0;
    if (!OpenProcessToken(GetCurrentProcess(),
                          TOKEN_DUPLICATE | TOKEN_QUERY | TOKEN_ASSIGN_PRIMARY |
                              TOKEN_ADJUST_DEFAULT,
                          &tok))
        return sbx_win_err(err, SBX_EIO, GetLastError(), "opening the process token");
    char user[SBX_SID_STR_MAX], logon[SBX_SID_STR_MAX];
    if ((rc = sbx_token_sids_of(tok, user, logon, err)) != 0)
        goto out;
    SID_AND_ATTRIBUTES restrict_sids[3];
    DWORD n = 0;
    const char *names[3] = {cap_sid, logon, SBX_SID_EVERYONE};
    for (int i = 0; i < 3; i++) {
        if (!names[i][0])
            continue; /* no logon SID (a service token) */
        if (!(sids[i] = to_psid(names[i], err))) {
            rc = -SBX_EINVAL;
            goto out;
        }
        restrict_sids[n].Sid = sids[i];
        restrict_sids[n].Attributes = 0;
        n++;
    }
    if (!CreateRestrictedToken(tok, DISABLE_MAX_PRIVILEGE | LUA_TOKEN | WRITE_RESTRICTED, 0,
                               NULL, 0, NULL, n, restrict_sids, &rt)) {
        rc = sbx_win_err(err, SBX_EIO, GetLastError(), "creating the restricted token");
        goto out;
    }
    struct sbx_ace_spec aces[SBX_DEFAULT_DACL_ACES];
    char sddl[1024];
    ACL *acl;
    if ((rc = sbx_ace_token_default_dacl(user, logon[0] ? logon : user, cap_sid, aces, err)) ||
        (rc = sbx_dacl_to_sddl(aces, SBX_DEFAULT_DACL_ACES, false, sddl, sizeof sddl)) ||
        (rc = sbx_acl_from_sddl(sddl, &sd, &acl, err)))
        goto out;
    TOKEN_DEFAULT_DACL dd = {acl};
    if (!SetTokenInformation(rt, TokenDefaultDacl, &dd, sizeof dd)) {
        rc = sbx_win_err(err, SBX_EIO, GetLastError(), "setting the default DACL of the "
                         "restricted token");
        goto out;
    }
    *out = rt;
    rt = NULL;
out:
    if (rt)
        CloseHandle(rt);
    for (int i = 0; i < 3; i++)
        LocalFree(sids[i]);
    LocalFree(sd);
    CloseHandle(tok);
    return rc;
}
