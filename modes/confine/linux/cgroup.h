/* SPDX-License-Identifier: MIT */
/* A pids cgroup for one run: the kernel's count of every process and
 * thread of the sandbox, whatever its uid, with a ceiling (pids.max).
 *
 * Made where the machine lets the caller make one: a child of the caller's
 * own cgroup v2 whose pids controller is enabled for children (a subtree
 * delegated to the user, or the root of a cgroup namespace), else a child
 * of the caller's cgroup in a v1 pids hierarchy (root only, in practice).
 * Where neither exists the runner falls back to RLIMIT_NPROC inside the
 * sandbox's user namespace (runner.c), which does not bind root: that is
 * why root's runs want this.  The cgroup is removed after the run; a sbx
 * killed with SIGKILL leaves an empty one behind (sbx-run-<pid>). */
#ifndef SBX_MODES_CONFINE_LINUX_CGROUP_H
#define SBX_MODES_CONFINE_LINUX_CGROUP_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "util/error.h"

struct sbx_cgroup {
    char dir[PATH_MAX];   /* "" when there is none */
};

/* Make the cgroup with pids.max = max.  0, or a negative SBX_E* code with
 * err saying why none could be made (nothing is left behind then). */
int sbx_cgroup_pids_create(struct sbx_cgroup *cg, unsigned long max, struct sbx_error *err);

/* Move process pid (the sandbox's init, before it forks) into it. */
int sbx_cgroup_add(const struct sbx_cgroup *cg, pid_t pid, struct sbx_error *err);

/* Remove it (empty once init is reaped: the PID namespace died with it).
 * Idempotent; a failure is returned for the caller to report. */
int sbx_cgroup_remove(struct sbx_cgroup *cg, struct sbx_error *err);

#endif
