/* SPDX-License-Identifier: MIT */
/* The network policy: parsing --net values and matching destinations
 * (policy.h says the language).  Addresses are classified in addr.c. */
#include "modes/net/policy.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum rule_kind {
    RULE_NAME,     /* exactly this host name */
    RULE_SUFFIX,   /* *.name: the name and everything below it */
    RULE_ANY,      /* *: every host name */
    RULE_ADDR,     /* an address literal */
};

struct rule {
    bool deny;
    enum rule_kind kind;
    unsigned port;                    /* 0: any */
    char name[SBX_NET_HOST_MAX + 1];  /* RULE_NAME, RULE_SUFFIX */
    struct sbx_net_addr addr;         /* RULE_ADDR */
};

struct local_net {
    struct sbx_net_addr net;
    unsigned bits;
};

struct sbx_net_policy {
    bool limited;
    size_t n;
    struct rule rules[SBX_NET_MAX_RULES];
    size_t n_local;
    struct local_net local[SBX_NET_MAX_LOCAL_NETS];
};

int sbx_net_policy_new(struct sbx_net_policy **out, struct sbx_error *err)
{
    *out = calloc(1, sizeof(**out));
    if (!*out)
        return sbx_err_set(err, SBX_ENOMEM, "out of memory for the network policy");
    return 0;
}

void sbx_net_policy_free(struct sbx_net_policy *p)
{
    free(p);
}

bool sbx_net_policy_limited(const struct sbx_net_policy *p)
{
    return p->limited;
}

bool sbx_net_policy_has_allow(const struct sbx_net_policy *p)
{
    for (size_t i = 0; i < p->n; i++)
        if (!p->rules[i].deny)
            return true;
    return false;
}

static bool label_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

bool sbx_net_host_normalise(char *host)
{
    size_t len = strlen(host);
    if (len > 0 && host[len - 1] == '.')
        host[--len] = '\0';
    if (len == 0 || len > SBX_NET_HOST_MAX)
        return false;
    size_t label = 0;
    for (size_t i = 0; i <= len; i++) {
        char c = host[i];
        if (c >= 'A' && c <= 'Z')
            host[i] = c = (char)(c - 'A' + 'a');
        if (c == '.' || c == '\0') {
            if (label == 0 || label > 63 || host[i - 1] == '-' || host[i - label] == '-')
                return false;
            label = 0;
            continue;
        }
        if (!label_char(c))
            return false;
        label++;
    }
    return true;
}

bool sbx_net_addr_parse(const char *text, struct sbx_net_addr *out)
{
    char buf[INET6_ADDRSTRLEN + 2];
    size_t len = strlen(text);
    if (len >= sizeof(buf))
        return false;
    memcpy(buf, text, len + 1);
    char *s = buf;
    if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
        s[len - 1] = '\0';
        s++;
    }
    memset(out, 0, sizeof(*out));
    if (inet_pton(AF_INET, s, out->bytes) == 1) {
        out->family = AF_INET;
        return true;
    }
    if (strchr(s, ':') && inet_pton(AF_INET6, s, out->bytes) == 1) {
        out->family = AF_INET6;
        /* An IPv4-mapped address is that IPv4 address. */
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(out->bytes, mapped, 12) == 0) {
            memmove(out->bytes, out->bytes + 12, 4);
            memset(out->bytes + 4, 0, 12);
            out->family = AF_INET;
        }
        return true;
    }
    return false;
}

static bool addr_equal(const struct sbx_net_addr *a, const struct sbx_net_addr *b)
{
    return a->family == b->family &&
           memcmp(a->bytes, b->bytes, a->family == AF_INET ? 4 : 16) == 0;
}

/* "PORT": decimal digits only, 1..65535. */
static bool parse_port(const char *s, unsigned *out)
{
    unsigned v = 0;
    if (!*s || strlen(s) > 5)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        v = v * 10 + (unsigned)(*s - '0');
    }
    if (v == 0 || v > 65535)
        return false;
    *out = v;
    return true;
}

