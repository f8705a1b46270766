/* SPDX-License-Identifier: MIT */
/* The unelevated mode on Windows.
 *
 * Resources (user scope; conventions in modes/common/win32/resources.h):
 *   - the mode marker and the workspace records (ledger only);
 *   - capability_sid "capability:<ws>": a random S-1-5-21-a-b-c-d per
 *     workspace, generated once and then reused from cfg->current (a run
 *     holds only its own workspaces' SIDs: issue 17 item 9);
 *   - acl_entry "<ws>|(A;OICI;0x1301bf;;;<cap>)": inheritable Modify grant
 *     on each workspace root;
 *   - acl_entry "<ws>\.git|(D;OICI;0xd0156;;;<cap>)" when .git exists and
 *     "<state dir>|(D;...)": .git and sbx's own files are never writable.
 *
 * run(): a write-restricted token whose restricting SIDs are the capability
 * SIDs of the run's workspaces, the logon SID and Everyone, so the command writes only where the
 * grants above (or Everyone-writable places) allow; a desktop of its own
 * (modes/confine/win32/desktop.h); a private TEMP granted
 * the same way and removed afterwards; network "off" is environment hints
 * only - nothing in this mode enforces it on Windows. */
#include "modes/unelevated/win32.h"

#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modes/common/win32/identity.h"
#include "modes/common/win32/resources.h"
#include "modes/common/win32/sid.h"
#include "modes/common/win32/winutil.h"
#include "modes/confine/win32/desktop.h"
#include "modes/confine/win32/launch.h"
#include "modes/confine/win32/tmpdir.h"
#include "modes/confine/win32/worldwrite.h"
#include "modes/confine/win32/token.h"
#include "state/ledger.h"
#include "util/platform.h"

int sbx_win32_protect_resources(const struct sbx_config *cfg, const char *trustee_sid,
                                const char *trustee_group, const char *mode,
                                struct sbx_resource_list *out, struct sbx_error *err)
{
    int rc = 0;
    char path[4096];
    for (size_t i = 0; i < cfg->n_workspaces && !rc; i++) {
        snprintf(path, sizeof path, "%s\\.git", cfg->workspaces[i]);
        if (sbx_fs_exists(path))
            rc = sbx_winres_ace(out, path, SBX_WINRES_DENY, trustee_sid, trustee_group, mode,
                                err);
    }
    if (!rc && cfg->state_dir && sbx_fs_is_dir(cfg->state_dir))
        rc = sbx_winres_ace(out, cfg->state_dir, SBX_WINRES_DENY, trustee_sid, trustee_group,
                            mode, err);
    return rc;
}

static int desired(const struct sbx_config *cfg, enum sbx_scope scope,
                   struct sbx_resource_list *out, struct sbx_error *err)
{
    if (scope != SBX_SCOPE_USER)
        return 0;
    int rc = sbx_mode_ledger_records(cfg, SBX_MODE_UNELEVATED, out, err);
    for (size_t i = 0; i < cfg->n_workspaces && !rc; i++) {
        const char *ws = cfg->workspaces[i];
        char cap[SBX_SID_STR_MAX];
        if (sbx_winres_capability_of(cfg->current, ws, cap, sizeof cap) != 0 &&
            (rc = sbx_sid_generate_capability(cap, sizeof cap, err)) != 0)
            break;
        if ((rc = sbx_winres_capability(out, ws, cap, err)) != 0 ||
            (rc = sbx_winres_ace(out, ws, SBX_WINRES_GRANT, cap, NULL, "unelevated", err)) != 0)
            break;
        /* its .git, and the state directory, denied to this SID */
        struct sbx_config one = *cfg;
        one.workspaces = &cfg->workspaces[i];
        one.n_workspaces = 1;
        rc = sbx_win32_protect_resources(&one, cap, NULL, "unelevated", out, err);
    }
    return rc;
}

/* The capability SIDs of the run's workspaces from the caller's ledger,
 * and a check that every workspace carries its grant. */
