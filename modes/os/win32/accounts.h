/* SPDX-License-Identifier: MIT */
/* Local accounts and groups of the elevated mode (NetUserAdd,
 * NetLocalGroupAdd, NetLocalGroupAddMembers), always identified by SID once
 * created: names are resolved on the local machine only (COMPUTER\name) and
 * every object sbx makes carries a marker in its comment, which deletion
 * checks, so a renamed account or a domain account with the same name is
 * never mistaken for sbx's. */
#ifndef SBX_MODES_OS_WIN32_ACCOUNTS_H
#define SBX_MODES_OS_WIN32_ACCOUNTS_H

#include <stdbool.h>
#include <stddef.h>

#include "modes/common/win32/sid.h"
#include "util/error.h"

/* Start of the comment of every account and group sbx creates. */
#define SBX_ACCOUNT_MARKER "[sbx]"

enum sbx_principal_type { SBX_PRINCIPAL_USER = 1, SBX_PRINCIPAL_GROUP = 2 };

/* Pure: does a comment carry sbx's marker? */
bool sbx_account_comment_marked(const char *comment);
/* Pure: the comment sbx writes for `what` ("sandbox account", ...). */
int sbx_account_comment(const char *what, char *out, size_t len);

/* SID of the local user / group `name` (this machine's accounts only);
 * -SBX_ENOENT when there is none. */
int sbx_local_lookup(const char *name, enum sbx_principal_type type, char *sid, size_t len,
                     struct sbx_error *err);
/* Comment of the local user / group with this SID. */
int sbx_local_comment_of(const char *sid, enum sbx_principal_type type, char *comment,
                         size_t len, struct sbx_error *err);

/* Ensure the group / user exists (created with sbx's marker) and fill its
 * SID.  An existing object without the marker is refused (-SBX_EPERM):
 * sbx never adopts somebody else's account.  Users get a random password
 * nobody knows (a credential sets a known one later), never expire, can't
 * change it, and are hidden from the sign-in screen. */
int sbx_local_group_ensure(const char *name, char *sid, size_t len, struct sbx_error *err);
int sbx_local_user_ensure(const char *name, char *sid, size_t len, struct sbx_error *err);
/* Delete by SID, after checking the marker; absent is success. */
int sbx_local_principal_delete(const char *sid, enum sbx_principal_type type,
                               struct sbx_error *err);
/* Set the password of the user with this SID. */
int sbx_local_user_set_password(const char *sid, const char *password, struct sbx_error *err);

/* Memberships, by SIDs. */
int sbx_local_membership_set(const char *group_sid, const char *member_sid, bool add,
                             struct sbx_error *err);
int sbx_local_membership_probe(const char *group_sid, const char *member_sid, bool *present,
                               struct sbx_error *err);

/* Hide (or show again) a user on the sign-in screen
 * (HKLM\...\Winlogon\SpecialAccounts\UserList). */
int sbx_account_hide(const char *name, bool hide, struct sbx_error *err);

/* Every local user and group whose comment carries the marker. */
typedef int (*sbx_account_visit)(void *ctx, enum sbx_principal_type type, const char *name,
                                 const char *sid, struct sbx_error *err);
int sbx_local_find_marked(sbx_account_visit visit, void *ctx, struct sbx_error *err);

#endif
