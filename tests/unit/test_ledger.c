/* SPDX-License-Identifier: MIT */
/* The ledger: creation, permissions, fixtures of every schema, refusals. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"

static void build_from_sql(const char *db_path, const char *sql_path)
{
    char *sql = read_file(sql_path, NULL);
    if (!sql)
        fail_msg("missing fixture %s", sql_path);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("fixture %s: %s", sql_path, msg);
    sqlite3_close(db);
    free(sql);
}

static void fixture_path(char *out, size_t len, const char *name)
{
    const char *dir = getenv("SBX_TEST_FIXTURES");
    assert_non_null(dir);
    snprintf(out, len, "%s/%s", dir, name);
}

static void test_create_private(void **state)
{
    (void)state;
    char *tmp = make_temp_dir();
    char dir[4096], file[4200];
    snprintf(dir, sizeof dir, "%s%ca%cb%csbx", tmp, SBX_PATH_SEP, SBX_PATH_SEP, SBX_PATH_SEP);
    struct sbx_error err = {0};
    struct sbx_ledger *l = NULL;
    assert_int_equal(sbx_ledger_open(dir, SBX_LEDGER_CREATE, &l, &err), 0);
    assert_int_equal(sbx_ledger_schema_version(l), SBX_SCHEMA_VERSION);
    path_join(file, sizeof file, dir, "ledger.db");
    assert_string_equal(sbx_ledger_path(l), file);
#ifndef _WIN32
    /* (On Windows the owner-only DACL is set by platform_win32.c; Wine
     * does not keep DACLs, so nothing to check there.) */
    struct stat st;
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(stat(file, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
#endif
    char created[4096], expect[4200];
    assert_int_equal(sbx_ledger_meta_get(l, "created_dir", created, sizeof created, &err), 0);
    path_join(expect, sizeof expect, tmp, "a");
    assert_string_equal(created, expect);
    assert_int_equal(sbx_ledger_meta_set(l, "k", "v1", &err), 0);
    assert_int_equal(sbx_ledger_meta_set(l, "k", "v2", &err), 0);
    assert_int_equal(sbx_ledger_meta_get(l, "k", created, sizeof created, &err), 0);
    assert_string_equal(created, "v2");
    assert_int_equal(sbx_ledger_meta_get(l, "nope", created, sizeof created, &err), -SBX_ENOENT);
    sbx_ledger_close(l);
    /* Opened again: the same ledger, not a new one. */
    assert_int_equal(sbx_ledger_open(dir, 0, &l, &err), 0);
    assert_int_equal(sbx_ledger_meta_get(l, "k", created, sizeof created, &err), 0);
    sbx_ledger_close(l);
    rm_tree(tmp);
    free(tmp);
}

#ifndef _WIN32
/* A state directory sbx finds already made (no ledger in it yet) must be a
 * real directory of the caller's that no one else can write: anything else
 * may have been made by someone who wants sbx to trust what they put in
 * it.  Nothing is created in a refused one. */
static void test_state_dir_refused(void **state)
{
    (void)state;
    char *tmp = make_temp_dir();
    char dir[4096], target[4096], ledger[4200];
    struct sbx_error err = {0};
    struct sbx_ledger *l = NULL;
    /* writable by others */
    snprintf(dir, sizeof dir, "%s/open", tmp);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(chmod(dir, 0777), 0);
    assert_int_not_equal(sbx_ledger_open(dir, SBX_LEDGER_CREATE, &l, &err), 0);
    assert_non_null(strstr(err.msg, "writable by others"));
    path_join(ledger, sizeof ledger, dir, "ledger.db");
    assert_int_not_equal(access(ledger, F_OK), 0);
    /* a symlink to a directory */
    snprintf(target, sizeof target, "%s/target", tmp);
    snprintf(dir, sizeof dir, "%s/link", tmp);
    assert_int_equal(mkdir(target, 0700), 0);
    assert_int_equal(symlink(target, dir), 0);
    assert_int_not_equal(sbx_ledger_open(dir, SBX_LEDGER_CREATE, &l, &err), 0);
    path_join(ledger, sizeof ledger, target, "ledger.db");
    assert_int_not_equal(access(ledger, F_OK), 0);
    /* another user's (root can make one) */
    if (geteuid() == 0) {
        snprintf(dir, sizeof dir, "%s/theirs", tmp);
        assert_int_equal(mkdir(dir, 0700), 0);
        assert_int_equal(chown(dir, 65534, 65534), 0);
        assert_int_not_equal(sbx_ledger_open(dir, SBX_LEDGER_CREATE, &l, &err), 0);
        assert_non_null(strstr(err.msg, "not to you"));
    }
    /* the caller's own, private: used */
    snprintf(dir, sizeof dir, "%s/mine", tmp);
    assert_int_equal(mkdir(dir, 0755), 0);
    assert_int_equal(sbx_ledger_open(dir, SBX_LEDGER_CREATE, &l, &err), 0);
    sbx_ledger_close(l);
    rm_tree(tmp);
    free(tmp);
}
#endif

static void test_missing_without_create(void **state)
{
    (void)state;
    char *tmp = make_temp_dir();
    char dir[4096];
    path_join(dir, sizeof dir, tmp, "none");
    struct sbx_error err = {0};
    struct sbx_ledger *l = NULL;
    assert_int_equal(sbx_ledger_open(dir, 0, &l, &err), -SBX_ENOENT);
    assert_null(l);
    assert_false(sbx_fs_exists(dir));
    rm_tree(tmp);
    free(tmp);
}

/* Every released schema opens (and is upgraded to the current one). */
static void test_fixture_every_schema(void **state)
{
    (void)state;
    for (int v = 1; v <= SBX_SCHEMA_VERSION; v++) {
        char *tmp = make_temp_dir();
        char db[4200], sql[4200], name[64];
        path_join(db, sizeof db, tmp, "ledger.db");
        snprintf(name, sizeof name, "ledger-v%d.sql", v);
        fixture_path(sql, sizeof sql, name);
        build_from_sql(db, sql);
        struct sbx_error err = {0};
        struct sbx_ledger *l = NULL;
        if (sbx_ledger_open(tmp, 0, &l, &err) != 0)
            fail_msg("fixture v%d: %s", v, err.msg);
        assert_int_equal(sbx_ledger_schema_version(l), SBX_SCHEMA_VERSION);
        size_t counts[SBX_R_KIND_COUNT];
        assert_int_equal(sbx_ledger_count(l, counts, &err), 0);
        assert_int_equal(counts[SBX_R_WORKSPACE], 2);
        assert_int_equal(counts[SBX_R_MODE], 1);
        int64_t last = 0;
        assert_int_equal(sbx_ledger_plan_last_committed(l, &last, &err), 0);
        assert_int_equal(last, 2);
        struct sbx_plan p;
        assert_int_equal(sbx_ledger_plan_load(l, 1, &p, &err), 0);
        assert_int_equal(p.n_ops, 2);
        assert_string_equal(p.verb, "setup");
        sbx_plan_free(&p);
        sbx_ledger_close(l);
        rm_tree(tmp);
        free(tmp);
    }
}

/* Opening must fail with `code` and leave the file byte for byte as it
 * was. */
static void assert_refused(const char *tmp, int code, const char *needle)
{
    char db[4200];
    path_join(db, sizeof db, tmp, "ledger.db");
    size_t before_len = 0, after_len = 0;
    char *before = read_file(db, &before_len);
    struct sbx_error err = {0};
    struct sbx_ledger *l = NULL;
    assert_int_equal(sbx_ledger_open(tmp, SBX_LEDGER_CREATE, &l, &err), -code);
    assert_null(l);
    if (!strstr(err.msg, needle))
        fail_msg("message '%s' does not mention '%s'", err.msg, needle);
    char *after = read_file(db, &after_len);
    assert_int_equal(before_len, after_len);
    assert_memory_equal(before, after, before_len);
    char side[4300];
    snprintf(side, sizeof side, "%s-wal", db);
    assert_false(sbx_fs_exists(side));
    free(before);
    free(after);
}

static void test_newer_schema_refused(void **state)
{
    (void)state;
    char *tmp = make_temp_dir();
    char db[4200], sql[4200];
    path_join(db, sizeof db, tmp, "ledger.db");
    fixture_path(sql, sizeof sql, "ledger-newer.sql");
    build_from_sql(db, sql);
    assert_refused(tmp, SBX_ENEWER, "schema version 999");
    rm_tree(tmp);
    free(tmp);
}

static void test_not_sqlite_refused(void **state)
{
    (void)state;
    char *tmp = make_temp_dir();
    char db[4200];
    path_join(db, sizeof db, tmp, "ledger.db");
    const char junk[] = "this is not a database, just some text that is long enough to read a "
                        "whole header from it without hitting the end of the file at all.....";
    write_file(db, junk, sizeof junk);
    assert_refused(tmp, SBX_ECORRUPT, "not an SQLite database");
    write_file(db, "", 0);
    assert_refused(tmp, SBX_ECORRUPT, "empty");
    rm_tree(tmp);
    free(tmp);
}

static void test_other_sqlite_refused(void **state)
{
    (void)state;
    char *tmp = make_temp_dir();
    char db[4200];
    path_join(db, sizeof db, tmp, "ledger.db");
    sqlite3 *h = NULL;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, "CREATE TABLE t(x); INSERT INTO t VALUES(1);", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(h);
    assert_refused(tmp, SBX_ECORRUPT, "not an sbx ledger");
    rm_tree(tmp);
    free(tmp);
}

static void test_truncated_refused(void **state)
{
    (void)state;
    char *tmp = make_temp_dir();
    struct sbx_error err = {0};
    struct sbx_ledger *l = NULL;
    assert_int_equal(sbx_ledger_open(tmp, SBX_LEDGER_CREATE, &l, &err), 0);
    char key[64], big[2048];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    for (int i = 0; i < 40; i++) {
        snprintf(key, sizeof key, "filler-%d", i);
        assert_int_equal(sbx_ledger_meta_set(l, key, big, &err), 0);
    }
    sbx_ledger_close(l);
    char db[4200];
    path_join(db, sizeof db, tmp, "ledger.db");
    size_t len = 0;
    char *whole = read_file(db, &len);
    assert_true(len > 3 * 4096);
    write_file(db, whole, len / 2); /* cut in half, as a full disk might */
    free(whole);
    assert_refused(tmp, SBX_ECORRUPT, "truncated");
    rm_tree(tmp);
    free(tmp);
}

static void test_readonly_never_writes(void **state)
{
    (void)state;
    char *tmp = make_temp_dir();
    struct sbx_error err = {0};
    struct sbx_ledger *l = NULL;
    assert_int_equal(sbx_ledger_open(tmp, SBX_LEDGER_READONLY, &l, &err), -SBX_ENOENT);
    assert_int_equal(sbx_ledger_open(tmp, SBX_LEDGER_CREATE, &l, &err), 0);
    sbx_ledger_close(l);
    assert_int_equal(sbx_ledger_open(tmp, SBX_LEDGER_READONLY, &l, &err), 0);
    assert_int_not_equal(sbx_ledger_meta_set(l, "k", "v", &err), 0);
    sbx_ledger_close(l);
    rm_tree(tmp);
    free(tmp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_private),
#ifndef _WIN32
        cmocka_unit_test(test_state_dir_refused),
#endif
        cmocka_unit_test(test_missing_without_create),
        cmocka_unit_test(test_fixture_every_schema),
        cmocka_unit_test(test_newer_schema_refused),
        cmocka_unit_test(test_not_sqlite_refused),
        cmocka_unit_test(test_other_sqlite_refused),
        cmocka_unit_test(test_truncated_refused),
        cmocka_unit_test(test_readonly_never_writes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
