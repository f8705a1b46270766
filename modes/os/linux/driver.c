/* The Linux OS driver.  The unelevated mode changes nothing on the machine
 * (its resources are ledger records), so what the driver must do today is
 * report privilege; the objects of the elevated mode (accounts, groups,
 * POSIX ACL entries, the nft table, the launcher) are refused with a clear
 * error until that driver is built. */
#include <stdlib.h>
#include <unistd.h>

#include "modes/os/os.h"

static int linux_apply(struct sbx_os *os, enum sbx_action act, struct sbx_resource *r,
                       struct sbx_error *err)
{
    (void)os;
    (void)act;
    return sbx_err_set(err, SBX_ENOTSUP,
                       "the Linux driver for %s objects (elevated mode) is not built yet in "
                       "this version of sbx",
                       sbx_rkind_name(r->kind));
}

static int linux_probe(struct sbx_os *os, const struct sbx_resource *r, enum sbx_presence *out,
                       struct sbx_error *err)
{
    (void)os;
    (void)out;
    return sbx_err_set(err, SBX_ENOTSUP,
                       "the Linux driver for %s objects (elevated mode) is not built yet in "
                       "this version of sbx",
                       sbx_rkind_name(r->kind));
}

static int linux_privilege(struct sbx_os *os, enum sbx_privilege *out, struct sbx_error *err)
{
    (void)os;
    (void)err;
    *out = geteuid() == 0 ? SBX_PRIV_ADMIN : SBX_PRIV_USER;
    return 0;
}

static void linux_destroy(struct sbx_os *os)
{
    free(os);
}

static const struct sbx_os_ops linux_ops = {
    .name = "linux",
    .apply = linux_apply,
    .probe = linux_probe,
    .find_marked = NULL,
    .privilege = linux_privilege,
    .destroy = linux_destroy,
};

int sbx_os_open_native(struct sbx_os **out, struct sbx_error *err)
{
    struct sbx_os *os = calloc(1, sizeof *os);
    if (!os)
        return sbx_err_set(err, SBX_ENOMEM, "out of memory");
    os->ops = &linux_ops;
    *out = os;
    return 0;
}
