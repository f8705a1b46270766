/* SPDX-License-Identifier: MIT */
/* The Linux OS driver: the objects of the elevated mode (accounts, groups,
 * memberships, directories, the nft table, installed files, POSIX ACL
 * entries), each in its driver_*.c.  The unelevated mode's resources are
 * ledger records and never reach the driver. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <limits.h>

#include "modes/common/linux/names.h"
#include "modes/common/linux/launch_conf.h"
#include "modes/os/linux/driver_api.h"
#include "modes/os/linux/driver_int.h"
#include "modes/os/os.h"

/* Only ACL entries on the caller's own files can be changed without root
 * (a user's `sbx workspace add`); say so up front instead of letting
 * useradd or nft fail with their own words. */
static int need_root(const struct sbx_resource *r, struct sbx_error *err)
{
    if (r->kind == SBX_R_ACL_ENTRY || sbx_drv_is_cache_dir(r) || geteuid() == 0)
        return 0;
    return sbx_err_set(err, SBX_EPERM,
                       "changing %s %s needs root: run `sbx setup` (or `sbx cleanup`) as root",
                       sbx_rkind_name(r->kind), r->key);
}

static int linux_apply(struct sbx_os *os, enum sbx_action act, struct sbx_resource *r,
                       struct sbx_error *err)
{
    int rc = need_root(r, err);
    if (rc)
        return rc;
    switch (r->kind) {
    case SBX_R_GROUP: return sbx_drv_group_apply(act, r, err);
    case SBX_R_ACCOUNT: return sbx_drv_account_apply(act, r, err);
    case SBX_R_MEMBERSHIP: return sbx_drv_member_apply(act, r, err);
    case SBX_R_DIRECTORY:
        return sbx_drv_is_cache_dir(r) ? sbx_drv_cache_apply(act, r, err)
                                       : sbx_drv_dir_apply(act, r, err);
    case SBX_R_FIREWALL_RULE: return sbx_drv_nft_apply(act, r, err);
    case SBX_R_INSTALLED_FILE: return sbx_drv_file_apply(act, r, err);
    case SBX_R_ACL_ENTRY: return sbx_drv_acl_apply(os, act, r, err);
    default:
        return sbx_err_set(err, SBX_ENOTSUP, "the Linux driver has no %s objects (%s)",
                           sbx_rkind_name(r->kind), r->key);
    }
}

static int linux_probe(struct sbx_os *os, const struct sbx_resource *r, enum sbx_presence *out,
                       struct sbx_error *err)
{
    (void)os;
    switch (r->kind) {
    case SBX_R_GROUP: return sbx_drv_group_probe(r, out, err);
    case SBX_R_ACCOUNT: return sbx_drv_account_probe(r, out, err);
    case SBX_R_MEMBERSHIP: return sbx_drv_member_probe(r, out, err);
    case SBX_R_DIRECTORY:
        return sbx_drv_is_cache_dir(r) ? sbx_drv_cache_probe(r, out, err)
                                       : sbx_drv_dir_probe(r, out, err);
    case SBX_R_FIREWALL_RULE: return sbx_drv_nft_probe(r, out, err);
    case SBX_R_INSTALLED_FILE: return sbx_drv_file_probe(r, out, err);
    case SBX_R_ACL_ENTRY: return sbx_drv_acl_probe(r, out, err);
    default:
        return sbx_err_set(err, SBX_ENOTSUP, "the Linux driver has no %s objects (%s)",
                           sbx_rkind_name(r->kind), r->key);
    }
}

/* Does a marked object belong to the setup of these names?  Another
 * setup on the same machine (a test's throwaway names) carries the same
 * marker and must never be swept up with this one. */
