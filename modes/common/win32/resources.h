/* SPDX-License-Identifier: MIT */
/* The Windows resources and their conventions, in one place: the modes
 * build them (desired), the driver reads them (apply / probe).  Pure.
 *
 *  kind             key                                     other fields
 *  capability_sid   capability:<ws>                         path = the workspace; principal = its
 *                                                           SID (generated once, one per workspace)
 *  group            group:SbxUsers                          name; principal = SID (on create)
 *  account          account:SbxOffline                      name; principal = SID (on create);
 *                                                           detail net=off|on
 *  membership       member:SbxUsers/SbxOffline              name = member; detail group=;
 *                                                           principal = member SID, os_id = group SID
 *  credential       credential:SbxOffline@<caller SID>      name = account; path = the file of the
 *                                                           DPAPI blob; detail for=<caller SID>;
 *                                                           principal = account SID
 *  firewall_rule    firewall:block-outbound:SbxOffline      name = account; detail account=,
 *                   firewall:block-inbound:SbxOffline       direction=out|in;
 *                                                           principal = account SID, os_id = rule name
 *  acl_entry        <path>|(A;OICI;0x1301bf;;;<SID>)        path; detail ace=A;OICI;0x1301bf;
 *                   <ws>|(A;OICIIO;0x1301bf;;;S-1-3-4)      (elevated: OWNER RIGHTS on a workspace)
 *                   or <path>|(...;;;group:SbxUsers)        principal = trustee SID (known up front for
 *                                                           the capability SID, on create for the group,
 *                                                           whose detail says trustee=SbxUsers)
 *
 * Names are never the only key of an OS object: whatever is removed is
 * removed by the SID recorded when it was created. */
#ifndef SBX_MODES_COMMON_WIN32_RESOURCES_H
#define SBX_MODES_COMMON_WIN32_RESOURCES_H

#include <stdbool.h>

#include "modes/common/win32/acl_spec.h"
#include "state/resource.h"
#include "util/error.h"

#define SBX_WIN_GROUP "SbxUsers"
#define SBX_WIN_OFFLINE "SbxOffline"
#define SBX_WIN_ONLINE "SbxOnline"

enum sbx_winres_ace { SBX_WINRES_GRANT, SBX_WINRES_DENY, SBX_WINRES_OWNER_RIGHTS };

/* The capability SID of workspace ws (one per workspace: a run holds
 * only its own workspaces' SIDs, issue 17 item 9). */
int sbx_winres_capability(struct sbx_resource_list *l, const char *ws, const char *sid,
                          struct sbx_error *err);
/* The capability SID a list records for ws, or -SBX_ENOENT. */
int sbx_winres_capability_of(const struct sbx_resource_list *l, const char *ws, char *sid,
                             size_t len);
/* trustee_sid for a known SID, else trustee_group (a local group name);
 * SBX_WINRES_OWNER_RIGHTS names its own trustee (S-1-3-4): pass NULLs. */
int sbx_winres_ace(struct sbx_resource_list *l, const char *path, enum sbx_winres_ace what,
                   const char *trustee_sid, const char *trustee_group, const char *mode,
                   struct sbx_error *err);
int sbx_winres_group(struct sbx_resource_list *l, const char *name, struct sbx_error *err);
int sbx_winres_account(struct sbx_resource_list *l, const char *name, bool net,
                       struct sbx_error *err);
int sbx_winres_membership(struct sbx_resource_list *l, const char *group, const char *member,
                          struct sbx_error *err);
int sbx_winres_credential(struct sbx_resource_list *l, const char *account,
                          const char *caller_sid, const char *state_dir, struct sbx_error *err);
int sbx_winres_firewall(struct sbx_resource_list *l, const char *account, bool outbound,
                        struct sbx_error *err);
/* Driver side: does a firewall_rule resource block outbound traffic (else
 * inbound)? */
bool sbx_winres_firewall_outbound(const struct sbx_resource *r);

/* Driver side: the ACE an acl_entry resource describes, for trustee sid. */
int sbx_winres_ace_spec(const struct sbx_resource *r, const char *sid, struct sbx_ace_spec *out,
                        struct sbx_error *err);

/* Driver side: a credential resource's path is the one sbx names for it,
 * "...\\credentials\\<for SID>-<account>.dpapi", or -SBX_EPERM: the driver
 * deletes or writes no other file, whatever the ledger says. */
int sbx_winres_credential_path_check(const struct sbx_resource *r, struct sbx_error *err);

#endif
