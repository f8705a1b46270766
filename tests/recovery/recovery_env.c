/* SPDX-License-Identifier: MIT */
#include "recovery_env.h"

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

#include "helpers.h"
#include "tests/integration/elevated_env.h"

void rec_require_root(void)
{
    elev_require_root();
    if (!getenv("SBX_BIN")) {
        fprintf(stderr, "SKIP: SBX_BIN must name the built sbx\n");
        exit(77);
    }
}

int rec_sh(const char *fmt, ...)
{
    char cmd[8000];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof cmd)
        fail_msg("shell command too long: %.200s", cmd);
    return elev_sh(NULL, 0, "%s", cmd);
}

#define FMT(buf, ...)                                                                     \
    do {                                                                                  \
        int n_ = snprintf(buf, sizeof buf, __VA_ARGS__);                                  \
        if (n_ < 0 || (size_t)n_ >= sizeof buf)                                           \
            fail_msg("path too long at %s:%d", __FILE__, __LINE__);                       \
    } while (0)

static void lookup(const char *name, uid_t *uid, gid_t *gid)
{
    struct passwd *pw = getpwnam(name);
    if (!pw)
        fail_msg("no account %s", name);
    *uid = pw->pw_uid;
    *gid = pw->pw_gid;
}

static struct rec_env *current;

int rec_teardown(void **state)
{
    (void)state;
    if (current)
        rec_env_fini(current);
    current = NULL;
    return 0;
}

void rec_env_init(struct rec_env *e, unsigned files_in_ws1)
{
    memset(e, 0, sizeof *e);
    current = e;
    long pid = (long)getpid() % 10000000;
    FMT(e->tag, "sbxr%ld", pid);
    FMT(e->prefix, "%s-", e->tag);
    setenv("SBX_ELEVATED_PREFIX", e->prefix, 1);
    assert_int_equal(sbx_elevated_names(&e->names, NULL), 0);
    FMT(e->launcher_src, "%s", getenv("SBX_LAUNCHER_SOURCE"));
    FMT(e->root, "/var/tmp/sbxr-XXXXXX");
    assert_non_null(mkdtemp(e->root));
    assert_int_equal(chmod(e->root, 0755), 0);
    FMT(e->machine, "%s/machine", e->root);
    FMT(e->sbx, "%s/bin/sbx", e->root);
    FMT(e->roothome, "%s/roothome", e->root);
    FMT(e->drop, "%s/drop", e->root);
    FMT(e->caller, "%sc", e->tag);
    FMT(e->stranger, "%ss", e->tag);
    /* names.offline / online / table: the caller's own pair; the shared
     * pair of an older sbx (test_pairs sets one up) in shared_*. */
    FMT(e->shared_offline, "%s", e->names.offline);
    FMT(e->shared_online, "%s", e->names.online);
    FMT(e->shared_table, "%s", e->names.table);
    struct sbx_member_pair pair;
    assert_int_equal(sbx_elevated_member_pair(&e->names, e->caller, &pair, NULL), 0);
    FMT(e->names.offline, "%s", pair.offline);
    FMT(e->names.online, "%s", pair.online);
    FMT(e->names.table, "%s", pair.table);
    assert_int_equal(sbx_elevated_member_pair(&e->names, e->stranger, &pair, NULL), 0);
    FMT(e->stranger_offline, "%s", pair.offline);
    FMT(e->stranger_online, "%s", pair.online);
    FMT(e->stranger_table, "%s", pair.table);
    FMT(e->home, "%s/home", e->root);
    FMT(e->ws1, "%s/ws1", e->home);
    FMT(e->ws2, "%s/ws2", e->home);
    FMT(e->user_state, "%s/.local/state/sbx", e->home);
    const char *users[] = {e->caller, e->stranger};
    for (int i = 0; i < 2; i++)
        if (rec_sh("useradd --no-create-home --home-dir %s%s --shell /bin/sh --comment "
                   "'sbx recovery test (temporary)' %s",
                   i ? "/nonexistent-" : e->home, i ? users[i] : "", users[i]) != 0)
            fail_msg("useradd %s", users[i]);
    lookup(e->caller, &e->caller_uid, &e->caller_gid);
    lookup(e->stranger, &e->stranger_uid, &e->stranger_gid);
    if (rec_sh("set -e; mkdir -m 755 %s/bin %s; mkdir -m 1777 %s; cp %s %s; chmod 755 %s; "
               "mkdir -m 700 %s; cd %s; mkdir -m 700 .ssh; echo KEY > .ssh/id; "
               "mkdir -p ws1/src ws1/.git ws2/doc; echo 'int main;' > ws1/src/main.c; "
               "echo head > ws1/.git/HEAD; echo text > ws2/doc/readme; echo mine > ws1/mine.txt; "
               "if [ %u -gt 0 ]; then mkdir ws1/big; cd ws1/big; "
               "seq 0 $(( (%u - 1) / 100 )) | sed 's/^/d/' | xargs mkdir; "
               "seq 0 $((%u - 1)) | awk '{print \"d\" int($1/100) \"/f\" $1}' | xargs touch; fi; "
               "chown -R %s: %s",
               e->root, e->roothome, e->drop, getenv("SBX_BIN"), e->sbx, e->sbx, e->home,
               e->home, files_in_ws1, files_in_ws1, files_in_ws1, e->caller, e->home) != 0)
        fail_msg("building the test's directories under %s", e->root);
    e->snap0 = rec_snapshot(e, true);
}

