/* SPDX-License-Identifier: MIT */
/* The search for files tools run (plants.h), kept between runs.
 *
 * A full search reads every directory of the workspace: some 30 ms for
 * 100,000 files in 1,100 directories, 110 ms in 10,000 (2 cores, warm
 * cache).  The record of the last one is kept in a file of the user's
 * state directory (when it exists: a run makes none, so that a run with
 * no setup leaves nothing behind), named after the workspace's device and
 * inode; the next
 * run stats each directory of the record (no read), and searches in full
 * only when one of them changed (its ctime moved: an entry added, removed
 * or renamed in it, a chmod, a mount) or the options differ.  The command
 * can't write the file (the state directory is never inside a workspace,
 * and the view is read-only elsewhere), and can't set a ctime back; a
 * record that a change raced (a directory whose ctime is not older than
 * the search) is not kept. */
#ifndef SBX_MODES_CONFINE_LINUX_PLANTS_CACHE_H
#define SBX_MODES_CONFINE_LINUX_PLANTS_CACHE_H

#include <stdbool.h>
#include <sys/types.h>

#include "modes/confine/linux/plants.h"
#include "util/error.h"

/* sbx_plants_scan of the workspace open on wsfd, through the record kept
 * in cache_dir (made 0700 if missing, in a directory that must exist;
 * NULL: no cache).  *cached says
 * whether the record served.  A cache that can't be read or written is
 * searched past, never an error: the result is the same. */
int sbx_plants_search(int wsfd, const char *cache_dir, const struct sbx_plants_opts *o,
                      struct sbx_plants *out, bool *cached, struct sbx_error *err);

/* The same from the record directory open on cache_dirfd (-1: no cache),
 * whose files must be owner's alone: the setuid launcher's way, acting as
 * its caller (owner) with the caller's file-system identity, so that the
 * records it reads and writes are the caller's own. */
int sbx_plants_search_at(int wsfd, int cache_dirfd, uid_t owner, const struct sbx_plants_opts *o,
                         struct sbx_plants *out, bool *cached, struct sbx_error *err);

/* Where the records of a user whose home (from the password database) is
 * home are kept for the elevated mode: HOME/.local/state/sbx/plants, the
 * default state directory's, which sbx makes for the elevated runs and
 * the launcher finds without anything from the caller's environment.
 * 0, or -1 when it doesn't fit. */
int sbx_plants_records_path(const char *home, char *out, size_t len);

/* The records directory path (absolute), opened (O_PATH) without a
 * symlink on the way, when it is owner's, no one else can write it, and it
 * lies in none of the n_ws directories ws (the workspaces: the sandbox
 * writes there); else -1.  Run with owner's file-system identity. */
struct stat;
int sbx_plants_records_open(const char *path, uid_t owner, const struct stat *ws, size_t n_ws);

/* Remove the records in cache_dir (files named as sbx names them, and
 * their temporary copies; nothing else) and the directory when that
 * leaves it empty: for `sbx cleanup`.  A missing directory is fine. */
int sbx_plants_cache_clear(const char *cache_dir, struct sbx_error *err);

/* The record as text (for the file; exposed for the tests).  Returns a
 * malloc'ed string, or NULL when out of memory. */
char *sbx_plants_record_format(const struct sbx_plants_opts *o, const struct sbx_plants *p);

/* Parse text made by sbx_plants_record_format into rec (its record and
 * gaps), if it was made with the same options o: 0, or -1 (rec empty). */
int sbx_plants_record_parse(const char *text, const struct sbx_plants_opts *o,
                            struct sbx_plants *rec);

#endif
