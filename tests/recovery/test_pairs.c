/* SPDX-License-Identifier: MIT */
/* One sandbox account pair per member (issue 12 item 13), on the real
 * machine through the real sbx, as root:
 *   - two members (the throwaway caller A and stranger B, each with a
 *     workspace of its own): A's sandbox, and A's sandbox accounts
 *     directly, can't write B's workspace, read B's live run's
 *     /proc/PID/environ, signal it or ptrace it;
 *   - `sbx migrate` from a machine set up with the shared pair of an
 *     older sbx (SBX_ELEVATED_SHARED_PAIR=1) to per-member pairs, and the
 *     same with SBX_FAULT=crash:K and fail:K at every operation, recovered
 *     by `sbx migrate --resume` or by rolling back (the next `sbx migrate`
 *     going on from there): afterwards the shared accounts are gone and
 *     the member's workspaces work. */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "recovery_env.h"

static char *shell_out(const char *fmt, const char *arg)
{
    char path[] = "/tmp/sbxr-pairs-XXXXXX", cmd[2048];
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    snprintf(cmd, sizeof cmd, fmt, arg);
    rec_sh("(%s) > %s 2>&1", cmd, path);
    char *text = read_file(path, NULL);
    unlink(path);
    return text ? text : strdup("");
}

static void test_two_members(void **state)
{
    (void)state;
    static struct rec_env e;
    struct rec_env b;
    rec_env_init(&e, 0);
    rec_member_b(&e, &b);
    struct sbx_member_pair pa, pb;
    assert_int_equal(sbx_elevated_member_pair(&e.names, e.caller, &pa, NULL), 0);
    assert_int_equal(sbx_elevated_member_pair(&e.names, e.stranger, &pb, NULL), 0);
    rec_sbx_ok(&e, false, 0, "setup", "--mode", "elevated", "--user", e.caller, NULL);
    rec_sbx_ok(&e, false, 0, "setup", "--mode", "elevated", "--user", e.stranger, NULL);
    rec_sbx_ok(&e, true, 0, "workspace", "add", e.ws1, NULL);
    rec_sbx_ok(&b, true, 0, "workspace", "add", b.ws1, NULL);
    assert_non_null(getpwnam(pa.offline));
    assert_non_null(getpwnam(pb.offline));
    assert_null(getpwnam(e.shared_offline));

    /* B's live run, holding a secret in its environment. */
    struct rec_cmd live = {.as_caller = true,
                           .argv = {"run", "--", "sh", "-c",
                                    "echo started > started; B_SECRET=hunter2 exec sleep 60",
                                    NULL}};
    rec_start(&b, &live);
    char started[256];
    snprintf(started, sizeof started, "%s/started", b.ws1);
    for (int i = 0; i < 200 && access(started, F_OK) != 0; i++)
        usleep(50000);
    if (access(started, F_OK) != 0) {
        rec_sh("kill -KILL %d", (int)live.pid);
        rec_wait(&live);
        fail_msg("member B's run did not start: exit %d: %s / %s", live.status, live.out,
                 live.err);
    }
    char *pid_text = shell_out("pgrep -u %s -x sleep | head -1", pb.offline);
    int pid = atoi(pid_text);
    free(pid_text);
    assert_true(pid > 1);
    /* B's own account reads it: the attempts below are worth something. */
    char mine[1024];
    snprintf(mine, sizeof mine,
             "setpriv --reuid %s --regid %s --clear-groups sh -c 'tr \"\\0\" \"\\n\" < "
             "/proc/%d/environ; kill -0 %d && echo CAN-SIGNAL; /usr/bin/python3 -c \"import "
             "ctypes,sys,time; l=ctypes.CDLL(None); a=l.ptrace(16, %d, 0, 0); time.sleep(0.2); "
             "l.ptrace(17, %d, 0, 0); sys.exit(0 if a == 0 else 1)\" && echo CAN-PTRACE'",
             pb.offline, pb.offline, pid, pid, pid, pid);
    char *own = shell_out("%s", mine);
    if (!strstr(own, "hunter2") || !strstr(own, "CAN-SIGNAL") || !strstr(own, "CAN-PTRACE"))
        fail_msg("B's own account can't read, signal or ptrace its run: %s", own);
    free(own);

    /* A's accounts, directly (outside any namespace): nothing of B's. */
    const char *accts[2] = {pa.offline, pa.online};
    for (int i = 0; i < 2; i++) {
        char c[2048];
        snprintf(c, sizeof c,
                 "setpriv --reuid %s --regid %s --clear-groups sh -c '"
                 "echo x > %s/pwn 2>/dev/null && echo WROTE; "
                 "cat /proc/%d/environ 2>/dev/null | tr \"\\0\" \"\\n\" | grep B_SECRET; "
                 "kill -0 %d 2>/dev/null && echo SIGNALLED; "
                 "/usr/bin/python3 -c \"import ctypes,sys; l=ctypes.CDLL(None); "
                 "sys.exit(0 if l.ptrace(16, %d, 0, 0) == 0 else 1)\" && echo PTRACED; "
                 "echo done'",
                 accts[i], accts[i], b.ws1, pid, pid, pid);
        char *out = shell_out("%s", c);
        if (strstr(out, "WROTE") || strstr(out, "hunter2") || strstr(out, "SIGNALLED") ||
            strstr(out, "PTRACED") || !strstr(out, "done"))
            fail_msg("account %s reached member B's run or workspace: %s", accts[i], out);
        free(out);
    }
    /* A's sandbox, through sbx (its own pair), the same attempts. */
    char script[1024];
    snprintf(script, sizeof script,
             "id -un; echo x > %s/pwn 2>/dev/null && echo WROTE; "
             "cat /proc/%d/environ 2>/dev/null | tr '\\0' '\\n' | grep B_SECRET; "
             "kill -0 %d 2>/dev/null && echo SIGNALLED; echo mine > a-made; echo done",
             b.ws1, pid, pid);
    struct rec_cmd a = {.as_caller = true, .argv = {"run", "--", "sh", "-c", script, NULL}};
    rec_start(&e, &a);
    assert_int_equal(rec_wait(&a), 0);
    if (strstr(a.out, "WROTE") || strstr(a.out, "hunter2") || strstr(a.out, "SIGNALLED") ||
        !strstr(a.out, "done") || strncmp(a.out, pa.offline, strlen(pa.offline)) != 0)
        fail_msg("member A's sandbox: %s / %s", a.out, a.err);
    rec_cmd_free(&a);
    /* A asks the launcher itself for B's accounts (by name, by uid): the
     * pair is picked by A's real uid, so it refuses. */
    const char *theirs[3] = {pb.offline, pb.online, NULL};
    char uid_b[16];
    snprintf(uid_b, sizeof uid_b, "%u", (unsigned)getpwnam(pb.offline)->pw_uid);
    theirs[2] = uid_b;
    for (int i = 0; i < 3; i++) {
        char c[2048];
        snprintf(c, sizeof c,
                 "cd %s && setpriv --reuid %s --regid %s --init-groups %s/elevated/sbx-launch "
                 "--account %s --workspace %s -- /usr/bin/id -un; echo \"exit $?\"",
                 e.ws1, e.caller, e.caller, e.machine, theirs[i], e.ws1);
        char *out = shell_out("%s", c);
        if (!strstr(out, "exit 125") || !strstr(out, "sandbox accounts for you"))
            fail_msg("the launcher let member A ask for %s: %s", theirs[i], out);
        free(out);
    }
    /* B's workspace is granted to B's pair only; A's to A's. */
    char *acl = shell_out("getfacl -p -n %s", b.ws1);
    char uid_a[32];
    snprintf(uid_a, sizeof uid_a, "user:%u:", (unsigned)getpwnam(pa.offline)->pw_uid);
    if (strstr(acl, uid_a))
        fail_msg("B's workspace names A's account: %s", acl);
    free(acl);
    rec_sh("pkill -KILL -u %s", pb.offline);
    rec_wait(&live);
    rec_cmd_free(&live);
    rec_sh("rm -f %s %s/a-made", started, e.ws1);
    rec_sbx_ok(&b, true, 0, "cleanup", NULL);
    rec_cleanup_all(&e);
    assert_null(getpwnam(pa.offline));
    assert_null(getpwnam(pb.offline));
    rec_env_fini(&e);
}

