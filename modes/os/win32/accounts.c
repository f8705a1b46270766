/* SPDX-License-Identifier: MIT */
#include "modes/os/win32/accounts.h"

#include <windows.h>
#include <lm.h>
#include <sddl.h>
#include <userenv.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modes/common/win32/password.h"
#include "modes/common/win32/winutil.h"

#define HIDE_KEY L"SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon\\SpecialAccounts\\UserList"

bool sbx_account_comment_marked(const char *comment)
{
    return comment && strncmp(comment, SBX_ACCOUNT_MARKER, sizeof SBX_ACCOUNT_MARKER - 1) == 0;
}

int sbx_account_comment(const char *what, char *out, size_t len)
{
    int n = snprintf(out, len, "%s %s, managed by sbx; remove with sbx cleanup",
                     SBX_ACCOUNT_MARKER, what);
    return n < 0 || (size_t)n >= len ? -SBX_EINVAL : 0;
}

static int computer_name(wchar_t *out, DWORD len, struct sbx_error *err)
{
    if (!GetComputerNameW(out, &len))
        return sbx_win_err(err, SBX_EIO, GetLastError(), "reading the computer name");
    return 0;
}

static int sid_string(PSID sid, char *out, size_t len, struct sbx_error *err)
{
    wchar_t *w = NULL;
    if (!ConvertSidToStringSidW(sid, &w))
        return sbx_win_err(err, SBX_EIO, GetLastError(), "formatting a SID");
    int rc = sbx_utf8_buf(w, out, len);
    LocalFree(w);
    return rc ? sbx_err_set(err, SBX_EINVAL, "SID too long") : 0;
}

int sbx_local_lookup(const char *name, enum sbx_principal_type type, char *sid, size_t len,
                     struct sbx_error *err)
{
    wchar_t comp[MAX_COMPUTERNAME_LENGTH + 1], qualified[400], wname[300];
    int rc = computer_name(comp, MAX_COMPUTERNAME_LENGTH + 1, err);
    if (rc)
        return rc;
    if (sbx_wide_buf(name, wname, 300))
        return sbx_err_set(err, SBX_EINVAL, "bad account name '%s'", name);
    /* COMPUTER\name: only this machine's account database answers. */
    swprintf(qualified, 400, L"%ls\\%ls", comp, wname);
    BYTE sidbuf[SECURITY_MAX_SID_SIZE];
    DWORD sidlen = sizeof sidbuf;
    wchar_t dom[300];
    DWORD domlen = 300;
    SID_NAME_USE use;
    if (!LookupAccountNameW(NULL, qualified, sidbuf, &sidlen, dom, &domlen, &use)) {
        DWORD e = GetLastError();
        if (e == ERROR_NONE_MAPPED)
            return sbx_err_set(err, SBX_ENOENT, "there is no local %s '%s'",
                               type == SBX_PRINCIPAL_USER ? "account" : "group", name);
        return sbx_win_err(err, 0, e, "looking up the local account '%s'", name);
    }
    if (CompareStringOrdinal(dom, -1, comp, -1, TRUE) != CSTR_EQUAL)
        return sbx_err_set(err, SBX_EDRIFT, "'%s' resolves to an account of another domain; "
                           "sbx only uses this machine's accounts", name);
    bool ok = type == SBX_PRINCIPAL_USER ? use == SidTypeUser
                                         : (use == SidTypeAlias || use == SidTypeGroup);
    if (!ok)
        return sbx_err_set(err, SBX_EDRIFT, "the local name '%s' is not a %s", name,
                           type == SBX_PRINCIPAL_USER ? "user account" : "group");
    return sid_string(sidbuf, sid, len, err);
}

