/* The modes built for Windows, the Windows workspace resolution, and the
 * ledger records every mode wants. */
#include "modes/mode.h"
#include "modes/os/win32/winpath.h"
#include "modes/unelevated/unelevated.h"
#include "modes/win32_modes.h"

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
