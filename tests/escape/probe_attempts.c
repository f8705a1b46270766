/* SPDX-License-Identifier: MIT */
/* The attempts of sbx-probe (see probe.h), and the table the escape suite
 * iterates over. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ipc.h>
#include <sys/mount.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include "tests/escape/probe_attempts.h"

/* --- reporting ------------------------------------------------------------- */

static const char *cur; /* the attempt being run (the probe runs one) */

static int blocked(int e)
{
    printf("RESULT %s blocked %s (%s)\n", cur, strerrorname_np(e) ? strerrorname_np(e) : "?",
           strerror(e));
    return 0;
}

__attribute__((format(printf, 1, 2))) static int escaped(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("RESULT %s escaped ", cur);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    return 1;
}

__attribute__((format(printf, 1, 2))) static int error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("RESULT %s error ", cur);
    vprintf(fmt, ap);
    printf(" (errno %s)\n", strerrorname_np(errno) ? strerrorname_np(errno) : "?");
    va_end(ap);
    return 2;
}

static int ok(void)
{
    printf("RESULT %s ok\n", cur);
    return 0;
}

static int failed(int e, const char *what)
{
    printf("RESULT %s failed %s: %s (%s)\n", cur, what,
           strerrorname_np(e) ? strerrorname_np(e) : "?", strerror(e));
    return 1;
}

static const char *env(const char *k)
{
    const char *v = getenv(k);
    if (!v || !*v) {
        printf("RESULT %s error %s is not set\n", cur, k);
        exit(2);
    }
    return v;
}

/* "<SBXP_OUT>/<name>" */
static const char *out(const char *name)
{
    static char buf[8][4096];
    static int i;
    char *b = buf[i++ % 8];
    snprintf(b, sizeof buf[0], "%s/%s", env("SBXP_OUT"), name);
    return b;
}

static const char *ws(const char *name)
{
    static char buf[4][4096];
    static int i;
    char *b = buf[i++ % 4];
    snprintf(b, sizeof buf[0], "%s/%s", env("SBXP_WS"), name);
    return b;
}

static const char *uniq(const char *dir, const char *what)
{
    static char buf[4][8400];
    static int i;
    char *b = buf[i++ % 4];
    snprintf(b, sizeof buf[0], "%s/%s-%s-%d", dir, env("SBXP_TAG"), what, (int)getpid());
    return b;
}

/* Open for writing and write one byte: both must succeed to modify. */
static int write_path(const char *path, int flags)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC | flags, 0644);
    if (fd < 0)
        return blocked(errno);
    if (write(fd, "x", 1) != 1) {
        int e = errno;
        close(fd);
        return blocked(e);
    }
    close(fd);
    return escaped("wrote %s", path);
}

#define SYS_OR_BLOCK(call)               \
    do {                                 \
        if ((call) < 0)                  \
            return blocked(errno);       \
    } while (0)

/* --- files outside the workspace ------------------------------------------- */

static int a_write_outside(void) { return write_path(out("file"), 0); }
static int a_append_outside(void) { return write_path(out("file"), O_APPEND); }
static int a_create_outside(void) { return write_path(uniq(env("SBXP_OUT"), "new"), O_CREAT | O_EXCL); }
static int a_open_trunc_outside(void)
{
    int fd = open(out("file"), O_WRONLY | O_TRUNC | O_CLOEXEC);
    SYS_OR_BLOCK(fd);
    close(fd);
    return escaped("truncated %s with O_TRUNC", out("file"));
}
static int a_truncate_outside(void)
{
    SYS_OR_BLOCK(truncate(out("file"), 0));
    return escaped("truncate(%s)", out("file"));
}
static int a_chmod_outside(void)
{
    SYS_OR_BLOCK(chmod(out("file"), 0777));
    return escaped("chmod 0777 %s", out("file"));
}
static int a_chown_outside(void)
{
    /* To ourselves: allowed to any owner without sbx; still a change
     * (ctime, and it clears setuid bits). */
    SYS_OR_BLOCK(chown(out("file"), getuid(), getgid()));
    return escaped("chown %s", out("file"));
}
static int a_utime_outside(void)
{
    struct timespec t[2] = {{.tv_sec = 1}, {.tv_sec = 1}};
    SYS_OR_BLOCK(utimensat(AT_FDCWD, out("file"), t, 0));
    return escaped("set the times of %s", out("file"));
}
static int a_setxattr_outside(void)
{
    SYS_OR_BLOCK(setxattr(out("file"), "user.sbxt", "1", 1, 0));
    return escaped("setxattr user.sbxt on %s", out("file"));
}
static int a_unlink_outside(void)
{
    SYS_OR_BLOCK(unlink(out("unlink-me")));
    return escaped("unlinked %s", out("unlink-me"));
}
static int a_rename_outside(void)
{
    SYS_OR_BLOCK(rename(out("rename-me"), uniq(env("SBXP_OUT"), "renamed")));
    return escaped("renamed %s", out("rename-me"));
}
static int a_mkdir_outside(void)
{
    SYS_OR_BLOCK(mkdir(uniq(env("SBXP_OUT"), "dir"), 0755));
    return escaped("mkdir in %s", env("SBXP_OUT"));
}
static int a_rmdir_outside(void)
{
    SYS_OR_BLOCK(rmdir(out("rmdir-me")));
    return escaped("rmdir %s", out("rmdir-me"));
}
static int a_symlink_outside(void)
{
    SYS_OR_BLOCK(symlink("target", uniq(env("SBXP_OUT"), "symlink")));
    return escaped("created a symlink in %s", env("SBXP_OUT"));
}
static int a_mkfifo_outside(void)
{
    SYS_OR_BLOCK(mkfifo(uniq(env("SBXP_OUT"), "fifo"), 0644));
    return escaped("mkfifo in %s", env("SBXP_OUT"));
}
static int a_mknod_outside(void)
{
    SYS_OR_BLOCK(mknod(uniq(env("SBXP_OUT"), "null"), S_IFCHR | 0666, makedev(1, 3)));
    return escaped("mknod (char 1,3) in %s", env("SBXP_OUT"));
}
static int a_mksock_outside(void)
{
    /* A unix socket file needs socket()+bind(): with the network off the
     * socket itself is refused; mknod(S_IFSOCK) is the path-only way. */
    SYS_OR_BLOCK(mknod(uniq(env("SBXP_OUT"), "sock"), S_IFSOCK | 0644, 0));
    return escaped("mknod S_IFSOCK in %s", env("SBXP_OUT"));
}
static int a_home_dotfile(void)
{
    return write_path(uniq(env("SBXP_HOME"), ".sbxt-profile"), O_CREAT | O_EXCL);
}
static int a_write_etc(void) { return write_path(uniq("/etc", "etc"), O_CREAT | O_EXCL); }
static int a_write_var_tmp(void) { return write_path(uniq("/var/tmp", "vartmp"), O_CREAT | O_EXCL); }
static int a_write_tmp(void) { return write_path(uniq("/tmp", "tmp"), O_CREAT | O_EXCL); }

/* --- ways around the path checks -------------------------------------------- */

