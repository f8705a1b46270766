/* SPDX-License-Identifier: MIT */
/* sbx cleanup: remove everything sbx created, then its own state. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifndef _WIN32
#include <sys/stat.h>
#endif

#include "cli/converge.h"
#include "util/limits.h"
#include "util/platform.h"

#ifndef _WIN32
#include "modes/confine/linux/plants_cache.h"
#endif

static const char help[] =
    "usage: sbx cleanup [--dry-run] [--state DIR]\n"
    "\n"
    "Remove everything sbx ever created that the ledger records (accounts, groups,\n"
    "memberships, ACL entries, firewall rules, installed files, credentials), plus any\n"
    "object on the machine that carries sbx's marker though the ledger lost it, then the\n"
    "ledger and the state directories sbx made.  As root it cleans the machine ledger\n"
    "and root's own ledger.  Anything not sbx's is never touched.\n"
    "  --dry-run  list everything that would be removed and change nothing\n";

enum { OPT_DRY_RUN };
const struct cli_optdef cli_opts_cleanup[] = {
    [OPT_DRY_RUN] = {"dry-run", false},
    {NULL, false},
};

/* Objects with sbx's marker that the ledger of ce (in dir) does not
 * record. */
static int find_orphans(struct cli_engine *ce, const char *dir,
                        struct sbx_resource_list *orphans, struct sbx_error *err)
{
    struct sbx_resource_list marked = {0}, known = {0};
    /* Cleanup runs after the users' ledgers were cleaned: grants still on
     * their homes are the ones a lost ledger forgot.  (A dry run, which
     * cleaned nothing, finds the users' ledgers still there: what they
     * record is their plans', not orphans.) */
    ce->os->flags |= SBX_OS_FIND_GRANTS;
    int rc = sbx_os_find_marked(ce->os, &marked, err);
    if (rc == 0 && ce->ledger)
        rc = sbx_ledger_resources(ce->ledger, &known, err);
    if (rc == 0)
        cli_member_resources(dir, &known);
    for (size_t i = 0; rc == 0 && i < marked.len; i++)
        if (sbx_rlist_find_object(&known, &marked.items[i]) < 0)
            rc = sbx_rlist_push(orphans, &marked.items[i]);
    sbx_rlist_free(&marked);
    sbx_rlist_free(&known);
    return rc;
}

/* The ledgers of the users the machine ledger lets use the elevated mode
 * (membership resources, "member=NAME"), at their default location. */
int cli_member_ledgers(const char *machine_dir, struct cli_paths *dirs, struct sbx_error *err)
{
    struct sbx_ledger *l = NULL;
    int rc = sbx_ledger_open(machine_dir, SBX_LEDGER_READONLY, &l, err);
    /* A damaged machine ledger names no users: its own cleanup sets it
     * aside and goes on by markers. */
    if (rc == -SBX_ENOENT || rc == -SBX_ECORRUPT)
        return 0;
    if (rc)
        return rc;
    struct sbx_resource_list rs = {0};
    rc = sbx_ledger_resources(l, &rs, err);
    for (size_t i = 0; rc == 0 && i < rs.len; i++) {
        char member[256];
        if (rs.items[i].kind != SBX_R_MEMBERSHIP ||
            sbx_detail_get(rs.items[i].detail, "member", member, sizeof member) != 0)
            continue;
        /* A user without a home (or one too long to be a path) has no
         * ledger at the default location. */
        char dir[SBX_PATH_MAX];
        if (sbx_user_state_dir(member, dir, sizeof dir, NULL) == 0)
            rc = cli_paths_add(dirs, dir, err);
    }
    sbx_rlist_free(&rs);
    sbx_ledger_close(l);
    return rc;
}

void cli_member_resources(const char *machine_dir, struct sbx_resource_list *known)
{
    sbx_cleanup(cli_paths_free) struct cli_paths dirs = {0};
    if (cli_member_ledgers(machine_dir, &dirs, NULL) != 0)
        return;
    for (size_t m = 0; m < dirs.n; m++) {
        struct sbx_ledger *l = NULL;
        if (strcmp(dirs.v[m], machine_dir) != 0 &&
            sbx_ledger_open(dirs.v[m], SBX_LEDGER_READONLY, &l, NULL) == 0)
            sbx_ledger_resources(l, known, NULL);
        sbx_ledger_close(l);
    }
}

/* A damaged ledger can't say what it recorded: set it aside (kept, never
 * deleted: nothing is lost) so cleanup can go on by sbx's markers. */
