/* SPDX-License-Identifier: MIT */
/* The fuzz targets' invariant check: CHECK(cond, fmt, ...) prints which
 * invariant broke, where, and why, then aborts, so that libFuzzer keeps
 * the input as a crash artifact.  Define FUZZ_TARGET (the target's name,
 * a string) before including this, and FUZZ_BEFORE_ABORT() for what must
 * happen first (abort() skips atexit). */
#ifndef SBX_TESTS_FUZZ_CHECK_H
#define SBX_TESTS_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#ifndef FUZZ_BEFORE_ABORT
#define FUZZ_BEFORE_ABORT() ((void)0)
#endif

#define CHECK(cond, ...)                                                                   \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, FUZZ_TARGET ": invariant broken (%s:%d): ", __FILE__,          \
                    __LINE__);                                                             \
            fprintf(stderr, __VA_ARGS__);                                                  \
            fputc('\n', stderr);                                                           \
            FUZZ_BEFORE_ABORT();                                                           \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

#endif
