/* SPDX-License-Identifier: MIT */
/* util/platform.h for Windows.  Self-contained (no dependency on the
 * Windows code in modes/, which sits above util/): sbx's own files and
 * directories get a protected DACL naming only the caller (and
 * Administrators when the caller is elevated) and SYSTEM. */
#include "util/platform.h"
#include "util/platform_win32.h"

#include <windows.h>
#include <aclapi.h>
#include <sddl.h>
#include <shlobj.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

struct sbx_lock {
    HANDLE h;
};

static wchar_t *wide(const char *s)
{
    int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
    wchar_t *w = n > 0 ? malloc((size_t)n * sizeof *w) : NULL;
    if (w && MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n) != n) {
        free(w);
        w = NULL;
    }
    return w;
}

static int narrow(const wchar_t *w, char *out, size_t len)
{
    if (len == 0 || len > 0x7fffffff)
        return -1;
    return WideCharToMultiByte(CP_UTF8, 0, w, -1, out, (int)len, NULL, NULL) > 0 ? 0 : -1;
}

/* ": <system message> (error N)" after the formatted text. */
static int win_fail(struct sbx_error *err, int code, DWORD e, const char *what, const char *obj)
{
    wchar_t *buf = NULL;
    char msg[400] = "unknown error";
    DWORD n = FormatMessageW(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM |
                                 FORMAT_MESSAGE_IGNORE_INSERTS,
                             NULL, e, 0, (LPWSTR)&buf, 0, NULL);
    if (n && buf) {
        while (n > 0 && (buf[n - 1] == L'\r' || buf[n - 1] == L'\n' || buf[n - 1] == L'.'))
            buf[--n] = L'\0';
        narrow(buf, msg, sizeof msg);
        LocalFree(buf);
    }
    if (code == 0)
        code = e == ERROR_ACCESS_DENIED ? SBX_EPERM
               : (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND) ? SBX_ENOENT
                                                                           : SBX_EIO;
    return sbx_err_set(err, code, "%s %s: %s (error %lu)", what, obj, msg, (unsigned long)e);
}

/* The machine state directory: %ProgramData%\sbx and what is under it.
 * An elevated sbx writes there; nothing unelevated may (issue 17 item 7:
 * a user who could rewrite the machine ledger would steer an elevated
 * cleanup onto arbitrary paths). */
static bool machine_path(const wchar_t *path)
{
    wchar_t base[MAX_PATH + 8];
    if (FAILED(SHGetFolderPathW(NULL, CSIDL_COMMON_APPDATA, NULL, SHGFP_TYPE_CURRENT, base)))
        return false;
    wcscat(base, L"\\sbx");
    const wchar_t *p = path;
    if (wcsncmp(p, L"\\\\?\\", 4) == 0)
        p += 4;
    size_t n = wcslen(base);
    return wcslen(p) >= n && CompareStringOrdinal(p, (int)n, base, (int)n, TRUE) == CSTR_EQUAL &&
           (p[n] == L'\0' || p[n] == L'\\' || p[n] == L'/');
}

int sbx_win_private_sddl(bool machine, bool elevated, const wchar_t *user_sid, wchar_t *out,
                         size_t len)
{
    int n;
    if (machine && elevated)
        /* Owned by Administrators; written by Administrators and SYSTEM
         * only; read by signed-in users (sbx status, the elevated run
         * finding its credential, which carries its own DACL). */
        n = swprintf(out, len, L"O:BAD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;AU)");
    else
        n = swprintf(out, len, L"D:P(A;OICI;FA;;;%ls)(A;OICI;FA;;;SY)%ls", user_sid,
                     elevated ? L"(A;OICI;FA;;;BA)" : L"");
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* The caller's SID and whether its token is elevated. */
static int caller(wchar_t **sid, bool *elevated)
{
    HANDLE tok;
    *sid = NULL;
    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok))
        return -1;
    BYTE buf[sizeof(TOKEN_USER) + SECURITY_MAX_SID_SIZE];
    DWORD got = 0;
    TOKEN_ELEVATION elev = {0};
    BOOL ok = GetTokenInformation(tok, TokenUser, buf, sizeof buf, &got);
    DWORD elen = 0;
    *elevated = GetTokenInformation(tok, TokenElevation, &elev, sizeof elev, &elen) &&
                elev.TokenIsElevated;
    CloseHandle(tok);
    return ok && ConvertSidToStringSidW(((TOKEN_USER *)buf)->User.Sid, sid) ? 0 : -1;
}

