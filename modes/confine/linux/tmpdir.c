/* SPDX-License-Identifier: MIT */
#include "modes/confine/linux/tmpdir.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/rmtree.h"

int sbx_tmpdir_create(char *out, size_t out_len, struct sbx_error *err)
{
    const char *base = getenv("TMPDIR");
    if (!base || base[0] != '/')
        base = "/tmp";
    int n = snprintf(out, out_len, "%s/sbx-run-XXXXXX", base);
    if (n < 0 || (size_t)n >= out_len)
        return sbx_err_set(err, SBX_EINVAL, "temporary directory under %s: path too long", base);
    if (!mkdtemp(out))
        return sbx_err_sys(err, SBX_EIO, errno, "mkdtemp %s", out);
    return 0;
}