static int set_aside(const struct sbx_cli *cli, const char *dir, bool dry_run,
                     const struct sbx_error *why, struct sbx_error *err)
{
    char stamp[32], from[SBX_PATH_EXTRA_MAX], to[SBX_PATH_EXTRA_MAX];
    sbx_time_iso8601(stamp, sizeof stamp);
    for (char *c = stamp; *c; c++)
        if (*c == ':')
            *c = '-';
    static const char *const sides[] = {"-wal", "-shm"};
    /* The names of the side files, to + "-wal", must fit too: checked
     * before anything is renamed. */
    if (snprintf(from, sizeof from, "%s%cledger.db", dir, SBX_PATH_SEP) >= (int)sizeof from ||
        snprintf(to, sizeof to, "%s.damaged-%s", from, stamp) >= (int)sizeof to ||
        strlen(to) + strlen(sides[0]) >= sizeof to)
        return sbx_err_set(err, SBX_EINVAL, "state directory path too long: %s", dir);
    cli_info(cli, "sbx cleanup: %s", why->msg);
    if (dry_run) {
        cli_info(cli, "sbx cleanup: would set the damaged ledger aside as %s and clean up by "
                      "sbx's markers", to);
        return 0;
    }
    if (rename(from, to) != 0)
        return sbx_err_set(err, SBX_EIO, "cannot set the damaged ledger %s aside", from);
    for (size_t i = 0; i < sizeof sides / sizeof sides[0]; i++) {
        char a[SBX_PATH_EXTRA_MAX], b[SBX_PATH_EXTRA_MAX];
        /* They fit (checked above); never used cut short all the same. */
        if (snprintf(a, sizeof a, "%s%s", from, sides[i]) >= (int)sizeof a ||
            snprintf(b, sizeof b, "%s%s", to, sides[i]) >= (int)sizeof b)
            continue;
        if (sbx_fs_exists(a))
            rename(a, b);
    }
    cli_info(cli, "sbx cleanup: the damaged ledger is kept as %s; cleaning up by sbx's markers",
             to);
    return 0;
}

/* A state directory without a ledger may still hold `sbx run`'s records
 * (the unelevated mode's, made without any setup): they go, and the
 * directory with them when nothing else is left in it. */
static int clean_records(struct sbx_cli *cli, const char *dir, bool dry_run, bool *did,
                         struct sbx_error *err)
{
#ifndef _WIN32
    int prc = cli_clear_placeholders(cli, dir, dry_run, did, err);
    if (prc == 0)
        prc = cli_clear_run_tmp(cli, dir, dry_run, did, err);
    if (prc < 0)
        return prc;
    char plants[SBX_PATH_MAX + 16];
    if (snprintf(plants, sizeof plants, "%s/plants", dir) >= (int)sizeof plants)
        return sbx_err_set(err, SBX_EINVAL, "state directory path too long: %s", dir);
    if (!sbx_fs_exists(plants)) {
        if (*did && !dry_run)
            sbx_fs_rmdir(dir, NULL); /* kept when it holds anything else */
        return 0;
    }
    *did = true;
    if (dry_run) {
        if (!cli->json && !cli->quiet)
            printf("would remove directory %s (sbx run's records)\n", plants);
        return 0;
    }
    int rc = sbx_plants_cache_clear(plants, err);
    if (rc == 0)
        sbx_fs_rmdir(dir, NULL); /* kept when it holds anything else */
    return rc;
#else
    (void)cli;
    (void)dir;
    (void)dry_run;
    (void)did;
    (void)err;
    return 0;
#endif
}

/* The sandbox's cache, found where sbx makes it (<dir>/cache) when no
 * ledger says so (lost, or set aside as damaged): removed like the
 * ledger's own would be (the driver checks it is the state directory
 * owner's, and acts with that owner's rights). */
static int cache_by_layout(const char *dir, struct sbx_resource_list *orphans,
                           struct sbx_error *err)
{
#ifdef _WIN32
    (void)dir;
    (void)orphans;
    (void)err;
    return 0; /* no cache on Windows yet */
#else
    struct sbx_resource_list one = {0};
    int rc = sbx_mode_cache_resource(dir, &one, err);
    struct stat st;
    if (rc == 0 && lstat(one.items[0].key, &st) == 0 && S_ISDIR(st.st_mode) &&
        sbx_rlist_push(orphans, &one.items[0]))
        rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
    sbx_rlist_free(&one);
    return rc;
#endif
}

