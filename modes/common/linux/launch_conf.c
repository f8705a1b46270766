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

#define CONF_MAGIC "sbx-launch-conf 1"
/* A configuration is a few lines: anything bigger is not ours. */
#define CONF_MAX 8192

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

static bool home_ok(const char *s)
{
    return s[0] == '/' && strlen(s) < PATH_MAX && !strpbrk(s, " \t\n");
}

int sbx_launch_conf_format(const struct sbx_launch_conf *c, char *buf, size_t len,
                           struct sbx_error *err)
{
    if (!name_ok(c->group))
        return sbx_err_set(err, SBX_EINVAL, "launcher configuration: bad group name '%s'",
                           c->group);
    size_t off = 0;
    int n = snprintf(buf, len,
                     CONF_MAGIC "\n# Written by `sbx setup`: the accounts sbx-launch may switch "
                                "to. Root's file; do not edit.\ngroup %s %u\n",
                     c->group, (unsigned)c->gid);
    for (int r = 0; n >= 0 && (size_t)n < len - off && r < SBX_ROLE_COUNT; r++) {
        off += (size_t)n;
        const struct sbx_launch_account *a = &c->acct[r];
        if (!name_ok(a->name) || !home_ok(a->home))
            return sbx_err_set(err, SBX_EINVAL, "launcher configuration: bad %s account '%s'",
                               sbx_launch_role_name(r), a->name);
        n = snprintf(buf + off, len - off, "account %s %s %u %u %s\n", sbx_launch_role_name(r),
                     a->name, (unsigned)a->uid, (unsigned)a->gid, a->home);
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

static int parse_line(char *line, struct sbx_launch_conf *c, unsigned *seen,
                      struct sbx_error *err)
{
    char *f[7] = {0};
    size_t n = 0;
    for (char *save = NULL, *t = strtok_r(line, " ", &save); t; t = strtok_r(NULL, " ", &save))
        if (n < 7)
            f[n++] = t;
        else
            return sbx_err_set(err, SBX_ECORRUPT, "launcher configuration: too many fields");
    unsigned a, b;
    if (n == 3 && strcmp(f[0], "group") == 0 && name_ok(f[1]) && parse_id(f[2], &a) == 0) {
        snprintf(c->group, sizeof c->group, "%s", f[1]);
        c->gid = a;
        *seen |= 1;
        return 0;
    }
    if (n == 6 && strcmp(f[0], "account") == 0 && name_ok(f[2]) && parse_id(f[3], &a) == 0 &&
        parse_id(f[4], &b) == 0 && home_ok(f[5]) && a != 0) {
        int r = strcmp(f[1], "offline") == 0 ? SBX_ROLE_OFFLINE
                : strcmp(f[1], "online") == 0 ? SBX_ROLE_ONLINE
                                              : -1;
        if (r < 0)
            return sbx_err_set(err, SBX_ECORRUPT, "launcher configuration: unknown role %s",
                               f[1]);
        struct sbx_launch_account *acc = &c->acct[r];
        snprintf(acc->name, sizeof acc->name, "%s", f[2]);
        acc->uid = a;
        acc->gid = b;
        snprintf(acc->home, sizeof acc->home, "%s", f[5]);
        *seen |= 2u << r;
        return 0;
    }
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
    if (len >= CONF_MAX || strncmp(text, CONF_MAGIC "\n", strlen(CONF_MAGIC) + 1) != 0)
        return sbx_err_set(err, SBX_ECORRUPT,
                           "launcher configuration: not an sbx-launch configuration; run "
                           "`sbx setup` again as root");
    char copy[CONF_MAX];
    memcpy(copy, text, len + 1);
    unsigned seen = 0;
    char *save = NULL;
    for (char *line = strtok_r(copy + strlen(CONF_MAGIC) + 1, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#')
            continue;
        int rc = parse_line(line, c, &seen, err);
        if (rc)
            return rc;
    }
    if (seen != 7)
        return sbx_err_set(err, SBX_ECORRUPT,
                           "launcher configuration: the group or an account is missing; run "
                           "`sbx setup` again as root");
    if (c->acct[0].uid == c->acct[1].uid)
        return sbx_err_set(err, SBX_ECORRUPT, "launcher configuration: both accounts have uid %u",
                           (unsigned)c->acct[0].uid);
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
