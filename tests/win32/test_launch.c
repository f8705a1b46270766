/* SPDX-License-Identifier: MIT */
/* Command-line quoting (checked against CommandLineToArgvW), environment
 * blocks, and running a child with exit code, timeout and job under Wine. */
#include <windows.h>
#include <shellapi.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <cmocka.h>

#include "modes/common/win32/winutil.h"
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cmdline),     cmocka_unit_test(test_env_block),
        cmocka_unit_test(test_offline_env), cmocka_unit_test(test_run_status),
        cmocka_unit_test(test_run_timeout), cmocka_unit_test(test_not_found),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
