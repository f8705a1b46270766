/* SPDX-License-Identifier: MIT */
/* The run's network namespace for --net allow= (netns.h). */
#include "modes/confine/linux/netns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/cleanup.h"

static int loopback_up(struct sbx_error *err)
{
    sbx_autofd int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "a socket to bring up the sandbox's loopback");
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "SIOCGIFFLAGS on the sandbox's lo");
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "bring up the sandbox's lo");
    return 0;
}

int sbx_netns_expose_proxy(unsigned port, int sock, struct sbx_error *err)
{
    int rc = loopback_up(err);
    if (rc < 0)
        return rc;
    sbx_autofd int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
        listen(lfd, 1024) != 0)
        return sbx_err_sys(err, SBX_EIO, errno,
                           "listen on 127.0.0.1:%u in the sandbox's network namespace", port);
    char cbuf[CMSG_SPACE(sizeof(int))];
    memset(cbuf, 0, sizeof(cbuf));
    char byte = 'L';
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                        .msg_controllen = sizeof(cbuf)};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &lfd, sizeof(int));
    ssize_t n;
    do
        n = sendmsg(sock, &mh, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n != 1)
        return sbx_err_sys(err, SBX_EIO, errno, "hand the proxy's listening socket to sbx-netproxy");
    return 0;
}
