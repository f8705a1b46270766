/* SPDX-License-Identifier: MIT */
/* sbx status: what is set up, where the ledger is, what sbx run would use. */
#include <stdio.h>
#include <string.h>

#include "cli/cache.h"
#include "cli/cli.h"
#include "cli/facts.h"
#include "util/limits.h"
#include "util/platform.h"

static const char help[] =
    "usage: sbx status [--json] [--state DIR]\n"
    "\n"
    "Show the ledger (path, schema version), the mode set up in it, the mode `sbx run`\n"
    "would use for you now, the registered workspaces, resource counts by kind, and\n"
    "any plan an interrupted sbx left open, and the size of the sandbox's caches (sbx\n"
    "cache clear empties them).  Changes nothing.  Root without a ledger of its own is\n"
    "shown the machine's (sbx rollback acts on it too), with the elevated mode's\n"
    "members: their own ledgers' workspaces and any plan left open in them.\n";

/* One member of the elevated mode, as the administrator's view shows it:
 * their own ledger (workspaces, a plan a crash left open), where root can
 * read it. */
struct member_view {
    char user[64];
    char ledger[SBX_PATH_MAX];
    bool readable;
    size_t workspaces;
    int64_t running;
};

static void member_view(const struct sbx_resource *m, struct member_view *v)
{
    memset(v, 0, sizeof *v);
    if (sbx_detail_get(m->detail, "member", v->user, sizeof v->user) != 0 ||
        sbx_user_state_dir(v->user, v->ledger, sizeof v->ledger, NULL) != 0)
        return;
    struct sbx_ledger *l = NULL;
    struct sbx_resource_list rs = {0};
    if (sbx_ledger_open(v->ledger, SBX_LEDGER_READONLY, &l, NULL) == 0 &&
        sbx_ledger_resources(l, &rs, NULL) == 0 &&
        sbx_ledger_plan_running(l, &v->running, NULL) == 0) {
        v->readable = true;
        for (size_t i = 0; i < rs.len; i++)
            v->workspaces += rs.items[i].kind == SBX_R_WORKSPACE;
    }
    sbx_rlist_free(&rs);
    sbx_ledger_close(l);
}

