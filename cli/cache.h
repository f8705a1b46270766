/* SPDX-License-Identifier: MIT */
/* The sandbox's own caches, seen from the CLI (cache.c). */
#ifndef SBX_CLI_CACHE_H
#define SBX_CLI_CACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "cli/cli.h"
#include "util/limits.h"

#ifndef _WIN32
#include "util/du.h"
#endif

/* The unelevated mode's cache for the user state directory state_dir:
 * made through a plan (recorded in the ledger) when it does not exist yet;
 * its path in out. */
int cli_cache_ensure(const struct sbx_cli *cli, const char *state_dir, char *out, size_t len,
                     struct sbx_error *err);

#ifndef _WIN32
/* What sbx status shows: each cache that exists, and its size. */
struct cli_cache_info {
    char unelevated[SBX_PATH_MAX];
    bool has_unelevated, has_elevated;
    struct sbx_usage unelevated_use, elevated_use;
};
void cli_cache_report(const char *state_dir, const char *machine_dir, struct cli_cache_info *info);
#endif

#endif
