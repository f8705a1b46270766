/* SPDX-License-Identifier: MIT */
/* sbx workspace add|remove|list: the directories commands may write. */
#include <stdio.h>
#include <string.h>

#include "cli/converge.h"
#include "cli/facts.h"
#include "util/limits.h"

static const char help[] =
    "usage: sbx workspace add DIR [--dry-run]\n"
    "       sbx workspace remove DIR [--dry-run]\n"
    "       sbx workspace list [--json]\n"
    "\n"
    "Register a workspace (a directory sandboxed commands may write) with the mode set\n"
    "up in your ledger, or remove one; remove takes out exactly what add created.\n"
    "DIR is resolved (symlinks followed) and must be an existing directory that is not a\n"
    "system root, nor your home directory itself.\n";

enum { OPT_DRY_RUN };
const struct cli_optdef cli_opts_workspace[] = {
    [OPT_DRY_RUN] = {"dry-run", false},
    {NULL, false},
};

/* The workspaces one ledger registers, appended to all (copies). */
static int ledger_list(const char *dir, struct cli_paths *all, struct sbx_error *err)
{
    struct sbx_ledger *l = NULL;
    int rc = sbx_ledger_open(dir, SBX_LEDGER_READONLY, &l, err);
    if (rc == -SBX_ENOENT) {
        sbx_err_clear(err);
        return 0;
    }
    if (rc)
        return rc;
    struct sbx_resource_list rs = {0};
    const char *ws[CLI_MAX_ARGS];
    size_t n = 0;
    rc = cli_ledger_workspaces(l, &rs, ws, CLI_MAX_ARGS, &n, err);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = cli_paths_add(all, ws[i], err);
    sbx_rlist_free(&rs);
    sbx_ledger_close(l);
    return rc;
}

/* The caller's workspaces; for root without a ledger of its own, every
 * member's (their ledgers are found through the machine's). */
static int list(const struct sbx_cli *cli, struct sbx_error *err)
{
    char dir[SBX_PATH_MAX];
    bool machine = false;
    int rc = cli_view_state_dir(cli, dir, sizeof dir, &machine, err);
    if (rc)
        return rc;
    sbx_cleanup(cli_paths_free) struct cli_paths dirs = {0}, all = {0};
    rc = machine ? cli_member_ledgers(dir, &dirs, err) : cli_paths_add(&dirs, dir, err);
    for (size_t i = 0; rc == 0 && i < dirs.n; i++)
        rc = ledger_list(dirs.v[i], &all, err);
    if (rc)
        return rc;
    if (cli->json) {
        struct json j;
        json_init(&j, stdout);
        json_object_begin(&j);
        json_kv_string(&j, "ledger_scope", machine ? "machine" : "user");
        json_key(&j, "workspaces");
        json_array_begin(&j);
        for (size_t i = 0; i < all.n; i++)
            json_string(&j, all.v[i]);
        json_array_end(&j);
        json_object_end(&j);
        json_end(&j);
    } else {
        if (machine)
            cli_info(cli, "the members' workspaces (you have no ledger of your own; the "
                          "machine's is %s)", dir);
        for (size_t i = 0; i < all.n; i++)
            printf("%s\n", all.v[i]);
        if (all.n == 0)
            cli_info(cli, "no workspace registered");
    }
    return 0;
}

/* The mode whose workspaces the caller's ledger holds: its own marker,
 * or the elevated mode when that is set up on the machine for the caller
 * (whose user ledger then holds only workspaces and grants). */
static enum sbx_mode_kind workspace_mode(const struct sbx_cli *cli, struct sbx_ledger *l)
{
    enum sbx_mode_kind mode = SBX_MODE_NONE;
    if (l)
        cli_mode_setup_in(l, &mode, NULL);
    if (mode == SBX_MODE_NONE) {
        struct sbx_mode_facts facts;
        cli_mode_facts(cli, &facts);
        if (sbx_mode_select_run(&facts) == SBX_MODE_ELEVATED)
            mode = SBX_MODE_ELEVATED;
    }
    return mode;
}

