/* SPDX-License-Identifier: MIT */
/* The grants sbx made on its users' workspaces, found without a ledger
 * (cleanup after a user's own ledger was lost): ACL entries carry no
 * marker, but they name the sandbox accounts' uids, and they live under the
 * homes of the users in sbx's group.  A directory whose default ACL names
 * both accounts is a tree grant (its subtree is the grant's: not searched
 * further); a directory whose access ACL gives an account exactly --x,
 * with no default entry, is a traverse entry. */
#include <acl/libacl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/acl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "modes/common/linux/launch_conf.h"
#include "modes/os/linux/driver_api.h"
#include "modes/os/linux/driver_int.h"

struct search {
    uid_t uid[2];
    const char *name[2]; /* offline, online */
    dev_t dev;
    struct sbx_resource_list *out;
    struct sbx_error *err;
};

/* rwx for uid in acl (-1: no entry). */
static int perms_for(acl_t acl, uid_t uid)
{
    acl_entry_t e;
    for (int w = ACL_FIRST_ENTRY; acl && acl_get_entry(acl, w, &e) == 1; w = ACL_NEXT_ENTRY) {
        acl_tag_t tag;
        if (acl_get_tag_type(e, &tag) != 0 || tag != ACL_USER)
            continue;
        uid_t *q = acl_get_qualifier(e);
        bool match = q && *q == uid;
        if (q)
            acl_free(q);
        if (match)
            return (int)sbx_acl_entry_perms(e);
    }
    return -1;
}

static int add_found(struct search *s, const char *key, const char *path, const char *detail,
                     const char *os_id, unsigned principal)
{
    char p[16];
    snprintf(p, sizeof p, "%u", principal);
    if (sbx_rlist_find(s->out, SBX_R_ACL_ENTRY, key) >= 0)
        return 0;
    if (sbx_rlist_add(s->out, SBX_R_ACL_ENTRY, key, NULL, p, path, detail, "elevated") ||
        sbx_resource_set_field(&s->out->items[s->out->len - 1].os_id, os_id))
        return sbx_err_set(s->err, SBX_ENOMEM, "out of memory");
    return 0;
}

static int visit_dir(struct search *s, int fd, const char *path, unsigned depth)
{
    struct stat st;
    if (depth > 64 || fstat(fd, &st) != 0 || st.st_dev != s->dev) {
        close(fd);
        return 0;
    }
    char proc[64], key[PATH_MAX + 256], detail[300], os_id[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    acl_t def = acl_get_file(proc, ACL_TYPE_DEFAULT);
    acl_t acc = acl_get_fd(fd);
    bool tree = def && perms_for(def, s->uid[0]) >= 0 && perms_for(def, s->uid[1]) >= 0;
    int rc = 0;
    if (tree) {
        char owner[64];
        if (sbx_drv_user_by_uid(st.st_uid, owner, sizeof owner, NULL, 0) != 0)
            snprintf(owner, sizeof owner, "%u", (unsigned)st.st_uid);
        snprintf(key, sizeof key, "tree:%s,%s,%s:%s", s->name[0], s->name[1], owner, path);
        snprintf(detail, sizeof detail, "grantee=%s\nalso=%s\nowner=%s\nentry=tree\n",
                 s->name[0], s->name[1], owner);
        snprintf(os_id, sizeof os_id, "%u,%u,%u", (unsigned)s->uid[0], (unsigned)s->uid[1],
                 (unsigned)st.st_uid);
        rc = add_found(s, key, path, detail, os_id, s->uid[0]);
    } else {
        for (int i = 0; i < 2 && rc == 0; i++) {
            if (perms_for(acc, s->uid[i]) != 1)
                continue;
            snprintf(key, sizeof key, "traverse:%s:%s", s->name[i], path);
            snprintf(detail, sizeof detail, "grantee=%s\nentry=traverse\n", s->name[i]);
            snprintf(os_id, sizeof os_id, "%u", (unsigned)s->uid[i]);
            rc = add_found(s, key, path, detail, os_id, s->uid[i]);
        }
    }
    if (def)
        acl_free(def);
    if (acc)
        acl_free(acc);
    DIR *d = rc == 0 && !tree ? fdopendir(fd) : NULL;
    if (!d) {
        close(fd);
        return rc;
    }
    struct dirent *e;
    while (rc == 0 && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN)
            continue;
        int sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0)
            continue;
        char subpath[PATH_MAX];
        if (snprintf(subpath, sizeof subpath, "%s/%s", path, e->d_name) >= (int)sizeof subpath) {
            close(sub);
            continue;
        }
        rc = visit_dir(s, sub, subpath, depth + 1);
    }
    closedir(d);
    return rc;
}

int sbx_drv_grants_find(const struct sbx_resource_list *marked, const char *group,
                        const char *only_member, const char *offline, const char *online,
                        struct sbx_resource_list *out, struct sbx_error *err)
{
    struct search s = {.name = {offline, online}, .out = out, .err = err};
    bool have[2] = {false, false};
    for (size_t i = 0; i < marked->len; i++) {
        const struct sbx_resource *r = &marked->items[i];
        for (int k = 0; k < 2; k++)
            if (r->kind == SBX_R_ACCOUNT && r->name && strcmp(r->name, s.name[k]) == 0 &&
                r->principal) {
                s.uid[k] = (uid_t)strtoul(r->principal, NULL, 10);
                have[k] = true;
            }
    }
    if (!have[0] || !have[1])
        return 0; /* no accounts: no uid to look for */
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < marked->len; i++) {
        const struct sbx_resource *r = &marked->items[i];
        char g[128], member[128];
        if (r->kind != SBX_R_MEMBERSHIP ||
            sbx_detail_get(r->detail, "group", g, sizeof g) != 0 || strcmp(g, group) != 0 ||
            sbx_detail_get(r->detail, "member", member, sizeof member) != 0 ||
            (only_member && strcmp(member, only_member) != 0))
            continue;
        struct passwd *pw = getpwnam(member);
        if (!pw || !pw->pw_dir || pw->pw_dir[0] != '/' || strcmp(pw->pw_dir, "/") == 0)
            continue;
        char home[PATH_MAX];
        /* Too long to open whole: nothing sbx could have granted there. */
        if (snprintf(home, sizeof home, "%s", pw->pw_dir) >= (int)sizeof home)
            continue;
        int fd = open(home, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (fd < 0)
            continue;
        if (fstat(fd, &st) != 0) {
            close(fd);
            continue;
        }
        s.dev = st.st_dev;
        rc = visit_dir(&s, fd, home, 0);
    }
    return rc;
}
