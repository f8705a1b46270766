/* SPDX-License-Identifier: MIT */
/* Per-member sandbox account pairs (Linux elevated mode): their names,
 * the launcher configuration that maps each member's uid to its pair, and
 * the plan that moves a workspace's grant from the shared pair to its
 * owner's own. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "migrate/plan.h"
#include "modes/common/linux/launch_conf.h"
#include "modes/common/linux/names.h"

static void names_for(struct sbx_elevated_names *n, const char *prefix)
{
    setenv("SBX_ELEVATED_PREFIX", prefix, 1);
    unsetenv("SBX_ELEVATED_SHARED_PAIR");
    assert_int_equal(sbx_elevated_names(n, NULL), 0);
}

static void test_pair_names(void **state)
{
    (void)state;
    struct sbx_elevated_names n;
    names_for(&n, "sbx-");
    struct sbx_member_pair p, q;
    assert_int_equal(sbx_elevated_member_pair(&n, "alice", &p, NULL), 0);
    assert_string_equal(p.offline, "sbx-alice-off");
    assert_string_equal(p.online, "sbx-alice-on");
    assert_string_equal(p.table, "sbx_alice_off");
    assert_true(sbx_elevated_is_member_account(&n, p.offline));
    assert_true(sbx_elevated_is_member_account(&n, p.online));
    assert_true(sbx_elevated_is_member_table(&n, p.table));
    assert_false(sbx_elevated_is_member_account(&n, "sbx-offline"));
    assert_false(sbx_elevated_is_member_table(&n, "sbx"));
    /* Long, or not [a-z0-9_-]: a short form with a hash, bounded. */
    const char *odd[] = {"a-very-long-user-name-of-someone-at-example", "Bob.Smith",
                         "a-very-long-user-name-of-someone-at-exampl3"};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(sbx_elevated_member_pair(&n, odd[i], &p, NULL), 0);
        assert_true(strlen(p.offline) <= SBX_ACCOUNT_NAME_MAX);
        assert_true(strlen(p.online) <= SBX_ACCOUNT_NAME_MAX);
        assert_true(strlen(p.table) <= SBX_ACCOUNT_NAME_MAX);
        assert_true(sbx_elevated_is_member_account(&n, p.offline));
        assert_int_equal(strspn(p.offline, "abcdefghijklmnopqrstuvwxyz0123456789-"),
                         strlen(p.offline));
        /* deterministic */
        assert_int_equal(sbx_elevated_member_pair(&n, odd[i], &q, NULL), 0);
        assert_string_equal(p.offline, q.offline);
    }
    /* Two long names sharing a head differ by their hash. */
    assert_int_equal(sbx_elevated_member_pair(&n, odd[0], &p, NULL), 0);
    assert_int_equal(sbx_elevated_member_pair(&n, odd[2], &q, NULL), 0);
    assert_string_not_equal(p.offline, q.offline);
    /* A member's online name is never another's offline name. */
    assert_int_equal(sbx_elevated_member_pair(&n, "x-on", &p, NULL), 0);
    assert_int_equal(sbx_elevated_member_pair(&n, "x", &q, NULL), 0);
    assert_string_not_equal(p.offline, q.online);
    /* The longest prefix still leaves room. */
    names_for(&n, "sbxr1234567-abcd");
    assert_int_equal(sbx_elevated_member_pair(&n, "someone-with-a-name", &p, NULL), 0);
    assert_true(strlen(p.offline) <= SBX_ACCOUNT_NAME_MAX);
    assert_int_not_equal(sbx_elevated_member_pair(&n, "", &p, NULL), 0);
    /* Another setup's accounts are not this one's. */
    names_for(&n, "sbx-");
    assert_false(sbx_elevated_is_member_account(&n, "sbxr1-alice-off"));
    assert_false(sbx_elevated_is_member_table(&n, "sbxr1_alice_off"));
    unsetenv("SBX_ELEVATED_PREFIX");
}

static const char good[] = "sbx-launch-conf 2\n"
                           "group sbx-users 990\n"
                           "homes /var/lib/sbx/elevated/home\n"
                           "member 1001 sbx-a-off 901 901 sbx-a-on 902 902\n"
                           "member 1002 sbx-b-off 903 903 sbx-b-on 904 904\n"
                           "loopback_port 3128\n";

