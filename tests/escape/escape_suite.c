/* The escape suite: every attempt of sbx-probe, run without sbx (the
 * control, which must escape where the caller is allowed to) and inside
 * `sbx run` (which must block it), plus the positives a build needs.
 *
 * Usage: escape_suite SBX PROBE.  Run as root it goes through the suite
 * twice: as root, then as a throwaway user (sbxt-<pid>) it creates and
 * removes whatever happens.  Exits 77 (skip) where the kernel lacks
 * Landlock or user namespaces. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/escape/probe_attempts.h"
#include "tests/escape/suite_env.h"

struct case_state {
    struct suite_env *env;
    const struct probe_attempt *a;
};

static bool result_is(const struct run_out *r, const char *name, const char *verdict)
{
    char want[128];
    snprintf(want, sizeof want, "RESULT %s %s", name, verdict);
    return strstr(r->text, want) != NULL;
}

static bool legacy_tiocsti(void)
{
    FILE *f = fopen("/proc/sys/dev/tty/legacy_tiocsti", "r");
    int v = 1;
    if (f) {
        if (fscanf(f, "%d", &v) != 1)
            v = 1;
        fclose(f);
    }
    return v == 1;
}

/* Ping sockets are open to the groups of net.ipv4.ping_group_range only
 * (Debian: nobody), root included. */
static bool ping_allowed(void)
{
    FILE *f = fopen("/proc/sys/net/ipv4/ping_group_range", "r");
    unsigned long lo = 1, hi = 0;
    if (f) {
        if (fscanf(f, "%lu %lu", &lo, &hi) != 2)
            lo = 1, hi = 0;
        fclose(f);
    }
    return getgid() >= lo && getgid() <= hi;
}

static void run_attempt(struct suite_env *e, const struct probe_attempt *a, bool sandboxed,
                        struct run_out *r)
{
    char *direct[] = {(char *)e->probe, (char *)a->name, NULL};
    char *boxed[] = {(char *)e->sbx, "run", "--workspace", e->ws, "--net",
                     a->net_on ? "on" : "off", "--", (char *)e->probe, (char *)a->name, NULL};
    bool tty = strcmp(a->name, "tiocsti") == 0;
    assert_int_equal(suite_env_reset(e), 0);
    assert_int_equal(suite_run(e, e->ws, sandboxed ? boxed : direct, tty, r), 0);
}

static void test_attempt(void **state)
{
    struct case_state *cs = *state;
    struct suite_env *e = cs->env;
    const struct probe_attempt *a = cs->a;
    if (strcmp(a->name, "setuid-exec") == 0 && !e->suid[0]) {
        print_message("    skipped: only root can make the setuid-root binary\n");
        skip();
    }
    if (strcmp(a->name, "icmp-ping") == 0 && !ping_allowed()) {
        print_message("    skipped: net.ipv4.ping_group_range refuses ping sockets to "
                      "this caller even without sbx\n");
        skip();
    }

    struct run_out ctl, box;
    enum probe_control control = a->control;
    if (strcmp(a->name, "icmp-ping") == 0)
        control = CTRL_ALWAYS;
    if (strcmp(a->name, "tiocsti") == 0)
        control = legacy_tiocsti() ? CTRL_ALWAYS : CTRL_ROOT;
    bool must_escape = control == CTRL_ALWAYS || (control == CTRL_ROOT && e->root);
    if (control != CTRL_NONE) {
        run_attempt(e, a, false, &ctl);
        if (a->positive) {
            if (!result_is(&ctl, a->name, "ok"))
                fail_msg("%s without sbx did not work: %s", a->name, ctl.text);
        } else if (must_escape && !result_is(&ctl, a->name, "escaped")) {
            fail_msg("control: %s did not succeed without sbx, so the sandboxed run would "
                     "prove nothing: %s", a->name, ctl.text);
        }
    }
    run_attempt(e, a, true, &box);
    print_message("    %s", strstr(box.text, "RESULT") ? strstr(box.text, "RESULT") : box.text);
    if (a->positive) {
        if (box.status != 0 || !result_is(&box, a->name, "ok"))
            fail_msg("%s (%s) failed in the sandbox (status %d): %s", a->name, a->what,
                     box.status, box.text);
    } else {
        if (result_is(&box, a->name, "escaped"))
            fail_msg("ESCAPE: %s (%s): %s", a->name, a->what, box.text);
        if (box.status != 0 || !result_is(&box, a->name, "blocked"))
            fail_msg("%s: unexpected outcome in the sandbox (status %d): %s", a->name,
                     box.status, box.text);
    }
}

/* --- positives with real tools ----------------------------------------- */

