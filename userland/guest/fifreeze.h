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
 * and ignores the signals a terminal sends.
 *
 * Sessions are described as the module describes its own, with id 0.
 */
struct sf_fifreeze;

#define SF_FIFREEZE_MAX_TARGETS 128

/*
 * Freezes mounts[0..n) in that order. All or nothing: on failure every
 * filesystem is thawed again.
 */
struct sf_fifreeze *sf_fifreeze_freeze(const struct sf_mount *mounts, size_t n,
				       uint32_t timeout_ms,
				       struct sf_session_info *session,
				       struct sf_error *err);
/*
 * Thaws (unless the watchdog did already: session->reason says who) and
 * reaps the watchdog. Frees fz.
 */
int sf_fifreeze_thaw(struct sf_fifreeze *fz, struct sf_session_info *session,
		     struct sf_error *err);

#endif
