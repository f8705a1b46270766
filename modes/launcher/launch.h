/* SPDX-License-Identifier: MIT */
/* The setuid launcher's shared state and its three parts (internal to
 * sbx-launch): launcher.c checks the caller and what it asks for, then
 * drives the run; launch_view.c builds the run's mount view (workspaces by
 * descriptor, the files tools run, the home skeleton, the credentials, the
 * private home and its cache); launch_run.c starts the command under init
 * and supervises it; launch_net.c gives a run with the allowlist proxy
 * its network namespace.  Every refusal goes through die(), which reports on
 * the report pipe and exits: the launcher is a program of its own. */
#ifndef SBX_LAUNCHER_LAUNCH_H
#define SBX_LAUNCHER_LAUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "modes/common/linux/launch_conf.h"
#include "modes/confine/linux/plants.h"
#include "modes/confine/linux/unix_broker.h"
#include "modes/launcher/launch_args.h"
#include "modes/launcher/skeleton.h"
#include "util/error.h"

#define MAX_WS SBX_LAUNCH_MAX_ARGS

struct launch {
    int report;                 /* fd for error reports, or -1 */
    const char *account;        /* as given */
    const char *ws[MAX_WS];
    int ws_fd[MAX_WS];          /* each workspace as checked; after the binds, their root */
    struct stat ws_st[MAX_WS];
    size_t n_ws;
    int home_fd;                /* the run's private home (a tmpfs), for its Landlock rule */
    int cache_disk;             /* the account's cache on disk, opened before anything
                                 * covers it (the skeleton, the private home); -1: none */
    int cache_fd;               /* the account's cache bound in it, for its rule; -1: none */
    bool no_cache;              /* --no-cache */
    enum sbx_launch_cache_op cache_op; /* --cache size|clear: nothing is run */
    bool allow_git;
    bool tty;                   /* a pty sbx made for this run is among 0-2 */
    unsigned long max_pids;     /* --pids: the account's processes (RLIMIT_NPROC) */
    unsigned long long tmp_bytes; /* --tmp: size of the private home's tmpfs */
    const char *protect[MAX_WS]; /* read-only paths inside the workspaces */
    size_t n_protect;
    const char *allow_read[MAX_WS]; /* credential paths not to hide (canonical) */
    size_t n_allow_read;
    const char *hide[MAX_WS];   /* more paths to hide (absolute) */
    size_t n_hide;
    const char *allow_names[MAX_WS]; /* --allow-write-name: off the deny list */
    size_t n_allow_names;
    struct kept { char *path; dev_t dev; ino_t ino; } kept[SBX_PLANTS_MAX_FOUND];
    size_t n_kept;              /* bound read-only by protect_plants: checked after the run */
    const char *unix_path[SBX_UNIX_MAX_ALLOW]; /* --allow-unix, as given */
    struct sbx_unix_allow unix_allow[SBX_UNIX_MAX_ALLOW]; /* opened as the caller */
    size_t n_unix;
    int unix_sock[2];           /* broker (init's side) <-> connector */
    char **argv;                /* the command */
    char **envp;                /* what the command gets */
    struct sbx_launch_conf conf;
    struct sbx_skel skel;       /* the home skeleton (skeleton.h) */
    struct sbx_launch_account target_acct; /* of the caller's own pair */
    const struct sbx_launch_account *target;
    uid_t caller;
    gid_t caller_gid;
    bool net;
    int proxy_fd;               /* --net-proxy-fd, checked; -1 without, or once handed over */
    unsigned proxy_port;        /* in the run's network namespace; 0: no proxy */
};

/* launcher.c */
/* Report and exit: on the report fd (sbx turns it into its error) or on
 * stderr.  "E<code> <message>" / "X<errno> <message>" lines. */
_Noreturn void die(const struct launch *l, int status, int code, const char *fmt, ...)
    SBX_PRINTF(4, 5);
/* The caller's file-system identity on (looking up the caller's paths) or
 * off (root's again). */
void as_caller(const struct launch *l, bool on);
/* Does path lie in (or is it) dir?  Both canonical. */
bool path_in(const char *path, const char *dir);
/* Become uid/gid for good (groups dropped, verified, no way back). */
void become(const struct launch *l, uid_t uid, gid_t gid, const char *who);

/* launch_view.c, in the order main calls them */
void launcher_note(const char *note, void *ctx);
void open_cache(struct launch *l);
void build_skeleton(struct launch *l);
void mount_workspaces(struct launch *l);
void hide_credentials(struct launch *l);
void private_home(struct launch *l);

/* launch_net.c: --net-proxy-fd (`sbx run --net allow=`) */
void net_proxy_check(struct launch *l);
void net_proxy_expose(struct launch *l);

/* launch_run.c */
void start_connector(const struct launch *l, int sig_w, int cwd_fd);
_Noreturn void run_init(struct launch *l, int sig_r, int cwd_fd);
_Noreturn void supervise(const struct launch *l, pid_t init, int sig_w);

#endif