static int a_symlink_escape(void)
{
    const char *link = uniq(env("SBXP_WS"), "sl");
    if (symlink(env("SBXP_OUT"), link) < 0)
        return error("symlink in the workspace");
    char path[4200];
    snprintf(path, sizeof path, "%s/%s-via-symlink-%d", link, env("SBXP_TAG"), (int)getpid());
    int r = write_path(path, O_CREAT | O_EXCL);
    unlink(link);
    return r;
}
static int a_hardlink_escape(void)
{
    const char *hl = uniq(env("SBXP_WS"), "hl");
    SYS_OR_BLOCK(link(out("file"), hl));
    int r = write_path(hl, 0);
    unlink(hl);
    return r;
}
static int a_rename_out(void)
{
    const char *src = uniq(env("SBXP_WS"), "mv");
    int fd = open(src, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return error("create %s in the workspace", src);
    close(fd);
    if (rename(src, uniq(env("SBXP_OUT"), "moved")) < 0) {
        int e = errno;
        unlink(src);
        return blocked(e);
    }
    return escaped("moved a file out of the workspace into %s", env("SBXP_OUT"));
}
static int a_dotdot_escape(void)
{
    const char *o = env("SBXP_OUT");
    const char *base = strrchr(o, '/');
    char path[4200];
    snprintf(path, sizeof path, "%s/../%s/%s-dotdot-%d", env("SBXP_WS"), base ? base + 1 : o,
             env("SBXP_TAG"), (int)getpid());
    /* The suite makes SBXP_OUT a sibling of the workspace. */
    return write_path(path, O_CREAT | O_EXCL);
}
static int a_proc_self_root(void)
{
    char path[4200];
    snprintf(path, sizeof path, "/proc/self/root%s", out("file"));
    return write_path(path, 0);
}
static int a_proc_pid_cwd(void)
{
    char path[4200];
    snprintf(path, sizeof path, "/proc/%s/cwd/%s-cwd-%d", env("SBXP_PID"), env("SBXP_TAG"),
             (int)getpid());
    return write_path(path, O_CREAT | O_EXCL);
}
static int a_proc_pid_environ(void)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%s/environ", env("SBXP_PID"));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    SYS_OR_BLOCK(fd);
    char buf[64];
    ssize_t n = read(fd, buf, sizeof buf);
    int e = errno;
    close(fd);
    if (n < 0)
        return blocked(e);
    return escaped("read the environment of process %s outside", env("SBXP_PID"));
}
static int a_inherited_fd(void)
{
    int fd = atoi(env("SBXP_FD"));
    char name[128];
    snprintf(name, sizeof name, "%s-fd-%d", env("SBXP_TAG"), (int)getpid());
    int f = openat(fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    SYS_OR_BLOCK(f);
    close(f);
    return escaped("created %s through inherited fd %d", name, fd);
}
static int a_open_by_handle(void)
{
    struct {
        struct file_handle h;
        unsigned char bytes[128];
    } fh = {.h.handle_bytes = 128};
    int mount_id;
    if (name_to_handle_at(AT_FDCWD, out("file"), &fh.h, &mount_id, 0) < 0)
        return blocked(errno);
    int mfd = open(env("SBXP_OUT"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (mfd < 0)
        return error("open %s", env("SBXP_OUT"));
    int fd = open_by_handle_at(mfd, &fh.h, O_WRONLY | O_CLOEXEC);
    int e = errno;
    close(mfd);
    if (fd < 0)
        return blocked(e);
    close(fd);
    return escaped("opened %s for writing by file handle", out("file"));
}

/* --- .git ------------------------------------------------------------------ */

static int a_git_hook(void) { return write_path(ws(".git/hooks/pre-commit"), O_CREAT | O_TRUNC); }
static int a_git_config(void) { return write_path(ws(".git/config"), O_APPEND); }
static int a_git_rename(void)
{
    SYS_OR_BLOCK(rename(ws(".git"), ws(".git-moved")));
    return escaped("renamed .git away (a new one with hooks could replace it)");
}
static int a_git_chmod(void)
{
    SYS_OR_BLOCK(chmod(ws(".git/config"), 0777));
    return escaped("chmod .git/config");
}

/* --- plants: files the user's tools run, at any depth ----------------------
 *
 * The suite's workspace holds (suite_env_reset): a nested repository
 * nested/.git (config, hooks), a worktree-style wt/.git file
 * "gitdir: ../wtgit" naming wtgit/ (config, hooks), deep/.envrc and
 * deep/er/.vscode/settings.json.  Writing any of them is code the user's
 * git, direnv or editor runs later, outside the sandbox. */

static int a_plant_nested_hook(void)
{
    return write_path(ws("nested/.git/hooks/post-checkout"), O_CREAT | O_TRUNC);
}
static int a_plant_nested_config(void) { return write_path(ws("nested/.git/config"), O_APPEND); }
/* git reads the config of the directory $GIT_DIR/commondir names */
static int a_plant_nested_commondir(void)
{
    return write_path(ws("nested/.git/commondir"), O_CREAT | O_EXCL);
}
static int a_plant_nested_git_rename(void)
{
    SYS_OR_BLOCK(rename(ws("nested/.git"), ws("nested/.git-moved")));
    return escaped("renamed nested/.git away (a repository of the command's could replace it)");
}
/* Repoint the .git file at a directory the command controls. */
static int a_plant_gitdir_repoint(void)
{
    int fd = open(ws("wt/.git"), O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0)
        return blocked(errno);
    const char *text = "gitdir: ../evil-gitdir\n";
    ssize_t n = write(fd, text, strlen(text));
    int e = errno;
    close(fd);
    if (n != (ssize_t)strlen(text))
        return blocked(e);
    return escaped("repointed %s", ws("wt/.git"));
}
static int a_plant_gitdir_config(void) { return write_path(ws("wtgit/config"), O_APPEND); }
static int a_plant_envrc_deep(void) { return write_path(ws("deep/.envrc"), O_APPEND); }
static int a_plant_vscode_deep(void)
{
    return write_path(ws("deep/er/.vscode/settings.json"), O_TRUNC);
}
static int a_plant_vscode_new(void)
{
    return write_path(ws("deep/er/.vscode/tasks.json"), O_CREAT | O_EXCL);
}

/* twice-*: a .envrc made in one run, where there was none, with the times
 * of the directories it changed set back (a cache that trusted mtimes
 * would not search them again); the next run writes it: direnv runs what
 * the second run wrote.  sbx must find it in the second run. */
/* moved-*: the nested repository's folder moved away and a new one built
 * in its place, with a configuration of the command's (git in nested/
 * runs its fsmonitor): the bind kept nested/.git's own name, not its
 * folder's. */
static int a_moved_nested_rebuild(void)
{
    SYS_OR_BLOCK(rename(ws("nested"), ws("nested.old")));
    SYS_OR_BLOCK(mkdir(ws("nested"), 0775));
    SYS_OR_BLOCK(mkdir(ws("nested/.git"), 0775));
    int fd = open(ws("nested/.git/config"), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0664);
    if (fd < 0)
        return blocked(errno);
    const char *text = "[core]\n\tfsmonitor = true\n";
    ssize_t n = write(fd, text, strlen(text));
    close(fd);
    if (n != (ssize_t)strlen(text))
        return blocked(EIO);
    return escaped("rebuilt %s with a configuration of the command's", ws("nested/.git"));
}

static const char *stage(void);
static int a_twice_envrc_utime(void)
{
    const char *dir = ws("deep/er/fresh"), *parent = ws("deep/er");
    if (strcmp(stage(), "use") == 0)
        return write_path(ws("deep/er/fresh/.envrc"), O_APPEND);
    if (strcmp(stage(), "plant") != 0)
        return error("SBXP_STAGE must be plant or use");
    struct stat before;
    if (stat(parent, &before) < 0)
        return error("stat %s", parent);
    if (mkdir(dir, 0775) < 0)
        return error("mkdir %s", dir);
    int fd = open(ws("deep/er/fresh/.envrc"), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0664);
    if (fd < 0)
        return error("create %s/.envrc", dir);
    close(fd);
    /* (the elevated mode's account does not own the parent: EPERM there) */
    struct timespec times[2] = {before.st_atim, before.st_mtim};
    if ((utimensat(AT_FDCWD, parent, times, 0) < 0 && errno != EPERM) ||
        utimensat(AT_FDCWD, dir, times, 0) < 0)
        return error("set the times of %s back", parent);
    printf("RESULT %s planted %s/.envrc\n", cur, dir);
    return 0;
}

/* --- plants where there is none yet: at a workspace's root ----------------
 *
 * The suite's workspace has no .envrc at its root: direnv would run one
 * the command made there the next time the user enters the folder. */
static int a_plant_envrc_root(void) { return write_path(ws(".envrc"), O_CREAT | O_TRUNC); }

/* sub-*: the workspace is SBXP_WS/SBXP_TAG-sub, a folder of the repository
 * SBXP_WS with no .git of its own.  A repository made there, with a
 * configuration of the command's, is the one the user's git finds first
 * in that folder (core.fsmonitor runs a program at `git status`). */
static int a_sub_git_fsmonitor(void)
{
    char dir[4200], p[4300];
    snprintf(dir, sizeof dir, "%s/%s-sub/.git", env("SBXP_WS"), env("SBXP_TAG"));
    if (mkdir(dir, 0775) < 0 && errno != EEXIST)
        return blocked(errno);
    static const char *const subdirs[] = {"objects", "refs"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, subdirs[i]);
        SYS_OR_BLOCK(mkdir(p, 0775));
    }
    static const char *const files[][2] = {
        {"HEAD", "ref: refs/heads/main\n"},
        {"config", "[core]\n\trepositoryformatversion = 0\n\tfsmonitor = touch /tmp/pwned\n"},
    };
    for (size_t i = 0; i < 2; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, files[i][0]);
        int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0664);
        if (fd < 0)
            return blocked(errno);
        ssize_t n = write(fd, files[i][1], strlen(files[i][1]));
        int e = errno;
        close(fd);
        if (n != (ssize_t)strlen(files[i][1]))
            return blocked(e);
    }
    return escaped("made the repository %s with core.fsmonitor", dir);
}

/* twin-*: two runs on one workspace (probe.h).  "hold" stays in until
 * the suite says stop; "use" keeps trying to make .envrc at the root,
 * through the end of the "hold" run and a second past it: the end of one
 * run must not take away what keeps the other's command from it. */
static int a_twin_envrc_root(void)
{
    char ready[4200], stop[4200], using[4200], done[4200];
    snprintf(ready, sizeof ready, "%s/%s-twin-ready", env("SBXP_WS"), env("SBXP_TAG"));
    snprintf(stop, sizeof stop, "%s/%s-twin-stop", env("SBXP_WS"), env("SBXP_TAG"));
    snprintf(using, sizeof using, "%s/%s-twin-using", env("SBXP_WS"), env("SBXP_TAG"));
    snprintf(done, sizeof done, "%s/%s-twin-done", env("SBXP_WS"), env("SBXP_TAG"));
    struct stat st;
    time_t start = time(NULL);
    if (strcmp(stage(), "hold") == 0) {
        int fd = open(ready, O_WRONLY | O_CREAT | O_CLOEXEC, 0664);
        if (fd < 0)
            return error("create %s", ready);
        close(fd);
        while (stat(stop, &st) != 0 && time(NULL) - start < 30)
            usleep(10 * 1000);
        printf("RESULT %s held\n", cur);
        return 0;
    }
    if (strcmp(stage(), "use") != 0)
        return error("SBXP_STAGE must be hold or use");
    int fd = open(using, O_WRONLY | O_CREAT | O_CLOEXEC, 0664);
    if (fd < 0)
        return error("create %s", using);
    close(fd);
    time_t done_at = 0;
    int last = 0;
    for (unsigned tries = 0; time(NULL) - start < 30; tries++) {
        fd = open(ws(".envrc"), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd >= 0) {
            ssize_t n = write(fd, "x", 1);
            close(fd);
            if (n == 1)
                return escaped("wrote %s after %u tries", ws(".envrc"), tries);
        }
        last = errno;
        if (!done_at && stat(done, &st) == 0)
            done_at = time(NULL);
        if (done_at && time(NULL) - done_at >= 1)
            break;
        usleep(5 * 1000);
    }
    return blocked(last);
}

/* --- terminal -------------------------------------------------------------- */

static int a_tiocsti(void)
{
    /* On every terminal the probe can reach: its stdio and /dev/tty. */
    int fds[4] = {0, 1, 2, open("/dev/tty", O_RDWR | O_CLOEXEC)};
    int last = ENOTTY;
    for (int i = 0; i < 4; i++) {
        if (fds[i] < 0) {
            continue;
        }
        char c = '\n';
        if (ioctl(fds[i], TIOCSTI, &c) == 0)
            return escaped("pushed a byte into the input of the terminal on fd %d", fds[i]);
        last = errno;
    }
    return blocked(last);
}
static int a_tioclinux(void)
{
    char sub = 12; /* TIOCL_GETSHIFTSTATE: harmless where it works */
    SYS_OR_BLOCK(ioctl(0, TIOCLINUX, &sub));
    return escaped("TIOCLINUX on stdin");
}

/* --- processes ------------------------------------------------------------- */

