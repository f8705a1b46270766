/* SPDX-License-Identifier: MIT */
/* sbx log: every OS change sbx made, with time, plan and outcome. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/run_net.h"
#include "util/limits.h"

static const char help[] =
    "usage: sbx log [--json] [--state DIR]\n"
    "\n"
    "Print every operation of every plan recorded in the ledger, oldest first: when it\n"
    "started and finished, which plan (setup, migrate, rollback, ...) it belonged to,\n"
    "what it created or deleted, and how it ended (done, failed, undone).  Then the\n"
    "hosts your runs with --net allow= reached or were refused (\"network\" in --json):\n"
    "connections and bytes, or attempts and the reason.\n";

static int print_text(const struct sbx_log_entry *e, void *ctx)
{
    (void)ctx;
    printf("%-20s plan %-4lld %-10s %-11s #%-3d %-6s %-14s %s%s%s%s [%s]%s%s\n",
           e->started_at ? e->started_at : "-", (long long)e->plan_id, e->plan_verb,
           e->plan_state, e->seq, e->action, e->kind, e->key, e->principal ? " (" : "",
           e->principal ? e->principal : "", e->principal ? ")" : "", e->op_state,
           e->error ? ": " : "", e->error ? e->error : "");
    return 0;
}

static int print_json(const struct sbx_log_entry *e, void *ctx)
{
    struct json *j = ctx;
    json_object_begin(j);
    json_kv_int(j, "plan", e->plan_id);
    json_kv_string(j, "verb", e->plan_verb);
    json_kv_string(j, "plan_state", e->plan_state);
    json_kv_int(j, "seq", e->seq);
    json_kv_string(j, "action", e->action);
    json_kv_string(j, "kind", e->kind);
    json_kv_string(j, "key", e->key);
    json_kv_string(j, "principal", e->principal);
    json_kv_string(j, "outcome", e->op_state);
    json_kv_string(j, "started_at", e->started_at);
    json_kv_string(j, "finished_at", e->finished_at);
    json_kv_string(j, "undone_at", e->undone_at);
    json_kv_string(j, "error", e->error);
    json_object_end(j);
    return 0;
}

int cmd_log(struct sbx_cli *cli, int argc, char **argv)
{
    struct sbx_error err = {0};
    struct cli_args args;
    int start = cli_start(cli, argc, argv, NULL, CLI_POS_NONE, help, &args);
    if (start != CLI_CONTINUE)
        return start;
    /* Root's changes to the machine are in the machine ledger: shown
     * first, then the caller's own. */
    enum sbx_privilege priv = SBX_PRIV_USER;
    char dirs[2][SBX_PATH_MAX];
    if (cli_privilege(&priv, &err) || cli_state_dir(cli, true, dirs[0], sizeof dirs[0], &err) ||
        cli_state_dir(cli, false, dirs[1], sizeof dirs[1], &err))
        return cli_fail(cli, &err);
    size_t first = priv == SBX_PRIV_ADMIN && strcmp(dirs[0], dirs[1]) != 0 ? 0 : 1;
    struct json j;
    if (cli->json) {
        json_init(&j, stdout);
        json_object_begin(&j);
        json_key(&j, "ledgers");
        json_array_begin(&j);
    }
    int rc = 0;
    for (size_t i = first; i < 2 && rc == 0; i++) {
        struct sbx_ledger *l = NULL;
        rc = sbx_ledger_open(dirs[i], SBX_LEDGER_READONLY, &l, &err);
        if (rc == -SBX_ENOENT) {
            cli_info(cli, "sbx log: %s; nothing recorded there", err.msg);
            rc = 0;
            continue;
        }
        if (rc)
            break;
        if (cli->json) {
            json_object_begin(&j);
            json_kv_string(&j, "ledger", sbx_ledger_path(l));
            json_key(&j, "entries");
            json_array_begin(&j);
            rc = sbx_ledger_log(l, print_json, &j, &err);
            json_array_end(&j);
            json_object_end(&j);
        } else {
            if (first == 0)
                printf("# %s\n", sbx_ledger_path(l));
            rc = sbx_ledger_log(l, print_text, NULL, &err);
        }
        sbx_ledger_close(l);
    }
    if (cli->json)
        json_array_end(&j);
    /* The caller's runs through the allowlist proxy (cli/run_net.c). */
    if (rc == 0)
        cli_run_net_log_print(dirs[1], cli->json ? &j : NULL);
    if (cli->json) {
        json_object_end(&j);
        json_end(&j);
    }
    return rc ? cli_fail(cli, &err) : SBX_EXIT_OK;
}
