/* SPDX-License-Identifier: MIT */
/* The search for files tools run (modes/confine/linux/plants.h) on fake
 * trees under a temporary directory: what it finds, what it leaves out
 * (symlinks, the insides of what it protects), and that every bound it
 * hits is reported. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "modes/confine/linux/plants.h"
#include "modes/confine/linux/plants_cache.h"

struct tree {
    char *tmp;            /* make_temp_dir's, removed at the end */
    char root[PATH_MAX];  /* canonical workspace: tmp/ws */
    char out[PATH_MAX];   /* tmp/out, beside the workspace */
};

static void tree_make(struct tree *t)
{
    t->tmp = make_temp_dir();
    char ws[PATH_MAX];
    path_join(ws, sizeof ws, t->tmp, "ws");
    assert_int_equal(mkdir(ws, 0755), 0);
    assert_non_null(realpath(ws, t->root));
    path_join(t->out, sizeof t->out, t->tmp, "out");
    assert_int_equal(mkdir(t->out, 0755), 0);
}

static void tree_free(struct tree *t)
{
    rm_tree(t->tmp);
    free(t->tmp);
}

/* mkdir -p of rel beneath the workspace. */
static void mkdirs(const struct tree *t, const char *rel)
{
    char p[2 * PATH_MAX + 2];
    snprintf(p, sizeof p, "%s/%s", t->root, rel);
    for (char *s = p + strlen(t->root) + 1; (s = strchr(s, '/')) != NULL; s++) {
        *s = '\0';
        mkdir(p, 0755);
        *s = '/';
    }
    assert_true(mkdir(p, 0755) == 0 || access(p, F_OK) == 0);
}

static void put(const struct tree *t, const char *rel, const char *text)
{
    const char *slash = strrchr(rel, '/');
    if (slash) {
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - rel), rel);
        mkdirs(t, dir);
    }
    char p[2 * PATH_MAX + 2];
    snprintf(p, sizeof p, "%s/%s", t->root, rel);
    write_file(p, text, strlen(text));
}

static void link_at(const struct tree *t, const char *rel, const char *target)
{
    char p[2 * PATH_MAX + 2];
    snprintf(p, sizeof p, "%s/%s", t->root, rel);
    assert_int_equal(symlink(target, p), 0);
}

static int scan(const struct tree *t, const struct sbx_plants_opts *extra,
                struct sbx_plants *out)
{
    struct sbx_plants_opts o = {0};
    if (extra)
        o = *extra;
    o.root = t->root;
    int fd = open(t->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    assert_true(fd >= 0);
    struct sbx_error err = {0};
    int rc = sbx_plants_scan(fd, &o, out, &err);
    close(fd);
    if (rc != 0)
        fail_msg("scan of %s: %s", t->root, err.msg);
    return rc;
}

static bool has(const struct sbx_plants *p, const char *rel)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->v[i].rel, rel) == 0)
            return true;
    return false;
}

static void assert_found(const struct sbx_plants *p, const char *const *want, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!has(p, want[i])) {
            char all[2048] = "";
            for (size_t k = 0; k < p->n; k++)
                snprintf(all + strlen(all), sizeof all - strlen(all), " %s", p->v[k].rel);
            fail_msg("%s was not found; found:%s", want[i], all);
        }
}

static bool any_gap(const struct sbx_plants *p)
{
    for (int i = 0; i < SBX_PLANTS_N_GAPS; i++)
        if (p->gap[i])
            return true;
    return false;
}

