/* SPDX-License-Identifier: MIT */
/* The elevated mode on Windows (see win32.c for its resources). */
#ifndef SBX_MODES_ELEVATED_WIN32_H
#define SBX_MODES_ELEVATED_WIN32_H

#include "modes/mode.h"

extern const struct sbx_mode_ops sbx_elevated_win32;

#endif
