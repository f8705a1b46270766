/* SPDX-License-Identifier: MIT */
#include "modes/confine/win32/token.h"

#include <sddl.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modes/common/win32/acl.h"
#include "modes/common/win32/acl_spec.h"
#include "modes/common/win32/identity.h"
#include "modes/common/win32/winutil.h"

#define RESTRICT_FLAGS (DISABLE_MAX_PRIVILEGE | LUA_TOKEN | WRITE_RESTRICTED)

static int plan_make(const char *user, const char *logon, const char *const *sids, size_t n,
                     const char *dacl_sid, struct sbx_token_plan *out, struct sbx_error *err)
{
    memset(out, 0, sizeof *out);
    out->flags = RESTRICT_FLAGS;
    for (size_t i = 0; i < n; i++) {
        if (!sids[i][0])
            continue; /* no logon SID (a service token) */
        int rc = sbx_sid_canonical(sids[i], out->restricting[out->n], SBX_SID_STR_MAX, err);
        if (rc)
            return sbx_err_wrap(err, "restricting SID of the token");
        out->n++;
    }
    struct sbx_ace_spec aces[SBX_DEFAULT_DACL_ACES];
    int rc = sbx_ace_token_default_dacl(user, logon[0] ? logon : user, dacl_sid, aces, err);
    if (!rc && sbx_dacl_to_sddl(aces, SBX_DEFAULT_DACL_ACES, false, out->default_dacl,
                                sizeof out->default_dacl))
        rc = sbx_err_set(err, SBX_EINVAL, "the token's default DACL is too long");
    return rc;
}

int sbx_token_plan_unelevated(const char *user, const char *logon, const char *const *caps,
                              size_t n_caps, struct sbx_token_plan *out, struct sbx_error *err)
{
    if (n_caps == 0 || n_caps > SBX_TOKEN_MAX_CAPS)
        return sbx_err_set(err, SBX_EINVAL,
                           "a run takes 1 to %d workspaces on Windows (each has its own "
                           "capability SID in the token), not %lu",
                           SBX_TOKEN_MAX_CAPS, (unsigned long)n_caps);
    const char *sids[SBX_TOKEN_MAX_RESTRICTING];
    for (size_t i = 0; i < n_caps; i++)
        sids[i] = caps[i];
    sids[n_caps] = logon;
    sids[n_caps + 1] = SBX_SID_EVERYONE;
    /* objects the command makes without inheritance: the first
     * workspace's SID passes their write check (any one does) */
    return plan_make(user, logon, sids, n_caps + 2, caps[0], out, err);
}

int sbx_token_plan_elevated(const char *user, const char *logon, const char *group,
                            struct sbx_token_plan *out, struct sbx_error *err)
{
    /* No Everyone: the account must not write where the world may
     * (issue 17 items 1 and 2). */
    const char *sids[] = {group, logon};
    return plan_make(user, logon, sids, 2, group, out, err);
}

/* A SID as its string, or `fallback` when it can't be rendered. */
static void sid_text(PSID sid, const char *fallback, char out[SBX_SID_STR_MAX])
{
    wchar_t *w = NULL;
    snprintf(out, SBX_SID_STR_MAX, "%s", fallback);
    if (ConvertSidToStringSidW(sid, &w)) {
        sbx_utf8_buf(w, out, SBX_SID_STR_MAX);
        LocalFree(w);
    }
}

int sbx_token_restricted_sids_match(const TOKEN_GROUPS *held, const struct sbx_token_plan *p,
                                    struct sbx_error *err)
{
    bool found[SBX_TOKEN_MAX_RESTRICTING] = {false};
    for (DWORD i = 0; i < held->GroupCount; i++) {
        char s[SBX_SID_STR_MAX];
        sid_text(held->Groups[i].Sid, "?", s);
        size_t j;
        for (j = 0; j < p->n; j++)
            if (strcmp(s, p->restricting[j]) == 0 && !found[j])
                break;
        if (j == p->n)
            return sbx_err_set(err, SBX_EPERM,
                               "the restricted token holds the restricting SID %s, which sbx did "
                               "not ask for",
                               s);
        found[j] = true;
    }
    for (size_t j = 0; j < p->n; j++)
        if (!found[j])
            return sbx_err_set(err, SBX_EPERM,
                               "the restricted token lacks the restricting SID %s: this system "
                               "did not restrict it as asked, so sbx will not run a command "
                               "with it",
                               p->restricting[j]);
    return 0;
}

