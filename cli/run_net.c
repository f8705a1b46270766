/* SPDX-License-Identifier: MIT */
/* sbx run --net allow=/deny=/limited (run_net.h). */
#include "cli/run_net.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/json.h"
#include "util/cleanup.h"
#include "util/limits.h"

#ifndef _WIN32
#include "modes/common/proxy_env.h"
#include "modes/net/policy.h"
#include "modes/net/spawn.h"
#endif

int cli_run_net_option(struct cli_run_net *n, const char *value, struct sbx_error *err)
{
    if (strcmp(value, "on") == 0 || strcmp(value, "off") == 0) {
        n->on = strcmp(value, "on") == 0;
        return 0;
    }
#ifdef _WIN32
    /* The proxy itself would run; what is missing is the guarantee that
     * it is the only way out (Linux: a network namespace of the run's). */
    return sbx_err_set(err, SBX_ENOTSUP,
                       "--net %.64s: only off and on on Windows yet (issue 16: the firewall "
                       "rule that would leave the allowlist proxy the command's only way out "
                       "is not built there)",
                       value);
#else
    if (strncmp(value, "allow=", 6) != 0 && strncmp(value, "deny=", 5) != 0 &&
        strcmp(value, "limited") != 0)
        return sbx_err_set(err, SBX_EINVAL,
                           "--net %.64s: expected off or on, or limited, allow=DOMAIN[,DOMAIN...] "
                           "or deny=DOMAIN[,DOMAIN...]",
                           value);
    if (!n->policy && sbx_net_policy_new(&n->policy, err) < 0)
        return -SBX_ENOMEM;
    return sbx_net_policy_add(n->policy, value, err);
#endif
}

int cli_run_net_check(const struct cli_run_net *n, bool *net_on, struct sbx_error *err)
{
    *net_on = n->on == 1;
#ifndef _WIN32
    if (!n->policy)
        return 0;
    if (n->on == 1)
        return sbx_err_set(err, SBX_EINVAL,
                           "--net on reaches everything: it can't be combined with allow=, "
                           "deny= or limited (use allow=* for every public host through the "
                           "proxy)");
    if (!sbx_net_policy_has_allow(n->policy))
        return sbx_err_set(err, SBX_EINVAL,
                           "--net deny= and limited restrict an allowlist: add --net "
                           "allow=DOMAIN[,...] (allow=* for every public host)");
#else
    (void)err;
#endif
    return 0;
}

int cli_run_net_begin(struct cli_run_net *n, enum sbx_mode_kind mode,
                      struct sbx_run_request *req, struct sbx_error *err)
{
#ifdef _WIN32
    (void)n;
    (void)mode;
    (void)req;
    (void)err;
    return 0;
#else
    if (!n->policy || n->on == 1)
        return 0;
    /* Both modes: the proxy runs as the caller, outside; the run's network
     * namespace (made by the runner, or by the launcher as root) has only
     * loopback and the proxy's port on it. */
    if (mode != SBX_MODE_UNELEVATED && mode != SBX_MODE_ELEVATED)
        return sbx_err_set(err, SBX_ENOTSUP, "--net allow= needs the unelevated or the "
                                             "elevated mode");
    n->proc = calloc(1, sizeof(*n->proc));
    if (!n->proc)
        return sbx_err_set(err, SBX_ENOMEM, "out of memory");
    int rc = sbx_netproxy_start(n->policy, true, n->proc, err);
    if (rc < 0)
        return rc;
    n->started = true;
    req->net = false;
    req->net_proxy_port = n->proc->port;
    req->net_proxy_sock = n->proc->sock;
    /* The unelevated command gets sbx's environment; the launcher sets
     * the same variables itself (it builds the command's environment). */
    char vars[SBX_PROXY_ENV_N][SBX_PROXY_ENV_LEN];
    sbx_proxy_env(n->proc->port, vars);
    for (size_t i = 0; i < SBX_PROXY_ENV_N; i++) {
        char *eq = strchr(vars[i], '=');
        *eq = '\0';
        setenv(vars[i], eq + 1, 1);
    }
    return 0;
#endif
}

