/* SPDX-License-Identifier: MIT */
/* The seccomp filter's rules, built with libseccomp: at build time where
 * the build makes the filters ready (seccomp_gen.c; the run-time then
 * loads BPF, seccomp_filter.c, and sbx does not map libseccomp), else at
 * each run.  The
 * default action is to allow: the filter is a deny list of what a coding tool never needs and
 * what would undo the other layers.  Numbers come from the kernel headers,
 * not from libseccomp's own table, so syscalls newer than libseccomp are
 * still covered. */
#include "modes/confine/linux/seccomp_build.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/seccomp.h>

/* Denied with EPERM whatever the policy. */
static const int denied_always[] = {
    /* mount topology: the read-only view must stay as it was built */
    SYS_mount, SYS_umount2, SYS_pivot_root, SYS_chroot, SYS_move_mount, SYS_open_tree,
    SYS_fsopen, SYS_fsconfig, SYS_fsmount, SYS_fspick, SYS_mount_setattr,
    /* no new namespaces, no joining others */
    SYS_unshare, SYS_setns,
    /* kernel keyrings are per user, shared with the caller's session */
    SYS_keyctl, SYS_add_key, SYS_request_key,
    /* io_uring performs socket/connect/open without passing seccomp */
    SYS_io_uring_setup, SYS_io_uring_enter, SYS_io_uring_register,
    /* file handles bypass path-based checks */
    SYS_open_by_handle_at,
    /* kernel attack surface no build tool needs */
    SYS_bpf, SYS_perf_event_open, SYS_userfaultfd, SYS_kexec_load, SYS_kexec_file_load,
    SYS_init_module, SYS_finit_module, SYS_delete_module, SYS_reboot, SYS_swapon,
    SYS_swapoff, SYS_acct, SYS_quotactl, SYS_iopl, SYS_ioperm, SYS_lookup_dcookie,
    SYS_vhangup, SYS_syslog,
};

/* clone() flags that would create namespaces (clone3 is refused as a
 * whole since its flags live in memory seccomp can't read). */
static const unsigned long clone_ns_flags[] = {
    CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET,
    CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWCGROUP,
};

#ifndef __NR_fchmodat2
#define __NR_fchmodat2 452 /* Linux 6.6; the same number on every architecture */
#endif

/* Calls that set a file's mode, and where: a setuid or setgid bit on a
 * file the command made would be, run from outside the sandbox, the
 * command's identity (in the elevated mode a sandbox account, in the
 * unelevated mode a root caller's: root) without the sandbox around it.
 * flags_arg: the open flags, where a mode counts only with O_CREAT or
 * O_TMPFILE; -1 where the mode always counts. */
static const struct {
    int nr;
    int mode_arg;
    int flags_arg;
} mode_setters[] = {
    {SYS_chmod, 1, -1},   {SYS_fchmod, 1, -1},  {SYS_fchmodat, 2, -1}, {__NR_fchmodat2, 2, -1},
    {SYS_creat, 1, -1},   {SYS_mknod, 1, -1},   {SYS_mknodat, 2, -1},  {SYS_open, 2, 1},
    {SYS_openat, 3, 2},
};

static struct scmp_arg_cmp arg_masked(int arg, scmp_datum_t mask, scmp_datum_t value)
{
    struct scmp_arg_cmp c = {.arg = (unsigned)arg, .op = SCMP_CMP_MASKED_EQ, .datum_a = mask,
                             .datum_b = value};
    return c;
}

/* ioctls that push input into a terminal or drive the console. */
static const unsigned long denied_ioctls[] = {TIOCSTI, TIOCLINUX, TIOCSETD};

static int add(scmp_filter_ctx ctx, uint32_t action, int nr, unsigned n,
               const struct scmp_arg_cmp *cmp, struct sbx_error *err)
{
    int rc = seccomp_rule_add_array(ctx, action, nr, n, cmp);
    if (rc < 0)
        return sbx_err_sys(err, SBX_EIO, -rc, "seccomp_rule_add for syscall %d", nr);
    return 0;
}

