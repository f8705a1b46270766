/* SPDX-License-Identifier: MIT */
/* Random passwords for the elevated mode's accounts.  The generator is pure
 * over the random bytes it is given (unit tested); sbx_password_generate
 * feeds it from the system RNG.  Shared: the plan driver sets a password on
 * each account, the elevated mode's run reads it back into a buffer of
 * SBX_PASSWORD_LEN and wipes it with sbx_secure_zero. */
#ifndef SBX_MODES_COMMON_WIN32_PASSWORD_H
#define SBX_MODES_COMMON_WIN32_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define SBX_PASSWORD_LEN 32

/* 64-symbol alphabet, so a byte maps to a symbol with no bias (byte & 63). */
extern const char sbx_password_alphabet[65];

/* out (SBX_PASSWORD_LEN + 1 bytes) from bytes[SBX_PASSWORD_LEN].  Returns
 * true when the result meets Windows' complexity rule in full (upper,
 * lower, digit and symbol all present); false means "draw again". */
bool sbx_password_from_bytes(const uint8_t bytes[SBX_PASSWORD_LEN],
                             char out[SBX_PASSWORD_LEN + 1]);

/* A complex password from the system RNG. */
int sbx_password_generate(char out[SBX_PASSWORD_LEN + 1], struct sbx_error *err);

/* Overwrite secrets so they don't linger in memory. */
void sbx_secure_zero(void *p, size_t n);

#endif
