/* SPDX-License-Identifier: MIT */
/* `sbx run` on Linux, end to end: exit statuses, signals, bad workspaces,
 * stdio, fds, the private TMPDIR, and the death of the whole process tree
 * on --timeout, on SIGTERM and when sbx itself is killed.
 * Usage: run_status SBX. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/integration/run_common.h"

struct ctx {
    const char *sbx;
    char ws[256];
};

/* sbx run --workspace ws [extra...] -- sh -c script */
static int sbx_sh(struct ctx *c, const char *script, const char *input, struct run_result *r,
                  const char *extra1, const char *extra2)
{
    char *argv[16] = {(char *)c->sbx, "run", "--workspace", c->ws};
    int n = 4;
    if (extra1)
        argv[n++] = (char *)extra1;
    if (extra2)
        argv[n++] = (char *)extra2;
    argv[n++] = "--";
    argv[n++] = "sh";
    argv[n++] = "-c";
    argv[n++] = (char *)script;
    argv[n] = NULL;
    assert_int_equal(run_capture(c->ws, argv, input, 60, r), 0);
    return r->status;
}

static void test_exit_status(void **state)
{
    struct ctx *c = *state;
    struct run_result r;
    assert_int_equal(sbx_sh(c, "exit 0", NULL, &r, NULL, NULL), 0);
    assert_int_equal(sbx_sh(c, "exit 3", NULL, &r, NULL, NULL), 3);
    assert_int_equal(sbx_sh(c, "exit 200", NULL, &r, NULL, NULL), 200);
}

static void test_signal_status(void **state)
{
    struct ctx *c = *state;
    struct run_result r;
    assert_int_equal(sbx_sh(c, "kill -TERM $$", NULL, &r, NULL, NULL), 128 + SIGTERM);
    assert_int_equal(sbx_sh(c, "kill -KILL $$", NULL, &r, NULL, NULL), 128 + SIGKILL);
    assert_int_equal(sbx_sh(c, "kill -SEGV $$", NULL, &r, NULL, NULL), 128 + SIGSEGV);
}

static void test_not_found_127(void **state)
{
    struct ctx *c = *state;
    struct run_result r;
    char *argv[] = {(char *)c->sbx, "run", "--workspace", c->ws, "--",
                    "sbxt-no-such-command-anywhere", NULL};
    assert_int_equal(run_capture(c->ws, argv, NULL, 30, &r), 0);
    if (r.status != 127)
        fail_msg("expected 127, got %d: %s", r.status, r.out);
    assert_non_null(strstr(r.out, "sbxt-no-such-command-anywhere"));
}

static void test_not_executable_126(void **state)
{
    struct ctx *c = *state;
    char path[300];
    snprintf(path, sizeof path, "%s/not-exec.sh", c->ws);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("#!/bin/sh\necho ran\n", f);
    fclose(f);
    chmod(path, 0644);
    struct run_result r;
    char *argv[] = {(char *)c->sbx, "run", "--workspace", c->ws, "--", path, NULL};
    assert_int_equal(run_capture(c->ws, argv, NULL, 30, &r), 0);
    if (r.status != 126)
        fail_msg("expected 126, got %d: %s", r.status, r.out);
    assert_null(strstr(r.out, "ran"));
}

/* A bad workspace: status 125, a message naming it, nothing run. */
static void expect_refused(struct ctx *c, const char *ws)
{
    char marker[300];
    snprintf(marker, sizeof marker, "%s/ran-with-bad-workspace", c->ws);
    char script[400];
    snprintf(script, sizeof script, "touch %s", marker);
    char *argv[] = {(char *)c->sbx, "run", "--workspace", (char *)ws, "--", "sh", "-c",
                    script, NULL};
    struct run_result r;
    assert_int_equal(run_capture(c->ws, argv, NULL, 30, &r), 0);
    if (r.status != 125)
        fail_msg("workspace %s: expected 125, got %d: %s", ws, r.status, r.out);
    if (!strstr(r.out, ws))
        fail_msg("workspace %s: the message does not name it: %s", ws, r.out);
    struct stat st;
    assert_int_equal(stat(marker, &st), -1);
}