/* The git rule and the deny list at every depth, nothing more. */
static void test_finds_at_any_depth(void **state)
{
    (void)state;
    struct tree t;
    tree_make(&t);
    mkdirs(&t, ".git/hooks");
    mkdirs(&t, "a/b/nested/.git/hooks");
    put(&t, "a/b/nested/.git/config", "[core]\n");
    put(&t, "a/b/nested/.git/.envrc", "not searched: inside what is protected\n");
    mkdirs(&t, "wt");
    put(&t, "wt/.git", "gitdir: ../gitdirs/wt \n");
    mkdirs(&t, "gitdirs/wt/hooks");
    mkdirs(&t, "deep/er/.vscode/x");
    put(&t, "deep/er/.vscode/x/.profile", "not searched either\n");
    put(&t, "deep/.envrc", "x\n");
    put(&t, ".mcp.json", "{}\n");
    mkdirs(&t, "p/.claude");
    put(&t, "p/.gitmodules", "");
    put(&t, "p/.bashrc", "");
    put(&t, "p/notes.txt", "");
    mkdirs(&t, "src/lib");
    put(&t, "src/lib/main.c", "");

    struct sbx_plants p;
    assert_int_equal(scan(&t, NULL, &p), 0);
    const char *want[] = {".git", "a/b/nested/.git", "wt/.git", "gitdirs/wt",
                          "deep/er/.vscode", "deep/.envrc", ".mcp.json", "p/.claude",
                          "p/.gitmodules", "p/.bashrc"};
    assert_found(&p, want, sizeof want / sizeof want[0]);
    assert_int_equal(p.n, sizeof want / sizeof want[0]);
    assert_false(any_gap(&p));
    for (size_t i = 0; i < p.n; i++) {
        struct stat st;
        assert_int_equal(fstat(p.v[i].fd, &st), 0);
        assert_true(st.st_ino == p.v[i].ino && st.st_dev == p.v[i].dev);
        assert_int_equal(p.v[i].dir, S_ISDIR(st.st_mode));
    }
    sbx_plants_free(&p);
    tree_free(&t);
}

/* --allow-git drops every .git part; --allow-write-name drops a name. */
static void test_allow(void **state)
{
    (void)state;
    struct tree t;
    tree_make(&t);
    mkdirs(&t, "n/.git");
    mkdirs(&t, "gd");
    put(&t, "m/.git", "gitdir: ../gd\n");
    put(&t, ".envrc", "");
    mkdirs(&t, ".vscode");
    const char *names[] = {".vscode"};
    struct sbx_plants_opts o = {.allow_git = true, .allow_names = names, .n_allow_names = 1};
    struct sbx_plants p;
    assert_int_equal(scan(&t, &o, &p), 0);
    assert_int_equal(p.n, 1);
    assert_string_equal(p.v[0].rel, ".envrc");
    sbx_plants_free(&p);
    assert_true(sbx_plants_name_listed(".envrc"));
    assert_false(sbx_plants_name_listed(".git"));
    assert_false(sbx_plants_name_listed("README"));
    tree_free(&t);
}

/* Symlinks are never followed into a directory, and one with a protected
 * name leads to its target only beneath the workspace. */
static void test_symlinks(void **state)
{
    (void)state;
    struct tree t;
    tree_make(&t);
    mkdirs(&t, "real");
    put(&t, "real/.envrc", "");
    link_at(&t, "alias", "real");          /* the same tree again: not walked */
    char outside[PATH_MAX + 16];
    snprintf(outside, sizeof outside, "%s/.zshrc", t.out);
    write_file(outside, "", 0);
    mkdirs(&t, "l");
    link_at(&t, "l/.zshrc", outside);      /* leads out: nothing to bind here */
    put(&t, "l/rc.sh", "");
    link_at(&t, "l/.profile", "rc.sh");    /* leads inside: its target is kept */
    link_at(&t, "l/.bashrc", "../../out/.zshrc"); /* ".." out of the workspace */
    struct sbx_plants p;
    assert_int_equal(scan(&t, NULL, &p), 0);
    const char *want[] = {"real/.envrc", "l/rc.sh"};
    assert_found(&p, want, 2);
    assert_int_equal(p.n, 2);
    assert_false(any_gap(&p));
    sbx_plants_free(&p);
    tree_free(&t);
}

/* A gitdir: that names nothing yet, or something out of the workspace;
 * an absolute one inside it. */
static void test_gitdir_files(void **state)
{
    (void)state;
    struct tree t;
    tree_make(&t);
    put(&t, "a/.git", "gitdir: ../missing\n");
    char text[PATH_MAX + 32];
    snprintf(text, sizeof text, "gitdir: %s\n", t.out);
    put(&t, "b/.git", text);
    mkdirs(&t, "store/c");
    snprintf(text, sizeof text, "gitdir: %s/store/c\n", t.root);
    put(&t, "c/.git", text);
    put(&t, "d/.git", "not a gitdir line\n");
    /* a submodule's: inside .git, read-only with it, not bound again */
    mkdirs(&t, ".git/modules/sm");
    put(&t, "sm/.git", "gitdir: ../.git/modules/sm\n");
    struct sbx_plants p;
    assert_int_equal(scan(&t, NULL, &p), 0);
    const char *want[] = {"a/.git", "b/.git", "c/.git", "store/c", "d/.git", ".git",
                          "sm/.git"};
    assert_found(&p, want, 7);
    assert_int_equal(p.n, 7);
    assert_true(p.gap[SBX_PLANTS_DANGLING]);
    assert_string_equal(p.gap_at[SBX_PLANTS_DANGLING], "a/../missing");
    sbx_plants_free(&p);
    tree_free(&t);
}

