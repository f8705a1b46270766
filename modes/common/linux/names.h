/* Names and places of the elevated mode's machine objects (Linux): the
 * accounts and group, the nft table, where the launcher and its
 * configuration are installed, and the launcher file setup copies.  A leaf
 * of the tree: the mode, the plan driver and the CLI share it. */
#ifndef SBX_MODES_COMMON_LINUX_NAMES_H
#define SBX_MODES_COMMON_LINUX_NAMES_H

#include <stddef.h>

#include "util/error.h"

/* Names of the machine objects.  The defaults are sbx-users, sbx-offline,
 * sbx-online and the nft table "sbx"; SBX_ELEVATED_PREFIX (read by sbx
 * only, never by the launcher) replaces "sbx-" so tests run beside a real
 * setup.  It must start with "sbx" and be [a-z0-9-], at most 16 chars. */
struct sbx_elevated_names {
    char group[48];
    char offline[48];
    char online[48];
    char table[48];
};
int sbx_elevated_names(struct sbx_elevated_names *out, struct sbx_error *err);

/* The machine state directory: dir when given (it must be absolute), else
 * the default (/var/lib/sbx). */
int sbx_elevated_state_dir(const char *dir, char *out, size_t len, struct sbx_error *err);

/* Where the launcher and its configuration live for a machine state dir. */
int sbx_elevated_launcher_path(const char *machine_state_dir, char *out, size_t len,
                               struct sbx_error *err);
int sbx_elevated_conf_path(const char *machine_state_dir, char *out, size_t len,
                           struct sbx_error *err);

/* The launcher binary setup installs: $SBX_LAUNCHER_SOURCE (sbx only),
 * else sbx-launch next to the running sbx, else the build's. */
int sbx_elevated_launcher_source(char *out, size_t len, struct sbx_error *err);

#endif
