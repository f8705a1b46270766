/* SPDX-License-Identifier: MIT */
/* Shared by the unit tests: temporary directories and the fake machine. */
#ifndef SBX_TESTS_UNIT_HELPERS_H
#define SBX_TESTS_UNIT_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "modes/os/fake/fake.h"
#include "state/ledger.h"
#include "util/platform.h"

/* A fresh directory under $TMPDIR, removed (recursively) by rm_tree. */
char *make_temp_dir(void);
void rm_tree(const char *dir);
/* path = dir + "/" + name, in a static-free caller buffer. */
void path_join(char *out, size_t len, const char *dir, const char *name);
/* Write a file with the given content. */
void write_file(const char *path, const void *data, size_t len);
/* Read a whole file (caller frees); NULL when missing. */
char *read_file(const char *path, size_t *len);

/* Assert that the fake machine's sbx objects are exactly the ledger's
 * present OS resources (same keys, same principals). */
void assert_fake_matches_ledger(struct sbx_os *os, struct sbx_ledger *l);

/* Run this test program again with args (NULL-terminated) and wait:
 * returns its exit status (128+N for a signal on POSIX; on Windows the
 * exit code, 137 for sbx_proc_crash). */
int spawn_self(const char *self, const char *const *args);

/* The exit status of a process that sbx_proc_crash() ended. */
#ifdef _WIN32
#define CRASH_STATUS 137
#else
#define CRASH_STATUS (128 + 9)
#endif

/* How run_sbx_v runs sbx: another binary, as another user, in a
 * directory, with extra environment entries (env) or exactly envp. */
struct sbx_run_opts {
    const char *bin;         /* NULL: $SBX_BIN */
    unsigned uid, gid;       /* uid 0: stay who we are */
    const char *cwd;
    const char *const *env;  /* added to ours */
    const char *const *envp; /* instead of ours */
};
int run_sbx_v(const struct sbx_run_opts *o, char **out, char **err, const char *const *args);

/* Run `sbx ARGS...` (SBX_BIN) with extra environment entries, capturing
 * stdout and stderr; returns the exit status (128+N for a signal). */
int run_sbx(const char *const *env, char **out, char **err, const char *arg0, ...);

#endif
