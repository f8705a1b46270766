/* SPDX-License-Identifier: MIT */
/* The public face of the Linux confinement: turns a run request into a
 * run plan (workspaces checked again, protected paths found, a private
 * TMPDIR made) and hands it to the runner. */
#include "modes/confine/linux/confine.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "modes/common/cache_env.h"
#include "modes/common/secret_paths.h"
#include "modes/confine/linux/hide.h"
#include "modes/confine/linux/landlock.h"
#include "modes/confine/linux/placeholders.h"
#include "modes/confine/linux/plants.h"
#include "modes/confine/linux/plants_cache.h"
#include "modes/confine/linux/policy.h"
#include "modes/confine/linux/runner.h"
#include "modes/confine/linux/tmpdir.h"
#include "modes/confine/linux/wspath.h"
#include "util/rmtree.h"

static void add_note(const char *note, void *ctx)
{
    struct sbx_linux_report *rep = ctx;
    /* A longer note is cut at the report's width, on purpose. */
    if (rep->n_notes < SBX_LINUX_MAX_NOTES)
        snprintf(rep->notes[rep->n_notes++], SBX_LINUX_NOTE_LEN, "%.*s",
                 SBX_LINUX_NOTE_LEN - 1, note);
}

int sbx_linux_workspace_resolve(const char *arg, char *out, size_t out_len,
                                struct sbx_error *err)
{
    return sbx_ws_resolve(arg, getuid(), out, out_len, err);
}

int sbx_linux_check(bool net, struct sbx_linux_report *rep, struct sbx_error *err)
{
    memset(rep, 0, sizeof *rep);
    rep->landlock_abi = sbx_landlock_abi();
    sbx_landlock_gaps(rep->landlock_abi, net, add_note, rep);
    if (rep->landlock_abi <= 0)
        return sbx_err_set(err, SBX_ENOTSUP, "Landlock is not available in this kernel: "
                                             "sbx refuses to run commands unconfined");
    return 0;
}

/* Everything the run needs that lives in memory: freed in one place.
 * Every path is resolved once into a pin (wspath.h) that stays open until
 * the run is over: its descriptor is what was checked, and keeps the
 * identity that init checks its own opens against from being reused. */
struct prep {
    struct sbx_pin *ws;   /* workspaces, the cache when there is one, the private TMPDIR */
    size_t n_ws;          /* workspaces only */
    size_t n_rw;          /* all of ws */
    struct sbx_pin *ro;   /* protected paths */
    size_t n_ro, max_ro;
    const char **rw;      /* ws[i].path: for the view and Landlock (the TMPDIR last) */
    const char **ro_path; /* ro[i].path */
    int *rw_fd;           /* filled in by init (its copy), read by the command */
    unsigned long *absent; /* per workspace: plants absent at its root and not
                            * placed (plants.h): looked at after the run */
    struct sbx_placeholders **ph; /* per workspace: its placeholders (placeholders.h) */
    bool state_existed;   /* the state directory, before the placeholders' records */
    char cwd[PATH_MAX];
    char tmpdir[PATH_MAX];
    bool have_tmpdir;
    struct sbx_cache_env cache_env;
    struct sbx_pin *hide; /* credential paths (hide.h) */
    const char **hide_path;
    size_t n_hide;
};

static void prep_free(struct prep *p)
{
    /* (after the run: the run's own notes went with sbx_linux_run_ex's) */
    for (size_t i = 0; p->ph && i < p->n_ws; i++)
        sbx_placeholders_end(p->ph[i], NULL, NULL);
    free(p->ph);
    for (size_t i = 0; p->ws && i < p->n_rw; i++)
        sbx_pin_close(&p->ws[i]);
    sbx_cache_env_free(&p->cache_env);
    for (size_t i = 0; p->ro && i < p->n_ro; i++)
        sbx_pin_close(&p->ro[i]);
    for (size_t i = 0; p->hide && i < p->n_hide; i++)
        sbx_pin_close(&p->hide[i]);
    free(p->hide);
    free(p->hide_path);
    free(p->ws);
    free(p->ro);
    free(p->rw);
    free(p->ro_path);
    free(p->rw_fd);
    free(p->absent);
}

