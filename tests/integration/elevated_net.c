/* SPDX-License-Identifier: MIT */
/* Elevated mode, network: the nft table of sbx rejects every packet the
 * offline account sends (TCP, UDP, ICMP; loopback, a local non-loopback
 * address, an external one) and leaves the online account alone; a
 * loopback port opened with the setup's loopback ports is reachable.
 * These run as the accounts' uids directly, without the launcher's
 * seccomp filter (which refuses sockets with the network off anyway), so
 * what is shown is the firewall itself; one case goes through the
 * launcher too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>

#include "modes/confine/linux/landlock.h"
#include "tests/integration/elevated_env.h"

static struct elev_env env;

static int group_setup(void **state)
{
    (void)state;
    if (elev_env_setup(&env) != 0) {
        elev_env_teardown(&env);
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    return elev_env_teardown(&env) == 0 ? 0 : -1;
}

/* A listening socket of root's on addr (family af), port chosen by the
 * kernel. */
static int listener(int af, int type, const char *addr, unsigned *port)
{
    int s = socket(af, type | SOCK_CLOEXEC, 0);
    assert_true(s >= 0);
    struct sockaddr_storage ss = {0};
    socklen_t len;
    if (af == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)&ss;
        in->sin_family = AF_INET;
        inet_pton(AF_INET, addr, &in->sin_addr);
        len = sizeof *in;
    } else {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
        in6->sin6_family = AF_INET6;
        inet_pton(AF_INET6, addr, &in6->sin6_addr);
        len = sizeof *in6;
    }
    assert_int_equal(bind(s, (struct sockaddr *)&ss, len), 0);
    if (type == SOCK_STREAM)
        assert_int_equal(listen(s, 8), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&ss, &len), 0);
    *port = ntohs(af == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                : ((struct sockaddr_in6 *)&ss)->sin6_port);
    return s;
}

struct probe {
    int af, type;
    const char *addr;
    unsigned port;
};

static int sockaddr_of(const struct probe *p, struct sockaddr_storage *ss, socklen_t *len)
{
    memset(ss, 0, sizeof *ss);
    if (p->af == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)ss;
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)p->port);
        *len = sizeof *in;
        return inet_pton(AF_INET, p->addr, &in->sin_addr) == 1 ? 0 : -1;
    }
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons((uint16_t)p->port);
    *len = sizeof *in6;
    return inet_pton(AF_INET6, p->addr, &in6->sin6_addr) == 1 ? 0 : -1;
}

/* As the account: 0 when the TCP connection / UDP datagram went out. */
static int send_one(void *arg)
{
    const struct probe *p = arg;
    struct sockaddr_storage ss;
    socklen_t len;
    if (sockaddr_of(p, &ss, &len) != 0)
        return 3;
    int s = socket(p->af, p->type | SOCK_NONBLOCK, 0);
    if (s < 0)
        return 4;
    if (p->type == SOCK_DGRAM)
        return sendto(s, "ping", 4, 0, (struct sockaddr *)&ss, len) == 4 ? 0 : 1;
    if (connect(s, (struct sockaddr *)&ss, len) == 0)
        return 0;
    if (errno != EINPROGRESS)
        return 1;
    struct pollfd pf = {.fd = s, .events = POLLOUT};
    if (poll(&pf, 1, 2000) != 1)
        return 2; /* no answer at all */
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    getsockopt(s, SOL_SOCKET, SO_ERROR, &soerr, &sl);
    return soerr == 0 ? 0 : 1;
}

/* Did the datagram arrive at root's UDP socket? */
static bool udp_arrived(int s)
{
    struct pollfd pf = {.fd = s, .events = POLLIN};
    if (poll(&pf, 1, 500) != 1)
        return false;
    char buf[16];
    return recv(s, buf, sizeof buf, 0) == 4;
}

static const char *local_address(void)
{
    static char addr[INET_ADDRSTRLEN];
    struct ifaddrs *ifa = NULL;
    addr[0] = '\0';
    if (getifaddrs(&ifa) != 0)
        return NULL;
    for (struct ifaddrs *i = ifa; i && !addr[0]; i = i->ifa_next)
        if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET &&
            strncmp(i->ifa_name, "lo", 2) != 0)
            inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, addr, sizeof addr);
    freeifaddrs(ifa);
    return addr[0] ? addr : NULL;
}

static void check_tcp(int af, const char *addr)
{
    unsigned port;
    int l = listener(af, SOCK_STREAM, addr, &port);
    struct probe p = {af, SOCK_STREAM, addr, port};
    int off = elev_as(env.offline_uid, env.offline_uid, false, send_one, &p);
    int on = elev_as(env.online_uid, env.online_uid, false, send_one, &p);
    if (off == 0 || on != 0)
        fail_msg("TCP to %s: offline %d (want refused), online %d (want 0)", addr, off, on);
    close(l);
}

