/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_FIFREEZE_WATCHDOG_H
#define SNAPFREEZE_FIFREEZE_WATCHDOG_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "fifreeze.h"
#include "mounts.h"

/*
 * What the watchdog reports, once frozen (or not) and once thawed: a head
 * and one entry a target, in one write of at most PIPE_BUF bytes, so the
 * pipe never tears it.
 */
struct report_head {
	int32_t error;		/* negative errno of the target that failed */
	uint32_t failed;	/* that target's index */
	uint32_t reason;	/* after the thaw: enum snapfreeze_reason */
	uint64_t freeze_ns;	/* the request to all frozen */
	uint64_t spread_ns;	/* the first frozen to the last frozen */
};

struct report_target {
	uint64_t freeze_ns;
	uint64_t frozen_ns;
	int32_t thaw_error;
};

_Static_assert(sizeof(struct report_head) + SF_FIFREEZE_MAX_TARGETS *
	       sizeof(struct report_target) <= PIPE_BUF,
	       "a report must fit one atomic pipe write");

/*
 * The watchdog process, forked by fifreeze.c: freezes mounts[order[0]],
 * mounts[order[1]]... (order: a permutation of 0..n), writes a report of
 * size bytes to reports (entries by mount, not by order), holds the
 * freeze until a byte or the end of command, or the timeout, thaws in
 * reverse and writes its last report. Never returns.
 */
void sf_fifreeze_watchdog(const struct sf_mount *mounts, const size_t *order, size_t n,
			  uint32_t timeout_ms, int command, int reports, size_t size)
	__attribute__((noreturn));

#endif
