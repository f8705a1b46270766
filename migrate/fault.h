/* SPDX-License-Identifier: MIT */
/* SBX_FAULT=fail:K / crash:K: make the K-th OS-changing operation of a plan
 * fail, or kill the process right after the OS call took effect and before
 * the ledger records it (the hardest moment for recovery).  Counting spans
 * the whole command, rollbacks included; ledger-only operations don't
 * count.  "fail:K,crash:M" (M > K) does both: the failure at K starts a
 * rollback, and the crash at M hits that rollback. */
#ifndef SBX_MIGRATE_FAULT_H
#define SBX_MIGRATE_FAULT_H

#include <stdbool.h>

#include "util/error.h"

struct sbx_fault {
    unsigned fail_k;  /* the operation to fail (1-based), 0: none */
    unsigned crash_k; /* the operation after which to die, 0: none */
    unsigned count;   /* OS-changing operations seen so far */
};

/* Parse a specification ("fail:3", "crash:1", "fail:3,crash:5"); NULL or
 * "" means none.  Anything else is -SBX_EINVAL with a message. */
int sbx_fault_parse(const char *spec, struct sbx_fault *out, struct sbx_error *err);

/* Before an OS-changing call: counts it; returns -SBX_EFAULT when it is the
 * one to fail.  *crash_after is set when the process must die right after
 * the call. */
int sbx_fault_before(struct sbx_fault *f, bool *crash_after, struct sbx_error *err);

#endif
