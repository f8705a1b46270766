/* SPDX-License-Identifier: MIT */
#include "modes/common/win32/acl.h"

#include <aclapi.h>
#include <sddl.h>

#include <stdlib.h>
#include <string.h>

#include "modes/common/win32/winutil.h"

#define MATCH_FLAGS (VALID_INHERIT_FLAGS | INHERITED_ACE)

static bool ace_matches(const ACE_HEADER *h, const struct sbx_ace_spec *spec, PSID sid)
{
    BYTE want = spec->type == SBX_ACE_DENY ? ACCESS_DENIED_ACE_TYPE : ACCESS_ALLOWED_ACE_TYPE;
    if (h->AceType != want || (h->AceFlags & MATCH_FLAGS) != (BYTE)spec->flags)
        return false;
    /* ACCESS_ALLOWED_ACE and ACCESS_DENIED_ACE have the same layout. */
    const ACCESS_ALLOWED_ACE *a = (const ACCESS_ALLOWED_ACE *)h;
    return a->Mask == spec->mask && EqualSid((PSID)&a->SidStart, sid);
}

static int spec_sid(const struct sbx_ace_spec *spec, PSID *sid, struct sbx_error *err)
{
    wchar_t w[SBX_SID_STR_MAX];
    if (sbx_wide_buf(spec->sid, w, SBX_SID_STR_MAX) || !ConvertStringSidToSidW(w, sid))
        return sbx_win_err(err, SBX_EINVAL, GetLastError(), "SID %s", spec->sid);
    return 0;
}

int sbx_acl_contains(const ACL *acl, const struct sbx_ace_spec *ace, bool *out,
                     struct sbx_error *err)
{
    PSID sid;
    int rc = spec_sid(ace, &sid, err);
    if (rc)
        return rc;
    *out = false;
    for (DWORD i = 0; acl && i < acl->AceCount; i++) {
        void *p;
        if (GetAce((PACL)acl, i, &p) && ace_matches(p, ace, sid)) {
            *out = true;
            break;
        }
    }
    LocalFree(sid);
    return 0;
}

int sbx_acl_edit(const ACL *old, const struct sbx_ace_spec *ace, bool add, ACL **out,
                 bool *changed, struct sbx_error *err)
{
    *out = NULL;
    *changed = false;
    if (!old)
        return sbx_err_set(err, SBX_EINVAL, "the object has no DACL (everyone has full "
                           "access); sbx does not add entries to it");
    PSID sid;
    int rc = spec_sid(ace, &sid, err);
    if (rc)
        return rc;
    bool present = false;
    DWORD insert_at = old->AceCount; /* allow: end of the explicit ACEs */
    for (DWORD i = 0; i < old->AceCount; i++) {
        ACE_HEADER *h;
        if (!GetAce((PACL)old, i, (void **)&h)) {
            rc = sbx_win_err(err, SBX_EIO, GetLastError(), "reading ACE %lu", (unsigned long)i);
            goto out;
        }
        if (ace_matches(h, ace, sid))
            present = true;
        if ((h->AceFlags & INHERITED_ACE) && insert_at == old->AceCount)
            insert_at = i;
    }
    if (ace->type == SBX_ACE_DENY)
        insert_at = 0;
    *changed = add ? !present : present;

    DWORD ace_size = (DWORD)(sizeof(ACCESS_ALLOWED_ACE) - sizeof(DWORD) + GetLengthSid(sid));
    DWORD size = old->AclSize + (add ? ace_size : 0);
    BYTE rev = old->AclRevision > ACL_REVISION ? old->AclRevision : ACL_REVISION;
    ACL *acl = LocalAlloc(LPTR, size);
    if (!acl) {
        rc = sbx_err_set(err, SBX_ENOMEM, "out of memory building a DACL");
        goto out;
    }
    if (!InitializeAcl(acl, size, rev)) {
        rc = sbx_win_err(err, SBX_EIO, GetLastError(), "InitializeAcl");
        goto fail;
    }
    for (DWORD i = 0; i <= old->AceCount; i++) {
        if (add && !present && i == insert_at) {
            BOOL ok = ace->type == SBX_ACE_DENY
                          ? AddAccessDeniedAceEx(acl, rev, ace->flags, ace->mask, sid)
                          : AddAccessAllowedAceEx(acl, rev, ace->flags, ace->mask, sid);
            if (!ok) {
                rc = sbx_win_err(err, SBX_EIO, GetLastError(), "adding ACE for %s", ace->sid);
                goto fail;
            }
        }
        if (i == old->AceCount)
            break;
        ACE_HEADER *h;
        GetAce((PACL)old, i, (void **)&h);
        if (!add && ace_matches(h, ace, sid))
            continue;
        if (!AddAce(acl, rev, MAXDWORD, h, h->AceSize)) {
            rc = sbx_win_err(err, SBX_EIO, GetLastError(), "copying ACE %lu", (unsigned long)i);
            goto fail;
        }
    }
    *out = acl;
    goto out;
fail:
    LocalFree(acl);
out:
    LocalFree(sid);
    return rc;
}

