/* SPDX-License-Identifier: MIT */
/* Where a run with `--net allow=` reaches the allowlist proxy, and the
 * variables that tell its tools so.  Shared by `sbx run` (unelevated mode)
 * and the setuid launcher (elevated mode), which builds the command's
 * environment itself: one table, so both modes set the same. */
#ifndef SBX_MODES_COMMON_PROXY_ENV_H
#define SBX_MODES_COMMON_PROXY_ENV_H

#include <stdbool.h>

/* The proxy's port on the loopback of the run's own network namespace:
 * the namespace is private, so any port is free there. */
#define SBX_PROXY_NETNS_PORT 3128

/* HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and their lower-case spellings, then
 * NO_PROXY and no_proxy (empty: a host it named would be tried directly,
 * and fail). */
#define SBX_PROXY_ENV_N 8
#define SBX_PROXY_ENV_LEN 48

/* The variables for a proxy on 127.0.0.1:port, "NAME=VALUE" each. */
void sbx_proxy_env(unsigned port, char out[SBX_PROXY_ENV_N][SBX_PROXY_ENV_LEN]);

/* Whether entry ("NAME=VALUE") sets one of them: the caller's own value
 * is replaced, never passed beside sbx's. */
bool sbx_proxy_env_sets(const char *entry);

#endif
