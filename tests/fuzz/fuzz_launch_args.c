/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the setuid launcher's command-line parser
 * (sbx_launch_args_parse, modes/launcher/launch_args.h).
 *
 * An input is the launcher's argument vector after argv[0]: the
 * arguments are the input's NUL-separated pieces (the last one ends at
 * the input's end), at most MAX_ARGS of them; argv[0] is "sbx-launch" and
 * argv[argc] is NULL, as the kernel gives them.  Beyond "no crash, no
 * undefined behaviour, no leak" (ASan, UBSan, LeakSanitizer), every input
 * checks:
 *
 * Any input:
 *   N1  the parser writes nothing into argv (its pointers and bytes are
 *       what they were);
 *   N2  parsing is deterministic (a second parse gives the same result);
 *   N3  the result is 0, or -SBX_EINVAL with err.code SBX_EINVAL and a
 *       message of one line (no control byte) that is not empty, ends with
 *       the usage and shows no "(null)" the input did not hold itself.
 * Accepted vectors (0), checked against a walk of the options written
 * here from the header's synopsis, not from the parser's code (a flag
 * takes one slot, any other option two, "--" ends the options):
 *   A1  the walk reaches a "--" in an option slot, and a->argv is the
 *       vector just after it, its first argument not empty;
 *   A2  each list holds exactly the values of its option, in their order,
 *       as the very pointers of argv (nothing copied); --account is the
 *       value of its last occurrence; allow_git/tty are set exactly when
 *       their flag came;
 *   A3  each value is within its bounds: at least one and at most
 *       SBX_LAUNCH_MAX_ARGS workspaces (and of each other list; --allow-unix
 *       at most SBX_UNIX_MAX_ALLOW), --allow-read and --hide absolute,
 *       --allow-write-name on plants.h's deny list, --pids in
 *       1..SBX_RUN_MAX_PIDS, --tmp in SBX_RUN_MIN_TMP..SBX_RUN_MAX_TMP,
 *       --report-fd and --net-proxy-fd in 3..SBX_LAUNCH_MAX_REPORT_FD, each
 *       number written as decimal digits only and equal to its value; an
 *       option not given leaves its default (-1, SBX_RUN_DEFAULT_PIDS,
 *       SBX_RUN_DEFAULT_TMP);
 *   A4  --net-proxy-fd came at most once, and is not the --report-fd.
 * Accepted with --cache (the second form of the synopsis):
 *   C1  the last --cache value was "size" or "clear" and cache_op says
 *       which; --account came; nothing of a run did (no list, no flag,
 *       --pids and --tmp at their defaults, no --net-proxy-fd, no command:
 *       argv NULL);
 *       --report-fd as in A3.
 *
 * Any broken invariant aborts, so libFuzzer keeps the input as a crash
 * artifact: run the target on that file to reproduce. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_TARGET "fuzz_launch_args"
#include "tests/fuzz/fuzz_check.h"

#include "modes/common/run_request.h"
#include "modes/confine/linux/plants.h"
#include "modes/launcher/launch_args.h"
#include "util/error.h"

/* More than every list's room together: full lists and one more. */
#define MAX_ARGS 512

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const flags[] = {"--allow-git", "--tty", "--no-cache"};

/* The options that take a list of values, with the list each fills. */
struct list {
    const char *opt;
    const char *const *v;
    size_t n;
    size_t room;
};

static bool is_flag(const char *s)
{
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (strcmp(s, flags[i]) == 0)
            return true;
    return false;
}

/* A number as the synopsis allows it: decimal digits only, equal to want. */
static bool number_is(const char *s, unsigned long long want)
{
    if (!*s)
        return false;
    unsigned long long n = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || n > (~0ull - 9) / 10)
            return false;
        n = n * 10 + (unsigned long long)(*s - '0');
    }
    return n == want;
}

