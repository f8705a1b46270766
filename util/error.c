/* SPDX-License-Identifier: MIT */
#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int set_v(struct sbx_error *err, int code, const char *fmt, va_list ap)
{
    if (err) {
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    }
    return -code;
}

int sbx_err_set(struct sbx_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = set_v(err, code, fmt, ap);
    va_end(ap);
    return rc;
}

int sbx_err_sys(struct sbx_error *err, int code, int errnum, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = set_v(err, code, fmt, ap);
    va_end(ap);
    if (err) {
        size_t len = strlen(err->msg);
        snprintf(err->msg + len, sizeof err->msg - len, ": %s", strerror(errnum));
    }
    return rc;
}

int sbx_err_wrap(struct sbx_error *err, const char *fmt, ...)
{
    if (!err)
        return -SBX_EIO;
    char old[SBX_ERR_MSG_MAX];
    memcpy(old, err->msg, sizeof old);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    /* Append ": <old>" by hand, truncating: the context matters more than
     * the tail of a long message. */
    size_t at = n < 0 ? 0 : (size_t)n >= sizeof err->msg ? sizeof err->msg - 1 : (size_t)n;
    const char *parts[2] = {": ", old};
    for (int i = 0; i < 2; i++)
        for (const char *c = parts[i]; *c && at + 1 < sizeof err->msg; c++)
            err->msg[at++] = *c;
    err->msg[at] = '\0';
    if (err->code == 0)
        err->code = SBX_EIO;
    return -err->code;
}

void sbx_err_clear(struct sbx_error *err)
{
    if (err) {
        err->code = 0;
        err->msg[0] = '\0';
    }
}

const char *sbx_errc_name(int code)
{
    if (code < 0)
        code = -code;
    switch (code) {
    case SBX_OK: return "ok";
    case SBX_EINVAL: return "invalid";
    case SBX_EIO: return "io";
    case SBX_ENOENT: return "not_found";
    case SBX_EPERM: return "permission";
    case SBX_ELOCKED: return "locked";
    case SBX_ENEWER: return "newer_schema";
    case SBX_ECORRUPT: return "corrupt";
    case SBX_ENOTSUP: return "not_supported";
    case SBX_EFAULT: return "injected_fault";
    case SBX_EDRIFT: return "drift";
    case SBX_ENOMEM: return "no_memory";
    case SBX_ESTATE: return "state";
    default: return "unknown";
    }
}
