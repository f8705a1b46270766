/* SPDX-License-Identifier: MIT */
/* Test helpers that need POSIX processes (the CLI tests run on Linux). */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char *slurp_fd(int fd)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    ssize_t got;
    while ((got = read(fd, buf + n, cap - n)) > 0) {
        n += (size_t)got;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
        }
    }
    buf[n] = '\0';
    return buf;
}

int run_sbx_v(const struct sbx_run_opts *o, char **out, char **err, const char *const *args)
{
    const char *bin = o && o->bin ? o->bin : getenv("SBX_BIN");
    assert_non_null(bin);
    const char *argv[64] = {bin};
    int argc = 1;
    for (size_t i = 0; args[i] && argc < 63; i++)
        argv[argc++] = args[i];
    argv[argc] = NULL;
    char outpath[] = "/tmp/sbx-out-XXXXXX", errpath[] = "/tmp/sbx-err-XXXXXX";
    int ofd = mkstemp(outpath), efd = mkstemp(errpath);
    assert_true(ofd >= 0 && efd >= 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(ofd, 1);
        dup2(efd, 2);
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, 0);
        if (o && o->uid && (setgroups(0, NULL) || setgid(o->gid) || setuid(o->uid)))
            _exit(99);
        if (o && o->cwd && chdir(o->cwd) != 0)
            _exit(98);
        if (o && o->envp) {
            execve(bin, (char *const *)argv, (char *const *)o->envp);
        } else {
            for (size_t i = 0; o && o->env && o->env[i]; i++)
                putenv((char *)o->env[i]);
            execv(bin, (char *const *)argv);
        }
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    lseek(ofd, 0, SEEK_SET);
    lseek(efd, 0, SEEK_SET);
    char *ob = slurp_fd(ofd), *eb = slurp_fd(efd);
    close(ofd);
    close(efd);
    unlink(outpath);
    unlink(errpath);
    if (out)
        *out = ob;
    else
        free(ob);
    if (err)
        *err = eb;
    else
        free(eb);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int run_sbx(const char *const *env, char **out, char **err, const char *arg0, ...)
{
    const char *args[64];
    size_t n = 0;
    va_list ap;
    va_start(ap, arg0);
    for (const char *a = arg0; a && n < 63; a = va_arg(ap, const char *))
        args[n++] = a;
    va_end(ap);
    args[n] = NULL;
    struct sbx_run_opts o = {.env = env};
    return run_sbx_v(&o, out, err, args);
}
