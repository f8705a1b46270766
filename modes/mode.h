/* SPDX-License-Identifier: MIT */
/* The one interface both modes implement, on Linux and on Windows.
 *
 * A mode says two things: which resources it needs on the machine for a
 * configuration (the plan engine converges the machine to them), and how a
 * command is started confined.  Four implementations exist: unelevated and
 * elevated, each for Linux and for Windows; sbx_mode_get() returns the ones
 * built for this platform. */
#ifndef SBX_MODES_MODE_H
#define SBX_MODES_MODE_H

#include <stdbool.h>
#include <stddef.h>

#include "modes/common/run_request.h"
#include "modes/os/os.h"
#include "state/resource.h"
#include "util/error.h"

enum sbx_mode_kind {
    SBX_MODE_NONE = 0,
    SBX_MODE_UNELEVATED = 1,
    SBX_MODE_ELEVATED = 2,
};

/* "none", "unelevated", "elevated" */
const char *sbx_mode_name(enum sbx_mode_kind kind);
/* Parses "unelevated" / "elevated"; "auto" (when allow_auto) gives NONE,
 * meaning "choose for me". */
int sbx_mode_parse(const char *s, bool allow_auto, enum sbx_mode_kind *out,
                   struct sbx_error *err);

/* Which ledger a resource belongs in: the machine ledger (root-owned,
 * elevated resources) or the caller's own ledger (unelevated resources,
 * workspace grants a user made). */
enum sbx_scope {
    SBX_SCOPE_MACHINE = 0,
    SBX_SCOPE_USER = 1,
};

/* What a configuration asks for. */
struct sbx_config {
    enum sbx_mode_kind mode;
    const char *const *workspaces; /* resolved absolute roots */
    size_t n_workspaces;
    const char *const *users;      /* callers allowed to use elevated mode */
    size_t n_users;
    const unsigned *loopback_ports; /* elevated: loopback ports left open (replacing */
    size_t n_loopback_ports;        /* the current ones; none given: keep them) */
    bool clear_loopback_ports;      /* elevated: close every loopback port again */
    const char *state_dir;         /* where sbx keeps its files */
    /* Linux elevated, machine scope: drop the pair every member shared
     * before per-member pairs (root's `sbx migrate`, once no member's
     * grant names it any more); else a ledger that has it keeps it. */
    bool retire_shared_pair;
    /* Resources already in the ledger: modes reuse generated values from it
     * (a capability SID is generated once, not per plan). */
    const struct sbx_resource_list *current;
};

/* What a mode cannot enforce here (an older kernel, a platform limit): one
 * sentence each, printed by the CLI before the command starts. */
#define SBX_MODE_MAX_NOTES 12
#define SBX_MODE_NOTE_LEN 200
struct sbx_mode_notes {
    size_t n;
    char text[SBX_MODE_MAX_NOTES][SBX_MODE_NOTE_LEN];
};

struct sbx_mode_ops {
    enum sbx_mode_kind kind;
    const char *platform; /* "linux" / "win32" */

    /* The resources this mode wants for cfg in the given scope.  Appends to
     * out; deterministic for the same cfg and current ledger. */
    int (*desired)(const struct sbx_config *cfg, enum sbx_scope scope,
                   struct sbx_resource_list *out, struct sbx_error *err);

    /* Start the command confined and wait for it; *status receives the exit
     * status per DESIGN (the command's, 128+N for a signal, 125/126/127).
     * notes (set, n from 0) receives what the run found that the user must
     * hear of, success or not: a weakening met while building the sandbox,
     * a temporary directory that could not be removed afterwards. */
    int (*run)(const struct sbx_run_request *req, int *status, struct sbx_mode_notes *notes,
               struct sbx_error *err);

    /* Optional: fill notes with what run() would leave unenforced for req
     * on this machine.  An error means the mode can't run at all here. */
    int (*check)(const struct sbx_run_request *req, struct sbx_mode_notes *notes,
                 struct sbx_error *err);

    /* Optional: is workspace root ws ready for run() (granted)?  Cheap:
     * never a tree walk.  NULL: every workspace is. */
    int (*workspace_ready)(const struct sbx_run_request *req, const char *ws, bool *ready,
                           struct sbx_error *err);
};

/* Ledger-only records every mode wants: its marker and the workspaces
 * (for the modes' desired()). */
int sbx_mode_ledger_records(const struct sbx_config *cfg, enum sbx_mode_kind kind,
                            struct sbx_resource_list *out, struct sbx_error *err);

/* The unelevated mode's cache (modes/common/cache_env.h), a directory
 * <cfg->state_dir>/cache of the user's, as a resource of the user's
 * ledger: wanted by the unelevated mode (want), kept by the elevated one
 * while the ledger has it (a user's caches of both modes live side by
 * side; cleanup removes it).  Into key (SBX_PATH_MAX) when not NULL. */
int sbx_mode_cache_record(const struct sbx_config *cfg, bool want,
                          struct sbx_resource_list *out, struct sbx_error *err);
/* The same resource for the user state directory dir, alone (the CLI's
 * first run makes it). */
int sbx_mode_cache_resource(const char *dir, struct sbx_resource_list *out,
                            struct sbx_error *err);

/* The implementation of `kind` built for this platform, or NULL. */
const struct sbx_mode_ops *sbx_mode_get(enum sbx_mode_kind kind);

/* Resolve a workspace argument the platform's way (symlinks and junctions
 * resolved) and refuse dangerous roots (/, /etc, the user's home itself, a
 * drive root, %SystemRoot%, ...).  out receives the resolved path. */
int sbx_workspace_resolve(const char *arg, char *out, size_t out_len, struct sbx_error *err);

/* Automatic choice (select.c): elevated where it is set up for the caller
 * and healthy, else unelevated. */
struct sbx_mode_facts {
    enum sbx_privilege privilege; /* of the caller */
    bool elevated_installed;      /* machine ledger has the elevated mode */
    bool elevated_healthy;        /* its launcher/accounts pass the cheap check */
    bool caller_authorized;       /* caller is a member of the sbx users group */
};

/* The facts of this platform about the elevated mode for the caller.
 * machine_resources: the machine ledger's present resources, or NULL when
 * the caller can't read that ledger (an ordinary user: the platform then
 * relies on what setup left readable, e.g. the launcher's configuration). */
int sbx_mode_facts(const char *machine_state_dir,
                   const struct sbx_resource_list *machine_resources,
                   struct sbx_mode_facts *facts, struct sbx_error *err);

/* Mode `sbx run` uses for these facts. */
enum sbx_mode_kind sbx_mode_select_run(const struct sbx_mode_facts *facts);
/* Mode `sbx setup` without --mode sets up. */
enum sbx_mode_kind sbx_mode_select_setup(enum sbx_privilege privilege);

#endif
