/* SPDX-License-Identifier: MIT */
/* The firewall rules: their specification and its comparison with what
 * Windows reads back (pure), and the construction of the rule object
 * through COM (Wine has no INetFwRule3: there, construction must fail,
 * never pass unread). */
#include <windows.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "modes/common/win32/resources.h"
#include "modes/os/win32/firewall.h"

#define SID "S-1-5-21-100-200-300-1001"

static void test_block_spec(void **state)
{
    (void)state;
    struct sbx_fw_rule_spec s;
    struct sbx_error err = {0};
    assert_int_equal(
        sbx_fw_block_spec("SbxOffline", "s-1-5-21-100-200-300-1001", true, &s, &err), 0);
    char out[1024];
    assert_int_equal(sbx_fw_spec_render(&s, out, sizeof out), 0);
    assert_string_equal(out,
                        "name=sbx: block outbound of SbxOffline (" SID ")\n"
                        "group=sbx\n"
                        "direction=out\n"
                        "action=block\n"
                        "profiles=0x7fffffff\n"
                        "protocol=256\n"
                        "remote=*\n"
                        "users=O:LSD:(A;;CC;;;" SID ")\n");
    assert_non_null(strstr(s.description, "SbxOffline"));
    /* and the inbound rule: the same with direction in, another name */
    assert_int_equal(sbx_fw_block_spec("SbxOffline", SID, false, &s, &err), 0);
    assert_int_equal(sbx_fw_spec_render(&s, out, sizeof out), 0);
    assert_string_equal(out,
                        "name=sbx: block inbound of SbxOffline (" SID ")\n"
                        "group=sbx\n"
                        "direction=in\n"
                        "action=block\n"
                        "profiles=0x7fffffff\n"
                        "protocol=256\n"
                        "remote=*\n"
                        "users=O:LSD:(A;;CC;;;" SID ")\n");
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
    assert_int_equal(sbx_fw_block_spec("SbxOffline", "SbxOffline", true, &s, &err),
                     -SBX_EINVAL);
    assert_non_null(strstr(err.msg, "SbxOffline"));
    assert_int_equal(sbx_fw_block_spec("", SID, true, &s, &err), -SBX_EINVAL);
    assert_int_equal(sbx_fw_block_spec("a\nb", SID, true, &s, &err), -SBX_EINVAL);
}

/* Issue 17 item 6: loopback, every protocol (DNS over UDP/TCP, ICMP) and
 * both directions are blocked. */
static void test_everything_blocked(void **state)
{
    (void)state;
    struct sbx_fw_rule_spec s;
    for (int out = 0; out < 2; out++) {
        assert_int_equal(sbx_fw_block_spec("SbxOffline", SID, out, &s, NULL), 0);
        assert_string_equal(s.remote_addresses, "*");
        assert_int_equal(s.protocol, 256); /* NET_FW_IP_PROTOCOL_ANY */
        assert_int_equal(s.profiles, 0x7fffffffL);
        assert_true(s.block);
        assert_int_equal(s.outbound, out);
    }
}

/* What Windows reads back is compared field by field. */
static void test_fields_diff(void **state)
{
    (void)state;
    struct sbx_fw_rule_spec s;
    struct sbx_fw_rule_fields want, got;
    assert_int_equal(sbx_fw_block_spec("SbxOffline", SID, true, &s, NULL), 0);
    sbx_fw_spec_fields(&s, &want);
    assert_true(want.enabled);
    got = want;
    assert_null(sbx_fw_fields_diff(&want, &got));
    /* the three profiles' bits stand for "all" */
    got.profiles = 7;
    assert_null(sbx_fw_fields_diff(&want, &got));
    got.profiles = 3;
    assert_string_equal(sbx_fw_fields_diff(&want, &got), "profiles");
    /* the users list compares by SID */
    got = want;
    snprintf(got.local_users, sizeof got.local_users, "O:LSD:(A;;CC;;;s-1-5-21-100-200-300-1001)");
    assert_null(sbx_fw_fields_diff(&want, &got));
    snprintf(got.local_users, sizeof got.local_users, "O:LSD:(A;;CC;;;S-1-5-21-100-200-300-1002)");
    assert_string_equal(sbx_fw_fields_diff(&want, &got), "local users");
    got.local_users[0] = '\0';
    assert_string_equal(sbx_fw_fields_diff(&want, &got), "local users");
    static const char *const fields[] = {"name",    "grouping", "direction",       "action",
                                         "enabled", "protocol", "remote addresses"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        const char *field = fields[i];
        got = want;
        if (!strcmp(field, "name"))
            got.name[0] = 'x';
        else if (!strcmp(field, "grouping"))
            snprintf(got.group, sizeof got.group, "other");
        else if (!strcmp(field, "direction"))
            got.outbound = false;
        else if (!strcmp(field, "action"))
            got.block = false;
        else if (!strcmp(field, "enabled"))
            got.enabled = false;
        else if (!strcmp(field, "protocol"))
            got.protocol = 6; /* TCP only: UDP (DNS) and ICMP would pass */
        else
            snprintf(got.remote_addresses, sizeof got.remote_addresses, "LocalSubnet");
        const char *d = sbx_fw_fields_diff(&want, &got);
        assert_non_null(d);
        assert_string_equal(d, field);
    }
}

/* The elevated mode records both rules; the driver tells them apart by
 * the direction in the detail (a ledger from before: outbound). */
static void test_resources(void **state)
{
    (void)state;
    struct sbx_resource_list l = {0};
    assert_int_equal(sbx_winres_firewall(&l, "SbxOffline", true, NULL), 0);
    assert_int_equal(sbx_winres_firewall(&l, "SbxOffline", false, NULL), 0);
    assert_string_equal(l.items[0].key, "firewall:block-outbound:SbxOffline");
    assert_string_equal(l.items[1].key, "firewall:block-inbound:SbxOffline");
    assert_true(sbx_winres_firewall_outbound(&l.items[0]));
    assert_false(sbx_winres_firewall_outbound(&l.items[1]));
    struct sbx_resource old = {.kind = SBX_R_FIREWALL_RULE, .detail = "account=SbxOffline\n"};
    assert_true(sbx_winres_firewall_outbound(&old));
    sbx_rlist_free(&l);
}

/* The COM construction runs: on Windows the object's fields read back
 * equal to the spec; under Wine, whose firewall has no INetFwRule3 (and
 * whose rule getters answer E_NOTIMPL), it must fail with a message, not
 * report a rule it could not read back. */
static void test_build_check(void **state)
{
    (void)state;
    struct sbx_fw_rule_spec s;
    struct sbx_fw_rule_fields got;
    struct sbx_error err = {0};
    assert_int_equal(sbx_fw_block_spec("SbxOffline", SID, true, &s, NULL), 0);
    int rc = sbx_fw_rule_build_check(&s, &got, &err);
    if (GetProcAddress(GetModuleHandleA("ntdll.dll"), "wine_get_version")) {
        assert_int_not_equal(rc, 0);
        assert_non_null(strstr(err.msg, "firewall rule"));
        return;
    }
    assert_int_equal(rc, 0);
    struct sbx_fw_rule_fields want;
    sbx_fw_spec_fields(&s, &want);
    assert_null(sbx_fw_fields_diff(&want, &got));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_block_spec),
        cmocka_unit_test(test_users_sid),
        cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_everything_blocked),
        cmocka_unit_test(test_fields_diff),
        cmocka_unit_test(test_resources),
        cmocka_unit_test(test_build_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