int cli_workspace_change(const struct sbx_cli *cli, bool add, const char *path,
                         enum sbx_mode_kind expect, bool dry_run, struct sbx_error *err)
{
    char dir[SBX_PATH_MAX];
    int rc = cli_state_dir(cli, false, dir, sizeof dir, err);
    if (rc)
        return rc;
    /* The mode is read under the plan lock: a migration running meanwhile
     * must not be undone by a plan computed from what was true before it.
     * (A ledger made here and left unused is removed again on close.) */
    struct cli_engine ce;
    if ((rc = cli_engine_open_dir(cli, dir, true, &ce, err)))
        return rc;
    struct sbx_resource_list rs = {0};
    enum sbx_mode_kind mode = SBX_MODE_NONE;
    if ((rc = cli_engine_recover(cli, &ce, false, err)))
        goto out;
    mode = workspace_mode(cli, ce.ledger);
    if (mode == SBX_MODE_NONE) {
        rc = sbx_err_set(err, SBX_ESTATE,
                         "no mode is set up for you (ledger %s): run sbx setup first (sbx "
                         "setup --mode unelevated needs no privilege)",
                         dir);
        goto out;
    }
    if (expect != SBX_MODE_NONE && mode != expect) {
        rc = sbx_err_set(err, SBX_ESTATE,
                         "the mode changed to %s while sbx was waiting for another plan to "
                         "finish; run the command again",
                         sbx_mode_name(mode));
        goto out;
    }
    const char *ws[CLI_MAX_ARGS + 1];
    size_t n = 0;
    if ((rc = cli_ledger_workspaces(ce.ledger, &rs, ws, CLI_MAX_ARGS, &n, err)))
        goto out;
    long at = -1;
    for (size_t i = 0; i < n; i++)
        if (strcmp(ws[i], path) == 0)
            at = (long)i;
    if (add && at < 0) {
        ws[n++] = path;
    } else if (!add) {
        if (at < 0) {
            rc = sbx_err_set(err, SBX_ENOENT,
                             "%s is not a registered workspace (sbx workspace list shows them)",
                             path);
            goto out;
        }
        ws[at] = ws[--n];
    }
    struct converge_request req = {
        .verb = add ? "workspace-add" : "workspace-remove",
        .scopes = cli_scopes(cli, false),
        .mode = mode,
        .workspaces = ws,
        .n_workspaces = n,
        .dry_run = dry_run,
    };
    rc = cli_converge(cli, &ce, &req, err);
out:
    sbx_rlist_free(&rs);
    cli_engine_close(&ce);
    return rc;
}

int cli_workspace_regrant(const struct sbx_cli *cli, const struct sbx_cli *cli_quiet,
                          const char *path, bool *registered, struct sbx_error *err)
{
    *registered = false;
    char dir[SBX_PATH_MAX];
    int rc = cli_state_dir(cli, false, dir, sizeof dir, err);
    if (rc)
        return rc;
    struct cli_engine ce;
    if ((rc = cli_engine_open_dir(cli_quiet, dir, false, &ce, err)))
        return rc == -SBX_ENOENT ? 0 : rc;
    struct sbx_resource_list rs = {0}, missing = {0};
    const char *ws[CLI_MAX_ARGS];
    size_t n = 0;
    if ((rc = cli_engine_recover(cli, &ce, false, err)) ||
        (rc = cli_ledger_workspaces(ce.ledger, &rs, ws, CLI_MAX_ARGS, &n, err)))
        goto out;
    for (size_t i = 0; i < n && !*registered; i++)
        *registered = strcmp(ws[i], path) == 0;
    if (!*registered)
        goto out;
    /* The grants on the directory itself (its tree entries); those on the
     * ancestors did not go with it. */
    for (size_t i = 0; i < rs.len && rc == 0; i++) {
        const struct sbx_resource *r = &rs.items[i];
        if (r->kind != SBX_R_ACL_ENTRY || !r->path || strcmp(r->path, path) != 0)
            continue;
        enum sbx_presence pr;
        if ((rc = sbx_os_probe(ce.os, r, &pr, err)) == 0 && pr != SBX_PRESENT)
            rc = sbx_rlist_push(&missing, r) ? sbx_err_set(err, SBX_ENOMEM, "out of memory") : 0;
    }
    if (rc == 0 && missing.len > 0) {
        cli_info(cli, "sbx run: %s was made again since it was granted: granting it again "
                      "(sbx log shows the plan, sbx rollback undoes it)", path);
        rc = cli_recreate(&ce, "workspace-regrant", &missing, NULL, err);
    }
out:
    sbx_rlist_free(&missing);
    sbx_rlist_free(&rs);
    cli_engine_close(&ce);
    return rc;
}

int cmd_workspace(struct sbx_cli *cli, int argc, char **argv)
{
    struct sbx_error err = {0};
    struct cli_args args;
    int start = cli_start(cli, argc, argv, cli_opts_workspace, CLI_POS_ANY, help, &args);
    if (start != CLI_CONTINUE)
        return start;
    if (args.n_positional == 0)
        return cli_usage_error(cli, "missing action: add, remove or list");
    const char *action = args.positional[0];
    bool add = strcmp(action, "add") == 0, remove = strcmp(action, "remove") == 0;
    bool dry_run = args.n_opts > 0;
    if (strcmp(action, "list") == 0) {
        if (args.n_positional > 1)
            return cli_usage_error(cli, "unexpected argument '%s'", args.positional[1]);
        return list(cli, &err) ? cli_fail(cli, &err) : SBX_EXIT_OK;
    }
    if (!add && !remove)
        return cli_usage_error(cli, "unknown action '%s': expected add, remove or list", action);
    if (args.n_positional != 2)
        return cli_usage_error(cli, "sbx workspace %s takes exactly one directory", action);

    char path[SBX_PATH_MAX];
    if (sbx_workspace_resolve(args.positional[1], path, sizeof path, &err)) {
        /* A workspace deleted or moved since it was added can still be
         * removed by the path it was registered under. */
        if (!remove || args.positional[1][0] != '/' ||
            snprintf(path, sizeof path, "%s", args.positional[1]) >= (int)sizeof path)
            return cli_fail(cli, &err);
        sbx_err_clear(&err);
    }

    return cli_workspace_change(cli, add, path, SBX_MODE_NONE, dry_run, &err)
               ? cli_fail(cli, &err)
               : SBX_EXIT_OK;
}
