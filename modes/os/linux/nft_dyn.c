/* SPDX-License-Identifier: MIT */
/* The libnftables functions sbx calls, as stubs over the library mapped
 * on first use (util/dynlib.h).  A function used anywhere in sbx must be
 * listed here: sbx links no libnftables of its own. */
#include "modes/os/linux/nft_dyn.h"

#include <nftables/libnftables.h>

#include "util/dynlib.h"

#define NFT_FUNCS(F, V)                                                                   \
    F(struct nft_ctx *, nft_ctx_new, (uint32_t flags), (flags))                           \
    V(nft_ctx_free, (struct nft_ctx * c), (c))                                            \
    F(int, nft_ctx_buffer_output, (struct nft_ctx * c), (c))                              \
    F(int, nft_ctx_buffer_error, (struct nft_ctx * c), (c))                               \
    F(const char *, nft_ctx_get_output_buffer, (struct nft_ctx * c), (c))                 \
    F(const char *, nft_ctx_get_error_buffer, (struct nft_ctx * c), (c))                  \
    V(nft_ctx_output_set_flags, (struct nft_ctx * c, unsigned int flags), (c, flags))     \
    F(int, nft_run_cmd_from_buffer, (struct nft_ctx * c, const char *buf), (c, buf))

SBX_DYNLIB_DEFINE(NFT_FUNCS, SBX_NFT_SONAME, sbx_nft_load)
