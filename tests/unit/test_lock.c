/* The plan lock: two processes that start a plan at once. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "migrate/plan.h"

static void test_second_locker_fails_clearly(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    struct sbx_error err = {0};
    struct sbx_ledger *a = NULL, *b = NULL;
    assert_int_equal(sbx_ledger_open(dir, SBX_LEDGER_CREATE, &a, &err), 0);
    assert_int_equal(sbx_ledger_open(dir, SBX_LEDGER_CREATE, &b, &err), 0);
    assert_int_equal(sbx_ledger_lock(a, 0, &err), 0);
    int pipefd[2];
    assert_int_equal(pipe(pipefd), 0);
    pid_t pid = fork();
    if (pid == 0) {
        /* Another process: must be refused, with a message naming the lock. */
        struct sbx_ledger *c = NULL;
        struct sbx_error e = {0};
        int rc = sbx_ledger_open(dir, 0, &c, &e);
        if (rc == 0)
            rc = sbx_ledger_lock(c, 200, &e);
        ssize_t w = write(pipefd[1], e.msg, strlen(e.msg) + 1);
        (void)w;
        _exit(rc == -SBX_ELOCKED ? 0 : 1);
    }
    close(pipefd[1]);
    char msg[1024] = "";
    ssize_t got = read(pipefd[0], msg, sizeof msg - 1);
    assert_true(got > 0);
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_non_null(strstr(msg, "plan.lock"));
    /* Readers keep working while the lock is held. */
    size_t counts[SBX_R_KIND_COUNT];
    assert_int_equal(sbx_ledger_count(b, counts, &err), 0);
    sbx_ledger_unlock(a);
    assert_int_equal(sbx_ledger_lock(b, 0, &err), 0);
    sbx_ledger_close(a);
    sbx_ledger_close(b);
    rm_tree(dir);
    free(dir);
}

/* Two processes run a plan on the same ledger at once, each waiting for
 * the lock: both finish, one after the other, and the ledger is whole. */
static void test_concurrent_plans_serialize(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char fake[4200];
    path_join(fake, sizeof fake, dir, "machine.fake");
    pid_t pids[2];
    for (int i = 0; i < 2; i++) {
        fflush(NULL);
        pids[i] = fork();
        if (pids[i] == 0) {
            struct sbx_error e = {0};
            struct sbx_ledger *l = NULL;
            struct sbx_os *os = NULL;
            if (sbx_fake_os_open(fake, &os, &e) || sbx_ledger_open(dir, SBX_LEDGER_CREATE, &l, &e) ||
                sbx_ledger_lock(l, 20000, &e))
                _exit(2);
            struct sbx_resource_list cur = {0}, want = {0};
            char key[64];
            for (int k = 0; k < 20; k++) {
                snprintf(key, sizeof key, "/ws/%d/file%d", i, k);
                sbx_rlist_add(&want, SBX_R_INSTALLED_FILE, key, NULL, NULL, key, NULL, NULL);
            }
            if (sbx_ledger_resources(l, &cur, &e))
                _exit(3);
            /* Keep what the other process made: union of both. */
            for (size_t r = 0; r < cur.len; r++)
                sbx_rlist_push(&want, &cur.items[r]);
            struct sbx_plan p = {0};
            struct sbx_engine eng = {.ledger = l, .os = os};
            if (sbx_plan_compute(&cur, &want, "setup", &p, &e) || sbx_plan_apply(&eng, &p, &e))
                _exit(4);
            sbx_plan_free(&p);
            sbx_rlist_free(&cur);
            sbx_rlist_free(&want);
            sbx_ledger_close(l);
            sbx_os_destroy(os);
            _exit(0);
        }
    }
    for (int i = 0; i < 2; i++) {
        int status;
        assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    struct sbx_error err = {0};
    struct sbx_ledger *l = NULL;
    struct sbx_os *os = NULL;
    assert_int_equal(sbx_ledger_open(dir, 0, &l, &err), 0);
    assert_int_equal(sbx_fake_os_open(fake, &os, &err), 0);
    size_t counts[SBX_R_KIND_COUNT];
    assert_int_equal(sbx_ledger_count(l, counts, &err), 0);
    assert_int_equal(counts[SBX_R_INSTALLED_FILE], 40);
    assert_fake_matches_ledger(os, l);
    sbx_os_destroy(os);
    sbx_ledger_close(l);
    rm_tree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_second_locker_fails_clearly),
        cmocka_unit_test(test_concurrent_plans_serialize),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
