/* SPDX-License-Identifier: MIT */
/* The sandbox's own caches (modes/common/cache_env.h): made on the first
 * unelevated run, shown by sbx status, emptied by sbx cache clear, removed
 * by sbx cleanup (they are resources of the ledger). */
#include "cli/cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/converge.h"
#include "modes/common/cache_env.h"
#include "util/limits.h"

#ifndef _WIN32
#include "modes/elevated/elevated.h"
#include "util/du.h"
#include "util/rmtree.h"
#endif

static const char help[] =
    "usage: sbx cache clear [--mode unelevated|elevated]\n"
    "\n"
    "Empty the sandbox's own caches: the directories that sandboxed commands' package\n"
    "managers and build tools write to (XDG_CACHE_HOME, npm_config_cache, PIP_CACHE_DIR,\n"
    "CARGO_HOME, GOMODCACHE, GOCACHE, GRADLE_USER_HOME, YARN_CACHE_FOLDER and\n"
    "MAVEN_OPTS's -Dmaven.repo.local point into them).  One per mode: the unelevated\n"
    "mode's is yours, beside your ledger; the elevated mode's belongs to your sandbox\n"
    "account.  Without --mode, both that exist.  A run going on meanwhile loses what\n"
    "it cached.  sbx status shows their size; sbx run --no-cache runs without one;\n"
    "sbx cleanup removes them.\n";

enum { OPT_MODE };
const struct cli_optdef cli_opts_cache[] = {
    [OPT_MODE] = {"mode", true},
    {NULL, false},
};

/* <state_dir>/cache into out. */
static int cli_cache_path(const char *state_dir, char *out, size_t len, struct sbx_error *err)
{
    if ((size_t)snprintf(out, len, "%s/%s", state_dir, SBX_CACHE_DIR_NAME) >= len)
        return sbx_err_set(err, SBX_EINVAL, "state directory path too long: %s", state_dir);
    return 0;
}

#ifndef _WIN32
/* The unelevated cache, opened without following a symlink, the
 * caller's own: the descriptor, or -1 with *missing when there is none. */
static int open_cache(const char *path, bool *missing, struct sbx_error *err)
{
    *missing = false;
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) {
            *missing = true;
            return -1;
        }
        sbx_err_sys(err, SBX_EIO, errno, "the sandbox's cache %s", path);
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_uid != geteuid()) {
        close(fd);
        sbx_err_set(err, SBX_EPERM, "the sandbox's cache %s is not yours: remove it (sbx makes "
                                    "it again)", path);
        return -1;
    }
    return fd;
}
#endif

int cli_cache_ensure(const struct sbx_cli *cli, const char *state_dir, char *out, size_t len,
                     struct sbx_error *err)
{
    int rc = cli_cache_path(state_dir, out, len, err);
    if (rc)
        return rc;
#ifdef _WIN32
    (void)cli;
    return sbx_err_set(err, SBX_ENOTSUP, "the sandbox's caches are built for Linux only");
#else
    bool missing;
    int fd = open_cache(out, &missing, err);
    if (fd >= 0) {
        close(fd);
        return 0;
    }
    if (!missing)
        return -err->code;
    /* First run: made through a plan, so the ledger knows it (sbx log
     * shows it, sbx cleanup removes it).  Quietly: a run's output is the
     * command's. */
    struct sbx_cli quiet = *cli;
    quiet.quiet = true;
    quiet.json = false;
    struct cli_engine ce;
    if ((rc = cli_engine_open_dir(&quiet, state_dir, true, &ce, err)))
        return rc;
    struct sbx_resource_list want = {0};
    if ((rc = cli_engine_recover(&quiet, &ce, false, err)) == 0 &&
        (rc = sbx_mode_cache_resource(state_dir, &want, err)) == 0) {
        /* Another run may have made it while this one waited for the lock. */
        fd = open_cache(out, &missing, err);
        if (fd >= 0)
            close(fd);
        else if (missing)
            rc = cli_recreate(&ce, "cache", &want, NULL, err);
        else
            rc = -err->code;
    }
    sbx_rlist_free(&want);
    cli_engine_close(&ce);
    return rc ? sbx_err_wrap(err, "the sandbox's cache (sbx run --no-cache runs without one)")
              : 0;
#endif
}

