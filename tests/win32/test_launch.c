/* SPDX-License-Identifier: MIT */
/* Command-line quoting (checked against CommandLineToArgvW), environment
 * blocks, and running a child with exit code, timeout and job under Wine;
 * standard handles through relayed pipes with CREATE_NO_WINDOW (what the
 * logon and sbx-runner.exe use; Wine's CreateProcessWithLogonW is a stub
 * that fails, so the relay runs here with the caller's token), and
 * sbx-runner.exe, the elevated mode's first process, refusing to run a
 * command with a token that is not restricted as planned. */
#include <windows.h>
#include <shellapi.h>
#include <aclapi.h>
#include <sddl.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <cmocka.h>

#include "modes/common/win32/winutil.h"
#include "modes/confine/win32/desktop.h"
#include "modes/confine/win32/launch.h"

static void roundtrip(char *const *argv, const wchar_t *want)
{
    wchar_t *cl = NULL;
    assert_int_equal(sbx_cmdline_build(argv, &cl, NULL), 0);
    if (want && wcscmp(cl, want) != 0)
        fail_msg("command line %ls, want %ls", cl, want);
    int n = 0;
    wchar_t **back = CommandLineToArgvW(cl, &n);
    assert_non_null(back);
    int argc = 0;
    while (argv[argc])
        argc++;
    assert_int_equal(n, argc);
    for (int i = 0; i < n; i++) {
        char *u = sbx_utf8(back[i]);
        assert_string_equal(u, argv[i]);
        free(u);
    }
    LocalFree(back);
    free(cl);
}

static void test_cmdline(void **state)
{
    (void)state;
    char *a1[] = {"prog", "plain", NULL};
    roundtrip(a1, L"prog plain");
    char *a2[] = {"prog", "with space", "", NULL};
    roundtrip(a2, L"prog \"with space\" \"\"");
    char *a3[] = {"prog", "quo\"te", "back\\slash", "trail\\", "trail sp\\", NULL};
    roundtrip(a3, L"prog \"quo\\\"te\" back\\slash trail\\ \"trail sp\\\\\"");
    char *a4[] = {"prog", "a\\\\\"b", "\\\"", "tab\there", "\xc3\xa9t\xc3\xa9", NULL};
    roundtrip(a4, NULL);
    char *none[] = {NULL};
    assert_int_equal(sbx_cmdline_build(none, &(wchar_t *){NULL}, NULL), -SBX_EINVAL);
}

static void test_env_block(void **state)
{
    (void)state;
    const wchar_t base[] = L"Path=C:\\bin\0=C:=C:\\x\0http_proxy=old\0ZED=1\0";
    const char *set[] = {"HTTP_PROXY=http://127.0.0.1:9", "ZED=", "ALPHA=a"};
    wchar_t *out = NULL;
    assert_int_equal(sbx_env_block_build(base, set, 3, &out, NULL), 0);
    /* sorted, case-insensitive replacement, ZED removed */
    const wchar_t *want[] = {L"=C:=C:\\x", L"ALPHA=a", L"HTTP_PROXY=http://127.0.0.1:9",
                             L"Path=C:\\bin"};
    const wchar_t *p = out;
    for (size_t i = 0; i < 4; i++) {
        if (wcscmp(p, want[i]) != 0)
            fail_msg("entry %d: %ls, want %ls", (int)i, p, want[i]);
        p += wcslen(p) + 1;
    }
    assert_int_equal(*p, L'\0');
    free(out);
    const char *bad[] = {"NOEQUALS"};
    struct sbx_error err = {0};
    assert_int_equal(sbx_env_block_build(base, bad, 1, &out, &err), -SBX_EINVAL);
    assert_non_null(strstr(err.msg, "NOEQUALS"));
    assert_int_equal(sbx_env_block_build(NULL, NULL, 0, &out, NULL), 0);
    assert_int_equal(out[0], L'\0');
    assert_int_equal(out[1], L'\0');
    free(out);
}

