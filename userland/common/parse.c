// SPDX-License-Identifier: GPL-2.0
#include "parse.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

int sf_parse_seconds(const char *text, uint32_t *ms)
{
	double seconds;
	char *end;

	errno = 0;
	seconds = strtod(text, &end);
	if (errno || end == text || *end || !isfinite(seconds) ||
	    seconds * 1000 < 1 || seconds * 1000 > UINT32_MAX)
		return -1;
	*ms = (uint32_t)llround(seconds * 1000);
	return 0;
}

int sf_parse_interval(const char *text, uint32_t *ms)
{
	char *end;

	/* "0", "0.0": none; anything else as sf_parse_seconds() reads it. */
	if (strtod(text, &end) == 0 && end != text && !*end) {
		*ms = 0;
		return 0;
	}
	return sf_parse_seconds(text, ms);
}
