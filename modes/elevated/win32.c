/* SPDX-License-Identifier: MIT */
/* The elevated mode on Windows.
 *
 * Machine scope (the machine ledger, from an Administrators token): the
 * mode marker; group "group:SbxUsers"; accounts "account:SbxOffline"
 * (net=off) and "account:SbxOnline" (net=on), hidden from the sign-in
 * screen; memberships "member:SbxUsers/<account>"; for the caller of setup
 * one credential per account "credential:<account>@<caller SID>" (a fresh
 * password set on the account and kept DPAPI-protected for that caller in
 * <state dir>\credentials); and "firewall:block-outbound:SbxOffline" and
 * "firewall:block-inbound:SbxOffline", the INetFwRule3 rules blocking all of
 * the offline account's traffic (every protocol and address).
 *
 * User scope (the caller's ledger): the workspace records and the ACEs for
 * the group: "<ws>|(A;OICI;0x1301bf;;;group:SbxUsers)" on each workspace,
 * "<ws>|(A;OICIIO;0x1301bf;;;S-1-3-4)" (OWNER RIGHTS: what the account
 * creates there it can't re-ACL),
 * deny-write on <ws>\.git and on the state directory.  The group's SID is
 * resolved on this machine when the ACE is created and recorded as the
 * principal; removal uses that SID.
 *
 * run(): CreateProcessWithLogonW(LOGON_WITH_PROFILE, CREATE_NO_WINDOW,
 * stdio through relayed pipes) as SbxOffline (or SbxOnline with --net on),
 * with the password from the DPAPI blob, of sbx-runner.exe, which
 * restricts the account's token to SbxUsers and its logon SID
 * (write-restricted) and runs the command found in the account's PATH
 * (modes/confine/win32/runner.c). */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modes/common/win32/dpapi.h"
#include "modes/common/win32/password.h"
#include "modes/common/win32/resources.h"
#include "modes/common/win32/sid.h"
#include "modes/common/win32/winutil.h"
#include "modes/confine/win32/launch.h"
#include "modes/elevated/win32.h"
#include "modes/os/win32/accounts.h"
#include "modes/unelevated/win32.h"
#include "util/platform.h"

static int machine_resources(const struct sbx_config *cfg, struct sbx_resource_list *out,
                             struct sbx_error *err)
{
    char me[SBX_SID_STR_MAX], myname[256];
    int rc = sbx_user_current(me, sizeof me, myname, sizeof myname, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < cfg->n_users; i++)
        if (_stricmp(cfg->users[i], myname) != 0 && strcmp(cfg->users[i], me) != 0)
            return sbx_err_set(err, SBX_ENOTSUP,
                               "on Windows the elevated mode is set up for the user who runs "
                               "sbx setup (the account passwords are DPAPI-protected for that "
                               "user); run sbx setup as %s instead of naming them",
                               cfg->users[i]);
    struct sbx_resource_list mode_only = {0};
    struct sbx_config c = *cfg;
    c.n_workspaces = 0;
    rc = sbx_mode_ledger_records(&c, SBX_MODE_ELEVATED, &mode_only, err);
    for (size_t i = 0; !rc && i < mode_only.len; i++)
        if (sbx_rlist_push(out, &mode_only.items[i]))
            rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
    sbx_rlist_free(&mode_only);
    const char *accounts[2] = {SBX_WIN_OFFLINE, SBX_WIN_ONLINE};
    if (!rc)
        rc = sbx_winres_group(out, SBX_WIN_GROUP, err);
    for (int i = 0; i < 2 && !rc; i++) {
        if (!(rc = sbx_winres_account(out, accounts[i], i == 1, err)) &&
            !(rc = sbx_winres_membership(out, SBX_WIN_GROUP, accounts[i], err)))
            rc = sbx_winres_credential(out, accounts[i], me, cfg->state_dir, err);
    }
    if (!rc)
        rc = sbx_winres_firewall(out, SBX_WIN_OFFLINE, true, err);
    if (!rc)
        rc = sbx_winres_firewall(out, SBX_WIN_OFFLINE, false, err);
    return rc;
}

static int desired(const struct sbx_config *cfg, enum sbx_scope scope,
                   struct sbx_resource_list *out, struct sbx_error *err)
{
    if (scope == SBX_SCOPE_MACHINE) {
        if (!cfg->state_dir)
            return sbx_err_set(err, SBX_EINVAL, "no state directory for the credentials");
        return machine_resources(cfg, out, err);
    }
    struct sbx_resource_list recs = {0};
    int rc = sbx_mode_ledger_records(cfg, SBX_MODE_ELEVATED, &recs, err);
    /* the workspace records only: the mode marker lives in the machine ledger */
    for (size_t i = 0; !rc && i < recs.len; i++)
        if (recs.items[i].kind == SBX_R_WORKSPACE && sbx_rlist_push(out, &recs.items[i]))
            rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
    sbx_rlist_free(&recs);
    for (size_t i = 0; i < cfg->n_workspaces && !rc; i++)
        if (!(rc = sbx_winres_ace(out, cfg->workspaces[i], SBX_WINRES_GRANT, NULL, SBX_WIN_GROUP,
                                  "elevated", err)))
            rc = sbx_winres_ace(out, cfg->workspaces[i], SBX_WINRES_OWNER_RIGHTS, NULL, NULL,
                                "elevated", err);
    if (!rc)
        rc = sbx_win32_protect_resources(cfg, NULL, SBX_WIN_GROUP, "elevated", out, err);
    return rc;
}

