/* SPDX-License-Identifier: MIT */
/* sbx-launch: the setuid-root launcher of the elevated mode on Linux.
 *
 *   sbx-launch --account offline|online [--report-fd N] [--allow-git]
 *              [--allow-unix SOCKET]... [--allow-read PATH]... [--hide PATH]...
 *              [--allow-write-name NAME]... [--tty] [--pids N] [--tmp BYTES]
 *              [--no-cache] [--net-proxy-fd N]
 *              --workspace DIR [--workspace DIR]... -- CMD [ARG...]
 *   sbx-launch --account offline|online [--report-fd N] --cache size|clear
 *
 * Runs CMD as one of sbx's sandbox accounts, from the caller's current
 * directory.  Everything it decides comes from root's files (its
 * configuration next to it, the password and group databases, the ACL of
 * the workspace roots) and from the kernel (real uid, current directory):
 * nothing from the caller's environment.  It refuses unless
 *   - the caller (real uid) is a member of the sandbox users' group;
 *   - the account is one of the caller's own two, recorded for the
 *     caller's real uid in the configuration (no other member's), still
 *     marked as sbx's in the password database;
 *   - each workspace is a canonical path (no symlink anywhere), owned by
 *     the caller, whose root carries the account's grant (O(1) ACL check);
 *   - the current directory lies beneath one of them (checked by walking
 *     ".." from the directory itself, so no path or symlink can fool it).
 * Then, still as root: a private mount namespace with an empty skeleton
 * over /home and over each workspace's ancestor others can't search
 * (skeleton.h), where each workspace is bound at its own path
 * nosuid and nodev and the files tools run in it (every
 * .git, the deny list: plants.h) are read-only, and a new
 * PID namespace whose init drops to the
 * account (groups, gid, uid, verified, no way back), applies the same
 * Landlock + seccomp confinement as the unelevated mode, and starts CMD
 * with a clean environment, in a private home (a tmpfs) where the
 * account's persistent cache is bound at ~/.cache (launch_cache.h; --cache
 * size|clear measures or empties it as the account, running nothing).  The network on (the online account) means IP:
 * no unix socket of the host's; each --allow-unix socket is opened now as
 * the caller (fsuid) and held by a connector process of the caller's, which
 * connects to it for the run's broker (unix_broker.h), and to nothing
 * else.  With --net-proxy-fd (`sbx run --net allow=`, the offline account
 * only) the run gets a network namespace of its own whose one listening
 * socket, on its loopback, goes to the caller's allowlist proxy
 * (launch_net.c).  The launcher itself drops to the caller and waits, forwarding
 * signals; when it dies, init and everything in the namespace die with it
 * (SIGKILL).  Exit status: CMD's, 128+N for signal N, 125 refused or
 * failed, 126/127 CMD not executable / not found.
 *
 * Every path of the caller's is resolved once, with the caller's identity
 * (setfsuid) and without following a symlink, into a descriptor, and only
 * that descriptor is used afterwards: the checks (owner, grant), the
 * nosuid/nodev bind, .git's read-only bind and the Landlock rules all act
 * on the directory that was checked.  A rule built from a name looked up
 * again would follow whatever the caller (or a sandbox of another member's
 * with write access to a parent) put there meanwhile: a symlink to another
 * member's workspace, say.
 *
 * Built without sanitizers: ASan's runtime reads the environment and
 * writes files as root, which a setuid program must never do. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/prctl.h>
#include <sys/ioctl.h>
#include <sys/fsuid.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "modes/common/linux/launch_conf.h"
#include "modes/common/proxy_env.h"
#include "modes/common/run_request.h"
#include "modes/common/secret_paths.h"
#include "modes/confine/linux/landlock.h"
#include "modes/confine/linux/plants.h"
#include "modes/confine/linux/plants_cache.h"
#include "modes/confine/linux/policy.h"
#include "modes/confine/linux/seccomp_filter.h"
#include "modes/confine/linux/standin.h"
#include "modes/confine/linux/unix_broker.h"
#include "modes/common/cache_env.h"
#include "modes/launcher/launch.h"
#include "modes/launcher/launch_args.h"
#include "modes/launcher/launch_cache.h"
#include "modes/launcher/skeleton.h"
#include "util/cleanup.h"
#include "util/fds.h"

extern char **environ;


/* Report and exit: on the report fd (sbx turns it into its error) or on
 * stderr.  "E<code> <message>" / "X<errno> <message>" lines. */
