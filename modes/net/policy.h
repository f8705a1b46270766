/* SPDX-License-Identifier: MIT */
/* The network policy of `sbx run --net allow=...`: which hosts, ports and
 * methods the allowlist proxy (sbx-netproxy) lets a command reach.
 *
 * Side-effect free: no resolver, no socket, no global state; the CLI uses
 * it to check the options before a run, the proxy to decide each
 * connection, and tests/fuzz/fuzz_net_policy.c fuzzes the parser.
 *
 * The language (one --net value at a time, each option repeatable):
 *   allow=PAT[,PAT...]   these destinations are reachable
 *   deny=PAT[,PAT...]    these are not, whatever the allowlist says
 *   limited              only GET, HEAD and OPTIONS (so no CONNECT)
 * PAT is one of
 *   example.org          that host only (any letter case, a trailing dot
 *                        ignored)
 *   *.example.org        example.org and every name below it
 *   *                    every host name (local addresses still refused)
 *   192.0.2.7, [2001:db8::1]
 *                        that address literally: the only way to reach a
 *                        loopback, private, link-local or other non-public
 *                        address, by its literal or by a name that
 *                        resolves to it
 *   any of those + :PORT only that port (1..65535); without it, any port
 *
 * A connection is allowed when its host name matches an allow pattern and
 * no deny pattern (checked before resolution), and then only to those of
 * the addresses it resolves to that are public, or that an allow pattern
 * names literally, and that no deny pattern names (checked after
 * resolution, on the address actually connected to: a name that resolves
 * to 127.0.0.1 is refused unless 127.0.0.1 is allowed by literal). */
#ifndef SBX_MODES_NET_POLICY_H
#define SBX_MODES_NET_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* Limits of the language: a host name's length (RFC 1035), the patterns a
 * policy holds, and one --net value's length. */
#define SBX_NET_HOST_MAX 253
#define SBX_NET_MAX_RULES 256
#define SBX_NET_SPEC_MAX 8192

struct sbx_net_policy;

/* An address, as the policy sees it: IPv4 or IPv6, network byte order. */
struct sbx_net_addr {
    int family;          /* AF_INET or AF_INET6 */
    uint8_t bytes[16];   /* 4 or 16 used */
};

/* What kind of address it is: only PUBLIC is reachable without an allow
 * pattern that names it literally. */
enum sbx_net_addr_class {
    SBX_NET_ADDR_PUBLIC = 0,
    SBX_NET_ADDR_LOOPBACK,     /* 127/8, ::1 */
    SBX_NET_ADDR_PRIVATE,      /* RFC 1918, 100.64/10 (shared), fc00::/7 (ULA) */
    SBX_NET_ADDR_LINK_LOCAL,   /* 169.254/16 (169.254.169.254: cloud metadata), fe80::/10 */
    SBX_NET_ADDR_UNSPECIFIED,  /* 0/8, :: */
    SBX_NET_ADDR_MULTICAST,    /* 224/4, ff00::/8 */
    SBX_NET_ADDR_RESERVED,     /* 240/4, broadcast, benchmarking, ... */
    SBX_NET_ADDR_LOCAL_NET,    /* on a network of the machine's own interfaces */
};

enum sbx_net_verdict {
    SBX_NET_ALLOWED = 0,
    SBX_NET_NOT_ALLOWED,     /* no allow pattern matches */
    SBX_NET_DENIED,          /* a deny pattern matches */
    SBX_NET_LOCAL_ADDRESS,   /* resolves to a non-public address not allowed by literal */
    SBX_NET_METHOD,          /* limited: not GET, HEAD or OPTIONS */
    SBX_NET_BAD_HOST,        /* not a host name or address literal */
};

/* An empty policy: nothing allowed. */
int sbx_net_policy_new(struct sbx_net_policy **out, struct sbx_error *err);
void sbx_net_policy_free(struct sbx_net_policy *p);

/* Add one --net value: "allow=...", "deny=..." or "limited".  "off" and
 * "on" are the CLI's, not a policy's: refused here (SBX_EINVAL). */
int sbx_net_policy_add(struct sbx_net_policy *p, const char *spec, struct sbx_error *err);

bool sbx_net_policy_limited(const struct sbx_net_policy *p);
/* Whether any allow pattern was given (a policy without one reaches
 * nothing: the CLI refuses `--net limited` alone). */
bool sbx_net_policy_has_allow(const struct sbx_net_policy *p);

/* The policy as --net values again, one per pattern ("allow=x:443",
 * "deny=y", "limited"), for the proxy's command line: calls fn for each.
 * The text is normalised (lower case, no trailing dot). */
void sbx_net_policy_each(const struct sbx_net_policy *p,
                         void (*fn)(const char *spec, void *ctx), void *ctx);

/* The networks the machine's interfaces are on (the proxy adds them from
 * getifaddrs): an address in one is local, whatever its range.  At most
 * SBX_NET_MAX_LOCAL_NETS; more are refused (SBX_EINVAL). */
#define SBX_NET_MAX_LOCAL_NETS 64
int sbx_net_policy_add_local_net(struct sbx_net_policy *p, const struct sbx_net_addr *net,
                                 unsigned prefix_bits, struct sbx_error *err);

/* The class of address a under policy p: sbx_net_addr_classify's, or
 * SBX_NET_ADDR_LOCAL_NET when it is public but on a local network. */
enum sbx_net_addr_class sbx_net_policy_classify(const struct sbx_net_policy *p,
                                                const struct sbx_net_addr *a);

/* Before resolution: may a connection to host:port be attempted?  host is
 * a name or an address literal (IPv6 without brackets or with them). */
enum sbx_net_verdict sbx_net_policy_check_host(const struct sbx_net_policy *p, const char *host,
                                               unsigned port);

/* After resolution: may the connection go to this address? */
enum sbx_net_verdict sbx_net_policy_check_addr(const struct sbx_net_policy *p,
                                               const struct sbx_net_addr *a, unsigned port);

/* limited: is this request method allowed? (CONNECT never is.) */
enum sbx_net_verdict sbx_net_policy_check_method(const struct sbx_net_policy *p,
                                                 const char *method);

/* The short reason a denial line gives: "not in allowlist", ... */
const char *sbx_net_verdict_reason(enum sbx_net_verdict v);

enum sbx_net_addr_class sbx_net_addr_classify(const struct sbx_net_addr *a);
const char *sbx_net_addr_class_name(enum sbx_net_addr_class c);

/* Parse an address literal (IPv4 dotted quad, or IPv6 with or without
 * brackets); false when it is none. */
bool sbx_net_addr_parse(const char *text, struct sbx_net_addr *out);

/* Normalise a host name in place (lower case, one trailing dot dropped)
 * and check it: labels of letters, digits, '-' and '_', 1..63 bytes, not
 * starting or ending with '-', at most SBX_NET_HOST_MAX bytes. */
bool sbx_net_host_normalise(char *host);

#endif
