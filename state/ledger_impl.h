/* SPDX-License-Identifier: MIT */
/* Internals shared by the ledger's translation units (not for other
 * modules: they use state/ledger.h).  Deliberately does not include
 * ledger.h, so that the two stay separate units without a cycle. */
#ifndef SBX_STATE_LEDGER_IMPL_H
#define SBX_STATE_LEDGER_IMPL_H

#include <sqlite3.h>

#include "util/cleanup.h"
#include "util/error.h"
#include "util/platform.h"

/* sbx_autoptr(stmt) sqlite3_stmt *st: finalized on every way out of the
 * query's scope. */
SBX_DEFINE_AUTOPTR(stmt, sqlite3_stmt *, sqlite3_finalize)

struct sbx_ledger {
    sqlite3 *db;
    char *path; /* the ledger file */
    char *dir;  /* its state directory */
    int schema_version;
    struct sbx_lock *lock; /* the plan lock, when held */
};

int sbx_ledger_exec(struct sbx_ledger *l, const char *sql, struct sbx_error *err);
/* Fill err from the connection's last error; returns the negative code. */
int sbx_ledger_sqlite_err(struct sbx_ledger *l, const char *what, struct sbx_error *err);

#endif
