/* SPDX-License-Identifier: MIT */
/* util/platform.h for Linux (POSIX). */
#include "util/platform.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/limits.h"

struct sbx_lock {
    int fd;
};

int sbx_lock_acquire(const char *path, unsigned wait_ms, struct sbx_lock **out,
                     struct sbx_error *err)
{
    *out = NULL;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "cannot open the plan lock %s", path);
    /* Root working on a user's ledger (cleanup, migrate --user) must leave
     * the lock usable by that user: it belongs to the directory's owner,
     * as SQLite does with the journal files. */
    char dir[SBX_PATH_EXTRA_MAX]; /* the directory of any path that fits one */
    struct stat dst, fst;
    if (geteuid() == 0 && sbx_fs_dirname(path, dir, sizeof dir, NULL) == 0 &&
        stat(dir, &dst) == 0 && fstat(fd, &fst) == 0 && fst.st_uid != dst.st_uid &&
        fchown(fd, dst.st_uid, dst.st_gid) != 0) {
        int e = errno;
        close(fd);
        return sbx_err_sys(err, SBX_EIO, e, "cannot give the plan lock %s to its directory's owner",
                           path);
    }
    unsigned waited = 0;
    for (;;) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            break;
        if (errno != EWOULDBLOCK && errno != EINTR) {
            int e = errno;
            close(fd);
            return sbx_err_sys(err, SBX_EIO, e, "cannot lock %s", path);
        }
        if (waited >= wait_ms) {
            close(fd);
            return sbx_err_set(err, SBX_ELOCKED,
                               "another sbx process is changing the machine (plan lock %s is "
                               "held); wait for it to finish and try again",
                               path);
        }
        sbx_sleep_ms(50);
        waited += 50;
    }
    struct sbx_lock *lock = malloc(sizeof *lock);
    if (!lock) {
        close(fd);
        return sbx_err_set(err, SBX_ENOMEM, "out of memory");
    }
    lock->fd = fd;
    *out = lock;
    return 0;
}

void sbx_lock_release(struct sbx_lock *lock)
{
    if (!lock)
        return;
    close(lock->fd); /* closing the last fd releases the flock */
    free(lock);
}

/* Made one component at a time with mkdirat() from the fd of the
 * directory above, each new directory opened without following a symlink:
 * a name swapped meanwhile (for a symlink into a place the caller does not
 * control) can't make sbx create its state, or trust a state directory,
 * anywhere else.  Existing directories on the way are the caller's own
 * layout and are followed (~/.local may be a symlink to a dotfiles
 * repository).  The last one, when it exists already, was not made by this
 * call: it must be a directory itself (not a symlink), belong to the
 * caller and be writable by no one else, or sbx refuses it -- another
 * user's (or a sandbox account's) directory, made before sbx, could hold a
 * ledger or journal of theirs.  (sbx run refuses a state directory inside
 * a workspace, so no sandboxed command of the caller's can make it
 * first.) */
int sbx_fs_mkdir_private(const char *dir, struct sbx_error *err)
{
    char buf[SBX_PATH_MAX];
    size_t len = strlen(dir);
    if (len == 0 || len >= sizeof buf)
        return sbx_err_set(err, SBX_EINVAL, "state directory path is empty or too long: '%s'",
                           dir);
    memcpy(buf, dir, len + 1);
    while (len > 1 && buf[len - 1] == '/')
        buf[--len] = '\0';
    int fd = open(buf[0] == '/' ? "/" : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "cannot open %s", buf[0] == '/' ? "/" : ".");
    char *p = buf;
    while (*p == '/')
        p++;
    while (*p) {
        char *end = p;
        while (*end && *end != '/')
            end++;
        char *next = end;
        while (*next == '/')
            next++;
        bool last = *next == '\0';
        char saved = *end;
        *end = '\0';
        /* buf up to here names the component, for messages */
        bool created = mkdirat(fd, p, 0700) == 0;
        if (!created && errno != EEXIST) {
            int e = errno;
            close(fd);
            return sbx_err_sys(err, SBX_EIO, e, "cannot create directory %s", buf);
        }
        int flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
        if (created || last)
            flags |= O_NOFOLLOW;
        int nfd = openat(fd, p, flags);
        int e = errno;
        close(fd);
        if (nfd < 0) {
            if (e == ENOTDIR || e == ELOOP)
                return sbx_err_set(err, SBX_EINVAL, "%s exists and is not a directory%s", buf,
                                   created ? " (it was replaced while sbx made it)" : "");
            return sbx_err_sys(err, SBX_EIO, e, "cannot open directory %s", buf);
        }
        fd = nfd;
        struct stat st;
        if ((created || last) && fstat(fd, &st) != 0) {
            e = errno;
            close(fd);
            return sbx_err_sys(err, SBX_EIO, e, "cannot inspect %s", buf);
        }
        if ((created || last) && st.st_uid != geteuid()) {
            close(fd);
            return sbx_err_set(err, SBX_EPERM,
                               "the state directory %s belongs to uid %u, not to you (uid %u): "
                               "sbx did not make it for you; move it away or pass --state",
                               buf, (unsigned)st.st_uid, (unsigned)geteuid());
        }
        if (last && !created && (st.st_mode & (S_IWGRP | S_IWOTH))) {
            close(fd);
            return sbx_err_set(err, SBX_EPERM,
                               "the state directory %s is writable by others (mode %04o): sbx "
                               "keeps its state private; chmod go-w it or pass --state",
                               buf, (unsigned)(st.st_mode & 07777));
        }
        *end = saved;
        p = next;
    }
    close(fd);
    return 0;
}

