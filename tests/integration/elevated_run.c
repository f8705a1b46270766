/* SPDX-License-Identifier: MIT */
/* Elevated mode, end to end on this machine (root): setup through the plan
 * engine, a workspace granted by its (non-root) owner, commands run as the
 * caller through the installed setuid launcher, what the sandbox account
 * can and cannot touch, exit statuses, and a cleanup that leaves the
 * machine as it was. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "migrate/plan.h"
#include "modes/common/linux/launch_conf.h"
#include "state/ledger.h"
#include "tests/integration/elevated_env.h"

static struct elev_env env;
static bool cleaned;

static int group_setup(void **state)
{
    (void)state;
    if (elev_env_setup(&env) != 0) {
        fprintf(stderr, "setup failed; removing what was made\n");
        elev_env_teardown(&env);
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    if (!cleaned)
        elev_env_teardown(&env);
    return 0;
}

static void path_in(char *out, size_t len, const char *dir, const char *name)
{
    snprintf(out, len, "%s/%s", dir, name);
}

static void test_setup_made_the_objects(void **state)
{
    (void)state;
    struct passwd *pw = getpwnam(env.names.offline);
    assert_non_null(pw);
    assert_string_equal(pw->pw_shell, "/usr/sbin/nologin");
    assert_int_equal(strncmp(pw->pw_gecos, SBX_MARKER, strlen(SBX_MARKER)), 0);
    struct stat st;
    assert_int_equal(stat(pw->pw_dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(st.st_uid, env.offline_uid);

    char out[8192], path[PATH_MAX + 64];
    /* The caller is a member, the stranger is not. */
    assert_int_equal(elev_sh(out, sizeof out, "getent group %s", env.names.group), 0);
    assert_non_null(strstr(out, env.caller));
    assert_null(strstr(out, env.stranger));
    /* nft: the offline uid rejected, the online uid not mentioned. */
    assert_int_equal(elev_sh(out, sizeof out, "nft -n list table inet %s", env.names.table), 0);
    char want[64];
    snprintf(want, sizeof want, "meta skuid %u", (unsigned)env.offline_uid);
    assert_non_null(strstr(out, want));
    snprintf(want, sizeof want, "skuid %u", (unsigned)env.online_uid);
    assert_null(strstr(out, want));
    /* The launcher: setuid root, runnable by the group only. */
    snprintf(path, sizeof path, "%s/elevated/%s", env.state, SBX_LAUNCH_NAME);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 04750);
    assert_int_equal(st.st_uid, 0);
    assert_int_equal(st.st_gid, env.group_gid);
    snprintf(path, sizeof path, "%s/elevated/%s", env.state, SBX_LAUNCH_CONF_NAME);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);
    assert_int_equal(stat(env.state, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0711);
    /* ACL entries: tree, defaults, owner default; none on the home (the
     * launcher's home skeleton leads the accounts to the workspace). */
    assert_int_equal(elev_sh(out, sizeof out, "getfacl -p %s", env.ws), 0);
    char e1[128], e2[128], e3[128];
    snprintf(e1, sizeof e1, "\nuser:%s:rwx", env.names.offline);
    snprintf(e2, sizeof e2, "default:user:%s:rwx", env.names.online);
    snprintf(e3, sizeof e3, "default:user:%s:rwx", env.caller);
    assert_non_null(strstr(out, e1));
    assert_non_null(strstr(out, e2));
    assert_non_null(strstr(out, e3));
    assert_int_equal(elev_sh(out, sizeof out, "getfacl -p %s/src/main.c", env.ws), 0);
    snprintf(e1, sizeof e1, "user:%s:rw-", env.names.offline);
    assert_non_null(strstr(out, e1));
    assert_int_equal(elev_sh(out, sizeof out, "getfacl -p %s/run.sh", env.ws), 0);
    snprintf(e1, sizeof e1, "user:%s:rwx", env.names.offline);
    assert_non_null(strstr(out, e1));
    assert_int_equal(elev_sh(out, sizeof out, "getfacl -p %s", env.home), 0);
    snprintf(e1, sizeof e1, "user:%s:", env.names.offline);
    snprintf(e2, sizeof e2, "user:%s:", env.names.online);
    if (strstr(out, e1) || strstr(out, e2))
        fail_msg("%s carries an entry for a sandbox account: %s", env.home, out);
    (void)path_in;
}

