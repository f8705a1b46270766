/* SPDX-License-Identifier: MIT */
#include "tests/integration/elevated_env.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "migrate/plan.h"
#include "modes/common/linux/launch_conf.h"
#include "state/ledger.h"

void elev_require_root(void)
{
    if (geteuid() != 0) {
        fprintf(stderr, "SKIP: the elevated-mode integration tests need root (they create "
                        "accounts, groups, ACL entries and an nft table, and remove them)\n");
        exit(77);
    }
    if (access("/usr/sbin/useradd", X_OK) != 0 || access("/usr/sbin/nft", X_OK) != 0 ||
        access("/usr/bin/getfacl", X_OK) != 0) {
        fprintf(stderr, "SKIP: needs useradd (passwd), nft (nftables) and getfacl (acl)\n");
        exit(77);
    }
    if (!getenv("SBX_LAUNCHER_SOURCE")) {
        fprintf(stderr, "SKIP: SBX_LAUNCHER_SOURCE must name the built sbx-launch\n");
        exit(77);
    }
}

int elev_sh(char *out, size_t len, const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    size_t got = 0;
    char sink[4096];
    for (;;) {
        size_t n = out ? fread(out + got, 1, len - 1 - got, p) : fread(sink, 1, sizeof sink, p);
        if (n == 0)
            break;
        if (out)
            got += n;
        if (out && got >= len - 1)
            break;
    }
    if (out)
        out[got] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void elev_read(const char *path, char *buf, size_t len)
{
    buf[0] = '\0';
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return;
    ssize_t n = read(fd, buf, len - 1);
    buf[n > 0 ? n : 0] = '\0';
    close(fd);
}

char *elev_snapshot(const struct elev_env *e)
{
    size_t len = 1 << 20;
    char *out = malloc(len);
    if (!out)
        return NULL;
    /* Lines of other tests' throwaway names (sbxt<otherpid>..., sbxt-...,
     * the recovery suites' sbxr<pid>...) are left out, so suites running
     * side by side don't disturb each other; this test's own names
     * (sbxt<pid>-..., sbxtc<pid>, sbxts<pid>, table sbxt<pid>) are kept. */
    char pid[16];
    snprintf(pid, sizeof pid, "%ld", (long)getpid() % 10000000);
    elev_sh(out, len,
            "(cat /etc/passwd /etc/group /etc/shadow /etc/gshadow; nft list tables; "
            " getfacl -R -p %s 2>&1; getfacl -p %s; stat -c '%%n %%a %%u %%g' %s %s; "
            " test -e %s/elevated && echo elevated-dir-present) "
            "| grep -v -E '^(table inet )?sbx[rt]' ; "
            "(cat /etc/passwd /etc/group /etc/shadow /etc/gshadow; nft list tables) "
            "| grep -E '^(table inet )?sbxt[cs]?%s([^0-9]|$)' ; true",
            e->home, e->root, e->root, e->state, e->state, pid);
    return out;
}

static int mkdir_owned(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
    if (mkdir(path, mode) != 0 && errno != EEXIST)
        return -1;
    return chown(path, uid, gid) == 0 && chmod(path, mode) == 0 ? 0 : -1;
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

int elev_as(uid_t uid, gid_t gid, bool groups, int (*fn)(void *), void *arg)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        struct passwd *pw = getpwuid(uid);
        int rc = groups && pw ? initgroups(pw->pw_name, gid) : setgroups(0, NULL);
        if (rc != 0 || setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0)
            _exit(99);
        _exit(fn(arg));
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

struct conv {
    struct elev_env *e;
    bool machine, present;
};

static int converge(void *arg)
{
    struct conv *c = arg;
    struct elev_env *e = c->e;
    struct sbx_error err = {0};
    struct sbx_ledger *l = NULL;
    struct sbx_os *os = NULL;
    struct sbx_resource_list cur = {0}, des = {0};
    struct sbx_plan p = {0};
    const char *ws[] = {e->ws};
    const char *users[] = {e->caller};
    struct sbx_config cfg = {
        .mode = SBX_MODE_ELEVATED,
        .workspaces = ws,
        .n_workspaces = c->present && !c->machine ? 1 : 0,
        .users = users,
        .n_users = c->present && c->machine ? 1 : 0,
        .loopback_ports = e->ports,
        .n_loopback_ports = e->n_ports,
        .state_dir = e->state,
        .current = &cur,
    };
    int rc = sbx_ledger_open(c->machine ? e->state : e->user_state, SBX_LEDGER_CREATE, &l, &err);
    if (rc == 0)
        rc = sbx_ledger_lock(l, 10000, &err);
    if (rc == 0)
        rc = sbx_os_open_native(&os, &err);
    if (rc == 0)
        rc = sbx_ledger_resources(l, &cur, &err);
    if (rc == 0 && c->present)
        rc = sbx_elevated_linux.desired(&cfg, c->machine ? SBX_SCOPE_MACHINE : SBX_SCOPE_USER,
                                        &des, &err);
    if (rc == 0)
        rc = sbx_plan_compute(&cur, &des, c->present ? "setup" : "cleanup", &p, &err);
    if (rc == 0) {
        struct sbx_engine eng = {.ledger = l, .os = os};
        rc = sbx_plan_apply(&eng, &p, &err);
    }
    if (rc)
        fprintf(stderr, "converge (%s, %s): %s\n", c->machine ? "machine" : "user",
                c->present ? "present" : "absent", err.msg);
    sbx_plan_free(&p);
    sbx_rlist_free(&cur);
    sbx_rlist_free(&des);
    sbx_os_destroy(os);
    if (l) {
        sbx_ledger_unlock(l);
        sbx_ledger_close(l);
    }
    return rc ? 1 : 0;
}

int elev_converge(struct elev_env *e, bool machine, bool with_workspace, bool with_users)
{
    struct conv c = {.e = e, .machine = machine,
                     .present = machine ? with_users : with_workspace};
    if (machine)
        return converge(&c) == 0 ? 0 : -1;
    /* Users grant their own workspaces: as the caller, without root. */
    return elev_as(e->caller_uid, e->caller_gid, false, converge, &c) == 0 ? 0 : -1;
}

int elev_env_setup(struct elev_env *e)
{
    long pid = (long)getpid();
    snprintf(e->prefix, sizeof e->prefix, "sbxt%ld-", pid % 10000000);
    setenv("SBX_ELEVATED_PREFIX", e->prefix, 1);
    if (sbx_elevated_names(&e->names, NULL) != 0)
        return -1;
    snprintf(e->caller, sizeof e->caller, "sbxtc%ld", pid);
    snprintf(e->stranger, sizeof e->stranger, "sbxts%ld", pid);
    /* The caller runs as its own pair: names.offline / online / table are
     * the caller's here (the shared pair of old is no longer made). */
    struct sbx_member_pair pair;
    if (sbx_elevated_member_pair(&e->names, e->caller, &pair, NULL) != 0)
        return -1;
    snprintf(e->names.offline, sizeof e->names.offline, "%s", pair.offline);
    snprintf(e->names.online, sizeof e->names.online, "%s", pair.online);
    snprintf(e->names.table, sizeof e->names.table, "%s", pair.table);
    snprintf(e->root, sizeof e->root, "/tmp/sbx-elev-%ld", pid);
    snprintf(e->state, sizeof e->state, "%s/state", e->root);
    snprintf(e->home, sizeof e->home, "%s/home-%s", e->root, e->caller);
    snprintf(e->ws, sizeof e->ws, "%s/ws", e->home);
    snprintf(e->user_state, sizeof e->user_state, "%s/ustate", e->root);
    char drop[256];
    snprintf(drop, sizeof drop, "%s/drop", e->root);
    /* drop: world-writable, so only Landlock keeps the sandbox out. */
    if (mkdir_owned(e->root, 0755, 0, 0) != 0 || mkdir_owned(e->state, 0700, 0, 0) != 0 ||
        mkdir_owned(drop, 01777, 0, 0) != 0)
        return -1;
    const char *names[] = {e->caller, e->stranger};
    for (int i = 0; i < 2; i++)
        if (elev_sh(NULL, 0,
                    "useradd --no-create-home --home-dir %s --shell /bin/sh --comment "
                    "'sbx test caller' %s",
                    e->home, names[i]) != 0)
            return -1;
    if (lookup(e->caller, &e->caller_uid, &e->caller_gid) ||
        lookup(e->stranger, &e->stranger_uid, &e->stranger_gid))
        return -1;
    if (mkdir_owned(e->home, 0700, e->caller_uid, e->caller_gid) ||
        mkdir_owned(e->ws, 0755, e->caller_uid, e->caller_gid) ||
        mkdir_owned(e->user_state, 0700, e->caller_uid, e->caller_gid))
        return -1;
    /* Private files of the caller's, and some content in the workspace. */
    if (elev_sh(NULL, 0,
                "set -e; cd %s; mkdir -m 700 .ssh; echo SECRET-KEY > .ssh/id_test; "
                "chmod 600 .ssh/id_test; echo private > notes.txt; chmod 600 notes.txt; "
                "mkdir -p ws/src/deep ws/.git; echo 'int main;' > ws/src/main.c; "
                "echo '#!/bin/sh' > ws/run.sh; chmod 755 ws/run.sh; echo head > ws/.git/HEAD; "
                "chown -R %s: .ssh notes.txt ws",
                e->home, e->caller) != 0)
        return -1;
    e->snap_before = elev_snapshot(e);
    if (!e->snap_before)
        return -1;
    if (elev_converge(e, true, false, true) != 0 || elev_converge(e, false, true, false) != 0)
        return -1;
    if (lookup(e->names.offline, &e->offline_uid, &(gid_t){0}) ||
        lookup(e->names.online, &e->online_uid, &(gid_t){0}))
        return -1;
    struct group *g = getgrnam(e->names.group);
    if (!g)
        return -1;
    e->group_gid = g->gr_gid;
    return 0;
}

int elev_env_teardown(struct elev_env *e)
{
    int rc = 0;
    /* Files the sandbox left keep its entries when the owner removes the
     * grant (only root could change them): they go first. */
    elev_sh(NULL, 0, "find %s -mindepth 1 -depth ! -uid %u -delete 2>/dev/null", e->ws,
            (unsigned)e->caller_uid);
    if (elev_converge(e, false, false, false) != 0)
        rc = -1;
    if (elev_converge(e, true, false, false) != 0)
        rc = -1;
    char *after = elev_snapshot(e);
    if (!after || !e->snap_before || strcmp(after, e->snap_before) != 0) {
        fprintf(stderr, "the machine differs after cleanup:\n--- before\n%s\n--- after\n%s\n",
                e->snap_before ? e->snap_before : "(none)", after ? after : "(none)");
        rc = -1;
    }
    free(after);
    /* Whatever is left of this test's own names goes, by force. */
    elev_sh(NULL, 0,
            "(pkill -KILL -u %s; pkill -KILL -u %s; userdel %s; userdel %s; groupdel %s; "
            "nft delete table inet %s; userdel %s; userdel %s; groupdel %s; groupdel %s; "
            "rm -rf %s) >/dev/null 2>&1",
            e->names.offline, e->names.online, e->names.offline, e->names.online,
            e->names.group, e->names.table, e->caller, e->stranger, e->caller, e->stranger,
            e->root);
    free(e->snap_before);
    e->snap_before = NULL;
    return rc;
}

static int run_child(void *arg)
{
    struct elev_run *r = arg;
    struct elev_env *e = r->env;
    const char *ws[] = {e->ws};
    struct sbx_run_request req = {
        .workspaces = ws,
        .n_workspaces = 1,
        .net = r->net,
        .timeout_sec = r->timeout,
        .argv = (char *const *)r->argv,
        .cwd = r->cwd ? r->cwd : e->ws,
    };
    struct sbx_elevated_run_opts o = {.machine_state_dir = e->state, .account = r->account};
    if (r->poison_env) {
        char so[PATH_MAX + 16];
        snprintf(so, sizeof so, "%s/evil.so", e->root);
        setenv("LD_PRELOAD", so, 1);
        setenv("LD_LIBRARY_PATH", e->root, 1);
        setenv("GCONV_PATH", e->root, 1);
        setenv("HOME", e->home, 1);
        setenv("TMPDIR", e->root, 1);
        setenv("SBX_ELEVATED_PREFIX", "sbxevil-", 1);
    }
    if (r->signal_when_ready) {
        /* The command's stdout is a pipe to a process of the test's that
         * sends sbx SIGTERM at the first byte: the command is running
         * then, with no guess at how long starting it takes. */
        int p[2];
        if (pipe(p) < 0)
            return 97;
        pid_t me = getpid();
        pid_t k = fork();
        if (k < 0)
            return 97;
        if (k == 0) {
            close(p[1]);
            char c;
            if (read(p[0], &c, 1) == 1)
                kill(me, SIGTERM);
            _exit(0);
        }
        close(p[0]);
        if (dup2(p[1], STDOUT_FILENO) < 0)
            return 97;
        close(p[1]);
    }
    struct sbx_error err = {0};
    int status = 0;
    int rc = sbx_elevated_run_ex(&req, &o, &status, &err);
    /* Back to the parent through a file of the caller's. */
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/run-result", e->user_state);
    FILE *f = fopen(path, "w");
    if (!f)
        return 98;
    fprintf(f, "%d %d %s\n", status, rc, err.msg);
    fclose(f);
    return 0;
}

int elev_run_as_caller(struct elev_run *r)
{
    if (elev_as(r->env->caller_uid, r->env->caller_gid, true, run_child, r) != 0)
        return -1;
    char path[PATH_MAX + 16], buf[2048];
    snprintf(path, sizeof path, "%s/run-result", r->env->user_state);
    elev_read(path, buf, sizeof buf);
    unlink(path);
    int off = 0;
    if (sscanf(buf, "%d %d %n", &r->status, &r->rc, &off) < 2)
        return -1;
    snprintf(r->msg, sizeof r->msg, "%s", buf + off);
    r->msg[strcspn(r->msg, "\n")] = '\0';
    return 0;
}
