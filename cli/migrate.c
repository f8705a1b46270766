/* SPDX-License-Identifier: MIT */
/* sbx migrate: move to another mode, or to what this version of sbx wants
 * (only the difference is applied); --resume finishes an interrupted plan.
 *
 * A mode's resources live in two ledgers: the machine ledger (root's:
 * accounts, group, firewall, launcher) and each user's own (workspaces and
 * their grants, or the unelevated marker).  Under --state / SBX_STATE both
 * are one ledger and one plan.  Otherwise a migration of another user
 * (--user, as root) is two plans, ordered so that each is whole on its own:
 * to elevated, the machine first (the accounts must exist before they are
 * granted anything), then the user's ledger, converged by a child process
 * running as that user so their files and grants stay theirs; to
 * unelevated, the other way round.  When the second plan fails the first
 * is rolled back. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/converge.h"
#include "cli/facts.h"
#ifndef _WIN32
#include "modes/common/linux/names.h"
#endif
#include "util/limits.h"
#include "util/platform.h"

#ifndef _WIN32
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

static const char help[] =
    "usage: sbx migrate [--to unelevated|elevated] [--user NAME] [--resume] [--dry-run]\n"
    "\n"
    "Without --to: bring what is set up to what this version of sbx wants, applying\n"
    "only the difference (new or changed resources); ledgers of older schemas are\n"
    "upgraded on the way.\n"
    "  --to MODE    move your setup to MODE, carrying every registered workspace: the\n"
    "               new mode's resources are created before the old ones are retired.\n"
    "               To elevated needs the elevated mode set up for you by root.\n"
    "  --user NAME  (as root) migrate NAME: to elevated also sets the elevated mode up\n"
    "               on the machine and lets NAME use it; to unelevated takes NAME out\n"
    "  --resume     finish the plans an interrupted sbx left open, instead of rolling\n"
    "               them back\n"
    "  --dry-run    print the exact plans and change nothing\n";

enum { OPT_TO, OPT_USER, OPT_RESUME, OPT_DRY_RUN };
const struct cli_optdef cli_opts_migrate[] = {
    [OPT_TO] = {"to", true},
    [OPT_USER] = {"user", true},
    [OPT_RESUME] = {"resume", false},
    [OPT_DRY_RUN] = {"dry-run", false},
    {NULL, false},
};

struct migrate_step {
    const char *dir;       /* the ledger's state directory */
    unsigned scopes;       /* CLI_SCOPE_* it holds */
    enum sbx_mode_kind to; /* NONE: the mode it has */
    const char *add_user;  /* machine scope: let this user in */
    const char *drop_user; /* machine scope: take this user out */
    bool create;           /* make the ledger when missing */
    bool dry_run;
    bool retire_shared;    /* machine scope: retire the shared account pair */
};

