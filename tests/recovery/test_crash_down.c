/* SPDX-License-Identifier: MIT */
/* Crash safety of the way back: for every K of a real `sbx migrate --to
 * unelevated --user CALLER` (the caller's grants taken off, files the
 * sandbox made given back, then the machine's accounts, group, nft table
 * and launcher retired), SBX_FAULT=fail:K ends with exit 125 and the
 * machine as before; SBX_FAULT=crash:K is recovered by rolling back and by
 * `sbx migrate --resume`, after which the migration goes through, sbx
 * doctor finds no drift, and cleanup leaves the machine as before sbx ever
 * ran.  (The way there: test_crash.c.)
 *
 * Two plans in two processes, in this order: the caller's ledger (a child
 * running as the caller), then the machine's.  SBX_FAULT counts across
 * both, so K = 1..Nu reaches the caller's plan and Nu+1..Nu+Nm the
 * machine's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "recovery_env.h"

static int migrate_down(const struct rec_env *e, const char *spec, char **err)
{
    char fault[64] = "";
    if (spec)
        snprintf(fault, sizeof fault, "SBX_FAULT=%s", spec);
    const char *env[] = {fault, NULL};
    return rec_sbx(e, false, spec ? env : NULL, NULL, err, "migrate", "--to", "unelevated",
                   "--user", e->caller, NULL);
}

/* The way back done: the caller unelevated, no drift, the file given
 * back; then cleanup ends where the machine started. */
static void expect_unelevated_then_clean(const struct rec_env *e, const char *when)
{
    char *out = NULL;
    assert_int_equal(rec_sbx(e, true, NULL, &out, NULL, "status", "--json", NULL), 0);
    bool ok = strstr(out, "\"mode\":\"unelevated\"") && strstr(out, "\"acl_entry\":0}");
    static char msg[4096];
    snprintf(msg, sizeof msg, "%.4000s", out);
    free(out);
    if (!ok)
        fail_msg("%s: the caller should be back in the unelevated mode without grants:\n%s",
                 when, msg);
    assert_false(rec_has_open_plan(e, false));
    assert_false(rec_has_open_plan(e, true));
    rec_sbx_ok(e, true, 0, "doctor", NULL);
    rec_check_given_back(e, "made-by-sandbox");
    char label[160];
    snprintf(label, sizeof label, "%s, the migration finished", when);
    rec_back_to_start(e, NULL, label);
}

/* Remove the lines of text (in place) that mention what. */
static void drop_lines(char *text, const char *what)
{
    char *out = text;
    for (char *line = text; *line;) {
        char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) + 1 : strlen(line);
        char saved = line[len - (nl ? 1 : 0)];
        line[len - (nl ? 1 : 0)] = '\0';
        bool drop = strstr(line, what) != NULL;
        line[len - (nl ? 1 : 0)] = saved;
        if (!drop) {
            memmove(out, line, len);
            out += len;
        }
        line += len;
    }
    *out = '\0';
}

static unsigned nu, nm; /* OS operations of the caller's and the machine's plan */