/* Name (and domain check) of a SID. */
static int name_of(const char *sid, wchar_t *name, DWORD len, struct sbx_error *err)
{
    wchar_t w[SBX_SID_STR_MAX], comp[MAX_COMPUTERNAME_LENGTH + 1], dom[300];
    PSID psid = NULL;
    if (sbx_wide_buf(sid, w, SBX_SID_STR_MAX) || !ConvertStringSidToSidW(w, &psid))
        return sbx_win_err(err, SBX_EINVAL, GetLastError(), "SID %s", sid);
    DWORD domlen = 300;
    SID_NAME_USE use;
    BOOL ok = LookupAccountSidW(NULL, psid, name, &len, dom, &domlen, &use);
    DWORD e = GetLastError();
    LocalFree(psid);
    if (!ok) {
        if (e == ERROR_NONE_MAPPED)
            return sbx_err_set(err, SBX_ENOENT, "no account has the SID %s", sid);
        return sbx_win_err(err, 0, e, "looking up the SID %s", sid);
    }
    int rc = computer_name(comp, MAX_COMPUTERNAME_LENGTH + 1, err);
    if (rc)
        return rc;
    if (CompareStringOrdinal(dom, -1, comp, -1, TRUE) != CSTR_EQUAL)
        return sbx_err_set(err, SBX_EDRIFT, "the SID %s belongs to another domain", sid);
    return 0;
}

static int comment_by_name(const wchar_t *name, enum sbx_principal_type type, char *comment,
                           size_t len, struct sbx_error *err)
{
    BYTE *buf = NULL;
    NET_API_STATUS st;
    const wchar_t *c;
    if (type == SBX_PRINCIPAL_USER) {
        st = NetUserGetInfo(NULL, name, 1, &buf);
        c = st == NERR_Success ? ((USER_INFO_1 *)buf)->usri1_comment : NULL;
    } else {
        st = NetLocalGroupGetInfo(NULL, name, 1, &buf);
        c = st == NERR_Success ? ((LOCALGROUP_INFO_1 *)buf)->lgrpi1_comment : NULL;
    }
    int rc = 0;
    if (st == NERR_UserNotFound || st == NERR_GroupNotFound || st == ERROR_NO_SUCH_ALIAS)
        rc = sbx_err_set(err, SBX_ENOENT, "no such local account");
    else if (st != NERR_Success)
        rc = sbx_win_err(err, 0, st, "reading a local account");
    else if (sbx_utf8_buf(c ? c : L"", comment, len))
        comment[0] = '\0';
    if (buf)
        NetApiBufferFree(buf);
    return rc;
}

int sbx_local_comment_of(const char *sid, enum sbx_principal_type type, char *comment,
                         size_t len, struct sbx_error *err)
{
    wchar_t name[300];
    int rc = name_of(sid, name, 300, err);
    if (!rc)
        rc = comment_by_name(name, type, comment, len, err);
    return rc;
}

