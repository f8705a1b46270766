/* SPDX-License-Identifier: MIT */
/* Installed files: the setuid launcher and its root-owned configuration.
 * Written next to their final name and renamed over it, so the launcher
 * is never seen half-written or setuid with the wrong group; the SHA-256
 * of what was written is recorded (os_id) to tell later changes.
 *
 * Replacing one version by another at the same path (a new sbx's launcher,
 * a configuration with other ports) is a plan of two operations: create the
 * new resource, then delete the old one.  So that the creation can be
 * undone, the file it replaces is first kept as DEST.before-<new hash>, a
 * hard link (same inode and owner), made private (0700: a kept launcher is
 * not setuid) once the new one is in place:
 *   - undoing the creation (delete of the new one) puts that copy back;
 *   - the deletion of the old one removes the copy;
 *   - a copy left by a crash between link and rename holds the old content
 *     and goes with the old resource's deletion.
 * The new resource records what it replaced: os_id "NEW+before=OLD" (two
 * SHA-256s), so that once the copy is back in place -- the undo done, the
 * copy gone -- the new resource is known to be gone rather than changed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "modes/common/linux/names.h"
#include "modes/common/linux/launch_conf.h"
#include "util/cleanup.h"
#include "modes/os/linux/driver_api.h"
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
static int conf_account(const struct sbx_resource *r, const char *name, uid_t *uid, gid_t *gid,
                        char *home, size_t home_len, struct sbx_error *err)
{
    char gecos[256];
    if (sbx_drv_user_by_name(name, uid, gid, gecos, sizeof gecos, home, home_len) != 0)
        return sbx_err_set(err, SBX_ENOENT, "launcher configuration %s: no account %s", r->key,
                           name);
    if (!sbx_drv_gecos_marked(gecos) || *uid == 0)
        return sbx_err_set(err, SBX_EPERM,
                           "launcher configuration: account %s is not sbx's; refusing to let "
                           "the launcher switch to it",
                           name);
    return 0;
}

/* "P,Q" into the configuration's ports. */
static void conf_ports(const struct sbx_resource *r, unsigned *ports, size_t *n)
{
    char text[128] = "";
    sbx_detail_get(r->detail, "ports", text, sizeof text);
    char *save = NULL;
    *n = 0;
    for (char *p = strtok_r(text, ",", &save); p && *n < SBX_LAUNCH_MAX_PORTS;
         p = strtok_r(NULL, ",", &save))
        ports[(*n)++] = (unsigned)strtoul(p, NULL, 10);
}

/* Format 1, of the shared pair: only ever written back by the undoing of
 * its own removal (a migration to per-member pairs rolled back), or for
 * SBX_ELEVATED_SHARED_PAIR. */
static int conf_text_shared(const struct sbx_resource *r, const char *group, gid_t gid,
                            char *buf, size_t len, struct sbx_error *err)
{
    char name[2][64], home[2][PATH_MAX];
    uid_t uid[2];
    gid_t g[2];
    const char *roles[2] = {"offline", "online"};
    for (int i = 0; i < 2; i++) {
        int rc;
        if (sbx_detail_get(r->detail, roles[i], name[i], sizeof name[i]) != 0)
            return sbx_err_set(err, SBX_EINVAL, "installed file %s: no %s account", r->key,
                               roles[i]);
        if ((rc = conf_account(r, name[i], &uid[i], &g[i], home[i], sizeof home[i], err)))
            return rc;
    }
    unsigned ports[SBX_LAUNCH_MAX_PORTS];
    size_t n_ports;
    conf_ports(r, ports, &n_ports);
    int n = snprintf(buf, len,
                     "sbx-launch-conf 1\n# Written by `sbx setup`: the accounts sbx-launch may "
                     "switch to. Root's file; do not edit.\ngroup %s %u\n"
                     "account offline %s %u %u %s\naccount online %s %u %u %s\n",
                     group, (unsigned)gid, name[0], (unsigned)uid[0], (unsigned)g[0], home[0],
                     name[1], (unsigned)uid[1], (unsigned)g[1], home[1]);
    for (size_t i = 0; n >= 0 && (size_t)n < len && i < n_ports; i++)
        n += snprintf(buf + n, len - (size_t)n, "loopback_port %u\n", ports[i]);
    if (n < 0 || (size_t)n >= len)
        return sbx_err_set(err, SBX_EINVAL, "launcher configuration too long");
    return n;
}