_Noreturn void die(const struct launch *l, int status, int code, const char *fmt, ...)
{
    char msg[SBX_ERR_MSG_MAX], line[SBX_ERR_MSG_MAX + 32];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int n = snprintf(line, sizeof line, "%c%d %s\n", status == 125 ? 'E' : 'X', code, msg);
    if (n > (int)sizeof line - 1)
        n = (int)sizeof line - 1;
    int fd = l && l->report >= 0 ? l->report : 2;
    if (fd == 2) {
        dprintf(2, "sbx-launch: %s\n", msg);
    } else if (write(fd, line, (size_t)n) < 0) {
        dprintf(2, "sbx-launch: %s\n", msg);
    }
    _exit(status);
}

/* stdin/stdout/stderr must be open, or a later open() would become one. */
static void ensure_stdio(void)
{
    for (int fd = 0; fd < 3; fd++)
        if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
            _exit(125);
}

/* The command line (launch_args.h), then the report pipe it names: only a
 * pipe of the caller's, never a file the launcher, as root, would write
 * into.  A usage error goes there when that pipe came before it. */
static void parse_args(struct launch *l, int argc, char **argv)
{
    struct sbx_launch_args a;
    struct sbx_error err = {0};
    int rc = sbx_launch_args_parse(argc, argv, &a, &err);
    struct stat st;
    if (a.report_fd >= 0 && fstat(a.report_fd, &st) == 0 && S_ISFIFO(st.st_mode)) {
        l->report = a.report_fd;
        if (fcntl(l->report, F_SETFD, FD_CLOEXEC) != 0)
            die(l, 125, SBX_EIO, "--report-fd %d: %s", l->report, strerror(errno));
    } else if (a.report_fd >= 0 && rc == 0) {
        die(l, 125, SBX_EINVAL, "--report-fd %d: not an open pipe; " SBX_LAUNCH_USAGE,
            a.report_fd);
    }
    if (rc != 0)
        die(l, 125, err.code, "%s", err.msg);
    l->account = a.account;
    l->allow_git = a.allow_git;
    l->tty = a.tty;
    l->no_cache = a.no_cache;
    l->cache_op = a.cache_op;
    l->max_pids = a.max_pids;
    l->tmp_bytes = a.tmp_bytes;
    l->argv = a.argv;
    l->proxy_fd = a.net_proxy_fd;
#define TAKE(list, n) (memcpy(l->list, a.list, sizeof l->list), l->n = a.n)
    TAKE(ws, n_ws);
    TAKE(protect, n_protect);
    TAKE(allow_read, n_allow_read);
    TAKE(hide, n_hide);
    TAKE(allow_names, n_allow_names);
    TAKE(unix_path, n_unix);
#undef TAKE
}

/* Stray fds of the caller (a ledger, a socket, a private file it opened)
 * must not reach the account. */
static void close_stray_fds(const struct launch *l)
{
    int keep[] = {l->report, l->proxy_fd};
    if (sbx_close_fds_except(3, keep, 2) < 0)
        die(l, 125, SBX_EIO, "close the caller's other descriptors (close_range): %s",
            strerror(errno));
}

static bool env_dropped(const char *e)
{
    static const char *const names[] = {
        "LD_", "GCONV_PATH=", "GETCONF_DIR=", "HOSTALIASES=", "LOCALDOMAIN=", "LOCPATH=",
        "MALLOC_", "GLIBC_TUNABLES=", "NLSPATH=", "RESOLV_HOST_CONF=", "RES_OPTIONS=",
        "TMPDIR=", "TZDIR=", "HOME=", "USER=", "LOGNAME=", "SHELL=", "MAIL=", "IFS=",
        /* SSH_AUTH_SOCK is sbx's to keep or pass (--env): a path the
         * account reaches only through --allow-unix anyway. */
        "XDG_RUNTIME_DIR=", "DBUS_SESSION_BUS_ADDRESS=", "SBX_",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strncmp(e, names[i], strlen(names[i])) == 0)
            return true;
    return !strchr(e, '=');
}

/* The command's environment: the caller's variables minus the loader's
 * and other dangerous ones, with the account's HOME, TMPDIR and names.
 * Built once, then the launcher's own environment is emptied so nothing
 * it calls (NSS, libacl) sees the caller's. */
