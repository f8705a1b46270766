/* SPDX-License-Identifier: MIT */
/* The seccomp filter every sandboxed command runs under (libseccomp).
 * It closes what Landlock does not see: namespace and mount syscalls (so
 * the read-only view can't be undone, even by a root caller), TIOCSTI /
 * TIOCLINUX, kernel keyrings, io_uring (which would bypass the socket
 * rule), and the sockets: with the network off every socket() call fails;
 * with it on only AF_INET and AF_INET6 sockets can be made (network on
 * means IP: no unix socket to a host daemon, no netlink, no packet
 * sockets).  socketpair() makes stream and seqpacket pairs only: a
 * datagram end could be sent from, or re-connected, to any bound datagram
 * socket of the host.  With --allow-unix, socket(AF_UNIX) and connect()
 * go to sbx's broker instead (unix_broker.h). */
#ifndef SBX_MODES_CONFINE_LINUX_SECCOMP_FILTER_H
#define SBX_MODES_CONFINE_LINUX_SECCOMP_FILTER_H

#include <stdbool.h>

#include "modes/confine/linux/seccomp_opts.h"
#include "util/error.h"


/* Build the filter and load it on the calling thread; also sets
 * no_new_privs.  With o->unix_notify, *listener receives the notification
 * fd (close-on-exec) that the broker serves; else it is left alone. */
int sbx_seccomp_load_ex(const struct sbx_seccomp_opts *o, int *listener, struct sbx_error *err);

/* The same with only the network setting: net: the network is on (IP
 * sockets allowed). */
int sbx_seccomp_load(bool net, struct sbx_error *err);

/* Only what is denied whatever the policy (mounts, namespaces, keyrings,
 * io_uring, ...): for sbx's own helpers that must make unix sockets
 * themselves (the broker and the elevated mode's connector). */
int sbx_seccomp_load_base(struct sbx_error *err);



#endif
