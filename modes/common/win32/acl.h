/* SPDX-License-Identifier: MIT */
/* Putting sbx's ACEs on files and taking exactly them off again.
 *
 * The in-memory editors work on a DACL and are unit tested under Wine with
 * SDDL round trips; the path functions read and write a file's DACL with
 * GetNamedSecurityInfoW / SetNamedSecurityInfoW.  Only explicit ACEs that
 * equal the spec (type, inheritance flags, mask, SID) are ever touched:
 * removal never rewrites the ACEs of others, never restores an old DACL. */
#ifndef SBX_MODES_COMMON_WIN32_ACL_H
#define SBX_MODES_COMMON_WIN32_ACL_H

#include <windows.h>

#include <stdbool.h>

#include "modes/common/win32/acl_spec.h"
#include "util/error.h"

/* A new DACL (LocalAlloc'd, LocalFree it) that is old with ace added in
 * canonical position (deny first, allow at the end of the explicit ACEs),
 * or with every explicit copy of ace removed.  *changed says whether
 * anything differs; *out is set either way.  old must not be NULL. */
int sbx_acl_edit(const ACL *old, const struct sbx_ace_spec *ace, bool add, ACL **out,
                 bool *changed, struct sbx_error *err);
/* Does acl hold ace as an explicit (not inherited) entry? */
int sbx_acl_contains(const ACL *acl, const struct sbx_ace_spec *ace, bool *out,
                     struct sbx_error *err);

/* SDDL of a DACL (as Windows renders it) into a malloc'd UTF-8 string. */
int sbx_acl_sddl(const ACL *acl, bool protect, char **out, struct sbx_error *err);
/* A DACL from SDDL text ("D:..."); LocalFree *sd_out when done, *acl
 * points into it. */
int sbx_acl_from_sddl(const char *sddl, PSECURITY_DESCRIPTOR *sd_out, ACL **acl,
                      struct sbx_error *err);

/* Ensure ace present (add) or absent on the file or directory `path`
 * (a \\?\ long path is fine).  Inheritable ACEs propagate to the tree. */
int sbx_path_ace_set(const wchar_t *path, const struct sbx_ace_spec *ace, bool add,
                     struct sbx_error *err);
/* What sbx_path_ace_set would do, without doing it: the path's DACL now
 * and the DACL it would write, as SDDL (malloc'd; the tests compare what
 * was built, since Wine keeps no DACL). */
int sbx_path_ace_plan(const wchar_t *path, const struct sbx_ace_spec *ace, bool add,
                      char **before, char **after, struct sbx_error *err);
/* Is ace on path?  -SBX_ENOENT when the path is gone. */
int sbx_path_ace_probe(const wchar_t *path, const struct sbx_ace_spec *ace, bool *present,
                       struct sbx_error *err);
/* Replace the DACL of path with a protected one of the given ACEs (sbx's own
 * files and directories only). */
int sbx_path_set_dacl(const wchar_t *path, const struct sbx_ace_spec *aces, size_t n,
                      struct sbx_error *err);

#endif
