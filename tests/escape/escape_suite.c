/* SPDX-License-Identifier: MIT */
/* The escape suite: every attempt of sbx-probe, run without sbx (the
 * control, which must escape where the caller is allowed to) and inside
 * `sbx run` (which must block it), plus the positives a build needs.
 *
 * Usage: escape_suite SBX PROBE.  Run as root it goes through the suite
 * twice: as root, then as a throwaway user (sbxt-<pid>) it creates and
 * removes whatever happens.  Exits 77 (skip) where the kernel lacks
 * Landlock or user namespaces.
 *
 * escape_suite --elevated SBX PROBE (root only, else 77; needs
 * SBX_LAUNCHER_SOURCE): the same suite in the elevated mode.  Root sets the
 * elevated mode up with throwaway names (SBX_ELEVATED_PREFIX=sbxt<pid>-, a
 * machine ledger under the suite's directory) for a throwaway caller, who
 * then runs every attempt through plain `sbx run` -- which must pick the
 * elevated mode by itself (checked) -- so each command runs as the offline
 * (or, with --net on, the online) sandbox account.  `sbx cleanup` as root
 * at the end must leave no account, group or nft table of the prefix; what
 * it leaves is reported, then removed by force. */
#include <dirent.h>
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
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "modes/elevated/elevated.h"
#include "tests/escape/probe_attempts.h"
#include "tests/escape/suite_env.h"
#include "tests/escape/suite_machine.h"

struct case_state {
    struct suite_env *env;
    const struct probe_attempt *a;
};

/* The elevated run (--elevated): the throwaway names, set in the
 * environment of root's sbx commands and of the caller's alike. */
static bool elev_on;
static struct suite_elev elev;

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
static bool ping_allowed_for(gid_t gid)
{
    FILE *f = fopen("/proc/sys/net/ipv4/ping_group_range", "r");
    unsigned long lo = 1, hi = 0;
    if (f) {
        if (fscanf(f, "%lu %lu", &lo, &hi) != 2)
            lo = 1, hi = 0;
        fclose(f);
    }
    return gid >= lo && gid <= hi;
}

static bool ping_allowed(void)
{
    return ping_allowed_for(getgid());
}

/* Was the suite started by root?  (The throwaway user's pass runs in a
 * child that is no longer root: it still must not skip.) */
static bool suite_root;

/* Where ping sockets are refused to a caller (Debian's default range is
 * "1 0": to everyone), the control of icmp-ping cannot escape, and the
 * attempt would prove nothing.  Root then runs that one attempt, for that
 * caller, in a network namespace of its own whose ping_group_range allows
 * every group; the host's setting is not touched.  ping_netns_root: so
 * for root as the caller (the throwaway user's pass decides for its own
 * group). */
static bool ping_netns_root;

/* In a child: a network namespace of its own, ping sockets allowed to
 * every group, loopback up (the suite's listeners bind to it). */
static int enter_ping_netns(void)
{
    if (unshare(CLONE_NEWNET) < 0) {
        perror("escape suite: unshare(CLONE_NEWNET)");
        return -1;
    }
    /* /proc/sys/net is the namespace of whoever opens it */
    FILE *f = fopen("/proc/sys/net/ipv4/ping_group_range", "w");
    if (!f || fprintf(f, "0 2147483647\n") < 0 || fclose(f) != 0) {
        perror("escape suite: ping_group_range in the new network namespace");
        return -1;
    }
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
    if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0 ||
        (ifr.ifr_flags |= IFF_UP, ioctl(s, SIOCSIFFLAGS, &ifr) < 0)) {
        perror("escape suite: loopback up in the new network namespace");
        return -1;
    }
    close(s);
    return 0;
}

static void run_attempt(struct suite_env *e, const struct probe_attempt *a, bool sandboxed,
                        struct run_out *r)
{
    char *direct[] = {(char *)e->probe, (char *)a->name, NULL};
    char *boxed[] = {(char *)e->sbx, "run", "--workspace", e->ws, "--net",
                     a->net_on ? "on" : PROBE_NET_ALLOW(a->name) ? PROBE_NET_ALLOW_VALUE : "off",
                     "--", (char *)e->probe, (char *)a->name, NULL, NULL, NULL};
    if (PROBE_ALLOW_UNIX(a->name)) {
        /* ... --net X --allow-unix SOCKET -- PROBE NAME */
        memmove(&boxed[8], &boxed[6], 3 * sizeof boxed[0]);
        boxed[6] = "--allow-unix";
        boxed[7] = e->unix_allowed;
    }
    char state[PATH_MAX + 128];
    if (PROBE_STATE_IN_WS(a->name)) {
        /* ... --net X --state WS/TAG-state/sbx -- PROBE NAME */
        snprintf(state, sizeof state, "%s/%s-state/sbx", e->ws, e->tag);
        memmove(&boxed[8], &boxed[6], 3 * sizeof boxed[0]);
        boxed[6] = "--state";
        boxed[7] = state;
    }
    bool tty = strcmp(a->name, "tiocsti") == 0;
    e->stdio_files = PROBE_STDIO_FILES(a->name);
    assert_int_equal(suite_env_reset(e), 0);
    int rc = suite_run(e, e->ws, sandboxed ? boxed : direct, tty, r);
    e->stdio_files = false; /* the other runs keep the suite's stdio */
    assert_int_equal(rc, 0);
}