/* socket() families span: every family a kernel knows (AF_MAX is 46 in
 * Linux 6.x); the kernel refuses the rest (EAFNOSUPPORT). */
#define FAMILY_SPAN 64
/* SOCK_TYPE_MASK: the type's low bits, the rest being SOCK_NONBLOCK and
 * SOCK_CLOEXEC. */
#define TYPE_MASK 0xfUL

static int build_base(scmp_filter_ctx ctx, struct sbx_error *err)
{
    int rc;
    for (size_t i = 0; i < sizeof denied_always / sizeof denied_always[0]; i++)
        if ((rc = add(ctx, SCMP_ACT_ERRNO(EPERM), denied_always[i], 0, NULL, err)) < 0)
            return rc;
    for (size_t i = 0; i < sizeof clone_ns_flags / sizeof clone_ns_flags[0]; i++) {
        struct scmp_arg_cmp c = SCMP_A0(SCMP_CMP_MASKED_EQ, clone_ns_flags[i], clone_ns_flags[i]);
        if ((rc = add(ctx, SCMP_ACT_ERRNO(EPERM), SYS_clone, 1, &c, err)) < 0)
            return rc;
    }
    /* ENOSYS, not EPERM: glibc then falls back to clone(), which we can
     * inspect. */
    if ((rc = add(ctx, SCMP_ACT_ERRNO(ENOSYS), SYS_clone3, 0, NULL, err)) < 0)
        return rc;
    /* No setuid or setgid bit, by any call that sets a mode (EPERM);
     * openat2() keeps its mode in memory seccomp can't read: ENOSYS, so
     * callers fall back to openat(). */
    static const scmp_datum_t special[] = {S_ISUID, S_ISGID};
    static const scmp_datum_t creating[] = {O_CREAT, __O_TMPFILE};
    for (size_t i = 0; i < sizeof mode_setters / sizeof mode_setters[0]; i++)
        for (size_t b = 0; b < 2; b++) {
            struct scmp_arg_cmp c[2] = {arg_masked(mode_setters[i].mode_arg, special[b],
                                                   special[b])};
            if (mode_setters[i].flags_arg < 0) {
                if ((rc = add(ctx, SCMP_ACT_ERRNO(EPERM), mode_setters[i].nr, 1, c, err)) < 0)
                    return rc;
                continue;
            }
            for (size_t f = 0; f < 2; f++) {
                c[1] = arg_masked(mode_setters[i].flags_arg, creating[f], creating[f]);
                if ((rc = add(ctx, SCMP_ACT_ERRNO(EPERM), mode_setters[i].nr, 2, c, err)) < 0)
                    return rc;
            }
        }
    if ((rc = add(ctx, SCMP_ACT_ERRNO(ENOSYS), SYS_openat2, 0, NULL, err)) < 0)
        return rc;
    for (size_t i = 0; i < sizeof denied_ioctls / sizeof denied_ioctls[0]; i++) {
        /* The request is an unsigned int in the kernel: compare 32 bits so
         * garbage in the upper half can't slip past. */
        struct scmp_arg_cmp c = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffUL, denied_ioctls[i]);
        if ((rc = add(ctx, SCMP_ACT_ERRNO(EPERM), SYS_ioctl, 1, &c, err)) < 0)
            return rc;
    }
    return 0;
}

/* TCP only, for one IP family: every other type, and a stream socket of
 * another protocol (SCTP, MPTCP: Landlock's TCP rules don't see them). */
