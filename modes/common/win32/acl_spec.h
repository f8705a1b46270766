/* SPDX-License-Identifier: MIT */
/* ACEs as data.  Every ACE sbx puts on a file is described by a struct
 * sbx_ace_spec (allow/deny, inheritance flags, access mask, trustee SID) and
 * rendered as SDDL, "(A;OICI;0x1301bf;;;S-1-5-21-...)": the ledger stores
 * that text and the tests compare it.  This file is pure (no OS call). */
#ifndef SBX_MODES_COMMON_WIN32_ACL_SPEC_H
#define SBX_MODES_COMMON_WIN32_ACL_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "modes/common/win32/sid.h"
#include "util/error.h"

enum sbx_ace_type {
    SBX_ACE_ALLOW = 0, /* "A": ACCESS_ALLOWED_ACE_TYPE */
    SBX_ACE_DENY = 1,  /* "D": ACCESS_DENIED_ACE_TYPE */
};

/* Inheritance flags, with the values of the Win32 ACE flags. */
#define SBX_ACE_OI 0x01u /* OBJECT_INHERIT_ACE */
#define SBX_ACE_CI 0x02u /* CONTAINER_INHERIT_ACE */
#define SBX_ACE_NP 0x04u /* NO_PROPAGATE_INHERIT_ACE */
#define SBX_ACE_IO 0x08u /* INHERIT_ONLY_ACE */
#define SBX_ACE_ID 0x10u /* INHERITED_ACE (never on an ACE sbx adds) */

/* Access masks.  MODIFY is Explorer's "Modify": read, write, execute and
 * DELETE of the object itself, but not FILE_DELETE_CHILD, so a deny on a
 * subdirectory can't be bypassed by deleting it through its parent. */
#define SBX_RIGHTS_MODIFY 0x001301bfu
/* Everything that changes a file or directory: write/append data, write EA
 * and attributes, delete, delete child, WRITE_DAC, WRITE_OWNER. */
#define SBX_RIGHTS_DENY_WRITE 0x000d0156u
/* GENERIC_ALL, for token default DACLs. */
#define SBX_RIGHTS_GENERIC_ALL 0x10000000u
/* FILE_ALL_ACCESS, for sbx's private directories. */
#define SBX_RIGHTS_FULL 0x001f01ffu
/* FILE_GENERIC_READ | FILE_GENERIC_EXECUTE, for credential files. */
#define SBX_RIGHTS_READ 0x001200a9u

struct sbx_ace_spec {
    enum sbx_ace_type type;
    unsigned flags;                 /* SBX_ACE_* */
    uint32_t mask;
    char sid[SBX_SID_STR_MAX];      /* canonical SID string */
};

/* Fill an ACE spec; validates and canonicalises the SID. */
int sbx_ace_make(enum sbx_ace_type type, unsigned flags, uint32_t mask, const char *sid,
                 struct sbx_ace_spec *out, struct sbx_error *err);

/* The rules of sbx, one constructor each. */
/* Inheritable write grant on a workspace root (capability SID / SbxUsers). */
int sbx_ace_workspace_grant(const char *sid, struct sbx_ace_spec *out, struct sbx_error *err);
/* Inheritable write denial on .git and sbx's own directories. */
int sbx_ace_protect_deny(const char *sid, struct sbx_ace_spec *out, struct sbx_error *err);
/* OWNER RIGHTS (S-1-3-4) limited to Modify, inherit-only on a workspace
 * root: whoever owns a file made there (the elevated mode's account, for
 * what the command creates) gets no implicit WRITE_DAC, so it can't re-ACL
 * the file for others (issue 17 item 9).  The user keeps the rights its
 * own ACEs give it. */
int sbx_ace_owner_rights(struct sbx_ace_spec *out, struct sbx_error *err);

/* SDDL of one ACE: "(A;OICI;0x1301bf;;;S-1-5-21-1-2-3-4)".  Masks are
 * always rendered as 0x-hex, flags in the order OI CI NP IO ID. */
int sbx_ace_to_sddl(const struct sbx_ace_spec *ace, char *out, size_t len);
/* Parse what sbx_ace_to_sddl writes (and hex / decimal masks). */
int sbx_ace_from_sddl(const char *sddl, struct sbx_ace_spec *out, struct sbx_error *err);
bool sbx_ace_equal(const struct sbx_ace_spec *a, const struct sbx_ace_spec *b);

/* "D:" (plus "P" when protected) followed by the ACEs. */
int sbx_dacl_to_sddl(const struct sbx_ace_spec *aces, size_t n, bool protect, char *out,
                     size_t len);

/* The default DACL of the unelevated mode's restricted token: full access
 * for the user, the logon session, the capability SID and SYSTEM, so that
 * objects the child creates (pipes, events, its own files' defaults) pass
 * the write-restricted access check. */
#define SBX_DEFAULT_DACL_ACES 4
int sbx_ace_token_default_dacl(const char *user_sid, const char *logon_sid,
                               const char *cap_sid, struct sbx_ace_spec out[SBX_DEFAULT_DACL_ACES],
                               struct sbx_error *err);

/* The owner-only DACL of sbx's private directories: the owner (the user,
 * or Administrators for the machine directory) and SYSTEM, protected from
 * inheritance. */
#define SBX_PRIVATE_DACL_ACES 2
int sbx_ace_private_dacl(const char *owner_sid, struct sbx_ace_spec out[SBX_PRIVATE_DACL_ACES],
                         struct sbx_error *err);

#define SBX_SID_SYSTEM "S-1-5-18"
#define SBX_SID_ADMINISTRATORS "S-1-5-32-544"
#define SBX_SID_EVERYONE "S-1-1-0"
#define SBX_SID_OWNER_RIGHTS "S-1-3-4"

#endif