static int sbx_cmd(struct suite_env *e, const char *cwd, struct run_out *r, ...);

/* sbx itself refused to start a run, for the reason the attempt provokes
 * (a planted or swapped workspace path, a state directory inside the
 * workspace): that blocks the attempt as well as a refusal inside does. */
static bool sbx_refused(const struct run_out *r, const char *name)
{
    if (r->status != 125 || strstr(r->text, "RESULT"))
        return false;
    if (PROBE_STATE_IN_WS(name))
        return strstr(r->text, "state directory") != NULL;
    return strstr(r->text, "symlink") || strstr(r->text, "changed while") ||
           strstr(r->text, "renamed while") || strstr(r->text, "not inside the workspaces");
}

/* The "use" run of a wsarg-* or race-* attempt: its workspace and working
 * directory are the target path (probe.h). */
static void run_use(struct suite_env *e, const struct probe_attempt *a, bool sandboxed,
                    struct run_out *r)
{
    char target[PATH_MAX + 128];
    snprintf(target, sizeof target, "%s/%s-%s", e->ws, e->tag, a->name);
    char *direct[] = {(char *)e->probe, (char *)a->name, NULL};
    char *boxed[] = {(char *)e->sbx, "run", "--workspace", target, "--net", "off", "--",
                     (char *)e->probe, (char *)a->name, NULL};
    e->stage = "use";
    int rc = suite_run(e, target, sandboxed ? boxed : direct, false, r);
    e->stage = NULL;
    assert_int_equal(rc, 0);
}

/* The verdict on the "use" run of a two-run attempt (wsarg-*, twice-*):
 * without sbx it must escape; with it be blocked inside, or refused by sbx
 * for the reason the attempt provokes. */
static void judge_use(const struct probe_attempt *a, bool boxed, const struct run_out *use)
{
    if (!boxed) {
        if (!result_is(use, a->name, "escaped"))
            fail_msg("control: %s did not succeed without sbx, so the sandboxed run would "
                     "prove nothing: %s", a->name, use->text);
        return;
    }
    print_message("    %s", strstr(use->text, "RESULT") ? strstr(use->text, "RESULT")
                                                         : use->text);
    if (result_is(use, a->name, "escaped"))
        fail_msg("ESCAPE: %s (%s): %s", a->name, a->what, use->text);
    if (!(use->status == 0 && result_is(use, a->name, "blocked")) &&
        !sbx_refused(use, a->name))
        fail_msg("%s: unexpected outcome in the sandbox (status %d): %s", a->name,
                 use->status, use->text);
}

/* wsarg-*: plant in an ordinary run, use in a run on the target path;
 * left-*: plant, then use in another ordinary run;
 * without sbx first (must escape), then with it. */
static void test_wsarg(struct suite_env *e, const struct probe_attempt *a)
{
    for (int boxed = 0; boxed < 2; boxed++) {
        struct run_out plant, use;
        e->stage = "plant";
        run_attempt(e, a, boxed, &plant);
        e->stage = NULL;
        if (!result_is(&plant, a->name, "planted"))
            fail_msg("%s: planting %s sbx failed (status %d): %s", a->name,
                     boxed ? "in" : "without", plant.status, plant.text);
        if (PROBE_LEFT(a->name)) {
            /* as run_attempt, without the reset: it would remove the note
             * the plant left in the workspace */
            char *direct[] = {(char *)e->probe, (char *)a->name, NULL};
            char *inbox[] = {(char *)e->sbx, "run", "--workspace", e->ws, "--net", "off",
                             "--", (char *)e->probe, (char *)a->name, NULL};
            e->stage = "use";
            int rc = suite_run(e, e->ws, boxed ? inbox : direct, false, &use);
            e->stage = NULL;
            assert_int_equal(rc, 0);
        } else {
            run_use(e, a, boxed, &use);
        }
        judge_use(a, boxed, &use);
    }
}

/* The elevated mode: the launcher keeps the caller's record of its search
 * in the caller's state directory (plants_cache.h), and a run on an
 * unchanged workspace replays it, leaving the file as it was (a full
 * search writes it anew: another inode). */
static void launcher_record_kept(struct suite_env *e, const struct probe_attempt *a,
                                 char **argv)
{
    struct passwd *pw = getpwuid(geteuid());
    struct stat ws, r[2];
    assert_non_null(pw);
    assert_int_equal(stat(e->ws, &ws), 0);
    char rec[PATH_MAX + 128];
    snprintf(rec, sizeof rec, "%s/.local/state/sbx/plants/%llx-%llx", pw->pw_dir,
             (unsigned long long)ws.st_dev, (unsigned long long)ws.st_ino);
    for (int k = 0; k < 2; k++) {
        struct run_out again;
        e->stage = "use";
        assert_int_equal(suite_run(e, e->ws, argv, false, &again), 0);
        e->stage = NULL;
        if (stat(rec, &r[k]) != 0)
            fail_msg("%s: the launcher kept no record of its search at %s: %s", a->name, rec,
                     again.text);
    }
    if (r[0].st_ino != r[1].st_ino)
        fail_msg("%s: a run on an unchanged workspace searched it in full again (the "
                 "launcher's record %s was written anew)", a->name, rec);
}

/* twice-*: "plant" then "use", two runs on the same workspace, started a
 * while after the suite made its files; without sbx first. */