/* "UID:OFFLINE:ONLINE,..." into c's members, each account checked. */
static int conf_members(const struct sbx_resource *r, struct sbx_launch_conf *c,
                        struct sbx_error *err)
{
    sbx_autofree char *list = NULL;
    const char *at = r->detail ? strstr(r->detail, "\nmembers=") : NULL;
    if (!at || !(list = strndup(at + 9, strcspn(at + 9, "\n"))))
        return sbx_err_set(err, at ? SBX_ENOMEM : SBX_EINVAL,
                           "installed file %s: no members", r->key);
    char *save = NULL;
    for (char *item = strtok_r(list, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char off[64], on[64];
        unsigned member;
        if (c->n_members >= SBX_LAUNCH_MAX_MEMBERS ||
            sscanf(item, "%u:%63[^:]:%63s", &member, off, on) != 3)
            return sbx_err_set(err, SBX_EINVAL, "installed file %s: bad member '%s'", r->key,
                               item);
        struct sbx_launch_member *m = &c->members[c->n_members++];
        m->member = member;
        const char *names[2] = {off, on};
        for (int k = 0; k < 2; k++) {
            char home[PATH_MAX];
            snprintf(m->acct[k].name, sizeof m->acct[k].name, "%s", names[k]);
            int rc = conf_account(r, names[k], &m->acct[k].uid, &m->acct[k].gid, home,
                                  sizeof home, err);
            if (rc)
                return rc;
        }
    }
    return 0;
}

int sbx_drv_launch_conf_text(const struct sbx_resource *r, char *buf, size_t len,
                             struct sbx_error *err)
{
    sbx_autofree struct sbx_launch_conf *c = calloc(1, sizeof *c);
    if (!c)
        return sbx_err_set(err, SBX_ENOMEM, "out of memory");
    if (sbx_detail_get(r->detail, "users", c->group, sizeof c->group) != 0 ||
        sbx_drv_group_by_name(c->group, &c->gid) != 0)
        return sbx_err_set(err, SBX_ENOENT, "launcher configuration: its users group is missing");
    int n;
    if (sbx_detail_get(r->detail, "homes", c->homes, sizeof c->homes) != 0) {
        n = conf_text_shared(r, c->group, c->gid, buf, len, err);
    } else {
        int rc = conf_members(r, c, err);
        if (rc)
            return rc;
        conf_ports(r, c->ports, &c->n_ports);
        n = sbx_launch_conf_format(c, buf, len, err);
    }
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
    sbx_autofree char *text = malloc(SBX_LAUNCH_CONF_MAX);
    ssize_t n = fd < 0 || !text ? -1 : read(fd, text, SBX_LAUNCH_CONF_MAX - 1);
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
        char *buf = malloc(SBX_LAUNCH_CONF_MAX);
        if (!buf)
            return sbx_err_set(err, SBX_ENOMEM, "out of memory");
        int n = sbx_drv_launch_conf_text(r, buf, SBX_LAUNCH_CONF_MAX, err);
        if (n < 0) {
            free(buf);
            return n;
        }
        *out = buf;
        *len = (size_t)n;
        return 0;
    }
    /* A file to install setuid or setgid (the launcher) becomes root's
     * power: its source must be root's alone, it and every directory
     * above it, or whoever can write it chooses what root installs (a
     * build tree in a user's home, say). */
    bool special = (d->mode & (S_ISUID | S_ISGID)) != 0;
    if (special) {
        int rc = sbx_path_root_owned(d->source, err);
        if (rc)
            return sbx_err_wrap(err, "the source of %s, installed mode %04o", d->dest,
                                (unsigned)d->mode);
    }
    sbx_autofd int fd = open(d->source, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0)
        return sbx_err_sys(err, SBX_ENOENT, errno,
                           "%s, the file to install as %s (is sbx installed completely?)",
                           d->source, d->dest);
    if (!S_ISREG(st.st_mode) || (unsigned long long)st.st_size > MAX_INSTALL)
        return sbx_err_set(err, SBX_EINVAL, "%s is not a file sbx can install", d->source);
    if (special && (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH))))
        return sbx_err_set(err, SBX_EPERM, "%s, to be installed mode %04o as %s, must belong "
                                           "to root and be writable by root only (owner uid "
                                           "%u, mode %04o)",
                           d->source, (unsigned)d->mode, d->dest, (unsigned)st.st_uid,
                           (unsigned)(st.st_mode & 07777));
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

