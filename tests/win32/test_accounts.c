/* SPDX-License-Identifier: MIT */
/* The elevated mode's accounts (modes/os/win32/accounts.c) against the
 * system's account database: Wine's is in the memory of one process
 * (NetUserAdd, NetUserGetInfo and NetUserDel work; accounts get no SID, so
 * LookupAccountNameW finds none), so under Wine the test checks what sbx
 * created and that it reports the missing SID; on Windows (as
 * Administrator) it runs the whole lifecycle.  Names are unique per run
 * and removed whatever happens. */
#include <windows.h>
#include <lm.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "modes/os/win32/accounts.h"

static char user[32], plain[32];

static bool under_wine(void)
{
    return GetProcAddress(GetModuleHandleA("ntdll.dll"), "wine_get_version") != NULL;
}

static void remove_user(const char *name)
{
    wchar_t w[32];
    MultiByteToWideChar(CP_UTF8, 0, name, -1, w, 32);
    NetUserDel(NULL, w);
    sbx_account_hide(name, false, NULL);
}

static int setup(void **state)
{
    (void)state;
    snprintf(user, sizeof user, "SbxT%lu", (unsigned long)GetCurrentProcessId() % 100000);
    snprintf(plain, sizeof plain, "SbxP%lu", (unsigned long)GetCurrentProcessId() % 100000);
    remove_user(user);
    remove_user(plain);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    remove_user(user);
    remove_user(plain);
    return 0;
}

static void test_comment_marker(void **state)
{
    (void)state;
    char c[128];
    assert_int_equal(sbx_account_comment("sandbox account", c, sizeof c), 0);
    assert_true(sbx_account_comment_marked(c));
    assert_false(sbx_account_comment_marked("sandbox account [sbx]"));
    assert_false(sbx_account_comment_marked(NULL));
    assert_int_equal(sbx_account_comment("sandbox account", c, 10), -SBX_EINVAL);
}

static void test_user_lifecycle(void **state)
{
    (void)state;
    char sid[SBX_SID_STR_MAX];
    struct sbx_error err = {0};
    int rc = sbx_local_user_ensure(user, sid, sizeof sid, &err);
    wchar_t w[32];
    MultiByteToWideChar(CP_UTF8, 0, user, -1, w, 32);
    BYTE *buf = NULL;
    /* NetUserAdd ran (Wine keeps the name only; Windows the privilege
     * level and flags sbx sets too) */
    assert_int_equal(NetUserGetInfo(NULL, w, 1, &buf), NERR_Success);
    USER_INFO_1 *ui = (USER_INFO_1 *)buf;
    if (!under_wine()) {
        assert_int_equal(ui->usri1_priv, USER_PRIV_USER);
        assert_true(ui->usri1_flags & UF_DONT_EXPIRE_PASSWD);
        assert_true(ui->usri1_flags & UF_PASSWD_CANT_CHANGE);
    }
    NetApiBufferFree(buf);
    if (under_wine()) {
        /* no SID in Wine's database: said, naming the account */
        assert_int_not_equal(rc, 0);
        assert_non_null(strstr(err.msg, user));
        return;
    }
    if (rc)
        fail_msg("%s", err.msg);
    /* the marker, the SID, idempotence, deletion by SID */
    char comment[256];
    assert_int_equal(sbx_local_comment_of(sid, SBX_PRINCIPAL_USER, comment, sizeof comment, &err),
                     0);
    assert_true(sbx_account_comment_marked(comment));
    char again[SBX_SID_STR_MAX];
    assert_int_equal(sbx_local_user_ensure(user, again, sizeof again, &err), 0);
    assert_string_equal(again, sid);
    assert_int_equal(sbx_local_user_set_password(sid, "Xy-12345678901234567890ab", &err), 0);
    assert_int_equal(sbx_local_principal_delete(sid, SBX_PRINCIPAL_USER, &err), 0);
    assert_int_equal(NetUserGetInfo(NULL, w, 1, &buf), NERR_UserNotFound);
    /* absent is success */
    assert_int_equal(sbx_local_principal_delete(sid, SBX_PRINCIPAL_USER, &err), 0);
}

/* An account sbx did not make is never adopted. */
static void test_no_adoption(void **state)
{
    (void)state;
    wchar_t w[32];
    MultiByteToWideChar(CP_UTF8, 0, plain, -1, w, 32);
    USER_INFO_1 ui = {0};
    ui.usri1_name = w;
    ui.usri1_password = L"Pl-4567890abcdefghijk";
    ui.usri1_priv = USER_PRIV_USER;
    ui.usri1_comment = L"somebody else's";
    ui.usri1_flags = UF_SCRIPT | UF_NORMAL_ACCOUNT;
    DWORD parm = 0;
    assert_int_equal(NetUserAdd(NULL, 1, (BYTE *)&ui, &parm), NERR_Success);
    char sid[SBX_SID_STR_MAX];
    struct sbx_error err = {0};
    int rc = sbx_local_user_ensure(plain, sid, sizeof sid, &err);
    assert_int_not_equal(rc, 0);
    assert_non_null(strstr(err.msg, plain));
    if (!under_wine())
        assert_int_equal(rc, -SBX_EPERM); /* found and refused by its comment */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_comment_marker),
        cmocka_unit_test(test_user_lifecycle),
        cmocka_unit_test(test_no_adoption),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