static void test_twice(struct suite_env *e, const struct probe_attempt *a)
{
    /* Unelevated: a state directory of the runs' own, so that sbx keeps
     * its record there (it makes none); the elevated mode searches in
     * full, and its ledgers stay where they are. */
    char state[PATH_MAX + 32];
    snprintf(state, sizeof state, "%s/twice-state", e->base);
    assert_true(mkdir(state, 0700) == 0 || errno == EEXIST);
    char *sb[] = {(char *)e->sbx, "run", "--workspace", e->ws, "--state", state, "--",
                  (char *)e->probe, (char *)a->name, NULL};
    if (elev_on)
        memmove(&sb[4], &sb[6], 4 * sizeof sb[0]);
    for (int boxed = 0; boxed < 2; boxed++) {
        struct run_out plant, use;
        assert_int_equal(suite_env_reset(e), 0);
        /* older than the first run's search by more than the clock's tick,
         * so that sbx keeps its record of it */
        usleep(200 * 1000);
        e->stage = "plant";
        char *direct[] = {(char *)e->probe, (char *)a->name, NULL};
        int rc = suite_run(e, e->ws, boxed ? sb : direct, false, &plant);
        assert_int_equal(rc, 0);
        if (!result_is(&plant, a->name, "planted"))
            fail_msg("%s: planting %s sbx failed (status %d): %s", a->name,
                     boxed ? "in" : "without", plant.status, plant.text);
        e->stage = "use";
        rc = suite_run(e, e->ws, boxed ? sb : direct, false, &use);
        e->stage = NULL;
        assert_int_equal(rc, 0);
        judge_use(a, boxed, &use);
        if (boxed && elev_on)
            launcher_record_kept(e, a, sb);
    }
}

/* The sandbox accounts' grant for a directory the suite made in the
 * workspace (elevated mode), for runs whose workspace it is: given before,
 * and taken back after, with what the runs left in it (only root could
 * take the grant off those). */
static void grant_dir(struct suite_env *e, const struct probe_attempt *a, const char *dir,
                      bool grant)
{
    struct run_out g;
    if (!grant) {
        DIR *d = opendir(dir);
        for (struct dirent *de; d && (de = readdir(d));) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            char p[PATH_MAX + 400];
            snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
            suite_rmrf(p);
        }
        if (d)
            closedir(d);
    }
    if (sbx_cmd(e, e->base, &g, "workspace", grant ? "add" : "remove", dir, NULL) != 0)
        fail_msg("%s: sbx workspace %s %s: %s", a->name, grant ? "add" : "remove", dir, g.text);
}

/* race-*: the swapper in the background, "use" runs one after the other
 * in the foreground (at most 40, at most 20 s), without sbx first. */
static void test_race(struct suite_env *e, const struct probe_attempt *a)
{
    for (int boxed = 0; boxed < 2; boxed++) {
        char target[PATH_MAX + 128], alt[PATH_MAX + 160], stop[PATH_MAX + 160],
            logf[PATH_MAX + 160];
        snprintf(target, sizeof target, "%s/%s-%s", e->ws, e->tag, a->name);
        snprintf(alt, sizeof alt, "%s-alt", target);
        snprintf(stop, sizeof stop, "%s/%s-%s-stop", e->out, e->tag, a->name);
        snprintf(logf, sizeof logf, "%s/%s-swapper.log", e->base, a->name);
        assert_int_equal(suite_env_reset(e), 0);
        unlink(stop);
        /* the caller's own directory (in the elevated mode it inherits the
         * workspace's grant, so sbx accepts it as a workspace) */
        assert_int_equal(mkdir(target, 0755), 0);
        if (elev_on && boxed) /* before the race: the runs must get as far as the launcher */
            grant_dir(e, a, target, true);
        pid_t swapper = fork();
        assert_true(swapper >= 0);
        if (swapper == 0) {
            char *direct[] = {(char *)e->probe, (char *)a->name, NULL};
            char *sandboxed[] = {(char *)e->sbx, "run", "--workspace", e->ws, "--net", "off",
                                 "--", (char *)e->probe, (char *)a->name, NULL};
            struct run_out r;
            e->stage = "swap";
            int rc = suite_run(e, e->ws, boxed ? sandboxed : direct, false, &r);
            FILE *f = fopen(logf, "w");
            if (f) {
                fprintf(f, "status %d\n%s", r.status, r.text);
                fclose(f);
            }
            _exit(rc == 0 && r.status == 0 ? 0 : 1);
        }
        struct stat st;
        for (int i = 0; i < 400 && lstat(alt, &st) != 0; i++)
            usleep(50000);
        int runs = 0, n_escaped = 0, n_blocked = 0, n_refused = 0, n_bad = 0;
        struct run_out use = {0}, bad = {0};
        char first_refusal[300] = "";
        time_t start = time(NULL);
        while (runs < (boxed ? 40 : 3) && time(NULL) - start < 20 && !n_escaped) {
            run_use(e, a, boxed, &use);
            runs++;
            if (result_is(&use, a->name, "escaped"))
                n_escaped++;
            else if (use.status == 0 && result_is(&use, a->name, "blocked"))
                n_blocked++;
            else if (sbx_refused(&use, a->name)) {
                if (n_refused++ == 0)
                    snprintf(first_refusal, sizeof first_refusal, "%.299s", use.text);
            } else if (n_bad++ == 0) {
                bad = use;
            }
        }
        FILE *f = fopen(stop, "w");
        if (f)
            fclose(f);
        int ws_status = -1;
        if (waitpid(swapper, &ws_status, 0) != swapper)
            ws_status = -1;
        /* the grant goes with the directory (the next reset removes it,
         * and a ledger naming a missing workspace stops every later grant) */
        if (elev_on && boxed)
            grant_dir(e, a, target, false);
        unsigned long swaps = 0;
        char log[8300] = "";
        f = fopen(logf, "r");
        if (f) {
            size_t n = fread(log, 1, sizeof log - 1, f);
            log[n] = '\0';
            fclose(f);
        }
        char want[128];
        snprintf(want, sizeof want, "RESULT %s swapped ", a->name);
        const char *sw = strstr(log, want);
        if (sw)
            swaps = strtoul(sw + strlen(want), NULL, 10);
        /* The sandboxed runs must have faced many swaps to prove anything;
         * the control only has to escape, which may take a few. */
        if (!sw || swaps < (boxed ? 100ul : 1ul))
            fail_msg("%s: the swapper %s sbx did %lu swaps (status %d): %s", a->name,
                     boxed ? "in" : "without", swaps, ws_status, log);
        if (!boxed) {
            if (!n_escaped)
                fail_msg("control: %s did not succeed without sbx in %d runs during %lu swaps, "
                         "so the sandboxed run would prove nothing: %s", a->name, runs, swaps,
                         use.text);
            continue;
        }
        print_message("    RESULT %s: %d runs of sbx during %lu swaps: %d blocked inside, %d "
                      "refused by sbx, %d escaped%s%s\n", a->name, runs, swaps, n_blocked,
                      n_refused, n_escaped, first_refusal[0] ? "; the first refusal: " : "",
                      first_refusal);
        if (n_escaped)
            fail_msg("ESCAPE: %s (%s): %s", a->name, a->what, use.text);
        if (n_bad)
            fail_msg("%s: unexpected outcome in %d of %d runs, e.g. (status %d): %s", a->name,
                     n_bad, runs, bad.status, bad.text);
    }
}

