/* SPDX-License-Identifier: MIT */
/* The sbx command against an OS driver: help and version, status --json,
 * setup/log/rollback/cleanup, bad input (exit 125, nothing changed), damaged
 * ledgers, and the elevated mode's whole life.
 *
 * Usage: test_cli fake | real
 *   fake  the in-memory machine (SBX_FAKE_OS, builds with SBX_FAKE_OS=ON);
 *         the fake machine says the caller is root.
 *   real  the real Linux driver, as root (exit 77 otherwise): throwaway
 *         names (SBX_ELEVATED_PREFIX=sbxt<pid>-), a throwaway user for
 *         --user, every ledger, the launcher and the accounts' homes under
 *         the test's own temporary directory; the teardown removes what is
 *         left of those names by force and nothing else.
 * The same test bodies run on both; only the probes of the machine (is an
 * account there, which loopback ports are open, drop the firewall rule by
 * hand) differ. */
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "json_check.h"

static bool real_os; /* which driver the sbx under test uses */

/* Throwaway names of the real run (unique to this process). */
static struct {
    char prefix[24]; /* SBX_ELEVATED_PREFIX */
    char offline[64], online[64], group[40], table[64];
    char user[32];   /* a throwaway account for --user */
    char user_home[64];
} real;

struct env {
    char *dir;
    char state[4200], fake[4200];
    char state_env[4300], fake_env[4300];
    char prefix_env[64], machine_env[4300], launcher_env[4300];
    const char *vars[8];
};

