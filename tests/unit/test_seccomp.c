/* SPDX-License-Identifier: MIT */
/* The seccomp filters made ready at build time (modes/confine/linux/
 * seccomp_gen.c) against what libseccomp compiles from the same rules on
 * this machine, instruction for instruction, every variant; and each
 * ready filter, loaded in a child, refuses what it must. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/filter.h>

#include "helpers.h"
#include "modes/confine/linux/seccomp_build.h"
#include "modes/confine/linux/seccomp_filter.h"

#include SBX_SECCOMP_BPF_HEADER

static void test_ready_equals_libseccomp(void **state)
{
    (void)state;
    for (int v = 0; v < SBX_SECCOMP_VARIANTS; v++) {
        struct sbx_error err = {0};
        unsigned char *insns = NULL;
        size_t n = 0;
        if (sbx_seccomp_compile(v, &insns, &n, &err) != 0)
            fail_msg("variant %d: %s", v, err.msg);
        if (n != sbx_seccomp_bpf[v].len ||
            memcmp(insns, sbx_seccomp_bpf[v].insns, n * sizeof(struct sock_filter)) != 0)
            fail_msg("variant %d: the ready filter (%u instructions) differs from libseccomp's "
                     "now (%zu): rebuild sbx", v, (unsigned)sbx_seccomp_bpf[v].len, n);
        free(insns);
    }
    /* Each options set has its own variant. */
    for (int v = 1; v < SBX_SECCOMP_VARIANTS; v++) {
        struct sbx_seccomp_opts o = sbx_seccomp_variant_opts(v);
        assert_int_equal(sbx_seccomp_variant(&o), v);
    }
    assert_int_equal(sbx_seccomp_variant(NULL), 0);
}

/* In a child: load the run's filter for o, then try what it refuses. */
static int child_checks(const struct sbx_seccomp_opts *o)
{
    struct sbx_error err = {0};
    int listener = -1;
    if (sbx_seccomp_load_ex(o, &listener, &err) != 0)
        return 10;
    if (o->unix_notify && listener < 0)
        return 11;
    if (unshare(CLONE_NEWUSER) == 0 || errno != EPERM)
        return 12;
    int s = socket(AF_NETLINK, SOCK_RAW, 0);
    if (s >= 0 || errno != EACCES)
        return 13;
    s = socket(AF_INET, SOCK_DGRAM, 0);
    bool udp = s >= 0;
    if (s >= 0)
        close(s);
    if (udp != o->net)
        return 14;
    if (fchmod(0, 04755) == 0 || errno != EPERM)
        return 15;
    return 0;
}

static void test_ready_filters_refuse(void **state)
{
    (void)state;
    static const struct sbx_seccomp_opts cases[] = {
        {.net = false}, {.net = true}, {.tcp_only = true}, {.unix_notify = true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
            _exit(child_checks(&cases[i]));
        int st = 0;
        assert_int_equal(waitpid(pid, &st, 0), pid);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            fail_msg("case %zu: the loaded filter let through check %d", i,
                     WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ready_equals_libseccomp),
        cmocka_unit_test(test_ready_filters_refuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
