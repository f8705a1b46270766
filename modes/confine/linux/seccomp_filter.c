/* SPDX-License-Identifier: MIT */
/* Loading the seccomp filter of a run: the BPF the build made ready
 * (seccomp_gen.c) through the kernel's own interface, so a run maps no
 * libseccomp; where the build made none ready (a cross build), compiled
 * by libseccomp now (seccomp_rules.c). */
#include "modes/confine/linux/seccomp_filter.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/seccomp.h>

#ifndef SBX_SECCOMP_BPF_HEADER
#include "modes/confine/linux/seccomp_build.h"
#endif

#ifdef SBX_SECCOMP_BPF_HEADER
/* The same filters, compiled once at build time (seccomp_gen.c writes
 * them from the functions above, for the architecture sbx is built for):
 * a run loads ready BPF instead of compiling it again.  Named by a macro
 * because the file is the build's, not the tree's. */
#include SBX_SECCOMP_BPF_HEADER

static int load_prebuilt(const struct sbx_seccomp_opts *o, int *listener,
                         struct sbx_error *err)
{
    int v = sbx_seccomp_variant(o);
    struct sock_fprog prog = {.len = sbx_seccomp_bpf[v].len,
                              .filter = (struct sock_filter *)sbx_seccomp_bpf[v].insns};
    _Static_assert(sizeof(struct sock_filter) == 8, "BPF instructions are 8 bytes");
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return sbx_err_sys(err, SBX_EIO, errno, "prctl(PR_SET_NO_NEW_PRIVS)");
    bool notify = o && o->unix_notify;
    long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                      notify ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0, &prog);
    if (fd < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "seccomp(SET_MODE_FILTER)%s",
                           notify ? " with a listener (--allow-unix needs Linux 5.0 or newer)"
                                  : "");
    if (notify) {
        if (fcntl((int)fd, F_SETFD, FD_CLOEXEC) != 0)
            return sbx_err_sys(err, SBX_EIO, errno, "the seccomp listener");
        *listener = (int)fd;
    }
    return 0;
}
#endif

static int load_filter(const struct sbx_seccomp_opts *o, int *listener, struct sbx_error *err)
{
#ifdef SBX_SECCOMP_BPF_HEADER
    return load_prebuilt(o, listener, err);
#else
    return sbx_seccomp_load_compiled(o, listener, err);
#endif
}

int sbx_seccomp_load_ex(const struct sbx_seccomp_opts *o, int *listener, struct sbx_error *err)
{
    int rc = load_filter(o, listener, err);
    if (rc < 0 && o->unix_notify)
        sbx_err_wrap(err, "--allow-unix needs seccomp user notification (Linux 5.14 or newer)");
    return rc;
}

int sbx_seccomp_load(bool net, struct sbx_error *err)
{
    struct sbx_seccomp_opts o = {.net = net};
    return sbx_seccomp_load_ex(&o, NULL, err);
}

int sbx_seccomp_load_base(struct sbx_error *err)
{
    return load_filter(NULL, NULL, err);
}