/* The network log: one line per host a run's proxy saw,
 *   TIME allowed HOST:PORT CONNECTIONS BYTES_UP BYTES_DOWN
 *   TIME denied HOST:PORT ATTEMPTS REASON...
 * in the user's state directory (never writable by a sandbox), kept under
 * NET_LOG_MAX bytes by moving it to NETWORK_LOG.1 first. */
#define NETWORK_LOG "network.log"
#define NET_LOG_MAX (1 << 20)

#ifndef _WIN32
static int net_log_open(const char *state_dir)
{
    char path[SBX_PATH_MAX], old[SBX_PATH_MAX + 2];
    if (snprintf(path, sizeof path, "%s/" NETWORK_LOG, state_dir) >= (int)sizeof path)
        return -1;
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size > NET_LOG_MAX) {
        close(fd);
        snprintf(old, sizeof old, "%s.1", path);
        if (rename(path, old) != 0)
            return -1;
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    }
    return fd;
}

static void net_log_append(const struct sbx_cli *cli, const char *state_dir,
                           const char *summary)
{
    if (!state_dir || !*summary)
        return;
    sbx_autofd int fd = net_log_open(state_dir);
    if (fd < 0) {
        cli_info(cli, "sbx run: warning: the network log in %s could not be written: %s",
                 state_dir, strerror(errno));
        return;
    }
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
    for (const char *line = summary; *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        dprintf(fd, "%s %.*s\n", stamp, (int)len, line);
        line += len + (nl ? 1 : 0);
    }
}
#endif

void cli_run_net_log_print(const char *state_dir, struct json *j)
{
    if (j) {
        json_key(j, "network");
        json_array_begin(j);
    }
#ifndef _WIN32
    static const char *const files[] = {NETWORK_LOG ".1", NETWORK_LOG};
    bool header = false;
    for (size_t i = 0; i < 2; i++) {
        char path[SBX_PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", state_dir, files[i]);
        int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        sbx_autoclose_file FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
        if (!f) {
            if (fd >= 0)
                close(fd);
            continue;
        }
        char line[512], when[32], verdict[16], dest[300], rest[200];
        unsigned long long count = 0, up = 0, down = 0;
        while (fgets(line, sizeof line, f)) {
            line[strcspn(line, "\n")] = '\0';
            if (!j) {
                if (!header)
                    printf("# network (sbx run --net allow=): time, verdict, destination, "
                           "connections and bytes up/down, or attempts and reason\n");
                header = true;
                printf("network %s\n", line);
                continue;
            }
            rest[0] = '\0';
            int n = sscanf(line, "%31s %15s %299s %llu %199[^\n]", when, verdict, dest, &count,
                           rest);
            if (n < 4)
                continue;
            json_object_begin(j);
            json_kv_string(j, "time", when);
            json_kv_string(j, "verdict", verdict);
            json_kv_string(j, "destination", dest);
            if (strcmp(verdict, "allowed") == 0 && sscanf(rest, "%llu %llu", &up, &down) == 2) {
                json_kv_int(j, "connections", (long long)count);
                json_kv_int(j, "bytes_up", (long long)up);
                json_kv_int(j, "bytes_down", (long long)down);
            } else {
                json_kv_int(j, "attempts", (long long)count);
                json_kv_string(j, "reason", rest);
            }
            json_object_end(j);
        }
    }
#else
    (void)state_dir;
#endif
    if (j)
        json_array_end(j);
}

void cli_run_net_end(const struct sbx_cli *cli, struct cli_run_net *n, const char *state_dir)
{
#ifndef _WIN32
    if (!n->started)
        return;
    n->started = false;
    char *summary = NULL;
    struct sbx_error err = {0};
    if (sbx_netproxy_stop(n->proc, &summary, &err) < 0)
        cli_info(cli, "sbx run: warning: %s", err.msg);
    if (summary)
        net_log_append(cli, state_dir, summary);
    if (cli->verbose && summary && *summary)
        fprintf(stderr, "sbx run: network summary (host:port connections bytes-up "
                        "bytes-down, or attempts and reason):\n%s", summary);
    free(summary);
#else
    (void)cli;
    (void)n;
    (void)state_dir;
#endif
}

void cli_run_net_free(struct cli_run_net *n)
{
#ifndef _WIN32
    sbx_net_policy_free(n->policy);
    n->policy = NULL;
    free(n->proc);
    n->proc = NULL;
#else
    (void)n;
#endif
}
