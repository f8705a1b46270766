/* SPDX-License-Identifier: MIT */
/* Shared by the subcommands: option parsing, messages, opening the engine. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "util/limits.h"
#include "util/platform.h"

#ifdef SBX_WITH_FAKE_OS
#include "modes/os/fake/fake.h"
#endif

#ifndef _WIN32
#include <unistd.h>

#include "modes/confine/linux/placeholders.h"
#include "modes/confine/linux/plants_cache.h"
#else
#include <io.h>
#define isatty _isatty
#endif

const char *const cli_common_opts[] = {"state", "json", "quiet", "verbose", "help", NULL};

static int common_option(struct sbx_cli *cli, const char *name, const char *value)
{
    if (strcmp(name, "state") == 0)
        cli->state_opt = value;
    else if (strcmp(name, "json") == 0)
        cli->json = true;
    else if (strcmp(name, "quiet") == 0)
        cli->quiet = true;
    else if (strcmp(name, "verbose") == 0)
        cli->verbose = true;
    else if (strcmp(name, "help") == 0)
        cli->help = true;
    else
        return -1;
    return 0;
}

int cli_parse(struct sbx_cli *cli, int argc, char **argv, const struct cli_optdef *defs,
              bool stop_at_command, struct cli_args *out, struct sbx_error *err)
{
    memset(out, 0, sizeof *out);
    int i = 0;
    static char *empty[] = {NULL};
    for (; i < argc; i++) {
        char *arg = argv[i];
        if (strcmp(arg, "--") == 0) {
            i++;
            break;
        }
        if (strcmp(arg, "-h") == 0) {
            cli->help = true;
            continue;
        }
        if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
            if (stop_at_command)
                break;
            if (arg[0] == '-' && arg[1] != '\0')
                return sbx_err_set(err, SBX_EINVAL, "unknown option %s for sbx %s", arg, cli->cmd);
            continue; /* positional among options: collected below */
        }
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        char namebuf[64];
        if (nlen >= sizeof namebuf)
            return sbx_err_set(err, SBX_EINVAL, "unknown option %s for sbx %s", arg, cli->cmd);
        memcpy(namebuf, name, nlen);
        namebuf[nlen] = '\0';

        bool is_common = false, common_arg = false;
        for (size_t c = 0; cli_common_opts[c]; c++)
            if (strcmp(namebuf, cli_common_opts[c]) == 0) {
                is_common = true;
                common_arg = c == 0;
            }
        int def = -1;
        for (int d = 0; !is_common && defs && defs[d].name; d++)
            if (strcmp(namebuf, defs[d].name) == 0)
                def = d;
        if (!is_common && def < 0)
            return sbx_err_set(err, SBX_EINVAL, "unknown option --%s for sbx %s", namebuf,
                               cli->cmd);
        bool has_arg = is_common ? common_arg : defs[def].has_arg;
        const char *value = NULL;
        if (has_arg) {
            if (eq) {
                value = eq + 1;
            } else if (i + 1 < argc) {
                value = argv[++i];
            } else {
                return sbx_err_set(err, SBX_EINVAL, "option --%s of sbx %s needs a value", namebuf,
                                   cli->cmd);
            }
            if (!*value)
                return sbx_err_set(err, SBX_EINVAL, "option --%s of sbx %s needs a non-empty value",
                                   namebuf, cli->cmd);
        } else if (eq) {
            return sbx_err_set(err, SBX_EINVAL, "option --%s of sbx %s takes no value", namebuf,
                               cli->cmd);
        }
        if (is_common) {
            common_option(cli, namebuf, value);
            continue;
        }
        if (out->n_opts == CLI_MAX_ARGS)
            return sbx_err_set(err, SBX_EINVAL, "too many options for sbx %s", cli->cmd);
        out->opts[out->n_opts++] = (struct cli_optval){def, value};
    }
    if (stop_at_command) {
        out->positional = i < argc ? argv + i : empty;
        out->n_positional = argc - i;
        return 0;
    }
    /* Positionals may sit among the options (sbx workspace add DIR --json). */
    out->positional = out->positional_buf;
    int skip_next = 0;
    for (int k = 0; k < argc; k++) {
        char *arg = argv[k];
        if (skip_next) {
            skip_next = 0;
            continue;
        }
        if (out->n_positional == CLI_MAX_ARGS)
            return sbx_err_set(err, SBX_EINVAL, "too many arguments for sbx %s", cli->cmd);
        if (k >= i) { /* after "--" */
            out->positional[out->n_positional++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0 || strcmp(arg, "-h") == 0)
            continue;
        if (strncmp(arg, "--", 2) == 0) {
            const char *name = arg + 2;
            if (strchr(name, '='))
                continue;
            bool has_arg = strcmp(name, "state") == 0;
            for (int d = 0; defs && defs[d].name; d++)
                if (strcmp(name, defs[d].name) == 0)
                    has_arg = defs[d].has_arg;
            skip_next = has_arg;
            continue;
        }
        out->positional[out->n_positional++] = arg;
    }
    return 0;
}

