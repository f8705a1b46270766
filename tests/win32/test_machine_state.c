/* SPDX-License-Identifier: MIT */
/* Issue 17 items 7 and 8: the security descriptor of sbx's state (the
 * machine state writable by Administrators and SYSTEM only), the driver
 * refusing paths the ledger can't prove are sbx's, and the credential
 * written before the account's password changes.  Wine keeps no DACL, so
 * every assertion is on what sbx built or did, never on Wine enforcing. */
#include <windows.h>
#include <sddl.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "modes/common/win32/dpapi.h"
#include "modes/common/win32/password.h"
#include "modes/common/win32/resources.h"
#include "modes/os/os.h"
#include "util/platform.h"
#include "util/platform_win32.h"

static char dir[MAX_PATH * 3];

static int setup(void **state)
{
    (void)state;
    char tmp[MAX_PATH];
    GetTempPathA(MAX_PATH, tmp);
    snprintf(dir, sizeof dir, "%ssbx-machine-%lu", tmp, (unsigned long)GetCurrentProcessId());
    CreateDirectoryA(dir, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char p[MAX_PATH * 4];
    WIN32_FIND_DATAA fd;
    snprintf(p, sizeof p, "%s\\credentials\\*", dir);
    HANDLE f = FindFirstFileA(p, &fd);
    if (f != INVALID_HANDLE_VALUE) {
        do {
            snprintf(p, sizeof p, "%s\\credentials\\%s", dir, fd.cFileName);
            DeleteFileA(p);
        } while (FindNextFileA(f, &fd));
        FindClose(f);
    }
    snprintf(p, sizeof p, "%s\\credentials", dir);
    RemoveDirectoryA(p);
    snprintf(p, sizeof p, "%s\\victim.txt", dir);
    DeleteFileA(p);
    RemoveDirectoryA(dir);
    return 0;
}

/* Windows' own parser reads the SDDL sbx builds and renders it back
 * unchanged: the descriptor is exactly the one written down. */
static void assert_sddl_round_trip(const wchar_t *sddl)
{
    PSECURITY_DESCRIPTOR sd = NULL;
    assert_true(ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, SDDL_REVISION_1, &sd,
                                                                     NULL));
    wchar_t *back = NULL;
    SECURITY_INFORMATION si = DACL_SECURITY_INFORMATION;
    if (wcsncmp(sddl, L"O:", 2) == 0)
        si |= OWNER_SECURITY_INFORMATION;
    assert_true(ConvertSecurityDescriptorToStringSecurityDescriptorW(sd, SDDL_REVISION_1, si,
                                                                     &back, NULL));
    if (wcscmp(back, sddl) != 0)
        fail_msg("Windows renders %ls back as %ls", sddl, back);
    LocalFree(back);
    LocalFree(sd);
}

static void test_machine_state_sddl(void **state)
{
    (void)state;
    wchar_t sddl[300];
    const wchar_t *me = L"S-1-5-21-1-2-3-1001";
    /* the machine state made by an elevated sbx: no ACE for the user who
     * ran it, so the same user unelevated can't rewrite the ledger */
    assert_int_equal(sbx_win_private_sddl(true, true, me, sddl, 300), 0);
    assert_true(wcscmp(sddl, L"O:BAD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;AU)") ==
                0);
    assert_null(wcsstr(sddl, me));
    assert_sddl_round_trip(sddl);
    /* a user's own state: the user and SYSTEM (and Administrators when the
     * user's token is elevated, which then owns what it makes) */
    assert_int_equal(sbx_win_private_sddl(false, false, me, sddl, 300), 0);
    assert_true(wcscmp(sddl, L"D:P(A;OICI;FA;;;S-1-5-21-1-2-3-1001)(A;OICI;FA;;;SY)") == 0);
    assert_sddl_round_trip(sddl);
    assert_int_equal(sbx_win_private_sddl(false, true, me, sddl, 300), 0);
    assert_true(
        wcscmp(sddl, L"D:P(A;OICI;FA;;;S-1-5-21-1-2-3-1001)(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)") ==
        0);
    assert_sddl_round_trip(sddl);
    /* machine path, unelevated caller (it can't write ProgramData\sbx
     * anyway): treated as its own state, never with the admin owner */
    assert_int_equal(sbx_win_private_sddl(true, false, me, sddl, 300), 0);
    assert_null(wcsstr(sddl, L"O:BA"));
    assert_int_equal(sbx_win_private_sddl(true, true, me, sddl, 10), -1);
}

static void credential(struct sbx_resource *r, const char *path, const char *caller)
{
    static char detail[128];
    snprintf(detail, sizeof detail, "for=%s\n", caller);
    memset(r, 0, sizeof *r);
    r->kind = SBX_R_CREDENTIAL;
    r->key = "credential:SbxOffline@test";
    r->name = "SbxOffline";
    r->path = (char *)path;
    r->detail = detail;
}

