/* SPDX-License-Identifier: MIT */
/* Path normalisation, comparison, the dangerous-path refusals (pure), and
 * resolution of real directories (under Wine). */
#include <windows.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <cmocka.h>

#include "modes/common/win32/winpath.h"

static void norm_ok(const wchar_t *in, const wchar_t *want)
{
    wchar_t out[512];
    struct sbx_error err = {0};
    int rc = sbx_winpath_normalize(in, out, 512, &err);
    if (rc)
        fail_msg("normalize %ls: %s", in, err.msg);
    if (wcscmp(out, want) != 0)
        fail_msg("normalize %ls: got %ls, want %ls", in, out, want);
}

static void norm_bad(const wchar_t *in, const char *why)
{
    wchar_t out[512];
    struct sbx_error err = {0};
    assert_int_equal(sbx_winpath_normalize(in, out, 512, &err), -SBX_EINVAL);
    if (!strstr(err.msg, why))
        fail_msg("normalize %ls: message '%s' lacks '%s'", in, err.msg, why);
}

static void test_normalize(void **state)
{
    (void)state;
    norm_ok(L"c:/Users/me/src/", L"C:\\Users\\me\\src");
    norm_ok(L"\\\\?\\C:\\a\\b", L"C:\\a\\b");
    norm_ok(L"C:\\", L"C:\\");
    norm_ok(L"\\\\?\\d:\\", L"D:\\");
    norm_ok(L"C:\\\\a\\\\\\b\\", L"C:\\a\\b");
    norm_ok(L"C:\\a.b\\..c\\...", L"C:\\a.b\\..c\\...");
    norm_bad(L"\\\\server\\share\\x", "UNC");
    norm_bad(L"//server/share", "UNC");
    norm_bad(L"\\\\?\\UNC\\server\\share", "UNC");
    norm_bad(L"\\\\.\\PhysicalDrive0", "device");
    norm_bad(L"\\\\.\\C:\\x", "device");
    norm_bad(L"\\\\?\\GLOBALROOT\\Device\\HarddiskVolume1", "device");
    norm_bad(L"\\\\?\\Volume{01234567-89ab-cdef-0123-456789abcdef}\\", "device");
    norm_bad(L"C:foo", "drive letter");
    norm_bad(L"foo\\bar", "drive letter");
    norm_bad(L"\\foo", "drive letter");
    norm_bad(L"C:\\a\\..\\b", "'..'");
    norm_bad(L"C:\\a\\.\\b", "'.'");
    norm_bad(L"C:\\a\\b:stream", "data stream");
    wchar_t out[8];
    assert_int_equal(sbx_winpath_normalize(L"C:\\a\\long\\path", out, 8, NULL), -SBX_EINVAL);
    assert_int_equal(sbx_winpath_normalize(L"", out, 8, NULL), -SBX_EINVAL);
}

static void test_compare(void **state)
{
    (void)state;
    assert_true(sbx_winpath_equal(L"C:\\Users\\Me", L"c:\\users\\ME"));
    assert_false(sbx_winpath_equal(L"C:\\Users\\Me", L"C:\\Users\\Me2"));
    assert_true(sbx_winpath_equal(L"C:\\\u00C9t\u00E9", L"C:\\\u00E9T\u00C9"));
    assert_true(sbx_winpath_within(L"C:\\Users\\me\\src", L"C:\\Users\\me"));
    assert_true(sbx_winpath_within(L"c:\\users\\ME", L"C:\\Users\\me"));
    assert_false(sbx_winpath_within(L"C:\\Users\\meadow", L"C:\\Users\\me"));
    assert_false(sbx_winpath_within(L"C:\\Users", L"C:\\Users\\me"));
    assert_true(sbx_winpath_within(L"C:\\x", L"C:\\"));
    assert_false(sbx_winpath_within(L"D:\\x", L"C:\\"));
    wchar_t l[64];
    assert_int_equal(sbx_winpath_long(L"C:\\a", l, 64), 0);
    assert_int_equal(wcscmp(l, L"\\\\?\\C:\\a"), 0);
}

