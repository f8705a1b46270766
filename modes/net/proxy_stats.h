/* SPDX-License-Identifier: MIT */
/* What the proxy tells about a run: one line on stderr the first time each
 * host:port is denied for a reason, and a summary at the end (hosts
 * allowed with their connections and bytes, hosts denied with why) for
 * `sbx log`.  Bounded: at most PROXY_STATS_MAX hosts are remembered; the
 * rest are counted together as "(other hosts)". */
#ifndef SBX_MODES_NET_PROXY_STATS_H
#define SBX_MODES_NET_PROXY_STATS_H

#include <stdbool.h>
#include <stdio.h>

#include "modes/net/policy.h"

#define PROXY_STATS_MAX 512

struct proxy_host_stat {
    char host[SBX_NET_HOST_MAX + 3];
    unsigned port;
    enum sbx_net_verdict verdict;  /* SBX_NET_ALLOWED or why it was denied */
    unsigned long long connections;
    unsigned long long bytes_up, bytes_down;
};

struct proxy_stats;

struct proxy_stats *proxy_stats_new(FILE *denials);
void proxy_stats_free(struct proxy_stats *s);

/* The entry for host:port with this verdict (made on first use, and the
 * denial line printed then); never NULL (the overflow entry). */
struct proxy_host_stat *proxy_stats_note(struct proxy_stats *s, const char *host,
                                         unsigned port, enum sbx_net_verdict v);

/* The summary, one line each:
 *   allowed HOST:PORT CONNECTIONS BYTES_UP BYTES_DOWN
 *   denied HOST:PORT ATTEMPTS REASON */
int proxy_stats_write(const struct proxy_stats *s, int fd);

#endif
