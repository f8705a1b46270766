/* SPDX-License-Identifier: MIT */
/* One command to run confined: what `sbx run` asks of a mode, and what a
 * mode hands to the confinement run-time (modes/confine/).  Platform-
 * neutral and below both, so neither has to reach up into the other. */
#ifndef SBX_MODES_COMMON_RUN_REQUEST_H
#define SBX_MODES_COMMON_RUN_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

/* Per-run limits when the request leaves them 0 (`sbx run --limit`):
 * processes and threads the command may have at once (a fork bomb stops
 * there, not at the machine's pid_max), and the sizes of its private
 * /dev/shm and TMPDIR (tmpfs: memory of the machine's, and swap). */
#define SBX_RUN_DEFAULT_PIDS 4096u
#define SBX_RUN_DEFAULT_SHM (256ull << 20)
#define SBX_RUN_MAX_PIDS 4194304u          /* the kernel's PID_MAX_LIMIT */
#define SBX_RUN_MIN_SHM (64ull << 10)
#define SBX_RUN_MAX_SHM (1ull << 40)
#define SBX_RUN_DEFAULT_TMP (1ull << 30)
#define SBX_RUN_MIN_TMP (1ull << 20)
#define SBX_RUN_MAX_TMP (1ull << 40)

/* A command to run confined. */
struct sbx_run_request {
    const char *const *workspaces; /* resolved absolute roots, >= 1 */
    size_t n_workspaces;
    const char *const *protect;    /* extra read-only paths inside them */
    size_t n_protect;
    bool allow_git;                /* lift the read-only rule on .git */
    const char *const *allow_read; /* --allow-read: credential paths not to hide */
    size_t n_allow_read;           /* (canonical, as realpath gives them) */
    const char *const *hide;       /* more paths to hide (the config's hide =), */
    size_t n_hide;                 /* absolute; a missing one is skipped */
    const char *const *allow_names; /* --allow-write-name: names taken off the deny list */
    size_t n_allow_names;           /* of files tools run (modes/confine/linux/plants.h) */
    bool net;                      /* network on: IP, never host unix sockets */
    /* --net allow=... (issue 16): the allowlist proxy's TCP port on the
     * sandbox's loopback, the only destination the command may connect to
     * (net is then false); 0: no proxy.  net_proxy_sock is the socket
     * through which the sandbox's init (unelevated) or the launcher
     * (elevated, --net-proxy-fd) hands sbx-netproxy the listening socket
     * it made in the run's network namespace
     * (modes/confine/linux/netns.h). */
    unsigned net_proxy_port;
    int net_proxy_sock;
    const char *const *allow_unix; /* --allow-unix: host unix sockets the command may */
    size_t n_allow_unix;           /* connect to (absolute paths, as given) */
    unsigned timeout_sec;          /* 0: none */
    const char *state_dir;         /* sbx's own files: never inside a workspace */
    /* The sandbox's own cache (cache_env.h): unelevated, the directory the
     * CLI made for it (its plan recorded it in the ledger), or NULL for
     * none; elevated, the launcher finds the account's, unless no_cache. */
    const char *cache_dir;
    bool no_cache;                 /* --no-cache */
    const char *machine_state_dir; /* the machine ledger's directory */
    char *const *argv;             /* argv[0] is looked up in PATH */
    const char *cwd;               /* working directory (inside a workspace) */
    unsigned max_pids;             /* --limit pids=N; 0: SBX_RUN_DEFAULT_PIDS */
    unsigned long long shm_bytes;  /* --limit shm=SIZE; 0: SBX_RUN_DEFAULT_SHM */
    unsigned long long tmp_bytes;  /* --limit tmp=SIZE; 0: SBX_RUN_DEFAULT_TMP */
    /* What the run leaves unprotected (a bound of the search for files
     * tools run, say), one sentence a call, before the command starts; the
     * CLI prints it.  May be NULL. */
    void (*note)(const char *text, void *ctx);
    void *note_ctx;
};

static inline unsigned sbx_run_max_pids(const struct sbx_run_request *r)
{
    return r->max_pids ? r->max_pids : SBX_RUN_DEFAULT_PIDS;
}

static inline unsigned long long sbx_run_shm_bytes(const struct sbx_run_request *r)
{
    return r->shm_bytes ? r->shm_bytes : SBX_RUN_DEFAULT_SHM;
}

static inline unsigned long long sbx_run_tmp_bytes(const struct sbx_run_request *r)
{
    return r->tmp_bytes ? r->tmp_bytes : SBX_RUN_DEFAULT_TMP;
}

#endif
