/* SPDX-License-Identifier: MIT */
/* The sbx command: shared parsing, output and setup of the engine.  The
 * only place that prints and chooses exit codes. */
#ifndef SBX_CLI_CLI_H
#define SBX_CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "cli/json.h"
#include "migrate/plan.h"
#include "modes/mode.h"
#include "modes/os/os.h"
#include "state/ledger.h"
#include "util/cleanup.h"
#include "util/error.h"

/* Exit codes (DESIGN: the conventions of env, timeout and docker run). */
enum {
    SBX_EXIT_OK = 0,
    SBX_EXIT_DRIFT = 1,       /* doctor found drift */
    SBX_EXIT_FAIL = 125,      /* sbx itself failed, or bad input */
    SBX_EXIT_CANNOT_RUN = 126,
    SBX_EXIT_NOT_FOUND = 127,
};

struct sbx_cli {
    const char *cmd;       /* subcommand name */
    const char *state_opt; /* --state */
    bool json, quiet, verbose, help;
    /* With --json, a command that runs several plans (cleanup over several
     * ledgers) collects them here, one document in all. */
    struct json *plans_out;
    struct json plans_doc; /* where plans_out points while it is set */
};

/* One option of a subcommand. */
struct cli_optdef {
    const char *name; /* without the leading "--" */
    bool has_arg;
};

struct cli_optval {
    int def;           /* index in the definitions */
    const char *value; /* its argument, or NULL */
};

#define CLI_MAX_ARGS 64

struct cli_args {
    struct cli_optval opts[CLI_MAX_ARGS];
    size_t n_opts;
    char **positional; /* the arguments that are not options */
    int n_positional;
    char *positional_buf[CLI_MAX_ARGS + 1];
};

/* Parse argv (after the subcommand name).  The common options (--state,
 * --json, --quiet, --verbose, --help) are understood everywhere.  With
 * stop_at_command, the first non-option or "--" ends the options and
 * everything after is positional (sbx run's command). */
int cli_parse(struct sbx_cli *cli, int argc, char **argv, const struct cli_optdef *defs,
              bool stop_at_command, struct cli_args *out, struct sbx_error *err);

/* What a subcommand accepts besides options. */
enum cli_positional {
    CLI_POS_NONE,    /* nothing */
    CLI_POS_ANY,     /* arguments among the options (workspace add DIR) */
    CLI_POS_COMMAND, /* a command after the options or "--" (sbx run) */
};
#define CLI_CONTINUE (-1)

/* The start every subcommand shares: parse, answer --help, refuse stray
 * arguments.  Returns CLI_CONTINUE, or the exit code to return now. */
int cli_start(struct sbx_cli *cli, int argc, char **argv, const struct cli_optdef *defs,
              enum cli_positional pos, const char *help, struct cli_args *args);

/* Print an error (text on stderr; with --json also a JSON document on
 * stdout) and return SBX_EXIT_FAIL. */
int cli_fail(const struct sbx_cli *cli, const struct sbx_error *err);
/* Print a usage error for the subcommand, pointing at --help. */
int cli_usage_error(const struct sbx_cli *cli, const char *fmt, ...)
    SBX_PRINTF(2, 3);
/* Informational line on stderr unless --quiet. */
void cli_info(const struct sbx_cli *cli, const char *fmt, ...)
    SBX_PRINTF(2, 3);

/* State directory for a scope: --state, else $SBX_STATE, else the default
 * machine or per-user location. */
int cli_state_dir(const struct sbx_cli *cli, bool machine, char *out, size_t len,
                  struct sbx_error *err);
/* Open the OS driver (the fake one when built for tests and SBX_FAKE_OS
 * names its file). */
int cli_open_os(struct sbx_os **out, struct sbx_error *err);

/* The caller's privilege level, asked of the OS driver. */
int cli_privilege(enum sbx_privilege *out, struct sbx_error *err);

/* The ledger that status, rollback and workspace list show or act on:
 * --state's (or SBX_STATE's); else the caller's own; but for root without
 * a ledger of its own, the machine's when it has one, so that an
 * administrator sees what `sbx setup` made (*machine says so). */
int cli_view_state_dir(const struct sbx_cli *cli, char *out, size_t len, bool *machine,
                       struct sbx_error *err);

/* The command's fault injection state (SBX_FAULT, parsed once). */
int cli_fault(struct sbx_fault **out, struct sbx_error *err);

/* Everything a plan command needs: ledger (locked), OS, fault injection,
 * a finished recovery of any crashed plan. */
struct cli_engine {
    struct sbx_ledger *ledger;
    struct sbx_os *os;
    struct sbx_engine engine;
    bool fresh; /* this command created the ledger */
};
int cli_engine_open(const struct sbx_cli *cli, bool machine, struct cli_engine *ce,
                    struct sbx_error *err);
/* The same for an explicit state directory; without create, a missing
 * ledger is -SBX_ENOENT. */
int cli_engine_open_dir(const struct sbx_cli *cli, const char *dir, bool create,
                        struct cli_engine *ce, struct sbx_error *err);
/* The same on a ledger that must exist already: a missing one is
 * -SBX_ESTATE, "<missing>: there is no ledger in DIR". */
int cli_engine_open_existing(const struct sbx_cli *cli, bool machine, const char *missing,
                             struct cli_engine *ce, struct sbx_error *err);
/* Roll back (or resume) a plan a crash left running, and say so. */
int cli_engine_recover(const struct sbx_cli *cli, struct cli_engine *ce, bool resume,
                       struct sbx_error *err);
