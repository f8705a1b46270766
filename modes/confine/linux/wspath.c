/* Workspace resolution and the list of directories that are never a
 * workspace. */
#include "modes/confine/linux/wspath.h"

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"

bool sbx_path_within(const char *path, const char *root)
{
    size_t n = strlen(root);
    if (n == 1 && root[0] == '/')
        return path[0] == '/';
    return strncmp(path, root, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* System trees: the directory and everything beneath it.  Writing there
 * means changing what the system (or every later shell) executes or
 * trusts, so no subdirectory is acceptable either. */
static const char *const system_trees[] = {
    "/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32",
    "/proc", "/run", "/sbin", "/sys", "/usr",
};

/* Roots that hold many unrelated things (other users' homes, services'
 * data, shared temporary files): refused themselves, while a project
 * directory beneath them (/srv/app, /tmp/build, /var/www/site) is fine. */
static const char *const shared_roots[] = {
    "/", "/home", "/media", "/mnt", "/opt", "/root", "/srv", "/tmp", "/var", "/var/tmp",
    "/var/lib", "/var/log",
};

/* Beneath the home: secrets and the keys that let anyone log in. */
static const char *const home_secret_dirs[] = {"/.ssh", "/.gnupg"};

static const char *home_danger(const char *dir, const char *home)
{
    if (!home || home[0] != '/')
        return NULL;
    char canon[PATH_MAX];
    /* The home may itself be a symlink (/home -> /usr/home). */
    const char *h = realpath(home, canon) ? canon : home;
    if (sbx_path_within(h, dir))
        return "is the user's home directory or contains it";
    for (size_t i = 0; i < sizeof home_secret_dirs / sizeof home_secret_dirs[0]; i++) {
        /* A home of "/" must give "/.ssh", not "//.ssh". */
        char secret[PATH_MAX], real[PATH_MAX];
        if ((size_t)snprintf(secret, sizeof secret, "%s%s", h[1] ? h : "", home_secret_dirs[i]) >=
            sizeof secret)
            continue;
        /* ~/.ssh may be a symlink (dotfile managers): the directory it
         * points to holds the keys just the same. */
        if (sbx_path_within(dir, secret) ||
            (realpath(secret, real) && sbx_path_within(dir, real)))
            return "holds the user's keys (~/.ssh, ~/.gnupg)";
    }
    return NULL;
}

const char *sbx_ws_danger(const char *dir, const char *home, const char *env_home)
{
    for (size_t i = 0; i < sizeof system_trees / sizeof system_trees[0]; i++)
        if (sbx_path_within(dir, system_trees[i]))
            return "is a system directory";
    for (size_t i = 0; i < sizeof shared_roots / sizeof shared_roots[0]; i++)
        if (strcmp(dir, shared_roots[i]) == 0)
            return "is a shared system root";
    const char *why = home_danger(dir, home);
    if (!why)
        why = home_danger(dir, env_home);
    return why;
}

int sbx_ws_resolve(const char *arg, uid_t uid, char *out, size_t out_len, struct sbx_error *err)
{
    if (!arg || !*arg)
        return sbx_err_set(err, SBX_EINVAL, "workspace: empty path");
    char real[PATH_MAX];
    if (!realpath(arg, real)) {
        int e = errno;
        return sbx_err_sys(err, SBX_EINVAL, e,
                           "workspace %s: cannot be resolved (it must be an existing "
                           "directory)", arg);
    }
    struct stat st;
    if (stat(real, &st) < 0)
        return sbx_err_sys(err, SBX_EINVAL, errno, "workspace %s: stat %s", arg, real);
    if (!S_ISDIR(st.st_mode))
        return sbx_err_set(err, SBX_EINVAL, "workspace %s: %s is not a directory", arg, real);

    /* The home comes from the password database of the real uid: $HOME
     * alone is whatever the environment says. */
    struct passwd pw, *res = NULL;
    long bufsz = sysconf(_SC_GETPW_R_SIZE_MAX);
    if (bufsz < 16384)
        bufsz = 16384;
    sbx_autofree char *buf = malloc((size_t)bufsz);
    if (!buf)
        return sbx_err_set(err, SBX_ENOMEM, "workspace %s: out of memory", arg);
    const char *home = NULL;
    if (getpwuid_r(uid, &pw, buf, (size_t)bufsz, &res) == 0 && res)
        home = res->pw_dir;

    const char *why = sbx_ws_danger(real, home, getenv("HOME"));
    if (why) {
        if (strcmp(real, arg) == 0)
            return sbx_err_set(err, SBX_EINVAL,
                               "workspace %s %s: refusing to make it writable; pass a "
                               "project directory instead", arg, why);
        return sbx_err_set(err, SBX_EINVAL,
                           "workspace %s resolves to %s, which %s: refusing to make it "
                           "writable; pass a project directory instead", arg, real, why);
    }
    if (strlen(real) >= out_len)
        return sbx_err_set(err, SBX_EINVAL, "workspace %s: resolved path too long", arg);
    memcpy(out, real, strlen(real) + 1);
    return 0;
}
