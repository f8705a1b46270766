/* SPDX-License-Identifier: MIT */
#include "tests/escape/suite_machine.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "modes/elevated/elevated.h"

int suite_spawn_wait(char *const argv[])
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

int suite_root_sbx(const char *sbx, const char *cwd, struct run_out *r, const char *verb,
                   const char *user)
{
    struct suite_env dummy = {.sbx = sbx, .outfd = -1};
    char *argv[] = {(char *)sbx, (char *)verb, user ? "--user" : NULL, (char *)user, NULL};
    if (suite_run(&dummy, cwd, argv, false, r) < 0)
        return -1;
    return r->status;
}

int suite_user_add(const char *name, const char *base, const char *home, uid_t *uid,
                   gid_t *gid)
{
    char *add[] = {"useradd", "--no-create-home", "--home-dir", (char *)home, "--shell",
                   "/usr/sbin/nologin", "--user-group", (char *)name, NULL};
    if (suite_spawn_wait(add) != 0) {
        fprintf(stderr, "suite: useradd %s failed\n", name);
        return -1;
    }
    struct passwd *pw = getpwnam(name);
    if (!pw || mkdir(base, 0755) != 0 || chown(base, pw->pw_uid, pw->pw_gid) != 0 ||
        mkdir(home, 0755) != 0 || chown(home, pw->pw_uid, pw->pw_gid) != 0) {
        fprintf(stderr, "suite: preparing %s and %s for %s: %s\n", base, home, name,
                strerror(errno));
        return -1;
    }
    *uid = pw->pw_uid;
    *gid = pw->pw_gid;
    return 0;
}

int suite_user_del(const char *name)
{
    char *del[] = {"userdel", (char *)name, NULL};
    if (suite_spawn_wait(del) != 0) {
        fprintf(stderr, "suite: userdel %s failed\n", name);
        return -1;
    }
    return 0;
}

int suite_become(const char *name, uid_t uid, gid_t gid, const char *home, bool groups)
{
    if ((groups ? initgroups(name, gid) : setgroups(0, NULL)) < 0 ||
        setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
        return -1;
    /* changing uid made us non-dumpable: the caller's processes would not
     * be ptrace-able or have a readable /proc/<pid> even without sbx */
    prctl(PR_SET_DUMPABLE, 1);
    setenv("HOME", home, 1);
    setenv("USER", name, 1);
    setenv("LOGNAME", name, 1);
    /* the caller's own ledger where root's cleanup looks for it: beneath
     * the home of the password database */
    unsetenv("XDG_STATE_HOME");
    return 0;
}

int suite_elev_init(struct suite_elev *el, const char *base, const char *member)
{
    snprintf(el->prefix, sizeof el->prefix, "sbxt%ld-", (long)getpid() % 10000000);
    setenv("SBX_ELEVATED_PREFIX", el->prefix, 1);
    struct sbx_elevated_names names;
    struct sbx_error err = {0};
    struct sbx_member_pair pair;
    if (sbx_elevated_names(&names, &err) != 0 ||
        sbx_elevated_member_pair(&names, member, &pair, &err) != 0) {
        fprintf(stderr, "suite: %s\n", err.msg);
        return -1;
    }
    snprintf(el->offline, sizeof el->offline, "%s", pair.offline);
    snprintf(el->online, sizeof el->online, "%s", pair.online);
    snprintf(el->group, sizeof el->group, "%s", names.group);
    snprintf(el->table, sizeof el->table, "%s", pair.table);
    /* root's, all the way up: the launcher trusts nothing else */
    snprintf(el->machine, sizeof el->machine, "%s/machine", base);
    setenv("SBX_MACHINE_STATE", el->machine, 1);
    snprintf(el->root_xdg, sizeof el->root_xdg, "%s/root-state", base);
    setenv("XDG_STATE_HOME", el->root_xdg, 1);
    unsetenv("SBX_STATE");
    return 0;
}

int suite_copy_exec(const char *src, const char *dir, char *out, size_t len)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", src);
    if ((size_t)snprintf(out, len, "%s/%s", dir, basename(tmp)) >= len)
        return -1;
    char *cp[] = {"cp", (char *)src, out, NULL};
    if ((mkdir(dir, 0755) < 0 && errno != EEXIST) || suite_spawn_wait(cp) != 0 ||
        chmod(out, 0755) < 0) {
        fprintf(stderr, "suite: cannot copy %s into %s\n", src, dir);
        return -1;
    }
    return 0;
}

int suite_elev_leftovers(const struct suite_elev *el)
{
    int left = 0;
    const char *accounts[] = {el->offline, el->online};
    for (int i = 0; i < 2; i++)
        if (getpwnam(accounts[i])) {
            fprintf(stderr, "suite: after sbx cleanup the account %s is still there\n",
                    accounts[i]);
            left++;
        }
    if (getgrnam(el->group)) {
        fprintf(stderr, "suite: after sbx cleanup the group %s is still there\n", el->group);
        left++;
    }
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "nft list table inet %s >/dev/null 2>&1", el->table);
    if (system(cmd) == 0) {
        fprintf(stderr, "suite: after sbx cleanup the nft table inet %s is still there\n",
                el->table);
        left++;
    }
    char dir[600];
    struct stat st;
    snprintf(dir, sizeof dir, "%s/elevated", el->machine);
    if (lstat(dir, &st) == 0) {
        fprintf(stderr, "suite: after sbx cleanup %s (the launcher's) is still there\n", dir);
        left++;
    }
    /* By force, whatever is left of this run's own names. */
    snprintf(cmd, sizeof cmd,
             "(pkill -KILL -u %s; pkill -KILL -u %s; userdel %s; userdel %s; groupdel %s; "
             "nft delete table inet %s) >/dev/null 2>&1",
             el->offline, el->online, el->offline, el->online, el->group, el->table);
    if (left && system(cmd) < 0)
        fprintf(stderr, "suite: could not run: %s\n", cmd);
    return left;
}

int suite_elev_setup(const char *sbx, const char *cwd, const char *member)
{
    struct run_out r;
    int st = suite_root_sbx(sbx, cwd, &r, "setup", member);
    if (st != 0) {
        fprintf(stderr, "suite: sbx setup --user %s as root: status %d: %s\n", member, st,
                r.text);
        return -1;
    }
    return 0;
}

int suite_elev_cleanup(const char *sbx, const char *cwd, const struct suite_elev *el)
{
    struct run_out r;
    int failures = 0;
    int st = suite_root_sbx(sbx, cwd, &r, "cleanup", NULL);
    if (st != 0) {
        fprintf(stderr, "suite: sbx cleanup as root: status %d: %s\n", st, r.text);
        failures++;
    }
    return failures + suite_elev_leftovers(el);
}
