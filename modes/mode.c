#include "modes/mode.h"

#include <string.h>

const char *sbx_mode_name(enum sbx_mode_kind kind)
{
    switch (kind) {
    case SBX_MODE_UNELEVATED: return "unelevated";
    case SBX_MODE_ELEVATED: return "elevated";
    default: return "none";
    }
}

int sbx_mode_parse(const char *s, bool allow_auto, enum sbx_mode_kind *out,
                   struct sbx_error *err)
{
    if (s && strcmp(s, "unelevated") == 0)
        *out = SBX_MODE_UNELEVATED;
    else if (s && strcmp(s, "elevated") == 0)
        *out = SBX_MODE_ELEVATED;
    else if (s && allow_auto && strcmp(s, "auto") == 0)
        *out = SBX_MODE_NONE;
    else
        return sbx_err_set(err, SBX_EINVAL, "unknown mode '%s': expected %sunelevated or elevated",
                           s ? s : "", allow_auto ? "auto, " : "");
    return 0;
}

/* Shared by every mode on every platform: the mode marker and one record
 * per workspace.  Workspace records carry no mode, so moving between modes
 * keeps them. */
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

