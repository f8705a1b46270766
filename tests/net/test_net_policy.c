/* SPDX-License-Identifier: MIT */
/* The network policy (modes/net/policy.c, addr.c): the language, matching,
 * the deny list's precedence, address classes and the rebinding rule. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "modes/net/policy.h"

static struct sbx_net_policy *policy_of(const char *const *specs)
{
    struct sbx_net_policy *p;
    struct sbx_error err = {0};
    assert_int_equal(sbx_net_policy_new(&p, &err), 0);
    for (; *specs; specs++)
        if (sbx_net_policy_add(p, *specs, &err) != 0)
            fail_msg("'%s' refused: %s", *specs, err.msg);
    return p;
}

#define POLICY(...) policy_of((const char *const[]){__VA_ARGS__, NULL})

static struct sbx_net_addr addr(const char *text)
{
    struct sbx_net_addr a;
    if (!sbx_net_addr_parse(text, &a))
        fail_msg("'%s' is no address literal", text);
    return a;
}

static void test_refused_specs(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "allow=", "deny=", "allow=,", "allow=a,,b", "allow=a,", "allow=,a", "off", "on",
        "allow", "allowed=x", "allow=exa mple.org", "allow=-a.org", "allow=a-.org",
        "allow=a..org", "allow=*a.org", "allow=a.*.org", "allow=**.org", "allow=a.org:0",
        "allow=a.org:65536", "allow=a.org:+1", "allow=a.org:", "allow=a.org:80:1",
        "allow=[::1", "allow=[::1]x", "allow=[::1]:", "allow=a/b", "allow=a.org:8x",
        "limitedx", "allow=\xc3\xa9.org", "allow=.",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct sbx_net_policy *p;
        struct sbx_error err = {0};
        assert_int_equal(sbx_net_policy_new(&p, &err), 0);
        if (sbx_net_policy_add(p, bad[i], &err) != -SBX_EINVAL)
            fail_msg("'%s' accepted", bad[i]);
        assert_int_equal(err.code, SBX_EINVAL);
        assert_true(err.msg[0] != '\0');
        /* A refused value adds nothing. */
        assert_false(sbx_net_policy_has_allow(p));
        sbx_net_policy_free(p);
    }
    /* A label of 64 bytes, a name of 254. */
    char label[80], name[300];
    memset(label, 'a', 64);
    snprintf(label + 64, sizeof(label) - 64, ".org");
    size_t n = 0;
    n += (size_t)snprintf(name, sizeof(name), "allow=");
    while (n < 6 + 254)
        n += (size_t)snprintf(name + n, sizeof(name) - n, "abcdefghi.");
    name[6 + 254] = 'x';
    name[6 + 255] = '\0';
    char spec[100];
    snprintf(spec, sizeof(spec), "allow=%s", label);
    struct sbx_net_policy *p;
    struct sbx_error err = {0};
    assert_int_equal(sbx_net_policy_new(&p, &err), 0);
    assert_int_equal(sbx_net_policy_add(p, spec, &err), -SBX_EINVAL);
    assert_int_equal(sbx_net_policy_add(p, name, &err), -SBX_EINVAL);
    sbx_net_policy_free(p);
}

static void test_exact_wildcard_apex(void **state)
{
    (void)state;
    struct sbx_net_policy *p = POLICY("allow=registry.npmjs.org,*.Example.ORG.");
    assert_int_equal(sbx_net_policy_check_host(p, "registry.npmjs.org", 443), SBX_NET_ALLOWED);
    assert_int_equal(sbx_net_policy_check_host(p, "REGISTRY.npmjs.org.", 80), SBX_NET_ALLOWED);
    assert_int_equal(sbx_net_policy_check_host(p, "npmjs.org", 443), SBX_NET_NOT_ALLOWED);
    assert_int_equal(sbx_net_policy_check_host(p, "x.registry.npmjs.org", 443),
                     SBX_NET_NOT_ALLOWED);
    assert_int_equal(sbx_net_policy_check_host(p, "example.org", 443), SBX_NET_ALLOWED);
    assert_int_equal(sbx_net_policy_check_host(p, "a.example.org", 443), SBX_NET_ALLOWED);
    assert_int_equal(sbx_net_policy_check_host(p, "a.b.example.org", 443), SBX_NET_ALLOWED);
    assert_int_equal(sbx_net_policy_check_host(p, "badexample.org", 443), SBX_NET_NOT_ALLOWED);
    assert_int_equal(sbx_net_policy_check_host(p, "example.org.evil", 443), SBX_NET_NOT_ALLOWED);
    assert_int_equal(sbx_net_policy_check_host(p, "xample.org", 443), SBX_NET_NOT_ALLOWED);
    assert_int_equal(sbx_net_policy_check_host(p, "exa mple.org", 443), SBX_NET_BAD_HOST);
    assert_int_equal(sbx_net_policy_check_host(p, "", 443), SBX_NET_BAD_HOST);
    assert_int_equal(sbx_net_policy_check_host(p, "example.org", 0), SBX_NET_BAD_HOST);
    assert_false(sbx_net_policy_limited(p));
    sbx_net_policy_free(p);
}