/* sub-*: the workspace is a folder of the suite's repository, without a
 * .git of its own; without sbx first.  Its placeholders must be gone after
 * the run (nothing of sbx's left in the user's folder). */
static void test_sub(struct suite_env *e, const struct probe_attempt *a)
{
    char sub[PATH_MAX + 80];
    snprintf(sub, sizeof sub, "%s/%s-sub", e->ws, e->tag);
    for (int boxed = 0; boxed < 2; boxed++) {
        assert_int_equal(suite_env_reset(e), 0);
        suite_rmrf(sub);
        assert_int_equal(mkdir(sub, 0775), 0);
        assert_int_equal(chmod(sub, 0775), 0);
        if (elev_on && boxed)
            grant_dir(e, a, sub, true);
        char *direct[] = {(char *)e->probe, (char *)a->name, NULL};
        char *sb[] = {(char *)e->sbx, "run", "--workspace", sub, "--net", "off", "--",
                      (char *)e->probe, (char *)a->name, NULL};
        struct run_out r;
        int rc = suite_run(e, sub, boxed ? sb : direct, false, &r);
        assert_int_equal(rc, 0);
        struct stat st;
        char git[PATH_MAX + 96];
        snprintf(git, sizeof git, "%s/.git", sub);
        bool left = boxed && lstat(git, &st) == 0;
        if (elev_on && boxed)
            grant_dir(e, a, sub, false);
        suite_rmrf(sub);
        judge_use(a, boxed, &r);
        if (left)
            fail_msg("%s: %s is still there after the run (sbx's placeholder, or the "
                     "command's)", a->name, git);
    }
}

/* twin-*: two runs at once on the workspace (probe.h), the second trying
 * its attempt all through the end of the first and a second past it;
 * without sbx first. */
