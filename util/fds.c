/* SPDX-License-Identifier: MIT */
#include "util/fds.h"

#include <unistd.h>

int sbx_close_fds_except(unsigned lowest, int *keep, size_t n)
{
    /* Insertion sort: a handful of fds, and no allocation after fork. */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
            int t = keep[j];
            keep[j] = keep[j - 1];
            keep[j - 1] = t;
        }
    unsigned lo = lowest;
    for (size_t i = 0; i < n; i++) {
        if (keep[i] < 0 || (unsigned)keep[i] < lo)
            continue;
        if ((unsigned)keep[i] > lo && close_range(lo, (unsigned)keep[i] - 1, 0) < 0)
            return -1;
        lo = (unsigned)keep[i] + 1;
    }
    return close_range(lo, ~0U, 0) < 0 ? -1 : 0;
}
