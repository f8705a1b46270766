/* SPDX-License-Identifier: MIT */
/* The launcher's mount view of one run (launch.h): each workspace bound
 * at its own path from the descriptor checked, the files tools run kept
 * read-only (plants.h, placeholders), the home skeleton, the credential
 * paths covered, the private home and the account's cache bound in it. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "modes/common/secret_paths.h"
#include "modes/confine/linux/plants_cache.h"
#include "modes/confine/linux/standin.h"
#include "modes/launcher/launch.h"
#include "modes/launcher/launch_cache.h"
#include "util/cleanup.h"
#include "util/fds.h"

void launcher_note(const char *note, void *ctx)
{
    (void)ctx;
    dprintf(2, "sbx-launch: warning: %s\n", note);
}

/* Bind what fd is open on onto itself with the attributes set (recursive,
 * from the fd alone): the clone's root, now attached, in an fd. */
static int bind_fd_onto(const struct launch *l, int fd, uint64_t attrs, int onto,
                        const char *name)
{
    int tree = open_tree(fd, "", OPEN_TREE_CLONE | AT_RECURSIVE | AT_EMPTY_PATH |
                                     OPEN_TREE_CLOEXEC);
    if (tree < 0)
        die(l, 125, SBX_EIO, "open_tree (clone) %s: %s", name, strerror(errno));
    struct mount_attr a = {.attr_set = attrs};
    if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof a) != 0)
        die(l, 125, SBX_EIO, "mount_setattr %s: %s", name, strerror(errno));
    if (move_mount(tree, "", onto, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0)
        die(l, 125, SBX_EIO, "bind %s%s: %s", name, onto == fd ? " onto itself" : "",
            strerror(errno));
    return tree;
}

static int bind_fd(const struct launch *l, int fd, uint64_t attrs, const char *name)
{
    return bind_fd_onto(l, fd, attrs, fd, name);
}

/* The workspace that holds ws[i] (given twice, or beneath another), or -1:
 * the outermost, the one whose bind is seen. */
static int outer_of(const struct launch *l, size_t i)
{
    int best = -1;
    for (size_t j = 0; j < l->n_ws; j++) {
        size_t len = strlen(l->ws[j]);
        bool holds = j != i && strncmp(l->ws[i], l->ws[j], len) == 0 &&
                     (l->ws[i][len] == '/' || (l->ws[i][len] == '\0' && j < i));
        if (holds && (best < 0 || len < strlen(l->ws[best])))
            best = (int)j;
    }
    return best;
}

/* The caller's records of the last searches (plants_cache.h), in its own
 * state directory, by the password database's home: opened as the caller,
 * without a symlink, only when the caller alone can write it and it lies
 * in no workspace.  -1: search in full. */
static int open_plants_records(const struct launch *l)
{
    char buf[16384], path[PATH_MAX];
    struct passwd pw, *res = NULL;
    if (getpwuid_r(l->caller, &pw, buf, sizeof buf, &res) != 0 || !res ||
        sbx_plants_records_path(pw.pw_dir, path, sizeof path) != 0)
        return -1;
    as_caller(l, true);
    int fd = sbx_plants_records_open(path, l->caller, l->ws_st, l->n_ws);
    as_caller(l, false);
    return fd;
}

/* The files tools run (plants.h) in each workspace, found as the caller
 * through the workspace's new mount, bound read-only from the descriptors
 * the search opened.  The search replays the caller's record of the last
 * one when nothing changed (plants_cache.h: the record is read and written
 * as the caller, parsed as untrusted input).  What the search could not
 * cover is said on stderr before the command starts. */