static void one_k(const struct rec_env *e, unsigned k, enum rec_recovery how)
{
    bool caller_plan = k <= nu;
    rec_elevated_setup(e);
    char *before = rec_snapshot(e, false);
    char spec[32], when[64], *err = NULL;
    snprintf(spec, sizeof spec, "%s:%u", how == REC_FAIL_INSTEAD ? "fail" : "crash", k);
    snprintf(when, sizeof when, "migrate --to unelevated with %s", spec);
    int st = migrate_down(e, spec, &err);
    static char msg[8192];
    snprintf(msg, sizeof msg, "%.8000s", err ? err : "");
    free(err);
    if (how == REC_FAIL_INSTEAD) {
        /* Files root gave back to the caller stay the caller's when the
         * removal is rolled back (the sandbox accounts' entries come back
         * on them): everything else is as before. */
        char *after = rec_snapshot(e, false);
        drop_lines(before, "made-by-sandbox");
        drop_lines(after, "made-by-sandbox");
        bool same = rec_same(before, after, when);
        free(after);
        free(before);
        if (st != 125 || !strstr(msg, "rolled back"))
            fail_msg("%s: exit %d, expected 125 and a rollback: %s", when, st, msg);
        if (!same)
            fail_msg("%s left the machine changed", when);
        /* The file the sandbox made: still the sandbox's to write, in the
         * elevated mode the caller is still in. */
        rec_sbx_ok(e, true, 0, "run", "--", "sh", "-c", "echo more >> made-by-sandbox", NULL);
        assert_false(rec_has_open_plan(e, false));
        assert_false(rec_has_open_plan(e, true));
        rec_sbx_ok(e, false, 0, "doctor", "--state", e->machine, NULL);
        migrate_down(e, NULL, NULL);
        expect_unelevated_then_clean(e, when);
        return;
    }
    free(before);
    if (st != 137)
        fail_msg("%s: exit %d, expected 137: %s", when, st, msg);
    if (rec_has_open_plan(e, true) != caller_plan || rec_has_open_plan(e, false) == caller_plan)
        fail_msg("%s: the interrupted plan should be open in the %s ledger only", when,
                 caller_plan ? "caller's" : "machine");
    if (how == REC_BY_ROLLBACK) {
        /* The caller's half: settled by the caller's own doctor, or (every
         * other K) by root's, which looks into the members' ledgers. */
        if (caller_plan && k % 2)
            rec_sbx_ok(e, true, 0, "doctor", "--repair", NULL);
        else if (caller_plan)
            rec_sbx_ok(e, false, 0, "doctor", "--repair", NULL);
        else
            rec_sbx_ok(e, false, 0, "doctor", "--repair", "--state", e->machine, NULL);
        assert_false(rec_has_open_plan(e, false));
        assert_false(rec_has_open_plan(e, true));
        rec_sbx_ok(e, false, 0, "doctor", "--state", e->machine, NULL);
        /* Rolled back, the migration is asked for again and goes through. */
        char *err2 = NULL;
        st = migrate_down(e, NULL, &err2);
        snprintf(msg, sizeof msg, "%.8000s", err2 ? err2 : "");
        free(err2);
        if (st != 0)
            fail_msg("%s, rolled back: the migration again: exit %d: %s", when, st, msg);
    } else if (caller_plan) {
        /* Root finishes it (only root can give back what the sandbox
         * made), and the machine's half after it. */
        rec_sbx_ok(e, false, 0, "migrate", "--resume", NULL);
    } else {
        rec_sbx_ok(e, false, 0, "migrate", "--resume", NULL);
    }
    expect_unelevated_then_clean(e, when);
}

static void test_count_operations(void **state)
{
    (void)state;
    static struct rec_env e;
    rec_env_init(&e, 0);
    rec_elevated_setup(&e);
    char *plan = NULL;
    assert_int_equal(rec_sbx(&e, false, NULL, &plan, NULL, "migrate", "--to", "unelevated",
                             "--user", e.caller, "--dry-run", "--json", NULL),
                     0);
    nu = rec_count_os_ops(plan, 0);
    nm = rec_count_os_ops(plan, 1);
    fprintf(stderr, "migrate --to unelevated: %u OS operations in the caller's plan, %u in the "
                    "machine's\n",
            nu, nm);
    free(plan);
    /* Taking one user out leaves the machine set up: the membership goes.
     * The caller's: at least the tree grant of each workspace revoked (no
     * traverse entries since the launcher's home skeleton). */
    assert_true(nu >= 2 && nm >= 1);
    assert_true(nu + nm <= REC_MAX_K);
    migrate_down(&e, NULL, NULL);
    expect_unelevated_then_clean(&e, "the dry run, then the migration");
}

static unsigned counted(void)
{
    return nu + nm;
}

static void test_one_k(void **state)
{
    const struct rec_kcase *c = *state;
    if (nu + nm == 0)
        fail_msg("the operations were not counted");
    if (c->k > nu + nm)
        fail_msg("K=%u, but only %u operations were counted", c->k, nu + nm);
    static struct rec_env e;
    rec_env_init(&e, 0);
    one_k(&e, c->k, c->how);
    rec_env_fini(&e);
}

/* fail:K, then a crash at every operation of the rollback it starts; the
 * migration asked for again recovers and goes through. */
static void down_again(const struct rec_env *e, const char *spec)
{
    char *err = NULL;
    int st = migrate_down(e, NULL, &err);
    static char msg[4096];
    snprintf(msg, sizeof msg, "%.4000s", err ? err : "");
    free(err);
    if (st != 0)
        fail_msg("after %s, the migration again: exit %d: %s", spec, st, msg);
    expect_unelevated_then_clean(e, spec);
}

static void test_crash_in_rollback(void **state)
{
    rec_crash_in_rollback_test(state, nu + nm, rec_elevated_setup, migrate_down, down_again);
}

int main(void)
{
    rec_require_root();
    return rec_run_k_tests("recovery.crash_down", "down", test_count_operations, counted,
                           test_one_k, test_crash_in_rollback, NULL, 0);
}