static void test_bad_workspaces(void **state)
{
    struct ctx *c = *state;
    char path[300];
    expect_refused(c, "/");
    expect_refused(c, "/etc");
    expect_refused(c, "/usr");
    expect_refused(c, "/proc");
    expect_refused(c, "/usr/lib");
    snprintf(path, sizeof path, "%s/does-not-exist", c->ws);
    expect_refused(c, path);
    snprintf(path, sizeof path, "%s/a-file", c->ws);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    expect_refused(c, path);
    /* symlinks to the forbidden roots */
    snprintf(path, sizeof path, "%s/link-to-etc", c->ws);
    assert_int_equal(symlink("/etc", path), 0);
    expect_refused(c, path);
    snprintf(path, sizeof path, "%s/link-to-root", c->ws);
    assert_int_equal(symlink("/", path), 0);
    expect_refused(c, path);
    /* the home of the caller from the password database, and a symlink
     * to it, whatever $HOME says */
    struct passwd *pw = getpwuid(getuid());
    if (pw && pw->pw_dir && access(pw->pw_dir, F_OK) == 0 && strcmp(pw->pw_dir, "/") != 0) {
        expect_refused(c, pw->pw_dir);
        snprintf(path, sizeof path, "%s/link-to-home", c->ws);
        assert_int_equal(symlink(pw->pw_dir, path), 0);
        expect_refused(c, path);
    }
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static bool file_is(const char *path, const char *text)
{
    char buf[256] = {0};
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    return n == strlen(text) && memcmp(buf, text, n) == 0;
}

/* --protect keeps a path inside the workspace read-only; a .git that is a
 * file (worktrees, submodules) is protected like a directory. */
static void test_protect_and_git_file(void **state)
{
    struct ctx *c = *state;
    char keep[300], file[340], git[300];
    snprintf(keep, sizeof keep, "%s/keep", c->ws);
    snprintf(file, sizeof file, "%s/keep/data", c->ws);
    snprintf(git, sizeof git, "%s/.git", c->ws);
    assert_int_equal(mkdir(keep, 0755), 0);
    write_text(file, "original\n");
    write_text(git, "gitdir: /nonexistent/worktree\n");
    struct run_result r;
    int st = sbx_sh(c, "echo changed > keep/data; echo changed > .git; "
                       "mv keep kept; echo changed > other && echo other-ok",
                    NULL, &r, "--protect", keep);
    unlink(git);
    assert_true(st == 0);
    assert_non_null(strstr(r.out, "other-ok"));
    if (!file_is(file, "original\n"))
        fail_msg("a --protect path was written: %s", r.out);
    struct stat sb;
    assert_int_equal(stat(keep, &sb), 0);
    /* protecting something that does not exist is an error, not a no-op */
    char missing[320];
    snprintf(missing, sizeof missing, "%s/not-there", c->ws);
    st = sbx_sh(c, "true", NULL, &r, "--protect", missing);
    assert_int_equal(st, 125);
}

static void test_stdio_passthrough(void **state)
{
    struct ctx *c = *state;
    struct run_result r;
    assert_int_equal(sbx_sh(c, "tr a-z A-Z; echo to-stderr >&2", "hello stdin\n", &r, NULL,
                            NULL), 0);
    assert_non_null(strstr(r.out, "HELLO STDIN"));
    assert_non_null(strstr(r.out, "to-stderr"));
}

/* The command's stdio are pipes sbx relays, never the caller's fds: the
 * bytes, EOF, SIGPIPE, the order of 2>&1, separate streams otherwise, the
 * offset a file as stdin is left at, and a write error on sbx's stdout.
 * Checked by a shell around sbx (the shell's redirections are the
 * caller's fds). */
static void test_stdio_relay(void **state)
{
    struct ctx *c = *state;
    static const char script[] =
        "S=\"$1\"; W=\"$PWD\"\n"
        "run() { \"$S\" run --workspace \"$W\" -- \"$@\"; }\n"
        "head -c 3000000 /dev/urandom > in.bin\n"
        "run cat < in.bin > out.bin && cmp in.bin out.bin && echo BYTES-FILE\n"
        "cat in.bin | run cat | cat > out2.bin && cmp in.bin out2.bin && echo BYTES-PIPE\n"
        "echo x > app.txt; run cat in.bin >> app.txt && test $(wc -c < app.txt) = 3000002 "
        "&& echo BYTES-APPEND\n"
        "run sh -c 'cat in.bin >&2' 2> err.bin > out3.txt && cmp in.bin err.bin && "
        "test ! -s out3.txt && echo SEPARATE\n"
        "run sh -c 'echo 1; echo 2 >&2; echo 3; echo 4 >&2' > both.txt 2>&1 && "
        "test \"$(tr -d '\\n' < both.txt)\" = 1234 && echo ORDER\n"
        "echo hello | run cat && echo EOF-IN\n"
        "(run yes; echo \"yes-status=$?\" >&2) | head -n 1 > /dev/null\n"
        "printf 'a\\nb\\nc\\n' > list\n"
        "(run sh -c 'read x; echo got-$x'; cat) < list | tr '\\n' ' '; echo\n"
        "while read x; do run true; echo loop-$x; done < list | tr '\\n' ' '; echo\n"
        "run sh -c 'readlink /proc/self/fd/0 /proc/self/fd/1 /proc/self/fd/2' < list 2>&1 "
        "| sed 's/:.*//' | tr '\\n' ' '; echo\n"
        "run echo hi > /dev/full 2> full.err; echo \"full-status=$?\"; cat full.err\n";
    char *argv[] = {"sh", "-c", (char *)script, "sh", (char *)c->sbx, NULL};
    struct run_result r;
    assert_int_equal(run_capture(c->ws, argv, NULL, 120, &r), 0);
    static const char *const want[] = {
        "BYTES-FILE", "BYTES-PIPE", "BYTES-APPEND", "SEPARATE", "ORDER", "hello\nEOF-IN",
        /* yes got SIGPIPE when head was gone, as it would have directly */
        "yes-status=141",
        /* the command read "a\n" from the file; cat went on from there */
        "got-a b c ",
        /* a command that doesn't read stdin leaves it to the loop */
        "loop-a loop-b loop-c ",
        "pipe pipe pipe ",
        "full-status=125", "No space left on device",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(r.out, want[i]))
            fail_msg("stdio relay: no \"%s\" in: %s", want[i], r.out);
}

/* --limit: bad input refused with a message; the values reach the run. */
static void test_limit_options(void **state)
{
    struct ctx *c = *state;
    struct run_result r;
    static const char *const bad[] = {"pids=0", "pids=x", "pids=", "pids=4194305", "shm=0",
                                      "shm=1k", "shm=12X", "shm=2T", "tmp=0", "tmp=1023K",
                                      "tmp=2T", "tmp=", "tmp=-1M", "cpu=1", "pids"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int st = sbx_sh(c, "echo ran", NULL, &r, "--limit", bad[i]);
        if (st != 125 || strstr(r.out, "ran") || !strstr(r.out, "--limit"))
            fail_msg("--limit %s: expected a refusal (125) naming --limit, got %d: %s", bad[i],
                     st, r.out);
    }
    assert_int_equal(sbx_sh(c, "df -k /dev/shm | tail -n 1", NULL, &r, "--limit", "shm=1M"), 0);
    if (!strstr(r.out, " 1024 "))
        fail_msg("--limit shm=1M: /dev/shm is not 1024 KiB: %s", r.out);
    assert_int_equal(sbx_sh(c, "df -k /dev/shm | tail -n 1", NULL, &r, NULL, NULL), 0);
    if (!strstr(r.out, " 262144 "))
        fail_msg("/dev/shm is not 256 MiB by default: %s", r.out);
    /* TMPDIR: a tmpfs of its own, 1 GiB by default, bounded by tmp= */
    assert_int_equal(sbx_sh(c, "df -k \"$TMPDIR\" | tail -n 1", NULL, &r, NULL, NULL), 0);
    if (!strstr(r.out, " 1048576 "))
        fail_msg("TMPDIR is not a 1 GiB file system of its own by default: %s", r.out);
    int st = sbx_sh(c, "dd if=/dev/zero of=\"$TMPDIR/fill\" bs=1M count=8 2>&1; echo dd=$?",
                    NULL, &r, "--limit", "tmp=2M");
    if (st != 0 || !strstr(r.out, "No space left") || !strstr(r.out, "dd=1"))
        fail_msg("--limit tmp=2M: 8 MiB fit in TMPDIR (status %d): %s", st, r.out);
    /* 20 background processes under a limit of 10: the shell can't fork
     * them all (they live until the shell exits: the run's end kills them) */
    sbx_sh(c, "for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do sleep 60 & done",
           NULL, &r, "--limit", "pids=10");
    if (!strstr(r.out, "fork"))
        fail_msg("--limit pids=10: 20 processes were started: %s", r.out);
}

/* Credential-like variables stay out of the command unless --env names
 * them; --env NAME=VALUE sets one; --env-all keeps them all. */
static void test_env_secrets(void **state)
{
    struct ctx *c = *state;
    static const char *const secret[] = {"GITHUB_TOKEN", "AWS_REGION", "OPENAI_API_KEY",
                                         "DB_PASSWORD", "SSH_AUTH_SOCK", "GOOGLE_APPLICATION_CREDENTIALS",
                                         "my_secret", "AZURE_TENANT_ID", "GPG_AGENT_INFO"};
    static const char *const plain[] = {"SBXT_PLAIN", "GIT_AUTHOR_NAME", "SBXT_OTHER"};
    size_t n_secret = sizeof secret / sizeof secret[0], n_plain = sizeof plain / sizeof plain[0];
    for (size_t i = 0; i < n_secret; i++)
        setenv(secret[i], "s3cr3t-value", 1);
    for (size_t i = 0; i < n_plain; i++)
        setenv(plain[i], "C", 1);
    struct run_result r;
    assert_int_equal(sbx_sh(c, "env", NULL, &r, NULL, NULL), 0);
    if (strstr(r.out, "s3cr3t-value"))
        fail_msg("a credential-like variable reached the command: %s", r.out);
    for (size_t i = 0; i < n_plain; i++) {
        char want[64];
        snprintf(want, sizeof want, "%s=C", plain[i]);
        if (!strstr(r.out, want))
            fail_msg("%s did not reach the command: %s", plain[i], r.out);
    }
    /* exactly the one named, and a value set */
    assert_int_equal(sbx_sh(c, "env", NULL, &r, "--env", "GITHUB_TOKEN"), 0);
    if (!strstr(r.out, "GITHUB_TOKEN=s3cr3t-value") || strstr(r.out, "AWS_REGION=") ||
        strstr(r.out, "OPENAI_API_KEY="))
        fail_msg("--env GITHUB_TOKEN: not exactly that one passed: %s", r.out);
    assert_int_equal(sbx_sh(c, "echo \"v=$SBXT_SET\"", NULL, &r, "--env", "SBXT_SET=a=b c"), 0);
    if (!strstr(r.out, "v=a=b c"))
        fail_msg("--env SBXT_SET=a=b c was not set: %s", r.out);
    assert_int_equal(sbx_sh(c, "env", NULL, &r, "--env-all", NULL), 0);
    for (size_t i = 0; i < n_secret; i++) {
        char want[96];
        snprintf(want, sizeof want, "%s=s3cr3t-value", secret[i]);
        if (!strstr(r.out, want))
            fail_msg("--env-all: %s did not reach the command: %s", secret[i], r.out);
    }
    if (!strstr(r.out, "--env-all"))
        fail_msg("--env-all: no warning: %s", r.out);
    /* bad input: refused, nothing run */
    static const char *const bad[] = {"SBXT_UNSET_VAR", "1ABC", "A-B=c", "=x", ""};
    unsetenv("SBXT_UNSET_VAR");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int st = sbx_sh(c, "echo ran", NULL, &r, "--env", bad[i]);
        if (st != 125 || strstr(r.out, "ran") || !strstr(r.out, "--env"))
            fail_msg("--env '%s': expected a refusal naming --env, got %d: %s", bad[i], st,
                     r.out);
    }
    for (size_t i = 0; i < n_secret; i++)
        unsetenv(secret[i]);
    for (size_t i = 0; i < n_plain; i++)
        unsetenv(plain[i]);
}