/* Converge one ledger.  *plan_id: the plan applied (0: nothing changed). */
static int migrate_ledger(const struct sbx_cli *cli, const struct migrate_step *st,
                          int64_t *plan_id, struct sbx_error *err)
{
    *plan_id = 0;
    struct cli_engine ce;
    int rc = cli_engine_open_dir(cli, st->dir, st->create, &ce, err);
    if (rc == -SBX_ENOENT)
        return sbx_err_set(err, SBX_ESTATE, "no mode is set up in %s: use sbx setup", st->dir);
    if (rc)
        return rc;
    struct sbx_resource_list rs = {0};
    const char *ws[CLI_MAX_ARGS];
    size_t n = 0;
    enum sbx_mode_kind have = SBX_MODE_NONE, to = st->to;
    if ((rc = cli_engine_recover(cli, &ce, false, err)) ||
        (rc = cli_mode_setup_in(ce.ledger, &have, err)) ||
        (rc = cli_ledger_workspaces(ce.ledger, &rs, ws, CLI_MAX_ARGS, &n, err)))
        goto out;
    /* A user ledger of the elevated mode has workspaces but no marker. */
    if (have == SBX_MODE_NONE && n > 0 && !(st->scopes & CLI_SCOPE_MACHINE))
        have = SBX_MODE_ELEVATED;
    if (to == SBX_MODE_NONE)
        to = have;
    if (to == SBX_MODE_NONE) {
        rc = sbx_err_set(err, SBX_ESTATE, "no mode is set up in %s: use sbx setup",
                         sbx_ledger_path(ce.ledger));
        goto out;
    }
    /* The machine ledger of a migration to unelevated keeps the elevated
     * mode for its other users: only the one user leaves. */
    if ((st->scopes == CLI_SCOPE_MACHINE) && to == SBX_MODE_UNELEVATED)
        to = have;
    struct converge_request req = {
        .verb = "migrate",
        .scopes = st->scopes,
        .mode = to,
        .workspaces = ws,
        .n_workspaces = n,
        .users = st->add_user ? &st->add_user : NULL,
        .n_users = st->add_user ? 1 : 0,
        .drop_user = st->drop_user,
        .retire_shared_pair = st->retire_shared,
        .dry_run = st->dry_run,
        .plan_out = plan_id,
    };
    if (to != SBX_MODE_NONE)
        rc = cli_converge(cli, &ce, &req, err);
out:
    sbx_rlist_free(&rs);
    cli_engine_close(&ce);
    return rc;
}

#ifndef _WIN32
/* Undo plan_id, the newest committed plan of the ledger in dir. */
static int undo_plan(const struct sbx_cli *cli, const char *dir, int64_t plan_id,
                     struct sbx_error *err)
{
    struct cli_engine ce;
    int rc = cli_engine_open_dir(cli, dir, false, &ce, err);
    if (rc)
        return rc;
    struct sbx_plan p = {0};
    if ((rc = sbx_plan_compute_rollback(ce.ledger, &p, err)) == 0) {
        if (p.undoes != plan_id)
            rc = sbx_err_set(err, SBX_ESTATE,
                             "plan %lld of %s is no longer the newest; roll it back by hand",
                             (long long)plan_id, sbx_ledger_path(ce.ledger));
        else
            rc = sbx_plan_apply(&ce.engine, &p, err);
    }
    sbx_plan_free(&p);
    cli_engine_close(&ce);
    return rc;
}

/* Run migrate_ledger on a user's own ledger as that user:
 * what it creates (the ledger, the grants) is theirs, as if they had run
 * it.  Returns the child's result; *plan_id from the child via a pipe. */
static int as_user(const struct sbx_cli *cli, const char *user, const struct migrate_step *st,
                   int64_t *plan_id, struct sbx_error *err)
{
    struct passwd *pw = getpwnam(user);
    if (!pw)
        return sbx_err_set(err, SBX_EINVAL, "--user %s: there is no such user on this machine",
                           user);
    uid_t uid = pw->pw_uid;
    gid_t gid = pw->pw_gid;
    int fds[2];
    if (pipe(fds) != 0)
        return sbx_err_sys(err, SBX_EIO, errno, "pipe");
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return sbx_err_sys(err, SBX_EIO, errno, "fork");
    }
    if (pid == 0) {
        close(fds[0]);
        struct {
            int rc;
            int64_t plan;
            struct sbx_fault fault;
            struct sbx_error err;
        } out = {0};
        if (initgroups(user, gid) != 0 || setgid(gid) != 0 || setuid(uid) != 0 ||
            getuid() != uid || geteuid() != uid) {
            out.rc = sbx_err_sys(&out.err, SBX_EPERM, errno, "cannot become user %s", user);
        } else {
            out.rc = migrate_ledger(cli, st, &out.plan, &out.err);
        }
        struct sbx_fault *f = NULL;
        if (cli_fault(&f, NULL) == 0)
            out.fault = *f;
        ssize_t w = write(fds[1], &out, sizeof out);
        fflush(NULL); /* the plan it printed */
        _exit(w == (ssize_t)sizeof out ? 0 : 1);
    }
    close(fds[1]);
    struct {
        int rc;
        int64_t plan;
        struct sbx_fault fault;
        struct sbx_error err;
    } in = {0};
    ssize_t got = read(fds[0], &in, sizeof in);
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    /* The child died of SBX_FAULT=crash:K (a power cut, as far as the
     * plans know): the whole command dies with it, leaving both ledgers
     * for the next start to recover, as a real power cut would. */
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && got != (ssize_t)sizeof in)
        sbx_proc_crash();
    if (got != (ssize_t)sizeof in)
        return sbx_err_set(err, SBX_EIO, "migrating the ledger of %s: the child process died",
                           user);
    *plan_id = in.plan;
    /* The parent's later plans (a rollback) go on counting from where the
     * child stopped, a fault it fired included. */
    struct sbx_fault *f = NULL;
    if (cli_fault(&f, NULL) == 0)
        *f = in.fault;
    if (in.rc)
        *err = in.err;
    return in.rc;
}
#endif

