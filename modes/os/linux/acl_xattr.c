/* SPDX-License-Identifier: MIT */
/* The kernel's xattr form of a POSIX ACL: decode, edit, encode (see
 * acl_xattr.h).  No system call here: the walk does the I/O. */
#include "modes/os/linux/acl_xattr.h"

#include <errno.h>
#include <string.h>

static uint16_t get16(const unsigned char *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, uint32_t v)
{
    put16(p, (uint16_t)v);
    put16(p + 2, (uint16_t)(v >> 16));
}

/* The kernel's posix_acl_valid: the tags in order, each base tag once, a
 * mask when there is a named entry. */
static bool valid(const struct sbx_xacl *acl)
{
    /* The tag expected next: an entry may repeat only USER and GROUP. */
    unsigned state = SBX_XACL_USER_OBJ;
    bool named = false;
    for (size_t i = 0; i < acl->n; i++) {
        unsigned tag = acl->e[i].tag;
        if (acl->e[i].perm & ~7u)
            return false;
        switch (tag) {
        case SBX_XACL_USER_OBJ:
            if (state != SBX_XACL_USER_OBJ)
                return false;
            state = SBX_XACL_USER;
            break;
        case SBX_XACL_USER:
        case SBX_XACL_GROUP:
            if (state != tag)
                return false;
            named = true;
            break;
        case SBX_XACL_GROUP_OBJ:
            if (state != SBX_XACL_USER)
                return false;
            state = SBX_XACL_GROUP;
            break;
        case SBX_XACL_MASK:
            if (state != SBX_XACL_GROUP)
                return false;
            state = SBX_XACL_OTHER;
            break;
        case SBX_XACL_OTHER:
            if (state != SBX_XACL_OTHER && (state != SBX_XACL_GROUP || named))
                return false;
            state = 0;
            break;
        default:
            return false;
        }
    }
    return state == 0;
}

int sbx_xacl_decode(const void *buf, size_t len, struct sbx_xacl *out)
{
    const unsigned char *p = buf;
    out->n = 0;
    if (len < SBX_XACL_HEADER || len > SBX_XACL_BYTES_MAX ||
        (len - SBX_XACL_HEADER) % SBX_XACL_ENTRY != 0 || get32(p) != SBX_XACL_VERSION)
        return -EINVAL;
    size_t n = (len - SBX_XACL_HEADER) / SBX_XACL_ENTRY;
    for (size_t i = 0; i < n; i++) {
        const unsigned char *q = p + SBX_XACL_HEADER + i * SBX_XACL_ENTRY;
        out->e[i] = (struct sbx_xacl_entry){get16(q), get16(q + 2), get32(q + 4)};
    }
    out->n = n;
    if (n == 0 || !valid(out)) {
        out->n = 0;
        return -EINVAL;
    }
    return 0;
}

size_t sbx_xacl_encode(const struct sbx_xacl *acl, void *buf)
{
    unsigned char *p = buf;
    put32(p, SBX_XACL_VERSION);
    for (size_t i = 0; i < acl->n; i++) {
        unsigned char *q = p + SBX_XACL_HEADER + i * SBX_XACL_ENTRY;
        put16(q, acl->e[i].tag);
        put16(q + 2, acl->e[i].perm);
        put32(q + 4, acl->e[i].id);
    }
    return SBX_XACL_HEADER + acl->n * SBX_XACL_ENTRY;
}

void sbx_xacl_from_mode(struct sbx_xacl *acl, mode_t mode)
{
    acl->n = 3;
    acl->e[0] = (struct sbx_xacl_entry){SBX_XACL_USER_OBJ, (mode >> 6) & 7, SBX_XACL_NO_ID};
    acl->e[1] = (struct sbx_xacl_entry){SBX_XACL_GROUP_OBJ, (mode >> 3) & 7, SBX_XACL_NO_ID};
    acl->e[2] = (struct sbx_xacl_entry){SBX_XACL_OTHER, mode & 7, SBX_XACL_NO_ID};
}

