/* SPDX-License-Identifier: MIT */
/* Id maps and the read-only mount view.
 *
 * The writable binds are cloned with open_tree(OPEN_TREE_CLONE) before the
 * whole tree is made read-only, so the clones keep their write access and
 * are attached afterwards: no remount has to clear a read-only flag.  The
 * sources and targets are the directories sbx checked: each is opened
 * again here without following any symlink and must be the same object
 * (sbx_pin_reopen), then used by fd alone, so a path component swapped for
 * a symlink, before or after, can't redirect a bind. */
#include "modes/confine/linux/userns.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "modes/confine/linux/hide.h"
#include "util/cleanup.h"

static int write_file(const char *path, const char *text, struct sbx_error *err)
{
    sbx_autofd int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "open %s", path);
    size_t len = strlen(text);
    ssize_t n = write(fd, text, len);
    if (n < 0 || (size_t)n != len)
        return sbx_err_sys(err, SBX_EIO, n < 0 ? errno : EIO, "write %s", path);
    return 0;
}

/* Our own map, each range mapped to itself ("inside inside count"): the
 * identity over every id this process can name. */
static int identity_map(const char *self_map, char *out, size_t len)
{
    FILE *f = fopen(self_map, "re");
    if (!f)
        return -1;
    size_t used = 0;
    unsigned long inside, outside, count;
    while (fscanf(f, "%lu %lu %lu", &inside, &outside, &count) == 3) {
        int n = snprintf(out + used, len - used, "%lu %lu %lu\n", inside, inside, count);
        if (n < 0 || (size_t)n >= len - used) {
            fclose(f);
            return -1;
        }
        used += (size_t)n;
    }
    fclose(f);
    return used > 0 ? 0 : -1;
}

static int write_single(pid_t pid, uid_t uid, gid_t gid, struct sbx_error *err)
{
    char path[64], line[64];
    snprintf(path, sizeof path, "/proc/%d/setgroups", (int)pid);
    /* Required before an unprivileged gid_map write; harmless for root. */
    int rc = write_file(path, "deny", err);
    if (rc < 0 && errno != ENOENT)
        return rc;
    snprintf(path, sizeof path, "/proc/%d/gid_map", (int)pid);
    snprintf(line, sizeof line, "%u %u 1\n", (unsigned)gid, (unsigned)gid);
    if ((rc = write_file(path, line, err)) < 0)
        return rc;
    snprintf(path, sizeof path, "/proc/%d/uid_map", (int)pid);
    snprintf(line, sizeof line, "%u %u 1\n", (unsigned)uid, (unsigned)uid);
    return write_file(path, line, err);
}

int sbx_userns_write_maps(pid_t pid, struct sbx_error *err)
{
    uid_t uid = geteuid();
    gid_t gid = getegid();
    if (uid == 0) {
        char umap[1024], gmap[1024], path[64];
        if (identity_map("/proc/self/uid_map", umap, sizeof umap) == 0 &&
            identity_map("/proc/self/gid_map", gmap, sizeof gmap) == 0) {
            struct sbx_error tmp = {0};
            snprintf(path, sizeof path, "/proc/%d/gid_map", (int)pid);
            int rc = write_file(path, gmap, &tmp);
            if (rc == 0) {
                snprintf(path, sizeof path, "/proc/%d/uid_map", (int)pid);
                rc = write_file(path, umap, &tmp);
            }
            if (rc == 0)
                return 0;
            /* A root without CAP_SETUID over its own namespace (some
             * containers): fall back to mapping root alone. */
        }
    }
    int rc = write_single(pid, uid, gid, err);
    if (rc < 0)
        sbx_err_wrap(err, "user namespace id map");
    return rc;
}

/* --- the view -------------------------------------------------------------- */

struct clone_bind {
    const char *path;
    int target;   /* O_PATH fd of the directory the clone goes on */
    int tree;     /* detached clone from open_tree */
};

static int set_attr(int dfd, const char *path, unsigned flags, uint64_t set, uint64_t clr,
                    const char *name, struct sbx_error *err);

/* A clone of what b->target is open on. */
static int clone_target(struct clone_bind *b, struct sbx_error *err)
{
    /* AT_RECURSIVE: mounts beneath the path come along (and a clone of a
     * tree with locked submounts must include them). */
    b->tree = open_tree(b->target, "", OPEN_TREE_CLONE | AT_RECURSIVE | AT_EMPTY_PATH |
                                           OPEN_TREE_CLOEXEC);
    if (b->tree < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "open_tree (clone) %s", b->path);
    return 0;
}

/* A host device node for the private /dev, by its fixed name. */
static int open_clone_dev(struct clone_bind *b, const char *path, struct sbx_error *err)
{
    b->path = path;
    b->tree = -1;
    b->target = open(path, O_PATH | O_CLOEXEC);
    if (b->target < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "open %s", path);
    return clone_target(b, err);
}

/* A writable directory: the object sbx checked, found again (pin), and its
 * clone nosuid and nodev, so that neither a setuid file nor a device node
 * lying in a workspace (an unpacked root file system, a container's /dev)
 * is more than a file in the sandbox: a 0666 copy of a disk's node would
 * otherwise be the disk. */
