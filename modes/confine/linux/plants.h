/* SPDX-License-Identifier: MIT */
/* "Plants": files inside a writable workspace that the user's own tools
 * execute, or read as configuration that runs code, when the user opens
 * the workspace after the run -- a git repository's control files, direnv's
 * .envrc, editor and agent configuration, shell rc files.  A command that
 * writes one of them runs code outside the sandbox later, as the user.
 *
 * sbx_plants_scan finds the ones that exist, at any depth of a workspace,
 * so that both modes bind them read-only in the run's mount view:
 *   - every `.git` directory (the workspace's own and nested repositories'),
 *     wholly: its config, hooks, info, but also a `commondir` file the
 *     command could otherwise create in it and point at a directory of its
 *     own (git reads the config of the directory commondir names), so
 *     objects and refs of a nested repository are read-only too, as the
 *     workspace's own are (--allow-git lifts all of it);
 *   - every `.git` file ("gitdir: PATH", worktrees and submodules) and the
 *     directory it names when that lies in the workspace; a `.git` symlink's
 *     target likewise;
 *   - each name of the deny list (file or directory, wholly), unless the
 *     caller took it off (`sbx run --allow-write-name NAME`).
 *
 * The scan is fd-relative only: each directory is opened from its parent's
 * descriptor with O_NOFOLLOW, a symlink is never followed (one with a
 * protected name is resolved beneath the workspace, never out of it), it
 * stays on the workspace's device, and it is bounded (depth, entries
 * examined, entries protected): a bound hit is reported, never silent.
 * It does not go into what it protects (a `.git` holds the objects).
 *
 * What it can't do: a name that does not exist yet can't be bound (the
 * command may create `.envrc` or `sub/.git` where there is none), and a
 * directory on the way to a protected entry can be renamed away and
 * rebuilt (`mv sub sub.old && mkdir sub && ...`): that makes a repository
 * or a configuration the command created, which the README's threat model
 * lists as the residual risk. */
#ifndef SBX_MODES_CONFINE_LINUX_PLANTS_H
#define SBX_MODES_CONFINE_LINUX_PLANTS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

/* Bounds of one scan. */
#define SBX_PLANTS_MAX_DEPTH 64         /* directory levels beneath the root */
#define SBX_PLANTS_MAX_VISIT 2000000    /* directory entries examined */
#define SBX_PLANTS_MAX_FOUND 256        /* entries protected (each is a mount and an fd) */

/* The deny list: names protected wherever they are (not `.git`, which is
 * the git rule).  NULL-terminated. */
extern const char *const sbx_plants_names[];

/* True when name is on the deny list (what --allow-write-name accepts). */
bool sbx_plants_name_listed(const char *name);

struct sbx_plants_opts {
    const char *root;                /* the workspace's canonical path (messages, and
                                      * to place an absolute gitdir: inside it) */
    bool allow_git;                  /* --allow-git: `.git` is not protected */
    const char *const *allow_names;  /* --allow-write-name: taken off the deny list */
    size_t n_allow_names;
    size_t max_found;                /* 0: SBX_PLANTS_MAX_FOUND */
    bool record;                     /* fill the record (sbx_plants.dirs, .hits) */
};

/* One entry to keep read-only. */
struct sbx_plant {
    char *rel;     /* relative to the workspace root ("sub/.git", ".envrc") */
    int fd;        /* O_PATH on it, opened without following a symlink */
    dev_t dev;     /* what fd is open on */
    ino_t ino;
    bool dir;
};

enum sbx_plants_gap {
    SBX_PLANTS_OVER_FOUND,   /* more than max_found entries */
    SBX_PLANTS_OVER_DEPTH,   /* deeper than SBX_PLANTS_MAX_DEPTH (or PATH_MAX) */
    SBX_PLANTS_OVER_VISIT,   /* more than SBX_PLANTS_MAX_VISIT entries */
    SBX_PLANTS_OTHER_DEVICE, /* a mount inside the workspace */
    SBX_PLANTS_UNREADABLE,   /* a directory the caller can't read */
    SBX_PLANTS_DANGLING,     /* a "gitdir:" or symlink naming nothing (yet) */
    SBX_PLANTS_N_GAPS
};

