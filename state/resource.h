/* SPDX-License-Identifier: MIT */
/* A resource: one OS object sbx creates (or one ledger-only record such as
 * the chosen mode), described well enough to create it, find it again and
 * remove exactly it.
 *
 * Identity is (kind, key).  The key is canonical and stable: the same object
 * desired by two versions of sbx has the same key, a changed object (other
 * rights, other rule) has another key, so a plan is a plain set difference.
 * `principal` holds the uid/gid/SID the OS resolved when the object was
 * created; removal uses it, never a name. */
#ifndef SBX_STATE_RESOURCE_H
#define SBX_STATE_RESOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

enum sbx_rkind {
    SBX_R_MODE = 0,        /* ledger-only: the mode that is set up */
    SBX_R_WORKSPACE,       /* ledger-only: a registered workspace root */
    SBX_R_CAPABILITY_SID,  /* ledger-only: Windows unelevated synthetic SID */
    SBX_R_DIRECTORY,       /* a directory sbx made (state dir, account home) */
    SBX_R_GROUP,           /* local group (sbx-users / SbxUsers) */
    SBX_R_ACCOUNT,         /* local account (sbx-offline, SbxOffline, ...) */
    SBX_R_MEMBERSHIP,      /* a user's membership of an sbx group */
    SBX_R_CREDENTIAL,      /* DPAPI-protected password of an account */
    SBX_R_FIREWALL_RULE,   /* nft table of sbx / Windows firewall rule */
    SBX_R_INSTALLED_FILE,  /* a file sbx installed (launcher, its config) */
    SBX_R_ACL_ENTRY,       /* an ACL entry / ACE sbx added */
    SBX_R_KIND_COUNT
};

/* What a plan does to a resource, and what a probe finds of it. */
enum sbx_action {
    SBX_ACT_CREATE = 1,
    SBX_ACT_DELETE = 2,
};

enum sbx_presence {
    SBX_ABSENT = 0,
    SBX_PRESENT = 1,   /* present as described */
    SBX_DIFFERENT = 2, /* something with that identity exists but differs */
};

/* Name as stored in the ledger ("acl_entry"), and back. */
const char *sbx_rkind_name(enum sbx_rkind kind);
int sbx_rkind_parse(const char *name, enum sbx_rkind *out);

/* Ledger-only kinds have no OS object: the plan records them without an OS
 * call (they are not counted by SBX_FAULT either). */
bool sbx_rkind_ledger_only(enum sbx_rkind kind);

/* Creation order: lower first.  Deletion runs in the reverse order. */
int sbx_rkind_order(enum sbx_rkind kind);

struct sbx_resource {
    int64_t id;             /* ledger row id, 0 when not in the ledger */
    enum sbx_rkind kind;
    char *key;              /* canonical identity within the kind */
    char *name;             /* account/group/rule name, or NULL */
    char *principal;        /* uid/gid/SID the object concerns, or NULL */
    char *path;             /* file system path, or NULL */
    char *detail;           /* kind-specific "k=v" lines, or NULL */
    char *os_id;            /* what the OS assigned (uid, SID, handle) */
    char *mode;             /* "unelevated" / "elevated" / NULL */
};

struct sbx_resource_list {
    struct sbx_resource *items;
    size_t len, cap;
};

/* Deep copies; every string field may be NULL. */
int sbx_resource_copy(struct sbx_resource *dst, const struct sbx_resource *src);
void sbx_resource_free(struct sbx_resource *r);
int sbx_resource_set_field(char **field, const char *value);

/* Append a deep copy of r. */
int sbx_rlist_push(struct sbx_resource_list *l, const struct sbx_resource *r);
/* Append a resource built from the given fields (NULL allowed). */
int sbx_rlist_add(struct sbx_resource_list *l, enum sbx_rkind kind, const char *key,
                  const char *name, const char *principal, const char *path,
                  const char *detail, const char *mode);
void sbx_rlist_free(struct sbx_resource_list *l);
/* Index of (kind, key) in l, or -1. */
long sbx_rlist_find(const struct sbx_resource_list *l, enum sbx_rkind kind, const char *key);
/* The entry of l that is the same OS object as r: by key, except for an
 * installed file, whose key may carry the version of its content
 * (#sha256=..., #ports=...) while an object found by its marker is known
 * only by its place: files match by path. */
long sbx_rlist_find_object(const struct sbx_resource_list *l, const struct sbx_resource *r);
/* Sort by creation order, then key (stable, deterministic plans). */
void sbx_rlist_sort(struct sbx_resource_list *l);

/* detail helpers: detail is a sequence of "key=value\n" lines. */
/* Copy the value of `k` into buf; returns 0, or -SBX_ENOENT when absent. */
int sbx_detail_get(const char *detail, const char *k, char *buf, size_t len);

#endif
