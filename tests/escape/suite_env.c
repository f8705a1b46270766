/* SPDX-License-Identifier: MIT */
#include "tests/escape/suite_env.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int run_quiet(char *const argv[], const char *cwd)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fd = open("/dev/null", O_RDWR);
        dup2(fd, 0);
        dup2(fd, 1);
        if (cwd && chdir(cwd) < 0)
            _exit(126);
        execvp(argv[0], argv);
        _exit(127);
    }
    int st;
    if (waitpid(pid, &st, 0) < 0)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

void suite_rmrf(const char *path)
{
    struct stat st;
    if (!path || !*path || strcmp(path, "/") == 0 || lstat(path, &st) < 0)
        return;
    /* chmod first: runs may leave directories without write permission */
    char *chm[] = {"chmod", "-R", "u+rwx", (char *)path, NULL};
    run_quiet(chm, NULL);
    char *rm[] = {"rm", "-rf", "--one-file-system", (char *)path, NULL};
    run_quiet(rm, NULL);
}

static int write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

static int listen_tcp(int family, int *port)
{
    int s = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -1;
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_storage ss;
    socklen_t len;
    memset(&ss, 0, sizeof ss);
    if (family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof *a;
    } else {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
        len = sizeof *a;
    }
    if (bind(s, (struct sockaddr *)&ss, len) < 0 || listen(s, 64) < 0 ||
        getsockname(s, (struct sockaddr *)&ss, &len) < 0) {
        close(s);
        return -1;
    }
    *port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                    : ((struct sockaddr_in6 *)&ss)->sin6_port);
    return s;
}

/* name into a's path (after its first byte when abstract): -1 when it
 * does not fit, never a truncated name that would be another socket. */
static int sun_name_set(struct sockaddr_un *a, const char *name, bool abstract)
{
    size_t len = strlen(name), off = abstract ? 1 : 0;
    if (len + off >= sizeof a->sun_path)
        return -1;
    memcpy(a->sun_path + off, name, len + 1);
    return 0;
}

static int listen_unix(const char *name, bool abstract)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (sun_name_set(&a, name, abstract) < 0)
        return -1;
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -1;
    socklen_t len = abstract ? (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
                                           strlen(name))
                             : (socklen_t)sizeof a;
    if (bind(s, (struct sockaddr *)&a, len) < 0 || listen(s, 64) < 0) {
        close(s);
        return -1;
    }
    return s;
}

static int bind_unix_dgram(const char *path)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (sun_name_set(&a, path, false) < 0)
        return -1;
    int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s >= 0 && bind(s, (struct sockaddr *)&a, sizeof a) < 0) {
        close(s);
        return -1;
    }
    /* writable for the sandbox accounts too (a daemon's datagram socket,
     * like /dev/log, usually is) */
    chmod(path, 0666);
    return s;
}

/* The "host daemons": accept on every listener, greet on TCP. */
static _Noreturn void serve(int *fds, int n)
{
    struct pollfd pf[8];
    for (int i = 0; i < n; i++)
        pf[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
    for (;;) {
        if (poll(pf, (nfds_t)n, -1) < 0)
            continue;
        for (int i = 0; i < n; i++)
            if (pf[i].revents & POLLIN) {
                int c = accept(fds[i], NULL, NULL);
                if (c < 0 && errno == EOPNOTSUPP) {
                    /* the datagram socket: drain it */
                    char buf[64];
                    if (recv(fds[i], buf, sizeof buf, MSG_DONTWAIT) < 0) {
                        /* nothing there after all */
                    }
                }
                if (c >= 0) {
                    if (send(c, "sbxt\n", 5, MSG_NOSIGNAL) < 0) {
                        /* the client may be gone already */
                    }
                    close(c);
                }
            }
    }
}

static void remove_glob(const char *pattern);

/* The plant-* attempts' files (probe_attempts.c): a nested repository, a
 * gitdir: file and the directory it names, a .envrc and a .vscode deep
 * in the workspace, made again each time.  Group-writable: in the elevated
 * mode the group bits are the mask of the sandbox accounts' inherited ACL
 * entries, and the attempts must meet the mount, not a missing right. */
static int reset_plants(const struct suite_env *e)
{
    static const char *const gone[] = {"nested", "nested.old", "wt", "wtgit", "deep",
                                       "evil-gitdir", ".envrc"};
    static const char *const dirs[] = {"nested", "nested/.git", "nested/.git/hooks", "wt",
                                       "wtgit", "wtgit/hooks", "deep", "deep/er",
                                       "deep/er/.vscode"};
    static const char *const files[][2] = {
        {"nested/.git/config", "[core]\n"},
        {"nested/.git/HEAD", "ref: refs/heads/main\n"},
        {"wt/.git", "gitdir: ../wtgit\n"},
        {"wtgit/config", "[core]\n"},
        {"deep/.envrc", "export SBXT=1\n"},
        {"deep/er/.vscode/settings.json", "{}\n"},
    };
    char p[PATH_MAX + 64];
    for (size_t i = 0; i < sizeof gone / sizeof gone[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", e->ws, gone[i]);
        suite_rmrf(p);
    }
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", e->ws, dirs[i]);
        if (mkdir(p, 0775) < 0 || chmod(p, 0775) < 0)
            return -1;
    }
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", e->ws, files[i][0]);
        if (write_text(p, files[i][1]) < 0 || chmod(p, 0664) < 0)
            return -1;
    }
    return 0;
}

