// SPDX-License-Identifier: GPL-2.0
/*
 * The order in which a session's targets freeze: a filesystem whose
 * storage lives on another target (a loop device's image, under any depth
 * of partitions, device-mapper and loops) writes through to it while it
 * freezes, so it must be frozen first. Userspace sees the block layer's
 * stacking in sysfs and names, for each target, the targets it is stored
 * on; the module checks the indexes and that they form no cycle, and
 * enforces the order. An order that is wrong or missing cannot hang
 * anything: the freeze that waits on a frozen target is stuck, and the
 * session ends at its deadline (see session.c).
 */

#include "order.h"

#include <linux/slab.h>
#include <uapi/linux/snapfreeze.h>

/*
 * Collects the SNAPFREEZE_TARGET_A_STORED_ON attributes of one target's
 * nest, which the policy has validated as u32s; each may repeat, so they
 * are walked rather than parsed into a table.
 */
int sf_order_add_stored_on(struct sf_target *targets, unsigned int n_targets,
			   unsigned int index, const struct nlattr *target_nest,
			   struct netlink_ext_ack *extack)
{
	struct sf_target *target = &targets[index];
	const struct nlattr *attr;
	unsigned int count = 0;
	int rem;

	nla_for_each_nested(attr, target_nest, rem)
		count += nla_type(attr) == SNAPFREEZE_TARGET_A_STORED_ON;
	if (!count)
		return 0;
	target->stored_on = kcalloc(count, sizeof(*target->stored_on),
				    GFP_KERNEL);
	if (!target->stored_on)
		return -ENOMEM;
	nla_for_each_nested(attr, target_nest, rem) {
		u32 holder;

		if (nla_type(attr) != SNAPFREEZE_TARGET_A_STORED_ON)
			continue;
		holder = nla_get_u32(attr);
		if (holder == index) {
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "a target cannot be stored on itself");
			return -EINVAL;
		}
		if (holder >= n_targets) {
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "stored on a target that is not in the request");
			return -EINVAL;
		}
		target->stored_on[target->n_stored_on++] = holder;
	}
	return 0;
}

/*
 * Levels by longest path: a target nothing is stored on is at level 0,
 * and every target is one level above the highest of those stored on it.
 * Relaxing every edge n times settles any order without a cycle; an edge
 * that still moves after that is on a cycle.
 */
int sf_order_levels(struct sf_target *targets, unsigned int n_targets,
		    const struct nlattr **target_attrs,
		    struct netlink_ext_ack *extack)
{
	unsigned int round, i, j;
	bool moved = true;

	for (i = 0; i < n_targets; i++)
		targets[i].level = 0;
	for (round = 0; moved && round <= n_targets; round++) {
		moved = false;
		for (i = 0; i < n_targets; i++) {
			for (j = 0; j < targets[i].n_stored_on; j++) {
				struct sf_target *holder =
					&targets[targets[i].stored_on[j]];

				if (holder->level > targets[i].level)
					continue;
				if (round == n_targets) {
					NL_SET_ERR_MSG_ATTR(extack, target_attrs[i],
							    "the targets are stored on each other in a cycle");
					return -ELOOP;
				}
				holder->level = targets[i].level + 1;
				moved = true;
			}
		}
	}
	return 0;
}

unsigned int sf_order_max_level(const struct sf_target *targets,
				unsigned int n_targets)
{
	unsigned int max_level = 0, i;

	for (i = 0; i < n_targets; i++)
		max_level = max(max_level, targets[i].level);
	return max_level;
}