static bool within_any(const struct prep *p, const char *path)
{
    for (size_t i = 0; i < p->n_ws; i++)
        if (sbx_path_within(path, p->ws[i].path))
            return true;
    return false;
}

/* Add a protected path when it exists and lies in a workspace (anything
 * else is read-only already).  required: a missing path is an error.
 * Resolved once like the workspaces (a symlink is followed, but what it
 * leads to must be inside a workspace to matter, and is what gets bound). */
static int add_protected(struct prep *p, const char *path, bool required, const char *what,
                         struct sbx_error *err)
{
    struct sbx_pin *pin = &p->ro[p->n_ro];
    int rc = sbx_path_pin(path, 0, getuid(), pin, err);
    if (rc == -SBX_ENOENT && !required)
        return 0;
    if (rc < 0) {
        if (err)
            err->code = SBX_EINVAL; /* bad input, whichever way */
        return sbx_err_wrap(err, "%s %s", what, path);
    }
    if (!within_any(p, pin->path)) {
        sbx_pin_close(pin);
        return 0;
    }
    for (size_t i = 0; i < p->n_ws; i++)
        if (strcmp(pin->path, p->ws[i].path) == 0) {
            sbx_pin_close(pin);
            return sbx_err_set(err, SBX_EINVAL, "%s %s is a whole workspace: it can't be both "
                                                "writable and protected", what, path);
        }
    p->ro_path[p->n_ro] = pin->path;
    p->n_ro++;
    return 0;
}

/* The credential paths under the caller's home (the password database's,
 * and $HOME when it is another) and the configuration's, less
 * --allow-read's. */
static int hide_credentials(const struct sbx_run_request *req, struct prep *p,
                            struct sbx_error *err)
{
    const char *homes[2];
    size_t n_homes = 0;
    struct passwd *pw = getpwuid(getuid());
    if (pw && pw->pw_dir && pw->pw_dir[0] == '/')
        homes[n_homes++] = pw->pw_dir;
    const char *env_home = getenv("HOME");
    if (env_home && env_home[0] == '/' && (!n_homes || strcmp(env_home, homes[0]) != 0))
        homes[n_homes++] = env_home;
    size_t max = n_homes * sbx_n_secret_paths + req->n_hide;
    p->hide = calloc(max + 1, sizeof *p->hide);
    p->hide_path = calloc(max + 1, sizeof *p->hide_path);
    if (!p->hide || !p->hide_path)
        return sbx_err_set(err, SBX_ENOMEM, "out of memory");
    int rc = sbx_hide_resolve(homes, n_homes, req->hide, req->n_hide, req->allow_read,
                              req->n_allow_read, getuid(), p->hide, &p->n_hide, err);
    for (size_t i = 0; i < p->n_hide; i++)
        p->hide_path[i] = p->hide[i].path;
    return rc;
}

/* A workspace inside another one is searched as part of the outer one. */
static bool inside_other(const struct prep *p, size_t i)
{
    for (size_t j = 0; j < p->n_ws; j++)
        if (j != i && sbx_path_within(p->ws[i].path, p->ws[j].path) &&
            (strcmp(p->ws[i].path, p->ws[j].path) != 0 || j < i))
            return true;
    return false;
}

static void plant_note(const char *note, void *ctx)
{
    void **c = ctx;
    const struct sbx_run_request *req = c[0];
    add_note(note, c[1]);
    if (req->note)
        req->note(note, req->note_ctx);
}

/* The files tools run that exist in workspace i (.git, gitdir: files, the
 * deny list: plants.h), protected like --protect paths, from the
 * descriptors the scan opened (each relative to the workspace's pin). */
