/* SPDX-License-Identifier: MIT */
/* The supervisor (sbx), the sandbox's init and the command; see runner.h.
 *
 * The three talk over two pipes: a one-byte "go" from sbx once the id maps
 * are written, and fixed-size report messages from init and the command
 * (setup errors, exec failure, notes, the command's wait status).  Messages
 * are smaller than PIPE_BUF, so each write arrives whole. */
#include "modes/confine/linux/runner.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fds.h"
#include "modes/confine/linux/cgroup.h"
#include "modes/confine/linux/netns.h"
#include "modes/confine/linux/pty_relay.h"
#include "modes/confine/linux/stdio_relay.h"
#include "modes/confine/linux/supervise.h"

enum { MSG_ERROR = 1, MSG_EXEC = 2, MSG_NOTE = 3, MSG_STATUS = 4 };

struct msg {
    int32_t kind;
    int32_t code;   /* SBX_E* for MSG_ERROR */
    int32_t value;  /* errno for MSG_EXEC, wait status for MSG_STATUS */
    char text[SBX_ERR_MSG_MAX];
};
_Static_assert(sizeof(struct msg) <= PIPE_BUF, "report messages must be atomic");

static void send_msg(int fd, int kind, int code, int value, const char *text)
{
    struct msg m = {.kind = kind, .code = code, .value = value};
    if (text)
        snprintf(m.text, sizeof m.text, "%s", text);
    while (write(fd, &m, sizeof m) < 0 && errno == EINTR)
        ;
}

static _Noreturn void fail_child(int rep, const struct sbx_error *e)
{
    send_msg(rep, MSG_ERROR, e->code ? e->code : SBX_EIO, 0, e->msg);
    _exit(125);
}

static void note_to_pipe(const char *note, void *ctx)
{
    send_msg(*(const int *)ctx, MSG_NOTE, 0, 0, note);
}

/* --- the command ---------------------------------------------------------- */

static _Noreturn void command_main(const struct sbx_runplan *plan, int rep, int slave,
                                   unsigned ttys)
{
    struct sbx_error e = {0};
    /* A session of its own: no controlling terminal shared with sbx, so
     * TIOCSTI can't reach the caller's terminal. */
    if (setsid() < 0) {
        sbx_err_sys(&e, SBX_EIO, errno, "setsid");
        fail_child(rep, &e);
    }
    if (slave >= 0) {
        /* The pty in the slots of the caller's terminals only; the others
         * are the pipes init put there (slave is above 2: pty_relay.h). */
        bool ok = ioctl(slave, TIOCSCTTY, 0) == 0;
        for (int fd = 0; ok && fd < 3; fd++)
            ok = !(ttys & (1u << fd)) || dup2(slave, fd) == fd;
        if (!ok) {
            sbx_err_sys(&e, SBX_EIO, errno, "make the pseudo-terminal the command's terminal");
            fail_child(rep, &e);
        }
        close(slave);
    }
    /* Handlers are reset by exec; only the mask sbx blocked needs undoing. */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    if (chdir(plan->cwd) < 0) {
        sbx_err_sys(&e, SBX_EINVAL, errno, "working directory %s", plan->cwd);
        fail_child(rep, &e);
    }
    if (setenv("TMPDIR", plan->tmpdir, 1) < 0) {
        sbx_err_sys(&e, SBX_ENOMEM, errno, "setenv TMPDIR");
        fail_child(rep, &e);
    }
    /* putenv keeps the plan's strings, which live until exec. */
    for (size_t i = 0; i < plan->n_env_set; i++)
        if (putenv(plan->env_set[i]) != 0) {
            sbx_err_sys(&e, SBX_ENOMEM, errno, "export %.40s", plan->env_set[i]);
            fail_child(rep, &e);
        }
    if (sbx_policy_apply(&plan->policy, plan->landlock_abi, &e) < 0)
        fail_child(rep, &e);
    /* Everything but 0-2 goes at exec (the report pipe only then, so an
     * exec failure can still be reported). */
    if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
        sbx_err_sys(&e, SBX_EIO, errno, "close_range");
        fail_child(rep, &e);
    }
    execvp(plan->argv[0], plan->argv);
    int err = errno;
    send_msg(rep, MSG_EXEC, 0, err, plan->argv[0]);
    _exit(err == ENOENT ? 127 : 126);
}

