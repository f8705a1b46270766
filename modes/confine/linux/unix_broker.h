/* SPDX-License-Identifier: MIT */
/* --allow-unix PATH: one host unix socket reachable from the sandbox, and
 * no other.
 *
 * The kernel offers no rule for that: connect() finds a path socket by its
 * inode, a read-only mount doesn't stop it, Landlock (up to ABI 7) has no
 * right for it, and seccomp can't read the address.  So the sandbox never
 * holds an unconnected unix socket of its own (seccomp: socket(AF_UNIX)
 * and connect() go to the broker; socketpair() makes stream and seqpacket
 * pairs only, which no connect() can re-target), and the broker, a process
 * of sbx's beside the command, does the rest:
 *   - socket(AF_UNIX, STREAM or SEQPACKET) gets an end of a socketpair
 *     whose other end is closed: a socket of the right type that is
 *     already connected, so the kernel refuses to connect it anywhere;
 *   - connect() to an allowed socket: the broker copies the address out of
 *     the command's memory once, decides on its copy, connects a new
 *     socket of its own through the fd it opened on the allowed socket when
 *     the run began (never through the command's path), and puts it in
 *     place of the command's fd (SECCOMP_IOCTL_NOTIF_ADDFD with SETFD);
 *   - connect() to any other unix address: EACCES;
 *   - connect() with any other family: the kernel does it (the flag
 *     CONTINUE).  That re-reads the address and the fd, which the command
 *     may have changed meanwhile, but whatever it finds, no unconnected
 *     unix socket exists in the sandbox for it to connect.
 * An allowed socket matches by the path the caller gave, where that path
 * led when opened, or by its inode (the broker stats the command's address
 * in the command's view: a symlink to it works).  A race can only change
 * the broker's yes or no, never where the connection goes.
 *
 * The broker lives in the command's Landlock domain (so it may read the
 * command's memory and fds, and the command may not read its), not under
 * the command's seccomp filter, non-dumpable.  In the unelevated mode it
 * is the caller and connects itself; in the elevated mode it is the
 * sandbox account and asks a connector, a process of the caller's that
 * the launcher starts, for each connection (an index: nothing else).
 *
 * Limits: datagram unix sockets are refused (an allowed datagram socket
 * too); the command can't listen on a unix socket (in-sandbox servers use
 * a socketpair or TCP); a socket connected through the broker is a real
 * unix socket, so what the allowed daemon passes over it (fds) arrives;
 * the allowed socket is the one that existed when the run began (a daemon
 * restarted since is not reached). */
#ifndef SBX_MODES_CONFINE_LINUX_UNIX_BROKER_H
#define SBX_MODES_CONFINE_LINUX_UNIX_BROKER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

/* sizeof sun_path: the command must be able to name the socket. */
#define SBX_UNIX_PATH_MAX 108
#define SBX_UNIX_MAX_ALLOW 32

struct sbx_unix_allow {
    char path[SBX_UNIX_PATH_MAX];  /* as the caller named it: absolute */
    char real[SBX_UNIX_PATH_MAX];  /* where it led when opened ("" if too long) */
    dev_t dev;
    ino_t ino;
    int fd;                        /* O_PATH on the socket; -1 where a connector holds it */
};

/* Check and open one --allow-unix path with the caller's identity (the
 * launcher switches fsuid first): absolute, short enough for a socket
 * address, an existing unix socket (symlinks followed).  Errors name the
 * path and say what is wrong with it. */
int sbx_unix_allow_open(const char *path, struct sbx_unix_allow *a, struct sbx_error *err);

/* Where the broker gets its connections: connector < 0, it connects itself
 * through allow[i].fd; else it asks the connector on that socket. */
struct sbx_unix_broker_conf {
    const struct sbx_unix_allow *allow;
    size_t n;
    int connector;
};

/* Start the broker (a grandchild of the caller, so that it is nobody's
 * child in the sandbox but init's).  *handoff: the socket on which
 * sbx_unix_broker_handoff passes it the seccomp listener.  Until then it
 * waits; when the handoff socket closes without one, it exits. */
int sbx_unix_broker_start(const struct sbx_unix_broker_conf *c, int *handoff,
                          struct sbx_error *err);

/* Pass the listener of the filter just loaded; closes both fds. */
int sbx_unix_broker_handoff(int handoff, int listener, struct sbx_error *err);

/* The elevated mode's connector, on its end of a SOCK_SEQPACKET pair with
 * the broker: for each request (an index into allow, a socket type) a new
 * socket connected through allow[i].fd, or the errno.  Exits when the
 * broker is gone. */
_Noreturn void sbx_unix_connector_serve(int sock, const struct sbx_unix_allow *allow, size_t n);

#endif
