/* SPDX-License-Identifier: MIT */
/* The private per-run temporary directory (TMPDIR of the command): created
 * owner-only before the run, removed with everything in it afterwards. */
#ifndef SBX_MODES_CONFINE_LINUX_TMPDIR_H
#define SBX_MODES_CONFINE_LINUX_TMPDIR_H

#include <stddef.h>

#include "util/error.h"

/* Create <base>/sbx-run-XXXXXX (mode 0700); base is $TMPDIR when absolute,
 * else /tmp.  out receives the path. */
int sbx_tmpdir_create(char *out, size_t out_len, struct sbx_error *err);

/* Removal: sbx_remove_tree (util/rmtree.h). */

#endif