/* --- init (pid 1 of the sandbox) ------------------------------------------ */

/* The process limit, for init and what it forks.  Set here, inside the
 * user namespace: since Linux 5.14 the kernel counts RLIMIT_NPROC per user
 * namespace and uid (ucounts), checking each level up to the host's, so
 * the count held to this limit is this run's processes and threads --
 * init, the command, its descendants -- and none of the caller's others.
 * (Set in sbx before the clone, it would also become the ceiling of the
 * caller's uid across the host.)  The hard limit too: raising it again
 * needs CAP_SYS_RESOURCE in the host's namespace.  The kernel exempts the
 * real root from RLIMIT_NPROC: a root caller's runs are bounded by the
 * pids cgroup alone (cgroup.h). */
static int limit_processes(unsigned max_pids, struct sbx_error *err)
{
    struct rlimit cur, lim;
    rlim_t want = (rlim_t)max_pids + 1; /* + init */
    /* A lower ceiling the caller already had stays. */
    if (getrlimit(RLIMIT_NPROC, &cur) == 0 && cur.rlim_max != RLIM_INFINITY &&
        cur.rlim_max < want)
        want = cur.rlim_max;
    lim.rlim_cur = lim.rlim_max = want;
    if (setrlimit(RLIMIT_NPROC, &lim) < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "set RLIMIT_NPROC to %llu in the sandbox",
                           (unsigned long long)want);
    return 0;
}

