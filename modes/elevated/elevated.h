/* SPDX-License-Identifier: MIT */
/* The elevated mode on Linux: dedicated accounts (sbx-offline, sbx-online),
 * the callers' group (sbx-users), POSIX ACL grants on workspaces, an nft
 * table cutting the offline account's network, and the setuid launcher
 * that starts commands as those accounts.
 *
 * Layout under the machine state directory S (default /var/lib/sbx):
 *   S                      made 0711 (traversable) while the mode is set up
 *   S/elevated             root 0755: sbx-launch (4750 root:sbx-users) and
 *                          sbx-launch.conf (0644 root:root)
 *   S/elevated/home/NAME   the accounts' private homes (0700), TMPDIR inside */
#ifndef SBX_MODES_ELEVATED_ELEVATED_H
#define SBX_MODES_ELEVATED_ELEVATED_H

#include <limits.h>
#include <stdbool.h>

#include "modes/common/linux/names.h"
#include "modes/mode.h"
#include "util/du.h"

/* Facts for the automatic choice (modes/mode.h), for the caller (real
 * uid): installed = the machine ledger's resources hold the elevated mode
 * marker; healthy = launcher and configuration present, root's, with the
 * recorded hashes and modes; authorized = the caller is in the users'
 * group.  machine_resources: the machine ledger's present resources. */
int sbx_elevated_facts(const char *machine_state_dir,
                       const struct sbx_resource_list *machine_resources,
                       struct sbx_mode_facts *facts, struct sbx_error *err);

/* The same for a caller who can't read the machine ledger: installed =
 * the launcher's configuration is there and trusted (root's all the way
 * up); healthy = the launcher next to it is root's, setuid and of the
 * users' group; authorized = the caller is in that group. */
int sbx_elevated_facts_unprivileged(const char *machine_state_dir, struct sbx_mode_facts *facts,
                                    struct sbx_error *err);

/* Is workspace root ws (canonical) granted to both accounts?  O(1): the
 * root's own ACL entries.  `sbx run` grants it first when not. */
int sbx_elevated_workspace_granted(const char *machine_state_dir, const char *ws, bool *granted,
                                   struct sbx_error *err);

/* Extra knobs of a run in elevated mode. */
struct sbx_elevated_run_opts {
    const char *machine_state_dir; /* NULL: the default */
    const char *launcher;          /* NULL: the installed one */
    const char *account;           /* NULL: by req->net; tests pass others */
};

/* Run req through the launcher; *status and the return as in
 * sbx_linux_run_ex (confine.h): 0 with the command's status (124 on
 * timeout), or a negative code with status 125/126/127 and err filled. */
int sbx_elevated_run_ex(const struct sbx_run_request *req, const struct sbx_elevated_run_opts *o,
                        int *status, struct sbx_error *err);

/* The caller's sandbox account's cache (cache.c, through the launcher,
 * acting as that account): its size, or emptied; both accounts of the
 * caller's pair.  -SBX_ENOENT when the elevated mode is not set up for the
 * caller (machine_dir: the machine state directory, NULL: the default). */
int sbx_elevated_cache_usage(const char *machine_dir, struct sbx_usage *use,
                             struct sbx_error *err);
int sbx_elevated_cache_clear(const char *machine_dir, struct sbx_error *err);

extern const struct sbx_mode_ops sbx_elevated_linux;

#endif
