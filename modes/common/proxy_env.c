/* SPDX-License-Identifier: MIT */
/* The allowlist proxy's variables (proxy_env.h). */
#include "modes/common/proxy_env.h"

#include <stdio.h>
#include <string.h>

/* Every tool's spelling (curl reads the lower-case http_proxy only); the
 * first N_URL get the proxy's address, the rest are emptied. */
static const char *const names[SBX_PROXY_ENV_N] = {
    "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy",
    "https_proxy", "all_proxy", "NO_PROXY", "no_proxy",
};
#define N_URL 6

void sbx_proxy_env(unsigned port, char out[SBX_PROXY_ENV_N][SBX_PROXY_ENV_LEN])
{
    for (size_t i = 0; i < SBX_PROXY_ENV_N; i++) {
        if (i < N_URL)
            snprintf(out[i], SBX_PROXY_ENV_LEN, "%s=http://127.0.0.1:%u", names[i], port);
        else
            snprintf(out[i], SBX_PROXY_ENV_LEN, "%s=", names[i]);
    }
}

bool sbx_proxy_env_sets(const char *entry)
{
    for (size_t i = 0; i < SBX_PROXY_ENV_N; i++) {
        size_t n = strlen(names[i]);
        if (strncmp(entry, names[i], n) == 0 && entry[n] == '=')
            return true;
    }
    return false;
}
