/* SPDX-License-Identifier: MIT */
/* `sbx run --net allow=...` end to end in the unelevated mode, with the sbx
 * binary and an origin server on the host's loopback: the command reaches
 * an allowed host through the proxy and nothing else, and a command that
 * ignores the proxy variables gets nowhere (TCP and UDP straight to the
 * origin: each attempt first shown to work without sbx).  Run as root and
 * again as nobody.  Test names resolve from a hosts file (SBX_NET_HOSTS,
 * which the sbx-netproxy of a test build honours).  With --registry, only
 * the machine's own npm registry through the proxy (outbound network).
 * Usage: run_net SBX [--registry]. */
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

#include "tests/integration/run_common.h"
#include "tests/net/net_origin.h"

#define NOBODY 65534

static const char *sbx_bin;
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
        argv[n++] = "unelevated";
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
             "echo \"$HTTPS_PROXY|$no_proxy|\"",
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
    /* Nor a name: nothing resolves inside. */
    if (sh(net, "exec getent hosts allowed.test example.org", &r) == 0)
        fail_msg("a name resolved inside: %s", r.out);
    assert_int_equal(*origin.requests, before);
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

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "--registry") != 0)) {
        fprintf(stderr, "usage: run_net SBX [--registry]\n");
        return 2;
    }
    registry_only = argc == 3;
    const char *why = run_missing_feature();
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
