/* SPDX-License-Identifier: MIT */
/* The seccomp filter as libseccomp builds it (seccomp_rules.c): for the
 * build-time generator of the ready filters (seccomp_gen.c), the test
 * that compares them, and the run-time's loader where the build made no
 * filter ready.  Run-time callers use seccomp_filter.h. */
#ifndef SBX_MODES_CONFINE_LINUX_SECCOMP_BUILD_H
#define SBX_MODES_CONFINE_LINUX_SECCOMP_BUILD_H

#include <seccomp.h>
#include <stddef.h>

#include "modes/confine/linux/seccomp_opts.h"
#include "util/error.h"

/* The filter of o (NULL: the base filter) in a new context, *out, the
 * caller's to seccomp_release; NULL on error. */
int sbx_seccomp_build(const struct sbx_seccomp_opts *o, scmp_filter_ctx *out,
                      struct sbx_error *err);

/* The BPF of ctx as the kernel would get it, in *insns (malloc'd, *n
 * instructions of 8 bytes). */
int sbx_seccomp_export(scmp_filter_ctx ctx, unsigned char **insns, size_t *n,
                       struct sbx_error *err);

/* Both: variant v (0 .. SBX_SECCOMP_VARIANTS - 1) compiled by libseccomp
 * now, as the kernel would get it. */
int sbx_seccomp_compile(int v, unsigned char **insns, size_t *n, struct sbx_error *err);

/* Variant o (NULL: the base filter) compiled by libseccomp now and
 * loaded on the calling thread (no_new_privs set); with o->unix_notify,
 * *listener receives the notification fd. */
int sbx_seccomp_load_compiled(const struct sbx_seccomp_opts *o, int *listener,
                              struct sbx_error *err);

#endif
