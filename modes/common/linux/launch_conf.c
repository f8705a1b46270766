/* SPDX-License-Identifier: MIT */
#include "modes/common/linux/launch_conf.h"

#include <acl/libacl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/acl.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONF_MAGIC "sbx-launch-conf 2"
/* A configuration is a line per member: anything bigger is not ours. */
#define CONF_MAX SBX_LAUNCH_CONF_MAX

const char *sbx_launch_role_name(enum sbx_launch_role role)
{
    return role == SBX_ROLE_ONLINE ? "online" : "offline";
}

/* Names go on space-separated lines: refuse anything that would break
 * the format or a shell reading it. */
static bool name_ok(const char *s)
{
    if (!s[0] || strlen(s) >= SBX_LAUNCH_NAME_MAX)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
            return false;
    return true;
}

/* The homes' directory: absolute, no separator, room for "/NAME". */
static bool homes_ok(const char *s)
{
    return s[0] == '/' && strlen(s) + 1 + SBX_LAUNCH_NAME_MAX < PATH_MAX &&
           !strpbrk(s, " \t\n");
}

/* What makes one configuration safe to switch by: every member and every
 * account uid and name once only, no account root or a member. */
static int check_members(const struct sbx_launch_conf *c, struct sbx_error *err)
{
    for (size_t i = 0; i < c->n_members; i++) {
        const struct sbx_launch_member *m = &c->members[i];
        for (int r = 0; r < SBX_ROLE_COUNT; r++) {
            if (m->acct[r].uid == 0 || m->acct[r].uid == (uid_t)-1 ||
                m->acct[r].gid == (gid_t)-1 || !name_ok(m->acct[r].name))
                return sbx_err_set(err, SBX_ECORRUPT,
                                   "launcher configuration: member %u: bad %s account",
                                   (unsigned)m->member, sbx_launch_role_name(r));
            for (size_t j = 0; j <= i; j++)
                for (int q = 0; q < SBX_ROLE_COUNT; q++) {
                    const struct sbx_launch_member *o = &c->members[j];
                    if (j == i && q >= r)
                        continue;
                    if (o->acct[q].uid == m->acct[r].uid ||
                        strcmp(o->acct[q].name, m->acct[r].name) == 0)
                        return sbx_err_set(err, SBX_ECORRUPT,
                                           "launcher configuration: account %s (uid %u) is "
                                           "named twice",
                                           m->acct[r].name, (unsigned)m->acct[r].uid);
                }
            for (size_t j = 0; j < c->n_members; j++)
                if (c->members[j].member == m->acct[r].uid)
                    return sbx_err_set(err, SBX_ECORRUPT,
                                       "launcher configuration: account %s has a member's uid",
                                       m->acct[r].name);
        }
        for (size_t j = 0; j < i; j++)
            if (c->members[j].member == m->member)
                return sbx_err_set(err, SBX_ECORRUPT,
                                   "launcher configuration: member %u is named twice",
                                   (unsigned)m->member);
    }
    return 0;
}

int sbx_launch_conf_format(const struct sbx_launch_conf *c, char *buf, size_t len,
                           struct sbx_error *err)
{
    if (!name_ok(c->group))
        return sbx_err_set(err, SBX_EINVAL, "launcher configuration: bad group name '%s'",
                           c->group);
    if (!homes_ok(c->homes))
        return sbx_err_set(err, SBX_EINVAL, "launcher configuration: bad homes '%s'", c->homes);
    if (c->n_members > SBX_LAUNCH_MAX_MEMBERS || c->n_ports > SBX_LAUNCH_MAX_PORTS)
        return sbx_err_set(err, SBX_EINVAL, "launcher configuration: too many members or ports");
    struct sbx_error why = {0};
    if (check_members(c, &why))
        return sbx_err_set(err, SBX_EINVAL, "%s", why.msg);
    size_t off = 0;
    int n = snprintf(buf, len,
                     CONF_MAGIC "\n# Written by `sbx setup`: the accounts sbx-launch may switch "
                                "each member to. Root's file; do not edit.\ngroup %s %u\n"
                                "homes %s\n",
                     c->group, (unsigned)c->gid, c->homes);
    for (size_t i = 0; n >= 0 && (size_t)n < len - off && i < c->n_members; i++) {
        off += (size_t)n;
        const struct sbx_launch_member *m = &c->members[i];
        n = snprintf(buf + off, len - off, "member %u %s %u %u %s %u %u\n", (unsigned)m->member,
                     m->acct[0].name, (unsigned)m->acct[0].uid, (unsigned)m->acct[0].gid,
                     m->acct[1].name, (unsigned)m->acct[1].uid, (unsigned)m->acct[1].gid);
    }
    for (size_t i = 0; n >= 0 && (size_t)n < len - off && i < c->n_ports; i++) {
        off += (size_t)n;
        n = snprintf(buf + off, len - off, "loopback_port %u\n", c->ports[i]);
    }
    if (n < 0 || (size_t)n >= len - off)
        return sbx_err_set(err, SBX_EINVAL, "launcher configuration too long");
    return (int)(off + (size_t)n);
}

