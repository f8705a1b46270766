/* SPDX-License-Identifier: MIT */
/* The launcher's run (launch.h): the --allow-unix connector as the
 * caller, init in the new PID namespace (the account, Landlock and
 * seccomp, then the command), and the launcher's own wait for it. */
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

#include "modes/confine/linux/landlock.h"
#include "modes/confine/linux/policy.h"
#include "modes/confine/linux/seccomp_filter.h"
#include "modes/launcher/launch.h"
#include "util/cleanup.h"
#include "util/fds.h"

/* fork(), again for up to a second while the kernel says EAGAIN: the
 * account's process count (RLIMIT_NPROC, shared by every run on it) can
 * stand at its limit for the moment a finished run's processes take to be
 * reaped. */
static pid_t fork_patient(void)
{
    for (int tries = 0;; tries++) {
        pid_t pid = fork();
        if (pid >= 0 || errno != EAGAIN || tries == 200)
            return pid;
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

void start_connector(const struct launch *l, int sig_w, int cwd_fd)
{
    if (l->n_unix == 0)
        return;
    pid_t pid = fork_patient();
    if (pid < 0)
        die(l, 125, SBX_EIO, "fork the --allow-unix connector: %s", strerror(errno));
    if (pid > 0) {
        int st;
        while (waitpid(pid, &st, 0) < 0)
            if (errno != EINTR)
                die(l, 125, SBX_EIO, "wait for the --allow-unix connector: %s",
                    strerror(errno));
        /* the middle process exits with fork's errno when it failed */
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            die(l, 125, SBX_EIO, "fork the --allow-unix connector: %s",
                WIFEXITED(st) ? strerror(WEXITSTATUS(st)) : "killed");
        return;
    }
    pid = fork_patient();
    if (pid != 0)
        _exit(pid < 0 ? (errno > 0 && errno < 256 ? errno : EIO) : 0);
    /* nothing of the run's but its own end and the sockets: init must
     * see the launcher's end of the signal pipe close */
    close(sig_w);
    close(cwd_fd);
    close(l->unix_sock[0]);
    for (size_t i = 0; i < l->n_ws; i++)
        close(l->ws_fd[i]);
    if (l->home_fd >= 0)
        close(l->home_fd);
    if (l->report >= 0)
        close(l->report);
    uid_t r, e, s;
    struct sbx_error err = {0};
    if (setresgid(l->caller_gid, l->caller_gid, l->caller_gid) != 0 ||
        setresuid(l->caller, l->caller, l->caller) != 0 || getresuid(&r, &e, &s) != 0 ||
        r != l->caller || e != l->caller || s != l->caller ||
        (l->caller != 0 && setuid(0) == 0) || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 ||
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || sbx_seccomp_load_base(&err) != 0)
        _exit(125);
    sbx_unix_connector_serve(l->unix_sock[1], l->unix_allow, l->n_unix);
}

static int sigpipe_w = -1;

/* SIGCHLD must interrupt init's ppoll: an ignored signal would not. */
static void on_child(int sig)
{
    (void)sig;
}

static void forward(int sig)
{
    unsigned char b = (unsigned char)sig;
    int saved = errno;
    if (write(sigpipe_w, &b, 1) < 0) {
        /* init is gone: nothing to forward to */
    }
    errno = saved;
}

static const int fwd_sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

static int status_of(int ws)
{
    return WIFEXITED(ws) ? WEXITSTATUS(ws) : WIFSIGNALED(ws) ? 128 + WTERMSIG(ws) : 125;
}

/* The launcher after fork: the caller again, waiting for init. */
_Noreturn void supervise(const struct launch *l, pid_t init, int sig_w)
{
    become(l, l->caller, l->caller_gid, "the caller");
    sigpipe_w = sig_w;
    struct sigaction sa = {.sa_handler = forward};
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof fwd_sigs / sizeof fwd_sigs[0]; i++)
        sigaction(fwd_sigs[i], &sa, NULL);
    int ws;
    while (waitpid(init, &ws, 0) < 0)
        if (errno != EINTR)
            _exit(125);
    /* As the caller, in the run's view: each kept path still leads to what
     * was bound, or what stands there now is the command's (plants.h). */
    size_t moved = 0;
    for (size_t i = 0; i < l->n_kept; i++)
        if (!sbx_plants_still_kept(l->kept[i].path, l->kept[i].dev, l->kept[i].ino) &&
            ++moved <= 3) {
            char note[512];
            sbx_plants_moved_note(note, sizeof note, l->kept[i].path);
            launcher_note(note, NULL);
        }
    if (moved > 3)
        dprintf(2, "sbx-launch: warning: ... and %zu more such paths\n", moved - 3);
    _exit(status_of(ws));
}

/* The account's processes, as the account (so the hard limit can only
 * come down, never above what the caller had).  RLIMIT_NPROC counts the
 * account's processes and threads across the machine: every run of every
 * member on the same account shares this ceiling, which stops a fork bomb
 * well before the machine's pid_max. */
static void limit_processes(const struct launch *l)
{
    struct rlimit cur, lim;
    rlim_t want = (rlim_t)l->max_pids + 1; /* + init */
    if (getrlimit(RLIMIT_NPROC, &cur) == 0 && cur.rlim_max != RLIM_INFINITY &&
        cur.rlim_max < want)
        want = cur.rlim_max;
    lim.rlim_cur = lim.rlim_max = want;
    if (setrlimit(RLIMIT_NPROC, &lim) != 0)
        die(l, 125, SBX_EIO, "set RLIMIT_NPROC to %llu for %s: %s", (unsigned long long)want,
            l->target->name, strerror(errno));
}

/* pid 1 of the new namespace: the account, confined; runs the command. */
_Noreturn void run_init(struct launch *l, int sig_r, int cwd_fd)
{
    /* A /proc of this namespace: the command sees its own processes. */
    if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
        die(l, 125, SBX_EIO, "mount /proc: %s", strerror(errno));
    /* The allowed sockets stay with the connector: the account holds no fd
     * on them, only the broker's end of the connector's socket. */
    struct sbx_unix_remote remote = {.sock = l->unix_sock[0], .allow = l->unix_allow,
                                     .n = l->n_unix};
    if (l->n_unix > 0) {
        close(l->unix_sock[1]);
        for (size_t i = 0; i < l->n_unix; i++) {
            close(l->unix_allow[i].fd);
            l->unix_allow[i].fd = -1;
        }
    }
    become(l, l->target->uid, l->target->gid, l->target->name);
    /* Set after the switch: a credential change clears it. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
        die(l, 125, SBX_EIO, "prctl(PR_SET_PDEATHSIG) as %s: %s", l->target->name,
            strerror(errno));
    limit_processes(l);
    struct pollfd alive = {.fd = sig_r, .events = POLLIN};
    if (poll(&alive, 1, 0) == 1 && (alive.revents & (POLLHUP | POLLERR)))
        _exit(125);
    if (fchdir(cwd_fd) != 0)
        die(l, 125, SBX_EPERM, "%s cannot enter the current directory: %s", l->target->name,
            strerror(errno));
    close(cwd_fd);
    /* The rules from the fds checked (the workspaces' roots, the private
     * home), the names only for messages. */
    const char *rw[MAX_WS + 2];
    int rw_fd[MAX_WS + 2];
    char tmp[PATH_MAX], cache[PATH_MAX + 16];
    snprintf(tmp, sizeof tmp, "%s", l->target->home);
    snprintf(cache, sizeof cache, "%s/.cache", l->target->home);
    size_t n_rw = 0;
    for (size_t i = 0; i < l->n_ws; i++) {
        rw[n_rw] = l->ws[i];
        rw_fd[n_rw++] = l->ws_fd[i];
    }
    rw[n_rw] = tmp;
    rw_fd[n_rw++] = l->home_fd;
    if (l->cache_fd >= 0) {
        rw[n_rw] = cache;
        rw_fd[n_rw++] = l->cache_fd;
    }
    struct sbx_policy pol = {.rw = rw, .rw_fd = rw_fd, .n_rw = n_rw, .net = l->net,
                             .private_dev = false,
                             .tcp_ports = l->net ? NULL : l->conf.ports,
                             .n_tcp_ports = l->net ? 0 : l->conf.n_ports,
                             .unix_remote = l->n_unix > 0 ? &remote : NULL};
    /* --net allow=: TCP connect() to the proxy's port alone, in a namespace
     * where it is the one thing listening (launch_net.c); the loopback
     * ports of the host's namespace are not there to reach. */
    if (l->proxy_port) {
        pol.tcp_ports = &l->proxy_port;
        pol.n_tcp_ports = 1;
    }
    struct sbx_error err = {0};
    if (sbx_policy_apply(&pol, sbx_landlock_abi(), &err) != 0)
        die(l, 125, err.code, "confine the command: %s", err.msg);
    for (size_t i = 0; i < l->n_ws; i++)
        close(l->ws_fd[i]);
    close(l->home_fd);
    if (l->cache_fd >= 0)
        close(l->cache_fd);
    if (l->n_unix > 0)
        close(l->unix_sock[0]); /* the broker has it */

    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);
    pid_t cmd = fork();
    if (cmd < 0)
        die(l, 125, SBX_EIO, "fork: %s", strerror(errno));
    if (cmd == 0) {
        sigprocmask(SIG_SETMASK, &old, NULL);
        close(sig_r);
        /* A session of its own.  Its stdio are sbx's pipes and, with
         * --tty, the pty sbx made for this run alone in the slots of the
         * caller's terminals (sbx relays both): that pty becomes the
         * command's controlling terminal, for job control and /dev/tty,
         * as in the unelevated mode. */
        setsid();
        int term = -1;
        for (int fd = 0; l->tty && term < 0 && fd < 3; fd++)
            term = isatty(fd) ? fd : -1;
        if (term >= 0 && ioctl(term, TIOCSCTTY, 0) != 0)
            die(l, 125, SBX_EIO, "make the run's pty the controlling terminal: %s",
                strerror(errno));
        execvpe(l->argv[0], l->argv, l->envp);
        int e = errno;
        die(l, e == ENOENT ? 127 : 126, e, "%s: %s", l->argv[0], strerror(e));
    }
    if (l->report >= 0)
        close(l->report);
    /* Wait for the command; forward what the launcher passes on; die when
     * the launcher dies (EOF), which takes the namespace down. */
    struct sigaction sa = {.sa_handler = on_child};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_SETMASK, &chld, NULL);
    for (;;) {
        int ws;
        pid_t p;
        while ((p = waitpid(-1, &ws, WNOHANG)) > 0)
            if (p == cmd)
                _exit(status_of(ws));
        struct pollfd pf = {.fd = sig_r, .events = POLLIN};
        struct timespec ts = {.tv_sec = 1};
        int n = ppoll(&pf, 1, &ts, &old);
        if (n == 1) {
            unsigned char sig;
            ssize_t got = read(sig_r, &sig, 1);
            if (got == 1) {
                if (kill(-cmd, sig) != 0)
                    kill(cmd, sig);
            } else if (got == 0) {
                _exit(125);
            }
        }
    }
}