/* Every recorded resource probes present (the recovery path relies on it). */
static void test_probes_match_the_ledger(void **state)
{
    (void)state;
    const char *dirs[] = {env.state, env.user_state};
    for (int i = 0; i < 2; i++) {
        struct sbx_ledger *l = NULL;
        struct sbx_os *os = NULL;
        struct sbx_error err = {0};
        struct sbx_resource_list res = {0};
        assert_int_equal(sbx_ledger_open(dirs[i], SBX_LEDGER_READONLY, &l, &err), 0);
        assert_int_equal(sbx_os_open_native(&os, &err), 0);
        assert_int_equal(sbx_ledger_resources(l, &res, &err), 0);
        size_t probed = 0;
        for (size_t k = 0; k < res.len; k++) {
            if (sbx_rkind_ledger_only(res.items[k].kind))
                continue;
            enum sbx_presence p = SBX_ABSENT;
            assert_int_equal(sbx_os_probe(os, &res.items[k], &p, &err), 0);
            if (p != SBX_PRESENT)
                fail_msg("%s %s probes %d", sbx_rkind_name(res.items[k].kind), res.items[k].key,
                         (int)p);
            probed++;
        }
        /* the machine's objects; the user's: the workspace's tree grant */
        assert_true(probed >= (i == 0 ? 10u : 1u));
        sbx_rlist_free(&res);
        sbx_os_destroy(os);
        sbx_ledger_close(l);
    }
}

static void run_ok(const char *script, bool net, int want_status)
{
    const char *argv[] = {"/bin/sh", "-c", script, NULL};
    struct elev_run r = {.env = &env, .argv = argv, .net = net};
    assert_int_equal(elev_run_as_caller(&r), 0);
    if (r.status != want_status)
        fail_msg("`%s`: status %d (rc %d: %s), wanted %d", script, r.status, r.rc, r.msg,
                 want_status);
}

static void ws_file(const char *name, char *buf, size_t len)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", env.ws, name);
    elev_read(path, buf, len);
}

static void test_runs_as_the_accounts(void **state)
{
    (void)state;
    char buf[8192], want[64];
    run_ok("id -u > id-off.txt; id -G > groups-off.txt", false, 0);
    ws_file("id-off.txt", buf, sizeof buf);
    snprintf(want, sizeof want, "%u\n", (unsigned)env.offline_uid);
    assert_string_equal(buf, want);
    /* No supplementary group of the caller's survives. */
    ws_file("groups-off.txt", buf, sizeof buf);
    assert_null(strstr(buf, " "));
    run_ok("id -u > id-on.txt", true, 0);
    ws_file("id-on.txt", buf, sizeof buf);
    snprintf(want, sizeof want, "%u\n", (unsigned)env.online_uid);
    assert_string_equal(buf, want);
}

struct edit_arg {
    const char *ws;
};

/* As the caller: edit and delete what the sandbox made. */
static int caller_edits(void *arg)
{
    const struct edit_arg *a = arg;
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/made.txt", a->ws);
    int fd = open(p, O_WRONLY | O_APPEND);
    if (fd < 0 || write(fd, "edited\n", 7) != 7)
        return 1;
    close(fd);
    snprintf(p, sizeof p, "%s/out/sub/f.txt", a->ws);
    fd = open(p, O_WRONLY | O_TRUNC);
    if (fd < 0)
        return 2;
    close(fd);
    snprintf(p, sizeof p, "%s/out/sub/f.txt", a->ws);
    if (unlink(p) != 0)
        return 3;
    snprintf(p, sizeof p, "%s/out/sub", a->ws);
    if (rmdir(p) != 0)
        return 4;
    snprintf(p, sizeof p, "%s/out", a->ws);
    if (rmdir(p) != 0)
        return 5;
    snprintf(p, sizeof p, "%s/made.txt", a->ws);
    return unlink(p) == 0 ? 0 : 6;
}

