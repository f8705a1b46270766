/* SPDX-License-Identifier: MIT */
#include "modes/confine/linux/hide.h"

#include <stdbool.h>
#include <stdio.h>

#include "modes/common/secret_paths.h"
#include "modes/confine/linux/standin.h"
#include "util/cleanup.h"

/* Pin path into out[*n_out] unless it is absent, already there, or shown
 * by allow[]; an allow[] path inside it is an error. */
static int pin_one(const char *path, const char *const *allow, size_t n_allow, uid_t uid,
                   struct sbx_pin *out, size_t *n_out, struct sbx_error *err)
{
    struct sbx_pin *pin = &out[*n_out];
    struct sbx_error ignored = {0};
    if (sbx_path_pin(path, 0, uid, pin, &ignored) < 0)
        return 0; /* absent, or not even ours to look at */
    bool skip = false;
    for (size_t k = 0; k < *n_out && !skip; k++)
        skip = out[k].dev == pin->dev && out[k].ino == pin->ino;
    for (size_t a = 0; a < n_allow && !skip; a++) {
        skip = sbx_path_within(pin->path, allow[a]);
        if (!skip && sbx_path_within(allow[a], pin->path)) {
            int rc = sbx_err_set(err, SBX_EINVAL,
                                 "--allow-read %s lies inside %s, which sbx hides: pass "
                                 "--allow-read %s to show it whole",
                                 allow[a], pin->path, pin->path);
            sbx_pin_close(pin);
            return rc;
        }
    }
    if (skip)
        sbx_pin_close(pin);
    else
        (*n_out)++;
    return 0;
}

int sbx_hide_resolve(const char *const *homes, size_t n_homes, const char *const *extra,
                     size_t n_extra, const char *const *allow, size_t n_allow, uid_t uid,
                     struct sbx_pin *out, size_t *n_out, struct sbx_error *err)
{
    *n_out = 0;
    int rc = 0;
    for (size_t h = 0; h < n_homes && rc == 0; h++) {
        for (size_t i = 0; i < sbx_n_secret_paths && rc == 0; i++) {
            char path[PATH_MAX];
            if (snprintf(path, sizeof path, "%s/%s", homes[h], sbx_secret_paths[i]) >=
                (int)sizeof path)
                continue; /* no such path can exist */
            rc = pin_one(path, allow, n_allow, uid, out, n_out, err);
        }
    }
    for (size_t i = 0; i < n_extra && rc == 0; i++)
        rc = pin_one(extra[i], allow, n_allow, uid, out, n_out, err);
    return rc;
}

int sbx_hide_paths(const char *const *path, const struct sbx_pin *pin, size_t n,
                   struct sbx_error *err)
{
    sbx_autofd int files = -1;
    for (size_t i = 0; i < n; i++) {
        sbx_autofd int target = sbx_pin_reopen(path[i], pin[i].dev, pin[i].ino, err);
        if (target < 0)
            return target;
        int rc = sbx_standin_cover(target, path[i], &files, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}
