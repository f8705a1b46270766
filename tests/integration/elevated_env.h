/* SPDX-License-Identifier: MIT */
/* The throwaway machine setup the elevated-mode integration tests share:
 * names unique to the test process (SBX_ELEVATED_PREFIX=sbxt<pid>-), a
 * caller account and a non-member account, a workspace in the caller's
 * 0700 home, setup through the real plan engine and ledger, and a cleanup
 * that removes all of it whatever happened, then compares the machine with
 * the snapshot taken before setup. */
#ifndef SBX_TESTS_INTEGRATION_ELEVATED_ENV_H
#define SBX_TESTS_INTEGRATION_ELEVATED_ENV_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "modes/elevated/elevated.h"
#include "modes/os/os.h"

struct elev_env {
    char prefix[24];
    struct sbx_elevated_names names;
    char root[128];           /* /tmp/sbx-elev-PID (0755) */
    char state[256];          /* machine state dir */
    char caller[32], stranger[32];
    uid_t caller_uid, stranger_uid, offline_uid, online_uid;
    gid_t caller_gid, stranger_gid, group_gid;
    char home[256];           /* caller's home, 0700 */
    char ws[384];             /* caller's workspace */
    char user_state[256];     /* caller's own ledger */
    char *snap_before;
    unsigned ports[2];
    size_t n_ports;
};

/* Exit 77 (skip) with a reason unless root with what the tests need. */
void elev_require_root(void);

/* Create everything and run setup (machine scope) and the caller's
 * workspace grant (user scope, as the caller).  0 or -1 (message on
 * stderr). */
int elev_env_setup(struct elev_env *e);
/* Undo setup through the engine, then remove by force whatever is left
 * that carries this test's names; compare with the snapshot.  Returns 0
 * when the machine is as before. */
int elev_env_teardown(struct elev_env *e);

/* Converge a scope to the given config (plan engine + ledger). */
int elev_converge(struct elev_env *e, bool machine, bool with_workspace, bool with_users);

/* Run fn(arg) in a child as uid/gid (with the user's groups from the
 * group database when groups is set); returns its exit status, or -1. */
int elev_as(uid_t uid, gid_t gid, bool groups, int (*fn)(void *), void *arg);

/* Run the elevated mode's run() as the caller. */
struct elev_run {
    struct elev_env *env;
    const char *const *argv;
    const char *cwd;
    const char *account;      /* NULL: by net */
    bool net;
    unsigned timeout;
    bool poison_env;          /* LD_PRELOAD=<root>/evil.so, HOME, TMPDIR... */
    bool signal_when_ready;   /* send sbx SIGTERM once the command has written
                                 to its stdout (a pipe to the test): it runs */
    int status;               /* out */
    int rc;                   /* out */
    char msg[1024];           /* out: error message */
};
int elev_run_as_caller(struct elev_run *r);

/* A shell command as root; its stdout into out (may be NULL). */
int elev_sh(char *out, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Snapshot of what sbx may touch: passwd, group, shadow, gshadow, nft
 * tables, ACLs beneath root, the state dir's mode. */
char *elev_snapshot(const struct elev_env *e);

/* Read a small file into buf ("" when missing). */
void elev_read(const char *path, char *buf, size_t len);

#endif