/* A shell command as root; its exit status. */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[16384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    fflush(NULL);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void env_init(struct env *e)
{
    memset(e, 0, sizeof *e);
    e->dir = make_temp_dir();
    snprintf(e->state, sizeof e->state, "%s/state/sbx", e->dir);
    snprintf(e->fake, sizeof e->fake, "%s/machine.fake", e->dir);
    snprintf(e->state_env, sizeof e->state_env, "SBX_STATE=%s", e->state);
    size_t n = 0;
    e->vars[n++] = e->state_env;
    if (real_os) {
        /* Names of our own; the machine ledger (with the launcher and the
         * accounts' homes) in our directory: the directory must be
         * root's all the way up and not group/world-writable. */
        assert_int_equal(chmod(e->dir, 0755), 0);
        snprintf(e->prefix_env, sizeof e->prefix_env, "SBX_ELEVATED_PREFIX=%s", real.prefix);
        snprintf(e->machine_env, sizeof e->machine_env, "SBX_MACHINE_STATE=%s/machine", e->dir);
        const char *launcher = getenv("SBX_LAUNCHER_SOURCE");
        assert_non_null(launcher);
        snprintf(e->launcher_env, sizeof e->launcher_env, "SBX_LAUNCHER_SOURCE=%s", launcher);
        e->vars[n++] = e->prefix_env;
        e->vars[n++] = e->machine_env;
        e->vars[n++] = e->launcher_env;
    } else {
        snprintf(e->fake_env, sizeof e->fake_env, "SBX_FAKE_OS=%s", e->fake);
        e->vars[n++] = e->fake_env;
    }
    e->vars[n] = NULL;
}

/* e's environment with SBX_STATE replaced (state_env, may be NULL) and
 * one more entry (extra, may be NULL); out has room for 10. */
static void vars_with(const struct env *e, const char *state_env, const char *extra,
                      const char **out)
{
    size_t n = 0;
    for (size_t i = 0; e->vars[i]; i++)
        out[n++] = i == 0 && state_env ? state_env : e->vars[i];
    if (extra)
        out[n++] = extra;
    out[n] = NULL;
}

/* Whatever is left of this run's names goes, by force (real OS). */
static void real_force_clean(void)
{
    sh("(pkill -KILL -u %s; pkill -KILL -u %s; userdel %s; userdel %s; groupdel %s; "
       "nft delete table inet %s) >/dev/null 2>&1",
       real.offline, real.online, real.offline, real.online, real.group, real.table);
}

/* The machine objects of sbx that this run may have made, as text: ""
 * when there are none.  fake: the fake machine's object lines; real: the
 * account, group and nft table of the throwaway names, and the installed
 * launcher directory. */
static char *machine_objects(const struct env *e)
{
    if (!real_os) {
        char *all = read_file(e->fake, NULL);
        if (!all)
            return strdup("");
        char *body = strchr(all, '\n'); /* after the header */
        char *out = strdup(body && strchr(body + 1, '\t') ? body + 1 : "");
        free(all);
        return out;
    }
    char list[4300], cmd[16384];
    snprintf(list, sizeof list, "%s/objects", e->dir);
    snprintf(cmd, sizeof cmd,
             "(getent passwd %s %s; getent group %s; nft list tables | grep -x 'table inet %s'; "
             "ls -d %s/elevated %s/machine/elevated) > %s 2>/dev/null",
             real.offline, real.online, real.group, real.table, e->state, e->dir, list);
    sh("%s", cmd);
    char *out = read_file(list, NULL);
    unlink(list);
    return out ? out : strdup("");
}

static void assert_machine_clean(const struct env *e, const char *when)
{
    char *left = machine_objects(e);
    if (left[0])
        fail_msg("%s: the machine still has sbx's objects:\n%s", when, left);
    free(left);
}

static bool machine_has_account(const struct env *e)
{
    if (!real_os) {
        char *now = read_file(e->fake, NULL);
        bool has = now && strstr(now, "account\t");
        free(now);
        return has;
    }
    (void)e;
    return getpwnam(real.offline) != NULL && getpwnam(real.online) != NULL;
}

/* Does the firewall rule open this loopback port? */
static bool machine_port_open(const struct env *e, unsigned port)
{
    if (!real_os) {
        char *now = read_file(e->fake, NULL);
        char want[32];
        snprintf(want, sizeof want, "ports=%u", port);
        bool has = now && strstr(now, want);
        free(now);
        return has;
    }
    return sh("nft list table inet %s 2>/dev/null | grep -q 'dport %u accept'", real.table,
              port) == 0;
}

/* Drift: the firewall rule removed by hand. */
static void machine_drop_firewall_rule(const struct env *e)
{
    if (!real_os) {
        char *now = read_file(e->fake, NULL);
        char *rule = strstr(now, "\nfirewall_rule\t");
        assert_non_null(rule);
        char *eol = strchr(rule + 1, '\n');
        memmove(rule, eol, strlen(eol) + 1);
        write_file(e->fake, now, strlen(now));
        free(now);
        return;
    }
    (void)e;
    assert_int_equal(sh("nft delete table inet %s", real.table), 0);
}

static void env_free(struct env *e)
{
    if (real_os) {
        /* A test that failed half way may have left objects: sbx's own
         * cleanup first, then by force. */
        char *left = machine_objects(e);
        if (left[0]) {
            char *out = NULL, *err = NULL;
            run_sbx(e->vars, &out, &err, "cleanup", NULL);
            free(out);
            free(err);
            real_force_clean();
        }
        free(left);
    }
    rm_tree(e->dir);
    free(e->dir);
}

static void test_version_and_help(void **state)
{
    (void)state;
    char *out = NULL;
    assert_int_equal(run_sbx(NULL, &out, NULL, "--version", NULL), 0);
    assert_non_null(strstr(out, "sbx " SBX_VERSION));
    free(out);
    const char *cmds[] = {"run", "setup", "workspace", "status", "doctor", "log",
                          "migrate", "rollback", "cleanup"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        assert_int_equal(run_sbx(NULL, &out, NULL, cmds[i], "--help", NULL), 0);
        char want[64];
        snprintf(want, sizeof want, "usage: sbx %s", cmds[i]);
        if (!strstr(out, want))
            fail_msg("sbx %s --help: no usage line in:\n%s", cmds[i], out);
        free(out);
    }
    assert_int_equal(run_sbx(NULL, &out, NULL, "--help", NULL), 0);
    assert_non_null(strstr(out, "usage: sbx COMMAND"));
    free(out);
}

static void test_status_json_fresh_and_after_setup(void **state)
{
    (void)state;
    struct env e;
    env_init(&e);
    char *out = NULL;
    assert_int_equal(run_sbx(e.vars, &out, NULL, "status", "--json", NULL), 0);
    if (!json_valid(out))
        fail_msg("not JSON: %s", out);
    assert_non_null(strstr(out, "\"ledger\":\""));
    assert_non_null(strstr(out, "\"schema_version\":null"));
    assert_non_null(strstr(out, "\"mode\":\""));
    assert_non_null(strstr(out, "\"resources\":{"));
    free(out);
    /* status changes nothing: no state directory appeared. */
    assert_false(sbx_fs_exists(e.state));

    assert_int_equal(run_sbx(e.vars, &out, NULL, "setup", "--mode", "unelevated", NULL), 0);
    free(out);
    assert_int_equal(run_sbx(e.vars, &out, NULL, "--json", "status", NULL), 0);
    if (!json_valid(out))
        fail_msg("not JSON: %s", out);
    assert_non_null(strstr(out, "\"schema_version\":1"));
    assert_non_null(strstr(out, "\"mode_setup\":\"unelevated\""));
    assert_non_null(strstr(out, "\"mode\":1"));
    char want[4400];
    snprintf(want, sizeof want, "\"ledger\":\"%s/ledger.db\"", e.state);
    assert_non_null(strstr(out, want));
    free(out);

    /* The log has the setup plan; JSON is valid. */
    assert_int_equal(run_sbx(e.vars, &out, NULL, "log", "--json", NULL), 0);
    assert_true(json_valid(out));
    assert_non_null(strstr(out, "\"verb\":\"setup\""));
    free(out);
    /* Setup again: nothing to do. */
    assert_int_equal(run_sbx(e.vars, &out, NULL, "setup", "--mode", "unelevated", NULL), 0);
    assert_non_null(strstr(out, "nothing to do"));
    free(out);
    /* Rollback undoes the setup; a second rollback has nothing left. */
    assert_int_equal(run_sbx(e.vars, &out, NULL, "rollback", NULL), 0);
    free(out);
    assert_int_equal(run_sbx(e.vars, &out, NULL, "status", "--json", NULL), 0);
    assert_non_null(strstr(out, "\"mode_setup\":\"none\""));
    free(out);
    char *err = NULL;
    assert_int_equal(run_sbx(e.vars, &out, &err, "rollback", NULL), 125);
    assert_non_null(strstr(err, "nothing to roll back"));
    free(out);
    free(err);
    /* Cleanup removes the ledger and the directories sbx made. */
    assert_int_equal(run_sbx(e.vars, &out, NULL, "cleanup", NULL), 0);
    free(out);
    char parent[4300];
    snprintf(parent, sizeof parent, "%s/state", e.dir);
    assert_false(sbx_fs_exists(parent));
    env_free(&e);
}

static void test_dry_run_changes_nothing(void **state)
{
    (void)state;
    struct env e;
    env_init(&e);
    char *out = NULL;
    assert_int_equal(run_sbx(e.vars, &out, NULL, "setup", "--mode", "unelevated", "--dry-run",
                             "--json", NULL), 0);
    assert_true(json_valid(out));
    assert_non_null(strstr(out, "\"dry_run\":true"));
    assert_non_null(strstr(out, "\"kind\":\"mode\""));
    free(out);
    /* Not even the ledger is left behind by a dry run. */
    assert_false(sbx_fs_exists(e.state));
    assert_int_equal(run_sbx(e.vars, &out, NULL, "status", "--json", NULL), 0);
    assert_non_null(strstr(out, "\"mode_setup\":\"none\""));
    free(out);
    /* A cleanup dry run is one JSON document, whatever the ledgers. */
    assert_int_equal(run_sbx(e.vars, &out, NULL, "setup", "--mode", "unelevated", NULL), 0);
    free(out);
    assert_int_equal(run_sbx(e.vars, &out, NULL, "cleanup", "--dry-run", "--json", NULL), 0);
    if (!json_valid(out))
        fail_msg("not JSON: %s", out);
    assert_non_null(strstr(out, "\"plans\":[{"));
    assert_non_null(strstr(out, "\"action\":\"delete\""));
    free(out);
    assert_true(sbx_fs_exists(e.state));
    env_free(&e);
}

/* Bad input: exit 125, a message on stderr, and nothing created. */
static void expect_refused(struct env *e, const char *needle, const char *a0, const char *a1,
                           const char *a2, const char *a3)
{
    char *out = NULL, *err = NULL;
    int rc = run_sbx(e->vars, &out, &err, a0, a1, a2, a3, NULL);
    if (rc != 125 || !strstr(err, needle))
        fail_msg("sbx %s %s %s: exit %d, stderr: %s (wanted 125 and '%s')", a0, a1 ? a1 : "",
                 a2 ? a2 : "", rc, err, needle);
    assert_false(sbx_fs_exists(e->state));
    free(out);
    free(err);
}

static void test_bad_input(void **state)
{
    (void)state;
    struct env e;
    env_init(&e);
    expect_refused(&e, "unknown command", "frobnicate", NULL, NULL, NULL);
    expect_refused(&e, "unknown option --bogus", "status", "--bogus", NULL, NULL);
    expect_refused(&e, "unknown option", "--bogus", "status", NULL, NULL);
    expect_refused(&e, "needs a value", "setup", "--mode", NULL, NULL);
    expect_refused(&e, "needs a value", "status", "--state", NULL, NULL);
    expect_refused(&e, "unknown mode 'sideways'", "setup", "--mode", "sideways", NULL);
    expect_refused(&e, "elevated mode only", "setup", "--mode", "unelevated", "--user=dev");
    expect_refused(&e, "port from 1 to 65535", "setup", "--allow-loopback-port", "70000", NULL);
    expect_refused(&e, "port from 1 to 65535", "setup", "--allow-loopback-port", "0", NULL);
    expect_refused(&e, "contradict", "setup", "--no-loopback-ports", "--allow-loopback-port",
                   "80");
    expect_refused(&e, "missing action", "workspace", NULL, NULL, NULL);
    expect_refused(&e, "unknown action", "workspace", "explode", NULL, NULL);
    expect_refused(&e, "exactly one directory", "workspace", "add", NULL, NULL);
    expect_refused(&e, "expected off or on", "run", "--net", "maybe", "true");
    expect_refused(&e, "whole number of seconds", "run", "--timeout", "soon", "true");
    expect_refused(&e, "missing the command", "run", NULL, NULL, NULL);
    expect_refused(&e, "unexpected argument", "status", "extra", NULL, NULL);
    expect_refused(&e, "--resume", "migrate", "--resume", "--to", "elevated");
    expect_refused(&e, "no mode is set up", "migrate", NULL, NULL, NULL);
    expect_refused(&e, "takes no value", "setup", "--dry-run=yes", NULL, NULL);
    /* Refused after the ledger was opened: it is not left behind. */
    expect_refused(&e, "no such user", "setup", "--user", "nosuchuser-sbx-test", NULL);
    env_free(&e);
}

static void test_fault_spec_rejected(void **state)
{
    (void)state;
    struct env e;
    env_init(&e);
    const char *vars[10];
    vars_with(&e, NULL, "SBX_FAULT=explode:2", vars);
    char *out = NULL, *err = NULL;
    assert_int_equal(run_sbx(vars, &out, &err, "setup", "--mode", "unelevated", NULL), 125);
    assert_non_null(strstr(err, "SBX_FAULT"));
    assert_false(sbx_fs_exists(e.state));
    free(out);
    free(err);
    env_free(&e);
}

static void test_state_dir_cannot_be_created(void **state)
{
    (void)state;
    struct env e;
    env_init(&e);
    char file[4200], bad[4300], bad_env[4400];
    snprintf(file, sizeof file, "%s/plainfile", e.dir);
    write_file(file, "x", 1);
    snprintf(bad, sizeof bad, "%s/under/sbx", file);
    snprintf(bad_env, sizeof bad_env, "SBX_STATE=%s", bad);
    const char *vars[10];
    vars_with(&e, bad_env, NULL, vars);
    char *out = NULL, *err = NULL;
    assert_int_equal(run_sbx(vars, &out, &err, "setup", "--mode", "unelevated", NULL), 125);
    assert_non_null(strstr(err, "cannot create"));
    free(out);
    free(err);
    /* --state wins over SBX_STATE, with the same refusal. */
    assert_int_equal(run_sbx(e.vars, &out, &err, "setup", "--state", bad, "--mode", "unelevated",
                             NULL), 125);
    assert_non_null(strstr(err, bad));
    assert_false(sbx_fs_exists(e.state));
    free(out);
    free(err);
    env_free(&e);
}

static void test_damaged_ledgers_refused_unchanged(void **state)
{
    (void)state;
    struct env e;
    env_init(&e);
    char *out = NULL, *err = NULL;
    assert_int_equal(run_sbx(e.vars, &out, NULL, "setup", "--mode", "unelevated", NULL), 0);
    free(out);
    char db[4300];
    snprintf(db, sizeof db, "%s/ledger.db", e.state);
    /* Not SQLite at all. */
    char junk[200];
    memset(junk, 'j', sizeof junk);
    write_file(db, junk, sizeof junk);
    const char *cmds[][3] = {{"status", NULL, NULL}, {"log", NULL, NULL},
                             {"setup", "--mode", "unelevated"}, {"rollback", NULL, NULL},
                             {"workspace", "list", NULL}, {"doctor", NULL, NULL}};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        assert_int_equal(run_sbx(e.vars, &out, &err, cmds[i][0], cmds[i][1], cmds[i][2], NULL),
                         125);
        assert_non_null(strstr(err, "not an SQLite database"));
        size_t len = 0;
        char *now = read_file(db, &len);
        assert_int_equal(len, sizeof junk);
        assert_memory_equal(now, junk, sizeof junk);
        free(now);
        free(out);
        free(err);
    }
    env_free(&e);
}

