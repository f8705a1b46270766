/* SPDX-License-Identifier: MIT */
/* sbx run: run one command confined, in the mode chosen for the caller. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cache.h"
#include "cli/cli.h"
#include "cli/config.h"
#include "cli/run_env.h"
#include "cli/run_net.h"
#include "cli/facts.h"
#include "cli/converge.h"
#include "util/limits.h"

#ifndef _WIN32
#include <unistd.h>

#include "modes/confine/linux/plants.h"
#include "modes/confine/linux/unix_broker.h"
#include "modes/confine/linux/wspath.h"
#else
#include <direct.h>
#define getcwd _getcwd
#define realpath(path, out) _fullpath((out), (path), SBX_PATH_MAX)
#endif

static const char help[] =
    "usage: sbx run [--mode auto|unelevated|elevated] [--workspace DIR]...\n"
    "               [--net off|on|allow=DOMAIN,...|deny=DOMAIN,...|limited]...\n"
    "               [--timeout SEC] [--protect PATH]... [--allow-git] [--allow-unix PATH]...\n"
    "               [--allow-write-name NAME]... [--limit pids=N|shm=SIZE|tmp=SIZE]...\n"
    "               [--env NAME[=VALUE]]... [--env-all] -- CMD [ARG...]\n"
    "\n"
    "Run CMD in the sandbox.  It may read what you can read, write only beneath the\n"
    "workspaces (default: the current directory; in the elevated mode it must be one of\n"
    "your workspaces already) and a private TMPDIR (a tmpfs of its own that disappears\n"
    "with the run), and reaches no network unless --net on.\n"
    "  --workspace DIR  a directory CMD may write (repeatable)\n"
    "  --protect PATH   keep PATH inside a workspace read-only (repeatable); .git and\n"
    "                   sbx's own files always are, unless --allow-git lifts the .git rule\n"
    "                   (every .git at any depth, and the directory a .git file names)\n"
    "  --allow-write-name NAME  let CMD write the files and folders called NAME\n"
    "                   (repeatable); by default those your tools run when you open the\n"
    "                   workspace stay read-only wherever they are: .gitmodules .envrc\n"
    "                   .vscode .idea .devcontainer .bashrc .bash_profile .zshrc\n"
    "                   .zprofile .profile .ripgreprc .mcp.json .claude .codex\n"
    "  --net off|on     network access (default off); on means IP: host unix sockets\n"
    "                   (docker.sock, ssh-agent, the session bus) stay out of reach\n"
    "  --net allow=DOMAIN[,DOMAIN...]  only these hosts, through sbx's proxy (repeatable;\n"
    "                   *.example.org: it and below; HOST:PORT: that port; an address\n"
    "                   literal is the only way to a local or private address)\n"
    "  --net deny=DOMAIN[,...]  never these, whatever allow= says\n"
    "  --net limited    through the proxy, only GET, HEAD and OPTIONS (no CONNECT)\n"
    "  --allow-unix PATH  let CMD connect to the host's unix socket PATH (absolute), and\n"
    "                   to no other (repeatable)\n"
    "  --timeout SEC    kill CMD and everything it started after SEC seconds\n"
    "  --limit pids=N   at most N processes and threads of CMD at once (default 4096)\n"
    "  --limit shm=SIZE the size of CMD's private /dev/shm (default 256M; K, M, G, T\n"
    "                   suffixes are KiB, MiB, GiB, TiB)\n"
    "  --limit tmp=SIZE the size of CMD's private TMPDIR (default 1G; the home of the\n"
    "                   sandbox account with it in the elevated mode)\n"
    "  --env NAME       pass your variable NAME, which looks like a credential (its name\n"
    "                   holds TOKEN, SECRET, KEY, PASSWORD, PASSWD, PASSPHRASE or\n"
    "                   CREDENTIAL, starts with AWS_ or AZURE_, or is SSH_AUTH_SOCK,\n"
    "                   SSH_AGENT_PID or GPG_AGENT_INFO) and is kept from CMD otherwise\n"
    "  --env NAME=VALUE set NAME to VALUE for CMD (repeatable)\n"
    "  --env-all        keep every variable of yours, credentials included\n"
    "  --allow-read PATH  show CMD one of the credential files or folders of your home\n"
    "                   that sbx hides (~/.ssh, ~/.aws, ~/.npmrc, ...; see the README)\n"
    "  --no-cache       no cache of the sandbox's: package managers' caches (npm, pip,\n"
    "                   cargo, go, maven, ...) start empty and vanish with the run\n"
    "  --mode MODE      auto (default: elevated when set up for you, else unelevated)\n"
    "\n"
    "exit status: CMD's; 128+N when signal N ended it; 124 when --timeout killed it;\n"
    "125 sbx failed; 126 CMD not executable; 127 CMD not found.\n";

enum { OPT_MODE, OPT_WORKSPACE, OPT_NET, OPT_TIMEOUT, OPT_PROTECT, OPT_ALLOW_GIT,
       OPT_ALLOW_UNIX, OPT_LIMIT, OPT_ENV, OPT_ENV_ALL, OPT_ALLOW_READ, OPT_ALLOW_NAME,
       OPT_NO_CACHE };
const struct cli_optdef cli_opts_run[] = {
    [OPT_MODE] = {"mode", true},       [OPT_WORKSPACE] = {"workspace", true},
    [OPT_NET] = {"net", true},         [OPT_TIMEOUT] = {"timeout", true},
    [OPT_PROTECT] = {"protect", true}, [OPT_ALLOW_GIT] = {"allow-git", false},
    [OPT_ALLOW_UNIX] = {"allow-unix", true}, [OPT_LIMIT] = {"limit", true},
    [OPT_ENV] = {"env", true},         [OPT_ENV_ALL] = {"env-all", false},
    [OPT_ALLOW_READ] = {"allow-read", true},
    [OPT_ALLOW_NAME] = {"allow-write-name", true},
    [OPT_NO_CACHE] = {"no-cache", false},
    {NULL, false},
};

/* --allow-unix PATH, checked here for a clear message before anything
 * runs; the run-time (or the launcher, as the caller) checks it again where
 * it opens the socket for good. */
