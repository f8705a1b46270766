#include "modes/os/win32/token.h"

#include <sddl.h>

#include <stdlib.h>
#include <string.h>

#include "modes/os/win32/acl.h"
#include "modes/os/win32/acl_spec.h"
#include "modes/os/win32/winutil.h"

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

static int sids_of(HANDLE tok, char user[SBX_SID_STR_MAX], char logon[SBX_SID_STR_MAX],
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
    int rc = sids_of(tok, user, logon, err);
    CloseHandle(tok);
    return rc;
}

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
    if ((rc = sids_of(tok, user, logon, err)) != 0)
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
