/* SPDX-License-Identifier: MIT */
/* Folders everyone may write (issue 17 item 2).  The unelevated mode's token
 * keeps Everyone among its restricting SIDs (the null device, consoles and
 * pipes many tools open grant only Everyone), so the command may write
 * wherever Everyone may.  Denying it there needs the folders' WRITE_DAC,
 * which an unelevated user lacks; so sbx finds them and says so before a
 * run, and the elevated mode's token has no Everyone at all.
 *
 * The scan looks at the usual places: the system drive's root and its
 * folders, ProgramData and its folders, and Windows' Temp, Tasks, Tracing
 * and spool\drivers\color. */
#ifndef SBX_MODES_CONFINE_WIN32_WORLDWRITE_H
#define SBX_MODES_CONFINE_WIN32_WORLDWRITE_H

#include <windows.h>

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

/* Pure: does this DACL let Everyone (S-1-1-0) write into the folder
 * itself (an allow ACE, not inherit-only, with a right that adds, changes
 * or removes entries or the DACL)?  A NULL DACL lets everyone do
 * anything.  Deny ACEs are not weighed: a folder is reported when in
 * doubt. */
bool sbx_dacl_world_writable(const ACL *dacl);

/* OS: visit each world-writable folder of the usual places; at most max
 * visits.  *found counts every one (beyond max too). */
typedef void (*sbx_world_visit)(void *ctx, const wchar_t *path);
int sbx_world_writable_scan(sbx_world_visit visit, void *ctx, size_t max, size_t *found,
                            struct sbx_error *err);

#endif
