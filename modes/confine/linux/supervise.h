/* SPDX-License-Identifier: MIT */
/* The supervisor: how sbx waits for the process tree that runs one confined
 * command, in both modes (one loop, so a fix to timeouts, signals or the pty
 * relay lands in both).
 *
 * The tree hangs from one child of sbx whose death takes the rest down: in
 * the unelevated mode the pid 1 of the sandbox's PID namespace (the kernel
 * kills the namespace when it exits), in the elevated mode the setuid
 * launcher (its PID namespace's init has PDEATHSIG).  So killing the tree
 * is SIGKILL to that child, in both.
 *
 * The loop reaps the child, kills the tree at the deadline, forwards
 * SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 to the child (which
 * passes them on to the command), copies the window size on SIGWINCH,
 * relays the command's stdio (stdio_relay.h: the pipes that stand for the
 * caller's fds 0-2, and the pty for those that are terminals), and drains
 * one more fd of the caller's (the report pipe the sandbox explains itself
 * on).  SIGPIPE is blocked meanwhile: a reader of the caller's that went
 * away is an EPIPE the relay handles, not the death of sbx. */
#ifndef SBX_MODES_CONFINE_LINUX_SUPERVISE_H
#define SBX_MODES_CONFINE_LINUX_SUPERVISE_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "modes/confine/linux/pty_relay.h"
#include "modes/confine/linux/stdio_relay.h"
#include "util/error.h"

struct sbx_sup {
    /* Set by sbx_sup_begin. */
    int sfd;                  /* signalfd for sbx_sup_signals, non-blocking */
    sigset_t old_mask;        /* the caller's mask, restored by sbx_sup_end */
    bool blocked;
    bool pipe_blocked;        /* SIGPIPE was blocked here (not by the caller) */

    /* Filled by the caller before sbx_supervise. */
    pid_t child;              /* the root of the tree */
    unsigned timeout_sec;     /* 0: none */
    struct sbx_pty *pty;      /* NULL: no terminal to relay */
    struct sbx_stdio *stdio;  /* NULL: the command's stdio is not relayed here */
    /* Once the child is reaped, the pty, the stdio pipes and extra_fd are
     * drained until their EOF (-1), or until they stay silent this long:
     * for a child whose death does not prove that nothing else holds them. */
    int linger_ms;
    int extra_fd;             /* -1: none */
    /* Called when extra_fd is readable (or hung up): read what is there;
     * return true at EOF, after which extra_fd is no longer polled. */
    bool (*on_extra)(void *ctx, int fd);
    void *ctx;

    /* Results. */
    bool reaped;
    int wstatus;              /* the child's wait status, once reaped */
    bool timed_out;           /* the deadline passed and the tree was killed */
};

/* The signals the supervisor handles: SIGCHLD, SIGWINCH and the forwarded
 * ones.  A child that reads them itself (the runner's init) uses the same
 * set. */
void sbx_sup_signals(sigset_t *set);

/* Before the fork: block the signals and SIGPIPE (none is lost between the
 * fork and the loop; the child inherits the mask and must undo or use it)
 * and open the signalfd.  Initialises *s (extra_fd -1, linger_ms -1).  On
 * failure nothing stays blocked. */
int sbx_sup_begin(struct sbx_sup *s, struct sbx_error *err);

/* Wait for the child and everything the loop serves; see the top.  0 when
 * the child was reaped and the fds are drained; a negative SBX_E* code
 * when the loop itself failed, after killing the tree and reaping. */
int sbx_supervise(struct sbx_sup *s, struct sbx_error *err);

/* Kill the tree and reap the child: after a failure between the fork and
 * the loop, so the tree doesn't run on unwatched. */
void sbx_sup_abort(struct sbx_sup *s);

/* Close the signalfd and restore the caller's signal mask, after taking
 * back a SIGPIPE the relay caused.  Idempotent. */
void sbx_sup_end(struct sbx_sup *s);

/* An exit status per DESIGN.md from a wait status: the exit code, 128+N
 * for a death by signal N, 125 for anything else. */
int sbx_sup_exit_status(int wstatus);

#endif
