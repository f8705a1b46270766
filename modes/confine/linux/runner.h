/* SPDX-License-Identifier: MIT */
/* Starting the confined command and waiting for it.
 *
 * Three processes: sbx (the caller, "supervisor"), the sandbox's init (pid 1
 * of a new PID namespace, inside a new user and mount namespace: it builds
 * the view, forks the command and reaps) and the command.  When init exits
 * the kernel kills everything left in the namespace, so a timeout or the
 * death of sbx (init has PDEATHSIG) takes the whole tree down.
 *
 * Neither init nor the command holds a descriptor of the caller's: their
 * stdio are pipes sbx relays (stdio_relay.h) or the run's pty.  The tree
 * is bounded to max_pids processes: by a pids cgroup where one can be
 * made (cgroup.h), and always by RLIMIT_NPROC set inside the user
 * namespace (see init_main). */
#ifndef SBX_MODES_CONFINE_LINUX_RUNNER_H
#define SBX_MODES_CONFINE_LINUX_RUNNER_H

#include <stdbool.h>
#include <stddef.h>

#include "modes/confine/linux/policy.h"
#include "modes/confine/linux/userns.h"
#include "util/error.h"

struct sbx_runplan {
    char *const *argv;        /* argv[0] looked up in PATH */
    const char *cwd;          /* chdir target inside the view */
    const char *tmpdir;       /* exported as TMPDIR */
    char *const *env_set;     /* more "NAME=VALUE" to export (the cache's), or NULL */
    size_t n_env_set;
    unsigned timeout_sec;     /* 0: none */
    unsigned max_pids;        /* processes and threads of the command at once (> 0) */
    int landlock_abi;
    struct sbx_view view;
    struct sbx_policy policy;
    /* --net allow=: a network namespace of the run's own, with only lo and
     * the proxy's port on it (netns.h); proxy_port 0: none. */
    unsigned proxy_port;
    int proxy_sock;
};

#define SBX_RUN_MAX_NOTES 8
#define SBX_RUN_NOTE_LEN 200

struct sbx_runresult {
    int status;               /* exit status per DESIGN.md */
    bool timed_out;
    size_t n_notes;           /* weakenings found while building the sandbox */
    char notes[SBX_RUN_MAX_NOTES][SBX_RUN_NOTE_LEN];
};

/* Run the plan.  Returns 0 when the command ran (whatever its status), a
 * negative SBX_E* code with err filled when sbx failed (status 125) or the
 * command could not be started (status 126, or 127 when not found). */
int sbx_runner_run(const struct sbx_runplan *plan, struct sbx_runresult *res,
                   struct sbx_error *err);

#endif
