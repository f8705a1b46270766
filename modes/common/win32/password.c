/* SPDX-License-Identifier: MIT */
#include "modes/common/win32/password.h"

#include <windows.h>

#include "modes/common/win32/winutil.h"

const char sbx_password_alphabet[65] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789#%";

bool sbx_password_from_bytes(const uint8_t bytes[SBX_PASSWORD_LEN],
                             char out[SBX_PASSWORD_LEN + 1])
{
    bool upper = false, lower = false, digit = false, symbol = false;
    for (int i = 0; i < SBX_PASSWORD_LEN; i++) {
        char c = sbx_password_alphabet[bytes[i] & 63];
        out[i] = c;
        if (c >= 'A' && c <= 'Z')
            upper = true;
        else if (c >= 'a' && c <= 'z')
            lower = true;
        else if (c >= '0' && c <= '9')
            digit = true;
        else
            symbol = true;
    }
    out[SBX_PASSWORD_LEN] = '\0';
    return upper && lower && digit && symbol;
}

void sbx_secure_zero(void *p, size_t n)
{
    SecureZeroMemory(p, n);
}

int sbx_password_generate(char out[SBX_PASSWORD_LEN + 1], struct sbx_error *err)
{
    uint8_t bytes[SBX_PASSWORD_LEN];
    /* P(no symbol in 32 draws) = (62/64)^32 ~ 0.36: 64 tries all failing
     * has probability ~1e-28, i.e. a broken RNG. */
    for (int attempt = 0; attempt < 64; attempt++) {
        int rc = sbx_random_bytes(bytes, sizeof bytes, err);
        if (rc)
            return sbx_err_wrap(err, "generating an account password");
        bool ok = sbx_password_from_bytes(bytes, out);
        sbx_secure_zero(bytes, sizeof bytes);
        if (ok)
            return 0;
    }
    sbx_secure_zero(out, SBX_PASSWORD_LEN + 1);
    return sbx_err_set(err, SBX_EIO, "the system random number generator keeps returning "
                       "passwords without all character classes; it looks broken");
}
