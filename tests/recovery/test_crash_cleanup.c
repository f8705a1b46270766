/* SPDX-License-Identifier: MIT */
/* "sbx cleanup uninstalls completely, even after a crash halfway": for
 * every K of root's real `sbx cleanup` of an elevated setup with a caller
 * (the caller's ledger first: grants taken off, files the sandbox made
 * given back; then the machine's accounts, group, nft table, launcher and
 * homes), SBX_FAULT=fail:K stops it with exit 125 and the failed plan
 * rolled back, SBX_FAULT=crash:K kills it; then
 *   - rollback: `sbx cleanup` again (it rolls the open plan back first),
 *   - resume:   `sbx migrate --resume`, then `sbx cleanup` again,
 * and the caller's own cleanup leave the machine as before sbx ever ran. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "recovery_env.h"

static unsigned n_ops; /* Root's and the caller's cleanup, then: nothing of sbx's left. */
static void finish_and_compare(const struct rec_env *e, const char *when)
{
    char label[160];
    snprintf(label, sizeof label, "%s, then cleanup again", when);
    rec_back_to_start(e, "made-by-sandbox", label);
}

static void test_count_operations(void **state)
{
    (void)state;
    static struct rec_env e;
    rec_env_init(&e, 0);
    rec_elevated_setup(&e);
    char *plan = NULL;
    assert_int_equal(rec_sbx(&e, false, NULL, &plan, NULL, "cleanup", "--dry-run", "--json",
                             NULL),
                     0);
    unsigned docs = 0;
    for (const char *p = strstr(plan, "\"operations\":["); p;
         p = strstr(p + 1, "\"operations\":["))
        docs++;
    for (unsigned d = 0; d < docs; d++)
        n_ops += rec_count_os_ops(plan, d);
    fprintf(stderr, "cleanup: %u plans, %u OS operations\n", docs, n_ops);
    free(plan);
    assert_true(docs >= 2 && n_ops >= 12);
    assert_true(n_ops <= REC_MAX_K);
    /* The dry run counted every operation: one fault point past the last
     * one never fires, the cleanup goes through. */
    char fault[48], *err = NULL;
    snprintf(fault, sizeof fault, "SBX_FAULT=crash:%u", n_ops + 1);
    const char *env[] = {fault, NULL};
    int st = rec_sbx(&e, false, env, NULL, &err, "cleanup", NULL);
    static char msg[4096];
    snprintf(msg, sizeof msg, "%.4000s", err ? err : "");
    free(err);
    if (st != 0)
        fail_msg("cleanup with %s (past the last operation): exit %d: %s", fault, st, msg);
    finish_and_compare(&e, "the dry run, then the cleanup");
}

static unsigned counted(void)
{
    return n_ops;
}

static void test_one_k(void **state)
{
    const struct rec_kcase *c = *state;
    if (n_ops == 0)
        fail_msg("the operations were not counted");
    if (c->k > n_ops)
        fail_msg("K=%u, but only %u operations were counted", c->k, n_ops);
    static struct rec_env e;
    rec_env_init(&e, 0);
    rec_elevated_setup(&e);
    char fault[48], when[64], *err = NULL;
    snprintf(fault, sizeof fault, "SBX_FAULT=%s:%u",
             c->how == REC_FAIL_INSTEAD ? "fail" : "crash", c->k);
    snprintf(when, sizeof when, "cleanup with %s", fault + strlen("SBX_FAULT="));
    const char *env[] = {fault, NULL};
    int st = rec_sbx(&e, false, env, NULL, &err, "cleanup", NULL);
    static char msg[8192];
    snprintf(msg, sizeof msg, "%.8000s", err ? err : "");
    free(err);
    if (c->how == REC_FAIL_INSTEAD) {
        if (st != 125 || !strstr(msg, "rolled back"))
            fail_msg("%s: exit %d, expected 125 and a rollback: %s", when, st, msg);
        assert_false(rec_has_open_plan(&e, false));
        /* What is left is what the ledgers say. */
        rec_sbx_ok(&e, false, 0, "doctor", "--state", e.machine, NULL);
    } else {
        if (st != 137)
            fail_msg("%s: exit %d, expected 137: %s", when, st, msg);
        if (c->how == REC_BY_RESUME) {
            char *rerr = NULL;
            st = rec_sbx(&e, false, NULL, NULL, &rerr, "migrate", "--resume", NULL);
            snprintf(msg, sizeof msg, "%.8000s", rerr ? rerr : "");
            free(rerr);
            if (st != 0)
                fail_msg("%s: sbx migrate --resume: exit %d: %s", when, st, msg);
        }
    }
    finish_and_compare(&e, when);
    rec_env_fini(&e);
}

static int cleanup_fault(const struct rec_env *e, const char *spec, char **err)
{
    char fault[64];
    snprintf(fault, sizeof fault, "SBX_FAULT=%s", spec);
    const char *env[] = {fault, NULL};
    return rec_sbx(e, false, env, NULL, err, "cleanup", NULL);
}

/* fail:K, then a crash at every operation of the rollback it starts;
 * cleanup again finishes the job. */
static void test_crash_in_rollback(void **state)
{
    rec_crash_in_rollback_test(state, n_ops, rec_elevated_setup, cleanup_fault, finish_and_compare);
}

int main(void)
{
    rec_require_root();
    return rec_run_k_tests("recovery.crash_cleanup", "cleanup", test_count_operations, counted,
                           test_one_k, test_crash_in_rollback, NULL, 0);
}
