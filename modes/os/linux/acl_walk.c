/* SPDX-License-Identifier: MIT */
/* The ACL edits of the elevated mode's grants, on open objects, and the
 * walk that makes them on a whole tree (acl_walk.h).
 *
 * Cost per inode (issue 14: at most half of `setfacl -R`'s time):
 *   - an ACL is read once (fgetxattr of the kernel's xattr form, decoded by
 *     acl_xattr.c, no libacl allocation) and written once, only when the
 *     edit changed it: an inode that already carries the entries costs no
 *     write, and a removal where there is nothing to remove none either;
 *   - a regular file: openat (one name, one component), fstat (the type
 *     check on the fd, the mode for rwX), fgetxattr, [fsetxattr], close.
 *     setfacl does lstat, getxattr, stat and setxattr, each a lookup of
 *     the whole path;
 *   - a directory: the same plus its default ACL, read and written on the
 *     same fd (the old walk went through /proc/self/fd/N for it, a path
 *     lookup in procfs each time);
 *   - the tree is shared by one thread per online CPU (at most 8): a stack
 *     of directories open as fds, bounded (QUEUE_MAX); a thread that finds
 *     it full goes down into the directory itself, depth first, so the fds
 *     held are at most QUEUE_MAX plus the depth of each thread's descent.
 *
 * Safety, as before: every object is opened by one name relative to its
 * parent's fd with O_NOFOLLOW and then only used through its fd (a symlink
 * planted in the tree is never followed: ELOOP, skipped; symlinks carry no
 * ACL); the type is fstat's on that fd, not the directory entry's, so an
 * object swapped between readdir and openat is treated as what was opened
 * (a FIFO or device is left alone; O_NONBLOCK | O_NOCTTY so opening one
 * has no effect); the first failure stops every thread and its message
 * names the object. */
#include "modes/os/linux/acl_walk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "modes/os/linux/acl_xattr.h"
#include "modes/os/linux/driver_api.h"
#include "modes/os/linux/driver_int.h"
#include "util/cleanup.h"

#define XATTR_ACCESS "system.posix_acl_access"
#define XATTR_DEFAULT "system.posix_acl_default"
#define DEPTH_MAX 2048
/* Directories waiting for a thread, each an open fd. */
#define QUEUE_MAX 64
#define WORKERS_MAX 8
#define PROGRESS_EVERY 4096
#define SMALL_ACL (SBX_XACL_HEADER + 30 * SBX_XACL_ENTRY)
/* Each thread's stack: a descent of DEPTH_MAX directories takes well under
 * this; set explicitly, as a thread's default follows RLIMIT_STACK. */
#define WORKER_STACK (8u << 20)

struct job {
    int fd;
    unsigned depth;
    char *path;
    struct stat st;
};

struct shared {
    const struct sbx_acl_edit *ed;
    uid_t euid;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct job queue[QUEUE_MAX]; /* a stack: depth first, few fds */
    size_t queued;
    unsigned busy; /* threads working on a job: more may come */
    atomic_bool stop;
    int rc; /* the first failure, and its message */
    struct sbx_error err;
    atomic_ullong done;
    pthread_mutex_t progress_mu;
};

/* One thread's state: the path at hand (for messages) and room for one
 * ACL and its bytes. */
struct worker {
    struct shared *sh;
    struct sbx_error err;
    char path[PATH_MAX];
    size_t path_len;
    uint16_t base[3]; /* a directory's USER_OBJ, GROUP_OBJ, OTHER, edited */
    struct sbx_xacl acl;
    unsigned char bytes[SBX_XACL_BYTES_MAX];
};

/* An object of the tree, open as fd (O_PATH when it could not be opened
 * for reading: its owner made it unreadable to itself), and its fstat. */
struct obj {
    int fd;
    bool o_path;
    struct stat st;
};

