/* SPDX-License-Identifier: MIT */
/* The one supervisor loop; see supervise.h. */
#include "modes/confine/linux/supervise.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"

void sbx_sup_signals(sigset_t *set)
{
    sigemptyset(set);
    static const int sigs[] = {SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGQUIT,
                               SIGUSR1, SIGUSR2, SIGWINCH};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaddset(set, sigs[i]);
}

int sbx_sup_begin(struct sbx_sup *s, struct sbx_error *err)
{
    *s = (struct sbx_sup){.sfd = -1, .child = -1, .extra_fd = -1, .linger_ms = -1};
    sigset_t set, with_pipe;
    sbx_sup_signals(&set);
    /* SIGPIPE blocked, not in the signalfd: a write of the relay to a
     * reader of the caller's that is gone fails with EPIPE, which the
     * relay acts on (stdio_relay.h); the signal is taken back at the end
     * (sbx_sup_end).  Not ignored: an ignored signal stays ignored across
     * exec, a blocked one is unblocked by the command (runner.c) and by
     * the launcher's caller (elevated/run.c). */
    with_pipe = set;
    sigaddset(&with_pipe, SIGPIPE);
    if (sigprocmask(SIG_BLOCK, &with_pipe, &s->old_mask) < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "block the signals sbx forwards to the sandbox");
    s->blocked = true;
    s->pipe_blocked = !sigismember(&s->old_mask, SIGPIPE);
    s->sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (s->sfd < 0) {
        int e = errno;
        sbx_sup_end(s);
        return sbx_err_sys(err, SBX_EIO, e, "signalfd for the signals sbx forwards to the sandbox");
    }
    return 0;
}

void sbx_sup_end(struct sbx_sup *s)
{
    sbx_closep(&s->sfd);
    if (s->blocked) {
        if (s->pipe_blocked) {
            /* The relay's EPIPE was handled; its signal must not kill sbx
             * once unblocked. */
            sigset_t pipe;
            sigemptyset(&pipe);
            sigaddset(&pipe, SIGPIPE);
            struct timespec now = {0};
            while (sigtimedwait(&pipe, NULL, &now) == SIGPIPE)
                ;
            s->pipe_blocked = false;
        }
        /* Signals read from the signalfd are consumed; one that came after
         * the last read is delivered to sbx now, as if it had come later. */
        sigprocmask(SIG_SETMASK, &s->old_mask, NULL);
        s->blocked = false;
    }
}

int sbx_sup_exit_status(int wstatus)
{
    if (WIFEXITED(wstatus))
        return WEXITSTATUS(wstatus);
    if (WIFSIGNALED(wstatus))
        return 128 + WTERMSIG(wstatus);
    return 125;
}

