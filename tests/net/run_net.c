/* SPDX-License-Identifier: MIT */
/* `sbx run --net allow=...` end to end, with the sbx binary and an origin
 * server on the host's loopback: the command reaches an allowed host
 * through the proxy and nothing else, and a command that ignores the proxy
 * variables gets nowhere (TCP and UDP straight to the origin: each attempt
 * first shown to work without sbx); the proxy runs as the caller, and the
 * command holds no descriptor of its.  Unelevated: run as root and again
 * as nobody.  --elevated (root only; SBX_LAUNCHER_SOURCE names the built
 * launcher): root sets the elevated mode up for a throwaway member with
 * throwaway names (suite_machine.h), who runs the same suite with --mode
 * elevated (the command then runs as the member's offline account);
 * root's `sbx cleanup` at the end must leave nothing.  Test names resolve
 * from a hosts file (SBX_NET_HOSTS, which the sbx-netproxy of a test
 * build honours).  With --registry, only the machine's own npm registry
 * through the proxy (outbound network).
 * Usage: run_net SBX [--elevated] [--registry]. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/escape/suite_machine.h"
#include "tests/integration/run_common.h"
#include "tests/net/net_origin.h"

#define NOBODY 65534

static const char *sbx_bin;
static const char *mode = "unelevated";
/* --elevated: the account the command must run as (the member's offline
 * one: the proxy is its way out, nft's rules for it stay). */
static char offline[64];
static struct origin origin;
static char ws[256], state[256], hosts[300];

/* sh -c script, with sbx (net: the --net values, NULL-terminated) or
 * without. */
static int sh(const char *const *net, const char *script, struct run_result *r)
{
    char *argv[32];
    int n = 0;
    if (net) {
        argv[n++] = (char *)sbx_bin;
        argv[n++] = "run";
        argv[n++] = "--mode";
        argv[n++] = (char *)mode;
        argv[n++] = "--workspace";
        argv[n++] = ws;
        for (; *net; net++) {
            argv[n++] = "--net";
            argv[n++] = (char *)*net;
        }
        argv[n++] = "--";
    }
    argv[n++] = "sh";
    argv[n++] = "-c";
    argv[n++] = (char *)script;
    argv[n] = NULL;
    assert_int_equal(run_capture(ws, argv, NULL, 60, r), 0);
    return r->status;
}

#define NET(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_through_the_proxy(void **st)
{
    (void)st;
    char lit[64], script[512];
    snprintf(lit, sizeof lit, "allow=127.0.0.1:%u", origin.port);
    snprintf(script, sizeof script,
             "curl -sS http://allowed.test:%u/inside && echo && "
             "curl -sS -p http://allowed.test:%u/tunnel && echo && "
             "curl -sS -o /dev/null -w 'other %%{http_code}\\n' http://other.test:%u/; "
             "echo \"$HTTPS_PROXY|$no_proxy|\"; echo \"as $(id -un)\"",
             origin.port, origin.port, origin.port);
    struct run_result r;
    unsigned before = *origin.requests;
    int status = sh(NET("allow=allowed.test", lit), script, &r);
    if (status != 0)
        fail_msg("status %d: %s", status, r.out);
    char want[160];
    snprintf(want, sizeof want, "GET /inside host=allowed.test:%u", origin.port);
    assert_non_null(strstr(r.out, want));
    assert_non_null(strstr(r.out, "GET /tunnel host=allowed.test"));
    assert_non_null(strstr(r.out, "other 403"));
    snprintf(want, sizeof want, "sbx: network: denied other.test:%u (not in allowlist)",
             origin.port);
    assert_non_null(strstr(r.out, want));
    assert_non_null(strstr(r.out, "http://127.0.0.1:3128||"));
    char as[80];
    snprintf(as, sizeof as, "as %s\n", offline);
    if (offline[0] && !strstr(r.out, as))
        fail_msg("not run as %s: %s", offline, r.out);
    assert_int_equal(*origin.requests, before + 2);
    /* The run's summary in sbx log. */
    char *log_argv[] = {(char *)sbx_bin, "log", NULL};
    assert_int_equal(run_capture(ws, log_argv, NULL, 60, &r), 0);
    assert_int_equal(r.status, 0);
    snprintf(want, sizeof want, " allowed allowed.test:%u 2 ", origin.port);
    if (!strstr(r.out, want))
        fail_msg("sbx log has no '%s': %s", want, r.out);
    snprintf(want, sizeof want, " denied other.test:%u 1 not in allowlist", origin.port);
    assert_non_null(strstr(r.out, want));
}

