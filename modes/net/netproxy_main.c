/* SPDX-License-Identifier: MIT */
/* sbx-netproxy: the allowlist proxy as its own small program, which
 * `sbx run --net allow=...` starts outside the sandbox as the caller (so
 * that libevent is loaded by no run that does not use it), and tests start
 * directly.
 *
 *   sbx-netproxy (--listen-fd N | --listen ADDR:PORT | --listen-recv-fd N)
 *                [--ready-fd N]
 *                [--parent-fd N] [--summary-fd N] [--max-clients N]
 *                [--head-timeout SEC] [--connect-timeout SEC]
 *                [--idle-timeout SEC] --net SPEC [--net SPEC]...
 *
 * --listen binds a loopback TCP port (0: any) and writes "PORT\n" to the
 * ready descriptor (default 1) once it listens; --listen-fd takes a socket
 * already listening; --listen-recv-fd waits for one on the unix socket N
 * (SCM_RIGHTS: the socket the sandbox's init made in the run's network
 * namespace, modes/confine/linux/netns.h) and exits quietly (0) when N
 * closes without one (the sandbox never started).
 * SPEC is what `sbx run --net` takes: allow=..., deny=..., limited.
 * Test builds (SBX_FAKE_OS=ON) resolve from the hosts file SBX_NET_HOSTS
 * names, when set, and from nothing else.
 *
 * Exit status: 0 after SIGTERM, SIGINT or EOF on the parent descriptor;
 * 2 for a bad command line; 1 when the proxy could not run. */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sys/prctl.h>

#include "modes/confine/linux/landlock.h"
#include "modes/net/policy.h"
#include "modes/net/proxy.h"
#include "util/cleanup.h"

static int usage(const char *why)
{
    fprintf(stderr, "sbx-netproxy: %s\n", why);
    return 2;
}

static bool parse_uint(const char *s, unsigned max, unsigned *out)
{
    char *end;
    if (!s || *s < '0' || *s > '9')
        return false;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v > max)
        return false;
    *out = (unsigned)v;
    return true;
}

/* ADDR:PORT (an IPv4 literal) bound and listening; the port into *port. */
static int listen_on(const char *spec, unsigned *port)
{
    char host[64];
    const char *colon = strrchr(spec, ':');
    unsigned p;
    if (!colon || (size_t)(colon - spec) >= sizeof(host) || !parse_uint(colon + 1, 65535, &p))
        return -1;
    memcpy(host, spec, (size_t)(colon - spec));
    host[colon - spec] = '\0';
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)p)};
    if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
        return -1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    socklen_t len = sizeof(sin);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 || listen(fd, 1024) != 0 ||
        getsockname(fd, (struct sockaddr *)&sin, &len) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *port = ntohs(sin.sin_port);
    return fd;
}

/* The networks of the machine's interfaces are local (policy.h). */
static int add_local_networks(struct sbx_net_policy *policy, struct sbx_error *err)
{
    struct ifaddrs *ifs;
    if (getifaddrs(&ifs) != 0)
        return sbx_err_sys(err, SBX_EIO, errno, "listing the machine's network interfaces");
    int rc = 0;
    for (struct ifaddrs *i = ifs; i && rc == 0; i = i->ifa_next) {
        if (!i->ifa_addr || !i->ifa_netmask)
            continue;
        int fam = i->ifa_addr->sa_family;
        if (fam != AF_INET && fam != AF_INET6)
            continue;
        struct sbx_net_addr net = {.family = fam};
        const uint8_t *a, *m;
        size_t n = fam == AF_INET ? 4 : 16;
        if (fam == AF_INET) {
            a = (const uint8_t *)&((struct sockaddr_in *)i->ifa_addr)->sin_addr;
            m = (const uint8_t *)&((struct sockaddr_in *)i->ifa_netmask)->sin_addr;
        } else {
            a = (const uint8_t *)&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
            m = (const uint8_t *)&((struct sockaddr_in6 *)i->ifa_netmask)->sin6_addr;
        }
        unsigned bits = 0;
        for (size_t b = 0; b < n; b++) {
            net.bytes[b] = a[b] & m[b];
            bits += (unsigned)__builtin_popcount(m[b]);
        }
        if (sbx_net_addr_classify(&net) == SBX_NET_ADDR_PUBLIC)
            rc = sbx_net_policy_add_local_net(policy, &net, bits, err);
    }
    freeifaddrs(ifs);
    return rc;
}

/* The listening socket the sandbox's init sends; -1 at EOF or error. */
static int receive_listener(int sock)
{
    char byte, cbuf[CMSG_SPACE(sizeof(int))];
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                        .msg_controllen = sizeof(cbuf)};
    ssize_t n;
    do
        n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    struct cmsghdr *cm = n == 1 ? CMSG_FIRSTHDR(&mh) : NULL;
    if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
        cm->cmsg_len != CMSG_LEN(sizeof(int)))
        return -1;
    int fd;
    memcpy(&fd, CMSG_DATA(cm), sizeof(int));
    /* It must be what was promised: a listening TCP socket. */
    int type = 0, listening = 0;
    socklen_t len = sizeof(type);
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM ||
        (len = sizeof(listening), getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len)) != 0 ||
        !listening) {
        close(fd);
        return -1;
    }
    return fd;
}