static int a_kill_outside(void)
{
    /* SIGWINCH: ignored by default, so the control run harms nothing. */
    SYS_OR_BLOCK(kill(atoi(env("SBXP_PID")), SIGWINCH));
    return escaped("signalled process %s outside", env("SBXP_PID"));
}
static int a_ptrace_outside(void)
{
    pid_t pid = atoi(env("SBXP_PID"));
    SYS_OR_BLOCK(ptrace(PTRACE_SEIZE, pid, 0, 0));
    ptrace(PTRACE_DETACH, pid, 0, 0);
    return escaped("attached to process %d outside with ptrace", (int)pid);
}

static int a_setuid_exec(void)
{
    const char *suid = getenv("SBXP_SUID");
    if (!suid || !*suid)
        return error("SBXP_SUID is not set");
    int p[2];
    if (pipe(p) < 0)
        return error("pipe");
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[1], 1);
        execl(suid, suid, "report-creds", (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    char buf[256] = {0};
    ssize_t n = read(p[0], buf, sizeof buf - 1);
    close(p[0]);
    int st;
    waitpid(pid, &st, 0);
    if (n <= 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return blocked(WIFEXITED(st) && WEXITSTATUS(st) == 127 ? EACCES : EPERM);
    unsigned euid;
    unsigned long long capeff;
    if (sscanf(buf, "euid=%u capeff=%llx", &euid, &capeff) != 2)
        return error("unexpected report from the setuid probe: %s", buf);
    bool gained = (euid == 0 && getuid() != 0) || (capeff & (1ULL << 21)); /* CAP_SYS_ADMIN */
    if (gained)
        return escaped("the setuid binary ran with euid %u, CapEff %llx", euid, capeff);
    return blocked(EPERM);
}

/* --- stdio: files of the caller's behind 0 and 1 ---------------------------- */

/* The suite gives the stdio-* attempts (PROBE_STDIO_FILES) SBXP_OUT/stdio-in
 * as stdin and SBXP_OUT/stdio-out as stdout; stderr stays its pipe.  What
 * counts is whether the file outside changed, read back by path: inside
 * sbx the call may well succeed, on a pipe of the sandbox's own. */
static int stdio_verdict(int rc, int e, bool changed, int fd, const char *what)
{
    /* stdout is the file under attack: the verdict goes to stderr's pipe */
    fflush(stdout);
    if (dup2(2, 1) < 0)
        return error("dup2 stderr to stdout");
    if (changed)
        return escaped("%s on the file outside through fd %d", what, fd);
    if (rc < 0)
        return blocked(e);
    printf("RESULT %s blocked (%s succeeded on fd %d, which is not the file outside)\n", cur,
           what, fd);
    return 0;
}
static int a_stdio_chmod(void)
{
    struct stat st;
    int rc = chmod("/proc/self/fd/0", 0600);
    int e = errno;
    bool changed = stat(out("stdio-in"), &st) == 0 && (st.st_mode & 07777) == 0600;
    return stdio_verdict(rc, e, changed, 0, "chmod 0600 /proc/self/fd/0");
}
static int a_stdio_fchmod(void)
{
    struct stat st;
    int rc = fchmod(1, 0600);
    int e = errno;
    bool changed = stat(out("stdio-out"), &st) == 0 && (st.st_mode & 07777) == 0600;
    return stdio_verdict(rc, e, changed, 1, "fchmod 0600");
}
static int a_stdio_utime(void)
{
    struct timespec t[2] = {{.tv_sec = 1}, {.tv_sec = 1}};
    struct stat st;
    int rc = utimensat(AT_FDCWD, "/proc/self/fd/1", t, 0);
    int e = errno;
    bool changed = stat(out("stdio-out"), &st) == 0 && st.st_mtim.tv_sec == 1;
    return stdio_verdict(rc, e, changed, 1, "touch -d @1 /proc/self/fd/1");
}
static int a_stdio_setxattr(void)
{
    char v[8];
    int rc = setxattr("/proc/self/fd/0", "user.sbxt", "1", 1, 0);
    int e = errno;
    bool changed = getxattr(out("stdio-in"), "user.sbxt", v, sizeof v) >= 0;
    return stdio_verdict(rc, e, changed, 0, "setxattr user.sbxt /proc/self/fd/0");
}
static int a_stdio_chown(void)
{
    /* To nobody: only root can, without sbx (CTRL_ROOT). */
    struct stat st;
    int rc = chown("/proc/self/fd/1", 65534, 65534);
    int e = errno;
    bool changed = stat(out("stdio-out"), &st) == 0 && st.st_uid == 65534;
    return stdio_verdict(rc, e, changed, 1, "chown nobody /proc/self/fd/1");
}

/* --- resources ------------------------------------------------------------- */

/* More than sbx's default process limit (4096 per run), alive at once.
 * Each is a process of its own (its pid, counted by RLIMIT_NPROC and the
 * pids controller alike) that shares the probe's memory (CLONE_VM): a
 * fork of the sanitized probe takes milliseconds, this takes microseconds. */
#define MANY_PROCESSES 5000
#define KID_STACK (16 * 1024)

__attribute__((no_sanitize("address", "undefined"))) static int kid_main(void *arg)
{
    (void)arg;
    /* gone with the probe, whatever happens to it */
    syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    for (;;)
        syscall(SYS_pause);
    return 0;
}

static int a_many_processes(void)
{
    pid_t *kids = calloc(MANY_PROCESSES, sizeof *kids);
    char *stacks = mmap(NULL, (size_t)MANY_PROCESSES * KID_STACK, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (!kids || stacks == MAP_FAILED)
        return error("memory for %d processes", MANY_PROCESSES);
    int n = 0, e = 0;
    for (; n < MANY_PROCESSES; n++) {
        pid_t p = clone(kid_main, stacks + (size_t)(n + 1) * KID_STACK, CLONE_VM | SIGCHLD, NULL);
        if (p < 0) {
            e = errno;
            break;
        }
        kids[n] = p;
    }
    for (int i = 0; i < n; i++)
        kill(kids[i], SIGKILL);
    for (int i = 0; i < n; i++)
        waitpid(kids[i], NULL, 0);
    munmap(stacks, (size_t)MANY_PROCESSES * KID_STACK);
    free(kids);
    if (n == MANY_PROCESSES)
        return escaped("%d processes alive at once", n);
    printf("RESULT %s blocked %s (after %d processes: %s)\n", cur,
           strerrorname_np(e) ? strerrorname_np(e) : "?", n, strerror(e));
    return 0;
}

/* Out of the run's pids cgroup: into the root of the pids hierarchy. */
static int a_leave_pids_cgroup(void)
{
    FILE *f = fopen("/proc/self/cgroup", "re");
    if (!f)
        return error("open /proc/self/cgroup");
    char line[512], *path = NULL;
    while (!path && fgets(line, sizeof line, f)) {
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (c2 && strstr(c1, "pids"))
            path = c2 + 1;
    }
    fclose(f);
    /* No v1 pids hierarchy: cgroup v2, one hierarchy for all */
    const char *procs = path ? "/sys/fs/cgroup/pids/cgroup.procs" : "/sys/fs/cgroup/cgroup.procs";
    int fd = open(procs, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return blocked(errno);
    char pid[16];
    int n = snprintf(pid, sizeof pid, "%d\n", (int)getpid());
    ssize_t w = write(fd, pid, (size_t)n);
    int e = errno;
    close(fd);
    if (w != n)
        return blocked(e);
    return escaped("moved itself to the root of the pids hierarchy (%s)", procs);
}

/* More than sbx's default /dev/shm size (256 MiB), in one file. */
#define SHM_FILL_MIB 300

static int a_fill_dev_shm(void)
{
    char path[160];
    snprintf(path, sizeof path, "/dev/shm/%s-fill-%d", env("SBXP_TAG"), (int)getpid());
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return blocked(errno);
    static char mib[1 << 20];
    memset(mib, 'x', sizeof mib);
    int e = 0, done = 0;
    for (; done < SHM_FILL_MIB && !e; done++)
        for (size_t off = 0; off < sizeof mib;) {
            ssize_t w = write(fd, mib + off, sizeof mib - off);
            if (w <= 0) {
                e = w < 0 ? errno : ENOSPC;
                break;
            }
            off += (size_t)w;
        }
    close(fd);
    unlink(path);
    if (!e)
        return escaped("wrote %d MiB to /dev/shm", SHM_FILL_MIB);
    printf("RESULT %s blocked %s (after %d MiB: %s)\n", cur,
           strerrorname_np(e) ? strerrorname_np(e) : "?", done - 1, strerror(e));
    return 0;
}

/* --- namespaces and kernel interfaces -------------------------------------- */

static int a_unshare_user(void)
{
    SYS_OR_BLOCK(unshare(CLONE_NEWUSER));
    return escaped("created a user namespace (full capabilities inside)");
}
static int a_mount_tmpfs(void)
{
    SYS_OR_BLOCK(mount("tmpfs", env("SBXP_OUT"), "tmpfs", 0, "size=16k"));
    umount2(env("SBXP_OUT"), MNT_DETACH);
    return escaped("mounted a tmpfs on %s", env("SBXP_OUT"));
}
static int a_remount_rw(void)
{
    SYS_OR_BLOCK(mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND, NULL));
    return escaped("remounted / read-write");
}
static int a_keyring(void)
{
    /* KEYCTL_GET_KEYRING_ID of the user keyring, shared with the caller's
     * sessions. */
    long id = syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -4 /* USER_KEYRING */, 0);
    SYS_OR_BLOCK(id);
    return escaped("reached the user keyring %ld", id);
}
static int a_io_uring(void)
{
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    long fd = syscall(SYS_io_uring_setup, 4, &p);
    SYS_OR_BLOCK(fd);
    close((int)fd);
    return escaped("set up an io_uring (socket/connect ops would pass seccomp)");
}

/* --- network --------------------------------------------------------------- */

static int tcp_connect(int family)
{
    int s = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    SYS_OR_BLOCK(s);
    int r;
    if (family == AF_INET) {
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(atoi(env("SBXP_PORT4")))};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        r = connect(s, (struct sockaddr *)&a, sizeof a);
    } else {
        struct sockaddr_in6 a = {.sin6_family = AF_INET6,
                                 .sin6_port = htons(atoi(env("SBXP_PORT6"))),
                                 .sin6_addr = IN6ADDR_LOOPBACK_INIT};
        r = connect(s, (struct sockaddr *)&a, sizeof a);
    }
    int e = errno;
    close(s);
    if (r < 0)
        return blocked(e);
    return escaped("connected to the loopback TCP listener");
}
static int a_tcp4_connect(void) { return tcp_connect(AF_INET); }
static int a_tcp6_connect(void) { return tcp_connect(AF_INET6); }

static int tcp_bind(int family)
{
    int s = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    SYS_OR_BLOCK(s);
    int r;
    /* A fixed high port: port 0 (ephemeral) is a separate Landlock case. */
    if (family == AF_INET) {
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(47000 + getpid() % 1000)};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        r = bind(s, (struct sockaddr *)&a, sizeof a);
    } else {
        struct sockaddr_in6 a = {.sin6_family = AF_INET6,
                                 .sin6_port = htons(48000 + getpid() % 1000),
                                 .sin6_addr = IN6ADDR_LOOPBACK_INIT};
        r = bind(s, (struct sockaddr *)&a, sizeof a);
    }
    int e = errno;
    close(s);
    if (r < 0)
        return blocked(e);
    return escaped("bound a TCP port");
}
static int a_tcp4_bind(void) { return tcp_bind(AF_INET); }
static int a_tcp6_bind(void) { return tcp_bind(AF_INET6); }
static int a_tcp_listen_autobind(void)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    SYS_OR_BLOCK(s);
    int r = listen(s, 1);
    int e = errno;
    close(s);
    if (r < 0)
        return blocked(e);
    return escaped("listening on an automatically bound TCP port");
}
static int udp_send(int family)
{
    int s = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    SYS_OR_BLOCK(s);
    ssize_t r;
    if (family == AF_INET) {
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(9)};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        r = sendto(s, "x", 1, 0, (struct sockaddr *)&a, sizeof a);
    } else {
        struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(9),
                                 .sin6_addr = IN6ADDR_LOOPBACK_INIT};
        r = sendto(s, "x", 1, 0, (struct sockaddr *)&a, sizeof a);
    }
    int e = errno;
    close(s);
    if (r < 0)
        return blocked(e);
    return escaped("sent a UDP datagram");
}
static int a_udp4_send(void) { return udp_send(AF_INET); }
static int a_udp6_send(void) { return udp_send(AF_INET6); }
static int a_dns_query(void)
{
    /* A query for example.com sent to the first resolver of resolv.conf:
     * what any DNS lookup does first. */
    char ns[64] = "127.0.0.53";
    FILE *f = fopen("/etc/resolv.conf", "re");
    if (f) {
        char line[256];
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "nameserver %63s", ns) == 1)
                break;
        fclose(f);
    }
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(53)};
    if (inet_pton(AF_INET, ns, &a.sin_addr) != 1)
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    static const unsigned char q[] = {0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0,
                                      7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
                                      3, 'c', 'o', 'm', 0, 0, 1, 0, 1};
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    SYS_OR_BLOCK(s);
    ssize_t r = sendto(s, q, sizeof q, 0, (struct sockaddr *)&a, sizeof a);
    int e = errno;
    close(s);
    if (r < 0)
        return blocked(e);
    return escaped("sent a DNS query to %s", ns);
}
static int socket_only(int family, int type, int proto, const char *what)
{
    int s = socket(family, type | SOCK_CLOEXEC, proto);
    SYS_OR_BLOCK(s);
    close(s);
    return escaped("created a %s socket", what);
}
static int a_icmp_raw(void) { return socket_only(AF_INET, SOCK_RAW, IPPROTO_ICMP, "raw ICMP"); }
static int a_icmp_ping(void) { return socket_only(AF_INET, SOCK_DGRAM, IPPROTO_ICMP, "ping"); }
static int a_packet(void) { return socket_only(AF_PACKET, SOCK_RAW, htons(3 /* ETH_P_ALL */), "packet"); }
static int a_netlink_route(void)
{
    return socket_only(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE, "netlink route");
}
static int a_unix_create(void) { return socket_only(AF_UNIX, SOCK_STREAM, 0, "unix"); }

