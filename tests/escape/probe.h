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
 *   SBXP_PID   a process of the caller outside the sandbox (cwd SBXP_OUT)
 *   SBXP_FD    an fd open on SBXP_OUT inherited from the caller
 *   SBXP_SUID  a setuid-root copy of this probe (may be unset) */
#ifndef SBX_TESTS_ESCAPE_PROBE_H
#define SBX_TESTS_ESCAPE_PROBE_H

#include <stdbool.h>

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

#endif