/* The credential files and folders of the home read as empty or absent;
 * --allow-read shows exactly the one named; a path inside a hidden folder
 * is refused with the folder to name instead. */
static void test_credential_files_hidden(void **state)
{
    struct ctx *c = *state;
    char home[256], cmd[1024];
    run_mkdtemp("home", home, sizeof home);
    assert_true(home[0] != '\0');
    snprintf(cmd, sizeof cmd,
             "set -e; cd %s; mkdir -p .ssh .aws .config/gh .docker; echo k3y > .ssh/id_x; "
             "echo k3y > .aws/credentials; echo k3y > .npmrc; echo k3y > .config/gh/hosts.yml; "
             "echo k3y > .docker/config.json; echo visible > .plainrc",
             home);
    assert_int_equal(system(cmd), 0);
    const char *old_home = getenv("HOME");
    char *saved = old_home ? strdup(old_home) : NULL;
    setenv("HOME", home, 1);
    static const char *const read_all =
        "cd \"$HOME\"; for f in .ssh/id_x .aws/credentials .npmrc .config/gh/hosts.yml "
        ".docker/config.json .plainrc; do printf '%s:' $f; cat $f 2>/dev/null || printf 'none'; "
        "echo; done";
    struct run_result r;
    int st = sbx_sh(c, read_all, NULL, &r, NULL, NULL);
    int st_ssh = -1, st_bad = -1;
    struct run_result r_ssh, r_bad;
    if (st == 0) {
        char ssh[300], inside[320];
        snprintf(ssh, sizeof ssh, "%s/.ssh", home);
        snprintf(inside, sizeof inside, "%s/.ssh/id_x", home);
        st_ssh = sbx_sh(c, read_all, NULL, &r_ssh, "--allow-read", ssh);
        st_bad = sbx_sh(c, "echo ran", NULL, &r_bad, "--allow-read", inside);
    }
    if (saved) {
        setenv("HOME", saved, 1);
        free(saved);
    } else {
        unsetenv("HOME");
    }
    run_rmrf(home);
    assert_int_equal(st, 0);
    if (strstr(r.out, "k3y") || !strstr(r.out, ".plainrc:visible"))
        fail_msg("a credential file was read, or an ordinary one was not: %s", r.out);
    assert_int_equal(st_ssh, 0);
    if (!strstr(r_ssh.out, ".ssh/id_x:k3y") || strstr(r_ssh.out, "credentials:k3y") ||
        strstr(r_ssh.out, ".npmrc:k3y"))
        fail_msg("--allow-read ~/.ssh: not exactly that one shown: %s", r_ssh.out);
    if (st_bad != 125 || strstr(r_bad.out, "ran") || !strstr(r_bad.out, "--allow-read"))
        fail_msg("--allow-read of a file inside ~/.ssh: expected a refusal, got %d: %s", st_bad,
                 r_bad.out);
}

