/* SPDX-License-Identifier: MIT */
/* Placeholders at a workspace's root (placeholders.h).
 *
 * In the records directory, per workspace (named after its device and
 * inode, as the search's records are):
 *   DEV-INO        the record: "sbx-placeholders 1", "root PATH", one
 *                  "p NAME DEV INO" per placeholder (INO 0: the record was
 *                  written before the placeholder was made), "end"
 *   DEV-INO.lock   the lock (empty): byte 0 shared by each run for its
 *                  lifetime, byte 1 exclusive while the record changes
 *
 * A placeholder is marked as well as recorded: a directory with the
 * sticky bit and no access for group or others (PLACEHOLDER_MODE), which
 * no one makes at a workspace's root by accident.  The records are not
 * synced to the disk (an fsync per run cost more than the whole sandbox
 * on this kind of machine): a process that dies leaves them in the page
 * cache, complete, and only a power cut or a kernel crash can lose one
 * whose placeholders reached the disk.  The mark covers that case: the
 * next run on the workspace removes a marked, empty, unrecorded
 * placeholder of the caller's (remove_orphans) before it looks at what
 * is absent. */
#include "modes/confine/linux/placeholders.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "modes/confine/linux/plants.h"
#include "util/cleanup.h"
#include "util/platform.h"

#define RECORD_MAX 16384
/* The mark (see above); the umask can only take bits from 0700. */
#define PLACEHOLDER_MODE (S_ISVTX | 0700)
#define MADE_MAX 8 /* directories of the records' path a run may make */

struct sbx_placeholders {
    int dirfd;   /* the records directory */
    int lockfd;  /* DEV-INO.lock: byte 0 shared (held), byte 1 free */
    int wsfd;    /* the workspace (a duplicate of the run's) */
    char id[64]; /* DEV-INO */
    char records[PATH_MAX];        /* the records directory's path */
    char made[MADE_MAX][PATH_MAX]; /* made by begin, deepest first */
    size_t n_made;
};

const char *sbx_placeholder_name(unsigned bit)
{
    if (bit == 31)
        return ".git";
    for (unsigned i = 0; i <= bit && sbx_plants_names[i]; i++)
        if (i == bit)
            return sbx_plants_names[i];
    return NULL;
}

static int bit_of(const char *name)
{
    for (unsigned b = 0; b < 32; b++) {
        const char *n = sbx_placeholder_name(b);
        if (n && strcmp(n, name) == 0)
            return (int)b;
    }
    return -1;
}

/* --- the record's text ------------------------------------------------------ */

int sbx_placeholder_record_format(const struct sbx_placeholder_record *rec, char *buf,
                                  size_t len)
{
    if (strchr(rec->root, '\n') || rec->root[0] != '/')
        return -1;
    size_t used = 0;
    int n = snprintf(buf, len, "sbx-placeholders 1\nroot %s\n", rec->root);
    if (n < 0 || (size_t)n >= len)
        return -1;
    used = (size_t)n;
    for (size_t i = 0; i < rec->n; i++) {
        n = snprintf(buf + used, len - used, "p %s %llu %llu\n",
                     sbx_placeholder_name(rec->e[i].bit), rec->e[i].dev, rec->e[i].ino);
        if (n < 0 || (size_t)n >= len - used)
            return -1;
        used += (size_t)n;
    }
    n = snprintf(buf + used, len - used, "end\n");
    if (n < 0 || (size_t)n >= len - used)
        return -1;
    return (int)(used + (size_t)n);
}

/* A decimal number of the whole token, or -1. */
static int number(const char *s, unsigned long long *v)
{
    if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 19)
        return -1;
    *v = strtoull(s, NULL, 10);
    return 0;
}