static int tcp_only_rules(scmp_filter_ctx ctx, int family, struct sbx_error *err)
{
    uint32_t deny = SCMP_ACT_ERRNO(EACCES);
    struct scmp_arg_cmp c[3] = {SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffUL, (scmp_datum_t)family)};
    int rc;
    for (unsigned long t = 0; t <= TYPE_MASK; t++) {
        if (t == SOCK_STREAM)
            continue;
        c[1] = SCMP_A1(SCMP_CMP_MASKED_EQ, TYPE_MASK, t);
        if ((rc = add(ctx, deny, SYS_socket, 2, c, err)) < 0)
            return rc;
    }
    c[1] = SCMP_A1(SCMP_CMP_MASKED_EQ, TYPE_MASK, SOCK_STREAM);
    /* protocol 0 or IPPROTO_TCP (6): deny 1..5 and everything above 6 */
    for (unsigned long proto = 1; proto < 6; proto++) {
        c[2] = SCMP_A2(SCMP_CMP_MASKED_EQ, 0xffffffffUL, proto);
        if ((rc = add(ctx, deny, SYS_socket, 3, c, err)) < 0)
            return rc;
    }
    c[2] = SCMP_A2(SCMP_CMP_GT, 6, 0);
    return add(ctx, deny, SYS_socket, 3, c, err);
}

static int socket_rules(scmp_filter_ctx ctx, const struct sbx_seccomp_opts *o,
                        struct sbx_error *err)
{
    uint32_t deny = SCMP_ACT_ERRNO(EACCES);
    int rc;
    bool ip = o->net || o->tcp_only;
    if (!ip && !o->unix_notify) {
        /* Every family: AF_INET/AF_INET6 (TCP is also stopped by Landlock,
         * UDP/raw/ICMP only here), AF_PACKET, AF_NETLINK, and AF_UNIX, so
         * host daemons (docker.sock, the session bus) can't be reached. */
        if ((rc = add(ctx, deny, SYS_socket, 0, NULL, err)) < 0)
            return rc;
    } else {
        /* One rule per family, compared on the 32 bits the kernel reads.
         * AF_UNIX: a host daemon's socket (docker.sock, ssh-agent, the
         * buses) is reached by path, which seccomp can't read and Landlock
         * (up to ABI 7) doesn't check on connect, and a read-only mount
         * doesn't stop: so no unix socket at all, or the broker's. */
        for (int f = 0; f < FAMILY_SPAN; f++) {
            struct scmp_arg_cmp c = SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffUL, (scmp_datum_t)f);
            if (f == AF_UNIX) {
                rc = add(ctx, o->unix_notify ? SCMP_ACT_NOTIFY : deny, SYS_socket, 1, &c, err);
            } else if (f == AF_INET || f == AF_INET6) {
                rc = !ip ? add(ctx, deny, SYS_socket, 1, &c, err)
                         : !o->net ? tcp_only_rules(ctx, f, err) : 0;
            } else {
                rc = add(ctx, deny, SYS_socket, 1, &c, err);
            }
            if (rc < 0)
                return rc;
        }
    }
    /* socketpair(): stream and seqpacket pairs, connected for good (a
     * connected stream socket can't be connected again, even once its peer
     * is gone).  Not datagram: sendto() on a datagram end reaches any bound
     * datagram socket of the host (/dev/log, journald), and connect()
     * re-targets it. */
    for (unsigned long t = 0; t <= TYPE_MASK; t++) {
        if (t == SOCK_STREAM || t == SOCK_SEQPACKET)
            continue;
        struct scmp_arg_cmp c = SCMP_A1(SCMP_CMP_MASKED_EQ, TYPE_MASK, t);
        if ((rc = add(ctx, deny, SYS_socketpair, 1, &c, err)) < 0)
            return rc;
    }
    /* --allow-unix: every connect() is seen by the broker, which connects
     * the allowed sockets itself and lets the kernel do the rest (see
     * unix_broker.c for why that is safe). */
    if (o->unix_notify && (rc = add(ctx, SCMP_ACT_NOTIFY, SYS_connect, 0, NULL, err)) < 0)
        return rc;
    return 0;
}

