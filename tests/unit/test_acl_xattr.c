/* SPDX-License-Identifier: MIT */
/* The elevated mode's ACL grants below the plan: the codec of the kernel's
 * xattr form of an ACL (modes/os/linux/acl_xattr.h) on its edge cases,
 * the codec against libacl on real files (what one writes the other
 * reads), and the walk (modes/os/linux/acl_walk.h) on real trees under a
 * temporary directory, as whoever runs the test: every directory and
 * regular file gets the entries, symlinks are not followed, a removal
 * gives back the exact modes and no ACL, trees deep or wide, progress
 * from several threads. */
#include <acl/libacl.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/acl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "helpers.h"
#include "modes/os/linux/acl_walk.h"
#include "modes/os/linux/acl_xattr.h"

#define A1 4000001u
#define A2 4000002u

static struct sbx_xacl *xacl_new(void)
{
    struct sbx_xacl *a = calloc(1, sizeof *a);
    assert_non_null(a);
    return a;
}

static void put_entry(unsigned char *p, unsigned tag, unsigned perm, uint32_t id)
{
    p[0] = (unsigned char)tag;
    p[1] = (unsigned char)(tag >> 8);
    p[2] = (unsigned char)perm;
    p[3] = 0;
    for (int i = 0; i < 4; i++)
        p[4 + i] = (unsigned char)(id >> (8 * i));
}

/* An xattr value from (tag, perm, id) triples. */
static size_t bytes_of(unsigned char *buf, const unsigned (*e)[3], size_t n)
{
    buf[0] = 2, buf[1] = buf[2] = buf[3] = 0;
    for (size_t i = 0; i < n; i++)
        put_entry(buf + 4 + 8 * i, e[i][0], e[i][1], e[i][2]);
    return 4 + 8 * n;
}

#define NO SBX_XACL_NO_ID

static void test_decode_round_trip(void **state)
{
    (void)state;
    struct sbx_xacl *a = xacl_new();
    static unsigned char buf[SBX_XACL_BYTES_MAX], out[SBX_XACL_BYTES_MAX];
    /* Named entries out of order, and repeated: the kernel takes them. */
    const unsigned e[][3] = {{1, 6, NO}, {2, 7, 9}, {2, 5, 3}, {2, 1, 9}, {4, 4, NO},
                             {8, 2, 100}, {0x10, 7, NO}, {0x20, 4, NO}};
    size_t len = bytes_of(buf, e, 8);
    assert_int_equal(sbx_xacl_decode(buf, len, a), 0);
    assert_int_equal(a->n, 8);
    assert_int_equal(a->e[2].id, 3);
    assert_int_equal(sbx_xacl_named(a), 4);
    assert_int_equal(sbx_xacl_encode(a, out), len);
    assert_memory_equal(buf, out, len);
    /* Revoking 9 takes both of its entries. */
    assert_true(sbx_xacl_revoke(a, 9, 7, true));
    assert_int_equal(sbx_xacl_find(a, SBX_XACL_USER, 9), -1);
    assert_int_equal(a->n, 6);
    free(a);
}