/* --resume: every ledger this migration may have left open. */
static int resume_all(const struct sbx_cli *cli, const char *const *dirs, size_t n,
                      struct sbx_error *err)
{
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        struct cli_engine ce;
        int rc = cli_engine_open_dir(cli, dirs[i], false, &ce, err);
        if (rc == -SBX_ENOENT)
            continue;
        if (rc)
            return rc;
        int64_t running = 0;
        if ((rc = sbx_ledger_plan_running(ce.ledger, &running, err)) == 0 && running) {
            any = true;
            rc = cli_engine_recover(cli, &ce, true, err);
        }
        cli_engine_close(&ce);
        if (rc)
            return rc;
    }
    if (!any)
        return sbx_err_set(err, SBX_ESTATE, "no interrupted plan to resume");
    return 0;
}

#ifndef _WIN32
/* A migration of another user is two plans; until both are through, the
 * machine ledger says which (user, mode) it was, so that --resume can run
 * a half that a crash kept from starting. */
static int pending_set(const struct sbx_cli *cli, const char *machine, const char *user,
                       enum sbx_mode_kind to, struct sbx_error *err)
{
    struct cli_engine ce;
    int rc = cli_engine_open_dir(cli, machine, true, &ce, err);
    if (rc)
        return rc;
    char value[300] = "";
    if (user)
        snprintf(value, sizeof value, "%s %s", sbx_mode_name(to), user);
    rc = sbx_ledger_meta_set(ce.ledger, "pending_migration", value, err);
    /* The record itself is no plan: keep the ledger even when fresh. */
    ce.fresh = ce.fresh && !user;
    cli_engine_close(&ce);
    return rc;
}

static int pending_get(const struct sbx_cli *cli, const char *machine, char *user, size_t len,
                       enum sbx_mode_kind *to)
{
    (void)cli;
    struct sbx_ledger *l = NULL;
    char value[300];
    int rc = sbx_ledger_open(machine, SBX_LEDGER_READONLY, &l, NULL);
    if (rc == 0)
        rc = sbx_ledger_meta_get(l, "pending_migration", value, sizeof value, NULL);
    sbx_ledger_close(l);
    char *space = rc == 0 ? strchr(value, ' ') : NULL;
    if (!space)
        return -SBX_ENOENT;
    *space = '\0';
    if (sbx_mode_parse(value, false, to, NULL) != 0)
        return -SBX_ENOENT;
    snprintf(user, len, "%s", space + 1);
    return 0;
}

