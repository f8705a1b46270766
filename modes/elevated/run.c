/* SPDX-License-Identifier: MIT */
/* `sbx run` in elevated mode: start the command through the setuid
 * launcher and wait for it with the run-time's supervisor (supervise.h), as
 * the unelevated runner does: the launcher passes the command's exit status
 * (128+N for a signal) through, signals sbx receives are forwarded to it (it
 * forwards them into the sandbox), and on --timeout sbx kills the launcher,
 * whose death takes the sandbox's PID namespace down (status 124).  The
 * launcher reports why it refused on a pipe, which becomes sbx's error
 * message.  The launcher's stdio, and so the command's, are pipes sbx made
 * and relays (stdio_relay.h) and the run's pty for the caller's terminals:
 * the account's command never holds a descriptor of the caller's.  With
 * --net allow= the launcher also gets the socket to the caller's
 * allowlist proxy (sbx-netproxy, started by sbx as the caller before the
 * launcher) as fd 4, hands the proxy the listening socket of the run's
 * own network namespace through it, and closes it. */
#include <errno.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "modes/elevated/elevated.h"
#include "util/cleanup.h"
#include "modes/common/linux/launch_conf.h"
#include "modes/confine/linux/placeholders.h"
#include "modes/confine/linux/plants.h"
#include "modes/confine/linux/plants_cache.h"
#include "modes/confine/linux/pty_relay.h"
#include "modes/confine/linux/stdio_relay.h"
#include "modes/confine/linux/supervise.h"

extern char **environ;

#define MAX_ARGS 4096
/* The descriptors the launcher gets beside its stdio. */
#define REPORT_FD 3
#define PROXY_FD 4
#define SBX_ELEVATED_WATCH_MAX 32 /* workspaces looked at (the launcher takes 32) */

static int build_argv(const struct sbx_run_request *req, const char *launcher,
                      const char *account, bool tty, const char *pids, const char *tmp,
                      const char **av, struct sbx_error *err)
{
    size_t n = 0;
    av[n++] = launcher;
    av[n++] = "--account";
    av[n++] = account;
    av[n++] = "--report-fd";
    av[n++] = "3"; /* REPORT_FD */
    av[n++] = "--pids";
    av[n++] = pids;
    av[n++] = "--tmp";
    av[n++] = tmp;
    if (req->allow_git)
        av[n++] = "--allow-git";
    if (req->no_cache)
        av[n++] = "--no-cache";
    if (tty)
        av[n++] = "--tty";
    if (req->net_proxy_port) {
        av[n++] = "--net-proxy-fd";
        av[n++] = "4"; /* PROXY_FD */
    }
    /* The repeated options, one pair of slots per value (the launcher
     * takes at most SBX_LAUNCH_MAX_ARGS of each and says so). */
    const struct {
        const char *opt;
        const char *const *v;
        size_t n;
    } lists[] = {
        {"--protect", req->protect, req->n_protect},
        {"--hide", req->hide, req->n_hide},
        {"--allow-read", req->allow_read, req->n_allow_read},
        {"--allow-write-name", req->allow_names, req->n_allow_names},
        {"--allow-unix", req->allow_unix, req->n_allow_unix},
        {"--workspace", req->workspaces, req->n_workspaces},
    };
    for (size_t k = 0; k < sizeof lists / sizeof lists[0]; k++)
        for (size_t i = 0; i < lists[k].n; i++) {
            if (n >= MAX_ARGS - 8)
                return sbx_err_set(err, SBX_EINVAL, "run: too many options for the launcher");
            av[n++] = lists[k].opt;
            av[n++] = lists[k].v[i];
        }
    av[n++] = "--";
    for (size_t i = 0; req->argv[i]; i++) {
        if (n >= MAX_ARGS - 1)
            return sbx_err_set(err, SBX_EINVAL, "run: too many arguments");
        av[n++] = req->argv[i];
    }
    av[n] = NULL;
    return 0;
}

/* git refuses a repository that another user owns ("detected dubious
 * ownership"), and the account owns none of the caller's: not the
 * workspace roots, not a repository nested in one, not the repository a
 * workspace is a subfolder of.  So every repository is marked safe for
 * this command alone, in git's command scope (appended after any
 * GIT_CONFIG_COUNT entries of the caller's).  The check guards a user
 * from code another user's repository config would run as them; here the
 * one who runs it is the confined account, which can't write a .git of
 * the caller's (read-only binds) nor anything outside the workspaces.
 * (git before 2.46 has no "path/" prefix patterns: "*" is the one way.) */
