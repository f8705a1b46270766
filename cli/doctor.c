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

/* Check one ledger (and repair it).  *drift: findings were made.
 * Findings go to the open JSON array j, or as text. */
static int doctor_ledger(const struct sbx_cli *cli, const char *dir, bool orphans, bool repair,
                         bool deep, struct json *j, bool *drift, struct sbx_error *err)
{
    struct cli_engine ce;
    int rc = cli_engine_open_dir(cli, dir, false, &ce, err);
    if (rc == -SBX_ENOENT)
        return 0;
    if (rc)
        return rc;
    if (deep)
        ce.os->flags |= SBX_OS_DEEP | SBX_OS_FIND_GRANTS;
    struct sbx_resource_list rs = {0}, marked = {0}, missing = {0}, strays = {0}, known = {0};
    struct finding findings[256];
    size_t n = 0;
    int64_t running = 0;
    if ((rc = sbx_ledger_plan_running(ce.ledger, &running, err)) ||
        (rc = sbx_ledger_resources(ce.ledger, &rs, err)) ||
        (orphans && (rc = sbx_os_find_marked(ce.os, &marked, err))))
        goto out;
    if (running)
        findings[n++] = (struct finding){"open-plan", SBX_R_MODE, "interrupted plan"};
    for (size_t i = 0; i < rs.len && n < 256 && rc == 0; i++) {
        if (sbx_rkind_ledger_only(rs.items[i].kind))
            continue;
        enum sbx_presence pr;
        if ((rc = sbx_os_probe(ce.os, &rs.items[i], &pr, err)))
            goto out;
        if (pr != SBX_PRESENT) {
            findings[n++] = (struct finding){pr == SBX_ABSENT ? "missing" : "changed",
                                             rs.items[i].kind, rs.items[i].key};
            rc = sbx_rlist_push(&missing, &rs.items[i]);
        }
    }
    /* The users' ledgers know their grants: not orphans. */
    if (orphans && deep)
        cli_member_resources(dir, &known);
    for (size_t i = 0; i < marked.len && n < 256 && rc == 0; i++) {
        if (sbx_rlist_find_object(&rs, &marked.items[i]) >= 0 ||
            sbx_rlist_find_object(&known, &marked.items[i]) >= 0)
            continue;
        findings[n++] = (struct finding){"orphan", marked.items[i].kind, marked.items[i].key};
        rc = sbx_rlist_push(&strays, &marked.items[i]);
    }
    if (rc)
        goto out;
    *drift |= n > 0;
    if (j) {
        json_object_begin(j);
        json_kv_string(j, "ledger", sbx_ledger_path(ce.ledger));
        json_key(j, "findings");
        json_array_begin(j);
        for (size_t i = 0; i < n; i++) {
            json_object_begin(j);
            json_kv_string(j, "problem", findings[i].what);
            json_kv_string(j, "kind", sbx_rkind_name(findings[i].kind));
            json_kv_string(j, "key", findings[i].key);
            json_object_end(j);
        }
        json_array_end(j);
        json_object_end(j);
    } else {
        for (size_t i = 0; i < n; i++)
            printf("drift: %-9s %-14s %s  (%s)\n", findings[i].what,
                   sbx_rkind_name(findings[i].kind), findings[i].key, sbx_ledger_path(ce.ledger));
        if (n == 0)
            cli_info(cli, "sbx doctor: the machine matches the ledger %s",
                     sbx_ledger_path(ce.ledger));
    }
    if (n == 0 || !repair)
        goto out;

    /* Repair: settle the open plan, then one plan that ensures every
     * recorded object is present again (idempotent creates) and removes
     * the marked objects nobody recorded. */
    struct sbx_plan plan = {0}, creates = {0}, deletes = {0};
    struct sbx_resource_list none = {0};
    if ((rc = cli_engine_recover(cli, &ce, false, err)) == 0 &&
        (rc = sbx_plan_compute(&none, &missing, "repair", &creates, err)) == 0 &&
        (rc = sbx_plan_compute(&strays, &none, "repair", &deletes, err)) == 0) {
        snprintf(plan.verb, sizeof plan.verb, "repair");
        plan.n_ops = creates.n_ops + deletes.n_ops;
        plan.ops = calloc(plan.n_ops ? plan.n_ops : 1, sizeof *plan.ops);
        if (!plan.ops) {
            rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
        } else {
            if (creates.n_ops)
                memcpy(plan.ops, creates.ops, creates.n_ops * sizeof *plan.ops);
            if (deletes.n_ops)
                memcpy(plan.ops + creates.n_ops, deletes.ops, deletes.n_ops * sizeof *plan.ops);
            free(creates.ops);
            free(deletes.ops);
            creates.ops = deletes.ops = NULL;
            creates.n_ops = deletes.n_ops = 0;
            if ((rc = sbx_plan_apply(&ce.engine, &plan, err)) == 0)
                cli_info(cli, "sbx doctor: repaired %zu finding%s in %s", n, n == 1 ? "" : "s",
                         sbx_ledger_path(ce.ledger));
        }
    }
    sbx_plan_free(&creates);
    sbx_plan_free(&deletes);
    sbx_plan_free(&plan);
out:
    sbx_rlist_free(&rs);
    sbx_rlist_free(&marked);
    sbx_rlist_free(&missing);
    sbx_rlist_free(&strays);
    sbx_rlist_free(&known);
    cli_engine_close(&ce);
    return rc;
}

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
    enum sbx_privilege priv = SBX_PRIV_USER;
    char mine[4096], machine[4096];
    if (cli_privilege(&priv, &err) || cli_state_dir(cli, false, mine, sizeof mine, &err) ||
        cli_state_dir(cli, true, machine, sizeof machine, &err))
        return cli_fail(cli, &err);
    /* Root checks the machine ledger (and the marked objects no ledger
     * knows) besides its own; a user checks their own ledger. */
    bool shared = strcmp(mine, machine) == 0;
    const char *dirs[2] = {mine, machine};
    size_t n = shared || priv != SBX_PRIV_ADMIN ? 1 : 2;
    struct json j;
    if (cli->json) {
        json_init(&j, stdout);
        json_object_begin(&j);
        json_kv_bool(&j, "ok", true);
        json_kv_bool(&j, "repair", repair);
        json_key(&j, "ledgers");
        json_array_begin(&j);
    }
    bool drift = false;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        bool orphans = shared ? true : i == 1;
        rc = doctor_ledger(cli, dirs[i], orphans, repair, deep, cli->json ? &j : NULL, &drift,
                           &err);
    }
    if (cli->json) {
        json_array_end(&j);
        json_kv_bool(&j, "drift", drift);
        json_object_end(&j);
        json_end(&j);
    }
    if (rc)
        return cli_fail(cli, &err);
    return drift && !repair ? SBX_EXIT_DRIFT : SBX_EXIT_OK;
}
