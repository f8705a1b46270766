/* SPDX-License-Identifier: MIT */
/* The --allow-unix broker and the elevated mode's connector; see
 * unix_broker.h for the design and why it is exact. */
#include "modes/confine/linux/unix_broker.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "modes/confine/linux/seccomp_filter.h"
#include "util/cleanup.h"
#include "util/fds.h"

/* How long connecting to an allowed socket may take (a full backlog). */
#define CONNECT_TIMEOUT_SEC 10

static const char *kind_of(mode_t m)
{
    return S_ISDIR(m) ? "a directory" : S_ISREG(m) ? "a regular file" : S_ISFIFO(m) ? "a FIFO"
         : S_ISCHR(m) ? "a character device" : S_ISBLK(m) ? "a block device" : "something else";
}

int sbx_unix_allow_open(const char *path, struct sbx_unix_allow *a, struct sbx_error *err)
{
    memset(a, 0, sizeof *a);
    a->fd = -1;
    if (!path || path[0] != '/')
        return sbx_err_set(err, SBX_EINVAL,
                           "--allow-unix %s: give the socket's absolute path (the command "
                           "connects to it by that path)", path ? path : "(none)");
    size_t len = strlen(path);
    if (len >= SBX_UNIX_PATH_MAX)
        return sbx_err_set(err, SBX_EINVAL,
                           "--allow-unix %s: %zu bytes, longer than a unix socket address "
                           "holds (%d)", path, len, SBX_UNIX_PATH_MAX - 1);
    sbx_autofd int fd = open(path, O_PATH | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
        return sbx_err_sys(err, SBX_ENOENT, errno, "--allow-unix %s (is its daemon running?)",
                           path);
    if (fd < 0)
        return sbx_err_sys(err, SBX_EINVAL, errno, "--allow-unix %s", path);
    struct stat st;
    if (fstat(fd, &st) < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "--allow-unix %s: fstat", path);
    if (!S_ISSOCK(st.st_mode))
        return sbx_err_set(err, SBX_EINVAL, "--allow-unix %s is not a unix socket but %s", path,
                           kind_of(st.st_mode));
    /* connect() needs write permission on the socket: checked now, with
     * the real ids (the launcher's are the caller's), rather than at every
     * connection.  Kernels without faccessat2 (< 5.8) skip the check. */
    if (syscall(SYS_faccessat2, fd, "", W_OK, AT_EMPTY_PATH) < 0 && errno != ENOSYS &&
        errno != EINVAL)
        return sbx_err_sys(err, SBX_EPERM, errno,
                           "--allow-unix %s: you may not connect to this socket yourself", path);
    memcpy(a->path, path, len + 1);
    char link[64], real[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, real, sizeof real - 1);
    if (n > 0 && (size_t)n < sizeof a->real) {
        memcpy(a->real, real, (size_t)n);
        a->real[n] = '\0';
    }
    a->dev = st.st_dev;
    a->ino = st.st_ino;
    a->fd = fd;
    fd = -1;
    return 0;
}

/* --- fds over unix sockets ---------------------------------------------------- */

static int send_with_fd(int sock, const void *buf, size_t len, int fd)
{
    struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    if (fd >= 0) {
        memset(&u, 0, sizeof u);
        m.msg_control = u.buf;
        m.msg_controllen = sizeof u.buf;
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof fd);
    }
    ssize_t r;
    while ((r = sendmsg(sock, &m, MSG_NOSIGNAL)) < 0 && errno == EINTR)
        ;
    return r == (ssize_t)len ? 0 : -1;
}

/* One message into buf (its length, 0 at EOF, -1 on error); *fd receives
 * the fd it carried, or -1. */
