/* SPDX-License-Identifier: MIT */
/* The ledger's schema history, pkg_upgrade style: a table of steps, each
 * taking version N-1 to N.  Never edit a released step: add a new one, and
 * a fixture ledger of the released version in tests/fixtures. */
#include "state/schema.h"

#include <stdio.h>

struct schema_step {
    int version;
    const char *sql;
};

static const struct schema_step steps[] = {
    {1,
     /* application_id marks the file as an sbx ledger. */
     "PRAGMA application_id = 1396856865;\n" /* 0x53425821, "SBX!" */
     "CREATE TABLE meta(\n"
     "  key TEXT PRIMARY KEY,\n"
     "  value TEXT NOT NULL\n"
     ") WITHOUT ROWID;\n"
     "CREATE TABLE plans(\n"
     "  id INTEGER PRIMARY KEY,\n"
     "  verb TEXT NOT NULL,\n"
     "  mode_from TEXT NOT NULL DEFAULT '',\n"
     "  mode_to TEXT NOT NULL DEFAULT '',\n"
     "  state TEXT NOT NULL CHECK(state IN ('running','committed','rolled_back')),\n"
     "  undoes INTEGER REFERENCES plans(id),\n"
     "  pid INTEGER NOT NULL,\n"
     "  sbx_version TEXT NOT NULL,\n"
     "  started_at TEXT NOT NULL,\n"
     "  finished_at TEXT,\n"
     "  error TEXT\n"
     ");\n"
     /* The journal: each operation of a plan with the full description of
      * its resource, so it can be redone or undone without anything else. */
     "CREATE TABLE plan_ops(\n"
     "  id INTEGER PRIMARY KEY,\n"
     "  plan_id INTEGER NOT NULL REFERENCES plans(id),\n"
     "  seq INTEGER NOT NULL,\n"
     "  action TEXT NOT NULL CHECK(action IN ('create','delete')),\n"
     "  state TEXT NOT NULL CHECK(state IN\n"
     "    ('planned','intent','done','failed','undoing','undone')),\n"
     "  kind TEXT NOT NULL,\n"
     "  key TEXT NOT NULL,\n"
     "  name TEXT, principal TEXT, path TEXT, detail TEXT, os_id TEXT, mode TEXT,\n"
     "  started_at TEXT, finished_at TEXT, undone_at TEXT,\n"
     "  error TEXT,\n"
     "  UNIQUE(plan_id, seq)\n"
     ");\n"
     "CREATE TABLE resources(\n"
     "  id INTEGER PRIMARY KEY,\n"
     "  kind TEXT NOT NULL,\n"
     "  key TEXT NOT NULL,\n"
     "  name TEXT, principal TEXT, path TEXT, detail TEXT, os_id TEXT, mode TEXT,\n"
     "  state TEXT NOT NULL CHECK(state IN ('present','absent')),\n"
     "  created_plan INTEGER REFERENCES plans(id),\n"
     "  removed_plan INTEGER REFERENCES plans(id),\n"
     "  created_at TEXT NOT NULL,\n"
     "  removed_at TEXT\n"
     ");\n"
     "CREATE UNIQUE INDEX resources_present ON resources(kind, key) WHERE state = 'present';\n"
     /* Registered workspaces are resources too (kind 'workspace'); the view
      * names them without a second copy of the truth. */
     "CREATE VIEW workspaces AS\n"
     "  SELECT id, path, principal AS owner, created_at AS added_at, created_plan\n"
     "  FROM resources WHERE kind = 'workspace' AND state = 'present';\n"},
};

int sbx_schema_upgrade(struct sbx_ledger *l, struct sbx_error *err)
{
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        int rc = sbx_ledger_exec(l, "BEGIN IMMEDIATE", err);
        if (rc)
            return rc;
        sqlite3_stmt *st = NULL;
        int current = -1;
        if (sqlite3_prepare_v2(l->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            current = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        if (current < 0) {
            rc = sbx_ledger_sqlite_err(l, "reading the schema version", err);
            goto rollback;
        }
        /* Re-read inside the transaction: another process may have
         * upgraded the ledger meanwhile. */
        if (current >= steps[i].version) {
            sbx_ledger_exec(l, "COMMIT", err);
            continue;
        }
        if (current != steps[i].version - 1) {
            rc = sbx_err_set(err, SBX_ECORRUPT, "ledger %s: schema version %d has no upgrade path",
                             l->path, current);
            goto rollback;
        }
        if ((rc = sbx_ledger_exec(l, steps[i].sql, err)))
            goto rollback;
        char bump[64];
        snprintf(bump, sizeof bump, "PRAGMA user_version = %d", steps[i].version);
        if ((rc = sbx_ledger_exec(l, bump, err)) || (rc = sbx_ledger_exec(l, "COMMIT", err)))
            goto rollback;
        continue;
    rollback:
        sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
        return sbx_err_wrap(err, "upgrading the ledger schema to version %d", steps[i].version);
    }
    return 0;
}