int cli_start(struct sbx_cli *cli, int argc, char **argv, const struct cli_optdef *defs,
              enum cli_positional pos, const char *help, struct cli_args *args)
{
    struct sbx_error err = {0};
    if (cli_parse(cli, argc, argv, defs, pos == CLI_POS_COMMAND, args, &err))
        return cli_fail(cli, &err);
    if (cli->help) {
        cli_print_help(help);
        return SBX_EXIT_OK;
    }
    if (pos == CLI_POS_NONE && args->n_positional > 0)
        return cli_usage_error(cli, "unexpected argument '%s'", args->positional[0]);
    return CLI_CONTINUE;
}

int cli_fail(const struct sbx_cli *cli, const struct sbx_error *err)
{
    fprintf(stderr, "sbx%s%s: error: %s\n", cli->cmd ? " " : "", cli->cmd ? cli->cmd : "",
            err->msg[0] ? err->msg : "unknown error");
    if (cli->json) {
        struct json j;
        json_init(&j, stdout);
        json_object_begin(&j);
        json_kv_bool(&j, "ok", false);
        json_key(&j, "error");
        json_object_begin(&j);
        json_kv_string(&j, "code", sbx_errc_name(err->code));
        json_kv_string(&j, "message", err->msg);
        json_object_end(&j);
        json_object_end(&j);
        json_end(&j);
    }
    return SBX_EXIT_FAIL;
}

int cli_usage_error(const struct sbx_cli *cli, const char *fmt, ...)
{
    struct sbx_error err = {.code = SBX_EINVAL};
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err.msg, sizeof err.msg, fmt, ap);
    va_end(ap);
    size_t len = strlen(err.msg);
    snprintf(err.msg + len, sizeof err.msg - len, " (see sbx %s --help)", cli->cmd ? cli->cmd : "");
    return cli_fail(cli, &err);
}

