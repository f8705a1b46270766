/* SPDX-License-Identifier: MIT */
/* What a run's seccomp filter allows (seccomp_filter.h), and which of the
 * filters the build made ready stands for it (seccomp_gen.c). */
#ifndef SBX_MODES_CONFINE_LINUX_SECCOMP_OPTS_H
#define SBX_MODES_CONFINE_LINUX_SECCOMP_OPTS_H

#include <stdbool.h>

struct sbx_seccomp_opts {
    bool net;          /* IP: socket(AF_INET / AF_INET6) allowed */
    bool tcp_only;     /* IP sockets, TCP only (the elevated mode's loopback ports) */
    bool unix_notify;  /* socket(AF_UNIX) and connect() are decided by a broker,
                        * which receives the listener (--allow-unix) */
};

/* The filters: 0 the base one (sbx's own helpers), 1 + net + 2 tcp_only +
 * 4 unix_notify the runs'. */
#define SBX_SECCOMP_VARIANTS 9

/* Which of them stands for o (NULL: the base one). */
static inline int sbx_seccomp_variant(const struct sbx_seccomp_opts *o)
{
    if (!o)
        return 0;
    return 1 + (o->net ? 1 : 0) + (o->tcp_only ? 2 : 0) + (o->unix_notify ? 4 : 0);
}

/* The options variant v (1 .. SBX_SECCOMP_VARIANTS - 1) stands for. */
static inline struct sbx_seccomp_opts sbx_seccomp_variant_opts(int v)
{
    struct sbx_seccomp_opts o = {.net = ((v - 1) & 1) != 0, .tcp_only = ((v - 1) & 2) != 0,
                                 .unix_notify = ((v - 1) & 4) != 0};
    return o;
}

#endif
