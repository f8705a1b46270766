/* SPDX-License-Identifier: MIT */
/* The one table of sbx's commands (cli.h): dispatch, help, completions and
 * man pages all read it. */
#include "cli/cli.h"

static const char *const workspace_words[] = {"add", "remove", "list", NULL};
static const char *const cache_words[] = {"clear", NULL};
static const char *const completion_words[] = {"bash", "zsh", "fish", NULL};

const struct cli_command cli_commands[] = {
    {"run", cmd_run, cli_opts_run, NULL, true},
    {"setup", cmd_setup, cli_opts_setup, NULL, false},
    {"workspace", cmd_workspace, cli_opts_workspace, workspace_words, false},
    {"status", cmd_status, NULL, NULL, false},
    {"doctor", cmd_doctor, cli_opts_doctor, NULL, false},
    {"log", cmd_log, NULL, NULL, false},
    {"migrate", cmd_migrate, cli_opts_migrate, NULL, false},
    {"rollback", cmd_rollback, cli_opts_rollback, NULL, false},
    {"cleanup", cmd_cleanup, cli_opts_cleanup, NULL, false},
    {"cache", cmd_cache, cli_opts_cache, cache_words, false},
    {"completion", cmd_completion, NULL, completion_words, false},
};
const size_t cli_n_commands = sizeof cli_commands / sizeof cli_commands[0];
