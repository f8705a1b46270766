/* sbx-launch: the setuid-root launcher of the elevated mode on Linux.
 *
 *   sbx-launch --account offline|online [--report-fd N] [--allow-git]
 *              [--allow-unix SOCKET]... [--allow-read PATH]... [--hide PATH]...
 *              [--allow-write-name NAME]... [--tty] [--pids N] [--tmp BYTES]
 *              [--no-cache] --workspace DIR [--workspace DIR]... -- CMD [ARG...]
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
 * else.  The launcher itself drops to the caller and waits, forwarding
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
#include "modes/launcher/launch_args.h"
#include "modes/launcher/launch_cache.h"
#include "modes/launcher/skeleton.h"
#include "util/cleanup.h"
#include "util/fds.h"

#define MAX_WS SBX_LAUNCH_MAX_ARGS

extern char **environ;

struct launch {
    int report;                 /* fd for error reports, or -1 */
    const char *account;        /* as given */
    const char *ws[MAX_WS];
    int ws_fd[MAX_WS];          /* each workspace as checked; after the binds, their root */
    struct stat ws_st[MAX_WS];
    size_t n_ws;
    int home_fd;                /* the run's private home (a tmpfs), for its Landlock rule */
    int cache_disk;             /* the account's cache on disk, opened before anything
                                 * covers it (the skeleton, the private home); -1: none */
    int cache_fd;               /* the account's cache bound in it, for its rule; -1: none */
    bool no_cache;              /* --no-cache */
    enum sbx_launch_cache_op cache_op; /* --cache size|clear: nothing is run */
    bool allow_git;
    bool tty;                   /* a pty sbx made for this run is among 0-2 */
    unsigned long max_pids;     /* --pids: the account's processes (RLIMIT_NPROC) */
    unsigned long long tmp_bytes; /* --tmp: size of the private home's tmpfs */
    const char *protect[MAX_WS]; /* read-only paths inside the workspaces */
    size_t n_protect;
    const char *allow_read[MAX_WS]; /* credential paths not to hide (canonical) */
    size_t n_allow_read;
    const char *hide[MAX_WS];   /* more paths to hide (absolute) */
    size_t n_hide;
    const char *allow_names[MAX_WS]; /* --allow-write-name: off the deny list */
    size_t n_allow_names;
    struct kept { char *path; dev_t dev; ino_t ino; } kept[SBX_PLANTS_MAX_FOUND];
    size_t n_kept;              /* bound read-only by protect_plants: checked after the run */
    const char *unix_path[SBX_UNIX_MAX_ALLOW]; /* --allow-unix, as given */
    struct sbx_unix_allow unix_allow[SBX_UNIX_MAX_ALLOW]; /* opened as the caller */
    size_t n_unix;
    int unix_sock[2];           /* broker (init's side) <-> connector */
    char **argv;                /* the command */
    char **envp;                /* what the command gets */
    struct sbx_launch_conf conf;
    struct sbx_skel skel;       /* the home skeleton (skeleton.h) */
    struct sbx_launch_account target_acct; /* of the caller's own pair */
    const struct sbx_launch_account *target;
    uid_t caller;
    gid_t caller_gid;
    bool net;
};

/* Report and exit: on the report fd (sbx turns it into its error) or on
 * stderr.  "E<code> <message>" / "X<errno> <message>" lines. */
