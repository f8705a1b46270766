/* SPDX-License-Identifier: MIT */
/* libnftables (and its dependencies), mapped when the elevated mode's
 * firewall rules are first touched rather than at every start of sbx
 * (util/dynlib.h says why). */
#ifndef SBX_MODES_OS_LINUX_NFT_DYN_H
#define SBX_MODES_OS_LINUX_NFT_DYN_H

#include "util/error.h"

/* Map libnftables now; an error names the library when it is missing. */
int sbx_nft_load(struct sbx_error *err);

#endif