int sbx_token_privileges_minimal(const TOKEN_PRIVILEGES *held, struct sbx_error *err)
{
    LUID notify;
    if (!LookupPrivilegeValueW(NULL, SE_CHANGE_NOTIFY_NAME, &notify))
        return sbx_win_err(err, SBX_EIO, GetLastError(), "looking up SeChangeNotifyPrivilege");
    for (DWORD i = 0; i < held->PrivilegeCount; i++) {
        LUID l = held->Privileges[i].Luid;
        if (l.LowPart == notify.LowPart && l.HighPart == notify.HighPart)
            continue;
        wchar_t name[64];
        DWORD n = 64;
        char u[64] = "?";
        if (LookupPrivilegeNameW(NULL, &l, name, &n))
            sbx_utf8_buf(name, u, sizeof u);
        return sbx_err_set(err, SBX_EPERM,
                           "the restricted token still holds %s: this system did not remove "
                           "its privileges (DISABLE_MAX_PRIVILEGE), so sbx will not run a "
                           "command with it",
                           u);
    }
    return 0;
}

/* GetTokenInformation into a malloc'd buffer. */
static void *token_info(HANDLE tok, TOKEN_INFORMATION_CLASS cls, const char *what,
                        struct sbx_error *err)
{
    DWORD n = 0;
    GetTokenInformation(tok, cls, NULL, 0, &n);
    void *buf = n ? malloc(n) : NULL;
    if (!buf || !GetTokenInformation(tok, cls, buf, n, &n)) {
        sbx_win_err(err, SBX_EPERM, GetLastError(),
                    "reading the %s of the restricted token back (this system may not build "
                    "restricted tokens: sbx will not run a command unrestricted)",
                    what);
        free(buf);
        return NULL;
    }
    return buf;
}

int sbx_token_check(HANDLE tok, const struct sbx_token_plan *p, struct sbx_error *err)
{
    int rc = -SBX_EPERM;
    TOKEN_GROUPS *rs = token_info(tok, TokenRestrictedSids, "restricting SIDs", err);
    TOKEN_PRIVILEGES *pr = rs ? token_info(tok, TokenPrivileges, "privileges", err) : NULL;
    TOKEN_ACCESS_INFORMATION *ai =
        pr ? token_info(tok, TokenAccessInformation, "flags", err) : NULL;
    TOKEN_DEFAULT_DACL *dd = ai ? token_info(tok, TokenDefaultDacl, "default DACL", err) : NULL;
    if (!dd)
        goto out;
    if ((rc = sbx_token_restricted_sids_match(rs, p, err)) ||
        (rc = sbx_token_privileges_minimal(pr, err)))
        goto out;
    if (!(ai->Flags & SBX_TOKEN_FLAG_WRITE_RESTRICTED)) {
        rc = sbx_err_set(err, SBX_EPERM, "the restricted token is not write-restricted");
        goto out;
    }
    /* both rendered by Windows, so aliases (SY, GA) compare equal */
    char *sddl = NULL, *want = NULL;
    PSECURITY_DESCRIPTOR sd = NULL;
    ACL *acl = NULL;
    if (!(rc = sbx_acl_sddl(dd->DefaultDacl, false, &sddl, err)) &&
        !(rc = sbx_acl_from_sddl(p->default_dacl, &sd, &acl, err)) &&
        !(rc = sbx_acl_sddl(acl, false, &want, err)) && strcmp(sddl, want) != 0)
        rc = sbx_err_set(err, SBX_EPERM, "the restricted token's default DACL is %s, not %s",
                         sddl, want);
    free(sddl);
    free(want);
    LocalFree(sd);
out:
    free(rs);
    free(pr);
    free(ai);
    free(dd);
    return rc;
}

