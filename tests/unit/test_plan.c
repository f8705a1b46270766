/* SPDX-License-Identifier: MIT */
/* The plan engine on the fake OS: apply, failure at every operation, crash
 * at every operation (then roll back, or resume), rollback of committed
 * plans, cleanup with a lost ledger, and never touching what is not sbx's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "migrate/plan.h"

struct world {
    char *dir;
    char fake_path[4200];
    struct sbx_os *os;
    struct sbx_ledger *ledger;
};

static void world_open(struct world *w)
{
    struct sbx_error err = {0};
    if (sbx_fake_os_open(w->fake_path, &w->os, &err))
        fail_msg("%s", err.msg);
    if (sbx_ledger_open(w->dir, SBX_LEDGER_CREATE, &w->ledger, &err) ||
        sbx_ledger_lock(w->ledger, 0, &err))
        fail_msg("%s", err.msg);
}

static void world_close(struct world *w)
{
    sbx_ledger_close(w->ledger);
    sbx_os_destroy(w->os);
    w->ledger = NULL;
    w->os = NULL;
}

static void world_init(struct world *w)
{
    memset(w, 0, sizeof *w);
    w->dir = make_temp_dir();
    path_join(w->fake_path, sizeof w->fake_path, w->dir, "machine.fake");
    world_open(w);
    struct sbx_error err = {0};
    /* Things on the machine that are not sbx's. */
    assert_int_equal(sbx_fake_os_add_foreign(w->os, SBX_R_ACCOUNT, "dev", "dev", &err), 0);
    assert_int_equal(
        sbx_fake_os_add_foreign(w->os, SBX_R_FIREWALL_RULE, "someone-elses", NULL, &err), 0);
}

static void world_free(struct world *w)
{
    world_close(w);
    rm_tree(w->dir);
    free(w->dir);
}

/* An elevated-like setup: 9 OS objects and 2 ledger records. */
static void desired_v1(struct sbx_resource_list *l)
{
    sbx_rlist_add(l, SBX_R_MODE, "elevated", "elevated", NULL, NULL, NULL, "elevated");
    sbx_rlist_add(l, SBX_R_WORKSPACE, "/ws", NULL, NULL, "/ws", NULL, NULL);
    sbx_rlist_add(l, SBX_R_ACL_ENTRY, "/ws|sbx-offline|rwx", NULL, NULL, "/ws",
                  "grantee=sbx-offline\nrights=rwx", "elevated");
    sbx_rlist_add(l, SBX_R_ACL_ENTRY, "/ws|sbx-online|rwx", NULL, NULL, "/ws",
                  "grantee=sbx-online\nrights=rwx", "elevated");
    sbx_rlist_add(l, SBX_R_INSTALLED_FILE, "/usr/libexec/sbx-launch", NULL, NULL,
                  "/usr/libexec/sbx-launch", "mode=4750", "elevated");
    sbx_rlist_add(l, SBX_R_FIREWALL_RULE, "block-offline", "block-offline", NULL, NULL,
                  "account=sbx-offline", "elevated");
    sbx_rlist_add(l, SBX_R_CREDENTIAL, "sbx-offline", NULL, NULL, NULL, "account=sbx-offline",
                  "elevated");
    sbx_rlist_add(l, SBX_R_MEMBERSHIP, "sbx-users:dev", NULL, NULL, NULL,
                  "group=sbx-users\nmember=dev", "elevated");
    sbx_rlist_add(l, SBX_R_ACCOUNT, "sbx-online", "sbx-online", NULL, NULL, NULL, "elevated");
    sbx_rlist_add(l, SBX_R_ACCOUNT, "sbx-offline", "sbx-offline", NULL, NULL, NULL, "elevated");
    sbx_rlist_add(l, SBX_R_GROUP, "sbx-users", "sbx-users", NULL, NULL, NULL, "elevated");
}
#define V1_OS_OPS 9

/* A newer version: a changed firewall rule and ACL right, one ACL entry
 * dropped, a second workspace: 3 creates and 3 deletes on the OS. */