void rec_env_fini(struct rec_env *e)
{
    if (!e->root[0])
        return;
    /* Whatever is left of this test's names goes, by force; ACL entries
     * left on the machine outside root: the ancestors'. */
    /* (one user a command: pkill and pidwait refuse a list naming a user
     * that is gone already) */
    char users[512];
    FMT(users, "%s %s %s %s %s %s %s %s", e->names.offline, e->names.online, e->caller,
        e->stranger, e->stranger_offline, e->stranger_online, e->shared_offline,
        e->shared_online);
    rec_sh("(for u in %s; do pkill -KILL -u $u; done; "
           "for u in %s; do timeout 10 pidwait -u $u; done; "
           "for u in %s; do userdel $u; done; groupdel %s; groupdel %s; groupdel %s; "
           "for t in %s %s %s; do nft delete table inet $t; done; "
           "for d in /var/tmp /var /; do getfacl -p -n $d | grep -q '^user:[0-9]' && "
           "echo \"warning: $d has named ACL entries\" >&2; done; rm -rf %s) >/dev/null 2>&1",
           users, users, users, e->names.group, e->caller, e->stranger, e->names.table,
           e->stranger_table, e->shared_table, e->root);
    free(e->snap0);
    memset(e, 0, sizeof *e);
}

char *rec_snapshot(const struct rec_env *e, bool with_state)
{
    char path[] = "/tmp/sbxr-snap-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char skip[1024] = "^$";
    if (!with_state)
        FMT(skip, "(^| )(%s(/ledger\\.db[^/ ]*|/plan\\.lock)?|%s/\\.local(/state(/sbx(/[^ ]*)?)?)?)( |$)",
            e->machine, e->home);
    int rc = rec_sh(
        "export LC_ALL=C; ("
        " for f in /etc/passwd /etc/group /etc/shadow /etc/gshadow; do echo \"== $f\";"
        "  grep -E '%s[csx-]|^sbx-|[:,]sbx-(users|offline|online)([:,]|$)' $f | sort; done;"
        " echo '== nft'; nft list tables | grep -v -E 'sbx[a-z]?[0-9]' | sort;"
        " nft list tables | grep -E '%s'; nft -s list table inet %s 2>&1 | grep -v '^ *\\^';"
        " echo '== /var/lib/sbx'; stat -c '%%n %%a %%u %%g' /var/lib/sbx 2>&1;"
        " echo '== acl'; (getfacl -R -p %s; getfacl -p /var/tmp /var /) 2>&1 |"
        "  grep -v '^getfacl: Removing' | awk '/^# file: /{f=$3} NF{print f\" \"$0}' | sort;"
        " echo '== files'; find %s \\( -type f -printf 'f %%m %%u:%%g %%s %%p\\n' \\) -o"
        "  \\( ! -type f -printf '%%y %%m %%u:%%g %%p\\n' \\) | sort"
        ") | grep -v -E '%s' > %s",
        e->tag, e->tag, e->names.table, e->root, e->root, skip, path);
    char *text = read_file(path, NULL);
    unlink(path);
    if (rc > 1 || !text)
        fail_msg("snapshot failed (%d)", rc);
    return text;
}

