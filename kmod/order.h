/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _SNAPFREEZE_ORDER_H
#define _SNAPFREEZE_ORDER_H

#include <linux/netlink.h>

#include "target.h"

int sf_order_add_stored_on(struct sf_target *targets, unsigned int n_targets,
			   unsigned int index, const struct nlattr *target_nest,
			   struct netlink_ext_ack *extack);
int sf_order_levels(struct sf_target *targets, unsigned int n_targets,
		    const struct nlattr **target_attrs,
		    struct netlink_ext_ack *extack);
unsigned int sf_order_max_level(const struct sf_target *targets,
				unsigned int n_targets);

#endif /* _SNAPFREEZE_ORDER_H */