/* One pattern (policy.h) into r; text is modified. */
static int parse_pattern(char *text, struct rule *r, struct sbx_error *err)
{
    const char *orig_host = text;
    char *port = NULL;
    if (text[0] == '[') {
        char *close = strchr(text, ']');
        if (!close)
            return sbx_err_set(err, SBX_EINVAL, "network pattern '%s': '[' without ']'", text);
        if (close[1] == ':')
            port = close + 2;
        else if (close[1] != '\0')
            return sbx_err_set(err, SBX_EINVAL,
                               "network pattern '%s': only ':PORT' may follow ']'", text);
        close[1] = '\0';
    } else {
        char *colon = strchr(text, ':');
        /* Two colons or more without brackets: an IPv6 literal, no port. */
        if (colon && !strchr(colon + 1, ':')) {
            *colon = '\0';
            port = colon + 1;
        }
    }
    if (port && !parse_port(port, &r->port))
        return sbx_err_set(err, SBX_EINVAL,
                           "network pattern '%s': the port must be a number 1..65535, not '%s'",
                           orig_host, port);
    if (sbx_net_addr_parse(text, &r->addr)) {
        r->kind = RULE_ADDR;
        return 0;
    }
    if (strcmp(text, "*") == 0) {
        r->kind = RULE_ANY;
        return 0;
    }
    const char *name = text;
    r->kind = RULE_NAME;
    if (strncmp(text, "*.", 2) == 0) {
        r->kind = RULE_SUFFIX;
        name = text + 2;
    }
    if (strlen(name) > SBX_NET_HOST_MAX)
        return sbx_err_set(err, SBX_EINVAL, "network pattern: host name longer than %d bytes",
                           SBX_NET_HOST_MAX);
    memcpy(r->name, name, strlen(name) + 1);
    if (!sbx_net_host_normalise(r->name))
        return sbx_err_set(err, SBX_EINVAL,
                           "network pattern '%s' is no host name, '*.' + host name, '*' or "
                           "address literal (a name: labels of letters, digits, '-', '_'; "
                           "'*' only as the whole first label)",
                           orig_host);
    /* An address written as a name ("127.0.0.1.", with the root's dot) is
     * that address: as a name it would be written back without the dot
     * and read again as a literal, a different rule (found by
     * fuzz_net_policy).  Under "*." it names nothing. */
    if (sbx_net_addr_parse(r->name, &r->addr)) {
        if (r->kind == RULE_SUFFIX)
            return sbx_err_set(err, SBX_EINVAL,
                               "network pattern '%s': '*.' goes before a host name, not an "
                               "address", orig_host);
        r->kind = RULE_ADDR;
    }
    return 0;
}

int sbx_net_policy_add(struct sbx_net_policy *p, const char *spec, struct sbx_error *err)
{
    if (strcmp(spec, "limited") == 0) {
        p->limited = true;
        return 0;
    }
    bool deny;
    if (strncmp(spec, "allow=", 6) == 0)
        deny = false;
    else if (strncmp(spec, "deny=", 5) == 0)
        deny = true;
    else
        return sbx_err_set(err, SBX_EINVAL,
                           "--net value '%.64s': expected off, on, limited, allow=DOMAIN[,...] "
                           "or deny=DOMAIN[,...]",
                           spec);
    const char *list = spec + (deny ? 5 : 6);
    size_t len = strlen(list);
    if (len == 0)
        return sbx_err_set(err, SBX_EINVAL, "--net %s needs at least one pattern",
                           deny ? "deny=" : "allow=");
    if (len >= SBX_NET_SPEC_MAX)
        return sbx_err_set(err, SBX_EINVAL, "--net value longer than %d bytes",
                           SBX_NET_SPEC_MAX - 1);
    char buf[SBX_NET_SPEC_MAX];
    memcpy(buf, list, len + 1);
    size_t n_before = p->n;
    char *save = NULL;
    for (char *start = buf;; start = NULL) {
        char *tok = strtok_r(start, ",", &save);
        if (!tok)
            break;
        if (p->n == SBX_NET_MAX_RULES) {
            p->n = n_before;
            return sbx_err_set(err, SBX_EINVAL, "more than %d network patterns",
                               SBX_NET_MAX_RULES);
        }
        struct rule *r = &p->rules[p->n];
        memset(r, 0, sizeof(*r));
        r->deny = deny;
        if (parse_pattern(tok, r, err) < 0) {
            p->n = n_before;
            return -SBX_EINVAL;
        }
        p->n++;
    }
    /* ",," or a lone "," leaves an empty pattern: strtok_r skips those,
     * so refuse them here rather than accept a list with a hole. */
    if (strstr(list, ",,") || list[0] == ',' || list[len - 1] == ',') {
        p->n = n_before;
        return sbx_err_set(err, SBX_EINVAL, "--net %s: an empty pattern in '%.64s'",
                           deny ? "deny=" : "allow=", list);
    }
    return 0;
}