static const struct sbx_danger_dirs dirs = {
    .windows = L"C:\\Windows",
    .program_files = L"C:\\Program Files",
    .program_files_x86 = L"C:\\Program Files (x86)",
    .program_data = L"C:\\ProgramData",
    .profile = L"C:\\Users\\dev",
    .profiles_root = L"C:\\Users",
};

static void check_bad(const wchar_t *p, const char *why)
{
    struct sbx_error err = {0};
    assert_int_equal(sbx_winpath_check(p, &dirs, &err), -SBX_EINVAL);
    if (!strstr(err.msg, why) || !strstr(err.msg, "refusing workspace"))
        fail_msg("check %ls: message '%s' lacks '%s'", p, err.msg, why);
}

static void check_ok(const wchar_t *p)
{
    struct sbx_error err = {0};
    if (sbx_winpath_check(p, &dirs, &err) != 0)
        fail_msg("check %ls refused: %s", p, err.msg);
}

static void test_refusals(void **state)
{
    (void)state;
    check_bad(L"C:\\", "drive root");
    check_bad(L"D:\\", "drive root");
    check_bad(L"C:\\Windows", "Windows folder");
    check_bad(L"c:\\windows\\System32", "inside the Windows folder");
    check_bad(L"C:\\Program Files\\App", "inside Program Files");
    check_bad(L"C:\\Program Files (x86)", "Program Files (x86)");
    check_bad(L"c:\\programdata\\sbx", "inside ProgramData");
    check_bad(L"C:\\Users\\dev", "your user profile itself");
    check_bad(L"C:\\USERS\\DEV", "your user profile itself");
    check_bad(L"C:\\Users", "all user profiles");
    check_bad(L"C:\\Users\\other", "user profile folder");
    check_ok(L"C:\\Users\\dev\\src\\proj");
    check_ok(L"C:\\Users\\dev\\AppData\\Local\\Temp\\ws");
    check_ok(L"D:\\work");
    check_ok(L"C:\\src");
    check_ok(L"C:\\Windows-old-projects");
    /* an ancestor of a danger place */
    struct sbx_danger_dirs deep = dirs;
    deep.program_data = L"D:\\data\\ProgramData";
    struct sbx_error err = {0};
    assert_int_equal(sbx_winpath_check(L"D:\\data", &deep, &err), -SBX_EINVAL);
    assert_non_null(strstr(err.msg, "holds ProgramData"));
    /* unknown places are skipped, the drive root still refused */
    struct sbx_danger_dirs none = {0};
    assert_int_equal(sbx_winpath_check(L"C:\\anything", &none, NULL), 0);
    assert_int_equal(sbx_winpath_check(L"C:\\", &none, NULL), -SBX_EINVAL);
}

static void temp_dir(wchar_t *out, const wchar_t *leaf)
{
    wchar_t tmp[MAX_PATH];
    assert_true(GetTempPathW(MAX_PATH, tmp) > 0);
    swprintf(out, MAX_PATH, L"%lssbx-wp-%lu-%ls", tmp, (unsigned long)GetCurrentProcessId(),
             leaf);
    assert_true(CreateDirectoryW(out, NULL) || GetLastError() == ERROR_ALREADY_EXISTS);
}

