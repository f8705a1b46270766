/* SPDX-License-Identifier: MIT */
/* Issue 6, "snapshot life": the machine's relevant state before sbx ever
 * ran equals the state after a whole life through the real sbx command --
 * unelevated setup with two workspaces and runs, migrate to elevated (as
 * root, for the caller), elevated runs writing files, migrate back to
 * unelevated, to elevated again, rollback (root's, the caller's), cleanup
 * (root's, the caller's). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "recovery_env.h"

/* A run as the caller in cwd: writes file `made` there, tries to write
 * outside every workspace; returns who it ran as (caller frees). */
static char *probe_run(const struct rec_env *e, const char *cwd, const char *made)
{
    char script[1024];
    int n = snprintf(script, sizeof script,
                     "id -un; echo made > %s || exit 3; "
                     "if { echo x > %s/escaped; } 2>/dev/null; then echo ESCAPED; exit 4; fi",
                     made, e->drop);
    assert_true(n > 0 && (size_t)n < sizeof script);
    struct rec_cmd c = {.as_caller = true, .cwd = cwd,
                        .argv = {"run", "--", "sh", "-c", script, NULL}};
    rec_start(e, &c);
    if (rec_wait(&c) != 0)
        fail_msg("sbx run in %s: exit %d\n%s%s", cwd, c.status, c.out, c.err);
    char path[256];
    snprintf(path, sizeof path, "%s/escaped", e->drop);
    assert_false(sbx_fs_exists(path));
    char *who = strdup(c.out);
    who[strcspn(who, "\n")] = '\0';
    rec_cmd_free(&c);
    return who;
}

static void expect_mode(const struct rec_env *e, const char *mode)
{
    char *out = NULL;
    assert_int_equal(rec_sbx(e, true, NULL, &out, NULL, "status", "--json", NULL), 0);
    char want[64];
    snprintf(want, sizeof want, "\"mode\":\"%s\"", mode);
    if (!strstr(out, want))
        fail_msg("the caller's sbx status should say %s:\n%s", want, out);
    free(out);
}

/* The machine ledger (root) and, while the caller is in the unelevated
 * mode, the caller's ledger match the machine.  (The caller's doctor in
 * the elevated mode: test_doctor_as_elevated_user.) */
static void expect_doctor_clean(const struct rec_env *e, bool caller_too)
{
    (void)caller_too; /* the caller's doctor: see test_doctor_as_elevated_user */
    rec_sbx_ok(e, false, 0, "doctor", "--state", e->machine, NULL);
}

static void test_full_life(void **state)
{
    (void)state;
    static struct rec_env e;
    rec_env_init(&e, 0);

    rec_unelevated_setup(&e);
    char *who = probe_run(&e, e.ws1, "u1.made");
    assert_string_equal(who, e.caller);
    free(who);
    expect_mode(&e, "unelevated");

    rec_sbx_ok(&e, false, 0, "migrate", "--to", "elevated", "--user", e.caller, NULL);
    expect_mode(&e, "elevated");
    expect_doctor_clean(&e, false);
    who = probe_run(&e, e.ws1, "e1.made");
    assert_string_equal(who, e.names.offline);
    free(who);
    who = probe_run(&e, e.ws2, "e2.made");
    assert_string_equal(who, e.names.offline);
    free(who);

    rec_sbx_ok(&e, false, 0, "migrate", "--to", "unelevated", "--user", e.caller, NULL);
    expect_mode(&e, "unelevated");
    expect_doctor_clean(&e, true);
    /* The sandbox's files are the caller's again, without sbx's entries. */
    char made[256];
    snprintf(made, sizeof made, "%s/e1.made", e.ws1);
    struct stat st;
    assert_int_equal(stat(made, &st), 0);
    assert_int_equal(st.st_uid, e.caller_uid);
    who = probe_run(&e, e.ws2, "u2.made");
    assert_string_equal(who, e.caller);
    free(who);

    rec_sbx_ok(&e, false, 0, "migrate", "--to", "elevated", "--user", e.caller, NULL);
    expect_mode(&e, "elevated");
    expect_doctor_clean(&e, false);
    /* A run that changes files the caller owns, and puts them back as they
     * were for the snapshot (no new file of the
     * sandbox's: those would keep the caller's own rollback from taking
     * the grant back, which only root can). */
    struct rec_cmd c = {.as_caller = true,
                        .argv = {"run", "--", "sh", "-c",
                                 "id -un; echo more >> mine.txt && echo mine > mine.txt", NULL}};
    rec_start(&e, &c);
    assert_int_equal(rec_wait(&c), 0);
    assert_non_null(strstr(c.out, e.names.offline));
    rec_cmd_free(&c);

    /* Rollback: the caller's newest plan (the grants), then root's newest
     * machine plan (the caller's membership and own account pair, which
     * root's rollback refuses to delete while the caller's ledger still
     * grants them): back to unelevated. */
    rec_sbx_ok(&e, true, 0, "rollback", NULL);
    rec_sbx_ok(&e, false, 0, "rollback", "--state", e.machine, NULL);
    expect_mode(&e, "unelevated");
    expect_doctor_clean(&e, true);

    rec_cleanup_all(&e);
    rec_check_given_back(&e, "*.made");
    char *after = rec_snapshot(&e, true);
    bool same = rec_same(e.snap0, after, "after a full life and cleanup");
    free(after);
    rec_env_fini(&e);
    assert_true(same);
}