static int add_plants(const struct sbx_run_request *req, struct prep *p, size_t i,
                      struct sbx_linux_report *rep, struct sbx_error *err)
{
    size_t room = p->max_ro - req->n_protect - p->n_ro;
    struct sbx_plants_opts o = {.root = p->ws[i].path, .allow_git = req->allow_git,
                                .allow_names = req->allow_names,
                                .n_allow_names = req->n_allow_names,
                                .max_found = room};
    if (inside_other(p, i))
        return 0;
    struct sbx_plants found;
    void *ctx[2] = {(void *)req, rep};
    if (room == 0) {
        char note[SBX_LINUX_NOTE_LEN];
        snprintf(note, sizeof note, "%.80s: not searched for files tools run (the other "
                 "workspaces took all %d read-only places)", o.root, SBX_PLANTS_MAX_FOUND);
        plant_note(note, ctx);
        return 0;
    }
    /* The last search's record, kept in the user's state directory (which
     * lies outside every workspace: checked above) when there is one
     * already: a run makes none (sbx cleanup removes what sbx made, and a
     * run without any setup leaves nothing behind). */
    char cache[PATH_MAX];
    bool cached;
    struct stat st;
    bool use_cache = p->state_existed && stat(req->state_dir, &st) == 0 && S_ISDIR(st.st_mode) &&
                     (size_t)snprintf(cache, sizeof cache, "%s/plants", req->state_dir) <
                         sizeof cache;
    int rc = sbx_plants_search(p->ws[i].fd, use_cache ? cache : NULL, &o, &found, &cached, err);
    if (rc < 0)
        return sbx_err_wrap(err, "workspace %s: the search for files tools run", o.root);
    sbx_plants_notes(&found, o.root, plant_note, ctx);
    for (size_t k = 0; k < found.n; k++) {
        struct sbx_pin *pin = &p->ro[p->n_ro];
        if ((size_t)snprintf(pin->path, sizeof pin->path, "%s/%s", o.root, found.v[k].rel) >=
            sizeof pin->path)
            continue; /* too long to be reached by name: PATH_MAX is the view's limit too */
        pin->fd = found.v[k].fd;
        found.v[k].fd = -1;
        pin->dev = found.v[k].dev;
        pin->ino = found.v[k].ino;
        p->ro_path[p->n_ro++] = pin->path;
    }
    sbx_plants_free(&found);
    return 0;
}

/* Empty placeholders at each workspace's root where a name of the deny
 * list (or .git, inside a repository) is absent, before any search (one
 * of a workspace inside another is found by the outer one's): the
 * searches bind them read-only like any existing name (placeholders.h).
 * Their records go to the state directory, made if missing and removed
 * again when the last run leaves nothing in it.  Without a state
 * directory, or when a name can't be placed, it is looked at after the
 * run instead. */
static int place_placeholders(const struct sbx_run_request *req, struct prep *p,
                              struct sbx_linux_report *rep, struct sbx_error *err)
{
    void *ctx[2] = {(void *)req, rep};
    char records[PATH_MAX];
    bool have = req->state_dir && req->state_dir[0] == '/' &&
                (size_t)snprintf(records, sizeof records, "%s/placeholders", req->state_dir) <
                    sizeof records;
    for (size_t i = 0; i < p->n_ws; i++) {
        struct sbx_plants_opts o = {.root = p->ws[i].path, .allow_git = req->allow_git,
                                    .allow_names = req->allow_names,
                                    .n_allow_names = req->n_allow_names};
        int rc = sbx_placeholders_begin(p->ws[i].fd, have ? records : NULL, &o, &p->ph[i],
                                        &p->absent[i], plant_note, ctx);
        if (rc < 0)
            return sbx_err_set(err, -rc, "workspace %s: placeholders: out of memory",
                               p->ws[i].path);
    }
    return 0;
}

/* After the run: each path kept read-only must still lead, without a
 * symlink, to the object that was bound.  The bind kept its name; a folder
 * on the way to it can still be renamed and rebuilt (plants.h), and what
 * stands there now is the command's: said, for the user to look at. */
static void check_kept(const struct sbx_run_request *req, const struct prep *p,
                       struct sbx_linux_report *rep)
{
    void *ctx[2] = {(void *)req, rep};
    size_t moved = 0;
    char note[SBX_LINUX_NOTE_LEN + 200];
    for (size_t i = 0; i < p->n_ro; i++)
        if (!sbx_plants_still_kept(p->ro[i].path, p->ro[i].dev, p->ro[i].ino) &&
            ++moved <= 3) {
            sbx_plants_moved_note(note, sizeof note, p->ro[i].path);
            plant_note(note, ctx);
        }
    if (moved > 3) {
        snprintf(note, sizeof note, "... and %zu more such paths", moved - 3);
        plant_note(note, ctx);
    }
}

