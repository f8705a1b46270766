/* SPDX-License-Identifier: MIT */
/* Issue 6: 20 `sbx run` as the caller while root's `sbx migrate --to
 * elevated --user CALLER` runs: each exits 0, confined in the old mode
 * (the caller, unelevated) or the new one (the offline account): it
 * writes its workspace, cannot write outside it, and none fails on a lock
 * or runs unconfined. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "helpers.h"
#include "recovery_env.h"

#define RUNS 20

static long now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return tv.tv_sec * 1000L + tv.tv_usec / 1000;
}

static void test_runs_during_migrate(void **state)
{
    (void)state;
    static struct rec_env e;
    /* files: the grant takes long enough for the runs to overlap it */
    rec_env_init(&e, 4000);
    rec_unelevated_setup(&e);

    static struct rec_cmd runs[RUNS];
    static char scripts[RUNS][512];
    struct rec_cmd mig = {.as_caller = false,
                          .argv = {"migrate", "--to", "elevated", "--user", e.caller, NULL}};
    long t0 = now_ms();
    rec_start(&e, &mig);
    for (int i = 0; i < RUNS; i++) {
        int n = snprintf(scripts[i], sizeof scripts[i],
                         "id -un; echo %d > run-%d.made || exit 3; "
                         "if { echo x > %s/escaped-%d; } 2>/dev/null; then echo ESCAPED; exit 4; fi",
                         i, i, e.drop, i);
        assert_true(n > 0 && (size_t)n < sizeof scripts[i]);
        runs[i] = (struct rec_cmd){.as_caller = true,
                                   .argv = {"run", "--", "sh", "-c", scripts[i], NULL}};
        rec_start(&e, &runs[i]);
        /* Spread the runs over the migrate.  Not an ordering: every
         * interleaving of runs and migrate must pass, and none is
         * assumed. */
        usleep(30 * 1000);
    }
    int mst = rec_wait(&mig);
    long t_mig = now_ms() - t0;
    unsigned old_mode = 0, new_mode = 0;
    static char failures[8192];
    size_t off = 0;
    for (int i = 0; i < RUNS; i++) {
        int st = rec_wait(&runs[i]);
        char who[64] = "";
        sscanf(runs[i].out, "%63s", who);
        bool confined_as = strcmp(who, e.caller) == 0 || strcmp(who, e.names.offline) == 0;
        old_mode += strcmp(who, e.caller) == 0;
        new_mode += strcmp(who, e.names.offline) == 0;
        if ((st != 0 || !confined_as) && off < sizeof failures - 600)
            off += (size_t)snprintf(failures + off, sizeof failures - off,
                                    "run %d: exit %d as '%s': %.200s %.300s\n", i, st, who,
                                    runs[i].out, runs[i].err);
        rec_cmd_free(&runs[i]);
    }
    fprintf(stderr, "migrate took %ld ms (exit %d); %u runs in the unelevated mode, %u in the "
                    "elevated one\n",
            t_mig, mst, old_mode, new_mode);
    if (mst != 0)
        fprintf(stderr, "migrate: %s\n", mig.err);
    rec_cmd_free(&mig);
    bool escaped = rec_sh("ls %s | grep -q escaped", e.drop) == 0;
    if (off)
        fprintf(stderr, "runs during the migrate failed:\n%s", failures);
    char *out = NULL, *err = NULL;
    int cst = rec_sbx(&e, false, NULL, &out, &err, "cleanup", NULL);
    fprintf(stderr, "root's cleanup: exit %d\n%s%s", cst, out, err);
    free(out);
    free(err);
    cst = rec_sbx(&e, true, NULL, &out, &err, "cleanup", NULL);
    fprintf(stderr, "the caller's cleanup: exit %d\n%s%s", cst, out, err);
    free(out);
    free(err);
    rec_check_given_back(&e, "run-*.made");
    char *after = rec_snapshot(&e, true);
    bool same = rec_same(e.snap0, after, "after the runs, the migrate and cleanup");
    free(after);
    assert_int_equal(mst, 0);
    assert_false(escaped);
    if (off)
        fail_msg("runs during the migrate failed:\n%s", failures);
    assert_true(same);
}

int main(void)
{
    rec_require_root();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_runs_during_migrate, rec_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
