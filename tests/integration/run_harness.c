/* SPDX-License-Identifier: MIT */
/* sbx-run-harness: the smallest front end of sbx_linux_run_ex, with the
 * options of `sbx run` that the confinement engine sees.  It lets the
 * integration and escape suites exercise the engine on its own, and is
 * what they drive when the real `sbx` binary is not built. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "modes/confine/linux/confine.h"

static int usage(void)
{
    fprintf(stderr, "usage: sbx-run-harness [--workspace DIR]... [--net off|on] "
                    "[--timeout SEC] [--protect PATH]... [--allow-git] [--allow-read PATH]... "
                    "[--limit pids=N|shm=SIZE|tmp=SIZE]... -- CMD [ARG...]\n");
    return 125;
}

/* --limit as `sbx run` takes it (cli/run.c): pids=N, shm=N[K|M|G|T],
 * tmp=N[K|M|G|T]. */
static int parse_limit(const char *s, struct sbx_run_request *req)
{
    char *end = NULL;
    errno = 0;
    if (strncmp(s, "pids=", 5) == 0) {
        unsigned long n = strtoul(s + 5, &end, 10);
        if (!errno && s[5] >= '0' && s[5] <= '9' && !*end && n > 0 && n <= SBX_RUN_MAX_PIDS) {
            req->max_pids = (unsigned)n;
            return 0;
        }
    } else if (strncmp(s, "shm=", 4) == 0 || strncmp(s, "tmp=", 4) == 0) {
        bool shm = s[0] == 's';
        unsigned long long v = strtoull(s + 4, &end, 10);
        const char *u = *end ? strchr("KMGT", *end) : NULL;
        if (u && !end[1] && *end)
            v <<= 10 * (u - "KMGT" + 1);
        unsigned long long lo = shm ? SBX_RUN_MIN_SHM : SBX_RUN_MIN_TMP;
        unsigned long long hi = shm ? SBX_RUN_MAX_SHM : SBX_RUN_MAX_TMP;
        if (!errno && s[4] >= '0' && s[4] <= '9' && (!*end || (u && !end[1])) && v >= lo &&
            v <= hi) {
            *(shm ? &req->shm_bytes : &req->tmp_bytes) = v;
            return 0;
        }
    }
    fprintf(stderr, "sbx: --limit %s: expected pids=N, shm=SIZE or tmp=SIZE\n", s);
    return -1;
}

int main(int argc, char **argv)
{
    static char ws_buf[16][PATH_MAX], read_buf[16][PATH_MAX];
    const char *allow_read[16];
    size_t n_read = 0;
    const char *ws[16], *protect[16];
    size_t n_ws = 0, n_protect = 0;
    struct sbx_run_request req = {0};
    struct sbx_error err = {0};
    int i = 1;
    /* Accept `run` first, so callers can use it like `sbx run ...`. */
    if (i < argc && strcmp(argv[i], "run") == 0)
        i++;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (i + 1 >= argc && strcmp(a, "--allow-git") != 0)
            return usage();
        if (strcmp(a, "--workspace") == 0 && n_ws < 16) {
            if (sbx_linux_workspace_resolve(argv[++i], ws_buf[n_ws], PATH_MAX, &err) < 0) {
                fprintf(stderr, "sbx: %s\n", err.msg);
                return 125;
            }
            ws[n_ws] = ws_buf[n_ws];
            n_ws++;
        } else if (strcmp(a, "--net") == 0) {
            req.net = strcmp(argv[++i], "on") == 0;
        } else if (strcmp(a, "--timeout") == 0) {
            req.timeout_sec = (unsigned)strtoul(argv[++i], NULL, 10);
        } else if (strcmp(a, "--protect") == 0 && n_protect < 16) {
            protect[n_protect++] = argv[++i];
        } else if (strcmp(a, "--allow-git") == 0) {
            req.allow_git = true;
        } else if (strcmp(a, "--allow-read") == 0 && n_read < 16) {
            if (!realpath(argv[++i], read_buf[n_read])) {
                fprintf(stderr, "sbx: --allow-read %s: %s\n", argv[i], strerror(errno));
                return 125;
            }
            allow_read[n_read] = read_buf[n_read];
            n_read++;
        } else if (strcmp(a, "--limit") == 0) {
            if (parse_limit(argv[++i], &req) < 0)
                return 125;
        } else {
            return usage();
        }
    }
    if (i >= argc)
        return usage();
    if (n_ws == 0) {
        if (sbx_linux_workspace_resolve(".", ws_buf[0], PATH_MAX, &err) < 0) {
            fprintf(stderr, "sbx: %s\n", err.msg);
            return 125;
        }
        ws[n_ws++] = ws_buf[0];
    }
    req.workspaces = ws;
    req.n_workspaces = n_ws;
    req.protect = protect;
    req.n_protect = n_protect;
    req.allow_read = allow_read;
    req.n_allow_read = n_read;
    req.argv = argv + i;

    struct sbx_linux_report rep;
    int status = 125;
    int rc = sbx_linux_run_ex(&req, &rep, &status, &err);
    if (getenv("SBX_HARNESS_NOTES"))
        for (size_t k = 0; k < rep.n_notes; k++)
            fprintf(stderr, "sbx: warning: %s\n", rep.notes[k]);
    if (rep.timed_out)
        fprintf(stderr, "sbx: timed out after %u s: the command and its processes were killed\n",
                req.timeout_sec);
    if (rc < 0)
        fprintf(stderr, "sbx: %s\n", err.msg);
    return status;
}
