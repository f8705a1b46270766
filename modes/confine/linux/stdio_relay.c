/* SPDX-License-Identifier: MIT */
/* The stdio relay; see stdio_relay.h. */
#include "modes/confine/linux/stdio_relay.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"

static const char *const stream_name[] = {"standard input", "standard output",
                                          "standard error"};

static void relay_init(struct sbx_relay *r, int caller_fd)
{
    *r = (struct sbx_relay){.from = -1, .to = -1, .own = -1, .caller_fd = caller_fd};
}

/* 0-2 closed in sbx would let pipe() hand out fd 0..2, and a pipe end
 * meant for sbx would become the command's stdio. */
static void ensure_std_fds(void)
{
    for (int fd = 0; fd < 3; fd++)
        if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
            int n = open("/dev/null", O_RDWR | O_CLOEXEC);
            if (n >= 0 && n != fd)
                close(n);
            else if (n == fd)
                fcntl(fd, F_SETFD, 0);
        }
}

/* Are the caller's fds a and b one open file (2>&1)?  Then one pipe serves
 * both, and what the command writes to either keeps its order. */
static bool same_open_file(int a, int b)
{
    pid_t me = getpid();
    long r = syscall(SYS_kcmp, me, me, KCMP_FILE, a, b);
    if (r >= 0)
        return r == 0;
    /* No kcmp in this kernel: a pipe or a socket is one stream whichever
     * open file writes to it; anything else is kept apart. */
    struct stat x, y;
    return fstat(a, &x) == 0 && fstat(b, &y) == 0 &&
           (S_ISFIFO(x.st_mode) || S_ISSOCK(x.st_mode)) && x.st_dev == y.st_dev &&
           x.st_ino == y.st_ino;
}

static int set_nonblock(int fd, int caller_fd, struct sbx_error *err)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "make sbx's end of the command's %s pipe "
                                                "non-blocking", stream_name[caller_fd]);
    return 0;
}

static int open_in(struct sbx_stdio *s, struct sbx_error *err)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "pipe for the command's standard input");
    s->child[0] = p[0];
    struct sbx_relay *r = &s->in;
    r->from = 0;
    r->to = r->own = p[1];
    r->active = true;
    struct stat st;
    off_t at;
    /* A regular file is read at an offset of sbx's own, so the caller's
     * offset can be put where the command stopped (sbx_stdio_close). */
    if (fstat(0, &st) == 0 && S_ISREG(st.st_mode) && (at = lseek(0, 0, SEEK_CUR)) >= 0) {
        r->file = true;
        r->start = r->pos = at;
    }
    return set_nonblock(r->own, 0, err);
}

static int open_out(struct sbx_stdio *s, struct sbx_relay *r, int fd, struct sbx_error *err)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "pipe for the command's %s", stream_name[fd]);
    s->child[fd] = p[1];
    r->from = r->own = p[0];
    r->to = fd;
    r->active = true;
    return set_nonblock(r->own, fd, err);
}

static void close_children(struct sbx_stdio *s)
{
    if (s->child[2] == s->child[1])
        s->child[2] = -1;
    for (int i = 0; i < 3; i++)
        sbx_closep(&s->child[i]);
}

static void relay_free(struct sbx_relay *r)
{
    sbx_closep(&r->own);
    r->from = r->to = -1;
    r->active = false;
    r->werr = 0;
    free(r->buf);
    r->buf = NULL;
}

/* An empty stdin: the read end of a pipe whose write end is closed. */
static int open_empty_in(struct sbx_stdio *s, struct sbx_error *err)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "pipe for the command's standard input");
    s->child[0] = p[0];
    close(p[1]);
    return 0;
}

int sbx_stdio_open(struct sbx_stdio *s, unsigned ttys, bool stdin_empty,
                   struct sbx_error *err)
{
    *s = (struct sbx_stdio){.ttys = ttys, .child = {-1, -1, -1}, .in_probe = -1};
    relay_init(&s->in, 0);
    relay_init(&s->out, 1);
    relay_init(&s->err, 2);
    ensure_std_fds();
    int rc = 0;
    if (stdin_empty)
        rc = open_empty_in(s, err);
    else if (!(ttys & 1))
        rc = open_in(s, err);
    if (rc == 0 && !(ttys & 2))
        rc = open_out(s, &s->out, 1, err);
    if (rc == 0 && !(ttys & 4)) {
        if (!(ttys & 2) && same_open_file(1, 2))
            s->child[2] = s->child[1];
        else
            rc = open_out(s, &s->err, 2, err);
    }
    if (rc < 0) {
        close_children(s);
        relay_free(&s->in);
        relay_free(&s->out);
        relay_free(&s->err);
    }
    return rc;
}

int sbx_stdio_install(const struct sbx_stdio *s)
{
    for (int i = 0; i < 3; i++) {
        if (s->child[i] >= 0) {
            if (dup2(s->child[i], i) < 0)
                return -1;
        } else {
            close(i);
        }
    }
    return 0;
}

void sbx_stdio_parent(struct sbx_stdio *s)
{
    /* A file's pipe: sbx keeps a read end too, to count at the end what
     * the command left unread (FIONREAD).  It also means sbx never gets
     * EPIPE there; the copy stops when the command is gone instead. */
    if (s->in.file)
        s->in_probe = sbx_steal_fd(&s->child[0]);
    close_children(s);
}

