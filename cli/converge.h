/* SPDX-License-Identifier: MIT */
/* The one operation behind setup, workspace add/remove, migrate and
 * cleanup: converge the ledger's machine to what a mode wants. */
#ifndef SBX_CLI_CONVERGE_H
#define SBX_CLI_CONVERGE_H

#include "cli/cli.h"

/* Which scopes a ledger holds (bits of 1 << enum sbx_scope). */
#define CLI_SCOPE_MACHINE (1u << SBX_SCOPE_MACHINE)
#define CLI_SCOPE_USER (1u << SBX_SCOPE_USER)

/* The scopes of the ledger a command uses: one ledger holds both under
 * --state / SBX_STATE; otherwise the machine ledger holds the machine
 * scope and each user's ledger the user scope. */
unsigned cli_scopes(const struct sbx_cli *cli, bool machine_ledger);

struct converge_request {
    const char *verb;
    unsigned scopes;               /* CLI_SCOPE_* the ledger holds */
    enum sbx_mode_kind mode;       /* NONE: nothing desired (cleanup) */
    const char *const *workspaces; /* the full list wanted after the plan */
    size_t n_workspaces;
    const char *const *users;
    size_t n_users;
    const unsigned *ports;
    size_t n_ports;
    bool clear_ports;
    bool dry_run;
    /* Extra deletions (cleanup: marked objects the ledger lost). */
    const struct sbx_resource_list *orphans;
    /* A user to take out of the mode (sbx migrate --to unelevated --user):
     * the mode no longer sees their membership among the current ones. */
    const char *drop_user;
    /* Machine scope (Linux elevated): retire the pair every member shared
     * before per-member pairs (see struct sbx_config). */
    bool retire_shared_pair;
    /* Out: the id of the plan applied (0 when nothing changed). */
    int64_t *plan_out;
};

/* Plan, print (dry run) or apply, print the outcome.  Returns 0 or the
 * negative error (already in err). */
int cli_converge(const struct sbx_cli *cli, struct cli_engine *ce,
                 const struct converge_request *req, struct sbx_error *err);

/* One plan that makes every recorded resource in missing present again
 * (idempotent creates: absent, or changed on the machine) and deletes the
 * objects in strays (may be NULL); applied through the engine like any
 * plan (journaled, in sbx log, undone by sbx rollback). */
int cli_recreate(struct cli_engine *ce, const char *verb,
                 const struct sbx_resource_list *missing,
                 const struct sbx_resource_list *strays, struct sbx_error *err);

/* The registered workspaces of the ledger (paths point into rs). */
int cli_ledger_workspaces(struct sbx_ledger *l, struct sbx_resource_list *rs,
                          const char **paths, size_t max, size_t *n, struct sbx_error *err);

/* The implementation of a mode, or an error saying it is not built. */
const struct sbx_mode_ops *cli_mode_ops(enum sbx_mode_kind mode, struct sbx_error *err);

#endif
