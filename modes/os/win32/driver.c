/* SPDX-License-Identifier: MIT */
/* The Windows OS driver: struct sbx_os_ops over accounts.c and firewall.c
 * here and the helpers of modes/common/win32 (ACLs, DPAPI, passwords,
 * paths).  Resource conventions: modes/common/win32/resources.h. */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modes/common/win32/acl.h"
#include "modes/common/win32/dpapi.h"
#include "modes/common/win32/identity.h"
#include "modes/common/win32/password.h"
#include "modes/common/win32/resources.h"
#include "modes/common/win32/winpath.h"
#include "modes/common/win32/winutil.h"
#include "modes/os/os.h"
#include "modes/os/win32/accounts.h"
#include "modes/os/win32/firewall.h"
#include "util/platform.h"

static int set(char **field, const char *v, struct sbx_error *err)
{
    return sbx_resource_set_field(field, v) ? sbx_err_set(err, SBX_ENOMEM, "out of memory") : 0;
}

/* A path from the ledger in \\?\ form. */
static wchar_t *long_path(const char *path, struct sbx_error *err)
{
    wchar_t *w = sbx_wide(path), *norm = NULL, *out = NULL;
    if (w && (norm = malloc(SBX_WINPATH_MAX * sizeof *norm)) &&
        sbx_winpath_normalize(w, norm, SBX_WINPATH_MAX, err) == 0 &&
        (out = malloc(SBX_WINPATH_MAX * sizeof *out)) &&
        sbx_winpath_long(norm, out, SBX_WINPATH_MAX) != 0) {
        free(out);
        out = NULL;
    }
    if (!out && err && !err->code)
        sbx_err_set(err, SBX_EINVAL, "bad path '%s'", path ? path : "");
    free(w);
    free(norm);
    return out;
}

/* --- ACL entries ----------------------------------------------------------- */

static int ace_trustee(const struct sbx_resource *r, bool create, char sid[SBX_SID_STR_MAX],
                       struct sbx_error *err)
{
    if (r->principal && r->principal[0])
        return sbx_sid_canonical(r->principal, sid, SBX_SID_STR_MAX, err);
    char group[128];
    if (sbx_detail_get(r->detail, "trustee", group, sizeof group) != 0)
        return sbx_err_set(err, SBX_ECORRUPT, "ACL entry '%s' names no trustee", r->key);
    if (!create)
        return -SBX_ENOENT; /* never created: nothing of it to find */
    return sbx_local_lookup(group, SBX_PRINCIPAL_GROUP, sid, SBX_SID_STR_MAX, err);
}

/* A grant goes only where a workspace may be: the path resolves to
 * itself (no junction or symlink in it now) and passes the workspace
 * checks (no drive root, Windows, Program Files, ProgramData, profile).
 * The ledger names the path, and an elevated sbx applying it must not be
 * steered by whoever wrote the ledger (issue 17 item 7).  Removals and
 * denials need no such proof: they only take rights away from sbx's own
 * SIDs. */
static int grant_path_allowed(const struct sbx_resource *r, struct sbx_error *err)
{
    char resolved[4096];
    int rc = sbx_win32_workspace_resolve(r->path ? r->path : "", resolved, sizeof resolved, err);
    if (rc)
        return sbx_err_wrap(err, "refusing the grant of %s", r->key);
    wchar_t *a = sbx_wide(resolved), *b = sbx_wide(r->path), *nb = malloc(SBX_WINPATH_MAX * 2);
    bool same = a && b && nb &&
                sbx_winpath_normalize(b, nb, SBX_WINPATH_MAX, NULL) == 0 &&
                sbx_winpath_equal(a, nb);
    free(a);
    free(b);
    free(nb);
    if (!same)
        return sbx_err_set(err, SBX_EPERM,
                           "refusing the grant of %s: the path now resolves to %s (a junction "
                           "or symbolic link was put in its way)",
                           r->key, resolved);
    return 0;
}