static int check_allow_unix(const char *path, size_t n_before, struct sbx_error *err)
{
#ifndef _WIN32
    if (n_before >= SBX_UNIX_MAX_ALLOW)
        return sbx_err_set(err, SBX_EINVAL, "--allow-unix %s: at most %d sockets", path,
                           SBX_UNIX_MAX_ALLOW);
    struct sbx_unix_allow a;
    int rc = sbx_unix_allow_open(path, &a, err);
    if (rc == 0)
        close(a.fd);
    return rc;
#else
    (void)path;
    (void)n_before;
    return sbx_err_set(err, SBX_ENOTSUP, "--allow-unix: unix sockets are not confined on "
                                         "Windows, so there is nothing to allow");
#endif
}

#ifndef _WIN32
/* A size: digits, then nothing (bytes) or K, M, G, T (KiB ... TiB, also
 * written k, m, g, t, KiB, MiB, GiB, TiB). */
static bool parse_size(const char *s, unsigned long long *out)
{
    if (*s < '0' || *s > '9')
        return false;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno)
        return false;
    static const char units[] = "kmgt";
    const char *u = *end ? strchr(units, end[0] | 0x20) : NULL;
    if (*end && (!u || (end[1] && strcmp(end + 1, "iB") != 0)))
        return false;
    for (int shift = u ? (int)(u - units + 1) * 10 : 0; shift > 0; shift -= 10) {
        if (v > ~0ULL >> 10)
            return false;
        v <<= 10;
    }
    *out = v;
    return true;
}
#endif

/* --limit pids=N | shm=SIZE | tmp=SIZE (repeatable; the last of each kind
 * counts). */