static void test_ports(void **state)
{
    (void)state;
    struct sbx_net_policy *p = POLICY("allow=git.example.org:443", "allow=*.pkg.test:8443");
    assert_int_equal(sbx_net_policy_check_host(p, "git.example.org", 443), SBX_NET_ALLOWED);
    assert_int_equal(sbx_net_policy_check_host(p, "git.example.org", 22), SBX_NET_NOT_ALLOWED);
    assert_int_equal(sbx_net_policy_check_host(p, "a.pkg.test", 8443), SBX_NET_ALLOWED);
    assert_int_equal(sbx_net_policy_check_host(p, "a.pkg.test", 443), SBX_NET_NOT_ALLOWED);
    sbx_net_policy_free(p);
}

static void test_deny_beats_allow(void **state)
{
    (void)state;
    /* In either order, and a port-less deny beats a port-limited allow. */
    struct sbx_net_policy *p =
        POLICY("deny=evil.example.org", "allow=*.example.org:443", "deny=*.bad.example.org:443");
    assert_int_equal(sbx_net_policy_check_host(p, "good.example.org", 443), SBX_NET_ALLOWED);
    assert_int_equal(sbx_net_policy_check_host(p, "evil.example.org", 443), SBX_NET_DENIED);
    assert_int_equal(sbx_net_policy_check_host(p, "bad.example.org", 443), SBX_NET_DENIED);
    assert_int_equal(sbx_net_policy_check_host(p, "x.bad.example.org", 443), SBX_NET_DENIED);
    /* A deny limited to a port leaves the others to the allowlist. */
    struct sbx_net_policy *q = POLICY("allow=*.example.org", "deny=*.bad.example.org:443");
    assert_int_equal(sbx_net_policy_check_host(q, "x.bad.example.org", 80), SBX_NET_ALLOWED);
    assert_int_equal(sbx_net_policy_check_host(q, "x.bad.example.org", 443), SBX_NET_DENIED);
    /* deny=* with allow=*: nothing. */
    struct sbx_net_policy *r = POLICY("allow=*", "deny=*");
    assert_int_equal(sbx_net_policy_check_host(r, "example.org", 443), SBX_NET_DENIED);
    sbx_net_policy_free(p);
    sbx_net_policy_free(q);
    sbx_net_policy_free(r);
}

static void test_address_classes(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        enum sbx_net_addr_class cls;
    } table[] = {
        {"127.0.0.1", SBX_NET_ADDR_LOOPBACK},   {"127.255.1.2", SBX_NET_ADDR_LOOPBACK},
        {"::1", SBX_NET_ADDR_LOOPBACK},          {"[::1]", SBX_NET_ADDR_LOOPBACK},
        {"::ffff:127.0.0.1", SBX_NET_ADDR_LOOPBACK},
        {"64:ff9b::7f00:1", SBX_NET_ADDR_LOOPBACK},
        {"2002:7f00:1::", SBX_NET_ADDR_LOOPBACK},
        {"10.1.2.3", SBX_NET_ADDR_PRIVATE},      {"172.16.0.1", SBX_NET_ADDR_PRIVATE},
        {"172.31.255.255", SBX_NET_ADDR_PRIVATE}, {"172.32.0.1", SBX_NET_ADDR_PUBLIC},
        {"192.168.1.1", SBX_NET_ADDR_PRIVATE},   {"100.64.0.1", SBX_NET_ADDR_PRIVATE},
        {"100.128.0.1", SBX_NET_ADDR_PUBLIC},    {"fc00::1", SBX_NET_ADDR_PRIVATE},
        {"fd12:3456::1", SBX_NET_ADDR_PRIVATE},  {"169.254.169.254", SBX_NET_ADDR_LINK_LOCAL},
        {"fe80::1", SBX_NET_ADDR_LINK_LOCAL},    {"::ffff:169.254.169.254", SBX_NET_ADDR_LINK_LOCAL},
        {"0.0.0.0", SBX_NET_ADDR_UNSPECIFIED},   {"::", SBX_NET_ADDR_UNSPECIFIED},
        {"224.0.0.1", SBX_NET_ADDR_MULTICAST},   {"ff02::1", SBX_NET_ADDR_MULTICAST},
        {"255.255.255.255", SBX_NET_ADDR_RESERVED}, {"240.0.0.1", SBX_NET_ADDR_RESERVED},
        {"198.18.0.1", SBX_NET_ADDR_RESERVED},   {"::7f00:1", SBX_NET_ADDR_RESERVED},
        {"8.8.8.8", SBX_NET_ADDR_PUBLIC},        {"203.0.113.80", SBX_NET_ADDR_PUBLIC},
        {"2606:4700::1111", SBX_NET_ADDR_PUBLIC}, {"4000::1", SBX_NET_ADDR_RESERVED},
    };
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        struct sbx_net_addr a = addr(table[i].text);
        enum sbx_net_addr_class got = sbx_net_addr_classify(&a);
        if (got != table[i].cls)
            fail_msg("%s: %s, want %s", table[i].text, sbx_net_addr_class_name(got),
                     sbx_net_addr_class_name(table[i].cls));
    }
    struct sbx_net_addr a;
    assert_false(sbx_net_addr_parse("2130706433", &a)); /* no inet_aton forms */
    assert_false(sbx_net_addr_parse("0x7f.1", &a));
    assert_false(sbx_net_addr_parse("127.1", &a));
    assert_false(sbx_net_addr_parse("example.org", &a));
}

