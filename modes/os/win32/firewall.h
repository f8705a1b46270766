/* SPDX-License-Identifier: MIT */
/* The elevated mode's firewall rules: block all traffic of the offline
 * account, both directions, every protocol (TCP, UDP incl. DNS to any
 * server, ICMPv4/v6) and every remote address (loopback included), as
 * Windows Firewall rules (INetFwRule3) whose LocalUserAuthorizedList names
 * the account's SID, in a rule group of sbx's own so cleanup can find them
 * without the ledger.  Each rule is read back after it is added and
 * compared field by field with its specification; a rule Windows holds
 * differently (or an add that answers anything but S_OK) is an error.
 *
 * The specification is data (pure, unit tested); the COM part adds, finds,
 * verifies and removes it. */
#ifndef SBX_MODES_OS_WIN32_FIREWALL_H
#define SBX_MODES_OS_WIN32_FIREWALL_H

#include <stdbool.h>
#include <stddef.h>

#include "modes/common/win32/sid.h"
#include "util/error.h"

#define SBX_FW_GROUP "sbx"
/* Every remote address, loopback included: a local proxy or service
 * would otherwise carry the offline account's traffic out (issue 17 item
 * 6).  Whether Windows Firewall filters loopback at all is checked on a
 * real machine by the escape suite (docs/windows.md). */
#define SBX_FW_REMOTE_ALL "*"
/* NET_FW_IP_PROTOCOL_ANY: TCP, UDP (DNS to any server), ICMPv4, ICMPv6. */
#define SBX_FW_PROTOCOL_ANY 256L

struct sbx_fw_rule_spec {
    char name[160];        /* unique: carries the account SID */
    char description[200];
    char group[32];
    bool outbound;         /* NET_FW_RULE_DIR_OUT */
    bool block;            /* NET_FW_ACTION_BLOCK */
    long profiles;         /* NET_FW_PROFILE2_ALL */
    long protocol;         /* SBX_FW_PROTOCOL_ANY */
    char remote_addresses[128];
    char local_users[SBX_SID_STR_MAX + 32]; /* SDDL: O:LSD:(A;;CC;;;SID) */
    char account_sid[SBX_SID_STR_MAX];
};

/* The block rule for account `name` with SID `sid`, outbound or inbound. */
int sbx_fw_block_spec(const char *name, const char *sid, bool outbound,
                      struct sbx_fw_rule_spec *out, struct sbx_error *err);

/* A rule's fields as Windows holds them (read back through INetFwRule3),
 * or as a spec wants them. */
struct sbx_fw_rule_fields {
    char name[160];
    char group[32];
    char remote_addresses[128];
    char local_users[SBX_SID_STR_MAX + 32];
    bool outbound, block, enabled;
    long profiles, protocol;
};
/* Pure: the fields a spec wants. */
void sbx_fw_spec_fields(const struct sbx_fw_rule_spec *spec, struct sbx_fw_rule_fields *out);
/* Pure: NULL when equal, else the name of the first field that differs
 * (remote addresses compare case-insensitively, as Windows may render
 * them in either case). */
const char *sbx_fw_fields_diff(const struct sbx_fw_rule_fields *want,
                               const struct sbx_fw_rule_fields *got);
/* The spec as "key=value\n" lines (ledger detail; tests compare it). */
int sbx_fw_spec_render(const struct sbx_fw_rule_spec *spec, char *out, size_t len);
/* The SID named by a LocalUserAuthorizedList sbx wrote, or -SBX_EINVAL. */
int sbx_fw_users_sid(const char *local_users, char *sid, size_t len);

/* --- Windows Firewall (COM) ------------------------------------------------ */

struct sbx_fw;

/* Open the firewall policy (initialises COM for this thread).  When
 * require_local is set, fails unless local rules take effect
 * (LocalPolicyModifyState OK) and the firewall is on for every profile. */
int sbx_fw_open(bool require_local, struct sbx_fw **out, struct sbx_error *err);
void sbx_fw_close(struct sbx_fw *fw);

/* Build the rule object (INetFwRule3) from spec with every setter
 * answering S_OK, and read its fields back into *got, without adding it
 * to the firewall. */
int sbx_fw_rule_build_check(const struct sbx_fw_rule_spec *spec, struct sbx_fw_rule_fields *got,
                            struct sbx_error *err);
/* Ensure the rule is present as specified (replaces a same-named rule of
 * sbx's group that differs); after adding it, read it back from the
 * firewall and compare (-SBX_EDRIFT, the rule removed again, on a
 * difference). */
int sbx_fw_rule_ensure(struct sbx_fw *fw, const struct sbx_fw_rule_spec *spec,
                       struct sbx_error *err);
/* Ensure no rule of sbx's group has this name. */
int sbx_fw_rule_remove(struct sbx_fw *fw, const char *name, struct sbx_error *err);
/* 0 absent, 1 present as specified, 2 present but different. */
int sbx_fw_rule_probe(struct sbx_fw *fw, const struct sbx_fw_rule_spec *spec, int *state,
                      struct sbx_error *err);

/* Each rule of sbx's group: its name and LocalUserAuthorizedList. */
typedef int (*sbx_fw_visit)(void *ctx, const char *name, const char *local_users,
                            struct sbx_error *err);
int sbx_fw_rules_of_group(struct sbx_fw *fw, sbx_fw_visit visit, void *ctx,
                          struct sbx_error *err);

#endif