static int parse(char *text, struct sbx_placeholder_record *rec)
{
    char *save = NULL;
    char *line = strtok_r(text, "\n", &save);
    if (!line || strcmp(line, "sbx-placeholders 1") != 0)
        return -1;
    line = strtok_r(NULL, "\n", &save);
    if (!line || strncmp(line, "root /", 6) != 0 || strlen(line + 5) >= sizeof rec->root)
        return -1;
    memcpy(rec->root, line + 5, strlen(line + 5) + 1);
    while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
        if (strcmp(line, "end") == 0)
            return strtok_r(NULL, "\n", &save) ? -1 : 0;
        char name[32], dev[24], ino[24], extra;
        struct sbx_placeholder_entry e;
        if (strncmp(line, "p ", 2) != 0 ||
            sscanf(line + 2, "%31s %23s %23s %c", name, dev, ino, &extra) != 3 ||
            number(dev, &e.dev) < 0 || number(ino, &e.ino) < 0 || rec->n >= SBX_PLACEHOLDERS_MAX)
            return -1;
        int bit = bit_of(name);
        if (bit < 0)
            return -1;
        e.bit = (unsigned)bit;
        for (size_t i = 0; i < rec->n; i++)
            if (rec->e[i].bit == e.bit)
                return -1;
        rec->e[rec->n++] = e;
    }
    return -1; /* no "end": cut short */
}

int sbx_placeholder_record_parse(const char *text, size_t len,
                                 struct sbx_placeholder_record *rec)
{
    memset(rec, 0, sizeof *rec);
    if (len == 0 || len > RECORD_MAX || memchr(text, '\0', len))
        return -1;
    char copy[RECORD_MAX + 1];
    memcpy(copy, text, len);
    copy[len] = '\0';
    if (parse(copy, rec) < 0) {
        memset(rec, 0, sizeof *rec);
        return -1;
    }
    return 0;
}

/* --- files of the records directory ----------------------------------------- */

/* The record named id in dirfd: 0 (rec filled; empty when there is none),
 * or -1 for one that is not sbx's (another owner, writable by others, not
 * a record). */
static int read_record(int dirfd, const char *id, uid_t owner,
                       struct sbx_placeholder_record *rec)
{
    memset(rec, 0, sizeof *rec);
    sbx_autofd int fd = openat(dirfd, id, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : -1;
    struct stat st;
    char buf[RECORD_MAX];
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != owner ||
        (st.st_mode & 022) || st.st_size < 0 || st.st_size > RECORD_MAX)
        return -1;
    if (st.st_size == 0)
        return 0; /* what a power cut can leave of an unsynced write: none */
    ssize_t n = pread(fd, buf, (size_t)st.st_size, 0);
    if (n != st.st_size)
        return -1;
    return sbx_placeholder_record_parse(buf, (size_t)n, rec);
}

/* Replace the record (by a rename: a reader sees the old one or the new
 * one whole); an empty one is removed.  Not synced: see above. */
static int write_record(int dirfd, const char *id, const struct sbx_placeholder_record *rec,
                        struct sbx_error *err)
{
    if (rec->n == 0) {
        if (unlinkat(dirfd, id, 0) != 0 && errno != ENOENT)
            return sbx_err_sys(err, SBX_EIO, errno, "remove the placeholder record %s", id);
        return 0;
    }
    char text[RECORD_MAX];
    int len = sbx_placeholder_record_format(rec, text, sizeof text);
    if (len < 0)
        return sbx_err_set(err, SBX_EINVAL, "placeholder record of %.200s: too long", rec->root);
    char tmp[96];
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", id, (long)getpid());
    unlinkat(dirfd, tmp, 0);
    int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return sbx_err_sys(err, SBX_EIO, errno, "write the placeholder record %s", tmp);
    ssize_t n = write(fd, text, (size_t)len);
    int e = n < 0 ? errno : EIO;
    bool ok = n == len;
    if (close(fd) != 0 && ok) {
        ok = false;
        e = errno;
    }
    if (ok && renameat(dirfd, tmp, dirfd, id) != 0) {
        ok = false;
        e = errno;
    }
    if (!ok) {
        unlinkat(dirfd, tmp, 0);
        return sbx_err_sys(err, SBX_EIO, e, "write the placeholder record %s", id);
    }
    return 0;
}

