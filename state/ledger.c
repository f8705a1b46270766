/* SPDX-License-Identifier: MIT */
/* Opening the ledger: refusing what isn't one, creating it atomically,
 * upgrading older schemas step by step. */
#include "state/ledger.h"
#include "state/ledger_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "state/schema.h"
#include "util/cleanup.h"
#include "util/limits.h"
#include "util/platform.h"

#ifdef _WIN32
#include <windows.h>
#else
#include <unistd.h>

#include "state/sqlite_dyn.h"
#endif

static const unsigned char sqlite_magic[16] = "SQLite format 3";

/* Looks at the raw file before SQLite does: SQLite would happily treat an
 * empty file as a fresh database and would only notice some damage late. */
static int check_file(const char *path, struct sbx_error *err)
{
    sbx_autoclose_file FILE *f = fopen(path, "rb");
    if (!f)
        return sbx_err_set(err, SBX_EIO, "cannot read the ledger %s", path);
    unsigned char head[100];
    size_t n = fread(head, 1, sizeof head, f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    if (n < sizeof head || memcmp(head, sqlite_magic, sizeof sqlite_magic) != 0)
        return sbx_err_set(err, SBX_ECORRUPT,
                           "%s is not an sbx ledger (not an SQLite database%s); move it away or "
                           "pass --state with another directory",
                           path, n == 0 ? ": the file is empty" : "");
    /* The header says how many pages the file should hold: a shorter file
     * was truncated. */
    unsigned page_size = (unsigned)head[16] << 8 | head[17];
    if (page_size == 1)
        page_size = 65536;
    unsigned long pages = (unsigned long)head[28] << 24 | (unsigned long)head[29] << 16 |
                          (unsigned long)head[30] << 8 | head[31];
    if (page_size < 512 || (size >= 0 && pages > 0 && (unsigned long)size < pages * page_size))
        return sbx_err_set(err, SBX_ECORRUPT,
                           "the ledger %s is truncated or damaged (%ld bytes, header says %lu "
                           "pages of %u); restore it from a backup or move it away",
                           path, size, pages, page_size);
    return 0;
}

int sbx_ledger_exec(struct sbx_ledger *l, const char *sql, struct sbx_error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(l->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        int rc = sbx_err_set(err, SBX_EIO, "ledger %s: %s", l->path, msg ? msg : "error");
        sqlite3_free(msg);
        return rc;
    }
    return 0;
}

int sbx_ledger_sqlite_err(struct sbx_ledger *l, const char *what, struct sbx_error *err)
{
    int code = sqlite3_errcode(l->db);
    int ecode = (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) ? SBX_ECORRUPT
                : (code == SQLITE_BUSY || code == SQLITE_LOCKED)  ? SBX_ELOCKED
                                                                    : SBX_EIO;
    return sbx_err_set(err, ecode, "ledger %s: %s: %s", l->path, what, sqlite3_errmsg(l->db));
}

static int pragma_int(struct sbx_ledger *l, const char *sql, int *out, struct sbx_error *err)
{
    sbx_autoptr(stmt) sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(l->db, sql, -1, &st, NULL) != SQLITE_OK)
        return sbx_ledger_sqlite_err(l, sql, err);
    if (sqlite3_step(st) != SQLITE_ROW)
        return sbx_ledger_sqlite_err(l, sql, err);
    *out = sqlite3_column_int(st, 0);
    return 0;
}

static int check_integrity(struct sbx_ledger *l, struct sbx_error *err)
{
    sbx_autoptr(stmt) sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(l->db, "PRAGMA quick_check", -1, &st, NULL) != SQLITE_OK)
        return sbx_err_set(err, SBX_ECORRUPT,
                           "the ledger %s is damaged (%s); restore it from a backup or move it "
                           "away",
                           l->path, sqlite3_errmsg(l->db));
    int rc = sqlite3_step(st);
    const char *res = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
    if (!res || strcmp(res, "ok") != 0)
        return sbx_err_set(err, SBX_ECORRUPT,
                           "the ledger %s is damaged (%s); restore it from a backup or move it "
                           "away",
                           l->path, res ? res : sqlite3_errmsg(l->db));
    return 0;
}

