/* SPDX-License-Identifier: MIT */
#include "modes/common/win32/dpapi.h"

#include <windows.h>
#include <wincrypt.h>

#include <stdlib.h>
#include <string.h>

#include "modes/common/win32/password.h"
#include "modes/common/win32/winutil.h"

static const char entropy_text[] = "sbx credential v1";

int sbx_dpapi_protect(const void *data, size_t n, const char *what, char **b64,
                      struct sbx_error *err)
{
    *b64 = NULL;
    if (n > 0x7fffffff)
        return sbx_err_set(err, SBX_EINVAL, "secret for %s too large", what);
    DATA_BLOB in = {(DWORD)n, (BYTE *)data};
    DATA_BLOB ent = {sizeof entropy_text - 1, (BYTE *)entropy_text};
    DATA_BLOB out = {0, NULL};
    if (!CryptProtectData(&in, L"sbx", &ent, NULL, NULL, CRYPTPROTECT_UI_FORBIDDEN, &out))
        return sbx_win_err(err, SBX_EIO, GetLastError(), "protecting the secret of %s with DPAPI",
                           what);
    DWORD len = 0;
    int rc = 0;
    DWORD flags = CRYPT_STRING_BASE64 | CRYPT_STRING_NOCRLF;
    if (!CryptBinaryToStringA(out.pbData, out.cbData, flags, NULL, &len)) {
        rc = sbx_win_err(err, SBX_EIO, GetLastError(), "encoding the secret of %s", what);
    } else if (!(*b64 = malloc(len + 1))) {
        rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
    } else if (!CryptBinaryToStringA(out.pbData, out.cbData, flags, *b64, &len)) {
        rc = sbx_win_err(err, SBX_EIO, GetLastError(), "encoding the secret of %s", what);
        free(*b64);
        *b64 = NULL;
    }
    LocalFree(out.pbData);
    return rc;
}

int sbx_dpapi_unprotect(const char *b64, const char *what, void **data, size_t *n,
                        struct sbx_error *err)
{
    *data = NULL;
    *n = 0;
    DWORD len = 0;
    size_t blen = strlen(b64);
    if (blen > 0x7fffffff ||
        !CryptStringToBinaryA(b64, (DWORD)blen, CRYPT_STRING_BASE64, NULL, &len, NULL, NULL))
        return sbx_win_err(err, SBX_ECORRUPT, GetLastError(),
                           "the stored secret of %s is not base64", what);
    BYTE *raw = malloc(len ? len : 1);
    if (!raw)
        return sbx_err_set(err, SBX_ENOMEM, "out of memory");
    if (!CryptStringToBinaryA(b64, (DWORD)blen, CRYPT_STRING_BASE64, raw, &len, NULL, NULL)) {
        free(raw);
        return sbx_win_err(err, SBX_ECORRUPT, GetLastError(),
                           "the stored secret of %s is not base64", what);
    }
    DATA_BLOB in = {len, raw};
    DATA_BLOB ent = {sizeof entropy_text - 1, (BYTE *)entropy_text};
    DATA_BLOB out = {0, NULL};
    BOOL ok = CryptUnprotectData(&in, NULL, &ent, NULL, NULL, CRYPTPROTECT_UI_FORBIDDEN, &out);
    DWORD e = GetLastError();
    free(raw);
    if (!ok)
        return sbx_win_err(err, SBX_EPERM, e,
                           "the secret of %s can't be unlocked by this user (DPAPI); the "
                           "user who ran `sbx setup` can, or run setup again as this user",
                           what);
    char *copy = malloc((size_t)out.cbData + 1);
    if (copy) {
        memcpy(copy, out.pbData, out.cbData);
        copy[out.cbData] = '\0';
        *data = copy;
        *n = out.cbData;
    }
    sbx_secure_zero(out.pbData, out.cbData);
    LocalFree(out.pbData);
    return copy ? 0 : sbx_err_set(err, SBX_ENOMEM, "out of memory");
}
