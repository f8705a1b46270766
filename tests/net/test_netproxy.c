/* SPDX-License-Identifier: MIT */
/* sbx-netproxy against an origin server on loopback: the policy applied to
 * plain HTTP and CONNECT, denial lines and the summary, strict parsing and
 * request smuggling, and the bounds (slow clients, 500 parallel
 * connections, a download nobody reads: memory measured).  Test names
 * resolve from a hosts file (SBX_NET_HOSTS, honoured by test builds of the
 * proxy only), all to 127.0.0.1. */
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "net_origin.h"

static struct origin origin;
static char hosts[128];
static char lit[64]; /* "allow=127.0.0.1:<origin port>" */

static int setup(void **state)
{
    (void)state;
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < 4096 && rl.rlim_max >= 4096) {
        rl.rlim_cur = 4096;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    signal(SIGPIPE, SIG_IGN);
    origin_start(&origin);
    snprintf(hosts, sizeof(hosts), "/tmp/sbx-nettest-hosts-%d", (int)getpid());
    FILE *f = fopen(hosts, "w");
    assert_non_null(f);
    fprintf(f, "127.0.0.1 allowed.test other.test rebind.test denied.allowed.test "
               "a.allowed.test b.a.allowed.test notallowed.test\n");
    fclose(f);
    snprintf(lit, sizeof(lit), "allow=127.0.0.1:%u", origin.port);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    origin_stop(&origin);
    unlink(hosts);
    return 0;
}

static const char *get(struct proxy *p, const char *method, const char *host, unsigned port,
                       const char *path)
{
    char req[512];
    snprintf(req, sizeof(req), "%s http://%s:%u%s HTTP/1.1\r\nHost: ignored\r\n\r\n", method,
             host, port, path);
    return request(p->port, req);
}

static void assert_status(const char *resp, const char *status)
{
    if (strncmp(resp, status, strlen(status)) != 0)
        fail_msg("response '%.200s', want '%s'", resp, status);
}

static void stop(struct proxy *p)
{
    assert_int_equal(proxy_stop(p), 0);
}

static void test_http_and_connect(void **state)
{
    (void)state;
    struct proxy p;
    proxy_start(&p, hosts, (const char *const[]){"allow=allowed.test", lit, NULL}, NULL);
    /* It confined itself (Landlock needs no_new_privs first). */
    char status_path[64], line[128];
    bool nnp = false;
    snprintf(status_path, sizeof status_path, "/proc/%d/status", (int)p.pid);
    FILE *st = fopen(status_path, "r");
    assert_non_null(st);
    while (fgets(line, sizeof line, st))
        nnp |= strcmp(line, "NoNewPrivs:\t1\n") == 0;
    fclose(st);
    assert_true(nnp);
    unsigned before = *origin.requests;
    const char *r = get(&p, "GET", "allowed.test", origin.port, "/x?y=1");
    assert_status(r, "HTTP/1.1 200");
    char want[128];
    snprintf(want, sizeof(want), "GET /x?y=1 host=allowed.test:%u body=", origin.port);
    assert_non_null(strstr(r, want));
    /* CONNECT, then a request of the client's own through the tunnel. */
    int fd = connect_lo(p.port);
    char buf[4096], req[256];
    snprintf(req, sizeof(req), "CONNECT allowed.test:%u HTTP/1.1\r\nHost: x\r\n\r\n",
             origin.port);
    assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    assert_true(n > 0);
    buf[n] = '\0';
    assert_status(buf, "HTTP/1.1 200 Connection established\r\n\r\n");
    exchange(fd, "PUT /in-tunnel HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n"
                 "Connection: close\r\n\r\nhi", buf, sizeof(buf));
    close(fd);
    assert_non_null(strstr(buf, "PUT /in-tunnel host=t body=hi"));
    assert_int_equal(*origin.requests, before + 2);
    stop(&p);
    snprintf(want, sizeof(want), "allowed allowed.test:%u 2 ", origin.port);
    assert_non_null(strstr(proxy_file(&p, "summary"), want));
    assert_string_equal(proxy_file(&p, "stderr"), "");
}

