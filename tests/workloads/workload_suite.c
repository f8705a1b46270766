/* SPDX-License-Identifier: MIT */
/* The workload suite: the everyday work of a coding agent, each workload
 * inside `sbx run` in a fresh workspace of its own, and each must succeed
 * (issue 13): git in a nested clone and a subfolder, git clone of a local
 * bare repository, git init + commit, C with make -j, a CMake project, a
 * Python venv + pip install of a local wheel, npm install of a local
 * tarball twice (the second offline, from sbx's cache, both timed), cargo
 * build --offline with a path dependency, javac, Maven offline, and a
 * workspace removed and made again between two runs.
 *
 * Usage: workload_suite [--elevated] [--user] SBX FIXTURES
 *   (no option)  the caller itself in the unelevated mode;
 *   --user       root makes a throwaway user (sbxt-<pid>), who runs them;
 *   --elevated   root sets the elevated mode up with throwaway names for
 *                that caller (root itself, or the throwaway user with
 *                --user), who runs them through plain `sbx run` (which must
 *                pick the elevated mode: checked); `sbx cleanup` as root
 *                afterwards must leave nothing.
 * --user and --elevated need root (else exit 77).  A tool the workloads
 * need is part of the test command's dependencies (scripts/deps.sh): a
 * missing one fails its workload, nothing is skipped.
 *
 * The tools come from the system's PATH (Debian's cargo, not a rustup in
 * a home), and the environment is cleared: the caches (npm_config_cache,
 * PIP_CACHE_DIR, CARGO_HOME, MAVEN_OPTS...) are sbx's to provide, never
 * the test's. */
#include <errno.h>
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

#include "tests/escape/suite_env.h"
#include "tests/escape/suite_machine.h"

static const char *sbx;          /* the sbx every run uses */
static char fixtures[600];       /* a copy of the fixtures everyone can read */
static char caller_base[600];    /* the caller's directory: workspaces, bare repo */
static bool elevated;
static struct suite_elev elev;

/* ---- running things ------------------------------------------------------ */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* argv in cwd as the caller, output into r: its status, or -1. */
static int run_argv(const char *cwd, char *const argv[], struct run_out *r)
{
    struct suite_env e = {.sbx = sbx, .outfd = -1};
    if (suite_run(&e, cwd, argv, false, r) < 0)
        return -1;
    return r->status;
}

/* A shell script as the caller, outside the sandbox (making a fixture):
 * must succeed. */
