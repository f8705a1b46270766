/* SPDX-License-Identifier: MIT */
/* Schema steps of the ledger. */
#ifndef SBX_STATE_SCHEMA_H
#define SBX_STATE_SCHEMA_H

#include "state/ledger_impl.h"

/* Bring the ledger from its user_version to SBX_SCHEMA_VERSION: one
 * transaction per step, user_version bumped inside it, so a crash leaves
 * the ledger at a whole version. */
int sbx_schema_upgrade(struct sbx_ledger *l, struct sbx_error *err);

#endif
