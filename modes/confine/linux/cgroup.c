/* SPDX-License-Identifier: MIT */
/* The run's pids cgroup; see cgroup.h. */
#include "modes/confine/linux/cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"

/* Is tok one of the comma-separated words of list? */
static bool has_word(const char *list, const char *tok)
{
    size_t n = strlen(tok);
    for (const char *p = list; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
        if (strncmp(p, tok, n) == 0 && (p[n] == ',' || p[n] == '\0'))
            return true;
    return false;
}

/* Where the hierarchy is mounted (/proc/self/mountinfo): the cgroup2 one
 * (v2), or the v1 one that carries the pids controller.  root: the part of
 * the hierarchy the mount shows (not "/" in some containers). */
static bool find_mount(bool v2, char *mnt, size_t mlen, char *root, size_t rlen)
{
    sbx_autoclose_file FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f)
        return false;
    sbx_autofree char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        char r[PATH_MAX], m[PATH_MAX], type[32], src[256], opts[512];
        const char *dash = strstr(line, " - ");
        if (!dash || sscanf(line, "%*s %*s %*s %4095s %4095s", r, m) != 2 ||
            sscanf(dash + 3, "%31s %255s %511s", type, src, opts) != 3)
            continue;
        /* An escaped name (\040 for a space): not a mount sbx made up a
         * path for; leave it. */
        if (strchr(r, '\\') || strchr(m, '\\'))
            continue;
        bool match = v2 ? strcmp(type, "cgroup2") == 0
                        : strcmp(type, "cgroup") == 0 && has_word(opts, "pids");
        if (match && (size_t)snprintf(mnt, mlen, "%s", m) < mlen &&
            (size_t)snprintf(root, rlen, "%s", r) < rlen)
            return true;
    }
    return false;
}

/* The caller's own cgroup in that hierarchy (/proc/self/cgroup). */
static bool own_path(bool v2, char *out, size_t len)
{
    sbx_autoclose_file FILE *f = fopen("/proc/self/cgroup", "re");
    if (!f)
        return false;
    sbx_autofree char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        line[strcspn(line, "\n")] = '\0';
        char *c1 = strchr(line, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c1 = *c2 = '\0';
        bool match = v2 ? strcmp(line, "0") == 0 && c1[1] == '\0' : has_word(c1 + 1, "pids");
        if (match && (size_t)snprintf(out, len, "%s", c2 + 1) < len)
            return true;
    }
    return false;
}

static int write_num(const char *dir, const char *file, unsigned long v, struct sbx_error *err)
{
    char path[PATH_MAX + 32], text[32];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    sbx_autofd int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return sbx_err_sys(err, errno == ENOENT ? SBX_ENOENT : SBX_EIO, errno, "open %s", path);
    int n = snprintf(text, sizeof text, "%lu\n", v);
    if (write(fd, text, (size_t)n) != n)
        return sbx_err_sys(err, SBX_EIO, errno, "write %lu to %s", v, path);
    return 0;
}

/* The cgroups of runs whose sbx is gone (killed with SIGKILL: nothing
 * removed them), taken away before a new one is made beside them.  Only
 * names sbx makes, only when the sbx in the name is no process any more,
 * and rmdir takes only an empty cgroup (EBUSY otherwise): a live run's is
 * never touched. */
static void sweep(const char *parent)
{
    DIR *d = opendir(parent);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        int pid;
        unsigned seq;
        char tail;
        if (sscanf(e->d_name, "sbx-run-%d-%u%c", &pid, &seq, &tail) != 2 || pid <= 0 ||
            pid == getpid() || kill(pid, 0) == 0 || errno != ESRCH)
            continue;
        char path[PATH_MAX + 300];
        snprintf(path, sizeof path, "%s/%s", parent, e->d_name);
        rmdir(path); /* best effort: EBUSY leaves it for a later run */
    }
    closedir(d);
}

static bool subtree_has_pids(const char *dir)
{
    char path[PATH_MAX + 32], text[512];
    snprintf(path, sizeof path, "%s/cgroup.subtree_control", dir);
    sbx_autofd int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : read(fd, text, sizeof text - 1);
    if (n <= 0)
        return false;
    text[n] = '\0';
    for (char *save = NULL, *w = strtok_r(text, " \n", &save); w; w = strtok_r(NULL, " \n", &save))
        if (strcmp(w, "pids") == 0)
            return true;
    return false;
}

