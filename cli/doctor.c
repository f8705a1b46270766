/* sbx doctor: compare the ledger with the machine; --repair converges. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/converge.h"
#include "cli/facts.h"

static const char help[] =
    "usage: sbx doctor [--repair] [--deep] [--json] [--state DIR]\n"
    "\n"
    "Check every resource the ledger records against the machine and report drift: an\n"
    "object deleted or changed by hand, a plan an interrupted sbx left open, an object\n"
    "with sbx's marker the ledger does not know.  Exit status 1 when there is drift.\n"
    "  --repair  converge back: finish the open plan (rolled back), re-create what is\n"
    "            missing, remove marked objects the ledger does not know\n"
    "  --deep    also walk the granted trees (slow on big workspaces)\n";

enum { OPT_REPAIR, OPT_DEEP };
static const struct cli_optdef defs[] = {
    [OPT_REPAIR] = {"repair", false},
    [OPT_DEEP] = {"deep", false},
    {NULL, false},
};

struct finding {
    const char *what; /* "missing", "changed", "orphan", "open-plan" */
    enum sbx_rkind kind;
    const char *key;
};

int cmd_doctor(struct sbx_cli *cli, int argc, char **argv)
{
    struct sbx_error err = {0};
    struct cli_args args;
    int start = cli_start(cli, argc, argv, defs, CLI_POS_NONE, help, &args);
    if (start != CLI_CONTINUE)
        return start;
    bool repair = false, deep = false;
    for (size_t i = 0; i < args.n_opts; i++) {
        repair |= args.opts[i].def == OPT_REPAIR;
        deep |= args.opts[i].def == OPT_DEEP;
    }

    char dir[4096];
    if (cli_state_dir(cli, false, dir, sizeof dir, &err))
        return cli_fail(cli, &err);
    struct cli_engine ce;
    int rc = cli_engine_open_dir(cli, dir, false, &ce, &err);
    if (rc == -SBX_ENOENT) {
        if (cli->json)
            printf("{\"ok\":true,\"drift\":false,\"findings\":[]}\n");
        else
            cli_info(cli, "sbx doctor: %s; nothing to check", err.msg);
        return SBX_EXIT_OK;
    }
    if (rc)
        return cli_fail(cli, &err);
    if (deep)
        ce.os->flags |= SBX_OS_DEEP;

    struct sbx_resource_list rs = {0}, marked = {0};
    struct finding findings[256];
    size_t n = 0;
    int64_t running = 0;
    if ((rc = sbx_ledger_plan_running(ce.ledger, &running, &err)) ||
        (rc = sbx_ledger_resources(ce.ledger, &rs, &err)) ||
        (rc = sbx_os_find_marked(ce.os, &marked, &err)))
        goto out;
    if (running && n < 256)
        findings[n++] = (struct finding){"open-plan", SBX_R_MODE, "interrupted plan"};
    for (size_t i = 0; i < rs.len && n < 256; i++) {
        if (sbx_rkind_ledger_only(rs.items[i].kind))
            continue;
        enum sbx_presence pr;
        if ((rc = sbx_os_probe(ce.os, &rs.items[i], &pr, &err)))
            goto out;
        if (pr != SBX_PRESENT)
            findings[n++] = (struct finding){pr == SBX_ABSENT ? "missing" : "changed",
                                             rs.items[i].kind, rs.items[i].key};
    }
    for (size_t i = 0; i < marked.len && n < 256; i++)
        if (sbx_rlist_find(&rs, marked.items[i].kind, marked.items[i].key) < 0)
            findings[n++] = (struct finding){"orphan", marked.items[i].kind, marked.items[i].key};

    if (cli->json) {
        struct json j;
        json_init(&j, stdout);
        json_object_begin(&j);
        json_kv_bool(&j, "ok", true);
        json_kv_string(&j, "ledger", sbx_ledger_path(ce.ledger));
        json_kv_bool(&j, "drift", n > 0);
        json_kv_bool(&j, "repair", repair);
        json_key(&j, "findings");
        json_array_begin(&j);
        for (size_t i = 0; i < n; i++) {
            json_object_begin(&j);
            json_kv_string(&j, "problem", findings[i].what);
            json_kv_string(&j, "kind", sbx_rkind_name(findings[i].kind));
            json_kv_string(&j, "key", findings[i].key);
            json_object_end(&j);
        }
        json_array_end(&j);
        json_object_end(&j);
        json_end(&j);
    } else {
        for (size_t i = 0; i < n; i++)
            printf("drift: %-9s %-14s %s\n", findings[i].what, sbx_rkind_name(findings[i].kind),
                   findings[i].key);
        if (n == 0)
            cli_info(cli, "sbx doctor: the machine matches the ledger %s", sbx_ledger_path(ce.ledger));
    }
    if (n == 0 || !repair) {
        rc = 0;
        goto out;
    }

    /* Repair: settle the open plan, then ensure every recorded object is
     * present (idempotent create, journaled as a plan) and remove marked
     * objects nobody recorded. */
    if ((rc = cli_engine_recover(cli, &ce, false, &err)))
        goto out;
    struct sbx_plan plan = {0};
    snprintf(plan.verb, sizeof plan.verb, "repair");
    struct sbx_resource_list missing = {0}, orphans = {0};
    for (size_t i = 0; i < n && rc == 0; i++) {
        long at;
        if (strcmp(findings[i].what, "orphan") == 0) {
            at = sbx_rlist_find(&marked, findings[i].kind, findings[i].key);
            rc = sbx_rlist_push(&orphans, &marked.items[at]);
        } else if (strcmp(findings[i].what, "open-plan") != 0) {
            at = sbx_rlist_find(&rs, findings[i].kind, findings[i].key);
            rc = sbx_rlist_push(&missing, &rs.items[at]);
        }
    }
    struct sbx_resource_list none = {0};
    struct sbx_plan creates = {0}, deletes = {0};
    if (rc == 0 && (rc = sbx_plan_compute(&none, &missing, "repair", &creates, &err)) == 0 &&
        (rc = sbx_plan_compute(&orphans, &none, "repair", &deletes, &err)) == 0) {
        plan.n_ops = creates.n_ops + deletes.n_ops;
        plan.ops = calloc(plan.n_ops ? plan.n_ops : 1, sizeof *plan.ops);
        if (!plan.ops) {
            rc = sbx_err_set(&err, SBX_ENOMEM, "out of memory");
        } else {
            memcpy(plan.ops, creates.ops, creates.n_ops * sizeof *plan.ops);
            memcpy(plan.ops + creates.n_ops, deletes.ops, deletes.n_ops * sizeof *plan.ops);
            free(creates.ops);
            free(deletes.ops);
            creates.ops = deletes.ops = NULL;
            creates.n_ops = deletes.n_ops = 0;
            rc = sbx_plan_apply(&ce.engine, &plan, &err);
            if (rc == 0)
                cli_info(cli, "sbx doctor: repaired %zu finding%s", n, n == 1 ? "" : "s");
        }
    }
    sbx_plan_free(&creates);
    sbx_plan_free(&deletes);
    sbx_plan_free(&plan);
    sbx_rlist_free(&missing);
    sbx_rlist_free(&orphans);
    if (rc == 0) {
        sbx_rlist_free(&rs);
        sbx_rlist_free(&marked);
        cli_engine_close(&ce);
        return SBX_EXIT_OK;
    }
out:
    sbx_rlist_free(&rs);
    sbx_rlist_free(&marked);
    cli_engine_close(&ce);
    if (rc)
        return cli_fail(cli, &err);
    return n > 0 ? SBX_EXIT_DRIFT : SBX_EXIT_OK;
}
