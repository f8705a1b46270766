/* SPDX-License-Identifier: MIT */
/* Which of the caller's environment variables are credentials, by their
 * names: what `sbx run` keeps from the command unless asked (--env NAME,
 * --env-all).  Platform-neutral; the CLI applies it. */
#ifndef SBX_MODES_COMMON_ENV_SECRETS_H
#define SBX_MODES_COMMON_ENV_SECRETS_H

#include <stdbool.h>
#include <stddef.h>

/* Does the variable named by entry ("NAME" or "NAME=VALUE") look like a
 * credential?  ASCII case-insensitive: a name containing TOKEN, SECRET,
 * KEY, PASSWORD, PASSWD, PASSPHRASE or CREDENTIAL, starting with AWS_ or
 * AZURE_, or one of SSH_AUTH_SOCK, GPG_AGENT_INFO, SSH_AGENT_PID. */
bool sbx_env_is_secret(const char *entry);

/* Is name a valid variable name for --env: [A-Za-z_][A-Za-z0-9_]*, at
 * most len_max bytes, ending at '=' or NUL? */
bool sbx_env_name_valid(const char *name, size_t len_max);

/* The length of entry's name (up to '=' or the end). */
size_t sbx_env_name_len(const char *entry);

#endif
