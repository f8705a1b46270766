/* Confining the calling process: capabilities, no_new_privs, Landlock,
 * seccomp, in that order (Landlock needs no_new_privs; seccomp comes last
 * because it refuses syscalls the earlier steps still make). */
#ifndef SBX_MODES_CONFINE_LINUX_POLICY_H
#define SBX_MODES_CONFINE_LINUX_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

struct sbx_policy {
    const char *const *rw;  /* full Landlock rights beneath these */
    size_t n_rw;
    bool net;               /* network on */
    bool private_dev;       /* /dev is sbx's own (devpts + shm): grant them */
};

/* Apply to the calling thread.  abi: sbx_landlock_abi() (0 refuses). */
int sbx_policy_apply(const struct sbx_policy *p, int abi, struct sbx_error *err);

/* Drop every capability from all sets (bounding and ambient included),
 * except, when the effective uid is 0, the file-access ones a root caller
 * needs to keep reading and writing what it owns (CHOWN, DAC_OVERRIDE,
 * DAC_READ_SEARCH, FOWNER, FSETID). */
int sbx_caps_drop(struct sbx_error *err);

#endif