/* Both halves of `sbx migrate --to TO --user USER`, in the safe order. */
static int migrate_user(const struct sbx_cli *cli, const char *machine, const char *user,
                        enum sbx_mode_kind to, bool dry_run, struct sbx_error *err)
{
    char theirs[SBX_PATH_MAX];
    int rc = sbx_user_state_dir(user, theirs, sizeof theirs, err);
    if (rc)
        return rc;
    int64_t first = 0, second = 0;
    struct migrate_step m = {machine, CLI_SCOPE_MACHINE, SBX_MODE_ELEVATED, NULL, NULL,
                             to == SBX_MODE_ELEVATED, dry_run, false};
    struct migrate_step u = {theirs, CLI_SCOPE_USER, to, NULL, NULL, to == SBX_MODE_ELEVATED,
                             dry_run, false};
    if (!dry_run && (to == SBX_MODE_ELEVATED || sbx_fs_exists(machine)) &&
        (rc = pending_set(cli, machine, user, to, err)))
        return rc;
    if (to == SBX_MODE_ELEVATED) {
        m.add_user = user;
        if ((rc = migrate_ledger(cli, &m, &first, err)))
            goto done;
        if (dry_run) {
            cli_info(cli, "sbx migrate: then, as %s, their own ledger %s", user, theirs);
            struct sbx_error uerr = {0};
            if (as_user(cli, user, &u, &second, &uerr))
                cli_info(cli, "sbx migrate: (the user's part can't be planned before the "
                              "machine's is applied: %s)", uerr.msg);
            return 0;
        }
        if ((rc = as_user(cli, user, &u, &second, err)) && first) {
            struct sbx_error uerr = {0};
            int urc = undo_plan(cli, machine, first, &uerr);
            sbx_err_wrap(err, "migrating the ledger of %s failed, so the machine's plan %lld "
                              "was %s", user, (long long)first,
                         urc ? "NOT rolled back (see sbx doctor)" : "rolled back");
        }
        goto done;
    }
    /* To unelevated: the user's ledger first, then their membership.  Root
     * converges the user's ledger itself: only root can strip the grants
     * from the files the sandbox accounts own and give those files back to
     * the user (the ledger's files stay the user's). */
    m.drop_user = user;
    if ((rc = migrate_ledger(cli, &u, &first, err)))
        goto done;
    if (sbx_fs_exists(machine) && (rc = migrate_ledger(cli, &m, &second, err)) && first &&
        !dry_run) {
        struct sbx_error uerr = {0};
        int urc = undo_plan(cli, theirs, first, &uerr);
        sbx_err_wrap(err, "taking %s out of the elevated mode failed, so their plan %lld was %s",
                     user, (long long)first,
                     urc ? "NOT rolled back (see sbx doctor)" : "rolled back");
    }
done:
    /* Through, or rolled back: nothing left for --resume either way. */
    if (!dry_run && sbx_fs_exists(machine)) {
        struct sbx_error perr = {0};
        pending_set(cli, machine, NULL, SBX_MODE_NONE, &perr);
    }
    return rc;
}
#endif

#ifndef _WIN32
/* Does the ledger in dir hold a resource that matches?  *found also when
 * dir can't be read. */
static void ledger_holds(const char *dir, bool (*match)(const struct sbx_resource *r,
                                                        const struct sbx_elevated_names *n),
                         const struct sbx_elevated_names *n, bool *found)
{
    struct sbx_ledger *l = NULL;
    struct sbx_resource_list rs = {0};
    if (sbx_ledger_open(dir, SBX_LEDGER_READONLY, &l, NULL) == -SBX_ENOENT)
        return;
    if (!l || sbx_ledger_resources(l, &rs, NULL) != 0) {
        *found = true;
    } else {
        for (size_t i = 0; i < rs.len && !*found; i++)
            *found = match(&rs.items[i], n);
    }
    sbx_rlist_free(&rs);
    sbx_ledger_close(l);
}

/* The shared pair's accounts, or a grant to them. */
static bool of_shared_pair(const struct sbx_resource *r, const struct sbx_elevated_names *n)
{
    char g[64] = "";
    return (r->kind == SBX_R_ACCOUNT && r->name &&
            (strcmp(r->name, n->offline) == 0 || strcmp(r->name, n->online) == 0)) ||
           (r->kind == SBX_R_ACL_ENTRY && sbx_detail_get(r->detail, "grantee", g, sizeof g) == 0 &&
            (strcmp(g, n->offline) == 0 || strcmp(g, n->online) == 0));
}

