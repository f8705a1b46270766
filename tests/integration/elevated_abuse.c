/* SPDX-License-Identifier: MIT */
/* The installed setuid launcher, abused: every way the brief lists of
 * talking it into something must be refused (status 125 and a reason) or
 * neutralised, with the account's identity and nothing more. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "modes/common/linux/launch_conf.h"
#include "tests/integration/elevated_env.h"

static struct elev_env env;
static char launcher[512];

static int group_setup(void **state)
{
    (void)state;
    if (elev_env_setup(&env) != 0) {
        elev_env_teardown(&env);
        return -1;
    }
    snprintf(launcher, sizeof launcher, "%s/elevated/%s", env.state, SBX_LAUNCH_NAME);
    /* A preload library that leaves a mark wherever it is loaded. */
    char src[600];
    snprintf(src, sizeof src, "%s/evil.c", env.root);
    FILE *f = fopen(src, "w");
    if (!f)
        return -1;
    fprintf(f, "#include <stdio.h>\n#include <unistd.h>\n"
               "__attribute__((constructor)) static void mark(void) {\n"
               "  char p[256]; snprintf(p, sizeof p, \"%s/drop/pwned-%%d-%%d\", (int)getuid(), "
               "(int)geteuid());\n  FILE *f = fopen(p, \"w\"); if (f) fclose(f); }\n",
            env.root);
    fclose(f);
    return elev_sh(NULL, 0, "cc -shared -fPIC -o %s/evil.so %s 2>&1 && chmod 755 %s/evil.so",
                   env.root, src, env.root) == 0
               ? 0
               : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    return elev_env_teardown(&env) == 0 ? 0 : -1;
}

struct launch {
    uid_t uid;
    gid_t gid;
    const char *cwd;
    const char *const *argv;      /* after the launcher's path */
    const char *const *envp;      /* NULL: a plain one */
    int leak_fd;                  /* open the caller's key here first, or 0 */
    int sock_fd;                  /* an end of a unix socket pair here first, or 0 */
    int sock_type;                /* the pair's type (0: SOCK_SEQPACKET) */
    int peer;                     /* out: the pair's other end (the test's), or -1 */
    const char *exe;              /* NULL: the installed launcher */
    int status;
    char err[4096];
};

static void launch(struct launch *l)
{
    int p[2], sp[2] = {-1, -1};
    assert_int_equal(pipe(p), 0);
    if (l->sock_fd)
        assert_int_equal(socketpair(AF_UNIX, (l->sock_type ? l->sock_type : SOCK_SEQPACKET) |
                                                 SOCK_CLOEXEC, 0, sp), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct passwd *pw = getpwuid(l->uid);
        if (!pw || initgroups(pw->pw_name, l->gid) != 0 || setresgid(l->gid, l->gid, l->gid) ||
            setresuid(l->uid, l->uid, l->uid) || chdir(l->cwd) != 0)
            _exit(99);
        dup2(p[1], 2);
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        if (l->leak_fd) {
            char key[600];
            snprintf(key, sizeof key, "%s/.ssh/id_test", env.home);
            int fd = open(key, O_RDONLY);
            if (fd < 0 || dup2(fd, l->leak_fd) < 0)
                _exit(98);
        }
        /* (dup2 onto itself would keep the close-on-exec) */
        if (l->sock_fd && (dup2(sp[0], l->sock_fd) < 0 || fcntl(l->sock_fd, F_SETFD, 0) < 0))
            _exit(98);
        const char *argv[64] = {l->exe ? l->exe : launcher};
        for (size_t i = 0; l->argv[i] && i < 62; i++)
            argv[i + 1] = l->argv[i];
        static const char *const plain[] = {"PATH=/usr/bin:/bin", NULL};
        execve(argv[0], (char *const *)argv, (char *const *)(l->envp ? l->envp : plain));
        _exit(97);
    }
    close(p[1]);
    if (sp[0] >= 0)
        close(sp[0]);
    l->peer = sp[1];
    size_t got = 0;
    ssize_t n;
    while ((n = read(p[0], l->err + got, sizeof l->err - 1 - got)) > 0)
        got += (size_t)n;
    l->err[got] = '\0';
    close(p[0]);
    int st;
    waitpid(pid, &st, 0);
    l->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void expect_refused(struct launch *l, const char *why)
{
    launch(l);
    if (l->status != 125 || !strstr(l->err, why))
        fail_msg("wanted 125 and '%s', got %d: %s", why, l->status, l->err);
}

static void test_caller_not_in_group(void **state)
{
    (void)state;
    const char *argv[] = {"--account", "offline", "--workspace", env.ws, "--", "/bin/true", NULL};
    /* The launcher is 4750 root:group: the stranger can't even run it... */
    struct launch l = {.uid = env.stranger_uid, .gid = env.stranger_gid, .cwd = "/",
                       .argv = argv};
    launch(&l);
    assert_int_equal(l.status, 97);
    /* ...and a copy it could run (here: the caller's group bits opened by
     * a careless admin) still checks the group database. */
    chmod(launcher, 04755);
    struct launch l2 = {.uid = env.stranger_uid, .gid = env.stranger_gid, .cwd = "/",
                        .argv = argv};
    expect_refused(&l2, "is not a member");
    chmod(launcher, 04750);
}

static void test_target_not_sbx(void **state)
{
    (void)state;
    char caller_uid[16];
    snprintf(caller_uid, sizeof caller_uid, "%u", (unsigned)env.caller_uid);
    const char *targets[] = {"root", "0", env.caller, caller_uid, env.stranger, "nobody"};
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        const char *argv[] = {"--account", targets[i], "--workspace", env.ws, "--", "/bin/true",
                              NULL};
        struct launch l = {.uid = env.caller_uid, .gid = env.caller_gid, .cwd = env.ws,
                           .argv = argv};
        expect_refused(&l, "is not one of sbx's sandbox accounts");
    }
}

