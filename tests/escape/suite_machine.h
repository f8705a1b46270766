/* SPDX-License-Identifier: MIT */
/* What the suites that run as a throwaway user or in the elevated mode
 * share (escape_suite, workload_suite): the throwaway user, made and
 * removed by root; becoming it in a child; and the elevated mode set up
 * by root for one member with names unique to the test process
 * (SBX_ELEVATED_PREFIX=sbxt<pid>-, a machine ledger under the suite's own
 * directory), cleaned up whatever happened and checked for leftovers. */
#ifndef SBX_TESTS_ESCAPE_SUITE_MACHINE_H
#define SBX_TESTS_ESCAPE_SUITE_MACHINE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "tests/escape/suite_env.h"

/* argv (NULL-terminated), stdout to /dev/null; its exit status or -1. */
int suite_spawn_wait(char *const argv[]);

/* Root's `sbx VERB [--user USER]` in cwd, output into r; its status. */
int suite_root_sbx(const char *sbx, const char *cwd, struct run_out *r, const char *verb,
                   const char *user);

/* useradd NAME (no home made, nologin, a group of its own) with HOME as
 * its home; then base and home made and given to it.  0 with its ids, or
 * -1 (message on stderr; a user that was added is left for
 * suite_user_del). */
int suite_user_add(const char *name, const char *base, const char *home, uid_t *uid,
                   gid_t *gid);
/* userdel NAME: 0, or -1 with a message. */
int suite_user_del(const char *name);
/* In a child: become uid/gid for good (with the groups of the group
 * database when groups is set: the elevated mode's launcher is for the
 * sandbox users' group only), dumpable, with HOME, USER and LOGNAME of the
 * user and no XDG_STATE_HOME (the ledger where root's cleanup finds it).
 * 0 or -1. */
int suite_become(const char *name, uid_t uid, gid_t gid, const char *home, bool groups);

/* The elevated mode's throwaway names for one member. */
struct suite_elev {
    char prefix[24];    /* SBX_ELEVATED_PREFIX */
    char offline[64], online[64], group[64], table[64];
    char machine[512];  /* SBX_MACHINE_STATE */
    char root_xdg[512]; /* root's own ledger: not in root's real home */
};

/* The names for member (under base), set in this process's environment
 * so that every sbx it starts (root's and the member's) uses them. 0 or
 * -1 (message on stderr). */
int suite_elev_init(struct suite_elev *el, const char *base, const char *member);

/* Copy the executable src into dir (made 0755 if missing) as a 0755 file
 * the sandbox accounts can run; its path into out.  0 or -1. */
int suite_copy_exec(const char *src, const char *dir, char *out, size_t len);

/* Root's `sbx setup --user member`: 0, or -1 with its output on stderr. */
int suite_elev_setup(const char *sbx, const char *cwd, const char *member);
/* Whatever happened: root's `sbx cleanup`, then suite_elev_leftovers.
 * Returns the number of failures (0: the machine is clean). */
int suite_elev_cleanup(const char *sbx, const char *cwd, const struct suite_elev *el);

/* What `sbx cleanup` must have removed: each leftover is reported, then
 * removed by force.  Returns the number of leftovers. */
int suite_elev_leftovers(const struct suite_elev *el);

#endif