static void collect(const char *note, void *ctx)
{
    char *buf = ctx;
    snprintf(buf + strlen(buf), 4096 - strlen(buf), "%s\n", note);
}

/* Bounds: each one hit is a note naming where. */
static void test_bounds(void **state)
{
    (void)state;
    struct tree t;
    tree_make(&t);
    put(&t, ".envrc", "");
    put(&t, ".zshrc", "");
    put(&t, ".profile", "");
    char rel[PATH_MAX] = "d";
    for (int i = 1; i < SBX_PLANTS_MAX_DEPTH + 2; i++)
        snprintf(rel + strlen(rel), sizeof rel - strlen(rel), "/d");
    mkdirs(&t, rel);
    snprintf(rel + strlen(rel), sizeof rel - strlen(rel), "/.envrc");
    put(&t, rel, "");
    struct sbx_plants_opts o = {.max_found = 2};
    struct sbx_plants p;
    assert_int_equal(scan(&t, &o, &p), 0);
    assert_int_equal(p.n, 2);
    assert_true(p.gap[SBX_PLANTS_OVER_FOUND]);
    assert_true(p.gap[SBX_PLANTS_OVER_DEPTH]);
    assert_false(p.gap[SBX_PLANTS_OVER_VISIT]);
    char notes[4096] = "";
    sbx_plants_notes(&p, t.root, collect, notes);
    assert_non_null(strstr(notes, "the rest stay writable"));
    assert_non_null(strstr(notes, "deeper than"));
    sbx_plants_free(&p);
    tree_free(&t);
}

/* The kept record: a second search is served by it, and any change of a
 * directory (a new entry, deep or not; a rename) makes a full one. */
