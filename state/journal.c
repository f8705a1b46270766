/* SPDX-License-Identifier: MIT */
/* Queries of the ledger: metadata, resources, plans and their journal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state/ledger.h"
#include "state/ledger_impl.h"

static const char *const op_state_names[] = {"planned", "intent", "done",
                                             "failed",  "undoing", "undone"};
static const char *const plan_state_names[] = {"running", "committed", "rolled_back"};

const char *sbx_op_state_name(enum sbx_op_state s)
{
    return (unsigned)s < 6 ? op_state_names[s] : "unknown";
}

const char *sbx_plan_state_name(enum sbx_plan_state s)
{
    return (unsigned)s < 3 ? plan_state_names[s] : "unknown";
}

static int parse_name(const char *s, const char *const *names, int n)
{
    for (int i = 0; s && i < n; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

static int prepare(struct sbx_ledger *l, sqlite3_stmt **st, const char *sql,
                   struct sbx_error *err)
{
    if (sqlite3_prepare_v2(l->db, sql, -1, st, NULL) != SQLITE_OK)
        return sbx_ledger_sqlite_err(l, "preparing a query", err);
    return 0;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

static int dup_col(sqlite3_stmt *st, int i, char **out)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    *out = NULL;
    if (s && !(*out = strdup((const char *)s)))
        return -SBX_ENOMEM;
    return 0;
}

static void copy_col(sqlite3_stmt *st, int i, char *buf, size_t len)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    snprintf(buf, len, "%s", s ? (const char *)s : "");
}

/* Columns kind,key,name,principal,path,detail,os_id,mode starting at i. */
static int read_resource(sqlite3_stmt *st, int i, struct sbx_resource *r)
{
    memset(r, 0, sizeof *r);
    const char *kind = (const char *)sqlite3_column_text(st, i);
    enum sbx_rkind k;
    if (sbx_rkind_parse(kind, &k) != 0)
        return -SBX_ECORRUPT;
    r->kind = k;
    if (dup_col(st, i + 1, &r->key) || dup_col(st, i + 2, &r->name) ||
        dup_col(st, i + 3, &r->principal) || dup_col(st, i + 4, &r->path) ||
        dup_col(st, i + 5, &r->detail) || dup_col(st, i + 6, &r->os_id) ||
        dup_col(st, i + 7, &r->mode)) {
        sbx_resource_free(r);
        return -SBX_ENOMEM;
    }
    if (!r->key) {
        sbx_resource_free(r);
        return -SBX_ECORRUPT;
    }
    return 0;
}

static void bind_resource(sqlite3_stmt *st, int i, const struct sbx_resource *r)
{
    bind_text(st, i, sbx_rkind_name(r->kind));
    bind_text(st, i + 1, r->key);
    bind_text(st, i + 2, r->name);
    bind_text(st, i + 3, r->principal);
    bind_text(st, i + 4, r->path);
    bind_text(st, i + 5, r->detail);
    bind_text(st, i + 6, r->os_id);
    bind_text(st, i + 7, r->mode);
}

/* --- metadata ------------------------------------------------------------ */

int sbx_ledger_meta_get(struct sbx_ledger *l, const char *key, char *buf, size_t len,
                        struct sbx_error *err)
{
    sbx_autoptr(stmt) sqlite3_stmt *st = NULL;
    int rc = prepare(l, &st, "SELECT value FROM meta WHERE key = ?", err);
    if (rc)
        return rc;
    bind_text(st, 1, key);
    int s = sqlite3_step(st);
    if (s == SQLITE_DONE)
        return -SBX_ENOENT;
    if (s != SQLITE_ROW)
        return sbx_ledger_sqlite_err(l, "reading metadata", err);
    copy_col(st, 0, buf, len);
    return 0;
}

