/* SPDX-License-Identifier: MIT */
/* Issue 6: damage and bad input.  A truncated ledger, a ledger of a newer
 * schema, ledgers whose rows point outside any workspace or at principals
 * that are not sbx's, a workspace deleted or moved after its grant,
 * dangerous paths: sbx refuses or ignores, with a clear error, and never
 * removes or grants anything else.  Also: the caller's cleanup beside a
 * machine-wide elevated setup, and root's cleanup beside another sbx
 * instance (other names, other machine ledger). */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "recovery_env.h"

static void sql(const char *db, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sql(const char *db, const char *fmt, ...)
{
    static char text[16384];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    assert_true(n > 0 && (size_t)n < sizeof text);
    sqlite3 *h = NULL;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    char *msg = NULL;
    int rc = sqlite3_exec(h, text, NULL, NULL, &msg);
    static char why[512];
    snprintf(why, sizeof why, "%s", msg ? msg : "");
    sqlite3_free(msg);
    sqlite3_close(h);
    if (rc != SQLITE_OK)
        fail_msg("sqlite on %s: %s", db, why);
}

/* sbx as who must exit 125 with a message naming `needle`. */
static void refused(const struct rec_env *e, bool as_caller, const char *needle, ...)
    __attribute__((sentinel));
static void refused(const struct rec_env *e, bool as_caller, const char *needle, ...)
{
    va_list ap;
    va_start(ap, needle);
    struct rec_cmd c = {.as_caller = as_caller};
    size_t n = 0;
    for (const char *a; n < 39 && (a = va_arg(ap, const char *));)
        c.argv[n++] = a;
    va_end(ap);
    rec_start(e, &c);
    int st = rec_wait(&c);
    bool ok = st == 125 && strstr(c.err, needle);
    static char msg[4096];
    snprintf(msg, sizeof msg, "sbx %s %s (as %s): exit %d, want 125 and '%s': %.3000s", c.argv[0],
             c.argv[1] ? c.argv[1] : "", as_caller ? "caller" : "root", st, needle, c.err);
    rec_cmd_free(&c);
    if (!ok)
        fail_msg("%s", msg);
}

static char *file_or_empty(const char *path)
{
    char *s = read_file(path, NULL);
    return s ? s : strdup("");
}

static void end_same(struct rec_env *e, const char *what)
{
    char *after = rec_snapshot(e, true);
    bool same = rec_same(e->snap0, after, what);
    free(after);
    if (!same)
        fail_msg("%s", what);
}

static void elevated_caller(const struct rec_env *e)
{
    rec_unelevated_setup(e);
    rec_sbx_ok(e, false, 0, "migrate", "--to", "elevated", "--user", e->caller, NULL);
}

/* --- a truncated ledger --------------------------------------------- */
static void test_truncated_ledgers(void **state)
{
    (void)state;
    static struct rec_env e;
    rec_env_init(&e, 0);
    elevated_caller(&e);
    char *before = rec_snapshot(&e, false);
    char path[256];
    snprintf(path, sizeof path, "%s/ledger.db", e.user_state);
    assert_int_equal(truncate(path, 1500), 0);
    char *damaged = file_or_empty(path);
    refused(&e, true, "ledger", "workspace", "add", e.ws2, NULL);
    refused(&e, true, "ledger", "rollback", NULL);
    refused(&e, false, "ledger", "migrate", "--to", "unelevated", "--user", e.caller, NULL);
    char *now = file_or_empty(path);
    assert_memory_equal(damaged, now, 1500);
    free(now);
    free(damaged);
    char *after = rec_snapshot(&e, false);
    bool same = rec_same(before, after, "after commands on a truncated ledger");
    free(before);
    free(after);
    assert_true(same);
    /* The machine ledger truncated as well: cleanup by sbx's markers; the
     * damaged ledgers are set aside, not deleted. */
    snprintf(path, sizeof path, "%s/ledger.db", e.machine);
    assert_int_equal(truncate(path, 1500), 0);
    rec_cleanup_all(&e);
    assert_int_equal(rec_sh("ls %s/ledger.db.damaged-* >/dev/null && ls %s/ledger.db.damaged-* "
                            ">/dev/null",
                            e.machine, e.user_state),
                     0);
    rec_sh("rm -f %s/ledger.db.damaged-* %s/ledger.db.damaged-*; rmdir %s %s %s/.local/state "
           "%s/.local",
           e.machine, e.user_state, e.machine, e.user_state, e.home, e.home);
    end_same(&e, "after cleanup of truncated ledgers (damaged copies removed by the "
                            "test)");
}

/* --- a ledger from a newer sbx -------------------------------------- */
static void test_newer_schema(void **state)
{
    (void)state;
    static struct rec_env e;
    rec_env_init(&e, 0);
    rec_sh("mkdir -p %s && chown -R %s: %s/.local", e.user_state, e.caller, e.home);
    char fixture[512], db[256];
    snprintf(fixture, sizeof fixture, "%s/ledger-newer.sql", getenv("SBX_FIXTURES"));
    char *text = read_file(fixture, NULL);
    assert_non_null(text);
    snprintf(db, sizeof db, "%s/ledger.db", e.user_state);
    sql(db, "%s", text);
    free(text);
    rec_sh("chown %s: %s", e.caller, db);
    char *bytes = file_or_empty(db);
    refused(&e, true, "newer", "setup", "--mode", "unelevated", NULL);
    refused(&e, true, "newer", "workspace", "add", e.ws1, NULL);
    refused(&e, true, "newer", "cleanup", NULL);
    refused(&e, true, "newer", "status", NULL);
    char *now = file_or_empty(db);
    bool same_bytes = strcmp(bytes, now) == 0 && sbx_fs_exists(db);
    free(bytes);
    free(now);
    rec_sh("rm -rf %s/.local", e.home);
    end_same(&e, "after commands on a newer ledger (removed by the test)");
    assert_true(same_bytes);
}

/* --- tampered rows ---------------------------------------------------- */
static void test_tampered_rows(void **state)
{
    (void)state;
    static struct rec_env e;
    rec_env_init(&e, 0);
    char other[256];
    snprintf(other, sizeof other, "%s/stranger-files", e.root);
    rec_sh("mkdir -m 755 %s && echo theirs > %s/f && chown -R %s: %s", other, other, e.stranger,
           other);
    char *etc0 = NULL;
    elevated_caller(&e);
    char udb[256], mdb[256];
    snprintf(udb, sizeof udb, "%s/ledger.db", e.user_state);
    snprintf(mdb, sizeof mdb, "%s/ledger.db", e.machine);
    /* Rows of the caller's ledger for /etc and the stranger's directory,
     * copied from the real ones of ws1. */
    const char *targets[] = {"/etc", other};
    for (int i = 0; i < 2; i++)
        sql(udb,
            "INSERT INTO resources(kind,key,name,principal,path,detail,os_id,mode,state,"
            "created_plan,created_at) SELECT kind, replace(key, '%s', '%s'), name, principal, "
            "'%s', detail, os_id, mode, state, created_plan, created_at FROM resources WHERE "
            "state='present' AND kind IN ('acl_entry','workspace') AND (key LIKE '%%:%s' OR "
            "key = '%s');",
            e.ws1, targets[i], targets[i], e.ws1, e.ws1);
    /* Machine ledger rows naming the caller and the stranger as sbx's
     * accounts, and the stranger as a member. */
    const char *names[] = {e.caller, e.stranger};
    uid_t uids[] = {e.caller_uid, e.stranger_uid};
    for (int i = 0; i < 2; i++)
        sql(mdb,
            "INSERT INTO resources(kind,key,name,principal,path,detail,os_id,mode,state,"
            "created_plan,created_at) SELECT kind, '%s', '%s', '%u', path, detail, '%u', mode, "
            "state, created_plan, created_at FROM resources WHERE state='present' AND "
            "kind='account' AND key='%s';",
            names[i], names[i], (unsigned)uids[i], (unsigned)uids[i], e.names.offline);
    char *passwd0 = NULL;
    {
        char cmd_out[] = "/tmp/sbxr-pw-XXXXXX";
        int fd = mkstemp(cmd_out);
        close(fd);
        rec_sh("(getent passwd %s %s; id %s; getfacl -p -n /etc %s %s/f) > %s", e.caller,
               e.stranger, e.caller, other, other, cmd_out);
        etc0 = read_file(cmd_out, NULL);
        unlink(cmd_out);
        passwd0 = etc0;
    }
    /* Everything a tampered ledger could make sbx act on. */
    char *out = NULL, *err = NULL;
    const char *const cmds[][8] = {
        {"workspace", "add", NULL, NULL},  {"doctor", "--repair", NULL},
        {"workspace", "remove", "/etc", NULL}, {"rollback", NULL},
    };
    for (size_t i = 0; i < 4; i++) {
        int st = rec_sbx(&e, true, NULL, &out, &err, cmds[i][0], cmds[i][1],
                         i == 0 ? e.ws2 : cmds[i][2], NULL);
        fprintf(stderr, "caller: sbx %s %s: exit %d %s", cmds[i][0], cmds[i][1], st, err);
        free(out);
        free(err);
    }
    int st = rec_sbx(&e, false, NULL, NULL, &err, "migrate", "--to", "unelevated", "--user",
                     e.caller, NULL);
    fprintf(stderr, "root: sbx migrate --to unelevated: exit %d %s", st, err);
    free(err);
    st = rec_sbx(&e, false, NULL, NULL, &err, "doctor", "--repair", "--state", e.machine, NULL);
    fprintf(stderr, "root: sbx doctor --repair: exit %d %s", st, err);
    free(err);
    st = rec_sbx(&e, false, NULL, NULL, &err, "cleanup", NULL);
    fprintf(stderr, "root: sbx cleanup: exit %d %s", st, err);
    free(err);
    st = rec_sbx(&e, true, NULL, NULL, &err, "cleanup", NULL);
    fprintf(stderr, "caller: sbx cleanup: exit %d %s", st, err);
    free(err);
    char cmd_out[] = "/tmp/sbxr-pw-XXXXXX";
    int fd = mkstemp(cmd_out);
    close(fd);
    rec_sh("(getent passwd %s %s; id %s; getfacl -p -n /etc %s %s/f) > %s", e.caller, e.stranger,
           e.caller, other, other, cmd_out);
    char *etc1 = read_file(cmd_out, NULL);
    unlink(cmd_out);
    bool untouched = passwd0 && etc1 && strcmp(passwd0, etc1) == 0;
    if (!untouched)
        rec_same(passwd0 ? passwd0 : "", etc1 ? etc1 : "", "in /etc's ACL or the accounts");
    free(passwd0);
    free(etc1);
    assert_true(untouched);
    /* With the tampered rows taken out again, sbx cleans up completely. */
    for (int i = 0; i < 2; i++)
        sql(udb, "DELETE FROM resources WHERE path = '%s' OR key LIKE '%%:%s';", targets[i],
            targets[i]);
    sql(mdb, "DELETE FROM resources WHERE kind = 'account' AND key IN ('%s', '%s');", e.caller,
        e.stranger);
    rec_cleanup_all(&e);
    rec_sh("rm -rf %s", other);
    end_same(&e, "after the tampered rows were removed and cleanup");
}

/* --- a workspace deleted or moved after its grant -------------------- */
static void test_workspace_deleted_or_moved(void **state)
{
    (void)state;
    static struct rec_env e;
    rec_env_init(&e, 0);
    elevated_caller(&e);
    char moved[256];
    snprintf(moved, sizeof moved, "%s/ws2-moved", e.home);
    assert_int_equal(rename(e.ws2, moved), 0);
    rec_sh("rm -rf %s", e.ws1);
    char *before = rec_snapshot(&e, false);
    struct rec_cmd c = {.as_caller = true, .cwd = e.home,
                        .argv = {"run", "--workspace", e.ws1, "--", "true", NULL}};
    rec_start(&e, &c);
    int st = rec_wait(&c);
    bool clear = st == 125 && strstr(c.err, e.ws1);
    rec_cmd_free(&c);
    assert_true(clear);
    /* Migrating away: a clear error, or done (the grants of a lost path
     * can't be taken off anything). */
    char *err = NULL;
    st = rec_sbx(&e, false, NULL, NULL, &err, "migrate", "--to", "unelevated", "--user", e.caller,
                 NULL);
    fprintf(stderr, "migrate --to unelevated with ws1 deleted, ws2 moved: exit %d %s", st, err);
    free(err);
    if (st != 0) {
        char *after = rec_snapshot(&e, false);
        bool same = rec_same(before, after, "after a refused migrate on a lost workspace");
        free(after);
        assert_true(same);
    }
    free(before);
    rec_sbx_ok(&e, true, 0, "workspace", "remove", e.ws1, NULL);
    rec_sbx_ok(&e, true, 0, "workspace", "remove", e.ws2, NULL);
    rec_cleanup_all(&e);
    /* Nothing of sbx's left on the moved tree: put both back as they were
     * and compare with the start. */
    assert_int_equal(rename(moved, e.ws2), 0);
    rec_sh("cd %s && mkdir -p ws1/src ws1/.git && echo 'int main;' > ws1/src/main.c && "
           "echo head > ws1/.git/HEAD && echo mine > ws1/mine.txt && chown -R %s: ws1",
           e.home, e.caller);
    end_same(&e, "after the moved workspace was removed and cleanup (moved back by "
                            "the test)");
}

/* --- dangerous paths -------------------------------------------------- */
static void test_dangerous_paths(void **state)
{
    (void)state;
    static struct rec_env e;
    rec_env_init(&e, 0);
    rec_sbx_ok(&e, false, 0, "setup", "--mode", "elevated", "--user", e.caller, NULL);
    char link[256], other[256];
    snprintf(link, sizeof link, "%s/link-to-etc", e.home);
    snprintf(other, sizeof other, "%s/stranger-files", e.root);
    rec_sh("ln -s /etc %s && chown -h %s: %s && mkdir -m 755 %s && chown %s: %s", link, e.caller,
           link, other, e.stranger, other);
    char *before = rec_snapshot(&e, false);
    const char *bad[] = {"/", "/etc", "/usr", "/proc", "/var/tmp", e.home, link, other,
                         "/nonexistent-sbxr", e.root};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *err = NULL;
        int st = rec_sbx(&e, true, NULL, NULL, &err, "workspace", "add", bad[i], NULL);
        static char msg[2048];
        snprintf(msg, sizeof msg, "%.2000s", err);
        free(err);
        if (st != 125)
            fail_msg("workspace add %s as the caller: exit %d: %s", bad[i], st, msg);
    }
    for (size_t i = 0; i < 3; i++) {
        int st = rec_sbx(&e, false, NULL, NULL, NULL, "workspace", "add", bad[i], NULL);
        if (st != 125)
            fail_msg("workspace add %s as root: exit %d", bad[i], st);
    }
    char *after = rec_snapshot(&e, false);
    bool same = rec_same(before, after, "after dangerous workspace adds");
    free(before);
    free(after);
    assert_int_equal(rec_sh("getfacl -p -n /etc /usr / | grep -q -E '^(user|group):[^:]+:'"), 1);
    assert_true(same);
    rec_cleanup_all(&e);
    rec_sh("rm -rf %s %s", link, other);
    end_same(&e, "after cleanup");
}

