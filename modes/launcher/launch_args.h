/* SPDX-License-Identifier: MIT */
/* The setuid launcher's command line (sbx-launch), parsed apart from
 * everything else it does: no system call, no exit, no write to argv.
 * The launcher runs it before it has checked anything, on arguments its
 * caller chose freely, so the parser is small and fuzzed
 * (tests/fuzz/fuzz_launch_args.c).
 *
 *   sbx-launch --account offline|online [--report-fd N] [--allow-git] [--tty]
 *              [--protect PATH]... [--allow-read PATH]... [--hide PATH]...
 *              [--allow-write-name NAME]... [--allow-unix SOCKET]...
 *              [--pids N] [--tmp BYTES] [--no-cache] [--net-proxy-fd N]
 *              --workspace DIR... -- CMD [ARG...]
 *   sbx-launch --account offline|online [--report-fd N] --cache size|clear
 *
 * The second form runs nothing: it measures or empties the account's
 * cache (modes/common/cache_env.h) as that account, for `sbx status` and
 * `sbx cache clear`.
 *
 * --net-proxy-fd N (`sbx run --net allow=`): N is the caller's end of a
 * unix socket to the allowlist proxy the caller started; the run gets a
 * network namespace of its own, whose listening socket on the proxy's
 * port goes out through it (modes/confine/linux/netns.h).
 *
 * Only the syntax is checked here; what the values name (the account, the
 * workspaces, the report pipe) the launcher checks afterwards, as root
 * with the caller's file-system identity. */
#ifndef SBX_LAUNCHER_LAUNCH_ARGS_H
#define SBX_LAUNCHER_LAUNCH_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#include "modes/confine/linux/unix_broker.h"
#include "util/error.h"

/* At most this many of each repeated option (the workspaces, --protect,
 * --allow-read, --hide, --allow-write-name); --allow-unix at most
 * SBX_UNIX_MAX_ALLOW.  One more is a usage error. */
#define SBX_LAUNCH_MAX_ARGS 32
/* Highest --report-fd and --net-proxy-fd taken (a descriptor number, not
 * a count). */
#define SBX_LAUNCH_MAX_REPORT_FD (1 << 20)

/* What every refusal ends with. */
#define SBX_LAUNCH_USAGE                                                                     \
    "usage: sbx-launch --account offline|online [--report-fd N] [--allow-git] [--tty] "      \
    "[--protect PATH]... [--allow-read PATH]... [--hide PATH]... "                           \
    "[--allow-write-name NAME]... [--allow-unix SOCKET]... [--pids N] [--tmp BYTES] "        \
    "[--no-cache] [--net-proxy-fd N] --workspace DIR... -- CMD [ARG...] | "                 \
    "sbx-launch --account offline|online "                                                   \
    "[--report-fd N] --cache size|clear"

enum sbx_launch_cache_op {
    SBX_LAUNCH_RUN = 0,        /* run the command */
    SBX_LAUNCH_CACHE_SIZE,     /* --cache size: print "OK <bytes> <files> <partial>" */
    SBX_LAUNCH_CACHE_CLEAR,    /* --cache clear: empty it, print "OK 0 0 0" */
};

/* Every string points into the argv given (nothing is copied). */
struct sbx_launch_args {
    const char *account;          /* --account, as given (required) */
    int report_fd;                /* --report-fd, 3..SBX_LAUNCH_MAX_REPORT_FD; -1 without */
    /* --net-proxy-fd, 3..SBX_LAUNCH_MAX_REPORT_FD and not report_fd; -1
     * without.  What it is (a unix socket) the launcher checks. */
    int net_proxy_fd;
    bool allow_git;
    bool tty;                     /* a pty sbx made for this run is among 0-2 */
    bool no_cache;                /* --no-cache: no cache bound, no variables */
    enum sbx_launch_cache_op cache_op; /* --cache: then no workspace, no command */
    /* --pids, 1..SBX_RUN_MAX_PIDS; SBX_RUN_DEFAULT_PIDS without */
    unsigned long max_pids;
    /* --tmp, SBX_RUN_MIN_TMP..SBX_RUN_MAX_TMP; SBX_RUN_DEFAULT_TMP without */
    unsigned long long tmp_bytes;
    const char *ws[SBX_LAUNCH_MAX_ARGS]; /* --workspace, at least one */
    size_t n_ws;
    const char *protect[SBX_LAUNCH_MAX_ARGS];
    size_t n_protect;
    const char *allow_read[SBX_LAUNCH_MAX_ARGS]; /* absolute */
    size_t n_allow_read;
    const char *hide[SBX_LAUNCH_MAX_ARGS];       /* absolute */
    size_t n_hide;
    const char *allow_names[SBX_LAUNCH_MAX_ARGS]; /* each on plants.h's deny list */
    size_t n_allow_names;
    const char *unix_path[SBX_UNIX_MAX_ALLOW];
    size_t n_unix;
    char **argv;                  /* the command: argv[0] not empty, NULL-terminated;
                                   * NULL with --cache */
};

/* Parse argv[1..argc-1] (argv[argc] must be NULL, as main's is) into *a.
 * 0, or -SBX_EINVAL with a message that says which argument is wrong and
 * the usage.  On failure *a still holds report_fd if --report-fd came, and
 * was well formed, before the error: where the launcher reports it. */
int sbx_launch_args_parse(int argc, char **argv, struct sbx_launch_args *a,
                          struct sbx_error *err);

#endif
