/* SPDX-License-Identifier: MIT */
/* The sandbox's own cache in the unelevated mode, end to end with the sbx
 * binary: made and recorded on the first run, pointed at by the tools'
 * variables, persistent between runs, writable only where it is (never
 * the state directory around it), --no-cache, sbx cache clear (a symlink
 * planted in the cache is not followed, a tree nested deeper than any
 * recursion goes), sbx status's size, and sbx cleanup removing it.  Run as
 * root and again as an unprivileged user (nobody), each with a state
 * directory of the test's own.
 * Usage: run_cache SBX. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/integration/run_common.h"

#define NOBODY 65534

struct ctx {
    const char *sbx;
    char ws[256], state[256], outside[256];
    char cache[300];
};

static int sbx(struct ctx *c, struct run_result *r, const char *a1, const char *a2,
               const char *a3)
{
    char *argv[12] = {(char *)c->sbx};
    int n = 1;
    const char *extra[] = {a1, a2, a3};
    for (int i = 0; i < 3; i++)
        if (extra[i])
            argv[n++] = (char *)extra[i];
    argv[n] = NULL;
    assert_int_equal(run_capture(c->ws, argv, NULL, 120, r), 0);
    return r->status;
}

/* sbx run [--no-cache] --workspace ws -- sh -c script */
static int sbx_sh(struct ctx *c, const char *script, bool no_cache, struct run_result *r)
{
    char *argv[12] = {(char *)c->sbx, "run", "--workspace", c->ws};
    int n = 4;
    if (no_cache)
        argv[n++] = "--no-cache";
    argv[n++] = "--";
    argv[n++] = "sh";
    argv[n++] = "-c";
    argv[n++] = (char *)script;
    argv[n] = NULL;
    assert_int_equal(run_capture(c->ws, argv, NULL, 120, r), 0);
    return r->status;
}

static void expect(int status, int want, const struct run_result *r, const char *what)
{
    if (status != want)
        fail_msg("%s: status %d, expected %d: %s", what, status, want, r->out);
}

/* A refusal: the shell's own status for it (1, or 2 for a redirection). */
static void refused(int status, const struct run_result *r, const char *what)
{
    if (status != 1 && status != 2)
        fail_msg("%s: status %d, expected a refusal: %s", what, status, r->out);
}

