/* SPDX-License-Identifier: MIT */
/* The deny list and the scan for existing plants (plants.h). */
#include "modes/confine/linux/plants.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"

#define SBX_STR_(x) #x
#define SBX_STR(x) SBX_STR_(x)

/* What the user's tools run or load when they open a folder: direnv runs
 * .envrc on `cd`; editors run tasks, debuggers and extensions' settings
 * from .vscode, .idea and .devcontainer; shells source rc files (a home
 * set to a workspace, or a user sourcing a project's); ripgrep reads
 * .ripgreprc (its --pre runs a program); coding agents load MCP servers
 * and hooks from .mcp.json, .claude and .codex; .gitmodules names what
 * `git submodule` clones and where. */
const char *const sbx_plants_names[] = {
    ".gitmodules", ".envrc", ".vscode", ".idea", ".devcontainer", ".bashrc",
    ".bash_profile", ".zshrc", ".zprofile", ".profile", ".ripgreprc", ".mcp.json",
    ".claude", ".codex", NULL,
};

bool sbx_plants_name_listed(const char *name)
{
    for (size_t i = 0; name && sbx_plants_names[i]; i++)
        if (strcmp(name, sbx_plants_names[i]) == 0)
            return true;
    return false;
}

struct scan {
    const struct sbx_plants_opts *o;
    struct sbx_plants *out;
    int wsfd;
    dev_t dev;
    size_t max_found;
    struct timespec start;  /* the file system's clock when the search began */
    char rel[PATH_MAX];
};

/* --- the record ------------------------------------------------------------ */

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? 2 * *cap : 64;
    void *nv = realloc(*v, c * size);
    if (!nv)
        return -1;
    *v = nv;
    *cap = c;
    return 0;
}

/* A directory read (or passed over as unreadable), by its stat. */
static int record_dir(struct scan *s, const char *rel, const struct stat *st,
                      struct sbx_error *err)
{
    struct sbx_plants *p = s->out;
    if (!s->o->record)
        return 0;
    /* Changed since the search began, within the clock's tick: an entry
     * made after it read the directory would leave the ctime as it is.
     * (Not the root: a replay reads its entries again, whatever its
     * ctime, which the placeholders made just before move each run.) */
    if (!rel[0])
        ;
    else if (st->st_ctim.tv_sec > s->start.tv_sec ||
        (st->st_ctim.tv_sec == s->start.tv_sec && st->st_ctim.tv_nsec >= s->start.tv_nsec))
        p->racy = true;
    char *copy = strdup(rel);
    if (!copy || grow((void **)&p->dirs, &p->cap_dirs, p->n_dirs, sizeof *p->dirs) < 0) {
        free(copy);
        return sbx_err_set(err, SBX_ENOMEM, "scan of %s: out of memory", s->o->root);
    }
    p->dirs[p->n_dirs++] = (struct sbx_plants_dir){
        .rel = copy, .dev = (unsigned long long)st->st_dev,
        .ino = (unsigned long long)st->st_ino,
        .ctime_sec = (long long)st->st_ctim.tv_sec, .ctime_nsec = st->st_ctim.tv_nsec};
    return 0;
}

static int record_hit(struct scan *s, unsigned char type, struct sbx_error *err)
{
    struct sbx_plants *p = s->out;
    if (!s->o->record)
        return 0;
    char *copy = strdup(s->rel);
    if (!copy || grow((void **)&p->hits, &p->cap_hits, p->n_hits, sizeof *p->hits) < 0) {
        free(copy);
        return sbx_err_set(err, SBX_ENOMEM, "scan of %s: out of memory", s->o->root);
    }
    p->hits[p->n_hits++] = (struct sbx_plants_hit){.rel = copy, .type = type};
    return 0;
}

static bool denied(const struct scan *s, const char *name)
{
    if (!sbx_plants_name_listed(name))
        return false;
    for (size_t i = 0; i < s->o->n_allow_names; i++)
        if (strcmp(name, s->o->allow_names[i]) == 0)
            return false;
    return true;
}

