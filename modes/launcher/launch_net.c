/* SPDX-License-Identifier: MIT */
/* The launcher's part of `sbx run --net allow=` (launch.h): the proxy is
 * the caller's own process (sbx-netproxy, started by sbx as the caller,
 * never as root), waiting on a unix socket for the listening socket it
 * is to serve.  The launcher, root until it forks init, gives the run a
 * network namespace of its own, with only a loopback interface, makes the
 * listening socket on the proxy's port there and hands it over
 * (modes/confine/linux/netns.h): the command, as the offline account,
 * reaches that port and no other address, because no other exists in its
 * namespace.  The account's nft rules stay as they are (they belong to
 * the host's namespace, not this one, where nothing else could be
 * reached anyway); Landlock and seccomp narrow the command to TCP connect()
 * to the port (launch_run.c). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "modes/common/proxy_env.h"
#include "modes/confine/linux/netns.h"
#include "modes/launcher/launch.h"

void net_proxy_check(struct launch *l)
{
    if (l->proxy_fd < 0)
        return;
    struct stat st;
    int domain = -1, type = -1;
    socklen_t len = sizeof domain, tlen = sizeof type;
    if (fstat(l->proxy_fd, &st) != 0 || !S_ISSOCK(st.st_mode) ||
        getsockopt(l->proxy_fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 ||
        getsockopt(l->proxy_fd, SOL_SOCKET, SO_TYPE, &type, &tlen) != 0 ||
        domain != AF_UNIX || type != SOCK_SEQPACKET)
        die(l, 125, SBX_EINVAL,
            "--net-proxy-fd %d: not an open unix socket (seqpacket) of the caller's; "
            SBX_LAUNCH_USAGE, l->proxy_fd);
    if (fcntl(l->proxy_fd, F_SETFD, FD_CLOEXEC) != 0)
        die(l, 125, SBX_EIO, "--net-proxy-fd %d: %s", l->proxy_fd, strerror(errno));
}

void net_proxy_expose(struct launch *l)
{
    if (l->proxy_fd < 0)
        return;
    /* The launcher itself moves: init, the connector and the launcher's
     * own wait all live in it; nothing of theirs needs the host's network
     * (the --allow-unix sockets are reached by path, which no network
     * namespace confines). */
    if (unshare(CLONE_NEWNET) != 0)
        die(l, 125, SBX_EIO, "unshare(network namespace) for --net allow=: %s",
            strerror(errno));
    struct sbx_error err = {0};
    if (sbx_netns_expose_proxy(SBX_PROXY_NETNS_PORT, l->proxy_fd, &err) != 0)
        die(l, 125, err.code, "%s", err.msg);
    /* The proxy has its listening socket: the channel is of no more use,
     * and the command must never hold it. */
    close(l->proxy_fd);
    l->proxy_fd = -1;
    l->proxy_port = SBX_PROXY_NETNS_PORT;
}
