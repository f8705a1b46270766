/* SPDX-License-Identifier: MIT */
/* The network namespace of a run with --net allow= (both modes: the
 * runner's init, or the setuid launcher as root before it forks init): only
 * loopback, and on it the allowlist proxy's port.  The sandbox's init,
 * new in that namespace, brings lo up, makes the listening socket on
 * 127.0.0.1:port and hands it to sbx-netproxy outside through a unix
 * socket pair (SCM_RIGHTS): a socket belongs to the namespace it was made
 * in, so the proxy accepts the sandbox's connections there while its own
 * connections leave from the host's namespace.  No relay process, and no
 * other way out: the namespace has no other interface and no route. */
#ifndef SBX_MODES_CONFINE_LINUX_NETNS_H
#define SBX_MODES_CONFINE_LINUX_NETNS_H

#include "util/error.h"

/* In the run's new network namespace (with CAP_NET_ADMIN there): lo up,
 * a TCP socket listening on 127.0.0.1:port sent through sock, then closed
 * here (the command never holds it). */
int sbx_netns_expose_proxy(unsigned port, int sock, struct sbx_error *err);

#endif