static ssize_t recv_with_fd(int sock, void *buf, size_t len, int *fd)
{
    struct iovec iov = {.iov_base = buf, .iov_len = len};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                       .msg_controllen = sizeof u.buf};
    *fd = -1;
    ssize_t r;
    while ((r = recvmsg(sock, &m, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
        ;
    if (r < 0)
        return -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
            c->cmsg_len == CMSG_LEN(sizeof(int)))
            memcpy(fd, CMSG_DATA(c), sizeof *fd);
    return r;
}

/* A new unix socket of `type` connected through the O_PATH fd `pinned`:
 * the inode opened when the run began, whatever its path names now.  0 or
 * the errno. */
static int connect_pinned(int type, int pinned, int *out)
{
    *out = -1;
    int x = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
    if (x < 0)
        return errno;
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "/proc/self/fd/%d", pinned);
    struct timeval tv = {.tv_sec = CONNECT_TIMEOUT_SEC}, zero = {0};
    setsockopt(x, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int r;
    while ((r = connect(x, (struct sockaddr *)&a, sizeof a)) < 0 && errno == EINTR)
        ;
    int e = r < 0 ? (errno == EAGAIN ? ETIMEDOUT : errno) : 0;
    setsockopt(x, SOL_SOCKET, SO_SNDTIMEO, &zero, sizeof zero);
    if (e) {
        close(x);
        return e;
    }
    *out = x;
    return 0;
}

/* --- the connector (elevated mode) -------------------------------------------- */

struct conn_req {
    uint8_t index;
    uint8_t type;
};

_Noreturn void sbx_unix_connector_serve(int sock, const struct sbx_unix_allow *allow, size_t n)
{
    prctl(PR_SET_NAME, "sbx-unix-conn", 0, 0, 0);
    for (;;) {
        struct conn_req q;
        int stray;
        ssize_t r = recv_with_fd(sock, &q, sizeof q, &stray);
        if (stray >= 0)
            close(stray);
        if (r <= 0)
            _exit(0);
        int32_t e = 0;
        int x = -1;
        if (r != (ssize_t)sizeof q || q.index >= n || allow[q.index].fd < 0 ||
            (q.type != SOCK_STREAM && q.type != SOCK_SEQPACKET))
            e = EINVAL;
        else
            e = connect_pinned(q.type, allow[q.index].fd, &x);
        if (send_with_fd(sock, &e, sizeof e, x) < 0)
            _exit(0);
        if (x >= 0)
            close(x);
    }
}

static int ask_connector(int conn, size_t index, int type, int *out)
{
    *out = -1;
    struct conn_req q = {.index = (uint8_t)index, .type = (uint8_t)type};
    if (send_with_fd(conn, &q, sizeof q, -1) < 0)
        return ECONNREFUSED;
    int32_t e = 0;
    int fd;
    if (recv_with_fd(conn, &e, sizeof e, &fd) != (ssize_t)sizeof e) {
        if (fd >= 0)
            close(fd);
        return ECONNREFUSED;
    }
    if (e != 0 || fd < 0) {
        if (fd >= 0)
            close(fd);
        return e ? e : ECONNREFUSED;
    }
    *out = fd;
    return 0;
}

/* --- the broker ----------------------------------------------------------------- */

struct broker {
    const struct sbx_unix_broker_conf *c;
    int listener;
    struct seccomp_notif *req;
    struct seccomp_notif_resp *resp;
    size_t req_size; /* the kernel's, which may exceed this header's */
};

/* The notification buffers, as large as the running kernel's structures
 * (it refuses a receive buffer that is not zero over its own size).  The
 * kernel's interface directly, not libseccomp's: the broker is on every
 * run's path and libseccomp is otherwise not mapped by sbx. */
static int notif_alloc(struct broker *b)
{
    struct seccomp_notif_sizes sz;
    if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz) != 0)
        return -1;
    b->req_size = sz.seccomp_notif > sizeof *b->req ? sz.seccomp_notif : sizeof *b->req;
    size_t resp_size = sz.seccomp_notif_resp > sizeof *b->resp ? sz.seccomp_notif_resp
                                                               : sizeof *b->resp;
    b->req = calloc(1, b->req_size);
    b->resp = calloc(1, resp_size);
    return b->req && b->resp ? 0 : -1;
}

static void respond(struct broker *b, int64_t val, int error, uint32_t flags)
{
    b->resp->id = b->req->id;
    b->resp->val = val;
    b->resp->error = error;
    b->resp->flags = flags;
    /* ENOENT: the task is gone, or a signal interrupted its syscall (it
     * will ask again) */
    ioctl(b->listener, SECCOMP_IOCTL_NOTIF_SEND, b->resp);
}

