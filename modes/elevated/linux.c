/* SPDX-License-Identifier: MIT */
/* The elevated mode on Linux: what it needs on the machine (desired) and
 * the facts the automatic choice uses.  Running a command is in run.c. */
#include "modes/elevated/elevated.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "modes/common/linux/launch_conf.h"
#include "util/cleanup.h"
#include "modes/os/linux/driver_api.h"
#include "util/platform.h"

static int oom(struct sbx_error *err)
{
    return sbx_err_set(err, SBX_ENOMEM, "out of memory");
}

/* Ports: those asked for, else those of the current firewall resource. */
static void ports_text(const struct sbx_config *cfg, char *out, size_t len)
{
    out[0] = '\0';
    size_t off = 0;
    for (size_t i = 0; i < cfg->n_loopback_ports && off < len; i++)
        off += (size_t)snprintf(out + off, len - off, "%s%u", i ? "," : "",
                                cfg->loopback_ports[i]);
    if (cfg->n_loopback_ports || cfg->clear_loopback_ports || !cfg->current)
        return;
    for (size_t i = 0; i < cfg->current->len; i++) {
        const struct sbx_resource *r = &cfg->current->items[i];
        if (r->kind == SBX_R_FIREWALL_RULE &&
            sbx_detail_get(r->detail, "ports", out, len) == 0)
            return;
    }
}

static int add(struct sbx_resource_list *out, enum sbx_rkind kind, const char *key,
               const char *name, const char *path, const char *detail, struct sbx_error *err)
{
    return sbx_rlist_add(out, kind, key, name, NULL, path, detail, "elevated") ? oom(err) : 0;
}

static int add_member(struct sbx_resource_list *out, const char *group, const char *user,
                      struct sbx_error *err)
{
    char key[160], detail[200];
    snprintf(key, sizeof key, "%s:%s", group, user);
    if (sbx_rlist_find(out, SBX_R_MEMBERSHIP, key) >= 0)
        return 0;
    snprintf(detail, sizeof detail, "group=%s\nmember=%s\n", group, user);
    return add(out, SBX_R_MEMBERSHIP, key, NULL, NULL, detail, err);
}

/* The shared pair of sbx before per-member pairs (SBX_ELEVATED_SHARED_PAIR
 * only, or kept until its grants are moved): the resources exactly as that
 * sbx recorded them, so the plan's diff against such a ledger is empty. */
static int shared_pair(const struct sbx_elevated_names *n, const char *home, const char *ports,
                       struct sbx_resource_list *out, struct sbx_error *err)
{
    char path[PATH_MAX + 128], detail[PATH_MAX + 256], key[256];
    const char *accts[2] = {n->offline, n->online}, *roles[2] = {"offline", "online"};
    int rc = 0;
    for (int i = 0; i < 2 && rc == 0; i++) {
        snprintf(path, sizeof path, "%s/%s", home, accts[i]);
        snprintf(detail, sizeof detail, "home=%s\nrole=%s\n", path, roles[i]);
        rc = add(out, SBX_R_ACCOUNT, accts[i], accts[i], path, detail, err);
    }
    snprintf(key, sizeof key, "nft:inet:%s%s%s", n->table, ports[0] ? ":ports=" : "", ports);
    snprintf(detail, sizeof detail, "account=%s\ntable=%s\nports=%s\n", n->offline, n->table,
             ports);
    return rc ? rc : add(out, SBX_R_FIREWALL_RULE, key, n->table, NULL, detail, err);
}

/* Does the ledger still hold the shared pair (a machine set up by an sbx
 * before per-member pairs)? */
static bool has_shared_pair(const struct sbx_config *cfg, const struct sbx_elevated_names *n)
{
    return cfg->current && (sbx_rlist_find(cfg->current, SBX_R_ACCOUNT, n->offline) >= 0 ||
                            sbx_rlist_find(cfg->current, SBX_R_ACCOUNT, n->online) >= 0);
}

/* Each member's own pair and nft table; the members (their uids and
 * accounts) go into the launcher configuration's detail as
 * "members=UID:OFFLINE:ONLINE,...". */