static int open_clone_rw(struct clone_bind *b, const char *path, const struct sbx_pin *pin,
                         struct sbx_error *err)
{
    b->path = path;
    b->tree = -1;
    b->target = sbx_pin_reopen(path, pin->dev, pin->ino, err);
    if (b->target < 0)
        return b->target;
    int rc = clone_target(b, err);
    if (rc == 0)
        rc = set_attr(b->tree, "", AT_EMPTY_PATH | AT_RECURSIVE,
                      MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 0, path, err);
    return rc;
}

/* The private TMPDIR: the directory sbx made (found again, like a
 * workspace) covered by a tmpfs of this run's own, so nothing the command
 * puts there is on the host's disk or survives the mount namespace (a tree
 * nested deeper than a remover can walk would otherwise outlive the run),
 * and it is bounded like /dev/shm. */
static int open_tmpfs(struct clone_bind *b, const char *path, const struct sbx_pin *pin,
                      unsigned long long bytes, struct sbx_error *err)
{
    b->path = path;
    b->tree = -1;
    b->target = sbx_pin_reopen(path, pin->dev, pin->ino, err);
    if (b->target < 0)
        return b->target;
    char size[32], inodes[32];
    snprintf(size, sizeof size, "%llu", bytes);
    snprintf(inodes, sizeof inodes, "%llu", bytes / 4096 > 1024 ? bytes / 4096 : 1024);
    sbx_autofd int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
    if (fs < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "fsopen tmpfs for %s", path);
    if (fsconfig(fs, FSCONFIG_SET_STRING, "size", size, 0) < 0 ||
        fsconfig(fs, FSCONFIG_SET_STRING, "nr_inodes", inodes, 0) < 0 ||
        fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0700", 0) < 0 ||
        fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "tmpfs (size=%s) for %s", size, path);
    b->tree = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
    if (b->tree < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "fsmount tmpfs for %s", path);
    return 0;
}

static void close_clones(struct clone_bind *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        sbx_closep(&b[i].target);
        sbx_closep(&b[i].tree);
    }
}

static int attach(struct clone_bind *b, struct sbx_error *err)
{
    if (move_mount(b->tree, "", b->target, "",
                   MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "bind %s", b->path);
    return 0;
}

static int set_attr(int dfd, const char *path, unsigned flags, uint64_t set, uint64_t clr,
                    const char *name, struct sbx_error *err)
{
    struct mount_attr a = {.attr_set = set, .attr_clr = clr};
    if (mount_setattr(dfd, path, flags, &a, sizeof a) < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "mount_setattr %s", name);
    return 0;
}

/* Device nodes bound from the host into the private /dev.  tty is the
 * controlling terminal, whatever it is; the others are pure. */
static const char *const dev_nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};
#define N_DEV_NODES (sizeof dev_nodes / sizeof dev_nodes[0])

static int build_dev(struct clone_bind *nodes, unsigned long long shm_bytes,
                     struct sbx_error *err)
{
    if (mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k") < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "mount tmpfs on /dev");
    for (size_t i = 0; i < N_DEV_NODES; i++) {
        char path[64];
        snprintf(path, sizeof path, "/dev/%s", dev_nodes[i]);
        sbx_autofd int fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0666);
        if (fd < 0)
            return sbx_err_sys(err, SBX_EIO, errno, "create %s", path);
        if (move_mount(nodes[i].tree, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH) < 0)
            return sbx_err_sys(err, SBX_EIO, errno, "bind %s", path);
    }
    if (mkdir("/dev/pts", 0755) < 0 || mkdir("/dev/shm", 01777) < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "mkdir in /dev");
    /* A devpts instance of our own: the caller's other terminals
     * (/dev/pts/N of the host) are not reachable by path. */
    if (mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
              "newinstance,ptmxmode=0666,mode=0620") < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "mount devpts on /dev/pts");
    /* Bounded: the pages of a tmpfs are the machine's memory, and without
     * size= one run could take half of it.  nr_inodes bounds what size=
     * does not count (each empty file costs kernel memory): one inode per
     * 4 KiB of the size, at least 1024. */
    if (shm_bytes == 0)
        return sbx_err_set(err, SBX_EINVAL, "/dev/shm: size 0 would mean no limit to tmpfs");
    unsigned long long inodes = shm_bytes / 4096 > 1024 ? shm_bytes / 4096 : 1024;
    char shm_opts[96];
    snprintf(shm_opts, sizeof shm_opts, "mode=01777,size=%llu,nr_inodes=%llu", shm_bytes,
             inodes);
    if (mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, shm_opts) < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "mount tmpfs (%s) on /dev/shm", shm_opts);
    static const char *const links[][2] = {
        {"pts/ptmx", "/dev/ptmx"},        {"/proc/self/fd", "/dev/fd"},
        {"/proc/self/fd/0", "/dev/stdin"}, {"/proc/self/fd/1", "/dev/stdout"},
        {"/proc/self/fd/2", "/dev/stderr"},
    };
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
        if (symlink(links[i][0], links[i][1]) < 0)
            return sbx_err_sys(err, SBX_EIO, errno, "symlink %s", links[i][1]);
    return 0;
}

