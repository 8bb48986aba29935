// SPDX-License-Identifier: GPL-2.0
/* hrtimer_setup(): 6.13 and later, and the only way once hrtimer_init went. */
#include <linux/hrtimer.h>

static enum hrtimer_restart probe_fire(struct hrtimer *timer)
{
	return HRTIMER_NORESTART;
}

void probe(struct hrtimer *timer);
void probe(struct hrtimer *timer)
{
	hrtimer_setup(timer, probe_fire, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
}
