/* SPDX-License-Identifier: MIT */
/* Placeholders: what stops the command from creating, at a workspace's
 * root, a name of the deny list (plants.h) that is absent there, or `.git`
 * when the workspace lies inside a repository.  A bind needs an existing
 * name, so before the run sbx makes an empty directory (mode 0700) at each
 * such name, with mkdirat from the workspace's descriptor; the search for
 * files tools run then finds it like any existing one and the run's mount
 * view binds it read-only (both modes).  In the sandbox, making the name
 * fails (EEXIST; EISDIR for open(O_CREAT); EROFS for anything inside or
 * for its times), and so do removing or renaming it (a mount point:
 * EBUSY).
 *
 * Directories for every name, the files' too: git shows an empty file as
 * untracked and `git add -A` commits it (the command's git, with
 * --allow-git, or the user's during the run), while it passes over an
 * empty directory; a tool that reads `.envrc` or `.mcp.json` during the
 * run meets "Is a directory" and runs nothing.  An empty `.git` directory
 * is not a repository to git (no HEAD, objects, refs): its discovery goes
 * on to the enclosing repository, so git keeps working in that folder
 * during the run, the user's and the command's.
 *
 * After the run the placeholders that are still exactly sbx's (the inode
 * it made, still an empty directory) are removed -- but only by the last
 * run on the workspace: since Linux 3.18, removing a name that is a mount
 * point in another mount namespace succeeds and detaches that mount there,
 * so run 1 removing a placeholder would reopen the hole in a concurrent
 * run 2.  Each workspace has a lock file in sbx's records directory (in
 * the caller's state directory, which no sandbox can write): each run
 * holds a shared lock on byte 0 for its lifetime (taken also when it
 * places nothing: what it binds may be another run's placeholders); the
 * placeholders and their record change only under an exclusive lock on
 * byte 1; and they are removed only by a run that can turn its shared
 * lock on byte 0 into an exclusive one (open file description locks: the
 * conversion is atomic).
 *
 * The record of each workspace's placeholders is written (and synced)
 * before they are made, so a crash (kill -9, a power cut) leaves only
 * placeholders sbx knows about: the next run on the workspace, or `sbx
 * cleanup` (sbx_placeholders_clear), removes them.  Deeper folders get no
 * placeholder (creating `sub/.envrc` where there is none stays possible);
 * the README's threat model says so. */
#ifndef SBX_MODES_CONFINE_LINUX_PLACEHOLDERS_H
#define SBX_MODES_CONFINE_LINUX_PLACEHOLDERS_H

#include <stdbool.h>
#include <sys/types.h>

#include "util/error.h"

struct sbx_placeholders;

/* The name of bit i of an sbx_plants_root_absent() mask (plants.h); NULL
 * past the list. */
const char *sbx_placeholder_name(unsigned bit);

/* Lock the workspace open on wsfd (o->root: its canonical path) for the
 * run, in records_dir (made 0700 with its parents if missing; what the
 * call made is removed again when it is empty at the end), then make a
 * placeholder at each name sbx_plants_root_absent(wsfd, o) gives, under
 * the lock.  On success *out holds the run's shared lock until
 * sbx_placeholders_end (NULL without records_dir).  *unplaced: the names
 * absent and not placed (no records directory, a name the command or the
 * user made meanwhile, an error), for the caller to look at after the run,
 * as before.  When the records can't be kept (no home to make the
 * records directory in, one that isn't the caller's alone, a record that
 * can't be written) nothing is made: *unplaced is everything absent, and
 * note says why once; only running out of memory is an error.
 * Every run on a workspace takes the lock, also one that places nothing:
 * the placeholders it finds and binds are another run's. */
struct sbx_plants_opts;
int sbx_placeholders_begin(int wsfd, const char *records_dir, const struct sbx_plants_opts *o,
                           struct sbx_placeholders **out, unsigned long *unplaced,
                           void (*note)(const char *text, void *ctx), void *ctx);

/* After the run (the run's mount namespace gone): when no other run holds
 * the workspace, remove its placeholders that are still sbx's and empty,
 * and the record; then release the lock.  What could not be removed stays
 * recorded, and a note says so.  p may be NULL. */
void sbx_placeholders_end(struct sbx_placeholders *p,
                          void (*note)(const char *text, void *ctx), void *ctx);

/* `sbx cleanup`: for each record in records_dir whose workspace no run
 * holds, remove its placeholders as sbx_placeholders_end does (the
 * workspace found by its recorded path, and only if it is still the same
 * directory), then the record, its lock and the directory when empty.
 * dry_run: say what would go (note), change nothing.  *n_left: records
 * kept (a run holds them, or removal failed).  A missing directory is
 * fine. */
int sbx_placeholders_clear(const char *records_dir, bool dry_run,
                           void (*note)(const char *text, void *ctx), void *ctx,
                           size_t *n_left, struct sbx_error *err);

/* The record's text and its parser, exposed for the tests and the fuzz
 * target.  An entry is one placeholder: its name (one of the list), and
 * the inode sbx made (ino 0: written before the make, not known yet). */
struct sbx_placeholder_entry {
    unsigned bit;               /* of the absent mask */
    unsigned long long dev, ino;
};
#define SBX_PLACEHOLDERS_MAX 32
struct sbx_placeholder_record {
    char root[4096];
    struct sbx_placeholder_entry e[SBX_PLACEHOLDERS_MAX];
    size_t n;
};
/* Text of rec into buf: its length, or -1 when it does not fit (or the
 * root path holds a newline). */
int sbx_placeholder_record_format(const struct sbx_placeholder_record *rec, char *buf,
                                  size_t len);
/* 0, or -1 for text that is not a record sbx wrote (rec then empty). */
int sbx_placeholder_record_parse(const char *text, size_t len,
                                 struct sbx_placeholder_record *rec);

#endif
