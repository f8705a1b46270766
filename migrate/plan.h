/* SPDX-License-Identifier: MIT */
/* Plans: converge the machine to a desired set of resources.
 *
 * compute (desired vs ledger, pure) -> apply (write-ahead intent per
 * operation, OS call, outcome) -> on failure, undo in reverse order ->
 * on the next start after a crash, recover (check each pending operation
 * against the OS, then roll back or resume). */
#ifndef SBX_MIGRATE_PLAN_H
#define SBX_MIGRATE_PLAN_H

#include <stdbool.h>

#include "migrate/fault.h"
#include "modes/os/os.h"
#include "state/ledger.h"
#include "util/error.h"

/* Everything a plan needs to run. */
struct sbx_engine {
    struct sbx_ledger *ledger; /* plan lock held by the caller */
    struct sbx_os *os;
    /* Fault injection, shared by every plan of one command so that K
     * counts across them; NULL: none. */
    struct sbx_fault *fault;
    /* Called after each operation (progress on a TTY); may be NULL. */
    void (*progress)(void *ctx, const struct sbx_plan *p, size_t done);
    void *progress_ctx;
};

/* Pure: the operations that take `current` (the ledger) to `desired`.
 * Creations first in creation order, then deletions in reverse order, so
 * the old setup stays whole until the new one exists.  Deletions carry the
 * ledger's row (with the ids the OS assigned).  `verb` names the plan. */
int sbx_plan_compute(const struct sbx_resource_list *current,
                     const struct sbx_resource_list *desired, const char *verb,
                     struct sbx_plan *out, struct sbx_error *err);

/* The plan that undoes the newest committed plan (`sbx rollback`); an
 * empty plan (n_ops == 0, id of the plan in out->undoes == 0) when there
 * is nothing to undo. */
int sbx_plan_compute_rollback(struct sbx_ledger *l, struct sbx_plan *out, struct sbx_error *err);

/* Journal and run the plan.  On the first failure, undo what was done in
 * reverse order and return that failure (the message says the plan was
 * rolled back).  A plan with no operations is not
 * recorded, unless it is a rollback (it still marks its plan undone). */
int sbx_plan_apply(struct sbx_engine *e, struct sbx_plan *p, struct sbx_error *err);

/* Finish a plan a crashed process left running: check each pending
 * operation against the OS, then roll it back (resume = false) or run the
 * rest of it (resume = true).  *found tells whether there was one. */
int sbx_plan_recover(struct sbx_engine *e, bool resume, bool *found, struct sbx_error *err);

#endif