static void let_kernel_do_it(struct broker *b)
{
    respond(b, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
}

/* socket(AF_UNIX, type, proto): a socketpair end whose peer is closed. */
static void on_socket(struct broker *b)
{
    int type = (int)b->req->data.args[1], proto = (int)b->req->data.args[2];
    int base = type & 0xf, flags = type & ~0xf;
    if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) {
        respond(b, 0, -EINVAL, 0);
        return;
    }
    if (base != SOCK_STREAM && base != SOCK_SEQPACKET) {
        /* a datagram socket reaches every bound datagram socket of the
         * host with sendto(), no connect() needed */
        respond(b, 0, -EACCES, 0);
        return;
    }
    if (proto != 0 && proto != PF_UNIX) {
        respond(b, 0, -EPROTONOSUPPORT, 0);
        return;
    }
    int sv[2];
    if (socketpair(AF_UNIX, base | SOCK_CLOEXEC, 0, sv) < 0) {
        respond(b, 0, -errno, 0);
        return;
    }
    close(sv[1]);
    if ((flags & SOCK_NONBLOCK) && fcntl(sv[0], F_SETFL, O_NONBLOCK) < 0) {
        int e = errno;
        close(sv[0]);
        respond(b, 0, -e, 0);
        return;
    }
    struct seccomp_notif_addfd add = {
        .id = b->req->id,
        .flags = SECCOMP_ADDFD_FLAG_SEND, /* installs it and answers, at once */
        .srcfd = (uint32_t)sv[0],
        .newfd_flags = (flags & SOCK_CLOEXEC) ? O_CLOEXEC : 0,
    };
    int r = ioctl(b->listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
    if (r < 0 && errno == EINVAL) {
        /* before Linux 5.14: install, then answer with its number */
        add.flags = 0;
        r = ioctl(b->listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
        if (r >= 0)
            respond(b, r, 0, 0);
    }
    int e = errno;
    close(sv[0]);
    if (r < 0 && e != ENOENT)
        respond(b, 0, -e, 0);
}

/* The thread group of a task (notifications name the thread). */
static pid_t tgid_of(pid_t tid)
{
    char path[64], line[128];
    snprintf(path, sizeof path, "/proc/%d/status", (int)tid);
    sbx_autoclose_file FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f)) {
        int v;
        if (sscanf(line, "Tgid: %d", &v) == 1)
            return v;
    }
    return -1;
}

/* Was fd close-on-exec in the command? (/proc/PID/fdinfo "flags:", octal) */
static bool fd_cloexec(pid_t tgid, int fd)
{
    char path[64], line[128];
    snprintf(path, sizeof path, "/proc/%d/fdinfo/%d", (int)tgid, fd);
    sbx_autoclose_file FILE *f = fopen(path, "re");
    if (!f)
        return true;
    while (fgets(line, sizeof line, f)) {
        unsigned v;
        if (sscanf(line, "flags: %o", &v) == 1)
            return (v & O_CLOEXEC) != 0;
    }
    return true;
}

/* Which allowed socket the command's address names, or -1: the path as
 * given, where it led, or (stat in the command's view, relative to its
 * current directory) the same inode.  Only a yes or no: the connection
 * goes through the broker's own fd whatever the path names by then. */
static int match(const struct broker *b, const char *name, pid_t tid)
{
    const struct sbx_unix_broker_conf *c = b->c;
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(name, c->allow[i].path) == 0 ||
            (c->allow[i].real[0] && strcmp(name, c->allow[i].real) == 0))
            return (int)i;
    struct stat st;
    int r;
    if (name[0] == '/') {
        r = stat(name, &st);
    } else {
        char cwd[64];
        snprintf(cwd, sizeof cwd, "/proc/%d/cwd", (int)tid);
        sbx_autofd int dir = open(cwd, O_PATH | O_DIRECTORY | O_CLOEXEC);
        r = dir < 0 ? -1 : fstatat(dir, name, &st, 0);
    }
    if (r < 0 || !S_ISSOCK(st.st_mode))
        return -1;
    for (size_t i = 0; i < c->n; i++)
        if (st.st_dev == c->allow[i].dev && st.st_ino == c->allow[i].ino)
            return (int)i;
    return -1;
}

