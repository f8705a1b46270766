/* SPDX-License-Identifier: MIT */
/* sbx setup: set a mode up on this machine through the plan engine. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/converge.h"
#include "cli/facts.h"

static const char help[] =
    "usage: sbx setup [--mode auto|unelevated|elevated] [--user NAME]...\n"
    "                 [--allow-loopback-port N]... [--no-loopback-ports] [--dry-run]\n"
    "                 [--state DIR]\n"
    "\n"
    "Set a mode up.  Without --mode (or with auto) sbx picks elevated when run as\n"
    "root / Administrator and unelevated otherwise.\n"
    "  unelevated  needs no privilege: records the mode and the workspaces in your ledger\n"
    "  elevated    needs root: creates the sandbox accounts, their group, the firewall\n"
    "              rules and the launcher; --user NAME lets NAME use them\n"
    "  --allow-loopback-port N  (elevated) leave loopback port N open to the offline account\n"
    "                           (the ports given replace those open before)\n"
    "  --no-loopback-ports      (elevated) close every loopback port opened before\n"
    "  --dry-run   print the plan and change nothing\n"
    "Every change is journaled in the ledger; a failure rolls everything back.\n";

enum { OPT_MODE, OPT_USER, OPT_PORT, OPT_NO_PORTS, OPT_DRY_RUN };
const struct cli_optdef cli_opts_setup[] = {
    [OPT_MODE] = {"mode", true},
    [OPT_USER] = {"user", true},
    [OPT_PORT] = {"allow-loopback-port", true},
    [OPT_NO_PORTS] = {"no-loopback-ports", false},
    [OPT_DRY_RUN] = {"dry-run", false},
    {NULL, false},
};

int cli_parse_port(const char *s, unsigned *out, struct sbx_error *err)
{
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || !*s || *end || s[0] == '-' || s[0] == '+' || v == 0 || v > 65535)
        return sbx_err_set(err, SBX_EINVAL, "--allow-loopback-port %s: expected a port from 1 to 65535",
                           s);
    *out = (unsigned)v;
    return 0;
}

int cmd_setup(struct sbx_cli *cli, int argc, char **argv)
{
    struct sbx_error err = {0};
    struct cli_args args;
    int start = cli_start(cli, argc, argv, cli_opts_setup, CLI_POS_NONE, help, &args);
    if (start != CLI_CONTINUE)
        return start;
    enum sbx_mode_kind mode = SBX_MODE_NONE;
    const char *users[CLI_MAX_ARGS];
    unsigned ports[CLI_MAX_ARGS];
    size_t n_users = 0, n_ports = 0;
    bool dry_run = false, no_ports = false;
    for (size_t i = 0; i < args.n_opts; i++) {
        const struct cli_optval *o = &args.opts[i];
        switch (o->def) {
        case OPT_MODE:
            if (sbx_mode_parse(o->value, true, &mode, &err))
                return cli_fail(cli, &err);
            break;
        case OPT_USER: users[n_users++] = o->value; break;
        case OPT_PORT:
            if (cli_parse_port(o->value, &ports[n_ports++], &err))
                return cli_fail(cli, &err);
            break;
        case OPT_NO_PORTS: no_ports = true; break;
        case OPT_DRY_RUN: dry_run = true; break;
        }
    }
    if (no_ports && n_ports)
        return cli_usage_error(cli, "--no-loopback-ports and --allow-loopback-port contradict "
                                    "each other");

    enum sbx_privilege priv = SBX_PRIV_USER;
    if (cli_privilege(&priv, &err))
        return cli_fail(cli, &err);
    int rc = 0;
    if (mode == SBX_MODE_NONE)
        mode = sbx_mode_select_setup(priv);
    if (mode == SBX_MODE_ELEVATED && priv != SBX_PRIV_ADMIN) {
        sbx_err_set(&err, SBX_EPERM,
                    "the elevated mode creates accounts and firewall rules: run sbx setup as "
                    "root / Administrator, or use --mode unelevated");
        return cli_fail(cli, &err);
    }
    if (mode == SBX_MODE_UNELEVATED && (n_users || n_ports || no_ports)) {
        sbx_err_set(&err, SBX_EINVAL, "%s applies to the elevated mode only",
                    n_users ? "--user" : n_ports ? "--allow-loopback-port" : "--no-loopback-ports");
        return cli_fail(cli, &err);
    }
    if (!cli_mode_ops(mode, &err))
        return cli_fail(cli, &err);

    struct cli_engine ce;
    if (cli_engine_open(cli, mode == SBX_MODE_ELEVATED, &ce, &err))
        return cli_fail(cli, &err);
    struct sbx_resource_list rs = {0};
    const char *ws[CLI_MAX_ARGS];
    size_t n_ws = 0;
    enum sbx_mode_kind have = SBX_MODE_NONE;
    if ((rc = cli_engine_recover(cli, &ce, false, &err)) ||
        (rc = cli_mode_setup_in(ce.ledger, &have, &err)) ||
        (rc = cli_ledger_workspaces(ce.ledger, &rs, ws, CLI_MAX_ARGS, &n_ws, &err)))
        goto out;
    if (have != SBX_MODE_NONE && have != mode) {
        rc = sbx_err_set(&err, SBX_ESTATE,
                         "the %s mode is set up in %s already; use sbx migrate --to %s to move "
                         "to the %s mode",
                         sbx_mode_name(have), sbx_ledger_path(ce.ledger), sbx_mode_name(mode),
                         sbx_mode_name(mode));
        goto out;
    }
    struct converge_request req = {
        .verb = "setup", .scopes = cli_scopes(cli, mode == SBX_MODE_ELEVATED),
        .mode = mode, .workspaces = ws, .n_workspaces = n_ws,
        .users = users, .n_users = n_users, .ports = ports, .n_ports = n_ports,
        .clear_ports = no_ports,
        .dry_run = dry_run,
    };
    rc = cli_converge(cli, &ce, &req, &err);
    if (rc == 0 && !dry_run)
        cli_info(cli, "sbx: the %s mode is set up (ledger %s)", sbx_mode_name(mode),
                 sbx_ledger_path(ce.ledger));
out:
    sbx_rlist_free(&rs);
    cli_engine_close(&ce);
    return rc ? cli_fail(cli, &err) : SBX_EXIT_OK;
}