static void desired_v2(struct sbx_resource_list *l)
{
    sbx_rlist_add(l, SBX_R_MODE, "elevated", "elevated", NULL, NULL, NULL, "elevated");
    sbx_rlist_add(l, SBX_R_WORKSPACE, "/ws", NULL, NULL, "/ws", NULL, NULL);
    sbx_rlist_add(l, SBX_R_WORKSPACE, "/ws2", NULL, NULL, "/ws2", NULL, NULL);
    sbx_rlist_add(l, SBX_R_ACL_ENTRY, "/ws|sbx-offline|rwxd", NULL, NULL, "/ws",
                  "grantee=sbx-offline\nrights=rwxd", "elevated");
    sbx_rlist_add(l, SBX_R_ACL_ENTRY, "/ws2|sbx-offline|rwxd", NULL, NULL, "/ws2",
                  "grantee=sbx-offline\nrights=rwxd", "elevated");
    sbx_rlist_add(l, SBX_R_INSTALLED_FILE, "/usr/libexec/sbx-launch", NULL, NULL,
                  "/usr/libexec/sbx-launch", "mode=4750", "elevated");
    sbx_rlist_add(l, SBX_R_FIREWALL_RULE, "block-offline-v2", "block-offline-v2", NULL, NULL,
                  "account=sbx-offline", "elevated");
    sbx_rlist_add(l, SBX_R_CREDENTIAL, "sbx-offline", NULL, NULL, NULL, "account=sbx-offline",
                  "elevated");
    sbx_rlist_add(l, SBX_R_MEMBERSHIP, "sbx-users:dev", NULL, NULL, NULL,
                  "group=sbx-users\nmember=dev", "elevated");
    sbx_rlist_add(l, SBX_R_ACCOUNT, "sbx-online", "sbx-online", NULL, NULL, NULL, "elevated");
    sbx_rlist_add(l, SBX_R_ACCOUNT, "sbx-offline", "sbx-offline", NULL, NULL, NULL, "elevated");
    sbx_rlist_add(l, SBX_R_GROUP, "sbx-users", "sbx-users", NULL, NULL, NULL, "elevated");
}
#define V2_OS_OPS 6

static int plan_to(struct world *w, void (*desired)(struct sbx_resource_list *),
                   const char *fault, struct sbx_plan *p, struct sbx_error *err)
{
    struct sbx_resource_list cur = {0}, want = {0};
    if (desired)
        desired(&want);
    assert_int_equal(sbx_ledger_resources(w->ledger, &cur, err), 0);
    assert_int_equal(sbx_plan_compute(&cur, &want, "test", p, err), 0);
    struct sbx_fault f;
    struct sbx_engine e = {.ledger = w->ledger, .os = w->os, .fault = &f};
    assert_int_equal(sbx_fault_parse(fault, &f, err), 0);
    int rc = sbx_plan_apply(&e, p, err);
    sbx_rlist_free(&cur);
    sbx_rlist_free(&want);
    return rc;
}

static void apply_ok(struct world *w, void (*desired)(struct sbx_resource_list *))
{
    struct sbx_plan p = {0};
    struct sbx_error err = {0};
    if (plan_to(w, desired, NULL, &p, &err))
        fail_msg("plan failed: %s", err.msg);
    assert_int_equal(p.state, SBX_PLAN_COMMITTED);
    sbx_plan_free(&p);
}

/* The ledger's present resources as sorted text (kind|key|principal). */
static char *ledger_text(struct sbx_ledger *l)
{
    struct sbx_resource_list rs = {0};
    struct sbx_error err = {0};
    assert_int_equal(sbx_ledger_resources(l, &rs, &err), 0);
    size_t cap = 64 + rs.len * 512;
    char *out = calloc(1, cap);
    for (size_t i = 0; i < rs.len; i++) {
        char line[512];
        snprintf(line, sizeof line, "%s|%s|%s\n", sbx_rkind_name(rs.items[i].kind),
                 rs.items[i].key, rs.items[i].principal ? rs.items[i].principal : "");
        strcat(out, line);
    }
    sbx_rlist_free(&rs);
    return out;
}

static char *machine_text(struct world *w)
{
    char *s = NULL;
    struct sbx_error err = {0};
    assert_int_equal(sbx_fake_os_snapshot(w->os, &s, &err), 0);
    return s;
}

/* --- tests ---------------------------------------------------------------- */

/* One operation of an expected plan, written out. */
struct want_op {
    enum sbx_action action;
    enum sbx_rkind kind;
    const char *key;
};
#define C SBX_ACT_CREATE
#define D SBX_ACT_DELETE