/* A command that ignores the proxy: TCP and UDP straight to the origin
 * work without sbx, and fail with it. */
static void test_bypass_fails(void **st)
{
    (void)st;
    char lit[64], tcp[256], udp[256], direct[256];
    snprintf(lit, sizeof lit, "allow=127.0.0.1:%u", origin.port);
    snprintf(tcp, sizeof tcp,
             "exec bash -c 'exec 3<>/dev/tcp/127.0.0.1/%u && printf \"GET /direct HTTP/1.1\\r\\n"
             "Connection: close\\r\\n\\r\\n\" >&3 && cat <&3'",
             origin.port);
    snprintf(udp, sizeof udp, "exec bash -c 'echo x > /dev/udp/127.0.0.1/%u'", origin.port);
    snprintf(direct, sizeof direct, "curl -sS --noproxy '*' -m 5 http://127.0.0.1:%u/curl",
             origin.port);
    struct run_result r;
    /* Without sbx: each reaches the origin. */
    assert_int_equal(sh(NULL, tcp, &r), 0);
    assert_non_null(strstr(r.out, "GET /direct"));
    assert_int_equal(sh(NULL, udp, &r), 0);
    assert_int_equal(sh(NULL, direct, &r), 0);
    /* With sbx, even with the origin's address allowed by literal. */
    unsigned before = *origin.requests;
    const char *const *net = NET("allow=allowed.test", lit);
    if (sh(net, tcp, &r) == 0)
        fail_msg("TCP bypass worked: %s", r.out);
    if (sh(net, udp, &r) == 0)
        fail_msg("UDP bypass worked: %s", r.out);
    if (sh(net, direct, &r) == 0)
        fail_msg("curl --noproxy worked: %s", r.out);
    /* The kernel's own guarantee, whatever Landlock's ABI: the run's
     * network namespace has loopback alone (the host has more). */
    const char *ifaces = "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | tr '\\n' ,";
    assert_int_equal(sh(NULL, ifaces, &r), 0);
    if (strcmp(r.out, "lo,") == 0)
        fail_msg("the host has loopback alone: the namespace check would prove nothing");
    if (sh(net, ifaces, &r) != 0 || strcmp(r.out, "lo,") != 0)
        fail_msg("the run's network namespace has more than loopback: %s", r.out);
    /* Nor a name: nothing resolves inside. */
    if (sh(net, "exec getent hosts allowed.test example.org", &r) == 0)
        fail_msg("a name resolved inside: %s", r.out);
    assert_int_equal(*origin.requests, before);
}

/* The proxy is the caller's own process (never root's, never the sandbox
 * account's), a child of sbx: looked at while the command waits for the
 * test.  The command holds no socket: not the channel the listening
 * socket went out through, nor the listening socket itself. */
