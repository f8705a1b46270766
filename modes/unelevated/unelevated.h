#ifndef SBX_MODES_UNELEVATED_H
#define SBX_MODES_UNELEVATED_H

#include "modes/mode.h"

/* Ledger-only records every mode wants: its marker and the workspaces. */
int sbx_mode_ledger_records(const struct sbx_config *cfg, enum sbx_mode_kind kind,
                            struct sbx_resource_list *out, struct sbx_error *err);

extern const struct sbx_mode_ops sbx_unelevated_linux;

#endif