#ifndef _WIN32
void cli_cache_report(const char *state_dir, const char *machine_dir, struct cli_cache_info *info)
{
    memset(info, 0, sizeof *info);
    struct sbx_error err = {0};
    if (cli_cache_path(state_dir, info->unelevated, sizeof info->unelevated, &err) != 0)
        return;
    bool missing;
    int fd = open_cache(info->unelevated, &missing, &err);
    if (fd >= 0) {
        info->has_unelevated = sbx_tree_usage(fd, info->unelevated, &info->unelevated_use,
                                              &err) == 0;
        close(fd);
    }
    info->has_elevated = sbx_elevated_cache_usage(machine_dir, &info->elevated_use, &err) == 0;
}
#endif

static int clear_unelevated(const struct sbx_cli *cli, const char *state_dir, bool *did,
                            struct sbx_error *err)
{
#ifdef _WIN32
    (void)cli;
    (void)state_dir;
    (void)did;
    return sbx_err_set(err, SBX_ENOTSUP, "the sandbox's caches are built for Linux only");
#else
    char path[SBX_PATH_MAX];
    int rc = cli_cache_path(state_dir, path, sizeof path, err);
    if (rc)
        return rc;
    bool missing;
    int fd = open_cache(path, &missing, err);
    if (fd < 0)
        return missing ? 0 : -err->code;
    rc = sbx_empty_tree(fd, path, err);
    close(fd);
    if (rc == 0) {
        *did = true;
        cli_info(cli, "sbx cache: emptied the unelevated mode's cache %s", path);
    }
    return rc;
#endif
}

static int clear_elevated(const struct sbx_cli *cli, const char *machine_dir, bool explicit_mode,
                          bool *did, struct sbx_error *err)
{
#ifdef _WIN32
    (void)cli;
    (void)machine_dir;
    (void)explicit_mode;
    (void)did;
    return sbx_err_set(err, SBX_ENOTSUP, "the sandbox's caches are built for Linux only");
#else
    int rc = sbx_elevated_cache_clear(machine_dir, err);
    if (rc == -SBX_ENOENT && !explicit_mode) {
        sbx_err_clear(err);
        return 0;
    }
    if (rc == 0) {
        *did = true;
        cli_info(cli, "sbx cache: emptied the elevated mode's cache (your sandbox account's)");
    }
    return rc;
#endif
}

int cmd_cache(struct sbx_cli *cli, int argc, char **argv)
{
    struct sbx_error err = {0};
    struct cli_args args;
    int start = cli_start(cli, argc, argv, cli_opts_cache, CLI_POS_ANY, help, &args);
    if (start != CLI_CONTINUE)
        return start;
    if (args.n_positional != 1 || strcmp(args.positional[0], "clear") != 0)
        return cli_usage_error(cli, "expected: sbx cache clear");
    enum sbx_mode_kind mode = SBX_MODE_NONE;
    for (size_t i = 0; i < args.n_opts; i++)
        if (args.opts[i].def == OPT_MODE && sbx_mode_parse(args.opts[i].value, false, &mode, &err))
            return cli_fail(cli, &err);
    char state_dir[SBX_PATH_MAX], machine_dir[SBX_PATH_MAX];
    bool did = false;
    if (cli_state_dir(cli, false, state_dir, sizeof state_dir, &err) ||
        cli_state_dir(cli, true, machine_dir, sizeof machine_dir, &err) ||
        (mode != SBX_MODE_ELEVATED && clear_unelevated(cli, state_dir, &did, &err)) ||
        (mode != SBX_MODE_UNELEVATED &&
         clear_elevated(cli, machine_dir, mode == SBX_MODE_ELEVATED, &did, &err)))
        return cli_fail(cli, &err);
    if (!did)
        cli_info(cli, "sbx cache: no cache to clear (sbx run makes one on first use)");
    return SBX_EXIT_OK;
}