static int ensure(const char *name, enum sbx_principal_type type, char *sid, size_t len,
                  struct sbx_error *err)
{
    const char *what = type == SBX_PRINCIPAL_USER ? "account" : "group";
    int rc = sbx_local_lookup(name, type, sid, len, err);
    if (rc == 0) {
        char comment[512];
        rc = sbx_local_comment_of(sid, type, comment, sizeof comment, err);
        if (rc)
            return rc;
        if (!sbx_account_comment_marked(comment))
            return sbx_err_set(err, SBX_EPERM,
                               "a local %s named '%s' already exists and was not made by sbx; "
                               "sbx will not take it over (rename or remove it)",
                               what, name);
        return 0;
    }
    if (rc != -SBX_ENOENT)
        return rc;
    wchar_t wname[300], wcomment[300];
    char comment[256];
    sbx_account_comment(type == SBX_PRINCIPAL_USER ? "sandbox account" : "sandbox accounts' group",
                        comment, sizeof comment);
    if (sbx_wide_buf(name, wname, 300) || sbx_wide_buf(comment, wcomment, 300))
        return sbx_err_set(err, SBX_EINVAL, "bad account name '%s'", name);
    NET_API_STATUS st;
    DWORD parm = 0;
    if (type == SBX_PRINCIPAL_USER) {
        char pw[SBX_PASSWORD_LEN + 1];
        wchar_t wpw[SBX_PASSWORD_LEN + 1];
        if ((rc = sbx_password_generate(pw, err)) != 0)
            return rc;
        sbx_wide_buf(pw, wpw, SBX_PASSWORD_LEN + 1);
        USER_INFO_1 ui = {0};
        ui.usri1_name = wname;
        ui.usri1_password = wpw;
        ui.usri1_priv = USER_PRIV_USER;
        ui.usri1_comment = wcomment;
        ui.usri1_flags = UF_SCRIPT | UF_DONT_EXPIRE_PASSWD | UF_PASSWD_CANT_CHANGE |
                         UF_NORMAL_ACCOUNT;
        st = NetUserAdd(NULL, 1, (BYTE *)&ui, &parm);
        sbx_secure_zero(pw, sizeof pw);
        sbx_secure_zero(wpw, sizeof wpw);
    } else {
        LOCALGROUP_INFO_1 gi = {wname, wcomment};
        st = NetLocalGroupAdd(NULL, 1, (BYTE *)&gi, &parm);
    }
    if (st != NERR_Success)
        return sbx_win_err(err, st == ERROR_ACCESS_DENIED ? SBX_EPERM : SBX_EIO, st,
                           "creating the local %s '%s'%s", what, name,
                           st == ERROR_ACCESS_DENIED ? " (run sbx setup as Administrator)" : "");
    if (type == SBX_PRINCIPAL_USER && (rc = sbx_account_hide(name, true, err)) != 0)
        return rc;
    rc = sbx_local_lookup(name, type, sid, len, err);
    if (rc)
        return sbx_err_wrap(err, "the new local %s '%s' has no SID yet", what, name);
    return 0;
}

int sbx_local_group_ensure(const char *name, char *sid, size_t len, struct sbx_error *err)
{
    return ensure(name, SBX_PRINCIPAL_GROUP, sid, len, err);
}

int sbx_local_user_ensure(const char *name, char *sid, size_t len, struct sbx_error *err)
{
    return ensure(name, SBX_PRINCIPAL_USER, sid, len, err);
}

int sbx_local_principal_delete(const char *sid, enum sbx_principal_type type,
                               struct sbx_error *err)
{
    wchar_t name[300];
    int rc = name_of(sid, name, 300, err);
    if (rc == -SBX_ENOENT)
        return 0;
    if (rc)
        return rc;
    char comment[512], uname[900];
    sbx_utf8_buf(name, uname, sizeof uname);
    rc = comment_by_name(name, type, comment, sizeof comment, err);
    if (rc == -SBX_ENOENT)
        return 0;
    if (rc)
        return rc;
    if (!sbx_account_comment_marked(comment))
        return sbx_err_set(err, SBX_EDRIFT,
                           "the account with SID %s is now '%s' and carries no sbx marker; "
                           "sbx leaves it alone (remove it by hand if it is sbx's)",
                           sid, uname);
    NET_API_STATUS st = type == SBX_PRINCIPAL_USER ? NetUserDel(NULL, name)
                                                   : NetLocalGroupDel(NULL, name);
    if (st != NERR_Success && st != NERR_UserNotFound && st != NERR_GroupNotFound &&
        st != ERROR_NO_SUCH_ALIAS)
        return sbx_win_err(err, 0, st, "deleting the local %s '%s' (%s)",
                           type == SBX_PRINCIPAL_USER ? "account" : "group", uname, sid);
    if (type == SBX_PRINCIPAL_USER) {
        /* The account's profile (C:\Users\SbxOffline and its registry
         * hive) goes with it (issue 17 item 9): by SID, which names it
         * alone.  None is there when the account never ran a command. */
        wchar_t wsid[SBX_SID_STR_MAX];
        if (sbx_wide_buf(sid, wsid, SBX_SID_STR_MAX) == 0 && !DeleteProfileW(wsid, NULL, NULL) &&
            GetLastError() != ERROR_FILE_NOT_FOUND && GetLastError() != ERROR_PATH_NOT_FOUND)
            return sbx_win_err(err, 0, GetLastError(), "deleting the profile of the account "
                               "'%s' (%s)", uname, sid);
        return sbx_account_hide(uname, false, err);
    }
    return 0;
}

