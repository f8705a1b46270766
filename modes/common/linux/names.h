/* SPDX-License-Identifier: MIT */
/* Names and places of the elevated mode's machine objects (Linux): the
 * accounts and group, the nft table, where the launcher and its
 * configuration are installed, and the launcher file setup copies.  A leaf
 * of the tree: the mode, the plan driver and the CLI share it. */
#ifndef SBX_MODES_COMMON_LINUX_NAMES_H
#define SBX_MODES_COMMON_LINUX_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

/* Names of the machine objects.  The defaults are sbx-users, and for the
 * shared pair of an sbx before per-member pairs sbx-offline, sbx-online
 * and the nft table "sbx" (each member's own: sbx_elevated_member_pair);
 * SBX_ELEVATED_PREFIX (read by sbx
 * only, never by the launcher) replaces "sbx-" so tests run beside a real
 * setup.  It must start with "sbx" and be [a-z0-9-], at most 16 chars. */
struct sbx_elevated_names {
    char prefix[24];
    char group[48];
    char offline[48]; /* the shared pair of sbx before per-member pairs: */
    char online[48];  /* what `sbx migrate` retires */
    char table[48];
    /* SBX_ELEVATED_SHARED_PAIR=1 (sbx only, for the upgrade tests): set
     * the machine up as sbx did before per-member pairs, every member on
     * the shared pair, so that `sbx migrate` has such a machine to move. */
    bool shared;
    /* SBX_ELEVATED_TRAVERSE=1 (sbx only, for the upgrade tests): grant the
     * accounts traverse on a workspace's ancestors, as sbx did before the
     * launcher's home skeleton, so that `sbx migrate` has such grants to
     * revoke. */
    bool traverse;
};
int sbx_elevated_names(struct sbx_elevated_names *out, struct sbx_error *err);

/* useradd's limit on Debian: every account name sbx makes fits. */
#define SBX_ACCOUNT_NAME_MAX 32

/* One member's own pair of sandbox accounts and the nft table that keeps
 * its offline account off the network.  PREFIX + MEMBER + "-off" / "-on"
 * when MEMBER is [a-z0-9_-] and the name fits; else PREFIX + up to a few
 * of MEMBER's [a-z0-9] characters + "-" + 10 hex digits of a hash of
 * MEMBER + "-off" / "-on".  Deterministic; two members can't share a long
 * form, and the desired state refuses the (root-made) user names that
 * would make a short form meet another name.  The table is the offline
 * name with '-' turned into '_'. */
struct sbx_member_pair {
    char offline[48];
    char online[48];
    char table[48];
};
int sbx_elevated_member_pair(const struct sbx_elevated_names *n, const char *member,
                             struct sbx_member_pair *out, struct sbx_error *err);

/* Is name an account (or table, with '_') of the per-member form of n? */
bool sbx_elevated_is_member_account(const struct sbx_elevated_names *n, const char *name);
bool sbx_elevated_is_member_table(const struct sbx_elevated_names *n, const char *table);

/* The machine state directory: dir when given (it must be absolute), else
 * the default (/var/lib/sbx). */
int sbx_elevated_state_dir(const char *dir, char *out, size_t len, struct sbx_error *err);

/* Where the launcher and its configuration live for a machine state dir. */
int sbx_elevated_launcher_path(const char *machine_state_dir, char *out, size_t len,
                               struct sbx_error *err);
int sbx_elevated_conf_path(const char *machine_state_dir, char *out, size_t len,
                           struct sbx_error *err);

/* The program name beside the running sbx (a build tree) or in its
 * libexec directory (installed), into out; false when neither exists. */
bool sbx_program_beside_sbx(const char *name, char *out, size_t len);

/* The launcher binary setup installs: $SBX_LAUNCHER_SOURCE (sbx only),
 * else sbx-launch next to the running sbx, else the build's. */
int sbx_elevated_launcher_source(char *out, size_t len, struct sbx_error *err);

#endif
