/* sbx migrate: move to another mode, or to what this version of sbx wants
 * (only the difference is applied); --resume finishes an interrupted plan. */
#include <stdio.h>
#include <string.h>

#include "cli/converge.h"
#include "cli/facts.h"

static const char help[] =
    "usage: sbx migrate [--to unelevated|elevated] [--user NAME] [--resume] [--dry-run]\n"
    "\n"
    "Without --to: bring the mode set up in the ledger to what this version of sbx\n"
    "wants, applying only the difference (new or changed resources).\n"
    "  --to MODE    move to MODE, carrying every registered workspace, in one plan: the\n"
    "               new mode's resources are created before the old ones are retired\n"
    "  --user NAME  (as root) migrate NAME's own ledger\n"
    "  --resume     finish a plan an interrupted sbx left open, instead of rolling it back\n"
    "  --dry-run    print the exact plan and change nothing\n";

enum { OPT_TO, OPT_USER, OPT_RESUME, OPT_DRY_RUN };
static const struct cli_optdef defs[] = {
    [OPT_TO] = {"to", true},
    [OPT_USER] = {"user", true},
    [OPT_RESUME] = {"resume", false},
    [OPT_DRY_RUN] = {"dry-run", false},
    {NULL, false},
};

int cmd_migrate(struct sbx_cli *cli, int argc, char **argv)
{
    struct sbx_error err = {0};
    struct cli_args args;
    int start = cli_start(cli, argc, argv, defs, CLI_POS_NONE, help, &args);
    if (start != CLI_CONTINUE)
        return start;
    enum sbx_mode_kind to = SBX_MODE_NONE;
    const char *user = NULL;
    bool resume = false, dry_run = false;
    for (size_t i = 0; i < args.n_opts; i++) {
        const struct cli_optval *o = &args.opts[i];
        if (o->def == OPT_TO && sbx_mode_parse(o->value, false, &to, &err))
            return cli_fail(cli, &err);
        if (o->def == OPT_USER)
            user = o->value;
        resume |= o->def == OPT_RESUME;
        dry_run |= o->def == OPT_DRY_RUN;
    }
    if (resume && (to != SBX_MODE_NONE || dry_run))
        return cli_usage_error(cli, "--resume finishes the interrupted plan and takes no --to "
                                    "or --dry-run");
    if (user) {
        /* Another user's ledger is only reachable through the machine
         * ledger of the elevated mode. */
        if (!cli_mode_ops(SBX_MODE_ELEVATED, &err))
            return cli_fail(cli, &err);
    }
    if (to != SBX_MODE_NONE && !cli_mode_ops(to, &err))
        return cli_fail(cli, &err);

    struct cli_engine ce;
    bool machine = to == SBX_MODE_ELEVATED;
    if (cli_engine_open_existing(cli, machine, "no mode is set up (use sbx setup)", &ce, &err))
        return cli_fail(cli, &err);
    struct sbx_resource_list rs = {0};
    const char *ws[CLI_MAX_ARGS];
    size_t n = 0;
    enum sbx_mode_kind have = SBX_MODE_NONE;
    int rc;
    if (resume) {
        int64_t running = 0;
        if ((rc = sbx_ledger_plan_running(ce.ledger, &running, &err)))
            goto out;
        if (!running) {
            rc = sbx_err_set(&err, SBX_ESTATE, "no interrupted plan in %s: nothing to resume",
                             sbx_ledger_path(ce.ledger));
            goto out;
        }
        rc = cli_engine_recover(cli, &ce, true, &err);
        goto out;
    }
    if ((rc = cli_engine_recover(cli, &ce, false, &err)) ||
        (rc = cli_mode_setup_in(ce.ledger, &have, &err)) ||
        (rc = cli_ledger_workspaces(ce.ledger, &rs, ws, CLI_MAX_ARGS, &n, &err)))
        goto out;
    if (have == SBX_MODE_NONE) {
        rc = sbx_err_set(&err, SBX_ESTATE, "no mode is set up in %s: use sbx setup",
                         sbx_ledger_path(ce.ledger));
        goto out;
    }
    if (to == SBX_MODE_NONE)
        to = have;
    if (!cli_mode_ops(to, &err)) {
        rc = -err.code;
        goto out;
    }
    struct converge_request req = {
        .verb = "migrate", .scopes = cli_scopes(cli, machine), .mode = to, .workspaces = ws,
        .n_workspaces = n, .dry_run = dry_run,
    };
    rc = cli_converge(cli, &ce, &req, &err);
out:
    sbx_rlist_free(&rs);
    cli_engine_close(&ce);
    return rc ? cli_fail(cli, &err) : SBX_EXIT_OK;
}