static void test_sandbox_files_stay_the_callers(void **state)
{
    (void)state;
    run_ok("echo made > made.txt && mkdir -p out/sub && echo deep > out/sub/f.txt", false, 0);
    struct stat st;
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/made.txt", env.ws);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_uid, env.offline_uid);
    struct edit_arg a = {.ws = env.ws};
    assert_int_equal(elev_as(env.caller_uid, env.caller_gid, false, caller_edits, &a), 0);
}

static void test_private_files_out_of_reach(void **state)
{
    (void)state;
    char script[8192], buf[4096];
    snprintf(script, sizeof script,
             "cat %s/.ssh/id_test > leak1.txt 2>&1; ls %s > leak2.txt 2>&1; "
             "cat %s/notes.txt > leak3.txt 2>&1; cat src/main.c > read.txt; "
             "echo w > written.txt; "
             "if echo x > %s/drop/outside.txt 2>/dev/null; then echo yes; else echo no; fi "
             "> outside.txt; "
             "if echo x >> .git/HEAD 2>/dev/null; then echo yes; else echo no; fi > git.txt",
             env.home, env.home, env.home, env.root);
    run_ok(script, false, 0);
    ws_file("leak1.txt", buf, sizeof buf);
    assert_null(strstr(buf, "SECRET-KEY"));
    /* out of reach: ~/.ssh is both behind the home's mode and hidden (an
     * empty stand-in), whichever the account meets first */
    if (!strstr(buf, "Permission denied") && !strstr(buf, "No such file"))
        fail_msg("reading the key: %s", buf);
    ws_file("leak2.txt", buf, sizeof buf);
    assert_null(strstr(buf, "notes.txt"));
    ws_file("leak3.txt", buf, sizeof buf);
    assert_null(strstr(buf, "private"));
    ws_file("read.txt", buf, sizeof buf);
    assert_string_equal(buf, "int main;\n");
    ws_file("written.txt", buf, sizeof buf);
    assert_string_equal(buf, "w\n");
    ws_file("outside.txt", buf, sizeof buf);
    assert_string_equal(buf, "no\n");
    ws_file("git.txt", buf, sizeof buf);
    assert_string_equal(buf, "no\n");
}

static void test_environment_is_clean(void **state)
{
    (void)state;
    const char *argv[] = {"/bin/sh", "-c", "env > env.txt; test ! -e ../pwned", NULL};
    struct elev_run r = {.env = &env, .argv = argv, .poison_env = true};
    assert_int_equal(elev_run_as_caller(&r), 0);
    assert_int_equal(r.status, 0);
    char buf[16384], want[1024];
    ws_file("env.txt", buf, sizeof buf);
    assert_null(strstr(buf, "LD_PRELOAD"));
    assert_null(strstr(buf, "LD_LIBRARY_PATH"));
    assert_null(strstr(buf, "GCONV_PATH"));
    assert_null(strstr(buf, "SBX_ELEVATED_PREFIX"));
    snprintf(want, sizeof want, "HOME=%s/elevated/home/%s\n", env.state, env.names.offline);
    assert_non_null(strstr(buf, want));
    snprintf(want, sizeof want, "TMPDIR=%s/elevated/home/%s/tmp\n", env.state, env.names.offline);
    assert_non_null(strstr(buf, want));
}

