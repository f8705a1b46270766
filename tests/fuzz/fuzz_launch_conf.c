/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the setuid launcher's configuration parser
 * (sbx_launch_conf_parse) and its writer (sbx_launch_conf_format).
 *
 * An input is the text of a configuration file, exactly as the launcher
 * would read it (a NUL byte ends it, as it ends the C string the launcher
 * parses).  Beyond "no crash, no undefined behaviour, no leak" (ASan,
 * UBSan, LeakSanitizer), every input checks:
 *
 * Accepted text (parse returns 0):
 *   P1  it starts with the magic line of format 2 and is shorter than
 *       SBX_LAUNCH_CONF_MAX bytes;
 *   P2  the group and every account name are 1..63 characters of
 *       [a-z0-9_-]: never empty, never whitespace or a separator;
 *   P3  no account has uid 0 or uid/gid (uid_t)-1, the group's gid is not
 *       (gid_t)-1; no account uid or name appears twice (within a pair or
 *       across members), no account has a member's uid, no member appears
 *       twice, at most SBX_LAUNCH_MAX_MEMBERS members: nothing of one
 *       member's pair is another's;
 *   P4  the homes' directory is absolute, leaves room for "/NAME" below
 *       PATH_MAX, and is free of space, tab and newline (the separators of
 *       the format);
 *   P5  at most SBX_LAUNCH_MAX_PORTS ports, each in 1..65535;
 *   P6  every number it took was written as decimal digits only (what the
 *       writer produces): no sign, no leading white space, so no negative
 *       value that strtoul wraps around into a valid one;
 *   P7  parsing is deterministic (a second parse gives the same struct);
 *   P8  the look-up by the caller's uid gives each member its own entry,
 *       and nothing for a uid that is no member's (an account's, root's).
 * Round trip (what setup writes is what the launcher reads):
 *   R1  format() accepts every struct parse() produced;
 *   R2  format() into a buffer of any size either fits (same text as with
 *       a big buffer) or fails with SBX_EINVAL, and never writes past the
 *       buffer (ASan: the buffers are exactly that size);
 *   R3  when the text fits in a configuration (< 8192 bytes, which is what
 *       the writer's caller gives it), parse(format(c)) succeeds, equals c
 *       field by field, and formats to the very same text (a fixpoint).
 * Refused text:
 *   E1  the return value is -SBX_ECORRUPT, err.code SBX_ECORRUPT, and the
 *       message is not empty and has no "(null)" (a NULL given to %s) that
 *       the input did not contain itself.
 *
 * Any broken invariant aborts, so libFuzzer keeps the input as a crash
 * artifact: run the target on that file to reproduce. */
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_TARGET "fuzz_launch_conf"
#include "tests/fuzz/fuzz_check.h"

#include "modes/common/linux/launch_conf.h"
#include "util/error.h"

/* Mirrors of launch_conf.c's private constants. */
#define CONF_MAGIC "sbx-launch-conf 2\n"
#define CONF_MAX SBX_LAUNCH_CONF_MAX
/* Bigger than any formatted configuration: every member's line and the
 * homes of PATH_MAX. */
#define BIG (4 * CONF_MAX)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Written from the header's promise, not from the parser's code. */
static bool name_ok(const char *s)
{
    size_t n = strnlen(s, SBX_LAUNCH_NAME_MAX);
    if (n == 0 || n >= SBX_LAUNCH_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
            return false;
    }
    return true;
}

static bool digits_only(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* P6: walk the accepted text's lines and look at each numeric field. */
static void check_numbers(const char *text)
{
    const char *p = text + strlen(CONF_MAGIC);
    while (*p) {
        size_t len = strcspn(p, "\n");
        if (len > 0 && p[0] != '#') {
            /* Fields are separated by runs of spaces (strtok semantics). */
            const char *f[9];
            size_t flen[9], n = 0;
            for (size_t i = 0; i < len && n < 9;) {
                while (i < len && p[i] == ' ')
                    i++;
                if (i == len)
                    break;
                size_t s = i;
                while (i < len && p[i] != ' ')
                    i++;
                f[n] = p + s;
                flen[n++] = i - s;
            }
            size_t want[5] = {0}, nwant = 0;
            if (n == 3 && flen[0] == 5 && memcmp(f[0], "group", 5) == 0) {
                want[nwant++] = 2;
            } else if (n == 2 && flen[0] == 5 && memcmp(f[0], "homes", 5) == 0) {
                /* a path, no number */
            } else if (n == 8 && flen[0] == 6 && memcmp(f[0], "member", 6) == 0) {
                static const size_t numeric[] = {1, 3, 4, 6, 7};
                for (size_t k = 0; k < 5; k++)
                    want[nwant++] = numeric[k];
            } else if (n == 2 && flen[0] == 13 && memcmp(f[0], "loopback_port", 13) == 0) {
                want[nwant++] = 1;
            } else {
                CHECK(false, "P6: accepted a line that is none of the four kinds: '%.*s'",
                      (int)len, p);
            }
            for (size_t k = 0; k < nwant; k++)
                CHECK(digits_only(f[want[k]], flen[want[k]]),
                      "P6: accepted the number '%.*s' on line '%.*s' (not plain decimal digits)",
                      (int)flen[want[k]], f[want[k]], (int)len, p);
        }
        p += len;
        if (*p == '\n')
            p++;
    }
}

static void check_accepted(const char *text, const struct sbx_launch_conf *c)
{
    CHECK(strncmp(text, CONF_MAGIC, strlen(CONF_MAGIC)) == 0, "P1: accepted without the magic");
    CHECK(strlen(text) < CONF_MAX, "P1: accepted %zu bytes", strlen(text));
    CHECK(name_ok(c->group), "P2: group name '%.*s'", SBX_LAUNCH_NAME_MAX, c->group);
    CHECK(c->gid != (gid_t)-1, "P3: group gid (gid_t)-1");
    CHECK(c->n_members <= SBX_LAUNCH_MAX_MEMBERS, "P3: %zu members", c->n_members);
    size_t hl = strnlen(c->homes, sizeof c->homes);
    CHECK(hl + 1 + SBX_LAUNCH_NAME_MAX < PATH_MAX, "P4: homes too long (%zu)", hl);
    CHECK(c->homes[0] == '/', "P4: homes '%s' not absolute", c->homes);
    CHECK(!strpbrk(c->homes, " \t\n"), "P4: homes '%s' has a separator", c->homes);
    for (size_t i = 0; i < c->n_members && i < SBX_LAUNCH_MAX_MEMBERS; i++) {
        const struct sbx_launch_member *m = &c->members[i];
        for (int r = 0; r < SBX_ROLE_COUNT; r++) {
            CHECK(name_ok(m->acct[r].name), "P2: member %u %s account name '%.*s'",
                  (unsigned)m->member, sbx_launch_role_name(r), SBX_LAUNCH_NAME_MAX,
                  m->acct[r].name);
            CHECK(m->acct[r].uid != 0, "P3: member %u: %s account has uid 0",
                  (unsigned)m->member, sbx_launch_role_name(r));
            CHECK(m->acct[r].uid != (uid_t)-1 && m->acct[r].gid != (gid_t)-1,
                  "P3: member %u: %s account uid/gid -1", (unsigned)m->member,
                  sbx_launch_role_name(r));
            for (size_t j = 0; j < c->n_members; j++) {
                const struct sbx_launch_member *o = &c->members[j];
                CHECK(o->member != m->acct[r].uid, "P3: account %s has member %u's uid",
                      m->acct[r].name, (unsigned)o->member);
                for (int q = 0; q < SBX_ROLE_COUNT; q++) {
                    if (j == i && q == r)
                        continue;
                    CHECK(o->acct[q].uid != m->acct[r].uid &&
                              strcmp(o->acct[q].name, m->acct[r].name) != 0,
                          "P3: account %s (uid %u) twice", m->acct[r].name,
                          (unsigned)m->acct[r].uid);
                }
            }
        }
        for (size_t j = 0; j < i; j++)
            CHECK(c->members[j].member != m->member, "P3: member %u twice", (unsigned)m->member);
        /* P8: the caller's uid finds its own pair. */
        CHECK(sbx_launch_conf_member(c, m->member) == m, "P8: member %u finds another entry",
              (unsigned)m->member);
        for (int r = 0; r < SBX_ROLE_COUNT; r++)
            CHECK(sbx_launch_conf_member(c, m->acct[r].uid) == NULL,
                  "P8: account uid %u finds a pair", (unsigned)m->acct[r].uid);
    }
    CHECK(c->n_ports <= SBX_LAUNCH_MAX_PORTS, "P5: %zu ports", c->n_ports);
    for (size_t i = 0; i < c->n_ports && i < SBX_LAUNCH_MAX_PORTS; i++)
        CHECK(c->ports[i] > 0 && c->ports[i] < 65536, "P5: port %u", c->ports[i]);
    check_numbers(text);
}

static bool conf_equal(const struct sbx_launch_conf *a, const struct sbx_launch_conf *b)
{
    if (strcmp(a->group, b->group) != 0 || a->gid != b->gid || a->n_ports != b->n_ports ||
        strcmp(a->homes, b->homes) != 0 || a->n_members != b->n_members)
        return false;
    for (size_t i = 0; i < a->n_members; i++) {
        const struct sbx_launch_member *x = &a->members[i], *y = &b->members[i];
        if (x->member != y->member)
            return false;
        for (int r = 0; r < SBX_ROLE_COUNT; r++)
            if (strcmp(x->acct[r].name, y->acct[r].name) != 0 ||
                x->acct[r].uid != y->acct[r].uid || x->acct[r].gid != y->acct[r].gid)
                return false;
    }
    for (size_t i = 0; i < a->n_ports; i++)
        if (a->ports[i] != b->ports[i])
            return false;
    return true;
}

/* R2: format into a heap buffer of exactly len bytes. */
static void check_format_size(const struct sbx_launch_conf *c, size_t len, const char *full,
                              int full_len)
{
    char *buf = malloc(len ? len : 1);
    CHECK(buf, "out of memory");
    struct sbx_error err = {0};
    int rc = sbx_launch_conf_format(c, buf, len, &err);
    if ((size_t)full_len < len) {
        CHECK(rc == full_len, "R2: format into %zu bytes gave %d, want %d", len, rc, full_len);
        CHECK(strcmp(buf, full) == 0, "R2: format into %zu bytes gave other text", len);
    } else {
        CHECK(rc < 0 && err.code == SBX_EINVAL && rc == -err.code,
              "R2: format of %d bytes into %zu gave %d (code %d)", full_len, len, rc, err.code);
    }
    free(buf);
}

static void check_round_trip(const struct sbx_launch_conf *c, size_t seed)
{
    static char full[BIG];
    struct sbx_error err = {0};
    int n = sbx_launch_conf_format(c, full, sizeof full, &err);
    CHECK(n >= 0, "R1: format refused a parsed configuration: %s", err.msg);
    CHECK((size_t)n == strlen(full), "R1: format returned %d for %zu bytes", n, strlen(full));

    size_t sizes[] = {0, 1, (size_t)n, (size_t)n + 1, CONF_MAX, seed % ((size_t)n + 2)};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        check_format_size(c, sizes[i], full, n);

    if ((size_t)n >= CONF_MAX)
        return; /* the writer's caller refuses it as too long (R2 at CONF_MAX) */
    static struct sbx_launch_conf again;
    struct sbx_error err2 = {0};
    int rc = sbx_launch_conf_parse(full, &again, &err2);
    CHECK(rc == 0, "R3: parse refused what format wrote: %s\n--- text ---\n%s", err2.msg, full);
    CHECK(conf_equal(c, &again), "R3: parse(format(c)) differs from c\n--- text ---\n%s", full);
    static char twice[BIG];
    int m = sbx_launch_conf_format(&again, twice, sizeof twice, &err2);
    CHECK(m == n && strcmp(full, twice) == 0, "R3: format is not a fixpoint");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Exactly the bytes given, NUL-terminated: ASan sees any read past. */
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    static struct sbx_launch_conf c;
    struct sbx_error err = {0};
    int rc = sbx_launch_conf_parse(text, &c, &err);
    if (rc == 0) {
        check_accepted(text, &c);
        static struct sbx_launch_conf c2;
        struct sbx_error err2 = {0};
        CHECK(sbx_launch_conf_parse(text, &c2, &err2) == 0 && conf_equal(&c, &c2),
              "P7: a second parse differs");
        size_t seed = 0;
        for (size_t i = 0; i < size; i++)
            seed = seed * 31 + data[i];
        check_round_trip(&c, seed);
    } else {
        CHECK(rc == -SBX_ECORRUPT && err.code == SBX_ECORRUPT,
              "E1: refused with %d (code %d): %s", rc, err.code, err.msg);
        CHECK(err.msg[0] != '\0', "E1: refused with an empty message");
        CHECK(!strstr(err.msg, "(null)") || strstr(text, "(null)"),
              "E1: the message shows a NULL string: %s", err.msg);
    }
    free(text);
    return 0;
}