int sbx_local_user_set_password(const char *sid, const char *password, struct sbx_error *err)
{
    wchar_t name[300], wpw[SBX_PASSWORD_LEN * 2 + 1];
    int rc = name_of(sid, name, 300, err);
    if (rc)
        return rc;
    if (sbx_wide_buf(password, wpw, sizeof wpw / sizeof wpw[0]))
        return sbx_err_set(err, SBX_EINVAL, "password too long");
    USER_INFO_1003 pi = {wpw};
    NET_API_STATUS st = NetUserSetInfo(NULL, name, 1003, (BYTE *)&pi, NULL);
    sbx_secure_zero(wpw, sizeof wpw);
    if (st != NERR_Success)
        return sbx_win_err(err, 0, st, "setting the password of the account %s", sid);
    return 0;
}

int sbx_local_membership_set(const char *group_sid, const char *member_sid, bool add,
                             struct sbx_error *err)
{
    wchar_t group[300], w[SBX_SID_STR_MAX];
    int rc = name_of(group_sid, group, 300, err);
    if (rc == -SBX_ENOENT && !add)
        return 0;
    if (rc)
        return rc;
    PSID psid = NULL;
    if (sbx_wide_buf(member_sid, w, SBX_SID_STR_MAX) || !ConvertStringSidToSidW(w, &psid))
        return sbx_win_err(err, SBX_EINVAL, GetLastError(), "SID %s", member_sid);
    LOCALGROUP_MEMBERS_INFO_0 m = {psid};
    NET_API_STATUS st = add ? NetLocalGroupAddMembers(NULL, group, 0, (BYTE *)&m, 1)
                            : NetLocalGroupDelMembers(NULL, group, 0, (BYTE *)&m, 1);
    LocalFree(psid);
    if (st == NERR_Success || (add && st == ERROR_MEMBER_IN_ALIAS) ||
        (!add && (st == ERROR_MEMBER_NOT_IN_ALIAS || st == ERROR_NO_SUCH_MEMBER)))
        return 0;
    return sbx_win_err(err, 0, st, "%s %s %s the group %s", add ? "adding" : "removing",
                       member_sid, add ? "to" : "from", group_sid);
}

int sbx_local_membership_probe(const char *group_sid, const char *member_sid, bool *present,
                               struct sbx_error *err)
{
    wchar_t group[300], w[SBX_SID_STR_MAX];
    *present = false;
    int rc = name_of(group_sid, group, 300, err);
    if (rc == -SBX_ENOENT)
        return 0;
    if (rc)
        return rc;
    PSID want = NULL;
    if (sbx_wide_buf(member_sid, w, SBX_SID_STR_MAX) || !ConvertStringSidToSidW(w, &want))
        return sbx_win_err(err, SBX_EINVAL, GetLastError(), "SID %s", member_sid);
    BYTE *buf = NULL;
    DWORD n = 0, total = 0;
    DWORD_PTR resume = 0;
    NET_API_STATUS st = NetLocalGroupGetMembers(NULL, group, 0, &buf, MAX_PREFERRED_LENGTH, &n,
                                                &total, &resume);
    if (st == NERR_Success) {
        LOCALGROUP_MEMBERS_INFO_0 *m = (LOCALGROUP_MEMBERS_INFO_0 *)buf;
        for (DWORD i = 0; i < n && !*present; i++)
            *present = EqualSid(m[i].lgrmi0_sid, want) != 0;
    } else {
        rc = sbx_win_err(err, 0, st, "listing the members of the group %s", group_sid);
    }
    if (buf)
        NetApiBufferFree(buf);
    LocalFree(want);
    return rc;
}