static void test_not_in_allowlist(void **state)
{
    (void)state;
    struct proxy p;
    proxy_start(&p, hosts, (const char *const[]){"allow=allowed.test", lit, NULL}, NULL);
    unsigned before = *origin.requests;
    for (int i = 0; i < 3; i++)
        assert_status(get(&p, "GET", "other.test", origin.port, "/"), "HTTP/1.1 403");
    char req[128];
    snprintf(req, sizeof(req), "CONNECT other.test:%u HTTP/1.1\r\n\r\n", origin.port);
    assert_status(request(p.port, req), "HTTP/1.1 403");
    /* A name nobody resolves is refused before resolution, like any other. */
    assert_status(get(&p, "GET", "nowhere.invalid", 80, "/"), "HTTP/1.1 403");
    assert_int_equal(*origin.requests, before);
    stop(&p);
    char want[512];
    snprintf(want, sizeof(want),
             "sbx: network: denied other.test:%u (not in allowlist)\n"
             "sbx: network: denied nowhere.invalid:80 (not in allowlist)\n",
             origin.port);
    assert_string_equal(proxy_file(&p, "stderr"), want);
    snprintf(want, sizeof(want), "denied other.test:%u 4 not in allowlist\n", origin.port);
    assert_non_null(strstr(proxy_file(&p, "summary"), want));
}

static void test_deny_wildcard_apex(void **state)
{
    (void)state;
    struct proxy p;
    proxy_start(&p, hosts,
                (const char *const[]){"allow=*.allowed.test", "deny=denied.allowed.test", lit,
                                      NULL},
                NULL);
    assert_status(get(&p, "GET", "allowed.test", origin.port, "/"), "HTTP/1.1 200");
    assert_status(get(&p, "GET", "a.allowed.test", origin.port, "/"), "HTTP/1.1 200");
    assert_status(get(&p, "GET", "b.a.allowed.test", origin.port, "/"), "HTTP/1.1 200");
    assert_status(get(&p, "GET", "denied.allowed.test", origin.port, "/"), "HTTP/1.1 403");
    assert_status(get(&p, "GET", "notallowed.test", origin.port, "/"), "HTTP/1.1 403");
    stop(&p);
    assert_non_null(strstr(proxy_file(&p, "stderr"), "denied.allowed.test"));
    assert_non_null(strstr(proxy_file(&p, "stderr"), "(in denylist)"));
}

static void test_port_restriction(void **state)
{
    (void)state;
    struct proxy p;
    char allow[64];
    snprintf(allow, sizeof(allow), "allow=allowed.test:%u", origin.port);
    proxy_start(&p, hosts, (const char *const[]){allow, "allow=127.0.0.1", NULL}, NULL);
    assert_status(get(&p, "GET", "allowed.test", origin.port, "/"), "HTTP/1.1 200");
    assert_status(get(&p, "GET", "allowed.test", origin.port + 1, "/"), "HTTP/1.1 403");
    assert_status(get(&p, "GET", "allowed.test", 80, "/"), "HTTP/1.1 403");
    stop(&p);
}

static void test_limited(void **state)
{
    (void)state;
    struct proxy p;
    proxy_start(&p, hosts, (const char *const[]){"allow=allowed.test", lit, "limited", NULL},
                NULL);
    unsigned before = *origin.requests;
    assert_status(get(&p, "GET", "allowed.test", origin.port, "/"), "HTTP/1.1 200");
    assert_status(get(&p, "HEAD", "allowed.test", origin.port, "/"), "HTTP/1.1 200");
    assert_status(get(&p, "OPTIONS", "allowed.test", origin.port, "/"), "HTTP/1.1 200");
    static const char *const refused[] = {"POST", "PUT", "DELETE", "PATCH"};
    for (size_t i = 0; i < 4; i++)
        assert_status(get(&p, refused[i], "allowed.test", origin.port, "/"), "HTTP/1.1 403");
    char req[128];
    snprintf(req, sizeof(req), "CONNECT allowed.test:%u HTTP/1.1\r\n\r\n", origin.port);
    assert_status(request(p.port, req), "HTTP/1.1 403");
    assert_int_equal(*origin.requests, before + 3);
    stop(&p);
    assert_non_null(strstr(proxy_file(&p, "stderr"), "(method not allowed in limited mode)"));
}

/* A name that resolves to 127.0.0.1 is refused unless 127.0.0.1 (with the
 * port) is allowed by literal; the literal alone reaches only itself. */