static void check_plan(void (*before)(struct sbx_resource_list *),
                       void (*after)(struct sbx_resource_list *), const struct want_op *want,
                       size_t n_want)
{
    struct sbx_resource_list cur = {0}, des = {0};
    if (before)
        before(&cur);
    if (after)
        after(&des);
    struct sbx_plan p;
    struct sbx_error err = {0};
    assert_int_equal(sbx_plan_compute(&cur, &des, "test", &p, &err), 0);
    for (size_t i = 0; i < p.n_ops || i < n_want; i++) {
        if (i >= p.n_ops || i >= n_want)
            fail_msg("the plan has %u operations, not %u", (unsigned)p.n_ops, (unsigned)n_want);
        const struct sbx_plan_op *op = &p.ops[i];
        if (op->action != want[i].action || op->res.kind != want[i].kind ||
            strcmp(op->res.key, want[i].key) != 0)
            fail_msg("operation %u: %s %s %s, want %s %s %s", (unsigned)i + 1,
                     op->action == C ? "create" : "delete", sbx_rkind_name(op->res.kind),
                     op->res.key, want[i].action == C ? "create" : "delete",
                     sbx_rkind_name(want[i].kind), want[i].key);
    }
    sbx_plan_free(&p);
    sbx_rlist_free(&cur);
    sbx_rlist_free(&des);
}

/* Setup: containers before their contents (the group before its member,
 * accounts before the rules and entries that name them), the mode marker
 * last; within a kind, by key. */
static void test_plan_setup_written_out(void **state)
{
    (void)state;
    static const struct want_op want[] = {
        {C, SBX_R_GROUP, "sbx-users"},
        {C, SBX_R_ACCOUNT, "sbx-offline"},
        {C, SBX_R_ACCOUNT, "sbx-online"},
        {C, SBX_R_MEMBERSHIP, "sbx-users:dev"},
        {C, SBX_R_CREDENTIAL, "sbx-offline"},
        {C, SBX_R_FIREWALL_RULE, "block-offline"},
        {C, SBX_R_INSTALLED_FILE, "/usr/libexec/sbx-launch"},
        {C, SBX_R_WORKSPACE, "/ws"},
        {C, SBX_R_ACL_ENTRY, "/ws|sbx-offline|rwx"},
        {C, SBX_R_ACL_ENTRY, "/ws|sbx-online|rwx"},
        {C, SBX_R_MODE, "elevated"},
    };
    check_plan(NULL, desired_v1, want, sizeof want / sizeof want[0]);
}

/* Cleanup: the exact reverse of setup. */
static void test_plan_cleanup_written_out(void **state)
{
    (void)state;
    static const struct want_op want[] = {
        {D, SBX_R_MODE, "elevated"},
        {D, SBX_R_ACL_ENTRY, "/ws|sbx-online|rwx"},
        {D, SBX_R_ACL_ENTRY, "/ws|sbx-offline|rwx"},
        {D, SBX_R_WORKSPACE, "/ws"},
        {D, SBX_R_INSTALLED_FILE, "/usr/libexec/sbx-launch"},
        {D, SBX_R_FIREWALL_RULE, "block-offline"},
        {D, SBX_R_CREDENTIAL, "sbx-offline"},
        {D, SBX_R_MEMBERSHIP, "sbx-users:dev"},
        {D, SBX_R_ACCOUNT, "sbx-online"},
        {D, SBX_R_ACCOUNT, "sbx-offline"},
        {D, SBX_R_GROUP, "sbx-users"},
    };
    check_plan(desired_v1, NULL, want, sizeof want / sizeof want[0]);
}

/* An upgrade: only the difference, every create (in setup order) before
 * every delete (in cleanup order), so the new rule is in place before the
 * old one goes.  The same sets: nothing to do. */
static void test_plan_upgrade_written_out(void **state)
{
    (void)state;
    static const struct want_op want[] = {
        {C, SBX_R_FIREWALL_RULE, "block-offline-v2"},
        {C, SBX_R_WORKSPACE, "/ws2"},
        {C, SBX_R_ACL_ENTRY, "/ws2|sbx-offline|rwxd"},
        {C, SBX_R_ACL_ENTRY, "/ws|sbx-offline|rwxd"},
        {D, SBX_R_ACL_ENTRY, "/ws|sbx-online|rwx"},
        {D, SBX_R_ACL_ENTRY, "/ws|sbx-offline|rwx"},
        {D, SBX_R_FIREWALL_RULE, "block-offline"},
    };
    check_plan(desired_v1, desired_v2, want, sizeof want / sizeof want[0]);
    check_plan(desired_v1, desired_v1, NULL, 0);
    check_plan(NULL, NULL, NULL, 0);
}

