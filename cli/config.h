/* SPDX-License-Identifier: MIT */
/* The options a user repeats, from configuration files: the machine's
 * (/etc/sbx/config) and then the user's ($XDG_CONFIG_HOME/sbx/config, or
 * ~/.config/sbx/config; SBX_CONFIG names another), INI parsed by inih:
 *
 *   [run]
 *   net = off | on            the default of --net
 *   net = allow=... | deny=... | limited   an allowlist for the proxy, as
 *                             --net takes them (repeatable; --net adds)
 *   cache = on | off          off: every run as with --no-cache
 *   workspace = DIR           a workspace beside the others (repeatable)
 *   env = NAME                a variable passed although it looks like a
 *                             credential, when it is set (repeatable)
 *   hide = PATH               a file or folder read as empty (repeatable)
 *
 * "~/" at the start of a path is the caller's home.  Anything else is an
 * error naming the file, the line and the key: sbx runs nothing then. */
#ifndef SBX_CLI_CONFIG_H
#define SBX_CLI_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "cli/cli.h"

struct cli_config {
    int net;                   /* -1 unset, 0 off, 1 on */
    int cache;                 /* -1 unset, 0 off, 1 on */
    struct cli_paths workspace; /* as written, ~ expanded */
    struct cli_paths env;
    struct cli_paths hide;
    struct cli_paths net_rules; /* net = allow=... / deny=... / limited */
};

/* Read both files (a missing one is no error); cfg is zeroed first and
 * must be freed with cli_config_free. */
int cli_config_load(struct cli_config *cfg, struct sbx_error *err);
void cli_config_free(struct cli_config *cfg);

#endif