/* The sandbox's cache (cache_env.h), writable like a workspace: the
 * directory the CLI made and recorded, owned by the caller, in sbx's state
 * directory (outside every workspace, checked above).  Pinned like the
 * workspaces: the command writes in it, but can't replace it (its parent
 * stays read-only). */
static int add_cache(const struct sbx_run_request *req, struct prep *p, struct sbx_error *err)
{
    if (!req->cache_dir || req->no_cache)
        return 0;
    struct sbx_pin *pin = &p->ws[p->n_rw];
    int rc = sbx_path_pin(req->cache_dir, SBX_PIN_DIR, getuid(), pin, err);
    struct stat st;
    if (rc == 0 && (fstat(pin->fd, &st) != 0 || st.st_uid != getuid()))
        rc = sbx_err_set(err, SBX_EPERM, "%s is not yours", pin->path);
    if (rc == 0 && within_any(p, pin->path))
        rc = sbx_err_set(err, SBX_EINVAL, "%s lies in a workspace", pin->path);
    if (rc == 0)
        rc = sbx_cache_env_build(pin->path, getenv("MAVEN_OPTS"), &p->cache_env, err);
    if (rc < 0) {
        sbx_pin_close(pin);
        return sbx_err_wrap(err, "the sandbox's cache (sbx run --no-cache runs without it)");
    }
    p->rw[p->n_rw++] = pin->path;
    return 0;
}

/* The private TMPDIR's mount point in sbx's state directory, when there is
 * one: <state>/tmp, an empty directory of the caller's made once and kept
 * (each run covers it with a tmpfs of its own in its own mount namespace,
 * so runs side by side don't meet there, and nothing reaches the disk).
 * Made and removed per run under /tmp instead, that was a directory made
 * and unmade on the disk at every command.  false: not usable (no state
 * directory, or not a plain directory of the caller's): a per-run one. */
