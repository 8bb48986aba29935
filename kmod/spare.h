/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _SNAPFREEZE_SPARE_H
#define _SNAPFREEZE_SPARE_H

#include <linux/sched.h>

struct task_struct *sf_spare_thread_get(int (*fn)(void *), void *data);
void sf_spares_refill(void);
void sf_spares_init(void);
void sf_spares_exit(void);

#endif /* _SNAPFREEZE_SPARE_H */