static void test_conf_members(void **state)
{
    (void)state;
    static struct sbx_launch_conf c, again;
    struct sbx_error err = {0};
    assert_int_equal(sbx_launch_conf_parse(good, &c, &err), 0);
    assert_int_equal(c.n_members, 2);
    const struct sbx_launch_member *m = sbx_launch_conf_member(&c, 1002);
    assert_non_null(m);
    assert_string_equal(m->acct[SBX_ROLE_OFFLINE].name, "sbx-b-off");
    assert_int_equal(m->acct[SBX_ROLE_ONLINE].uid, 904);
    assert_null(sbx_launch_conf_member(&c, 1003)); /* no pair: refused */
    assert_null(sbx_launch_conf_member(&c, 901));
    struct sbx_launch_account a;
    assert_int_equal(sbx_launch_conf_account(&c, m, SBX_ROLE_ONLINE, &a, &err), 0);
    assert_string_equal(a.home, "/var/lib/sbx/elevated/home/sbx-b-on");
    char buf[4096];
    int n = sbx_launch_conf_format(&c, buf, sizeof buf, &err);
    assert_true(n > 0);
    assert_int_equal(sbx_launch_conf_parse(buf, &again, &err), 0);
    assert_memory_equal(&c, &again, sizeof c);
}

static void test_conf_refuses_shared(void **state)
{
    (void)state;
    static struct sbx_launch_conf c;
    static const char *const bad[] = {
        /* an account of one member is another's */
        "sbx-launch-conf 2\ngroup g 9\nhomes /h\nmember 1 a 5 5 b 6 6\nmember 2 c 5 5 d 7 7\n",
        /* by name */
        "sbx-launch-conf 2\ngroup g 9\nhomes /h\nmember 1 a 5 5 b 6 6\nmember 2 a 8 8 d 7 7\n",
        /* offline and online the same */
        "sbx-launch-conf 2\ngroup g 9\nhomes /h\nmember 1 a 5 5 b 5 5\n",
        /* a member twice */
        "sbx-launch-conf 2\ngroup g 9\nhomes /h\nmember 1 a 5 5 b 6 6\nmember 1 c 7 7 d 8 8\n",
        /* an account that is a member (or root) */
        "sbx-launch-conf 2\ngroup g 9\nhomes /h\nmember 1 a 5 5 b 6 6\nmember 5 c 7 7 d 8 8\n",
        "sbx-launch-conf 2\ngroup g 9\nhomes /h\nmember 1 a 0 5 b 6 6\n",
        /* no homes; two groups; the old format */
        "sbx-launch-conf 2\ngroup g 9\nmember 1 a 5 5 b 6 6\n",
        "sbx-launch-conf 2\ngroup g 9\ngroup h 8\nhomes /h\n",
        "sbx-launch-conf 1\ngroup g 9\naccount offline a 5 5 /h/a\naccount online b 6 6 /h/b\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct sbx_error err = {0};
        int rc = sbx_launch_conf_parse(bad[i], &c, &err);
        if (rc != -SBX_ECORRUPT)
            fail_msg("case %zu accepted (%d): %s", i, rc, bad[i]);
    }
}

static int add_tree(struct sbx_resource_list *l, const char *off, const char *on, const char *ws)
{
    char key[256], detail[256];
    snprintf(key, sizeof key, "tree:%s,%s,me:%s", off, on, ws);
    snprintf(detail, sizeof detail, "grantee=%s\nalso=%s\nowner=me\nentry=tree\n", off, on);
    return sbx_rlist_add(l, SBX_R_ACL_ENTRY, key, NULL, NULL, ws, detail, "elevated");
}

/* Moving a workspace from the shared pair to its owner's: the old tree
 * grant goes before the new one is made (both carry the owner's default
 * entries); other deletions stay after the creations. */
static void test_plan_moves_grant(void **state)
{
    (void)state;
    struct sbx_resource_list cur = {0}, want = {0};
    assert_int_equal(add_tree(&cur, "sbx-offline", "sbx-online", "/w"), 0);
    assert_int_equal(sbx_rlist_add(&cur, SBX_R_ACL_ENTRY, "traverse:sbx-offline:/", NULL, NULL,
                                   "/", "grantee=sbx-offline\nentry=traverse\n", "elevated"),
                     0);
    assert_int_equal(add_tree(&want, "sbx-me-off", "sbx-me-on", "/w"), 0);
    struct sbx_plan p = {0};
    assert_int_equal(sbx_plan_compute(&cur, &want, "migrate", &p, NULL), 0);
    assert_int_equal(p.n_ops, 3);
    assert_int_equal(p.ops[0].action, SBX_ACT_DELETE);
    assert_string_equal(p.ops[0].res.key, "tree:sbx-offline,sbx-online,me:/w");
    assert_int_equal(p.ops[1].action, SBX_ACT_CREATE);
    assert_int_equal(p.ops[2].action, SBX_ACT_DELETE);
    assert_string_equal(p.ops[2].res.key, "traverse:sbx-offline:/");
    sbx_plan_free(&p);
    sbx_rlist_free(&cur);
    sbx_rlist_free(&want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pair_names),
        cmocka_unit_test(test_conf_members),
        cmocka_unit_test(test_conf_refuses_shared),
        cmocka_unit_test(test_plan_moves_grant),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
