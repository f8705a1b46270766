/* SPDX-License-Identifier: MIT */
/* Issue 6, crash safety: for every K of a real `sbx migrate --to elevated
 * --user CALLER`, SBX_FAULT=crash:K kills sbx right after the K-th OS
 * change; the next sbx recovers it -- once by rolling back, once with
 * `sbx migrate --resume` -- sbx doctor finds no drift, and after cleanup
 * the machine is as before sbx ever ran.  SBX_FAULT=fail:K for every K
 * too: exit 125, "rolled back", the machine as before the migrate.
 *
 * The migration is two plans in two processes: the machine ledger's (root)
 * then the caller's own (a child running as the caller).  SBX_FAULT counts
 * across both (one counter per command), so K = 1..Nm reaches the machine
 * plan's operations and Nm+1..Nm+Nu the caller's; a crash in the child
 * takes the whole command down. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "helpers.h"
#include "recovery_env.h"

static void migrate_dry_run(const struct rec_env *e, char **out)
{
    assert_int_equal(rec_sbx(e, false, NULL, out, NULL, "migrate", "--to", "elevated", "--user",
                             e->caller, "--dry-run", "--json", NULL),
                     0);
}

/* The migrate under SBX_FAULT=spec; returns its status, stderr in *err. */
static int migrate_fault(const struct rec_env *e, const char *spec, char **err)
{
    char fault[64];
    snprintf(fault, sizeof fault, "SBX_FAULT=%s", spec);
    const char *env[] = {fault, NULL};
    return rec_sbx(e, false, env, NULL, err, "migrate", "--to", "elevated", "--user", e->caller,
                   NULL);
}

static void expect_elevated_caller(const struct rec_env *e)
{
    char *out = NULL;
    assert_int_equal(rec_sbx(e, true, NULL, &out, NULL, "status", "--json", NULL), 0);
    /* a tree grant per workspace, nothing on the home's ancestors */
    bool ok = strstr(out, "\"mode\":\"elevated\"") && strstr(out, "\"acl_entry\":2");
    if (!ok) {
        static char msg[4096];
        snprintf(msg, sizeof msg, "%.4000s", out);
        free(out);
        fail_msg("the caller should be in the elevated mode with its 2 grants:\n%s", msg);
    }
    free(out);
}

/* Clean up, compare with the state before sbx ever ran. */
static void back_to_start(const struct rec_env *e, const char *what, unsigned k)
{
    char label[160];
    snprintf(label, sizeof label, "after %s at K=%u", what, k);
    rec_back_to_start(e, NULL, label);
}

static void fail_with(const char *what, unsigned k, int st, char *err)
{
    static char msg[8192];
    snprintf(msg, sizeof msg, "%s at K=%u: exit %d: %.7000s", what, k, st, err ? err : "");
    free(err);
    fail_msg("%s", msg);
}


/* One K of the real migrate.  K <= nm: the machine plan's K-th operation;
 * beyond: the caller's plan's (K - nm)-th. */