/* One hierarchy: a child of the caller's cgroup with pids.max set. */
static int try_hierarchy(bool v2, struct sbx_cgroup *cg, unsigned long max,
                         struct sbx_error *err)
{
    const char *which = v2 ? "cgroup v2" : "the cgroup v1 pids hierarchy";
    char mnt[PATH_MAX], root[PATH_MAX], own[PATH_MAX];
    if (!find_mount(v2, mnt, sizeof mnt, root, sizeof root))
        return sbx_err_set(err, SBX_ENOTSUP, "%s is not mounted", which);
    if (!own_path(v2, own, sizeof own))
        return sbx_err_set(err, SBX_ENOTSUP, "sbx is in no cgroup of %s", which);
    /* own is relative to the cgroup namespace's root, as the mount's root
     * is: strip the part the mount doesn't show. */
    size_t rl = strcmp(root, "/") == 0 ? 0 : strlen(root);
    if (rl && (strncmp(own, root, rl) != 0 || (own[rl] != '/' && own[rl] != '\0')))
        return sbx_err_set(err, SBX_ENOTSUP, "sbx's cgroup %s is outside the %s mount at %s",
                           own, which, mnt);
    static unsigned seq;
    char parent[PATH_MAX];
    int n = snprintf(parent, sizeof parent, "%s%s", mnt,
                     strcmp(own + rl, "/") == 0 ? "" : own + rl);
    int m = n < 0 || (size_t)n >= sizeof parent
                ? -1
                : snprintf(cg->dir, sizeof cg->dir, "%s/sbx-run-%d-%u", parent, (int)getpid(),
                           seq++);
    if (m < 0 || (size_t)m >= sizeof cg->dir) {
        cg->dir[0] = '\0';
        return sbx_err_set(err, SBX_EINVAL, "the cgroup path under %s is too long", mnt);
    }
    /* v2: children have pids.max only where the parent enables pids for
     * them; looked at first, so no cgroup is made and removed for nothing. */
    if (v2 && !subtree_has_pids(parent)) {
        cg->dir[0] = '\0';
        return sbx_err_set(err, SBX_ENOTSUP, "the pids controller is not enabled for the "
                                             "children of %s", parent);
    }
    if (mkdir(cg->dir, 0755) < 0) {
        int e = errno;
        cg->dir[0] = '\0';
        if (e == EACCES || e == EPERM || e == EROFS)
            return sbx_err_sys(err, SBX_EPERM, e, "create a cgroup in %s", parent);
        return sbx_err_sys(err, SBX_EIO, e, "create a cgroup in %s", parent);
    }
    /* No pids.max: the controller is not enabled for children here. */
    int rc = write_num(cg->dir, "pids.max", max, err);
    if (rc < 0) {
        if (rc == -SBX_ENOENT)
            sbx_err_set(err, SBX_ENOTSUP, "the pids controller is not enabled for the "
                                          "children of %s", parent);
        rmdir(cg->dir);
        cg->dir[0] = '\0';
        return rc;
    }
    sweep(parent);
    return 0;
}

int sbx_cgroup_pids_create(struct sbx_cgroup *cg, unsigned long max, struct sbx_error *err)
{
    cg->dir[0] = '\0';
    struct sbx_error e2 = {0};
    if (try_hierarchy(true, cg, max, &e2) == 0)
        return 0;
    struct sbx_error e1 = {0};
    if (try_hierarchy(false, cg, max, &e1) == 0)
        return 0;
    return sbx_err_set(err, e1.code, "no pids cgroup for the run: %s; %s", e2.msg, e1.msg);
}

int sbx_cgroup_add(const struct sbx_cgroup *cg, pid_t pid, struct sbx_error *err)
{
    if (!cg->dir[0])
        return 0;
    return write_num(cg->dir, "cgroup.procs", (unsigned long)pid, err);
}

int sbx_cgroup_remove(struct sbx_cgroup *cg, struct sbx_error *err)
{
    if (!cg->dir[0])
        return 0;
    /* Empty by now; a task that is still being torn down keeps it busy a
     * moment (EBUSY): a few short waits, then give up and say so. */
    for (int i = 0; i < 50; i++) {
        if (rmdir(cg->dir) == 0 || errno == ENOENT) {
            cg->dir[0] = '\0';
            return 0;
        }
        if (errno != EBUSY)
            break;
        struct timespec ts = {.tv_nsec = 2 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    int rc = sbx_err_sys(err, SBX_EIO, errno, "remove the run's cgroup %s", cg->dir);
    cg->dir[0] = '\0';
    return rc;
}
