/* SPDX-License-Identifier: MIT */
/* Running plans: write-ahead journal, OS call, outcome; undo on failure;
 * recovery of a plan a crash left running. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migrate/plan.h"
#include "util/platform.h"

static const char *action_name(enum sbx_action a)
{
    return a == SBX_ACT_CREATE ? "create" : "delete";
}

static enum sbx_action inverse(enum sbx_action a)
{
    return a == SBX_ACT_CREATE ? SBX_ACT_DELETE : SBX_ACT_CREATE;
}

static void progress(struct sbx_engine *e, const struct sbx_plan *p, size_t done)
{
    if (e->progress)
        e->progress(e->progress_ctx, p, done);
}

/* One OS call of a plan, with fault injection around it.  *crash_after
 * tells the caller to die once the call has taken effect. */
static int os_call(struct sbx_engine *e, enum sbx_action act, struct sbx_resource *r,
                   bool *crash_after, struct sbx_error *err)
{
    int rc = e->fault ? sbx_fault_before(e->fault, crash_after, err) : 0;
    *crash_after = *crash_after && e->fault;
    if (rc)
        return rc;
    rc = sbx_os_apply(e->os, act, r, err);
    if (rc && *crash_after)
        *crash_after = false;
    return rc;
}

static int forward_one(struct sbx_engine *e, struct sbx_plan *p, struct sbx_plan_op *op,
                       struct sbx_error *err)
{
    struct sbx_ledger *l = e->ledger;
    if (sbx_rkind_ledger_only(op->res.kind))
        return sbx_ledger_op_set(l, p, op, SBX_OP_DONE, NULL, err);
    int rc = sbx_ledger_op_set(l, p, op, SBX_OP_INTENT, NULL, err);
    if (rc)
        return rc;
    bool crash_after = false;
    rc = os_call(e, op->action, &op->res, &crash_after, err);
    if (rc) {
        struct sbx_error jerr = {0};
        if (rc != -SBX_EFAULT) {
            /* A call that failed halfway (a tree walk stopped by one file)
             * may have done part of its work: its inverse, best effort,
             * puts that back.  Drivers' calls are idempotent and never
             * touch what isn't sbx's, so this is safe when nothing was
             * done. */
            struct sbx_resource copy;
            if (sbx_resource_copy(&copy, &op->res) == 0) {
                sbx_os_apply(e->os, inverse(op->action), &copy, &jerr);
                sbx_resource_free(&copy);
            }
            sbx_err_clear(&jerr);
        }
        sbx_err_wrap(err, "%s %s %s", action_name(op->action), sbx_rkind_name(op->res.kind),
                     op->res.key);
        /* The journal must say the call failed; if even that fails, the
         * operation stays 'intent' and recovery checks it against the OS. */
        sbx_ledger_op_set(l, p, op, SBX_OP_FAILED, err->msg, &jerr);
        return rc;
    }
    if (crash_after)
        sbx_proc_crash();
    return sbx_ledger_op_set(l, p, op, SBX_OP_DONE, NULL, err);
}

static int undo_one(struct sbx_engine *e, struct sbx_plan *p, struct sbx_plan_op *op,
                    struct sbx_error *err)
{
    struct sbx_ledger *l = e->ledger;
    if (sbx_rkind_ledger_only(op->res.kind))
        return sbx_ledger_op_set(l, p, op, SBX_OP_UNDONE, NULL, err);
    int rc = sbx_ledger_op_set(l, p, op, SBX_OP_UNDOING, NULL, err);
    if (rc)
        return rc;
    bool crash_after = false;
    rc = os_call(e, inverse(op->action), &op->res, &crash_after, err);
    if (rc) {
        struct sbx_error jerr = {0};
        sbx_err_wrap(err, "undoing %s %s %s", action_name(op->action),
                     sbx_rkind_name(op->res.kind), op->res.key);
        /* Still done: the next start finds the plan running and retries. */
        sbx_ledger_op_set(l, p, op, SBX_OP_DONE, err->msg, &jerr);
        return rc;
    }
    if (crash_after)
        sbx_proc_crash();
    return sbx_ledger_op_set(l, p, op, SBX_OP_UNDONE, NULL, err);
}

/* Undo every done operation in reverse order.  Keeps going past a failed
 * undo (so as much as possible is put back) and reports the first one; the
 * plan then stays 'running' for the next start to retry. */
static int rollback_ops(struct sbx_engine *e, struct sbx_plan *p, struct sbx_error *err)
{
    int first = 0;
    for (size_t i = p->n_ops; i-- > 0;) {
        struct sbx_plan_op *op = &p->ops[i];
        if (op->state != SBX_OP_DONE)
            continue;
        struct sbx_error uerr = {0};
        int rc = undo_one(e, p, op, &uerr);
        if (rc && !first) {
            first = rc;
            *err = uerr;
        }
        progress(e, p, p->n_ops - i);
    }
    return first;
}

