/* SPDX-License-Identifier: MIT */
/* The command's stdin, stdout and stderr: pipes of sbx's own, never the
 * caller's descriptors.
 *
 * A descriptor of the caller's is a handle on a host object (a file, a
 * directory, a device, a terminal, a socket).  Through it, or through
 * /proc/self/fd/N, which reopens the same object, fchmod, fchown, utimes
 * and extended attributes act on that object whatever Landlock and the
 * read-only view say: both judge paths and mounts, and a descriptor opened
 * before the sandbox existed carries the host's mount.  So the command
 * gets pipes that sbx made, and sbx -- outside, in its supervisor loop --
 * copies the caller's stdin into one and the other two out to the caller's
 * stdout and stderr (one pipe for both when they are the same open file,
 * as with 2>&1, so their order stays exact).  A terminal among 0-2 is
 * served by the run's own pty instead (pty_relay.h), and only that one.
 *
 * What stays exact: the bytes (splice(2) moves them between pipes and
 * files without copying them through sbx; read/write where the kernel
 * can't splice, e.g. an O_APPEND file); EOF both ways (the caller's EOF
 * closes the command's stdin, the command's last close ends the copy);
 * SIGPIPE (when the caller's reader is gone, sbx closes the command's
 * pipe, so the command's next write gets SIGPIPE or EPIPE as it would
 * have); and a regular file as stdin is left at the offset the command
 * read up to, so `while read ...; do sbx run ...; done < list` reads on
 * where it would have.  What changes: the command sees pipes, which it
 * can't seek, and from any other stdin (a pipe, a socket) sbx reads ahead
 * of the command, up to a pipe's worth, as ssh does. */
#ifndef SBX_MODES_CONFINE_LINUX_STDIO_RELAY_H
#define SBX_MODES_CONFINE_LINUX_STDIO_RELAY_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

/* The most one copy moves (a pipe holds 64 KiB by default). */
#define SBX_STDIO_CHUNK (1 << 20)
#define SBX_STDIO_BUF 65536

/* One direction: from -> to.  One of the two is sbx's end of a pipe (own),
 * the other the caller's descriptor (0, 1 or 2). */
struct sbx_relay {
    int from, to;
    int own;           /* sbx's pipe end (== from or to), closed when the copy ends */
    int caller_fd;     /* 0, 1 or 2: for messages */
    bool active;
    bool wait_out;     /* the last copy stalled on a full `to`: poll it for POLLOUT */
    bool no_splice;    /* splice refused these two: read/write through buf */
    int werr;          /* errno of a failed copy to the caller (EPIPE is not one) */
    /* stdin from a regular file: read at offset pos (the caller's own
     * offset untouched meanwhile), put back to start + what the command
     * consumed when the run ends */
    bool file;
    off_t start, pos;
    char *buf;         /* SBX_STDIO_BUF, allocated on the first read/write copy */
    size_t len, off;   /* bytes in buf, of which off are written */
};

struct sbx_stdio {
    unsigned ttys;     /* bit i: the caller's fd i is a terminal, the pty serves it */
    int child[3];      /* the command's ends, -1 for a terminal's slot */
    int in_probe;      /* file stdin: sbx keeps the read end to count what is unread */
    struct sbx_relay in, out, err;
};

/* Before the fork: make sure 0-2 are open (a closed one would be handed
 * out by pipe() and reach the command), then a pipe for each of the
 * caller's fds 0-2 not in ttys (sbx_pty_ttys); stdin_empty: the command's
 * stdin is a pipe at EOF, the caller's is not read.  The command's ends
 * are blocking and close-on-exec (sbx_stdio_install dup2s them onto 0-2);
 * sbx's are non-blocking.  On failure nothing stays open. */
int sbx_stdio_open(struct sbx_stdio *s, unsigned ttys, bool stdin_empty,
                   struct sbx_error *err);

/* In the child, before anything else of the caller's could be used: the
 * command's ends onto 0-2; a terminal's slot is closed (the pty's slave
 * takes it later).  -1 with errno on failure. */
int sbx_stdio_install(const struct sbx_stdio *s);

/* In sbx after the fork: close the command's ends. */
void sbx_stdio_parent(struct sbx_stdio *s);

/* The supervisor's poll: add the fds of the active copies to pf (at most
 * 3), idx[k] is where copy k (in, out, err) went or -1.  feed_stdin false
 * once the command is gone: the caller's input stays theirs. */
nfds_t sbx_stdio_poll(struct sbx_stdio *s, struct pollfd *pf, nfds_t n, int idx[3],
                      bool feed_stdin);

/* After the poll: one copy for each copy whose fd is ready.  Never fails:
 * what goes wrong ends that copy (see sbx_stdio_close). */
void sbx_stdio_step(struct sbx_stdio *s, const struct pollfd *pf, const int idx[3]);

/* Is output of the command still to come (its stdout or stderr open)? */
bool sbx_stdio_draining(const struct sbx_stdio *s);

/* After the loop: a regular file as stdin is put at the offset the command
 * read up to; sbx's ends are closed.  0, or -SBX_EIO naming the caller's
 * fd when the command's output could not be written there (the command
 * was told by a broken pipe; the caller must be told too). */
int sbx_stdio_close(struct sbx_stdio *s, struct sbx_error *err);

#endif