static void test_cwd_and_workspace_tricks(void **state)
{
    (void)state;
    char link_in[600], link_ws[600], ungranted[600];
    snprintf(link_in, sizeof link_in, "%s/etc-link", env.ws);
    snprintf(link_ws, sizeof link_ws, "%s/ws-link", env.home);
    snprintf(ungranted, sizeof ungranted, "%s/other", env.home);
    assert_int_equal(symlink("/etc", link_in), 0);
    assert_int_equal(symlink(env.ws, link_ws), 0);
    assert_int_equal(mkdir(ungranted, 0755), 0);
    assert_int_equal(chown(ungranted, env.caller_uid, env.caller_gid), 0);
    const char *ok[] = {"--account", "offline", "--workspace", env.ws, "--", "/bin/true", NULL};
    struct launch base = {.uid = env.caller_uid, .gid = env.caller_gid, .argv = ok};

    struct launch l = base;
    l.cwd = "/tmp";
    expect_refused(&l, "not inside the workspaces");
    l = base;
    l.cwd = link_in; /* cd through a symlink in the workspace: really /etc */
    expect_refused(&l, "not inside the workspaces");
    const char *via_link[] = {"--account", "offline", "--workspace", link_ws, "--", "/bin/true",
                              NULL};
    l = base;
    l.cwd = env.ws;
    l.argv = via_link;
    expect_refused(&l, "symlink");
    const char *tmp_ws[] = {"--account", "offline", "--workspace", "/tmp", "--", "/bin/true",
                            NULL};
    l = base;
    l.cwd = "/tmp";
    l.argv = tmp_ws;
    expect_refused(&l, "not to you");
    const char *not_granted[] = {"--account", "offline", "--workspace", ungranted, "--",
                                 "/bin/true", NULL};
    l = base;
    l.cwd = ungranted;
    l.argv = not_granted;
    expect_refused(&l, "is not granted");
    /* And the honest call works. */
    l = base;
    l.cwd = env.ws;
    launch(&l);
    assert_int_equal(l.status, 0);
    unlink(link_in);
    unlink(link_ws);
    rmdir(ungranted);
}

/* A bound unix socket at path (root's), with that owner and mode. */
static int bound_socket(const char *path, uid_t uid, mode_t mode)
{
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    unlink(path);
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 4) != 0 ||
        chown(path, uid, (gid_t)-1) != 0 || chmod(path, mode) != 0)
        return -1;
    return s;
}

/* --allow-unix is checked as the caller: the launcher (root) must not open
 * a socket for the sandbox that the caller could not connect to itself. */