int sbx_ledger_meta_set(struct sbx_ledger *l, const char *key, const char *value,
                        struct sbx_error *err)
{
    sbx_autoptr(stmt) sqlite3_stmt *st = NULL;
    int rc = prepare(l, &st, "INSERT INTO meta(key, value) VALUES(?, ?) "
                             "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                     err);
    if (rc)
        return rc;
    bind_text(st, 1, key);
    bind_text(st, 2, value);
    if (sqlite3_step(st) != SQLITE_DONE)
        return sbx_ledger_sqlite_err(l, "writing metadata", err);
    return 0;
}

/* --- resources ----------------------------------------------------------- */

int sbx_ledger_resources(struct sbx_ledger *l, struct sbx_resource_list *out,
                         struct sbx_error *err)
{
    sbx_autoptr(stmt) sqlite3_stmt *st = NULL;
    int rc = prepare(l, &st,
                     "SELECT id, kind, key, name, principal, path, detail, os_id, mode "
                     "FROM resources WHERE state = 'present' ORDER BY id",
                     err);
    if (rc)
        return rc;
    size_t first = out->len;
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        struct sbx_resource r;
        if ((rc = read_resource(st, 1, &r)))
            return sbx_err_set(err, -rc, "ledger %s: resource row %lld is damaged", l->path,
                               (long long)sqlite3_column_int64(st, 0));
        r.id = sqlite3_column_int64(st, 0);
        rc = sbx_rlist_push(out, &r);
        sbx_resource_free(&r);
        if (rc)
            return sbx_err_set(err, SBX_ENOMEM, "out of memory");
    }
    if (s != SQLITE_DONE)
        return sbx_ledger_sqlite_err(l, "reading resources", err);
    struct sbx_resource_list tail = {out->items + first, out->len - first, 0};
    sbx_rlist_sort(&tail);
    return 0;
}

int sbx_ledger_count(struct sbx_ledger *l, size_t counts[SBX_R_KIND_COUNT],
                     struct sbx_error *err)
{
    memset(counts, 0, sizeof(size_t) * SBX_R_KIND_COUNT);
    sbx_autoptr(stmt) sqlite3_stmt *st = NULL;
    int rc = prepare(l, &st,
                     "SELECT kind, count(*) FROM resources WHERE state = 'present' GROUP BY kind",
                     err);
    if (rc)
        return rc;
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        enum sbx_rkind k;
        if (sbx_rkind_parse((const char *)sqlite3_column_text(st, 0), &k) == 0)
            counts[k] = (size_t)sqlite3_column_int64(st, 1);
    }
    if (s != SQLITE_DONE)
        return sbx_ledger_sqlite_err(l, "counting resources", err);
    return 0;
}

/* --- plans --------------------------------------------------------------- */

void sbx_plan_free(struct sbx_plan *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_ops; i++) {
        sbx_resource_free(&p->ops[i].res);
        free(p->ops[i].error);
    }
    free(p->ops);
    free(p->error);
    memset(p, 0, sizeof *p);
}

static int begin(struct sbx_ledger *l, struct sbx_error *err)
{
    return sbx_ledger_exec(l, "BEGIN IMMEDIATE", err);
}

