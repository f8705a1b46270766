/* `sbx run` in elevated mode: start the command through the setuid
 * launcher and wait for it, as the unelevated runner does: the launcher
 * passes the command's exit status (128+N for a signal) through, signals
 * sbx receives are forwarded to it (it forwards them into the sandbox),
 * and on --timeout sbx kills the launcher, whose death takes the sandbox's
 * PID namespace down (status 124).  The launcher reports why it refused on
 * a pipe, which becomes sbx's error message. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "modes/elevated/elevated.h"
#include "util/cleanup.h"
#include "modes/confine/linux/pty_relay.h"

extern char **environ;

#define MAX_ARGS 4096

static const int handled[] = {SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGQUIT,
                              SIGUSR1, SIGUSR2, SIGWINCH};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int build_argv(const struct sbx_run_request *req, const char *launcher,
                      const char *account, bool tty, const char **av, struct sbx_error *err)
{
    size_t n = 0;
    av[n++] = launcher;
    av[n++] = "--account";
    av[n++] = account;
    av[n++] = "--report-fd";
    av[n++] = "3";
    if (req->allow_git)
        av[n++] = "--allow-git";
    if (tty)
        av[n++] = "--tty";
    for (size_t i = 0; i < req->n_protect && n < MAX_ARGS - 8; i++) {
        av[n++] = "--protect";
        av[n++] = req->protect[i];
    }
    for (size_t i = 0; i < req->n_workspaces && n < MAX_ARGS - 4; i++) {
        av[n++] = "--workspace";
        av[n++] = req->workspaces[i];
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
 * ownership"), and the account is not the workspaces' owner: each
 * workspace -- the caller's own, granted, as the launcher checks -- is
 * marked safe for this command alone, in git's command scope (appended
 * after any GIT_CONFIG_COUNT entries of the caller's). */
static void git_safe_workspaces(const struct sbx_run_request *req)
{
    const char *c = getenv("GIT_CONFIG_COUNT");
    char *end = NULL;
    unsigned long n = c && *c ? strtoul(c, &end, 10) : 0;
    if (c && *c && (*end || n > 10000))
        return; /* malformed: git says so itself; don't guess */
    char k[64], v[32];
    for (size_t i = 0; i < req->n_workspaces; i++, n++) {
        snprintf(k, sizeof k, "GIT_CONFIG_KEY_%lu", n);
        setenv(k, "safe.directory", 1);
        snprintf(k, sizeof k, "GIT_CONFIG_VALUE_%lu", n);
        setenv(k, req->workspaces[i], 1);
    }
    snprintf(v, sizeof v, "%lu", n);
    setenv("GIT_CONFIG_COUNT", v, 1);
}