/* cleanup goes on without a readable ledger, by markers, and keeps the
 * damaged file (set aside, byte for byte). */
static void test_cleanup_sets_damaged_ledger_aside(void **state)
{
    (void)state;
    struct env e;
    env_init(&e);
    char *out = NULL, *err = NULL;
    assert_int_equal(run_sbx(e.vars, &out, NULL, "setup", "--mode", "unelevated", NULL), 0);
    free(out);
    char db[4300];
    snprintf(db, sizeof db, "%s/ledger.db", e.state);
    char junk[300];
    memset(junk, 'q', sizeof junk);
    write_file(db, junk, sizeof junk);
    assert_int_equal(run_sbx(e.vars, &out, &err, "cleanup", "--dry-run", NULL), 0);
    assert_non_null(strstr(err, "would set the damaged ledger aside"));
    free(out);
    free(err);
    assert_true(sbx_fs_exists(db));
    assert_int_equal(run_sbx(e.vars, &out, &err, "cleanup", NULL), 0);
    assert_non_null(strstr(err, "the damaged ledger is kept as"));
    free(out);
    free(err);
    assert_false(sbx_fs_exists(db));
    char cmd[4600], found[4400];
    snprintf(cmd, sizeof cmd, "ls %s/ledger.db.damaged-* > %s/found 2>&1", e.state, e.dir);
    assert_int_equal(system(cmd), 0);
    snprintf(found, sizeof found, "%s/found", e.dir);
    char *name = read_file(found, NULL);
    name[strcspn(name, "\n")] = '\0';
    size_t len = 0;
    char *kept = read_file(name, &len);
    assert_int_equal(len, sizeof junk);
    assert_memory_equal(kept, junk, sizeof junk);
    free(kept);
    free(name);
    env_free(&e);
}

