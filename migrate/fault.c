/* SPDX-License-Identifier: MIT */
#include "migrate/fault.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* One "fail:K" or "crash:K" of length len; *k set from it. */
static int parse_one(const char *spec, const char *part, size_t len, unsigned *fail_k,
                     unsigned *crash_k, struct sbx_error *err)
{
    unsigned *k;
    size_t skip;
    if (len > 5 && strncmp(part, "fail:", 5) == 0) {
        k = fail_k;
        skip = 5;
    } else if (len > 6 && strncmp(part, "crash:", 6) == 0) {
        k = crash_k;
        skip = 6;
    } else {
        return sbx_err_set(err, SBX_EINVAL,
                           "SBX_FAULT=%s: expected fail:K, crash:K or fail:K,crash:M "
                           "(K = 1, 2, ...)",
                           spec);
    }
    char num[16];
    if (len - skip >= sizeof num || *k)
        return sbx_err_set(err, SBX_EINVAL, "SBX_FAULT=%s: K must be a whole number from 1, "
                                            "each kind at most once",
                           spec);
    memcpy(num, part + skip, len - skip);
    num[len - skip] = '\0';
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(num, &end, 10);
    if (errno || !num[0] || *end || v == 0 || v > 1000000 || num[0] == '-' || num[0] == '+')
        return sbx_err_set(err, SBX_EINVAL, "SBX_FAULT=%s: K must be a whole number from 1", spec);
    *k = (unsigned)v;
    return 0;
}

int sbx_fault_parse(const char *spec, struct sbx_fault *out, struct sbx_error *err)
{
    memset(out, 0, sizeof *out);
    if (!spec || !*spec)
        return 0;
    struct sbx_fault f = {0};
    const char *part = spec;
    for (int n = 0; n < 2; n++) {
        size_t len = strcspn(part, ",");
        int rc = parse_one(spec, part, len, &f.fail_k, &f.crash_k, err);
        if (rc)
            return rc;
        if (!part[len])
            break;
        part += len + 1;
        if (n == 1)
            return sbx_err_set(err, SBX_EINVAL, "SBX_FAULT=%s: at most two faults", spec);
    }
    if (f.fail_k && f.crash_k && f.crash_k <= f.fail_k)
        return sbx_err_set(err, SBX_EINVAL,
                           "SBX_FAULT=%s: the crash must come after the failure", spec);
    *out = f;
    return 0;
}

int sbx_fault_before(struct sbx_fault *f, bool *crash_after, struct sbx_error *err)
{
    *crash_after = false;
    f->count++;
    if (f->crash_k && f->count == f->crash_k) {
        *crash_after = true;
        return 0;
    }
    if (!f->fail_k || f->count != f->fail_k)
        return 0;
    /* Once: the rollback that follows (or a later plan of the same
     * command) must not fail at the same number again. */
    unsigned k = f->fail_k;
    f->fail_k = 0;
    return sbx_err_set(err, SBX_EFAULT, "injected failure (SBX_FAULT=fail:%u)", k);
}