static void host_sh(const char *cwd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void host_sh(const char *cwd, const char *fmt, ...)
{
    char script[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(script, sizeof script, fmt, ap);
    va_end(ap);
    char *argv[] = {"sh", "-ec", script, NULL};
    struct run_out r;
    int st = run_argv(cwd, argv, &r);
    if (st != 0)
        fail_msg("outside the sandbox in %s: `%s`: status %d: %s", cwd, script, st, r.text);
}

/* A script inside `sbx run` in cwd (with --workspace ws unless ws is
 * NULL); its output into r, its wall time into secs (when not NULL).
 * Fails the test unless it exits 0 and its output holds want. */
static void boxed(const char *ws, const char *cwd, const char *want, double *secs,
                  const char *script)
{
    char *with_ws[] = {(char *)sbx, "run", "--workspace", (char *)ws, "--", "sh", "-ec",
                       (char *)script, NULL};
    char *without[] = {(char *)sbx, "run", "--", "sh", "-ec", (char *)script, NULL};
    struct run_out r;
    double t0 = now_s();
    int st = run_argv(cwd, ws ? with_ws : without, &r);
    double took = now_s() - t0;
    if (secs)
        *secs = took;
    printf("    %.2f s: sbx run in %s\n", took, strrchr(cwd, '/') + 1);
    if (st != 0 || !strstr(r.text, want))
        fail_msg("in sbx run (cwd %s, workspace %s): status %d, want \"%s\" in the output:\n"
                 "%s\n--- the script:\n%s", cwd, ws ? ws : "(registered)", st, want, r.text,
                 script);
}

/* A fresh workspace for one workload: <caller_base>/w-<name>, holding a
 * copy of fixture (NULL: empty).  Its path into ws. */
static void fresh_ws(const char *name, const char *fixture, char *ws, size_t len)
{
    snprintf(ws, len, "%s/w-%s", caller_base, name);
    suite_rmrf(ws);
    assert_int_equal(mkdir(ws, 0755), 0);
    if (fixture)
        host_sh(ws, "cp -R '%s/%s/.' .", fixtures, fixture);
}

#define GIT_ID "-c user.name=sbxt -c user.email=sbxt@example.invalid"

/* ---- the workloads -------------------------------------------------------- */

/* Elevated: the commands really run as the sandbox account (a silent
 * fall-back to the unelevated mode would test the wrong thing). */
static void test_runs_as_account(void **state)
{
    (void)state;
    char ws[700], want[128];
    fresh_ws("account", NULL, ws, sizeof ws);
    snprintf(want, sizeof want, "user=%s.", elev.offline);
    boxed(ws, ws, want, NULL, "echo \"user=$(id -un).\"");
}

/* status, diff, log and blame in a subfolder of a repository and in a
 * clone nested inside it: in the elevated mode the account owns none of
 * them. */
static void test_git_read(void **state)
{
    (void)state;
    char ws[700];
    fresh_ws("git", NULL, ws, sizeof ws);
    host_sh(ws, "git init -q proj && cd proj && mkdir sub && echo one > sub/notes.txt && "
                "git add . && git " GIT_ID " commit -qm first && echo two >> sub/notes.txt && "
                "git " GIT_ID " commit -qam second && "
                "git clone -q . vendor/lib && echo vendor >> .git/info/exclude");
    /* a subfolder of the repository, then the nested clone's root */
    boxed(ws, ws, "GIT-READ-OK", NULL,
          "top=$PWD\n"
          "for where in 'proj/sub notes.txt' 'proj/vendor/lib sub/notes.txt'; do\n"
          "  set -- $where; cd \"$top/$1\"\n"
          "  echo three >> \"$2\"\n"
          "  git status --porcelain | grep -q 'M.*notes.txt'\n"
          "  git diff --stat -- \"$2\" | grep -q notes.txt\n"
          "  test \"$(git log --oneline | wc -l)\" -eq 2\n"
          "  git blame -s -- \"$2\" | grep -q two\n"
          "done\n"
          "echo GIT-READ-OK");
}

static void test_git_clone(void **state)
{
    (void)state;
    char ws[700], bare[700];
    fresh_ws("clone", NULL, ws, sizeof ws);
    snprintf(bare, sizeof bare, "%s/bare.git", caller_base);
    char script[1600];
    snprintf(script, sizeof script,
             "git clone -q '%s' clone\n"
             "cd clone && test \"$(cat README)\" = 'from the bare repository'\n"
             "git log --oneline | grep -q bare-commit && echo CLONE-OK", bare);
    boxed(ws, ws, "CLONE-OK", NULL, script);
}

/* The workloads that are a script in a copy of a fixture (NULL: an empty
 * workspace) whose output must hold want. */
struct simple_workload {
    const char *name, *fixture, *want, *script;
};

static const struct simple_workload simple[] = {
    {"git-init-commit", NULL, "INIT-OK",
     "git init -q fresh && cd fresh && echo hi > a.txt && git add a.txt\n"
     "git " GIT_ID " commit -qm 'made in the sandbox'\n"
     "git log --oneline | grep -q 'made in the sandbox' && echo INIT-OK"},
    {"make-j", "c", "make -j built: 42", "make -s -j4 && ./prog"},
    {"cmake", "cmake", "cmake built",
     "cmake -S . -B build >/dev/null && cmake --build build -j2 >/dev/null && ./build/hello"},
    /* the wheel is a zip of the fixture's files, made where it is used */
    {"python-venv-pip", "python", "pip installed a local wheel",
     "(cd whl && python3 -m zipfile -c ../sbxpkg-1.0-py3-none-any.whl sbxpkg "
     "sbxpkg-1.0.dist-info)\n"
     "python3 -m venv venv\n"
     "venv/bin/pip install -q --no-index ./sbxpkg-1.0-py3-none-any.whl\n"
     "venv/bin/python -c 'import sbxpkg; print(sbxpkg.greet())'"},
    {"cargo-offline", "cargo", "hello from a path dependency",
     "cd app && cargo build --offline -q && ./target/debug/sbxapp"},
    {"javac", "java", "javac built", "javac -d out Hello.java && java -cp out Hello"},
    {"maven-offline", "maven", "maven built",
     "mvn -B -q -o -s settings.xml -Daether.offline.protocols=file package\n"
     "java -cp target/hello-1.0.jar sbx.workload.Hello"},
};

static void test_simple(void **state)
{
    const struct simple_workload *w = *state;
    char ws[700];
    fresh_ws(w->name, w->fixture, ws, sizeof ws);
    boxed(ws, ws, w->want, NULL, w->script);
}

/* Twice: the first install from the tarball fills the cache sbx gives
 * (npm_config_cache); the second, in a new workspace holding only the
 * manifest and the lock file (the tarball is not there), must be served
 * from that cache, offline. */
static void test_npm_twice(void **state)
{
    (void)state;
    char ws1[700], ws2[700];
    fresh_ws("npm1", "npm", ws1, sizeof ws1);
    host_sh(ws1, "tar -czf dep/sbx-dep-1.0.0.tgz -C dep package");
    static const char npm_flags[] = "--no-audit --no-fund --no-update-notifier";
    char script[1024];
    double first, second;
    snprintf(script, sizeof script,
             "test -n \"${npm_config_cache:-}\" || "
             "{ echo 'sbx gave no npm_config_cache'; exit 3; }\n"
             "cd app && npm install %s\n"
             "test -d \"$npm_config_cache/_cacache/content-v2\" || "
             "{ echo \"npm left nothing in $npm_config_cache\"; exit 4; }\n"
             "node -e 'console.log(require(\"sbx-dep\")())'", npm_flags);
    boxed(ws1, ws1, "npm installed a local tarball", &first, script);
    fresh_ws("npm2", NULL, ws2, sizeof ws2);
    host_sh(ws2, "mkdir app && cp '%s/app/package.json' '%s/app/package-lock.json' app/", ws1,
            ws1);
    snprintf(script, sizeof script,
             "test ! -e dep/sbx-dep-1.0.0.tgz\n"
             "cd app && npm install --offline %s\n"
             "node -e 'console.log(require(\"sbx-dep\")())'", npm_flags);
    boxed(ws2, ws2, "npm installed a local tarball", &second, script);
    printf("npm install of a local tarball: first run %.2f s, second run (offline, from the "
           "cache) %.2f s\n", first, second);
}

/* A registered workspace removed and made again (mkdir, then git clone)
 * between runs that name no --workspace: the next run still works (in the
 * elevated mode sbx grants the new directory again, a plan in sbx log). */
static void test_ws_recreated(void **state)
{
    (void)state;
    char ws[700], bare[700];
    fresh_ws("recreated", NULL, ws, sizeof ws);
    snprintf(bare, sizeof bare, "%s/bare.git", caller_base);
    char *add[] = {(char *)sbx, "workspace", "add", ws, NULL};
    struct run_out r;
    int st = run_argv(caller_base, add, &r);
    if (st != 0)
        fail_msg("sbx workspace add %s: status %d: %s", ws, st, r.text);
    boxed(NULL, ws, "RUN1-OK", NULL, "echo one > f && echo RUN1-OK");
    host_sh(caller_base, "rm -rf '%s' && mkdir '%s'", ws, ws);
    boxed(NULL, ws, "RUN2-OK", NULL, "test ! -e f && echo two > f && echo RUN2-OK");
    host_sh(caller_base, "rm -rf '%s' && git clone -q '%s' '%s'", ws, bare, ws);
    boxed(NULL, ws, "RUN3-OK", NULL,
          "git status --porcelain && echo three > new.txt && git log --oneline | "
          "grep -q bare-commit && echo RUN3-OK");
    if (elevated) {
        char *log[] = {(char *)sbx, "log", NULL};
        st = run_argv(caller_base, log, &r);
        if (st != 0 || !strstr(r.text, "workspace-regrant"))
            fail_msg("sbx log after two recreated workspaces: status %d, no "
                     "workspace-regrant: %s", st, r.text);
    }
}

/* ---- one caller ------------------------------------------------------------ */

/* The caller's part, in a child that already is the caller: the shared
 * bare repository, then every workload. */
static int run_workloads(const char *group)
{
    char tmp[700];
    snprintf(tmp, sizeof tmp, "%s/tmp", caller_base);
    if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
        return 1;
    setenv("TMPDIR", tmp, 1);
    char bare[700];
    snprintf(bare, sizeof bare, "%s/bare.git", caller_base);
    char script[4096];
    snprintf(script, sizeof script,
             "git init -q --bare '%s' && git init -q seed && cd seed && "
             "echo 'from the bare repository' > README && git add README && "
             "git " GIT_ID " commit -qm bare-commit && git push -q '%s' HEAD:refs/heads/main "
             "&& git -C '%s' symbolic-ref HEAD refs/heads/main && cd .. && rm -rf seed",
             bare, bare, bare);
    char *mk[] = {"sh", "-ec", script, NULL};
    struct run_out r;
    if (run_argv(caller_base, mk, &r) != 0) {
        fprintf(stderr, "workload suite: the bare repository %s: %s\n", bare, r.text);
        return 1;
    }
    /* the unelevated mode, set up for the caller (its ledger in the
     * suite's directory): sbx workspace add needs a mode */
    char *setup[] = {(char *)sbx, "setup", "--mode", "unelevated", NULL};
    if (!elevated && run_argv(caller_base, setup, &r) != 0) {
        fprintf(stderr, "workload suite: sbx setup --mode unelevated: %s\n", r.text);
        return 1;
    }
#define WORKLOAD(name, fn) ((struct CMUnitTest){name, fn, NULL, NULL, NULL})
    struct CMUnitTest tests[32];
    size_t n = 0;
    /* the account check only where there is an account */
    if (elevated)
        tests[n++] = WORKLOAD("elevated-runs-as-account", test_runs_as_account);
    tests[n++] = WORKLOAD("git-status-diff-log-blame", test_git_read);
    tests[n++] = WORKLOAD("git-clone-bare", test_git_clone);
    for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++)
        tests[n++] = (struct CMUnitTest){simple[i].name, test_simple, NULL, NULL,
                                         (void *)&simple[i]};
    tests[n++] = WORKLOAD("npm-twice-from-cache", test_npm_twice);
    tests[n++] = WORKLOAD("workspace-recreated", test_ws_recreated);
    return _cmocka_run_group_tests(group, tests, n, NULL, NULL) ? 1 : 0;
}

/* The caller's pass in a child: as the throwaway user (name != NULL) or
 * as this process's own identity. */
static int caller_pass(const char *name, uid_t uid, gid_t gid, const char *home)
{
    pid_t child = fork();
    if (child == 0) {
        setpgid(0, 0);
        if (name && suite_become(name, uid, gid, home, elevated) < 0)
            _exit(1);
        if (!name) {
            /* root's own ledger and home stay out of it */
            setenv("HOME", home, 1);
            char state[700];
            snprintf(state, sizeof state, "%s/state", caller_base);
            if (!elevated)
                setenv("XDG_STATE_HOME", state, 1);
        }
        char group[160];
        snprintf(group, sizeof group, "workloads%s as %s (uid %u)",
                 elevated ? " (elevated mode)" : "", name ? name : "the caller",
                 (unsigned)getuid());
        _exit(run_workloads(group));
    }
    int st, failures = 1;
    if (child > 0 && waitpid(child, &st, 0) == child)
        failures = WIFEXITED(st) ? WEXITSTATUS(st) : 1;
    if (child > 0)
        kill(-child, SIGKILL);
    return failures;
}

/* ---- setting up ------------------------------------------------------------ */

/* Only what the workloads need from the caller's environment: the tools
 * of the system's PATH, sbx's own test settings and the sanitizers'. */
static void clean_environment(void)
{
    static const char *const keep[] = {"SBX_", "ASAN_OPTIONS=", "UBSAN_OPTIONS=",
                                       "LSAN_OPTIONS="};
    extern char **environ;
    size_t n = 0;
    for (char **e = environ; *e; e++)
        n++;
    char **saved = calloc(n + 1, sizeof *saved);
    size_t k = 0;
    for (char **e = environ; saved && *e; e++)
        for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
            if (strncmp(*e, keep[i], strlen(keep[i])) == 0) {
                saved[k++] = strdup(*e);
                break;
            }
    clearenv();
    for (size_t i = 0; saved && i < k; i++)
        putenv(saved[i]); /* kept for the life of the process */
    free(saved);
    setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1);
    setenv("LANG", "C.UTF-8", 1);
}