static void names_shared_pair(const char *dir, const struct sbx_elevated_names *n, bool *found)
{
    ledger_holds(dir, of_shared_pair, n, found);
}

/* A traverse entry on a workspace's ancestor, which sbx no longer makes
 * (the launcher's home skeleton: issue 12 item 14). */
static bool traverse_entry(const struct sbx_resource *r, const struct sbx_elevated_names *n)
{
    char e[16] = "";
    return !n->traverse && r->kind == SBX_R_ACL_ENTRY &&
           sbx_detail_get(r->detail, "entry", e, sizeof e) == 0 && strcmp(e, "traverse") == 0;
}

/* Root's `sbx migrate` on a machine set up before per-member pairs, after
 * the machine's plan made each member's own pair: each member's ledger is
 * converged (by root, who alone can give back what the shared accounts
 * made) so their workspaces are granted to their own pair and no longer to
 * the shared one; once no ledger names the shared pair, a last machine plan
 * retires it.  Each is a plan of its own, whole on its own: a failure or a
 * crash leaves the shared pair in place, and running `sbx migrate` again
 * goes on from there.  A member's ledger that still records traverse
 * entries of an older sbx is converged the same way (they are revoked). */
static int move_members(const struct sbx_cli *cli, const char *machine, const char *mine,
                        bool dry_run, struct sbx_error *err)
{
    struct sbx_elevated_names n;
    bool shared = false;
    int rc = sbx_elevated_names(&n, err);
    if (rc)
        return rc;
    names_shared_pair(machine, &n, &shared);
    sbx_cleanup(cli_paths_free) struct cli_paths members = {0};
    if ((rc = cli_member_ledgers(machine, &members, err)))
        return rc;
    for (size_t i = 0; i < members.n; i++) {
        if (strcmp(members.v[i], machine) == 0 || strcmp(members.v[i], mine) == 0 ||
            !cli_ledger_exists(members.v[i]))
            continue;
        bool old = shared;
        if (!old)
            ledger_holds(members.v[i], traverse_entry, &n, &old);
        if (!old)
            continue;
        struct migrate_step st = {members.v[i], CLI_SCOPE_USER, SBX_MODE_NONE, NULL, NULL,
                                  false, dry_run, false};
        int64_t plan = 0;
        if ((rc = migrate_ledger(cli, &st, &plan, err)))
            return sbx_err_wrap(err, "bringing the grants of %s up to date",
                                members.v[i]);
    }
    if (!shared)
        return 0;
    if (dry_run) {
        cli_info(cli, "sbx migrate: then the shared accounts %s and %s are retired", n.offline,
                 n.online);
        return 0;
    }
    bool still = false;
    for (size_t i = 0; i < members.n && !still; i++)
        if (strcmp(members.v[i], machine) != 0)
            names_shared_pair(members.v[i], &n, &still);
    if (cli_ledger_exists(mine))
        names_shared_pair(mine, &n, &still);
    if (still)
        return sbx_err_set(err, SBX_ESTATE,
                           "a member's ledger still grants the shared accounts %s and %s: they "
                           "stay until it no longer does (see sbx doctor)",
                           n.offline, n.online);
    struct migrate_step ms = {machine, CLI_SCOPE_MACHINE, SBX_MODE_NONE, NULL, NULL, false,
                              false, true};
    int64_t plan = 0;
    return migrate_ledger(cli, &ms, &plan, err);
}
#endif

