/* SPDX-License-Identifier: MIT */
/* The record of the last search (plants_cache.h): its text, and the file
 * that holds it, read and written from a directory's descriptor, so that
 * the setuid launcher can use it too (without the state directory's
 * helpers), acting as its caller.
 *
 * One line each, names %-escaped (bytes up to a space, '%' and DEL):
 *   sbx-plants 1
 *   opts ALLOW_GIT MAX_FOUND N NAME...     the options it was made with
 *   root PATH
 *   gap I AT                               a bound hit, and where
 *   d DEV INO CTIME_SEC CTIME_NSEC /REL    a directory read ("/" the root)
 *   h TYPE /REL                            an entry with a protected name
 *   end
 * The text is input from a file: parsed with every size bounded, and
 * every path checked to be one a search could have made (relative, no
 * "." or ".." component, a hit's last component a protected name). */
#include "modes/confine/linux/plants_cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"

#define RECORD_MAX (64u << 20) /* a record larger than this is not read */
/* Entries of a record: what a search can make (SBX_PLANTS_MAX_VISIT entries
 * examined), and no more. */
#define RECORD_MAX_DIRS SBX_PLANTS_MAX_VISIT
#define RECORD_MAX_HITS SBX_PLANTS_MAX_VISIT

struct text {
    char *buf;
    size_t len, cap;
    bool oom;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct text *t, const char *fmt, ...)
{
    for (int tries = 0; tries < 2 && !t->oom; tries++) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->buf ? t->buf + t->len : NULL, t->buf ? t->cap - t->len : 0, fmt,
                          ap);
        va_end(ap);
        if (n < 0) {
            t->oom = true;
            return;
        }
        if (t->buf && t->len + (size_t)n < t->cap) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = t->cap ? t->cap : 4096;
        while (cap <= t->len + (size_t)n)
            cap *= 2;
        char *nb = realloc(t->buf, cap);
        if (!nb) {
            t->oom = true;
            return;
        }
        t->buf = nb;
        t->cap = cap;
    }
}

/* A name as one token: bytes up to a space, '%' and DEL as %XX. */
static void put_name(struct text *t, const char *prefix, const char *s)
{
    put(t, " %s", prefix);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c <= ' ' || *c == '%' || *c == 0x7f)
            put(t, "%%%02X", *c);
        else
            put(t, "%c", *c);
    }
}

char *sbx_plants_record_format(const struct sbx_plants_opts *o, const struct sbx_plants *p)
{
    struct text t = {0};
    put(&t, "sbx-plants 1\nopts %d %zu %zu", o->allow_git ? 1 : 0, o->max_found,
        o->n_allow_names);
    for (size_t i = 0; i < o->n_allow_names; i++)
        put_name(&t, "", o->allow_names[i]);
    put(&t, "\nroot");
    put_name(&t, "", o->root);
    put(&t, "\n");
    for (int g = 0; g < SBX_PLANTS_N_GAPS; g++)
        if (p->gap[g]) {
            put(&t, "gap %d", g);
            put_name(&t, "/", p->gap_at[g]);
            put(&t, "\n");
        }
    for (size_t i = 0; i < p->n_dirs; i++) {
        const struct sbx_plants_dir *d = &p->dirs[i];
        put(&t, "d %llu %llu %lld %ld", d->dev, d->ino, d->ctime_sec, d->ctime_nsec);
        put_name(&t, "/", d->rel);
        put(&t, "\n");
    }
    for (size_t i = 0; i < p->n_hits; i++) {
        put(&t, "h %u", (unsigned)p->hits[i].type);
        put_name(&t, "/", p->hits[i].rel);
        put(&t, "\n");
    }
    put(&t, "end\n");
    if (t.oom) {
        free(t.buf);
        return NULL;
    }
    return t.buf;
}

/* The next space-separated token of *cur (in place), %XX decoded; NULL at
 * the end of the line. */
static char *token(char **cur)
{
    char *s = *cur;
    while (*s == ' ')
        s++;
    if (!*s || *s == '\n')
        return NULL;
    char *start = s, *w = s;
    while (*s && *s != ' ' && *s != '\n') {
        unsigned v;
        if (*s == '%' && sscanf(s + 1, "%2x", &v) == 1 && s[1] && s[2]) {
            *w++ = (char)v;
            s += 3;
        } else {
            *w++ = *s++;
        }
    }
    if (*s == ' ')
        s++;
    *cur = s;
    *w = '\0';
    return start;
}

static char *next_line(char **cur)
{
    char *s = *cur;
    if (!*s)
        return NULL;
    char *nl = strchr(s, '\n');
    if (!nl)
        return NULL; /* a line without its end: truncated */
    *nl = '\0';
    *cur = nl + 1;
    return s;
}

