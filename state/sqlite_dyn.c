/* SPDX-License-Identifier: MIT */
/* The SQLite functions sbx calls, as stubs over the library mapped on
 * first use (util/dynlib.h).  A function used anywhere in sbx (tests
 * included) must be listed here: the link fails otherwise, sbx links no
 * SQLite of its own. */
#include "state/sqlite_dyn.h"

#include <sqlite3.h>

#include "util/dynlib.h"

#define SQLITE_FUNCS(F, V)                                                                \
    F(int, sqlite3_bind_int, (sqlite3_stmt * s, int i, int v), (s, i, v))                 \
    F(int, sqlite3_bind_int64, (sqlite3_stmt * s, int i, sqlite3_int64 v), (s, i, v))     \
    F(int, sqlite3_bind_null, (sqlite3_stmt * s, int i), (s, i))                          \
    F(int, sqlite3_bind_text,                                                             \
      (sqlite3_stmt * s, int i, const char *v, int n, void (*d)(void *)), (s, i, v, n, d)) \
    F(int, sqlite3_busy_timeout, (sqlite3 * db, int ms), (db, ms))                        \
    F(int, sqlite3_close, (sqlite3 * db), (db))                                           \
    F(int, sqlite3_column_int, (sqlite3_stmt * s, int i), (s, i))                         \
    F(sqlite3_int64, sqlite3_column_int64, (sqlite3_stmt * s, int i), (s, i))             \
    F(const unsigned char *, sqlite3_column_text, (sqlite3_stmt * s, int i), (s, i))      \
    F(int, sqlite3_errcode, (sqlite3 * db), (db))                                         \
    F(const char *, sqlite3_errmsg, (sqlite3 * db), (db))                                 \
    F(int, sqlite3_exec,                                                                  \
      (sqlite3 * db, const char *sql, int (*cb)(void *, int, char **, char **), void *a,   \
       char **e),                                                                         \
      (db, sql, cb, a, e))                                                                \
    F(int, sqlite3_finalize, (sqlite3_stmt * s), (s))                                     \
    V(sqlite3_free, (void *p), (p))                                                       \
    F(sqlite3_int64, sqlite3_last_insert_rowid, (sqlite3 * db), (db))                     \
    F(int, sqlite3_open, (const char *path, sqlite3 **db), (path, db))                    \
    F(int, sqlite3_open_v2, (const char *path, sqlite3 **db, int flags, const char *vfs), \
      (path, db, flags, vfs))                                                             \
    F(int, sqlite3_prepare_v2,                                                            \
      (sqlite3 * db, const char *sql, int n, sqlite3_stmt **s, const char **tail),         \
      (db, sql, n, s, tail))                                                              \
    F(int, sqlite3_step, (sqlite3_stmt * s), (s))

SBX_DYNLIB_DEFINE(SQLITE_FUNCS, SBX_SQLITE_SONAME, sbx_sqlite_load)