int suite_env_setup(struct suite_env *e)
{
    e->root = geteuid() == 0;
    e->server = e->victim = -1;
    e->outfd = -1;
    snprintf(e->ws, sizeof e->ws, "%s/ws", e->base);
    snprintf(e->out, sizeof e->out, "%s/out", e->base);
    snprintf(e->repo, sizeof e->repo, "%s/repo", e->base);
    snprintf(e->unix_path, sizeof e->unix_path, "%s/daemon.sock", e->base);
    snprintf(e->unix_allowed, sizeof e->unix_allowed, "%s/allowed.sock", e->base);
    snprintf(e->unix_dgram, sizeof e->unix_dgram, "%s/dgram.sock", e->base);
    snprintf(e->abstract, sizeof e->abstract, "%s-%d", e->tag, (int)getuid());
    if (!e->home[0])
        snprintf(e->home, sizeof e->home, "%s/home", e->base);
    if ((mkdir(e->ws, 0755) < 0 && errno != EEXIST) ||
        (mkdir(e->out, 0755) < 0 && errno != EEXIST) ||
        (mkdir(e->repo, 0755) < 0 && errno != EEXIST) ||
        (mkdir(e->home, 0755) < 0 && errno != EEXIST))
        return -1;
    if (suite_env_reset(e) < 0)
        return -1;
    char *init[] = {"git", "init", "-q", e->repo, NULL};
    char *commit[] = {"git", "-c", "user.email=sbxt@example.invalid", "-c", "user.name=sbxt",
                      "commit", "-q", "--allow-empty", "-m", "init", NULL};
    if (run_quiet(init, NULL) != 0 || run_quiet(commit, e->repo) != 0)
        return -1;

    int fds[6];
    if ((fds[0] = listen_tcp(AF_INET, &e->port4)) < 0 ||
        (fds[1] = listen_tcp(AF_INET6, &e->port6)) < 0 ||
        (fds[2] = listen_unix(e->unix_path, false)) < 0 ||
        (fds[3] = listen_unix(e->abstract, true)) < 0 ||
        (fds[4] = listen_unix(e->unix_allowed, false)) < 0 ||
        (fds[5] = bind_unix_dgram(e->unix_dgram)) < 0)
        return -1;
    e->server = fork();
    if (e->server == 0)
        serve(fds, 6);
    for (int i = 0; i < 6; i++)
        close(fds[i]);
    e->victim = fork();
    if (e->victim == 0) {
        if (chdir(e->out) < 0)
            _exit(1);
        /* a secret in its environment for proc-pid-environ */
        setenv("SBXT_SECRET", "hunter2", 1);
        for (;;)
            pause();
    }
    /* Not O_CLOEXEC: every run inherits it (inherited-fd). */
    e->outfd = open(e->out, O_RDONLY | O_DIRECTORY);
    return e->server > 0 && e->victim > 0 && e->outfd >= 0 ? 0 : -1;
}