static void test_proxy_is_the_callers(void **st)
{
    (void)st;
    char go[400], seen[400], script[2048];
    snprintf(go, sizeof go, "%s/go-%d", ws, (int)getpid());
    snprintf(seen, sizeof seen, "%s/fds-%d", ws, (int)getpid());
    snprintf(script, sizeof script,
             "{ ls -l /proc/self/fd/ /proc/$$/fd/; echo end; } > '%s'; "
             "i=0; while [ ! -e '%s' ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; "
             "[ -e '%s' ]",
             seen, go, go);
    char *argv[] = {(char *)sbx_bin, "run", "--mode", (char *)mode, "--workspace", ws,
                    "--net", "allow=allowed.test", "--", "sh", "-c", script, NULL};
    pid_t sbx = run_background(ws, argv);
    assert_true(sbx > 0);
    /* The proxy: sbx's child of that name, found within 30 s. */
    pid_t proxy = -1;
    for (int tries = 0; proxy < 0 && tries < 300; tries++) {
        DIR *d = opendir("/proc");
        assert_non_null(d);
        struct dirent *e;
        while (proxy < 0 && (e = readdir(d)) != NULL) {
            char path[300], buf[4096];
            snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
            FILE *f = e->d_name[0] >= '0' && e->d_name[0] <= '9' ? fopen(path, "r") : NULL;
            if (!f)
                continue;
            size_t n = fread(buf, 1, sizeof buf - 1, f);
            fclose(f);
            buf[n] = '\0';
            int ppid = 0;
            char *close_paren = strrchr(buf, ')');
            if (strstr(buf, "(sbx-netproxy)") && close_paren &&
                sscanf(close_paren + 1, " %*c %d", &ppid) == 1 && ppid == sbx)
                proxy = atoi(e->d_name);
        }
        closedir(d);
        if (proxy < 0)
            usleep(100 * 1000);
    }
    char status[4096] = "", want[128];
    if (proxy > 0) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/status", (int)proxy);
        FILE *f = fopen(path, "r");
        if (f) {
            size_t n = fread(status, 1, sizeof status - 1, f);
            status[n] = '\0';
            fclose(f);
        }
    }
    /* Let the command end whatever was found, then judge. */
    FILE *g = fopen(go, "w");
    assert_non_null(g);
    fclose(g);
    int wst = 0;
    assert_int_equal(waitpid(sbx, &wst, 0), sbx);
    unlink(go);
    if (proxy < 0)
        fail_msg("no sbx-netproxy child of sbx (pid %d) appeared", (int)sbx);
    unsigned u = (unsigned)getuid();
    snprintf(want, sizeof want, "\nUid:\t%u\t%u\t%u\t%u\n", u, u, u, u);
    if (!strstr(status, want))
        fail_msg("sbx-netproxy (pid %d) is not the caller's (uid %u): %s", (int)proxy, u,
                 status);
    assert_true(WIFEXITED(wst) && WEXITSTATUS(wst) == 0);
    char fds[8192] = "";
    FILE *f = fopen(seen, "r");
    assert_non_null(f);
    size_t n = fread(fds, 1, sizeof fds - 1, f);
    fds[n] = '\0';
    fclose(f);
    unlink(seen);
    assert_non_null(strstr(fds, "end"));
    if (strstr(fds, "socket:"))
        fail_msg("the command holds a socket it did not make: %s", fds);
}

/* The combinations sbx refuses before running anything (exit 125). */
static void test_refused_options(void **st)
{
    (void)st;
    struct run_result r;
    assert_int_equal(sh(NET("on", "allow=a.test"), "true", &r), 125);
    assert_non_null(strstr(r.out, "--net on"));
    assert_int_equal(sh(NET("deny=a.test"), "true", &r), 125);
    assert_int_equal(sh(NET("limited"), "true", &r), 125);
    assert_int_equal(sh(NET("allow=a..test"), "true", &r), 125);
    assert_int_equal(sh(NET("allow=a.test:99999"), "true", &r), 125);
    assert_int_equal(sh(NET("sideways"), "true", &r), 125);
}

/* The machine's own npm registry (its host from `npm config get
 * registry`, never written here) allowlisted: npm view works, curl to any
 * other host is refused.  Needs the machine's outbound network: without
 * it this fails (it does not skip). */
