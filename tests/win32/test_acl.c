/* SPDX-License-Identifier: MIT */
/* Adding and removing exactly sbx's ACE in a DACL, in memory, with Windows'
 * own SDDL parser and renderer (run under Wine). */
#include <windows.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <cmocka.h>

#include "modes/common/win32/acl.h"

#define CAP "S-1-5-21-1-2-3-4"
#define BASE "D:(A;OICI;FA;;;BA)(A;OICIID;0x1200a9;;;BU)"

/* Windows' rendering of an SDDL string (so expectations don't depend on how
 * the renderer spells masks). */
static char *canon(const char *sddl)
{
    PSECURITY_DESCRIPTOR sd;
    ACL *acl;
    assert_int_equal(sbx_acl_from_sddl(sddl, &sd, &acl, NULL), 0);
    char *s;
    assert_int_equal(sbx_acl_sddl(acl, false, &s, NULL), 0);
    LocalFree(sd);
    return s;
}

/* Edit the DACL of `base` and compare with `want`. */
static void edit(const char *base, const struct sbx_ace_spec *ace, bool add, bool want_changed,
                 const char *want)
{
    PSECURITY_DESCRIPTOR sd;
    ACL *acl, *out;
    bool changed;
    assert_int_equal(sbx_acl_from_sddl(base, &sd, &acl, NULL), 0);
    assert_int_equal(sbx_acl_edit(acl, ace, add, &out, &changed, NULL), 0);
    assert_int_equal(changed, want_changed);
    char *got, *exp = canon(want);
    assert_int_equal(sbx_acl_sddl(out, false, &got, NULL), 0);
    assert_string_equal(got, exp);
    bool has;
    assert_int_equal(sbx_acl_contains(out, ace, &has, NULL), 0);
    assert_int_equal(has, add);
    free(got);
    free(exp);
    LocalFree(out);
    LocalFree(sd);
}

static void test_add_grant(void **state)
{
    (void)state;
    struct sbx_ace_spec g;
    assert_int_equal(sbx_ace_workspace_grant(CAP, &g, NULL), 0);
    edit(BASE, &g, true, true,
         "D:(A;OICI;FA;;;BA)(A;OICI;0x1301bf;;;" CAP ")(A;OICIID;0x1200a9;;;BU)");
    /* already there: nothing changes */
    edit("D:(A;OICI;FA;;;BA)(A;OICI;0x1301bf;;;" CAP ")(A;OICIID;0x1200a9;;;BU)", &g, true,
         false, "D:(A;OICI;FA;;;BA)(A;OICI;0x1301bf;;;" CAP ")(A;OICIID;0x1200a9;;;BU)");
}

static void test_add_deny_first(void **state)
{
    (void)state;
    struct sbx_ace_spec d;
    assert_int_equal(sbx_ace_protect_deny(CAP, &d, NULL), 0);
    edit(BASE, &d, true, true,
         "D:(D;OICI;0xd0156;;;" CAP ")(A;OICI;FA;;;BA)(A;OICIID;0x1200a9;;;BU)");
}

static void test_remove_exactly(void **state)
{
    (void)state;
    struct sbx_ace_spec g;
    assert_int_equal(sbx_ace_workspace_grant(CAP, &g, NULL), 0);
    edit("D:(A;OICI;FA;;;BA)(A;OICI;0x1301bf;;;" CAP ")(A;OICIID;0x1200a9;;;BU)", &g, false,
         true, BASE);
    /* absent: nothing changes */
    edit(BASE, &g, false, false, BASE);
    /* others' ACEs for the same SID, an inherited copy, another mask or
     * other flags stay */
    const char *keep = "D:(A;OICI;0x1200a9;;;" CAP ")(A;CI;0x1301bf;;;" CAP
                       ")(A;OICI;FA;;;BA)(A;OICIID;0x1301bf;;;" CAP ")";
    edit(keep, &g, false, false, keep);
    /* two explicit copies both go */
    edit("D:(A;OICI;0x1301bf;;;" CAP ")(A;OICI;FA;;;BA)(A;OICI;0x1301bf;;;" CAP ")", &g, false,
         true, "D:(A;OICI;FA;;;BA)");
}

static void test_empty_dacl(void **state)
{
    (void)state;
    struct sbx_ace_spec g;
    assert_int_equal(sbx_ace_workspace_grant(CAP, &g, NULL), 0);
    edit("D:", &g, true, true, "D:(A;OICI;0x1301bf;;;" CAP ")");
}