static void test_allow_unix_as_caller(void **state)
{
    (void)state;
    char priv[600], hidden[700], roots[600], mine[600], file[600];
    snprintf(priv, sizeof priv, "%s/root-only", env.root);
    snprintf(hidden, sizeof hidden, "%s/s.sock", priv);
    snprintf(roots, sizeof roots, "%s/root.sock", env.root);
    snprintf(mine, sizeof mine, "%s/mine.sock", env.root);
    snprintf(file, sizeof file, "%s/evil.c", env.root);
    assert_int_equal(mkdir(priv, 0700), 0);
    int s1 = bound_socket(hidden, 0, 0666);   /* in a directory the caller can't cross */
    int s2 = bound_socket(roots, 0, 0600);    /* root's, not writable by the caller */
    int s3 = bound_socket(mine, env.caller_uid, 0600);
    assert_true(s1 >= 0 && s2 >= 0 && s3 >= 0);
    struct {
        const char *path, *why;
    } bad[] = {{hidden, "Permission denied"},
               {roots, "may not connect"},
               {"relative.sock", "absolute path"},
               {file, "is not a unix socket"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *argv[] = {"--account", "online", "--allow-unix", bad[i].path, "--workspace",
                              env.ws, "--", "/bin/true", NULL};
        struct launch l = {.uid = env.caller_uid, .gid = env.caller_gid, .cwd = env.ws,
                           .argv = argv};
        expect_refused(&l, bad[i].why);
    }
    /* The caller's own socket is fine. */
    const char *argv[] = {"--account", "online", "--allow-unix", mine, "--workspace", env.ws,
                          "--", "/bin/true", NULL};
    struct launch l = {.uid = env.caller_uid, .gid = env.caller_gid, .cwd = env.ws, .argv = argv};
    launch(&l);
    if (l.status != 0)
        fail_msg("--allow-unix of the caller's own socket: %d: %s", l.status, l.err);
    close(s1);
    close(s2);
    close(s3);
    unlink(hidden);
    unlink(roots);
    unlink(mine);
    rmdir(priv);
}

static void test_preload_and_environment(void **state)
{
    (void)state;
    char preload[600], out[600], buf[8192];
    snprintf(preload, sizeof preload, "LD_PRELOAD=%s/evil.so", env.root);
    snprintf(out, sizeof out, "%s/env.txt", env.ws);
    const char *envp[] = {preload, "LD_LIBRARY_PATH=/tmp", "GLIBC_TUNABLES=glibc.malloc.check=3",
                          "PATH=/usr/bin:/bin", NULL};
    const char *argv[] = {"--account", "offline", "--workspace", env.ws, "--", "/bin/sh", "-c",
                          "env > env.txt", NULL};
    struct launch l = {.uid = env.caller_uid, .gid = env.caller_gid, .cwd = env.ws,
                       .argv = argv, .envp = envp};
    launch(&l);
    assert_int_equal(l.status, 0);
    elev_read(out, buf, sizeof buf);
    assert_null(strstr(buf, "LD_"));
    assert_null(strstr(buf, "GLIBC_TUNABLES"));
    assert_non_null(strstr(buf, "HOME="));
    /* The library was never loaded: not by the launcher (root), not by
     * the command.  Checked against a positive control: a plain run of sh
     * with it does leave the mark. */
    assert_int_equal(elev_sh(buf, sizeof buf, "ls %s/drop | grep -c pwned; true", env.root), 0);
    assert_string_equal(buf, "0\n");
    elev_sh(NULL, 0, "LD_PRELOAD=%s/evil.so /bin/true", env.root);
    assert_int_equal(elev_sh(buf, sizeof buf, "ls %s/drop | grep -c pwned; true", env.root), 0);
    assert_string_equal(buf, "1\n");
    unlink(out);
}

static void test_leaked_fds_closed(void **state)
{
    (void)state;
    char buf[4096], path[600];
    const char *argv[] = {"--account", "offline", "--workspace", env.ws, "--", "/bin/sh", "-c",
                          "cat <&7 > fd.txt 2>&1; ls /proc/self/fd > fds.txt", NULL};
    struct launch l = {.uid = env.caller_uid, .gid = env.caller_gid, .cwd = env.ws,
                       .argv = argv, .leak_fd = 7};
    launch(&l);
    assert_int_equal(l.status, 0);
    snprintf(path, sizeof path, "%s/fd.txt", env.ws);
    elev_read(path, buf, sizeof buf);
    assert_null(strstr(buf, "SECRET"));
    snprintf(path, sizeof path, "%s/fds.txt", env.ws);
    elev_read(path, buf, sizeof buf);
    assert_null(strstr(buf, "7"));
    /* A report fd that is a file (not a pipe) is refused: the launcher
     * never writes as root into what the caller points it at. */
    const char *rep[] = {"--report-fd", "7", "--account", "offline", "--workspace", env.ws, "--",
                         "/bin/true", NULL};
    struct launch l2 = {.uid = env.caller_uid, .gid = env.caller_gid, .cwd = env.ws,
                        .argv = rep, .leak_fd = 7};
    expect_refused(&l2, "usage");
}

/* --net-proxy-fd (`sbx run --net allow=`): only an open unix seqpacket
 * socket, only for the offline account; given one, the launcher hands the
 * proxy (here: the test) a socket listening on 127.0.0.1:3128 in the run's
 * own network namespace, sets the proxy variables itself whatever the
 * caller's say, and the command holds nothing of it. */
static void test_net_proxy_fd(void **state)
{
    (void)state;
    const char *off[] = {"--net-proxy-fd", "7", "--account", "offline", "--workspace", env.ws,
                         "--", "/bin/true", NULL};
    struct launch file = {.uid = env.caller_uid, .gid = env.caller_gid, .cwd = env.ws,
                          .argv = off, .leak_fd = 7};
    expect_refused(&file, "not an open unix socket");
    struct launch closed = {.uid = env.caller_uid, .gid = env.caller_gid, .cwd = env.ws,
                            .argv = off};
    expect_refused(&closed, "not an open unix socket");
    struct launch stream = {.uid = env.caller_uid, .gid = env.caller_gid, .cwd = env.ws,
                            .argv = off, .sock_fd = 7, .sock_type = SOCK_STREAM};
    expect_refused(&stream, "not an open unix socket");
    close(stream.peer);
    const char *on[] = {"--net-proxy-fd", "7", "--account", "online", "--workspace", env.ws,
                        "--", "/bin/true", NULL};
    struct launch online = {.uid = env.caller_uid, .gid = env.caller_gid, .cwd = env.ws,
                            .argv = on, .sock_fd = 7};
    expect_refused(&online, "for the offline account");
    close(online.peer);

    const char *envp[] = {"HTTP_PROXY=http://evil.test:1", "no_proxy=*", "PATH=/usr/bin:/bin",
                          NULL};
    const char *run[] = {"--net-proxy-fd", "7", "--account", "offline", "--workspace", env.ws,
                         "--", "/bin/sh", "-c",
                         "env > env.txt; ls -l /proc/self/fd/ > fds.txt; "
                         "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' > ifaces.txt",
                         NULL};
    struct launch ok = {.uid = env.caller_uid, .gid = env.caller_gid, .cwd = env.ws,
                        .argv = run, .envp = envp, .sock_fd = 7};
    launch(&ok);
    if (ok.status != 0)
        fail_msg("--net-proxy-fd with a seqpacket socket: %d: %s", ok.status, ok.err);
    /* What came through: a TCP socket listening on 127.0.0.1:3128. */
    char byte, cbuf[CMSG_SPACE(sizeof(int))];
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                        .msg_controllen = sizeof cbuf};
    assert_int_equal(recvmsg(ok.peer, &mh, MSG_DONTWAIT), 1);
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    assert_non_null(cm);
    assert_int_equal(cm->cmsg_type, SCM_RIGHTS);
    int lfd;
    memcpy(&lfd, CMSG_DATA(cm), sizeof lfd);
    struct sockaddr_in sin;
    socklen_t len = sizeof sin;
    int listening = 0;
    socklen_t ilen = sizeof listening;
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&sin, &len), 0);
    assert_int_equal(getsockopt(lfd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &ilen), 0);
    assert_int_equal(sin.sin_family, AF_INET);
    assert_int_equal(ntohs(sin.sin_port), 3128);
    assert_int_equal(ntohl(sin.sin_addr.s_addr), INADDR_LOOPBACK);
    assert_int_equal(listening, 1);
    close(lfd);
    close(ok.peer);
    char buf[8192], path[600];
    snprintf(path, sizeof path, "%s/env.txt", env.ws);
    elev_read(path, buf, sizeof buf);
    unlink(path);
    assert_non_null(strstr(buf, "HTTP_PROXY=http://127.0.0.1:3128\n"));
    assert_non_null(strstr(buf, "\nno_proxy=\n"));
    assert_null(strstr(buf, "evil.test"));
    snprintf(path, sizeof path, "%s/fds.txt", env.ws);
    elev_read(path, buf, sizeof buf);
    unlink(path);
    if (strstr(buf, "socket:"))
        fail_msg("the command holds a socket: %s", buf);
    snprintf(path, sizeof path, "%s/ifaces.txt", env.ws);
    elev_read(path, buf, sizeof buf);
    unlink(path);
    assert_string_equal(buf, "lo\n");
}