/* DEST.before-<first 16 hex digits of hash>. */
static int copy_path(const char *dest, const char *hash, char *out, size_t len,
                     struct sbx_error *err)
{
    if (snprintf(out, len, "%s.before-%.16s", dest, hash) >= (int)len)
        return sbx_err_set(err, SBX_EINVAL, "%s: path too long", dest);
    return 0;
}

/* The hash of the copy of dest kept before `hash` was installed, if any. */
static int copy_now(const char *dest, const char *hash, struct file_now *f,
                    struct sbx_error *err)
{
    char path[PATH_MAX];
    int rc = copy_path(dest, hash, path, sizeof path, err);
    return rc ? rc : file_now(path, f, err);
}

/* Remove every kept copy of dest whose content is `hash` (what a crash
 * between keeping and replacing left). */
static int drop_copies(const char *dest, const char *hash, struct sbx_error *err)
{
    char dir[PATH_MAX], prefix[NAME_MAX + 16];
    if (snprintf(dir, sizeof dir, "%s", dest) >= (int)sizeof dir)
        return sbx_err_set(err, SBX_EINVAL, "installed file %s: path too long", dest);
    char *slash = strrchr(dir, '/');
    if (!slash)
        return 0;
    *slash = '\0';
    if (snprintf(prefix, sizeof prefix, "%s.before-", slash + 1) >= (int)sizeof prefix)
        return 0;
    DIR *d = opendir(dir[0] ? dir : "/");
    if (!d)
        return errno == ENOENT ? 0 : sbx_err_sys(err, SBX_EIO, errno, "open %s", dir);
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
            continue;
        char path[PATH_MAX + NAME_MAX + 2];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct file_now f;
        struct sbx_error ignored = {0};
        if (file_now(path, &f, &ignored) != 0 || !f.present || f.st.st_uid != 0 ||
            strcmp(f.hash, hash) != 0)
            continue;
        if (unlink(path) != 0 && errno != ENOENT)
            rc = sbx_err_sys(err, SBX_EIO, errno, "remove %s", path);
    }
    closedir(d);
    return rc;
}

/* The SHA-256 the resource asks for (detail sha256=, the launcher's), or
 * "" when it names none. */
static void wanted_hash(const struct sbx_resource *r, char out[65])
{
    if (sbx_detail_get(r->detail, "sha256", out, 65) != 0 || strlen(out) != 64)
        out[0] = '\0';
}

/* The hashes os_id records: the content written, and the content it
 * replaced ("" when none). */
static void recorded(const struct sbx_resource *r, char hash[65], char before[65])
{
    hash[0] = before[0] = '\0';
    const char *o = r->os_id;
    if (!o || strlen(o) < 64 || (o[64] && o[64] != '+'))
        return;
    snprintf(hash, 65, "%.64s", o);
    const char *b = strstr(o, "+before=");
    if (b && strlen(b + 8) == 64)
        snprintf(before, 65, "%s", b + 8);
}

static int record(struct sbx_resource *r, const char *hash, const char *before,
                  struct sbx_error *err)
{
    char id[160];
    snprintf(id, sizeof id, "%s%s%s", hash, before[0] ? "+before=" : "", before);
    return sbx_resource_set_field(&r->os_id, id) ? sbx_err_set(err, SBX_ENOMEM, "oom") : 0;
}

/* Which content the resource stands for: what it recorded (os_id), what it
 * asks for, else what it would install now.  "" when none can be told. */