int sbx_account_hide(const char *name, bool hide, struct sbx_error *err)
{
    wchar_t wname[300];
    if (sbx_wide_buf(name, wname, 300))
        return sbx_err_set(err, SBX_EINVAL, "bad account name '%s'", name);
    LSTATUS st;
    if (hide) {
        HKEY key;
        st = RegCreateKeyExW(HKEY_LOCAL_MACHINE, HIDE_KEY, 0, NULL, 0, KEY_SET_VALUE, NULL, &key,
                             NULL);
        if (st == ERROR_SUCCESS) {
            DWORD zero = 0;
            st = RegSetValueExW(key, wname, 0, REG_DWORD, (const BYTE *)&zero, sizeof zero);
            RegCloseKey(key);
        }
    } else {
        st = RegDeleteKeyValueW(HKEY_LOCAL_MACHINE, HIDE_KEY, wname);
        if (st == ERROR_FILE_NOT_FOUND)
            st = ERROR_SUCCESS;
    }
    if (st != ERROR_SUCCESS)
        return sbx_win_err(err, 0, (unsigned long)st, "%s the account '%s' %s the sign-in screen",
                           hide ? "hiding" : "showing", name, hide ? "from" : "on");
    return 0;
}

/* Visit `name` when its comment carries the marker. */
static int visit_if_marked(sbx_account_visit visit, void *ctx, enum sbx_principal_type type,
                           const wchar_t *name, struct sbx_error *err)
{
    char c[512], n[300], sid[SBX_SID_STR_MAX];
    struct sbx_error ignore;
    if (comment_by_name(name, type, c, sizeof c, &ignore) != 0 ||
        !sbx_account_comment_marked(c) || sbx_utf8_buf(name, n, sizeof n) ||
        sbx_local_lookup(n, type, sid, sizeof sid, &ignore) != 0)
        return 0;
    return visit(ctx, type, n, sid, err);
}

/* Names at level 0, then each one's comment at level 1: every Windows
 * version answers these levels (Wine too, which has no level-1 listing). */
int sbx_local_find_marked(sbx_account_visit visit, void *ctx, struct sbx_error *err)
{
    int rc = 0;
    NET_API_STATUS st;
    DWORD resume = 0;
    do {
        BYTE *buf = NULL;
        DWORD n = 0, total = 0;
        st = NetUserEnum(NULL, 0, FILTER_NORMAL_ACCOUNT, &buf, MAX_PREFERRED_LENGTH, &n, &total,
                         &resume);
        if (st != NERR_Success && st != ERROR_MORE_DATA) {
            if (buf)
                NetApiBufferFree(buf);
            return sbx_win_err(err, 0, st, "listing the local accounts");
        }
        USER_INFO_0 *u = (USER_INFO_0 *)buf;
        for (DWORD i = 0; i < n && rc == 0; i++)
            rc = visit_if_marked(visit, ctx, SBX_PRINCIPAL_USER, u[i].usri0_name, err);
        if (buf)
            NetApiBufferFree(buf);
    } while (st == ERROR_MORE_DATA && rc == 0);
    DWORD_PTR gresume = 0;
    do {
        BYTE *buf = NULL;
        DWORD n = 0, total = 0;
        if (rc)
            break;
        st = NetLocalGroupEnum(NULL, 0, &buf, MAX_PREFERRED_LENGTH, &n, &total, &gresume);
        if (st != NERR_Success && st != ERROR_MORE_DATA) {
            if (buf)
                NetApiBufferFree(buf);
            return sbx_win_err(err, 0, st, "listing the local groups");
        }
        LOCALGROUP_INFO_0 *g = (LOCALGROUP_INFO_0 *)buf;
        for (DWORD i = 0; i < n && rc == 0; i++)
            rc = visit_if_marked(visit, ctx, SBX_PRINCIPAL_GROUP, g[i].lgrpi0_name, err);
        if (buf)
            NetApiBufferFree(buf);
    } while (st == ERROR_MORE_DATA && rc == 0);
    return rc;
}
