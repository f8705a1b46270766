/* SPDX-License-Identifier: MIT */
/* No traverse entries on a workspace's ancestors (issue 12 item 14), on
 * the real machine through the real sbx, as root:
 *   - two members A and B (the throwaway caller and stranger), each with a
 *     0700 home holding a 0644 file beside its workspace: neither file is
 *     readable to either member's sandbox, while both workspaces work, and
 *     the homes carry no entry for a sandbox account (control: with the
 *     traverse entry an older sbx made, A's account reads A's file);
 *   - a machine set up by an older sbx that granted traverse on the
 *     ancestors (SBX_ELEVATED_TRAVERSE=1): root's `sbx migrate`, and the
 *     member's own, revoke them; root's crashes and fails at every
 *     operation and recovers (`migrate --resume`, or the next migrate
 *     rolling back and going on, or migrate again); the member's rollback
 *     and cleanup remove them from such a ledger too.  After each, the
 *     machine is as before sbx ran (snapshot, getfacl of every ancestor
 *     included). */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "recovery_env.h"

static const char *const old_env[] = {"SBX_ELEVATED_TRAVERSE=1", NULL};

/* Does the home carry an entry for one of the caller's sandbox accounts? */
static bool home_has_entry(const struct rec_env *e)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "getfacl -p %s 2>/dev/null | grep -q -E '^user:(%s|%s):'",
             e->home, e->names.offline, e->names.online);
    return rec_sh("%s", cmd) == 0;
}

/* A run in each workspace works and sees, in the home, only the way to
 * the workspaces. */
static void check_runs(const struct rec_env *e, const char *how)
{
    const char *wss[2] = {e->ws1, e->ws2};
    for (int i = 0; i < 2; i++) {
        char script[600];
        snprintf(script, sizeof script,
                 "echo again > made-here && rm made-here && ls -A %s | tr '\\n' ' '; "
                 "cat %s/secret 2>/dev/null; echo done",
                 e->home, e->home);
        struct rec_cmd c = {.as_caller = true,
                            .cwd = wss[i],
                            .argv = {"run", "--", "sh", "-c", script, NULL}};
        rec_start(e, &c);
        int st = rec_wait(&c);
        /* the home holds the way to the run's workspaces, no more */
        const char *own = i == 0 ? "ws1" : "ws2";
        bool tidy = strstr(c.out, own) && !strstr(c.out, "secret") &&
                    !strstr(c.out, "SECRET") && !strstr(c.out, ".local");
        if (st != 0 || !tidy || !strstr(c.out, "done\n"))
            fail_msg("%s: a run in %s: exit %d: '%s' / %s", how, wss[i], st, c.out, c.err);
        rec_cmd_free(&c);
    }
}

static void put_secret(const char *home, const char *owner)
{
    assert_int_equal(rec_sh("echo HOME-SECRET > %s/secret && chown %s: %s/secret && "
                            "chmod 0644 %s/secret",
                            home, owner, home, home),
                     0);
}

static void test_two_members_homes(void **state)
{
    (void)state;
    static struct rec_env e;
    struct rec_env b;
    rec_env_init(&e, 0);
    rec_member_b(&e, &b);
    put_secret(e.home, e.caller);
    put_secret(b.home, e.stranger);
    struct sbx_member_pair pa, pb;
    assert_int_equal(sbx_elevated_member_pair(&e.names, e.caller, &pa, NULL), 0);
    assert_int_equal(sbx_elevated_member_pair(&e.names, e.stranger, &pb, NULL), 0);
    rec_sbx_ok(&e, false, 0, "setup", "--mode", "elevated", "--user", e.caller, NULL);
    rec_sbx_ok(&e, false, 0, "setup", "--mode", "elevated", "--user", e.stranger, NULL);
    rec_sbx_ok(&e, true, 0, "workspace", "add", e.ws1, NULL);
    rec_sbx_ok(&b, true, 0, "workspace", "add", b.ws1, NULL);

    /* Control: the home is what keeps the file from the account; with the
     * traverse entry an older sbx made, the account reads it. */
    assert_int_equal(rec_sh("setfacl -m u:%s:x %s", pa.offline, e.home), 0);
    int control = rec_sh("setpriv --reuid %s --regid %s --clear-groups cat %s/secret "
                         ">/dev/null 2>&1",
                         pa.offline, pa.offline, e.home);
    assert_int_equal(rec_sh("setfacl -x u:%s %s", pa.offline, e.home), 0);
    if (control != 0)
        fail_msg("control: %s can't read %s/secret through a traverse entry", pa.offline,
                 e.home);

    const struct rec_env *members[2] = {&e, &b};
    const char *homes[2] = {e.home, b.home};
    for (int m = 0; m < 2; m++) {
        char script[1024];
        snprintf(script, sizeof script,
                 "id -un; cat %s/secret %s/secret 2>/dev/null; ls -A %s %s 2>/dev/null; "
                 "echo ok > made-by-run && cat made-by-run && rm made-by-run; echo done",
                 homes[0], homes[1], homes[0], homes[1]);
        struct rec_cmd c = {.as_caller = true, .argv = {"run", "--", "sh", "-c", script, NULL}};
        rec_start(members[m], &c);
        int st = rec_wait(&c);
        const char *acct = m == 0 ? pa.offline : pb.offline;
        if (st != 0 || strstr(c.out, "HOME-SECRET") || strstr(c.out, "secret") ||
            strstr(c.out, ".local") || !strstr(c.out, "ok\ndone") ||
            strncmp(c.out, acct, strlen(acct)) != 0)
            fail_msg("member %c's sandbox: exit %d: %s / %s", m == 0 ? 'A' : 'B', st, c.out,
                     c.err);
        rec_cmd_free(&c);
    }
    for (int m = 0; m < 2; m++) {
        char cmd[512];
        snprintf(cmd, sizeof cmd,
                 "getfacl -p -n %s | grep -q -E '^user:(%u|%u|%u|%u):'", homes[m],
                 (unsigned)getpwnam(pa.offline)->pw_uid, (unsigned)getpwnam(pa.online)->pw_uid,
                 (unsigned)getpwnam(pb.offline)->pw_uid, (unsigned)getpwnam(pb.online)->pw_uid);
        if (rec_sh("%s", cmd) == 0)
            fail_msg("%s carries an entry for a sandbox account", homes[m]);
    }
    rec_sh("rm -f %s/secret %s/secret", e.home, b.home);
    rec_sbx_ok(&b, true, 0, "cleanup", NULL);
    rec_cleanup_all(&e);
    rec_env_fini(&e);
}