static void one_k(const struct rec_env *e, unsigned k, unsigned nm, enum rec_recovery how)
{
    bool machine = k <= nm;
    rec_unelevated_setup(e);
    char *before = rec_snapshot(e, false);
    char spec[32], *err = NULL;
    snprintf(spec, sizeof spec, "%s:%u", how == REC_FAIL_INSTEAD ? "fail" : "crash", k);
    int st = migrate_fault(e, spec, &err);
    if (how == REC_FAIL_INSTEAD) {
        if (st != 125 || !strstr(err, "rolled back") || strstr(err, "NOT rolled back")) {
            free(before);
            fail_with("SBX_FAULT=fail:K should exit 125, everything rolled back", k, st, err);
        }
        free(err);
        char *after = rec_snapshot(e, false);
        bool same = rec_same(before, after, "after a failed migrate");
        free(after);
        free(before);
        if (!same)
            fail_msg("fail:%u left the machine changed", k);
        assert_false(rec_has_open_plan(e, false));
        assert_false(rec_has_open_plan(e, true));
        back_to_start(e, "fail", k);
        return;
    }
    if (st != 137) {
        free(before);
        fail_with("SBX_FAULT=crash:K should kill sbx (137)", k, st, err);
    }
    free(err);
    /* The open plan is in the ledger whose plan was running; sbx status
     * shows it. */
    if (rec_has_open_plan(e, false) != machine || rec_has_open_plan(e, true) == machine) {
        free(before);
        fail_msg("crash:%u: the interrupted plan should be open in the %s ledger only", k,
                 machine ? "machine" : "caller's");
    }
    if (how == REC_BY_ROLLBACK && machine) {
        /* doctor sees the open plan, --repair rolls it back alone: the
         * machine as before the migrate; then the migrate goes through. */
        assert_int_equal(rec_sbx(e, false, NULL, NULL, NULL, "doctor", "--state", e->machine, NULL),
                         1);
        rec_sbx_ok(e, false, 0, "doctor", "--repair", "--state", e->machine, NULL);
        assert_false(rec_has_open_plan(e, false));
        char *after = rec_snapshot(e, false);
        bool same = rec_same(before, after, "after the crashed plan was rolled back");
        free(after);
        if (!same) {
            free(before);
            fail_msg("crash:%u then doctor --repair left the machine changed", k);
        }
        rec_sbx_ok(e, false, 0, "migrate", "--to", "elevated", "--user", e->caller, NULL);
    } else if (how == REC_BY_ROLLBACK) {
        /* The same migrate again: the caller's half rolls its crashed plan
         * back first, then does it. */
        char *err2 = NULL;
        st = rec_sbx(e, false, NULL, NULL, &err2, "migrate", "--to", "elevated", "--user",
                     e->caller, NULL);
        if (st != 0 || !strstr(err2, "rolled back")) {
            free(before);
            fail_with("the next migrate should roll the crashed plan back, then migrate", k, st,
                      err2);
        }
        free(err2);
    } else if (machine) {
        rec_sbx_ok(e, false, 0, "migrate", "--resume", NULL);
        /* --resume finishes the machine's plan; the caller's half had not
         * started and nothing records it (test_resume_finishes_the_migration):
         * the migrate again does it, applying only the difference. */
        rec_sbx_ok(e, false, 0, "migrate", "--to", "elevated", "--user", e->caller, NULL);
    } else {
        /* The caller's own plan: the caller resumes it. */
        rec_sbx_ok(e, true, 0, "migrate", "--resume", NULL);
    }
    free(before);
    assert_false(rec_has_open_plan(e, false));
    assert_false(rec_has_open_plan(e, true));
    rec_sbx_ok(e, false, 0, "doctor", "--state", e->machine, NULL);
    rec_sbx_ok(e, true, 0, "doctor", NULL);
    expect_elevated_caller(e);
    back_to_start(e, how == REC_BY_ROLLBACK ? "crash + rollback" : "crash + resume", k);
}

/* Each K and each way of recovering is a test of its own (a fresh world
 * each), so one failure does not hide the others. */
static unsigned nm, nu; /* OS operations of the machine's and the caller's plan */

static void test_count_operations(void **state)
{
    (void)state;
    static struct rec_env e;
    rec_env_init(&e, 0);
    rec_unelevated_setup(&e);
    char *plan = NULL;
    migrate_dry_run(&e, &plan);
    nm = rec_count_os_ops(plan, 0);
    nu = rec_count_os_ops(plan, 1);
    free(plan);
    rec_cleanup_all(&e);
    fprintf(stderr, "migrate: %u OS operations in the machine plan, %u in the caller's\n", nm,
            nu);
    /* the caller's: a tree grant per workspace (no traverse entries since
     * the launcher's home skeleton) */
    assert_true(nm >= 8 && nu >= 2);
    assert_true(nm + nu <= REC_MAX_K); /* else raise REC_MAX_K: every K must run */
    /* Past the last operation: nothing was left out of the count, the
     * migrate succeeds. */
    rec_unelevated_setup(&e);
    char spec[32], *err = NULL;
    snprintf(spec, sizeof spec, "crash:%u", nm + nu + 1);
    int st = migrate_fault(&e, spec, &err);
    if (st != 0)
        fail_with("past the last operation the migrate must succeed", nm + nu + 1, st, err);
    free(err);
    expect_elevated_caller(&e);
    back_to_start(&e, "crash past the end", nm + nu + 1);
}

static unsigned counted(void)
{
    return nm + nu;
}

static void test_one_k(void **state)
{
    const struct rec_kcase *c = *state;
    if (nm + nu == 0)
        fail_msg("the operations were not counted");
    if (c->k > nm + nu)
        fail_msg("K=%u, but only %u operations were counted", c->k, nm + nu);
    static struct rec_env e;
    rec_env_init(&e, 0);
    one_k(&e, c->k, nm, c->how);
    rec_env_fini(&e);
}

/* `sbx migrate --resume` after the machine's plan crashed must finish the
 * whole migration of the caller (both halves), not only the machine's. */
