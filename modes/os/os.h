/* SPDX-License-Identifier: MIT */
/* The OS driver interface: the only way the plan engine touches the machine.
 *
 * One driver per platform (os/linux, os/win32) plus os/fake, an in-memory
 * machine for unit tests.  Every call is idempotent: CREATE means "ensure
 * present", DELETE means "ensure absent", so a plan interrupted anywhere
 * can be resumed or rolled back by calling them again. */
#ifndef SBX_MODES_OS_H
#define SBX_MODES_OS_H

#include <stdbool.h>

#include "state/resource.h"
#include "util/error.h"

enum sbx_privilege {
    SBX_PRIV_USER = 0,  /* an ordinary user */
    SBX_PRIV_ADMIN = 1, /* root / an Administrators token */
};

struct sbx_os;

struct sbx_os_ops {
    const char *name; /* "linux", "win32", "fake" */

    /* Make the OS match.  On CREATE, fill r->os_id and r->principal with
     * what the OS assigned or resolved (uid, SID, rule handle).  On DELETE,
     * remove exactly the object r describes, identified by r->principal /
     * r->os_id, never by name alone.  Never called for ledger-only kinds. */
    int (*apply)(struct sbx_os *os, enum sbx_action act, struct sbx_resource *r,
                 struct sbx_error *err);

    /* Is the object present as described?  Never called for ledger-only
     * kinds. */
    int (*probe)(struct sbx_os *os, const struct sbx_resource *r, enum sbx_presence *out,
                 struct sbx_error *err);

    /* Objects on the machine that carry sbx's markers (account comment,
     * firewall rule group, nft table name), whatever the ledger says: lets
     * cleanup finish with a lost or damaged ledger.  May be NULL. */
    int (*find_marked)(struct sbx_os *os, struct sbx_resource_list *out, struct sbx_error *err);

    /* Privilege level of the calling process. */
    int (*privilege)(struct sbx_os *os, enum sbx_privilege *out, struct sbx_error *err);

    void (*destroy)(struct sbx_os *os);
};

struct sbx_os {
    const struct sbx_os_ops *ops;
    void *impl;
    /* Long work (an ACL grant over a big tree) reports progress here when
     * set (the CLI sets it on a TTY); drivers call it now and then, never
     * print.  total is 0 while unknown. */
    void (*progress)(void *ctx, const char *what, unsigned long long done,
                     unsigned long long total);
    void *progress_ctx;
    /* SBX_OS_DEEP: probes walk whole granted trees instead of checking
     * the root's entries only (sbx doctor --deep). */
    unsigned flags;
};

#define SBX_OS_DEEP 1u
/* find_marked also searches the users' homes for grants that no ledger
 * may remember (cleanup; doctor --deep). */
#define SBX_OS_FIND_GRANTS 2u

/* Dispatch helpers (check for NULL ops where a driver may leave one out). */
int sbx_os_apply(struct sbx_os *os, enum sbx_action act, struct sbx_resource *r,
                 struct sbx_error *err);
int sbx_os_probe(struct sbx_os *os, const struct sbx_resource *r, enum sbx_presence *out,
                 struct sbx_error *err);
int sbx_os_find_marked(struct sbx_os *os, struct sbx_resource_list *out, struct sbx_error *err);
int sbx_os_privilege(struct sbx_os *os, enum sbx_privilege *out, struct sbx_error *err);
void sbx_os_destroy(struct sbx_os *os);

/* The driver of the platform sbx was built for.  Returns -SBX_ENOTSUP with a
 * message when that driver is not built yet. */
int sbx_os_open_native(struct sbx_os **out, struct sbx_error *err);

#endif