/* End one copy: close sbx's end, so the command sees EOF on its stdin or
 * a broken pipe on its next write.  e: why (0 for EOF).  A failure to
 * write to the caller's stdout or stderr is kept for sbx_stdio_close;
 * EPIPE is no failure (the caller's reader is gone, and the command now
 * learns it the way it would have); a failure to read the caller's stdin
 * is the command's EOF, as the end of the input it can have. */
static void end(struct sbx_relay *r, int e)
{
    if (e && e != EPIPE && r->to == r->caller_fd)
        r->werr = e;
    sbx_closep(&r->own);
    r->from = r->to = -1;
    r->active = false;
    r->wait_out = false;
}

/* Through sbx's buffer, for what splice can't join (an O_APPEND file, a
 * device or file system without splice support). */
static void copy_rw(struct sbx_relay *r)
{
    if (r->len == r->off) {
        if (!r->buf && !(r->buf = malloc(SBX_STDIO_BUF))) {
            end(r, ENOMEM);
            return;
        }
        ssize_t n = r->file ? pread(r->from, r->buf, SBX_STDIO_BUF, r->pos)
                            : read(r->from, r->buf, SBX_STDIO_BUF);
        if (n < 0) {
            if (errno == EINTR)
                return;
            if (errno == EAGAIN) {
                r->wait_out = false;
                return;
            }
            end(r, errno);
            return;
        }
        if (n == 0) {
            end(r, 0);
            return;
        }
        r->len = (size_t)n;
        r->off = 0;
        if (r->file)
            r->pos += n;
    }
    ssize_t w = write(r->to, r->buf + r->off, r->len - r->off);
    if (w < 0) {
        if (errno == EINTR)
            return;
        if (errno == EAGAIN) {
            r->wait_out = true;
            return;
        }
        end(r, errno);
        return;
    }
    r->off += (size_t)w;
    r->wait_out = r->off < r->len;
    if (!r->wait_out)
        r->len = r->off = 0;
}

static void copy(struct sbx_relay *r)
{
    if (!r->no_splice && r->len == r->off) {
        loff_t pos = r->pos;
        /* SPLICE_F_NONBLOCK: the pipe sides never block, not even a pipe
         * of the caller's that is in blocking mode (its flags are shared
         * with the caller's other processes: sbx leaves them alone). */
        ssize_t n = splice(r->from, r->file ? &pos : NULL, r->to, NULL, SBX_STDIO_CHUNK,
                           SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
        if (n > 0) {
            if (r->file)
                r->pos = pos;
            r->wait_out = false;
            return;
        }
        if (n == 0) {
            end(r, 0);
            return;
        }
        if (errno == EINTR)
            return;
        if (errno == EAGAIN) {
            /* Polled for input, the output is full; polled for output,
             * the input is empty: wait for the other one. */
            r->wait_out = !r->wait_out;
            return;
        }
        if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP) {
            end(r, errno);
            return;
        }
        r->no_splice = true;
    }
    copy_rw(r);
}

static nfds_t add(struct sbx_relay *r, struct pollfd *pf, nfds_t n, int *idx)
{
    *idx = -1;
    if (!r->active)
        return n;
    bool out = r->wait_out || r->len > r->off;
    pf[n] = (struct pollfd){.fd = out ? r->to : r->from, .events = out ? POLLOUT : POLLIN};
    *idx = (int)n;
    return n + 1;
}

nfds_t sbx_stdio_poll(struct sbx_stdio *s, struct pollfd *pf, nfds_t n, int idx[3],
                      bool feed_stdin)
{
    idx[0] = -1;
    if (feed_stdin)
        n = add(&s->in, pf, n, &idx[0]);
    n = add(&s->out, pf, n, &idx[1]);
    return add(&s->err, pf, n, &idx[2]);
}

void sbx_stdio_step(struct sbx_stdio *s, const struct pollfd *pf, const int idx[3])
{
    struct sbx_relay *r[3] = {&s->in, &s->out, &s->err};
    for (int k = 0; k < 3; k++)
        if (idx[k] >= 0 && pf[idx[k]].revents && r[k]->active)
            copy(r[k]);
}

bool sbx_stdio_draining(const struct sbx_stdio *s)
{
    return s->out.active || s->err.active;
}

int sbx_stdio_close(struct sbx_stdio *s, struct sbx_error *err)
{
    if (s->in.file && s->in_probe >= 0) {
        /* What was read from the file, less what sbx still held and what
         * is still in the pipe: what the command consumed.  Best effort:
         * lseek on a regular file fails only for an offset it can't take,
         * and this one lies within what was just read. */
        int unread = 0;
        if (ioctl(s->in_probe, FIONREAD, &unread) < 0)
            unread = 0;
        off_t consumed = s->in.pos - s->in.start - (off_t)(s->in.len - s->in.off) - unread;
        if (consumed >= 0)
            lseek(0, s->in.start + consumed, SEEK_SET);
    }
    sbx_closep(&s->in_probe);
    close_children(s);
    int rc = 0;
    const struct sbx_relay *failed = s->out.werr ? &s->out : s->err.werr ? &s->err : NULL;
    if (failed)
        rc = sbx_err_sys(err, SBX_EIO, failed->werr,
                         "writing the command's %s to sbx's fd %d failed, the rest of it was "
                         "dropped", stream_name[failed->caller_fd], failed->caller_fd);
    relay_free(&s->in);
    relay_free(&s->out);
    relay_free(&s->err);
    return rc;
}
