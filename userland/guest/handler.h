/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_HANDLER_H
#define SNAPFREEZE_HANDLER_H

#include "error.h"

/*
 * Stops the snapshot holding LOCK_PATH, if one does: SIGTERM to it (it
 * thaws, runs its post-script and reports, as on any SIGTERM), then waits
 * at most timeout_ms for it to end. 0: none runs any more.
 */
int sf_handler_stop_snapshot(const char *lock_path, unsigned int timeout_ms,
			     struct sf_error *err);

#endif