static void test_twin(struct suite_env *e, const struct probe_attempt *a)
{
    char mark[4][PATH_MAX + 96], logf[PATH_MAX + 96];
    static const char *const marks[] = {"ready", "stop", "using", "done"};
    snprintf(logf, sizeof logf, "%s/%s-twin.log", e->base, a->name);
    for (int boxed = 0; boxed < 2; boxed++) {
        assert_int_equal(suite_env_reset(e), 0);
        for (int i = 0; i < 4; i++) {
            snprintf(mark[i], sizeof mark[i], "%s/%s-twin-%s", e->ws, e->tag, marks[i]);
            unlink(mark[i]);
        }
        unlink(logf);
        char *direct[] = {(char *)e->probe, (char *)a->name, NULL};
        char *sb[] = {(char *)e->sbx, "run", "--workspace", e->ws, "--net", "off", "--",
                      (char *)e->probe, (char *)a->name, NULL};
        pid_t run[2];
        for (int k = 0; k < 2; k++) {
            run[k] = fork();
            assert_true(run[k] >= 0);
            if (run[k] == 0) {
                struct run_out r;
                e->stage = k == 0 ? "hold" : "use";
                int rc = suite_run(e, e->ws, boxed ? sb : direct, false, &r);
                if (k == 1) {
                    FILE *f = fopen(logf, "w");
                    if (f) {
                        fprintf(f, "%d\n%s", r.status, r.text);
                        fclose(f);
                    }
                }
                _exit(rc == 0 ? 0 : 1);
            }
            /* the first run in (its placeholders made), then the second
             * trying, each within 20 s */
            struct stat st;
            for (int i = 0; i < 2000 && stat(mark[k == 0 ? 0 : 2], &st) != 0; i++)
                usleep(10 * 1000);
        }
        FILE *f = fopen(mark[1], "w"); /* stop */
        if (f)
            fclose(f);
        int st0 = -1, st1 = -1;
        waitpid(run[0], &st0, 0);
        f = fopen(mark[3], "w"); /* done: the first run is over */
        if (f)
            fclose(f);
        waitpid(run[1], &st1, 0);
        for (int i = 0; i < 4; i++)
            unlink(mark[i]);
        struct run_out use = {0};
        f = fopen(logf, "r");
        if (!f)
            fail_msg("%s: the second run left no output (status %d)", a->name, st1);
        if (fscanf(f, "%d\n", &use.status) != 1)
            use.status = -1;
        size_t n = fread(use.text, 1, sizeof use.text - 1, f);
        use.text[n] = '\0';
        fclose(f);
        if (!WIFEXITED(st0) || WEXITSTATUS(st0) != 0)
            fail_msg("%s: the first run %s sbx failed (status %d)", a->name,
                     boxed ? "in" : "without", st0);
        judge_use(a, boxed, &use);
    }
}

