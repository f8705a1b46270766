/* SPDX-License-Identifier: MIT */
/* The placeholders at a workspace's root (modes/confine/linux/
 * placeholders.h), on real directories under a temporary one: what is
 * made, what is removed and when (the last run out; only what is still
 * sbx's and empty), what a crash leaves and `sbx cleanup` removes, and the
 * record's text. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "modes/confine/linux/placeholders.h"
#include "modes/confine/linux/plants.h"

struct ws {
    char *tmp;
    char root[PATH_MAX];     /* tmp/ws, or tmp/repo/ws inside a repository */
    char records[PATH_MAX];  /* tmp/state/placeholders (not made) */
    int fd;
};

static void ws_make(struct ws *w, bool in_repo)
{
    w->tmp = make_temp_dir();
    char p[PATH_MAX];
    if (in_repo) {
        path_join(p, sizeof p, w->tmp, "repo");
        assert_int_equal(mkdir(p, 0755), 0);
        path_join(p, sizeof p, w->tmp, "repo/.git");
        assert_int_equal(mkdir(p, 0755), 0);
        path_join(p, sizeof p, w->tmp, "repo/ws");
    } else {
        path_join(p, sizeof p, w->tmp, "ws");
    }
    assert_int_equal(mkdir(p, 0755), 0);
    assert_non_null(realpath(p, w->root));
    snprintf(w->records, sizeof w->records, "%s/state/placeholders", w->tmp);
    w->fd = open(w->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    assert_true(w->fd >= 0);
}

static void ws_free(struct ws *w)
{
    close(w->fd);
    rm_tree(w->tmp);
    free(w->tmp);
}

static void note_fail(const char *text, void *ctx)
{
    (void)ctx;
    fail_msg("unexpected note: %s", text);
}

static struct sbx_placeholders *begin(const struct ws *w, const struct sbx_plants_opts *extra,
                                      unsigned long *unplaced)
{
    struct sbx_plants_opts o = {0};
    if (extra)
        o = *extra;
    o.root = w->root;
    struct sbx_placeholders *p = NULL;
    unsigned long dummy;
    if (sbx_placeholders_begin(w->fd, w->records, &o, &p, unplaced ? unplaced : &dummy,
                               note_fail, NULL))
        fail_msg("placeholders of %s: out of memory", w->root);
    assert_non_null(p);
    return p;
}

/* 'd' a directory, 'f' an empty file, '-' nothing, 'x' something else. */
static char kind(const struct ws *w, const char *name)
{
    struct stat st;
    if (fstatat(w->fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return '-';
    if (S_ISDIR(st.st_mode))
        return 'd';
    return S_ISREG(st.st_mode) && st.st_size == 0 ? 'f' : 'x';
}

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static void notes_ignored(const char *text, void *ctx)
{
    (void)text;
    (void)ctx;
}

static void test_made_and_removed(void **state)
{
    (void)state;
    struct ws w;
    ws_make(&w, false);
    unsigned long unplaced = ~0ul;
    struct sbx_placeholders *p = begin(&w, NULL, &unplaced);
    assert_int_equal(unplaced, 0);
    size_t n = 0;
    for (unsigned b = 0; b < 31 && sbx_placeholder_name(b); b++, n++)
        assert_int_equal(kind(&w, sbx_placeholder_name(b)), 'd');
    assert_int_equal(n, 14);
    assert_int_equal(kind(&w, ".vscode"), 'd');
    assert_int_equal(kind(&w, ".envrc"), 'd');
    assert_int_equal(kind(&w, ".git"), '-'); /* not inside a repository */
    sbx_placeholders_end(p, notes_ignored, NULL);
    assert_int_equal(kind(&w, ".vscode"), '-');
    assert_int_equal(kind(&w, ".envrc"), '-');
    /* The record stays for the next run, which writes nothing when it
     * places the same names (the same file, not rewritten). */
    char record[PATH_MAX * 2];
    struct stat before, after;
    struct dirent *de;
    DIR *d = opendir(w.records);
    assert_non_null(d);
    record[0] = '\0';
    while ((de = readdir(d)) != NULL)
        if (de->d_name[0] != '.' && !strstr(de->d_name, ".lock"))
            snprintf(record, sizeof record, "%s/%s", w.records, de->d_name);
    closedir(d);
    assert_int_equal(stat(record, &before), 0);
    p = begin(&w, NULL, &unplaced);
    assert_int_equal(unplaced, 0);
    assert_int_equal(kind(&w, ".envrc"), 'd');
    sbx_placeholders_end(p, notes_ignored, NULL);
    assert_int_equal(kind(&w, ".envrc"), '-');
    assert_int_equal(stat(record, &after), 0);
    assert_true(before.st_ino == after.st_ino && before.st_mtim.tv_sec == after.st_mtim.tv_sec &&
                before.st_mtim.tv_nsec == after.st_mtim.tv_nsec);
    /* sbx cleanup's part removes the record and its directory */
    size_t left = 1;
    struct sbx_error err = {0};
    assert_int_equal(sbx_placeholders_clear(w.records, false, notes_ignored, NULL, &left, &err),
                     0);
    assert_int_equal(left, 0);
    assert_false(exists(w.records));
    ws_free(&w);
}

static void test_repository_and_allowed(void **state)
{
    (void)state;
    struct ws w;
    ws_make(&w, true);
    const char *allow[] = {".envrc"};
    struct sbx_plants_opts o = {.allow_names = allow, .n_allow_names = 1};
    struct sbx_placeholders *p = begin(&w, &o, NULL);
    assert_int_equal(kind(&w, ".git"), 'd');
    assert_int_equal(kind(&w, ".envrc"), '-'); /* --allow-write-name .envrc */
    sbx_placeholders_end(p, notes_ignored, NULL);
    assert_int_equal(kind(&w, ".git"), '-');
    /* --allow-git: no .git placeholder */
    o.allow_git = true;
    p = begin(&w, &o, NULL);
    assert_int_equal(kind(&w, ".git"), '-');
    assert_int_equal(kind(&w, ".idea"), 'd');
    sbx_placeholders_end(p, notes_ignored, NULL);
    ws_free(&w);
}

/* Two runs on one workspace: the first to end leaves the placeholders the
 * second's mounts stand on; the last one out removes them. */
static void test_last_run_removes(void **state)
{
    (void)state;
    struct ws w;
    ws_make(&w, false);
    struct sbx_placeholders *one = begin(&w, NULL, NULL);
    unsigned long unplaced = ~0ul;
    struct sbx_placeholders *two = begin(&w, NULL, &unplaced);
    assert_int_equal(unplaced, 0); /* nothing absent: run one's are there */
    assert_int_equal(kind(&w, ".envrc"), 'd');
    sbx_placeholders_end(one, notes_ignored, NULL);
    assert_int_equal(kind(&w, ".envrc"), 'd');
    assert_int_equal(kind(&w, ".claude"), 'd');
    sbx_placeholders_end(two, notes_ignored, NULL);
    assert_int_equal(kind(&w, ".envrc"), '-');
    assert_int_equal(kind(&w, ".claude"), '-');
    ws_free(&w);
}

/* What is not sbx's any more stays: a placeholder filled, or replaced by
 * another directory or a file. */
static void test_only_ours_removed(void **state)
{
    (void)state;
    struct ws w;
    ws_make(&w, false);
    struct sbx_placeholders *p = begin(&w, NULL, NULL);
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/.vscode/settings.json", w.root);
    write_file(path, "{}", 2);
    char from[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/.profile", w.root);
    snprintf(from, sizeof from, "%s/other", w.root);
    assert_int_equal(mkdir(from, 0700), 0); /* while the first exists: another inode */
    assert_int_equal(rmdir(path), 0);
    assert_int_equal(rename(from, path), 0);
    snprintf(path, sizeof path, "%s/.envrc", w.root);
    assert_int_equal(rmdir(path), 0);
    write_file(path, "", 0); /* a file now */
    sbx_placeholders_end(p, notes_ignored, NULL);
    assert_int_equal(kind(&w, ".envrc"), 'f');
    assert_int_equal(kind(&w, ".vscode"), 'd');
    assert_int_equal(kind(&w, ".profile"), 'd');
    assert_int_equal(kind(&w, ".idea"), '-');
    assert_int_equal(kind(&w, ".zshrc"), '-');
    ws_free(&w);
}

/* A run that dies after placing its placeholders, without its end. */
static void begin_and_die(const struct ws *w)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        begin(w, NULL, NULL);
        _exit(0); /* no end */
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* A power cut can lose a record (sbx does not sync them) whose
 * placeholders reached the disk: the next run removes a placeholder no
 * record names by its mark (sticky, owner-only, empty), and nothing else. */
static void test_orphan_removed(void **state)
{
    (void)state;
    struct ws w;
    ws_make(&w, false);
    /* made like sbx makes them by a run that died, then their record lost */
    begin_and_die(&w);
    struct stat st;
    assert_int_equal(fstatat(w.fd, ".envrc", &st, 0), 0);
    assert_true((st.st_mode & 07777) == 01700);
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/state", w.tmp);
    rm_tree(path);
    /* the user's own empty directory, and a marked one someone filled */
    snprintf(path, sizeof path, "%s/.vscode", w.root);
    assert_int_equal(rmdir(path), 0);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/.idea/workspace.xml", w.root);
    write_file(path, "<x/>", 4);
    unsigned long unplaced = ~0ul;
    struct sbx_placeholders *p = begin(&w, NULL, &unplaced);
    assert_int_equal(unplaced, 0);
    sbx_placeholders_end(p, notes_ignored, NULL);
    assert_int_equal(kind(&w, ".envrc"), '-');
    assert_int_equal(kind(&w, ".claude"), '-');
    assert_int_equal(kind(&w, ".vscode"), 'd');
    assert_int_equal(kind(&w, ".idea"), 'd');
    ws_free(&w);
}

/* Root's `sbx cleanup` clears a member's records (their state directory
 * is theirs) as the member: their marked placeholders go, nothing else. */
static void test_root_clears_members(void **state)
{
    (void)state;
    if (geteuid() != 0) {
        print_message("test_root_clears_members: needs root (it acts as another user)\n");
        skip();
    }
    struct ws w;
    ws_make(&w, false);
    uid_t nobody = 65534;
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/state", w.tmp);
    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_equal(chown(path, nobody, nobody), 0);
    assert_int_equal(chown(w.root, nobody, nobody), 0);
    assert_int_equal(chmod(w.tmp, 0755), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (setgid(nobody) != 0 || setuid(nobody) != 0)
            _exit(1);
        struct sbx_plants_opts o = {.root = w.root};
        struct sbx_placeholders *p = NULL;
        unsigned long unplaced;
        if (sbx_placeholders_begin(w.fd, w.records, &o, &p, &unplaced, NULL, NULL) || !p)
            _exit(2);
        _exit(0); /* dies without its end */
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(kind(&w, ".envrc"), 'd');
    /* root's own empty directory at a recorded name is not the member's */
    snprintf(path, sizeof path, "%s/.vscode", w.root);
    assert_int_equal(rmdir(path), 0);
    assert_int_equal(mkdir(path, 01700), 0);
    size_t left = 1;
    struct sbx_error err = {0};
    assert_int_equal(sbx_placeholders_clear(w.records, false, notes_ignored, NULL, &left, &err),
                     0);
    assert_int_equal(left, 0);
    assert_int_equal(kind(&w, ".envrc"), '-');
    assert_int_equal(kind(&w, ".vscode"), 'd');
    assert_false(exists(w.records));
    /* root's identity is back */
    assert_int_equal(setfsuid((uid_t)-1), 0);
    ws_free(&w);
}

static void count_note(const char *text, void *ctx)
{
    (void)text;
    (*(int *)ctx)++;
}

/* A run that dies without its end (kill -9): the placeholders stay, with
 * their record; sbx cleanup (or the next run) removes them. */
static void test_crash_then_cleanup(void **state)
{
    (void)state;
    struct ws w;
    ws_make(&w, true);
    begin_and_die(&w);
    assert_int_equal(kind(&w, ".git"), 'd');
    assert_int_equal(kind(&w, ".mcp.json"), 'd');
    /* --dry-run: said, not done */
    int notes = 0;
    size_t left = 0;
    struct sbx_error err = {0};
    assert_int_equal(sbx_placeholders_clear(w.records, true, count_note, &notes, &left, &err), 0);
    assert_int_equal(notes, 15);
    assert_int_equal(kind(&w, ".git"), 'd');
    /* held by a run: kept */
    struct sbx_placeholders *live = begin(&w, NULL, NULL);
    assert_int_equal(sbx_placeholders_clear(w.records, false, count_note, &notes, &left, &err), 0);
    assert_int_equal(left, 1);
    assert_int_equal(kind(&w, ".git"), 'd');
    sbx_placeholders_end(live, notes_ignored, NULL); /* the next run's end removes them */
    assert_int_equal(kind(&w, ".git"), '-');
    /* again, left for cleanup this time */
    begin_and_die(&w);
    assert_int_equal(kind(&w, ".codex"), 'd');
    assert_int_equal(sbx_placeholders_clear(w.records, false, count_note, &notes, &left, &err), 0);
    assert_int_equal(left, 0);
    assert_int_equal(kind(&w, ".codex"), '-');
    assert_int_equal(kind(&w, ".git"), '-');
    assert_false(exists(w.records));
    ws_free(&w);
}

static void keep_note(const char *text, void *ctx)
{
    snprintf(ctx, 2048, "%s", text);
}

/* A records directory others can write is not used (they could forge what
 * sbx removes): no placeholders then, and a note. */
static void test_records_dir_private(void **state)
{
    (void)state;
    struct ws w;
    ws_make(&w, false);
    char state_dir[PATH_MAX + 8];
    snprintf(state_dir, sizeof state_dir, "%s/state", w.tmp);
    assert_int_equal(mkdir(state_dir, 0700), 0);
    assert_int_equal(mkdir(w.records, 0777), 0);
    assert_int_equal(chmod(w.records, 0777), 0);
    struct sbx_plants_opts o = {.root = w.root};
    struct sbx_placeholders *p = NULL;
    unsigned long unplaced = 0;
    char said[2048] = "";
    /* not refused: the run goes on as without placeholders, and says so */
    assert_int_equal(sbx_placeholders_begin(w.fd, w.records, &o, &p, &unplaced, keep_note, said),
                     0);
    assert_null(p);
    assert_non_null(strstr(said, "writable by others"));
    assert_non_null(strstr(said, "reported after the run"));
    assert_true(unplaced & 2ul);
    assert_int_equal(kind(&w, ".envrc"), '-');
    /* without records: nothing made, everything absent is looked at after */
    unplaced = 0;
    assert_int_equal(sbx_placeholders_begin(w.fd, NULL, &o, &p, &unplaced, note_fail, NULL), 0);
    assert_null(p);
    assert_true(unplaced & 2ul); /* .envrc, second on the list */
    assert_int_equal(kind(&w, ".envrc"), '-');
    ws_free(&w);
}

static void test_record_text(void **state)
{
    (void)state;
    struct sbx_placeholder_record rec = {.n = 2};
    snprintf(rec.root, sizeof rec.root, "/home/u/a b");
    rec.e[0] = (struct sbx_placeholder_entry){.bit = 1, .dev = 64769, .ino = 1234};
    rec.e[1] = (struct sbx_placeholder_entry){.bit = 31, .dev = 0, .ino = 0};
    char text[4096];
    int len = sbx_placeholder_record_format(&rec, text, sizeof text);
    assert_true(len > 0);
    assert_non_null(strstr(text, "p .envrc 64769 1234\n"));
    assert_non_null(strstr(text, "p .git 0 0\n"));
    struct sbx_placeholder_record back;
    assert_int_equal(sbx_placeholder_record_parse(text, (size_t)len, &back), 0);
    assert_string_equal(back.root, rec.root);
    assert_int_equal(back.n, 2);
    assert_int_equal(back.e[0].ino, 1234);
    assert_int_equal(back.e[1].bit, 31);
    static const char *const bad[] = {
        "", "sbx-placeholders 2\nroot /a\nend\n", "sbx-placeholders 1\nroot a\nend\n",
        "sbx-placeholders 1\nroot /a\np .envrc 1 2\n",             /* cut short */
        "sbx-placeholders 1\nroot /a\np ../x 1 2\nend\n",          /* not a name of the list */
        "sbx-placeholders 1\nroot /a\np .envrc 1 2\np .envrc 1 3\nend\n", /* twice */
        "sbx-placeholders 1\nroot /a\np .envrc -1 2\nend\n",
        "sbx-placeholders 1\nroot /a\np .envrc 1 99999999999999999999\nend\n",
        "sbx-placeholders 1\nroot /a\np .envrc 1 2 3\nend\n",
        "sbx-placeholders 1\nroot /a\nend\nmore\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (sbx_placeholder_record_parse(bad[i], strlen(bad[i]), &back) == 0)
            fail_msg("accepted: %s", bad[i]);
    assert_int_equal(sbx_placeholder_record_parse("sbx-placeholders 1\0", 19, &back), -1);
    snprintf(rec.root, sizeof rec.root, "/a\nb");
    assert_int_equal(sbx_placeholder_record_format(&rec, text, sizeof text), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_made_and_removed),
        cmocka_unit_test(test_repository_and_allowed),
        cmocka_unit_test(test_last_run_removes),
        cmocka_unit_test(test_only_ours_removed),
        cmocka_unit_test(test_crash_then_cleanup),
        cmocka_unit_test(test_orphan_removed),
        cmocka_unit_test(test_root_clears_members),
        cmocka_unit_test(test_records_dir_private),
        cmocka_unit_test(test_record_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
