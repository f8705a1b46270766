/* SPDX-License-Identifier: MIT */
/* Starting and stopping sbx-netproxy for one `sbx run --net allow=...`,
 * outside the sandbox, as the caller.  Part of the engine (no libevent:
 * that is the proxy program's alone). */
#ifndef SBX_MODES_NET_SPAWN_H
#define SBX_MODES_NET_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "modes/common/proxy_env.h"
#include "modes/net/policy.h"
#include "util/error.h"

/* The proxy's port on the sandbox's own loopback (proxy_env.h). */
#define SBX_NETPROXY_NETNS_PORT SBX_PROXY_NETNS_PORT

struct sbx_netproxy_proc {
    pid_t pid;
    int parent_fd;   /* closing it stops the proxy */
    int summary_fd;  /* the proxy's summary, read at the end */
    /* in_netns: the end the sandbox's init sends the listening socket
     * through (netns.h); -1 otherwise. */
    int sock;
    unsigned port;   /* where the sandbox reaches the proxy, on its loopback */
};

/* Start the proxy for policy p.  in_netns: it waits for its listening
 * socket from the run's init, and port is SBX_NETPROXY_NETNS_PORT; else
 * it listens on the host's 127.0.0.1 at a port the kernel picks. */
int sbx_netproxy_start(const struct sbx_net_policy *p, bool in_netns,
                       struct sbx_netproxy_proc *proc, struct sbx_error *err);

/* Stop it (EOF on its parent descriptor), wait, and return its summary
 * (proxy_stats.h's lines; malloc'd, "" when none) in *summary. */
int sbx_netproxy_stop(struct sbx_netproxy_proc *proc, char **summary, struct sbx_error *err);

#endif
