/* SPDX-License-Identifier: MIT */
/* The proxy suites' origin server and proxy process (net_origin.h). */
#include "net_origin.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#define ORIGIN_MAX 2048

struct oconn {
    int fd;
    char buf[8192];
    size_t len;
};

static void origin_serve_big(int fd, unsigned long long n)
{
    char head[128], chunk[65536];
    int hl = snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Length: %llu\r\n\r\n", n);
    if (write(fd, head, (size_t)hl) != hl)
        _exit(0);
    memset(chunk, 'x', sizeof(chunk));
    while (n) {
        size_t k = n < sizeof(chunk) ? (size_t)n : sizeof(chunk);
        ssize_t w = write(fd, chunk, k);
        if (w <= 0)
            _exit(0);
        n -= (unsigned long long)w;
    }
    _exit(0);
}

/* A whole request in c->buf: answer it and keep the connection open for
 * more (so that a smuggled second request would be seen and counted). */
static bool origin_answer(struct oconn *c, volatile unsigned *requests)
{
    char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
    if (!end)
        return false;
    size_t head_len = (size_t)(end - c->buf) + 4;
    char method[16] = "", path[1024] = "", host[256] = "-";
    unsigned long long cl = 0;
    sscanf(c->buf, "%15s %1023s", method, path);
    for (char *l = strstr(c->buf, "\r\n"); l && l < end; l = strstr(l + 2, "\r\n")) {
        if (strncasecmp(l + 2, "Host: ", 6) == 0)
            sscanf(l + 8, "%255[^\r]", host);
        if (strncasecmp(l + 2, "Content-Length: ", 16) == 0)
            cl = strtoull(l + 18, NULL, 10);
    }
    if (c->len < head_len + cl)
        return false;
    __atomic_add_fetch(requests, 1, __ATOMIC_SEQ_CST);
    if (strncmp(path, "/big?", 5) == 0) {
        if (fork() == 0)
            origin_serve_big(c->fd, strtoull(path + 5, NULL, 10));
        close(c->fd); /* the child's alone: its exit is the response's end */
        c->fd = -1;
        return true;
    }
    char body[2048];
    int bl = snprintf(body, sizeof(body), "%s %s host=%s body=%.*s", method, path, host,
                      (int)cl, c->buf + head_len);
    char resp[2300];
    int rl = snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s",
                      bl, body);
    bool close_after = memmem(c->buf, head_len, "\r\nConnection: close\r\n", 21) != NULL;
    if (write(c->fd, resp, (size_t)rl) != rl)
        return true;
    /* Done writing, still reading: a request smuggled after this one
     * would still arrive, and be counted. */
    if (close_after)
        shutdown(c->fd, SHUT_WR);
    memmove(c->buf, c->buf + head_len + cl, c->len - head_len - cl);
    c->len -= head_len + cl;
    return origin_answer(c, requests) || true;
}

static void origin_loop(int lfd, volatile unsigned *requests)
{
    static struct oconn conns[ORIGIN_MAX];
    static struct pollfd pfd[ORIGIN_MAX + 1];
    size_t n = 0;
    signal(SIGCHLD, SIG_IGN);
    for (;;) {
        pfd[0] = (struct pollfd){.fd = lfd, .events = POLLIN};
        for (size_t i = 0; i < n; i++)
            pfd[i + 1] = (struct pollfd){.fd = conns[i].fd, .events = POLLIN};
        if (poll(pfd, n + 1, -1) < 0)
            continue;
        if ((pfd[0].revents & POLLIN) && n < ORIGIN_MAX) {
            int fd = accept(lfd, NULL, NULL);
            if (fd >= 0)
                conns[n++] = (struct oconn){.fd = fd};
        }
        for (size_t i = n; i-- > 0;) {
            if (!(pfd[i + 1].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            struct oconn *c = &conns[i];
            ssize_t r = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
            if (r <= 0) {
                close(c->fd);
                conns[i] = conns[--n];
                continue;
            }
            c->len += (size_t)r;
            origin_answer(c, requests);
            if (c->fd < 0)
                conns[i] = conns[--n];
        }
    }
}

void origin_start(struct origin *o)
{
    o->requests = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    assert_true(o->requests != MAP_FAILED);
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sin);
    assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    assert_int_equal(listen(lfd, 1024), 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&sin, &len), 0);
    o->port = ntohs(sin.sin_port);
    o->pid = fork();
    assert_true(o->pid >= 0);
    if (o->pid == 0) {
        origin_loop(lfd, o->requests);
        _exit(0);
    }
    close(lfd);
}