/* C1: the --cache form. */
static void check_cache_op(int argc, char **argv, const struct sbx_launch_args *a)
{
    const char *op = NULL, *account = NULL;
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0;) {
        if (is_flag(argv[i])) {
            CHECK(false, "C1: --cache accepted with the flag %s", argv[i]);
            i++;
            continue;
        }
        if (i + 1 >= argc)
            break;
        if (strcmp(argv[i], "--cache") == 0)
            op = argv[i + 1];
        else if (strcmp(argv[i], "--account") == 0)
            account = argv[i + 1];
        else
            CHECK(strcmp(argv[i], "--report-fd") == 0 || strcmp(argv[i], "--pids") == 0 ||
                      strcmp(argv[i], "--tmp") == 0,
                  "C1: --cache accepted with %s", argv[i]);
        i += 2;
    }
    CHECK(op && ((strcmp(op, "size") == 0 && a->cache_op == SBX_LAUNCH_CACHE_SIZE) ||
                 (strcmp(op, "clear") == 0 && a->cache_op == SBX_LAUNCH_CACHE_CLEAR)),
          "C1: --cache '%s' gave %d", op ? op : "(none)", (int)a->cache_op);
    CHECK(account && a->account == account, "C1: --account is not its last value");
    CHECK(!a->argv && !a->n_ws && !a->n_protect && !a->n_allow_read && !a->n_hide &&
              !a->n_allow_names && !a->n_unix && !a->allow_git && !a->tty && !a->no_cache &&
              a->net_proxy_fd == -1 && a->max_pids == SBX_RUN_DEFAULT_PIDS && a->tmp_bytes == SBX_RUN_DEFAULT_TMP,
          "C1: --cache accepted with something of a run");
    CHECK(a->report_fd == -1 || (a->report_fd >= 3 && a->report_fd <= SBX_LAUNCH_MAX_REPORT_FD),
          "C1: report fd %d", a->report_fd);
}

