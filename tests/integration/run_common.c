/* SPDX-License-Identifier: MIT */
#include "tests/integration/run_common.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *run_missing_feature(void)
{
    if (syscall(444 /* landlock_create_ruleset */, NULL, 0, 1 /* VERSION */) < 1)
        return "Landlock is not available in this kernel";
    pid_t pid = fork();
    if (pid == 0)
        _exit(unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID) == 0 ? 0 : 1);
    int st;
    if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return "unprivileged user namespaces are not available";
    return NULL;
}

int run_capture(const char *cwd, char *const argv[], const char *input, int limit_sec,
                struct run_result *r)
{
    memset(r, 0, sizeof *r);
    int out[2], in[2];
    if (pipe2(out, O_CLOEXEC) < 0 || pipe2(in, O_CLOEXEC) < 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        setpgid(0, 0);
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(out[1], 2);
        if (cwd && chdir(cwd) < 0)
            _exit(122);
        execvp(argv[0], argv);
        _exit(123);
    }
    close(out[1]);
    close(in[0]);
    if (input && write(in[1], input, strlen(input)) < 0) {
        /* the command may not read its input */
    }
    close(in[1]);
    size_t used = 0;
    time_t start = time(NULL);
    int st = 0;
    bool done = false, open_ = true;
    while (open_ || !done) {
        if (!done && waitpid(pid, &st, WNOHANG) == pid)
            done = true;
        if (time(NULL) - start > limit_sec) {
            kill(-pid, SIGKILL);
            if (!done)
                waitpid(pid, &st, 0);
            r->status = -1;
            close(out[0]);
            return 0;
        }
        struct pollfd pf = {.fd = open_ ? out[0] : -1, .events = POLLIN};
        if (poll(&pf, 1, 50) <= 0)
            continue;
        char buf[1024];
        ssize_t n = read(out[0], buf, sizeof buf);
        if (n <= 0) {
            open_ = false;
            continue;
        }
        size_t room = sizeof r->out - 1 - used;
        size_t take = (size_t)n < room ? (size_t)n : room;
        memcpy(r->out + used, buf, take);
        used += take;
    }
    close(out[0]);
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return 0;
}

pid_t run_background(const char *cwd, char *const argv[])
{
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        int n = open("/dev/null", O_RDWR);
        dup2(n, 0);
        dup2(n, 1);
        dup2(n, 2);
        if (cwd && chdir(cwd) < 0)
            _exit(122);
        execvp(argv[0], argv);
        _exit(123);
    }
    return pid;
}

/* Pids (at most max) of the processes with `marker` as one of their
 * arguments; how many there are. */
static size_t marker_pids(const char *marker, pid_t *pids, size_t max)
{
    DIR *d = opendir("/proc");
    if (!d)
        return 0;
    struct dirent *e;
    size_t found = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        char path[300], buf[4096];
        snprintf(path, sizeof path, "/proc/%s/cmdline", e->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n <= 0)
            continue;
        /* A command line longer than buf, or one a process rewrote without
         * its final NUL, arrives unterminated: end it here so that every
         * argument below stays inside what was read. */
        buf[n] = '\0';
        for (ssize_t i = 0; i < n;) {
            size_t len = strnlen(buf + i, (size_t)(n - i));
            if (strcmp(buf + i, marker) == 0) {
                if (found < max)
                    pids[found] = (pid_t)atoi(e->d_name);
                found++;
                break;
            }
            i += (ssize_t)len + 1;
        }
    }
    closedir(d);
    return found;
}

bool run_marker_alive(const char *marker)
{
    pid_t pid;
    return marker_pids(marker, &pid, 1) > 0;
}

bool run_marker_alive_within(const char *marker, int ms)
{
    /* No event says that a process with this argument has started: look
     * again and again (the pause only spares the CPU; the deadline only
     * bounds the wait). */
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        if (run_marker_alive(marker))
            return true;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000 >= ms)
            return false;
        struct timespec pause = {0, 10 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
}

bool run_marker_gone_within(const char *marker, int ms)
{
    /* Wait on the processes themselves (a pidfd is readable once its
     * process has exited), then look again: the deadline only bounds the
     * wait. */
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        pid_t pids[64];
        size_t n = marker_pids(marker, pids, 64);
        if (n == 0)
            return true;
        if (n > 64)
            n = 64;
        struct pollfd pf[64];
        int fds[64];
        size_t open_ = 0;
        for (size_t i = 0; i < n; i++) {
            int fd = (int)syscall(SYS_pidfd_open, pids[i], 0);
            if (fd >= 0) {
                fds[open_] = fd;
                pf[open_++] = (struct pollfd){.fd = fd, .events = POLLIN};
            }
        }
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long left = ms - ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000);
        /* Until every one of them has exited (an exited one's entry is
         * set to -1: poll ignores it), or the deadline. */
        size_t done = 0;
        while (done < open_ && left > 0) {
            if (poll(pf, open_, (int)left) < 0 && errno != EINTR)
                break;
            done = 0;
            for (size_t i = 0; i < open_; i++) {
                if (pf[i].fd >= 0 && pf[i].revents)
                    pf[i].fd = -1;
                done += pf[i].fd < 0;
            }
            clock_gettime(CLOCK_MONOTONIC, &now);
            left = ms - ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000);
        }
        for (size_t i = 0; i < open_; i++)
            close(fds[i]);
        if (left <= 0)
            return !run_marker_alive(marker);
    }
}

void run_mkdtemp(const char *tag, char *out, size_t len)
{
    snprintf(out, len, "/tmp/sbxt-%s-%d-XXXXXX", tag, (int)getpid());
    if (!mkdtemp(out))
        out[0] = '\0';
}

void run_private_state(char *out, size_t len)
{
    run_mkdtemp("state", out, len);
    if (out[0])
        setenv("XDG_STATE_HOME", out, 1);
    unsetenv("SBX_STATE");
}

bool run_become(unsigned uid)
{
    return setgroups(0, NULL) == 0 && setresgid(uid, uid, uid) == 0 &&
           setresuid(uid, uid, uid) == 0;
}

void run_rmrf(const char *path)
{
    struct stat st;
    if (!path || !*path || strncmp(path, "/tmp/sbxt-", 10) != 0 || lstat(path, &st) < 0)
        return;
    char *argv[] = {"rm", "-rf", "--one-file-system", (char *)path, NULL};
    pid_t pid = fork();
    if (pid == 0) {
        execvp(argv[0], argv);
        _exit(127);
    }
    waitpid(pid, NULL, 0);
}
