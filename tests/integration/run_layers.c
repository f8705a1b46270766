/* SPDX-License-Identifier: MIT */
/* Each confinement layer on its own, in a forked child, against the real
 * kernel: Landlock without the mount view (so a pass here is Landlock's,
 * not EROFS), seccomp without Landlock, and the workspace checks. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "modes/confine/linux/confine.h"
#include "modes/confine/linux/landlock.h"
#include "modes/confine/linux/policy.h"
#include "modes/confine/linux/seccomp_filter.h"
#include "modes/confine/linux/wspath.h"
#include "tests/integration/run_common.h"

struct ctx {
    char dir[256];   /* holds ws/ and out/ */
    char ws[300];
    char out[300];
    int abi;
};

/* Run fn in a child; the child's exit status is the number of failed
 * checks (reported on stderr), 0 when all held. */
static int in_child(int (*fn)(struct ctx *), struct ctx *c)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(fn(c));
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    return WEXITSTATUS(st);
}

#define CHECK(cond)                                                                 \
    do {                                                                            \
        if (!(cond)) {                                                              \
            fprintf(stderr, "check failed: %s (errno %s)\n", #cond,                 \
                    strerrorname_np(errno) ? strerrorname_np(errno) : "0");         \
            bad++;                                                                  \
        }                                                                           \
    } while (0)

static int landlock_only(struct ctx *c)
{
    int bad = 0;
    struct sbx_error err = {0};
    struct sbx_landlock ll;
    if (sbx_landlock_create(&ll, c->abi, false, &err) < 0 ||
        sbx_landlock_allow(&ll, "/", SBX_LL_READ, &err) < 0 ||
        sbx_landlock_allow(&ll, c->ws, SBX_LL_ALL, &err) < 0 ||
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || sbx_landlock_enforce(&ll, &err) < 0) {
        fprintf(stderr, "landlock setup: %s\n", err.msg);
        return 100;
    }
    char p[700];
    snprintf(p, sizeof p, "%s/file", c->out);
    errno = 0;
    CHECK(open(p, O_WRONLY) < 0 && errno == EACCES);
    CHECK(open(p, O_RDONLY) >= 0);
    if (c->abi >= 3)
        CHECK(truncate(p, 0) < 0 && errno == EACCES);
    snprintf(p, sizeof p, "%s/new", c->out);
    CHECK(open(p, O_WRONLY | O_CREAT, 0644) < 0 && errno == EACCES);
    CHECK(mkdir(p, 0755) < 0 && errno == EACCES);
    CHECK(mkfifo(p, 0644) < 0 && errno == EACCES);
    snprintf(p, sizeof p, "%s/new", c->ws);
    CHECK(open(p, O_WRONLY | O_CREAT, 0644) >= 0);
    char to[700];
    snprintf(to, sizeof to, "%s/moved", c->out);
    CHECK(rename(p, to) < 0 && (errno == EACCES || errno == EXDEV));
    /* a hard link to a file outside would give write access through the
     * workspace: refused (REFER) */
    snprintf(p, sizeof p, "%s/file", c->out);
    snprintf(to, sizeof to, "%s/hl", c->ws);
    CHECK(link(p, to) < 0 && (errno == EACCES || errno == EXDEV));
    if (c->abi >= 4) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(9)};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        CHECK(connect(s, (struct sockaddr *)&a, sizeof a) < 0 && errno == EACCES);
        a.sin_port = htons(47999);
        CHECK(bind(s, (struct sockaddr *)&a, sizeof a) < 0 && errno == EACCES);
        close(s);
    }
    if (c->abi >= 6) {
        /* the parent is outside the domain */
        CHECK(kill(getppid(), 0) < 0 && errno == EPERM);
        /* so is the abstract socket it listens on (see the test) */
        int u = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "sbxt-layers-%d", (int)getppid());
        socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
                                    strlen(a.sun_path + 1));
        CHECK(connect(u, (struct sockaddr *)&a, len) < 0 && errno == EPERM);
        close(u);
    }
    return bad;
}