/* The password of `account` for the calling user, from its DPAPI blob. */
static int read_password(const char *state_dir, const char *account, wchar_t *out, size_t len,
                         struct sbx_error *err)
{
    char me[SBX_SID_STR_MAX], name[256], path[4096];
    int rc = sbx_user_current(me, sizeof me, name, sizeof name, err);
    if (rc)
        return rc;
    snprintf(path, sizeof path, "%s\\credentials\\%s-%s.dpapi", state_dir, me, account);
    wchar_t *wpath = sbx_wide(path);
    HANDLE h = wpath ? CreateFileW(wpath, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0,
                                   NULL)
                     : INVALID_HANDLE_VALUE;
    free(wpath);
    if (h == INVALID_HANDLE_VALUE)
        return sbx_win_err(err, SBX_ESTATE, GetLastError(),
                           "the elevated mode is not set up for you (no credential %s); run "
                           "sbx setup from an Administrator prompt as yourself",
                           path);
    char b64[4096];
    DWORD got = 0;
    BOOL ok = ReadFile(h, b64, sizeof b64 - 1, &got, NULL);
    CloseHandle(h);
    if (!ok)
        return sbx_win_err(err, 0, GetLastError(), "reading %s", path);
    b64[got] = '\0';
    void *pw = NULL;
    size_t n = 0;
    if ((rc = sbx_dpapi_unprotect(b64, account, &pw, &n, err)) != 0)
        return rc;
    rc = sbx_wide_buf(pw, out, len) ? sbx_err_set(err, SBX_ECORRUPT, "bad stored password") : 0;
    sbx_secure_zero(pw, n);
    free(pw);
    return rc;
}

/* sbx-runner.exe beside sbx.exe: it must be where the account can read
 * it (an installed sbx, under Program Files). */
static int runner_path(wchar_t *out, size_t len, struct sbx_error *err)
{
    DWORD n = GetModuleFileNameW(NULL, out, (DWORD)len);
    if (n == 0 || n >= len)
        return sbx_win_err(err, SBX_EIO, GetLastError(), "locating sbx.exe");
    wchar_t *slash = wcsrchr(out, L'\\');
    if (!slash || (size_t)(slash - out) + 16 >= len)
        return sbx_err_set(err, SBX_EINVAL, "sbx.exe has an unexpected path");
    wcscpy(slash + 1, L"sbx-runner.exe");
    if (GetFileAttributesW(out) == INVALID_FILE_ATTRIBUTES)
        return sbx_win_err(err, SBX_ESTATE, GetLastError(),
                           "sbx-runner.exe is missing beside sbx.exe (the elevated mode starts "
                           "commands through it); reinstall sbx");
    return 0;
}

static int run(const struct sbx_run_request *req, int *status, struct sbx_mode_notes *notes,
               struct sbx_error *err)
{
    notes->n = 0;
    *status = 125;
    if (req->n_protect > 0 || req->allow_git)
        return sbx_err_set(err, SBX_ENOTSUP, "--protect and --allow-git are not supported on "
                           "Windows: protections are ACEs set by sbx workspace add");
    const char *account = req->net ? SBX_WIN_ONLINE : SBX_WIN_OFFLINE;
    char machine_dir[4096], group[SBX_SID_STR_MAX];
    int rc = sbx_default_state_dir(true, machine_dir, sizeof machine_dir, err);
    if (rc)
        return rc;
    /* The group the runner restricts the account to (the trustee of the
     * workspace grants). */
    if ((rc = sbx_local_lookup(SBX_WIN_GROUP, SBX_PRINCIPAL_GROUP, group, sizeof group, err)))
        return sbx_err_wrap(err, "the elevated mode is not set up (run sbx setup as "
                            "Administrator)");
    wchar_t pw[SBX_PASSWORD_LEN * 2 + 1], user[64], runner[MAX_PATH * 4];
    wchar_t *cmdline = NULL, *cwd = NULL;
    char **argv = NULL;
    if ((rc = runner_path(runner, sizeof runner / sizeof runner[0], err)) != 0)
        return rc;
    if ((rc = read_password(machine_dir, account, pw, sizeof pw / sizeof pw[0], err)) != 0)
        return rc;
    sbx_wide_buf(account, user, 64);
    /* sbx-runner.exe GROUP on|off -- argv...: the runner finds the command
     * in the account's PATH (an unknown command: its status 127) */
    size_t argc = 0;
    while (req->argv[argc])
        argc++;
    if (!(argv = calloc(argc + 5, sizeof *argv))) {
        rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
        goto out;
    }
    argv[0] = "sbx-runner.exe";
    argv[1] = group;
    argv[2] = req->net ? "on" : "off";
    argv[3] = "--";
    memcpy(argv + 4, req->argv, argc * sizeof *argv);
    if ((rc = sbx_cmdline_build(argv, &cmdline, err)) != 0)
        goto out;
    cwd = req->cwd ? sbx_wide(req->cwd) : NULL;
    struct sbx_launch l = {
        .user = user, .password = pw, .app = runner, .cmdline = cmdline, .env = NULL,
        .cwd = cwd, .timeout_sec = req->timeout_sec, .no_window = true,
    };
    rc = sbx_launch_run(&l, status, err);
out:
    sbx_secure_zero(pw, sizeof pw);
    free(argv);
    free(cmdline);
    free(cwd);
    return rc;
}

const struct sbx_mode_ops sbx_elevated_win32 = {
    .kind = SBX_MODE_ELEVATED,
    .platform = "win32",
    .desired = desired,
    .run = run,
};