bool rec_same(const char *before, const char *after, const char *what)
{
    if (strcmp(before, after) == 0)
        return true;
    char a[] = "/tmp/sbxr-before-XXXXXX", b[] = "/tmp/sbxr-after-XXXXXX";
    int fa = mkstemp(a), fb = mkstemp(b);
    assert_true(fa >= 0 && fb >= 0);
    close(fa);
    close(fb);
    write_file(a, before, strlen(before));
    write_file(b, after, strlen(after));
    fprintf(stderr, "the machine differs %s (- before, + after):\n", what);
    fflush(stderr);
    rec_sh("diff -u %s %s | tail -n +3 | grep '^[-+]' | head -80 >&2", a, b);
    unlink(a);
    unlink(b);
    return false;
}

void rec_start(const struct rec_env *e, struct rec_cmd *c)
{
    FMT(c->opath, "/tmp/sbxr-out-XXXXXX");
    FMT(c->epath, "/tmp/sbxr-err-XXXXXX");
    int ofd = mkstemp(c->opath), efd = mkstemp(c->epath);
    assert_true(ofd >= 0 && efd >= 0);
    char home[256], user[64], logname[72], prefix[64], machine[192], launcher[PATH_MAX + 32],
        xdg[256];
    const char *name = c->as_caller ? e->caller : "root";
    FMT(home, "HOME=%s", c->as_caller ? e->home : e->roothome);
    FMT(user, "USER=%s", name);
    FMT(logname, "LOGNAME=%s", name);
    FMT(prefix, "SBX_ELEVATED_PREFIX=%s", e->prefix);
    FMT(machine, "SBX_MACHINE_STATE=%s", e->machine);
    FMT(launcher, "SBX_LAUNCHER_SOURCE=%s", e->launcher_src);
    /* root's own ledger stays inside the test's directory */
    FMT(xdg, "XDG_STATE_HOME=%s/.local/state", e->roothome);
    /* extra_env first: getenv finds the first of two entries */
    const char *envp[20];
    size_t n = 0;
    for (size_t i = 0; i < 6 && c->extra_env[i]; i++)
        envp[n++] = c->extra_env[i];
    const char *std[] = {home, user, logname, "PATH=/usr/bin:/bin:/usr/sbin:/sbin", prefix,
                         machine, launcher, c->as_caller ? NULL : xdg};
    for (size_t i = 0; i < 8 && std[i]; i++)
        envp[n++] = std[i];
    envp[n] = NULL;
    const char *argv[42] = {e->sbx};
    for (size_t i = 0; i < 40 && c->argv[i]; i++)
        argv[i + 1] = c->argv[i];
    fflush(NULL);
    c->pid = fork();
    assert_true(c->pid >= 0);
    if (c->pid == 0) {
        dup2(ofd, 1);
        dup2(efd, 2);
        int null = open("/dev/null", O_RDONLY);
        dup2(null, 0);
        if (c->as_caller && (initgroups(e->caller, e->caller_gid) != 0 ||
                             setresgid(e->caller_gid, e->caller_gid, e->caller_gid) != 0 ||
                             setresuid(e->caller_uid, e->caller_uid, e->caller_uid) != 0))
            _exit(99);
        if (chdir(c->cwd ? c->cwd : e->ws1) != 0 && chdir("/") != 0)
            _exit(98);
        execve(e->sbx, (char *const *)argv, (char *const *)envp);
        _exit(97);
    }
    close(ofd);
    close(efd);
}

int rec_wait(struct rec_cmd *c)
{
    int st = 0;
    while (waitpid(c->pid, &st, 0) < 0)
        if (errno != EINTR)
            fail_msg("waitpid: %s", strerror(errno));
    c->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    c->out = read_file(c->opath, NULL);
    c->err = read_file(c->epath, NULL);
    if (!c->out)
        c->out = strdup("");
    if (!c->err)
        c->err = strdup("");
    unlink(c->opath);
    unlink(c->epath);
    return c->status;
}

void rec_cmd_free(struct rec_cmd *c)
{
    free(c->out);
    free(c->err);
    c->out = c->err = NULL;
}

