/* SPDX-License-Identifier: MIT */
/* "sbx migrate upgrades old version to new": a newer sbx ships another
 * launcher, and `sbx migrate` (no --to) replaces the installed one in a
 * plan of its own -- the new launcher created, the old one retired -- that
 * rolls back to the old launcher at every fault point, resumes to the new
 * one after a crash, and that the old sbx's `sbx rollback` undoes.
 *
 * Two sbx versions are played by one sbx binary and the launcher it
 * installs (SBX_LAUNCHER_SOURCE, one path, as a package upgrade leaves
 * it): A, the built launcher, then B, the same bytes with a trailer
 * appended (another file, the same working program). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "recovery_env.h"

struct upgrade_env {
    struct rec_env e;
    char src_a[192], src_b[192];
    char shipped[192]; /* SBX_LAUNCHER_SOURCE: a copy of A or of B */
    char hash_a[65], hash_b[65];
    char installed[192];
    char *snap_a; /* elevated with launcher A, ledgers left out */
};

static void sha256_of(const char *path, char out[65])
{
    char cmd[512], tmp[] = "/tmp/sbxr-hash-XXXXXX";
    int fd = mkstemp(tmp);
    assert_true(fd >= 0);
    close(fd);
    snprintf(cmd, sizeof cmd, "sha256sum %s | cut -c1-64 > %s", path, tmp);
    assert_int_equal(rec_sh("%s", cmd), 0);
    char *text = read_file(tmp, NULL);
    unlink(tmp);
    assert_non_null(text);
    snprintf(out, 65, "%.64s", text);
    free(text);
}

/* "Install" the sbx version whose launcher is src. */
static void use_launcher(struct upgrade_env *u, const char *src)
{
    assert_int_equal(rec_sh("cp %s %s.tmp && mv %s.tmp %s", src, u->shipped, u->shipped,
                            u->shipped),
                     0);
}

/* The caller elevated with launcher A, B ready beside it. */
static void upgrade_init(struct upgrade_env *u)
{
    memset(u, 0, sizeof *u);
    rec_env_init(&u->e, 0);
    struct rec_env *e = &u->e;
    snprintf(u->src_a, sizeof u->src_a, "%s/launch-a", e->root);
    snprintf(u->src_b, sizeof u->src_b, "%s/launch-b", e->root);
    snprintf(u->installed, sizeof u->installed, "%s/elevated/sbx-launch", e->machine);
    snprintf(u->shipped, sizeof u->shipped, "%s/sbx-launch", e->root);
    assert_int_equal(rec_sh("cp %s %s && cp %s %s && printf '\\n# another sbx version\\n' >> %s",
                            e->launcher_src, u->src_a, e->launcher_src, u->src_b, u->src_b),
                     0);
    snprintf(e->launcher_src, sizeof e->launcher_src, "%s", u->shipped);
    sha256_of(u->src_a, u->hash_a);
    sha256_of(u->src_b, u->hash_b);
    use_launcher(u, u->src_a);
    rec_unelevated_setup(e);
    rec_sbx_ok(e, false, 0, "migrate", "--to", "elevated", "--user", e->caller, NULL);
    u->snap_a = rec_snapshot(e, false);
}

/* Cleanup leaves the machine as before sbx ever ran. */
static void upgrade_fini(struct upgrade_env *u, const char *what)
{
    rec_cleanup_all(&u->e);
    rec_sh("rm -f %s %s %s", u->src_a, u->src_b, u->shipped);
    char *after = rec_snapshot(&u->e, true);
    char label[160];
    snprintf(label, sizeof label, "%s, then cleanup", what);
    bool same = rec_same(u->e.snap0, after, label);
    free(after);
    free(u->snap_a);
    u->snap_a = NULL;
    if (!same)
        fail_msg("%s", label);
    rec_env_fini(&u->e);
}