static void check_accepted(int argc, char **argv, const struct sbx_launch_args *a)
{
    if (a->cache_op != SBX_LAUNCH_RUN) {
        check_cache_op(argc, argv, a);
        return;
    }
    /* A1: the walk of option slots */
    int i = 1;
    while (i < argc && strcmp(argv[i], "--") != 0)
        i += is_flag(argv[i]) ? 1 : 2;
    CHECK(i < argc && strcmp(argv[i], "--") == 0, "A1: accepted without -- in an option slot");
    CHECK(a->argv == argv + i + 1, "A1: the command starts at %td, not at %d",
          a->argv - argv, i + 1);
    CHECK(i + 1 < argc && a->argv[0][0] != '\0', "A1: accepted an empty command");
    int end = i;

    /* A2 */
    struct list lists[] = {
        {"--workspace", a->ws, a->n_ws, SBX_LAUNCH_MAX_ARGS},
        {"--protect", a->protect, a->n_protect, SBX_LAUNCH_MAX_ARGS},
        {"--allow-read", a->allow_read, a->n_allow_read, SBX_LAUNCH_MAX_ARGS},
        {"--hide", a->hide, a->n_hide, SBX_LAUNCH_MAX_ARGS},
        {"--allow-write-name", a->allow_names, a->n_allow_names, SBX_LAUNCH_MAX_ARGS},
        {"--allow-unix", a->unix_path, a->n_unix, SBX_UNIX_MAX_ALLOW},
    };
    size_t seen[sizeof lists / sizeof lists[0]] = {0};
    const char *account = NULL, *pids = NULL, *tmp = NULL, *report = NULL, *proxy = NULL;
    int n_proxy = 0;
    bool git = false, tty = false, no_cache = false;
    for (i = 1; i < end;) {
        const char *o = argv[i];
        if (is_flag(o)) {
            git = git || strcmp(o, "--allow-git") == 0;
            tty = tty || strcmp(o, "--tty") == 0;
            no_cache = no_cache || strcmp(o, "--no-cache") == 0;
            i++;
            continue;
        }
        const char *v = argv[i + 1];
        bool known = true;
        if (strcmp(o, "--account") == 0)
            account = v;
        else if (strcmp(o, "--pids") == 0)
            pids = v;
        else if (strcmp(o, "--tmp") == 0)
            tmp = v;
        else if (strcmp(o, "--report-fd") == 0)
            report = v;
        else if (strcmp(o, "--net-proxy-fd") == 0)
            proxy = v, n_proxy++;
        else
            known = false;
        for (size_t k = 0; !known && k < sizeof lists / sizeof lists[0]; k++) {
            if (strcmp(o, lists[k].opt) != 0)
                continue;
            known = true;
            CHECK(seen[k] < lists[k].n && lists[k].v[seen[k]] == v,
                  "A2: %s's value %zu is not argv[%d]", o, seen[k], i + 1);
            seen[k]++;
        }
        CHECK(known, "A2: accepted the unknown option argv[%d] '%s'", i, o);
        i += 2;
    }
    for (size_t k = 0; k < sizeof lists / sizeof lists[0]; k++) {
        CHECK(seen[k] == lists[k].n, "A2: %s given %zu times, the list holds %zu",
              lists[k].opt, seen[k], lists[k].n);
        CHECK(lists[k].n <= lists[k].room, "A3: %zu values of %s", lists[k].n, lists[k].opt);
    }
    CHECK(account && a->account == account, "A2: --account is not its last value");
    CHECK(a->allow_git == git && a->tty == tty && a->no_cache == no_cache,
          "A2: flags differ (git %d/%d, tty %d/%d, no-cache %d/%d)", a->allow_git, git, a->tty,
          tty, a->no_cache, no_cache);

    /* A3 */
    CHECK(a->n_ws >= 1, "A3: accepted without a workspace");
    for (size_t k = 0; k < a->n_allow_read; k++)
        CHECK(a->allow_read[k][0] == '/', "A3: --allow-read '%s' relative", a->allow_read[k]);
    for (size_t k = 0; k < a->n_hide; k++)
        CHECK(a->hide[k][0] == '/', "A3: --hide '%s' relative", a->hide[k]);
    for (size_t k = 0; k < a->n_allow_names; k++)
        CHECK(sbx_plants_name_listed(a->allow_names[k]),
              "A3: --allow-write-name '%s' is not on the deny list", a->allow_names[k]);
    CHECK(pids ? number_is(pids, a->max_pids) : a->max_pids == SBX_RUN_DEFAULT_PIDS,
          "A3: --pids '%s' gave %lu", pids ? pids : "(none)", a->max_pids);
    CHECK(a->max_pids >= 1 && a->max_pids <= SBX_RUN_MAX_PIDS, "A3: %lu processes",
          a->max_pids);
    CHECK(tmp ? number_is(tmp, a->tmp_bytes) : a->tmp_bytes == SBX_RUN_DEFAULT_TMP,
          "A3: --tmp '%s' gave %llu", tmp ? tmp : "(none)", a->tmp_bytes);
    CHECK(a->tmp_bytes >= SBX_RUN_MIN_TMP && a->tmp_bytes <= SBX_RUN_MAX_TMP,
          "A3: %llu bytes of tmp", a->tmp_bytes);
    CHECK(report ? number_is(report, (unsigned long long)a->report_fd) : a->report_fd == -1,
          "A3: --report-fd '%s' gave %d", report ? report : "(none)", a->report_fd);
    CHECK(!report || (a->report_fd >= 3 && a->report_fd <= SBX_LAUNCH_MAX_REPORT_FD),
          "A3: report fd %d", a->report_fd);
    CHECK(proxy ? number_is(proxy, (unsigned long long)a->net_proxy_fd) : a->net_proxy_fd == -1,
          "A3: --net-proxy-fd '%s' gave %d", proxy ? proxy : "(none)", a->net_proxy_fd);
    CHECK(!proxy || (a->net_proxy_fd >= 3 && a->net_proxy_fd <= SBX_LAUNCH_MAX_REPORT_FD),
          "A3: proxy fd %d", a->net_proxy_fd);
    /* A4 */
    CHECK(n_proxy <= 1, "A4: --net-proxy-fd accepted %d times", n_proxy);
    CHECK(a->net_proxy_fd == -1 || a->net_proxy_fd != a->report_fd,
          "A4: --net-proxy-fd and --report-fd are both %d", a->net_proxy_fd);
}