static void build_env(struct launch *l)
{
    size_t n = 0;
    for (char **e = environ; e && *e; e++)
        n++;
    l->envp = calloc(n + 8 + SBX_CACHE_ENV_MAX + SBX_PROXY_ENV_N, sizeof *l->envp);
    if (!l->envp)
        die(l, 125, SBX_ENOMEM, "out of memory");
    size_t k = 0;
    bool have_path = false;
    const char *maven_opts = NULL;
    for (char **e = environ; e && *e; e++) {
        if (strncmp(*e, "MAVEN_OPTS=", 11) == 0)
            maven_opts = *e + 11;
        /* The cache's variables are the launcher's to set (or, with
         * --no-cache, nobody's: a path of the caller's the account can't
         * write anyway). */
        if (!env_dropped(*e) && !sbx_cache_env_sets(*e) &&
            !(l->proxy_fd >= 0 && sbx_proxy_env_sets(*e))) {
            have_path = have_path || strncmp(*e, "PATH=", 5) == 0;
            l->envp[k++] = *e;
        }
    }
    const struct sbx_launch_account *a = l->target;
    if (!l->no_cache) {
        char root[PATH_MAX + 16];
        struct sbx_cache_env ce;
        struct sbx_error err = {0};
        snprintf(root, sizeof root, "%s/.cache", a->home);
        if (sbx_cache_env_build(root, maven_opts, &ce, &err) != 0)
            die(l, 125, err.code, "%s", err.msg);
        /* Kept until exec: the strings are the environment's now. */
        for (size_t i = 0; i < ce.n; i++)
            l->envp[k++] = ce.v[i];
    }
    /* The proxy's address in the run's namespace, set here: the caller's
     * environment may say anything (or nothing). */
    static char proxy_vars[SBX_PROXY_ENV_N][SBX_PROXY_ENV_LEN];
    if (l->proxy_fd >= 0) {
        sbx_proxy_env(SBX_PROXY_NETNS_PORT, proxy_vars);
        for (size_t i = 0; i < SBX_PROXY_ENV_N; i++)
            l->envp[k++] = proxy_vars[i];
    }
    char *vars[5];
    if (asprintf(&vars[0], "HOME=%s", a->home) < 0 ||
        asprintf(&vars[1], "TMPDIR=%s/tmp", a->home) < 0 ||
        asprintf(&vars[2], "USER=%s", a->name) < 0 || asprintf(&vars[3], "LOGNAME=%s", a->name) < 0)
        die(l, 125, SBX_ENOMEM, "out of memory");
    vars[4] = "SHELL=/bin/sh";
    for (size_t i = 0; i < 5; i++)
        l->envp[k++] = vars[i];
    if (!have_path)
        l->envp[k++] = "PATH=/usr/local/bin:/usr/bin:/bin";
    l->envp[k] = NULL;
    environ = NULL;
}

static void load_conf(struct launch *l)
{
    char exe[PATH_MAX], conf[PATH_MAX + 32];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        die(l, 125, SBX_EIO, "cannot find where sbx-launch is installed: %s", strerror(errno));
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        die(l, 125, SBX_EIO, "odd launcher path %s", exe);
    *slash = '\0';
    snprintf(conf, sizeof conf, "%s/%s", exe[0] ? exe : "", SBX_LAUNCH_CONF_NAME);
    struct sbx_error err = {0};
    /* Root's own file in root's own directories: a copy (hard link) of the
     * launcher in a directory of the caller's would read the caller's
     * configuration, and this refuses it. */
    if (sbx_launch_conf_read(conf, true, &l->conf, &err) != 0)
        die(l, 125, err.code, "%s", err.msg);
}

static void check_caller(struct launch *l)
{
    l->caller = getuid();
    l->caller_gid = getgid();
    char buf[16384], gbuf[65536];
    struct passwd pw, *pres = NULL;
    struct group gr, *gres = NULL;
    if (getpwuid_r(l->caller, &pw, buf, sizeof buf, &pres) != 0 || !pres)
        die(l, 125, SBX_EPERM, "uid %u has no account", (unsigned)l->caller);
    if (getgrgid_r(l->conf.gid, &gr, gbuf, sizeof gbuf, &gres) != 0 || !gres ||
        strcmp(gr.gr_name, l->conf.group) != 0)
        die(l, 125, SBX_ECORRUPT,
            "group %s (gid %u) of the launcher configuration is gone; run `sbx setup` as root",
            l->conf.group, (unsigned)l->conf.gid);
    bool member = pw.pw_gid == l->conf.gid;
    for (char **m = gr.gr_mem; !member && m && *m; m++)
        member = strcmp(*m, pw.pw_name) == 0;
    if (!member)
        die(l, 125, SBX_EPERM,
            "%s is not a member of %s: ask root to run `sbx setup --user %s`", pw.pw_name,
            l->conf.group, pw.pw_name);
}

