/* SPDX-License-Identifier: MIT */
/* The restricted tokens (issue 17 items 1 and 2): the plans of both modes
 * and the check for folders everyone may write (which the unelevated
 * token, keeping Everyone, could write too);
 * (flags, restricting SIDs, default DACL) as data, the comparison of what
 * a token holds with its plan, and the OS path: a token Windows did not
 * restrict as asked is refused.  Wine's CreateRestrictedToken ignores the
 * restricting SIDs and DISABLE_MAX_PRIVILEGE, so under Wine the OS path
 * must refuse; on Windows it must pass its own check. */
#include <windows.h>
#include <sddl.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "modes/confine/win32/token.h"
#include "modes/confine/win32/worldwrite.h"

#define USER "S-1-5-21-1-2-3-1001"
#define LOGON "S-1-5-5-0-123456"
#define CAP "S-1-5-21-10-20-30-40"
#define GROUP "S-1-5-21-1-2-3-1010"

static bool under_wine(void)
{
    return GetProcAddress(GetModuleHandleA("ntdll.dll"), "wine_get_version") != NULL;
}

static void test_plan_unelevated(void **state)
{
    (void)state;
    struct sbx_token_plan p;
    struct sbx_error err = {0};
    const char *one[] = {CAP};
    assert_int_equal(sbx_token_plan_unelevated(USER, LOGON, one, 1, &p, &err), 0);
    assert_int_equal(p.flags, DISABLE_MAX_PRIVILEGE | LUA_TOKEN | WRITE_RESTRICTED);
    assert_int_equal(p.n, 3);
    assert_string_equal(p.restricting[0], CAP);
    assert_string_equal(p.restricting[1], LOGON);
    assert_string_equal(p.restricting[2], "S-1-1-0");
    assert_string_equal(p.default_dacl, "D:(A;;0x10000000;;;" USER ")(A;;0x10000000;;;" LOGON
                                        ")(A;;0x10000000;;;" CAP ")(A;;0x10000000;;;S-1-5-18)");
    /* no logon SID: two restricting SIDs, the user in its DACL place */
    assert_int_equal(sbx_token_plan_unelevated(USER, "", one, 1, &p, &err), 0);
    assert_int_equal(p.n, 2);
    assert_string_equal(p.restricting[1], "S-1-1-0");
    const char *bad[] = {"not-a-sid"};
    assert_int_equal(sbx_token_plan_unelevated(USER, LOGON, bad, 1, &p, &err), -SBX_EINVAL);
    /* one capability SID per workspace of the run (issue 17 item 9): the
     * token holds the run's workspaces' SIDs, no other */
    const char *two[] = {CAP, "S-1-5-21-11-21-31-41"};
    assert_int_equal(sbx_token_plan_unelevated(USER, LOGON, two, 2, &p, &err), 0);
    assert_int_equal(p.n, 4);
    assert_string_equal(p.restricting[0], CAP);
    assert_string_equal(p.restricting[1], "S-1-5-21-11-21-31-41");
    assert_string_equal(p.restricting[2], LOGON);
    assert_int_equal(sbx_token_plan_unelevated(USER, LOGON, two, 0, &p, &err), -SBX_EINVAL);
    assert_int_equal(sbx_token_plan_unelevated(USER, LOGON, two, SBX_TOKEN_MAX_CAPS + 1, &p, &err),
                     -SBX_EINVAL);
}

static void test_plan_elevated(void **state)
{
    (void)state;
    struct sbx_token_plan p;
    struct sbx_error err = {0};
    assert_int_equal(sbx_token_plan_elevated(USER, LOGON, GROUP, &p, &err), 0);
    assert_int_equal(p.flags, DISABLE_MAX_PRIVILEGE | LUA_TOKEN | WRITE_RESTRICTED);
    /* the group granted on the workspaces and the logon SID; never
     * Everyone, Users or Authenticated Users */
    assert_int_equal(p.n, 2);
    assert_string_equal(p.restricting[0], GROUP);
    assert_string_equal(p.restricting[1], LOGON);
    for (size_t i = 0; i < p.n; i++) {
        assert_string_not_equal(p.restricting[i], "S-1-1-0");
        assert_string_not_equal(p.restricting[i], "S-1-5-32-545");
        assert_string_not_equal(p.restricting[i], "S-1-5-11");
    }
    assert_non_null(strstr(p.default_dacl, "(A;;0x10000000;;;" GROUP ")"));
}

