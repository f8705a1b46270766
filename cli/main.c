/* SPDX-License-Identifier: MIT */
/* sbx: entry point and subcommand dispatch. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const char usage[] =
    "usage: sbx COMMAND [OPTIONS]\n"
    "\n"
    "Run the commands of a coding agent in a sandbox: they may read what you can read,\n"
    "write only inside their workspaces, and reach the network only when allowed.\n"
    "\n"
    "commands:\n"
    "  run        run a command confined             sbx run [--workspace DIR]... -- CMD\n"
    "  setup      set a mode up on this machine      sbx setup [--mode auto|unelevated|elevated]\n"
    "  workspace  add, remove or list workspaces     sbx workspace add|remove|list [DIR]\n"
    "  status     what is set up, and where          sbx status [--json]\n"
    "  doctor     compare the ledger with the OS     sbx doctor [--repair] [--deep]\n"
    "  log        every change sbx made              sbx log [--json]\n"
    "  migrate    move to another mode or version    sbx migrate [--to MODE] [--resume]\n"
    "  rollback   undo the last change               sbx rollback [--dry-run]\n"
    "  cleanup    remove everything sbx created      sbx cleanup [--dry-run]\n"
    "  cache      empty the sandbox's caches         sbx cache clear [--mode MODE]\n"
    "  completion a shell's completion script        sbx completion bash|zsh|fish\n"
    "  help       a command's options                sbx help [COMMAND]\n"
    "\n"
    "common options: --state DIR (or SBX_STATE), --json, --quiet, --verbose, --help, --version\n"
    "\n"
    "exit status: 0 success; 125 sbx failed or bad input; sbx run: the command's status,\n"
    "128+N when signal N ended it, 126 not executable, 127 not found; sbx doctor: 1 drift.\n"
    "Run 'sbx help COMMAND' (or 'sbx COMMAND --help') for the options of one command.\n";

int main(int argc, char **argv)
{
    struct sbx_cli cli = {0};
    int i = 1;
    /* Common options may come before the command too. */
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--version") == 0) {
            printf("sbx %s\n", SBX_VERSION);
            return SBX_EXIT_OK;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            return SBX_EXIT_OK;
        }
        if (strcmp(a, "--json") == 0)
            cli.json = true;
        else if (strcmp(a, "--quiet") == 0)
            cli.quiet = true;
        else if (strcmp(a, "--verbose") == 0)
            cli.verbose = true;
        else if (strcmp(a, "--state") == 0 && i + 1 < argc && argv[i + 1][0])
            cli.state_opt = argv[++i];
        else if (strncmp(a, "--state=", 8) == 0 && a[8])
            cli.state_opt = a + 8;
        else {
            fprintf(stderr, "sbx: error: %s %s (see sbx --help)\n",
                    strcmp(a, "--state") == 0 ? "option --state needs a value:" : "unknown option",
                    strcmp(a, "--state") == 0 ? "a state directory" : a);
            return SBX_EXIT_FAIL;
        }
    }
    if (i >= argc) {
        fputs(usage, stderr);
        return SBX_EXIT_FAIL;
    }
    /* sbx help [COMMAND]: the command's own --help text. */
    char *help_argv[] = {"--help", NULL};
    if (strcmp(argv[i], "help") == 0) {
        if (i + 1 >= argc) {
            fputs(usage, stdout);
            return SBX_EXIT_OK;
        }
        for (size_t k = 0; k < cli_n_commands; k++)
            if (strcmp(argv[i + 1], cli_commands[k].name) == 0) {
                cli.cmd = cli_commands[k].name;
                return cli_commands[k].fn(&cli, 1, help_argv);
            }
        fprintf(stderr, "sbx: error: no command '%s' (see sbx --help)\n", argv[i + 1]);
        return SBX_EXIT_FAIL;
    }
    for (size_t k = 0; k < cli_n_commands; k++) {
        if (strcmp(argv[i], cli_commands[k].name) == 0) {
            cli.cmd = cli_commands[k].name;
            return cli_commands[k].fn(&cli, argc - i - 1, argv + i + 1);
        }
    }
    fprintf(stderr, "sbx: error: unknown command '%s' (see sbx --help)\n", argv[i]);
    return SBX_EXIT_FAIL;
}
