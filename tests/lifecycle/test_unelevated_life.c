/* SPDX-License-Identifier: MIT */
/* The unelevated mode's whole life through the real sbx command, as root
 * and as a throwaway unprivileged user: setup, workspaces, a run, status,
 * log, cleanup -- and afterwards nothing of sbx's is left in the home
 * directory (its listing is identical to the one before). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "json_check.h"

struct who {
    bool root;
    char name[64];
    uid_t uid;
    gid_t gid;
    char home[1024];
    char base[512]; /* everything this test made for the user */
    char sbx[1200];  /* a copy of sbx the user can execute */
};

/* Run sbx as who, in cwd, with HOME set from the password database. */
static int sbx_as(const struct who *w, const char *cwd, char **out, char **err, ...)
{
    const char *args[32];
    size_t n = 0;
    va_list ap;
    va_start(ap, err);
    for (const char *a; n < 31 && (a = va_arg(ap, const char *));)
        args[n++] = a;
    va_end(ap);
    args[n] = NULL;
    char home[1100], user[100], xdg[1100];
    snprintf(home, sizeof home, "HOME=%s", w->home);
    snprintf(user, sizeof user, "USER=%s", w->name);
    /* root's real home stays untouched: its ledger goes to the test's home
     * through XDG_STATE_HOME; the other user's default location comes from
     * the password database, as sbx finds it. */
    snprintf(xdg, sizeof xdg, "XDG_STATE_HOME=%s/.local/state", w->home);
    const char *envp[] = {home, user, "PATH=/usr/local/bin:/usr/bin:/bin", w->root ? xdg : NULL,
                          NULL};
    struct sbx_run_opts o = {.bin = w->sbx, .uid = w->root ? 0 : (unsigned)w->uid,
                             .gid = (unsigned)w->gid, .cwd = cwd, .envp = envp};
    return run_sbx_v(&o, out, err, args);
}

static void copy_file(const char *from, const char *to, mode_t mode)
{
    size_t len = 0;
    char *data = read_file(from, &len);
    assert_non_null(data);
    write_file(to, data, len);
    assert_int_equal(chmod(to, mode), 0);
    free(data);
}

/* Every path under dir with its mode and owner, sorted by find. */
static char *listing(const char *dir)
{
    char cmd[1200], out[] = "/tmp/sbx-life-ls-XXXXXX";
    int fd = mkstemp(out);
    assert_true(fd >= 0);
    close(fd);
    snprintf(cmd, sizeof cmd, "find '%s' -printf '%%p %%m %%u\\n' | sort > %s", dir, out);
    assert_int_equal(system(cmd), 0);
    char *text = read_file(out, NULL);
    unlink(out);
    return text;
}

static void who_init(struct who *w, bool root)
{
    memset(w, 0, sizeof *w);
    w->root = root;
    char *tmp = make_temp_dir();
    snprintf(w->base, sizeof w->base, "%s", tmp);
    free(tmp);
    assert_int_equal(chmod(w->base, 0755), 0);
    if (root) {
        snprintf(w->name, sizeof w->name, "root");
        /* root's real home is left alone: a fake one for the test. */
        snprintf(w->home, sizeof w->home, "%s/home", w->base);
        assert_int_equal(mkdir(w->home, 0700), 0);
    } else {
        snprintf(w->name, sizeof w->name, "sbxt-life-%d", (int)getpid());
        snprintf(w->home, sizeof w->home, "%s/home", w->base);
        char cmd[1400];
        snprintf(cmd, sizeof cmd,
                 "useradd --no-create-home --home-dir '%s' --shell /bin/sh "
                 "--comment 'sbx test (temporary)' '%s'",
                 w->home, w->name);
        assert_int_equal(system(cmd), 0);
        struct passwd *pw = getpwnam(w->name);
        assert_non_null(pw);
        w->uid = pw->pw_uid;
        w->gid = pw->pw_gid;
        assert_int_equal(mkdir(w->home, 0700), 0);
        assert_int_equal(chown(w->home, w->uid, w->gid), 0);
    }
    snprintf(w->sbx, sizeof w->sbx, "%s/sbx", w->base);
    copy_file(getenv("SBX_BIN"), w->sbx, 0755);
}

static void who_free(struct who *w)
{
    if (!w->root) {
        char cmd[200];
        snprintf(cmd, sizeof cmd, "userdel '%s' 2>/dev/null", w->name);
        if (system(cmd) != 0)
            fprintf(stderr, "warning: could not remove test user %s\n", w->name);
    }
    rm_tree(w->base);
}