/* The machine as an sbx before per-member pairs left it: the caller in
 * the elevated mode on the shared pair, a file its sandbox made. */
static const char *const shared_env[] = {"SBX_ELEVATED_SHARED_PAIR=1", NULL};

static void shared_setup(const struct rec_env *e)
{
    rec_unelevated_setup(e);
    int st = rec_sbx(e, false, shared_env, NULL, NULL, "migrate", "--to", "elevated", "--user",
                     e->caller, NULL);
    assert_int_equal(st, 0);
    assert_non_null(getpwnam(e->shared_offline));
    assert_null(getpwnam(e->names.offline));
    /* What its sandbox would have made: a file of the shared account's. */
    assert_int_equal(rec_sh("cd %s && echo made > made-by-sandbox && chown %s made-by-sandbox && "
                            "setfacl -m u:%s:rw,u:%s:rw made-by-sandbox",
                            e->ws1, e->shared_offline, e->shared_offline, e->shared_online),
                     0);
}

/* After the migration: no shared pair, the caller's own works. */
static void check_migrated(const struct rec_env *e, const char *how)
{
    if (getpwnam(e->shared_offline) || getpwnam(e->shared_online))
        fail_msg("%s: the shared accounts are still there", how);
    assert_non_null(getpwnam(e->names.offline));
    const char *wss[2] = {e->ws1, e->ws2};
    for (int i = 0; i < 2; i++) {
        struct rec_cmd c = {.as_caller = true,
                            .cwd = wss[i],
                            .argv = {"run", "--", "sh", "-c",
                                     "id -un; echo again >> made-by-sandbox-2 && rm "
                                     "made-by-sandbox-2 && echo ok",
                                     NULL}};
        rec_start(e, &c);
        int st = rec_wait(&c);
        if (st != 0 || strncmp(c.out, e->names.offline, strlen(e->names.offline)) != 0 ||
            !strstr(c.out, "ok"))
            fail_msg("%s: a run in %s: exit %d: %s / %s", how, wss[i], st, c.out, c.err);
        rec_cmd_free(&c);
    }
    char made[256];
    struct stat st;
    snprintf(made, sizeof made, "%s/made-by-sandbox", e->ws1);
    assert_int_equal(stat(made, &st), 0);
    if (st.st_uid != e->caller_uid)
        fail_msg("%s: the shared account's file was not given back (uid %u)", how,
                 (unsigned)st.st_uid);
    rec_sh("rm -f %s", made);
}