/* The caller's own pair, by the real uid, from root's configuration:
 * nothing the caller controls picks it; a caller without one is refused. */
static void pick_target(struct launch *l)
{
    const struct sbx_launch_member *m = sbx_launch_conf_member(&l->conf, l->caller);
    if (!m)
        die(l, 125, SBX_EPERM,
            "uid %u has no sandbox accounts of its own: ask root to run `sbx setup --user YOU` "
            "(or `sbx migrate`, after an upgrade of sbx)",
            (unsigned)l->caller);
    for (int r = 0; r < SBX_ROLE_COUNT && !l->target; r++) {
        char uid[16];
        snprintf(uid, sizeof uid, "%u", (unsigned)m->acct[r].uid);
        if (strcmp(l->account, sbx_launch_role_name(r)) == 0 ||
            strcmp(l->account, m->acct[r].name) == 0 || strcmp(l->account, uid) == 0) {
            struct sbx_error err = {0};
            if (sbx_launch_conf_account(&l->conf, m, r, &l->target_acct, &err) != 0)
                die(l, 125, err.code, "%s", err.msg);
            l->target = &l->target_acct;
            /* The offline account's loopback ports don't make the network
             * "on": the policy opens TCP connect() to exactly them. */
            l->net = r == SBX_ROLE_ONLINE;
        }
    }
    if (!l->target)
        die(l, 125, SBX_EPERM, "'%s' is not one of sbx's sandbox accounts for you (%s, %s)",
            l->account, m->acct[0].name, m->acct[1].name);
    /* The online account reaches everything: a proxy in front of it would
     * restrict nothing, so asking for both is a mistake, not a choice. */
    if (l->net && l->proxy_fd >= 0)
        die(l, 125, SBX_EINVAL,
            "--net-proxy-fd is for the offline account (--net on reaches everything)");
    const struct sbx_launch_account *a = l->target;
    char buf[16384];
    struct passwd pw, *res = NULL;
    if (a->uid == 0 || a->uid == l->caller || a->gid == 0 ||
        getpwuid_r(a->uid, &pw, buf, sizeof buf, &res) != 0 || !res ||
        strcmp(pw.pw_name, a->name) != 0 ||
        strncmp(pw.pw_gecos, SBX_MARKER, strlen(SBX_MARKER)) != 0)
        die(l, 125, SBX_EPERM,
            "account %s (uid %u) is not sbx's sandbox account any more; run `sbx setup` as root",
            a->name, (unsigned)a->uid);
}

/* --allow-unix: each socket checked and opened with the caller's identity
 * (fsuid and fsgid; the supplementary groups are still the caller's), so
 * the caller can only name a socket it can reach itself. */
static void open_unix_allowed(struct launch *l)
{
    l->unix_sock[0] = l->unix_sock[1] = -1;
    if (l->n_unix == 0)
        return;
    setfsgid(l->caller_gid);
    setfsuid(l->caller);
    if ((uid_t)setfsuid((uid_t)-1) != l->caller || (gid_t)setfsgid((gid_t)-1) != l->caller_gid)
        die(l, 125, SBX_EIO, "cannot take the caller's identity to open the --allow-unix sockets");
    for (size_t i = 0; i < l->n_unix; i++) {
        struct sbx_error err = {0};
        if (sbx_unix_allow_open(l->unix_path[i], &l->unix_allow[i], &err) != 0)
            die(l, 125, err.code, "%s", err.msg);
    }
    setfsuid(0);
    setfsgid(0);
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, l->unix_sock) != 0)
        die(l, 125, SBX_EIO, "socketpair for the --allow-unix connector: %s", strerror(errno));
}

