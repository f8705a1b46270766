/* SPDX-License-Identifier: MIT */
/* A POSIX ACL in the kernel's extended-attribute form, the value of
 * system.posix_acl_access / system.posix_acl_default: a little-endian
 * header (version 2) and 8-byte entries {u16 tag, u16 perm, u32 id}.
 *
 * Why not libacl: a grant reads and writes two ACLs on every inode of a
 * tree, and libacl allocates an object per ACL and per entry and re-reads
 * the mode; with this codec the walk's ACL work is one fgetxattr and, only
 * when something changes, one fsetxattr per ACL (acl_walk.c).
 *
 * Decoding accepts what the kernel accepts (its posix_acl_valid): the tags
 * in their order, USER_OBJ, USER*, GROUP_OBJ, GROUP*, [MASK], OTHER, a mask
 * whenever a named entry is there; the named entries' ids in any order,
 * even repeated (an ACL someone wrote with raw setxattr).  Edits keep the
 * named entries sorted by id, as libacl writes them.  Encoding writes the
 * entries in their order, so decode and encode give the same bytes back. */
#ifndef SBX_MODES_OS_LINUX_ACL_XATTR_H
#define SBX_MODES_OS_LINUX_ACL_XATTR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SBX_XACL_VERSION 2u
#define SBX_XACL_HEADER 4u
#define SBX_XACL_ENTRY 8u
/* The kernel's largest xattr value (XATTR_SIZE_MAX), and the most entries
 * it holds. */
#define SBX_XACL_BYTES_MAX 65536u
#define SBX_XACL_MAX ((SBX_XACL_BYTES_MAX - SBX_XACL_HEADER) / SBX_XACL_ENTRY)

enum sbx_xacl_tag {
    SBX_XACL_USER_OBJ = 0x01,
    SBX_XACL_USER = 0x02,
    SBX_XACL_GROUP_OBJ = 0x04,
    SBX_XACL_GROUP = 0x08,
    SBX_XACL_MASK = 0x10,
    SBX_XACL_OTHER = 0x20,
};

/* The id the kernel writes for entries without a qualifier. */
#define SBX_XACL_NO_ID UINT32_MAX

struct sbx_xacl_entry {
    uint16_t tag;
    uint16_t perm; /* rwx = 4 | 2 | 1 */
    uint32_t id;
};

/* An ACL: n entries (0 = no ACL at all). */
struct sbx_xacl {
    size_t n;
    struct sbx_xacl_entry e[SBX_XACL_MAX];
};

/* buf/len (an xattr value) into *out: 0, or -EINVAL when it is not an ACL
 * the kernel would have stored. */
int sbx_xacl_decode(const void *buf, size_t len, struct sbx_xacl *out);

/* The bytes of *acl into buf (room for SBX_XACL_BYTES_MAX): their count. */
size_t sbx_xacl_encode(const struct sbx_xacl *acl, void *buf);

/* The three base entries of a plain mode. */
void sbx_xacl_from_mode(struct sbx_xacl *acl, mode_t mode);

/* Index of the first entry of tag (and id, for USER / GROUP), or -1. */
long sbx_xacl_find(const struct sbx_xacl *acl, unsigned tag, uint32_t id);

/* Give USER id at least perms (a new entry, or the old one widened) and
 * make the mask let them through: true when it changed anything (the mask
 * is then recomputed).  false also when the ACL is full (-ENOSPC in *rc). */
bool sbx_xacl_grant(struct sbx_xacl *acl, uint32_t id, unsigned perms, int *rc);

/* Take perms off USER id's entries, and the entries themselves once no
 * bit is left (all_bits: whatever they hold).  True when it changed. */
bool sbx_xacl_revoke(struct sbx_xacl *acl, uint32_t id, unsigned perms, bool all_bits);

/* After edits: the mask is the union of the group class again, or, when
 * no named entry is left, goes, and the owning group keeps only what the
 * mask let through (so the mode bits are the ones shown before).
 * -ENOSPC when a mask is needed and the ACL is full. */
int sbx_xacl_fix_mask(struct sbx_xacl *acl);

/* Number of USER and GROUP entries. */
size_t sbx_xacl_named(const struct sbx_xacl *acl);

#endif