long sbx_xacl_find(const struct sbx_xacl *acl, unsigned tag, uint32_t id)
{
    bool named = tag == SBX_XACL_USER || tag == SBX_XACL_GROUP;
    for (size_t i = 0; i < acl->n; i++)
        if (acl->e[i].tag == tag && (!named || acl->e[i].id == id))
            return (long)i;
    return -1;
}

/* Make room at i and put e there (false: the ACL is full). */
static bool insert(struct sbx_xacl *acl, size_t i, struct sbx_xacl_entry e)
{
    if (acl->n >= SBX_XACL_MAX)
        return false;
    memmove(&acl->e[i + 1], &acl->e[i], (acl->n - i) * sizeof acl->e[0]);
    acl->e[i] = e;
    acl->n++;
    return true;
}

static void drop(struct sbx_xacl *acl, size_t i)
{
    memmove(&acl->e[i], &acl->e[i + 1], (acl->n - i - 1) * sizeof acl->e[0]);
    acl->n--;
}

/* Where an entry of tag (and id) goes: after the entries of lower tags
 * and, among its own tag, after the lower ids. */
static size_t place(const struct sbx_xacl *acl, unsigned tag, uint32_t id)
{
    size_t i = 0;
    while (i < acl->n && (acl->e[i].tag < tag || (acl->e[i].tag == tag && acl->e[i].id < id)))
        i++;
    return i;
}

bool sbx_xacl_grant(struct sbx_xacl *acl, uint32_t id, unsigned perms, int *rc)
{
    *rc = 0;
    long u = sbx_xacl_find(acl, SBX_XACL_USER, id);
    long m = sbx_xacl_find(acl, SBX_XACL_MASK, 0);
    if (u >= 0 && (acl->e[u].perm & perms) == perms && m >= 0 &&
        (acl->e[m].perm & perms) == perms)
        return false;
    if (u >= 0) {
        acl->e[u].perm = (uint16_t)(acl->e[u].perm | perms);
    } else if (!insert(acl, place(acl, SBX_XACL_USER, id),
                       (struct sbx_xacl_entry){SBX_XACL_USER, (uint16_t)perms, id})) {
        *rc = -ENOSPC;
        return false;
    }
    return true;
}

bool sbx_xacl_revoke(struct sbx_xacl *acl, uint32_t id, unsigned perms, bool all_bits)
{
    bool changed = false;
    for (size_t i = 0; i < acl->n;) {
        struct sbx_xacl_entry *e = &acl->e[i];
        if (e->tag != SBX_XACL_USER || e->id != id) {
            i++;
            continue;
        }
        changed = true;
        unsigned left = all_bits ? 0 : e->perm & ~perms;
        if (left) {
            e->perm = (uint16_t)left;
            i++;
        } else {
            drop(acl, i);
        }
    }
    return changed;
}

size_t sbx_xacl_named(const struct sbx_xacl *acl)
{
    size_t n = 0;
    for (size_t i = 0; i < acl->n; i++)
        n += acl->e[i].tag == SBX_XACL_USER || acl->e[i].tag == SBX_XACL_GROUP;
    return n;
}

int sbx_xacl_fix_mask(struct sbx_xacl *acl)
{
    long m = sbx_xacl_find(acl, SBX_XACL_MASK, 0);
    long g = sbx_xacl_find(acl, SBX_XACL_GROUP_OBJ, 0);
    if (sbx_xacl_named(acl) == 0) {
        if (m < 0)
            return 0;
        if (g >= 0)
            acl->e[g].perm &= acl->e[m].perm;
        drop(acl, (size_t)m);
        return 0;
    }
    /* The group class: the owning group and every named entry. */
    uint16_t union_perms = 0;
    for (size_t i = 0; i < acl->n; i++)
        if (acl->e[i].tag == SBX_XACL_USER || acl->e[i].tag == SBX_XACL_GROUP ||
            acl->e[i].tag == SBX_XACL_GROUP_OBJ)
            union_perms |= acl->e[i].perm;
    if (m >= 0) {
        acl->e[m].perm = union_perms;
        return 0;
    }
    return insert(acl, place(acl, SBX_XACL_MASK, SBX_XACL_NO_ID),
                  (struct sbx_xacl_entry){SBX_XACL_MASK, union_perms, SBX_XACL_NO_ID})
               ? 0
               : -ENOSPC;
}
