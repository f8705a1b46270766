/* SPDX-License-Identifier: MIT */
/* sbx run's --net values beyond off and on (issue 16): allow=, deny= and
 * limited make a policy (modes/net/policy.h) that sbx-netproxy enforces
 * for the run, outside the sandbox, as the caller; the command's only way
 * out is that proxy (a network namespace with nothing else: the runner's
 * in the unelevated mode, the launcher's in the elevated one). */
#ifndef SBX_CLI_RUN_NET_H
#define SBX_CLI_RUN_NET_H

#include <stdbool.h>

#include "cli/cli.h"
#include "modes/common/run_request.h"
#include "modes/mode.h"

struct cli_run_net {
    int on;                         /* -1 unset, 0 off, 1 on */
    struct sbx_net_policy *policy;  /* NULL until an allow=/deny=/limited */
    bool started;
    struct sbx_netproxy_proc *proc; /* the running proxy (Linux) */
};

/* One --net value (or the configuration's net = ...). */
int cli_run_net_option(struct cli_run_net *n, const char *value, struct sbx_error *err);

/* After every value: is the combination one sbx can run?  *net_on: the
 * request's net (IP to anywhere). */
int cli_run_net_check(const struct cli_run_net *n, bool *net_on, struct sbx_error *err);

/* Right before the command runs: start the proxy for the mode, point the
 * command's proxy variables at it and fill req's proxy fields.  Nothing
 * when no policy was given. */
int cli_run_net_begin(struct cli_run_net *n, enum sbx_mode_kind mode,
                      struct sbx_run_request *req, struct sbx_error *err);

/* After the command: stop the proxy, append its summary to the network
 * log in state_dir (NETWORK_LOG, read by `sbx log`); with --verbose, print
 * it too. */
void cli_run_net_end(const struct sbx_cli *cli, struct cli_run_net *n, const char *state_dir);

/* `sbx log`'s part: the network log of state_dir, as text lines or, when
 * j is set, as the "network" array of its JSON document. */
struct json;
void cli_run_net_log_print(const char *state_dir, struct json *j);

void cli_run_net_free(struct cli_run_net *n);

#endif
