/* Installed files: the setuid launcher and its root-owned configuration.
 * Written next to their final name and renamed over it, so the launcher
 * is never seen half-written or setuid with the wrong group; the SHA-256
 * of what was written is recorded (os_id) to tell later changes. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "modes/elevated/launch_conf.h"
#include "modes/os/linux/cleanup.h"
#include "modes/os/linux/driver_int.h"

/* The launcher is well below this; anything bigger is the wrong file. */
#define MAX_INSTALL (64u << 20)

struct file_desc {
    const char *dest;
    char source[PATH_MAX];
    bool generate;
    mode_t mode;
    gid_t gid;
    char group[64];
};

static int file_desc(const struct sbx_resource *r, bool resolve_group, struct file_desc *d,
                     struct sbx_error *err)
{
    memset(d, 0, sizeof *d);
    d->dest = r->path ? r->path : r->key;
    char buf[64];
    if (d->dest[0] != '/')
        return sbx_err_set(err, SBX_EINVAL, "installed file %s: not an absolute path", r->key);
    d->generate = sbx_detail_get(r->detail, "generate", buf, sizeof buf) == 0 &&
                  strcmp(buf, "launch-conf") == 0;
    if (!d->generate && sbx_detail_get(r->detail, "source", d->source, sizeof d->source) != 0)
        return sbx_err_set(err, SBX_EINVAL, "installed file %s: no source", r->key);
    unsigned long mode = 0644;
    if (sbx_detail_get(r->detail, "mode", buf, sizeof buf) == 0)
        mode = strtoul(buf, NULL, 8);
    d->mode = (mode_t)(mode & 07777);
    if (sbx_detail_get(r->detail, "group", d->group, sizeof d->group) != 0)
        snprintf(d->group, sizeof d->group, "root");
    if (resolve_group && sbx_drv_group_by_name(d->group, &d->gid) != 0)
        return sbx_err_set(err, SBX_ENOENT, "installed file %s: no group %s", r->key, d->group);
    return 0;
}

/* Resolve one account for the configuration, checking it is sbx's. */
static int conf_account(const struct sbx_resource *r, const char *role,
                        struct sbx_launch_account *a, struct sbx_error *err)
{
    char gecos[256];
    if (sbx_detail_get(r->detail, role, a->name, sizeof a->name) != 0)
        return sbx_err_set(err, SBX_EINVAL, "installed file %s: no %s account", r->key, role);
    if (sbx_drv_user_by_name(a->name, &a->uid, &a->gid, gecos, sizeof gecos, a->home,
                             sizeof a->home) != 0)
        return sbx_err_set(err, SBX_ENOENT, "launcher configuration: no account %s", a->name);
    if (!sbx_drv_gecos_marked(gecos) || a->uid == 0)
        return sbx_err_set(err, SBX_EPERM,
                           "launcher configuration: account %s is not sbx's; refusing to let "
                           "the launcher switch to it",
                           a->name);
    return 0;
}

int sbx_drv_launch_conf_text(const struct sbx_resource *r, char *buf, size_t len,
                             struct sbx_error *err)
{
    struct sbx_launch_conf c = {0};
    if (sbx_detail_get(r->detail, "users", c.group, sizeof c.group) != 0 ||
        sbx_drv_group_by_name(c.group, &c.gid) != 0)
        return sbx_err_set(err, SBX_ENOENT, "launcher configuration: its users group is missing");
    int rc = conf_account(r, "offline", &c.acct[SBX_ROLE_OFFLINE], err);
    if (rc == 0)
        rc = conf_account(r, "online", &c.acct[SBX_ROLE_ONLINE], err);
    if (rc)
        return rc;
    char ports[128] = "";
    sbx_detail_get(r->detail, "ports", ports, sizeof ports);
    char *save = NULL;
    for (char *p = strtok_r(ports, ",", &save); p && c.n_ports < SBX_LAUNCH_MAX_PORTS;
         p = strtok_r(NULL, ",", &save))
        c.ports[c.n_ports++] = (unsigned)strtoul(p, NULL, 10);
    int n = sbx_launch_conf_format(&c, buf, len, err);
    if (n < 0)
        return n;
    /* The resource key, so a removal can tell a newer configuration of
     * sbx's (other ports: another key) from a hand-edited one. */
    int m = snprintf(buf + n, len - (size_t)n, "# key: %s\n", r->key);
    if (m < 0 || (size_t)m >= len - (size_t)n)
        return sbx_err_set(err, SBX_EINVAL, "launcher configuration too long");
    return n + m;
}

/* A configuration sbx wrote for another resource (key line differs). */
static bool replaced_by_newer(const char *dest, const char *key)
{
    sbx_autofd int fd = open(dest, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    char text[8192];
    ssize_t n = fd < 0 ? -1 : read(fd, text, sizeof text - 1);
    if (n <= 0)
        return false;
    text[n] = '\0';
    const char *k = strstr(text, "\n# key: ");
    if (!k)
        return false;
    k += strlen("\n# key: ");
    size_t len = strcspn(k, "\n");
    return strlen(key) != len || strncmp(k, key, len) != 0;
}

/* Content to install: malloc'd into *out. */
static int content(const struct sbx_resource *r, const struct file_desc *d, char **out,
                   size_t *len, struct sbx_error *err)
{
    if (d->generate) {
        char *buf = malloc(8192);
        if (!buf)
            return sbx_err_set(err, SBX_ENOMEM, "out of memory");
        int n = sbx_drv_launch_conf_text(r, buf, 8192, err);
        if (n < 0) {
            free(buf);
            return n;
        }
        *out = buf;
        *len = (size_t)n;
        return 0;
    }
    sbx_autofd int fd = open(d->source, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0)
        return sbx_err_sys(err, SBX_ENOENT, errno,
                           "%s, the file to install as %s (is sbx installed completely?)",
                           d->source, d->dest);
    if (!S_ISREG(st.st_mode) || (unsigned long long)st.st_size > MAX_INSTALL)
        return sbx_err_set(err, SBX_EINVAL, "%s is not a file sbx can install", d->source);
    char *buf = malloc((size_t)st.st_size + 1);
    if (!buf)
        return sbx_err_set(err, SBX_ENOMEM, "out of memory");
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            free(buf);
            return sbx_err_sys(err, SBX_EIO, errno, "read %s", d->source);
        }
        got += (size_t)n;
    }
    *out = buf;
    *len = got;
    return 0;
}

