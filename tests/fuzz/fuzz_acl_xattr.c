/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the codec of the kernel's xattr form of a POSIX ACL
 * (modes/os/linux/acl_xattr.c), which reads ACLs that a sandboxed command
 * may have written on its own files with raw setxattr.
 *
 * An input is one byte of operation (bits 0-2: perms, bit 3: grant or
 * revoke, bit 4: only those bits on revoke), four bytes of uid
 * (little-endian), then an xattr value.  Beyond "no crash, no undefined
 * behaviour, no leak":
 *   X1  a value that decodes encodes to the same bytes; one that does not
 *       leaves an empty ACL;
 *   X2  after a grant and the mask's recomputation, the ACL encodes to a
 *       value that decodes (what the kernel takes), uid has at least the
 *       perms, the mask lets them through, and a second grant changes
 *       nothing;
 *   X3  after a full revoke and the recomputation, the ACL decodes, uid has
 *       no entry, every other entry is still there, and with no named
 *       entry left there is no mask (the mode is plain again);
 *   X4  the base entries (owner, other) never change. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "modes/os/linux/acl_xattr.h"

#define FUZZ_TARGET "fuzz_acl_xattr"
#include "fuzz_check.h"

static struct sbx_xacl acl, again, before;
static unsigned char out[SBX_XACL_BYTES_MAX];

static uint16_t perm_of(const struct sbx_xacl *a, unsigned tag)
{
    long i = sbx_xacl_find(a, tag, 0);
    return i < 0 ? 0xffff : a->e[i].perm;
}

/* Every entry of a other than uid's is in b. */
static void others_kept(const struct sbx_xacl *a, const struct sbx_xacl *b, uint32_t uid)
{
    for (size_t i = 0; i < a->n; i++) {
        const struct sbx_xacl_entry *e = &a->e[i];
        if (e->tag == SBX_XACL_MASK || e->tag == SBX_XACL_GROUP_OBJ ||
            (e->tag == SBX_XACL_USER && e->id == uid))
            continue;
        bool found = false;
        for (size_t j = 0; j < b->n && !found; j++)
            found = b->e[j].tag == e->tag && b->e[j].id == e->id && b->e[j].perm == e->perm;
        CHECK(found, "X3: entry %zu (tag %u id %u) lost", i, e->tag, e->id);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 5)
        return 0;
    unsigned op = data[0];
    uint32_t uid = (uint32_t)data[1] | (uint32_t)data[2] << 8 | (uint32_t)data[3] << 16 |
                   (uint32_t)data[4] << 24;
    const uint8_t *value = data + 5;
    size_t len = size - 5;
    unsigned perms = op & 7;
    if (sbx_xacl_decode(value, len, &acl) != 0) {
        CHECK(acl.n == 0, "X1: a refused value left %zu entries", acl.n);
        return 0;
    }
    size_t n = sbx_xacl_encode(&acl, out);
    CHECK(n == len && memcmp(out, value, len) == 0, "X1: %zu bytes in, %zu out", len, n);
    before = acl;
    if (op & 8) {
        int rc;
        bool changed = sbx_xacl_grant(&acl, uid, perms, &rc);
        if (rc) {
            CHECK(rc == -ENOSPC && !changed && acl.n == before.n, "X2: failed grant");
            return 0;
        }
        if (changed && sbx_xacl_fix_mask(&acl) != 0)
            return 0; /* full: no room for the mask */
        n = sbx_xacl_encode(&acl, out);
        CHECK(sbx_xacl_decode(out, n, &again) == 0, "X2: granted ACL invalid");
        long u = sbx_xacl_find(&acl, SBX_XACL_USER, uid);
        CHECK(u >= 0 && (acl.e[u].perm & perms) == perms, "X2: no entry");
        CHECK((perm_of(&acl, SBX_XACL_MASK) & perms) == perms, "X2: masked");
        CHECK(!sbx_xacl_grant(&acl, uid, perms, &rc) && rc == 0, "X2: granted twice");
    } else {
        bool all = !(op & 16);
        sbx_xacl_revoke(&acl, uid, perms, all);
        CHECK(sbx_xacl_fix_mask(&acl) == 0, "X3: a revoke needs no room");
        n = sbx_xacl_encode(&acl, out);
        CHECK(sbx_xacl_decode(out, n, &again) == 0, "X3: revoked ACL invalid");
        if (all)
            CHECK(sbx_xacl_find(&acl, SBX_XACL_USER, uid) < 0, "X3: entry left");
        if (all)
            others_kept(&before, &acl, uid);
        CHECK(sbx_xacl_named(&acl) > 0 || sbx_xacl_find(&acl, SBX_XACL_MASK, 0) < 0,
              "X3: mask without named entries");
    }
    CHECK(perm_of(&acl, SBX_XACL_USER_OBJ) == perm_of(&before, SBX_XACL_USER_OBJ) &&
              perm_of(&acl, SBX_XACL_OTHER) == perm_of(&before, SBX_XACL_OTHER),
          "X4: base entries changed");
    return 0;
}