static bool state_tmpdir(const struct sbx_run_request *req, struct prep *p, struct sbx_pin *pin)
{
    struct stat st, pinned;
    if (!p->state_existed ||
        (size_t)snprintf(p->tmpdir, sizeof p->tmpdir, "%s/tmp", req->state_dir) >=
            sizeof p->tmpdir)
        return false;
    if (mkdir(p->tmpdir, 0700) != 0 && errno != EEXIST)
        return false;
    struct sbx_error ignored = {0};
    if (lstat(p->tmpdir, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid() ||
        (st.st_mode & 077) || sbx_path_pin(p->tmpdir, SBX_PIN_DIR, getuid(), pin, &ignored) < 0)
        return false;
    if (fstat(pin->fd, &pinned) != 0 || pinned.st_dev != st.st_dev ||
        pinned.st_ino != st.st_ino) {
        sbx_pin_close(pin); /* replaced meanwhile, or reached through a link */
        return false;
    }
    return true;
}

static int prepare(const struct sbx_run_request *req, struct prep *p, struct sbx_linux_report *rep,
                   struct sbx_error *err)
{
    if (!req || req->n_workspaces == 0 || !req->workspaces)
        return sbx_err_set(err, SBX_EINVAL, "run: at least one workspace is needed");
    if (!req->argv || !req->argv[0] || !req->argv[0][0])
        return sbx_err_set(err, SBX_EINVAL, "run: no command given");
    /* --protect paths, then what the searches find (at most
     * SBX_PLANTS_MAX_FOUND over all workspaces: each is a mount and an fd). */
    size_t max_ro = req->n_protect + SBX_PLANTS_MAX_FOUND;
    p->max_ro = max_ro;
    /* + the cache and the TMPDIR */
    p->ws = calloc(req->n_workspaces + 2, sizeof *p->ws);
    p->ro = calloc(max_ro, sizeof *p->ro);
    p->rw = calloc(req->n_workspaces + 2, sizeof *p->rw);
    p->ro_path = calloc(max_ro, sizeof *p->ro_path);
    p->rw_fd = calloc(req->n_workspaces + 2, sizeof *p->rw_fd);
    p->absent = calloc(req->n_workspaces, sizeof *p->absent);
    p->ph = calloc(req->n_workspaces, sizeof *p->ph);
    /* No descriptor yet (prep_free closes what is >= 0: not stdin). */
    for (size_t i = 0; i < req->n_workspaces + 2; i++) {
        if (p->ws)
            p->ws[i].fd = -1;
        if (p->rw_fd)
            p->rw_fd[i] = -1;
    }
    /* The read-only places are set as they are taken (n_ro): the array is
     * a megabyte, and touching every entry here faulted in each page of it
     * on every run. */
    if (!p->ws || !p->ro || !p->rw || !p->ro_path || !p->rw_fd || !p->absent || !p->ph)
        return sbx_err_set(err, SBX_ENOMEM, "out of memory");

    /* Checked again here, whatever the caller did: this is the layer that
     * makes the paths writable, and the descriptors it checks are the
     * ones the sandbox is built from. */
    for (size_t i = 0; i < req->n_workspaces; i++) {
        int rc = sbx_path_pin(req->workspaces[i], SBX_PIN_WORKSPACE, getuid(), &p->ws[i], err);
        if (rc < 0) {
            if (err)
                err->code = SBX_EINVAL;
            return -SBX_EINVAL;
        }
        p->rw[p->n_ws] = p->ws[p->n_ws].path;
        p->n_ws++;
        p->n_rw = p->n_ws;
    }
    /* sbx's own state (ledgers, the plan journal) never where the command
     * writes: existing or not (protecting it only when it exists would let
     * the command make it first, with a ledger of its own). */
    const char *states[] = {req->state_dir, req->machine_state_dir};
    for (size_t i = 0; i < 2; i++) {
        int rc = sbx_state_outside_workspaces(states[i], p->rw, p->n_ws, err);
        if (rc < 0)
            return rc;
    }
    struct stat sst;
    p->state_existed = req->state_dir && req->state_dir[0] && stat(req->state_dir, &sst) == 0;
    int prc = place_placeholders(req, p, rep, err);
    if (prc < 0)
        return prc;
    for (size_t i = 0; i < p->n_ws; i++) {
        int rc = add_plants(req, p, i, rep, err);
        if (rc < 0)
            return rc;
        /* A .git symlink at the root: the search follows it within this
         * workspace only; where it leads into another one, that is
         * protected too (as before the search). */
        struct stat st;
        char git[PATH_MAX + 8];
        snprintf(git, sizeof git, "%s/.git", p->ws[i].path);
        if (!req->allow_git && p->n_ro < p->max_ro - req->n_protect &&
            fstatat(p->ws[i].fd, ".git", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode) &&
            (rc = add_protected(p, git, false, "git directory", err)) < 0)
            return rc;
    }
    for (size_t i = 0; i < req->n_protect; i++) {
        int rc = add_protected(p, req->protect[i], true, "protected path", err);
        if (rc < 0)
            return rc;
    }
    const char *cwd = req->cwd ? req->cwd : p->ws[0].path;
    if (!realpath(cwd, p->cwd))
        return sbx_err_sys(err, SBX_EINVAL, errno, "working directory %s", cwd);

    int rc = hide_credentials(req, p, err);
    if (rc < 0 || (rc = add_cache(req, p, err)) < 0)
        return rc;
    struct sbx_pin *tmp = &p->ws[p->n_rw];
    if (!state_tmpdir(req, p, tmp)) {
        rc = sbx_tmpdir_create(p->tmpdir, sizeof p->tmpdir, err);
        if (rc < 0)
            return rc;
        p->have_tmpdir = true;
        /* sbx's own, just made: pinned like the workspaces (a symlink
         * swapped in for it meanwhile would be refused by the reopen in
         * init). */
        if ((rc = sbx_path_pin(p->tmpdir, SBX_PIN_DIR, getuid(), tmp, err)) < 0)
            return sbx_err_wrap(err, "the private TMPDIR");
    }
    p->rw[p->n_rw++] = tmp->path;
    return 0;
}

int sbx_linux_run_ex(const struct sbx_run_request *req, struct sbx_linux_report *rep,
                     int *status, struct sbx_error *err)
{
    struct sbx_linux_report local;
    if (!rep)
        rep = &local;
    int dummy;
    if (!status)
        status = &dummy;
    *status = 125;
    int rc = sbx_linux_check(req ? req->net : false, rep, err);
    if (rc < 0)
        return rc;
    rep->n_check_notes = rep->n_notes;

    struct prep p = {0};
    rc = prepare(req, &p, rep, err);
    if (rc == 0) {
        struct sbx_runplan plan = {
            .argv = req->argv,
            .cwd = p.cwd,
            .tmpdir = p.tmpdir,
            .env_set = p.cache_env.v,
            .n_env_set = p.cache_env.n,
            .timeout_sec = req->timeout_sec,
            .max_pids = sbx_run_max_pids(req),
            .landlock_abi = rep->landlock_abi,
            .view = {.rw = p.rw, .n_rw = p.n_rw, .ro = p.ro_path, .n_ro = p.n_ro,
                     .rw_pin = p.ws, .ro_pin = p.ro, .rw_fd = p.rw_fd,
                     .shm_bytes = sbx_run_shm_bytes(req), .tmp_bytes = sbx_run_tmp_bytes(req),
                     .hide = p.hide_path, .hide_pin = p.hide, .n_hide = p.n_hide},
            .policy = {.rw = p.rw, .n_rw = p.n_rw, .rw_fd = p.rw_fd, .net = req->net,
                       .private_dev = true, .unix_allow = req->allow_unix,
                       .n_unix_allow = req->n_allow_unix},
        };
        /* --net allow=: TCP to the proxy's port only, in a namespace whose
         * loopback has nothing else (netns.h). */
        if (req->net_proxy_port) {
            plan.proxy_port = req->net_proxy_port;
            plan.proxy_sock = req->net_proxy_sock;
            plan.policy.net = false;
            plan.policy.tcp_ports = &req->net_proxy_port;
            plan.policy.n_tcp_ports = 1;
        }
        struct sbx_runresult res;
        rc = sbx_runner_run(&plan, &res, err);
        *status = res.status;
        rep->timed_out = res.timed_out;
        for (size_t i = 0; i < res.n_notes; i++)
            add_note(res.notes[i], rep);
        void *ctx[2] = {(void *)req, rep};
        for (size_t i = 0; i < p.n_ws; i++)
            sbx_plants_root_check(p.ws[i].fd, p.absent[i], p.ws[i].path, plant_note, ctx);
        check_kept(req, &p, rep);
        /* The run's namespace is gone: its mounts on them with it. */
        for (size_t i = 0; i < p.n_ws; i++) {
            sbx_placeholders_end(p.ph[i], plant_note, ctx);
            p.ph[i] = NULL;
        }
    }
    if (p.have_tmpdir) {
        struct sbx_error rm = {0};
        /* Only the empty mountpoint is on the disk (the command's files
         * were in the tmpfs, gone with the namespace); a tree is removed
         * all the same, should anything have reached it. */
        if (sbx_remove_tree(p.tmpdir, &rm) < 0) {
            char note[SBX_LINUX_NOTE_LEN];
            snprintf(note, sizeof note, "the temporary directory was not removed: %.150s", rm.msg);
            add_note(note, rep);
        }
    }
    prep_free(&p);
    return rc;
}

int sbx_linux_confine_self(const char *const *rw, size_t n_rw, bool net,
                           struct sbx_error *err)
{
    int abi = sbx_landlock_abi();
    struct sbx_policy pol = {.rw = rw, .n_rw = n_rw, .net = net, .private_dev = false};
    int rc = sbx_policy_apply(&pol, abi, err);
    if (rc < 0)
        sbx_err_wrap(err, "confine the launcher");
    return rc;
}