static void test_credential_path_proof(void **state)
{
    (void)state;
    char me[SBX_SID_STR_MAX], name[256], victim[MAX_PATH * 4], good[MAX_PATH * 4];
    struct sbx_error err = {0};
    assert_int_equal(sbx_user_current(me, sizeof me, name, sizeof name, &err), 0);
    snprintf(victim, sizeof victim, "%s\\victim.txt", dir);
    HANDLE h = CreateFileA(victim, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
    assert_true(h != INVALID_HANDLE_VALUE);
    CloseHandle(h);
    struct sbx_os *os = NULL;
    assert_int_equal(sbx_os_open_native(&os, &err), 0);
    /* a ledger naming a file that is not a credential path: refused, and
     * the file is still there */
    struct sbx_resource r;
    credential(&r, victim, me);
    assert_int_equal(sbx_os_apply(os, SBX_ACT_DELETE, &r, &err), -SBX_EPERM);
    assert_non_null(strstr(err.msg, "victim.txt"));
    assert_true(GetFileAttributesA(victim) != INVALID_FILE_ATTRIBUTES);
    /* the right name under a "..": refused too */
    snprintf(good, sizeof good, "%s\\credentials\\..\\credentials\\%s-SbxOffline.dpapi", dir,
             me);
    credential(&r, good, me);
    sbx_err_clear(&err);
    assert_int_equal(sbx_os_apply(os, SBX_ACT_DELETE, &r, &err), -SBX_EPERM);
    /* another user's credential name: refused */
    snprintf(good, sizeof good, "%s\\credentials\\S-1-5-21-9-9-9-1000-SbxOffline.dpapi", dir);
    credential(&r, good, me);
    sbx_err_clear(&err);
    assert_int_equal(sbx_os_apply(os, SBX_ACT_DELETE, &r, &err), -SBX_EPERM);
    /* sbx's own path: deleting an absent one is success */
    snprintf(good, sizeof good, "%s\\credentials\\%s-SbxOffline.dpapi", dir, me);
    credential(&r, good, me);
    sbx_err_clear(&err);
    assert_int_equal(sbx_os_apply(os, SBX_ACT_DELETE, &r, &err), 0);
    sbx_os_destroy(os);
}

static void test_credential_written_before_password(void **state)
{
    (void)state;
    char me[SBX_SID_STR_MAX], name[256], path[MAX_PATH * 4];
    struct sbx_error err = {0};
    assert_int_equal(sbx_user_current(me, sizeof me, name, sizeof name, &err), 0);
    snprintf(path, sizeof path, "%s\\credentials\\%s-SbxOffline.dpapi", dir, me);
    struct sbx_resource r;
    credential(&r, path, me);
    /* an account SID no account has: setting the password fails, which
     * happens after the file holding it was written */
    r.principal = "S-1-5-21-1111-2222-3333-4444";
    struct sbx_os *os = NULL;
    assert_int_equal(sbx_os_open_native(&os, &err), 0);
    int rc = sbx_os_apply(os, SBX_ACT_CREATE, &r, &err);
    assert_int_not_equal(rc, 0);
    assert_non_null(strstr(err.msg, "S-1-5-21-1111-2222-3333-4444"));
    HANDLE h = CreateFileA(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
    if (h == INVALID_HANDLE_VALUE)
        fail_msg("the credential file %s was not written before the password change", path);
    char b64[4096];
    DWORD got = 0;
    assert_true(ReadFile(h, b64, sizeof b64 - 1, &got, NULL));
    CloseHandle(h);
    b64[got] = '\0';
    void *pw = NULL;
    size_t n = 0;
    sbx_err_clear(&err);
    assert_int_equal(sbx_dpapi_unprotect(b64, "SbxOffline", &pw, &n, &err), 0);
    assert_int_equal(n, SBX_PASSWORD_LEN);
    free(pw);
    /* and the driver removes it again by the same proven path */
    assert_int_equal(sbx_os_apply(os, SBX_ACT_DELETE, &r, &err), 0);
    assert_true(GetFileAttributesA(path) == INVALID_FILE_ATTRIBUTES);
    sbx_os_destroy(os);
}

static void test_grant_refused_outside_workspaces(void **state)
{
    (void)state;
    char win[MAX_PATH], key[MAX_PATH * 2];
    GetWindowsDirectoryA(win, MAX_PATH);
    snprintf(key, sizeof key, "%s|(A;OICI;0x1301bf;;;S-1-5-21-1-2-3-4)", win);
    struct sbx_resource r = {.kind = SBX_R_ACL_ENTRY, .key = key, .path = win,
                             .principal = "S-1-5-21-1-2-3-4", .detail = "ace=A;OICI;0x1301bf\n"};
    struct sbx_os *os = NULL;
    struct sbx_error err = {0};
    assert_int_equal(sbx_os_open_native(&os, &err), 0);
    assert_int_not_equal(sbx_os_apply(os, SBX_ACT_CREATE, &r, &err), 0);
    assert_non_null(strstr(err.msg, "refusing the grant"));
    /* a drive root, too */
    r.path = "C:\\";
    r.key = "C:\\|(A;OICI;0x1301bf;;;S-1-5-21-1-2-3-4)";
    sbx_err_clear(&err);
    assert_int_not_equal(sbx_os_apply(os, SBX_ACT_CREATE, &r, &err), 0);
    assert_non_null(strstr(err.msg, "refusing the grant"));
    sbx_os_destroy(os);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_machine_state_sddl),
        cmocka_unit_test(test_credential_path_proof),
        cmocka_unit_test(test_credential_written_before_password),
        cmocka_unit_test(test_grant_refused_outside_workspaces),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