void cli_info(const struct sbx_cli *cli, const char *fmt, ...)
{
    if (cli->quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void cli_print_help(const char *text)
{
    fputs(text, stdout);
}

int cli_state_dir(const struct sbx_cli *cli, bool machine, char *out, size_t len,
                  struct sbx_error *err)
{
    const char *dir = cli->state_opt ? cli->state_opt : getenv("SBX_STATE");
    /* The machine ledger alone can be moved with SBX_MACHINE_STATE (tests,
     * unusual installs); nothing trusts it blindly: the launcher reads
     * only its root-owned configuration, and sbx checks that it is. */
    if ((!dir || !*dir) && machine)
        dir = getenv("SBX_MACHINE_STATE");
    if (dir && *dir) {
        if (snprintf(out, len, "%s", dir) >= (int)len)
            return sbx_err_set(err, SBX_EINVAL, "state directory path too long: %s", dir);
        return 0;
    }
    return sbx_default_state_dir(machine, out, len, err);
}

static bool ledger_in(const char *dir)
{
    char path[SBX_PATH_EXTRA_MAX];
    struct stat st;
    return snprintf(path, sizeof path, "%s/ledger.db", dir) < (int)sizeof path &&
           stat(path, &st) == 0;
}

int cli_view_state_dir(const struct sbx_cli *cli, char *out, size_t len, bool *machine,
                       struct sbx_error *err)
{
    *machine = false;
    int rc = cli_state_dir(cli, false, out, len, err);
    const char *chosen = cli->state_opt ? cli->state_opt : getenv("SBX_STATE");
    if (rc || (chosen && *chosen) || ledger_in(out))
        return rc;
    enum sbx_privilege priv = SBX_PRIV_USER;
    char mdir[SBX_PATH_MAX];
    struct sbx_error ignored = {0};
    if (cli_privilege(&priv, &ignored) == 0 && priv == SBX_PRIV_ADMIN &&
        cli_state_dir(cli, true, mdir, sizeof mdir, &ignored) == 0 && ledger_in(mdir)) {
        if (snprintf(out, len, "%s", mdir) >= (int)len)
            return sbx_err_set(err, SBX_EINVAL, "state directory path too long: %s", mdir);
        *machine = true;
    }
    return 0;
}

int cli_open_os(struct sbx_os **out, struct sbx_error *err)
{
#ifdef SBX_WITH_FAKE_OS
    /* Test builds only: the whole CLI against the in-memory machine. */
    const char *fake = getenv("SBX_FAKE_OS");
    if (fake && *fake)
        return sbx_fake_os_open(fake, out, err);
#endif
    return sbx_os_open_native(out, err);
}

int cli_privilege(enum sbx_privilege *out, struct sbx_error *err)
{
    struct sbx_os *os = NULL;
    *out = SBX_PRIV_USER;
    int rc = cli_open_os(&os, err);
    if (rc)
        return rc;
    rc = sbx_os_privilege(os, out, err);
    sbx_os_destroy(os);
    return rc;
}

static void progress_tty(void *ctx, const struct sbx_plan *p, size_t done)
{
    (void)ctx;
    fprintf(stderr, "\r  %s: %zu/%zu operations", p->verb, done, p->n_ops);
    if (done >= p->n_ops)
        fputc('\n', stderr);
    fflush(stderr);
}

/* How long a plan waits for another one to finish: SBX_LOCK_TIMEOUT
 * seconds (0: fail at once), 30 by default. */
static unsigned cli_lock_wait_ms(void)
{
    const char *s = getenv("SBX_LOCK_TIMEOUT");
    if (!s || !*s)
        return 30000;
    char *end = NULL;
    unsigned long v = strtoul(s, &end, 10);
    return (*end || v > 3600) ? 30000 : (unsigned)v * 1000;
}

static void progress_os_tty(void *ctx, const char *what, unsigned long long done,
                            unsigned long long total)
{
    (void)ctx;
    if (total)
        fprintf(stderr, "\r  %s: %llu/%llu", what, done, total);
    else
        fprintf(stderr, "\r  %s: %llu", what, done);
    if (total && done >= total)
        fputc('\n', stderr);
    fflush(stderr);
}

int cli_engine_open(const struct sbx_cli *cli, bool machine, struct cli_engine *ce,
                    struct sbx_error *err)
{
    memset(ce, 0, sizeof *ce);
    char dir[SBX_PATH_MAX];
    int rc = cli_state_dir(cli, machine, dir, sizeof dir, err);
    if (rc)
        return rc;
    return cli_engine_open_dir(cli, dir, true, ce, err);
}

int cli_fault(struct sbx_fault **out, struct sbx_error *err)
{
    /* One counter for the whole command (its plans, in order; the child
     * that converges a user's ledger reports its count back), so
     * SBX_FAULT's K reaches every operation of a command made of several
     * plans. */
    static struct sbx_fault fault;
    static bool parsed;
    if (!parsed) {
        int rc = sbx_fault_parse(getenv("SBX_FAULT"), &fault, err);
        if (rc)
            return rc;
        parsed = true;
    }
    *out = &fault;
    return 0;
}

bool cli_ledger_exists(const char *dir)
{
    char path[SBX_PATH_EXTRA_MAX];
    /* A name that does not fit names no ledger sbx could have made. */
    if (snprintf(path, sizeof path, "%s%cledger.db", dir, SBX_PATH_SEP) >= (int)sizeof path)
        return false;
    return sbx_fs_exists(path);
}

int cli_paths_add(struct cli_paths *p, const char *path, struct sbx_error *err)
{
    char *copy = strdup(path);
    char **v = copy ? realloc(p->v, (p->n + 1) * sizeof *v) : NULL;
    if (!v) {
        free(copy);
        return sbx_err_set(err, SBX_ENOMEM, "out of memory (listing %s)", path);
    }
    v[p->n++] = copy;
    p->v = v;
    return 0;
}

void cli_paths_free(struct cli_paths *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->v[i]);
    free(p->v);
    p->v = NULL;
    p->n = 0;
}

int cli_engine_open_dir(const struct sbx_cli *cli, const char *dir, bool create,
                        struct cli_engine *ce, struct sbx_error *err)
{
    memset(ce, 0, sizeof *ce);
    struct sbx_fault *fault = NULL;
    int rc;
    if ((rc = cli_fault(&fault, err)))
        return rc;
    if ((rc = cli_open_os(&ce->os, err)))
        return rc;
    ce->fresh = create && !cli_ledger_exists(dir);
    if ((rc = sbx_ledger_open(dir, create ? SBX_LEDGER_CREATE : 0, &ce->ledger, err)) ||
        (rc = sbx_ledger_lock(ce->ledger, cli_lock_wait_ms(), err))) {
        cli_engine_close(ce);
        return rc;
    }
    ce->engine = (struct sbx_engine){.ledger = ce->ledger, .os = ce->os, .fault = fault};
    if (!cli->quiet && !cli->json && isatty(2)) {
        ce->engine.progress = progress_tty;
        ce->os->progress = progress_os_tty;
    }
    return 0;
}

int cli_engine_open_existing(const struct sbx_cli *cli, bool machine, const char *missing,
                             struct cli_engine *ce, struct sbx_error *err)
{
    memset(ce, 0, sizeof *ce);
    char dir[SBX_PATH_MAX];
    bool is_machine;
    int rc = machine ? cli_state_dir(cli, true, dir, sizeof dir, err)
                     : cli_view_state_dir(cli, dir, sizeof dir, &is_machine, err);
    if (rc)
        return rc;
    rc = cli_engine_open_dir(cli, dir, false, ce, err);
    if (rc == -SBX_ENOENT)
        return sbx_err_set(err, SBX_ESTATE, "%s: there is no ledger in %s", missing, dir);
    return rc;
}

int cli_engine_recover(const struct sbx_cli *cli, struct cli_engine *ce, bool resume,
                       struct sbx_error *err)
{
    bool found = false;
    int rc = sbx_plan_recover(&ce->engine, resume, &found, err);
    if (rc)
        return sbx_err_wrap(err, "recovering an interrupted plan");
    if (found)
        cli_info(cli, "sbx: an interrupted plan was found and %s",
                 resume ? "resumed to its end" : "rolled back");
    return 0;
}

#ifndef _WIN32
static void placeholder_note(const char *text, void *ctx)
{
    const struct sbx_cli *cli = ctx;
    if (cli && !cli->json && !cli->quiet)
        printf("%s\n", text);
}

int cli_clear_placeholders(const struct sbx_cli *cli, const char *dir, bool dry_run, bool *did,
                           struct sbx_error *err)
{
    char records[SBX_PATH_EXTRA_MAX];
    if (snprintf(records, sizeof records, "%s/placeholders", dir) >= (int)sizeof records)
        return sbx_err_set(err, SBX_EINVAL, "state directory path too long: %s", dir);
    if (!sbx_fs_exists(records))
        return 0;
    *did = true;
    size_t left = 0;
    int rc = sbx_placeholders_clear(records, dry_run, placeholder_note, (void *)cli, &left, err);
    if (rc == 0 && left && !dry_run)
        rc = sbx_err_set(err, SBX_ELOCKED, "%zu workspace(s) still have sbx's placeholders (a run "
                         "on them is going on): run `sbx cleanup` again when it is over", left);
    return rc;
}
#endif

#ifndef _WIN32
int cli_clear_run_tmp(const struct sbx_cli *cli, const char *dir, bool dry_run, bool *did,
                      struct sbx_error *err)
{
    char tmp[SBX_PATH_EXTRA_MAX];
    if (snprintf(tmp, sizeof tmp, "%s/tmp", dir) >= (int)sizeof tmp)
        return sbx_err_set(err, SBX_EINVAL, "state directory path too long: %s", dir);
    struct stat st;
    if (lstat(tmp, &st) != 0 || !S_ISDIR(st.st_mode))
        return 0;
    *did = true;
    if (dry_run) {
        if (cli && !cli->json && !cli->quiet)
            printf("would remove directory %s (sbx run's TMPDIR mount point)\n", tmp);
        return 0;
    }
    if (rmdir(tmp) == 0 || errno == ENOENT)
        return 0;
    if (errno == ENOTEMPTY || errno == EEXIST) {
        /* never written by a run (each covered it with a tmpfs): what is
         * in it was put there by hand, and stays */
        if (cli)
            cli_info(cli, "sbx: kept %s: it holds files sbx did not put there", tmp);
        return 0;
    }
    return sbx_err_sys(err, SBX_EIO, errno, "remove %s", tmp);
}
#endif

/* The ledger's files and the directories sbx made for them. */
int cli_remove_state(const struct sbx_cli *cli, const char *dir, const char *created_root,
                        bool dry_run, struct sbx_error *err)
{
    static const char *const files[] = {"ledger.db", "ledger.db-wal", "ledger.db-shm",
                                        "plan.lock"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[SBX_PATH_EXTRA_MAX];
        if (snprintf(path, sizeof path, "%s%c%s", dir, SBX_PATH_SEP, files[i]) >=
            (int)sizeof path)
            return sbx_err_set(err, SBX_EINVAL, "state directory path too long: %s", dir);
        if (!sbx_fs_exists(path))
            continue;
        if (dry_run) {
            if (cli && !cli->json && !cli->quiet)
                printf("would remove file %s\n", path);
        } else if (remove(path) != 0) {
            return sbx_err_set(err, SBX_EIO, "cannot remove %s", path);
        }
    }
#ifndef _WIN32
    bool placeholders = false;
    int prc = cli_clear_placeholders(cli, dir, dry_run, &placeholders, err);
    if (prc == 0)
        prc = cli_clear_run_tmp(cli, dir, dry_run, &placeholders, err);
    if (prc < 0)
        return prc;
    /* The records of the searches for files tools run (`sbx run`). */
    char plants[SBX_PATH_EXTRA_MAX];
    if (snprintf(plants, sizeof plants, "%s/plants", dir) >= (int)sizeof plants)
        return sbx_err_set(err, SBX_EINVAL, "state directory path too long: %s", dir);
    if (dry_run) {
        if (cli && !cli->json && !cli->quiet && sbx_fs_exists(plants))
            printf("would remove directory %s (sbx run's records)\n", plants);
    } else if (sbx_plants_cache_clear(plants, err) != 0) {
        return -SBX_EIO;
    }
#endif
    /* Up from the state directory to the outermost one sbx created; a
     * directory holding anything else stays. */
    char cur[SBX_PATH_MAX], parent[SBX_PATH_MAX];
    if (snprintf(cur, sizeof cur, "%s", dir) >= (int)sizeof cur)
        return sbx_err_set(err, SBX_EINVAL, "state directory path too long: %s", dir);
    for (;;) {
        if (dry_run) {
            if (cli && !cli->json && !cli->quiet)
                printf("would remove directory %s (if empty)\n", cur);
        } else if (sbx_fs_rmdir(cur, NULL) != 0) {
            if (cli)
                cli_info(cli, "sbx: kept %s: it holds files sbx did not create", cur);
            break;
        }
        if (!created_root[0] || strcmp(cur, created_root) == 0)
            break;
        if (sbx_fs_dirname(cur, parent, sizeof parent, err) || strcmp(parent, cur) == 0 ||
            strlen(parent) < strlen(created_root))
            break;
        snprintf(cur, sizeof cur, "%s", parent);
    }
    return 0;
}

void cli_engine_close(struct cli_engine *ce)
{
    /* A ledger this command created and used for nothing (a refused
     * request, a dry run) goes again: bad input changes nothing. */
    int64_t plans = 1;
    char created_root[SBX_PATH_MAX] = "";
    if (ce->fresh && ce->ledger && sbx_ledger_plan_count(ce->ledger, &plans, NULL) == 0 &&
        plans == 0) {
        if (sbx_ledger_meta_get(ce->ledger, "created_dir", created_root, sizeof created_root,
                                NULL))
            created_root[0] = '\0';
        /* It fits (sbx_ledger_open refuses longer directories); were it
         * cut short, it would name another directory: left alone then. */
        char dir[SBX_PATH_MAX];
        bool fits = snprintf(dir, sizeof dir, "%s", sbx_ledger_dir(ce->ledger)) < (int)sizeof dir;
        sbx_ledger_close(ce->ledger);
        ce->ledger = NULL;
        if (fits)
            cli_remove_state(NULL, dir, created_root, false, NULL);
    }
    sbx_ledger_close(ce->ledger);
    if (ce->os)
        sbx_os_destroy(ce->os);
    memset(ce, 0, sizeof *ce);
}

static const char *action_word(enum sbx_action a)
{
    return a == SBX_ACT_CREATE ? "create" : "delete";
}

void cli_print_plan(const struct sbx_cli *cli, const struct sbx_plan *p, bool dry_run)
{
    if (cli->json) {
        struct json own, *jp = cli->plans_out;
        if (!jp) {
            json_init(&own, stdout);
            jp = &own;
        }
        struct json j = *jp; /* written back below */
        json_object_begin(&j);
        if (!cli->plans_out)
            json_kv_bool(&j, "ok", true);
        json_kv_bool(&j, "dry_run", dry_run);
        json_kv_string(&j, "verb", p->verb);
        if (p->id)
            json_kv_int(&j, "plan", p->id);
        json_key(&j, "operations");
        json_array_begin(&j);
        for (size_t i = 0; i < p->n_ops; i++) {
            const struct sbx_plan_op *op = &p->ops[i];
            json_object_begin(&j);
            json_kv_int(&j, "seq", (long long)i + 1);
            json_kv_string(&j, "action", action_word(op->action));
            json_kv_string(&j, "kind", sbx_rkind_name(op->res.kind));
            json_kv_string(&j, "key", op->res.key);
            json_kv_string(&j, "principal", op->res.principal);
            json_kv_string(&j, "state", dry_run ? "planned" : sbx_op_state_name(op->state));
            json_object_end(&j);
        }
        json_array_end(&j);
        json_object_end(&j);
        if (cli->plans_out)
            *cli->plans_out = j;
        else
            json_end(&j);
        return;
    }
    if (cli->quiet)
        return;
    if (p->n_ops == 0) {
        printf("%s: nothing to do, the machine already matches\n", p->verb);
        return;
    }
    printf("%s%s: %zu operation%s\n", dry_run ? "would " : "", p->verb, p->n_ops,
           p->n_ops == 1 ? "" : "s");
    for (size_t i = 0; i < p->n_ops; i++) {
        const struct sbx_plan_op *op = &p->ops[i];
        printf("  %3zu. %s %-14s %s%s%s%s\n", i + 1, action_word(op->action),
               sbx_rkind_name(op->res.kind), op->res.key, op->res.principal ? " (" : "",
               op->res.principal ? op->res.principal : "", op->res.principal ? ")" : "");
    }
}