void sbx_net_policy_each(const struct sbx_net_policy *p,
                         void (*fn)(const char *spec, void *ctx), void *ctx)
{
    char text[SBX_NET_HOST_MAX + 32];
    for (size_t i = 0; i < p->n; i++) {
        const struct rule *r = &p->rules[i];
        char host[SBX_NET_HOST_MAX + 8];
        if (r->kind == RULE_ADDR) {
            char a[INET6_ADDRSTRLEN];
            inet_ntop(r->addr.family, r->addr.bytes, a, sizeof(a));
            snprintf(host, sizeof(host), r->addr.family == AF_INET6 ? "[%s]" : "%s", a);
        } else if (r->kind == RULE_ANY) {
            snprintf(host, sizeof(host), "*");
        } else {
            snprintf(host, sizeof(host), "%s%s", r->kind == RULE_SUFFIX ? "*." : "", r->name);
        }
        if (r->port)
            snprintf(text, sizeof(text), "%s=%s:%u", r->deny ? "deny" : "allow", host, r->port);
        else
            snprintf(text, sizeof(text), "%s=%s", r->deny ? "deny" : "allow", host);
        fn(text, ctx);
    }
    if (p->limited)
        fn("limited", ctx);
}

static bool port_matches(const struct rule *r, unsigned port)
{
    return r->port == 0 || r->port == port;
}

static bool name_matches(const struct rule *r, const char *host)
{
    switch (r->kind) {
    case RULE_ANY:
        return true;
    case RULE_NAME:
        return strcmp(r->name, host) == 0;
    case RULE_SUFFIX: {
        size_t hl = strlen(host), nl = strlen(r->name);
        if (hl == nl)
            return strcmp(host, r->name) == 0;
        return hl > nl && host[hl - nl - 1] == '.' && strcmp(host + hl - nl, r->name) == 0;
    }
    case RULE_ADDR:
        return false;
    }
    return false;
}

/* Whether a rule of the given side names address a literally. */
static bool addr_listed(const struct sbx_net_policy *p, bool deny,
                        const struct sbx_net_addr *a, unsigned port)
{
    for (size_t i = 0; i < p->n; i++) {
        const struct rule *r = &p->rules[i];
        if (r->deny == deny && r->kind == RULE_ADDR && port_matches(r, port) &&
            addr_equal(&r->addr, a))
            return true;
    }
    return false;
}

int sbx_net_policy_add_local_net(struct sbx_net_policy *p, const struct sbx_net_addr *net,
                                 unsigned prefix_bits, struct sbx_error *err)
{
    unsigned max = net->family == AF_INET ? 32 : 128;
    if (prefix_bits > max)
        return sbx_err_set(err, SBX_EINVAL, "a local network's prefix of %u bits", prefix_bits);
    if (p->n_local == SBX_NET_MAX_LOCAL_NETS)
        return sbx_err_set(err, SBX_EINVAL, "more than %d local networks",
                           SBX_NET_MAX_LOCAL_NETS);
    p->local[p->n_local].net = *net;
    p->local[p->n_local].bits = prefix_bits;
    p->n_local++;
    return 0;
}

