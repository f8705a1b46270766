/* SPDX-License-Identifier: MIT */
/* Errors returned by the engine: a code and a message that names the object.
 *
 * Library code never prints and never exits: every function that can fail
 * returns 0 or a negative SBX_E* code and fills a struct sbx_error the CLI
 * prints. */
#ifndef SBX_UTIL_ERROR_H
#define SBX_UTIL_ERROR_H

#include <stddef.h>

/* printf-style checking; mingw's ANSI stdio takes the GNU formats (%zu). */
#ifdef _WIN32
#define SBX_PRINTF(fmt, args) __attribute__((format(gnu_printf, fmt, args)))
#else
#define SBX_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#endif

enum sbx_errc {
    SBX_OK = 0,
    SBX_EINVAL = 1,   /* bad input from the user */
    SBX_EIO = 2,      /* an OS call failed */
    SBX_ENOENT = 3,   /* something that should exist does not */
    SBX_EPERM = 4,    /* not allowed (privilege, ownership) */
    SBX_ELOCKED = 5,  /* another plan holds the lock */
    SBX_ENEWER = 6,   /* ledger written by a newer sbx */
    SBX_ECORRUPT = 7, /* ledger damaged or not a ledger */
    SBX_ENOTSUP = 8,  /* not built / not supported on this platform or kernel */
    SBX_EFAULT = 9,   /* injected fault (SBX_FAULT=fail:K) */
    SBX_EDRIFT = 10,  /* ledger and OS disagree */
    SBX_ENOMEM = 11,
    SBX_ESTATE = 12,  /* operation not valid in the current state (e.g. stale plan) */
};

#define SBX_ERR_MSG_MAX 1024

struct sbx_error {
    int code;                  /* an enum sbx_errc, positive; 0 = no error */
    char msg[SBX_ERR_MSG_MAX]; /* what failed, on which object, what to do */
};

/* Set the error and return -code, so callers can write
 * `return sbx_err_set(err, SBX_EINVAL, "...");`. err may be NULL. */
int sbx_err_set(struct sbx_error *err, int code, const char *fmt, ...)
    SBX_PRINTF(3, 4);

/* Like sbx_err_set, with ": <strerror(errnum)>" appended. */
int sbx_err_sys(struct sbx_error *err, int code, int errnum, const char *fmt, ...)
    SBX_PRINTF(4, 5);

/* Prefix the existing message with more context ("while X: <old message>"). */
int sbx_err_wrap(struct sbx_error *err, const char *fmt, ...)
    SBX_PRINTF(2, 3);

void sbx_err_clear(struct sbx_error *err);

/* Short name of a code, for JSON output ("invalid", "locked", ...). */
const char *sbx_errc_name(int code);

#endif