static void test_null_dacl_refused(void **state)
{
    (void)state;
    struct sbx_ace_spec g;
    assert_int_equal(sbx_ace_workspace_grant(CAP, &g, NULL), 0);
    ACL *out;
    bool changed;
    struct sbx_error err = {0};
    assert_int_equal(sbx_acl_edit(NULL, &g, true, &out, &changed, &err), -SBX_EINVAL);
    assert_non_null(strstr(err.msg, "no DACL"));
}

/* Wine answers GetNamedSecurityInfoW with a made-up DACL and forgets what
 * SetNamedSecurityInfoW set.  So the path test asserts on the DACL sbx
 * builds from what the path holds (sbx_path_ace_plan: the same edit
 * sbx_path_ace_set writes), and only on Windows also on what the path then
 * holds. */
static bool under_wine(void)
{
    HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
    return ntdll && GetProcAddress(ntdll, "wine_get_version") != NULL;
}

static void test_path_roundtrip(void **state)
{
    (void)state;
    wchar_t tmp[MAX_PATH], dir[MAX_PATH];
    assert_true(GetTempPathW(MAX_PATH, tmp) > 0);
    swprintf(dir, MAX_PATH, L"%lssbx-acl-%lu", tmp, (unsigned long)GetCurrentProcessId());
    assert_true(CreateDirectoryW(dir, NULL) || GetLastError() == ERROR_ALREADY_EXISTS);
    struct sbx_ace_spec g;
    assert_int_equal(sbx_ace_workspace_grant(CAP, &g, NULL), 0);
    struct sbx_error err = {0};
    bool present = true;
    assert_int_equal(sbx_path_ace_probe(dir, &g, &present, &err), 0);
    assert_false(present);
    /* the DACL the grant writes: what the path holds, plus the grant as
     * the last explicit ACE, inheritable, in the mask sbx grants */
    char *before = NULL, *after = NULL;
    assert_int_equal(sbx_path_ace_plan(dir, &g, true, &before, &after, &err), 0);
    assert_null(strstr(before, CAP));
    char *grant = strstr(after, "(A;OICI;0x1301bf;;;" CAP ")");
    if (!grant)
        fail_msg("the grant is not in the DACL built: %s", after);
    assert_null(strstr(grant + 1, "(A;OICI;0x1301bf;;;" CAP ")")); /* once */
    assert_int_equal(strlen(after), strlen(before) + strlen("(A;OICI;0x1301bf;;;" CAP ")"));
    free(before);
    free(after);
    /* removing what is not there builds the same DACL back */
    assert_int_equal(sbx_path_ace_plan(dir, &g, false, &before, &after, &err), 0);
    assert_string_equal(before, after);
    free(before);
    free(after);
    assert_int_equal(sbx_path_ace_set(dir, &g, true, &err), 0);
    if (!under_wine()) {
        assert_int_equal(sbx_path_ace_probe(dir, &g, &present, &err), 0);
        assert_true(present);
        /* and the removal built from it takes exactly the grant out */
        assert_int_equal(sbx_path_ace_plan(dir, &g, false, &before, &after, &err), 0);
        assert_non_null(strstr(before, CAP));
        assert_null(strstr(after, CAP));
        free(before);
        free(after);
    }
    assert_int_equal(sbx_path_ace_set(dir, &g, true, &err), 0); /* idempotent */
    assert_int_equal(sbx_path_ace_set(dir, &g, false, &err), 0);
    if (!under_wine()) {
        assert_int_equal(sbx_path_ace_probe(dir, &g, &present, &err), 0);
        assert_false(present);
    }
    assert_true(RemoveDirectoryW(dir));
    /* a path that is gone */
    assert_int_equal(sbx_path_ace_probe(dir, &g, &present, &err), -SBX_ENOENT);
    assert_non_null(strstr(err.msg, "sbx-acl-"));
    assert_int_equal(sbx_path_ace_plan(dir, &g, true, &before, &after, &err), -SBX_ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_grant),       cmocka_unit_test(test_add_deny_first),
        cmocka_unit_test(test_remove_exactly),  cmocka_unit_test(test_empty_dacl),
        cmocka_unit_test(test_null_dacl_refused), cmocka_unit_test(test_path_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