static void test_npm_registry(void **st)
{
    (void)st;
    struct run_result r;
    assert_int_equal(sh(NULL, "npm config get registry", &r), 0);
    char host[256] = "";
    if (sscanf(r.out, "%*[a-z]://%255[^/:\n]", host) != 1 || !host[0])
        fail_msg("no registry host in '%s'", r.out);
    char allow[300];
    snprintf(allow, sizeof allow, "allow=%s", host);
    int status = sh(NET(allow), "npm view left-pad version --prefer-online", &r);
    if (status != 0 || !strstr(r.out, "1."))
        fail_msg("npm view through the proxy to %s: status %d: %s", host, status, r.out);
    status = sh(NET(allow), "curl -sS -m 20 -o /dev/null -w '%{http_code}' https://example.org/",
                &r);
    assert_true(status != 0);
    assert_non_null(strstr(r.out, "sbx: network: denied example.org:443 (not in allowlist)"));
    /* And straight past the proxy: no name, no route. */
    snprintf(allow, sizeof allow, "curl -sS -m 20 --noproxy '*' https://%s/", host);
    assert_true(sh(NET("allow=example.invalid"), allow, &r) != 0);
}

static bool registry_only;

static int suite(const char *name)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_through_the_proxy),
        cmocka_unit_test(test_bypass_fails),
        cmocka_unit_test(test_proxy_is_the_callers),
        cmocka_unit_test(test_refused_options),
    };
    const struct CMUnitTest registry[] = {
        cmocka_unit_test(test_npm_registry),
    };
    if (registry_only)
        return _cmocka_run_group_tests(name, registry, 1, NULL, NULL);
    return _cmocka_run_group_tests(name, tests, sizeof tests / sizeof tests[0], NULL, NULL);
}

static bool make_dirs(uid_t owner)
{
    run_mkdtemp("net-ws", ws, sizeof ws);
    run_mkdtemp("net-state", state, sizeof state);
    return chown(ws, owner, owner) == 0 && chown(state, owner, owner) == 0;
}

/* --elevated, as root: the elevated mode set up for a throwaway member
 * (names unique to this process, under base), who runs the suite in a
 * child; then root's cleanup, which must leave nothing. */
static int elevated(const char *name_of_suite)
{
    char base[128], user_base[160], home[200], bin[160], proxy[PATH_MAX], member[32];
    snprintf(base, sizeof base, "/tmp/sbxt-netel-%d", (int)getpid());
    snprintf(user_base, sizeof user_base, "%s/user", base);
    snprintf(home, sizeof home, "%s/home", user_base);
    snprintf(bin, sizeof bin, "%s/bin", base);
    snprintf(member, sizeof member, "sbxt-%d", (int)getpid());
    if (mkdir(base, 0755) != 0 || chmod(base, 0755) != 0) {
        perror(base);
        return 1;
    }
    struct suite_elev el;
    static char bin_sbx[600];
    char bin_proxy[600];
    /* sbx and sbx-netproxy where the member can run them (sbx looks for
     * the proxy beside itself). */
    const char *slash = strrchr(sbx_bin, '/');
    snprintf(proxy, sizeof proxy, "%.*s/sbx-netproxy", slash ? (int)(slash - sbx_bin) : 1,
             slash ? sbx_bin : ".");
    uid_t uid = 0;
    gid_t gid = 0;
    int failures = 1;
    if (suite_elev_init(&el, base, member) == 0 &&
        suite_copy_exec(sbx_bin, bin, bin_sbx, sizeof bin_sbx) == 0 &&
        suite_copy_exec(proxy, bin, bin_proxy, sizeof bin_proxy) == 0 &&
        suite_user_add(member, user_base, home, &uid, &gid) == 0) {
        snprintf(ws, sizeof ws, "%s/ws", user_base);
        if (mkdir(ws, 0755) == 0 && chown(ws, uid, gid) == 0 &&
            suite_elev_setup(bin_sbx, base, member) == 0) {
            sbx_bin = bin_sbx;
            snprintf(offline, sizeof offline, "%s", el.offline);
            fflush(NULL);
            pid_t pid = fork();
            if (pid == 0) {
                if (suite_become(member, uid, gid, home, true) != 0)
                    _exit(1);
                _exit(suite(name_of_suite) ? 1 : 0);
            }
            int wst = 0;
            failures = pid > 0 && waitpid(pid, &wst, 0) == pid && WIFEXITED(wst) &&
                               WEXITSTATUS(wst) == 0
                           ? 0
                           : 1;
        }
    }
    /* Whatever happened: root's cleanup, and nothing may be left. */
    if (bin_sbx[0])
        failures += suite_elev_cleanup(bin_sbx, base, &el);
    /* (also one suite_user_add made but could not finish preparing) */
    if (getpwnam(member) && suite_user_del(member) != 0)
        failures++;
    run_rmrf(base);
    return failures;
}

