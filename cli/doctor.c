/* SPDX-License-Identifier: MIT */
/* sbx doctor: compare the ledger with the machine; --repair converges. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/converge.h"
#include "cli/facts.h"
#include "util/limits.h"

static const char help[] =
    "usage: sbx doctor [--repair] [--deep] [--json] [--state DIR]\n"
    "\n"
    "Check every resource the ledger records against the machine and report drift: an\n"
    "object deleted or changed by hand, a plan an interrupted sbx left open, an object\n"
    "with sbx's marker the ledger does not know.  Exit status 1 when there is drift.\n"
    "Root checks the machine's ledger, its own, and those of the elevated mode's\n"
    "members (where a crash may have left a member's half of a migration open).\n"
    "  --repair  converge back: finish the open plan (rolled back), re-create what is\n"
    "            missing, remove marked objects the ledger does not know\n"
    "  --deep    also walk the granted trees (slow on big workspaces)\n";

enum { OPT_REPAIR, OPT_DEEP };
const struct cli_optdef cli_opts_doctor[] = {
    [OPT_REPAIR] = {"repair", false},
    [OPT_DEEP] = {"deep", false},
    {NULL, false},
};

struct finding {
    const char *what; /* "missing", "changed", "orphan", "open-plan" */
    enum sbx_rkind kind;
    const char *key;
};

/* What one ledger says against the machine: the findings, and the
 * resources a repair re-creates (missing) or removes (strays).  Findings
 * point into the lists, which the survey owns. */
struct survey {
    struct sbx_resource_list rs, marked, missing, strays, known;
    struct finding findings[256];
    size_t n;
};

static void survey_free(struct survey *s)
{
    sbx_rlist_free(&s->rs);
    sbx_rlist_free(&s->marked);
    sbx_rlist_free(&s->missing);
    sbx_rlist_free(&s->strays);
    sbx_rlist_free(&s->known);
    memset(s, 0, sizeof *s);
}

static int survey(struct cli_engine *ce, const char *dir, bool orphans, bool deep,
                  struct survey *s, struct sbx_error *err)
{
    memset(s, 0, sizeof *s);
    int64_t running = 0;
    int rc;
    if ((rc = sbx_ledger_plan_running(ce->ledger, &running, err)) ||
        (rc = sbx_ledger_resources(ce->ledger, &s->rs, err)) ||
        (orphans && (rc = sbx_os_find_marked(ce->os, &s->marked, err))))
        return rc;
    if (running)
        s->findings[s->n++] = (struct finding){"open-plan", SBX_R_MODE, "interrupted plan"};
    for (size_t i = 0; i < s->rs.len && s->n < 256 && rc == 0; i++) {
        if (sbx_rkind_ledger_only(s->rs.items[i].kind))
            continue;
        enum sbx_presence pr;
        if ((rc = sbx_os_probe(ce->os, &s->rs.items[i], &pr, err)))
            return rc;
        if (pr != SBX_PRESENT) {
            s->findings[s->n++] = (struct finding){pr == SBX_ABSENT ? "missing" : "changed",
                                                   s->rs.items[i].kind, s->rs.items[i].key};
            rc = sbx_rlist_push(&s->missing, &s->rs.items[i]);
        }
    }
    /* The users' ledgers know their grants: not orphans. */
    if (orphans && deep)
        cli_member_resources(dir, &s->known);
    for (size_t i = 0; i < s->marked.len && s->n < 256 && rc == 0; i++) {
        const struct sbx_resource *m = &s->marked.items[i];
        if (sbx_rlist_find_object(&s->rs, m) >= 0 || sbx_rlist_find_object(&s->known, m) >= 0)
            continue;
        s->findings[s->n++] = (struct finding){"orphan", m->kind, m->key};
        rc = sbx_rlist_push(&s->strays, m);
    }
    return rc;
}