static int fail(struct worker *w, int errnum, const char *what)
{
    if (errnum == EPERM)
        return sbx_err_set(&w->err, SBX_EPERM,
                           "cannot %s the ACL of %s: only its owner or root may; chown it to "
                           "yourself, move it out of the workspace, or run as root",
                           what, w->path);
    return sbx_err_sys(&w->err, SBX_EIO, errnum, "%s the ACL of %s", what, w->path);
}

/* An O_PATH fd carries no xattr calls: they go through its /proc link. */
static void proc_link(char *buf, size_t len, int fd)
{
    snprintf(buf, len, "/proc/self/fd/%d", fd);
}

/* w->acl := the ACL name of o (0 entries when it has none). */
static int read_acl(struct worker *w, const struct obj *o, const char *name, const char *what)
{
    char proc[32];
    if (o->o_path)
        proc_link(proc, sizeof proc, o->fd);
    /* The kernel zeroes a buffer of the size asked for (64 KiB would be
     * 16 pages per call): a small one first, room for 30 entries, then the
     * size the ACL has. */
    size_t room = SMALL_ACL;
    ssize_t n;
    for (;;) {
        n = o->o_path ? getxattr(proc, name, w->bytes, room)
                      : fgetxattr(o->fd, name, w->bytes, room);
        if (n >= 0 || errno != ERANGE || room == sizeof w->bytes)
            break;
        room = sizeof w->bytes;
    }
    if (n < 0) {
        w->acl.n = 0;
        return errno == ENODATA ? 0 : fail(w, errno, what);
    }
    return sbx_xacl_decode(w->bytes, (size_t)n, &w->acl) ? fail(w, EINVAL, what) : 0;
}

static int write_acl(struct worker *w, const struct obj *o, const char *name, const char *what)
{
    size_t len = sbx_xacl_encode(&w->acl, w->bytes);
    char proc[32];
    int rc;
    if (o->o_path) {
        proc_link(proc, sizeof proc, o->fd);
        rc = setxattr(proc, name, w->bytes, len, 0);
    } else {
        rc = fsetxattr(o->fd, name, w->bytes, len, 0);
    }
    return rc ? fail(w, errno, what) : 0;
}

/* The edit of the entries in w->acl, access or default: true when it
 * changed something; -ENOSPC in *rc when the ACL is full. */
static bool edit_entries(struct worker *w, bool dflt, unsigned perms, int *rc)
{
    const struct sbx_acl_edit *ed = w->sh->ed;
    bool changed = false;
    *rc = 0;
    if (!ed->tree)
        return ed->grant ? sbx_xacl_grant(&w->acl, ed->uid, perms, rc)
                         : sbx_xacl_revoke(&w->acl, ed->uid, perms, !ed->kept);
    for (size_t i = 0; i < ed->n_acc && *rc == 0; i++)
        changed |= ed->grant ? sbx_xacl_grant(&w->acl, ed->acc[i], perms, rc)
                             : sbx_xacl_revoke(&w->acl, ed->acc[i], perms, true);
    /* The owner's default entry; what the sandbox created inherited an
     * access entry from it, which goes with the grant. */
    if (*rc == 0 && (dflt || !ed->grant))
        changed |= ed->grant ? sbx_xacl_grant(&w->acl, ed->owner, perms, rc)
                             : sbx_xacl_revoke(&w->acl, ed->owner, perms, true);
    return changed;
}

static void keep_base(struct worker *w)
{
    static const unsigned tags[3] = {SBX_XACL_USER_OBJ, SBX_XACL_GROUP_OBJ, SBX_XACL_OTHER};
    for (size_t i = 0; i < 3; i++) {
        long at = sbx_xacl_find(&w->acl, tags[i], 0);
        w->base[i] = at >= 0 ? w->acl.e[at].perm : 0;
    }
}

/* The access ACL of o: read once, written once when the edit changed it
 * (the kernel sets the mode from it, and drops the xattr when only the
 * base entries are left). */