static bool ours(const struct sbx_resource *r, const struct sbx_elevated_names *n,
                 const struct sbx_resource_list *accounts)
{
    char v[PATH_MAX];
    switch (r->kind) {
    case SBX_R_ACCOUNT:
        return r->name && (strcmp(r->name, n->offline) == 0 || strcmp(r->name, n->online) == 0 ||
                           sbx_elevated_is_member_account(n, r->name));
    case SBX_R_GROUP: return r->name && strcmp(r->name, n->group) == 0;
    case SBX_R_MEMBERSHIP:
        return sbx_detail_get(r->detail, "group", v, sizeof v) == 0 && strcmp(v, n->group) == 0;
    case SBX_R_FIREWALL_RULE:
        return sbx_detail_get(r->detail, "table", v, sizeof v) == 0 &&
               (strcmp(v, n->table) == 0 || sbx_elevated_is_member_table(n, v));
    case SBX_R_INSTALLED_FILE:
    case SBX_R_DIRECTORY:
        /* Found next to the accounts' homes (<elevated>/home/<name>). */
        for (size_t i = 0; r->path && i < accounts->len; i++) {
            char *slash;
            if (sbx_detail_get(accounts->items[i].detail, "home", v, sizeof v) != 0 ||
                !(slash = strrchr(v, '/')))
                continue;
            *slash = '\0'; /* <elevated>/home */
            if (!(slash = strrchr(v, '/')))
                continue;
            *slash = '\0'; /* <elevated> */
            size_t len = strlen(v);
            if (strncmp(r->path, v, len) == 0 && (r->path[len] == '/' || !r->path[len]))
                return true;
        }
        return false;
    default: return false;
    }
}

static int linux_find_marked(struct sbx_os *os, struct sbx_resource_list *out,
                             struct sbx_error *err)
{
    struct sbx_elevated_names names;
    struct sbx_resource_list found = {0}, accounts = {0};
    int rc = sbx_elevated_names(&names, err);
    if (rc == 0)
        rc = sbx_drv_accounts_find_marked(&found, err);
    /* nftables needs root to be listed; an ordinary caller has none. */
    if (rc == 0 && geteuid() == 0)
        rc = sbx_drv_nft_find_marked(&found, err);
    for (size_t i = 0; rc == 0 && i < found.len; i++)
        if (found.items[i].kind == SBX_R_ACCOUNT && ours(&found.items[i], &names, &accounts))
            rc = sbx_rlist_push(&accounts, &found.items[i]);
    for (size_t i = 0; rc == 0 && i < found.len; i++)
        if (ours(&found.items[i], &names, &accounts))
            rc = sbx_rlist_push(out, &found.items[i]);
    /* Only root can read every member's home. */
    if (rc == 0 && (os->flags & SBX_OS_FIND_GRANTS) && geteuid() == 0) {
        struct sbx_resource_list mine = {0};
        for (size_t i = 0; rc == 0 && i < out->len; i++)
            rc = sbx_rlist_push(&mine, &out->items[i]);
        /* The shared pair's (an sbx before per-member pairs) in every
         * member's home; each member's own pair's in that member's. */
        if (rc == 0)
            rc = sbx_drv_grants_find(&mine, names.group, NULL, names.offline, names.online, out,
                                     err);
        for (size_t i = 0; rc == 0 && i < mine.len; i++) {
            char g[64], m[64];
            struct sbx_member_pair pair;
            if (mine.items[i].kind == SBX_R_MEMBERSHIP &&
                sbx_detail_get(mine.items[i].detail, "group", g, sizeof g) == 0 &&
                strcmp(g, names.group) == 0 &&
                sbx_detail_get(mine.items[i].detail, "member", m, sizeof m) == 0 &&
                sbx_elevated_member_pair(&names, m, &pair, NULL) == 0)
                rc = sbx_drv_grants_find(&mine, names.group, m, pair.offline, pair.online, out,
                                         err);
        }
        sbx_rlist_free(&mine);
    }
    if (rc == -SBX_ENOMEM)
        sbx_err_set(err, SBX_ENOMEM, "out of memory");
    sbx_rlist_free(&found);
    sbx_rlist_free(&accounts);
    return rc;
}

static int linux_privilege(struct sbx_os *os, enum sbx_privilege *out, struct sbx_error *err)
{
    (void)os;
    (void)err;
    *out = geteuid() == 0 ? SBX_PRIV_ADMIN : SBX_PRIV_USER;
    return 0;
}

static void linux_destroy(struct sbx_os *os)
{
    free(os);
}

static const struct sbx_os_ops linux_ops = {
    .name = "linux",
    .apply = linux_apply,
    .probe = linux_probe,
    .find_marked = linux_find_marked,
    .privilege = linux_privilege,
    .destroy = linux_destroy,
};

int sbx_os_open_native(struct sbx_os **out, struct sbx_error *err)
{
    struct sbx_os *os = calloc(1, sizeof *os);
    if (!os)
        return sbx_err_set(err, SBX_ENOMEM, "out of memory");
    os->ops = &linux_ops;
    *out = os;
    return 0;
}
