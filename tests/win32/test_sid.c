/* SPDX-License-Identifier: MIT */
/* SID parsing and formatting (pure), checked against Windows' own
 * ConvertStringSidToSidW / ConvertSidToStringSidW under Wine. */
#include <windows.h>
#include <sddl.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "modes/common/win32/sid.h"

static void roundtrip(const char *in, const char *want)
{
    struct sbx_sid sid;
    struct sbx_error err = {0};
    char out[SBX_SID_STR_MAX];
    assert_int_equal(sbx_sid_parse(in, &sid, &err), 0);
    assert_int_equal(sbx_sid_format(&sid, out, sizeof out), 0);
    assert_string_equal(out, want);
}

static void test_roundtrip(void **state)
{
    (void)state;
    roundtrip("S-1-5-21-1-2-3-4", "S-1-5-21-1-2-3-4");
    roundtrip("S-1-5-18", "S-1-5-18");
    roundtrip("s-1-5-32-544", "S-1-5-32-544");
    roundtrip("S-1-1-0", "S-1-1-0");
    roundtrip("S-1-5-21-4294967295-0-1-1001", "S-1-5-21-4294967295-0-1-1001");
    roundtrip("S-1-0x123456789ABC-7", "S-1-0x123456789ABC-7");
    roundtrip("S-1-0x5-7", "S-1-5-7");
    roundtrip("S-1-4294967296-1", "S-1-0x000100000000-1");
    roundtrip("S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15",
              "S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15");
}

static void test_reject(void **state)
{
    (void)state;
    const char *bad[] = {
        "", "S", "S-1", "S-1-5", "S-2-5-18", "S-1-5-", "S-1-5-21--1", "S-1-5-4294967296",
        "S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16", "S-1-5-1x", " S-1-5-18",
        "S-1-281474976710656-1", "S-1-5-+1", "S-1--5-1", "X-1-5-18", "S-1-5-18 ",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct sbx_sid sid;
        struct sbx_error err = {0};
        assert_int_equal(sbx_sid_parse(bad[i], &sid, &err), -SBX_EINVAL);
        assert_int_equal(err.code, SBX_EINVAL);
        assert_non_null(strstr(err.msg, "security identifier"));
    }
}

static void test_format_small_buffer(void **state)
{
    (void)state;
    struct sbx_sid sid;
    assert_int_equal(sbx_sid_parse("S-1-5-21-1-2-3-4", &sid, NULL), 0);
    char out[8];
    assert_int_equal(sbx_sid_format(&sid, out, sizeof out), -SBX_EINVAL);
}

static void test_capability_from_bytes(void **state)
{
    (void)state;
    uint8_t b[16];
    for (int i = 0; i < 16; i++)
        b[i] = (uint8_t)i;
    struct sbx_sid sid;
    sbx_sid_capability_from_bytes(b, &sid);
    char out[SBX_SID_STR_MAX];
    assert_int_equal(sbx_sid_format(&sid, out, sizeof out), 0);
    assert_string_equal(out, "S-1-5-21-50462976-117835012-185207048-252579084");
    assert_true(sbx_sid_is_capability_shape(&sid));
    assert_int_equal(sbx_sid_parse("S-1-5-18", &sid, NULL), 0);
    assert_false(sbx_sid_is_capability_shape(&sid));
}

/* Our string form must be Windows' string form. */
static void assert_windows_agrees(const char *s)
{
    wchar_t w[SBX_SID_STR_MAX];
    MultiByteToWideChar(CP_UTF8, 0, s, -1, w, SBX_SID_STR_MAX);
    PSID psid = NULL;
    assert_true(ConvertStringSidToSidW(w, &psid));
    assert_true(IsValidSid(psid));
    wchar_t *back = NULL;
    assert_true(ConvertSidToStringSidW(psid, &back));
    char b[SBX_SID_STR_MAX];
    WideCharToMultiByte(CP_UTF8, 0, back, -1, b, sizeof b, NULL, NULL);
    assert_string_equal(b, s);
    LocalFree(back);
    LocalFree(psid);
}

static void test_generate(void **state)
{
    (void)state;
    char a[SBX_SID_STR_MAX], b[SBX_SID_STR_MAX];
    struct sbx_error err = {0};
    assert_int_equal(sbx_sid_generate_capability(a, sizeof a, &err), 0);
    assert_int_equal(sbx_sid_generate_capability(b, sizeof b, &err), 0);
    assert_string_not_equal(a, b);
    struct sbx_sid sid;
    assert_int_equal(sbx_sid_parse(a, &sid, &err), 0);
    assert_true(sbx_sid_is_capability_shape(&sid));
    assert_windows_agrees(a);
    assert_windows_agrees(b);
    assert_windows_agrees("S-1-5-32-544");
    assert_windows_agrees("S-1-5-21-4294967295-0-1-1001");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_reject),
        cmocka_unit_test(test_format_small_buffer),
        cmocka_unit_test(test_capability_from_bytes),
        cmocka_unit_test(test_generate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
