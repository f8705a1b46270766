/* SPDX-License-Identifier: MIT */
#include "modes/mode.h"

#include <stdio.h>
#include <string.h>

#include "modes/common/cache_env.h"
#include "util/limits.h"

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
int sbx_mode_cache_resource(const char *dir, struct sbx_resource_list *out,
                            struct sbx_error *err)
{
    char path[SBX_PATH_MAX];
    if (!dir || !dir[0])
        return sbx_err_set(err, SBX_EINVAL, "no state directory for the sandbox's cache");
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, SBX_CACHE_DIR_NAME) >= sizeof path)
        return sbx_err_set(err, SBX_EINVAL, "state directory path too long: %s", dir);
    if (sbx_rlist_add(out, SBX_R_DIRECTORY, path, NULL, NULL, path,
                      "contents=cache\nmode=0700\n", NULL))
        return sbx_err_set(err, SBX_ENOMEM, "out of memory");
    return 0;
}

int sbx_mode_cache_record(const struct sbx_config *cfg, bool want,
                          struct sbx_resource_list *out, struct sbx_error *err)
{
    struct sbx_resource_list one = {0};
    int rc = sbx_mode_cache_resource(cfg->state_dir, &one, err);
    if (rc == 0 && (want || (cfg->current &&
                             sbx_rlist_find(cfg->current, SBX_R_DIRECTORY, one.items[0].key) >= 0)) &&
        sbx_rlist_push(out, &one.items[0]))
        rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
    sbx_rlist_free(&one);
    return rc;
}

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