static void test_decode_refuses(void **state)
{
    (void)state;
    struct sbx_xacl *a = xacl_new();
    static unsigned char buf[SBX_XACL_BYTES_MAX + 8];
    const unsigned plain[][3] = {{1, 6, NO}, {4, 4, NO}, {0x20, 4, NO}};
    size_t len = bytes_of(buf, plain, 3);
    assert_int_equal(sbx_xacl_decode(buf, len, a), 0);
    /* Short, ragged, empty, another version. */
    assert_int_equal(sbx_xacl_decode(buf, 3, a), -EINVAL);
    assert_int_equal(sbx_xacl_decode(buf, len - 1, a), -EINVAL);
    assert_int_equal(sbx_xacl_decode(buf, 4, a), -EINVAL);
    assert_int_equal(a->n, 0);
    buf[0] = 1;
    assert_int_equal(sbx_xacl_decode(buf, len, a), -EINVAL);
    buf[0] = 2;
    /* A named entry without a mask; base tags out of order or twice; an
     * unknown tag; perms beyond rwx. */
    const unsigned nomask[][3] = {{1, 6, NO}, {2, 6, 5}, {4, 4, NO}, {0x20, 4, NO}};
    const unsigned order[][3] = {{4, 4, NO}, {1, 6, NO}, {0x20, 4, NO}};
    const unsigned twice[][3] = {{1, 6, NO}, {1, 6, NO}, {4, 4, NO}, {0x20, 4, NO}};
    const unsigned unknown[][3] = {{1, 6, NO}, {4, 4, NO}, {0x40, 4, NO}, {0x20, 4, NO}};
    const unsigned perm[][3] = {{1, 8, NO}, {4, 4, NO}, {0x20, 4, NO}};
    const unsigned noother[][3] = {{1, 6, NO}, {4, 4, NO}};
    assert_int_equal(sbx_xacl_decode(buf, bytes_of(buf, nomask, 4), a), -EINVAL);
    assert_int_equal(sbx_xacl_decode(buf, bytes_of(buf, order, 3), a), -EINVAL);
    assert_int_equal(sbx_xacl_decode(buf, bytes_of(buf, twice, 4), a), -EINVAL);
    assert_int_equal(sbx_xacl_decode(buf, bytes_of(buf, unknown, 4), a), -EINVAL);
    assert_int_equal(sbx_xacl_decode(buf, bytes_of(buf, perm, 3), a), -EINVAL);
    assert_int_equal(sbx_xacl_decode(buf, bytes_of(buf, noother, 2), a), -EINVAL);
    /* Longer than any xattr. */
    memset(buf, 0, sizeof buf);
    buf[0] = 2;
    assert_int_equal(sbx_xacl_decode(buf, SBX_XACL_BYTES_MAX + 8, a), -EINVAL);
    free(a);
}

static void test_grant_revoke_mask(void **state)
{
    (void)state;
    struct sbx_xacl *a = xacl_new();
    sbx_xacl_from_mode(a, 0754);
    int rc;
    /* Granted in sorted place, the mask made. */
    assert_true(sbx_xacl_grant(a, A2, 6, &rc));
    assert_true(sbx_xacl_grant(a, A1, 6, &rc));
    assert_int_equal(sbx_xacl_fix_mask(a), 0);
    assert_int_equal(a->n, 6);
    assert_int_equal(a->e[1].id, A1);
    assert_int_equal(a->e[2].id, A2);
    long m = sbx_xacl_find(a, SBX_XACL_MASK, 0);
    assert_int_equal(m, 4);
    assert_int_equal(a->e[m].perm, 7); /* r-x | rw- */
    /* Again: nothing to do. */
    assert_false(sbx_xacl_grant(a, A1, 6, &rc));
    assert_int_equal(rc, 0);
    /* Widened, not replaced. */
    assert_true(sbx_xacl_grant(a, A1, 1, &rc));
    assert_int_equal(a->e[1].perm, 7);
    /* A mask that no longer lets the entry through is a change. */
    a->e[m].perm = 4;
    assert_true(sbx_xacl_grant(a, A2, 6, &rc));
    assert_int_equal(sbx_xacl_fix_mask(a), 0);
    assert_int_equal(a->e[m].perm, 7);
    /* Only some bits taken back (a traverse entry the user had). */
    assert_true(sbx_xacl_revoke(a, A1, 1, false));
    assert_int_equal(a->e[1].perm, 6);
    assert_false(sbx_xacl_revoke(a, 12345, 7, true));
    /* The last named entry gone: the mask goes, the group keeps what the
     * mask let through. */
    a->e[m].perm = 4;
    assert_true(sbx_xacl_revoke(a, A1, 7, true));
    assert_true(sbx_xacl_revoke(a, A2, 7, true));
    assert_int_equal(sbx_xacl_fix_mask(a), 0);
    assert_int_equal(a->n, 3);
    assert_int_equal(sbx_xacl_find(a, SBX_XACL_MASK, 0), -1);
    assert_int_equal(a->e[1].perm, 4);
    free(a);
}

