/* SPDX-License-Identifier: MIT */
/* Computing plans: pure functions of the ledger and the desired set. */
#include "migrate/plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int push_op(struct sbx_plan *p, size_t *cap, enum sbx_action action,
                   const struct sbx_resource *r)
{
    if (p->n_ops == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        struct sbx_plan_op *ops = realloc(p->ops, *cap * sizeof *ops);
        if (!ops)
            return -SBX_ENOMEM;
        p->ops = ops;
    }
    struct sbx_plan_op *op = &p->ops[p->n_ops];
    memset(op, 0, sizeof *op);
    op->action = action;
    if (sbx_resource_copy(&op->res, r))
        return -SBX_ENOMEM;
    op->res.id = 0;
    p->n_ops++;
    return 0;
}

/* A tree grant replaced by another on the same root (a workspace moved to
 * its owner's own account pair): the old one's removal takes the owner's
 * default entries with it, which the new one adds too, so the old one goes
 * first.  Undone in reverse like any plan. */
static bool tree(const struct sbx_resource *r)
{
    char e[16];
    return r->kind == SBX_R_ACL_ENTRY && r->path &&
           sbx_detail_get(r->detail, "entry", e, sizeof e) == 0 && strcmp(e, "tree") == 0;
}

static bool replaced_tree(const struct sbx_resource *old, const struct sbx_resource_list *want)
{
    if (!tree(old))
        return false;
    for (size_t i = 0; i < want->len; i++)
        if (tree(&want->items[i]) && strcmp(want->items[i].path, old->path) == 0)
            return true;
    return false;
}

int sbx_plan_compute(const struct sbx_resource_list *current,
                     const struct sbx_resource_list *desired, const char *verb,
                     struct sbx_plan *out, struct sbx_error *err)
{
    memset(out, 0, sizeof *out);
    snprintf(out->verb, sizeof out->verb, "%s", verb);
    struct sbx_resource_list want = {0}, have = {0};
    size_t cap = 0;
    int rc = 0;
    for (size_t i = 0; i < desired->len && rc == 0; i++) {
        if (!desired->items[i].key || !*desired->items[i].key) {
            rc = sbx_err_set(err, SBX_EINVAL, "internal error: a desired %s has no key",
                             sbx_rkind_name(desired->items[i].kind));
            break;
        }
        if (sbx_rlist_find(&want, desired->items[i].kind, desired->items[i].key) >= 0)
            continue; /* the same object asked for twice */
        if (sbx_rlist_find(current, desired->items[i].kind, desired->items[i].key) < 0)
            rc = sbx_rlist_push(&want, &desired->items[i]);
    }
    for (size_t i = 0; i < current->len && rc == 0; i++)
        if (sbx_rlist_find(desired, current->items[i].kind, current->items[i].key) < 0)
            rc = sbx_rlist_push(&have, &current->items[i]);
    if (rc == 0) {
        sbx_rlist_sort(&want);
        sbx_rlist_sort(&have);
        for (size_t i = have.len; i-- > 0 && rc == 0;)
            if (replaced_tree(&have.items[i], &want))
                rc = push_op(out, &cap, SBX_ACT_DELETE, &have.items[i]);
        for (size_t i = 0; i < want.len && rc == 0; i++)
            rc = push_op(out, &cap, SBX_ACT_CREATE, &want.items[i]);
        for (size_t i = have.len; i-- > 0 && rc == 0;)
            if (!replaced_tree(&have.items[i], &want))
                rc = push_op(out, &cap, SBX_ACT_DELETE, &have.items[i]);
    }
    sbx_rlist_free(&want);
    sbx_rlist_free(&have);
    if (rc) {
        sbx_plan_free(out);
        if (rc == -SBX_ENOMEM)
            return sbx_err_set(err, SBX_ENOMEM, "out of memory while planning");
        return rc;
    }
    return 0;
}

int sbx_plan_compute_rollback(struct sbx_ledger *l, struct sbx_plan *out, struct sbx_error *err)
{
    memset(out, 0, sizeof *out);
    snprintf(out->verb, sizeof out->verb, "rollback");
    int64_t last = 0;
    int rc = sbx_ledger_plan_last_committed(l, &last, err);
    if (rc || last == 0)
        return rc;
    struct sbx_plan undone = {0};
    if ((rc = sbx_ledger_plan_load(l, last, &undone, err)))
        return rc;
    struct sbx_resource_list current = {0};
    if ((rc = sbx_ledger_resources(l, &current, err))) {
        sbx_plan_free(&undone);
        return rc;
    }
    out->undoes = last;
    snprintf(out->mode_from, sizeof out->mode_from, "%s", undone.mode_to);
    snprintf(out->mode_to, sizeof out->mode_to, "%s", undone.mode_from);
    size_t cap = 0;
    for (size_t i = undone.n_ops; i-- > 0 && rc == 0;) {
        const struct sbx_plan_op *op = &undone.ops[i];
        if (op->state != SBX_OP_DONE)
            continue;
        long at = sbx_rlist_find(&current, op->res.kind, op->res.key);
        if (op->action == SBX_ACT_CREATE) {
            /* Undo a creation: remove the object as the ledger knows it now
             * (with the ids the OS gave it); gone already, nothing to do. */
            if (at >= 0)
                rc = push_op(out, &cap, SBX_ACT_DELETE, &current.items[at]);
        } else if (at < 0) {
            rc = push_op(out, &cap, SBX_ACT_CREATE, &op->res);
        }
    }
    sbx_rlist_free(&current);
    sbx_plan_free(&undone);
    if (rc) {
        sbx_plan_free(out);
        return sbx_err_set(err, SBX_ENOMEM, "out of memory while planning the rollback");
    }
    return 0;
}