/* --- the caller's cleanup while root's elevated setup stays ----------- */
static void test_caller_cleanup_beside_machine_setup(void **state)
{
    (void)state;
    static struct rec_env e;
    rec_env_init(&e, 0);
    rec_sbx_ok(&e, false, 0, "setup", "--mode", "elevated", NULL);
    rec_unelevated_setup(&e);
    char *before = rec_snapshot(&e, true);
    char *err = NULL;
    int st = rec_sbx(&e, true, NULL, NULL, &err, "cleanup", NULL);
    static char msg[4096];
    snprintf(msg, sizeof msg, "%.4000s", err);
    free(err);
    rec_sbx_ok(&e, false, 0, "doctor", "--state", e.machine, NULL);
    rec_sbx_ok(&e, false, 0, "cleanup", NULL);
    if (st != 0)
        rec_sh("rm -rf %s/.local", e.home);
    end_same(&e, "after cleanup");
    free(before);
    if (st != 0)
        fail_msg("the caller's sbx cleanup while the elevated mode is set up: exit %d: %s", st,
                 msg);
}

/* --- root's cleanup beside another sbx instance ----------------------- */
static void test_cleanup_leaves_other_instance(void **state)
{
    (void)state;
    static struct rec_env e;
    rec_env_init(&e, 0);
    char prefix[48], machine[192], other_machine[160];
    snprintf(other_machine, sizeof other_machine, "%s/machine2", e.root);
    snprintf(prefix, sizeof prefix, "SBX_ELEVATED_PREFIX=%sx-", e.tag);
    snprintf(machine, sizeof machine, "SBX_MACHINE_STATE=%s", other_machine);
    const char *env2[] = {prefix, machine, NULL};
    assert_int_equal(rec_sbx(&e, false, env2, NULL, NULL, "setup", "--mode", "elevated", NULL), 0);
    rec_sbx_ok(&e, false, 0, "setup", "--mode", "elevated", NULL);
    rec_sbx_ok(&e, false, 0, "cleanup", NULL);
    /* The other instance is whole: its doctor sees no drift. */
    char *out = NULL;
    int st = rec_sbx(&e, false, env2, &out, NULL, "doctor", "--state", other_machine, NULL);
    static char msg[4096];
    snprintf(msg, sizeof msg, "%.4000s", out);
    free(out);
    assert_int_equal(rec_sbx(&e, false, env2, NULL, NULL, "cleanup", NULL), 0);
    end_same(&e, "after both instances' cleanup");
    if (st != 0)
        fail_msg("root's sbx cleanup (prefix %s) removed objects of another instance (%s):\n%s",
                 e.prefix, prefix, msg);
}

int main(void)
{
    rec_require_root();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_truncated_ledgers, rec_teardown),
        cmocka_unit_test_teardown(test_newer_schema, rec_teardown),
        cmocka_unit_test_teardown(test_tampered_rows, rec_teardown),
        cmocka_unit_test_teardown(test_workspace_deleted_or_moved, rec_teardown),
        cmocka_unit_test_teardown(test_dangerous_paths, rec_teardown),
        cmocka_unit_test_teardown(test_caller_cleanup_beside_machine_setup, rec_teardown),
        cmocka_unit_test_teardown(test_cleanup_leaves_other_instance, rec_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