static int acl_entry(enum sbx_action act, struct sbx_resource *r, bool probe, bool *present,
                     struct sbx_error *err)
{
    char sid[SBX_SID_STR_MAX];
    int rc = ace_trustee(r, act == SBX_ACT_CREATE && !probe, sid, err);
    if (rc == -SBX_ENOENT && (probe || act == SBX_ACT_DELETE)) {
        if (present)
            *present = false;
        return 0;
    }
    if (rc)
        return rc;
    struct sbx_ace_spec spec;
    if ((rc = sbx_winres_ace_spec(r, sid, &spec, err)) != 0)
        return rc;
    if (!probe && act == SBX_ACT_CREATE && spec.type == SBX_ACE_ALLOW &&
        (rc = grant_path_allowed(r, err)) != 0)
        return rc;
    wchar_t *p = long_path(r->path, err);
    if (!p)
        return -SBX_EINVAL;
    if (probe) {
        rc = sbx_path_ace_probe(p, &spec, present, err);
        if (rc == -SBX_ENOENT) {
            *present = false;
            rc = 0;
        }
    } else {
        rc = sbx_path_ace_set(p, &spec, act == SBX_ACT_CREATE, err);
        if (rc == -SBX_ENOENT && act == SBX_ACT_DELETE)
            rc = 0; /* the directory is gone, and the ACE with it */
        if (!rc && act == SBX_ACT_CREATE)
            rc = set(&r->principal, sid, err);
    }
    free(p);
    return rc;
}

/* --- accounts, groups, memberships ---------------------------------------- */

static int principal_apply(enum sbx_action act, struct sbx_resource *r,
                           enum sbx_principal_type type, struct sbx_error *err)
{
    if (act == SBX_ACT_DELETE) {
        if (!r->principal || !r->principal[0])
            return 0; /* never created */
        return sbx_local_principal_delete(r->principal, type, err);
    }
    char sid[SBX_SID_STR_MAX];
    int rc = type == SBX_PRINCIPAL_USER ? sbx_local_user_ensure(r->name, sid, sizeof sid, err)
                                        : sbx_local_group_ensure(r->name, sid, sizeof sid, err);
    if (rc)
        return rc;
    if (r->principal && r->principal[0] && strcmp(r->principal, sid) != 0)
        return sbx_err_set(err, SBX_EDRIFT,
                           "the local %s '%s' now has the SID %s, not %s as sbx recorded; run "
                           "sbx doctor",
                           type == SBX_PRINCIPAL_USER ? "account" : "group", r->name, sid,
                           r->principal);
    if ((rc = set(&r->principal, sid, err)) != 0)
        return rc;
    return set(&r->os_id, sid, err);
}

static int principal_probe(const struct sbx_resource *r, enum sbx_principal_type type,
                           enum sbx_presence *out, struct sbx_error *err)
{
    char comment[512];
    *out = SBX_ABSENT;
    if (!r->principal || !r->principal[0])
        return 0;
    int rc = sbx_local_comment_of(r->principal, type, comment, sizeof comment, err);
    if (rc == -SBX_ENOENT)
        return 0;
    if (rc)
        return rc;
    *out = sbx_account_comment_marked(comment) ? SBX_PRESENT : SBX_DIFFERENT;
    return 0;
}

static int membership_sids(struct sbx_resource *r, bool create, char group[SBX_SID_STR_MAX],
                           char member[SBX_SID_STR_MAX], struct sbx_error *err)
{
    if (r->os_id && r->os_id[0] && r->principal && r->principal[0]) {
        snprintf(group, SBX_SID_STR_MAX, "%s", r->os_id);
        snprintf(member, SBX_SID_STR_MAX, "%s", r->principal);
        return 0;
    }
    if (!create)
        return -SBX_ENOENT;
    char gname[128];
    if (sbx_detail_get(r->detail, "group", gname, sizeof gname) != 0)
        return sbx_err_set(err, SBX_ECORRUPT, "membership '%s' names no group", r->key);
    int rc = sbx_local_lookup(gname, SBX_PRINCIPAL_GROUP, group, SBX_SID_STR_MAX, err);
    if (!rc)
        rc = sbx_local_lookup(r->name, SBX_PRINCIPAL_USER, member, SBX_SID_STR_MAX, err);
    return rc;
}