static int commit(struct sbx_ledger *l, struct sbx_error *err)
{
    int rc = sbx_ledger_exec(l, "COMMIT", err);
    if (rc)
        sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static int fail_txn(struct sbx_ledger *l, int rc)
{
    sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

int sbx_ledger_plan_create(struct sbx_ledger *l, struct sbx_plan *p, struct sbx_error *err)
{
    if (!l->lock)
        return sbx_err_set(err, SBX_ESTATE, "internal error: plan written without the plan lock");
    char now[32];
    sbx_time_iso8601(now, sizeof now);
    int rc = begin(l, err);
    if (rc)
        return rc;
    {
        sbx_autoptr(stmt) sqlite3_stmt *st = NULL;
        if ((rc = prepare(l, &st,
                          "INSERT INTO plans(verb, mode_from, mode_to, state, undoes, pid, "
                          "sbx_version, started_at) VALUES(?, ?, ?, 'running', ?, ?, ?, ?)",
                          err)))
            return fail_txn(l, rc);
        bind_text(st, 1, p->verb);
        bind_text(st, 2, p->mode_from);
        bind_text(st, 3, p->mode_to);
        if (p->undoes)
            sqlite3_bind_int64(st, 4, p->undoes);
        else
            sqlite3_bind_null(st, 4);
        sqlite3_bind_int64(st, 5, sbx_proc_self_id());
        bind_text(st, 6, SBX_VERSION);
        bind_text(st, 7, now);
        if (sqlite3_step(st) != SQLITE_DONE)
            return fail_txn(l, sbx_ledger_sqlite_err(l, "writing the plan", err));
        p->id = sqlite3_last_insert_rowid(l->db);
        p->state = SBX_PLAN_RUNNING;
        p->pid = sbx_proc_self_id();
        snprintf(p->started_at, sizeof p->started_at, "%s", now);
    }
    for (size_t i = 0; i < p->n_ops; i++) {
        struct sbx_plan_op *op = &p->ops[i];
        sbx_autoptr(stmt) sqlite3_stmt *st = NULL;
        if ((rc = prepare(l, &st,
                          "INSERT INTO plan_ops(plan_id, seq, action, state, kind, key, name, "
                          "principal, path, detail, os_id, mode) "
                          "VALUES(?, ?, ?, 'planned', ?, ?, ?, ?, ?, ?, ?, ?)",
                          err)))
            return fail_txn(l, rc);
        op->seq = (int)i + 1;
        op->state = SBX_OP_PLANNED;
        sqlite3_bind_int64(st, 1, p->id);
        sqlite3_bind_int(st, 2, op->seq);
        bind_text(st, 3, op->action == SBX_ACT_CREATE ? "create" : "delete");
        bind_resource(st, 4, &op->res);
        if (sqlite3_step(st) != SQLITE_DONE)
            return fail_txn(l, sbx_ledger_sqlite_err(l, "writing a plan operation", err));
        op->id = sqlite3_last_insert_rowid(l->db);
    }
    return commit(l, err);
}

int sbx_ledger_plan_load(struct sbx_ledger *l, int64_t plan_id, struct sbx_plan *out,
                         struct sbx_error *err)
{
    memset(out, 0, sizeof *out);
    int rc;
    {
        sbx_autoptr(stmt) sqlite3_stmt *st = NULL;
        if ((rc = prepare(l, &st,
                          "SELECT verb, mode_from, mode_to, state, undoes, pid, started_at, "
                          "finished_at, error FROM plans WHERE id = ?",
                          err)))
            return rc;
        sqlite3_bind_int64(st, 1, plan_id);
        int s = sqlite3_step(st);
        if (s == SQLITE_DONE)
            return sbx_err_set(err, SBX_ENOENT, "ledger %s has no plan %lld", l->path,
                               (long long)plan_id);
        if (s != SQLITE_ROW)
            return sbx_ledger_sqlite_err(l, "reading a plan", err);
        out->id = plan_id;
        copy_col(st, 0, out->verb, sizeof out->verb);
        copy_col(st, 1, out->mode_from, sizeof out->mode_from);
        copy_col(st, 2, out->mode_to, sizeof out->mode_to);
        int state = parse_name((const char *)sqlite3_column_text(st, 3), plan_state_names, 3);
        if (state < 0)
            return sbx_err_set(err, SBX_ECORRUPT, "ledger %s: plan %lld has an unknown state",
                               l->path, (long long)plan_id);
        out->state = (enum sbx_plan_state)state;
        out->undoes = sqlite3_column_int64(st, 4);
        out->pid = (long)sqlite3_column_int64(st, 5);
        copy_col(st, 6, out->started_at, sizeof out->started_at);
        copy_col(st, 7, out->finished_at, sizeof out->finished_at);
        if (dup_col(st, 8, &out->error))
            return sbx_err_set(err, SBX_ENOMEM, "out of memory");
    }
    sbx_autoptr(stmt) sqlite3_stmt *st = NULL;
    if ((rc = prepare(l, &st,
                      "SELECT id, seq, action, state, error, kind, key, name, principal, path, "
                      "detail, os_id, mode FROM plan_ops WHERE plan_id = ? ORDER BY seq",
                      err)))
        goto fail;
    sqlite3_bind_int64(st, 1, plan_id);
    int s;
    size_t cap = 0;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->n_ops == cap) {
            cap = cap ? cap * 2 : 16;
            struct sbx_plan_op *ops = realloc(out->ops, cap * sizeof *ops);
            if (!ops) {
                rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
                goto fail;
            }
            out->ops = ops;
        }
        struct sbx_plan_op *op = &out->ops[out->n_ops];
        memset(op, 0, sizeof *op);
        op->id = sqlite3_column_int64(st, 0);
        op->seq = sqlite3_column_int(st, 1);
        const char *action = (const char *)sqlite3_column_text(st, 2);
        int state = parse_name((const char *)sqlite3_column_text(st, 3), op_state_names, 6);
        if (!action || state < 0 || read_resource(st, 5, &op->res) != 0) {
            rc = sbx_err_set(err, SBX_ECORRUPT, "ledger %s: operation %lld of plan %lld is damaged",
                             l->path, (long long)op->id, (long long)plan_id);
            goto fail;
        }
        op->action = strcmp(action, "create") == 0 ? SBX_ACT_CREATE : SBX_ACT_DELETE;
        op->state = (enum sbx_op_state)state;
        out->n_ops++;
        if (dup_col(st, 4, &op->error)) {
            rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
            goto fail;
        }
    }
    if (s != SQLITE_DONE) {
        rc = sbx_ledger_sqlite_err(l, "reading plan operations", err);
        goto fail;
    }
    return 0;
fail:
    sbx_plan_free(out);
    return rc;
}