int main(int argc, char **argv)
{
    bool elevated_mode = false;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--registry") == 0 && !registry_only)
            registry_only = true;
        else if (strcmp(argv[i], "--elevated") == 0 && !elevated_mode)
            elevated_mode = true;
        else
            argc = 0;
    }
    if (argc < 2) {
        fprintf(stderr, "usage: run_net SBX [--elevated] [--registry]\n");
        return 2;
    }
    const char *why = run_missing_feature();
    if (!why && elevated_mode && geteuid() != 0)
        why = "the elevated half needs root (it creates accounts, a group and an nft table)";
    if (!why && elevated_mode && !getenv("SBX_LAUNCHER_SOURCE"))
        why = "SBX_LAUNCHER_SOURCE must name the built sbx-launch";
    if (why) {
        printf("SKIP: %s\n", why);
        return 77;
    }
    sbx_bin = argv[1];
    origin_start(&origin);
    snprintf(hosts, sizeof hosts, "/tmp/sbxt-net-hosts-%d", (int)getpid());
    FILE *f = fopen(hosts, "w");
    if (!f)
        return 1;
    fprintf(f, "127.0.0.1 allowed.test other.test\n");
    fclose(f);
    chmod(hosts, 0644);
    /* The test names; the registry's name is the machine resolver's. */
    if (!registry_only)
        setenv("SBX_NET_HOSTS", hosts, 1);
    else
        unsetenv("SBX_NET_HOSTS");
    unsetenv("SBX_STATE");
    int failures = 0;
    if (elevated_mode) {
        mode = "elevated";
        failures = elevated("run_net in the elevated mode, as a throwaway member");
        origin_stop(&origin);
        unlink(hosts);
        return failures ? 1 : 0;
    }
    if (!make_dirs(geteuid()))
        return 1;
    setenv("XDG_STATE_HOME", state, 1);
    failures += suite(geteuid() == 0 ? "run_net as root" : "run_net");
    run_rmrf(ws);
    run_rmrf(state);
    if (geteuid() == 0) {
        if (!make_dirs(NOBODY))
            return 1;
        pid_t pid = fork();
        if (pid == 0) {
            if (!run_become(NOBODY))
                _exit(1);
            setenv("XDG_STATE_HOME", state, 1);
            setenv("HOME", state, 1);
            _exit(suite("run_net as nobody") ? 1 : 0);
        }
        int wst = 0;
        if (pid < 0 || waitpid(pid, &wst, 0) != pid || !WIFEXITED(wst) ||
            WEXITSTATUS(wst) != 0)
            failures++;
        run_rmrf(ws);
        run_rmrf(state);
    } else {
        printf("SKIP: the unprivileged half runs as root only (it becomes uid %d)\n", NOBODY);
        failures = failures ? failures : 77;
    }
    origin_stop(&origin);
    unlink(hosts);
    return failures == 77 ? 77 : failures ? 1 : 0;
}
