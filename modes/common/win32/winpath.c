/* SPDX-License-Identifier: MIT */
#include "modes/common/win32/winpath.h"

#include <windows.h>
#include <userenv.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "modes/common/win32/winutil.h"

static bool is_sep(wchar_t c) { return c == L'\\' || c == L'/'; }

static int refuse(struct sbx_error *err, const wchar_t *path, const char *why)
{
    char *u = sbx_utf8(path);
    int rc = sbx_err_set(err, SBX_EINVAL, "refusing workspace '%s': %s", u ? u : "?", why);
    free(u);
    return rc;
}

int sbx_winpath_normalize(const wchar_t *in, wchar_t *out, size_t len, struct sbx_error *err)
{
    if (!in || !in[0])
        return sbx_err_set(err, SBX_EINVAL, "empty path");
    const wchar_t *p = in;
    if (is_sep(p[0]) && is_sep(p[1])) {
        /* \\?\ and \??\ with a drive letter are fine, everything else that
         * starts with two separators is a UNC or device path. */
        if ((p[2] == L'?' || p[2] == L'.') && is_sep(p[3])) {
            const wchar_t *rest = p + 4;
            if (p[2] == L'?' && iswalpha(rest[0]) && rest[1] == L':' &&
                (is_sep(rest[2]) || !rest[2]))
                p = rest;
            else if (p[2] == L'?' && _wcsnicmp(rest, L"UNC", 3) == 0 && is_sep(rest[3]))
                return refuse(err, in, "network (UNC) paths are not supported; use a local "
                              "folder");
            else
                return refuse(err, in, "device and volume paths are not supported; use a "
                              "drive-letter path such as C:\\src\\project");
        } else {
            return refuse(err, in, "network (UNC) paths are not supported; use a local folder");
        }
    }
    if (!(iswalpha(p[0]) && p[1] == L':' && is_sep(p[2])))
        return refuse(err, in, "not an absolute path with a drive letter");
    size_t o = 0;
    if (len < 4)
        return sbx_err_set(err, SBX_EINVAL, "path buffer too small");
    out[o++] = (wchar_t)towupper(p[0]);
    out[o++] = L':';
    out[o++] = L'\\';
    p += 3;
    while (*p) {
        while (is_sep(*p))
            p++;
        if (!*p)
            break;
        const wchar_t *start = p;
        while (*p && !is_sep(*p))
            p++;
        size_t n = (size_t)(p - start);
        if ((n == 1 && start[0] == L'.') || (n == 2 && start[0] == L'.' && start[1] == L'.'))
            return refuse(err, in, "'.' and '..' components are not allowed");
        for (size_t i = 0; i < n; i++)
            if (start[i] == L':' || start[i] == L'*' || start[i] == L'?' || start[i] == L'"' ||
                start[i] == L'<' || start[i] == L'>' || start[i] == L'|')
                return refuse(err, in, "the path holds a character Windows does not allow "
                              "in names (or an alternate data stream)");
        if (o + n + 2 > len)
            return sbx_err_set(err, SBX_EINVAL, "path too long");
        if (out[o - 1] != L'\\')
            out[o++] = L'\\';
        memcpy(out + o, start, n * sizeof *out);
        o += n;
    }
    out[o] = L'\0';
    return 0;
}

static bool eq_n(const wchar_t *a, const wchar_t *b, size_t n)
{
    if (n == 0)
        return true;
    return CompareStringOrdinal(a, (int)n, b, (int)n, TRUE) == CSTR_EQUAL;
}

bool sbx_winpath_equal(const wchar_t *a, const wchar_t *b)
{
    size_t na = wcslen(a), nb = wcslen(b);
    return na == nb && eq_n(a, b, na);
}

bool sbx_winpath_within(const wchar_t *path, const wchar_t *dir)
{
    size_t np = wcslen(path), nd = wcslen(dir);
    if (nd == 0 || np < nd || !eq_n(path, dir, nd))
        return false;
    /* dir "C:\" ends with a separator; otherwise the next char must be one. */
    return np == nd || dir[nd - 1] == L'\\' || path[nd] == L'\\';
}