/* A path a search could have recorded: relative, each component neither
 * empty nor "." nor ".."; a hit's last one a protected name ("" is the
 * root, for a directory). */
static bool rel_ok(const char *rel, bool hit)
{
    if (!*rel)
        return !hit;
    if (strlen(rel) >= PATH_MAX)
        return false;
    const char *last = rel;
    for (const char *c = rel;; c++) {
        if (*c != '/' && *c)
            continue;
        size_t len = (size_t)(c - last);
        if (len == 0 || (len == 1 && last[0] == '.') ||
            (len == 2 && last[0] == '.' && last[1] == '.'))
            return false;
        if (!*c)
            break;
        last = c + 1;
    }
    return !hit || strcmp(last, ".git") == 0 || sbx_plants_name_listed(last);
}

static int parse(char *text, const struct sbx_plants_opts *o, struct sbx_plants *rec)
{
    char *cur = text, *line;
    if (!(line = next_line(&cur)) || strcmp(line, "sbx-plants 1") != 0)
        return -1;
    /* the options */
    if (!(line = next_line(&cur)))
        return -1;
    char *tok = token(&line);
    int allow_git;
    size_t max_found, n_names;
    if (!tok || strcmp(tok, "opts") != 0 || sscanf(line, "%d %zu %zu", &allow_git, &max_found,
                                                  &n_names) != 3)
        return -1;
    for (int i = 0; i < 3; i++)
        token(&line);
    if ((allow_git != 0) != o->allow_git || max_found != o->max_found ||
        n_names != o->n_allow_names)
        return -1;
    for (size_t i = 0; i < n_names; i++)
        if (!(tok = token(&line)) || strcmp(tok, o->allow_names[i]) != 0)
            return -1;
    if (!(line = next_line(&cur)) || !(tok = token(&line)) || strcmp(tok, "root") != 0 ||
        !(tok = token(&line)) || strcmp(tok, o->root) != 0)
        return -1;
    while ((line = next_line(&cur)) != NULL) {
        if (strcmp(line, "end") == 0)
            return rec->n_dirs > 0 ? 0 : -1;
        char kind = line[0];
        line++;
        if (kind == 'g' && strncmp(line, "ap ", 3) == 0) {
            line += 3;
            int g;
            char *num = token(&line), *at = token(&line);
            if (!num || !at || sscanf(num, "%d", &g) != 1 || g < 0 || g >= SBX_PLANTS_N_GAPS ||
                at[0] != '/')
                return -1;
            rec->gap[g] = true;
            snprintf(rec->gap_at[g], sizeof rec->gap_at[g], "%.150s", at + 1);
        } else if (kind == 'd') {
            struct sbx_plants_dir d;
            char *f[5];
            for (int i = 0; i < 5; i++)
                f[i] = token(&line);
            if (!f[4] || f[4][0] != '/' || sscanf(f[0], "%llu", &d.dev) != 1 ||
                sscanf(f[1], "%llu", &d.ino) != 1 || sscanf(f[2], "%lld", &d.ctime_sec) != 1 ||
                sscanf(f[3], "%ld", &d.ctime_nsec) != 1)
                return -1;
            if (rec->n_dirs == rec->cap_dirs) {
                size_t cap = rec->cap_dirs ? 2 * rec->cap_dirs : 64;
                void *v = realloc(rec->dirs, cap * sizeof *rec->dirs);
                if (!v)
                    return -1;
                rec->dirs = v;
                rec->cap_dirs = cap;
            }
            if (rec->n_dirs >= RECORD_MAX_DIRS || !rel_ok(f[4] + 1, false) ||
                (rec->n_dirs == 0) != (f[4][1] == '\0') || !(d.rel = strdup(f[4] + 1)))
                return -1;
            rec->dirs[rec->n_dirs++] = d;
        } else if (kind == 'h') {
            unsigned type;
            char *ty = token(&line), *rel = token(&line);
            if (!ty || !rel || rel[0] != '/' || !rel[1] || sscanf(ty, "%u", &type) != 1 ||
                type > 255 || rec->n_hits >= RECORD_MAX_HITS || !rel_ok(rel + 1, true))
                return -1;
            if (rec->n_hits == rec->cap_hits) {
                size_t cap = rec->cap_hits ? 2 * rec->cap_hits : 16;
                void *v = realloc(rec->hits, cap * sizeof *rec->hits);
                if (!v)
                    return -1;
                rec->hits = v;
                rec->cap_hits = cap;
            }
            char *copy = strdup(rel + 1);
            if (!copy)
                return -1;
            rec->hits[rec->n_hits++] = (struct sbx_plants_hit){.rel = copy,
                                                               .type = (unsigned char)type};
        } else {
            return -1;
        }
    }
    return -1; /* no "end": cut short */
}