int cmd_status(struct sbx_cli *cli, int argc, char **argv)
{
    struct sbx_error err = {0};
    struct cli_args args;
    int start = cli_start(cli, argc, argv, NULL, CLI_POS_NONE, help, &args);
    if (start != CLI_CONTINUE)
        return start;

    char dir[SBX_PATH_MAX];
    bool machine = false;
    if (cli_view_state_dir(cli, dir, sizeof dir, &machine, &err))
        return cli_fail(cli, &err);
    struct sbx_ledger *l = NULL;
    int rc = sbx_ledger_open(dir, SBX_LEDGER_READONLY, &l, &err);
    if (rc && rc != -SBX_ENOENT)
        return cli_fail(cli, &err);

    size_t counts[SBX_R_KIND_COUNT] = {0};
    struct sbx_resource_list rs = {0};
    enum sbx_mode_kind setup = SBX_MODE_NONE;
    int64_t running = 0;
    if (l && ((rc = sbx_ledger_count(l, counts, &err)) || (rc = sbx_ledger_resources(l, &rs, &err)) ||
              (rc = cli_mode_setup_in(l, &setup, &err)) ||
              (rc = sbx_ledger_plan_running(l, &running, &err)))) {
        sbx_rlist_free(&rs);
        sbx_ledger_close(l);
        return cli_fail(cli, &err);
    }
    struct sbx_mode_facts facts;
    cli_mode_facts(cli, &facts);
    enum sbx_mode_kind runmode = cli_mode_for_run(cli, &facts);
    /* A user of the elevated mode has no marker of their own: the machine
     * ledger holds it. */
    if (setup == SBX_MODE_NONE && sbx_mode_select_run(&facts) == SBX_MODE_ELEVATED)
        setup = SBX_MODE_ELEVATED;

    /* dir fits SBX_PATH_MAX (cli_state_dir), so "dir/ledger.db" fits. */
    char path[SBX_PATH_EXTRA_MAX];
    snprintf(path, sizeof path, "%s/ledger.db", dir);
    const char *ledger_path = l ? sbx_ledger_path(l) : path;
#ifndef _WIN32
    /* The caches of the caller's sandboxes (not the machine's view's). */
    struct cli_cache_info caches = {0};
    char mine[SBX_PATH_MAX], machine_dir[SBX_PATH_MAX];
    struct sbx_error cerr = {0};
    if (!machine && cli_state_dir(cli, false, mine, sizeof mine, &cerr) == 0 &&
        cli_state_dir(cli, true, machine_dir, sizeof machine_dir, &cerr) == 0)
        cli_cache_report(mine, machine_dir, &caches);
    const struct sbx_usage *use[2] = {caches.has_unelevated ? &caches.unelevated_use : NULL,
                                      caches.has_elevated ? &caches.elevated_use : NULL};
#endif
    if (cli->json) {
        struct json j;
        json_init(&j, stdout);
        json_object_begin(&j);
        json_kv_string(&j, "ledger", ledger_path);
        json_kv_string(&j, "ledger_scope", machine ? "machine" : "user");
        json_kv_bool(&j, "ledger_exists", l != NULL);
        json_key(&j, "schema_version");
        if (l)
            json_int(&j, sbx_ledger_schema_version(l));
        else
            json_null(&j);
        json_kv_int(&j, "schema_version_supported", SBX_SCHEMA_VERSION);
        json_kv_string(&j, "mode", sbx_mode_name(runmode));
        json_kv_string(&j, "mode_setup", sbx_mode_name(setup));
        json_kv_string(&j, "privilege", facts.privilege == SBX_PRIV_ADMIN ? "admin" : "user");
        json_key(&j, "resources");
        json_object_begin(&j);
        for (int k = 0; k < SBX_R_KIND_COUNT; k++)
            json_kv_int(&j, sbx_rkind_name((enum sbx_rkind)k), (long long)counts[k]);
        json_object_end(&j);
        json_key(&j, "workspaces");
        json_array_begin(&j);
        for (size_t i = 0; i < rs.len; i++)
            if (rs.items[i].kind == SBX_R_WORKSPACE)
                json_string(&j, rs.items[i].path ? rs.items[i].path : rs.items[i].key);
        json_array_end(&j);
        json_key(&j, "interrupted_plan");
        if (running)
            json_int(&j, running);
        else
            json_null(&j);
        json_key(&j, "members");
        json_array_begin(&j);
        for (size_t i = 0; machine && i < rs.len; i++) {
            struct member_view v;
            if (rs.items[i].kind != SBX_R_MEMBERSHIP)
                continue;
            member_view(&rs.items[i], &v);
            json_object_begin(&j);
            json_kv_string(&j, "user", v.user);
            json_kv_string(&j, "ledger", v.ledger);
            json_kv_bool(&j, "readable", v.readable);
            json_kv_int(&j, "workspaces", (long long)v.workspaces);
            json_key(&j, "interrupted_plan");
            if (v.running)
                json_int(&j, v.running);
            else
                json_null(&j);
            json_object_end(&j);
        }
        json_array_end(&j);
        json_key(&j, "caches");
        json_array_begin(&j);
#ifndef _WIN32
        for (int m = 0; m < 2; m++) {
            if (!use[m])
                continue;
            json_object_begin(&j);
            json_kv_string(&j, "mode", m == 0 ? "unelevated" : "elevated");
            if (m == 0)
                json_kv_string(&j, "path", caches.unelevated);
            json_kv_int(&j, "bytes", (long long)use[m]->bytes);
            json_kv_int(&j, "files", (long long)use[m]->files);
            json_kv_bool(&j, "partial", use[m]->partial);
            json_object_end(&j);
        }
#endif
        json_array_end(&j);
        json_object_end(&j);
        json_end(&j);
    } else {
        printf("ledger:         %s%s%s\n", ledger_path, l ? "" : " (not created yet)",
               machine ? " (the machine's: you have no ledger of your own)" : "");
        if (l)
            printf("schema version: %d\n", sbx_ledger_schema_version(l));
        printf("mode set up:    %s\n", sbx_mode_name(setup));
        printf("sbx run uses:   %s%s\n", sbx_mode_name(runmode),
               runmode == SBX_MODE_NONE ? " (no mode is built for this platform yet)" : "");
        for (size_t i = 0; i < rs.len; i++)
            if (rs.items[i].kind == SBX_R_WORKSPACE)
                printf("workspace:      %s\n", rs.items[i].path ? rs.items[i].path : rs.items[i].key);
        printf("resources:     ");
        size_t total = 0;
        for (int k = 0; k < SBX_R_KIND_COUNT; k++) {
            if (counts[k]) {
                printf(" %s=%zu", sbx_rkind_name((enum sbx_rkind)k), counts[k]);
                total += counts[k];
            }
        }
        printf("%s\n", total ? "" : " none");
        for (size_t i = 0; machine && i < rs.len; i++) {
            struct member_view v;
            if (rs.items[i].kind != SBX_R_MEMBERSHIP)
                continue;
            member_view(&rs.items[i], &v);
            if (!v.readable)
                printf("member:         %s (no ledger of theirs at %s yet)\n", v.user, v.ledger);
            else
                printf("member:         %s, %zu workspace%s%s (ledger %s)\n", v.user,
                       v.workspaces, v.workspaces == 1 ? "" : "s",
                       v.running ? ", a plan left open by a crash: sbx doctor --repair" : "",
                       v.ledger);
        }
#ifndef _WIN32
        for (int m = 0; m < 2; m++) {
            if (!use[m])
                continue;
            char size[32];
            sbx_usage_human(use[m]->bytes, size, sizeof size);
            printf("cache:          %s%s, %llu file%s (%s mode%s%s)\n", use[m]->partial ? "at least " : "",
                   size, (unsigned long long)use[m]->files, use[m]->files == 1 ? "" : "s",
                   m == 0 ? "unelevated" : "elevated",
                   m == 0 ? ": " : ": your sandbox account's", m == 0 ? caches.unelevated : "");
        }
#endif
        if (running)
            printf("interrupted:    plan %lld was left open by a crash; the next sbx setup, "
                   "migrate or cleanup rolls it back (sbx migrate --resume finishes it)\n",
                   (long long)running);
    }
    sbx_rlist_free(&rs);
    sbx_ledger_close(l);
    return SBX_EXIT_OK;
}