static void test_offline_env(void **state)
{
    (void)state;
    bool proxy = false, npm = false;
    for (size_t i = 0; i < sbx_offline_env_len; i++) {
        proxy |= strcmp(sbx_offline_env[i], "HTTPS_PROXY=http://127.0.0.1:9") == 0;
        npm |= strcmp(sbx_offline_env[i], "npm_config_offline=true") == 0;
    }
    assert_true(proxy);
    assert_true(npm);
}

static void run_cmd(const char *line, unsigned timeout, int *status, int want_rc)
{
    wchar_t app[MAX_PATH];
    struct sbx_error err = {0};
    assert_int_equal(sbx_exe_find("cmd", app, MAX_PATH, &err), 0);
    char *argv[] = {"cmd", "/c", (char *)line, NULL};
    wchar_t *cl;
    assert_int_equal(sbx_cmdline_build(argv, &cl, NULL), 0);
    HANDLE tok;
    assert_true(OpenProcessToken(GetCurrentProcess(),
                                 TOKEN_DUPLICATE | TOKEN_QUERY | TOKEN_ASSIGN_PRIMARY, &tok));
    struct sbx_launch l = {.token = tok, .app = app, .cmdline = cl, .timeout_sec = timeout};
    int rc = sbx_launch_run(&l, status, &err);
    if (rc != want_rc)
        fail_msg("launch %s: rc %d (%s)", line, rc, err.msg);
    CloseHandle(tok);
    free(cl);
}

static void test_run_status(void **state)
{
    (void)state;
    int status = -1;
    run_cmd("exit 42", 0, &status, 0);
    assert_int_equal(status, 42);
    run_cmd("exit 0", 0, &status, 0);
    assert_int_equal(status, 0);
}

static void test_run_timeout(void **state)
{
    (void)state;
    int status = -1;
    DWORD t0 = GetTickCount();
    run_cmd("ping -n 30 127.0.0.1 >NUL", 1, &status, 0);
    assert_int_equal(status, SBX_STATUS_TIMEOUT);
    assert_true(GetTickCount() - t0 < 20000);
}

static void test_not_found(void **state)
{
    (void)state;
    wchar_t app[MAX_PATH];
    struct sbx_error err = {0};
    assert_int_equal(sbx_exe_find("no-such-program-sbx", app, MAX_PATH, &err), -SBX_ENOENT);
    assert_non_null(strstr(err.msg, "no-such-program-sbx"));
}

/* Run with relayed pipes and no window, our stdout and stderr sent to a
 * file; returns what the file got. */
static char *relayed_run(const wchar_t *app, char *const *argv, int *status, int *rc)
{
    wchar_t out_path[MAX_PATH], dir[MAX_PATH];
    GetTempPathW(MAX_PATH, dir);
    GetTempFileNameW(dir, L"sbx", 0, out_path);
    SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, TRUE};
    HANDLE f = CreateFileW(out_path, GENERIC_WRITE, FILE_SHARE_READ, &sa, CREATE_ALWAYS, 0, NULL);
    assert_true(f != INVALID_HANDLE_VALUE);
    HANDLE old_out = GetStdHandle(STD_OUTPUT_HANDLE), old_err = GetStdHandle(STD_ERROR_HANDLE);
    wchar_t *cl;
    assert_int_equal(sbx_cmdline_build(argv, &cl, NULL), 0);
    HANDLE tok;
    assert_true(OpenProcessToken(GetCurrentProcess(),
                                 TOKEN_DUPLICATE | TOKEN_QUERY | TOKEN_ASSIGN_PRIMARY, &tok));
    struct sbx_launch l = {.token = tok, .app = app, .cmdline = cl, .timeout_sec = 60,
                           .no_window = true, .relay_stdio = true};
    struct sbx_error err = {0};
    SetStdHandle(STD_OUTPUT_HANDLE, f);
    SetStdHandle(STD_ERROR_HANDLE, f);
    *rc = sbx_launch_run(&l, status, &err);
    SetStdHandle(STD_OUTPUT_HANDLE, old_out);
    SetStdHandle(STD_ERROR_HANDLE, old_err);
    CloseHandle(f);
    CloseHandle(tok);
    free(cl);
    if (*rc)
        print_message("launch: %s\n", err.msg);
    f = CreateFileW(out_path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                    OPEN_EXISTING, 0, NULL);
    char *text = calloc(1, 65536);
    DWORD got = 0;
    ReadFile(f, text, 65535, &got, NULL);
    CloseHandle(f);
    DeleteFileW(out_path);
    return text;
}