static int sbx_in(struct suite_env *e, const char *cwd, const char *ws, bool net,
                  struct run_out *r, ...)
{
    char *argv[32] = {(char *)e->sbx, "run", "--workspace", (char *)ws, "--net",
                      net ? "on" : "off", "--"};
    int n = 7;
    va_list ap;
    va_start(ap, r);
    char *a;
    while (n < 31 && (a = va_arg(ap, char *)) != NULL)
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    if (suite_run(e, cwd, argv, false, r) < 0)
        return -1;
    return r->status;
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void test_cc_build(void **state)
{
    struct suite_env *e = ((struct case_state *)*state)->env;
    struct run_out r;
    write_file(e->ws, "hello.c",
               "#include <stdio.h>\nint main(void){puts(\"hello from the sandbox\");return 0;}\n");
    assert_int_equal(sbx_in(e, e->ws, e->ws, false, &r, "cc", "-O1", "-o", "hello", "hello.c",
                            NULL), 0);
    assert_int_equal(sbx_in(e, e->ws, e->ws, false, &r, "./hello", NULL), 0);
    assert_non_null(strstr(r.text, "hello from the sandbox"));
}

static void test_git_status(void **state)
{
    struct suite_env *e = ((struct case_state *)*state)->env;
    struct run_out r;
    write_file(e->repo, "tracked.txt", "x\n");
    int st = sbx_in(e, e->repo, e->repo, false, &r, "git", "status", "--porcelain", NULL);
    if (st != 0)
        fail_msg("git status in the sandbox: %d: %s", st, r.text);
    assert_non_null(strstr(r.text, "?? tracked.txt"));
    /* .git is read-only: committing must fail, and work with --allow-git */
    st = sbx_in(e, e->repo, e->repo, false, &r, "git", "-c", "user.email=t@e.invalid", "-c",
                "user.name=t", "commit", "-q", "--allow-empty", "-m", "boxed", NULL);
    if (st == 0)
        fail_msg("git commit wrote .git in the sandbox: %s", r.text);
    char *allow[] = {(char *)e->sbx, "run", "--workspace", e->repo, "--allow-git", "--",
                     "git", "-c", "user.email=t@e.invalid", "-c", "user.name=t", "commit",
                     "-q", "--allow-empty", "-m", "allowed", NULL};
    assert_int_equal(suite_run(e, e->repo, allow, false, &r), 0);
    if (r.status != 0)
        fail_msg("git commit with --allow-git: %d: %s", r.status, r.text);
}

static void test_make_j(void **state)
{
    struct suite_env *e = ((struct case_state *)*state)->env;
    struct run_out r;
    write_file(e->ws, "Makefile",
               "all: a b c d\n\tcat a b c d > all\n"
               "a b c d:\n\tsleep 0.2; echo $@ > $@.tmp && mv $@.tmp $@\n");
    int st = sbx_in(e, e->ws, e->ws, false, &r, "make", "-s", "-j4", NULL);
    if (st != 0)
        fail_msg("make -j4 in the sandbox: %d: %s", st, r.text);
    char p[PATH_MAX + 8];
    snprintf(p, sizeof p, "%s/all", e->ws);
    struct stat sb;
    assert_int_equal(stat(p, &sb), 0);
    assert_int_equal(sb.st_size, 8);
}

/* --- running the suite for one caller ------------------------------------ */

static int run_for_caller(const char *group, struct suite_env *e)
{
    /* A TMPDIR of the suite's own: the controls of the positives use it,
     * and sbx makes its per-run directories beneath it. */
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s/tmp", e->base);
    if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
        return 1;
    setenv("TMPDIR", tmp, 1);
    if (suite_env_setup(e) < 0) {
        fprintf(stderr, "escape suite: setting up %s failed: %s\n", e->base, strerror(errno));
        suite_env_teardown(e);
        return 1;
    }
    size_t n = probe_n_attempts + 3;
    struct CMUnitTest *tests = calloc(n, sizeof *tests);
    struct case_state *cs = calloc(n, sizeof *cs);
    if (!tests || !cs)
        return 1;
    for (size_t i = 0; i < probe_n_attempts; i++) {
        cs[i] = (struct case_state){e, &probe_attempts[i]};
        tests[i] = (struct CMUnitTest){probe_attempts[i].name, test_attempt, NULL, NULL, &cs[i]};
    }
    size_t k = probe_n_attempts;
    cs[k] = cs[k + 1] = cs[k + 2] = (struct case_state){e, NULL};
    tests[k] = (struct CMUnitTest){"pos-cc-build", test_cc_build, NULL, NULL, &cs[k]};
    tests[k + 1] = (struct CMUnitTest){"pos-git-status", test_git_status, NULL, NULL, &cs[k + 1]};
    tests[k + 2] = (struct CMUnitTest){"pos-make-j", test_make_j, NULL, NULL, &cs[k + 2]};
    int failures = _cmocka_run_group_tests(group, tests, n, NULL, NULL);
    suite_env_teardown(e);
    free(tests);
    free(cs);
    return failures;
}

/* --- the throwaway user -------------------------------------------------- */

static int spawn_wait(char *const argv[])
{
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open("/dev/null", O_RDWR);
        dup2(fd, 1);
        execvp(argv[0], argv);
        _exit(127);
    }
    int st;
    if (pid < 0 || waitpid(pid, &st, 0) < 0)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int as_user(const char *sbx, const char *probe, const char *root_base, const char *suid)
{
    char name[32], home[1024], base[512];
    snprintf(name, sizeof name, "sbxt-%d", (int)getpid());
    snprintf(base, sizeof base, "%s/user", root_base);
    snprintf(home, sizeof home, "%s/home", base);
    char *add[] = {"useradd", "--no-create-home", "--home-dir", home, "--shell",
                   "/usr/sbin/nologin", "--user-group", name, NULL};
    if (spawn_wait(add) != 0) {
        fprintf(stderr, "escape suite: useradd %s failed\n", name);
        return 1;
    }
    int failures = 1;
    struct passwd *pw = getpwnam(name);
    if (pw && mkdir(base, 0755) == 0 && chown(base, pw->pw_uid, pw->pw_gid) == 0 &&
        mkdir(home, 0755) == 0 && chown(home, pw->pw_uid, pw->pw_gid) == 0) {
        uid_t uid = pw->pw_uid;
        gid_t gid = pw->pw_gid;
        pid_t child = fork();
        if (child == 0) {
            /* its own process group, so everything it leaves can be
             * killed by group id */
            setpgid(0, 0);
            if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 ||
                setresuid(uid, uid, uid) < 0)
                _exit(1);
            /* changing uid made us non-dumpable: the caller's processes
             * would not be ptrace-able or have a readable /proc/<pid>
             * even without sbx, and the controls would prove nothing */
            prctl(PR_SET_DUMPABLE, 1);
            setenv("HOME", home, 1);
            setenv("USER", name, 1);
            setenv("LOGNAME", name, 1);
            struct suite_env e = {.sbx = sbx, .probe = probe};
            snprintf(e.base, sizeof e.base, "%s", base);
            snprintf(e.home, sizeof e.home, "%s", home);
            snprintf(e.tag, sizeof e.tag, "%s", name);
            snprintf(e.suid, sizeof e.suid, "%s", suid);
            char group[64];
            snprintf(group, sizeof group, "escape as %s (uid %u)", name, (unsigned)uid);
            _exit(run_for_caller(group, &e) ? 1 : 0);
        }
        int st;
        if (child > 0 && waitpid(child, &st, 0) == child)
            failures = WIFEXITED(st) ? WEXITSTATUS(st) : 1;
        if (child > 0)
            kill(-child, SIGKILL);
    } else {
        fprintf(stderr, "escape suite: preparing %s for %s failed\n", base, name);
    }
    char *del[] = {"userdel", name, NULL};
    if (spawn_wait(del) != 0) {
        fprintf(stderr, "escape suite: userdel %s failed\n", name);
        failures++;
    }
    return failures;
}