static int write_all(int fd, const char *p, size_t len)
{
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int install(const struct file_desc *d, const char *data, size_t len,
                   struct sbx_error *err)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.new-%ld", d->dest, (long)getpid()) >= (int)sizeof tmp)
        return sbx_err_set(err, SBX_EINVAL, "%s: path too long", d->dest);
    unlink(tmp);
    sbx_autofd int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "create %s", tmp);
    /* Owner and group first: chown clears the setuid bit set after it. */
    int rc = 0;
    if (write_all(fd, data, len) != 0)
        rc = sbx_err_sys(err, SBX_EIO, errno, "write %s", tmp);
    else if (fchown(fd, 0, d->gid) != 0 || fchmod(fd, d->mode) != 0)
        rc = sbx_err_sys(err, SBX_EIO, errno, "set owner and mode of %s", tmp);
    else if (fsync(fd) != 0)
        rc = sbx_err_sys(err, SBX_EIO, errno, "fsync %s", tmp);
    else if (rename(tmp, d->dest) != 0)
        rc = sbx_err_sys(err, SBX_EIO, errno, "install %s", d->dest);
    if (rc)
        unlink(tmp);
    return rc;
}

/* Hash, mode, owner of what is at dest now. */
struct file_now {
    bool present;
    char hash[65];
    struct stat st;
};

static int file_now(const char *dest, struct file_now *f, struct sbx_error *err)
{
    memset(f, 0, sizeof *f);
    sbx_autofd int fd = open(dest, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        if (errno == ELOOP)
            return sbx_err_set(err, SBX_EPERM, "%s is a symlink: not sbx's file", dest);
        return sbx_err_sys(err, SBX_EIO, errno, "open %s", dest);
    }
    if (fstat(fd, &f->st) != 0)
        return sbx_err_sys(err, SBX_EIO, errno, "stat %s", dest);
    if (!S_ISREG(f->st.st_mode))
        return sbx_err_set(err, SBX_EPERM, "%s is not a regular file: not sbx's", dest);
    f->present = true;
    return sbx_drv_sha256_file(fd, f->hash, err);
}

int sbx_drv_file_apply(enum sbx_action act, struct sbx_resource *r, struct sbx_error *err)
{
    struct file_desc d;
    int rc = file_desc(r, act == SBX_ACT_CREATE, &d, err);
    if (rc)
        return rc;
    struct file_now now;
    if ((rc = file_now(d.dest, &now, err)))
        return rc;
    if (act == SBX_ACT_DELETE) {
        if (!now.present)
            return 0;
        if (r->os_id && strcmp(r->os_id, now.hash) != 0 && d.generate &&
            replaced_by_newer(d.dest, r->key))
            return 0;
        if (r->os_id && strcmp(r->os_id, now.hash) != 0)
            return sbx_err_set(err, SBX_EPERM,
                               "%s changed since sbx installed it (SHA-256 %.12s..., recorded "
                               "%.12s...); refusing to remove what sbx did not write: look at "
                               "it and remove it by hand",
                               d.dest, now.hash, r->os_id);
        if (unlink(d.dest) != 0 && errno != ENOENT)
            return sbx_err_sys(err, SBX_EIO, errno, "remove %s", d.dest);
        return 0;
    }
    char *data = NULL;
    size_t len = 0;
    if ((rc = content(r, &d, &data, &len, err)))
        return rc;
    char hash[65];
    sbx_drv_sha256_hex(data, len, hash);
    bool same = now.present && strcmp(now.hash, hash) == 0 && now.st.st_uid == 0 &&
                now.st.st_gid == d.gid && (now.st.st_mode & 07777) == d.mode;
    if (!same)
        rc = install(&d, data, len, err);
    free(data);
    if (rc)
        return rc;
    return sbx_resource_set_field(&r->os_id, hash) ? sbx_err_set(err, SBX_ENOMEM, "oom") : 0;
}

int sbx_drv_file_probe(const struct sbx_resource *r, enum sbx_presence *out,
                       struct sbx_error *err)
{
    struct file_desc d;
    int rc = file_desc(r, false, &d, err);
    if (rc)
        return rc;
    struct file_now now;
    if ((rc = file_now(d.dest, &now, err)))
        return rc == -SBX_EPERM ? (*out = SBX_DIFFERENT, 0) : rc;
    if (!now.present) {
        *out = SBX_ABSENT;
        return 0;
    }
    gid_t gid = 0;
    bool group_ok = sbx_drv_group_by_name(d.group, &gid) == 0 && now.st.st_gid == gid;
    bool hash_ok = !r->os_id || strcmp(r->os_id, now.hash) == 0;
    *out = hash_ok && group_ok && now.st.st_uid == 0 && (now.st.st_mode & 07777) == d.mode
               ? SBX_PRESENT
               : SBX_DIFFERENT;
    return 0;
}
