/* SPDX-License-Identifier: MIT */
/* Confining the calling process: capabilities, no_new_privs, Landlock,
 * seccomp, in that order (Landlock needs no_new_privs; seccomp comes last
 * because it refuses syscalls the earlier steps still make).  With
 * --allow-unix, the broker (unix_broker.h) is started between Landlock and
 * seccomp: in the command's domain, not under its filter. */
#ifndef SBX_MODES_CONFINE_LINUX_POLICY_H
#define SBX_MODES_CONFINE_LINUX_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "modes/confine/linux/unix_broker.h"
#include "util/error.h"

/* The elevated mode's --allow-unix: the sockets the launcher opened as the
 * caller, and a socket to the connector holding them. */
struct sbx_unix_remote {
    int sock;                           /* to sbx_unix_connector_serve */
    const struct sbx_unix_allow *allow; /* path, real, dev, ino (fd -1) */
    size_t n;
};

struct sbx_policy {
    const char *const *rw;  /* full Landlock rights beneath these */
    size_t n_rw;
    /* When set, rw_fd[i] is a descriptor on rw[i] that the caller checked
     * (wspath.h), and the rule is built from it: a name looked up again
     * could lead elsewhere by now.  rw[i] then only names it in messages. */
    const int *rw_fd;
    bool net;               /* network on: IP sockets (never unix ones) */
    bool private_dev;       /* /dev is sbx's own (devpts + shm): grant them */
    /* Network off: TCP ports connect() may reach all the same (the elevated
     * mode's loopback ports; the firewall keeps them to loopback).  TCP
     * sockets only, no bind. */
    const unsigned *tcp_ports;
    size_t n_tcp_ports;
    /* --allow-unix: host unix sockets the command may connect to (absolute
     * paths), opened and checked when the policy is applied; or, when
     * unix_remote is set, the launcher's (unix_allow is then unused). */
    const char *const *unix_allow;
    size_t n_unix_allow;
    const struct sbx_unix_remote *unix_remote;
};

/* Apply to the calling thread.  abi: sbx_landlock_abi() (0 refuses). */
int sbx_policy_apply(const struct sbx_policy *p, int abi, struct sbx_error *err);

/* Set no_new_privs and drop every capability (ambient and inheritable
 * included), except, when the effective uid is 0, the file-access ones a
 * root caller needs to keep reading and writing what it owns (CHOWN,
 * DAC_OVERRIDE, DAC_READ_SEARCH, FOWNER, FSETID): nothing executed
 * afterwards, root's programs included, can hold more. */
int sbx_caps_drop(struct sbx_error *err);

#endif
