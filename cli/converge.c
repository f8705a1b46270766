/* SPDX-License-Identifier: MIT */
#include "cli/converge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/limits.h"
#include "util/platform.h"

#ifdef _WIN32
#define SBX_PLATFORM_NAME "Windows"
#else
#define SBX_PLATFORM_NAME "Linux"
#endif

const struct sbx_mode_ops *cli_mode_ops(enum sbx_mode_kind mode, struct sbx_error *err)
{
    const struct sbx_mode_ops *ops = sbx_mode_get(mode);
    if (!ops)
        sbx_err_set(err, SBX_ENOTSUP,
                    "the %s driver of the %s mode is not built yet in this version of sbx",
                    SBX_PLATFORM_NAME, sbx_mode_name(mode));
    return ops;
}

int cli_ledger_workspaces(struct sbx_ledger *l, struct sbx_resource_list *rs,
                          const char **paths, size_t max, size_t *n, struct sbx_error *err)
{
    *n = 0;
    int rc = sbx_ledger_resources(l, rs, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < rs->len; i++) {
        if (rs->items[i].kind != SBX_R_WORKSPACE)
            continue;
        if (*n == max)
            return sbx_err_set(err, SBX_EINVAL, "too many workspaces (at most %zu)", max);
        paths[(*n)++] = rs->items[i].path ? rs->items[i].path : rs->items[i].key;
    }
    return 0;
}

unsigned cli_scopes(const struct sbx_cli *cli, bool machine_ledger)
{
    const char *env = getenv("SBX_STATE");
    if (cli->state_opt || (env && *env))
        return CLI_SCOPE_MACHINE | CLI_SCOPE_USER;
    return machine_ledger ? CLI_SCOPE_MACHINE : CLI_SCOPE_USER;
}

int cli_converge(const struct sbx_cli *cli, struct cli_engine *ce,
                 const struct converge_request *req, struct sbx_error *err)
{
    struct sbx_resource_list current = {0}, desired = {0};
    struct sbx_plan plan = {0};
    int rc = sbx_ledger_resources(ce->ledger, &current, err);
    if (rc)
        goto out;
    /* The workspaces come from the ledger (or the command line): a ledger
     * edited by someone else must not make sbx grant anything on a path
     * it would refuse from the command line, nor follow a workspace that
     * was replaced by a symlink since it was registered. */
    for (size_t i = 0; req->mode != SBX_MODE_NONE && i < req->n_workspaces; i++) {
        char resolved[SBX_PATH_MAX];
        struct sbx_error werr = {0};
        const char *w = req->workspaces[i];
        if (sbx_workspace_resolve(w, resolved, sizeof resolved, &werr) == 0) {
            if (strcmp(resolved, w) != 0) {
                rc = sbx_err_set(err, SBX_EINVAL,
                                 "workspace %s now resolves to %s (moved or replaced by a link "
                                 "since it was registered): remove it with sbx workspace remove "
                                 "%s, then add the real directory",
                                 w, resolved, w);
                goto out;
            }
        } else if (sbx_fs_exists(w)) {
            rc = sbx_err_set(err, SBX_EINVAL, "the ledger lists %s as a workspace, which sbx "
                             "refuses (%s); remove it with sbx workspace remove %s",
                             w, werr.msg, w);
            goto out;
        }
    }
    if (req->mode != SBX_MODE_NONE) {
        const struct sbx_mode_ops *ops = cli_mode_ops(req->mode, err);
        if (!ops) {
            rc = -err->code;
            goto out;
        }
        struct sbx_config cfg = {
            .mode = req->mode,
            .workspaces = req->workspaces,
            .n_workspaces = req->n_workspaces,
            .users = req->users,
            .n_users = req->n_users,
            .loopback_ports = req->ports,
            .n_loopback_ports = req->n_ports,
            .clear_loopback_ports = req->clear_ports,
            .state_dir = sbx_ledger_dir(ce->ledger),
            .retire_shared_pair = req->retire_shared_pair,
            .current = &current,
        };
        struct sbx_resource_list kept = {0};
        if (req->drop_user) {
            for (size_t i = 0; i < current.len && rc == 0; i++) {
                char member[256];
                if (current.items[i].kind == SBX_R_MEMBERSHIP &&
                    sbx_detail_get(current.items[i].detail, "member", member, sizeof member) == 0 &&
                    strcmp(member, req->drop_user) == 0)
                    continue;
                if (sbx_rlist_push(&kept, &current.items[i]))
                    rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
            }
            cfg.current = &kept;
        }
        for (int scope = SBX_SCOPE_MACHINE; scope <= SBX_SCOPE_USER && rc == 0; scope++)
            if (req->scopes & (1u << scope))
                rc = ops->desired(&cfg, (enum sbx_scope)scope, &desired, err);
        sbx_rlist_free(&kept);
        if (rc)
            goto out;
    }
    /* Marked objects the ledger does not know (cleanup) are planned with
     * the ledger's own, so every removal comes in dependency order (a
     * grant before the account it names). */
    for (size_t i = 0; req->orphans && i < req->orphans->len && rc == 0; i++) {
        const struct sbx_resource *o = &req->orphans->items[i];
        if (sbx_rlist_find_object(&current, o) < 0 && sbx_rlist_push(&current, o))
            rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
    }
    if (rc || (rc = sbx_plan_compute(&current, &desired, req->verb, &plan, err)))
        goto out;
    snprintf(plan.mode_to, sizeof plan.mode_to, "%s", sbx_mode_name(req->mode));
    for (size_t i = 0; i < current.len; i++)
        if (current.items[i].kind == SBX_R_MODE)
            snprintf(plan.mode_from, sizeof plan.mode_from, "%s", current.items[i].key);
    if (req->dry_run) {
        cli_print_plan(cli, &plan, true);
        goto out;
    }
    if ((rc = sbx_plan_apply(&ce->engine, &plan, err)))
        goto out;
    if (req->plan_out)
        *req->plan_out = plan.id;
    cli_print_plan(cli, &plan, false);
out:
    sbx_plan_free(&plan);
    sbx_rlist_free(&current);
    sbx_rlist_free(&desired);
    return rc;
}

int cli_recreate(struct cli_engine *ce, const char *verb,
                 const struct sbx_resource_list *missing,
                 const struct sbx_resource_list *strays, struct sbx_error *err)
{
    struct sbx_plan plan = {0}, creates = {0}, deletes = {0};
    struct sbx_resource_list none = {0};
    int rc;
    if ((rc = sbx_plan_compute(&none, missing, verb, &creates, err)) == 0 &&
        (rc = sbx_plan_compute(strays ? strays : &none, &none, verb, &deletes, err)) == 0) {
        snprintf(plan.verb, sizeof plan.verb, "%s", verb);
        plan.n_ops = creates.n_ops + deletes.n_ops;
        plan.ops = calloc(plan.n_ops ? plan.n_ops : 1, sizeof *plan.ops);
        if (!plan.ops) {
            rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
        } else {
            if (creates.n_ops)
                memcpy(plan.ops, creates.ops, creates.n_ops * sizeof *plan.ops);
            if (deletes.n_ops)
                memcpy(plan.ops + creates.n_ops, deletes.ops, deletes.n_ops * sizeof *plan.ops);
            free(creates.ops);
            free(deletes.ops);
            creates.ops = deletes.ops = NULL;
            creates.n_ops = deletes.n_ops = 0;
            rc = sbx_plan_apply(&ce->engine, &plan, err);
        }
    }
    sbx_plan_free(&creates);
    sbx_plan_free(&deletes);
    sbx_plan_free(&plan);
    return rc;
}
