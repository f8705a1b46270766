/* SPDX-License-Identifier: MIT */
/* The elevated mode's whole life through the real sbx command (Linux, as
 * root): root sets it up for a throwaway caller with throwaway names
 * (SBX_ELEVATED_PREFIX=sbxt<pid>-, a machine ledger under the test's own
 * directory); the caller grants a workspace, checks the status, and runs
 * commands that plain `sbx run` starts as the sandbox accounts; a
 * non-member falls back to the unelevated mode; bad input changes nothing;
 * and `sbx cleanup` as root leaves the machine exactly as it was (accounts,
 * groups, nft tables, the ACLs of the caller's home, the state
 * directories).  Whatever happens, the teardown removes everything the
 * test made, by force if it must. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "json_check.h"
#include "tests/integration/elevated_env.h"

static struct elev_env env;
static char sbx[512];         /* a copy of sbx the users can execute */
static char root_xdg[512];    /* root's own ledger, not in root's real home */
static char ws2[512];         /* in the caller's home, never added by hand */
static char s_home[256];      /* the non-member's home and workspace */
static char s_ws[300];
static char noexec[512];      /* a file without x in the workspace */
static char *snap0;           /* the machine before anything of sbx's */
static pid_t server = -1;     /* a loopback TCP server, root's */
static int port;
static bool cleaned;

enum who { ROOT, CALLER, STRANGER };

struct call {
    enum who who;
    const char *cwd;
    const char *const *argv;  /* argv[0]: the program */
    int ofd, efd;
};

static const char *home_of(enum who w)
{
    return w == CALLER ? env.home : w == STRANGER ? s_home : root_xdg;
}

static const char *name_of(enum who w)
{
    return w == CALLER ? env.caller : w == STRANGER ? env.stranger : "root";
}

/* In the child, already the user: a clean environment with the test's
 * names; root's sbx also gets the launcher to install and a ledger of its
 * own out of its real home.  The users' ledgers stay where root's cleanup
 * looks for them (beneath the homes of the password database). */
static int exec_call(void *arg)
{
    const struct call *c = arg;
    dup2(c->ofd, 1);
    dup2(c->efd, 2);
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    if (chdir(c->cwd) != 0)
        return 98;
    char home[600], user[100], prefix[64], machine[600], xdg[600], launcher[4200];
    snprintf(home, sizeof home, "HOME=%s", home_of(c->who));
    snprintf(user, sizeof user, "USER=%s", name_of(c->who));
    snprintf(prefix, sizeof prefix, "SBX_ELEVATED_PREFIX=%s", env.prefix);
    snprintf(machine, sizeof machine, "SBX_MACHINE_STATE=%s", env.state);
    snprintf(xdg, sizeof xdg, "XDG_STATE_HOME=%s", root_xdg);
    snprintf(launcher, sizeof launcher, "SBX_LAUNCHER_SOURCE=%s", getenv("SBX_LAUNCHER_SOURCE"));
    char *envp[] = {home, user, "PATH=/usr/local/bin:/usr/bin:/bin", prefix, machine,
                    /* root's only (the list ends here for the users) */
                    c->who == ROOT ? xdg : NULL, launcher, NULL};
    execve(c->argv[0], (char *const *)c->argv, envp);
    return 127;
}

/* Run argv (argv[0] a path; NULL-terminated) as who in cwd; stdout and
 * stderr into *out / *err (caller frees; may be NULL). */
static int run_as(enum who who, const char *cwd, char **out, char **err,
                  const char *const *argv)
{
    char opath[] = "/tmp/sbx-elife-out-XXXXXX", epath[] = "/tmp/sbx-elife-err-XXXXXX";
    struct call c = {.who = who, .cwd = cwd, .argv = argv, .ofd = mkstemp(opath),
                     .efd = mkstemp(epath)};
    assert_true(c.ofd >= 0 && c.efd >= 0);
    uid_t uid = who == CALLER ? env.caller_uid : who == STRANGER ? env.stranger_uid : 0;
    gid_t gid = who == CALLER ? env.caller_gid : who == STRANGER ? env.stranger_gid : 0;
    /* with the groups of the group database: the sandbox users' group is
     * what lets the caller execute the launcher */
    int rc = elev_as(uid, gid, who != ROOT, exec_call, &c);
    close(c.ofd);
    close(c.efd);
    char *o = read_file(opath, NULL), *e = read_file(epath, NULL);
    unlink(opath);
    unlink(epath);
    if (out)
        *out = o;
    else
        free(o);
    if (err)
        *err = e;
    else
        free(e);
    return rc;
}

static char last_cmd[2048]; /* "sbx ARGS..." of the last sbx_as, for messages */

/* sbx ARGS... as who in cwd. */
static int sbx_as(enum who who, const char *cwd, char **out, char **err, ...)
{
    const char *argv[32] = {sbx};
    int argc = 1;
    size_t off = (size_t)snprintf(last_cmd, sizeof last_cmd, "sbx");
    va_list ap;
    va_start(ap, err);
    for (const char *a; argc < 31 && (a = va_arg(ap, const char *));) {
        argv[argc++] = a;
        int n = snprintf(last_cmd + off, sizeof last_cmd - off, " %s", a);
        if (n > 0 && (size_t)n < sizeof last_cmd - off)
            off += (size_t)n;
    }
    va_end(ap);
    argv[argc] = NULL;
    return run_as(who, cwd, out, err, argv);
}

