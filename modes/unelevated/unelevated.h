/* SPDX-License-Identifier: MIT */
#ifndef SBX_MODES_UNELEVATED_H
#define SBX_MODES_UNELEVATED_H

#include "modes/mode.h"

extern const struct sbx_mode_ops sbx_unelevated_linux;

#endif
