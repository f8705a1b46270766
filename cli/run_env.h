/* SPDX-License-Identifier: MIT */
/* The command's environment: the caller's, less what looks like a
 * credential (modes/common/env_secrets.h), with --env NAME bringing one
 * back and --env NAME=VALUE setting one.  Applied to sbx's own process
 * environment just before the mode starts the command, so every mode on
 * every platform hands on the same variables. */
#ifndef SBX_CLI_RUN_ENV_H
#define SBX_CLI_RUN_ENV_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

struct cli_env_policy {
    const char *const *env; /* --env values, in order: NAME or NAME=VALUE */
    size_t n_env;
    bool all;               /* --env-all: nothing is dropped */
    const char *const *pass; /* names kept when set (the config's env =) */
    size_t n_pass;
};

/* Check one --env value (before anything runs). */
int cli_env_check(const char *value, struct sbx_error *err);

/* Drop the credential-like variables not named by --env, then set the
 * --env NAME=VALUE ones.  A --env NAME that is not set in the caller's
 * environment is an error (the command would not get what was asked).
 * *n_dropped: how many were dropped. */
int cli_env_apply(const struct cli_env_policy *p, size_t *n_dropped, struct sbx_error *err);

#endif