static int select_id(struct sbx_ledger *l, const char *sql, int64_t *out, struct sbx_error *err)
{
    sbx_autoptr(stmt) sqlite3_stmt *st = NULL;
    int rc = prepare(l, &st, sql, err);
    if (rc)
        return rc;
    int s = sqlite3_step(st);
    *out = s == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    if (s != SQLITE_ROW && s != SQLITE_DONE)
        return sbx_ledger_sqlite_err(l, "finding a plan", err);
    return 0;
}

int sbx_ledger_plan_count(struct sbx_ledger *l, int64_t *n, struct sbx_error *err)
{
    return select_id(l, "SELECT count(*) FROM plans", n, err);
}

int sbx_ledger_plan_running(struct sbx_ledger *l, int64_t *plan_id, struct sbx_error *err)
{
    return select_id(l, "SELECT id FROM plans WHERE state = 'running' ORDER BY id LIMIT 1",
                     plan_id, err);
}

int sbx_ledger_plan_last_committed(struct sbx_ledger *l, int64_t *plan_id,
                                   struct sbx_error *err)
{
    /* A committed rollback plan hides the plan it undid: rolling back twice
     * walks further back in history instead of redoing. */
    return select_id(l,
                     "SELECT p.id FROM plans p WHERE p.state = 'committed' AND NOT EXISTS "
                     "(SELECT 1 FROM plans r WHERE r.undoes = p.id AND r.state = 'committed') "
                     "AND p.undoes IS NULL ORDER BY p.id DESC LIMIT 1",
                     plan_id, err);
}

int sbx_ledger_plan_finish(struct sbx_ledger *l, struct sbx_plan *p, enum sbx_plan_state state,
                           const char *error, struct sbx_error *err)
{
    char now[32];
    sbx_time_iso8601(now, sizeof now);
    sbx_autoptr(stmt) sqlite3_stmt *st = NULL;
    int rc = prepare(l, &st, "UPDATE plans SET state = ?, finished_at = ?, error = ? WHERE id = ?",
                     err);
    if (rc)
        return rc;
    bind_text(st, 1, sbx_plan_state_name(state));
    bind_text(st, 2, now);
    bind_text(st, 3, error);
    sqlite3_bind_int64(st, 4, p->id);
    if (sqlite3_step(st) != SQLITE_DONE)
        return sbx_ledger_sqlite_err(l, "finishing the plan", err);
    p->state = state;
    snprintf(p->finished_at, sizeof p->finished_at, "%s", now);
    return 0;
}

/* The resources table after an operation took effect on the OS: `present`
 * says whether the object now exists. */
static int update_resource(struct sbx_ledger *l, const struct sbx_plan *p,
                           const struct sbx_resource *r, bool present, const char *now,
                           struct sbx_error *err)
{
    sbx_autoptr(stmt) sqlite3_stmt *st = NULL;
    int rc;
    if (present) {
        /* Upsert: an interrupted plan redone creates the row it may have
         * created already. */
        if ((rc = prepare(l, &st,
                          "INSERT INTO resources(kind, key, name, principal, path, detail, "
                          "os_id, mode, state, created_plan, created_at) "
                          "VALUES(?, ?, ?, ?, ?, ?, ?, ?, 'present', ?, ?) "
                          "ON CONFLICT(kind, key) WHERE state = 'present' DO UPDATE SET "
                          "name = excluded.name, principal = excluded.principal, "
                          "path = excluded.path, detail = excluded.detail, "
                          "os_id = excluded.os_id, mode = excluded.mode",
                          err)))
            return rc;
        bind_resource(st, 1, r);
        sqlite3_bind_int64(st, 9, p->id);
        bind_text(st, 10, now);
    } else {
        if ((rc = prepare(l, &st,
                          "UPDATE resources SET state = 'absent', removed_plan = ?, "
                          "removed_at = ? WHERE kind = ? AND key = ? AND state = 'present'",
                          err)))
            return rc;
        sqlite3_bind_int64(st, 1, p->id);
        bind_text(st, 2, now);
        bind_text(st, 3, sbx_rkind_name(r->kind));
        bind_text(st, 4, r->key);
    }
    if (sqlite3_step(st) != SQLITE_DONE)
        return sbx_ledger_sqlite_err(l, "updating a resource", err);
    return 0;
}