int suite_env_reset(struct suite_env *e)
{
    char p[PATH_MAX + 32];
    /* out/: only what the attempts touch */
    snprintf(p, sizeof p, "%s/file", e->out);
    unlink(p);
    if (write_text(p, "original\n") < 0)
        return -1;
    snprintf(p, sizeof p, "%s/unlink-me", e->out);
    if (write_text(p, "x\n") < 0)
        return -1;
    snprintf(p, sizeof p, "%s/rename-me", e->out);
    if (write_text(p, "x\n") < 0)
        return -1;
    snprintf(p, sizeof p, "%s/rmdir-me", e->out);
    if (mkdir(p, 0755) < 0 && errno != EEXIST)
        return -1;
    /* the stdio-* attempts' stdin and stdout: new files, so no mode, time,
     * owner or xattr a run changed is left on them */
    static const char *const stdio_files[] = {"stdio-in", "stdio-out"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(p, sizeof p, "%s/%s", e->out, stdio_files[i]);
        unlink(p);
        if (write_text(p, "x\n") < 0 || chmod(p, 0644) < 0)
            return -1;
    }
    /* what wsarg-*, race-* and state-* attempts left in the workspace and
     * in the repository (SBXP_REPO): all named after the tag */
    char pat[PATH_MAX + 64];
    snprintf(pat, sizeof pat, "%s/%s-*", e->ws, e->tag);
    remove_glob(pat);
    snprintf(pat, sizeof pat, "%s/%s-*", e->repo, e->tag);
    remove_glob(pat);
    /* ws-device-node's device: a 0666 copy of /dev/null, which only root
     * can make (as_user makes the throwaway user's) */
    snprintf(p, sizeof p, "%s/devnode", e->ws);
    struct stat st;
    if (geteuid() == 0 && lstat(p, &st) < 0 &&
        (mknod(p, S_IFCHR | 0666, makedev(1, 3)) < 0 || chmod(p, 0666) < 0))
        return -1;
    /* the workspace's .git, as a control run may have moved or changed it */
    snprintf(p, sizeof p, "%s/.git-moved", e->ws);
    suite_rmrf(p);
    snprintf(p, sizeof p, "%s/.git", e->ws);
    suite_rmrf(p);
    if (mkdir(p, 0755) < 0)
        return -1;
    snprintf(p, sizeof p, "%s/.git/hooks", e->ws);
    if (mkdir(p, 0755) < 0)
        return -1;
    snprintf(p, sizeof p, "%s/.git/config", e->ws);
    if (write_text(p, "[core]\n") < 0)
        return -1;
    return reset_plants(e);
}

static void remove_glob(const char *pattern)
{
    glob_t g;
    if (glob(pattern, 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; i++)
            suite_rmrf(g.gl_pathv[i]);
        globfree(&g);
    }
}

void suite_env_teardown(struct suite_env *e)
{
    if (e->server > 0) {
        kill(e->server, SIGKILL);
        waitpid(e->server, NULL, 0);
    }
    if (e->victim > 0) {
        kill(e->victim, SIGKILL);
        waitpid(e->victim, NULL, 0);
    }
    if (e->outfd >= 0)
        close(e->outfd);
    /* names the control runs created outside base: all start with tag */
    char pat[PATH_MAX + 64];
    snprintf(pat, sizeof pat, "/tmp/%s-*", e->tag);
    remove_glob(pat);
    snprintf(pat, sizeof pat, "/var/tmp/%s-*", e->tag);
    remove_glob(pat);
    /* fill-dev-shm's file, should a control run die before removing it */
    snprintf(pat, sizeof pat, "/dev/shm/%s-*", e->tag);
    remove_glob(pat);
    snprintf(pat, sizeof pat, "%s/%s-*", e->home, e->tag);
    remove_glob(pat);
}