/* A protected path, through the view as it is now (the writable binds
 * attached: the read-only one goes on top of them), without following a
 * symlink, and still the object sbx checked. */
static int protect(const char *path, const struct sbx_pin *pin, struct sbx_error *err)
{
    sbx_autofd int target = sbx_pin_reopen(path, pin->dev, pin->ino, err);
    if (target < 0)
        return target;
    sbx_autofd int tree = open_tree(target, "", OPEN_TREE_CLONE | AT_RECURSIVE | AT_EMPTY_PATH |
                                                    OPEN_TREE_CLOEXEC);
    if (tree < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "open_tree (clone) %s", path);
    int rc = set_attr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE,
                      MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 0, path, err);
    if (rc < 0)
        return rc;
    if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "bind %s read-only", path);
    return 0;
}

static int build(const struct sbx_view *v, struct clone_bind *rw, struct clone_bind *dev,
                 sbx_note_fn note, void *ctx, struct sbx_error *err)
{
    int rc;
    /* Nothing we mount leaks back to the host, nothing the host mounts
     * later shows up inside. */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "make / private in the mount namespace");

    if (!v->rw_pin || (v->n_ro && !v->ro_pin))
        return sbx_err_set(err, SBX_EINVAL, "mount view: the paths were not resolved by sbx");
    for (size_t i = 0; i < v->n_rw; i++) {
        bool tmp = v->tmp_bytes > 0 && i == v->n_rw - 1;
        rc = tmp ? open_tmpfs(&rw[i], v->rw[i], &v->rw_pin[i], v->tmp_bytes, err)
                 : open_clone_rw(&rw[i], v->rw[i], &v->rw_pin[i], err);
        if (rc < 0)
            return rc;
    }
    for (size_t i = 0; i < N_DEV_NODES; i++) {
        char path[64];
        snprintf(path, sizeof path, "/dev/%s", dev_nodes[i]);
        if ((rc = open_clone_dev(&dev[i], path, err)) < 0)
            return rc;
        dev[i].path = dev_nodes[i];
    }

    /* A /proc of the new PID namespace: processes outside are not there
     * to be signalled, traced or looked into (/proc/<pid>/cwd). */
    if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
        char msg[160];
        snprintf(msg, sizeof msg, "a private /proc could not be mounted (%s): the host's "
                                  "processes are listed in /proc (Landlock still scopes "
                                  "signals and ptrace)", strerror(errno));
        note(msg, ctx);
    }
    if ((rc = build_dev(dev, v->shm_bytes, err)) < 0)
        return rc;

    /* Everything read-only, in one call over the whole tree. */
    if ((rc = set_attr(AT_FDCWD, "/", AT_RECURSIVE, MOUNT_ATTR_RDONLY, 0, "/ (recursive)",
                       err)) < 0)
        return rc;
    if ((rc = set_attr(AT_FDCWD, "/dev/shm", 0, 0, MOUNT_ATTR_RDONLY, "/dev/shm", err)) < 0)
        return rc;

    for (size_t i = 0; i < v->n_rw; i++)
        if ((rc = attach(&rw[i], err)) < 0)
            return rc;
    for (size_t i = 0; i < v->n_ro; i++)
        if ((rc = protect(v->ro[i], &v->ro_pin[i], err)) < 0)
            return rc;
    return sbx_hide_paths(v->hide, v->hide_pin, v->n_hide, err);
}

int sbx_view_build(const struct sbx_view *v, sbx_note_fn note, void *ctx,
                   struct sbx_error *err)
{
    sbx_autofree struct clone_bind *rw = calloc(v->n_rw + 1, sizeof *rw);
    struct clone_bind dev[N_DEV_NODES];
    if (!rw)
        return sbx_err_set(err, SBX_ENOMEM, "mount view: out of memory");
    for (size_t i = 0; i < v->n_rw; i++)
        rw[i].target = rw[i].tree = -1;
    for (size_t i = 0; i < N_DEV_NODES; i++)
        dev[i].target = dev[i].tree = -1;

    int rc = build(v, rw, dev, note, ctx, err);
    /* The checked directories stay open for the command's Landlock rules
     * (close-on-exec: the command's program never holds them).  The
     * TMPDIR's rule goes on the root of its tmpfs: Landlock skips a
     * covered mountpoint on its way up, so a rule on the directory beneath
     * would not reach the files in the tmpfs. */
    for (size_t i = 0; rc == 0 && v->rw_fd && i < v->n_rw; i++) {
        if (v->tmp_bytes > 0 && i == v->n_rw - 1) {
            v->rw_fd[i] = openat(rw[i].tree, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
            if (v->rw_fd[i] < 0)
                rc = sbx_err_sys(err, SBX_EIO, errno, "the tmpfs on %s", v->rw[i]);
            continue;
        }
        v->rw_fd[i] = rw[i].target;
        rw[i].target = -1;
    }
    close_clones(rw, v->n_rw);
    close_clones(dev, N_DEV_NODES);
    if (rc < 0)
        sbx_err_wrap(err, "read-only mount view");
    return rc;
}