static void skipped(struct scan *s, enum sbx_plants_gap gap, const char *rel)
{
    if (!s->out->gap[gap])
        snprintf(s->out->gap_at[gap], sizeof s->out->gap_at[gap], "%.150s", rel[0] ? rel : ".");
    s->out->gap[gap] = true;
}

/* Keep what fd is open on (fd is taken), unless it is kept already. */
static int keep(struct scan *s, int fd, const char *rel, struct sbx_error *err)
{
    struct sbx_plants *p = s->out;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return sbx_err_sys(err, SBX_EIO, e, "stat %s/%s", s->o->root, rel);
    }
    for (size_t i = 0; i < p->n; i++)
        if (p->v[i].dev == st.st_dev && p->v[i].ino == st.st_ino) {
            close(fd);
            return 0;
        }
    if (p->n >= s->max_found) {
        close(fd);
        skipped(s, SBX_PLANTS_OVER_FOUND, rel);
        return 0;
    }
    if (p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 16;
        struct sbx_plant *v = realloc(p->v, cap * sizeof *v);
        if (!v) {
            close(fd);
            return sbx_err_set(err, SBX_ENOMEM, "scan of %s: out of memory", s->o->root);
        }
        p->v = v;
        p->cap = cap;
    }
    char *copy = strdup(rel);
    if (!copy) {
        close(fd);
        return sbx_err_set(err, SBX_ENOMEM, "scan of %s: out of memory", s->o->root);
    }
    p->v[p->n++] = (struct sbx_plant){.rel = copy, .fd = fd, .dev = st.st_dev,
                                      .ino = st.st_ino, .dir = S_ISDIR(st.st_mode)};
    return 0;
}

/* The entry `name` of dirfd, itself (never what a symlink names). */
static int keep_at(struct scan *s, int dirfd, const char *name, struct sbx_error *err)
{
    int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0; /* gone meanwhile: nothing left to protect */
        return sbx_err_sys(err, SBX_EIO, errno, "open %s/%s", s->o->root, s->rel);
    }
    return keep(s, fd, s->rel, err);
}

/* What path (relative to the workspace root) leads to, symlinks resolved
 * but only beneath the root: a symlink or a "gitdir:" that leads out of
 * the workspace leads where the view is read-only already. */
static int keep_beneath(struct scan *s, const char *path, struct sbx_error *err)
{
    struct open_how how = {.flags = O_PATH | O_CLOEXEC,
                           .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS};
    int fd = (int)syscall(SYS_openat2, s->wsfd, path, &how, sizeof how);
    if (fd < 0) {
        if (errno == EXDEV || errno == ELOOP)
            return 0; /* out of the workspace */
        if (errno == ENOENT || errno == ENOTDIR) {
            /* The command could make it: a repository of its own. */
            skipped(s, SBX_PLANTS_DANGLING, path);
            return 0;
        }
        return sbx_err_sys(err, SBX_EIO, errno, "open %s/%s", s->o->root, path);
    }
    /* Its name now, for the view that binds it by name. */
    char proc[64], abs[PATH_MAX];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(proc, abs, sizeof abs - 1);
    size_t rlen = strlen(s->o->root);
    if (n <= 0 || (size_t)n >= sizeof abs - 1) {
        int e = n < 0 ? errno : ENAMETOOLONG;
        close(fd);
        return sbx_err_sys(err, SBX_EIO, e, "the name of %s/%s", s->o->root, path);
    }
    abs[n] = '\0';
    if (strncmp(abs, s->o->root, rlen) != 0 || abs[rlen] != '/' || !abs[rlen + 1]) {
        close(fd); /* the root itself, or a name the view can't use */
        return 0;
    }
    return keep(s, fd, abs + rlen + 1, err);
}

