/* SPDX-License-Identifier: MIT */
#include "modes/common/win32/acl_spec.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    unsigned bit;
    const char *sddl;
} flag_names[] = {
    {SBX_ACE_OI, "OI"}, {SBX_ACE_CI, "CI"}, {SBX_ACE_NP, "NP"},
    {SBX_ACE_IO, "IO"}, {SBX_ACE_ID, "ID"},
};
#define N_FLAGS (sizeof flag_names / sizeof flag_names[0])
#define ALL_FLAGS (SBX_ACE_OI | SBX_ACE_CI | SBX_ACE_NP | SBX_ACE_IO | SBX_ACE_ID)

int sbx_ace_make(enum sbx_ace_type type, unsigned flags, uint32_t mask, const char *sid,
                 struct sbx_ace_spec *out, struct sbx_error *err)
{
    memset(out, 0, sizeof *out);
    if (type != SBX_ACE_ALLOW && type != SBX_ACE_DENY)
        return sbx_err_set(err, SBX_EINVAL, "unknown ACE type %d", (int)type);
    if (flags & ~ALL_FLAGS)
        return sbx_err_set(err, SBX_EINVAL, "unknown ACE flags 0x%x", flags);
    if (mask == 0)
        return sbx_err_set(err, SBX_EINVAL, "an ACE for %s with an empty access mask",
                           sid ? sid : "(null)");
    out->type = type;
    out->flags = flags;
    out->mask = mask;
    return sbx_sid_canonical(sid, out->sid, sizeof out->sid, err);
}

int sbx_ace_workspace_grant(const char *sid, struct sbx_ace_spec *out, struct sbx_error *err)
{
    return sbx_ace_make(SBX_ACE_ALLOW, SBX_ACE_OI | SBX_ACE_CI, SBX_RIGHTS_MODIFY, sid, out, err);
}

int sbx_ace_protect_deny(const char *sid, struct sbx_ace_spec *out, struct sbx_error *err)
{
    return sbx_ace_make(SBX_ACE_DENY, SBX_ACE_OI | SBX_ACE_CI, SBX_RIGHTS_DENY_WRITE, sid, out,
                        err);
}

int sbx_ace_owner_rights(struct sbx_ace_spec *out, struct sbx_error *err)
{
    return sbx_ace_make(SBX_ACE_ALLOW, SBX_ACE_OI | SBX_ACE_CI | SBX_ACE_IO, SBX_RIGHTS_MODIFY,
                        SBX_SID_OWNER_RIGHTS, out, err);
}

int sbx_ace_to_sddl(const struct sbx_ace_spec *ace, char *out, size_t len)
{
    char flags[16] = "";
    for (size_t i = 0; i < N_FLAGS; i++)
        if (ace->flags & flag_names[i].bit)
            strcat(flags, flag_names[i].sddl);
    int n = snprintf(out, len, "(%s;%s;0x%" PRIx32 ";;;%s)", ace->type == SBX_ACE_DENY ? "D" : "A",
                     flags, ace->mask, ace->sid);
    return n < 0 || (size_t)n >= len ? -SBX_EINVAL : 0;
}

int sbx_ace_from_sddl(const char *sddl, struct sbx_ace_spec *out, struct sbx_error *err)
{
    /* (type;flags;rights;object;inherit-object;sid) */
    char buf[512];
    size_t n = sddl ? strlen(sddl) : 0;
    if (n < 2 || n >= sizeof buf || sddl[0] != '(' || sddl[n - 1] != ')')
        goto bad;
    memcpy(buf, sddl + 1, n - 2);
    buf[n - 2] = '\0';
    char *field[6];
    char *p = buf;
    for (int i = 0; i < 6; i++) {
        field[i] = p;
        char *semi = strchr(p, ';');
        if (i < 5) {
            if (!semi)
                goto bad;
            *semi = '\0';
            p = semi + 1;
        } else if (semi) {
            goto bad;
        }
    }
    enum sbx_ace_type type;
    if (strcmp(field[0], "A") == 0)
        type = SBX_ACE_ALLOW;
    else if (strcmp(field[0], "D") == 0)
        type = SBX_ACE_DENY;
    else
        goto bad;
    unsigned flags = 0;
    for (const char *f = field[1]; *f; f += 2) {
        size_t i;
        for (i = 0; i < N_FLAGS; i++)
            if (strncmp(f, flag_names[i].sddl, 2) == 0)
                break;
        if (i == N_FLAGS || (flags & flag_names[i].bit))
            goto bad;
        flags |= flag_names[i].bit;
    }
    if (field[3][0] || field[4][0] || !field[2][0])
        goto bad;
    char *end;
    unsigned long long mask = strtoull(field[2], &end, 0);
    if (*end || mask == 0 || mask > UINT32_MAX || field[2][0] == '-')
        goto bad;
    return sbx_ace_make(type, flags, (uint32_t)mask, field[5], out, err);
bad:
    return sbx_err_set(err, SBX_EINVAL, "'%s' is not an ACE sbx writes (expected (A;OICI;0x...;;;S-...))",
                       sddl ? sddl : "");
}

bool sbx_ace_equal(const struct sbx_ace_spec *a, const struct sbx_ace_spec *b)
{
    return a->type == b->type && a->flags == b->flags && a->mask == b->mask &&
           strcmp(a->sid, b->sid) == 0;
}

int sbx_dacl_to_sddl(const struct sbx_ace_spec *aces, size_t n, bool protect, char *out,
                     size_t len)
{
    int w = snprintf(out, len, "D:%s", protect ? "P" : "");
    if (w < 0 || (size_t)w >= len)
        return -SBX_EINVAL;
    size_t used = (size_t)w;
    for (size_t i = 0; i < n; i++) {
        if (sbx_ace_to_sddl(&aces[i], out + used, len - used))
            return -SBX_EINVAL;
        used += strlen(out + used);
    }
    return 0;
}

int sbx_ace_token_default_dacl(const char *user_sid, const char *logon_sid, const char *cap_sid,
                               struct sbx_ace_spec out[SBX_DEFAULT_DACL_ACES],
                               struct sbx_error *err)
{
    const char *sids[SBX_DEFAULT_DACL_ACES] = {user_sid, logon_sid, cap_sid, SBX_SID_SYSTEM};
    for (int i = 0; i < SBX_DEFAULT_DACL_ACES; i++) {
        int rc = sbx_ace_make(SBX_ACE_ALLOW, 0, SBX_RIGHTS_GENERIC_ALL, sids[i], &out[i], err);
        if (rc)
            return sbx_err_wrap(err, "building the default DACL of the restricted token");
    }
    return 0;
}

int sbx_ace_private_dacl(const char *owner_sid, struct sbx_ace_spec out[SBX_PRIVATE_DACL_ACES],
                         struct sbx_error *err)
{
    int rc = sbx_ace_make(SBX_ACE_ALLOW, SBX_ACE_OI | SBX_ACE_CI, SBX_RIGHTS_FULL, owner_sid,
                          &out[0], err);
    if (!rc)
        rc = sbx_ace_make(SBX_ACE_ALLOW, SBX_ACE_OI | SBX_ACE_CI, SBX_RIGHTS_FULL,
                          SBX_SID_SYSTEM, &out[1], err);
    return rc;
}