/* Fails unless rc is want; frees out and err (their text goes into the
 * message first). */
static void expect_status(enum who who, int want, int rc, char *out, char *err)
{
    static char msg[16384];
    if (rc != want)
        snprintf(msg, sizeof msg, "as %s: %s: exit %d, expected %d\nstdout: %s\nstderr: %s",
                 name_of(who), last_cmd, rc, want, out ? out : "", err ? err : "");
    free(out);
    free(err);
    if (rc != want)
        fail_msg("%s", msg);
}

/* sbx as who, which must exit with want; the message names the command. */
#define SBX_EXPECT(want, who, cwd, ...)                                 \
    do {                                                                \
        char *o_ = NULL, *e_ = NULL;                                    \
        int rc_ = sbx_as(who, cwd, &o_, &e_, __VA_ARGS__, NULL);        \
        expect_status(who, want, rc_, o_, e_);                          \
    } while (0)

/* The snapshot of the shared helper (passwd, group, shadow, gshadow lines
 * of this test's names, nft tables, the ACLs of the caller's home and of
 * the test's directory, the state directory), plus every path beneath the
 * test's directory with its mode and owner (root's and the users' ledger
 * directories among them). */
static char *snapshot(void)
{
    char *snap = elev_snapshot(&env);
    assert_non_null(snap);
    char listing[1 << 16];
    elev_sh(listing, sizeof listing, "find %s -printf '%%p %%m %%u %%g\\n' | sort", env.root);
    size_t len = strlen(snap) + strlen(listing) + 32;
    char *all = malloc(len);
    assert_non_null(all);
    snprintf(all, len, "%s--- files\n%s", snap, listing);
    free(snap);
    return all;
}

/* Fails, with a diff of the two, unless after is before.  Frees after,
 * and before when owned. */
static void assert_same_machine(char *before, bool owned, char *after, const char *when)
{
    if (strcmp(before, after) == 0) {
        free(after);
        if (owned)
            free(before);
        return;
    }
    char a[] = "/tmp/sbx-elife-snap-a-XXXXXX", b[] = "/tmp/sbx-elife-snap-b-XXXXXX";
    int fa = mkstemp(a), fb = mkstemp(b);
    assert_true(fa >= 0 && fb >= 0);
    close(fa);
    close(fb);
    write_file(a, before, strlen(before));
    write_file(b, after, strlen(after));
    free(after);
    if (owned)
        free(before);
    static char diff[8192];
    elev_sh(diff, sizeof diff, "diff -U1 %s %s | tail -n +3", a, b);
    unlink(a);
    unlink(b);
    fail_msg("the machine differs %s (- before, + after):\n%s", when, diff);
}

/* A loopback server that greets every connection; the port into *p. */
static pid_t start_server(int *p)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 16) != 0 ||
        getsockname(s, (struct sockaddr *)&a, &len) != 0)
        return -1;
    *p = ntohs(a.sin_port);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        for (;;) {
            int c = accept(s, NULL, NULL);
            if (c >= 0) {
                if (send(c, "sbxt\n", 5, MSG_NOSIGNAL) < 0) {
                    /* the client may be gone already */
                }
                close(c);
            }
        }
    }
    close(s);
    return pid;
}

