/* SPDX-License-Identifier: MIT */
/* The fake OS: an in-memory model of accounts, groups, memberships, ACL
 * entries, firewall rules, credentials and files, kept in a file so that a
 * child process that crashes mid-plan leaves its changes for the next one
 * to find, exactly as a real machine would.
 *
 * It enforces what a real OS would: an ACL entry, firewall rule or
 * credential needs its account; a membership needs its group; an account
 * or group still referenced can't be removed; an object sbx did not create
 * is never removed (-SBX_EPERM). */
#ifndef SBX_MODES_OS_FAKE_H
#define SBX_MODES_OS_FAKE_H

#include <stdbool.h>
#include <stddef.h>

#include "modes/os/os.h"

/* Open (or create, empty, privilege admin) the fake machine kept in file
 * `path`. */
int sbx_fake_os_open(const char *path, struct sbx_os **out, struct sbx_error *err);

/* Put an object on the machine that sbx did not create (a user's own
 * account, another tool's firewall rule): sbx must never remove it. */
int sbx_fake_os_add_foreign(struct sbx_os *os, enum sbx_rkind kind, const char *key,
                            const char *name, struct sbx_error *err);

/* Canonical text of the machine's objects (sorted, one per line, without
 * the id counter): equal texts mean equal machines.  Caller frees. */
int sbx_fake_os_snapshot(struct sbx_os *os, char **out, struct sbx_error *err);

/* Number of objects on the machine (sbx's and foreign). */
int sbx_fake_os_count(struct sbx_os *os, size_t *out, struct sbx_error *err);

/* The object (kind, key), if present: its principal (assigned id). */
int sbx_fake_os_lookup(struct sbx_os *os, enum sbx_rkind kind, const char *key, bool *present,
                       char *principal, size_t principal_len, struct sbx_error *err);

#endif