int sbx_acl_sddl(const ACL *acl, bool protect, char **out, struct sbx_error *err)
{
    SECURITY_DESCRIPTOR sd;
    *out = NULL;
    if (!InitializeSecurityDescriptor(&sd, SECURITY_DESCRIPTOR_REVISION) ||
        !SetSecurityDescriptorDacl(&sd, TRUE, (PACL)acl, FALSE) ||
        (protect && !SetSecurityDescriptorControl(&sd, SE_DACL_PROTECTED, SE_DACL_PROTECTED)))
        return sbx_win_err(err, SBX_EIO, GetLastError(), "building a security descriptor");
    wchar_t *w = NULL;
    if (!ConvertSecurityDescriptorToStringSecurityDescriptorW(&sd, SDDL_REVISION_1,
                                                              DACL_SECURITY_INFORMATION, &w, NULL))
        return sbx_win_err(err, SBX_EIO, GetLastError(), "rendering a DACL as SDDL");
    *out = sbx_utf8(w);
    LocalFree(w);
    return *out ? 0 : sbx_err_set(err, SBX_ENOMEM, "out of memory");
}

int sbx_acl_from_sddl(const char *sddl, PSECURITY_DESCRIPTOR *sd_out, ACL **acl,
                      struct sbx_error *err)
{
    *sd_out = NULL;
    *acl = NULL;
    wchar_t *w = sbx_wide(sddl);
    if (!w)
        return sbx_err_set(err, SBX_EINVAL, "SDDL '%s' is not valid UTF-8", sddl);
    BOOL ok = ConvertStringSecurityDescriptorToSecurityDescriptorW(w, SDDL_REVISION_1, sd_out,
                                                                   NULL);
    DWORD e = GetLastError();
    free(w);
    if (!ok)
        return sbx_win_err(err, SBX_EINVAL, e, "SDDL '%s'", sddl);
    BOOL present = FALSE, defaulted = FALSE;
    if (!GetSecurityDescriptorDacl(*sd_out, &present, acl, &defaulted) || !present) {
        LocalFree(*sd_out);
        *sd_out = NULL;
        return sbx_err_set(err, SBX_EINVAL, "SDDL '%s' has no DACL", sddl);
    }
    return 0;
}

/* Read the DACL of path: *sd to LocalFree, *dacl into it, *protect. */
static int read_dacl(const wchar_t *path, PSECURITY_DESCRIPTOR *sd, ACL **dacl, bool *protect,
                     struct sbx_error *err)
{
    char *u = sbx_utf8(path);
    DWORD e = GetNamedSecurityInfoW(path, SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, NULL, NULL,
                                    dacl, NULL, sd);
    int rc = 0;
    if (e != ERROR_SUCCESS) {
        rc = sbx_win_err(err, 0, e, "reading the permissions of %s", u ? u : "?");
    } else {
        SECURITY_DESCRIPTOR_CONTROL ctl = 0;
        DWORD rev;
        GetSecurityDescriptorControl(*sd, &ctl, &rev);
        *protect = (ctl & SE_DACL_PROTECTED) != 0;
    }
    free(u);
    return rc;
}

