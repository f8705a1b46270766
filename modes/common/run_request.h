/* One command to run confined: what `sbx run` asks of a mode, and what a
 * mode hands to the confinement run-time (modes/confine/).  Platform-
 * neutral and below both, so neither has to reach up into the other. */
#ifndef SBX_MODES_COMMON_RUN_REQUEST_H
#define SBX_MODES_COMMON_RUN_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

/* A command to run confined. */
struct sbx_run_request {
    const char *const *workspaces; /* resolved absolute roots, >= 1 */
    size_t n_workspaces;
    const char *const *protect;    /* extra read-only paths inside them */
    size_t n_protect;
    bool allow_git;                /* lift the read-only rule on .git */
    bool net;                      /* network on */
    unsigned timeout_sec;          /* 0: none */
    const char *state_dir;         /* sbx's own files: always read-only */
    const char *machine_state_dir; /* the machine ledger's directory */
    char *const *argv;             /* argv[0] is looked up in PATH */
    const char *cwd;               /* working directory (inside a workspace) */
};

#endif
