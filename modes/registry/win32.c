/* SPDX-License-Identifier: MIT */
/* The modes built for Windows, the Windows workspace resolution, and the
 * facts the automatic choice of a mode reads. */
#include "modes/common/win32/winpath.h"
#include "modes/elevated/win32.h"
#include "modes/mode.h"
#include "modes/unelevated/win32.h"

const struct sbx_mode_ops *sbx_mode_get(enum sbx_mode_kind kind)
{
    switch (kind) {
    case SBX_MODE_UNELEVATED: return &sbx_unelevated_win32;
    case SBX_MODE_ELEVATED: return &sbx_elevated_win32;
    default: return NULL;
    }
}

int sbx_workspace_resolve(const char *arg, char *out, size_t out_len, struct sbx_error *err)
{
    return sbx_win32_workspace_resolve(arg, out, out_len, err);
}

/* Windows: the elevated mode is installed when the machine ledger holds its
 * marker; whether the caller may use it is settled at run time (the
 * account's password is DPAPI-protected for the user who set it up). */
int sbx_mode_facts(const char *machine_state_dir,
                   const struct sbx_resource_list *machine_resources,
                   struct sbx_mode_facts *facts, struct sbx_error *err)
{
    (void)machine_state_dir;
    (void)err;
    facts->elevated_installed =
        machine_resources && sbx_rlist_find(machine_resources, SBX_R_MODE, "elevated") >= 0;
    facts->elevated_healthy = facts->elevated_installed;
    facts->caller_authorized = facts->elevated_installed;
    return 0;
}
