/* SPDX-License-Identifier: MIT */
/* Starting the confined command and waiting for it: a job object with
 * kill-on-close holds the whole tree (it dies with sbx, on --timeout, and
 * when the command's main process ends), only the three standard handles
 * are inherited (PROC_THREAD_ATTRIBUTE_HANDLE_LIST), and the exit code is
 * passed through.  Two ways in: CreateProcessAsUserW with a restricted
 * token (the unelevated mode, and sbx-runner.exe inside the elevated
 * mode's account) and CreateProcessWithLogonW with an account's password
 * (the elevated mode starting sbx-runner.exe).  A logon gets no window
 * (CREATE_NO_WINDOW) and its standard handles are pipes that sbx relays
 * to and from its own: the console of the caller is not the account's. */
#ifndef SBX_MODES_CONFINE_WIN32_LAUNCH_H
#define SBX_MODES_CONFINE_WIN32_LAUNCH_H

#include <windows.h>

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

#define SBX_STATUS_TIMEOUT 124
#define SBX_STATUS_CANT_RUN 126
#define SBX_STATUS_NOT_FOUND 127

/* Pure: one command line from argv, quoted so that CommandLineToArgvW and
 * the C runtime give argv back.  *out is malloc'd. */
int sbx_cmdline_build(char *const *argv, wchar_t **out, struct sbx_error *err);

/* Pure: an environment block (NUL-separated "K=V", double NUL) from `base`
 * (a block, or NULL) with `set` ("K=V" strings; "K=" removes K) applied,
 * sorted case-insensitively as Windows expects.  *out is malloc'd. */
int sbx_env_block_build(const wchar_t *base, const char *const *set, size_t n_set,
                        wchar_t **out, struct sbx_error *err);

/* The environment hints of "network off" in the unelevated mode (proxies
 * to a closed port, package managers offline).  Hints only: nothing on
 * Windows enforces them for that mode. */
extern const char *const sbx_offline_env[];
extern const size_t sbx_offline_env_len;

/* What a run's command gets on top of the caller's variables: TEMP and
 * TMP (its private folder), SBX_NET, and with the network off the offline
 * hints above; set[0..n) point into the struct. */
struct sbx_run_vars {
    char temp[2][MAX_PATH * 6 + 8];
    const char *set[40];
    size_t n;
};
void sbx_run_vars_make(struct sbx_run_vars *v, const wchar_t *temp, bool net);

/* Find argv0 as CreateProcess would not: in PATH with PATHEXT (".exe" when
 * it has no extension).  -SBX_ENOENT when there is none. */
int sbx_exe_find(const char *argv0, wchar_t *out, size_t len, struct sbx_error *err);

struct sbx_launch {
    HANDLE token;             /* restricted token, or NULL for a logon */
    const wchar_t *user;      /* logon: account name, domain ".", password */
    const wchar_t *password;
    const wchar_t *app;       /* full path of the executable */
    wchar_t *cmdline;         /* writable, as CreateProcess wants */
    const wchar_t *env;       /* block, or NULL (logon: the account's) */
    const wchar_t *cwd;
    unsigned timeout_sec;     /* 0: none */
    bool no_window;           /* CREATE_NO_WINDOW (always for a logon) */
    bool relay_stdio;         /* pipes relayed by sbx (always for a logon) */
    const wchar_t *desktop;   /* "WinSta0\sbx-...", or NULL: the caller's */
};

/* Run and wait.  *status: the exit code, SBX_STATUS_TIMEOUT when the
 * timeout killed the tree, 126 when Windows refused to start the program. */
int sbx_launch_run(const struct sbx_launch *l, int *status, struct sbx_error *err);

#endif
