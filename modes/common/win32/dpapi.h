/* SPDX-License-Identifier: MIT */
/* Secrets kept for the calling user with DPAPI (CryptProtectData, user
 * scope, sbx's own entropy), as base64 text.  The plan driver protects an
 * account's password at setup; the elevated mode's run unprotects it. */
#ifndef SBX_MODES_COMMON_WIN32_DPAPI_H
#define SBX_MODES_COMMON_WIN32_DPAPI_H

#include <stddef.h>

#include "util/error.h"

/* Protect n bytes of data; *b64 is malloc'd base64 (one line). */
int sbx_dpapi_protect(const void *data, size_t n, const char *what, char **b64,
                      struct sbx_error *err);
/* Reverse; *data is malloc'd with a NUL after *n bytes.  The caller wipes
 * it (sbx_secure_zero) and frees it. */
int sbx_dpapi_unprotect(const char *b64, const char *what, void **data, size_t *n,
                        struct sbx_error *err);

#endif
