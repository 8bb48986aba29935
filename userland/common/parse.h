/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_PARSE_H
#define SNAPFREEZE_PARSE_H

#include <stdint.h>

/* Durations given on a command line, for both commands. 0: read; -1: not one. */

/* "2", "0.5": seconds, to milliseconds, at least 1 ms. */
int sf_parse_seconds(const char *text, uint32_t *ms);
/* The same, but "0" is allowed: no interval. */
int sf_parse_interval(const char *text, uint32_t *ms);

#endif
