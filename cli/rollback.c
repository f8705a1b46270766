/* SPDX-License-Identifier: MIT */
/* sbx rollback: undo the last committed plan exactly. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const char help[] =
    "usage: sbx rollback [--dry-run] [--state DIR]\n"
    "\n"
    "Undo the newest committed plan (setup, workspace add/remove, migrate), going back\n"
    "to the previous mode or version.  Rolling back again undoes the plan before it.\n"
    "  --dry-run  print the plan and change nothing\n";

enum { OPT_DRY_RUN };
const struct cli_optdef cli_opts_rollback[] = {
    [OPT_DRY_RUN] = {"dry-run", false},
    {NULL, false},
};

/* Rolling the machine ledger back past the accounts' creation deletes the
 * accounts: not while a user's ledger still grants them workspaces (those
 * grants could then neither be used nor taken off by their owner). */
static int check_members_released(const char *dir, const struct sbx_plan *plan,
                                  struct sbx_error *err)
{
    bool deletes_accounts = false;
    for (size_t i = 0; i < plan->n_ops; i++)
        deletes_accounts |= plan->ops[i].action == SBX_ACT_DELETE &&
                            plan->ops[i].res.kind == SBX_R_ACCOUNT;
    if (!deletes_accounts)
        return 0;
    sbx_cleanup(cli_paths_free) struct cli_paths dirs = {0};
    int rc = cli_member_ledgers(dir, &dirs, err);
    for (size_t i = 0; rc == 0 && i < dirs.n; i++) {
        if (strcmp(dirs.v[i], dir) == 0)
            continue;
        struct sbx_ledger *l = NULL;
        size_t counts[SBX_R_KIND_COUNT];
        if (sbx_ledger_open(dirs.v[i], SBX_LEDGER_READONLY, &l, NULL) != 0)
            continue;
        if (sbx_ledger_count(l, counts, NULL) == 0 && counts[SBX_R_ACL_ENTRY] > 0)
            rc = sbx_err_set(err, SBX_ESTATE,
                             "this rollback would delete the sandbox accounts while %s still "
                             "grants them workspaces: migrate that user first (sbx migrate --to "
                             "unelevated --user NAME) or use sbx cleanup",
                             sbx_ledger_path(l));
        sbx_ledger_close(l);
    }
    return rc;
}

int cmd_rollback(struct sbx_cli *cli, int argc, char **argv)
{
    struct sbx_error err = {0};
    struct cli_args args;
    int start = cli_start(cli, argc, argv, cli_opts_rollback, CLI_POS_NONE, help, &args);
    if (start != CLI_CONTINUE)
        return start;
    bool dry_run = args.n_opts > 0;
    struct cli_engine ce;
    if (cli_engine_open_existing(cli, false, "nothing to roll back", &ce, &err))
        return cli_fail(cli, &err);
    struct sbx_plan plan = {0};
    int rc;
    if ((rc = cli_engine_recover(cli, &ce, false, &err)) ||
        (rc = sbx_plan_compute_rollback(ce.ledger, &plan, &err)))
        goto out;
    if (plan.undoes == 0) {
        rc = sbx_err_set(&err, SBX_ESTATE, "nothing to roll back in %s: no committed plan left",
                         sbx_ledger_path(ce.ledger));
        goto out;
    }
    if ((rc = check_members_released(sbx_ledger_dir(ce.ledger), &plan, &err)))
        goto out;
    if (dry_run) {
        cli_print_plan(cli, &plan, true);
        goto out;
    }
    if ((rc = sbx_plan_apply(&ce.engine, &plan, &err)))
        goto out;
    cli_print_plan(cli, &plan, false);
    cli_info(cli, "sbx: plan %lld rolled back", (long long)plan.undoes);
out:
    sbx_plan_free(&plan);
    cli_engine_close(&ce);
    return rc ? cli_fail(cli, &err) : SBX_EXIT_OK;
}