static void test_migrate_shared_to_pairs(void **state)
{
    (void)state;
    static struct rec_env e;
    rec_env_init(&e, 0);
    shared_setup(&e);
    rec_sbx_ok(&e, false, 0, "migrate", NULL);
    check_migrated(&e, "migrate");
    rec_back_to_start(&e, NULL, "migrate to per-member pairs");
    rec_env_fini(&e);
}

static void back_to_start(const struct rec_env *e, const char *label)
{
    rec_back_to_start(e, NULL, label);
}

/* Every fault point: crash (resume, or roll back and migrate again) and
 * failure (migrate again). */
static void test_migrate_every_fault(void **state)
{
    (void)state;
    static struct rec_env e;
    unsigned n = rec_migrate_every_fault(&e, 40, shared_setup, check_migrated, back_to_start);
    fprintf(stderr, "migrate to per-member pairs: %u operations, each crashed and failed\n", n);
    assert_true(n >= 4);
}

int main(int argc, char **argv)
{
    rec_require_root();
    if (argc > 1)
        cmocka_set_test_filter(argv[1]); /* e.g. test_two_members */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_two_members, rec_teardown),
        cmocka_unit_test_teardown(test_migrate_shared_to_pairs, rec_teardown),
        cmocka_unit_test_teardown(test_migrate_every_fault, rec_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
