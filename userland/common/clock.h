/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_CLOCK_H
#define SNAPFREEZE_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Deadlines and durations: the monotonic clock, which never jumps. */
static inline uint64_t sf_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline uint64_t sf_now_ms(void)
{
	return sf_now_ns() / 1000000;
}

#endif