int sbx_token_restrict(HANDLE base, const struct sbx_token_plan *p, HANDLE *out,
                       struct sbx_error *err)
{
    *out = NULL;
    HANDLE rt = NULL;
    PSID sids[SBX_TOKEN_MAX_RESTRICTING] = {NULL};
    SID_AND_ATTRIBUTES restrict_sids[SBX_TOKEN_MAX_RESTRICTING];
    PSECURITY_DESCRIPTOR sd = NULL;
    int rc = 0;
    for (size_t i = 0; i < p->n; i++) {
        wchar_t w[SBX_SID_STR_MAX];
        if (sbx_wide_buf(p->restricting[i], w, SBX_SID_STR_MAX) ||
            !ConvertStringSidToSidW(w, &sids[i])) {
            rc = sbx_win_err(err, SBX_EINVAL, GetLastError(), "SID %s", p->restricting[i]);
            goto out;
        }
        restrict_sids[i].Sid = sids[i];
        restrict_sids[i].Attributes = 0;
    }
    if (!CreateRestrictedToken(base, p->flags, 0, NULL, 0, NULL, (DWORD)p->n, restrict_sids,
                               &rt)) {
        rc = sbx_win_err(err, SBX_EIO, GetLastError(), "creating the restricted token");
        goto out;
    }
    ACL *acl;
    if ((rc = sbx_acl_from_sddl(p->default_dacl, &sd, &acl, err)))
        goto out;
    TOKEN_DEFAULT_DACL dd = {acl};
    if (!SetTokenInformation(rt, TokenDefaultDacl, &dd, sizeof dd)) {
        rc = sbx_win_err(err, SBX_EIO, GetLastError(), "setting the default DACL of the "
                         "restricted token");
        goto out;
    }
    if ((rc = sbx_token_check(rt, p, err)) != 0)
        goto out;
    *out = rt;
    rt = NULL;
out:
    if (rt)
        CloseHandle(rt);
    for (size_t i = 0; i < SBX_TOKEN_MAX_RESTRICTING; i++)
        LocalFree(sids[i]);
    LocalFree(sd);
    return rc;
}

static HANDLE own_token(struct sbx_error *err)
{
    HANDLE tok = NULL;
    if (!OpenProcessToken(GetCurrentProcess(),
                          TOKEN_DUPLICATE | TOKEN_QUERY | TOKEN_ASSIGN_PRIMARY |
                              TOKEN_ADJUST_DEFAULT,
                          &tok)) {
        sbx_win_err(err, SBX_EIO, GetLastError(), "opening the process token");
        return NULL;
    }
    return tok;
}

int sbx_token_restricted(const char *const *caps, size_t n_caps, HANDLE *out,
                         struct sbx_error *err)
{
    *out = NULL;
    HANDLE tok = own_token(err);
    if (!tok)
        return -SBX_EIO;
    char user[SBX_SID_STR_MAX], logon[SBX_SID_STR_MAX];
    struct sbx_token_plan p;
    int rc = sbx_token_sids_of(tok, user, logon, err);
    if (!rc)
        rc = sbx_token_plan_unelevated(user, logon, caps, n_caps, &p, err);
    if (!rc)
        rc = sbx_token_restrict(tok, &p, out, err);
    CloseHandle(tok);
    return rc;
}

/* Does tok hold sid as an enabled group? */
static int holds_group(HANDLE tok, const char *sid, struct sbx_error *err)
{
    TOKEN_GROUPS *g = token_info(tok, TokenGroups, "groups", err);
    if (!g)
        return -SBX_EIO;
    int rc = sbx_err_set(err, SBX_EPERM,
                         "this account is not in the group %s (sbx setup makes it a member); "
                         "run sbx doctor --repair as Administrator",
                         sid);
    for (DWORD i = 0; i < g->GroupCount; i++) {
        char s[SBX_SID_STR_MAX];
        sid_text(g->Groups[i].Sid, "", s);
        if (strcmp(s, sid) == 0 && (g->Groups[i].Attributes & SE_GROUP_ENABLED)) {
            sbx_err_clear(err);
            rc = 0;
            break;
        }
    }
    free(g);
    return rc;
}

int sbx_token_restricted_to_group(const char *group_sid, HANDLE *out, struct sbx_error *err)
{
    *out = NULL;
    HANDLE tok = own_token(err);
    if (!tok)
        return -SBX_EIO;
    char user[SBX_SID_STR_MAX], logon[SBX_SID_STR_MAX], group[SBX_SID_STR_MAX];
    struct sbx_token_plan p;
    int rc = sbx_sid_canonical(group_sid, group, sizeof group, err);
    if (!rc)
        rc = holds_group(tok, group, err);
    if (!rc)
        rc = sbx_token_sids_of(tok, user, logon, err);
    if (!rc)
        rc = sbx_token_plan_elevated(user, logon, group, &p, err);
    if (!rc)
        rc = sbx_token_restrict(tok, &p, out, err);
    CloseHandle(tok);
    return rc;
}
