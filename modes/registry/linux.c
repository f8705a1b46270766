/* SPDX-License-Identifier: MIT */
/* The modes built for Linux. */
#include <unistd.h>

#include "modes/elevated/elevated.h"
#include "modes/mode.h"
#include "modes/confine/linux/confine.h"
#include "modes/unelevated/unelevated.h"

const struct sbx_mode_ops *sbx_mode_get(enum sbx_mode_kind kind)
{
    switch (kind) {
    case SBX_MODE_UNELEVATED: return &sbx_unelevated_linux;
    case SBX_MODE_ELEVATED: return &sbx_elevated_linux;
    default: return NULL;
    }
}

int sbx_workspace_resolve(const char *arg, char *out, size_t out_len, struct sbx_error *err)
{
    return sbx_linux_workspace_resolve(arg, out, out_len, err);
}

int sbx_mode_facts(const char *machine_state_dir,
                   const struct sbx_resource_list *machine_resources,
                   struct sbx_mode_facts *facts, struct sbx_error *err)
{
    if (machine_resources)
        return sbx_elevated_facts(machine_state_dir, machine_resources, facts, err);
    return sbx_elevated_facts_unprivileged(machine_state_dir, facts, err);
}
