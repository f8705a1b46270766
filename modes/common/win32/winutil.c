/* SPDX-License-Identifier: MIT */
#include "modes/common/win32/winutil.h"

#include <windows.h>
#include <bcrypt.h>

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef STATUS_SUCCESS
#define STATUS_SUCCESS ((NTSTATUS)0)
#endif

int sbx_win_errc(unsigned long e)
{
    switch (e) {
    case ERROR_ACCESS_DENIED:
    case ERROR_PRIVILEGE_NOT_HELD:
    case ERROR_INVALID_OWNER:
        return SBX_EPERM;
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
    case ERROR_NONE_MAPPED:
    case ERROR_NO_SUCH_USER:
    case ERROR_NO_SUCH_ALIAS:
    case ERROR_NO_SUCH_GROUP:
    case ERROR_NO_SUCH_MEMBER:
        return SBX_ENOENT;
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY:
        return SBX_ENOMEM;
    default:
        return SBX_EIO;
    }
}

/* System text of a message id, trimmed, as UTF-8 into out. */
static void system_message(unsigned long id, char *out, size_t len)
{
    wchar_t *buf = NULL;
    DWORD n = FormatMessageW(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM |
                                 FORMAT_MESSAGE_IGNORE_INSERTS,
                             NULL, (DWORD)id, 0, (LPWSTR)&buf, 0, NULL);
    out[0] = '\0';
    if (n == 0 || !buf) {
        snprintf(out, len, "unknown error");
        return;
    }
    while (n > 0 && (buf[n - 1] == L'\r' || buf[n - 1] == L'\n' || buf[n - 1] == L' ' ||
                     buf[n - 1] == L'.'))
        buf[--n] = L'\0';
    if (sbx_utf8_buf(buf, out, len) != 0)
        snprintf(out, len, "unknown error");
    LocalFree(buf);
}

static int append_v(struct sbx_error *err, int code, const char *suffix, const char *fmt,
                    va_list ap)
{
    if (!err)
        return -code;
    err->code = code;
    int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    if (n >= 0 && (size_t)n < sizeof err->msg)
        snprintf(err->msg + n, sizeof err->msg - (size_t)n, ": %s", suffix);
    return -code;
}

int sbx_win_err(struct sbx_error *err, int code, unsigned long winerr, const char *fmt, ...)
{
    char sys[400], suffix[480];
    system_message(winerr, sys, sizeof sys);
    snprintf(suffix, sizeof suffix, "%s (error %lu)", sys, winerr);
    if (code == 0)
        code = sbx_win_errc(winerr);
    va_list ap;
    va_start(ap, fmt);
    int rc = append_v(err, code, suffix, fmt, ap);
    va_end(ap);
    return rc;
}

int sbx_win_hr(struct sbx_error *err, int code, long hr, const char *fmt, ...)
{
    char sys[400], suffix[480];
    system_message((unsigned long)hr, sys, sizeof sys);
    snprintf(suffix, sizeof suffix, "%s (HRESULT 0x%08lx)", sys, (unsigned long)hr);
    if (code == 0)
        code = (unsigned long)hr == (unsigned long)E_ACCESSDENIED ? SBX_EPERM : SBX_EIO;
    va_list ap;
    va_start(ap, fmt);
    int rc = append_v(err, code, suffix, fmt, ap);
    va_end(ap);
    return rc;
}

wchar_t *sbx_wide(const char *s)
{
    if (!s)
        return NULL;
    int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
    if (n <= 0)
        return NULL;
    wchar_t *w = malloc((size_t)n * sizeof *w);
    if (w && MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n) != n) {
        free(w);
        return NULL;
    }
    return w;
}

char *sbx_utf8(const wchar_t *w)
{
    if (!w)
        return NULL;
    int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
    if (n <= 0)
        return NULL;
    char *s = malloc((size_t)n);
    if (s && WideCharToMultiByte(CP_UTF8, 0, w, -1, s, n, NULL, NULL) != n) {
        free(s);
        return NULL;
    }
    return s;
}

int sbx_utf8_buf(const wchar_t *w, char *out, size_t len)
{
    if (len == 0 || len > INT32_MAX)
        return -SBX_EINVAL;
    int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, out, (int)len, NULL, NULL);
    if (n <= 0) {
        out[0] = '\0';
        return -SBX_EINVAL;
    }
    return 0;
}

int sbx_wide_buf(const char *s, wchar_t *out, size_t len)
{
    if (len == 0 || len > INT32_MAX)
        return -SBX_EINVAL;
    int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, out, (int)len);
    if (n <= 0) {
        out[0] = L'\0';
        return -SBX_EINVAL;
    }
    return 0;
}

int sbx_random_bytes(void *buf, size_t n, struct sbx_error *err)
{
    if (n > ULONG_MAX)
        return sbx_err_set(err, SBX_EINVAL, "random request of %lu bytes is too large", (unsigned long)n);
    NTSTATUS st = BCryptGenRandom(NULL, buf, (ULONG)n, BCRYPT_USE_SYSTEM_PREFERRED_RNG);
    if (st != STATUS_SUCCESS)
        return sbx_err_set(err, SBX_EIO,
                           "the system random number generator failed (NTSTATUS 0x%08lx)",
                           (unsigned long)st);
    return 0;
}