/* A `.git` file: "gitdir: PATH" names the repository's directory. */
static int keep_gitdir(struct scan *s, int dirfd, size_t dir_len, struct sbx_error *err)
{
    sbx_autofd int pfd = openat(dirfd, ".git", O_PATH | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (pfd < 0 || fstat(pfd, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    /* Reopened through the descriptor: the regular file just checked. */
    char proc[64], buf[PATH_MAX + 16];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", pfd);
    sbx_autofd int fd = open(proc, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "read %s/%s", s->o->root, s->rel);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    if (n < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "read %s/%s", s->o->root, s->rel);
    buf[n] = '\0';
    if (strncmp(buf, "gitdir:", 7) != 0)
        return 0;
    char *t = buf + 7;
    while (*t == ' ' || *t == '\t')
        t++;
    size_t len = strcspn(t, "\r\n");
    while (len > 0 && (t[len - 1] == ' ' || t[len - 1] == '\t'))
        len--;
    t[len] = '\0';
    if (!len)
        return 0;
    char path[2 * PATH_MAX];
    size_t rlen = strlen(s->o->root);
    if (t[0] == '/') {
        if (strncmp(t, s->o->root, rlen) != 0 || t[rlen] != '/')
            return 0; /* not in this workspace */
        snprintf(path, sizeof path, "%s", t + rlen + 1);
    } else if (dir_len) {
        snprintf(path, sizeof path, "%.*s/%s", (int)dir_len, s->rel, t);
    } else {
        snprintf(path, sizeof path, "%s", t);
    }
    return keep_beneath(s, path, err);
}

static int scan_dir(struct scan *s, int dfd, size_t rel_len, unsigned depth,
                    struct sbx_error *err);

/* An entry with a protected name (s->rel is its path, rel_len that of its
 * directory dfd): kept, with what it leads to. */
static int hit(struct scan *s, int dfd, const char *name, unsigned char type, size_t rel_len,
               struct sbx_error *err)
{
    if (type == DT_LNK)
        return keep_beneath(s, s->rel, err);
    int rc = keep_at(s, dfd, name, err);
    if (rc == 0 && type == DT_REG && strcmp(name, ".git") == 0)
        rc = keep_gitdir(s, dfd, rel_len, err);
    return rc; /* never into it (a .git holds the objects) */
}

/* One entry (name, type as getdents gives it) of the directory dfd;
 * s->rel holds the directory's path. */
static int visit(struct scan *s, int dfd, const char *name, unsigned char type,
                 size_t rel_len, unsigned depth, struct sbx_error *err)
{
    size_t nlen = strlen(name);
    if (rel_len + 1 + nlen >= sizeof s->rel) {
        skipped(s, SBX_PLANTS_OVER_DEPTH, s->rel);
        return 0;
    }
    size_t len = rel_len;
    if (len)
        s->rel[len++] = '/';
    memcpy(s->rel + len, name, nlen + 1);
    len += nlen;

    if (type == DT_UNKNOWN) {
        struct stat st;
        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            return 0; /* gone meanwhile */
        type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISLNK(st.st_mode) ? DT_LNK
               : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
    }
    if ((strcmp(name, ".git") == 0 && !s->o->allow_git) || denied(s, name)) {
        int rc = record_hit(s, type, err);
        return rc < 0 ? rc : hit(s, dfd, name, type, rel_len, err);
    }
    if (strcmp(name, ".git") == 0)
        return 0; /* --allow-git: nothing to find in the objects */
    if (type != DT_DIR)
        return 0;
    if (depth + 1 > SBX_PLANTS_MAX_DEPTH) {
        skipped(s, SBX_PLANTS_OVER_DEPTH, s->rel);
        return 0;
    }
    /* Not through a symlink, and not onto another mount (EXDEV). */
    struct open_how how = {.flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC,
                           .resolve = RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS};
    int sub = (int)syscall(SYS_openat2, dfd, name, &how, sizeof how);
    struct stat st;
    if (sub < 0) {
        int e = errno;
        if (e == EXDEV)
            skipped(s, SBX_PLANTS_OTHER_DEVICE, s->rel);
        else if (e == EACCES || e == EPERM)
            skipped(s, SBX_PLANTS_UNREADABLE, s->rel);
        /* its stat, so that a chmod or a mount there is a change */
        if ((e == EXDEV || e == EACCES || e == EPERM) &&
            fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
            return record_dir(s, s->rel, &st, err);
        return 0; /* else gone or swapped for a non-directory meanwhile */
    }
    if (s->o->record) {
        int rc = fstat(sub, &st) == 0 ? record_dir(s, s->rel, &st, err)
                                      : sbx_err_sys(err, SBX_EIO, errno, "stat %s/%s",
                                                    s->o->root, s->rel);
        if (rc < 0) {
            close(sub);
            return rc;
        }
    }
    return scan_dir(s, sub, len, depth + 1, err);
}

/* getdents64's record (the kernel's struct linux_dirent64). */
struct dent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

/* Scan the directory open on dfd (taken), whose path is s->rel[0..rel_len):
 * getdents64 straight into a buffer of this level's (no DIR stream: half
 * the system calls per directory of readdir's). */
static int scan_dir(struct scan *s, int dfd, size_t rel_len, unsigned depth,
                    struct sbx_error *err)
{
    char buf[8192] __attribute__((aligned(8)));
    int rc = 0;
    for (;;) {
        long n = syscall(SYS_getdents64, dfd, buf, sizeof buf);
        if (n < 0) {
            int e = errno;
            s->rel[rel_len] = '\0';
            rc = sbx_err_sys(err, SBX_EIO, e, "read the directory %s/%s", s->o->root, s->rel);
            break;
        }
        if (n == 0)
            break;
        for (long off = 0; rc == 0 && off < n;) {
            const struct dent64 *de = (const struct dent64 *)(buf + off);
            off += de->d_reclen;
            const char *name = de->d_name;
            if (name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2])))
                continue;
            if (++s->out->visited > SBX_PLANTS_MAX_VISIT) {
                s->rel[rel_len] = '\0';
                skipped(s, SBX_PLANTS_OVER_VISIT, s->rel);
                close(dfd);
                return 0;
            }
            rc = visit(s, dfd, name, de->d_type, rel_len, depth, err);
            s->rel[rel_len] = '\0';
        }
        if (rc < 0)
            break;
    }
    close(dfd);
    return rc;
}

/* Drop what lies inside a directory kept whole (a submodule's gitdir in
 * .git/modules, say): read-only with it already, and a bind beneath
 * another would go under it (the launcher binds from descriptors opened
 * before). */
static void prune_covered(struct sbx_plants *p)
{
    /* Marked first (fd -1), then dropped: every comparison sees them all. */
    for (size_t i = 0; i < p->n; i++)
        for (size_t j = 0; j < p->n; j++) {
            size_t len = strlen(p->v[j].rel);
            if (j != i && p->v[j].dir && strncmp(p->v[i].rel, p->v[j].rel, len) == 0 &&
                p->v[i].rel[len] == '/') {
                sbx_closep(&p->v[i].fd);
                break;
            }
        }
    size_t k = 0;
    for (size_t i = 0; i < p->n; i++) {
        if (p->v[i].fd < 0)
            free(p->v[i].rel);
        else
            p->v[k++] = p->v[i];
    }
    p->n = k;
}

/* A search's state (freed by the caller), or NULL with err set. */
static struct scan *scan_new(int wsfd, const struct sbx_plants_opts *o, struct sbx_plants *out,
                             struct sbx_error *err)
{
    struct scan *s = calloc(1, sizeof *s);
    if (!s) {
        sbx_err_set(err, SBX_ENOMEM, "scan of %s: out of memory", o->root);
        return NULL;
    }
    s->o = o;
    s->out = out;
    s->wsfd = wsfd;
    s->max_found = o->max_found ? o->max_found : SBX_PLANTS_MAX_FOUND;
    return s;
}

int sbx_plants_scan(int wsfd, const struct sbx_plants_opts *o, struct sbx_plants *out,
                    struct sbx_error *err)
{
    memset(out, 0, sizeof *out);
    if (!o || !o->root || o->root[0] != '/')
        return sbx_err_set(err, SBX_EINVAL, "plants scan: the workspace's path is needed");
    struct scan *s = scan_new(wsfd, o, out, err);
    if (!s)
        return -SBX_ENOMEM;
    int rc;
    int dfd = openat(wsfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct stat st;
    if (dfd < 0 || fstat(dfd, &st) != 0) {
        rc = sbx_err_sys(err, SBX_EIO, errno, "open the workspace %s to scan it", o->root);
        if (dfd >= 0)
            close(dfd);
    } else {
        s->dev = st.st_dev;
        /* the coarse clock is the one inodes' times are taken from */
        clock_gettime(CLOCK_REALTIME_COARSE, &s->start);
        rc = record_dir(s, "", &st, err);
        if (rc == 0)
            rc = scan_dir(s, dfd, 0, 0, err);
        else
            close(dfd);
    }
    free(s);
    if (rc < 0)
        sbx_plants_free(out);
    else
        prune_covered(out);
    return rc;
}

void sbx_plants_free(struct sbx_plants *p)
{
    for (size_t i = 0; p && i < p->n; i++) {
        sbx_closep(&p->v[i].fd);
        free(p->v[i].rel);
    }
    for (size_t i = 0; p && i < p->n_dirs; i++)
        free(p->dirs[i].rel);
    for (size_t i = 0; p && i < p->n_hits; i++)
        free(p->hits[i].rel);
    if (p) {
        free(p->v);
        free(p->dirs);
        free(p->hits);
        p->v = NULL;
        p->dirs = NULL;
        p->hits = NULL;
        p->n = p->cap = p->n_dirs = p->cap_dirs = p->n_hits = p->cap_hits = 0;
    }
}

void sbx_plants_notes(const struct sbx_plants *p, const char *root,
                      void (*add)(const char *note, void *ctx), void *ctx)
{
    static const char *const what[SBX_PLANTS_N_GAPS] = {
        [SBX_PLANTS_OVER_FOUND] = "more than " SBX_STR(SBX_PLANTS_MAX_FOUND) " files tools "
                                  "run (.git, .envrc, .vscode, ...): the rest stay writable",
        [SBX_PLANTS_OVER_DEPTH] = "directories nested deeper than " SBX_STR(
            SBX_PLANTS_MAX_DEPTH) " levels were not searched for files tools run",
        [SBX_PLANTS_OVER_VISIT] = "more than " SBX_STR(SBX_PLANTS_MAX_VISIT) " entries: the "
                                  "rest was not searched for files tools run",
        [SBX_PLANTS_OTHER_DEVICE] = "a file system mounted inside was not searched for "
                                    "files tools run",
        [SBX_PLANTS_UNREADABLE] = "a directory you can't read was not searched for files "
                                  "tools run",
        [SBX_PLANTS_DANGLING] = "a .git file or a protected symlink names nothing yet: the "
                                "command can make it, with a configuration of its own",
    };
    for (int i = 0; i < SBX_PLANTS_N_GAPS; i++) {
        if (!p->gap[i])
            continue;
        char note[400];
        snprintf(note, sizeof note, "%.80s: %s (at %.80s)", root, what[i], p->gap_at[i]);
        add(note, ctx);
    }
}

/* Whether the root holds what the recorded search saw there: the same
 * directories (each then checked by its inode and ctime) and the same
 * entries with a protected name, nothing more or less; files and symlinks
 * of other names don't change a search.  The root is read again each time
 * rather than trusted by its ctime, which the placeholders sbx makes and
 * removes there (placeholders.h) move every run. */
static bool root_same(struct scan *s, const struct sbx_plants *rec)
{
    size_t want_dirs = 0, want_hits = 0, dirs = 0, hits = 0;
    for (size_t i = 1; i < rec->n_dirs; i++)
        want_dirs += !strchr(rec->dirs[i].rel, '/');
    for (size_t i = 0; i < rec->n_hits; i++)
        want_hits += !strchr(rec->hits[i].rel, '/');
    sbx_autofd int dfd = openat(s->wsfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return false;
    char buf[8192] __attribute__((aligned(8)));
    for (;;) {
        long n = syscall(SYS_getdents64, dfd, buf, sizeof buf);
        if (n < 0)
            return false;
        if (n == 0)
            break;
        for (long off = 0; off < n;) {
            const struct dent64 *de = (const struct dent64 *)(buf + off);
            off += de->d_reclen;
            const char *name = de->d_name;
            if (name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2])))
                continue;
            bool git = strcmp(name, ".git") == 0;
            if (git && s->o->allow_git)
                continue; /* the search passes it by */
            unsigned char type = de->d_type;
            struct stat st;
            if (type == DT_UNKNOWN)
                type = fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 ? DT_UNKNOWN
                       : S_ISDIR(st.st_mode) ? DT_DIR : DT_REG;
            bool hit = git || denied(s, name);
            if (!hit && type != DT_DIR)
                continue;
            bool found = false;
            if (hit)
                for (size_t i = 0; i < rec->n_hits && !found; i++)
                    found = strcmp(rec->hits[i].rel, name) == 0;
            else
                for (size_t i = 1; i < rec->n_dirs && !found; i++)
                    found = strcmp(rec->dirs[i].rel, name) == 0;
            if (!found)
                return false;
            hit ? hits++ : dirs++;
        }
    }
    return dirs == want_dirs && hits == want_hits;
}