/* The DACL sbx_path_ace_set writes on path: read, then edited in memory. */
static int planned_edit(const wchar_t *path, const struct sbx_ace_spec *ace, bool add,
                        PSECURITY_DESCRIPTOR *sd, ACL **dacl, ACL **nacl, bool *protect,
                        bool *changed, struct sbx_error *err)
{
    *nacl = NULL;
    int rc = read_dacl(path, sd, dacl, protect, err);
    if (!rc)
        rc = sbx_acl_edit(*dacl, ace, add, nacl, changed, err);
    return rc;
}

int sbx_path_ace_plan(const wchar_t *path, const struct sbx_ace_spec *ace, bool add,
                      char **before, char **after, struct sbx_error *err)
{
    PSECURITY_DESCRIPTOR sd = NULL;
    ACL *dacl = NULL, *nacl = NULL;
    bool protect = false, changed = false;
    *before = *after = NULL;
    int rc = planned_edit(path, ace, add, &sd, &dacl, &nacl, &protect, &changed, err);
    if (!rc && !(rc = sbx_acl_sddl(dacl, protect, before, err)))
        rc = sbx_acl_sddl(nacl, protect, after, err);
    LocalFree(nacl);
    LocalFree(sd);
    return rc;
}

int sbx_path_ace_set(const wchar_t *path, const struct sbx_ace_spec *ace, bool add,
                     struct sbx_error *err)
{
    PSECURITY_DESCRIPTOR sd = NULL;
    ACL *dacl = NULL, *nacl = NULL;
    bool protect = false, changed = false;
    char *u = sbx_utf8(path);
    int rc = planned_edit(path, ace, add, &sd, &dacl, &nacl, &protect, &changed, err);
    if (!rc && changed) {
        SECURITY_INFORMATION si = DACL_SECURITY_INFORMATION |
                                  (protect ? PROTECTED_DACL_SECURITY_INFORMATION
                                           : UNPROTECTED_DACL_SECURITY_INFORMATION);
        DWORD e = SetNamedSecurityInfoW((LPWSTR)path, SE_FILE_OBJECT, si, NULL, NULL, nacl,
                                        NULL);
        if (e != ERROR_SUCCESS)
            rc = sbx_win_err(err, 0, e, "%s the ACE %s on %s", add ? "adding" : "removing",
                             ace->sid, u ? u : "?");
    } else if (rc) {
        sbx_err_wrap(err, "%s an ACE on %s", add ? "adding" : "removing", u ? u : "?");
    }
    LocalFree(nacl);
    LocalFree(sd);
    free(u);
    return rc;
}

int sbx_path_ace_probe(const wchar_t *path, const struct sbx_ace_spec *ace, bool *present,
                       struct sbx_error *err)
{
    PSECURITY_DESCRIPTOR sd = NULL;
    ACL *dacl = NULL;
    bool protect;
    *present = false;
    int rc = read_dacl(path, &sd, &dacl, &protect, err);
    if (!rc)
        rc = sbx_acl_contains(dacl, ace, present, err);
    LocalFree(sd);
    return rc;
}

int sbx_path_set_dacl(const wchar_t *path, const struct sbx_ace_spec *aces, size_t n,
                      struct sbx_error *err)
{
    char sddl[2048];
    if (sbx_dacl_to_sddl(aces, n, true, sddl, sizeof sddl))
        return sbx_err_set(err, SBX_EINVAL, "DACL too long");
    PSECURITY_DESCRIPTOR sd;
    ACL *acl;
    int rc = sbx_acl_from_sddl(sddl, &sd, &acl, err);
    if (rc)
        return rc;
    DWORD e = SetNamedSecurityInfoW((LPWSTR)path, SE_FILE_OBJECT,
                                    DACL_SECURITY_INFORMATION |
                                        PROTECTED_DACL_SECURITY_INFORMATION,
                                    NULL, NULL, acl, NULL);
    LocalFree(sd);
    if (e != ERROR_SUCCESS) {
        char *u = sbx_utf8(path);
        rc = sbx_win_err(err, 0, e, "restricting %s to its owner", u ? u : "?");
        free(u);
    }
    return rc;
}
