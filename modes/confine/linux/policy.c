/* SPDX-License-Identifier: MIT */
#include "modes/confine/linux/policy.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "modes/confine/linux/landlock.h"
#include "modes/confine/linux/seccomp_filter.h"

/* What a root caller keeps: without these, root could no longer read
 * files of other users it reads outside sbx, nor manage the ownership of
 * files inside its workspaces.  Writing stays bounded by Landlock and the
 * read-only view, which no capability overrides. */
static const unsigned long long root_keep =
    (1ULL << CAP_CHOWN) | (1ULL << CAP_DAC_OVERRIDE) | (1ULL << CAP_DAC_READ_SEARCH) |
    (1ULL << CAP_FOWNER) | (1ULL << CAP_FSETID);

int sbx_caps_drop(struct sbx_error *err)
{
    /* Root keeps CHOWN, FOWNER and FSETID, though they change an inode's
     * metadata whoever owns it: outside the workspaces the kernel lets no
     * metadata change at all, capabilities or not.  Every mount of the
     * view is read-only, and chmod, chown, utimes and setxattr ask the
     * mount for write access (EROFS) before they look at a capability;
     * the one way past the view, a descriptor opened before the sandbox
     * existed (it carries the host's mount), is gone too: the command's
     * stdio are pipes sbx made (stdio_relay.h) and every other fd is
     * closed.  Dropping them would add nothing there, and would break
     * root's ordinary work inside its workspaces: `cp -a` or `tar -x`
     * keeping owners (CHOWN), chmod, touch or setfacl on a file another
     * user owns in a checkout root works on (FOWNER), `chmod g+s` or a
     * write keeping the setgid bit for a group root is not in (FSETID:
     * without it the kernel clears the bit, silently).
     *
     * One capset, no walk over the bounding set: under no_new_privs,
     * set first here, execve never leaves a process more capabilities
     * than it had before (the kernel intersects the new permitted set with
     * the old one, root's exec and file capabilities included), so the
     * permitted set made below is the most the command and everything it
     * runs can ever hold; the bounding set would only repeat it.  (The
     * walk cost a read of /proc/sys/kernel/cap_last_cap, over a
     * millisecond in a fresh user namespace, and forty prctl calls.)
     * The inheritable set is emptied, which empties the ambient set with
     * it (ambient is kept within permitted and inheritable). */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "prctl(PR_SET_NO_NEW_PRIVS)");
    unsigned long long keep = geteuid() == 0 ? root_keep : 0;
    struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2] = {{0}};
    if (syscall(SYS_capget, &hdr, data) < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "capget");
    for (int i = 0; i < 2; i++) {
        unsigned k = (unsigned)(keep >> (32 * i));
        data[i].effective &= k;
        data[i].permitted &= k;
        data[i].inheritable = 0;
    }
    if (syscall(SYS_capset, &hdr, data) < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "capset");
    return 0;
}

/* Devices every tool opens by path. */
static const char *const dev_files[] = {"/dev/null", "/dev/zero", "/dev/full",
                                        "/dev/random", "/dev/urandom", "/dev/tty"};

static int add_rules(struct sbx_landlock *ll, const struct sbx_policy *p, struct sbx_error *err)
{
    int rc = sbx_landlock_allow(ll, "/", SBX_LL_READ, err);
    for (size_t i = 0; rc == 0 && !p->net && i < p->n_tcp_ports; i++)
        rc = sbx_landlock_allow_tcp_connect(ll, p->tcp_ports[i], err);
    for (size_t i = 0; rc == 0 && i < p->n_rw; i++)
        rc = p->rw_fd ? sbx_landlock_allow_fd(ll, p->rw_fd[i], p->rw[i], SBX_LL_ALL, err)
                      : sbx_landlock_allow(ll, p->rw[i], SBX_LL_ALL, err);
    for (size_t i = 0; rc == 0 && i < sizeof dev_files / sizeof dev_files[0]; i++) {
        rc = sbx_landlock_allow(ll, dev_files[i], SBX_LL_DEVICE, err);
        if (rc == -SBX_ENOENT)
            rc = 0; /* a minimal system without it: nothing to grant */
    }
    if (rc == 0 && p->private_dev) {
        /* Our own devpts instance and /dev/shm: nothing of the host's is
         * reachable through them. */
        rc = sbx_landlock_allow(ll, "/dev/pts", SBX_LL_DEVICE, err);
        if (rc == 0)
            rc = sbx_landlock_allow(ll, "/dev/shm", SBX_LL_ALL, err);
    }
    return rc;
}

/* --allow-unix: what the broker serves.  Sockets named by path are opened
 * here, in the view the command gets, with its identity (before Landlock:
 * errors about them come first). */
static int unix_prepare(const struct sbx_policy *p, struct sbx_unix_allow *opened,
                        struct sbx_unix_broker_conf *bc, struct sbx_error *err)
{
    if (p->unix_remote) {
        *bc = (struct sbx_unix_broker_conf){.allow = p->unix_remote->allow,
                                            .n = p->unix_remote->n,
                                            .connector = p->unix_remote->sock};
        return 0;
    }
    if (p->n_unix_allow > SBX_UNIX_MAX_ALLOW)
        return sbx_err_set(err, SBX_EINVAL, "--allow-unix: at most %d sockets",
                           SBX_UNIX_MAX_ALLOW);
    *bc = (struct sbx_unix_broker_conf){.allow = opened, .n = 0, .connector = -1};
    for (size_t i = 0; i < p->n_unix_allow; i++) {
        int rc = sbx_unix_allow_open(p->unix_allow[i], &opened[i], err);
        if (rc < 0)
            return rc;
        bc->n++;
    }
    return 0;
}

static void unix_close(struct sbx_unix_allow *opened, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (opened[i].fd >= 0) {
            close(opened[i].fd);
            opened[i].fd = -1;
        }
}

int sbx_policy_apply(const struct sbx_policy *p, int abi, struct sbx_error *err)
{
    bool unix_allow = p->unix_remote || p->n_unix_allow > 0;
    struct sbx_unix_allow opened[SBX_UNIX_MAX_ALLOW];
    struct sbx_unix_broker_conf bc = {.connector = -1};
    int rc = unix_allow ? unix_prepare(p, opened, &bc, err) : 0;
    size_t n_opened = p->unix_remote ? 0 : bc.n;
    struct sbx_landlock ll = {.fd = -1};
    if (rc == 0)
        rc = sbx_landlock_create(&ll, abi, p->net, err);
    if (rc == 0)
        rc = add_rules(&ll, p, err);
    if (rc == 0)
        rc = sbx_caps_drop(err);
    if (rc == 0)
        rc = sbx_landlock_enforce(&ll, err);
    sbx_landlock_close(&ll);
    /* The broker: in the command's Landlock domain, with its (dropped)
     * capabilities, before the filter it serves. */
    int handoff = -1, listener = -1;
    if (rc == 0 && unix_allow)
        rc = sbx_unix_broker_start(&bc, &handoff, err);
    /* The command keeps no fd on a host socket. */
    unix_close(opened, n_opened);
    if (rc == 0) {
        struct sbx_seccomp_opts o = {.net = p->net,
                                     .tcp_only = !p->net && p->n_tcp_ports > 0,
                                     .unix_notify = unix_allow};
        rc = sbx_seccomp_load_ex(&o, &listener, err);
    }
    if (rc == 0 && unix_allow)
        return sbx_unix_broker_handoff(handoff, listener, err);
    if (handoff >= 0)
        close(handoff); /* the broker sees EOF and leaves */
    return rc;
}
