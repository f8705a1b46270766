#include "migrate/fault.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int sbx_fault_parse(const char *spec, struct sbx_fault *out, struct sbx_error *err)
{
    memset(out, 0, sizeof *out);
    if (!spec || !*spec)
        return 0;
    enum sbx_fault_kind kind;
    const char *num;
    if (strncmp(spec, "fail:", 5) == 0) {
        kind = SBX_FAULT_FAIL;
        num = spec + 5;
    } else if (strncmp(spec, "crash:", 6) == 0) {
        kind = SBX_FAULT_CRASH;
        num = spec + 6;
    } else {
        return sbx_err_set(err, SBX_EINVAL,
                           "SBX_FAULT=%s: expected fail:K or crash:K (K = 1, 2, ...)", spec);
    }
    char *end = NULL;
    errno = 0;
    unsigned long k = strtoul(num, &end, 10);
    if (errno || !*num || *end || k == 0 || k > 1000000 || num[0] == '-' || num[0] == '+')
        return sbx_err_set(err, SBX_EINVAL, "SBX_FAULT=%s: K must be a whole number from 1", spec);
    out->kind = kind;
    out->k = (unsigned)k;
    return 0;
}

int sbx_fault_before(struct sbx_fault *f, bool *crash_after, struct sbx_error *err)
{
    *crash_after = false;
    f->count++;
    if (f->kind == SBX_FAULT_NONE || f->count != f->k)
        return 0;
    if (f->kind == SBX_FAULT_CRASH) {
        *crash_after = true;
        return 0;
    }
    /* Once: the rollback that follows (or a later plan of the same
     * command) must not fail at the same number again. */
    f->kind = SBX_FAULT_NONE;
    return sbx_err_set(err, SBX_EFAULT, "injected failure (SBX_FAULT=fail:%u)", f->k);
}