/* DNS rebinding: an allowed name that resolves to a local address is
 * refused, unless that address is allowed by literal (and port). */
static void test_rebinding_and_literals(void **state)
{
    (void)state;
    struct sbx_net_policy *p = POLICY("allow=rebind.test");
    struct sbx_net_addr lo = addr("127.0.0.1"), meta = addr("169.254.169.254"),
                        pub = addr("93.184.216.34"), mapped = addr("::ffff:10.0.0.1");
    assert_int_equal(sbx_net_policy_check_host(p, "rebind.test", 80), SBX_NET_ALLOWED);
    assert_int_equal(sbx_net_policy_check_addr(p, &lo, 80), SBX_NET_LOCAL_ADDRESS);
    assert_int_equal(sbx_net_policy_check_addr(p, &meta, 80), SBX_NET_LOCAL_ADDRESS);
    assert_int_equal(sbx_net_policy_check_addr(p, &mapped, 80), SBX_NET_LOCAL_ADDRESS);
    assert_int_equal(sbx_net_policy_check_addr(p, &pub, 80), SBX_NET_ALLOWED);
    /* Literal requests: only by a literal pattern. */
    assert_int_equal(sbx_net_policy_check_host(p, "127.0.0.1", 80), SBX_NET_NOT_ALLOWED);
    assert_int_equal(sbx_net_policy_check_host(p, "93.184.216.34", 80), SBX_NET_NOT_ALLOWED);

    struct sbx_net_policy *q = POLICY("allow=rebind.test,127.0.0.1:8080,[::1]", "deny=[::1]:22");
    struct sbx_net_addr lo6 = addr("::1");
    assert_int_equal(sbx_net_policy_check_addr(q, &lo, 8080), SBX_NET_ALLOWED);
    assert_int_equal(sbx_net_policy_check_addr(q, &lo, 8081), SBX_NET_LOCAL_ADDRESS);
    assert_int_equal(sbx_net_policy_check_host(q, "127.0.0.1", 8080), SBX_NET_ALLOWED);
    assert_int_equal(sbx_net_policy_check_host(q, "[::1]", 80), SBX_NET_ALLOWED);
    assert_int_equal(sbx_net_policy_check_host(q, "::1", 80), SBX_NET_ALLOWED);
    assert_int_equal(sbx_net_policy_check_addr(q, &lo6, 80), SBX_NET_ALLOWED);
    assert_int_equal(sbx_net_policy_check_addr(q, &lo6, 22), SBX_NET_DENIED);
    assert_int_equal(sbx_net_policy_check_host(q, "[::1]", 22), SBX_NET_DENIED);
    /* '*' reaches public literals, never local ones. */
    struct sbx_net_policy *r = POLICY("allow=*", "deny=93.184.216.35");
    struct sbx_net_addr denied = addr("93.184.216.35");
    assert_int_equal(sbx_net_policy_check_host(r, "93.184.216.34", 443), SBX_NET_ALLOWED);
    assert_int_equal(sbx_net_policy_check_host(r, "93.184.216.35", 443), SBX_NET_DENIED);
    assert_int_equal(sbx_net_policy_check_addr(r, &denied, 443), SBX_NET_DENIED);
    assert_int_equal(sbx_net_policy_check_host(r, "10.0.0.1", 443), SBX_NET_LOCAL_ADDRESS);
    assert_int_equal(sbx_net_policy_check_host(r, "anything.example", 443), SBX_NET_ALLOWED);
    /* An address written with the root's dot is that address (a name
     * rule of it would become a literal rule once written back). */
    struct sbx_net_policy *s = POLICY("allow=127.0.0.1.:8080");
    assert_int_equal(sbx_net_policy_check_host(s, "127.0.0.1", 8080), SBX_NET_ALLOWED);
    assert_int_equal(sbx_net_policy_check_addr(s, &lo, 8080), SBX_NET_ALLOWED);
    struct sbx_error err = {0};
    assert_int_equal(sbx_net_policy_add(s, "allow=*.127.0.0.1", &err), -SBX_EINVAL);
    sbx_net_policy_free(p);
    sbx_net_policy_free(q);
    sbx_net_policy_free(r);
    sbx_net_policy_free(s);
}

