/* SPDX-License-Identifier: MIT */
/* The floor of a Landlock sandbox, for bench/run_bench.sh: read and
 * execute everywhere, write beneath one directory, then exec the command.
 * No namespaces, no seccomp, no view: what a sandbox built on Landlock
 * alone costs at start.  Not installed; not a sandbox to rely on.
 *
 *   sbx-bench-landlock DIR CMD [ARG...] */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The UAPI (Debian 12's headers stop at ABI 2; these are ABI 1's). */
struct ruleset_attr {
    uint64_t handled_access_fs;
};
struct path_beneath_attr {
    uint64_t allowed_access;
    int32_t parent_fd;
} __attribute__((packed));
#define RULE_PATH_BENEATH 1
#define READ_ACCESS ((1ULL << 0) | (1ULL << 2) | (1ULL << 3)) /* execute, read file, read dir */
#define ALL_ACCESS ((1ULL << 13) - 1)                          /* ABI 1's rights */

static int allow(int ruleset, const char *path, uint64_t access)
{
    struct path_beneath_attr pb = {.allowed_access = access};
    pb.parent_fd = open(path, O_PATH | O_CLOEXEC);
    if (pb.parent_fd < 0) {
        fprintf(stderr, "sbx-bench-landlock: %s: %s\n", path, strerror(errno));
        return -1;
    }
    long rc = syscall(SYS_landlock_add_rule, ruleset, RULE_PATH_BENEATH, &pb, 0);
    close(pb.parent_fd);
    if (rc != 0)
        fprintf(stderr, "sbx-bench-landlock: landlock_add_rule %s: %s\n", path,
                strerror(errno));
    return rc == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: sbx-bench-landlock DIR CMD [ARG...]\n");
        return 2;
    }
    struct ruleset_attr attr = {.handled_access_fs = ALL_ACCESS};
    int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
    if (ruleset < 0) {
        fprintf(stderr, "sbx-bench-landlock: landlock_create_ruleset: %s\n", strerror(errno));
        return 1;
    }
    if (allow(ruleset, "/", READ_ACCESS) != 0 || allow(ruleset, argv[1], ALL_ACCESS) != 0)
        return 1;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        syscall(SYS_landlock_restrict_self, ruleset, 0) != 0) {
        fprintf(stderr, "sbx-bench-landlock: restrict_self: %s\n", strerror(errno));
        return 1;
    }
    close(ruleset);
    execvp(argv[2], argv + 2);
    fprintf(stderr, "sbx-bench-landlock: %s: %s\n", argv[2], strerror(errno));
    return 127;
}