static int edit_access(struct worker *w, const struct obj *o, unsigned perms)
{
    int rc = read_acl(w, o, XATTR_ACCESS, "read");
    if (rc)
        return rc;
    if (w->acl.n == 0)
        sbx_xacl_from_mode(&w->acl, o->st.st_mode);
    bool changed = edit_entries(w, false, perms, &rc);
    if (rc == 0 && changed)
        rc = sbx_xacl_fix_mask(&w->acl);
    if (rc)
        return fail(w, -rc, "edit");
    keep_base(w);
    return changed ? write_acl(w, o, XATTR_ACCESS, "write") : 0;
}

/* The default ACL of the directory o (after edit_access: w->base). */
static int edit_default(struct worker *w, const struct obj *o)
{
    int rc = read_acl(w, o, XATTR_DEFAULT, "read the default");
    if (rc)
        return rc;
    if (w->acl.n == 0) {
        if (!w->sh->ed->grant)
            return 0;
        /* A first default ACL starts from the directory's base entries,
         * as setfacl does. */
        w->acl.n = 3;
        w->acl.e[0] = (struct sbx_xacl_entry){SBX_XACL_USER_OBJ, w->base[0], SBX_XACL_NO_ID};
        w->acl.e[1] = (struct sbx_xacl_entry){SBX_XACL_GROUP_OBJ, w->base[1], SBX_XACL_NO_ID};
        w->acl.e[2] = (struct sbx_xacl_entry){SBX_XACL_OTHER, w->base[2], SBX_XACL_NO_ID};
    }
    bool changed = edit_entries(w, true, 7, &rc);
    if (rc == 0 && changed)
        rc = sbx_xacl_fix_mask(&w->acl);
    if (rc)
        return fail(w, -rc, "edit the default");
    if (!changed)
        return 0;
    /* Nothing named left: no default ACL at all, as before the grant. */
    if (!w->sh->ed->grant && sbx_xacl_named(&w->acl) == 0) {
        char proc[32];
        proc_link(proc, sizeof proc, o->fd);
        int r = o->o_path ? removexattr(proc, XATTR_DEFAULT) : fremovexattr(o->fd, XATTR_DEFAULT);
        return r ? fail(w, errno, "remove the default") : 0;
    }
    return write_acl(w, o, XATTR_DEFAULT, "write the default");
}

/* Done by the workspace's owner (not root): what the sandbox created
 * belongs to its account, and only root may change its ACL or give it
 * back.  A grant leaves it alone (it inherited sbx's entries when it was
 * made).  A removal stops there rather than leave such files behind with
 * sbx's entries, owned by an account cleanup may delete: the plan is
 * rolled back and the message says what to do.  Returns 1 to skip. */
static int sandbox_owned(struct worker *w, const struct obj *o)
{
    uid_t euid = w->sh->euid;
    if (euid == 0 || o->st.st_uid == euid)
        return 0;
    char name[64], gecos[256];
    if (sbx_drv_user_by_uid(o->st.st_uid, name, sizeof name, gecos, sizeof gecos) != 0 ||
        !sbx_drv_gecos_marked(gecos))
        return 0;
    if (w->sh->ed->grant)
        return 1;
    return sbx_err_set(&w->err, SBX_EPERM,
                       "%s was made by the sandbox (it belongs to %s): only root can take "
                       "sbx's entries off it and give it back to you; ask root to run `sbx "
                       "migrate --to unelevated --user YOU` (or sbx cleanup), or delete it "
                       "first",
                       w->path, name);
}

/* Removing a tree grant as root gives what the sandbox accounts own back
 * to the workspace's owner (and the root's group): the accounts may be
 * deleted next, and their files must not be left to a dangling uid (or to
 * the next account that gets it). */