static void test_relays_stdio(void **state)
{
    (void)state;
    wchar_t app[MAX_PATH];
    assert_int_equal(sbx_exe_find("cmd", app, MAX_PATH, NULL), 0);
    char *argv[] = {"cmd", "/c", "echo relayed-out& echo relayed-err 1>&2& exit 5", NULL};
    int status = -1, rc = -1;
    char *text = relayed_run(app, argv, &status, &rc);
    assert_int_equal(rc, 0);
    assert_int_equal(status, 5);
    if (!strstr(text, "relayed-out") || !strstr(text, "relayed-err"))
        fail_msg("the child's output did not come through the pipes: '%s'", text);
    free(text);
}

/* A logon that fails (Windows: no such account; Wine: its secondary logon
 * is a stub that fails) is an error (no status 0), never the command run
 * as the caller instead. */
static void test_logon_refused(void **state)
{
    (void)state;
    wchar_t app[MAX_PATH];
    assert_int_equal(sbx_exe_find("cmd", app, MAX_PATH, NULL), 0);
    char *argv[] = {"cmd", "/c", "exit 0", NULL};
    wchar_t *cl;
    assert_int_equal(sbx_cmdline_build(argv, &cl, NULL), 0);
    wchar_t user[64];
    swprintf(user, 64, L"sbx-none-%lu", (unsigned long)GetCurrentProcessId());
    struct sbx_launch l = {.user = user, .password = L"x", .app = app, .cmdline = cl};
    int status = -1;
    struct sbx_error err = {0};
    assert_int_not_equal(sbx_launch_run(&l, &status, &err), 0);
    assert_int_not_equal(status, 0);
    assert_non_null(strstr(err.msg, "cmd.exe"));
    free(cl);
}

/* The runner beside sbx.exe in the build tree (a Linux path under Wine:
 * drive Z:). */
static void runner(wchar_t *out)
{
    char path[] = SBX_RUNNER_PATH;
    for (char *p = path; *p; p++)
        if (*p == '/')
            *p = '\\';
    swprintf(out, MAX_PATH * 2, L"%hs%hs", path[0] == '\\' ? "Z:" : "", path);
}

static void test_runner_refuses(void **state)
{
    (void)state;
    wchar_t app[MAX_PATH * 2];
    runner(app);
    int status = -1, rc = -1;
    /* misuse: the usage and 125 */
    char *bad[] = {"sbx-runner.exe", "S-1-1-0", "maybe", "--", "cmd", NULL};
    char *text = relayed_run(app, bad, &status, &rc);
    assert_int_equal(rc, 0);
    assert_int_equal(status, 125);
    assert_non_null(strstr(text, "usage: sbx-runner.exe"));
    free(text);
    /* a group the account is not in: nothing it could write, refused */
    char *stranger[] = {"sbx-runner.exe", "S-1-5-21-1-2-3-4", "off", "--", "cmd", "/c",
                        "exit 0", NULL};
    text = relayed_run(app, stranger, &status, &rc);
    assert_int_equal(status, 125);
    assert_non_null(strstr(text, "not in the group S-1-5-21-1-2-3-4"));
    free(text);
    /* a group it is in (Everyone, in every token): on Windows the command
     * runs restricted; under Wine the token is not restricted as asked,
     * and the command does not run at all */
    char *ok[] = {"sbx-runner.exe", "S-1-1-0", "off", "--", "cmd", "/c", "exit 7", NULL};
    text = relayed_run(app, ok, &status, &rc);
    if (GetProcAddress(GetModuleHandleA("ntdll.dll"), "wine_get_version")) {
        assert_int_equal(status, 125);
        assert_non_null(strstr(text, "restricted token"));
    } else {
        assert_int_equal(status, 7);
    }
    free(text);
}

