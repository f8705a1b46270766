/* SPDX-License-Identifier: MIT */
#include "modes/common/win32/resources.h"

#include <stdio.h>
#include <string.h>

static int oom(struct sbx_error *err)
{
    return sbx_err_set(err, SBX_ENOMEM, "out of memory");
}

/* Push and set fields add can't. */
static int push(struct sbx_resource_list *l, enum sbx_rkind kind, const char *key,
                const char *name, const char *principal, const char *path, const char *detail,
                const char *mode, struct sbx_error *err)
{
    if (sbx_rlist_add(l, kind, key, name, principal, path, detail, mode))
        return oom(err);
    return 0;
}

int sbx_winres_capability(struct sbx_resource_list *l, const char *ws, const char *sid,
                          struct sbx_error *err)
{
    char canon[SBX_SID_STR_MAX], key[8192];
    int rc = sbx_sid_canonical(sid, canon, sizeof canon, err);
    if (rc)
        return rc;
    int n = snprintf(key, sizeof key, "capability:%s", ws);
    if (n < 0 || (size_t)n >= sizeof key)
        return sbx_err_set(err, SBX_EINVAL, "path too long for a capability: %s", ws);
    return push(l, SBX_R_CAPABILITY_SID, key, NULL, canon, ws, NULL, "unelevated", err);
}

int sbx_winres_capability_of(const struct sbx_resource_list *l, const char *ws, char *sid,
                             size_t len)
{
    char key[8192];
    int n = snprintf(key, sizeof key, "capability:%s", ws);
    long i = l && n > 0 && (size_t)n < sizeof key ? sbx_rlist_find(l, SBX_R_CAPABILITY_SID, key)
                                                  : -1;
    if (i < 0 || !l->items[i].principal)
        return -SBX_ENOENT;
    return sbx_sid_canonical(l->items[i].principal, sid, len, NULL);
}

int sbx_winres_ace(struct sbx_resource_list *l, const char *path, enum sbx_winres_ace what,
                   const char *trustee_sid, const char *trustee_group, const char *mode,
                   struct sbx_error *err)
{
    /* The ACE as data, with a placeholder SID only to render its fields. */
    struct sbx_ace_spec spec;
    const char *placeholder = trustee_sid ? trustee_sid : "S-1-0-0";
    if (what == SBX_WINRES_OWNER_RIGHTS)
        trustee_sid = SBX_SID_OWNER_RIGHTS;
    int rc = what == SBX_WINRES_GRANT  ? sbx_ace_workspace_grant(placeholder, &spec, err)
             : what == SBX_WINRES_DENY ? sbx_ace_protect_deny(placeholder, &spec, err)
                                       : sbx_ace_owner_rights(&spec, err);
    if (rc)
        return rc;
    if (!trustee_sid && (!trustee_group || !trustee_group[0]))
        return sbx_err_set(err, SBX_EINVAL, "an ACE on %s without a trustee", path);
    char sddl[256], fields[64], key[8192], detail[256];
    sbx_ace_to_sddl(&spec, sddl, sizeof sddl);
    /* fields: "A;OICI;0x1301bf" = the SDDL between "(" and ";;;" */
    const char *end = strstr(sddl, ";;;");
    snprintf(fields, sizeof fields, "%.*s", (int)(end - sddl - 1), sddl + 1);
    int n;
    if (trustee_sid) {
        n = snprintf(key, sizeof key, "%s|%s", path, sddl);
        snprintf(detail, sizeof detail, "ace=%s\n", fields);
    } else {
        n = snprintf(key, sizeof key, "%s|(%s;;;group:%s)", path, fields, trustee_group);
        snprintf(detail, sizeof detail, "ace=%s\ntrustee=%s\n", fields, trustee_group);
    }
    if (n < 0 || (size_t)n >= sizeof key)
        return sbx_err_set(err, SBX_EINVAL, "path too long for an ACE: %s", path);
    return push(l, SBX_R_ACL_ENTRY, key, NULL, trustee_sid ? spec.sid : NULL, path, detail, mode,
                err);
}

