/* SPDX-License-Identifier: MIT */
/* The world the recovery tests (issue 6) build on the real machine, as
 * root, and drive through the real `sbx` command: a throwaway caller with
 * a 0700 home and two workspaces in it, a copy of sbx the caller can run,
 * throwaway elevated names (SBX_ELEVATED_PREFIX=sbxr<pid>-) and a machine
 * ledger of their own (SBX_MACHINE_STATE), all under one root-owned
 * directory in /var/tmp.  A snapshot of everything sbx may touch is taken
 * before sbx ever runs; rec_env_fini removes whatever is left, by force. */
#ifndef SBX_TESTS_RECOVERY_RECOVERY_ENV_H
#define SBX_TESTS_RECOVERY_RECOVERY_ENV_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "modes/elevated/elevated.h"
#include "helpers.h"

struct rec_env {
    char tag[24];    /* sbxr<pid>: in every name this test creates */
    char prefix[24]; /* SBX_ELEVATED_PREFIX */
    struct sbx_elevated_names names; /* offline, online, table: the caller's pair */
    char shared_offline[48], shared_online[48], shared_table[48]; /* the old shared pair */
    char stranger_offline[48], stranger_online[48], stranger_table[48]; /* if made a member */
    char root[64];       /* /var/tmp/sbxr-XXXXXX, root 0755 */
    char machine[128];   /* SBX_MACHINE_STATE (made by sbx) */
    char sbx[128];       /* the copy of sbx everyone runs */
    char roothome[128];  /* root's XDG_STATE_HOME lives here */
    char drop[128];      /* 1777, outside every workspace */
    char caller[32], stranger[32];
    uid_t caller_uid, stranger_uid;
    gid_t caller_gid, stranger_gid;
    char home[128];       /* caller's home, 0700 */
    char ws1[160], ws2[160];
    char user_state[192]; /* caller's ledger dir (made by sbx) */
    char launcher_src[PATH_MAX];
    char *snap0; /* before sbx ever ran */
};

/* Exit 77 unless root with useradd, nft, getfacl, and the launcher built. */
void rec_require_root(void);

/* Build the world (files_in_ws1: extra files to create in ws1, for long
 * grants) and take snap0.  Fails the cmocka test on error. */
void rec_env_init(struct rec_env *e, unsigned files_in_ws1);
/* Remove all of it whatever state it is in (accounts, group, nft table,
 * ACL entries, directories). */
void rec_env_fini(struct rec_env *e);
/* cmocka teardown: rec_env_fini of the env rec_env_init built last, so a
 * failed assertion leaves nothing behind either. */
int rec_teardown(void **state);

/* What sbx may touch: the passwd/group/shadow/gshadow lines of this
 * test's names (and of the real sbx- names), the nft tables, getfacl of
 * everything under root and of its ancestors up to /, the listing of
 * everything under root (the state directories included), /var/lib/sbx.
 * Without with_state the ledgers' own files are left out (a failed plan
 * keeps its journal).  Caller frees. */
char *rec_snapshot(const struct rec_env *e, bool with_state);
/* Compare; on a difference print a unified diff and return false. */
bool rec_same(const char *before, const char *after, const char *what);

/* One sbx command as root or as the caller (with the caller's groups as
 * the group database has them now), env -i style: HOME, PATH, the
 * throwaway names, the machine state, the launcher, plus extra_env
 * ("NAME=VALUE", NULL-terminated, may be NULL). */
struct rec_cmd {
    bool as_caller;
    const char *cwd;              /* NULL: the caller's ws1 */
    const char *extra_env[6];
    const char *argv[40];         /* after "sbx", NULL-terminated */
    pid_t pid;
    char opath[64], epath[64];
    int status;                   /* 128+N for a signal */
    char *out, *err;
};
void rec_start(const struct rec_env *e, struct rec_cmd *c);
int rec_wait(struct rec_cmd *c);
void rec_cmd_free(struct rec_cmd *c);

/* Run and wait: returns the status; *out / *err (may be NULL) to free. */
int rec_sbx(const struct rec_env *e, bool as_caller, const char *const *extra_env, char **out,
            char **err, ...) __attribute__((sentinel));
/* The same, failing the test unless the status is want. */
void rec_sbx_ok(const struct rec_env *e, bool as_caller, int want, ...)
    __attribute__((sentinel));

