/* SPDX-License-Identifier: MIT */
/* The attempts of sbx-probe, shared by the probe and the escape suite. */
#ifndef SBX_TESTS_ESCAPE_PROBE_ATTEMPTS_H
#define SBX_TESTS_ESCAPE_PROBE_ATTEMPTS_H

#include <stdbool.h>
#include <stddef.h>

#include "tests/escape/probe.h"

struct probe_attempt;
extern const struct probe_attempt probe_attempts[];
extern const size_t probe_n_attempts;

/* Run the attempt called name; prints the RESULT line, returns the exit
 * status (0 blocked / ok, 1 escaped / failed, 2 error). */
int probe_run(const char *name);

#endif