static void test_landlock_alone(void **state)
{
    struct ctx *c = *state;
    if (c->abi < 1) /* main() exits 77 before, where Landlock is missing */
        fail_msg("no Landlock ABI");
    /* an abstract listener outside the child's domain; connectable from
     * here, which proves the child's EPERM comes from Landlock */
    int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "sbxt-layers-%d", (int)getpid());
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(a.sun_path + 1));
    assert_int_equal(bind(l, (struct sockaddr *)&a, len), 0);
    assert_int_equal(listen(l, 4), 0);
    int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_int_equal(connect(probe, (struct sockaddr *)&a, len), 0);
    close(probe);
    int r = in_child(landlock_only, c);
    close(l);
    assert_int_equal(r, 0);
}

static int seccomp_only(struct ctx *c)
{
    (void)c;
    int bad = 0;
    struct sbx_error err = {0};
    if (sbx_seccomp_load(false, &err) < 0) {
        fprintf(stderr, "seccomp: %s\n", err.msg);
        return 100;
    }
    CHECK(socket(AF_INET, SOCK_STREAM, 0) < 0 && errno == EACCES);
    CHECK(socket(AF_INET6, SOCK_DGRAM, 0) < 0 && errno == EACCES);
    CHECK(socket(AF_UNIX, SOCK_STREAM, 0) < 0 && errno == EACCES);
    CHECK(socket(AF_NETLINK, SOCK_RAW, 0) < 0 && errno == EACCES);
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0);
    /* a datagram end reaches any bound datagram socket of the host */
    CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) < 0 && errno == EACCES);
    CHECK(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0 && errno == EACCES);
    CHECK(unshare(CLONE_NEWUSER) < 0 && errno == EPERM);
    CHECK(unshare(CLONE_NEWNS) < 0 && errno == EPERM);
    char ch = 'x';
    CHECK(ioctl(0, TIOCSTI, &ch) < 0 && errno == EPERM);
    /* the upper 32 bits of the request are ignored by the kernel: they
     * must not slip past the filter either */
    CHECK(syscall(SYS_ioctl, 0, 0x100000000UL | TIOCSTI, &ch) < 0 && errno == EPERM);
    CHECK(syscall(SYS_clone3, NULL, 0) < 0 && errno == ENOSYS);
    CHECK(syscall(SYS_keyctl, 0, -4, 0) < 0 && errno == EPERM);
    CHECK(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1);
    pid_t pid = fork(); /* clone without namespace flags still works */
    if (pid == 0)
        _exit(0);
    CHECK(pid > 0 && waitpid(pid, NULL, 0) == pid);
    return bad;
}

static void test_seccomp_alone(void **state)
{
    assert_int_equal(in_child(seccomp_only, *state), 0);
}

static int seccomp_net_on(struct ctx *c)
{
    (void)c;
    int bad = 0;
    struct sbx_error err = {0};
    if (sbx_seccomp_load(true, &err) < 0)
        return 100;
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(s >= 0);
    close(s);
    s = socket(AF_INET6, SOCK_STREAM, 0);
    CHECK(s >= 0);
    close(s);
    /* network on means IP: no unix socket (a host daemon's, by path),
     * netlink or packet socket, whatever the upper bits say */
    CHECK(socket(AF_UNIX, SOCK_STREAM, 0) < 0 && errno == EACCES);
    CHECK(syscall(SYS_socket, 0x100000000UL | AF_UNIX, SOCK_STREAM, 0) < 0 && errno == EACCES);
    CHECK(socket(AF_NETLINK, SOCK_RAW, 0) < 0 && errno == EACCES);
    CHECK(socket(AF_PACKET, SOCK_RAW, 0) < 0 && errno == EACCES);
    CHECK(socket(AF_VSOCK, SOCK_STREAM, 0) < 0 && errno == EACCES);
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) < 0 && errno == EACCES);
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    CHECK(unshare(CLONE_NEWUSER) < 0 && errno == EPERM);
    return bad;
}

static void test_seccomp_net_on(void **state)
{
    assert_int_equal(in_child(seccomp_net_on, *state), 0);
}

/* --- the policy: --allow-unix and loopback ports ------------------------- */

/* A unix socket address for path: -1 (ENAMETOOLONG) when it does not fit,
 * rather than a truncated path that names another socket. */
