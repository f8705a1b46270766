/* What the CLI knows about the machine before choosing a mode. */
#include <stdio.h>
#include <string.h>

#include "cli/facts.h"
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

void cli_mode_facts(const struct sbx_cli *cli, struct sbx_mode_facts *facts)
{
    memset(facts, 0, sizeof *facts);
    cli_privilege(&facts->privilege, NULL);
    /* The elevated mode is recorded in the machine ledger. */
    char dir[4096];
    struct sbx_ledger *machine = NULL;
    if (cli_state_dir(cli, true, dir, sizeof dir, NULL) == 0 &&
        sbx_ledger_open(dir, SBX_LEDGER_READONLY, &machine, NULL) == 0) {
        enum sbx_mode_kind m = SBX_MODE_NONE;
        cli_mode_setup_in(machine, &m, NULL);
        facts->elevated_installed = m == SBX_MODE_ELEVATED;
        sbx_ledger_close(machine);
    }
    facts->elevated_healthy =
        facts->elevated_installed && sbx_mode_get(SBX_MODE_ELEVATED) != NULL;
    facts->caller_authorized = facts->privilege == SBX_PRIV_ADMIN;
}

enum sbx_mode_kind cli_mode_for_run(const struct sbx_mode_facts *facts)
{
    enum sbx_mode_kind m = sbx_mode_select_run(facts);
    return sbx_mode_get(m) ? m : SBX_MODE_NONE;
}