static int configure(struct sbx_ledger *l, bool readonly, struct sbx_error *err)
{
    sqlite3_busy_timeout(l->db, 10000);
    int rc;
    if (!readonly && (rc = sbx_ledger_exec(l, "PRAGMA journal_mode=WAL", err)))
        return rc;
    if ((rc = sbx_ledger_exec(l, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON", err)))
        return rc;
    return 0;
}

/* A new ledger is built under a temporary name and renamed into place, so
 * a crash never leaves a half-made ledger at the real path. */
static int create_new(const char *dir, const char *path, const char *created_root,
                      struct sbx_error *err)
{
    char tmp[SBX_PATH_EXTRA_MAX];
    if (snprintf(tmp, sizeof tmp, "%s%cledger.db.new-%ld", dir, SBX_PATH_SEP,
                 sbx_proc_self_id()) >= (int)sizeof tmp)
        return sbx_err_set(err, SBX_EINVAL, "state directory path too long: %s", dir);
    remove(tmp);
    struct sbx_ledger l = {.path = tmp};
#ifndef _WIN32
    int lrc = sbx_sqlite_load(err);
    if (lrc)
        return lrc;
    mode_t old_umask = umask(077);
#endif
    int src = sqlite3_open_v2(tmp, &l.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
#ifndef _WIN32
    umask(old_umask);
#endif
    int rc = 0;
    if (src != SQLITE_OK) {
        rc = sbx_err_set(err, SBX_EIO, "cannot create the ledger %s: %s", tmp,
                         l.db ? sqlite3_errmsg(l.db) : "out of memory");
        goto out;
    }
    if ((rc = configure(&l, false, err)) || (rc = sbx_schema_upgrade(&l, err)))
        goto out;
    /* Cleanup removes the directories sbx made for its state, and only
     * those: remember the outermost one. */
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(l.db, "INSERT INTO meta(key, value) VALUES('created_dir', ?)", -1, &st,
                           NULL) != SQLITE_OK) {
        rc = sbx_ledger_sqlite_err(&l, "recording the state directory", err);
        goto out;
    }
    sqlite3_bind_text(st, 1, created_root, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = sbx_ledger_sqlite_err(&l, "recording the state directory", err);
    sqlite3_finalize(st);
out:
    if (l.db)
        sqlite3_close(l.db);
    if (rc == 0 && (rc = sbx_fs_make_private(tmp, err)) == 0) {
#ifdef _WIN32
        if (MoveFileExA(tmp, path, MOVEFILE_REPLACE_EXISTING) == 0)
#else
        if (rename(tmp, path) != 0)
#endif
            rc = sbx_err_set(err, SBX_EIO, "cannot move the new ledger into place at %s", path);
    }
    if (rc) {
        remove(tmp);
        /* SQLite's side files, named by suffix.  They fit (the state
         * directory is shorter than SBX_PATH_MAX, and all sbx appends to it
         * stays within SBX_PATH_EXTRA_MAX); a truncated name would remove
         * another file, so it is never used. */
        static const char *const sides[] = {"-wal", "-shm"};
        for (size_t i = 0; i < sizeof sides / sizeof sides[0]; i++) {
            char side[SBX_PATH_EXTRA_MAX];
            if (snprintf(side, sizeof side, "%s%s", tmp, sides[i]) < (int)sizeof side)
                remove(side);
        }
    }
    return rc;
}

int sbx_ledger_open(const char *dir, unsigned flags, struct sbx_ledger **out,
                    struct sbx_error *err)
{
    *out = NULL;
    bool readonly = flags & SBX_LEDGER_READONLY;
    /* dir shorter than SBX_PATH_MAX: then it, and every name sbx makes in
     * it below, fits its buffer. */
    char path[SBX_PATH_EXTRA_MAX];
    if (strlen(dir) >= SBX_PATH_MAX ||
        snprintf(path, sizeof path, "%s%cledger.db", dir, SBX_PATH_SEP) >= (int)sizeof path)
        return sbx_err_set(err, SBX_EINVAL, "state directory path too long: %s", dir);

    if (!sbx_fs_exists(path)) {
        if (!(flags & SBX_LEDGER_CREATE))
            return sbx_err_set(err, SBX_ENOENT, "no ledger at %s (nothing set up yet)", path);
        if (sbx_fs_exists(dir) && !sbx_fs_is_dir(dir))
            return sbx_err_set(err, SBX_EINVAL, "state directory %s exists and is not a directory",
                               dir);
        /* The outermost directory this call creates (or "" if dir exists). */
        char created_root[SBX_PATH_MAX] = "", cur[SBX_PATH_MAX], parent[SBX_PATH_MAX];
        snprintf(cur, sizeof cur, "%s", dir);
        while (!sbx_fs_exists(cur)) {
            snprintf(created_root, sizeof created_root, "%s", cur);
            if (sbx_fs_dirname(cur, parent, sizeof parent, NULL) || strcmp(parent, cur) == 0)
                break;
            snprintf(cur, sizeof cur, "%s", parent);
        }
        int rc = sbx_fs_mkdir_private(dir, err);
        if (rc)
            return sbx_err_wrap(err, "cannot create the state directory %s", dir);
        /* Two processes may create it at once: the second rename replaces
         * an identical empty ledger, which is harmless only while nobody
         * wrote to it; so re-check under the plan lock instead. */
        struct sbx_lock *lock = NULL;
        char lockpath[SBX_PATH_EXTRA_MAX];
        snprintf(lockpath, sizeof lockpath, "%s%cplan.lock", dir, SBX_PATH_SEP);
        if ((rc = sbx_lock_acquire(lockpath, 30000, &lock, err)))
            return rc;
        if (!sbx_fs_exists(path))
            rc = create_new(dir, path, created_root, err);
        sbx_lock_release(lock);
        if (rc)
            return rc;
    }

    int rc = check_file(path, err);
    if (rc)
        return rc;

    struct sbx_ledger *l = calloc(1, sizeof *l);
    if (!l || !(l->path = strdup(path)) || !(l->dir = strdup(dir))) {
        sbx_ledger_close(l);
        return sbx_err_set(err, SBX_ENOMEM, "out of memory");
    }
    int oflags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
#ifndef _WIN32
    if ((rc = sbx_sqlite_load(err))) {
        sbx_ledger_close(l);
        return rc;
    }
#endif
    if (sqlite3_open_v2(path, &l->db, oflags, NULL) != SQLITE_OK) {
        rc = sbx_err_set(err, SBX_EIO, "cannot open the ledger %s: %s", path,
                         l->db ? sqlite3_errmsg(l->db) : "out of memory");
        sbx_ledger_close(l);
        return rc;
    }
    /* Look before touching: switching to WAL rewrites the header, so the
     * checks run first and a refused file stays byte for byte as it was. */
    sqlite3_busy_timeout(l->db, 10000);
    /* A full page check before anything writes; readers (sbx run, status)
     * skip it to stay cheap, and SQLite still reports damage it meets. */
    if (!readonly && (rc = check_integrity(l, err)))
        goto fail;

    int appid = 0, version = 0;
    if ((rc = pragma_int(l, "PRAGMA application_id", &appid, err)) ||
        (rc = pragma_int(l, "PRAGMA user_version", &version, err)))
        goto fail;
    if (appid != SBX_LEDGER_APPLICATION_ID) {
        rc = sbx_err_set(err, SBX_ECORRUPT,
                         "%s is an SQLite database but not an sbx ledger; move it away or pass "
                         "--state with another directory",
                         path);
        goto fail;
    }
    if (version > SBX_SCHEMA_VERSION) {
        rc = sbx_err_set(err, SBX_ENEWER,
                         "the ledger %s has schema version %d, newer than this sbx understands "
                         "(%d); use the sbx that wrote it, or a newer one",
                         path, version, SBX_SCHEMA_VERSION);
        goto fail;
    }
    if ((rc = configure(l, readonly, err)))
        goto fail;
    if (version < SBX_SCHEMA_VERSION) {
        if (readonly) {
            rc = sbx_err_set(err, SBX_ESTATE,
                             "the ledger %s has the older schema %d and is opened read-only; run "
                             "an sbx command that may write it (e.g. sbx doctor) to upgrade it",
                             path, version);
            goto fail;
        }
        if ((rc = sbx_schema_upgrade(l, err)))
            goto fail;
        version = SBX_SCHEMA_VERSION;
    }
    l->schema_version = version;
    *out = l;
    return 0;
fail:
    sbx_ledger_close(l);
    return rc;
}

void sbx_ledger_close(struct sbx_ledger *l)
{
    if (!l)
        return;
    if (l->db)
        sqlite3_close(l->db);
    sbx_lock_release(l->lock);
    free(l->path);
    free(l->dir);
    free(l);
}

const char *sbx_ledger_path(const struct sbx_ledger *l)
{
    return l->path;
}

const char *sbx_ledger_dir(const struct sbx_ledger *l)
{
    return l->dir;
}

int sbx_ledger_schema_version(const struct sbx_ledger *l)
{
    return l->schema_version;
}

int sbx_ledger_lock(struct sbx_ledger *l, unsigned wait_ms, struct sbx_error *err)
{
    if (l->lock)
        return 0;
    char lockpath[SBX_PATH_EXTRA_MAX];
    if (snprintf(lockpath, sizeof lockpath, "%s%cplan.lock", l->dir, SBX_PATH_SEP) >=
        (int)sizeof lockpath)
        return sbx_err_set(err, SBX_EINVAL, "state directory path too long: %s", l->dir);
    return sbx_lock_acquire(lockpath, wait_ms, &l->lock, err);
}

void sbx_ledger_unlock(struct sbx_ledger *l)
{
    sbx_lock_release(l->lock);
    l->lock = NULL;
}