/* The installed launcher is `hash`, no copy of a replaced one is left, a
 * run in the elevated mode works through it, root's doctor sees no drift. */
static void expect_launcher(const struct upgrade_env *u, const char *hash, const char *when)
{
    char now[65];
    sha256_of(u->installed, now);
    if (strcmp(now, hash) != 0)
        fail_msg("%s: the installed launcher is %.16s..., expected %.16s... (%s)", when, now,
                 hash, hash == u->hash_a ? "A" : "B");
    if (rec_sh("ls %s/elevated | grep -q before-", u->e.machine) == 0)
        fail_msg("%s: a kept copy of a replaced launcher is left in %s/elevated", when,
                 u->e.machine);
    char *out = NULL, *err = NULL;
    int st = rec_sbx(&u->e, true, NULL, &out, &err, "run", "--", "id", "-un", NULL);
    if (st != 0 || strncmp(out, u->e.names.offline, strlen(u->e.names.offline)) != 0)
        fail_msg("%s: sbx run through the launcher: exit %d\n%s%s", when, st, out, err);
    free(out);
    free(err);
    rec_sbx_ok(&u->e, false, 0, "doctor", "--state", u->e.machine, NULL);
}

static void expect_as_with_a(struct upgrade_env *u, const char *when)
{
    expect_launcher(u, u->hash_a, when);
    /* The shipped launcher is the test's own file, A in the snapshot. */
    use_launcher(u, u->src_a);
    char *now = rec_snapshot(&u->e, false);
    bool same = rec_same(u->snap_a, now, when);
    free(now);
    if (!same)
        fail_msg("%s: the machine differs from the setup with launcher A", when);
}

/* The dry run names exactly the two launcher operations; returns how many
 * OS operations the upgrade plan has. */
static unsigned upgrade_dry_run(const struct upgrade_env *u)
{
    char *out = NULL, *err = NULL;
    int st = rec_sbx(&u->e, false, NULL, &out, &err, "migrate", "--dry-run", NULL);
    if (st != 0)
        fail_msg("sbx migrate --dry-run: exit %d: %s", st, err);
    free(err);
    char new_key[128], old_key[128];
    snprintf(new_key, sizeof new_key, "sbx-launch#sha256=%.16s", u->hash_b);
    snprintf(old_key, sizeof old_key, "sbx-launch#sha256=%.16s", u->hash_a);
    const char *c = strstr(out, new_key), *d = strstr(out, old_key);
    unsigned ops = 0;
    for (const char *p = strstr(out, "create "); p; p = strstr(p + 1, "create "))
        ops++;
    for (const char *p = strstr(out, "delete "); p; p = strstr(p + 1, "delete "))
        ops++;
    static char msg[4096];
    snprintf(msg, sizeof msg, "%.4000s", out);
    free(out);
    if (!c || !d || !strstr(msg, "create") || !strstr(msg, "delete") || ops != 2)
        fail_msg("the upgrade's dry run should create the new launcher and delete the old "
                 "one, nothing else:\n%s",
                 msg);
    return ops;
}

/* Upgrade, the plan shown first; the old sbx's rollback goes back; the new
 * sbx's rollback can't and says why. */