static int member_pairs(const struct sbx_elevated_names *n, const char *home, const char *ports,
                        struct sbx_resource_list *out, char **members, struct sbx_error *err)
{
    size_t cap = 64, len = 0;
    char *list = calloc(1, cap);
    if (!list)
        return oom(err);
    int rc = 0;
    size_t n_members = 0;
    for (size_t i = 0; rc == 0 && i < out->len; i++) {
        char m[64];
        if (out->items[i].kind != SBX_R_MEMBERSHIP ||
            sbx_detail_get(out->items[i].detail, "member", m, sizeof m) != 0)
            continue;
        struct passwd *pw = getpwnam(m);
        if (!pw)
            continue; /* a member gone from the machine: no pair to keep */
        if (++n_members > SBX_LAUNCH_MAX_MEMBERS) {
            rc = sbx_err_set(err, SBX_EINVAL, "more than %d members of %s", SBX_LAUNCH_MAX_MEMBERS,
                             n->group);
            break;
        }
        uid_t uid = pw->pw_uid;
        struct sbx_member_pair pair;
        if ((rc = sbx_elevated_member_pair(n, m, &pair, err)))
            break;
        const char *accts[2] = {pair.offline, pair.online}, *roles[2] = {"offline", "online"};
        char path[PATH_MAX + 128], detail[PATH_MAX + 256], key[256];
        for (int r = 0; r < 2 && rc == 0; r++) {
            if (sbx_rlist_find(out, SBX_R_ACCOUNT, accts[r]) >= 0) {
                rc = sbx_err_set(err, SBX_EINVAL,
                                 "member %s: its %s account %s is another member's too; rename "
                                 "one of the two users",
                                 m, roles[r], accts[r]);
                break;
            }
            snprintf(path, sizeof path, "%s/%s", home, accts[r]);
            snprintf(detail, sizeof detail, "home=%s\nrole=%s\nmember=%s\nmember_uid=%u\n", path,
                     roles[r], m, (unsigned)uid);
            rc = add(out, SBX_R_ACCOUNT, accts[r], accts[r], path, detail, err);
        }
        if (rc)
            break;
        snprintf(key, sizeof key, "nft:inet:%s%s%s", pair.table, ports[0] ? ":ports=" : "",
                 ports);
        snprintf(detail, sizeof detail, "account=%s\ntable=%s\nports=%s\nmember=%s\n",
                 pair.offline, pair.table, ports, m);
        if ((rc = add(out, SBX_R_FIREWALL_RULE, key, pair.table, NULL, detail, err)))
            break;
        char item[160];
        int w = snprintf(item, sizeof item, "%s%u:%s:%s", len ? "," : "", (unsigned)uid,
                         pair.offline, pair.online);
        if (len + (size_t)w + 1 > cap) {
            char *more = realloc(list, cap = 2 * cap + (size_t)w);
            if (!more) {
                rc = oom(err);
                break;
            }
            list = more;
        }
        memcpy(list + len, item, (size_t)w + 1);
        len += (size_t)w;
    }
    if (rc) {
        free(list);
        return rc;
    }
    *members = list;
    return 0;
}