/* The connector: the caller (with its groups), holding the allowed sockets,
 * connecting to them for the broker in the sandbox.  Forked after init, so
 * it lives in the run's PID namespace and dies with it; and forked twice,
 * so that init, not the launcher, is its parent: init's exit waits for
 * every process of the namespace to be reaped, and the launcher waits for
 * init. */
/* The caller's file-system identity, for looking up the caller's paths:
 * root's would reach (and tell apart) what the caller can't. */
void as_caller(const struct launch *l, bool on)
{
    if (on) {
        setfsgid(l->caller_gid);
        setfsuid(l->caller);
        if ((uid_t)setfsuid((uid_t)-1) != l->caller ||
            (gid_t)setfsgid((gid_t)-1) != l->caller_gid)
            die(l, 125, SBX_EIO, "cannot take the caller's identity to look up its paths");
    } else {
        setfsuid(0);
        setfsgid(0);
    }
}

/* Each workspace opened once, in the run's mount namespace, as the caller,
 * with no symlink on the way; the fd is what every later step uses. */
static void check_workspaces(struct launch *l)
{
    for (size_t i = 0; i < l->n_ws; i++) {
        struct sbx_error err = {0};
        as_caller(l, true);
        int fd = sbx_open_nofollow(l->ws[i], O_RDONLY | O_DIRECTORY, &err);
        as_caller(l, false);
        if (fd < 0)
            die(l, 125, err.code, "workspace %s: %s", l->ws[i], err.msg);
        if (fstat(fd, &l->ws_st[i]) != 0)
            die(l, 125, SBX_EIO, "stat %s: %s", l->ws[i], strerror(errno));
        if (l->ws_st[i].st_uid != l->caller)
            die(l, 125, SBX_EPERM, "workspace %s belongs to uid %u, not to you", l->ws[i],
                (unsigned)l->ws_st[i].st_uid);
        bool ok = false;
        if (sbx_grant_check_fd(fd, l->target->uid, &ok, &err) != 0)
            die(l, 125, err.code, "workspace %s: %s", l->ws[i], err.msg);
        if (!ok)
            die(l, 125, SBX_EPERM,
                "workspace %s is not granted to %s: run `sbx workspace add %s` first", l->ws[i],
                l->target->name, l->ws[i]);
        l->ws_fd[i] = fd;
    }
}

/* Walk ".." from the current directory until a workspace root or /. */
static void check_cwd(const struct launch *l)
{
    int cur = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cur < 0)
        die(l, 125, SBX_EIO, "current directory: %s", strerror(errno));
    for (int depth = 0; depth < 4096; depth++) {
        struct stat st, up;
        if (fstat(cur, &st) != 0)
            die(l, 125, SBX_EIO, "stat: %s", strerror(errno));
        for (size_t i = 0; i < l->n_ws; i++)
            if (st.st_dev == l->ws_st[i].st_dev && st.st_ino == l->ws_st[i].st_ino) {
                close(cur);
                return;
            }
        int parent = openat(cur, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (parent < 0 || fstat(parent, &up) != 0)
            die(l, 125, SBX_EIO, "walking up from the current directory: %s", strerror(errno));
        close(cur);
        cur = parent;
        if (up.st_dev == st.st_dev && up.st_ino == st.st_ino)
            break; /* "/" */
    }
    die(l, 125, SBX_EPERM,
        "the current directory is not inside the workspaces given; cd into one first");
}

/* A mount namespace (and a PID namespace for init) of the run's own,
 * private: nothing mounted here reaches the host, nothing the host mounts
 * later shows up here.  First, so that every path of the caller's is
 * opened in it (an fd opened before would lead back into the host's).  An
 * IPC namespace too: the account's SysV and POSIX IPC objects would
 * otherwise be shared by every run of every member, and outlive them. */
static void new_namespaces(const struct launch *l)
{
    if (unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC) != 0)
        die(l, 125, SBX_EIO, "unshare(mount, pid, ipc namespaces): %s", strerror(errno));
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
        die(l, 125, SBX_EIO, "make mounts private: %s", strerror(errno));
}

/* The current directory again, by its name, as the caller: the one the
 * launcher started in lies on the mounts beneath the binds (check_cwd then
 * checks that the new one lies in a workspace). */