static int vrun(const struct rec_env *e, bool as_caller, const char *const *extra_env, char **out,
                char **err, va_list ap)
{
    struct rec_cmd c = {.as_caller = as_caller};
    for (size_t i = 0; extra_env && extra_env[i] && i < 6; i++)
        c.extra_env[i] = extra_env[i];
    size_t n = 0;
    for (const char *a; n < 39 && (a = va_arg(ap, const char *));)
        c.argv[n++] = a;
    rec_start(e, &c);
    int st = rec_wait(&c);
    if (out)
        *out = c.out;
    else
        free(c.out);
    if (err)
        *err = c.err;
    else
        free(c.err);
    return st;
}

int rec_sbx(const struct rec_env *e, bool as_caller, const char *const *extra_env, char **out,
            char **err, ...)
{
    va_list ap;
    va_start(ap, err);
    int st = vrun(e, as_caller, extra_env, out, err, ap);
    va_end(ap);
    return st;
}

void rec_sbx_ok(const struct rec_env *e, bool as_caller, int want, ...)
{
    va_list ap, copy;
    va_start(ap, want);
    va_copy(copy, ap);
    char *out = NULL, *err = NULL;
    int st = vrun(e, as_caller, NULL, &out, &err, ap);
    va_end(ap);
    if (st != want) {
        char cmd[512] = "";
        size_t off = 0;
        for (const char *a; (a = va_arg(copy, const char *)) && off < sizeof cmd - 64;)
            off += (size_t)snprintf(cmd + off, sizeof cmd - off, " %.60s", a);
        va_end(copy);
        static char msg[16384];
        snprintf(msg, sizeof msg, "sbx%s (as %s): exit %d, expected %d\nstdout: %.6000s\nstderr: %.6000s",
                 cmd, as_caller ? e->caller : "root", st, want, out, err);
        free(out);
        free(err);
        fail_msg("%s", msg);
    }
    va_end(copy);
    free(out);
    free(err);
}

void rec_unelevated_setup(const struct rec_env *e)
{
    rec_sbx_ok(e, true, 0, "setup", "--mode", "unelevated", NULL);
    rec_sbx_ok(e, true, 0, "workspace", "add", e->ws1, NULL);
    rec_sbx_ok(e, true, 0, "workspace", "add", e->ws2, NULL);
}

void rec_member_b(const struct rec_env *e, struct rec_env *b)
{
    *b = *e;
    snprintf(b->caller, sizeof b->caller, "%s", e->stranger);
    b->caller_uid = e->stranger_uid;
    b->caller_gid = e->stranger_gid;
    snprintf(b->home, sizeof b->home, "%s/bhome", e->root);
    snprintf(b->ws1, sizeof b->ws1, "%s/ws", b->home);
    assert_int_equal(rec_sh("set -e; usermod -d %s %s; mkdir -m 700 %s; mkdir %s; "
                            "echo b-data > %s/data; chown -R %s: %s",
                            b->home, e->stranger, b->home, b->ws1, b->ws1, e->stranger,
                            b->home),
                     0);
}

unsigned rec_migrate_every_fault(struct rec_env *e, unsigned max_k,
                                 void (*setup)(const struct rec_env *e),
                                 void (*check)(const struct rec_env *e, const char *label),
                                 void (*finish)(const struct rec_env *e, const char *label))
{
    for (unsigned k = 1; k <= max_k; k++) {
        for (int how = 0; how < 3; how++) {
            rec_env_init(e, 0);
            setup(e);
            char spec[32], fault[48];
            snprintf(spec, sizeof spec, "%s:%u", how == 2 ? "fail" : "crash", k);
            snprintf(fault, sizeof fault, "SBX_FAULT=%s", spec);
            const char *env[] = {fault, NULL};
            char *err = NULL;
            int st = rec_sbx(e, false, env, NULL, &err, "migrate", NULL);
            free(err);
            if (st == 0) {
                /* Past the last operation: every one was tried. */
                check(e, spec);
                finish(e, spec);
                rec_env_fini(e);
                return k - 1;
            }
            if (st != (how == 2 ? 125 : 137))
                fail_msg("SBX_FAULT=%s: exit %d", spec, st);
            if (how == 0)
                rec_sbx_ok(e, false, 0, "migrate", "--resume", NULL);
            rec_sbx_ok(e, false, 0, "migrate", NULL);
            char label[64];
            snprintf(label, sizeof label, "%s (%s)", spec,
                     how == 0 ? "resumed" : how == 1 ? "rolled back" : "failed");
            check(e, label);
            finish(e, label);
            rec_env_fini(e);
        }
    }
    fail_msg("more than %u operations?", max_k);
    return 0;
}