static int unix_connect(const char *name, bool abstract)
{
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    SYS_OR_BLOCK(s);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    socklen_t len;
    if (abstract) {
        a.sun_path[0] = '\0';
        strncpy(a.sun_path + 1, name, sizeof a.sun_path - 2);
        len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));
    } else {
        strncpy(a.sun_path, name, sizeof a.sun_path - 1);
        len = sizeof a;
    }
    int r = connect(s, (struct sockaddr *)&a, len);
    int e = errno;
    close(s);
    if (r < 0)
        return blocked(e);
    return escaped("connected to the %s unix socket of a host daemon", abstract ? "abstract" : "");
}
static int a_unix_daemon(void) { return unix_connect(env("SBXP_UNIX"), false); }
static int a_unix_abstract(void) { return unix_connect(env("SBXP_ABSTRACT"), true); }

/* A datagram unix socket needs no socket() and no connect(): a socketpair
 * end can be sent from (or re-connected) to any bound datagram socket of
 * the host (syslog's /dev/log, journald's socket). */
static int unix_dgram_send(bool pair)
{
    int s, sv[2] = {-1, -1};
    if (pair) {
        SYS_OR_BLOCK(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv));
        s = sv[0];
    } else {
        s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        SYS_OR_BLOCK(s);
    }
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    strncpy(a.sun_path, env("SBXP_UNIX_DGRAM"), sizeof a.sun_path - 1);
    ssize_t n = sendto(s, "sbxt", 4, MSG_DONTWAIT, (struct sockaddr *)&a, sizeof a);
    int e = errno;
    close(s);
    if (sv[1] >= 0)
        close(sv[1]);
    if (n < 0)
        return blocked(e);
    return escaped("sent a datagram to the host's datagram socket %s", a.sun_path);
}
static int a_unix_dgram_pair(void) { return unix_dgram_send(true); }
static int a_unix_dgram_socket(void) { return unix_dgram_send(false); }

/* Connected to the daemon that is not the allowed one?  (Both greet the
 * same way: the peer's address tells them apart.) */
static bool peer_is(int s, const char *path)
{
    struct sockaddr_un p;
    socklen_t len = sizeof p;
    memset(&p, 0, sizeof p);
    return getpeername(s, (struct sockaddr *)&p, &len) == 0 && p.sun_family == AF_UNIX &&
           strcmp(p.sun_path, path) == 0;
}

/* --allow-unix names one socket: the race the check could lose.  One
 * thread flips the address connect() reads between 127.0.0.1 (TCP, allowed
 * with --net on) and the other daemon's unix path, another swaps the fd
 * being connected between a TCP and a unix socket; the main thread keeps
 * connecting.  Any connection that ends at the other daemon escaped. */
static union {
    struct sockaddr_un un;
    struct sockaddr_in in;
} race_addr;
static volatile int race_stop;
static int race_fd_inet = -1, race_fd_unix = -1, race_slot = -1;

static void *race_flip_addr(void *arg)
{
    (void)arg;
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons(atoi(env("SBXP_PORT4")))};
    in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    strncpy(un.sun_path, env("SBXP_UNIX"), sizeof un.sun_path - 1);
    for (unsigned i = 0; !race_stop; i++) {
        if (i & 1)
            memcpy(&race_addr.in, &in, sizeof in);
        else
            memcpy(&race_addr.un, &un, sizeof un);
    }
    return NULL;
}

static void *race_flip_fd(void *arg)
{
    (void)arg;
    for (unsigned i = 0; !race_stop; i++)
        dup2((i & 1) ? race_fd_inet : race_fd_unix, race_slot);
    return NULL;
}

static int a_unix_allow_race(void)
{
    const char *other = env("SBXP_UNIX");
    pthread_t t1, t2;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int last = 0;
    int inet = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int slot = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (inet < 0 || slot < 0)
        return error("socket(AF_INET) for the race (needs --net on)");
    race_fd_inet = inet;
    race_slot = slot;
    /* Start at the other daemon's address: on a loaded machine the flipper
     * may not run before the loop ends, and without sbx the attempt must
     * still reach that socket (with sbx, it must not, flipped or not). */
    race_addr.un.sun_family = AF_UNIX;
    strncpy(race_addr.un.sun_path, other, sizeof race_addr.un.sun_path - 1);
    /* Round 0, before anything flips: the other daemon's address as it
     * is.  Without sbx this connects (the control must escape whatever the
     * scheduling: a flipper on the other core tears the address between
     * two families faster than connect() copies it); with sbx the broker
     * must refuse it like every flipped round after it. */
    int u0 = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (u0 >= 0) {
        bool direct = connect(u0, (struct sockaddr *)&race_addr.un, sizeof race_addr.un) == 0 &&
                      peer_is(u0, other);
        close(u0);
        if (direct)
            return escaped("connected to the other daemon's socket %s (round 0)", other);
    }
    if (pthread_create(&t1, NULL, race_flip_addr, NULL) != 0)
        return error("pthread_create");
    bool hit = false;
    int tries = 0;
    for (; tries < 400 && !hit; tries++) {
        sched_yield(); /* let the flipper run between tries */
        /* a fresh unix socket (when the sandbox lets one be made) and a
         * fresh TCP one each round: a connected one can't be reused */
        int u = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (u < 0)
            last = errno;
        /* 1: the unix socket itself, with the flipping address */
        if (u >= 0) {
            if (connect(u, (struct sockaddr *)&race_addr, sizeof race_addr) == 0 && peer_is(u, other))
                hit = true;
            else
                last = errno;
        }
        /* 2: a slot whose socket changes under connect() */
        if (!hit && u >= 0) {
            int u2 = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
            int i2 = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            if (u2 >= 0 && i2 >= 0) {
                race_fd_unix = u2;
                race_fd_inet = i2;
                race_stop = 0;
                if (pthread_create(&t2, NULL, race_flip_fd, NULL) == 0) {
                    struct sockaddr_un un = {.sun_family = AF_UNIX};
                    strncpy(un.sun_path, other, sizeof un.sun_path - 1);
                    for (int k = 0; k < 20 && !hit; k++)
                        if (connect(race_slot, (struct sockaddr *)&un, sizeof un) == 0 &&
                            peer_is(race_slot, other))
                            hit = true;
                        else
                            last = errno;
                    race_stop = 1;
                    pthread_join(t2, NULL);
                    race_stop = 0;
                }
            }
            if (u2 >= 0)
                close(u2);
            if (i2 >= 0)
                close(i2);
        }
        if (u >= 0)
            close(u);
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec > 20)
            break;
    }
    race_stop = 1;
    pthread_join(t1, NULL);
    if (hit)
        return escaped("connected to the other daemon's socket %s (try %d)", other, tries);
    return blocked(last ? last : EACCES);
}

