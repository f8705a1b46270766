/* Scope-bound cleanup for fds and heap memory, so that every early error
 * return in the confinement code releases what it took. */
#ifndef SBX_UTIL_CLEANUP_H
#define SBX_UTIL_CLEANUP_H

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static inline void sbx_closep(int *fd)
{
    if (*fd >= 0) {
        /* close() must not clobber the errno an error path is reporting. */
        int saved = errno;
        close(*fd);
        errno = saved;
        *fd = -1;
    }
}

static inline void sbx_freep(void *p)
{
    void **pp = (void **)p;
    free(*pp);
    *pp = NULL;
}

/* Hand an fd out of a scope without it being closed there. */
static inline int sbx_steal_fd(int *fd)
{
    int r = *fd;
    *fd = -1;
    return r;
}

#define sbx_autofd __attribute__((cleanup(sbx_closep)))
#define sbx_autofree __attribute__((cleanup(sbx_freep)))

#endif
