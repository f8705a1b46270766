/* SPDX-License-Identifier: MIT */
#include "modes/os/os.h"

#include <stddef.h>

int sbx_os_apply(struct sbx_os *os, enum sbx_action act, struct sbx_resource *r,
                 struct sbx_error *err)
{
    if (!os->ops->apply)
        return sbx_err_set(err, SBX_ENOTSUP, "the %s OS driver cannot change %s objects",
                           os->ops->name, sbx_rkind_name(r->kind));
    return os->ops->apply(os, act, r, err);
}

int sbx_os_probe(struct sbx_os *os, const struct sbx_resource *r, enum sbx_presence *out,
                 struct sbx_error *err)
{
    if (!os->ops->probe)
        return sbx_err_set(err, SBX_ENOTSUP, "the %s OS driver cannot inspect %s objects",
                           os->ops->name, sbx_rkind_name(r->kind));
    return os->ops->probe(os, r, out, err);
}

int sbx_os_find_marked(struct sbx_os *os, struct sbx_resource_list *out, struct sbx_error *err)
{
    if (!os->ops->find_marked)
        return 0;
    return os->ops->find_marked(os, out, err);
}

int sbx_os_privilege(struct sbx_os *os, enum sbx_privilege *out, struct sbx_error *err)
{
    return os->ops->privilege(os, out, err);
}

void sbx_os_destroy(struct sbx_os *os)
{
    if (os && os->ops->destroy)
        os->ops->destroy(os);
}