/* The proxy reads bytes a hostile command sends: should a bug give that
 * command the proxy, it must not get the caller's files to write.
 * Landlock: read (and run) everything, write nothing, signal no process
 * outside (ABI >= 6); no_new_privs.  TCP stays the proxy's business. */
static int confine_self(struct sbx_error *err)
{
    int abi = sbx_landlock_abi();
    if (abi <= 0)
        return 0; /* `sbx run` refuses such a kernel before the proxy starts */
    struct sbx_landlock ll = {.fd = -1};
    int rc = sbx_landlock_create(&ll, abi, true, err);
    if (rc == 0)
        rc = sbx_landlock_allow(&ll, "/", SBX_LL_READ, err);
    if (rc == 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        rc = sbx_err_sys(err, SBX_EIO, errno, "prctl(PR_SET_NO_NEW_PRIVS)");
    if (rc == 0)
        rc = sbx_landlock_enforce(&ll, err);
    sbx_landlock_close(&ll);
    return rc;
}

int main(int argc, char **argv)
{
    struct sbx_error err = {0};
    struct sbx_net_policy *policy = NULL;
    if (sbx_net_policy_new(&policy, &err) < 0)
        return usage(err.msg);
    struct sbx_netproxy_config cfg = {.policy = policy, .listen_fd = -1, .parent_fd = -1,
                                      .summary_fd = -1, .denials = stderr};
    const char *listen_spec = NULL;
    int recv_fd = -1;
    unsigned ready_fd = 1, fdnum;
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!val)
            return usage("every option takes a value");
        i++;
        if (strcmp(opt, "--net") == 0) {
            if (sbx_net_policy_add(policy, val, &err) < 0)
                return usage(err.msg);
        } else if (strcmp(opt, "--listen") == 0) {
            listen_spec = val;
        } else if (strcmp(opt, "--listen-fd") == 0 && parse_uint(val, INT_MAX, &fdnum)) {
            cfg.listen_fd = (int)fdnum;
        } else if (strcmp(opt, "--listen-recv-fd") == 0 && parse_uint(val, INT_MAX, &fdnum)) {
            recv_fd = (int)fdnum;
        } else if (strcmp(opt, "--ready-fd") == 0 && parse_uint(val, INT_MAX, &fdnum)) {
            ready_fd = fdnum;
        } else if (strcmp(opt, "--parent-fd") == 0 && parse_uint(val, INT_MAX, &fdnum)) {
            cfg.parent_fd = (int)fdnum;
        } else if (strcmp(opt, "--summary-fd") == 0 && parse_uint(val, INT_MAX, &fdnum)) {
            cfg.summary_fd = (int)fdnum;
        } else if (strcmp(opt, "--max-clients") == 0 &&
                   parse_uint(val, 65536, &cfg.max_clients)) {
        } else if (strcmp(opt, "--head-timeout") == 0 &&
                   parse_uint(val, 3600, &cfg.head_timeout_sec)) {
        } else if (strcmp(opt, "--connect-timeout") == 0 &&
                   parse_uint(val, 3600, &cfg.connect_timeout_sec)) {
        } else if (strcmp(opt, "--idle-timeout") == 0 &&
                   parse_uint(val, 86400, &cfg.idle_timeout_sec)) {
        } else {
            fprintf(stderr, "sbx-netproxy: bad option or value: %s %s\n", opt, val);
            return 2;
        }
    }
    if ((cfg.listen_fd >= 0) + (listen_spec != NULL) + (recv_fd >= 0) != 1)
        return usage("exactly one of --listen-fd, --listen and --listen-recv-fd");
    if (!sbx_net_policy_has_allow(policy))
        return usage("no --net allow=... : the proxy would reach nothing");
    if (confine_self(&err) < 0)
        return fprintf(stderr, "sbx-netproxy: %s\n", err.msg), 1;
    if (add_local_networks(policy, &err) < 0)
        return fprintf(stderr, "sbx-netproxy: %s\n", err.msg), 1;
#ifdef SBX_WITH_FAKE_OS
    cfg.hosts_file = getenv("SBX_NET_HOSTS");
#endif
    if (listen_spec) {
        unsigned port;
        cfg.listen_fd = listen_on(listen_spec, &port);
        if (cfg.listen_fd < 0) {
            fprintf(stderr, "sbx-netproxy: cannot listen on %s: %s\n", listen_spec,
                    strerror(errno));
            return 1;
        }
        dprintf((int)ready_fd, "%u\n", port);
        if (ready_fd != 1)
            close((int)ready_fd);
    }
    if (recv_fd >= 0) {
        cfg.listen_fd = receive_listener(recv_fd);
        close(recv_fd);
        if (cfg.listen_fd < 0) {
            sbx_net_policy_free(policy);
            return 0; /* the sandbox never started: nothing to serve */
        }
    }
    int rc = sbx_netproxy_run(&cfg, &err);
    sbx_net_policy_free(policy);
    if (rc < 0) {
        fprintf(stderr, "sbx-netproxy: %s\n", err.msg);
        return 1;
    }
    return 0;
}