int sbx_winres_group(struct sbx_resource_list *l, const char *name, struct sbx_error *err)
{
    char key[128];
    snprintf(key, sizeof key, "group:%s", name);
    return push(l, SBX_R_GROUP, key, name, NULL, NULL, NULL, "elevated", err);
}

int sbx_winres_account(struct sbx_resource_list *l, const char *name, bool net,
                       struct sbx_error *err)
{
    char key[128];
    snprintf(key, sizeof key, "account:%s", name);
    return push(l, SBX_R_ACCOUNT, key, name, NULL, NULL, net ? "net=on\n" : "net=off\n",
                "elevated", err);
}

int sbx_winres_membership(struct sbx_resource_list *l, const char *group, const char *member,
                          struct sbx_error *err)
{
    char key[256], detail[128];
    snprintf(key, sizeof key, "member:%s/%s", group, member);
    snprintf(detail, sizeof detail, "group=%s\n", group);
    return push(l, SBX_R_MEMBERSHIP, key, member, NULL, NULL, detail, "elevated", err);
}

int sbx_winres_credential(struct sbx_resource_list *l, const char *account,
                          const char *caller_sid, const char *state_dir, struct sbx_error *err)
{
    char key[512], path[4096], detail[256];
    snprintf(key, sizeof key, "credential:%s@%s", account, caller_sid);
    int n = snprintf(path, sizeof path, "%s\\credentials\\%s-%s.dpapi", state_dir, caller_sid,
                     account);
    if (n < 0 || (size_t)n >= sizeof path)
        return sbx_err_set(err, SBX_EINVAL, "state directory path too long: %s", state_dir);
    snprintf(detail, sizeof detail, "for=%s\n", caller_sid);
    return push(l, SBX_R_CREDENTIAL, key, account, NULL, path, detail, "elevated", err);
}

int sbx_winres_firewall(struct sbx_resource_list *l, const char *account, bool outbound,
                        struct sbx_error *err)
{
    char key[256], detail[128];
    snprintf(key, sizeof key, "firewall:block-%s:%s", outbound ? "outbound" : "inbound",
             account);
    snprintf(detail, sizeof detail, "account=%s\ndirection=%s\n", account,
             outbound ? "out" : "in");
    return push(l, SBX_R_FIREWALL_RULE, key, account, NULL, NULL, detail, "elevated", err);
}

bool sbx_winres_firewall_outbound(const struct sbx_resource *r)
{
    char dir[8];
    /* ledgers from before the inbound rule recorded no direction: out */
    return sbx_detail_get(r->detail, "direction", dir, sizeof dir) != 0 || strcmp(dir, "in") != 0;
}

int sbx_winres_ace_spec(const struct sbx_resource *r, const char *sid, struct sbx_ace_spec *out,
                        struct sbx_error *err)
{
    char fields[64], sddl[320];
    if (sbx_detail_get(r->detail, "ace", fields, sizeof fields) != 0)
        return sbx_err_set(err, SBX_ECORRUPT, "ACL entry '%s' has no ace= detail", r->key);
    snprintf(sddl, sizeof sddl, "(%s;;;%s)", fields, sid);
    return sbx_ace_from_sddl(sddl, out, err);
}

int sbx_winres_credential_path_check(const struct sbx_resource *r, struct sbx_error *err)
{
    char caller[SBX_SID_STR_MAX], want[512];
    if (!r->path || !r->name || sbx_detail_get(r->detail, "for", caller, sizeof caller) != 0)
        return sbx_err_set(err, SBX_ECORRUPT, "credential '%s' lacks its path, account or user",
                           r->key ? r->key : "");
    int n = snprintf(want, sizeof want, "\\credentials\\%s-%s.dpapi", caller, r->name);
    size_t pl = strlen(r->path);
    if (n < 0 || (size_t)n >= sizeof want || pl <= (size_t)n ||
        _stricmp(r->path + pl - (size_t)n, want) != 0 || strstr(r->path, "\\..\\") ||
        strchr(r->path, '/'))
        return sbx_err_set(err, SBX_EPERM,
                           "the ledger names %s as the credential of %s, which is not a path sbx "
                           "writes credentials to; refusing to touch it (the ledger was changed "
                           "by someone else)",
                           r->path, r->name);
    return 0;
}
