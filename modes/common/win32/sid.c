/* SPDX-License-Identifier: MIT */
#include "modes/common/win32/sid.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "modes/common/win32/winutil.h"

/* Parse an unsigned decimal (or 0x-hex when hex_ok) number of at most max;
 * advances *p past it. */
static bool parse_num(const char **p, uint64_t max, bool hex_ok, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    int base = 10;
    if (hex_ok && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    const char *start = s;
    for (;; s++) {
        int d;
        if (*s >= '0' && *s <= '9')
            d = *s - '0';
        else if (base == 16 && *s >= 'a' && *s <= 'f')
            d = *s - 'a' + 10;
        else if (base == 16 && *s >= 'A' && *s <= 'F')
            d = *s - 'A' + 10;
        else
            break;
        if (v > (max - (uint64_t)d) / (uint64_t)base)
            return false;
        v = v * (uint64_t)base + (uint64_t)d;
        if (s - start > 20)
            return false;
    }
    if (s == start)
        return false;
    *out = v;
    *p = s;
    return true;
}

int sbx_sid_parse(const char *text, struct sbx_sid *out, struct sbx_error *err)
{
    const char *p = text;
    uint64_t v;
    memset(out, 0, sizeof *out);
    if (!p || (p[0] != 'S' && p[0] != 's') || p[1] != '-')
        goto bad;
    p += 2;
    if (!parse_num(&p, 255, false, &v) || v != 1 || *p != '-')
        goto bad;
    out->revision = 1;
    p++;
    if (!parse_num(&p, UINT64_C(0xFFFFFFFFFFFF), true, &v))
        goto bad;
    out->authority = v;
    while (*p == '-') {
        p++;
        if (out->n_sub == SBX_SID_MAX_SUB || !parse_num(&p, UINT32_MAX, false, &v))
            goto bad;
        out->sub[out->n_sub++] = (uint32_t)v;
    }
    if (*p != '\0' || out->n_sub == 0)
        goto bad;
    return 0;
bad:
    return sbx_err_set(err, SBX_EINVAL,
                       "'%s' is not a security identifier (expected S-1-<authority>-<n>...)",
                       text ? text : "");
}

int sbx_sid_format(const struct sbx_sid *sid, char *out, size_t len)
{
    if (sid->revision != 1 || sid->n_sub == 0 || sid->n_sub > SBX_SID_MAX_SUB ||
        sid->authority > UINT64_C(0xFFFFFFFFFFFF) || len == 0)
        return -SBX_EINVAL;
    int n;
    if (sid->authority >= UINT64_C(0x100000000))
        n = snprintf(out, len, "S-1-0x%012" PRIX64, sid->authority);
    else
        n = snprintf(out, len, "S-1-%" PRIu64, sid->authority);
    if (n < 0 || (size_t)n >= len)
        return -SBX_EINVAL;
    size_t used = (size_t)n;
    for (unsigned i = 0; i < sid->n_sub; i++) {
        n = snprintf(out + used, len - used, "-%" PRIu32, sid->sub[i]);
        if (n < 0 || (size_t)n >= len - used)
            return -SBX_EINVAL;
        used += (size_t)n;
    }
    return 0;
}

int sbx_sid_canonical(const char *s, char *out, size_t len, struct sbx_error *err)
{
    struct sbx_sid sid;
    int rc = sbx_sid_parse(s, &sid, err);
    if (rc)
        return rc;
    if (sbx_sid_format(&sid, out, len))
        return sbx_err_set(err, SBX_EINVAL, "security identifier '%s' is too long", s);
    return 0;
}

void sbx_sid_capability_from_bytes(const uint8_t b[16], struct sbx_sid *out)
{
    memset(out, 0, sizeof *out);
    out->revision = 1;
    out->authority = 5; /* SECURITY_NT_AUTHORITY */
    out->n_sub = 5;
    out->sub[0] = 21;   /* SECURITY_NT_NON_UNIQUE: a domain-style SID */
    for (int i = 0; i < 4; i++)
        out->sub[1 + i] = (uint32_t)b[4 * i] | (uint32_t)b[4 * i + 1] << 8 |
                          (uint32_t)b[4 * i + 2] << 16 | (uint32_t)b[4 * i + 3] << 24;
}

bool sbx_sid_is_capability_shape(const struct sbx_sid *sid)
{
    return sid->revision == 1 && sid->authority == 5 && sid->n_sub == 5 && sid->sub[0] == 21;
}

int sbx_sid_generate_capability(char *out, size_t len, struct sbx_error *err)
{
    uint8_t bytes[16];
    int rc = sbx_random_bytes(bytes, sizeof bytes, err);
    if (rc)
        return sbx_err_wrap(err, "generating the capability SID");
    struct sbx_sid sid;
    sbx_sid_capability_from_bytes(bytes, &sid);
    if (sbx_sid_format(&sid, out, len))
        return sbx_err_set(err, SBX_EINVAL, "buffer too small for a capability SID");
    return 0;
}