static int private_sd(const wchar_t *path, PSECURITY_DESCRIPTOR *sd)
{
    wchar_t sddl[300], *sid;
    bool elevated;
    *sd = NULL;
    if (caller(&sid, &elevated) != 0)
        return -1;
    int rc = sbx_win_private_sddl(machine_path(path), elevated, sid, sddl, 300);
    LocalFree(sid);
    if (rc)
        return -1;
    return ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, SDDL_REVISION_1, sd, NULL)
               ? 0
               : -1;
}

static int make_private_w(const wchar_t *path, const char *upath, struct sbx_error *err)
{
    PSECURITY_DESCRIPTOR sd;
    if (private_sd(path, &sd) != 0)
        return win_fail(err, SBX_EIO, GetLastError(), "building the owner-only DACL for", upath);
    BOOL present = FALSE, defaulted = FALSE;
    PACL dacl = NULL;
    PSID owner = NULL;
    GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted);
    GetSecurityDescriptorOwner(sd, &owner, &defaulted);
    SECURITY_INFORMATION what = DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION;
    if (owner)
        what |= OWNER_SECURITY_INFORMATION;
    DWORD e = SetNamedSecurityInfoW((LPWSTR)path, SE_FILE_OBJECT, what, owner, NULL, dacl, NULL);
    LocalFree(sd);
    return e == ERROR_SUCCESS ? 0 : win_fail(err, 0, e, "restricting to its owner:", upath);
}

/* An existing directory of the machine state must be a real directory
 * (no junction or symlink) owned by Administrators or SYSTEM: anything
 * else was made by someone who could then rewrite what sbx keeps there,
 * so it is refused, never adopted. */
static int machine_dir_trusted(const wchar_t *path, const char *upath, struct sbx_error *err)
{
    DWORD a = GetFileAttributesW(path);
    if (a != INVALID_FILE_ATTRIBUTES && (a & FILE_ATTRIBUTE_REPARSE_POINT))
        return sbx_err_set(err, SBX_EPERM,
                           "%s is a junction or symbolic link, not a directory sbx made; remove "
                           "it and run sbx setup again",
                           upath);
    PSID owner = NULL;
    PSECURITY_DESCRIPTOR sd = NULL;
    DWORD e = GetNamedSecurityInfoW(path, SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION, &owner,
                                    NULL, NULL, NULL, &sd);
    if (e != ERROR_SUCCESS)
        return win_fail(err, 0, e, "reading the owner of", upath);
    bool ok = owner && (IsWellKnownSid(owner, WinBuiltinAdministratorsSid) ||
                        IsWellKnownSid(owner, WinLocalSystemSid));
    wchar_t *who = NULL;
    char uwho[200] = "?";
    if (!ok && owner && ConvertSidToStringSidW(owner, &who)) {
        narrow(who, uwho, sizeof uwho);
        LocalFree(who);
    }
    LocalFree(sd);
    if (!ok)
        return sbx_err_set(err, SBX_EPERM,
                           "%s is owned by %s, not by Administrators or SYSTEM: someone who is "
                           "not an administrator made it and could rewrite sbx's machine state; "
                           "remove it and run sbx setup again",
                           upath, uwho);
    return 0;
}