static int sun_path_set(struct sockaddr_un *a, const char *path)
{
    size_t len = strlen(path);
    if (len >= sizeof a->sun_path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(a->sun_path, path, len + 1);
    return 0;
}

static int listen_path(const char *path)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (sun_path_set(&a, path) < 0)
        return -1;
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    unlink(path);
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 16) < 0)
        return -1;
    return s;
}

static int connect_path(const char *path, int type)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (sun_path_set(&a, path) < 0)
        return -1;
    int s = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -1;
    int r = connect(s, (struct sockaddr *)&a, sizeof a);
    int e = errno;
    close(s);
    errno = e;
    return r;
}

static int unix_broker_child(struct ctx *c)
{
    int bad = 0;
    char allowed[400], other[400];
    snprintf(allowed, sizeof allowed, "%s/allowed.sock", c->dir);
    snprintf(other, sizeof other, "%s/other.sock", c->dir);
    const char *rw[] = {c->ws};
    const char *allow[] = {allowed};
    struct sbx_policy pol = {.rw = rw, .n_rw = 1, .net = true, .unix_allow = allow,
                             .n_unix_allow = 1};
    struct sbx_error err = {0};
    if (sbx_policy_apply(&pol, c->abi, &err) < 0) {
        fprintf(stderr, "policy with --allow-unix: %s\n", err.msg);
        return 100;
    }
    CHECK(connect_path(allowed, SOCK_STREAM) == 0);
    CHECK(connect_path(other, SOCK_STREAM) < 0 && errno == EACCES);
    /* the socket socket() gives is connected already: the kernel can't
     * connect it anywhere, whatever family the address claims */
    int u = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(u >= 0);
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons(9)};
    in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(connect(u, (struct sockaddr *)&in, sizeof in) < 0 && errno == EINVAL);
    CHECK(listen(u, 1) < 0);
    close(u);
    CHECK(socket(AF_UNIX, SOCK_DGRAM, 0) < 0 && errno == EACCES);
    /* TCP goes on (the kernel connects it) */
    int t = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(t >= 0);
    close(t);
    return bad;
}

static void test_unix_broker(void **state)
{
    struct ctx *c = *state;
    char allowed[400], other[400];
    snprintf(allowed, sizeof allowed, "%s/allowed.sock", c->dir);
    snprintf(other, sizeof other, "%s/other.sock", c->dir);
    int a = listen_path(allowed), o = listen_path(other);
    assert_true(a >= 0 && o >= 0);
    int r = in_child(unix_broker_child, c);
    close(a);
    close(o);
    assert_int_equal(r, 0);
}

static unsigned open_port, closed_port;

static int tcp_to(unsigned port)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int r = connect(s, (struct sockaddr *)&a, sizeof a);
    int e = errno;
    close(s);
    errno = e;
    return r;
}

/* The elevated mode's offline account with a loopback port: that TCP port,
 * and nothing else of the network (issue 12, item 11). */
static int ports_child(struct ctx *c)
{
    int bad = 0;
    const char *rw[] = {c->ws};
    unsigned ports[] = {open_port};
    struct sbx_policy pol = {.rw = rw, .n_rw = 1, .net = false, .tcp_ports = ports,
                             .n_tcp_ports = 1};
    struct sbx_error err = {0};
    if (sbx_policy_apply(&pol, c->abi, &err) < 0) {
        fprintf(stderr, "policy with a loopback port: %s\n", err.msg);
        return 100;
    }
    CHECK(tcp_to(open_port) == 0);
    if (c->abi >= 4) {
        CHECK(tcp_to(closed_port) < 0 && errno == EACCES);
        int s = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(47998)};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        CHECK(bind(s, (struct sockaddr *)&a, sizeof a) < 0 && errno == EACCES);
        close(s);
    }
    CHECK(socket(AF_INET, SOCK_DGRAM, 0) < 0 && errno == EACCES);
    CHECK(socket(AF_INET6, SOCK_DGRAM, 0) < 0 && errno == EACCES);
    CHECK(socket(AF_INET, SOCK_RAW, IPPROTO_ICMP) < 0 && errno == EACCES);
    CHECK(socket(AF_INET, SOCK_STREAM, 132 /* SCTP */) < 0 && errno == EACCES);
    CHECK(socket(AF_INET, SOCK_STREAM, 262 /* MPTCP */) < 0 && errno == EACCES);
    CHECK(socket(AF_UNIX, SOCK_STREAM, 0) < 0 && errno == EACCES);
    CHECK(socket(AF_NETLINK, SOCK_RAW, 0) < 0 && errno == EACCES);
    return bad;
}