void sbx_sup_abort(struct sbx_sup *s)
{
    if (s->child <= 0 || s->reaped)
        return;
    /* kill() can only fail with ESRCH here (our own child, already dead
     * and waiting to be reaped): the wait below is what matters. */
    kill(s->child, SIGKILL);
    while (waitpid(s->child, &s->wstatus, 0) < 0 && errno == EINTR)
        ;
    s->reaped = true;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Looked for on every turn, not only on SIGCHLD: cheap, and an exit can't
 * be missed whatever keeps the poll busy. */
static int reap(struct sbx_sup *s, struct sbx_error *err)
{
    if (s->reaped)
        return 0;
    pid_t p = waitpid(s->child, &s->wstatus, WNOHANG);
    if (p == s->child)
        s->reaped = true;
    else if (p < 0 && errno != EINTR)
        return sbx_err_sys(err, SBX_EIO, errno, "wait for the sandbox (process %d)",
                           (int)s->child);
    return 0;
}

static void on_signals(struct sbx_sup *s)
{
    struct signalfd_siginfo si;
    while (read(s->sfd, &si, sizeof si) == (ssize_t)sizeof si) {
        int sig = (int)si.ssi_signo;
        if (sig == SIGCHLD)
            continue; /* reap() looks at the top of the loop */
        if (sig == SIGWINCH) {
            /* The kernel signals the command when the pty's size changes;
             * without a pty the command shares the caller's terminal and
             * got its own SIGWINCH. */
            if (s->pty)
                sbx_pty_sync_winsize(s->pty);
        } else if (!s->reaped) {
            /* Once reaped the pid may belong to someone else.  ESRCH (dead,
             * not yet reaped) needs nothing. */
            kill(s->child, sig);
        }
    }
}

static int loop(struct sbx_sup *s, struct sbx_error *err)
{
    int64_t deadline = s->timeout_sec ? now_ms() + (int64_t)s->timeout_sec * 1000 : 0;
    bool extra_open = s->extra_fd >= 0;
    for (;;) {
        int rc = reap(s, err);
        if (rc < 0)
            return rc;
        bool pty_open = s->pty && !s->pty->master_eof;
        bool stdio_open = s->stdio && sbx_stdio_draining(s->stdio);
        if (s->reaped && !extra_open && !pty_open && !stdio_open)
            return 0;

        int timeout = -1;
        if (s->reaped) {
            timeout = s->linger_ms;
        } else if (deadline) {
            int64_t left = deadline - now_ms();
            if (left <= 0) {
                /* The child's death takes the tree down (supervise.h);
                 * the loop goes on until it is reaped and drained. */
                kill(s->child, SIGKILL);
                s->timed_out = true;
                deadline = 0;
                continue;
            }
            timeout = left > INT_MAX ? INT_MAX : (int)left;
        }

        struct pollfd pf[7];
        nfds_t n = 0;
        int x_i = -1, m_i = -1, in_i = -1, io_i[3] = {-1, -1, -1};
        pf[n++] = (struct pollfd){.fd = s->sfd, .events = POLLIN};
        if (extra_open) {
            x_i = (int)n;
            pf[n++] = (struct pollfd){.fd = s->extra_fd, .events = POLLIN};
        }
        if (pty_open) {
            /* Once the child is reaped the command is dead: only its last
             * output is still wanted, the caller's keystrokes stay theirs. */
            bool feed = !s->reaped;
            m_i = (int)n;
            pf[n++] = (struct pollfd){
                .fd = s->pty->master,
                .events = POLLIN | (feed && s->pty->in_len ? POLLOUT : 0)};
            if (feed && !s->pty->stdin_eof && s->pty->in_len < sizeof s->pty->in) {
                in_i = (int)n;
                pf[n++] = (struct pollfd){.fd = s->pty->in_fd, .events = POLLIN};
            }
        }
        /* Likewise the pipes: the command's output until its EOF, the
         * caller's input only while the command lives. */
        if (s->stdio)
            n = sbx_stdio_poll(s->stdio, pf, n, io_i, !s->reaped);

        int r = poll(pf, n, timeout);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return sbx_err_sys(err, SBX_EIO, errno,
                               "poll the signals, report pipe, stdio and terminal of the sandbox "
                               "(process %d)", (int)s->child);
        }
        if (r == 0 && s->reaped)
            return 0; /* silent for linger_ms: whatever holds them is not ours */
        if (pf[0].revents)
            on_signals(s);
        if (x_i >= 0 && pf[x_i].revents && s->on_extra(s->ctx, s->extra_fd))
            extra_open = false;
        rc = 0;
        if (m_i >= 0 && (pf[m_i].revents & POLLOUT))
            rc = sbx_pty_on_master_out(s->pty, err);
        if (rc == 0 && m_i >= 0 && (pf[m_i].revents & (POLLIN | POLLHUP | POLLERR)))
            rc = sbx_pty_on_master_in(s->pty, err);
        if (rc == 0 && in_i >= 0 && pf[in_i].revents)
            rc = sbx_pty_on_stdin(s->pty, err);
        if (rc < 0)
            return rc;
        if (s->stdio)
            sbx_stdio_step(s->stdio, pf, io_i);
    }
}

int sbx_supervise(struct sbx_sup *s, struct sbx_error *err)
{
    int rc = loop(s, err);
    if (rc < 0)
        sbx_sup_abort(s);
    return rc;
}
