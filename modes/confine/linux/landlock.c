/* SPDX-License-Identifier: MIT */
/* Landlock: ABI probe, ruleset construction and enforcement. */
#include "modes/confine/linux/landlock.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/types.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"

/* Syscall numbers are the same on every architecture (generic table). */
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#endif
#ifndef SYS_landlock_add_rule
#define SYS_landlock_add_rule 445
#endif
#ifndef SYS_landlock_restrict_self
#define SYS_landlock_restrict_self 446
#endif

#define SBX_LL_CREATE_RULESET_VERSION (1U << 0)
#define SBX_LL_RULE_PATH_BENEATH 1
#define SBX_LL_RULE_NET_PORT 2

/* The full ABI 6+ layout; older kernels accept it as long as the fields
 * they don't know are zero, so one struct serves every ABI. */
struct sbx_ll_ruleset_attr {
    __u64 handled_access_fs;
    __u64 handled_access_net;
    __u64 scoped;
};

struct sbx_ll_path_beneath_attr {
    __u64 allowed_access;
    __s32 parent_fd;
} __attribute__((packed));

struct sbx_ll_net_port_attr {
    __u64 allowed_access;
    __u64 port;
};

/* Rights that make sense on a non-directory (the kernel refuses the
 * others with EINVAL on a file rule). */
#define SBX_LL_FILE_RIGHTS \
    (SBX_LL_FS_EXECUTE | SBX_LL_FS_WRITE_FILE | SBX_LL_FS_READ_FILE | SBX_LL_FS_TRUNCATE | \
     SBX_LL_FS_IOCTL_DEV)

static uint64_t fs_rights_for_abi(int abi)
{
    uint64_t r = (1ULL << 13) - 1; /* ABI 1 */
    if (abi >= 2)
        r |= SBX_LL_FS_REFER;
    if (abi >= 3)
        r |= SBX_LL_FS_TRUNCATE;
    if (abi >= 5)
        r |= SBX_LL_FS_IOCTL_DEV;
    return r;
}

int sbx_landlock_abi(void)
{
    long v = syscall(SYS_landlock_create_ruleset, NULL, 0, SBX_LL_CREATE_RULESET_VERSION);
    return v < 0 ? 0 : (int)v;
}

void sbx_landlock_gaps(int abi, bool net, void (*add)(const char *note, void *ctx), void *ctx)
{
    if (abi <= 0) {
        add("Landlock is not available: nothing can be confined", ctx);
        return;
    }
    if (abi < 2)
        add("Landlock ABI < 2: renaming or linking files between directories is refused "
            "even inside the workspaces", ctx);
    if (abi < 3)
        add("Landlock ABI < 3: truncate() is not checked by Landlock (only by the "
            "read-only mount view)", ctx);
    if (abi < 5)
        add("Landlock ABI < 5: ioctl() on device files is not restricted", ctx);
    if (abi < 6)
        add("Landlock ABI < 6: signals to processes outside the sandbox are only "
            "stopped by the PID namespace, not by Landlock", ctx);
    if (abi < 6)
        add("Landlock ABI < 6: abstract unix sockets are only stopped by seccomp "
            "(unix socket creation refused), not by Landlock scoping", ctx);
    if (abi < 4 && !net)
        add("Landlock ABI < 4: TCP is only stopped by seccomp (socket creation "
            "refused), not by Landlock", ctx);
}

int sbx_landlock_create(struct sbx_landlock *ll, int abi, bool net, struct sbx_error *err)
{
    ll->fd = -1;
    ll->abi = abi;
    ll->net_handled = abi >= 4 && !net;
    ll->fs = fs_rights_for_abi(abi);
    if (abi <= 0)
        return sbx_err_set(err, SBX_ENOTSUP,
                           "Landlock is not available in this kernel (not built in, or "
                           "missing from the lsm= boot parameter): refusing to run the "
                           "command unconfined");
    struct sbx_ll_ruleset_attr attr = {.handled_access_fs = ll->fs};
    if (abi >= 4 && !net)
        attr.handled_access_net = SBX_LL_NET_BIND_TCP | SBX_LL_NET_CONNECT_TCP;
    /* Abstract unix sockets whatever the network: --net on means IP, and
     * an abstract socket is a host daemon's (X11, systemd, a language
     * server) as much as a path one. */
    if (abi >= 6)
        attr.scoped = SBX_LL_SCOPE_SIGNAL | SBX_LL_SCOPE_ABSTRACT_UNIX;
    long fd = syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
    if (fd < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "landlock_create_ruleset (ABI %d)", abi);
    ll->fd = (int)fd;
    return 0;
}

int sbx_landlock_allow_fd(struct sbx_landlock *ll, int fd, const char *name, uint64_t access,
                          struct sbx_error *err)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "fstat %s", name);
    access &= ll->fs;
    if (!S_ISDIR(st.st_mode))
        access &= SBX_LL_FILE_RIGHTS;
    if (access == 0)
        return 0;
    struct sbx_ll_path_beneath_attr pb = {.allowed_access = access, .parent_fd = fd};
    if (syscall(SYS_landlock_add_rule, ll->fd, SBX_LL_RULE_PATH_BENEATH, &pb, 0) < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "landlock_add_rule on %s", name);
    return 0;
}

int sbx_landlock_allow_tcp_connect(struct sbx_landlock *ll, unsigned port, struct sbx_error *err)
{
    if (!ll->net_handled)
        return 0;
    if (port == 0 || port > 65535)
        return sbx_err_set(err, SBX_EINVAL, "landlock rule: TCP port %u out of range", port);
    struct sbx_ll_net_port_attr np = {.allowed_access = SBX_LL_NET_CONNECT_TCP, .port = port};
    if (syscall(SYS_landlock_add_rule, ll->fd, SBX_LL_RULE_NET_PORT, &np, 0) < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "landlock_add_rule on TCP port %u", port);
    return 0;
}

int sbx_landlock_allow(struct sbx_landlock *ll, const char *path, uint64_t access,
                       struct sbx_error *err)
{
    sbx_autofd int fd = open(path, O_PATH | O_CLOEXEC);
    if (fd < 0)
        return sbx_err_sys(err, errno == ENOENT ? SBX_ENOENT : SBX_EIO, errno,
                           "landlock rule: open %s", path);
    return sbx_landlock_allow_fd(ll, fd, path, access, err);
}

int sbx_landlock_enforce(struct sbx_landlock *ll, struct sbx_error *err)
{
    if (syscall(SYS_landlock_restrict_self, ll->fd, 0) < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "landlock_restrict_self");
    return 0;
}

void sbx_landlock_close(struct sbx_landlock *ll)
{
    sbx_closep(&ll->fd);
}