static int give_back(struct worker *w, const struct obj *o)
{
    const struct sbx_acl_edit *ed = w->sh->ed;
    if (ed->grant || !ed->tree || w->sh->euid != 0)
        return 0;
    for (size_t i = 0; i < ed->n_acc; i++) {
        if (o->st.st_uid != ed->acc[i])
            continue;
        if (fchownat(o->fd, "", ed->owner, ed->owner_gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
            return sbx_err_sys(&w->err, SBX_EIO, errno, "cannot give %s back to uid %u",
                               w->path, (unsigned)ed->owner);
        break;
    }
    return 0;
}

static void progress(struct worker *w)
{
    struct shared *sh = w->sh;
    unsigned long long n = atomic_fetch_add(&sh->done, 1) + 1;
    if (n % PROGRESS_EVERY || !sh->ed->os || !sh->ed->os->progress)
        return;
    /* One line on the terminal: one thread at a time writes it. */
    pthread_mutex_lock(&sh->progress_mu);
    sh->ed->os->progress(sh->ed->os->progress_ctx, sh->ed->what, n, 0);
    pthread_mutex_unlock(&sh->progress_mu);
}

/* A regular file of the tree. */
static int do_file(struct worker *w, const struct obj *o)
{
    int rc = sandbox_owned(w, o);
    if (rc > 0)
        return 0; /* the sandbox's own file, left as it is */
    if (rc == 0)
        rc = edit_access(w, o, (o->st.st_mode & 0111) ? 7 : 6);
    if (rc == 0)
        rc = give_back(w, o);
    progress(w);
    return rc;
}

static int do_dir(struct worker *w, struct obj *o, unsigned depth);

/* A directory found in the walk: queued for any thread while there is
 * room, else walked here.  Takes o->fd. */
static int descend(struct worker *w, struct obj *o, unsigned depth)
{
    struct shared *sh = w->sh;
    pthread_mutex_lock(&sh->mu);
    if (sh->queued < QUEUE_MAX) {
        char *path = strdup(w->path);
        if (path) {
            sh->queue[sh->queued++] = (struct job){o->fd, depth, path, o->st};
            pthread_cond_signal(&sh->cv);
            pthread_mutex_unlock(&sh->mu);
            return 0;
        }
    }
    pthread_mutex_unlock(&sh->mu);
    return do_dir(w, o, depth);
}

/* One directory entry of the tree. */
static int visit(struct worker *w, int dfd, const char *name, unsigned char type, unsigned depth)
{
    /* Only directories and regular files carry grants: symlinks have no
     * ACL of their own and devices / fifos are left alone. */
    if (type != DT_DIR && type != DT_REG && type != DT_UNKNOWN)
        return 0;
    size_t saved = w->path_len;
    int n = snprintf(w->path + saved, sizeof w->path - saved, "/%s", name);
    if (n < 0 || (size_t)n >= sizeof w->path - saved) {
        w->path[saved] = '\0';
        /* The reason first: the path may be longer than a message. */
        return sbx_err_set(&w->err, SBX_EINVAL, "path too long (over %d bytes): %s/%s",
                           PATH_MAX, w->path, name);
    }
    w->path_len += (size_t)n;
    struct obj o = {.o_path = false};
    int rc = 0;
    o.fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (o.fd < 0 && errno == EACCES) {
        /* The owner may have made its own file unreadable. */
        o.fd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        o.o_path = true;
    }
    if (o.fd < 0) {
        /* Gone, or a symlink now: nothing to do. */
        rc = errno == ENOENT || errno == ELOOP ? 0 : fail(w, errno, "open for");
    } else if (fstat(o.fd, &o.st) != 0) {
        rc = fail(w, errno, "stat for");
    } else if (S_ISDIR(o.st.st_mode) && !o.o_path) {
        rc = descend(w, &o, depth + 1);
        o.fd = -1; /* taken */
    } else if (S_ISDIR(o.st.st_mode)) {
        rc = fail(w, EACCES, "open for");
    } else if (S_ISREG(o.st.st_mode)) {
        rc = do_file(w, &o);
    }
    if (o.fd >= 0)
        close(o.fd);
    w->path_len = saved;
    w->path[saved] = '\0';
    return rc;
}

/* The directory open as o->fd and everything beneath it, w->path naming
 * it.  Takes o->fd. */
static int do_dir(struct worker *w, struct obj *o, unsigned depth)
{
    sbx_autofd int fd = o->fd;
    if (depth > DEPTH_MAX)
        return sbx_err_set(&w->err, SBX_EINVAL, "%s: directories nested deeper than %d",
                           w->path, DEPTH_MAX);
    int rc = sandbox_owned(w, o);
    bool skip = rc > 0; /* the sandbox's own: its entries, not its content */
    if (rc == 0 && w->sh->ed->tree)
        rc = edit_access(w, o, 7);
    if (rc == 0 && !skip)
        rc = edit_default(w, o);
    if (rc == 0 && !skip)
        rc = give_back(w, o);
    progress(w);
    if (rc < 0)
        return rc;
    DIR *d = fdopendir(fd);
    if (!d)
        return fail(w, errno, "list for");
    sbx_steal_fd(&fd);
    struct dirent *de;
    rc = 0;
    while (rc == 0 && !atomic_load_explicit(&w->sh->stop, memory_order_relaxed) &&
           (errno = 0, de = readdir(d))) {
        if (de->d_name[0] == '.' &&
            (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
            continue;
        rc = visit(w, dirfd(d), de->d_name, de->d_type, depth);
    }
    if (rc == 0 && errno && !atomic_load(&w->sh->stop))
        rc = fail(w, errno, "list for");
    closedir(d);
    return rc;
}

/* A thread of the walk: takes directories off the stack until none is
 * left and nobody is working who could add one, or one of them failed. */
static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct shared *sh = w->sh;
    pthread_mutex_lock(&sh->mu);
    for (;;) {
        while (!atomic_load(&sh->stop) && sh->queued == 0 && sh->busy > 0)
            pthread_cond_wait(&sh->cv, &sh->mu);
        if (atomic_load(&sh->stop) || sh->queued == 0)
            break;
        struct job job = sh->queue[--sh->queued];
        sh->busy++;
        pthread_mutex_unlock(&sh->mu);
        snprintf(w->path, sizeof w->path, "%s", job.path);
        w->path_len = strlen(w->path);
        free(job.path);
        struct obj o = {.fd = job.fd, .st = job.st};
        int rc = do_dir(w, &o, job.depth);
        pthread_mutex_lock(&sh->mu);
        sh->busy--;
        if (rc && !atomic_load(&sh->stop)) {
            sh->rc = rc;
            sh->err = w->err;
            atomic_store(&sh->stop, true);
        }
        if (atomic_load(&sh->stop) || (sh->queued == 0 && sh->busy == 0))
            pthread_cond_broadcast(&sh->cv);
    }
    pthread_cond_broadcast(&sh->cv);
    pthread_mutex_unlock(&sh->mu);
    return NULL;
}

static unsigned worker_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > WORKERS_MAX ? WORKERS_MAX : (unsigned)n;
}

static struct shared *shared_new(const struct sbx_acl_edit *ed)
{
    struct shared *sh = calloc(1, sizeof *sh);
    if (!sh)
        return NULL;
    sh->ed = ed;
    sh->euid = geteuid();
    pthread_mutex_init(&sh->mu, NULL);
    pthread_cond_init(&sh->cv, NULL);
    pthread_mutex_init(&sh->progress_mu, NULL);
    atomic_init(&sh->stop, false);
    atomic_init(&sh->done, 0);
    return sh;
}

static void shared_free(struct shared *sh)
{
    for (size_t i = 0; i < sh->queued; i++) {
        close(sh->queue[i].fd);
        free(sh->queue[i].path);
    }
    pthread_mutex_destroy(&sh->mu);
    pthread_cond_destroy(&sh->cv);
    pthread_mutex_destroy(&sh->progress_mu);
    free(sh);
}

int sbx_acl_walk_tree(const struct sbx_acl_edit *ed, int fd, const char *path,
                      unsigned long long *done, struct sbx_error *err)
{
    sbx_autofd int root = fd;
    struct stat st;
    if (fstat(root, &st) != 0)
        return sbx_err_sys(err, SBX_EIO, errno, "stat %s", path);
    struct shared *sh = shared_new(ed);
    unsigned n = worker_count();
    struct worker *w = sh ? calloc(n, sizeof *w) : NULL;
    char *root_path = w ? strdup(strcmp(path, "/") ? path : "") : NULL;
    if (!root_path) {
        free(w);
        if (sh)
            shared_free(sh);
        return sbx_err_set(err, SBX_ENOMEM, "out of memory walking %s", path);
    }
    sh->queue[sh->queued++] = (struct job){sbx_steal_fd(&root), 0, root_path, st};
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, WORKER_STACK);
    pthread_t tid[WORKERS_MAX];
    unsigned started = 1;
    for (unsigned i = 0; i < n; i++)
        w[i].sh = sh;
    /* Fewer threads when the system has no more to give: the walk is the
     * same with one. */
    while (started < n && pthread_create(&tid[started], &attr, worker_main, &w[started]) == 0)
        started++;
    pthread_attr_destroy(&attr);
    worker_main(&w[0]);
    for (unsigned i = 1; i < started; i++)
        pthread_join(tid[i], NULL);
    int rc = sh->rc;
    if (rc && err)
        *err = sh->err;
    *done = atomic_load(&sh->done);
    free(w);
    shared_free(sh);
    return rc;
}

/* A worker for one object, outside a walk (NULL: out of memory). */
static struct worker *single_worker(const struct sbx_acl_edit *ed, const char *path)
{
    struct shared *sh = shared_new(ed);
    struct worker *w = sh ? calloc(1, sizeof *w) : NULL;
    if (!w) {
        if (sh)
            shared_free(sh);
        return NULL;
    }
    w->sh = sh;
    snprintf(w->path, sizeof w->path, "%s", path);
    return w;
}

/* Done with it: its error to err when rc says it failed. */
static int single_done(struct worker *w, int rc, struct sbx_error *err)
{
    if (rc && err)
        *err = w->err;
    shared_free(w->sh);
    free(w);
    return rc;
}

int sbx_acl_edit_one(const struct sbx_acl_edit *ed, int fd, const char *path, unsigned perms,
                     struct sbx_error *err)
{
    struct worker *w = single_worker(ed, path);
    if (!w)
        return sbx_err_set(err, SBX_ENOMEM, "out of memory editing the ACL of %s", path);
    struct obj o = {.fd = fd};
    int rc = fstat(fd, &o.st) ? fail(w, errno, "stat for") : edit_access(w, &o, perms);
    return single_done(w, rc, err);
}

int sbx_acl_has_perms(int fd, const char *path, bool dflt, const uid_t *uids, size_t n,
                      unsigned perms, bool *out, struct sbx_error *err)
{
    static const struct sbx_acl_edit none = {.grant = false};
    struct worker *w = single_worker(&none, path);
    if (!w)
        return sbx_err_set(err, SBX_ENOMEM, "out of memory reading the ACL of %s", path);
    struct obj o = {.fd = fd};
    int rc = read_acl(w, &o, dflt ? XATTR_DEFAULT : XATTR_ACCESS, "read");
    *out = rc == 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        long at = sbx_xacl_find(&w->acl, SBX_XACL_USER, uids[i]);
        *out = *out && at >= 0 && (w->acl.e[at].perm & perms) == perms;
    }
    return single_done(w, rc, err);
}
