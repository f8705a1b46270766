/* SPDX-License-Identifier: MIT */
/* The world the escape suite builds for one caller (root, or the throwaway
 * user): a workspace, a directory outside it, listeners standing for host
 * daemons, a process standing for the caller's other processes. */
#ifndef SBX_TESTS_ESCAPE_SUITE_ENV_H
#define SBX_TESTS_ESCAPE_SUITE_ENV_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

struct suite_env {
    const char *sbx;        /* `sbx` (or sbx-run-harness): called as <sbx> run ... */
    const char *probe;
    char base[512];         /* everything the suite creates for this caller */
    char ws[1024];      /* the workspace */
    char out[1024];     /* outside the workspace, writable by the caller */
    char home[1024];
    char repo[1024];    /* a git repository (second workspace) */
    char unix_path[1024];
    char unix_allowed[1024];  /* the one --allow-unix names (allow_unix attempts) */
    char unix_dgram[1024];    /* a bound datagram socket */
    char abstract[96];
    char tag[64];           /* prefix of every name created outside base */
    char suid[1024];    /* setuid-root copy of the probe, "" if none */
    int port4, port6;
    int outfd;              /* open on out, inherited by the runs */
    bool stdio_files;       /* runs get out/stdio-in and out/stdio-out as stdin and
                             * stdout (PROBE_STDIO_FILES) */
    const char *stage;      /* SBXP_STAGE of the runs (PROBE_WSARG, PROBE_RACE), or NULL */
    pid_t server, victim;
    bool root;
};

/* Build it under base (which exists and belongs to the caller). */
int suite_env_setup(struct suite_env *e);
/* Put the files the attempts change back as they were. */
int suite_env_reset(struct suite_env *e);
/* Stop the helper processes and remove what the env created outside base
 * (base itself is removed by whoever made it). */
void suite_env_teardown(struct suite_env *e);

struct run_out {
    int status;             /* exit status, 128+N for a signal, -1 on timeout */
    char text[8192];        /* stdout and stderr */
};

/* Run argv (NULL-terminated) with cwd, the SBXP_* environment, stdin from
 * /dev/null (or the slave of a fresh pty when tty), for at most 60 s. */
int suite_run(const struct suite_env *e, const char *cwd, char *const argv[], bool tty,
              struct run_out *r);

/* rm -rf path (for directories the suite made). */
void suite_rmrf(const char *path);

#endif