static int parse_id(const char *s, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v >= 0xffffffffUL || s[0] < '0' || s[0] > '9')
        return -1;
    *out = (unsigned)v;
    return 0;
}

static int parse_member(char *const *f, struct sbx_launch_conf *c)
{
    struct sbx_launch_member m = {0};
    unsigned v[7];
    if (c->n_members >= SBX_LAUNCH_MAX_MEMBERS || parse_id(f[1], &v[0]) || !name_ok(f[2]) ||
        parse_id(f[3], &v[1]) || parse_id(f[4], &v[2]) || !name_ok(f[5]) ||
        parse_id(f[6], &v[4]) || parse_id(f[7], &v[5]))
        return -1;
    m.member = v[0];
    snprintf(m.acct[0].name, sizeof m.acct[0].name, "%s", f[2]);
    m.acct[0].uid = v[1];
    m.acct[0].gid = v[2];
    snprintf(m.acct[1].name, sizeof m.acct[1].name, "%s", f[5]);
    m.acct[1].uid = v[4];
    m.acct[1].gid = v[5];
    c->members[c->n_members++] = m;
    return 0;
}

static int parse_line(char *line, struct sbx_launch_conf *c, unsigned *seen,
                      struct sbx_error *err)
{
    char *f[8] = {0};
    size_t n = 0;
    for (char *save = NULL, *t = strtok_r(line, " ", &save); t; t = strtok_r(NULL, " ", &save))
        if (n < 8)
            f[n++] = t;
        else
            return sbx_err_set(err, SBX_ECORRUPT, "launcher configuration: too many fields");
    unsigned a;
    if (n == 3 && strcmp(f[0], "group") == 0 && name_ok(f[1]) && parse_id(f[2], &a) == 0 &&
        !(*seen & 1)) {
        snprintf(c->group, sizeof c->group, "%s", f[1]);
        c->gid = a;
        *seen |= 1;
        return 0;
    }
    if (n == 2 && strcmp(f[0], "homes") == 0 && homes_ok(f[1]) && !(*seen & 2)) {
        snprintf(c->homes, sizeof c->homes, "%s", f[1]);
        *seen |= 2;
        return 0;
    }
    if (n == 8 && strcmp(f[0], "member") == 0 && parse_member(f, c) == 0)
        return 0;
    if (n == 2 && strcmp(f[0], "loopback_port") == 0 && parse_id(f[1], &a) == 0 && a > 0 &&
        a < 65536 && c->n_ports < SBX_LAUNCH_MAX_PORTS) {
        c->ports[c->n_ports++] = a;
        return 0;
    }
    return sbx_err_set(err, SBX_ECORRUPT, "launcher configuration: bad line '%s'",
                       f[0] ? f[0] : "");
}

