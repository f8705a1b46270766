/* SPDX-License-Identifier: MIT */
/* sbx-launch's command line: see launch_args.h. */
#include "modes/launcher/launch_args.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modes/common/run_request.h"
#include "modes/confine/linux/plants.h"

/* At most n bytes of s, each control byte shown as '?': an argument is the
 * caller's, as long as it likes and with any bytes in it, and the message
 * is one line of the report pipe's protocol. */
static void shown(char *out, size_t n, const char *s)
{
    size_t k = 0;
    for (; k + 1 < n && s[k]; k++)
        out[k] = (unsigned char)s[k] < 0x20 || s[k] == 0x7f ? '?' : s[k];
    out[k] = '\0';
}

/* "OPTION 'VALUE': what is wrong; usage: ...". */
static int SBX_PRINTF(4, 5)
    bad(struct sbx_error *err, const char *opt, const char *value, const char *fmt, ...)
{
    char what[256], o[101], v[201];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    shown(o, sizeof o, opt);
    if (!value)
        return sbx_err_set(err, SBX_EINVAL, "%s: %s; " SBX_LAUNCH_USAGE, o, what);
    shown(v, sizeof v, value);
    return sbx_err_set(err, SBX_EINVAL, "%s '%s': %s; " SBX_LAUNCH_USAGE, o, v, what);
}

/* Decimal digits only: no sign, no white space, no empty string (strtoul
 * would take " -1" and wrap it around). */
static bool decimal(const char *v, unsigned long long max, unsigned long long *out)
{
    if (v[0] < '0' || v[0] > '9')
        return false;
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || *end || n > max)
        return false;
    *out = n;
    return true;
}

/* Append v to list (of room entries) unless it is full. */
static bool add(const char **list, size_t *n, size_t room, const char *v)
{
    if (*n >= room)
        return false;
    list[(*n)++] = v;
    return true;
}