/* TOKEN_GROUPS as GetTokenInformation would answer, from SID strings. */
static TOKEN_GROUPS *groups(const char *const *sids, DWORD n)
{
    TOKEN_GROUPS *g = calloc(1, sizeof *g + n * sizeof(SID_AND_ATTRIBUTES));
    g->GroupCount = n;
    for (DWORD i = 0; i < n; i++) {
        wchar_t w[SBX_SID_STR_MAX];
        MultiByteToWideChar(CP_UTF8, 0, sids[i], -1, w, SBX_SID_STR_MAX);
        assert_true(ConvertStringSidToSidW(w, &g->Groups[i].Sid));
    }
    return g;
}

static void free_groups(TOKEN_GROUPS *g)
{
    for (DWORD i = 0; i < g->GroupCount; i++)
        LocalFree(g->Groups[i].Sid);
    free(g);
}

static void test_restricted_sids_match(void **state)
{
    (void)state;
    struct sbx_token_plan p;
    struct sbx_error err = {0};
    assert_int_equal(sbx_token_plan_elevated(USER, LOGON, GROUP, &p, &err), 0);
    const char *same[] = {LOGON, GROUP};
    TOKEN_GROUPS *g = groups(same, 2);
    assert_int_equal(sbx_token_restricted_sids_match(g, &p, &err), 0);
    free_groups(g);
    /* what Wine answers: none at all */
    TOKEN_GROUPS none = {0};
    assert_int_equal(sbx_token_restricted_sids_match(&none, &p, &err), -SBX_EPERM);
    assert_non_null(strstr(err.msg, GROUP));
    /* one more than asked (Everyone would open world-writable places) */
    const char *more[] = {GROUP, LOGON, "S-1-1-0"};
    g = groups(more, 3);
    assert_int_equal(sbx_token_restricted_sids_match(g, &p, &err), -SBX_EPERM);
    assert_non_null(strstr(err.msg, "S-1-1-0"));
    free_groups(g);
    /* a duplicate in place of one asked for */
    const char *dup[] = {GROUP, GROUP};
    g = groups(dup, 2);
    assert_int_equal(sbx_token_restricted_sids_match(g, &p, &err), -SBX_EPERM);
    free_groups(g);
}

static void test_privileges_minimal(void **state)
{
    (void)state;
    struct sbx_error err = {0};
    struct {
        TOKEN_PRIVILEGES tp;
        LUID_AND_ATTRIBUTES more[1];
    } p;
    memset(&p, 0, sizeof p);
    assert_true(LookupPrivilegeValueW(NULL, SE_CHANGE_NOTIFY_NAME, &p.tp.Privileges[0].Luid));
    p.tp.PrivilegeCount = 1;
    assert_int_equal(sbx_token_privileges_minimal(&p.tp, &err), 0);
    p.tp.PrivilegeCount = 0;
    assert_int_equal(sbx_token_privileges_minimal(&p.tp, &err), 0);
    assert_true(LookupPrivilegeValueW(NULL, SE_DEBUG_NAME, &p.tp.Privileges[0].Luid));
    p.tp.PrivilegeCount = 1;
    assert_int_equal(sbx_token_privileges_minimal(&p.tp, &err), -SBX_EPERM);
    assert_non_null(strstr(err.msg, "SeDebugPrivilege"));
}

/* The caller's own token is no restricted token: the check refuses it
 * (on Windows and under Wine alike). */