/* A launcher copy in a directory that isn't root's, with a configuration
 * naming root as an account (what a hard link into the caller's own
 * directory would give): the configuration is refused. */
static void test_configuration_outside_roots_dirs(void **state)
{
    (void)state;
    char dir[600], conf[700];
    snprintf(dir, sizeof dir, "%s/evil-dir", env.home);
    assert_int_equal(elev_sh(NULL, 0,
                             "set -e; mkdir %s; cp -p %s %s/; chown %s %s; chown root:%s %s/%s; "
                             "chmod 4755 %s/%s",
                             dir, launcher, dir, env.caller, dir, env.names.group, dir,
                             SBX_LAUNCH_NAME, dir, SBX_LAUNCH_NAME),
                     0);
    snprintf(conf, sizeof conf, "%s/%s", dir, SBX_LAUNCH_CONF_NAME);
    FILE *f = fopen(conf, "w");
    assert_non_null(f);
    fprintf(f, "sbx-launch-conf 1\ngroup %s %u\naccount offline root 0 0 /root\n"
               "account online daemon 1 1 /\n",
            env.names.group, (unsigned)env.group_gid);
    fclose(f);
    char exe[700];
    snprintf(exe, sizeof exe, "%s/%s", dir, SBX_LAUNCH_NAME);
    const char *argv[] = {"--account", "offline", "--workspace", env.ws, "--", "/usr/bin/id",
                          "-u", NULL};
    struct launch l = {.uid = env.caller_uid, .gid = env.caller_gid, .cwd = env.ws,
                       .argv = argv, .exe = exe};
    expect_refused(&l, "must belong to root");
    elev_sh(NULL, 0, "rm -rf %s", dir);
}