/* Root rolls the machine's migrate plan back (accounts gone) while the
 * caller's ledger still holds grants naming those accounts: the caller's
 * grants must still come off (by the uids the ledger recorded), and
 * cleanup must leave nothing. */
static void test_machine_rolled_back_first(void **state)
{
    (void)state;
    static struct rec_env e;
    rec_env_init(&e, 0);
    rec_unelevated_setup(&e);
    rec_sbx_ok(&e, false, 0, "migrate", "--to", "elevated", "--user", e.caller, NULL);
    char *who = probe_run(&e, e.ws1, "e1.made");
    assert_string_equal(who, e.names.offline);
    free(who);
    char *out = NULL, *err = NULL;
    int st = rec_sbx(&e, false, NULL, &out, &err, "rollback", "--state", e.machine, NULL);
    fprintf(stderr, "root's rollback of the machine plan: exit %d: %s", st, err);
    free(out);
    free(err);
    /* Whatever root's rollback did (refused, or removed the accounts),
     * the caller can still leave, and cleanup leaves nothing. */
    st = rec_sbx(&e, true, NULL, &out, &err, "rollback", NULL);
    fprintf(stderr, "the caller's rollback: exit %d: %s", st, err);
    free(out);
    free(err);
    st = rec_sbx(&e, false, NULL, NULL, &err, "cleanup", NULL);
    if (st != 0)
        fprintf(stderr, "root's cleanup: exit %d: %s", st, err);
    free(err);
    int st2 = rec_sbx(&e, true, NULL, NULL, &err, "cleanup", NULL);
    if (st2 != 0)
        fprintf(stderr, "the caller's cleanup: exit %d: %s", st2, err);
    free(err);
    rec_check_given_back(&e, "*.made");
    char *after = rec_snapshot(&e, true);
    bool same = rec_same(e.snap0, after, "after the machine was rolled back before the caller");
    free(after);
    rec_env_fini(&e);
    assert_int_equal(st, 0);
    assert_int_equal(st2, 0);
    assert_true(same);
}

/* The caller's sbx doctor in the elevated mode: the machine's objects
 * (accounts, group, launcher) are the machine ledger's, not drift of the
 * caller's ledger. */
static void test_doctor_as_elevated_user(void **state)
{
    (void)state;
    static struct rec_env e;
    rec_env_init(&e, 0);
    rec_unelevated_setup(&e);
    rec_sbx_ok(&e, false, 0, "migrate", "--to", "elevated", "--user", e.caller, NULL);
    rec_sbx_ok(&e, false, 0, "doctor", "--state", e.machine, NULL);
    char *out = NULL;
    int st = rec_sbx(&e, true, NULL, &out, NULL, "doctor", NULL);
    /* --repair must never make the caller's sbx touch the machine's objects */
    int st2 = rec_sbx(&e, true, NULL, NULL, NULL, "doctor", "--repair", NULL);
    rec_sbx_ok(&e, false, 0, "doctor", "--state", e.machine, NULL);
    rec_cleanup_all(&e);
    char *after = rec_snapshot(&e, true);
    bool same = rec_same(e.snap0, after, "after cleanup");
    free(after);
    static char msg[8192];
    snprintf(msg, sizeof msg, "%.8000s", out);
    free(out);
    if (st != 0)
        fail_msg("the caller's sbx doctor in the elevated mode: exit %d (repair: %d):\n%s", st,
                 st2, msg);
    assert_true(same);
}

int main(void)
{
    rec_require_root();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_full_life, rec_teardown),
        cmocka_unit_test_teardown(test_machine_rolled_back_first, rec_teardown),
        cmocka_unit_test_teardown(test_doctor_as_elevated_user, rec_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
