/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_HOSTD_LIMITS_H
#define SNAPFREEZE_HOSTD_LIMITS_H

#include <stdint.h>

#include "error.h"
#include "protocol.h"

/*
 * The bound on snapshot requests a minute (--max-requests-per-minute): the
 * start of each of the last max requests is kept, and one more is refused
 * while the oldest of them is less than a minute old.
 */
struct hostd_rate {
	uint32_t max;		/* 0: no bound */
	uint64_t *starts;	/* a ring of max */
	uint32_t n;
	uint32_t next;		/* the oldest, once n == max */
};

int hostd_rate_init(struct hostd_rate *rate, uint32_t max, struct sf_error *err);
/* 0: a snapshot may start now, and is counted; -1: refused, in result. */
int hostd_rate_take(struct hostd_rate *rate, struct hostd_result *result);
void hostd_rate_free(struct hostd_rate *rate);

#endif