static void test_loopback_ports(void **state)
{
    int l1 = -1, l2 = -1;
    for (int i = 0; i < 2; i++) {
        int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = {.sin_family = AF_INET};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        assert_true(s >= 0 && bind(s, (struct sockaddr *)&a, sizeof a) == 0 && listen(s, 8) == 0 &&
                    getsockname(s, (struct sockaddr *)&a, &len) == 0);
        *(i ? &closed_port : &open_port) = ntohs(a.sin_port);
        *(i ? &l2 : &l1) = s;
    }
    int r = in_child(ports_child, *state);
    close(l1);
    close(l2);
    assert_int_equal(r, 0);
}

/* The permitted capabilities of a program executed now (its CapPrm line),
 * or ~0 when it could not be read. */
static unsigned long long exec_cap_permitted(void)
{
    int p[2];
    if (pipe(p) != 0)
        return ~0ULL;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[1], 1);
        execl("/bin/grep", "grep", "^CapPrm:", "/proc/self/status", (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    char buf[128] = "";
    ssize_t n = read(p[0], buf, sizeof buf - 1);
    close(p[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    unsigned long long v = ~0ULL;
    if (n > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0 && sscanf(buf, "CapPrm: %llx", &v) != 1)
        v = ~0ULL;
    return v;
}

static int confine_self_child(struct ctx *c)
{
    int bad = 0;
    struct sbx_error err = {0};
    const char *rw[] = {c->ws};
    if (sbx_linux_confine_self(rw, 1, false, &err) < 0) {
        fprintf(stderr, "confine_self: %s\n", err.msg);
        return 100;
    }
    char p[700];
    snprintf(p, sizeof p, "%s/file", c->out);
    CHECK(open(p, O_WRONLY) < 0 && errno == EACCES);
    snprintf(p, sizeof p, "%s/from-launcher", c->ws);
    int fd = open(p, O_WRONLY | O_CREAT, 0644);
    CHECK(fd >= 0);
    if (fd >= 0)
        close(fd);
    CHECK(socket(AF_INET, SOCK_STREAM, 0) < 0 && errno == EACCES);
    CHECK(unshare(CLONE_NEWUSER) < 0 && errno == EPERM);
    CHECK(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1);
    /* A root caller keeps only the file-access capabilities, also in what
     * it executes (root's exec would otherwise be given every one). */
    unsigned long long prm = exec_cap_permitted();
    unsigned long long root_keep = (1ULL << 0) | (1ULL << 1) | (1ULL << 2) | (1ULL << 3) |
                                   (1ULL << 4); /* CHOWN .. FSETID */
    CHECK(prm != ~0ULL);
    CHECK((prm & ~(geteuid() == 0 ? root_keep : 0)) == 0);
    return bad;
}

/* What the elevated mode's launcher will call after switching account. */
static void test_confine_self(void **state)
{
    assert_int_equal(in_child(confine_self_child, *state), 0);
}

static void test_workspace_resolve(void **state)
{
    struct ctx *c = *state;
    char out[PATH_MAX];
    struct sbx_error err = {0};
    assert_int_equal(sbx_linux_workspace_resolve(c->ws, out, sizeof out, &err), 0);
    assert_string_equal(out, c->ws);
    const char *bad[] = {"/", "/etc", "/usr", "/proc", "/sys", "/dev", "/boot", "/bin",
                         "/var", "/tmp", "/home", "/usr/local/bin", "/etc/ssh"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (access(bad[i], F_OK) != 0)
            continue;
        err.msg[0] = '\0';
        assert_int_equal(sbx_linux_workspace_resolve(bad[i], out, sizeof out, &err), -SBX_EINVAL);
        assert_non_null(strstr(err.msg, bad[i]));
    }
    char link[400];
    snprintf(link, sizeof link, "%s/to-usr", c->dir);
    assert_int_equal(symlink("/usr", link), 0);
    assert_int_equal(sbx_linux_workspace_resolve(link, out, sizeof out, &err), -SBX_EINVAL);
    assert_non_null(strstr(err.msg, "resolves to /usr"));
    /* the home (from a given passwd entry, and via $HOME) and what
     * contains it */
    assert_non_null(sbx_ws_danger("/home/alice", "/home/alice", NULL));
    assert_non_null(sbx_ws_danger("/home/alice", "/nonexistent", "/home/alice"));
    assert_non_null(sbx_ws_danger("/home/alice/.ssh", "/home/alice", NULL));
    assert_null(sbx_ws_danger("/home/alice/src/app", "/home/alice", NULL));
    assert_null(sbx_ws_danger("/srv/app", "/home/alice", NULL));
    assert_null(sbx_ws_danger("/tmp/build", NULL, NULL));
    snprintf(link, sizeof link, "%s/missing", c->dir);
    assert_int_equal(sbx_linux_workspace_resolve(link, out, sizeof out, &err), -SBX_EINVAL);
    /* where a write is code execution or the system's state */
    const char *danger[] = {"/home/alice/.config", "/home/alice/.config/git",
                            "/home/alice/.local", "/home/alice/.local/bin",
                            "/home/alice/.gnupg/x", "/var/lib", "/var/lib/dpkg/info",
                            "/var/spool/cron", "/var/cache/apt", "/boot/grub", "/run/user",
                            "/root", "/srv"};
    for (size_t i = 0; i < sizeof danger / sizeof danger[0]; i++)
        if (!sbx_ws_danger(danger[i], "/home/alice", NULL))
            fail_msg("%s is accepted as a workspace", danger[i]);
    assert_null(sbx_ws_danger("/home/alice/.configs", "/home/alice", NULL));
    /* ~/.ssh and ~/.config as symlinks (a dotfile manager's): where they
     * lead is refused too, the home given as it is or through a symlink */
    char home[400], keys[400], dots[400], homelink[400], sshlink[450], cfglink[450];
    snprintf(home, sizeof home, "%s/home-d", c->dir);
    snprintf(keys, sizeof keys, "%s/keys-d", c->dir);
    snprintf(dots, sizeof dots, "%s/dots-d", c->dir);
    snprintf(homelink, sizeof homelink, "%s/home-l", c->dir);
    snprintf(sshlink, sizeof sshlink, "%s/.ssh", home);
    snprintf(cfglink, sizeof cfglink, "%s/.config", home);
    assert_int_equal(mkdir(home, 0700), 0);
    assert_int_equal(mkdir(keys, 0700), 0);
    assert_int_equal(mkdir(dots, 0700), 0);
    assert_int_equal(symlink(keys, sshlink), 0);
    assert_int_equal(symlink(dots, cfglink), 0);
    assert_int_equal(symlink(home, homelink), 0);
    assert_non_null(sbx_ws_danger(keys, home, NULL));
    assert_non_null(sbx_ws_danger(dots, NULL, home));
    assert_non_null(sbx_ws_danger(keys, homelink, NULL));
    assert_non_null(sbx_ws_danger(dots, homelink, homelink));
    assert_null(sbx_ws_danger(c->ws, home, home));
    /* a symlink a sandbox could have planted (in a directory that could
     * have been a workspace) is refused, wherever it leads; the real path
     * is not */
    char proj[400], real[400];
    snprintf(proj, sizeof proj, "%s/proj", c->dir);
    snprintf(real, sizeof real, "%s/real", c->dir);
    snprintf(link, sizeof link, "%s/proj/planted", c->dir);
    assert_int_equal(mkdir(proj, 0755), 0);
    assert_int_equal(mkdir(real, 0755), 0);
    assert_int_equal(symlink(real, link), 0);
    err.msg[0] = '\0';
    assert_int_equal(sbx_linux_workspace_resolve(link, out, sizeof out, &err), -SBX_EINVAL);
    assert_non_null(strstr(err.msg, "passes through the symlink"));
    assert_int_equal(sbx_linux_workspace_resolve(real, out, sizeof out, &err), 0);
    assert_string_equal(out, real);
    /* ".." is physical, as realpath's */
    char dotdot[450];
    snprintf(dotdot, sizeof dotdot, "%s/proj/../real/.", c->dir);
    assert_int_equal(sbx_linux_workspace_resolve(dotdot, out, sizeof out, &err), 0);
    assert_string_equal(out, real);
    /* Found again (the sandbox's init does this) only while the path still
     * leads to the directory checked, through no symlink: swapped with
     * another directory or with a symlink to the very same directory, it
     * is refused. */
    struct sbx_pin pin;
    assert_int_equal(sbx_path_pin(real, SBX_PIN_WORKSPACE, getuid(), &pin, &err), 0);
    int fd = sbx_pin_reopen(pin.path, pin.dev, pin.ino, &err);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(syscall(SYS_renameat2, AT_FDCWD, real, AT_FDCWD, proj, 2 /* EXCHANGE */), 0);
    assert_true(sbx_pin_reopen(pin.path, pin.dev, pin.ino, &err) < 0);
    assert_non_null(strstr(err.msg, "changed while"));
    assert_int_equal(syscall(SYS_renameat2, AT_FDCWD, real, AT_FDCWD, proj, 2 /* EXCHANGE */), 0);
    char moved[450];
    snprintf(moved, sizeof moved, "%s/moved", c->dir);
    assert_int_equal(rename(real, moved), 0);
    assert_int_equal(symlink(moved, real), 0);
    assert_true(sbx_pin_reopen(pin.path, pin.dev, pin.ino, &err) < 0);
    sbx_pin_close(&pin);
}

static void test_check_reports(void **state)
{
    struct ctx *c = *state;
    struct sbx_linux_report rep;
    struct sbx_error err = {0};
    assert_int_equal(sbx_linux_check(false, &rep, &err), 0);
    assert_int_equal(rep.landlock_abi, c->abi);
    /* every gap the ABI has is named, and none where there is none */
    if (c->abi >= 6)
        assert_int_equal(rep.n_notes, 0);
    else
        assert_true(rep.n_notes > 0);
}

static void count_note(const char *note, void *ctx)
{
    (void)note;
    (*(int *)ctx)++;
}

static int gaps(int abi, bool net)
{
    int n = 0;
    sbx_landlock_gaps(abi, net, count_note, &n);
    return n;
}

static void test_gap_list(void **state)
{
    (void)state;
    assert_int_equal(gaps(0, false), 1);
    assert_int_equal(gaps(7, false), 0);
    assert_int_equal(gaps(6, false), 0);
    assert_int_equal(gaps(5, false), 2);  /* signals, abstract sockets */
    assert_int_equal(gaps(5, true), 2);   /* signals, abstract sockets: whatever the net */
    assert_int_equal(gaps(4, false), 3);  /* + ioctl */
    assert_int_equal(gaps(3, false), 4);  /* + TCP */
    assert_int_equal(gaps(1, false), 6);  /* + refer, truncate */
}

int main(void)
{
    const char *why = run_missing_feature();
    if (why) {
        printf("SKIP: %s\n", why);
        return 77;
    }
    struct ctx c = {.abi = sbx_landlock_abi()};
    run_mkdtemp("layers", c.dir, sizeof c.dir);
    snprintf(c.ws, sizeof c.ws, "%s/ws", c.dir);
    snprintf(c.out, sizeof c.out, "%s/out", c.dir);
    char f[400];
    snprintf(f, sizeof f, "%s/file", c.out);
    if (mkdir(c.ws, 0755) < 0 || mkdir(c.out, 0755) < 0 || close(open(f, O_CREAT | O_WRONLY, 0644)) < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate(test_landlock_alone, &c),
        cmocka_unit_test_prestate(test_seccomp_alone, &c),
        cmocka_unit_test_prestate(test_seccomp_net_on, &c),
        cmocka_unit_test_prestate(test_confine_self, &c),
        cmocka_unit_test_prestate(test_unix_broker, &c),
        cmocka_unit_test_prestate(test_loopback_ports, &c),
        cmocka_unit_test_prestate(test_workspace_resolve, &c),
        cmocka_unit_test_prestate(test_check_reports, &c),
        cmocka_unit_test_prestate(test_gap_list, &c),
    };
    int failures = cmocka_run_group_tests_name("run_layers", tests, NULL, NULL);
    run_rmrf(c.dir);
    return failures ? 1 : 0;
}
