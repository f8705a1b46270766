/* SPDX-License-Identifier: MIT */
#include "modes/confine/linux/pty_relay.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/cleanup.h"

unsigned sbx_pty_ttys(bool *stdin_empty)
{
    unsigned m = 0;
    for (int fd = 0; fd < 3; fd++)
        if (isatty(fd))
            m |= 1u << fd;
    pid_t fg = (m & 1) ? tcgetpgrp(0) : 0;
    /* -1: stdin is no controlling terminal of ours; nothing stops sbx
     * reading it then. */
    *stdin_empty = (m & 1) && fg > 0 && fg != getpgrp();
    if (*stdin_empty)
        m &= ~1u;
    return m;
}

static int first_tty(unsigned ttys)
{
    for (int fd = 0; fd < 3; fd++)
        if (ttys & (1u << fd))
            return fd;
    return -1;
}

void sbx_pty_term_get(unsigned ttys, struct sbx_pty_term *t)
{
    memset(t, 0, sizeof *t);
    int fd = first_tty(ttys);
    if (fd < 0)
        return;
    t->have_termios = tcgetattr(fd, &t->termios) == 0;
    t->have_winsize = ioctl(fd, TIOCGWINSZ, &t->winsize) == 0;
}

/* fd moved above 2 (close-on-exec): see sbx_pty_create. */
static int above_stdio(int fd)
{
    if (fd < 0 || fd > 2)
        return fd;
    int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    int e = errno;
    close(fd);
    errno = e;
    return moved;
}

int sbx_pty_create(const struct sbx_pty_term *term, int *master, int *slave,
                   struct sbx_error *err)
{
    *master = *slave = -1;
    sbx_autofd int m = above_stdio(posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (m < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "open /dev/ptmx");
    char name[128];
    if (grantpt(m) < 0 || unlockpt(m) < 0 || ptsname_r(m, name, sizeof name) != 0)
        return sbx_err_sys(err, SBX_EIO, errno, "set up pseudo-terminal");
    int s = above_stdio(open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (s < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "open %s", name);
    /* The caller's settings, as a terminal of its own would have them;
     * failing to copy leaves the pty's defaults, which work too. */
    if (term->have_termios)
        tcsetattr(s, TCSANOW, &term->termios);
    if (term->have_winsize)
        ioctl(m, TIOCSWINSZ, &term->winsize);
    *master = sbx_steal_fd(&m);
    *slave = s;
    return 0;
}

int sbx_pty_send_master(int sock, int master, struct sbx_error *err)
{
    char byte = 'm';
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } c;
    memset(&c, 0, sizeof c);
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.buf,
                         .msg_controllen = sizeof c.buf};
    struct cmsghdr *h = CMSG_FIRSTHDR(&msg);
    h->cmsg_level = SOL_SOCKET;
    h->cmsg_type = SCM_RIGHTS;
    h->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(h), &master, sizeof master);
    if (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "pass the pseudo-terminal to sbx");
    return 0;
}

int sbx_pty_recv_master(int sock, int *master, struct sbx_error *err)
{
    *master = -1;
    char byte;
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } c;
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.buf,
                         .msg_controllen = sizeof c.buf};
    ssize_t n;
    while ((n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
        ;
    if (n < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "receive the pseudo-terminal");
    if (n == 0)
        return 0;
    struct cmsghdr *h = CMSG_FIRSTHDR(&msg);
    if (!h || h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS ||
        h->cmsg_len != CMSG_LEN(sizeof(int)))
        return sbx_err_set(err, SBX_EIO, "receive the pseudo-terminal: no descriptor");
    memcpy(master, CMSG_DATA(h), sizeof *master);
    return 0;
}

int sbx_pty_init(struct sbx_pty *p, int master, unsigned ttys, struct sbx_error *err)
{
    memset(p, 0, sizeof *p);
    p->master = master;
    p->in_fd = ttys & 1 ? 0 : -1;
    p->out_fd = ttys & 2 ? 1 : ttys & 4 ? 2 : 0;
    p->term_fd = first_tty(ttys);
    p->stdin_eof = p->in_fd < 0;
    int fl = fcntl(master, F_GETFL);
    if (fl < 0 || fcntl(master, F_SETFL, fl | O_NONBLOCK) < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "make pty master non-blocking");
    return 0;
}

int sbx_pty_make_raw(struct sbx_pty *p, struct sbx_error *err)
{
    if (p->in_fd < 0)
        return 0;
    if (tcgetattr(p->in_fd, &p->saved) < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "tcgetattr on stdin");
    struct termios raw = p->saved;
    cfmakeraw(&raw);
    if (tcsetattr(p->in_fd, TCSADRAIN, &raw) < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "tcsetattr on stdin");
    p->raw = true;
    return 0;
}

void sbx_pty_sync_winsize(struct sbx_pty *p)
{
    struct winsize ws;
    if (p->master >= 0 && p->term_fd >= 0 && ioctl(p->term_fd, TIOCGWINSZ, &ws) == 0)
        ioctl(p->master, TIOCSWINSZ, &ws);
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

int sbx_pty_on_stdin(struct sbx_pty *p, struct sbx_error *err)
{
    if (p->in_len == sizeof p->in)
        return 0; /* full: wait for the command to read */
    ssize_t n = read(p->in_fd, p->in + p->in_len, sizeof p->in - p->in_len);
    if (n < 0) {
        if (errno == EINTR || errno == EAGAIN)
            return 0;
        if (errno == EIO) { /* the terminal went away */
            p->stdin_eof = true;
            return 0;
        }
        return sbx_err_sys(err, SBX_EIO, errno, "read stdin");
    }
    if (n == 0)
        p->stdin_eof = true;
    p->in_len += (size_t)n;
    return sbx_pty_on_master_out(p, err);
}

int sbx_pty_on_master_out(struct sbx_pty *p, struct sbx_error *err)
{
    (void)err;
    if (p->in_len == 0 || p->master_eof)
        return 0;
    ssize_t n = write(p->master, p->in, p->in_len);
    if (n < 0) {
        if (errno == EAGAIN || errno == EINTR)
            return 0;
        /* EIO: the command's side is closed; drop the input */
        p->in_len = 0;
        return 0;
    }
    memmove(p->in, p->in + n, p->in_len - (size_t)n);
    p->in_len -= (size_t)n;
    return 0;
}

int sbx_pty_on_master_in(struct sbx_pty *p, struct sbx_error *err)
{
    char buf[SBX_PTY_BUF];
    for (;;) {
        ssize_t n = read(p->master, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                return 0;
            /* EIO once no process holds the slave any more */
            p->master_eof = true;
            return 0;
        }
        if (n == 0) {
            p->master_eof = true;
            return 0;
        }
        if (write_all(p->out_fd, buf, (size_t)n) < 0)
            return sbx_err_sys(err, SBX_EIO, errno, "write the terminal (fd %d)", p->out_fd);
    }
}

void sbx_pty_close(struct sbx_pty *p)
{
    if (p->raw) {
        tcsetattr(p->in_fd, TCSADRAIN, &p->saved);
        p->raw = false;
    }
    sbx_closep(&p->master);
}