static int ledger_capabilities(const struct sbx_run_request *req,
                               char caps[][SBX_SID_STR_MAX], struct sbx_error *err)
{
    struct sbx_ledger *l = NULL;
    struct sbx_resource_list rs = {0};
    if (req->n_workspaces == 0 || req->n_workspaces > SBX_TOKEN_MAX_CAPS)
        return sbx_err_set(err, SBX_EINVAL, "a run takes 1 to %d workspaces on Windows",
                           SBX_TOKEN_MAX_CAPS);
    int rc = sbx_ledger_open(req->state_dir, SBX_LEDGER_READONLY, &l, err);
    if (rc == -SBX_ENOENT)
        return sbx_err_set(err, SBX_ESTATE,
                           "the unelevated mode is not set up for you (no ledger in %s): run "
                           "sbx setup, then sbx workspace add DIR for each workspace",
                           req->state_dir);
    if (rc)
        return rc;
    if ((rc = sbx_ledger_resources(l, &rs, err)) != 0)
        goto out;
    for (size_t w = 0; w < req->n_workspaces && !rc; w++) {
        const char *ws = req->workspaces[w];
        struct sbx_resource_list want = {0};
        if (sbx_winres_capability_of(&rs, ws, caps[w], SBX_SID_STR_MAX) != 0)
            rc = -SBX_ENOENT;
        else if (!(rc = sbx_winres_ace(&want, ws, SBX_WINRES_GRANT, caps[w], NULL, "unelevated",
                                       err)) &&
                 sbx_rlist_find(&rs, SBX_R_ACL_ENTRY, want.items[0].key) < 0)
            rc = -SBX_ENOENT;
        if (rc == -SBX_ENOENT)
            rc = sbx_err_set(err, SBX_ESTATE,
                             "workspace %s is not registered, so the sandbox could not write "
                             "there: run sbx workspace add %s",
                             ws, ws);
        sbx_rlist_free(&want);
    }
out:
    sbx_rlist_free(&rs);
    sbx_ledger_close(l);
    return rc;
}

static int run(const struct sbx_run_request *req, int *status, struct sbx_mode_notes *notes,
               struct sbx_error *err)
{
    notes->n = 0;
    *status = 125;
    if (req->n_protect > 0)
        return sbx_err_set(err, SBX_ENOTSUP, "--protect is not supported on Windows yet: "
                           "protections are ACEs set by sbx workspace add, not per run");
    if (req->allow_git)
        return sbx_err_set(err, SBX_ENOTSUP, "--allow-git is not supported on Windows: .git "
                           "carries a deny ACE from sbx workspace add");
    char caps[SBX_TOKEN_MAX_CAPS][SBX_SID_STR_MAX];
    const char *cap_list[SBX_TOKEN_MAX_CAPS];
    int rc = ledger_capabilities(req, caps, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < req->n_workspaces; i++)
        cap_list[i] = caps[i];
    wchar_t app[MAX_PATH * 4], temp[MAX_PATH * 2];
    wchar_t *cmdline = NULL, *env = NULL, *base = NULL, *cwd = NULL;
    HANDLE tok = NULL;
    struct sbx_desktop desk = {0};
    bool have_temp = false;
    if ((rc = sbx_exe_find(req->argv[0], app, sizeof app / sizeof app[0], err)) != 0) {
        *status = 127;
        return rc;
    }
    if ((rc = sbx_cmdline_build(req->argv, &cmdline, err)) != 0)
        goto out;
    if ((rc = sbx_token_restricted(cap_list, req->n_workspaces, &tok, err)) != 0)
        goto out;
    /* its own desktop: the user, the logon session and the first
     * workspace's capability SID (a restricting SID that passes its
     * window-creating writes) */
    char me[SBX_SID_STR_MAX], logon[SBX_SID_STR_MAX];
    if ((rc = sbx_token_sids(me, logon, err)) != 0)
        goto out;
    const char *desk_sids[] = {me, logon, caps[0]};
    if ((rc = sbx_desktop_create(desk_sids, 3, &desk, err)) != 0)
        goto out;
    if ((rc = sbx_win_temp_create(caps[0], temp, sizeof temp / sizeof temp[0], err)) != 0)
        goto out;
    have_temp = true;
    struct sbx_run_vars vars;
    sbx_run_vars_make(&vars, temp, req->net);
    base = GetEnvironmentStringsW();
    if ((rc = sbx_env_block_build(base, vars.set, vars.n, &env, err)) != 0)
        goto out;
    cwd = req->cwd ? sbx_wide(req->cwd) : NULL;
    struct sbx_launch l = {
        .token = tok, .app = app, .cmdline = cmdline, .env = env, .cwd = cwd,
        .timeout_sec = req->timeout_sec, .desktop = desk.name,
    };
    rc = sbx_launch_run(&l, status, err);
out:
    if (base)
        FreeEnvironmentStringsW(base);
    if (have_temp) {
        sbx_win_temp_remove(temp);
        /* What the command left where the remover could not reach: said,
         * never dropped. */
        if (GetFileAttributesW(temp) != INVALID_FILE_ATTRIBUTES) {
            char utemp_left[MAX_PATH * 6];
            sbx_utf8_buf(temp, utemp_left, sizeof utemp_left);
            snprintf(notes->text[notes->n++], SBX_MODE_NOTE_LEN,
                     "the temporary folder was not removed: %.140s", utemp_left);
        }
    }
    if (tok)
        CloseHandle(tok);
    sbx_desktop_close(&desk);
    free(cmdline);
    free(env);
    free(cwd);
    return rc;
}

