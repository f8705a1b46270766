/* SPDX-License-Identifier: MIT */
#include "cli/run_env.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "modes/common/env_secrets.h"

#ifdef _WIN32
#define environ _environ
#else
extern char **environ;
#endif

#define ENV_NAME_MAX 255

static bool named_by(const struct cli_env_policy *p, const char *entry)
{
    size_t len = sbx_env_name_len(entry);
    for (size_t i = 0; i < p->n_env; i++) {
        size_t l = sbx_env_name_len(p->env[i]);
        /* Variable names compare exactly on POSIX, as the kernel keeps them. */
        if (l == len && strncmp(p->env[i], entry, len) == 0)
            return true;
    }
    for (size_t i = 0; i < p->n_pass; i++)
        if (strlen(p->pass[i]) == len && strncmp(p->pass[i], entry, len) == 0)
            return true;
    return false;
}

static int env_unset(const char *name, struct sbx_error *err)
{
#ifdef _WIN32
    int rc = _putenv_s(name, "") == 0 ? 0 : -1;
#else
    int rc = unsetenv(name);
#endif
    return rc == 0 ? 0 : sbx_err_sys(err, SBX_EIO, errno, "unset %s in the environment", name);
}

static int env_set(const char *name, const char *value, struct sbx_error *err)
{
#ifdef _WIN32
    int rc = _putenv_s(name, value) == 0 ? 0 : -1;
#else
    int rc = setenv(name, value, 1);
#endif
    return rc == 0 ? 0 : sbx_err_sys(err, SBX_EIO, errno, "set %s in the environment", name);
}

int cli_env_check(const char *value, struct sbx_error *err)
{
    if (!sbx_env_name_valid(value, ENV_NAME_MAX))
        return sbx_err_set(err, SBX_EINVAL, "--env %s: expected NAME or NAME=VALUE, NAME made "
                                            "of letters, digits and _ (not starting with a "
                                            "digit)", value);
    return 0;
}

int cli_env_apply(const struct cli_env_policy *p, size_t *n_dropped, struct sbx_error *err)
{
    *n_dropped = 0;
    for (size_t i = 0; i < p->n_env; i++) {
        if (strchr(p->env[i], '='))
            continue;
        if (!getenv(p->env[i]))
            return sbx_err_set(err, SBX_EINVAL, "--env %s: not set in your environment (pass "
                                                "--env %s=VALUE to set it)", p->env[i],
                               p->env[i]);
    }
    if (!p->all) {
        /* Names first: unsetting while walking environ would skip some. */
        size_t n = 0;
        for (char **e = environ; e && *e; e++)
            n++;
        char **drop = calloc(n + 1, sizeof *drop);
        if (!drop)
            return sbx_err_set(err, SBX_ENOMEM, "out of memory");
        size_t k = 0;
        int rc = 0;
        for (char **e = environ; e && *e && rc == 0; e++) {
            if (!sbx_env_is_secret(*e) || named_by(p, *e) || (*e)[0] == '=')
                continue;
            size_t len = sbx_env_name_len(*e);
            if (!(drop[k] = malloc(len + 1)))
                rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
            else {
                memcpy(drop[k], *e, len);
                drop[k++][len] = '\0';
            }
        }
        for (size_t i = 0; i < k; i++) {
            if (rc == 0)
                rc = env_unset(drop[i], err);
            free(drop[i]);
        }
        free(drop);
        if (rc)
            return rc;
        *n_dropped = k;
    }
    for (size_t i = 0; i < p->n_env; i++) {
        const char *eq = strchr(p->env[i], '=');
        if (!eq)
            continue;
        char name[ENV_NAME_MAX + 1];
        size_t len = (size_t)(eq - p->env[i]);
        memcpy(name, p->env[i], len);
        name[len] = '\0';
        int rc = env_set(name, eq + 1, err);
        if (rc)
            return rc;
    }
    return 0;
}