static void test_truncated_ledger_refused(void **state)
{
    (void)state;
    struct env e;
    env_init(&e);
    char *out = NULL, *err = NULL;
    assert_int_equal(run_sbx(e.vars, &out, NULL, "setup", "--mode", "unelevated", NULL), 0);
    free(out);
    char db[4300];
    snprintf(db, sizeof db, "%s/ledger.db", e.state);
    struct stat st;
    assert_int_equal(stat(db, &st), 0);
    assert_true(st.st_size >= 8192);
    assert_int_equal(truncate(db, 4096), 0);
    assert_int_equal(run_sbx(e.vars, &out, &err, "status", NULL), 125);
    assert_non_null(strstr(err, "truncated"));
    free(out);
    free(err);
    assert_int_equal(stat(db, &st), 0);
    assert_int_equal(st.st_size, 4096);
    env_free(&e);
}

/* As root (the fake machine says so; the real run is root): sbx setup
 * picks the elevated mode, and the whole life (fault, setup, loopback
 * ports, migrate both ways, rollback, drift and repair, cleanup) runs
 * through the CLI and the plan engine on the driver. */
static void test_elevated_life(void **state)
{
    (void)state;
    struct env e;
    env_init(&e);
    const char *user = real_os ? real.user : "root";
    char *out = NULL, *err = NULL;
    assert_machine_clean(&e, "before the test");
    const char *faulty[10];
    vars_with(&e, NULL, "SBX_FAULT=fail:3", faulty);
    assert_int_equal(run_sbx(faulty, &out, &err, "setup", NULL), 125);
    assert_non_null(strstr(err, "rolled back"));
    free(out);
    free(err);
    /* The failed setup was rolled back: nothing of sbx's is left. */
    assert_machine_clean(&e, "after setup failed at its third operation");
    int rc = run_sbx(e.vars, &out, &err, "setup", "--user", user, NULL);
    if (rc != 0)
        fail_msg("setup: %d: %s", rc, err);
    free(out);
    free(err);
    assert_int_equal(run_sbx(e.vars, &out, NULL, "status", "--json", NULL), 0);
    assert_non_null(strstr(out, "\"mode_setup\":\"elevated\""));
    assert_non_null(strstr(out, "\"account\":2"));
    free(out);
    assert_true(machine_has_account(&e));
    /* Loopback ports: given ones replace the open ones, and can all be
     * closed again. */
    assert_int_equal(run_sbx(e.vars, &out, &err, "setup", "--allow-loopback-port", "8080", NULL),
                     0);
    free(out);
    free(err);
    assert_true(machine_port_open(&e, 8080));
    assert_int_equal(run_sbx(e.vars, &out, &err, "setup", NULL), 0); /* kept */
    free(out);
    free(err);
    assert_true(machine_port_open(&e, 8080));
    assert_int_equal(run_sbx(e.vars, &out, &err, "setup", "--no-loopback-ports", NULL), 0);
    free(out);
    free(err);
    assert_false(machine_port_open(&e, 8080));
    assert_int_equal(run_sbx(e.vars, &out, &err, "migrate", "--to", "unelevated", NULL), 0);
    free(out);
    free(err);
    assert_int_equal(run_sbx(e.vars, &out, NULL, "status", "--json", NULL), 0);
    assert_non_null(strstr(out, "\"mode_setup\":\"unelevated\""));
    assert_non_null(strstr(out, "\"account\":0"));
    free(out);
    assert_false(machine_has_account(&e));
    assert_int_equal(run_sbx(e.vars, &out, &err, "rollback", NULL), 0);
    free(out);
    free(err);
    assert_int_equal(run_sbx(e.vars, &out, NULL, "status", "--json", NULL), 0);
    assert_non_null(strstr(out, "\"mode_setup\":\"elevated\""));
    free(out);
    assert_true(machine_has_account(&e));
    rc = run_sbx(e.vars, &out, &err, "doctor", NULL);
    if (rc != 0)
        fail_msg("doctor after the rollback: exit %d: %s%s", rc, out, err);
    free(out);
    free(err);
    /* Drift: the firewall rule flushed by hand.  doctor finds it (exit 1),
     * --repair puts it back, and then there is nothing to find. */
    machine_drop_firewall_rule(&e);
    assert_int_equal(run_sbx(e.vars, &out, NULL, "doctor", "--json", NULL), 1);
    assert_true(json_valid(out));
    assert_non_null(strstr(out, "\"problem\":\"missing\",\"kind\":\"firewall_rule\""));
    free(out);
    assert_int_equal(run_sbx(e.vars, &out, &err, "doctor", "--repair", NULL), 0);
    free(out);
    free(err);
    assert_int_equal(run_sbx(e.vars, &out, NULL, "doctor", NULL), 0);
    free(out);
    rc = run_sbx(e.vars, &out, &err, "cleanup", NULL);
    if (rc != 0)
        fail_msg("cleanup: exit %d: %s%s", rc, out, err);
    free(out);
    free(err);
    assert_machine_clean(&e, "after cleanup");
    env_free(&e);
}