static int desired_machine(const struct sbx_config *cfg, const struct sbx_elevated_names *n,
                           struct sbx_resource_list *out, struct sbx_error *err)
{
    struct sbx_config marker = *cfg;
    marker.n_workspaces = 0; /* workspace records belong to the users' ledgers */
    int rc = sbx_mode_ledger_records(&marker, SBX_MODE_ELEVATED, out, err);
    char state[PATH_MAX], dir[PATH_MAX + 16], home[PATH_MAX + 32], path[PATH_MAX + 128];
    char detail[PATH_MAX + 512], ports[128], src[PATH_MAX];
    if (rc || (rc = sbx_elevated_state_dir(cfg->state_dir, state, sizeof state, err)) ||
        (rc = sbx_elevated_launcher_source(src, sizeof src, err)))
        return rc;
    snprintf(dir, sizeof dir, "%s/elevated", state);
    snprintf(home, sizeof home, "%s/home", dir);
    /* The state directory must be crossed by callers (launcher) and the
     * accounts (homes): 0711 while set up, its old mode put back after. */
    if ((rc = add(out, SBX_R_DIRECTORY, state, NULL, state, "mode=0711\nkeep=1\n", err)) ||
        (rc = add(out, SBX_R_DIRECTORY, dir, NULL, dir, "mode=0755\n", err)) ||
        (rc = add(out, SBX_R_DIRECTORY, home, NULL, home, "mode=0711\n", err)) ||
        (rc = add(out, SBX_R_GROUP, n->group, n->group, NULL, NULL, err)))
        return rc;
    for (size_t i = 0; i < cfg->n_users; i++) {
        /* Refused before any plan: nothing changes for a typo. */
        if (!getpwnam(cfg->users[i]))
            return sbx_err_set(err, SBX_EINVAL, "--user %s: there is no such user on this machine",
                               cfg->users[i]);
        if ((rc = add_member(out, n->group, cfg->users[i], err)))
            return rc;
    }
    for (size_t i = 0; cfg->current && i < cfg->current->len; i++) {
        const struct sbx_resource *r = &cfg->current->items[i];
        char g[64], m[64];
        if (r->kind == SBX_R_MEMBERSHIP && sbx_detail_get(r->detail, "group", g, sizeof g) == 0 &&
            strcmp(g, n->group) == 0 && sbx_detail_get(r->detail, "member", m, sizeof m) == 0 &&
            (rc = add_member(out, n->group, m, err)))
            return rc;
    }
    ports_text(cfg, ports, sizeof ports);
    /* The shared pair stays until every member's grants are off it (root's
     * `sbx migrate` retires it then): a uid freed while a grant still names
     * it would hand that workspace to whoever gets the uid next. */
    if ((n->shared || (has_shared_pair(cfg, n) && !cfg->retire_shared_pair)) &&
        (rc = shared_pair(n, home, ports, out, err)))
        return rc;
    sbx_autofree char *members = NULL;
    if (!n->shared && (rc = member_pairs(n, home, ports, out, &members, err)))
        return rc;
    /* The launcher's content is part of its key: another sbx's launcher is
     * another resource, so `sbx migrate` after an upgrade replaces it (and
     * `sbx rollback` by the old sbx puts the old one back). */
    char hash[65], key[PATH_MAX + 512];
    if ((rc = sbx_drv_sha256_path(src, hash, err)))
        return sbx_err_wrap(err, "the launcher to install (is sbx installed completely?)");
    snprintf(path, sizeof path, "%s/%s", dir, SBX_LAUNCH_NAME);
    snprintf(key, sizeof key, "%s#sha256=%.16s", path, hash);
    snprintf(detail, sizeof detail, "source=%s\nsha256=%s\nmode=4750\ngroup=%s\n", src, hash,
             n->group);
    if ((rc = add(out, SBX_R_INSTALLED_FILE, key, NULL, path, detail, err)))
        return rc;
    snprintf(path, sizeof path, "%s/%s", dir, SBX_LAUNCH_CONF_NAME);
    if (n->shared) {
        /* Other ports, other configuration: another key (see driver_files.c). */
        snprintf(key, sizeof key, "%s%s%s", path, ports[0] ? "#ports=" : "", ports);
        snprintf(detail, sizeof detail,
                 "generate=launch-conf\nmode=0644\ngroup=root\nusers=%s\noffline=%s\nonline=%s\n"
                 "ports=%s\n",
                 n->group, n->offline, n->online, ports);
        return add(out, SBX_R_INSTALLED_FILE, key, NULL, path, detail, err);
    }
    /* Other members or ports, another configuration: another key. */
    char mhash[65];
    sbx_drv_sha256_hex(members, strlen(members), mhash);
    snprintf(key, sizeof key, "%s#members=%.16s%s%s", path, mhash, ports[0] ? "#ports=" : "",
             ports);
    sbx_autofree char *cdetail = NULL;
    if (asprintf(&cdetail,
                 "generate=launch-conf\nmode=0644\ngroup=root\nusers=%s\nhomes=%s\nmembers=%s\n"
                 "ports=%s\n",
                 n->group, home, members, ports) < 0)
        return oom(err);
    return add(out, SBX_R_INSTALLED_FILE, key, NULL, path, cdetail, err);
}

static int add_acl(struct sbx_resource_list *out, const char *kind, const char *grantee,
                   const char *path, struct sbx_error *err)
{
    char key[PATH_MAX + 128], detail[256];
    snprintf(key, sizeof key, "%s:%s:%s", kind, grantee, path);
    snprintf(detail, sizeof detail, "grantee=%s\nentry=%s\n", grantee, kind);
    return add(out, SBX_R_ACL_ENTRY, key, NULL, path, detail, err);
}

/* Ancestors of ws the accounts can't cross through "other": an entry each,
 * where the workspace's owner may add one (its own directories).  What sbx
 * did before the launcher's home skeleton (issue 12 item 14): it opened the
 * whole home to every member's sandbox.  Only under SBX_ELEVATED_TRAVERSE=1
 * now (the upgrade tests' older sbx); `sbx migrate` revokes such entries. */
