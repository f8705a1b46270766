/* SPDX-License-Identifier: MIT */
/* Shared libraries mapped on first use instead of at every start.
 *
 * `sbx run` is paid for on every command an agent runs; the dynamic
 * loader mapping libraries that only plans use (SQLite for the ledger,
 * libnftables with its five dependencies for firewall rules) cost more
 * than the sandbox itself.  Those libraries are linked through stubs
 * instead: functions with the libraries' own names and prototypes, each
 * forwarding to the symbol dlsym() found when the library was opened.
 * Callers keep calling sqlite3_step() or nft_ctx_new() unchanged.
 *
 * A module that uses such a library loads it first with its load
 * function (sbx_sqlite_load, sbx_nft_load), which returns an error
 * naming the library when it is missing; a stub called before that loads
 * it itself and aborts with the reason if it cannot (a caller that forgot
 * to load first, never a user's situation).
 *
 * The slots are process-wide state, the same as the dynamic linker's
 * table they stand in for: written once, under a lock, before any stub
 * reads them; never changed afterwards. */
#ifndef SBX_UTIL_DYNLIB_H
#define SBX_UTIL_DYNLIB_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

struct sbx_dynlib {
    const char *soname;        /* as the build found it, e.g. libsqlite3.so.0 */
    const char *const *names;  /* the symbols, in slot order */
    void **slots;
    size_t n;
    pthread_mutex_t lock;
    atomic_bool ready;
};

#define SBX_DYNLIB_INIT(soname_, names_, slots_)                                          \
    {.soname = (soname_), .names = (names_), .slots = (slots_),                          \
     .n = sizeof(names_) / sizeof((names_)[0]), .lock = PTHREAD_MUTEX_INITIALIZER,        \
     .ready = false}

/* Map lib and resolve every symbol (once; later calls return at once). */
int sbx_dynlib_load(struct sbx_dynlib *lib, struct sbx_error *err);

/* Slot i of lib, loading it first if needed; aborts when it can't be. */
void *sbx_dynlib_sym(struct sbx_dynlib *lib, size_t i);

/* A stub file, from one list of the library's functions:
 *   #define FUNCS(F, V) F(ret, name, (params), (args)) V(name, (params), (args)) ...
 *   SBX_DYNLIB_DEFINE(FUNCS, "libfoo.so.1", sbx_foo_load)
 * F for functions that return a value, V for void ones; it defines the
 * stubs and `int sbx_foo_load(struct sbx_error *err)`. */
#define SBX_DYNLIB_NAME_F(ret, name, params, args) #name,
#define SBX_DYNLIB_NAME_V(name, params, args) #name,
#define SBX_DYNLIB_SLOT_F(ret, name, params, args) SLOT_##name,
#define SBX_DYNLIB_SLOT_V(name, params, args) SLOT_##name,
#define SBX_DYNLIB_STUB_F(ret, name, params, args)                                        \
    ret name params                                                                       \
    {                                                                                     \
        return ((ret(*) params)sbx_dynlib_sym(&lib, SLOT_##name)) args;                   \
    }
#define SBX_DYNLIB_STUB_V(name, params, args)                                             \
    void name params                                                                      \
    {                                                                                     \
        ((void(*) params)sbx_dynlib_sym(&lib, SLOT_##name)) args;                         \
    }
#define SBX_DYNLIB_DEFINE(FUNCS, soname, load_fn)                                         \
    static const char *const names[] = {FUNCS(SBX_DYNLIB_NAME_F, SBX_DYNLIB_NAME_V)};     \
    enum { FUNCS(SBX_DYNLIB_SLOT_F, SBX_DYNLIB_SLOT_V) N_SLOTS };                         \
    static void *slots[N_SLOTS];                                                          \
    static struct sbx_dynlib lib = SBX_DYNLIB_INIT(soname, names, slots);                 \
    FUNCS(SBX_DYNLIB_STUB_F, SBX_DYNLIB_STUB_V)                                           \
    int load_fn(struct sbx_error *err)                                                    \
    {                                                                                     \
        return sbx_dynlib_load(&lib, err);                                                \
    }

#endif