/* real: root, the tools the driver calls, and a throwaway user for
 * --user (removed at exit). */
static int real_setup(void)
{
    if (geteuid() != 0) {
        printf("SKIP: the CLI tests on the real OS need root (they set the elevated mode up "
               "with throwaway names)\n");
        return 77;
    }
    const char *launcher = getenv("SBX_LAUNCHER_SOURCE");
    if (!launcher || launcher[0] != '/' || access(launcher, R_OK) != 0) {
        fprintf(stderr, "test_cli real: SBX_LAUNCHER_SOURCE must name the built sbx-launch\n");
        return 1;
    }
    long pid = (long)getpid();
    snprintf(real.prefix, sizeof real.prefix, "sbxt%ld-", pid % 10000000);
    snprintf(real.group, sizeof real.group, "%susers", real.prefix);
    snprintf(real.user, sizeof real.user, "sbxtc%ld", pid);
    /* The --user's own pair and its nft table (modes/common/linux/names.c):
     * PREFIX USER -off / -on, '-' as '_' in the table. */
    snprintf(real.offline, sizeof real.offline, "%s%s-off", real.prefix, real.user);
    snprintf(real.online, sizeof real.online, "%s%s-on", real.prefix, real.user);
    snprintf(real.table, sizeof real.table, "%s", real.offline);
    for (char *c = real.table; *c; c++)
        if (*c == '-')
            *c = '_';
    snprintf(real.user_home, sizeof real.user_home, "/nonexistent/%s", real.user);
    if (sh("useradd --no-create-home --home-dir %s --shell /usr/sbin/nologin "
           "--comment 'sbx test user' %s",
           real.user_home, real.user) != 0) {
        fprintf(stderr, "test_cli real: useradd %s failed\n", real.user);
        return 1;
    }
    return 0;
}