static void test_rebinding(void **state)
{
    (void)state;
    struct proxy p;
    proxy_start(&p, hosts, (const char *const[]){"allow=rebind.test", NULL}, NULL);
    unsigned before = *origin.requests;
    assert_status(get(&p, "GET", "rebind.test", origin.port, "/"), "HTTP/1.1 403");
    assert_status(get(&p, "GET", "127.0.0.1", origin.port, "/"), "HTTP/1.1 403");
    assert_status(get(&p, "GET", "[::ffff:127.0.0.1]", origin.port, "/"), "HTTP/1.1 403");
    assert_status(get(&p, "GET", "169.254.169.254", 80, "/"), "HTTP/1.1 403");
    assert_int_equal(*origin.requests, before);
    stop(&p);
    char want[160];
    snprintf(want, sizeof(want),
             "sbx: network: denied rebind.test:%u (local address not allowed by literal)\n",
             origin.port);
    assert_non_null(strstr(proxy_file(&p, "stderr"), want));

    proxy_start(&p, hosts, (const char *const[]){"allow=rebind.test", lit, NULL}, NULL);
    assert_status(get(&p, "GET", "rebind.test", origin.port, "/"), "HTTP/1.1 200");
    assert_status(get(&p, "GET", "127.0.0.1", origin.port, "/"), "HTTP/1.1 200");
    assert_status(get(&p, "GET", "other.test", origin.port, "/"), "HTTP/1.1 403");
    stop(&p);
}

/* Malformed requests get 400 (or 411/431) and the proxy keeps serving;
 * what follows a request's body is never passed on. */
