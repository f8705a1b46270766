/* SPDX-License-Identifier: MIT */
/* sbx-runner.exe: the elevated mode's first process inside the sandbox
 * account (started by sbx with CreateProcessWithLogonW).  It restricts its
 * own token - write-restricted to the SbxUsers group, which is granted
 * write on the workspaces alone, and its logon SID (modes/confine/win32/
 * token.h) - and runs the command with it, so the account writes nowhere
 * Users, Authenticated Users or Everyone may (issue 17 item 1).  The
 * command is found in the account's own PATH, not the caller's (item 5:
 * the caller's PATH names tools the account may not read).  Its TEMP is a
 * folder of its own in the account's, granted to the group as a workspace
 * is (the restricted token could not write the account's profile), and
 * removed afterwards.  It runs on a desktop of its own (item 4).
 *
 *   sbx-runner.exe GROUP_SID on|off -- COMMAND [ARG...]
 *
 * Exit status: the command's; 125 when the runner failed, 126 / 127 when
 * the command could not be run / found.  It keeps no state and reads
 * nothing but its arguments and the account's environment. */
#include <windows.h>
#include <shellapi.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modes/common/win32/identity.h"
#include "modes/common/win32/winutil.h"
#include "modes/confine/win32/desktop.h"
#include "modes/confine/win32/launch.h"
#include "modes/confine/win32/tmpdir.h"
#include "modes/confine/win32/token.h"

static int fail(const struct sbx_error *err, int status)
{
    fprintf(stderr, "sbx-runner: %s\n", err->msg[0] ? err->msg : "failed");
    return status;
}

int main(void)
{
    struct sbx_error err = {0};
    int argc = 0;
    wchar_t **wargv = CommandLineToArgvW(GetCommandLineW(), &argc);
    if (!wargv || argc < 5 || wcscmp(wargv[3], L"--") != 0 ||
        (wcscmp(wargv[2], L"on") != 0 && wcscmp(wargv[2], L"off") != 0)) {
        fprintf(stderr, "usage: sbx-runner.exe GROUP_SID on|off -- COMMAND [ARG...]\n"
                        "(started by sbx run in the elevated mode, not by hand)\n");
        return 125;
    }
    char **argv = calloc((size_t)argc + 1, sizeof *argv);
    if (!argv)
        return 125;
    for (int i = 0; i < argc; i++)
        if (!(argv[i] = sbx_utf8(wargv[i]))) {
            fprintf(stderr, "sbx-runner: argument %d is not valid UTF-16\n", i);
            return 125;
        }
    bool net = strcmp(argv[2], "on") == 0;
    char **cmd = argv + 4;
    HANDLE tok = NULL;
    wchar_t app[MAX_PATH * 4], *cmdline = NULL, *env = NULL, *base = NULL;
    int status = 125;
    if (sbx_token_restricted_to_group(argv[1], &tok, &err) != 0)
        return fail(&err, 125);
    /* a desktop of its own: the account, its logon SID and the group */
    char me[SBX_SID_STR_MAX], logon[SBX_SID_STR_MAX];
    struct sbx_desktop desk;
    if (sbx_token_sids(me, logon, &err) != 0)
        return fail(&err, 125);
    const char *desk_sids[] = {me, logon, argv[1]};
    if (sbx_desktop_create(desk_sids, 3, &desk, &err) != 0)
        return fail(&err, 125);
    if (sbx_exe_find(cmd[0], app, sizeof app / sizeof app[0], &err) != 0)
        return fail(&err, SBX_STATUS_NOT_FOUND);
    if (sbx_cmdline_build(cmd, &cmdline, &err) != 0)
        return fail(&err, 125);
    wchar_t temp[MAX_PATH * 2];
    if (sbx_win_temp_create(argv[1], temp, sizeof temp / sizeof temp[0], &err) != 0)
        return fail(&err, 125);
    struct sbx_run_vars vars;
    sbx_run_vars_make(&vars, temp, net);
    base = GetEnvironmentStringsW();
    if (sbx_env_block_build(base, vars.set, vars.n, &env, &err) != 0) {
        sbx_win_temp_remove(temp);
        return fail(&err, 125);
    }
    FreeEnvironmentStringsW(base);
    /* no console here: the command gets none either, and writes to the
     * pipes sbx relays */
    struct sbx_launch l = {.token = tok, .app = app, .cmdline = cmdline, .env = env,
                           .no_window = true, .relay_stdio = true, .desktop = desk.name};
    int rc = sbx_launch_run(&l, &status, &err);
    sbx_win_temp_remove(temp);
    sbx_desktop_close(&desk);
    if (rc != 0)
        return fail(&err, status);
    CloseHandle(tok);
    free(cmdline);
    free(env);
    return status;
}