int sbx_ledger_op_set(struct sbx_ledger *l, struct sbx_plan *p, struct sbx_plan_op *op,
                      enum sbx_op_state state, const char *error, struct sbx_error *err)
{
    char now[32];
    sbx_time_iso8601(now, sizeof now);
    int rc = begin(l, err);
    if (rc)
        return rc;
    {
        const char *time_col = state == SBX_OP_INTENT                          ? "started_at"
                               : (state == SBX_OP_DONE || state == SBX_OP_FAILED) ? "finished_at"
                               : state == SBX_OP_UNDONE                         ? "undone_at"
                                                                                 : NULL;
        char extra[32] = "", sql[256];
        if (time_col)
            snprintf(extra, sizeof extra, ", %s = ?", time_col);
        snprintf(sql, sizeof sql,
                 "UPDATE plan_ops SET state = ?, error = ?, principal = ?, os_id = ?%s "
                 "WHERE id = ?",
                 extra);
        sbx_autoptr(stmt) sqlite3_stmt *st = NULL;
        if ((rc = prepare(l, &st, sql, err)))
            return fail_txn(l, rc);
        bind_text(st, 1, sbx_op_state_name(state));
        bind_text(st, 2, error);
        bind_text(st, 3, op->res.principal);
        bind_text(st, 4, op->res.os_id);
        int i = 5;
        if (time_col)
            bind_text(st, i++, now);
        sqlite3_bind_int64(st, i, op->id);
        if (sqlite3_step(st) != SQLITE_DONE)
            return fail_txn(l, sbx_ledger_sqlite_err(l, "journaling an operation", err));
    }
    /* The resources table follows the OS: DONE applies the operation,
     * UNDONE applies its inverse. */
    if (state == SBX_OP_DONE || state == SBX_OP_UNDONE) {
        bool present = (op->action == SBX_ACT_CREATE) == (state == SBX_OP_DONE);
        if ((rc = update_resource(l, p, &op->res, present, now, err)))
            return fail_txn(l, rc);
    }
    if ((rc = commit(l, err)))
        return rc;
    op->state = state;
    free(op->error);
    op->error = error ? strdup(error) : NULL;
    return 0;
}

/* --- history ------------------------------------------------------------- */

int sbx_ledger_log(struct sbx_ledger *l, int (*fn)(const struct sbx_log_entry *e, void *ctx),
                   void *ctx, struct sbx_error *err)
{
    sbx_autoptr(stmt) sqlite3_stmt *st = NULL;
    int rc = prepare(l, &st,
                     "SELECT p.id, p.verb, p.state, o.seq, o.action, o.state, o.kind, o.key, "
                     "o.principal, o.started_at, o.finished_at, o.undone_at, o.error "
                     "FROM plan_ops o JOIN plans p ON p.id = o.plan_id ORDER BY p.id, o.seq",
                     err);
    if (rc)
        return rc;
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        struct sbx_log_entry e = {
            .plan_id = sqlite3_column_int64(st, 0),
            .plan_verb = (const char *)sqlite3_column_text(st, 1),
            .plan_state = (const char *)sqlite3_column_text(st, 2),
            .seq = sqlite3_column_int(st, 3),
            .action = (const char *)sqlite3_column_text(st, 4),
            .op_state = (const char *)sqlite3_column_text(st, 5),
            .kind = (const char *)sqlite3_column_text(st, 6),
            .key = (const char *)sqlite3_column_text(st, 7),
            .principal = (const char *)sqlite3_column_text(st, 8),
            .started_at = (const char *)sqlite3_column_text(st, 9),
            .finished_at = (const char *)sqlite3_column_text(st, 10),
            .undone_at = (const char *)sqlite3_column_text(st, 11),
            .error = (const char *)sqlite3_column_text(st, 12),
        };
        if ((rc = fn(&e, ctx)))
            return rc;
    }
    if (s != SQLITE_DONE)
        return sbx_ledger_sqlite_err(l, "reading the log", err);
    return 0;
}
