/* SPDX-License-Identifier: MIT */
/* sbx run --net allow=/deny=/limited (run_net.h). */
#include "cli/run_net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef _WIN32
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
    return sbx_err_set(err, SBX_ENOTSUP, "--net %.64s: only off and on on Windows yet", value);
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
    if (mode != SBX_MODE_UNELEVATED)
        return sbx_err_set(err, SBX_ENOTSUP,
                           "--net allow= runs in the unelevated mode only so far (issue 16: the "
                           "elevated mode's firewall rule for the proxy's port is not built "
                           "yet): add --mode unelevated");
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
    /* Every tool's spelling; NO_PROXY empty, or a host it names would be
     * tried directly and fail. */
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u", n->proc->port);
    static const char *const names[] = {"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
                                        "http_proxy", "https_proxy", "all_proxy"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        setenv(names[i], url, 1);
    setenv("NO_PROXY", "", 1);
    setenv("no_proxy", "", 1);
    return 0;
#endif
}

void cli_run_net_end(const struct sbx_cli *cli, struct cli_run_net *n)
{
#ifndef _WIN32
    if (!n->started)
        return;
    n->started = false;
    char *summary = NULL;
    struct sbx_error err = {0};
    if (sbx_netproxy_stop(n->proc, &summary, &err) < 0)
        cli_info(cli, "sbx run: warning: %s", err.msg);
    if (cli->verbose && summary && *summary)
        fprintf(stderr, "sbx run: network summary (host:port connections bytes-up "
                        "bytes-down, or attempts and reason):\n%s", summary);
    free(summary);
#else
    (void)cli;
    (void)n;
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