static void print_survey(const struct survey *s, const char *ledger, const struct sbx_cli *cli,
                         struct json *j)
{
    if (j) {
        json_object_begin(j);
        json_kv_string(j, "ledger", ledger);
        json_key(j, "findings");
        json_array_begin(j);
        for (size_t i = 0; i < s->n; i++) {
            json_object_begin(j);
            json_kv_string(j, "problem", s->findings[i].what);
            json_kv_string(j, "kind", sbx_rkind_name(s->findings[i].kind));
            json_kv_string(j, "key", s->findings[i].key);
            json_object_end(j);
        }
        json_array_end(j);
        json_object_end(j);
        return;
    }
    for (size_t i = 0; i < s->n; i++)
        printf("drift: %-9s %-14s %s  (%s)\n", s->findings[i].what,
               sbx_rkind_name(s->findings[i].kind), s->findings[i].key, ledger);
    if (s->n == 0)
        cli_info(cli, "sbx doctor: the machine matches the ledger %s", ledger);
}

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
    struct survey s;
    if ((rc = survey(&ce, dir, orphans, deep, &s, err)))
        goto out;
    *drift |= s.n > 0;
    print_survey(&s, sbx_ledger_path(ce.ledger), cli, j);
    size_t found = s.n;
    if (found == 0 || !repair)
        goto out;
    /* Repair: settle the open plan first, then survey again -- what the
     * ledger records changes as the plan is rolled back -- and make the
     * machine match. */
    bool found_open = s.n && strcmp(s.findings[0].what, "open-plan") == 0;
    if (found_open) {
        survey_free(&s);
        if ((rc = cli_engine_recover(cli, &ce, false, err)) ||
            (rc = survey(&ce, dir, orphans, deep, &s, err)))
            goto out;
    }
    if ((rc = cli_recreate(&ce, "repair", &s.missing, &s.strays, err)) == 0)
        cli_info(cli, "sbx doctor: repaired %zu finding%s in %s", found, found == 1 ? "" : "s",
                 sbx_ledger_path(ce.ledger));
out:
    survey_free(&s);
    cli_engine_close(&ce);
    return rc;
}

int cmd_doctor(struct sbx_cli *cli, int argc, char **argv)
{
    struct sbx_error err = {0};
    struct cli_args args;
    int start = cli_start(cli, argc, argv, cli_opts_doctor, CLI_POS_NONE, help, &args);
    if (start != CLI_CONTINUE)
        return start;
    bool repair = false, deep = false;
    for (size_t i = 0; i < args.n_opts; i++) {
        repair |= args.opts[i].def == OPT_REPAIR;
        deep |= args.opts[i].def == OPT_DEEP;
    }
    enum sbx_privilege priv = SBX_PRIV_USER;
    char mine[SBX_PATH_MAX], machine[SBX_PATH_MAX];
    if (cli_privilege(&priv, &err) || cli_state_dir(cli, false, mine, sizeof mine, &err) ||
        cli_state_dir(cli, true, machine, sizeof machine, &err))
        return cli_fail(cli, &err);
    /* Root checks the members' ledgers (their halves of a migration a
     * crash interrupted among them: only root can finish those), its own
     * and last the machine's (with the marked objects no ledger knows); a
     * user checks their own ledger; --state names one ledger alone. */
    bool shared = strcmp(mine, machine) == 0;
    sbx_cleanup(cli_paths_free) struct cli_paths dirs = {0};
    bool explicit_state = cli->state_opt || (getenv("SBX_STATE") && *getenv("SBX_STATE"));
    if (priv == SBX_PRIV_ADMIN && !shared && !explicit_state &&
        cli_member_ledgers(machine, &dirs, &err))
        return cli_fail(cli, &err);
    if (cli_paths_add(&dirs, mine, &err) ||
        (priv == SBX_PRIV_ADMIN && !shared && cli_paths_add(&dirs, machine, &err)))
        return cli_fail(cli, &err);
    size_t n = dirs.n;
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
        bool seen = false; /* a directory listed twice is checked once */
        for (size_t k = 0; k < i; k++)
            seen |= strcmp(dirs.v[k], dirs.v[i]) == 0;
        bool orphans = shared || (priv == SBX_PRIV_ADMIN && i == n - 1);
        if (!seen)
            rc = doctor_ledger(cli, dirs.v[i], orphans, repair, deep, cli->json ? &j : NULL,
                               &drift, &err);
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
