/* SPDX-License-Identifier: MIT */
/* Names and places of the elevated mode's machine objects on Linux, shared
 * by the mode, the plan driver and the CLI (never by the launcher, which
 * reads everything it needs from its root-owned configuration). */
#include "modes/common/linux/names.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "modes/common/linux/launch_conf.h"
#include "util/platform.h"

/* Where the installed launcher lies relative to the installed sbx's
 * directory (GNUInstallDirs: bin/ and libexec/sbx/ by default). */
#ifndef SBX_LIBEXEC_FROM_BIN
#define SBX_LIBEXEC_FROM_BIN "../libexec/sbx"
#endif

int sbx_elevated_names(struct sbx_elevated_names *n, struct sbx_error *err)
{
    const char *prefix = secure_getenv("SBX_ELEVATED_PREFIX");
    if (!prefix || !*prefix)
        prefix = "sbx-";
    size_t len = strlen(prefix);
    bool ok = len >= 3 && len <= 16 && strncmp(prefix, "sbx", 3) == 0;
    for (size_t i = 0; ok && i < len; i++)
        ok = (prefix[i] >= 'a' && prefix[i] <= 'z') || (prefix[i] >= '0' && prefix[i] <= '9') ||
             prefix[i] == '-';
    if (!ok)
        return sbx_err_set(err, SBX_EINVAL,
                           "SBX_ELEVATED_PREFIX '%s': must start with 'sbx', [a-z0-9-] only, at "
                           "most 16 characters",
                           prefix);
    snprintf(n->prefix, sizeof n->prefix, "%s", prefix);
    const char *shared = secure_getenv("SBX_ELEVATED_SHARED_PAIR");
    n->shared = shared && strcmp(shared, "1") == 0;
    const char *traverse = secure_getenv("SBX_ELEVATED_TRAVERSE");
    n->traverse = traverse && strcmp(traverse, "1") == 0;
    snprintf(n->group, sizeof n->group, "%susers", prefix);
    snprintf(n->offline, sizeof n->offline, "%soffline", prefix);
    snprintf(n->online, sizeof n->online, "%sonline", prefix);
    /* nft names: '-' becomes '_', a trailing one goes ("sbx-" -> "sbx"). */
    snprintf(n->table, sizeof n->table, "%s", prefix);
    for (char *p = n->table; *p; p++)
        if (*p == '-')
            *p = '_';
    size_t t = strlen(n->table);
    while (t > 3 && n->table[t - 1] == '_')
        n->table[--t] = '\0';
    return 0;
}

