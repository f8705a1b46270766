/* SPDX-License-Identifier: MIT */
/* The sandbox's own caches: the environment that points package managers
 * and build tools at a persistent directory of the sandbox's (not the
 * host's ~/.npm, ~/.cargo, ~/.m2, which the command can't write, and which
 * the host's tools would run code from).  Platform-neutral; both modes and
 * the launcher build the same variables from one table. */
#ifndef SBX_MODES_COMMON_CACHE_ENV_H
#define SBX_MODES_COMMON_CACHE_ENV_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

/* The variables set, at most. */
#define SBX_CACHE_ENV_MAX 12

/* The name of the cache directory beneath a state directory (unelevated:
 * $XDG_STATE_HOME/sbx/cache) or a sandbox account's home (elevated). */
#define SBX_CACHE_DIR_NAME "cache"

struct sbx_cache_env {
    size_t n;
    char *v[SBX_CACHE_ENV_MAX]; /* "NAME=VALUE", the caller's to free */
};

/* Fill out with the variables for a cache rooted at root (absolute).
 * maven_opts is the MAVEN_OPTS the command would get otherwise (kept,
 * the repository setting appended), or NULL.  0 or -SBX_E*. */
int sbx_cache_env_build(const char *root, const char *maven_opts, struct sbx_cache_env *out,
                        struct sbx_error *err);

void sbx_cache_env_free(struct sbx_cache_env *e);

/* Whether entry ("NAME=VALUE") is one of the variables the cache sets:
 * the caller's own value is replaced, never passed beside it. */
bool sbx_cache_env_sets(const char *entry);

#endif