/* The machine as an sbx with traverse entries left it: the caller in the
 * elevated mode, its home crossable by its accounts. */
static void old_setup(const struct rec_env *e)
{
    rec_unelevated_setup(e);
    int st = rec_sbx(e, false, old_env, NULL, NULL, "migrate", "--to", "elevated", "--user",
                     e->caller, NULL);
    assert_int_equal(st, 0);
    if (!home_has_entry(e))
        fail_msg("the older sbx's setup made no traverse entry on %s", e->home);
    put_secret(e->home, e->caller);
}

static void check_revoked(const struct rec_env *e, const char *how)
{
    if (home_has_entry(e))
        fail_msg("%s: %s still carries a traverse entry", how, e->home);
    check_runs(e, how);
}

static void finish(const struct rec_env *e, const char *how)
{
    rec_sh("rm -f %s/secret", e->home);
    rec_back_to_start(e, NULL, how);
}

static void test_migrate_revokes(void **state)
{
    (void)state;
    static struct rec_env e;
    rec_env_init(&e, 0);
    old_setup(&e);
    rec_sbx_ok(&e, false, 0, "migrate", NULL);
    check_revoked(&e, "root's migrate");
    finish(&e, "root's migrate");
    rec_env_fini(&e);

    rec_env_init(&e, 0);
    old_setup(&e);
    rec_sbx_ok(&e, true, 0, "migrate", NULL);
    check_revoked(&e, "the member's migrate");
    finish(&e, "the member's migrate");
    rec_env_fini(&e);
}

/* The older ledger's entries go with a rollback of its plan, and with a
 * cleanup that was never preceded by a migrate. */
static void test_rollback_and_cleanup_remove_them(void **state)
{
    (void)state;
    static struct rec_env e;
    rec_env_init(&e, 0);
    old_setup(&e);
    rec_sbx_ok(&e, true, 0, "rollback", NULL);
    if (home_has_entry(&e))
        fail_msg("the member's rollback left a traverse entry on %s", e.home);
    finish(&e, "rollback");
    rec_env_fini(&e);

    rec_env_init(&e, 0);
    old_setup(&e);
    finish(&e, "cleanup of an older ledger");
    rec_env_fini(&e);
}

/* Root's migrate, every fault point: crash (resume, or the next migrate
 * rolls back and goes on) and failure (migrate again). */
static void test_migrate_every_fault(void **state)
{
    (void)state;
    static struct rec_env e;
    unsigned n = rec_migrate_every_fault(&e, 20, old_setup, check_revoked, finish);
    fprintf(stderr, "revoking traverse entries: %u operations, each crashed and failed\n", n);
    /* one entry per account on the home */
    assert_true(n >= 2);
}

int main(int argc, char **argv)
{
    rec_require_root();
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_two_members_homes, rec_teardown),
        cmocka_unit_test_teardown(test_migrate_revokes, rec_teardown),
        cmocka_unit_test_teardown(test_rollback_and_cleanup_remove_them, rec_teardown),
        cmocka_unit_test_teardown(test_migrate_every_fault, rec_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