/* --allow-unix names one socket: a symlink in the workspace flipped
 * between it and the other daemon's socket while connect() goes through
 * the symlink. */
static int a_unix_allow_link_race(void)
{
    const char *other = env("SBXP_UNIX"), *allowed = env("SBXP_UNIX_ALLOWED");
    char link[4200], spare[4200];
    snprintf(link, sizeof link, "%s", uniq(env("SBXP_WS"), "sock"));
    snprintf(spare, sizeof spare, "%s", uniq(env("SBXP_WS"), "spare"));
    unlink(link);
    unlink(spare);
    if (strlen(link) >= 100 || symlink(allowed, link) < 0 || symlink(other, spare) < 0)
        return error("symlinks in the workspace");
    /* link and spare trade places as fast as they can; the connects start
     * once the swapping has */
    int started[2];
    if (pipe(started) < 0)
        return error("pipe");
    pid_t flipper = fork();
    if (flipper == 0) {
        for (unsigned i = 0;; i++) {
            syscall(SYS_renameat2, AT_FDCWD, link, AT_FDCWD, spare, 2 /* RENAME_EXCHANGE */);
            if (i == 64 && write(started[1], "s", 1) != 1)
                _exit(1);
        }
    }
    close(started[1]);
    char c;
    if (read(started[0], &c, 1) != 1) {
        kill(flipper, SIGKILL);
        waitpid(flipper, NULL, 0);
        return error("the symlink flipper did not start");
    }
    close(started[0]);
    int last = 0;
    bool hit = false;
    int tries = 0;
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    if (strlen(link) >= sizeof un.sun_path) {
        kill(flipper, SIGKILL);
        waitpid(flipper, NULL, 0);
        return error("the symlink path %s is too long for a unix address", link);
    }
    memcpy(un.sun_path, link, strlen(link) + 1);
    for (; tries < 2000 && !hit; tries++) {
        int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s < 0) {
            last = errno;
            break;
        }
        if (connect(s, (struct sockaddr *)&un, sizeof un) == 0)
            hit = peer_is(s, other);
        else
            last = errno;
        close(s);
    }
    kill(flipper, SIGKILL);
    waitpid(flipper, NULL, 0);
    unlink(link);
    unlink(spare);
    if (hit)
        return escaped("connected to the other daemon's socket %s through a flipped symlink "
                       "(try %d)", other, tries);
    return blocked(last ? last : EACCES);
}

/* --allow-unix: the broker runs beside the command, as the same user (the
 * sandbox account, in the elevated mode) and in the same Landlock domain;
 * the elevated mode's connector is the caller, in the same PID namespace.
 * The broker's seccomp listener would let the command answer its own
 * connect()s, the connector's fds are the allowed sockets: take any fd of
 * either with pidfd_getfd() or /proc/PID/fd, or ptrace them.  Neither
 * exists without sbx: no control run. */
static int take_from(pid_t pid, const char *who, int *last)
{
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    for (int fd = 0; fd < 64; fd++) {
        char p[64];
        if (pidfd >= 0) {
            int got = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
            if (got >= 0)
                return escaped("took fd %d of the %s (pid %d) with pidfd_getfd", fd, who, pid);
            if (errno != EBADF)
                *last = errno;
        }
        snprintf(p, sizeof p, "/proc/%d/fd/%d", pid, fd);
        int o = open(p, O_PATH | O_CLOEXEC);
        if (o >= 0)
            return escaped("opened %s (the %s's)", p, who);
        if (errno != ENOENT)
            *last = errno;
    }
    if (pidfd >= 0)
        close(pidfd);
    if (ptrace(PTRACE_SEIZE, pid, NULL, NULL) == 0)
        return escaped("ptrace-seized the %s (pid %d)", who, pid);
    *last = errno;
    return 0;
}

static int a_unix_allow_broker(void)
{
    int last = EPERM, found = 0;
    for (int pid = 2; pid < 4096; pid++) {
        char p[64], comm[32] = "";
        snprintf(p, sizeof p, "/proc/%d/comm", pid);
        FILE *f = fopen(p, "re");
        if (!f)
            continue;
        if (!fgets(comm, sizeof comm, f))
            comm[0] = '\0';
        fclose(f);
        const char *who = strncmp(comm, "sbx-unix-broker", 15) == 0 ? "broker"
                        : strncmp(comm, "sbx-unix-conn", 13) == 0  ? "connector"
                                                                   : NULL;
        if (!who)
            continue;
        found++;
        if (take_from(pid, who, &last))
            return 1;
    }
    if (!found)
        return error("no sbx-unix-broker process in sight");
    return blocked(last);
}

/* --- sbx's own arguments: planted symlinks, swapped paths, state, devices --- */

/* "<SBXP_WS>/<SBXP_TAG>-<attempt><suffix>": the same in every stage. */
static const char *target_path(const char *suffix)
{
    static char buf[2][4200];
    static int i;
    char *b = buf[i++ % 2];
    snprintf(b, sizeof buf[0], "%s/%s-%s%s", env("SBXP_WS"), env("SBXP_TAG"), cur, suffix);
    return b;
}

static const char *stage(void)
{
    const char *s = getenv("SBXP_STAGE");
    return s ? s : "";
}

/* "use": open the target path as a directory, up to `tries` times, and
 * create a file in whatever it leads to; escaped when that is SBXP_REPO
 * (the symlink's target) and the file could be made there.  A file made
 * in the real directory, or a write refused, is another try; each file is
 * removed through the same descriptor it was made through. */
static int use_target(int tries)
{
    const char *repo = env("SBXP_REPO");
    struct stat rst;
    if (stat(repo, &rst) < 0)
        return error("stat %s", repo);
    int last = 0;
    for (int t = 0; t < tries; t++) {
        if (t > 0)
            usleep(100); /* spread the tries over the swapper's states */
        char name[128];
        snprintf(name, sizeof name, "%s-hit-%d-%d", env("SBXP_TAG"), (int)getpid(), t);
        int dfd = open(target_path(""), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0) {
            last = errno;
            continue;
        }
        struct stat dst;
        bool in_repo = fstat(dfd, &dst) == 0 && dst.st_dev == rst.st_dev &&
                       dst.st_ino == rst.st_ino;
        int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0) {
            last = errno;
            close(dfd);
            continue;
        }
        close(fd);
        unlinkat(dfd, name, 0);
        close(dfd);
        if (in_repo)
            return escaped("wrote %s/%s through the workspace path %s (try %d)", repo, name,
                           target_path(""), t + 1);
        last = ENOENT; /* it landed in the real directory: not in the target */
    }
    return blocked(last ? last : EACCES);
}

/* A run plants ws/x -> SBXP_REPO (~/.config, another project); a later
 * `sbx run --workspace ws/x` must not make the target writable. */
static int a_wsarg_planted_symlink(void)
{
    if (strcmp(stage(), "plant") == 0) {
        const char *link = target_path("");
        unlink(link);
        if (symlink(env("SBXP_REPO"), link) < 0)
            return error("symlink %s in the workspace", link);
        printf("RESULT %s planted %s\n", cur, link);
        return 0;
    }
    if (strcmp(stage(), "use") == 0)
        return use_target(1);
    return error("SBXP_STAGE must be plant or use");
}

/* The target path is a real directory when sbx checks it, and a symlink
 * to SBXP_REPO a moment later when sbx binds it or gives Landlock its
 * rule, if sbx looks it up by name again. */
static int a_race_workspace_swap(void)
{
    if (strcmp(stage(), "use") == 0)
        return use_target(300);
    if (strcmp(stage(), "swap") != 0)
        return error("SBXP_STAGE must be swap or use");
    const char *dir = target_path(""), *alt = target_path("-alt"), *stop = NULL;
    char stopbuf[4200];
    snprintf(stopbuf, sizeof stopbuf, "%s/%s-%s-stop", env("SBXP_OUT"), env("SBXP_TAG"), cur);
    stop = stopbuf;
    struct stat st;
    if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
        return error("the suite did not make the directory %s", dir);
    unlink(alt);
    if (symlink(env("SBXP_REPO"), alt) < 0)
        return error("symlink %s", alt);
    unsigned long swaps = 0;
    time_t start = time(NULL);
    for (;;) {
        if (syscall(SYS_renameat2, AT_FDCWD, dir, AT_FDCWD, alt, 2 /* RENAME_EXCHANGE */) < 0)
            return error("renameat2(RENAME_EXCHANGE) %s and %s", dir, alt);
        swaps++;
        /* Each state lasts from nothing to 1.5 ms: short ones race the
         * checks against each other, long ones let runs get past the
         * checks and race the binds and rules that follow them. */
        usleep((useconds_t)(rand() % 1500));
        /* at least 128 swaps: the suite wants 100 to trust a control
         * whose first "use" may escape (and stop it) within a few ms */
        if (swaps % 64 == 0 && swaps >= 128 &&
            (stat(stop, &st) == 0 || time(NULL) - start > 30))
            break;
    }
    /* leave the directory where it was */
    if (swaps % 2 == 1)
        syscall(SYS_renameat2, AT_FDCWD, dir, AT_FDCWD, alt, 2 /* RENAME_EXCHANGE */);
    unlink(alt);
    printf("RESULT %s swapped %lu\n", cur, swaps);
    return 0;
}

/* --state inside the workspace, before sbx made it: the command plants a
 * ledger for sbx's next command to trust. */
