/* SPDX-License-Identifier: MIT */
/* The fake OS driver (see fake.h).  State lives in a text file, reloaded
 * before and saved after every call, written to a temporary file and
 * renamed so a crash never leaves half a machine. */
#include "modes/os/fake/fake.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef _WIN32
#include <fcntl.h>
#include <unistd.h>
#endif

#include "util/cleanup.h"
#include "util/limits.h"
#include "util/platform.h"

#define FAKE_MAGIC "sbx-fake-os 1"

struct fake_obj {
    enum sbx_rkind kind;
    char *key, *name, *principal, *path, *detail;
    bool ours; /* carries sbx's marker */
};

struct fake_os {
    char *file;
    enum sbx_privilege priv;
    unsigned long next_id;
    struct fake_obj *objs;
    size_t n, cap;
};

static void obj_free(struct fake_obj *o)
{
    free(o->key);
    free(o->name);
    free(o->principal);
    free(o->path);
    free(o->detail);
    memset(o, 0, sizeof *o);
}

static void clear(struct fake_os *f)
{
    for (size_t i = 0; i < f->n; i++)
        obj_free(&f->objs[i]);
    f->n = 0;
}

/* Fields are escaped so tabs and newlines in paths can't break lines. */
static void put_field(FILE *out, const char *s)
{
    if (!s) {
        fputs("\\0", out);
        return;
    }
    for (; *s; s++) {
        if (*s == '\\')
            fputs("\\\\", out);
        else if (*s == '\t')
            fputs("\\t", out);
        else if (*s == '\n')
            fputs("\\n", out);
        else
            fputc(*s, out);
    }
}

static char *get_field(char **cursor)
{
    char *start = *cursor, *end = strchr(start, '\t');
    if (end) {
        *end = '\0';
        *cursor = end + 1;
    } else {
        *cursor = start + strlen(start);
    }
    if (strcmp(start, "\\0") == 0)
        return NULL;
    char *out = malloc(strlen(start) + 1), *o = out;
    if (!out)
        return NULL;
    for (char *s = start; *s; s++) {
        if (*s == '\\' && s[1]) {
            s++;
            *o++ = *s == 't' ? '\t' : *s == 'n' ? '\n' : *s;
        } else {
            *o++ = *s;
        }
    }
    *o = '\0';
    return out;
}

static int push(struct fake_os *f, const struct fake_obj *o)
{
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 32;
        struct fake_obj *objs = realloc(f->objs, cap * sizeof *objs);
        if (!objs)
            return -SBX_ENOMEM;
        f->objs = objs;
        f->cap = cap;
    }
    f->objs[f->n++] = *o;
    return 0;
}

static int load(struct fake_os *f, struct sbx_error *err)
{
    clear(f);
    sbx_autoclose_file FILE *in = fopen(f->file, "r");
    if (!in) {
        if (errno == ENOENT) {
            f->priv = SBX_PRIV_ADMIN;
            f->next_id = 5000;
            return 0;
        }
        return sbx_err_sys(err, SBX_EIO, errno, "fake OS: cannot read %s", f->file);
    }
    char line[16384];
    int rc = 0;
    if (!fgets(line, sizeof line, in) || strncmp(line, FAKE_MAGIC, strlen(FAKE_MAGIC)) != 0)
        return sbx_err_set(err, SBX_ECORRUPT, "fake OS: %s is not a fake machine", f->file);
    unsigned priv = 1;
    if (sscanf(line + strlen(FAKE_MAGIC), " priv=%u next=%lu", &priv, &f->next_id) != 2)
        return sbx_err_set(err, SBX_ECORRUPT, "fake OS: bad header in %s", f->file);
    f->priv = priv ? SBX_PRIV_ADMIN : SBX_PRIV_USER;
    while (fgets(line, sizeof line, in)) {
        line[strcspn(line, "\n")] = '\0';
        char *cur = line;
        struct fake_obj o = {0};
        char *kind = get_field(&cur);
        enum sbx_rkind k;
        if (!kind || sbx_rkind_parse(kind, &k) != 0) {
            free(kind);
            rc = sbx_err_set(err, SBX_ECORRUPT, "fake OS: bad object line in %s", f->file);
            break;
        }
        free(kind);
        o.kind = k;
        o.key = get_field(&cur);
        o.name = get_field(&cur);
        o.principal = get_field(&cur);
        o.path = get_field(&cur);
        o.detail = get_field(&cur);
        char *ours = get_field(&cur);
        o.ours = ours && strcmp(ours, "sbx") == 0;
        free(ours);
        if (!o.key || (rc = push(f, &o))) {
            obj_free(&o);
            rc = sbx_err_set(err, SBX_ECORRUPT, "fake OS: bad object line in %s", f->file);
            break;
        }
    }
    return rc;
}

