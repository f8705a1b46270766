/* SPDX-License-Identifier: MIT */
/* The password generator (pure over its bytes) and the DPAPI round trip. */
#include <windows.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "modes/common/win32/dpapi.h"
#include "modes/common/win32/password.h"

static void test_alphabet(void **state)
{
    (void)state;
    assert_int_equal(strlen(sbx_password_alphabet), 64);
    for (int i = 0; i < 64; i++)
        for (int j = i + 1; j < 64; j++)
            assert_int_not_equal(sbx_password_alphabet[i], sbx_password_alphabet[j]);
}

static void test_from_bytes(void **state)
{
    (void)state;
    uint8_t b[SBX_PASSWORD_LEN] = {0};
    char out[SBX_PASSWORD_LEN + 1];
    assert_false(sbx_password_from_bytes(b, out)); /* all 'A' */
    assert_string_equal(out, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    b[1] = 26;  /* 'a' */
    b[2] = 52;  /* '0' */
    assert_false(sbx_password_from_bytes(b, out)); /* no symbol */
    b[3] = 63 + 64 * 3; /* high bits ignored: '%' */
    assert_true(sbx_password_from_bytes(b, out));
    assert_string_equal(out, "Aa0%AAAAAAAAAAAAAAAAAAAAAAAAAAAA");
}

static void test_generate(void **state)
{
    (void)state;
    char seen[20][SBX_PASSWORD_LEN + 1];
    for (int i = 0; i < 20; i++) {
        struct sbx_error err = {0};
        assert_int_equal(sbx_password_generate(seen[i], &err), 0);
        assert_int_equal(strlen(seen[i]), SBX_PASSWORD_LEN);
        assert_non_null(strpbrk(seen[i], "ABCDEFGHIJKLMNOPQRSTUVWXYZ"));
        assert_non_null(strpbrk(seen[i], "abcdefghijklmnopqrstuvwxyz"));
        assert_non_null(strpbrk(seen[i], "0123456789"));
        assert_non_null(strpbrk(seen[i], "#%"));
        for (int j = 0; j < i; j++)
            assert_string_not_equal(seen[i], seen[j]);
    }
}

static void test_dpapi_roundtrip(void **state)
{
    (void)state;
    const char secret[] = "Secret#Passw0rd%of-SbxOffline";
    char *b64 = NULL;
    struct sbx_error err = {0};
    assert_int_equal(sbx_dpapi_protect(secret, strlen(secret), "SbxOffline", &b64, &err), 0);
    assert_non_null(b64);
    assert_null(strstr(b64, "Secret"));
    assert_null(strchr(b64, '\n'));
    void *back = NULL;
    size_t n = 0;
    assert_int_equal(sbx_dpapi_unprotect(b64, "SbxOffline", &back, &n, &err), 0);
    assert_int_equal(n, strlen(secret));
    assert_memory_equal(back, secret, n);
    assert_int_equal(((char *)back)[n], '\0');
    free(back);

    free(b64);

    /* base64 that is no DPAPI blob is refused, naming the account */
    assert_int_not_equal(sbx_dpapi_unprotect("aGVsbG8gd29ybGQ=", "SbxOffline", &back, &n, &err),
                         0);
    assert_null(back);
    assert_non_null(strstr(err.msg, "SbxOffline"));

    assert_int_equal(sbx_dpapi_unprotect("!!not base64!!", "SbxOnline", &back, &n, &err),
                     -SBX_ECORRUPT);
    assert_non_null(strstr(err.msg, "SbxOnline"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alphabet),
        cmocka_unit_test(test_from_bytes),
        cmocka_unit_test(test_generate),
        cmocka_unit_test(test_dpapi_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