int main(int argc, char **argv)
{
    bool as_user = false;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--elevated") == 0)
            elevated = true;
        else if (strcmp(argv[i], "--user") == 0)
            as_user = true;
        else
            break;
    }
    if (argc - i != 2) {
        fprintf(stderr, "usage: workload_suite [--elevated] [--user] SBX FIXTURES\n");
        return 2;
    }
    sbx = argv[i];
    if ((elevated || as_user) && geteuid() != 0) {
        printf("SKIP: --elevated and --user need root (they create accounts and remove "
               "them)\n");
        return 77;
    }
    if (elevated && !getenv("SBX_LAUNCHER_SOURCE")) {
        printf("SKIP: SBX_LAUNCHER_SOURCE must name the built sbx-launch\n");
        return 77;
    }
    clean_environment();
    char base[256];
    snprintf(base, sizeof base, "/tmp/sbxw-%d", (int)getpid());
    if (mkdir(base, 0755) < 0) {
        perror(base);
        return 1;
    }
    /* copies everyone can read (the sandbox accounts too) */
    snprintf(fixtures, sizeof fixtures, "%s/fixtures", base);
    char *cp[] = {"cp", "-R", argv[i + 1], fixtures, NULL};
    char *chm[] = {"chmod", "-R", "a+rX", fixtures, NULL};
    int failures = 0;
    if (suite_spawn_wait(cp) != 0 || suite_spawn_wait(chm) != 0) {
        fprintf(stderr, "workload suite: cannot copy %s to %s\n", argv[i + 1], fixtures);
        failures++;
    }
    char name[32] = "root", home[700];
    uid_t uid = 0;
    gid_t gid = 0;
    snprintf(caller_base, sizeof caller_base, "%s/%s", base, as_user ? "user" : "caller");
    snprintf(home, sizeof home, "%s/home", caller_base);
    bool ready = failures == 0;
    if (as_user) {
        snprintf(name, sizeof name, "sbxt-%d", (int)getpid());
        ready = ready && suite_user_add(name, caller_base, home, &uid, &gid) == 0;
    } else {
        ready = ready && mkdir(caller_base, 0755) == 0 && mkdir(home, 0755) == 0;
    }
    static char bin_sbx[700];
    char bin[400];
    snprintf(bin, sizeof bin, "%s/bin", base);
    if (ready && elevated) {
        ready = suite_elev_init(&elev, base, name) == 0 &&
                suite_copy_exec(sbx, bin, bin_sbx, sizeof bin_sbx) == 0;
        sbx = bin_sbx;
        ready = ready && suite_elev_setup(sbx, base, name) == 0;
    }
    failures += ready ? caller_pass(as_user ? name : NULL, uid, gid, home) : 1;
    /* whatever happened: root's cleanup, then nothing may be left */
    if (elevated)
        failures += suite_elev_cleanup(sbx, base, &elev);
    if (as_user && suite_user_del(name) < 0)
        failures++;
    suite_rmrf(base);
    return failures ? 1 : 0;
}
