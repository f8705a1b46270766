/* SPDX-License-Identifier: MIT */
/* A strict JSON syntax check (RFC 8259) for the CLI's --json output. */
#ifndef SBX_TESTS_JSON_CHECK_H
#define SBX_TESTS_JSON_CHECK_H

#include <stdbool.h>

/* True when s is exactly one JSON value (surrounding white space allowed). */
bool json_valid(const char *s);

#endif