int sbx_launch_conf_parse(const char *text, struct sbx_launch_conf *c, struct sbx_error *err)
{
    memset(c, 0, sizeof *c);
    size_t len = strlen(text);
    if (strncmp(text, "sbx-launch-conf 1\n", 18) == 0)
        return sbx_err_set(err, SBX_ECORRUPT,
                           "launcher configuration: of an older sbx (one account pair shared by "
                           "every member); run `sbx migrate` as root");
    if (len >= CONF_MAX || strncmp(text, CONF_MAGIC "\n", strlen(CONF_MAGIC) + 1) != 0)
        return sbx_err_set(err, SBX_ECORRUPT,
                           "launcher configuration: not an sbx-launch configuration; run "
                           "`sbx setup` again as root");
    char copy[CONF_MAX];
    memcpy(copy, text, len + 1);
    unsigned seen = 0;
    int rc = 0;
    char *save = NULL;
    for (char *line = strtok_r(copy + strlen(CONF_MAGIC) + 1, "\n", &save); line && rc == 0;
         line = strtok_r(NULL, "\n", &save))
        if (line[0] != '#')
            rc = parse_line(line, c, &seen, err);
    if (rc)
        return rc;
    if (seen != 3)
        return sbx_err_set(err, SBX_ECORRUPT,
                           "launcher configuration: the group or the homes are missing; run "
                           "`sbx setup` again as root");
    return check_members(c, err);
}

const struct sbx_launch_member *sbx_launch_conf_member(const struct sbx_launch_conf *c,
                                                      uid_t member)
{
    for (size_t i = 0; i < c->n_members; i++)
        if (c->members[i].member == member)
            return &c->members[i];
    return NULL;
}

int sbx_launch_conf_account(const struct sbx_launch_conf *c, const struct sbx_launch_member *m,
                            enum sbx_launch_role role, struct sbx_launch_account *out,
                            struct sbx_error *err)
{
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s", m->acct[role].name);
    out->uid = m->acct[role].uid;
    out->gid = m->acct[role].gid;
    if (snprintf(out->home, sizeof out->home, "%s/%s", c->homes, out->name) >=
        (int)sizeof out->home)
        return sbx_err_set(err, SBX_EINVAL, "launcher configuration: home of %s too long",
                           out->name);
    return 0;
}

static bool dir_safe(const struct stat *st)
{
    if (st->st_uid != 0)
        return false;
    if (!(st->st_mode & (S_IWGRP | S_IWOTH)))
        return true;
    /* Sticky and root's: others can add names but not replace ours. */
    return S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX);
}

int sbx_path_root_owned(const char *path, struct sbx_error *err)
{
    if (path[0] != '/' || strlen(path) >= PATH_MAX)
        return sbx_err_set(err, SBX_EINVAL, "%s: not an absolute path", path);
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", path);
    /* From the file up to /: each must be root's and closed to others. */
    for (;;) {
        struct stat st;
        if (lstat(buf[0] ? buf : "/", &st) != 0)
            return sbx_err_sys(err, SBX_ENOENT, errno, "%s", buf[0] ? buf : "/");
        if (S_ISLNK(st.st_mode))
            return sbx_err_set(err, SBX_EPERM, "%s is a symlink: refusing it", buf);
        bool last = strcmp(buf, path) == 0;
        if (last && !S_ISDIR(st.st_mode) ? (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)))
                                         : !dir_safe(&st))
            return sbx_err_set(err, SBX_EPERM,
                               "%s must belong to root and be writable by root only (owner "
                               "uid %u, mode %04o)",
                               buf[0] ? buf : "/", (unsigned)st.st_uid,
                               (unsigned)(st.st_mode & 07777));
        if (!buf[0])
            return 0;
        char *slash = strrchr(buf, '/');
        *slash = '\0';
    }
}

int sbx_launch_conf_read(const char *path, bool trusted_only, struct sbx_launch_conf *c,
                         struct sbx_error *err)
{
    if (trusted_only) {
        int rc = sbx_path_root_owned(path, err);
        if (rc)
            return sbx_err_wrap(err, "launcher configuration");
    }
    sbx_autofd int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return sbx_err_sys(err, errno == ENOENT ? SBX_ENOENT : SBX_EIO, errno,
                           "launcher configuration %s (is the elevated mode set up? run "
                           "`sbx setup` as root)",
                           path);
    char text[CONF_MAX];
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, text + len, sizeof text - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return sbx_err_sys(err, SBX_EIO, errno, "read %s", path);
        if (n == 0)
            break;
        len += (size_t)n;
        if (len == sizeof text - 1)
            return sbx_err_set(err, SBX_ECORRUPT, "%s is too big to be a launcher configuration",
                               path);
    }
    text[len] = '\0';
    int rc = sbx_launch_conf_parse(text, c, err);
    if (rc)
        sbx_err_wrap(err, "%s", path);
    return rc;
}

