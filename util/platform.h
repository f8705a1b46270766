/* SPDX-License-Identifier: MIT */
/* The few OS facilities the engine (ledger, plans, CLI) needs, behind one
 * header: platform_posix.c implements them for Linux, platform_win32.c for
 * Windows.  Nothing here changes the machine beyond sbx's own files. */
#ifndef SBX_UTIL_PLATFORM_H
#define SBX_UTIL_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

/* --- exclusive plan lock ------------------------------------------------ */

struct sbx_lock;

/* Take the exclusive lock on `path` (created 0600 if missing).  Waits up to
 * wait_ms (0: don't wait); when still held by another process, returns
 * -SBX_ELOCKED with a message naming the path. */
int sbx_lock_acquire(const char *path, unsigned wait_ms, struct sbx_lock **out,
                     struct sbx_error *err);
/* Release and free; NULL is fine. */
void sbx_lock_release(struct sbx_lock *lock);

/* --- files and directories ---------------------------------------------- */

/* Create dir and its missing parents; the directories sbx creates are
 * writable by their owner only (0700 / an owner-only DACL).  Existing
 * directories are left as they are.  Fails on a path whose parent can't be
 * created, naming the component.  POSIX: each one is made with mkdirat()
 * from the directory above it, held open (no name swapped meanwhile can
 * redirect it), and an existing dir itself must be a real directory of
 * the caller's that no one else can write (-SBX_EPERM otherwise). */
int sbx_fs_mkdir_private(const char *dir, struct sbx_error *err);

/* Restrict an existing file sbx created (the ledger) to its owner. */
int sbx_fs_make_private(const char *file, struct sbx_error *err);

/* Remove an empty directory (0, or -SBX_EIO when it is not empty or
 * cannot be removed). */
int sbx_fs_rmdir(const char *dir, struct sbx_error *err);

bool sbx_fs_exists(const char *path);
bool sbx_fs_is_dir(const char *path);

/* Directory part of path into out ("." when there is none). */
int sbx_fs_dirname(const char *path, char *out, size_t len, struct sbx_error *err);

/* Default state directory: machine scope (/var/lib/sbx, %ProgramData%\sbx)
 * or the caller's own ($XDG_STATE_HOME/sbx or ~/.local/state/sbx,
 * %LOCALAPPDATA%\sbx). */
int sbx_default_state_dir(bool machine, char *out, size_t len, struct sbx_error *err);

/* Default per-user state directory of another user, by account name
 * (root's cleanup finds the users' ledgers with it). */
int sbx_user_state_dir(const char *user, char *out, size_t len, struct sbx_error *err);

/* Path separator of the platform. */
#ifdef _WIN32
#define SBX_PATH_SEP '\\'
#else
#define SBX_PATH_SEP '/'
#endif

/* --- processes and users ------------------------------------------------ */

long sbx_proc_self_id(void);
/* Die at once, with no cleanup at all (SBX_FAULT=crash:K). */
_Noreturn void sbx_proc_crash(void);

/* The calling user: id is the uid ("1000") or the SID string, name the
 * account name. */
int sbx_user_current(char *id, size_t id_len, char *name, size_t name_len,
                     struct sbx_error *err);

/* Seconds since the epoch as "2026-11-29T07:45:20Z". */
void sbx_time_iso8601(char *out, size_t len);

/* Sleep for ms milliseconds. */
void sbx_sleep_ms(unsigned ms);

#endif