static void test_full(void **state)
{
    (void)state;
    struct sbx_xacl *a = xacl_new();
    sbx_xacl_from_mode(a, 0644);
    int rc = 0;
    /* Named entries until one short of full, with no mask yet. */
    while (a->n < SBX_XACL_MAX - 1)
        assert_true(sbx_xacl_grant(a, (uint32_t)a->n, 4, &rc));
    assert_int_equal(sbx_xacl_fix_mask(a), 0); /* the last slot */
    assert_false(sbx_xacl_grant(a, A1, 4, &rc));
    assert_int_equal(rc, -ENOSPC);
    assert_true(sbx_xacl_revoke(a, 5, 7, true));
    assert_true(sbx_xacl_grant(a, A1, 4, &rc));
    assert_int_equal(rc, 0);
    static unsigned char buf[SBX_XACL_BYTES_MAX];
    size_t len = sbx_xacl_encode(a, buf);
    assert_int_equal(len, SBX_XACL_BYTES_MAX - 4);
    struct sbx_xacl *b = xacl_new();
    assert_int_equal(sbx_xacl_decode(buf, len, b), 0);
    assert_int_equal(b->n, a->n);
    free(a);
    free(b);
}

/* --- against libacl, on real files -------------------------------------- */

static void set_text(const char *path, acl_type_t type, const char *text)
{
    acl_t acl = acl_from_text(text);
    assert_non_null(acl);
    assert_int_equal(acl_set_file(path, type, acl), 0);
    acl_free(acl);
}

/* The ACL as libacl reads it, in short text form. */
static char *text_of(const char *path, acl_type_t type)
{
    acl_t acl = acl_get_file(path, type);
    assert_non_null(acl);
    char *t = acl_to_any_text(acl, NULL, ',', TEXT_NUMERIC_IDS | TEXT_ABBREVIATE);
    acl_free(acl);
    assert_non_null(t);
    char *copy = strdup(t);
    acl_free(t);
    return copy;
}