static void test_tcp_loopback_and_local(void **state)
{
    (void)state;
    check_tcp(AF_INET, "127.0.0.1");
    check_tcp(AF_INET6, "::1");
    const char *local = local_address();
    if (local)
        check_tcp(AF_INET, local);
}

static void test_udp(void **state)
{
    (void)state;
    const char *addrs[] = {"127.0.0.1", local_address()};
    for (size_t i = 0; i < 2 && addrs[i]; i++) {
        unsigned port;
        int l = listener(AF_INET, SOCK_DGRAM, addrs[i], &port);
        struct probe p = {AF_INET, SOCK_DGRAM, addrs[i], port};
        elev_as(env.offline_uid, env.offline_uid, false, send_one, &p);
        assert_false(udp_arrived(l));
        assert_int_equal(elev_as(env.online_uid, env.online_uid, false, send_one, &p), 0);
        assert_true(udp_arrived(l));
        close(l);
    }
}

/* External address: the rule answers at once (reset / EPERM), where an
 * unfiltered connection would wait for the network. */
static void test_external_rejected_at_once(void **state)
{
    (void)state;
    struct probe p = {AF_INET, SOCK_STREAM, "192.0.2.1", 9};
    struct probe q = {AF_INET, SOCK_STREAM, "8.8.8.8", 53};
    assert_int_equal(elev_as(env.offline_uid, env.offline_uid, false, send_one, &p), 1);
    assert_int_equal(elev_as(env.offline_uid, env.offline_uid, false, send_one, &q), 1);
}

/* ICMP echo over a raw socket made by the account (CAP_NET_RAW kept
 * across the uid switch: the socket's owner is still the account). */
static int ping_as(void *arg)
{
    (void)arg;
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2] = {{0}};
    d[0].effective = d[0].permitted = 1u << CAP_NET_RAW;
    if (syscall(SYS_capset, &h, d) != 0)
        return 5;
    int s = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK, IPPROTO_ICMP);
    if (s < 0)
        return 4;
    struct icmphdr req = {.type = ICMP_ECHO};
    req.un.echo.id = htons(0x5b5b);
    req.un.echo.sequence = htons(1);
    uint32_t sum = 0;
    const uint16_t *w = (const uint16_t *)&req;
    for (size_t i = 0; i < sizeof req / 2; i++)
        sum += w[i];
    sum = (sum >> 16) + (sum & 0xffff);
    req.checksum = (uint16_t)~(sum + (sum >> 16));
    struct sockaddr_in to = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    if (sendto(s, &req, sizeof req, 0, (struct sockaddr *)&to, sizeof to) != sizeof req)
        return 1;
    for (int tries = 0; tries < 10; tries++) {
        struct pollfd pf = {.fd = s, .events = POLLIN};
        if (poll(&pf, 1, 200) != 1)
            continue;
        char buf[256];
        ssize_t n = recv(s, buf, sizeof buf, 0);
        struct iphdr *ip = (struct iphdr *)buf;
        if (n < (ssize_t)(sizeof *ip + sizeof req))
            continue;
        struct icmphdr *rep = (struct icmphdr *)(buf + ip->ihl * 4);
        if (rep->type == ICMP_ECHOREPLY && rep->un.echo.id == htons(0x5b5b))
            return 0;
    }
    return 2;
}

static int keepcaps_then(void *arg)
{
    return ping_as(arg);
}

static int ping_uid(uid_t uid)
{
    /* elev_as drops every capability with the uid; keep NET_RAW here. */
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        if (prctl(PR_SET_KEEPCAPS, 1) != 0 || setgroups(0, NULL) != 0 ||
            setresgid(uid, uid, uid) != 0 || setresuid(uid, uid, uid) != 0)
            _exit(99);
        _exit(keepcaps_then(NULL));
    }
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_icmp(void **state)
{
    (void)state;
    assert_int_equal(ping_uid(env.online_uid), 0);
    assert_int_not_equal(ping_uid(env.offline_uid), 0);
}

/* --allow-loopback-port: setup again with a port; only that one opens. */
static void test_loopback_port(void **state)
{
    (void)state;
    unsigned open_port, closed_port;
    int l1 = listener(AF_INET, SOCK_STREAM, "127.0.0.1", &open_port);
    int l2 = listener(AF_INET, SOCK_STREAM, "127.0.0.1", &closed_port);
    env.ports[0] = open_port;
    env.n_ports = 1;
    assert_int_equal(elev_converge(&env, true, false, true), 0);
    struct probe p = {AF_INET, SOCK_STREAM, "127.0.0.1", open_port};
    struct probe q = {AF_INET, SOCK_STREAM, "127.0.0.1", closed_port};
    assert_int_equal(elev_as(env.offline_uid, env.offline_uid, false, send_one, &p), 0);
    assert_int_equal(elev_as(env.offline_uid, env.offline_uid, false, send_one, &q), 1);
    /* Setup again without naming ports keeps them (cfg->current); the
     * plan replaced the table of the portless key by the new one. */
    char out[4096];
    assert_int_equal(elev_sh(out, sizeof out, "nft -n list table inet %s", env.names.table), 0);
    char want[64];
    snprintf(want, sizeof want, "dport %u accept", open_port);
    assert_non_null(strstr(out, want));
    env.n_ports = 0;
    close(l1);
    close(l2);
}

