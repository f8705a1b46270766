/* SPDX-License-Identifier: MIT */
/* The ledger: one SQLite database that is the single source of truth about
 * what sbx did to the machine.
 *
 * A state directory holds `ledger.db` (mode 0600 in a 0700 directory) and
 * `plan.lock`, the exclusive lock any plan takes so two processes never
 * change the machine at once (readers such as `sbx run` and `sbx status`
 * never take it). */
#ifndef SBX_STATE_LEDGER_H
#define SBX_STATE_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "state/resource.h"
#include "util/error.h"

/* The schema this build writes.  Older ledgers are upgraded on open, one
 * transaction per step; newer ones are refused. */
#define SBX_SCHEMA_VERSION 1

/* "SBX!" in the SQLite header's application_id: tells an sbx ledger from
 * any other SQLite database. */
#define SBX_LEDGER_APPLICATION_ID 0x53425821

struct sbx_ledger;

enum sbx_ledger_open_flags {
    SBX_LEDGER_CREATE = 1 << 0,   /* create the directory and ledger if missing */
    SBX_LEDGER_READONLY = 1 << 1, /* never write (no schema upgrade either) */
};

/* Open the ledger of state directory `dir`.  Refuses, with a message and
 * without changing anything: a file that is not SQLite, a damaged or
 * truncated database, a database that is not an sbx ledger, a ledger of a
 * newer schema.  Without SBX_LEDGER_CREATE a missing ledger is -SBX_ENOENT. */
int sbx_ledger_open(const char *dir, unsigned flags, struct sbx_ledger **out,
                    struct sbx_error *err);
void sbx_ledger_close(struct sbx_ledger *l);

const char *sbx_ledger_path(const struct sbx_ledger *l);
const char *sbx_ledger_dir(const struct sbx_ledger *l);
int sbx_ledger_schema_version(const struct sbx_ledger *l);

/* Take / release the plan lock of this ledger's directory. */
int sbx_ledger_lock(struct sbx_ledger *l, unsigned wait_ms, struct sbx_error *err);
void sbx_ledger_unlock(struct sbx_ledger *l);

/* --- metadata --- */
int sbx_ledger_meta_get(struct sbx_ledger *l, const char *key, char *buf, size_t len,
                        struct sbx_error *err); /* -SBX_ENOENT when unset */
int sbx_ledger_meta_set(struct sbx_ledger *l, const char *key, const char *value,
                        struct sbx_error *err);

/* --- resources --- */
/* Resources present now (appended to out, in creation order). */
int sbx_ledger_resources(struct sbx_ledger *l, struct sbx_resource_list *out,
                         struct sbx_error *err);
/* Count of present resources per kind. */
int sbx_ledger_count(struct sbx_ledger *l, size_t counts[SBX_R_KIND_COUNT],
                     struct sbx_error *err);

/* --- plans and their journal --- */

enum sbx_op_state {
    SBX_OP_PLANNED = 0, /* written with the plan, not started */
    SBX_OP_INTENT,      /* about to call the OS (committed before the call) */
    SBX_OP_DONE,        /* the OS call succeeded, resources updated */
    SBX_OP_FAILED,      /* the OS call failed, nothing to undo */
    SBX_OP_UNDOING,     /* about to call the OS to undo it */
    SBX_OP_UNDONE,      /* undone, resources restored */
};
const char *sbx_op_state_name(enum sbx_op_state s);

enum sbx_plan_state {
    SBX_PLAN_RUNNING = 0,
    SBX_PLAN_COMMITTED,
    SBX_PLAN_ROLLED_BACK,
};
const char *sbx_plan_state_name(enum sbx_plan_state s);

struct sbx_plan_op {
    int64_t id;
    int seq;
    enum sbx_action action;
    enum sbx_op_state state;
    struct sbx_resource res; /* full description: enough to redo or undo */
    char *error;
};

struct sbx_plan {
    int64_t id;
    char verb[32];
    char mode_from[16], mode_to[16];
    enum sbx_plan_state state;
    int64_t undoes;  /* plan this one rolls back (sbx rollback), or 0 */
    long pid;
    char started_at[32], finished_at[32];
    char *error;
    struct sbx_plan_op *ops;
    size_t n_ops;
};
void sbx_plan_free(struct sbx_plan *p);

/* Write a new running plan with its operations (state planned), in one
 * transaction.  op actions/resources come from ops[i]; ids are filled. */
int sbx_ledger_plan_create(struct sbx_ledger *l, struct sbx_plan *p, struct sbx_error *err);
int sbx_ledger_plan_load(struct sbx_ledger *l, int64_t plan_id, struct sbx_plan *out,
                         struct sbx_error *err);
/* The running plan (a crashed one when nobody holds the lock), or 0. */
int sbx_ledger_plan_running(struct sbx_ledger *l, int64_t *plan_id, struct sbx_error *err);
/* The newest committed plan not already undone by a rollback, or 0. */
int sbx_ledger_plan_last_committed(struct sbx_ledger *l, int64_t *plan_id,
                                   struct sbx_error *err);
/* How many plans the ledger records (0: nothing was ever done with it). */
int sbx_ledger_plan_count(struct sbx_ledger *l, int64_t *n, struct sbx_error *err);
int sbx_ledger_plan_finish(struct sbx_ledger *l, struct sbx_plan *p, enum sbx_plan_state state,
                           const char *error, struct sbx_error *err);

/* Journal one state change of an operation (committed before returning).
 * Moving to DONE or UNDONE also updates the resources table in the same
 * transaction, with op->res as the OS left it (ids it assigned). */
int sbx_ledger_op_set(struct sbx_ledger *l, struct sbx_plan *p, struct sbx_plan_op *op,
                      enum sbx_op_state state, const char *error, struct sbx_error *err);

/* --- history --- */
struct sbx_log_entry {
    int64_t plan_id;
    const char *plan_verb;
    const char *plan_state;
    int seq;
    const char *action;
    const char *op_state;
    const char *kind;
    const char *key;
    const char *principal;
    const char *started_at;
    const char *finished_at;
    const char *undone_at;
    const char *error;
};
/* Every operation of every plan, oldest first. */
int sbx_ledger_log(struct sbx_ledger *l,
                   int (*fn)(const struct sbx_log_entry *e, void *ctx), void *ctx,
                   struct sbx_error *err);

#endif
