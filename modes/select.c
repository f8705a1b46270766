/* SPDX-License-Identifier: MIT */
/* Automatic choice of mode by privilege level.  Pure: the facts come from
 * the caller (ledger, OS driver), so every combination is unit-tested. */
#include "modes/mode.h"

enum sbx_mode_kind sbx_mode_select_run(const struct sbx_mode_facts *f)
{
    /* Elevated only when it can really be used by this caller: set up on
     * the machine, healthy, and the caller allowed to switch to its
     * accounts.  Anything less falls back to unelevated, which needs
     * nothing and is always available. */
    if (f->elevated_installed && f->elevated_healthy && f->caller_authorized)
        return SBX_MODE_ELEVATED;
    return SBX_MODE_UNELEVATED;
}

enum sbx_mode_kind sbx_mode_select_setup(enum sbx_privilege privilege)
{
    return privilege == SBX_PRIV_ADMIN ? SBX_MODE_ELEVATED : SBX_MODE_UNELEVATED;
}