static void enter_cwd(const struct launch *l)
{
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        die(l, 125, SBX_EIO, "current directory: %s", strerror(errno));
    as_caller(l, true);
    int rc = chdir(cwd);
    int e = errno;
    as_caller(l, false);
    if (rc != 0)
        die(l, 125, SBX_EIO, "current directory %s: %s", cwd, strerror(e));
}

/* Does path lie in (or is it) dir?  Both canonical. */
bool path_in(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/' || n == 1);
}

void become(const struct launch *l, uid_t uid, gid_t gid, const char *who)
{
    if (setgroups(0, NULL) != 0 || setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0)
        die(l, 125, SBX_EIO, "switch to %s: %s", who, strerror(errno));
    uid_t r, e, s;
    gid_t rg, eg, sg;
    if (getresuid(&r, &e, &s) != 0 || r != uid || e != uid || s != uid ||
        getresgid(&rg, &eg, &sg) != 0 || rg != gid || eg != gid || sg != gid ||
        getgroups(0, NULL) != 0)
        die(l, 125, SBX_EIO, "switch to %s did not stick", who);
    /* And no way back (a root caller simply stays itself). */
    if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0 || setgid(0) == 0))
        die(l, 125, SBX_EIO, "could regain root after switching to %s", who);
}

/* --cache size|clear: the account's cache, measured or emptied as the
 * account (root opens it, then gives root up for good): nothing of the
 * caller's is touched, nothing is run. */
static _Noreturn void cache_op(struct launch *l)
{
    struct sbx_error err = {0};
    sbx_autofd int fd = -1;
    if (sbx_launch_cache_open(l->target, &fd, &err) != 0)
        die(l, 125, err.code, "%s", err.msg);
    become(l, l->target->uid, l->target->gid, l->target->name);
    if (sbx_launch_cache_op(fd, l->cache_op == SBX_LAUNCH_CACHE_CLEAR, &err) != 0)
        die(l, 125, err.code, "the cache of %s: %s", l->target->name, err.msg);
    _exit(0);
}

int main(int argc, char **argv)
{
    struct launch l = {.report = -1, .home_fd = -1, .cache_disk = -1, .cache_fd = -1,
                       .proxy_fd = -1};
    ensure_stdio();
    umask(077);
    parse_args(&l, argc, argv);
    net_proxy_check(&l);
    close_stray_fds(&l);
    if (geteuid() != 0)
        die(&l, 125, SBX_EPERM, "sbx-launch is not installed setuid root; run `sbx setup` as root");
    load_conf(&l);
    check_caller(&l);
    pick_target(&l);
    if (l.cache_op != SBX_LAUNCH_RUN)
        cache_op(&l);
    build_env(&l);
    new_namespaces(&l);
    check_workspaces(&l);
    open_unix_allowed(&l);
    open_cache(&l);
    build_skeleton(&l);
    mount_workspaces(&l);
    struct sbx_error err = {0};
    if (sbx_skel_seal(&l.skel, &err) != 0)
        die(&l, 125, err.code, "%s", err.msg);
    sbx_skel_close(&l.skel);
    hide_credentials(&l);
    private_home(&l);
    /* After the binds: the current directory then lies on them (where the
     * workspace is nodev and .git read-only). */
    enter_cwd(&l);
    check_cwd(&l);
    int cwd_fd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (cwd_fd < 0)
        die(&l, 125, SBX_EIO, "current directory: %s", strerror(errno));
    net_proxy_expose(&l);
    int sp[2];
    if (pipe2(sp, O_CLOEXEC) != 0)
        die(&l, 125, SBX_EIO, "pipe: %s", strerror(errno));
    pid_t init = fork();
    if (init < 0)
        die(&l, 125, SBX_EIO, "fork: %s", strerror(errno));
    if (init == 0) {
        close(sp[1]);
        run_init(&l, sp[0], cwd_fd);
    }
    close(sp[0]);
    start_connector(&l, sp[1], cwd_fd);
    if (l.n_unix > 0) {
        close(l.unix_sock[0]);
        close(l.unix_sock[1]);
        for (size_t i = 0; i < l.n_unix; i++)
            close(l.unix_allow[i].fd);
    }
    close(cwd_fd);
    for (size_t i = 0; i < l.n_ws; i++)
        close(l.ws_fd[i]);
    close(l.home_fd);
    if (l.cache_fd >= 0)
        close(l.cache_fd);
    if (l.report >= 0)
        close(l.report);
    supervise(&l, init, sp[1]);
}
