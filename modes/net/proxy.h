/* SPDX-License-Identifier: MIT */
/* The allowlist proxy sbx-netproxy runs outside the sandbox for the life of
 * one `sbx run --net allow=...`: an HTTP forward proxy (absolute-URI
 * requests) and CONNECT tunnels on libevent 2.1 bufferevents, names
 * resolved by evdns, each connection's host checked by the policy before
 * resolution and its address after (policy.h), one request per client
 * connection, parsed strictly (http_head.h).
 *
 * Bounds: at most max_clients client connections at once (more are
 * accepted and closed at once), each with at most PROXY_BUF_MAX bytes
 * buffered per direction (a side that is not read from stops the other
 * side's reading), a deadline for the request head (slow clients) and for
 * the origin's connect, and an idle limit on a connection where neither
 * side moves. */
#ifndef SBX_MODES_NET_PROXY_H
#define SBX_MODES_NET_PROXY_H

#include <stdio.h>

#include "modes/net/policy.h"
#include "util/error.h"

struct sbx_netproxy_config {
    const struct sbx_net_policy *policy;
    int listen_fd;               /* bound and listening TCP socket */
    int parent_fd;               /* EOF or error on it: stop; -1: none */
    int summary_fd;              /* per-run summary written here at the end; -1: none */
    FILE *denials;               /* one line per denied host:port; NULL: none */
    /* Test builds only: resolve names from this hosts file and nothing
     * else (no name server). NULL: the machine's resolver configuration. */
    const char *hosts_file;
    unsigned max_clients;        /* 0: 1024 */
    unsigned head_timeout_sec;   /* 0: 15 */
    unsigned connect_timeout_sec; /* 0: 15 */
    unsigned idle_timeout_sec;   /* 0: 300 */
};

/* Serve until SIGTERM, SIGINT or EOF on parent_fd; then write the summary.
 * 0, or a negative SBX_E* code with err set. */
int sbx_netproxy_run(const struct sbx_netproxy_config *cfg, struct sbx_error *err);

#endif
