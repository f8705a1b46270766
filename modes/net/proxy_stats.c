/* SPDX-License-Identifier: MIT */
/* The proxy's denial lines and per-run summary (proxy_stats.h). */
#include "modes/net/proxy_stats.h"

#include <stdlib.h>
#include <string.h>

struct proxy_stats {
    FILE *denials;
    size_t n;
    struct proxy_host_stat hosts[PROXY_STATS_MAX];
    struct proxy_host_stat other_allowed, other_denied;
};

struct proxy_stats *proxy_stats_new(FILE *denials)
{
    struct proxy_stats *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->denials = denials;
    snprintf(s->other_allowed.host, sizeof(s->other_allowed.host), "(other hosts)");
    snprintf(s->other_denied.host, sizeof(s->other_denied.host), "(other hosts)");
    s->other_denied.verdict = SBX_NET_NOT_ALLOWED;
    return s;
}

void proxy_stats_free(struct proxy_stats *s)
{
    free(s);
}

/* A host name as a log line may show it: printable ASCII without spaces
 * (the parser lets no other byte through; this keeps it so). */
static void copy_printable(char *dst, size_t cap, const char *src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < cap; i++)
        dst[i] = (src[i] > 0x20 && src[i] < 0x7f) ? src[i] : '?';
    dst[i] = '\0';
}

struct proxy_host_stat *proxy_stats_note(struct proxy_stats *s, const char *host,
                                         unsigned port, enum sbx_net_verdict v)
{
    char name[sizeof(s->hosts[0].host)];
    copy_printable(name, sizeof(name), host);
    for (size_t i = 0; i < s->n; i++) {
        struct proxy_host_stat *h = &s->hosts[i];
        if (h->port == port && h->verdict == v && strcmp(h->host, name) == 0)
            return h;
    }
    if (v != SBX_NET_ALLOWED && s->denials) {
        fprintf(s->denials, "sbx: network: denied %s:%u (%s)\n", name, port,
                sbx_net_verdict_reason(v));
        fflush(s->denials);
    }
    if (s->n == PROXY_STATS_MAX)
        return v == SBX_NET_ALLOWED ? &s->other_allowed : &s->other_denied;
    struct proxy_host_stat *h = &s->hosts[s->n++];
    memcpy(h->host, name, sizeof(name));
    h->port = port;
    h->verdict = v;
    return h;
}

static int write_one(const struct proxy_host_stat *h, int fd)
{
    int n;
    if (h->verdict == SBX_NET_ALLOWED)
        n = dprintf(fd, "allowed %s:%u %llu %llu %llu\n", h->host, h->port, h->connections,
                    h->bytes_up, h->bytes_down);
    else
        n = dprintf(fd, "denied %s:%u %llu %s\n", h->host, h->port, h->connections,
                    sbx_net_verdict_reason(h->verdict));
    return n < 0 ? -1 : 0;
}

int proxy_stats_write(const struct proxy_stats *s, int fd)
{
    for (size_t i = 0; i < s->n; i++)
        if (write_one(&s->hosts[i], fd) < 0)
            return -1;
    if (s->other_allowed.connections && write_one(&s->other_allowed, fd) < 0)
        return -1;
    if (s->other_denied.connections && write_one(&s->other_denied, fd) < 0)
        return -1;
    return 0;
}
