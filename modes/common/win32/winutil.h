/* SPDX-License-Identifier: MIT */
/* Small Win32 helpers shared by the Windows driver, run-time and modes:
 * error messages from GetLastError() / HRESULT codes, UTF-8 <-> UTF-16
 * conversion, the system random number generator. */
#ifndef SBX_MODES_COMMON_WIN32_WINUTIL_H
#define SBX_MODES_COMMON_WIN32_WINUTIL_H

#include <stddef.h>
#include <wchar.h>

#include "util/error.h"

/* Like sbx_err_set, with ": <system message> (error N)" appended for a Win32
 * error code.  code 0 picks the sbx code from the Win32 code
 * (sbx_win_errc). */
int sbx_win_err(struct sbx_error *err, int code, unsigned long winerr, const char *fmt, ...)
    __attribute__((format(gnu_printf, 4, 5)));
/* The same for an HRESULT (COM calls). */
int sbx_win_hr(struct sbx_error *err, int code, long hr, const char *fmt, ...)
    __attribute__((format(gnu_printf, 4, 5)));
/* SBX_EPERM for access denied, SBX_ENOENT for not-found codes, else SBX_EIO. */
int sbx_win_errc(unsigned long winerr);

/* Conversions; the result is malloc'd (free it), NULL on bad input or no
 * memory. */
wchar_t *sbx_wide(const char *utf8);
char *sbx_utf8(const wchar_t *wide);
/* Into a caller buffer; -SBX_EINVAL when it does not fit. */
int sbx_utf8_buf(const wchar_t *wide, char *out, size_t len);
int sbx_wide_buf(const char *utf8, wchar_t *out, size_t len);

/* Fill buf with n bytes from the system RNG (BCryptGenRandom). */
int sbx_random_bytes(void *buf, size_t n, struct sbx_error *err);

#endif
