/* SPDX-License-Identifier: MIT */
/* Where credentials live under a home: the files and folders `sbx run`
 * hides from the command (read as empty) unless --allow-read names one.
 * The one list, for every mode and platform; paths relative to the home,
 * '/'-separated. */
#ifndef SBX_MODES_COMMON_SECRET_PATHS_H
#define SBX_MODES_COMMON_SECRET_PATHS_H

#include <stddef.h>

extern const char *const sbx_secret_paths[];
extern const size_t sbx_n_secret_paths;

#endif
