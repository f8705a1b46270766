/* SPDX-License-Identifier: MIT */
/* elevated-tool: drive the elevated mode's plans without the CLI, for the
 * grant benchmark (bench/grant_bench.sh) and manual checks.
 *   elevated-tool setup STATE USER     machine scope (root)
 *   elevated-tool grant USTATE STATE WS  user scope: grant WS
 *   elevated-tool remove USTATE STATE    user scope: remove every grant
 *   elevated-tool cleanup STATE        machine scope: remove everything
 * Names follow SBX_ELEVATED_PREFIX like sbx itself. */
#include <stdio.h>
#include <string.h>

#include "migrate/plan.h"
#include "modes/elevated/elevated.h"
#include "state/ledger.h"

static int converge(const char *ledger_dir, const char *state, enum sbx_scope scope,
                    const char *ws, const char *user)
{
    struct sbx_error err = {0};
    struct sbx_ledger *l = NULL;
    struct sbx_os *os = NULL;
    struct sbx_resource_list cur = {0}, des = {0};
    struct sbx_plan p = {0};
    const char *wss[] = {ws};
    const char *users[] = {user};
    struct sbx_config cfg = {.mode = SBX_MODE_ELEVATED, .workspaces = wss,
                             .n_workspaces = ws ? 1 : 0, .users = users,
                             .n_users = user ? 1 : 0, .state_dir = state, .current = &cur};
    int rc = sbx_ledger_open(ledger_dir, SBX_LEDGER_CREATE, &l, &err);
    if (rc == 0)
        rc = sbx_ledger_lock(l, 10000, &err);
    if (rc == 0)
        rc = sbx_os_open_native(&os, &err);
    if (rc == 0)
        rc = sbx_ledger_resources(l, &cur, &err);
    if (rc == 0 && (ws || user))
        rc = sbx_elevated_linux.desired(&cfg, scope, &des, &err);
    if (rc == 0)
        rc = sbx_plan_compute(&cur, &des, "tool", &p, &err);
    if (rc == 0) {
        struct sbx_engine eng = {.ledger = l, .os = os};
        rc = sbx_plan_apply(&eng, &p, &err);
    }
    if (rc)
        fprintf(stderr, "elevated-tool: %s\n", err.msg);
    sbx_plan_free(&p);
    sbx_rlist_free(&cur);
    sbx_rlist_free(&des);
    sbx_os_destroy(os);
    if (l) {
        sbx_ledger_unlock(l);
        sbx_ledger_close(l);
    }
    return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "setup") == 0)
        return converge(argv[2], argv[2], SBX_SCOPE_MACHINE, NULL, argv[3]);
    if (argc == 3 && strcmp(argv[1], "cleanup") == 0)
        return converge(argv[2], argv[2], SBX_SCOPE_MACHINE, NULL, NULL);
    if (argc == 5 && strcmp(argv[1], "grant") == 0)
        return converge(argv[2], argv[3], SBX_SCOPE_USER, argv[4], NULL);
    if (argc == 4 && strcmp(argv[1], "remove") == 0)
        return converge(argv[2], argv[3], SBX_SCOPE_USER, NULL, NULL);
    fprintf(stderr, "usage: elevated-tool setup STATE USER | grant USTATE STATE WS | "
                    "remove USTATE STATE | cleanup STATE\n");
    return 2;
}
