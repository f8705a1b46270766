/* SPDX-License-Identifier: MIT */
/* Groups, accounts, memberships and directories of the elevated mode.
 * Every removal checks the object against what was recorded (gid / uid)
 * and against sbx's marker before touching it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "modes/common/cache_env.h"
#include "modes/common/linux/launch_conf.h"
#include "util/cleanup.h"
#include "modes/os/linux/driver_api.h"
#include "modes/os/linux/driver_int.h"
#include "util/rmtree.h"

#define NOLOGIN "/usr/sbin/nologin"

static const char *rname(const struct sbx_resource *r)
{
    return r->name ? r->name : r->key;
}

static int set_id(struct sbx_resource *r, unsigned id, struct sbx_error *err)
{
    char buf[16];
    snprintf(buf, sizeof buf, "%u", id);
    if (sbx_resource_set_field(&r->principal, buf) || sbx_resource_set_field(&r->os_id, buf))
        return sbx_err_set(err, SBX_ENOMEM, "out of memory");
    return 0;
}

/* The recorded id, or -1 when none is recorded. */
static long recorded_id(const struct sbx_resource *r)
{
    unsigned id;
    return r->principal && sbx_drv_parse_id(r->principal, &id) == 0 ? (long)id : -1;
}

/* --- groups --------------------------------------------------------------- */

int sbx_drv_group_apply(enum sbx_action act, struct sbx_resource *r, struct sbx_error *err)
{
    const char *name = rname(r);
    if (!sbx_drv_group_name_marked(name))
        return sbx_err_set(err, SBX_EPERM,
                           "group %s does not follow sbx's naming (sbx...users); refusing to "
                           "manage it",
                           name);
    gid_t gid;
    bool exists = sbx_drv_group_by_name(name, &gid) == 0;
    long want = recorded_id(r);
    if (act == SBX_ACT_CREATE) {
        if (!exists) {
            char gidbuf[24] = "";
            char other[64];
            /* A rollback re-creates the group with its old gid when free,
             * so files and ACL entries naming that gid mean it again. */
            if (want >= 0 && sbx_drv_group_by_gid((gid_t)want, other, sizeof other) != 0)
                snprintf(gidbuf, sizeof gidbuf, "%ld", want);
            const char *argv[] = {"/usr/sbin/groupadd", "--system", gidbuf[0] ? "--gid" : name,
                                  gidbuf[0] ? gidbuf : NULL, gidbuf[0] ? name : NULL, NULL};
            int rc = sbx_drv_tool(argv, err);
            if (rc)
                return sbx_err_wrap(err, "create group %s (run sbx as root)", name);
            if (sbx_drv_group_by_name(name, &gid) != 0)
                return sbx_err_set(err, SBX_EIO, "group %s: created but not found afterwards",
                                   name);
        }
        return set_id(r, gid, err);
    }
    if (!exists)
        return 0;
    if (want >= 0 && (long)gid != want)
        return sbx_err_set(err, SBX_EPERM,
                           "group %s now has gid %u, not the gid %ld sbx created it with; "
                           "refusing to remove it (remove it by hand if it is not in use)",
                           name, (unsigned)gid, want);
    const char *argv[] = {"/usr/sbin/groupdel", name, NULL};
    int rc = sbx_drv_tool(argv, err);
    return rc ? sbx_err_wrap(err, "remove group %s", name) : 0;
}

int sbx_drv_group_probe(const struct sbx_resource *r, enum sbx_presence *out,
                        struct sbx_error *err)
{
    (void)err;
    gid_t gid;
    long want = recorded_id(r);
    if (sbx_drv_group_by_name(rname(r), &gid) != 0)
        *out = SBX_ABSENT;
    else
        *out = want < 0 || (long)gid == want ? SBX_PRESENT : SBX_DIFFERENT;
    return 0;
}

/* --- accounts ------------------------------------------------------------- */

static int account_home(const struct sbx_resource *r, char *home, size_t len,
                        struct sbx_error *err)
{
    if (sbx_detail_get(r->detail, "home", home, len) != 0 || home[0] != '/')
        return sbx_err_set(err, SBX_EINVAL, "account %s: no home directory in its description",
                           rname(r));
    return 0;
}

/* The account's private home (0700), its TMPDIR and the sandbox's cache
 * inside (cache_env.h: the launcher binds it into each run's private
 * home), in root's directory: created by path, owned by the account. */