/* setup installs the launcher setuid root from its source: a source that
 * anyone but root can write (the file, or a directory above it) would let
 * them choose what root installs.  The plan driver refuses it, and
 * installs nothing. */
static void test_launcher_source_not_roots(void **state)
{
    (void)state;
    char dest[700], detail[1600], src[1300];
    snprintf(dest, sizeof dest, "%s/installed-launcher", env.root);
    /* in a directory of the caller's; in root's directory, a 0666 file */
    char dirs[2][600];
    snprintf(dirs[0], sizeof dirs[0], "%s/src-of-caller", env.home);
    snprintf(dirs[1], sizeof dirs[1], "%s/src-writable", env.root);
    const char *fmt[2] = {"set -e; mkdir -p %s; cp %s %s; chown -R %s %s",
                          "set -e; mkdir -p %s; cp %s %s; chmod 0666 %s; : %s"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(src, sizeof src, "%s/launcher", dirs[i]);
        assert_int_equal(elev_sh(NULL, 0, fmt[i], dirs[i], launcher, src,
                                 i == 0 ? env.caller : src, dirs[i]),
                         0);
        snprintf(detail, sizeof detail, "source=%s\nmode=4750\ngroup=root\n", src);
        struct sbx_resource r = {.kind = SBX_R_INSTALLED_FILE, .key = dest, .path = dest,
                                 .detail = detail};
        struct sbx_os *os = NULL;
        struct sbx_error err = {0};
        assert_int_equal(sbx_os_open_native(&os, &err), 0);
        int rc = sbx_os_apply(os, SBX_ACT_CREATE, &r, &err);
        free(r.os_id);
        sbx_os_destroy(os);
        struct stat st;
        bool installed = lstat(dest, &st) == 0;
        unlink(dest);
        elev_sh(NULL, 0, "rm -rf %s", dirs[i]);
        if (rc != -SBX_EPERM || !strstr(err.msg, "must belong to root") || installed)
            fail_msg("case %zu: a launcher source others can write was installed or refused "
                     "for another reason (rc %d, installed %d): %s", i, rc, installed, err.msg);
    }
}

static void test_not_setuid(void **state)
{
    (void)state;
    const char *plain = getenv("SBX_LAUNCHER_PLAIN");
    if (!plain)
        fail_msg("SBX_LAUNCHER_PLAIN must name the launcher as built, not setuid (ctest sets it)");
    const char *argv[] = {"--account", "offline", "--workspace", env.ws, "--", "/bin/true", NULL};
    struct launch l = {.uid = env.caller_uid, .gid = env.caller_gid, .cwd = env.ws,
                       .argv = argv, .exe = plain};
    expect_refused(&l, "not installed setuid root");
}

int main(void)
{
    elev_require_root();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_caller_not_in_group),
        cmocka_unit_test(test_target_not_sbx),
        cmocka_unit_test(test_cwd_and_workspace_tricks),
        cmocka_unit_test(test_allow_unix_as_caller),
        cmocka_unit_test(test_preload_and_environment),
        cmocka_unit_test(test_leaked_fds_closed),
        cmocka_unit_test(test_net_proxy_fd),
        cmocka_unit_test(test_configuration_outside_roots_dirs),
        cmocka_unit_test(test_launcher_source_not_roots),
        cmocka_unit_test(test_not_setuid),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
