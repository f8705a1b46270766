/* SPDX-License-Identifier: MIT */
/* Security identifiers as data: parse and format "S-1-5-21-a-b-c-d" without
 * the OS (pure, unit tested), and generate the unelevated mode's synthetic
 * capability SID from the system RNG. */
#ifndef SBX_MODES_COMMON_WIN32_SID_H
#define SBX_MODES_COMMON_WIN32_SID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define SBX_SID_MAX_SUB 15
/* "S-1-" + 0x + 12 hex + 15 * ("-" + 10 digits) + NUL, rounded up. */
#define SBX_SID_STR_MAX 192

struct sbx_sid {
    uint8_t revision;       /* always 1 */
    uint64_t authority;     /* 48 bits */
    uint8_t n_sub;          /* 1..15 */
    uint32_t sub[SBX_SID_MAX_SUB];
};

/* Parse a SID string (S-1-..., case-insensitive 'S', authority decimal or
 * 0x-hex); -SBX_EINVAL with a message naming the text on anything else. */
int sbx_sid_parse(const char *s, struct sbx_sid *out, struct sbx_error *err);
/* Canonical string form (what ConvertSidToStringSidW prints). -SBX_EINVAL
 * when out is too small or the SID is malformed. */
int sbx_sid_format(const struct sbx_sid *sid, char *out, size_t len);
/* Canonicalise a SID string in place-free fashion: parse + format. */
int sbx_sid_canonical(const char *s, char *out, size_t len, struct sbx_error *err);

/* A capability SID S-1-5-21-a-b-c-d from 16 random bytes (little-endian
 * words).  Pure, so tests can give the bytes. */
void sbx_sid_capability_from_bytes(const uint8_t bytes[16], struct sbx_sid *out);
/* True for the S-1-5-21-a-b-c-d shape the capability SIDs have. */
bool sbx_sid_is_capability_shape(const struct sbx_sid *sid);

/* A new random capability SID from the system RNG, as a string. */
int sbx_sid_generate_capability(char *out, size_t len, struct sbx_error *err);

#endif