int sbx_plants_record_parse(const char *text, const struct sbx_plants_opts *o,
                            struct sbx_plants *rec)
{
    memset(rec, 0, sizeof *rec);
    sbx_autofree char *copy = strdup(text);
    if (!copy || parse(copy, o, rec) < 0) {
        sbx_plants_free(rec);
        memset(rec, 0, sizeof *rec);
        return -1;
    }
    return 0;
}

/* The record file's contents when it is a regular file of owner's that no
 * one else can write; NULL otherwise. */
static char *read_record(int dirfd, const char *name, uid_t owner)
{
    sbx_autofd int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != owner ||
        (st.st_mode & 022) || st.st_size <= 0 || (unsigned long long)st.st_size > RECORD_MAX)
        return NULL;
    size_t size = (size_t)st.st_size;
    char *buf = malloc(size + 1);
    size_t got = 0;
    while (buf && got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    if (!buf || got != size) {
        free(buf);
        return NULL;
    }
    buf[size] = '\0';
    return buf;
}

/* Replace the record: a new file beside it, renamed over it. */
static void write_record(int dirfd, const char *name, const char *text)
{
    char tmp[NAME_MAX + 1];
    snprintf(tmp, sizeof tmp, "%.200s.%ld.tmp", name, (long)getpid());
    unlinkat(dirfd, tmp, 0);
    int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    size_t len = strlen(text), done = 0;
    while (done < len) {
        ssize_t n = write(fd, text + done, len - done);
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    if (close(fd) != 0 || done != len || renameat(dirfd, tmp, dirfd, name) != 0)
        unlinkat(dirfd, tmp, 0);
}

int sbx_plants_search_at(int wsfd, int cache_dirfd, uid_t owner, const struct sbx_plants_opts *o,
                         struct sbx_plants *out, bool *cached, struct sbx_error *err)
{
    *cached = false;
    struct stat ws, dir;
    char name[64];
    /* only a directory of the owner's that no one else can write */
    int dirfd = cache_dirfd >= 0 && fstat(cache_dirfd, &dir) == 0 && S_ISDIR(dir.st_mode) &&
                        dir.st_uid == owner && !(dir.st_mode & 022) && fstat(wsfd, &ws) == 0
                    ? cache_dirfd
                    : -1;
    if (dirfd >= 0) {
        snprintf(name, sizeof name, "%llx-%llx", (unsigned long long)ws.st_dev,
                 (unsigned long long)ws.st_ino);
        sbx_autofree char *text = read_record(dirfd, name, owner);
        struct sbx_plants rec;
        if (text && sbx_plants_record_parse(text, o, &rec) == 0) {
            bool same = false;
            int rc = sbx_plants_replay(wsfd, o, &rec, out, &same, err);
            sbx_plants_free(&rec);
            if (rc < 0)
                return rc;
            if (same) {
                *cached = true;
                return 0;
            }
        }
    }
    struct sbx_plants_opts full = *o;
    full.record = dirfd >= 0;
    int rc = sbx_plants_scan(wsfd, &full, out, err);
    if (rc < 0 || dirfd < 0)
        return rc;
    /* Kept unless a change raced the search, or the search stopped short
     * (what it did not read has no record to be checked against). */
    if (!out->racy && !out->gap[SBX_PLANTS_OVER_VISIT]) {
        sbx_autofree char *text = sbx_plants_record_format(o, out);
        if (text)
            write_record(dirfd, name, text);
    } else {
        unlinkat(dirfd, name, 0);
    }
    return 0;
}

int sbx_plants_records_path(const char *home, char *out, size_t len)
{
    if (!home || home[0] != '/')
        return -1;
    int n = snprintf(out, len, "%s/.local/state/sbx/plants", strcmp(home, "/") ? home : "");
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

struct ws_list {
    const struct stat *ws;
    size_t n;
};

static bool is_workspace(int dirfd, void *ctx)
{
    const struct ws_list *l = ctx;
    struct stat st;
    if (fstat(dirfd, &st) != 0)
        return true; /* can't tell: as if it were */
    for (size_t i = 0; i < l->n; i++)
        if (st.st_dev == l->ws[i].st_dev && st.st_ino == l->ws[i].st_ino)
            return true;
    return false;
}

int sbx_plants_records_open(const char *path, uid_t owner, const struct stat *ws, size_t n_ws)
{
    struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                           .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
    int fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
    struct stat st;
    struct ws_list l = {ws, n_ws};
    /* in no workspace, walked up by ".." (a walk that fails: as if in one) */
    if (fd >= 0 && (fstat(fd, &st) != 0 || st.st_uid != owner || (st.st_mode & 022) ||
                    sbx_walk_up(fd, true, is_workspace, &l) != 0)) {
        close(fd);
        fd = -1;
    }
    return fd;
}
