/* SPDX-License-Identifier: MIT */
/* Internals of the Linux OS driver (driver.c dispatches to these).
 *
 * Resource conventions (the fake OS's, plus fields of our own):
 *   group       key=name=NAME, principal=os_id=gid
 *   account     key=name=NAME, principal=os_id=uid, path=home,
 *               detail "home=..\nrole=offline|online\n[member=USER\n
 *               member_uid=UID\n]" (a member's own pair; without: the
 *               shared pair of an sbx before per-member pairs)
 *   membership  key "GROUP:MEMBER", detail "group=..\nmember=..\n",
 *               principal=gid of the group, os_id=uid of the member
 *   directory   key=path=PATH, detail "mode=0755\n" [+ "keep=1\n": an
 *               existing directory whose mode sbx adjusts and restores;
 *               os_id keeps the previous mode]
 *   firewall    key "nft:inet:TABLE[:ports=..]", name=TABLE, detail
 *               "account=NAME\ntable=TABLE\nports=P,Q\n[member=USER\n]",
 *               principal=uid (a table per offline account)
 *   installed   key "DEST[#sha256=..|#ports=..]" (the version of its
 *               content), path=DEST, detail "source=..[\nsha256=..]|
 *               generate=launch-conf\nmode=4750\nowner=root\ngroup=NAME\n..",
 *               the configuration: "users=GROUP\nhomes=DIR\nmembers=UID:OFF:ON,..
 *               \nports=..\n" (format 2), or "offline=..\nonline=.." (format 1,
 *               the shared pair's, only ever put back by a rollback),
 *               os_id=sha256 of what was written
 *   acl_entry   key "KIND:GRANTEE:PATH", path=PATH, detail "grantee=NAME\n
 *               entry=tree|owner-default|traverse\n", principal=os_id=uid
 *               (os_id "UID+kept" when a traverse entry merged into one
 *               that was there before)
 *   cache dir   a directory with "contents=cache\nmode=0700\n": the
 *               unelevated sandbox's cache, the user's own, removed with
 *               its tree (driver_cache.c) */
#ifndef SBX_MODES_OS_LINUX_DRIVER_INT_H
#define SBX_MODES_OS_LINUX_DRIVER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "modes/os/os.h"

/* Run one of the shadow tools (useradd, gpasswd, ...) by absolute path,
 * with an empty environment but PATH and LC_ALL=C, stdin from /dev/null;
 * its stderr ends up in the error message.  Returns 0 when it exits 0. */
int sbx_drv_tool(const char *const argv[], struct sbx_error *err);

/* Does the GECOS comment carry sbx's marker? */
bool sbx_drv_gecos_marked(const char *gecos);
/* Does a group name follow sbx's naming (sbx*users)?  Groups have no
 * comment field: the name plus the recorded gid stand for the marker. */
bool sbx_drv_group_name_marked(const char *name);

/* Parse a decimal id ("1001"); -SBX_EINVAL when it isn't one. */
int sbx_drv_parse_id(const char *s, unsigned *out);

/* Per kind. */
int sbx_drv_group_apply(enum sbx_action act, struct sbx_resource *r, struct sbx_error *err);
int sbx_drv_group_probe(const struct sbx_resource *r, enum sbx_presence *out,
                        struct sbx_error *err);
int sbx_drv_account_apply(enum sbx_action act, struct sbx_resource *r, struct sbx_error *err);
int sbx_drv_account_probe(const struct sbx_resource *r, enum sbx_presence *out,
                          struct sbx_error *err);
int sbx_drv_member_apply(enum sbx_action act, struct sbx_resource *r, struct sbx_error *err);
int sbx_drv_member_probe(const struct sbx_resource *r, enum sbx_presence *out,
                         struct sbx_error *err);
int sbx_drv_dir_apply(enum sbx_action act, struct sbx_resource *r, struct sbx_error *err);
int sbx_drv_dir_probe(const struct sbx_resource *r, enum sbx_presence *out,
                      struct sbx_error *err);
/* The unelevated mode's cache directory (driver_cache.c): a directory
 * resource with "contents=cache" in its detail. */
bool sbx_drv_is_cache_dir(const struct sbx_resource *r);
int sbx_drv_cache_apply(enum sbx_action act, struct sbx_resource *r, struct sbx_error *err);
int sbx_drv_cache_probe(const struct sbx_resource *r, enum sbx_presence *out,
                        struct sbx_error *err);
int sbx_drv_nft_apply(enum sbx_action act, struct sbx_resource *r, struct sbx_error *err);
int sbx_drv_nft_probe(const struct sbx_resource *r, enum sbx_presence *out,
                      struct sbx_error *err);
int sbx_drv_file_apply(enum sbx_action act, struct sbx_resource *r, struct sbx_error *err);
int sbx_drv_acl_apply(struct sbx_os *os, enum sbx_action act, struct sbx_resource *r,
                      struct sbx_error *err);
int sbx_drv_acl_probe(const struct sbx_resource *r, enum sbx_presence *out,
                      struct sbx_error *err);

/* Marked objects for cleanup with a lost ledger. */
int sbx_drv_accounts_find_marked(struct sbx_resource_list *out, struct sbx_error *err);
int sbx_drv_nft_find_marked(struct sbx_resource_list *out, struct sbx_error *err);

/* The contents of the launcher configuration an installed-file resource
 * asks for (detail "generate=launch-conf"), accounts resolved now.
 * Exposed for the mode's health check. */
int sbx_drv_launch_conf_text(const struct sbx_resource *r, char *buf, size_t len,
                             struct sbx_error *err);

/* Grants on the homes of the group's members (only_member's alone when
 * not NULL) that name the two accounts (see driver_grants.c), appended to
 * out. */
int sbx_drv_grants_find(const struct sbx_resource_list *marked, const char *group,
                        const char *only_member, const char *offline, const char *online,
                        struct sbx_resource_list *out, struct sbx_error *err);

#endif
