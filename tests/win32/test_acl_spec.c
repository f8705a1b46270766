/* SPDX-License-Identifier: MIT */
/* The ACEs of every sbx rule, built as data and compared as SDDL (pure). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "modes/common/win32/acl_spec.h"

#define CAP "S-1-5-21-1-2-3-4"

static void assert_sddl(const struct sbx_ace_spec *ace, const char *want)
{
    char out[256];
    assert_int_equal(sbx_ace_to_sddl(ace, out, sizeof out), 0);
    assert_string_equal(out, want);
    /* and it parses back to the same ACE */
    struct sbx_ace_spec back;
    assert_int_equal(sbx_ace_from_sddl(out, &back, NULL), 0);
    assert_true(sbx_ace_equal(&back, ace));
}

static void test_workspace_grant(void **state)
{
    (void)state;
    struct sbx_ace_spec a;
    assert_int_equal(sbx_ace_workspace_grant(CAP, &a, NULL), 0);
    assert_sddl(&a, "(A;OICI;0x1301bf;;;S-1-5-21-1-2-3-4)");
    /* no FILE_DELETE_CHILD: a denied subfolder can't be deleted via its parent */
    assert_int_equal(a.mask & 0x40u, 0);
}

static void test_owner_rights(void **state)
{
    (void)state;
    struct sbx_ace_spec a;
    assert_int_equal(sbx_ace_owner_rights(&a, NULL), 0);
    assert_sddl(&a, "(A;OICIIO;0x1301bf;;;S-1-3-4)");
    /* Modify: no WRITE_DAC, no WRITE_OWNER, no FILE_DELETE_CHILD */
    assert_int_equal(a.mask & (0x40000u | 0x80000u | 0x40u), 0);
}

static void test_protect_deny(void **state)
{
    (void)state;
    struct sbx_ace_spec a;
    assert_int_equal(sbx_ace_protect_deny(CAP, &a, NULL), 0);
    assert_sddl(&a, "(D;OICI;0xd0156;;;S-1-5-21-1-2-3-4)");
    /* every right of the grant that changes something is denied */
    const uint32_t writes = 0x2 | 0x4 | 0x10 | 0x100 | 0x10000 | 0x40000 | 0x80000;
    assert_int_equal(a.mask & writes, writes);
    /* reading stays allowed */
    assert_int_equal(a.mask & 0x1, 0);
}

static void test_group_grant(void **state)
{
    (void)state;
    struct sbx_ace_spec a;
    assert_int_equal(sbx_ace_workspace_grant("s-1-5-21-100-200-300-1005", &a, NULL), 0);
    assert_sddl(&a, "(A;OICI;0x1301bf;;;S-1-5-21-100-200-300-1005)");
}

static void test_default_dacl(void **state)
{
    (void)state;
    struct sbx_ace_spec aces[SBX_DEFAULT_DACL_ACES];
    assert_int_equal(sbx_ace_token_default_dacl("S-1-5-21-9-9-9-1001", "S-1-5-5-0-12345", CAP,
                                                aces, NULL),
                     0);
    char out[1024];
    assert_int_equal(sbx_dacl_to_sddl(aces, SBX_DEFAULT_DACL_ACES, false, out, sizeof out), 0);
    assert_string_equal(out, "D:(A;;0x10000000;;;S-1-5-21-9-9-9-1001)"
                             "(A;;0x10000000;;;S-1-5-5-0-12345)"
                             "(A;;0x10000000;;;S-1-5-21-1-2-3-4)"
                             "(A;;0x10000000;;;S-1-5-18)");
    struct sbx_error err = {0};
    assert_int_equal(sbx_ace_token_default_dacl("S-1-5-21-9-9-9-1001", "nope", CAP, aces, &err),
                     -SBX_EINVAL);
    assert_non_null(strstr(err.msg, "nope"));
}

static void test_private_dacl(void **state)
{
    (void)state;
    struct sbx_ace_spec aces[SBX_PRIVATE_DACL_ACES];
    assert_int_equal(sbx_ace_private_dacl(SBX_SID_ADMINISTRATORS, aces, NULL), 0);
    char out[512];
    assert_int_equal(sbx_dacl_to_sddl(aces, SBX_PRIVATE_DACL_ACES, true, out, sizeof out), 0);
    assert_string_equal(out, "D:P(A;OICI;0x1f01ff;;;S-1-5-32-544)(A;OICI;0x1f01ff;;;S-1-5-18)");
}

static void test_flags_order(void **state)
{
    (void)state;
    struct sbx_ace_spec a;
    assert_int_equal(sbx_ace_make(SBX_ACE_ALLOW,
                                  SBX_ACE_IO | SBX_ACE_NP | SBX_ACE_CI | SBX_ACE_OI, 0x1,
                                  "S-1-1-0", &a, NULL),
                     0);
    assert_sddl(&a, "(A;OICINPIO;0x1;;;S-1-1-0)");
}

static void test_make_rejects(void **state)
{
    (void)state;
    struct sbx_ace_spec a;
    struct sbx_error err = {0};
    assert_int_equal(sbx_ace_make(SBX_ACE_ALLOW, 0, 0, CAP, &a, &err), -SBX_EINVAL);
    assert_non_null(strstr(err.msg, CAP));
    assert_int_equal(sbx_ace_make(SBX_ACE_ALLOW, 0x40, 1, CAP, &a, &err), -SBX_EINVAL);
    assert_int_equal(sbx_ace_make((enum sbx_ace_type)7, 0, 1, CAP, &a, &err), -SBX_EINVAL);
    assert_int_equal(sbx_ace_make(SBX_ACE_DENY, 0, 1, "S-1-5", &a, &err), -SBX_EINVAL);
}

static void test_parse_rejects(void **state)
{
    (void)state;
    const char *bad[] = {
        "",
        "A;;0x1;;;S-1-1-0",
        "(X;;0x1;;;S-1-1-0)",
        "(A;OIOI;0x1;;;S-1-1-0)",
        "(A;XX;0x1;;;S-1-1-0)",
        "(A;;0;;;S-1-1-0)",
        "(A;;-1;;;S-1-1-0)",
        "(A;;0x100000000;;;S-1-1-0)",
        "(A;;0x1;;;bogus)",
        "(A;;0x1;;;WD)",
        "(A;;0x1;guid;;S-1-1-0)",
        "(A;;0x1;;;S-1-1-0;extra)",
        "(A;;0x1;;S-1-1-0)",
        "(A;;;;;S-1-1-0)",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct sbx_ace_spec a;
        struct sbx_error err = {0};
        assert_int_equal(sbx_ace_from_sddl(bad[i], &a, &err), -SBX_EINVAL);
        assert_int_not_equal(err.msg[0], '\0');
    }
    struct sbx_ace_spec a;
    assert_int_equal(sbx_ace_from_sddl("(D;CI;1234;;;s-1-1-0)", &a, NULL), 0);
    assert_int_equal(a.type, SBX_ACE_DENY);
    assert_int_equal(a.flags, SBX_ACE_CI);
    assert_int_equal(a.mask, 1234);
    assert_string_equal(a.sid, "S-1-1-0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_workspace_grant), cmocka_unit_test(test_owner_rights),
        cmocka_unit_test(test_protect_deny),
        cmocka_unit_test(test_group_grant),     cmocka_unit_test(test_default_dacl),
        cmocka_unit_test(test_private_dacl),    cmocka_unit_test(test_flags_order),
        cmocka_unit_test(test_make_rejects),    cmocka_unit_test(test_parse_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