static _Noreturn void init_main(const struct sbx_runplan *plan, int rep, int go, int ptysock,
                                const struct sbx_stdio *io, const struct sbx_pty_term *term)
{
    struct sbx_error e = {0};
    /* Die with sbx; the "go" read below catches a sbx that died before
     * this line. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
        _exit(125); /* nothing to report through yet: sbx sees 125 */
    /* First of all, the caller's stdio goes: 0-2 become the pipes sbx
     * relays (the slots of terminals are closed until the pty's slave
     * takes them in the command). */
    if (sbx_stdio_install(io) < 0) {
        sbx_err_sys(&e, SBX_EIO, errno, "give the sandbox the pipes of its stdio");
        fail_child(rep, &e);
    }
    char b;
    if (read(go, &b, 1) != 1)
        _exit(125);
    int keep[] = {rep, ptysock, go, plan->proxy_port ? plan->proxy_sock : -1};
    /* init must not hold what the caller had open (a lock, the ledger)
     * for the whole run. */
    if (sbx_close_fds_except(3, keep, 4) < 0) {
        sbx_err_sys(&e, SBX_EIO, errno, "close the caller's descriptors (close_range)");
        fail_child(rep, &e);
    }
    /* --net allow=: the proxy's port on the namespace's loopback (netns.h). */
    if (plan->proxy_port) {
        if (sbx_netns_expose_proxy(plan->proxy_port, plan->proxy_sock, &e) < 0)
            fail_child(rep, &e);
        close(plan->proxy_sock);
    }
    /* The command runs with our uid: it must not be able to ptrace init
     * (which keeps its capabilities in the namespace). */
    if (prctl(PR_SET_DUMPABLE, 0) < 0) {
        sbx_err_sys(&e, SBX_EIO, errno, "prctl(PR_SET_DUMPABLE, 0) in the sandbox's init");
        fail_child(rep, &e);
    }

    int rep_fd = rep;
    if (sbx_view_build(&plan->view, note_to_pipe, &rep_fd, &e) < 0)
        fail_child(rep, &e);
    int slave = -1;
    if (ptysock >= 0) {
        int master;
        if (sbx_pty_create(term, &master, &slave, &e) < 0 ||
            sbx_pty_send_master(ptysock, master, &e) < 0)
            fail_child(rep, &e);
        close(master);
        close(ptysock);
    }
    if (limit_processes(plan->max_pids, &e) < 0)
        fail_child(rep, &e);

    /* sbx's supervisor signals, read the same way: already blocked, the
     * mask is inherited from sbx (sbx_sup_begin). */
    sigset_t set;
    sbx_sup_signals(&set);
    int sfd = signalfd(-1, &set, SFD_CLOEXEC);
    if (sfd < 0) {
        sbx_err_sys(&e, SBX_EIO, errno, "signalfd in the sandbox init");
        fail_child(rep, &e);
    }
    /* The second go: sbx has moved init into the run's pids cgroup (it
     * did so while init built the view), so what init forks is counted. */
    if (read(go, &b, 1) != 1)
        _exit(125);
    close(go);
    pid_t cmd = fork();
    if (cmd < 0) {
        sbx_err_sys(&e, SBX_EIO, errno, "fork the command");
        fail_child(rep, &e);
    }
    if (cmd == 0)
        command_main(plan, rep, slave, io->ttys);
    if (slave >= 0)
        close(slave);
    /* The command has its stdio: init lets go of its copies of the pipes,
     * so that the command closing its stdin is seen by sbx (EPIPE: it
     * stops reading the caller's input), as its closing stdout is.  (A
     * terminal's slot holds something else of init's by now.) */
    for (int fd = 0; fd < 3; fd++)
        if (io->child[fd] >= 0)
            close(fd);

    for (;;) {
        struct signalfd_siginfo si;
        ssize_t n = read(sfd, &si, sizeof si);
        if (n != (ssize_t)sizeof si) {
            if (n < 0 && errno == EINTR)
                continue;
            _exit(125);
        }
        if (si.ssi_signo != SIGCHLD) {
            /* Forward to the command's process group (its session). */
            if (kill(-cmd, (int)si.ssi_signo) < 0)
                kill(cmd, (int)si.ssi_signo);
            continue;
        }
        int ws;
        pid_t p;
        /* Reap every orphan re-parented to us; stop at the command. */
        while ((p = waitpid(-1, &ws, WNOHANG)) > 0) {
            if (p == cmd) {
                send_msg(rep, MSG_STATUS, 0, ws, NULL);
                /* Our exit kills whatever the command left running. */
                _exit(0);
            }
        }
    }
}

/* --- sbx: starts the sandbox, then the supervisor (supervise.h) ------------ */

/* The reports of init and the command, read by the supervisor as they
 * come (its extra fd). */
struct reports {
    struct sbx_runresult *res;
    bool got_status, got_error, got_exec;
    struct msg status, error, exec;
};

/* One message per call: each arrives whole (see the top); a short read
 * is the EOF of the pipe (init and the command are gone). */
static bool on_message(void *ctx, int fd)
{
    struct reports *r = ctx;
    struct sbx_runresult *res = r->res;
    struct msg m;
    ssize_t n = read(fd, &m, sizeof m);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return false;
    if (n != (ssize_t)sizeof m)
        return true;
    m.text[sizeof m.text - 1] = '\0';
    switch (m.kind) {
    case MSG_ERROR:
        if (!r->got_error)
            r->error = m;
        r->got_error = true;
        break;
    case MSG_EXEC:
        r->exec = m;
        r->got_exec = true;
        break;
    case MSG_STATUS:
        r->status = m;
        r->got_status = true;
        break;
    case MSG_NOTE:
        if (res->n_notes < SBX_RUN_MAX_NOTES) {
            /* Notes are short sentences; a longer one is cut. */
            size_t len = strnlen(m.text, SBX_RUN_NOTE_LEN - 1);
            memcpy(res->notes[res->n_notes], m.text, len);
            res->notes[res->n_notes++][len] = '\0';
        }
        break;
    }
    return false;
}

