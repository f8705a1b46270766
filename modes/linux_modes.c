/* The modes built for Linux. */
#include "modes/mode.h"
#include "modes/os/linux/confine.h"
#include "modes/unelevated/unelevated.h"

const struct sbx_mode_ops *sbx_mode_get(enum sbx_mode_kind kind)
{
    switch (kind) {
    case SBX_MODE_UNELEVATED: return &sbx_unelevated_linux;
    /* The elevated mode (accounts, POSIX ACLs, nftables, launcher) is not
     * built yet: sbx_mode_get() says so and the CLI reports it. */
    default: return NULL;
    }
}

int sbx_workspace_resolve(const char *arg, char *out, size_t out_len, struct sbx_error *err)
{
    return sbx_linux_workspace_resolve(arg, out, out_len, err);
}