void cli_engine_close(struct cli_engine *ce);

/* Remove a ledger's files and the directories sbx made for them, from dir
 * up to created_root ("" : dir alone), each only when empty.  cli may be
 * NULL (no messages). */
/* The empty placeholders `sbx run` made at workspaces' roots that a crash
 * left, and their records, in the state directory dir (placeholders.h):
 * removed, or listed with dry_run.  *did is set when there were any. */
#ifndef _WIN32
int cli_clear_placeholders(const struct sbx_cli *cli, const char *dir, bool dry_run, bool *did,
                           struct sbx_error *err);
/* The empty mount point of sbx run's private TMPDIR in the state directory
 * dir (`<dir>/tmp`): removed (kept, with a word, if someone filled it). */
int cli_clear_run_tmp(const struct sbx_cli *cli, const char *dir, bool dry_run, bool *did,
                      struct sbx_error *err);
#endif
int cli_remove_state(const struct sbx_cli *cli, const char *dir, const char *created_root,
                     bool dry_run, struct sbx_error *err);

/* Print a plan (--dry-run, or what was done). */
void cli_print_plan(const struct sbx_cli *cli, const struct sbx_plan *p, bool dry_run);

/* Subcommands: each returns the exit code. */
int cmd_run(struct sbx_cli *cli, int argc, char **argv);
int cmd_setup(struct sbx_cli *cli, int argc, char **argv);
int cmd_workspace(struct sbx_cli *cli, int argc, char **argv);
int cmd_status(struct sbx_cli *cli, int argc, char **argv);
int cmd_doctor(struct sbx_cli *cli, int argc, char **argv);
int cmd_log(struct sbx_cli *cli, int argc, char **argv);
int cmd_migrate(struct sbx_cli *cli, int argc, char **argv);
int cmd_rollback(struct sbx_cli *cli, int argc, char **argv);
int cmd_cleanup(struct sbx_cli *cli, int argc, char **argv);
int cmd_completion(struct sbx_cli *cli, int argc, char **argv);
int cmd_cache(struct sbx_cli *cli, int argc, char **argv);

/* Each command's own options (the common ones are the CLI's). */
extern const struct cli_optdef cli_opts_run[], cli_opts_setup[], cli_opts_workspace[],
    cli_opts_doctor[], cli_opts_migrate[], cli_opts_rollback[], cli_opts_cleanup[],
    cli_opts_cache[];

/* The one table of sbx's commands: main's dispatch, `sbx help`, the
 * shell completions (sbx completion) and the man pages come from it. */
struct cli_command {
    const char *name;
    int (*fn)(struct sbx_cli *cli, int argc, char **argv);
    const struct cli_optdef *opts; /* NULL: the common options only */
    const char *const *words;      /* first positional words (workspace add...) */
    bool takes_command;            /* `-- CMD...` follows (sbx run) */
};
extern const struct cli_command cli_commands[];
extern const size_t cli_n_commands;
/* The common options' names, NULL-terminated. */
extern const char *const cli_common_opts[];

/* Parse a TCP port (1..65535). */
int cli_parse_port(const char *s, unsigned *out, struct sbx_error *err);

/* Register (add) or unregister a workspace in the caller's ledger, with
 * the mode set up for the caller (sbx workspace, and sbx run before
 * running in a workspace the elevated mode has not granted yet).  expect:
 * the mode the caller counts on (NONE: whichever); another one found under
 * the plan lock is an error, never a plan. */
int cli_workspace_change(const struct sbx_cli *cli, bool add, const char *path,
                         enum sbx_mode_kind expect, bool dry_run, struct sbx_error *err);

/* A registered workspace whose directory was removed and made again (a
 * new inode, none of the grants): its recorded grants on the directory
 * itself are probed, and those the machine lacks made again through a
 * plan (journaled, in sbx log, undone by sbx rollback), with a line on
 * stderr first.  *registered: the ledger knows path as a workspace (when
 * false nothing was done).  cli_quiet prints the plan's own lines (or
 * not), as cli_workspace_change's caller chooses. */
int cli_workspace_regrant(const struct sbx_cli *cli, const struct sbx_cli *cli_quiet,
                          const char *path, bool *registered, struct sbx_error *err);

/* A list of paths (state directories, resolved workspaces), each a copy
 * on the heap: the commands keep no fixed arrays of path buffers.  Start
 * it zeroed, and let the scope free it:
 *     sbx_cleanup(cli_paths_free) struct cli_paths dirs = {0}; */
struct cli_paths {
    char **v;
    size_t n;
};
/* Append a copy of path (-SBX_ENOMEM, naming it, when out of memory). */
int cli_paths_add(struct cli_paths *p, const char *path, struct sbx_error *err);
void cli_paths_free(struct cli_paths *p);

/* Append to dirs the state directories of the users the machine ledger in
 * machine_dir lets use the elevated mode (its membership resources), at
 * their default locations.  No machine ledger, or a damaged one (its own
 * cleanup sets it aside), adds nothing. */
int cli_member_ledgers(const char *machine_dir, struct cli_paths *dirs, struct sbx_error *err);

/* Is there a ledger in the state directory dir? */
bool cli_ledger_exists(const char *dir);

/* Add to known what the member ledgers of machine_dir (other than
 * machine_dir itself) record: objects those ledgers own are not orphans.
 * Best effort: a ledger that can't be read adds nothing. */
void cli_member_resources(const char *machine_dir, struct sbx_resource_list *known);

/* Print the subcommand's help (its text is in its own file). */
void cli_print_help(const char *text);

#endif