int sbx_open_nofollow(const char *abs, int flags, struct sbx_error *err)
{
    if (abs[0] != '/' || strlen(abs) >= PATH_MAX)
        return sbx_err_set(err, SBX_EINVAL, "%s: not an absolute path", abs);
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", abs);
    int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "open /");
    char *save = NULL;
    char *comp = strtok_r(buf, "/", &save);
    if (!comp) {
        close(fd);
        return open("/", flags | O_CLOEXEC);
    }
    while (comp) {
        char *next = strtok_r(NULL, "/", &save);
        if (strcmp(comp, "..") == 0 || strcmp(comp, ".") == 0) {
            close(fd);
            return sbx_err_set(err, SBX_EINVAL, "%s: not a canonical path", abs);
        }
        int nfd = openat(fd, comp, (next ? O_PATH | O_DIRECTORY : flags) | O_NOFOLLOW | O_CLOEXEC);
        int e = errno;
        close(fd);
        if (nfd < 0) {
            /* O_NOFOLLOW on a symlink: ELOOP (or ENOTDIR with O_PATH). */
            if (e == ELOOP || e == ENOTDIR)
                return sbx_err_set(err, SBX_EPERM,
                                   "%s: component %s is a symlink or not a directory; give the "
                                   "real path",
                                   abs, comp);
            return sbx_err_sys(err, e == ENOENT ? SBX_ENOENT : SBX_EIO, e, "open %s", abs);
        }
        fd = nfd;
        comp = next;
    }
    return fd;
}

unsigned sbx_acl_entry_perms(acl_entry_t e)
{
    acl_permset_t ps;
    if (acl_get_permset(e, &ps) != 0)
        return 0;
    return (acl_get_perm(ps, ACL_READ) == 1 ? 4u : 0u) |
           (acl_get_perm(ps, ACL_WRITE) == 1 ? 2u : 0u) |
           (acl_get_perm(ps, ACL_EXECUTE) == 1 ? 1u : 0u);
}

/* Effective rights of the named-user entry for uid (masked), 0 if none. */
static unsigned effective_for(acl_t acl, uid_t uid)
{
    unsigned named = 0, mask = 7;
    bool have = false;
    acl_entry_t e;
    for (int w = ACL_FIRST_ENTRY; acl_get_entry(acl, w, &e) == 1; w = ACL_NEXT_ENTRY) {
        acl_tag_t tag;
        if (acl_get_tag_type(e, &tag) != 0)
            continue;
        if (tag == ACL_MASK) {
            mask = sbx_acl_entry_perms(e);
        } else if (tag == ACL_USER) {
            uid_t *q = acl_get_qualifier(e);
            if (q && *q == uid) {
                named = sbx_acl_entry_perms(e);
                have = true;
            }
            if (q)
                acl_free(q);
        }
    }
    return have ? named & mask : 0;
}

int sbx_grant_check_fd(int dirfd, uid_t uid, bool *ok, struct sbx_error *err)
{
    *ok = false;
    sbx_autoptr(acl) acl_t acc = acl_get_fd(dirfd);
    if (!acc)
        return sbx_err_sys(err, SBX_EIO, errno, "read the ACL of a workspace root");
    if (effective_for(acc, uid) != 7)
        return 0;
    /* No fd flavour for default ACLs in libacl: go through the fd's own
     * magic link, which can't be swapped for another file. */
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", dirfd);
    sbx_autoptr(acl) acl_t def = acl_get_file(proc, ACL_TYPE_DEFAULT);
    if (!def)
        return sbx_err_sys(err, SBX_EIO, errno, "read the default ACL of a workspace root");
    *ok = effective_for(def, uid) == 7;
    return 0;
}
