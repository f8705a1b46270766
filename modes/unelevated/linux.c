/* The unelevated mode on Linux: nothing to create on the machine (Landlock
 * and seccomp are applied per run), so its resources are ledger records:
 * the mode itself and the registered workspaces. */
#include "modes/unelevated/unelevated.h"

#include <stdio.h>

#include "modes/os/linux/confine.h"

/* Shared by both platforms' unelevated modes and reused by the elevated
 * ones: the mode marker and one record per workspace.  Workspace records
 * carry no mode, so moving between modes keeps them. */
int sbx_mode_ledger_records(const struct sbx_config *cfg, enum sbx_mode_kind kind,
                            struct sbx_resource_list *out, struct sbx_error *err)
{
    const char *name = sbx_mode_name(kind);
    if (sbx_rlist_add(out, SBX_R_MODE, name, name, NULL, NULL, NULL, name))
        return sbx_err_set(err, SBX_ENOMEM, "out of memory");
    for (size_t i = 0; i < cfg->n_workspaces; i++)
        if (sbx_rlist_add(out, SBX_R_WORKSPACE, cfg->workspaces[i], NULL, NULL,
                          cfg->workspaces[i], NULL, NULL))
            return sbx_err_set(err, SBX_ENOMEM, "out of memory");
    return 0;
}

static int desired(const struct sbx_config *cfg, enum sbx_scope scope,
                   struct sbx_resource_list *out, struct sbx_error *err)
{
    if (scope != SBX_SCOPE_USER)
        return 0;
    return sbx_mode_ledger_records(cfg, SBX_MODE_UNELEVATED, out, err);
}

const struct sbx_mode_ops sbx_unelevated_linux = {
    .kind = SBX_MODE_UNELEVATED,
    .platform = "linux",
    .desired = desired,
    .run = sbx_linux_run,
};