static int clean_dir(struct sbx_cli *cli, const char *dir, bool with_orphans, bool dry_run,
                     bool *did, struct sbx_error *err)
{
    struct cli_engine ce;
    struct sbx_resource_list orphans = {0};
    int rc = cli_engine_open_dir(cli, dir, false, &ce, err);
    bool set_aside_done = false;
    if (rc == -SBX_ECORRUPT) {
        struct sbx_error why = *err;
        if ((rc = set_aside(cli, dir, dry_run, &why, err)))
            return rc;
        *did = true;
        set_aside_done = !dry_run;
        rc = -SBX_ENOENT;
    }
    if (rc == -SBX_ENOENT) {
        /* No ledger: only marked objects can be left.  Their removal is
         * journaled in a fresh ledger all the same. */
        struct sbx_os *os = NULL;
        if ((rc = cli_open_os(&os, err)))
            return rc;
        struct cli_engine probe = {.os = os};
        rc = with_orphans ? find_orphans(&probe, dir, &orphans, err) : 0;
        if (rc == 0)
            rc = cache_by_layout(dir, &orphans, err);
        sbx_os_destroy(os);
        /* Nothing to remove by markers: what is left of the damaged
         * ledger's directory (its lock) goes; the damaged copy stays. */
        if (rc == 0 && orphans.len == 0 && set_aside_done)
            rc = cli_remove_state(cli, dir, "", false, err);
        else if (rc == 0 && orphans.len == 0)
            rc = clean_records(cli, dir, dry_run, did, err);
        if (rc || orphans.len == 0 || dry_run) {
            if (rc == 0 && orphans.len) {
                struct sbx_plan p = {0};
                struct sbx_resource_list none = {0};
                if ((rc = sbx_plan_compute(&orphans, &none, "cleanup", &p, err)) == 0)
                    cli_print_plan(cli, &p, true);
                sbx_plan_free(&p);
                *did = true;
            }
            sbx_rlist_free(&orphans);
            return rc;
        }
        sbx_rlist_free(&orphans);
        if ((rc = cli_engine_open_dir(cli, dir, true, &ce, err)))
            return rc;
    } else if (rc) {
        return rc;
    }
    *did = true;
    char created_root[SBX_PATH_MAX] = "";
    if ((rc = cli_engine_recover(cli, &ce, false, err)))
        goto out;
    if (sbx_ledger_meta_get(ce.ledger, "created_dir", created_root, sizeof created_root, NULL))
        created_root[0] = '\0';
    if ((with_orphans && (rc = find_orphans(&ce, dir, &orphans, err))) ||
        (rc = cache_by_layout(dir, &orphans, err)))
        goto out;
    struct converge_request req = {
        .verb = "cleanup", .mode = SBX_MODE_NONE, .orphans = &orphans, .dry_run = dry_run,
    };
    if ((rc = cli_converge(cli, &ce, &req, err)))
        goto out;
    /* Everything is gone from the machine: the ledger itself goes last. */
    sbx_ledger_close(ce.ledger);
    ce.ledger = NULL;
    rc = cli_remove_state(cli, dir, created_root, dry_run, err);
out:
    sbx_rlist_free(&orphans);
    cli_engine_close(&ce);
    return rc;
}

int cmd_cleanup(struct sbx_cli *cli, int argc, char **argv)
{
    struct sbx_error err = {0};
    struct cli_args args;
    int start = cli_start(cli, argc, argv, cli_opts_cleanup, CLI_POS_NONE, help, &args);
    if (start != CLI_CONTINUE)
        return start;
    bool dry_run = args.n_opts > 0;

    enum sbx_privilege priv = SBX_PRIV_USER;
    if (cli_privilege(&priv, &err))
        return cli_fail(cli, &err);
    int rc = 0;

    /* With --state / SBX_STATE: that ledger alone.  Otherwise the ledgers
     * of the users the elevated mode knows (their grants name the sandbox
     * accounts, so they go before the accounts), the caller's own, and for
     * root the machine ledger last, with the objects whose ledger was lost. */
    sbx_cleanup(cli_paths_free) struct cli_paths dirs = {0};
    bool explicit_state = cli->state_opt || (getenv("SBX_STATE") && *getenv("SBX_STATE"));
    char machine[SBX_PATH_MAX] = "", mine[SBX_PATH_MAX];
    if (priv == SBX_PRIV_ADMIN && !explicit_state) {
        if (cli_state_dir(cli, true, machine, sizeof machine, &err) ||
            cli_member_ledgers(machine, &dirs, &err))
            return cli_fail(cli, &err);
    }
    if (cli_state_dir(cli, false, mine, sizeof mine, &err) || cli_paths_add(&dirs, mine, &err) ||
        (machine[0] && cli_paths_add(&dirs, machine, &err)))
        return cli_fail(cli, &err);
    size_t n = dirs.n;

    struct json *j = &cli->plans_doc;
    if (cli->json) {
        json_init(j, stdout);
        json_object_begin(j);
        json_kv_bool(j, "ok", true);
        json_kv_string(j, "verb", "cleanup");
        json_kv_bool(j, "dry_run", dry_run);
        json_key(j, "plans");
        json_array_begin(j);
        cli->plans_out = j;
    }
    bool did = false;
    for (size_t i = 0; i < n && rc == 0; i++) {
        bool did_one = false;
        /* A directory listed twice (root's own ledger is the machine one
         * under --state) is cleaned once. */
        bool seen = false;
        for (size_t k = 0; k < i; k++)
            seen |= strcmp(dirs.v[k], dirs.v[i]) == 0;
        /* Marked objects are machine objects: looked for with the machine
         * ledger (or the one ledger under --state), never by an ordinary
         * user's cleanup of their own ledger. */
        bool orphans = i == n - 1 && (machine[0] || explicit_state);
        if (!seen)
            rc = clean_dir(cli, dirs.v[i], orphans, dry_run, &did_one, &err);
        did |= did_one;
    }
    if (cli->json) {
        cli->plans_out = NULL;
        json_array_end(j);
        json_object_end(j);
        if (rc == 0)
            json_end(j);
        else
            fputc('\n', stdout);
    }
    if (rc)
        return cli_fail(cli, &err);
    if (!did)
        cli_info(cli, "sbx cleanup: nothing of sbx's is on this machine");
    else if (!dry_run)
        cli_info(cli, "sbx cleanup: everything sbx created is removed");
    return SBX_EXIT_OK;
}