/* The configuration file: env, hide, workspace and net take effect; a
 * bad line stops sbx (125), naming the file and the line. */
static void test_config_file(void **state)
{
    struct ctx *c = *state;
    char dir[256], cfg[320], hidden[320], extra[320], text[2048];
    run_mkdtemp("config", dir, sizeof dir);
    assert_true(dir[0] != '\0');
    snprintf(cfg, sizeof cfg, "%s/config", dir);
    snprintf(hidden, sizeof hidden, "%s/hidden", dir);
    snprintf(extra, sizeof extra, "%s/extra-ws", dir);
    snprintf(text, sizeof text, "set -e; mkdir %s %s; echo h1dd3n > %s/f", hidden, extra, hidden);
    assert_int_equal(system(text), 0);
    snprintf(text, sizeof text,
             "; sbx's configuration\n[run]\nnet = off\ncache = off\nenv = SBXT_CFG_TOKEN\n"
             "hide = %s\nworkspace = %s\n",
             hidden, extra);
    FILE *f = fopen(cfg, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    setenv("SBX_CONFIG", cfg, 1);
    setenv("SBXT_CFG_TOKEN", "cfg-tok", 1);
    setenv("SBXT_OTHER_TOKEN", "other-tok", 1);
    struct run_result r;
    char script[1024];
    snprintf(script, sizeof script,
             "echo \"t=$SBXT_CFG_TOKEN o=$SBXT_OTHER_TOKEN c=${XDG_CACHE_HOME:-none}\"; "
             "cat %s/f 2>/dev/null; "
             "echo w > %s/made && echo wrote-extra",
             hidden, extra);
    int st = sbx_sh(c, script, NULL, &r, NULL, NULL);
    static const char *const bad[][2] = {
        {"[run]\nnet = maybe\n", ":2: net = maybe"},
        {"[run]\ncache = sometimes\n", ":2: cache = sometimes"},
        {"[run]\nnet = on\nthis is not ini\n", ":3: not a line"},
        {"[nope]\nx = 1\n", ":2: unknown section [nope]"},
        {"[run]\nworkspace = relative/dir\n", ":2: workspace = relative/dir"},
        {"[run]\nenv = NOT-A-NAME\n", ":2: env = NOT-A-NAME"},
        {"[run]\ncolour = blue\n", ":2: unknown key 'colour'"},
    };
    char why[sizeof bad / sizeof bad[0]][512];
    int bad_st[sizeof bad / sizeof bad[0]];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        f = fopen(cfg, "w");
        assert_non_null(f);
        fputs(bad[i][0], f);
        fclose(f);
        struct run_result rb;
        bad_st[i] = sbx_sh(c, "echo ran", NULL, &rb, NULL, NULL);
        snprintf(why[i], sizeof why[i], "%.500s", rb.out);
    }
    unsetenv("SBX_CONFIG");
    unsetenv("SBXT_CFG_TOKEN");
    unsetenv("SBXT_OTHER_TOKEN");
    run_rmrf(dir);
    if (st != 0 || !strstr(r.out, "t=cfg-tok o= c=none\n") || strstr(r.out, "h1dd3n") ||
        !strstr(r.out, "wrote-extra"))
        fail_msg("the configuration's env, cache, hide or workspace did not take (status %d): %s",
                 st,
                 r.out);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (bad_st[i] != 125 || strstr(why[i], "ran") || !strstr(why[i], bad[i][1]) ||
            !strstr(why[i], "/config:"))
            fail_msg("bad configuration %zu: wanted 125 and '%s', got %d: %s", i, bad[i][1],
                     bad_st[i], why[i]);
}