/* --- kernel features ------------------------------------------------------ */

static const char *missing_feature(void)
{
    if (syscall(444 /* landlock_create_ruleset */, NULL, 0, 1 /* VERSION */) < 1)
        return "Landlock is not available";
    pid_t pid = fork();
    if (pid == 0)
        _exit(unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID) == 0 ? 0 : 1);
    int st;
    if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return "unprivileged user namespaces are not available";
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: escape_suite SBX PROBE\n");
        return 2;
    }
    const char *why = missing_feature();
    if (why) {
        printf("SKIP: %s\n", why);
        return 77;
    }
    char base[256];
    snprintf(base, sizeof base, "/tmp/sbxt-%d", (int)getpid());
    if (mkdir(base, 0755) < 0) {
        perror(base);
        return 1;
    }
    int failures = 0;
    char suid[512] = "";
    if (geteuid() == 0) {
        /* a setuid-root copy of the probe for setuid-exec */
        snprintf(suid, sizeof suid, "%s/suid-probe", base);
        char *cp[] = {"cp", (char *)argv[2], suid, NULL};
        if (spawn_wait(cp) != 0 || chown(suid, 0, 0) < 0 || chmod(suid, 04755) < 0) {
            fprintf(stderr, "escape suite: cannot make %s\n", suid);
            failures++;
        }
    }
    char caller_base[300];
    snprintf(caller_base, sizeof caller_base, "%s/caller", base);
    if (mkdir(caller_base, 0700) == 0) {
        struct suite_env e = {.sbx = argv[1], .probe = argv[2]};
        snprintf(e.base, sizeof e.base, "%s", caller_base);
        snprintf(e.tag, sizeof e.tag, "sbxt-%d", (int)getpid());
        snprintf(e.suid, sizeof e.suid, "%s", suid);
        char group[64];
        snprintf(group, sizeof group, "escape as the caller (uid %u)", (unsigned)geteuid());
        failures += run_for_caller(group, &e);
    } else {
        failures++;
    }
    if (geteuid() == 0)
        failures += as_user(argv[1], argv[2], base, suid);
    else
        printf("NOTE: not root: the run as a throwaway user is left out\n");
    suite_rmrf(base);
    return failures ? 1 : 0;
}