static void git_safe_workspaces(void)
{
    const char *c = getenv("GIT_CONFIG_COUNT");
    char *end = NULL;
    unsigned long n = c && *c ? strtoul(c, &end, 10) : 0;
    if (c && *c && (*end || n > 10000))
        return; /* malformed: git says so itself; don't guess */
    char k[64], v[32];
    snprintf(k, sizeof k, "GIT_CONFIG_KEY_%lu", n);
    setenv(k, "safe.directory", 1);
    snprintf(k, sizeof k, "GIT_CONFIG_VALUE_%lu", n);
    setenv(k, "*", 1);
    snprintf(v, sizeof v, "%lu", n + 1);
    setenv("GIT_CONFIG_COUNT", v, 1);
}

/* fd (close-on-exec) at number to, open across exec: first out of the
 * way (F_DUPFD_CLOEXEC above both), so that no dup2 lands on a source
 * still needed, or on itself (which would keep its close-on-exec). */
static int fd_move(int fd, int floor)
{
    return fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, floor);
}

static _Noreturn void child(const struct sbx_run_request *req, const char *const *av,
                            int report_w, const struct sbx_stdio *io, int slave,
                            const sigset_t *old)
{
    sigprocmask(SIG_SETMASK, old, NULL);
    /* stdio: the pipes sbx relays, and the run's own pty in the slots of
     * the caller's terminals (the launcher makes it the command's
     * controlling terminal).  Before the report fd takes 3: the pty and
     * the pipes may sit there. */
    bool io_ok = sbx_stdio_install(io) == 0;
    for (int fd = 0; io_ok && fd < 3; fd++)
        io_ok = !(io->ttys & (1u << fd)) || dup2(slave, fd) == fd;
    int io_errno = errno;
    git_safe_workspaces();
    const char *cwd = req->cwd ? req->cwd : req->workspaces[0];
    /* The report pipe at REPORT_FD and the proxy's socket at PROXY_FD,
     * wherever they were. */
    int rep = fd_move(report_w, 10);
    int proxy = req->net_proxy_port ? fd_move(req->net_proxy_sock, 10) : -1;
    int out = rep >= 0 ? rep : report_w;
    char msg[PIPE_BUF];
    int n;
    if (!io_ok) {
        n = snprintf(msg, sizeof msg, "E%d give the launcher the run's stdio (pipes and "
                                      "pty): %s\n", SBX_EIO, strerror(io_errno));
    } else if (chdir(cwd) != 0) {
        n = snprintf(msg, sizeof msg, "E%d working directory %s: %s\n", SBX_EINVAL, cwd,
                     strerror(errno));
    } else if (rep < 0 || (req->net_proxy_port && proxy < 0) ||
               dup2(rep, REPORT_FD) != REPORT_FD ||
               (proxy >= 0 && dup2(proxy, PROXY_FD) != PROXY_FD)) {
        n = snprintf(msg, sizeof msg, "E%d dup2 (the launcher's descriptors): %s\n", SBX_EIO,
                     strerror(errno));
    } else {
        out = REPORT_FD;
        execve(av[0], (char *const *)av, environ);
        n = snprintf(msg, sizeof msg, "E%d cannot start the launcher %s: %s (is the elevated "
                                      "mode set up? run `sbx setup` as root)\n",
                     errno == ENOENT ? SBX_ENOENT : SBX_EPERM, av[0], strerror(errno));
    }
    if (write(out, msg, (size_t)n) < 0)
        _exit(125);
    _exit(125);
}

/* The launcher's report: 'E<code> msg' (refused, 125) or 'X<errno> msg'
 * (the command could not be executed). */
static int parse_report(const char *rep, int *status, struct sbx_error *err)
{
    if (!rep[0])
        return 0;
    char kind = rep[0];
    char *end;
    long code = strtol(rep + 1, &end, 10);
    const char *msg = *end == ' ' ? end + 1 : end;
    char text[SBX_ERR_MSG_MAX];
    snprintf(text, sizeof text, "%.*s", (int)strcspn(msg, "\n"), msg);
    if (kind == 'X') {
        *status = code == ENOENT ? 127 : 126;
        return sbx_err_set(err, code == ENOENT ? SBX_ENOENT : SBX_EPERM, "%s", text);
    }
    *status = 125;
    return sbx_err_set(err, code > 0 && code <= SBX_ESTATE ? (int)code : SBX_EIO,
                       "elevated mode: %s", text);
}

/* The launcher's report as it comes: one line (see parse_report). */
struct report {
    char text[SBX_ERR_MSG_MAX + 32];
    size_t len;
};

/* The supervisor's extra fd (non-blocking): read all that is there.  What
 * doesn't fit is read and dropped, so a full buffer can't keep the poll
 * busy.  True at EOF (or a read error: nothing more will come). */