static int add_traverse(struct sbx_resource_list *out, const char *offline, const char *online,
                        const char *ws, uid_t owner, struct sbx_error *err)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s", ws);
    for (char *slash = strrchr(p, '/'); slash && slash != p; slash = strrchr(p, '/')) {
        *slash = '\0';
        struct stat st;
        if (stat(p, &st) != 0)
            return sbx_err_sys(err, SBX_EIO, errno, "stat %s", p);
        if (st.st_mode & S_IXOTH)
            continue;
        if (st.st_uid != owner && geteuid() != 0)
            return sbx_err_set(err, SBX_EPERM,
                               "%s (owner uid %u) can't be crossed by the sandbox accounts and "
                               "only its owner can change that: ask root to run `setfacl -m "
                               "u:%s:x,u:%s:x %s`, or choose a workspace elsewhere",
                               p, (unsigned)st.st_uid, offline, online, p);
        int rc = add_acl(out, "traverse", offline, p, err);
        if (rc || (rc = add_acl(out, "traverse", online, p, err)))
            return rc;
    }
    return 0;
}

/* Each workspace is granted to its owner's own pair only (the shared pair
 * under SBX_ELEVATED_SHARED_PAIR). */
static int desired_user(const struct sbx_config *cfg, const struct sbx_elevated_names *n,
                        struct sbx_resource_list *out, struct sbx_error *err)
{
    /* The unelevated mode's cache stays while recorded (mode.h). */
    int crc = sbx_mode_cache_record(cfg, false, out, err);
    if (crc)
        return crc;
    for (size_t i = 0; i < cfg->n_workspaces; i++) {
        const char *ws = cfg->workspaces[i];
        if (sbx_rlist_add(out, SBX_R_WORKSPACE, ws, NULL, NULL, ws, NULL, NULL))
            return oom(err);
        struct stat st;
        if (stat(ws, &st) != 0)
            return sbx_err_sys(err, SBX_ENOENT, errno, "workspace %s", ws);
        char owner[64];
        if (sbx_drv_user_by_uid(st.st_uid, owner, sizeof owner, NULL, 0) != 0)
            return sbx_err_set(err, SBX_ENOENT, "workspace %s: its owner uid %u has no account",
                               ws, (unsigned)st.st_uid);
        if (geteuid() != 0 && st.st_uid != geteuid())
            return sbx_err_set(err, SBX_EPERM,
                               "workspace %s belongs to %s, not to you: only its owner (or "
                               "root) can grant it",
                               ws, owner);
        struct sbx_member_pair pair;
        int rc = sbx_elevated_member_pair(n, owner, &pair, err);
        if (rc)
            return rc;
        const char *off = n->shared ? n->offline : pair.offline;
        const char *on = n->shared ? n->online : pair.online;
        char key[PATH_MAX + 128], detail[256];
        snprintf(key, sizeof key, "tree:%s,%s,%s:%s", off, on, owner, ws);
        snprintf(detail, sizeof detail, "grantee=%s\nalso=%s\nowner=%s\nentry=tree\n", off, on,
                 owner);
        if ((rc = add(out, SBX_R_ACL_ENTRY, key, NULL, ws, detail, err)) ||
            (n->traverse && (rc = add_traverse(out, off, on, ws, st.st_uid, err))))
            return rc;
    }
    return 0;
}

static int desired(const struct sbx_config *cfg, enum sbx_scope scope,
                   struct sbx_resource_list *out, struct sbx_error *err)
{
    struct sbx_elevated_names n;
    int rc = sbx_elevated_names(&n, err);
    if (rc)
        return rc;
    return scope == SBX_SCOPE_MACHINE ? desired_machine(cfg, &n, out, err)
                                      : desired_user(cfg, &n, out, err);
}

/* --- facts ---------------------------------------------------------------- */

static long find_file(const struct sbx_resource_list *res, const char *path)
{
    struct sbx_resource here = {.kind = SBX_R_INSTALLED_FILE, .key = (char *)path,
                                .path = (char *)path};
    return sbx_rlist_find_object(res, &here);
}

/* Is the installed file as recorded (hash, root's, mode)? */
static bool file_healthy(const struct sbx_resource *r)
{
    enum sbx_presence p = SBX_ABSENT;
    struct sbx_error err = {0};
    return sbx_drv_file_probe(r, &p, &err) == 0 && p == SBX_PRESENT && r->os_id;
}

/* A member of the users' group with a pair of its own in the
 * configuration: what the launcher requires of its caller. */
static bool caller_has_pair(const struct sbx_launch_conf *c)
{
    char name[64];
    bool member = false;
    if (sbx_drv_user_by_uid(getuid(), name, sizeof name, NULL, 0) == 0)
        sbx_drv_group_has_member(c->gid, name, &member);
    return member && sbx_launch_conf_member(c, getuid()) != NULL;
}