static int membership_apply(enum sbx_action act, struct sbx_resource *r, struct sbx_error *err)
{
    char g[SBX_SID_STR_MAX], m[SBX_SID_STR_MAX];
    int rc = membership_sids(r, act == SBX_ACT_CREATE, g, m, err);
    if (rc == -SBX_ENOENT && act == SBX_ACT_DELETE)
        return 0;
    if (!rc)
        rc = sbx_local_membership_set(g, m, act == SBX_ACT_CREATE, err);
    if (!rc && act == SBX_ACT_CREATE && !(rc = set(&r->os_id, g, err)))
        rc = set(&r->principal, m, err);
    return rc;
}

/* --- credentials ------------------------------------------------------------ */

static int write_credential(const char *path, const char *b64, const char *caller,
                            struct sbx_error *err)
{
    struct sbx_ace_spec aces[3];
    int rc;
    if ((rc = sbx_ace_make(SBX_ACE_ALLOW, SBX_ACE_OI | SBX_ACE_CI, SBX_RIGHTS_FULL,
                           SBX_SID_ADMINISTRATORS, &aces[0], err)) ||
        (rc = sbx_ace_make(SBX_ACE_ALLOW, SBX_ACE_OI | SBX_ACE_CI, SBX_RIGHTS_FULL,
                           SBX_SID_SYSTEM, &aces[1], err)) ||
        (rc = sbx_ace_make(SBX_ACE_ALLOW, SBX_ACE_OI | SBX_ACE_CI, SBX_RIGHTS_READ, caller,
                           &aces[2], err)))
        return rc;
    wchar_t *file = long_path(path, err);
    if (!file)
        return -SBX_EINVAL;
    wchar_t *dir = _wcsdup(file);
    wchar_t *slash = dir ? wcsrchr(dir, L'\\') : NULL;
    if (!slash) {
        free(file);
        free(dir);
        return sbx_err_set(err, SBX_EINVAL, "bad credential path %s", path);
    }
    *slash = L'\0';
    if (!CreateDirectoryW(dir, NULL) && GetLastError() != ERROR_ALREADY_EXISTS)
        rc = sbx_win_err(err, 0, GetLastError(), "creating the folder of %s", path);
    if (!rc)
        rc = sbx_path_set_dacl(dir, aces, 3, err);
    if (!rc) {
        HANDLE h = CreateFileW(file, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS,
                               FILE_ATTRIBUTE_NORMAL, NULL);
        DWORD done = 0, len = (DWORD)strlen(b64);
        if (h == INVALID_HANDLE_VALUE)
            rc = sbx_win_err(err, 0, GetLastError(), "writing %s", path);
        else {
            if (!WriteFile(h, b64, len, &done, NULL) || done != len || !FlushFileBuffers(h))
                rc = sbx_win_err(err, 0, GetLastError(), "writing %s", path);
            CloseHandle(h);
        }
    }
    if (!rc)
        rc = sbx_path_set_dacl(file, aces, 3, err);
    free(file);
    free(dir);
    return rc;
}

