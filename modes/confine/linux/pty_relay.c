#include "modes/confine/linux/pty_relay.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/cleanup.h"

bool sbx_pty_wanted(void)
{
    return isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
}

int sbx_pty_create(int *master, int *slave, struct sbx_error *err)
{
    *master = *slave = -1;
    sbx_autofd int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (m < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "open /dev/ptmx");
    char name[128];
    if (grantpt(m) < 0 || unlockpt(m) < 0 || ptsname_r(m, name, sizeof name) != 0)
        return sbx_err_sys(err, SBX_EIO, errno, "set up pseudo-terminal");
    int s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (s < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "open %s", name);
    struct termios t;
    if (tcgetattr(STDIN_FILENO, &t) == 0)
        tcsetattr(s, TCSANOW, &t);
    struct winsize ws;
    if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
        ioctl(m, TIOCSWINSZ, &ws);
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

int sbx_pty_init(struct sbx_pty *p, int master, struct sbx_error *err)
{
    memset(p, 0, sizeof *p);
    p->master = master;
    int fl = fcntl(master, F_GETFL);
    if (fl < 0 || fcntl(master, F_SETFL, fl | O_NONBLOCK) < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "make pty master non-blocking");
    return 0;
}

int sbx_pty_make_raw(struct sbx_pty *p, struct sbx_error *err)
{
    if (tcgetattr(STDIN_FILENO, &p->saved) < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "tcgetattr on stdin");
    struct termios raw = p->saved;
    cfmakeraw(&raw);
    if (tcsetattr(STDIN_FILENO, TCSADRAIN, &raw) < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "tcsetattr on stdin");
    p->raw = true;
    return 0;
}

void sbx_pty_sync_winsize(struct sbx_pty *p)
{
    struct winsize ws;
    if (p->master >= 0 && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
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
    ssize_t n = read(STDIN_FILENO, p->in + p->in_len, sizeof p->in - p->in_len);
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
        if (write_all(STDOUT_FILENO, buf, (size_t)n) < 0)
            return sbx_err_sys(err, SBX_EIO, errno, "write stdout");
    }
}

void sbx_pty_close(struct sbx_pty *p)
{
    if (p->raw) {
        tcsetattr(STDIN_FILENO, TCSADRAIN, &p->saved);
        p->raw = false;
    }
    sbx_closep(&p->master);
}
