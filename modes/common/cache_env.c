/* SPDX-License-Identifier: MIT */
#include "modes/common/cache_env.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Each tool's variable and where beneath the cache it points.  Tools that
 * follow XDG_CACHE_HOME (pip, go build, uv, yarn berry, ccache, ...) need
 * no line of their own; the others keep their cache elsewhere by default.
 * CARGO_HOME moves cargo's whole home (registry, git checkouts, installed
 * binaries): ~/.cargo/config.toml is not read inside (a project's own
 * .cargo/config.toml still is). */
static const struct {
    const char *name, *sub;
} vars[] = {
    {"XDG_CACHE_HOME", ""},
    {"npm_config_cache", "/npm"},
    {"PIP_CACHE_DIR", "/pip"},
    {"CARGO_HOME", "/cargo"},
    {"GOMODCACHE", "/go/mod"},
    {"GOCACHE", "/go/build"},
    {"GRADLE_USER_HOME", "/gradle"},
    {"YARN_CACHE_FOLDER", "/yarn"},
};

#define MAVEN_OPTS "MAVEN_OPTS"

static bool is_named(const char *entry, const char *name)
{
    size_t len = strlen(name);
    return strncmp(entry, name, len) == 0 && entry[len] == '=';
}

bool sbx_cache_env_sets(const char *entry)
{
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        if (is_named(entry, vars[i].name))
            return true;
    return is_named(entry, MAVEN_OPTS);
}

void sbx_cache_env_free(struct sbx_cache_env *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->v[i]);
    e->n = 0;
}

static int push(struct sbx_cache_env *out, struct sbx_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = len >= 0 && out->n < SBX_CACHE_ENV_MAX ? malloc((size_t)len + 1) : NULL;
    if (!s)
        return sbx_err_set(err, SBX_ENOMEM, "out of memory (the cache's variables)");
    va_start(ap, fmt);
    vsnprintf(s, (size_t)len + 1, fmt, ap);
    va_end(ap);
    out->v[out->n++] = s;
    return 0;
}

int sbx_cache_env_build(const char *root, const char *maven_opts, struct sbx_cache_env *out,
                        struct sbx_error *err)
{
    out->n = 0;
    if (!root || root[0] != '/')
        return sbx_err_set(err, SBX_EINVAL, "the cache directory must be an absolute path");
    /* A space would split MAVEN_OPTS, a newline or '=' confuse the rest:
     * sbx's own paths never hold one, a renamed home might. */
    if (strpbrk(root, " \t\n="))
        return sbx_err_set(err, SBX_EINVAL, "cache directory %s: its path holds a space, tab, "
                                            "newline or '=' (pass --no-cache)", root);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof vars / sizeof vars[0]; i++)
        rc = push(out, err, "%s=%s%s", vars[i].name, root, vars[i].sub);
    /* Maven has no variable for its repository: a system property, after
     * the caller's own options (the last -D wins). */
    bool opts = maven_opts && *maven_opts;
    if (rc == 0)
        rc = push(out, err, MAVEN_OPTS "=%s%s-Dmaven.repo.local=%s/maven/repository",
                  opts ? maven_opts : "", opts ? " " : "", root);
    if (rc)
        sbx_cache_env_free(out);
    return rc;
}
