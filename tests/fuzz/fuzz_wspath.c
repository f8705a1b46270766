/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the workspace-path checks of the confinement run-time
 * (modes/confine/linux/wspath.c): sbx_path_within, sbx_ws_danger and
 * sbx_ws_resolve.
 *
 * An input is up to four lines: DIR, HOME, ENV_HOME, EXTRA.  A missing
 * HOME or ENV_HOME is NULL.  "@F" anywhere stands for a fixture directory
 * the target makes at start (canonical, under /tmp):
 *     @F/home            a home: .gnupg is a directory, .ssh a symlink to
 *                        @F/keys/ssh (dotfile managers do this)
 *     @F/homelink        a symlink to @F/home (a home behind a symlink)
 *     @F/keys/ssh        where @F/home/.ssh really is
 *     @F/work/app        an ordinary project directory
 *     @F/work/planted    a symlink to app, where a sandbox could have made it
 * so the checks that resolve paths (the home, the workspace) meet real
 * symlinks.  Beyond "no crash, no undefined behaviour, no leak":
 *
 * sbx_path_within(path, root), for any strings:
 *   W1  within(a, a); within(a, "/") iff a is absolute; within(a, b) implies
 *       b is a prefix of a; within(b + "/" + x, b).
 *   For canonical paths (absolute, no "//", ".", "..", no trailing "/"):
 *   W2  within(a, b) iff b's components are the first components of a's
 *       (an independent, component-wise definition); antisymmetric;
 *       transitive.
 * sbx_ws_danger(dir, home, env_home), for a canonical dir:
 *   D1  "/" and every path within a system tree (/usr, /etc, /proc, ...)
 *       is refused, whatever the homes say; every shared root (/home, /tmp,
 *       /var, ...) itself is refused;
 *   D2  adding a home never lifts a refusal, and which argument holds the
 *       home does not matter: refused(d, h, e) == refused(d, e, h), and
 *       refused(d, NULL, NULL) implies refused(d, h, e);
 *   D3  for each home given (and the caller's own home from the password
 *       database and $HOME), canonicalised as the code does: every ancestor
 *       of it, itself included, is refused;
 *   D4  home/.ssh, .gnupg, .config and .local and everything beneath them
 *       are refused,
 *       and so is the directory they really are when they are symlinks
 *       (a workspace named by its real path must not dodge the list);
 *   D5  a refusal is a non-empty reason, and the answer is deterministic.
 * sbx_ws_resolve(DIR as typed, the caller's uid, out of EXTRA-chosen size):
 *   S1  on success out is realpath(DIR), a directory, fits the buffer
 *       (ASan: the buffer is exactly that size) and is not refused for the
 *       caller (D1-D4 hold for it); on failure -SBX_EINVAL with a message.
 *   S2  on success, no symlink met on the way lies in a directory a
 *       sandbox could have written: each one's directory is a system
 *       directory or shared root, the caller's home or one of its
 *       ancestors with no group or other write, or (caller not root) a
 *       root-owned directory with no group or other write.  The fixture's
 *       @F/work/planted -> app is one that must be refused.
 *
 * Any broken invariant aborts, so libFuzzer keeps the input as a crash
 * artifact: run the target on that file to reproduce. */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "modes/confine/linux/wspath.h"
#include "util/error.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void rm_fixture(void);

/* abort() skips atexit: take the fixture away first. */
#define FUZZ_TARGET "fuzz_wspath"
#define FUZZ_BEFORE_ABORT() rm_fixture()
#include "tests/fuzz/fuzz_check.h"

/* What wspath.c refuses today, copied: a tree or root that leaves this
 * list without this target changing with it is a loosening to look at.
 * (Adding to wspath.c's lists never breaks this target.) */
static const char *const system_trees[] = {
    "/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32",
    "/proc", "/run", "/sbin", "/sys", "/usr", "/var/cache", "/var/lib", "/var/spool",
};
static const char *const shared_roots[] = {
    "/", "/home", "/media", "/mnt", "/opt", "/root", "/srv", "/tmp", "/var", "/var/tmp",
    "/var/log",
};
static const char *const secrets[] = {".ssh", ".gnupg", ".config", ".local"};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static char fixture[PATH_MAX];
static char *pw_home;    /* the caller's home in the password database */
static char *env_home_0; /* $HOME at start */

/* ---- small string helpers (all on the heap, so ASan sees them) ---- */

static char *dupn(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    CHECK(p, "out of memory");
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static char *cat3(const char *a, const char *b, const char *c)
{
    size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
    char *p = malloc(la + lb + lc + 1);
    CHECK(p, "out of memory");
    memcpy(p, a, la);
    memcpy(p + la, b, lb);
    memcpy(p + la + lb, c, lc + 1);
    return p;
}

/* "@F" -> the fixture directory. */
static char *expand(const char *s, size_t n)
{
    size_t flen = strlen(fixture), count = 0;
    for (size_t i = 0; i + 1 < n; i++)
        if (s[i] == '@' && s[i + 1] == 'F')
            count++, i++;
    char *out = malloc(n + count * flen + 1), *o = out;
    CHECK(out, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (i + 1 < n && s[i] == '@' && s[i + 1] == 'F') {
            memcpy(o, fixture, flen);
            o += flen;
            i++;
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

/* Absolute, no empty, "." or ".." component, no trailing "/" (but "/"). */
static bool canonical(const char *s)
{
    if (s[0] != '/')
        return false;
    if (s[1] == '\0')
        return true;
    const char *p = s;
    while (*p) {
        const char *c = p + 1, *e = strchr(c, '/');
        size_t len = e ? (size_t)(e - c) : strlen(c);
        if (len == 0 || (len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
            return false;
        p = c + len;
    }
    return true;
}

/* W2's independent definition: b's components are a prefix of a's. */
static bool ref_within(const char *a, const char *b)
{
    const char *pa = a, *pb = b;
    for (;;) {
        while (*pb == '/')
            pb++;
        while (*pa == '/')
            pa++;
        if (!*pb)
            return true;
        size_t lb = strcspn(pb, "/"), la = strcspn(pa, "/");
        if (la != lb || memcmp(pa, pb, la) != 0)
            return false;
        pa += la;
        pb += lb;
    }
}

static bool refused(const char *dir, const char *home, const char *env)
{
    const char *why = sbx_ws_danger(dir, home, env);
    CHECK(!why || why[0], "D5: empty reason for %s", dir);
    CHECK(sbx_ws_danger(dir, home, env) == why, "D5: two answers for %s", dir);
    return why != NULL;
}

/* ---- sbx_path_within ---- */

static void check_within(const char *a, const char *b)
{
    CHECK(sbx_path_within(a, a), "W1: within('%s', itself) is false", a);
    CHECK(sbx_path_within(a, "/") == (a[0] == '/'), "W1: within('%s', '/')", a);
    if (sbx_path_within(a, b))
        CHECK(strncmp(a, b, strlen(b)) == 0, "W1: within('%s', '%s') without the prefix", a, b);
    char *below = cat3(b, "/", "x");
    CHECK(sbx_path_within(below, b), "W1: within('%s', '%s') is false", below, b);
    free(below);
    if (canonical(a) && canonical(b)) {
        CHECK(sbx_path_within(a, b) == ref_within(a, b), "W2: within('%s', '%s') is %d", a, b,
              sbx_path_within(a, b));
        if (sbx_path_within(a, b) && sbx_path_within(b, a))
            CHECK(strcmp(a, b) == 0, "W2: '%s' and '%s' within each other", a, b);
    }
}

static void check_transitive(const char *a, const char *b, const char *c)
{
    if (canonical(a) && canonical(b) && canonical(c) && sbx_path_within(a, b) &&
        sbx_path_within(b, c))
        CHECK(sbx_path_within(a, c), "W2: '%s' within '%s' within '%s', not transitive", a, b, c);
}

/* ---- sbx_ws_danger ---- */

/* D1 and D2 for one canonical dir. */
static void check_dir(const char *dir, const char *home, const char *env)
{
    bool system = strcmp(dir, "/") == 0;
    for (size_t i = 0; i < N(system_trees); i++)
        system = system || ref_within(dir, system_trees[i]);
    bool shared = false;
    for (size_t i = 0; i < N(shared_roots); i++)
        shared = shared || strcmp(dir, shared_roots[i]) == 0;
    bool bare = refused(dir, NULL, NULL), both = refused(dir, home, env);
    if (system || shared) {
        CHECK(bare && both, "D1: %s '%s' allowed (home '%s', env '%s')",
              system ? "system path" : "shared root", dir, home ? home : "(none)",
              env ? env : "(none)");
    }
    CHECK(both == refused(dir, env, home), "D2: refusal of '%s' depends on the argument order",
          dir);
    if (bare)
        CHECK(both, "D2: '%s' refused without a home, allowed with home '%s' / env '%s'", dir,
              home ? home : "(none)", env ? env : "(none)");
    if (home)
        CHECK(!refused(dir, home, NULL) || both, "D2: a second home lifted a refusal of '%s'",
              dir);
    if (env)
        CHECK(!refused(dir, NULL, env) || both, "D2: a second home lifted a refusal of '%s'",
              dir);
}

/* Refused whichever argument carries the home, and beside any other. */
static void check_refused_for_home(const char *dir, const char *home, const char *other,
                                   const char *rule)
{
    CHECK(refused(dir, home, NULL) && refused(dir, NULL, home) && refused(dir, home, other) &&
              refused(dir, other, home),
          "%s: '%s' allowed for home '%s'", rule, dir, home);
}

/* D3, D4 for one home string, as the password database or $HOME has it. */
static void check_home(const char *home, const char *other, const char *dir)
{
    if (!home || home[0] != '/')
        return;
    char canon[PATH_MAX];
    const char *h = realpath(home, canon) ? canon : home;
    if (!canonical(h))
        return; /* a home that does not exist, written oddly: nothing to say */
    /* D3: h itself and every ancestor up to "/". */
    char *anc = dupn(h, strlen(h));
    for (;;) {
        check_refused_for_home(anc, home, other, "D3 (ancestor of the home)");
        char *slash = strrchr(anc, '/');
        if (slash == anc) {
            if (anc[1] == '\0')
                break;
            anc[1] = '\0';
        } else {
            *slash = '\0';
        }
    }
    free(anc);
    /* D4: the secret directories, beneath them, and what they really are. */
    const char *leaf = "x";
    if (dir && canonical(dir) && dir[1]) {
        leaf = strrchr(dir, '/') + 1;
    }
    const char *base = h[1] ? h : "";
    for (size_t i = 0; i < N(secrets); i++) {
        char *s = cat3(base, "/", secrets[i]);
        check_refused_for_home(s, home, other, "D4 (the home's keys)");
        char *below = cat3(s, "/", leaf);
        check_refused_for_home(below, home, other, "D4 (beneath the home's keys)");
        free(below);
        char real[PATH_MAX];
        struct stat st;
        if (realpath(s, real) && stat(real, &st) == 0 && S_ISDIR(st.st_mode)) {
            check_refused_for_home(real, home, other, "D4 (the home's keys, by real path)");
            below = cat3(real, "/", leaf);
            check_refused_for_home(below, home, other, "D4 (beneath the home's keys, real path)");
            free(below);
        }
        free(s);
    }
}

/* ---- sbx_ws_resolve ---- */

/* S2's rule for the directory dir (canonical) that holds a symlink. */
static bool link_dir_trusted(const char *dir)
{
    for (size_t i = 0; i < N(system_trees); i++)
        if (ref_within(dir, system_trees[i]))
            return true;
    for (size_t i = 0; i < N(shared_roots); i++)
        if (strcmp(dir, shared_roots[i]) == 0)
            return true;
    struct stat st;
    if (stat(dir, &st) != 0)
        return true; /* gone meanwhile: nothing to say */
    bool others = (st.st_mode & (S_IWGRP | S_IWOTH)) != 0;
    const char *homes[] = {pw_home, getenv("HOME")};
    for (size_t i = 0; i < 2; i++) {
        char canon[PATH_MAX];
        if (homes[i] && homes[i][0] == '/' && realpath(homes[i], canon) &&
            ref_within(canon, dir) && !others)
            return true;
    }
    return getuid() != 0 && st.st_uid == 0 && !others;
}

/* The first symlink met resolving arg (as the code walks: component by
 * component, ".." physical) whose directory S2 does not trust; NULL when
 * there is none (or the walk fails: S1 covers failures). */
static char *untrusted_link_on_the_way(const char *arg)
{
    char canon[PATH_MAX], rest[2 * PATH_MAX], tmp[2 * PATH_MAX];
    if (strlen(arg) >= PATH_MAX)
        return NULL;
    if (arg[0] == '/')
        snprintf(canon, sizeof canon, "/");
    else if (!getcwd(canon, sizeof canon))
        return NULL;
    snprintf(rest, sizeof rest, "%s", arg);
    size_t pos = 0;
    for (int links = 0; links <= 40;) {
        while (rest[pos] == '/')
            pos++;
        if (!rest[pos])
            return NULL;
        size_t end = pos;
        while (rest[end] && rest[end] != '/')
            end++;
        char comp[NAME_MAX + 1];
        if (end - pos > NAME_MAX)
            return NULL;
        memcpy(comp, rest + pos, end - pos);
        comp[end - pos] = '\0';
        pos = end;
        if (strcmp(comp, ".") == 0)
            continue;
        if (strcmp(comp, "..") == 0) {
            char *slash = strrchr(canon, '/');
            if (slash == canon)
                canon[1] = '\0';
            else
                *slash = '\0';
            continue;
        }
        char path[PATH_MAX + NAME_MAX + 2];
        snprintf(path, sizeof path, "%s%s%s", canon, canon[1] ? "/" : "", comp);
        struct stat st;
        if (lstat(path, &st) != 0)
            return NULL;
        if (S_ISLNK(st.st_mode)) {
            links++;
            if (!link_dir_trusted(canon))
                return dupn(path, strlen(path));
            char target[PATH_MAX];
            ssize_t n = readlink(path, target, sizeof target - 1);
            if (n <= 0)
                return NULL;
            target[n] = '\0';
            snprintf(tmp, sizeof tmp, "%s/%s", target, rest + pos);
            snprintf(rest, sizeof rest, "%s", tmp);
            pos = 0;
            if (target[0] == '/')
                snprintf(canon, sizeof canon, "/");
            continue;
        }
        if (strlen(path) >= sizeof canon)
            return NULL;
        snprintf(canon, sizeof canon, "%s", path);
    }
    return NULL;
}

static void check_resolve(const char *arg, size_t out_len)
{
    char *out = malloc(out_len ? out_len : 1);
    CHECK(out, "out of memory");
    struct sbx_error err = {0};
    int rc = sbx_ws_resolve(arg, getuid(), out, out_len, &err);
    if (rc == 0) {
        char real[PATH_MAX];
        CHECK(strnlen(out, out_len) < out_len, "S1: out not terminated in %zu bytes", out_len);
        CHECK(realpath(arg, real) && strcmp(real, out) == 0, "S1: '%s' resolved to '%s'", arg,
              out);
        struct stat st;
        CHECK(stat(out, &st) == 0 && S_ISDIR(st.st_mode), "S1: '%s' is not a directory", out);
        const char *env = getenv("HOME");
        CHECK(!refused(out, pw_home, env), "S1: resolved '%s' to refused '%s'", arg, out);
        check_dir(out, pw_home, env);
        check_home(pw_home, env, out);
        check_home(env, pw_home, out);
        char *link = untrusted_link_on_the_way(arg);
        CHECK(!link, "S2: '%s' resolved through the symlink %s, which a sandbox could have made",
              arg, link ? link : "");
        free(link);
    } else {
        CHECK(rc == -SBX_EINVAL && err.code == SBX_EINVAL && err.msg[0],
              "S1: '%s' refused with %d (code %d): '%s'", arg, rc, err.code, err.msg);
    }
    free(out);
}

/* ---- the fixture ---- */

static void rm_fixture(void)
{
    if (!fixture[0])
        return;
    const char *rel[] = {"home/.ssh", "home/.gnupg", "home", "homelink", "keys/ssh", "keys",
                         "work/planted", "work/app", "work", ""};
    for (size_t i = 0; i < N(rel); i++) {
        char p[PATH_MAX + 64];
        snprintf(p, sizeof p, "%s/%s", fixture, rel[i]);
        if (unlink(p) != 0)
            rmdir(p);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char tmpl[] = "/tmp/sbx-fuzz-wspath.XXXXXX";
    CHECK(mkdtemp(tmpl), "mkdtemp: %s", strerror(errno));
    CHECK(realpath(tmpl, fixture), "realpath %s: %s", tmpl, strerror(errno));
    const char *dirs[] = {"home", "home/.gnupg", "keys", "keys/ssh", "work", "work/app"};
    for (size_t i = 0; i < N(dirs); i++) {
        char p[PATH_MAX + 64];
        snprintf(p, sizeof p, "%s/%s", fixture, dirs[i]);
        CHECK(mkdir(p, 0700) == 0, "mkdir %s: %s", p, strerror(errno));
    }
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/home/.ssh", fixture);
    CHECK(symlink("../keys/ssh", p) == 0, "symlink %s: %s", p, strerror(errno));
    snprintf(p, sizeof p, "%s/homelink", fixture);
    CHECK(symlink("home", p) == 0, "symlink %s: %s", p, strerror(errno));
    snprintf(p, sizeof p, "%s/work/planted", fixture);
    CHECK(symlink("app", p) == 0, "symlink %s: %s", p, strerror(errno));
    atexit(rm_fixture);

    struct passwd *pw = getpwuid(getuid());
    if (pw && pw->pw_dir)
        pw_home = dupn(pw->pw_dir, strlen(pw->pw_dir));
    const char *e = getenv("HOME");
    if (e)
        env_home_0 = dupn(e, strlen(e));
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    /* Stop at a NUL: the functions take C strings. */
    size = strnlen(s, size);
    char *piece[4] = {NULL, NULL, NULL, NULL};
    size_t np = 0, start = 0;
    for (size_t i = 0; i <= size && np < 4; i++) {
        if (i == size || s[i] == '\n') {
            piece[np++] = expand(s + start, i - start);
            start = i + 1;
        }
    }
    const char *dir = piece[0], *home = piece[1], *env = piece[2], *extra = piece[3];

    check_within(dir, dir);
    if (home) {
        check_within(dir, home);
        check_within(home, dir);
    }
    if (env) {
        check_within(dir, env);
        check_within(env, dir);
    }
    if (home && env) {
        check_transitive(dir, home, env);
        check_transitive(env, home, dir);
        check_transitive(home, dir, env);
    }

    if (canonical(dir))
        check_dir(dir, home, env);
    check_home(home, env, dir);
    check_home(env, home, dir);
    if (canonical(dir)) {
        /* The caller's own homes, as sbx_ws_resolve will pass them. */
        check_dir(dir, pw_home, env_home_0);
        check_home(pw_home, env_home_0, dir);
    }

    /* Resolve what was typed, into a buffer EXTRA chooses. */
    if (dir[0]) {
        size_t out_len = PATH_MAX;
        if (extra && extra[0])
            out_len = (size_t)(unsigned char)extra[0] % 64 + strlen(extra);
        check_resolve(dir, out_len);
    }

    for (size_t i = 0; i < np; i++)
        free(piece[i]);
    return 0;
}
