/* SPDX-License-Identifier: MIT */
/* Landlock through its raw syscalls, with the project's own UAPI
 * definitions up to ABI 7 (Debian 12's <linux/landlock.h> stops at ABI 2,
 * the kernels we run on speak 7).  The ABI is probed at run time and every
 * right the running kernel knows is handled. */
#ifndef SBX_MODES_CONFINE_LINUX_LANDLOCK_H
#define SBX_MODES_CONFINE_LINUX_LANDLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* Filesystem rights (ABI 1: bits 0-12, ABI 2: REFER, ABI 3: TRUNCATE,
 * ABI 5: IOCTL_DEV). */
#define SBX_LL_FS_EXECUTE (1ULL << 0)
#define SBX_LL_FS_WRITE_FILE (1ULL << 1)
#define SBX_LL_FS_READ_FILE (1ULL << 2)
#define SBX_LL_FS_READ_DIR (1ULL << 3)
#define SBX_LL_FS_REMOVE_DIR (1ULL << 4)
#define SBX_LL_FS_REMOVE_FILE (1ULL << 5)
#define SBX_LL_FS_MAKE_CHAR (1ULL << 6)
#define SBX_LL_FS_MAKE_DIR (1ULL << 7)
#define SBX_LL_FS_MAKE_REG (1ULL << 8)
#define SBX_LL_FS_MAKE_SOCK (1ULL << 9)
#define SBX_LL_FS_MAKE_FIFO (1ULL << 10)
#define SBX_LL_FS_MAKE_BLOCK (1ULL << 11)
#define SBX_LL_FS_MAKE_SYM (1ULL << 12)
#define SBX_LL_FS_REFER (1ULL << 13)
#define SBX_LL_FS_TRUNCATE (1ULL << 14)
#define SBX_LL_FS_IOCTL_DEV (1ULL << 15)

/* Network rights (ABI 4). */
#define SBX_LL_NET_BIND_TCP (1ULL << 0)
#define SBX_LL_NET_CONNECT_TCP (1ULL << 1)

/* Scopes (ABI 6). */
#define SBX_LL_SCOPE_ABSTRACT_UNIX (1ULL << 0)
#define SBX_LL_SCOPE_SIGNAL (1ULL << 1)

/* Rights a caller asks for on a path; masked down to what the ABI knows
 * and to the file rights when the path is not a directory. */
#define SBX_LL_READ (SBX_LL_FS_EXECUTE | SBX_LL_FS_READ_FILE | SBX_LL_FS_READ_DIR)
#define SBX_LL_ALL ((1ULL << 16) - 1)
#define SBX_LL_DEVICE \
    (SBX_LL_FS_READ_FILE | SBX_LL_FS_WRITE_FILE | SBX_LL_FS_TRUNCATE | SBX_LL_FS_IOCTL_DEV)

/* The Landlock ABI of the running kernel: 0 when Landlock is not built in
 * or disabled at boot. */
int sbx_landlock_abi(void);

/* What this kernel's Landlock cannot enforce for the policy sbx wants
 * (net: whether the network is on), as short sentences, one per call of
 * add(note, ctx). */
void sbx_landlock_gaps(int abi, bool net, void (*add)(const char *note, void *ctx), void *ctx);

struct sbx_landlock {
    int fd;        /* the ruleset */
    int abi;
    uint64_t fs;   /* handled filesystem rights */
    bool net_handled; /* TCP bind/connect handled (network off, ABI >= 4) */
};

/* A ruleset handling every filesystem right of the ABI, TCP bind/connect
 * when !net (ABI >= 4, no port allowed but those of
 * sbx_landlock_allow_tcp_connect), and signal and abstract unix socket
 * scoping whatever net says (ABI >= 6). */
int sbx_landlock_create(struct sbx_landlock *ll, int abi, bool net, struct sbx_error *err);

/* Allow `access` beneath path (an fd for it is opened O_PATH and closed). */
int sbx_landlock_allow(struct sbx_landlock *ll, const char *path, uint64_t access,
                       struct sbx_error *err);
/* Same for an O_PATH (or any) fd; name is only for the message. */
int sbx_landlock_allow_fd(struct sbx_landlock *ll, int fd, const char *name, uint64_t access,
                          struct sbx_error *err);

/* Allow connect() to TCP port `port` (any address: the elevated mode's
 * firewall keeps it to loopback).  Nothing to do when TCP is not handled
 * (network on, or ABI < 4). */
int sbx_landlock_allow_tcp_connect(struct sbx_landlock *ll, unsigned port, struct sbx_error *err);

/* Enforce on the calling thread (needs no_new_privs or CAP_SYS_ADMIN). */
int sbx_landlock_enforce(struct sbx_landlock *ll, struct sbx_error *err);

void sbx_landlock_close(struct sbx_landlock *ll);

#endif