static bool on_report(void *ctx, int fd)
{
    struct report *r = ctx;
    for (;;) {
        char drop[256];
        bool room = r->len < sizeof r->text - 1;
        char *dst = room ? r->text + r->len : drop;
        size_t cap = room ? sizeof r->text - 1 - r->len : sizeof drop;
        ssize_t n = read(fd, dst, cap);
        if (n > 0) {
            if (room) {
                r->len += (size_t)n;
                r->text[r->len] = '\0';
            }
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        return !(n < 0 && errno == EAGAIN);
    }
}

static void stdio_done(struct sbx_stdio *io)
{
    sbx_stdio_close(io, NULL);
}

/* What the command could plant at a workspace's root, where the launcher
 * can bind nothing (plants.h): an empty placeholder is made at each such
 * name before the launcher starts, by sbx as the caller (the workspace is
 * the caller's own), and the launcher's search binds it read-only like
 * any existing name (placeholders.h).  Here, not in the launcher: the
 * placeholders are removed after the run from the caller's mount
 * namespace, where they are no mount point (in the run's, where the
 * launcher's supervisor stays, an unlink is EBUSY), and under the lock of
 * the caller's records, shared with the unelevated mode's runs on the
 * same workspace.  A caller who runs the launcher by hand, without sbx,
 * only goes without its own protection: the launcher guards members and
 * the machine, which placeholders are not for.  A name that could not be
 * placed is looked at after the run, and what appeared is told. */
struct root_watch {
    int fd[SBX_ELEVATED_WATCH_MAX];
    const char *path[SBX_ELEVATED_WATCH_MAX];
    unsigned long absent[SBX_ELEVATED_WATCH_MAX]; /* and not placed */
    struct sbx_placeholders *ph[SBX_ELEVATED_WATCH_MAX];
    size_t n;
};

static void watch_end(struct root_watch *w, const struct sbx_run_request *req, bool ran)
{
    for (size_t i = 0; i < w->n; i++) {
        if (ran && req->note)
            sbx_plants_root_check(w->fd[i], w->absent[i], w->path[i], req->note,
                                  req->note_ctx);
        sbx_placeholders_end(w->ph[i], ran ? req->note : NULL, req->note_ctx);
        w->ph[i] = NULL;
        sbx_closep(&w->fd[i]);
    }
    w->n = 0;
}

/* The directory where the launcher keeps the caller's records of its
 * searches (plants_cache.h), made here, as the caller: the launcher only
 * uses it when it is there, the caller's alone.  Only inside the caller's
 * state directory when that exists (it holds their ledger once they have
 * a workspace): a run never makes the state directory itself, so it leaves
 * nothing in a home sbx has no ledger in (`sbx cleanup` removes it with
 * the state directory). */
static void plants_records_make(void)
{
    struct passwd *pw = getpwuid(getuid());
    char path[PATH_MAX];
    /* Not made (no state directory, say): the launcher searches in full. */
    if (pw && sbx_plants_records_path(pw->pw_dir, path, sizeof path) == 0)
        (void)mkdir(path, 0700);
}

static int watch_begin(struct root_watch *w, const struct sbx_run_request *req,
                       struct sbx_error *err)
{
    plants_records_make();
    struct sbx_plants_opts o = {.allow_git = req->allow_git, .allow_names = req->allow_names,
                                .n_allow_names = req->n_allow_names};
    char records[PATH_MAX];
    bool have = req->state_dir && req->state_dir[0] == '/' &&
                (size_t)snprintf(records, sizeof records, "%s/placeholders", req->state_dir) <
                    sizeof records;
    w->n = 0;
    for (size_t i = 0; i < req->n_workspaces && w->n < SBX_ELEVATED_WATCH_MAX; i++) {
        /* as the launcher will: no symlink on the way */
        struct sbx_error ignored = {0};
        int fd = sbx_open_nofollow(req->workspaces[i], O_PATH | O_DIRECTORY, &ignored);
        if (fd < 0)
            continue; /* the launcher says why it can't be a workspace */
        size_t k = w->n++;
        w->fd[k] = fd;
        w->path[k] = req->workspaces[i];
        w->ph[k] = NULL;
        o.root = w->path[k];
        int rc = sbx_placeholders_begin(fd, have ? records : NULL, &o, &w->ph[k], &w->absent[k],
                                        req->note, req->note_ctx);
        if (rc < 0) {
            watch_end(w, req, false);
            return sbx_err_set(err, -rc, "workspace %s: placeholders: out of memory",
                               req->workspaces[i]);
        }
    }
    return 0;
}

int sbx_elevated_run_ex(const struct sbx_run_request *req, const struct sbx_elevated_run_opts *o,
                        int *status, struct sbx_error *err)
{
    *status = 125;
    struct sbx_elevated_run_opts none = {0};
    if (!o)
        o = &none;
    if (!req || req->n_workspaces == 0 || !req->argv || !req->argv[0])
        return sbx_err_set(err, SBX_EINVAL, "run: a workspace and a command are needed");
    char launcher[PATH_MAX];
    int rc = 0;
    if (o->launcher)
        snprintf(launcher, sizeof launcher, "%s", o->launcher);
    else if ((rc = sbx_elevated_launcher_path(o->machine_state_dir, launcher, sizeof launcher,
                                              err)))
        return rc;
    const char *account = o->account ? o->account : req->net ? "online" : "offline";
    bool stdin_empty;
    unsigned ttys = sbx_pty_ttys(&stdin_empty);
    bool tty = ttys != 0;
    /* First: it makes sure 0-2 are open before any other fd is made.
     * Closed on every return; its result is taken at the end. */
    sbx_cleanup(stdio_done) struct sbx_stdio io;
    if ((rc = sbx_stdio_open(&io, ttys, stdin_empty, err)))
        return rc;
    sbx_autofd int master = -1;
    sbx_autofd int slave = -1;
    struct sbx_pty_term term;
    sbx_pty_term_get(ttys, &term);
    if (tty && (rc = sbx_pty_create(&term, &master, &slave, err)))
        return rc;
    sbx_autofree const char **av = calloc(MAX_ARGS, sizeof *av);
    if (!av)
        return sbx_err_set(err, SBX_ENOMEM, "out of memory for the launcher's arguments");
    char pids[16], tmp[24];
    snprintf(pids, sizeof pids, "%u", sbx_run_max_pids(req));
    snprintf(tmp, sizeof tmp, "%llu", sbx_run_tmp_bytes(req));
    if ((rc = build_argv(req, launcher, account, tty, pids, tmp, av, err)))
        return rc;
    int rp[2];
    if (pipe2(rp, O_CLOEXEC) != 0)
        return sbx_err_sys(err, SBX_EIO, errno, "pipe for the report of the launcher %s",
                           launcher);
    sbx_autofd int rep_r = rp[0];
    sbx_autofd int rep_w = rp[1];
    /* Non-blocking: on_report reads until the pipe is empty. */
    int fl = fcntl(rep_r, F_GETFL);
    if (fl < 0 || fcntl(rep_r, F_SETFL, fl | O_NONBLOCK) < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "make the launcher's report pipe non-blocking");

    struct root_watch watch;
    if ((rc = watch_begin(&watch, req, err)))
        return rc;
    struct sbx_sup s;
    if ((rc = sbx_sup_begin(&s, err))) {
        watch_end(&watch, req, false);
        return rc;
    }
    s.child = fork();
    if (s.child < 0) {
        rc = sbx_err_sys(err, SBX_EIO, errno, "fork to start the launcher %s", launcher);
        sbx_sup_end(&s);
        watch_end(&watch, req, false);
        return rc;
    }
    if (s.child == 0) {
        close(rep_r);
        child(req, av, rep_w, &io, slave, &s.old_mask);
    }
    sbx_closep(&rep_w);
    sbx_closep(&slave);
    sbx_stdio_parent(&io);
    struct sbx_pty pty = {.master = -1};
    if (tty && (rc = sbx_pty_init(&pty, sbx_steal_fd(&master), ttys, err)) == 0) {
        s.pty = &pty;
        rc = sbx_pty_make_raw(&pty, err);
        sbx_pty_sync_winsize(&pty);
    }
    struct report report = {.len = 0};
    if (rc == 0) {
        s.timeout_sec = req->timeout_sec;
        s.extra_fd = rep_r;
        s.on_extra = on_report;
        s.ctx = &report;
        s.stdio = &io;
        /* The launcher is not the namespace's init: reaping it doesn't
         * prove the sandbox gone (after a SIGKILL, init follows by
         * PDEATHSIG a moment later), so what the command wrote last is
         * taken while it keeps coming, not until an EOF sbx can't vouch
         * for. */
        s.linger_ms = 50;
        rc = sbx_supervise(&s, err);
    } else {
        /* Failed after the fork: the launcher must not run on unwatched. */
        sbx_sup_abort(&s);
    }
    if (rc == 0) {
        int st = sbx_sup_exit_status(s.wstatus);
        *status = s.timed_out ? 124 : st;
        if (!s.timed_out && (st == 125 || st == 126 || st == 127))
            rc = parse_report(report.text, status, err);
    }
    sbx_pty_close(&pty); /* restores the caller's terminal */
    sbx_sup_end(&s);
    watch_end(&watch, req, rc == 0);
    /* Output the command wrote that could not reach the caller: the run
     * failed to do its job, whatever the command's status. */
    struct sbx_error io_err = {0};
    if (sbx_stdio_close(&io, &io_err) < 0 && rc == 0) {
        *status = 125;
        rc = sbx_err_set(err, io_err.code, "%s", io_err.msg);
    }
    return rc;
}
