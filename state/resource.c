/* SPDX-License-Identifier: MIT */
#include "state/resource.h"

#include <stdlib.h>
#include <string.h>

static const char *const kind_names[SBX_R_KIND_COUNT] = {
    [SBX_R_MODE] = "mode",
    [SBX_R_WORKSPACE] = "workspace",
    [SBX_R_CAPABILITY_SID] = "capability_sid",
    [SBX_R_DIRECTORY] = "directory",
    [SBX_R_GROUP] = "group",
    [SBX_R_ACCOUNT] = "account",
    [SBX_R_MEMBERSHIP] = "membership",
    [SBX_R_CREDENTIAL] = "credential",
    [SBX_R_FIREWALL_RULE] = "firewall_rule",
    [SBX_R_INSTALLED_FILE] = "installed_file",
    [SBX_R_ACL_ENTRY] = "acl_entry",
};

const char *sbx_rkind_name(enum sbx_rkind kind)
{
    if ((unsigned)kind >= SBX_R_KIND_COUNT)
        return "unknown";
    return kind_names[kind];
}

int sbx_rkind_parse(const char *name, enum sbx_rkind *out)
{
    for (int k = 0; k < SBX_R_KIND_COUNT; k++) {
        if (name && strcmp(name, kind_names[k]) == 0) {
            *out = (enum sbx_rkind)k;
            return 0;
        }
    }
    return -SBX_EINVAL;
}

bool sbx_rkind_ledger_only(enum sbx_rkind kind)
{
    return kind == SBX_R_MODE || kind == SBX_R_WORKSPACE || kind == SBX_R_CAPABILITY_SID;
}

int sbx_rkind_order(enum sbx_rkind kind)
{
    /* Containers before their contents: a group before its members, an
     * account before the ACL entries that name it; the mode marker last so
     * a mode counts as set up only when everything it needs exists. */
    switch (kind) {
    case SBX_R_CAPABILITY_SID: return 0;
    case SBX_R_DIRECTORY: return 1;
    case SBX_R_GROUP: return 2;
    case SBX_R_ACCOUNT: return 3;
    case SBX_R_MEMBERSHIP: return 4;
    case SBX_R_CREDENTIAL: return 5;
    case SBX_R_FIREWALL_RULE: return 6;
    case SBX_R_INSTALLED_FILE: return 7;
    case SBX_R_WORKSPACE: return 8;
    case SBX_R_ACL_ENTRY: return 9;
    case SBX_R_MODE: return 10;
    default: return 99;
    }
}

int sbx_resource_set_field(char **field, const char *value)
{
    char *copy = NULL;
    if (value) {
        copy = strdup(value);
        if (!copy)
            return -SBX_ENOMEM;
    }
    free(*field);
    *field = copy;
    return 0;
}

void sbx_resource_free(struct sbx_resource *r)
{
    if (!r)
        return;
    free(r->key);
    free(r->name);
    free(r->principal);
    free(r->path);
    free(r->detail);
    free(r->os_id);
    free(r->mode);
    memset(r, 0, sizeof *r);
}

int sbx_resource_copy(struct sbx_resource *dst, const struct sbx_resource *src)
{
    memset(dst, 0, sizeof *dst);
    dst->id = src->id;
    dst->kind = src->kind;
    if (sbx_resource_set_field(&dst->key, src->key) || sbx_resource_set_field(&dst->name, src->name) ||
        sbx_resource_set_field(&dst->principal, src->principal) ||
        sbx_resource_set_field(&dst->path, src->path) ||
        sbx_resource_set_field(&dst->detail, src->detail) ||
        sbx_resource_set_field(&dst->os_id, src->os_id) ||
        sbx_resource_set_field(&dst->mode, src->mode)) {
        sbx_resource_free(dst);
        return -SBX_ENOMEM;
    }
    return 0;
}

int sbx_rlist_push(struct sbx_resource_list *l, const struct sbx_resource *r)
{
    if (l->len == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        struct sbx_resource *items = realloc(l->items, cap * sizeof *items);
        if (!items)
            return -SBX_ENOMEM;
        l->items = items;
        l->cap = cap;
    }
    int rc = sbx_resource_copy(&l->items[l->len], r);
    if (rc == 0)
        l->len++;
    return rc;
}

int sbx_rlist_add(struct sbx_resource_list *l, enum sbx_rkind kind, const char *key,
                  const char *name, const char *principal, const char *path, const char *detail,
                  const char *mode)
{
    struct sbx_resource r = {
        .kind = kind,
        .key = (char *)key,
        .name = (char *)name,
        .principal = (char *)principal,
        .path = (char *)path,
        .detail = (char *)detail,
        .mode = (char *)mode,
    };
    return sbx_rlist_push(l, &r);
}

void sbx_rlist_free(struct sbx_resource_list *l)
{
    for (size_t i = 0; i < l->len; i++)
        sbx_resource_free(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

long sbx_rlist_find(const struct sbx_resource_list *l, enum sbx_rkind kind, const char *key)
{
    for (size_t i = 0; i < l->len; i++)
        if (l->items[i].kind == kind && strcmp(l->items[i].key, key) == 0)
            return (long)i;
    return -1;
}

long sbx_rlist_find_object(const struct sbx_resource_list *l, const struct sbx_resource *r)
{
    if (r->kind != SBX_R_INSTALLED_FILE || !r->path)
        return sbx_rlist_find(l, r->kind, r->key);
    for (size_t i = 0; i < l->len; i++)
        if (l->items[i].kind == r->kind && l->items[i].path &&
            strcmp(l->items[i].path, r->path) == 0)
            return (long)i;
    return -1;
}

static int cmp_resource(const void *a, const void *b)
{
    const struct sbx_resource *ra = a, *rb = b;
    int oa = sbx_rkind_order(ra->kind), ob = sbx_rkind_order(rb->kind);
    if (oa != ob)
        return oa < ob ? -1 : 1;
    return strcmp(ra->key, rb->key);
}

void sbx_rlist_sort(struct sbx_resource_list *l)
{
    if (l->len > 1)
        qsort(l->items, l->len, sizeof *l->items, cmp_resource);
}

int sbx_detail_get(const char *detail, const char *k, char *buf, size_t len)
{
    if (!detail)
        return -SBX_ENOENT;
    size_t klen = strlen(k);
    const char *line = detail;
    while (*line) {
        const char *end = strchr(line, '\n');
        size_t llen = end ? (size_t)(end - line) : strlen(line);
        if (llen > klen && strncmp(line, k, klen) == 0 && line[klen] == '=') {
            size_t vlen = llen - klen - 1;
            if (vlen >= len)
                return -SBX_EINVAL;
            memcpy(buf, line + klen + 1, vlen);
            buf[vlen] = '\0';
            return 0;
        }
        if (!end)
            break;
        line = end + 1;
    }
    return -SBX_ENOENT;
}