static void test_apply_commits_and_records_ids(void **state)
{
    (void)state;
    struct world w;
    world_init(&w);
    apply_ok(&w, desired_v1);
    assert_fake_matches_ledger(w.os, w.ledger);
    /* The uid the fake OS assigned is in the ledger, and the ACL entry
     * names the account by that uid, not by name. */
    bool present = false;
    char uid[64];
    struct sbx_error err = {0};
    assert_int_equal(sbx_fake_os_lookup(w.os, SBX_R_ACCOUNT, "sbx-offline", &present, uid,
                                        sizeof uid, &err), 0);
    assert_true(present);
    char *text = ledger_text(w.ledger);
    char expect[128];
    snprintf(expect, sizeof expect, "acl_entry|/ws|sbx-offline|rwx|%s\n", uid);
    assert_non_null(strstr(text, expect));
    free(text);
    size_t n = 0;
    assert_int_equal(sbx_fake_os_count(w.os, &n, &err), 0);
    assert_int_equal(n, V1_OS_OPS + 2); /* + the two foreign objects */
    /* Applying the same desired set again changes nothing. */
    struct sbx_plan p = {0};
    assert_int_equal(plan_to(&w, desired_v1, NULL, &p, &err), 0);
    assert_int_equal(p.n_ops, 0);
    sbx_plan_free(&p);
    world_free(&w);
}

/* fail:K for every K: the machine and the ledger end as before. */
static void check_fail_every_k(void (*before)(struct sbx_resource_list *),
                               void (*after)(struct sbx_resource_list *), int n_ops)
{
    for (int k = 1; k <= n_ops; k++) {
        struct world w;
        world_init(&w);
        if (before)
            apply_ok(&w, before);
        char *m0 = machine_text(&w), *l0 = ledger_text(w.ledger);
        char fault[32];
        snprintf(fault, sizeof fault, "fail:%d", k);
        struct sbx_plan p = {0};
        struct sbx_error err = {0};
        assert_int_equal(plan_to(&w, after, fault, &p, &err), -SBX_EFAULT);
        if (!strstr(err.msg, "rolled back"))
            fail_msg("K=%d: message does not say it rolled back: %s", k, err.msg);
        assert_int_equal(p.state, SBX_PLAN_ROLLED_BACK);
        struct sbx_plan stored;
        assert_int_equal(sbx_ledger_plan_load(w.ledger, p.id, &stored, &err), 0);
        assert_int_equal(stored.state, SBX_PLAN_ROLLED_BACK);
        for (size_t i = 0; i < stored.n_ops; i++)
            assert_true(stored.ops[i].state == SBX_OP_UNDONE ||
                        stored.ops[i].state == SBX_OP_FAILED ||
                        stored.ops[i].state == SBX_OP_PLANNED);
        sbx_plan_free(&stored);
        sbx_plan_free(&p);
        char *m1 = machine_text(&w), *l1 = ledger_text(w.ledger);
        if (strcmp(m0, m1) != 0)
            fail_msg("K=%d: machine differs after rollback:\n%s\nvs\n%s", k, m0, m1);
        assert_string_equal(l0, l1);
        assert_fake_matches_ledger(w.os, w.ledger);
        free(m0);
        free(m1);
        free(l0);
        free(l1);
        world_free(&w);
    }
}

static void test_fail_every_k_setup(void **state)
{
    (void)state;
    check_fail_every_k(NULL, desired_v1, V1_OS_OPS);
}

static void test_fail_every_k_upgrade(void **state)
{
    (void)state;
    check_fail_every_k(desired_v1, desired_v2, V2_OS_OPS);
}

static void test_fail_every_k_cleanup(void **state)
{
    (void)state;
    check_fail_every_k(desired_v1, NULL, V1_OS_OPS);
}

/* This test program's path, to run a plan in a child process. */
static const char *self_path;