static int credential_apply(enum sbx_action act, struct sbx_resource *r, struct sbx_error *err)
{
    int rc = sbx_winres_credential_path_check(r, err);
    if (rc)
        return rc;
    if (act == SBX_ACT_DELETE) {
        wchar_t *file = long_path(r->path, err);
        if (!file)
            return -SBX_EINVAL;
        DWORD a = GetFileAttributesW(file);
        if (a != INVALID_FILE_ATTRIBUTES &&
            (a & (FILE_ATTRIBUTE_REPARSE_POINT | FILE_ATTRIBUTE_DIRECTORY))) {
            free(file);
            return sbx_err_set(err, SBX_EPERM,
                               "refusing to delete the credential %s: it is a directory or a "
                               "link, not the file sbx wrote",
                               r->path);
        }
        if (!DeleteFileW(file) && GetLastError() != ERROR_FILE_NOT_FOUND &&
            GetLastError() != ERROR_PATH_NOT_FOUND)
            rc = sbx_win_err(err, 0, GetLastError(), "deleting the credential %s", r->path);
        free(file);
        return rc;
    }
    char caller[SBX_SID_STR_MAX], me[SBX_SID_STR_MAX], logon[SBX_SID_STR_MAX];
    char sid[SBX_SID_STR_MAX], pw[SBX_PASSWORD_LEN + 1];
    if (sbx_detail_get(r->detail, "for", caller, sizeof caller) != 0)
        return sbx_err_set(err, SBX_ECORRUPT, "credential '%s' names no user", r->key);
    if ((rc = sbx_token_sids(me, logon, err)) != 0)
        return rc;
    if (strcmp(me, caller) != 0)
        return sbx_err_set(err, SBX_EPERM,
                           "the credential of %s is for the user %s, but sbx runs as %s: DPAPI "
                           "protects it for one user only; run sbx setup as that user",
                           r->name, caller, me);
    if (r->principal && r->principal[0])
        snprintf(sid, sizeof sid, "%s", r->principal);
    else if ((rc = sbx_local_lookup(r->name, SBX_PRINCIPAL_USER, sid, sizeof sid, err)) != 0)
        return rc;
    /* A fresh password, known only through this file.  The file is
     * written (and flushed) before the account gets the password: a crash
     * between the two leaves a file whose password the account does not
     * have yet, which the plan's recovery rewrites (resume) or removes
     * (rollback); never an account whose password exists nowhere (issue
     * 17 item 8). */
    if ((rc = sbx_password_generate(pw, err)) != 0)
        return rc;
    char *b64 = NULL;
    rc = sbx_dpapi_protect(pw, strlen(pw), r->name, &b64, err);
    if (!rc)
        rc = write_credential(r->path, b64, caller, err);
    if (!rc)
        rc = sbx_local_user_set_password(sid, pw, err);
    sbx_secure_zero(pw, sizeof pw);
    free(b64);
    if (!rc)
        rc = set(&r->principal, sid, err);
    return rc;
}

/* --- firewall ------------------------------------------------------------- */

static int firewall_apply(enum sbx_action act, struct sbx_resource *r, struct sbx_error *err)
{
    struct sbx_fw *fw;
    int rc;
    if (act == SBX_ACT_DELETE) {
        if (!r->os_id || !r->os_id[0])
            return 0; /* never created */
        if ((rc = sbx_fw_open(false, &fw, err)) != 0)
            return rc;
        rc = sbx_fw_rule_remove(fw, r->os_id, err);
        sbx_fw_close(fw);
        return rc;
    }
    char sid[SBX_SID_STR_MAX];
    if (r->principal && r->principal[0])
        snprintf(sid, sizeof sid, "%s", r->principal);
    else if ((rc = sbx_local_lookup(r->name, SBX_PRINCIPAL_USER, sid, sizeof sid, err)) != 0)
        return rc;
    struct sbx_fw_rule_spec spec;
    if ((rc = sbx_fw_block_spec(r->name, sid, sbx_winres_firewall_outbound(r), &spec, err)) != 0)
        return rc;
    if ((rc = sbx_fw_open(true, &fw, err)) != 0)
        return rc;
    rc = sbx_fw_rule_ensure(fw, &spec, err);
    sbx_fw_close(fw);
    if (!rc && !(rc = set(&r->principal, sid, err)))
        rc = set(&r->os_id, spec.name, err);
    return rc;
}

