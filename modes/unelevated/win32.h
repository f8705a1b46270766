/* SPDX-License-Identifier: MIT */
/* The unelevated mode on Windows, and the protections both Windows modes
 * want.  The protections are defined here, with the mode that has no
 * machine scope, so the elevated mode depends on this folder and never the
 * other way round; the table of modes (modes/registry/win32.c) sits above
 * both. */
#ifndef SBX_MODES_UNELEVATED_WIN32_H
#define SBX_MODES_UNELEVATED_WIN32_H

#include "modes/mode.h"

extern const struct sbx_mode_ops sbx_unelevated_win32;

/* Shared by both: the protections inside each workspace (deny-write ACEs
 * on <ws>\.git when it exists, and on the state directory) for a trustee
 * SID or local group name. */
int sbx_win32_protect_resources(const struct sbx_config *cfg, const char *trustee_sid,
                                const char *trustee_group, const char *mode,
                                struct sbx_resource_list *out, struct sbx_error *err);

#endif
