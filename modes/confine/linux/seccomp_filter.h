/* The seccomp filter every sandboxed command runs under (libseccomp).
 * It closes what Landlock does not see: namespace and mount syscalls (so
 * the read-only view can't be undone, even by a root caller), TIOCSTI /
 * TIOCLINUX, kernel keyrings, io_uring (which would bypass the socket
 * rule), and, with the network off, every socket() call. */
#ifndef SBX_MODES_CONFINE_LINUX_SECCOMP_FILTER_H
#define SBX_MODES_CONFINE_LINUX_SECCOMP_FILTER_H

#include <stdbool.h>

#include "util/error.h"

/* Build the filter and load it on the calling thread; also sets
 * no_new_privs.  net: the network is on (socket() allowed). */
int sbx_seccomp_load(bool net, struct sbx_error *err);

#endif
