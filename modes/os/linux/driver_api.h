/* SPDX-License-Identifier: MIT */
/* What the Linux plan driver offers the layers above it besides the
 * sbx_os interface: account and group look-ups, file hashes, and the probe
 * of an installed file (the elevated mode's health check).  Internals of
 * the driver are in driver_int.h. */
#ifndef SBX_MODES_OS_LINUX_DRIVER_API_H
#define SBX_MODES_OS_LINUX_DRIVER_API_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "state/resource.h"
#include "util/error.h"

/* Password/group database lookups.  0 found, -SBX_ENOENT not found. */
int sbx_drv_user_by_name(const char *name, uid_t *uid, gid_t *gid, char *gecos, size_t gecos_len,
                         char *home, size_t home_len);
int sbx_drv_user_by_uid(uid_t uid, char *name, size_t name_len, char *gecos, size_t gecos_len);
int sbx_drv_group_by_name(const char *name, gid_t *gid);
int sbx_drv_group_by_gid(gid_t gid, char *name, size_t name_len);
/* Is user `name` listed as a member of group gid? */
int sbx_drv_group_has_member(gid_t gid, const char *name, bool *out);

/* SHA-256 of a buffer / of a file, as 64 hex digits. */
void sbx_drv_sha256_hex(const void *data, size_t len, char out[65]);
int sbx_drv_sha256_file(int fd, char out[65], struct sbx_error *err);
int sbx_drv_sha256_path(const char *path, char out[65], struct sbx_error *err);

/* Is the installed file r describes present as recorded (content hash,
 * owner, group, mode)? */
int sbx_drv_file_probe(const struct sbx_resource *r, enum sbx_presence *out,
                       struct sbx_error *err);

#endif