static void test_fds_closed(void **state)
{
    struct ctx *c = *state;
    /* fd 7 open (not close-on-exec) in sbx's caller */
    int fd = open("/dev/null", O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(dup2(fd, 7), 7);
    struct run_result r;
    int st = sbx_sh(c, "test -e /proc/self/fd/7 && echo fd7-open; ls /proc/self/fd | tr '\\n' ' '",
                    NULL, &r, NULL, NULL);
    close(7);
    close(fd);
    assert_int_equal(st, 0);
    if (strstr(r.out, "fd7-open"))
        fail_msg("fd 7 of the caller reached the command: %s", r.out);
}

static void test_tmpdir_private_and_removed(void **state)
{
    struct ctx *c = *state;
    struct run_result r;
    int st = sbx_sh(c,
                    "echo \"TMPDIR=$TMPDIR\"; stat -c 'mode=%a' \"$TMPDIR\"; "
                    "mkdir -p \"$TMPDIR/deep/er\" && echo x > \"$TMPDIR/deep/er/f\" && "
                    "ln -s / \"$TMPDIR/root-link\" && chmod 500 \"$TMPDIR/deep\"",
                    NULL, &r, NULL, NULL);
    assert_int_equal(st, 0);
    char *t = strstr(r.out, "TMPDIR=");
    assert_non_null(t);
    char dir[PATH_MAX];
    assert_int_equal(sscanf(t, "TMPDIR=%4095s", dir), 1);
    assert_non_null(strstr(r.out, "mode=700"));
    /* Nothing the command wrote reaches the disk: a per-run TMPDIR is
     * gone; the one kept in sbx's state directory is an empty mount point
     * (each run covers it with its own tmpfs). */
    struct stat sb;
    char inside[PATH_MAX + 16];
    snprintf(inside, sizeof inside, "%s/deep", dir);
    if (lstat(inside, &sb) == 0)
        fail_msg("what the command wrote in TMPDIR %s was left behind", dir);
    if (lstat(dir, &sb) == 0 && (strstr(dir, "/sbx-run-") || !S_ISDIR(sb.st_mode)))
        fail_msg("TMPDIR %s was left behind", dir);
    /* and what the symlink pointed to is untouched */
    assert_int_equal(stat("/etc/passwd", &sb), 0);
}

static void test_timeout_kills_tree(void **state)
{
    struct ctx *c = *state;
    char marker[64], script[512];
    snprintf(marker, sizeof marker, "600.%d1", (int)getpid());
    /* a child, a grandchild in its own session, a background job */
    snprintf(script, sizeof script,
             "sleep %s & (setsid sleep %s &) ; sh -c 'sleep %s' & wait", marker, marker, marker);
    struct run_result r;
    time_t t0 = time(NULL);
    int st = sbx_sh(c, script, NULL, &r, "--timeout", "2");
    time_t took = time(NULL) - t0;
    if (st != 124)
        fail_msg("expected 124 on timeout, got %d: %s", st, r.out);
    assert_true(took < 20);
    if (!run_marker_gone_within(marker, 3000))
        fail_msg("processes of the timed-out command are still running");
}

static void test_sigterm_forwarded(void **state)
{
    struct ctx *c = *state;
    char marker[64], script[256];
    snprintf(marker, sizeof marker, "600.%d2", (int)getpid());
    snprintf(script, sizeof script, "exec sleep %s", marker);
    char *argv[] = {(char *)c->sbx, "run", "--workspace", c->ws, "--", "sh", "-c", script, NULL};
    pid_t pid = run_background(c->ws, argv);
    assert_true(pid > 0);
    if (!run_marker_alive_within(marker, 10000))
        fail_msg("the command (sleep %s) did not start", marker);
    kill(pid, SIGTERM);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 128 + SIGTERM);
    assert_true(run_marker_gone_within(marker, 3000));
}