/* Through the launcher, the offline account with a loopback port: TCP
 * connect() to that port and nothing else of the network (no other port,
 * no UDP, no unix or netlink socket, no bind), where the launcher used to
 * drop the socket filter and Landlock's TCP rules altogether.  Online: IP,
 * but no unix or netlink socket either. */
static void test_port_through_launcher(void **state)
{
    (void)state;
    if (access("/usr/bin/python3", X_OK) != 0)
        fail_msg("needs /usr/bin/python3 (scripts/deps.sh installs it)");
    unsigned open_port, closed_port;
    int l1 = listener(AF_INET, SOCK_STREAM, "127.0.0.1", &open_port);
    int l2 = listener(AF_INET, SOCK_STREAM, "127.0.0.1", &closed_port);
    env.ports[0] = open_port;
    env.n_ports = 1;
    assert_int_equal(elev_converge(&env, true, false, true), 0);
    bool landlock_tcp = sbx_landlock_abi() >= 4;
    char script[2048];
    snprintf(script, sizeof script,
             "import errno, socket, sys\n"
             "def tcp(p):\n"
             "    s = socket.socket(); s.settimeout(2)\n"
             "    try: s.connect(('127.0.0.1', p)); return 'ok'\n"
             "    except OSError as e: return errno.errorcode.get(e.errno or 0, 'timeout')\n"
             "def make(f, t):\n"
             "    try: socket.socket(f, t); return 'made'\n"
             "    except OSError as e: return errno.errorcode.get(e.errno, '?')\n"
             "def bind():\n"
             "    try: socket.socket().bind(('127.0.0.1', 0)); return 'bound'\n"
             "    except OSError as e: return errno.errorcode.get(e.errno, '?')\n"
             "online = sys.argv[1] == 'on'\n"
             "got = [tcp(%u), make(socket.AF_UNIX, socket.SOCK_STREAM),\n"
             "       make(socket.AF_NETLINK, socket.SOCK_RAW)]\n"
             "want = ['ok', 'EACCES', 'EACCES']\n"
             "if not online:\n"
             "    got += [tcp(%u) != 'ok', make(socket.AF_INET, socket.SOCK_DGRAM)]\n"
             "    want += [True, 'EACCES']\n"
             "    if %d: got.append(bind()); want.append('EACCES')\n"
             "print(got, file=sys.stderr)\n"
             "sys.exit(0 if got == want else 1)\n",
             open_port, closed_port, landlock_tcp ? 1 : 0);
    const char *off_argv[] = {"/usr/bin/python3", "-c", script, "off", NULL};
    const char *on_argv[] = {"/usr/bin/python3", "-c", script, "on", NULL};
    struct elev_run off = {.env = &env, .argv = off_argv, .net = false};
    struct elev_run on = {.env = &env, .argv = on_argv, .net = true};
    assert_int_equal(elev_run_as_caller(&off), 0);
    assert_int_equal(elev_run_as_caller(&on), 0);
    if (off.status != 0)
        fail_msg("offline with loopback port %u: status %d (%s)", open_port, off.status, off.msg);
    if (on.status != 0)
        fail_msg("online: status %d (%s)", on.status, on.msg);
    env.n_ports = 0;
    close(l1);
    close(l2);
}

/* Through the launcher: online reaches a loopback server, offline not. */
static void test_through_launcher(void **state)
{
    (void)state;
    if (access("/usr/bin/python3", X_OK) != 0)
        fail_msg("needs /usr/bin/python3 (scripts/deps.sh installs it)");
    unsigned port;
    int l = listener(AF_INET, SOCK_STREAM, "127.0.0.1", &port);
    char script[512];
    snprintf(script, sizeof script,
             "import socket; socket.create_connection(('127.0.0.1', %u), 2); print('ok')", port);
    const char *argv[] = {"/usr/bin/python3", "-c", script, NULL};
    struct elev_run on = {.env = &env, .argv = argv, .net = true};
    struct elev_run off = {.env = &env, .argv = argv, .net = false};
    assert_int_equal(elev_run_as_caller(&on), 0);
    assert_int_equal(elev_run_as_caller(&off), 0);
    assert_int_equal(on.status, 0);
    assert_int_not_equal(off.status, 0);
    close(l);
}

int main(void)
{
    elev_require_root();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp_loopback_and_local),
        cmocka_unit_test(test_udp),
        cmocka_unit_test(test_external_rejected_at_once),
        cmocka_unit_test(test_icmp),
        cmocka_unit_test(test_loopback_port),
        cmocka_unit_test(test_port_through_launcher),
        cmocka_unit_test(test_through_launcher),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