static void test_resolve(void **state)
{
    (void)state;
    wchar_t dir[MAX_PATH], got[1024], got2[1024], lower[MAX_PATH];
    temp_dir(dir, L"Mixed");
    struct sbx_error err = {0};
    assert_int_equal(sbx_winpath_resolve(dir, got, 1024, &err), 0);
    assert_int_equal(got[1], L':');
    assert_null(wcsstr(got, L"\\\\?\\"));
    wcscpy(lower, dir);
    CharLowerW(lower);
    assert_int_equal(sbx_winpath_resolve(lower, got2, 1024, &err), 0);
    assert_true(sbx_winpath_equal(got, got2));
    /* forward slashes and a trailing separator */
    for (wchar_t *p = lower; *p; p++)
        if (*p == L'\\')
            *p = L'/';
    wcscat(lower, L"/");
    assert_int_equal(sbx_winpath_resolve(lower, got2, 1024, &err), 0);
    assert_true(sbx_winpath_equal(got, got2));

    /* a file is not a workspace */
    wchar_t file[MAX_PATH];
    swprintf(file, MAX_PATH, L"%ls\\f.txt", dir);
    HANDLE h = CreateFileW(file, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
    assert_true(h != INVALID_HANDLE_VALUE);
    CloseHandle(h);
    assert_int_equal(sbx_winpath_resolve(file, got2, 1024, &err), -SBX_EINVAL);
    assert_non_null(strstr(err.msg, "not a directory"));
    DeleteFileW(file);
    /* missing */
    swprintf(file, MAX_PATH, L"%ls\\missing", dir);
    assert_int_equal(sbx_winpath_resolve(file, got2, 1024, &err), -SBX_ENOENT);
    assert_non_null(strstr(err.msg, "missing"));
    /* UNC refused before any access */
    assert_int_equal(sbx_winpath_resolve(L"\\\\server\\share", got2, 1024, &err), -SBX_EINVAL);
    RemoveDirectoryW(dir);
}

static void test_long_path(void **state)
{
    (void)state;
    wchar_t base[MAX_PATH];
    temp_dir(base, L"long");
    static wchar_t path[2048], norm[2048], got[2048];
    struct sbx_error err = {0};
    assert_int_equal(sbx_winpath_normalize(base, norm, 2048, &err), 0);
    assert_int_equal(sbx_winpath_long(norm, path, 2048), 0);
    for (int i = 0; i < 8; i++) {
        wcscat(path, L"\\abcdefghijklmnopqrstuvwxyz0123456789abcdefghij");
        assert_true(CreateDirectoryW(path, NULL) || GetLastError() == ERROR_ALREADY_EXISTS);
    }
    assert_true(wcslen(path) > MAX_PATH);
    if (sbx_winpath_resolve(path, got, 2048, &err) != 0)
        fail_msg("resolve long path: %s", err.msg);
    assert_true(wcslen(got) > MAX_PATH);
    assert_null(wcsstr(got, L"\\\\?\\"));
    for (int i = 0; i < 8; i++) {
        RemoveDirectoryW(path);
        *wcsrchr(path, L'\\') = L'\0';
    }
    RemoveDirectoryW(base);
}

static void test_workspace_resolve(void **state)
{
    (void)state;
    wchar_t dir[MAX_PATH], file[MAX_PATH];
    temp_dir(dir, L"ws");
    char u8[MAX_PATH * 3], out[MAX_PATH * 3];
    WideCharToMultiByte(CP_UTF8, 0, dir, -1, u8, sizeof u8, NULL, NULL);
    struct sbx_error err = {0};
    int rc = sbx_win32_workspace_resolve(u8, out, sizeof out, &err);
    if (rc)
        fail_msg("resolve %s: %s", u8, err.msg);
    /* a folder holding NTUSER.DAT is a profile */
    swprintf(file, MAX_PATH, L"%ls\\NTUSER.DAT", dir);
    HANDLE h = CreateFileW(file, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
    assert_true(h != INVALID_HANDLE_VALUE);
    CloseHandle(h);
    assert_int_equal(sbx_win32_workspace_resolve(u8, out, sizeof out, &err), -SBX_EINVAL);
    assert_non_null(strstr(err.msg, "NTUSER.DAT"));
    DeleteFileW(file);
    RemoveDirectoryW(dir);
    /* the Windows folder of this machine */
    wchar_t win[MAX_PATH];
    GetSystemWindowsDirectoryW(win, MAX_PATH);
    WideCharToMultiByte(CP_UTF8, 0, win, -1, u8, sizeof u8, NULL, NULL);
    assert_int_equal(sbx_win32_workspace_resolve(u8, out, sizeof out, &err), -SBX_EINVAL);
    assert_non_null(strstr(err.msg, "Windows folder"));
    assert_int_equal(sbx_win32_workspace_resolve("C:\\", out, sizeof out, &err), -SBX_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize),   cmocka_unit_test(test_compare),
        cmocka_unit_test(test_refusals),    cmocka_unit_test(test_resolve),
        cmocka_unit_test(test_long_path),   cmocka_unit_test(test_workspace_resolve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