static void test_sbx_killed_kills_tree(void **state)
{
    struct ctx *c = *state;
    char marker[64], script[512];
    snprintf(marker, sizeof marker, "600.%d3", (int)getpid());
    /* The command records its TMPDIR: a sbx killed with SIGKILL can't
     * remove it, so the test does. */
    snprintf(script, sizeof script,
             "echo \"$TMPDIR\" > tmpdir-of-killed-run; (setsid sleep %s &); sleep %s & wait",
             marker, marker);
    char *argv[] = {(char *)c->sbx, "run", "--workspace", c->ws, "--", "sh", "-c", script, NULL};
    pid_t pid = run_background(c->ws, argv);
    assert_true(pid > 0);
    if (!run_marker_alive_within(marker, 10000))
        fail_msg("the command (sleep %s) did not start", marker);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    char rec[320], left[PATH_MAX] = "";
    snprintf(rec, sizeof rec, "%s/tmpdir-of-killed-run", c->ws);
    FILE *f = fopen(rec, "r");
    if (f) {
        if (fscanf(f, "%4095s", left) == 1 && strstr(left, "/sbx-run-"))
            rmdir(left);
        fclose(f);
    }
    if (!run_marker_gone_within(marker, 3000))
        fail_msg("the command's processes survived sbx being killed");
}

