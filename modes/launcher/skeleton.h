/* SPDX-License-Identifier: MIT */
/* The home skeleton of the launcher's mount namespace (issue 12 item 14).
 *
 * The sandbox account must reach each workspace at its real path, and
 * nothing else of the homes: not the member's other files (a 0644
 * ~/.npmrc in a 0700 home), not other users' homes.  sbx used to grant the
 * accounts traverse (u:ACCOUNT:--x) on every ancestor of a workspace,
 * which opened the whole home to them.  Instead, in the run's private
 * mount namespace, an empty tmpfs (root's, 0755, nosuid, nodev, noexec,
 * read-only once built) goes over /home and over the topmost ancestor of
 * each workspace that others can't search (a 0700 /srv/alice; /tmp and
 * /srv themselves are searchable and stay as they are).  On it, only the
 * directories that lead to the workspaces, each workspace bound onto its
 * own by the descriptor the launcher checked, and the files --allow-read
 * names, bound read-only.
 *
 * Usage, in the launcher, in its new mount namespace:
 *   sbx_skel_plan    as the caller (fsuid): where the skeletons go;
 *   sbx_skel_open    as the caller: each root opened without symlinks;
 *   sbx_skel_mount   as root: the tmpfs over each root's descriptor;
 *   sbx_skel_reach   as root: the directory (or file) at a path on a
 *                    skeleton, made when missing (-SBX_ENOENT when the path
 *                    lies on none: it is reachable as it is);
 *   sbx_skel_seal    as root: each skeleton read-only (what is mounted on
 *                    it keeps its own attributes). */
#ifndef SBX_LAUNCHER_SKELETON_H
#define SBX_LAUNCHER_SKELETON_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

#define SBX_SKEL_MAX 33 /* /home and one per workspace */

struct sbx_skel {
    char root[SBX_SKEL_MAX][PATH_MAX];
    int fd[SBX_SKEL_MAX]; /* the root (O_PATH), then the tmpfs's root on it; -1 */
    size_t n;
};

/* The roots for the workspaces ws (canonical absolute paths): /home when it
 * is a directory, and for each workspace the topmost directory strictly
 * above it, other than /, without S_IXOTH (looked at with lstat, as the
 * current fsuid).  A root inside another is left out. */
int sbx_skel_plan(struct sbx_skel *s, const char *const *ws, size_t n_ws,
                  struct sbx_error *err);

/* Open each root (O_PATH, no symlink on the way). */
int sbx_skel_open(struct sbx_skel *s, struct sbx_error *err);

/* An empty tmpfs over each root, by its descriptor; fd[i] becomes the new
 * mount's root. */
int sbx_skel_mount(struct sbx_skel *s, struct sbx_error *err);

/* The skeleton root path lies on, or -1. */
int sbx_skel_of(const struct sbx_skel *s, const char *path);

/* An O_PATH descriptor on path (absolute, canonical), walked from its
 * skeleton's root without following a symlink; each missing directory is
 * made (root's, 0755), and the last component too: a directory, or with
 * as_file an empty file (root's, 0444), to mount on.  Returns the fd, or
 * -SBX_ENOENT when path lies on no skeleton (no error set), or another
 * negative code with err set. */
int sbx_skel_reach(const struct sbx_skel *s, const char *path, bool as_file,
                   struct sbx_error *err);

/* Each skeleton read-only. */
int sbx_skel_seal(struct sbx_skel *s, struct sbx_error *err);

/* Close what is open. */
void sbx_skel_close(struct sbx_skel *s);

#endif