static void test_libacl_agrees(void **state)
{
    (void)state;
    char *tmp = make_temp_dir();
    char f[PATH_MAX];
    path_join(f, sizeof f, tmp, "f");
    write_file(f, "x", 1);
    chmod(f, 0640);
    struct sbx_xacl *a = xacl_new();
    static unsigned char buf[SBX_XACL_BYTES_MAX];
    /* libacl writes, the codec reads. */
    set_text(f, ACL_TYPE_ACCESS, "u::rw-,u:4000002:r--,u:4000001:rwx,g::r--,g:4000003:-w-,m::rwx,o::---");
    ssize_t n = getxattr(f, "system.posix_acl_access", buf, sizeof buf);
    assert_true(n > 0);
    assert_int_equal(sbx_xacl_decode(buf, (size_t)n, a), 0);
    assert_int_equal(a->n, 7);
    long u1 = sbx_xacl_find(a, SBX_XACL_USER, A1);
    assert_true(u1 >= 0);
    assert_int_equal(a->e[u1].perm, 7);
    assert_int_equal(a->e[sbx_xacl_find(a, SBX_XACL_GROUP, 4000003)].perm, 2);
    /* The codec edits and writes, libacl reads. */
    int rc;
    assert_true(sbx_xacl_revoke(a, A1, 7, true));
    assert_true(sbx_xacl_grant(a, 4000000, 5, &rc));
    assert_int_equal(sbx_xacl_fix_mask(a), 0);
    assert_int_equal(setxattr(f, "system.posix_acl_access", buf, sbx_xacl_encode(a, buf), 0),
                     0);
    char *t = text_of(f, ACL_TYPE_ACCESS);
    assert_string_equal(t, "u::rw-,u:4000000:r-x,u:4000002:r--,g::r--,g:4000003:-w-,m::rwx,o::---");
    free(t);
    /* Nothing named left: the kernel keeps no ACL, the mode is the mask's. */
    assert_true(sbx_xacl_revoke(a, 4000000, 7, true));
    assert_true(sbx_xacl_revoke(a, A2, 7, true));
    a->n--;
    memmove(&a->e[2], &a->e[3], (a->n - 2) * sizeof a->e[0]); /* the group entry */
    assert_int_equal(sbx_xacl_named(a), 0);
    assert_int_equal(sbx_xacl_fix_mask(a), 0);
    assert_int_equal(setxattr(f, "system.posix_acl_access", buf, sbx_xacl_encode(a, buf), 0),
                     0);
    assert_int_equal(getxattr(f, "system.posix_acl_access", NULL, 0), -1);
    assert_int_equal(errno, ENODATA);
    struct stat st;
    assert_int_equal(stat(f, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    free(a);
    rm_tree(tmp);
    free(tmp);
}

/* --- the walk ------------------------------------------------------------- */

struct tree {
    char *tmp;
    char root[PATH_MAX];
};

static void mk(const struct tree *t, const char *rel, mode_t mode, bool dir);

/* A tree: its root ws (mode root_mode) under a new temporary directory. */
static void tree_new(struct tree *t, mode_t root_mode)
{
    t->tmp = make_temp_dir();
    path_join(t->root, sizeof t->root, t->tmp, "ws");
    mk(t, "", root_mode, true);
}

static void tree_free(struct tree *t)
{
    rm_tree(t->tmp);
    free(t->tmp);
}

static void mk(const struct tree *t, const char *rel, mode_t mode, bool dir)
{
    char p[PATH_MAX];
    path_join(p, sizeof p, t->root, rel);
    if (dir)
        assert_int_equal(mkdir(p, mode), 0);
    else
        write_file(p, "data", 4);
    assert_int_equal(chmod(p, mode), 0);
}

static struct sbx_acl_edit edit_of(bool grant)
{
    return (struct sbx_acl_edit){.tree = true, .grant = grant, .acc = {A1, A2}, .n_acc = 2,
                                 .owner = getuid(), .owner_gid = getgid(), .what = "test"};
}

static int walk(const struct tree *t, bool grant, unsigned long long *done,
                struct sbx_error *err)
{
    struct sbx_acl_edit ed = edit_of(grant);
    int fd = open(t->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(fd >= 0);
    return sbx_acl_walk_tree(&ed, fd, t->root, done, err);
}

static char *text_at(const struct tree *t, const char *rel, acl_type_t type)
{
    char p[PATH_MAX];
    path_join(p, sizeof p, t->root, rel);
    return text_of(p, type);
}

static void expect(const struct tree *t, const char *rel, acl_type_t type, const char *want)
{
    char *got = text_at(t, rel, type);
    if (strcmp(got, want) != 0)
        fail_msg("%s (%s): %s, not %s", rel, type == ACL_TYPE_ACCESS ? "access" : "default",
                 got, want);
    free(got);
}

static mode_t mode_at(const struct tree *t, const char *rel)
{
    char p[PATH_MAX];
    struct stat st;
    path_join(p, sizeof p, t->root, rel);
    assert_int_equal(lstat(p, &st), 0);
    return st.st_mode & 07777;
}

static void test_walk_grant_remove(void **state)
{
    (void)state;
    struct tree t;
    tree_new(&t, 0750);
    mk(&t, "a", 0755, true);
    mk(&t, "a/plain", 0644, false);
    mk(&t, "a/tool", 0700, false);
    mk(&t, "a/b", 0700, true);
    mk(&t, "a/b/secret", 0600, false);
    char p[PATH_MAX], outside[PATH_MAX];
    path_join(outside, sizeof outside, t.tmp, "outside");
    write_file(outside, "o", 1);
    chmod(outside, 0600);
    path_join(p, sizeof p, t.root, "a/link");
    assert_int_equal(symlink(outside, p), 0);
    path_join(p, sizeof p, t.root, "fifo");
    assert_int_equal(mkfifo(p, 0600), 0);
    /* The user's own entry stays through grant and removal. */
    path_join(p, sizeof p, t.root, "a/shared");
    write_file(p, "s", 1);
    set_text(p, ACL_TYPE_ACCESS, "u::rw-,u:4000009:r--,g::r--,m::r--,o::---");

    unsigned long long done = 0;
    struct sbx_error err = {0};
    assert_int_equal(walk(&t, true, &done, &err), 0);
    assert_int_equal(done, 7); /* 3 directories, 4 files */
    expect(&t, "a/plain", ACL_TYPE_ACCESS, "u::rw-,u:4000001:rw-,u:4000002:rw-,g::r--,m::rw-,o::r--");
    expect(&t, "a/tool", ACL_TYPE_ACCESS, "u::rwx,u:4000001:rwx,u:4000002:rwx,g::---,m::rwx,o::---");
    expect(&t, "a/shared", ACL_TYPE_ACCESS,
           "u::rw-,u:4000001:rw-,u:4000002:rw-,u:4000009:r--,g::r--,m::rw-,o::---");
    expect(&t, "a/b", ACL_TYPE_ACCESS, "u::rwx,u:4000001:rwx,u:4000002:rwx,g::---,m::rwx,o::---");
    /* The default entries: the accounts' and the owner's (whose uid is
     * below theirs), from the directory's base entries. */
    char def[128];
    snprintf(def, sizeof def, "u::rwx,u:%u:rwx,u:4000001:rwx,u:4000002:rwx,g::---,m::rwx,o::---",
             (unsigned)getuid());
    assert_true(getuid() < A1);
    expect(&t, "a/b", ACL_TYPE_DEFAULT, def);
    /* Not followed: the symlink's target has no ACL. */
    assert_int_equal(getxattr(outside, "system.posix_acl_access", NULL, 0), -1);
    assert_int_equal(errno, ENODATA);
    path_join(p, sizeof p, t.root, "fifo");
    assert_int_equal(getxattr(p, "system.posix_acl_access", NULL, 0), -1);

    /* Granted twice: nothing changes (and nothing is written). */
    struct stat before, after;
    path_join(p, sizeof p, t.root, "a/plain");
    assert_int_equal(stat(p, &before), 0);
    assert_int_equal(walk(&t, true, &done, &err), 0);
    assert_int_equal(stat(p, &after), 0);
    assert_int_equal(before.st_ctim.tv_sec, after.st_ctim.tv_sec);
    assert_int_equal(before.st_ctim.tv_nsec, after.st_ctim.tv_nsec);

    /* Removed: the modes are the old ones, no ACL but the user's. */
    assert_int_equal(walk(&t, false, &done, &err), 0);
    assert_int_equal(mode_at(&t, ""), 0750);
    assert_int_equal(mode_at(&t, "a/plain"), 0644);
    assert_int_equal(mode_at(&t, "a/tool"), 0700);
    assert_int_equal(mode_at(&t, "a/b/secret"), 0600);
    const char *plain[] = {"", "a", "a/plain", "a/tool", "a/b", "a/b/secret"};
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
        path_join(p, sizeof p, t.root, plain[i]);
        assert_int_equal(getxattr(p, "system.posix_acl_access", NULL, 0), -1);
        assert_int_equal(getxattr(p, "system.posix_acl_default", NULL, 0), -1);
    }
    expect(&t, "a/shared", ACL_TYPE_ACCESS, "u::rw-,u:4000009:r--,g::r--,m::r--,o::---");
    tree_free(&t);
}

/* Deeper than the queue and wider than it: every directory is reached,
 * whichever thread takes it. */
static void test_walk_deep_wide(void **state)
{
    (void)state;
    struct tree t;
    tree_new(&t, 0755);
    char rel[PATH_MAX] = "";
    for (int i = 0; i < 300; i++) {
        strcat(rel, i ? "/d" : "d");
        mk(&t, rel, 0755, true);
    }
    mk(&t, "w", 0755, true);
    for (int i = 0; i < 200; i++) {
        char sub[32];
        snprintf(sub, sizeof sub, "w/%d", i);
        mk(&t, sub, 0755, true);
        snprintf(sub, sizeof sub, "w/%d/f", i);
        mk(&t, sub, 0644, false);
    }
    unsigned long long done = 0;
    struct sbx_error err = {0};
    assert_int_equal(walk(&t, true, &done, &err), 0);
    assert_int_equal(done, 1 + 300 + 1 + 200 + 200);
    expect(&t, rel, ACL_TYPE_ACCESS, "u::rwx,u:4000001:rwx,u:4000002:rwx,g::r-x,m::rwx,o::r-x");
    expect(&t, "w/199/f", ACL_TYPE_ACCESS, "u::rw-,u:4000001:rw-,u:4000002:rw-,g::r--,m::rw-,o::r--");
    assert_int_equal(walk(&t, false, &done, &err), 0);
    assert_int_equal(done, 1 + 300 + 1 + 200 + 200);
    char p[PATH_MAX];
    path_join(p, sizeof p, t.root, rel);
    assert_int_equal(getxattr(p, "system.posix_acl_default", NULL, 0), -1);
    assert_int_equal(mode_at(&t, "w/7/f"), 0644);
    tree_free(&t);
}

struct progress_seen {
    unsigned calls;
    bool labelled;
};

static void on_progress(void *ctx, const char *what, unsigned long long done,
                        unsigned long long total)
{
    struct progress_seen *seen = ctx;
    seen->calls++;
    seen->labelled = strcmp(what, "test") == 0 && total == 0;
    /* One thread at a time, every 4096 objects. */
    assert_int_equal(done % 4096, 0);
}

/* Progress from several threads: one report per 4096 objects, one at a
 * time, labelled as asked. */
static void test_walk_progress(void **state)
{
    (void)state;
    struct tree t;
    tree_new(&t, 0755);
    char rel[64];
    for (int d = 0; d < 9; d++) {
        snprintf(rel, sizeof rel, "%d", d);
        mk(&t, rel, 0755, true);
        for (int f = 0; f < 1000; f++) {
            snprintf(rel, sizeof rel, "%d/%d", d, f);
            mk(&t, rel, 0644, false);
        }
    }
    struct progress_seen seen = {0};
    struct sbx_os os = {.progress = on_progress, .progress_ctx = &seen};
    struct sbx_acl_edit ed = edit_of(true);
    ed.os = &os;
    int fd = open(t.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(fd >= 0);
    unsigned long long done = 0;
    struct sbx_error err = {0};
    assert_int_equal(sbx_acl_walk_tree(&ed, fd, t.root, &done, &err), 0);
    assert_int_equal(done, 9010);
    assert_int_equal(seen.calls, 2);
    assert_true(seen.labelled);
    tree_free(&t);
}

/* A failure stops the walk and names the object. */
static void test_walk_error_names_path(void **state)
{
    (void)state;
    struct tree t;
    tree_new(&t, 0755);
    mk(&t, "a", 0755, true);
    /* A tree whose paths outgrow PATH_MAX (the kernel refuses an ACL that
     * is not one, so this is the failure a test can plant). */
    size_t len = strlen(t.root) + 2;
    char name[201];
    memset(name, 'n', 200);
    name[200] = '\0';
    /* Build it with *at calls: the whole path is longer than PATH_MAX. */
    int fd = open(t.root, O_RDONLY | O_DIRECTORY);
    assert_true(fd >= 0);
    int sub = openat(fd, "a", O_RDONLY | O_DIRECTORY);
    close(fd);
    while (len < PATH_MAX + 100) {
        assert_int_equal(mkdirat(sub, name, 0755), 0);
        int next = openat(sub, name, O_RDONLY | O_DIRECTORY);
        assert_true(next >= 0);
        close(sub);
        sub = next;
        len += 201;
    }
    close(sub);
    unsigned long long done = 0;
    struct sbx_error err = {0};
    int rc = walk(&t, true, &done, &err);
    assert_int_equal(rc, -SBX_EINVAL);
    if (!strstr(err.msg, "path too long"))
        fail_msg("%s", err.msg);
    assert_non_null(strstr(err.msg, t.root));
    /* Removal takes the entries off what the grant reached. */
    assert_int_equal(walk(&t, false, &done, &err), -SBX_EINVAL);
    char p[PATH_MAX];
    path_join(p, sizeof p, t.root, "a");
    assert_int_equal(getxattr(p, "system.posix_acl_default", NULL, 0), -1);
    /* rm -rf copes with the depth (nftw would not): by *at calls too. */
    char cmd[PATH_MAX + 32];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", t.tmp);
    assert_int_equal(system(cmd), 0);
    free(t.tmp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_round_trip),
        cmocka_unit_test(test_decode_refuses),
        cmocka_unit_test(test_grant_revoke_mask),
        cmocka_unit_test(test_full),
        cmocka_unit_test(test_libacl_agrees),
        cmocka_unit_test(test_walk_grant_remove),
        cmocka_unit_test(test_walk_deep_wide),
        cmocka_unit_test(test_walk_progress),
        cmocka_unit_test(test_walk_error_names_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