static void resource_hash(const struct sbx_resource *r, const struct file_desc *d,
                          char out[65])
{
    char before[65];
    recorded(r, out, before);
    if (out[0])
        return;
    wanted_hash(r, out);
    if (out[0])
        return;
    char *data = NULL;
    size_t len = 0;
    struct sbx_error ignored = {0};
    if (content(r, d, &data, &len, &ignored) == 0) {
        sbx_drv_sha256_hex(data, len, out);
        free(data);
    }
}

static bool file_has_hash(const char *path, const char *hash)
{
    char h[65];
    return sbx_drv_sha256_path(path, h, NULL) == 0 && strcmp(h, hash) == 0;
}

/* Is `hash`, found at dest instead of r's content, another version sbx
 * put there: a configuration written for another resource, or the launcher
 * this sbx ships (where r's source was, or where this sbx finds it)? */
static bool replaced_by_sbx(const struct sbx_resource *r, const struct file_desc *d,
                            const char *hash)
{
    if (d->generate)
        return replaced_by_newer(d->dest, r->key);
    char shipped[PATH_MAX];
    struct sbx_error ignored = {0};
    return file_has_hash(d->source, hash) ||
           (sbx_elevated_launcher_source(shipped, sizeof shipped, &ignored) == 0 &&
            file_has_hash(shipped, hash));
}

static int file_create(struct sbx_resource *r, const struct file_desc *d,
                       struct sbx_error *err)
{
    char *data = NULL, hash[65], want[65];
    size_t len = 0;
    int rc = content(r, d, &data, &len, err);
    if (rc)
        return rc;
    sbx_drv_sha256_hex(data, len, hash);
    wanted_hash(r, want);
    if (want[0] && strcmp(want, hash) != 0) {
        free(data);
        /* Going back to another version's launcher takes that version's
         * file: this sbx has only its own. */
        return sbx_err_set(err, SBX_ESTATE,
                           "%s: the plan installs the launcher with SHA-256 %.16s..., but %s "
                           "(this sbx's) is %.16s...: only the sbx that shipped that launcher can "
                           "put it back",
                           d->dest, want, d->source, hash);
    }
    struct file_now now;
    if ((rc = file_now(d->dest, &now, err))) {
        free(data);
        return rc;
    }
    bool same = now.present && strcmp(now.hash, hash) == 0 && now.st.st_uid == 0 &&
                now.st.st_gid == d->gid && (now.st.st_mode & 07777) == d->mode;
    char keep[PATH_MAX] = "";
    if (!same && now.present && strcmp(now.hash, hash) != 0) {
        if ((rc = copy_path(d->dest, hash, keep, sizeof keep, err)) == 0 &&
            (unlink(keep) != 0 && errno != ENOENT))
            rc = sbx_err_sys(err, SBX_EIO, errno, "remove %s", keep);
        if (rc == 0 && link(d->dest, keep) != 0)
            rc = sbx_err_sys(err, SBX_EIO, errno, "keep %s as %s while it is replaced",
                             d->dest, keep);
        if (rc) {
            free(data);
            return rc;
        }
    }
    if (!same && (rc = install(d, data, len, err)) != 0 && keep[0])
        unlink(keep);
    /* The kept launcher is no longer setuid nor anyone's to run: only a
     * copy to put back. */
    if (rc == 0 && keep[0] && chmod(keep, 0700) != 0)
        rc = sbx_err_sys(err, SBX_EIO, errno, "make %s private", keep);
    free(data);
    if (rc)
        return rc;
    /* What it replaced: just kept, or kept by the run a crash cut short. */
    struct file_now copy;
    if (!keep[0] && (rc = copy_now(d->dest, hash, &copy, err)))
        return rc;
    return record(r, hash, keep[0] ? now.hash : copy.present ? copy.hash : "", err);
}