static _Noreturn void child(const struct sbx_run_request *req, const char *const *av,
                            int report_w, int slave, const sigset_t *old)
{
    sigprocmask(SIG_SETMASK, old, NULL);
    /* The run's own pty as stdio (the launcher makes it the command's
     * controlling terminal). */
    if (slave >= 0 && (dup2(slave, 0) < 0 || dup2(slave, 1) < 0 || dup2(slave, 2) < 0))
        _exit(125);
    git_safe_workspaces(req);
    const char *cwd = req->cwd ? req->cwd : req->workspaces[0];
    char msg[PIPE_BUF];
    int n;
    if (chdir(cwd) != 0) {
        n = snprintf(msg, sizeof msg, "E%d working directory %s: %s\n", SBX_EINVAL, cwd,
                     strerror(errno));
    } else if (report_w != 3 && (dup2(report_w, 3) < 0 || fcntl(3, F_SETFD, 0) != 0)) {
        n = snprintf(msg, sizeof msg, "E%d dup2: %s\n", SBX_EIO, strerror(errno));
    } else {
        if (report_w == 3)
            fcntl(3, F_SETFD, 0);
        execve(av[0], (char *const *)av, environ);
        n = snprintf(msg, sizeof msg, "E%d cannot start the launcher %s: %s (is the elevated "
                                      "mode set up? run `sbx setup` as root)\n",
                     errno == ENOENT ? SBX_ENOENT : SBX_EPERM, av[0], strerror(errno));
    }
    if (write(report_w == 3 ? 3 : report_w, msg, (size_t)n) < 0)
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

struct waitstate {
    pid_t pid;
    int sfd, rep;
    struct sbx_pty *pty; /* NULL without a terminal */
    char report[SBX_ERR_MSG_MAX + 32];
    size_t rep_len;
    bool timed_out, exited;
    int wstatus;
};

static void drain_report(struct waitstate *w)
{
    while (w->rep >= 0 && w->rep_len < sizeof w->report - 1) {
        ssize_t n = read(w->rep, w->report + w->rep_len, sizeof w->report - 1 - w->rep_len);
        if (n <= 0)
            break;
        w->rep_len += (size_t)n;
    }
    w->report[w->rep_len] = '\0';
}

static int wait_launcher(struct waitstate *w, unsigned timeout_sec, struct sbx_error *err)
{
    long long deadline = timeout_sec ? now_ms() + (long long)timeout_sec * 1000 : 0;
    while (!w->exited) {
        int wait_ms = -1;
        if (deadline && !w->timed_out) {
            long long left = deadline - now_ms();
            wait_ms = left > 0 ? (int)(left < 1000 ? left : 1000) : 0;
        }
        struct pollfd pf[4];
        nfds_t n = 0;
        int rep_i = -1, m_i = -1, in_i = -1;
        pf[n++] = (struct pollfd){.fd = w->sfd, .events = POLLIN};
        if (w->rep >= 0) {
            rep_i = (int)n;
            pf[n++] = (struct pollfd){.fd = w->rep, .events = POLLIN};
        }
        if (w->pty && !w->pty->master_eof) {
            m_i = (int)n;
            pf[n++] = (struct pollfd){.fd = w->pty->master,
                                      .events = POLLIN | (w->pty->in_len ? POLLOUT : 0)};
            if (!w->pty->stdin_eof && w->pty->in_len < sizeof w->pty->in) {
                in_i = (int)n;
                pf[n++] = (struct pollfd){.fd = STDIN_FILENO, .events = POLLIN};
            }
        }
        /* With a pty, look for the launcher's exit now and then: its
         * SIGCHLD arrives, but output may keep the poll busy. */
        if (w->pty && (wait_ms < 0 || wait_ms > 200))
            wait_ms = 200;
        int r = poll(pf, n, wait_ms);
        if (r < 0 && errno != EINTR)
            return sbx_err_sys(err, SBX_EIO, errno, "poll");
        if (deadline && !w->timed_out && now_ms() >= deadline) {
            /* The launcher's death kills init (PDEATHSIG) and so every
             * process in the sandbox's PID namespace. */
            w->timed_out = true;
            kill(w->pid, SIGKILL);
        }
        if (r > 0 && rep_i >= 0 && (pf[rep_i].revents & (POLLIN | POLLHUP))) {
            size_t before = w->rep_len;
            drain_report(w);
            if (w->rep_len == before && (pf[rep_i].revents & POLLHUP)) {
                close(w->rep);
                w->rep = -1;
            }
        }
        if (r > 0 && (pf[0].revents & POLLIN)) {
            struct signalfd_siginfo si;
            while (read(w->sfd, &si, sizeof si) == sizeof si) {
                if (si.ssi_signo == SIGWINCH && w->pty)
                    sbx_pty_sync_winsize(w->pty);
                else if (si.ssi_signo != SIGCHLD && si.ssi_signo != SIGWINCH)
                    kill(w->pid, (int)si.ssi_signo);
            }
        }
        int rc = 0;
        if (r > 0 && m_i >= 0 && (pf[m_i].revents & POLLOUT))
            rc = sbx_pty_on_master_out(w->pty, err);
        if (rc == 0 && r > 0 && m_i >= 0 && (pf[m_i].revents & (POLLIN | POLLHUP | POLLERR)))
            rc = sbx_pty_on_master_in(w->pty, err);
        if (rc == 0 && r > 0 && in_i >= 0 && pf[in_i].revents)
            rc = sbx_pty_on_stdin(w->pty, err);
        if (rc < 0)
            return rc;
        pid_t p = waitpid(w->pid, &w->wstatus, WNOHANG);
        if (p == w->pid)
            w->exited = true;
    }
    drain_report(w);
    /* What the command wrote last is still in the pty. */
    while (w->pty && !w->pty->master_eof) {
        struct pollfd pf = {.fd = w->pty->master, .events = POLLIN};
        if (poll(&pf, 1, 50) <= 0 || sbx_pty_on_master_in(w->pty, err) < 0)
            break;
    }
    return 0;
}

/* A pty of the caller's for this run, its terminal settings and window
 * copied from the caller's terminal. */
static int open_pty(int *master, int *slave, struct sbx_error *err)
{
    *master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (*master < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "posix_openpt");
    char name[128];
    if (grantpt(*master) != 0 || unlockpt(*master) != 0 ||
        ptsname_r(*master, name, sizeof name) != 0) {
        int e = errno;
        close(*master);
        return sbx_err_sys(err, SBX_EIO, e, "preparing the pty");
    }
    *slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (*slave < 0) {
        int e = errno;
        close(*master);
        return sbx_err_sys(err, SBX_EIO, e, "open %s", name);
    }
    struct termios t;
    struct winsize ws;
    if (tcgetattr(STDIN_FILENO, &t) == 0)
        tcsetattr(*slave, TCSANOW, &t);
    if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
        ioctl(*slave, TIOCSWINSZ, &ws);
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
    int master = -1, slave = -1;
    struct sbx_pty pty = {.master = -1};
    bool tty = sbx_pty_wanted();
    if (tty && (rc = open_pty(&master, &slave, err)))
        return rc;
    const char **av = calloc(MAX_ARGS, sizeof *av);
    if (!av) {
        if (tty) {
            close(master);
            close(slave);
        }
        return sbx_err_set(err, SBX_ENOMEM, "out of memory");
    }
    if ((rc = build_argv(req, launcher, account, tty, av, err))) {
        free(av);
        if (tty) {
            close(master);
            close(slave);
        }
        return rc;
    }
    sigset_t set, old;
    sigemptyset(&set);
    for (size_t i = 0; i < sizeof handled / sizeof handled[0]; i++)
        sigaddset(&set, handled[i]);
    int rp[2] = {-1, -1};
    struct waitstate w = {.sfd = -1, .rep = -1};
    if (pipe2(rp, O_CLOEXEC) != 0) {
        free(av);
        return sbx_err_sys(err, SBX_EIO, errno, "pipe");
    }
    sigprocmask(SIG_BLOCK, &set, &old);
    w.sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (w.sfd < 0) {
        rc = sbx_err_sys(err, SBX_EIO, errno, "signalfd");
    } else if ((w.pid = fork()) < 0) {
        rc = sbx_err_sys(err, SBX_EIO, errno, "fork");
    } else if (w.pid == 0) {
        close(rp[0]);
        child(req, av, rp[1], slave, &old);
    }
    close(rp[1]);
    if (tty) {
        close(slave);
        if (rc == 0 && (rc = sbx_pty_init(&pty, master, err)) == 0) {
            w.pty = &pty;
            rc = sbx_pty_make_raw(&pty, err);
            sbx_pty_sync_winsize(&pty);
        } else {
            close(master);
        }
    }
    w.rep = rp[0];
    fcntl(w.rep, F_SETFL, O_NONBLOCK);
    if (rc == 0)
        rc = wait_launcher(&w, req->timeout_sec, err);
    else if (w.pid > 0) {
        /* Failed after the fork: the launcher must not run on unwatched. */
        kill(w.pid, SIGKILL);
        while (waitpid(w.pid, NULL, 0) < 0 && errno == EINTR) {
        }
    }
    if (rc == 0) {
        int st = WIFEXITED(w.wstatus)     ? WEXITSTATUS(w.wstatus)
                 : WIFSIGNALED(w.wstatus) ? 128 + WTERMSIG(w.wstatus)
                                          : 125;
        *status = w.timed_out ? 124 : st;
        if (!w.timed_out && (st == 125 || st == 126 || st == 127))
            rc = parse_report(w.report, status, err);
    }
    if (w.rep >= 0)
        close(w.rep);
    if (w.sfd >= 0)
        close(w.sfd);
    if (w.pty)
        sbx_pty_close(&pty); /* restores the caller's terminal */
    /* Signals that arrived meanwhile stay pending for sbx's own handling
     * only if they were pending before; drop the ones we consumed. */
    sigprocmask(SIG_SETMASK, &old, NULL);
    free(av);
    return rc;
}