static void protect_plants(struct launch *l)
{
    size_t room = SBX_PLANTS_MAX_FOUND;
    sbx_autofd int records = open_plants_records(l);
    for (size_t i = 0; i < l->n_ws; i++) {
        if (outer_of(l, i) >= 0)
            continue; /* searched with the workspace that holds it */
        if (room == 0) {
            dprintf(2, "sbx-launch: warning: %s: not searched for files tools run (the other "
                       "workspaces took all %d read-only places)\n", l->ws[i],
                    SBX_PLANTS_MAX_FOUND);
            continue;
        }
        struct sbx_plants_opts o = {.root = l->ws[i], .allow_git = l->allow_git,
                                    .allow_names = l->allow_names,
                                    .n_allow_names = l->n_allow_names, .max_found = room};
        struct sbx_plants found;
        struct sbx_error err = {0};
        bool cached;
        as_caller(l, true);
        int rc = sbx_plants_search_at(l->ws_fd[i], records, l->caller, &o, &found, &cached, &err);
        as_caller(l, false);
        if (rc < 0)
            die(l, 125, err.code, "workspace %s: the search for files tools run: %s", l->ws[i],
                err.msg);
        sbx_plants_notes(&found, l->ws[i], launcher_note, NULL);
        for (size_t k = 0; k < found.n; k++) {
            char name[PATH_MAX + 8];
            snprintf(name, sizeof name, "%s/%s", l->ws[i], found.v[k].rel);
            /* the mount stays; its fd is not needed */
            close(bind_fd(l, found.v[k].fd, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
                                                MOUNT_ATTR_NODEV, name));
            char *copy = strdup(name);
            if (copy && l->n_kept < SBX_PLANTS_MAX_FOUND)
                l->kept[l->n_kept++] = (struct kept){copy, found.v[k].dev, found.v[k].ino};
            else
                free(copy);
        }
        room -= found.n;
        sbx_plants_free(&found);
    }
}

/* Each workspace bound onto itself nosuid and nodev (a device node or a
 * setuid file lying in it is no more than a file for the account), then
 * its .git and the --protect paths read-only on top; all from the fds
 * checked, never from a name looked up again. */