static void (*const variants[])(struct sbx_resource_list *) = {NULL, desired_v1, desired_v2};

static int variant_index(void (*desired)(struct sbx_resource_list *))
{
    for (int i = 0; i < 3; i++)
        if (variants[i] == desired)
            return i;
    return 0;
}

/* The child: run the plan to `variant` with SBX_FAULT-style crash:K. */
static int crash_child(const char *dir, const char *variant, const char *k)
{
    struct world w;
    memset(&w, 0, sizeof w);
    w.dir = (char *)dir;
    path_join(w.fake_path, sizeof w.fake_path, w.dir, "machine.fake");
    world_open(&w);
    char fault[48];
    /* A number is crash:K; anything else is the whole SBX_FAULT spec. */
    snprintf(fault, sizeof fault, strchr(k, ':') ? "%s" : "crash:%s", k);
    struct sbx_plan p = {0};
    struct sbx_error err = {0};
    plan_to(&w, variants[atoi(variant) % 3], fault, &p, &err);
    fprintf(stderr, "crash child: the plan ended without crashing: %s\n", err.msg);
    return 0; /* not reached when the crash happens */
}

/* The plan from before to after, run in a child that dies as spec says
 * (crash:K, or fail:K,crash:M to die in the rollback); then recover by
 * rollback or resume, and check the outcome. */
static void crash_once(void (*before)(struct sbx_resource_list *),
                       void (*after)(struct sbx_resource_list *), const char *spec, bool resume)
{
    struct world w;
    world_init(&w);
    if (before)
        apply_ok(&w, before);
    char *m0 = machine_text(&w), *l0 = ledger_text(w.ledger);
    world_close(&w);
    /* The plan runs in another process that dies as spec says. */
    char vbuf[16];
    snprintf(vbuf, sizeof vbuf, "%d", variant_index(after));
    const char *args[] = {"--crash-child", w.dir, vbuf, spec, NULL};
    int status = spawn_self(self_path, args);
    if (status != CRASH_STATUS)
        fail_msg("%s: the child did not crash (status %d)", spec, status);

    world_open(&w);
    struct sbx_engine e = {.ledger = w.ledger, .os = w.os};
    struct sbx_error err = {0};
    bool found = false;
    if (sbx_plan_recover(&e, resume, &found, &err))
        fail_msg("%s: recovery failed: %s", spec, err.msg);
    assert_true(found);
    int64_t running = 1;
    assert_int_equal(sbx_ledger_plan_running(w.ledger, &running, &err), 0);
    assert_int_equal(running, 0);
    assert_fake_matches_ledger(w.os, w.ledger);
    char *m1 = machine_text(&w), *l1 = ledger_text(w.ledger);
    if (resume) {
        /* The plan was finished: the ledger holds exactly the desired
         * set. */
        struct sbx_resource_list want = {0}, have = {0};
        if (after)
            after(&want);
        assert_int_equal(sbx_ledger_resources(w.ledger, &have, &err), 0);
        assert_int_equal(have.len, want.len);
        for (size_t i = 0; i < want.len; i++)
            assert_true(sbx_rlist_find(&have, want.items[i].kind, want.items[i].key) >= 0);
        sbx_rlist_free(&want);
        sbx_rlist_free(&have);
    } else {
        if (strcmp(m0, m1) != 0)
            fail_msg("%s: machine differs after recovery:\n%s\nvs\n%s", spec, m0, m1);
        /* Ids may be reassigned when a deleted object is re-created,
         * so compare keys where the OS had to make objects again. */
        if (strcmp(l0, l1) != 0 && before == NULL)
            fail_msg("%s: ledger differs after recovery:\n%s\nvs\n%s", spec, l0, l1);
    }
    free(m0);
    free(m1);
    free(l0);
    free(l1);
    /* A second recovery finds nothing. */
    assert_int_equal(sbx_plan_recover(&e, resume, &found, &err), 0);
    assert_false(found);
    world_free(&w);
}

/* crash:K for every K. */
static void check_crash_every_k(void (*before)(struct sbx_resource_list *),
                                void (*after)(struct sbx_resource_list *), int n_ops, bool resume)
{
    for (int k = 1; k <= n_ops; k++) {
        char spec[32];
        snprintf(spec, sizeof spec, "crash:%d", k);
        crash_once(before, after, spec, resume);
    }
}