static void mkdir_as(const struct who *w, const char *path)
{
    assert_int_equal(mkdir(path, 0755), 0);
    if (!w->root)
        assert_int_equal(chown(path, w->uid, w->gid), 0);
}

static void life(bool root)
{
    struct who w;
    who_init(&w, root);
    char ws[1200], ws2[1200], link[1200];
    snprintf(ws, sizeof ws, "%s/project", w.home);
    snprintf(ws2, sizeof ws2, "%s/other", w.base);
    snprintf(link, sizeof link, "%s/link-to-etc", w.base);
    mkdir_as(&w, ws);
    mkdir_as(&w, ws2);
    assert_int_equal(symlink("/etc", link), 0);
    char *before = listing(w.home);

    char *out = NULL, *err = NULL;
    int rc = sbx_as(&w, ws, &out, &err, "setup", "--mode", "unelevated", NULL);
    if (rc != 0)
        fail_msg("setup as %s: %d: %s", w.name, rc, err);
    free(out);
    free(err);
    assert_int_equal(sbx_as(&w, ws, NULL, NULL, "workspace", "add", ws, NULL), 0);
    assert_int_equal(sbx_as(&w, ws, NULL, NULL, "workspace", "add", ws2, NULL), 0);
    /* Dangerous roots and their aliases are refused, nothing recorded. */
    const char *bad[] = {"/", "/etc", "/usr", "/proc", w.home, link, "/nonexistent-sbx"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rc = sbx_as(&w, ws, &out, &err, "workspace", "add", bad[i], NULL);
        if (rc != 125)
            fail_msg("workspace add %s as %s: exit %d (%s)", bad[i], w.name, rc, err);
        free(out);
        free(err);
    }
    assert_int_equal(sbx_as(&w, ws, &out, NULL, "status", "--json", NULL), 0);
    if (!json_valid(out))
        fail_msg("status --json is not JSON: %s", out);
    assert_non_null(strstr(out, "\"mode_setup\":\"unelevated\""));
    assert_non_null(strstr(out, "\"mode\":\"unelevated\""));
    assert_non_null(strstr(out, "\"workspace\":2"));
    char want[1300];
    snprintf(want, sizeof want, "\"%s\"", ws2);
    assert_non_null(strstr(out, want));
    snprintf(want, sizeof want, "\"ledger\":\"%s/.local/state/sbx/ledger.db\"", w.home);
    assert_non_null(strstr(out, want));
    free(out);
    /* The ledger is the user's own and private. */
    char dir[1300];
    snprintf(dir, sizeof dir, "%s/.local/state/sbx", w.home);
    struct stat st;
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(st.st_uid, root ? 0 : w.uid);

    /* A run writes the workspace, not the ledger. */
    rc = sbx_as(&w, ws, &out, &err, "run", "--", "sh", "-c",
                "echo hi > made-inside && ! touch \"$HOME/.local/state/sbx/ledger.db\"", NULL);
    if (rc != 0)
        fail_msg("run as %s: exit %d: %s%s", w.name, rc, out, err);
    free(out);
    free(err);
    char made[1300];
    snprintf(made, sizeof made, "%s/made-inside", ws);
    assert_true(sbx_fs_exists(made));
    unlink(made);

    assert_int_equal(sbx_as(&w, ws, NULL, NULL, "workspace", "remove", ws2, NULL), 0);
    assert_int_equal(sbx_as(&w, ws, &out, NULL, "log", NULL), 0);
    assert_non_null(strstr(out, "workspace-remove"));
    free(out);
    /* Cleanup: a dry run first changes nothing, then the real one leaves
     * the home exactly as it was. */
    assert_int_equal(sbx_as(&w, ws, &out, NULL, "cleanup", "--dry-run", NULL), 0);
    assert_non_null(strstr(out, "ledger.db"));
    free(out);
    assert_true(sbx_fs_exists(dir));
    assert_int_equal(sbx_as(&w, ws, NULL, NULL, "cleanup", NULL), 0);
    char *after = listing(w.home);
    if (strcmp(before, after) != 0)
        fail_msg("home of %s differs after cleanup:\n%s\n---\n%s", w.name, before, after);
    free(before);
    free(after);
    who_free(&w);
}

static void test_life_as_root(void **state)
{
    (void)state;
    life(true);
}

static void test_life_as_unprivileged_user(void **state)
{
    (void)state;
    life(false);
}

int main(void)
{
    if (geteuid() != 0) {
        fprintf(stderr, "skipped: needs root (creates a throwaway user)\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_life_as_root),
        cmocka_unit_test(test_life_as_unprivileged_user),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
