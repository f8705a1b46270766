/* The seccomp filter, built with libseccomp.  The default action is to
 * allow: the filter is a deny list of what a coding tool never needs and
 * what would undo the other layers.  Numbers come from the kernel headers,
 * not from libseccomp's own table, so syscalls newer than libseccomp are
 * still covered. */
#include "modes/confine/linux/seccomp_filter.h"

#include <errno.h>
#include <linux/sched.h>
#include <seccomp.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

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

static int build(scmp_filter_ctx ctx, bool net, struct sbx_error *err)
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
    for (size_t i = 0; i < sizeof denied_ioctls / sizeof denied_ioctls[0]; i++) {
        /* The request is an unsigned int in the kernel: compare 32 bits so
         * garbage in the upper half can't slip past. */
        struct scmp_arg_cmp c = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffUL, denied_ioctls[i]);
        if ((rc = add(ctx, SCMP_ACT_ERRNO(EPERM), SYS_ioctl, 1, &c, err)) < 0)
            return rc;
    }
    if (!net) {
        /* Every family: AF_INET/AF_INET6 (TCP is also stopped by Landlock,
         * UDP/raw/ICMP only here), AF_PACKET, AF_NETLINK, and AF_UNIX, so
         * host daemons (docker.sock, the session bus) can't be reached.
         * socketpair() stays: it only connects the sandbox to itself. */
        if ((rc = add(ctx, SCMP_ACT_ERRNO(EACCES), SYS_socket, 0, NULL, err)) < 0)
            return rc;
    }
    return 0;
}

int sbx_seccomp_load(bool net, struct sbx_error *err)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx)
        return sbx_err_set(err, SBX_ENOMEM, "seccomp_init failed");
    int rc = build(ctx, net, err);
    if (rc == 0) {
        /* libseccomp sets no_new_privs before loading (SCMP_FLTATR_CTL_NNP
         * defaults to on); we ask for it explicitly anyway. */
        int r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1);
        if (r == 0)
            r = seccomp_load(ctx);
        if (r < 0)
            rc = sbx_err_sys(err, SBX_EIO, -r, "seccomp_load");
    }
    seccomp_release(ctx);
    return rc;
}