static void test_upgrade_and_back(void **state)
{
    (void)state;
    static struct upgrade_env u;
    upgrade_init(&u);
    struct rec_env *e = &u.e;
    expect_launcher(&u, u.hash_a, "after setup with A");

    /* The same sbx again: nothing to do. */
    char *out = NULL;
    assert_int_equal(rec_sbx(e, false, NULL, &out, NULL, "migrate", "--dry-run", NULL), 0);
    bool idle = strstr(out, "nothing to do") && !strstr(out, "create ") && !strstr(out, "delete ");
    static char idle_out[2048];
    snprintf(idle_out, sizeof idle_out, "%.2000s", out);
    free(out);
    if (!idle)
        fail_msg("sbx migrate with the same sbx should have nothing to do:\n%s", idle_out);

    use_launcher(&u, u.src_b);
    upgrade_dry_run(&u);
    rec_sbx_ok(e, false, 0, "migrate", NULL);
    expect_launcher(&u, u.hash_b, "after the upgrade to B");

    /* Version B can't put A back: refused, nothing changed. */
    char *err = NULL;
    int st = rec_sbx(e, false, NULL, NULL, &err, "rollback", "--state", e->machine, NULL);
    static char msg[4096];
    snprintf(msg, sizeof msg, "%.4000s", err ? err : "");
    free(err);
    if (st != 125 || !strstr(msg, "only the sbx that shipped that launcher"))
        fail_msg("sbx B's rollback of its upgrade should be refused (exit 125): exit %d: %s", st,
                 msg);
    assert_false(rec_has_open_plan(e, false));
    expect_launcher(&u, u.hash_b, "after B's refused rollback");

    /* Version A's rollback: back to A exactly. */
    use_launcher(&u, u.src_a);
    rec_sbx_ok(e, false, 0, "rollback", "--state", e->machine, NULL);
    expect_as_with_a(&u, "after A's rollback of the upgrade");
    upgrade_fini(&u, "upgrade and rollback");
}

enum how { FAIL, CRASH_ROLLBACK, CRASH_RESUME };

/* One fault point of the upgrade plan, recovered one way. */
static void upgrade_fault(unsigned k, enum how how)
{
    static struct upgrade_env u;
    upgrade_init(&u);
    struct rec_env *e = &u.e;
    use_launcher(&u, u.src_b);
    unsigned n = upgrade_dry_run(&u);
    if (k > n)
        fail_msg("the upgrade plan has %u operations, K=%u", n, k);
    char fault[48], *err = NULL;
    snprintf(fault, sizeof fault, "SBX_FAULT=%s:%u", how == FAIL ? "fail" : "crash", k);
    const char *env[] = {fault, NULL};
    int st = rec_sbx(e, false, env, NULL, &err, "migrate", NULL);
    static char msg[4096];
    snprintf(msg, sizeof msg, "%.4000s", err ? err : "");
    free(err);
    char when[96];
    snprintf(when, sizeof when, "%s at K=%u", how == FAIL ? "fail" : "crash", k);
    if (how == FAIL) {
        if (st != 125 || !strstr(msg, "rolled back"))
            fail_msg("%s: exit %d, expected 125 and a rollback: %s", when, st, msg);
        assert_false(rec_has_open_plan(e, false));
        expect_as_with_a(&u, when);
    } else if (st != 137) {
        fail_msg("%s: exit %d, expected 137: %s", when, st, msg);
    } else if (how == CRASH_RESUME) {
        assert_true(rec_has_open_plan(e, false));
        /* Between the two operations the old launcher is kept, and it is
         * nobody's to run: not setuid, root's alone. */
        if (k == 1 && rec_sh("test \"$(stat -c %%a:%%U %s/elevated/sbx-launch.before-*)\" = "
                             "700:root",
                             e->machine) != 0)
            fail_msg("%s: the kept launcher should be there, mode 700, root's", when);
        rec_sbx_ok(e, false, 0, "migrate", "--resume", NULL);
        expect_launcher(&u, u.hash_b, when);
    } else {
        assert_true(rec_has_open_plan(e, false));
        /* Rolled back by sbx B: possible while A is still on the machine
         * (kept as a copy); once the old launcher was retired only sbx A
         * can put it back, and B says so, leaving the plan open. */
        st = rec_sbx(e, false, NULL, NULL, &err, "doctor", "--repair", "--state", e->machine,
                     NULL);
        snprintf(msg, sizeof msg, "%.4000s", err ? err : "");
        free(err);
        if (st != 0) {
            if (st != 125 || !strstr(msg, "only the sbx that shipped that launcher") ||
                !rec_has_open_plan(e, false))
                fail_msg("%s: sbx B's doctor --repair: exit %d: %s", when, st, msg);
            fprintf(stderr, "%s: sbx B can't roll back, sbx A does\n", when);
            use_launcher(&u, u.src_a);
            rec_sbx_ok(e, false, 0, "doctor", "--repair", "--state", e->machine, NULL);
        }
        assert_false(rec_has_open_plan(e, false));
        expect_as_with_a(&u, when);
    }
    upgrade_fini(&u, when);
}