/* What a recorded search saw, enough to tell later, by one stat a
 * directory, that another search would find the same (plants_cache.h):
 * every directory it read or passed over as unreadable, with its inode
 * and ctime (any entry added, removed or renamed in it, or a chmod of it,
 * moves its ctime, which no one but the clock's owner can set back), and
 * every entry with a protected name it met (its target or content is
 * looked at again each time). */
struct sbx_plants_dir {
    char *rel;               /* "" for the root */
    unsigned long long dev, ino;
    long long ctime_sec;
    long ctime_nsec;
};
struct sbx_plants_hit {
    char *rel;
    unsigned char type;      /* DT_DIR, DT_REG, DT_LNK, DT_UNKNOWN */
};

struct sbx_plants {
    struct sbx_plant *v;
    size_t n, cap;
    /* The record (sbx_plants_opts.record). */
    struct sbx_plants_dir *dirs;
    size_t n_dirs, cap_dirs;
    struct sbx_plants_hit *hits;
    size_t n_hits, cap_hits;
    bool racy;               /* a directory changed during the search: don't keep it */
    unsigned long visited;   /* directory entries examined */
    /* Bounds and gaps met, each with the first place it was met at: one
     * note each (sbx_plants_notes). */
    bool gap[SBX_PLANTS_N_GAPS];
    char gap_at[SBX_PLANTS_N_GAPS][160];
};

/* Scan the workspace open on wsfd (any fd on the directory; O_PATH is
 * fine).  0, or a negative SBX_E* code with err naming the object (a
 * directory the caller can't read is a note, not an error).  The result
 * is out's to free with sbx_plants_free (which closes the fds). */
int sbx_plants_scan(int wsfd, const struct sbx_plants_opts *o, struct sbx_plants *out,
                    struct sbx_error *err);

void sbx_plants_free(struct sbx_plants *p);

/* Search again from a record (rec, of a recorded search of this workspace
 * with the same options): every directory of the record is stat'ed
 * (without following a symlink, parents first) and must be the same
 * directory with the same ctime, then each hit is looked at again (a
 * `.git` file read, a symlink resolved).  *same = false, and out empty,
 * when anything differs: the caller searches in full.  The gaps of the
 * record are out's too. */
int sbx_plants_replay(int wsfd, const struct sbx_plants_opts *o,
                      const struct sbx_plants *rec, struct sbx_plants *out, bool *same,
                      struct sbx_error *err);

/* What the command could plant at the workspace's root, where nothing can
 * be bound yet: bit i for sbx_plants_names[i] absent there (and not
 * allowed), SBX_PLANTS_ROOT_GIT for `.git` absent while the workspace lies
 * inside a repository (a `.git` found walking up, without following
 * symlinks: git would find that one, and the planted one first). */
#define SBX_PLANTS_ROOT_GIT (1ul << 31)
unsigned long sbx_plants_root_absent(int wsfd, const struct sbx_plants_opts *o);

/* Walk up from the directory open on fd (itself first when self, else
 * its parent) to "/" by "..", never by a name: 1 when match(dirfd, ctx)
 * holds for one of them, 0 at "/" without, -1 when the walk failed (an
 * unreadable parent, more than 4096 levels). */
int sbx_walk_up(int fd, bool self, bool (*match)(int dirfd, void *ctx), void *ctx);

/* After the run: those of `absent` that exist now, one note each (the
 * command made them; the user's tools would run them). */
void sbx_plants_root_check(int wsfd, unsigned long absent, const char *root,
                           void (*add)(const char *note, void *ctx), void *ctx);

/* After the run: whether path (absolute) still leads, without a symlink,
 * to the object (dev, ino) that was kept read-only.  The bind keeps that
 * object's own name, but a folder on the way can be moved and rebuilt
 * (see the top of this file): what stands at the path then is the
 * command's, and the user is told (sbx_plants_moved_note, one sentence). */
bool sbx_plants_still_kept(const char *path, dev_t dev, ino_t ino);
void sbx_plants_moved_note(char *buf, size_t len, const char *path);

/* One sentence per bound hit or gap, for the run's notes. */
void sbx_plants_notes(const struct sbx_plants *p, const char *root,
                      void (*add)(const char *note, void *ctx), void *ctx);

#endif