int cmd_migrate(struct sbx_cli *cli, int argc, char **argv)
{
    struct sbx_error err = {0};
    struct cli_args args;
    int start = cli_start(cli, argc, argv, cli_opts_migrate, CLI_POS_NONE, help, &args);
    if (start != CLI_CONTINUE)
        return start;
    enum sbx_mode_kind to = SBX_MODE_NONE;
    const char *user = NULL;
    bool resume = false, dry_run = false;
    for (size_t i = 0; i < args.n_opts; i++) {
        const struct cli_optval *o = &args.opts[i];
        if (o->def == OPT_TO && sbx_mode_parse(o->value, false, &to, &err))
            return cli_fail(cli, &err);
        if (o->def == OPT_USER)
            user = o->value;
        resume |= o->def == OPT_RESUME;
        dry_run |= o->def == OPT_DRY_RUN;
    }
    if (resume && (to != SBX_MODE_NONE || dry_run))
        return cli_usage_error(cli, "--resume finishes the interrupted plan and takes no --to "
                                    "or --dry-run");
    if (to != SBX_MODE_NONE && !cli_mode_ops(to, &err))
        return cli_fail(cli, &err);
    enum sbx_privilege priv = SBX_PRIV_USER;
    if (cli_privilege(&priv, &err))
        return cli_fail(cli, &err);
    if (user && priv != SBX_PRIV_ADMIN) {
        sbx_err_set(&err, SBX_EPERM, "--user changes another user's setup: run it as root");
        return cli_fail(cli, &err);
    }
    if (user && to == SBX_MODE_NONE && !resume)
        return cli_usage_error(cli, "--user needs --to elevated or --to unelevated");

    char machine[SBX_PATH_MAX], mine[SBX_PATH_MAX];
    if (cli_state_dir(cli, true, machine, sizeof machine, &err) ||
        cli_state_dir(cli, false, mine, sizeof mine, &err))
        return cli_fail(cli, &err);
    bool shared = strcmp(machine, mine) == 0;
    int rc = 0;
    int64_t first = 0, second = 0;

    if (shared) {
        /* One ledger holds everything: one plan. */
        const char *dirs[] = {mine};
        if (resume)
            rc = resume_all(cli, dirs, 1, &err);
        else {
            struct migrate_step st = {mine, CLI_SCOPE_MACHINE | CLI_SCOPE_USER, to, user, NULL,
                                      false, dry_run, false};
            rc = migrate_ledger(cli, &st, &first, &err);
        }
        return rc ? cli_fail(cli, &err) : SBX_EXIT_OK;
    }

    if (!user) {
        /* Your own ledger; as root without --to, the machine's too. */
        size_t n = priv == SBX_PRIV_ADMIN ? 2 : 1;
        if (resume) {
            /* Root: the users' ledgers too (a cleanup or a migration of
             * theirs that root ran), between root's own and the machine's. */
            sbx_cleanup(cli_paths_free) struct cli_paths members = {0}, all = {0};
            if ((n == 2 && cli_member_ledgers(machine, &members, &err) != 0) ||
                cli_paths_add(&all, mine, &err) != 0)
                return cli_fail(cli, &err);
            for (size_t i = 0; i < members.n; i++)
                if (strcmp(members.v[i], mine) != 0 && strcmp(members.v[i], machine) != 0 &&
                    cli_paths_add(&all, members.v[i], &err) != 0)
                    return cli_fail(cli, &err);
            if (n == 2 && cli_paths_add(&all, machine, &err) != 0)
                return cli_fail(cli, &err);
            rc = resume_all(cli, (const char *const *)all.v, all.n, &err);
#ifndef _WIN32
            /* Root: a migration of another user whose second half a crash
             * kept from starting is finished too. */
            char pending_user[256] = "";
            enum sbx_mode_kind pending_to = SBX_MODE_NONE;
            if (n == 2 && (rc == 0 || rc == -SBX_ESTATE) &&
                pending_get(cli, machine, pending_user, sizeof pending_user, &pending_to) == 0) {
                cli_info(cli, "sbx migrate: finishing the migration of %s to the %s mode",
                         pending_user, sbx_mode_name(pending_to));
                rc = migrate_user(cli, machine, pending_user, pending_to, false, &err);
            }
#endif
            return rc ? cli_fail(cli, &err) : SBX_EXIT_OK;
        }
        if (to == SBX_MODE_ELEVATED) {
            struct sbx_mode_facts facts;
            cli_mode_facts(cli, &facts);
            if (sbx_mode_select_run(&facts) != SBX_MODE_ELEVATED) {
                sbx_err_set(&err, SBX_ESTATE,
                            "the elevated mode is not set up for you on this machine: root runs "
                            "sbx migrate --to elevated --user YOU (or sbx setup --user YOU)");
                return cli_fail(cli, &err);
            }
        }
        /* Root after an upgrade of sbx: the machine's setup is what there
         * is to bring up to date; root's own ledger only when it has one. */
        bool machine_only = n == 2 && to == SBX_MODE_NONE && cli_ledger_exists(machine) &&
                            !cli_ledger_exists(mine);
        struct migrate_step st = {mine, CLI_SCOPE_USER, to, NULL, NULL, false, dry_run,
                                  false};
        if ((machine_only || (rc = migrate_ledger(cli, &st, &first, &err)) == 0) && n == 2 &&
            to == SBX_MODE_NONE && sbx_fs_exists(machine)) {
            struct migrate_step ms = {machine, CLI_SCOPE_MACHINE, SBX_MODE_NONE, NULL, NULL,
                                      false, dry_run, false};
            rc = migrate_ledger(cli, &ms, &second, &err);
#ifndef _WIN32
            if (rc == 0)
                rc = move_members(cli, machine, mine, dry_run, &err);
#endif
        }
        return rc ? cli_fail(cli, &err) : SBX_EXIT_OK;
    }

#ifdef _WIN32
    (void)resume;
    sbx_err_set(&err, SBX_ENOTSUP,
                "--user is not supported on Windows: the account passwords are protected for "
                "the user who runs sbx; run sbx migrate as that user");
    return cli_fail(cli, &err);
#else
    if (resume) {
        /* Every open plan, then the half of a migration a crash kept from
         * starting at all (recorded in the machine ledger). */
        char theirs[SBX_PATH_MAX];
        const char *dirs[] = {machine, theirs};
        if (sbx_user_state_dir(user, theirs, sizeof theirs, &err))
            return cli_fail(cli, &err);
        rc = resume_all(cli, dirs, 2, &err);
        char pending_user[256] = "";
        enum sbx_mode_kind pending_to = SBX_MODE_NONE;
        if (pending_get(cli, machine, pending_user, sizeof pending_user, &pending_to) == 0 &&
            strcmp(pending_user, user) == 0) {
            cli_info(cli, "sbx migrate: finishing the migration of %s to the %s mode", user,
                     sbx_mode_name(pending_to));
            rc = migrate_user(cli, machine, user, pending_to, false, &err);
        } else if (rc == -SBX_ESTATE) {
            return cli_fail(cli, &err);
        }
        return rc ? cli_fail(cli, &err) : SBX_EXIT_OK;
    }
    /* Two plans, one JSON document: the child converging the user's
     * ledger inherits the open "plans" array (and its comma state) and
     * adds its plan to it on the same stdout. */
    struct json *j = &cli->plans_doc;
    if (cli->json) {
        json_init(j, stdout);
        json_object_begin(j);
        json_kv_string(j, "verb", "migrate");
        json_kv_bool(j, "dry_run", dry_run);
        json_key(j, "plans");
        json_array_begin(j);
        cli->plans_out = j;
    }
    rc = migrate_user(cli, machine, user, to, dry_run, &err);
    if (cli->json) {
        cli->plans_out = NULL;
        json_array_end(j);
        json_kv_bool(j, "ok", rc == 0);
        if (rc) {
            json_key(j, "error");
            json_object_begin(j);
            json_kv_string(j, "code", sbx_errc_name(err.code));
            json_kv_string(j, "message", err.msg);
            json_object_end(j);
        }
        json_object_end(j);
        json_end(j);
        cli->json = false; /* the document is out: the error goes to stderr only */
    }
    return rc ? cli_fail(cli, &err) : SBX_EXIT_OK;
#endif
}
