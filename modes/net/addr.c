/* SPDX-License-Identifier: MIT */
/* Which addresses are public: the proxy connects to any other kind only
 * when an allow pattern names it literally (policy.h).  The tables follow
 * IANA's IPv4 and IPv6 special-purpose address registries; an address
 * that embeds an IPv4 address (IPv4-mapped, NAT64, 6to4) is the kind of
 * the address it embeds, so that 64:ff9b::7f00:1 is loopback too.
 *
 * The documentation ranges (192.0.2/24, 198.51.100/24, 203.0.113/24,
 * 2001:db8::/32) are not in the tables: they hold no local service by
 * definition, and test networks (this project's build machines among them)
 * route them like public addresses.  What is local to a machine whatever
 * its range, the networks its own interfaces are on, the proxy adds to
 * the policy at start (sbx_net_policy_add_local_net). */
#include <arpa/inet.h>
#include <string.h>

#include "modes/net/policy.h"

struct range {
    uint8_t prefix[16];
    unsigned bits;
    enum sbx_net_addr_class cls;
};

static const struct range v4_ranges[] = {
    {{0}, 8, SBX_NET_ADDR_UNSPECIFIED},
    {{10}, 8, SBX_NET_ADDR_PRIVATE},
    {{100, 64}, 10, SBX_NET_ADDR_PRIVATE},
    {{127}, 8, SBX_NET_ADDR_LOOPBACK},
    {{169, 254}, 16, SBX_NET_ADDR_LINK_LOCAL},
    {{172, 16}, 12, SBX_NET_ADDR_PRIVATE},
    {{192, 0, 0}, 24, SBX_NET_ADDR_RESERVED},
    {{192, 88, 99}, 24, SBX_NET_ADDR_RESERVED},
    {{192, 168}, 16, SBX_NET_ADDR_PRIVATE},
    {{198, 18}, 15, SBX_NET_ADDR_RESERVED},
    {{224}, 4, SBX_NET_ADDR_MULTICAST},
    {{240}, 4, SBX_NET_ADDR_RESERVED}, /* 255.255.255.255 included */
};

static const struct range v6_ranges[] = {
    {{0}, 128, SBX_NET_ADDR_UNSPECIFIED},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128, SBX_NET_ADDR_LOOPBACK},
    {{0}, 96, SBX_NET_ADDR_RESERVED},                 /* IPv4-compatible, deprecated */
    {{0, 0x64, 0xff, 0x9b, 0, 1}, 48, SBX_NET_ADDR_RESERVED}, /* local-use NAT64 */
    {{0x01}, 64, SBX_NET_ADDR_RESERVED},              /* 100::/64 discard */
    {{0x20, 0x01}, 23, SBX_NET_ADDR_RESERVED},        /* IETF protocol assignments, Teredo */
    {{0xfc}, 7, SBX_NET_ADDR_PRIVATE},                /* unique local */
    {{0xfe, 0x80}, 10, SBX_NET_ADDR_LINK_LOCAL},
    {{0xfe, 0xc0}, 10, SBX_NET_ADDR_PRIVATE},         /* site-local, deprecated */
    {{0xff}, 8, SBX_NET_ADDR_MULTICAST},
};

static bool in_range(const uint8_t *a, const struct range *r)
{
    unsigned full = r->bits / 8, rest = r->bits % 8;
    if (memcmp(a, r->prefix, full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (a[full] & mask) == (r->prefix[full] & mask);
}

static enum sbx_net_addr_class classify_v4(const uint8_t *a)
{
    for (size_t i = 0; i < sizeof(v4_ranges) / sizeof(v4_ranges[0]); i++)
        if (in_range(a, &v4_ranges[i]))
            return v4_ranges[i].cls;
    return SBX_NET_ADDR_PUBLIC;
}

enum sbx_net_addr_class sbx_net_addr_classify(const struct sbx_net_addr *a)
{
    if (a->family == AF_INET)
        return classify_v4(a->bytes);
    if (a->family != AF_INET6)
        return SBX_NET_ADDR_RESERVED;
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const uint8_t nat64[12] = {0, 0x64, 0xff, 0x9b};
    if (memcmp(a->bytes, mapped, 12) == 0 || memcmp(a->bytes, nat64, 12) == 0)
        return classify_v4(a->bytes + 12);
    if (a->bytes[0] == 0x20 && a->bytes[1] == 0x02) /* 6to4: 2002:V4ADDR::/48 */
        return classify_v4(a->bytes + 2);
    for (size_t i = 0; i < sizeof(v6_ranges) / sizeof(v6_ranges[0]); i++)
        if (in_range(a->bytes, &v6_ranges[i]))
            return v6_ranges[i].cls;
    /* Global unicast is 2000::/3; the rest is unassigned. */
    return (a->bytes[0] & 0xe0) == 0x20 ? SBX_NET_ADDR_PUBLIC : SBX_NET_ADDR_RESERVED;
}

const char *sbx_net_addr_class_name(enum sbx_net_addr_class c)
{
    switch (c) {
    case SBX_NET_ADDR_PUBLIC:
        return "public";
    case SBX_NET_ADDR_LOOPBACK:
        return "loopback";
    case SBX_NET_ADDR_PRIVATE:
        return "private";
    case SBX_NET_ADDR_LINK_LOCAL:
        return "link-local";
    case SBX_NET_ADDR_UNSPECIFIED:
        return "unspecified";
    case SBX_NET_ADDR_MULTICAST:
        return "multicast";
    case SBX_NET_ADDR_RESERVED:
        return "reserved";
    case SBX_NET_ADDR_LOCAL_NET:
        return "local network";
    }
    return "reserved";
}
