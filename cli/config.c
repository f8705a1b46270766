/* SPDX-License-Identifier: MIT */
#include "cli/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modes/common/env_secrets.h"
#include "util/limits.h"

#ifndef _WIN32
#include <ini.h>
#endif

void cli_config_free(struct cli_config *cfg)
{
    cli_paths_free(&cfg->workspace);
    cli_paths_free(&cfg->env);
    cli_paths_free(&cfg->hide);
    cli_paths_free(&cfg->net_rules);
}

#ifndef _WIN32
struct parse {
    struct cli_config *cfg;
    FILE *f;
    int lines;    /* read so far: the handler's line is the last one */
    int msg_line; /* where msg was said (the first problem only) */
    char msg[512];
    struct sbx_error *err;
};

/* inih's reader: fgets, counting lines. */
static char *read_line(char *str, int num, void *stream)
{
    struct parse *p = stream;
    char *r = fgets(str, num, p->f);
    if (r)
        p->lines++;
    return r;
}

/* "~/x" is the home's x; an absolute path as it is; anything else no. */
static int expand(struct parse *p, const char *key, const char *value, char *out, size_t len)
{
    const char *home = getenv("HOME");
    int n;
    if (strncmp(value, "~/", 2) == 0 && home && home[0] == '/')
        n = snprintf(out, len, "%s/%s", home, value + 2);
    else if (value[0] == '/')
        n = snprintf(out, len, "%s", value);
    else {
        snprintf(p->msg, sizeof p->msg, "%s = %s: expected an absolute path or one starting "
                                        "with ~/", key, value);
        return -1;
    }
    if (n < 0 || (size_t)n >= len) {
        snprintf(p->msg, sizeof p->msg, "%s: path too long", key);
        return -1;
    }
    return 0;
}

static int entry(struct parse *p, const char *section, const char *key, const char *value);

/* inih's handler: 1 to go on, 0 to stop with the error in p->msg. */
static int on_entry(void *user, const char *section, const char *key, const char *value)
{
    struct parse *p = user;
    if (p->msg_line)
        return 0; /* the first problem is the one reported */
    int ok = entry(p, section, key, value);
    if (!ok && !p->msg_line)
        p->msg_line = p->lines;
    return ok;
}

static int entry(struct parse *p, const char *section, const char *key, const char *value)
{
    if (strcmp(section, "run") != 0) {
        snprintf(p->msg, sizeof p->msg, "unknown section [%s] (expected [run])", section);
        return 0;
    }
    char path[SBX_PATH_MAX];
    /* The switches, on or off. */
    int *flag = strcmp(key, "net") == 0     ? &p->cfg->net
              : strcmp(key, "cache") == 0   ? &p->cfg->cache
                                            : NULL;
    /* net = allow=... / deny=... / limited (repeatable): sbx run checks them. */
    if (flag == &p->cfg->net && (strncmp(value, "allow=", 6) == 0 ||
                                 strncmp(value, "deny=", 5) == 0 || strcmp(value, "limited") == 0))
        return cli_paths_add(&p->cfg->net_rules, value, p->err) == 0;
    if (flag) {
        if (strcmp(value, "on") != 0 && strcmp(value, "off") != 0) {
            snprintf(p->msg, sizeof p->msg, "%s = %s: expected on or off", key, value);
            return 0;
        }
        *flag = strcmp(value, "on") == 0;
        return 1;
    }
    if (strcmp(key, "env") == 0) {
        if (!sbx_env_name_valid(value, 255) || strchr(value, '=')) {
            snprintf(p->msg, sizeof p->msg, "env = %s: expected a variable's name", value);
            return 0;
        }
        return cli_paths_add(&p->cfg->env, value, p->err) == 0;
    }
    struct cli_paths *list = strcmp(key, "workspace") == 0 ? &p->cfg->workspace
                           : strcmp(key, "hide") == 0      ? &p->cfg->hide
                                                           : NULL;
    if (!list) {
        snprintf(p->msg, sizeof p->msg, "unknown key '%s' in [run] (expected net, cache, "
                                        "workspace, env or hide)", key);
        return 0;
    }
    if (expand(p, key, value, path, sizeof path) < 0)
        return 0;
    return cli_paths_add(list, path, p->err) == 0;
}

static int load_file(struct cli_config *cfg, const char *file, struct sbx_error *err)
{
    FILE *f = fopen(file, "re");
    if (!f)
        return errno == ENOENT ? 0 : sbx_err_sys(err, SBX_EIO, errno, "config %s", file);
    struct parse p = {.cfg = cfg, .f = f, .err = err};
    int line = ini_parse_stream(read_line, &p, on_entry, &p);
    fclose(f);
    if (line == 0)
        return 0;
    if (line < 0)
        return sbx_err_set(err, SBX_EIO, "config %s: could not be read", file);
    return sbx_err_set(err, SBX_EINVAL, "%s:%d: %s", file, line,
                       line == p.msg_line ? p.msg
                                          : "not a line of an INI file ([section] or key = value)");
}
#endif

int cli_config_load(struct cli_config *cfg, struct sbx_error *err)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->net = -1;
    cfg->cache = -1;
#ifdef _WIN32
    /* No configuration file is read on Windows yet (README). */
    (void)err;
    return 0;
#else
    int rc = load_file(cfg, "/etc/sbx/config", err);
    if (rc)
        return rc;
    char user[SBX_PATH_MAX];
    const char *explicit = getenv("SBX_CONFIG");
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    if (explicit && *explicit)
        snprintf(user, sizeof user, "%s", explicit);
    else if (xdg && xdg[0] == '/')
        snprintf(user, sizeof user, "%s/sbx/config", xdg);
    else if (home && home[0] == '/')
        snprintf(user, sizeof user, "%s/.config/sbx/config", home);
    else
        return 0;
    return load_file(cfg, user, err);
#endif
}