/* fail:K, then a crash at every operation M of the rollback it starts
 * (the K-1 undone operations come after K in the count). */
static void check_crash_in_every_rollback(void (*before)(struct sbx_resource_list *),
                                          void (*after)(struct sbx_resource_list *), int n_ops,
                                          bool resume)
{
    for (int k = 2; k <= n_ops; k++)
        for (int m = k + 1; m <= 2 * k - 1; m++) {
            char spec[48];
            snprintf(spec, sizeof spec, "fail:%d,crash:%d", k, m);
            crash_once(before, after, spec, resume);
        }
}

static void test_crash_in_rollback(void **state)
{
    (void)state;
    for (int resume = 0; resume < 2; resume++) {
        check_crash_in_every_rollback(NULL, desired_v1, V1_OS_OPS, resume);
        check_crash_in_every_rollback(desired_v1, desired_v2, V2_OS_OPS, resume);
        check_crash_in_every_rollback(desired_v1, NULL, V1_OS_OPS, resume);
    }
}

static void test_crash_every_k_rollback(void **state)
{
    (void)state;
    check_crash_every_k(NULL, desired_v1, V1_OS_OPS, false);
    check_crash_every_k(desired_v1, desired_v2, V2_OS_OPS, false);
    check_crash_every_k(desired_v1, NULL, V1_OS_OPS, false);
}

static void test_crash_every_k_resume(void **state)
{
    (void)state;
    check_crash_every_k(NULL, desired_v1, V1_OS_OPS, true);
    check_crash_every_k(desired_v1, desired_v2, V2_OS_OPS, true);
    check_crash_every_k(desired_v1, NULL, V1_OS_OPS, true);
}

static int rollback_last(struct world *w, struct sbx_plan *p, struct sbx_error *err)
{
    int rc = sbx_plan_compute_rollback(w->ledger, p, err);
    if (rc)
        return rc;
    struct sbx_engine e = {.ledger = w->ledger, .os = w->os};
    return sbx_plan_apply(&e, p, err);
}

static void test_rollback_walks_back(void **state)
{
    (void)state;
    struct world w;
    world_init(&w);
    char *m_empty = machine_text(&w);
    apply_ok(&w, desired_v1);
    char *m_v1 = machine_text(&w);
    apply_ok(&w, desired_v2);
    struct sbx_plan p = {0};
    struct sbx_error err = {0};
    assert_int_equal(rollback_last(&w, &p, &err), 0);
    assert_true(p.undoes > 0);
    sbx_plan_free(&p);
    char *m = machine_text(&w);
    assert_string_equal(m, m_v1);
    free(m);
    assert_fake_matches_ledger(w.os, w.ledger);
    assert_int_equal(rollback_last(&w, &p, &err), 0);
    sbx_plan_free(&p);
    m = machine_text(&w);
    assert_string_equal(m, m_empty);
    free(m);
    assert_fake_matches_ledger(w.os, w.ledger);
    /* Nothing left to roll back. */
    assert_int_equal(sbx_plan_compute_rollback(w.ledger, &p, &err), 0);
    assert_int_equal(p.undoes, 0);
    sbx_plan_free(&p);
    free(m_empty);
    free(m_v1);
    world_free(&w);
}

static void test_lost_ledger_cleanup_by_markers(void **state)
{
    (void)state;
    struct world w;
    world_init(&w);
    char *m_empty = machine_text(&w);
    apply_ok(&w, desired_v1);
    /* The ledger is lost: a new, empty one knows nothing. */
    sbx_ledger_close(w.ledger);
    char db[4200];
    path_join(db, sizeof db, w.dir, "ledger.db");
    unlink(db);
    struct sbx_error err = {0};
    assert_int_equal(sbx_ledger_open(w.dir, SBX_LEDGER_CREATE, &w.ledger, &err), 0);
    assert_int_equal(sbx_ledger_lock(w.ledger, 0, &err), 0);
    struct sbx_resource_list marked = {0}, none = {0};
    assert_int_equal(sbx_os_find_marked(w.os, &marked, &err), 0);
    assert_int_equal(marked.len, V1_OS_OPS);
    struct sbx_plan p = {0};
    assert_int_equal(sbx_plan_compute(&marked, &none, "cleanup", &p, &err), 0);
    struct sbx_engine e = {.ledger = w.ledger, .os = w.os};
    if (sbx_plan_apply(&e, &p, &err))
        fail_msg("%s", err.msg);
    sbx_plan_free(&p);
    sbx_rlist_free(&marked);
    char *m = machine_text(&w);
    assert_string_equal(m, m_empty); /* the foreign objects are still there */
    free(m);
    free(m_empty);
    world_free(&w);
}

