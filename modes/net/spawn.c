/* SPDX-License-Identifier: MIT */
/* sbx-netproxy started and stopped for a run (spawn.h). */
#include "modes/net/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "modes/common/linux/names.h"
#include "util/cleanup.h"

#define NETPROXY_NAME "sbx-netproxy"

/* sbx-netproxy beside the running sbx or in its libexec directory; never
 * from the environment. */
static int find_proxy(char *out, size_t len, struct sbx_error *err)
{
    if (sbx_program_beside_sbx(NETPROXY_NAME, out, len))
        return 0;
    return sbx_err_set(err, SBX_ENOENT,
                       "cannot find %s (looked next to sbx and in its libexec directory): "
                       "--net allow= needs it; reinstall sbx",
                       NETPROXY_NAME);
}

struct argv_build {
    char *v[2 * SBX_NET_MAX_RULES + 16];
    size_t n;
    bool overflow;
};

static void add_arg(struct argv_build *a, const char *s)
{
    if (a->n + 1 >= sizeof(a->v) / sizeof(a->v[0]) || !(a->v[a->n] = strdup(s))) {
        a->overflow = true;
        return;
    }
    a->n++;
}

static void add_spec(const char *spec, void *ctx)
{
    add_arg(ctx, "--net");
    add_arg(ctx, spec);
}

static void argv_free(struct argv_build *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->v[i]);
}

/* fds of the child: 3 the listening socket's channel or the ready pipe,
 * 4 the parent pipe, 5 the summary pipe. */
static _Noreturn void child(const char *path, char *const *argv, int ch, int parent, int sum)
{
    /* Out of the way first, so that no dup2 lands on a source still
     * needed, or on itself (which would keep its close-on-exec). */
    int from[3] = {fcntl(ch, F_DUPFD_CLOEXEC, 10), fcntl(parent, F_DUPFD_CLOEXEC, 10),
                   fcntl(sum, F_DUPFD_CLOEXEC, 10)};
    for (int i = 0; i < 3; i++)
        if (from[i] < 0 || dup2(from[i], 3 + i) < 0)
            _exit(127);
    /* Not the caller's stdin and stdout (a pipe's reader would wait for
     * the proxy too); stderr stays, for the denial lines. */
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0)
        _exit(127);
    /* Not the caller's terminal's signals (^C is the command's, which sbx
     * passes on): a process group of its own; sbx stops it by EOF on fd 4. */
    setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (close_range(6, ~0U, 0) < 0)
        _exit(127);
    execv(path, argv);
    _exit(127);
}

int sbx_netproxy_start(const struct sbx_net_policy *p, bool in_netns,
                       struct sbx_netproxy_proc *proc, struct sbx_error *err)
{
    *proc = (struct sbx_netproxy_proc){.pid = -1, .parent_fd = -1, .summary_fd = -1,
                                       .sock = -1};
    char path[PATH_MAX];
    int rc = find_proxy(path, sizeof path, err);
    if (rc < 0)
        return rc;
    int ch[2] = {-1, -1}, parent[2] = {-1, -1}, sum[2] = {-1, -1};
    if ((in_netns ? socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ch)
                  : pipe2(ch, O_CLOEXEC)) < 0 ||
        pipe2(parent, O_CLOEXEC) < 0 || pipe2(sum, O_CLOEXEC) < 0) {
        rc = sbx_err_sys(err, SBX_EIO, errno, "pipes to %s", NETPROXY_NAME);
        goto out;
    }
    struct argv_build a = {.n = 0};
    add_arg(&a, path);
    add_arg(&a, in_netns ? "--listen-recv-fd" : "--listen");
    add_arg(&a, in_netns ? "3" : "127.0.0.1:0");
    if (!in_netns) {
        add_arg(&a, "--ready-fd");
        add_arg(&a, "3");
    }
    add_arg(&a, "--parent-fd");
    add_arg(&a, "4");
    add_arg(&a, "--summary-fd");
    add_arg(&a, "5");
    sbx_net_policy_each(p, add_spec, &a);
    a.v[a.n] = NULL;
    if (a.overflow) {
        argv_free(&a);
        rc = sbx_err_set(err, SBX_ENOMEM, "the command line of %s", NETPROXY_NAME);
        goto out;
    }
    /* The child's ends: the socket pair's first, the read end of the
     * parent pipe, the write end of the summary pipe; the ready pipe's
     * write end. */
    int child_ch = in_netns ? ch[0] : ch[1];
    pid_t pid = fork();
    if (pid == 0)
        child(path, a.v, child_ch, parent[0], sum[1]);
    int fork_errno = errno;
    argv_free(&a);
    if (pid < 0) {
        rc = sbx_err_sys(err, SBX_EIO, fork_errno, "start %s", NETPROXY_NAME);
        goto out;
    }
    proc->pid = pid;
    proc->parent_fd = parent[1];
    proc->summary_fd = sum[0];
    parent[1] = sum[0] = -1;
    if (in_netns) {
        proc->sock = ch[1];
        ch[1] = -1;
        proc->port = SBX_NETPROXY_NETNS_PORT;
        goto out;
    }
    sbx_closep(&ch[1]);
    char line[16] = "";
    ssize_t n;
    do
        n = read(ch[0], line, sizeof line - 1);
    while (n < 0 && errno == EINTR);
    char *end = NULL;
    unsigned long port = n > 0 ? strtoul(line, &end, 10) : 0;
    if (port == 0 || port > 65535 || !end || *end != '\n') {
        char *ignored = NULL;
        sbx_netproxy_stop(proc, &ignored, NULL);
        free(ignored);
        rc = sbx_err_set(err, SBX_EIO, "%s did not start (its messages are above)",
                         NETPROXY_NAME);
        goto out;
    }
    proc->port = (unsigned)port;
out:
    for (int i = 0; i < 2; i++) {
        sbx_closep(&ch[i]);
        sbx_closep(&parent[i]);
        sbx_closep(&sum[i]);
    }
    return rc;
}

int sbx_netproxy_stop(struct sbx_netproxy_proc *proc, char **summary, struct sbx_error *err)
{
    *summary = NULL;
    sbx_closep(&proc->sock);
    sbx_closep(&proc->parent_fd);
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    while (buf && proc->summary_fd >= 0) {
        if (len + 1 == cap) {
            char *bigger = cap < (1u << 22) ? realloc(buf, cap * 2) : NULL;
            if (!bigger)
                break;
            buf = bigger;
            cap *= 2;
        }
        ssize_t n = read(proc->summary_fd, buf + len, cap - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    sbx_closep(&proc->summary_fd);
    int rc = 0, st = 0;
    if (proc->pid > 0) {
        while (waitpid(proc->pid, &st, 0) < 0 && errno == EINTR)
            ;
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            rc = sbx_err_set(err, SBX_EIO, "%s ended with status %d", NETPROXY_NAME,
                             WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
        proc->pid = -1;
    }
    if (buf)
        buf[len] = '\0';
    *summary = buf;
    return rc;
}