static int file_delete(const struct sbx_resource *r, const struct file_desc *d,
                       struct sbx_error *err)
{
    char mine[65], unused[65], before[65];
    resource_hash(r, d, mine);
    recorded(r, unused, before);
    struct file_now now, copy;
    int rc = file_now(d->dest, &now, err);
    if (rc)
        return rc;
    if (!mine[0]) {
        if (!now.present)
            return 0;
        return sbx_err_set(err, SBX_ESTATE,
                           "%s: the ledger records no content for it and sbx can't tell what "
                           "it would have written; refusing to remove it: look at it and "
                           "remove it by hand",
                           d->dest);
    }
    if (!now.present)
        return drop_copies(d->dest, mine, err);
    if (strcmp(now.hash, mine) == 0) {
        /* Ours: put back what it replaced, if it was kept, else remove. */
        char keep[PATH_MAX];
        if ((rc = copy_path(d->dest, mine, keep, sizeof keep, err)) ||
            (rc = copy_now(d->dest, mine, &copy, err)))
            return rc;
        if (copy.present && copy.st.st_uid == 0) {
            /* Its mode first (the versions share it), then in place: a
             * crash between the two leaves the copy to put back again. */
            if (chmod(keep, d->mode) != 0 || rename(keep, d->dest) != 0)
                return sbx_err_sys(err, SBX_EIO, errno, "put %s back as %s", keep, d->dest);
        } else if (unlink(d->dest) != 0 && errno != ENOENT) {
            return sbx_err_sys(err, SBX_EIO, errno, "remove %s", d->dest);
        }
        return drop_copies(d->dest, mine, err);
    }
    /* Another version is installed: ours may be the copy kept when it
     * replaced ours. */
    if ((rc = copy_now(d->dest, now.hash, &copy, err)))
        return rc;
    if (copy.present && strcmp(copy.hash, mine) == 0)
        return drop_copies(d->dest, mine, err);
    /* What ours replaced is back (an undo a crash cut short after it put
     * the copy back), or another version sbx installed. */
    if ((before[0] && strcmp(now.hash, before) == 0) || replaced_by_sbx(r, d, now.hash))
        return drop_copies(d->dest, mine, err);
    return sbx_err_set(err, SBX_EPERM,
                       "%s changed since sbx installed it (SHA-256 %.12s..., recorded "
                       "%.12s...); refusing to remove what sbx did not write: look at it and "
                       "remove it by hand",
                       d->dest, now.hash, mine);
}

int sbx_drv_file_apply(enum sbx_action act, struct sbx_resource *r, struct sbx_error *err)
{
    struct file_desc d;
    int rc = file_desc(r, act == SBX_ACT_CREATE, &d, err);
    if (rc)
        return rc;
    return act == SBX_ACT_CREATE ? file_create(r, &d, err) : file_delete(r, &d, err);
}

int sbx_drv_file_probe(const struct sbx_resource *r, enum sbx_presence *out,
                       struct sbx_error *err)
{
    struct file_desc d;
    int rc = file_desc(r, false, &d, err);
    if (rc)
        return rc;
    struct file_now now, copy;
    if ((rc = file_now(d.dest, &now, err)))
        return rc == -SBX_EPERM ? (*out = SBX_DIFFERENT, 0) : rc;
    if (!now.present) {
        *out = SBX_ABSENT;
        return 0;
    }
    char mine[65], before[65];
    recorded(r, mine, before);
    if (!mine[0])
        wanted_hash(r, mine);
    if (mine[0] && strcmp(now.hash, mine) != 0) {
        /* Replaced by another version: still here as the kept copy (a
         * replacement under way), or gone for good when what replaced it
         * is another configuration of sbx's or the launcher this sbx
         * installs. */
        if ((rc = copy_now(d.dest, now.hash, &copy, err)))
            return rc;
        if (copy.present && strcmp(copy.hash, mine) == 0)
            *out = SBX_PRESENT;
        else if ((before[0] && strcmp(now.hash, before) == 0) || replaced_by_sbx(r, &d, now.hash))
            *out = SBX_ABSENT;
        else
            *out = SBX_DIFFERENT;
        return 0;
    }
    gid_t gid = 0;
    bool group_ok = sbx_drv_group_by_name(d.group, &gid) == 0 && now.st.st_gid == gid;
    *out = group_ok && now.st.st_uid == 0 && (now.st.st_mode & 07777) == d.mode ? SBX_PRESENT
                                                                                 : SBX_DIFFERENT;
    return 0;
}