static void test_tampered_ledger_never_removes_foreign(void **state)
{
    (void)state;
    struct world w;
    world_init(&w);
    apply_ok(&w, desired_v1);
    char *m0 = machine_text(&w);
    /* A tampered plan asks to delete the user's own account and another
     * tool's firewall rule. */
    struct sbx_resource_list cur = {0}, none = {0};
    sbx_rlist_add(&cur, SBX_R_FIREWALL_RULE, "someone-elses", NULL, NULL, NULL, NULL, NULL);
    sbx_rlist_add(&cur, SBX_R_ACCOUNT, "dev", "dev", NULL, NULL, NULL, NULL);
    struct sbx_plan p = {0};
    struct sbx_error err = {0};
    assert_int_equal(sbx_plan_compute(&cur, &none, "cleanup", &p, &err), 0);
    struct sbx_engine e = {.ledger = w.ledger, .os = w.os};
    assert_int_equal(sbx_plan_apply(&e, &p, &err), -SBX_EPERM);
    assert_non_null(strstr(err.msg, "not sbx's"));
    sbx_plan_free(&p);
    char *m1 = machine_text(&w);
    assert_string_equal(m0, m1);
    free(m0);
    free(m1);
    sbx_rlist_free(&cur);
    world_free(&w);
}

static void test_fault_spec_parsing(void **state)
{
    (void)state;
    struct sbx_fault f;
    struct sbx_error err = {0};
    assert_int_equal(sbx_fault_parse(NULL, &f, &err), 0);
    assert_int_equal(f.fail_k + f.crash_k, 0);
    assert_int_equal(sbx_fault_parse("fail:3", &f, &err), 0);
    assert_int_equal(f.fail_k, 3);
    assert_int_equal(f.crash_k, 0);
    assert_int_equal(sbx_fault_parse("crash:1", &f, &err), 0);
    assert_int_equal(f.crash_k, 1);
    assert_int_equal(f.fail_k, 0);
    assert_int_equal(sbx_fault_parse("fail:2,crash:5", &f, &err), 0);
    assert_int_equal(f.fail_k, 2);
    assert_int_equal(f.crash_k, 5);
    assert_int_equal(sbx_fault_parse("crash:5,fail:2", &f, &err), 0);
    assert_int_equal(f.fail_k, 2);
    assert_int_equal(f.crash_k, 5);
    const char *bad[] = {"fail",          "fail:",          "fail:0",        "fail:-1",
                         "fail:x",        "boom:1",         "crash:1x",      "fail:2,crash:2",
                         "fail:3,crash:1", "fail:1,fail:2", "fail:1,",       ",fail:1",
                         "fail:1,crash:3,crash:4", "fail:99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(sbx_fault_parse(bad[i], &f, &err), -SBX_EINVAL);
}

int main(int argc, char **argv)
{
    self_path = argv[0];
    if (argc == 5 && strcmp(argv[1], "--crash-child") == 0)
        return crash_child(argv[2], argv[3], argv[4]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_setup_written_out),
        cmocka_unit_test(test_plan_cleanup_written_out),
        cmocka_unit_test(test_plan_upgrade_written_out),
        cmocka_unit_test(test_apply_commits_and_records_ids),
        cmocka_unit_test(test_fail_every_k_setup),
        cmocka_unit_test(test_fail_every_k_upgrade),
        cmocka_unit_test(test_fail_every_k_cleanup),
        cmocka_unit_test(test_crash_every_k_rollback),
        cmocka_unit_test(test_crash_in_rollback),
        cmocka_unit_test(test_crash_every_k_resume),
        cmocka_unit_test(test_rollback_walks_back),
        cmocka_unit_test(test_lost_ledger_cleanup_by_markers),
        cmocka_unit_test(test_tampered_ledger_never_removes_foreign),
        cmocka_unit_test(test_fault_spec_parsing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