static void test_malformed_and_smuggling(void **state)
{
    (void)state;
    struct proxy p;
    proxy_start(&p, hosts, (const char *const[]){"allow=allowed.test", lit, NULL}, NULL);
    char req[1024];
    static const char *const bad[] = {
        "GET / HTTP/1.1\r\nHost: allowed.test\r\n\r\n",
        "GET http://allowed.test:%u/ HTTP/1.1\nHost: a\n\n",
        ("POST http://allowed.test:%u/ HTTP/1.1\r\nContent-Length: 3\r\n"
         "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
        "POST http://allowed.test:%u/ HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
        "GET http://allowed.test:%u/ HTTP/1.1\r\nX: a\r\n folded\r\n\r\n",
        "\x16\x03\x01\x02\x01\x01\xfc\x03\x03 x HTTP/1.1\r\n\r\n",
    };
    unsigned before = *origin.requests;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(req, sizeof(req), bad[i], origin.port);
        assert_status(request(p.port, req), "HTTP/1.1 400");
    }
    snprintf(req, sizeof(req),
             "POST http://allowed.test:%u/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
             "3\r\nabc\r\n0\r\n\r\n", origin.port);
    assert_status(request(p.port, req), "HTTP/1.1 411");
    assert_int_equal(*origin.requests, before);
    /* A request with a body, then a second request on the same connection:
     * only the first reaches the origin, with exactly its body. */
    snprintf(req, sizeof(req),
             "POST http://allowed.test:%u/one HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
             "GET http://other.test:%u/smuggled HTTP/1.1\r\n\r\n",
             origin.port, origin.port);
    const char *r = request(p.port, req);
    assert_status(r, "HTTP/1.1 200");
    assert_non_null(strstr(r, "POST /one host=allowed.test"));
    assert_non_null(strstr(r, "body=abc"));
    assert_null(strstr(r, "smuggled"));
    usleep(200000);
    assert_int_equal(*origin.requests, before + 1);
    /* Still serving. */
    assert_status(get(&p, "GET", "allowed.test", origin.port, "/after"), "HTTP/1.1 200");
    stop(&p);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Slow-loris clients time out on the head's deadline; 500 clients at once
 * are all served; the proxy's memory stays bounded throughout. */
static void test_slow_and_parallel(void **state)
{
    (void)state;
    struct proxy p;
    proxy_start(&p, hosts, (const char *const[]){"allow=allowed.test", lit, NULL},
                (const char *const[]){"--head-timeout", "2", NULL});
    enum { SLOW = 100, PAR = 500 };
    long rss0 = rss_kib(p.pid);
    static int slow[SLOW];
    for (int i = 0; i < SLOW; i++) {
        slow[i] = connect_lo(p.port);
        assert_true(slow[i] >= 0);
    }
    const char *drip = "GET http://allowed.test/ HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaa";
    double t0 = now();
    size_t k = 0;
    while (now() - t0 < 3.0 && drip[k]) {
        for (int i = 0; i < SLOW; i++)
            if (write(slow[i], drip + k, 1) != 1)
                break;
        k++;
        /* Meanwhile an ordinary request is served. */
        if (k % 5 == 0)
            assert_status(get(&p, "GET", "allowed.test", origin.port, "/meanwhile"),
                          "HTTP/1.1 200");
        usleep(200000);
    }
    /* Past the deadline: each slow client got 408 and was closed. */
    char buf[512];
    for (int i = 0; i < SLOW; i++) {
        struct pollfd pfd = {.fd = slow[i], .events = POLLIN};
        assert_int_equal(poll(&pfd, 1, 3000), 1);
        ssize_t n = read(slow[i], buf, sizeof(buf) - 1);
        assert_true(n > 0);
        buf[n] = '\0';
        assert_status(buf, "HTTP/1.1 408");
        close(slow[i]);
    }
    /* 500 requests sent at once, then every response read. */
    static int par[PAR];
    char req[256];
    snprintf(req, sizeof(req), "GET http://allowed.test:%u/par HTTP/1.1\r\n\r\n", origin.port);
    for (int i = 0; i < PAR; i++) {
        par[i] = connect_lo(p.port);
        assert_true(par[i] >= 0);
        assert_int_equal(write(par[i], req, strlen(req)), (ssize_t)strlen(req));
    }
    long rss_busy = rss_kib(p.pid);
    for (int i = 0; i < PAR; i++) {
        char resp[1024];
        size_t got = 0;
        for (;;) {
            struct pollfd pfd = {.fd = par[i], .events = POLLIN};
            if (poll(&pfd, 1, 10000) != 1)
                break;
            ssize_t n = read(par[i], resp + got, sizeof(resp) - 1 - got);
            if (n <= 0)
                break;
            got += (size_t)n;
        }
        resp[got] = '\0';
        if (strncmp(resp, "HTTP/1.1 200", 12) != 0)
            fail_msg("parallel client %d: '%.100s'", i, resp);
        close(par[i]);
    }
    long rss1 = rss_kib(p.pid);
    print_message("proxy RSS: %ld KiB at start, %ld with %d clients, %ld after\n", rss0,
                  rss_busy, PAR, rss1);
    /* 500 connections in flight cost less than 16 MiB (about 7 measured,
     * in a sanitizer build). */
    assert_true(rss1 - rss0 < 16 * 1024);
    assert_true(rss_busy - rss0 < 16 * 1024);
    assert_status(get(&p, "GET", "allowed.test", origin.port, "/after"), "HTTP/1.1 200");
    stop(&p);
}

/* A download the client does not read: the proxy buffers a bounded amount
 * and stops reading from the origin. */
static void test_backpressure(void **state)
{
    (void)state;
    struct proxy p;
    proxy_start(&p, hosts, (const char *const[]){"allow=allowed.test", lit, NULL}, NULL);
    long rss0 = rss_kib(p.pid);
    int fd = connect_lo(p.port);
    char req[256];
    snprintf(req, sizeof(req), "GET http://allowed.test:%u/big?268435456 HTTP/1.1\r\n\r\n",
             origin.port);
    assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
    sleep(2);
    long rss1 = rss_kib(p.pid);
    print_message("proxy RSS: %ld KiB before, %ld with 256 MiB unread\n", rss0, rss1);
    assert_true(rss1 - rss0 < 4 * 1024); /* about 1.6 MiB measured */
    /* Reading it all works: 256 MiB arrives whole. */
    static char chunk[1 << 16];
    unsigned long long total = 0;
    ssize_t n;
    while ((n = read(fd, chunk, sizeof(chunk))) > 0)
        total += (unsigned long long)n;
    close(fd);
    assert_true(total > (256ull << 20));
    long rss2 = rss_kib(p.pid);
    assert_true(rss2 - rss0 < 4 * 1024);
    stop(&p);
    assert_non_null(strstr(proxy_file(&p, "summary"), " 268435"));
}

/* More clients than --max-clients: the extra ones are closed at once, and
 * the proxy serves again when they are gone. */
static void test_max_clients(void **state)
{
    (void)state;
    struct proxy p;
    proxy_start(&p, hosts, (const char *const[]){"allow=allowed.test", lit, NULL},
                (const char *const[]){"--max-clients", "10", NULL});
    int fds[10];
    for (int i = 0; i < 10; i++)
        fds[i] = connect_lo(p.port);
    usleep(200000);
    char buf[64];
    int extra = connect_lo(p.port);
    struct pollfd pfd = {.fd = extra, .events = POLLIN};
    assert_int_equal(poll(&pfd, 1, 3000), 1);
    assert_true(read(extra, buf, sizeof(buf)) <= 0);
    close(extra);
    for (int i = 0; i < 10; i++)
        close(fds[i]);
    usleep(200000);
    assert_status(get(&p, "GET", "allowed.test", origin.port, "/"), "HTTP/1.1 200");
    stop(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_and_connect),
        cmocka_unit_test(test_not_in_allowlist),
        cmocka_unit_test(test_deny_wildcard_apex),
        cmocka_unit_test(test_port_restriction),
        cmocka_unit_test(test_limited),
        cmocka_unit_test(test_rebinding),
        cmocka_unit_test(test_malformed_and_smuggling),
        cmocka_unit_test(test_slow_and_parallel),
        cmocka_unit_test(test_backpressure),
        cmocka_unit_test(test_max_clients),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