int sbx_plants_replay(int wsfd, const struct sbx_plants_opts *o,
                      const struct sbx_plants *rec, struct sbx_plants *out, bool *same,
                      struct sbx_error *err)
{
    memset(out, 0, sizeof *out);
    *same = false;
    struct stat root;
    if (!o || !o->root || !rec || rec->n_dirs == 0 || rec->dirs[0].rel[0] ||
        fstat(wsfd, &root) != 0)
        return 0;
    /* Parents first (the record's order): once a directory is the same,
     * so are the names in it, and a deeper lookup meets no new symlink.
     * The root by its entries instead of its ctime (root_same). */
    for (size_t i = 0; i < rec->n_dirs; i++) {
        const struct sbx_plants_dir *d = &rec->dirs[i];
        struct stat st;
        int rc = d->rel[0] ? fstatat(wsfd, d->rel, &st, AT_SYMLINK_NOFOLLOW) : fstat(wsfd, &st);
        if (rc != 0 || (unsigned long long)st.st_ino != d->ino ||
            (unsigned long long)st.st_dev != d->dev ||
            (d->rel[0] && ((long long)st.st_ctim.tv_sec != d->ctime_sec ||
                           st.st_ctim.tv_nsec != d->ctime_nsec)))
            return 0;
    }
    struct scan *s = scan_new(wsfd, o, out, err);
    if (!s)
        return -SBX_ENOMEM;
    if (!root_same(s, rec)) {
        free(s);
        return 0;
    }
    s->dev = root.st_dev;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < rec->n_hits; i++) {
        const char *rel = rec->hits[i].rel;
        const char *slash = strrchr(rel, '/');
        size_t dir_len = slash ? (size_t)(slash - rel) : 0;
        if (strlen(rel) >= sizeof s->rel)
            continue;
        memcpy(s->rel, rel, strlen(rel) + 1);
        /* A hit at the root (most are) is looked up from wsfd itself. */
        int dfd = wsfd;
        if (slash) {
            char dir[PATH_MAX];
            snprintf(dir, sizeof dir, "%.*s", (int)dir_len, rel);
            struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                                   .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS};
            dfd = (int)syscall(SYS_openat2, wsfd, dir, &how, sizeof how);
        }
        if (dfd < 0) {
            rc = sbx_err_sys(err, SBX_EIO, errno, "open %s/%.*s", o->root, (int)dir_len, rel);
            break;
        }
        rc = hit(s, dfd, slash ? slash + 1 : rel, rec->hits[i].type, dir_len, err);
        if (dfd != wsfd)
            close(dfd);
    }
    free(s);
    if (rc < 0) {
        sbx_plants_free(out);
        return rc;
    }
    for (int g = 0; g < SBX_PLANTS_N_GAPS; g++)
        if (rec->gap[g] && !out->gap[g]) {
            out->gap[g] = true;
            memcpy(out->gap_at[g], rec->gap_at[g], sizeof out->gap_at[g]);
        }
    prune_covered(out);
    *same = true;
    return 0;
}

