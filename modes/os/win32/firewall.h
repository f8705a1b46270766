/* SPDX-License-Identifier: MIT */
/* The elevated mode's firewall rule: block all outbound traffic of the
 * offline account, as a Windows Firewall rule (INetFwRule3) whose
 * LocalUserAuthorizedList names the account's SID, in a rule group of sbx's
 * own so cleanup can find it without the ledger.
 *
 * The specification is data (pure, unit tested); the COM part adds, finds
 * and removes it. */
#ifndef SBX_MODES_OS_WIN32_FIREWALL_H
#define SBX_MODES_OS_WIN32_FIREWALL_H

#include <stdbool.h>
#include <stddef.h>

#include "modes/common/win32/sid.h"
#include "util/error.h"

#define SBX_FW_GROUP "sbx"
/* Everything but loopback (127.0.0.0/8, ::1, ::): local services the
 * command talks to on the machine stay reachable. */
#define SBX_FW_REMOTE_NOT_LOOPBACK                                                          \
    "0.0.0.0-126.255.255.255,128.0.0.0-255.255.255.255,"                                   \
    "::2-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"

struct sbx_fw_rule_spec {
    char name[160];        /* unique: carries the account SID */
    char description[200];
    char group[32];
    bool outbound;         /* NET_FW_RULE_DIR_OUT */
    bool block;            /* NET_FW_ACTION_BLOCK */
    long profiles;         /* NET_FW_PROFILE2_ALL */
    char remote_addresses[128];
    char local_users[SBX_SID_STR_MAX + 32]; /* SDDL: O:LSD:(A;;CC;;;SID) */
    char account_sid[SBX_SID_STR_MAX];
};

/* The block rule for account `name` with SID `sid`. */
int sbx_fw_block_spec(const char *name, const char *sid, struct sbx_fw_rule_spec *out,
                      struct sbx_error *err);
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

/* Ensure the rule is present as specified (replaces a same-named rule of
 * sbx's group that differs). */
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
