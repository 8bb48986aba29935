/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_FIFREEZE_H
#define SNAPFREEZE_FIFREEZE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "mounts.h"
#include "netlink.h"

/*
 * The degraded freeze, for when the module is not loaded: FIFREEZE on each
 * filesystem in turn (so they stop taking writes one after another, not at
 * one instant), held by a watchdog process of its own. The watchdog thaws
 * when asked, when the timeout passes, or when this process dies: it
 * never touches a file while it holds the freeze, keeps its memory locked,
 * blocks every signal it can, dumps no core and is the OOM killer's last
 * choice. Should it die or stop answering all the same, this process
 * thaws every filesystem itself (FITHAW on descriptors it opened before
 * the freeze), before it reports anything; every wait on the watchdog is
 * bounded.
 *
 * Sessions are described as the module describes its own, with id 0.
 */
struct sf_fifreeze;

#define SF_FIFREEZE_MAX_TARGETS 128

/*
 * Freezes mounts[0..n) in their order, except that a filesystem stored on
 * others (stored_on[i]; NULL: none is) comes before them; thaws in
 * reverse. All or nothing: on failure every filesystem is thawed again.
 */
struct sf_fifreeze *sf_fifreeze_freeze(const struct sf_mount *mounts,
				       const struct sf_stored_on *stored_on, size_t n,
				       uint32_t timeout_ms,
				       struct sf_session_info *session,
				       struct sf_error *err);
/*
 * Thaws (unless the watchdog did already: session->reason says who) and
 * reaps the watchdog. Frees fz.
 */
int sf_fifreeze_thaw(struct sf_fifreeze *fz, struct sf_session_info *session,
		     struct sf_error *err);
/*
 * Readable once the freeze is over without a thaw request: the watchdog
 * thawed at the timeout, or died. Polled to cut a wait short.
 */
int sf_fifreeze_lost_fd(const struct sf_fifreeze *fz);

#endif
