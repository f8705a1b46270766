/* SPDX-License-Identifier: MIT */
/* Confining a command on Linux: Landlock + seccomp + a read-only mount view
 * in an unprivileged user namespace, a PID namespace so the whole tree dies
 * together, and the runner that passes stdio / a TTY and the exit status
 * through.  Used by the unelevated mode directly and by the elevated mode's
 * launcher as defense in depth. */
#ifndef SBX_MODES_CONFINE_LINUX_CONFINE_H
#define SBX_MODES_CONFINE_LINUX_CONFINE_H

#include <stdbool.h>
#include <stddef.h>

#include "modes/common/run_request.h"
#include "util/error.h"

/* Resolve a workspace argument (wspath.h, sbx_ws_resolve): must be an
 * existing directory, not a dangerous one (/, /etc, /usr, /proc, the user's
 * home itself, ~/.config, ... or a symlink to one), reached through no
 * symlink a sandbox could have planted.  out receives the resolved path.
 * The run resolves it again into a descriptor and uses only that. */
int sbx_linux_workspace_resolve(const char *arg, char *out, size_t out_len,
                                struct sbx_error *err);

/* --- additions ------------------------------------------------------------ */

#define SBX_LINUX_MAX_NOTES 12
#define SBX_LINUX_NOTE_LEN 200

/* What a run (or a check) found: the Landlock ABI, and, one sentence each,
 * what is NOT enforced on this kernel / in this run.  The library never
 * prints: the CLI shows the notes (e.g. as warnings on stderr, or in
 * `sbx doctor`). */
struct sbx_linux_report {
    int landlock_abi;          /* 0: no Landlock */
    bool timed_out;            /* --timeout expired: the tree was killed */
    size_t n_notes;
    char notes[SBX_LINUX_MAX_NOTES][SBX_LINUX_NOTE_LEN];
    /* notes[0 .. n_check_notes) are what sbx_linux_check says before the
     * run; the rest were found while building the sandbox or after the
     * command ended (a private TMPDIR not removed). */
    size_t n_check_notes;
};

/* Run req confined (fork, confine, exec, wait), with a report (rep may be
 * NULL).  Refuses (-SBX_ENOTSUP, nothing run) where the kernel has no
 * Landlock.
 *
 * Return and *status (always set):
 *   0, status = the command's exit status or 128+N for signal N; 124
 *      when --timeout expired (the whole tree was killed with SIGKILL, and
 *      rep->timed_out is set);
 *   -SBX_ENOENT, status 127: the command was not found;
 *   -SBX_EPERM,  status 126: the command could not be executed;
 *   other negative codes, status 125: sbx failed (bad request, no Landlock,
 *      no user namespaces, ...); nothing ran.
 * err says what and where in every negative case. */
int sbx_linux_run_ex(const struct sbx_run_request *req, struct sbx_linux_report *rep,
                     int *status, struct sbx_error *err);

/* What sbx_linux_run_ex would leave unenforced on this kernel for the network
 * setting `net`, without running anything.  -SBX_ENOTSUP when there is no
 * Landlock (the notes say so too). */
int sbx_linux_check(bool net, struct sbx_linux_report *rep, struct sbx_error *err);

/* Confine the calling process in place, for a launcher that has already
 * switched to its target account (the elevated mode's setuid launcher):
 * capabilities dropped, no_new_privs, Landlock (read everywhere, write
 * beneath rw[] only, TCP and abstract sockets per net, signals scoped),
 * and the seccomp filter.  No namespaces are created: .git protection and
 * the read-only view are the caller's business there.  Irreversible. */
int sbx_linux_confine_self(const char *const *rw, size_t n_rw, bool net,
                           struct sbx_error *err);

#endif
