/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the --net policy language (modes/net/policy.c) and
 * its matching.  An input is lines: each line a --net value given to
 * sbx_net_policy_add, except lines starting with '?', which are
 * "?HOST PORT" queries.  Beyond "no crash, no undefined behaviour, no
 * leak", every input checks:
 *   P1  a refused value adds nothing (the allowlist stays as it was) and
 *       its error is SBX_EINVAL with a message;
 *   P2  the policy written back (sbx_net_policy_each) parses again, into a
 *       policy that writes the very same text (a fixpoint) and gives the
 *       same verdict for every query;
 *   P3  a host that a deny pattern matches is never allowed; a verdict is
 *       one of the enum's values;
 *   P4  the address check refuses every non-public address unless an allow
 *       pattern names it (checked through the query's literal, if any). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_TARGET "fuzz_net_policy"
#include "tests/fuzz/fuzz_check.h"

#include "modes/net/policy.h"

struct text {
    char buf[65536];
    size_t len;
    bool overflow;
};

static void append(const char *spec, void *ctx)
{
    struct text *t = ctx;
    int n = snprintf(t->buf + t->len, sizeof(t->buf) - t->len, "%s\n", spec);
    if (n < 0 || (size_t)n >= sizeof(t->buf) - t->len)
        t->overflow = true;
    else
        t->len += (size_t)n;
}

static struct sbx_net_policy *from_text(char *text)
{
    struct sbx_net_policy *p;
    struct sbx_error err = {0};
    CHECK(sbx_net_policy_new(&p, &err) == 0, "new failed");
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '?')
            continue;
        bool had = sbx_net_policy_has_allow(p);
        struct sbx_error e = {0};
        int rc = sbx_net_policy_add(p, line, &e);
        if (rc < 0) {
            CHECK(rc == -SBX_EINVAL && e.code == SBX_EINVAL && e.msg[0], "P1: bad error");
            CHECK(sbx_net_policy_has_allow(p) == had, "P1: a refused value changed the policy");
        }
    }
    return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 16384)
        return 0;
    char *in = malloc(size + 1), *copy = malloc(size + 1);
    if (!in || !copy)
        abort();
    memcpy(in, data, size);
    in[size] = '\0';
    memcpy(copy, in, size + 1);
    struct sbx_net_policy *p = from_text(in);
    struct text t1 = {.len = 0};
    sbx_net_policy_each(p, append, &t1);
    CHECK(!t1.overflow, "written policy too long");
    char *again = strdup(t1.buf);
    struct sbx_net_policy *q = from_text(again);
    struct text t2 = {.len = 0};
    sbx_net_policy_each(q, append, &t2);
    CHECK(strcmp(t1.buf, t2.buf) == 0, "P2: not a fixpoint:\n%s---\n%s", t1.buf, t2.buf);
    char *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] != '?')
            continue;
        char host[300];
        unsigned port = 0;
        if (sscanf(line + 1, "%299s %u", host, &port) != 2)
            continue;
        enum sbx_net_verdict v = sbx_net_policy_check_host(p, host, port);
        CHECK(v <= SBX_NET_BAD_HOST, "P3: verdict %d", (int)v);
        CHECK(v == sbx_net_policy_check_host(q, host, port), "P2: verdicts differ for %s", host);
        struct sbx_net_addr a;
        if (sbx_net_addr_parse(host, &a)) {
            enum sbx_net_verdict va = sbx_net_policy_check_addr(p, &a, port);
            CHECK(va == sbx_net_policy_check_addr(q, &a, port), "P2: address verdicts differ");
            if (sbx_net_addr_classify(&a) != SBX_NET_ADDR_PUBLIC && va == SBX_NET_ALLOWED)
                CHECK(v == SBX_NET_ALLOWED, "P4: %s allowed by address, not by literal", host);
            if (v == SBX_NET_DENIED)
                CHECK(va != SBX_NET_ALLOWED || sbx_net_policy_check_host(p, host, port) ==
                                                   SBX_NET_DENIED, "P3");
        }
    }
    sbx_net_policy_free(p);
    sbx_net_policy_free(q);
    free(again);
    free(in);
    free(copy);
    return 0;
}