static int firewall_probe(const struct sbx_resource *r, enum sbx_presence *out,
                          struct sbx_error *err)
{
    *out = SBX_ABSENT;
    if (!r->principal || !r->principal[0])
        return 0;
    struct sbx_fw_rule_spec spec;
    struct sbx_fw *fw;
    int rc = sbx_fw_block_spec(r->name, r->principal, sbx_winres_firewall_outbound(r), &spec,
                               err);
    if (rc || (rc = sbx_fw_open(false, &fw, err)) != 0)
        return rc;
    int state = 0;
    rc = sbx_fw_rule_probe(fw, &spec, &state, err);
    sbx_fw_close(fw);
    *out = state == 1 ? SBX_PRESENT : state == 2 ? SBX_DIFFERENT : SBX_ABSENT;
    return rc;
}

/* --- directories ------------------------------------------------------------ */

static int directory_apply(enum sbx_action act, struct sbx_resource *r, struct sbx_error *err)
{
    if (act == SBX_ACT_CREATE)
        return sbx_fs_mkdir_private(r->path, err);
    wchar_t *p = long_path(r->path, err);
    if (!p)
        return -SBX_EINVAL;
    int rc = 0;
    /* Only an empty directory goes: what someone put there stays. */
    if (!RemoveDirectoryW(p) && GetLastError() != ERROR_FILE_NOT_FOUND &&
        GetLastError() != ERROR_PATH_NOT_FOUND)
        rc = sbx_win_err(err, 0, GetLastError(), "removing the directory %s", r->path);
    free(p);
    return rc;
}

/* --- the ops ---------------------------------------------------------------- */

static int win_apply(struct sbx_os *os, enum sbx_action act, struct sbx_resource *r,
                     struct sbx_error *err)
{
    (void)os;
    switch (r->kind) {
    case SBX_R_ACL_ENTRY: return acl_entry(act, r, false, NULL, err);
    case SBX_R_GROUP: return principal_apply(act, r, SBX_PRINCIPAL_GROUP, err);
    case SBX_R_ACCOUNT: return principal_apply(act, r, SBX_PRINCIPAL_USER, err);
    case SBX_R_MEMBERSHIP: return membership_apply(act, r, err);
    case SBX_R_CREDENTIAL: return credential_apply(act, r, err);
    case SBX_R_FIREWALL_RULE: return firewall_apply(act, r, err);
    case SBX_R_DIRECTORY: return directory_apply(act, r, err);
    default:
        return sbx_err_set(err, SBX_ENOTSUP, "the Windows driver has no %s objects (%s)",
                           sbx_rkind_name(r->kind), r->key ? r->key : "");
    }
}

static int win_probe(struct sbx_os *os, const struct sbx_resource *r, enum sbx_presence *out,
                     struct sbx_error *err)
{
    (void)os;
    *out = SBX_ABSENT;
    switch (r->kind) {
    case SBX_R_ACL_ENTRY: {
        bool present = false;
        int rc = acl_entry(SBX_ACT_CREATE, (struct sbx_resource *)r, true, &present, err);
        *out = present ? SBX_PRESENT : SBX_ABSENT;
        return rc;
    }
    case SBX_R_GROUP: return principal_probe(r, SBX_PRINCIPAL_GROUP, out, err);
    case SBX_R_ACCOUNT: return principal_probe(r, SBX_PRINCIPAL_USER, out, err);
    case SBX_R_MEMBERSHIP: {
        if (!r->os_id || !r->principal)
            return 0;
        bool present = false;
        int rc = sbx_local_membership_probe(r->os_id, r->principal, &present, err);
        *out = present ? SBX_PRESENT : SBX_ABSENT;
        return rc;
    }
    case SBX_R_CREDENTIAL:
    case SBX_R_DIRECTORY: {
        wchar_t *p = long_path(r->path, err);
        if (!p)
            return -SBX_EINVAL;
        DWORD a = GetFileAttributesW(p);
        free(p);
        bool want_dir = r->kind == SBX_R_DIRECTORY;
        if (a != INVALID_FILE_ATTRIBUTES)
            *out = ((a & FILE_ATTRIBUTE_DIRECTORY) != 0) == want_dir ? SBX_PRESENT
                                                                     : SBX_DIFFERENT;
        return 0;
    }
    case SBX_R_FIREWALL_RULE: return firewall_probe(r, out, err);
    default:
        return sbx_err_set(err, SBX_ENOTSUP, "the Windows driver has no %s objects (%s)",
                           sbx_rkind_name(r->kind), r->key ? r->key : "");
    }
}

