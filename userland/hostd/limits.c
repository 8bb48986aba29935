// SPDX-License-Identifier: GPL-2.0
#include "limits.h"

#include <stdlib.h>

#include "clock.h"

#define MINUTE_MS 60000

int hostd_rate_init(struct hostd_rate *rate, uint32_t max, struct sf_error *err)
{
	*rate = (struct hostd_rate){ .max = max };
	if (max && !(rate->starts = calloc(max, sizeof(*rate->starts))))
		return sf_fail(err, SF_EXIT_FAILURE, "out of memory");
	return 0;
}

int hostd_rate_take(struct hostd_rate *rate, struct hostd_result *result)
{
	uint64_t now = sf_now_ms();

	if (!rate->max)
		return 0;
	if (rate->n == rate->max && now - rate->starts[rate->next] < MINUTE_MS)
		return hostd_fail(result, "rate",
				  "%u snapshots were requested within the last minute, the most --max-requests-per-minute allows (%u): the next may come in %llu s, or the host may raise --max-requests-per-minute",
				  rate->max, rate->max,
				  (unsigned long long)(rate->starts[rate->next] + MINUTE_MS - now +
						       999) / 1000);
	rate->starts[rate->next] = now;
	rate->next = (rate->next + 1) % rate->max;
	if (rate->n < rate->max)
		rate->n++;
	return 0;
}

void hostd_rate_free(struct hostd_rate *rate)
{
	free(rate->starts);
	rate->starts = NULL;
}
