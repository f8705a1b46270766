/* SPDX-License-Identifier: MIT */
/* What util/platform_win32.c decides that the Windows tests check as data. */
#ifndef SBX_UTIL_PLATFORM_WIN32_H
#define SBX_UTIL_PLATFORM_WIN32_H

#include <stdbool.h>
#include <stddef.h>
#include <wchar.h>

/* Pure: the security descriptor (SDDL) of a directory or file sbx makes
 * for its state.  The machine state (%ProgramData%\sbx, made by an elevated
 * sbx): owner Administrators; full control for SYSTEM and Administrators
 * only, read for Authenticated Users.  Anything else: full control for the
 * caller (user_sid), SYSTEM, and Administrators when elevated.  Protected
 * from inheritance either way.  -1 when out is too small. */
int sbx_win_private_sddl(bool machine, bool elevated, const wchar_t *user_sid, wchar_t *out,
                         size_t len);

#endif