static _Noreturn void die(const struct launch *l, int status, int code, const char *fmt, ...)
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
    int keep[] = {l->report};
    if (sbx_close_fds_except(3, keep, 1) < 0)
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
    l->envp = calloc(n + 8 + SBX_CACHE_ENV_MAX, sizeof *l->envp);
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
        if (!env_dropped(*e) && !sbx_cache_env_sets(*e)) {
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
/* fork(), again for up to a second while the kernel says EAGAIN: the
 * account's process count (RLIMIT_NPROC, shared by every run on it) can
 * stand at its limit for the moment a finished run's processes take to be
 * reaped. */
static pid_t fork_patient(void)
{
    for (int tries = 0;; tries++) {
        pid_t pid = fork();
        if (pid >= 0 || errno != EAGAIN || tries == 200)
            return pid;
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

static void start_connector(const struct launch *l, int sig_w, int cwd_fd)
{
    if (l->n_unix == 0)
        return;
    pid_t pid = fork_patient();
    if (pid < 0)
        die(l, 125, SBX_EIO, "fork the --allow-unix connector: %s", strerror(errno));
    if (pid > 0) {
        int st;
        while (waitpid(pid, &st, 0) < 0)
            if (errno != EINTR)
                die(l, 125, SBX_EIO, "wait for the --allow-unix connector: %s",
                    strerror(errno));
        /* the middle process exits with fork's errno when it failed */
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            die(l, 125, SBX_EIO, "fork the --allow-unix connector: %s",
                WIFEXITED(st) ? strerror(WEXITSTATUS(st)) : "killed");
        return;
    }
    pid = fork_patient();
    if (pid != 0)
        _exit(pid < 0 ? (errno > 0 && errno < 256 ? errno : EIO) : 0);
    /* nothing of the run's but its own end and the sockets: init must
     * see the launcher's end of the signal pipe close */
    close(sig_w);
    close(cwd_fd);
    close(l->unix_sock[0]);
    for (size_t i = 0; i < l->n_ws; i++)
        close(l->ws_fd[i]);
    if (l->home_fd >= 0)
        close(l->home_fd);
    if (l->report >= 0)
        close(l->report);
    uid_t r, e, s;
    struct sbx_error err = {0};
    if (setresgid(l->caller_gid, l->caller_gid, l->caller_gid) != 0 ||
        setresuid(l->caller, l->caller, l->caller) != 0 || getresuid(&r, &e, &s) != 0 ||
        r != l->caller || e != l->caller || s != l->caller ||
        (l->caller != 0 && setuid(0) == 0) || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 ||
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || sbx_seccomp_load_base(&err) != 0)
        _exit(125);
    sbx_unix_connector_serve(l->unix_sock[1], l->unix_allow, l->n_unix);
}

/* The caller's file-system identity, for looking up the caller's paths:
 * root's would reach (and tell apart) what the caller can't. */
static void as_caller(const struct launch *l, bool on)
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

static void launcher_note(const char *note, void *ctx)
{
    (void)ctx;
    dprintf(2, "sbx-launch: warning: %s\n", note);
}

/* Bind what fd is open on onto itself with the attributes set (recursive,
 * from the fd alone): the clone's root, now attached, in an fd. */
static int bind_fd_onto(const struct launch *l, int fd, uint64_t attrs, int onto,
                        const char *name)
{
    int tree = open_tree(fd, "", OPEN_TREE_CLONE | AT_RECURSIVE | AT_EMPTY_PATH |
                                     OPEN_TREE_CLOEXEC);
    if (tree < 0)
        die(l, 125, SBX_EIO, "open_tree (clone) %s: %s", name, strerror(errno));
    struct mount_attr a = {.attr_set = attrs};
    if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof a) != 0)
        die(l, 125, SBX_EIO, "mount_setattr %s: %s", name, strerror(errno));
    if (move_mount(tree, "", onto, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0)
        die(l, 125, SBX_EIO, "bind %s%s: %s", name, onto == fd ? " onto itself" : "",
            strerror(errno));
    return tree;
}

static int bind_fd(const struct launch *l, int fd, uint64_t attrs, const char *name)
{
    return bind_fd_onto(l, fd, attrs, fd, name);
}

/* Each workspace bound onto itself nosuid and nodev (a device node or a
 * setuid file lying in it is no more than a file for the account), then
 * its .git and the --protect paths read-only on top; all from the fds
 * checked, never from a name looked up again. */
/* The workspace that holds ws[i] (given twice, or beneath another), or -1:
 * the outermost, the one whose bind is seen. */
static int outer_of(const struct launch *l, size_t i)
{
    int best = -1;
    for (size_t j = 0; j < l->n_ws; j++) {
        size_t len = strlen(l->ws[j]);
        bool holds = j != i && strncmp(l->ws[i], l->ws[j], len) == 0 &&
                     (l->ws[i][len] == '/' || (l->ws[i][len] == '\0' && j < i));
        if (holds && (best < 0 || len < strlen(l->ws[best])))
            best = (int)j;
    }
    return best;
}

/* The caller's records of the last searches (plants_cache.h), in its own
 * state directory, by the password database's home: opened as the caller,
 * without a symlink, only when the caller alone can write it and it lies
 * in no workspace.  -1: search in full. */
static int open_plants_records(const struct launch *l)
{
    char buf[16384], path[PATH_MAX];
    struct passwd pw, *res = NULL;
    if (getpwuid_r(l->caller, &pw, buf, sizeof buf, &res) != 0 || !res ||
        sbx_plants_records_path(pw.pw_dir, path, sizeof path) != 0)
        return -1;
    as_caller(l, true);
    int fd = sbx_plants_records_open(path, l->caller, l->ws_st, l->n_ws);
    as_caller(l, false);
    return fd;
}

/* The files tools run (plants.h) in each workspace, found as the caller
 * through the workspace's new mount, bound read-only from the descriptors
 * the search opened.  The search replays the caller's record of the last
 * one when nothing changed (plants_cache.h: the record is read and written
 * as the caller, parsed as untrusted input).  What the search could not
 * cover is said on stderr before the command starts. */
static void protect_plants(struct launch *l)
{
    size_t room = SBX_PLANTS_MAX_FOUND;
    sbx_autofd int records = open_plants_records(l);
    for (size_t i = 0; i < l->n_ws; i++) {
        if (outer_of(l, i) >= 0)
            continue; /* searched with the workspace that holds it */
        if (room == 0) {
            dprintf(2, "sbx-launch: warning: %s: not searched for files tools run (the other "
                       "workspaces took all %d read-only places)\n", l->ws[i],
                    SBX_PLANTS_MAX_FOUND);
            continue;
        }
        struct sbx_plants_opts o = {.root = l->ws[i], .allow_git = l->allow_git,
                                    .allow_names = l->allow_names,
                                    .n_allow_names = l->n_allow_names, .max_found = room};
        struct sbx_plants found;
        struct sbx_error err = {0};
        bool cached;
        as_caller(l, true);
        int rc = sbx_plants_search_at(l->ws_fd[i], records, l->caller, &o, &found, &cached, &err);
        as_caller(l, false);
        if (rc < 0)
            die(l, 125, err.code, "workspace %s: the search for files tools run: %s", l->ws[i],
                err.msg);
        sbx_plants_notes(&found, l->ws[i], launcher_note, NULL);
        for (size_t k = 0; k < found.n; k++) {
            char name[PATH_MAX + 8];
            snprintf(name, sizeof name, "%s/%s", l->ws[i], found.v[k].rel);
            /* the mount stays; its fd is not needed */
            close(bind_fd(l, found.v[k].fd, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
                                                MOUNT_ATTR_NODEV, name));
            char *copy = strdup(name);
            if (copy && l->n_kept < SBX_PLANTS_MAX_FOUND)
                l->kept[l->n_kept++] = (struct kept){copy, found.v[k].dev, found.v[k].ino};
            else
                free(copy);
        }
        room -= found.n;
        sbx_plants_free(&found);
    }
}

static void mount_workspaces(struct launch *l)
{
    for (size_t i = 0; i < l->n_ws; i++) {
        if (outer_of(l, i) >= 0)
            continue; /* inside another's bind, which is recursive */
        /* At its own path on the home skeleton, or where it is. */
        struct sbx_error err = {0};
        int onto = sbx_skel_reach(&l->skel, l->ws[i], false, &err);
        if (onto < 0 && onto != -SBX_ENOENT)
            die(l, 125, err.code, "workspace %s: %s", l->ws[i], err.msg);
        int top = bind_fd_onto(l, l->ws_fd[i], MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
                               onto >= 0 ? onto : l->ws_fd[i], l->ws[i]);
        if (onto >= 0)
            close(onto);
        /* Same directory (same inode: the grant, the owner and the
         * Landlock rule are the same), reached through the new mount. */
        close(l->ws_fd[i]);
        l->ws_fd[i] = top;
    }
    /* A workspace inside another one: reached again from the outer one's
     * new mount, without symlinks, and still the directory checked (its
     * .git's bind must go where it is seen). */
    for (size_t i = 0; i < l->n_ws; i++) {
        int o = outer_of(l, i);
        if (o < 0)
            continue;
        const char *rel = l->ws[i] + strlen(l->ws[o]);
        char buf[PATH_MAX];
        snprintf(buf, sizeof buf, "%s", rel);
        int fd = fcntl(l->ws_fd[o], F_DUPFD_CLOEXEC, 3);
        char *save = NULL;
        for (char *c = strtok_r(buf, "/", &save); fd >= 0 && c; c = strtok_r(NULL, "/", &save)) {
            int next = openat(fd, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            close(fd);
            fd = next;
        }
        struct stat st;
        if (fd < 0 || fstat(fd, &st) != 0 || st.st_dev != l->ws_st[i].st_dev ||
            st.st_ino != l->ws_st[i].st_ino)
            die(l, 125, SBX_EPERM, "workspace %s changed while the sandbox was being built",
                l->ws[i]);
        close(l->ws_fd[i]);
        l->ws_fd[i] = fd;
    }
    protect_plants(l);
    /* --protect: read-only too, and only inside a workspace; opened as the
     * caller, without symlinks, through the workspaces' new mounts. */
    for (size_t i = 0; i < l->n_protect; i++) {
        struct sbx_error err = {0};
        as_caller(l, true);
        sbx_autofd int fd = sbx_open_nofollow(l->protect[i], O_PATH, &err);
        as_caller(l, false);
        struct stat st;
        if (fd < 0)
            die(l, 125, err.code, "--protect %s: %s", l->protect[i], err.msg);
        if (fstat(fd, &st) != 0 || S_ISLNK(st.st_mode))
            die(l, 125, SBX_EINVAL, "--protect %s: a symlink; give the real path",
                l->protect[i]);
        /* A canonical path walked without symlinks or "..": what it
         * reached lies beneath each directory it went through. */
        bool inside = false;
        for (size_t w = 0; w < l->n_ws && !inside; w++) {
            size_t len = strlen(l->ws[w]);
            inside = strncmp(l->protect[i], l->ws[w], len) == 0 && l->protect[i][len] == '/';
        }
        if (!inside)
            die(l, 125, SBX_EINVAL, "--protect %s is not inside a workspace", l->protect[i]);
        close(bind_fd(l, fd, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
                      l->protect[i]));
    }
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
static bool path_in(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/' || n == 1);
}

/* The credential paths of the caller's home (modes/common/secret_paths.h)
 * read as empty for the account, as in the unelevated mode: each found as
 * the caller (a symlink followed, as the caller may) and covered in the
 * run's mount namespace by an empty read-only stand-in (and so each --hide
 * path, the caller's configuration's), unless
 * --allow-read names it or a directory holding it.  On the home skeleton
 * (build_skeleton) the home is out of the account's reach anyway; this
 * covers what a home others can search (outside /home) would show, and the
 * --hide paths, inside workspaces too. */
static void hide_credentials(struct launch *l)
{
    char buf[16384];
    struct passwd pw, *res = NULL;
    /* no home: nothing of it to hide, the --hide paths still */
    bool home = getpwuid_r(l->caller, &pw, buf, sizeof buf, &res) == 0 && res && pw.pw_dir &&
                pw.pw_dir[0] == '/';
    sbx_autofd int files = -1;
    for (size_t i = 0; i < sbx_n_secret_paths + l->n_hide; i++) {
        if (i < sbx_n_secret_paths && !home)
            continue;
        char path[PATH_MAX];
        if (snprintf(path, sizeof path, "%s%s%s", i < sbx_n_secret_paths ? pw.pw_dir : "",
                     i < sbx_n_secret_paths ? "/" : "",
                     i < sbx_n_secret_paths ? sbx_secret_paths[i]
                                            : l->hide[i - sbx_n_secret_paths]) >=
            (int)sizeof path)
            continue;
        bool shown = false;
        for (size_t a = 0; a < l->n_allow_read && !shown; a++) {
            shown = path_in(path, l->allow_read[a]);
            if (!shown && path_in(l->allow_read[a], path))
                die(l, 125, SBX_EINVAL, "--allow-read %s lies inside %s, which sbx hides: pass "
                    "--allow-read %s to show it whole", l->allow_read[a], path, path);
        }
        if (shown)
            continue;
        as_caller(l, true);
        int fd = open(path, O_PATH | O_CLOEXEC);
        as_caller(l, false);
        if (fd < 0)
            continue; /* absent, or not the caller's to look at either */
        struct sbx_error err = {0};
        int rc = sbx_standin_cover(fd, path, &files, &err);
        close(fd);
        if (rc < 0)
            die(l, 125, err.code, "hide %s from the sandbox: %s", path, err.msg);
    }
}

/* The home skeleton (skeleton.h), before the workspaces are bound on it:
 * where it goes and what --allow-read shows on it are looked up as the
 * caller, before it hides them; then, as root, each --allow-read path it
 * covers bound on it read-only, the shortest first (so a workspace or a
 * path inside one is mounted on top of it, later), and the way to the
 * account's home made (private_home mounts there).  Paths inside a
 * workspace are reached through the workspace's own bind. */
static void build_skeleton(struct launch *l)
{
    struct sbx_error err = {0};
    int shown[MAX_WS];
    as_caller(l, true);
    int rc = sbx_skel_plan(&l->skel, l->ws, l->n_ws, &err);
    if (rc == 0)
        rc = sbx_skel_open(&l->skel, &err);
    for (size_t k = 0; k < l->n_allow_read; k++) {
        bool in_ws = false;
        for (size_t w = 0; w < l->n_ws && !in_ws; w++)
            in_ws = path_in(l->allow_read[k], l->ws[w]);
        /* absent, or not the caller's to look at: nothing to show */
        shown[k] = rc || in_ws || sbx_skel_of(&l->skel, l->allow_read[k]) < 0
                       ? -1
                       : open(l->allow_read[k], O_PATH | O_CLOEXEC);
    }
    as_caller(l, false);
    if (rc != 0 || sbx_skel_mount(&l->skel, &err) != 0)
        die(l, 125, err.code, "%s", err.msg);
    for (size_t round = 0; round < l->n_allow_read; round++) {
        size_t k = l->n_allow_read;
        for (size_t j = 0; j < l->n_allow_read; j++)
            if (shown[j] >= 0 &&
                (k == l->n_allow_read || strlen(l->allow_read[j]) < strlen(l->allow_read[k])))
                k = j;
        if (k == l->n_allow_read)
            break;
        struct stat st;
        if (fstat(shown[k], &st) != 0)
            die(l, 125, SBX_EIO, "--allow-read %s: %s", l->allow_read[k], strerror(errno));
        sbx_autofd int onto = sbx_skel_reach(&l->skel, l->allow_read[k], !S_ISDIR(st.st_mode),
                                             &err);
        if (onto < 0)
            die(l, 125, err.code, "--allow-read %s: %s", l->allow_read[k], err.msg);
        close(bind_fd_onto(l, shown[k], MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
                           onto, l->allow_read[k]));
        close(shown[k]);
        shown[k] = -1;
    }
    int home = sbx_skel_reach(&l->skel, l->target->home, false, &err);
    if (home < 0 && home != -SBX_ENOENT)
        die(l, 125, err.code, "the account's home %s: %s", l->target->home, err.msg);
    if (home >= 0)
        close(home);
}

/* git's safe.directory=* in the private home's ~/.gitconfig as well as in
 * the command scope sbx sets (modes/elevated/run.c): git drops the command
 * scope (GIT_CONFIG_COUNT) from the upload-pack it starts for a local
 * clone, which then refuses the caller's repository ("dubious ownership")
 * though the clone itself was allowed.  Written by root into the tmpfs just
 * mounted in this run's own mount namespace (no one else has seen it),
 * through the fd private_home opened, then given to the account: the
 * command may change it, for itself. */
static void home_gitconfig(struct launch *l)
{
    static const char text[] = "[safe]\n\tdirectory = *\n";
    const struct sbx_launch_account *a = l->target;
    int fd = openat(l->home_fd, ".gitconfig",
                    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    bool ok = fd >= 0 && write(fd, text, sizeof text - 1) == (ssize_t)(sizeof text - 1) &&
              fchown(fd, a->uid, a->gid) == 0;
    int saved = errno;
    if (fd >= 0)
        close(fd);
    if (!ok)
        die(l, 125, SBX_EIO, "%s/.gitconfig in the private home: %s", a->home,
            strerror(saved));
}

/* A home (and TMPDIR inside it) of this run alone: a tmpfs over the
 * account's home in the run's mount namespace.  The accounts are shared by
 * every member of the users' group, so a home that persisted would let one
 * caller's sandbox plant files (~/.gitconfig, ~/.bashrc) that another
 * caller's later sandbox runs; and the files vanish with the namespace, as
 * the unelevated mode's private TMPDIR does. */
static void private_home(struct launch *l)
{
    const struct sbx_launch_account *a = l->target;
    char opts[160], tmp[PATH_MAX + 8];
    struct sbx_error err = {0};
    /* Bounded as the unelevated mode's TMPDIR is: its pages are memory. */
    unsigned long long inodes = l->tmp_bytes / 4096 > 1024 ? l->tmp_bytes / 4096 : 1024;
    snprintf(opts, sizeof opts, "mode=0700,uid=%u,gid=%u,size=%llu,nr_inodes=%llu",
             (unsigned)a->uid, (unsigned)a->gid, l->tmp_bytes, inodes);
    if (mount("tmpfs", a->home, "tmpfs", MS_NOSUID | MS_NODEV, opts) != 0)
        die(l, 125, SBX_EIO, "a private home at %s: %s", a->home, strerror(errno));
    if (snprintf(tmp, sizeof tmp, "%s/tmp", a->home) >= (int)sizeof tmp ||
        mkdir(tmp, 0700) != 0 || chown(tmp, a->uid, a->gid) != 0)
        die(l, 125, SBX_EIO, "a private TMPDIR in %s: %s", a->home, strerror(errno));
    l->home_fd = open(a->home, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (l->home_fd < 0)
        die(l, 125, SBX_EIO, "the private home %s: %s", a->home, strerror(errno));
    home_gitconfig(l);
    if (l->cache_disk >= 0 &&
        sbx_launch_cache_mount(a, l->home_fd, l->cache_disk, &l->cache_fd, &err) != 0)
        die(l, 125, err.code, "%s", err.msg);
    sbx_closep(&l->cache_disk);
}

/* The account's cache on disk (launch_cache.h), opened while nothing of
 * the run's covers it yet: the home skeleton may cover the directory the
 * accounts' homes lie in, the private home covers the home itself. */
static void open_cache(struct launch *l)
{
    struct sbx_error err = {0};
    if (!l->no_cache && sbx_launch_cache_open(l->target, &l->cache_disk, &err) != 0)
        die(l, 125, err.code, "%s (sbx run --no-cache runs without it)", err.msg);
}

static void become(const struct launch *l, uid_t uid, gid_t gid, const char *who)
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

static int sigpipe_w = -1;

/* SIGCHLD must interrupt init's ppoll: an ignored signal would not. */
static void on_child(int sig)
{
    (void)sig;
}

static void forward(int sig)
{
    unsigned char b = (unsigned char)sig;
    int saved = errno;
    if (write(sigpipe_w, &b, 1) < 0) {
        /* init is gone: nothing to forward to */
    }
    errno = saved;
}

static const int fwd_sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

static int status_of(int ws)
{
    return WIFEXITED(ws) ? WEXITSTATUS(ws) : WIFSIGNALED(ws) ? 128 + WTERMSIG(ws) : 125;
}

/* The launcher after fork: the caller again, waiting for init. */
static _Noreturn void supervise(const struct launch *l, pid_t init, int sig_w)
{
    become(l, l->caller, l->caller_gid, "the caller");
    sigpipe_w = sig_w;
    struct sigaction sa = {.sa_handler = forward};
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof fwd_sigs / sizeof fwd_sigs[0]; i++)
        sigaction(fwd_sigs[i], &sa, NULL);
    int ws;
    while (waitpid(init, &ws, 0) < 0)
        if (errno != EINTR)
            _exit(125);
    /* As the caller, in the run's view: each kept path still leads to what
     * was bound, or what stands there now is the command's (plants.h). */
    size_t moved = 0;
    for (size_t i = 0; i < l->n_kept; i++)
        if (!sbx_plants_still_kept(l->kept[i].path, l->kept[i].dev, l->kept[i].ino) &&
            ++moved <= 3) {
            char note[512];
            sbx_plants_moved_note(note, sizeof note, l->kept[i].path);
            launcher_note(note, NULL);
        }
    if (moved > 3)
        dprintf(2, "sbx-launch: warning: ... and %zu more such paths\n", moved - 3);
    _exit(status_of(ws));
}

/* The account's processes, as the account (so the hard limit can only
 * come down, never above what the caller had).  RLIMIT_NPROC counts the
 * account's processes and threads across the machine: every run of every
 * member on the same account shares this ceiling, which stops a fork bomb
 * well before the machine's pid_max. */
static void limit_processes(const struct launch *l)
{
    struct rlimit cur, lim;
    rlim_t want = (rlim_t)l->max_pids + 1; /* + init */
    if (getrlimit(RLIMIT_NPROC, &cur) == 0 && cur.rlim_max != RLIM_INFINITY &&
        cur.rlim_max < want)
        want = cur.rlim_max;
    lim.rlim_cur = lim.rlim_max = want;
    if (setrlimit(RLIMIT_NPROC, &lim) != 0)
        die(l, 125, SBX_EIO, "set RLIMIT_NPROC to %llu for %s: %s", (unsigned long long)want,
            l->target->name, strerror(errno));
}

/* pid 1 of the new namespace: the account, confined; runs the command. */
static _Noreturn void run_init(struct launch *l, int sig_r, int cwd_fd)
{
    /* A /proc of this namespace: the command sees its own processes. */
    if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
        die(l, 125, SBX_EIO, "mount /proc: %s", strerror(errno));
    /* The allowed sockets stay with the connector: the account holds no fd
     * on them, only the broker's end of the connector's socket. */
    struct sbx_unix_remote remote = {.sock = l->unix_sock[0], .allow = l->unix_allow,
                                     .n = l->n_unix};
    if (l->n_unix > 0) {
        close(l->unix_sock[1]);
        for (size_t i = 0; i < l->n_unix; i++) {
            close(l->unix_allow[i].fd);
            l->unix_allow[i].fd = -1;
        }
    }
    become(l, l->target->uid, l->target->gid, l->target->name);
    /* Set after the switch: a credential change clears it. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
        die(l, 125, SBX_EIO, "prctl(PR_SET_PDEATHSIG) as %s: %s", l->target->name,
            strerror(errno));
    limit_processes(l);
    struct pollfd alive = {.fd = sig_r, .events = POLLIN};
    if (poll(&alive, 1, 0) == 1 && (alive.revents & (POLLHUP | POLLERR)))
        _exit(125);
    if (fchdir(cwd_fd) != 0)
        die(l, 125, SBX_EPERM, "%s cannot enter the current directory: %s", l->target->name,
            strerror(errno));
    close(cwd_fd);
    /* The rules from the fds checked (the workspaces' roots, the private
     * home), the names only for messages. */
    const char *rw[MAX_WS + 2];
    int rw_fd[MAX_WS + 2];
    char tmp[PATH_MAX], cache[PATH_MAX + 16];
    snprintf(tmp, sizeof tmp, "%s", l->target->home);
    snprintf(cache, sizeof cache, "%s/.cache", l->target->home);
    size_t n_rw = 0;
    for (size_t i = 0; i < l->n_ws; i++) {
        rw[n_rw] = l->ws[i];
        rw_fd[n_rw++] = l->ws_fd[i];
    }
    rw[n_rw] = tmp;
    rw_fd[n_rw++] = l->home_fd;
    if (l->cache_fd >= 0) {
        rw[n_rw] = cache;
        rw_fd[n_rw++] = l->cache_fd;
    }
    struct sbx_policy pol = {.rw = rw, .rw_fd = rw_fd, .n_rw = n_rw, .net = l->net,
                             .private_dev = false,
                             .tcp_ports = l->net ? NULL : l->conf.ports,
                             .n_tcp_ports = l->net ? 0 : l->conf.n_ports,
                             .unix_remote = l->n_unix > 0 ? &remote : NULL};
    struct sbx_error err = {0};
    if (sbx_policy_apply(&pol, sbx_landlock_abi(), &err) != 0)
        die(l, 125, err.code, "confine the command: %s", err.msg);
    for (size_t i = 0; i < l->n_ws; i++)
        close(l->ws_fd[i]);
    close(l->home_fd);
    if (l->cache_fd >= 0)
        close(l->cache_fd);
    if (l->n_unix > 0)
        close(l->unix_sock[0]); /* the broker has it */

    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);
    pid_t cmd = fork();
    if (cmd < 0)
        die(l, 125, SBX_EIO, "fork: %s", strerror(errno));
    if (cmd == 0) {
        sigprocmask(SIG_SETMASK, &old, NULL);
        close(sig_r);
        /* A session of its own.  Its stdio are sbx's pipes and, with
         * --tty, the pty sbx made for this run alone in the slots of the
         * caller's terminals (sbx relays both): that pty becomes the
         * command's controlling terminal, for job control and /dev/tty,
         * as in the unelevated mode. */
        setsid();
        int term = -1;
        for (int fd = 0; l->tty && term < 0 && fd < 3; fd++)
            term = isatty(fd) ? fd : -1;
        if (term >= 0 && ioctl(term, TIOCSCTTY, 0) != 0)
            die(l, 125, SBX_EIO, "make the run's pty the controlling terminal: %s",
                strerror(errno));
        execvpe(l->argv[0], l->argv, l->envp);
        int e = errno;
        die(l, e == ENOENT ? 127 : 126, e, "%s: %s", l->argv[0], strerror(e));
    }
    if (l->report >= 0)
        close(l->report);
    /* Wait for the command; forward what the launcher passes on; die when
     * the launcher dies (EOF), which takes the namespace down. */
    struct sigaction sa = {.sa_handler = on_child};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_SETMASK, &chld, NULL);
    for (;;) {
        int ws;
        pid_t p;
        while ((p = waitpid(-1, &ws, WNOHANG)) > 0)
            if (p == cmd)
                _exit(status_of(ws));
        struct pollfd pf = {.fd = sig_r, .events = POLLIN};
        struct timespec ts = {.tv_sec = 1};
        int n = ppoll(&pf, 1, &ts, &old);
        if (n == 1) {
            unsigned char sig;
            ssize_t got = read(sig_r, &sig, 1);
            if (got == 1) {
                if (kill(-cmd, sig) != 0)
                    kill(cmd, sig);
            } else if (got == 0) {
                _exit(125);
            }
        }
    }
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
    struct launch l = {.report = -1, .home_fd = -1, .cache_disk = -1, .cache_fd = -1};
    ensure_stdio();
    umask(077);
    parse_args(&l, argc, argv);
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
