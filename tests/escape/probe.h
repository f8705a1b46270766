/* SPDX-License-Identifier: MIT */
/* sbx-probe: one escape attempt (or one positive check) per invocation.
 *
 * The escape suite runs every attempt twice: directly, where it must
 * succeed for the test to mean anything (the "control"), and inside
 * `sbx run`, where it must fail.  The probe prints one line
 *   RESULT <name> blocked <ERRNO> (<message>)   exit 0
 *   RESULT <name> escaped <what happened>       exit 1
 *   RESULT <name> error <what went wrong>       exit 2 (the probe itself)
 * and for positives "ok" (exit 0) or "failed" (exit 1).
 *
 * What the attempts aim at comes from the environment the suite sets:
 *   SBXP_OUT   a directory outside the workspace that the caller can write
 *   SBXP_WS    the workspace (has a .git directory)
 *   SBXP_TAG   unique prefix for names the probe creates outside SBXP_OUT
 *   SBXP_HOME  the caller's home
 *   SBXP_PORT4 / SBXP_PORT6  TCP listeners on 127.0.0.1 / ::1
 *   SBXP_UNIX  a listening unix socket (path); SBXP_ABSTRACT an abstract one
 *   SBXP_UNIX_ALLOWED  another listening one, the socket `--allow-unix` names
 *              (see PROBE_ALLOW_UNIX); SBXP_UNIX_DGRAM a bound
 *              datagram socket (a syslog- or journald-like daemon)
 *   SBXP_PID   a process of the caller outside the sandbox (cwd SBXP_OUT)
 *   SBXP_FD    an fd open on SBXP_OUT inherited from the caller
 *   SBXP_REPO  a directory of the caller's outside the workspace (a git
 *              repository; see PROBE_WSARG)
 *   SBXP_STAGE the part the probe plays in a wsarg-* or race-* attempt
 *   SBXP_SUID  a setuid-root copy of this probe (may be unset) */
#ifndef SBX_TESTS_ESCAPE_PROBE_H
#define SBX_TESTS_ESCAPE_PROBE_H

#include <stdbool.h>
#include <string.h>

enum probe_control {
    CTRL_ALWAYS, /* succeeds without sbx for any caller */
    CTRL_ROOT,   /* succeeds without sbx for root only (privileged operation) */
    CTRL_NONE,   /* not run without sbx (it would change the machine, or needs a tty) */
};

struct probe_attempt {
    const char *name;
    const char *what;  /* one line for the report */
    enum probe_control control;
    bool positive;     /* must succeed in the sandbox */
    bool net_on;       /* run with --net on */
    int (*fn)(void);
};

/* Attempts named netallow-* run with --net allow=example.invalid: the
 * allowlist proxy is then the run's only way out (issue 16), and a command
 * that goes around it must get nowhere, in either mode (the run's own
 * network namespace: the runner's, or the launcher's). */
#define PROBE_NET_ALLOW(name) (strncmp((name), "netallow-", 9) == 0)
#define PROBE_NET_ALLOW_VALUE "allow=example.invalid"

/* Attempts named unix-allow-* or pos-unix-allowed* run with
 * --allow-unix SBXP_UNIX_ALLOWED. */
#define PROBE_ALLOW_UNIX(name) \
    (strncmp((name), "unix-allow-", 11) == 0 || strncmp((name), "pos-unix-allowed", 16) == 0)

/* Attempts on sbx's own arguments: what a command leaves in its workspace
 * for a later (wsarg-*) or a concurrent (race-*) run of sbx whose
 * workspace argument is SBXP_WS/SBXP_TAG-NAME (the "target path"), aiming
 * at SBXP_REPO, a directory of the caller's outside the workspace (in the
 * elevated mode a granted workspace of the caller's too, which the sandbox
 * accounts may write, so only the run's own confinement stands between).
 * SBXP_STAGE says which part the probe plays:
 *   wsarg-*: "plant" in an ordinary run, then "use" in a run whose
 *            workspace (and working directory) is the target path;
 *   race-*:  the suite makes the target path a directory; "swap" in an
 *            ordinary run in the background (it trades the target path
 *            with a symlink to SBXP_REPO with RENAME_EXCHANGE, each state
 *            lasting up to 1.5 ms, until SBXP_OUT/SBXP_TAG-NAME-stop
 *            exists, at most 30 s), while the
 *            suite starts "use" runs as for wsarg-*, one after the other
 *            (bounded in number and time).
 * "use" writes through the target path and says escaped when the file
 * lands in SBXP_REPO.  Without sbx the runs are the probe itself; with
 * sbx, sbx refusing the target path (exit 125, saying why) is blocked. */
#define PROBE_WSARG(name) (strncmp((name), "wsarg-", 6) == 0)
#define PROBE_RACE(name) (strncmp((name), "race-", 5) == 0)

/* Attempts named left-* are what one run leaves for the next: "plant" in
 * an ordinary run, then "use" in another ordinary run (SBXP_STAGE says
 * which); without sbx first, where the plant must reach the use. */
#define PROBE_LEFT(name) (strncmp((name), "left-", 5) == 0)
/* Attempts named twice-* run twice on the same workspace, a while after
 * the suite made its files (so that sbx may keep its record of the search
 * for files tools run, plants_cache.h): SBXP_STAGE "plant" in a first run,
 * "use" in a second; "use" says escaped when it could write what "plant"
 * left for it. */
#define PROBE_TWICE(name) (strncmp((name), "twice-", 6) == 0)

/* Attempts named moved-* succeed in the sandbox too: what they aim at is
 * a known limit (a folder on the way to a protected entry moved, and a
 * new one built in its place: plants.h).  In the sandbox they pass when
 * sbx tells the user after the run (its warning "is not what sbx kept
 * read-only any more"), and fail when it does not. */
#define PROBE_MOVED(name) (strncmp((name), "moved-", 6) == 0)
#define PROBE_MOVED_WARNING "is not what sbx kept read-only any more"

/* Attempts named sub-* run with workspace (and working directory)
 * SBXP_WS/SBXP_TAG-sub, a folder of the repository SBXP_WS that has no
 * .git of its own, made empty by the suite for each run. */
#define PROBE_SUB(name) (strncmp((name), "sub-", 4) == 0)

/* Attempts named twin-* run twice at once on the workspace: SBXP_STAGE
 * "hold" in a first run, which makes SBXP_WS/SBXP_TAG-twin-ready and stays
 * until the suite makes SBXP_WS/SBXP_TAG-twin-stop; then "use" in a second
 * run, which makes SBXP_WS/SBXP_TAG-twin-using and tries its attempt until
 * a second after the suite made SBXP_WS/SBXP_TAG-twin-done (after the
 * first run ended), at most 30 s. */
#define PROBE_TWIN(name) (strncmp((name), "twin-", 5) == 0)

/* Attempts named state-* run with --state SBXP_WS/SBXP_TAG-state/sbx: sbx's
 * state directory inside the workspace, not made yet. */
#define PROBE_STATE_IN_WS(name) (strncmp((name), "state-", 6) == 0)

/* Attempts named stdio-* run with stdin SBXP_OUT/stdio-in and stdout
 * SBXP_OUT/stdio-out, files of the caller's outside the workspace (stderr
 * stays the suite's pipe, and carries their verdict). */
#define PROBE_STDIO_FILES(name) (strncmp((name), "stdio-", 6) == 0)

#endif