/* Issue 17 item 4: the command's own desktop, its DACL as data, created,
 * read back where the system keeps it, and a command started on it. */
static void test_desktop(void **state)
{
    (void)state;
    char sddl[512];
    const char *sids[] = {"S-1-5-21-1-2-3-1001", "", "S-1-5-21-10-20-30-40"};
    assert_int_equal(sbx_desktop_sddl(sids, 3, sddl, sizeof sddl), 0);
    assert_string_equal(sddl, "D:P(A;;GA;;;S-1-5-21-1-2-3-1001)(A;;GA;;;S-1-5-21-10-20-30-40)"
                              "(A;;GA;;;SY)");
    assert_int_equal(sbx_desktop_sddl(sids, 3, sddl, 20), -SBX_EINVAL);
    struct sbx_desktop d;
    struct sbx_error err = {0};
    if (sbx_desktop_create(sids, 3, &d, &err) != 0)
        fail_msg("%s", err.msg);
    assert_non_null(d.handle);
    assert_non_null(wcsstr(d.name, L"\\sbx-"));
    /* the descriptor the desktop was made with, as Windows holds it (Wine
     * keeps none on desktops: there only the SDDL built above is checked) */
    PSECURITY_DESCRIPTOR sd = NULL;
    PACL dacl = NULL;
    DWORD e = GetSecurityInfo(d.handle, SE_WINDOW_OBJECT, DACL_SECURITY_INFORMATION, NULL, NULL,
                              &dacl, NULL, &sd);
    if (!GetProcAddress(GetModuleHandleA("ntdll.dll"), "wine_get_version")) {
        assert_int_equal(e, ERROR_SUCCESS);
        assert_non_null(dacl); /* a NULL DACL would let anyone in */
        wchar_t *text = NULL;
        assert_true(ConvertSecurityDescriptorToStringSecurityDescriptorW(
            sd, SDDL_REVISION_1, DACL_SECURITY_INFORMATION, &text, NULL));
        if (!wcsstr(text, L"S-1-5-21-10-20-30-40") || wcsstr(text, L"WD"))
            fail_msg("the desktop's DACL is %ls", text);
        LocalFree(text);
    }
    LocalFree(sd);
    /* a command on it */
    wchar_t app[MAX_PATH];
    assert_int_equal(sbx_exe_find("cmd", app, MAX_PATH, NULL), 0);
    char *argv[] = {"cmd", "/c", "exit 3", NULL};
    wchar_t *cl;
    assert_int_equal(sbx_cmdline_build(argv, &cl, NULL), 0);
    HANDLE tok;
    assert_true(OpenProcessToken(GetCurrentProcess(),
                                 TOKEN_DUPLICATE | TOKEN_QUERY | TOKEN_ASSIGN_PRIMARY, &tok));
    struct sbx_launch l = {.token = tok, .app = app, .cmdline = cl, .desktop = d.name};
    int status = -1;
    assert_int_equal(sbx_launch_run(&l, &status, &err), 0);
    assert_int_equal(status, 3);
    CloseHandle(tok);
    free(cl);
    sbx_desktop_close(&d);
    assert_null(d.handle);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cmdline),     cmocka_unit_test(test_env_block),
        cmocka_unit_test(test_offline_env), cmocka_unit_test(test_run_status),
        cmocka_unit_test(test_run_timeout), cmocka_unit_test(test_not_found),
        cmocka_unit_test(test_relays_stdio), cmocka_unit_test(test_runner_refuses),
        cmocka_unit_test(test_logon_refused), cmocka_unit_test(test_desktop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
