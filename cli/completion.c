/* SPDX-License-Identifier: MIT */
/* sbx completion bash|zsh|fish: shell completions generated from the
 * command table (cli/commands.c), so they never disagree with the
 * options sbx takes. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const char help[] =
    "usage: sbx completion bash|zsh|fish\n"
    "\n"
    "Print the completion script for a shell, made from sbx's own table of commands\n"
    "and options.  bash: source <(sbx completion bash), or install it as\n"
    "/usr/share/bash-completion/completions/sbx; zsh: source <(sbx completion zsh);\n"
    "fish: sbx completion fish > ~/.config/fish/completions/sbx.fish\n";

/* Options that name a directory or a path. */
static bool takes_path(const char *opt)
{
    static const char *const paths[] = {"state", "workspace", "protect", "allow-read",
                                        "allow-unix", NULL};
    for (size_t i = 0; paths[i]; i++)
        if (strcmp(opt, paths[i]) == 0)
            return true;
    return false;
}

static void print_opts(const struct cli_command *c, const char *sep)
{
    for (size_t i = 0; c->opts && c->opts[i].name; i++)
        printf("%s--%s", i ? sep : "", c->opts[i].name);
}

static void bash(void)
{
    printf("# sbx completion for bash, made by `sbx completion bash`\n"
           "_sbx() {\n"
           "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n"
           "  local cmd=\"\" i\n"
           "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
           "    if [[ \"${COMP_WORDS[i]}\" == -- ]]; then\n"
           "      COMPREPLY=($(compgen -c -- \"$cur\")); return\n"
           "    fi\n"
           "    case \"${COMP_WORDS[i]}\" in\n      ");
    for (size_t c = 0; c < cli_n_commands; c++)
        printf("%s%s", c ? "|" : "", cli_commands[c].name);
    printf(") cmd=\"${COMP_WORDS[i]}\"; break ;;\n    esac\n  done\n"
           "  case \"$prev\" in\n    ");
    size_t n = 0;
    for (size_t i = 0; cli_common_opts[i]; i++)
        if (takes_path(cli_common_opts[i]))
            printf("%s--%s", n++ ? "|" : "", cli_common_opts[i]);
    for (size_t c = 0; c < cli_n_commands; c++)
        for (size_t i = 0; cli_commands[c].opts && cli_commands[c].opts[i].name; i++)
            if (takes_path(cli_commands[c].opts[i].name))
                printf("|--%s", cli_commands[c].opts[i].name);
    printf(") COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n"
           /* sbx run --net's values (allow=/deny= take a list after them) */
           "    --net) compopt -o nospace 2>/dev/null\n"
           "      COMPREPLY=($(compgen -W \"off on limited allow= deny=\" -- \"$cur\")); return ;;\n"
           "  esac\n"
           "  local words=\"");
    for (size_t i = 0; cli_common_opts[i]; i++)
        printf("--%s ", cli_common_opts[i]);
    printf("\"\n  case \"$cmd\" in\n");
    printf("    \"\") words=\"$words --version help");
    for (size_t c = 0; c < cli_n_commands; c++)
        printf(" %s", cli_commands[c].name);
    printf("\" ;;\n");
    for (size_t c = 0; c < cli_n_commands; c++) {
        const struct cli_command *k = &cli_commands[c];
        printf("    %s) words=\"$words ", k->name);
        print_opts(k, " ");
        for (size_t w = 0; k->words && k->words[w]; w++)
            printf(" %s", k->words[w]);
        printf("%s\" ;;\n", k->takes_command ? " --" : "");
    }
    printf("  esac\n  COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n}\n"
           "complete -o default -F _sbx sbx\n");
}

static void zsh(void)
{
    /* zsh runs the bash function through its bashcompinit layer: one
     * generator, the same answers. */
    printf("# sbx completion for zsh, made by `sbx completion zsh`\n"
           "autoload -U +X compinit && compinit\n"
           "autoload -U +X bashcompinit && bashcompinit\n");
    bash();
}

static void fish(void)
{
    printf("# sbx completion for fish, made by `sbx completion fish`\n"
           "complete -c sbx -f\n");
    for (size_t i = 0; cli_common_opts[i]; i++)
        printf("complete -c sbx -l %s%s\n", cli_common_opts[i],
               takes_path(cli_common_opts[i]) ? " -r -F" : "");
    printf("complete -c sbx -n __fish_use_subcommand -l version\n");
    for (size_t c = 0; c < cli_n_commands; c++) {
        const struct cli_command *k = &cli_commands[c];
        printf("complete -c sbx -n __fish_use_subcommand -a %s\n", k->name);
        for (size_t i = 0; k->opts && k->opts[i].name; i++)
            printf("complete -c sbx -n '__fish_seen_subcommand_from %s' -l %s%s\n", k->name,
                   k->opts[i].name,
                   takes_path(k->opts[i].name) ? " -r -F" : k->opts[i].has_arg ? " -r" : "");
        for (size_t w = 0; k->words && k->words[w]; w++)
            printf("complete -c sbx -n '__fish_seen_subcommand_from %s' -a %s\n", k->name,
                   k->words[w]);
    }
}

int cmd_completion(struct sbx_cli *cli, int argc, char **argv)
{
    struct cli_args args;
    int start = cli_start(cli, argc, argv, NULL, CLI_POS_ANY, help, &args);
    if (start != CLI_CONTINUE)
        return start;
    if (args.n_positional != 1)
        return cli_usage_error(cli, "expected one shell: bash, zsh or fish");
    const char *sh = args.positional[0];
    if (strcmp(sh, "bash") == 0)
        bash();
    else if (strcmp(sh, "zsh") == 0)
        zsh();
    else if (strcmp(sh, "fish") == 0)
        fish();
    else
        return cli_usage_error(cli, "unknown shell '%s': expected bash, zsh or fish", sh);
    return SBX_EXIT_OK;
}