static void test_local_networks(void **state)
{
    (void)state;
    struct sbx_net_policy *p = POLICY("allow=*", "allow=192.0.2.9");
    struct sbx_error err = {0};
    struct sbx_net_addr net = addr("192.0.2.0"), gw = addr("192.0.2.1"),
                        other = addr("192.0.3.1"), nine = addr("192.0.2.9");
    assert_int_equal(sbx_net_policy_add_local_net(p, &net, 24, &err), 0);
    assert_int_equal(sbx_net_policy_classify(p, &gw), SBX_NET_ADDR_LOCAL_NET);
    assert_int_equal(sbx_net_policy_check_addr(p, &gw, 80), SBX_NET_LOCAL_ADDRESS);
    assert_int_equal(sbx_net_policy_check_addr(p, &other, 80), SBX_NET_ALLOWED);
    assert_int_equal(sbx_net_policy_check_addr(p, &nine, 80), SBX_NET_ALLOWED);
    assert_int_equal(sbx_net_policy_add_local_net(p, &net, 33, &err), -SBX_EINVAL);
    sbx_net_policy_free(p);
}

static void test_limited(void **state)
{
    (void)state;
    struct sbx_net_policy *p = POLICY("allow=example.org", "limited");
    assert_true(sbx_net_policy_limited(p));
    static const char *const ok[] = {"GET", "HEAD", "OPTIONS"};
    static const char *const no[] = {"POST", "PUT", "DELETE", "PATCH", "CONNECT", "get",
                                     "TRACE"};
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(sbx_net_policy_check_method(p, ok[i]), SBX_NET_ALLOWED);
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        assert_int_equal(sbx_net_policy_check_method(p, no[i]), SBX_NET_METHOD);
    struct sbx_net_policy *q = POLICY("allow=example.org");
    assert_int_equal(sbx_net_policy_check_method(q, "CONNECT"), SBX_NET_ALLOWED);
    sbx_net_policy_free(p);
    sbx_net_policy_free(q);
}

struct collected {
    char text[1024];
};

static void collect(const char *spec, void *ctx)
{
    struct collected *c = ctx;
    size_t n = strlen(c->text);
    snprintf(c->text + n, sizeof(c->text) - n, "%s%s", n ? " " : "", spec);
}

/* What the proxy is given is what the CLI parsed, normalised. */
static void test_each_round_trip(void **state)
{
    (void)state;
    struct sbx_net_policy *p =
        POLICY("allow=A.example.ORG.:443,*.b.test,*,::FFFF:127.0.0.1,[2001:DB8::1]:80",
               "deny=x.b.test", "limited");
    struct collected c = {{0}};
    sbx_net_policy_each(p, collect, &c);
    assert_string_equal(c.text, "allow=a.example.org:443 allow=*.b.test allow=* "
                                "allow=127.0.0.1 allow=[2001:db8::1]:80 deny=x.b.test limited");
    /* Parsing the output again gives the same text. */
    struct sbx_net_policy *q = policy_of((const char *const[]){
        "allow=a.example.org:443", "allow=*.b.test", "allow=*", "allow=127.0.0.1",
        "allow=[2001:db8::1]:80", "deny=x.b.test", "limited", NULL});
    struct collected d = {{0}};
    sbx_net_policy_each(q, collect, &d);
    assert_string_equal(c.text, d.text);
    sbx_net_policy_free(p);
    sbx_net_policy_free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refused_specs),
        cmocka_unit_test(test_exact_wildcard_apex),
        cmocka_unit_test(test_ports),
        cmocka_unit_test(test_deny_beats_allow),
        cmocka_unit_test(test_address_classes),
        cmocka_unit_test(test_rebinding_and_literals),
        cmocka_unit_test(test_local_networks),
        cmocka_unit_test(test_limited),
        cmocka_unit_test(test_each_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