int sbx_winpath_long(const wchar_t *norm, wchar_t *out, size_t len)
{
    size_t n = wcslen(norm);
    if (n + 5 > len)
        return -SBX_EINVAL;
    wcscpy(out, L"\\\\?\\");
    wcscat(out, norm);
    return 0;
}

/* The parent of path (normal form) into out. */
static void parent_of(const wchar_t *path, wchar_t *out, size_t len)
{
    wcsncpy(out, path, len - 1);
    out[len - 1] = L'\0';
    wchar_t *slash = wcsrchr(out, L'\\');
    if (slash && slash - out > 2)
        *slash = L'\0';
    else if (slash)
        slash[1] = L'\0';
}

int sbx_winpath_check(const wchar_t *norm, const struct sbx_danger_dirs *d,
                      struct sbx_error *err)
{
    if (wcslen(norm) <= 3)
        return refuse(err, norm, "it is a drive root; use a folder for the project");
    const struct {
        const wchar_t *dir;
        const char *name;
        bool inside_too; /* refuse everything beneath it as well */
    } places[] = {
        {d->windows, "the Windows folder (%SystemRoot%)", true},
        {d->program_files, "Program Files", true},
        {d->program_files_x86, "Program Files (x86)", true},
        {d->program_data, "ProgramData (machine-wide settings, sbx's own ledger)", true},
        {d->profile, "your user profile", false},
        {d->profiles_root, "the folder of all user profiles", false},
    };
    char msg[300];
    const size_t n_places = sizeof places / sizeof places[0];
    for (size_t i = 0; i < n_places; i++) {
        const wchar_t *dir = places[i].dir;
        if (dir && dir[0] && sbx_winpath_equal(norm, dir)) {
            snprintf(msg, sizeof msg, "it is %s itself; use a project folder inside %s",
                     places[i].name, places[i].inside_too ? "your profile" : "it");
            return refuse(err, norm, msg);
        }
    }
    for (size_t i = 0; i < n_places; i++) {
        const wchar_t *dir = places[i].dir;
        if (!dir || !dir[0])
            continue;
        if (places[i].inside_too && sbx_winpath_within(norm, dir)) {
            snprintf(msg, sizeof msg, "it lies inside %s", places[i].name);
            return refuse(err, norm, msg);
        }
        if (sbx_winpath_within(dir, norm)) {
            snprintf(msg, sizeof msg, "it holds %s, which an inheritable grant would reach",
                     places[i].name);
            return refuse(err, norm, msg);
        }
    }
    if (d->profiles_root && d->profiles_root[0]) {
        wchar_t parent[SBX_WINPATH_MAX / 8];
        parent_of(norm, parent, sizeof parent / sizeof parent[0]);
        if (sbx_winpath_equal(parent, d->profiles_root))
            return refuse(err, norm, "it is a user profile folder");
    }
    return 0;
}

/* long: "\\?\C:\...\leaf" of a directory that is not a reparse point. */
static int resolve_via_parent(const wchar_t *long_path, wchar_t *out, size_t len,
                              struct sbx_error *err)
{
    size_t n = wcslen(long_path);
    wchar_t *parent = malloc((n + 1) * sizeof *parent);
    if (!parent)
        return sbx_err_set(err, SBX_ENOMEM, "out of memory");
    wcscpy(parent, long_path);
    wchar_t *slash = wcsrchr(parent, L'\\');
    int rc = 0;
    WIN32_FIND_DATAW fd;
    HANDLE f = FindFirstFileW(long_path, &fd);
    if (f == INVALID_HANDLE_VALUE) {
        rc = sbx_win_err(err, 0, GetLastError(), "resolving a long path");
        goto out;
    }
    FindClose(f);
    if (!slash || slash - parent <= 6) { /* "\\?\C:\" is no parent to resolve */
        rc = sbx_err_set(err, SBX_EINVAL, "cannot resolve a long path");
        goto out;
    }
    *slash = L'\0';
    rc = sbx_winpath_resolve(parent, out, len, err);
    if (rc)
        goto out;
    size_t have = wcslen(out), leaf = wcslen(fd.cFileName);
    if (have + leaf + 2 > len) {
        rc = sbx_err_set(err, SBX_EINVAL, "path too long");
        goto out;
    }
    if (out[have - 1] != L'\\')
        out[have++] = L'\\';
    wcscpy(out + have, fd.cFileName);
out:
    free(parent);
    return rc;
}