void mount_workspaces(struct launch *l)
{
    for (size_t i = 0; i < l->n_ws; i++) {
        if (outer_of(l, i) >= 0)
            continue; /* inside another's bind, which is recursive */
        /* At its own path on the home skeleton, or where it is. */
        struct sbx_error err = {0};
        int onto = sbx_skel_reach(&l->skel, l->ws[i], false, &err);
        if (onto < 0 && onto != -SBX_ENOENT)
            die(l, 125, err.code, "workspace %s: %s", l->ws[i], err.msg);
        int top = bind_fd_onto(l, l->ws_fd[i], MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
                               onto >= 0 ? onto : l->ws_fd[i], l->ws[i]);
        if (onto >= 0)
            close(onto);
        /* Same directory (same inode: the grant, the owner and the
         * Landlock rule are the same), reached through the new mount. */
        close(l->ws_fd[i]);
        l->ws_fd[i] = top;
    }
    /* A workspace inside another one: reached again from the outer one's
     * new mount, without symlinks, and still the directory checked (its
     * .git's bind must go where it is seen). */
    for (size_t i = 0; i < l->n_ws; i++) {
        int o = outer_of(l, i);
        if (o < 0)
            continue;
        const char *rel = l->ws[i] + strlen(l->ws[o]);
        char buf[PATH_MAX];
        snprintf(buf, sizeof buf, "%s", rel);
        int fd = fcntl(l->ws_fd[o], F_DUPFD_CLOEXEC, 3);
        char *save = NULL;
        for (char *c = strtok_r(buf, "/", &save); fd >= 0 && c; c = strtok_r(NULL, "/", &save)) {
            int next = openat(fd, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            close(fd);
            fd = next;
        }
        struct stat st;
        if (fd < 0 || fstat(fd, &st) != 0 || st.st_dev != l->ws_st[i].st_dev ||
            st.st_ino != l->ws_st[i].st_ino)
            die(l, 125, SBX_EPERM, "workspace %s changed while the sandbox was being built",
                l->ws[i]);
        close(l->ws_fd[i]);
        l->ws_fd[i] = fd;
    }
    protect_plants(l);
    /* --protect: read-only too, and only inside a workspace; opened as the
     * caller, without symlinks, through the workspaces' new mounts. */
    for (size_t i = 0; i < l->n_protect; i++) {
        struct sbx_error err = {0};
        as_caller(l, true);
        sbx_autofd int fd = sbx_open_nofollow(l->protect[i], O_PATH, &err);
        as_caller(l, false);
        struct stat st;
        if (fd < 0)
            die(l, 125, err.code, "--protect %s: %s", l->protect[i], err.msg);
        if (fstat(fd, &st) != 0 || S_ISLNK(st.st_mode))
            die(l, 125, SBX_EINVAL, "--protect %s: a symlink; give the real path",
                l->protect[i]);
        /* A canonical path walked without symlinks or "..": what it
         * reached lies beneath each directory it went through. */
        bool inside = false;
        for (size_t w = 0; w < l->n_ws && !inside; w++) {
            size_t len = strlen(l->ws[w]);
            inside = strncmp(l->protect[i], l->ws[w], len) == 0 && l->protect[i][len] == '/';
        }
        if (!inside)
            die(l, 125, SBX_EINVAL, "--protect %s is not inside a workspace", l->protect[i]);
        close(bind_fd(l, fd, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
                      l->protect[i]));
    }
}

/* The credential paths of the caller's home (modes/common/secret_paths.h)
 * read as empty for the account, as in the unelevated mode: each found as
 * the caller (a symlink followed, as the caller may) and covered in the
 * run's mount namespace by an empty read-only stand-in (and so each --hide
 * path, the caller's configuration's), unless
 * --allow-read names it or a directory holding it.  On the home skeleton
 * (build_skeleton) the home is out of the account's reach anyway; this
 * covers what a home others can search (outside /home) would show, and the
 * --hide paths, inside workspaces too. */
void hide_credentials(struct launch *l)
{
    char buf[16384];
    struct passwd pw, *res = NULL;
    /* no home: nothing of it to hide, the --hide paths still */
    bool home = getpwuid_r(l->caller, &pw, buf, sizeof buf, &res) == 0 && res && pw.pw_dir &&
                pw.pw_dir[0] == '/';
    sbx_autofd int files = -1;
    for (size_t i = 0; i < sbx_n_secret_paths + l->n_hide; i++) {
        if (i < sbx_n_secret_paths && !home)
            continue;
        char path[PATH_MAX];
        if (snprintf(path, sizeof path, "%s%s%s", i < sbx_n_secret_paths ? pw.pw_dir : "",
                     i < sbx_n_secret_paths ? "/" : "",
                     i < sbx_n_secret_paths ? sbx_secret_paths[i]
                                            : l->hide[i - sbx_n_secret_paths]) >=
            (int)sizeof path)
            continue;
        bool shown = false;
        for (size_t a = 0; a < l->n_allow_read && !shown; a++) {
            shown = path_in(path, l->allow_read[a]);
            if (!shown && path_in(l->allow_read[a], path))
                die(l, 125, SBX_EINVAL, "--allow-read %s lies inside %s, which sbx hides: pass "
                    "--allow-read %s to show it whole", l->allow_read[a], path, path);
        }
        if (shown)
            continue;
        as_caller(l, true);
        int fd = open(path, O_PATH | O_CLOEXEC);
        as_caller(l, false);
        if (fd < 0)
            continue; /* absent, or not the caller's to look at either */
        struct sbx_error err = {0};
        int rc = sbx_standin_cover(fd, path, &files, &err);
        close(fd);
        if (rc < 0)
            die(l, 125, err.code, "hide %s from the sandbox: %s", path, err.msg);
    }
}

/* The home skeleton (skeleton.h), before the workspaces are bound on it:
 * where it goes and what --allow-read shows on it are looked up as the
 * caller, before it hides them; then, as root, each --allow-read path it
 * covers bound on it read-only, the shortest first (so a workspace or a
 * path inside one is mounted on top of it, later), and the way to the
 * account's home made (private_home mounts there).  Paths inside a
 * workspace are reached through the workspace's own bind. */
void build_skeleton(struct launch *l)
{
    struct sbx_error err = {0};
    int shown[MAX_WS];
    as_caller(l, true);
    int rc = sbx_skel_plan(&l->skel, l->ws, l->n_ws, &err);
    if (rc == 0)
        rc = sbx_skel_open(&l->skel, &err);
    for (size_t k = 0; k < l->n_allow_read; k++) {
        bool in_ws = false;
        for (size_t w = 0; w < l->n_ws && !in_ws; w++)
            in_ws = path_in(l->allow_read[k], l->ws[w]);
        /* absent, or not the caller's to look at: nothing to show */
        shown[k] = rc || in_ws || sbx_skel_of(&l->skel, l->allow_read[k]) < 0
                       ? -1
                       : open(l->allow_read[k], O_PATH | O_CLOEXEC);
    }
    as_caller(l, false);
    if (rc != 0 || sbx_skel_mount(&l->skel, &err) != 0)
        die(l, 125, err.code, "%s", err.msg);
    for (size_t round = 0; round < l->n_allow_read; round++) {
        size_t k = l->n_allow_read;
        for (size_t j = 0; j < l->n_allow_read; j++)
            if (shown[j] >= 0 &&
                (k == l->n_allow_read || strlen(l->allow_read[j]) < strlen(l->allow_read[k])))
                k = j;
        if (k == l->n_allow_read)
            break;
        struct stat st;
        if (fstat(shown[k], &st) != 0)
            die(l, 125, SBX_EIO, "--allow-read %s: %s", l->allow_read[k], strerror(errno));
        sbx_autofd int onto = sbx_skel_reach(&l->skel, l->allow_read[k], !S_ISDIR(st.st_mode),
                                             &err);
        if (onto < 0)
            die(l, 125, err.code, "--allow-read %s: %s", l->allow_read[k], err.msg);
        close(bind_fd_onto(l, shown[k], MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
                           onto, l->allow_read[k]));
        close(shown[k]);
        shown[k] = -1;
    }
    int home = sbx_skel_reach(&l->skel, l->target->home, false, &err);
    if (home < 0 && home != -SBX_ENOENT)
        die(l, 125, err.code, "the account's home %s: %s", l->target->home, err.msg);
    if (home >= 0)
        close(home);
}

/* git's safe.directory=* in the private home's ~/.gitconfig as well as in
 * the command scope sbx sets (modes/elevated/run.c): git drops the command
 * scope (GIT_CONFIG_COUNT) from the upload-pack it starts for a local
 * clone, which then refuses the caller's repository ("dubious ownership")
 * though the clone itself was allowed.  Written by root into the tmpfs just
 * mounted in this run's own mount namespace (no one else has seen it),
 * through the fd private_home opened, then given to the account: the
 * command may change it, for itself. */
static void home_gitconfig(struct launch *l)
{
    static const char text[] = "[safe]\n\tdirectory = *\n";
    const struct sbx_launch_account *a = l->target;
    int fd = openat(l->home_fd, ".gitconfig",
                    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    bool ok = fd >= 0 && write(fd, text, sizeof text - 1) == (ssize_t)(sizeof text - 1) &&
              fchown(fd, a->uid, a->gid) == 0;
    int saved = errno;
    if (fd >= 0)
        close(fd);
    if (!ok)
        die(l, 125, SBX_EIO, "%s/.gitconfig in the private home: %s", a->home,
            strerror(saved));
}

/* A home (and TMPDIR inside it) of this run alone: a tmpfs over the
 * account's home in the run's mount namespace.  The accounts are shared by
 * every member of the users' group, so a home that persisted would let one
 * caller's sandbox plant files (~/.gitconfig, ~/.bashrc) that another
 * caller's later sandbox runs; and the files vanish with the namespace, as
 * the unelevated mode's private TMPDIR does. */
void private_home(struct launch *l)
{
    const struct sbx_launch_account *a = l->target;
    char opts[160], tmp[PATH_MAX + 8];
    struct sbx_error err = {0};
    /* Bounded as the unelevated mode's TMPDIR is: its pages are memory. */
    unsigned long long inodes = l->tmp_bytes / 4096 > 1024 ? l->tmp_bytes / 4096 : 1024;
    snprintf(opts, sizeof opts, "mode=0700,uid=%u,gid=%u,size=%llu,nr_inodes=%llu",
             (unsigned)a->uid, (unsigned)a->gid, l->tmp_bytes, inodes);
    if (mount("tmpfs", a->home, "tmpfs", MS_NOSUID | MS_NODEV, opts) != 0)
        die(l, 125, SBX_EIO, "a private home at %s: %s", a->home, strerror(errno));
    if (snprintf(tmp, sizeof tmp, "%s/tmp", a->home) >= (int)sizeof tmp ||
        mkdir(tmp, 0700) != 0 || chown(tmp, a->uid, a->gid) != 0)
        die(l, 125, SBX_EIO, "a private TMPDIR in %s: %s", a->home, strerror(errno));
    l->home_fd = open(a->home, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (l->home_fd < 0)
        die(l, 125, SBX_EIO, "the private home %s: %s", a->home, strerror(errno));
    home_gitconfig(l);
    if (l->cache_disk >= 0 &&
        sbx_launch_cache_mount(a, l->home_fd, l->cache_disk, &l->cache_fd, &err) != 0)
        die(l, 125, err.code, "%s", err.msg);
    sbx_closep(&l->cache_disk);
}

/* The account's cache on disk (launch_cache.h), opened while nothing of
 * the run's covers it yet: the home skeleton may cover the directory the
 * accounts' homes lie in, the private home covers the home itself. */
void open_cache(struct launch *l)
{
    struct sbx_error err = {0};
    if (!l->no_cache && sbx_launch_cache_open(l->target, &l->cache_disk, &err) != 0)
        die(l, 125, err.code, "%s (sbx run --no-cache runs without it)", err.msg);
}