/* connect(fd, addr, len) */
static void on_connect(struct broker *b)
{
    const struct seccomp_notif *q = b->req;
    int fd = (int)q->data.args[0];
    size_t len = (size_t)(uint32_t)q->data.args[2];
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    if (len > sizeof sa)
        len = sizeof sa;
    if (len < sizeof sa.sun_family) {
        let_kernel_do_it(b); /* EINVAL */
        return;
    }
    /* One copy, read once: every decision below is about this copy. */
    struct iovec local = {.iov_base = &sa, .iov_len = len};
    struct iovec remote = {.iov_base = (void *)(uintptr_t)q->data.args[1], .iov_len = len};
    if (process_vm_readv((pid_t)q->pid, &local, 1, &remote, 1, 0) != (ssize_t)len) {
        let_kernel_do_it(b); /* EFAULT, or a family the kernel handles */
        return;
    }
    /* the task that was asked about is still the one that asks */
    __u64 id = q->id;
    if (ioctl(b->listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) != 0)
        return;
    if (sa.sun_family != AF_UNIX) {
        /* IP (or nothing): the kernel connects what it finds at fd then,
         * and no unconnected unix socket exists in the sandbox */
        let_kernel_do_it(b);
        return;
    }
    size_t plen = len - offsetof(struct sockaddr_un, sun_path);
    if (plen == 0 || sa.sun_path[0] == '\0') {
        respond(b, 0, -EACCES, 0); /* unnamed or abstract */
        return;
    }
    char name[sizeof sa.sun_path + 1];
    size_t nlen = strnlen(sa.sun_path, plen);
    memcpy(name, sa.sun_path, nlen);
    name[nlen] = '\0';
    int i = match(b, name, (pid_t)q->pid);
    if (i < 0) {
        respond(b, 0, -EACCES, 0);
        return;
    }
    /* The command's socket, to learn its type and flags (a copy of the
     * fd: what is at that number may change, but only this copy is read,
     * and only the number is replaced). */
    pid_t tgid = tgid_of((pid_t)q->pid);
    sbx_autofd int pidfd = tgid > 0 ? (int)syscall(SYS_pidfd_open, tgid, 0) : -1;
    sbx_autofd int s = pidfd >= 0 ? (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0) : -1;
    if (s < 0) {
        respond(b, 0, -(errno ? errno : EBADF), 0);
        return;
    }
    int dom = 0, type = 0;
    socklen_t ol = sizeof dom;
    if (getsockopt(s, SOL_SOCKET, SO_DOMAIN, &dom, &ol) < 0) {
        respond(b, 0, -ENOTSOCK, 0);
        return;
    }
    ol = sizeof type;
    if (dom != AF_UNIX || getsockopt(s, SOL_SOCKET, SO_TYPE, &type, &ol) < 0) {
        respond(b, 0, -EAFNOSUPPORT, 0);
        return;
    }
    if (type != SOCK_STREAM && type != SOCK_SEQPACKET) {
        respond(b, 0, -EACCES, 0);
        return;
    }
    /* Connected to a named socket already (one the broker connected
     * before): what the kernel would say. */
    struct sockaddr_un peer;
    socklen_t pl = sizeof peer;
    if (getpeername(s, (struct sockaddr *)&peer, &pl) == 0 &&
        pl > offsetof(struct sockaddr_un, sun_path)) {
        respond(b, 0, -EISCONN, 0);
        return;
    }
    int fl = fcntl(s, F_GETFL);
    bool cloexec = fd_cloexec(tgid, fd);
    int x = -1;
    int e = b->c->connector >= 0 ? ask_connector(b->c->connector, (size_t)i, type, &x)
                                 : connect_pinned(type, b->c->allow[i].fd, &x);
    if (e == 0 && fl >= 0 && (fl & O_NONBLOCK) && fcntl(x, F_SETFL, O_NONBLOCK) < 0)
        e = errno;
    if (e) {
        if (x >= 0)
            close(x);
        respond(b, 0, -e, 0);
        return;
    }
    struct seccomp_notif_addfd add = {
        .id = q->id,
        .flags = SECCOMP_ADDFD_FLAG_SETFD,
        .srcfd = (uint32_t)x,
        .newfd = (uint32_t)fd,
        .newfd_flags = cloexec ? O_CLOEXEC : 0,
    };
    int r = ioctl(b->listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
    e = errno;
    close(x);
    if (r < 0) {
        if (e != ENOENT)
            respond(b, 0, -e, 0);
        return;
    }
    respond(b, 0, 0, 0);
}

static _Noreturn void serve(const struct sbx_unix_broker_conf *c, int listener)
{
    struct broker b = {.c = c, .listener = listener};
    if (notif_alloc(&b) != 0)
        _exit(1);
    for (;;) {
        struct pollfd pf = {.fd = listener, .events = POLLIN};
        if (poll(&pf, 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            _exit(1);
        }
        if (!(pf.revents & POLLIN)) {
            /* POLLHUP: no task is left under the filter */
            if (pf.revents & (POLLHUP | POLLERR | POLLNVAL))
                _exit(0);
            continue;
        }
        memset(b.req, 0, b.req_size);
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, b.req) != 0)
            continue; /* the task died meanwhile */
        errno = 0;
        if (b.req->data.nr == SYS_socket)
            on_socket(&b);
        else if (b.req->data.nr == SYS_connect)
            on_connect(&b);
        else
            respond(&b, 0, -EPERM, 0);
    }
}