static int make_home(const char *home, uid_t uid, gid_t gid, struct sbx_error *err)
{
    char tmp[PATH_MAX + 8], cache[PATH_MAX + 8];
    snprintf(tmp, sizeof tmp, "%s/tmp", home);
    snprintf(cache, sizeof cache, "%s/%s", home, SBX_CACHE_DIR_NAME);
    const char *dirs[] = {home, tmp, cache};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        if (mkdir(dirs[i], 0700) != 0 && errno != EEXIST)
            return sbx_err_sys(err, SBX_EIO, errno, "create home directory %s", dirs[i]);
        sbx_autofd int fd = open(dirs[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            return sbx_err_sys(err, SBX_EIO, errno, "open %s", dirs[i]);
        if (fchown(fd, uid, gid) != 0 || fchmod(fd, 0700) != 0)
            return sbx_err_sys(err, SBX_EIO, errno, "make %s the account's own", dirs[i]);
    }
    return 0;
}

int sbx_drv_account_apply(enum sbx_action act, struct sbx_resource *r, struct sbx_error *err)
{
    const char *name = rname(r);
    char home[PATH_MAX], gecos[256], role[16] = "";
    int rc = account_home(r, home, sizeof home, err);
    if (rc)
        return rc;
    sbx_detail_get(r->detail, "role", role, sizeof role);
    uid_t uid;
    gid_t gid;
    bool exists = sbx_drv_user_by_name(name, &uid, &gid, gecos, sizeof gecos, NULL, 0) == 0;
    long want = recorded_id(r);
    if (act == SBX_ACT_CREATE) {
        if (exists && !sbx_drv_gecos_marked(gecos))
            return sbx_err_set(err, SBX_EPERM,
                               "account %s exists and is not sbx's (its comment lacks '%s'); "
                               "refusing to take it over: rename or remove it first",
                               name, SBX_MARKER);
        if (!exists) {
            char uidbuf[24] = "", comment[160], other[64], member[64] = "";
            sbx_detail_get(r->detail, "member", member, sizeof member);
            snprintf(comment, sizeof comment, "%s sandbox account (%s%s%s); do not edit",
                     SBX_MARKER, role[0] ? role : "sbx", member[0] ? " of " : "", member);
            if (want >= 0 && sbx_drv_user_by_uid((uid_t)want, other, sizeof other, NULL, 0) != 0)
                snprintf(uidbuf, sizeof uidbuf, "%ld", want);
            const char *argv[16];
            size_t n = 0;
            argv[n++] = "/usr/sbin/useradd";
            argv[n++] = "--system";
            argv[n++] = "--user-group";
            argv[n++] = "--no-create-home";
            argv[n++] = "--home-dir";
            argv[n++] = home;
            argv[n++] = "--shell";
            argv[n++] = NOLOGIN;
            argv[n++] = "--comment";
            argv[n++] = comment;
            if (uidbuf[0]) {
                argv[n++] = "--uid";
                argv[n++] = uidbuf;
            }
            argv[n++] = name;
            argv[n] = NULL;
            if ((rc = sbx_drv_tool(argv, err)))
                return sbx_err_wrap(err, "create account %s (run sbx as root)", name);
            if (sbx_drv_user_by_name(name, &uid, &gid, NULL, 0, NULL, 0) != 0)
                return sbx_err_set(err, SBX_EIO, "account %s: created but not found afterwards",
                                   name);
        }
        if ((rc = make_home(home, uid, gid, err)))
            return rc;
        return set_id(r, uid, err);
    }
    if (!exists)
        return 0;
    if (!sbx_drv_gecos_marked(gecos))
        return sbx_err_set(err, SBX_EPERM,
                           "account %s is not sbx's (its comment lacks '%s'); refusing to remove "
                           "it",
                           name, SBX_MARKER);
    if (want >= 0 && (long)uid != want)
        return sbx_err_set(err, SBX_EPERM,
                           "account %s now has uid %u, not the uid %ld sbx created it with; "
                           "refusing to remove it",
                           name, (unsigned)uid, want);
    const char *argv[] = {"/usr/sbin/userdel", name, NULL};
    if ((rc = sbx_drv_tool(argv, err)))
        return sbx_err_wrap(err, "remove account %s (stop its processes first: pkill -u %u)",
                            name, (unsigned)uid);
    /* The home only when it is still the account's: a path swapped for
     * somebody else's directory is left alone. */
    struct stat st;
    if (lstat(home, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == uid &&
        (rc = sbx_remove_tree(home, err)))
        return sbx_err_wrap(err, "account %s removed, but not its home", name);
    return 0;
}

int sbx_drv_account_probe(const struct sbx_resource *r, enum sbx_presence *out,
                          struct sbx_error *err)
{
    (void)err;
    uid_t uid;
    char gecos[256];
    long want = recorded_id(r);
    if (sbx_drv_user_by_name(rname(r), &uid, NULL, gecos, sizeof gecos, NULL, 0) != 0)
        *out = SBX_ABSENT;
    else if (!sbx_drv_gecos_marked(gecos) || (want >= 0 && (long)uid != want))
        *out = SBX_DIFFERENT;
    else
        *out = SBX_PRESENT;
    return 0;
}

/* --- memberships ---------------------------------------------------------- */

struct member_ref {
    char group[64], member[64];
    gid_t gid;
    bool group_exists;
};

static int member_ref(const struct sbx_resource *r, struct member_ref *m, struct sbx_error *err)
{
    if (sbx_detail_get(r->detail, "group", m->group, sizeof m->group) != 0 ||
        sbx_detail_get(r->detail, "member", m->member, sizeof m->member) != 0)
        return sbx_err_set(err, SBX_EINVAL, "membership %s: group or member missing", r->key);
    m->group_exists = sbx_drv_group_by_name(m->group, &m->gid) == 0;
    return 0;
}

int sbx_drv_member_apply(enum sbx_action act, struct sbx_resource *r, struct sbx_error *err)
{
    struct member_ref m;
    int rc = member_ref(r, &m, err);
    if (rc)
        return rc;
    if (!sbx_drv_group_name_marked(m.group))
        return sbx_err_set(err, SBX_EPERM, "group %s is not sbx's; refusing to change members",
                           m.group);
    long want = recorded_id(r);
    bool listed = false;
    if (act == SBX_ACT_CREATE) {
        uid_t uid;
        if (sbx_drv_user_by_name(m.member, &uid, NULL, NULL, 0, NULL, 0) != 0)
            return sbx_err_set(err, SBX_ENOENT,
                               "unknown user %s: give `--user` the login name of an existing "
                               "account",
                               m.member);
        if (!m.group_exists)
            return sbx_err_set(err, SBX_ENOENT, "group %s does not exist: run `sbx setup` first",
                               m.group);
        sbx_drv_group_has_member(m.gid, m.member, &listed);
        if (!listed) {
            const char *argv[] = {"/usr/bin/gpasswd", "-a", m.member, m.group, NULL};
            if ((rc = sbx_drv_tool(argv, err)))
                return sbx_err_wrap(err, "add %s to group %s", m.member, m.group);
        }
        char buf[16];
        snprintf(buf, sizeof buf, "%u", (unsigned)m.gid);
        if (sbx_resource_set_field(&r->principal, buf))
            return sbx_err_set(err, SBX_ENOMEM, "out of memory");
        snprintf(buf, sizeof buf, "%u", (unsigned)uid);
        if (sbx_resource_set_field(&r->os_id, buf))
            return sbx_err_set(err, SBX_ENOMEM, "out of memory");
        return 0;
    }
    if (!m.group_exists)
        return 0;
    if (want >= 0 && (long)m.gid != want)
        return sbx_err_set(err, SBX_EPERM,
                           "group %s now has gid %u, not the recorded %ld; refusing to change "
                           "its members",
                           m.group, (unsigned)m.gid, want);
    sbx_drv_group_has_member(m.gid, m.member, &listed);
    if (!listed)
        return 0;
    const char *argv[] = {"/usr/bin/gpasswd", "-d", m.member, m.group, NULL};
    rc = sbx_drv_tool(argv, err);
    return rc ? sbx_err_wrap(err, "remove %s from group %s", m.member, m.group) : 0;
}

int sbx_drv_member_probe(const struct sbx_resource *r, enum sbx_presence *out,
                         struct sbx_error *err)
{
    struct member_ref m;
    int rc = member_ref(r, &m, err);
    if (rc)
        return rc;
    bool listed = false;
    if (m.group_exists)
        sbx_drv_group_has_member(m.gid, m.member, &listed);
    *out = listed ? SBX_PRESENT : SBX_ABSENT;
    return 0;
}

/* --- directories ---------------------------------------------------------- */

static int dir_mode(const struct sbx_resource *r, mode_t *mode, bool *keep,
                    struct sbx_error *err)
{
    char buf[16];
    unsigned long m = 0755;
    if (sbx_detail_get(r->detail, "mode", buf, sizeof buf) == 0)
        m = strtoul(buf, NULL, 8);
    *keep = sbx_detail_get(r->detail, "keep", buf, sizeof buf) == 0 && strcmp(buf, "1") == 0;
    if (m > 0777 || !(r->path ? r->path : r->key)[0] || (r->path ? r->path : r->key)[0] != '/')
        return sbx_err_set(err, SBX_EINVAL, "directory %s: bad description", r->key);
    *mode = (mode_t)m;
    return 0;
}

static bool dir_is_empty(int fd)
{
    int dup_fd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    if (!d) {
        if (dup_fd >= 0)
            close(dup_fd);
        return false;
    }
    bool empty = true;
    struct dirent *e;
    while (empty && (e = readdir(d)))
        empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
    closedir(d);
    return empty;
}

int sbx_drv_dir_apply(enum sbx_action act, struct sbx_resource *r, struct sbx_error *err)
{
    const char *path = r->path ? r->path : r->key;
    mode_t mode = 0755;
    bool keep = false;
    int rc = dir_mode(r, &mode, &keep, err);
    if (rc)
        return rc;
    if (act == SBX_ACT_CREATE) {
        bool made = mkdir(path, mode) == 0;
        if (!made && errno != EEXIST)
            return sbx_err_sys(err, SBX_EIO, errno, "create directory %s", path);
        sbx_autofd int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) != 0)
            return sbx_err_sys(err, SBX_EIO, errno, "open directory %s", path);
        if (st.st_uid != 0)
            return sbx_err_set(err, SBX_EPERM,
                               "%s belongs to uid %u, not root: sbx's directories must be "
                               "root's; remove it or choose another state directory",
                               path, (unsigned)st.st_uid);
        char prev[32];
        /* An empty directory already as wanted is taken as sbx's own: the
         * plan engine asks again after a crash that came right after the
         * mkdir, and the directory must then still count as made (removed
         * on rollback) rather than as somebody else's. */
        bool as_made = !made && (st.st_mode & 07777) == mode && dir_is_empty(fd);
        /* os_id: "made", or the mode an existing directory had, to put back. */
        if (made || as_made || (r->os_id && strcmp(r->os_id, "made") == 0))
            snprintf(prev, sizeof prev, "made");
        else if (r->os_id && strncmp(r->os_id, "mode=", 5) == 0)
            snprintf(prev, sizeof prev, "%s", r->os_id);
        else
            snprintf(prev, sizeof prev, "mode=%04o", (unsigned)(st.st_mode & 07777));
        if (fchmod(fd, mode) != 0)
            return sbx_err_sys(err, SBX_EIO, errno, "chmod %s", path);
        return sbx_resource_set_field(&r->os_id, prev) ? sbx_err_set(err, SBX_ENOMEM, "oom") : 0;
    }
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : sbx_err_sys(err, SBX_EIO, errno, "%s", path);
    if (!S_ISDIR(st.st_mode) || st.st_uid != 0)
        return sbx_err_set(err, SBX_EPERM, "%s is no longer root's directory; leaving it", path);
    if (r->os_id && strncmp(r->os_id, "mode=", 5) == 0) {
        /* Existed before sbx: only its mode is put back. */
        if (chmod(path, (mode_t)strtoul(r->os_id + 5, NULL, 8)) != 0)
            return sbx_err_sys(err, SBX_EIO, errno, "restore the mode of %s", path);
        return 0;
    }
    if (keep)
        return 0;
    if (rmdir(path) != 0)
        return sbx_err_sys(err, SBX_EIO, errno,
                           "remove directory %s (sbx only removes it empty: look at what is "
                           "left in it)",
                           path);
    return 0;
}

int sbx_drv_dir_probe(const struct sbx_resource *r, enum sbx_presence *out,
                      struct sbx_error *err)
{
    mode_t mode = 0755;
    bool keep = false;
    int rc = dir_mode(r, &mode, &keep, err);
    if (rc)
        return rc;
    struct stat st;
    const char *path = r->path ? r->path : r->key;
    if (lstat(path, &st) != 0) {
        *out = SBX_ABSENT;
        return 0;
    }
    mode_t now = st.st_mode & 07777;
    *out = S_ISDIR(st.st_mode) && st.st_uid == 0 && now == mode ? SBX_PRESENT : SBX_DIFFERENT;
    /* A directory that was there before sbx, back at the mode it had: sbx's
     * change is gone (a removal that took effect), not drift. */
    if (*out == SBX_DIFFERENT && S_ISDIR(st.st_mode) && r->os_id &&
        strncmp(r->os_id, "mode=", 5) == 0 && now == (mode_t)strtoul(r->os_id + 5, NULL, 8))
        *out = SBX_ABSENT;
    return 0;
}