static bool lower_or_digit(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* FNV-1a, 64 bits: a name, not a secret (see names.h for collisions). */
static unsigned long long name_hash(const char *s)
{
    unsigned long long h = 14695981039346656037ULL;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    return h;
}

int sbx_elevated_member_pair(const struct sbx_elevated_names *n, const char *member,
                             struct sbx_member_pair *out, struct sbx_error *err)
{
    size_t plen = strlen(n->prefix), mlen = strlen(member);
    if (!mlen || mlen > 255)
        return sbx_err_set(err, SBX_EINVAL, "member name '%.64s': empty or too long", member);
    bool plain = plen + mlen + 4 <= SBX_ACCOUNT_NAME_MAX;
    for (size_t i = 0; plain && i < mlen; i++)
        plain = lower_or_digit(member[i]) || member[i] == '-' || member[i] == '_';
    char base[48];
    if (plain) {
        snprintf(base, sizeof base, "%.16s%.23s", n->prefix, member);
    } else {
        /* PREFIX HEAD - HASH: 15 characters past the head with "-off". */
        size_t room = SBX_ACCOUNT_NAME_MAX - plen - 15, h = 0;
        char head[SBX_ACCOUNT_NAME_MAX + 1] = "";
        for (size_t i = 0; i < mlen && h < room; i++)
            if (lower_or_digit(member[i]))
                head[h++] = member[i];
        head[h] = '\0';
        snprintf(base, sizeof base, "%.16s%.15s%s%010llx", n->prefix, head, h ? "-" : "",
                 name_hash(member) & 0xffffffffffULL);
    }
    snprintf(out->offline, sizeof out->offline, "%.40s-off", base);
    snprintf(out->online, sizeof out->online, "%.40s-on", base);
    snprintf(out->table, sizeof out->table, "%s", out->offline);
    for (char *p = out->table; *p; p++)
        if (*p == '-')
            *p = '_';
    return 0;
}

static bool member_form(const char *prefix, const char *name, const char *s1, const char *s2)
{
    size_t plen = strlen(prefix), len = strlen(name);
    if (len <= plen || strncmp(name, prefix, plen) != 0)
        return false;
    const char *sfx[2] = {s1, s2};
    for (int i = 0; i < 2; i++) {
        size_t sl = sfx[i] ? strlen(sfx[i]) : 0;
        if (sl && len > plen + sl && strcmp(name + len - sl, sfx[i]) == 0)
            return true;
    }
    return false;
}

bool sbx_elevated_is_member_account(const struct sbx_elevated_names *n, const char *name)
{
    return member_form(n->prefix, name, "-off", "-on");
}

bool sbx_elevated_is_member_table(const struct sbx_elevated_names *n, const char *table)
{
    char p[32];
    snprintf(p, sizeof p, "%s", n->prefix);
    for (char *c = p; *c; c++)
        if (*c == '-')
            *c = '_';
    return member_form(p, table, "_off", NULL);
}

int sbx_elevated_state_dir(const char *dir, char *out, size_t len, struct sbx_error *err)
{
    if (dir && dir[0]) {
        if (dir[0] != '/' || strlen(dir) >= len)
            return sbx_err_set(err, SBX_EINVAL, "machine state directory %s: not absolute", dir);
        snprintf(out, len, "%s", dir);
        return 0;
    }
    return sbx_default_state_dir(true, out, len, err);
}

static int elevated_dir(const char *state, char *out, size_t len, struct sbx_error *err)
{
    char s[PATH_MAX];
    int rc = sbx_elevated_state_dir(state, s, sizeof s, err);
    if (rc)
        return rc;
    if (snprintf(out, len, "%s/elevated", s) >= (int)len)
        return sbx_err_set(err, SBX_EINVAL, "%s: path too long", s);
    return 0;
}

int sbx_elevated_launcher_path(const char *state, char *out, size_t len, struct sbx_error *err)
{
    char d[PATH_MAX];
    int rc = elevated_dir(state, d, sizeof d, err);
    if (rc == 0 && snprintf(out, len, "%s/%s", d, SBX_LAUNCH_NAME) >= (int)len)
        rc = sbx_err_set(err, SBX_EINVAL, "%s: path too long", d);
    return rc;
}

int sbx_elevated_conf_path(const char *state, char *out, size_t len, struct sbx_error *err)
{
    char d[PATH_MAX];
    int rc = elevated_dir(state, d, sizeof d, err);
    if (rc == 0 && snprintf(out, len, "%s/%s", d, SBX_LAUNCH_CONF_NAME) >= (int)len)
        rc = sbx_err_set(err, SBX_EINVAL, "%s: path too long", d);
    return rc;
}

bool sbx_program_beside_sbx(const char *name, char *out, size_t len)
{
    /* Found from where this sbx is, never from a path of the build:
     * beside it (a build tree), or in its libexec directory (installed). */
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return false;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return false;
    *slash = '\0';
    static const char *const where[] = {"", "/" SBX_LIBEXEC_FROM_BIN};
    for (size_t i = 0; i < sizeof where / sizeof where[0]; i++)
        /* Cut short, it would name another file: not looked at. */
        if (snprintf(out, len, "%s%s/%s", exe, where[i], name) < (int)len &&
            access(out, F_OK) == 0)
            return true;
    return false;
}

int sbx_elevated_launcher_source(char *out, size_t len, struct sbx_error *err)
{
    const char *env = secure_getenv("SBX_LAUNCHER_SOURCE");
    if (env && env[0] == '/') {
        if (snprintf(out, len, "%s", env) >= (int)len)
            return sbx_err_set(err, SBX_EINVAL, "SBX_LAUNCHER_SOURCE %s: path too long", env);
        return 0;
    }
    /* setup then checks the file is root's alone before copying it. */
    if (sbx_program_beside_sbx(SBX_LAUNCH_NAME, out, len))
        return 0;
    return sbx_err_set(err, SBX_ENOENT,
                       "cannot find sbx-launch to install (looked next to sbx and in "
                       SBX_LIBEXEC_FROM_BIN " from it); set SBX_LAUNCHER_SOURCE to its path");
}