int sbx_launch_args_parse(int argc, char **argv, struct sbx_launch_args *a,
                          struct sbx_error *err)
{
    *a = (struct sbx_launch_args){.report_fd = -1, .net_proxy_fd = -1, .max_pids = SBX_RUN_DEFAULT_PIDS,
                                  .tmp_bytes = SBX_RUN_DEFAULT_TMP};
    int i = 1;
    for (; i < argc; i++) {
        const char *o = argv[i];
        if (strcmp(o, "--") == 0) {
            i++;
            break;
        }
        if (strcmp(o, "--allow-git") == 0) {
            a->allow_git = true;
            continue;
        }
        if (strcmp(o, "--tty") == 0) {
            a->tty = true;
            continue;
        }
        if (strcmp(o, "--no-cache") == 0) {
            a->no_cache = true;
            continue;
        }
        if (i + 1 >= argc)
            return bad(err, o, NULL, "unknown, or its value is missing");
        const char *v = argv[++i];
        unsigned long long n = 0;
        if (strcmp(o, "--account") == 0) {
            a->account = v;
        } else if (strcmp(o, "--pids") == 0) {
            if (!decimal(v, SBX_RUN_MAX_PIDS, &n) || n == 0)
                return bad(err, o, v, "not a number of processes in 1..%u", SBX_RUN_MAX_PIDS);
            a->max_pids = (unsigned long)n;
        } else if (strcmp(o, "--tmp") == 0) {
            if (!decimal(v, SBX_RUN_MAX_TMP, &n) || n < SBX_RUN_MIN_TMP)
                return bad(err, o, v, "not a number of bytes in %llu..%llu", SBX_RUN_MIN_TMP,
                           SBX_RUN_MAX_TMP);
            a->tmp_bytes = n;
        } else if (strcmp(o, "--report-fd") == 0) {
            if (!decimal(v, SBX_LAUNCH_MAX_REPORT_FD, &n) || n < 3)
                return bad(err, o, v, "not a descriptor number in 3..%d", SBX_LAUNCH_MAX_REPORT_FD);
            a->report_fd = (int)n;
        } else if (strcmp(o, "--net-proxy-fd") == 0) {
            if (a->net_proxy_fd >= 0 || !decimal(v, SBX_LAUNCH_MAX_REPORT_FD, &n) || n < 3)
                return bad(err, o, v, "not a descriptor number in 3..%d, or given twice",
                           SBX_LAUNCH_MAX_REPORT_FD);
            a->net_proxy_fd = (int)n;
        } else if (strcmp(o, "--workspace") == 0) {
            if (!add(a->ws, &a->n_ws, SBX_LAUNCH_MAX_ARGS, v))
                return bad(err, o, v, "more than %d workspaces", SBX_LAUNCH_MAX_ARGS);
        } else if (strcmp(o, "--protect") == 0) {
            if (!add(a->protect, &a->n_protect, SBX_LAUNCH_MAX_ARGS, v))
                return bad(err, o, v, "given more than %d times", SBX_LAUNCH_MAX_ARGS);
        } else if (strcmp(o, "--allow-read") == 0) {
            if (v[0] != '/' || !add(a->allow_read, &a->n_allow_read, SBX_LAUNCH_MAX_ARGS, v))
                return bad(err, o, v, "not an absolute path, or given more than %d times",
                           SBX_LAUNCH_MAX_ARGS);
        } else if (strcmp(o, "--hide") == 0) {
            if (v[0] != '/' || !add(a->hide, &a->n_hide, SBX_LAUNCH_MAX_ARGS, v))
                return bad(err, o, v, "not an absolute path, or given more than %d times",
                           SBX_LAUNCH_MAX_ARGS);
        } else if (strcmp(o, "--allow-write-name") == 0) {
            if (!sbx_plants_name_listed(v) ||
                !add(a->allow_names, &a->n_allow_names, SBX_LAUNCH_MAX_ARGS, v))
                return bad(err, o, v,
                           "not a name sbx keeps read-only, or given more than %d times",
                           SBX_LAUNCH_MAX_ARGS);
        } else if (strcmp(o, "--cache") == 0) {
            if (strcmp(v, "size") == 0)
                a->cache_op = SBX_LAUNCH_CACHE_SIZE;
            else if (strcmp(v, "clear") == 0)
                a->cache_op = SBX_LAUNCH_CACHE_CLEAR;
            else
                return bad(err, o, v, "expected size or clear");
        } else if (strcmp(o, "--allow-unix") == 0) {
            if (!add(a->unix_path, &a->n_unix, SBX_UNIX_MAX_ALLOW, v))
                return bad(err, o, v, "given more than %d times", SBX_UNIX_MAX_ALLOW);
        } else {
            return bad(err, o, NULL, "unknown option");
        }
    }
    if (!a->account)
        return sbx_err_set(err, SBX_EINVAL, "--account is missing; " SBX_LAUNCH_USAGE);
    if (a->cache_op != SBX_LAUNCH_RUN) {
        /* Nothing of a run goes with it: no option is ignored quietly. */
        if (a->n_ws || a->n_protect || a->n_allow_read || a->n_hide || a->n_allow_names ||
            a->n_unix || a->allow_git || a->tty || a->no_cache || a->net_proxy_fd >= 0 ||
            i < argc ||
            a->max_pids != SBX_RUN_DEFAULT_PIDS || a->tmp_bytes != SBX_RUN_DEFAULT_TMP)
            return sbx_err_set(err, SBX_EINVAL, "--cache runs nothing: it takes --account and "
                                                "--report-fd only; " SBX_LAUNCH_USAGE);
        return 0;
    }
    if (a->n_ws == 0)
        return sbx_err_set(err, SBX_EINVAL, "no --workspace given; " SBX_LAUNCH_USAGE);
    /* One descriptor can't be both: the report pipe is written, the
     * proxy's socket handed a listening socket. */
    if (a->net_proxy_fd >= 0 && a->net_proxy_fd == a->report_fd)
        return sbx_err_set(err, SBX_EINVAL, "--net-proxy-fd %d is the --report-fd; "
                           SBX_LAUNCH_USAGE, a->net_proxy_fd);
    if (i >= argc || !argv[i] || !argv[i][0])
        return sbx_err_set(err, SBX_EINVAL, "no command after --; " SBX_LAUNCH_USAGE);
    a->argv = argv + i;
    return 0;
}