static int save(struct fake_os *f, struct sbx_error *err)
{
    char tmp[SBX_PATH_EXTRA_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmp-%ld", f->file, sbx_proc_self_id()) >= (int)sizeof tmp)
        return sbx_err_set(err, SBX_EINVAL, "fake OS: path too long: %s", f->file);
    FILE *out = fopen(tmp, "w");
    if (!out)
        return sbx_err_sys(err, SBX_EIO, errno, "fake OS: cannot write %s", tmp);
    fprintf(out, "%s priv=%u next=%lu\n", FAKE_MAGIC, f->priv == SBX_PRIV_ADMIN ? 1u : 0u,
            f->next_id);
    for (size_t i = 0; i < f->n; i++) {
        const struct fake_obj *o = &f->objs[i];
        fputs(sbx_rkind_name(o->kind), out);
        const char *fields[] = {o->key, o->name, o->principal, o->path, o->detail,
                                o->ours ? "sbx" : "foreign"};
        for (size_t j = 0; j < sizeof fields / sizeof fields[0]; j++) {
            fputc('\t', out);
            put_field(out, fields[j]);
        }
        fputc('\n', out);
    }
    int bad = fflush(out) != 0 || ferror(out);
#ifndef _WIN32
    bad = bad || fsync(fileno(out)) != 0;
#endif
    if (fclose(out) != 0 || bad) {
        remove(tmp);
        return sbx_err_set(err, SBX_EIO, "fake OS: cannot write %s", tmp);
    }
#ifdef _WIN32
    remove(f->file);
#endif
    if (rename(tmp, f->file) != 0) {
        remove(tmp);
        return sbx_err_sys(err, SBX_EIO, errno, "fake OS: cannot replace %s", f->file);
    }
    return 0;
}

static struct fake_obj *find(struct fake_os *f, enum sbx_rkind kind, const char *key)
{
    for (size_t i = 0; i < f->n; i++)
        if (f->objs[i].kind == kind && strcmp(f->objs[i].key, key) == 0)
            return &f->objs[i];
    return NULL;
}

static struct fake_obj *find_named(struct fake_os *f, enum sbx_rkind kind, const char *name)
{
    for (size_t i = 0; i < f->n; i++)
        if (f->objs[i].kind == kind && f->objs[i].name && strcmp(f->objs[i].name, name) == 0)
            return &f->objs[i];
    return NULL;
}

/* The principal an object refers to: an account or group named by one of
 * the detail keys.  Returns NULL (and sets err) when missing. */
static const char *resolve_ref(struct fake_os *f, const struct sbx_resource *r, const char *dkey,
                               struct sbx_error *err)
{
    char name[256];
    if (sbx_detail_get(r->detail, dkey, name, sizeof name) != 0) {
        sbx_err_set(err, SBX_EINVAL, "fake OS: %s %s has no %s", sbx_rkind_name(r->kind), r->key,
                    dkey);
        return NULL;
    }
    struct fake_obj *o = find_named(f, SBX_R_ACCOUNT, name);
    if (!o)
        o = find_named(f, SBX_R_GROUP, name);
    if (!o) {
        sbx_err_set(err, SBX_ENOENT, "fake OS: %s %s: no account or group named %s",
                    sbx_rkind_name(r->kind), r->key, name);
        return NULL;
    }
    return o->principal;
}

static const char *ref_key(enum sbx_rkind kind)
{
    switch (kind) {
    case SBX_R_ACL_ENTRY: return "grantee";
    case SBX_R_FIREWALL_RULE:
    case SBX_R_CREDENTIAL: return "account";
    case SBX_R_MEMBERSHIP: return "group";
    default: return NULL;
    }
}

/* Is principal still referred to by another object? */
static bool referenced(struct fake_os *f, const char *principal)
{
    for (size_t i = 0; i < f->n; i++) {
        const struct fake_obj *o = &f->objs[i];
        if (ref_key(o->kind) && o->principal && principal && strcmp(o->principal, principal) == 0)
            return true;
    }
    return false;
}

static int do_create(struct fake_os *f, struct sbx_resource *r, struct sbx_error *err)
{
    struct fake_obj *have = find(f, r->kind, r->key);
    if (have) {
        if (!have->ours)
            return sbx_err_set(err, SBX_EPERM,
                               "fake OS: %s %s exists and is not sbx's; refusing to take it over",
                               sbx_rkind_name(r->kind), r->key);
        /* Ensure present: already there, report its ids. */
        if (sbx_resource_set_field(&r->principal, have->principal) ||
            sbx_resource_set_field(&r->os_id, have->principal))
            return sbx_err_set(err, SBX_ENOMEM, "out of memory");
        return 0;
    }
    char idbuf[32];
    const char *principal = NULL;
    if (r->kind == SBX_R_ACCOUNT || r->kind == SBX_R_GROUP) {
        /* Re-created (a rollback of its removal): take the recorded id
         * back when it is free, as useradd -u / groupadd -g do. */
        bool taken = !r->principal;
        for (size_t i = 0; !taken && i < f->n; i++)
            taken = (f->objs[i].kind == SBX_R_ACCOUNT || f->objs[i].kind == SBX_R_GROUP) &&
                    f->objs[i].principal && strcmp(f->objs[i].principal, r->principal) == 0;
        if (!taken && strlen(r->principal) < sizeof idbuf)
            snprintf(idbuf, sizeof idbuf, "%s", r->principal);
        else
            snprintf(idbuf, sizeof idbuf, "%lu", f->next_id++);
        principal = idbuf;
    } else if (ref_key(r->kind)) {
        if (!(principal = resolve_ref(f, r, ref_key(r->kind), err)))
            return -err->code;
    }
    struct fake_obj o = {.kind = r->kind, .ours = true};
    o.key = strdup(r->key);
    o.name = r->name ? strdup(r->name) : NULL;
    o.principal = principal ? strdup(principal) : NULL;
    o.path = r->path ? strdup(r->path) : NULL;
    o.detail = r->detail ? strdup(r->detail) : NULL;
    if (!o.key || push(f, &o) || sbx_resource_set_field(&r->principal, principal) ||
        sbx_resource_set_field(&r->os_id, principal)) {
        obj_free(&o);
        return sbx_err_set(err, SBX_ENOMEM, "out of memory");
    }
    return 0;
}

static int do_delete(struct fake_os *f, const struct sbx_resource *r, struct sbx_error *err)
{
    struct fake_obj *have = find(f, r->kind, r->key);
    if (!have)
        return 0; /* ensure absent */
    if (!have->ours)
        return sbx_err_set(err, SBX_EPERM, "fake OS: %s %s is not sbx's; refusing to remove it",
                           sbx_rkind_name(r->kind), r->key);
    /* Removal goes by the id recorded at creation: an object of the same
     * name but another id is somebody else's now. */
    if (r->principal && have->principal && strcmp(r->principal, have->principal) != 0)
        return sbx_err_set(err, SBX_EPERM,
                           "fake OS: %s %s now has id %s, not the recorded %s; refusing to "
                           "remove it",
                           sbx_rkind_name(r->kind), r->key, have->principal, r->principal);
    if ((r->kind == SBX_R_ACCOUNT || r->kind == SBX_R_GROUP) && referenced(f, have->principal))
        return sbx_err_set(err, SBX_ESTATE, "fake OS: %s %s is still in use",
                           sbx_rkind_name(r->kind), r->key);
    obj_free(have);
    *have = f->objs[--f->n];
    return 0;
}

static struct fake_os *impl(struct sbx_os *os)
{
    return os->impl;
}

static int fake_apply(struct sbx_os *os, enum sbx_action act, struct sbx_resource *r,
                      struct sbx_error *err)
{
    struct fake_os *f = impl(os);
    int rc = load(f, err);
    if (rc)
        return rc;
    if (f->priv != SBX_PRIV_ADMIN && r->kind != SBX_R_ACL_ENTRY && r->kind != SBX_R_DIRECTORY)
        return sbx_err_set(err, SBX_EPERM, "fake OS: changing %s %s needs administrator rights",
                           sbx_rkind_name(r->kind), r->key);
    rc = act == SBX_ACT_CREATE ? do_create(f, r, err) : do_delete(f, r, err);
    if (rc)
        return rc;
    return save(f, err);
}

static int fake_probe(struct sbx_os *os, const struct sbx_resource *r, enum sbx_presence *out,
                      struct sbx_error *err)
{
    struct fake_os *f = impl(os);
    int rc = load(f, err);
    if (rc)
        return rc;
    struct fake_obj *have = find(f, r->kind, r->key);
    if (!have)
        *out = SBX_ABSENT;
    else if (!have->ours || (r->principal && have->principal &&
                             strcmp(r->principal, have->principal) != 0))
        *out = SBX_DIFFERENT;
    else
        *out = SBX_PRESENT;
    return 0;
}

static int fake_find_marked(struct sbx_os *os, struct sbx_resource_list *out,
                            struct sbx_error *err)
{
    struct fake_os *f = impl(os);
    int rc = load(f, err);
    for (size_t i = 0; i < f->n && rc == 0; i++) {
        const struct fake_obj *o = &f->objs[i];
        if (!o->ours)
            continue;
        struct sbx_resource r = {.kind = o->kind, .key = o->key, .name = o->name,
                                 .principal = o->principal, .path = o->path,
                                 .detail = o->detail, .os_id = o->principal};
        if (sbx_rlist_push(out, &r))
            rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
    }
    return rc;
}

static int fake_privilege(struct sbx_os *os, enum sbx_privilege *out, struct sbx_error *err)
{
    struct fake_os *f = impl(os);
    int rc = load(f, err);
    if (rc == 0)
        *out = f->priv;
    return rc;
}

static void fake_destroy(struct sbx_os *os)
{
    struct fake_os *f = impl(os);
    clear(f);
    free(f->objs);
    free(f->file);
    free(f);
    free(os);
}

static const struct sbx_os_ops fake_ops = {
    .name = "fake",
    .apply = fake_apply,
    .probe = fake_probe,
    .find_marked = fake_find_marked,
    .privilege = fake_privilege,
    .destroy = fake_destroy,
};

int sbx_fake_os_open(const char *path, struct sbx_os **out, struct sbx_error *err)
{
    *out = NULL;
    struct sbx_os *os = calloc(1, sizeof *os);
    struct fake_os *f = calloc(1, sizeof *f);
    if (!os || !f || !(f->file = strdup(path))) {
        free(os);
        if (f)
            free(f->file);
        free(f);
        return sbx_err_set(err, SBX_ENOMEM, "out of memory");
    }
    os->ops = &fake_ops;
    os->impl = f;
    int rc = load(f, err);
    if (rc == 0 && !sbx_fs_exists(path))
        rc = save(f, err);
    if (rc) {
        fake_destroy(os);
        return rc;
    }
    *out = os;
    return 0;
}

int sbx_fake_os_add_foreign(struct sbx_os *os, enum sbx_rkind kind, const char *key,
                            const char *name, struct sbx_error *err)
{
    struct fake_os *f = impl(os);
    int rc = load(f, err);
    if (rc)
        return rc;
    if (find(f, kind, key))
        return sbx_err_set(err, SBX_EINVAL, "fake OS: %s %s exists already", sbx_rkind_name(kind),
                           key);
    char idbuf[32];
    snprintf(idbuf, sizeof idbuf, "%lu", f->next_id++);
    struct fake_obj o = {.kind = kind, .ours = false};
    o.key = strdup(key);
    o.name = name ? strdup(name) : NULL;
    o.principal = strdup(idbuf);
    if (!o.key || !o.principal || push(f, &o)) {
        obj_free(&o);
        return sbx_err_set(err, SBX_ENOMEM, "out of memory");
    }
    return save(f, err);
}

static int cmp_line(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int sbx_fake_os_snapshot(struct sbx_os *os, char **out, struct sbx_error *err)
{
    *out = NULL;
    struct fake_os *f = impl(os);
    int rc = load(f, err);
    if (rc)
        return rc;
    char **lines = calloc(f->n + 1, sizeof *lines);
    size_t total = 1;
    for (size_t i = 0; lines && i < f->n; i++) {
        const struct fake_obj *o = &f->objs[i];
        size_t len = 64 + strlen(o->key) + (o->name ? strlen(o->name) : 0) +
                     (o->principal ? strlen(o->principal) : 0) + (o->path ? strlen(o->path) : 0) +
                     (o->detail ? strlen(o->detail) : 0);
        if (!(lines[i] = malloc(len)))
            break;
        snprintf(lines[i], len, "%s|%s|%s|%s|%s|%s|%s\n", sbx_rkind_name(o->kind), o->key,
                 o->name ? o->name : "", o->principal ? o->principal : "", o->path ? o->path : "",
                 o->detail ? o->detail : "", o->ours ? "sbx" : "foreign");
        total += strlen(lines[i]);
    }
    bool ok = lines != NULL;
    for (size_t i = 0; ok && i < f->n; i++)
        ok = lines[i] != NULL;
    char *text = ok ? malloc(total) : NULL;
    if (text) {
        qsort(lines, f->n, sizeof *lines, cmp_line);
        text[0] = '\0';
        char *p = text;
        for (size_t i = 0; i < f->n; i++) {
            size_t len = strlen(lines[i]);
            memcpy(p, lines[i], len + 1);
            p += len;
        }
    }
    for (size_t i = 0; lines && i < f->n; i++)
        free(lines[i]);
    free(lines);
    if (!text)
        return sbx_err_set(err, SBX_ENOMEM, "out of memory");
    *out = text;
    return 0;
}

int sbx_fake_os_count(struct sbx_os *os, size_t *out, struct sbx_error *err)
{
    struct fake_os *f = impl(os);
    int rc = load(f, err);
    if (rc == 0)
        *out = f->n;
    return rc;
}

int sbx_fake_os_lookup(struct sbx_os *os, enum sbx_rkind kind, const char *key, bool *present,
                       char *principal, size_t principal_len, struct sbx_error *err)
{
    struct fake_os *f = impl(os);
    int rc = load(f, err);
    if (rc)
        return rc;
    struct fake_obj *o = find(f, kind, key);
    *present = o != NULL;
    if (principal && principal_len)
        snprintf(principal, principal_len, "%s", o && o->principal ? o->principal : "");
    return 0;
}