static int parse_limit(const char *s, struct sbx_run_request *req, struct sbx_error *err)
{
#ifdef _WIN32
    (void)req;
    return sbx_err_set(err, SBX_ENOTSUP, "--limit %s: the per-run limits are enforced on "
                                         "Linux only", s);
#else
    if (strncmp(s, "pids=", 5) == 0) {
        const char *v = s + 5;
        char *end = NULL;
        errno = 0;
        unsigned long n = strtoul(v, &end, 10);
        if (errno || *v < '0' || *v > '9' || *end || n == 0 || n > SBX_RUN_MAX_PIDS)
            return sbx_err_set(err, SBX_EINVAL, "--limit %s: expected pids=N, a whole number "
                                                "of processes from 1 to %u", s,
                               SBX_RUN_MAX_PIDS);
        req->max_pids = (unsigned)n;
        return 0;
    }
    /* The tmpfs sizes: memory of the machine's, bounded both ways. */
    const struct {
        const char *key;
        unsigned long long min, max;
        const char *range;
        unsigned long long *out;
    } sizes[] = {
        {"shm=", SBX_RUN_MIN_SHM, SBX_RUN_MAX_SHM, "64K to 1T", &req->shm_bytes},
        {"tmp=", SBX_RUN_MIN_TMP, SBX_RUN_MAX_TMP, "1M to 1T", &req->tmp_bytes},
    };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t klen = strlen(sizes[i].key);
        if (strncmp(s, sizes[i].key, klen) != 0)
            continue;
        unsigned long long v;
        if (!parse_size(s + klen, &v) || v < sizes[i].min || v > sizes[i].max)
            return sbx_err_set(err, SBX_EINVAL, "--limit %s: expected %sSIZE from %s (bytes, "
                                                "or a number with a K, M, G or T suffix)",
                               s, sizes[i].key, sizes[i].range);
        *sizes[i].out = v;
        return 0;
    }
    return sbx_err_set(err, SBX_EINVAL, "--limit %s: expected pids=N, shm=SIZE or tmp=SIZE", s);
#endif
}

/* --allow-write-name NAME: one of the deny list's names (a typo would
 * otherwise leave the name protected without a word). */
static int check_allow_name(const char *name, struct sbx_error *err)
{
#ifndef _WIN32
    if (strcmp(name, ".git") == 0)
        return sbx_err_set(err, SBX_EINVAL, "--allow-write-name .git: use --allow-git");
    if (!sbx_plants_name_listed(name)) {
        char list[512] = "";
        size_t used = 0;
        for (size_t i = 0; sbx_plants_names[i] && used < sizeof list; i++)
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? " " : "",
                                     sbx_plants_names[i]);
        return sbx_err_set(err, SBX_EINVAL, "--allow-write-name %s: not a protected name "
                                            "(they are: %s)", name, list);
    }
#else
    (void)name;
    (void)err;
#endif
    return 0;
}

static void run_note(const char *text, void *ctx)
{
    cli_info(ctx, "sbx run: warning: %s", text);
}

static int parse_timeout(const char *s, unsigned *out, struct sbx_error *err)
{
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || !*s || *end || s[0] == '-' || s[0] == '+' || v == 0 || v > 7 * 24 * 3600)
        return sbx_err_set(err, SBX_EINVAL,
                           "--timeout %s: expected a whole number of seconds from 1 to 604800", s);
    *out = (unsigned)v;
    return 0;
}