int sbx_walk_up(int fd, bool self, bool (*match)(int dirfd, void *ctx), void *ctx)
{
    int cur = self ? fcntl(fd, F_DUPFD_CLOEXEC, 3) : openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
    for (int depth = 0; cur >= 0 && depth < 4096; depth++) {
        if (match(cur, ctx)) {
            close(cur);
            return 1;
        }
        struct stat st, up;
        int parent = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
        bool failed = parent < 0 || fstat(cur, &st) != 0 || fstat(parent, &up) != 0;
        close(cur);
        if (!failed && st.st_dev == up.st_dev && st.st_ino == up.st_ino) {
            close(parent);
            return 0; /* "/" */
        }
        if (failed) {
            if (parent >= 0)
                close(parent);
            return -1;
        }
        cur = parent;
    }
    if (cur >= 0)
        close(cur);
    return -1;
}

static bool has_git(int dirfd, void *ctx)
{
    (void)ctx;
    struct stat st;
    return fstatat(dirfd, ".git", &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* A `.git` in one of the directories above the one open on fd (its
 * parents, up to "/"), never through a symlink (".." is the real parent). */
static bool inside_repo(int fd)
{
    return sbx_walk_up(fd, false, has_git, NULL) == 1;
}

unsigned long sbx_plants_root_absent(int wsfd, const struct sbx_plants_opts *o)
{
    unsigned long absent = 0;
    struct stat st;
    for (size_t i = 0; sbx_plants_names[i] && i < 31; i++) {
        bool allowed = false;
        for (size_t k = 0; k < o->n_allow_names; k++)
            allowed = allowed || strcmp(o->allow_names[k], sbx_plants_names[i]) == 0;
        if (!allowed && fstatat(wsfd, sbx_plants_names[i], &st, AT_SYMLINK_NOFOLLOW) != 0 &&
            errno == ENOENT)
            absent |= 1ul << i;
    }
    if (!o->allow_git && fstatat(wsfd, ".git", &st, AT_SYMLINK_NOFOLLOW) != 0 &&
        errno == ENOENT && inside_repo(wsfd))
        absent |= SBX_PLANTS_ROOT_GIT;
    return absent;
}

void sbx_plants_root_check(int wsfd, unsigned long absent, const char *root,
                           void (*add)(const char *note, void *ctx), void *ctx)
{
    struct stat st;
    char note[400];
    for (size_t i = 0; sbx_plants_names[i] && i < 31; i++)
        if ((absent & (1ul << i)) &&
            fstatat(wsfd, sbx_plants_names[i], &st, AT_SYMLINK_NOFOLLOW) == 0) {
            snprintf(note, sizeof note, "the command created %.150s/%s, which your tools run "
                     "or load when you open the workspace: look at it first",
                     root, sbx_plants_names[i]);
            add(note, ctx);
        }
    if ((absent & SBX_PLANTS_ROOT_GIT) && fstatat(wsfd, ".git", &st, AT_SYMLINK_NOFOLLOW) == 0) {
        snprintf(note, sizeof note, "the command created %.150s/.git inside your repository: "
                 "git in that folder now uses its hooks and configuration; look at it (or "
                 "remove it) before you run git there", root);
        add(note, ctx);
    }
}

bool sbx_plants_still_kept(const char *path, dev_t dev, ino_t ino)
{
    struct open_how how = {.flags = O_PATH | O_CLOEXEC,
                           .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
    int fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
    struct stat st;
    bool same = fd >= 0 && fstat(fd, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
    if (fd >= 0)
        close(fd);
    return same;
}

void sbx_plants_moved_note(char *buf, size_t len, const char *path)
{
    snprintf(buf, len, "%.150s is not what sbx kept read-only any more (a folder on its way "
             "was moved during the run): what is there now was made by the command; look at "
             "it before your tools use it", path);
}
