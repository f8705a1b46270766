/* SPDX-License-Identifier: MIT */
/* The elevated mode's caches, seen from the caller: each belongs to one of
 * the caller's sandbox accounts (<its home>/cache, made by setup, bound at
 * ~/.cache in each run's private home), so the caller can neither read
 * their size nor empty them; the launcher does both as that account
 * (sbx-launch --account A --report-fd 3 --cache size|clear) and prints one
 * line: "OK <bytes> <files> <partial>" on stdout, or "E<code> <message>"
 * on the report pipe. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "modes/elevated/elevated.h"
#include "util/cleanup.h"

extern char **environ;

static int launcher_cache(const char *machine_dir, const char *account, const char *what,
                          struct sbx_usage *use, struct sbx_error *err)
{
    char launcher[PATH_MAX];
    int rc = sbx_elevated_launcher_path(machine_dir, launcher, sizeof launcher, err);
    if (rc)
        return rc;
    struct sbx_mode_facts f;
    struct sbx_error ferr = {0};
    if (sbx_elevated_facts_unprivileged(machine_dir, &f, &ferr) != 0 || !f.elevated_installed ||
        !f.caller_authorized)
        return sbx_err_set(err, SBX_ENOENT, "the elevated mode is not set up for you");
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        return sbx_err_sys(err, SBX_EIO, errno, "pipe for the launcher %s", launcher);
    sbx_autofd int r = p[0];
    pid_t pid = fork();
    if (pid < 0) {
        close(p[1]);
        return sbx_err_sys(err, SBX_EIO, errno, "fork to start the launcher %s", launcher);
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        /* stdout: the result; 3: the report pipe (errors as "E<code> ..."). */
        if (devnull < 0 || dup2(devnull, 0) != 0 || dup2(p[1], 1) != 1 ||
            dup2(devnull, 2) != 2 || dup2(p[1], 3) != 3 || fcntl(3, F_SETFD, 0) != 0)
            _exit(125);
        const char *av[] = {launcher, "--account", account, "--report-fd", "3", "--cache", what,
                            NULL};
        execve(launcher, (char *const *)av, environ);
        dprintf(1, "E%d cannot start the launcher %s: %s\n", SBX_EIO, launcher, strerror(errno));
        _exit(125);
    }
    close(p[1]);
    char out[SBX_ERR_MSG_MAX + 64];
    size_t len = 0;
    for (;;) {
        ssize_t n = read(r, out + len, sizeof out - 1 - len);
        if (n > 0 && (len += (size_t)n) < sizeof out - 1)
            continue;
        if (n < 0 && errno == EINTR)
            continue;
        break;
    }
    out[len] = '\0';
    int ws;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
        ;
    unsigned long long bytes, files;
    int partial;
    if (strncmp(out, "OK ", 3) == 0 &&
        sscanf(out + 3, "%llu %llu %d", &bytes, &files, &partial) == 3) {
        if (use) {
            use->bytes += bytes;
            use->files += files;
            use->partial |= partial != 0;
        }
        return 0;
    }
    char *end = NULL;
    long code = out[0] == 'E' ? strtol(out + 1, &end, 10) : 0;
    const char *msg = end && *end == ' ' ? end + 1 : out;
    return sbx_err_set(err, code > 0 && code <= SBX_ESTATE ? (int)code : SBX_EIO,
                       "the elevated mode's cache: %.*s", (int)strcspn(msg, "\n"),
                       msg[0] ? msg : "the launcher said nothing");
}

/* Both accounts of the caller's pair have one: runs with --net on use the
 * online account's. */
static const char *const accounts[] = {"offline", "online"};

int sbx_elevated_cache_usage(const char *machine_dir, struct sbx_usage *use,
                             struct sbx_error *err)
{
    memset(use, 0, sizeof *use);
    for (size_t i = 0; i < 2; i++) {
        int rc = launcher_cache(machine_dir, accounts[i], "size", use, err);
        if (rc)
            return rc;
    }
    return 0;
}

int sbx_elevated_cache_clear(const char *machine_dir, struct sbx_error *err)
{
    for (size_t i = 0; i < 2; i++) {
        int rc = launcher_cache(machine_dir, accounts[i], "clear", NULL, err);
        if (rc)
            return rc;
    }
    return 0;
}
