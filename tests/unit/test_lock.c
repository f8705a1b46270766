/* SPDX-License-Identifier: MIT */
/* The plan lock: a second process is refused while the first holds it,
 * waits for it, and two plans never run at once.  Both tests fail, every
 * time, when the lock does not exclude (checked by making sbx_lock_acquire
 * a no-op: see CHANGELOG). */
#include <fcntl.h>
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
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("a second process took the plan lock while the first held it (%s)", msg);
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

/* Exit codes of plan_child, for the messages. */
enum {
    CHILD_OPEN = 2,   /* could not open the fake OS or the ledger */
    CHILD_LOCK = 3,   /* could not take the lock (first: at once; second: waiting) */
    CHILD_PLAN = 4,   /* the plan failed */
    CHILD_INSIDE = 5, /* another process was inside the lock at the same time */
    CHILD_TOOK = 6,   /* took the lock while the other process held it */
    CHILD_BLIND = 7,  /* did not see the first process's committed plan */
    CHILD_PIPE = 8,
};

static const char *child_why(int code)
{
    switch (code) {
    case CHILD_OPEN: return "could not open the fake OS or the ledger";
    case CHILD_LOCK: return "could not take the plan lock";
    case CHILD_PLAN: return "its plan failed";
    case CHILD_INSIDE: return "found another process inside the plan lock";
    case CHILD_TOOK: return "took the plan lock while the other process held it";
    case CHILD_BLIND: return "did not see the plan the first process committed";
    case CHILD_PIPE: return "lost the test's pipe";
    default: return "?";
    }
}

/* Process `i` of test_plans_exclude_each_other: its plan adds 20 files
 * and keeps what is there (the union of both).  Inside the lock it holds
 * <dir>/inside, created with O_EXCL: a second process inside fails to.
 *  i = 0: takes the lock at once, says 'L', and waits for the test's 'G'
 *         before its plan: the lock is held for as long as the test wants.
 *  i = 1: started while 0 holds the lock: must be refused at once; says
 *         'R'; then waits for the lock, which it gets once 0 has finished,
 *         and must find 0's 20 files in the ledger. */
static int plan_child(int i, const char *dir, const char *fake, int to_test, int from_test)
{
    struct sbx_error e = {0};
    struct sbx_ledger *l = NULL;
    struct sbx_os *os = NULL;
    if (sbx_fake_os_open(fake, &os, &e) || sbx_ledger_open(dir, SBX_LEDGER_CREATE, &l, &e))
        return CHILD_OPEN;
    if (i == 1) {
        int rc = sbx_ledger_lock(l, 0, &e);
        if (rc == 0)
            return CHILD_TOOK;
        if (rc != -SBX_ELOCKED)
            return CHILD_LOCK;
        if (write(to_test, "R", 1) != 1)
            return CHILD_PIPE;
    }
    if (sbx_ledger_lock(l, i == 0 ? 0 : 20000, &e))
        return CHILD_LOCK;
    char inside[4200];
    path_join(inside, sizeof inside, dir, "inside");
    int fd = open(inside, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return CHILD_INSIDE;
    close(fd);
    if (i == 0) {
        char go = 0;
        if (write(to_test, "L", 1) != 1 || read(from_test, &go, 1) != 1 || go != 'G')
            return CHILD_PIPE;
    }
    struct sbx_resource_list cur = {0}, want = {0};
    if (sbx_ledger_resources(l, &cur, &e))
        return CHILD_PLAN;
    if (i == 1 && cur.len != 20)
        return CHILD_BLIND;
    char key[64];
    for (int k = 0; k < 20; k++) {
        snprintf(key, sizeof key, "/ws/%d/file%d", i, k);
        sbx_rlist_add(&want, SBX_R_INSTALLED_FILE, key, NULL, NULL, key, NULL, NULL);
    }
    for (size_t r = 0; r < cur.len; r++)
        sbx_rlist_push(&want, &cur.items[r]);
    struct sbx_plan p = {0};
    struct sbx_engine eng = {.ledger = l, .os = os};
    if (sbx_plan_compute(&cur, &want, "setup", &p, &e) || sbx_plan_apply(&eng, &p, &e))
        return CHILD_PLAN;
    sbx_plan_free(&p);
    sbx_rlist_free(&cur);
    sbx_rlist_free(&want);
    if (unlink(inside) != 0)
        return CHILD_INSIDE;
    sbx_ledger_close(l); /* releases the lock */
    sbx_os_destroy(os);
    return 0;
}

/* Two processes run a plan on the same ledger: the second is refused
 * while the first holds the lock, waits for it, gets it once the first has
 * finished, and sees its plan; both plans are whole in the ledger and on
 * the machine.  No timing: the first holds the lock until the test has
 * seen the second refused (a lock that does not exclude fails here
 * every time). */
static void test_plans_exclude_each_other(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char fake[4200];
    path_join(fake, sizeof fake, dir, "machine.fake");
    /* up[i]: process i to the test; down: the test to process 0.  Each
     * pipe is made just before its process, so that no other process
     * holds its write end (a process that dies unheard is an EOF). */
    int up[2][2], down[2];
    assert_int_equal(pipe(down), 0);
    pid_t pids[2];
    for (int i = 0; i < 2; i++) {
        assert_int_equal(pipe(up[i]), 0);
        fflush(NULL);
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            close(up[i][0]);
            close(down[1]);
            _exit(plan_child(i, dir, fake, up[i][1], down[0]));
        }
        close(up[i][1]);
        /* The first must hold the lock before the second starts. */
        char said = 0;
        ssize_t n = read(up[i][0], &said, 1);
        if (i == 0 && (n != 1 || said != 'L')) {
            int st = 0;
            waitpid(pids[0], &st, 0);
            fail_msg("the first process did not take the lock: exit %d (%s)",
                     WIFEXITED(st) ? WEXITSTATUS(st) : -1,
                     child_why(WIFEXITED(st) ? WEXITSTATUS(st) : -1));
        }
        if (i == 1 && (n != 1 || said != 'R'))
            fprintf(stderr, "the second process was not refused while the first held the lock\n");
    }
    close(down[0]);
    /* Now the first may go on, finish and release the lock. */
    assert_int_equal(write(down[1], "G", 1), 1);
    close(down[1]);
    for (int i = 0; i < 2; i++) {
        int status;
        assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) != 0)
            fail_msg("the %s process: exit %d: %s", i == 0 ? "first" : "second",
                     WEXITSTATUS(status), child_why(WEXITSTATUS(status)));
        close(up[i][0]);
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
        cmocka_unit_test(test_plans_exclude_each_other),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