static int search(const struct tree *t, const char *cache, struct sbx_plants *out)
{
    struct sbx_plants_opts o = {.root = t->root};
    int fd = open(t->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    assert_true(fd >= 0);
    struct sbx_error err = {0};
    bool cached = false;
    int rc = sbx_plants_search(fd, cache, &o, out, &cached, &err);
    close(fd);
    if (rc != 0)
        fail_msg("search of %s: %s", t->root, err.msg);
    return cached;
}

static void settle(void)
{
    /* older than the next search by more than the clock's tick */
    usleep(30 * 1000);
}

static void test_cache(void **state)
{
    (void)state;
    struct tree t;
    tree_make(&t);
    char cache[PATH_MAX + 16];
    snprintf(cache, sizeof cache, "%s/state/plants", t.tmp);
    mkdirs(&t, "a/b/c");
    mkdirs(&t, "n/.git");
    put(&t, "w/.git", "gitdir: ../gd\n");
    mkdirs(&t, "gd");
    put(&t, "a/b/.envrc", "");
    put(&t, "a b/%weird\nname/.profile", "");
    settle();
    struct sbx_plants p;
    assert_false(search(&t, cache, &p)); /* the first one reads everything */
    size_t n = p.n;
    assert_int_equal(n, 5);
    sbx_plants_free(&p);
    assert_true(search(&t, cache, &p)); /* nothing changed */
    assert_int_equal(p.n, n);
    const char *want[] = {"n/.git", "w/.git", "gd", "a/b/.envrc", "a b/%weird\nname/.profile"};
    assert_found(&p, want, 5);
    sbx_plants_free(&p);
    /* a file's contents: no directory changed, still served */
    put(&t, "a/b/c/readme", "");
    settle();
    assert_false(search(&t, cache, &p)); /* c changed: a new entry */
    sbx_plants_free(&p);
    assert_true(search(&t, cache, &p));
    sbx_plants_free(&p);
    put(&t, "a/b/c/readme", "more\n");
    assert_true(search(&t, cache, &p));
    sbx_plants_free(&p);
    /* a plant made deep down */
    put(&t, "a/b/c/.vscode", "");
    settle();
    assert_false(search(&t, cache, &p));
    assert_true(has(&p, "a/b/c/.vscode"));
    sbx_plants_free(&p);
    /* a .git file repointed: no directory changed, but read again */
    mkdirs(&t, "gd2");
    settle();
    assert_false(search(&t, cache, &p));
    sbx_plants_free(&p);
    put(&t, "w/.git", "gitdir: ../gd2\n");
    assert_true(search(&t, cache, &p));
    assert_true(has(&p, "gd2"));
    assert_false(has(&p, "gd"));
    sbx_plants_free(&p);
    /* a directory renamed and another put in its place */
    char from[PATH_MAX + 8], to[PATH_MAX + 8];
    snprintf(from, sizeof from, "%s/a", t.root);
    snprintf(to, sizeof to, "%s/a-old", t.root);
    assert_int_equal(rename(from, to), 0);
    mkdirs(&t, "a/b");
    put(&t, "a/b/.zshrc", "");
    settle();
    assert_false(search(&t, cache, &p));
    const char *now[] = {"a/b/.zshrc", "a-old/b/.envrc", "a-old/b/c/.vscode"};
    assert_found(&p, now, 3);
    sbx_plants_free(&p);
    /* a record that is not ours to trust (others can write it) is ignored */
    assert_true(search(&t, cache, &p));
    sbx_plants_free(&p);
    struct stat st;
    assert_int_equal(stat(t.root, &st), 0);
    char file[PATH_MAX + 64];
    snprintf(file, sizeof file, "%s/%llx-%llx", cache, (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino);
    assert_int_equal(chmod(file, 0666), 0);
    assert_false(search(&t, cache, &p));
    sbx_plants_free(&p);
    /* The root is read again each time, not trusted by its ctime (the
     * placeholders made and removed there move it every run): a file
     * there changes nothing ... */
    assert_true(search(&t, cache, &p));
    sbx_plants_free(&p);
    put(&t, "notes.txt", "");
    assert_true(search(&t, cache, &p));
    sbx_plants_free(&p);
    /* ... a protected name there does, made or removed ... */
    put(&t, ".envrc", "");
    assert_false(search(&t, cache, &p));
    assert_true(has(&p, ".envrc"));
    sbx_plants_free(&p);
    assert_true(search(&t, cache, &p));
    assert_true(has(&p, ".envrc"));
    sbx_plants_free(&p);
    snprintf(file, sizeof file, "%s/.envrc", t.root);
    assert_int_equal(unlink(file), 0);
    assert_false(search(&t, cache, &p));
    assert_false(has(&p, ".envrc"));
    sbx_plants_free(&p);
    /* ... and so does a directory, new or swapped for another */
    mkdirs(&t, "fresh");
    assert_false(search(&t, cache, &p));
    sbx_plants_free(&p);
    settle();
    search(&t, cache, &p); /* (kept, unless the one before raced fresh's ctime) */
    sbx_plants_free(&p);
    assert_true(search(&t, cache, &p));
    sbx_plants_free(&p);
    snprintf(file, sizeof file, "%s/fresh", t.root);
    assert_int_equal(rmdir(file), 0);
    put(&t, "fresh", "");
    assert_false(search(&t, cache, &p));
    sbx_plants_free(&p);
    tree_free(&t);
}

/* The text of a record: read back as written, refused for other options
 * or when cut short. */
static void test_record_text(void **state)
{
    (void)state;
    struct tree t;
    tree_make(&t);
    put(&t, "x y/.envrc", "");
    settle();
    const char *names[] = {".idea"};
    struct sbx_plants_opts o = {.root = t.root, .record = true, .allow_names = names,
                                .n_allow_names = 1};
    struct sbx_plants p, back;
    int fd = open(t.root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    struct sbx_error err = {0};
    assert_int_equal(sbx_plants_scan(fd, &o, &p, &err), 0);
    close(fd);
    char *text = sbx_plants_record_format(&o, &p);
    assert_non_null(text);
    assert_int_equal(sbx_plants_record_parse(text, &o, &back), 0);
    assert_int_equal(back.n_dirs, p.n_dirs);
    assert_int_equal(back.n_hits, 1);
    assert_string_equal(back.hits[0].rel, "x y/.envrc");
    sbx_plants_free(&back);
    struct sbx_plants_opts other = o;
    other.allow_git = true;
    assert_int_equal(sbx_plants_record_parse(text, &other, &back), -1);
    other = o;
    other.n_allow_names = 0;
    assert_int_equal(sbx_plants_record_parse(text, &other, &back), -1);
    text[strlen(text) - 4] = '\0'; /* "end" cut off */
    assert_int_equal(sbx_plants_record_parse(text, &o, &back), -1);
    free(text);
    sbx_plants_free(&p);
    tree_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_finds_at_any_depth),
        cmocka_unit_test(test_allow),
        cmocka_unit_test(test_symlinks),
        cmocka_unit_test(test_gitdir_files),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_cache),
        cmocka_unit_test(test_record_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