static int add_marked_account(void *ctx, enum sbx_principal_type type, const char *name,
                              const char *sid, struct sbx_error *err)
{
    struct sbx_resource_list *out = ctx;
    char key[160];
    snprintf(key, sizeof key, "%s:%s", type == SBX_PRINCIPAL_USER ? "account" : "group", name);
    if (sbx_rlist_add(out, type == SBX_PRINCIPAL_USER ? SBX_R_ACCOUNT : SBX_R_GROUP, key, name,
                      sid, NULL, NULL, "elevated"))
        return sbx_err_set(err, SBX_ENOMEM, "out of memory");
    struct sbx_resource *r = &out->items[out->len - 1];
    return set(&r->os_id, sid, err);
}

static int add_marked_rule(void *ctx, const char *name, const char *users,
                           struct sbx_error *err)
{
    struct sbx_resource_list *out = ctx;
    char key[256], sid[SBX_SID_STR_MAX];
    snprintf(key, sizeof key, "firewall:%s", name);
    bool have_sid = sbx_fw_users_sid(users, sid, sizeof sid) == 0;
    if (sbx_rlist_add(out, SBX_R_FIREWALL_RULE, key, NULL, have_sid ? sid : NULL, NULL, NULL,
                      "elevated"))
        return sbx_err_set(err, SBX_ENOMEM, "out of memory");
    return set(&out->items[out->len - 1].os_id, name, err);
}

static int win_find_marked(struct sbx_os *os, struct sbx_resource_list *out,
                           struct sbx_error *err)
{
    (void)os;
    int rc = sbx_local_find_marked(add_marked_account, out, err);
    if (rc)
        return rc;
    struct sbx_fw *fw;
    if ((rc = sbx_fw_open(false, &fw, err)) != 0)
        return rc;
    rc = sbx_fw_rules_of_group(fw, add_marked_rule, out, err);
    sbx_fw_close(fw);
    /* Only an emulation (Wine) has a firewall that can't list rules: there
     * is then no rule of sbx's to find. */
    if (rc == -SBX_ENOTSUP) {
        sbx_err_clear(err);
        rc = 0;
    }
    return rc;
}

static int win_privilege(struct sbx_os *os, enum sbx_privilege *out, struct sbx_error *err)
{
    (void)os;
    bool admin = false;
    int rc = sbx_token_is_admin(&admin, err);
    *out = admin ? SBX_PRIV_ADMIN : SBX_PRIV_USER;
    return rc;
}

static void win_destroy(struct sbx_os *os)
{
    free(os);
}

static const struct sbx_os_ops win32_ops = {
    .name = "win32",
    .apply = win_apply,
    .probe = win_probe,
    .find_marked = win_find_marked,
    .privilege = win_privilege,
    .destroy = win_destroy,
};

int sbx_os_open_native(struct sbx_os **out, struct sbx_error *err)
{
    struct sbx_os *os = calloc(1, sizeof *os);
    if (!os)
        return sbx_err_set(err, SBX_ENOMEM, "out of memory");
    os->ops = &win32_ops;
    *out = os;
    return 0;
}