void rec_back_to_start(const struct rec_env *e, const char *given_back, const char *what)
{
    rec_cleanup_all(e);
    assert_false(rec_has_open_plan(e, false));
    if (given_back)
        rec_check_given_back(e, given_back);
    char *after = rec_snapshot(e, true);
    char label[256];
    snprintf(label, sizeof label, "%s, then cleanup", what);
    bool same = rec_same(e->snap0, after, label);
    free(after);
    if (!same)
        fail_msg("%s: the machine is not as before sbx ran", label);
}

void rec_elevated_setup(const struct rec_env *e)
{
    rec_unelevated_setup(e);
    rec_sbx_ok(e, false, 0, "migrate", "--to", "elevated", "--user", e->caller, NULL);
    rec_sbx_ok(e, true, 0, "run", "--", "sh", "-c", "echo made > made-by-sandbox", NULL);
}

void rec_cleanup_all(const struct rec_env *e)
{
    rec_sbx_ok(e, false, 0, "cleanup", NULL);
    rec_sbx_ok(e, true, 0, "cleanup", NULL);
}

void rec_check_given_back(const struct rec_env *e, const char *pattern)
{
    char path[] = "/tmp/sbxr-made-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    /* owner, then any named entry (user:NAME: / group:NAME: / default:) */
    rec_sh("cd %s && for f in $(find . -name '%s'); do echo \"$f $(stat -c %%u $f) "
           "$(getfacl -p -n -c $f 2>/dev/null | grep -c -E '^(default:|(user|group):[^:]+:)')\"; "
           "done > %s",
           e->home, pattern, path);
    char *list = read_file(path, NULL);
    unlink(path);
    assert_non_null(list);
    char *save = NULL;
    for (char *line = strtok_r(list, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char name[512];
        unsigned uid = 0, named = 0;
        if (sscanf(line, "%511s %u %u", name, &uid, &named) != 3)
            fail_msg("bad listing line: %s", line);
        if (uid != (unsigned)e->caller_uid || named != 0) {
            static char msg[1024];
            snprintf(msg, sizeof msg, "%s", name);
            free(list);
            rec_sh("cd %s && getfacl -p -n %s >&2", e->home, msg);
            fail_msg("%s/%s, made by the sandbox, was not given back after cleanup: owner uid %u "
                     "(the caller is %u), %u named ACL entries left",
                     e->home, msg, uid, (unsigned)e->caller_uid, named);
        }
    }
    free(list);
    rec_sh("find %s -name '%s' -delete", e->home, pattern);
}

bool rec_status_open_plan(const char *s)
{
    const char *p = s ? strstr(s, "\"interrupted_plan\":") : NULL;
    return p && strncmp(p + strlen("\"interrupted_plan\":"), "null", 4) != 0;
}

unsigned rec_count_os_ops(const char *json, unsigned doc)
{
    const char *p = json;
    for (unsigned i = 0; i <= doc; i++) {
        p = strstr(p, "\"operations\":[");
        if (!p)
            return 0;
        p += strlen("\"operations\":[");
    }
    const char *end = strstr(p, "]}");
    unsigned n = 0;
    for (const char *k = strstr(p, "\"kind\":\""); k && end && k < end;
         k = strstr(k + 1, "\"kind\":\"")) {
        const char *v = k + strlen("\"kind\":\"");
        if (strncmp(v, "mode\"", 5) && strncmp(v, "workspace\"", 10) &&
            strncmp(v, "capability_sid\"", 15))
            n++;
    }
    return n;
}

int rec_run_k_tests(const char *group, const char *prefix, void (*count)(void **state),
                    unsigned (*counted)(void), void (*one_k)(void **state),
                    void (*in_rollback)(void **state), const struct CMUnitTest *extra,
                    size_t n_extra)
{
    static struct rec_kcase cases[4 * REC_MAX_K];
    static char names[4 * REC_MAX_K][64];
    static struct CMUnitTest tests[4 * REC_MAX_K + 16];
    static const char *const how_name[] = {"crash_rollback", "crash_resume", "fail"};
    assert_true(n_extra <= 15);
    /* First the count, alone: the K tests are made for exactly the
     * operations there are (none skipped, none left out). */
    char count_group[128];
    snprintf(count_group, sizeof count_group, "%s (counting the operations)", group);
    const struct CMUnitTest first[] = {{"count_operations", count, NULL, rec_teardown, NULL}};
    int failures = _cmocka_run_group_tests(count_group, first, 1, NULL, NULL);
    unsigned n_ops = failures ? 0 : counted();
    if (n_ops > REC_MAX_K) {
        fprintf(stderr, "%s: %u operations, more than REC_MAX_K (%d): raise it\n", group, n_ops,
                REC_MAX_K);
        n_ops = 0;
        failures++;
    }
    size_t n = 0;
    for (unsigned k = 1; k <= n_ops; k++)
        for (int how = 0; how < 3; how++) {
            size_t i = (k - 1) * 3 + (size_t)how;
            cases[i] = (struct rec_kcase){k, (enum rec_recovery)how};
            snprintf(names[i], sizeof names[i], "%s_%s_K%u", prefix, how_name[how], k);
            tests[n++] = (struct CMUnitTest){names[i], one_k, NULL, rec_teardown, &cases[i]};
        }
    for (unsigned k = 2; in_rollback && k <= n_ops; k++) {
        size_t i = 3 * REC_MAX_K + k - 1;
        cases[i] = (struct rec_kcase){k, REC_FAIL_INSTEAD};
        snprintf(names[i], sizeof names[i], "%s_crash_in_rollback_K%u", prefix, k);
        tests[n++] = (struct CMUnitTest){names[i], in_rollback, NULL, rec_teardown, &cases[i]};
    }
    for (size_t i = 0; i < n_extra; i++)
        tests[n++] = extra[i];
    if (n > 0)
        failures += _cmocka_run_group_tests(group, tests, n, NULL, NULL);
    return failures ? 1 : 0;
}

bool rec_has_open_plan(const struct rec_env *e, bool as_caller)
{
    char *out = NULL;
    int st = as_caller ? rec_sbx(e, true, NULL, &out, NULL, "status", "--json", NULL)
                       : rec_sbx(e, false, NULL, &out, NULL, "status", "--json", "--state",
                                 e->machine, NULL);
    assert_int_equal(st, 0);
    bool open = rec_status_open_plan(out);
    free(out);
    return open;
}

void rec_crash_in_rollback_test(void **state, unsigned n_ops,
                                void (*setup)(const struct rec_env *e),
                                int (*command)(const struct rec_env *e, const char *spec,
                                               char **err),
                                void (*finish)(const struct rec_env *e, const char *spec))
{
    const unsigned k = ((const struct rec_kcase *)*state)->k;
    if (k > n_ops)
        fail_msg("K=%u, but only %u operations were counted", k, n_ops);
    static struct rec_env world;
    const struct rec_env *e = &world;
    rec_env_init(&world, 0);
    for (unsigned m = k + 1; m <= 2 * k - 1; m++) {
        char spec[48], *err = NULL;
        snprintf(spec, sizeof spec, "fail:%u,crash:%u", k, m);
        setup(e);
        int st = command(e, spec, &err);
        static char msg[4096];
        snprintf(msg, sizeof msg, "%.4000s", err ? err : "");
        free(err);
        if (st != 137 && (st != 125 || !strstr(msg, "rolled back")))
            fail_msg("SBX_FAULT=%s should kill sbx in the rollback (137): exit %d: %s", spec, st,
                     msg);
        finish(e, spec);
        /* Past the rollback's last operation (an earlier plan of the same
         * command, committed, is not part of it): the failure was simply
         * rolled back, and so it goes for every later M. */
        if (st == 125) {
            fprintf(stderr, "fail:%u: its rollback has %u operations\n", k, m - k - 1);
            break;
        }
    }
    rec_env_fini(&world);
}
