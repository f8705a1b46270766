/* SPDX-License-Identifier: MIT */
/* What the CLI knows about the machine before choosing a mode. */
#include <stdio.h>
#include <string.h>

#include "cli/facts.h"
#include "util/limits.h"
#include "util/platform.h"

int cli_mode_setup_in(struct sbx_ledger *l, enum sbx_mode_kind *out, struct sbx_error *err)
{
    *out = SBX_MODE_NONE;
    struct sbx_resource_list rs = {0};
    int rc = sbx_ledger_resources(l, &rs, err);
    for (size_t i = 0; rc == 0 && i < rs.len; i++)
        if (rs.items[i].kind == SBX_R_MODE)
            sbx_mode_parse(rs.items[i].key, false, out, NULL);
    sbx_rlist_free(&rs);
    return rc;
}

/* use_ledger: the machine ledger when this caller can read it (root),
 * else what setup left readable for everyone. */
static void mode_facts(const struct sbx_cli *cli, bool use_ledger, struct sbx_mode_facts *facts)
{
    memset(facts, 0, sizeof *facts);
    cli_privilege(&facts->privilege, NULL);
    enum sbx_privilege priv = facts->privilege;
    char dir[SBX_PATH_MAX];
    if (cli_state_dir(cli, true, dir, sizeof dir, NULL) != 0)
        return;
    struct sbx_ledger *machine = NULL;
    struct sbx_resource_list rs = {0};
    bool readable = use_ledger &&
                    sbx_ledger_open(dir, SBX_LEDGER_READONLY, &machine, NULL) == 0 &&
                    sbx_ledger_resources(machine, &rs, NULL) == 0;
    sbx_mode_facts(dir, readable ? &rs : NULL, facts, NULL);
    facts->privilege = priv;
    sbx_rlist_free(&rs);
    sbx_ledger_close(machine);
}

void cli_mode_facts(const struct sbx_cli *cli, struct sbx_mode_facts *facts)
{
    mode_facts(cli, true, facts);
}

void cli_mode_facts_run(const struct sbx_cli *cli, struct sbx_mode_facts *facts)
{
    /* Linux: what every member's run reads, the launcher's root-owned
     * configuration and the launcher's own file, never the machine's
     * ledger, also for root (opening SQLite and reading every resource at
     * each command was most of a run's start on a machine set up for the
     * elevated mode); `sbx status` and `sbx doctor` still compare the
     * ledger's record of those files with the disk.  Windows reads the
     * ledger as before. */
#ifdef _WIN32
    mode_facts(cli, true, facts);
#else
    mode_facts(cli, false, facts);
#endif
}

enum sbx_mode_kind cli_mode_for_run(const struct sbx_cli *cli, const struct sbx_mode_facts *facts)
{
    enum sbx_mode_kind m = sbx_mode_select_run(facts);
    /* The caller's own ledger still set up unelevated (not migrated, or a
     * migration that has not reached it yet) keeps the unelevated mode:
     * runs never use a mode the caller's workspaces are not ready for. */
    if (m == SBX_MODE_ELEVATED) {
        char dir[SBX_PATH_MAX];
        struct sbx_ledger *l = NULL;
        enum sbx_mode_kind mine = SBX_MODE_NONE;
        if (cli_state_dir(cli, false, dir, sizeof dir, NULL) == 0 &&
            sbx_ledger_open(dir, SBX_LEDGER_READONLY, &l, NULL) == 0)
            cli_mode_setup_in(l, &mine, NULL);
        sbx_ledger_close(l);
        if (mine == SBX_MODE_UNELEVATED)
            m = SBX_MODE_UNELEVATED;
    }
    return sbx_mode_get(m) ? m : SBX_MODE_NONE;
}