static int finish_rolled_back(struct sbx_engine *e, struct sbx_plan *p, const char *why,
                              int cause, struct sbx_error *err)
{
    struct sbx_error rerr = {0};
    int rc = rollback_ops(e, p, &rerr);
    if (rc) {
        return sbx_err_set(err, -rc,
                           "%s; rolling back plan %lld also failed (%s); the plan stays open: "
                           "run `sbx doctor` to see what is left, then `sbx rollback` or "
                           "`sbx migrate --resume`",
                           why, (long long)p->id, rerr.msg);
    }
    struct sbx_error ferr = {0};
    if ((rc = sbx_ledger_plan_finish(e->ledger, p, SBX_PLAN_ROLLED_BACK, why, &ferr)))
        return sbx_err_set(err, -rc, "%s; rolled back, but closing the plan failed: %s", why,
                           ferr.msg);
    return sbx_err_set(err, cause ? cause : SBX_EIO,
                       "%s; every change of plan %lld was rolled back, the machine is as before",
                       why, (long long)p->id);
}

static int run_forward(struct sbx_engine *e, struct sbx_plan *p, struct sbx_error *err)
{
    for (size_t i = 0; i < p->n_ops; i++) {
        struct sbx_plan_op *op = &p->ops[i];
        if (op->state == SBX_OP_DONE)
            continue;
        int rc = forward_one(e, p, op, err);
        if (rc) {
            char why[SBX_ERR_MSG_MAX];
            snprintf(why, sizeof why, "%s", err->msg);
            return finish_rolled_back(e, p, why, -rc, err);
        }
        progress(e, p, i + 1);
    }
    return sbx_ledger_plan_finish(e->ledger, p, SBX_PLAN_COMMITTED, NULL, err);
}

int sbx_plan_apply(struct sbx_engine *e, struct sbx_plan *p, struct sbx_error *err)
{
    /* An empty rollback is still recorded: it marks its plan undone, so
     * the next rollback goes further back. */
    if (p->n_ops == 0 && p->undoes == 0)
        return 0;
    int rc = sbx_ledger_plan_create(e->ledger, p, err);
    if (rc)
        return rc;
    return run_forward(e, p, err);
}

/* What a crash left: settle each operation caught between intent and
 * outcome by asking the OS whether the call took effect. */
static int settle(struct sbx_engine *e, struct sbx_plan *p, struct sbx_plan_op *op,
                  struct sbx_error *err)
{
    if (op->state != SBX_OP_INTENT && op->state != SBX_OP_UNDOING)
        return 0;
    bool undoing = op->state == SBX_OP_UNDOING;
    /* The action whose effect we look for. */
    enum sbx_action act = undoing ? inverse(op->action) : op->action;
    enum sbx_presence pr = SBX_ABSENT;
    int rc = sbx_os_probe(e->os, &op->res, &pr, err);
    if (rc)
        return sbx_err_wrap(err, "checking %s %s after a crash", sbx_rkind_name(op->res.kind),
                            op->res.key);
    bool took_effect = act == SBX_ACT_CREATE ? pr == SBX_PRESENT : pr == SBX_ABSENT;
    if (took_effect && act == SBX_ACT_CREATE) {
        /* Present: ask for it once more (idempotent) to learn the ids the
         * OS gave it, which the crash kept out of the ledger. */
        if ((rc = sbx_os_apply(e->os, SBX_ACT_CREATE, &op->res, err)))
            return sbx_err_wrap(err, "recording %s %s after a crash",
                                sbx_rkind_name(op->res.kind), op->res.key);
    }
    enum sbx_op_state next = undoing ? (took_effect ? SBX_OP_UNDONE : SBX_OP_DONE)
                                     : (took_effect ? SBX_OP_DONE : SBX_OP_PLANNED);
    return sbx_ledger_op_set(e->ledger, p, op, next, NULL, err);
}

int sbx_plan_recover(struct sbx_engine *e, bool resume, bool *found, struct sbx_error *err)
{
    *found = false;
    int64_t id = 0;
    int rc = sbx_ledger_plan_running(e->ledger, &id, err);
    if (rc || id == 0)
        return rc;
    *found = true;
    struct sbx_plan p = {0};
    if ((rc = sbx_ledger_plan_load(e->ledger, id, &p, err)))
        return rc;
    for (size_t i = 0; i < p.n_ops && rc == 0; i++)
        rc = settle(e, &p, &p.ops[i], err);
    if (rc == 0) {
        if (resume) {
            rc = run_forward(e, &p, err);
        } else {
            char why[128];
            snprintf(why, sizeof why, "plan %lld (%s) was interrupted", (long long)p.id, p.verb);
            rc = finish_rolled_back(e, &p, why, 0, err);
            if (p.state == SBX_PLAN_ROLLED_BACK)
                rc = 0;
        }
    }
    sbx_plan_free(&p);
    return rc;
}