static void test_fail_k1(void **state) { (void)state; upgrade_fault(1, FAIL); }
static void test_fail_k2(void **state) { (void)state; upgrade_fault(2, FAIL); }
static void test_crash_rollback_k1(void **state) { (void)state; upgrade_fault(1, CRASH_ROLLBACK); }
static void test_crash_rollback_k2(void **state) { (void)state; upgrade_fault(2, CRASH_ROLLBACK); }
static void test_crash_resume_k1(void **state) { (void)state; upgrade_fault(1, CRASH_RESUME); }
static void test_crash_resume_k2(void **state) { (void)state; upgrade_fault(2, CRASH_RESUME); }

/* The same replacement for the launcher's configuration: opening a
 * loopback port writes another configuration over it (and another nft
 * rule); a failure or a crash at any K is rolled back to the old ones, or
 * resumed, and the runs keep working. */
static void test_port_change_fail_each_k(void **state)
{
    (void)state;
    static struct upgrade_env u;
    upgrade_init(&u);
    struct rec_env *e = &u.e;
    char *out = NULL;
    assert_int_equal(rec_sbx(e, false, NULL, &out, NULL, "setup", "--allow-loopback-port",
                             "8123", "--dry-run", "--json", NULL),
                     0);
    unsigned n = 0;
    for (const char *p = strstr(out, "\"action\":"); p; p = strstr(p + 1, "\"action\":"))
        n++;
    /* (its key: sbx-launch.conf#members=HASH#ports=8123) */
    bool conf = strstr(out, "sbx-launch.conf#members=") && strstr(out, "#ports=8123\"");
    free(out);
    assert_true(conf);
    assert_true(n >= 4);
    for (unsigned k = 1; k <= n; k++) {
        char fault[48], when[64], *err = NULL;
        snprintf(fault, sizeof fault, "SBX_FAULT=fail:%u", k);
        snprintf(when, sizeof when, "port change failed at K=%u", k);
        const char *env[] = {fault, NULL};
        int st = rec_sbx(e, false, env, NULL, &err, "setup", "--allow-loopback-port", "8123",
                         NULL);
        static char msg[4096];
        snprintf(msg, sizeof msg, "%.4000s", err ? err : "");
        free(err);
        if (st != 125 || !strstr(msg, "rolled back"))
            fail_msg("%s: exit %d, expected 125 and a rollback: %s", when, st, msg);
        expect_as_with_a(&u, when);
        /* Killed there instead: rolled back by doctor --repair ... */
        snprintf(fault, sizeof fault, "SBX_FAULT=crash:%u", k);
        snprintf(when, sizeof when, "port change crashed at K=%u", k);
        assert_int_equal(rec_sbx(e, false, env, NULL, NULL, "setup", "--allow-loopback-port",
                                 "8123", NULL),
                         137);
        assert_true(rec_has_open_plan(e, false));
        rec_sbx_ok(e, false, 0, "doctor", "--repair", "--state", e->machine, NULL);
        expect_as_with_a(&u, when);
        /* ... or finished by migrate --resume, then undone by a plan of
         * its own. */
        assert_int_equal(rec_sbx(e, false, env, NULL, NULL, "setup", "--allow-loopback-port",
                                 "8123", NULL),
                         137);
        rec_sbx_ok(e, false, 0, "migrate", "--resume", NULL);
        assert_false(rec_has_open_plan(e, false));
        expect_launcher(&u, u.hash_a, when);
        rec_sbx_ok(e, false, 0, "setup", "--no-loopback-ports", NULL);
        expect_as_with_a(&u, when);
    }
    /* A crash inside the rollback of a failure, at every operation of it:
     * recovered by doctor --repair (back to the old ports), or resumed. */
    for (unsigned k = 2; k <= n; k++)
        for (unsigned m = k + 1; m <= 2 * k - 1; m++) {
            char fault[64], when[96];
            snprintf(fault, sizeof fault, "SBX_FAULT=fail:%u,crash:%u", k, m);
            const char *env[] = {fault, NULL};
            for (int resume = 0; resume < 2; resume++) {
                snprintf(when, sizeof when, "port change with %s, %s",
                         fault + strlen("SBX_FAULT="), resume ? "resumed" : "rolled back");
                assert_int_equal(rec_sbx(e, false, env, NULL, NULL, "setup",
                                         "--allow-loopback-port", "8123", NULL),
                                 137);
                assert_true(rec_has_open_plan(e, false));
                if (resume) {
                    rec_sbx_ok(e, false, 0, "migrate", "--resume", NULL);
                    expect_launcher(&u, u.hash_a, when);
                    rec_sbx_ok(e, false, 0, "setup", "--no-loopback-ports", NULL);
                } else {
                    rec_sbx_ok(e, false, 0, "doctor", "--repair", "--state", e->machine, NULL);
                }
                expect_as_with_a(&u, when);
            }
        }
    rec_sbx_ok(e, false, 0, "setup", "--allow-loopback-port", "8123", NULL);
    expect_launcher(&u, u.hash_a, "after the port change");
    upgrade_fini(&u, "port change");
}

