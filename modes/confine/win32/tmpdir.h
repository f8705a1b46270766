/* SPDX-License-Identifier: MIT */
/* The private per-run TEMP of the unelevated mode: the write-restricted
 * token cannot write the caller's own %TEMP%, so each run gets a fresh
 * folder granted to the capability SID (as a workspace is), removed with
 * everything in it afterwards. */
#ifndef SBX_MODES_CONFINE_WIN32_TMPDIR_H
#define SBX_MODES_CONFINE_WIN32_TMPDIR_H

#include <windows.h>

#include <stddef.h>
#include <wchar.h>

#include "util/error.h"

/* Create %TEMP%\sbx-<pid>-<tick> with an inheritable Modify grant for
 * cap_sid; out (len wide chars) receives its path. */
int sbx_win_temp_create(const char *cap_sid, wchar_t *out, size_t len, struct sbx_error *err);

/* Remove a tree sbx made; junctions are unlinked, never followed.  Best
 * effort: what cannot be removed stays. */
void sbx_win_temp_remove(const wchar_t *dir);

#endif
