/* SPDX-License-Identifier: MIT */
/* An empty, read-only stand-in (an empty tmpfs for a directory, an empty
 * file for anything else) mounted over an object, so that whoever looks
 * there reads nothing.  Used for the credential paths (hide.h) by the
 * unelevated run-time and by the setuid launcher.  No allocation, no
 * path lookups: every object is given as a descriptor. */
#ifndef SBX_MODES_CONFINE_LINUX_STANDIN_H
#define SBX_MODES_CONFINE_LINUX_STANDIN_H

#include "util/error.h"

/* Cover what target (an O_PATH descriptor is enough) is open on, in the
 * caller's mount namespace; name is for messages.  *files: the tmpfs that
 * holds the empty file the file stand-ins are bound from, made on first
 * need (start with -1; the caller closes it when done). */
int sbx_standin_cover(int target, const char *name, int *files, struct sbx_error *err);

#endif