void origin_stop(struct origin *o)
{
    kill(o->pid, SIGKILL);
    waitpid(o->pid, NULL, 0);
    munmap((void *)o->requests, 4096);
}

void proxy_start(struct proxy *p, const char *hosts, const char *const *nets,
                 const char *const *opts)
{
    const char *bin = getenv("SBX_NETPROXY");
    if (!bin)
        fail_msg("SBX_NETPROXY is not set (ctest sets it to the built sbx-netproxy)");
    snprintf(p->dir, sizeof(p->dir), "/tmp/sbx-nettest-XXXXXX");
    assert_non_null(mkdtemp(p->dir));
    char err_path[128], sum_path[128];
    snprintf(err_path, sizeof(err_path), "%s/stderr", p->dir);
    snprintf(sum_path, sizeof(sum_path), "%s/summary", p->dir);
    int ready[2];
    assert_int_equal(pipe(ready), 0);
    char *argv[64];
    size_t n = 0;
    argv[n++] = (char *)bin;
    argv[n++] = "--listen";
    argv[n++] = "127.0.0.1:0";
    argv[n++] = "--ready-fd";
    argv[n++] = "3";
    argv[n++] = "--summary-fd";
    argv[n++] = "4";
    for (; *nets && n < 40; nets++) {
        argv[n++] = "--net";
        argv[n++] = (char *)*nets;
    }
    for (; opts && *opts && n < 60; opts++)
        argv[n++] = (char *)*opts;
    argv[n] = NULL;
    p->pid = fork();
    assert_true(p->pid >= 0);
    if (p->pid == 0) {
        int e = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int s = open(sum_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (e < 0 || s < 0 || dup2(e, 2) < 0 || dup2(ready[1], 3) < 0 || dup2(s, 4) < 0)
            _exit(127);
        setenv("SBX_NET_HOSTS", hosts, 1);
        /* A sanitizer build keeps freed memory in quarantine (256 MiB by
         * default), which would hide what the proxy itself holds. */
        const char *asan = getenv("ASAN_OPTIONS");
        char opts[1024];
        snprintf(opts, sizeof(opts), "%s%squarantine_size_mb=1:thread_local_quarantine_size_kb=64",
                 asan ? asan : "", asan && *asan ? ":" : "");
        setenv("ASAN_OPTIONS", opts, 1);
        execv(bin, argv);
        _exit(127);
    }
    close(ready[1]);
    char line[32] = "";
    ssize_t r = read(ready[0], line, sizeof(line) - 1);
    close(ready[0]);
    if (r <= 0)
        fail_msg("sbx-netproxy did not start: %s", proxy_file(p, "stderr"));
    p->port = (unsigned)atoi(line);
    assert_true(p->port > 0);
}

int proxy_stop(struct proxy *p)
{
    int st;
    kill(p->pid, SIGTERM);
    assert_int_equal(waitpid(p->pid, &st, 0), p->pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

const char *proxy_file(struct proxy *p, const char *name)
{
    static char buf[65536];
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", p->dir, name);
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (f) {
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        buf[n] = '\0';
        fclose(f);
    }
    return buf;
}

long rss_kib(pid_t pid)
{
    char path[64], line[256];
    long kib = -1;
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

int connect_lo(unsigned port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

size_t exchange(int fd, const char *text, char *out, size_t cap)
{
    size_t len = strlen(text), got = 0;
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (got + 1 >= cap || poll(&pfd, 1, 5000) <= 0)
            break;
        ssize_t r = read(fd, out + got, cap - 1 - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    out[got] = '\0';
    return got;
}

const char *request(unsigned proxy_port, const char *text)
{
    static char buf[65536];
    int fd = connect_lo(proxy_port);
    assert_true(fd >= 0);
    exchange(fd, text, buf, sizeof(buf));
    close(fd);
    return buf;
}