static bool in_net(const struct sbx_net_addr *a, const struct local_net *n)
{
    if (a->family != n->net.family)
        return false;
    unsigned full = n->bits / 8, rest = n->bits % 8;
    if (memcmp(a->bytes, n->net.bytes, full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (a->bytes[full] & mask) == (n->net.bytes[full] & mask);
}

enum sbx_net_addr_class sbx_net_policy_classify(const struct sbx_net_policy *p,
                                                const struct sbx_net_addr *a)
{
    enum sbx_net_addr_class c = sbx_net_addr_classify(a);
    if (c != SBX_NET_ADDR_PUBLIC)
        return c;
    for (size_t i = 0; i < p->n_local; i++)
        if (in_net(a, &p->local[i]))
            return SBX_NET_ADDR_LOCAL_NET;
    return c;
}

enum sbx_net_verdict sbx_net_policy_check_addr(const struct sbx_net_policy *p,
                                               const struct sbx_net_addr *a, unsigned port)
{
    if (port == 0 || port > 65535)
        return SBX_NET_BAD_HOST;
    if (addr_listed(p, true, a, port))
        return SBX_NET_DENIED;
    if (sbx_net_policy_classify(p, a) == SBX_NET_ADDR_PUBLIC || addr_listed(p, false, a, port))
        return SBX_NET_ALLOWED;
    return SBX_NET_LOCAL_ADDRESS;
}

enum sbx_net_verdict sbx_net_policy_check_host(const struct sbx_net_policy *p, const char *host,
                                               unsigned port)
{
    if (port == 0 || port > 65535)
        return SBX_NET_BAD_HOST;
    struct sbx_net_addr a;
    if (sbx_net_addr_parse(host, &a)) {
        if (addr_listed(p, true, &a, port))
            return SBX_NET_DENIED;
        if (addr_listed(p, false, &a, port))
            return SBX_NET_ALLOWED;
        /* '*' reaches public address literals too; the rest need a literal. */
        for (size_t i = 0; i < p->n; i++) {
            const struct rule *r = &p->rules[i];
            if (!r->deny && r->kind == RULE_ANY && port_matches(r, port))
                return sbx_net_policy_classify(p, &a) == SBX_NET_ADDR_PUBLIC ? SBX_NET_ALLOWED
                                                                        : SBX_NET_LOCAL_ADDRESS;
        }
        return SBX_NET_NOT_ALLOWED;
    }
    char name[SBX_NET_HOST_MAX + 2];
    size_t len = strlen(host);
    if (len >= sizeof(name))
        return SBX_NET_BAD_HOST;
    memcpy(name, host, len + 1);
    if (!sbx_net_host_normalise(name))
        return SBX_NET_BAD_HOST;
    bool allowed = false;
    for (size_t i = 0; i < p->n; i++) {
        const struct rule *r = &p->rules[i];
        if (!port_matches(r, port) || !name_matches(r, name))
            continue;
        if (r->deny)
            return SBX_NET_DENIED;
        allowed = true;
    }
    return allowed ? SBX_NET_ALLOWED : SBX_NET_NOT_ALLOWED;
}

enum sbx_net_verdict sbx_net_policy_check_method(const struct sbx_net_policy *p,
                                                 const char *method)
{
    if (!p->limited)
        return SBX_NET_ALLOWED;
    if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 ||
        strcmp(method, "OPTIONS") == 0)
        return SBX_NET_ALLOWED;
    return SBX_NET_METHOD;
}

const char *sbx_net_verdict_reason(enum sbx_net_verdict v)
{
    switch (v) {
    case SBX_NET_ALLOWED:
        return "allowed";
    case SBX_NET_NOT_ALLOWED:
        return "not in allowlist";
    case SBX_NET_DENIED:
        return "in denylist";
    case SBX_NET_LOCAL_ADDRESS:
        return "local address not allowed by literal";
    case SBX_NET_METHOD:
        return "method not allowed in limited mode";
    case SBX_NET_BAD_HOST:
        return "not a valid host";
    }
    return "denied";
}
