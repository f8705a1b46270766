/* SPDX-License-Identifier: MIT */
#include "helpers.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef _WIN32
#include <direct.h>
#include <process.h>
#include <windows.h>
#else
#include <sys/wait.h>
#endif

char *make_temp_dir(void)
{
#ifdef _WIN32
    char base[MAX_PATH];
    DWORD n = GetTempPathA(sizeof base, base);
    assert_true(n > 0 && n < sizeof base);
    for (unsigned attempt = 0; attempt < 1000; attempt++) {
        char dir[MAX_PATH + 64];
        snprintf(dir, sizeof dir, "%ssbx-unit-%lu-%u-%u", base, GetCurrentProcessId(),
                 (unsigned)GetTickCount(), attempt);
        if (_mkdir(dir) == 0)
            return strdup(dir);
    }
    fail_msg("cannot create a temporary directory under %s", base);
    return NULL;
#else
    const char *base = getenv("TMPDIR");
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/sbx-unit-XXXXXX", base && *base ? base : "/tmp");
    char *dir = mkdtemp(tmpl);
    assert_non_null(dir);
    return strdup(dir);
#endif
}

void rm_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        unlink(dir);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
#ifdef _WIN32
        bool is_dir = stat(p, &st) == 0 && S_ISDIR(st.st_mode);
#else
        bool is_dir = lstat(p, &st) == 0 && S_ISDIR(st.st_mode);
#endif
        if (is_dir)
            rm_tree(p);
        else
            unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

void path_join(char *out, size_t len, const char *dir, const char *name)
{
    snprintf(out, len, "%s%c%s", dir, SBX_PATH_SEP, name);
}

int spawn_self(const char *self, const char *const *args)
{
    const char *argv[32] = {self};
    int argc = 1;
    for (size_t i = 0; args[i] && argc < 31; i++)
        argv[argc++] = args[i];
    argv[argc] = NULL;
    fflush(NULL);
#ifdef _WIN32
    /* Under Wine on a loaded machine, creating the process now and then
     * fails outright (-1, nothing ran): try again a few times before
     * calling it a failure.  A child that ran returns its status, never -1. */
    intptr_t rc = -1;
    for (int attempt = 0; attempt < 5 && rc < 0; attempt++) {
        if (attempt)
            Sleep(200);
        rc = _spawnv(_P_WAIT, self, argv);
        if (rc < 0)
            fprintf(stderr, "spawn_self: _spawnv %s failed (errno %d), attempt %d\n", self,
                    errno, attempt + 1);
    }
    assert_true(rc >= 0);
    return (int)rc;
#else
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execv(self, (char *const *)argv);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
#endif
}

void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
        }
    }
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

void assert_fake_matches_ledger(struct sbx_os *os, struct sbx_ledger *l)
{
    struct sbx_error err = {0};
    struct sbx_resource_list marked = {0}, rs = {0};
    assert_int_equal(sbx_fake_os_open != NULL, 1);
    assert_int_equal(sbx_os_find_marked(os, &marked, &err), 0);
    assert_int_equal(sbx_ledger_resources(l, &rs, &err), 0);
    size_t os_kinds = 0;
    for (size_t i = 0; i < rs.len; i++) {
        if (sbx_rkind_ledger_only(rs.items[i].kind))
            continue;
        os_kinds++;
        long at = sbx_rlist_find(&marked, rs.items[i].kind, rs.items[i].key);
        if (at < 0)
            fail_msg("ledger has %s %s, the machine does not", sbx_rkind_name(rs.items[i].kind),
                     rs.items[i].key);
        const char *a = marked.items[at].principal, *b = rs.items[i].principal;
        if ((a || b) && (!a || !b || strcmp(a, b) != 0))
            fail_msg("%s %s: machine id %s, ledger id %s", rs.items[i].key,
                     sbx_rkind_name(rs.items[i].kind), a ? a : "-", b ? b : "-");
    }
    for (size_t i = 0; i < marked.len; i++)
        if (sbx_rlist_find(&rs, marked.items[i].kind, marked.items[i].key) < 0)
            fail_msg("the machine has %s %s, the ledger does not",
                     sbx_rkind_name(marked.items[i].kind), marked.items[i].key);
    assert_int_equal(os_kinds, marked.len);
    sbx_rlist_free(&marked);
    sbx_rlist_free(&rs);
}