static void test_exit_statuses(void **state)
{
    (void)state;
    run_ok("exit 7", false, 7);
    run_ok("kill -TERM $$", false, 143);
    const char *missing[] = {"sbx-no-such-command", NULL};
    struct elev_run r = {.env = &env, .argv = missing};
    assert_int_equal(elev_run_as_caller(&r), 0);
    assert_int_equal(r.status, 127);
    assert_true(r.rc < 0);
    const char *noexec[] = {"./src/main.c", NULL};
    struct elev_run r2 = {.env = &env, .argv = noexec};
    assert_int_equal(elev_run_as_caller(&r2), 0);
    assert_int_equal(r2.status, 126);
    /* --timeout: the whole tree dies, status 124, promptly (a bound far
     * below the sleeps' 30 s, with room for a loaded machine). */
    const char *sleeper[] = {"/bin/sh", "-c", "sleep 30 & sleep 30", NULL};
    struct elev_run r3 = {.env = &env, .argv = sleeper, .timeout = 1};
    time_t t0 = time(NULL);
    assert_int_equal(elev_run_as_caller(&r3), 0);
    assert_int_equal(r3.status, 124);
    assert_true(time(NULL) - t0 <= 10);
    char out[256];
    char cmd[128];
    snprintf(cmd, sizeof cmd, "pgrep -u %u sleep | wc -l", (unsigned)env.offline_uid);
    assert_int_equal(elev_sh(out, sizeof out, "%s", cmd), 0);
    assert_string_equal(out, "0\n");
    /* A signal to sbx reaches the command (forwarded twice). */
    const char *term[] = {"/bin/sh", "-c", "echo running; exec /bin/sleep 30", NULL};
    struct elev_run r4 = {.env = &env, .argv = term, .signal_when_ready = true};
    t0 = time(NULL);
    assert_int_equal(elev_run_as_caller(&r4), 0);
    assert_int_equal(r4.status, 143);
    assert_true(time(NULL) - t0 <= 10);
}

/* Last: the user removes the grant, root cleans up; compare. */
static int delete_sandbox_files(void *arg)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "find %s -mindepth 1 -depth ! -uid %u -delete", env.ws,
             (unsigned)env.caller_uid);
    (void)arg;
    return system(cmd) == 0 ? 0 : 1;
}

static void test_zz_cleanup_leaves_nothing(void **state)
{
    (void)state;
    /* The owner can't take the grant off files the sandbox made (only
     * root can change them or give them back): the removal is refused and
     * rolled back rather than leaving them behind; once the owner has
     * deleted them, it goes through. */
    char out[65536], e1[128];
    elev_sh(out, sizeof out, "find %s ! -uid %u | wc -l", env.ws, (unsigned)env.caller_uid);
    assert_string_not_equal(out, "0\n"); /* the sandbox's files are there */
    assert_int_not_equal(elev_converge(&env, false, false, false), 0);
    elev_sh(out, sizeof out, "getfacl -n -p %s | grep -c 'user:%u:'", env.ws,
            (unsigned)env.offline_uid);
    assert_string_not_equal(out, "0\n"); /* still granted: rolled back whole */
    assert_int_equal(elev_as(env.caller_uid, env.caller_gid, false, delete_sandbox_files, NULL),
                     0);
    assert_int_equal(elev_converge(&env, false, false, false), 0);
    elev_sh(out, sizeof out, "find %s -uid %u -exec getfacl -n -p {} + | grep -c 'user:%u:'",
            env.ws, (unsigned)env.caller_uid, (unsigned)env.offline_uid);
    assert_string_equal(out, "0\n");
    assert_int_equal(elev_sh(out, sizeof out, "getfacl -R -p %s", env.home), 0);
    snprintf(e1, sizeof e1, "user:%u:", (unsigned)env.offline_uid);
    assert_null(strstr(out, e1));
    cleaned = true;
    assert_int_equal(elev_env_teardown(&env), 0);
    assert_null(getpwnam(env.names.offline));
    assert_int_not_equal(elev_sh(out, sizeof out, "nft list table inet %s 2>/dev/null",
                                 env.names.table),
                         0);
}

int main(void)
{
    elev_require_root();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_setup_made_the_objects),
        cmocka_unit_test(test_probes_match_the_ledger),
        cmocka_unit_test(test_runs_as_the_accounts),
        cmocka_unit_test(test_sandbox_files_stay_the_callers),
        cmocka_unit_test(test_private_files_out_of_reach),
        cmocka_unit_test(test_environment_is_clean),
        cmocka_unit_test(test_exit_statuses),
        cmocka_unit_test(test_zz_cleanup_leaves_nothing),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
