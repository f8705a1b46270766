/* SPDX-License-Identifier: MIT */
/* Shared by the integration tests of `sbx run` on Linux: running the sbx
 * binary under test and checking the kernel features it needs. */
#ifndef SBX_TESTS_INTEGRATION_RUN_COMMON_H
#define SBX_TESTS_INTEGRATION_RUN_COMMON_H

#include <stdbool.h>
#include <sys/types.h>

/* Why the confinement can't run here (no Landlock, no user namespaces), or
 * NULL. */
const char *run_missing_feature(void);

struct run_result {
    int status;        /* exit status; 128+N for a signal; -1 on timeout */
    char out[16384];   /* stdout + stderr */
};

/* Run argv with cwd, stdin from `input` (NULL: /dev/null), wait at most
 * limit_sec.  Returns 0 or -1 (could not start). */
int run_capture(const char *cwd, char *const argv[], const char *input, int limit_sec,
                struct run_result *r);

/* Start argv in the background (own process group, output to /dev/null). */
pid_t run_background(const char *cwd, char *const argv[]);

/* Does any process have `marker` as one of its arguments? */
bool run_marker_alive(const char *marker);

/* Wait up to ms for a process with the marker to appear; true when one
 * did. */
bool run_marker_alive_within(const char *marker, int ms);

/* Wait up to ms for every process with the marker to exit (on their
 * pidfds); true when none is left. */
bool run_marker_gone_within(const char *marker, int ms);

/* A fresh directory /tmp/sbxt-<tag>-<pid>-XXXXXX (removed by run_rmrf). */
void run_mkdtemp(const char *tag, char *out, size_t len);
void run_rmrf(const char *path);

/* sbx's state of the test's own: a fresh directory (as run_mkdtemp) made
 * XDG_STATE_HOME, so the ledger and the sandbox's cache a first run makes
 * are the test's, removed with it (run_rmrf), never the caller's. */
void run_private_state(char *out, size_t len);

/* Become uid (its group the same number, no supplementary groups) for
 * good: a forked child's half of a suite run as an unprivileged user.
 * false when the kernel refused a step. */
bool run_become(unsigned uid);

#endif