static int conclude(const struct sbx_sup *s, const struct reports *r,
                    const struct sbx_runplan *plan, struct sbx_runresult *res,
                    struct sbx_error *err)
{
    res->timed_out = s->timed_out;
    if (r->got_error) {
        res->status = 125;
        return sbx_err_set(err, r->error.code, "%s", r->error.text);
    }
    if (r->got_exec) {
        int e = r->exec.value;
        res->status = e == ENOENT ? 127 : 126;
        return sbx_err_sys(err, e == ENOENT ? SBX_ENOENT : SBX_EPERM, e,
                           "cannot run %s in the sandbox", plan->argv[0]);
    }
    if (res->timed_out) {
        /* timeout(1)'s convention: tells "killed by --timeout" apart from
         * a command that died of SIGKILL itself (137). */
        res->status = 124;
        return 0;
    }
    /* The command's own wait status, from init: init itself exits 0. */
    if (r->got_status) {
        res->status = sbx_sup_exit_status(r->status.value);
        return 0;
    }
    res->status = 125;
    if (WIFSIGNALED(s->wstatus))
        return sbx_err_set(err, SBX_EIO, "the sandbox was killed by signal %d before the "
                                         "command finished", WTERMSIG(s->wstatus));
    return sbx_err_set(err, SBX_EIO, "the sandbox exited with status %d without running "
                                     "the command", sbx_sup_exit_status(s->wstatus));
}

/* prefix + msg as a note; notes are short sentences, a longer one is cut. */
static void add_note(struct sbx_runresult *res, const char *prefix, const char *msg)
{
    if (res->n_notes >= SBX_RUN_MAX_NOTES)
        return;
    char *n = res->notes[res->n_notes++];
    size_t pl = strnlen(prefix, SBX_RUN_NOTE_LEN - 1);
    size_t ml = strnlen(msg, SBX_RUN_NOTE_LEN - 1 - pl);
    memcpy(n, prefix, pl);
    memcpy(n + pl, msg, ml);
    n[pl + ml] = '\0';
}

int sbx_runner_run(const struct sbx_runplan *plan, struct sbx_runresult *res,
                   struct sbx_error *err)
{
    memset(res, 0, sizeof *res);
    res->status = 125;

    struct sbx_pty pty = {.master = -1};
    bool stdin_empty;
    unsigned ttys = sbx_pty_ttys(&stdin_empty);
    bool use_pty = ttys != 0;
    struct sbx_pty_term term;
    sbx_pty_term_get(ttys, &term);
    int rc = 0;
    int rep[2] = {-1, -1}, go[2] = {-1, -1}, ptys[2] = {-1, -1};
    struct sbx_sup s;
    struct reports r = {.res = res};
    /* First: it makes sure 0-2 are open before any other fd is made. */
    struct sbx_stdio io;
    rc = sbx_stdio_open(&io, ttys, stdin_empty, err);
    if (rc < 0)
        return rc;
    /* Where the machine gives sbx a pids cgroup, the run gets one; else
     * RLIMIT_NPROC (init_main) bounds it, except for root. */
    struct sbx_cgroup cg;
    struct sbx_error cg_err = {0};
    if (sbx_cgroup_pids_create(&cg, (unsigned long)plan->max_pids + 1, &cg_err) < 0 &&
        getuid() == 0)
        add_note(res, "no process limit for this run (the kernel exempts root from "
                      "RLIMIT_NPROC): ", cg_err.msg);
    if (pipe2(rep, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0 ||
        (use_pty && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ptys) < 0)) {
        rc = sbx_err_sys(err, SBX_EIO, errno, "pipes between sbx and the sandbox");
        goto out_pipes;
    }
    /* Before the clone: init inherits the blocked mask and reads the same
     * signals from a signalfd of its own. */
    rc = sbx_sup_begin(&s, err);
    if (rc < 0)
        goto out_pipes;