/* The upgrade's retirement of A fails and the rollback that puts A back
 * is cut short right after it did: recovered to A, or resumed to B. */
static void crash_in_rollback(bool resume)
{
    static struct upgrade_env u;
    upgrade_init(&u);
    struct rec_env *e = &u.e;
    use_launcher(&u, u.src_b);
    const char *env[] = {"SBX_FAULT=fail:2,crash:3", NULL};
    assert_int_equal(rec_sbx(e, false, env, NULL, NULL, "migrate", NULL), 137);
    assert_true(rec_has_open_plan(e, false));
    if (resume) {
        rec_sbx_ok(e, false, 0, "migrate", "--resume", NULL);
        expect_launcher(&u, u.hash_b, "upgrade resumed after a crash in its rollback");
    } else {
        rec_sbx_ok(e, false, 0, "doctor", "--repair", "--state", e->machine, NULL);
        assert_false(rec_has_open_plan(e, false));
        expect_as_with_a(&u, "upgrade rolled back after a crash in its rollback");
    }
    upgrade_fini(&u, "a crash in the upgrade's rollback");
}

static void test_crash_in_rollback_repair(void **state) { (void)state; crash_in_rollback(false); }
static void test_crash_in_rollback_resume(void **state) { (void)state; crash_in_rollback(true); }

int main(void)
{
    rec_require_root();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_upgrade_and_back, rec_teardown),
        cmocka_unit_test_teardown(test_fail_k1, rec_teardown),
        cmocka_unit_test_teardown(test_fail_k2, rec_teardown),
        cmocka_unit_test_teardown(test_crash_rollback_k1, rec_teardown),
        cmocka_unit_test_teardown(test_crash_rollback_k2, rec_teardown),
        cmocka_unit_test_teardown(test_crash_resume_k1, rec_teardown),
        cmocka_unit_test_teardown(test_crash_resume_k2, rec_teardown),
        cmocka_unit_test_teardown(test_port_change_fail_each_k, rec_teardown),
        cmocka_unit_test_teardown(test_crash_in_rollback_repair, rec_teardown),
        cmocka_unit_test_teardown(test_crash_in_rollback_resume, rec_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
