/* SPDX-License-Identifier: MIT */
/* Scope-bound cleanup: the one place sbx defines the cleanup-attribute
 * pattern, so that every early error return releases what its scope took
 * (fds, heap memory, FILE streams, objects of the libraries sbx uses).
 *
 * Header-only and free of engine dependencies: the setuid launcher uses it
 * too, and so does the Windows build (the fd helpers are POSIX-only and
 * left out there).
 *
 *     sbx_autofd int fd = open(...);
 *     sbx_autofree char *buf = malloc(n);
 *     sbx_autoclose_file FILE *f = fopen(...);
 *
 * A library type gets its cleanup once, at file scope, by name:
 *
 *     SBX_DEFINE_AUTOPTR(acl, acl_t, acl_free)
 *     sbx_autoptr(acl) acl_t a = acl_get_fd(fd);
 *
 * Every cleanup keeps errno as it was: the error path the scope is leaving
 * by may still be reporting it. */
#ifndef SBX_UTIL_CLEANUP_H
#define SBX_UTIL_CLEANUP_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef _WIN32
#include <unistd.h>
#endif

/* The attribute itself, for a value that owns something through a
 * function of its own (a struct holding buffers): fn(&var) at scope end. */
#define sbx_cleanup(fn) __attribute__((cleanup(fn)))

static inline void sbx_freep(void *p)
{
    void **pp = (void **)p;
    free(*pp);
    *pp = NULL;
}
#define sbx_autofree sbx_cleanup(sbx_freep)

/* For a stream whose close cannot fail in a way that matters (read-only);
 * a stream that was written is closed by hand and its fclose() checked. */
static inline void sbx_fclosep(FILE **f)
{
    if (*f) {
        int saved = errno;
        fclose(*f);
        errno = saved;
        *f = NULL;
    }
}
#define sbx_autoclose_file sbx_cleanup(sbx_fclosep)

/* SBX_DEFINE_AUTOPTR(name, type, fn): a cleanup for a variable of a
 * pointer type (type includes the '*' where it has one, e.g.
 * sqlite3_stmt *) that calls fn on it unless it is NULL; declare such a
 * variable with sbx_autoptr(name).  fn's result is ignored: nothing can be
 * done about a failed release at scope end. */
#define SBX_DEFINE_AUTOPTR(name, type, fn)                                                     \
    static inline void sbx_autoptr_cleanup_##name(type *p)                                     \
    {                                                                                          \
        if (*p) {                                                                              \
            int saved = errno;                                                                 \
            (void)fn(*p);                                                                      \
            errno = saved;                                                                     \
            *p = NULL;                                                                         \
        }                                                                                      \
    }
#define sbx_autoptr(name) sbx_cleanup(sbx_autoptr_cleanup_##name)

#ifndef _WIN32
/* File descriptors (POSIX close(); Windows code holds HANDLEs instead). */
static inline void sbx_closep(int *fd)
{
    if (*fd >= 0) {
        int saved = errno;
        close(*fd);
        errno = saved;
        *fd = -1;
    }
}
#define sbx_autofd sbx_cleanup(sbx_closep)

/* Hand an fd out of a scope without it being closed there. */
static inline int sbx_steal_fd(int *fd)
{
    int r = *fd;
    *fd = -1;
    return r;
}
#endif

#endif