int sbx_winpath_resolve(const wchar_t *in, wchar_t *out, size_t len, struct sbx_error *err)
{
    int rc = 0;
    wchar_t *full = malloc(SBX_WINPATH_MAX * sizeof *full);
    wchar_t *tmp = malloc(SBX_WINPATH_MAX * sizeof *tmp);
    char *u = sbx_utf8(in);
    HANDLE h = INVALID_HANDLE_VALUE;
    if (!full || !tmp) {
        rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
        goto out;
    }
    /* Refuse UNC and device forms before touching anything. */
    if (is_sep(in[0]) && is_sep(in[1])) {
        rc = sbx_winpath_normalize(in, tmp, SBX_WINPATH_MAX, err);
        if (rc)
            goto out;
    }
    DWORD n = GetFullPathNameW(in, SBX_WINPATH_MAX, full, NULL);
    if (n == 0 || n >= SBX_WINPATH_MAX) {
        rc = sbx_win_err(err, SBX_EINVAL, GetLastError(), "resolving '%s'", u ? u : "?");
        goto out;
    }
    rc = sbx_winpath_normalize(full, tmp, SBX_WINPATH_MAX, err);
    if (rc)
        goto out;
    if (sbx_winpath_long(tmp, full, SBX_WINPATH_MAX) != 0) {
        rc = sbx_err_set(err, SBX_EINVAL, "path '%s' is too long", u ? u : "?");
        goto out;
    }
    h = CreateFileW(full, FILE_READ_ATTRIBUTES,
                    FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
                    FILE_FLAG_BACKUP_SEMANTICS, NULL);
    if (h == INVALID_HANDLE_VALUE) {
        rc = sbx_win_err(err, 0, GetLastError(), "opening '%s'", u ? u : "?");
        goto out;
    }
    BY_HANDLE_FILE_INFORMATION info;
    if (!GetFileInformationByHandle(h, &info)) {
        rc = sbx_win_err(err, 0, GetLastError(), "inspecting '%s'", u ? u : "?");
        goto out;
    }
    if (!(info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)) {
        rc = sbx_err_set(err, SBX_EINVAL, "'%s' is not a directory", u ? u : "?");
        goto out;
    }
    n = GetFinalPathNameByHandleW(h, tmp, SBX_WINPATH_MAX, FILE_NAME_NORMALIZED | VOLUME_NAME_DOS);
    if (n == 0 && GetLastError() == ERROR_MORE_DATA &&
        !(info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT)) {
        /* Some implementations (Wine) cap the name length below what long
         * paths need.  The leaf is no link: resolve its parent, append the
         * leaf's name as stored on disk. */
        rc = resolve_via_parent(full, out, len, err);
        goto out;
    }
    if (n == 0 || n >= SBX_WINPATH_MAX) {
        rc = sbx_win_err(err, 0, GetLastError(), "resolving links in '%s'", u ? u : "?");
        goto out;
    }
    rc = sbx_winpath_normalize(tmp, out, len, err);
out:
    if (h != INVALID_HANDLE_VALUE)
        CloseHandle(h);
    free(full);
    free(tmp);
    free(u);
    return rc;
}

