/* SPDX-License-Identifier: MIT */
/* The Windows escape probe's attempts, shared by probe.c (the command line,
 * the fixtures, the report), probe_fs.c (files, links, paths) and
 * probe_sys.c (network, registry, desktop, processes, services,
 * privileges, and the positives). */
#ifndef SBX_TESTS_WIN32_ESCAPE_PROBE_H
#define SBX_TESTS_WIN32_ESCAPE_PROBE_H

#include <windows.h>

#include <stdbool.h>
#include <stddef.h>

struct probe {
    const char *ws, *outside, *state, *caller_temp, *caller_profile;
    unsigned long caller_pid;
    int port; /* the --serve listener's, 0: none */
    char why[512]; /* what an attempt that could not be made says */
};

enum attempt_kind {
    FORBIDDEN, /* must fail inside, succeed outside */
    NETWORK,   /* forbidden when the run is offline (elevated mode) */
    POSITIVE,  /* must succeed inside and outside */
};

struct attempt {
    const char *name;
    enum attempt_kind kind;
    /* true when the action succeeded (and was undone where it can be) */
    bool (*run)(struct probe *p);
};

extern const struct attempt probe_fs_attempts[];
extern const size_t probe_fs_count;
extern const struct attempt probe_sys_attempts[];
extern const size_t probe_sys_count;

/* Helpers (probe_fs.c). */
void probe_path(char *out, size_t len, const char *dir, const char *leaf);
bool probe_write(const char *path, DWORD disposition);
bool probe_put(const char *path, const char *text); /* create or replace (fixtures) */

#endif