int sbx_fs_make_private(const char *file, struct sbx_error *err)
{
    if (chmod(file, 0600) != 0)
        return sbx_err_sys(err, SBX_EIO, errno, "cannot restrict permissions of %s", file);
    return 0;
}

int sbx_fs_rmdir(const char *dir, struct sbx_error *err)
{
    if (rmdir(dir) != 0)
        return sbx_err_sys(err, SBX_EIO, errno, "cannot remove directory %s", dir);
    return 0;
}

bool sbx_fs_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

bool sbx_fs_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int sbx_fs_dirname(const char *path, char *out, size_t len, struct sbx_error *err)
{
    const char *slash = strrchr(path, '/');
    size_t n;
    if (!slash) {
        n = 1;
        path = ".";
    } else if (slash == path) {
        n = 1;
    } else {
        n = (size_t)(slash - path);
    }
    if (n >= len)
        return sbx_err_set(err, SBX_EINVAL, "path too long: %s", path);
    memcpy(out, path, n);
    out[n] = '\0';
    return 0;
}

int sbx_default_state_dir(bool machine, char *out, size_t len, struct sbx_error *err)
{
    int n;
    if (machine) {
        n = snprintf(out, len, "/var/lib/sbx");
    } else {
        const char *xdg = getenv("XDG_STATE_HOME");
        if (xdg && xdg[0] == '/') {
            n = snprintf(out, len, "%s/sbx", xdg);
        } else {
            /* The password database, not $HOME, names the home of the real
             * user: a sandboxed caller could point $HOME anywhere. */
            struct passwd *pw = getpwuid(getuid());
            const char *home = pw && pw->pw_dir && pw->pw_dir[0] == '/' ? pw->pw_dir : NULL;
            if (!home)
                return sbx_err_set(err, SBX_ENOENT,
                                   "cannot find the home directory of uid %u; pass --state PATH",
                                   (unsigned)getuid());
            n = snprintf(out, len, "%s/.local/state/sbx", strcmp(home, "/") ? home : "");
        }
    }
    if (n < 0 || (size_t)n >= len)
        return sbx_err_set(err, SBX_EINVAL, "state directory path too long");
    return 0;
}

int sbx_user_state_dir(const char *user, char *out, size_t len, struct sbx_error *err)
{
    struct passwd *pw = getpwnam(user);
    if (!pw || !pw->pw_dir || pw->pw_dir[0] != '/')
        return sbx_err_set(err, SBX_ENOENT, "no home directory for user %s", user);
    int n = snprintf(out, len, "%s/.local/state/sbx", strcmp(pw->pw_dir, "/") ? pw->pw_dir : "");
    if (n < 0 || (size_t)n >= len)
        return sbx_err_set(err, SBX_EINVAL, "state directory path too long");
    return 0;
}

long sbx_proc_self_id(void)
{
    return (long)getpid();
}

_Noreturn void sbx_proc_crash(void)
{
    raise(SIGKILL);
    _exit(137);
}

int sbx_user_current(char *id, size_t id_len, char *name, size_t name_len, struct sbx_error *err)
{
    uid_t uid = getuid();
    snprintf(id, id_len, "%u", (unsigned)uid);
    struct passwd *pw = getpwuid(uid);
    if (!pw)
        return sbx_err_set(err, SBX_ENOENT, "uid %u has no entry in the password database",
                           (unsigned)uid);
    snprintf(name, name_len, "%s", pw->pw_name);
    return 0;
}

void sbx_time_iso8601(char *out, size_t len)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void sbx_sleep_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}
