/* sbx rollback: undo the last committed plan exactly. */
#include <stdio.h>

#include "cli/cli.h"

static const char help[] =
    "usage: sbx rollback [--dry-run] [--state DIR]\n"
    "\n"
    "Undo the newest committed plan (setup, workspace add/remove, migrate), going back\n"
    "to the previous mode or version.  Rolling back again undoes the plan before it.\n"
    "  --dry-run  print the plan and change nothing\n";

enum { OPT_DRY_RUN };
static const struct cli_optdef defs[] = {
    [OPT_DRY_RUN] = {"dry-run", false},
    {NULL, false},
};

int cmd_rollback(struct sbx_cli *cli, int argc, char **argv)
{
    struct sbx_error err = {0};
    struct cli_args args;
    int start = cli_start(cli, argc, argv, defs, CLI_POS_NONE, help, &args);
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