/* A shell command as root; 0 or its status. */
int rec_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Set the caller up in the unelevated mode with ws1 and ws2. */
void rec_unelevated_setup(const struct rec_env *e);
/* The stranger as the "caller" of a copy b of e (rec_start runs as
 * b->caller in b->ws1 with b->home): a 0700 home of its own under e's root
 * (its password entry's home moved there), a workspace "ws" in it holding
 * "data". */
void rec_member_b(const struct rec_env *e, struct rec_env *b);
/* Root's and the caller's cleanup, then (given_back: a find -name
 * pattern, or NULL) rec_check_given_back; the machine must then be as
 * before sbx ever ran, else the test fails naming `what`. */
void rec_back_to_start(const struct rec_env *e, const char *given_back, const char *what);
/* The caller moved on to the elevated mode by root (migrate --to elevated
 * --user), with a file the sandbox made in ws1: "made-by-sandbox". */
void rec_elevated_setup(const struct rec_env *e);
/* Root's and the caller's sbx cleanup, each must succeed. */
void rec_cleanup_all(const struct rec_env *e);
/* Files the sandbox accounts made in the workspaces (after cleanup): each
 * must belong to the caller and carry no named ACL entry; then they go,
 * so the snapshot can be compared.  pattern: a find -name pattern. */
void rec_check_given_back(const struct rec_env *e, const char *pattern);
/* Does s mention an interrupted plan in `sbx status --json`? */
bool rec_status_open_plan(const char *status_json);
/* Is a plan open in the caller's ledger (as_caller) or the machine's? */
bool rec_has_open_plan(const struct rec_env *e, bool as_caller);

/* OS-changing operations (kinds that are not ledger-only) of the doc-th
 * plan (0-based) of a `--dry-run --json` output; 0 when it has no such
 * plan. */
unsigned rec_count_os_ops(const char *json, unsigned doc);

/* Root's `sbx migrate` under SBX_FAULT=crash:K, recovered by `sbx migrate
 * --resume` or by the next `sbx migrate` rolling it back and going on, and
 * under fail:K, recovered by migrating again: for K = 1, 2, ... until a
 * migrate gets through, each in a fresh world (e must be static: the
 * teardown finds it) that setup builds; then check(e, label) and
 * finish(e, label), which must leave the machine as before sbx ran.
 * Returns the number of operations; fails the test past max_k. */
unsigned rec_migrate_every_fault(struct rec_env *e, unsigned max_k,
                                 void (*setup)(const struct rec_env *e),
                                 void (*check)(const struct rec_env *e, const char *label),
                                 void (*finish)(const struct rec_env *e, const char *label));

/* Fault-point tests: one cmocka test per K and per way of recovering. */
enum rec_recovery { REC_BY_ROLLBACK, REC_BY_RESUME, REC_FAIL_INSTEAD };
struct rec_kcase {
    unsigned k;
    enum rec_recovery how;
};
#define REC_MAX_K 24
/* Run the group: first count alone (it learns how many operations, n,
 * there are; counted() returns n), then, for exactly K = 1..n, the 3
 * tests "PREFIX_<how>_K<k>" running one_k (its state a struct
 * rec_kcase), then, unless in_rollback is NULL, the tests
 * "PREFIX_crash_in_rollback_K<k>" (K = 2..n; how is REC_FAIL_INSTEAD),
 * then the n_extra others; each with rec_teardown.  No test is skipped:
 * there is one per operation.  Returns 0 when all passed. */
int rec_run_k_tests(const char *group, const char *prefix, void (*count)(void **state),
                    unsigned (*counted)(void), void (*one_k)(void **state),
                    void (*in_rollback)(void **state), const struct CMUnitTest *extra,
                    size_t n_extra);

/* One "crash in rollback" test of rec_run_k_tests: K from *state (at most
 * the n_ops counted operations), a fresh world, and for every
 * operation M of the rollback that fail:K starts (M = K+1 .. at most
 * 2K-1): setup, then command under SBX_FAULT=fail:K,crash:M must die
 * (137), then finish recovers, checks and cleans up (back to where the
 * machine started, so the next M starts afresh).  A rollback shorter than
 * K-1 operations (an earlier plan of the command stays committed) ends
 * the loop early: exit 125, "rolled back", and finish checks the rest. */
void rec_crash_in_rollback_test(void **state, unsigned n_ops,
                                void (*setup)(const struct rec_env *e),
                                int (*command)(const struct rec_env *e, const char *spec,
                                               char **err),
                                void (*finish)(const struct rec_env *e, const char *spec));

#endif
