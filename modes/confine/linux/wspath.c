/* SPDX-License-Identifier: MIT */
/* Workspace resolution and the list of directories that are never a
 * workspace. */
#include "modes/confine/linux/wspath.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"

bool sbx_path_within(const char *path, const char *root)
{
    size_t n = strlen(root);
    if (n == 1 && root[0] == '/')
        return path[0] == '/';
    return strncmp(path, root, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* System trees: the directory and everything beneath it.  Writing there
 * means changing what the system (or every later shell) executes or
 * trusts, so no subdirectory is acceptable either.  /var/lib (package
 * databases, maintainer scripts, every service's state), /var/spool
 * (crontabs, mail queues) and /var/cache (what package managers install
 * from) are the system's state as much as /etc is. */
static const char *const system_trees[] = {
    "/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32",
    "/proc", "/run", "/sbin", "/sys", "/usr", "/var/cache", "/var/lib", "/var/spool",
};

/* Roots that hold many unrelated things (other users' homes, services'
 * data, shared temporary files): refused themselves, while a project
 * directory beneath them (/srv/app, /tmp/build, /var/www/site) is fine.
 * /root is root's home: what lies in it is judged by the home rules below
 * for a root caller, and no one else can write it. */
static const char *const shared_roots[] = {
    "/", "/home", "/media", "/mnt", "/opt", "/root", "/srv", "/tmp", "/var", "/var/tmp",
    "/var/log",
};

/* Beneath the home: the keys that let anyone log in, and the places from
 * which the user's own tools load code or configuration that runs code
 * (~/.config: git's core.fsmonitor and hooksPath, editors, autostart;
 * ~/.local: ~/.local/bin is on PATH, ~/.local/share holds desktop entries
 * and plugins).  The dotfiles beside them (~/.bashrc, ~/.profile) are the
 * home itself, refused on its own. */
static const char *const home_secret_dirs[] = {"/.ssh", "/.gnupg", "/.config", "/.local"};

static const char *home_danger(const char *dir, const char *home)
{
    if (!home || home[0] != '/')
        return NULL;
    char canon[PATH_MAX];
    /* The home may itself be a symlink (/home -> /usr/home). */
    const char *h = realpath(home, canon) ? canon : home;
    if (sbx_path_within(h, dir))
        return "is the user's home directory or contains it";
    for (size_t i = 0; i < sizeof home_secret_dirs / sizeof home_secret_dirs[0]; i++) {
        /* A home of "/" must give "/.ssh", not "//.ssh". */
        char secret[PATH_MAX], real[PATH_MAX];
        if ((size_t)snprintf(secret, sizeof secret, "%s%s", h[1] ? h : "", home_secret_dirs[i]) >=
            sizeof secret)
            continue;
        /* ~/.ssh may be a symlink (dotfile managers): the directory it
         * points to holds the keys just the same.  h is canonical, so only
         * the last component can be a link: one readlink tells (a realpath
         * per name read every component's link, on every run). */
        char link[8];
        bool is_link = h == canon && readlink(secret, link, sizeof link) >= 0;
        if (sbx_path_within(dir, secret) ||
            ((is_link || h != canon) && realpath(secret, real) && sbx_path_within(dir, real)))
            return "holds the user's keys or the configuration their tools run "
                   "(~/.ssh, ~/.gnupg, ~/.config, ~/.local)";
    }
    return NULL;
}

static bool system_dir(const char *dir)
{
    for (size_t i = 0; i < sizeof system_trees / sizeof system_trees[0]; i++)
        if (sbx_path_within(dir, system_trees[i]))
            return true;
    for (size_t i = 0; i < sizeof shared_roots / sizeof shared_roots[0]; i++)
        if (strcmp(dir, shared_roots[i]) == 0)
            return true;
    return false;
}

const char *sbx_ws_danger(const char *dir, const char *home, const char *env_home)
{
    for (size_t i = 0; i < sizeof system_trees / sizeof system_trees[0]; i++)
        if (sbx_path_within(dir, system_trees[i]))
            return "is a system directory";
    for (size_t i = 0; i < sizeof shared_roots / sizeof shared_roots[0]; i++)
        if (strcmp(dir, shared_roots[i]) == 0)
            return "is a shared system root";
    const char *why = home_danger(dir, home);
    if (!why && (!home || !env_home || strcmp(home, env_home) != 0))
        why = home_danger(dir, env_home);
    return why;
}

/* --- planted symlinks ------------------------------------------------------
 *
 * A run can create `ws/cfg -> ~/.config` in its workspace; a later
 * `sbx run --workspace ws/cfg`, typed by the user or an agent that listed
 * the workspace, would make the target writable.  sbx can't know which
 * directories were ever a workspace (the unelevated mode keeps no record,
 * runs of other users and other tools' sandboxes neither), so the rule is
 * about where a symlink *could* have been made by a sandboxed command:
 *
 *   a symlink met while resolving a workspace is followed only when the
 *   directory holding it can never be a writable workspace: a system
 *   directory or shared root (sbx refuses those for everyone), the
 *   caller's home itself or one of its ancestors (refused for the caller;
 *   and written by nobody else: not group- or world-writable), or, for a
 *   caller other than root, a directory that only root can write (a
 *   root-owned /opt/tool with its `current -> v2`: no sandbox of the
 *   caller's could have written it, and root is trusted by the caller
 *   anyway).  Every other symlink on the way is refused, whatever it
 *   points to: the caller passes the real path instead, having looked at
 *   it.
 *
 * This refuses some symlinks no sandbox made (the user's own
 * ~/src/current -> v2), which is the price of not having to know the
 * history of every directory; it never follows one a sandbox could have
 * made.  The checks run on the directory the walk holds open (fstat of
 * its fd), so they can't be raced either. */
struct homes {
    const char *pw;  /* canonical, from the password database (or NULL) */
    const char *env; /* canonical $HOME (or NULL) */
    /* Resolved on first need (a symlink met on the way): most walks meet
     * none, and each realpath is a readlink per component. */
    bool resolved;
    const char *raw_pw; /* the password database's, as written ("" if none) */
    char pw_canon[PATH_MAX], env_canon[PATH_MAX];
};

static void homes_resolve(struct homes *h)
{
    if (h->resolved)
        return;
    h->resolved = true;
    if (h->raw_pw[0] && realpath(h->raw_pw, h->pw_canon))
        h->pw = h->pw_canon;
    const char *env = getenv("HOME");
    if (env && env[0] == '/' && realpath(env, h->env_canon))
        h->env = h->env_canon;
}

static const char *symlink_untrusted(int dirfd, const char *dir, uid_t uid, struct homes *h)
{
    if (system_dir(dir))
        return NULL;
    homes_resolve(h);
    struct stat st;
    if (fstat(dirfd, &st) != 0)
        return "could not be examined";
    bool others_write = (st.st_mode & (S_IWGRP | S_IWOTH)) != 0;
    if ((h->pw && sbx_path_within(h->pw, dir)) || (h->env && sbx_path_within(h->env, dir))) {
        if (!others_write)
            return NULL;
        return "is the home or one of its ancestors, but others can write it (so a "
               "sandbox of theirs could have made the symlink)";
    }
    if (uid != 0 && st.st_uid == 0 && !others_write)
        return NULL;
    return "could have been a writable workspace (a sandboxed command could have made the "
           "symlink)";
}

/* --- the walk -------------------------------------------------------------- */

#define SBX_MAX_LINKS 40

/* The path the kernel gives fd. */
static int fd_path(int fd, char *out, size_t len)
{
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(proc, out, len - 1);
    if (n < 0)
        return -1;
    if ((size_t)n >= len - 1) {
        errno = ENAMETOOLONG;
        return -1;
    }
    out[n] = '\0';
    return 0;
}

/* Canonical path p without its last component. */
static void path_pop(char *p)
{
    char *slash = strrchr(p, '/');
    if (!slash || slash == p)
        p[1] = '\0', p[0] = '/';
    else
        *slash = '\0';
}

static int path_push(char *p, size_t len, const char *comp)
{
    size_t n = strlen(p), c = strlen(comp);
    size_t need = n + (n > 1 ? 1 : 0) + c + 1;
    if (need > len)
        return -1;
    if (n > 1)
        p[n++] = '/';
    memcpy(p + n, comp, c + 1);
    return 0;
}

struct walk {
    const char *arg;       /* as typed, for messages */
    unsigned flags;
    uid_t uid;
    struct homes homes;
    char canon[PATH_MAX];  /* the path of cur, built as the walk goes */
    /* The first symlink met in a directory a sandbox could have written
     * (reported after the walk: the refusal list's reason comes first). */
    char planted[PATH_MAX + NAME_MAX + 2];
    const char *planted_why;
};

/* Open "/" (absolute) or "." into *cur, with canon set to match. */
static int walk_start(struct walk *w, bool absolute, int *cur, struct sbx_error *err)
{
    sbx_closep(cur);
    if (absolute) {
        *cur = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        snprintf(w->canon, sizeof w->canon, "/");
    } else {
        *cur = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (*cur >= 0 && fd_path(*cur, w->canon, sizeof w->canon) < 0) {
            int e = errno;
            sbx_closep(cur);
            return sbx_err_sys(err, SBX_EINVAL, e, "%s: the current directory has no name",
                               w->arg);
        }
    }
    if (*cur < 0)
        return sbx_err_sys(err, SBX_EINVAL, errno, "%s: open %s", w->arg,
                           absolute ? "/" : "the current directory");
    return 0;
}

/* The walk itself: an O_PATH fd of what arg names, or a negative code. */
static int walk(struct walk *w, struct sbx_error *err)
{
    size_t alen = strlen(w->arg);
    if (alen == 0)
        return sbx_err_set(err, SBX_EINVAL, "empty path");
    if (alen >= PATH_MAX)
        return sbx_err_set(err, SBX_EINVAL, "%.64s...: path too long", w->arg);
    /* What is left to resolve; a symlink's target is put in front of it. */
    sbx_autofree char *rest = malloc(2 * PATH_MAX);
    sbx_autofree char *tmp = malloc(2 * PATH_MAX);
    if (!rest || !tmp)
        return sbx_err_set(err, SBX_EINVAL, "%s: out of memory", w->arg);
    memcpy(rest, w->arg, alen + 1);
    sbx_autofd int cur = -1;
    int rc = walk_start(w, rest[0] == '/', &cur, err);
    if (rc < 0)
        return rc;
    int links = 0;
    size_t pos = 0;
    for (;;) {
        while (rest[pos] == '/')
            pos++;
        if (!rest[pos])
            break;
        size_t end = pos;
        while (rest[end] && rest[end] != '/')
            end++;
        char comp[NAME_MAX + 1];
        if (end - pos > NAME_MAX)
            return sbx_err_set(err, SBX_EINVAL, "%s: a component is longer than %d bytes",
                               w->arg, NAME_MAX);
        memcpy(comp, rest + pos, end - pos);
        comp[end - pos] = '\0';
        pos = end;
        if (strcmp(comp, ".") == 0)
            continue;
        if (strcmp(comp, "..") == 0) {
            /* Physical, as realpath: the parent of what cur really is. */
            int up = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
            if (up < 0)
                return sbx_err_sys(err, SBX_EINVAL, errno, "%s: open %s/..", w->arg, w->canon);
            sbx_closep(&cur);
            cur = up;
            path_pop(w->canon);
            continue;
        }
        sbx_autofd int next = openat(cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0) {
            int e = errno;
            return sbx_err_sys(err, e == ENOENT ? SBX_ENOENT : SBX_EINVAL, e, "%s: open %s%s%s",
                               w->arg, w->canon, w->canon[1] ? "/" : "", comp);
        }
        struct stat st;
        if (fstat(next, &st) != 0)
            return sbx_err_sys(err, SBX_EINVAL, errno, "%s: stat %s/%s", w->arg, w->canon, comp);
        if (S_ISLNK(st.st_mode)) {
            if (++links > SBX_MAX_LINKS)
                return sbx_err_set(err, SBX_EINVAL, "%s: more than %d symlinks on the way",
                                   w->arg, SBX_MAX_LINKS);
            if ((w->flags & SBX_PIN_WORKSPACE) && !w->planted_why) {
                const char *why = symlink_untrusted(cur, w->canon, w->uid, &w->homes);
                if (why) {
                    w->planted_why = why;
                    snprintf(w->planted, sizeof w->planted, "%s%s%s", w->canon,
                             w->canon[1] ? "/" : "", comp);
                }
            }
            char target[PATH_MAX];
            /* An O_PATH fd of the link itself: its target, not a path
             * looked up again. */
            ssize_t n = readlinkat(next, "", target, sizeof target - 1);
            if (n <= 0)
                return sbx_err_sys(err, SBX_EINVAL, n < 0 ? errno : ENOENT,
                                   "%s: read the symlink %s/%s", w->arg, w->canon, comp);
            target[n] = '\0';
            if ((size_t)snprintf(tmp, 2 * PATH_MAX, "%s/%s", target, rest + pos) >=
                2 * PATH_MAX)
                return sbx_err_set(err, SBX_EINVAL, "%s: path too long after symlinks",
                                   w->arg);
            memcpy(rest, tmp, strlen(tmp) + 1);
            pos = 0;
            if (target[0] == '/' && (rc = walk_start(w, true, &cur, err)) < 0)
                return rc;
            continue;
        }
        if (path_push(w->canon, sizeof w->canon, comp) < 0)
            return sbx_err_set(err, SBX_EINVAL, "%s: path too long", w->arg);
        sbx_closep(&cur);
        cur = next;
        next = -1;
    }
    int fd = cur;
    cur = -1;
    return fd;
}

/* The home of uid from the password database of the real uid ($HOME
 * alone is whatever the environment says), as written, into raw_pw. */
static void home_of(uid_t uid, char *raw_pw, size_t raw_len)
{
    raw_pw[0] = '\0';
    struct passwd pw, *res = NULL;
    long bufsz = sysconf(_SC_GETPW_R_SIZE_MAX);
    if (bufsz < 16384)
        bufsz = 16384;
    sbx_autofree char *buf = malloc((size_t)bufsz);
    if (buf && getpwuid_r(uid, &pw, buf, (size_t)bufsz, &res) == 0 && res && res->pw_dir &&
        res->pw_dir[0] == '/')
        snprintf(raw_pw, raw_len, "%s", res->pw_dir);
}

void sbx_pin_close(struct sbx_pin *pin)
{
    if (pin)
        sbx_closep(&pin->fd);
}

int sbx_path_pin(const char *arg, unsigned flags, uid_t uid, struct sbx_pin *pin,
                 struct sbx_error *err)
{
    pin->fd = -1;
    pin->path[0] = '\0';
    if (!arg)
        return sbx_err_set(err, SBX_EINVAL, "empty path");
    char raw_pw[PATH_MAX] = "";
    /* Only a workspace's checks look at the homes: the other pins of a
     * run (a dozen hidden credential paths) skip reading the password
     * database. */
    if (flags & SBX_PIN_WORKSPACE)
        home_of(uid, raw_pw, sizeof raw_pw);
    sbx_autofree struct walk *w = calloc(1, sizeof *w);
    if (!w)
        return sbx_err_set(err, SBX_EINVAL, "%s: out of memory", arg);
    w->arg = arg;
    w->flags = flags;
    w->uid = uid;
    w->homes.raw_pw = raw_pw;
    sbx_autofd int fd = walk(w, err);
    if (fd < 0)
        return fd;
    struct stat st;
    if (fstat(fd, &st) != 0)
        return sbx_err_sys(err, SBX_EINVAL, errno, "%s: stat %s", arg, w->canon);
    if ((flags & (SBX_PIN_WORKSPACE | SBX_PIN_DIR)) && !S_ISDIR(st.st_mode))
        return sbx_err_set(err, SBX_EINVAL, "%s: %s is not a directory", arg, w->canon);
    /* The name the kernel has for the object the walk holds: what the
     * refusal list and every message use.  It differs from the walk's own
     * account only when a directory on the way was renamed meanwhile. */
    if (fd_path(fd, pin->path, sizeof pin->path) < 0)
        return sbx_err_sys(err, SBX_EINVAL, errno, "%s: the name of %s (is /proc mounted?)",
                           arg, w->canon);
    if (strcmp(pin->path, w->canon) != 0)
        return sbx_err_set(err, SBX_EINVAL,
                           "%s: %s was renamed while sbx resolved it (now %s): try again", arg,
                           w->canon, pin->path);
    if (flags & SBX_PIN_WORKSPACE) {
        const char *why = sbx_ws_danger(pin->path, raw_pw[0] ? raw_pw : NULL, getenv("HOME"));
        if (why) {
            if (strcmp(pin->path, arg) == 0)
                return sbx_err_set(err, SBX_EINVAL,
                                   "workspace %s %s: refusing to make it writable; pass a "
                                   "project directory instead", arg, why);
            return sbx_err_set(err, SBX_EINVAL,
                               "workspace %s resolves to %s, which %s: refusing to make it "
                               "writable; pass a project directory instead", arg, pin->path,
                               why);
        }
        if (w->planted_why)
            return sbx_err_set(err, SBX_EINVAL,
                               "workspace %s passes through the symlink %s, whose directory %s: "
                               "refusing to follow it to a workspace; if you trust where it "
                               "leads, pass the real path (%s)", arg, w->planted,
                               w->planted_why, pin->path);
    }
    pin->dev = st.st_dev;
    pin->ino = st.st_ino;
    pin->fd = fd;
    fd = -1;
    return 0;
}

#ifndef RESOLVE_NO_MAGICLINKS
#define RESOLVE_NO_MAGICLINKS 0x02
#endif
#ifndef RESOLVE_NO_SYMLINKS
#define RESOLVE_NO_SYMLINKS 0x04
#endif

int sbx_pin_reopen(const char *path, dev_t dev, ino_t ino, struct sbx_error *err)
{
    struct open_how how = {.flags = O_PATH | O_CLOEXEC,
                           .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
    sbx_autofd int fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
    if (fd < 0)
        return sbx_err_sys(err, SBX_EIO, errno,
                           "%s changed while the sandbox was being built (a component is a "
                           "symlink now, or it is gone)", path);
    struct stat st;
    if (fstat(fd, &st) != 0)
        return sbx_err_sys(err, SBX_EIO, errno, "stat %s", path);
    if (st.st_dev != dev || st.st_ino != ino)
        return sbx_err_set(err, SBX_EIO,
                           "%s changed while the sandbox was being built (it is another "
                           "directory now): nothing was run", path);
    int out = fd;
    fd = -1;
    return out;
}

int sbx_ws_resolve(const char *arg, uid_t uid, char *out, size_t out_len, struct sbx_error *err)
{
    if (!arg || !*arg)
        return sbx_err_set(err, SBX_EINVAL, "workspace: empty path");
    struct sbx_pin pin;
    int rc = sbx_path_pin(arg, SBX_PIN_WORKSPACE, uid, &pin, err);
    if (rc < 0) {
        /* One code for every refusal: a missing directory is bad input
         * here like any other. */
        if (err)
            err->code = SBX_EINVAL;
        if (rc == -SBX_ENOENT)
            sbx_err_wrap(err, "workspace %s: cannot be resolved (it must be an existing "
                              "directory)", arg);
        return -SBX_EINVAL;
    }
    sbx_pin_close(&pin);
    if (strlen(pin.path) >= out_len)
        return sbx_err_set(err, SBX_EINVAL, "workspace %s: resolved path too long", arg);
    memcpy(out, pin.path, strlen(pin.path) + 1);
    return 0;
}

int sbx_state_outside_workspaces(const char *state, const char *const *ws, size_t n,
                                 struct sbx_error *err)
{
    if (!state || !*state)
        return 0;
    /* The deepest existing ancestor, resolved; the rest appended as is
     * (its "." and ".." are the directory's own business: sbx makes them
     * with mkdir, which resolves them beneath that ancestor too, so they
     * are folded here the same way).  A relative path is the current
     * directory's. */
    char head[PATH_MAX], real[PATH_MAX], full[2 * PATH_MAX + 2];
    if (state[0] == '/') {
        if ((size_t)snprintf(head, sizeof head, "%s", state) >= sizeof head)
            return sbx_err_set(err, SBX_EINVAL, "state directory %s: path too long", state);
    } else {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd))
            return sbx_err_sys(err, SBX_EINVAL, errno, "state directory %s: the current "
                               "directory", state);
        if ((size_t)snprintf(head, sizeof head, "%s/%s", cwd, state) >= sizeof head)
            return sbx_err_set(err, SBX_EINVAL, "state directory %s: path too long", state);
    }
    const char *tail = "";
    char tailbuf[PATH_MAX] = "";
    while (!realpath(head, real)) {
        if (errno != ENOENT && errno != ENOTDIR)
            return sbx_err_sys(err, SBX_EINVAL, errno, "state directory %s: resolve %s", state,
                               head);
        char *slash = strrchr(head, '/');
        if (!slash)
            return sbx_err_set(err, SBX_EINVAL, "state directory %s: no existing ancestor",
                               state);
        char rest[PATH_MAX];
        snprintf(rest, sizeof rest, "%s%s%s", slash + 1, tailbuf[0] ? "/" : "", tailbuf);
        snprintf(tailbuf, sizeof tailbuf, "%s", rest);
        if (slash == head)
            head[1] = '\0';
        else
            *slash = '\0';
    }
    tail = tailbuf;
    snprintf(full, sizeof full, "%s", real);
    /* Fold the rest component by component. */
    char comps[PATH_MAX];
    snprintf(comps, sizeof comps, "%s", tail);
    char *save = NULL;
    for (char *c = strtok_r(comps, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
        if (strcmp(c, ".") == 0)
            continue;
        if (strcmp(c, "..") == 0) {
            path_pop(full);
            continue;
        }
        if (path_push(full, sizeof full, c) < 0)
            return sbx_err_set(err, SBX_EINVAL, "state directory %s: path too long", state);
    }
    for (size_t i = 0; i < n; i++) {
        if (sbx_path_within(full, ws[i]))
            return sbx_err_set(err, SBX_EINVAL,
                               "sbx's state directory %s lies inside the workspace %s: the "
                               "command could plant a ledger there; pass --state (or set "
                               "XDG_STATE_HOME) to a directory outside every workspace", full,
                               ws[i]);
        if (sbx_path_within(ws[i], full))
            return sbx_err_set(err, SBX_EINVAL,
                               "the workspace %s lies inside sbx's state directory %s: pass "
                               "another workspace, or --state elsewhere", ws[i], full);
    }
    return 0;
}
