/* The sbx command against the fake OS: help and version, status --json,
 * setup/log/rollback/cleanup, and bad input (exit 125, nothing changed). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "json_check.h"

struct env {
    char *dir;
    char state[4200], fake[4200];
    char state_env[4300], fake_env[4300];
    const char *vars[4];
};

static void env_init(struct env *e)
{
    memset(e, 0, sizeof *e);
    e->dir = make_temp_dir();
    snprintf(e->state, sizeof e->state, "%s/state/sbx", e->dir);
    snprintf(e->fake, sizeof e->fake, "%s/machine.fake", e->dir);
    snprintf(e->state_env, sizeof e->state_env, "SBX_STATE=%s", e->state);
    snprintf(e->fake_env, sizeof e->fake_env, "SBX_FAKE_OS=%s", e->fake);
    e->vars[0] = e->state_env;
    e->vars[1] = e->fake_env;
    e->vars[2] = NULL;
}

static void env_free(struct env *e)
{
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
    const char *vars[] = {e.state_env, e.fake_env, "SBX_FAULT=explode:2", NULL};
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
    const char *vars[] = {bad_env, e.fake_env, NULL};
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

/* The fake machine says we are root: sbx setup picks the elevated mode,
 * and the whole life (fault, setup, migrate both ways, rollback, cleanup)
 * runs through the CLI and the plan engine on it. */
static void test_elevated_life_on_fake_machine(void **state)
{
    (void)state;
    struct env e;
    env_init(&e);
    char *out = NULL, *err = NULL;
    char *empty = read_file(e.fake, NULL);
    const char *faulty[] = {e.state_env, e.fake_env, "SBX_FAULT=fail:3", NULL};
    assert_int_equal(run_sbx(faulty, &out, &err, "setup", NULL), 125);
    assert_non_null(strstr(err, "rolled back"));
    free(out);
    free(err);
    char *now = read_file(e.fake, NULL);
    /* Same objects (ids may advance): the fake prints none after the header. */
    assert_null(strchr(strchr(now, '\n') + 1, '\t'));
    free(now);
    int rc = run_sbx(e.vars, &out, &err, "setup", "--user", "root", NULL);
    if (rc != 0)
        fail_msg("setup: %d: %s", rc, err);
    free(out);
    free(err);
    assert_int_equal(run_sbx(e.vars, &out, NULL, "status", "--json", NULL), 0);
    assert_non_null(strstr(out, "\"mode_setup\":\"elevated\""));
    assert_non_null(strstr(out, "\"account\":2"));
    free(out);
    now = read_file(e.fake, NULL);
    assert_non_null(strstr(now, "account\t"));
    free(now);
    /* Loopback ports: given ones replace the open ones, and can all be
     * closed again. */
    assert_int_equal(run_sbx(e.vars, &out, &err, "setup", "--allow-loopback-port", "8080", NULL),
                     0);
    free(out);
    free(err);
    now = read_file(e.fake, NULL);
    assert_non_null(strstr(now, "ports=8080"));
    free(now);
    assert_int_equal(run_sbx(e.vars, &out, &err, "setup", NULL), 0); /* kept */
    free(out);
    free(err);
    now = read_file(e.fake, NULL);
    assert_non_null(strstr(now, "ports=8080"));
    free(now);
    assert_int_equal(run_sbx(e.vars, &out, &err, "setup", "--no-loopback-ports", NULL), 0);
    free(out);
    free(err);
    now = read_file(e.fake, NULL);
    assert_null(strstr(now, "ports=8080"));
    free(now);
    assert_int_equal(run_sbx(e.vars, &out, &err, "migrate", "--to", "unelevated", NULL), 0);
    free(out);
    free(err);
    assert_int_equal(run_sbx(e.vars, &out, NULL, "status", "--json", NULL), 0);
    assert_non_null(strstr(out, "\"mode_setup\":\"unelevated\""));
    assert_non_null(strstr(out, "\"account\":0"));
    free(out);
    assert_int_equal(run_sbx(e.vars, &out, &err, "rollback", NULL), 0);
    free(out);
    free(err);
    assert_int_equal(run_sbx(e.vars, &out, NULL, "status", "--json", NULL), 0);
    assert_non_null(strstr(out, "\"mode_setup\":\"elevated\""));
    free(out);
    assert_int_equal(run_sbx(e.vars, &out, NULL, "doctor", NULL), 0);
    free(out);
    /* Drift: the firewall rule flushed by hand.  doctor finds it (exit 1),
     * --repair puts it back, and then there is nothing to find. */
    now = read_file(e.fake, NULL);
    char *rule = strstr(now, "\nfirewall_rule\t");
    assert_non_null(rule);
    char *eol = strchr(rule + 1, '\n');
    memmove(rule, eol, strlen(eol) + 1);
    write_file(e.fake, now, strlen(now));
    free(now);
    assert_int_equal(run_sbx(e.vars, &out, NULL, "doctor", "--json", NULL), 1);
    assert_true(json_valid(out));
    assert_non_null(strstr(out, "\"problem\":\"missing\",\"kind\":\"firewall_rule\""));
    free(out);
    assert_int_equal(run_sbx(e.vars, &out, &err, "doctor", "--repair", NULL), 0);
    free(out);
    free(err);
    assert_int_equal(run_sbx(e.vars, &out, NULL, "doctor", NULL), 0);
    free(out);
    assert_int_equal(run_sbx(e.vars, &out, &err, "cleanup", NULL), 0);
    free(out);
    free(err);
    now = read_file(e.fake, NULL);
    assert_null(strchr(strchr(now, '\n') + 1, '\t'));
    free(now);
    free(empty);
    env_free(&e);
}

int main(void)
{
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
        cmocka_unit_test(test_elevated_life_on_fake_machine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
