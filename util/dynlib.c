/* SPDX-License-Identifier: MIT */
/* Libraries mapped on first use (dynlib.h). */
#include "util/dynlib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

static int load_locked(struct sbx_dynlib *lib, struct sbx_error *err)
{
    /* RTLD_LOCAL: the library's symbols stay out of the global scope,
     * where they would interpose the stubs of the same names. */
    void *h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        return sbx_err_set(err, SBX_ENOTSUP, "cannot load %s (%s): install it (Debian: the "
                                             "package that ships %s)",
                           lib->soname, why ? why : "not found", lib->soname);
    }
    for (size_t i = 0; i < lib->n; i++) {
        dlerror();
        void *p = dlsym(h, lib->names[i]);
        if (!p) {
            const char *why = dlerror();
            sbx_err_set(err, SBX_ENOTSUP, "%s has no %s (%s): a version older than sbx was "
                                          "built against",
                        lib->soname, lib->names[i], why ? why : "no such symbol");
            dlclose(h);
            return -SBX_ENOTSUP;
        }
        lib->slots[i] = p;
    }
    /* The handle stays open for the process's life, as a linked
     * library's does. */
    atomic_store_explicit(&lib->ready, true, memory_order_release);
    return 0;
}

int sbx_dynlib_load(struct sbx_dynlib *lib, struct sbx_error *err)
{
    if (atomic_load_explicit(&lib->ready, memory_order_acquire))
        return 0;
    pthread_mutex_lock(&lib->lock);
    int rc = atomic_load_explicit(&lib->ready, memory_order_relaxed) ? 0
                                                                    : load_locked(lib, err);
    pthread_mutex_unlock(&lib->lock);
    return rc;
}

void *sbx_dynlib_sym(struct sbx_dynlib *lib, size_t i)
{
    if (!atomic_load_explicit(&lib->ready, memory_order_acquire)) {
        struct sbx_error err = {0};
        if (sbx_dynlib_load(lib, &err) != 0) {
            /* Only a caller that did not load first gets here: there is no
             * way to return an error through the library's own API. */
            fprintf(stderr, "sbx: %s\n", err.msg);
            abort();
        }
    }
    return lib->slots[i];
}