static _Noreturn void broker_main(const struct sbx_unix_broker_conf *c, int sock)
{
    prctl(PR_SET_NAME, "sbx-unix-broker", 0, 0, 0);
    /* The command shares our uid and Landlock domain: non-dumpable, so it
     * can't read or write our memory or take our fds. */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
        _exit(1);
    int keep[SBX_UNIX_MAX_ALLOW + 2];
    size_t n = 0;
    keep[n++] = sock;
    keep[n++] = c->connector;
    for (size_t i = 0; i < c->n && i < SBX_UNIX_MAX_ALLOW; i++)
        keep[n++] = c->allow[i].fd;
    if (sbx_close_fds_except(0, keep, n) < 0)
        _exit(1);
    struct sbx_error e = {0};
    if (sbx_seccomp_load_base(&e) < 0)
        _exit(1);
    char b;
    int listener;
    ssize_t r = recv_with_fd(sock, &b, 1, &listener);
    close(sock);
    if (r != 1 || listener < 0)
        _exit(0); /* the command failed before its filter: nothing to serve */
    serve(c, listener);
}

int sbx_unix_broker_start(const struct sbx_unix_broker_conf *c, int *handoff,
                          struct sbx_error *err)
{
    *handoff = -1;
    if (c->n == 0 || c->n > SBX_UNIX_MAX_ALLOW)
        return sbx_err_set(err, SBX_EINVAL, "--allow-unix: 1 to %d sockets, not %zu",
                           SBX_UNIX_MAX_ALLOW, c->n);
    int sp[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "socketpair for the --allow-unix broker");
    pid_t mid = fork();
    if (mid < 0) {
        int e = errno;
        close(sp[0]);
        close(sp[1]);
        return sbx_err_sys(err, SBX_EIO, e, "fork the --allow-unix broker");
    }
    if (mid == 0) {
        close(sp[0]);
        pid_t pid = fork();
        if (pid != 0)
            _exit(pid < 0 ? 1 : 0);
        broker_main(c, sp[1]);
    }
    close(sp[1]);
    int st = 0;
    pid_t w;
    while ((w = waitpid(mid, &st, 0)) < 0 && errno == EINTR)
        ;
    if (w != mid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        close(sp[0]);
        return sbx_err_set(err, SBX_EIO, "fork the --allow-unix broker: it did not start");
    }
    *handoff = sp[0];
    return 0;
}

int sbx_unix_broker_handoff(int handoff, int listener, struct sbx_error *err)
{
    int rc = send_with_fd(handoff, "l", 1, listener) < 0
                 ? sbx_err_sys(err, SBX_EIO, errno, "pass the seccomp listener to the "
                                                    "--allow-unix broker")
                 : 0;
    close(handoff);
    close(listener);
    return rc;
}