static void real_teardown(void)
{
    real_force_clean();
    if (sh("userdel %s", real.user) != 0)
        fprintf(stderr, "test_cli real: userdel %s failed\n", real.user);
}

int main(int argc, char **argv)
{
    if (argc != 2 || (strcmp(argv[1], "fake") != 0 && strcmp(argv[1], "real") != 0)) {
        fprintf(stderr, "usage: test_cli fake|real\n");
        return 2;
    }
    real_os = strcmp(argv[1], "real") == 0;
    if (real_os) {
        int rc = real_setup();
        if (rc)
            return rc;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version_and_help),
        cmocka_unit_test(test_status_json_fresh_and_after_setup),
        cmocka_unit_test(test_dry_run_changes_nothing),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_fault_spec_rejected),
        cmocka_unit_test(test_state_dir_cannot_be_created),
        cmocka_unit_test(test_damaged_ledgers_refused_unchanged),
        cmocka_unit_test(test_truncated_ledger_refused),
        cmocka_unit_test(test_cleanup_sets_damaged_ledger_aside),
        cmocka_unit_test(test_elevated_life),
    };
    const char *group = real_os ? "cli on the real OS" : "cli on the fake OS";
    int failures = cmocka_run_group_tests_name(group, tests, NULL, NULL);
    if (real_os)
        real_teardown();
    return failures ? 1 : 0;
}
