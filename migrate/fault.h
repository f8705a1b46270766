/* SBX_FAULT=fail:K / crash:K: make the K-th OS-changing operation of a plan
 * fail, or kill the process right after the OS call took effect and before
 * the ledger records it (the hardest moment for recovery).  Counting spans
 * the whole plan, rollback included; ledger-only operations don't count. */
#ifndef SBX_MIGRATE_FAULT_H
#define SBX_MIGRATE_FAULT_H

#include <stdbool.h>

#include "util/error.h"

enum sbx_fault_kind {
    SBX_FAULT_NONE = 0,
    SBX_FAULT_FAIL,
    SBX_FAULT_CRASH,
};

struct sbx_fault {
    enum sbx_fault_kind kind;
    unsigned k;     /* 1-based operation number */
    unsigned count; /* OS-changing operations seen so far */
};

/* Parse a specification ("fail:3", "crash:1"); NULL or "" means none.
 * Anything else is -SBX_EINVAL with a message. */
int sbx_fault_parse(const char *spec, struct sbx_fault *out, struct sbx_error *err);

/* Before an OS-changing call: counts it; returns -SBX_EFAULT when it is the
 * one to fail.  *crash_after is set when the process must die right after
 * the call. */
int sbx_fault_before(struct sbx_fault *f, bool *crash_after, struct sbx_error *err);

#endif