static void test_made_and_recorded(void **state)
{
    struct ctx *c = *state;
    struct run_result r;
    struct stat st;
    assert_int_equal(lstat(c->cache, &st), -1);
    /* Each variable, and where it points. */
    expect(sbx_sh(c, "printf '%s|%s|%s|%s|%s|%s|%s\\n' \"$XDG_CACHE_HOME\" \"$npm_config_cache\" "
                     "\"$PIP_CACHE_DIR\" \"$CARGO_HOME\" \"$GOMODCACHE\" \"$GOCACHE\" "
                     "\"$MAVEN_OPTS\"",
                  false, &r),
           0, &r, "first run");
    char want[4096];
    snprintf(want, sizeof want, "%s|%s/npm|%s/pip|%s/cargo|%s/go/mod|%s/go/build|"
             "-Dmaven.repo.local=%s/maven/repository", c->cache, c->cache, c->cache, c->cache,
             c->cache, c->cache, c->cache);
    if (!strstr(r.out, want))
        fail_msg("variables: expected %s in: %s", want, r.out);
    assert_int_equal(lstat(c->cache, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_uid, geteuid());
    assert_int_equal(st.st_mode & 07777, 0700);
    /* Made by a plan: in the log. */
    expect(sbx(c, &r, "log", NULL, NULL), 0, &r, "sbx log");
    if (!strstr(r.out, "cache") || !strstr(r.out, c->cache))
        fail_msg("sbx log does not show the cache's plan: %s", r.out);
}

static void test_persists_and_sized(void **state)
{
    struct ctx *c = *state;
    struct run_result r;
    expect(sbx_sh(c, "mkdir -p \"$npm_config_cache\" && head -c 65536 /dev/zero > "
                     "\"$npm_config_cache/blob\"", false, &r),
           0, &r, "write the cache");
    expect(sbx_sh(c, "test -s \"$npm_config_cache/blob\"", false, &r), 0, &r,
           "the next run sees it");
    expect(sbx(c, &r, "status", "--json", NULL), 0, &r, "sbx status --json");
    if (!strstr(r.out, "\"caches\":[{\"mode\":\"unelevated\""))
        fail_msg("status does not show the cache: %s", r.out);
    char *bytes = strstr(r.out, "\"bytes\":");
    assert_non_null(bytes);
    assert_true(strtoull(bytes + 8, NULL, 10) >= 65536);
}

static void test_confined_to_the_cache(void **state)
{
    struct ctx *c = *state;
    struct run_result r;
    /* Beside the cache: the ledger, the state directory. */
    refused(sbx_sh(c, "echo x >> \"$XDG_CACHE_HOME/../ledger.db\"", false, &r), &r,
            "write the ledger beside the cache");
    refused(sbx_sh(c, "mkdir \"$XDG_CACHE_HOME/../planted\"", false, &r), &r,
            "make a directory beside the cache");
    /* The cache itself can't be swapped for a link (its parent stays
     * read-only; it is a mount point inside). */
    sbx_sh(c, "cd \"$XDG_CACHE_HOME/..\" && { mv cache cache.old; rm -rf cache; "
              "ln -s / cache; } 2>/dev/null; true", false, &r);
    struct stat st;
    assert_int_equal(lstat(c->cache, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    /* The host's own default caches stay read-only. */
    char script[512];
    snprintf(script, sizeof script, "touch %s/.npm-sbxt 2>/dev/null", c->outside);
    refused(sbx_sh(c, script, false, &r), &r, "write outside the cache");
}

static void test_no_cache(void **state)
{
    struct ctx *c = *state;
    struct run_result r;
    expect(sbx_sh(c, "test -z \"$XDG_CACHE_HOME$npm_config_cache$CARGO_HOME\"", true, &r), 0,
           &r, "--no-cache sets no cache variable");
    char script[512];
    snprintf(script, sizeof script, "touch %s/blob-nocache 2>/dev/null", c->cache);
    refused(sbx_sh(c, script, true, &r), &r, "--no-cache: the cache is read-only");
}

static void test_clear(void **state)
{
    struct ctx *c = *state;
    struct run_result r;
    /* A link to a directory outside, and a tree nested deeper than a
     * recursive remover goes (made from within, level by level). */
    char script[1024];
    snprintf(script, sizeof script,
             "ln -s %s \"$XDG_CACHE_HOME/link\" && cd \"$XDG_CACHE_HOME\" && "
             "perl -e 'for (1..5000) { mkdir \"d\" and chdir \"d\" or exit 9 } "
             "open(my $f, \">\", \"leaf\") or exit 8'",
             c->outside);
    expect(sbx_sh(c, script, false, &r), 0, &r, "plant a link and a deep tree");
    expect(sbx(c, &r, "cache", "clear", NULL), 0, &r, "sbx cache clear");
    char keep[300];
    snprintf(keep, sizeof keep, "%s/keep", c->outside);
    assert_int_equal(access(keep, F_OK), 0); /* the link was not followed */
    struct stat st;
    assert_int_equal(lstat(c->cache, &st), 0); /* emptied, kept */
    char probe[400];
    snprintf(probe, sizeof probe, "%s/d", c->cache);
    assert_int_equal(lstat(probe, &st), -1);
    snprintf(probe, sizeof probe, "%s/link", c->cache);
    assert_int_equal(lstat(probe, &st), -1);
    /* Nothing at all is left (what was too deep was moved up, then went). */
    DIR *d = opendir(c->cache);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            fail_msg("left in the cache after sbx cache clear: %s", e->d_name);
    closedir(d);
    expect(sbx(c, &r, "cache", "clear", "--mode=bogus"), 125, &r, "a bad --mode");
}

static void test_cleanup_removes(void **state)
{
    struct ctx *c = *state;
    struct run_result r;
    expect(sbx_sh(c, "mkdir -p \"$CARGO_HOME/registry\" && echo x > \"$CARGO_HOME/registry/y\"",
                  false, &r),
           0, &r, "fill the cache");
    expect(sbx(c, &r, "cleanup", NULL, NULL), 0, &r, "sbx cleanup");
    struct stat st;
    assert_int_equal(lstat(c->cache, &st), -1);
    char keep[300];
    snprintf(keep, sizeof keep, "%s/keep", c->outside);
    assert_int_equal(access(keep, F_OK), 0);
}

static int suite(struct ctx *c, const char *name)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate(test_made_and_recorded, c),
        cmocka_unit_test_prestate(test_persists_and_sized, c),
        cmocka_unit_test_prestate(test_confined_to_the_cache, c),
        cmocka_unit_test_prestate(test_no_cache, c),
        cmocka_unit_test_prestate(test_clear, c),
        cmocka_unit_test_prestate(test_cleanup_removes, c),
    };
    return cmocka_run_group_tests_name(name, tests, NULL, NULL);
}

/* The directories of one caller: workspace, state (XDG_STATE_HOME), and a
 * directory outside both with a file the cache's link points at. */
static bool make_dirs(struct ctx *c, const char *tag, uid_t uid)
{
    char t[64];
    snprintf(t, sizeof t, "cache-%s-ws", tag);
    run_mkdtemp(t, c->ws, sizeof c->ws);
    snprintf(t, sizeof t, "cache-%s-state", tag);
    run_mkdtemp(t, c->state, sizeof c->state);
    snprintf(t, sizeof t, "cache-%s-out", tag);
    run_mkdtemp(t, c->outside, sizeof c->outside);
    if (!c->ws[0] || !c->state[0] || !c->outside[0])
        return false;
    snprintf(c->cache, sizeof c->cache, "%s/sbx/cache", c->state);
    char keep[300];
    snprintf(keep, sizeof keep, "%s/keep", c->outside);
    int fd = open(keep, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return false;
    close(fd);
    const char *dirs[] = {c->ws, c->state, c->outside, keep};
    for (size_t i = 0; i < 4; i++)
        if (chown(dirs[i], uid, uid) != 0)
            return false;
    return true;
}

static void remove_dirs(struct ctx *c)
{
    run_rmrf(c->ws);
    run_rmrf(c->state);
    run_rmrf(c->outside);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: run_cache SBX\n");
        return 2;
    }
    const char *why = run_missing_feature();
    if (why) {
        printf("SKIP: %s\n", why);
        return 77;
    }
    struct ctx root = {.sbx = argv[1]}, user = {.sbx = argv[1]};
    int failures = 0;
    if (!make_dirs(&root, "root", geteuid()))
        return 1;
    setenv("XDG_STATE_HOME", root.state, 1);
    unsetenv("SBX_STATE");
    failures += suite(&root, geteuid() == 0 ? "run_cache as root" : "run_cache");
    remove_dirs(&root);
    if (geteuid() != 0) {
        printf("SKIP: the unprivileged half runs as root only (it becomes uid %d)\n", NOBODY);
        return failures ? 1 : 77;
    }
    if (!make_dirs(&user, "user", NOBODY))
        return 1;
    pid_t pid = fork();
    if (pid == 0) {
        if (!run_become(NOBODY))
            _exit(1);
        setenv("XDG_STATE_HOME", user.state, 1);
        setenv("HOME", user.outside, 1);
        _exit(suite(&user, "run_cache as nobody") ? 1 : 0);
    }
    int ws = 0;
    if (pid < 0 || waitpid(pid, &ws, 0) != pid || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
        failures++;
    remove_dirs(&user);
    return failures ? 1 : 0;
}
