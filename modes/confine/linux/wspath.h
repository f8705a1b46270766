/* Workspace paths: resolving what the user typed into a directory sbx may
 * make writable, and refusing the ones that would hand the command the
 * system or the user's home. */
#ifndef SBX_MODES_CONFINE_LINUX_WSPATH_H
#define SBX_MODES_CONFINE_LINUX_WSPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

/* True when path equals root or lies beneath it (both canonical). */
bool sbx_path_within(const char *path, const char *root);

/* Why a canonical directory must not be a workspace for user uid, or NULL
 * when it may.  home: that user's home from the password database (may be
 * NULL), env_home: $HOME (may be NULL). */
const char *sbx_ws_danger(const char *dir, const char *home, const char *env_home);

/* Resolve arg for the user `uid` (see confine.h). */
int sbx_ws_resolve(const char *arg, uid_t uid, char *out, size_t out_len, struct sbx_error *err);

#endif
