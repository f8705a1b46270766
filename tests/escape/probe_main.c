/* SPDX-License-Identifier: MIT */
/* sbx-probe: see probe.h.  `sbx-probe report-creds` is what the setuid
 * copy runs: it prints the effective uid and capabilities it got. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/escape/probe_attempts.h"

static int report_creds(void)
{
    unsigned long long capeff = 0;
    FILE *f = fopen("/proc/self/status", "re");
    if (f) {
        char line[256];
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "CapEff: %llx", &capeff) == 1)
                break;
        fclose(f);
    }
    printf("euid=%u capeff=%llx\n", (unsigned)geteuid(), capeff);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: sbx-probe ATTEMPT | --list | report-creds\n");
        return 2;
    }
    if (strcmp(argv[1], "report-creds") == 0)
        return report_creds();
    if (strcmp(argv[1], "--list") == 0) {
        for (size_t i = 0; i < probe_n_attempts; i++)
            printf("%s\t%s\n", probe_attempts[i].name, probe_attempts[i].what);
        return 0;
    }
    return probe_run(argv[1]);
}