int suite_run(const struct suite_env *e, const char *cwd, char *const argv[], bool tty,
              struct run_out *r)
{
    memset(r, 0, sizeof *r);
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return -1;
    int master = -1;
    char slave_name[128] = "";
    if (tty) {
        master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 ||
            ptsname_r(master, slave_name, sizeof slave_name) != 0)
            return -1;
    }
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        /* a group of its own (a session with the tty), so a timeout can
         * kill whatever it started */
        if (tty) {
            setsid();
            int s = open(slave_name, O_RDWR);
            if (s < 0 || ioctl(s, TIOCSCTTY, 0) < 0)
                _exit(125);
            dup2(s, 0);
            dup2(s, 1);
            dup2(p[1], 2);
        } else {
            setpgid(0, 0);
            int n = open("/dev/null", O_RDONLY);
            dup2(n, 0);
            dup2(p[1], 1);
            dup2(p[1], 2);
            if (e->stdio_files) {
                char in[PATH_MAX + 16], out[PATH_MAX + 16];
                snprintf(in, sizeof in, "%s/stdio-in", e->out);
                snprintf(out, sizeof out, "%s/stdio-out", e->out);
                int i = open(in, O_RDONLY), o = open(out, O_WRONLY);
                if (i < 0 || o < 0 || dup2(i, 0) < 0 || dup2(o, 1) < 0)
                    _exit(125);
            }
        }
        if (chdir(cwd) < 0)
            _exit(125);
        char num[32];
        setenv("SBXP_OUT", e->out, 1);
        setenv("SBXP_WS", e->ws, 1);
        setenv("SBXP_TAG", e->tag, 1);
        setenv("SBXP_HOME", e->home, 1);
        setenv("SBXP_UNIX", e->unix_path, 1);
        setenv("SBXP_ABSTRACT", e->abstract, 1);
        setenv("SBXP_UNIX_ALLOWED", e->unix_allowed, 1);
        setenv("SBXP_UNIX_DGRAM", e->unix_dgram, 1);
        setenv("SBXP_SUID", e->suid, 1);
        snprintf(num, sizeof num, "%d", e->port4);
        setenv("SBXP_PORT4", num, 1);
        snprintf(num, sizeof num, "%d", e->port6);
        setenv("SBXP_PORT6", num, 1);
        snprintf(num, sizeof num, "%d", (int)e->victim);
        setenv("SBXP_PID", num, 1);
        snprintf(num, sizeof num, "%d", e->outfd);
        setenv("SBXP_FD", num, 1);
        setenv("SBXP_REPO", e->repo, 1);
        if (e->stage)
            setenv("SBXP_STAGE", e->stage, 1);
        else
            unsetenv("SBXP_STAGE");
        execvp(argv[0], argv);
        _exit(127);
    }
    close(p[1]);
    size_t used = 0;
    time_t start = time(NULL);
    bool done = false;
    int st = 0;
    struct pollfd pf[2] = {{.fd = p[0], .events = POLLIN}, {.fd = master, .events = POLLIN}};
    bool pipe_open = true;
    while (pipe_open || !done) {
        if (!done && waitpid(pid, &st, WNOHANG) == pid)
            done = true;
        if (time(NULL) - start > 60) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            r->status = -1;
            break;
        }
        pf[0].fd = pipe_open ? p[0] : -1;
        if (poll(pf, tty ? 2 : 1, 100) <= 0)
            continue;
        for (int i = 0; i < (tty ? 2 : 1); i++) {
            if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char buf[1024];
            ssize_t n = read(pf[i].fd, buf, sizeof buf);
            if (n <= 0) {
                if (i == 0)
                    pipe_open = false;
                else
                    pf[1].fd = -1;
                continue;
            }
            size_t room = sizeof r->text - 1 - used;
            size_t take = (size_t)n < room ? (size_t)n : room;
            memcpy(r->text + used, buf, take);
            used += take;
        }
    }
    close(p[0]);
    if (master >= 0) {
        /* what the command wrote on its terminal after stderr closed */
        struct pollfd m = {.fd = master, .events = POLLIN};
        while (poll(&m, 1, 200) > 0) {
            char buf[1024];
            ssize_t n = read(master, buf, sizeof buf);
            if (n <= 0)
                break;
            size_t room = sizeof r->text - 1 - used;
            size_t take = (size_t)n < room ? (size_t)n : room;
            memcpy(r->text + used, buf, take);
            used += take;
        }
        close(master);
    }
    if (r->status != -1)
        r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return 0;
}