static void test_check_refuses_unrestricted(void **state)
{
    (void)state;
    HANDLE tok;
    assert_true(OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok));
    struct sbx_token_plan p;
    struct sbx_error err = {0};
    const char *one[] = {CAP};
    assert_int_equal(sbx_token_plan_unelevated(USER, LOGON, one, 1, &p, &err), 0);
    assert_int_equal(sbx_token_check(tok, &p, &err), -SBX_EPERM);
    CloseHandle(tok);
}

/* The OS path: Windows builds the token as planned (and the check reads
 * it back); Wine does not, and the token is refused. */
static void test_restricted_token(void **state)
{
    (void)state;
    HANDLE tok = (HANDLE)1;
    struct sbx_error err = {0};
    const char *one[] = {CAP};
    int rc = sbx_token_restricted(one, 1, &tok, &err);
    if (under_wine()) {
        assert_int_equal(rc, -SBX_EPERM);
        assert_null(tok);
        assert_non_null(strstr(err.msg, "restricted token"));
        return;
    }
    if (rc)
        fail_msg("%s", err.msg);
    CloseHandle(tok);
}

static bool world_writable(const wchar_t *sddl)
{
    PSECURITY_DESCRIPTOR sd = NULL;
    assert_true(ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, SDDL_REVISION_1, &sd,
                                                                     NULL));
    BOOL present = FALSE, defaulted = FALSE;
    PACL dacl = NULL;
    assert_true(GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted));
    bool w = sbx_dacl_world_writable(dacl);
    LocalFree(sd);
    return w;
}

static void test_world_writable(void **state)
{
    (void)state;
    assert_true(world_writable(L"D:(A;OICI;FA;;;WD)"));
    assert_true(world_writable(L"D:(A;;0x4;;;WD)"));        /* add a subfolder */
    assert_true(world_writable(L"D:(A;;0x2;;;WD)"));        /* add a file */
    assert_true(world_writable(L"D:(A;;GW;;;WD)"));
    assert_true(world_writable(L"D:(A;;WD;;;WD)"));         /* WRITE_DAC */
    assert_true(world_writable(L"D:(A;;SD;;;WD)"));         /* DELETE */
    assert_true(world_writable(L"D:(A;;FR;;;BA)(A;OICI;FA;;;WD)"));
    assert_false(world_writable(L"D:(A;OICI;0x1200a9;;;WD)")); /* read and execute */
    assert_false(world_writable(L"D:(A;OICIIO;FA;;;WD)"));  /* only what is made inside */
    assert_false(world_writable(L"D:(A;OICI;FA;;;BU)(A;OICI;FA;;;AU)(A;OICI;FA;;;SY)"));
    assert_false(world_writable(L"D:(D;OICI;FA;;;WD)"));
    assert_false(world_writable(L"D:"));
    assert_true(sbx_dacl_world_writable(NULL)); /* a NULL DACL: anyone, anything */
}

static size_t visited;

static void count_visit(void *ctx, const wchar_t *path)
{
    (void)ctx;
    assert_true(path && path[0]);
    visited++;
}

/* The scan runs over this machine's usual places and visits at most what
 * it is asked to (what it finds depends on the machine: under Wine every
 * DACL it reads is made up). */
static void test_world_scan(void **state)
{
    (void)state;
    size_t found = 99;
    struct sbx_error err = {0};
    visited = 0;
    assert_int_equal(sbx_world_writable_scan(count_visit, NULL, 1, &found, &err), 0);
    assert_true(visited <= 1);
    assert_true(found >= visited);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_unelevated),
        cmocka_unit_test(test_plan_elevated),
        cmocka_unit_test(test_restricted_sids_match),
        cmocka_unit_test(test_privileges_minimal),
        cmocka_unit_test(test_check_refuses_unrestricted),
        cmocka_unit_test(test_restricted_token),
        cmocka_unit_test(test_world_writable),
        cmocka_unit_test(test_world_scan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