static void test_resume_finishes_the_migration(void **state)
{
    (void)state;
    static struct rec_env e;
    rec_env_init(&e, 0);
    rec_unelevated_setup(&e);
    char *err = NULL;
    int st = migrate_fault(&e, "crash:1", &err);
    if (st != 137)
        fail_with("crash:1", 1, st, err);
    free(err);
    rec_sbx_ok(&e, false, 0, "migrate", "--resume", NULL);
    char *out = NULL;
    assert_int_equal(rec_sbx(&e, true, NULL, &out, NULL, "status", "--json", NULL), 0);
    bool elevated = strstr(out, "\"mode_setup\":\"elevated\"") != NULL;
    static char msg[4096];
    snprintf(msg, sizeof msg, "%.4000s", out);
    free(out);
    rec_cleanup_all(&e);
    char *after = rec_snapshot(&e, true);
    bool same = rec_same(e.snap0, after, "after cleanup");
    free(after);
    assert_true(same);
    if (!elevated)
        fail_msg("after `sbx migrate --resume` the caller's half of the migration is not "
                 "done (nothing records it; --resume takes no --user):\n%s",
                 msg);
}

/* sbx doctor --repair settles a crashed plan (rolls it back) and leaves
 * the machine as before the crashed command. */
static void test_doctor_repair_rolls_back(void **state)
{
    (void)state;
    static struct rec_env e;
    rec_env_init(&e, 0);
    rec_unelevated_setup(&e);
    char *before = rec_snapshot(&e, false);
    char *err = NULL;
    int st = migrate_fault(&e, "crash:5", &err);
    if (st != 137)
        fail_with("crash:5", 5, st, err);
    free(err);
    assert_true(rec_has_open_plan(&e, false));
    st = rec_sbx(&e, false, NULL, NULL, &err, "doctor", "--repair", "--state", e.machine, NULL);
    static char msg[4096];
    snprintf(msg, sizeof msg, "%.4000s", err);
    free(err);
    bool open = rec_has_open_plan(&e, false);
    char *after = rec_snapshot(&e, false);
    bool same = rec_same(before, after, "after doctor --repair of a crashed migrate");
    free(before);
    free(after);
    rec_cleanup_all(&e);
    char *end = rec_snapshot(&e, true);
    bool same_end = rec_same(e.snap0, end, "after cleanup");
    free(end);
    if (st != 0)
        fail_msg("sbx doctor --repair after a crash: exit %d: %s", st, msg);
    assert_false(open);
    assert_true(same);
    assert_true(same_end);
}

/* After a crash in the migrate's rollback: the same migrate again
 * recovers what was left open, then goes through; cleanup ends where the
 * machine started. */
static void migrate_again(const struct rec_env *e, const char *spec)
{
    static char msg[8192];
    char *err = NULL, *out = NULL;
    int st = rec_sbx(e, false, NULL, NULL, &err, "migrate", "--to", "elevated", "--user",
                     e->caller, NULL);
    snprintf(msg, sizeof msg, "%.8000s", err ? err : "");
    free(err);
    if (st != 0)
        fail_msg("the migrate after %s: exit %d: %s", spec, st, msg);
    assert_false(rec_has_open_plan(e, false));
    assert_false(rec_has_open_plan(e, true));
    st = rec_sbx(e, false, NULL, &out, NULL, "doctor", "--state", e->machine, NULL);
    snprintf(msg, sizeof msg, "%.8000s", out ? out : "");
    free(out);
    if (st != 0)
        fail_msg("root's doctor after %s and the migrate again: exit %d: %s", spec, st, msg);
    rec_sbx_ok(e, true, 0, "doctor", NULL);
    expect_elevated_caller(e);
    char label[96];
    snprintf(label, sizeof label, "after %s", spec);
    rec_back_to_start(e, NULL, label);
}

/* fail:K makes the migrate roll back (the machine's plan undone, or the
 * caller's and then the machine's); crash:M kills it at every operation
 * of that rollback. */
static void test_crash_in_rollback(void **state)
{
    rec_crash_in_rollback_test(state, nm + nu, rec_unelevated_setup, migrate_fault, migrate_again);
}

int main(void)
{
    rec_require_root();
    const struct CMUnitTest extra[] = {
        cmocka_unit_test_teardown(test_resume_finishes_the_migration, rec_teardown),
        cmocka_unit_test_teardown(test_doctor_repair_rolls_back, rec_teardown),
    };
    return rec_run_k_tests("recovery.crash", "migrate", test_count_operations, counted,
                           test_one_k, test_crash_in_rollback, extra,
                           sizeof extra / sizeof extra[0]);
}
