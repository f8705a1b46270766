/* The Windows implementations of struct sbx_mode_ops. */
#ifndef SBX_MODES_WIN32_MODES_H
#define SBX_MODES_WIN32_MODES_H

#include "modes/mode.h"

extern const struct sbx_mode_ops sbx_unelevated_win32;
extern const struct sbx_mode_ops sbx_elevated_win32;

/* Shared by both: the protections inside each workspace (deny-write ACEs
 * on <ws>\.git when it exists, and on the state directory) for a trustee
 * SID or local group name. */
int sbx_win32_protect_resources(const struct sbx_config *cfg, const char *trustee_sid,
                                const char *trustee_group, const char *mode,
                                struct sbx_resource_list *out, struct sbx_error *err);

#endif