struct world_note {
    char first[3][MAX_PATH * 3];
    size_t n;
};

static void note_world(void *ctx, const wchar_t *path)
{
    struct world_note *w = ctx;
    if (w->n < 3 && sbx_utf8_buf(path, w->first[w->n], sizeof w->first[0]) == 0)
        w->n++;
}

/* Said before every run: what this mode leaves unenforced on this machine.
 * Windows gives an unelevated caller no way to cut its own processes off
 * the network, and the token keeps Everyone (worldwrite.h). */
static int check(const struct sbx_run_request *req, struct sbx_mode_notes *notes,
                 struct sbx_error *err)
{
    notes->n = 0;
    if (!req->net)
        snprintf(notes->text[notes->n++], SBX_MODE_NOTE_LEN,
                 "the network is not blocked: the unelevated mode on Windows only sets proxy "
                 "variables to a dead port (use the elevated mode to enforce it)");
    /* FILE_DELETE_CHILD is no write right to a write-restricted token
     * (issue 17 item 3; openai/codex#32915): the caller's own right to
     * delete entries of a folder stays the command's. */
    snprintf(notes->text[notes->n++], SBX_MODE_NOTE_LEN,
             "the command can delete or move away (not write) files wherever you may delete "
             "a folder's entries, .git's included: the unelevated mode can't stop that on "
             "Windows (the elevated mode does)");
    struct world_note w = {.n = 0};
    size_t found = 0;
    int rc = sbx_world_writable_scan(note_world, &w, 3, &found, err);
    if (rc)
        return rc;
    if (found && notes->n < SBX_MODE_MAX_NOTES)
        snprintf(notes->text[notes->n++], SBX_MODE_NOTE_LEN,
                 "%lu folder(s) outside the workspaces are writable by everyone, so by the "
                 "command too (the elevated mode is not): %.60s%s%.40s",
                 (unsigned long)found, w.first[0], w.n > 1 ? ", " : "", w.n > 1 ? w.first[1] : "");
    return 0;
}

const struct sbx_mode_ops sbx_unelevated_win32 = {
    .kind = SBX_MODE_UNELEVATED,
    .platform = "win32",
    .desired = desired,
    .run = run,
    .check = check,
};
