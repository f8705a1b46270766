/* SPDX-License-Identifier: MIT */
#include "modes/common/win32/identity.h"

#include <sddl.h>

#include <stdlib.h>

#include "modes/common/win32/winutil.h"

static void *token_info(HANDLE tok, TOKEN_INFORMATION_CLASS cls, struct sbx_error *err)
{
    DWORD len = 0;
    GetTokenInformation(tok, cls, NULL, 0, &len);
    void *buf = len ? malloc(len) : NULL;
    if (!buf || !GetTokenInformation(tok, cls, buf, len, &len)) {
        sbx_win_err(err, SBX_EIO, GetLastError(), "reading the process token");
        free(buf);
        return NULL;
    }
    return buf;
}

static int sid_str(PSID sid, char out[SBX_SID_STR_MAX], struct sbx_error *err)
{
    wchar_t *w = NULL;
    if (!ConvertSidToStringSidW(sid, &w))
        return sbx_win_err(err, SBX_EIO, GetLastError(), "formatting a SID");
    int rc = sbx_utf8_buf(w, out, SBX_SID_STR_MAX);
    LocalFree(w);
    return rc ? sbx_err_set(err, SBX_EINVAL, "SID too long") : 0;
}

int sbx_token_sids_of(HANDLE tok, char user[SBX_SID_STR_MAX], char logon[SBX_SID_STR_MAX],
                      struct sbx_error *err)
{
    TOKEN_USER *tu = token_info(tok, TokenUser, err);
    if (!tu)
        return -SBX_EIO;
    int rc = sid_str(tu->User.Sid, user, err);
    free(tu);
    if (rc)
        return rc;
    logon[0] = '\0';
    TOKEN_GROUPS *tg = token_info(tok, TokenGroups, err);
    if (!tg)
        return -SBX_EIO;
    for (DWORD i = 0; i < tg->GroupCount && !rc; i++)
        if ((tg->Groups[i].Attributes & SE_GROUP_LOGON_ID) == SE_GROUP_LOGON_ID) {
            rc = sid_str(tg->Groups[i].Sid, logon, err);
            break;
        }
    free(tg);
    return rc;
}

int sbx_token_sids(char user[SBX_SID_STR_MAX], char logon[SBX_SID_STR_MAX],
                   struct sbx_error *err)
{
    HANDLE tok;
    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok))
        return sbx_win_err(err, SBX_EIO, GetLastError(), "opening the process token");
    int rc = sbx_token_sids_of(tok, user, logon, err);
    CloseHandle(tok);
    return rc;
}

int sbx_token_is_admin(bool *out, struct sbx_error *err)
{
    SID_IDENTIFIER_AUTHORITY nt = {SECURITY_NT_AUTHORITY};
    PSID admins = NULL;
    *out = false;
    if (!AllocateAndInitializeSid(&nt, 2, SECURITY_BUILTIN_DOMAIN_RID, DOMAIN_ALIAS_RID_ADMINS, 0,
                                  0, 0, 0, 0, 0, &admins))
        return sbx_win_err(err, SBX_EIO, GetLastError(), "building the Administrators SID");
    BOOL member = FALSE;
    BOOL ok = CheckTokenMembership(NULL, admins, &member);
    DWORD e = GetLastError();
    FreeSid(admins);
    if (!ok)
        return sbx_win_err(err, SBX_EIO, e, "checking membership of Administrators");
    *out = member != FALSE;
    return 0;
}