/* Used where the build made no filter ready (a cross build). */
static int load(scmp_filter_ctx ctx, int *listener, struct sbx_error *err)
{
    int r = seccomp_load(ctx);
    if (r < 0)
        return sbx_err_sys(err, SBX_EIO, -r, "seccomp_load");
    if (listener) {
        int fd = seccomp_notify_fd(ctx);
        if (fd < 0)
            return sbx_err_sys(err, SBX_EIO, fd < -1 ? -fd : EINVAL,
                               "seccomp_notify_fd (the --allow-unix broker's listener)");
        *listener = fd;
    }
    return 0;
}

int sbx_seccomp_build(const struct sbx_seccomp_opts *o, scmp_filter_ctx *out,
                      struct sbx_error *err)
{
    *out = seccomp_init(SCMP_ACT_ALLOW);
    if (!*out)
        return sbx_err_set(err, SBX_ENOMEM, "seccomp_init failed");
    int rc = build_base(*out, err);
    if (rc == 0 && o)
        rc = socket_rules(*out, o, err);
    /* libseccomp sets no_new_privs before loading (SCMP_FLTATR_CTL_NNP
     * defaults to on); asked for explicitly anyway. */
    if (rc == 0 && (rc = seccomp_attr_set(*out, SCMP_FLTATR_CTL_NNP, 1)) < 0)
        rc = sbx_err_sys(err, SBX_EIO, -rc, "seccomp_attr_set(NNP)");
    if (rc < 0) {
        seccomp_release(*out);
        *out = NULL;
    }
    return rc;
}

int sbx_seccomp_export(scmp_filter_ctx ctx, unsigned char **insns, size_t *n,
                       struct sbx_error *err)
{
    *insns = NULL;
    *n = 0;
    int fd = memfd_create("sbx-seccomp-bpf", MFD_CLOEXEC);
    if (fd < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "memfd_create for the seccomp filter");
    int rc = seccomp_export_bpf(ctx, fd);
    struct stat st;
    if (rc < 0)
        rc = sbx_err_sys(err, SBX_EIO, -rc, "seccomp_export_bpf");
    else if (fstat(fd, &st) != 0 || st.st_size <= 0 || st.st_size % 8 != 0)
        rc = sbx_err_set(err, SBX_EIO, "seccomp_export_bpf: not a filter");
    unsigned char *buf = rc == 0 ? malloc((size_t)st.st_size) : NULL;
    if (rc == 0 && !buf)
        rc = sbx_err_set(err, SBX_ENOMEM, "out of memory (the seccomp filter)");
    if (rc == 0 && pread(fd, buf, (size_t)st.st_size, 0) != st.st_size)
        rc = sbx_err_sys(err, SBX_EIO, errno, "read the seccomp filter back");
    close(fd);
    if (rc < 0) {
        free(buf);
        return rc;
    }
    *insns = buf;
    *n = (size_t)st.st_size / 8;
    return 0;
}

int sbx_seccomp_compile(int v, unsigned char **insns, size_t *n, struct sbx_error *err)
{
    struct sbx_seccomp_opts o = sbx_seccomp_variant_opts(v);
    scmp_filter_ctx ctx;
    int rc = sbx_seccomp_build(v == 0 ? NULL : &o, &ctx, err);
    if (rc == 0) {
        rc = sbx_seccomp_export(ctx, insns, n, err);
        seccomp_release(ctx);
    }
    return rc;
}

/* Built by libseccomp now: the way where the build made no filter ready
 * (test_seccomp checks the ready ones against sbx_seccomp_compile). */
int sbx_seccomp_load_compiled(const struct sbx_seccomp_opts *o, int *listener, struct sbx_error *err)
{
    scmp_filter_ctx ctx;
    int rc = sbx_seccomp_build(o, &ctx, err);
    if (rc == 0)
        rc = load(ctx, o && o->unix_notify ? listener : NULL, err);
    if (ctx)
        seccomp_release(ctx);
    return rc;
}

