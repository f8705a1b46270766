/* SPDX-License-Identifier: MIT */
/* The unelevated mode on Linux: nothing to create on the machine (Landlock
 * and seccomp are applied per run), so its resources are ledger records
 * (the mode itself and the registered workspaces) and the sandbox's cache
 * directory, the user's own. */
#include "modes/unelevated/unelevated.h"

#include <stdio.h>

#include "modes/confine/linux/confine.h"

static int desired(const struct sbx_config *cfg, enum sbx_scope scope,
                   struct sbx_resource_list *out, struct sbx_error *err)
{
    if (scope != SBX_SCOPE_USER)
        return 0;
    int rc = sbx_mode_ledger_records(cfg, SBX_MODE_UNELEVATED, out, err);
    return rc ? rc : sbx_mode_cache_record(cfg, true, out, err);
}

static int check(const struct sbx_run_request *req, struct sbx_mode_notes *notes,
                 struct sbx_error *err)
{
    struct sbx_linux_report rep;
    int rc = sbx_linux_check(req->net, &rep, err);
    notes->n = 0;
    for (size_t i = 0; i < rep.n_notes && notes->n < SBX_MODE_MAX_NOTES; i++)
        snprintf(notes->text[notes->n++], SBX_MODE_NOTE_LEN, "%s", rep.notes[i]);
    return rc;
}

static int run(const struct sbx_run_request *req, int *status, struct sbx_mode_notes *notes,
               struct sbx_error *err)
{
    struct sbx_linux_report rep;
    int rc = sbx_linux_run_ex(req, &rep, status, err);
    notes->n = 0;
    /* The check's notes were printed before the command started. */
    for (size_t i = rep.n_check_notes; i < rep.n_notes && notes->n < SBX_MODE_MAX_NOTES; i++)
        snprintf(notes->text[notes->n++], SBX_MODE_NOTE_LEN, "%s", rep.notes[i]);
    return rc;
}

const struct sbx_mode_ops sbx_unelevated_linux = {
    .kind = SBX_MODE_UNELEVATED,
    .platform = "linux",
    .desired = desired,
    .run = run,
    .check = check,
};