static int mkdir_as(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
    if (mkdir(path, mode) != 0 || chown(path, uid, gid) != 0 || chmod(path, mode) != 0) {
        fprintf(stderr, "mkdir %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int lookup(const char *name, uid_t *uid, gid_t *gid)
{
    struct passwd *pw = getpwnam(name);
    if (!pw)
        return -1;
    *uid = pw->pw_uid;
    *gid = pw->pw_gid;
    return 0;
}

/* Removes what the test made whatever happened: through the engine when
 * the CLI's cleanup did not run (elev_env_teardown), then by force by this
 * test's names. */
static int group_teardown(void **state)
{
    (void)state;
    if (server > 0) {
        kill(server, SIGKILL);
        waitpid(server, NULL, 0);
        server = -1;
    }
    if (!env.root[0])
        return 0;
    if (!cleaned && env.snap_before)
        elev_env_teardown(&env); /* frees snap_before */
    elev_sh(NULL, 0,
            "(pkill -KILL -u %s; pkill -KILL -u %s; userdel %s; userdel %s; groupdel %s; "
            "nft delete table inet %s; pkill -KILL -u %s; pkill -KILL -u %s; userdel %s; "
            "userdel %s; groupdel %s; groupdel %s; rm -rf %s) >/dev/null 2>&1",
            env.names.offline, env.names.online, env.names.offline, env.names.online,
            env.names.group, env.names.table, env.caller, env.stranger, env.caller,
            env.stranger, env.caller, env.stranger, env.root);
    free(env.snap_before);
    env.snap_before = NULL;
    free(snap0);
    snap0 = NULL;
    env.root[0] = '\0';
    return 0;
}

static int group_setup_steps(void)
{
    long pid = (long)getpid();
    snprintf(env.prefix, sizeof env.prefix, "sbxt%ld-", pid % 10000000);
    setenv("SBX_ELEVATED_PREFIX", env.prefix, 1);
    if (sbx_elevated_names(&env.names, NULL) != 0)
        return -1;
    snprintf(env.caller, sizeof env.caller, "sbxtc%ld", pid);
    snprintf(env.stranger, sizeof env.stranger, "sbxts%ld", pid);
    /* The caller runs as its own pair: names.offline / online / table are
     * the caller's here. */
    struct sbx_member_pair pair;
    if (sbx_elevated_member_pair(&env.names, env.caller, &pair, NULL) != 0)
        return -1;
    snprintf(env.names.offline, sizeof env.names.offline, "%s", pair.offline);
    snprintf(env.names.online, sizeof env.names.online, "%s", pair.online);
    snprintf(env.names.table, sizeof env.names.table, "%s", pair.table);
    snprintf(env.root, sizeof env.root, "/tmp/sbx-elev-%ld", pid);
    /* (short paths: none of these can be truncated, checked anyway) */
    bool ok = snprintf(env.state, sizeof env.state, "%s/state", env.root) < (int)sizeof env.state &&
              snprintf(env.home, sizeof env.home, "%s/home-%s", env.root, env.caller) <
                  (int)sizeof env.home &&
              snprintf(env.ws, sizeof env.ws, "%s/ws", env.home) < (int)sizeof env.ws &&
              /* where the caller's sbx keeps its ledger (the fallback
               * teardown converges it through the engine) */
              snprintf(env.user_state, sizeof env.user_state, "%s/.local/state/sbx", env.home) <
                  (int)sizeof env.user_state &&
              snprintf(ws2, sizeof ws2, "%s/ws2", env.home) < (int)sizeof ws2 &&
              snprintf(noexec, sizeof noexec, "%s/noexec.sh", env.ws) < (int)sizeof noexec &&
              snprintf(s_home, sizeof s_home, "%s/home-%s", env.root, env.stranger) <
                  (int)sizeof s_home &&
              snprintf(s_ws, sizeof s_ws, "%s/ws", s_home) < (int)sizeof s_ws &&
              snprintf(root_xdg, sizeof root_xdg, "%s/root-state", env.root) <
                  (int)sizeof root_xdg &&
              snprintf(sbx, sizeof sbx, "%s/bin/sbx", env.root) < (int)sizeof sbx;
    if (!ok)
        return -1;
    char bin[300];
    snprintf(bin, sizeof bin, "%s/bin", env.root);
    if (mkdir_as(env.root, 0755, 0, 0) || mkdir_as(bin, 0755, 0, 0) ||
        mkdir_as(root_xdg, 0700, 0, 0))
        return -1;
    size_t len = 0;
    char *data = read_file(getenv("SBX_BIN"), &len);
    if (!data)
        return -1;
    write_file(sbx, data, len);
    free(data);
    if (chmod(sbx, 0755) != 0)
        return -1;
    const char *homes[] = {env.home, s_home}, *names[] = {env.caller, env.stranger};
    for (int i = 0; i < 2; i++)
        if (elev_sh(NULL, 0,
                    "useradd --no-create-home --home-dir %s --shell /bin/sh --comment "
                    "'sbx test (temporary)' %s",
                    homes[i], names[i]) != 0)
            return -1;
    if (lookup(env.caller, &env.caller_uid, &env.caller_gid) ||
        lookup(env.stranger, &env.stranger_uid, &env.stranger_gid))
        return -1;
    if (mkdir_as(env.home, 0700, env.caller_uid, env.caller_gid) ||
        mkdir_as(env.ws, 0755, env.caller_uid, env.caller_gid) ||
        mkdir_as(ws2, 0755, env.caller_uid, env.caller_gid) ||
        mkdir_as(s_home, 0700, env.stranger_uid, env.stranger_gid) ||
        mkdir_as(s_ws, 0755, env.stranger_uid, env.stranger_gid))
        return -1;
    /* The caller's private key, and some content in the workspace. */
    if (elev_sh(NULL, 0,
                "set -e; cd %s; mkdir -m 700 .ssh; echo SECRET-KEY-sbxt > .ssh/id_x; "
                "chmod 600 .ssh/id_x; mkdir ws/src; echo 'int main;' > ws/src/main.c; "
                "echo 'echo never' > %s; chmod 644 %s; ln -s /etc link-to-etc; "
                "chown -hR %s: .ssh ws link-to-etc",
                env.home, noexec, noexec, env.caller) != 0)
        return -1;
    if ((server = start_server(&port)) < 0)
        return -1;
    snap0 = snapshot();
    env.snap_before = elev_snapshot(&env);
    return 0;
}

static int group_setup(void **state)
{
    if (group_setup_steps() == 0)
        return 0;
    fprintf(stderr, "setting the test up failed (%s); removing what was made\n",
            strerror(errno));
    group_teardown(state);
    return -1;
}

/* --- before setup ----------------------------------------------------------- */

/* sbx as who must exit 125 and leave the machine as snapshot() had it. */
static void assert_refused(enum who who, const char *cwd, const char *const *args)
{
    const char *argv[16] = {sbx};
    size_t n = 1;
    for (; args[n - 1] && n < 15; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    size_t off = 0;
    last_cmd[0] = '\0';
    for (size_t i = 0; argv[i]; i++) {
        int k = snprintf(last_cmd + off, sizeof last_cmd - off, "%s%s", i ? " " : "",
                         i ? argv[i] : "sbx");
        if (k > 0 && (size_t)k < sizeof last_cmd - off)
            off += (size_t)k;
    }
    char *before = snapshot();
    char *out = NULL, *err = NULL;
    int rc = run_as(who, cwd, &out, &err, argv);
    if (rc != 125)
        free(before);
    expect_status(who, 125, rc, out, err);
    char when[2200];
    snprintf(when, sizeof when, "after the refused `%.2000s` as %s", last_cmd, name_of(who));
    assert_same_machine(before, true, snapshot(), when);
}

static void test_refused_setups_change_nothing(void **state)
{
    (void)state;
    char nosuch[64];
    snprintf(nosuch, sizeof nosuch, "sbxtnosuch%ld", (long)getpid());
    /* Not root: the elevated mode needs root. */
    assert_refused(CALLER, env.ws, (const char *[]){"setup", "--mode", "elevated", NULL});
    assert_refused(CALLER, env.ws, (const char *[]){"setup", "--user", env.caller, NULL});
    /* A user that does not exist, alone and next to one that does. */
    assert_refused(ROOT, env.root, (const char *[]){"setup", "--user", nosuch, NULL});
    assert_refused(ROOT, env.root,
                   (const char *[]){"setup", "--user", env.caller, "--user", nosuch, NULL});
    assert_same_machine(snap0, false, snapshot(), "after the refused setups");
}

/* --- setup and a workspace ------------------------------------------------- */

static void test_setup_for_the_caller(void **state)
{
    (void)state;
    /* auto: elevated, as root */
    SBX_EXPECT(0, ROOT, env.root, "setup", "--user", env.caller);
    if (lookup(env.names.offline, &env.offline_uid, &(gid_t){0}) ||
        lookup(env.names.online, &env.online_uid, &(gid_t){0}))
        fail_msg("setup made no accounts %s / %s", env.names.offline, env.names.online);
    struct group *g = getgrnam(env.names.group);
    assert_non_null(g);
    env.group_gid = g->gr_gid;
    char out[4096];
    assert_int_equal(elev_sh(out, sizeof out, "getent group %s", env.names.group), 0);
    if (!strstr(out, env.caller) || strstr(out, env.stranger))
        fail_msg("%s should list %s and not %s: %s", env.names.group, env.caller, env.stranger,
                 out);
    assert_int_equal(elev_sh(NULL, 0, "nft list table inet %s", env.names.table), 0);
}

static void test_caller_adds_workspace_and_status(void **state)
{
    (void)state;
    SBX_EXPECT(0, CALLER, env.ws, "workspace", "add", env.ws);
    char *out = NULL, *err = NULL;
    int rc = sbx_as(CALLER, env.ws, &out, &err, "status", "--json", NULL);
    if (rc != 0 || !json_valid(out))
        fail_msg("status --json as the caller: exit %d: %s%s", rc, out, err);
    if (!strstr(out, "\"mode\":\"elevated\""))
        fail_msg("status --json as the caller should say mode elevated: %s", out);
    char want[600];
    snprintf(want, sizeof want, "\"%s\"", env.ws);
    if (!strstr(out, want))
        fail_msg("status --json does not list the workspace %s: %s", env.ws, out);
    free(out);
    free(err);
    /* The workspace root carries the accounts' entries, the home none (the
     * launcher's home skeleton leads the accounts to the workspace). */
    char acl[8192], e1[128];
    assert_int_equal(elev_sh(acl, sizeof acl, "getfacl -p %s", env.ws), 0);
    snprintf(e1, sizeof e1, "\nuser:%s:rwx", env.names.offline);
    if (!strstr(acl, e1))
        fail_msg("%s lacks %s: %s", env.ws, e1 + 1, acl);
    assert_int_equal(elev_sh(acl, sizeof acl, "getfacl -p %s", env.home), 0);
    char e2[128];
    snprintf(e1, sizeof e1, "user:%s:", env.names.offline);
    snprintf(e2, sizeof e2, "user:%s:", env.names.online);
    if (strstr(acl, e1) || strstr(acl, e2))
        fail_msg("%s carries an entry for a sandbox account: %s", env.home, acl);
}

/* Root, without a ledger of its own, is shown the machine's: status says
 * elevated and which ledger, workspace list the members' workspaces. */
static void test_admin_sees_the_machine_ledger(void **state)
{
    (void)state;
    char *out = NULL, *err = NULL;
    int rc = sbx_as(ROOT, env.root, &out, &err, "status", "--json", NULL);
    char want[600];
    snprintf(want, sizeof want, "\"ledger\":\"%s/ledger.db\"", env.state);
    if (rc != 0 || !json_valid(out) || !strstr(out, "\"mode_setup\":\"elevated\"") ||
        !strstr(out, "\"ledger_scope\":\"machine\"") || !strstr(out, want))
        fail_msg("root's status --json should show the machine ledger %s, elevated: %d: %s%s",
                 env.state, rc, out, err);
    /* ... and the member, with their own ledger's workspaces. */
    char member[1024];
    snprintf(member, sizeof member, "{\"user\":\"%s\",\"ledger\":\"%s/.local/state/sbx\","
             "\"readable\":true,\"workspaces\":", env.caller, env.home);
    const char *at = strstr(out, member);
    if (!at || strtoul(at + strlen(member), NULL, 10) < 1)
        fail_msg("root's status --json should list the member %s and their workspaces: %s",
                 env.caller, out);
    free(out);
    free(err);
    rc = sbx_as(ROOT, env.root, &out, &err, "workspace", "list", NULL);
    if (rc != 0 || !strstr(out, env.ws))
        fail_msg("root's workspace list should list the member's %s: %d: %s%s", env.ws, rc, out,
                 err);
    free(out);
    free(err);
}

/* --- runs ------------------------------------------------------------------- */

static int caller_edits(void *arg)
{
    const char *ws = arg;
    char made[600], sub[600], inner[700];
    snprintf(made, sizeof made, "%s/made.txt", ws);
    snprintf(sub, sizeof sub, "%s/sub", ws);
    snprintf(inner, sizeof inner, "%s/f", sub);
    int fd = open(made, O_WRONLY | O_APPEND);
    if (fd < 0 || write(fd, "by the caller\n", 14) != 14 || close(fd) != 0)
        return 1;
    /* (no chmod: the file is the account's; POSIX leaves that to owners) */
    fd = open(inner, O_WRONLY | O_TRUNC);
    if (fd < 0 || write(fd, "y\n", 2) != 2 || close(fd) != 0)
        return 2;
    if (unlink(inner) != 0 || rmdir(sub) != 0 || unlink(made) != 0)
        return 3;
    return 0;
}

static void test_run_writes_the_workspace_as_the_account(void **state)
{
    (void)state;
    SBX_EXPECT(0, CALLER, env.ws, "run", "--", "sh", "-c",
               "echo made inside > made.txt && mkdir sub && echo x > sub/f && "
               "[ \"$(id -un)\" = \"$USER\" ]");
    char made[600];
    snprintf(made, sizeof made, "%s/made.txt", env.ws);
    struct stat st;
    assert_int_equal(stat(made, &st), 0);
    if (st.st_uid != env.offline_uid)
        fail_msg("made.txt belongs to uid %u, not to %s (uid %u): the run was not elevated",
                 (unsigned)st.st_uid, env.names.offline, (unsigned)env.offline_uid);
    /* The caller edits and deletes what the sandbox made. */
    int rc = elev_as(env.caller_uid, env.caller_gid, false, caller_edits, env.ws);
    if (rc != 0)
        fail_msg("the caller could not %s what the sandbox made in %s",
                 rc == 1 ? "append to made.txt" : rc == 2 ? "rewrite sub/f" : "delete", env.ws);
}

static void test_run_cannot_read_private_files(void **state)
{
    (void)state;
    char key[600];
    snprintf(key, sizeof key, "%s/.ssh/id_x", env.home);
    char *out = NULL, *err = NULL;
    int rc = sbx_as(CALLER, env.ws, &out, &err, "run", "--", "cat", key, NULL);
    if (rc == 0 || strstr(out, "SECRET-KEY") || strstr(err, "SECRET-KEY"))
        fail_msg("the sandbox read %s: exit %d: %s%s", key, rc, out, err);
    free(out);
    free(err);
    /* nor see what the home holds: on the launcher's skeleton it holds
     * the way to the workspace and nothing else */
    rc = sbx_as(CALLER, env.ws, &out, &err, "run", "--", "ls", "-A", env.home, NULL);
    if (rc != 0 || strcmp(out, "ws\n") != 0)
        fail_msg("the sandbox saw in %s more than the workspace: exit %d: %s%s", env.home, rc,
                 out, err);
    free(out);
    free(err);
    /* control: the caller reads it without sbx */
    const char *cat[] = {"/bin/cat", key, NULL};
    rc = run_as(CALLER, env.ws, &out, NULL, cat);
    if (rc != 0 || !strstr(out, "SECRET-KEY"))
        fail_msg("control: the caller cannot read %s without sbx (exit %d)", key, rc);
    free(out);
    /* A 0644 credential file in the home: outside the workspace, so not
     * on the launcher's skeleton; --allow-read shows it (bound on the
     * skeleton read-only). */
    char npmrc[600];
    snprintf(npmrc, sizeof npmrc, "%s/.npmrc", env.home);
    assert_int_equal(elev_sh(NULL, 0, "echo NPM-TOKEN > %s && chown %s: %s && chmod 0644 %s",
                             npmrc, env.caller, npmrc, npmrc),
                     0);
    rc = sbx_as(CALLER, env.ws, &out, &err, "run", "--", "cat", npmrc, NULL);
    bool leaked = strstr(out, "NPM-TOKEN") != NULL;
    free(out);
    free(err);
    rc = sbx_as(CALLER, env.ws, &out, &err, "run", "--allow-read", npmrc, "--", "cat", npmrc,
                NULL);
    bool shown = rc == 0 && strstr(out, "NPM-TOKEN");
    free(out);
    free(err);
    unlink(npmrc);
    /* the caller's configuration hides more (hide = ...), through the
     * launcher too */
    char conf_dir[700], hidden[700];
    snprintf(conf_dir, sizeof conf_dir, "%s/.config/sbx", env.home);
    snprintf(hidden, sizeof hidden, "%s/by-config", env.ws);
    assert_int_equal(elev_sh(NULL, 0,
                             "set -e; mkdir -p %s %s; echo CONF-SECRET > %s/f; "
                             "printf '[run]\\nhide = %s\\n' > %s/config; "
                             "chown -R %s: %s/.config %s",
                             conf_dir, hidden, hidden, hidden, conf_dir, env.caller, env.home,
                             hidden),
                     0);
    char hf[760];
    snprintf(hf, sizeof hf, "%s/f", hidden);
    rc = sbx_as(CALLER, env.ws, &out, &err, "run", "--", "cat", hf, NULL);
    bool conf_leaked = strstr(out, "CONF-SECRET") != NULL;
    free(out);
    free(err);
    assert_int_equal(elev_sh(NULL, 0, "rm -rf %s/.config %s", env.home, hidden), 0);
    if (conf_leaked)
        fail_msg("the sandbox read %s, which the caller's configuration hides", hf);
    if (leaked)
        fail_msg("the sandbox read the 0644 %s", npmrc);
    if (!shown)
        fail_msg("--allow-read %s did not show it to the sandbox (exit %d)", npmrc, rc);
}

static void test_run_network(void **state)
{
    (void)state;
    char script[200];
    snprintf(script, sizeof script,
             "exec 3<>/dev/tcp/127.0.0.1/%d && read -r line <&3 && echo \"got:$line\"", port);
    /* control: the caller reaches the server without sbx */
    char *out = NULL, *err = NULL;
    const char *direct[] = {"/bin/bash", "-c", script, NULL};
    int rc = run_as(CALLER, env.ws, &out, &err, direct);
    if (rc != 0 || !strstr(out, "got:sbxt"))
        fail_msg("control: the caller cannot reach 127.0.0.1:%d: exit %d: %s%s", port, rc, out,
                 err);
    free(out);
    free(err);
    rc = sbx_as(CALLER, env.ws, &out, &err, "run", "--", "bash", "-c", script, NULL);
    if (rc == 0 || strstr(out, "got:"))
        fail_msg("with the network off the sandbox reached 127.0.0.1:%d: %s%s", port, out, err);
    free(out);
    free(err);
    rc = sbx_as(CALLER, env.ws, &out, &err, "run", "--net", "on", "--", "bash", "-c", script,
                NULL);
    if (rc != 0 || !strstr(out, "got:sbxt"))
        fail_msg("with --net on the sandbox did not reach 127.0.0.1:%d: exit %d: %s%s", port, rc,
                 out, err);
    free(out);
    free(err);
}

static void test_run_exit_statuses(void **state)
{
    (void)state;
    SBX_EXPECT(7, CALLER, env.ws, "run", "--", "sh", "-c", "exit 7");
    SBX_EXPECT(127, CALLER, env.ws, "run", "--", "sbxt-no-such-command");
    SBX_EXPECT(126, CALLER, env.ws, "run", "--", noexec);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    SBX_EXPECT(124, CALLER, env.ws, "run", "--timeout", "1", "--", "sh", "-c",
               "sleep 30 & sleep 30");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (t1.tv_sec - t0.tv_sec > 15)
        fail_msg("--timeout 1 took %lds", (long)(t1.tv_sec - t0.tv_sec));
    /* nothing of the sandbox's is left running (the PID namespace goes
     * down asynchronously: wait for its processes to exit, 5 s at most;
     * one that has exited and waits to be reaped runs no more) */
    char out[4096] = "";
    elev_sh(out, sizeof out,
            "timeout 5 pidwait -u %s; ps -u %s -o pid=,stat=,args= | awk '$2 !~ /^Z/'",
            env.names.offline, env.names.offline);
    if (out[0])
        fail_msg("processes of %s still run 5 s after the timeout:\n%s", env.names.offline, out);
}

/* The sandbox account's cache (modes/common/cache_env.h): at ~/.cache in
 * the private home, kept between runs, sized by sbx status and emptied by
 * sbx cache clear through the launcher (the caller can't reach it), not
 * there with --no-cache. */
static void test_run_cache(void **state)
{
    (void)state;
    SBX_EXPECT(0, CALLER, env.ws, "run", "--", "sh", "-c",
               "[ \"$XDG_CACHE_HOME\" = \"$HOME/.cache\" ] && "
               "[ \"$npm_config_cache\" = \"$HOME/.cache/npm\" ] && "
               "mkdir -p \"$npm_config_cache\" && echo kept > \"$npm_config_cache/f\" && "
               "head -c 50000 /dev/zero > \"$CARGO_HOME.blob\"");
    SBX_EXPECT(0, CALLER, env.ws, "run", "--", "sh", "-c",
               "[ \"$(cat \"$npm_config_cache/f\")\" = kept ]");
    SBX_EXPECT(0, CALLER, env.ws, "run", "--no-cache", "--", "sh", "-c",
               "[ -z \"$XDG_CACHE_HOME$npm_config_cache\" ] && [ ! -e \"$HOME/.cache/npm\" ]");
    /* The caller sees the size, not the files. */
    char *out = NULL, *err = NULL;
    int rc = sbx_as(CALLER, env.ws, &out, &err, "status", "--json", NULL);
    char *at = out ? strstr(out, "{\"mode\":\"elevated\",\"bytes\":") : NULL;
    if (rc != 0 || !at || strtoull(at + strlen("{\"mode\":\"elevated\",\"bytes\":"), NULL, 10) <
                               50000) {
        char msg[8192];
        snprintf(msg, sizeof msg, "sbx status --json as the caller: exit %d, no elevated cache "
                 "of 50000 bytes or more: %s %s", rc, out ? out : "", err ? err : "");
        free(out);
        free(err);
        fail_msg("%s", msg);
    }
    free(out);
    free(err);
    SBX_EXPECT(0, CALLER, env.ws, "cache", "clear", "--mode", "elevated");
    SBX_EXPECT(0, CALLER, env.ws, "run", "--", "sh", "-c",
               "[ ! -e \"$npm_config_cache/f\" ] && [ ! -e \"$CARGO_HOME.blob\" ]");
    /* Nobody else's to clear: a non-member is told the mode is not theirs. */
    SBX_EXPECT(125, STRANGER, s_ws, "cache", "clear", "--mode", "elevated");
}

static void test_run_grants_a_new_workspace_first(void **state)
{
    (void)state;
    char acl[8192], e1[128];
    snprintf(e1, sizeof e1, "user:%s:rwx", env.names.offline);
    assert_int_equal(elev_sh(acl, sizeof acl, "getfacl -p %s", ws2), 0);
    if (strstr(acl, e1))
        fail_msg("%s is granted before any run: %s", ws2, acl);
    /* the current directory alone does not make a workspace: refused,
     * saying how, and nothing changes */
    char *out = NULL, *err = NULL;
    int rc = sbx_as(CALLER, ws2, &out, &err, "run", "--", "true", NULL);
    if (rc != 125 || !strstr(err, "sbx workspace add") || !strstr(err, "--workspace"))
        fail_msg("run in %s, never a workspace: wanted 125 naming sbx workspace add and "
                 "--workspace, got %d: %s", ws2, rc, err);
    free(out);
    free(err);
    rc = sbx_as(CALLER, ws2, &out, &err, "run", "--workspace", ws2, "--", "sh", "-c",
                "echo x > new && rm new", NULL);
    if (rc != 0)
        fail_msg("run in the new workspace %s: exit %d: %s%s", ws2, rc, out, err);
    if (!strstr(err, "granting"))
        fail_msg("sbx run did not say it grants %s first: %s", ws2, err);
    /* stdout is the command's alone (it printed nothing) */
    if (out[0])
        fail_msg("sbx run printed on the command's stdout: %s", out);
    free(out);
    free(err);
    assert_int_equal(elev_sh(acl, sizeof acl, "getfacl -p %s", ws2), 0);
    if (!strstr(acl, e1))
        fail_msg("after the run %s lacks %s: %s", ws2, e1, acl);
}

/* A workspace removed and made again (rm -rf, git clone into the same
 * name): sbx run grants it again through a plan of its own, in sbx log. */
static void test_run_regrants_a_recreated_workspace(void **state)
{
    (void)state;
    char acl[8192], e1[128];
    snprintf(e1, sizeof e1, "user:%s:rwx", env.names.offline);
    assert_int_equal(elev_sh(NULL, 0, "rm -rf %s && mkdir -m 0755 %s && chown %s: %s", ws2,
                             ws2, env.caller, ws2),
                     0);
    assert_int_equal(elev_sh(acl, sizeof acl, "getfacl -p %s", ws2), 0);
    if (strstr(acl, e1))
        fail_msg("%s, made again, carries a grant already: %s", ws2, acl);
    char *out = NULL, *err = NULL;
    int rc = sbx_as(CALLER, ws2, &out, &err, "run", "--", "sh", "-c", "echo x > again",
                    NULL);
    if (rc != 0 || !strstr(err, "made again"))
        fail_msg("run in %s, made again: wanted 0 and a line saying it is granted again, "
                 "got %d: %s%s", ws2, rc, out, err);
    free(out);
    free(err);
    assert_int_equal(elev_sh(acl, sizeof acl, "getfacl -p %s", ws2), 0);
    if (!strstr(acl, e1))
        fail_msg("after the run %s lacks %s: %s", ws2, e1, acl);
    rc = sbx_as(CALLER, ws2, &out, &err, "log", NULL);
    if (rc != 0 || !strstr(out, "workspace-regrant"))
        fail_msg("sbx log does not show the regrant plan: %d: %s%s", rc, out, err);
    free(out);
    free(err);
    assert_int_equal(elev_sh(NULL, 0, "rm -f %s/again", ws2), 0);
}

static void test_non_member(void **state)
{
    (void)state;
    SBX_EXPECT(125, STRANGER, s_ws, "run", "--mode", "elevated", "--", "true");
    /* auto: the unelevated mode, as the stranger itself */
    char *out = NULL, *err = NULL;
    int rc = sbx_as(STRANGER, s_ws, &out, &err, "run", "--", "id", "-un", NULL);
    if (rc != 0 || strncmp(out, env.stranger, strlen(env.stranger)) != 0)
        fail_msg("sbx run as the non-member should run unelevated as %s: exit %d: %s%s",
                 env.stranger, rc, out, err);
    free(out);
    free(err);
    rc = sbx_as(STRANGER, s_ws, &out, &err, "status", "--json", NULL);
    if (rc != 0 || !strstr(out, "\"mode\":\"unelevated\""))
        fail_msg("status --json as the non-member should say unelevated: exit %d: %s%s", rc,
                 out, err);
    free(out);
    free(err);
    /* That run made the stranger's own ledger and unelevated cache: the
     * stranger's to remove (root's cleanup knows the members' ledgers
     * only), and gone after it. */
    SBX_EXPECT(0, STRANGER, s_ws, "cleanup");
    char state_dir[400];
    snprintf(state_dir, sizeof state_dir, "%s/.local/state/sbx", s_home);
    struct stat st;
    if (lstat(state_dir, &st) == 0)
        fail_msg("%s is left after the non-member's own sbx cleanup", state_dir);
}

static void test_bad_input_changes_nothing(void **state)
{
    (void)state;
    char link[600], notmine[600];
    snprintf(link, sizeof link, "%s/link-to-etc", env.home);
    snprintf(notmine, sizeof notmine, "%s/bin", env.root);
    /* dangerous roots and their aliases; a directory of root's and one of
     * the non-member's; one that does not exist */
    /* ... and the caller's own places where a write is code execution:
     * refused before anything is granted (no ACL entry left on them) */
    char config[600], local_bin[600];
    snprintf(config, sizeof config, "%s/.config", env.home);
    snprintf(local_bin, sizeof local_bin, "%s/.local/bin", env.home);
    char local[600];
    snprintf(local, sizeof local, "%s/.local", env.home);
    struct stat st;
    bool had_local = lstat(local, &st) == 0; /* the caller's ledger may live there */
    assert_int_equal(elev_sh(NULL, 0, "set -e; mkdir -p %s %s; chown %s %s %s %s", config,
                             local_bin, env.caller, config, local, local_bin),
                     0);
    const char *bad[] = {"/", "/etc", "/usr", "/proc", env.home, link, notmine, s_ws,
                         "/nonexistent-sbxt", config, local_bin};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_refused(CALLER, env.ws, (const char *[]){"workspace", "add", bad[i], NULL});
        assert_refused(CALLER, env.ws,
                       (const char *[]){"run", "--workspace", bad[i], "--", "true", NULL});
    }
    assert_int_equal(elev_sh(NULL, 0, "rmdir %s %s", config, local_bin), 0);
    if (!had_local)
        assert_int_equal(rmdir(local), 0);
    assert_refused(CALLER, env.ws, (const char *[]){"setup", "--mode", "elevated", NULL});
    char nosuch[64];
    snprintf(nosuch, sizeof nosuch, "sbxtnosuch%ld", (long)getpid());
    assert_refused(ROOT, env.root, (const char *[]){"setup", "--user", nosuch, NULL});
}

/* --- the end ---------------------------------------------------------------- */

static void test_workspace_remove(void **state)
{
    (void)state;
    SBX_EXPECT(0, CALLER, env.ws, "workspace", "remove", env.ws);
    char acl[8192];
    assert_int_equal(elev_sh(acl, sizeof acl, "getfacl -R -p %s", env.ws), 0);
    if (strstr(acl, env.names.offline) || strstr(acl, env.names.online))
        fail_msg("sbx workspace remove left entries of the accounts in %s:\n%s", env.ws, acl);
}

static void test_zz_cleanup_leaves_the_machine_as_before(void **state)
{
    (void)state;
    /* Files the sandbox made and set to modes 0644, 0600 and 0755, and a
     * 0755 directory (sbx run --workspace grants it again first; sbx's
     * default entries make the umask moot, as POSIX ACLs do): once cleanup
     * has given them back, their modes are those modes, not the default
     * entries' group bits (a 0644 file came back rw-r-xr--). */
    SBX_EXPECT(0, CALLER, env.ws, "run", "--workspace", env.ws, "--", "sh", "-c",
               "echo a > m644 && chmod 644 m644 && echo b > m600 && chmod 600 m600 && "
               "echo c > m755 && chmod 755 m755 && mkdir d755 && chmod 755 d755");
    SBX_EXPECT(0, ROOT, env.root, "cleanup");
    cleaned = true;
    static const struct {
        const char *name;
        unsigned mode;
    } made[] = {{"m644", 0644}, {"m600", 0600}, {"m755", 0755}, {"d755", 0755}};
    for (size_t i = 0; i < sizeof made / sizeof made[0]; i++) {
        char p[700];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", env.ws, made[i].name);
        assert_int_equal(lstat(p, &st), 0);
        if ((st.st_mode & 07777) != made[i].mode)
            fail_msg("%s, made %04o by the sandbox, is %04o after sbx cleanup gave it back",
                     made[i].name, made[i].mode, (unsigned)(st.st_mode & 07777));
    }
    assert_int_equal(elev_sh(NULL, 0, "cd %s && rm -rf m644 m600 m755 d755", env.ws), 0);
    assert_same_machine(snap0, false, snapshot(), "after sbx cleanup");
    assert_null(getpwnam(env.names.offline));
    assert_null(getpwnam(env.names.online));
    assert_null(getgrnam(env.names.group));
}

int main(void)
{
    elev_require_root();
    if (!getenv("SBX_BIN") || access("/bin/bash", X_OK) != 0) {
        fprintf(stderr, "SKIP: needs SBX_BIN (the sbx under test) and bash\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refused_setups_change_nothing),
        cmocka_unit_test(test_setup_for_the_caller),
        cmocka_unit_test(test_caller_adds_workspace_and_status),
        cmocka_unit_test(test_run_writes_the_workspace_as_the_account),
        cmocka_unit_test(test_run_cannot_read_private_files),
        cmocka_unit_test(test_run_network),
        cmocka_unit_test(test_run_exit_statuses),
        cmocka_unit_test(test_run_cache),
        cmocka_unit_test(test_run_grants_a_new_workspace_first),
        cmocka_unit_test(test_non_member),
        cmocka_unit_test(test_bad_input_changes_nothing),
        /* after the refusals: these read ledgers read-only (sbx log, sbx
         * status), which leaves SQLite's -wal and -shm files that the next
         * write removes, and the refusals compare the file listings */
        cmocka_unit_test(test_run_regrants_a_recreated_workspace),
        cmocka_unit_test(test_admin_sees_the_machine_ledger),
        cmocka_unit_test(test_workspace_remove),
        cmocka_unit_test(test_zz_cleanup_leaves_the_machine_as_before),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