static int a_state_plant_ledger(void)
{
    char dir[4400], ledger[4420];
    snprintf(dir, sizeof dir, "%s/%s-state", env("SBXP_WS"), env("SBXP_TAG"));
    mkdir(dir, 0700);
    snprintf(dir, sizeof dir, "%s/%s-state/sbx", env("SBXP_WS"), env("SBXP_TAG"));
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return blocked(errno);
    snprintf(ledger, sizeof ledger, "%s/ledger.db", dir);
    return write_path(ledger, O_CREAT | O_TRUNC);
}

/* What one run leaves in its TMPDIR is input to the next: "plant" puts a
 * secret at the bottom of a tree nested deeper (4200 levels, made
 * directory by directory through descriptors) than a recursive remover
 * walks, and notes the tree's top in the workspace; "use", a later run,
 * walks down to the secret the same way: escaped when it is still there. */
#define LEFT_DEPTH 4200

static int walk_deep(int dfd, bool make, int *depth)
{
    for (*depth = 0; *depth < LEFT_DEPTH; (*depth)++) {
        if (make && mkdirat(dfd, "d", 0700) < 0 && errno != EEXIST)
            break;
        int sub = openat(dfd, "d", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        close(dfd);
        if (sub < 0)
            return -1;
        dfd = sub;
    }
    return dfd;
}

static int a_left_tmpdir_deep(void)
{
    const char *note = target_path("");
    char top[4300] = "";
    int depth = 0;
    if (strcmp(stage(), "plant") == 0) {
        snprintf(top, sizeof top, "%s/%s-deep", env("TMPDIR"), env("SBXP_TAG"));
        int dfd = mkdir(top, 0700) == 0 ? open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
        if (dfd < 0)
            return error("make %s", top);
        if ((dfd = walk_deep(dfd, true, &depth)) < 0)
            return error("make the tree in %s, at depth %d", top, depth);
        int sfd = openat(dfd, "secret", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        close(dfd);
        if (sfd < 0 || write(sfd, "secret", 6) != 6)
            return error("write the secret at the bottom of %s", top);
        close(sfd);
        FILE *f = fopen(note, "we");
        if (!f || fprintf(f, "%s", top) < 0 || fclose(f) != 0)
            return error("note the tree's top in %s", note);
        printf("RESULT %s planted %s/d/.../secret\n", cur, top);
        return 0;
    }
    if (strcmp(stage(), "use") != 0)
        return error("SBXP_STAGE must be plant or use");
    FILE *f = fopen(note, "re");
    if (!f || !fgets(top, sizeof top, f))
        return error("read the note %s", note);
    fclose(f);
    unlink(note);
    int dfd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return blocked(errno);
    if ((dfd = walk_deep(dfd, false, &depth)) < 0)
        return blocked(errno);
    int sfd = openat(dfd, "secret", O_RDONLY | O_CLOEXEC);
    int e = errno;
    close(dfd);
    if (sfd < 0)
        return blocked(e);
    close(sfd);
    return escaped("read the secret %d levels beneath %s, left in its TMPDIR by an earlier run",
                   LEFT_DEPTH, top);
}

/* A SysV message queue outlives the process that made it, and every
 * process of the machine's IPC namespace may look it up by key: "plant"
 * queues a secret, "use", a later run, reads it back (and removes the
 * queue, so the control leaves nothing on the machine). */
static int a_left_sysv_msgq(void)
{
    const char *note = target_path("");
    struct {
        long type;
        char text[32];
    } msg = {.type = 1};
    if (strcmp(stage(), "plant") == 0) {
        /* a key of this suite's: the tag's pid part, made unlikely to
         * collide with anyone's */
        key_t key = (key_t)(0x5b780000 | (getpid() & 0xffff));
        int q = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
        if (q < 0)
            return error("msgget(0x%x, IPC_CREAT)", (unsigned)key);
        snprintf(msg.text, sizeof msg.text, "secret");
        if (msgsnd(q, &msg, sizeof msg.text, 0) < 0) {
            msgctl(q, IPC_RMID, NULL);
            return error("msgsnd");
        }
        FILE *f = fopen(note, "we");
        if (!f || fprintf(f, "%d", (int)key) < 0 || fclose(f) != 0) {
            msgctl(q, IPC_RMID, NULL);
            return error("note the queue's key in %s", note);
        }
        printf("RESULT %s planted queue 0x%x\n", cur, (unsigned)key);
        return 0;
    }
    if (strcmp(stage(), "use") != 0)
        return error("SBXP_STAGE must be plant or use");
    int key = 0;
    FILE *f = fopen(note, "re");
    if (!f || fscanf(f, "%d", &key) != 1)
        return error("read the note %s", note);
    fclose(f);
    unlink(note);
    int q = msgget((key_t)key, 0);
    if (q < 0)
        return blocked(errno);
    ssize_t n = msgrcv(q, &msg, sizeof msg.text, 0, IPC_NOWAIT);
    int e = errno;
    msgctl(q, IPC_RMID, NULL);
    if (n < 0)
        return blocked(e);
    return escaped("read \"%.*s\" from the queue 0x%x an earlier run left", (int)n, msg.text,
                   (unsigned)key);
}

/* A setuid or setgid file the command makes is, run from outside the
 * sandbox by anyone, the command's identity unconfined (in the elevated
 * mode a sandbox account's, for a root caller root's): the nosuid mounts
 * only stop it inside.  Each way of setting the mode of an existing file. */
static int suid_result(const char *f, const char *how)
{
    struct stat st;
    if (stat(f, &st) == 0 && (st.st_mode & (S_ISUID | S_ISGID))) {
        unlink(f);
        return escaped("%s set mode %o on %s", how, (unsigned)(st.st_mode & 07777), f);
    }
    return -1;
}

static int a_suid_chmod(void)
{
    const char *f = uniq(env("SBXP_WS"), "suid");
    int fd = open(f, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
    if (fd < 0)
        return error("create %s", f);
    int last = 0, r;
    if (chmod(f, 04755) < 0)
        last = errno;
    if ((r = suid_result(f, "chmod")) >= 0)
        return close(fd), r;
    if (fchmod(fd, 02755) < 0)
        last = errno;
    if ((r = suid_result(f, "fchmod")) >= 0)
        return close(fd), r;
    close(fd);
    if (fchmodat(AT_FDCWD, f, 06755, 0) < 0)
        last = errno;
    if ((r = suid_result(f, "fchmodat")) >= 0)
        return r;
    unlink(f);
    return blocked(last ? last : EPERM);
}

/* ... and each way of making a file with the bit from the start. */
static int a_suid_create(void)
{
    int last = 0, r;
    const char *f = uniq(env("SBXP_WS"), "suid-open");
    int fd = open(f, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 04755);
    if (fd < 0)
        last = errno;
    else
        close(fd);
    if ((r = suid_result(f, "open(O_CREAT)")) >= 0)
        return r;
    unlink(f);
    f = uniq(env("SBXP_WS"), "suid-creat");
    if ((fd = creat(f, 02755)) < 0)
        last = errno;
    else
        close(fd);
    if ((r = suid_result(f, "creat")) >= 0)
        return r;
    unlink(f);
    f = uniq(env("SBXP_WS"), "suid-mknod");
    if (mknod(f, S_IFREG | 04755, 0) < 0)
        last = errno;
    if ((r = suid_result(f, "mknod(S_IFREG)")) >= 0)
        return r;
    unlink(f);
    f = uniq(env("SBXP_WS"), "suid-tmpfile");
    if ((fd = open(env("SBXP_WS"), O_TMPFILE | O_WRONLY | O_CLOEXEC, 04755)) < 0) {
        last = errno;
    } else {
        char proc[64];
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
        if (linkat(AT_FDCWD, proc, AT_FDCWD, f, AT_SYMLINK_FOLLOW) < 0)
            last = errno;
        close(fd);
        if ((r = suid_result(f, "open(O_TMPFILE)")) >= 0)
            return r;
        unlink(f);
    }
    return blocked(last ? last : EPERM);
}

/* A device node in the workspace (an unpacked root file system, a
 * container's /dev): opened in the sandbox, it is the device itself.  The
 * suite makes <SBXP_WS>/devnode, a 0666 copy of /dev/null (as root: no
 * one else can); any device would do, a disk's included. */
static int a_ws_device_node(void)
{
    const char *node = ws("devnode");
    struct stat st;
    if (lstat(node, &st) < 0 && mknod(node, S_IFCHR | 0666, makedev(1, 3)) < 0)
        return blocked(errno);
    int fd = open(node, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return blocked(errno);
    close(fd);
    return escaped("opened the device node %s (1:3) in the workspace", node);
}

/* --- positives: what a build needs ---------------------------------------- */

static int p_write_workspace(void)
{
    const char *f = uniq(env("SBXP_WS"), "pos");
    int fd = open(f, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return failed(errno, "create in the workspace");
    if (write(fd, "hello", 5) != 5 || ftruncate(fd, 2) < 0) {
        int e = errno;
        close(fd);
        return failed(e, "write in the workspace");
    }
    close(fd);
    if (chmod(f, 0600) < 0)
        return failed(errno, "chmod in the workspace");
    char sub[4200];
    snprintf(sub, sizeof sub, "%s.d", f);
    if (mkdir(sub, 0755) < 0 || rename(f, uniq(sub, "moved")) < 0)
        return failed(errno, "mkdir/rename in the workspace");
    if (unlink(uniq(sub, "moved")) < 0 || rmdir(sub) < 0)
        return failed(errno, "unlink/rmdir in the workspace");
    return ok();
}
/* A repository the command makes itself works: init, add, commit. */
static int p_git_new_repo(void)
{
    const char *dir = uniq(env("SBXP_WS"), "newrepo");
    char cmd[9000];
    snprintf(cmd, sizeof cmd,
             "git init -q '%s' && cd '%s' && echo x > f && git add f && "
             "git -c user.email=t@e.invalid -c user.name=t commit -q -m new", dir, dir);
    int st = system(cmd);
    if (st != 0)
        return failed(EIO, "git init, add and commit of a new repository in the workspace");
    return ok();
}
static int p_write_tmpdir(void)
{
    const char *t = getenv("TMPDIR");
    if (!t)
        return failed(ENOENT, "TMPDIR is not set");
    char f[4200];
    snprintf(f, sizeof f, "%s/probe", t);
    int fd = open(f, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return failed(errno, "create in TMPDIR");
    close(fd);
    return ok();
}
static int p_pipe(void)
{
    int p[2];
    if (pipe(p) < 0)
        return failed(errno, "pipe");
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        _exit(write(p[1], "ping", 4) == 4 ? 0 : 1);
    }
    close(p[1]);
    char buf[8] = {0};
    ssize_t n = read(p[0], buf, sizeof buf);
    close(p[0]);
    int st;
    waitpid(pid, &st, 0);
    if (n != 4 || strcmp(buf, "ping") != 0)
        return failed(EIO, "read from the pipe");
    return ok();
}
static int p_socketpair(void)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return failed(errno, "socketpair");
    char c = 0;
    if (write(sv[0], "y", 1) != 1 || read(sv[1], &c, 1) != 1 || c != 'y')
        return failed(errno, "talk over the socketpair");
    close(sv[0]);
    close(sv[1]);
    return ok();
}
static int p_dev_null(void)
{
    int fd = open("/dev/null", O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0 || write(fd, "x", 1) != 1)
        return failed(errno, "write /dev/null");
    close(fd);
    return ok();
}
static int p_tcp_loopback_quiet(void)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(atoi(env("SBXP_PORT4")))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    char buf[8] = {0};
    int r = connect(s, (struct sockaddr *)&a, sizeof a) == 0 && read(s, buf, 5) == 5 &&
                    memcmp(buf, "sbxt\n", 5) == 0 ? 0 : -1;
    close(s);
    return r;
}
static int p_tcp_loopback(void)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return failed(errno, "socket");
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(atoi(env("SBXP_PORT4")))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(s, (struct sockaddr *)&a, sizeof a) < 0)
        return failed(errno, "connect to the loopback server");
    char buf[8] = {0};
    ssize_t n = read(s, buf, 5);
    close(s);
    if (n != 5 || memcmp(buf, "sbxt\n", 5) != 0)
        return failed(EIO, "read the server's banner");
    return ok();
}

/* --allow-unix: the socket it names works, by its path, through a symlink
 * to it, blocking and non-blocking; and TCP still works with --net on. */
static int talk_unix(const char *path, bool nonblock, const char *what)
{
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);
    if (s < 0)
        return failed(errno, "socket(AF_UNIX)");
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    strncpy(a.sun_path, path, sizeof a.sun_path - 1);
    if (connect(s, (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS) {
        int e = errno;
        close(s);
        return failed(e, what);
    }
    if (nonblock && !(fcntl(s, F_GETFL) & O_NONBLOCK)) {
        close(s);
        return failed(EINVAL, "the connected socket lost O_NONBLOCK");
    }
    char buf[8] = {0};
    size_t got = 0;
    for (int i = 0; i < 500 && got < 5; i++) {
        ssize_t n = read(s, buf + got, 5 - got);
        if (n > 0)
            got += (size_t)n;
        else if (n == 0)
            break;
        else if (errno == EAGAIN)
            usleep(10000);
        else
            break;
    }
    close(s);
    if (got != 5 || memcmp(buf, "sbxt\n", 5) != 0)
        return failed(EIO, "read the daemon's banner");
    return 0;
}
static int p_unix_allowed(void)
{
    const char *allowed = env("SBXP_UNIX_ALLOWED");
    if (talk_unix(allowed, false, "connect to the allowed socket") ||
        talk_unix(allowed, true, "non-blocking connect to the allowed socket"))
        return 1;
    char link[4200];
    snprintf(link, sizeof link, "%s", uniq(env("SBXP_WS"), "allowed"));
    unlink(link);
    if (strlen(link) < 100) {
        if (symlink(allowed, link) < 0)
            return failed(errno, "symlink to the allowed socket in the workspace");
        int r = talk_unix(link, false, "connect through a symlink to the allowed socket");
        unlink(link);
        if (r)
            return 1;
    }
    return ok();
}
static int p_unix_allowed_tcp(void)
{
    if (p_tcp_loopback_quiet() != 0)
        return failed(errno, "TCP to the loopback server next to --allow-unix");
    return p_unix_allowed();
}

/* --- the table ------------------------------------------------------------- */

const struct probe_attempt probe_attempts[] = {
    {"write-outside", "write a file outside the workspace", CTRL_ALWAYS, false, false, a_write_outside},
    {"append-outside", "append to a file outside", CTRL_ALWAYS, false, false, a_append_outside},
    {"create-outside", "create a file outside", CTRL_ALWAYS, false, false, a_create_outside},
    {"open-trunc-outside", "open(O_TRUNC) a file outside", CTRL_ALWAYS, false, false, a_open_trunc_outside},
    {"truncate-outside", "truncate() a file outside", CTRL_ALWAYS, false, false, a_truncate_outside},
    {"chmod-outside", "chmod a file outside", CTRL_ALWAYS, false, false, a_chmod_outside},
    {"chown-outside", "chown a file outside", CTRL_ALWAYS, false, false, a_chown_outside},
    {"utime-outside", "change the times of a file outside", CTRL_ALWAYS, false, false, a_utime_outside},
    {"setxattr-outside", "set an extended attribute outside", CTRL_ALWAYS, false, false, a_setxattr_outside},
    {"unlink-outside", "delete a file outside", CTRL_ALWAYS, false, false, a_unlink_outside},
    {"rename-outside", "rename a file outside", CTRL_ALWAYS, false, false, a_rename_outside},
    {"mkdir-outside", "create a directory outside", CTRL_ALWAYS, false, false, a_mkdir_outside},
    {"rmdir-outside", "remove a directory outside", CTRL_ALWAYS, false, false, a_rmdir_outside},
    {"symlink-outside", "create a symlink outside", CTRL_ALWAYS, false, false, a_symlink_outside},
    {"mkfifo-outside", "mkfifo outside", CTRL_ALWAYS, false, false, a_mkfifo_outside},
    {"mknod-outside", "mknod a device outside", CTRL_ROOT, false, false, a_mknod_outside},
    {"mksock-outside", "mknod a socket file outside", CTRL_ALWAYS, false, false, a_mksock_outside},
    {"home-dotfile", "create a dotfile in the home directory", CTRL_ALWAYS, false, false, a_home_dotfile},
    {"write-etc", "create a file in /etc", CTRL_NONE, false, false, a_write_etc},
    {"write-var-tmp", "create a file in /var/tmp", CTRL_ALWAYS, false, false, a_write_var_tmp},
    {"write-tmp", "create a file in /tmp (not TMPDIR)", CTRL_ALWAYS, false, false, a_write_tmp},
    {"symlink-escape", "write outside through a symlink in the workspace", CTRL_ALWAYS, false, false, a_symlink_escape},
    {"hardlink-escape", "hardlink a file from outside into the workspace and write it", CTRL_ALWAYS, false, false, a_hardlink_escape},
    {"rename-out", "move a file from the workspace to outside", CTRL_ALWAYS, false, false, a_rename_out},
    {"dotdot-escape", "write outside through workspace/..", CTRL_ALWAYS, false, false, a_dotdot_escape},
    {"proc-self-root", "write outside through /proc/self/root", CTRL_ALWAYS, false, false, a_proc_self_root},
    {"proc-pid-cwd", "write outside through /proc/<pid>/cwd of a process outside", CTRL_ALWAYS, false, false, a_proc_pid_cwd},
    {"proc-pid-environ", "read the environment of a process outside", CTRL_ALWAYS, false, false, a_proc_pid_environ},
    {"inherited-fd", "write outside through an inherited directory fd", CTRL_ALWAYS, false, false, a_inherited_fd},
    {"open-by-handle", "open a file outside for writing by handle", CTRL_ROOT, false, false, a_open_by_handle},
    {"git-hook", "write .git/hooks/pre-commit", CTRL_ALWAYS, false, false, a_git_hook},
    {"git-config", "append to .git/config", CTRL_ALWAYS, false, false, a_git_config},
    {"git-rename", "rename .git away", CTRL_ALWAYS, false, false, a_git_rename},
    {"git-chmod", "chmod .git/config", CTRL_ALWAYS, false, false, a_git_chmod},
    {"plant-nested-hook", "write a hook of a repository nested in the workspace", CTRL_ALWAYS, false, false, a_plant_nested_hook},
    {"plant-nested-config", "append to the config of a nested repository", CTRL_ALWAYS, false, false, a_plant_nested_config},
    {"plant-nested-commondir", "create nested/.git/commondir (git then reads another config)", CTRL_ALWAYS, false, false, a_plant_nested_commondir},
    {"plant-nested-git-rename", "rename a nested repository's .git away", CTRL_ALWAYS, false, false, a_plant_nested_git_rename},
    {"plant-gitdir-repoint", "repoint a gitdir: file at a directory of the command's", CTRL_ALWAYS, false, false, a_plant_gitdir_repoint},
    {"plant-gitdir-config", "append to the config of the directory a gitdir: file names", CTRL_ALWAYS, false, false, a_plant_gitdir_config},
    {"plant-envrc-deep", "append to a .envrc deep in the workspace (direnv runs it)", CTRL_ALWAYS, false, false, a_plant_envrc_deep},
    {"plant-vscode-deep", "rewrite a .vscode/settings.json deep in the workspace", CTRL_ALWAYS, false, false, a_plant_vscode_deep},
    {"moved-nested-rebuild", "move a nested repository's folder away and build another .git in its place", CTRL_ALWAYS, false, false, a_moved_nested_rebuild},
    {"twice-envrc-utime", "make a .envrc in one run, set the directory times back, write it in the next", CTRL_ALWAYS, false, false, a_twice_envrc_utime},
    {"plant-vscode-new", "create tasks.json in an existing .vscode deep in the workspace", CTRL_ALWAYS, false, false, a_plant_vscode_new},
    {"plant-envrc-root", "create .envrc at the workspace's root, where there is none", CTRL_ALWAYS, false, false, a_plant_envrc_root},
    {"sub-git-fsmonitor", "make .git (core.fsmonitor) in a workspace that is a folder of a repository", CTRL_ALWAYS, false, false, a_sub_git_fsmonitor},
    {"twin-envrc-root", "keep making .envrc at the root while another run on the workspace ends", CTRL_ALWAYS, false, false, a_twin_envrc_root},
    {"tiocsti", "push keystrokes into a terminal (TIOCSTI)", CTRL_NONE, false, false, a_tiocsti},
    {"tioclinux", "TIOCLINUX on the terminal", CTRL_NONE, false, false, a_tioclinux},
    {"kill-outside", "signal a process outside", CTRL_ALWAYS, false, false, a_kill_outside},
    {"ptrace-outside", "ptrace a process outside", CTRL_ALWAYS, false, false, a_ptrace_outside},
    {"setuid-exec", "gain privilege through a setuid-root binary", CTRL_ALWAYS, false, false, a_setuid_exec},
    /* stdin / stdout are files outside (PROBE_STDIO_FILES) */
    {"stdio-chmod", "chmod the caller's file behind stdin via /proc/self/fd/0", CTRL_ALWAYS, false, false, a_stdio_chmod},
    {"stdio-fchmod", "fchmod the caller's file behind stdout", CTRL_ALWAYS, false, false, a_stdio_fchmod},
    {"stdio-utime", "set the times of the caller's file behind stdout via /proc/self/fd/1", CTRL_ALWAYS, false, false, a_stdio_utime},
    {"stdio-setxattr", "set an xattr on the caller's file behind stdin via /proc/self/fd/0", CTRL_ALWAYS, false, false, a_stdio_setxattr},
    {"stdio-chown", "chown the caller's file behind stdout via /proc/self/fd/1", CTRL_ROOT, false, false, a_stdio_chown},
    /* resources: more than the default per-run limits */
    {"many-processes", "keep 5000 processes alive at once", CTRL_ALWAYS, false, false, a_many_processes},
    {"fill-dev-shm", "write 300 MiB to /dev/shm", CTRL_ALWAYS, false, false, a_fill_dev_shm},
    {"leave-pids-cgroup", "move itself to the root of the pids cgroup hierarchy", CTRL_ROOT, false, false, a_leave_pids_cgroup},
    {"unshare-user", "create a user namespace", CTRL_ALWAYS, false, false, a_unshare_user},
    {"mount-tmpfs", "mount a file system", CTRL_ROOT, false, false, a_mount_tmpfs},
    {"remount-rw", "remount / read-write", CTRL_ROOT, false, false, a_remount_rw},
    {"keyring", "reach the user's kernel keyring", CTRL_ALWAYS, false, false, a_keyring},
    {"io-uring", "set up io_uring", CTRL_ALWAYS, false, false, a_io_uring},
    {"tcp4-connect", "TCP connect to 127.0.0.1", CTRL_ALWAYS, false, false, a_tcp4_connect},
    {"tcp6-connect", "TCP connect to ::1", CTRL_ALWAYS, false, false, a_tcp6_connect},
    {"tcp4-bind", "bind a TCP port on 127.0.0.1", CTRL_ALWAYS, false, false, a_tcp4_bind},
    {"tcp6-bind", "bind a TCP port on ::1", CTRL_ALWAYS, false, false, a_tcp6_bind},
    {"tcp-listen-autobind", "listen on an unbound TCP socket", CTRL_ALWAYS, false, false, a_tcp_listen_autobind},
    {"udp4-send", "send a UDP datagram over IPv4", CTRL_ALWAYS, false, false, a_udp4_send},
    {"udp6-send", "send a UDP datagram over IPv6", CTRL_ALWAYS, false, false, a_udp6_send},
    {"netallow-tcp4-connect", "around --net allow='s proxy: TCP to 127.0.0.1", CTRL_ALWAYS, false, false, a_tcp4_connect},
    {"netallow-tcp6-connect", "around --net allow='s proxy: TCP to ::1", CTRL_ALWAYS, false, false, a_tcp6_connect},
    {"netallow-tcp4-bind", "with --net allow=: bind a TCP port", CTRL_ALWAYS, false, false, a_tcp4_bind},
    {"netallow-udp4-send", "around --net allow='s proxy: UDP over IPv4", CTRL_ALWAYS, false, false, a_udp4_send},
    {"netallow-udp6-send", "around --net allow='s proxy: UDP over IPv6", CTRL_ALWAYS, false, false, a_udp6_send},
    {"dns-query", "send a DNS query to the resolver", CTRL_ALWAYS, false, false, a_dns_query},
    {"icmp-raw", "open a raw ICMP socket", CTRL_ROOT, false, false, a_icmp_raw},
    {"icmp-ping", "open an ICMP ping socket", CTRL_NONE, false, false, a_icmp_ping},
    {"packet-socket", "open an AF_PACKET socket", CTRL_ROOT, false, false, a_packet},
    {"netlink-route", "open a netlink route socket", CTRL_ALWAYS, false, false, a_netlink_route},
    {"unix-create", "create a unix socket with socket()", CTRL_ALWAYS, false, false, a_unix_create},
    {"unix-daemon", "connect to a host daemon's unix socket", CTRL_ALWAYS, false, false, a_unix_daemon},
    {"unix-abstract", "connect to an abstract unix socket outside", CTRL_ALWAYS, false, false, a_unix_abstract},
    {"unix-dgram-pair", "send to a host datagram socket from a socketpair end", CTRL_ALWAYS, false, false, a_unix_dgram_pair},
    /* --net on means IP: host unix sockets stay out of reach */
    {"unix-daemon-net-on", "with --net on, connect to a host daemon's unix socket", CTRL_ALWAYS, false, true, a_unix_daemon},
    {"unix-abstract-net-on", "with --net on, connect to an abstract unix socket outside", CTRL_ALWAYS, false, true, a_unix_abstract},
    {"unix-dgram-net-on", "with --net on, send to a host datagram socket", CTRL_ALWAYS, false, true, a_unix_dgram_socket},
    {"unix-dgram-pair-net-on", "with --net on, send to a host datagram socket from a socketpair end", CTRL_ALWAYS, false, true, a_unix_dgram_pair},
    {"netlink-net-on", "with --net on, open a netlink route socket", CTRL_ALWAYS, false, true, a_netlink_route},
    /* --allow-unix names one socket: no other */
    {"unix-allow-other", "with --allow-unix, connect to another host socket", CTRL_ALWAYS, false, true, a_unix_daemon},
    {"unix-allow-abstract", "with --allow-unix, connect to an abstract socket outside", CTRL_ALWAYS, false, true, a_unix_abstract},
    {"unix-allow-dgram", "with --allow-unix, send to a host datagram socket", CTRL_ALWAYS, false, true, a_unix_dgram_socket},
    {"unix-allow-dgram-pair", "with --allow-unix, send to a host datagram socket from a socketpair end", CTRL_ALWAYS, false, true, a_unix_dgram_pair},
    {"unix-allow-race", "with --allow-unix, race the check: flip the address and the fd under connect()", CTRL_ALWAYS, false, true, a_unix_allow_race},
    {"unix-allow-link-race", "with --allow-unix, connect through a symlink flipped to another socket", CTRL_ALWAYS, false, true, a_unix_allow_link_race},
    {"unix-allow-broker", "with --allow-unix, take an fd of sbx's broker or connector, or ptrace them", CTRL_NONE, false, true, a_unix_allow_broker},
    /* sbx's own arguments and the workspace mounts */
    {"wsarg-planted-symlink", "plant ws/x -> another directory; a later run with --workspace ws/x writes it", CTRL_ALWAYS, false, false, a_wsarg_planted_symlink},
    {"race-workspace-swap", "swap a workspace path with a symlink (RENAME_EXCHANGE) while other runs start with it", CTRL_ALWAYS, false, false, a_race_workspace_swap},
    {"state-plant-ledger", "plant a ledger in sbx's state directory inside the workspace before sbx makes it", CTRL_ALWAYS, false, false, a_state_plant_ledger},
    {"left-tmpdir-deep", "leave a secret 4200 directories deep in TMPDIR; a later run reads it", CTRL_ALWAYS, false, false, a_left_tmpdir_deep},
    {"left-sysv-msgq", "queue a secret on a SysV message queue; a later run reads it", CTRL_ALWAYS, false, false, a_left_sysv_msgq},
    {"suid-chmod", "set the setuid/setgid bit on a file in the workspace (chmod, fchmod, fchmodat)", CTRL_ALWAYS, false, false, a_suid_chmod},
    {"suid-create", "create a setuid/setgid file in the workspace (open, creat, mknod, O_TMPFILE)", CTRL_ALWAYS, false, false, a_suid_create},
    {"ws-device-node", "open a device node that lies in the workspace", CTRL_ROOT, false, false, a_ws_device_node},
    /* positives */
    {"pos-write-workspace", "create, write, chmod, rename, delete in the workspace", CTRL_ALWAYS, true, false, p_write_workspace},
    {"pos-write-tmpdir", "write in TMPDIR", CTRL_ALWAYS, true, false, p_write_tmpdir},
    {"pos-git-new-repo", "git init, add and commit a new repository in the workspace", CTRL_ALWAYS, true, false, p_git_new_repo},
    {"pos-pipe", "a pipe between two processes", CTRL_ALWAYS, true, false, p_pipe},
    {"pos-socketpair", "a socketpair", CTRL_ALWAYS, true, false, p_socketpair},
    {"pos-dev-null", "write /dev/null", CTRL_ALWAYS, true, false, p_dev_null},
    {"pos-tcp-loopback", "with --net on, talk to a loopback server", CTRL_ALWAYS, true, true, p_tcp_loopback},
    {"pos-unix-allowed", "the socket --allow-unix names: by path, non-blocking, through a symlink", CTRL_ALWAYS, true, false, p_unix_allowed},
    {"pos-unix-allowed-net-on", "with --net on and --allow-unix, TCP and the allowed socket", CTRL_ALWAYS, true, true, p_unix_allowed_tcp},
};
const size_t probe_n_attempts = sizeof probe_attempts / sizeof probe_attempts[0];

int probe_run(const char *name)
{
    for (size_t i = 0; i < probe_n_attempts; i++)
        if (strcmp(probe_attempts[i].name, name) == 0) {
            cur = name;
            int r = probe_attempts[i].fn();
            fflush(stdout);
            return r;
        }
    printf("RESULT %s error unknown attempt\n", name);
    return 2;
}