int sbx_lock_acquire(const char *path, unsigned wait_ms, struct sbx_lock **out,
                     struct sbx_error *err)
{
    *out = NULL;
    wchar_t *w = wide(path);
    if (!w)
        return sbx_err_set(err, SBX_EINVAL, "lock path '%s' is not valid UTF-8", path);
    PSECURITY_DESCRIPTOR sd = NULL;
    private_sd(w, &sd);
    SECURITY_ATTRIBUTES sa = {sizeof sa, sd, FALSE};
    HANDLE h = CreateFileW(w, GENERIC_READ | GENERIC_WRITE,
                           FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                           sd ? &sa : NULL, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    DWORD e = GetLastError();
    LocalFree(sd);
    free(w);
    if (h == INVALID_HANDLE_VALUE)
        return win_fail(err, 0, e, "opening the lock file", path);
    for (unsigned waited = 0;; waited += 50) {
        OVERLAPPED ov = {0};
        if (LockFileEx(h, LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &ov))
            break;
        e = GetLastError();
        if (e != ERROR_LOCK_VIOLATION && e != ERROR_IO_PENDING) {
            CloseHandle(h);
            return win_fail(err, 0, e, "locking", path);
        }
        if (waited >= wait_ms) {
            CloseHandle(h);
            return sbx_err_set(err, SBX_ELOCKED,
                               "another sbx process holds the lock %s (setup, migrate, rollback "
                               "or cleanup running); wait for it to finish and try again",
                               path);
        }
        Sleep(50);
    }
    struct sbx_lock *l = malloc(sizeof *l);
    if (!l) {
        CloseHandle(h);
        return sbx_err_set(err, SBX_ENOMEM, "out of memory");
    }
    l->h = h;
    *out = l;
    return 0;
}

void sbx_lock_release(struct sbx_lock *lock)
{
    if (!lock)
        return;
    OVERLAPPED ov = {0};
    UnlockFileEx(lock->h, 0, 1, 0, &ov);
    CloseHandle(lock->h);
    free(lock);
}

static bool is_sep(wchar_t c) { return c == L'\\' || c == L'/'; }

int sbx_fs_mkdir_private(const char *dir, struct sbx_error *err)
{
    wchar_t *w = wide(dir);
    if (!w)
        return sbx_err_set(err, SBX_EINVAL, "directory '%s' is not valid UTF-8", dir);
    size_t n = wcslen(w);
    int rc = 0;
    PSECURITY_DESCRIPTOR sd = NULL;
    bool elevated = false;
    wchar_t *me = NULL;
    if (caller(&me, &elevated) == 0)
        LocalFree(me);
    if (private_sd(w, &sd) != 0) {
        rc = win_fail(err, SBX_EIO, GetLastError(), "building the owner-only DACL for", dir);
        goto out;
    }
    SECURITY_ATTRIBUTES sa = {sizeof sa, sd, FALSE};
    /* Skip the root ("C:\", "\\server\share\" or "\\?\C:\"), then create
     * each missing component. */
    size_t i = 0;
    if (n >= 4 && is_sep(w[0]) && is_sep(w[1]) && (w[2] == L'?' || w[2] == L'.'))
        i = 4;
    if (i + 2 <= n && w[i + 1] == L':')
        i += 2;
    else if (i == 0 && n >= 2 && is_sep(w[0]) && is_sep(w[1])) {
        int seps = 0; /* \\server\share */
        for (i = 2; i < n && seps < 2; i++)
            if (is_sep(w[i]))
                seps++;
    }
    for (; i <= n && !rc; i++) {
        if (i < n && !is_sep(w[i]))
            continue;
        if (i == 0 || is_sep(w[i - 1]) || w[i - 1] == L':')
            continue;
        wchar_t saved = w[i];
        w[i] = L'\0';
        DWORD attr = GetFileAttributesW(w);
        if (attr == INVALID_FILE_ATTRIBUTES) {
            if (!CreateDirectoryW(w, &sa) && GetLastError() != ERROR_ALREADY_EXISTS) {
                char comp[4096];
                narrow(w, comp, sizeof comp);
                rc = win_fail(err, 0, GetLastError(), "creating the directory", comp);
            }
        } else if (!(attr & FILE_ATTRIBUTE_DIRECTORY)) {
            char comp[4096];
            narrow(w, comp, sizeof comp);
            rc = sbx_err_set(err, SBX_EINVAL, "cannot create %s: %s is a file", dir, comp);
        } else if (elevated && machine_path(w)) {
            char comp[4096];
            narrow(w, comp, sizeof comp);
            rc = machine_dir_trusted(w, comp, err);
        }
        w[i] = saved;
    }
out:
    LocalFree(sd);
    free(w);
    return rc;
}

int sbx_fs_make_private(const char *file, struct sbx_error *err)
{
    wchar_t *w = wide(file);
    if (!w)
        return sbx_err_set(err, SBX_EINVAL, "path '%s' is not valid UTF-8", file);
    int rc = make_private_w(w, file, err);
    free(w);
    return rc;
}

int sbx_fs_rmdir(const char *dir, struct sbx_error *err)
{
    wchar_t *w = wide(dir);
    if (!w)
        return sbx_err_set(err, SBX_EINVAL, "directory '%s' is not valid UTF-8", dir);
    BOOL ok = RemoveDirectoryW(w);
    DWORD e = GetLastError();
    free(w);
    return ok ? 0 : win_fail(err, SBX_EIO, e, "cannot remove directory", dir);
}

static DWORD attrs(const char *path)
{
    wchar_t *w = wide(path);
    DWORD a = w ? GetFileAttributesW(w) : INVALID_FILE_ATTRIBUTES;
    free(w);
    return a;
}

bool sbx_fs_exists(const char *path)
{
    return attrs(path) != INVALID_FILE_ATTRIBUTES;
}

bool sbx_fs_is_dir(const char *path)
{
    DWORD a = attrs(path);
    return a != INVALID_FILE_ATTRIBUTES && (a & FILE_ATTRIBUTE_DIRECTORY);
}

int sbx_fs_dirname(const char *path, char *out, size_t len, struct sbx_error *err)
{
    const char *last = NULL;
    for (const char *p = path; *p; p++)
        if (*p == '\\' || *p == '/')
            last = p;
    size_t n;
    if (!last) {
        /* "C:name" -> "C:", "name" -> "." */
        if (path[0] && path[1] == ':')
            n = 2;
        else {
            if (len < 2)
                return sbx_err_set(err, SBX_EINVAL, "buffer too small for the directory of %s",
                                   path);
            strcpy(out, ".");
            return 0;
        }
    } else {
        n = (size_t)(last - path);
        /* keep the separator of a root: "C:\x" -> "C:\", "\x" -> "\" */
        if (n == 0 || (n == 2 && path[1] == ':'))
            n++;
        /* drop repeated separators before the last one */
        while (n > 3 && (path[n - 1] == '\\' || path[n - 1] == '/'))
            n--;
    }
    if (n + 1 > len)
        return sbx_err_set(err, SBX_EINVAL, "buffer too small for the directory of %s", path);
    memcpy(out, path, n);
    out[n] = '\0';
    return 0;
}

int sbx_default_state_dir(bool machine, char *out, size_t len, struct sbx_error *err)
{
    wchar_t base[MAX_PATH];
    HRESULT hr = SHGetFolderPathW(NULL, machine ? CSIDL_COMMON_APPDATA : CSIDL_LOCAL_APPDATA,
                                  NULL, SHGFP_TYPE_CURRENT, base);
    if (FAILED(hr))
        return sbx_err_set(err, SBX_EIO, "cannot locate %s (HRESULT 0x%08lx)",
                           machine ? "ProgramData" : "LocalAppData", (unsigned long)hr);
    char b[MAX_PATH * 3];
    if (narrow(base, b, sizeof b) != 0)
        return sbx_err_set(err, SBX_EINVAL, "the application data folder has a bad name");
    int n = snprintf(out, len, "%s\\sbx", b);
    if (n < 0 || (size_t)n >= len)
        return sbx_err_set(err, SBX_EINVAL, "state directory path too long: %s\\sbx", b);
    return 0;
}

int sbx_user_state_dir(const char *user, char *out, size_t len, struct sbx_error *err)
{
    /* The user's SID, then the profile folder Windows recorded for it. */
    wchar_t *wuser = wide(user);
    if (!wuser)
        return sbx_err_set(err, SBX_EINVAL, "user name '%s' is not valid UTF-8", user);
    BYTE sid[SECURITY_MAX_SID_SIZE];
    DWORD sidlen = sizeof sid, domlen = 256;
    wchar_t dom[256];
    SID_NAME_USE use;
    BOOL ok = LookupAccountNameW(NULL, wuser, sid, &sidlen, dom, &domlen, &use);
    DWORD e = GetLastError();
    free(wuser);
    if (!ok)
        return win_fail(err, SBX_ENOENT, e, "no account named", user);
    wchar_t *ssid = NULL;
    if (!ConvertSidToStringSidW(sid, &ssid))
        return win_fail(err, SBX_EIO, GetLastError(), "formatting the SID of", user);
    wchar_t key[400], raw[MAX_PATH], path[MAX_PATH];
    swprintf(key, 400, L"SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\ProfileList\\%ls", ssid);
    LocalFree(ssid);
    DWORD size = sizeof raw;
    LSTATUS st = RegGetValueW(HKEY_LOCAL_MACHINE, key, L"ProfileImagePath",
                              RRF_RT_REG_SZ | RRF_RT_REG_EXPAND_SZ | RRF_NOEXPAND, NULL, raw,
                              &size);
    if (st != ERROR_SUCCESS)
        return win_fail(err, SBX_ENOENT, (DWORD)st, "no profile folder for user", user);
    DWORD n = ExpandEnvironmentStringsW(raw, path, MAX_PATH);
    char p8[MAX_PATH * 3];
    if (n == 0 || n > MAX_PATH || narrow(path, p8, sizeof p8) != 0)
        return sbx_err_set(err, SBX_EINVAL, "the profile folder of %s has a bad name", user);
    int w = snprintf(out, len, "%s\\AppData\\Local\\sbx", p8);
    if (w < 0 || (size_t)w >= len)
        return sbx_err_set(err, SBX_EINVAL, "state directory path too long");
    return 0;
}

long sbx_proc_self_id(void)
{
    return (long)GetCurrentProcessId();
}

_Noreturn void sbx_proc_crash(void)
{
    TerminateProcess(GetCurrentProcess(), 137);
    for (;;)
        Sleep(INFINITE);
}

int sbx_user_current(char *id, size_t id_len, char *name, size_t name_len,
                     struct sbx_error *err)
{
    HANDLE tok;
    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok))
        return win_fail(err, SBX_EIO, GetLastError(), "opening the token of", "this process");
    BYTE buf[sizeof(TOKEN_USER) + SECURITY_MAX_SID_SIZE];
    DWORD got = 0;
    BOOL ok = GetTokenInformation(tok, TokenUser, buf, sizeof buf, &got);
    DWORD e = GetLastError();
    CloseHandle(tok);
    if (!ok)
        return win_fail(err, SBX_EIO, e, "reading the user of", "this process");
    PSID sid = ((TOKEN_USER *)buf)->User.Sid;
    wchar_t *ssid = NULL;
    if (!ConvertSidToStringSidW(sid, &ssid))
        return win_fail(err, SBX_EIO, GetLastError(), "formatting the SID of", "this user");
    int rc = narrow(ssid, id, id_len);
    LocalFree(ssid);
    if (rc)
        return sbx_err_set(err, SBX_EINVAL, "buffer too small for the user's SID");
    wchar_t wname[256], dom[256];
    DWORD nlen = 256, dlen = 256;
    SID_NAME_USE use;
    if (!LookupAccountSidW(NULL, sid, wname, &nlen, dom, &dlen, &use)) {
        DWORD n2 = 256;
        if (!GetUserNameW(wname, &n2))
            return win_fail(err, SBX_EIO, GetLastError(), "reading the name of", "this user");
    }
    if (narrow(wname, name, name_len))
        return sbx_err_set(err, SBX_EINVAL, "buffer too small for the user's name");
    return 0;
}

void sbx_time_iso8601(char *out, size_t len)
{
    SYSTEMTIME t;
    GetSystemTime(&t);
    snprintf(out, len, "%04u-%02u-%02uT%02u:%02u:%02uZ", t.wYear, t.wMonth, t.wDay, t.wHour,
             t.wMinute, t.wSecond);
}

void sbx_sleep_ms(unsigned ms)
{
    Sleep(ms);
}
