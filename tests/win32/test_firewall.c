/* SPDX-License-Identifier: MIT */
/* The firewall rule specification (pure). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "modes/os/win32/firewall.h"

#define SID "S-1-5-21-100-200-300-1001"

static void test_block_spec(void **state)
{
    (void)state;
    struct sbx_fw_rule_spec s;
    struct sbx_error err = {0};
    assert_int_equal(sbx_fw_block_spec("SbxOffline", "s-1-5-21-100-200-300-1001", &s, &err), 0);
    char out[1024];
    assert_int_equal(sbx_fw_spec_render(&s, out, sizeof out), 0);
    assert_string_equal(out,
                        "name=sbx: block outbound of SbxOffline (" SID ")\n"
                        "group=sbx\n"
                        "direction=out\n"
                        "action=block\n"
                        "profiles=0x7fffffff\n"
                        "remote=0.0.0.0-126.255.255.255,128.0.0.0-255.255.255.255,"
                        "::2-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff\n"
                        "users=O:LSD:(A;;CC;;;" SID ")\n");
    assert_non_null(strstr(s.description, "SbxOffline"));
}

static void test_users_sid(void **state)
{
    (void)state;
    char sid[SBX_SID_STR_MAX];
    assert_int_equal(sbx_fw_users_sid("O:LSD:(A;;CC;;;" SID ")", sid, sizeof sid), 0);
    assert_string_equal(sid, SID);
    assert_int_equal(sbx_fw_users_sid("O:LSD:(A;;CC;;;nope)", sid, sizeof sid), -SBX_EINVAL);
    assert_int_equal(sbx_fw_users_sid("D:(A;;CC;;;" SID ")", sid, sizeof sid), -SBX_EINVAL);
    assert_int_equal(sbx_fw_users_sid("", sid, sizeof sid), -SBX_EINVAL);
    assert_int_equal(sbx_fw_users_sid(NULL, sid, sizeof sid), -SBX_EINVAL);
}

static void test_rejects(void **state)
{
    (void)state;
    struct sbx_fw_rule_spec s;
    struct sbx_error err = {0};
    assert_int_equal(sbx_fw_block_spec("SbxOffline", "SbxOffline", &s, &err), -SBX_EINVAL);
    assert_non_null(strstr(err.msg, "SbxOffline"));
    assert_int_equal(sbx_fw_block_spec("", SID, &s, &err), -SBX_EINVAL);
    assert_int_equal(sbx_fw_block_spec("a\nb", SID, &s, &err), -SBX_EINVAL);
}

/* Loopback stays out of the blocked range. */
static void test_loopback_open(void **state)
{
    (void)state;
    struct sbx_fw_rule_spec s;
    assert_int_equal(sbx_fw_block_spec("SbxOffline", SID, &s, NULL), 0);
    assert_null(strstr(s.remote_addresses, "127."));
    assert_null(strstr(s.remote_addresses, "::1"));
    assert_true(s.outbound);
    assert_true(s.block);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_block_spec),
        cmocka_unit_test(test_users_sid),
        cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_loopback_open),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