int cmd_run(struct sbx_cli *cli, int argc, char **argv)
{
    struct sbx_error err = {0};
    struct cli_args args;
    int start = cli_start(cli, argc, argv, cli_opts_run, CLI_POS_COMMAND, help, &args);
    if (start != CLI_CONTINUE)
        return start;
    if (args.n_positional == 0)
        return cli_usage_error(cli, "missing the command to run (sbx run -- CMD [ARG...])");
    sbx_cleanup(cli_config_free) struct cli_config cfg = {0};
    if (cli_config_load(&cfg, &err))
        return cli_fail(cli, &err);

    enum sbx_mode_kind mode = SBX_MODE_NONE;
    /* The resolved paths, on the heap; ws and protect point into them
     * (cli_parse admits at most CLI_MAX_ARGS options). */
    sbx_cleanup(cli_paths_free) struct cli_paths ws_paths = {0}, protect_paths = {0},
                                                 read_paths = {0};
    const char *ws[CLI_MAX_ARGS], *protect[CLI_MAX_ARGS], *allow_unix[CLI_MAX_ARGS],
        *allow_names[CLI_MAX_ARGS];
    const char *env[CLI_MAX_ARGS];
    size_t n_ws = 0, n_protect = 0, n_allow_unix = 0, n_allow_names = 0;
    struct cli_env_policy env_policy = {.env = env};
    char path[SBX_PATH_MAX];
    struct sbx_run_request req = {.net = cfg.net == 1, .no_cache = cfg.cache == 0};
    sbx_cleanup(cli_run_net_free) struct cli_run_net net = {.on = cfg.net};
    for (size_t i = 0; i < cfg.net_rules.n; i++)
        if (cli_run_net_option(&net, cfg.net_rules.v[i], &err)) {
            sbx_err_wrap(&err, "net = %.64s in the configuration", cfg.net_rules.v[i]);
            return cli_fail(cli, &err);
        }
    for (size_t i = 0; i < args.n_opts; i++) {
        const struct cli_optval *o = &args.opts[i];
        switch (o->def) {
        case OPT_MODE:
            if (sbx_mode_parse(o->value, true, &mode, &err))
                return cli_fail(cli, &err);
            break;
        case OPT_WORKSPACE:
            if (sbx_workspace_resolve(o->value, path, sizeof path, &err) ||
                cli_paths_add(&ws_paths, path, &err))
                return cli_fail(cli, &err);
            ws[n_ws++] = ws_paths.v[ws_paths.n - 1];
            break;
        case OPT_NET:
            if (cli_run_net_option(&net, o->value, &err))
                return cli_fail(cli, &err);
            break;
        case OPT_TIMEOUT:
            if (parse_timeout(o->value, &req.timeout_sec, &err))
                return cli_fail(cli, &err);
            break;
        case OPT_PROTECT:
            if (!realpath(o->value, path)) {
                sbx_err_sys(&err, SBX_EINVAL, errno, "--protect %s", o->value);
                return cli_fail(cli, &err);
            }
            if (cli_paths_add(&protect_paths, path, &err))
                return cli_fail(cli, &err);
            protect[n_protect++] = protect_paths.v[protect_paths.n - 1];
            break;
        case OPT_ALLOW_GIT: req.allow_git = true; break;
        case OPT_NO_CACHE: req.no_cache = true; break;
        case OPT_ENV:
            if (cli_env_check(o->value, &err))
                return cli_fail(cli, &err);
            env[env_policy.n_env++] = o->value;
            break;
        case OPT_ENV_ALL: env_policy.all = true; break;
        case OPT_ALLOW_READ:
#ifdef _WIN32
            sbx_err_set(&err, SBX_ENOTSUP, "--allow-read %s: sbx does not hide credential "
                        "files on Windows yet, so there is nothing to show", o->value);
            return cli_fail(cli, &err);
#else
            if (!realpath(o->value, path)) {
                sbx_err_sys(&err, SBX_EINVAL, errno, "--allow-read %s", o->value);
                return cli_fail(cli, &err);
            }
            if (cli_paths_add(&read_paths, path, &err))
                return cli_fail(cli, &err);
            break;
#endif
        case OPT_ALLOW_NAME:
            if (check_allow_name(o->value, &err))
                return cli_fail(cli, &err);
            allow_names[n_allow_names++] = o->value;
            break;
        case OPT_LIMIT:
            if (parse_limit(o->value, &req, &err))
                return cli_fail(cli, &err);
            break;
        case OPT_ALLOW_UNIX:
            /* as given: the command connects by this name */
            if (check_allow_unix(o->value, n_allow_unix, &err))
                return cli_fail(cli, &err);
            allow_unix[n_allow_unix++] = o->value;
            break;
        }
    }
    if (cli_run_net_check(&net, &req.net, &err))
        return cli_fail(cli, &err);
    char cwd[SBX_PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) {
        sbx_err_sys(&err, SBX_EIO, errno, "cannot read the current directory");
        return cli_fail(cli, &err);
    }
    bool implicit_ws = n_ws == 0;
    if (n_ws == 0) {
        if (sbx_workspace_resolve(cwd, path, sizeof path, &err)) {
            sbx_err_wrap(&err, "the current directory can't be the workspace (pass --workspace)");
            return cli_fail(cli, &err);
        }
        if (cli_paths_add(&ws_paths, path, &err))
            return cli_fail(cli, &err);
        ws[n_ws++] = ws_paths.v[0];
    }
    /* The config's workspaces, beside the others (named: granted first
     * in the elevated mode, as --workspace's are). */
    for (size_t i = 0; i < cfg.workspace.n && n_ws < CLI_MAX_ARGS; i++) {
        if (sbx_workspace_resolve(cfg.workspace.v[i], path, sizeof path, &err)) {
            sbx_err_wrap(&err, "workspace %s from the configuration", cfg.workspace.v[i]);
            return cli_fail(cli, &err);
        }
        if (cli_paths_add(&ws_paths, path, &err))
            return cli_fail(cli, &err);
        ws[n_ws++] = ws_paths.v[ws_paths.n - 1];
    }
    env_policy.pass = (const char *const *)cfg.env.v;
    env_policy.n_pass = cfg.env.n;
    /* A protected path outside every workspace is read-only anyway: saying
     * so beats silently accepting a typo. */
    for (size_t p = 0; p < n_protect; p++) {
        bool inside = false;
        for (size_t w = 0; w < n_ws && !inside; w++) {
            size_t len = strlen(ws[w]);
            inside = strncmp(protect[p], ws[w], len) == 0 &&
                     (protect[p][len] == '/' || protect[p][len] == '\0' || len == 1);
        }
        if (!inside) {
            sbx_err_set(&err, SBX_EINVAL, "--protect %s is not inside a workspace", protect[p]);
            return cli_fail(cli, &err);
        }
    }

    struct sbx_mode_facts facts;
    cli_mode_facts_run(cli, &facts);
    if (mode == SBX_MODE_NONE) {
        mode = cli_mode_for_run(cli, &facts);
        /* Set up on the machine but not usable for this caller: say so,
         * or a member would not notice that their commands now run with
         * their own identity (and can read their private files). */
        if (mode == SBX_MODE_UNELEVATED && facts.elevated_installed &&
            facts.caller_authorized && !facts.elevated_healthy)
            cli_info(cli, "sbx run: warning: the elevated mode is set up but unhealthy (launcher "
                          "missing or changed: ask root to run sbx doctor --repair); running "
                          "unelevated");
        if (mode == SBX_MODE_NONE) {
            sbx_err_set(&err, SBX_ENOTSUP, "no sandbox mode is built for this platform yet");
            return cli_fail(cli, &err);
        }
    } else if (mode == SBX_MODE_ELEVATED && sbx_mode_select_run(&facts) != SBX_MODE_ELEVATED) {
        sbx_err_set(&err, SBX_ESTATE,
                    "the elevated mode is not set up for you on this machine (root runs sbx "
                    "setup, then sbx setup --user YOU); use --mode unelevated or auto");
        return cli_fail(cli, &err);
    }
    const struct sbx_mode_ops *ops = cli_mode_ops(mode, &err);
    if (!ops)
        return cli_fail(cli, &err);

    char state_dir[SBX_PATH_MAX], machine_dir[SBX_PATH_MAX];
    if (cli_state_dir(cli, false, state_dir, sizeof state_dir, &err) ||
        cli_state_dir(cli, true, machine_dir, sizeof machine_dir, &err))
        return cli_fail(cli, &err);
#ifndef _WIN32
    /* In either mode, before anything is granted or run: sbx's state never
     * lies where the command writes, made yet or not (the command could
     * make it first, with a ledger or a plan journal of its own). */
    if (sbx_state_outside_workspaces(state_dir, ws, n_ws, &err) ||
        sbx_state_outside_workspaces(machine_dir, ws, n_ws, &err))
        return cli_fail(cli, &err);
#endif
    req.workspaces = ws;
    req.n_workspaces = n_ws;
    req.protect = protect;
    req.n_protect = n_protect;
    req.allow_unix = allow_unix;
    req.allow_read = (const char *const *)read_paths.v;
    req.n_allow_read = read_paths.n;
    req.hide = (const char *const *)cfg.hide.v;
    req.n_hide = cfg.hide.n;
    req.n_allow_unix = n_allow_unix;
    req.allow_names = allow_names;
    req.n_allow_names = n_allow_names;
    req.note = run_note;
    req.note_ctx = cli;
    req.state_dir = state_dir;
    req.machine_state_dir = machine_dir;
    /* A workspace the mode has not granted yet is granted first (once:
     * later runs only look at the root's entries). */
    for (size_t w = 0; ops->workspace_ready && w < n_ws; w++) {
        bool ready = false;
        if (ops->workspace_ready(&req, ws[w], &ready, &err))
            return cli_fail(cli, &err);
        if (ready)
            continue;
        /* The grant's plan is not the command's output: kept off stdout
         * (and out of a --json document). */
        struct sbx_cli quiet = *cli;
        quiet.quiet = true;
        quiet.json = false;
        bool registered = false;
        if (cli_workspace_regrant(cli, &quiet, ws[w], &registered, &err))
            return cli_fail(cli, &err);
        if (registered) {
            /* made again, or its grant otherwise lost: look again */
            if (ops->workspace_ready(&req, ws[w], &ready, &err))
                return cli_fail(cli, &err);
            if (ready)
                continue;
            sbx_err_set(&err, SBX_ESTATE, "%s is one of your workspaces, but its grant is "
                                          "gone and could not be made again: sbx doctor shows "
                                          "what differs, sbx doctor --repair converges",
                        ws[w]);
            return cli_fail(cli, &err);
        }
        /* A directory that was never a workspace becomes one when named
         * (--workspace), never merely by being the current one. */
        if (implicit_ws && w == 0) {
            sbx_err_set(&err, SBX_ESTATE, "%s is not one of your workspaces: run sbx workspace "
                                          "add %s first, or name it (sbx run --workspace %s)",
                        ws[w], ws[w], ws[w]);
            return cli_fail(cli, &err);
        }
        cli_info(cli, "sbx run: granting %s to the sandbox accounts first", ws[w]);
        if (cli_workspace_change(&quiet, true, ws[w], mode, false, &err))
            return cli_fail(cli, &err);
    }
    /* The sandbox's cache: the unelevated mode's is made here on first use
     * (a plan: the ledger records it); the launcher finds the elevated
     * mode's itself. */
#ifndef _WIN32
    char cache[SBX_PATH_MAX];
    if (mode == SBX_MODE_UNELEVATED && !req.no_cache) {
        if (cli_cache_ensure(cli, state_dir, cache, sizeof cache, &err))
            return cli_fail(cli, &err);
        req.cache_dir = cache;
    }
#endif
    req.argv = args.positional;
    req.cwd = cwd;
    if (ops->check) {
        struct sbx_mode_notes notes = {0};
        if (ops->check(&req, &notes, &err))
            return cli_fail(cli, &err);
        for (size_t i = 0; i < notes.n; i++)
            cli_info(cli, "sbx run: warning: not enforced here: %s", notes.text[i]);
    }
    /* Last, once nothing else of sbx's needs the caller's variables. */
    size_t n_dropped = 0;
    if (cli_env_apply(&env_policy, &n_dropped, &err))
        return cli_fail(cli, &err);
    if (env_policy.all)
        cli_info(cli, "sbx run: warning: --env-all: the command gets every variable of yours, "
                      "credentials included");
    else if (n_dropped && cli->verbose)
        cli_info(cli, "sbx run: %zu variable%s that look%s like credentials kept from the "
                      "command (--env NAME passes one)", n_dropped, n_dropped == 1 ? "" : "s",
                 n_dropped == 1 ? "s" : "");
    int status = SBX_EXIT_FAIL;
    struct sbx_mode_notes after = {0};
    /* --net allow=: the proxy, last before the command (run_net.h). */
    if (cli_run_net_begin(&net, mode, &req, &err))
        return cli_fail(cli, &err);
    int rc = ops->run(&req, &status, &after, &err);
    cli_run_net_end(cli, &net, state_dir);
    for (size_t i = 0; i < after.n; i++)
        fprintf(stderr, "sbx run: warning: %s\n", after.text[i]);
    if (rc) {
        /* The command could not be run (126) or found (127): say why, and
         * exit with that status rather than sbx's own 125. */
        int code = cli_fail(cli, &err);
        return status == SBX_EXIT_CANNOT_RUN || status == SBX_EXIT_NOT_FOUND ? status : code;
    }
    return status;
}