int main(int argc, char **argv)
{
    /* --engine: SBX is sbx-run-harness, the engine without the CLI, which
     * leaves the environment to its caller (cli/run_env.c): the CLI's
     * environment rules are tested with sbx itself only. */
    bool engine = argc == 3 && strcmp(argv[2], "--engine") == 0;
    if (argc != 2 && !engine) {
        fprintf(stderr, "usage: run_status SBX [--engine]\n");
        return 2;
    }
    const char *why = run_missing_feature();
    if (why) {
        printf("SKIP: %s\n", why);
        return 77;
    }
    struct ctx c = {.sbx = argv[1]};
    char state[256];
    run_private_state(state, sizeof state);
    run_mkdtemp("status", c.ws, sizeof c.ws);
    if (!c.ws[0] || !state[0])
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate(test_exit_status, &c),
        cmocka_unit_test_prestate(test_signal_status, &c),
        cmocka_unit_test_prestate(test_not_found_127, &c),
        cmocka_unit_test_prestate(test_not_executable_126, &c),
        cmocka_unit_test_prestate(test_bad_workspaces, &c),
        cmocka_unit_test_prestate(test_protect_and_git_file, &c),
        cmocka_unit_test_prestate(test_stdio_passthrough, &c),
        cmocka_unit_test_prestate(test_stdio_relay, &c),
        cmocka_unit_test_prestate(test_limit_options, &c),
        cmocka_unit_test_prestate(test_credential_files_hidden, &c),
        cmocka_unit_test_prestate(test_fds_closed, &c),
        cmocka_unit_test_prestate(test_tmpdir_private_and_removed, &c),
        cmocka_unit_test_prestate(test_timeout_kills_tree, &c),
        cmocka_unit_test_prestate(test_sigterm_forwarded, &c),
        cmocka_unit_test_prestate(test_sbx_killed_kills_tree, &c),
    };
    const struct CMUnitTest cli_tests[] = {
        cmocka_unit_test_prestate(test_env_secrets, &c),
        cmocka_unit_test_prestate(test_config_file, &c),
    };
    int failures = cmocka_run_group_tests_name("run_status", tests, NULL, NULL);
    if (!engine)
        failures += cmocka_run_group_tests_name("run_status (sbx itself)", cli_tests, NULL, NULL);
    run_rmrf(c.ws);
    run_rmrf(state);
    return failures ? 1 : 0;
}