int sbx_elevated_facts(const char *state, const struct sbx_resource_list *res,
                       struct sbx_mode_facts *f, struct sbx_error *err)
{
    f->privilege = geteuid() == 0 ? SBX_PRIV_ADMIN : SBX_PRIV_USER;
    f->elevated_installed = res && sbx_rlist_find(res, SBX_R_MODE, "elevated") >= 0;
    f->elevated_healthy = false;
    f->caller_authorized = false;
    if (!f->elevated_installed)
        return 0;
    char launcher[PATH_MAX], conf_path[PATH_MAX];
    int rc = sbx_elevated_launcher_path(state, launcher, sizeof launcher, err);
    if (rc || (rc = sbx_elevated_conf_path(state, conf_path, sizeof conf_path, err)))
        return rc;
    long li = find_file(res, launcher);
    long ci = find_file(res, conf_path);
    f->elevated_healthy = li >= 0 && ci >= 0 && file_healthy(&res->items[li]) &&
                          file_healthy(&res->items[ci]);
    struct sbx_launch_conf c;
    struct sbx_error ignored = {0};
    if (sbx_launch_conf_read(conf_path, true, &c, &ignored) != 0) {
        f->elevated_healthy = false;
        return 0;
    }
    f->caller_authorized = caller_has_pair(&c);
    return 0;
}

int sbx_elevated_facts_unprivileged(const char *state, struct sbx_mode_facts *f,
                                    struct sbx_error *err)
{
    f->privilege = geteuid() == 0 ? SBX_PRIV_ADMIN : SBX_PRIV_USER;
    f->elevated_installed = f->elevated_healthy = f->caller_authorized = false;
    char launcher[PATH_MAX], conf_path[PATH_MAX];
    int rc = sbx_elevated_launcher_path(state, launcher, sizeof launcher, err);
    if (rc || (rc = sbx_elevated_conf_path(state, conf_path, sizeof conf_path, err)))
        return rc;
    struct sbx_launch_conf c;
    struct sbx_error ignored = {0};
    if (sbx_launch_conf_read(conf_path, true, &c, &ignored) != 0)
        return 0; /* not set up (or not trustworthy: then not usable either) */
    f->elevated_installed = true;
    struct stat st;
    f->elevated_healthy = stat(launcher, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == 0 &&
                          st.st_gid == c.gid && (st.st_mode & S_ISUID) &&
                          !(st.st_mode & (S_IWGRP | S_IWOTH));
    f->caller_authorized = caller_has_pair(&c);
    return 0;
}

int sbx_elevated_workspace_granted(const char *state, const char *ws, bool *granted,
                                   struct sbx_error *err)
{
    *granted = false;
    char conf_path[PATH_MAX];
    struct sbx_launch_conf c;
    int rc = sbx_elevated_conf_path(state, conf_path, sizeof conf_path, err);
    if (rc || (rc = sbx_launch_conf_read(conf_path, false, &c, err)))
        return rc;
    sbx_autofd int fd = sbx_open_nofollow(ws, O_RDONLY | O_DIRECTORY, err);
    if (fd < 0)
        return fd;
    const struct sbx_launch_member *m = sbx_launch_conf_member(&c, getuid());
    if (!m)
        return sbx_err_set(err, SBX_EPERM,
                           "you have no sandbox accounts of your own on this machine: ask root "
                           "to run `sbx setup --user YOU`, or `sbx migrate` after an upgrade");
    for (int r = 0; r < SBX_ROLE_COUNT; r++) {
        bool ok = false;
        if ((rc = sbx_grant_check_fd(fd, m->acct[r].uid, &ok, err)))
            return rc;
        if (!ok)
            return 0;
    }
    *granted = true;
    return 0;
}

static int run(const struct sbx_run_request *req, int *status, struct sbx_mode_notes *notes,
               struct sbx_error *err)
{
    notes->n = 0; /* the launcher reports failures, and has nothing else to say */
    struct sbx_elevated_run_opts o = {.machine_state_dir = req->machine_state_dir};
    return sbx_elevated_run_ex(req, &o, status, err);
}

static int workspace_ready(const struct sbx_run_request *req, const char *ws, bool *ready,
                           struct sbx_error *err)
{
    return sbx_elevated_workspace_granted(req->machine_state_dir, ws, ready, err);
}

const struct sbx_mode_ops sbx_elevated_linux = {
    .kind = SBX_MODE_ELEVATED,
    .platform = "linux",
    .desired = desired,
    .run = run,
    .workspace_ready = workspace_ready,
};
