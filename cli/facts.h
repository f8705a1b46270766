/* SPDX-License-Identifier: MIT */
#ifndef SBX_CLI_FACTS_H
#define SBX_CLI_FACTS_H

#include "cli/cli.h"

/* The mode whose marker the ledger holds (NONE when nothing is set up). */
int cli_mode_setup_in(struct sbx_ledger *l, enum sbx_mode_kind *out, struct sbx_error *err);
/* Facts for the automatic choice of mode. */
void cli_mode_facts(const struct sbx_cli *cli, struct sbx_mode_facts *facts);
/* The same for `sbx run`, cheaply: from the launcher's configuration, as
 * for every member, not from the machine's ledger (Linux). */
void cli_mode_facts_run(const struct sbx_cli *cli, struct sbx_mode_facts *facts);
/* The mode `sbx run` would use: the automatic choice (the caller's own
 * ledger set up unelevated keeps it so), NONE when this build has no
 * implementation of it. */
enum sbx_mode_kind cli_mode_for_run(const struct sbx_cli *cli, const struct sbx_mode_facts *facts);

#endif
