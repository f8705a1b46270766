/* SPDX-License-Identifier: MIT */
/* SQLite, mapped when the ledger is first opened rather than at every
 * start of sbx (util/dynlib.h says why). */
#ifndef SBX_STATE_SQLITE_DYN_H
#define SBX_STATE_SQLITE_DYN_H

#include "util/error.h"

/* Map SQLite now; an error names the library when it is missing. */
int sbx_sqlite_load(struct sbx_error *err);

#endif