    /* A raw clone (like fork, on the same stack) rather than unshare():
     * the child must be pid 1 of the new PID namespace itself.  An IPC
     * namespace of its own: SysV queues, semaphores and shared memory and
     * POSIX message queues are the machine's otherwise, shared with every
     * other process of the caller's and outliving the run. */
    unsigned long netns = plan->proxy_port ? CLONE_NEWNET : 0; /* --net allow= */
    pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID |
                                              CLONE_NEWIPC | netns | SIGCHLD,
                               NULL, NULL, NULL, NULL);
    if (pid < 0) {
        int e = errno;
        rc = sbx_err_sys(err, SBX_ENOTSUP, e,
                         "cannot create the sandbox's user, mount, PID and IPC namespaces (are "
                         "unprivileged user namespaces disabled? see sysctl "
                         "user.max_user_namespaces and kernel.unprivileged_userns_clone)");
        goto out_sup;
    }
    if (pid == 0)
        init_main(plan, rep[1], go[0], ptys[1], &io, &term);
    s.child = pid;

    sbx_closep(&rep[1]);
    sbx_closep(&go[0]);
    sbx_closep(&ptys[1]);
    sbx_stdio_parent(&io);

    /* Two goes: the first once the user namespace has its maps (init
     * builds the view), the second once init is in the pids cgroup (init
     * forks nothing before it).  Moving a process into a cgroup waits for
     * an RCU grace period, milliseconds on a VM: done while init works. */
    rc = sbx_userns_write_maps(pid, err);
    if (rc == 0 && write(go[1], "g", 1) != 1)
        rc = sbx_err_sys(err, SBX_EIO, errno, "start the sandbox (the go pipe)");
    if (rc == 0)
        rc = sbx_cgroup_add(&cg, pid, err);
    if (rc == 0 && write(go[1], "f", 1) != 1)
        rc = sbx_err_sys(err, SBX_EIO, errno, "start the sandbox (the go pipe)");
    sbx_closep(&go[1]);
    if (rc == 0 && use_pty) {
        int master;
        rc = sbx_pty_recv_master(ptys[0], &master, err);
        /* No master: the sandbox failed before, its report says why. */
        if (rc == 0 && master >= 0) {
            rc = sbx_pty_init(&pty, master, ttys, err);
            if (rc == 0)
                rc = sbx_pty_make_raw(&pty, err);
            s.pty = &pty;
        }
    }
    if (rc < 0) {
        sbx_sup_abort(&s);
        goto out_sup;
    }
    s.timeout_sec = plan->timeout_sec;
    s.extra_fd = rep[0];
    s.on_extra = on_message;
    s.ctx = &r;
    s.stdio = &io;
    /* linger_ms stays -1: init's death ends the PID namespace, so nothing
     * is left to hold the report pipe or the pty, and their EOF comes. */
    rc = sbx_supervise(&s, err);
    res->timed_out = s.timed_out;
    if (rc == 0)
        rc = conclude(&s, &r, plan, res, err);

out_sup:
    sbx_sup_end(&s);
out_pipes:
    for (int i = 0; i < 2; i++) {
        sbx_closep(&rep[i]);
        sbx_closep(&go[i]);
        sbx_closep(&ptys[i]);
    }
    sbx_pty_close(&pty);
    /* Output the command wrote that could not reach the caller: the run
     * failed to do its job, whatever the command's status. */
    struct sbx_error io_err = {0};
    if (sbx_stdio_close(&io, &io_err) < 0 && rc == 0) {
        if (err)
            *err = io_err;
        res->status = 125;
        rc = -io_err.code;
    }
    /* init is reaped (or was never started): the cgroup is empty. */
    if (sbx_cgroup_remove(&cg, &cg_err) < 0)
        add_note(res, "", cg_err.msg);
    return rc;
}