/* Resolve dir into slot i (normal form), or leave it NULL. */
static void load_one(struct sbx_danger_buf *b, int i, const wchar_t *raw, const wchar_t **slot)
{
    struct sbx_error ignore;
    *slot = NULL;
    if (!raw || !raw[0])
        return;
    size_t cap = sizeof b->path[i] / sizeof b->path[i][0];
    if (sbx_winpath_resolve(raw, b->path[i], cap, &ignore) == 0 ||
        sbx_winpath_normalize(raw, b->path[i], cap, &ignore) == 0)
        *slot = b->path[i];
}

static void env_dir(const wchar_t *name, wchar_t *out, DWORD len)
{
    DWORD n = GetEnvironmentVariableW(name, out, len);
    if (n == 0 || n >= len)
        out[0] = L'\0';
}

int sbx_winpath_danger_load(struct sbx_danger_buf *b, struct sbx_error *err)
{
    wchar_t raw[520];
    DWORD cap = sizeof raw / sizeof raw[0];
    memset(b, 0, sizeof *b);

    UINT n = GetSystemWindowsDirectoryW(raw, cap);
    if (n == 0 || n >= cap)
        return sbx_win_err(err, SBX_EIO, GetLastError(), "locating the Windows folder");
    load_one(b, 0, raw, &b->dirs.windows);
    env_dir(L"ProgramFiles", raw, cap);
    load_one(b, 1, raw, &b->dirs.program_files);
    env_dir(L"ProgramFiles(x86)", raw, cap);
    load_one(b, 2, raw, &b->dirs.program_files_x86);
    env_dir(L"ProgramData", raw, cap);
    load_one(b, 3, raw, &b->dirs.program_data);

    HANDLE tok;
    if (OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok)) {
        DWORD len = cap;
        if (GetUserProfileDirectoryW(tok, raw, &len))
            load_one(b, 4, raw, &b->dirs.profile);
        CloseHandle(tok);
    }
    if (!b->dirs.profile) {
        env_dir(L"USERPROFILE", raw, cap);
        load_one(b, 4, raw, &b->dirs.profile);
    }
    DWORD len = cap;
    if (GetProfilesDirectoryW(raw, &len))
        load_one(b, 5, raw, &b->dirs.profiles_root);
    return 0;
}

int sbx_win32_workspace_resolve(const char *arg, char *out, size_t out_len,
                                struct sbx_error *err)
{
    wchar_t *in = sbx_wide(arg);
    wchar_t *norm = malloc(SBX_WINPATH_MAX * sizeof *norm);
    struct sbx_danger_buf *d = malloc(sizeof *d);
    int rc = 0;
    if (!in || !norm || !d) {
        rc = in ? sbx_err_set(err, SBX_ENOMEM, "out of memory")
                : sbx_err_set(err, SBX_EINVAL, "workspace '%s' is not valid UTF-8", arg);
        goto out;
    }
    rc = sbx_winpath_resolve(in, norm, SBX_WINPATH_MAX, err);
    if (rc) {
        sbx_err_wrap(err, "workspace '%s'", arg);
        goto out;
    }
    rc = sbx_winpath_danger_load(d, err);
    if (!rc)
        rc = sbx_winpath_check(norm, &d->dirs, err);
    if (rc)
        goto out;
    /* A profile of any user (not only the profiles root's children). */
    size_t n = wcslen(norm);
    if (n + 14 < SBX_WINPATH_MAX) {
        wchar_t *probe = malloc((n + 20) * sizeof *probe);
        if (probe && sbx_winpath_long(norm, probe, n + 20) == 0) {
            wcscat(probe, L"\\NTUSER.DAT");
            if (GetFileAttributesW(probe) != INVALID_FILE_ATTRIBUTES)
                rc = refuse(err, norm, "it holds NTUSER.DAT: it is a user profile");
        }
        free(probe);
        if (rc)
            goto out;
    }
    if (sbx_utf8_buf(norm, out, out_len))
        rc = sbx_err_set(err, SBX_EINVAL, "workspace path '%s' is too long", arg);
out:
    free(in);
    free(norm);
    free(d);
    return rc;
}