static int lock_byte(int fd, short type, off_t at, bool wait)
{
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = at, .l_len = 1};
    int rc;
    while ((rc = fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &fl)) != 0 && errno == EINTR)
        ;
    return rc;
}

/* DEV-INO.lock, with byte 1 locked exclusively (wait: block for it;
 * create: make the file when missing), and still the file of that name
 * (a run that removed it while this one waited leaves a stale inode).
 * -1 with errno (EAGAIN: busy, without wait). */
static int open_lock(int dirfd, const char *id, bool wait, bool create)
{
    char name[96];
    snprintf(name, sizeof name, "%s.lock", id);
    for (int tries = 0; tries < 100; tries++) {
        int fd = openat(dirfd, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC | (create ? O_CREAT : 0),
                        0600);
        if (fd < 0)
            return -1;
        struct stat a, b;
        if (lock_byte(fd, F_WRLCK, 1, wait) != 0) {
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        if (fstat(fd, &a) == 0 && S_ISREG(a.st_mode) &&
            fstatat(dirfd, name, &b, AT_SYMLINK_NOFOLLOW) == 0 && a.st_dev == b.st_dev &&
            a.st_ino == b.st_ino)
            return fd;
        close(fd);
    }
    errno = EAGAIN;
    return -1;
}

/* A placeholder's mark, on a directory of owner's. */
static bool marked(const struct stat *st, uid_t owner)
{
    return S_ISDIR(st->st_mode) && st->st_uid == owner && (st->st_mode & S_ISVTX) &&
           !(st->st_mode & 077);
}

/* Remove what rec names that is still sbx's and empty, from the workspace
 * open on wsfd; keep in rec what could not be removed (a note each). */
static void remove_placeholders(int wsfd, uid_t owner, struct sbx_placeholder_record *rec,
                                bool dry_run,
                                void (*note)(const char *, void *), void *ctx)
{
    size_t k = 0;
    for (size_t i = 0; i < rec->n; i++) {
        const struct sbx_placeholder_entry *e = &rec->e[i];
        const char *name = sbx_placeholder_name(e->bit);
        struct stat st;
        if (fstatat(wsfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue; /* gone */
        /* sbx's mark, or the inode a record of an older sbx kept (its
         * placeholders were unmarked) */
        bool ours = marked(&st, owner) || (e->ino && (unsigned long long)st.st_dev == e->dev &&
                                    (unsigned long long)st.st_ino == e->ino);
        if (!ours || !S_ISDIR(st.st_mode))
            continue; /* someone's since: theirs to keep */
        char msg[600];
        if (dry_run) {
            snprintf(msg, sizeof msg, "would remove the placeholder %.400s/%s", rec->root, name);
            if (note)
                note(msg, ctx);
            rec->e[k++] = *e;
            continue;
        }
        if (unlinkat(wsfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT ||
            errno == ENOTEMPTY || errno == EEXIST)
            continue; /* a directory someone filled meanwhile is theirs */
        snprintf(msg, sizeof msg, "the empty placeholder %.400s/%s was not removed (%s): sbx "
                 "removes it after a later run, or at `sbx cleanup`", rec->root, name,
                 strerror(errno));
        if (note)
            note(msg, ctx);
        rec->e[k++] = *e;
    }
    rec->n = k;
}

/* Unlock and close; remove the lock file first when nothing is recorded
 * (byte 0 and 1 held exclusively: no run uses it). */
static void drop_lock(int dirfd, const char *id, int lockfd, bool remove)
{
    if (remove) {
        char name[96];
        snprintf(name, sizeof name, "%s.lock", id);
        unlinkat(dirfd, name, 0);
    }
    close(lockfd);
}

/* --- a run --------------------------------------------------------------- */

/* The directories of path that don't exist yet, deepest first. */
static size_t missing_dirs(const char *path, char (*out)[PATH_MAX])
{
    char cur[PATH_MAX];
    if (snprintf(cur, sizeof cur, "%s", path) >= (int)sizeof cur)
        return 0;
    size_t n = 0;
    struct stat st;
    while (n < MADE_MAX && cur[0] == '/' && cur[1] && lstat(cur, &st) != 0 && errno == ENOENT) {
        memcpy(out[n++], cur, sizeof cur);
        char *slash = strrchr(cur, '/');
        if (!slash || slash == cur)
            break;
        *slash = '\0';
    }
    return n;
}

static void free_handle(struct sbx_placeholders *p)
{
    if (!p)
        return;
    sbx_closep(&p->lockfd);
    /* sbx's alone: gone when empty (a run that made no record), and the
     * directories above it that the run made, when that empties them */
    if (rmdir(p->records) != 0 && p->n_made)
        p->n_made = 0;
    for (size_t i = 1; i < p->n_made; i++)
        if (rmdir(p->made[i]) != 0)
            break; /* not empty: someone's */
    sbx_closep(&p->dirfd);
    sbx_closep(&p->wsfd);
    free(p);
}

/* The records directory, made if missing, and only if it is the caller's
 * alone (a directory others can write could hold their records). */
static int open_records(const char *records_dir, struct sbx_placeholders *p,
                        struct sbx_error *err)
{
    snprintf(p->records, sizeof p->records, "%s", records_dir);
    p->n_made = missing_dirs(records_dir, p->made);
    int rc = sbx_fs_mkdir_private(records_dir, err);
    if (rc < 0)
        return sbx_err_wrap(err, "the placeholders' records");
    p->dirfd = open(records_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (p->dirfd < 0 || fstat(p->dirfd, &st) != 0)
        return sbx_err_sys(err, SBX_EIO, errno, "open %s", records_dir);
    if (st.st_uid != geteuid() || (st.st_mode & 022))
        return sbx_err_set(err, SBX_EPERM, "%s is not yours alone (owner uid %u, mode %03o): "
                           "sbx keeps its records of placeholders only where no one else can "
                           "write", records_dir, (unsigned)st.st_uid,
                           (unsigned)(st.st_mode & 0777));
    return 0;
}

static bool recorded(const struct sbx_placeholder_record *rec, unsigned bit)
{
    for (size_t i = 0; i < rec->n; i++)
        if (rec->e[i].bit == bit)
            return true;
    return false;
}

/* Make a placeholder at each name of rec in want; *unplaced loses the
 * names that stand there now (made, or someone's: the search binds what
 * is there).  The record is left as it is: it names what sbx may have
 * made, and the mark tells which of them are sbx's. */
static void make_placeholders(int wsfd, const struct sbx_placeholder_record *rec,
                              unsigned long want, unsigned long *unplaced)
{
    for (size_t i = 0; i < rec->n; i++) {
        unsigned bit = rec->e[i].bit;
        if (!(want & (1ul << bit)))
            continue;
        if (mkdirat(wsfd, sbx_placeholder_name(bit), PLACEHOLDER_MODE) == 0 || errno == EEXIST)
            *unplaced &= ~(1ul << bit);
    }
}

/* Placeholders of the caller's that no record names (a power cut lost the
 * record, see above): marked, empty, at a name not absent and not
 * recorded.  Removed, as their run's end would have; true when one was. */
static bool remove_orphans(int wsfd, const struct sbx_placeholder_record *rec,
                           unsigned long absent)
{
    bool removed = false;
    for (unsigned b = 0; b < 32; b++) {
        const char *name = sbx_placeholder_name(b);
        struct stat st;
        if (!name || (absent & (1ul << b)) || recorded(rec, b) ||
            fstatat(wsfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !marked(&st, geteuid()))
            continue;
        removed |= unlinkat(wsfd, name, AT_REMOVEDIR) == 0; /* not if filled: theirs */
    }
    return removed;
}

static int begin(int wsfd, const char *records_dir, const struct sbx_plants_opts *o,
                 struct sbx_placeholders **out, unsigned long *unplaced, struct sbx_error *err)
{
    *out = NULL;
    const char *root = o->root;
    struct stat ws;
    if (!records_dir || !root || root[0] != '/' ||
        strlen(root) >= sizeof ((struct sbx_placeholder_record *)0)->root || strchr(root, '\n')) {
        /* not recordable: looked at after the run, as before */
        *unplaced = sbx_plants_root_absent(wsfd, o);
        return 0;
    }
    *unplaced = 0;
    if (fstat(wsfd, &ws) != 0)
        return sbx_err_sys(err, SBX_EIO, errno, "stat the workspace %s", root);
    struct sbx_placeholders *p = calloc(1, sizeof *p);
    if (!p)
        return sbx_err_set(err, SBX_ENOMEM, "out of memory");
    p->dirfd = p->lockfd = p->wsfd = -1;
    snprintf(p->id, sizeof p->id, "%llx-%llx", (unsigned long long)ws.st_dev,
             (unsigned long long)ws.st_ino);
    int rc = open_records(records_dir, p, err);
    if (rc == 0 && (p->wsfd = fcntl(wsfd, F_DUPFD_CLOEXEC, 3)) < 0)
        rc = sbx_err_sys(err, SBX_EIO, errno, "duplicate the descriptor of %s", root);
    if (rc == 0 && (p->lockfd = open_lock(p->dirfd, p->id, true, true)) < 0)
        rc = sbx_err_sys(err, SBX_EIO, errno, "lock %s/%s.lock", records_dir, p->id);
    /* Byte 0 is held exclusively only by a run holding byte 1 too: this
     * returns at once. */
    if (rc == 0 && lock_byte(p->lockfd, F_RDLCK, 0, true) != 0)
        rc = sbx_err_sys(err, SBX_EIO, errno, "lock %s/%s.lock", records_dir, p->id);
    /* What is absent, under the lock: a run ending now removes its
     * placeholders only when it can lock byte 0 alone, and a name seen
     * here stays until this run ends. */
    unsigned long absent = rc == 0 ? sbx_plants_root_absent(p->wsfd, o) : 0;
    *unplaced = absent;
    struct sbx_placeholder_record rec;
    if (rc == 0 && read_record(p->dirfd, p->id, geteuid(), &rec) != 0)
        rc = sbx_err_set(err, SBX_ECORRUPT, "%s/%s is not a record of sbx's: remove it",
                         records_dir, p->id);
    if (rc == 0 && remove_orphans(p->wsfd, &rec, absent)) {
        absent = sbx_plants_root_absent(p->wsfd, o);
        *unplaced = absent;
    }
    if (rc == 0 && absent) {
        /* The record names every placeholder sbx may make on this
         * workspace and stays from run to run: written only when it gains
         * a name, before the placeholder is made (a run that dies leaves
         * nothing unrecorded).  A name it keeps that stands for someone's
         * file now is harmless: only what bears the mark is removed. */
        bool grew = strcmp(rec.root, root) != 0;
        snprintf(rec.root, sizeof rec.root, "%s", root);
        for (unsigned b = 0; b < 32 && rec.n < SBX_PLACEHOLDERS_MAX; b++)
            if ((absent & (1ul << b)) && sbx_placeholder_name(b) && !recorded(&rec, b)) {
                rec.e[rec.n++] = (struct sbx_placeholder_entry){.bit = b};
                grew = true;
            }
        if (grew)
            rc = write_record(p->dirfd, p->id, &rec, err);
    }
    if (rc == 0) {
        if (absent)
            make_placeholders(p->wsfd, &rec, absent, unplaced);
        lock_byte(p->lockfd, F_UNLCK, 1, false);
        *out = p;
        return 0;
    }
    free_handle(p);
    return rc;
}

int sbx_placeholders_begin(int wsfd, const char *records_dir, const struct sbx_plants_opts *o,
                           struct sbx_placeholders **out, unsigned long *unplaced,
                           void (*note)(const char *text, void *ctx), void *ctx)
{
    struct sbx_error err = {0};
    int rc = begin(wsfd, records_dir, o, out, unplaced, &err);
    if (rc == 0)
        return 0;
    /* As without placeholders: what the command makes there is looked at
     * after the run.  (A home that does not exist, a state directory
     * others can write, a full disk: not a reason to refuse the run.) */
    *out = NULL;
    *unplaced = sbx_plants_root_absent(wsfd, o);
    char msg[SBX_ERR_MSG_MAX + 400];
    snprintf(msg, sizeof msg, "%.200s: no placeholders for the files tools run that are "
             "missing at its root (%.700s): what the command creates there is reported after "
             "the run instead", o->root ? o->root : "the workspace", err.msg);
    if (note)
        note(msg, ctx);
    return rc == -SBX_ENOMEM ? rc : 0;
}

void sbx_placeholders_end(struct sbx_placeholders *p,
                          void (*note)(const char *text, void *ctx), void *ctx)
{
    if (!p)
        return;
    /* The record's lock, then the workspace's: another run holding it
     * still has its mount on the placeholders (shared lock on byte 0),
     * and the last one out removes them. */
    if (lock_byte(p->lockfd, F_WRLCK, 1, true) == 0 &&
        lock_byte(p->lockfd, F_WRLCK, 0, false) == 0) {
        /* The record and its lock stay for the next run (sbx cleanup
         * removes them): rewriting and removing them on every run cost a
         * file made and unmade per run. */
        struct sbx_placeholder_record rec;
        if (read_record(p->dirfd, p->id, geteuid(), &rec) == 0)
            remove_placeholders(p->wsfd, geteuid(), &rec, false, note, ctx);
    }
    free_handle(p);
}

/* The DEV-INO a name of the records directory belongs to ("DEV-INO",
 * "DEV-INO.lock", "DEV-INO.PID.tmp") into id; false for anything else. */
static bool record_id(const char *n, char id[64])
{
    size_t a = strspn(n, "0123456789abcdef");
    if (a == 0 || n[a] != '-')
        return false;
    size_t b = strspn(n + a + 1, "0123456789abcdef");
    size_t len = a + 1 + b;
    if (b == 0 || len >= 64)
        return false;
    const char *rest = n + len;
    bool ok = !*rest || strcmp(rest, ".lock") == 0;
    if (!ok && *rest == '.') {
        size_t c = strspn(rest + 1, "0123456789");
        ok = c > 0 && strcmp(rest + 1 + c, ".tmp") == 0;
    }
    if (ok) {
        memcpy(id, n, len);
        id[len] = '\0';
    }
    return ok;
}

/* The temporary copies of id's record a crashed write left (the record's
 * lock held). */
static void remove_temporaries(int dirfd, const char *id)
{
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return;
    }
    char of[64];
    for (struct dirent *de; (de = readdir(d)) != NULL;) {
        size_t len = strlen(de->d_name);
        if (len > 4 && strcmp(de->d_name + len - 4, ".tmp") == 0 && record_id(de->d_name, of) &&
            strcmp(of, id) == 0)
            unlinkat(dirfd, de->d_name, 0);
    }
    closedir(d);
}

/* One record of `sbx cleanup`: 1 when it stays, 0 when it went. */
static int clear_one(int dirfd, const char *id, uid_t owner, bool dry_run,
                     void (*note)(const char *, void *), void *ctx)
{
    int lockfd = open_lock(dirfd, id, false, true);
    if (lockfd < 0 || lock_byte(lockfd, F_WRLCK, 0, false) != 0) {
        char msg[300];
        snprintf(msg, sizeof msg, "placeholder record %s: a run holds it (its last run removes "
                 "the placeholders)", id);
        if (note)
            note(msg, ctx);
        if (lockfd >= 0)
            close(lockfd);
        return 1;
    }
    struct sbx_placeholder_record rec;
    if (read_record(dirfd, id, owner, &rec) != 0) {
        close(lockfd);
        return 1;
    }
    /* The workspace by its recorded path, without a symlink, and only if
     * it is the directory the record is of. */
    struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                           .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
    sbx_autofd int wsfd = rec.n ? (int)syscall(SYS_openat2, AT_FDCWD, rec.root, &how,
                                                 sizeof how)
                                : -1;
    struct stat st;
    char now[64] = "";
    if (wsfd >= 0 && fstat(wsfd, &st) == 0)
        snprintf(now, sizeof now, "%llx-%llx", (unsigned long long)st.st_dev,
                 (unsigned long long)st.st_ino);
    if (strcmp(now, id) == 0)
        remove_placeholders(wsfd, owner, &rec, dry_run, note, ctx);
    else
        rec.n = 0; /* the workspace is gone, and what it held with it */
    if (dry_run) {
        close(lockfd);
        return 1;
    }
    struct sbx_error err = {0};
    bool gone = write_record(dirfd, id, &rec, &err) == 0 && rec.n == 0;
    remove_temporaries(dirfd, id);
    drop_lock(dirfd, id, lockfd, gone);
    return gone ? 0 : 1;
}

static int clear_records(int fd, const char *records_dir, uid_t owner, bool dry_run,
                         void (*note)(const char *text, void *ctx), void *ctx,
                         size_t *n_left, struct sbx_error *err)
{
    DIR *d = fdopendir(fd);
    if (!d) {
        int e = errno;
        close(fd);
        return sbx_err_sys(err, SBX_EIO, e, "read %s", records_dir);
    }
    /* The names first (clear_one changes the directory), each workspace's
     * once: a record, a lock without one, a crashed write's copy. */
    char (*ids)[64] = NULL;
    size_t n = 0, cap = 0;
    char id[64];
    for (struct dirent *de; (de = readdir(d)) != NULL;) {
        if (!record_id(de->d_name, id))
            continue;
        bool seen = false;
        for (size_t i = 0; i < n && !seen; i++)
            seen = strcmp(ids[i], id) == 0;
        if (seen)
            continue;
        if (n == cap) {
            void *v = realloc(ids, (cap = cap ? 2 * cap : 16) * sizeof *ids);
            if (!v) {
                free(ids);
                closedir(d);
                return sbx_err_set(err, SBX_ENOMEM, "out of memory");
            }
            ids = v;
        }
        memcpy(ids[n++], id, sizeof id);
    }
    for (size_t i = 0; i < n; i++)
        *n_left += (size_t)clear_one(dirfd(d), ids[i], owner, dry_run, note, ctx);
    free(ids);
    closedir(d);
    if (!dry_run && *n_left == 0 && rmdir(records_dir) != 0 && errno != ENOENT &&
        errno != ENOTEMPTY && errno != EEXIST)
        return sbx_err_sys(err, SBX_EIO, errno, "remove %s", records_dir);
    return 0;
}

int sbx_placeholders_clear(const char *records_dir, bool dry_run,
                           void (*note)(const char *text, void *ctx), void *ctx,
                           size_t *n_left, struct sbx_error *err)
{
    *n_left = 0;
    int fd = open(records_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : sbx_err_sys(err, SBX_EIO, errno, "open %s", records_dir);
    struct stat st;
    /* The records of the directory's owner: the caller's own, or, for
     * root cleaning a member's state directory, the member's, cleared
     * with the member's file-system identity (no more rights than theirs
     * over their workspaces) and only their marked placeholders. */
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return sbx_err_sys(err, SBX_EIO, e, "stat %s", records_dir);
    }
    bool as_owner = geteuid() == 0 && st.st_uid != 0;
    if ((!as_owner && st.st_uid != geteuid()) || (st.st_mode & 022)) {
        close(fd);
        return sbx_err_set(err, SBX_EPERM, "%s is not its owner's alone: not cleaned",
                           records_dir);
    }
    uid_t was_uid = (uid_t)setfsuid((uid_t)-1);
    gid_t was_gid = (gid_t)setfsgid((gid_t)-1);
    if (as_owner) {
        setfsgid(st.st_gid);
        setfsuid(st.st_uid);
    }
    int rc = clear_records(fd, records_dir, st.st_uid, dry_run, note, ctx, n_left, err);
    if (as_owner) {
        setfsuid(was_uid);
        setfsgid(was_gid);
    }
    return rc;
}