static void test_attempt(void **state)
{
    struct case_state *cs = *state;
    struct suite_env *e = cs->env;
    const struct probe_attempt *a = cs->a;
    if (PROBE_WSARG(a->name) || PROBE_LEFT(a->name)) {
        test_wsarg(e, a);
        return;
    }
    if (PROBE_RACE(a->name)) {
        test_race(e, a);
        return;
    }
    if (PROBE_TWICE(a->name)) {
        test_twice(e, a);
        return;
    }
    if (PROBE_SUB(a->name)) {
        test_sub(e, a);
        return;
    }
    if (PROBE_TWIN(a->name)) {
        test_twin(e, a);
        return;
    }
    /* What only root can provide is skipped for a developer running the
     * suite unprivileged, and fails as root (the test command's case). */
    if (strcmp(a->name, "setuid-exec") == 0 && !e->suid[0]) {
        if (suite_root)
            fail_msg("the setuid-root copy of the probe could not be made");
        print_message("    skipped: only root can make the setuid-root binary\n");
        skip();
    }
    if (strcmp(a->name, "icmp-ping") == 0 && !ping_allowed()) {
        if (suite_root)
            fail_msg("net.ipv4.ping_group_range refuses ping sockets to this caller even "
                     "without sbx (root runs this attempt in a network namespace that allows "
                     "them)");
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
    } else if (PROBE_MOVED(a->name)) {
        /* a known limit: sbx must say so after the run */
        if (!strstr(box.text, PROBE_MOVED_WARNING))
            fail_msg("%s (%s): sbx did not warn about it (status %d): %s", a->name, a->what,
                     box.status, box.text);
    } else {
        if (result_is(&box, a->name, "escaped"))
            fail_msg("ESCAPE: %s (%s): %s", a->name, a->what, box.text);
        /* state-*: sbx refusing the state directory is the fix */
        if ((box.status != 0 || !result_is(&box, a->name, "blocked")) &&
            !(PROBE_STATE_IN_WS(a->name) && sbx_refused(&box, a->name)))
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
    /* a subfolder of the repository as the working directory, then as the
     * workspace itself, and a repository nested inside the workspace: git
     * works in each (in the elevated mode the account owns none of them) */
    char sub[PATH_MAX + 16], nested[PATH_MAX + 16];
    snprintf(sub, sizeof sub, "%s/sub", e->repo);
    snprintf(nested, sizeof nested, "%s/nested", e->repo);
    char *mk[] = {"sh", "-c", "mkdir -p sub nested && echo y > sub/in-sub.txt && "
                              "git init -q nested && echo z > nested/in-nested.txt", NULL};
    assert_int_equal(suite_run(e, e->repo, mk, false, &r), 0);
    assert_int_equal(r.status, 0);
    static const struct {
        int cwd_sub; /* 0: sub, 1: nested */
        int ws_is_cwd;
        const char *want;
    } cases[] = {{0, 0, "in-sub.txt"}, {0, 1, "in-sub.txt"}, {1, 0, "?? in-nested.txt"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *cwd = cases[i].cwd_sub ? nested : sub;
        st = sbx_in(e, cwd, cases[i].ws_is_cwd ? cwd : e->repo, false, &r, "git", "status",
                    "--porcelain", "--untracked-files=all", ".", NULL);
        if (st != 0 || !strstr(r.text, cases[i].want))
            fail_msg("git status in %s (workspace %s): %d: %s", cwd,
                     cases[i].ws_is_cwd ? cwd : e->repo, st, r.text);
    }
    char *rm[] = {"rm", "-rf", sub, nested, NULL};
    assert_int_equal(suite_run(e, e->repo, rm, false, &r), 0);
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

/* <sbx> ARGS... (NULL-terminated) in cwd; its output into r. */
static int sbx_cmd(struct suite_env *e, const char *cwd, struct run_out *r, ...)
{
    char *argv[16] = {(char *)e->sbx};
    int n = 1;
    va_list ap;
    va_start(ap, r);
    char *a;
    while (n < 15 && (a = va_arg(ap, char *)) != NULL)
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    if (suite_run(e, cwd, argv, false, r) < 0)
        return -1;
    return r->status;
}

/* Elevated: the commands really run as the sandbox accounts (a silent
 * fall-back to the unelevated mode would test the wrong thing). */
static void check_runs_as(struct suite_env *e, bool net, const char *account)
{
    struct run_out r, status;
    int st = sbx_in(e, e->ws, e->ws, net, &r, "id", "-un", NULL);
    size_t len = strlen(account);
    if (st == 0 && strncmp(r.text, account, len) == 0 && r.text[len] == '\n')
        return;
    sbx_cmd(e, e->ws, &status, "status", "--json", NULL);
    /* what the automatic choice looks at, as the caller sees it */
    char cmd[1200], seen[4096] = "";
    snprintf(cmd, sizeof cmd, "(id; ls -ln %s %s/elevated; getent group %s) 2>&1", elev.machine,
             elev.machine, elev.group);
    FILE *p = popen(cmd, "r");
    if (p) {
        size_t n = fread(seen, 1, sizeof seen - 1, p);
        seen[n] = '\0';
        pclose(p);
    }
    fail_msg("sbx run --net %s should run as %s: status %d, id -un said: %s\n"
             "sbx status --json: %s\n%s", net ? "on" : "off", account, st, r.text, status.text,
             seen);
}

static void test_runs_as_account(void **state)
{
    struct suite_env *e = ((struct case_state *)*state)->env;
    check_runs_as(e, false, elev.offline);
    check_runs_as(e, true, elev.online);
}

/* --- the elevated mode: set up, used, cleaned up ------------------------- */

/* As the caller, once the env is built: grant both workspaces and check
 * that `sbx run` will pick the elevated mode. */
static int elevated_prepare(struct suite_env *e)
{
    struct run_out r;
    const char *dirs[] = {e->ws, e->repo};
    for (size_t i = 0; i < 2; i++) {
        int st = sbx_cmd(e, e->base, &r, "workspace", "add", dirs[i], NULL);
        if (st != 0) {
            fprintf(stderr, "escape suite: sbx workspace add %s as the caller: status %d: %s\n",
                    dirs[i], st, r.text);
            return -1;
        }
    }
    int st = sbx_cmd(e, e->ws, &r, "status", "--json", NULL);
    if (st != 0 || !strstr(r.text, "\"mode\":\"elevated\"")) {
        fprintf(stderr, "escape suite: sbx status --json as the caller does not say mode "
                        "elevated (status %d): %s\n", st, r.text);
        return -1;
    }
    return 0;
}

/* --- running the suite for one caller ------------------------------------ */

/* SBX_ESCAPE_ONLY=NAME[,NAME]...: run those attempts (or positives, such
 * as pos-git-status) alone, for a developer working on them; unset: all
 * of them. */
static bool picked(const char *name)
{
    const char *list = getenv("SBX_ESCAPE_ONLY");
    if (!list || !*list)
        return true;
    size_t n = strlen(name);
    for (const char *p = list; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
        if (strncmp(p, name, n) == 0 && (p[n] == ',' || p[n] == '\0'))
            return true;
    return false;
}

/* Run the suite for one caller: every attempt, or only the attempt named
 * `only` (and none of the positives), or all but the one named `except`. */
static int run_for_caller(const char *group, struct suite_env *e, const char *only,
                          const char *except)
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
    if (elev_on && elevated_prepare(e) < 0) {
        suite_env_teardown(e);
        return 1;
    }
    size_t max = probe_n_attempts + 4;
    struct CMUnitTest *tests = calloc(max, sizeof *tests);
    struct case_state *cs = calloc(max, sizeof *cs);
    if (!tests || !cs)
        return 1;
    size_t n = 0;
    for (size_t i = 0; i < probe_n_attempts; i++) {
        const char *name = probe_attempts[i].name;
        if ((only && strcmp(name, only) != 0) || (except && strcmp(name, except) == 0))
            continue;
        if (!picked(name))
            continue;
        cs[n] = (struct case_state){e, &probe_attempts[i]};
        tests[n] = (struct CMUnitTest){name, test_attempt, NULL, NULL, &cs[n]};
        n++;
    }
    if (!only) {
        static const struct {
            const char *name;
            void (*fn)(void **);
        } more[] = {{"pos-cc-build", test_cc_build},
                    {"pos-git-status", test_git_status},
                    {"pos-make-j", test_make_j},
                    {"elevated-runs-as-account", test_runs_as_account}};
        for (size_t i = 0; i < 4; i++) {
            if (i == 3 && !elev_on)
                break;
            if (!picked(more[i].name))
                continue;
            cs[n] = (struct case_state){e, NULL};
            tests[n] = (struct CMUnitTest){more[i].name, more[i].fn, NULL, NULL, &cs[n]};
            n++;
        }
    }
    int failures = _cmocka_run_group_tests(group, tests, n, NULL, NULL);
    suite_env_teardown(e);
    free(tests);
    free(cs);
    return failures;
}

/* --- the throwaway user -------------------------------------------------- */

/* One pass of the throwaway user, in a child that becomes the user
 * (after entering a network namespace that allows ping sockets, when
 * netns): the suite under base, filtered by only / except. */
static int user_pass(const char *sbx, const char *probe, const char *name, uid_t uid, gid_t gid,
                     const char *home, const char *base, const char *suid, bool netns,
                     const char *only, const char *except)
{
    pid_t child = fork();
    if (child == 0) {
        /* its own process group, so everything it leaves can be killed by
         * group id */
        setpgid(0, 0);
        if (netns && enter_ping_netns() < 0)
            _exit(1);
        /* elevated: with the groups of the group database, the sandbox
         * users' group among them (the launcher is executable by that
         * group only) */
        if (suite_become(name, uid, gid, home, elev_on) < 0)
            _exit(1);
        struct suite_env e = {.sbx = sbx, .probe = probe};
        snprintf(e.base, sizeof e.base, "%s", base);
        snprintf(e.home, sizeof e.home, "%s", home);
        snprintf(e.tag, sizeof e.tag, "%s", name);
        snprintf(e.suid, sizeof e.suid, "%s", suid);
        char group[160];
        snprintf(group, sizeof group, "escape%s as %s (uid %u)%s",
                 elev_on ? " (elevated mode)" : "", name, (unsigned)uid,
                 netns ? " in a network namespace that allows ping sockets" : "");
        _exit(run_for_caller(group, &e, only, except) ? 1 : 0);
    }
    int failures = 1, st;
    if (child > 0 && waitpid(child, &st, 0) == child)
        failures = WIFEXITED(st) ? WEXITSTATUS(st) : 1;
    if (child > 0)
        kill(-child, SIGKILL);
    return failures;
}

static int as_user(const char *sbx, const char *probe, const char *root_base, const char *suid)
{
    char name[32], home[1024], base[512];
    snprintf(name, sizeof name, "sbxt-%d", (int)getpid());
    snprintf(base, sizeof base, "%s/user", root_base);
    snprintf(home, sizeof home, "%s/home", base);
    uid_t uid = 0;
    gid_t gid = 0;
    int failures = 1;
    bool ready = suite_user_add(name, base, home, &uid, &gid) == 0;
    /* ws-device-node's device in the user's workspace-to-be: only root
     * can make one; the user's own (the elevated mode's grant sets ACL
     * entries on everything in the workspace, which only the owner can) */
    char ws[600], node[640];
    snprintf(ws, sizeof ws, "%s/ws", base);
    snprintf(node, sizeof node, "%s/devnode", ws);
    if (ready && (mkdir(ws, 0755) != 0 || chown(ws, uid, gid) != 0 ||
                  mknod(node, S_IFCHR | 0666, makedev(1, 3)) != 0 || chmod(node, 0666) != 0 ||
                  chown(node, uid, gid) != 0)) {
        fprintf(stderr, "escape suite: the device node %s for %s: %s\n", node, name,
                strerror(errno));
        ready = false;
    }
    if (!ready)
        fprintf(stderr, "escape suite: preparing %s for %s failed\n", base, name);
    /* root: the elevated mode, with the throwaway caller as its user */
    if (ready && elev_on && suite_elev_setup(sbx, root_base, name) < 0)
        ready = false;
    if (ready) {
        /* ping sockets refused to the user: icmp-ping in a pass of its own */
        bool netns = !ping_allowed_for(gid);
        failures = user_pass(sbx, probe, name, uid, gid, home, base, suid, false, NULL,
                             netns ? "icmp-ping" : NULL);
        if (netns) {
            char pbase[400];
            snprintf(pbase, sizeof pbase, "%s/user-ping", root_base);
            if (mkdir(pbase, 0755) < 0 || chown(pbase, uid, gid) < 0) {
                fprintf(stderr, "escape suite: preparing %s for %s failed\n", pbase, name);
                failures++;
            } else {
                failures += user_pass(sbx, probe, name, uid, gid, home, pbase, suid, true,
                                      "icmp-ping", NULL);
            }
        }
    }
    /* whatever happened: root's cleanup, then nothing may be left */
    if (elev_on)
        failures += suite_elev_cleanup(sbx, root_base, &elev);
    if (suite_user_del(name) < 0)
        failures++;
    return failures;
}

/* Root's icmp-ping, in a child with a network namespace that allows ping
 * sockets (see ping_netns_root). */
static int root_ping_pass(const char *sbx, const char *probe, const char *root_base,
                          const char *suid)
{
    char pbase[400];
    snprintf(pbase, sizeof pbase, "%s/caller-ping", root_base);
    if (mkdir(pbase, 0700) < 0)
        return 1;
    pid_t child = fork();
    if (child == 0) {
        setpgid(0, 0);
        if (enter_ping_netns() < 0)
            _exit(1);
        struct suite_env e = {.sbx = sbx, .probe = probe};
        snprintf(e.base, sizeof e.base, "%s", pbase);
        snprintf(e.tag, sizeof e.tag, "sbxt-%d", (int)getppid());
        snprintf(e.suid, sizeof e.suid, "%s", suid);
        char group[128];
        snprintf(group, sizeof group,
                 "escape as the caller (uid %u) in a network namespace that allows ping sockets",
                 (unsigned)geteuid());
        _exit(run_for_caller(group, &e, "icmp-ping", NULL) ? 1 : 0);
    }
    int failures = 1, st;
    if (child > 0 && waitpid(child, &st, 0) == child)
        failures = WIFEXITED(st) ? WEXITSTATUS(st) : 1;
    if (child > 0)
        kill(-child, SIGKILL);
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

/* --elevated: the throwaway names and directories, in the environment of
 * every sbx this process starts (root's and the caller's); copies of sbx
 * and the probe the caller and the sandbox accounts can execute. */
static int elevated_init(const char *base, const char **sbx, const char **probe)
{
    elev_on = true;
    /* The throwaway caller's own pair (as_user names it sbxt-PID). */
    char caller[32];
    snprintf(caller, sizeof caller, "sbxt-%d", (int)getpid());
    if (suite_elev_init(&elev, base, caller) < 0)
        return -1;
    static char bin_sbx[600], bin_probe[600];
    char bin[400], proxy[PATH_MAX], bin_proxy[600];
    snprintf(bin, sizeof bin, "%s/bin", base);
    /* sbx-netproxy (--net allow=, netallow-*) beside the copy of sbx, where
     * sbx looks for it. */
    const char *slash = strrchr(*sbx, '/');
    if (!slash)
        return -1;
    snprintf(proxy, sizeof proxy, "%.*s/sbx-netproxy", (int)(slash - *sbx), *sbx);
    if (suite_copy_exec(*sbx, bin, bin_sbx, sizeof bin_sbx) < 0 ||
        suite_copy_exec(*probe, bin, bin_probe, sizeof bin_probe) < 0 ||
        suite_copy_exec(proxy, bin, bin_proxy, sizeof bin_proxy) < 0)
        return -1;
    *sbx = bin_sbx;
    *probe = bin_probe;
    return 0;
}

static bool elevated_missing(void)
{
    if (geteuid() != 0) {
        printf("SKIP: the elevated escape suite needs root (it creates accounts, a group and "
               "an nft table, and removes them)\n");
        return true;
    }
    const char *src = getenv("SBX_LAUNCHER_SOURCE");
    if (!src || src[0] != '/' || access(src, R_OK) != 0) {
        printf("SKIP: SBX_LAUNCHER_SOURCE must name the built sbx-launch\n");
        return true;
    }
    if (access("/usr/sbin/useradd", X_OK) != 0 || access("/usr/sbin/nft", X_OK) != 0) {
        printf("SKIP: needs useradd (passwd) and nft (nftables)\n");
        return true;
    }
    return false;
}

int main(int argc, char **argv)
{
    bool elevated = argc == 4 && strcmp(argv[1], "--elevated") == 0;
    if (argc != 3 && !elevated) {
        fprintf(stderr, "usage: escape_suite [--elevated] SBX PROBE\n");
        return 2;
    }
    const char *sbx = argv[argc - 2], *probe = argv[argc - 1];
    suite_root = geteuid() == 0;
    ping_netns_root = suite_root && !ping_allowed();
    const char *why = missing_feature();
    if (why) {
        printf("SKIP: %s\n", why);
        return 77;
    }
    if (elevated && elevated_missing())
        return 77;
    char base[256];
    snprintf(base, sizeof base, "/tmp/sbxt-%d", (int)getpid());
    if (mkdir(base, 0755) < 0) {
        perror(base);
        return 1;
    }
    int failures = 0;
    if (elevated && elevated_init(base, &sbx, &probe) != 0) {
        suite_rmrf(base);
        return 1;
    }
    if (!elevated) {
        /* The caller's ledger and the sandbox's cache its first run makes:
         * the suite's, removed with it, never the caller's own. */
        char state[300];
        snprintf(state, sizeof state, "%s/caller-state", base);
        setenv("XDG_STATE_HOME", state, 1);
        unsetenv("SBX_STATE");
    }
    char suid[512] = "";
    if (geteuid() == 0) {
        /* a setuid-root copy of the probe for setuid-exec */
        snprintf(suid, sizeof suid, "%s/suid-probe", base);
        char *cp[] = {"cp", (char *)probe, suid, NULL};
        if (suite_spawn_wait(cp) != 0 || chown(suid, 0, 0) < 0 || chmod(suid, 04755) < 0) {
            fprintf(stderr, "escape suite: cannot make %s\n", suid);
            failures++;
        }
    }
    /* The elevated mode is for the users root set it up for: only the
     * throwaway caller runs it. */
    char caller_base[300];
    snprintf(caller_base, sizeof caller_base, "%s/caller", base);
    if (!elevated && mkdir(caller_base, 0700) == 0) {
        struct suite_env e = {.sbx = sbx, .probe = probe};
        snprintf(e.base, sizeof e.base, "%s", caller_base);
        snprintf(e.tag, sizeof e.tag, "sbxt-%d", (int)getpid());
        snprintf(e.suid, sizeof e.suid, "%s", suid);
        char group[64];
        snprintf(group, sizeof group, "escape as the caller (uid %u)", (unsigned)geteuid());
        failures += run_for_caller(group, &e, NULL, ping_netns_root ? "icmp-ping" : NULL);
        if (ping_netns_root)
            failures += root_ping_pass(sbx, probe, base, suid);
    } else if (!elevated) {
        failures++;
    }
    if (geteuid() == 0)
        failures += as_user(sbx, probe, base, suid);
    else
        printf("NOTE: not root: the run as a throwaway user is left out\n");
    suite_rmrf(base);
    return failures ? 1 : 0;
}