static bool same_list(const char *const *x, size_t nx, const char *const *y, size_t ny)
{
    return nx == ny && (nx == 0 || memcmp(x, y, nx * sizeof *x) == 0);
}

/* Field by field (the struct's padding is not part of the result). */
static bool same(const struct sbx_launch_args *x, const struct sbx_launch_args *y)
{
    return x->account == y->account && x->report_fd == y->report_fd &&
           x->net_proxy_fd == y->net_proxy_fd &&
           x->allow_git == y->allow_git && x->tty == y->tty && x->no_cache == y->no_cache &&
           x->cache_op == y->cache_op && x->max_pids == y->max_pids &&
           x->tmp_bytes == y->tmp_bytes && x->argv == y->argv &&
           same_list(x->ws, x->n_ws, y->ws, y->n_ws) &&
           same_list(x->protect, x->n_protect, y->protect, y->n_protect) &&
           same_list(x->allow_read, x->n_allow_read, y->allow_read, y->n_allow_read) &&
           same_list(x->hide, x->n_hide, y->hide, y->n_hide) &&
           same_list(x->allow_names, x->n_allow_names, y->allow_names, y->n_allow_names) &&
           same_list(x->unix_path, x->n_unix, y->unix_path, y->n_unix);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Exactly the bytes given, each piece NUL-terminated: ASan sees any
     * read past. */
    char *text = malloc(size + 1);
    char **argv = calloc(MAX_ARGS + 2, sizeof *argv);
    char **orig = calloc(MAX_ARGS + 2, sizeof *orig);
    CHECK(text && argv && orig, "out of memory");
    memcpy(text, data, size);
    text[size] = '\0';
    int argc = 0;
    argv[argc++] = "sbx-launch";
    for (size_t at = 0; argc <= MAX_ARGS;) {
        argv[argc++] = text + at;
        at += strlen(text + at) + 1;
        if (at > size)
            break;
    }
    argv[argc] = NULL;
    memcpy(orig, argv, (size_t)(argc + 1) * sizeof *argv);
    char *copy = malloc(size + 1);
    CHECK(copy, "out of memory");
    memcpy(copy, text, size + 1);

    struct sbx_launch_args a, b;
    struct sbx_error err = {0}, err2 = {0};
    int rc = sbx_launch_args_parse(argc, argv, &a, &err);
    int rc2 = sbx_launch_args_parse(argc, argv, &b, &err2);
    CHECK(memcmp(orig, argv, (size_t)(argc + 1) * sizeof *argv) == 0 &&
              memcmp(copy, text, size + 1) == 0,
          "N1: the parser changed argv");
    CHECK(rc == rc2 && strcmp(err.msg, err2.msg) == 0 && (rc != 0 || same(&a, &b)),
          "N2: a second parse differs");
    if (rc == 0) {
        CHECK(err.code == 0, "N3: accepted with error code %d", err.code);
        check_accepted(argc, argv, &a);
    } else {
        CHECK(rc == -SBX_EINVAL && err.code == SBX_EINVAL, "N3: refused with %d (code %d): %s",
              rc, err.code, err.msg);
        size_t n = strlen(err.msg);
        CHECK(n > 0, "N3: refused with an empty message");
        for (size_t k = 0; k < n; k++)
            CHECK((unsigned char)err.msg[k] >= 0x20 && err.msg[k] != 0x7f,
                  "N3: byte %zu of the message is a control byte: %s", k, err.msg);
        const char *u = strstr(err.msg, "; usage: sbx-launch ");
        CHECK(u && strcmp(u + strlen(u) - strlen("--cache size|clear"), "--cache size|clear") == 0,
              "N3: the message does not end with the usage: %s", err.msg);
        bool null_given = false;
        for (int k = 1; k < argc && !null_given; k++)
            null_given = strstr(argv[k], "(null)") != NULL;
        CHECK(!strstr(err.msg, "(null)") || null_given, "N3: the message shows a NULL: %s",
              err.msg);
    }
    free(copy);
    free(orig);
    free(argv);
    free(text);
    return 0;
}
